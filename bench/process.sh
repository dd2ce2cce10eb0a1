#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Trace processing: how fast `tsend-trace report`, `pcap` and `flame --mode
# path` read a trace of EVENTS records, and their peak memory, against
# peers measured in the same run, interleaved, RUNS times each.
# The trace: one real recording with every probe this kernel allows,
#   tsend-trace record -P PORT --snaplen 128 -- tcp_sender loop -c PORT
#       16384 x SENDS (SENDS=20000: 130k records, about 12 a frame)
# grown to EVENTS records by bench/flame_gen -r -k (the recording repeated,
# each pass shifted in time and made a new connection: new socket
# addresses and initial sequence numbers, so the lifecycles join each pass
# as a real long recording of a client that reconnects). Timed:
#   reader    tsend-trace flame --mode stacks --folded (a trace without
#             stacks: every record read, decompressed, checked; nothing kept)
#   report    tsend-trace report           (lifecycles, latencies, per flow)
#   pcap      tsend-trace pcap -o x.pcapng (lifecycles, a frame a story)
#   path      tsend-trace flame --mode path -o x.svg (lifecycles, SVG)
# Peers:
#   perf      perf record -e (the tracepoints of the tracer bench, bench/tracer.sh) of the
#             same workload, repeated until it holds about PERF_EVENTS
#             samples (default EVENTS / 10: perf takes over a second a
#             million, and past a million its rate is flat);
#             perf report --stdio (its report of every tracepoint: samples
#             by their fields), perf report --sort comm,cpu (its reader and
#             a count), perf script (a line per event)
#   frames    the pcapng tsend-trace wrote, the same frames read and
#             written again: editcap (libwiretap alone), tshark -n -r -w
# The flame path of stacks against perf's is bench/flame.sh. Needs root.
# With BENCH_MD set, a markdown fragment with the commands and tables goes
# there.
#   bench/process.sh [RUNS] [EVENTS]      (default 5 10000000)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
BUILD=${BUILD:-$ROOT/build}
RUNS=${1:-5}
EVENTS=${2:-10000000}
SENDS=${SENDS:-20000}
SIZE=16384
PERF_EVENTS=${PERF_EVENTS:-$((EVENTS >= 10 ? EVENTS / 10 : 1))}
for n in "$RUNS" "$EVENTS" "$SENDS" "$PERF_EVENTS"; do
	case $n in '' | 0* | *[!0-9]*) echo "usage: bench/process.sh [RUNS] [EVENTS]" >&2; exit 1 ;; esac
done
[ "$(id -u)" = 0 ] || { echo "process.sh: needs root (BPF)" >&2; exit 1; }
for c in perf editcap tshark capinfos; do
	command -v "$c" >/dev/null || { echo "process.sh: $c is missing" >&2; exit 1; }
done
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
trap 'exit 130' INT TERM
if ! make -s -C "$ROOT" OUTPUT="$BUILD" "$BUILD/tsend-trace" "$BUILD/tests/tcp_sender" \
	"$BUILD/bench/flame_gen" >"$d/make.log" 2>&1; then
	tail -20 "$d/make.log" >&2
	exit 1
fi
T=$BUILD/tsend-trace
S=$BUILD/tests/tcp_sender
cd "$d"
start=$(date +%s)

TPS=syscalls:sys_enter_sendto,syscalls:sys_exit_sendto,tcp:tcp_sendmsg_locked,tcp:tcp_probe
TPS=$TPS,net:net_dev_queue,net:net_dev_start_xmit,net:net_dev_xmit,sock:sock_send_length
TPS=$TPS,skb:consume_skb,skb:kfree_skb,qdisc:qdisc_dequeue
sizes=$(for _ in $(seq "$SENDS"); do printf '%s ' "$SIZE"; done)
port=$((20000 + RANDOM % 20000))
while ss -Htan "( sport = :$port or dport = :$port )" 2>/dev/null | grep -q .; do
	port=$((20000 + RANDOM % 20000))
done

# the recording, and the big trace
# shellcheck disable=SC2086
"$T" record -P "$port" --snaplen 128 -o rec.trace -- "$S" loop -c "$port" $sizes \
	>/dev/null 2>record.err || { cat record.err >&2; exit 1; }
grep -q ', 0 lost' record.err || { echo "process.sh: tsend-trace lost records:" >&2; cat record.err >&2; }
rec_records=$(sed -n 's/.* \([0-9]*\) records in .*/\1/p' record.err)
rec_retrans=$("$T" report rec.trace 2>/dev/null | awk '/retransmitted skbs/ {print $3; exit}')
"$BUILD/bench/flame_gen" -r -k rec.trace big.trace "$EVENTS" >gen.log
passes=$(sed -n 's/.* in \([0-9]*\) passes.*/\1/p' gen.log)

# perf: the same workload, K times in one recording
k=$(((PERF_EVENTS + rec_records - 1) / rec_records))
[ "$k" -ge 1 ] || k=1
# shellcheck disable=SC2016 # the loop expands its own arguments
perf record -q -m 64M -e "$TPS" -o perf.data -- \
	sh -c 'i=0; while [ "$i" -lt "$1" ]; do "$2" loop -c "$3" $4 || exit; i=$((i + 1)); done' \
	sh "$k" "$S" "$port" "$sizes" >/dev/null 2>perf.err || { cat perf.err >&2; exit 1; }
perf report -i perf.data --stats >stats.txt 2>/dev/null
perf_events=$(awk '/SAMPLE events:/ {print $3; exit}' stats.txt)
plost=$(awk '/LOST_SAMPLES events:|LOST events:/ {s += $3} END {print s + 0}' stats.txt)
[ "$plost" = 0 ] || echo "process.sh: perf lost $plost records" >&2

now() { date +%s.%N; }
# [OUT=FILE] one NAME CMD...: "NAME SECONDS PEAK_RSS_KB"; its output to FILE
# (default /dev/null)
one() {
	local name=$1 t0 t1
	shift
	t0=$(now)
	/usr/bin/time -f %M -o rss "$@" >"${OUT:-/dev/null}" 2>"$name.err" || { cat "$name.err" >&2; exit 1; }
	t1=$(now)
	echo "$name $(echo "$t0 $t1" | awk '{printf "%.4f", $2 - $1}') $(tail -1 rss)"
}
for _ in $(seq "$RUNS"); do
	one reader "$T" flame --mode stacks --folded big.trace -o /dev/null
	OUT=report.txt one report "$T" report big.trace
	one pcap "$T" pcap big.trace -o big.pcapng
	one path "$T" flame --mode path big.trace -o big.svg
	one perf_report perf report -i perf.data --stdio
	one perf_sort perf report -i perf.data --stdio --sort comm,cpu
	one perf_script perf script -i perf.data
	one editcap editcap big.pcapng e.pcapng
	one tshark tshark -n -r big.pcapng -w t.pcapng
done >runs
end=$(date +%s)

frames=$(sed -n 's/^tsend-trace: \([0-9]*\) frames written.*/\1/p' pcap.err)
skbs=$(sed -n 's/.*: \([0-9]*\) skbs on the send path.*/\1/p' path.err)
for f in e.pcapng t.pcapng; do
	n=$(capinfos -M -c "$f" | awk '/Number of packets/ {print $NF}')
	[ "$n" = "$frames" ] || echo "process.sh: $f holds $n frames, not $frames" >&2
done
grep -q '^<svg' big.svg || echo "process.sh: big.svg is not an SVG" >&2
retrans=$(awk '/retransmitted skbs/ {print $3; exit}' report.txt)
sends_line=$(awk '/send\(\) calls [0-9]*: complete/ {sub(/^ */, ""); print; exit}' report.txt)

declare -A ev unit
for n in reader report pcap path; do ev[$n]=$EVENTS; unit[$n]=records; done
for n in perf_report perf_sort perf_script; do ev[$n]=$perf_events; unit[$n]=samples; done
for n in editcap tshark; do ev[$n]=$frames; unit[$n]=frames; done

# median min max of column COL (2: seconds, 3: RSS) for NAME
stats() { awk -v n="$1" -v c="$2" '$1 == n {print $c}' runs | median_spread; }
# ratio A B [PER]: A's rate over B's, run by run, "median (min-max)"; with
# PER = frames, A's rate is of frames too (frames from A's records)
ratio() {
	local ea=${ev[$1]}
	[ "${3:-}" = frames ] && ea=$frames
	awk -v a="$1" -v b="$2" -v ea="$ea" -v eb="${ev[$2]}" '
		$1 == a {ta[++na] = $2} $1 == b {tb[++nb] = $2}
		END { for (i = 1; i <= na; i++) print (ea / ta[i]) / (eb / tb[i]) }' runs |
		median_spread '%.2f (%.2f-%.2f)'
}
# row NAME: fields "events unit median min max rate rate_min rate_max rss_mb"
row() {
	local m lo hi r
	read -r m lo hi < <(stats "$1" 2)
	read -r r _ _ < <(stats "$1" 3)
	awk -v e="${ev[$1]}" -v u="${unit[$1]}" -v m="$m" -v lo="$lo" -v hi="$hi" -v r="$r" \
		'BEGIN { printf "%d %s %.3f %.3f %.3f %.0f %.0f %.0f %.0f\n", e, u, m, lo, hi,
			e / m, e / hi, e / lo, r / 1024 }'
}
declare -A label
label[reader]="tsend-trace flame --mode stacks (reader)"
label[report]="tsend-trace report"
label[pcap]="tsend-trace pcap"
label[path]="tsend-trace flame --mode path"
label[perf_report]="perf report --stdio"
label[perf_sort]="perf report --stdio --sort comm,cpu"
label[perf_script]="perf script"
label[editcap]="editcap (pcapng in, out)"
label[tshark]="tshark -n -r -w"
names="reader report pcap path perf_report perf_sort perf_script editcap tshark"
per_frame=$(awk -v e="$EVENTS" -v f="$frames" 'BEGIN {printf "%.1f", f ? e / f : 0}')
# 1234567 -> 1,234,567
grp() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

echo "$(uname -r), $(nproc) CPUs, perf $(perf version | awk '{print $3}'), $RUNS run(s), $((end - start)) s;" \
	"trace: $EVENTS records ($passes passes of a $rec_records-record recording), $frames frames"
printf '%-40s %10s %-7s %8s %17s %10s %9s\n' path events unit 's' 'min-max s' 'events/s' 'peak RSS'
for n in $names; do
	read -r e u m lo hi rate _ _ rss < <(row "$n")
	printf '%-40s %10d %-7s %8.3f %8.3f-%-8.3f %10d %6d MB\n' "${label[$n]}" "$e" "$u" "$m" "$lo" "$hi" \
		"$rate" "$rss"
done
r_rep=$(ratio report perf_report)
r_scr=$(ratio report perf_script)
r_rd=$(ratio reader perf_sort)
r_pe=$(ratio pcap editcap frames)
r_pt=$(ratio pcap tshark frames)
# and over tsend's own reader: what the lifecycles and the output cost
o_rep=$(ratio report reader)
o_pcap=$(ratio pcap reader)
o_path=$(ratio path reader)
echo
echo "ratios, events/s over the peer's (median of the $RUNS runs' ratios, min-max):"
echo "  report over perf report:                 $r_rep"
echo "  report over perf script:                 $r_scr"
echo "  reader over perf report --sort comm,cpu: $r_rd"
echo "  pcap over editcap, frames/s:             $r_pe"
echo "  pcap over tshark -n -r -w, frames/s:     $r_pt"
echo "  over tsend's reader: report $o_rep, pcap $o_pcap, flame --mode path $o_path"
echo "perf.data: $perf_events samples (the workload $k time(s)), $(du -m perf.data | cut -f1) MB;" \
	"big.trace $(du -m big.trace | cut -f1) MB, big.pcapng $(du -m big.pcapng | cut -f1) MB"
echo "lifecycles of the big trace: $skbs skbs on the send path; $sends_line; $retrans skbs retransmitted" \
	"($rec_retrans in the recording)"

[ -n "${BENCH_MD:-}" ] || exit 0
rel=${BUILD#"$ROOT"/}
{
	cat <<EOF
How fast \`tsend-trace\` reads a big trace, and with how much memory, against perf reading its
own recording of the same workload and against Wireshark's tools on the same frames. One
workload, \`tests/tcp_sender loop -c PORT\` with $SENDS \`send()\` calls of $SIZE bytes over
loopback, is recorded by tsend-trace with every probe this kernel allows: $(grp "$rec_records")
records. \`bench/flame_gen -r -k\` repeats that recording until it holds $(grp "$EVENTS") records
($passes passes, the last one cut off; $(grp "$frames") frames, $per_frame records a frame). Each
pass is shifted in time past the one before and made a new connection: new socket addresses, and
every sequence and ACK number (in the records and in each frame's TCP header) moved by one
offset. The lifecycles then join the big trace as a long recording of a client that reconnects:
$(grp "$skbs") skbs on the send path, ${sends_line/send() calls/\`send()\` calls} (the last pass is cut off), $retrans
skbs retransmitted ($rec_retrans in the recording).

The peers:

- \`perf report --stdio\` for \`report\`: perf's report of every sample of a tracepoint
  recording (per event, the samples by their fields). \`perf script\` (a line per sample) is the
  other way perf users build a report. \`perf report --sort comm,cpu\` (read, count) stands
  against tsend's reader. Perf records the same workload on 11 tracepoints tsend watches,
  $k time(s) in one recording: $(grp "$perf_events") samples. Perf takes more than a second
  per million samples, so it gets about a tenth of the events (\`PERF_EVENTS\`, default EVENTS /
  10), which keeps the bench within minutes. Past a million samples its rate stays flat while its
  memory grows with them: when this bench was written, \`perf report --stdio\` read 1.03M and
  2.05M samples at 766k and 769k samples/s in 335 and 616 MB, and \`perf script\` at 744k and
  752k. Only its count (\`--sort comm,cpu\`) still gained (3.8M and 4.5M samples/s): it pays a
  start of about 0.1 s.
- \`editcap\` and \`tshark -n -r -w\` for \`pcap\`: they read the $(grp "$frames") frames that
  \`tsend-trace pcap\` wrote, with their comments, and write them again as pcapng. \`editcap\`
  is libwiretap alone, and \`tshark\` dissects too. The rate compared is frames per second.
- the stackless flame graph has no perf counterpart: it is set against tsend's own reader (what
  the lifecycles and the SVG cost). The flame graph of stacks against perf's own
  (\`perf script report flamegraph\`, stackcollapse) is \`bench/flame.sh\`, on a 10M-sample trace.

\`\`\`
tsend-trace record -P PORT --snaplen 128 -o rec.trace -- $rel/tests/tcp_sender loop -c PORT $SIZE …   # $SENDS sizes
$rel/bench/flame_gen -r -k rec.trace big.trace $EVENTS
perf record -q -m 64M -e $TPS \\
    -o perf.data -- sh -c '…'     # the same tcp_sender loop, $k time(s)
\`\`\`

Timed, one after the other, in each of $RUNS runs (wall time from start to exit; peak RSS from
\`/usr/bin/time -f %M\`):

\`\`\`
tsend-trace flame --mode stacks --folded big.trace -o /dev/null   # the reader: no stacks, no lifecycles
tsend-trace report big.trace >report.txt
tsend-trace pcap big.trace -o big.pcapng
tsend-trace flame --mode path big.trace -o big.svg
perf report -i perf.data --stdio >/dev/null
perf report -i perf.data --stdio --sort comm,cpu >/dev/null
perf script -i perf.data >/dev/null
editcap big.pcapng e.pcapng
tshark -n -r big.pcapng -w t.pcapng
\`\`\`

| path | input | seconds, median (min–max) | per second, median (min–max) | peak RSS |
|---|---|---|---|---|
EOF
	for n in $names; do
		read -r e u m lo hi rate rlo rhi rss < <(row "$n")
		printf '| %s | %s %s | %.3f (%.3f–%.3f) | %s (%s–%s) %s/s | %s MB |\n' "\`${label[$n]}\`" \
			"$(grp "$e")" "$u" "$m" "$lo" "$hi" "$(grp "$rate")" "$(grp "$rlo")" "$(grp "$rhi")" "$u" "$rss"
		if [ "$n" = pcap ]; then
			printf '| … the same, as frames written | %s frames | | %s frames/s | |\n' "$(grp "$frames")" \
				"$(grp "$(awk -v f="$frames" -v m="$m" 'BEGIN {printf "%.0f", f / m}')")"
		fi
	done
	cat <<EOF

Ratio of tsend's rate to the peer's: each run's rate over the same run's peer rate, the median
of the $RUNS ratios (min–max):

| tsend-trace | peer | ratio |
|---|---|---|
| \`report\` | \`perf report --stdio\` | **${r_rep/-/–}** |
| \`report\` | \`perf script\` | ${r_scr/-/–} |
| the reader | \`perf report --stdio --sort comm,cpu\` | ${r_rd/-/–} |
| \`pcap\`, frames/s | \`editcap\` | **${r_pe/-/–}** |
| \`pcap\`, frames/s | \`tshark -n -r -w\` | ${r_pt/-/–} |
| \`report\` | tsend's reader | ${o_rep/-/–} |
| \`pcap\` | tsend's reader | ${o_pcap/-/–} |
| \`flame --mode path\` | tsend's reader | ${o_path/-/–} |

\`pcap\` reads $per_frame records for each frame it writes, and \`editcap\` one block.
EOF
} >"$BENCH_MD"
