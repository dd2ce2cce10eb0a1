// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * net/ipv4/tcp_output.c: which write-queue skbs leave now and how big
 * (tcp_write_xmit: cwnd and receive window, Nagle, TSO sizing and
 * deferral), and the TCP header each one gets (__tcp_transmit_skb).
 */
#include <errno.h>
#include <string.h>

#include "checksum.h"
#include "dev.h"
#include "frame.h"
#include "ip_output.h"
#include "tcp.h"

#define NSEC_PER_SEC	    1000000000ULL
#define NSEC_PER_USEC	    1000ULL
#define NSEC_PER_MSEC	    1000000ULL
#define TCP_TSO_WIN_DIVISOR 3 /* net.ipv4.tcp_tso_win_divisor's default */

/* mirrors tcp_skb_pcount() and tcp_set_skb_tso_segs(), v6.1 */
__u32 tcp_skb_pcount(const struct sk_buff *skb)
{
	return skb->gso_segs ? skb->gso_segs : 1;
}

static void tcp_set_skb_tso_segs(struct sk_buff *skb, __u32 mss_now)
{
	if (skb->len <= mss_now) {
		skb->gso_size = 0;
		skb->gso_segs = 1;
	} else {
		skb->gso_size = (__u16)mss_now;
		skb->gso_segs = (__u16)((skb->len + mss_now - 1) / mss_now);
	}
}

/* mirrors tcp_init_tso_segs(), v6.1 */
static __u32 tcp_init_tso_segs(struct sk_buff *skb, __u32 mss_now)
{
	__u32 segs = skb->gso_segs;

	if (!segs || (segs > 1 && skb->gso_size != mss_now))
		tcp_set_skb_tso_segs(skb, mss_now);
	return tcp_skb_pcount(skb);
}

void tcp_mark_push(struct tcp_sock *tp, struct sk_buff *skb)
{
	TCP_SKB_CB(skb)->tcp_flags |= TCPHDR_PSH;
	tp->pushed_seq = tp->write_seq;
}

/* mirrors tcp_packets_in_flight(), include/net/tcp.h: what the peer has
 * neither acknowledged, SACKed nor lost, plus what went again */
static __u32 tcp_packets_in_flight(const struct tcp_sock *tp)
{
	__u32 left = tp->sacked_out + tp->lost_out;

	return (tp->packets_out > left ? tp->packets_out - left : 0) + tp->retrans_out;
}

/* mirrors tcp_cwnd_test(), v6.1: how many segments cwnd lets go now */
static __u32 tcp_cwnd_test(const struct tcp_sock *tp)
{
	__u32 in_flight = tcp_packets_in_flight(tp), halfcwnd;

	if (in_flight >= tp->snd_cwnd)
		return 0;
	halfcwnd = tp->snd_cwnd >> 1 ? tp->snd_cwnd >> 1 : 1;
	return halfcwnd < tp->snd_cwnd - in_flight ? halfcwnd : tp->snd_cwnd - in_flight;
}

/* mirrors tcp_snd_wnd_test(), v6.1 */
static bool tcp_snd_wnd_test(const struct tcp_sock *tp, const struct sk_buff *skb, __u32 cur_mss)
{
	__u32 end_seq = TCP_SKB_CB(skb)->end_seq;

	if (skb->len > cur_mss)
		end_seq = TCP_SKB_CB(skb)->seq + cur_mss;
	return !after(end_seq, tcp_wnd_end(tp));
}

/* mirrors tcp_minshall_check(), tcp_nagle_check(), tcp_nagle_test(), v6.1:
 * a small segment waits while an earlier small one is unacknowledged */
static bool tcp_minshall_check(const struct tcp_sock *tp)
{
	return after(tp->snd_sml, tp->snd_una) && !after(tp->snd_sml, tp->snd_nxt);
}

static bool tcp_nagle_check(bool partial, const struct tcp_sock *tp, int nonagle)
{
	return partial && ((nonagle & TCP_NAGLE_CORK) ||
			   (!nonagle && tp->packets_out && tcp_minshall_check(tp)));
}

static bool tcp_nagle_test(const struct tcp_sock *tp, const struct sk_buff *skb, __u32 cur_mss,
			   int nonagle)
{
	if (nonagle & TCP_NAGLE_PUSH)
		return true;
	if (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN)
		return true;
	return !tcp_nagle_check(skb->len < cur_mss, tp, nonagle);
}

static bool tcp_skb_is_last(const struct tcp_sock *tp, const struct sk_buff *skb)
{
	return skb == skb_peek_tail(&tp->write_queue);
}

/*
 * mirrors tcp_tso_segs() and tcp_tso_autosize(), v6.1: how many segments a
 * TSO frame should carry: what the pacing rate sends in 1/1024 s
 * (sk_pacing_shift), plus sk_gso_max_size halved for every 512 us of min
 * RTT (tcp_tso_rtt_log), at most sk_gso_max_size (the device's GSO limit
 * less MAX_TCP_HEADER + 1), at least min_tso_segs (2; BBR's is 1 below
 * 150 kB/s). Recordings before ABI 3 lack the rate and min RTT: the rate
 * is then tcp_update_pacing_rate()'s and the min RTT the smoothed one.
 */
static __u32 tcp_tso_segs(const struct tcp_sock *tp, __u32 mss_now)
{
	__u64 gso_max = sk_gso_max_size(tp), rate = tp->pacing_rate, bytes;
	__u32 min_rtt = tp->min_rtt_us ? tp->min_rtt_us : tp->srtt_us >> 3, r, min_tso = 2, segs;
	unsigned int shift;

	if (!tp->pacing_status) {
		__u32 cwnd = tp->snd_cwnd > tp->packets_out ? tp->snd_cwnd : tp->packets_out;

		rate = (__u64)tp->mss_cache * ((1000000 / 100) << 3) *
		       (tp->snd_cwnd < tp->snd_ssthresh / 2 ? 200 : 120) * cwnd;
		rate = tp->srtt_us ? rate / tp->srtt_us : ~0ULL;
	} else if (tp->pacing_status == 1 + 1 && rate < 1200000 / 8) {
		min_tso = 1; /* bbr_min_tso_segs() */
	}
	/* sk_pacing_shift is 10 unless a driver lowered it (wifi: 8) */
	shift = tp->pacing_shift && tp->pacing_shift < 32 ? tp->pacing_shift : 10;
	bytes = rate == ~0ULL ? gso_max : rate >> shift;
	r = min_rtt >> 9;
	if (r < 32)
		bytes += gso_max >> r;
	if (bytes > gso_max)
		bytes = gso_max;
	segs = (__u32)(bytes / mss_now);
	return segs > min_tso ? segs : min_tso;
}

/* mirrors tcp_grow_skb(), v6.10+: the head skb takes bytes from the next
 * one until it holds what cwnd allows; an emptied next skb is eaten */
static void tcp_grow_skb(struct tcp_sock *tp, struct sk_buff *skb, __u32 amount)
{
	struct sk_buff *next = skb_queue_next(&tp->write_queue, skb);
	__u32 nlen;

	if (!next || !tcp_skb_can_collapse_to(skb))
		return;
	nlen = amount < next->len ? amount : next->len;
	if (!nlen)
		return;
	skb->len += nlen;
	next->len -= nlen;
	TCP_SKB_CB(skb)->end_seq += nlen;
	TCP_SKB_CB(next)->seq += nlen;
	if (!next->len) {
		/* tcp_eat_one_skb(): flags (PSH, FIN) and eor move over */
		TCP_SKB_CB(skb)->end_seq = TCP_SKB_CB(next)->end_seq;
		TCP_SKB_CB(skb)->tcp_flags |= TCP_SKB_CB(next)->tcp_flags;
		TCP_SKB_CB(skb)->eor = TCP_SKB_CB(next)->eor;
		__skb_unlink(next);
		tcp_free_skb(tp, next);
	}
}

/* mirrors tcp_mss_split_point(), v6.1 */
static __u32 tcp_mss_split_point(const struct tcp_sock *tp, const struct sk_buff *skb,
				 __u32 mss_now, __u32 max_segs, int nonagle)
{
	__u32 partial, needed, window, max_len;

	window = tcp_wnd_end(tp) - TCP_SKB_CB(skb)->seq;
	max_len = mss_now * max_segs;
	if (max_len <= window && !tcp_skb_is_last(tp, skb))
		return max_len;
	needed = skb->len < window ? skb->len : window;
	if (max_len <= needed)
		return max_len;
	partial = needed % mss_now;
	if (tcp_nagle_check(partial != 0, tp, nonagle))
		return needed - partial;
	return needed;
}

/* mirrors tso_fragment(), v6.1: the first len bytes stay, the rest becomes
 * a new skb right after it; PSH and FIN go with the rest */
static int tso_fragment(struct tcp_sock *tp, struct sk_buff *skb, __u32 len, __u32 mss_now)
{
	struct sk_buff *buff = alloc_skb();
	__u8 flags = TCP_SKB_CB(skb)->tcp_flags;

	if (!buff)
		return tp->err = -ENOMEM;
	tp->queued++;
	buff->data = SKB_HEAD_MAX;
	buff->len = skb->len - len;
	TCP_SKB_CB(buff)->seq = TCP_SKB_CB(skb)->seq + len;
	TCP_SKB_CB(buff)->end_seq = TCP_SKB_CB(skb)->end_seq;
	TCP_SKB_CB(skb)->end_seq = TCP_SKB_CB(buff)->seq;
	TCP_SKB_CB(skb)->tcp_flags = flags & ~(TCPHDR_FIN | TCPHDR_PSH);
	TCP_SKB_CB(buff)->tcp_flags = flags;
	TCP_SKB_CB(buff)->eor = TCP_SKB_CB(skb)->eor;
	TCP_SKB_CB(skb)->eor = false;
	skb->len = len;
	tcp_set_skb_tso_segs(skb, mss_now);
	tcp_set_skb_tso_segs(buff, mss_now);
	__skb_queue_after(skb, buff);
	return 0;
}

/*
 * mirrors tcp_tso_should_defer(), v6.1: hold a TSO skb that cannot go out
 * whole when an ACK (which opens more room) is likely soon. The clock is
 * the input being processed; srtt comes from the recording.
 */
static bool tcp_tso_should_defer(const struct tcp_sock *tp, const struct sk_buff *skb,
				 __u32 max_segs)
{
	__u32 send_win, cong_win, limit, in_flight = tcp_packets_in_flight(tp);
	const struct sk_buff *head;
	__s64 delta;

	if (tp->ca_state >= 3) /* TCP_CA_Recovery: send what may go */
		return false;
	/* the last write left over a millisecond ago: do not add a burst */
	if ((__s64)(tp->now - tp->tcp_wstamp_ns) > (__s64)NSEC_PER_MSEC)
		return false;
	send_win = tcp_wnd_end(tp) - TCP_SKB_CB(skb)->seq;
	cong_win = (tp->snd_cwnd - in_flight) * tp->mss_cache;
	limit = send_win < cong_win ? send_win : cong_win;
	if (limit >= max_segs * tp->mss_cache)
		return false;
	if (!tcp_skb_is_last(tp, skb) && limit >= skb->len)
		return false;
	if (limit >= (tp->snd_wnd < tp->snd_cwnd * tp->mss_cache ? tp->snd_wnd
								 : tp->snd_cwnd * tp->mss_cache) /
			     TCP_TSO_WIN_DIVISOR)
		return false;
	head = skb_peek(&tp->rtx_queue);
	if (!head)
		return false;
	if (tp->kver >= 610) {
		/* v6.18: the next ACK is expected an srtt after the oldest
		 * unacknowledged frame left; more than min(srtt/2, 1 ms)
		 * away: send */
		__u64 srtt_ns = 125ULL * tp->srtt_us, expected = head->tstamp + srtt_ns;
		__u64 threshold = srtt_ns / 2 < NSEC_PER_MSEC ? srtt_ns / 2 : NSEC_PER_MSEC;

		if ((__s64)(expected - tp->now - threshold) > 0)
			return false;
	} else {
		/* v6.1: the next ACK is likely to come later than half an
		 * srtt: send */
		delta = (__s64)(tp->now - head->tstamp);
		if (delta - (__s64)(NSEC_PER_USEC * (tp->srtt_us >> 4)) < 0)
			return false;
	}
	if (cong_win < send_win) {
		if (cong_win <= skb->len)
			return true;
	} else if (send_win <= skb->len) {
		return true;
	}
	if ((TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN) || TCP_SKB_CB(skb)->eor)
		return false;
	return true;
}

/* The kernel frame whose receive-side share (ACK number, window,
 * timestamps, SACK) and departure this transmission takes: in a faithful
 * replay the next one the kernel sent, else the latest before now. */
const struct rs_frame *tcp_pair_frame(const struct tcp_sock *tp, size_t *idx)
{
	const struct replay_sock *rs = tp->rs;
	size_t lo, hi;

	if (!replay_opts__what_if(tp->opts)) {
		for (size_t i = tp->next_frame; i < rs->nr_frames; i++) {
			if (rs->frames[i].modeled) {
				*idx = i;
				return &rs->frames[i];
			}
		}
	}
	/* frames are in time order: the last one at or before now, by
	 * bisection (a what-if replay asks this for every frame it makes) */
	*idx = SIZE_MAX;
	lo = 0;
	hi = rs->nr_frames;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->frames[mid].ts <= tp->now)
			lo = mid + 1;
		else
			hi = mid;
	}
	return rs->nr_frames ? &rs->frames[lo ? lo - 1 : 0] : NULL;
}

static __u8 *put32(__u8 *p, __u32 v)
{
	p[0] = (__u8)(v >> 24);
	p[1] = (__u8)(v >> 16);
	p[2] = (__u8)(v >> 8);
	p[3] = (__u8)v;
	return p + 4;
}

/* mirrors tcp_established_options() and tcp_options_write(), v6.1 */
static __u8 tcp_options_write(const struct tcp_sock *tp, const struct frame_hdr *peer, __u8 *p)
{
	__u8 *o = p;
	unsigned int nr_sack = peer ? peer->nr_sack : 0, room = 40;

	if (tp->rs->tstamp_ok) {
		o = put32(o, 0x0101080a);
		o = put32(o, peer && peer->ts ? peer->tsval : 0);
		o = put32(o, peer && peer->ts ? peer->tsecr : 0);
		room -= 12;
	}
	if (nr_sack > (room - 4) / 8)
		nr_sack = (room - 4) / 8;
	if (nr_sack) {
		o = put32(o, 0x01010500 | (2 + 8 * nr_sack));
		for (unsigned int i = 0; i < nr_sack; i++) {
			o = put32(o, peer->sack[i][0]);
			o = put32(o, peer->sack[i][1]);
		}
	}
	return (__u8)(o - p);
}

/* mirrors tcp_update_skb_after_send(), v6.1: a paced socket's next frame
 * may leave once this one's bytes have left at the pacing rate (sch_fq
 * does not pace the first 10 segments either) */
static void tcp_update_skb_after_send(struct tcp_sock *tp, const struct sk_buff *skb,
				      __u64 prior_wstamp)
{
	__u64 len_ns, credit;

	if (tp->pacing_status <= 1 || !tp->pacing_rate || tp->pacing_rate == ~0ULL ||
	    tp->data_segs_out < 10)
		return;
	len_ns = (__u64)skb->len * NSEC_PER_SEC / tp->pacing_rate;
	credit = tp->tcp_wstamp_ns - prior_wstamp;
	/* take into account OS jitter */
	len_ns -= len_ns / 2 < credit ? len_ns / 2 : credit;
	tp->tcp_wstamp_ns += len_ns;
}

/*
 * mirrors __tcp_transmit_skb(), v6.1: a clone of skb goes down with its TCP
 * header. The checksum is left as __tcp_v4_send_check() leaves it for a
 * device that completes it: the pseudo-header's sum.
 */
static void __tcp_transmit_skb(struct tcp_sock *tp, struct sk_buff *skb)
{
	const struct tsend_flow *fl = &tp->rs->flow;
	struct sk_buff clone;
	const struct rs_frame *pf;
	struct frame_hdr peer;
	bool have_peer = false;
	__u8 opts[40], olen, *th;
	unsigned int alen = fl->family == 10 ? 16 : 4;
	__u64 prior_wstamp;
	size_t idx;

	/* a PSH on every GSO packet makes the receiver's GRO flush sooner */
	if (tcp_skb_pcount(skb) > 1)
		TCP_SKB_CB(skb)->tcp_flags |= TCPHDR_PSH;
	pf = tcp_pair_frame(tp, &idx);
	if (pf)
		have_peer = frame_parse(pf->snap, pf->snap_len, &peer) && peer.has_tcp;
	olen = tcp_options_write(tp, have_peer ? &peer : NULL, opts);
	clone = *skb;
	clone.next = clone.prev = NULL;
	clone.data = SKB_HEAD_MAX;
	th = skb_push(&clone, (__u16)(20 + olen));
	clone.transport_off = clone.data;
	th[0] = (__u8)(fl->sport >> 8);
	th[1] = (__u8)fl->sport;
	th[2] = (__u8)(fl->dport >> 8);
	th[3] = (__u8)fl->dport;
	put32(th + 4, TCP_SKB_CB(skb)->seq);
	put32(th + 8, have_peer ? peer.ack : 0);
	th[12] = (__u8)(((20 + olen) / 4) << 4);
	th[13] = TCP_SKB_CB(skb)->tcp_flags;
	th[14] = (__u8)((have_peer ? peer.window : 0) >> 8);
	th[15] = (__u8)(have_peer ? peer.window : 0);
	th[16] = th[17] = th[18] = th[19] = 0;
	memcpy(th + 20, opts, olen);
	{
		__u16 sum = csum_fold16(
			csum_tcp_pseudo(fl->saddr, fl->daddr, alen, 20 + olen + skb->len));

		th[16] = (__u8)(sum >> 8);
		th[17] = (__u8)sum;
	}
	clone.csum_partial = true;
	prior_wstamp = tp->tcp_wstamp_ns;
	if (tp->now > tp->tcp_wstamp_ns)
		tp->tcp_wstamp_ns = tp->now;
	if (skb->len)
		tp->data_segs_out += tcp_skb_pcount(skb);
	ip_queue_xmit(tp, &clone);
	skb->tstamp = tp->tcp_wstamp_ns;
	tcp_update_skb_after_send(tp, skb, prior_wstamp);
}

/* mirrors tcp_event_new_data_sent(), v6.1: the skb moves to the rtx queue */
static void tcp_event_new_data_sent(struct tcp_sock *tp, struct sk_buff *skb)
{
	tp->snd_nxt = TCP_SKB_CB(skb)->end_seq;
	__skb_unlink(skb);
	__skb_queue_tail(&tp->rtx_queue, skb);
	tp->packets_out += tcp_skb_pcount(skb);
}

/* mirrors tcp_minshall_update(), v6.1 */
static void tcp_minshall_update(struct tcp_sock *tp, __u32 mss_now, const struct sk_buff *skb)
{
	if (skb->len < tcp_skb_pcount(skb) * mss_now)
		tp->snd_sml = TCP_SKB_CB(skb)->end_seq;
}

/* net.ipv4.tcp_limit_output_bytes, its default: 1 MiB, 4 MiB since 6.9 */
#define TCP_LIMIT_OUTPUT_BYTES(kver) ((kver) >= 609 ? 4U << 20 : 1U << 20)

/* skb_set_owner_w() in __tcp_transmit_skb: the kernel's frame idx is
 * charged to the socket until the driver frees it (RIN_WFREE), when that
 * was recorded and is still to come */
void tcp_wmem_charge(struct tcp_sock *tp, size_t idx)
{
	const struct rs_frame *k = &tp->rs->frames[idx];

	tp->xmit_done = k->done_ts ? k->done_ts : k->ts;
	if (tp->truesize_base && k->free_ts > tp->now && tp->nr_inflight < tp->rs->nr_frames)
		tp->inflight[tp->nr_inflight++] = (__u32)idx;
}

/*
 * sk_wmem_alloc as the kernel read it when it checked the next skb: after
 * the driver returned the last one (xmit_done), when frees may have come
 * in meanwhile; an emulated or slow NIC takes long enough for that.
 */
static __u64 tcp_wmem_alloc(const struct tcp_sock *tp)
{
	__u64 at = tp->xmit_done > tp->now ? tp->xmit_done : tp->now, sum = 1;

	for (size_t i = 0; i < tp->nr_inflight; i++) {
		const struct rs_frame *k = &tp->rs->frames[tp->inflight[i]];

		if (k->free_ts > at)
			sum += k->truesize;
	}
	return sum;
}

/*
 * mirrors tcp_small_queue_check(), v6.1 and v6.18: no more below TCP than
 * two skbs or about a millisecond at the pacing rate, until the driver
 * frees what it holds (RIN_WFREE). Only where the recording shows the
 * frees: loopback and veth orphan an skb as they take it, so the socket
 * is never charged there.
 */
static bool tcp_small_queue_check(struct tcp_sock *tp, const struct sk_buff *skb)
{
	__u64 limit = 2 * ((__u64)tp->truesize_base + skb->len);
	__u32 shift = tp->pacing_shift && tp->pacing_shift < 32 ? tp->pacing_shift : 10;
	const struct sk_buff *first = skb_peek(&tp->rtx_queue);

	if (!tp->truesize_base)
		return false;
	if (tp->pacing_rate != ~0ULL && tp->pacing_rate >> shift > limit)
		limit = tp->pacing_rate >> shift;
	/* before 6.16 a paced socket (fq, BBR) was not held to the sysctl */
	if ((tp->kver >= 616 || tp->pacing_status <= 1) && limit > TCP_LIMIT_OUTPUT_BYTES(tp->kver))
		limit = TCP_LIMIT_OUTPUT_BYTES(tp->kver);
	if (tcp_wmem_alloc(tp) <= limit)
		return false;
	/* always send when the rtx queue is empty or holds one skb (6.7, and
	 * 6.1 stable: Debian's 6.1 sends over the limit with one in flight):
	 * TX completions may come too late to call TCP back in time */
	if (!first || !skb_queue_next(&tp->rtx_queue, first))
		return false;
	tp->tsq_throttled = true;
	return true;
}

/*
 * A faithful replay's evidence where microseconds of scheduling decided:
 * did the kernel send its next frame before the socket did anything else?
 * For the pacing check, its clock (tcp_clock_cache, read at
 * tcp_write_xmit's start) had then passed tcp_wstamp_ns; a frame the
 * pacing timer released leaves after that timer's run. For a loss probe,
 * an ACK that took the socket's lock first (its timestamp a few
 * microseconds later) re-armed the timer, and the probe sent nothing.
 */
static bool tcp_kernel_sent_next(const struct tcp_sock *tp)
{
	const struct rs_frame *k;
	size_t idx;

	if (replay_opts__what_if(tp->opts))
		return false;
	k = tcp_pair_frame(tp, &idx);
	return idx != SIZE_MAX && k->ts < tp->next_event_ts;
}

/* mirrors tcp_write_xmit(), v6.1 and v6.18, without MTU probing (off by
 * default) */
static bool tcp_write_xmit(struct tcp_sock *tp, __u32 mss_now, int nonagle, int push_one)
{
	__u32 max_segs = tcp_tso_segs(tp, mss_now), sent_pkts = 0;
	struct sk_buff *skb;

	while ((skb = skb_peek(&tp->write_queue)) && !tp->err) {
		__u32 tso_segs, cwnd_quota, limit;

		/* tcp_pacing_check(): TCP's own pacing (SK_PACING_NEEDED, as
		 * BBR asks for) holds the queue until its hrtimer fires */
		if (tp->pacing_status == 1 + 1 && tp->tcp_wstamp_ns > tp->now) {
			if (!tcp_kernel_sent_next(tp)) {
				tp->pacing_timer = true;
				break;
			}
			tp->now = tp->tcp_wstamp_ns;
		}
		cwnd_quota = tcp_cwnd_test(tp);
		if (!cwnd_quota) {
			if (push_one != 2)
				break;
			cwnd_quota = 1; /* a loss probe goes out whatever cwnd says */
		}
		if (tp->kver >= 610) {
			/* 6.10 grows the head skb to what cwnd allows */
			cwnd_quota = cwnd_quota < max_segs ? cwnd_quota : max_segs;
			if (cwnd_quota * mss_now > skb->len)
				tcp_grow_skb(tp, skb, cwnd_quota * mss_now - skb->len);
			tcp_set_skb_tso_segs(skb, mss_now);
			tso_segs = tcp_skb_pcount(skb);
		} else {
			tso_segs = tcp_init_tso_segs(skb, mss_now);
		}
		if (!tcp_snd_wnd_test(tp, skb, mss_now))
			break;
		if (tso_segs == 1) {
			if (!tcp_nagle_test(tp, skb, mss_now,
					    tcp_skb_is_last(tp, skb) ? nonagle : TCP_NAGLE_PUSH))
				break;
		} else if (!push_one && tcp_tso_should_defer(tp, skb, max_segs)) {
			break;
		}
		limit = mss_now;
		if (tso_segs > 1)
			limit = tcp_mss_split_point(tp, skb, mss_now,
						    cwnd_quota < max_segs ? cwnd_quota : max_segs,
						    nonagle);
		if (skb->len > limit && tso_fragment(tp, skb, limit, mss_now))
			break;
		if (tcp_small_queue_check(tp, skb))
			break;
		/* an empty skb: a send() waits for memory in the middle */
		if (TCP_SKB_CB(skb)->end_seq == TCP_SKB_CB(skb)->seq)
			break;
		__tcp_transmit_skb(tp, skb);
		tcp_event_new_data_sent(tp, skb);
		tcp_minshall_update(tp, mss_now, skb);
		sent_pkts += tcp_skb_pcount(skb);
		if (push_one)
			break;
	}
	return !sent_pkts && skb_peek(&tp->write_queue);
}

void __tcp_push_pending_frames(struct tcp_sock *tp, __u32 mss_now, int nonagle)
{
	if (mss_now) /* no MSS recorded yet: nothing can have left */
		tcp_write_xmit(tp, mss_now, nonagle, 0);
}

void tcp_push_one(struct tcp_sock *tp, __u32 mss_now)
{
	if (mss_now)
		tcp_write_xmit(tp, mss_now, TCP_NAGLE_PUSH, 1);
}

/* mirrors tcp_send_loss_probe(), v6.1: the tail loss probe sends new data
 * if the window has room for it, ignoring cwnd; else it retransmits the
 * last segment, which tcp:tcp_retransmit_skb records */
void tcp_send_loss_probe(struct tcp_sock *tp)
{
	struct sk_buff *skb = skb_peek(&tp->write_queue);

	if (!replay_opts__what_if(tp->opts) && !tcp_kernel_sent_next(tp))
		return;
	if (skb && tp->mss_cache && tcp_snd_wnd_test(tp, skb, tp->mss_cache))
		tcp_write_xmit(tp, tp->mss_cache, TCP_NAGLE_OFF, 2);
}

/*
 * mirrors __tcp_retransmit_skb(), v6.1: the peer's timers and SACKs decided
 * [seq, end) goes again (tcp:tcp_retransmit_skb says which); the bytes and
 * flags are the rtx queue's, cut where the kernel cut them.
 */
void tcp_retransmit_skb(struct tcp_sock *tp, __u32 seq, __u32 end)
{
	struct sk_buff *skb;

	for (skb = skb_peek(&tp->rtx_queue); skb; skb = skb_queue_next(&tp->rtx_queue, skb)) {
		if (!before(seq, TCP_SKB_CB(skb)->end_seq))
			continue;
		if (TCP_SKB_CB(skb)->seq != seq)
			return; /* not at an skb boundary: not modelled */
		if (before(end, TCP_SKB_CB(skb)->end_seq) && after(end, seq)) {
			__u32 old = tcp_skb_pcount(skb);

			/* the rest stays on the rtx queue, as tcp_fragment() leaves it */
			if (tso_fragment(tp, skb, end - seq, tp->mss_cache))
				return;
			tp->packets_out += tcp_skb_pcount(skb) +
					   tcp_skb_pcount(skb_queue_next(&tp->rtx_queue, skb)) -
					   old;
		}
		__tcp_transmit_skb(tp, skb);
		/* in flight again until the next record says otherwise */
		tp->retrans_out += tcp_skb_pcount(skb);
		return;
	}
}
