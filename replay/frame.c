// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "frame.h"

static __u16 be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

/* mirrors tcp_parse_options(), net/ipv4/tcp_input.c: timestamps and SACK */
static void parse_options(struct frame_hdr *h)
{
	const __u8 *o = h->opts;
	__u32 i = 0, n = h->opts_len;

	while (i < n) {
		__u8 kind = o[i], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || (len = o[i + 1]) < 2 || i + len > n)
			break;
		if (kind == 8 && len == 10) {
			h->ts = true;
			h->tsval = be32(o + i + 2);
			h->tsecr = be32(o + i + 6);
		} else if (kind == 5 && (len - 2) % 8 == 0) {
			for (__u32 j = 0; j < (__u32)(len - 2) / 8 && h->nr_sack < 4; j++) {
				h->sack[h->nr_sack][0] = be32(o + i + 2 + 8 * j);
				h->sack[h->nr_sack][1] = be32(o + i + 6 + 8 * j);
				h->nr_sack++;
			}
		}
		i += len;
	}
}

bool frame_parse(const __u8 *p, __u32 len, struct frame_hdr *h)
{
	const __u8 *t;
	__u32 l4;

	memset(h, 0, sizeof(*h));
	if (len < 14)
		return false;
	memcpy(h->dst, p, 6);
	memcpy(h->src, p + 6, 6);
	h->ethertype = be16(p + 12);
	h->l3 = 14;
	if (h->ethertype == 0x0800 && len >= 14 + 20) {
		const __u8 *ip = p + 14;

		h->ip_version = 4;
		h->tos = ip[1];
		h->ihl = (ip[0] & 15) * 4;
		h->ip_len = be16(ip + 2);
		h->ip_id = be16(ip + 4);
		h->frag_off = be16(ip + 6);
		h->ttl = ip[8];
		h->protocol = ip[9];
		h->ip_csum = be16(ip + 10);
		memcpy(h->saddr, ip + 12, 4);
		memcpy(h->daddr, ip + 16, 4);
		l4 = 14 + h->ihl;
		if (h->ihl < 20)
			return false;
	} else if (h->ethertype == 0x86dd && len >= 14 + 40) {
		const __u8 *ip = p + 14;

		h->ip_version = 6;
		h->tos = (__u8)(be16(ip) >> 4);
		h->flowlabel = be32(ip) & 0xfffff;
		h->ip_len = be16(ip + 4);
		h->protocol = ip[6];
		h->ttl = ip[7];
		memcpy(h->saddr, ip + 8, 16);
		memcpy(h->daddr, ip + 24, 16);
		l4 = 14 + 40;
	} else {
		return false;
	}
	h->l4 = (__u16)l4;
	if (h->protocol != 6 || len < l4 + 20)
		return false;
	t = p + l4;
	h->sport = be16(t);
	h->dport = be16(t + 2);
	h->seq = be32(t + 4);
	h->ack = be32(t + 8);
	h->doff = (t[12] >> 4) * 4;
	h->flags = t[13];
	h->window = be16(t + 14);
	h->tcp_csum = be16(t + 16);
	h->urg = be16(t + 18);
	h->payload = l4 + h->doff;
	if (h->doff < 20 || len < l4 + h->doff)
		return true;
	h->has_tcp = true;
	h->opts_len = h->doff - 20;
	memcpy(h->opts, t + 20, h->opts_len);
	parse_options(h);
	return true;
}
