// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "flame_trace.h"
#include "lifecycle.h"
#include "stages.h"
#include "symbolize.h"
#include "u64map.h"

/* A STACK_IPS record's addresses. */
struct ips {
	bool user;
	__u16 nr;
	__u64 ip[];
};

/* Stack samples that share their frames, added up: the tree is built once
 * per distinct stack, not once per sample. */
struct agg {
	struct agg *next; /* same hash */
	__u32 pid;
	__s32 kid, uid;
	char comm[TSEND_COMM_LEN];
	__u64 weight;
};

struct flame_trace {
	struct flame *f;
	unsigned int side;
	const struct flame_trace_opts *o;
	struct flame_trace_result res;
	struct symbolizer *sym;
	struct lifecycle *lc;	  /* latency weights and the path graph */
	enum flame_weight weight; /* o->weight, AUTO resolved */
	bool stacks;		  /* a STACK record was seen */
	struct u64map ips;	  /* id + 1 → struct ips */
	struct u64map flows;	  /* sk → struct tsend_flow, for --flow */
	struct u64map aggs;	  /* hash → struct agg chain */
	struct u64map pending;	  /* latency: hash of (skb or tid, stage, ts) → struct agg */
	__u64 path[TSEND_STAGE_MAX];
	__u64 path_skbs;
};

static __u64 mix(__u64 a, __u64 b)
{
	__u64 x = a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return (x ^ (x >> 29)) | 1; /* never 0: u64map's empty key */
}

static bool flow_wanted(const struct flame_trace *t, const struct tsend_flow *flow)
{
	char text[128];

	if (!t->o->flow)
		return true;
	if (!flow)
		return false;
	tsend_fmt_flow(text, sizeof(text), flow);
	return strstr(text, t->o->flow) != NULL;
}

static bool task_wanted(const struct flame_trace *t, __u32 pid, const char *comm)
{
	if (t->o->have_pid && pid != t->o->pid)
		return false;
	return !t->o->comm || !strncmp(comm, t->o->comm, TSEND_COMM_LEN);
}

static bool stage_wanted(const struct flame_trace *t, unsigned int stage)
{
	return !t->o->stages || (stage < 64 && (t->o->stages >> stage & 1));
}

/* ---- the path graph: the seed's call tree ---- */

/* Each stage's caller in the seed's call tree (send-path.md); 0: a root.
 * Retransmission is placed under tcp_write_xmit, as the seed has no
 * other caller of __tcp_transmit_skb. */
static const __u8 caller[TSEND_STAGE_MAX] = {
	[TSEND_STAGE_SOCK_SENDMSG] = TSEND_STAGE_SYS_SENDTO,
	[TSEND_STAGE_INET_SENDMSG] = TSEND_STAGE_SOCK_SENDMSG,
	[TSEND_STAGE_TCP_SENDMSG] = TSEND_STAGE_INET_SENDMSG,
	[TSEND_STAGE_TCP_SENDMSG_LOCKED] = TSEND_STAGE_TCP_SENDMSG,
	[TSEND_STAGE_TCP_STREAM_ALLOC_SKB] = TSEND_STAGE_TCP_SENDMSG_LOCKED,
	[TSEND_STAGE_TCP_SKB_ENTAIL] = TSEND_STAGE_TCP_SENDMSG_LOCKED,
	[TSEND_STAGE_TCP_PUSH_ONE] = TSEND_STAGE_TCP_SENDMSG_LOCKED,
	[TSEND_STAGE_TCP_WRITE_XMIT] = TSEND_STAGE_TCP_PUSH_ONE,
	[TSEND_STAGE_TCP_TRANSMIT_SKB] = TSEND_STAGE_TCP_WRITE_XMIT,
	[TSEND_STAGE_TCP_EVENT_NEW_DATA_SENT] = TSEND_STAGE_TCP_WRITE_XMIT,
	[TSEND_STAGE_TCP_RETRANSMIT_SKB] = TSEND_STAGE_TCP_WRITE_XMIT,
	[TSEND_STAGE_IP_QUEUE_XMIT] = TSEND_STAGE_TCP_TRANSMIT_SKB,
	[TSEND_STAGE_IP_LOCAL_OUT] = TSEND_STAGE_IP_QUEUE_XMIT,
	[TSEND_STAGE_IP_OUTPUT] = TSEND_STAGE_IP_LOCAL_OUT,
	[TSEND_STAGE_IP_FINISH_OUTPUT] = TSEND_STAGE_IP_OUTPUT,
	[TSEND_STAGE_IP_FINISH_OUTPUT_GSO] = TSEND_STAGE_IP_FINISH_OUTPUT,
	[TSEND_STAGE_IP_FINISH_OUTPUT2] = TSEND_STAGE_IP_FINISH_OUTPUT,
	[TSEND_STAGE_NEIGH_OUTPUT] = TSEND_STAGE_IP_FINISH_OUTPUT2,
	[TSEND_STAGE_DEV_QUEUE_XMIT] = TSEND_STAGE_NEIGH_OUTPUT,
	[TSEND_STAGE_NET_DEV_QUEUE] = TSEND_STAGE_DEV_QUEUE_XMIT,
	[TSEND_STAGE_QDISC_ENQUEUE] = TSEND_STAGE_NET_DEV_QUEUE,
	[TSEND_STAGE_QDISC_DEQUEUE] = TSEND_STAGE_QDISC_ENQUEUE,
	[TSEND_STAGE_SCH_DIRECT_XMIT] = TSEND_STAGE_QDISC_DEQUEUE,
	[TSEND_STAGE_DEV_HARD_START_XMIT] = TSEND_STAGE_SCH_DIRECT_XMIT,
	[TSEND_STAGE_XMIT_ONE] = TSEND_STAGE_DEV_HARD_START_XMIT,
	[TSEND_STAGE_NET_DEV_START_XMIT] = TSEND_STAGE_XMIT_ONE,
	[TSEND_STAGE_E1000_XMIT_FRAME] = TSEND_STAGE_NET_DEV_START_XMIT,
	/* after ndo_start_xmit returned: until the skb is freed */
	[TSEND_STAGE_NET_DEV_XMIT] = TSEND_STAGE_XMIT_ONE,
};

/* The frame of a stage: the seed's name, "send" for the syscalls. */
static const char *path_name(unsigned int stage)
{
	if (stage == TSEND_STAGE_SYS_SENDTO || stage == TSEND_STAGE_SYS_SENDMSG)
		return "send";
	return tsend_stage_name(stage);
}

static int add_path(struct flame_trace *t, unsigned int stage, __u64 weight)
{
	const char *frames[TSEND_STAGE_MAX];
	__u8 layers[TSEND_STAGE_MAX];
	unsigned int chain[TSEND_STAGE_MAX], n = 0;

	for (unsigned int s = stage; n < TSEND_STAGE_MAX; s = caller[s]) {
		chain[n++] = s;
		if (!caller[s])
			break;
	}
	for (unsigned int i = 0; i < n; i++) {
		frames[i] = path_name(chain[n - 1 - i]);
		layers[i] = flame_layer_of(frames[i], false);
	}
	return flame__add(t->f, frames, layers, n, weight, t->side);
}

static void path_skb(struct flame_trace *t, const struct lc_skb *l)
{
	__u32 nr = l->nr_stages < LC_STAGES_MAX ? l->nr_stages : LC_STAGES_MAX;

	t->path_skbs++;
	for (__u32 i = 0; i < nr; i++) {
		unsigned int s = l->stages[i].stage;
		__u64 w = 1;

		if (s >= TSEND_STAGE_MAX || !stage_wanted(t, s))
			continue;
		if (t->weight == FLAME_LATENCY) {
			if (i + 1 == nr)
				break; /* the last stage: nothing after it to measure */
			w = l->stages[i + 1].ts > l->stages[i].ts
				    ? l->stages[i + 1].ts - l->stages[i].ts
				    : 0;
		}
		t->path[s] += w;
	}
}

/* ---- the stacks graph ---- */

static struct agg *agg_get(struct flame_trace *t, const struct tsend_stack_event *e)
{
	__u64 key = mix(mix(e->h.pid, (__u32)e->kstack_id), (__u32)e->ustack_id);
	struct agg *head = u64map_get(&t->aggs, key), *a;

	for (a = head; a; a = a->next)
		if (a->pid == e->h.pid && a->kid == e->kstack_id && a->uid == e->ustack_id &&
		    !strncmp(a->comm, e->h.comm, TSEND_COMM_LEN))
			return a;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->pid = e->h.pid;
	a->kid = e->kstack_id;
	a->uid = e->ustack_id;
	memcpy(a->comm, e->h.comm, TSEND_COMM_LEN - 1);
	a->next = head;
	if (u64map_put(&t->aggs, key, a)) {
		free(a);
		return NULL;
	}
	return a;
}

/* Where a sample waits for its weight: the lifecycle stage it was taken at. */
static __u64 pending_key(__u64 addr, unsigned int stage, __u64 ts)
{
	return mix(mix(addr, stage), ts);
}

static int on_stack(struct flame_trace *t, const struct tsend_stack_event *e)
{
	struct agg *a;

	if (!t->stacks) {
		t->stacks = true;
		/* stacks weigh by count unless asked otherwise, and count
		 * weights need no lifecycles */
		if (t->o->weight == FLAME_WEIGHT_AUTO)
			t->weight = FLAME_COUNT;
		if (t->weight == FLAME_COUNT && t->lc) {
			lifecycle__free(t->lc);
			t->lc = NULL;
		}
	}
	if (!stage_wanted(t, e->h.stage) || !task_wanted(t, e->h.pid, e->h.comm) ||
	    !flow_wanted(t, u64map_get(&t->flows, e->h.sk)))
		return 0;
	a = agg_get(t, e);
	if (!a)
		return -ENOMEM;
	t->res.samples++;
	if (t->weight == FLAME_COUNT) {
		a->weight++;
		return 0;
	}
	return u64map_put(&t->pending,
			  pending_key(e->h.skb ? e->h.skb : e->h.tid, e->h.stage, e->h.ts), a);
}

/* A latency sample's weight arrives with its lifecycle. */
static void weigh(struct flame_trace *t, __u64 addr, unsigned int stage, __u64 ts, __u64 until)
{
	__u64 key = pending_key(addr, stage, ts);
	struct agg *a = u64map_get(&t->pending, key);

	if (!a)
		return;
	if (until > ts)
		a->weight += until - ts;
	else
		t->res.no_weight++;
	u64map_del(&t->pending, key);
}

static void on_skb_done(const struct lc_skb *l, void *ctx)
{
	struct flame_trace *t = ctx;
	__u32 nr = l->nr_stages < LC_STAGES_MAX ? l->nr_stages : LC_STAGES_MAX;

	if (!t->stacks) {
		if (task_wanted(t, l->pid, l->comm) && flow_wanted(t, &l->flow))
			path_skb(t, l);
		return;
	}
	for (__u32 i = 0; i < nr; i++)
		weigh(t, l->stages[i].skb, l->stages[i].stage, l->stages[i].ts,
		      i + 1 < nr ? l->stages[i + 1].ts : 0);
}

static void on_send_done(const struct lc_send *s, void *ctx)
{
	struct flame_trace *t = ctx;

	if (t->stacks && s->nr_stages)
		weigh(t, s->tid, s->stage, s->entry_ts, s->exit_ts);
}

static int keep_ips(struct flame_trace *t, const struct tsend_stack_ips *r)
{
	struct ips *p = malloc(sizeof(*p) + r->nr * sizeof(__u64)), *old;

	if (!p)
		return -ENOMEM;
	p->user = r->user;
	p->nr = r->nr;
	memcpy(p->ip, (const char *)r + sizeof(*r), r->nr * sizeof(__u64));
	old = u64map_get(&t->ips, (__u64)(__u32)r->id + 1);
	free(old);
	if (u64map_put(&t->ips, (__u64)(__u32)r->id + 1, p)) {
		free(p);
		return -ENOMEM;
	}
	return 0;
}

static int keep_flow(struct flame_trace *t, __u64 sk, const struct tsend_flow *flow)
{
	struct tsend_flow *f;

	if (!t->o->flow || !sk || !flow->family || u64map_get(&t->flows, sk))
		return 0;
	f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	*f = *flow;
	if (u64map_put(&t->flows, sk, f)) {
		free(f);
		return -ENOMEM;
	}
	return 0;
}

/* One record: the ones stacks need are taken here, all go to lifecycles. */
static int add_record(struct flame_trace *t, const void *rec, __u32 len)
{
	union tsend_record u;
	const char *why;
	int err = 0;

	if (tsend_record_check(rec, len, &why)) {
		t->res.malformed++;
		return 0;
	}
	tsend_record_copy(&u, sizeof(u), rec, len);
	switch (u.h.kind) {
	case TSEND_KIND_STACK:
		if (t->o->mode != FLAME_PATH)
			err = on_stack(t, &u.stack);
		break;
	case TSEND_KIND_STACK_IPS:
		err = keep_ips(t, rec);
		break;
	case TSEND_KIND_KSYM:
		err = symbolizer__add_ksym(t->sym, u.ksym.addr, u.ksym.size,
					   (const char *)rec + sizeof(u.ksym), u.ksym.name_len,
					   (const char *)rec + sizeof(u.ksym) + u.ksym.name_len,
					   u.ksym.mod_len);
		break;
	case TSEND_KIND_MAPS:
		err = symbolizer__add_maps(t->sym, u.h.pid, (const char *)rec + sizeof(u.maps),
					   u.maps.text_len);
		break;
	case TSEND_KIND_SKB:
		err = keep_flow(t, u.h.sk, &u.skb.flow);
		break;
	case TSEND_KIND_SEND:
		err = keep_flow(t, u.h.sk, &u.send.flow);
		break;
	case TSEND_KIND_TCP:
		err = keep_flow(t, u.h.sk, &u.tcp.flow);
		break;
	}
	if (!err && t->lc) {
		err = lifecycle__add(t->lc, rec, len);
		if (err == -EINVAL)
			err = 0; /* counted by the lifecycle */
	}
	return err;
}

/* ---- symbolization ---- */

/* Frames the tracer adds above the traced function. */
static bool tracer_frame(const char *name)
{
	static const char *const glue[] = {
		"bpf_prog_",
		"bpf_trampoline_",
		"__bpf_prog_",
		"bpf_trace_run",
		"__bpf_trace_",
		"perf_trace_",
		"trace_event_raw_event_",
		"__traceiter_",
		"trace_call_bpf",
		"bpf_get_stack",
		"kprobe_",
		"__kprobe",
		"ftrace_",
		"arch_ftrace",
		"bpf_overflow",
		"__perf_event_overflow",
		"perf_event_output",
		"perf_syscall_",
		"syscall_trace_enter",
		NULL,
	};

	for (const char *const *g = glue; *g; g++)
		if (!strncmp(name, *g, strlen(*g)))
			return true;
	return false;
}

#define FRAMES_MAX (2 * TSEND_STACK_DEPTH + 2)

struct frames {
	const char *name[FRAMES_MAX];
	__u8 layer[FRAMES_MAX];
	char unknown[FRAMES_MAX][40];
	unsigned int n;
};

static void push(struct frames *fr, const char *name, bool user)
{
	if (fr->n == FRAMES_MAX)
		return;
	fr->name[fr->n] = name;
	fr->layer[fr->n++] = flame_layer_of(name, user);
}

static void push_unknown(struct flame_trace *t, struct frames *fr, __u64 ip)
{
	if (fr->n == FRAMES_MAX)
		return;
	snprintf(fr->unknown[fr->n], sizeof(fr->unknown[0]), "[unknown] 0x%llx",
		 (unsigned long long)ip);
	t->res.unresolved++;
	push(fr, fr->unknown[fr->n], false);
}

/* One stack, outermost first. id < 0: the recording could not take it. */
static void push_stack(struct flame_trace *t, struct frames *fr, __s32 id, __u32 pid, bool user)
{
	bool tramp = false, in_bpf = false;
	const struct ips *p;

	if (id == TSEND_STACK_NONE)
		return;
	if (id < 0) {
		t->res.missed++;
		push(fr, user ? "[missed user stack]" : "[missed kernel stack]", false);
		return;
	}
	p = u64map_get(&t->ips, (__u64)(__u32)id + 1);
	if (!p || p->user != user) {
		push(fr, user ? "[unknown user stack]" : "[unknown kernel stack]", false);
		return;
	}
	/* outermost first: ip[] is innermost first */
	for (__u32 i = p->nr; i-- > 0;) {
		const char *name = user ? symbolizer__user(t->sym, pid, p->ip[i])
					: symbolizer__kernel(t->sym, p->ip[i]);

		if (!name) {
			push_unknown(t, fr, p->ip[i]);
			in_bpf = tramp = false;
			continue;
		}
		if (user) {
			push(fr, name, true);
			continue;
		}
		/* a function with an fexit program runs inside its BPF
		 * trampoline: f;bpf_trampoline_N;f is the one call f */
		if (!strncmp(name, "bpf_trampoline_", 15)) {
			tramp = true;
			continue;
		}
		if (tramp && fr->n && !strcmp(fr->name[fr->n - 1], name)) {
			tramp = false;
			continue;
		}
		tramp = false;
		/* the tracer's frames, at the leaf or where an interrupt
		 * came in while one of our programs ran: the program and
		 * the BPF helpers it was in are cut too */
		if (tracer_frame(name)) {
			in_bpf = in_bpf || !strncmp(name, "bpf_prog_", 9);
			continue;
		}
		if (in_bpf && (!strncmp(name, "bpf_", 4) || !strncmp(name, "__bpf_", 6)))
			continue;
		in_bpf = false;
		push(fr, name, false);
	}
}

static int build_stacks(struct flame_trace *t)
{
	struct frames *fr = malloc(sizeof(*fr));
	int err = 0;

	if (!fr)
		return -ENOMEM;
	for (size_t i = 0; i < t->aggs.nr_slots && !err; i++) {
		if (!t->aggs.slots[i].key)
			continue;
		for (const struct agg *a = t->aggs.slots[i].val; a && !err; a = a->next) {
			if (!a->weight)
				continue;
			fr->n = 0;
			push(fr, a->comm[0] ? a->comm : "[unknown comm]", true);
			fr->layer[0] = FLAME_ROOT;
			push_stack(t, fr, a->uid, a->pid, true);
			push_stack(t, fr, a->kid, a->pid, false);
			err = flame__add(t->f, fr->name, fr->layer, fr->n, a->weight, t->side);
		}
	}
	free(fr);
	return err;
}

static void free_all(struct u64map *m, bool chain)
{
	for (size_t i = 0; i < m->nr_slots; i++) {
		void *v = m->slots[i].val;

		if (!m->slots[i].key)
			continue;
		while (chain && v) {
			struct agg *next = ((struct agg *)v)->next;

			free(v);
			v = next;
		}
		free(v);
	}
	u64map_free(m);
}

struct flame_trace *flame_trace__new(struct flame *f, unsigned int side,
				     const struct flame_trace_opts *o,
				     const struct trace_meta *meta)
{
	struct flame_trace *t = calloc(1, sizeof(*t));
	struct lc_ops ops = {.skb_done = on_skb_done, .send_done = on_send_done, .ctx = t};

	if (!t)
		return NULL;
	t->f = f;
	t->side = side;
	t->o = o;
	t->stacks = o->mode == FLAME_STACKS;
	/* AUTO: time for the path graph (what it is for), samples for stacks
	 * (as perf's), decided at the first STACK record */
	t->weight = o->weight != FLAME_WEIGHT_AUTO ? o->weight
		    : t->stacks			   ? FLAME_COUNT
						   : FLAME_LATENCY;
	t->sym = symbolizer__new();
	/* stacks with count weights need no lifecycles */
	if (t->weight == FLAME_LATENCY || !t->stacks)
		t->lc = lifecycle__new(meta, &ops);
	if (!t->sym || (!t->lc && (t->weight == FLAME_LATENCY || !t->stacks))) {
		flame_trace__free(t);
		return NULL;
	}
	return t;
}

int flame_trace__add(struct flame_trace *t, const void *rec, __u32 len)
{
	t->res.records++;
	return add_record(t, rec, len);
}

int flame_trace__finish(struct flame_trace *t, const struct trace_stats *stats,
			struct flame_trace_result *res)
{
	int e = 0;

	if (t->lc) {
		lifecycle__finish(t->lc, stats);
		t->res.malformed += lifecycle__counts(t->lc)->malformed;
	}
	t->res.mode = t->o->mode == FLAME_PATH || (t->o->mode == FLAME_AUTO && !t->stacks)
			      ? FLAME_PATH
			      : FLAME_STACKS;
	if (t->res.mode == FLAME_STACKS) {
		t->res.no_weight += t->pending.nr;
		e = build_stacks(t);
	} else {
		t->res.samples = t->path_skbs;
		for (unsigned int s = 1; s < TSEND_STAGE_MAX && !e; s++)
			if (t->path[s])
				e = add_path(t, s, t->path[s]);
	}
	t->res.weight = t->weight;
	*res = t->res;
	return e;
}

void flame_trace__free(struct flame_trace *t)
{
	if (!t)
		return;
	lifecycle__free(t->lc);
	symbolizer__free(t->sym);
	free_all(&t->ips, false);
	free_all(&t->flows, false);
	free_all(&t->aggs, true);
	u64map_free(&t->pending);
	free(t);
}

int flame_trace_read(struct flame *f, struct trace_reader *r, unsigned int side,
		     const struct flame_trace_opts *o, struct flame_trace_result *res, char *err,
		     size_t errlen)
{
	struct flame_trace *t = flame_trace__new(f, side, o, trace_reader__meta(r));
	const void *rec;
	__u32 len;
	int rc = 0, e;

	memset(res, 0, sizeof(*res));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while ((e = trace_reader__next(r, &rec, &len)) > 0) {
		rc = flame_trace__add(t, rec, len);
		if (rc)
			break;
	}
	if (e < 0) {
		snprintf(err, errlen, "%s", trace_reader__error(r));
		rc = e;
	} else if (rc) {
		snprintf(err, errlen, "%s", strerror(-rc));
	}
	/* whatever was read before an error is still drawn; the lifecycles
	 * then end cut off */
	e = flame_trace__finish(t, e == 0 && !rc ? trace_reader__stats(r) : NULL, res);
	if (e && !rc) {
		snprintf(err, errlen, "out of memory");
		rc = e;
	}
	if (trace_reader__warning(r))
		snprintf(res->warning, sizeof(res->warning), "%s", trace_reader__warning(r));
	flame_trace__free(t);
	return rc;
}
