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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "bpf/tsend.h"
#include "userspace/trace_file.h"

struct rec {
	__u32 off, len;
};

static const char usage[] = "usage: flame_gen IN OUT [SAMPLES]: IN's records repeated into OUT "
			    "until it holds SAMPLES stack samples (default 10000000)";

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "flame_gen: %s: %s\n", what, why);
	return 1;
}

static int once_per_file(__u8 kind)
{
	return kind == TSEND_KIND_STACK_IPS || kind == TSEND_KIND_KSYM || kind == TSEND_KIND_MAPS;
}

int main(int argc, char **argv)
{
	unsigned long long want = 10000000, samples = 0, records = 0, passes = 0;
	struct trace_stats stats = {0};
	struct trace_writer *w = NULL;
	struct trace_reader *r;
	struct rec *recs = NULL;
	size_t nr = 0, cap = 0, bytes = 0, bcap = 0;
	unsigned char *buf = NULL;
	__u64 first = 0, last = 0, span;
	struct trace_meta meta;
	char err[256];
	__u32 len;
	const void *p;
	int ret;

	if (argc < 3 || argc > 4)
		return fprintf(stderr, "%s\n", usage), 2;
	if (argc == 4) {
		char *end;

		want = strtoull(argv[3], &end, 10);
		if (*end || !want)
			return fprintf(stderr, "%s\n", usage), 2;
	}
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
	if (!samples)
		return fail(argv[1], "no stack samples (record it with --stacks)");

	w = trace_writer__open(argv[2], &meta);
	if (!w)
		return fail(argv[2], strerror(errno));
	span = last - first + 1000000;
	samples = 0;
	for (passes = 0; samples < want; passes++) {
		for (size_t i = 0; i < nr && samples < want; i++) {
			unsigned char *rec = buf + recs[i].off;
			struct tsend_head h;

			memcpy(&h, rec, sizeof(h));
			if (passes && once_per_file(h.kind))
				continue;
			/* shifted in place, so pass n is n spans after the first */
			if (passes && h.ts) {
				h.ts += span;
				memcpy(rec, &h, sizeof(h));
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
	free(recs);
	free(buf);
	return 0;
}
