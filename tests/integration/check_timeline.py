#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""
check_timeline.py TIMELINE.json DUMP.jsonl HEADER.json

A `tsend-trace timeline` export checked against the `tsend-trace dump --json`
and `dump --header --json` of the same trace, as Perfetto's JSON importer
would read it: X slices of a thread must nest (at equal ts the longer comes
first; slices are [ts, ts+dur)), flow events bind to the slice open on their
thread at their ts, and a flow's "s" must come before its "f". Prints one
"ok - " or "FAIL - " line per check (tests/run.sh counts them).
"""
import json
import re
import sys
from collections import defaultdict
from decimal import Decimal

failures = 0


def say(ok, what, why=None):
    global failures
    print(("ok - " if ok else "FAIL - ") + what)
    if not ok:
        failures += 1
        for line in (why or [])[:5]:
            print("# " + str(line))


def ns(v):
    """µs with ns digits, as exact integer ns"""
    return int(Decimal(v) * 1000)


def load():
    try:
        with open(sys.argv[1]) as f:
            doc = json.load(f, parse_float=Decimal)
    except ValueError as e:
        say(False, "timeline: parses as JSON", [e])
        sys.exit(1)
    recs = [json.loads(line) for line in open(sys.argv[2])]
    with open(sys.argv[3]) as f:
        header = json.load(f)
    return doc, recs, header


def check_top(doc, header):
    meta = doc.get("metadata", {})
    say(isinstance(doc.get("traceEvents"), list) and doc.get("displayTimeUnit") == "ns",
        "timeline: object form with traceEvents and displayTimeUnit ns")
    say(meta.get("kernel_release") == header["kernel_release"]
        and meta.get("hostname") == header["hostname"]
        and meta.get("cmdline") == header["cmdline"]
        and len(meta.get("probes", [])) == len(header["probes"]),
        "timeline: metadata has the recording's kernel, host, command line and probe table")


def names(events):
    """pid -> process name, (pid, tid) -> thread name"""
    procs, threads = {}, {}
    for e in events:
        if e["ph"] == "M" and e["name"] == "process_name":
            procs[e["pid"]] = e["args"]["name"]
        elif e["ph"] == "M" and e["name"] == "thread_name":
            threads[(e["pid"], e["tid"])] = e["args"]["name"]
    return procs, threads


def check_processes(events, recs, procs):
    cpus_pid = [p for p, n in procs.items() if n == "CPUs"]
    say(len(cpus_pid) == 1, "timeline: one process CPUs")
    want = {r["sk"] for r in recs if r["stage"] == "net_dev_start_xmit" and r["sk"] != "0x0"}
    named = {}
    for pid, name in procs.items():
        m = re.fullmatch(r"(\S+:\d+>\S+:\d+ )?sk (0x[0-9a-f]+)", name)
        if m:
            named[m.group(2)] = (pid, m.group(1))
    bad = [sk for sk in want if sk not in named or not named[sk][1]]
    say(want and not bad, "timeline: a process per socket, named by its flow (%d)" % len(want),
        ["no process named by the flow of sk %s" % sk for sk in bad])
    used = {e["pid"] for e in events if e["ph"] != "M"}
    say(used <= set(procs), "timeline: every process has a name",
        ["pid %d has no name" % p for p in used - set(procs)])
    return cpus_pid[0] if cpus_pid else None


def check_cpus(events, recs, threads, cpus_pid):
    ran = {r["cpu"] for r in recs if r["kind"] == "skb"}
    cpu_threads = {n for (p, t), n in threads.items() if p == cpus_pid}
    busy = {threads.get((e["pid"], e["tid"])) for e in events
            if e["pid"] == cpus_pid and e["ph"] == "i"}
    want = {"CPU %d" % c for c in ran}
    say(want and want <= cpu_threads and want <= busy,
        "timeline: a thread with instants per CPU that ran skb stages (%d)" % len(want),
        sorted(want - (cpu_threads & busy)))
    say(all(e["ph"] == "i" and e.get("s") == "t" for e in events
            if e["pid"] == cpus_pid and e["ph"] != "M"),
        "timeline: CPU threads hold thread-scoped instants only")


def check_stages(events, recs, cpus_pid):
    for stage in ("net_dev_start_xmit", "net_dev_queue", "consume_skb"):
        n_rec = sum(r["stage"] == stage for r in recs)
        n_x = sum(e["ph"] == "X" and e["name"] == stage and e["pid"] != cpus_pid
                  for e in events)
        n_i = sum(e["ph"] == "i" and e["name"] == stage for e in events)
        say(n_rec > 0 and n_x == n_rec and n_i == n_rec,
            "timeline: %d %s records, %d slices, %d CPU instants" % (n_rec, stage, n_x, n_i))


def slices_by_thread(events):
    by = defaultdict(list)
    for i, e in enumerate(events):
        if e["ph"] == "X":
            s = ns(e["ts"])
            by[(e["pid"], e["tid"])].append((s, s + ns(e["dur"]), i, e))
    for v in by.values():
        v.sort(key=lambda x: (x[0], -(x[1] - x[0]), x[2]))
    return by


def check_nesting(by):
    bad = []
    for key, slices in by.items():
        stack = []
        for start, end, _, e in slices:
            while stack and stack[-1][1] <= start:
                stack.pop()
            if stack and end > stack[-1][1]:
                bad.append("%s: %s [%d, %d) overlaps %s [%d, %d)" % (
                    key, e["name"], start, end, stack[-1][2], stack[-1][0], stack[-1][1]))
            stack.append((start, end, e["name"]))
    say(not bad and by, "timeline: X slices nest on each of %d threads" % len(by), bad)


def bound(by, e):
    """the parent-most X slice on e's thread containing e's ts"""
    t = ns(e["ts"])
    for start, end, _, s in by.get((e["pid"], e["tid"]), []):
        if start <= t < end:
            return s
    return None


def check_flows(events, by):
    s_ev = {e["id"]: e for e in events if e["ph"] == "s"}
    f_ev = {e["id"]: e for e in events if e["ph"] == "f"}
    n_s = sum(e["ph"] == "s" for e in events)
    n_f = sum(e["ph"] == "f" for e in events)
    say(n_s == len(s_ev) == len(f_ev) == n_f and s_ev.keys() == f_ev.keys(),
        "timeline: %d flow arrows, one s and one f each" % n_s)
    bad = []
    links = defaultdict(set)  # send id -> skb ids
    for fid, s in s_ev.items():
        f = f_ev.get(fid)
        send, frame = bound(by, s), f and bound(by, f)
        if not send or not send["name"].startswith("send() #") or not frame \
                or not frame["name"].startswith("skb #") or ns(s["ts"]) > ns(f["ts"]) \
                or f.get("bp") != "e" or s["pid"] != f["pid"]:
            bad.append("arrow %s: %s -> %s" % (fid, s, f))
            continue
        links[send["args"]["id"]].add(frame["args"]["id"])
    say(not bad, "timeline: each arrow goes forward from a send() slice to an skb slice", bad)
    return links


def check_frames(events, links):
    """as many arrows into each skb as send() calls the assembler says it
    carries bytes of"""
    into = defaultdict(int)
    for skbs in links.values():
        for k in skbs:
            into[k] += 1
    bad, n = [], 0
    for e in events:
        if e["ph"] == "X" and e["name"].startswith("skb #"):
            a = e["args"]
            n += a["nr_sends"] > 0
            if into[a["id"]] != a["nr_sends"]:
                bad.append("skb #%d: %d arrows, nr_sends %d" % (a["id"], into[a["id"]],
                                                                 a["nr_sends"]))
    say(n and not bad, "timeline: each of %d frames has an arrow per send() it carries" % n, bad)


def seq_meet(send, skb):
    """the skb's [seq, end_seq) meets the bytes the send() returned"""
    m = re.search(r" seq (\d+)-(\d+)$", skb["name"])
    if "seq" not in send or not m:
        return True
    a, b = int(m.group(1)), int(m.group(2))
    lo, hi = send["seq"], send["seq"] + send["ret"]
    return (a - hi) % 2**32 >= 2**31 and (lo - b) % 2**32 >= 2**31


def check_sends(events, links):
    """its frames: skbs of its socket in its id range that carry some of its
    bytes and that the assembler accounted send() bytes to"""
    sends = [e for e in events if e["ph"] == "X" and e["name"].startswith("send() #")]
    skbs = defaultdict(list)
    for e in events:
        if e["ph"] == "X" and e["name"].startswith("skb #"):
            skbs[e["pid"]].append(e)
    bad, n = [], 0
    for e in sends:
        a = e["args"]
        if not isinstance(a["ret"], int) or a["ret"] <= 0 or not a["frames"]:
            continue
        n += 1
        lo, hi = a["first_skb"], a["last_skb"]
        mine = {k["args"]["id"] for k in skbs[e["pid"]]
                if lo <= k["args"]["id"] <= hi and k["args"]["nr_sends"] and seq_meet(a, k)}
        if not links[a["id"]] or not mine <= links[a["id"]]:
            bad.append("send() #%d: frames %s, arrows to %s" % (a["id"], sorted(mine),
                                                              sorted(links[a["id"]])))
    say(n and not bad, "timeline: every send() with ret > 0 has arrows to each of its frames (%d)"
        % n, bad)


def check_times(events, header):
    end = header["stats"]["end_ns"] - header["start_ns"]
    bad = [e for e in events if e["ph"] != "M"
           and not 0 <= ns(e["ts"]) <= ns(e["ts"]) + ns(e.get("dur", 0)) <= end + 1000]
    say(not bad, "timeline: every event within the recording (0 to %d ns)" % end, bad)


def main():
    doc, recs, header = load()
    say(True, "timeline: parses as JSON")
    events = doc["traceEvents"]
    check_top(doc, header)
    procs, threads = names(events)
    cpus_pid = check_processes(events, recs, procs)
    check_cpus(events, recs, threads, cpus_pid)
    check_stages(events, recs, cpus_pid)
    by = slices_by_thread(events)
    check_nesting(by)
    links = check_flows(events, by)
    check_sends(events, links)
    check_frames(events, links)
    check_times(events, header)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
