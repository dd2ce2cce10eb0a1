#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Check tsend-replay's frames against the kernel's, or a capture of them.

usage: check_replay.py verify NAME JSON STATUS
       check_replay.py device NAME REPLAY KERNEL
       check_replay.py same NAME CAPTURE REFERENCE
       check_replay.py order NAME FILE
       check_replay.py stream NAME FILE TOTAL

verify: JSON is `tsend-replay verify --json TRACE`, STATUS its exit status:
  0, and every one of the kernel's send-path frames (at least one) has an
  identical replay frame, none differs, is missing or extra.

device: REPLAY is `tsend-replay run -o pcap:F --view device`, KERNEL is
  `tsend-trace pcap TRACE -o K.pcapng` of the same trace. Per flow (one
  direction of a TCP connection) both hold as many frames; the kernel's
  frame i, as snapped, is a prefix of the replay's frame i and both had the
  same length on the wire. Also checks REPLAY's timestamps never go back.
same: CAPTURE (a capture of an interface) holds REFERENCE's frames byte for
  byte and in order, once the frames of other flows (the kernel's own
  router solicitations and the like) are left out.
order: FILE's timestamps never go back.
stream: FILE (a wire view) has one flow carrying data, and its payload put
  together in sequence order is the TOTAL bytes tcp_sender wrote.

Files are classic pcap (either byte order, us or ns) or pcapng, read here
without any library. Prints one "ok - NAME: ..." or "FAIL - NAME: ..." line
per check, as tests/lib.sh does, and exits 0 (the lines are the verdict).
"""
import json
import struct
import sys
from collections import OrderedDict


class Frame:
    __slots__ = ("ts", "data", "wire_len", "linktype")

    def __init__(self, ts, data, wire_len, linktype):
        self.ts = ts  # ns since the epoch
        self.data = data  # the captured bytes
        self.wire_len = wire_len  # original length
        self.linktype = linktype


class BadFile(Exception):
    pass


def report(ok, name):
    print(("ok - " if ok else "FAIL - ") + name)
    return ok


def read_classic(path, data):
    magic = data[:4]
    for e in ("<", ">"):
        m = struct.unpack(e + "I", magic)[0]
        if m in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        raise BadFile("%s: not a pcap file" % path)
    nsec = m == 0xA1B23C4D
    if len(data) < 24:
        raise BadFile("%s: file ends inside the header" % path)
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    off, frames = 24, []
    while off < len(data):
        if off + 16 > len(data):
            raise BadFile("%s: offset %d: file ends inside a record header" % (path, off))
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        if off + 16 + incl > len(data):
            raise BadFile("%s: offset %d: record of %d bytes overruns the file" % (path, off, incl))
        ts = sec * 10**9 + (frac if nsec else frac * 1000)
        frames.append(Frame(ts, data[off + 16:off + 16 + incl], orig, linktype))
        off += 16 + incl
    return frames


def tsresol_ns(ticks, resol):
    """ticks at pcapng if_tsresol RESOL, in ns (floored)"""
    if resol & 0x80:
        return (ticks * 10**9) >> (resol & 0x7F)
    if resol <= 9:
        return ticks * 10**(9 - resol)
    return ticks // 10**(resol - 9)


def read_pcapng(path, data):
    off, frames = 0, []
    e = "<"
    ifaces = []  # per section: (linktype, snaplen, tsresol, tsoffset_s)
    while off < len(data):
        if off + 12 > len(data):
            raise BadFile("%s: offset %d: file ends inside a block header" % (path, off))
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A or data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            bom = data[off + 8:off + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                e = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                e = ">"
            else:
                raise BadFile("%s: offset %d: bad byte-order magic" % (path, off))
            btype = 0x0A0D0D0A
            ifaces = []
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12 or blen % 4 or off + blen > len(data):
            raise BadFile("%s: offset %d: block length %d" % (path, off, blen))
        if struct.unpack(e + "I", data[off + blen - 4:off + blen])[0] != blen:
            raise BadFile("%s: offset %d: trailing block length differs" % (path, off))
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # interface description
            linktype, _, snaplen = struct.unpack(e + "HHI", body[:8])
            resol, tsoff = 6, 0
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack(e + "HH", body[o:o + 4])
                val = body[o + 4:o + 4 + olen]
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    resol = val[0]
                elif code == 14 and olen >= 8:
                    tsoff = struct.unpack(e + "q", val[:8])[0]
                o += 4 + ((olen + 3) & ~3)
            ifaces.append((linktype, snaplen, resol, tsoff))
        elif btype in (6, 2):  # enhanced packet, obsolete packet
            if btype == 6:
                ifid, th, tl, cap, orig = struct.unpack(e + "IIIII", body[:20])
            else:
                ifid, _, th, tl, cap, orig = struct.unpack(e + "HHIIII", body[:20])
            if ifid >= len(ifaces):
                raise BadFile("%s: offset %d: packet on unknown interface %d" % (path, off, ifid))
            if 20 + cap > len(body):
                raise BadFile("%s: offset %d: captured length %d overruns the block" % (path, off, cap))
            linktype, _, resol, tsoff = ifaces[ifid]
            ts = tsresol_ns((th << 32) | tl, resol) + tsoff * 10**9
            frames.append(Frame(ts, body[20:20 + cap], orig, linktype))
        elif btype == 3:  # simple packet: interface 0, no timestamp
            if not ifaces:
                raise BadFile("%s: offset %d: simple packet before any interface" % (path, off))
            orig = struct.unpack(e + "I", body[:4])[0]
            snap = ifaces[0][1] or orig
            cap = min(orig, snap)
            frames.append(Frame(None, body[4:4 + cap], orig, ifaces[0][0]))
        off += blen
    return frames


def read_frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        return read_pcapng(path, data)
    return read_classic(path, data)


def flow_of(fr):
    """(src, sport, dst, dport) of an Ethernet (or raw IP) TCP frame, else
    ("other", ethertype)"""
    d = fr.data
    if fr.linktype == 1:
        if len(d) < 14:
            return ("other", None)
        etype, o = struct.unpack("!H", d[12:14])[0], 14
        while etype in (0x8100, 0x88A8) and len(d) >= o + 4:
            etype, o = struct.unpack("!H", d[o + 2:o + 4])[0], o + 4
    elif fr.linktype == 101:  # raw IP
        etype, o = (0x0800 if d and d[0] >> 4 == 4 else 0x86DD), 0
    else:
        return ("other", "linktype %d" % fr.linktype)
    if etype == 0x0800 and len(d) >= o + 20:
        ihl = (d[o] & 0xF) * 4
        if d[o + 9] != 6 or len(d) < o + ihl + 4:
            return ("other", etype)
        src, dst, t = d[o + 12:o + 16], d[o + 16:o + 20], o + ihl
    elif etype == 0x86DD and len(d) >= o + 44:
        if d[o + 6] != 6:
            return ("other", etype)
        src, dst, t = d[o + 8:o + 24], d[o + 24:o + 40], o + 40
    else:
        return ("other", etype)
    sport, dport = struct.unpack("!HH", d[t:t + 4])
    return (src.hex(), sport, dst.hex(), dport)


def by_flow(frames):
    flows = OrderedDict()
    for i, fr in enumerate(frames):
        flows.setdefault(flow_of(fr), []).append((i, fr))
    return flows


def name_flow(k):
    if k[0] == "other":
        return "non-TCP %s" % (k[1],)

    def addr(h):
        b = bytes.fromhex(h)
        if len(b) == 4:
            return ".".join(str(x) for x in b)
        return "[" + ":".join(h[i:i + 4] for i in range(0, 32, 4)) + "]"

    return "%s:%d>%s:%d" % (addr(k[0]), k[1], addr(k[2]), k[3])


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def check_order(name, frames, what):
    back = [i for i in range(1, len(frames))
            if frames[i].ts is not None and frames[i - 1].ts is not None
            and frames[i].ts < frames[i - 1].ts]
    untimed = sum(1 for f in frames if f.ts is None)
    ok = bool(frames) and not back and not untimed
    detail = "%d frames" % len(frames)
    if back:
        detail = "frame %d (0-based) goes back %d ns; %d such" % (
            back[0], frames[back[0] - 1].ts - frames[back[0]].ts, len(back))
    elif untimed:
        detail = "%d frames without a timestamp" % untimed
    report(ok, "%s: %s timestamps non-decreasing (%s)" % (name, what, detail))


def cmd_device(name, replay_path, kernel_path):
    rep, ker = read_frames(replay_path), read_frames(kernel_path)
    rf, kf = by_flow(rep), by_flow(ker)
    # the counts
    problems = []
    for k in list(kf) + [k for k in rf if k not in kf]:
        nk, nr = len(kf.get(k, [])), len(rf.get(k, []))
        if nk != nr:
            problems.append("%s: kernel %d, replay %d" % (name_flow(k), nk, nr))
    report(bool(ker) and not problems,
           "%s: device view has the kernel's frame count per flow (%d frames, %d flows%s)"
           % (name, len(ker), len(kf), "; " + "; ".join(problems[:3]) if problems else ""))
    # the bytes, frame by frame within each flow
    bad, compared = [], 0
    for k, kl in kf.items():
        for (ki, kfr), (ri, rfr) in zip(kl, rf.get(k, [])):
            compared += 1
            why = None
            if kfr.wire_len != rfr.wire_len:
                why = "length %d, replay %d" % (kfr.wire_len, rfr.wire_len)
            elif len(rfr.data) < len(kfr.data):
                why = "replay captured %d bytes, kernel %d" % (len(rfr.data), len(kfr.data))
            elif rfr.data[:len(kfr.data)] != kfr.data:
                why = "byte %d differs" % first_diff(kfr.data, rfr.data)
            if why:
                bad.append("%s kernel frame %d / replay frame %d: %s"
                           % (name_flow(k), ki + 1, ri + 1, why))
    report(compared > 0 and not bad,
           "%s: device view frames start with the kernel's bytes, same lengths (%d compared%s)"
           % (name, compared, "; %d differ, first: %s" % (len(bad), bad[0]) if bad else ""))
    check_order(name, rep, "device view")


def cmd_same(name, cap_path, ref_path):
    cap, ref = read_frames(cap_path), read_frames(ref_path)
    flows = set(flow_of(f) for f in ref)
    flows.discard(("other", None))
    kept = [f for f in cap if flow_of(f) in flows]
    why = None
    if not ref:
        why = "the reference has no frame"
    elif len(kept) != len(ref):
        why = "%d frames of its flows captured, %d sent" % (len(kept), len(ref))
    for i, (c, r) in enumerate(zip(kept, ref)):
        if why:
            break
        if c.wire_len != r.wire_len or c.data != r.data:
            why = "frame %d: %d/%d bytes captured, %d/%d sent, first difference at byte %d" % (
                i + 1, len(c.data), c.wire_len, len(r.data), r.wire_len, first_diff(c.data, r.data))
    report(why is None, "%s: capture equals the replayed frames byte for byte, in order (%s)"
           % (name, why or "%d frames, %d others ignored" % (len(ref), len(cap) - len(kept))))


def cmd_verify(name, path, status):
    try:
        with open(path) as f:
            v = json.load(f)
    except ValueError as e:
        report(False, "%s: verify: no JSON object (%s), exit %s" % (name, e, status))
        return
    k = v.get("kernel_frames", 0)
    ok = status == "0" and isinstance(k, int) and k > 0 and v.get("identical") == k and \
        v.get("differ") == 0 and v.get("missing") == 0 and v.get("extra") == 0
    report(ok, "%s: verify: %s of %s kernel frames identical, differ %s, missing %s, extra %s, "
           "exit %s" % (name, v.get("identical"), k, v.get("differ"), v.get("missing"),
                        v.get("extra"), status))


def tcp_payload(fr):
    """(seq, payload, flags) of an Ethernet IPv4/IPv6 TCP frame"""
    d, o = fr.data, 14
    if struct.unpack("!H", d[12:14])[0] == 0x0800:
        t = o + (d[o] & 0xF) * 4
        end = o + struct.unpack("!H", d[o + 2:o + 4])[0]
    else:
        t = o + 40
        end = t + struct.unpack("!H", d[o + 4:o + 6])[0]
    seq = struct.unpack("!I", d[t + 4:t + 8])[0]
    return seq, d[t + (d[t + 12] >> 4) * 4:end], d[t + 13]


def cmd_stream(name, path, total):
    """the data frames of the one flow that carries data, put together in
    sequence order, are the bytes tcp_sender writes: byte i is
    (7 * i + 3) & 0xff (tcp_sender.c pattern())"""
    total = int(total)
    got = {}
    for k, frs in by_flow(read_frames(path)).items():
        for _, fr in frs:
            if k[0] == "other" or fr.wire_len != len(fr.data):
                continue
            seq, pay, flags = tcp_payload(fr)
            if pay:
                got.setdefault(k, []).append((seq, pay))
    flows = [v for v in got.values()]
    if len(flows) != 1:
        report(False, "%s: stream: one flow carries data (%d do)" % (name, len(flows)))
        return
    segs = sorted(flows[0], key=lambda x: (x[0] - flows[0][0][0]) & 0xFFFFFFFF)
    base, data = segs[0][0], bytearray()
    for seq, pay in segs:
        off = (seq - base) & 0xFFFFFFFF
        if off > len(data):
            break
        data[off:off + len(pay)] = pay
    want = bytes((7 * i + 3) & 0xFF for i in range(total))
    same = bytes(data) == want
    report(same, "%s: wire view carries the %d bytes tcp_sender wrote (%d%s)"
           % (name, total, len(data),
              "" if same else ", first difference at %d" % first_diff(bytes(data), want)))


ARGS = {"verify": 3, "device": 3, "same": 3, "order": 2, "stream": 3}


def main(argv):
    if not argv or ARGS.get(argv[0]) != len(argv) - 1:
        sys.stderr.write(__doc__)
        return 2
    cmd, name = argv[0], argv[1]
    try:
        if cmd == "verify":
            cmd_verify(name, argv[2], argv[3])
        elif cmd == "device":
            cmd_device(name, argv[2], argv[3])
        elif cmd == "same":
            cmd_same(name, argv[2], argv[3])
        elif cmd == "stream":
            cmd_stream(name, argv[2], argv[3])
        else:
            check_order(name, read_frames(argv[2]), "frame")
    except (BadFile, OSError, struct.error) as e:
        report(False, "%s: %s: cannot read: %s" % (name, cmd, e))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
