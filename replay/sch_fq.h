/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* net/sched/sch_fq.c: pacing, for --qdisc fq. */
#ifndef TSEND_REPLAY_SCH_FQ_H
#define TSEND_REPLAY_SCH_FQ_H

#include <linux/types.h>

struct fq_flow {
	__u64 time_next_packet; /* ns */
};

/* mirrors fq_dequeue()'s pacing: when a frame of len bytes, ready at now,
 * leaves a flow paced at rate bytes per second (0: not paced) */
__u64 fq_departure(struct fq_flow *f, __u64 now, __u32 len, __u64 rate);

#endif /* TSEND_REPLAY_SCH_FQ_H */
