#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A real recording on loopback (IPv4 and IPv6), checked against the
# workload's own numbers and an independent AF_PACKET capture (tshark).
set -u
. "$(dirname "$0")/../lib.sh"
if ! need_root; then
	skip "loopback recording: needs root for BPF"
	exit 0
fi
d=$(tmpdir)
cleanup() {
	# a recorder left running would keep the harness's pipe open
	# shellcheck disable=SC2046 # one pid per word
	kill $(jobs -p) 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT

# one_run NAME SENDER_ARGS...: record a loop sender, compare with a capture
one_run() {
	local name=$1 port=$((20000 + RANDOM % 20000)) rc=0 sport
	shift
	local sizes=(100 2000 70000 5 1448 1 65536)
	if ! start_capture "$port" "$d/$name.pcap"; then
		fail "$name: tshark did not start"
		return
	fi
	# shellcheck disable=SC2086 # options, one per word
	"$TRACE" record -o "$d/$name.trace" -P "$port" ${TSEND_RECORD_OPTS:-} -- \
		"$SENDER" "$@" "$port" "${sizes[@]}" >"$d/$name.out" 2>"$d/$name.err" || rc=$?
	stop_capture
	check "$name: record exits 0" [ "$rc" = 0 ]
	check "$name: trace file is mode 0600" [ "$(stat -c %a "$d/$name.trace")" = 600 ]
	check "$name: no records lost" grep -q ", 0 lost" "$d/$name.err"
	check "$name: no program refused by the verifier" \
		bash -c "! grep -q 'rejected by the verifier' '$d/$name.err'"
	sport=$(awk '/^sport/ {print $2}' "$d/$name.out")
	"$TRACE" dump --json "$d/$name.trace" >"$d/$name.jsonl"
	python3 "$ROOT/tests/integration/check_capture.py" "$d/$name.jsonl" \
		"$d/$name.pcap" "$sport" "$port" "${sizes[@]}" | sed "s/^\(ok\|FAIL\) - /&$name: /"
	python3 "$ROOT/tests/integration/check_lifecycles.py" "$TRACE" "$d/$name.trace" \
		"$sport" "$port" "${sizes[@]}" | sed "s/^\(ok\|FAIL\) - /&$name: /"
}

one_run ipv4 loop
one_run ipv4-nodelay loop -n
# the largest snapshot and payload tiers load and record too
TSEND_RECORD_OPTS="--snaplen 1024 --payload 1024" one_run ipv4-tiers loop
# every byte of every send() (DATA records; record_payload.sh checks them):
# the frames, the capture and the lifecycles are the same
TSEND_RECORD_OPTS="--payload all" one_run ipv4-payload-all loop

# IPv6: receiver and sender apart, filtered by --comm instead of a command
port=$((20000 + RANDOM % 20000))
"$SENDER" recv -6 "$port" >"$d/recv6.out" &
recv=$!
sleep 0.3
start_capture "$port" "$d/v6.pcap" || fail "ipv6: tshark did not start"
"$TRACE" record -o "$d/v6.trace" --comm tcp_sender -P "$port" -D 3 2>"$d/v6.err" &
rec=$!
sleep 1.5 # let the probes attach
"$SENDER" send ::1 "$port" 3000 700 >"$d/v6.out"
wait "$recv"
wait "$rec"
stop_capture
sport=$(awk '/^sport/ {print $2}' "$d/v6.out")
"$TRACE" dump --json "$d/v6.trace" >"$d/v6.jsonl"
check "ipv6: flow recorded as AF_INET6" grep -q '"family":10' "$d/v6.jsonl"
python3 "$ROOT/tests/integration/check_capture.py" "$d/v6.jsonl" "$d/v6.pcap" \
	"$sport" "$port" 3000 700 | sed 's/^\(ok\|FAIL\) - /&ipv6: /'
python3 "$ROOT/tests/integration/check_lifecycles.py" "$TRACE" "$d/v6.trace" \
	"$sport" "$port" 3000 700 | sed 's/^\(ok\|FAIL\) - /&ipv6: /'

# the report accounts for the same bytes
"$TRACE" report "$d/ipv4.trace" >"$d/report.txt"
check "report: per-flow payload equals bytes sent" \
	grep -q "tcp payload $((100 + 2000 + 70000 + 5 + 1448 + 1 + 65536)) bytes" "$d/report.txt"
check "report: lost events reported" grep -qi "lost events *0" "$d/report.txt"
"$TRACE" report --json "$d/ipv4.trace" >"$d/report.json"
check "report --json parses" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$d/report.json"
