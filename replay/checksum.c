// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* mirrors lib/checksum.c and csum_tcpudp_nofold(), in portable C */
#include "checksum.h"

/* 32-bit big-endian words into a 64-bit sum: the carries fold back in at
 * the end (RFC 1071's 1.2.C), four times fewer steps than 16-bit ones */
__u32 csum_partial(const void *buf, __u32 len, __u32 sum)
{
	const __u8 *p = buf;
	__u64 s = sum;

	for (; len >= 4; p += 4, len -= 4)
		s += (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
	if (len >= 2) {
		s += (__u32)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (__u32)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	return (__u32)s;
}

__u16 csum_fold16(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

__u32 csum_tcp_pseudo(const __u8 *saddr, const __u8 *daddr, unsigned int alen, __u32 tcp_len)
{
	__u32 sum = csum_partial(saddr, alen, 0);

	sum = csum_partial(daddr, alen, sum);
	sum += 6;
	sum += tcp_len >> 16;
	sum += tcp_len & 0xffff;
	return sum;
}
