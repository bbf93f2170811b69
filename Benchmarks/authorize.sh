#!/usr/bin/env bash
# make bench-authorize: POST /v1/authorize under load on loopback (wrk, 50
# connections, 2 threads, 10 s), beside GET /healthz (a trivial route of the
# same server) measured in the same run. Call-IDs cycle through 1,000, so the
# authorizer holds a steady set of reservations; alice-trunk has credit and
# limits (channels, caps) so every check runs.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
BIN=${BIN:-.build/release}
PORT=${PORT:-18934}
WORK=$(mktemp -d)
SERVER=""
trap 'kill $SERVER 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
. Benchmarks/bench-collector-setup.sh
ctl limits set --member alice --channels 5000 --daily-cap 50000 --max-call-seconds 3600 >/dev/null
cat > "$WORK/authorize.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  local body = '{"profile":"alice-trunk","caller":"1001","callee":"+442071234567","call_id":"c' .. (n % 1000) .. '"}'
  return wrk.format("POST", "/v1/authorize", {["Authorization"] = "Bearer $(cat "$WORK/agent.token")", ["Content-Type"] = "application/json"}, body)
end
LUA
run() { wrk -t2 -c50 -d10s --latency "$@" | awk '/Requests\/sec/ {rps=$2} / 99%/ {p99=$2} END {print rps " requests/s, p99 " p99}'; }
echo "machine: $(nproc) cores; wrk and the collector share them"
echo "GET /healthz:        $(run "http://127.0.0.1:$PORT/healthz")"
echo "POST /v1/authorize:  $(run -s "$WORK/authorize.lua" "http://127.0.0.1:$PORT/v1/authorize")"
echo "GET /healthz:        $(run "http://127.0.0.1:$PORT/healthz")"
