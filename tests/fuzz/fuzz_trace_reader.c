// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: the trace reader on arbitrary bytes. Reads the meta,
 * every record and the stats, as tsend-report would, and aborts when one of
 * the reader's promises (trace_file.h) is broken, so logic bugs show up as
 * crashes alongside what ASan and UBSan find.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -I. \
 *	tests/fuzz/fuzz_trace_reader.c userspace/trace_file.c -lz
 *
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (the OSS-Fuzz convention) makes
 * trace_file.c ignore CRC mismatches: without it almost every mutation
 * stops at a CRC and the inflate and record checks behind go unfuzzed.
 * Seeds: tests/fuzz/corpus/trace_reader/.
 */
#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../bpf/tsend.h"
#include "../../userspace/trace_file.h"
#include "promise.h"

static void check_str(const char *s, size_t size)
{
	PROMISE(strnlen(s, size) < size);
}

static void check_meta(const struct trace_meta *m)
{
	__u32 i;

	PROMISE(m->nr_probes <= TRACE_MAX_PROBES);
	PROMISE(m->nr_cpus <= TRACE_MAX_CPUS);
	check_str(m->kernel_release, sizeof(m->kernel_release));
	check_str(m->hostname, sizeof(m->hostname));
	check_str(m->cmdline, sizeof(m->cmdline));
	for (i = 0; i < m->nr_probes; i++) {
		check_str(m->probes[i].func, sizeof(m->probes[i].func));
		check_str(m->probes[i].target, sizeof(m->probes[i].target));
		check_str(m->probes[i].detail, sizeof(m->probes[i].detail));
	}
}

/* Touches both ends so ASan sees a record shorter than it claims. */
static void check_record(const void *rec, __u32 len)
{
	const unsigned char *p = rec;
	struct tsend_head h;
	volatile unsigned char sink;

	PROMISE(len >= sizeof(h) && len <= TRACE_RECORD_MAX);
	PROMISE((uintptr_t)rec % 8 == 0);
	memcpy(&h, rec, sizeof(h)); /* aligned: a struct read is fine too */
	PROMISE(h.size == len);
	sink = p[len - 1];
	(void)sink;
}

static void check_stats(const struct trace_stats *s)
{
	volatile __u64 sink = 0;
	__u32 i;

	PROMISE(s->nr_cpus <= TRACE_MAX_CPUS);
	for (i = 0; i < s->nr_cpus; i++)
		sink += s->lost[i] + s->untracked[i];
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_reader *r;
	const void *rec;
	char err[256];
	__u32 len;
	int ret;

	err[0] = 0;
	r = trace_reader__open_mem(data, size, "fuzz", err, sizeof(err));
	if (!r) {
		check_msg(err);
		return 0;
	}
	check_meta(trace_reader__meta(r));
	while ((ret = trace_reader__next(r, &rec, &len)) == 1)
		check_record(rec, len);
	if (ret < 0) {
		check_msg(trace_reader__error(r));
		/* a failed reader stays failed */
		PROMISE(trace_reader__next(r, &rec, &len) == ret);
	} else {
		PROMISE(ret == 0 && !trace_reader__error(r));
		PROMISE(trace_reader__next(r, &rec, &len) == 0);
	}
	if (trace_reader__warning(r))
		check_msg(trace_reader__warning(r));
	if (trace_reader__stats(r))
		check_stats(trace_reader__stats(r));
	/* a file without an end block says so */
	PROMISE(ret < 0 || trace_reader__stats(r) || trace_reader__warning(r));
	trace_reader__close(r);
	return 0;
}
