/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The Internet checksum (RFC 1071), as include/net/checksum.h names it. */
#ifndef TSEND_REPLAY_CHECKSUM_H
#define TSEND_REPLAY_CHECKSUM_H

#include <linux/types.h>

/* Adds len bytes at buf (big-endian 16-bit words) to a running sum; a
 * running sum must be continued at an even offset. */
__u32 csum_partial(const void *buf, __u32 len, __u32 sum);
/* Folds a running sum to 16 bits, not complemented. */
__u16 csum_fold16(__u32 sum);
/* The TCP pseudo-header's running sum: addresses (4 or 16 bytes each),
 * protocol 6 and the TCP length. */
__u32 csum_tcp_pseudo(const __u8 *saddr, const __u8 *daddr, unsigned int alen, __u32 tcp_len);

#endif /* TSEND_REPLAY_CHECKSUM_H */
