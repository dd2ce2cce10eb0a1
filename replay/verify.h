/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tsend-replay verify: the replay's frames, as the device got them, against
 * the kernel's frames at net_dev_start_xmit, pair by pair in each flow's
 * order. A field is verified when the replay computed it; fields it took
 * from the recording (the receive side's and the neighbour's share of a
 * header) are listed as inputs and never counted as matches, and bytes
 * neither side knows (beyond the snap length, or payload --payload did not
 * keep) as unverified.
 */
#ifndef TSEND_REPLAY_VERIFY_H
#define TSEND_REPLAY_VERIFY_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdio.h>

struct replay;

struct verify_result {
	__u64 flows, modeled_flows;
	__u64 kernel_frames; /* the send path's frames the kernel sent */
	__u64 replay_frames; /* the replay's */
	__u64 identical;     /* pairs equal in every verified field and byte */
	__u64 differ;	     /* pairs that are not */
	__u64 missing;	     /* kernel frames the replay did not make */
	__u64 extra;	     /* replay frames the kernel did not send */
	__u64 passthrough;   /* the kernel's other frames, replayed as recorded */
	__u64 fields_matched, fields_differ, fields_input;
	__u64 bytes_compared, bytes_differ;
	__u64 bytes_unverified_snap;	/* past the kernel frame's snap length */
	__u64 bytes_unverified_payload; /* payload the recording did not keep */
};

struct verify_opts {
	unsigned int max_diffs; /* mismatching frames to detail */
	bool json;
};

/* Compares; writes the report to out. Returns 0 when every kernel frame of
 * the send path has an identical replay frame and nothing is extra. */
int replay__verify(struct replay *r, const struct verify_opts *o, FILE *out,
		   struct verify_result *res);

#endif /* TSEND_REPLAY_VERIFY_H */
