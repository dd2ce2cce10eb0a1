// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * net/ipv4/tcp.c: how the bytes of a send() become write-queue skbs.
 * The kernel appends to the tail skb while it has room for size_goal bytes
 * and may still take more, and starts a new one otherwise; a full skb is
 * pushed at once (tcp_push_one), and the send() ends with tcp_push().
 */
#include <errno.h>

#include "tcp.h"

/* mirrors tcp_skb_can_collapse_to(), include/net/tcp.h, v6.1 */
bool tcp_skb_can_collapse_to(const struct sk_buff *skb)
{
	return !TCP_SKB_CB(skb)->eor;
}

/* mirrors forced_push(), net/ipv4/tcp.c, v6.1: half a window unpushed */
static bool forced_push(const struct tcp_sock *tp)
{
	return after(tp->write_seq, tp->pushed_seq + (tp->max_window >> 1));
}

/* mirrors tcp_skb_entail(), net/ipv4/tcp.c, v6.1 */
static struct sk_buff *tcp_stream_alloc_skb(struct tcp_sock *tp)
{
	struct sk_buff *skb = alloc_skb();

	if (!skb) {
		tp->err = -ENOMEM;
		return NULL;
	}
	/* the send buffer bounds the kernel's queue; a record that claims
	 * more than this many skbs is damaged */
	if (++tp->queued > TCP_QUEUE_MAX) {
		kfree_skb(skb);
		tp->err = -E2BIG;
		return NULL;
	}
	skb->data = SKB_HEAD_MAX;
	TCP_SKB_CB(skb)->seq = TCP_SKB_CB(skb)->end_seq = tp->write_seq;
	TCP_SKB_CB(skb)->tcp_flags = TCPHDR_ACK;
	__skb_queue_tail(&tp->write_queue, skb);
	return skb;
}

#define TCP_MSS_DEFAULT 536

/* mirrors tcp_bound_to_half_wnd(), include/net/tcp.h, v6.1 */
static __u32 tcp_bound_to_half_wnd(const struct tcp_sock *tp, __u32 pktsize)
{
	__u32 cutoff = tp->max_window > TCP_MSS_DEFAULT ? tp->max_window >> 1 : tp->max_window;

	if (cutoff && pktsize > cutoff)
		return cutoff > 68 - 32 ? cutoff : 68 - 32;
	return pktsize;
}

/*
 * mirrors tcp_xmit_size_goal(), net/ipv4/tcp.c, v6.1: how big an skb
 * tcp_sendmsg_locked fills, for recordings whose probe (fentry, kprobe at
 * its entry) could not see it: what the device's GSO size allows, bounded
 * by half the largest window, kept while it stays within one MSS.
 */
__u32 tcp_xmit_size_goal(struct tcp_sock *tp, __u32 mss_now)
{
	__u32 new_size_goal = tcp_bound_to_half_wnd(tp, sk_gso_max_size(tp));
	__u32 size_goal = tp->gso_segs * mss_now;

	if (new_size_goal < size_goal || new_size_goal >= size_goal + mss_now) {
		tp->gso_segs =
			(__u16)(new_size_goal / mss_now < 65535 ? new_size_goal / mss_now : 65535);
		size_goal = tp->gso_segs * mss_now;
	}
	return size_goal > mss_now ? size_goal : mss_now;
}

/* mirrors tcp_push(), net/ipv4/tcp.c, v6.1. Autocorking waits for a TX
 * completion that loopback and veth give before tcp_sendmsg returns (their
 * xmit hands the skb up at once), so it is not modelled. */
static void tcp_push(struct tcp_sock *tp, __u32 flags, __u32 mss_now, int nonagle)
{
	struct sk_buff *skb = skb_peek_tail(&tp->write_queue);

	if (!skb)
		return;
	if (!(flags & MSG_MORE) || forced_push(tp))
		tcp_mark_push(tp, skb);
	if (flags & MSG_MORE)
		nonagle = TCP_NAGLE_CORK;
	__tcp_push_pending_frames(tp, mss_now, nonagle);
}

/*
 * mirrors the copy loop of tcp_sendmsg_locked(), net/ipv4/tcp.c, v6.1: copy
 * bytes of snd, as one recorded loop of it did (the tracepoint fires once
 * per loop; fentry once per call, then copy is all of it). tp->mss_cache
 * and tp->size_goal are what tcp_send_mss() gave that loop.
 */
void tcp_sendmsg_locked(struct tcp_sock *tp, const struct rs_send *snd, __u32 copy, bool last)
{
	__u32 mss_now = tp->mss_cache, size_goal = tp->size_goal;

	if (!size_goal) {
		tp->err = -EINVAL; /* a send() before any MSS was recorded */
		return;
	}

	while (copy) {
		struct sk_buff *skb = skb_peek_tail(&tp->write_queue);
		__s64 room = 0;
		__u32 n;

		if (skb)
			room = (__s64)size_goal - skb->len;
		if (!skb || room <= 0 || !tcp_skb_can_collapse_to(skb)) {
			if (tp->process_backlog >= 16)
				tp->process_backlog = 0; /* sk_flush_backlog() */
			skb = tcp_stream_alloc_skb(tp);
			if (!skb)
				return;
			tp->process_backlog++;
			room = size_goal;
		}
		n = room < copy ? (__u32)room : copy;
		/* the first bytes of a send() take back the PSH a previous
		 * tcp_push put on a tail skb still waiting */
		if (!tp->copied)
			TCP_SKB_CB(skb)->tcp_flags &= ~TCPHDR_PSH;
		skb->len += n;
		TCP_SKB_CB(skb)->end_seq += n;
		/* tcp_skb_pcount_set(skb, 0): tcp_write_xmit counts it again */
		skb->gso_segs = 0;
		tp->write_seq += n;
		tp->copied += n;
		copy -= n;
		if (!copy && last) {
			if (snd->flags & MSG_EOR)
				TCP_SKB_CB(skb)->eor = true;
			break;
		}
		if (skb->len < size_goal || (snd->flags & MSG_OOB))
			continue;
		if (forced_push(tp)) {
			tcp_mark_push(tp, skb);
			__tcp_push_pending_frames(tp, mss_now, TCP_NAGLE_PUSH);
		} else if (skb == skb_peek(&tp->write_queue)) {
			tcp_push_one(tp, mss_now);
		}
	}
	if (last && tp->copied)
		tcp_push(tp, snd->flags, mss_now, tp->nonagle);
}

/*
 * A loop of tcp_sendmsg_locked() that copied nothing: it found no room for
 * a new skb. Either the socket's backlog was due (every 16 new skbs it is
 * processed, and the loop restarts), or the send buffer was full and the
 * task waited for ACKs to free it (wait_for_space), pushing what it had
 * copied first.
 */
void tcp_sendmsg_wait(struct tcp_sock *tp, const struct rs_send *snd)
{
	if (tp->process_backlog >= 16) {
		tp->process_backlog = 0;
		return;
	}
	if (tp->copied)
		tcp_push(tp, snd->flags & ~MSG_MORE, tp->mss_cache, TCP_NAGLE_PUSH);
}

/* mirrors tcp_send_fin(), net/ipv4/tcp_output.c, v6.1: the FIN rides on an
 * unsent tail skb, or gets one of its own, and goes out now */
void tcp_send_fin(struct tcp_sock *tp)
{
	struct sk_buff *skb = skb_peek_tail(&tp->write_queue);

	if (tp->fin_queued)
		return;
	tp->fin_queued = true;
	if (!skb) {
		skb = tcp_stream_alloc_skb(tp);
		if (!skb)
			return;
	}
	TCP_SKB_CB(skb)->tcp_flags |= TCPHDR_FIN;
	TCP_SKB_CB(skb)->end_seq++;
	tp->write_seq++;
	__tcp_push_pending_frames(tp, tp->mss_cache, TCP_NAGLE_OFF);
}
