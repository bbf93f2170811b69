# Sourced first by the end-to-end scripts (Samples/e2e/lib.sh,
# Samples/kamailio/e2e-credit.sh). A process started by Foundation's Process
# (swift test) inherits the test runner's blocked signal mask, and exec keeps
# it: SIGTERM blocked stops nothing (the agent's clean stop, SIPp, dumpcap),
# SIGALRM blocked stops Kamailio's timers (no dialog timeout, no
# retransmissions). Bash cannot unblock what it inherited, so re-exec the
# calling script once through python with every signal unblocked and at its
# default.
if [ -z "${E2E_SIGNALS_RESET:-}" ]; then
  export E2E_SIGNALS_RESET=1
  exec python3 -c '
import os, signal, sys
for s in signal.valid_signals():
    try:
        signal.signal(s, signal.SIG_DFL)
    except (OSError, ValueError):
        pass
signal.pthread_sigmask(signal.SIG_SETMASK, [])
os.execvp("bash", ["bash"] + sys.argv[1:])
' "$0" "$@"
fi
