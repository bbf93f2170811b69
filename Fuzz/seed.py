#!/usr/bin/env python3
"""Writes the seed corpus and dictionary for fuzz-framing.

Usage: seed.py REPO_ROOT OUT_DIR   (writes OUT_DIR/corpus/* and OUT_DIR/sip.dict)
Seeds: every message of Samples/traces/*.sipp.log (CRLF restored), a few
2-3 message TCP streams, the first records of each text log format, and
small hand-made messages (compact headers, bare LF, Content-Length
shorter/longer than the body, missing blank line).
"""
import glob
import hashlib
import os
import re
import sys

root, out = sys.argv[1], sys.argv[2]
corpus = os.path.join(out, "corpus")
os.makedirs(corpus, exist_ok=True)
seeds = []

# SIPp -trace_msg: dashes + time, "... message sent/received ...", blank, message.
dash = re.compile(rb"^-{47} .*$", re.M)
for path in sorted(glob.glob(os.path.join(root, "Samples/traces/*.sipp.log"))):
    data = open(path, "rb").read()
    for block in dash.split(data):
        parts = block.split(b"\n\n", 1)
        if len(parts) != 2:
            continue
        lines = parts[1].strip(b"\n").split(b"\n")
        msg = b"\r\n".join(l.rstrip(b"\r") for l in lines)
        if b"\r\n\r\n" not in msg:
            msg += b"\r\n\r\n"
        elif not msg.endswith(b"\r\n"):
            msg += b"\r\n"
        if msg[:1].isalpha():
            seeds.append(msg)

messages = list(dict.fromkeys(seeds))
# TCP streams: consecutive messages, with keep-alive CRLFs and a garbage line.
for i in range(0, min(len(messages) - 2, 60), 3):
    seeds.append(messages[i] + messages[i + 1] + messages[i + 2])
    seeds.append(b"\r\n\r\n" + messages[i] + b"garbage line\n" + messages[i + 1])

# The first records of each text log format.
for pattern in ["*.sipp.log", "*.sipdump.txt", "*.sngrep.txt", "*.freeswitch.log", "*.asterisk*.log"]:
    for path in sorted(glob.glob(os.path.join(root, "Samples/traces", pattern)))[:3]:
        data = open(path, "rb").read()
        seeds.append(data[:3000])
        seeds.append(data[:1200])

seeds += [
    b"INVITE sip:bob@example.com SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:a@h>;tag=1\r\n"
    b"t: <sip:b@h>\r\ni: abc@h\r\nCSeq: 1 INVITE\r\nl: 4\r\n\r\nbody",
    b"SIP/2.0 200 OK\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@h>;tag=1\nTo: <sip:b@h>;tag=2\n"
    b"Call-ID: x\nCSeq: 1 INVITE\nContent-Length: 10\n\nshort",
    b"BYE sip:b@h SIP/2.0\r\nCall-ID: y\r\nCSeq: 2 BYE\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\n"
    b"Content-Length: 2\r\n\r\nabcdef",
    b"OPTIONS sip:h SIP/2.0\r\nCall-ID: z\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0",
    b"SIP/2.0 486 Busy Here\r\nReason: Q.850;cause=17\r\nSession-Expires: 90;refresher=uac\r\n"
    b"P-Asserted-Identity: <tel:+44123>\r\nCall-ID: q\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@h>\r\nTo: <sip:b@h>\r\n"
    b"Content-Length: 99999999999\r\n\r\n",
]

for s in seeds:
    name = hashlib.sha1(s).hexdigest()
    with open(os.path.join(corpus, name), "wb") as f:
        f.write(s)

tokens = [
    "\r\n\r\n", "\n\n", "\n\r\n", "SIP/2.0 ", "SIP/2.0/UDP ", "INVITE ", "ACK ", "BYE ", "REGISTER ",
    "Content-Length: ", "content-length:", "l: ", "l:", "Call-ID: ", "i: ", "CSeq: ", "From: ", "To: ",
    "f: ", "t: ", "Via: ", "v: ", ";tag=", ";branch=", "<sip:", "sip:", "tel:", "@", "Reason: Q.850;cause=",
    "Session-Expires: ", "x: ", "P-Asserted-Identity: ", "Content-Type: application/sdp",
    "-" * 47 + " ", " 2026-11-23 05:08:59.267657", "UDP message sent (", "TCP message received [",
    "=" * 20, "~" * 20, "|" * 20, "time: ", "proto: ", "srcip: ", "srcport: ", "dstip: ", "dstport: ",
    "2026/11/23 05:08:59.267643 ", " -> ", "127.0.0.1:5060", "[::1]:5060",
    "recv ", "send ", " bytes from udp/[127.0.0.1]:5080 at ", "05:08:59.267643:", "-" * 72,
    "<--- Received SIP request (", "<--- Transmitting SIP response (", ") from UDP:", ") to TCP:",
    "[Nov 23 05:08:59] ", "[2026-11-23 05:08:59.123] ", "] ", " --->",
]
with open(os.path.join(out, "sip.dict"), "w") as f:
    for t in tokens:
        esc = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "\\x%02x" % ord(c) for c in t)
        f.write('"%s"\n' % esc)
print("%d seeds in %s" % (len(os.listdir(corpus)), corpus))
