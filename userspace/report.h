/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tsend-trace report: what a recording says, in one page.
 *
 * Feed every record to report__add() in file order, then report__print()
 * once or more. The report has a summary (records, duration, losses), the
 * probe table (how each stage was observed), event counts per stage and
 * mechanism, send() calls and frames per flow, and the latency between
 * consecutive stages of each skb, followed by its address from its first
 * stage to consume_skb/kfree_skb.
 *
 * Memory: one entry per live skb (freed when its lifecycle ends, at most
 * REPORT_LIVE_MAX at once), one per flow, and one 8-byte sample per
 * observed transition, kept so percentiles are exact.
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

#define REPORT_LIVE_MAX (1U << 18) /* skbs followed at once */

struct report;

struct report *report__new(void);
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
