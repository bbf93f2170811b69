#!/usr/bin/env python3
"""Turn real captured SIP messages into the text formats of other SIP software.

  convert.py OUTDIR CAPTURE [CAPTURE ...]

Reads every SIP message of the captures with tshark (frame time, addresses,
UDP payload bytes), sorts them by time and writes into OUTDIR:

  basic.freeswitch.log          FreeSWITCH / sofia-sip siptrace
                                (freeswitch/sofia-sip libsofia-sip-ua/tport/tport_logging.c:
                                tport_stamp + tport_log_msg)
  basic.asterisk.log            Asterisk res_pjsip_logger verbose output, with the
                                logger's file prefix "[Mon dd HH:MM:SS] VERBOSE[tid] file: "
  basic.asterisk-noprefix.log   the same without the logger prefix (console style)
  basic.sngrep.txt              sngrep "Save as .txt" (irontec/sngrep src/curses/ui_save.c
                                save_msg_txt)

FreeSWITCH and Asterisk see the traffic as the proxy (127.0.0.1:5060) would:
messages to port 5060 are received, messages from port 5060 are sent, and only
the remote address is written. Times are local time (the script runs with
TZ=UTC). The message bytes are the captured ones; byte counts are the captured
payload lengths (CRLF line ends), as the real programs count them.
"""
import os
import subprocess
import sys
import time
from collections import OrderedDict

PROXY_PORT = "5060"
ASTERISK_TID = 1234
FIELDS = ["frame.time_epoch", "ip.src", "ipv6.src", "udp.srcport", "ip.dst", "ipv6.dst",
          "udp.dstport", "sip.Call-ID", "udp.payload"]
DECODE = ["-d", "udp.port==5070,sip", "-d", "udp.port==5071,sip", "-d", "udp.port==5080,sip"]


def read(path):
    cmd = ["tshark", "-n", "-r", path, *DECODE, "-Y", "sip and udp", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    msgs = []
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        sec, _, frac = v["frame.time_epoch"].partition(".")
        msgs.append({
            "sec": int(sec), "usec": int((frac + "000000")[:6]),
            "src": (v["ip.src"] or v["ipv6.src"], v["udp.srcport"]),
            "dst": (v["ip.dst"] or v["ipv6.dst"], v["udp.dstport"]),
            "call_id": v["sip.Call-ID"],
            "raw": bytes.fromhex(v["udp.payload"].replace(":", "")),
        })
    return msgs


def hostport(addr):
    ip, port = addr
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def sofia_lines(raw):
    """tport_log_msg: every CR, LF or CRLF becomes one LF; stops at a NUL byte."""
    text = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def freeswitch(msgs):
    sep = "-" * 72 + "\n"
    out = []
    for m in msgs:
        t = time.localtime(m["sec"])
        stamp = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{m['usec']:06d}"
        if m["dst"][1] == PROXY_PORT:
            what, via, remote = "recv", "from", m["src"]
        else:
            what, via, remote = "send", "to", m["dst"]
        ip, port = remote
        out.append(f"{what} {len(m['raw'])} bytes {via} udp/[{ip}]:{port} at {stamp}:\n")
        out.append(sep)
        out.append(sofia_lines(m["raw"]))
    return "".join(out)


def asterisk(msgs, prefix):
    out = []
    for m in msgs:
        kind = "response" if m["raw"].startswith(b"SIP/2.0 ") else "request"
        if m["dst"][1] == PROXY_PORT:
            marker = f"<--- Received SIP {kind} ({len(m['raw'])} bytes) from UDP:{hostport(m['src'])} --->\n"
        else:
            marker = f"<--- Transmitting SIP {kind} ({len(m['raw'])} bytes) to UDP:{hostport(m['dst'])} --->\n"
        head = ""
        if prefix:
            head = time.strftime("[%b %e %H:%M:%S] ", time.localtime(m["sec"])) + \
                f"VERBOSE[{ASTERISK_TID}] res_pjsip_logger.c: "
        body = m["raw"].decode("utf-8", "replace").replace("\r\n", "\n")
        out.append(head + marker + body + "\n")
    return "".join(out)


def sngrep(msgs):
    calls = OrderedDict()
    for m in msgs:
        calls.setdefault(m["call_id"], []).append(m)
    out = []
    for cid, ms in calls.items():
        for m in ms:
            date = time.strftime("%Y/%m/%d", time.localtime(m["sec"]))
            tod = time.strftime("%H:%M:%S", time.localtime(m["sec"])) + f".{m['usec']:06d}"
            payload = m["raw"].decode("utf-8", "replace")
            out.append(f"{date} {tod} {hostport(m['src'])} -> {hostport(m['dst'])}\n{payload}\n\n")
    return "".join(out)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    outdir, captures = argv[0], argv[1:]
    msgs = [m for c in captures for m in read(c)]
    msgs.sort(key=lambda m: (m["sec"], m["usec"]))
    files = {
        "basic.freeswitch.log": freeswitch(msgs),
        "basic.asterisk.log": asterisk(msgs, prefix=True),
        "basic.asterisk-noprefix.log": asterisk(msgs, prefix=False),
        "basic.sngrep.txt": sngrep(msgs),
    }
    for name, text in files.items():
        with open(os.path.join(outdir, name), "w", newline="") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
