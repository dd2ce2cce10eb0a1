/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every .bpf.c file in bpf/ shares: the maps, the filters (rodata) and the
 * bodies that turn a sock or an sk_buff into an event. The per-layer files
 * hold only thin programs (fentry, kprobe, tp_btf, raw_tp, tracepoint) that
 * call these bodies, so every hook reads the kernel the same way.
 *
 * Maps and rodata are __weak: each .bpf.c includes this header, and
 * `bpftool gen object` keeps one copy of each in tsend.bpf.o.
 */
#ifndef TSEND_BPF_H
#define TSEND_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tsend.h"

#define AF_INET		 2
#define AF_INET6	 10
#define IPPROTO_TCP	 6
#define TCP_SYN_SENT	 2
#define TCP_TIME_WAIT	 6
#define TCP_CLOSE	 7
#define TCP_NEW_SYN_RECV 12

/* Filters, frozen at load so the verifier prunes what is unused. */
const volatile __u32 targ_tgid __weak = 0;
const volatile bool targ_filter_comm __weak = false;
const volatile char targ_comm[TSEND_COMM_LEN] __weak = {};
const volatile __u64 targ_cgroup __weak = 0;
const volatile __u16 targ_port __weak = 0;
const volatile __s32 targ_ifindex __weak = 0;
/* ifindex is per network namespace: --dev names the recorder's */
const volatile __u32 targ_netns __weak = 0;
/* A task filter is set: skb events need their socket in the socks map. */
const volatile bool filter_by_sock __weak = false;
const volatile __u32 targ_snaplen __weak = TSEND_SNAP_DEFAULT;
/* --payload N: the entry record keeps targ_payload (at most TSEND_DATA_MAX)
 * of a send()'s bytes, TSEND_KIND_DATA records at its exit the rest of
 * the first targ_payload_total (0xffffffff: all of them) */
const volatile __u32 targ_payload __weak = 0;
const volatile __u32 targ_payload_total __weak = 0;
/* Wake the ring's consumer once this many bytes wait (set from --buffer). */
const volatile __u32 targ_wakeup_bytes __weak = 1 << 20;
/* kfree_skb carries a drop reason since 5.17 (read from BTF by userspace). */
const volatile bool kfree_skb_has_reason __weak = false;
/* tcp_pace_kick's and tcp_write_timer's addresses: the timers the
 * timer tracepoint programs keep */
const volatile __u64 targ_pace_kick __weak = 0;
const volatile __u64 targ_write_timer __weak = 0;
/* tsend-trace top: the skb bodies add up in the top_* maps, nothing else
 * reserves a record; --by flow keys them by flow, not device */
const volatile bool targ_top __weak = false;
const volatile bool targ_top_by_flow __weak = false;
/* record --stacks: a STACK record after the records of these stages (bit
 * 1 << stage), and user stacks at send() entries */
const volatile __u64 targ_stack_stages __weak = 0;
const volatile bool targ_user_stacks __weak = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by --buffer */
} events SEC(".maps") __weak;

/* Per-CPU counters (enum tsend_counter): losses are never silent. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TSEND_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps") __weak;

/*
 * Stacks for record --stacks: deduplicated by the kernel, so a trace holds
 * an id per record and each distinct stack once (the recorder copies it,
 * libbpf-tools' profile and offcputime do the same). Sized by the recorder
 * (--stack-entries); 1 entry when no stacks are asked for.
 */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, TSEND_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps") __weak;

/* Processes whose user stack was taken: the first one of each wakes the
 * recorder at once, to copy /proc/PID/maps while the process still runs
 * (once it exits its maps read empty). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} ustack_pids SEC(".maps") __weak;

/* Sockets a task filter (--pid, --comm, --cgroup) let through at send(). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} socks SEC(".maps") __weak;

/*
 * The ports (local << 16 | remote) of those sockets: what a task filter
 * matches on frames the kernel sends for them from another socket (the
 * control socket's ACK of a FIN after close, a time-wait ACK).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} flow_ports SEC(".maps") __weak;

/*
 * skbs seen on the send path → their skb->head, so their free is recorded
 * even after the socket was detached (skb_orphan), and only those frees:
 * consume_skb fires for every skb in the system. The head tells the skb we
 * saw from a new one at the same address whose free we never saw.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} skbs SEC(".maps") __weak;

/* The skb each CPU is handing to a driver: net_dev_xmit follows
 * net_dev_start_xmit on the same CPU with BHs off, so this pairs them
 * without trusting an skb that may already be freed. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} xmit_skb SEC(".maps") __weak;

/* send() calls in flight, by thread, for the exit probes that lack args. */
struct send_args {
	__u64 sk;
	__u64 ubuf; /* sendto: the user's buffer; sendmsg: its struct user_msghdr */
	__u32 fd;
	__u32 kept; /* bytes of payload the entry record holds */
	__u8 msg;   /* ubuf is a user msghdr */
	__u8 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct send_args);
} sends SEC(".maps") __weak;

/* top: what an skb was at the last stage seen, for the time to its next. */
struct top_skb {
	__u64 head;		/* as in skbs: another head is another skb */
	__u64 ts;		/* when it was at stage */
	struct tsend_flow flow; /* --by flow; net_dev_xmit cannot read it */
	__s32 ifindex;		/* the last device it was seen on, 0 before */
	__u32 netns;		/* that device's network namespace */
	__u8 stage;
	__u8 pad[7];
};

/* The record mode leaves the top_* maps at one entry each (record.c), and
 * top the skbs map and the ring buffer. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct top_skb);
} top_skbs SEC(".maps") __weak;

/*
 * The sums (tsend.h). LRU: a key that goes quiet (a closed flow) makes room
 * when the map is full; userspace takes a sum that went down for a new key.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct tsend_top_key);
	__type(value, __u64);
} top_hist SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct tsend_top_key);
	__type(value, struct tsend_top_counts);
} top_counts SEC(".maps") __weak;

/*
 * Records with trailing bytes (a frame snapshot, send() payload) are
 * reserved at a size fixed at load: the smallest of these tiers that holds
 * --snaplen or --payload. head.size says how much is used, and the recorder
 * keeps that much. No scratch map and no copy, so nothing is shared by
 * programs that nest on one CPU (a softirq's over a syscall's).
 */
static __always_inline void *reserve_tail(__u32 base, __u32 want)
{
	if (want <= 128)
		return bpf_ringbuf_reserve(&events, base + 128, 0);
	if (want <= 256)
		return bpf_ringbuf_reserve(&events, base + 256, 0);
	if (want <= 512)
		return bpf_ringbuf_reserve(&events, base + 512, 0);
	return bpf_ringbuf_reserve(&events, base + TSEND_DATA_MAX, 0);
}

/*
 * Ring buffer flags: wake the consumer only once a batch is waiting. A
 * wakeup per event costs the traced workload more than the event itself;
 * the consumer polls every 100 ms anyway, so no record waits longer.
 */
static __always_inline __u64 rb_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= targ_wakeup_bytes
		       ? BPF_RB_FORCE_WAKEUP
		       : BPF_RB_NO_WAKEUP;
}

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		*c += 1; /* per-CPU slot: no atomic needed */
}

static __always_inline bool task_wanted(void)
{
	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return false;
	if (targ_cgroup && bpf_get_current_cgroup_id() != targ_cgroup)
		return false;
	if (targ_filter_comm) {
		char comm[TSEND_COMM_LEN];

		bpf_get_current_comm(comm, sizeof(comm));
		for (int i = 0; i < TSEND_COMM_LEN; i++) {
			if (comm[i] != targ_comm[i])
				return false;
			if (!comm[i])
				break;
		}
	}
	return true;
}

/*
 * Is this a TCP socket the user asked for? Request and time-wait sockets
 * carry only sock_common, so their protocol is not read: only TCP has them.
 */
static __always_inline bool sock_wanted(struct sock *sk)
{
	__u16 family;
	__u8 state;

	if (!sk)
		return false;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return false;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state != TCP_NEW_SYN_RECV && state != TCP_TIME_WAIT &&
	    BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return false;
	if (targ_port) {
		__u16 sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		__u16 dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));

		if (sport != targ_port && dport != targ_port)
			return false;
	}
	if (filter_by_sock) {
		__u64 key = (__u64)sk;

		if (!bpf_map_lookup_elem(&socks, &key))
			return false;
	}
	return true;
}

static __always_inline void fill_head(struct tsend_head *h, __u32 size, __u8 stage, __u8 kind,
				      __u8 phase, __u8 mech, void *sk, void *skb)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->ts = bpf_ktime_get_ns();
	h->sk = (__u64)sk;
	h->skb = (__u64)skb;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->size = size;
	h->stage = stage;
	h->kind = kind;
	h->phase = phase;
	h->mech = mech;
	h->cpu = bpf_get_smp_processor_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline void fill_flow_sk(struct tsend_flow *f, struct sock *sk)
{
	f->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	f->protocol = IPPROTO_TCP;
	f->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	f->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	/* the addresses are arrays here: read their bytes, not one element */
	if (f->family == AF_INET) {
		bpf_core_read(f->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(f->daddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(f->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(f->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

/* Where the TCP control block lives: skb->cb, valid until IP reuses it. */
static __always_inline struct tcp_skb_cb *tcp_skb_cb(struct sk_buff *skb)
{
	return (void *)skb + bpf_core_field_offset(struct sk_buff, cb);
}

/*
 * TCP sequence range and flags from the TCP header the skb carries (from
 * __ip_queue_xmit on): the bytes that go on the wire, whoever owns the skb.
 */
static __always_inline bool fill_from_tcphdr(struct tsend_skb_event *e, struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	unsigned char *data = BPF_CORE_READ(skb, data);
	__u16 th_off = BPF_CORE_READ(skb, transport_header);
	__u32 hdrs_end, data_off, plen;
	__u8 th[20];

	if (th_off == (__u16)~0U || bpf_probe_read_kernel(th, sizeof(th), head + th_off))
		return false;
	e->seq = ((__u32)th[4] << 24) | (th[5] << 16) | (th[6] << 8) | th[7];
	e->ack_seq = ((__u32)th[8] << 24) | (th[9] << 16) | (th[10] << 8) | th[11];
	e->tcp_flags = th[13];
	/* payload: skb->len less the header bytes still in front of it */
	hdrs_end = th_off + (th[12] >> 4) * 4;
	data_off = data - head;
	plen = e->len;
	if (data_off < hdrs_end)
		plen = e->len > hdrs_end - data_off ? e->len - (hdrs_end - data_off) : 0;
	e->end_seq = e->seq + plen + !!(e->tcp_flags & 0x02) + !!(e->tcp_flags & 0x01);
	e->seq_valid = 1;
	return true;
}

/*
 * Flow from the IP header (from __ip_local_out on): what the wire carries,
 * even for skbs whose socket is gone or is the kernel's control socket
 * (RSTs, time-wait ACKs). False if it is not IPv4/IPv6 + TCP.
 */
static __always_inline bool fill_flow_iphdr(struct tsend_flow *f, struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th_off = BPF_CORE_READ(skb, transport_header);
	__u8 ver, proto = 0, ports[4];

	if (nh == (__u16)~0U || th_off == (__u16)~0U || bpf_probe_read_kernel(&ver, 1, head + nh))
		return false;
	ver >>= 4;
	if (ver == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return false;
		proto = ip.protocol;
		f->family = AF_INET;
		__builtin_memcpy(f->saddr, &ip.saddr, 4);
		__builtin_memcpy(f->daddr, &ip.daddr, 4);
	} else if (ver == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return false;
		proto = ip6.nexthdr; /* extension headers are not followed */
		f->family = AF_INET6;
		__builtin_memcpy(f->saddr, &ip6.saddr, 16);
		__builtin_memcpy(f->daddr, &ip6.daddr, 16);
	}
	if (proto != IPPROTO_TCP || bpf_probe_read_kernel(ports, 4, head + th_off))
		return false;
	f->protocol = IPPROTO_TCP;
	f->sport = (ports[0] << 8) | ports[1];
	f->dport = (ports[2] << 8) | ports[3];
	return true;
}

/* Before the TCP header exists the control block holds seq and flags. */
static __always_inline void fill_from_tcp_cb(struct tsend_skb_event *e, struct sk_buff *skb)
{
	struct tcp_skb_cb *cb = tcp_skb_cb(skb);

	e->seq = BPF_CORE_READ(cb, seq);
	e->end_seq = BPF_CORE_READ(cb, end_seq);
	e->tcp_flags = BPF_CORE_READ(cb, tcp_flags);
	e->ack_seq = BPF_CORE_READ(cb, ack_seq);
	e->seq_valid = 1;
}

/* Where an skb stage finds its flow and sequence range. */
enum skb_seq_source {
	SEQ_FROM_CB,	  /* TCP stages: no header yet, TCP_SKB_CB is valid */
	SEQ_FROM_TCPHDR,  /* __ip_queue_xmit: TCP header, no IP header yet */
	SEQ_FROM_HEADERS, /* from __ip_local_out on: IP and TCP headers */
};

/* Is a frame of this flow wanted, whichever socket sends it? */
static __always_inline bool flow_wanted(const struct tsend_flow *f)
{
	__u32 key = ((__u32)f->sport << 16) | f->dport;

	if (targ_port && f->sport != targ_port && f->dport != targ_port)
		return false;
	return !filter_by_sock || bpf_map_lookup_elem(&flow_ports, &key);
}

static __always_inline void fill_skb(struct tsend_skb_event *e, struct sk_buff *skb, int ifindex,
				     int ret)
{
	/* gso fields live in skb_shared_info, at skb->end from skb->head */
	unsigned char *head = BPF_CORE_READ(skb, head);
	struct skb_shared_info *shi = (void *)(head + BPF_CORE_READ(skb, end));

	e->head = (__u64)head;
	e->len = BPF_CORE_READ(skb, len);
	e->data_len = BPF_CORE_READ(skb, data_len);
	e->queue = BPF_CORE_READ(skb, queue_mapping);
	e->gso_size = BPF_CORE_READ(shi, gso_size);
	e->gso_segs = BPF_CORE_READ(shi, gso_segs);
	e->gso_type = BPF_CORE_READ(shi, gso_type);
	e->ifindex = ifindex;
	e->ret = ret;
	e->seq = e->end_seq = e->ack_seq = 0;
	e->tcp_flags = e->seq_valid = 0;
	/* how the L4 checksum is left to whoever sees the frame next
	 * (CHECKSUM_PARTIAL: the device); + 1 so that 0 means "not read" */
	e->csum = 1 + BPF_CORE_READ_BITFIELD_PROBED(skb, ip_summed);
	e->snap_len = e->pad = 0;
	e->truesize = BPF_CORE_READ(skb, truesize);
}

/* Copies the frame's first bytes (the linear part: payload in page frags
 * is not snapped); returns how many. */
static __always_inline __u32 snap_frame(struct tsend_skb_event *e, struct sk_buff *skb)
{
	__u64 n = (__u32)(e->len - e->data_len);

	/* one unsigned compare with the frozen constant: what the verifier
	 * needs to see that n fits the tier reserved */
	barrier_var(n);
	if (n > targ_snaplen)
		n = targ_snaplen;
	if (bpf_probe_read_kernel(e->data, n, BPF_CORE_READ(skb, data)))
		return 0;
	return n;
}

/* An skb at one stage, as the filters saw it. */
struct skb_seen {
	struct tsend_flow flow; /* from its headers, if hdr */
	struct sock *sk;	/* its socket, or NULL */
	int ifindex;		/* its device, 0 where none is known */
	bool hdr;
};

/*
 * The filters of every sk_buff stage; s starts zeroed. sk may be NULL
 * (skb->sk is used); ifindex < 0 means "read skb->dev". Where the skb
 * carries its headers, the packet decides whether it is wanted, as in
 * tcpdump; before that, its socket does.
 */
static __always_inline bool skb_wanted(struct skb_seen *s, struct sk_buff *skb, struct sock *sk,
				       int ifindex, enum skb_seq_source src, bool is_free)
{
	s->sk = sk ? sk : BPF_CORE_READ(skb, sk);
	if (src == SEQ_FROM_HEADERS)
		s->hdr = fill_flow_iphdr(&s->flow, skb);
	/*
	 * A free was matched to a tracked skb, which may be orphaned. Its
	 * packet must still be ours: slab reuse can hand a new skb both the
	 * address and the head of one whose free we never saw.
	 */
	if (s->hdr ? !flow_wanted(&s->flow) && !sock_wanted(s->sk)
		   : !(is_free && !s->sk) && !sock_wanted(s->sk))
		return false;
	s->ifindex = ifindex < 0 ? BPF_CORE_READ(skb, dev, ifindex) : ifindex;
	return !targ_ifindex || !s->ifindex ||
	       (s->ifindex == targ_ifindex &&
		BPF_CORE_READ(skb, dev, nd_net.net, ns.inum) == targ_netns);
}

/* Pairs this CPU's coming net_dev_xmit with skb (see xmit_skb). */
static __always_inline void xmit_pair(__u64 skb)
{
	__u32 zero = 0;
	__u64 *x = bpf_map_lookup_elem(&xmit_skb, &zero);

	if (x)
		*x = skb;
}

/* ---- tsend-trace top: sums in maps instead of records ---- */

/*
 * The log2 bucket of v, numbered as userspace/hist.c numbers them: 0 for
 * 0, else floor(log2(v)) + 1. Straight code: no loop for the verifier.
 */
static __always_inline __u8 log2_slot(__u64 v)
{
	__u32 s = 0, shift;

	if (!v)
		return 0;
	shift = (v > 0xffffffffULL) << 5;
	v >>= shift;
	s |= shift;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	s |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	s |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	s |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	s |= shift;
	return (s | (v >> 1)) + 1;
}

/* This CPU's value of k in a per-CPU map, created zero if missing. */
static __always_inline void *top_value(void *map, const struct tsend_top_key *k, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, k);

	if (v)
		return v;
	/* fails if a program that interrupted this one just created it: fine */
	bpf_map_update_elem(map, k, zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, k);
}

/*
 * Where top --by dev counts an skb: the device it is at, else the last one
 * it was at, else (TCP stages, before any device) its socket's route's.
 * The namespace is read only where it is used: --by dev and --dev.
 */
static __always_inline void top_dev(struct top_skb *cur, struct sk_buff *skb,
				    const struct skb_seen *s, const struct top_skb *last)
{
	struct sock *sk = s->sk; /* BPF_CORE_READ(s->sk, ...) would relocate s too */
	struct net_device *dev;

	if (s->ifindex) {
		cur->ifindex = s->ifindex;
		if (!targ_top_by_flow || targ_ifindex)
			cur->netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	} else if (last && last->ifindex) {
		cur->ifindex = last->ifindex;
		cur->netns = last->netns;
	} else if (sk && !targ_top_by_flow) {
		dev = BPF_CORE_READ(sk, sk_dst_cache, dev);
		cur->ifindex = BPF_CORE_READ(dev, ifindex);
		cur->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	}
}

/* Where top --by flow counts it: its packet's flow, else its socket's,
 * else the last stage's. */
static __always_inline void top_flow(struct top_skb *cur, const struct skb_seen *s,
				     const struct top_skb *last)
{
	if (s->hdr)
		cur->flow = s->flow;
	else if (s->sk)
		fill_flow_sk(&cur->flow, s->sk);
	else if (last)
		cur->flow = last->flow;
}

/*
 * Adds the skb's step from last (NULL: none seen) to cur to top_hist, and
 * its frame, drop or retransmit to top_counts. Two map lookups at most.
 */
static __always_inline void top_account(const struct top_skb *cur, const struct top_skb *last,
					__u32 len, int reason)
{
	struct tsend_top_counts zero_counts = {}, *c;
	struct tsend_top_key k = {};
	__u64 zero = 0, *n;

	if (targ_top_by_flow) {
		k.flow = cur->flow;
	} else {
		k.ifindex = cur->ifindex;
		k.netns = cur->netns;
	}
	/* the stages are numbered in call-tree order: one not later than
	 * the last is a new skb at a reused address (as in report.c) */
	if (last && cur->stage > last->stage) {
		k.from = last->stage;
		k.to = cur->stage;
		k.slot = log2_slot(cur->ts > last->ts ? cur->ts - last->ts : 0);
		n = top_value(&top_hist, &k, &zero);
		if (n)
			*n += 1; /* per-CPU: no atomic needed */
		k.from = k.to = k.slot = 0;
	}
	if (cur->stage == TSEND_STAGE_KFREE_SKB)
		k.reason = reason;
	else if (cur->stage != TSEND_STAGE_NET_DEV_START_XMIT &&
		 cur->stage != TSEND_STAGE_TCP_RETRANSMIT_SKB)
		return;
	c = top_value(&top_counts, &k, &zero_counts);
	if (!c)
		return;
	if (cur->stage == TSEND_STAGE_NET_DEV_START_XMIT) {
		c->frames++;
		c->bytes += len;
	} else if (cur->stage == TSEND_STAGE_KFREE_SKB) {
		c->drops++;
	} else {
		c->retransmits++;
	}
}

/* top: a wanted skb at a stage before its free. */
static __always_inline int top_stage(__u8 stage, struct sk_buff *skb, const struct skb_seen *s)
{
	__u64 key = (__u64)skb;
	struct top_skb *last = bpf_map_lookup_elem(&top_skbs, &key);
	struct top_skb cur = {
		.head = (__u64)BPF_CORE_READ(skb, head),
		.ts = bpf_ktime_get_ns(),
		.stage = stage,
	};

	if (last && last->head != cur.head)
		last = NULL; /* another skb, at the address of one whose free went unseen */
	/* else clang tests the heads again for last != NULL: the verifier
	 * cannot follow that */
	barrier_var(last);
	top_dev(&cur, skb, s, last);
	if (targ_top_by_flow)
		top_flow(&cur, s, last);
	top_account(&cur, last,
		    stage == TSEND_STAGE_NET_DEV_START_XMIT ? BPF_CORE_READ(skb, len) : 0, 0);
	if (stage == TSEND_STAGE_NET_DEV_START_XMIT)
		xmit_pair(key);
	if (last) {
		*last = cur; /* in place: an skb is on one CPU at a time */
		return 0;
	}
	if (bpf_map_update_elem(&top_skbs, &key, &cur, BPF_ANY))
		count(TSEND_CNT_UNTRACKED);
	return 0;
}

/*
 * top: the free of an skb seen on the path; its entry goes. Its head may
 * differ once a driver had it (e1000e's TSO gives it a new one), as in
 * skb.bpf.c. Its device is the last one it was at, not skb->dev: loopback
 * and veth hand the skb to the receiving device, in another namespace for
 * veth. So --dev is checked on that one.
 */
static __always_inline int top_free(__u8 stage, struct sk_buff *skb, int reason)
{
	__u64 key = (__u64)skb;
	struct top_skb *p = bpf_map_lookup_elem(&top_skbs, &key), last;
	struct top_skb cur = {.stage = stage};
	struct skb_seen s = {};

	if (!p)
		return 0;
	last = *p;
	bpf_map_delete_elem(&top_skbs, &key);
	cur.head = (__u64)BPF_CORE_READ(skb, head);
	if (cur.head != last.head && last.stage < TSEND_STAGE_NET_DEV_START_XMIT)
		return 0;
	if (!skb_wanted(&s, skb, NULL, 0, SEQ_FROM_HEADERS, true))
		return 0;
	if (targ_ifindex && last.ifindex &&
	    (last.ifindex != targ_ifindex || last.netns != targ_netns))
		return 0;
	cur.ts = bpf_ktime_get_ns();
	top_dev(&cur, skb, &s, &last);
	if (targ_top_by_flow)
		top_flow(&cur, &s, &last);
	top_account(&cur, &last, 0, reason);
	return 0;
}

/* top: net_dev_xmit of the skb this CPU's net_dev_start_xmit counted. It
 * may be freed already: only its entry is read. */
static __always_inline int top_dev_xmit(__u64 key)
{
	struct top_skb *last = bpf_map_lookup_elem(&top_skbs, &key), cur;

	if (!last)
		return 0;
	cur = *last;
	cur.ts = bpf_ktime_get_ns();
	cur.stage = TSEND_STAGE_NET_DEV_XMIT;
	top_account(&cur, last, 0, 0);
	*last = cur;
	return 0;
}

/*
 * The stacks that go with record e (reserved, not yet submitted): a STACK
 * record reserved after it, so the consumer meets it right after e, with
 * e's head. Kernel stack if the user picked e's stage, user stack at a
 * send() entry (user). A stack that cannot be taken is counted, and its
 * id says why.
 */
static __always_inline void take_stacks(void *ctx, const struct tsend_head *h, bool user)
{
	bool kernel = targ_stack_stages & (1ULL << (h->stage & 63));
	struct tsend_stack_event *e;
	__u64 wake = 0;

	user = user && targ_user_stacks;
	if (!kernel && !user)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(TSEND_CNT_LOST);
		if (kernel)
			count(TSEND_CNT_KSTACK_LOST);
		if (user)
			count(TSEND_CNT_USTACK_LOST);
		return;
	}
	__builtin_memcpy(&e->h, h, sizeof(e->h));
	e->h.size = sizeof(*e);
	e->h.kind = TSEND_KIND_STACK;
	e->kstack_id = e->ustack_id = TSEND_STACK_NONE;
	if (kernel) {
		e->kstack_id = bpf_get_stackid(ctx, &stacks, 0);
		if (e->kstack_id < 0)
			count(TSEND_CNT_KSTACK_LOST);
	}
	if (user) {
		__u32 pid = h->pid;
		__u8 one = 1;

		e->ustack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		if (e->ustack_id < 0)
			count(TSEND_CNT_USTACK_LOST);
		else if (!bpf_map_update_elem(&ustack_pids, &pid, &one, BPF_NOEXIST))
			wake = BPF_RB_FORCE_WAKEUP;
	}
	bpf_ringbuf_submit(e, wake ? wake : rb_flags());
}

/*
 * The one body of every sk_buff stage: the filters, then a record (or, for
 * top, the sums). snap copies the frame's first bytes.
 */
static __always_inline int handle_skb(void *ctx, __u8 stage, __u8 mech, struct sk_buff *skb,
				      struct sock *sk, int ifindex, int ret,
				      enum skb_seq_source src, bool snap)
{
	bool is_free = stage == TSEND_STAGE_CONSUME_SKB || stage == TSEND_STAGE_KFREE_SKB;
	struct tsend_skb_event *e;
	struct skb_seen s = {};
	__u64 key = (__u64)skb;

	if (!skb || !skb_wanted(&s, skb, sk, ifindex, src, is_free))
		return 0;
	if (targ_top)
		return top_stage(stage, skb, &s);

	if (snap && targ_snaplen)
		e = reserve_tail(sizeof(*e), targ_snaplen);
	else
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(TSEND_CNT_LOST);
		return 0;
	}
	fill_skb(e, skb, s.ifindex, ret);
	if (s.hdr)
		e->flow = s.flow;
	else if (s.sk)
		fill_flow_sk(&e->flow, s.sk);
	else
		__builtin_memset(&e->flow, 0, sizeof(e->flow));
	if (src == SEQ_FROM_CB)
		fill_from_tcp_cb(e, skb);
	else
		fill_from_tcphdr(e, skb);
	if (snap && targ_snaplen)
		e->snap_len = snap_frame(e, skb);
	fill_head(&e->h, sizeof(*e) + e->snap_len, stage, TSEND_KIND_SKB, TSEND_PHASE_ENTRY, mech,
		  s.sk, skb);

	/* remember the skb so its free is recorded even once orphaned; the
	 * value is copied to the stack: 6.1 takes no ring memory as a value.
	 * Bit 0 (heads are aligned) says the driver has it: a driver may give
	 * it a new head (e1000e's TSO does skb_cow_head on a clone). */
	if (!is_free) {
		__u64 head = e->head | (stage >= TSEND_STAGE_NET_DEV_START_XMIT);

		if (bpf_map_update_elem(&skbs, &key, &head, BPF_ANY))
			count(TSEND_CNT_UNTRACKED);
	}
	if (stage == TSEND_STAGE_NET_DEV_START_XMIT)
		xmit_pair(key);
	take_stacks(ctx, &e->h, false);
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

/* Bytes of a sendmsg() not copied into skbs yet. */
static __always_inline __u32 msg_left(const struct msghdr *msg)
{
	return BPF_CORE_READ(msg, msg_iter.count);
}

/* Socket-level TCP state: what the send path decided from. */
static __always_inline int handle_tcp(void *ctx, __u8 stage, __u8 mech, __u8 phase, struct sock *sk,
				      struct sk_buff *skb, __u32 size_goal, __u32 msg_left)
{
	struct tcp_sock *tp = (void *)sk;
	struct tsend_tcp_event *e;

	/* top adds up skbs only */
	if (targ_top || !sock_wanted(sk))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(TSEND_CNT_LOST);
		return 0;
	}
	fill_head(&e->h, sizeof(*e), stage, TSEND_KIND_TCP, phase, mech, sk, skb);
	__builtin_memset(&e->flow, 0, sizeof(e->flow));
	fill_flow_sk(&e->flow, sk);
	e->snd_nxt = BPF_CORE_READ(tp, snd_nxt);
	e->snd_una = BPF_CORE_READ(tp, snd_una);
	e->write_seq = BPF_CORE_READ(tp, write_seq);
	e->pushed_seq = BPF_CORE_READ(tp, pushed_seq);
	e->snd_wnd = BPF_CORE_READ(tp, snd_wnd);
	e->rcv_wnd = BPF_CORE_READ(tp, rcv_wnd);
	e->snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
	e->snd_ssthresh = BPF_CORE_READ(tp, snd_ssthresh);
	e->srtt_us = BPF_CORE_READ(tp, srtt_us);
	e->mss_cache = BPF_CORE_READ(tp, mss_cache);
	e->packets_out = BPF_CORE_READ(tp, packets_out);
	e->retrans_out = BPF_CORE_READ(tp, retrans_out);
	e->size_goal = size_goal;
	e->msg_left = msg_left;
	e->skb_seq = e->skb_end_seq = e->skb_len = e->skb_ack_seq = 0;
	e->skb_tcp_flags = 0;
	if (skb) {
		struct tcp_skb_cb *cb = tcp_skb_cb(skb);

		e->skb_seq = BPF_CORE_READ(cb, seq);
		e->skb_end_seq = BPF_CORE_READ(cb, end_seq);
		e->skb_len = BPF_CORE_READ(skb, len);
		/* set by tcp_v4_fill_cb for a received segment only */
		if (stage == TSEND_STAGE_TCP_PROBE) {
			e->skb_ack_seq = BPF_CORE_READ(cb, ack_seq);
			e->skb_tcp_flags = BPF_CORE_READ(cb, tcp_flags);
		}
	}
	e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	e->nonagle = BPF_CORE_READ_BITFIELD_PROBED(tp, nonagle);
	e->owned = 1 + !!BPF_CORE_READ(sk, sk_lock.owned);
	e->pad = 0;
	__builtin_memset(e->pad2, 0, sizeof(e->pad2));
	e->pacing_rate = BPF_CORE_READ(sk, sk_pacing_rate);
	e->pacing_status = 1 + (__u8)BPF_CORE_READ(sk, sk_pacing_status);
	e->pacing_shift = BPF_CORE_READ(sk, sk_pacing_shift);
	e->icsk_pending = BPF_CORE_READ((struct inet_connection_sock *)sk, icsk_pending);
	e->ca_state =
		BPF_CORE_READ_BITFIELD_PROBED((struct inet_connection_sock *)sk, icsk_ca_state);
	e->min_rtt_us = BPF_CORE_READ(tp, rtt_min.s[0].v);
	e->sacked_out = BPF_CORE_READ(tp, sacked_out);
	e->lost_out = BPF_CORE_READ(tp, lost_out);
	if (phase == TSEND_PHASE_ENTRY)
		take_stacks(ctx, &e->h, false);
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

#endif /* TSEND_BPF_H */
