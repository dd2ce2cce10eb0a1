#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A real recording across a veth pair between two network namespaces this
# test creates. Both ends live in them, so the host's own routes and
# addresses are never touched; 198.51.100.0/24 is TEST-NET-2. Checked
# against a capture on the sending veth; then the --dev filter.
set -u
. "$(dirname "$0")/../lib.sh"
requires "veth recording" || exit 0
d=$(tmpdir)
na=tsend-a-$$
nb=tsend-b-$$
cap=
cleanup() {
	# a recorder left running would keep the harness's pipe open
	# shellcheck disable=SC2046 # one pid per word
	kill $(jobs -p) 2>/dev/null
	ip netns del "$na" 2>/dev/null
	ip netns del "$nb" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT

veth_pair "$na" "$nb"
rc=$?
check "veth pair between two new namespaces" [ "$rc" = 0 ] || exit 0

# start_receiver PORT OUT: a receiver in the peer namespace, once listening
start_receiver() {
	ip netns exec "$nb" timeout 30 "$SENDER" recv "$1" >"$2" &
	recv=$!
	wait_for "$2" listening
}

port=$((20000 + RANDOM % 20000))
sizes=(1 1000 100000 7)
start_receiver "$port" "$d/recv.out" || fail "veth: receiver did not start"
ip netns exec "$na" tshark -i va -f "tcp port $port" -F pcap -w "$d/veth.pcap" -q \
	2>"$d/tshark.err" &
cap=$!
wait_for "$d/tshark.err" "Capturing on"
rc=0
# the recorder runs in the sender's namespace, where --dev va means va
ip netns exec "$na" "$TRACE" record -o "$d/veth.trace" --dev va -- \
	"$SENDER" send 198.51.100.2 "$port" "${sizes[@]}" >"$d/send.out" 2>"$d/rec.err" || rc=$?
timeout 10 tail --pid="$recv" -f /dev/null
sleep 0.3
kill -INT "$cap"
wait "$cap" 2>/dev/null
cap=
check "veth: record exits 0" [ "$rc" = 0 ]
check "veth: receiver got every byte" grep -q "received 101008" "$d/recv.out"
sport=$(awk '/^sport/ {print $2}' "$d/send.out")
"$TRACE" dump --json "$d/veth.trace" >"$d/veth.jsonl"
python3 "$ROOT/tests/integration/check_capture.py" "$d/veth.jsonl" "$d/veth.pcap" \
	"$sport" "$port" "${sizes[@]}" | sed 's/^\(ok\|FAIL\) - /&veth: /'
python3 "$ROOT/tests/integration/check_lifecycles.py" "$TRACE" "$d/veth.trace" \
	"$sport" "$port" "${sizes[@]}" | sed 's/^\(ok\|FAIL\) - /&veth: /'
ifindex=$(ip netns exec "$na" cat /sys/class/net/va/ifindex)
check "veth: device stages carry va's ifindex ($ifindex)" python3 -c "
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
dev = [e for e in ev if e['stage'] == 'net_dev_start_xmit']
sys.exit(not dev or any(e['ifindex'] != int(sys.argv[2]) for e in dev))" "$d/veth.jsonl" "$ifindex"

# --dev lo (the sender namespace's lo) keeps this flow's frames out
start_receiver "$port" "$d/recv2.out" || fail "veth: receiver did not start"
ip netns exec "$na" "$TRACE" record -o "$d/lo-only.trace" --dev lo -- \
	"$SENDER" send 198.51.100.2 "$port" 500 >/dev/null 2>&1
timeout 10 tail --pid="$recv" -f /dev/null
"$TRACE" dump "$d/lo-only.trace" >"$d/lo-only.txt"
check "--dev lo: no frame of the veth flow recorded" \
	bash -c "! grep -q net_dev_start_xmit '$d/lo-only.txt'"
check "--dev lo: the send() itself is still recorded" grep -q __sys_sendto "$d/lo-only.txt"
