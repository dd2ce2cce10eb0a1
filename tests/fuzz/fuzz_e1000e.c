// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: the userspace 82574L's TX ring (replay/drivers/
 * e1000e_tx.c) on frames from arbitrary bytes, offload fields included:
 * a trace or a capture decides what reaches it. The ring lies over plain
 * memory with its address as the "physical" one, and a NIC that does every
 * frame at once stands in for the device. Aborts when a promise breaks:
 * a refused frame changes nothing, an accepted one takes the descriptors
 * it says, each pointing into its own buffer, with EOP|RS on the last.
 *
 * Input: records of [u16 len][u16 gso_size][u16 csum_start][u16
 * csum_offset][len bytes], little-endian, until the input ends.
 * Seeds: tests/fuzz/corpus/e1000e/.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../replay/drivers/e1000e.h"
#include "promise.h"

#define BAR_SIZE (128U * 1024)

static __u8 bar[BAR_SIZE];
static __u8 dma[E1000E_DMA_SIZE] __attribute__((aligned(4096)));
static struct e1000e_ring ring;

/* The NIC: every descriptor up to the tail done, DD where RS asks for it. */
static void nic_run(void)
{
	__u32 tail = er32(bar, E1000_TDT);

	for (__u32 i = er32(bar, E1000_TDH); i != tail; i = (i + 1) % E1000E_RING_SIZE) {
		struct e1000_tx_desc *d = &ring.desc[i];

		if (le32toh(d->lower) & E1000_TXD_CMD_RS)
			d->upper |= htole32(E1000_TXD_STAT_DD);
	}
	ew32(bar, E1000_TDH, tail);
}

/* The accepted frame's data descriptors, first to last: each in its slot's
 * buffer, the last one alone with EOP|RS, lengths adding up to at least
 * the frame (short frames are padded). */
static void check_frame(unsigned int first, const struct replay_frame *f, bool ctx)
{
	unsigned int i = ctx ? (first + 1) % E1000E_RING_SIZE : first;
	__u32 total = 0;

	for (;; i = (i + 1) % E1000E_RING_SIZE) {
		__u32 lower = le32toh(ring.desc[i].lower);
		bool eop = lower & E1000_TXD_CMD_EOP;

		PROMISE(le64toh(ring.desc[i].buffer_addr) ==
			ring.bufs_phys + (__u64)i * E1000E_BUF_SIZE);
		PROMISE((lower & 0xffff) && (lower & 0xffff) <= E1000E_BUF_SIZE);
		total += lower & 0xffff;
		if (eop) {
			PROMISE(lower & E1000_TXD_CMD_RS);
			break;
		}
		PROMISE(i != ring.next_to_use);
	}
	PROMISE((i + 1) % E1000E_RING_SIZE == ring.next_to_use);
	PROMISE(total >= f->len && total >= E1000E_MIN_FRAME);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];

	memset(bar, 0, sizeof(bar));
	e1000e_ring_init(&ring, bar, dma, (uintptr_t)dma);
	while (size >= 8) {
		struct replay_frame f = {
			.len = (__u32)(data[0] | data[1] << 8),
			.gso_size = (__u16)(data[2] | data[3] << 8),
			.csum_start = (__u16)(data[4] | data[5] << 8),
			.csum_offset = (__u16)(data[6] | data[7] << 8),
		};
		unsigned int first = ring.next_to_use;
		__u64 frames = ring.frames;
		int ret;

		data += 8;
		size -= 8;
		if (f.len > size)
			f.len = (__u32)size;
		f.wire_len = f.len;
		/* a copy of its own, so ASan sees any read past the frame */
		f.data = malloc(f.len ? f.len : 1);
		PROMISE(f.data);
		memcpy((__u8 *)f.data, data, f.len);
		data += f.len;
		size -= f.len;

		err[0] = 0;
		ret = e1000_xmit_frame(&ring, &f, err, sizeof(err));
		if (ret) {
			PROMISE(ret == -EINVAL || ret == -EMSGSIZE);
			check_msg(err);
			PROMISE(ring.next_to_use == first && ring.frames == frames);
		} else {
			PROMISE(ring.frames == frames + 1);
			check_frame(first, &f, f.gso_size || f.csum_start);
		}
		free((void *)f.data);
		e1000e_ring_kick(&ring);
		nic_run();
		e1000_clean_tx_irq(&ring);
	}
	PROMISE(e1000e_ring_drain(&ring, err, sizeof(err)) == 0);
	return 0;
}
