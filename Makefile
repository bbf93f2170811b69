# sipmeter — the two commands a newcomer runs: `make demo` and `make test`.
SWIFT ?= swift
DEB_PACKAGES := libosip2-dev libpcap-dev libsqlite3-dev zlib1g-dev libmimalloc-dev sip-tester tshark kamailio kamailio-utils-modules kamailio-json-modules sngrep time libcairo2-dev poppler-utils chromium
SAMPLES := Samples/traces
AGENT_DEBUG := .build/debug/sipmeter-agent

.PHONY: deps build release test fuzz-smoke lint format demo bench bench-collector bench-agent bench-authorize bench-reports fuzz traces clean

# Installs the Debian packages the project needs, only when missing.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  echo "wireshark-common wireshark-common/install-setuid boolean false" | $$SUDO debconf-set-selections && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product sipmeter-agent

FORMATTED := Sources Tests Benchmarks/sipmeter-bench Benchmarks/sipmeter-collector-bench Fuzz/FuzzFraming.swift

test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) fuzz-smoke

# The libFuzzer target builds (ASan) and replays the checked-in regressions:
# an API change that breaks the harness fails here, not at the next fuzz run.
fuzz-smoke:
	bash Fuzz/build.sh
	SWIFT_BACKTRACE=enable=no .build-fuzz/fuzz-framing Fuzz/regressions/*

# The checked-in .swift-format configuration; `make format` applies it.
lint:
	$(SWIFT) format lint --strict --recursive $(FORMATTED)

format:
	$(SWIFT) format --in-place --recursive $(FORMATTED)

demo: build
	@echo "== sipmeter-agent parse on the sample traces (table) =="
	$(AGENT_DEBUG) parse --profiles Samples/profiles.yaml --format table \
	  $(SAMPLES)/basic.pcap $(SAMPLES)/busy-fail.pcap $(SAMPLES)/auth.pcap $(SAMPLES)/cancel.pcap \
	  $(SAMPLES)/fork.pcap $(SAMPLES)/callee-bye.pcap $(SAMPLES)/no-bye.pcap
	@echo
	@echo "== the same calls from Kamailio's sipdump text log, as JSON lines =="
	$(AGENT_DEBUG) parse --profiles Samples/profiles.yaml $(SAMPLES)/basic.sipdump.txt
	@echo
	bash Samples/demo.sh

# Builds a 100,000-call capture with SIPp (cached in bench-data/) and times
# the agent against a raw libosip2 loop and tshark. See Benchmarks/README.md.
bench: deps release
	$(SWIFT) build -c release --product sipmeter-bench
	bash Benchmarks/run.sh

# The collector: 1,000,000 records over HTTP from 4 clients (see Benchmarks/README.md).
bench-collector: deps
	$(SWIFT) build -c release --product sipmeter-collector
	$(SWIFT) build -c release --product sipmeterctl
	$(SWIFT) build -c release --product sipmeter-collector-bench
	bash Benchmarks/collector.sh

# The agent daemon following a growing 100,000-call SIPp log into a local collector.
bench-agent: deps
	$(SWIFT) build -c release --product sipmeter-agent
	$(SWIFT) build -c release --product sipmeter-collector
	$(SWIFT) build -c release --product sipmeterctl
	bash Benchmarks/agent-follow.sh
	bash Benchmarks/agent-latency.sh

# POST /v1/authorize under wrk beside a trivial route of the same server.
bench-authorize: deps
	$(SWIFT) build -c release --product sipmeter-collector
	$(SWIFT) build -c release --product sipmeterctl
	$(SWIFT) build -c release --product sipmeter-collector-bench
	bash Benchmarks/authorize.sh

# The monthly reports over 1,000,000 rated calls of one month (see Benchmarks/README.md).
bench-reports: deps
	$(SWIFT) build -c release --product sipmeter-collector
	$(SWIFT) build -c release --product sipmeterctl
	$(SWIFT) build -c release --product sipmeter-collector-bench
	bash Benchmarks/reports.sh

fuzz: deps
	bash Fuzz/build.sh && bash Fuzz/run.sh 600

# Regenerates the sample traces with SIPp and Kamailio (see Samples/traces/README.md).
traces: deps
	bash $(SAMPLES)/make-traces.sh

clean:
	rm -rf .build .build-*
