#!/usr/bin/env bash
# make bench: builds a 100,000-call capture with SIPp (90% answered with
# 100 ms holds, 5% 486, 5% 503; cached in bench-data/), then times in one
# run: sipmeter-agent parse (release), a bare libosip2 parse loop over the
# same messages (the floor), and tshark -z sip,stat. Also runs the agent on
# a 10x input (ten time-shifted copies) to show that memory stays flat.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=bench-data
CAP=$DATA/bench-100k.pcap
CALLS=${CALLS:-100000}
mkdir -p "$DATA"
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }

make_capture() {
  local work; work=$(mktemp -d /dev/shm/sipmeter-bench.XXXXXX)
  local answered=$((CALLS * 90 / 100)) failed=$((CALLS * 5 / 100))
  local pids=()
  sipp -sf Benchmarks/uas-answer.xml -i 127.0.0.1 -p 5091 -nostdin -bg -m "$answered" -buff_size 8388608 >/dev/null 2>&1 || true
  sipp -sf Benchmarks/uas-486.xml -i 127.0.0.1 -p 5092 -nostdin -bg -m "$failed" >/dev/null 2>&1 || true
  sipp -sf Benchmarks/uas-503.xml -i 127.0.0.1 -p 5093 -nostdin -bg -m "$failed" >/dev/null 2>&1 || true
  dumpcap -q -i lo -f "udp portrange 5081-5093" -B 512 -w "$work/raw.pcap" -P >/dev/null 2>&1 &
  local dump=$!
  # dumpcap needs a moment before it really captures: probe until it counts packets.
  for _ in $(seq 1 50); do
    echo probe > /dev/udp/127.0.0.1/5089 || true
    sleep 0.2
    [ -s "$work/raw.pcap" ] && [ "$(stat -c %s "$work/raw.pcap")" -gt 200 ] && break
  done
  (cd "$work" && sipp -sf "$OLDPWD/Benchmarks/uac.xml" 127.0.0.1:5091 -i 127.0.0.1 -p 5081 -m "$answered" -r 1800 -l 4000 -nostdin -buff_size 8388608 -timeout 300 >/dev/null 2>&1) & pids+=($!)
  (cd "$work" && sipp -sf "$OLDPWD/Benchmarks/uac.xml" 127.0.0.1:5092 -i 127.0.0.1 -p 5082 -m "$failed" -r 100 -nostdin -timeout 300 >/dev/null 2>&1) & pids+=($!)
  (cd "$work" && sipp -sf "$OLDPWD/Benchmarks/uac.xml" 127.0.0.1:5093 -i 127.0.0.1 -p 5083 -m "$failed" -r 100 -nostdin -timeout 300 >/dev/null 2>&1) & pids+=($!)
  for p in "${pids[@]}"; do wait "$p" || true; done
  sleep 1
  kill "$dump" 2>/dev/null || true; wait "$dump" 2>/dev/null || true
  pkill -f "sipp -sf Benchmarks/uas-" 2>/dev/null || true
  # Drop the probe datagrams (port 5089).
  tshark -r "$work/raw.pcap" -Y "not udp.port == 5089" -w "$CAP" -F pcap >/dev/null 2>&1
  rm -rf "$work"
}

[ -s "$CAP" ] || make_capture
echo "capture: $CAP ($(stat -c %s "$CAP") bytes, $(capinfos -c -M "$CAP" 2>/dev/null | awk '/Number of packets/ {print $NF}') packets)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m)"

BIN=${BIN:-.build/release}
AGENT=$BIN/sipmeter-agent
BENCH=$BIN/sipmeter-bench
for round in 1 2 3; do
  echo "-- round $round"
  /usr/bin/time -f "agent parse: %e s wall, %M KiB peak RSS" "$AGENT" parse "$CAP" > "$DATA/records.jsonl" 2> "$DATA/agent.err" || true
  tail -n 1 "$DATA/agent.err"; grep -E '^(calls|messages):' "$DATA/agent.err"
  /usr/bin/time -f "agent parse --parse-all: %e s wall, %M KiB peak RSS" "$AGENT" parse --parse-all "$CAP" > /dev/null 2> "$DATA/agent-all.err" || true
  tail -n 1 "$DATA/agent-all.err"
  "$BENCH" "$CAP" 2
  /usr/bin/time -f "tshark -z sip,stat: %e s wall, %M KiB peak RSS" tshark -r "$CAP" -q -z sip,stat > /dev/null 2> "$DATA/tshark.err" || true
  tail -n 1 "$DATA/tshark.err"
done

# Ten copies shifted by a day each: memory must stay flat (streaming).
if [ ! -s "$DATA/shift-9.pcap" ]; then
  for i in $(seq 0 9); do editcap -t $((i * 86400)) "$CAP" "$DATA/shift-$i.pcap" >/dev/null; done
fi
/usr/bin/time -f "agent parse 10x input: %e s wall, %M KiB peak RSS" "$AGENT" parse "$DATA"/shift-*.pcap > /dev/null 2> "$DATA/agent10.err" || true
tail -n 1 "$DATA/agent10.err"; grep -E '^calls:' "$DATA/agent10.err"
