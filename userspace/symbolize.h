/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Addresses to function names, for stacks.
 *
 * At record time (kallsyms_*, proc_maps_read): the running kernel's
 * /proc/kallsyms, and a process's executable mappings from /proc/PID/maps,
 * which the recorder copies into the trace (bpf/tsend.h: TSEND_KIND_KSYM,
 * TSEND_KIND_MAPS) so the trace can be symbolized later, elsewhere, after
 * the process is gone.
 *
 * At report time (symbolizer_*): kernel addresses from the KSYM records,
 * user addresses from the MAPS record of the process, and the mapped file's
 * ELF .symtab (or .dynsym when stripped) read with libelf. What cannot be
 * resolved is NULL: the caller writes "[unknown] 0xADDR", never drops it.
 *
 * Input comes from files: every length is checked, nothing is trusted.
 */
#ifndef TSEND_SYMBOLIZE_H
#define TSEND_SYMBOLIZE_H

#include <linux/types.h>
#include <stddef.h>

/* --- record time ---------------------------------------------------- */

struct kallsyms;

/* Reads path ("/proc/kallsyms"): text symbols (t/T/w/W) with non-zero
 * addresses, sorted, one name an address (the first listed, which the
 * kernel prefers), at most 4M of them. NULL with errno set: EPERM when all
 * addresses read 0, as kptr_restrict shows them to an unprivileged reader;
 * ENOENT when there is no text symbol at all. */
struct kallsyms *kallsyms__load(const char *path);
/* The symbol with the greatest start <= addr: its start, size (to the next
 * symbol; 0, unknown, for the last), name and module ("" for vmlinux, no
 * brackets). Any output may be NULL. 0, or -ENOENT below the first symbol.
 * Strings live as long as ks. */
int kallsyms__find(const struct kallsyms *ks, __u64 addr, __u64 *start, __u64 *size,
		   const char **name, const char **module);
void kallsyms__free(struct kallsyms *ks);

/* Writes the executable (x) mapping lines of /proc/pid/maps to buf as
 * "start-end perms offset dev inode path\n" (at most size - 1 bytes, cut
 * at a line end, NUL-terminated). Bytes written, or -errno: -ENOENT when
 * the process is gone, -EINVAL for size 0. */
int proc_maps_read(__u32 pid, char *buf, size_t size);

/* --- report time ---------------------------------------------------- */

struct symbolizer;

struct symbolizer *symbolizer__new(void);
/* A KSYM record's symbol [addr, addr + size) (size 0: up to the next one):
 * name and module need not be NUL-terminated; a name stops at a NUL or 512
 * bytes. The module is not kept: a frame names the function alone, as
 * perf's folded stacks do. The first name added for an address wins. 0,
 * -EINVAL (empty name), -ENOSPC (past 4M symbols) or -ENOMEM. */
int symbolizer__add_ksym(struct symbolizer *s, __u64 addr, __u64 size, const char *name,
			 size_t name_len, const char *module, size_t mod_len);
/* A MAPS record's text for pid: replaces what pid had. Lines that do not
 * parse, or are not executable, are skipped; past 4096 lines a process (1M
 * in all) the rest are left out. A path ending in " (deleted)" is tried
 * without it. 0, -ENOSPC (past 65536 processes) or -ENOMEM. */
int symbolizer__add_maps(struct symbolizer *s, __u32 pid, const char *text, size_t len);
/* The kernel function holding addr, or NULL. Sorts what was added since
 * the last call; then O(log n). */
const char *symbolizer__kernel(struct symbolizer *s, __u64 addr);
/* The function holding user address addr of pid, or NULL (no mapping, an
 * anonymous or pseudo one such as [vdso], the file is gone or not ELF, no
 * symbol covers it). Opens each file once and keeps its symbols (.symtab,
 * else .dynsym): a function, or a sized untyped symbol; one without a size
 * reaches the next symbol or its section's end. Names live as long as s. */
const char *symbolizer__user(struct symbolizer *s, __u32 pid, __u64 addr);
void symbolizer__free(struct symbolizer *s);

#endif /* TSEND_SYMBOLIZE_H */
