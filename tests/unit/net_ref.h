/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The replay tests' own reading of frames: big-endian fields and the
 * Internet checksum done the plain way, apart from replay/checksum.c. */
#ifndef TSEND_TEST_NET_REF_H
#define TSEND_TEST_NET_REF_H

#include <linux/types.h>
#include <stddef.h>

static inline __u16 ref_sum(const __u8 *p, size_t len, __u64 sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static inline __u16 rd16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static inline __u32 rd32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

#endif /* TSEND_TEST_NET_REF_H */
