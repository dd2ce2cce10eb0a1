// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A big stacks trace from a small real one, for bench/flame.sh: the records
 * of IN (a `tsend-trace record --stacks` file) written again and again to
 * OUT until OUT holds SAMPLES stack samples (TSEND_KIND_STACK records, one
 * flame graph sample each, as one perf sample is). Every kind is copied:
 * the events (send, tcp, skb, data) and the STACK records, in file order.
 * The recorder writes what symbolizes stacks (STACK_IPS, KSYM, MAPS) once
 * per file, so those are written in the first pass only. Each later pass
 * is shifted in time past the one before it (the input's span plus 1 ms),
 * so timestamps stay monotonic; sockets, skbs and tasks are the same ones,
 * as in a long recording of one workload.
 *
 *   flame_gen IN OUT [SAMPLES]     (default 10000000)
 *   → flame_gen: R records (S stack samples) in P passes of IN to OUT
 *
 * For bench/process.sh, two options make a big trace of any recording:
 *   -r  N counts records of any kind, not stack samples (IN needs no
 *       stacks). OUT ends after exactly N records, mid-pass if need be, as
 *       a recording that was stopped.
 *   -k  each later pass is a new connection: new socket addresses and new
 *       initial sequence numbers. Pass p's head.sk is IN's with its top 16
 *       bits XORed with p (kernel addresses all share those bits, so no
 *       pass takes another's socket), and every TCP sequence and ACK number
 *       is IN's plus p * 0x9e3779b9 (mod 2^32): in the skb and tcp records
 *       and in the TCP header (and SACK blocks) of each frame snapshot,
 *       whose checksum is updated unless the device computes it
 *       (CHECKSUM_PARTIAL). One offset for both directions keeps every
 *       difference of sequence numbers. Without -k a pass sends the same
 *       sequence numbers on the same socket as the one before, and the
 *       lifecycles take each frame for a retransmission, or for more of an
 *       skb at the same address that the pass before left unfreed (frees
 *       of loopback frames go unseen). skb addresses stay the same ones,
 *       as the kernel's slabs hand them out again.
 *
 *   flame_gen -r -k IN OUT [RECORDS]
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include "bpf/tsend.h"
#include "userspace/trace_file.h"

#define ISN_STEP     0x9e3779b9U
#define CSUM_PARTIAL 4 /* tsend_skb_event.csum: 1 + CHECKSUM_PARTIAL */
#define TCPF_ACK     0x10

struct rec {
	__u32 off, len;
};

static const char usage[] =
	"usage: flame_gen [-r] [-k] IN OUT [N]: IN's records repeated into OUT until it holds N\n"
	"stack samples (default 10000000); -r: N records of any kind; -k: each pass a new\n"
	"connection (new socket addresses and sequence numbers)";

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "flame_gen: %s: %s\n", what, why);
	return 1;
}

static int once_per_file(__u8 kind)
{
	return kind == TSEND_KIND_STACK_IPS || kind == TSEND_KIND_KSYM || kind == TSEND_KIND_MAPS;
}

/* A field of the record at off, if the record holds it. */
static void add32(unsigned char *rec, __u32 len, size_t off, __u32 d, int keep_zero)
{
	__u32 v;

	if (off + sizeof(v) > len)
		return;
	memcpy(&v, rec + off, sizeof(v));
	if (keep_zero && !v)
		return;
	v += d;
	memcpy(rec + off, &v, sizeof(v));
}

static __u32 get_be32(const unsigned char *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

/* RFC 1624: the checksum at sum after a 32-bit word went from old to new */
static void csum_fix(unsigned char *sum, __u32 old, __u32 new)
{
	__u32 c = (__u32)(~(sum[0] << 8 | sum[1]) & 0xffff);

	c += (~old >> 16 & 0xffff) + (~old & 0xffff) + (new >> 16) + (new & 0xffff);
	while (c >> 16)
		c = (c & 0xffff) + (c >> 16);
	c = ~c & 0xffff;
	sum[0] = c >> 8;
	sum[1] = c & 0xff;
}

static void put_be32_fix(unsigned char *p, __u32 d, unsigned char *sum)
{
	__u32 old = get_be32(p), new = old + d;

	p[0] = new >> 24;
	p[1] = new >> 16;
	p[2] = new >> 8;
	p[3] = new;
	if (sum)
		csum_fix(sum, old, new);
}

/* The TCP header of an Ethernet frame's first n bytes: seq, ack, SACK. */
static void snap_shift(unsigned char *f, __u32 n, __u32 d, int fix_csum)
{
	unsigned char *sum, *t, *end = f + n;
	__u32 l3 = 14, th, opt;

	if (n < l3)
		return;
	if (f[12] == 0x08 && f[13] == 0x00) {
		if (n < l3 + 20 || f[l3 + 9] != 6 || (f[l3 + 6] & 0x1f) || f[l3 + 7])
			return; /* not TCP, or a fragment */
		t = f + l3 + (f[l3] & 0x0f) * 4;
	} else if (f[12] == 0x86 && f[13] == 0xdd) {
		if (n < l3 + 40 || f[l3 + 6] != 6)
			return;
		t = f + l3 + 40;
	} else {
		return;
	}
	if (t + 20 > end)
		return;
	th = (t[12] >> 4) * 4;
	sum = fix_csum && t + 18 <= end ? t + 16 : NULL;
	put_be32_fix(t + 4, d, sum);
	if (t[13] & TCPF_ACK)
		put_be32_fix(t + 8, d, sum);
	/* options: SACK blocks are sequence numbers too */
	for (opt = 20; opt < th && t + opt < end;) {
		__u8 kind = t[opt], ol;

		if (kind == 0)
			break;
		if (kind == 1) {
			opt++;
			continue;
		}
		if (t + opt + 1 >= end || (ol = t[opt + 1]) < 2 || opt + ol > th)
			break;
		if (kind == 5)
			for (__u32 b = opt + 2; b + 4 <= opt + ol && t + b + 4 <= end; b += 4)
				put_be32_fix(t + b, d, sum);
		opt += ol;
	}
}

/* -k: pass p's copy of a record is a new connection's */
static void new_connection(unsigned char *rec, __u32 len, unsigned long long pass)
{
	__u32 d = (__u32)pass * ISN_STEP;
	struct tsend_head h;

	memcpy(&h, rec, sizeof(h));
	if (h.sk) {
		h.sk ^= (__u64)(pass & 0xffff) << 48;
		memcpy(rec, &h, sizeof(h));
	}
	if (h.kind == TSEND_KIND_SKB && len >= TSEND_SKB_EVENT_SIZE) {
		struct tsend_skb_event e;

		memcpy(&e, rec, sizeof(e));
		if (e.seq_valid) {
			e.seq += d;
			e.end_seq += d;
			if (e.ack_seq)
				e.ack_seq += d;
		}
		memcpy(rec, &e, sizeof(e));
		if (e.snap_len && sizeof(e) + e.snap_len <= len)
			snap_shift(rec + sizeof(e), e.snap_len, d, e.csum != CSUM_PARTIAL);
	} else if (h.kind == TSEND_KIND_TCP) {
		/* 0: not read (an older ABI, no skb), left as it is */
		add32(rec, len, offsetof(struct tsend_tcp_event, snd_nxt), d, 1);
		add32(rec, len, offsetof(struct tsend_tcp_event, snd_una), d, 1);
		add32(rec, len, offsetof(struct tsend_tcp_event, write_seq), d, 1);
		add32(rec, len, offsetof(struct tsend_tcp_event, pushed_seq), d, 1);
		if (h.skb) {
			add32(rec, len, offsetof(struct tsend_tcp_event, skb_seq), d, 0);
			add32(rec, len, offsetof(struct tsend_tcp_event, skb_end_seq), d, 0);
			add32(rec, len, offsetof(struct tsend_tcp_event, skb_ack_seq), d, 1);
		}
	}
}

int main(int argc, char **argv)
{
	unsigned long long want = 10000000, samples = 0, records = 0, passes = 0, *count;
	int all_kinds = 0, new_conns = 0, opt;
	struct trace_stats stats = {0};
	struct trace_writer *w = NULL;
	struct trace_reader *r;
	struct rec *recs = NULL;
	size_t nr = 0, cap = 0, bytes = 0, bcap = 0, max_len = 0;
	unsigned char *buf = NULL, *out;
	__u64 first = 0, last = 0, span;
	struct trace_meta meta;
	char err[256];
	__u32 len;
	const void *p;
	int ret;

	while ((opt = getopt(argc, argv, "rk")) != -1) {
		if (opt == 'r')
			all_kinds = 1;
		else if (opt == 'k')
			new_conns = 1;
		else
			return fprintf(stderr, "%s\n", usage), 2;
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 3 || argc > 4)
		return fprintf(stderr, "%s\n", usage), 2;
	if (argc == 4) {
		char *end;

		want = strtoull(argv[3], &end, 10);
		if (*end || !want)
			return fprintf(stderr, "%s\n", usage), 2;
	}
	count = all_kinds ? &records : &samples;
	r = trace_reader__open(argv[1], err, sizeof(err));
	if (!r)
		return fail(argv[1], err);
	meta = *trace_reader__meta(r);
	/* the whole input in memory: one buffer of records, in file order */
	while ((ret = trace_reader__next(r, &p, &len)) == 1) {
		struct tsend_head h;

		if (len < sizeof(h))
			continue;
		memcpy(&h, p, sizeof(h));
		if (nr == cap || bytes + len > bcap) {
			size_t ncap = nr == cap ? 2 * cap + 65536 : cap;
			size_t nbcap = bytes + len > bcap ? 2 * bcap + len + (1 << 24) : bcap;
			struct rec *nrecs = realloc(recs, ncap * sizeof(*recs));
			unsigned char *nbuf;

			if (!nrecs)
				return fail(argv[1], strerror(ENOMEM));
			recs = nrecs;
			cap = ncap;
			nbuf = realloc(buf, nbcap);
			if (!nbuf)
				return fail(argv[1], strerror(ENOMEM));
			buf = nbuf;
			bcap = nbcap;
		}
		memcpy(buf + bytes, p, len);
		recs[nr].off = bytes;
		recs[nr++].len = len;
		bytes += len;
		if (len > max_len)
			max_len = len;
		if (h.ts && (!first || h.ts < first))
			first = h.ts;
		if (h.ts > last)
			last = h.ts;
		samples += h.kind == TSEND_KIND_STACK;
	}
	if (ret < 0)
		return fail(argv[1], trace_reader__error(r));
	if (trace_reader__stats(r))
		stats = *trace_reader__stats(r);
	trace_reader__close(r);
	if (!all_kinds && !samples)
		return fail(argv[1], "no stack samples (record it with --stacks)");
	if (!nr)
		return fail(argv[1], "no records");
	out = malloc(max_len);
	if (!out)
		return fail(argv[1], strerror(ENOMEM));

	w = trace_writer__open(argv[2], &meta);
	if (!w)
		return fail(argv[2], strerror(errno));
	span = last - first + 1000000;
	samples = 0;
	for (passes = 0; *count < want; passes++) {
		for (size_t i = 0; i < nr && *count < want; i++) {
			const unsigned char *rec = buf + recs[i].off;
			struct tsend_head h;

			memcpy(&h, rec, sizeof(h));
			if (passes && once_per_file(h.kind))
				continue;
			if (passes) {
				/* a copy: pass n is n spans after the first */
				memcpy(out, rec, recs[i].len);
				if (h.ts) {
					h.ts += passes * span;
					memcpy(out, &h, sizeof(h));
				}
				if (new_conns)
					new_connection(out, recs[i].len, passes);
				rec = out;
			}
			ret = trace_writer__append(w, rec, recs[i].len);
			if (ret)
				return fail(argv[2], strerror(-ret));
			records++;
			samples += h.kind == TSEND_KIND_STACK;
		}
	}
	stats.end_ns = (stats.end_ns > last ? stats.end_ns : last) + (passes - 1) * span;
	ret = trace_writer__close(w, &stats);
	if (ret)
		return fail(argv[2], strerror(-ret));
	printf("flame_gen: %llu records (%llu stack samples) in %llu passes of %s to %s\n", records,
	       samples, passes, argv[1], argv[2]);
	free(out);
	free(recs);
	free(buf);
	return 0;
}
