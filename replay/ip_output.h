/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* net/ipv4/ip_output.c and net/ipv6/ip6_output.c, then the neighbour. */
#ifndef TSEND_REPLAY_IP_OUTPUT_H
#define TSEND_REPLAY_IP_OUTPUT_H

struct tcp_sock;
struct sk_buff;

/* mirrors ip_queue_xmit() (IPv4) and inet6_csk_xmit() (IPv6) */
void ip_queue_xmit(struct tcp_sock *tp, struct sk_buff *skb);
/* mirrors neigh_output(), include/net/neighbour.h (neighbour.c) */
void neigh_output(struct tcp_sock *tp, struct sk_buff *skb);

#endif /* TSEND_REPLAY_IP_OUTPUT_H */
