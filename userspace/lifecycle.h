/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Lifecycles: the records of a trace joined into one story per skb and one
 * per send() call, for the report, the skb waterfall, pcapng comments and
 * the timeline.
 *
 * An skb is followed by its address while it lives; skb->head joins a clone
 * to its original (__tcp_transmit_skb with clone_it=1 sends a clone and
 * keeps the original for retransmission); the socket and the TCP sequence
 * range join everything else:
 *
 *   send()            tcp_sendmsg_locked's write_seq is where its bytes
 *                     start; the exit's return value where they end
 *   frames            the payload of each skb at net_dev_start_xmit is
 *                     accounted to the send() calls whose bytes it carries;
 *                     bytes below the socket's highest sent sequence are a
 *                     retransmission, counted as resent, never twice
 *   GSO segments      an skb first seen after ip_finish_output_gso or at
 *                     the device, with a sequence range inside a live
 *                     super-packet of its socket, is one of the frames that
 *                     super-packet became (its parent); the super-packet,
 *                     freed once cut, waits for its gso_segs segments or
 *                     until a newer one of its socket replaces it
 *   retransmission    tcp_retransmit_skb marks the skb it names
 *   ACK               the write-queue original is freed when the peer
 *                     acknowledges its last byte (tcp_clean_rtx_queue, no
 *                     tracepoint): the TCP_PROBE stage (tcp_ack, every
 *                     ACK; or the tcp_probe tracepoint, in ESTABLISHED
 *                     only) carries the segment's ACK number since trace
 *                     ABI 2; one at or past a frame's end_seq is its ACK
 *                     (ABI 1 traces have no ACKs)
 *   address reuse     a new head at a live address, a TCP header naming
 *                     another segment, or a free that was never seen: the
 *                     old lifecycle ends there
 *
 * A lifecycle is complete once its skb was freed (consume_skb, or
 * kfree_skb: dropped, with the reason) and, when it carried payload on a
 * socket whose ACKs are watched, acknowledged. A send() is complete once
 * frames carried every byte it returned. What ends incomplete names the
 * first stage it misses and why (enum lc_why).
 *
 * Records come from a file: nothing in them is trusted, every record is
 * checked by tsend_record_check() first, and memory stays bounded (live
 * lifecycles, sockets and open send() calls have limits; the oldest go
 * first, emitted with LC_WHY_EVICTED).
 */
#ifndef TSEND_LIFECYCLE_H
#define TSEND_LIFECYCLE_H

#include <linux/types.h>
#include <stdbool.h>

#include "../bpf/tsend.h"
#include "trace_file.h"

#define LC_STAGES_MAX 32	 /* stages kept per lifecycle; later ones are counted */
#define LC_LIVE_MAX   (1U << 16) /* skbs followed at once */
#define LC_SOCK_MAX   (1U << 14) /* sockets followed at once */
#define LC_SENDS_MAX  (1U << 16) /* send() calls per socket not yet on the wire */

/* Why a lifecycle or send() is incomplete. */
enum lc_why {
	LC_WHY_NONE = 0,	/* complete */
	LC_WHY_NOT_WATCHED = 1, /* the stage's probe was not attached on that kernel */
	LC_WHY_UNSEEN = 2,	/* its record is missing though later ones came: lost, or
				 * the kernel took a path without a probe */
	LC_WHY_IN_FLIGHT = 3,	/* the recording ended first, and lost nothing */
	LC_WHY_LOST = 4,	/* the recording ended first, and lost events */
	LC_WHY_EVICTED = 5,	/* too many live at once (LC_*_MAX) */
	LC_WHY_CLOSED = 6,	/* an ACK after the socket sent its FIN: the tcp_probe
				 * tracepoint fires in ESTABLISHED only */
	LC_WHY_MAX,
};

/* One observed stage of an skb (or of a send()). */
struct lc_stage {
	__u64 ts;  /* CLOCK_MONOTONIC ns */
	__u64 skb; /* address at this stage: a clone's differs */
	__u32 tid;
	__u16 cpu;
	__u8 stage; /* enum tsend_stage */
	__u8 mech;  /* enum tsend_mech */
	__u8 phase; /* enum tsend_phase: exit for fexit, kretprobe, *_ret */
};

struct lc_skb {
	__u64 id; /* 1, 2, ... in order of first record */
	__u64 sk; /* first non-zero socket seen */
	struct tsend_flow flow;
	__u64 head;
	__u64 skb;   /* address at the first stage */
	__u64 clone; /* another address sharing head, 0 if none */
	__u32 pid, tid;
	char comm[TSEND_COMM_LEN]; /* the task of the first stage */
	bool seq_valid;
	__u8 tcp_flags;
	__u32 seq, end_seq; /* sequence space, SYN and FIN included */
	__u32 len;	    /* bytes at the device (or the last stage seen) */
	__u32 payload;	    /* TCP payload bytes */
	__u16 gso_segs, gso_size;
	__s32 ifindex;
	__u16 queue;
	bool on_wire;	 /* reached net_dev_start_xmit */
	bool retransmit; /* resends sequence space already sent */
	__u32 resent;	 /* payload bytes of it sent before */
	__u64 parent;	 /* GSO: id of the super-packet it was cut from */
	__u32 segments;	 /* GSO: frames this super-packet became */
	/* the send() whose byte is its first payload byte, and how many send()
	 * calls it carries bytes of: only those not yet done are known, so a
	 * retransmission of a completed send()'s bytes names none */
	__u64 send_id;
	__u32 nr_sends;
	bool xmit_rc_valid; /* net_dev_xmit seen: its return code */
	__s32 xmit_rc;
	bool freed;
	bool dropped; /* kfree_skb */
	__u32 drop_reason;
	bool wants_ack; /* carries sequence space on a socket whose ACKs are watched */
	__u64 acked_ts; /* when the peer acknowledged its last byte; 0 unseen */
	__u8 why;	/* enum lc_why */
	__u8 missing;	/* the first stage it misses (enum tsend_stage), 0 none */
	__u32 nr_stages;
	__u32 stages_dropped; /* beyond LC_STAGES_MAX */
	struct lc_stage stages[LC_STAGES_MAX];
};

/* A write-queue skb a send() copied into (tcp_sendmsg_locked's tail skb,
 * tcp_skb_entail's new one), with its range when the record was taken. */
struct lc_wq_skb {
	__u64 skb;
	__u32 seq, end_seq;
};

#define LC_SEND_STAGES_MAX 16
#define LC_WQ_MAX	   8

struct lc_send {
	__u64 id; /* 1, 2, ... in order of the send() entries */
	__u64 sk;
	struct tsend_flow flow;
	__u32 pid, tid;
	char comm[TSEND_COMM_LEN];
	__u16 cpu;
	__u8 stage; /* __sys_sendto or __sys_sendmsg */
	__u64 entry_ts;
	__u64 exit_ts; /* 0: no exit seen */
	__u64 asked;
	__s64 ret;
	__u32 flags;	/* MSG_* */
	bool seq_valid; /* tcp_sendmsg_locked placed it in sequence space */
	__u32 seq;	/* its first byte */
	__u64 locked_ts;
	__u64 wire_bytes;    /* of ret, carried by frames (first transmissions) */
	__u64 resent_bytes;  /* of ret, carried again by retransmissions */
	__u64 first_wire_ts; /* net_dev_start_xmit of its first byte */
	__u64 last_wire_ts;  /* ... of its last byte: send()→wire ends here */
	__u32 frames;
	__u64 first_skb, last_skb; /* lifecycle ids */
	__u8 why;
	__u8 missing;
	__u32 nr_wq; /* write-queue skbs it copied into, the first LC_WQ_MAX */
	struct lc_wq_skb wq[LC_WQ_MAX];
	__u32 nr_stages; /* entry, sock/inet/tcp_sendmsg, tcp_sendmsg_locked, ..., exit */
	struct lc_stage stages[LC_SEND_STAGES_MAX];
};

/* Called with each lifecycle and send() when complete or given up; the
 * pointer is valid during the call only. */
struct lc_ops {
	void (*skb_done)(const struct lc_skb *l, void *ctx);
	void (*send_done)(const struct lc_send *s, void *ctx);
	/* At each net_dev_start_xmit, with the lifecycle so far and the send()
	 * of its first payload byte (NULL if unknown): pcapng writes the frame. */
	int (*frame)(const struct lc_skb *l, const struct lc_send *s, const void *rec, __u32 len,
		     void *ctx);
	void *ctx;
};

struct lifecycle;

/* meta: the probe table says which stages were watched (may be NULL). */
struct lifecycle *lifecycle__new(const struct trace_meta *meta, const struct lc_ops *ops);
/*
 * One record, in file order. 0; -EINVAL malformed (skipped, counted);
 * -ENOMEM (the record may be partly lost); or ops->frame's non-zero return.
 */
int lifecycle__add(struct lifecycle *lc, const void *rec, __u32 len);
/* Emits everything still open, with why it is incomplete. stats: the end
 * block (NULL: the recording was cut, losses unknown). Call once. */
void lifecycle__finish(struct lifecycle *lc, const struct trace_stats *stats);

struct lc_counts {
	__u64 records, malformed;
	__u64 skbs, sends; /* emitted so far */
	__u64 skbs_incomplete, sends_incomplete;
	__u64 frees_unmatched; /* consume/kfree of an skb never seen before */
	__u64 untraced_bytes;  /* frame payload no traced send() wrote */
	__u64 evicted;	       /* skbs, send() calls and sockets given up for room */
};
const struct lc_counts *lifecycle__counts(const struct lifecycle *lc);
void lifecycle__free(struct lifecycle *lc);

/* The first kept record of stage in l's story; NULL if there is none. */
const struct lc_stage *lc_skb_stage(const struct lc_skb *l, unsigned int stage);

/* "not watched", "unseen (lost, or a path without a probe)", ... */
const char *lc_why_text(unsigned int why);

#endif /* TSEND_LIFECYCLE_H */
