#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# tsend-replay against the kernel on loopback: workloads recorded in two
# network namespaces this test creates, one with Reno and one with BBR
# (which paces with its own timer), then for each trace verify,
# determinism, the device view against the kernel's frames
# (check_replay.py), the wire view's checksums (tshark); what-if options;
# and bad input.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../replay_lib.sh"
REPLAY=$BUILD/tsend-replay
CHECK=$ROOT/tests/integration/check_replay.py
requires "replay on loopback" python3 tshark || exit 0
d=$(tmpdir)
ns=tsend-rl-$$
nsb=tsend-rlb-$$
cleanup() {
	# a recorder or receiver left running would keep the harness's pipe open
	# shellcheck disable=SC2046 # one pid per word
	kill $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT

ip netns add "$ns" && ip -n "$ns" link set lo up &&
	ip netns exec "$ns" sysctl -q net.ipv4.tcp_congestion_control=reno
check "namespace with lo up and reno" [ $? = 0 ] || exit 0
# BBR: built in or a module; a namespace may pick it when it is allowed
modprobe -q tcp_bbr 2>/dev/null
ip netns add "$nsb" && ip -n "$nsb" link set lo up &&
	ip netns exec "$nsb" sysctl -q net.ipv4.tcp_congestion_control=bbr
check "namespace with lo up and bbr" [ $? = 0 ] || exit 0

# record NAME SENDER_ARGS...: tcp_sender loop SENDER_ARGS in namespace
# $in (Reno unless set), recorded (its process and port) with every byte
# sent into $d/NAME.trace
record() {
	local name=$1 port=$((20000 + RANDOM % 20000)) rc=0 s total=0
	shift
	for s in $sizes; do total=$((total + s)); done
	echo "$total" >"$d/$name.total"
	# shellcheck disable=SC2086 # sizes, one per word
	"$TRACE" record -o "$d/$name.trace" --snaplen 256 --payload all -P "$port" -- \
		ip netns exec "${in:-$ns}" "$SENDER" loop "$@" "$port" $sizes \
		>"$d/$name.out" 2>"$d/$name.rec.err" || rc=$?
	[ "$rc" = 0 ] && grep -q ", 0 lost" "$d/$name.rec.err"
	verdict "$name: record exits 0, nothing lost" || sed 's/^/    /' "$d/$name.rec.err"
}

sizes=$(rep 2000 100) record small
sizes=$(rep 200 100) record small-nodelay -n
sizes=$(rep 300 65536) record bulk
sizes=$(rep 300 65536) record bulk-nodelay -n
sizes=$(rep 100 70001 1 3000) record mixed
sizes=$(rep 2000 1448 2896) record mss-multiples
sizes=$(rep 2000 100) in=$nsb record small-bbr
sizes=$(rep 300 65536) in=$nsb record bulk-bbr
sizes=$(rep 300 65536) in=$nsb record bulk-nodelay-bbr -n
sizes=$(rep 100 70001 1 3000) in=$nsb record mixed-bbr

# IPv6 over ::1: the receiver apart, in the same namespace. ipv6 has
# 64 KiB writes (GSO frames of 65550 bytes: an IPv6 header and a full
# 65536-byte lo MTU), ipv6-small only small ones
record6() {
	local name=$1 port=$((20000 + RANDOM % 20000)) rc=0 s total=0
	shift
	for s in $sizes; do total=$((total + s)); done
	echo "$total" >"$d/$name.total"
	ip netns exec "$ns" "$SENDER" recv -6 "$port" >"$d/$name.recv.out" 2>&1 &
	if ! wait_for "$d/$name.recv.out" listening; then
		fail "$name: receiver did not start"
		return
	fi
	# shellcheck disable=SC2086 # sizes, one per word
	"$TRACE" record -o "$d/$name.trace" --snaplen 256 --payload all -P "$port" -- \
		ip netns exec "$ns" "$SENDER" send "$@" ::1 "$port" $sizes \
		>"$d/$name.out" 2>"$d/$name.rec.err" || rc=$?
	[ "$rc" = 0 ] && grep -q ", 0 lost" "$d/$name.rec.err"
	verdict "$name: record exits 0, nothing lost" || sed 's/^/    /' "$d/$name.rec.err"
}
sizes=$(rep 50 100 65536 3000) record6 ipv6
sizes=$(rep 200 100) record6 ipv6-small

# three flows at once, in one recording: a name only these senders carry
# (--comm; -- COMMAND would follow one process only, -P one port)
comm=tsr$$
cp "$SENDER" "$d/$comm"
"$TRACE" record -o "$d/flows3.trace" --snaplen 256 --payload all -c "$comm" -D 60 \
	2>"$d/flows3.rec.err" &
rec=$!
if wait_attached "$d/flows3.rec.err"; then
	pids=()
	base=$((20000 + RANDOM % 20000))
	for i in 0 1 2; do
		case $i in
		0) opts=-n sizes=$(rep 300 100) ;;
		1) opts='' sizes=$(rep 40 65536) ;;
		2) opts='' sizes=$(rep 30 70001 1 3000) ;;
		esac
		# shellcheck disable=SC2086 # options and sizes, one per word
		ip netns exec "$ns" "$d/$comm" loop $opts $((base + i)) $sizes \
			>"$d/flows3.$i.out" 2>&1 &
		pids+=($!)
	done
	ok=1
	for p in "${pids[@]}"; do wait "$p" || ok=0; done
	sleep 0.3 # the last frames
	kill -INT "$rec"
	wait "$rec"
	rc=$?
	[ "$ok" = 1 ] && [ "$rc" = 0 ] && grep -q ", 0 lost" "$d/flows3.rec.err"
	verdict "flows3: three senders and the recorder exit 0, nothing lost" ||
		sed 's/^/    /' "$d/flows3.rec.err"
	check "flows3: the trace holds three flows" python3 -c "
import json, sys
sys.exit(json.load(open(sys.argv[1])).get('flows') != 3)" <("$REPLAY" verify --json "$d/flows3.trace")
else
	fail "flows3: recorder did not attach"
	sed 's/^/    /' "$d/flows3.rec.err"
fi

for name in small small-nodelay bulk bulk-nodelay mixed mss-multiples small-bbr bulk-bbr \
	bulk-nodelay-bbr mixed-bbr ipv6 ipv6-small flows3; do
	if [ -s "$d/$name.trace" ]; then
		replay_checks "$name" "$(cat "$d/$name.total" 2>/dev/null)"
	else
		fail "$name: no trace recorded"
	fi
done

# the checksum filter above does see bad checksums: the device view leaves
# the TCP checksums partial, as the kernel hands them to the driver
if [ -f "$d/bulk.dev1.pcap" ]; then
	n=$(tshark -r "$d/bulk.dev1.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
		-Y "$BAD_CSUM" 2>/dev/null | grep -c .)
	check "checksum filter flags the device view's partial checksums ($n frames)" [ "$n" -gt 0 ]
fi

# ---- what if ----
# frames' TCP payload lengths in a pcap, one a line
payloads() {
	tshark -r "$1" -T fields -e tcp.len -Y 'tcp.len > 0' 2>/dev/null
}
if [ -s "$d/bulk.trace" ]; then
	"$REPLAY" run -q "$d/bulk.trace" -o "pcap:$d/mss.pcap" --mss 536 2>"$d/mss.err"
	verdict "what if --mss 536: run exits 0" || sed 's/^/    /' "$d/mss.err"
	max=$(payloads "$d/mss.pcap" | sort -n | tail -1)
	n=$(payloads "$d/mss.pcap" | grep -c .)
	orig=$(payloads "$d/bulk.wire.pcap" | grep -c .)
	check "what if --mss 536: no segment carries more than 536 bytes (largest $max)" \
		[ "${max:-0}" -gt 0 ] && [ "${max:-0}" -le 536 ]
	check "what if --mss 536: more frames than recorded ($n against $orig)" [ "$n" -gt "$orig" ]
	"$REPLAY" run -q "$d/bulk.trace" -o "pcap:$d/notso.pcap" --view device --no-tso \
		2>"$d/notso.err"
	verdict "what if --no-tso: run exits 0" || sed 's/^/    /' "$d/notso.err"
	mss=$(payloads "$d/bulk.wire.pcap" | sort -n | tail -1)
	max=$(payloads "$d/notso.pcap" | sort -n | tail -1)
	check "what if --no-tso: the device gets no frame over the MSS ($max <= $mss)" \
		[ "${max:-0}" -gt 0 ] && [ "${max:-0}" -le "${mss:-0}" ]
	"$REPLAY" run -q "$d/bulk.trace" -o "pcap:$d/fq.pcap" --qdisc fq 2>"$d/fq.err"
	verdict "what if --qdisc fq: run exits 0" || sed 's/^/    /' "$d/fq.err"
	python3 "$CHECK" order "what if --qdisc fq" "$d/fq.pcap"
fi
if [ -s "$d/small.trace" ]; then
	"$REPLAY" run -q "$d/small.trace" -o "pcap:$d/nodelay.pcap" --nodelay on 2>"$d/nd.err"
	verdict "what if --nodelay on: run exits 0" || sed 's/^/    /' "$d/nd.err"
	n=$(payloads "$d/nodelay.pcap" | grep -c .)
	orig=$(payloads "$d/small.wire.pcap" | grep -c .)
	bytes=$(payloads "$d/nodelay.pcap" | awk '{ s += $1 } END { print s }')
	obytes=$(payloads "$d/small.wire.pcap" | awk '{ s += $1 } END { print s }')
	check "what if --nodelay on: Nagle off sends more, smaller frames ($n against $orig)" \
		[ "$n" -gt "$orig" ]
	check "what if --nodelay on: the same bytes ($bytes against $obytes)" [ "$bytes" = "$obytes" ]
fi

# ---- bad input ----
t=$d/bulk.trace
# err_one FILE: FILE holds one line, "tsend-replay: ..."
err_one() {
	[ "$(grep -c . "$1")" = 1 ] && grep -q '^tsend-replay: ' "$1"
}
if [ -s "$t" ]; then
	head -c $(($(stat -c %s "$t") * 2 / 3)) "$t" >"$d/cut.trace"
	rc=0
	"$REPLAY" run "$d/cut.trace" -o "pcap:$d/cut.pcap" 2>"$d/cut.err" || rc=$?
	[ "$rc" != 0 ] && err_one "$d/cut.err"
	verdict "truncated trace: run exits non-zero with a one-line error"
	sed 's/^/    /' "$d/cut.err"
	[ ! -e "$d/cut.pcap" ] && [ ! -e "$d/cut.pcap.tmp" ]
	verdict "truncated trace: no output file left (neither X nor X.tmp)"
	rc=0
	"$REPLAY" run "$d/cut.trace" -o "pcap:$d/cut.pcap" --partial 2>"$d/cut-partial.err" || rc=$?
	[ "$rc" = 0 ] && [ -s "$d/cut.pcap" ] && [ ! -e "$d/cut.pcap.tmp" ]
	verdict "truncated trace: run --partial exits 0 and writes the file" ||
		sed 's/^/    /' "$d/cut-partial.err"
	n=$(tshark -r "$d/cut.pcap" 2>/dev/null | grep -c .)
	[ "$n" -gt 0 ]
	verdict "truncated trace: --partial output has frames ($n)"
else
	fail "truncated trace: no trace to cut"
fi

head -c 5000 /dev/urandom >"$d/garbage.bin"
rc=0
"$REPLAY" run "$d/garbage.bin" -o "pcap:$d/garbage.pcap" 2>"$d/garbage.err" || rc=$?
[ "$rc" != 0 ] && err_one "$d/garbage.err" && grep -q garbage.bin "$d/garbage.err"
verdict "garbage input: run exits non-zero with a message naming the file"
sed 's/^/    /' "$d/garbage.err"
[ ! -e "$d/garbage.pcap" ] && [ ! -e "$d/garbage.pcap.tmp" ]
verdict "garbage input: no output file left"

# a pcap INPUT whose 3rd record claims 0x7fffffff bytes: the error names
# that record's offset
if [ -s "$d/small.wire.pcap" ] &&
	off=$(python3 - "$d/small.wire.pcap" "$d/broken.pcap" <<'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
e = "<" if b[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
off = 24
for _ in range(2):
    off += 16 + struct.unpack_from(e + "I", b, off + 8)[0]
struct.pack_into(e + "I", b, off + 8, 0x7FFFFFFF)
open(sys.argv[2], "wb").write(b)
print(off)
EOF
	); then
	rc=0
	"$REPLAY" run "$d/broken.pcap" -o "pcap:$d/broken-out.pcap" 2>"$d/broken.err" || rc=$?
	[ "$rc" != 0 ] && grep -q "offset $off\b" "$d/broken.err"
	verdict "broken pcap record: run exits non-zero, the error names offset $off"
	sed 's/^/    /' "$d/broken.err"
	[ ! -e "$d/broken-out.pcap" ] && [ ! -e "$d/broken-out.pcap.tmp" ]
	verdict "broken pcap record: no output file left"
else
	fail "broken pcap record: no pcap to break"
fi

expect_exit "run --mss 5: usage error" 2 "$REPLAY" run "$t" -o "pcap:$d/o.pcap" --mss 5
expect_exit "run --view foo: usage error" 2 "$REPLAY" run "$t" -o "pcap:$d/o.pcap" --view foo
expect_exit "run without -o: usage error" 2 "$REPLAY" run "$t"
