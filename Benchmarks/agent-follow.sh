#!/usr/bin/env bash
# make bench-agent: the agent daemon following a growing SIPp -trace_msg log
# of 100,000 calls (made once with SIPp, cached in bench-data/), records
# stored at a local collector. Reports calls/s end to end and agent RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=bench-data
LOG=$DATA/bench-100k.sipp.log
CALLS=${CALLS:-100000}
BIN=${BIN:-.build/release}
PORT=${PORT:-18932}
mkdir -p "$DATA"

if [ ! -s "$LOG" ]; then
  work=$(mktemp -d)
  sipp -sf Benchmarks/uas-answer.xml -i 127.0.0.1 -p 5191 -nostdin -bg -m "$CALLS" -buff_size 8388608 >/dev/null 2>&1 || true
  (cd "$work" && sipp -sf "$OLDPWD/Benchmarks/uac.xml" 127.0.0.1:5191 -i 127.0.0.1 -p 5181 -m "$CALLS" -r 2000 -l 4000 \
    -nostdin -buff_size 8388608 -timeout 300 -trace_msg -message_file "$work/messages.log" >/dev/null 2>&1) || true
  pkill -f "sipp -sf Benchmarks/uas-answer.xml -i 127.0.0.1 -p 5191" 2>/dev/null || true
  mv "$work/messages.log" "$LOG"
  rm -rf "$work"
fi
echo "log: $(du -h "$LOG" | cut -f1), $(grep -c '^INVITE' "$LOG") INVITEs"

WORK=$(mktemp -d)
SERVER=""; AGENT=""
trap 'kill $AGENT $SERVER 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
. Benchmarks/bench-collector-setup.sh
mkdir -p "$WORK/logs"
: > "$WORK/logs/sipp.log"
cat > "$WORK/agent.yaml" <<YAML
agent:
  name: bench
collector:
  urls: ["http://127.0.0.1:$PORT"]
  token_file: $WORK/agent.token
  batch_size: 5000
  batch_interval_ms: 200
profiles:
  - name: alice-trunk
    from_users: [alice-trunk]
sources:
  - name: sipp
    type: text
    paths: ["$WORK/logs/*.log"]
    format: sipp
spool:
  path: $WORK/spool.db
poll_interval_ms: 50
YAML
${PERF:+perf record -e cpu-clock -F 299 ${PERF_CG:--g} -o "$PERF" --} $BIN/sipmeter-agent run --config "$WORK/agent.yaml" --log-level warning &
AGENT=$!
EXPECTED=$($BIN/sipmeter-agent parse --profiles Samples/profiles.yaml "$LOG" 2>/dev/null | wc -l)
start=$(date +%s.%N)
# The log grows: 8 MiB appended every 50 ms (about SIPp's own write rate at 5,000 calls/s).
python3 - "$LOG" "$WORK/logs/sipp.log" <<'PY'
import sys, time
src, dst = sys.argv[1], sys.argv[2]
with open(src, "rb") as f, open(dst, "ab") as out:
    while True:
        chunk = f.read(8 << 20)
        if not chunk:
            break
        out.write(chunk)
        out.flush()
        time.sleep(0.05)
PY
written=$(date +%s.%N)
half=""; most=""
while :; do
  n=$(sqlite3 "$WORK/collector.db" "SELECT COUNT(*) FROM rated_call" 2>/dev/null || echo 0)
  [ -z "$half" ] && [ "$n" -ge $((EXPECTED / 2)) ] && half=$(date +%s.%N)
  [ -z "$most" ] && [ "$n" -ge $((EXPECTED * 95 / 100)) ] && most=$(date +%s.%N)
  [ "$n" -ge "$EXPECTED" ] && break
  now=$(date +%s.%N)
  if [ "$(echo "$now - $start > 300" | bc)" = 1 ]; then echo "timeout: $n of $EXPECTED"; break; fi
  sleep 0.2
done
end=$(date +%s.%N)
rss=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$AGENT/status)
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }
echo "calls: $n stored of $EXPECTED expected"
echo "log written in $(echo "$written - $start" | bc) s; all stored after $(echo "$end - $start" | bc) s = $(echo "$n / ($end - $start)" | bc) calls/s end to end"
echo "50% stored after $(echo "$half - $start" | bc) s, 95% after $(echo "$most - $start" | bc) s"
echo "agent peak RSS: $rss MiB"
echo "CPU time: agent $(cpu $AGENT) s, collector $(cpu $SERVER) s (2 cores: $(echo "$end - $start" | bc) s wall)"
echo "live call events stored at the collector: $(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^sipmeter_collector_call_events_total/ {print $2}')"
kill -TERM $AGENT; wait $AGENT 2>/dev/null || true; AGENT=""
