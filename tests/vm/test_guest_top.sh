#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# tsend-trace top on Debian's 6.1 kernel in QEMU (TCG), whose verifier and
# fentry/kprobe stages the host does not have: TCP from eth0 to eth1 (in its
# own namespace) across two e1000e NICs on a QEMU hub, counted by device
# with fentry and by flow with kprobes, down to the driver and its TX
# completion. The guest has busybox only: the text output is checked.
set -u
. "$(dirname "$0")/../lib.sh"
guest_prepare "guest top" || exit 0

cat >"$d/guest.sh" <<'GUEST'
T="guest top"
. /tsend/guest_lib.sh
# steps FILE FROM TO: FROM → TO's count over every refresh
steps() {
	awk -v f="$2" -v t="$3" '$1 == f && $2 == "→" && $3 == t {n += $4} END {print n + 0}' "$1"
}
# bytes FILE WHO: the bytes of the row WHO over every refresh
bytes() {
	awk -v w="$2:" '$1 == w {sub(",", "", $5); n += $5} END {print n + 0}' "$1"
}

pair_up 198.51.100.1 198.51.100.2

run() {
	tag=$1
	shift
	nsenter -t $ns -n timeout 60 tcp_sender recv 7001 > /tmp/$tag.recv &
	r=$!
	wait_for /tmp/$tag.recv listening
	tsend-trace top "$@" -i 1 -- sh -c \
		"exec tcp_sender send 198.51.100.2 7001 100 2000 70000 5 > /tmp/$tag.send" \
		> /tmp/$tag.top 2> /tmp/$tag.err
	rc=$?
	wait $r
	[ $rc = 0 ] && ok "$tag: exits 0" || no "$tag: exit $rc: $(tail -1 /tmp/$tag.err)"
	grep -q "rejected by the verifier" /tmp/$tag.err &&
		no "$tag: $(grep -m1 rejected /tmp/$tag.err)" ||
		ok "$tag: no program refused by the verifier"
	grep -q "received 72105" /tmp/$tag.recv && ok "$tag: receiver got 72105 bytes" ||
		no "$tag: receiver: $(cat /tmp/$tag.recv)"
	# from IP (fentry or kprobe only) to the driver, and its TX completion
	# (a free with the new head e1000e's TSO gave the skb)
	for s in "__ip_queue_xmit __ip_local_out" "net_dev_start_xmit e1000_xmit_frame" \
		"net_dev_xmit consume_skb"; do
		set -- $s
		n=$(steps /tmp/$tag.top "$1" "$2")
		[ "$n" -gt 0 ] && ok "$tag: $1 → $2 counted ($n)" || no "$tag: $1 → $2 not counted"
	done
}

run fentry --by dev
n=$(bytes /tmp/fentry.top eth0)
[ "$n" -ge 72105 ] && ok "fentry: eth0 carried at least 72105 bytes ($n)" ||
	no "fentry: eth0 carried $n bytes"
run kprobe --by flow --no-fentry
sport=$(awk '/^sport/ {print $2}' /tmp/kprobe.send)
n=$(bytes /tmp/kprobe.top "198.51.100.1:$sport>198.51.100.2:7001")
[ "$n" -ge 72105 ] && ok "kprobe: the flow carried at least 72105 bytes ($n)" ||
	no "kprobe: the flow carried $n bytes"
echo "--- top by dev on the guest kernel"
cat /tmp/fentry.top
GUEST

run_guest "guest top" "$d"
