#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# tsend-trace pcap: the export read back by tshark. (a) The recorded
# loopback.trace against its own dump (no root). (b) A fresh loopback
# recording against an independent capture of lo (root).
set -u
. "$(dirname "$0")/../lib.sh"
d=$(tmpdir)
cleanup() {
	# shellcheck disable=SC2046 # one pid per word
	kill $(jobs -p) 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT

# tshark_clean ERRFILE: nothing on stderr but the notice it gives root
tshark_clean() {
	! grep -v '^Running as user "root"' "$1" | grep -q .
}

# tshark_reads FILE: exit 0 and no warnings
tshark_reads() {
	tshark -r "$1" >/dev/null 2>"$d/reads.err" && tshark_clean "$d/reads.err"
}

# compare_dump JSONL FIELDS: the frames tshark sees are the trace's
# net_dev_start_xmit records, in order: sport, seq, the nanosecond
# realtime stamp, and a comment ending in the record's sequence range.
compare_dump() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
recs = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("stage") == "net_dev_start_xmit":
        recs.append(r)
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
def say(ok, what):
    print(("ok - " if ok else "FAIL - ") + what)
say(len(rows) == len(recs) and len(recs) > 0,
    "pcap: %d frames for %d net_dev_start_xmit records" % (len(rows), len(recs)))
bad = []
for i, (r, row) in enumerate(zip(recs, rows)):
    sport, seq, epoch, comment = (row + [""] * 4)[:4]
    ns = r["realtime_ns"]
    want_epoch = "%d.%09d" % (ns // 10**9, ns % 10**9)
    if sport != str(r["flow"]["sport"]) or seq != str(r["seq"]):
        bad.append("frame %d: sport/seq %s/%s, want %s/%s"
                   % (i + 1, sport, seq, r["flow"]["sport"], r["seq"]))
    if epoch != want_epoch:
        bad.append("frame %d: time %s, want %s" % (i + 1, epoch, want_epoch))
    if not (comment.startswith("tsend: ") and
            comment.endswith("seq %d-%d" % (r["seq"], r["end_seq"]))):
        bad.append("frame %d: comment %r" % (i + 1, comment))
for b in bad[:5]:
    print("# " + b)
say(not bad and rows and len(rows) == len(recs), "pcap: sport, seq, time and comment of every frame match the dump")
EOF
}

# (a) the recorded trace, no root needed
part_a() {
	local rc=0 fields="-e tcp.srcport -e tcp.seq_raw -e frame.time_epoch -e frame.comment"

	"$TRACE" pcap "$ROOT/tests/data/loopback.trace" -o "$d/out.pcapng" 2>"$d/pcap.err" || rc=$?
	check "pcap: exits 0" [ "$rc" = 0 ]
	check "pcap: on stderr only the frame count" \
		bash -c "[ \"\$(grep -vc '^tsend-trace: [0-9]* frames written to ' '$d/pcap.err')\" = 0 ]"
	if [ ! -s "$d/out.pcapng" ]; then
		fail "pcap: wrote $d/out.pcapng"
		return
	fi
	rc=0
	tshark -r "$d/out.pcapng" >"$d/list.txt" 2>"$d/tshark.err" || rc=$?
	check "pcap: tshark reads it (exit 0)" [ "$rc" = 0 ]
	check "pcap: tshark has no warnings" tshark_clean "$d/tshark.err"
	"$TRACE" dump --json "$ROOT/tests/data/loopback.trace" >"$d/dump.jsonl"
	# shellcheck disable=SC2086 # one option per word
	tshark -r "$d/out.pcapng" -T fields -E separator=/t $fields >"$d/fields.txt" 2>/dev/null
	compare_dump "$d/dump.jsonl" "$d/fields.txt"
	# golden: frame 3 is the first data frame, its whole story is known
	check "pcap: frame 3 comment" [ "$(tshark -r "$d/out.pcapng" -Y frame.number==3 \
		-T fields -e frame.comment 2>/dev/null)" = \
		"tsend: pid 21380 tcp_sender; send()→wire 23.736 µs; queue 1.553 µs; seq 324752398-324752498" ]
	check "pcap: section says tsend-trace" \
		grep -q "Capture application: *tsend-trace" <(capinfos "$d/out.pcapng" 2>/dev/null)
}

# srcport, seq_raw, len of FILE's frames from port SPORT
frames_from() {
	tshark -r "$1" -Y "tcp.srcport == $2" -T fields -e tcp.srcport -e tcp.seq_raw \
		-e tcp.len 2>/dev/null
}

# (b) a fresh recording against tshark's own capture of lo
part_b() {
	local port=$((20000 + RANDOM % 20000)) rc=0 sport n

	if ! start_capture "$port" "$d/cap.pcap"; then
		fail "live: tshark did not start"
		return
	fi
	"$TRACE" record -o "$d/r.trace" -P "$port" -- "$SENDER" loop "$port" 100 2000 70000 5 \
		>"$d/r.out" 2>"$d/r.err" || rc=$?
	stop_capture
	check "live: record exits 0" [ "$rc" = 0 ]
	rc=0
	"$TRACE" pcap "$d/r.trace" -o "$d/r.pcapng" 2>"$d/rpcap.err" || rc=$?
	check "live: pcap exits 0" [ "$rc" = 0 ]
	sport=$(awk '/^sport/ {print $2}' "$d/r.out")
	if [ -z "$sport" ]; then
		fail "live: the sender printed its sport"
		return
	fi
	frames_from "$d/cap.pcap" "$sport" >"$d/want.txt"
	frames_from "$d/r.pcapng" "$sport" >"$d/got.txt"
	n=$(wc -l <"$d/want.txt")
	check "live: the capture saw the sender's frames ($n)" [ "$n" -gt 3 ]
	if cmp -s "$d/want.txt" "$d/got.txt"; then
		pass "live: sport, seq, len of every sender frame match the capture"
	else
		fail "live: sender frames differ from the capture"
		diff "$d/want.txt" "$d/got.txt" | head -10 | sed 's/^/# /'
	fi
	check "live: tshark reads the export without warnings" tshark_reads "$d/r.pcapng"
}

part_a
if need_root; then
	part_b
else
	skip "live loopback export: needs root for BPF"
fi
