#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# --payload past the entry record's 1024 bytes: real loopback recordings of
# send() and sendmsg() (several iovecs, more than the 8 the entry reads),
# whose recorded bytes must be exactly what tcp_sender sent, up to ret or
# the --payload limit (check_payload.py). Also the skb records' csum.
set -u
. "$(dirname "$0")/../lib.sh"
if ! need_root; then
	skip "payload recording: needs root for BPF"
	exit 0
fi
d=$(tmpdir)
cleanup() {
	# shellcheck disable=SC2046 # one pid per word
	kill $(jobs -p) 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT

# odd sizes, and sizes at the entry record's and a chunk's edges
sizes=(1 100 1024 1025 4096 4097 65536 70001 1000003)

# one_run NAME LIMIT SENDER_OPTS...: record tcp_sender loop -r with
# --payload LIMIT and check every send()'s bytes
one_run() {
	local name=$1 limit=$2 port=$((20000 + RANDOM % 20000)) rc=0 sport
	shift 2
	"$TRACE" record -o "$d/$name.trace" -P "$port" --payload "$limit" -- \
		"$SENDER" loop -r "$@" "$port" "${sizes[@]}" >"$d/$name.out" 2>"$d/$name.err" || rc=$?
	check "$name: record exits 0" [ "$rc" = 0 ]
	check "$name: no records lost" grep -q ", 0 lost" "$d/$name.err"
	check "$name: no program refused by the verifier" \
		bash -c "! grep -q 'rejected by the verifier' '$d/$name.err'"
	sport=$(awk '/^sport/ {print $2}' "$d/$name.out")
	echo "$sport $port" >"$d/$name.ports"
	"$TRACE" dump --json "$d/$name.trace" >"$d/$name.jsonl"
	python3 "$ROOT/tests/integration/check_payload.py" "$d/$name.jsonl" "$sport" "$port" \
		"$limit" r "${sizes[@]}" | sed "s/^\(ok\|FAIL\) - /&$name: /"
}

one_run sendto-all all
one_run sendmsg-all all -m 3
one_run sendmsg11-all all -m 11
one_run sendto-2000 2000
one_run sendmsg-2000 2000 -m 5
# at most 1024: the entry record alone, gathered across the iovecs
one_run sendmsg-1024 1024 -m 7

check "header: payload all" bash -c \
	"'$TRACE' dump --header '$d/sendto-all.trace' | grep -q 'payload all, .* abi 4'"
check "header --json: payload_len 4294967295" bash -c \
	"'$TRACE' dump --header --json '$d/sendto-all.trace' | grep -q '\"payload_len\":4294967295'"
# loopback leaves the TCP checksum to the "device": CHECKSUM_PARTIAL
check "net_dev_start_xmit: csum partial" python3 -c '
import json, sys
x = [e for e in map(json.loads, open(sys.argv[1]))
     if e["kind"] == "skb" and e["stage"] == "net_dev_start_xmit"]
sys.exit(not x or any(e["csum"] != "partial" for e in x))' "$d/sendto-all.jsonl"
# DATA records are the send()'s, not a flow's: report and lifecycles skip them
"$TRACE" report "$d/sendto-all.trace" >"$d/report.txt"
total=0
for s in "${sizes[@]}"; do total=$((total + s)); done
check "report: per-flow payload equals bytes sent" grep -q "tcp payload $total bytes" "$d/report.txt"
check "report: send() calls counted once each" \
	grep -q "send() calls ${#sizes[@]}, bytes asked $total, returned $total" "$d/report.txt"
# shellcheck disable=SC2046 # the two ports
python3 "$ROOT/tests/integration/check_lifecycles.py" "$TRACE" "$d/sendto-all.trace" \
	$(cat "$d/sendto-all.ports") "${sizes[@]}" | sed 's/^\(ok\|FAIL\) - /&sendto-all: /'

# usage
expect_exit "--payload junk: exit 2" 2 "$TRACE" record --payload lots -o "$d/x.trace" -- true
expect_exit "--payload -1: exit 2" 2 "$TRACE" record --payload -1 -o "$d/x.trace" -- true
