/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The way out of the replay: dev_hard_start_xmit() hands each frame to one
 * of these, as the kernel hands an skb to ndo_start_xmit. One small
 * interface (open, tx batch, flush, stats, close), one file per way out:
 *   pcap:FILE      pcap with ns timestamps; pcapng when FILE ends in .pcapng
 *   pcapng:FILE    pcapng whatever the name
 *   afpacket:IFACE an AF_PACKET socket on IFACE, batched (PACKET_TX_RING)
 *   e1000e:PCI     an Intel 82574L driven from userspace through UIO
 * Int functions return 0 (or a count) or -errno; errors are one line in the
 * caller's err buffer naming the spec and what failed. Nothing here prints.
 */
#ifndef TSEND_REPLAY_OUTPUT_H
#define TSEND_REPLAY_OUTPUT_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

struct replay_frame {
	const __u8 *data; /* Ethernet frame, from the destination MAC */
	__u32 len;	  /* bytes at data */
	__u32 wire_len;	  /* the frame's length on the wire (>= len when snapped) */
	__u64 ts_ns;	  /* its departure on the schedule, CLOCK_REALTIME ns */
	/* what the kernel left to the device (--view device; 0: nothing), as
	 * skb_shinfo()->gso_size, skb->csum_start and csum_offset say it: a
	 * NIC that offloads (e1000e:) does it, a file keeps the frame as is */
	__u16 gso_size;	   /* TSO: cut the TCP payload into gso_size segments */
	__u16 csum_start;  /* CHECKSUM_PARTIAL: sum from this offset to the end */
	__u16 csum_offset; /* and store it this far past csum_start */
};

struct output_stats {
	__u64 frames;	/* frames taken */
	__u64 bytes;	/* their len */
	__u64 batches;	/* tx_batch calls that moved at least one frame */
	__u64 syscalls; /* system calls the backend made to move them */
};

/* What a driver may need besides its spec; NULL for all defaults. */
struct output_opts {
	bool bind;  /* e1000e: take the device from its kernel driver for the run */
	bool force; /* e1000e: even when its interface is up or has an address */
};

struct output;

/* spec: "pcap:FILE", "pcapng:FILE", "afpacket:IFACE", "e1000e:PCI_ADDR".
 * A file output writes FILE.tmp and renames it at output__close(o, true):
 * an interrupted replay never leaves a file that looks complete. */
struct output *output__open(const char *spec, const struct output_opts *opts, char *err,
			    size_t errlen);
/* The longest frame (wire_len) the way out takes: the engine segments
 * anything longer in software, as GSO does for a device without TSO. */
__u32 output__max_frame(const struct output *o);
/* Queues n frames; returns n, or -errno with output__error() set. */
int output__tx_batch(struct output *o, const struct replay_frame *f, unsigned int n);
/* Puts everything queued on the wire (or into the file) now. */
int output__flush(struct output *o);
void output__stats(const struct output *o, struct output_stats *st);
/* The driver's own account (a NIC's counters), one line; "" when none.
 * Once, after the last frame: a NIC is drained to count them all. */
void output__report(struct output *o, char *buf, size_t len);
const char *output__error(const struct output *o);
/* Flushes and closes; commit=false removes a file output's FILE.tmp (and
 * drops what an e1000e ring still holds). -errno and a line in err when
 * the output could not be completed or given back. */
int output__close(struct output *o, bool commit, char *err, size_t errlen);

#endif /* TSEND_REPLAY_OUTPUT_H */
