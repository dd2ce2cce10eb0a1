#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# --cgroup, --btf and --comm against real traffic, and losses: a ring
# buffer too small for the load must count what it dropped, print it and
# store it in the file, never lose it silently.
set -u
. "$(dirname "$0")/../lib.sh"
if ! need_root; then
	skip "filters: needs root for BPF"
	exit 0
fi
d=$(tmpdir)
cg=
cleanup() {
	# a recorder left running would keep the harness's pipe open
	# shellcheck disable=SC2046 # one pid per word
	kill $(jobs -p) 2>/dev/null
	[ -n "$cg" ] && rmdir "$cg" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT
port=$((20000 + RANDOM % 20000))

# --cgroup: a sender inside a new cgroup v2 is recorded, one outside is not
root=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
if [ -z "$root" ]; then
	skip "--cgroup: no cgroup2 hierarchy mounted"
else
	cg=$root/tsend-test-$$
	mkdir "$cg"
	"$TRACE" record -o "$d/cg.trace" --cgroup "$cg" -P "$port" -D 4 2>"$d/cg.err" &
	rec=$!
	wait_attached "$d/cg.err"
	"$SENDER" loop "$port" 111 >/dev/null
	sh -c "echo \$\$ > '$cg/cgroup.procs' && exec '$SENDER' loop $port 222" >/dev/null
	wait "$rec"
	"$TRACE" dump --json "$d/cg.trace" >"$d/cg.jsonl"
	check "--cgroup: the send() inside the cgroup is recorded" grep -q '"size":222' "$d/cg.jsonl"
	check "--cgroup: the send() outside is not" bash -c "! grep -q '\"size\":111' '$d/cg.jsonl'"
fi

# --btf: the same BTF, given as a file, as on a kernel without sysfs BTF
cp /sys/kernel/btf/vmlinux "$d/vmlinux.btf"
rc=0
"$TRACE" record -o "$d/btf.trace" --btf "$d/vmlinux.btf" -P "$port" -- \
	"$SENDER" loop "$port" 333 >/dev/null 2>"$d/btf.err" || rc=$?
check "--btf FILE: records" bash -c "[ $rc = 0 ] && '$TRACE' dump '$d/btf.trace' | grep -q 'size=333'"
printf 'not BTF' >"$d/bad.btf"
rc=0
"$TRACE" record -o "$d/badbtf.trace" --btf "$d/bad.btf" -D 1 2>"$d/badbtf.err" || rc=$?
check "--btf with a file that is not BTF: exit 1 naming it" \
	bash -c "[ $rc = 1 ] && grep -q 'bad.btf' '$d/badbtf.err'"

# --comm: only tasks of that name
cp "$SENDER" "$d/other_sender"
"$TRACE" record -o "$d/comm.trace" --comm other_sender -P "$port" -D 4 2>"$d/comm.err" &
rec=$!
wait_attached "$d/comm.err"
"$SENDER" loop "$port" 444 >/dev/null
"$d/other_sender" loop "$port" 555 >/dev/null
wait "$rec"
"$TRACE" dump "$d/comm.trace" >"$d/comm.txt"
check "--comm: the named task's send() is recorded" grep -q "size=555" "$d/comm.txt"
check "--comm: another task's is not" bash -c "! grep -q 'size=444' '$d/comm.txt'"

# losses: a 4 KiB ring under a burst of small sends
sizes=$(for _ in $(seq 3000); do printf '1 '; done)
"$TRACE" record -o "$d/lost.trace" --buffer 4K -P "$port" -- \
	"$SENDER" loop -n "$port" $sizes >/dev/null 2>"$d/lost.err"
lost=$(sed -n 's/.* \([0-9]*\) lost,.*/\1/p' "$d/lost.err")
check "small ring: losses happened and were counted ($lost)" [ "${lost:-0}" -gt 0 ]
check "small ring: a warning says so" grep -q "warning: $lost records lost" "$d/lost.err"
"$TRACE" report "$d/lost.trace" >"$d/lost.report"
check "small ring: the file's end block holds the same count" \
	grep -Eq "lost events +$lost( |$)" "$d/lost.report"
