// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * IPv4 output: net/ipv4/ip_output.c, __ip_queue_xmit … ip_finish_output2,
 * and the neighbour (include/net/neighbour.h: neigh_output is inline, its
 * slow path neigh_resolve_output is not). No tracepoint exists on this
 * stretch, so only fentry or kprobe can see it.
 *
 * IPv4 only, as the seed; IPv6 (ip6_xmit …) is left for later.
 */
#include "tsend.bpf.h"

/* The TCP header is built when __ip_queue_xmit runs, the IP header is not. */
SEC("fentry")
int BPF_PROG(__ip_queue_xmit, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_IP_QUEUE_XMIT, TSEND_MECH_FENTRY, skb, sk, 0, 0,
			  SEQ_FROM_TCPHDR, false);
}

SEC("kprobe")
int BPF_KPROBE(__ip_queue_xmit_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_IP_QUEUE_XMIT, TSEND_MECH_KPROBE, skb, sk, 0, 0,
			  SEQ_FROM_TCPHDR, false);
}

/* The rest share (struct net *, struct sock *, struct sk_buff *). */
#define IP_STAGE(fn, stage)                                                                        \
	SEC("fentry")                                                                              \
	int BPF_PROG(fn, struct net *net, struct sock *sk, struct sk_buff *skb)                    \
	{                                                                                          \
		return handle_skb(ctx, stage, TSEND_MECH_FENTRY, skb, sk, -1, 0, SEQ_FROM_HEADERS, \
				  false);                                                          \
	}                                                                                          \
	SEC("kprobe")                                                                              \
	int BPF_KPROBE(fn##_kprobe, struct net *net, struct sock *sk, struct sk_buff *skb)         \
	{                                                                                          \
		return handle_skb(ctx, stage, TSEND_MECH_KPROBE, skb, sk, -1, 0, SEQ_FROM_HEADERS, \
				  false);                                                          \
	}

IP_STAGE(__ip_local_out, TSEND_STAGE_IP_LOCAL_OUT)
IP_STAGE(ip_output, TSEND_STAGE_IP_OUTPUT)
IP_STAGE(__ip_finish_output, TSEND_STAGE_IP_FINISH_OUTPUT)
IP_STAGE(ip_finish_output_gso, TSEND_STAGE_IP_FINISH_OUTPUT_GSO)
IP_STAGE(ip_finish_output2, TSEND_STAGE_IP_FINISH_OUTPUT2)

SEC("fentry")
int BPF_PROG(neigh_resolve_output, struct neighbour *neigh, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_NEIGH_OUTPUT, TSEND_MECH_FENTRY, skb, NULL, -1, 0,
			  SEQ_FROM_HEADERS, false);
}

SEC("kprobe")
int BPF_KPROBE(neigh_resolve_output_kprobe, struct neighbour *neigh, struct sk_buff *skb)
{
	return handle_skb(ctx, TSEND_STAGE_NEIGH_OUTPUT, TSEND_MECH_KPROBE, skb, NULL, -1, 0,
			  SEQ_FROM_HEADERS, false);
}
