#!/usr/bin/env bash
# Regenerates the real SIP sample traces in this folder.
#
#   caller SIPp (127.0.0.1:5080, or TCP from an ephemeral port, or [::1]:5080)
#     -> Kamailio (stateful: tm, record_route) on 127.0.0.1:5060 (udp+tcp), [::1]:5060
#     -> callee SIPp on 127.0.0.1:5070 (fork branch B: 127.0.0.1:5071)
#
# For every scenario it starts Kamailio (config kamailio/kamailio.cfg, sipdump
# text mode on), a dumpcap capture on lo, the callee SIPp(s) and the caller SIPp
# (scenario XML in scenarios/), then stops everything by PID and writes
#   <name>.pcap  <name>.sipp.log  <name>.sipdump.txt  expected/<name>.tsv
# plus basic.pcapng, the gzip copies and the converted text-format samples.
#
# Usage: Samples/traces/make-traces.sh [scenario ...]   (default: all)
# Needs: sipp (sip-tester), kamailio, dumpcap/tshark/editcap/capinfos, python3.
# Must run as root (or with capture rights on lo). Runs with TZ=UTC.
set -euo pipefail
export TZ=UTC LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE
SCN=$HERE/scenarios
KCFG=$HERE/kamailio/kamailio.cfg
WORK=$(mktemp -d "${TMPDIR_TRACES:-/dev/shm}/sipmeter-traces.XXXXXX")

CAPFILTER='((udp or tcp) and (port 5060 or port 5070 or port 5071 or port 5080)) or (udp port 5999)'
PROBE_PORT=5999
SIPP_COMMON=(-nostdin -trace_err -timeout 60s -timeout_error -max_recv_loops 1000)

PIDS=()     # every process we start; cleanup stops the ones still alive, by PID

log() { printf '[make-traces %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

stop_pid() { # stop_pid PID [seconds]: TERM, wait up to N s, then KILL
  local pid=$1 secs=${2:-5} i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not stop, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid" 3; done
  if [ "$rc" -eq 0 ] && [ -z "${KEEP_WORK:-}" ]; then rm -rf "$WORK"; else log "scratch kept in $WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_pid() { # wait_pid PID seconds: wait for a process to exit by itself; returns its status
  local pid=$1 secs=$2 i rc=0
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid still running after ${secs}s, stopping it"
    stop_pid "$pid" 3
    return 124
  fi
  wait "$pid" || rc=$?
  return "$rc"
}

wait_listen() { # wait_listen proto addr:port seconds
  local proto=$1 addr=$2 secs=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    ss -ln"${proto:0:1}" 2>/dev/null | awk '{print $4}' | grep -qxF "$addr" && return 0
    sleep 0.1
  done
  die "nothing listens on $proto $addr after ${secs}s"
}

# ---------------------------------------------------------------- Kamailio
KAM_PID=
start_kamailio() { # start_kamailio NAME [-A DEFINE ...]
  local name=$1; shift
  local dir=$WORK/$name/kamailio
  mkdir -p "$dir/run" "$dir/dump"
  kamailio -f "$KCFG" -DD -E -m 64 -M 8 -Y "$dir/run" -w "$dir" \
    -A "SIPDUMP_FOLDER=\"$dir/dump\"" "$@" >"$dir/kamailio.log" 2>&1 &
  KAM_PID=$!
  PIDS+=("$KAM_PID")
  wait_listen udp 127.0.0.1:5060 10
  wait_listen tcp 127.0.0.1:5060 10
  wait_listen udp '[::1]:5060' 10
}
stop_kamailio() { # stop_kamailio NAME: let sipdump flush, stop, collect the text dump
  local name=$1 dir=$WORK/$1/kamailio
  sleep 1
  stop_pid "$KAM_PID" 10
  KAM_PID=
  local files=("$dir"/dump/*.data)
  [ -e "${files[0]}" ] || die "no sipdump file for $name"
  cat "${files[@]}" >"$OUT/$name.sipdump.txt"
}

# ---------------------------------------------------------------- capture
CAP_PID=
start_capture() { # start_capture FILE (pcapng; probe datagrams until dumpcap really captures)
  local file=$1 i n=0
  dumpcap -i lo -f "$CAPFILTER" -w "$file" -q >"$file.dumpcap.log" 2>&1 &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  for ((i = 0; i < 100; i++)); do
    printf 'sipmeter-capture-probe %d\n' "$i" >/dev/udp/127.0.0.1/$PROBE_PORT 2>/dev/null || true
    sleep 0.2
    n=$(capinfos -c -M "$file" 2>/dev/null | awk '/Number of packets/ {print $NF}') || n=0
    [ "${n:-0}" -gt 0 ] && break
  done
  [ "${n:-0}" -gt 0 ] || die "dumpcap on lo captured nothing after 20 s"
}
stop_capture() { # stop_capture RAWFILE NAME: stop, drop the probes, write NAME.pcap
  local raw=$1 name=$2
  sleep 0.5
  stop_pid "$CAP_PID" 10
  CAP_PID=
  # drop the warm-up probes; keep SIP only
  tshark -r "$raw" -Y "not udp.port == $PROBE_PORT" -F pcapng -w "$raw.sip.pcapng" 2>/dev/null
  editcap -F pcap "$raw.sip.pcapng" "$OUT/$name.pcap"
}

# ---------------------------------------------------------------- SIPp
UAS_PIDS=()
start_uas() { # start_uas NAME TAG SCENARIO PORT CALLS [extra sipp args...]
  local name=$1 tag=$2 sf=$3 port=$4 calls=$5; shift 5
  local d=$WORK/$name
  local host=127.0.0.1
  [ "${SIPP_IPV6:-}" = 1 ] && host=::1
  sipp -sf "$SCN/$sf" -i "$host" -p "$port" -mp $((port + 10000)) -m "$calls" \
    "${SIPP_COMMON[@]}" -trace_msg -message_file "$d/$tag.messages.log" \
    -error_file "$d/$tag.errors.log" "$@" </dev/null >"$d/$tag.screen.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid"); UAS_PIDS+=("$pid")
  if [ "$host" = ::1 ]; then wait_listen udp "[::1]:$port" 10; else wait_listen udp "127.0.0.1:$port" 10; fi
}
run_uac() { # run_uac NAME TAG SCENARIO CSVFILE CALLS [extra sipp args...]
  local name=$1 tag=$2 sf=$3 csv=$4 calls=$5; shift 5
  local d=$WORK/$name rc=0 pid
  local host=127.0.0.1 remote=127.0.0.1:5060
  [ "${SIPP_IPV6:-}" = 1 ] && { host=::1; remote='[::1]:5060'; }
  sipp "$remote" -sf "$SCN/$sf" -inf "$csv" -i "$host" -p 5080 -mp 16000 -m "$calls" -r 2 -rp 1000 \
    "${SIPP_COMMON[@]}" -trace_msg -message_file "$d/$tag.messages.log" \
    -error_file "$d/$tag.errors.log" "$@" </dev/null >"$d/$tag.screen.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_pid "$pid" 90 || rc=$?
  [ "$rc" -eq 0 ] || die "caller SIPp ($name/$tag) exited with $rc; see $d/$tag.screen.log $d/$tag.errors.log"
  for pid in "${UAS_PIDS[@]}"; do
    rc=0; wait_pid "$pid" 30 || rc=$?
    [ "$rc" -eq 0 ] || die "callee SIPp ($name) exited with $rc; see $d/*.screen.log"
  done
  UAS_PIDS=()
  cat "$d/$tag.messages.log" >>"$d/caller.sipp.log"
}

csv() { # csv NAME TAG LINES...: write a SEQUENTIAL -inf file (caller;callee;hold_ms)
  local f=$WORK/$1/$2.csv; shift 2
  { echo SEQUENTIAL; printf '%s\n' "$@"; } >"$f"
  echo "$f"
}

begin() { # begin NAME [kamailio defines...]
  local name=$1; shift
  log "scenario $name"
  mkdir -p "$WORK/$name"
  rm -f "$OUT/$name.pcap" "$OUT/$name.sipp.log" "$OUT/$name.sipdump.txt" "$OUT/expected/$name.tsv"
  start_kamailio "$name" "$@"
  start_capture "$WORK/$name/raw.pcapng"
}
finish() { # finish NAME
  local name=$1
  stop_capture "$WORK/$name/raw.pcapng" "$name"
  stop_kamailio "$name"
  cp "$WORK/$name/caller.sipp.log" "$OUT/$name.sipp.log"
  python3 "$HERE/expected.py" "$OUT/$name.pcap" >"$OUT/expected/$name.tsv"
}

# check NAME DISPOSITION=COUNT ... : the scenario plan, checked against expected/NAME.tsv
check() {
  local name=$1; shift
  python3 "$HERE/expected.py" --check "$OUT/expected/$name.tsv" "$@" || die "$name: capture does not match the plan ($*)"
}

# ---------------------------------------------------------------- scenarios
A=alice-trunk
B=bob-trunk

sc_basic() {
  begin basic
  start_uas basic callee uas_answer.xml 5070 5
  run_uac basic caller uac_basic.xml "$(csv basic caller \
    "$A;442071234567;1500" "$A;+15551230001;1000" "$A;442079460018;2000" \
    "$A;+15551230002;1200" "$A;33142685300;1800")" 5
  finish basic
  check basic answered=5 ended_by:caller=5
  # pcapng variant: the same packets
  tshark -r "$WORK/basic/raw.pcapng.sip.pcapng" -F pcapng -w "$OUT/basic.pcapng" 2>/dev/null
}

sc_busy_fail() {
  begin busy-fail
  start_uas busy-fail callee486 uas_busy.xml 5070 3
  run_uac busy-fail caller486 uac_fail.xml "$(csv busy-fail c486 \
    "$A;442071234501;0" "$A;+15551230011;0" "$A;442071234502;0")" 3
  start_uas busy-fail callee503 uas_unavailable.xml 5070 3
  run_uac busy-fail caller503 uac_fail.xml "$(csv busy-fail c503 \
    "$A;442071234503;0" "$A;+15551230012;0" "$A;442071234504;0")" 3
  finish busy-fail
  check busy-fail busy=3 congestion=3
}

sc_auth() {
  begin auth -A WITH_AUTH
  start_uas auth callee uas_answer.xml 5070 3
  run_uac auth caller uac_auth.xml "$(csv auth caller \
    "$A;442071234567;1000" "$A;+15551230021;1500" "$A;442071234568;1200")" 3 \
    -au "$A" -ap secret
  finish auth
  check auth answered=3 ended_by:caller=3
}

sc_cancel() {
  begin cancel
  start_uas cancel callee-ring uas_ring_noanswer.xml 5070 3
  run_uac cancel caller-ring uac_cancel_ring.xml "$(csv cancel ring \
    "$A;442071234531;0" "$A;+15551230031;0" "$A;442071234532;0")" 3
  start_uas cancel callee-early uas_trying_noanswer.xml 5070 2
  run_uac cancel caller-early uac_cancel_early.xml "$(csv cancel early \
    "$A;442071234533;0" "$A;+15551230032;0")" 2
  finish cancel
  check cancel no_answer=3 cancelled=2 ended_by:caller=5
}

sc_early_media() {
  begin early-media
  start_uas early-media callee uas_early_media.xml 5070 2
  run_uac early-media caller uac_basic.xml "$(csv early-media caller \
    "$A;442071234541;1000" "$A;+15551230041;1000")" 2
  finish early-media
  check early-media answered=2 ended_by:caller=2
}

sc_reinvite() {
  begin reinvite
  start_uas reinvite callee uas_reinvite.xml 5070 2
  run_uac reinvite caller uac_reinvite.xml "$(csv reinvite caller \
    "$A;442071234551;1000" "$A;+15551230051;1000")" 2
  finish reinvite
  check reinvite answered=2 ended_by:caller=2
}

sc_callee_bye() {
  begin callee-bye
  start_uas callee-bye callee uas_callee_bye.xml 5070 3
  run_uac callee-bye caller uac_callee_bye.xml "$(csv callee-bye caller \
    "$A;442071234561;0" "$A;+15551230061;0" "$A;442071234562;0")" 3
  finish callee-bye
  check callee-bye answered=3 ended_by:callee=3
}

sc_no_bye() {
  begin no-bye
  start_uas no-bye callee-timer uas_nobye_timer.xml 5070 2
  run_uac no-bye caller-timer uac_nobye_timer.xml "$(csv no-bye timer \
    "$A;442071234571;0" "$A;+15551230071;0")" 2
  start_uas no-bye callee-plain uas_nobye.xml 5070 1
  run_uac no-bye caller-plain uac_nobye.xml "$(csv no-bye plain "$A;442071234572;0")" 1
  finish no-bye
  check no-bye answered=3 ended_by:timeout=3
}

sc_fork() {
  begin fork -A WITH_FORK
  start_uas fork calleeA uas_ring_noanswer.xml 5070 2
  start_uas fork calleeB uas_answer_late.xml 5071 2
  run_uac fork caller uac_basic.xml "$(csv fork caller \
    "$A;442071234581;1000" "$A;+15551230081;1000")" 2
  finish fork
  check fork answered=2 ended_by:caller=2
}

sc_tcp() {
  begin tcp
  start_uas tcp callee uas_answer.xml 5070 3
  run_uac tcp caller uac_basic.xml "$(csv tcp caller \
    "$B;442071234591;1000" "$B;+15551230091;1500" "$B;442071234592;1000")" 3 -t t1
  finish tcp
  check tcp answered=3 ended_by:caller=3
}

sc_retrans() {
  begin retrans -A WITH_NO100
  start_uas retrans callee uas_silent_then_answer.xml 5070 2
  run_uac retrans caller uac_basic.xml "$(csv retrans caller \
    "$A;442071234511;1000" "$A;+15551230111;1000")" 2
  finish retrans
  check retrans answered=2 ended_by:caller=2
}

sc_ipv6() {
  begin ipv6
  SIPP_IPV6=1 start_uas ipv6 callee uas_answer.xml 5070 2
  SIPP_IPV6=1 run_uac ipv6 caller uac_basic.xml "$(csv ipv6 caller \
    "$B;442071234521;1000" "$B;+15551230121;1000")" 2
  finish ipv6
  check ipv6 answered=2 ended_by:caller=2
}

derived() { # gzip copies and the text-format samples made from basic + cancel
  log "derived files"
  gzip -n -9 -c "$OUT/basic.pcap" >"$OUT/basic.pcap.gz"
  gzip -n -9 -c "$OUT/basic.sipp.log" >"$OUT/basic.sipp.log.gz"
  python3 "$HERE/convert.py" "$OUT" "$OUT/basic.pcap" "$OUT/cancel.pcap"
  python3 "$HERE/expected.py" --merge "$OUT/expected/basic.tsv" "$OUT/expected/cancel.tsv" \
    >"$OUT/expected/text-samples.tsv"
}

ALL=(basic busy-fail auth cancel early-media reinvite callee-bye no-bye fork tcp retrans ipv6)
[ "$(id -u)" -eq 0 ] || log "warning: not root; dumpcap needs capture rights on lo"
for t in sipp kamailio dumpcap tshark editcap capinfos python3 ss; do
  command -v "$t" >/dev/null || die "missing tool: $t"
done
for p in 5060 5070 5071 5080; do
  if ss -lnu | awk '{print $4}' | grep -qE "[:.]$p\$"; then die "udp port $p is busy"; fi
done
mkdir -p "$OUT/expected"
log "sipp: $(sipp -v 2>&1 | grep -o 'SIPp v[^ ]*' | head -1); $(kamailio -v | head -1); $(tshark -v | head -1)"

todo=("$@")
[ ${#todo[@]} -gt 0 ] || todo=("${ALL[@]}" derived)
for s in "${todo[@]}"; do
  case "$s" in
    derived) derived ;;
    *) "sc_${s//-/_}" ;;
  esac
done
log "done"
