// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "checksum.h"
#include "tcp_offload.h"

static __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

/* The pseudo-header checksum a CHECKSUM_PARTIAL TCP header carries. */
static void tcp_partial_csum(__u8 *head, __u16 l3, __u16 l4, __u32 tcp_len)
{
	bool v6 = (head[l3] >> 4) == 6;
	const __u8 *ip = head + l3;

	put16(head + l4 + 16, csum_fold16(csum_tcp_pseudo(ip + (v6 ? 8 : 12), ip + (v6 ? 24 : 16),
							  v6 ? 16 : 4, tcp_len)));
}

/* mirrors tcp_gso_segment() and inet_gso_segment()/ipv6_gso_segment(),
 * v6.1: seq advances, FIN and PSH stay on the last segment, CWR on the
 * first, the IPv4 ID counts up, lengths and header checksums follow */
size_t tcp_gso_segment(const struct rframe *f, struct rframe *out, size_t max)
{
	__u32 mss = f->gso_size, off = 0, seq;
	__u16 thlen = f->head_len - f->l4, id;
	size_t n = 0;

	if (!mss || f->payload_len <= mss || !max) {
		if (max)
			out[0] = *f;
		return max ? 1 : 0;
	}
	seq = get32(f->head + f->l4 + 4);
	id = (__u16)(f->head[f->l3 + 4] << 8 | f->head[f->l3 + 5]);
	while (off < f->payload_len && n < max) {
		struct rframe *s = &out[n];
		__u32 len = f->payload_len - off < mss ? f->payload_len - off : mss;
		bool last = off + len == f->payload_len;
		__u8 *ip = s->head + f->l3, *th = s->head + f->l4;

		*s = *f;
		s->payload_off = f->payload_off + off;
		s->payload_len = len;
		s->gso_size = 0;
		s->gso_segs = 1;
		th[4] = (__u8)((seq + off) >> 24);
		th[5] = (__u8)((seq + off) >> 16);
		th[6] = (__u8)((seq + off) >> 8);
		th[7] = (__u8)(seq + off);
		if (!last)
			th[13] &= (__u8)~0x09; /* FIN, PSH */
		if (n)
			th[13] &= (__u8)~0x80; /* CWR */
		if ((ip[0] >> 4) == 6) {
			put16(ip + 4, (__u16)(thlen + len));
		} else {
			put16(ip + 2, (__u16)(f->l4 - f->l3 + thlen + len));
			put16(ip + 4, (__u16)(id + n));
			ip[10] = ip[11] = 0;
			put16(ip + 10, (__u16)~csum_fold16(csum_partial(ip, f->l4 - f->l3, 0)));
		}
		tcp_partial_csum(s->head, f->l3, f->l4, thlen + len);
		off += len;
		n++;
	}
	return n;
}

/* mirrors skb_checksum_help(), net/core/dev.c, v6.1, for TCP */
void skb_checksum_help(__u8 *frame, __u32 len, __u16 l3, __u16 l4)
{
	bool v6 = (frame[l3] >> 4) == 6;
	const __u8 *ip = frame + l3;
	__u32 sum;

	frame[l4 + 16] = frame[l4 + 17] = 0;
	sum = csum_tcp_pseudo(ip + (v6 ? 8 : 12), ip + (v6 ? 24 : 16), v6 ? 16 : 4, len - l4);
	sum = csum_partial(frame + l4, len - l4, sum);
	put16(frame + l4 + 16, (__u16)~csum_fold16(sum));
}
