# Sourced by the agent benchmarks: starts a release collector on $PORT with
# its database in $WORK, seeds alice-trunk with credit and writes an agent
# token to $WORK/agent.token. Sets SERVER to the collector's pid.
$BIN/sipmeter-collector init --db "$WORK/collector.db" --group bench | tail -1 > "$WORK/admin.token"
$BIN/sipmeter-collector serve --db "$WORK/collector.db" --listen 127.0.0.1:$PORT --log-level warning &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
ctl() { "$BIN/sipmeterctl" "$@" --url "http://127.0.0.1:$PORT" --token-file "$WORK/admin.token"; }
ctl rates import standard Samples/rates.csv >/dev/null
ctl members add alice >/dev/null
ctl profiles add alice-trunk --member alice --rate-deck standard >/dev/null
ctl purchase 1000000 >/dev/null
ctl allocate --member alice 100000 >/dev/null
ctl agents add bench --profile alice-trunk | tail -1 > "$WORK/agent.token"
