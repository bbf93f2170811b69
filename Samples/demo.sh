#!/usr/bin/env bash
# make demo, collector part: starts sipmeter-collector on a fresh SQLite file
# in a temporary folder, seeds a group, members, SIP Profiles, a rate deck and
# a bundle with sipmeterctl, sends it the records the agent made from the
# sample traces (twice: the second time they are all duplicates), prints
# balances and rated calls, and stops the collector.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/debug}
PORT=${PORT:-18080}
WORK=$(mktemp -d)
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== sipmeter-collector init (SQLite in $WORK) =="
$BIN/sipmeter-collector init --db "$WORK/collector.db" --group "Demo Ltd" --currency USD | tee "$WORK/init.out"
tail -1 "$WORK/init.out" > "$WORK/admin.token"
$BIN/sipmeter-collector serve --db "$WORK/collector.db" --listen "127.0.0.1:$PORT" --log-level warning &
SERVER=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { echo "the collector did not start (is port $PORT free? set PORT=...)" >&2; exit 1; }
  sleep 0.1
done
ctl() { "$BIN/sipmeterctl" "$@" --url "http://127.0.0.1:$PORT" --token-file "$WORK/admin.token"; }

echo
echo "== seed: rate deck, members, SIP Profiles, credit, a bundle, an agent =="
ctl rates import standard Samples/rates.csv
ctl members add alice --kind business >/dev/null
ctl members add bob --kind personal >/dev/null
ctl profiles add alice-trunk --member alice --rate-deck standard >/dev/null
ctl profiles add bob-trunk --member bob --rate-deck standard >/dev/null
ctl purchase 50 --reference "INV-2026-001" >/dev/null
ctl allocate --member alice 20 >/dev/null
ctl allocate --member bob 5 >/dev/null
ctl allocate --profile bob-trunk 2.50 >/dev/null
ctl bundles add alice-trunk london --minutes 1 --prefix 4420 >/dev/null
ctl agents add demo-agent --profile alice-trunk --profile bob-trunk | tail -1 > "$WORK/agent.token"
ctl profiles

echo
echo "== the agent's records from the sample traces, sent twice =="
TRACES=""
for t in basic busy-fail auth cancel early-media reinvite callee-bye no-bye fork tcp retrans ipv6; do
  TRACES="$TRACES Samples/traces/$t.pcap"
done
# shellcheck disable=SC2086
$BIN/sipmeter-agent parse --profiles Samples/profiles.yaml $TRACES 2>/dev/null > "$WORK/records.jsonl"
agent() { "$BIN/sipmeterctl" "$@" --url "http://127.0.0.1:$PORT" --token-file "$WORK/agent.token"; }
agent records send "$WORK/records.jsonl" | tail -1
agent records send "$WORK/records.jsonl" | tail -1

MONTH=$(head -1 "$WORK/records.jsonl" | sed -E 's/.*"setup_time":"([0-9]{4}-[0-9]{2}).*/\1/')
echo
echo "== balances =="
ctl balances
echo
echo "== rated calls of $MONTH (alice-trunk) =="
ctl calls --month "$MONTH" --profile alice-trunk --all
echo
echo "== bundles =="
ctl bundles --month "$MONTH"

echo
echo "== Summary report, $MONTH =="
ctl report summary --month "$MONTH"
OUT=${DEMO_OUT:-demo-reports}
mkdir -p "$OUT"
echo
echo "== Usage report of alice-trunk, $MONTH (CSV and PDF written to $OUT/) =="
ctl report usage --profile alice-trunk --month "$MONTH"
ctl report usage --profile alice-trunk --month "$MONTH" --format csv --out "$OUT/usage-alice-trunk-$MONTH.csv"
ctl report usage --profile alice-trunk --month "$MONTH" --format pdf --out "$OUT/usage-alice-trunk-$MONTH.pdf"
echo
echo "bob has a personal account: his call detail needs his consent first:"
ctl report usage --profile bob-trunk --month "$MONTH" 2>&1 | tail -1 || true
echo
echo "Dashboard: while a collector serves this database, open http://127.0.0.1:$PORT/ and sign in with the admin token"
echo "(the demo's collector stops now; 'sipmeter-collector serve --db FILE --listen 127.0.0.1:$PORT' serves one)."
