/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Names of the stages and mechanisms of bpf/tsend.h, as users see them. */
#ifndef TSEND_STAGES_H
#define TSEND_STAGES_H

/* The seed's name of a stage ("tcp_sendmsg_locked"); "?" if out of range. */
const char *tsend_stage_name(unsigned int stage);
/* "fentry", "kprobe", "raw_tp", "tracepoint", ...; "none" for 0. */
const char *tsend_mech_name(unsigned int mech);

#endif /* TSEND_STAGES_H */
