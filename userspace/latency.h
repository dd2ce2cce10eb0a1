/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where the time went, from lifecycles (the report's latency sections):
 *
 *   stage → stage     between consecutive stages of each skb
 *   end to end        first stage of an skb → net_dev_xmit, counted only for
 *                     skbs whose first stage is the earliest first stage of
 *                     any skb that got there (one first seen later along the
 *                     path, a clone or a segment, would look shorter)
 *   send()→wire       send() entry → net_dev_start_xmit of the frame that
 *                     carried its last byte, per send()
 *   per device        frames, bytes, drops, device queue wait (net_dev_queue
 *                     → net_dev_start_xmit) and end to end, per ifindex
 *   per CPU           frames and end to end, by the CPU that handed the
 *                     frame to the driver
 *   completeness      lifecycles and send() calls complete, and the others
 *                     by missing stage and reason; drops by reason
 *
 * Percentiles are exact (nearest rank over every sample, 8 bytes each);
 * histograms are log2 buckets of nanoseconds, as bpftrace's hist().
 */
#ifndef TSEND_LATENCY_H
#define TSEND_LATENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lifecycle.h"

/* Latency samples in ns; signed, as records of two CPUs can be out of order. */
struct samples {
	__s64 *v;
	size_t n, cap;
	bool sorted;
};

int samples_add(struct samples *s, __s64 v);
/* The p-th percentile (nearest rank); s must not be empty. Sorts once. */
__s64 samples_pct(struct samples *s, unsigned int p);
/* "  count  p50  p90  p99  max" in µs, as the report's rows. */
void samples_text(FILE *out, struct samples *s);
/* label (UTF-8) padded to the report's label column, then samples_text */
void samples_row(FILE *out, const char *label, struct samples *s);
/* "count":n,"p50_ns":...,"max_ns":...,"hist":[[lo,hi,n],...] */
void samples_json(FILE *out, struct samples *s);
/* ,"key":{samples_json} or ,"key":null when s is empty */
void samples_json_field(FILE *out, const char *key, struct samples *s);

struct latency;

struct latency *latency__new(void);
int latency__skb(struct latency *lat, const struct lc_skb *l);
int latency__send(struct latency *lat, const struct lc_send *s);
/* The sections as text, 80 columns; hist adds a log2 histogram per row. */
void latency__text(struct latency *lat, FILE *out, bool hist);
/* ,"latency":[...],"end_to_end":...,"send_to_wire":...,"devices":[...],... */
void latency__json(struct latency *lat, FILE *out);
void latency__free(struct latency *lat);

#endif /* TSEND_LATENCY_H */
