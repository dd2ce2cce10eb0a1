# Guest side of tests/vm/selftest.sh (booted with --blacklist-e1000e, 2 NICs).
fails=0
check() {
    name=$1; shift
    if "$@"; then echo "CHECK ok   $name"; else echo "CHECK FAIL $name"; fails=$((fails + 1)); fi
}
echo "net: $(ls /sys/class/net | tr '\n' ' ')"
check no-e1000e-module sh -c '! grep -q "^e1000e " /proc/modules'
check no-eth0 test ! -e /sys/class/net/eth0
n=0
for d in /sys/bus/pci/devices/*; do
    if [ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x10d3 ]; then n=$((n + 1)); fi
done
echo "82574L (8086:10d3) devices: $n"
check two-82574L test "$n" -eq 2
echo "8086 10d3" >/sys/bus/pci/drivers/uio_pci_generic/new_id
usleep 200000
echo "uio: $(ls /sys/class/uio 2>/dev/null | tr '\n' ' ')"
check uio0-bound test -c /dev/uio0
check uio1-bound test -c /dev/uio1
check uio0-resource0 sh -c 'test -e "$(readlink -f /sys/class/uio/uio0/device)/resource0"'
echo "guest checks failed: $fails"
exit "$fails"
