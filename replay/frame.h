/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The headers of one Ethernet/IPv4|IPv6/TCP frame, parsed: what the replay
 * takes from a kernel frame (the receive side's share of a header) and what
 * verify compares field by field.
 */
#ifndef TSEND_REPLAY_FRAME_H
#define TSEND_REPLAY_FRAME_H

#include <linux/types.h>
#include <stdbool.h>

struct frame_hdr {
	__u8 dst[6], src[6];
	__u16 ethertype;
	__u8 ip_version; /* 4 or 6; 0: not IP */
	__u8 tos;	 /* IPv4 TOS, IPv6 traffic class */
	__u8 ttl;	 /* IPv4 TTL, IPv6 hop limit */
	__u8 ihl;	 /* IPv4 header bytes */
	__u16 ip_len;	 /* IPv4 total length, IPv6 payload length */
	__u16 ip_id;
	__u16 frag_off; /* with the DF bit (0x4000) */
	__u16 ip_csum;
	__u8 protocol;
	__u32 flowlabel;
	__u8 saddr[16], daddr[16];
	__u16 l3, l4; /* offsets of the IP and TCP headers */
	bool has_tcp; /* the whole TCP header (with options) is in the bytes */
	__u16 sport, dport;
	__u32 seq, ack;
	__u8 doff; /* TCP header bytes */
	__u8 flags;
	__u16 window, tcp_csum, urg;
	__u8 opts[40];
	__u8 opts_len;
	bool ts; /* a timestamp option */
	__u32 tsval, tsecr;
	__u8 nr_sack;
	__u32 sack[4][2];
	__u32 payload; /* offset of the TCP payload */
};

/* Parses as much of p[0..len) as is there; false if it is not
 * Ethernet + IP + TCP up to the TCP header's fixed part. */
bool frame_parse(const __u8 *p, __u32 len, struct frame_hdr *h);

#endif /* TSEND_REPLAY_FRAME_H */
