// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "u64map.h"

#define SLOTS_MIN 64

static __u64 mix64(__u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Where key is, or the empty slot where it would go. */
static size_t slot_of(const struct u64map *m, __u64 key)
{
	size_t mask = m->nr_slots - 1, i = mix64(key) & mask;

	while (m->slots[i].key && m->slots[i].key != key)
		i = (i + 1) & mask;
	return i;
}

void *u64map_get(const struct u64map *m, __u64 key)
{
	size_t i;

	if (!m->nr || !key)
		return NULL;
	i = slot_of(m, key);
	return m->slots[i].key ? m->slots[i].val : NULL;
}

static int grow(struct u64map *m)
{
	struct u64map n = {.nr = m->nr, .nr_slots = m->nr_slots ? m->nr_slots * 2 : SLOTS_MIN};

	n.slots = calloc(n.nr_slots, sizeof(*n.slots));
	if (!n.slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->nr_slots; i++)
		if (m->slots[i].key)
			n.slots[slot_of(&n, m->slots[i].key)] = m->slots[i];
	free(m->slots);
	*m = n;
	return 0;
}

int u64map_put(struct u64map *m, __u64 key, void *val)
{
	size_t i;

	if (!key)
		return -EINVAL;
	if ((m->nr + 1) * 2 > m->nr_slots && grow(m))
		return -ENOMEM;
	i = slot_of(m, key);
	if (!m->slots[i].key) {
		m->slots[i].key = key;
		m->nr++;
	}
	m->slots[i].val = val;
	return 0;
}

/* Is h (the home slot of an entry at j) cyclically within (i, j]? */
static bool in_run(size_t h, size_t i, size_t j)
{
	return i < j ? i < h && h <= j : i < h || h <= j;
}

void u64map_del(struct u64map *m, __u64 key)
{
	size_t mask, i, j;

	if (!m->nr || !key)
		return;
	i = slot_of(m, key);
	if (!m->slots[i].key)
		return;
	mask = m->nr_slots - 1;
	for (j = i;;) {
		j = (j + 1) & mask;
		if (!m->slots[j].key)
			break;
		if (in_run(mix64(m->slots[j].key) & mask, i, j))
			continue;
		m->slots[i] = m->slots[j];
		i = j;
	}
	m->slots[i].key = 0;
	m->nr--;
}

void u64map_free(struct u64map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->nr = m->nr_slots = 0;
}
