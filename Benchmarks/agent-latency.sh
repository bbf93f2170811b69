#!/usr/bin/env bash
# make bench-agent, second part: SIPp places calls at a steady RATE (default
# 200 calls/s) for SECONDS (default 30), writing its -trace_msg log live;
# sipmeter-agent run follows that log and ships to a local collector. For
# each answered call, the latency is the collector's receipt time minus the
# call's end (the BYE as SIPp logged it): reports p50, p99 and the maximum.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-200}
SECONDS_RUN=${SECONDS_RUN:-30}
CALLS=$((RATE * SECONDS_RUN))
BIN=${BIN:-.build/release}
PORT=${PORT:-18933}
WORK=$(mktemp -d)
SERVER=""; AGENT=""; UAS=""
trap 'kill $AGENT $SERVER $UAS 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

. Benchmarks/bench-collector-setup.sh
mkdir -p "$WORK/logs"
: > "$WORK/logs/sipp.log"
# The agent's defaults, except the batch interval (default 1000 ms).
cat > "$WORK/agent.yaml" <<YAML
agent:
  name: bench
collector:
  urls: ["http://127.0.0.1:$PORT"]
  token_file: $WORK/agent.token
  batch_interval_ms: 500
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
YAML
$BIN/sipmeter-agent run --config "$WORK/agent.yaml" --log-level warning &
AGENT=$!
sleep 1

sipp -sf Benchmarks/uas-answer.xml -i 127.0.0.1 -p 5291 -nostdin -m "$CALLS" >/dev/null 2>&1 &
UAS=$!
(cd "$WORK" && sipp -sf "$OLDPWD/Benchmarks/uac.xml" 127.0.0.1:5291 -i 127.0.0.1 -p 5281 -m "$CALLS" -r "$RATE" \
  -nostdin -timeout $((SECONDS_RUN + 60)) -trace_msg -message_file "$WORK/logs/sipp.log" >/dev/null 2>&1) || true
for _ in $(seq 1 100); do
  n=$(sqlite3 "$WORK/collector.db" "SELECT COUNT(*) FROM rated_call" 2>/dev/null || echo 0)
  [ "$n" -ge "$CALLS" ] && break
  sleep 0.1
done
echo "calls: $n of $CALLS stored ($RATE calls/s for $SECONDS_RUN s; 100 ms holds)"
sqlite3 "$WORK/collector.db" "SELECT received_at - end_time FROM rated_call WHERE disposition = 'answered' ORDER BY 1" \
  | awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "no answered calls stored"; exit 1 }
      i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
      i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
      printf "BYE to stored at the collector: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d answered calls)\n", v[i50] / 1000, v[i99] / 1000, v[NR] / 1000, NR
    }'
