#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# make demo: record a loopback TCP workload of known sizes with tsend-trace,
# then show how it was watched, the first events, one send()'s story and the
# report and where the time went as flame graphs; then replay it with
# tsend-replay, verified against the kernel's frames, into a pcap.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
TRACE=$BUILD/tsend-trace
REPLAY=$BUILD/tsend-replay
if [ "$(id -u)" != 0 ]; then
	echo "make demo: recording needs root (BPF); run it as root" >&2
	exit 1
fi
out=$BUILD/demo.trace
port=$((20000 + RANDOM % 20000))
sizes=(100 2000 70000 5 1448 65536)

echo "== how each send-path function is watched on $(uname -r)"
"$TRACE" probes | grep -v "inline: no symbol"
echo
echo "== recording: tcp_sender sends ${sizes[*]} bytes over 127.0.0.1:$port"
"$TRACE" record -o "$out" --payload all --stacks net_dev_start_xmit -P "$port" -- \
	"$BUILD/tests/tcp_sender" loop "$port" "${sizes[@]}"
echo
echo "== the first 12 events (tsend-trace dump $out)"
"$TRACE" dump "$out" | head -12 | cut -c1-160
echo
echo "== the 70000-byte send() and the frames that carried it (tsend-trace skb --send 3)"
"$TRACE" skb --send 3 "$out"
echo
echo "== tsend-trace report $out"
"$TRACE" report "$out"
echo
echo "== where the send path spent its time (tsend-trace flame)"
"$TRACE" flame "$out" -o "$BUILD/demo-stacks.svg"
"$TRACE" flame "$out" --mode path -o "$BUILD/demo-path.svg"
echo "open $BUILD/demo-stacks.svg (stacks at net_dev_start_xmit) and $BUILD/demo-path.svg"
echo "(the seed's call tree, widths = time skbs spent) in a browser; the send path's stacks:"
"$TRACE" flame "$out" --folded 2>/dev/null | awk '{print $NF, $0}' | sort -rn | head -3 |
	cut -d' ' -f2- | cut -c1-160
echo
echo "== the send path re-run in userspace: tsend-replay verify $out"
"$REPLAY" verify "$out" || echo "(verify found differences: listed above)"
echo
echo "== the frames it makes, as a NIC puts them on the wire (tsend-replay run)"
"$REPLAY" run "$out" -o "pcap:$BUILD/demo.pcap"
