#!/usr/bin/env bash
# make bench-authorize: POST /v1/authorize under load on loopback (wrk, 50
# connections, 2 threads), beside the trivial Hummingbird JSON route the goal
# is stated against (`sipmeter-collector-bench trivial-server`: GET /json →
# {"message":"Hello, World!"}, a minimal Hummingbird app of the same build)
# and the collector's own GET /healthz, measured in the same run. The runs
# alternate (JSON route, authorize, healthz) for ROUNDS rounds, so that a
# phase of the machine touches every route alike. Call-IDs cycle through
# 1,000, so the authorizer holds a steady set of reservations; alice-trunk
# has credit and limits (channels, caps) so every check runs. Also printed:
# the collector's CPU per request (from /proc around each run).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
BIN=${BIN:-.build/release}
PORT=${PORT:-18934}
JSON_PORT=${JSON_PORT:-18935}
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-8}
WORK=$(mktemp -d)
SERVER=""
TRIVIAL=""
trap 'kill $SERVER $TRIVIAL 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
. Benchmarks/bench-collector-setup.sh
ctl limits set --member alice --channels 5000 --daily-cap 50000 --max-call-seconds 3600 >/dev/null
"$BIN/sipmeter-collector-bench" trivial-server --port "$JSON_PORT" &
TRIVIAL=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$JSON_PORT/json" >/dev/null && break; sleep 0.1; done
# The 1,000 requests are built once (init), so that wrk, which shares the
# cores, spends no more per request than on the GET routes.
cat > "$WORK/authorize.lua" <<LUA
local requests = {}
local n = 0
init = function(args)
  for i = 0, 999 do
    local body = '{"profile":"alice-trunk","caller":"1001","callee":"+442071234567","call_id":"c' .. i .. '"}'
    requests[i] = wrk.format("POST", "/v1/authorize", {["Authorization"] = "Bearer $(cat "$WORK/agent.token")", ["Content-Type"] = "application/json"}, body)
  end
end
request = function()
  n = (n + 1) % 1000
  return requests[n]
end
LUA
curl -sf -X POST -H "Authorization: Bearer $(cat "$WORK/agent.token")" -H "Content-Type: application/json" \
  -d '{"profile":"alice-trunk","caller":"1001","callee":"+442071234567","call_id":"probe"}' \
  "http://127.0.0.1:$PORT/v1/authorize" | grep -q '"allow":true' || { echo "authorize.sh: the probe call was not allowed" >&2; exit 1; }
# run PID URL [wrk args]: "RPS P99_MS CPU_US_PER_REQUEST"
run() {
  local pid=$1; shift
  local t0 t1 out
  t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  out=$(wrk -t2 -c50 -d"${SECONDS_PER_RUN}s" --latency "$@")
  if grep -q "Non-2xx" <<<"$out"; then echo "authorize.sh: some answers were not 2xx: $*" >&2; exit 1; fi
  t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  echo "$out" | awk -v cpu=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
    /Requests\/sec/ {rps = $2}
    / 99%/ {p = $2; if (p ~ /us$/) {sub(/us$/, "", p); p /= 1000} else if (p ~ /ms$/) {sub(/ms$/, "", p)} else if (p ~ /s$/) {sub(/s$/, "", p); p *= 1000}}
    /requests in/ {n = $1}
    END {printf "%.0f %.2f %.1f\n", rps, p, cpu * 1000000 / hz / n}'
}
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); wrk and the servers share them"
printf "%-6s %-28s %10s %9s %12s\n" round route requests/s "p99 ms" "server µs/req"
for r in $(seq 1 "$ROUNDS"); do
  read -r jr jp jc < <(run "$TRIVIAL" "http://127.0.0.1:$JSON_PORT/json")
  read -r ar ap ac < <(run "$SERVER" -s "$WORK/authorize.lua" "http://127.0.0.1:$PORT/v1/authorize")
  read -r hr hp hc < <(run "$SERVER" "http://127.0.0.1:$PORT/healthz")
  printf "%-6s %-28s %10s %9s %12s\n" "$r" "GET /json (trivial JSON)" "$jr" "$jp" "$jc"
  printf "%-6s %-28s %10s %9s %12s\n" "$r" "POST /v1/authorize" "$ar" "$ap" "$ac"
  printf "%-6s %-28s %10s %9s %12s\n" "$r" "GET /healthz (collector)" "$hr" "$hp" "$hc"
  awk -v a="$ar" -v j="$jr" -v h="$hr" 'BEGIN {printf "       authorize: %.0f%% of the trivial JSON route, %.0f%% of /healthz\n", 100 * a / j, 100 * a / h}'
done
echo "in process through the router (the path of a first-time token or a snapshot reload), one core, no sockets:"
"$BIN/sipmeter-collector-bench" respond --requests 100000 --rounds 1 | sed 's/^/  /'
