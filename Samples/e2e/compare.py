#!/usr/bin/env python3
"""Compares what the collector holds with what happened (Samples/e2e/*.sh).

Reads, from the work directory:
  tshark-invites.txt  Call-ID of every INVITE on the wire (tshark -Y 'sip.Method == "INVITE"')
  tshark-sip.tsv      every SIP message: epoch, Call-ID, method, status, CSeq method
  calls.json          the collector's calls (sipmeterctl calls --all --json, pages concatenated)
  uac.calls.log       the caller SIPp's own per-call log: "<Call-ID> <final status>"
  uac.stat.csv        the caller SIPp's statistics (-trace_stat)
  logs/uac_messages.log  the caller SIPp's -trace_msg log (what the agent followed)

Prints "key value" lines; details of every mismatch go to compare-details.txt.
"""
import argparse
import collections
import csv
import datetime
import json
import os
import re
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--work", required=True)
ap.add_argument("--tolerance-ms", type=float, default=50.0)
args = ap.parse_args()
W = args.work
out = []


def put(key, value):
    out.append(f"{key} {value}")


def classify(status):
    """Disposition from the final status of the INVITE (MeteringCore's Disposition.classify)."""
    if status is None:
        return None
    if 200 <= status < 300:
        return "answered"
    if 300 <= status < 400:
        return "redirected"
    if status in (486, 600):
        return "busy"
    if status in (408, 480):
        return "no_answer"
    if status in (401, 402, 403, 407, 603):
        return "rejected"
    if status in (500, 503, 504):
        return "congestion"
    return "failed"


def ts(text):
    if text is None:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# ---------------------------------------------------------------- SIPp's own view
stat = {}
try:
    with open(os.path.join(W, "uac.stat.csv"), newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    if len(rows) >= 2:
        stat = dict(zip(rows[0], rows[-1]))
except OSError:
    pass
put("sipp_calls_created", stat.get("TotalCallCreated", "?"))
put("sipp_calls_successful", stat.get("SuccessfulCall(C)", "?"))
put("sipp_calls_failed", stat.get("FailedCall(C)", "?"))
put("sipp_retransmissions", stat.get("Retransmissions(C)", "?"))

sipp_final = {}
try:
    for line in open(os.path.join(W, "uac.calls.log"), errors="replace"):
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            sipp_final.setdefault(parts[0], int(parts[1]))
except OSError:
    pass
put("sipp_calls_logged", len(sipp_final))

# The -trace_msg log: per call, SIPp's timestamps of the INVITE it sent, the
# first final answer to it, and the BYE it sent ("Dead call" blocks carry no
# timestamp and are skipped). These are the agent's input.
trace = collections.defaultdict(dict)


def trace_block(t, lines):
    start = next((l for l in lines if l.strip() and not l.startswith("UDP message")), "")
    cid = cseq = None
    for l in lines:
        low = l.lower()
        if low.startswith("call-id:"):
            cid = l.split(":", 1)[1].strip()
        elif low.startswith("cseq:"):
            cseq = l.split(":", 1)[1].split()[-1]
    if t is None or not cid:
        return
    c = trace[cid]
    if start.startswith("INVITE "):
        c.setdefault("invite", t)
    elif start.startswith("BYE "):
        c.setdefault("bye", t)
    elif start.startswith("SIP/2.0 ") and cseq == "INVITE":
        code = int(start.split()[1])
        if code >= 200 and "final" not in c:
            c["final"], c["final_t"] = code, t


try:
    with open(os.path.join(W, "logs", "uac_messages.log"), errors="replace") as f:
        t, lines = None, []
        for line in f:
            line = line.rstrip("\r\n")
            if line.startswith("-----"):
                trace_block(t, lines)
                stamp = line.strip("- ")
                try:
                    # local time, no zone: as the agent reads it
                    t = datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()
                except ValueError:
                    t = None
                lines = []
            else:
                lines.append(line)
        trace_block(t, lines)
except OSError:
    pass
trace_invites = {cid for cid, c in trace.items() if "invite" in c}
put("sipp_trace_calls", len(trace_invites))

# ---------------------------------------------------------------- the wire
invite_lines = [l.strip() for l in open(os.path.join(W, "tshark-invites.txt")) if l.strip()]
wire_ids = set(invite_lines)
put("tshark_calls", len(wire_ids))
put("tshark_invite_packets", len(invite_lines))

wire = collections.defaultdict(dict)
for line in open(os.path.join(W, "tshark-sip.tsv")):
    f = line.rstrip("\n").split("\t")
    if len(f) < 5 or not f[1]:
        continue
    t, cid, method, status, cseq = float(f[0]), f[1], f[2], f[3], f[4]
    c = wire[cid]
    if method == "INVITE":
        c.setdefault("invite", t)
    elif method == "BYE":
        c.setdefault("bye", t)
    elif status and cseq == "INVITE":
        code = int(status.split(",")[0])
        if code >= 200 and "final" not in c:
            c["final"] = code
            c["final_t"] = t
answered = {cid for cid in wire_ids if wire[cid].get("final") == 200}
put("tshark_answered", len(answered))
put("tshark_busy", sum(1 for cid in wire_ids if wire[cid].get("final") == 486))
put("tshark_congestion", sum(1 for cid in wire_ids if wire[cid].get("final") == 503))
put("tshark_no_final", sum(1 for cid in wire_ids if "final" not in wire[cid]))
put("tshark_answered_without_bye", sum(1 for cid in answered if "bye" not in wire[cid]))

# ---------------------------------------------------------------- the collector
calls = []
text = open(os.path.join(W, "calls.json")).read()
dec, i = json.JSONDecoder(), 0
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    page, i = dec.raw_decode(text, i)
    calls.extend(page.get("calls", []))
by_cid = collections.defaultdict(list)
for c in calls:
    by_cid[c.get("call_id")].append(c)
coll_ids = set(by_cid)
put("collector_records", len(calls))
put("collector_calls", len(coll_ids))
put("collector_answered", sum(1 for c in calls if c.get("disposition") == "answered"))
put("collector_unpriced", sum(1 for c in calls if c.get("price") is None))

missing = sorted(wire_ids - coll_ids)
extra = sorted(coll_ids - wire_ids)
dups = {cid: cs for cid, cs in by_cid.items() if len(cs) > 1}
put("missing", len(missing))
put("extra", len(extra))
put("duplicates", len(calls) - len(coll_ids))
put("duplicate_call_ids", len(dups))
put("sipp_vs_tshark_diff", len(set(sipp_final) ^ wire_ids))
put("trace_vs_tshark_diff", len(trace_invites ^ wire_ids))

# ---------------------------------------------------------------- per call
# Durations: against SIPp's trace (what the agent read: exact but for the
# millisecond rounding), and against the wire (BYE minus 200 OK) within
# --tolerance-ms plus SIPp's own lag in logging those two messages: under
# load SIPp stamps a received 200 OK when it gets round to it, which can be
# 100+ ms after it crossed lo; the agent can only know SIPp's stamps.
disp_bad, sipp_bad, dur_trace_bad, dur_wire_bad = [], [], [], []
dur_checked = 0
max_trace = max_wire = max_lag = max_answer = max_setup = 0.0
over_tol = 0
for cid in sorted(wire_ids & coll_ids):
    w, c, tr = wire[cid], by_cid[cid][0], trace.get(cid, {})
    want = classify(w.get("final"))
    if c.get("disposition") != want:
        disp_bad.append((cid, want, c.get("disposition")))
    if cid in sipp_final and sipp_final[cid] != w.get("final"):
        sipp_bad.append((cid, sipp_final[cid], w.get("final")))
    if "invite" in w and c.get("setup_time"):
        max_setup = max(max_setup, abs(ts(c["setup_time"]) - w["invite"]) * 1000)
    got = c.get("duration_ms") or 0
    if want == "answered" and "bye" in w:
        dur_checked += 1
        if "bye" in tr and tr.get("final") == 200:
            trace_ms = (tr["bye"] - tr["final_t"]) * 1000
            lag = (abs(tr["final_t"] - w["final_t"]) + abs(tr["bye"] - w["bye"])) * 1000
        else:
            trace_ms, lag = None, 0.0
        wire_ms = (w["bye"] - w["final_t"]) * 1000
        d_wire = abs(got - wire_ms)
        max_wire, max_lag = max(max_wire, d_wire), max(max_lag, lag)
        over_tol += d_wire > args.tolerance_ms
        if c.get("answer_time"):
            max_answer = max(max_answer, abs(ts(c["answer_time"]) - w["final_t"]) * 1000)
        if trace_ms is None or abs(got - trace_ms) > 2:
            dur_trace_bad.append((cid, None if trace_ms is None else round(trace_ms, 1), got))
        else:
            max_trace = max(max_trace, abs(got - trace_ms))
        if d_wire > args.tolerance_ms + lag:
            dur_wire_bad.append((cid, round(wire_ms, 1), got, round(lag, 1)))
    elif want != "answered" and got != 0:
        dur_trace_bad.append((cid, 0, got))
        dur_wire_bad.append((cid, 0, got, 0))
put("disposition_mismatches", len(disp_bad))
put("sipp_status_mismatches", len(sipp_bad))
put("durations_checked", dur_checked)
put("duration_mismatches_vs_trace", len(dur_trace_bad))
put("duration_trace_max_diff_ms", round(max_trace, 1))
put("duration_mismatches_vs_wire", len(dur_wire_bad))
put("duration_wire_max_diff_ms", round(max_wire, 1))
put("duration_wire_over_tolerance", over_tol)
put("sipp_trace_lag_max_ms", round(max_lag, 1))
put("duration_tolerance_ms", args.tolerance_ms)
put("answer_time_wire_max_diff_ms", round(max_answer, 1))
put("setup_time_wire_max_diff_ms", round(max_setup, 1))

ok = (
    len(missing) == 0
    and len(extra) == 0
    and len(calls) == len(coll_ids)
    and len(coll_ids) == len(wire_ids)
    and len(wire_ids) > 0
    and set(sipp_final) == wire_ids
    and trace_invites == wire_ids
    and str(len(wire_ids)) == stat.get("TotalCallCreated")
    and not disp_bad
    and not dur_trace_bad
    and not dur_wire_bad
    and not sipp_bad
)
put("compare_ok", "yes" if ok else "no")

with open(os.path.join(W, "compare-details.txt"), "w") as f:
    for cid in missing:
        w = wire[cid]
        f.write(f"missing {cid} invite={w.get('invite')} final={w.get('final')} bye={w.get('bye')}\n")
    for cid in extra:
        f.write(f"extra {cid} {json.dumps(by_cid[cid])}\n")
    for cid, cs in dups.items():
        for c in cs:
            f.write(f"duplicate {cid} {json.dumps(c)}\n")
    for cid, want, got in disp_bad:
        f.write(f"disposition {cid} wire={want} collector={got}\n")
    for cid, want, got in sipp_bad:
        f.write(f"sipp_status {cid} sipp={want} wire={got}\n")
    for cid, want, got in dur_trace_bad:
        f.write(f"duration_vs_trace {cid} trace_ms={want} collector_ms={got}\n")
    for cid, want, got, lag in dur_wire_bad:
        f.write(f"duration_vs_wire {cid} wire_ms={want} collector_ms={got} sipp_trace_lag_ms={lag}\n")
print("\n".join(out))
