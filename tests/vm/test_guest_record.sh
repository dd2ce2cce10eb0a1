#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# tsend-trace on a second kernel: Debian's 6.1 in QEMU (TCG), where fentry
# and kprobes exist, with two e1000e NICs on a QEMU hub (no host network).
# `probes` must pick fentry (then, with --no-fentry, kprobes) for the seed's
# functions, e1000_xmit_frame included, and a recording of TCP from eth0 to
# eth1 (in its own namespace) must hold those stages and every byte.
set -u
. "$(dirname "$0")/../lib.sh"
guest_prepare "guest" || exit 0

cat >"$d/guest.sh" <<'GUEST'
T=guest
. /tsend/guest_lib.sh
FUNCS="__sys_sendto tcp_sendmsg tcp_write_xmit __tcp_transmit_skb tcp_ack ip_queue_xmit ip_output ip_finish_output2 __dev_queue_xmit dev_hard_start_xmit e1000_xmit_frame"
STAGES="__sys_sendto tcp_sendmsg tcp_write_xmit __tcp_transmit_skb __ip_queue_xmit ip_output ip_finish_output2 __dev_queue_xmit dev_hard_start_xmit e1000_xmit_frame"

pair_up 192.0.2.1 192.0.2.2

run() { # run TAG [record options]: probes, then a recording across the NICs
	tag=$1
	shift
	tsend-trace probes "$@" > /tmp/$tag.probes 2>&1 || no "$tag: probes: $(tail -1 /tmp/$tag.probes)"
	nsenter -t $ns -n timeout 60 tcp_sender recv 7001 > /tmp/$tag.recv &
	r=$!
	wait_for /tmp/$tag.recv listening
	tsend-trace record -o /tmp/$tag.trace --snaplen 1024 --payload all "$@" -- \
		tcp_sender send -c 192.0.2.2 7001 100 2000 70000 5 > /tmp/$tag.send 2>&1
	wait $r
	grep -q "received 72105" /tmp/$tag.recv && ok "$tag: receiver got 72105 bytes" ||
		no "$tag: receiver: $(cat /tmp/$tag.recv)"
	tsend-trace dump /tmp/$tag.trace > /tmp/$tag.dump
	tsend-trace report /tmp/$tag.trace > /tmp/$tag.report
	grep -Eq "tcp payload (72105 bytes|[0-9]+ bytes \(72105 new\))" /tmp/$tag.report && ok "$tag: frames carry 72105 new bytes" ||
		no "$tag: $(grep 'tcp payload' /tmp/$tag.report)"
	grep -q ", 0 lost" /tmp/$tag.send && ok "$tag: nothing lost" || no "$tag: $(tail -3 /tmp/$tag.send)"
	lifecycles $tag
	# the replay on this kernel (6.1, fentry's or kprobes' view): verify
	# reads the recording and pairs every send-path frame with one of its
	# own. The ratio is reported, not required: a send() of 70 KB while
	# ACKs come in is not always cut into skbs as the kernel cut it (the
	# loopback, veth and test_guest_e1000e.sh tests require 100%)
	tsend-replay verify --json /tmp/$tag.trace > /tmp/$tag.verify 2>&1
	k=$(grep -o '"kernel_frames":[0-9]*' /tmp/$tag.verify | cut -d: -f2)
	p=$(grep -o '"identical":[0-9]*,"differ":[0-9]*,"missing":[0-9]*' /tmp/$tag.verify)
	[ "${k:-0}" -gt 0 ] && [ -n "$p" ] &&
		ok "$tag: replay: verify pairs the $k send-path frames ($p)" ||
		no "$tag: replay: $(head -c 300 /tmp/$tag.verify)"
	grep -q "rejected by the verifier" /tmp/$tag.send /tmp/$tag.probes &&
		no "$tag: $(grep -h 'rejected' /tmp/$tag.send /tmp/$tag.probes | head -1)" ||
		ok "$tag: no program refused by the verifier"
}
# lifecycles TAG: on a NIC every frame's story ends: the driver frees it
# at TX completion (consume_skb, even after e1000e's TSO gave it a new head)
# and the peer's ACK comes back (tcp_ack, or the tcp_probe tracepoint)
lifecycles() {
	tag=$1
	grep -q "send() calls 4: complete 4, incomplete 0" /tmp/$tag.report &&
		ok "$tag: lifecycles: the 4 send() calls complete" ||
		no "$tag: lifecycles: $(grep 'send() calls [0-9]*:' /tmp/$tag.report)"
	tsend-trace skb --json -n 0 /tmp/$tag.trace > /tmp/$tag.skb
	grep '"type":"skb"' /tmp/$tag.skb | grep '"on_wire":1' | grep -v '"payload":0,' > /tmp/$tag.data
	n=$(grep -c . /tmp/$tag.data)
	# tcp_sender closes at once (-c): the ACKs that come after close(),
	# outside ESTABLISHED, are seen by tcp_ack (tcp_probe would miss them)
	[ "$n" -gt 0 ] && [ "$(grep -c '"why":null' /tmp/$tag.data)" = "$n" ] &&
		[ "$(grep -c '"acked_ts_ns":[1-9]' /tmp/$tag.data)" = "$n" ] &&
		ok "$tag: lifecycles: all $n data frames complete, freed and acked" ||
		no "$tag: lifecycles: $(grep -v '"why":null' /tmp/$tag.data | head -1 | cut -c1-300)"
	# the write-queue original (__tcp_transmit_skb) and the clone sent
	# below it are one story, from TCP to the driver and the free
	grep '"clone":"0xf' /tmp/$tag.data | grep '"stage":"__tcp_transmit_skb"' |
		grep '"stage":"e1000_xmit_frame"' | grep -q '"stage":"consume_skb"' &&
		ok "$tag: lifecycles: original and clone joined, TCP to driver to free" ||
		no "$tag: lifecycles: no story from __tcp_transmit_skb via a clone to consume_skb"
}
run fentry
has_mech /tmp/fentry.probes fentry $FUNCS
has_mech /tmp/fentry.probes tp_btf net:net_dev_start_xmit net:net_dev_queue skb:consume_skb
has_stage /tmp/fentry.dump fentry $STAGES
has_stage /tmp/fentry.dump tp_btf net_dev_start_xmit net_dev_xmit
run kprobe --no-fentry
has_mech /tmp/kprobe.probes kprobe $FUNCS
has_mech /tmp/kprobe.probes raw_tp net:net_dev_start_xmit
has_stage /tmp/kprobe.dump kprobe $STAGES
has_stage /tmp/kprobe.dump kretprobe __sys_sendto
# stacks where fentry and kprobes exist: the driver's function is a frame,
# the user stack names the static tcp_sender's main (frame pointers)
stacks() { # stacks TAG [record options]
	tag=$1
	shift
	nsenter -t $ns -n timeout 60 tcp_sender recv 7002 > /tmp/$tag.recv &
	r=$!
	wait_for /tmp/$tag.recv listening
	tsend-trace record -o /tmp/$tag.trace --stacks all "$@" -- \
		tcp_sender send -c 192.0.2.2 7002 100 70000 > /tmp/$tag.send 2>&1
	wait $r
	tsend-trace flame --folded /tmp/$tag.trace > /tmp/$tag.folded 2> /tmp/$tag.flame
	grep -q "tcp_write_xmit;__tcp_transmit_skb;.*;dev_hard_start_xmit;e1000_xmit_frame" /tmp/$tag.folded &&
		ok "$tag: flame: a kernel stack from tcp_write_xmit down to e1000_xmit_frame" ||
		no "$tag: flame: $(head -c 300 /tmp/$tag.folded) $(cat /tmp/$tag.flame)"
	grep -Eq "^tcp_sender;.*main;.*send[a-z_]*;entry_SYSCALL" /tmp/$tag.folded &&
		ok "$tag: flame: the user stack at send() names main" ||
		no "$tag: flame: $(grep -m1 'entry_SYSCALL' /tmp/$tag.folded | cut -c1-200)"
	grep -q "bpf_prog_\|bpf_trampoline" /tmp/$tag.folded &&
		no "$tag: flame: the tracer's frames are left in: $(grep -m1 "bpf_prog_\\|bpf_trampoline" /tmp/$tag.folded | tr ";" " " | cut -c1-900)" ||
		ok "$tag: flame: the tracer's frames are cut"
	tsend-trace flame --mode path --folded /tmp/$tag.trace > /tmp/$tag.path 2>/dev/null
	grep -q ";dev_hard_start_xmit;xmit_one;net_dev_start_xmit;e1000_xmit_frame [0-9]" /tmp/$tag.path &&
		ok "$tag: flame --mode path: time in e1000_xmit_frame" ||
		no "$tag: flame --mode path: $(tail -3 /tmp/$tag.path | cut -c1-200)"
}
stacks stacks-fentry
stacks stacks-kprobe --no-fentry
echo "--- probes on the guest kernel"
cat /tmp/fentry.probes
GUEST

run_guest "guest" "$d"
