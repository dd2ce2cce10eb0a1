#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Checks tsend-trace flame's folded output against the trace's own stories.

  check_flame.py path FOLDED SKBS.jsonl
      the send-path graph (--mode path --weight latency): each stage's own
      width is the time skbs spent from it to their next stage, computed
      here from `tsend-trace skb --json -n 0`, and all widths together are
      the skbs' time from their first stage to their last
  check_flame.py stacks FOLDED DUMP.jsonl
      the stacks graph (--weight count): one sample per STACK record of
      `tsend-trace dump --json`, every line rooted at a process name
  check_flame.py sum FOLDED COLUMN TOTAL
      the folded lines' COLUMN (1: last, 2: the one before) add up to TOTAL

Prints "ok - ..." / "FAIL - ..." lines.
"""
import json
import sys


def report(ok, what):
    print(("ok - " if ok else "FAIL - ") + what)


def folded(path, column=1):
    """{stack: weight} of a folded file, weights from column (1 = last)."""
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").rsplit(" ", 2 if column == 2 else 1)
            stack, weight = parts[0], int(parts[-column])
            out[stack] = out.get(stack, 0) + weight
    return out


def check_path(folded_path, skbs_path):
    got = {}
    for stack, w in folded(folded_path).items():
        leaf = stack.split(";")[-1]
        got[leaf] = got.get(leaf, 0) + w
    want, span, skbs, backwards = {}, 0, 0, 0
    with open(skbs_path) as f:
        for line in f:
            s = json.loads(line)
            if s.get("type") != "skb" or not s["stages"]:
                continue
            skbs += 1
            st = s["stages"]
            for a, b in zip(st, st[1:]):
                name = "send" if a["stage"] in ("__sys_sendto", "__sys_sendmsg") else a["stage"]
                d = b["ts_ns"] - a["ts_ns"]
                if d < 0:
                    backwards += 1
                    d = 0
                want[name] = want.get(name, 0) + d
            span += st[-1]["ts_ns"] - st[0]["ts_ns"]
    want = {k: v for k, v in want.items() if v}
    report(skbs > 0, f"path: {skbs} skb stories to compare with")
    report(got == want, f"path: each stage's width is its skbs' time to their next stage "
           f"({len(want)} stages)" + ("" if got == want else f": got {got}, want {want}"))
    total = sum(got.values())
    # skbs whose stages came out of order between CPUs count 0 for that step
    report(backwards > 0 or total == span,
           f"path: stage widths sum to the skbs' measured latency ({total} ns, {span} ns)")


def check_stacks(folded_path, dump_path):
    stacks = folded(folded_path)
    records = 0
    comms = set()
    with open(dump_path) as f:
        for line in f:
            r = json.loads(line)
            if r.get("kind") == "stack":
                records += 1
                comms.add(r["comm"])
    total = sum(stacks.values())
    report(records > 0 and total == records,
           f"stacks: one sample per STACK record ({total} samples, {records} records)")
    roots = {s.split(";")[0] for s in stacks}
    report(roots <= comms, f"stacks: every stack is rooted at a recorded process name {sorted(roots)}")
    glue = [s for s in stacks if "bpf_prog_" in s or "bpf_trace_run" in s]
    report(not glue, "stacks: the tracer's own frames are cut off")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "path":
        check_path(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "stacks":
        check_stacks(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "sum":
        total = sum(folded(sys.argv[2], int(sys.argv[3])).values())
        report(total == int(sys.argv[4]),
               f"folded column {sys.argv[3]} adds up to {sys.argv[4]} (got {total})")
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
