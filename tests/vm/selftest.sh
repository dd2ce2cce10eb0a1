#!/usr/bin/env bash
# selftest.sh - check that the test guest works: static binary runs, BTF,
# ftrace, kprobes, fentry, e1000e NICs, uio_pci_generic binding, hubport +
# filter-dump pcaps, and run-guest.sh's exit codes (rc, 124, 125).
# Usage: tests/vm/selftest.sh [--quick]   (--quick: only the e1000e boot)
# Ends with a "N passed, N failed" line; exit status 0 iff nothing failed.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
work=$repo_root/build/vm/selftest
run=$script_dir/run-guest.sh
quick=0
[[ ${1:-} == --quick ]] && quick=1

passed=0
failed=0
ok() { echo "selftest: PASS $*"; passed=$((passed + 1)); }
bad() { echo "selftest: FAIL $*"; failed=$((failed + 1)); }

"$script_dir/build-guest.sh"
command -v gcc >/dev/null || { echo "selftest: error: gcc not found" >&2; exit 1; }
mkdir -p "$work"
printf '#include <stdio.h>\nint main(void) { puts("hello from tsend guest"); return 0; }\n' >"$work/hello.c"
gcc -static -O2 -o "$work/hello" "$work/hello.c"
gcc -static -O2 -Wall -Wextra -o "$work/fentry_check" "$script_dir/selftest/fentry_check.c"

# 1. e1000e loaded, two NICs on the hub, pcaps.
dump=$work/dump-e1000e
rc=0
start=$(date +%s.%N)
"$run" --timeout 240 --dump-dir "$dump" --script "$script_dir/selftest/guest-e1000e.sh" \
    --add "$work/hello" --add "$work/fentry_check" >"$work/e1000e.out" || rc=$?
end=$(date +%s.%N)
sed 's/^/  guest| /' "$work/e1000e.out"
grep -a '^CHECK ' "$work/e1000e.out" | while read -r _ res name; do
    echo "selftest: guest check $name: $res"
done
if [[ $rc == 0 ]]; then ok "guest checks (e1000e boot, $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}') s)"
else bad "guest checks (e1000e boot) rc=$rc"; fi
for k in 0 1; do
    f=$dump/nic$k.pcap
    if [[ ! -s $f ]]; then bad "pcap nic$k.pcap missing"; continue; fi
    ok "pcap nic$k.pcap created ($(stat -c %s "$f") bytes)"
    if command -v tshark >/dev/null; then
        req=$(tshark -r "$f" -Y 'icmp.type == 8 && ip.src == 192.0.2.1 && ip.dst == 192.0.2.2' 2>/dev/null | wc -l)
        rep=$(tshark -r "$f" -Y 'icmp.type == 0 && ip.src == 192.0.2.2 && ip.dst == 192.0.2.1' 2>/dev/null | wc -l)
        if ((req >= 2 && rep >= 2)); then ok "nic$k.pcap holds $req echo requests / $rep replies"
        else bad "nic$k.pcap holds $req echo requests / $rep replies (want >= 2 each)"; fi
    else
        echo "selftest: tshark missing; pcap contents not checked (apt-get install tshark)"
    fi
done

if ((quick == 0)); then
    # 2. e1000e blacklisted: NICs free, bound to uio_pci_generic.
    rc=0
    "$run" --timeout 120 --blacklist-e1000e --script "$script_dir/selftest/guest-uio.sh" \
        >"$work/uio.out" || rc=$?
    sed 's/^/  guest| /' "$work/uio.out"
    if [[ $rc == 0 ]]; then ok "guest checks (blacklisted e1000e, uio_pci_generic)"
    else bad "guest checks (blacklisted e1000e) rc=$rc"; fi

    # 3. exit-code plumbing.
    printf 'echo hi\nexit 7\n' >"$work/exit7.sh"
    rc=0; "$run" --nics 0 --timeout 120 --script "$work/exit7.sh" >/dev/null || rc=$?
    if [[ $rc == 7 ]]; then ok "script rc propagates (7)"; else bad "script rc: got $rc, want 7"; fi

    printf 'sleep 600\n' >"$work/hang.sh"
    rc=0; "$run" --nics 0 --timeout 8 --script "$work/hang.sh" >/dev/null 2>&1 || rc=$?
    if [[ $rc == 124 ]]; then ok "timeout gives 124"; else bad "timeout: got $rc, want 124"; fi

    printf 'echo c >/proc/sysrq-trigger\n' >"$work/panic.sh"
    rc=0; "$run" --nics 0 --timeout 120 --script "$work/panic.sh" >/dev/null 2>&1 || rc=$?
    if [[ $rc == 125 ]]; then ok "guest panic (no marker) gives 125"; else bad "panic: got $rc, want 125"; fi
fi

echo "selftest: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
((failed == 0))
