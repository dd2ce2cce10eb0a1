#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""How far the frames of a capture missed a constant-rate schedule.

    bench/replay_gaps.py CAPTURE.pcap RATE [FRAMES]

CAPTURE is a classic pcap (nanosecond or microsecond timestamps) of the
frames of one paced replay, as the receiving end of a veth saw them; RATE is
the frames per second asked for. Frame i (0-based, in capture order) was due
at T0 + i / RATE. Prints one line:

    frames N pps ACHIEVED sched_p50 U sched_p99 U sched_max U gap_p50 U gap_p99 U gap_max U

the errors (U) in microseconds:
  sched  |t_i - (T0 + i/RATE)|, the frame's distance from its ideal time, with
         T0 the median of t_i - i/RATE: the phase that best fits the whole
         run, so that one late first frame does not shift every other. A
         rate that is off accumulates here.
  gap    |(t_i - t_{i-1}) - 1/RATE| over the N-1 gaps: how far each gap
         missed the ideal one; what tsend-replay's own summary reports, here
         seen by the receiver. A rate that is off by a little barely shows.
Quantiles are nearest rank: the smallest value with at least p% of them at or
below it. ACHIEVED is (N - 1) / (t_last - t_first). With FRAMES, a capture
holding another count is an error (exit 1).
"""
import struct
import sys


def timestamps(path):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        sys.exit(f'{path}: not a pcap')
    for endian in '<>':
        magic = struct.unpack(endian + 'I', data[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            break
    else:
        sys.exit(f'{path}: not a classic pcap (magic {data[:4].hex()})')
    frac = 1 if magic == 0xa1b23c4d else 1000
    rec = struct.Struct(endian + 'IIII')
    out = []
    off = 24
    while off + 16 <= len(data):
        sec, sub, caplen, _ = rec.unpack_from(data, off)
        out.append(sec * 1_000_000_000 + sub * frac)
        off += 16 + caplen
    return out


def quantile(sorted_vals, pct):
    """Nearest rank, as tsend-replay's own summary."""
    if not sorted_vals:
        return 0.0
    rank = max(1, -(-len(sorted_vals) * pct // 100))
    return sorted_vals[rank - 1]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit('usage: bench/replay_gaps.py CAPTURE.pcap RATE [FRAMES]')
    ts = timestamps(sys.argv[1])
    rate = float(sys.argv[2])
    if len(sys.argv) == 4 and len(ts) != int(sys.argv[3]):
        print(f'{sys.argv[1]}: {len(ts)} frames captured, {sys.argv[3]} sent', file=sys.stderr)
        sys.exit(1)
    if len(ts) < 2:
        sys.exit(f'{sys.argv[1]}: {len(ts)} frames, too few')
    period = 1e9 / rate
    t0 = ts[0]
    rel = [t - t0 for t in ts]
    phase = sorted(r - i * period for i, r in enumerate(rel))
    mid = len(phase) // 2
    base = phase[mid] if len(phase) % 2 else (phase[mid - 1] + phase[mid]) / 2
    sched = sorted(abs(r - (base + i * period)) for i, r in enumerate(rel))
    gap = sorted(abs((rel[i] - rel[i - 1]) - period) for i in range(1, len(rel)))
    pps = (len(ts) - 1) * 1e9 / (ts[-1] - ts[0]) if ts[-1] > ts[0] else 0.0
    us = [v / 1000 for v in (quantile(sched, 50), quantile(sched, 99), sched[-1],
                             quantile(gap, 50), quantile(gap, 99), gap[-1])]
    print('frames %d pps %.1f sched_p50 %.3f sched_p99 %.3f sched_max %.3f '
          'gap_p50 %.3f gap_p99 %.3f gap_max %.3f' % (len(ts), pps, *us))


if __name__ == '__main__':
    main()
