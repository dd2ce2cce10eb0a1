// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "sch_fq.h"

__u64 fq_departure(struct fq_flow *f, __u64 now, __u32 len, __u64 rate)
{
	__u64 t = now > f->time_next_packet ? now : f->time_next_packet;

	if (rate)
		f->time_next_packet = t + (__u64)len * 1000000000ULL / rate;
	return t;
}
