// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pcap:FILE and pcapng:FILE, the way out that needs no root. Frames go
 * into FILE.tmp through one 1 MiB buffer and one write() per buffer; the
 * rename to FILE at output__close(o, true) is what marks the file complete,
 * so an interrupted replay leaves only a .tmp. No fsync: a crash loses a
 * replay that can be run again, and nothing more.
 *
 * Layouts: pcap is the classic header with the nanosecond magic (the
 * schedule is in ns); pcapng is one SHB, one IDB with if_tsresol 9 and one
 * EPB per frame, as in the pcapng draft (draft-ietf-opsawg-pcapng).
 * Both are written little endian on every host.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output_ops.h"

#define PCAP_MAGIC_NS	  0xa1b23c4dU
#define PCAP_SNAPLEN	  262144
#define LINKTYPE_ETHERNET 1
#define PCAPNG_SHB	  0x0a0d0d0aU
#define PCAPNG_IDB	  1U
#define PCAPNG_EPB	  6U
#define PCAPNG_BOM	  0x1a2b3c4dU
#define OPT_ENDOFOPT	  0
#define SHB_USERAPPL	  4
#define IF_TSRESOL	  9
#define EPB_FLAGS	  2
#define EPB_FLAG_OUTBOUND 2U /* bits 0-1: direction */

/* A file takes GSO super-frames as the kernel handed them to the device:
 * 64 KiB of IPv4 datagram, an IPv6 header more (its payload length does
 * not count it), or BIG TCP's larger ones: up to the snap length. */
#define FILE_MAX_FRAME PCAP_SNAPLEN
/* The longest record: an EPB (28 bytes of header, 3 of padding, 12 of
 * options, 4 of trailer) around the longest frame. */
#define RECORD_MAX (FILE_MAX_FRAME + 64)
#define BUF_SIZE   (1U << 20)

struct pcap_out {
	struct output out;
	int fd;
	bool ng;
	int err; /* sticky: once a write failed the file is incomplete */
	char *path;
	char *tmp;
	size_t len; /* bytes waiting in buf */
	__u8 buf[BUF_SIZE];
};

static struct pcap_out *to_pcap(struct output *o)
{
	return output_container_of(o, struct pcap_out, out);
}

static void put16(struct pcap_out *p, __u16 v)
{
	v = htole16(v);
	memcpy(p->buf + p->len, &v, sizeof(v));
	p->len += sizeof(v);
}

static void put32(struct pcap_out *p, __u32 v)
{
	v = htole32(v);
	memcpy(p->buf + p->len, &v, sizeof(v));
	p->len += sizeof(v);
}

/* n bytes, then zeros up to 32 bits (pcapng aligns every field) */
static void put_bytes(struct pcap_out *p, const void *data, __u32 n, bool pad)
{
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	while (pad && p->len % 4)
		p->buf[p->len++] = 0;
}

/* pcapng: type and a length placeholder; returns where the block starts */
static size_t block_begin(struct pcap_out *p, __u32 type)
{
	size_t start = p->len;

	put32(p, type);
	put32(p, 0);
	return start;
}

/* The total length goes at both ends, so readers can walk either way. */
static void block_end(struct pcap_out *p, size_t start)
{
	__u32 total = (__u32)(p->len + 4 - start);
	__u32 le = htole32(total);

	memcpy(p->buf + start + 4, &le, sizeof(le));
	put32(p, total);
}

static int drain(struct pcap_out *p)
{
	size_t done = 0;

	while (!p->err && done < p->len) {
		ssize_t n = write(p->fd, p->buf + done, p->len - done);

		p->out.stats.syscalls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			p->err = n < 0 ? -errno : -EIO;
			output_fail(&p->out, p->err, "write %s: %s", p->tmp, strerror(-p->err));
		} else {
			done += (size_t)n;
		}
	}
	p->len = 0;
	return p->err;
}

static void pcap_header(struct pcap_out *p)
{
	put32(p, PCAP_MAGIC_NS);
	put16(p, 2); /* version 2.4 */
	put16(p, 4);
	put32(p, 0); /* thiszone: timestamps are UTC */
	put32(p, 0); /* sigfigs */
	put32(p, PCAP_SNAPLEN);
	put32(p, LINKTYPE_ETHERNET);
}

static void pcapng_header(struct pcap_out *p)
{
	static const char appl[] = "tsend-replay";
	const __u8 tsresol = 9; /* 10^-9 s: the schedule's ns, unrounded */
	size_t b;

	b = block_begin(p, PCAPNG_SHB);
	put32(p, PCAPNG_BOM);
	put16(p, 1); /* version 1.0 */
	put16(p, 0);
	put32(p, 0xffffffffU); /* section length: not known in advance */
	put32(p, 0xffffffffU);
	put16(p, SHB_USERAPPL);
	put16(p, sizeof(appl) - 1);
	put_bytes(p, appl, sizeof(appl) - 1, true);
	put32(p, OPT_ENDOFOPT);
	block_end(p, b);

	b = block_begin(p, PCAPNG_IDB);
	put16(p, LINKTYPE_ETHERNET);
	put16(p, 0);
	put32(p, PCAP_SNAPLEN);
	put16(p, IF_TSRESOL);
	put16(p, sizeof(tsresol));
	put_bytes(p, &tsresol, sizeof(tsresol), true);
	put32(p, OPT_ENDOFOPT);
	block_end(p, b);
}

static void pcap_record(struct pcap_out *p, const struct replay_frame *f)
{
	put32(p, (__u32)(f->ts_ns / 1000000000));
	put32(p, (__u32)(f->ts_ns % 1000000000));
	put32(p, f->len);
	put32(p, f->wire_len);
	put_bytes(p, f->data, f->len, false);
}

static void pcapng_record(struct pcap_out *p, const struct replay_frame *f)
{
	size_t b = block_begin(p, PCAPNG_EPB);

	put32(p, 0); /* interface 0, the only IDB */
	put32(p, (__u32)(f->ts_ns >> 32));
	put32(p, (__u32)f->ts_ns);
	put32(p, f->len);
	put32(p, f->wire_len);
	put_bytes(p, f->data, f->len, true);
	/* the replay sends: say so, as a capture of the sender would */
	put16(p, EPB_FLAGS);
	put16(p, 4);
	put32(p, EPB_FLAG_OUTBOUND);
	put32(p, OPT_ENDOFOPT);
	block_end(p, b);
}

static int pcap_tx_batch(struct output *o, const struct replay_frame *f, unsigned int n)
{
	struct pcap_out *p = to_pcap(o);

	for (unsigned int i = 0; i < n && !p->err; i++) {
		/* output.c held wire_len (>= len) to max_frame: one record fits */
		if (p->len + RECORD_MAX > BUF_SIZE)
			drain(p);
		if (p->ng)
			pcapng_record(p, &f[i]);
		else
			pcap_record(p, &f[i]);
	}
	return p->err;
}

static int pcap_flush(struct output *o)
{
	return drain(to_pcap(o));
}

static void pcap_free(struct pcap_out *p)
{
	free(p->path);
	free(p->tmp);
	free(p);
}

static int pcap_close(struct output *o, bool commit)
{
	struct pcap_out *p = to_pcap(o);
	int err = commit ? drain(p) : 0;

	if (close(p->fd) && commit && !err)
		err = -errno;
	if (commit && !err && rename(p->tmp, p->path))
		err = -errno;
	if (!commit || err)
		unlink(p->tmp);
	pcap_free(p);
	return err;
}

static const struct output_ops pcap_ops = {
	.tx_batch = pcap_tx_batch,
	.flush = pcap_flush,
	.close = pcap_close,
};

struct output *pcap_output__open(const char *spec, const char *path, bool ng, char *err,
				 size_t errlen)
{
	struct pcap_out *p = calloc(1, sizeof(*p));
	int saved;

	if (!p || !(p->path = strdup(path)) || asprintf(&p->tmp, "%s.tmp", path) < 0) {
		snprintf(err, errlen, "%s: out of memory", spec);
		if (p)
			p->tmp = NULL; /* asprintf leaves it undefined on failure */
		saved = ENOMEM;
		goto free_out;
	}
	/* The frames may carry payload from the trace, itself 0600: keep it so. */
	p->fd = open(p->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (p->fd < 0) {
		saved = errno;
		snprintf(err, errlen, "%s: cannot create %s: %s", spec, p->tmp, strerror(saved));
		goto free_out;
	}
	p->ng = ng;
	p->out.ops = &pcap_ops;
	p->out.max_frame = FILE_MAX_FRAME;
	if (ng)
		pcapng_header(p);
	else
		pcap_header(p);
	return &p->out;

free_out:
	if (p)
		pcap_free(p);
	errno = saved;
	return NULL;
}
