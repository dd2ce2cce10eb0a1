/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The engine's insides, for verify.c: the inputs and the device's frames. */
#ifndef TSEND_REPLAY_REPLAY_INT_H
#define TSEND_REPLAY_REPLAY_INT_H

#include "dev.h"
#include "replay.h"
#include "socket.h"

#define REPLAY_SEGS_MAX 256 /* wire segments of one super-frame */

struct replay {
	struct replay_opts opts;
	char trace[256];
	struct replay_input *in;
	struct net_device dev; /* frames in departure order */
	size_t pos;
	struct rframe segs[REPLAY_SEGS_MAX];
	size_t nr_segs, seg_pos;
	__u8 *buf; /* the frame replay__next returned */
};

#endif /* TSEND_REPLAY_REPLAY_INT_H */
