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

#include "../../userspace/pcapng_format.h"
#include "output_ops.h"

#define PCAP_SNAPLEN 262144

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
	struct pcap_buf b; /* bytes waiting in buf */
	__u8 buf[BUF_SIZE];
};

static struct pcap_out *to_pcap(struct output *o)
{
	return output_container_of(o, struct pcap_out, out);
}

static int drain(struct pcap_out *p)
{
	size_t done = 0;

	while (!p->err && done < p->b.len) {
		ssize_t n = write(p->fd, p->b.p + done, p->b.len - done);

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
	p->b.len = 0;
	return p->err;
}

static void pcap_header(struct pcap_out *p)
{
	pcap_put32(&p->b, PCAP_MAGIC_NS);
	pcap_put16(&p->b, 2); /* version 2.4 */
	pcap_put16(&p->b, 4);
	pcap_put32(&p->b, 0); /* thiszone: timestamps are UTC */
	pcap_put32(&p->b, 0); /* sigfigs */
	pcap_put32(&p->b, PCAP_SNAPLEN);
	pcap_put32(&p->b, LINKTYPE_ETHERNET);
}

static void pcapng_header(struct pcap_out *p)
{
	static const char appl[] = "tsend-replay";
	const __u8 tsresol = 9; /* 10^-9 s: the schedule's ns, unrounded */
	size_t b;

	b = pcapng_block_begin(&p->b, PCAPNG_SHB);
	pcap_put32(&p->b, PCAPNG_BOM);
	pcap_put16(&p->b, 1); /* version 1.0 */
	pcap_put16(&p->b, 0);
	pcap_put32(&p->b, 0xffffffffU); /* section length: not known in advance */
	pcap_put32(&p->b, 0xffffffffU);
	pcap_put16(&p->b, SHB_USERAPPL);
	pcap_put16(&p->b, sizeof(appl) - 1);
	pcap_put_bytes(&p->b, appl, sizeof(appl) - 1, true);
	pcap_put32(&p->b, OPT_ENDOFOPT);
	pcapng_block_end(&p->b, b);

	b = pcapng_block_begin(&p->b, PCAPNG_IDB);
	pcap_put16(&p->b, LINKTYPE_ETHERNET);
	pcap_put16(&p->b, 0);
	pcap_put32(&p->b, PCAP_SNAPLEN);
	pcap_put16(&p->b, IF_TSRESOL);
	pcap_put16(&p->b, sizeof(tsresol));
	pcap_put_bytes(&p->b, &tsresol, sizeof(tsresol), true);
	pcap_put32(&p->b, OPT_ENDOFOPT);
	pcapng_block_end(&p->b, b);
}

static void pcap_record(struct pcap_out *p, const struct replay_frame *f)
{
	pcap_put32(&p->b, (__u32)(f->ts_ns / 1000000000));
	pcap_put32(&p->b, (__u32)(f->ts_ns % 1000000000));
	pcap_put32(&p->b, f->len);
	pcap_put32(&p->b, f->wire_len);
	pcap_put_bytes(&p->b, f->data, f->len, false);
}

static void pcapng_record(struct pcap_out *p, const struct replay_frame *f)
{
	size_t b = pcapng_block_begin(&p->b, PCAPNG_EPB);

	pcap_put32(&p->b, 0); /* interface 0, the only IDB */
	pcap_put32(&p->b, (__u32)(f->ts_ns >> 32));
	pcap_put32(&p->b, (__u32)f->ts_ns);
	pcap_put32(&p->b, f->len);
	pcap_put32(&p->b, f->wire_len);
	pcap_put_bytes(&p->b, f->data, f->len, true);
	/* the replay sends: say so, as a capture of the sender would */
	pcap_put16(&p->b, EPB_FLAGS);
	pcap_put16(&p->b, 4);
	pcap_put32(&p->b, EPB_FLAG_OUTBOUND);
	pcap_put32(&p->b, OPT_ENDOFOPT);
	pcapng_block_end(&p->b, b);
}

static int pcap_tx_batch(struct output *o, const struct replay_frame *f, unsigned int n)
{
	struct pcap_out *p = to_pcap(o);

	for (unsigned int i = 0; i < n && !p->err; i++) {
		/* output.c held wire_len (>= len) to max_frame: one record fits */
		if (p->b.len + RECORD_MAX > BUF_SIZE)
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
	p->b.p = p->buf;
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
