#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Loopback TCP throughput of a fixed workload with no tracer, with
# `tsend-trace record`, with `tsend-trace top`, and with `perf record` on the
# same tracepoints, in one run, interleaved. Prints medians and ratios to
# untraced. Needs root.
#   bench/overhead.sh [RUNS] [SENDS] [SIZE]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
RUNS=${1:-5}
SENDS=${2:-3000}
SIZE=${3:-65536}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
TPS=syscalls:sys_enter_sendto,syscalls:sys_exit_sendto,tcp:tcp_sendmsg_locked,tcp:tcp_probe
TPS=$TPS,net:net_dev_queue,net:net_dev_start_xmit,net:net_dev_xmit,sock:sock_send_length
TPS=$TPS,skb:consume_skb,skb:kfree_skb,qdisc:qdisc_dequeue

sizes=$(for _ in $(seq "$SENDS"); do printf '%s ' "$SIZE"; done)
now() { date +%s.%N; }
# one TRACER: MB/s of the workload while TRACER records
one() {
	local port=$((20000 + RANDOM % 20000)) pid='' t0 t1
	case $1 in
	tsend)
		"$BUILD/tsend-trace" record -o "$d/t.trace" -P "$port" 2>"$d/err" &
		pid=$!
		until grep -q "recording to" "$d/err"; do sleep 0.05; done ;;
	top) # its own file: record's line in $d/err also says "Ctrl-C to stop"
		"$BUILD/tsend-trace" top -P "$port" >/dev/null 2>"$d/top.err" &
		pid=$!
		until grep -qs "Ctrl-C to stop" "$d/top.err"; do sleep 0.05; done ;;
	perf)
		perf record -q -a -e "$TPS" -o "$d/perf.data" 2>/dev/null &
		pid=$!
		sleep 2 ;;
	esac
	t0=$(now)
	# -c: close at once; waiting for the last ACK (a delayed ACK, up to
	# 40 ms) would be timed too, and make the short runs bimodal
	# shellcheck disable=SC2086
	"$BUILD/tests/tcp_sender" loop -c "$port" $sizes >/dev/null
	t1=$(now)
	[ -n "$pid" ] && kill -INT "$pid" && wait "$pid" 2>/dev/null
	echo "$SENDS $SIZE $t0 $t1" | awk '{printf "%.1f\n", $1 * $2 / ($4 - $3) / 1e6}'
}
for _ in $(seq "$RUNS"); do
	for t in none tsend top perf; do echo "$t $(one "$t")"; done
done >"$d/runs"
# median, min, max per tracer (mawk has no asort: sort does it)
stats() { grep "^$1 " "$d/runs" | awk '{print $2}' | sort -g | awk '
	{ a[NR] = $1 }
	END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
	      print m, a[1], a[NR] }'; }
read -r base _ _ < <(stats none)
printf '%-8s %12s %10s %10s %8s   (%d x %d-byte send(), loopback, %d runs)\n' \
	tracer median min max ratio "$SENDS" "$SIZE" "$RUNS"
for t in none tsend top perf; do
	read -r m lo hi < <(stats "$t")
	awk -v t="$t" -v m="$m" -v lo="$lo" -v hi="$hi" -v b="$base" \
		'BEGIN { printf "%-8s %7.1f MB/s %10.1f %10.1f %8.3f\n", t, m, lo, hi, m / b }'
done
