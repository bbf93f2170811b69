#!/usr/bin/env bash
# make bench-collector: 1,000,000 records over HTTP in batches of 1,000 from
# 4 concurrent clients into a fresh SQLite file (release build), each rated
# and charged; rate lookups/s on a 50,000-prefix deck; database size.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${RECORDS:-1000000}
BIN=${BIN:-.build/release}
PORT=${PORT:-18931}
WORK=$(mktemp -d)
SERVER=""
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

$BIN/sipmeter-collector-bench lookup --prefixes 50000

$BIN/sipmeter-collector-bench deck --prefixes 50000 "$WORK/deck.csv"
$BIN/sipmeter-collector init --db "$WORK/collector.db" --group bench --currency USD | tail -1 > "$WORK/admin.token"
# PERF=FILE records a CPU profile of the collector (perf, software clock).
${PERF:+perf record -e cpu-clock -F 499 -g -o "$PERF" --} $BIN/sipmeter-collector serve --db "$WORK/collector.db" --listen 127.0.0.1:$PORT --log-level warning 2>"$WORK/collector.log" &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
ctl() { "$BIN/sipmeterctl" "$@" --url "http://127.0.0.1:$PORT" --token-file "$WORK/admin.token"; }
ctl rates import standard "$WORK/deck.csv" >/dev/null
ctl purchase 1000000 >/dev/null
for m in 1 2 3 4; do
  ctl members add "member$m" >/dev/null
  ctl profiles add "trunk$m" --member "member$m" --rate-deck standard >/dev/null
  ctl allocate --member "member$m" 100000 >/dev/null
done
ctl bundles add trunk1 uk --minutes 100000 --prefix 44 >/dev/null
ctl agents add bench --profile trunk1 --profile trunk2 --profile trunk3 --profile trunk4 | tail -1 > "$WORK/agent.token"

/usr/bin/time -f "collector client: %e s wall, %U s user, %S s sys, %M KiB max RSS" \
  $BIN/sipmeter-collector-bench ingest --url "http://127.0.0.1:$PORT" --token-file "$WORK/agent.token" \
  --profiles trunk1,trunk2,trunk3,trunk4 --records "$RECORDS" --batch 1000 --clients 4 ${GZIP:+--gzip}
ps -o rss=,cputime= -p $SERVER | awk '{printf "collector RSS after ingest: %d MiB, CPU time since start: %s\n", $1/1024, $2}'
ctl balances
kill -TERM $SERVER; wait $SERVER 2>/dev/null || true
size=$(du -b "$WORK/collector.db" | cut -f1)
echo "database: $((size / 1048576)) MiB for $RECORDS calls ($((size / RECORDS)) bytes per call)"
