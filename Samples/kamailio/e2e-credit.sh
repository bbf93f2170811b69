#!/usr/bin/env bash
# End-to-end: Kamailio asks the sipmeter collector before every call, and the
# credit runs out in the middle of a run.
#
#   caller SIPp --> Kamailio (Samples/kamailio/kamailio.cfg) --> callee SIPp
#                      |  POST /v1/authorize             ^
#                      v                                 |
#                   sipmeter-collector  <-- records --  sipmeter-agent (follows
#                      |                                 Kamailio's sipdump files)
#                      +-- alerts --> webhook receiver (python http.server)
#
# Usage: Samples/kamailio/e2e-credit.sh BIN_DIR
#   BIN_DIR holds sipmeter-collector, sipmeterctl and sipmeter-agent
#   (e.g. .build/debug). Needs kamailio (+ http_client from
#   kamailio-utils-modules, json from kamailio-json-modules), sipp, curl,
#   python3. Everything runs on 127.0.0.1, in a scratch directory under
#   /dev/shm (kept when the run fails, or with KEEP_WORK=1).
#
# The run: credit for exactly CALLS_PAID calls of up to MAX_CALL_S seconds
# (the profile's max_call_seconds limit), CALLS calls started one every
# CALL_INTERVAL_MS, alternately "short" (the caller hangs up after 2 s) and
# "long" (held until Kamailio's dialog timeout sends BYE both ways at the
# authorized max_duration_s). Alert rules: low_balance at LOW_BALANCE,
# credit_exhausted.
#
# Why the max_call_seconds limit: an allowed call reserves the price of its
# max_duration_s until its record arrives. Without a limit, max_duration_s is
# "as long as the whole credit pays for", so the first call in progress
# reserves all of it and the calls that overlap it are refused, until its
# record arrives and frees the rest: 200s and 402s would alternate. With the
# limit, each call reserves exactly what it will be charged (London deck:
# 60 s minimum, 0.0190), so the first CALLS_PAID calls are allowed and every
# later one is refused, whatever the timing of the records.
#
# stdout: the summary, one "key value" line each:
#   calls_total, calls_200, calls_402, calls_other (503/500/unanswered),
#   first_402_index, last_200_index (SIPp call numbers, 1-based; 0 = none),
#   results (the per-call outcome in call order, e.g. 200,200,...,402),
#   ended_by_proxy, ended_by_caller (how the answered calls ended),
#   proxy_allowed, proxy_denied (from Kamailio's log), max_duration_s (the
#   distinct values Kamailio applied), records_rated (answered calls the
#   collector rated), records_total (all records, the refused calls too),
#   balance (alice's, at the end), webhook_lines,
#   webhook_low_balance_line, webhook_exhausted_line (1-based lines of the
#   receiver's file; 0 = never), webhook_signatures_ok, alerts_order,
#   invariants_ok (yes/no), elapsed_s.
# Exit status: 0 when the invariants hold (every 402 after the last 200, at
# least one of each, low_balance delivered before credit_exhausted, every
# 200 rated), 1 when they do not, 2 when the run itself could not be done.
set -euo pipefail
export LC_ALL=C

. "$(dirname "${BASH_SOURCE[0]}")/../e2e/reset-signals.sh"

START_S=$(date +%s.%N)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 BIN_DIR" >&2; exit 2; }
BIN=$(cd "$1" && pwd)

CALLS=${CALLS:-20}
CALLS_PAID=${CALLS_PAID:-7}
CALL_PRICE=0.0190          # 4420 (London) in Samples/rates.csv: 0.0190/min, 60 s minimum
MAX_CALL_S=${MAX_CALL_S:-4}
CALL_INTERVAL_MS=${CALL_INTERVAL_MS:-1000}
CALLEE=442071234567
SECRET=e2e-webhook-secret-0123456789

for b in sipmeter-collector sipmeterctl sipmeter-agent; do
  [ -x "$BIN/$b" ] || { echo "missing $BIN/$b" >&2; exit 2; }
done
for t in kamailio sipp curl python3; do
  command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }
done

SHM=/dev/shm
[ -d "$SHM" ] && [ -w "$SHM" ] || SHM=${TMPDIR:-/tmp}
WORK=$(mktemp -d "$SHM/sipmeter-e2e-credit.XXXXXX")
PIDS=()
OK=0

log() { printf '[e2e-credit %s] %s\n' "$(date +%H:%M:%S.%3N)" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

stop_pid() { # stop_pid PID [seconds]: TERM, wait, then KILL
  local pid=$1 secs=${2:-5} i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    # Kamailio's workers outlive a killed main process: take them too, by PID.
    local kids
    kids=$(pgrep -P "$pid" 2>/dev/null | tr '\n' ' ' || true)
    log "pid $pid did not stop, sending KILL (with its children: ${kids:-none})"
    kill -KILL "$pid" $kids 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? i
  # newest first: the caller and callee, Kamailio, the agent, then the collector
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" 8; done
  if [ "$rc" -eq 0 ] && [ -z "${KEEP_WORK:-}" ]; then rm -rf "$WORK"; else log "scratch kept in $WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- ports
# Five blocks of 8 ports, each free for both TCP and UDP on 127.0.0.1, from
# 25000-25999 (start at a random block so parallel runs rarely collide), or
# E2E_PORT_BASE, E2E_PORT_BASE+10, ... when given. A SIPp at port P uses
# P (SIP) and P+2, P+4 (its RTP echo sockets for audio and video).
if [ -n "${E2E_PORT_BASE:-}" ]; then
  read -r P_COLL P_HOOK P_KAM P_UAS P_UAC <<<"$(for i in 0 1 2 3 4; do printf '%d ' $((E2E_PORT_BASE + 10 * i)); done)"
else
  read -r P_COLL P_HOOK P_KAM P_UAS P_UAC <<<"$(python3 - <<'EOF'
import random, socket
bases = list(range(25000, 26000 - 8, 8))
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
    if len(out) == 5:
        break
print(" ".join(map(str, out)))
EOF
)"
fi
[ -n "${P_UAC:-}" ] || die "no free ports in 25000-25999"
URL=http://127.0.0.1:$P_COLL
log "work $WORK; collector :$P_COLL hook :$P_HOOK kamailio :$P_KAM callee :$P_UAS caller :$P_UAC"

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

# ---------------------------------------------------------------- collector
mkdir -p "$WORK/kamailio/run" "$WORK/kamailio/dump"
"$BIN/sipmeter-collector" init --db "$WORK/collector.db" --group acme >"$WORK/init.out" 2>"$WORK/init.err" ||
  die "collector init failed: $(cat "$WORK/init.err")"
tail -n 1 "$WORK/init.out" >"$WORK/admin.token"
"$BIN/sipmeter-collector" serve --db "$WORK/collector.db" --listen "127.0.0.1:$P_COLL" --log-level warning \
  >"$WORK/collector.log" 2>&1 &
PIDS+=($!)
wait_tcp "$P_COLL" 20 "${PIDS[-1]}" || die "the collector did not start; see $WORK/collector.log"
for ((i = 0; i < 50; i++)); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done

# ---------------------------------------------------------------- webhook receiver
cat >"$WORK/hook.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        with open(sys.argv[2], 'a') as f:
            f.write(self.headers.get('X-Sipmeter-Signature', '') + '\t' + body.decode() + '\n')
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
EOF
: >"$WORK/webhook.txt"
python3 "$WORK/hook.py" "$P_HOOK" "$WORK/webhook.txt" >"$WORK/hook.log" 2>&1 &
PIDS+=($!)
wait_tcp "$P_HOOK" 10 "${PIDS[-1]}" || die "the webhook receiver did not start"

# ---------------------------------------------------------------- seed
ctl() { "$BIN/sipmeterctl" "$@" --url "$URL" --token-file "$WORK/admin.token"; }
put() { # put PATH JSON
  curl -sf -X PUT -H "Authorization: Bearer $(cat "$WORK/admin.token")" -H 'Content-Type: application/json' \
    --data "$2" "$URL$1" >/dev/null || die "PUT $1 failed"
}
CREDIT=$(python3 -c "from decimal import Decimal as D; print(D('$CALL_PRICE') * $CALLS_PAID)")
LOW_BALANCE=$(python3 -c "from decimal import Decimal as D; print((D('$CREDIT') / 2 + D('0.0035')).quantize(D('0.0001')))")
{
  ctl rates import standard "$ROOT/Samples/rates.csv"
  ctl members add alice
  ctl profiles add alice-trunk --member alice --rate-deck standard
  ctl purchase 10
  ctl allocate --member alice "$CREDIT"
  ctl limits set --profile alice-trunk --max-call-seconds "$MAX_CALL_S"
  ctl agents add kamailio --profile alice-trunk >"$WORK/agent.out"
} >"$WORK/seed.log" 2>&1 || die "seeding failed; see $WORK/seed.log"
tail -n 1 "$WORK/agent.out" >"$WORK/agent.token"
put /v1/webhook "{\"url\":\"http://127.0.0.1:$P_HOOK/alerts\",\"secret\":\"$SECRET\"}"
put /v1/alert-rules "{\"rules\":[{\"type\":\"low_balance\",\"amount\":\"$LOW_BALANCE\"},{\"type\":\"credit_exhausted\"}]}"
log "alice holds $CREDIT ($CALLS_PAID calls of $CALL_PRICE); low_balance below $LOW_BALANCE; max call ${MAX_CALL_S}s"

# ---------------------------------------------------------------- Kamailio
kamailio -f "$HERE/kamailio.cfg" -DD -E -m 64 -M 8 -Y "$WORK/kamailio/run" -w "$WORK/kamailio" \
  -A "LISTEN=udp:127.0.0.1:$P_KAM" \
  -A "SIPMETER_URL=\"$URL\"" \
  -A "SIPMETER_TOKEN=\"$(cat "$WORK/agent.token")\"" \
  -A 'SIPMETER_PROFILE="alice-trunk"' \
  -A "SIPMETER_NEXT_HOP=\"sip:127.0.0.1:$P_UAS\"" \
  -A WITH_SIPDUMP -A "SIPDUMP_FOLDER=\"$WORK/kamailio/dump\"" \
  >"$WORK/kamailio/kamailio.log" 2>&1 &
PIDS+=($!)
wait_udp "$P_KAM" 15 "${PIDS[-1]}" || die "Kamailio did not start; see $WORK/kamailio/kamailio.log"
# sipdump creates its file with the first message, and the agent wants its
# glob to match a file when it starts: ping Kamailio with OPTIONS until it
# answers (which also shows it is ready), then wait for the file.
python3 - "$P_KAM" "$P_UAC" <<'EOF' || die "Kamailio does not answer OPTIONS; see $WORK/kamailio/kamailio.log"
import socket, sys
kam, port = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(0.5)
for i in range(20):
    msg = (f"OPTIONS sip:127.0.0.1:{kam} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-e2e-ping-{i};rport\r\n"
           "Max-Forwards: 70\r\n"
           f"From: <sip:e2e-ping@127.0.0.1>;tag=ping{i}\r\n"
           f"To: <sip:127.0.0.1:{kam}>\r\n"
           f"Call-ID: e2e-ping-{i}@127.0.0.1\r\n"
           "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
    s.sendto(msg.encode(), ("127.0.0.1", kam))
    try:
        if s.recv(4096).startswith(b"SIP/2.0 200"):
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
EOF
for ((i = 0; i < 50; i++)); do
  compgen -G "$WORK/kamailio/dump/*.data" >/dev/null && break
  sleep 0.1
done
compgen -G "$WORK/kamailio/dump/*.data" >/dev/null || die "Kamailio wrote no sipdump file"

# ---------------------------------------------------------------- agent
cat >"$WORK/agent.yaml" <<EOF
agent:
  name: kamailio
collector:
  urls:
    - $URL
  token_file: $WORK/agent.token
  batch_size: 100
  batch_interval_ms: 200
profiles:
  - name: alice-trunk
    from_users: [alice-trunk]
sources:
  - name: kamailio
    type: text
    paths:
      - "$WORK/kamailio/dump/*.data"
    format: sipdump
    from_start: true
spool:
  path: $WORK/agent.db
poll_interval_ms: 100
idle_flush_ms: 200
reorder_window_ms: 200
EOF
"$BIN/sipmeter-agent" run --config "$WORK/agent.yaml" --log-level warning >"$WORK/agent.log" 2>&1 &
PIDS+=($!)
sleep 0.5
kill -0 "${PIDS[-1]}" 2>/dev/null || die "the agent did not start; see $WORK/agent.log"

# ---------------------------------------------------------------- SIPp
sipp -sf "$HERE/sipmeter-uas.xml" -i 127.0.0.1 -p "$P_UAS" -mp $((P_UAS + 2)) \
  -nostdin -trace_err -error_file "$WORK/uas.errors.log" -timeout 120s \
  </dev/null >"$WORK/uas.screen.log" 2>&1 &
PIDS+=($!)
wait_udp "$P_UAS" 10 "${PIDS[-1]}" || die "the callee SIPp did not start; see $WORK/uas.screen.log"

{
  echo SEQUENTIAL
  for ((i = 1; i <= CALLS; i++)); do
    if ((i % 2)); then echo "alice-trunk;$CALLEE;short"; else echo "alice-trunk;$CALLEE;long"; fi
  done
} >"$WORK/calls.csv"
log "caller: $CALLS calls, one every ${CALL_INTERVAL_MS} ms"
sipp "127.0.0.1:$P_KAM" -sf "$HERE/sipmeter-uac.xml" -inf "$WORK/calls.csv" -i 127.0.0.1 -p "$P_UAC" \
  -mp $((P_UAC + 2)) -m "$CALLS" -r 1 -rp "$CALL_INTERVAL_MS" -l "$CALLS" \
  -nostdin -trace_err -error_file "$WORK/uac.errors.log" -trace_logs -log_file "$WORK/uac.calls.log" \
  -timeout 75s -timeout_error </dev/null >"$WORK/uac.screen.log" 2>&1 &
UAC=$!
PIDS+=("$UAC")
UAC_RC=0
wait "$UAC" || UAC_RC=$?
[ "$UAC_RC" -le 1 ] || die "caller SIPp exited with $UAC_RC; see $WORK/uac.screen.log"
# SIPp exits 1 when a call failed (e.g. an unexpected message); the per-call
# log below shows which.
[ "$UAC_RC" -eq 0 ] || log "caller SIPp exited with 1 (some call failed); see $WORK/uac.errors.log"

# ---------------------------------------------------------------- results
declare -A RESULT=()
ENDED_PROXY=0
ENDED_CALLER=0
while read -r _ n what; do
  case $what in
    200 | 402 | 503 | 500) RESULT[$n]=$what ;;
    bye_by_proxy) ENDED_PROXY=$((ENDED_PROXY + 1)) ;;
    bye_by_caller) ENDED_CALLER=$((ENDED_CALLER + 1)) ;;
  esac
done < <(grep '^call ' "$WORK/uac.calls.log" 2>/dev/null || true)
N200=0 N402=0 NOTHER=0 FIRST402=0 LAST200=0 RESULTS=""
for ((i = 1; i <= CALLS; i++)); do
  r=${RESULT[$i]:-none}
  RESULTS+="${RESULTS:+,}$r"
  case $r in
    200) N200=$((N200 + 1)); LAST200=$i ;;
    402) N402=$((N402 + 1)); [ "$FIRST402" -gt 0 ] || FIRST402=$i ;;
    *) NOTHER=$((NOTHER + 1)) ;;
  esac
done

# Wait (bounded) for every answered call's record and for both alerts.
auth=(-H "Authorization: Bearer $(cat "$WORK/admin.token")")
records() { # prints: answered calls rated with a price, all records
  curl -sf "${auth[@]}" "$URL/v1/calls?month=$(date -u +%Y-%m)&limit=1000" |
    python3 -c 'import json,sys
calls = json.load(sys.stdin).get("calls", [])
print(sum(1 for c in calls if c.get("disposition") == "answered" and c.get("price") is not None), len(calls))' 2>/dev/null ||
    echo 0 0
}
RATED=0 RECORDS=0
for ((i = 0; i < 200; i++)); do
  read -r RATED RECORDS <<<"$(records)"
  if [ "$RATED" -ge "$N200" ] && [ "$RECORDS" -ge "$CALLS" ] && grep -q '"credit_exhausted"' "$WORK/webhook.txt"; then
    break
  fi
  sleep 0.1
done
BALANCE=$(curl -sf "${auth[@]}" "$URL/v1/balances" |
  python3 -c 'import json,sys; b=json.load(sys.stdin); print(next((m["balance"] for m in b.get("members", []) if m.get("name") == "alice"), "?"))' 2>/dev/null || echo "?")

read -r HOOK_LINES LOW_LINE EXH_LINE SIG_OK ORDER <<<"$(python3 - "$WORK/webhook.txt" "$SECRET" <<'EOF'
import hashlib, hmac, json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
low = exh = ok = 0
order = []
for i, line in enumerate(lines, 1):
    sig, _, body = line.partition("\t")
    want = "sha256=" + hmac.new(sys.argv[2].encode(), body.encode(), hashlib.sha256).hexdigest()
    ok += sig == want
    try:
        kind = json.loads(body).get("type", "?")
    except ValueError:
        kind = "?"
    order.append(kind)
    if kind == "low_balance" and not low:
        low = i
    if kind == "credit_exhausted" and not exh:
        exh = i
print(len(lines), low, exh, ok, ",".join(order) or "none")
EOF
)"

KLOG=$WORK/kamailio/kamailio.log
ALLOWED=$(grep -c 'sipmeter: allowed for at most' "$KLOG" || true)
DENIED=$(grep -c 'sipmeter: denied' "$KLOG" || true)
MAXD=$({ grep -o 'allowed for at most [0-9]* s' "$KLOG" || true; } | awk '{print $5}' | sort -un | paste -sd, -)

INV=yes
[ "$N200" -ge 1 ] && [ "$N402" -ge 1 ] || INV=no
[ "$FIRST402" -gt "$LAST200" ] || INV=no
[ "$LOW_LINE" -ge 1 ] && [ "$EXH_LINE" -gt "$LOW_LINE" ] || INV=no
[ "$RATED" -eq "$N200" ] || INV=no

END_S=$(date +%s.%N)
cat <<EOF
calls_total $((N200 + N402 + NOTHER))
calls_200 $N200
calls_402 $N402
calls_other $NOTHER
first_402_index $FIRST402
last_200_index $LAST200
results $RESULTS
ended_by_proxy $ENDED_PROXY
ended_by_caller $ENDED_CALLER
proxy_allowed $ALLOWED
proxy_denied $DENIED
max_duration_s ${MAXD:-none}
records_rated $RATED
records_total $RECORDS
balance $BALANCE
webhook_lines $HOOK_LINES
webhook_low_balance_line $LOW_LINE
webhook_exhausted_line $EXH_LINE
webhook_signatures_ok $SIG_OK
alerts_order $ORDER
invariants_ok $INV
elapsed_s $(python3 -c "print(round($END_S - $START_S, 1))")
EOF
[ "$INV" = yes ] || exit 1
