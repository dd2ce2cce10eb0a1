// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * net/core/dev.c: __dev_queue_xmit → qdisc → validate_xmit_skb →
 * dev_hard_start_xmit. A faithful replay leaves each frame when the
 * kernel's left (the recorded schedule); a what-if replay leaves when the
 * send path let it go, through pfifo_fast (at once) or fq (paced).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "dev.h"
#include "frame.h"
#include "tcp.h"
#include "tcp_offload.h"

#define GSO_MAX_SEGS 64 /* one TSO frame: 64 KiB of 1 KiB segments */

static struct rframe *dev_alloc_frame(struct net_device *dev)
{
	if (dev->nr >= DEV_FRAMES_MAX) {
		dev->err = -E2BIG;
		return NULL;
	}
	if (dev->nr == dev->cap) {
		size_t cap = dev->cap ? dev->cap * 2 : 256;
		struct rframe *p = realloc(dev->frames, cap * sizeof(*p));

		if (!p) {
			dev->err = -ENOMEM;
			return NULL;
		}
		dev->frames = p;
		dev->cap = cap;
	}
	return &dev->frames[dev->nr];
}

/* mirrors tcp_update_pacing_rate(), net/ipv4/tcp_input.c, v6.1: bytes/s */
static __u64 tcp_pacing_rate(const struct tcp_sock *tp)
{
	__u64 rate = (__u64)tp->mss_cache * ((1000000 / 100) << 3);
	__u32 cwnd = tp->snd_cwnd > tp->packets_out ? tp->snd_cwnd : tp->packets_out;

	rate *= tp->snd_cwnd < tp->snd_ssthresh / 2 ? 200 : 120;
	rate *= cwnd;
	return tp->srtt_us ? rate / tp->srtt_us : 0;
}

/* mirrors dev_hard_start_xmit() → xmit_one(): the frame leaves */
static void dev_hard_start_xmit(struct net_device *dev, struct tcp_sock *tp, const struct rframe *f)
{
	struct rframe *out = dev_alloc_frame(dev);
	const struct rs_frame *pair;
	size_t idx;

	if (!out)
		return;
	*out = *f;
	pair = tcp_pair_frame(tp, &idx);
	if (idx != SIZE_MAX) {
		out->ts = pair->ts;
		out->kframe = pair;
		tp->next_frame = idx + 1;
		tcp_wmem_charge(tp, idx);
	} else {
		out->kframe = NULL;
		out->ts = tp->now;
		if (dev->qdisc == QDISC_FQ)
			out->ts = fq_departure(&tp->fq, tp->now, f->head_len + f->payload_len,
					       tcp_pacing_rate(tp));
	}
	out->order = dev->order++;
	dev->nr++;
}

void dev_queue_xmit(struct net_device *dev, struct tcp_sock *tp, const struct sk_buff *skb)
{
	struct rframe f, segs[GSO_MAX_SEGS];

	memset(&f, 0, sizeof(f));
	f.rs = tp->rs;
	f.head_len = SKB_HEAD_MAX - skb->data;
	memcpy(f.head, skb->head + skb->data, f.head_len);
	f.l3 = skb->network_off - skb->data;
	f.l4 = skb->transport_off - skb->data;
	f.payload_off = (__u32)(TCP_SKB_CB(skb)->seq - tp->rs->seq0);
	f.payload_len = skb->len;
	f.gso_segs = (__u16)tcp_skb_pcount(skb);
	f.gso_size = f.gso_segs > 1 ? skb->gso_size : 0;
	f.csum_partial = tp->dev_csum;
	f.id_seeded = skb->id_seeded;
	f.payload_known = replay_sock__known(tp->rs, f.payload_off, f.payload_len);
	/* validate_xmit_skb(): a device without TSO, or a frame past its GSO
	 * size limit (gso_features_check), gets software GSO's segments */
	if (f.gso_size && (!tp->dev_tso || f.head_len + f.payload_len >= tp->dev_gso_max) &&
	    f.gso_segs <= GSO_MAX_SEGS) {
		size_t n = tcp_gso_segment(&f, segs, GSO_MAX_SEGS);

		for (size_t i = 0; i < n; i++)
			dev_hard_start_xmit(dev, tp, &segs[i]);
		return;
	}
	dev_hard_start_xmit(dev, tp, &f);
}

/* Did the kernel leave k's TCP checksum to the device (CHECKSUM_PARTIAL)?
 * Recorded since ABI 3; before, a checksum that sums only the pseudo-header
 * says so. */
bool rs_frame_csum_partial(const struct rs_frame *k, struct frame_hdr *h)
{
	if (!frame_parse(k->snap, k->snap_len, h) || !h->has_tcp)
		return false;
	if (k->csum)
		return k->csum == 1 + 3; /* CHECKSUM_PARTIAL */
	return h->tcp_csum ==
	       csum_fold16(csum_tcp_pseudo(h->saddr, h->daddr, h->ip_version == 6 ? 16 : 4,
					   k->wire_len - h->l4));
}

int dev_passthrough(struct net_device *dev, struct replay_sock *rs, const struct rs_frame *k)
{
	struct rframe *out = dev_alloc_frame(dev);
	struct frame_hdr h;

	if (!out)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	out->csum_partial = rs_frame_csum_partial(k, &h);
	out->l3 = h.l3;
	out->l4 = h.l4;
	out->rs = rs;
	out->kframe = k;
	out->ts = k->ts;
	out->passthrough = true;
	out->payload_known = true;
	out->order = dev->order++;
	dev->nr++;
	return 0;
}

__u32 rframe_build(const struct rframe *f, enum replay_view view, __u8 *buf, size_t cap)
{
	__u32 len = f->head_len + f->payload_len;

	if (f->passthrough) {
		len = f->kframe->snap_len;
		if (len > cap)
			return 0;
		memcpy(buf, f->kframe->snap, len);
		/* on the wire, the NIC has filled a checksum left to it */
		if (view == VIEW_WIRE && f->csum_partial && len == f->kframe->wire_len)
			skb_checksum_help(buf, len, f->l3, f->l4);
		return len;
	}
	if (len > cap)
		return 0;
	memcpy(buf, f->head, f->head_len);
	replay_sock__copy(f->rs, f->payload_off, f->payload_len, buf + f->head_len);
	if (view == VIEW_WIRE || !f->csum_partial)
		skb_checksum_help(buf, len, f->l3, f->l4);
	return len;
}
