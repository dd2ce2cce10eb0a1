// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "record_stacks.h"
#include "symbolize.h"
#include "u64map.h"

#define MAPS_TEXT_MAX (TRACE_RECORD_MAX - sizeof(struct tsend_maps))
#define RANGES_MAX    4096

/* A stack map id's addresses: an id never changes content while the map
 * lives (no BPF_F_REUSE_STACKID), so they are read once per recording. */
struct stack {
	__u16 nr;
	__u64 ips[];
};

/* What a MAPS record written to this file covers, for one process. */
struct proc {
	__u32 nr;
	__u64 range[RANGES_MAX][2];
};

struct stack_recorder {
	int fd;
	struct kallsyms *ks;
	struct u64map stacks; /* id + 1 → struct stack, for the whole recording */
	/* for the current file */
	struct u64map ids;     /* id + 1 → written */
	struct u64map ksyms;   /* symbol start → written */
	struct u64map checked; /* pid << 32 | (id + 1) → its MAPS covers the stack */
	struct u64map procs;   /* 1 << 32 | pid → struct proc */
	union {
		struct tsend_stack_ips ips;
		struct tsend_ksym ksym;
		struct tsend_maps maps;
		char bytes[TRACE_RECORD_MAX + 1]; /* + proc_maps_read's NUL */
	} rec;
};

static void *const WRITTEN = (void *)1;

struct stack_recorder *stack_recorder__new(int map_fd, char *err, size_t errlen)
{
	struct stack_recorder *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->fd = map_fd;
	s->ks = kallsyms__load("/proc/kallsyms");
	if (!s->ks) {
		int e = errno;

		snprintf(err, errlen, "/proc/kallsyms: %s%s", strerror(e),
			 e == EPERM ? " (addresses hidden: kernel.kptr_restrict)" : "");
		free(s);
		errno = e;
		return NULL;
	}
	return s;
}

static void free_values(struct u64map *m)
{
	for (size_t i = 0; i < m->nr_slots; i++)
		if (m->slots[i].key)
			free(m->slots[i].val);
	u64map_free(m);
}

void stack_recorder__reset(struct stack_recorder *s)
{
	u64map_free(&s->ids);
	u64map_free(&s->ksyms);
	u64map_free(&s->checked);
	free_values(&s->procs);
}

void stack_recorder__free(struct stack_recorder *s)
{
	if (!s)
		return;
	stack_recorder__reset(s);
	free_values(&s->stacks);
	kallsyms__free(s->ks);
	free(s);
}

/* The head of a record the recorder writes: at the STACK record's time, so
 * the file stays in time order. */
static void fill_head(struct tsend_head *h, const struct tsend_head *at, __u32 size, __u8 kind,
		      __u32 pid)
{
	memset(h, 0, sizeof(*h));
	h->ts = at->ts;
	h->cpu = at->cpu;
	h->pid = pid;
	h->size = size;
	h->kind = kind;
	if (pid)
		memcpy(h->comm, at->comm, sizeof(h->comm));
}

static int append(struct stack_recorder *s, struct trace_writer *w, __u64 *appended)
{
	int err = trace_writer__append(w, s->rec.bytes, s->rec.ips.h.size);

	if (!err)
		(*appended)++;
	return err;
}

/* id's addresses from the map, cached; NULL when the map has no such id
 * (then the STACK record's id resolves to nothing, and says so later). */
static const struct stack *get_stack(struct stack_recorder *s, __s32 id)
{
	__u64 ips[TSEND_STACK_DEPTH] = {};
	__u32 key = id;
	struct stack *st = u64map_get(&s->stacks, (__u64)id + 1);
	__u16 nr = 0;

	if (st)
		return st;
	if (bpf_map_lookup_elem(s->fd, &key, ips))
		return NULL;
	while (nr < TSEND_STACK_DEPTH && ips[nr])
		nr++;
	st = malloc(sizeof(*st) + nr * sizeof(__u64));
	if (!st)
		return NULL;
	st->nr = nr;
	memcpy(st->ips, ips, nr * sizeof(__u64));
	if (u64map_put(&s->stacks, (__u64)id + 1, st)) {
		free(st);
		return NULL;
	}
	return st;
}

static int write_ips(struct stack_recorder *s, struct trace_writer *w, const struct tsend_head *at,
		     __s32 id, const struct stack *st, bool user, __u64 *appended)
{
	struct tsend_stack_ips *r = &s->rec.ips;
	__u16 nr = st ? st->nr : 0;

	fill_head(&r->h, at, sizeof(*r) + nr * sizeof(__u64), TSEND_KIND_STACK_IPS, 0);
	r->id = id;
	r->user = user;
	r->pad = 0;
	r->nr = nr;
	if (nr)
		memcpy(r->ips, st->ips, nr * sizeof(__u64));
	return append(s, w, appended);
}

/* The symbol of each kernel address, once per file. */
static int write_ksyms(struct stack_recorder *s, struct trace_writer *w,
		       const struct tsend_head *at, const struct stack *st, __u64 *appended)
{
	struct tsend_ksym *r = &s->rec.ksym;

	for (__u16 i = 0; st && i < st->nr; i++) {
		const char *name, *mod;
		__u64 start, size;
		size_t nl, ml;
		int err;

		if (kallsyms__find(s->ks, st->ips[i], &start, &size, &name, &mod) ||
		    u64map_get(&s->ksyms, start))
			continue;
		nl = strnlen(name, 1024);
		ml = strnlen(mod, 256);
		fill_head(&r->h, at, sizeof(*r) + nl + ml, TSEND_KIND_KSYM, 0);
		r->addr = start;
		r->size = size;
		r->name_len = nl;
		r->mod_len = ml;
		r->pad[0] = r->pad[1] = 0;
		memcpy(r->name, name, nl);
		memcpy(r->name + nl, mod, ml);
		err = append(s, w, appended);
		if (!err)
			err = u64map_put(&s->ksyms, start, WRITTEN);
		if (err)
			return err;
	}
	return 0;
}

static bool covered(const struct proc *p, const struct stack *st)
{
	for (__u16 i = 0; i < st->nr; i++) {
		bool in = false;

		for (__u32 k = 0; k < p->nr && !in; k++)
			in = st->ips[i] >= p->range[k][0] && st->ips[i] < p->range[k][1];
		if (!in)
			return false;
	}
	return true;
}

/* The process's mappings, written again if the stack leaves them: a
 * library dlopen()ed since. A process already gone keeps what it has. */
static int write_maps(struct stack_recorder *s, struct trace_writer *w, const struct tsend_head *at,
		      const struct stack *st, __u64 *appended)
{
	__u64 key = 1ULL << 32 | at->pid;
	struct proc *p = u64map_get(&s->procs, key);
	struct tsend_maps *r = &s->rec.maps;
	int n, err;

	if (p && covered(p, st))
		return 0;
	n = proc_maps_read(at->pid, r->text, MAPS_TEXT_MAX + 1);
	if (n < 0)
		return 0;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p || u64map_put(&s->procs, key, p)) {
			free(p);
			return -ENOMEM;
		}
	}
	p->nr = 0;
	for (const char *l = r->text; l && *l && p->nr < RANGES_MAX; l = strchr(l, '\n')) {
		unsigned long long lo, hi;

		if (*l == '\n')
			l++;
		if (sscanf(l, "%llx-%llx", &lo, &hi) == 2) {
			p->range[p->nr][0] = lo;
			p->range[p->nr][1] = hi;
			p->nr++;
		}
	}
	fill_head(&r->h, at, sizeof(*r) + n, TSEND_KIND_MAPS, at->pid);
	r->text_len = n;
	r->pad = 0;
	err = append(s, w, appended);
	return err;
}

int stack_recorder__before(struct stack_recorder *s, struct trace_writer *w,
			   const struct tsend_stack_event *e, __u64 *appended)
{
	const struct stack *st;
	int err;

	if (e->kstack_id >= 0 && !u64map_get(&s->ids, (__u64)e->kstack_id + 1)) {
		st = get_stack(s, e->kstack_id);
		err = write_ksyms(s, w, &e->h, st, appended);
		if (!err)
			err = write_ips(s, w, &e->h, e->kstack_id, st, false, appended);
		if (!err)
			err = u64map_put(&s->ids, (__u64)e->kstack_id + 1, WRITTEN);
		if (err)
			return err;
	}
	if (e->ustack_id >= 0) {
		__u64 key = (__u64)e->h.pid << 32 | ((__u64)e->ustack_id + 1);

		st = get_stack(s, e->ustack_id);
		if (!u64map_get(&s->ids, (__u64)e->ustack_id + 1)) {
			err = write_ips(s, w, &e->h, e->ustack_id, st, true, appended);
			if (!err)
				err = u64map_put(&s->ids, (__u64)e->ustack_id + 1, WRITTEN);
			if (err)
				return err;
		}
		if (st && !u64map_get(&s->checked, key)) {
			err = write_maps(s, w, &e->h, st, appended);
			if (!err)
				err = u64map_put(&s->checked, key, WRITTEN);
			if (err)
				return err;
		}
	}
	return 0;
}
