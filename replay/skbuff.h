/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A minimal sk_buff (include/linux/skbuff.h): what the replayed send path
 * needs of one. Payload bytes stay in the socket's byte stream (socket.h)
 * and are referenced by sequence number, as the kernel's page frags hold
 * what tcp_sendmsg copied; the headers each layer pushes go into head[].
 */
#ifndef TSEND_REPLAY_SKBUFF_H
#define TSEND_REPLAY_SKBUFF_H

#include <linux/types.h>
#include <stdbool.h>

#define TCPHDR_FIN 0x01
#define TCPHDR_SYN 0x02
#define TCPHDR_RST 0x04
#define TCPHDR_PSH 0x08
#define TCPHDR_ACK 0x10

#define SKB_HEAD_MAX 192 /* Ethernet + IPv6 + TCP with 40 bytes of options */

/* mirrors struct tcp_skb_cb (include/net/tcp.h): what TCP keeps per skb */
struct tcp_skb_cb {
	__u32 seq;     /* first sequence number */
	__u32 end_seq; /* seq + len, + 1 for a FIN */
	__u8 tcp_flags;
	bool eor; /* MSG_EOR: nothing may be appended */
};

struct sk_buff {
	struct sk_buff *next, *prev; /* on a socket's write or rtx queue */
	struct tcp_skb_cb cb;
	__u32 len;	/* payload bytes (the headers are counted apart) */
	__u16 gso_size; /* 0, or the MSS a device (or software GSO) cuts at */
	__u16 gso_segs; /* tcp_skb_pcount() */
	__u64 tstamp;	/* last transmission, ns on the recording's clock */
	/* built by __tcp_transmit_skb and below; empty on the write queue */
	__u8 head[SKB_HEAD_MAX];
	__u16 data; /* headers start at head[data]; SKB_HEAD_MAX: none yet */
	__u16 network_off, transport_off;
	bool csum_partial; /* CHECKSUM_PARTIAL: the TCP checksum covers only
			    * the pseudo-header; the device completes it */
	bool id_seeded;	   /* its IP ID came from the recording, not the
			    * socket's counter (the first the replay saw) */
};

/* An skb queue: a circular list through a sentinel (struct sk_buff_head). */
struct sk_buff_head {
	struct sk_buff *next, *prev;
};

#define TCP_SKB_CB(skb) (&(skb)->cb)

/* mirrors skb_push(): room for a header in front of the ones built */
static inline __u8 *skb_push(struct sk_buff *skb, __u16 len)
{
	skb->data -= len;
	return skb->head + skb->data;
}

void skb_queue_head_init(struct sk_buff_head *q);
bool skb_queue_empty(const struct sk_buff_head *q);
struct sk_buff *skb_peek(const struct sk_buff_head *q);
struct sk_buff *skb_peek_tail(const struct sk_buff_head *q);
/* The skb after skb on q, NULL at the end. */
struct sk_buff *skb_queue_next(const struct sk_buff_head *q, const struct sk_buff *skb);
void __skb_queue_tail(struct sk_buff_head *q, struct sk_buff *skb);
void __skb_queue_after(struct sk_buff *prev, struct sk_buff *skb);
void __skb_unlink(struct sk_buff *skb);
void skb_queue_purge(struct sk_buff_head *q);

/* NULL on allocation failure. */
struct sk_buff *alloc_skb(void);
void kfree_skb(struct sk_buff *skb);

#endif /* TSEND_REPLAY_SKBUFF_H */
