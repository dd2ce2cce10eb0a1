/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A hash map from a non-zero __u64 (an address, a tid) to a pointer. Open
 * addressing with linear probing, at most half full, deletion by backward
 * shift so no tombstones pile up; keys are mixed with splitmix64's
 * finalizer because kernel addresses differ mostly in their middle bits.
 */
#ifndef TSEND_U64MAP_H
#define TSEND_U64MAP_H

#include <linux/types.h>
#include <stddef.h>

struct u64map_slot {
	__u64 key; /* 0: empty */
	void *val;
};

struct u64map {
	struct u64map_slot *slots;
	size_t nr, nr_slots;
};

/* The value of key, NULL if absent. */
void *u64map_get(const struct u64map *m, __u64 key);
/* Inserts or replaces; 0, -EINVAL for key 0, or -ENOMEM. */
int u64map_put(struct u64map *m, __u64 key, void *val);
/* Removes key if present. */
void u64map_del(struct u64map *m, __u64 key);
void u64map_free(struct u64map *m);

#endif /* TSEND_U64MAP_H */
