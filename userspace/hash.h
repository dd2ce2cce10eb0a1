/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* FNV-1a, 64 bits: the one hash of the hash tables and keys (flows,
 * addresses, paths, names); every caller had its own copy. */
#ifndef TSEND_HASH_H
#define TSEND_HASH_H

#include <linux/types.h>
#include <stddef.h>

static inline __u64 fnv1a(const void *p, size_t n)
{
	const unsigned char *b = p;
	__u64 h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

#endif /* TSEND_HASH_H */
