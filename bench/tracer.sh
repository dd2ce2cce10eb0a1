#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Tracer overhead on TCP over loopback and over a veth pair. tests/tcp_sender
# makes a fixed number of send() calls of 64 B, 1 KiB or 64 KiB, timed from
# its start to the receiver's EOF, with no tracer, under `tsend-trace record
# -P PORT` (every send-path probe this kernel allows, no payload), under
# `tsend-trace top -P PORT`, under bpftrace on the same tracepoints doing the
# same bookkeeping (bench/tracer.bt: one printf line per event), and under
# `perf record -a` of the same tracepoints. Each tracer is started before
# and stopped after each workload, the tracers interleaved, RUNS rounds.
# Per workload and tracer: MB/s and its ratio to the untraced run of the same
# round, events captured per second, lost events, the tracer process's CPU
# time, bytes of trace per event; medians (min–max). Then the highest event
# rate `tsend-trace record --buffer B` keeps up with, without loss, for
# B = 4M, 16M, 64M, and its consumer's drain rate.
#   bench/tracer.sh [RUNS]                (default 5; needs root)
# BENCH_MD=FILE also writes the results as a markdown fragment. SCALE=F
# multiplies every send() count (SCALE=0.2 for a quick check); MAXRATE=0
# leaves the max-rate part out.
set -u
export LC_ALL=C
# shellcheck source=tests/lib.sh disable=SC1091 # checked on its own
. "$(dirname "$0")/../tests/lib.sh"
RUNS=${1:-5}
SCALE=${SCALE:-1}
MAXRATE=${MAXRATE:-1}
BT=$ROOT/bench/tracer.bt
# The order within a workload; every other workload runs it backwards, so a
# tracer's slow exit (perf and bpftrace detach their tracepoints one RCU
# grace period at a time) overlaps the next one's start, never a workload.
TRACERS="none tsend top perf bpftrace"
SIZES="64 1024 65536"
# send() calls per workload: about 0.2-0.4 s untraced, under 1.2 s traced
declare -A COUNT=([lo, 64]=150000 [lo, 1024]=120000 [lo, 65536]=5000
	[veth, 64]=100000 [veth, 1024]=30000 [veth, 65536]=5000)
# under bpftrace, whose buffer wakes its reader for every line, the workload
# is 5-50 times slower: it makes this fraction of the calls, for runs as long
declare -A BT_DIV=([64]=10 [1024]=8 [65536]=4)
CHUNK_MAX=100000 # send() calls per tcp_sender: its arguments fit ARG_MAX
BUFFERS="4M 16M 64M"
LEVELS="1 2 4 8" # parallel senders in the max-rate part; then the last
STARVED=19       # again with the recorder at this nice level
MR_SENDS=160000  # 64-byte send()s per max-rate level, over all its senders
RING=16          # MiB: tsend's default ring, and what perf and bpftrace get

case $RUNS in '' | *[!0-9]* | 0)
	echo "usage: bench/tracer.sh [RUNS]" >&2
	exit 2 ;;
esac
if [ "$(id -u)" != 0 ]; then
	echo "tracer.sh: needs root (BPF, perf -a, network namespaces)" >&2
	exit 1
fi
for f in "$TRACE" "$SENDER"; do
	if [ ! -x "$f" ]; then
		echo "tracer.sh: no $f: make all ${SENDER#"$ROOT"/} first" >&2
		exit 1
	fi
done
if ! awk -v s="$SCALE" 'BEGIN { exit !(s > 0) }'; then
	echo "tracer.sh: SCALE must be a number above 0" >&2
	exit 2
fi

d=$(mktemp -d "${TMPDIR:-/tmp}/tsend-bench.XXXXXX")
NA=tsb-a-$$
NB=tsb-b-$$
PEER=198.51.100.1 # va, in NA, where the veth receiver listens
tpid=''           # the running tracer
NICE=''           # the nice level of the next recorder
P_PID=''          # the stopped tracer, on its way out
P_WATCH=''        # what follows its CPU time
wpids=''          # running workload processes
cleanup() {
	local p
	trap - INT TERM
	for p in $tpid $P_PID $P_WATCH $wpids; do kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT
trap 'echo "tracer.sh: interrupted" >&2; exit 130' INT TERM

ncpu=$(nproc)
# perf's and bpftrace's per-CPU buffers: RING MiB in all, in a power of two
# of pages
pages=1
while [ $((pages * 2 * 4096 * ncpu)) -le $((RING << 20)) ]; do pages=$((pages * 2)); done

# --- peers -------------------------------------------------------------------

declare -A NOTE # tracer → why it has no figures
# peer CMD PKG: CMD is there, or apt-get installs PKG, or NOTE says why not
peer() {
	local e
	command -v "$1" >/dev/null && return 0
	echo "tracer.sh: installing $2 for $1" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >"$d/apt.log" 2>&1
	command -v "$1" >/dev/null && return 0
	e=$(grep -E '^E:' "$d/apt.log" | tail -1 | sed 's/^E: //')
	NOTE[$1]="not installable: ${e:-apt-get install $2: $(tail -1 "$d/apt.log")}"
	return 1
}
peer bpftrace bpftrace
peer perf linux-perf

# The tracepoints tsend-trace uses here: its probe table's targets, and each
# syscall's exit with its entry.
TPS=$("$TRACE" probes 2>/dev/null | awk '$2 ~ /^(tracepoint|raw_tp|tp_btf)$/ && $3 ~ /\// {
	sub("/", ":", $3); print $3
	if ($3 ~ /:sys_enter_/) { sub(/:sys_enter_/, ":sys_exit_", $3); print $3 } }' | sort -u)
if [ -z "$TPS" ]; then
	echo "tracer.sh: tsend-trace probes lists no tracepoints (fentry or kprobes here?): the peers need them" >&2
	exit 1
fi
NTP=$(echo "$TPS" | wc -l)
BT_TPS=$(sed -n 's/^tracepoint:\([a-z_]*:[a-z_0-9]*\).*/\1/p' "$BT" | sort -u)
NBT=$(echo "$BT_TPS" | wc -l)
bt_gap=$(comm -3 <(echo "$TPS") <(echo "$BT_TPS") | tr -d '\t' | tr '\n' ' ')
[ -z "$bt_gap" ] || echo "tracer.sh: tsend and bench/tracer.bt differ on: $bt_gap" >&2
# TCP's pacing and retransmit timers, the ones tsend keeps of every timer
pace=$(awk '$3 == "tcp_pace_kick" { print $1; exit }' /proc/kallsyms)
wtimer=$(awk '$3 == "tcp_write_timer" { print $1; exit }' /proc/kallsyms)

# perf_events PORT: perf's -e list in pe: every tracepoint, each with the
# filter perf can apply (the ports where the event has them, the timer
# functions)
perf_events() {
	local tp
	pe=()
	for tp in $TPS; do
		pe+=(-e "$tp")
		case $tp in
		tcp:tcp_probe | tcp:tcp_retransmit_skb) pe+=(--filter "sport == $1 || dport == $1") ;;
		timer:hrtimer_expire_entry) [ -z "$pace" ] || pe+=(--filter "function == 0x$pace") ;;
		timer:timer_expire_entry) [ -z "$wtimer" ] || pe+=(--filter "function == 0x$wtimer") ;;
		esac
	done
}

# --- tracers -------------------------------------------------------------------

# cpu_ns PID: CPU_NS, the nanoseconds on CPU of PID's live threads
cpu_ns() {
	local f v
	CPU_NS=0
	for f in /proc/"$1"/task/*/schedstat; do
		read -r v _ 2>/dev/null <"$f" && CPU_NS=$((CPU_NS + v))
	done
}

# ready_file FILE PATTERN: FILE has PATTERN while the tracer runs (30 s at most)
ready_file() {
	local i
	for i in $(seq 600); do
		grep -qs "$2" "$1" && return 0
		kill -0 "$tpid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# ready_bpftrace: every probe of bench/tracer.bt attached
ready_bpftrace() {
	local i n
	for i in $(seq 600); do
		if command -v bpftool >/dev/null; then
			n=$(bpftool perf show 2>/dev/null | grep -c "^pid $tpid ")
		else # its tracepoints' perf events, and one output buffer per CPU
			n=$(($(find "/proc/$tpid/fd" -lname 'anon_inode:\[perf_event\]' 2>/dev/null | wc -l) - ncpu))
		fi
		[ "$n" -ge "$NBT" ] && return 0
		kill -0 "$tpid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# ready_perf: perf acknowledged "enable" on its control fifo
ready_perf() {
	local i a
	echo enable >&3
	for i in $(seq 30); do
		read -r -t 1 a <&4 && [ "$a" = ack ] && return 0
		kill -0 "$tpid" 2>/dev/null || return 1
	done
	return 1
}

# start TRACER PORT [BUFFER]: TRACER running (tsend: on the sockets of tasks
# named tcp_sender when PORT is -) in a new session, its files in $s, its
# pid in tpid; non-zero, with the reason in $s/why, when it does not start.
# The stopped tracer before it may still be on its way out.
sid=0
start() {
	local ok=0 filter=(-P "$2")
	sid=$((sid + 1))
	s=$d/s$sid
	S_T=$1
	mkdir "$s"
	tpid=''
	c0=0
	[ "$2" = - ] && filter=(--comm tcp_sender)
	case $1 in
	none) return 0 ;;
	tsend)
		${NICE:+nice -n "$NICE"} "$TRACE" record -o "$s/out" "${filter[@]}" ${3:+--buffer "$3"} 2>"$s/err" &
		tpid=$!
		ready_file "$s/err" "recording to" || ok=1 ;;
	top)
		"$TRACE" top -P "$2" >/dev/null 2>"$s/err" &
		tpid=$!
		ready_file "$s/err" "Ctrl-C to stop" || ok=1 ;;
	bpftrace)
		BPFTRACE_PERF_RB_PAGES=$pages bpftrace -o "$s/out" "$BT" "$2" >"$s/stdout" 2>"$s/err" &
		tpid=$!
		ready_bpftrace || ok=1 ;;
	perf)
		perf_events "$2"
		mkfifo "$s/ctl" "$s/ack"
		exec 3<>"$s/ctl" 4<>"$s/ack" # read-write: opening does not wait for perf
		perf record -q -a -D -1 --control "fifo:$s/ctl,$s/ack" -m "$((pages * 4))K" \
			-o "$s/out" "${pe[@]}" 2>"$s/err" &
		tpid=$!
		ready_perf || ok=1 ;;
	esac
	if [ "$ok" != 0 ]; then
		grep -v -e RLIMIT_MEMLOCK -e WARNING -e '^ ' "$s/err" | grep . | head -1 >"$s/why"
		[ -s "$s/why" ] || echo "did not start in 30 s" >"$s/why"
		kill -KILL "$tpid" 2>/dev/null
		wait "$tpid" 2>/dev/null
		[ "$1" = perf ] && exec 3>&- 4>&-
		tpid=''
		return 1
	fi
	cpu_ns "$tpid"
	c0=$CPU_NS
}

# watch PID C0 FILE: PID's CPU time from C0 to its last reading before it is
# gone (10 ms short at most) into FILE; KILL after 60 s
watch() {
	local c1=$2 i
	for i in $(seq 6000); do
		[ -d "/proc/$1" ] || break
		cpu_ns "$1"
		[ "$CPU_NS" -gt "$c1" ] && c1=$CPU_NS
		sleep 0.01
	done
	kill -KILL "$1" 2>/dev/null
	echo $((c1 - $2)) >"$3"
}

# stop LINE: SIGINT to the tracer, which goes on its way out while the next
# starts; finish completes LINE (run link size tracer secs bytes) with its
# figures
stop() {
	finish
	P_T=$S_T P_S=$s P_LINE=$1 P_PID=$tpid P_WATCH=''
	tpid=''
	[ -n "$P_PID" ] || return 0
	cpu_ns "$P_PID"
	echo $((CPU_NS - c0)) >"$s/cpu_during"
	kill -INT "$P_PID" 2>/dev/null
	[ "$P_T" = perf ] && exec 3>&- 4>&-
	watch "$P_PID" "$c0" "$s/cpu" &
	P_WATCH=$!
}

# group_done "RUN LINK SIZE" TEXT: TEXT in the workload's progress line,
# printed once every tracer has been
declare -A G_TEXT G_LEFT
group_done() {
	local -a f
	G_TEXT[$1]="${G_TEXT[$1]:-} $2"
	G_LEFT[$1]=$((G_LEFT[$1] - 1))
	read -ra f <<<"$1"
	[ "${G_LEFT[$1]}" != 0 ] || echo "round ${f[0]}, ${f[1]}, ${f[2]} B writes, MB/s:${G_TEXT[$1]}"
}

# finish: the stopped tracer gone, its line in $d/runs:
#   run link size tracer secs bytes events lost cpu_ns cpu_during_ns trace_bytes
# and in the progress line
finish() {
	local ev=- lost=- tb=- cpu=- during=- g
	[ -n "${P_S:-}" ] || return 0
	if [ -n "$P_PID" ]; then
		wait "$P_PID" 2>/dev/null
		wait "$P_WATCH" 2>/dev/null
		cpu=$(cat "$P_S/cpu" 2>/dev/null)
		during=$(cat "$P_S/cpu_during")
	fi
	case $P_T in
	tsend)
		# the file's count: the exit line's leaves out what it drained
		# after the probes were detached
		read -r ev lost < <("$TRACE" report "$P_S/out" 2>/dev/null | awk '
			$1 == "records" { r = $2 } $1 == "lost" && $2 == "events" { l = $3 }
			END { if (r != "") print r, l }') ;;
	bpftrace)
		ev=$(grep -c '^[A-Z] ' "$P_S/out" 2>/dev/null)
		lost=$(cat "$P_S/out" "$P_S/stdout" "$P_S/err" 2>/dev/null | sed -n 's/.*Lost \([0-9]*\) events.*/\1/p' |
			awk '{ s += $1 } END { print s + 0 }') ;;
	perf)
		# samples: the aggregated SAMPLE line; lost: each event's LOST_SAMPLES
		read -r ev lost < <(perf report -i "$P_S/out" --stats 2>/dev/null | awk '
			/^Aggregated stats:/ { agg = 1; next }
			/ stats:$/ { agg = 0; per = 1; next }
			agg && /SAMPLE events:/ && !/LOST/ { s = $3 }
			per && /LOST_SAMPLES events:/ { l += $3 }
			END { print s + 0, l + 0 }') ;;
	esac
	[ -f "$P_S/out" ] && tb=$(stat -c %s "$P_S/out")
	if [ -n "$P_LINE" ]; then
		echo "$P_LINE ${ev:--} ${lost:--} ${cpu:--} ${during:--} $tb" >>"$d/runs"
		# shellcheck disable=SC2086 # its fields
		set -- $P_LINE
		g="$1 $2 $3"
		group_done "$g" "$4 $(awk -v b="$6" -v s="$5" 'BEGIN { printf "%.4g", b / s / 1e6 }')"
	fi
	# the figures of max-rate sessions, for the caller
	F_EV=${ev:--} F_LOST=${lost:--} F_CPU=${cpu:--}
	rm -rf "$P_S"
	P_S='' P_PID='' P_WATCH=''
}

# --- workloads -------------------------------------------------------------------

# calls N SIZE: the workload of N send()s of SIZE bytes: CH tcp_senders of PR
# calls, each the arguments in the array named by AN
calls() {
	local n
	n=$(awk -v n="$1" -v f="$SCALE" 'BEGIN { n = int(n * f); print n < 1 ? 1 : n }')
	CH=$(((n + CHUNK_MAX - 1) / CHUNK_MAX))
	PR=$((n / CH))
	AN=ARGS_${PR}_$2
	declare -p "$AN" >/dev/null 2>&1 || mapfile -t "$AN" < <(yes "$2" | head -n "$PR")
}

setup_veth() {
	veth_pair "$NA" "$NB" 2>"$d/veth.err" || return 1
	VETH_QDISC=$(ip -n "$NB" link show vb | sed -n 's/.* qdisc \([^ ]*\).*/\1/p')
}

# work LINK SIZE PORT: the workload calls() made; its seconds (the chunks'
# sum) in secs
work() {
	local -n args=$AN
	local k t0 t1 times=''
	for ((k = 0; k < CH; k++)); do
		if [ "$1" = lo ]; then
			t0=$EPOCHREALTIME
			"$SENDER" loop -c "$3" "${args[@]}" >/dev/null || return 1
			t1=$EPOCHREALTIME
		else
			ip netns exec "$NA" "$SENDER" recv "$3" >"$d/recv" 2>&1 &
			wpids=$!
			for _ in $(seq 300); do grep -qs listening "$d/recv" && break; sleep 0.01; done
			t0=$EPOCHREALTIME
			if ! ip netns exec "$NB" "$SENDER" send -c "$PEER" "$3" "${args[@]}" >/dev/null; then
				kill "$wpids" 2>/dev/null
				wait "$wpids"
				wpids=''
				return 1
			fi
			wait "$wpids"
			t1=$EPOCHREALTIME
			wpids=''
			grep -q "^received $((PR * $2))\$" "$d/recv" || return 1
		fi
		times="$times $t0 $t1"
	done
	secs=$(echo "$times" | awk '{ for (i = 1; i < NF; i += 2) s += $(i + 1) - $i; printf "%.6f", s }')
}

# port: a port below the ephemeral range (a connection's own port would keep
# it from being listened on) with the next 7 not listened on here
port() {
	local p i
	for i in $(seq 100); do
		p=$((12000 + RANDOM % 20000))
		[ -z "$(ss -Htln "sport >= :$p and sport <= :$((p + 7))" 2>/dev/null)" ] && break
	done
	echo "$p"
}

# bg_loop PORT: one max-rate sender in the background, the calls() made
bg_loop() {
	local -n a=$AN
	"$SENDER" loop -n -c "$1" "${a[@]}" >/dev/null &
	wpids="$wpids $!"
}

# --- the rounds -------------------------------------------------------------------

# one RUN LINK SIZE TRACER: TRACER around one workload
one() {
	local p g="$1 $2 $3" n=${COUNT[$2, $3]}
	p=$(port)
	[ "$4" = bpftrace ] && n=$((n / BT_DIV[$3]))
	calls "$n" "$3"
	if [ -n "${NOTE[$4]:-}" ]; then
		group_done "$g" "$4 -"
		return
	fi
	if ! start "$4" "$p"; then
		echo "$4 $(cat "$s/why")" >>"$d/fails"
		rm -rf "$s"
		group_done "$g" "$4 failed"
		return
	fi
	finish # the tracer before is gone: only this one runs with the workload
	if ! work "$2" "$3" "$p"; then
		echo "$4 the workload failed (${2}, $3 B)" >>"$d/fails"
		stop ''
		group_done "$g" "$4 failed"
		return
	fi
	stop "$1 $2 $3 $4 $secs $((CH * PR * $3))"
}

veth_note=''
if setup_veth; then
	links="lo veth"
else
	links=lo
	veth_note="no veth figures: the namespaces and veth pair could not be made: $(head -1 "$d/veth.err")"
	echo "tracer.sh: $veth_note" >&2
fi
touch "$d/runs" "$d/fails" "$d/maxrate"
start_time=$SECONDS
echo "tracer.sh: $RUNS rounds; tracepoints: $(echo "$TPS" | tr '\n' ' ')"
for t in bpftrace perf; do [ -z "${NOTE[$t]:-}" ] || echo "tracer.sh: $t ${NOTE[$t]}"; done
read -ra fwd <<<"$TRACERS"
rev=()
for t in "${fwd[@]}"; do rev=("$t" "${rev[@]}"); done
gi=0
for run in $(seq "$RUNS"); do
	for link in $links; do
		for size in $SIZES; do
			G_LEFT["$run $link $size"]=${#fwd[@]}
			if [ $(((gi + run) % 2)) = 0 ]; then order=("${fwd[@]}"); else order=("${rev[@]}"); fi
			for t in "${order[@]}"; do one "$run" "$link" "$size" "$t"; done
			gi=$((gi + 1))
		done
	done
done
finish
main_secs=$((SECONDS - start_time))

# --- max rate -------------------------------------------------------------------

# level BUFFER K[+]: K senders in parallel (64 B, TCP_NODELAY: a frame per
# call) under tsend-trace record --buffer BUFFER (with K+: at nice STARVED);
# a line in $d/maxrate (buffer senders secs records lost cpu_ns), F_LOST
level() {
	local k=${2%+} i p t0 t1
	calls "$((mr / k))" 64
	[ "$2" = "$k" ] || NICE=$STARVED
	if ! start tsend - "$1"; then
		NICE=''
		printf ' %s: did not start: %s' "$2" "$(cat "$s/why")"
		rm -rf "$s"
		F_LOST=failed
		return 1
	fi
	NICE=''
	p=$(port)
	wpids=''
	t0=$EPOCHREALTIME
	for ((i = 0; i < k; i++)); do bg_loop "$((p + i))"; done
	# shellcheck disable=SC2086
	wait $wpids
	t1=$EPOCHREALTIME
	wpids=''
	stop ''
	finish
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
	echo "$1 $2 $secs $F_EV $F_LOST $F_CPU" >>"$d/maxrate"
	printf ' %s: %s (%s)' "$2" "$(awk -v e="$F_EV" -v l="$F_LOST" -v s="$secs" \
		'BEGIN { printf "%.0fk", (e + l) / s / 1000 }')" "$F_LOST"
}

mr=$(awk -v n="$MR_SENDS" -v f="$SCALE" 'BEGIN { n = int(n * f); print n < 8 ? 8 : n }')
last_level=${LEVELS##* }
if [ "$MAXRATE" != 0 ]; then
	for buf in $BUFFERS; do
		printf 'max rate, --buffer %s, senders: events/s (lost):' "$buf"
		for k in $LEVELS; do
			if ! level "$buf" "$k" || [ "$F_LOST" != 0 ]; then break; fi
		done
		# and the consumer starved: what the buffer absorbs
		[ "$F_LOST" = failed ] || level "$buf" "$last_level+"
		echo
	done
fi
total_secs=$((SECONDS - start_time))
# --- tables -------------------------------------------------------------------

# report human|md: the tables of $d/runs
report() {
	awk -v mode="$1" -v tracers="$TRACERS" -v sizes="$SIZES" -v links="$links" \
		-v notes="$(for t in "${!NOTE[@]}"; do echo "$t ${NOTE[$t]}"; done)" \
		-v fails="$(sort -u "$d/fails")" '
	function push(m, k, x) { v[m, k, ++n[m, k]] = x }
	# median (min–max) of metric m at key k, format f
	function stat(m, k, f,   i, j, c, a, t, med) {
		c = n[m, k]
		if (!c) return dash
		for (i = 1; i <= c; i++) a[i] = v[m, k, i]
		for (i = 2; i <= c; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		med = (c % 2) ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
		if (sprintf(f, a[1]) == sprintf(f, a[c])) return sprintf(f, med)
		return sprintf(f " (" f dash f ")", med, a[1], a[c])
	}
	function mbf(k) { return v["mb", k, 1] < 10 ? "%.2f" : v["mb", k, 1] < 100 ? "%.1f" : "%.0f" }
	function why(t) { return (t in note) ? note[t] : (t in fail) ? "failed: " fail[t] : "no run" }
	BEGIN {
		dash = mode == "md" ? "–" : "-" # printf pads bytes, not characters
		nn = split(notes, l, "\n")
		for (i = 1; i <= nn; i++) { t = x = l[i]; sub(/ .*/, "", t); sub(/^[^ ]* /, "", x); note[t] = x }
		nn = split(fails, l, "\n")
		for (i = 1; i <= nn; i++) { t = x = l[i]; sub(/ .*/, "", t); sub(/^[^ ]* /, "", x); if (!(t in fail)) fail[t] = x }
		nt = split(tracers, T, " "); ns = split(sizes, S, " "); nl = split(links, L, " ")
		name["none"] = "untraced"; name["tsend"] = "tsend-trace record"; name["top"] = "tsend-trace top"
		name["bpftrace"] = "bpftrace"; name["perf"] = "perf record"
		sname[64] = "64 B"; sname[1024] = "1 KiB"; sname[65536] = "64 KiB"
	}
	$4 == "none" { base[$1, $2, $3] = $6 / $5 }
	{ rec[NR] = $0 }
	END {
		for (r = 1; r <= NR; r++) {
			split(rec[r], f, " ")
			k = f[2] SUBSEP f[3] SUBSEP f[4]; mb = f[6] / f[5] / 1e6
			push("mb", k, mb)
			if (base[f[1], f[2], f[3]] > 0) push("ratio", k, f[6] / f[5] / base[f[1], f[2], f[3]])
			if (f[9] != "-") { push("cpu", k, f[9] / 1e6); push("pct", k, f[10] / 1e7 / f[5]) }
			if (f[7] != "-") {
				push("evs", k, f[7] / f[5] / 1000); push("lost", k, f[8])
				if (f[7] > 0) { push("nsev", k, f[9] / f[7]); push("bpe", k, f[11] / f[7]) }
			}
		}
		if (mode == "md") {
			printf "| link | writes | untraced, MB/s |"
			for (i = 2; i <= nt; i++) printf " %s | ratio |", name[T[i]]
			printf "\n|---|---|---|"
			for (i = 2; i <= nt; i++) printf "---|---|"
			print ""
			for (a = 1; a <= nl; a++) for (b = 1; b <= ns; b++) {
				k = L[a] SUBSEP S[b] SUBSEP "none"
				printf "| %s | %s | %s |", L[a], sname[S[b]], n["mb", k] ? stat("mb", k, mbf(k)) : why("none")
				for (i = 2; i <= nt; i++) {
					k = L[a] SUBSEP S[b] SUBSEP T[i]
					if (!n["mb", k]) printf " %s | |", why(T[i])
					else {
						r = stat("ratio", k, "%.3f")
						sub(/^[^ ]+/, "**&**", r) # the median
						printf " %s | %s |", stat("mb", k, mbf(k)), r
					}
				}
				print ""
			}
			print ""
			print "| link | writes | tracer | events/s, k | lost | tracer CPU, ms | CPU during the run, % | CPU ns / event | bytes / event |"
			print "|---|---|---|---|---|---|---|---|---|"
			for (a = 1; a <= nl; a++) for (b = 1; b <= ns; b++) for (i = 2; i <= nt; i++) {
				k = L[a] SUBSEP S[b] SUBSEP T[i]
				if (!n["mb", k]) { printf "| %s | %s | %s | %s | | | | | |\n", L[a], sname[S[b]], name[T[i]], why(T[i]); continue }
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", L[a], sname[S[b]], name[T[i]],
					T[i] == "top" ? "– (keeps none)" : stat("evs", k, "%.0f"), stat("lost", k, "%d"),
					stat("cpu", k, "%.0f"), stat("pct", k, "%.0f"), stat("nsev", k, "%.0f"), stat("bpe", k, "%.1f")
			}
			exit
		}
		for (a = 1; a <= nl; a++) for (b = 1; b <= ns; b++) {
			printf "\n%-21s %-19s %-19s %-16s %-10s %-17s %-13s %-17s %s\n", L[a] ", " sname[S[b]] " writes",
				"MB/s", "ratio", "events/s, k", "lost", "CPU ms", "CPU %", "CPU ns/event", "B/event"
			for (i = 1; i <= nt; i++) {
				k = L[a] SUBSEP S[b] SUBSEP T[i]
				if (!n["mb", k]) { printf "  %-19s %s\n", name[T[i]], why(T[i]); continue }
				printf "  %-19s %-19s %-19s %-16s %-10s %-17s %-13s %-17s %s\n", name[T[i]],
					stat("mb", k, mbf(k)), T[i] == "none" ? "1" : stat("ratio", k, "%.3f"),
					stat("evs", k, "%.0f"), stat("lost", k, "%d"), stat("cpu", k, "%.0f"),
					stat("pct", k, "%.0f"), stat("nsev", k, "%.0f"), stat("bpe", k, "%.1f")
			}
		}
	}' "$d/runs"
}

# maxrate_report human|md: the table of $d/maxrate
maxrate_report() {
	awk -v mode="$1" -v levels="$LEVELS" -v nice="$STARVED" '
	function pct(x) { return x == 0 ? "none" : x < 0.01 ? sprintf("%.2g%%", x * 100) : sprintf("%.1f%%", x * 100) }
	{
		rate = ($4 + $5) / $3; drain = $6 > 0 ? $4 / ($6 / 1e9) : 0; b = $1
		if (!(b in seen)) { order[++nb] = b; seen[b] = 1 }
		if ($2 ~ /\+$/) {
			k = $2; sub(/\+$/, "", k)
			starved[b] = sprintf("%.0fk/s, %d senders: %s lost", rate / 1000, k, pct($5 / ($4 + $5)))
			next
		}
		if ($5 == 0 && rate > best[b]) { best[b] = rate; bestk[b] = $2 }
		if ($5 > 0 && !(b in lossk)) loss[b] = sprintf("%.0fk/s, %d senders: %s lost", rate / 1000, $2, pct($5 / ($4 + $5)))
		if ($5 > 0) lossk[b] = 1
		if (drain > maxdrain[b]) maxdrain[b] = drain
		cpu[b] = cpu[b] sprintf("%s%d: %.0f%%", cpu[b] == "" ? "" : ", ", $2, $6 / 1e7 / $3)
	}
	END {
		gsub(/ /, ", ", levels)
		if (mode == "md") {
			print "| --buffer | highest rate without loss | first loss | recorder at nice " nice " | recorder CPU per level (senders: % of the run) | drain rate, records per CPU second |"
			print "|---|---|---|---|---|---|"
		} else
			printf "\n%-9s %-27s %-34s %-34s %-34s %s\n", "--buffer", "highest rate without loss",
				"first loss", "recorder at nice " nice, "recorder CPU per level", "drain, records/CPU s"
		for (i = 1; i <= nb; i++) {
			b = order[i]
			ok = (b in bestk) ? sprintf("%.0fk events/s (%d senders)", best[b] / 1000, bestk[b]) : "none"
			ls = (b in loss) ? loss[b] : "none (" levels " senders)"
			printf mode == "md" ? "| %s | %s | %s | %s | %s | %.2fM |\n" : "%-9s %-27s %-34s %-34s %-34s %.2fM\n",
				b, ok, ls, (b in starved) ? starved[b] : "-", cpu[b], maxdrain[b] / 1e6
		}
	}' "$d/maxrate"
}

echo
echo "$RUNS rounds in $main_secs s; median (min–max); ratio: to the untraced run of the same round"
report human
[ -s "$d/maxrate" ] && maxrate_report human
[ -n "$veth_note" ] && echo "$veth_note"
echo "tracer.sh: $total_secs s in all"

[ -n "${BENCH_MD:-}" ] || exit 0
cmd() { printf '%s' "$*" | sed "s|$ROOT/||g; s|$BUILD/|build/|g"; }
perf_events PORT
pe_md=$(for a in "${pe[@]}"; do case $a in *' '*) printf "'%s' " "$a" ;; *) printf '%s ' "$a" ;; esac; done)
tps_md=$(echo "$TPS" | awk '{ printf "%s`%s`", (NR > 1 ? ", " : ""), $0 }')
counts_md=$(for link in $links; do for size in $SIZES; do
	n=${COUNT[$link, $size]}
	calls "$n" "$size"
	a="$CH x $PR"
	calls "$((n / BT_DIV[$size]))" "$size"
	echo "$link $size: $a (bpftrace $CH x $PR)"
done; done | paste -sd';' - | sed 's/;/; /g')
{
	cat <<EOF
\`tests/tcp_sender\` makes a fixed number of \`send()\` calls of one size on one TCP connection,
timed from its start until the receiver has read everything (\`-c\`: it closes right after the
last \`send()\` instead of waiting for the last ACK, which could add a delayed ACK to the time).
Over loopback, and over a veth pair between two network namespaces made for the run (the
receiver in one, the sender in the other; qdisc \`${VETH_QDISC:-?}\` on the veth). Each
workload runs with no tracer and under each tracer, started before it and stopped after it, in
$RUNS rounds: \`none tsend top perf bpftrace\`, every other workload in the reverse order. The
tracers see the same $NTP tracepoints, the ones \`tsend-trace record\` attaches on this kernel:
$tps_md.

- \`tsend-trace record\` and \`top\` follow the port's connection in BPF (\`-P\`).
- bpftrace runs \`bench/tracer.bt\`, the same bookkeeping: a map of the port's skbs (added at
  \`net_dev_queue\` and \`net_dev_start_xmit\` from their TCP header, looked up at the qdisc,
  \`net_dev_xmit\` and the free, and deleted there), a per-tid map of the \`send()\` calls from
  entry to exit, TCP's timers picked by their function; and one \`printf\` line of comparable
  fields (time, CPU, task or skb, lengths, ports, sequence, TCP state) per event kept, written
  to a file. Classic tracepoints (bpftrace 0.17 has no raw ones). Its perf buffer wakes
  bpftrace for every line (bcc's default), and the workload runs 5 to 50 times slower under it,
  so it makes 1/${BT_DIV[64]}, 1/${BT_DIV[1024]} and 1/${BT_DIV[65536]} of the calls (64 B, 1 KiB, 64 KiB), for runs
  about as long.
- \`perf record -a\` records every hit of the tracepoints in the system, with a filter where the
  event has the fields (the ports of \`tcp_probe\` and \`tcp_retransmit_skb\`, the timers'
  functions); it starts disabled and is enabled through its control fifo.
- perf and bpftrace get ${RING} MiB of buffer in all, as tsend's default ring: $((pages * 4)) KiB
  per CPU on $ncpu CPUs.

Medians of $RUNS runs (min–max). MB/s is payload; *ratio* is MB/s over the untraced run of the
same round (the median of the per-round ratios). *events/s*: events in the trace (tsend
records, perf samples, bpftrace lines) per second of the workload; perf's include other
processes' hits. *lost*: tsend's lost count, perf's lost samples, bpftrace's "Lost N events".
*tracer CPU*: the tracer process's CPU time (all its threads, from /proc schedstat) from the
workload's start to its exit, so with what it did after the workload: for perf that is most of
it, its pass over the whole file for build-ids at exit (\`--no-buildid\` leaves it out). *CPU
during the run*: the part until the workload's end, over the workload's seconds. The BPF
programs' own time is not in it: it is the workload's. *bytes / event*: the trace file's size
over its events.

Commands, as run (PORT a new random port each run, DIR a scratch directory; send() calls per
workload, chunks x calls: $counts_md):

\`\`\`
$(cmd "$SENDER") loop -c PORT SIZE SIZE ...
ip netns exec NA $(cmd "$SENDER") recv PORT & ip netns exec NB $(cmd "$SENDER") send -c $PEER PORT SIZE SIZE ...
$(cmd "$TRACE") record -o DIR/out -P PORT
$(cmd "$TRACE") top -P PORT
BPFTRACE_PERF_RB_PAGES=$pages bpftrace -o DIR/out $(cmd "$BT") PORT
perf record -q -a -D -1 --control fifo:DIR/ctl,DIR/ack -m $((pages * 4))K -o DIR/out $pe_md
perf report -i DIR/out --stats
\`\`\`

$(report md)${veth_note:+

$veth_note.}
EOF
	if [ -s "$d/maxrate" ]; then
		cat <<EOF

Maximum sustained event rate without loss: \`tsend-trace record --buffer B\`, for each B, while
${LEVELS// /, } senders run in parallel, $mr \`send()\` calls of 64 B in all (\`-n\`:
TCP_NODELAY, a frame per call), up to the first level that loses records; then $last_level senders
again with the recorder under \`nice -n $STARVED\`, a consumer that gets little CPU, where the ring
has to hold what it cannot take yet. The rate is records and lost over the senders' wall time;
the drain rate is records per CPU second of the recorder at its busiest level: what it would
take with a CPU of its own.

\`\`\`
[nice -n $STARVED] $(cmd "$TRACE") record -o DIR/out --comm tcp_sender --buffer B
$(cmd "$SENDER") loop -n -c PORT+i 64 64 ...   # i = 0 .. senders - 1, in parallel
\`\`\`

$(maxrate_report md)
EOF
	fi
} >"$BENCH_MD"
