#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs every test: unit tests (plain and ASan+UBSan), fuzz targets over
# their corpus, lint, CLI tests, and the root-only BPF, netns and QEMU tests.
# Ends with one line "N passed, N failed, N skipped"; exits non-zero if
# anything failed. A skip fails the run too when TSEND_NO_SKIP=1 (CI).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
export BUILD
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() {
	local line
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		"ok - "*) passed=$((passed + 1)) ;;
		"FAIL - "*) failed=$((failed + 1)) ;;
		"skip - "*) skipped=$((skipped + 1)) ;;
		esac
	done
}

# run_bin NAME CMD...: one test from a program's exit code, output on failure
run_bin() {
	local name=$1
	shift
	if "$@" >"$log" 2>&1; then
		echo "ok - $name"
	else
		sed 's/^/    /' "$log" | tail -20
		echo "FAIL - $name"
	fi
}

unit() {
	local dir=$1 tag=$2 t
	for t in "$dir"/test_*; do
		[ -x "$t" ] && run_bin "$tag $(basename "$t")" "$t"
	done
}

fuzz() {
	local f name corpus scratch
	for f in "$BUILD"/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		corpus=$ROOT/tests/fuzz/corpus/${name#fuzz_}
		scratch=$(mktemp -d)
		# new inputs go to scratch; the committed corpus is only read
		run_bin "fuzz $name" "$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
			-rss_limit_mb=2048 "$scratch" "$corpus"
		rm -rf "$scratch"
	done
}

# a script: its own checks, plus a failure if it crashed or hung (15 min)
script() {
	timeout --kill-after=10 900 bash "$1" 2>&1
	local rc=$?
	[ "$rc" = 0 ] || echo "FAIL - ${1#"$ROOT"/} exited with $rc"
}

echo "== unit tests"
count < <(unit "$BUILD/tests" unit)
echo "== unit tests under ASan+UBSan"
count < <(unit "$BUILD/asan/tests" asan)
echo "== fuzz targets (corpus, then ${FUZZ_SECONDS}s each)"
count < <(fuzz)
echo "== lint (cppcheck, clang-format)"
count < <(run_bin "lint: cppcheck and clang-format clean" make -s -C "$ROOT" lint)
for t in "$ROOT"/tests/cli.sh "$ROOT"/tests/integration/*.sh "$ROOT"/tests/vm/test_*.sh; do
	[ -f "$t" ] || continue
	echo "== ${t#"$ROOT"/}"
	count < <(script "$t")
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] || exit 1
if [ "$skipped" != 0 ] && [ "${TSEND_NO_SKIP:-0}" = 1 ]; then
	echo "skips are failures here (TSEND_NO_SKIP=1)"
	exit 1
fi
exit 0
