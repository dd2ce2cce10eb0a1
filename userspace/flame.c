// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"
#include "hash.h"
#include "u64map.h"

struct fnode {
	__u32 name; /* index into names */
	__u32 parent;
	__u32 child, next; /* first child, next sibling: 0 none (0 is the root) */
	__u8 layer;
	__u64 self[2], total[2];
};

struct flame {
	struct fnode *n;
	__u32 nr, cap;
	struct u64map kids; /* (parent << 32 | name) + 1 → node index + 1 */
	char **names;	    /* interned: one copy of each name */
	__u32 nr_names, cap_names;
	__u32 *slots; /* names' hash table: index + 1, 0 empty */
	__u32 nr_slots;
};

static __u64 hash_str(const char *s)
{
	return fnv1a(s, strlen(s));
}

static int grow_names(struct flame *f)
{
	__u32 nr = f->nr_slots ? f->nr_slots * 2 : 1024;
	__u32 *slots = calloc(nr, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (__u32 i = 0; i < f->nr_names; i++) {
		__u64 h = hash_str(f->names[i]) & (nr - 1);

		while (slots[h])
			h = (h + 1) & (nr - 1);
		slots[h] = i + 1;
	}
	free(f->slots);
	f->slots = slots;
	f->nr_slots = nr;
	return 0;
}

/* The id of name, added if new; -1 on ENOMEM. */
static long intern(struct flame *f, const char *name)
{
	__u64 h;

	if ((f->nr_names + 1) * 2 > f->nr_slots && grow_names(f))
		return -1;
	for (h = hash_str(name) & (f->nr_slots - 1); f->slots[h]; h = (h + 1) & (f->nr_slots - 1))
		if (!strcmp(f->names[f->slots[h] - 1], name))
			return f->slots[h] - 1;
	if (f->nr_names == f->cap_names) {
		__u32 cap = f->cap_names ? f->cap_names * 2 : 1024;
		char **names = realloc(f->names, cap * sizeof(*names));

		if (!names)
			return -1;
		f->names = names;
		f->cap_names = cap;
	}
	f->names[f->nr_names] = strdup(name);
	if (!f->names[f->nr_names])
		return -1;
	f->slots[h] = ++f->nr_names;
	return f->nr_names - 1;
}

static long new_node(struct flame *f, __u32 parent, __u32 name, __u8 layer)
{
	struct fnode *n;

	if (f->nr == f->cap) {
		__u32 cap = f->cap ? f->cap * 2 : 1024;
		struct fnode *p = realloc(f->n, cap * sizeof(*p));

		if (!p)
			return -1;
		f->n = p;
		f->cap = cap;
	}
	n = &f->n[f->nr];
	memset(n, 0, sizeof(*n));
	n->name = name;
	n->parent = parent;
	n->layer = layer;
	if (f->nr) { /* not the root: link it as its parent's first child */
		n->next = f->n[parent].child;
		f->n[parent].child = f->nr;
	}
	return f->nr++;
}

struct flame *flame__new(void)
{
	struct flame *f = calloc(1, sizeof(*f));
	long all;

	if (!f)
		return NULL;
	all = intern(f, "all");
	if (all < 0 || new_node(f, 0, all, FLAME_ROOT) < 0) {
		flame__free(f);
		return NULL;
	}
	return f;
}

void flame__free(struct flame *f)
{
	if (!f)
		return;
	for (__u32 i = 0; i < f->nr_names; i++)
		free(f->names[i]);
	free(f->names);
	free(f->slots);
	free(f->n);
	u64map_free(&f->kids);
	free(f);
}

int flame__add(struct flame *f, const char *const *frames, const __u8 *layers, unsigned int n,
	       __u64 weight, unsigned int side)
{
	__u32 cur = 0;

	side = !!side;
	if (n > FLAME_DEPTH_MAX)
		n = FLAME_DEPTH_MAX;
	f->n[0].total[side] += weight;
	for (unsigned int i = 0; i < n; i++) {
		long name = intern(f, frames[i]);
		__u64 key;
		void *v;

		if (name < 0)
			return -ENOMEM;
		key = ((__u64)cur << 32 | (__u64)name) + 1;
		v = u64map_get(&f->kids, key);
		if (v) {
			cur = (__u32)((uintptr_t)v - 1);
		} else {
			long idx = new_node(f, cur, name, layers[i]);

			if (idx < 0 || u64map_put(&f->kids, key, (void *)(uintptr_t)(idx + 1)))
				return -ENOMEM;
			cur = idx;
		}
		f->n[cur].total[side] += weight;
	}
	f->n[cur].self[side] += weight;
	return 0;
}

__u64 flame__total(const struct flame *f, unsigned int side)
{
	return f->n[0].total[!!side];
}

static int by_name(const void *a, const void *b, void *ctx)
{
	const struct flame *f = ctx;
	const struct fnode *x = &f->n[*(const __u32 *)a], *y = &f->n[*(const __u32 *)b];

	return strcmp(f->names[x->name], f->names[y->name]);
}

/*
 * Pre-order of the tree with children in name order: order[] holds node
 * indices, depth[] their depth. Iterative: stacks are deep, and a trace
 * decides how deep.
 */
static int preorder(const struct flame *f, __u32 *order, __u32 *depth)
{
	__u32 *stack = malloc(f->nr * sizeof(*stack)), *dstack = malloc(f->nr * sizeof(*dstack));
	__u32 *kids = malloc(f->nr * sizeof(*kids));
	__u32 sp = 0, out = 0;

	if (!stack || !dstack || !kids) {
		free(stack);
		free(dstack);
		free(kids);
		return -ENOMEM;
	}
	stack[sp] = 0;
	dstack[sp++] = 0;
	while (sp) {
		__u32 cur = stack[--sp], d = dstack[sp], nk = 0;

		order[out] = cur;
		depth[out++] = d;
		for (__u32 c = f->n[cur].child; c; c = f->n[c].next)
			kids[nk++] = c;
		qsort_r(kids, nk, sizeof(*kids), by_name, (void *)f);
		/* pushed last to first, so the first pops first */
		while (nk) {
			stack[sp] = kids[--nk];
			dstack[sp++] = d + 1;
		}
	}
	free(stack);
	free(dstack);
	free(kids);
	return 0;
}

int flame__folded(const struct flame *f, FILE *out, bool diff)
{
	__u32 *order = malloc(f->nr * sizeof(*order)), *depth = malloc(f->nr * sizeof(*depth));
	const char **path = calloc(f->nr, sizeof(*path));
	int err = -ENOMEM;

	if (!order || !depth || !path || preorder(f, order, depth))
		goto out;
	for (__u32 i = 1; i < f->nr; i++) {
		const struct fnode *n = &f->n[order[i]];
		__u32 d = depth[i];

		path[d] = f->names[n->name];
		if (!n->self[0] && !(diff && n->self[1]))
			continue;
		for (__u32 k = 1; k <= d; k++) {
			/* a name from a trace must not split a frame or a line */
			for (const char *c = path[k]; *c; c++)
				fputc(*c == ';' || (unsigned char)*c < 0x20 ? '_' : *c, out);
			if (k < d)
				fputc(';', out);
		}
		if (diff)
			fprintf(out, " %llu %llu\n", (unsigned long long)n->self[0],
				(unsigned long long)n->self[1]);
		else
			fprintf(out, " %llu\n", (unsigned long long)n->self[0]);
	}
	err = fflush(out) || ferror(out) ? -EIO : 0;
out:
	free(order);
	free(depth);
	free(path);
	return err;
}

int flame__svg(const struct flame *f, FILE *out, const struct flame_svg_opts *o)
{
	__u32 *order = malloc(f->nr * sizeof(*order)), *depth = malloc(f->nr * sizeof(*depth));
	struct flame_node *nodes = calloc(f->nr, sizeof(*nodes));
	/* where the next child of each depth starts: its parent's start, then
	 * past each sibling laid out */
	__u64 *next = calloc(f->nr + 1, sizeof(*next));
	unsigned int side = o->diff ? 1 : 0;
	int err = -ENOMEM;

	if (!order || !depth || !nodes || !next || preorder(f, order, depth))
		goto out;
	for (__u32 i = 0; i < f->nr; i++) {
		const struct fnode *n = &f->n[order[i]];
		__u32 d = depth[i];

		nodes[i].name = f->names[n->name];
		nodes[i].depth = d;
		nodes[i].layer = n->layer;
		nodes[i].start = d ? next[d] : 0;
		nodes[i].value = n->total[side];
		nodes[i].value_a = n->total[0];
		next[d] = nodes[i].start + nodes[i].value;
		next[d + 1] = nodes[i].start; /* its children start where it does */
	}
	err = flame_svg_write(out, nodes, f->nr, o);
out:
	free(order);
	free(depth);
	free(nodes);
	free(next);
	return err;
}

static bool prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

static bool any_prefix(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (prefix(s, *list))
			return true;
	return false;
}

enum flame_layer flame_layer_of(const char *name, bool user)
{
	static const char *const syscall[] = {
		"entry_SYSCALL", "do_syscall", "x64_sys_call", "__x64_sys_",   "__ia32_sys_",
		"__se_sys_",	 "__do_sys_",  "__sys_",       "___sys_",      "____sys_",
		"sock_",	 "__sock_",    "sockfd_",      "inet_sendmsg", "inet6_sendmsg",
		"syscall_",	 "send",       NULL,
	};
	static const char *const tcp[] = {"tcp", "__tcp", NULL};
	static const char *const ip[] = {"ip_",	    "__ip_", "ip6_",	"ipv4_", "ipv6_", "neigh_",
					 "__neigh", "dst_",  "nf_hook", "__nf_", "inet_", NULL};
	static const char *const driver[] = {"e1000", "loopback_xmit", "veth_", "virtnet_", NULL};
	static const char *const qdisc[] = {
		"__dev_queue_xmit",
		"dev_queue_xmit",
		"__dev_xmit_skb",
		"dev_hard_start_xmit",
		"xmit_one",
		"netdev_",
		"sch_",
		"__qdisc",
		"qdisc",
		"pfifo",
		"fq_",
		"validate_xmit",
		"net_dev_",
		"dev_qdisc",
		"__netif_",
		NULL,
	};
	size_t len = strlen(name);

	if (name[0] == '[')
		return FLAME_MISSING;
	if (user)
		return FLAME_USER;
	if (any_prefix(name, driver) || (len > 11 && !strcmp(name + len - 11, "_xmit_frame")) ||
	    (len > 11 && !strcmp(name + len - 11, "_start_xmit") && !any_prefix(name, qdisc)))
		return FLAME_DRIVER;
	if (any_prefix(name, qdisc))
		return FLAME_QDISC;
	if (any_prefix(name, tcp))
		return FLAME_TCP;
	if (any_prefix(name, syscall))
		return FLAME_SYSCALL;
	if (any_prefix(name, ip))
		return FLAME_IP;
	return FLAME_KERNEL;
}
