// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * include/net/neighbour.h: neigh_output() puts the Ethernet header the
 * neighbour entry cached in front (neigh_hh_output). The entry is the
 * recording's: the addresses of the socket's first frame, or --dst-mac.
 */
#include <string.h>

#include "dev.h"
#include "ip_output.h"
#include "tcp.h"

void neigh_output(struct tcp_sock *tp, struct sk_buff *skb)
{
	const struct replay_sock *rs = tp->rs;
	__u8 *eth = skb_push(skb, 14);

	memset(eth, 0, 12);
	if (rs->nr_frames && rs->frames[0].snap_len >= 12)
		memcpy(eth, rs->frames[0].snap, 12);
	if (tp->opts->dst_mac_set)
		memcpy(eth, tp->opts->dst_mac, 6);
	eth[12] = rs->flow.family == 10 ? 0x86 : 0x08;
	eth[13] = rs->flow.family == 10 ? 0xdd : 0x00;
	dev_queue_xmit(tp->dev, tp, skb);
}
