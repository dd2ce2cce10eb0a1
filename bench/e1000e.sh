#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Frames per second of tsend-replay's userspace 82574L driver against the
# guest kernel's own e1000e path for the same frames, in one boot of the
# QEMU test guest (tests/vm). The frames: the 56 wire frames of
# tests/data/guest-fentry.trace (at most 1514 bytes), as a pcap so that no
# replay engine work is timed, LOOPS times per run, as fast as each path
# takes them:
#   userspace  tsend-replay -o e1000e:PCI --bind: descriptors and one tail
#              write per 64 frames, no system call
#   sendmmsg   bench/sendmmsg: AF_PACKET SOCK_RAW, 64 frames per sendmmsg()
#   afpacket   tsend-replay -o afpacket:eth0: its TPACKET_V2 TX ring
# The kernel's two go through the qdisc, e1000_xmit_frame() and TX
# interrupts, on the same NIC, up without an address. Why: the userspace
# driver exists to send faster than the kernel can for the same NIC; this
# says by how much. Under TCG every MMIO access and DMA is emulated, so the
# ratio is the guest work saved per frame, not what an 82574L would do.
# The runs interleave; the NIC's own count of packets sent (GPTC; for the
# kernel's runs tx_packets, which e1000e reads from GPTC) must equal the
# frames sent. Frames go onto the guest's QEMU hub only. Needs root.
#   bench/e1000e.sh [RUNS] [LOOPS]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
BUILD=${BUILD:-$ROOT/build}
RUNS=${1:-7}
LOOPS=${2:-1800}
static=$BUILD/static
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
for n in "$RUNS" "$LOOPS"; do
	case $n in '' | 0* | *[!0-9]*) echo "usage: bench/e1000e.sh [RUNS] [LOOPS]" >&2; exit 1 ;; esac
done
[ "$(id -u)" = 0 ] || { echo "e1000e.sh: needs root (run-guest.sh builds an initramfs)" >&2; exit 1; }

if ! make -s -C "$ROOT" OUTPUT="$static" STATIC=1 "$static/tsend-replay" \
	"$static/bench/sendmmsg" >"$d/make.log" 2>&1; then
	tail -20 "$d/make.log" >&2
	exit 1
fi
# the frames of one pass: the trace's wire view
"$static/tsend-replay" run "$ROOT/tests/data/guest-fentry.trace" -o "pcap:$d/frames.pcap" \
	2>"$d/pcap.log" || { cat "$d/pcap.log" >&2; exit 1; }
nf=$(sed -n 's/^tsend-replay: \([0-9]*\) frames,.*/\1/p' "$d/pcap.log")

{
	echo "RUNS=$RUNS LOOPS=$LOOPS FRAMES=$((nf * LOOPS))"
	cat <<'GUEST'
F=/data/frames.pcap
nic=$(basename "$(readlink -f /sys/class/net/eth0/device)")
echo 8 > /proc/sys/vm/nr_hugepages
for i in all default eth0 eth1; do sysctl -qw net.ipv6.conf.$i.disable_ipv6=1; done
rc=0
echo "GUEST $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPUs"
# the interface of $nic (its name may change when --bind gives it back)
ifc() { ls /sys/bus/pci/devices/$nic/net; }
tx() { cat /sys/class/net/$(ifc)/statistics/tx_packets; }
# one KIND RUN CMD...: runs CMD, prints "BENCH KIND RUN FRAMES SECONDS PPS
# NIC_PACKETS", and FAIL unless all frames went and the NIC counted them
one() {
	kind=$1 run=$2
	shift 2
	[ "$kind" = userspace ] || nic0=$(tx)
	[ "$run" = 1 ] && echo "CMD $kind $*"
	if ! "$@" > /tmp/out 2>&1; then
		echo "FAIL - $kind run $run: $(tr '\n' ' ' < /tmp/out)"
		rc=1
		return
	fi
	set -- $(sed -n 's/^[a-z-]*: \([0-9]*\) frames, .* in \([0-9.]*\) s (\([0-9]*\) pps.*/\1 \2 \3/p' /tmp/out)
	if [ "$kind" = userspace ]; then
		nicn=$(sed -n 's/.*NIC: \([0-9]*\) packets (GPTC).*/\1/p' /tmp/out)
	else
		nicn=$(($(tx) - nic0))
	fi
	echo "BENCH $kind $run $1 $2 $3 $nicn"
	if [ "$1" != "$FRAMES" ] || [ "$nicn" != "$1" ]; then
		echo "FAIL - $kind run $run: $1 frames sent, NIC counted $nicn: $(tr '\n' ' ' < /tmp/out)"
		rc=1
	fi
}
for run in $(seq $RUNS); do
	one userspace $run tsend-replay run $F -o e1000e:$nic --bind --topspeed --loop $LOOPS
	ip link set "$(ifc)" up
	# carrier, and the qdisc that linkwatch attaches after it
	for _ in $(seq 100); do
		ip link show "$(ifc)" | grep LOWER_UP | grep -qv 'qdisc noop' && break
		sleep 0.05
	done
	one sendmmsg $run sendmmsg "$(ifc)" $F $LOOPS
	one afpacket $run tsend-replay run $F -o afpacket:"$(ifc)" --topspeed --loop $LOOPS
	ip link set "$(ifc)" down
done
exit $rc
GUEST
} >"$d/guest.sh"

# the host has few cores: another QEMU at the same time skews the numbers
before=$(pgrep -c qemu-system || true)
rc=0
timeout 400 "$ROOT/tests/vm/run-guest.sh" --timeout 300 --script "$d/guest.sh" \
	--add "$static/tsend-replay" --add "$static/bench/sendmmsg" \
	--add "$d/frames.pcap:/data/frames.pcap" >"$d/out" 2>"$d/err" || rc=$?
after=$(pgrep -c qemu-system || true)
if [ "$rc" != 0 ]; then
	grep -a '^FAIL - ' "$d/out" >&2 || tail -20 "$d/out" "$d/err" >&2
	echo "e1000e.sh: the guest failed (run-guest.sh exit $rc)" >&2
	exit 1
fi

# median, min, max of a path's pps
stats() { awk -v k="$1" '$1 == "BENCH" && $2 == k {print $6}' "$d/out" | median_spread; }
read -r base _ _ < <(stats userspace)
printf '%-10s %12s %10s %10s %15s %9s   (%d frames x %d loops per run, %d runs)\n' \
	path median min max userspace/path NIC=sent "$nf" "$LOOPS" "$RUNS"
for k in userspace sendmmsg afpacket; do
	read -r m lo hi < <(stats "$k")
	nicok=$(awk -v k="$k" '$1 == "BENCH" && $2 == k {n++; ok += $4 == $7} END {print ok "/" n}' \
		"$d/out")
	awk -v k="$k" -v m="$m" -v lo="$lo" -v hi="$hi" -v b="$base" -v c="$nicok" \
		'BEGIN { printf "%-10s %8.0f pps %10.0f %10.0f %15.2f %9s\n", k, m, lo, hi, b / m, c }'
done
echo "guest: $(sed -n 's/^GUEST //p' "$d/out"); $(qemu-system-x86_64 --version | head -1), TCG"
[ "$before$after" = 00 ] ||
	echo "note: other QEMU processes ran too ($before at the start, $after at the end): noisy numbers"
sed -n 's/^CMD \([a-z]*\) /  \1: /p' "$d/out"
