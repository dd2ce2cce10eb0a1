#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The command lines: help, usage errors (exit 2, one line naming the flag)
# and bad files (exit 1, naming the file and offset). No root needed.
set -u
. "$(dirname "$0")/lib.sh"
d=$(tmpdir)
trap 'rm -rf "$d"' EXIT
REPLAY=$BUILD/tsend-replay

expect_exit "tsend-trace with no command: usage, exit 2" 2 "$TRACE"
expect_exit "tsend-trace --help: exit 0" 0 "$TRACE" --help
expect_exit "unknown command: exit 2" 2 "$TRACE" frobnicate
for c in record probes dump report pcap skb timeline flame; do
	expect_exit "$c --help: exit 0" 0 "$TRACE" "$c" --help
	check "$c --help shows USAGE and EXAMPLES or options" \
		bash -c "'$TRACE' $c --help 2>&1 | grep -q USAGE"
done
expect_exit "tsend-replay --help: exit 0" 0 "$REPLAY" --help
expect_exit "tsend-replay with no command: exit 2" 2 "$REPLAY"
expect_exit "tsend-replay run --help: exit 0" 0 "$REPLAY" run --help
expect_exit "tsend-replay verify --help: exit 0" 0 "$REPLAY" verify --help
expect_exit "tsend-replay unknown command: exit 2" 2 "$REPLAY" frobnicate
expect_exit "tsend-replay verify without TRACE: exit 2" 2 "$REPLAY" verify
expect_exit "tsend-replay verify of a missing file: exit 1" 1 "$REPLAY" verify "$d/missing.trace"
expect_exit "tsend-replay run of a missing file: exit 1" 1 "$REPLAY" run "$d/missing.trace" \
	-o "pcap:$d/never.pcap"
check "tsend-replay run of a missing file: no output left" \
	[ ! -e "$d/never.pcap" ] && [ ! -e "$d/never.pcap.tmp" ]
# e1000e: on this host, the errors before any device is touched (the
# driver itself runs in tests/vm/test_guest_e1000e.sh)
# e1000e_refused NAME TEXT SPEC [OPTIONS]: exit 1, one line holding TEXT
e1000e_refused() {
	local name=$1 text=$2 rc=0
	shift 2
	"$REPLAY" run "$ROOT/tests/data/loopback.trace" -o "$@" >"$d/out" 2>"$d/err" || rc=$?
	if [ "$rc" = 1 ] && [ "$(grep -c . "$d/err")" = 1 ] && grep -q "$text" "$d/err"; then
		pass "tsend-replay -o e1000e: $name"
	else
		sed 's/^/    /' "$d/err"
		fail "tsend-replay -o e1000e: $name (exit $rc)"
	fi
}
e1000e_refused "not a PCI address" "'00:03' is not a PCI address" e1000e:00:03
e1000e_refused "no such device" "no PCI device 0000:fe:1f.7" e1000e:fe:1f.7 --bind
other=$(for p in /sys/bus/pci/devices/*; do
	[ "$(cat "$p/vendor"):$(cat "$p/device")" != 0x8086:0x10d3 ] && basename "$p" && break
done)
if [ -n "$other" ]; then
	e1000e_refused "not an 82574L ($other)" "not an Intel 82574L (8086:10d3" "e1000e:$other" --bind
else
	skip "tsend-replay -o e1000e: not an 82574L: this host has no PCI device"
fi
expect_exit "tsend-replay --bind without e1000e: exit 2" 2 "$REPLAY" run \
	"$ROOT/tests/data/loopback.trace" -o "pcap:$d/never.pcap" --bind
expect_exit "tsend-replay --force without --bind: exit 2" 2 "$REPLAY" run \
	"$ROOT/tests/data/loopback.trace" -o e1000e:00:03.0 --force
# recordings from the 6.1 guest (fentry, two e1000e NICs, TSO): the replay
# of another kernel's send path, frame for frame. In the tsq ones TCP Small
# Queues held frames until the NIC's TX completion: without its model they
# verify 10 of 13 and 3 of 9
for t in guest-fentry guest-tsq-70k guest-tsq-90k; do
	check "tsend-replay verify: the 6.1/e1000e recording $t replays identically" \
		bash -c "'$REPLAY' verify '$ROOT/tests/data/$t.trace' >/dev/null"
done

# bad_flag FLAG VALUE: exit 2 and a message naming the flag
bad_flag() {
	local rc=0
	"$TRACE" record -o "$d/never.trace" "$1" "$2" >"$d/out" 2>"$d/err" || rc=$?
	if [ "$rc" = 2 ] && grep -q -- "$1" "$d/err" && [ ! -e "$d/never.trace" ]; then
		pass "record $1 '$2': exit 2 naming the flag"
	else
		fail "record $1 '$2': exit $rc, stderr: $(head -1 "$d/err")"
	fi
}
bad_flag --port 0
bad_flag --port 70000
bad_flag --port 80x
bad_flag --pid -3
bad_flag --snaplen 5000
bad_flag --payload lots
bad_flag --buffer 12X
bad_flag --buffer 1K
bad_flag --duration -1
bad_flag --duration abc
bad_flag --count 0
bad_flag --max-size 1K
bad_flag --max-files 0
bad_flag --dev no-such-if0
bad_flag --comm this-name-is-far-too-long
bad_flag --btf /nonexistent/vmlinux
bad_flag --cgroup /nonexistent
bad_flag --stacks tcp_write_xmit,nosuchstage
bad_flag --stack-entries 10
expect_exit "record with an unknown option: exit 2" 2 "$TRACE" record --bogus
# top: its help, and usage errors before anything is loaded
expect_exit "top --help: exit 0" 0 "$TRACE" top --help
check "top --help shows USAGE and EXAMPLES" bash -c "'$TRACE' top --help 2>&1 | grep -q EXAMPLES"
for f in "--interval 0" "--interval 1x" "--by host" "--count 0" "--port 0" "--dev no-such-if0"; do
	# shellcheck disable=SC2086 # flag and value, one per word
	expect_exit "top $f: exit 2" 2 "$TRACE" top $f
	# shellcheck disable=SC2086
	check "top $f: the message names the flag" \
		bash -c "'$TRACE' top $f 2>&1 | grep -q -- '${f%% *}'"
done
expect_exit "dump without FILE: exit 2" 2 "$TRACE" dump
expect_exit "report with two files: exit 2" 2 "$TRACE" report a b
expect_exit "pcap without -o: exit 2" 2 "$TRACE" pcap "$ROOT/tests/data/loopback.trace"
expect_exit "skb without FILE: exit 2" 2 "$TRACE" skb
# flame: usage errors name the flag; the graph of a committed recording
for f in "--weight time" "--mode tree" "--stage nosuchstage" "--width 10" "--pid 0"; do
	# shellcheck disable=SC2086 # flag and value, one per word
	expect_exit "flame $f: exit 2" 2 "$TRACE" flame $f "$ROOT/tests/data/loopback.trace"
	# shellcheck disable=SC2086
	check "flame $f: the message names the flag" \
		bash -c "'$TRACE' flame $f '$ROOT/tests/data/loopback.trace' 2>&1 | grep -q -- '${f%% *}'"
done
"$TRACE" flame --folded "$ROOT/tests/data/loopback.trace" >"$d/lo.folded" 2>"$d/lo.flame.err"
check "flame of a trace without stacks: the send path graph" \
	grep -q "skbs on the send path" "$d/lo.flame.err"
check "flame: its folded lines start at the seed's send()" \
	bash -c "[ -s '$d/lo.folded' ] && ! grep -v '^send;sock_sendmsg;' '$d/lo.folded'"
"$TRACE" flame "$ROOT/tests/data/loopback.trace" -o "$d/lo.svg" 2>/dev/null
check "flame: the SVG is well-formed (xmllint)" xmllint --noout "$d/lo.svg"
for f in "--seq abc" "--seq 5000000000" "--send 0" "--id x" "--skb zz" "--max -1"; do
	# shellcheck disable=SC2086 # flag and value, one per word
	expect_exit "skb $f: exit 2" 2 "$TRACE" skb "$ROOT/tests/data/loopback.trace" $f
	# shellcheck disable=SC2086
	check "skb $f: the message names the flag" \
		bash -c "'$TRACE' skb '$ROOT/tests/data/loopback.trace' $f 2>&1 | grep -q -- '${f%% *}'"
done
expect_exit "skb of a missing file: exit 1" 1 "$TRACE" skb "$d/missing.trace"
expect_exit "pcap of a missing file: exit 1" 1 "$TRACE" pcap "$d/missing.trace" -o "$d/x.pcapng"
check "pcap of a missing file: no output left" [ ! -e "$d/x.pcapng" ]
expect_exit "pcap into a missing directory: exit 1" 1 \
	"$TRACE" pcap "$ROOT/tests/data/loopback.trace" -o "$d/no/such/dir/x.pcapng"

# bad_file NAME FILE WORDS: dump exits 1 with one line naming file and words
bad_file() {
	local rc=0
	"$TRACE" dump "$2" >/dev/null 2>"$d/err" || rc=$?
	if [ "$rc" = 1 ] && [ "$(wc -l <"$d/err")" = 1 ] && grep -q "$2" "$d/err" &&
		grep -q "$3" "$d/err"; then
		pass "$1: exit 1, one line naming the file"
	else
		fail "$1: exit $rc, stderr: $(cat "$d/err")"
	fi
}
bad_file "missing file" "$d/missing.trace" "No such file"
printf 'this is not a trace file at all, just text\n' >"$d/text.trace"
bad_file "not a trace" "$d/text.trace" "offset 0"
: >"$d/empty.trace"
bad_file "empty file" "$d/empty.trace" "$d/empty.trace"
# a real recording (tests/data/loopback.trace) with damage of each kind
data=$ROOT/tests/data
cp "$data/loopback.trace" "$d/flip.trace"
# flip one bit in the last block's compressed bytes
off=$(($(stat -c %s "$d/flip.trace") - 60))
byte=$(od -An -tu1 -j"$off" -N1 "$d/flip.trace" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 0x10)))" |
	dd of="$d/flip.trace" bs=1 seek="$off" conv=notrunc 2>/dev/null
bad_file "bit flip in a block" "$d/flip.trace" "offset"
cp "$data/loopback.trace" "$d/ver.trace"
printf '\x07' | dd of="$d/ver.trace" bs=1 seek=8 conv=notrunc 2>/dev/null
bad_file "unknown version" "$d/ver.trace" "version"
printf 'TSENDTRX' | dd of="$d/magic.trace" bs=1 conv=notrunc 2>/dev/null
cat "$data/loopback.trace" | tail -c +9 >>"$d/magic.trace"
bad_file "wrong magic" "$d/magic.trace" "offset 0"

expect_exit "pcap of a damaged trace: exit 1" 1 "$TRACE" pcap "$d/flip.trace" -o "$d/flip.pcapng"
check "pcap of a damaged trace: no output that looks complete" \
	bash -c "[ ! -e '$d/flip.pcapng' ] && [ ! -e '$d/flip.pcapng.tmp' ]"

# golden outputs of the same recording: the reader and every text export
golden() {
	local name=$1 want=$2
	shift 2
	if "$@" >"$d/got" 2>"$d/err" && diff -u "$want" "$d/got" >"$d/diff"; then
		pass "golden: $name"
	else
		head -20 "$d/diff" "$d/err" | sed 's/^/    /'
		fail "golden: $name"
	fi
}
golden "dump" "$data/loopback.dump.txt" "$TRACE" dump "$data/loopback.trace"
golden "dump --json" "$data/loopback.dump.jsonl" "$TRACE" dump --json "$data/loopback.trace"
golden "dump --header" "$data/loopback.header.txt" "$TRACE" dump --header "$data/loopback.trace"
golden "report" "$data/loopback.report.txt" "$TRACE" report "$data/loopback.trace"
golden "skb" "$data/loopback.skb.txt" "$TRACE" skb "$data/loopback.trace"
golden "skb --json" "$data/loopback.skb.jsonl" "$TRACE" skb --json "$data/loopback.trace"
check "skb --seq: the send() and the frame holding that byte, nothing else" bash -c "
	'$TRACE' skb --json --seq 324755500 '$data/loopback.trace' |
		python3 -c 'import json,sys; print([(o[\"type\"], o[\"id\"]) for o in map(json.loads, sys.stdin)])' |
		grep -qx \"\\[('send', 3), ('skb', 5)\\]\""
check "skb --send 2: send() #2 and its one frame" bash -c "
	[ \"\$('$TRACE' skb --send 2 '$data/loopback.trace' | grep -c '^send() #2\\|^skb #4 ')\" = 2 ]"
# a recording from Debian's 6.1 in QEMU (tests/vm): fentry, e1000e, ACKs
guest=$data/guest-fentry.trace
golden "skb on 6.1/e1000e" "$data/guest-fentry.send1.txt" "$TRACE" skb --send 1 "$guest"
golden "report on 6.1/e1000e" "$data/guest-fentry.report.txt" "$TRACE" report "$guest"
check "6.1/e1000e: each data frame one story, original and clone, TCP to free and ACK" python3 -c "
import json, subprocess, sys
out = subprocess.run([sys.argv[1], 'skb', '--json', '--max', '0', sys.argv[2]],
                     capture_output=True, check=True, text=True).stdout
st = [json.loads(l) for l in out.splitlines()]
sends = [o for o in st if o['type'] == 'send']
data = [o for o in st if o['type'] == 'skb' and o['payload']]
assert [s['ret'] for s in sends] == [100, 2000, 70000, 5], sends
assert all(s['wire_bytes'] == s['ret'] and s['why'] is None for s in sends)
assert sum(o['payload'] for o in data) == 72105
for o in data:
    names = [x['stage'] for x in o['stages']]
    assert o['why'] is None and o['clone'] != '0x0' and o['acked_ts_ns'], o
    assert names[0] == '__tcp_transmit_skb' and 'e1000_xmit_frame' in names, names
    assert 'consume_skb' in names, names" "$TRACE" "$guest"
check "report --json parses, with histograms" python3 -c "
import json, subprocess, sys
r = json.loads(subprocess.run([sys.argv[1], 'report', '--json', sys.argv[2]],
                              capture_output=True, check=True).stdout)
assert r['send_to_wire']['count'] == 3 and r['send_to_wire']['hist']
assert r['lifecycles']['skbs'] == 7 and r['devices'][0]['frames'] == 7" "$TRACE" "$data/loopback.trace"
check "dump --json: every line is JSON" python3 -c "
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)" "$data/loopback.dump.jsonl"
