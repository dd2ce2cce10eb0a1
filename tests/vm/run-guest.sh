#!/usr/bin/env bash
# run-guest.sh - boot the tsend test guest (Debian 6.1 kernel, busybox
# initramfs, QEMU TCG) and run one shell script inside it.
#
# Usage: run-guest.sh [--timeout SEC] [--dump-dir DIR] [--nics N]
#                     [--blacklist-e1000e] [--append ARGS] [--keep-initrd FILE]
#                     --script GUEST_SCRIPT [--add FILE[:GUESTPATH]]...
#
#   --script F          shell script run in the guest with /bin/sh (cwd /,
#                       stdin /dev/null); copied to /tsend/script.sh
#   --add F[:PATH]      put host file F into the initramfs at PATH
#                       (default /bin/<basename F>); mode bits are kept
#   --timeout SEC       hard limit for the whole QEMU run (default 300)
#   --dump-dir DIR      write QEMU filter-dump pcaps DIR/nic0.pcap ... and
#                       the console log DIR/console.log (default: no dumps)
#   --nics N            number of -device e1000e NICs on one hubport hub
#                       (default 2; 0 allowed); MACs 52:54:00:12:34:50+K
#   --blacklist-e1000e  do not insmod e1000e (NICs stay free for uio) and
#                       pass modprobe.blacklist=e1000e
#   --append ARGS       extra kernel command line arguments
#   --cpu MODEL         QEMU -cpu model (default max: AVX2 etc. under TCG)
#   --keep-initrd FILE  also copy the generated initramfs to FILE
#
# The guest's serial console is copied to stdout (CRs and BIOS escapes
# stripped).  Before the script the guest prints `TSEND-GUEST-START ...` and
# `TSEND-GUEST-SCRIPT ...` lines (with /proc/uptime); after it,
# `TSEND-GUEST-EXIT=<rc>`, then it powers off.
# Exit status: the guest script's rc; 124 on timeout; 125 if the marker is
# missing (guest crashed, panicked or never ran the script); 2 on bad usage;
# 1 on a host-side failure.
#
# Guest environment: busybox applets, modules in /lib/modules/*.ko (already
# loaded: uio, uio_pci_generic, e1000e unless blacklisted), mounts: proc, sys,
# devtmpfs, devpts, tmpfs /tmp, tracefs /sys/kernel/tracing, debugfs
# /sys/kernel/debug, bpffs /sys/fs/bpf, cgroup2 /sys/fs/cgroup, hugetlbfs
# /dev/hugepages.  No network leaves the guest: NICs sit on an isolated
# QEMU hub.
set -euo pipefail

prog=run-guest
die() { echo "$prog: error: $*" >&2; exit 1; }
usage_err() { echo "$prog: $*" >&2; echo "usage: $prog [--timeout SEC] [--dump-dir DIR] [--nics N] [--blacklist-e1000e] [--append ARGS] [--cpu MODEL] --script GUEST_SCRIPT [--add FILE[:GUESTPATH]]..." >&2; exit 2; }

timeout_s=300
dump_dir=
nics=2
blacklist=0
guest_script=
extra_append=
keep_initrd=
cpu=max
adds=()

need_arg() { (($# >= 2)) || usage_err "$1 needs an argument"; }
while (($#)); do
    case $1 in
        --timeout) need_arg "$@"; timeout_s=$2; shift ;;
        --dump-dir) need_arg "$@"; dump_dir=$2; shift ;;
        --nics) need_arg "$@"; nics=$2; shift ;;
        --blacklist-e1000e) blacklist=1 ;;
        --script) need_arg "$@"; guest_script=$2; shift ;;
        --add) need_arg "$@"; adds+=("$2"); shift ;;
        --append) need_arg "$@"; extra_append=$2; shift ;;
        --keep-initrd) need_arg "$@"; keep_initrd=$2; shift ;;
        --cpu) need_arg "$@"; cpu=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) usage_err "unknown argument '$1'" ;;
    esac
    shift
done

[[ -n $guest_script ]] || usage_err "--script is required"
[[ -f $guest_script ]] || usage_err "guest script '$guest_script' not found"
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || usage_err "--timeout wants a positive integer, got '$timeout_s'"
[[ $nics =~ ^[0-9]+$ && $nics -le 16 ]] || usage_err "--nics wants 0..16, got '$nics'"

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
guest=$repo_root/build/vm/guest

# Make sure the cache exists (no-op when it does).
"$script_dir/build-guest.sh" --quiet || die "build-guest.sh failed"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (run build-guest.sh)"
# The initramfs has no libc: use busybox-static's binary.
busybox=/bin/busybox
[[ -x $busybox ]] || die "$busybox not found (apt-get install busybox-static)"
command -v cpio >/dev/null || die "cpio not found (apt-get install cpio)"

# ---------------------------------------------------------------- initramfs
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tsend-vm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root,lib/modules,tsend}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
while read -r applet; do
    [[ -z $applet || $applet == bin/busybox ]] && continue
    [[ -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done < <("$busybox" --list-full)
[[ -e $root/bin/sh ]] || ln -s /bin/busybox "$root/bin/sh"

cp "$guest"/modules/*.ko "$root/lib/modules/"
cp "$guest/modules.order" "$root/lib/modules/modules.order"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
printf '127.0.0.1 localhost\n' >"$root/etc/hosts"
cp "$guest_script" "$root/tsend/script.sh"

for spec in "${adds[@]}"; do
    src=${spec%%:*}
    if [[ $spec == *:* ]]; then dst=${spec#*:}; else dst=/bin/$(basename "$src"); fi
    [[ -f $src ]] || die "--add: '$src' is not a file"
    [[ $dst == /* ]] || die "--add: guest path '$dst' must be absolute"
    mkdir -p "$root$(dirname "$dst")"
    cp -pL "$src" "$root$dst"
done

cat >"$root/init" <<'EOF'
#!/bin/sh
export PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/root TERM=dumb
mount -t proc proc /proc
# Start on a fresh line (SeaBIOS leaves "Booting from ROM.." unterminated).
echo
echo "TSEND-GUEST-START uptime=$(cut -d' ' -f1 /proc/uptime)"
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /dev/hugepages
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mount -t hugetlbfs hugetlbfs /dev/hugepages 2>/dev/null
ip link set lo up
hostname tsend-guest
for m in $(cat /lib/modules/modules.order); do
    if [ "$m" = e1000e ] && grep -q 'modprobe.blacklist=e1000e' /proc/cmdline; then
        continue
    fi
    insmod "/lib/modules/$m.ko" || echo "TSEND-GUEST: insmod $m failed" >&2
done
cd /
echo "TSEND-GUEST-SCRIPT uptime=$(cut -d' ' -f1 /proc/uptime)"
/bin/sh /tsend/script.sh </dev/null
rc=$?
echo "TSEND-GUEST-EXIT=$rc"
sync
poweroff -f
EOF
chmod 0755 "$root/init"

initrd=$tmp/initramfs.cpio
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) >"$initrd" \
    || die "building the initramfs with cpio failed"
[[ -z $keep_initrd ]] || cp "$initrd" "$keep_initrd"

# ---------------------------------------------------------------- qemu
append="console=ttyS0 quiet panic=-1 oops=panic"
((blacklist)) && append+=" modprobe.blacklist=e1000e"
[[ -z $extra_append ]] || append+=" $extra_append"

qemu=(qemu-system-x86_64 -accel tcg -cpu "$cpu" -m 1024 -smp 2 -nographic -no-reboot
      -kernel "$guest/vmlinuz" -initrd "$initrd" -append "$append")
if [[ -n $dump_dir ]]; then
    mkdir -p "$dump_dir" || die "cannot create dump dir '$dump_dir'"
    dump_dir=$(cd "$dump_dir" && pwd)
    rm -f "$dump_dir"/nic*.pcap
fi
for ((k = 0; k < nics; k++)); do
    mac=$(printf '52:54:00:12:34:%02x' $((0x50 + k)))
    # romfile= : no iPXE option ROM (not needed with -kernel, boots faster).
    qemu+=(-netdev "hubport,id=h$k,hubid=0" -device "e1000e,netdev=h$k,mac=$mac,romfile=")
    [[ -z $dump_dir ]] || qemu+=(-object "filter-dump,id=f$k,netdev=h$k,file=$dump_dir/nic$k.pcap")
done

log=$tmp/console.log
[[ -z $dump_dir ]] || log=$dump_dir/console.log
echo "$prog: booting (timeout ${timeout_s}s, nics $nics, e1000e $([[ $blacklist == 1 ]] && echo blacklisted || echo loaded)${dump_dir:+, dumps in $dump_dir})" >&2
t0=$(date +%s.%N)
set +e
# stderr: drop the expected "hub 0 is not connected to host network" warning.
# stdout: strip CRs and SeaBIOS's terminal escapes, copy to our stdout + log.
timeout --kill-after=5 "$timeout_s" "${qemu[@]}" </dev/null \
    2> >(grep --line-buffered -v 'is not connected to host network' | sed "s/^/$prog: qemu: /" >&2) \
    | sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' | tee "$log"
st=("${PIPESTATUS[@]}")
set -e
t1=$(date +%s.%N)
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

if [[ ${st[0]} == 124 || ${st[0]} == 137 ]]; then
    echo "$prog: TIMEOUT after ${timeout_s}s; QEMU killed" >&2
    exit 124
fi
marker=$(grep -a -o 'TSEND-GUEST-EXIT=[0-9]\+' "$log" | tail -n1 || true)
if [[ -z $marker ]]; then
    echo "$prog: no TSEND-GUEST-EXIT marker in the console output (qemu exit ${st[0]}, ${elapsed}s)" >&2
    exit 125
fi
rc=${marker#TSEND-GUEST-EXIT=}
echo "$prog: guest script exited $rc; boot to power-off ${elapsed}s (qemu exit ${st[0]})" >&2
exit "$((rc > 255 ? 255 : rc))"
