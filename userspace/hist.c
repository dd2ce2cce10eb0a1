// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdint.h>

#include "hist.h"

#define BAR_WIDTH 52 /* bpftrace's */

unsigned int log2_hist_slot(__u64 v)
{
	return v ? 64 - __builtin_clzll(v) : 0;
}

__u64 log2_hist_bound(unsigned int slot)
{
	return slot < 64 ? 1ULL << slot : UINT64_MAX;
}

void log2_hist_add(struct log2_hist *h, __u64 v)
{
	h->slot[log2_hist_slot(v)]++;
}

void log2_hist_merge(struct log2_hist *dst, const struct log2_hist *src)
{
	for (unsigned int s = 0; s < LOG2_HIST_SLOTS; s++)
		dst->slot[s] += src->slot[s];
}

__u64 log2_hist_count(const struct log2_hist *h)
{
	__u64 n = 0;

	for (unsigned int s = 0; s < LOG2_HIST_SLOTS; s++)
		n += h->slot[s];
	return n;
}

__u64 log2_hist_percentile(const struct log2_hist *h, unsigned int pct)
{
	__u64 n = log2_hist_count(h), rank, seen = 0;

	if (!n)
		return 0;
	/* nearest rank: the smallest value with pct% of all at or below it */
	rank = (n * pct + 99) / 100;
	if (!rank)
		rank = 1;
	for (unsigned int s = 0; s < LOG2_HIST_SLOTS; s++) {
		seen += h->slot[s];
		if (seen >= rank)
			return log2_hist_bound(s);
	}
	return log2_hist_bound(LOG2_HIST_SLOTS - 1);
}

/* 2^e as bpftrace writes it: 512, 1K, 2K, ..., 1M, ..., 16E. */
static void fmt_pow2(char *buf, size_t len, unsigned int e)
{
	static const char *const suffix[] = {"", "K", "M", "G", "T", "P", "E"};

	snprintf(buf, len, "%llu%s", 1ULL << (e % 10), suffix[e / 10]);
}

/* "[0]", "[1]", "[2, 4)", ..., "[1K, 2K)" */
static void slot_label(char *buf, size_t len, unsigned int slot)
{
	char lo[8], hi[8];

	if (slot < 2) {
		snprintf(buf, len, "[%u]", slot);
		return;
	}
	fmt_pow2(lo, sizeof(lo), slot - 1);
	fmt_pow2(hi, sizeof(hi), slot);
	snprintf(buf, len, "[%s, %s)", lo, hi);
}

int log2_hist_print(FILE *out, const struct log2_hist *h, const char *indent)
{
	unsigned int first = LOG2_HIST_SLOTS, last = 0;
	__u64 top = 0;

	for (unsigned int s = 0; s < LOG2_HIST_SLOTS; s++) {
		if (!h->slot[s])
			continue;
		if (first == LOG2_HIST_SLOTS)
			first = s;
		last = s;
		if (h->slot[s] > top)
			top = h->slot[s];
	}
	for (unsigned int s = first; s <= last && s < LOG2_HIST_SLOTS; s++) {
		int bar = (int)(h->slot[s] * BAR_WIDTH / top);
		char label[24];

		slot_label(label, sizeof(label), s);
		fprintf(out, "%s%-16s %8llu |%.*s%*s|\n", indent, label,
			(unsigned long long)h->slot[s], bar,
			"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@", BAR_WIDTH - bar,
			"");
	}
	return ferror(out) ? -EIO : 0;
}
