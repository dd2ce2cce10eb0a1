/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The replay's TX loop: frames from a source, each at its time on a
 * schedule (sched.h), to an output (drivers/output.h) in batches of up to
 * XMIT_BATCH: every frame already due goes in one output__tx_batch(), then
 * one output__flush(), as dev_hard_start_xmit() hands a list to the driver
 * and rings the doorbell once, for the last skb (xmit_more).
 */
#ifndef TSEND_REPLAY_XMIT_H
#define TSEND_REPLAY_XMIT_H

#include <linux/types.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "replay/drivers/output.h"
#include "replay/sched.h"

#define XMIT_BATCH 64

struct xmit_source {
	/*
	 * Fills f and returns 1, 0 at the end of the stream, or -errno.
	 * f->ts_ns is the recorded time (CLOCK_REALTIME ns). f->data need only
	 * stay valid until the next call: xmit copies each frame before it
	 * asks for the next one.
	 */
	int (*next)(void *ctx, struct replay_frame *f);
	/* Back to the first frame, for loops != 1; returns 0 or -errno. */
	int (*rewind)(void *ctx);
	/* The source's own one-line reason for its last -errno (the file and
	 * offset of a bad record), or NULL. May be NULL itself. */
	const char *(*error)(void *ctx);
	void *ctx;
};

struct xmit_opts {
	/* Wait for each due time: true for a wire. A file output sets false:
	 * the schedule is written into ts_ns, not waited for. */
	bool wait;
	__u64 loops;		     /* passes over the source (--loop); 0 = until *stop */
	volatile sig_atomic_t *stop; /* set from SIGINT/SIGTERM; may be NULL */
};

struct xmit_stats {
	__u64 frames;
	__u64 bytes;	  /* their len, as output_stats counts */
	__u64 wire_bits;  /* their sched_wire_bits(), as --mbps paces them */
	__u64 batches;	  /* output__tx_batch() calls, one flush each */
	__u64 elapsed_ns; /* from sched__start() to the last flush */
	double pps;
	double mbps;		    /* wire_bits per elapsed us */
	struct sched_errors errors; /* all zero unless wait (and not topspeed) */
};

/*
 * Replays src through o on s, which it starts. Each frame's ts_ns becomes
 * its due time as CLOCK_REALTIME ns: the run's realtime start + its offset;
 * for a file (!wait) in SCHED_RECORDED the first frame's recorded ts_ns is
 * the start, so the recorded absolute times survive a pcap-to-pcap replay.
 * Stops at the end of the last pass or once *stop is set (within
 * SCHED_WAIT_MAX_NS while waiting); both return 0 with st filled.
 * Returns -errno with a line in err naming what failed (the output's own
 * message for an output failure).
 */
int xmit__run(struct output *o, struct sched *s, const struct xmit_source *src,
	      const struct xmit_opts *opts, struct xmit_stats *st, char *err, size_t errlen);

#endif /* TSEND_REPLAY_XMIT_H */
