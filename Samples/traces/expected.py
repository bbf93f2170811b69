#!/usr/bin/env python3
"""Expected per-call values for a sample capture, derived with tshark only
(independently of the sipmeter agent).

  expected.py CAPTURE                 -> TSV on stdout (header + one row per Call-ID)
  expected.py --check TSV K=N ...     -> exit 1 unless the TSV has N rows with
                                         disposition K (or ended_by:V=N)
  expected.py --merge TSV TSV ...     -> one TSV, rows sorted by setup_epoch

Rules (the caller leg is the hop that carried the first INVITE of the Call-ID,
caller address -> proxy address; only messages between those two are used):
  caller, callee  From user and Request-URI user of that first INVITE
  setup_epoch     time of that first INVITE (a retransmission never counts)
  initial INVITE  an INVITE from the caller without To tag; after a 401/407 the
                  caller re-sends one with a higher CSeq: the call is judged by
                  the last one
  final_status    first final response (>= 200) to the last initial INVITE,
                  sent to the caller
  answer_epoch    time of that response when it is a 2xx
  end_epoch       answered: first BYE on the caller leg (either direction);
                  not answered: the final response; no BYE: empty
  disposition     answered | busy (486/600) | no_answer (408/480, 487 after 18x)
                  | cancelled (487 before any 18x) | rejected (401/402/403/407/603)
                  | redirected (3xx) | congestion (500/503/504) | failed
  ended_by        answered: caller/callee (who sent the BYE) or timeout (no BYE);
                  not answered: caller when the caller sent a CANCEL, else empty
Epochs are the capture's timestamps, seconds with 6 decimals.
"""
import subprocess
import sys
from collections import defaultdict

FIELDS = [
    "frame.number", "frame.time_epoch",
    "ip.src", "ipv6.src", "udp.srcport", "tcp.srcport",
    "ip.dst", "ipv6.dst", "udp.dstport", "tcp.dstport",
    "sip.Call-ID", "sip.Method", "sip.Status-Code", "sip.CSeq.seq", "sip.CSeq.method",
    "sip.from.user", "sip.r-uri.user", "sip.to.tag",
]
COLUMNS = ["call_id", "caller", "callee", "setup_epoch", "answer_epoch", "end_epoch",
           "final_status", "disposition", "ended_by"]
# SIP on the non-standard ports of the samples
DECODE = ["-d", "udp.port==5070,sip", "-d", "udp.port==5071,sip", "-d", "udp.port==5080,sip"]


def epoch6(s):
    """'1700734502.004211000' -> '1700734502.004211' (string arithmetic, no float)."""
    whole, _, frac = s.partition(".")
    return f"{whole}.{(frac + '000000')[:6]}"


def read_capture(path):
    cmd = ["tshark", "-n", "-r", path, *DECODE, "-Y", "sip", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    msgs = []
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        if not v.get("sip.Call-ID"):
            continue
        src = (v["ip.src"] or v["ipv6.src"], v["udp.srcport"] or v["tcp.srcport"])
        dst = (v["ip.dst"] or v["ipv6.dst"], v["udp.dstport"] or v["tcp.dstport"])
        msgs.append({
            "frame": int(v["frame.number"]), "time": epoch6(v["frame.time_epoch"]),
            "src": src, "dst": dst, "call_id": v["sip.Call-ID"],
            "method": v["sip.Method"], "status": int(v["sip.Status-Code"] or 0),
            "cseq": int(v["sip.CSeq.seq"] or 0), "cseq_method": v["sip.CSeq.method"],
            "from_user": v["sip.from.user"], "ruri_user": v["sip.r-uri.user"],
            "to_tag": v["sip.to.tag"],
        })
    return msgs


def disposition(status, had_18x):
    if 200 <= status < 300:
        return "answered"
    if status in (486, 600):
        return "busy"
    if status in (408, 480):
        return "no_answer"
    if status == 487:
        return "no_answer" if had_18x else "cancelled"
    if status in (401, 402, 403, 407, 603):
        return "rejected"
    if 300 <= status < 400:
        return "redirected"
    if status in (500, 503, 504):
        return "congestion"
    return "failed"


def calls(msgs):
    by_call = defaultdict(list)
    for m in msgs:
        by_call[m["call_id"]].append(m)
    rows = []
    for cid, ms in by_call.items():
        ms.sort(key=lambda m: m["frame"])
        invites = [m for m in ms if m["method"] == "INVITE"]
        if not invites:
            continue
        first = invites[0]
        caller, proxy = first["src"], first["dst"]
        leg = [m for m in ms if {m["src"], m["dst"]} == {caller, proxy}]
        initial = [m for m in leg if m["method"] == "INVITE" and m["src"] == caller and not m["to_tag"]]
        last_cseq = max(m["cseq"] for m in initial)
        to_caller = [m for m in leg if m["src"] == proxy and m["status"]
                     and m["cseq_method"] == "INVITE" and m["cseq"] == last_cseq]
        finals = [m for m in to_caller if m["status"] >= 200]
        row = {"call_id": cid, "caller": first["from_user"], "callee": first["ruri_user"],
               "setup_epoch": first["time"], "answer_epoch": "", "end_epoch": "",
               "final_status": "", "disposition": "", "ended_by": ""}
        if not finals:
            row["disposition"] = "failed"
            row["ended_by"] = "timeout"
            rows.append(row)
            continue
        final = finals[0]
        had_18x = any(180 <= m["status"] < 190 and m["frame"] < final["frame"] for m in to_caller)
        row["final_status"] = str(final["status"])
        row["disposition"] = disposition(final["status"], had_18x)
        if row["disposition"] == "answered":
            row["answer_epoch"] = final["time"]
            byes = [m for m in leg if m["method"] == "BYE" and m["frame"] > final["frame"]]
            if byes:
                row["end_epoch"] = byes[0]["time"]
                row["ended_by"] = "caller" if byes[0]["src"] == caller else "callee"
            else:
                row["ended_by"] = "timeout"
        else:
            row["end_epoch"] = final["time"]
            if any(m["method"] == "CANCEL" and m["src"] == caller for m in leg):
                row["ended_by"] = "caller"
        rows.append(row)
    rows.sort(key=lambda r: (r["setup_epoch"], r["call_id"]))
    return rows


def write(rows):
    sys.stdout.write("\t".join(COLUMNS) + "\n")
    for r in rows:
        sys.stdout.write("\t".join(r[c] for c in COLUMNS) + "\n")


def read_tsv(path):
    with open(path) as f:
        lines = f.read().splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, l.split("\t"))) for l in lines[1:] if l]


def main(argv):
    if len(argv) >= 2 and argv[0] == "--check":
        rows = read_tsv(argv[1])
        ok = True
        for want in argv[2:]:
            key, n = want.rsplit("=", 1)
            if key.startswith("ended_by:"):
                got = sum(1 for r in rows if r["ended_by"] == key.split(":", 1)[1])
            else:
                got = sum(1 for r in rows if r["disposition"] == key)
            if got != int(n):
                print(f"{argv[1]}: {key}: expected {n}, got {got}", file=sys.stderr)
                ok = False
        planned = sum(int(w.rsplit("=", 1)[1]) for w in argv[2:] if not w.startswith("ended_by:"))
        if planned != len(rows):
            print(f"{argv[1]}: {len(rows)} calls, plan says {planned}", file=sys.stderr)
            ok = False
        return 0 if ok else 1
    if len(argv) >= 2 and argv[0] == "--merge":
        rows = [r for p in argv[1:] for r in read_tsv(p)]
        rows.sort(key=lambda r: (r["setup_epoch"], r["call_id"]))
        write(rows)
        return 0
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    write(calls(read_capture(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
