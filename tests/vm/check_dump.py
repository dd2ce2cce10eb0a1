#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Cut a QEMU filter-dump into the guest's phases and compare them.

usage: check_dump.py phases DUMP MAC OUTDIR
       check_dump.py equal NAME CAPTURE REFERENCE

phases: a QEMU hub repeats every frame to every port, so one NIC's dump
  holds the whole run. The guest ends each phase with an ARP request for an
  address in 192.0.2.200-254 (a ping of nothing, from the other NIC).
  Writes OUTDIR/phaseK.pcap (K from 0) with the IPv4 and IPv6 frames MAC
  sent in phase K, and prints "phases N".
equal: CAPTURE and REFERENCE hold the same frames, byte for byte, in order
  (timestamps aside: QEMU stamps its own). Prints one "ok - NAME: ..." or
  "FAIL - NAME: ..." line, as tests/lib.sh does; IP fragments are counted
  in the detail, since QEMU 7.2 turns TSO into IP fragmentation.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from check_replay import BadFile, first_diff, read_frames, report  # noqa: E402

MARKER_NET = bytes([192, 0, 2])


def marker(fr):
    """The target's last byte of a marker ARP request, else None"""
    d = fr.data
    if len(d) < 42 or d[12:14] != b"\x08\x06" or d[20:22] != b"\x00\x01":
        return None
    target = d[38:42]
    return target[3] if target[:3] == MARKER_NET and target[3] >= 200 else None


def is_ip(fr):
    return len(fr.data) >= 14 and fr.data[12:14] in (b"\x08\x00", b"\x86\xdd")


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
        for fr in frames:
            f.write(struct.pack("<IIII", fr.ts // 10**9, fr.ts % 10**9, len(fr.data),
                                fr.wire_len))
            f.write(fr.data)


def cmd_phases(dump, mac, outdir):
    src = bytes.fromhex(mac.replace(":", ""))
    phases, seen = [[]], set()
    for fr in read_frames(dump):
        m = marker(fr)
        if m is not None:
            # the kernel repeats an unanswered ARP request: one phase each
            if m not in seen:
                seen.add(m)
                phases.append([])
        elif is_ip(fr) and fr.data[6:12] == src:
            phases[-1].append(fr)
    for k, frames in enumerate(phases):
        write_pcap(os.path.join(outdir, "phase%d.pcap" % k), frames)
    print("phases %d" % len(phases))


def fragments(frames):
    return sum(1 for f in frames if f.data[12:14] == b"\x08\x00" and len(f.data) >= 22
               and struct.unpack("!H", f.data[20:22])[0] & 0x3FFF)


def cmd_equal(name, cap_path, ref_path):
    cap, ref = read_frames(cap_path), read_frames(ref_path)
    why = None
    if not ref:
        why = "the reference has no frame"
    elif len(cap) != len(ref):
        why = "%d frames captured, %d in the reference" % (len(cap), len(ref))
    for i, (c, r) in enumerate(zip(cap, ref)):
        if why:
            break
        if c.data != r.data or c.wire_len != r.wire_len:
            why = "frame %d: %d bytes captured, %d in the reference, first difference at " \
                  "byte %d" % (i + 1, len(c.data), len(r.data), first_diff(c.data, r.data))
    report(why is None, "%s: %s" % (name, why or "%d frames identical, in order (%d of them IP "
                                     "fragments)" % (len(ref), fragments(ref))))


def main(argv):
    try:
        if len(argv) == 4 and argv[0] == "phases":
            cmd_phases(argv[1], argv[2], argv[3])
        elif len(argv) == 4 and argv[0] == "equal":
            cmd_equal(argv[1], argv[2], argv[3])
        else:
            sys.stderr.write(__doc__)
            return 2
    except (BadFile, OSError, struct.error, ValueError) as e:
        report(False, "%s: cannot read: %s" % (argv[1], e))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
