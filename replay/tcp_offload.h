/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * net/ipv4/tcp_offload.c and what a NIC with TSO and checksum offload does
 * with what it is handed: cut a super-frame at its MSS (tcp_gso_segment)
 * and complete the TCP checksum (skb_checksum_help).
 */
#ifndef TSEND_REPLAY_TCP_OFFLOAD_H
#define TSEND_REPLAY_TCP_OFFLOAD_H

#include <stddef.h>

#include "dev.h"

/* Cuts f into frames of gso_size payload bytes each, at most max; returns
 * how many (1 and a copy of f when it needs no cutting). */
size_t tcp_gso_segment(const struct rframe *f, struct rframe *out, size_t max);
/* Completes the TCP checksum of a built frame (len bytes from Ethernet). */
void skb_checksum_help(__u8 *frame, __u32 len, __u16 l3, __u16 l4);

#endif /* TSEND_REPLAY_TCP_OFFLOAD_H */
