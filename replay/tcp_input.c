// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * net/ipv4/tcp_input.c, the part of an ACK's processing that frees room for
 * the send path: snd_una moves, acknowledged skbs leave the rtx queue and
 * stop counting as in flight. cwnd and the window the ACK brought are the
 * recording's (see socket.h); tcp_data_snd_check is the caller's.
 */
#include "replay.h"
#include "tcp.h"

/* mirrors tcp_tso_acked(), v6.1: the acknowledged head of a TSO skb goes */
static void tcp_tso_acked(struct tcp_sock *tp, struct sk_buff *skb, __u32 ack)
{
	__u32 old = tcp_skb_pcount(skb), acked = ack - TCP_SKB_CB(skb)->seq, mss = skb->gso_size;

	if (!mss)
		return;
	skb->len -= acked;
	TCP_SKB_CB(skb)->seq = ack;
	skb->gso_segs = (__u16)((skb->len + mss - 1) / mss);
	if (skb->gso_segs <= 1) {
		skb->gso_segs = 1;
		skb->gso_size = 0;
	}
	tp->packets_out -= old - tcp_skb_pcount(skb);
}

/* mirrors tcp_ack() → tcp_clean_rtx_queue(), v6.1. Replaying what if, the
 * recorded ACKs name the kernel's sequence numbers, not the replay's: the
 * peer is taken to acknowledge what the replay sent by then. */
void tcp_ack(struct tcp_sock *tp, __u32 ack)
{
	struct sk_buff *skb;

	if (after(ack, tp->snd_nxt) && replay_opts__what_if(tp->opts))
		ack = tp->snd_nxt;
	if (!after(ack, tp->snd_una) || after(ack, tp->snd_nxt))
		return;
	tp->snd_una = ack;
	while ((skb = skb_peek(&tp->rtx_queue))) {
		if (after(TCP_SKB_CB(skb)->end_seq, ack)) {
			if (after(ack, TCP_SKB_CB(skb)->seq) && tcp_skb_pcount(skb) > 1)
				tcp_tso_acked(tp, skb, ack);
			break;
		}
		tp->packets_out -= tcp_skb_pcount(skb) < tp->packets_out ? tcp_skb_pcount(skb)
									 : tp->packets_out;
		__skb_unlink(skb);
		tcp_free_skb(tp, skb);
	}
	if (skb_peek(&tp->rtx_queue) == NULL)
		tp->packets_out = 0;
}
