/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Names of the stages and mechanisms of bpf/tsend.h, as users see them. */
#ifndef TSEND_STAGES_H
#define TSEND_STAGES_H

/* The seed's name of a stage ("tcp_sendmsg_locked"); "?" if out of range. */
const char *tsend_stage_name(unsigned int stage);
/* "fentry", "kprobe", "raw_tp", "tracepoint", ...; "none" for 0. */
const char *tsend_mech_name(unsigned int mech);

/* The stage named name: a seed name ("tcp_write_xmit"), also with a
 * tracepoint's category ("net:net_dev_queue"); -1 if none. */
int tsend_stage_parse(const char *name);
/*
 * A comma-separated list of stage names, or "all", as a mask (1 << stage).
 * 0, or -EINVAL with the first name that is not a stage copied to bad.
 */
int tsend_stage_mask(const char *list, unsigned long long *mask, char *bad, unsigned int badlen);

#endif /* TSEND_STAGES_H */
