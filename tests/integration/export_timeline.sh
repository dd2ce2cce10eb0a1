#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# tsend-trace timeline: the Chrome trace-event JSON read back by python3 as
# Perfetto's importer would (check_timeline.py). (a) The recorded
# loopback.trace, usage and bad input (no root). (b) A fresh loopback
# recording in a network namespace of its own (root).
set -u
. "$(dirname "$0")/../lib.sh"
d=$(tmpdir)
ns=tsend-tl-$$
cleanup() {
	# shellcheck disable=SC2046 # one pid per word
	kill $(jobs -p) 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT
data=$ROOT/tests/data

# check_export NAME FILE: the timeline of trace FILE checked against its dump
check_export() {
	local name=$1 file=$2 rc=0

	"$TRACE" timeline "$file" -o "$d/$name.json" 2>"$d/$name.err" || rc=$?
	check "$name: timeline exits 0" [ "$rc" = 0 ]
	check "$name: on stderr only the summary" \
		bash -c "[ \"\$(grep -vc '^tsend-trace: .* written to ' '$d/$name.err')\" = 0 ]"
	check "$name: no OUT.tmp left" [ ! -e "$d/$name.json.tmp" ]
	"$TRACE" dump --json "$file" >"$d/$name.jsonl"
	"$TRACE" dump --header --json "$file" >"$d/$name.hdr"
	python3 "$ROOT/tests/integration/check_timeline.py" "$d/$name.json" "$d/$name.jsonl" \
		"$d/$name.hdr" | sed "s/^\(ok\|FAIL\) - timeline: /&$name: /"
}

# (a) the recorded trace, usage and bad input: no root needed
part_a() {
	local rc=0 size

	check_export "loopback.trace" "$data/loopback.trace"
	"$TRACE" timeline "$data/loopback.trace" -o - >"$d/stdout.json" 2>/dev/null
	check "-o -: the same JSON on standard output" cmp -s "$d/stdout.json" "$d/loopback.trace.json"

	expect_exit "usage: no FILE exits 2" 2 "$TRACE" timeline -o "$d/x.json"
	expect_exit "usage: no -o exits 2" 2 "$TRACE" timeline "$data/loopback.trace"
	expect_exit "usage: two FILEs exit 2" 2 "$TRACE" timeline "$data/loopback.trace" \
		"$data/loopback.trace" -o "$d/x.json"
	expect_exit "usage: unknown option exits 2" 2 "$TRACE" timeline --bogus "$data/loopback.trace"
	"$TRACE" timeline --help >"$d/help.txt" 2>&1 || rc=$?
	check "--help: exit 0 with examples" bash -c "[ $rc = 0 ] && grep -q EXAMPLES '$d/help.txt'"
	check "tsend-trace --help lists timeline" bash -c "'$TRACE' --help | grep -q '^  timeline '"

	expect_exit "missing file: exit 1" 1 "$TRACE" timeline "$d/missing.trace" -o "$d/m.json"
	check "missing file: no output" bash -c "[ ! -e '$d/m.json' ] && [ ! -e '$d/m.json.tmp' ]"
	expect_exit "unwritable output: exit 1" 1 "$TRACE" timeline "$data/loopback.trace" \
		-o "$d/no/such/dir/x.json"

	# a bit flipped in the last block: an error naming the offset, nothing left
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-60] ^= 0x10
open(sys.argv[2], "wb").write(b)' "$data/loopback.trace" "$d/flip.trace"
	rc=0
	"$TRACE" timeline "$d/flip.trace" -o "$d/flip.json" 2>"$d/flip.err" || rc=$?
	check "damaged trace: exit 1, the error names the offset" \
		bash -c "[ $rc = 1 ] && grep -q offset '$d/flip.err'"
	check "damaged trace: no output that looks complete" \
		bash -c "[ ! -e '$d/flip.json' ] && [ ! -e '$d/flip.json.tmp' ]"

	# cut off mid-block (the recorder was killed): what was read, with a warning
	size=$(stat -c %s "$data/loopback.trace")
	head -c $((size - 7)) "$data/loopback.trace" >"$d/torn.trace"
	rc=0
	"$TRACE" timeline "$d/torn.trace" -o "$d/torn.json" 2>"$d/torn.err" || rc=$?
	check "torn trace: exit 0 with a warning" bash -c "[ $rc = 0 ] && grep -q warning '$d/torn.err'"
	check "torn trace: the JSON parses" \
		python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$d/torn.json"
}

# (b) a fresh recording in a network namespace of its own: two loopback
# connections at once, so several sockets, CPUs and overlapping skbs
part_b() {
	local port=$((20000 + RANDOM % 20000)) rc=0 rec senders=()

	if ! ip netns add "$ns" || ! ip -n "$ns" link set lo up; then
		fail "live: cannot create network namespace $ns"
		return
	fi
	ip netns exec "$ns" "$TRACE" record -o "$d/live.trace" --comm tcp_sender 2>"$d/live.err" &
	rec=$!
	if ! wait_attached "$d/live.err"; then
		fail "live: the recorder did not start"
		cat "$d/live.err"
		return
	fi
	for p in "$port" $((port + 1)); do
		ip netns exec "$ns" "$SENDER" loop -n "$p" 100 2000 70000 5 1448 65536 300000 \
			>"$d/live.$p.out" &
		senders+=($!)
	done
	wait "${senders[@]}"
	sleep 0.3 # the last frees and ACKs
	kill -INT "$rec"
	wait "$rec" || rc=$?
	check "live: record exits 0" [ "$rc" = 0 ]
	check "live: no records lost" grep -q ", 0 lost" "$d/live.err"
	check_export "live" "$d/live.trace"
}

part_a
if need_root; then
	part_b
else
	skip "live timeline export: needs root for BPF and a network namespace"
fi
