// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Device layer: net/core/dev.c (__dev_queue_xmit, dev_hard_start_xmit,
 * xmit_one and its net_dev_* tracepoints), net/sched/sch_generic.c (the
 * qdisc), and the driver's ndo_start_xmit, e1000_xmit_frame for e1000e.
 */
#include "tsend.bpf.h"

#define DEV_IFINDEX(dev) BPF_CORE_READ(dev, ifindex)

SEC("fentry")
int BPF_PROG(__dev_queue_xmit, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_DEV_QUEUE_XMIT, TSEND_MECH_FENTRY, skb, NULL, -1, 0,
			  SEQ_FROM_HEADERS, false);
}

SEC("kprobe")
int BPF_KPROBE(__dev_queue_xmit_kprobe, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_DEV_QUEUE_XMIT, TSEND_MECH_KPROBE, skb, NULL, -1, 0,
			  SEQ_FROM_HEADERS, false);
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(net_dev_queue_btf, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_NET_DEV_QUEUE, TSEND_MECH_TP_BTF, skb, NULL, -1, 0,
			  SEQ_FROM_HEADERS, false);
}

SEC("raw_tp/net_dev_queue")
int BPF_PROG(net_dev_queue_raw, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_NET_DEV_QUEUE, TSEND_MECH_RAW_TP, skb, NULL, -1, 0,
			  SEQ_FROM_HEADERS, false);
}

/* qdisc tracepoints give the txq; the skb's dev is the one it leaves by */
SEC("tp_btf/qdisc_enqueue")
int BPF_PROG(qdisc_enqueue_btf, struct Qdisc *q, struct netdev_queue *txq, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_QDISC_ENQUEUE, TSEND_MECH_TP_BTF, skb, NULL, -1, 0,
			  SEQ_FROM_HEADERS, false);
}

SEC("raw_tp/qdisc_enqueue")
int BPF_PROG(qdisc_enqueue_raw, struct Qdisc *q, struct netdev_queue *txq, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_QDISC_ENQUEUE, TSEND_MECH_RAW_TP, skb, NULL, -1, 0,
			  SEQ_FROM_HEADERS, false);
}

/* skb may head a list of `packets` (bulk dequeue): the first is recorded */
SEC("tp_btf/qdisc_dequeue")
int BPF_PROG(qdisc_dequeue_btf, struct Qdisc *q, struct netdev_queue *txq, int packets,
	     struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_QDISC_DEQUEUE, TSEND_MECH_TP_BTF, skb, NULL, -1, packets,
			  SEQ_FROM_HEADERS, false);
}

SEC("raw_tp/qdisc_dequeue")
int BPF_PROG(qdisc_dequeue_raw, struct Qdisc *q, struct netdev_queue *txq, int packets,
	     struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_QDISC_DEQUEUE, TSEND_MECH_RAW_TP, skb, NULL, -1, packets,
			  SEQ_FROM_HEADERS, false);
}

SEC("fentry")
int BPF_PROG(sch_direct_xmit, struct sk_buff *skb, struct Qdisc *q, struct net_device *dev)
{
	return handle_skb(ctx, TSEND_STAGE_SCH_DIRECT_XMIT, TSEND_MECH_FENTRY, skb, NULL,
			  DEV_IFINDEX(dev), 0, SEQ_FROM_HEADERS, false);
}

SEC("kprobe")
int BPF_KPROBE(sch_direct_xmit_kprobe, struct sk_buff *skb, struct Qdisc *q, struct net_device *dev)
{
	return handle_skb(ctx, TSEND_STAGE_SCH_DIRECT_XMIT, TSEND_MECH_KPROBE, skb, NULL,
			  DEV_IFINDEX(dev), 0, SEQ_FROM_HEADERS, false);
}

SEC("fentry")
int BPF_PROG(dev_hard_start_xmit, struct sk_buff *skb, struct net_device *dev)
{
	return handle_skb(ctx, TSEND_STAGE_DEV_HARD_START_XMIT, TSEND_MECH_FENTRY, skb, NULL,
			  DEV_IFINDEX(dev), 0, SEQ_FROM_HEADERS, false);
}

SEC("kprobe")
int BPF_KPROBE(dev_hard_start_xmit_kprobe, struct sk_buff *skb, struct net_device *dev)
{
	return handle_skb(ctx, TSEND_STAGE_DEV_HARD_START_XMIT, TSEND_MECH_KPROBE, skb, NULL,
			  DEV_IFINDEX(dev), 0, SEQ_FROM_HEADERS, false);
}

SEC("fentry")
int BPF_PROG(xmit_one, struct sk_buff *skb, struct net_device *dev)
{
	return handle_skb(ctx, TSEND_STAGE_XMIT_ONE, TSEND_MECH_FENTRY, skb, NULL, DEV_IFINDEX(dev),
			  0, SEQ_FROM_HEADERS, false);
}

SEC("kprobe")
int BPF_KPROBE(xmit_one_kprobe, struct sk_buff *skb, struct net_device *dev)
{
	return handle_skb(ctx, TSEND_STAGE_XMIT_ONE, TSEND_MECH_KPROBE, skb, NULL, DEV_IFINDEX(dev),
			  0, SEQ_FROM_HEADERS, false);
}

/* the frame as the driver gets it: snapped here (--snaplen) */
SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(net_dev_start_xmit_btf, struct sk_buff *skb, struct net_device *dev)
{
	return handle_skb(ctx, TSEND_STAGE_NET_DEV_START_XMIT, TSEND_MECH_TP_BTF, skb, NULL,
			  DEV_IFINDEX(dev), 0, SEQ_FROM_HEADERS, true);
}

SEC("raw_tp/net_dev_start_xmit")
int BPF_PROG(net_dev_start_xmit_raw, struct sk_buff *skb, struct net_device *dev)
{
	return handle_skb(ctx, TSEND_STAGE_NET_DEV_START_XMIT, TSEND_MECH_RAW_TP, skb, NULL,
			  DEV_IFINDEX(dev), 0, SEQ_FROM_HEADERS, true);
}

SEC("fentry")
int BPF_PROG(e1000_xmit_frame, struct sk_buff *skb, struct net_device *netdev)
{
	return handle_skb(ctx, TSEND_STAGE_E1000_XMIT_FRAME, TSEND_MECH_FENTRY, skb, NULL,
			  DEV_IFINDEX(netdev), 0, SEQ_FROM_HEADERS, false);
}

SEC("kprobe")
int BPF_KPROBE(e1000_xmit_frame_kprobe, struct sk_buff *skb, struct net_device *netdev)
{
	return handle_skb(ctx, TSEND_STAGE_E1000_XMIT_FRAME, TSEND_MECH_KPROBE, skb, NULL,
			  DEV_IFINDEX(netdev), 0, SEQ_FROM_HEADERS, false);
}

/*
 * After the driver: skb may already be freed (a fast NIC completes the TX
 * before the tracepoint fires), so only its address and the tracepoint's
 * own arguments are used. Recorded only if this CPU's net_dev_start_xmit
 * just recorded the same skb.
 */
static __always_inline int handle_dev_xmit(void *ctx, __u8 mech, struct sk_buff *skb, int rc,
					   struct net_device *dev, unsigned int len)
{
	struct tsend_skb_event *e;
	__u32 zero = 0;
	__u64 *x = bpf_map_lookup_elem(&xmit_skb, &zero);

	if (!x || *x != (__u64)skb)
		return 0;
	*x = 0;
	if (targ_top)
		return top_dev_xmit((__u64)skb);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(TSEND_CNT_LOST);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_head(&e->h, sizeof(*e), TSEND_STAGE_NET_DEV_XMIT, TSEND_KIND_SKB, TSEND_PHASE_EXIT,
		  mech, NULL, skb);
	e->len = len;
	e->ret = rc;
	e->ifindex = DEV_IFINDEX(dev);
	take_stacks(ctx, &e->h, false);
	bpf_ringbuf_submit(e, rb_flags());
	return 0;
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(net_dev_xmit_btf, struct sk_buff *skb, int rc, struct net_device *dev,
	     unsigned int len)
{
	return handle_dev_xmit(ctx, TSEND_MECH_TP_BTF, skb, rc, dev, len);
}

SEC("raw_tp/net_dev_xmit")
int BPF_PROG(net_dev_xmit_raw, struct sk_buff *skb, int rc, struct net_device *dev,
	     unsigned int len)
{
	return handle_dev_xmit(ctx, TSEND_MECH_RAW_TP, skb, rc, dev, len);
}
