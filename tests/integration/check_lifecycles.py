#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Lifecycles of a real recording against what the workload did.

usage: check_lifecycles.py TSEND_TRACE TRACE SPORT DPORT SIZE...

The sender wrote SIZE... bytes in that order from SPORT to DPORT. Checks,
from `tsend-trace skb --json`, `dump --json` and `report --json`:
  - one send() per SIZE, in order, each complete: every byte it returned was
    carried by frames (wire_bytes == ret) and its send()->wire is known;
  - the frames' payload, first transmissions only, adds up to the bytes sent,
    and each names the send() of its first byte;
  - one lifecycle on the wire per net_dev_start_xmit record of the flow;
  - every data frame's ACK is seen (the sender waits for them before
    close()), after the frame went on the wire;
  - the report's send()->wire count for the flow is the number of sends.
Prints "ok - ..." / "FAIL - ..." lines for tests/run.sh to count.
"""
import json
import subprocess
import sys


def run_json_lines(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def check(name, ok, detail=""):
    print(("ok - " if ok else "FAIL - ") + name + ("" if ok else f": {detail}"))


def main():
    tool, trace, sport, dport = sys.argv[1:5]
    sizes = [int(s) for s in sys.argv[5:]]
    tag = f":{sport}>"
    stories = run_json_lines([tool, "skb", "--json", "--max", "0", trace])
    flow = [o for o in stories if tag in o["flow"] and o["flow"].endswith(f":{dport}")]
    sends = sorted((o for o in flow if o["type"] == "send"), key=lambda o: o["id"])
    skbs = [o for o in flow if o["type"] == "skb"]

    check("lifecycles: one send() per write, in order",
          [s["ret"] for s in sends] == sizes, [s["ret"] for s in sends])
    bad = [s["id"] for s in sends if s["why"] is not None or s["wire_bytes"] != s["ret"]
           or s["resent_bytes"] != 0 or s["frames"] < 1]
    check("lifecycles: every byte of every send() accounted to frames", not bad,
          f"send() ids {bad}")
    bad = [s["id"] for s in sends
           if not s["send_to_wire_ns"] or s["send_to_wire_ns"] <= 0
           or s["last_wire_ts_ns"] < s["first_wire_ts_ns"]]
    check("lifecycles: send()->wire known and positive for every send()", not bad,
          f"send() ids {bad}")

    data = [l for l in skbs if l["on_wire"] and l["payload"] and not l["retransmit"]]
    carried = sum(l["payload"] for l in data)
    check("lifecycles: first transmissions carry exactly the bytes sent",
          carried == sum(sizes), f"{carried} != {sum(sizes)}")
    ids = {s["id"] for s in sends}
    bad = [l["id"] for l in data if l["send_id"] not in ids]
    check("lifecycles: each data frame names the send() of its first byte", not bad,
          f"skb ids {bad}")

    recs = run_json_lines([tool, "dump", "--json", trace])
    xmits = [r for r in recs if r["stage"] == "net_dev_start_xmit"
             and r["flow"]["sport"] == int(sport) and r["flow"]["dport"] == int(dport)]
    on_wire = [l for l in skbs if l["on_wire"]]
    check("lifecycles: one on the wire per net_dev_start_xmit record",
          len(on_wire) == len(xmits), f"{len(on_wire)} != {len(xmits)}")

    def wire_ts(l):
        return min(s["ts_ns"] for s in l["stages"] if s["stage"] == "net_dev_start_xmit")
    # tcp_sender waits for its ACKs before close(), so tcp_probe sees them all
    bad = [l["id"] for l in data if not l["acked_ts_ns"] or l["acked_ts_ns"] < wire_ts(l)]
    check("lifecycles: every data frame acked, after it left", not bad, f"skb ids {bad}")

    report = json.loads(subprocess.run([tool, "report", "--json", trace], check=True,
                                       capture_output=True, text=True).stdout)
    rflow = [f for f in report["flows"]
             if f["sport"] == int(sport) and f["dport"] == int(dport)]
    count = rflow[0]["send_to_wire"]["count"] if rflow and rflow[0]["send_to_wire"] else 0
    check("report: send()->wire counted once per send()", count == len(sizes),
          f"{count} != {len(sizes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
