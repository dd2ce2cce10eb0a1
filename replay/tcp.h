/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The replay's TCP socket: what tcp_sendmsg_locked, tcp_write_xmit and
 * __tcp_transmit_skb keep in struct tcp_sock (include/linux/tcp.h), and the
 * functions of net/ipv4/tcp.c, tcp_output.c and tcp_input.c the send path
 * runs, each in the file of the same name.
 *
 * What the peer decides (ACKs, its window, cwnd as congestion control
 * grew it, retransmission timers) comes from the recording; what the
 * sender decides from them (how bytes become skbs and skbs become frames,
 * Nagle, cork, TSO sizing and deferral, window and cwnd limits, headers)
 * is computed here.
 */
#ifndef TSEND_REPLAY_TCP_H
#define TSEND_REPLAY_TCP_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "sch_fq.h"
#include "skbuff.h"
#include "socket.h"

#define TCP_NAGLE_OFF  1 /* TCP_NODELAY */
#define TCP_NAGLE_CORK 2 /* TCP_CORK, MSG_MORE */
#define TCP_NAGLE_PUSH 4 /* push now, whatever Nagle says */

/* the recorded send() flags: MSG_OOB, MSG_EOR, MSG_MORE */
#include <sys/socket.h>

#define TCP_QUEUE_MAX (1U << 20) /* skbs one socket holds at once */

struct net_device;
struct replay_opts;

struct tcp_sock {
	struct replay_sock *rs; /* the recorded inputs */
	struct net_device *dev; /* where ip_finish_output2 sends */
	const struct replay_opts *opts;
	struct sk_buff_head write_queue; /* not sent yet (tcp_send_head()) */
	struct sk_buff_head rtx_queue;	 /* sent, not acknowledged */
	__u32 write_seq, snd_nxt, snd_una, pushed_seq;
	__u32 snd_sml; /* end of the last small segment sent (Minshall) */
	__u32 snd_wnd, max_window, snd_cwnd, snd_ssthresh, mss_cache, size_goal, srtt_us;
	__u16 gso_segs; /* tcp_xmit_size_goal()'s cached segments */
	__u32 packets_out, retrans_out;
	__u32 sacked_out, lost_out; /* the peer's SACKs decide them: recorded */
	__u8 ca_state;		    /* icsk_ca_state, recorded */
	__u8 nonagle;
	bool fin_queued;
	__u64 now;	     /* the clock: the input being processed */
	__u64 next_event_ts; /* when the socket did something next (not a sample) */
	__u64 tcp_wstamp_ns; /* earliest departure of the next frame (EDT) */
	__u64 pacing_rate;   /* sk_pacing_rate, bytes/s */
	__u8 pacing_status;  /* 1 + enum sk_pacing: 2 is TCP's own pacing */
	__u8 pacing_shift;   /* sk_pacing_shift, 0 not recorded */
	__u32 min_rtt_us;    /* 0 not recorded */
	bool pacing_timer;   /* tcp_write_xmit stopped for it: armed */
	bool owned;	     /* a send() holds the socket: timers wait */
	bool tsq_deferred;   /* one did: tcp_release_cb runs it */
	bool rs_pace_kicks;  /* the recording has the pacing timer's runs */
	__u8 timer_deferred; /* icsk_pending of a retransmit timer that found
			      * the socket held: tcp_release_cb runs it */
	__u32 data_segs_out;
	__u64 copied;		      /* bytes the current send() copied so far */
	unsigned int process_backlog; /* new skbs since its backlog was processed */
	unsigned int kver;	      /* the recording kernel, major * 100 + minor */
	bool dev_tso;		      /* the device took TSO super-frames */
	__u32 dev_gso_max;	      /* and software GSO cut those this long or longer */
	bool dev_csum;		      /* and filled the TCP checksum */
	struct fq_flow fq;	      /* --qdisc fq: this socket's pacing */
	/* the headers of the socket's first frame: its TTL, TOS, DF, flow
	 * label, first IP ID and neighbour, read once (first_ok: they parse) */
	struct frame_hdr first;
	bool first_ok;
	__u16 inet_id;
	bool inet_id_set;
	size_t next_frame; /* faithful: the kernel frame the next one pairs with */
	size_t next_pass;  /* the kernel's other frames already past ip_queue_xmit */
	__u32 queued;	   /* skbs it holds (write and rtx queues) */
	/* TCP Small Queues, where the driver's frees were recorded (a NIC):
	 * the kernel's frames charged to sk_wmem_alloc (indices into
	 * rs->frames), the truesize of an skb without payload (0: no TSQ),
	 * when the driver returned the last frame sent (its tcp_write_xmit
	 * goes on from there) and TSQ_THROTTLED */
	__u32 *inflight;
	size_t nr_inflight;
	__u32 truesize_base;
	__u64 xmit_done;
	bool tsq_throttled;
	int err; /* first error: -ENOMEM, -E2BIG (more than a kernel holds) */
};

/* tcp.c */
void tcp_sendmsg_locked(struct tcp_sock *tp, const struct rs_send *snd, __u32 copy, bool last);
__u32 tcp_xmit_size_goal(struct tcp_sock *tp, __u32 mss_now);
void tcp_sendmsg_wait(struct tcp_sock *tp, const struct rs_send *snd);
void tcp_send_fin(struct tcp_sock *tp);
bool tcp_skb_can_collapse_to(const struct sk_buff *skb);

/* The socket is done with skb (acknowledged, or eaten by another). */
static inline void tcp_free_skb(struct tcp_sock *tp, struct sk_buff *skb)
{
	tp->queued--;
	kfree_skb(skb);
}

/* tcp_input.c */
void tcp_ack(struct tcp_sock *tp, __u32 ack);

/* tcp_output.c */
void tcp_mark_push(struct tcp_sock *tp, struct sk_buff *skb);
void tcp_wmem_charge(struct tcp_sock *tp, size_t idx);
void __tcp_push_pending_frames(struct tcp_sock *tp, __u32 mss_now, int nonagle);
void tcp_push_one(struct tcp_sock *tp, __u32 mss_now);
void tcp_retransmit_skb(struct tcp_sock *tp, __u32 seq, __u32 end);
void tcp_send_loss_probe(struct tcp_sock *tp);
__u32 tcp_skb_pcount(const struct sk_buff *skb);
const struct rs_frame *tcp_pair_frame(const struct tcp_sock *tp, size_t *idx);

/* sequence space, include/net/tcp.h */
static inline bool before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}
#define after(a, b) before(b, a)

#define MAX_TCP_HEADER 320 /* L1_CACHE_ALIGN(128 + MAX_HEADER), x86-64 */

/* sk_gso_max_size as sk_setup_caps() sets it: the device's GSO limit less
 * the room for headers */
static inline __u32 sk_gso_max_size(const struct tcp_sock *tp)
{
	return tp->dev_gso_max - (MAX_TCP_HEADER + 1);
}

static inline __u32 tcp_wnd_end(const struct tcp_sock *tp)
{
	return tp->snd_una + tp->snd_wnd;
}

#endif /* TSEND_REPLAY_TCP_H */
