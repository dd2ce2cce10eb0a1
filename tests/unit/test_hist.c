// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hist.c: the slot of a value and its bounds (the numbering the BPF side of
 * tsend-trace top shares), nearest-rank percentiles as bucket bounds,
 * merging, and bpftrace's bars.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check.h"
#include "userspace/hist.h"

static void test_slots(void)
{
	static const __u64 v[] = {0, 1, 2, 3, 4, 7, 8, 1023, 1024, 1025, 1ULL << 40, UINT64_MAX};

	CHECK_EQ_U64(log2_hist_slot(0), 0);
	CHECK_EQ_U64(log2_hist_slot(1), 1);
	CHECK_EQ_U64(log2_hist_slot(3), 2);
	CHECK_EQ_U64(log2_hist_slot(4), 3);
	CHECK_EQ_U64(log2_hist_slot(1023), 10);
	CHECK_EQ_U64(log2_hist_slot(1024), 11);
	CHECK_EQ_U64(log2_hist_slot(UINT64_MAX), LOG2_HIST_SLOTS - 1);
	CHECK_EQ_U64(log2_hist_bound(0), 1);
	CHECK_EQ_U64(log2_hist_bound(11), 2048);
	CHECK_EQ_U64(log2_hist_bound(LOG2_HIST_SLOTS - 1), UINT64_MAX);
	/* every value lies in [bound(slot - 1), bound(slot)) */
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned int s = log2_hist_slot(v[i]);

		CHECK(v[i] < log2_hist_bound(s) || s == LOG2_HIST_SLOTS - 1);
		CHECK(v[i] >= (s ? log2_hist_bound(s - 1) : 0));
	}
}

static void test_percentiles(void)
{
	struct log2_hist h = {}, twice;

	CHECK_EQ_U64(log2_hist_percentile(&h, 50), 0);
	for (int i = 0; i < 90; i++)
		log2_hist_add(&h, 1000); /* [512, 1K) */
	for (int i = 0; i < 9; i++)
		log2_hist_add(&h, 5000); /* [4K, 8K) */
	log2_hist_add(&h, 100000);	 /* [64K, 128K) */
	CHECK_EQ_U64(log2_hist_count(&h), 100);
	CHECK_EQ_U64(log2_hist_percentile(&h, 1), 1024);
	CHECK_EQ_U64(log2_hist_percentile(&h, 50), 1024);
	CHECK_EQ_U64(log2_hist_percentile(&h, 90), 1024);
	CHECK_EQ_U64(log2_hist_percentile(&h, 91), 8192);
	CHECK_EQ_U64(log2_hist_percentile(&h, 99), 8192);
	CHECK_EQ_U64(log2_hist_percentile(&h, 100), 131072);

	twice = h;
	log2_hist_merge(&twice, &h);
	CHECK_EQ_U64(log2_hist_count(&twice), 200);
	CHECK_EQ_U64(twice.slot[10], 180);
	CHECK_EQ_U64(log2_hist_percentile(&twice, 99), 8192);
	CHECK_EQ_U64(log2_hist_percentile(&twice, 100), 131072);

	/* one value: every percentile is its bucket */
	memset(&h, 0, sizeof(h));
	log2_hist_add(&h, 0);
	CHECK_EQ_U64(log2_hist_percentile(&h, 1), 1);
	CHECK_EQ_U64(log2_hist_percentile(&h, 100), 1);
}

static char *print(const struct log2_hist *h, const char *indent)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	CHECK(log2_hist_print(f, h, indent) == 0);
	fclose(f);
	return s;
}

#define BARS                                                                                       \
	"  [1]                     1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"     \
	"  [2, 4)                  2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"     \
	"  [4, 8)                  0 |                                                    |\n"

static void test_bars(void)
{
	struct log2_hist h = {};
	char *s = print(&h, "");

	CHECK(s && !*s); /* empty: no lines */
	free(s);
	log2_hist_add(&h, 1);
	log2_hist_add(&h, 3);
	log2_hist_add(&h, 3);
	log2_hist_add(&h, 1500);
	s = print(&h, "  ");
	/* from the first bucket that is not empty to the last, bpftrace's way */
	CHECK(s && !strncmp(s, BARS, strlen(BARS)));
	CHECK(s && strstr(s, "\n  [512, 1K)               0 |"));
	CHECK(s && strstr(s, "\n  [1K, 2K)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@ "));
	CHECK(s && strlen(s) == 11 * strlen("  [1]                     1 |") + 11 * 54);
	free(s);
	memset(&h, 0, sizeof(h));
	h.slot[0] = 3;
	h.slot[LOG2_HIST_SLOTS - 1] = 1;
	s = print(&h, "");
	CHECK(s && !strncmp(s, "[0]", 3));
	CHECK(s && strstr(s, "\n[8E, 16E) "));
	free(s);
}

int main(void)
{
	test_slots();
	test_percentiles();
	test_bars();
	return check_done("hist");
}
