# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shell functions for the guest scripts of tests/vm/test_*.sh (busybox sh).
# run_guest puts this file at /tsend/guest_lib.sh; a script sets $T (its
# test's name) and sources it.

ok() { echo "ok - $T: $*"; }
no() { echo "FAIL - $T: $*"; }

# pair_up ADDR0 ADDR1: eth0 gets ADDR0/24 here, eth1 ADDR1/24 in a network
# namespace of its own ($ns, the pid to nsenter), both up, no IPv6 noise.
# busybox ip has no netns: unshare makes one, ip link moves the NIC.
pair_up() {
	for i in all default eth0 eth1; do sysctl -qw net.ipv6.conf.$i.disable_ipv6=1; done
	unshare -n sleep 600 &
	ns=$!
	sleep 0.3
	ip link set eth1 netns $ns
	ip addr add $1/24 dev eth0 && ip link set eth0 up
	nsenter -t $ns -n ip addr add $2/24 dev eth1
	nsenter -t $ns -n ip link set eth1 up
	nsenter -t $ns -n ip link set lo up
	for _ in $(seq 50); do ip link show eth0 | grep -q LOWER_UP && break; sleep 0.1; done
	sleep 1
}

# wait_for FILE TEXT: up to 5 s for TEXT to appear in FILE
wait_for() {
	for _ in $(seq 50); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# has_mech FILE MECH FUNC...: every FUNC's row in `probes` output uses MECH
has_mech() {
	f=$1 m=$2
	shift 2
	for fn in "$@"; do
		if awk -v f="$fn" -v m="$m" '$1 == f && $2 == m {found=1} END {exit !found}' "$f"
		then ok "probes: $fn by $m"
		else no "probes: $fn by $m ($(grep "^$fn " "$f"))"; fi
	done
}

# has_stage FILE MECH STAGE...: the dump holds each STAGE observed by MECH
has_stage() {
	f=$1 m=$2
	shift 2
	for st in "$@"; do
		if awk -v s="$st" -v m="$m" '$4 == s && ($5 == m || $6 == m) {n++} END {exit !n}' "$f"
		then ok "record: $st by $m"
		else no "record: $st by $m"; fi
	done
}

# export_file FILE NAME: FILE onto the console for the host (run_guest
# saves it as DIR/files/NAME)
export_file() {
	echo "TSEND-FILE-BEGIN $2"
	base64 "$1"
	echo "TSEND-FILE-END $2"
}
