// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Trace frames as pcapng: see pcapng.h for the output and the comment.
 *
 * The comment is the frame's lifecycle so far: the lifecycle assembler
 * calls frame_write() at each net_dev_start_xmit with what it joined (the
 * send() of the frame's first payload byte, the skb's net_dev_queue).
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "lifecycle.h"
#include "pcapng.h"
#include "pcapng_format.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "records are little endian and read in place: a big-endian host needs byte swaps"
#endif

#define SNAPLEN_UNKNOWN 65535

#define COMMENT_MAX 256
/* The largest block: an EPB with a whole __u16 snapshot and its options. */
#define BLOCK_MAX (32 + 65536 + 4 + COMMENT_MAX + 64)

struct pcapng_export {
	FILE *out;
	__u32 snaplen;
	__s64 realtime_offset;
	int err; /* sticky: -EIO once a write failed */
	__u64 frames;
	__u64 skipped;
	__u32 nr_ifaces;
	__s32 ifaces[PCAPNG_MAX_IFACES]; /* ifindex of interface id i */
	struct lifecycle *lc;
	__u8 block[BLOCK_MAX];
};

/* ---- blocks: built in x->block, within BLOCK_MAX ---- */

static void put_opt(struct pcap_buf *b, __u16 code, const void *data, __u16 n)
{
	pcap_put16(b, code);
	pcap_put16(b, n);
	pcap_put_bytes(b, data, n, true);
}

/* Options are UTF-8; kernel strings are bytes: keep printable ASCII only. */
static void put_opt_str(struct pcap_buf *b, __u16 code, const char *s, size_t max)
{
	char buf[COMMENT_MAX + 8];
	size_t n = strnlen(s, max);

	if (n > sizeof(buf))
		n = sizeof(buf);
	for (size_t i = 0; i < n; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (n)
		put_opt(b, code, buf, (__u16)n);
}

static struct pcap_buf block_begin(struct pcapng_export *x, __u32 type)
{
	struct pcap_buf b = {.p = x->block};

	pcapng_block_begin(&b, type);
	return b;
}

static int block_end(struct pcapng_export *x, struct pcap_buf *b)
{
	pcapng_block_end(b, 0);
	if (fwrite(b->p, 1, b->len, x->out) != b->len)
		x->err = -EIO;
	return x->err;
}

static int shb_write(struct pcapng_export *x, const struct trace_meta *meta)
{
	struct pcap_buf b = block_begin(x, PCAPNG_SHB);
	char os[sizeof(meta->kernel_release) + 8];

	pcap_put32(&b, PCAPNG_BOM);
	pcap_put16(&b, 1); /* version 1.0 */
	pcap_put16(&b, 0);
	pcap_put32(&b, 0xffffffffU); /* section length: not known in advance */
	pcap_put32(&b, 0xffffffffU);
	/* the recording names no hardware; the host at least says which machine */
	put_opt_str(&b, SHB_HARDWARE, meta->hostname, sizeof(meta->hostname));
	snprintf(os, sizeof(os), "Linux %.*s", (int)sizeof(meta->kernel_release),
		 meta->kernel_release);
	put_opt_str(&b, SHB_OS, os, sizeof(os));
	put_opt_str(&b, SHB_USERAPPL, "tsend-trace", COMMENT_MAX);
	put_opt_str(&b, OPT_COMMENT, meta->cmdline, sizeof(meta->cmdline));
	put_opt(&b, OPT_ENDOFOPT, NULL, 0);
	return block_end(x, &b);
}

static int idb_write(struct pcapng_export *x, __s32 ifindex)
{
	struct pcap_buf b = block_begin(x, PCAPNG_IDB);
	__u8 tsresol = 9; /* 10^-9 s: the records' nanoseconds, unrounded */
	char name[32];

	pcap_put16(&b, LINKTYPE_ETHERNET);
	pcap_put16(&b, 0);
	pcap_put32(&b, x->snaplen);
	/* the recording keeps ifindex only, not the interface's name */
	snprintf(name, sizeof(name), "ifindex %d", ifindex);
	put_opt_str(&b, IF_NAME, name, sizeof(name));
	put_opt(&b, IF_TSRESOL, &tsresol, sizeof(tsresol));
	put_opt(&b, OPT_ENDOFOPT, NULL, 0);
	return block_end(x, &b);
}

/* The interface id of ifindex, writing its IDB the first time. */
static int iface_id(struct pcapng_export *x, __s32 ifindex, __u32 *id)
{
	int err;

	for (__u32 i = 0; i < x->nr_ifaces; i++) {
		if (x->ifaces[i] == ifindex) {
			*id = i;
			return 0;
		}
	}
	if (x->nr_ifaces == PCAPNG_MAX_IFACES)
		return -ENOSPC;
	err = idb_write(x, ifindex);
	if (err)
		return err;
	x->ifaces[x->nr_ifaces] = ifindex;
	*id = x->nr_ifaces++;
	return 0;
}

/*
 * A line that grows by parts: "tsend: a; b; c". The longest possible line
 * is about 150 bytes, so the truncation below (which could cut a UTF-8
 * sequence) is only a guard.
 */
struct line {
	char buf[COMMENT_MAX];
	size_t len;
	int parts;
};

__attribute__((format(printf, 2, 3))) static void line_part(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf))
		return;
	n = snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s", l->parts ? "; " : "tsend: ");
	l->len += n > 0 ? (size_t)n : 0;
	if (l->len >= sizeof(l->buf)) {
		l->len = sizeof(l->buf) - 1; /* truncated: snprintf left a NUL */
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	l->len += n > 0 ? (size_t)n : 0;
	if (l->len >= sizeof(l->buf))
		l->len = sizeof(l->buf) - 1;
	l->parts++;
}

/* A duration as microseconds with nanosecond digits: "12.345 µs". */
static void line_us(struct line *l, const char *what, __u64 from, __u64 to)
{
	char us[32];

	tsend_fmt_us(us, sizeof(us), (__s64)(to - from));
	line_part(l, "%s %s µs", what, us);
}

/* comm is kernel bytes: blanks and non-ASCII would break the line apart */
static void comm_text(char *dst, const char *comm)
{
	size_t n = strnlen(comm, TSEND_COMM_LEN);

	for (size_t i = 0; i < n; i++)
		dst[i] = (comm[i] > 0x20 && comm[i] < 0x7f) ? comm[i] : '?';
	dst[n] = '\0';
}

static void frame_comment(const struct lc_skb *l, const struct lc_send *s, __u64 ts,
			  struct line *line)
{
	const struct lc_stage *q = lc_skb_stage(l, TSEND_STAGE_NET_DEV_QUEUE);
	char comm[TSEND_COMM_LEN + 1];

	/* the task that wrote the first payload byte, else the one the skb
	 * was first seen in (an ACK, a FIN: often softirq or close()) */
	comm_text(comm, s ? s->comm : l->comm);
	line_part(line, comm[0] ? "pid %u %s" : "pid %u%s", s ? s->pid : l->pid, comm);
	if (s && s->entry_ts <= ts)
		line_us(line, "send()→wire", s->entry_ts, ts);
	if (q && q->ts <= ts)
		line_us(line, "queue", q->ts, ts);
	if (l->seq_valid)
		line_part(line, "seq %u-%u", l->seq, l->end_seq);
	if (l->retransmit)
		line_part(line, "retransmission");
}

static int epb_write(struct pcapng_export *x, __u32 id, const struct tsend_skb_event *e,
		     const __u8 *snap, const struct line *l)
{
	struct pcap_buf b = block_begin(x, PCAPNG_EPB);
	__u64 ts = e->h.ts + (__u64)x->realtime_offset;
	__u32 flags = htole32(EPB_FLAG_OUTBOUND);

	/* before the epoch means a broken offset: 0 rather than a wrap */
	if (x->realtime_offset < 0 && e->h.ts < (__u64)-x->realtime_offset)
		ts = 0;
	pcap_put32(&b, id);
	pcap_put32(&b, (__u32)(ts >> 32));
	pcap_put32(&b, (__u32)ts);
	pcap_put32(&b, e->snap_len);
	pcap_put32(&b, e->len);
	pcap_put_bytes(&b, snap, e->snap_len, true);
	if (l->len)
		put_opt(&b, OPT_COMMENT, l->buf, (__u16)l->len);
	put_opt(&b, EPB_FLAGS, &flags, sizeof(flags));
	put_opt(&b, OPT_ENDOFOPT, NULL, 0);
	return block_end(x, &b);
}

/* The lifecycle assembler's frame callback: one EPB per frame. */
static int frame_write(const struct lc_skb *l, const struct lc_send *s, const void *rec, __u32 len,
		       void *ctx)
{
	struct pcapng_export *x = ctx;
	struct line line = {.len = 0};
	struct tsend_skb_event e;
	__u32 id;
	int err;

	memcpy(&e, rec, sizeof(e));
	/* a snapshot longer than the frame or than the header's snaplen lies */
	if (e.snap_len > e.len || e.snap_len > x->snaplen || sizeof(e) + e.snap_len > len)
		return -EINVAL;
	err = iface_id(x, e.ifindex, &id);
	if (err)
		return err;
	frame_comment(l, s, e.h.ts, &line);
	err = epb_write(x, id, &e, (const __u8 *)rec + sizeof(e), &line);
	if (!err)
		x->frames++;
	return err;
}

/* ---- API ---- */

struct pcapng_export *pcapng_export__new(FILE *out, const struct trace_meta *meta)
{
	struct pcapng_export *x;

	if (!out || !meta) {
		errno = EINVAL;
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		errno = ENOMEM;
		return NULL;
	}
	x->out = out;
	x->snaplen = meta->snaplen ? meta->snaplen : SNAPLEN_UNKNOWN;
	x->lc = lifecycle__new(meta, &(struct lc_ops){.frame = frame_write, .ctx = x});
	if (!x->lc) {
		free(x);
		errno = ENOMEM;
		return NULL;
	}
	x->realtime_offset = meta->realtime_offset;
	if (shb_write(x, meta)) {
		lifecycle__free(x->lc);
		free(x);
		errno = EIO;
		return NULL;
	}
	return x;
}

int pcapng_export__add(struct pcapng_export *x, const void *rec, __u32 len)
{
	int err;

	if (x->err)
		return x->err;
	err = lifecycle__add(x->lc, rec, len);
	if (err == -EINVAL || err == -ENOSPC)
		x->skipped++;
	return err;
}

int pcapng_export__finish(struct pcapng_export *x, __u64 *frames)
{
	if (!x->err && fflush(x->out))
		x->err = -EIO;
	if (frames)
		*frames = x->frames;
	return x->err;
}

__u64 pcapng_export__skipped(const struct pcapng_export *x)
{
	return x->skipped;
}

void pcapng_export__free(struct pcapng_export *x)
{
	if (!x)
		return;
	lifecycle__free(x->lc);
	free(x);
}
