/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Log2 histograms, as bpftrace's hist(): counts of values in power-of-two
 * buckets. Slot 0 holds 0, slot s > 0 holds [2^(s-1), 2^s). The BPF side
 * of tsend-trace top (bpf/tsend.bpf.h log2_slot) numbers them the same.
 *
 * Percentiles of a histogram are bucket bounds, not values: the upper
 * bound of the bucket the value falls in, so every value v of a bucket is
 * below the bound, and the true percentile is at most half of it below.
 */
#ifndef TSEND_HIST_H
#define TSEND_HIST_H

#include <linux/types.h>
#include <stdio.h>

#define LOG2_HIST_SLOTS 65

struct log2_hist {
	__u64 slot[LOG2_HIST_SLOTS];
};

/* The slot v is counted in. */
unsigned int log2_hist_slot(__u64 v);
/* The slot's upper bound, exclusive: 1 for slot 0, 2^s for slot s
 * (UINT64_MAX for the last, whose bound does not fit). */
__u64 log2_hist_bound(unsigned int slot);
void log2_hist_add(struct log2_hist *h, __u64 v);
void log2_hist_merge(struct log2_hist *dst, const struct log2_hist *src);
__u64 log2_hist_count(const struct log2_hist *h);
/* The bound of the bucket that holds the nearest-rank pct-th percentile
 * (1 to 100; 100 is the max); 0 for an empty histogram. */
__u64 log2_hist_percentile(const struct log2_hist *h, unsigned int pct);
/*
 * bpftrace's bars, one line per bucket from the first to the last that is
 * not empty, each line starting with indent:
 *   [1K, 2K)              12 |@@@@@@@@                                  |
 * Returns 0, or -EIO if out failed.
 */
int log2_hist_print(FILE *out, const struct log2_hist *h, const char *indent);

#endif /* TSEND_HIST_H */
