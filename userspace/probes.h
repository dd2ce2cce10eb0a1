/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The probe table: one row per seed function or tracepoint, the programs
 * that can watch it best first (fentry/fexit → kprobe/kretprobe → tp_btf →
 * raw_tp → classic tracepoint), and what this kernel allows.
 *
 * probes__select() runs between the skeleton's open and load: it asks the
 * kernel what works, keeps the best program of each row and switches the
 * others off. probes__attach() runs after load. The resulting rows are what
 * `tsend-trace probes` prints and what the trace header stores.
 */
#ifndef TSEND_PROBES_H
#define TSEND_PROBES_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "trace_file.h"

struct bpf_object;
struct probes;

/*
 * Detect and choose. btf_path: vmlinux BTF to use instead of
 * /sys/kernel/btf/vmlinux (NULL for the default). no_fentry: use neither
 * fentry/fexit nor tp_btf (to compare, or to test kprobes). rejected: NULL or
 * a NULL-terminated list of programs this kernel's verifier refused; they
 * are not chosen again (record.c reloads without them). Returns NULL with
 * errno set if nothing can be decided (no BTF at all); a row without a
 * working mechanism is not an error.
 */
struct probes *probes__select(struct bpf_object *obj, const char *btf_path, bool no_fentry,
			      const char *const *rejected, char *err, size_t errlen);
/*
 * Leaves out the rows of the stages not in keep (bit 1 << stage): nothing of
 * theirs is loaded or attached, and their rows say why. Between select and
 * load; for a use that needs only some stages (tsend-trace top).
 */
void probes__keep(struct probes *p, __u64 keep, const char *why);
/* kfree_skb's tracepoint has a drop reason argument on this kernel. */
bool probes__kfree_skb_has_reason(const struct probes *p);
/* tcp_pace_kick's address, which the hrtimer tracepoint programs look for. */
__u64 probes__pace_kick(const struct probes *p);
/* tcp_write_timer's, for the timer_list tracepoint programs. */
__u64 probes__write_timer(const struct probes *p);
/* Attaches every chosen program. A probe that fails to attach is marked
 * unavailable with the kernel's reason; only "nothing attached" is an error. */
int probes__attach(struct probes *p);
/* The rows as stored in the trace header (valid until probes__free). */
const struct trace_probe *probes__rows(const struct probes *p, __u32 *nr);
/* Detaches and frees. */
void probes__free(struct probes *p);

/* Mounts tracefs at /sys/kernel/tracing if nothing is there (needs root):
 * classic tracepoints and kprobe lookups need it. 0, or -errno. */
int probes__ensure_tracefs(void);

#endif /* TSEND_PROBES_H */
