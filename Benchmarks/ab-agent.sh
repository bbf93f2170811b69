#!/usr/bin/env bash
# Interleaved A/B timing of two sipmeter-agent binaries on one input:
#   bash Benchmarks/ab-agent.sh OLD_BINARY NEW_BINARY [INPUT] [PAIRS]
# Runs `parse` PAIRS times each (default 6), alternating, checks that both
# write the same records, and prints min and mean wall time and CPU
# (user + system) per binary. On a shared VM whose speed drifts by ±25%,
# interleaving is what makes two builds comparable; one run of each is not.
set -euo pipefail
cd "$(dirname "$0")/.."
A=${1:?usage: ab-agent.sh OLD NEW [INPUT] [PAIRS]}
B=${2:?usage: ab-agent.sh OLD NEW [INPUT] [PAIRS]}
INPUT=${3:-bench-data/bench-100k.pcap}
PAIRS=${4:-6}
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
[ -s "$INPUT" ] || { echo "no $INPUT (make bench builds it)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$A" parse "$INPUT" > "$WORK/a.jsonl" 2>/dev/null
"$B" parse "$INPUT" > "$WORK/b.jsonl" 2>/dev/null
if cmp -s "$WORK/a.jsonl" "$WORK/b.jsonl"; then echo "records: identical"; else echo "records: DIFFERENT"; fi
for _ in $(seq "$PAIRS"); do
  for side in A B; do
    bin=$A; [ "$side" = B ] && bin=$B
    /usr/bin/time -f "$side %e %U %S" "$bin" parse "$INPUT" > /dev/null 2> "$WORK/err" || true
    tail -n 1 "$WORK/err"
  done
done | awk -v a="$A" -v b="$B" '
  { w = $2; c = $3 + $4; k = $1; n[k]++; sw[k] += w; sc[k] += c
    if (!(k in mw) || w < mw[k]) mw[k] = w
    if (!(k in mc) || c < mc[k]) mc[k] = c }
  END {
    printf "A %s: wall min %.2f mean %.2f s | cpu min %.2f mean %.2f s\n", a, mw["A"], sw["A"]/n["A"], mc["A"], sc["A"]/n["A"]
    printf "B %s: wall min %.2f mean %.2f s | cpu min %.2f mean %.2f s\n", b, mw["B"], sw["B"]/n["B"], mc["B"], sc["B"]/n["B"]
    printf "B/A: wall %.3f, cpu %.3f (means)\n", (sw["B"]/n["B"])/(sw["A"]/n["A"]), (sc["B"]/n["B"])/(sc["A"]/n["A"])
  }'
