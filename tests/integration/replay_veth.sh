#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# tsend-replay against the kernel across a veth pair: tcp_sender recorded
# from namespace A to B (reno in both; 198.51.100.0/24 is TEST-NET-2),
# each trace verified and its views checked as replay_loopback.sh does.
# Then the frames go out for real: replayed with -o afpacket: from
# namespace C into a veth whose end in D is captured (dumpcap), and the
# capture must equal the replay's wire view (-o pcap:) byte for byte, in
# order; once at --topspeed, once on the recorded schedule, once from the
# wire-view pcap as INPUT. All four namespaces are this test's own.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../replay_lib.sh"
REPLAY=$BUILD/tsend-replay
CHECK=$ROOT/tests/integration/check_replay.py
requires "replay over veth" python3 tshark dumpcap || exit 0
d=$(tmpdir)
na=tsend-ra-$$
nb=tsend-rb-$$
nc=tsend-rc-$$
nd=tsend-rd-$$
cap=
cleanup() {
	# a recorder, receiver or dumpcap left running would keep the
	# harness's pipe open
	# shellcheck disable=SC2046 # one pid per word
	kill $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	for n in "$na" "$nb" "$nc" "$nd"; do
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$d"
}
trap cleanup EXIT

# A and B: where the workload runs and is recorded
veth_pair "$na" "$nb" &&
	ip netns exec "$na" sysctl -q net.ipv4.tcp_congestion_control=reno &&
	ip netns exec "$nb" sysctl -q net.ipv4.tcp_congestion_control=reno
verdict "veth pair between namespaces A and B, reno in both" || exit 0

# C and D: where the replay goes out, with no IPv6 (no router
# solicitations or ND of their own) and no addresses
rc=0
for n in "$nc" "$nd"; do
	ip netns add "$n" &&
		ip netns exec "$n" sysctl -q net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 &&
		ip -n "$n" link set lo up || rc=1
done
[ "$rc" = 0 ] &&
	ip -n "$nc" link add vc mtu 1500 type veth peer name vd netns "$nd" mtu 1500 &&
	ip -n "$nc" link set vc up && ip -n "$nd" link set vd up
verdict "veth pair between namespaces C and D, MTU 1500, no IPv6" || exit 0

# record NAME SENDER_OPTS...: tcp_sender send SENDER_OPTS $sizes from A to
# a receiver in B, recorded (the sender and its port) into $d/NAME.trace
record() {
	local name=$1 port=$((20000 + RANDOM % 20000)) rc=0 recv total=0 s
	shift
	ip netns exec "$nb" timeout 60 "$SENDER" recv "$port" >"$d/$name.recv.out" 2>&1 &
	recv=$!
	if ! wait_for "$d/$name.recv.out" listening; then
		fail "$name: receiver did not start"
		return
	fi
	# shellcheck disable=SC2086 # sizes, one per word
	"$TRACE" record -o "$d/$name.trace" --snaplen 256 --payload all -P "$port" -- \
		ip netns exec "$na" "$SENDER" send "$@" 198.51.100.2 "$port" $sizes \
		>"$d/$name.out" 2>"$d/$name.rec.err" || rc=$?
	wait "$recv"
	for s in $sizes; do total=$((total + s)); done
	echo "$total" >"$d/$name.total"
	[ "$rc" = 0 ] && grep -q ", 0 lost" "$d/$name.rec.err" &&
		grep -q "^received $total\$" "$d/$name.recv.out"
	verdict "$name: record exits 0, nothing lost, B received all $total bytes" ||
		sed 's/^/    /' "$d/$name.rec.err" "$d/$name.recv.out"
}

sizes=$(rep 300 65536) record bulk
sizes=$(rep 200 100) record small
sizes=$(rep 200 100) record small-nodelay -n
sizes=$(rep 50 70001 1 3000) record mixed
for name in bulk small small-nodelay mixed; do
	if [ -s "$d/$name.trace" ]; then
		replay_checks "$name" "$(cat "$d/$name.total")"
	else
		fail "$name: no trace recorded"
	fi
done

# ---- the frames on a real interface ----

# start_dumpcap FILE: captures vd (in D) into FILE (pcapng) until
# stop_dumpcap; returns once it is capturing
start_dumpcap() {
	ip netns exec "$nd" dumpcap -q -i vd -B 64 -w "$1" 2>"$1.err" &
	cap=$!
	wait_for "$1.err" "Capturing on"
}

stop_dumpcap() {
	sleep 0.5 # the last frames through the capture buffer
	kill -INT "$cap"
	wait "$cap" 2>/dev/null
	cap=
}

# afpacket NAME INPUT REFERENCE RUN_OPTS...: replays INPUT from C with
# -o afpacket:vc, captured in D; the capture must equal REFERENCE. The
# replay's stderr is left in $d/NAME.afp.err
afpacket() {
	local name=$1 input=$2 ref=$3 rc=0
	shift 3
	if [ ! -s "$ref" ]; then
		fail "$name: no wire view to compare with"
		return
	fi
	if ! start_dumpcap "$d/$name.cap.pcapng"; then
		fail "$name: dumpcap did not start"
		sed 's/^/    /' "$d/$name.cap.pcapng.err"
		return
	fi
	ip netns exec "$nc" "$REPLAY" run "$input" -o afpacket:vc "$@" \
		2>"$d/$name.afp.err" || rc=$?
	stop_dumpcap
	[ "$rc" = 0 ]
	verdict "$name: run -o afpacket:vc ${*:-(recorded schedule)} exits 0" || sed 's/^/    /' "$d/$name.afp.err"
	python3 "$CHECK" same "$name" "$d/$name.cap.pcapng" "$ref"
}

afpacket afpacket-bulk "$d/bulk.trace" "$d/bulk.wire.pcap" --topspeed
afpacket afpacket-mixed "$d/mixed.trace" "$d/mixed.wire.pcap" --topspeed
# on the recorded schedule, which the summary says how well it kept
afpacket afpacket-scheduled "$d/small-nodelay.trace" "$d/small-nodelay.wire.pcap"
grep -Eq 'timing error p50 [0-9.]+ us, p99 [0-9.]+ us' "$d/afpacket-scheduled.afp.err"
verdict "afpacket-scheduled: the summary reports the timing error's p50 and p99" ||
	sed 's/^/    /' "$d/afpacket-scheduled.afp.err"
# a pcap INPUT goes out as recorded
afpacket afpacket-pcap-input "$d/bulk.wire.pcap" "$d/bulk.wire.pcap" --topspeed
