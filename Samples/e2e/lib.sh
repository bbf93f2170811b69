# Shared by Samples/e2e/collector-down.sh and Samples/e2e/agent-kill9.sh
# (sourced, not run): signal reset, scratch directory, process bookkeeping,
# ports, the dumpcap capture, the collector, the agent, SIPp and the
# comparison. Everything runs on 127.0.0.1.
set -euo pipefail
export LC_ALL=C

. "$(dirname "${BASH_SOURCE[0]}")/reset-signals.sh"

START_NS=$(date +%s%N)
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 BIN_DIR" >&2; exit 2; }
BIN=$(cd "$1" && pwd)

for b in sipmeter-collector sipmeterctl sipmeter-agent; do
  [ -x "$BIN/$b" ] || { echo "missing $BIN/$b" >&2; exit 2; }
done
for t in sipp dumpcap tshark capinfos curl python3 sqlite3 ss; do
  command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }
done

# /dev/shm: a slow disk stalls SIPp's -trace_msg writes under load.
SHM=/dev/shm
[ -d "$SHM" ] && [ -w "$SHM" ] || SHM=${TMPDIR:-/tmp}
WORK=$(mktemp -d "$SHM/sipmeter-e2e-$E2E_NAME.XXXXXX")
PIDS=()

log() { printf '[%s %s] %s\n' "$E2E_NAME" "$(date +%H:%M:%S.%3N)" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
elapsed_s() { python3 -c "print(round(($(date +%s%N) - $START_NS) / 1e9, 1))"; }

forget_pid() { # forget_pid PID: drop a reaped process from the cleanup list
  local p out=()
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || out+=("$p"); done
  PIDS=("${out[@]}")
}

stop_pid() { # stop_pid PID [seconds]: TERM, wait, then KILL; reaps it and forgets it
  local pid=$1 secs=${2:-5} i
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < secs * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not stop after TERM, sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

cleanup() {
  local rc=$? i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" 8; done
  if [ "$rc" -eq 0 ] && [ -z "${KEEP_WORK:-}" ]; then rm -rf "$WORK"; else log "scratch kept in $WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- ports
# Blocks of 8 ports, each free for TCP and UDP on 127.0.0.1, from 26000-26999
# (a random start, so parallel runs rarely collide). A SIPp at port P also
# binds P+2 and P+4 (given as -mp P+2: its RTP echo sockets).
alloc_ports() { # alloc_ports N: prints N block bases
  python3 - "$1" <<'EOF'
import random, socket, sys
want = int(sys.argv[1])
bases = list(range(26000, 27000 - 8, 8))
k = random.randrange(len(bases))
bases = bases[k:] + bases[:k]
out = []
for base in bases:
    socks, ok = [], True
    for port in range(base, base + 8):
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                ok = False
    for s in socks:
        s.close()
    if ok:
        out.append(base)
    if len(out) == want:
        break
print(" ".join(map(str, out)))
EOF
}

wait_tcp() { # wait_tcp PORT SECONDS PID
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$3" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
wait_udp() { # wait_udp PORT SECONDS PID
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$3" 2>/dev/null || return 1
    ss -lnu 2>/dev/null | awk '{print $4}' | grep -qxF "127.0.0.1:$1" && return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------- capture
# dumpcap on lo, SIP between the two SIPps plus a probe port: dumpcap says
# "Capturing on" about a second before it really captures, so datagrams are
# sent to the probe port until the file counts packets (tshark's SIP filters
# below never see the probes).
CAP_PID=
start_capture() { # start_capture FILE SIP_PORT PROBE_PORT
  local file=$1 i n=0
  dumpcap -q -i lo -f "udp port $2 or udp port $3" -B 64 -w "$file" >"$WORK/dumpcap.log" 2>&1 &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  for ((i = 0; i < 100; i++)); do
    printf 'sipmeter-e2e-probe %d\n' "$i" >"/dev/udp/127.0.0.1/$3" 2>/dev/null || true
    sleep 0.2
    n=$(capinfos -c -M "$file" 2>/dev/null | awk '/Number of packets/ {print $NF}') || n=0
    [ "${n:-0}" -gt 0 ] && break
  done
  [ "${n:-0}" -gt 0 ] || die "dumpcap on lo captured nothing after 20 s; see $WORK/dumpcap.log"
  log "capture running (after $((i + 1)) probe(s))"
}
stop_capture() {
  sleep 0.5
  stop_pid "$CAP_PID" 10
  CAP_PID=
}

# What the wire says: distinct INVITE Call-IDs (the plain count), and every
# SIP message (time, Call-ID, method, status, CSeq method) for the per-call
# comparison.
analyse_capture() { # analyse_capture FILE SIP_PORT
  tshark -r "$1" -d "udp.port==$2,sip" -Y 'sip.Method == "INVITE"' -T fields -e sip.Call-ID \
    >"$WORK/tshark-invites.txt" 2>"$WORK/tshark.err" || die "tshark failed: $(head -3 "$WORK/tshark.err")"
  tshark -r "$1" -d "udp.port==$2,sip" -Y sip -T fields -E separator=/t \
    -e frame.time_epoch -e sip.Call-ID -e sip.Method -e sip.Status-Code -e sip.CSeq.method \
    >"$WORK/tshark-sip.tsv" 2>>"$WORK/tshark.err" || die "tshark failed: $(head -3 "$WORK/tshark.err")"
}

# ---------------------------------------------------------------- collector
# init, then seed through the API of a collector serving on SEED_PORT:
# the standard rate deck, member alice, SIP Profile alice-trunk, an agent
# token bound to it. The collector keeps running (COLL_PID); stop it with
# stop_collector when the test wants the port free.
COLL_PID=
start_collector() { # start_collector PORT
  "$BIN/sipmeter-collector" serve --db "$WORK/collector.db" --listen "127.0.0.1:$1" --log-level warning \
    >>"$WORK/collector.log" 2>&1 &
  COLL_PID=$!
  PIDS+=("$COLL_PID")
  wait_tcp "$1" 30 "$COLL_PID" || die "the collector did not start on :$1; see $WORK/collector.log"
  local i
  for ((i = 0; i < 50; i++)); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return 0; sleep 0.1; done
  die "the collector on :$1 does not answer /healthz"
}
stop_collector() {
  stop_pid "$COLL_PID" 10
  COLL_PID=
}
ctl() { # ctl PORT ARGS...
  local port=$1; shift
  "$BIN/sipmeterctl" "$@" --url "http://127.0.0.1:$port" --token-file "$WORK/admin.token"
}
seed_collector() { # seed_collector PORT (the collector must be serving there)
  "$BIN/sipmeter-collector" init --db "$WORK/collector.db" --group acme >"$WORK/init.out" 2>"$WORK/init.err" ||
    die "collector init failed: $(cat "$WORK/init.err")"
  tail -n 1 "$WORK/init.out" >"$WORK/admin.token"
  start_collector "$1"
  {
    ctl "$1" rates import standard "$ROOT/Samples/rates.csv"
    ctl "$1" members add alice
    ctl "$1" profiles add alice-trunk --member alice --rate-deck standard
    ctl "$1" agents add e2e --profile alice-trunk >"$WORK/agent.out"
  } >"$WORK/seed.log" 2>&1 || die "seeding failed; see $WORK/seed.log"
  tail -n 1 "$WORK/agent.out" >"$WORK/agent.token"
}

# Every call the collector holds, as JSON pages, for the months of the run.
fetch_calls() { # fetch_calls PORT OUTFILE
  local m
  : >"$2"
  for m in $(printf '%s\n' "$RUN_MONTH_FIRST" "$(date -u +%Y-%m)" | sort -u); do
    ctl "$1" calls --all --json --month "$m" >>"$2" 2>>"$WORK/fetch.err" || return 1
  done
}
collector_count() { # collector_count PORT: number of records (or 0)
  fetch_calls "$1" "$WORK/calls.poll.json" 2>/dev/null || { echo 0; return; }
  python3 - "$WORK/calls.poll.json" <<'EOF' 2>/dev/null || echo 0
import json, sys
text, dec, i, n = open(sys.argv[1]).read(), json.JSONDecoder(), 0, 0
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    obj, i = dec.raw_decode(text, i)
    n += len(obj.get("calls", []))
print(n)
EOF
}

# The collector's record counters (its /metrics, since it last started):
# sets COLL_ACCEPTED, COLL_DUPLICATE (sent again and dropped by id),
# COLL_REJECTED.
collector_records_metrics() { # collector_records_metrics PORT
  local text
  text=$(curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" 2>/dev/null || true)
  metric() { awk -v k="sipmeter_collector_records_total{result=\"$1\"}" '$1 == k { printf "%d\n", $2; f = 1 } END { if (!f) print "?" }' <<<"$text"; }
  COLL_ACCEPTED=$(metric accepted)
  COLL_DUPLICATE=$(metric duplicate)
  COLL_REJECTED=$(metric rejected)
}

# ---------------------------------------------------------------- agent
# The agent follows the caller SIPp's -trace_msg log (created empty before
# the agent starts, so that its glob matches).
AGENT_PID=
write_agent_config() { # write_agent_config COLLECTOR_PORT METRICS_PORT
  mkdir -p "$WORK/logs"
  : >"$WORK/logs/uac_messages.log"
  cat >"$WORK/agent.yaml" <<EOF
agent:
  name: e2e
collector:
  urls:
    - http://127.0.0.1:$1
  token_file: $WORK/agent.token
  batch_size: 500
  batch_interval_ms: 200
profiles:
  - name: alice-trunk
    from_users: [alice-trunk]
sources:
  - name: sipp
    type: text
    paths:
      - "$WORK/logs/*.log"
    format: sipp
    from_start: true
spool:
  path: $WORK/agent.db
metrics:
  listen: "127.0.0.1:$2"
poll_interval_ms: 100
idle_flush_ms: 200
reorder_window_ms: 200
EOF
  "$BIN/sipmeter-agent" check-config --config "$WORK/agent.yaml" >"$WORK/check-config.log" 2>&1 ||
    die "agent config rejected: $(cat "$WORK/check-config.log")"
}
start_agent() {
  "$BIN/sipmeter-agent" run --config "$WORK/agent.yaml" --log-level warning >>"$WORK/agent.log" 2>&1 &
  AGENT_PID=$!
  PIDS+=("$AGENT_PID")
}
agent_metric() { # agent_metric PORT NAME: the value as an integer (Prometheus prints 548.0), or "?"
  curl -sf --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null |
    awk -v n="$2" '$1 == n || index($1, n "{") == 1 { v = $2 } END { if (v == "") print "?"; else printf "%d\n", v }'
}

# Polls (bounded by SECONDS of wall time) until the collector holds at least
# WANT calls and the agent's spool is empty, waits 1 s more (a late
# duplicate would show), then writes the collector's calls to calls.json.
# DRAINED_MS: the time (now_ms) it was drained, or "never".
DRAINED_MS=
drain() { # drain COLLECTOR_PORT METRICS_PORT WANT SECONDS
  local deadline n spool
  deadline=$(($(now_ms) + $4 * 1000))
  DRAINED_MS=never
  while [ "$(now_ms)" -lt "$deadline" ]; do
    n=$(collector_count "$1")
    spool=$(agent_metric "$2" sipmeter_agent_spool_records)
    if [ "$n" -ge "$3" ] && [ "$spool" = 0 ]; then
      DRAINED_MS=$(now_ms)
      break
    fi
    sleep 0.5
  done
  [ "$DRAINED_MS" != never ] || log "not drained after $4 s: the collector holds $n of $3 calls, the spool $spool"
  sleep 1
  fetch_calls "$1" "$WORK/calls.json" || die "cannot list the collector's calls; see $WORK/fetch.err"
}

# SIGTERM to the agent: TERM_RC its exit status ("timeout" when it took more
# than 15 s and was killed), TERM_S how long it took.
TERM_RC= TERM_S=
term_agent() {
  local t i rc=0
  t=$(now_ms)
  TERM_RC=
  kill -TERM "$AGENT_PID" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$AGENT_PID" 2>/dev/null; then kill -KILL "$AGENT_PID"; TERM_RC=timeout; fi
  wait "$AGENT_PID" || rc=$?
  [ "$TERM_RC" = timeout ] || TERM_RC=$rc
  forget_pid "$AGENT_PID"
  TERM_S=$(python3 -c "print(round(($(now_ms) - $t) / 1000, 1))")
}

# After the agent stopped: what its spool still holds (sets SPOOL_WAITING,
# SPOOL_DEAD; "?" when unreadable).
spool_after() {
  local text
  text=$("$BIN/sipmeter-agent" spool list --config "$WORK/agent.yaml" 2>>"$WORK/spool-list.err" || true)
  printf '%s\n' "$text" >"$WORK/spool-list.txt"
  SPOOL_WAITING=$(sed -n 's/^waiting: \([0-9]*\) record.*/\1/p' <<<"$text" | head -1)
  SPOOL_DEAD=$(sed -n 's/^dead letters: \([0-9]*\).*/\1/p' <<<"$text" | head -1)
  SPOOL_WAITING=${SPOOL_WAITING:-?} SPOOL_DEAD=${SPOOL_DEAD:-?}
}

# The invariants both tests share, from the summary lines so far: the
# comparison held, every record was accepted once (what the collector
# accepted since it last started is what it holds), nothing rejected, the
# agent's spool empty and without dead letters, SIPp content, drained, a
# clean SIGTERM. Prints yes or no.
common_invariants() { # common_invariants SUMMARY
  python3 -c '
import sys
kv = dict(l.split(" ", 1) for l in sys.argv[1].splitlines() if " " in l)
ok = (kv.get("compare_ok") == "yes"
      and kv.get("collector_records_accepted") == kv.get("collector_records")
      and kv.get("collector_records_rejected") == "0"
      and kv.get("agent_spool_waiting") == "0"
      and kv.get("agent_dead_letters") == "0"
      and kv.get("agent_term_status") == "0"
      and kv.get("uac_exit") == "0"
      and kv.get("drained") == "yes")
print("yes" if ok else "no")' "$1"
}

# ---------------------------------------------------------------- SIPp
# calls.csv for uac.xml: a pattern of 20 calls (16 answered, 2 busy, 2
# congestion) repeated; answered calls hold HOLD_MIN..HOLD_MAX ms (seeded).
write_calls_csv() { # write_calls_csv CALLS SEED HOLD_MIN HOLD_MAX
  python3 - "$@" >"$WORK/calls.csv" <<'EOF'
import random, sys
calls, seed, lo, hi = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
pattern = "aaaabaaacaaaabaaaaac"  # of 20 calls: 16 answered, 2 busy, 2 congestion
print("SEQUENTIAL")
for i in range(calls):
    kind = pattern[i % len(pattern)]
    if kind == "a":
        print(f"442071234567;answer;{rnd.randint(lo, hi)}")
    elif kind == "b":
        print("442071234567;busy;0")
    else:
        print("442071234567;congestion;0")
EOF
}
UAS_PID=
start_uas() { # start_uas PORT
  sipp -sf "$E2E_DIR/uas.xml" -i 127.0.0.1 -p "$1" -mp $(($1 + 2)) -nostdin -buff_size 4194304 \
    -trace_err -error_file "$WORK/uas.errors.log" </dev/null >"$WORK/uas.screen.log" 2>&1 &
  UAS_PID=$!
  PIDS+=("$UAS_PID")
  wait_udp "$1" 10 "$UAS_PID" || die "the callee SIPp did not start; see $WORK/uas.screen.log"
}
UAC_PID=
start_uac() { # start_uac UAS_PORT UAC_PORT CALLS RATE TIMEOUT_S
  sipp "127.0.0.1:$1" -sf "$E2E_DIR/uac.xml" -inf "$WORK/calls.csv" -i 127.0.0.1 -p "$2" -mp $(($2 + 2)) \
    -m "$3" -r "$4" -l 1000 -nostdin -buff_size 4194304 -timeout "$5" -timeout_error \
    -trace_msg -message_file "$WORK/logs/uac_messages.log" \
    -trace_logs -log_file "$WORK/uac.calls.log" \
    -trace_stat -stf "$WORK/uac.stat.csv" \
    -trace_err -error_file "$WORK/uac.errors.log" \
    </dev/null >"$WORK/uac.screen.log" 2>&1 &
  UAC_PID=$!
  PIDS+=("$UAC_PID")
}
UAC_RC=
wait_uac() { # wait_uac: sets UAC_RC to SIPp's exit status (SIPp's own -timeout bounds it)
  UAC_RC=0
  wait "$UAC_PID" || UAC_RC=$?
  forget_pid "$UAC_PID"
}

# ---------------------------------------------------------------- compare
compare() { # compare TOLERANCE_MS: the per-call comparison, "key value" lines
  python3 "$E2E_DIR/compare.py" --work "$WORK" --tolerance-ms "$1"
}
