// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "top.h"
#include "tsend.skel.h"

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Every entry of one per-CPU map of __u64 words (top_hist, top_counts),
 * summed over the CPUs. The BPF side goes on adding meanwhile: an entry
 * evicted between the walk and its lookup is skipped, and a walk whose key
 * was evicted starts again from the first key (top_reading__sort drops the
 * entries read twice); the budget bounds that.
 */
static int read_map(const struct bpf_map *map, enum top_map m, int nr_cpus, struct top_reading *rd)
{
	size_t words = bpf_map__value_size(map) / sizeof(__u64);
	__u64 *v = calloc((size_t)nr_cpus * words, sizeof(__u64));
	__u64 budget = 2ULL * bpf_map__max_entries(map);
	struct tsend_top_key key, *at = NULL;
	int fd = bpf_map__fd(map), e = 0;

	if (!v)
		return -ENOMEM;
	while (!e && budget-- && !bpf_map_get_next_key(fd, at, &key)) {
		struct top_entry sum = {.key = key};

		at = &key;
		if (bpf_map_lookup_elem(fd, &key, v))
			continue;
		for (int c = 0; c < nr_cpus; c++)
			for (size_t w = 0; w < words; w++)
				sum.w[w] += v[c * words + w];
		e = top_reading__add(rd, m, &sum);
	}
	free(v);
	return e;
}

int top__read(const struct recorder *r, struct top_reading *rd)
{
	const struct tsend_bpf *skel = recorder__skel(r);
	int nr_cpus = libbpf_num_possible_cpus(), e;

	if (nr_cpus <= 0)
		return nr_cpus ? nr_cpus : -EINVAL;
	top_reading__clear(rd);
	rd->mono_ns = clock_ns(CLOCK_MONOTONIC);
	rd->real_ns = clock_ns(CLOCK_REALTIME);
	e = read_map(skel->maps.top_hist, TOP_HIST, nr_cpus, rd);
	if (!e)
		e = read_map(skel->maps.top_counts, TOP_COUNTS, nr_cpus, rd);
	top_reading__sort(rd);
	return e;
}

#define MAX_REASON 1024 /* above: a subsystem's reason, shown as a number */

char **top__drop_reasons(const char *btf_path, unsigned int *nr)
{
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	int id = btf ? btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM) : -1;
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, id);
	const char prefix[] = "SKB_DROP_REASON_";
	char **names = t ? calloc(MAX_REASON, sizeof(*names)) : NULL;

	*nr = names ? MAX_REASON : 0;
	for (int i = 0; names && i < btf_vlen(t); i++) {
		const struct btf_enum *e = &btf_enum(t)[i];
		const char *name = btf__name_by_offset(btf, e->name_off);

		if (e->val < 0 || e->val >= MAX_REASON || !name)
			continue;
		if (!strncmp(name, prefix, sizeof(prefix) - 1))
			name += sizeof(prefix) - 1;
		names[e->val] = strdup(name); /* NULL: shown as a number */
	}
	btf__free(btf);
	return names;
}

void top__free_drop_reasons(char **names, unsigned int nr)
{
	for (unsigned int i = 0; names && i < nr; i++)
		free(names[i]);
	free(names);
}
