/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pcap and pcapng on disk (draft-tuexen-opsawg-pcapng, and libpcap's
 * classic format): the numbers, and the little-endian block encoder the
 * two writers share (userspace/pcapng.c for tsend-trace pcap,
 * replay/drivers/pcap.c for tsend-replay). The reader is
 * replay/pcap_reader.c.
 */
#ifndef TSEND_PCAPNG_FORMAT_H
#define TSEND_PCAPNG_FORMAT_H

#include <endian.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define PCAP_MAGIC_US	  0xa1b2c3d4U
#define PCAP_MAGIC_NS	  0xa1b23c4dU
#define PCAPNG_SHB	  0x0a0d0d0aU /* a palindrome: same in both orders */
#define PCAPNG_BOM	  0x1a2b3c4dU
#define PCAPNG_IDB	  1U
#define PCAPNG_OPB	  2U /* the obsolete packet block */
#define PCAPNG_SPB	  3U
#define PCAPNG_EPB	  6U
#define OPT_ENDOFOPT	  0
#define OPT_COMMENT	  1
#define SHB_HARDWARE	  2
#define SHB_OS		  3
#define SHB_USERAPPL	  4
#define IF_NAME		  2
#define IF_TSRESOL	  9
#define IF_TSOFFSET	  14
#define EPB_FLAGS	  2
#define EPB_FLAG_OUTBOUND 2U /* bits 0-1: direction */
#define LINKTYPE_ETHERNET 1

/* Bytes appended at p + len; the caller keeps len within what p holds. */
struct pcap_buf {
	__u8 *p;
	size_t len;
};

static inline void pcap_put16(struct pcap_buf *b, __u16 v)
{
	v = htole16(v);
	memcpy(b->p + b->len, &v, sizeof(v));
	b->len += sizeof(v);
}

static inline void pcap_put32(struct pcap_buf *b, __u32 v)
{
	v = htole32(v);
	memcpy(b->p + b->len, &v, sizeof(v));
	b->len += sizeof(v);
}

/* n bytes, then with pad zeros up to 32 bits: pcapng aligns every field */
static inline void pcap_put_bytes(struct pcap_buf *b, const void *data, __u32 n, bool pad)
{
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	while (pad && b->len % 4)
		b->p[b->len++] = 0;
}

/* A block's type and a length placeholder; returns where the block starts. */
static inline size_t pcapng_block_begin(struct pcap_buf *b, __u32 type)
{
	size_t start = b->len;

	pcap_put32(b, type);
	pcap_put32(b, 0);
	return start;
}

/* The total length goes at both ends, so readers can walk either way. */
static inline void pcapng_block_end(struct pcap_buf *b, size_t start)
{
	__u32 total = (__u32)(b->len + 4 - start);
	__u32 le = htole32(total);

	memcpy(b->p + start + 4, &le, sizeof(le));
	pcap_put32(b, total);
}

#endif /* TSEND_PCAPNG_FORMAT_H */
