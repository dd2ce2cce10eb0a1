/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What tsend-trace top shows. Two readings of the top_* maps (bpf/tsend.h),
 * each entry summed over CPUs, give one refresh: per device or flow, the
 * interval's frames, bytes, drops and retransmits, and for each step from
 * one stage to the next its count and latency from the log2 buckets.
 *
 * No BPF here: top.c fills the readings, so the unit tests can too.
 */
#ifndef TSEND_TOP_VIEW_H
#define TSEND_TOP_VIEW_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../bpf/tsend.h"

enum top_map {
	TOP_HIST,   /* the "top_hist" map */
	TOP_COUNTS, /* the "top_counts" map */
	TOP_MAPS,
};

/* One map entry, summed over CPUs. */
struct top_entry {
	struct tsend_top_key key;
	union {
		__u64 n;			    /* top_hist: skbs in key.slot */
		struct tsend_top_counts c;	    /* top_counts */
		__u64 w[TSEND_TOP_COUNTS_SIZE / 8]; /* either, as words to sum */
	};
};

struct top_entries {
	struct top_entry *v;
	size_t nr, cap;
};

/* What the maps held at one moment. */
struct top_reading {
	__u64 mono_ns; /* CLOCK_MONOTONIC when read: the interval */
	__u64 real_ns; /* CLOCK_REALTIME: the time printed */
	struct top_entries map[TOP_MAPS];
};

/* Appends e to map m of rd; 0 or -ENOMEM. */
int top_reading__add(struct top_reading *rd, enum top_map m, const struct top_entry *e);
/* Sorts the entries by key, keeping one of equal keys (a map walk that
 * restarts, its key evicted, reads some twice). Before print. */
void top_reading__sort(struct top_reading *rd);
/* Empties rd, keeping its memory for the next reading. */
void top_reading__clear(struct top_reading *rd);
void top_reading__free(struct top_reading *rd);

struct top_view_opts {
	bool by_flow; /* rows are flows, not devices */
	bool hist;    /* the histograms too */
	bool json;    /* one JSON object per refresh, on one line */
	__u32 netns;  /* the namespace whose device names are printed */
	/* drop reasons' names by value (top__drop_reasons); NULL: numbers */
	char *const *reasons;
	unsigned int nr_reasons;
};

/*
 * One refresh: what changed from prev to cur (both sorted). A sum that
 * went down is a key that was evicted and came back: counted from zero.
 * Rows without change are left out. Returns 0, -ENOMEM, or -EIO if out
 * failed.
 */
int top_view_print(FILE *out, const struct top_reading *prev, const struct top_reading *cur,
		   const struct top_view_opts *o);

#endif /* TSEND_TOP_VIEW_H */
