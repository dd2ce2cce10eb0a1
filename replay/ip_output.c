// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * net/ipv4/ip_output.c (__ip_queue_xmit → ip_finish_output2) and
 * net/ipv6/ip6_output.c (ip6_xmit): the IP header in front of TCP's.
 * TTL, TOS and DF (hop limit, traffic class, flow label) are the socket's
 * settings, read from its first frame in the recording; the IPv4 ID is the
 * socket's counter, which every frame it sends advances, so the replay
 * counts the frames the send path does not make (ACKs) as they leave.
 */
#include <string.h>

#include "checksum.h"
#include "dev.h"
#include "frame.h"
#include "ip_output.h"
#include "tcp.h"

/* mirrors ip_select_ident_segs(), include/net/ip.h, v6.1: a connected
 * socket with DF set numbers its frames from inet_id, segs at a time */
static __u16 ip_select_ident_segs(struct tcp_sock *tp, __u16 segs, __u64 departure, bool *seeded)
{
	struct replay_sock *rs = tp->rs;
	struct frame_hdr h;
	__u16 id;

	for (; tp->next_pass < rs->nr_frames; tp->next_pass++) {
		const struct rs_frame *f = &rs->frames[tp->next_pass];

		if (f->modeled)
			continue;
		if (f->ts >= departure)
			break;
		if (!frame_parse(f->snap, f->snap_len, &h))
			continue;
		if (!tp->inet_id_set) {
			tp->inet_id = h.ip_id;
			tp->inet_id_set = true;
		}
		tp->inet_id += f->gso_segs > 1 ? f->gso_segs : 1;
	}
	*seeded = false;
	if (!tp->inet_id_set && tp->first_ok) {
		tp->inet_id = tp->first.ip_id;
		tp->inet_id_set = true;
		*seeded = true;
	}
	id = tp->inet_id;
	tp->inet_id += segs;
	return id;
}

void ip_queue_xmit(struct tcp_sock *tp, struct sk_buff *skb)
{
	const struct tsend_flow *fl = &tp->rs->flow;
	const struct frame_hdr *first = &tp->first;
	__u32 tot = SKB_HEAD_MAX - skb->data + skb->len;
	size_t idx;
	const struct rs_frame *pair = tcp_pair_frame(tp, &idx);
	__u64 departure = idx != SIZE_MAX ? pair->ts : tp->now;
	__u8 *ip;

	if (fl->family == 10) {
		__u32 w = 6U << 28 | (__u32)first->tos << 20 | first->flowlabel;

		ip = skb_push(skb, 40);
		ip[0] = (__u8)(w >> 24);
		ip[1] = (__u8)(w >> 16);
		ip[2] = (__u8)(w >> 8);
		ip[3] = (__u8)w;
		ip[4] = (__u8)(tot >> 8);
		ip[5] = (__u8)tot;
		ip[6] = 6;
		ip[7] = first->ttl;
		memcpy(ip + 8, fl->saddr, 16);
		memcpy(ip + 24, fl->daddr, 16);
	} else {
		__u16 id, sum;

		tot += 20;
		id = ip_select_ident_segs(tp, (__u16)tcp_skb_pcount(skb), departure,
					  &skb->id_seeded);
		ip = skb_push(skb, 20);
		ip[0] = 0x45;
		ip[1] = first->tos;
		ip[2] = (__u8)(tot >> 8);
		ip[3] = (__u8)tot;
		ip[4] = (__u8)(id >> 8);
		ip[5] = (__u8)id;
		ip[6] = (__u8)((first->frag_off & 0x4000) >> 8);
		ip[7] = 0;
		ip[8] = first->ttl;
		ip[9] = 6;
		ip[10] = ip[11] = 0;
		memcpy(ip + 12, fl->saddr, 4);
		memcpy(ip + 16, fl->daddr, 4);
		sum = (__u16)~csum_fold16(csum_partial(ip, 20, 0));
		ip[10] = (__u8)(sum >> 8);
		ip[11] = (__u8)sum;
	}
	skb->network_off = skb->data;
	neigh_output(tp, skb);
}
