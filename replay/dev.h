/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * net/core/dev.c's share of the tree: __dev_queue_xmit, the qdisc,
 * validate_xmit_skb (software GSO for a device without TSO) and
 * dev_hard_start_xmit, which here appends the frame to the list the
 * output drivers are fed from. Frames are kept as the device saw them
 * (headers built, payload by reference); the wire view is cut from them
 * when they are written (tcp_offload.c).
 */
#ifndef TSEND_REPLAY_DEV_H
#define TSEND_REPLAY_DEV_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "replay.h"
#include "skbuff.h"
#include "socket.h"

struct tcp_sock;

/* One frame dev_hard_start_xmit handed on. */
struct rframe {
	__u64 ts;    /* departure, the recording's CLOCK_MONOTONIC ns */
	__u64 order; /* ties in ts keep the order frames were made in */
	struct replay_sock *rs;
	const struct rs_frame *kframe; /* the kernel's frame it pairs with; for
					* a passthrough frame, that frame */
	__u64 payload_off;	       /* in rs's stream */
	__u32 payload_len;
	__u16 head_len, l3, l4;
	__u16 gso_size, gso_segs;
	bool csum_partial;
	bool passthrough;
	bool payload_known;
	bool id_seeded; /* its IP ID started the socket's counter: an input */
	__u8 head[SKB_HEAD_MAX];
};

/* The frames of a replay are made before the first leaves (for departure
 * order across sockets); this bounds their memory (about 1 GiB). */
#define DEV_FRAMES_MAX (4U << 20)

struct net_device {
	enum replay_qdisc qdisc;
	struct rframe *frames;
	size_t nr, cap;
	__u64 order;
	int err;
};

/* mirrors __dev_queue_xmit(): skb's headers are built, from head[data] on */
void dev_queue_xmit(struct net_device *dev, struct tcp_sock *tp, const struct sk_buff *skb);
/* Builds f's bytes (headers, then payload from its socket's stream) into
 * buf; the checksum is completed as a NIC does unless view is VIEW_DEVICE
 * and the kernel left it to the device. Returns the length, 0 if cap is
 * too small. */
__u32 rframe_build(const struct rframe *f, enum replay_view view, __u8 *buf, size_t cap);
struct frame_hdr;
/* Did the kernel leave k's TCP checksum to the device? h gets its headers. */
bool rs_frame_csum_partial(const struct rs_frame *k, struct frame_hdr *h);
/* The kernel's frame as recorded, for the frames the send path does not make. */
int dev_passthrough(struct net_device *dev, struct replay_sock *rs, const struct rs_frame *f);

#endif /* TSEND_REPLAY_DEV_H */
