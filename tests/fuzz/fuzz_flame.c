// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for tsend-trace flame: flame_trace__add() on a stream of
 * records (STACK, STACK_IPS, KSYM and MAPS among them, as a trace file
 * holds them), then the folded and SVG writers. Input: one options byte,
 * then records as records.h reads them. Options: bits 0-1 the mode (auto,
 * stacks, path), bit 2 latency weights (bit 6: the default, AUTO), bit 3 a
 * --stage filter, bit 4 a --flow filter, bit 5 the same records again as
 * side B (a diff).
 *
 * Promises: the folded lines add up to the graph's total, and each line is
 * "frames weight" with no newline inside a frame.
 * Seeds: tests/fuzz/corpus/flame/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userspace/flame_trace.h"
#include "promise.h"
#include "records.h"

static void feed(struct flame *f, unsigned int side, const struct flame_trace_opts *o,
		 const uint8_t *data, size_t size)
{
	struct flame_trace *t = flame_trace__new(f, side, o, NULL);
	struct flame_trace_result res;
	uint32_t len;
	uint8_t *rec;

	if (!t)
		return;
	while ((rec = next_record(&data, &size, &len))) {
		flame_trace__add(t, rec, len);
		free(rec);
	}
	flame_trace__finish(t, NULL, &res);
	flame_trace__free(t);
}

/* Each line's last number(s) added up, per side. */
static void check_folded(const char *s, size_t n, bool diff, __u64 total_a, __u64 total_b)
{
	__u64 sum[2] = {0, 0};
	const char *end = s + n;

	while (s < end) {
		const char *nl = memchr(s, '\n', end - s), *sp;

		PROMISE(nl);
		sp = nl;
		for (int col = diff; col >= 0; col--) {
			const char *num = sp;

			while (num > s && num[-1] != ' ')
				num--;
			PROMISE(num > s);
			sum[col] += strtoull(num, NULL, 10);
			sp = num - 1;
		}
		s = nl + 1;
	}
	PROMISE(sum[0] == total_a);
	PROMISE(!diff || sum[1] == total_b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flame_trace_opts o = {0};
	struct flame_svg_opts so = {.title = "fuzz", .unit = "ns"};
	struct flame *f;
	char *buf = NULL;
	size_t len = 0;
	bool diff;
	FILE *out;

	if (!size)
		return 0;
	o.mode = data[0] & 3;
	if (o.mode > FLAME_PATH)
		o.mode = FLAME_AUTO;
	o.weight = data[0] & 64 ? FLAME_WEIGHT_AUTO : data[0] & 4 ? FLAME_LATENCY : FLAME_COUNT;
	if (data[0] & 8)
		o.stages =
			1ULL << TSEND_STAGE_NET_DEV_START_XMIT | 1ULL << TSEND_STAGE_NET_DEV_QUEUE;
	if (data[0] & 16)
		o.flow = ":80";
	diff = data[0] & 32;
	so.diff = diff;
	f = flame__new();
	if (!f)
		return 0;
	feed(f, 0, &o, data + 1, size - 1);
	if (diff)
		feed(f, 1, &o, data + 1, size - 1);
	out = open_memstream(&buf, &len);
	if (out) {
		PROMISE(flame__folded(f, out, diff) == 0);
		fclose(out);
		check_folded(buf, len, diff, flame__total(f, 0), flame__total(f, 1));
		free(buf);
	}
	out = fopen("/dev/null", "w");
	if (out) {
		PROMISE(flame__svg(f, out, &so) == 0);
		fclose(out);
	}
	flame__free(f);
	return 0;
}
