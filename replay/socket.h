/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a recording says about each TCP socket, as the replay consumes it
 * (net/socket.c's side of the seed's tree: the calls, their sizes, flags,
 * bytes and times). Replay is a pure function
 *     frames = send_path(initial state, send() calls, peer inputs, clock)
 * and this module turns a trace into its arguments, one struct
 * replay_sock per connection:
 *   - calls: each send() with its flags, the bytes it passed (as far as
 *     --payload kept them) and, per loop of tcp_sendmsg_locked, when it
 *     copied how much;
 *   - peer inputs: ACK arrivals, retransmissions (timers, SACK), close();
 *   - state samples: cwnd, windows, MSS, size goal, nonagle, srtt, as the
 *     tcp events saw them;
 *   - the kernel's own frames at net_dev_start_xmit: what verify compares
 *     against, and the receive side's and the clock's share of each header
 *     (ACK number, window, timestamps, SACK blocks, the neighbour).
 * It reads the trace through userspace/trace_file.h only.
 */
#ifndef TSEND_REPLAY_SOCKET_H
#define TSEND_REPLAY_SOCKET_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "../bpf/tsend.h"

/* The socket's TCP state as one tcp event saw it. */
struct rs_state {
	__u32 snd_una, snd_nxt, snd_wnd, cwnd, mss, size_goal, srtt_us, write_seq;
	__u32 packets_out, ssthresh, pushed_seq;
	__u64 pacing_rate; /* bytes/s */
	__u32 min_rtt_us;  /* 0 not recorded */
	__u8 pacing_shift;
	__u8 pacing_status; /* 1 + enum sk_pacing, 0 not recorded */
	__u8 owned;	    /* 1 + sk_lock.owned, 0 not recorded */
	__u8 pending;	    /* icsk_pending: the timer due */
	__u8 ca_state;
	__u32 sacked_out, lost_out, retrans_out;
	__u8 nonagle;
	bool valid;
};

enum rin_kind {
	RIN_SAMPLE,  /* state only (tcp_write_xmit, tcp_push_one ... entry) */
	RIN_COPY,    /* a loop of tcp_sendmsg_locked: copy, then maybe push */
	RIN_ACK,     /* an ACK arrives (tcp_ack, tcp:tcp_probe) */
	RIN_RETRANS, /* tcp:tcp_retransmit_skb sent [seq, end) again */
	RIN_CLOSE,   /* close() queued a FIN (seen as the FIN's departure) */
	RIN_PACE,    /* the pacing hrtimer ran tcp_write_xmit (tcp_pace_kick) */
	RIN_RELEASE, /* the send() returns: release_sock() lets go of the socket */
	RIN_TIMER,   /* the retransmit timer fired (tcp_write_timer): st.pending */
	RIN_WFREE,   /* the driver freed frames[frame] (TX completion): tcp_wfree() */
};

/* One recorded input, in time order. */
struct rin {
	__u64 ts;
	__u64 rec; /* record number in the trace, for messages */
	__u8 kind;
	__u32 send;	       /* RIN_COPY: index into sends */
	__u32 copy;	       /* RIN_COPY: bytes this loop copied (msg_left deltas) */
	__u32 seq, end;	       /* RIN_ACK: ack in seq; RIN_RETRANS: the range */
	__u32 frame;	       /* RIN_WFREE: index into frames (time order) */
	__u64 after_ts;	       /* RIN_ACK: when the socket's next event ran */
	struct rs_state st;    /* as this event saw it; RIN_ACK: before */
	struct rs_state after; /* RIN_ACK: at the socket's next event */
};

struct rs_send {
	__s64 ret;   /* bytes taken or -errno */
	__u32 flags; /* MSG_* */
	__u64 seq;   /* offset of its first byte in the socket's stream */
};

/* A frame the kernel handed the driver (net_dev_start_xmit). */
struct rs_frame {
	__u64 ts;
	__u64 rec;
	__u32 seq, end; /* from its TCP header */
	__u32 wire_len;
	__u16 gso_size, gso_segs;
	__u16 snap_len;
	__u8 flags;
	__u8 csum;	/* 1 + ip_summed; 0 not recorded */
	bool modeled;	/* carries data or a FIN: the send path made it */
	__u64 free_ts;	/* the driver freed it (a RIN_WFREE): the socket was
			 * charged truesize until then; 0 not recorded, and not
			 * charged (loopback and veth orphan an skb at once) */
	__u32 truesize; /* skb->truesize; 0 not recorded */
	__u64 done_ts;	/* net_dev_xmit: the driver returned it; 0 not recorded */
	__u8 *snap;	/* snap_len bytes from the Ethernet header on */
};

struct replay_sock {
	struct tsend_flow flow;
	struct rin *in;
	size_t nr_in, cap_in;
	struct rs_send *sends;
	size_t nr_sends, cap_sends;
	struct rs_frame *frames;
	size_t nr_frames, cap_frames;
	/* the bytes the application wrote, seq0 on: only what --payload
	 * kept, one piece per send(), in stream order; the rest reads as
	 * zeros, so memory is bounded by the trace, not by what was sent */
	__u32 seq0;
	bool seq0_set;
	struct rs_bytes {
		__u64 off;
		__u32 len;
		__u8 *data;
	} * bytes;
	size_t nr_bytes, cap_bytes;
	__u64 stream_len; /* bytes sent, known or not */
	bool tstamp_ok;	  /* its frames carry TCP timestamps */
};

struct replay_input {
	struct replay_sock **socks;
	size_t nr_socks;
	__u32 snaplen, payload_len, abi_version;
	__s64 realtime_offset;
	unsigned int kver; /* the recording kernel's release, major * 100 + minor */
	bool pace_kicks;   /* the pacing timer's runs were recorded */
	__u64 records, lost;
	char warning[256]; /* the trace ended early (torn), or "" */
};

/* Reads path; NULL with a one-line reason (file, record, flow) in err. */
struct replay_input *replay_input__read(const char *path, char *err, size_t errlen);
/* The same over a buffer (fuzzing, tests). */
struct replay_input *replay_input__read_mem(const void *buf, size_t len, const char *name,
					    char *err, size_t errlen);
void replay_input__free(struct replay_input *in);

/* Copies stream bytes [off, off+len) of s to dst; bytes the recording did
 * not keep read as zeros. */
void replay_sock__copy(const struct replay_sock *s, __u64 off, __u32 len, __u8 *dst);
/* Were all of [off, off+len) recorded? */
bool replay_sock__known(const struct replay_sock *s, __u64 off, __u32 len);

#endif /* TSEND_REPLAY_SOCKET_H */
