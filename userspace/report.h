/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tsend-trace report: what a recording says, in one page.
 *
 * Feed every record to report__add() in file order, then report__print()
 * once or more (the first print closes the lifecycles still open). The
 * report has a summary (records, duration, losses), the probe table (how
 * each stage was observed), event counts per stage and mechanism, send()
 * calls, frames and send()→wire per flow, then from the lifecycles
 * (lifecycle.h, latency.h): latency between consecutive stages of each skb
 * with log2 histograms, end to end, send()→wire, per device, per CPU,
 * completeness and drops.
 *
 * Memory: the lifecycle assembler's bounded state, one entry per flow, and
 * one 8-byte sample per observed transition, kept so percentiles are exact.
 *
 * Int functions return 0 or -errno; report__new() returns NULL and sets
 * errno. Nothing is printed except by report__print(), to the FILE * given.
 */
#ifndef TSEND_REPORT_H
#define TSEND_REPORT_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdio.h>

#include "trace_file.h"

struct report;

/* meta: the probe table, which says why a stage may be missing (may be NULL). */
struct report *report__new(const struct trace_meta *meta);
/*
 * Counts one record (rec need not be aligned). -EINVAL: malformed, counted
 * as such and otherwise skipped; -ENOMEM: the record is counted but a flow
 * or a latency sample of it may be missing.
 */
int report__add(struct report *r, const void *rec, __u32 len);
/*
 * Text fits 80 columns; json writes one JSON document. meta and stats may
 * be NULL (no header; no end block, so losses are unknown).
 */
int report__print(struct report *r, FILE *out, const struct trace_meta *meta,
		  const struct trace_stats *stats, bool json);
void report__free(struct report *r);

#endif /* TSEND_REPORT_H */
