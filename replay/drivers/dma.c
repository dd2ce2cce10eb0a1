// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* DMA memory for the userspace e1000e (dma.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dma.h"

#define PAGEMAP_PRESENT	 (1ULL << 63)
#define PAGEMAP_PFN_MASK ((1ULL << 55) - 1)

/* What /proc/meminfo says of free hugepages, for the error message. */
static long hugepages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* Documentation/admin-guide/mm/pagemap.rst: one 64-bit entry per page,
 * bits 0-54 the frame number, shown as 0 without CAP_SYS_ADMIN. */
static int virt_to_phys(const void *virt, __u64 *phys, char *err, size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);
	__u64 entry;
	off_t off = (off_t)((unsigned long)virt / page * sizeof(entry));
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open /proc/self/pagemap: %s", strerror(errno));
		return -errno;
	}
	if (pread(fd, &entry, sizeof(entry), off) != sizeof(entry)) {
		snprintf(err, errlen, "cannot read /proc/self/pagemap: %s", strerror(errno));
		close(fd);
		return -EIO;
	}
	close(fd);
	if (!(entry & PAGEMAP_PRESENT) || !(entry & PAGEMAP_PFN_MASK)) {
		snprintf(err, errlen,
			 "/proc/self/pagemap shows no physical address for the DMA memory "
			 "(needs CAP_SYS_ADMIN)");
		return -EPERM;
	}
	*phys = (entry & PAGEMAP_PFN_MASK) * page + (unsigned long)virt % page;
	return 0;
}

int dma_mem__alloc(struct dma_mem *m, char *err, size_t errlen)
{
	int ret;

	m->size = DMA_HUGEPAGE_SIZE;
	/* MAP_POPULATE faults the page in now; MAP_LOCKED keeps it there */
	m->virt =
		mmap(NULL, m->size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE | MAP_LOCKED, -1, 0);
	if (m->virt == MAP_FAILED) {
		ret = -errno;
		m->virt = NULL;
		if (ret == -ENOMEM)
			snprintf(err, errlen,
				 "no 2 MiB hugepage free for DMA memory (HugePages_Free: %ld); "
				 "reserve one: echo 4 > /proc/sys/vm/nr_hugepages",
				 hugepages_free());
		else
			snprintf(err, errlen, "cannot map a hugepage for DMA memory: %s",
				 strerror(-ret));
		return ret;
	}
	ret = virt_to_phys(m->virt, &m->phys, err, errlen);
	if (ret) {
		dma_mem__free(m);
		return ret;
	}
	memset(m->virt, 0, m->size);
	return 0;
}

void dma_mem__free(struct dma_mem *m)
{
	if (m->virt)
		munmap(m->virt, m->size);
	m->virt = NULL;
}
