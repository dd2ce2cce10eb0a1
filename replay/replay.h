/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tsend-replay's engine: a trace in, the frames the send path makes out,
 * in departure order. Everything is computed when the replay is opened, so
 * the same trace and options always give the same frames (nothing reads a
 * clock, a random source or the environment); frames are built one at a
 * time as the output takes them.
 */
#ifndef TSEND_REPLAY_REPLAY_H
#define TSEND_REPLAY_REPLAY_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "drivers/output.h"

enum replay_view {
	VIEW_WIRE,   /* what the NIC puts on the wire: GSO frames cut at the
		      * MSS, checksums complete (the default) */
	VIEW_DEVICE, /* what the kernel handed the driver (net_dev_start_xmit):
		      * TSO super-frames, CHECKSUM_PARTIAL left partial */
};

enum replay_qdisc {
	QDISC_RECORDED, /* departures as recorded */
	QDISC_PFIFO_FAST,
	QDISC_FQ, /* pacing at the rate tcp_update_pacing_rate() computes */
};

struct replay_opts {
	enum replay_view view;
	__u32 mss;   /* --mss: what-if MSS, 0 as recorded */
	int nodelay; /* --nodelay: 1 on, 0 off, -1 as recorded */
	bool no_tso; /* --no-tso: the device cuts nothing, GSO in software */
	enum replay_qdisc qdisc;
	bool dst_mac_set;
	__u8 dst_mac[6]; /* --dst-mac: the neighbour's address */
	bool partial;	 /* replay a trace that ended early (torn, no end block) */
};

/* Any what-if knob set: the recorded departures no longer apply. */
bool replay_opts__what_if(const struct replay_opts *o);

struct replay_frame_info {
	const struct tsend_flow *flow;
	bool passthrough;   /* not the send path's: the kernel's frame as recorded */
	bool payload_known; /* every payload byte was recorded */
	__u64 kernel_rec;   /* the trace record of the kernel frame it pairs with, 0 none */
	__u64 mono_ns;	    /* departure, CLOCK_MONOTONIC of the recording */
};

struct replay;

/* Reads the trace and runs the send path; NULL with a one-line reason (the
 * trace's record, or the flow it cannot model) in err. */
struct replay *replay__open(const char *trace, const struct replay_opts *opts, char *err,
			    size_t errlen);
/* The same over a trace in memory (fuzzing, tests); name is used in messages. */
struct replay *replay__open_mem(const void *buf, size_t len, const char *name,
				const struct replay_opts *opts, char *err, size_t errlen);
/* The next frame in departure order: 1, 0 at the end, -ENOMEM. The bytes
 * stay valid until the next call. */
int replay__next(struct replay *r, struct replay_frame *f, struct replay_frame_info *info);
/* Back to the first frame (--loop). */
void replay__rewind(struct replay *r);
struct replay_summary {
	__u64 socks, modeled_socks, sends, bytes, frames, passthrough, unknown_payload_frames;
	__u64 records, lost;
};
void replay__summary(const struct replay *r, struct replay_summary *s);
/* The warning the trace left (ended early), or NULL. */
const char *replay__warning(const struct replay *r);
void replay__close(struct replay *r);

#endif /* TSEND_REPLAY_REPLAY_H */
