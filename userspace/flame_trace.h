/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A trace as a flame graph (tsend-trace flame). Two kinds of graph:
 *
 *   stacks  from record --stacks: one sample per STACK record, its frames
 *           the process name, the user stack at send() (outermost first),
 *           then the kernel stack, the tracer's own frames (BPF program,
 *           tracepoint glue) cut off. Symbolized from the trace's KSYM and
 *           MAPS records and the mapped files' ELF symbols.
 *   path    no stacks needed (tracepoint-only kernels): the frames are the
 *           seed's call tree, send → tcp_sendmsg_locked → tcp_write_xmit
 *           → __tcp_transmit_skb → ... → ndo_start_xmit, and a stage's own
 *           width is the time skbs spent from it to their next stage.
 *
 * Weights: count (samples; in a path graph, skbs at each stage) or latency
 * (ns: a stack sample weighs what its skb then spent until its next stage,
 * one at send() the send() call's duration). Filters as the other commands.
 */
#ifndef TSEND_FLAME_TRACE_H
#define TSEND_FLAME_TRACE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "flame.h"
#include "trace_file.h"

enum flame_mode {
	FLAME_AUTO = 0, /* stacks if the trace has any, else path */
	FLAME_STACKS,
	FLAME_PATH,
};

enum flame_weight {
	FLAME_COUNT = 0,
	FLAME_LATENCY,
	FLAME_WEIGHT_AUTO, /* latency for the path graph, count for stacks */
};

struct flame_trace_opts {
	enum flame_mode mode;
	enum flame_weight weight;
	unsigned long long stages; /* --stage: samples or stages of these (1 << stage); 0 all */
	bool have_pid;
	__u32 pid;	  /* --pid: the process (tgid) */
	const char *comm; /* --comm */
	const char *flow; /* --flow: any part of "saddr:sport>daddr:dport" */
};

struct flame_trace_result {
	enum flame_mode mode;	  /* what the graph became */
	enum flame_weight weight; /* and its weights */
	__u64 records, malformed;
	__u64 samples;	   /* stack samples or skbs taken in */
	__u64 no_weight;   /* latency: samples whose skb had no next stage */
	__u64 missed;	   /* stacks the recording could not take */
	__u64 unresolved;  /* distinct addresses shown as "[unknown] 0x..." */
	char warning[256]; /* the reader's, when the file ended early */
};

/* The same, one record at a time (fuzzing, tests): new, add each record
 * in file order, finish once, free. meta may be NULL. */
struct flame_trace;

struct flame_trace *flame_trace__new(struct flame *f, unsigned int side,
				     const struct flame_trace_opts *o,
				     const struct trace_meta *meta);
/* 0, or -ENOMEM (a malformed record is counted and skipped). */
int flame_trace__add(struct flame_trace *t, const void *rec, __u32 len);
/* Adds the graph to f; stats is the end block (NULL: cut off). 0 or -ENOMEM. */
int flame_trace__finish(struct flame_trace *t, const struct trace_stats *stats,
			struct flame_trace_result *res);
void flame_trace__free(struct flame_trace *t);

/* Reads the trace r into side of f. 0, or -errno with err set (what came
 * before a corrupt block is kept). */
int flame_trace_read(struct flame *f, struct trace_reader *r, unsigned int side,
		     const struct flame_trace_opts *o, struct flame_trace_result *res, char *err,
		     size_t errlen);

#endif /* TSEND_FLAME_TRACE_H */
