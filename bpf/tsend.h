/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tsend event ABI: the only header the BPF programs and userspace share.
 *
 * Every record the BPF side emits starts with struct tsend_head; head.kind
 * says which body follows and head.size is the record's whole length
 * (head, body and any trailing bytes). Only __u* types, no includes: the BPF
 * side gets them from vmlinux.h, userspace from <linux/types.h>. Little
 * endian, natural alignment, explicit padding; userspace _Static_asserts the
 * sizes below so a change here cannot go unnoticed.
 *
 * A body only ever grows at its end, before any trailing bytes: a reader
 * takes a record shorter than its struct (an older ABI wrote it, head.size
 * says so) and zero-fills the rest. ABI 2 added the received segment's ACK
 * to struct tsend_tcp_event. ABI 3 added TSEND_KIND_DATA (a send()'s
 * payload past what its entry record holds), tsend_skb_event.csum and the
 * socket's pacing to struct tsend_tcp_event. ABI 4 added stacks:
 * TSEND_KIND_STACK from BPF, and the records the recorder writes so a trace
 * can be symbolized anywhere later (TSEND_KIND_STACK_IPS, _KSYM, _MAPS).
 */
#ifndef TSEND_H
#define TSEND_H

#define TSEND_ABI_VERSION 4

#define TSEND_COMM_LEN	   16
#define TSEND_SNAP_DEFAULT 128
#define TSEND_DATA_MAX	   1024 /* upper bound of --snaplen and --payload */

/* The stages: each is one function or tracepoint of the seed's call tree. */
enum tsend_stage {
	TSEND_STAGE_NONE = 0,
	/* net/socket.c, net/ipv4/af_inet.c */
	TSEND_STAGE_SYS_SENDTO,	  /* __sys_sendto | syscalls:sys_{enter,exit}_sendto */
	TSEND_STAGE_SYS_SENDMSG,  /* __sys_sendmsg | syscalls:sys_{enter,exit}_sendmsg */
	TSEND_STAGE_SOCK_SENDMSG, /* sock_sendmsg | sock:sock_send_length */
	TSEND_STAGE_INET_SENDMSG, /* inet_sendmsg */
	/* net/ipv4/tcp.c */
	TSEND_STAGE_TCP_SENDMSG,	  /* tcp_sendmsg */
	TSEND_STAGE_TCP_SENDMSG_LOCKED,	  /* tcp_sendmsg_locked | tcp:tcp_sendmsg_locked */
	TSEND_STAGE_TCP_STREAM_ALLOC_SKB, /* tcp_stream_alloc_skb (sk_stream_alloc_skb < 5.17) */
	TSEND_STAGE_TCP_SKB_ENTAIL,	  /* tcp_skb_entail (skb_entail < 5.17) */
	TSEND_STAGE_TCP_PUSH_ONE,	  /* tcp_push_one */
	/* net/ipv4/tcp_output.c */
	TSEND_STAGE_TCP_WRITE_XMIT,	     /* tcp_write_xmit */
	TSEND_STAGE_TCP_TRANSMIT_SKB,	     /* __tcp_transmit_skb */
	TSEND_STAGE_TCP_EVENT_NEW_DATA_SENT, /* tcp_event_new_data_sent */
	TSEND_STAGE_TCP_RETRANSMIT_SKB,	     /* tcp:tcp_retransmit_skb */
	TSEND_STAGE_TCP_PROBE,		     /* tcp_ack | tcp:tcp_probe (ACK arrival: peer input) */
	/* net/ipv4/ip_output.c, include/net/neighbour.h */
	TSEND_STAGE_IP_QUEUE_XMIT,	  /* __ip_queue_xmit */
	TSEND_STAGE_IP_LOCAL_OUT,	  /* __ip_local_out */
	TSEND_STAGE_IP_OUTPUT,		  /* ip_output */
	TSEND_STAGE_IP_FINISH_OUTPUT,	  /* __ip_finish_output */
	TSEND_STAGE_IP_FINISH_OUTPUT_GSO, /* ip_finish_output_gso */
	TSEND_STAGE_IP_FINISH_OUTPUT2,	  /* ip_finish_output2 */
	TSEND_STAGE_NEIGH_OUTPUT,	  /* neigh_resolve_output (neigh_output is inline) */
	/* net/core/dev.c, net/sched/sch_generic.c */
	TSEND_STAGE_DEV_QUEUE_XMIT,	 /* __dev_queue_xmit */
	TSEND_STAGE_NET_DEV_QUEUE,	 /* net:net_dev_queue */
	TSEND_STAGE_QDISC_ENQUEUE,	 /* qdisc:qdisc_enqueue */
	TSEND_STAGE_QDISC_DEQUEUE,	 /* qdisc:qdisc_dequeue */
	TSEND_STAGE_SCH_DIRECT_XMIT,	 /* sch_direct_xmit */
	TSEND_STAGE_DEV_HARD_START_XMIT, /* dev_hard_start_xmit */
	TSEND_STAGE_XMIT_ONE,		 /* xmit_one (static: often inlined) */
	TSEND_STAGE_NET_DEV_START_XMIT,	 /* net:net_dev_start_xmit (in xmit_one) */
	TSEND_STAGE_E1000_XMIT_FRAME,	 /* e1000_xmit_frame (e1000e's ndo_start_xmit) */
	TSEND_STAGE_NET_DEV_XMIT,	 /* net:net_dev_xmit */
	/* net/core/skbuff.c */
	TSEND_STAGE_CONSUME_SKB, /* skb:consume_skb */
	TSEND_STAGE_KFREE_SKB,	 /* skb:kfree_skb */
	/* net/ipv4/tcp_output.c, after the rest to keep the numbers: the
	 * pacing hrtimer runs tcp_write_xmit (a clock input, as ACKs are) */
	TSEND_STAGE_TCP_PACE_KICK, /* tcp_pace_kick | timer:hrtimer_expire_entry */
	/* the retransmit timer (RTO, tail loss probe, zero-window probe) */
	TSEND_STAGE_TCP_WRITE_TIMER, /* tcp_write_timer | timer:timer_expire_entry */
	TSEND_STAGE_MAX,
};

/* How a record was observed (also the probe table's "mechanism"). */
enum tsend_mech {
	TSEND_MECH_NONE = 0, /* not attached */
	TSEND_MECH_FENTRY,
	TSEND_MECH_FEXIT,
	TSEND_MECH_KPROBE,
	TSEND_MECH_KRETPROBE,
	TSEND_MECH_TP_BTF,
	TSEND_MECH_RAW_TP,
	TSEND_MECH_TP, /* classic tracepoint */
	TSEND_MECH_MAX,
};

/* Which body follows the head. */
enum tsend_kind {
	TSEND_KIND_SEND = 1,  /* struct tsend_send_event: a send() call */
	TSEND_KIND_TCP = 2,   /* struct tsend_tcp_event: socket-level TCP state */
	TSEND_KIND_SKB = 3,   /* struct tsend_skb_event: one sk_buff */
	TSEND_KIND_DATA = 4,  /* struct tsend_data_event: more of a send()'s bytes */
	TSEND_KIND_STACK = 5, /* struct tsend_stack_event: stacks at the record before */
	/* written by the recorder (userspace), not BPF: what symbolizes stacks */
	TSEND_KIND_STACK_IPS = 6, /* struct tsend_stack_ips: a stack id's addresses */
	TSEND_KIND_KSYM = 7,	  /* struct tsend_ksym: a kernel symbol, from /proc/kallsyms */
	TSEND_KIND_MAPS = 8,	  /* struct tsend_maps: a process's executable mappings */
};

enum tsend_phase {
	TSEND_PHASE_ENTRY = 0,
	TSEND_PHASE_EXIT = 1,
};

struct tsend_head {
	__u64 ts;  /* CLOCK_MONOTONIC ns (bpf_ktime_get_ns) */
	__u64 sk;  /* struct sock * or 0 */
	__u64 skb; /* struct sk_buff * or 0 */
	__u32 pid; /* tgid of current */
	__u32 tid;
	__u16 size; /* bytes of the whole record */
	__u8 stage; /* enum tsend_stage */
	__u8 kind;  /* enum tsend_kind */
	__u8 phase; /* enum tsend_phase */
	__u8 mech;  /* enum tsend_mech */
	__u16 cpu;
	char comm[TSEND_COMM_LEN];
};

/* Socket identity: ports in host order, IPv4 in the first 4 address bytes. */
struct tsend_flow {
	__u8 family; /* AF_INET 2, AF_INET6 10, 0 unknown */
	__u8 protocol;
	__u16 sport;
	__u16 dport;
	__u16 pad;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct tsend_send_event {
	struct tsend_head h;
	struct tsend_flow flow;
	__s64 ret;  /* bytes sent or -errno; exit phase only */
	__u64 size; /* bytes asked for (sum of iov lengths for sendmsg) */
	__u32 fd;
	__u32 flags;	   /* MSG_* */
	__u16 payload_len; /* bytes of payload[] (--payload) */
	__u16 pad[3];
	__u8 payload[];
};

struct tsend_tcp_event {
	struct tsend_head h;
	struct tsend_flow flow;
	__u32 snd_nxt;
	__u32 snd_una;
	__u32 write_seq;
	__u32 pushed_seq;
	__u32 snd_wnd;
	__u32 rcv_wnd;
	__u32 snd_cwnd;
	__u32 snd_ssthresh;
	__u32 srtt_us; /* smoothed RTT << 3, as the kernel keeps it */
	__u32 mss_cache;
	__u32 packets_out;
	__u32 retrans_out;
	__u32 size_goal; /* tcp_sendmsg_locked: the skb size it aims for */
	__u32 msg_left;	 /* tcp_sendmsg_locked: bytes of the msg not copied yet */
	__u32 skb_seq;	 /* TCP_SKB_CB(skb) of h.skb, when there is one */
	__u32 skb_end_seq;
	__u32 skb_len;
	__u8 state;   /* sk_state */
	__u8 nonagle; /* tp->nonagle: TCP_NAGLE_OFF 1, CORK 2, PUSH 4 */
	__u8 owned;   /* ABI 3: 1 + sk_lock.owned (a task holds the socket:
		       * timers defer to release_sock), 0 not read */
	__u8 pad;
	/* ABI 2. tcp_probe: the segment received (h.skb): what it acknowledges
	 * and its flags. tcp_probe fires before the segment is processed, so
	 * snd_una above is still the old value. */
	__u32 skb_ack_seq;
	__u8 skb_tcp_flags;
	__u8 pad2[3];
	/* ABI 3. How the socket paces (the replay needs it to know when
	 * tcp_write_xmit may send): sk_pacing_rate in bytes/s (~0: none set),
	 * 1 + sk_pacing_status (SK_PACING_NONE 0, NEEDED 1: TCP's own timer,
	 * FQ 2), 0 not read. */
	__u64 pacing_rate;
	__u8 pacing_status;
	__u8 pacing_shift; /* sk_pacing_shift */
	__u8 icsk_pending; /* ICSK_TIME_*: the timer due (RETRANS 1, PROBE0 3,
			    * REO_TIMEOUT 4, LOSS_PROBE 5) */
	__u8 ca_state;	   /* icsk_ca_state: Open 0, Disorder 1, CWR 2, Recovery 3, Loss 4 */
	__u32 min_rtt_us;  /* tcp_min_rtt(): TSO autosizing reads it */
	__u32 sacked_out;  /* segments the peer SACKed, */
	__u32 lost_out;	   /* and those marked lost: not in flight */
};

struct tsend_skb_event {
	struct tsend_head h;
	struct tsend_flow flow;
	__u64 head;	/* skb->head: shared by an skb and its clones */
	__u32 len;	/* skb->len */
	__u32 data_len; /* skb->data_len (bytes in frags) */
	__u32 seq;	/* TCP sequence range: TCP_SKB_CB before the */
	__u32 end_seq;	/* header is built, the header after */
	__u32 ack_seq;
	__u32 gso_type;
	__u16 gso_size;
	__u16 gso_segs;
	__s32 ifindex;	/* skb->dev or the tracepoint's dev; 0 unknown */
	__s32 ret;	/* net_dev_xmit rc; kfree_skb drop reason */
	__u16 queue;	/* skb->queue_mapping */
	__u8 tcp_flags; /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 */
	__u8 seq_valid; /* seq/end_seq/flags hold real values */
	__u16 snap_len; /* bytes of data[] */
	__u8 csum;	/* ABI 3: 1 + skb->ip_summed (CHECKSUM_PARTIAL 3: the
			 * device fills the L4 checksum); 0 not read */
	__u8 pad;
	__u32 truesize; /* ABI 3: skb->truesize, what TCP Small Queues charges
			 * the socket for it; 0 not read */
	__u8 data[];	/* net_dev_start_xmit: the frame's first bytes, from
			 * sizeof(struct tsend_skb_event) */
};

/*
 * --payload beyond what the send()'s entry record holds (TSEND_DATA_MAX):
 * at the send()'s exit, once its return value says how many bytes the kernel
 * took, bytes [offset, offset + data_len) of them follow in chunks of up to
 * TSEND_CHUNK_MAX. head.sk/pid/tid are the send()'s; head.stage its stage.
 */
#define TSEND_CHUNK_MAX 4096

struct tsend_data_event {
	struct tsend_head h;
	__u64 offset;	/* of data[0] in the bytes the send() passed */
	__u16 data_len; /* bytes of data[] */
	__u16 pad[3];
	__u8 data[];
};

/*
 * ABI 4. Stacks (record --stacks): right after the record of a stage the
 * user picked, the same program emits one of these with the same head
 * (ts, sk, skb, pid, tid, stage, phase, mech), so it joins that record.
 * The ids index the "stacks" BPF stack map; the recorder writes each id's
 * addresses once per file as a TSEND_KIND_STACK_IPS record, before the
 * first STACK record that names it. A negative id is bpf_get_stackid's
 * -errno (-EEXIST: the map's bucket held another stack; -EFAULT), counted
 * in TSEND_CNT_KSTACK_LOST/USTACK_LOST; TSEND_STACK_NONE: not asked for
 * (user stacks are taken at send() only).
 */
#define TSEND_STACK_NONE  (-0x7fffffff - 1)
#define TSEND_STACK_DEPTH 127 /* PERF_MAX_STACK_DEPTH: frames kept per stack */

struct tsend_stack_event {
	struct tsend_head h;
	__s32 kstack_id;
	__s32 ustack_id;
};

/* Recorder-written (head: ts when written, pid 0 or the process, stage 0). */
struct tsend_stack_ips {
	struct tsend_head h;
	__s32 id;  /* the stack map id STACK records name */
	__u8 user; /* 1: user addresses (of the pid of each STACK naming it) */
	__u8 pad;
	__u16 nr; /* addresses in ips[], innermost first */
	__u64 ips[];
};

/* The kernel symbol [addr, addr + size) from /proc/kallsyms, for every
 * address a STACK_IPS record holds; size reaches the next symbol. */
struct tsend_ksym {
	struct tsend_head h;
	__u64 addr;
	__u64 size;
	__u16 name_len; /* name[], no NUL */
	__u16 mod_len;	/* then the module's name (0: vmlinux) */
	__u16 pad[2];
	char name[];
};

/* /proc/PID/maps lines of h.pid's executable mappings, as text
 * ("start-end perms offset dev inode path\n" ...), taken when a user stack
 * of the process was first seen (again if an address fell outside them). */
struct tsend_maps {
	struct tsend_head h;
	__u32 text_len; /* bytes of text[] */
	__u32 pad;
	char text[];
};

#define TSEND_HEAD_SIZE		56
#define TSEND_FLOW_SIZE		40
#define TSEND_SEND_EVENT_SIZE	128
#define TSEND_TCP_EVENT_SIZE	200
#define TSEND_TCP_EVENT_SIZE_V2 176 /* ABI 2: no pacing */
#define TSEND_TCP_EVENT_SIZE_V1 168 /* ABI 1: no skb_ack_seq */
#define TSEND_SKB_EVENT_SIZE	152
#define TSEND_DATA_EVENT_SIZE	72
#define TSEND_STACK_EVENT_SIZE	64
#define TSEND_STACK_IPS_SIZE	64
#define TSEND_KSYM_SIZE		80
#define TSEND_MAPS_SIZE		64

/* Counters the BPF side keeps per CPU (the "counters" map), one slot each. */
enum tsend_counter {
	TSEND_CNT_LOST = 0,	   /* ring buffer full: record dropped */
	TSEND_CNT_UNTRACKED = 1,   /* skb tracking map full: free not followed */
	TSEND_CNT_KSTACK_LOST = 2, /* kernel stack not taken (its STACK record says why) */
	TSEND_CNT_USTACK_LOST = 3, /* user stack at send() not taken */
	TSEND_CNT_MAX,
};

/*
 * tsend-trace top: instead of records, the BPF side adds up what it sees in
 * two per-CPU maps that userspace sums: "top_hist", how many skbs went from
 * one stage to their next in each log2 bucket of time, and "top_counts".
 * Both are keyed by a device (--by dev) or a flow (--by flow); the other
 * half of the key is zero, as is every field a map does not use.
 */
#define TSEND_TOP_SLOTS 65 /* slot 0: 0 ns; slot s > 0: [2^(s-1), 2^s) ns */

struct tsend_top_key {
	struct tsend_flow flow; /* --by flow */
	__s32 ifindex;		/* --by dev; 0: no device seen yet */
	__u8 from;		/* top_hist: from this enum tsend_stage ... */
	__u8 to;		/* ... to the skb's next stage seen */
	__u8 slot;		/* top_hist: the time between, log2 bucket */
	__u8 pad;
	__u32 reason; /* top_counts: kfree_skb's drop reason, for drops */
	__u32 netns;  /* --by dev: inode of ifindex's network namespace */
};

struct tsend_top_counts {
	__u64 frames;	   /* skbs handed to the driver (net_dev_start_xmit) */
	__u64 bytes;	   /* their skb->len, headers included */
	__u64 drops;	   /* kfree_skb of an skb seen on the path */
	__u64 retransmits; /* tcp:tcp_retransmit_skb */
};

#define TSEND_TOP_KEY_SIZE    56
#define TSEND_TOP_COUNTS_SIZE 32

#endif /* TSEND_H */
