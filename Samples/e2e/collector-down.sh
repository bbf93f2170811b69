#!/usr/bin/env bash
# End-to-end, issue 4: the collector is down for the first minute of a live
# SIPp run, then starts; every call arrives exactly once.
#
#   caller SIPp (uac.xml) ---- UDP on lo ----> callee SIPp (uas.xml)
#        | -trace_msg log (/dev/shm)     ^ dumpcap on lo (the oracle)
#        v
#   sipmeter-agent run --> http://127.0.0.1:P_COLL (nothing listens there
#                          for DOWN_S seconds, then sipmeter-collector)
#
# Usage: Samples/e2e/collector-down.sh BIN_DIR
#   BIN_DIR holds sipmeter-collector, sipmeterctl and sipmeter-agent (e.g.
#   .build/debug). Needs sipp, dumpcap, tshark, capinfos, curl, python3,
#   sqlite3, ss. Scratch directory under /dev/shm, kept when the run fails or
#   with KEEP_WORK=1.
#
# The run: the collector's database is created and seeded (rate deck, member,
# SIP Profile alice-trunk, agent token) through a collector serving briefly
# on another port, which is then stopped. The agent starts with its URL on a
# port where nothing listens. The caller places RATE calls/s for RUN_S
# seconds (default 10/s for 75 s: 750 calls; of every 20, 16 answered with
# holds of 0.1-1.5 s, 2 busy 486, 2 congestion 503). DOWN_S seconds (60)
# after the first call the collector starts on the agent's port. When SIPp
# has finished, the capture is read with tshark and the collector is polled
# (bounded) until it holds as many calls as the wire shows and the agent's
# spool is empty. Then the sets are compared: collector Call-IDs = INVITE
# Call-IDs on the wire = SIPp's own per-call log = TotalCallCreated; no
# Call-ID twice; dispositions from the INVITE's final status on the wire;
# durations equal to SIPp's trace (what the agent read) to the millisecond,
# and within TOLERANCE_MS (50) of BYE minus 200 OK on the wire plus SIPp's
# own lag in stamping those two messages (under load SIPp logs a received
# 200 OK when it gets round to it: up to 175 ms after it crossed lo, seen
# in agent-kill9.sh).
#
# stdout: "key value" lines (see compare.py for the comparison keys), and
#   seed, calls_planned, rate, down_s, collector_started_at_s (after the
#   first call), spool_before_collector, shipped_before_collector,
#   collector_errors_before_collector, uac_exit, first_arrival_after_start_s,
#   drained_after_start_s, agent_term_status, agent_term_s, invariants_ok,
#   elapsed_s.
# Exit status: 0 when the invariants hold, 1 when not, 2 when the run itself
# could not be done.
E2E_NAME=collector-down
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RATE=${RATE:-10}
RUN_S=${RUN_S:-75}
DOWN_S=${DOWN_S:-60}
CALLS=$((RATE * RUN_S))
SEED=${SEED:-$((RANDOM * 32768 + RANDOM))}
TOLERANCE_MS=${TOLERANCE_MS:-50}
DRAIN_S=${DRAIN_S:-45}
RUN_MONTH_FIRST=$(date -u +%Y-%m)

read -r B1 B2 B3 <<<"$(alloc_ports 3)"
[ -n "${B3:-}" ] || die "no free ports in 26000-26999"
P_COLL=$B1 P_SEED=$((B1 + 1)) P_METRICS=$((B1 + 2)) P_PROBE=$((B1 + 3)) P_UAS=$B2 P_UAC=$B3
log "work $WORK; collector :$P_COLL (seeded on :$P_SEED), agent metrics :$P_METRICS, callee :$P_UAS, caller :$P_UAC; seed $SEED"

# ---------------------------------------------------------------- seed, then down
seed_collector "$P_SEED"
stop_collector
if (exec 3<>"/dev/tcp/127.0.0.1/$P_COLL") 2>/dev/null; then die "something listens on :$P_COLL"; fi

# ---------------------------------------------------------------- agent, capture, SIPp
write_agent_config "$P_COLL" "$P_METRICS"
start_agent
wait_tcp "$P_METRICS" 30 "$AGENT_PID" || die "the agent did not start; see $WORK/agent.log"
write_calls_csv "$CALLS" "$SEED" 100 1500
start_capture "$WORK/wire.pcapng" "$P_UAS" "$P_PROBE"
start_uas "$P_UAS"
log "caller: $CALLS calls at $RATE/s; the collector starts ${DOWN_S}s after the first call"
start_uac "$P_UAS" "$P_UAC" "$CALLS" "$RATE" $((RUN_S + 30))
T0=$(now_ms)

while [ $(($(now_ms) - T0)) -lt $((DOWN_S * 1000)) ]; do
  kill -0 "$AGENT_PID" 2>/dev/null || die "the agent exited while the collector was down; see $WORK/agent.log"
  kill -0 "$UAC_PID" 2>/dev/null || die "the caller SIPp ended before the collector started; see $WORK/uac.screen.log"
  sleep 0.2
done
SPOOL_BEFORE=$(agent_metric "$P_METRICS" sipmeter_agent_spool_records)
SHIPPED_BEFORE=$(agent_metric "$P_METRICS" sipmeter_agent_records_shipped_total)
ERRORS_BEFORE=$(agent_metric "$P_METRICS" sipmeter_agent_collector_errors_total)
start_collector "$P_COLL"
T_COLL=$(now_ms)
COLL_AT=$(python3 -c "print(round(($T_COLL - $T0) / 1000, 1))")
log "collector up at +${COLL_AT}s; the agent had spooled $SPOOL_BEFORE record(s), shipped $SHIPPED_BEFORE"

wait_uac
log "caller SIPp exited with $UAC_RC after $((($(now_ms) - T0) / 1000)) s"
stop_capture
analyse_capture "$WORK/wire.pcapng" "$P_UAS"
WIRE_CALLS=$(sort -u "$WORK/tshark-invites.txt" | grep -c . || true)
log "the wire shows $WIRE_CALLS calls; waiting (at most ${DRAIN_S}s) for the collector"

# ---------------------------------------------------------------- drain
drain "$P_COLL" "$P_METRICS" "$WIRE_CALLS" "$DRAIN_S"
DRAINED_AT=never
[ "$DRAINED_MS" = never ] || DRAINED_AT=$(python3 -c "print(round(($DRAINED_MS - $T_COLL) / 1000, 1))")
# When the first record arrived (received_at: microseconds since the epoch).
FIRST_US=$(sqlite3 "$WORK/collector.db" "SELECT MIN(received_at) FROM rated_call" 2>/dev/null || true)
FIRST_AT=never
[ -z "$FIRST_US" ] || FIRST_AT=$(python3 -c "print(round(($FIRST_US / 1000 - $T_COLL) / 1000, 1))")

# ---------------------------------------------------------------- stop the agent
term_agent
spool_after
collector_records_metrics "$P_COLL"

# ---------------------------------------------------------------- compare
COMPARE=$(compare "$TOLERANCE_MS") || die "compare.py failed"
SUMMARY=$(cat <<EOF
seed $SEED
calls_planned $CALLS
rate $RATE
down_s $DOWN_S
collector_started_at_s $COLL_AT
spool_before_collector $SPOOL_BEFORE
shipped_before_collector $SHIPPED_BEFORE
collector_errors_before_collector $ERRORS_BEFORE
first_arrival_after_start_s $FIRST_AT
drained_after_start_s $DRAINED_AT
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
# The calls really waited for the collector: spooled, nothing shipped before it started.
[ "$SPOOL_BEFORE" != "?" ] && [ "$SPOOL_BEFORE" -gt 0 ] || INV=no
[ "$SHIPPED_BEFORE" = 0 ] || INV=no
printf '%s\ninvariants_ok %s\nelapsed_s %s\n' "$SUMMARY" "$INV" "$(elapsed_s)"
if [ "$INV" != yes ]; then
  log "details: $WORK/compare-details.txt"
  exit 1
fi
