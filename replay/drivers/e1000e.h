/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The userspace 82574L driver's TX ring (e1000e_tx.c), apart from the
 * device bring-up (e1000e.c) so that tests can run it on plain memory: a
 * malloc'd BAR and a test playing the NIC.
 *
 * The ring and its buffers share one DMA hugepage. Buffer i belongs to
 * descriptor i, which makes the ring its own packet buffer pool: a buffer
 * is free again when the frame holding its descriptor is cleaned. A frame
 * takes one descriptor per E1000E_BUF_SIZE bytes, plus a context
 * descriptor when the NIC does its TSO or checksum.
 */
#ifndef TSEND_REPLAY_E1000E_H
#define TSEND_REPLAY_E1000E_H

#include <linux/types.h>
#include <stddef.h>

#include "e1000e_regs.h"
#include "output.h"

#define E1000E_RING_SIZE 512U /* descriptors: TDLEN 8 KiB, a multiple of 128 */
#define E1000E_BUF_SIZE	 2048U
#define E1000E_DMA_SIZE	 (E1000E_RING_SIZE * (sizeof(struct e1000_tx_desc) + E1000E_BUF_SIZE))
/* The longest frame without TSO: the 82574L's 9018-byte jumbo frame, less
 * the FCS it adds. With TSO, an IPv4 datagram's 64 KiB behind 14 bytes. */
#define E1000E_MAX_JUMBO 9014U
#define E1000E_MAX_TSO	 (14U + 65535U)
#define E1000E_MIN_FRAME 17U /* with TCTL.PSP the NIC pads the rest */
/* A ring that does not move for this long has hung (e1000e's watchdog
 * waits about 2 s; QEMU's TX is done before the tail write returns). */
#define E1000E_HANG_NS (1000ULL * 1000 * 1000)

struct e1000e_ring {
	volatile __u8 *hw; /* BAR0 */
	struct e1000_tx_desc *desc;
	__u64 desc_phys;
	__u8 *bufs; /* E1000E_RING_SIZE buffers of E1000E_BUF_SIZE */
	__u64 bufs_phys;
	__u64 hang_ns;
	/* as the kernel's struct e1000_ring: next_to_watch of a frame's
	 * first descriptor is its last, whose DD says the frame is done */
	__u16 next_to_watch[E1000E_RING_SIZE];
	unsigned int next_to_use, next_to_clean;
	unsigned int tail; /* the TDT value last written */
	/* the driver's counters */
	__u64 frames, bytes, descs, tail_writes, tso_frames, csum_frames, ring_full;
};

/* Lays the ring over mem (E1000E_DMA_SIZE bytes at physical address phys)
 * and programs TDBAL/TDBAH/TDLEN/TDH/TDT: e1000_configure_tx()'s ring part. */
void e1000e_ring_init(struct e1000e_ring *r, volatile __u8 *hw, void *mem, __u64 phys);
/* Puts one frame on the ring, its offloads as the frame asks; waits for
 * room when the ring is full. 0, or -errno and one line in err. */
int e1000_xmit_frame(struct e1000e_ring *r, const struct replay_frame *f, char *err, size_t errlen);
/* Writes the tail register: the NIC may take everything queued. */
void e1000e_ring_kick(struct e1000e_ring *r);
/* Frees the descriptors of frames the NIC has done: how many. */
unsigned int e1000_clean_tx_irq(struct e1000e_ring *r);
/* Waits until the NIC has done every frame: 0, or -ETIMEDOUT and the ring
 * state in err when it stops moving for hang_ns. */
int e1000e_ring_drain(struct e1000e_ring *r, char *err, size_t errlen);

static inline __u32 er32(volatile __u8 *hw, __u32 reg)
{
	return *(volatile __u32 *)(hw + reg);
}

static inline void ew32(volatile __u8 *hw, __u32 reg, __u32 val)
{
	*(volatile __u32 *)(hw + reg) = val;
}

#endif /* TSEND_REPLAY_E1000E_H */
