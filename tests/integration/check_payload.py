#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Check the send() bytes of a `--payload` recording against tcp_sender's.

usage: check_payload.py DUMP.jsonl SPORT DPORT LIMIT PATTERN SIZE...

DUMP.jsonl is `tsend-trace dump --json`; LIMIT is the --payload given ("all"
or a byte count); PATTERN is tcp_sender's ("7": byte i is (i * 7 + 3) & 0xff,
"r": with -r, bits 24-31 of i * 2654435761). Each send()'s entry record
holds its first bytes, DATA records between it and its exit the rest
(bpf/tsend.h). Prints one "ok - " or "FAIL - " line per check.
"""
import json
import sys

DATA_MAX = 1024   # TSEND_DATA_MAX: what an entry record holds at most
CHUNK_MAX = 4096  # TSEND_CHUNK_MAX
SEND_STAGES = ("__sys_sendto", "__sys_sendmsg")


def report(ok, name):
    print(("ok - " if ok else "FAIL - ") + name)
    return ok


def pattern(kind, start, n):
    if kind == "r":
        return bytes(((i * 2654435761) & 0xFFFFFFFF) >> 24 for i in range(start, start + n))
    return bytes((i * 7 + 3) & 0xFF for i in range(start, start + n))


def collect(events, sport, dport):
    """Each send() of the flow: entry, its DATA records, exit; and strays."""
    open_by_tid, sends, stray = {}, [], []
    for e in events:
        if e["stage"] not in SEND_STAGES:
            continue
        if e["kind"] == "send":
            flow = e.get("flow", {})
            if (flow.get("sport"), flow.get("dport")) != (sport, dport):
                continue
            if e["phase"] == "entry":
                s = {"entry": e, "data": [], "exit": None}
                open_by_tid[e["tid"]] = s
                sends.append(s)
            elif e["tid"] in open_by_tid:
                open_by_tid.pop(e["tid"])["exit"] = e
        elif e["kind"] == "data":
            s = open_by_tid.get(e["tid"])
            if s and s["entry"]["sk"] == e["sk"]:
                s["data"].append(e)
            else:
                stray.append(e)
    return sends, stray


def main():
    dump, sport, dport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    limit = None if sys.argv[4] == "all" else int(sys.argv[4])
    kind, sizes = sys.argv[5], [int(s) for s in sys.argv[6:]]
    events = [json.loads(line) for line in open(dump)]
    sends, stray = collect(events, sport, dport)
    ok = report(len(sends) == len(sizes) and all(s["exit"] for s in sends),
                "%d send() calls recorded with entry and exit (%d made)"
                % (len(sends), len(sizes)))
    ok &= report(not stray, "every DATA record sits between its send()'s entry and exit "
                 "(%d stray)" % len(stray))

    off, exact, whole, chunks, bad_chunks, entry_ok = 0, 0, 0, 0, [], 0
    for s in sends:
        ret = s["exit"]["ret"] if s["exit"] else 0
        want = ret if limit is None else min(ret, limit)
        got = bytes.fromhex(s["entry"]["payload"])
        size = s["entry"]["size"]
        if len(got) == min(size, DATA_MAX, size if limit is None else limit):
            entry_ok += 1
        for d in s["data"]:
            chunks += 1
            data = bytes.fromhex(d["data"])
            if (d["offset"] != len(got) or len(data) != d["data_len"]
                    or not 0 < d["data_len"] <= CHUNK_MAX or d["phase"] != "exit"):
                bad_chunks.append((d["offset"], d["data_len"], len(got)))
                break
            got += data
        if len(got) == want:
            whole += 1
        if got == pattern(kind, off, len(got)):
            exact += 1
        elif len(bad_chunks) < 3:
            first = next((i for i, (a, b) in enumerate(zip(got, pattern(kind, off, len(got))))
                          if a != b), None)
            print("    send of %d: first wrong byte at %s" % (ret, first))
        off += max(ret, 0)
    n = len(sends)
    ok &= report(entry_ok == n, "entry records hold min(size, 1024, --payload) bytes "
                 "(%d/%d)" % (entry_ok, n))
    ok &= report(not bad_chunks, "%d DATA records, each at the offset where the bytes "
                 "before it end, 1 to 4096 bytes %s" % (chunks, bad_chunks[:3]))
    ok &= report(whole == n, "each send() has min(ret, --payload %s) bytes (%d/%d)"
                 % (sys.argv[4], whole, n))
    ok &= report(exact == n and n > 0, "the bytes equal what tcp_sender sent (%d/%d)"
                 % (exact, n))
    if limit is not None and limit <= DATA_MAX:
        ok &= report(chunks == 0, "--payload %d: no DATA records" % limit)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
