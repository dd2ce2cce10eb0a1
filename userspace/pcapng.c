// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Trace frames as pcapng: see pcapng.h for the output and the comment.
 *
 * Building the comment means following each socket through the trace:
 *
 *   send() entry          tid → (sk, entry time, bytes asked)    sends[]
 *   tcp_sendmsg_locked    write_seq is the send's first byte: a range
 *                         [write_seq, +asked) on the socket, still open
 *   send() exit           ret closes the range at [write_seq, +ret)
 *   net_dev_queue         skb → time                             queued[]
 *   net_dev_start_xmit    the frame: its first payload byte names a range
 *
 * Frames can leave before the send() returns (loopback sends from the
 * caller's context), so an open range already matches, with the bytes
 * asked as its provisional end. Closed ranges go once a frame has carried
 * their last byte; a retransmission of older bytes then gets no send()
 * time, which is better than an old one.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "pcapng.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "records are little endian and read in place: a big-endian host needs byte swaps"
#endif

/* Block types and option codes of the pcapng draft. */
#define PCAPNG_SHB	  0x0a0d0d0aU
#define PCAPNG_IDB	  1U
#define PCAPNG_EPB	  6U
#define PCAPNG_BOM	  0x1a2b3c4dU
#define OPT_ENDOFOPT	  0
#define OPT_COMMENT	  1
#define SHB_HARDWARE	  2
#define SHB_OS		  3
#define SHB_USERAPPL	  4
#define IF_NAME		  2
#define IF_TSRESOL	  9
#define EPB_FLAGS	  2
#define EPB_FLAG_OUTBOUND 2U /* bits 0-1: direction */
#define LINKTYPE_ETHERNET 1
#define SNAPLEN_UNKNOWN	  65535

/* Limits that keep memory bounded whatever the trace holds. */
#define SOCK_MAX	  1024 /* sockets followed; the least recently used goes */
#define SOCK_BUCKETS_BITS 10
#define RANGE_MAX	  64	     /* send() ranges per socket not yet on the wire */
#define SEND_SLOTS_BITS	  10	     /* send() calls in flight, by tid */
#define QUEUE_SLOTS_BITS  12	     /* skbs between net_dev_queue and the wire */
#define RANGE_ASKED_MAX	  (1U << 30) /* provisional end: within seq space */
#define COMMENT_MAX	  256
/* The largest block: an EPB with a whole __u16 snapshot and its options. */
#define BLOCK_MAX (32 + 65536 + 4 + COMMENT_MAX + 64)

/* The bytes of one send() call, in sequence space. */
struct send_range {
	__u32 start;
	__u32 end; /* start + ret once closed, start + asked while open */
	__u64 entry_ns;
	__u32 tid;
	bool open; /* the send() has not returned yet */
};

struct sock_state {
	__u64 sk;
	struct sock_state *hnext;	  /* hash bucket chain */
	struct sock_state *older, *newer; /* LRU list */
	bool owned;			  /* pid/comm known */
	bool sent;			  /* sent_end is known */
	__u32 sent_end;			  /* highest payload byte on the wire + 1 */
	__u32 pid;
	char comm[TSEND_COMM_LEN];
	__u32 nr_ranges;
	struct send_range ranges[RANGE_MAX]; /* oldest first */
};

/* A send() between its entry and its exit. */
struct send_slot {
	bool used;
	bool started; /* tcp_sendmsg_locked seen: a range exists */
	__u32 tid;
	__u64 sk;
	__u64 entry_ns;
	__u64 asked;
};

struct queue_slot {
	__u64 skb;
	__u64 ts;
};

struct pcapng_export {
	FILE *out;
	__u32 snaplen;
	__s64 realtime_offset;
	int err; /* sticky: -EIO once a write failed */
	__u64 frames;
	__u64 skipped;
	__u32 nr_ifaces;
	__s32 ifaces[PCAPNG_MAX_IFACES]; /* ifindex of interface id i */
	__u32 nr_socks;
	struct sock_state *newest, *oldest;
	struct sock_state *buckets[1U << SOCK_BUCKETS_BITS];
	struct send_slot sends[1U << SEND_SLOTS_BITS];
	struct queue_slot queued[1U << QUEUE_SLOTS_BITS];
	__u8 block[BLOCK_MAX];
};

/* A block being built in x->block; callers stay within BLOCK_MAX. */
struct block {
	__u8 *p;
	__u32 len;
};

static __u32 hash64(__u64 v, unsigned int bits)
{
	return (__u32)((v * 0x61c8864680b583ebULL) >> (64 - bits));
}

/* a before or at b in sequence space (RFC 1982 style, as the kernel's before()) */
static bool seq_before_eq(__u32 a, __u32 b)
{
	return (__s32)(a - b) <= 0;
}

/* ---- blocks ---- */

static void put16(struct block *b, __u16 v)
{
	v = htole16(v);
	memcpy(b->p + b->len, &v, sizeof(v));
	b->len += sizeof(v);
}

static void put32(struct block *b, __u32 v)
{
	v = htole32(v);
	memcpy(b->p + b->len, &v, sizeof(v));
	b->len += sizeof(v);
}

/* n bytes, then zeros up to 32 bits: every field of a block is aligned */
static void put_padded(struct block *b, const void *data, __u32 n)
{
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	while (b->len % 4)
		b->p[b->len++] = 0;
}

static void put_opt(struct block *b, __u16 code, const void *data, __u16 n)
{
	put16(b, code);
	put16(b, n);
	put_padded(b, data, n);
}

/* Options are UTF-8; kernel strings are bytes: keep printable ASCII only. */
static void put_opt_str(struct block *b, __u16 code, const char *s, size_t max)
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

static struct block block_begin(struct pcapng_export *x, __u32 type)
{
	struct block b = {.p = x->block};

	put32(&b, type);
	put32(&b, 0); /* total length, set by block_end() */
	return b;
}

/* The total length goes at both ends so readers can walk either way. */
static int block_end(struct pcapng_export *x, struct block *b)
{
	__u32 total = htole32(b->len + 4);

	memcpy(b->p + 4, &total, sizeof(total));
	put32(b, b->len + 4);
	if (fwrite(b->p, 1, b->len, x->out) != b->len)
		x->err = -EIO;
	return x->err;
}

static int shb_write(struct pcapng_export *x, const struct trace_meta *meta)
{
	struct block b = block_begin(x, PCAPNG_SHB);
	char os[sizeof(meta->kernel_release) + 8];

	put32(&b, PCAPNG_BOM);
	put16(&b, 1); /* version 1.0 */
	put16(&b, 0);
	put32(&b, 0xffffffffU); /* section length: not known in advance */
	put32(&b, 0xffffffffU);
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
	struct block b = block_begin(x, PCAPNG_IDB);
	__u8 tsresol = 9; /* 10^-9 s: the records' nanoseconds, unrounded */
	char name[32];

	put16(&b, LINKTYPE_ETHERNET);
	put16(&b, 0);
	put32(&b, x->snaplen);
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

/* ---- sockets ---- */

static void lru_unlink(struct pcapng_export *x, struct sock_state *s)
{
	if (s->older)
		s->older->newer = s->newer;
	else
		x->oldest = s->newer;
	if (s->newer)
		s->newer->older = s->older;
	else
		x->newest = s->older;
	s->older = s->newer = NULL;
}

static void lru_push(struct pcapng_export *x, struct sock_state *s)
{
	s->older = x->newest;
	s->newer = NULL;
	if (x->newest)
		x->newest->newer = s;
	else
		x->oldest = s;
	x->newest = s;
}

static struct sock_state *sock_find(const struct pcapng_export *x, __u64 sk)
{
	struct sock_state *s;

	if (!sk)
		return NULL;
	s = x->buckets[hash64(sk, SOCK_BUCKETS_BITS)];
	while (s && s->sk != sk)
		s = s->hnext;
	return s;
}

static void sock_unhash(struct pcapng_export *x, struct sock_state *s)
{
	struct sock_state **pp = &x->buckets[hash64(s->sk, SOCK_BUCKETS_BITS)];

	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
}

/* The oldest socket makes room: losing it only shortens its comments. */
static struct sock_state *sock_alloc(struct pcapng_export *x)
{
	struct sock_state *s;

	if (x->nr_socks < SOCK_MAX) {
		s = calloc(1, sizeof(*s));
		if (s)
			x->nr_socks++;
		return s;
	}
	s = x->oldest;
	lru_unlink(x, s);
	sock_unhash(x, s);
	memset(s, 0, sizeof(*s));
	return s;
}

/* Finds or adds sk, as the most recently used; NULL if out of memory. */
static struct sock_state *sock_get(struct pcapng_export *x, __u64 sk)
{
	struct sock_state *s = sock_find(x, sk);
	__u32 bucket;

	if (s) {
		lru_unlink(x, s);
		lru_push(x, s);
		return s;
	}
	s = sock_alloc(x);
	if (!s)
		return NULL;
	bucket = hash64(sk, SOCK_BUCKETS_BITS);
	s->sk = sk;
	s->hnext = x->buckets[bucket];
	x->buckets[bucket] = s;
	lru_push(x, s);
	return s;
}

static void sock_own(struct pcapng_export *x, const struct tsend_head *h)
{
	struct sock_state *s = sock_get(x, h->sk);

	if (!s)
		return;
	s->owned = true;
	s->pid = h->pid;
	memcpy(s->comm, h->comm, sizeof(s->comm));
}

static void range_del(struct sock_state *s, __u32 i)
{
	memmove(&s->ranges[i], &s->ranges[i + 1], (s->nr_ranges - i - 1) * sizeof(s->ranges[0]));
	s->nr_ranges--;
}

static void range_add(struct sock_state *s, const struct send_range *r)
{
	if (s->nr_ranges == RANGE_MAX)
		range_del(s, 0);
	s->ranges[s->nr_ranges++] = *r;
}

/* The latest send() whose bytes hold seq: a later one wins an overlap. */
static const struct send_range *range_find(const struct sock_state *s, __u32 seq)
{
	for (__u32 i = s->nr_ranges; i-- > 0;) {
		const struct send_range *r = &s->ranges[i];

		if (seq - r->start < r->end - r->start)
			return r;
	}
	return NULL;
}

static int range_open(const struct sock_state *s, __u32 tid)
{
	for (__u32 i = s->nr_ranges; i-- > 0;) {
		if (s->ranges[i].open && s->ranges[i].tid == tid)
			return (int)i;
	}
	return -1;
}

/* A frame carried the bytes up to end: closed ranges before it are done. */
static void range_expire(struct sock_state *s, __u32 end)
{
	for (__u32 i = 0; i < s->nr_ranges;) {
		const struct send_range *r = &s->ranges[i];

		if (!r->open && seq_before_eq(r->end, end))
			range_del(s, i);
		else
			i++;
	}
}

static void range_forget_closed(struct sock_state *s)
{
	for (__u32 i = 0; i < s->nr_ranges;) {
		if (!s->ranges[i].open)
			range_del(s, i);
		else
			i++;
	}
}

/* ---- send() calls ---- */

static struct send_slot *send_slot(struct pcapng_export *x, __u32 tid)
{
	return &x->sends[hash64(tid, SEND_SLOTS_BITS)];
}

/* A send() whose exit never came (lost, or the slot reused): forget its range. */
static void send_abandon(struct pcapng_export *x, struct send_slot *slot)
{
	struct sock_state *s = slot->started ? sock_find(x, slot->sk) : NULL;
	int i = s ? range_open(s, slot->tid) : -1;

	if (i >= 0)
		range_del(s, (__u32)i);
	slot->used = false;
}

static void send_entry(struct pcapng_export *x, const struct tsend_send_event *e)
{
	struct send_slot *slot = send_slot(x, e->h.tid);

	if (slot->used)
		send_abandon(x, slot);
	*slot = (struct send_slot){
		.used = true,
		.tid = e->h.tid,
		.sk = e->h.sk,
		.entry_ns = e->h.ts,
		.asked = e->size,
	};
	if (e->h.sk)
		sock_own(x, &e->h);
}

static void send_exit(struct pcapng_export *x, const struct tsend_send_event *e)
{
	struct send_slot *slot = send_slot(x, e->h.tid);
	struct sock_state *s;
	int i;

	if (!slot->used || slot->tid != e->h.tid)
		return;
	s = slot->started ? sock_find(x, slot->sk) : NULL;
	i = s ? range_open(s, slot->tid) : -1;
	if (i >= 0 && e->ret > 0 && (__u64)e->ret <= slot->asked) {
		s->ranges[i].end = s->ranges[i].start + (__u32)e->ret;
		s->ranges[i].open = false;
		/* frames may have carried all of it before the send() returned */
		if (!s->sent || !seq_before_eq(s->ranges[i].end, s->sent_end))
			i = -1;
	}
	/* nothing sent, more than asked, or already on the wire */
	if (i >= 0)
		range_del(s, (__u32)i);
	slot->used = false;
}

static void on_send(struct pcapng_export *x, const void *rec)
{
	struct tsend_send_event e;

	memcpy(&e, rec, sizeof(e));
	if (e.h.stage != TSEND_STAGE_SYS_SENDTO && e.h.stage != TSEND_STAGE_SYS_SENDMSG)
		return;
	if (e.h.phase == TSEND_PHASE_ENTRY)
		send_entry(x, &e);
	else if (e.h.phase == TSEND_PHASE_EXIT)
		send_exit(x, &e);
}

/*
 * The first tcp_sendmsg_locked of a send(): write_seq is where its bytes
 * start. The tracepoint fires once per loop over the message, so later
 * ones (write_seq moved on) are ignored. A send() entry without sk (fd not
 * resolved) takes the sk of its thread's tcp_sendmsg_locked.
 */
static void on_tcp(struct pcapng_export *x, const void *rec)
{
	struct tsend_tcp_event e;
	struct send_slot *slot;
	struct send_range r;
	struct sock_state *s;

	memcpy(&e, rec, sizeof(e));
	if (e.h.stage != TSEND_STAGE_TCP_SENDMSG_LOCKED || e.h.phase != TSEND_PHASE_ENTRY ||
	    !e.h.sk)
		return;
	slot = send_slot(x, e.h.tid);
	if (!slot->used || slot->tid != e.h.tid || slot->started || !slot->asked ||
	    (slot->sk && slot->sk != e.h.sk))
		return;
	slot->sk = e.h.sk;
	sock_own(x, &e.h);
	s = sock_find(x, e.h.sk);
	if (!s)
		return;
	r = (struct send_range){
		.start = e.write_seq,
		.end = e.write_seq +
		       (__u32)(slot->asked < RANGE_ASKED_MAX ? slot->asked : RANGE_ASKED_MAX),
		.entry_ns = slot->entry_ns,
		.tid = e.h.tid,
		.open = true,
	};
	range_add(s, &r);
	slot->started = true;
}

/* ---- frames ---- */

static void queue_note(struct pcapng_export *x, const struct tsend_skb_event *e)
{
	struct queue_slot *q = &x->queued[hash64(e->h.skb, QUEUE_SLOTS_BITS)];

	if (!e->h.skb)
		return;
	if (e->h.stage == TSEND_STAGE_NET_DEV_QUEUE) {
		q->skb = e->h.skb;
		q->ts = e->h.ts;
	} else if (q->skb == e->h.skb) { /* freed: its address may come back */
		q->skb = 0;
	}
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
	__u64 ns = to - from;

	line_part(l, "%s %llu.%03llu µs", what, (unsigned long long)(ns / 1000),
		  (unsigned long long)(ns % 1000));
}

/* Payload bytes of a frame: SYN and FIN take a sequence number each. */
static __u32 frame_payload(const struct tsend_skb_event *e, __u32 *first)
{
	__u32 syn = !!(e->tcp_flags & 0x02), fin = !!(e->tcp_flags & 0x01);
	__u32 span = e->end_seq - e->seq;

	*first = e->seq + syn;
	return e->seq_valid && span > syn + fin && span < RANGE_ASKED_MAX ? span - syn - fin : 0;
}

/* comm is kernel bytes: blanks and non-ASCII would break the line apart */
static void comm_text(char *dst, const char *comm)
{
	size_t n = strnlen(comm, TSEND_COMM_LEN);

	for (size_t i = 0; i < n; i++)
		dst[i] = (comm[i] > 0x20 && comm[i] < 0x7f) ? comm[i] : '?';
	dst[n] = '\0';
}

static void frame_comment(const struct pcapng_export *x, const struct tsend_skb_event *e,
			  struct line *l)
{
	const struct sock_state *s = sock_find(x, e->h.sk);
	const struct queue_slot *q = &x->queued[hash64(e->h.skb, QUEUE_SLOTS_BITS)];
	const struct send_range *r = NULL;
	__u32 first, payload = frame_payload(e, &first);

	if (s && s->owned) {
		char comm[TSEND_COMM_LEN + 1];

		comm_text(comm, s->comm);
		line_part(l, comm[0] ? "pid %u %s" : "pid %u%s", s->pid, comm);
	}
	if (s && payload)
		r = range_find(s, first);
	if (r && r->entry_ns <= e->h.ts)
		line_us(l, "send()→wire", r->entry_ns, e->h.ts);
	if (e->h.skb && q->skb == e->h.skb && q->ts <= e->h.ts)
		line_us(l, "queue", q->ts, e->h.ts);
	if (e->seq_valid)
		line_part(l, "seq %u-%u", e->seq, e->end_seq);
}

/* The frame is on the wire: the send() ranges it completed are done. */
static void frame_passed(struct pcapng_export *x, const struct tsend_skb_event *e)
{
	struct sock_state *s = sock_find(x, e->h.sk);
	__u32 first, payload = frame_payload(e, &first);

	if (s && (e->tcp_flags & 0x02)) {
		/* a new connection: a socket address reused, new sequence space */
		s->sent = false;
		range_forget_closed(s);
	}
	if (!s || !payload)
		return;
	if (!s->sent || seq_before_eq(s->sent_end, first + payload)) {
		s->sent_end = first + payload;
		s->sent = true;
	}
	range_expire(s, first + payload);
}

static int epb_write(struct pcapng_export *x, __u32 id, const struct tsend_skb_event *e,
		     const __u8 *snap, const struct line *l)
{
	struct block b = block_begin(x, PCAPNG_EPB);
	__u64 ts = e->h.ts + (__u64)x->realtime_offset;
	__u32 flags = htole32(EPB_FLAG_OUTBOUND);

	/* before the epoch means a broken offset: 0 rather than a wrap */
	if (x->realtime_offset < 0 && e->h.ts < (__u64)-x->realtime_offset)
		ts = 0;
	put32(&b, id);
	put32(&b, (__u32)(ts >> 32));
	put32(&b, (__u32)ts);
	put32(&b, e->snap_len);
	put32(&b, e->len);
	put_padded(&b, snap, e->snap_len);
	if (l->len)
		put_opt(&b, OPT_COMMENT, l->buf, (__u16)l->len);
	put_opt(&b, EPB_FLAGS, &flags, sizeof(flags));
	put_opt(&b, OPT_ENDOFOPT, NULL, 0);
	return block_end(x, &b);
}

static int frame_write(struct pcapng_export *x, const struct tsend_skb_event *e, const __u8 *snap)
{
	struct line l = {.len = 0};
	__u32 id;
	int err;

	/* a snapshot longer than the frame or than the header's snaplen lies */
	if (e->snap_len > e->len || e->snap_len > x->snaplen)
		return -EINVAL;
	err = iface_id(x, e->ifindex, &id);
	if (err)
		return err;
	frame_comment(x, e, &l);
	err = epb_write(x, id, e, snap, &l);
	if (err)
		return err;
	x->frames++;
	frame_passed(x, e);
	return 0;
}

static int on_skb(struct pcapng_export *x, const void *rec)
{
	struct tsend_skb_event e;

	memcpy(&e, rec, sizeof(e));
	switch (e.h.stage) {
	case TSEND_STAGE_NET_DEV_QUEUE:
	case TSEND_STAGE_CONSUME_SKB:
	case TSEND_STAGE_KFREE_SKB:
		queue_note(x, &e);
		return 0;
	case TSEND_STAGE_NET_DEV_START_XMIT:
		return frame_write(x, &e, (const __u8 *)rec + sizeof(e));
	default:
		return 0;
	}
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
	x->realtime_offset = meta->realtime_offset;
	if (shb_write(x, meta)) {
		free(x);
		errno = EIO;
		return NULL;
	}
	return x;
}

int pcapng_export__add(struct pcapng_export *x, const void *rec, __u32 len)
{
	struct tsend_head h;
	const char *why;
	int err = 0;

	if (x->err)
		return x->err;
	if (tsend_record_check(rec, len, &why)) {
		x->skipped++;
		return -EINVAL;
	}
	memcpy(&h, rec, sizeof(h));
	if (h.kind == TSEND_KIND_SEND)
		on_send(x, rec);
	else if (h.kind == TSEND_KIND_TCP)
		on_tcp(x, rec);
	else if (h.kind == TSEND_KIND_SKB)
		err = on_skb(x, rec);
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
	struct sock_state *s, *next;

	if (!x)
		return;
	for (s = x->oldest; s; s = next) {
		next = s->newer;
		free(s);
	}
	free(x);
}
