// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pcapng_export on records built in memory: the output is parsed back here
 * block by block (lengths at both ends, padding, options) and compared
 * exactly, comments included. Every record is handed over in a buffer of
 * exactly its length, so ASan catches any byte read beyond it.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check.h"
#include "userspace/dump.h"
#include "userspace/pcapng.h"

#define T0	 5000000000ULL
#define RT_OFF	 1700000000000000000LL
#define SK_A	 0xffff888003f20000ULL
#define SK_B	 0xffff888003f28000ULL
#define SKB_A	 0xffff888004a1c200ULL
#define SKB_B	 0xffff888004a1c400ULL
#define SKB_C	 0xffff888004a1c600ULL
#define SKB_D	 0xffff888004a1c800ULL
#define PID	 1234
#define HDR_LEN	 54 /* Ethernet + IPv4 + TCP, no options */
#define TCP_SYN	 0x02
#define TCP_PSH	 0x08
#define TCP_ACK	 0x10
#define MAX_BLKS 16

static const struct trace_meta meta = {
	.abi_version = TSEND_ABI_VERSION,
	.snaplen = 128,
	.nr_cpus = 4,
	.realtime_offset = RT_OFF,
	.start_ns = T0,
	.kernel_release = "6.1.0-18-amd64",
	.hostname = "guest",
	.cmdline = "tsend-trace record -o t.tsend",
};

/* ---- records ---- */

static struct tsend_flow flow4(void)
{
	struct tsend_flow f = {.family = AF_INET, .protocol = 6, .sport = 5000, .dport = 80};

	inet_pton(AF_INET, "10.0.0.1", f.saddr);
	inet_pton(AF_INET, "10.0.0.2", f.daddr);
	return f;
}

static struct tsend_head head(__u8 stage, __u8 kind, __u8 phase, __u64 ts, __u64 sk, __u64 skb,
			      __u32 tid)
{
	struct tsend_head h = {.ts = T0 + ts,
			       .sk = sk,
			       .skb = skb,
			       .pid = PID,
			       .tid = tid,
			       .stage = stage,
			       .kind = kind,
			       .phase = phase,
			       .mech = TSEND_MECH_RAW_TP,
			       .cpu = 1};

	strcpy(h.comm, "tcp_sender");
	return h;
}

/* Hands rec over in a copy of exactly len bytes. */
static int feed(struct pcapng_export *x, const void *rec, __u32 len)
{
	void *copy = malloc(len ? len : 1);
	int err;

	memcpy(copy, rec, len);
	err = pcapng_export__add(x, copy, len);
	free(copy);
	return err;
}

static int feed_send(struct pcapng_export *x, __u8 phase, __u64 ts, __u32 tid, __u64 size,
		     __s64 ret)
{
	struct tsend_send_event e = {
		.h = head(TSEND_STAGE_SYS_SENDTO, TSEND_KIND_SEND, phase, ts, SK_A, 0, tid),
		.flow = flow4(),
		.ret = ret,
		.size = size,
		.fd = 3,
	};

	e.h.size = sizeof(e);
	return feed(x, &e, sizeof(e));
}

static int feed_locked(struct pcapng_export *x, __u64 ts, __u32 tid, __u32 write_seq)
{
	struct tsend_tcp_event e = {
		.h = head(TSEND_STAGE_TCP_SENDMSG_LOCKED, TSEND_KIND_TCP, TSEND_PHASE_ENTRY, ts,
			  SK_A, 0, tid),
		.flow = flow4(),
		.write_seq = write_seq,
		.snd_nxt = write_seq,
	};

	e.h.size = sizeof(e);
	return feed(x, &e, sizeof(e));
}

/* A frame as the wire has it: Ethernet, IPv4 10.0.0.1 > 10.0.0.2, TCP 5000 > 80. */
static void frame_bytes(__u8 *p, __u32 seq, __u8 flags, __u32 len)
{
	static const __u8 eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
	__u16 tot = htons((__u16)(len - 14));
	__u32 nseq = htonl(seq);

	memset(p, 0, HDR_LEN);
	memcpy(p, eth, sizeof(eth));
	p[14] = 0x45;
	memcpy(p + 16, &tot, 2);
	p[20] = 0x40; /* DF */
	p[22] = 64;
	p[23] = 6;
	inet_pton(AF_INET, "10.0.0.1", p + 26);
	inet_pton(AF_INET, "10.0.0.2", p + 30);
	p[34] = 5000 >> 8;
	p[35] = 5000 & 0xff;
	p[37] = 80;
	memcpy(p + 38, &nseq, 4);
	p[46] = 5 << 4;
	p[47] = flags;
	p[48] = 0xff;
	p[49] = 0xff;
}

struct skb_spec {
	__u8 stage;
	__u64 ts, sk, skb;
	__s32 ifindex;
	__u32 seq, end_seq, len;
	__u8 flags;
	__u16 snap_len;
};

static int feed_skb(struct pcapng_export *x, const struct skb_spec *s)
{
	unsigned char buf[sizeof(struct tsend_skb_event) + HDR_LEN];
	struct tsend_skb_event e = {
		.h = head(s->stage, TSEND_KIND_SKB, TSEND_PHASE_ENTRY, s->ts, s->sk, s->skb, PID),
		.flow = flow4(),
		.len = s->len,
		.seq = s->seq,
		.end_seq = s->end_seq,
		.ifindex = s->ifindex,
		.tcp_flags = s->flags,
		.seq_valid = s->end_seq != 0,
		.snap_len = s->snap_len,
	};

	e.h.size = sizeof(e) + s->snap_len;
	memcpy(buf, &e, sizeof(e));
	frame_bytes(buf + sizeof(e), s->seq, s->flags, s->len);
	return feed(x, buf, e.h.size);
}

static int feed_queue(struct pcapng_export *x, __u8 stage, __u64 ts, __u64 skb)
{
	struct skb_spec s = {
		.stage = stage, .ts = ts, .sk = SK_A, .skb = skb, .ifindex = 2, .len = HDR_LEN};

	return feed_skb(x, &s);
}

/* ---- the pcapng reader ---- */

struct blk {
	__u32 type;
	__u32 len;
	const __u8 *p; /* whole block */
};

static __u32 get32(const __u8 *p)
{
	__u32 v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static __u16 get16(const __u8 *p)
{
	__u16 v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

/* Splits buf into blocks, checking each one's framing. Returns the count. */
static int parse_blocks(const __u8 *buf, size_t size, struct blk *b, int max)
{
	size_t off = 0;
	int n = 0;

	while (off + 12 <= size && n < max) {
		__u32 len = get32(buf + off + 4);

		CHECK(len >= 12 && len % 4 == 0 && off + len <= size);
		if (len < 12 || len % 4 || off + len > size)
			return n;
		CHECK_EQ_U64(get32(buf + off + len - 4), len);
		b[n++] = (struct blk){.type = get32(buf + off), .len = len, .p = buf + off};
		off += len;
	}
	CHECK_EQ_U64(off, size);
	return n;
}

/*
 * The value of option code in [p, end) as a string (empty if absent),
 * checking every option's padding and the closing opt_endofopt.
 */
static void opt_get(const __u8 *p, const __u8 *end, __u16 code, char *val, size_t size)
{
	bool closed = false;

	val[0] = '\0';
	while (p + 4 <= end) {
		__u16 c = get16(p), n = get16(p + 2);
		__u32 padded = (n + 3U) & ~3U;

		if (c == 0) {
			CHECK_EQ_U64(n, 0);
			CHECK(p + 4 == end);
			closed = true;
			break;
		}
		CHECK(p + 4 + padded <= end);
		if (p + 4 + padded > end)
			return;
		for (__u32 i = n; i < padded; i++)
			CHECK_EQ_U64(p[4 + i], 0);
		if (c == code && n < size) {
			memcpy(val, p + 4, n);
			val[n] = '\0';
		}
		p += 4 + padded;
	}
	CHECK(closed);
}

static void check_shb(const struct blk *b)
{
	char v[300];

	CHECK_EQ_U64(b->type, 0x0a0d0d0a);
	CHECK_EQ_U64(get32(b->p + 8), 0x1a2b3c4d);
	CHECK_EQ_U64(get16(b->p + 12), 1);
	CHECK_EQ_U64(get16(b->p + 14), 0);
	CHECK_EQ_U64(get32(b->p + 16), 0xffffffff);
	CHECK_EQ_U64(get32(b->p + 20), 0xffffffff);
	opt_get(b->p + 24, b->p + b->len - 4, 2, v, sizeof(v));
	CHECK(!strcmp(v, "guest"));
	opt_get(b->p + 24, b->p + b->len - 4, 3, v, sizeof(v));
	CHECK(!strcmp(v, "Linux 6.1.0-18-amd64"));
	opt_get(b->p + 24, b->p + b->len - 4, 4, v, sizeof(v));
	CHECK(!strcmp(v, "tsend-trace"));
	opt_get(b->p + 24, b->p + b->len - 4, 1, v, sizeof(v));
	CHECK(!strcmp(v, "tsend-trace record -o t.tsend"));
}

static void check_idb(const struct blk *b, __u32 snaplen, const char *name)
{
	char v[64];

	CHECK_EQ_U64(b->type, 1);
	CHECK_EQ_U64(get16(b->p + 8), 1); /* LINKTYPE_ETHERNET */
	CHECK_EQ_U64(get16(b->p + 10), 0);
	CHECK_EQ_U64(get32(b->p + 12), snaplen);
	opt_get(b->p + 16, b->p + b->len - 4, 2, v, sizeof(v));
	CHECK(!strcmp(v, name));
	opt_get(b->p + 16, b->p + b->len - 4, 9, v, sizeof(v));
	CHECK(!strcmp(v, "\x09"));
}

struct want_epb {
	__u32 ifid;
	__u64 ts; /* relative to T0 */
	__u32 seq, len;
	__u8 flags;
	__u16 caplen;
	const char *comment;
};

static void check_epb(const struct blk *b, const struct want_epb *w)
{
	__u8 frame[HDR_LEN];
	__u32 padded = (w->caplen + 3U) & ~3U;
	__u64 ts = T0 + RT_OFF + w->ts;
	const __u8 *opts = b->p + 28 + padded;
	char v[300];

	CHECK_EQ_U64(b->type, 6);
	CHECK_EQ_U64(get32(b->p + 8), w->ifid);
	CHECK_EQ_U64(get32(b->p + 12), ts >> 32);
	CHECK_EQ_U64(get32(b->p + 16), ts & 0xffffffff);
	CHECK_EQ_U64(get32(b->p + 20), w->caplen);
	CHECK_EQ_U64(get32(b->p + 24), w->len);
	CHECK(28 + padded + 4 <= b->len);
	if (28 + padded + 4 > b->len)
		return;
	frame_bytes(frame, w->seq, w->flags, w->len);
	CHECK(!memcmp(b->p + 28, frame, w->caplen));
	for (__u32 i = w->caplen; i < padded; i++)
		CHECK_EQ_U64(b->p[28 + i], 0);
	opt_get(opts, b->p + b->len - 4, 1, v, sizeof(v));
	if (strcmp(v, w->comment))
		fprintf(stderr, "comment: got \"%s\"\n         want \"%s\"\n", v, w->comment);
	CHECK(!strcmp(v, w->comment));
	opt_get(opts, b->p + b->len - 4, 2, v, sizeof(v));
	CHECK(!memcmp(v, "\x02\0\0\0", 4)); /* epb_flags: outbound */
}

/* ---- the tests ---- */

/*
 * One 3000-byte send() on SK_A whose bytes leave in two frames on two
 * interfaces, partly before the send() returns, then a retransmission, a
 * SYN on a socket no send() touched (caplen 0) and a frame that knows
 * nothing but the task it was seen in.
 */
static void feed_story(struct pcapng_export *x)
{
	const struct skb_spec f1 = {TSEND_STAGE_NET_DEV_START_XMIT,
				    12000,
				    SK_A,
				    SKB_A,
				    2,
				    1000,
				    2448,
				    HDR_LEN + 1448,
				    TCP_ACK | TCP_PSH,
				    HDR_LEN};
	const struct skb_spec f2 = {TSEND_STAGE_NET_DEV_START_XMIT,
				    20500,
				    SK_A,
				    SKB_B,
				    3,
				    2448,
				    4000,
				    HDR_LEN + 1552,
				    TCP_ACK,
				    HDR_LEN};
	const struct skb_spec f3 = {TSEND_STAGE_NET_DEV_START_XMIT,
				    30000,
				    SK_A,
				    SKB_A,
				    2,
				    1000,
				    2448,
				    HDR_LEN + 1448,
				    TCP_ACK,
				    HDR_LEN};
	const struct skb_spec f4 = {TSEND_STAGE_NET_DEV_START_XMIT,
				    41000,
				    SK_B,
				    SKB_C,
				    3,
				    5000,
				    5001,
				    HDR_LEN,
				    TCP_SYN,
				    0};
	const struct skb_spec f5 = {
		TSEND_STAGE_NET_DEV_START_XMIT, 50000, 0, SKB_D, 2, 0, 0, 60, 0, 14};

	CHECK_EQ_U64(feed_send(x, TSEND_PHASE_ENTRY, 0, PID, 3000, 0), 0);
	CHECK_EQ_U64(feed_locked(x, 1000, PID, 1000), 0);
	CHECK_EQ_U64(feed_locked(x, 1500, PID, 2448), 0); /* next loop: ignored */
	CHECK_EQ_U64(feed_queue(x, TSEND_STAGE_NET_DEV_QUEUE, 10000, SKB_A), 0);
	CHECK_EQ_U64(feed_skb(x, &f1), 0);
	CHECK_EQ_U64(feed_queue(x, TSEND_STAGE_CONSUME_SKB, 13000, SKB_A), 0);
	CHECK_EQ_U64(feed_skb(x, &f2), 0);
	CHECK_EQ_U64(feed_send(x, TSEND_PHASE_EXIT, 25000, PID, 0, 3000), 0);
	CHECK_EQ_U64(feed_skb(x, &f3), 0);
	CHECK_EQ_U64(feed_queue(x, TSEND_STAGE_NET_DEV_QUEUE, 40500, SKB_C), 0);
	CHECK_EQ_U64(feed_skb(x, &f4), 0);
	CHECK_EQ_U64(feed_skb(x, &f5), 0);
}

static const struct want_epb story[] = {
	{0, 12000, 1000, HDR_LEN + 1448, TCP_ACK | TCP_PSH, HDR_LEN,
	 "tsend: pid 1234 tcp_sender; send()→wire 12.000 µs; queue 2.000 µs; seq 1000-2448"},
	{1, 20500, 2448, HDR_LEN + 1552, TCP_ACK, HDR_LEN,
	 "tsend: pid 1234 tcp_sender; send()→wire 20.500 µs; seq 2448-4000"},
	/* the send() went when frame 2 finished it: no send() time, no queue */
	{0, 30000, 1000, HDR_LEN + 1448, TCP_ACK, HDR_LEN,
	 "tsend: pid 1234 tcp_sender; seq 1000-2448; retransmission"},
	{1, 41000, 5000, HDR_LEN, TCP_SYN, 0,
	 "tsend: pid 1234 tcp_sender; queue 0.500 µs; seq 5000-5001"},
	{0, 50000, 0, 60, 0, 14, "tsend: pid 1234 tcp_sender"},
};

static void test_story(void)
{
	struct blk b[MAX_BLKS];
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	struct pcapng_export *x = pcapng_export__new(out, &meta);
	__u64 frames = 0;
	int n;

	CHECK(x != NULL);
	if (!x)
		return;
	feed_story(x);
	CHECK_EQ_U64(pcapng_export__finish(x, &frames), 0);
	CHECK_EQ_U64(frames, 5);
	CHECK_EQ_U64(pcapng_export__skipped(x), 0);
	pcapng_export__free(x);
	fclose(out);

	/* SHB, IDB if 2, EPB, IDB if 3, EPB, EPB, EPB, EPB */
	n = parse_blocks((const __u8 *)buf, size, b, MAX_BLKS);
	CHECK_EQ_U64(n, 8);
	if (n == 8) {
		check_shb(&b[0]);
		check_idb(&b[1], 128, "ifindex 2");
		check_epb(&b[2], &story[0]);
		check_idb(&b[3], 128, "ifindex 3");
		for (int i = 1; i < 5; i++)
			check_epb(&b[3 + i], &story[i]);
		/* 14 bytes + 2 of padding, a 26-byte comment + 2, epb_flags, end */
		CHECK_EQ_U64(b[7].len, 28 + 16 + 4 + 28 + 8 + 4 + 4);
	}
	free(buf);
}

/* Each is cut or lies about a length: skipped, counted, never read past. */
static void test_malformed(void)
{
	const struct skb_spec snap_past_frame = {
		TSEND_STAGE_NET_DEV_START_XMIT, 1, SK_A, SKB_A, 2, 1, 2, 40, TCP_ACK, HDR_LEN};
	const struct skb_spec good = {
		TSEND_STAGE_NET_DEV_START_XMIT, 2, SK_A, SKB_A, 2, 1, 2, 1500, TCP_ACK, HDR_LEN};
	unsigned char buf[sizeof(struct tsend_skb_event) + 200] = {0};
	struct tsend_skb_event e = {.h = head(TSEND_STAGE_NET_DEV_START_XMIT, TSEND_KIND_SKB,
					      TSEND_PHASE_ENTRY, 0, SK_A, SKB_A, PID),
				    .len = 1500,
				    .ifindex = 2};
	struct trace_meta small = meta;
	char *out_buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&out_buf, &size);
	struct pcapng_export *x = pcapng_export__new(out, &small);
	__u64 frames = 0;

	CHECK(x != NULL);
	if (!x)
		return;
	CHECK_EQ_U64(feed(x, &e, 20), -EINVAL); /* shorter than the head */
	e.h.size = sizeof(e) + 1;
	CHECK_EQ_U64(feed(x, &e, sizeof(e)), -EINVAL); /* head.size is not the length */
	e.h.size = sizeof(e) + 10;
	e.snap_len = 11;
	memcpy(buf, &e, sizeof(e));
	CHECK_EQ_U64(feed(x, buf, e.h.size), -EINVAL); /* snap_len past the record */
	e.h.size = sizeof(e) + 200;
	e.snap_len = 200;
	memcpy(buf, &e, sizeof(e));
	CHECK_EQ_U64(feed(x, buf, e.h.size), -EINVAL); /* beyond the header's snaplen */
	e.h.size = sizeof(e) - 8;
	CHECK_EQ_U64(feed(x, &e, e.h.size), -EINVAL); /* shorter than its struct */
	CHECK_EQ_U64(feed_skb(x, &snap_past_frame), -EINVAL);
	CHECK_EQ_U64(pcapng_export__skipped(x), 6);
	CHECK_EQ_U64(feed_skb(x, &good), 0);
	CHECK_EQ_U64(pcapng_export__finish(x, &frames), 0);
	CHECK_EQ_U64(frames, 1);
	CHECK_EQ_U64(pcapng_export__skipped(x), 6);
	pcapng_export__free(x);
	fclose(out);
	free(out_buf);
}

/* meta.snaplen 0 (unknown): the IDB says 65535. */
static void test_snaplen_unknown(void)
{
	const struct skb_spec f = {
		TSEND_STAGE_NET_DEV_START_XMIT, 7, SK_A, SKB_A, -1, 1, 2, 1500, TCP_ACK, HDR_LEN};
	struct trace_meta m = meta;
	struct blk b[MAX_BLKS];
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	struct pcapng_export *x;
	int n;

	m.snaplen = 0;
	x = pcapng_export__new(out, &m);
	CHECK(x != NULL);
	if (!x)
		return;
	CHECK_EQ_U64(feed_skb(x, &f), 0);
	CHECK_EQ_U64(pcapng_export__finish(x, NULL), 0);
	pcapng_export__free(x);
	fclose(out);
	n = parse_blocks((const __u8 *)buf, size, b, MAX_BLKS);
	CHECK_EQ_U64(n, 3);
	if (n == 3)
		check_idb(&b[1], 65535, "ifindex -1");
	free(buf);
}

/* A full disk: NULL/EIO from the constructor, then -EIO that sticks. */
static void test_write_error(void)
{
	const struct skb_spec f = {
		TSEND_STAGE_NET_DEV_START_XMIT, 7, SK_A, SKB_A, 2, 1, 2, 1500, TCP_ACK, HDR_LEN};
	char small[16], room[160];
	FILE *out = fmemopen(small, sizeof(small), "w");
	struct pcapng_export *x;
	__u64 frames = 9;

	setvbuf(out, NULL, _IONBF, 0);
	errno = 0;
	CHECK(pcapng_export__new(out, &meta) == NULL);
	CHECK_EQ_U64(errno, EIO);
	fclose(out);

	out = fmemopen(room, sizeof(room), "w"); /* the SHB fits, the IDB not */
	setvbuf(out, NULL, _IONBF, 0);
	x = pcapng_export__new(out, &meta);
	CHECK(x != NULL);
	if (x) {
		CHECK_EQ_U64(feed_skb(x, &f), -EIO);
		CHECK_EQ_U64(feed_send(x, TSEND_PHASE_ENTRY, 8, PID, 1, 0), -EIO);
		CHECK_EQ_U64(pcapng_export__finish(x, &frames), -EIO);
		CHECK_EQ_U64(frames, 0);
		pcapng_export__free(x);
	}
	fclose(out);
	errno = 0;
	CHECK(pcapng_export__new(NULL, &meta) == NULL);
	CHECK_EQ_U64(errno, EINVAL);
}

int main(void)
{
	test_story();
	test_malformed();
	test_snaplen_unknown();
	test_write_error();
	return check_done("pcapng");
}
