#!/usr/bin/env bash
# Runs the framing fuzzer on ONE core for SECONDS (default 600).
#   Fuzz/run.sh 600
# Corpus: .build-fuzz/corpus (seeded on first run), crashes: .build-fuzz/artifacts/,
# log: .build-fuzz/fuzz.log. Extra arguments go to libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$PWD/.build-fuzz
SECONDS_TO_RUN=${1:-600}
shift || true
[ -x "$OUT/fuzz-framing" ] || Fuzz/build.sh
if [ ! -d "$OUT/corpus" ] || [ -z "$(ls -A "$OUT/corpus")" ]; then
    python3 Fuzz/seed.py "$PWD" "$OUT"
fi
mkdir -p "$OUT/artifacts"
# Let libFuzzer/ASan report traps; the Swift backtracer fights ASan (shadow-gap reads).
export SWIFT_BACKTRACE=enable=no
"$OUT/fuzz-framing" "$OUT/corpus" \
    -dict="$OUT/sip.dict" \
    -max_len=65536 -rss_limit_mb=2048 -timeout=5 \
    -max_total_time="$SECONDS_TO_RUN" -print_final_stats=1 \
    -artifact_prefix="$OUT/artifacts/" "$@" 2>&1 | tee "$OUT/fuzz.log"
