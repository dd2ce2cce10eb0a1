#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# tsend-trace flame on real recordings of this machine: stacks (record
# --stacks) and the stackless send-path graph, checked against the trace's
# own records and stories; the SVG is well-formed (xmllint), renders and
# zooms and searches in headless Chromium; speedscope's own importer reads
# the folded output to the same total; a differential graph; bad input.
set -u
. "$(dirname "$0")/../lib.sh"
requires "flame" xmllint node npm || exit 0
d=$(tmpdir)
trap 'rm -rf "$d"' EXIT
check_flame() { python3 "$ROOT/tests/integration/check_flame.py" "$@"; }

# rec NAME SIZES...: a loopback recording with stacks at every stage
rec() {
	local name=$1 port=$((20000 + RANDOM % 20000)) rc=0
	shift
	"$TRACE" record --stacks all -o "$d/$name.trace" -P "$port" -- \
		"$SENDER" loop "$port" "$@" >"$d/$name.out" 2>"$d/$name.err" || rc=$?
	check "$name: record --stacks exits 0" [ "$rc" = 0 ]
	check "$name: no records lost" grep -q ", 0 lost" "$d/$name.err"
}
rec small 100 2000 5 1448 1
rec large 70000 65536 20000 100
# over 3 s: a block a second, for the damaged and cut-off cases
rec slow -w 700 1000 20000 70000 1000 20000

# stacks, by count: one sample per STACK record, the tracer's frames cut
"$TRACE" dump --json "$d/small.trace" >"$d/small.jsonl"
"$TRACE" flame --folded "$d/small.trace" >"$d/small.folded" 2>"$d/small.flame.err"
check_flame stacks "$d/small.folded" "$d/small.jsonl"
check "stacks: the send path's kernel functions are frames" \
	grep -q "tcp_sendmsg_locked;.*__dev_queue_xmit;dev_hard_start_xmit" "$d/small.folded"
# the user stack at send(): main from tcp_sender's .symtab (built with
# frame pointers), libc's send from its .dynsym, through the MAPS record
check "stacks: the user frames at send() are resolved (main, libc's send)" \
	grep -Eq "^tcp_sender;.*main;(__libc_)?send;entry_SYSCALL" "$d/small.folded"
check "stacks: what is missing is shown, never dropped" \
	bash -c "! grep -v '^tcp_sender;' '$d/small.folded'"
"$TRACE" flame --folded --stage net_dev_start_xmit "$d/small.trace" >"$d/xmit.folded"
check "stacks --stage net_dev_start_xmit: only that stage's samples" \
	bash -c "[ -s '$d/xmit.folded' ] && ! grep -v 'dev_hard_start_xmit [0-9]*$' '$d/xmit.folded'"
n=$(grep -c '"kind":"stack","kind_id":5.*"stage":"net_dev_start_xmit"' "$d/small.jsonl" || true)
[ "$n" -gt 0 ] || n=$(python3 -c "import json,sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get('kind')=='stack'
	and json.loads(l)['stage']=='net_dev_start_xmit'))" "$d/small.jsonl")
check_flame sum "$d/xmit.folded" 1 "$n"
"$TRACE" flame --folded --comm nosuchtask "$d/small.trace" >"$d/none.folded" 2>/dev/null
check "stacks --comm: another task's graph is empty" [ ! -s "$d/none.folded" ]

# stacks, by latency: each sample weighs its skb's time to the next stage
"$TRACE" flame --folded --weight latency "$d/large.trace" >"$d/lat.folded"
check "stacks --weight latency: weights are nanoseconds" \
	bash -c "awk '{s += \$NF} END {exit !(s > 1000)}' '$d/lat.folded'"

# the send path without stacks: widths are the skbs' measured times
"$TRACE" skb --json -n 0 "$d/large.trace" >"$d/large.skbs"
"$TRACE" flame --folded --mode path --weight latency "$d/large.trace" >"$d/path.folded"
check_flame path "$d/path.folded" "$d/large.skbs"
check "path: frames are the seed's call tree" grep -q \
	"^send;sock_sendmsg;inet_sendmsg;tcp_sendmsg;tcp_sendmsg_locked;tcp_push_one;tcp_write_xmit;" \
	"$d/path.folded"

# the SVG: well-formed, drawn, interactive
"$TRACE" flame "$d/large.trace" -o "$d/large.svg" 2>/dev/null
check "svg: xmllint reads it" xmllint --noout "$d/large.svg"
"$TRACE" flame --mode path "$d/large.trace" -o "$d/path.svg" 2>/dev/null
check "svg (path): xmllint reads it" xmllint --noout "$d/path.svg"

# node tools from npm, pinned by tests/flame/package-lock.json; the
# scripts run from beside node_modules, where ES modules look
nm=$BUILD/flame-node
if [ ! -d "$nm/node_modules" ] || ! cmp -s "$ROOT/tests/flame/package-lock.json" "$nm/package-lock.json"; then
	mkdir -p "$nm"
	cp "$ROOT/tests/flame/package.json" "$ROOT/tests/flame/package-lock.json" "$nm/"
	if ! (cd "$nm" && npm ci --no-audit --no-fund --loglevel=error >"$d/npm.log" 2>&1); then
		fail "npm ci of tests/flame (speedscope, playwright-core)"
		sed 's/^/    /' "$d/npm.log"
	fi
fi
for t in "$ROOT"/tests/flame/*.mjs; do cp "$t" "$nm/"; done
if [ -x /usr/bin/chromium ]; then
	node "$nm/render.mjs" "$d/large.svg" "$d/large.png" tcp_write_xmit tcp_ |
		sed 's/^\(ok\|FAIL\) - /&svg in chromium: /'
	node "$nm/render.mjs" "$d/path.svg" "$d/path.png" net_dev_queue net_dev |
		sed 's/^\(ok\|FAIL\) - /&path svg in chromium: /'
else
	fail "svg in chromium: /usr/bin/chromium is missing (make deps installs it)"
fi

# speedscope's own collapsed-stack importer reads the same total
for f in small.folded lat.folded path.folded; do
	want=$(awk '{s += $NF} END {print s}' "$d/$f")
	got=$(node "$nm/speedscope.mjs" "$d/$f" 2>"$d/speedscope.err" | awk '/^total/ {print $2}')
	check "speedscope reads $f with the same total weight ($want)" [ "$got" = "$want" ]
done

# differential: B's widths, both columns add up to each trace's own total
"$TRACE" flame --folded --diff --mode path "$d/small.trace" "$d/large.trace" >"$d/diff.folded"
a=$("$TRACE" flame --folded --mode path "$d/small.trace" | awk '{s += $NF} END {print s}')
b=$(awk '{s += $NF} END {print s}' "$d/path.folded")
check_flame sum "$d/diff.folded" 2 "$a"
check_flame sum "$d/diff.folded" 1 "$b"
"$TRACE" flame --diff "$d/small.trace" "$d/large.trace" -o "$d/diff.svg" 2>/dev/null
check "diff svg: xmllint reads it" xmllint --noout "$d/diff.svg"
check "diff svg: colors by growth" grep -q "grew" "$d/diff.svg"

# bad input: one line naming the file or flag, exit 2 for usage, 1 else
expect_exit "no FILE: usage" 2 "$TRACE" flame
expect_exit "--weight bogus: usage" 2 "$TRACE" flame --weight bogus "$d/small.trace"
expect_exit "--stage bogus: usage" 2 "$TRACE" flame --stage nosuchstage "$d/small.trace"
expect_exit "--diff with one file: usage" 2 "$TRACE" flame --diff "$d/small.trace"
expect_exit "two files without --diff: usage" 2 "$TRACE" flame "$d/small.trace" "$d/large.trace"
expect_exit "missing file" 1 "$TRACE" flame "$d/nonexistent.trace"
"$TRACE" flame "$d/nonexistent.trace" 2>"$d/missing.err" >/dev/null
check "missing file: the message names it" grep -q "nonexistent.trace" "$d/missing.err"
# damaged in the middle: what comes before is drawn, exit 1
size=$(stat -c %s "$d/slow.trace")
cp "$d/slow.trace" "$d/bad.trace"
printf 'XXXX' | dd of="$d/bad.trace" bs=1 seek=$((size - 200)) conv=notrunc 2>/dev/null
rc=0
"$TRACE" flame --folded "$d/bad.trace" >"$d/bad.folded" 2>"$d/bad.err" || rc=$?
check "damaged trace: exit 1" [ "$rc" = 1 ]
check "damaged trace: one line naming the file and offset" grep -q "bad.trace: offset [0-9]*" "$d/bad.err"
check "damaged trace: what came before is still drawn" [ -s "$d/bad.folded" ]
# cut off (a killed recording): a warning, the graph of what is there
head -c $((size - 100)) "$d/slow.trace" >"$d/cut.trace"
rc=0
"$TRACE" flame --folded "$d/cut.trace" >"$d/cut.folded" 2>"$d/cut.err" || rc=$?
check "cut-off trace: exit 0 with a warning" bash -c "[ $rc = 0 ] && grep -q warning '$d/cut.err'"
check "cut-off trace: its graph is drawn" [ -s "$d/cut.folded" ]
