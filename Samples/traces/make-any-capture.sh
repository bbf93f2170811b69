#!/usr/bin/env bash
# Captures three SIPp calls on the "any" pseudo-interface, which writes Linux
# cooked capture frames, to show the agent reading those link types from real
# traffic: NAME.pcap and expected/NAME.tsv (from tshark). Run it twice:
#   make-any-capture.sh any-sll  LINUX_SLL
#   make-any-capture.sh any-sll2 LINUX_SLL2
set -euo pipefail
cd "$(dirname "$0")"
name=${1:-any-sll2}
link=${2:-LINUX_SLL2}
work=$(mktemp -d /dev/shm/sipmeter-any.XXXXXX)
trap 'rm -rf "$work"' EXIT
sipp -sn uas -i 127.0.0.1 -p 15160 -nostdin -bg -m 3 >/dev/null 2>&1 || true  # -bg exits non-zero on success
dumpcap -q -i any -y "$link" -f "udp port 15160 or udp port 15161 or udp port 15169" -w "$work/raw.pcapng" >/dev/null 2>&1 &
dump=$!
for _ in $(seq 1 50); do
  echo probe > /dev/udp/127.0.0.1/15169 || true
  sleep 0.2
  [ "$(stat -c %s "$work/raw.pcapng" 2>/dev/null || echo 0)" -gt 600 ] && break
done
(cd "$work" && sipp -sn uac 127.0.0.1:15160 -i 127.0.0.1 -p 15161 -m 3 -r 2 -d 1000 -nostdin -timeout 30 >/dev/null 2>&1)
sleep 1
kill "$dump"; wait "$dump" 2>/dev/null || true
pkill -f "sipp -sn uas -i 127.0.0.1 -p 15160" 2>/dev/null || true
tshark -r "$work/raw.pcapng" -Y "not udp.port == 15169" -w "$name.pcap" -F pcap >/dev/null 2>&1
# Expected calls straight from tshark: first INVITE, the 200 to it, the BYE.
{
  printf 'call_id\tcaller\tcallee\tsetup_epoch\tanswer_epoch\tend_epoch\tfinal_status\tdisposition\tended_by\n'
  tshark -r "$name.pcap" -Y sip -T fields -E separator='|' -e frame.time_epoch -e sip.Call-ID -e sip.Method \
    -e sip.Status-Code -e sip.CSeq.method -e sip.from.user -e sip.r-uri.user |
  awk -F'|' '
    { t = sprintf("%.6f", $1); id = $2 }
    $3 == "INVITE" && !(id in setup) { setup[id] = t; caller[id] = $6; callee[id] = $7; order[n++] = id }
    $4 == "200" && $5 == "INVITE" && !(id in answer) { answer[id] = t }
    $3 == "BYE" && !(id in bye) { bye[id] = t }
    END { for (i = 0; i < n; i++) { id = order[i]; printf "%s\t%s\t%s\t%s\t%s\t%s\t200\tanswered\tcaller\n", id, caller[id], callee[id], setup[id], answer[id], bye[id] } }'
} > "expected/$name.tsv"
echo "wrote $name.pcap ($(capinfos -E "$name.pcap" | awk -F: '/encapsulation/ {print $2}' | xargs)) and expected/$name.tsv"
