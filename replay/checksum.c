// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* mirrors lib/checksum.c and csum_tcpudp_nofold(), in portable C */
#include "checksum.h"

__u32 csum_partial(const void *buf, __u32 len, __u32 sum)
{
	const __u8 *p = buf;
	__u64 s = sum;

	for (; len >= 2; p += 2, len -= 2)
		s += (__u32)(p[0] << 8 | p[1]);
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
