# Guest side of tests/vm/selftest.sh (busybox sh; e1000e loaded, 2 NICs).
# Prints "CHECK ok|FAIL <name>" lines; exits with the number of failures.
fails=0
check() { # check NAME CMD...
    name=$1; shift
    if "$@"; then echo "CHECK ok   $name"; else echo "CHECK FAIL $name"; fails=$((fails + 1)); fi
}
has_link_up() { ip link show "$1" 2>/dev/null | grep -q LOWER_UP; }

check hello-static sh -c 'hello | grep -q "hello from tsend guest"'
check btf-vmlinux test -s /sys/kernel/btf/vmlinux
check btf-e1000e test -s /sys/kernel/btf/e1000e
n=$(grep -c . /sys/kernel/tracing/available_filter_functions)
echo "available_filter_functions: $n lines"
check filter-functions test "$n" -gt 1000
check filter-e1000_xmit_frame grep -q '^e1000_xmit_frame ' /sys/kernel/tracing/available_filter_functions
check kprobe-pmu test -d /sys/bus/event_source/devices/kprobe
echo "net: $(ls /sys/class/net | tr '\n' ' ')"
check eth0-e1000e sh -c '[ "$(basename "$(readlink /sys/class/net/eth0/device/driver)")" = e1000e ]'
check eth1-e1000e sh -c '[ "$(basename "$(readlink /sys/class/net/eth1/device/driver)")" = e1000e ]'
check uio_pci_generic-driver test -d /sys/bus/pci/drivers/uio_pci_generic

# eth0 here, eth1 in a namespace held by a sleeping process.
ip addr add 192.0.2.1/24 dev eth0
ip link set eth0 up
unshare -n sleep 120 &
ns=$!
i=0
while [ "$(readlink /proc/$ns/ns/net)" = "$(readlink /proc/self/ns/net)" ] && [ $i -lt 200 ]; do
    i=$((i + 1)); usleep 10000
done
ip link set eth1 netns "$ns"
nsenter -t "$ns" -n ip link set lo up
nsenter -t "$ns" -n ip addr add 192.0.2.2/24 dev eth1
nsenter -t "$ns" -n ip link set eth1 up
t=0
while { ! has_link_up eth0 || ! nsenter -t "$ns" -n ip link show eth1 | grep -q LOWER_UP; } && [ $t -lt 100 ]; do
    t=$((t + 1)); usleep 100000
done
echo "links up after ~$((t * 100)) ms"
check eth1-in-netns sh -c "! ip link show eth1 >/dev/null 2>&1 && nsenter -t $ns -n ip link show eth1 >/dev/null"
check ping-eth0-to-eth1 ping -c 2 -W 3 192.0.2.2
check ping-eth1-to-eth0 nsenter -t "$ns" -n ping -c 1 -W 3 192.0.2.1

# kprobe via tracefs on the e1000e transmit function.
T=/sys/kernel/tracing
if echo 'p:tsend_kp e1000_xmit_frame' >>$T/kprobe_events; then
    echo 1 >$T/events/kprobes/tsend_kp/enable
    ping -c 1 -W 3 192.0.2.2 >/dev/null
    echo 0 >$T/events/kprobes/tsend_kp/enable
    hits=$(grep -c 'tsend_kp:' $T/trace)
    echo "kprobe hits on e1000_xmit_frame: $hits"
    echo '-:tsend_kp' >>$T/kprobe_events
else
    hits=0
fi
check kprobe-e1000_xmit_frame test "$hits" -gt 0

# fentry (BPF trampoline) on a module function and on a vmlinux function.
check fentry-e1000_xmit_frame fentry_check e1000_xmit_frame e1000e -- ping -c 1 -W 3 192.0.2.2
check fentry-__dev_queue_xmit fentry_check __dev_queue_xmit vmlinux -- ping -c 1 -W 3 192.0.2.2

kill "$ns"
echo "guest checks failed: $fails"
exit "$fails"
