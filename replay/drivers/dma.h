/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Memory a NIC can read: one 2 MiB hugepage, locked, with its physical
 * address from /proc/self/pagemap, as ixy's memory.c does it. A hugepage
 * is physically contiguous and the kernel never moves it, so one address
 * lookup holds for its whole life. No IOMMU: the device sees physical
 * addresses (uio_pci_generic gives no DMA remapping).
 */
#ifndef TSEND_REPLAY_DMA_H
#define TSEND_REPLAY_DMA_H

#include <linux/types.h>
#include <stddef.h>

#define DMA_HUGEPAGE_SIZE (2UL << 20)

struct dma_mem {
	void *virt;
	__u64 phys;
	size_t size;
};

/* One hugepage; -errno with a line in err (no hugepages reserved, no
 * CAP_SYS_ADMIN for pagemap's frame numbers). */
int dma_mem__alloc(struct dma_mem *m, char *err, size_t errlen);
void dma_mem__free(struct dma_mem *m);

#endif /* TSEND_REPLAY_DMA_H */
