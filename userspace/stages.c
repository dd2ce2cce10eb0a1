// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>

#include "../bpf/tsend.h"
#include "stages.h"

static const char *const stage_names[TSEND_STAGE_MAX] = {
	[TSEND_STAGE_NONE] = "none",
	[TSEND_STAGE_SYS_SENDTO] = "__sys_sendto",
	[TSEND_STAGE_SYS_SENDMSG] = "__sys_sendmsg",
	[TSEND_STAGE_SOCK_SENDMSG] = "sock_sendmsg",
	[TSEND_STAGE_INET_SENDMSG] = "inet_sendmsg",
	[TSEND_STAGE_TCP_SENDMSG] = "tcp_sendmsg",
	[TSEND_STAGE_TCP_SENDMSG_LOCKED] = "tcp_sendmsg_locked",
	[TSEND_STAGE_TCP_STREAM_ALLOC_SKB] = "tcp_stream_alloc_skb",
	[TSEND_STAGE_TCP_SKB_ENTAIL] = "tcp_skb_entail",
	[TSEND_STAGE_TCP_PUSH_ONE] = "tcp_push_one",
	[TSEND_STAGE_TCP_WRITE_XMIT] = "tcp_write_xmit",
	[TSEND_STAGE_TCP_TRANSMIT_SKB] = "__tcp_transmit_skb",
	[TSEND_STAGE_TCP_EVENT_NEW_DATA_SENT] = "tcp_event_new_data_sent",
	[TSEND_STAGE_TCP_RETRANSMIT_SKB] = "tcp_retransmit_skb",
	[TSEND_STAGE_TCP_PROBE] = "tcp_probe",
	[TSEND_STAGE_IP_QUEUE_XMIT] = "__ip_queue_xmit",
	[TSEND_STAGE_IP_LOCAL_OUT] = "__ip_local_out",
	[TSEND_STAGE_IP_OUTPUT] = "ip_output",
	[TSEND_STAGE_IP_FINISH_OUTPUT] = "__ip_finish_output",
	[TSEND_STAGE_IP_FINISH_OUTPUT_GSO] = "ip_finish_output_gso",
	[TSEND_STAGE_IP_FINISH_OUTPUT2] = "ip_finish_output2",
	[TSEND_STAGE_NEIGH_OUTPUT] = "neigh_resolve_output",
	[TSEND_STAGE_DEV_QUEUE_XMIT] = "__dev_queue_xmit",
	[TSEND_STAGE_NET_DEV_QUEUE] = "net_dev_queue",
	[TSEND_STAGE_QDISC_ENQUEUE] = "qdisc_enqueue",
	[TSEND_STAGE_QDISC_DEQUEUE] = "qdisc_dequeue",
	[TSEND_STAGE_SCH_DIRECT_XMIT] = "sch_direct_xmit",
	[TSEND_STAGE_DEV_HARD_START_XMIT] = "dev_hard_start_xmit",
	[TSEND_STAGE_XMIT_ONE] = "xmit_one",
	[TSEND_STAGE_NET_DEV_START_XMIT] = "net_dev_start_xmit",
	[TSEND_STAGE_E1000_XMIT_FRAME] = "e1000_xmit_frame",
	[TSEND_STAGE_NET_DEV_XMIT] = "net_dev_xmit",
	[TSEND_STAGE_CONSUME_SKB] = "consume_skb",
	[TSEND_STAGE_KFREE_SKB] = "kfree_skb",
	[TSEND_STAGE_TCP_PACE_KICK] = "tcp_pace_kick",
	[TSEND_STAGE_TCP_WRITE_TIMER] = "tcp_write_timer",
};

static const char *const mech_names[TSEND_MECH_MAX] = {
	[TSEND_MECH_NONE] = "none",	      [TSEND_MECH_FENTRY] = "fentry",
	[TSEND_MECH_FEXIT] = "fexit",	      [TSEND_MECH_KPROBE] = "kprobe",
	[TSEND_MECH_KRETPROBE] = "kretprobe", [TSEND_MECH_TP_BTF] = "tp_btf",
	[TSEND_MECH_RAW_TP] = "raw_tp",	      [TSEND_MECH_TP] = "tracepoint",
};

const char *tsend_stage_name(unsigned int stage)
{
	return stage < TSEND_STAGE_MAX && stage_names[stage] ? stage_names[stage] : "?";
}

const char *tsend_mech_name(unsigned int mech)
{
	return mech < TSEND_MECH_MAX ? mech_names[mech] : "?";
}

int tsend_stage_parse(const char *name)
{
	const char *colon = strchr(name, ':');

	if (colon)
		name = colon + 1;
	for (int s = TSEND_STAGE_NONE + 1; s < TSEND_STAGE_MAX; s++)
		if (stage_names[s] && !strcmp(stage_names[s], name))
			return s;
	return -1;
}

int tsend_stage_mask(const char *list, unsigned long long *mask, char *bad, unsigned int badlen)
{
	*mask = 0;
	if (!strcmp(list, "all")) {
		for (int s = TSEND_STAGE_NONE + 1; s < TSEND_STAGE_MAX; s++)
			*mask |= 1ULL << s;
		return 0;
	}
	for (const char *p = list;; p++) {
		size_t n = strcspn(p, ",");
		char name[64];
		int s = -1;

		if (n && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			s = tsend_stage_parse(name);
		}
		if (s < 0) {
			snprintf(bad, badlen, "%.*s", (int)n, p);
			return -EINVAL;
		}
		*mask |= 1ULL << s;
		p += n;
		if (!*p)
			return 0;
	}
}
