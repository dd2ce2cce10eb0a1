#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# How a recording ends: SIGINT/SIGTERM close cleanly, kill -9 leaves a file
# readable up to its last block, --duration/--count stop it, --max-size
# stops or rotates. Also --pid and the filters' exclusions.
set -u
. "$(dirname "$0")/../lib.sh"
if ! need_root; then
	skip "recording lifecycle: needs root for BPF"
	exit 0
fi
d=$(tmpdir)
# a recorder left running would keep the harness's pipe open
# shellcheck disable=SC2046 # one pid per word
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$d"' EXIT
port=$((20000 + RANDOM % 20000))

for sig in INT TERM; do
	"$TRACE" record -o "$d/$sig.trace" -P "$port" 2>"$d/$sig.err" &
	pid=$!
	wait_attached "$d/$sig.err"
	"$SENDER" loop "$port" 1000 2000 >/dev/null
	kill -"$sig" "$pid"
	rc=0
	wait "$pid" || rc=$?
	check "SIG$sig: exits 0" [ "$rc" = 0 ]
	"$TRACE" dump "$d/$sig.trace" >"$d/$sig.txt" 2>"$d/$sig.dumperr"
	check "SIG$sig: file complete, no warning" [ ! -s "$d/$sig.dumperr" ]
	check "SIG$sig: both sends recorded" [ "$(grep -c '__sys_sendto tracepoint' "$d/$sig.txt")" = 2 ]
done

# kill -9 after a flush: what was recorded stays readable, with a warning
"$TRACE" record -o "$d/k9.trace" -P "$port" 2>"$d/k9.err" &
pid=$!
wait_attached "$d/k9.err"
"$SENDER" loop "$port" 300 400 500 >/dev/null
sleep 1.5 # the recorder writes a block every second
kill -9 "$pid"
wait "$pid" 2>/dev/null
rc=0
"$TRACE" dump "$d/k9.trace" >"$d/k9.txt" 2>"$d/k9.dumperr" || rc=$?
check "kill -9: dump exits 0" [ "$rc" = 0 ]
check "kill -9: dump warns the recording was cut off" grep -q "warning" "$d/k9.dumperr"
check "kill -9: the sends before the kill are there" \
	[ "$(grep -c '__sys_sendto tracepoint' "$d/k9.txt")" = 3 ]
rc=0
"$TRACE" report "$d/k9.trace" >"$d/k9.report" 2>&1 || rc=$?
check "kill -9: report exits 0 and says losses are unknown" \
	bash -c "[ $rc = 0 ] && grep -qi 'unknown' '$d/k9.report'"

# a torn last block: the whole blocks before it are read, with a warning
size=$(stat -c %s "$d/INT.trace")
head -c $((size - 7)) "$d/INT.trace" >"$d/torn.trace"
rc=0
"$TRACE" dump "$d/torn.trace" >/dev/null 2>"$d/torn.err" || rc=$?
check "torn file: exit 0 with a warning naming the offset" \
	bash -c "[ $rc = 0 ] && grep -q 'offset' '$d/torn.err'"

# --duration and --count stop by themselves
start=$(date +%s)
"$TRACE" record -o "$d/dur.trace" -D 1 2>/dev/null
check "--duration 1 stops within 5 s" [ $(($(date +%s) - start)) -lt 5 ]
"$TRACE" record -o "$d/cnt.trace" -n 5 -P "$port" 2>"$d/cnt.err" &
pid=$!
wait_attached "$d/cnt.err"
"$SENDER" loop "$port" 1 1 1 1 1 1 1 1 >/dev/null
timeout 10 tail --pid="$pid" -f /dev/null
check "--count 5 stops by itself" bash -c "! kill -0 $pid 2>/dev/null"
check "--count 5 wrote at least 5 records" \
	[ "$("$TRACE" dump "$d/cnt.trace" | wc -l)" -ge 5 ]

# --max-size: stop by default, rotate with --max-files
sizes=$(for _ in $(seq 400); do printf '1000 '; done)
"$TRACE" record -o "$d/rot.trace" -P "$port" --max-size 64K --max-files 3 \
	-- "$SENDER" loop -n "$port" $sizes >/dev/null 2>"$d/rot.err"
check "--max-files 3: three files written" \
	bash -c "[ -s '$d/rot.trace' ] && [ -s '$d/rot.trace.1' ] && [ -s '$d/rot.trace.2' ]"
check "--max-files 3: no fourth file" [ ! -e "$d/rot.trace.3" ]
ok=1
for f in "$d"/rot.trace*; do
	"$TRACE" dump "$f" >/dev/null 2>&1 || ok=0
	[ "$(stat -c %s "$f")" -lt $((64 * 1024 + 300 * 1024)) ] || ok=0
done
check "--max-files 3: every file readable and bounded" [ "$ok" = 1 ]
rc=0
"$TRACE" record -o "$d/stop.trace" -P "$port" --max-size 64K \
	-- "$SENDER" loop -n "$port" $sizes >/dev/null 2>"$d/stop.err" || rc=$?
check "--max-size without --max-files stops with a message" \
	bash -c "[ $rc = 0 ] && grep -q 'max-size' '$d/stop.err' && [ ! -e '$d/stop.trace.1' ]"

# --pid: only that process's sockets
timeout 30 "$SENDER" recv "$port" >"$d/recv.out" &
recv=$!
wait_for "$d/recv.out" listening
"$TRACE" record -o "$d/pid.trace" -p "$recv" -D 3 2>"$d/pid.err" &
pid=$!
wait_attached "$d/pid.err"
"$SENDER" send 127.0.0.1 "$port" 4000 >/dev/null
wait "$recv" "$pid"
check "--pid of the receiver: none of the sender's send() calls" \
	bash -c "! '$TRACE' dump '$d/pid.trace' | grep -q '__sys_sendto'"

# --payload: the first bytes of each send(), as the sender wrote them
"$TRACE" record -o "$d/pl.trace" --payload 8 -P "$port" -- \
	"$SENDER" loop "$port" 100 >/dev/null 2>&1
check "--payload 8: the send() bytes are recorded" \
	bash -c "'$TRACE' dump --json '$d/pl.trace' | grep -q '\"payload\":\"030a11181f262d34\"'"
