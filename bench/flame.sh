#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Flame graphs from stacks: `tsend-trace flame` (folded, SVG) against perf's
# own flame graph path on the same stacks, as events per second, in one run.
# One workload (tests/tcp_sender, SENDS small writes over loopback with
# TCP_NODELAY) is recorded by both tools at once, on the same tracepoints:
#   perf record -g -a -e net:net_dev_queue -e net:net_dev_start_xmit
#       -e tcp:tcp_probe -e raw_syscalls:sys_enter --filter 'id == SYS_sendto'
#   tsend-trace record --stacks net_dev_queue,net_dev_start_xmit,tcp_probe
#       (kernel stacks there, the user stack at send())
# both system-wide, so both hold the same stacks. An event is one stack
# sample: one perf sample, one tsend STACK record, one unit of a folded
# line's count.
# Timed, interleaved, RUNS times each:
#   perf's folded  perf's stackcollapse.py, and `perf script -F comm,ip,sym`
#                  through an awk collapser (perf's C output, no Python)
#   perf's graph   perf's flamegraph.py, its HTML output
#   tsend          flame --folded and flame -o x.svg, on the same recording
#                  and on SAMPLES events (bench/flame_gen: the recording
#                  repeated, every record kind, up to SAMPLES stack samples)
# Perf's scripts run at about 50k events/s, so perf gets the recording and
# tsend both it and the 10M trace. Perf 6.1's Python engine calls
# process_event() for non-tracepoint samples only: a two-line shim gives
# tracepoint samples to the same function (trace_unhandled). Debian has no
# d3-flame-graph package: without /usr/share/d3-flame-graph, flamegraph.py
# gets a stand-in template with its two placeholders (its output is the
# same JSON; the browser's d3 would draw it). Needs root.
#   bench/flame.sh [RUNS] [SAMPLES] [SENDS]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
BUILD=${BUILD:-$ROOT/build}
RUNS=${1:-5}
SAMPLES=${2:-10000000}
SENDS=${3:-60000}
for n in "$RUNS" "$SAMPLES" "$SENDS"; do
	case $n in '' | 0* | *[!0-9]*) echo "usage: bench/flame.sh [RUNS] [SAMPLES] [SENDS]" >&2; exit 1 ;; esac
done
[ "$(id -u)" = 0 ] || { echo "flame.sh: needs root (perf record -a, BPF)" >&2; exit 1; }
command -v perf >/dev/null || { echo "flame.sh: perf is missing (linux-perf)" >&2; exit 1; }
perf version --build-options | grep -q 'libpython: *\[ on' ||
	{ echo "flame.sh: this perf has no Python scripting" >&2; exit 1; }
d=$(mktemp -d)
tpid=
trap '[ -z "$tpid" ] || kill -INT "$tpid" 2>/dev/null; rm -rf "$d"' EXIT
if ! make -s -C "$ROOT" OUTPUT="$BUILD" "$BUILD/tsend-trace" "$BUILD/tests/tcp_sender" \
	"$BUILD/bench/flame_gen" >"$d/make.log" 2>&1; then
	tail -20 "$d/make.log" >&2
	exit 1
fi
T=$BUILD/tsend-trace
# flamegraph.py reads `perf report --header-only` of ./perf.data
cd "$d"

STAGES=net_dev_queue,net_dev_start_xmit,tcp_probe
# the user stack at send(): tsend-trace's own program on
# syscalls:sys_enter_sendto is a classic tracepoint program, and its 0
# return drops every perf sample of that tracepoint while it is attached
# (perf_trace_run_bpf_submit); raw_syscalls:sys_enter is the same place
nr_sendto=$(echo SYS_sendto | ${CC:-cc} -E -include sys/syscall.h -P - | tail -1)
port=$((20000 + RANDOM % 20000))
sizes=$(for _ in $(seq "$SENDS"); do printf '100 '; done)
# both system-wide: tsend-trace follows every TCP socket, the receiver's too
"$T" record --stacks "$STAGES" -o t.trace 2>record.err &
tpid=$!
until grep -qs "recording to" record.err; do
	kill -0 "$tpid" 2>/dev/null || { cat record.err >&2; exit 1; }
	sleep 0.05
done
# shellcheck disable=SC2086
perf record -q -g -a -m 64M -e net:net_dev_queue -e net:net_dev_start_xmit -e tcp:tcp_probe \
	-e raw_syscalls:sys_enter --filter "id == $nr_sendto" -o perf.data -- \
	"$BUILD/tests/tcp_sender" loop -n -c "$port" $sizes >/dev/null 2>perf.err ||
	{ cat perf.err >&2; exit 1; }
kill -INT "$tpid"
wait "$tpid" || { cat record.err >&2; exit 1; }
tpid=
grep -q ', 0 lost' record.err || { echo "flame.sh: tsend-trace lost records:" >&2; cat record.err >&2; }
! grep -q 'stacks not taken' record.err || { echo "flame.sh: tsend-trace missed stacks:" >&2; cat record.err >&2; }
plost=$(perf report -i perf.data --stats 2>/dev/null | awk '/LOST_SAMPLES events:|LOST events:/ {s += $3} END {print s + 0}')
[ "$plost" = 0 ] || echo "flame.sh: perf lost $plost records" >&2
"$BUILD/bench/flame_gen" t.trace big.trace "$SAMPLES" >gen.log || exit 1

# perf's own collapser and flame graph, fed tracepoint samples
for s in stackcollapse flamegraph; do
	cat >"shim_$s.py" <<EOF
import os
_p = os.environ['PERF_EXEC_PATH'] + '/scripts/python/$s.py'
exec(compile(open(_p).read(), _p, 'exec'))
def trace_unhandled(event_name, context, event_fields_dict, perf_sample_dict):
    process_event(perf_sample_dict)
EOF
done
tmpl=/usr/share/d3-flame-graph/d3-flamegraph-base.html
if [ ! -f "$tmpl" ]; then
	tmpl=$d/template.html
	printf '<!DOCTYPE html><script>var options = /** @options_json **/;\nvar stacks = /** @flamegraph_json **/;</script>\n' >"$tmpl"
fi
# stackcollapse-perf.pl's job in awk: comm, then the frames root first
cat >collapse.awk <<'EOF'
function emit(  s, i) {
	if (comm == "") return
	s = comm
	for (i = n; i >= 1; i--) s = s ";" f[i]
	c[s]++
	comm = ""; n = 0
}
/^[^\t]/ { emit(); comm = $0; sub(/ +$/, "", comm); gsub(/ /, "_", comm); next }
/^\t/ { sub(/^\t *[0-9a-f]+ /, ""); f[++n] = ($0 == "" ? "[unknown]" : $0); next }
{ emit() }
END { emit(); for (s in c) print s, c[s] }
EOF

now() { date +%s.%N; }
# one NAME CMD...: "NAME SECONDS PEAK_RSS_KB"
one() {
	local name=$1 t0 t1
	shift
	t0=$(now)
	/usr/bin/time -f %M -o rss "$@" >/dev/null 2>"$name.err" || { cat "$name.err" >&2; exit 1; }
	t1=$(now)
	echo "$name $(echo "$t0 $t1" | awk '{printf "%.4f", $2 - $1}') $(tail -1 rss)"
}
for _ in $(seq "$RUNS"); do
	one perf_collapse sh -c 'perf script -i perf.data -s shim_stackcollapse.py >p.folded'
	one perf_collapse_part sh -c 'perf script -i perf.data --time 0%-20% -s shim_stackcollapse.py >pp.folded'
	one perf_awk sh -c 'perf script -i perf.data -F comm,ip,sym | awk -f collapse.awk >a.folded'
	one tsend_folded "$T" flame --folded t.trace -o t.folded
	one tsend_folded_big "$T" flame --folded big.trace -o big.folded
	one perf_graph perf script -i perf.data -s shim_flamegraph.py -- --template "$tmpl" -o p.html
	one perf_graph_part perf script -i perf.data --time 0%-20% -s shim_flamegraph.py -- \
		--template "$tmpl" -o pp.html
	one tsend_svg "$T" flame t.trace -o t.svg
	one tsend_svg_big "$T" flame big.trace -o big.svg
done >runs

# events: samples in each output; the same stacks go into each graph
sum() { awk '{s += $NF} END {print s + 0}' "$1"; }
declare -A ev
ev[perf_collapse]=$(sum p.folded)
ev[perf_awk]=$(sum a.folded)
ev[perf_graph]=${ev[perf_collapse]}
ev[perf_collapse_part]=$(sum pp.folded)
ev[perf_graph_part]=${ev[perf_collapse_part]}
ev[tsend_folded]=$(sum t.folded)
ev[tsend_svg]=${ev[tsend_folded]}
ev[tsend_folded_big]=$(sum big.folded)
ev[tsend_svg_big]=${ev[tsend_folded_big]}
[ "${ev[perf_awk]}" = "${ev[perf_collapse]}" ] ||
	echo "flame.sh: perf's two collapsers disagree: ${ev[perf_collapse]} and ${ev[perf_awk]} events" >&2
[ "${ev[tsend_folded_big]}" = "$SAMPLES" ] ||
	echo "flame.sh: the big trace gave ${ev[tsend_folded_big]} events, not $SAMPLES" >&2
grep -q '^<svg' big.svg || echo "flame.sh: big.svg is not an SVG" >&2

# median, min, max of column COL (2: seconds, 3: RSS) for NAME
stats() { awk -v n="$1" -v c="$2" '$1 == n {print $c}' runs | median_spread; }
echo "$(uname -r), $(nproc) CPUs, perf $(perf version | awk '{print $3}'), $RUNS runs;" \
	"$SENDS x 100-byte send() recorded by both at once"
printf '%-42s %10s %8s %15s %12s %9s\n' path events 's' 'min-max s' 'events/s' 'peak RSS'
row() {
	local m lo hi r
	read -r m lo hi < <(stats "$1" 2)
	read -r r _ _ < <(stats "$1" 3)
	awk -v t="$2" -v e="${ev[$1]}" -v m="$m" -v lo="$lo" -v hi="$hi" -v r="$r" 'BEGIN {
		printf "%-42s %10d %8.3f %7.3f-%-7.3f %12.0f %6.0f MB\n", t, e, m, lo, hi, e / m, r / 1024 }'
}
row perf_collapse "perf script report stackcollapse (shim)"
row perf_collapse_part "  the same, its first 20% (--time 0%-20%)"
row perf_awk "perf script -F comm,ip,sym | awk"
row tsend_folded "tsend-trace flame --folded"
row tsend_folded_big "tsend-trace flame --folded (big trace)"
row perf_graph "perf script report flamegraph (html)"
row perf_graph_part "  the same, its first 20% (--time 0%-20%)"
row tsend_svg "tsend-trace flame -o x.svg"
row tsend_svg_big "tsend-trace flame -o x.svg (big trace)"

# tsend over perf, events/s, paired run by run: median (min-max)
ratio() {
	awk -v a="$1" -v b="$2" -v ea="${ev[$1]}" -v eb="${ev[$2]}" '
		$1 == a {ta[++na] = $2} $1 == b {tb[++nb] = $2}
		END { for (i = 1; i <= na; i++) print (ea / ta[i]) / (eb / tb[i]) }' runs |
		median_spread '%.1f (%.1f-%.1f)'
}
echo
echo "ratio, events/s of tsend over perf's (median of the $RUNS runs' ratios, min-max):"
echo "  folded, same recording:  $(ratio tsend_folded perf_collapse) x stackcollapse, $(ratio tsend_folded perf_awk) x perf script | awk"
echo "  folded, ${ev[tsend_folded_big]} events: $(ratio tsend_folded_big perf_collapse) x stackcollapse, $(ratio tsend_folded_big perf_awk) x perf script | awk"
echo "  graph, same recording:   $(ratio tsend_svg perf_graph) x flamegraph"
echo "  graph, ${ev[tsend_svg_big]} events:  $(ratio tsend_svg_big perf_graph) x flamegraph"
# Perf's rate grows with the input: it pays a start (Python, symbols) once.
# Its rate past the start, from the full and the 20% runs, is more than it
# would reach on 10M events, so tsend's rate over it bounds the 10M ratio
# from below (--time still reads the whole file: that errs the same way).
past() {
	local mf mp mb
	read -r mf _ _ < <(stats "$1" 2)
	read -r mp _ _ < <(stats "$1_part" 2)
	read -r mb _ _ < <(stats "$2" 2)
	awk -v ef="${ev[$1]}" -v ep="${ev[$1_part]}" -v mf="$mf" -v mp="$mp" -v eb="${ev[$2]}" -v mb="$mb" '
	BEGIN { r = (ef - ep) / (mf - mp)
		printf "start %.2f s, then %.0f events/s; tsend at %d events: >= %.1f x", mf - ef / r, r, eb, eb / mb / r }'
}
echo "  folded, perf past its start: $(past perf_collapse tsend_folded_big)"
echo "  graph, perf past its start:  $(past perf_graph tsend_svg_big)"

# the same stacks: a frame's share is the events whose stack holds it
share() { awk -v f="$2" '{ w = $NF; s += w; n = split($0, a, ";"); sub(/ [0-9]+$/, "", a[n])
	for (i = 1; i <= n; i++) if (a[i] == f) { h += w; break } }
	END { printf "%.4f", s ? h / s : 0 }' "$1"; }
echo
printf '%-24s %8s %8s %8s\n' frame perf tsend 'tsend big'
for f in __x64_sys_sendto tcp_write_xmit __tcp_transmit_skb __dev_queue_xmit dev_hard_start_xmit \
	tcp_v4_rcv tcp_recvmsg_locked main; do
	printf '%-24s %8s %8s %8s\n' "$f" "$(share p.folded "$f")" "$(share t.folded "$f")" \
		"$(share big.folded "$f")"
done
echo "files: perf.data $(du -m perf.data | cut -f1) MB, t.trace $(du -m t.trace | cut -f1) MB," \
	"big trace $(du -m big.trace | cut -f1) MB ($(sed 's/^flame_gen: //' gen.log))"
