/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The lifecycles of a trace as a Chrome trace-event JSON timeline
 * (tsend-trace timeline), for the Perfetto UI and chrome://tracing:
 *
 *   {"traceEvents":[...],"displayTimeUnit":"ns","metadata":{...}}
 *
 *   a process per socket   named by its flow and sk address, with threads
 *     "send()"             an X slice per send() call, entry to exit, with
 *                          a child per stage (tcp_sendmsg_locked, ...)
 *                          that lasts until the next; calls that overlap
 *                          (several threads) go to "send() 2", ...
 *     "skbs 1", "skbs 2"   an X slice per skb lifecycle, first stage to
 *                          last, with a child per stage that lasts until
 *                          the next; lifecycles that overlap in time go to
 *                          different lanes
 *   a process "CPUs"       a thread per CPU, with an instant per stage
 *                          record (of skbs and send() calls) it ran
 *   flow arrows            from each send() to each frame (lifecycle) that
 *                          carries its bytes: one "s"/"f" pair each
 *
 * ts and dur are µs since the recording's start (trace_meta.start_ns) with
 * nanosecond digits, "12.345". Slices on one thread nest: stage times of
 * two CPUs can be a few ns out of order, so each stage starts at least 1 ns
 * after the previous one, and the last stage is 1 ns wide (a zero-length
 * slice at its parent's very end would fall out of the parent: importers
 * treat slices as [start, end)). "metadata" has the recording's host,
 * kernel and command line, the probe table, and the counts below.
 *
 * Lifecycles and send() calls are fed as the lifecycle assembler finishes
 * them, which is not time order; the output is written as they come (the
 * importers sort by time). Memory stays bounded (a few MiB, plus about
 * 300 bytes a lane and 50 a frame waiting for its send()): sockets, lanes,
 * the send() calls kept for frames to come and the frames waiting have
 * limits; what did not fit is counted, never drawn wrong.
 *
 * Nothing here prints or exits. Int functions return 0 or -errno (-EIO
 * once a write failed, -ENOMEM), sticky; the constructor returns NULL and
 * sets errno.
 */
#ifndef TSEND_TIMELINE_H
#define TSEND_TIMELINE_H

#include <linux/types.h>
#include <stdio.h>

#include "lifecycle.h"
#include "trace_file.h"

struct timeline;

struct timeline_counts {
	__u64 sockets;
	__u64 skbs, sends;   /* drawn */
	__u64 skbs_undrawn;  /* no stage, or every lane of its socket taken */
	__u64 sends_undrawn; /* every send() lane of its socket taken */
	__u64 links;	     /* send() → frame arrows */
	__u64 links_missing; /* arrows a frame waited for in vain: its send()
			      * was not drawn, forgotten (limits), or began
			      * after the frame left */
	__u64 clamped;	     /* stage times moved to keep slices nested */
};

/* Writes the head of the JSON to out, which stays the caller's (neither
 * flushed nor closed here). NULL with errno EINVAL, ENOMEM or EIO. */
struct timeline *timeline__new(FILE *out, const struct trace_meta *meta);
/* One finished lifecycle or send(), in any order. */
int timeline__skb(struct timeline *t, const struct lc_skb *l);
int timeline__send(struct timeline *t, const struct lc_send *s);
/* Closes the event array, writes the metadata and flushes. Call once. */
int timeline__finish(struct timeline *t);
const struct timeline_counts *timeline__counts(const struct timeline *t);
void timeline__free(struct timeline *t);

#define TIMELINE_SOCK_MAX  4096 /* sockets drawn at once; the least recently used goes */
#define TIMELINE_LANES_MAX 1024 /* lanes per socket, for skbs and for send() each */

#endif /* TSEND_TIMELINE_H */
