// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The end of an skb: net/core/skbuff.c, consume_skb (normal free) and
 * kfree_skb (drop, with a reason since 5.17). Both fire for every skb in
 * the system, so the skbs map decides first, with one lookup, whether this
 * one was seen on the send path; the entry is dropped with the skb.
 */
#include "tsend.bpf.h"

static __always_inline int handle_free(void *ctx, __u8 stage, __u8 mech, struct sk_buff *skb,
				       int reason)
{
	__u64 key = (__u64)skb, *head;
	bool same;

	if (targ_top)
		return top_free(stage, skb, reason);
	head = bpf_map_lookup_elem(&skbs, &key);
	if (!head)
		return 0;
	/* a different head: the address was reused, and the skb we saw was
	 * freed where no tracepoint fires (__kfree_skb); unless a driver had
	 * it (bit 0), which may have reallocated its head */
	same = (*head & 1) || *head == (__u64)BPF_CORE_READ(skb, head);
	bpf_map_delete_elem(&skbs, &key);
	if (!same)
		return 0;
	return handle_skb(ctx, stage, mech, skb, NULL, -1, reason, SEQ_FROM_HEADERS, false);
}

SEC("tp_btf/consume_skb")
int BPF_PROG(consume_skb_btf, struct sk_buff *skb)
{
	return handle_free(ctx, TSEND_STAGE_CONSUME_SKB, TSEND_MECH_TP_BTF, skb, 0);
}

SEC("raw_tp/consume_skb")
int BPF_PROG(consume_skb_raw, struct sk_buff *skb)
{
	return handle_free(ctx, TSEND_STAGE_CONSUME_SKB, TSEND_MECH_RAW_TP, skb, 0);
}

/* kfree_skb(skb, location[, reason[, rx_sk]]): args[2] only when it exists */
SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_btf, struct sk_buff *skb, void *location)
{
	int reason = kfree_skb_has_reason ? (int)ctx[2] : 0;

	return handle_free(ctx, TSEND_STAGE_KFREE_SKB, TSEND_MECH_TP_BTF, skb, reason);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(kfree_skb_raw, struct sk_buff *skb, void *location)
{
	int reason = kfree_skb_has_reason ? (int)ctx[2] : 0;

	return handle_free(ctx, TSEND_STAGE_KFREE_SKB, TSEND_MECH_RAW_TP, skb, reason);
}
