#!/usr/bin/env bash
# make bench-reports: the monthly reports over 1,000,000 rated calls of one
# month in SQLite (release build). Four trunks share the million (250,000
# each); a fifth, small-trunk, has 10,000 calls for the PDF. Each figure is
# the median of 7 requests (curl's time_total, loopback), after one warm-up.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${RECORDS:-1000000}
BIN=${BIN:-.build/release}
PORT=${PORT:-18936}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

$BIN/sipmeter-collector-bench deck --prefixes 50000 "$WORK/deck.csv"
$BIN/sipmeter-collector init --db "$WORK/collector.db" --group bench --currency USD | tail -1 > "$WORK/admin.token"
$BIN/sipmeter-collector serve --db "$WORK/collector.db" --listen 127.0.0.1:$PORT --log-level warning 2>"$WORK/collector.log" &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
ctl() { "$BIN/sipmeterctl" "$@" --url "http://127.0.0.1:$PORT" --token-file "$WORK/admin.token"; }
ctl rates import standard "$WORK/deck.csv" >/dev/null
ctl purchase 1000000 >/dev/null
for m in 1 2 3 4 5; do
  ctl members add "member$m" >/dev/null
  ctl allocate --member "member$m" 100000 >/dev/null
done
for m in 1 2 3 4; do ctl profiles add "trunk$m" --member "member$m" --rate-deck standard >/dev/null; done
ctl profiles add small-trunk --member member5 --rate-deck standard >/dev/null
ctl bundles add trunk1 uk --minutes 100000 --prefix 44 >/dev/null
ctl agents add bench --profile trunk1 --profile trunk2 --profile trunk3 --profile trunk4 --profile small-trunk \
  | tail -1 > "$WORK/agent.token"
ingest() {
  $BIN/sipmeter-collector-bench ingest --url "http://127.0.0.1:$PORT" --token-file "$WORK/agent.token" \
    --profiles "$1" --records "$2" --seed "$3" --batch 1000 --clients 4 >/dev/null
}
ingest trunk1,trunk2,trunk3,trunk4 "$RECORDS" 1
ingest small-trunk 10000 2
MONTH=$(date -u -d '-20 days' +%Y-%m)
TOKEN=$(cat "$WORK/admin.token")
median() { # median URL: 7 timed requests after a warm-up, in ms
  curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "$1"
  for _ in 1 2 3 4 5 6 7; do
    curl -sf -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$1"
  done | sort -n | sed -n 4p | awk '{printf "%.1f ms", $1 * 1000}'
}
U="http://127.0.0.1:$PORT/v1/reports"
echo "machine: $(nproc) cores; $RECORDS calls in $MONTH (+10,000 on small-trunk)"
echo "Usage JSON, trunk1 (250,000 calls), first page of 100:   $(median "$U/usage?month=$MONTH&profile=trunk1")"
echo "Usage JSON, trunk1, filtered (disposition=answered):     $(median "$U/usage?month=$MONTH&profile=trunk1&disposition=answered")"
echo "Summary JSON:                                            $(median "$U/summary?month=$MONTH")"
echo "Usage PDF, small-trunk (10,000 calls):                   $(median "$U/usage?month=$MONTH&profile=small-trunk&format=pdf")"
echo "Usage CSV, small-trunk (10,000 calls):                   $(median "$U/usage?month=$MONTH&profile=small-trunk&format=csv")"
curl -sf -H "Authorization: Bearer $TOKEN" "$U/usage?month=$MONTH&profile=small-trunk&format=pdf" -o "$WORK/u.pdf"
echo "PDF pages: $(pdfinfo "$WORK/u.pdf" | awk '/^Pages/ {print $2}')"
