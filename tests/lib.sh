# shellcheck shell=bash disable=SC2034
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared by the shell tests: each check prints one line that tests/run.sh
# counts ("ok - ", "FAIL - ", "skip - "). Source it; ROOT and BUILD are set.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
TRACE=$BUILD/tsend-trace
SENDER=$BUILD/tests/tcp_sender

pass() { echo "ok - $*"; }
fail() { echo "FAIL - $*"; }
# skip REASON...: only for a capability this machine truly lacks
skip() { echo "skip - $*"; }

# check NAME CMD...: runs CMD, passes if it exits 0
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# expect_exit NAME CODE CMD...: passes if CMD exits with CODE
expect_exit() {
	local name=$1 code=$2 rc=0
	shift 2
	"$@" >/dev/null 2>&1 || rc=$?
	if [ "$rc" = "$code" ]; then pass "$name"; else fail "$name (exit $rc, want $code)"; fi
}

# wait_for FILE PATTERN: until FILE has a line matching PATTERN (10 s at most)
wait_for() {
	for _ in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# wait_attached ERRFILE: the recorder says so once its probes are attached
wait_attached() {
	wait_for "$1" "recording to"
}

# start_capture PORT FILE: tshark on lo into FILE (classic pcap), the
# independent capture tests compare with; returns once it is capturing
start_capture() {
	tshark -i lo -f "tcp port $1" -F pcap -w "$2" -q 2>"$2.err" &
	cap=$!
	wait_for "$2.err" "Capturing on" || { cat "$2.err"; return 1; }
}

stop_capture() {
	sleep 0.3
	kill -INT "$cap"
	wait "$cap" 2>/dev/null
	cap=
}

need_root() {
	[ "$(id -u)" = 0 ]
}

# requires NAME TOOL...: root, for BPF and network namespaces, and each
# TOOL; without one, a skip line naming it and a non-zero return
requires() {
	local name=$1 tool
	shift
	if ! need_root; then
		skip "$name: needs root for BPF and namespaces"
		return 1
	fi
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null; then
			skip "$name: $tool is not installed"
			return 1
		fi
	done
}

# veth_pair NA NB: two new network namespaces joined by a veth pair, va in
# NA (198.51.100.1/24) and vb in NB (.2; TEST-NET-2), both up with their lo
veth_pair() {
	ip netns add "$1" && ip netns add "$2" &&
		ip -n "$1" link add va type veth peer name vb netns "$2" &&
		ip -n "$1" addr add 198.51.100.1/24 dev va && ip -n "$1" link set va up &&
		ip -n "$2" addr add 198.51.100.2/24 dev vb && ip -n "$2" link set vb up &&
		ip -n "$1" link set lo up && ip -n "$2" link set lo up
}

tmpdir() {
	mktemp -d "${TMPDIR:-/tmp}/tsend-test.XXXXXX"
}

# build_static NAME LOG: the static tsend-trace, tsend-replay and tcp_sender a
# QEMU guest runs, in $static ($BUILD/static); on failure the build log and "FAIL -
# NAME: static build", and a non-zero return
build_static() {
	static=$BUILD/static
	if ! make -s -C "$ROOT" OUTPUT="$static" STATIC=1 "$static/tsend-trace" \
		"$static/tsend-replay" "$static/tests/tcp_sender" >"$2" 2>&1; then
		sed 's/^/    /' "$2" | tail -20
		fail "$1: static build"
		return 1
	fi
}

# guest_prepare NAME: a guest test's start: root, a scratch dir $d (kept
# with KEEP=1) and the static binaries; non-zero, after a skip or FAIL
# line, when the test cannot go on
guest_prepare() {
	if ! need_root; then
		skip "$1: needs root to build the initramfs devices"
		return 1
	fi
	d=$(tmpdir)
	trap '[ -n "${KEEP:-}" ] || rm -rf "$d"' EXIT
	build_static "$1" "$d/make.log"
}

# run_guest NAME DIR [run-guest.sh options...]: boots the guest with
# DIR/guest.sh, tests/vm/guest_lib.sh and the static binaries, passes on its
# "ok"/"FAIL" lines, saves the files it exported (export_file) in
# DIR/files/, and fails NAME if it did not boot, run and report
run_guest() {
	local rc=0 name=$1 dir=$2
	shift 2
	timeout 400 "$ROOT/tests/vm/run-guest.sh" --timeout 300 --script "$dir/guest.sh" \
		--add "$ROOT/tests/vm/guest_lib.sh:/tsend/guest_lib.sh" \
		--add "$static/tsend-trace" --add "$static/tsend-replay" \
		--add "$static/tests/tcp_sender" "$@" \
		>"$dir/out" 2>"$dir/err" || rc=$?
	grep -E '^(ok|FAIL) - ' "$dir/out"
	mkdir -p "$dir/files"
	awk -v d="$dir/files" '
		/^TSEND-FILE-BEGIN / { f = d "/" $2 ".b64"; printf "" > f; next }
		/^TSEND-FILE-END / { close(f); f = ""; next }
		f != "" && /^[A-Za-z0-9+\/=]+$/ { print >> f }' "$dir/out"
	for f in "$dir"/files/*.b64; do
		[ -f "$f" ] && base64 -d "$f" >"${f%.b64}" && rm -f "$f"
	done
	if [ "$rc" != 0 ] || ! grep -q '^ok - ' "$dir/out"; then
		tail -30 "$dir/out" "$dir/err" | sed 's/^/    /'
		fail "$name: boot and run (exit $rc)"
	fi
}
