#!/usr/bin/env bash
# End-to-end, issue 4: `kill -9` of the agent at KILLS random moments of a
# live SIPp run, each followed at once by a restart; the collector ends with
# exactly the calls that happened on the wire, none missing, none twice.
#
#   caller SIPp (uac.xml) ---- UDP on lo ----> callee SIPp (uas.xml)
#        | -trace_msg log (/dev/shm)     ^ dumpcap on lo (the oracle)
#        v
#   sipmeter-agent run (kill -9, restart, ...) --> sipmeter-collector
#
# Usage: Samples/e2e/agent-kill9.sh BIN_DIR
#   BIN_DIR holds sipmeter-collector, sipmeterctl and sipmeter-agent (e.g.
#   .build/debug). Needs sipp, dumpcap, tshark, capinfos, curl, python3,
#   sqlite3, ss. Scratch directory under /dev/shm, kept when the run fails or
#   with KEEP_WORK=1.
#
# The run: CALLS calls (2,000) at RATE calls/s (80: 25 s); of every 20, 16
# answered with holds of 0.1-3 s, 2 busy 486, 2 congestion 503. The agent
# follows the caller's -trace_msg log. KILLS (10) moments, drawn from SEED
# (printed; set SEED to repeat a run) uniformly over the run, from 0.5 s to
# 2 s past the last call's start (calls still open then), sorted: at each,
# kill -9 of the agent, then a new agent at once. When SIPp has finished,
# the capture is read with tshark, the collector is polled (bounded) until
# it holds as many calls as the wire shows and the spool is empty, and the
# sets are compared: collector Call-IDs = INVITE Call-IDs on the wire =
# SIPp's per-call log = TotalCallCreated; no Call-ID twice; answered calls
# (200 to the INVITE on the wire) = the collector's; each call's disposition
# from the INVITE's final status on the wire; durations equal to SIPp's
# trace (what the agent read) to the millisecond, and within TOLERANCE_MS
# (50) of BYE minus 200 OK on the wire plus SIPp's own lag in stamping those
# two messages (under load SIPp logs a received 200 OK when it gets round to
# it: up to 175 ms after it crossed lo, seen here at 100 calls/s).
#
# stdout: "key value" lines (see compare.py for the comparison keys), and
#   seed, calls_planned, rate, kills, kill_moments_s, collector_calls_at_kills,
#   agent_unexpected_exits, agent_restarts, uac_exit, drained_after_uac_s,
#   agent_term_status, agent_term_s, invariants_ok, elapsed_s.
# Exit status: 0 when the invariants hold, 1 when not, 2 when the run itself
# could not be done.
E2E_NAME=agent-kill9
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CALLS=${CALLS:-2000}
RATE=${RATE:-80}
KILLS=${KILLS:-10}
SEED=${SEED:-$((RANDOM * 32768 + RANDOM))}
TOLERANCE_MS=${TOLERANCE_MS:-50}
DRAIN_S=${DRAIN_S:-40}
RUN_MONTH_FIRST=$(date -u +%Y-%m)

read -r B1 B2 B3 <<<"$(alloc_ports 3)"
[ -n "${B3:-}" ] || die "no free ports in 26000-26999"
P_COLL=$B1 P_METRICS=$((B1 + 2)) P_PROBE=$((B1 + 3)) P_UAS=$B2 P_UAC=$B3
log "work $WORK; collector :$P_COLL, agent metrics :$P_METRICS, callee :$P_UAS, caller :$P_UAC; seed $SEED"

# Kill moments, in ms after the first call.
KILL_MS=$(python3 -c "
import random
r = random.Random($SEED)
span = $CALLS / $RATE + 2.0
print(' '.join(str(int(r.uniform(0.5, span) * 1000)) for _ in range($KILLS)))" | tr ' ' '\n' | sort -n | paste -sd' ')
KILL_S=$(for m in $KILL_MS; do printf '%d.%03d\n' $((m / 1000)) $((m % 1000)); done | paste -sd,)
log "kill -9 at +${KILL_S//,/ } s"

seed_collector "$P_COLL"
write_agent_config "$P_COLL" "$P_METRICS"
start_agent
wait_tcp "$P_METRICS" 30 "$AGENT_PID" || die "the agent did not start; see $WORK/agent.log"
write_calls_csv "$CALLS" "$SEED" 100 3000
start_capture "$WORK/wire.pcapng" "$P_UAS" "$P_PROBE"
start_uas "$P_UAS"
log "caller: $CALLS calls at $RATE/s"
start_uac "$P_UAS" "$P_UAC" "$CALLS" "$RATE" $((CALLS / RATE + 40))
T0=$(now_ms)

# ---------------------------------------------------------------- kill -9, restart
UNEXPECTED=0 RESTARTS=0 AT_KILLS=()
for m in $KILL_MS; do
  wait_ms=$((T0 + m - $(now_ms)))
  [ "$wait_ms" -le 0 ] || sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"
  if ! kill -0 "$AGENT_PID" 2>/dev/null; then
    UNEXPECTED=$((UNEXPECTED + 1))
    log "the agent (pid $AGENT_PID) had exited by itself before the kill at +${m} ms; see $WORK/agent.log"
  fi
  kill -KILL "$AGENT_PID" 2>/dev/null || true
  wait "$AGENT_PID" 2>/dev/null || true
  forget_pid "$AGENT_PID"
  AT_KILLS+=("$(sqlite3 "$WORK/collector.db" "SELECT COUNT(*) FROM rated_call" 2>/dev/null || echo '?')")
  echo "--- kill -9 at +${m} ms, restart" >>"$WORK/agent.log"
  start_agent
  RESTARTS=$((RESTARTS + 1))
done
log "killed and restarted the agent $RESTARTS times; collector calls at each kill: ${AT_KILLS[*]}"

wait_uac
T_UAC=$(now_ms)
log "caller SIPp exited with $UAC_RC after $(((T_UAC - T0) / 1000)) s"
stop_capture
analyse_capture "$WORK/wire.pcapng" "$P_UAS"
WIRE_CALLS=$(sort -u "$WORK/tshark-invites.txt" | grep -c . || true)
log "the wire shows $WIRE_CALLS calls; waiting (at most ${DRAIN_S}s) for the collector"

# ---------------------------------------------------------------- drain
kill -0 "$AGENT_PID" 2>/dev/null || {
  UNEXPECTED=$((UNEXPECTED + 1))
  log "the last agent exited by itself; see $WORK/agent.log"
}
drain "$P_COLL" "$P_METRICS" "$WIRE_CALLS" "$DRAIN_S"
DRAINED_AT=never
[ "$DRAINED_MS" = never ] || DRAINED_AT=$(python3 -c "print(round(($DRAINED_MS - $T_UAC) / 1000, 1))")
term_agent
spool_after
collector_records_metrics "$P_COLL"

# ---------------------------------------------------------------- compare
COMPARE=$(compare "$TOLERANCE_MS") || die "compare.py failed"
SUMMARY=$(cat <<EOF
seed $SEED
calls_planned $CALLS
rate $RATE
kills $KILLS
kill_moments_s $KILL_S
collector_calls_at_kills $(IFS=,; echo "${AT_KILLS[*]}")
agent_unexpected_exits $UNEXPECTED
agent_restarts $RESTARTS
drained_after_uac_s $DRAINED_AT
$COMPARE
collector_records_accepted $COLL_ACCEPTED
collector_records_duplicate $COLL_DUPLICATE
collector_records_rejected $COLL_REJECTED
agent_spool_waiting $SPOOL_WAITING
agent_dead_letters $SPOOL_DEAD
uac_exit $UAC_RC
drained $([ "$DRAINED_AT" != never ] && echo yes || echo no)
agent_term_status $TERM_RC
agent_term_s $TERM_S
EOF
)
INV=$(common_invariants "$SUMMARY")
[ "$UNEXPECTED" -eq 0 ] || INV=no
[ "$RESTARTS" -eq "$KILLS" ] || INV=no
printf '%s\ninvariants_ok %s\nelapsed_s %s\n' "$SUMMARY" "$INV" "$(elapsed_s)"
if [ "$INV" != yes ]; then
  log "details: $WORK/compare-details.txt"
  exit 1
fi
