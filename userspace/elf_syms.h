/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The function symbols of one ELF file, to name an address in a mapping of
 * it: the file offset goes through the PT_LOAD that holds it to a virtual
 * address, then to the defined function (or sized label) covering it, from
 * .symtab, or .dynsym when the file is stripped (Debian's libc).
 */
#ifndef TSEND_ELF_SYMS_H
#define TSEND_ELF_SYMS_H

#include <linux/types.h>
#include <stddef.h>

/*
 * In an array sorted by a __u64 start that is each element's first member,
 * how many elements start at or below addr: the one holding addr, if any,
 * is the one before. Every address table of the symbolizer is such.
 */
static inline size_t addr_rank(const void *base, size_t n, size_t stride, __u64 addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		__u64 start;

		__builtin_memcpy(&start, (const char *)base + mid * stride, sizeof(start));
		if (start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A PT_LOAD: file bytes [offset, offset + filesz) sit at vaddr. */
struct elf_load {
	__u64 offset, filesz, vaddr;
};

struct elf_sym {
	__u64 addr, size;
	__u32 name;  /* in strtab */
	__u32 order; /* rank << 24 | index: at one address the least wins */
};

struct elf_syms {
	struct elf_load *loads;
	size_t nr_loads;
	struct elf_sym *syms; /* sorted, one an address */
	size_t nr_syms;
	char *strtab; /* the symbol names, NUL-terminated at the end */
};

/* Reads path's PT_LOADs and symbols. A file that is missing, not ELF or
 * without symbols leaves f empty: its lookups then fail. */
void elf_syms__load(struct elf_syms *f, const char *path);
/* The function at file offset off, or NULL. */
const char *elf_syms__find(const struct elf_syms *f, __u64 off);
void elf_syms__free(struct elf_syms *f);

#endif /* TSEND_ELF_SYMS_H */
