#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Check a tsend recording against the workload and an independent capture.

usage: check_capture.py DUMP.jsonl CAPTURE.pcap SPORT DPORT SIZE...

DUMP.jsonl is `tsend-trace dump --json`, CAPTURE.pcap a classic pcap of the
same traffic taken with AF_PACKET (tshark -F pcap). Prints one "ok - " or
"FAIL - " line per check, as tests/lib.sh does.
"""
import json
import struct
import sys


def report(ok, name):
    print(("ok - " if ok else "FAIL - ") + name)
    return ok


def read_pcap(path):
    """Frames (bytes) of a classic little/big-endian pcap, any linktype 1."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise SystemExit("FAIL - %s: not a classic pcap" % path)
    linktype = struct.unpack(e + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit("FAIL - %s: linktype %d, want 1" % (path, linktype))
    off, frames = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


def tcp_ports(frame):
    """(sport, dport, seq, flags, payload_len) of an Ethernet/IPv4|6/TCP frame."""
    etype = struct.unpack("!H", frame[12:14])[0]
    if etype == 0x0800:
        ihl = (frame[14] & 0xF) * 4
        if frame[23] != 6:
            return None
        total = struct.unpack("!H", frame[16:18])[0]
        t = 14 + ihl
        ip_payload = total - ihl
    elif etype == 0x86DD:
        if frame[20] != 6:
            return None
        t = 54
        ip_payload = struct.unpack("!H", frame[18:20])[0]
    else:
        return None
    sport, dport, seq = struct.unpack("!HHI", frame[t:t + 8])
    doff = (frame[t + 12] >> 4) * 4
    return sport, dport, seq, frame[t + 13], ip_payload - doff


def main():
    dump, pcap, sport, dport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    sizes = [int(s) for s in sys.argv[5:]]
    events = [json.loads(line) for line in open(dump)]
    flow = [e for e in events if e.get("flow", {}).get("sport") == sport
            and e["flow"].get("dport") == dport]
    ok = True

    # every send() with its size, and what it returned
    sends = [e for e in flow if e["stage"] in ("__sys_sendto", "__sys_sendmsg")]
    asked = [e["size"] for e in sends if e["phase"] == "entry"]
    rets = [e["ret"] for e in sends if e["phase"] == "exit"]
    ok &= report(asked == sizes, "every send() recorded with its size %s" % asked)
    ok &= report(rets == sizes, "every send() recorded with its result %s" % rets)

    # frames at net_dev_start_xmit: contiguous sequence covering the bytes sent
    xmit = [e for e in flow if e["stage"] == "net_dev_start_xmit"]
    ok &= report(all(e["seq_valid"] for e in xmit) and len(xmit) > 0,
                 "%d frames at net_dev_start_xmit, all with TCP seq" % len(xmit))
    syn = [e for e in xmit if e["tcp_flags"] & 0x02]
    data = [e for e in xmit if e["end_seq"] - e["seq"]
            - (1 if e["tcp_flags"] & 0x02 else 0) - (1 if e["tcp_flags"] & 0x01 else 0) > 0]
    expect = (syn[0]["end_seq"] if syn else data[0]["seq"]) if data else None
    contiguous = True
    for e in data:
        if e["seq"] != expect:
            contiguous = False
            break
        expect = e["end_seq"] - (1 if e["tcp_flags"] & 0x01 else 0)
    carried = sum(e["end_seq"] - e["seq"] - (1 if e["tcp_flags"] & 0x01 else 0) for e in data)
    ok &= report(contiguous, "data frames are contiguous in TCP sequence")
    ok &= report(carried == sum(sizes),
                 "frames carry exactly the bytes sent (%d of %d)" % (carried, sum(sizes)))

    # the same frames, in the same order, in the independent capture
    cap = [f for f in read_pcap(pcap) if (tcp_ports(f) or (0, 0))[:2] == (sport, dport)]
    ok &= report(len(cap) == len(xmit),
                 "capture has the same frame count (%d captured, %d recorded)"
                 % (len(cap), len(xmit)))
    same = 0
    for e, f in zip(xmit, cap):
        snap = bytes.fromhex(e["snap"])
        if snap and f[:len(snap)] == snap:
            same += 1
        else:
            print("    first mismatch: recorded %s captured %s" % (snap.hex(), f[:len(snap)].hex()))
            break
    ok &= report(same == len(xmit) and same > 0,
                 "recorded frame headers equal the captured ones (%d/%d)" % (same, len(xmit)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
