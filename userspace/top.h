/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tsend-trace top's half that knows the BPF skeleton: reading the top_*
 * maps of a recorder opened with record_opts.top. What the readings show
 * is top_view.h's.
 */
#ifndef TSEND_TOP_H
#define TSEND_TOP_H

#include "record.h"
#include "top_view.h"

/*
 * Empties rd, then fills it with every entry of the top_* maps, each summed
 * over the CPUs, sorted, and stamped with the time. 0 or -errno.
 */
int top__read(const struct recorder *r, struct top_reading *rd);

/*
 * This kernel's names of its drop reasons, by value (NULL where it has
 * none): enum skb_drop_reason in its BTF (btf_path, or NULL for
 * /sys/kernel/btf/vmlinux) less the SKB_DROP_REASON_ prefix, as the values
 * change from one kernel to the next. NULL with *nr 0 if BTF has none.
 */
char **top__drop_reasons(const char *btf_path, unsigned int *nr);
void top__free_drop_reasons(char **names, unsigned int nr);

#endif /* TSEND_TOP_H */
