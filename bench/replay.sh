#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# tsend-replay against tcpreplay on the same frames, in one run, RUNS times
# each after an untimed round, interleaved (which tool goes first changes
# run by run):
#   pcap:      frames/s of a pcap written from a pcap, against tcprewrite
#              (tcpreplay's suite has no file output; tcprewrite is its
#              pcap-in, pcap-out tool) and tcpdump -r -w, on tmpfs
#   afpacket:  frames/s into a veth, against tcpreplay --topspeed on the
#              same veth; the other end must count every frame (rx_packets)
#   timing:    at 10 kpps and 100 kpps (--pps), how far each frame missed
#              its ideal time, seen at the other end of the veth (tcpdump,
#              nanosecond kernel timestamps; bench/replay_gaps.py)
# The frames: a TCP workload recorded over a veth (MTU 1500) with
# tsend-trace record --payload all, made a pcap by tsend-replay; mixed
# sizes, mostly full 1514-byte frames. Every figure is a median of RUNS with
# min-max, and each ratio is taken run by run against the peer measured in
# the same run. All traffic stays in network namespaces of its own.
# Needs root; installs tcpreplay and tcpdump (Debian) when missing.
#   bench/replay.sh [RUNS]          (default 5; BENCH_MD=FILE: markdown too)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
# wait_for; its fail() is replaced below
# shellcheck source=tests/lib.sh
. "$ROOT/tests/lib.sh"
BUILD=${BUILD:-$ROOT/build}
RUNS=${1:-5}
REPLAY=$BUILD/tsend-replay
TRACE=$BUILD/tsend-trace
SENDER=$BUILD/tests/tcp_sender
GAPS=$ROOT/bench/replay_gaps.py
PLOOPS=80 # pcap: passes over the workload's frames in the input file
VLOOPS=30 # afpacket: --loop of both tools
TLOOPS_10K=2
TLOOPS_100K=10

case $RUNS in '' | 0* | *[!0-9]*) echo "usage: bench/replay.sh [RUNS]" >&2; exit 1 ;; esac
[ "$(id -u)" = 0 ] || { echo "replay.sh: needs root (BPF, network namespaces, AF_PACKET)" >&2; exit 1; }
for b in "$REPLAY" "$TRACE" "$SENDER"; do
	[ -x "$b" ] || { echo "replay.sh: no $b: make all $BUILD/tests/tcp_sender first" >&2; exit 1; }
done

d=$(mktemp -d "${TMPDIR:-/tmp}/tsend-bench-replay.XXXXXX")
# the big files on tmpfs: the pcap rows time the tools, not a disk
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
	s=$(mktemp -d /dev/shm/tsend-bench-replay.XXXXXX)
else
	s=$d
fi
na=tsend-bra-$$ nb=tsend-brb-$$ nc=tsend-brc-$$ nd=tsend-brd-$$
pids=''
cleanup() {
	local p
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for n in "$na" "$nb" "$nc" "$nd"; do ip netns del "$n" 2>/dev/null || true; done
	rm -rf "$d" "$s"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the peers: Debian's tcpreplay (tcpreplay, tcprewrite) and tcpdump ----
# have TOOL: TOOL is on the PATH and can run
have() {
	local p
	p=$(command -v "$1") && [ -x "$p" ]
}
why_apt=''
need=''
have tcpreplay || need="tcpreplay"
have tcpdump || need="$need tcpdump"
if [ -n "$need" ]; then
	echo "replay.sh: installing ${need# }" >&2
	# shellcheck disable=SC2086 # package names, one per word
	if ! have apt-get; then
		why_apt="no apt-get on this machine"
	elif ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$need >"$d/apt.log" 2>&1 || { apt-get update -qq >>"$d/apt.log" 2>&1 &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$need >>"$d/apt.log" 2>&1; }; }; then
		why_apt="apt-get: $(grep '^E:' "$d/apt.log" | tail -1 | cut -c4-)"
		[ "$why_apt" != "apt-get: " ] || why_apt="apt-get install $need failed"
	fi
fi
# why_not TOOL: nothing when TOOL is there, else why it is not
why_not() {
	if have "$1"; then return 0; fi
	echo "not installable: ${why_apt:-$1 is missing}"
}
no_tcpreplay=$(why_not tcpreplay)
no_tcprewrite=$(why_not tcprewrite)
no_tcpdump=$(why_not tcpdump)
no_timing=$no_tcpdump
have python3 || no_timing="python3 is missing (bench/replay_gaps.py)"

# ---- the namespaces ----
# A, B: where the workload is recorded (198.51.100.0/24, TEST-NET-2)
ip netns add "$na"
ip netns add "$nb"
ip -n "$na" link add va type veth peer name vb netns "$nb"
ip -n "$na" addr add 198.51.100.1/24 dev va
ip -n "$nb" addr add 198.51.100.2/24 dev vb
for n in "$na" "$nb"; do ip -n "$n" link set lo up; done
ip -n "$na" link set va up
ip -n "$nb" link set vb up
# C, D: where the frames are replayed, C's vc to D's vd: no address and no
# IPv6, so that nothing but the replayed frames crosses, and the frames
# (addressed to B's vb) stop at D's IP layer after the capture saw them
for n in "$nc" "$nd"; do
	ip netns add "$n"
	ip netns exec "$n" sysctl -q net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "$n" link set lo up
done
ip -n "$nc" link add vc mtu 1500 type veth peer name vd netns "$nd" mtu 1500
ip -n "$nc" link set vc up
ip -n "$nd" link set vd up

# logcmd KEY CMD...: the first time KEY comes, CMD's command line goes to
# $d/cmds, for the markdown (scratch paths, namespaces and port shortened)
logcmd() {
	local key=$1
	shift
	grep -q "^$key " "$d/cmds" 2>/dev/null && return 0
	echo "$key $*" | sed "s|$s/||g; s|$d/||g; s|$BUILD/||g; s|$ROOT/||g; s|$na|A|g; s|$nb|B|g;
		s|$nc|C|g; s|$nd|D|g; s|\b$port\b|PORT|g;
		s|\( 100 300 2000 70000\)\{2,\}| 100 300 2000 70000 (100 times)|" >>"$d/cmds"
}
# logged KEY CMD...: logcmd, then runs CMD
logged() {
	logcmd "$@"
	shift
	"$@"
}
# ---- the frames ----
port=$((20000 + RANDOM % 20000))
sizes=''
for _ in $(seq 100); do sizes="$sizes 100 300 2000 70000"; done
logcmd recv ip netns exec "$nb" timeout 60 "$SENDER" recv "$port"
ip netns exec "$nb" timeout 60 "$SENDER" recv "$port" >"$d/recv.out" 2>&1 &
recv=$!
pids="$pids $recv"
wait_for "$d/recv.out" listening || { cat "$d/recv.out" >&2; exit 1; }
# shellcheck disable=SC2086 # sizes, one per word
if ! logged record "$TRACE" record -o "$d/x.trace" --payload all -P "$port" -- \
	ip netns exec "$na" "$SENDER" send -n 198.51.100.2 "$port" $sizes \
	>"$d/send.out" 2>"$d/record.err" || ! grep -q ', 0 lost' "$d/record.err"; then
	echo "replay.sh: recording the workload failed:" >&2
	cat "$d/record.err" >&2
	exit 1
fi
wait "$recv" || true
pids=${pids% "$recv"}
logged x_pcap "$REPLAY" run "$d/x.trace" -o "pcap:$s/x.pcap" 2>"$d/x.log" || { cat "$d/x.log" >&2; exit 1; }
read -r nf nbytes < <(sed -n 's/^tsend-replay: \([0-9]*\) frames, \([0-9]*\) bytes.*/\1 \2/p' "$d/x.log") || true
if [ -z "${nf:-}" ] || [ "$nf" -lt 1000 ]; then cat "$d/x.log" >&2; exit 1; fi
# the same frames, over and over, in one file: the input of the pcap rows
# and of the paced runs (no pass boundary for either tool to stumble on)
loop_file() {
	logged "loop_$2" "$REPLAY" run -q "$s/x.pcap" -o "pcap:$1" --topspeed --loop "$2" 2>"$d/loop.log" ||
		{ cat "$d/loop.log" >&2; exit 1; }
}
loop_file "$s/big.pcap" "$PLOOPS"
loop_file "$s/t10000.pcap" "$TLOOPS_10K"
loop_file "$s/t100000.pcap" "$TLOOPS_100K"
big_n=$((nf * PLOOPS)) veth_n=$((nf * VLOOPS))
big_size=$(stat -c %s "$s/big.pcap")

# ---- the measurements: one line per tool and run in $d/runs ----
now() { date +%s%N; }
# fail KIND RUN WHY: the bench stops: a wrong count is no figure
fail() {
	echo "replay.sh: $1, run $2: $3" >&2
	exit 1
}
netstat() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }

# pcap KIND RUN: frames/s of big.pcap into a pcap file, by wall time
pcap_one() {
	local kind=$1 run=$2 t0 t1 size
	rm -f "$s/out.pcap"
	t0=$(now)
	case $kind in
	tsend) logged pcap_tsend "$REPLAY" run "$s/big.pcap" -o "pcap:$s/out.pcap" --topspeed ;;
	tcprewrite) logged pcap_tcprewrite tcprewrite -i "$s/big.pcap" -o "$s/out.pcap" ;;
	tcpdump) logged pcap_tcpdump tcpdump -Z root -r "$s/big.pcap" -w "$s/out.pcap" ;;
	esac >"$d/tool.log" 2>&1 || fail "pcap $kind" "$run" "$(tail -3 "$d/tool.log")"
	t1=$(now)
	size=$(stat -c %s "$s/out.pcap" 2>/dev/null || echo 0)
	# the same frames with the same record headers: the same size
	[ "$size" = "$big_size" ] || fail "pcap $kind" "$run" "wrote $size bytes, read $big_size"
	rm -f "$s/out.pcap"
	echo "pcap_$kind $run $(awk -v n="$big_n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n * 1e9 / (b - a) }')"
}

# veth KIND RUN: frames/s of x.pcap --loop VLOOPS into vc, by wall time;
# D's vd must count every frame
veth_one() {
	local kind=$1 run=$2 t0 t1 rx0 rx1 drop0 drop1
	rx0=$(netstat "$nd" vd rx_packets)
	drop0=$(($(netstat "$nc" vc tx_dropped) + $(netstat "$nd" vd rx_dropped)))
	t0=$(now)
	case $kind in
	tsend) logged veth_tsend ip netns exec "$nc" "$REPLAY" run "$s/x.pcap" -o afpacket:vc \
		--topspeed --loop "$VLOOPS" ;;
	tcpreplay) logged veth_tcpreplay ip netns exec "$nc" tcpreplay -q -K -i vc --topspeed \
		--loop "$VLOOPS" "$s/x.pcap" ;;
	esac >"$d/tool.log" 2>&1 || fail "afpacket $kind" "$run" "$(tail -3 "$d/tool.log")"
	t1=$(now)
	rx1=$(netstat "$nd" vd rx_packets)
	drop1=$(($(netstat "$nc" vc tx_dropped) + $(netstat "$nd" vd rx_dropped)))
	echo "veth_$kind $run $(awk -v n="$veth_n" -v a="$t0" -v b="$t1" \
		'BEGIN { printf "%.0f", n * 1e9 / (b - a) }') $((rx1 - rx0)) $((drop1 - drop0))"
}

# timing KIND RATE RUN: t$RATE.pcap at RATE frames/s into vc, captured on vd
timing_one() {
	local kind=$1 rate=$2 run=$3 n cap rc=0 self out
	n=$((nf * $([ "$rate" = 10000 ] && echo "$TLOOPS_10K" || echo "$TLOOPS_100K")))
	rm -f "$s/cap.pcap"
	# a 64-byte snap: only the timestamps are needed; -c: it stops once it
	# has them all (the last block comes up to 1 s later)
	set -- ip netns exec "$nd" timeout 60 tcpdump -Z root -i vd -s 64 -B 32768 \
		--time-stamp-precision=nano -c "$n" -w "$s/cap.pcap"
	logcmd "cap_$rate" "$@"
	"$@" 2>"$d/cap.err" &
	cap=$!
	pids="$pids $cap"
	wait_for "$d/cap.err" "listening on" || fail "timing $kind $rate" "$run" "$(cat "$d/cap.err")"
	case $kind in
	tsend) logged "t${rate}_tsend" ip netns exec "$nc" "$REPLAY" run "$s/t$rate.pcap" \
		-o afpacket:vc --pps "$rate" ;;
	tcpreplay) logged "t${rate}_tcpreplay" ip netns exec "$nc" tcpreplay -q -K -i vc \
		--pps="$rate" "$s/t$rate.pcap" ;;
	esac >"$d/tool.log" 2>&1 || fail "timing $kind $rate" "$run" "$(tail -3 "$d/tool.log")"
	wait "$cap" || rc=$?
	pids=${pids% "$cap"}
	[ "$rc" = 0 ] || fail "timing $kind $rate" "$run" "tcpdump exit $rc: $(tail -3 "$d/cap.err")"
	# tsend-replay's own view: the gaps between its clock reads before
	# each driver call
	self=$(sed -n 's/.*inter-frame timing error p50 \([0-9.]*\) us, p99 \([0-9.]*\) us.*/\1 \2/p' \
		"$d/tool.log")
	out=$(python3 "$GAPS" "$s/cap.pcap" "$rate" "$n" 2>"$d/gaps.err") ||
		fail "timing $kind $rate" "$run" "$(cat "$d/gaps.err")"
	# shellcheck disable=SC2086 # its words
	set -- $out
	# frames N pps P sched_p50 A sched_p99 B sched_max C gap_p50 D gap_p99 E gap_max F
	echo "t${rate}_$kind $run $6 $8 ${12} ${14} $4 ${self:-- -}"
}

# the netif_rx() timestamp: with a socket that asks for software
# timestamps, the kernel stamps each frame as veth_xmit() hands it over
# (net_timestamp_check), in the sender's own system call; without one,
# only when the capture's socket gets it
if [ -z "$no_timing" ]; then
	ip netns exec "$nd" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_TIMESTAMPNS", 35), 1)
print("stamping", flush=True)
time.sleep(3600)' >"$d/stamp.out" 2>&1 &
	pids="$pids $!"
	wait_for "$d/stamp.out" stamping || { cat "$d/stamp.out" >&2; exit 1; }
fi

# pair A B RUN CMD...: CMD A RUN and CMD B RUN, A first in odd runs
pair() {
	local a=$1 b=$2 run=$3
	shift 3
	if [ $((run % 2)) = 1 ]; then "$@" "$a" "$run"; "$@" "$b" "$run"; else "$@" "$b" "$run"; "$@" "$a" "$run"; fi
}
timing_10k() { timing_one "$1" 10000 "$2"; }
timing_100k() { timing_one "$1" 100000 "$2"; }
pcap_tools=tsend
[ -n "$no_tcprewrite" ] || pcap_tools="$pcap_tools tcprewrite"
[ -n "$no_tcpdump" ] || pcap_tools="$pcap_tools tcpdump"
# pcap_all RUN: each pcap tool once, the first one rotating run by run
pcap_all() {
	local -a t
	local i n
	read -ra t <<<"$pcap_tools"
	n=${#t[@]}
	for ((i = 0; i < n; i++)); do pcap_one "${t[(i + $1) % n]}" "$1"; done
}
# an untimed round first: the first write of hundreds of MB to fresh
# memory (tmpfs, and a VM's guest pages the host has not backed yet) costs
# several times a later one, and would fall on whichever tool came first
pcap_all 0 >/dev/null
veth_one tsend 0 >/dev/null
[ -n "$no_tcpreplay" ] || veth_one tcpreplay 0 >/dev/null
start=$(date +%s)
for run in $(seq "$RUNS"); do
	pcap_all "$run"
	if [ -n "$no_tcpreplay" ]; then
		veth_one tsend "$run"
	else
		pair tsend tcpreplay "$run" veth_one
	fi
	if [ -z "$no_timing" ]; then
		if [ -n "$no_tcpreplay" ]; then
			timing_10k tsend "$run"
			timing_100k tsend "$run"
		else
			pair tsend tcpreplay "$run" timing_10k
			pair tsend tcpreplay "$run" timing_100k
		fi
	fi
done >"$d/runs"
elapsed=$(($(date +%s) - start))

# ---- the tables ----
# stat KIND COL: "median min max" of column COL (1: the first value) of KIND's runs
stat() {
	awk -v k="$1" -v c="$2" '$1 == k { print $(c + 2) }' "$d/runs" |
		median_spread '%.6f %.6f %.6f\n'
}
# ratio KA CA KB CB: "median min max" of KA's COL CA over KB's COL CB, run by run
ratio() {
	awk -v ka="$1" -v ca="$2" -v kb="$3" -v cb="$4" '
		$1 == ka { a[$2] = $(ca + 2) } $1 == kb { b[$2] = $(cb + 2) }
		END { for (r in a) if (r in b) printf "%.6f\n", a[r] / (b[r] > 0.001 ? b[r] : 0.001) }' "$d/runs" |
		median_spread '%.6f %.6f %.6f\n'
}
# fmt FORMAT "median min max": "M (MIN-MAX)" with FORMAT a printf number
# format; "%'d" style grouping done here (mawk has no ' flag)
fmt() {
	[ -n "$2" ] || { echo "-"; return; }
	echo "$2" | awk -v f="$1" '
		function g(x,   s, r) { if (f != "int") return sprintf(f, x)
			s = sprintf("%.0f", x); r = ""
			while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
			return s r }
		{ printf "%s (%s-%s)\n", g($1), g($2), g($3) }'
}
commas() { fmt int "$1 $1 $1" | sed 's/ (.*//'; }
# counted KIND N: "ok/runs" of runs whose receiver counted N frames, none dropped
counted() {
	awk -v k="$1" -v n="$2" '$1 == k { r++; ok += ($4 == n && $5 == 0) } END { print ok + 0 "/" r + 0 }' "$d/runs"
}
drops() {
	awk -v k="$1" -v n="$2" '$1 == k && ($4 != n || $5 != 0) { printf " run %s: %s of %s received, %s dropped;", $2, $4, n, $5 }' "$d/runs"
}

tc_version=$( (tcpreplay --version 2>&1 || true) | sed -n '1s/^tcpreplay version: \([^ ]*\).*/\1/p')
avg=$((nbytes / nf))
pcap_mb=$(awk -v b="$big_size" 'BEGIN { printf "%.0f", b / 1048576 }')
fr=$(fmt int "$(stat pcap_tsend 1)")
fv=$(fmt int "$(stat veth_tsend 1)")
peer_row() { # KIND WHY: the peer's frames/s and tsend/peer, or why not
	if [ -n "$2" ]; then
		printf '%s\t%s\n' "$2" "-"
	else
		printf '%s\t%s\n' "$(fmt int "$(stat "$1" 1)")" "$(fmt %.2f "$(ratio "${1%%_*}_tsend" 1 "$1" 1)")"
	fi
}
IFS=$'\t' read -r rw_v rw_r < <(peer_row pcap_tcprewrite "$no_tcprewrite")
IFS=$'\t' read -r td_v td_r < <(peer_row pcap_tcpdump "$no_tcpdump")
IFS=$'\t' read -r tr_v tr_r < <(peer_row veth_tcpreplay "$no_tcpreplay")
veth_ok="tsend $(counted veth_tsend "$veth_n")"
[ -n "$no_tcpreplay" ] || veth_ok="$veth_ok, tcpreplay $(counted veth_tcpreplay "$veth_n")"
lost="$(drops veth_tsend "$veth_n")$(drops veth_tcpreplay "$veth_n")"

# timing rows: RATE LABEL COL (1 sched p50, 2 sched p99, 3 gap p50, 4 gap p99)
trow() { # RATE WHAT P50COL P99COL -> tab-separated cells
	local k=t$1 why=$no_timing
	if [ -n "$why" ]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$why" - - - - -
		return
	fi
	printf '%s\t%s\t' "$(fmt %.2f "$(stat "${k}_tsend" "$3")")" "$(fmt %.1f "$(stat "${k}_tsend" "$4")")"
	if [ -n "$no_tcpreplay" ]; then
		printf '%s\t%s\t%s\t%s\n' "$no_tcpreplay" - - -
	else
		printf '%s\t%s\t%s\t%s\n' "$(fmt %.2f "$(stat "${k}_tcpreplay" "$3")")" \
			"$(fmt %.1f "$(stat "${k}_tcpreplay" "$4")")" \
			"$(fmt %.2f "$(ratio "${k}_tcpreplay" "$3" "${k}_tsend" "$3")")" \
			"$(fmt %.2f "$(ratio "${k}_tcpreplay" "$4" "${k}_tsend" "$4")")"
	fi
}
rates() { # RATE: achieved frames/s at the receiver, and tsend's own gap p50/p99
	local k=t$1
	[ -z "$no_timing" ] || return 0
	printf '%s kpps: achieved %s (tsend-replay)' "$(($1 / 1000))" "$(fmt %.1f "$(stat "${k}_tsend" 5)")"
	[ -n "$no_tcpreplay" ] || printf ', %s (tcpreplay)' "$(fmt %.1f "$(stat "${k}_tcpreplay" 5)")"
	printf '; tsend-replay'"'"'s own summary: gap p50 %s, p99 %s µs\n' \
		"$(fmt %.1f "$(stat "${k}_tsend" 6)")" "$(fmt %.1f "$(stat "${k}_tsend" 7)")"
}

{
	echo "replay.sh: $nf frames a pass ($avg bytes on average, $port as the port), $RUNS runs," \
		"tcpreplay ${tc_version:-${no_tcpreplay:-?}}; measured in $elapsed s"
	echo
	echo "Frames/s, median (min-max); tsend/peer taken run by run (>1: tsend-replay faster)"
	printf '%-24s %7s  %-34s %-21s %-30s %s\n' output frames tsend-replay peer "peer's" tsend/peer
	printf '%-24s %7s  %-34s %-21s %-30s %s\n' "pcap: ($pcap_mb MB, tmpfs)" "$big_n" "$fr" \
		tcprewrite "$rw_v" "$rw_r"
	printf '%-24s %7s  %-34s %-21s %-30s %s\n' "" "" "" "tcpdump -r -w" "$td_v" "$td_r"
	printf '%-24s %7s  %-34s %-21s %-30s %s\n' "afpacket: veth" "$veth_n" "$fv" \
		"tcpreplay --topspeed" "$tr_v" "$tr_r"
	echo "  received = sent, nothing dropped (vd rx_packets): $veth_ok${lost:+;$lost}"
	echo
	echo "Timing error at the receiver, µs, median (min-max); ratio = tcpreplay/tsend-replay run by run (>1: tsend-replay closer)"
	printf '%-9s %-9s %-20s %-23s %-20s %-23s %-18s %s\n' rate error "tsend p50" "tsend p99" \
		"tcpreplay p50" "tcpreplay p99" "ratio p50" "ratio p99"
	for r in 10000 100000; do
		IFS=$'\t' read -r a b c e f g < <(trow "$r" sched 1 2)
		printf '%-9s %-9s %-20s %-23s %-20s %-23s %-18s %s\n' "$((r / 1000)) kpps" schedule "$a" "$b" "$c" "$e" "$f" "$g"
		IFS=$'\t' read -r a b c e f g < <(trow "$r" gap 3 4)
		printf '%-9s %-9s %-20s %-23s %-20s %-23s %-18s %s\n' "" gap "$a" "$b" "$c" "$e" "$f" "$g"
	done
	rates 10000
	rates 100000
} | tee "$d/table.txt"

[ -n "${BENCH_MD:-}" ] || exit 0
# ---- the markdown fragment ----
md_cell() { if [ "$1" = - ]; then echo –; else echo "$1"; fi; }
md_bold() { if [ "$1" = - ]; then echo –; else echo "**$1**"; fi; }
{
	cat <<EOF
tsend-replay against tcpreplay ${tc_version:-(not installed)} on the same frames, $RUNS runs of
each after one untimed round, interleaved (which tool goes first changes run by run). The frames:
\`tests/tcp_sender send -n\` over a veth (MTU 1500), 100 × (100, 300, 2000, 70000) bytes,
recorded with \`tsend-trace record --payload all\` and made a pcap by \`tsend-replay run x.trace
-o pcap:x.pcap\`: $nf frames a pass, $avg bytes on average (mostly 1514-byte frames, a few
hundred of 166–618 bytes). The replays go from
namespace C's \`vc\` to D's \`vd\`, a veth pair with no address and no IPv6, so that nothing
else crosses it. Frames/s is the frames over the wall time of the whole command. Each ratio is
taken within a run, against the peer's figure of the same run; the tables give the median of the
$RUNS ratios with min–max.

- pcap: the workload $PLOOPS times over in one file (\`big.pcap\`, $pcap_mb MB, on tmpfs), written
  out again. tcpreplay has no file output; the peer is its suite's pcap-to-pcap tool,
  \`tcprewrite\` with no edit, and \`tcpdump -r -w\` for reference. Every output must have the
  input's size.
- afpacket: \`--loop $VLOOPS\` of \`x.pcap\` as fast as each tool goes (tcpreplay with \`-K\`,
  the file preloaded, its fastest way to loop). \`vd\`'s \`rx_packets\` must grow by every frame
  sent, with no \`tx_dropped\` on \`vc\` nor \`rx_dropped\` on \`vd\`.
- Timing: the workload $TLOOPS_10K times over at 10 kpps and $TLOOPS_100K times over at 100 kpps,
  from one file (no \`--loop\` seam), captured on \`vd\` by \`tcpdump\` with nanosecond
  timestamps. A socket in D that asks for software timestamps makes the kernel stamp each frame in
  \`netif_rx()\` as \`veth_xmit()\` hands it over, inside the sender's own system call: the time
  the frame left. For frame i of N at rate R, with t_i its timestamp:
  - schedule error: |t_i − (T0 + i/R)|, with T0 the median of t_i − i/R (the phase that fits the
    run best, so that one late first frame does not shift all the others). A rate that is off
    adds up here.
  - gap error: |(t_i − t_{i−1}) − 1/R| over the N − 1 gaps, what tsend-replay's own summary
    reports, but seen by the receiver.

  p50 and p99 are nearest-rank quantiles of a run (\`bench/replay_gaps.py\`).

Commands, as run, in order (A and C are the sending namespaces, B and D the receiving ones; the
set-up, up to the looped pcaps, runs once; then each measurement, once untimed and $RUNS times):

\`\`\`
EOF
	cut -d' ' -f2- "$d/cmds"
	cat <<EOF
\`\`\`

Frames/s, median (min–max) of $RUNS runs:

| output | frames | tsend-replay | peer | peer's | tsend / peer |
|---|---|---|---|---|---|
| \`pcap:\` ($pcap_mb MB, tmpfs) | $(commas "$big_n") | $fr | \`tcprewrite\` | $rw_v | $(md_bold "$rw_r") |
| | | | \`tcpdump -r -w\` | $td_v | $(md_cell "$td_r") |
| \`afpacket:\` veth | $(commas "$veth_n") | $fv | \`tcpreplay --topspeed\` | $tr_v | $(md_bold "$tr_r") |

Received = sent with nothing dropped: $veth_ok${lost:+ (${lost# })}.

Timing error at the receiver, µs, median (min–max) of $RUNS runs; ratio = tcpreplay's / tsend-replay's,
run by run (above 1: tsend-replay is closer to the schedule):

| rate | error | tsend-replay p50 | p99 | tcpreplay p50 | p99 | ratio p50 | ratio p99 |
|---|---|---|---|---|---|---|---|
EOF
	for r in 10000 100000; do
		IFS=$'\t' read -r a b c e f g < <(trow "$r" sched 1 2)
		echo "| $((r / 1000)) kpps | schedule | $a | $b | $c | $(md_cell "$e") | $(md_bold "$f") | $(md_bold "$g") |"
		IFS=$'\t' read -r a b c e f g < <(trow "$r" gap 3 4)
		echo "| | gap | $a | $b | $c | $(md_cell "$e") | $(md_cell "$f") | $(md_cell "$g") |"
	done
	echo
	if [ -z "$no_timing" ]; then
		echo "Rate at the receiver ((N − 1) / (t_last − t_first)) and tsend-replay's own summary"
		echo "(gaps between its clock reads before each driver call):"
		echo
		rates 10000 | sed 's/^/- /'
		rates 100000 | sed 's/^/- /'
	fi
} | sed -E 's/\(([0-9.,]+)-([0-9.,]+)\)/(\1–\2)/g' >"$BENCH_MD"
