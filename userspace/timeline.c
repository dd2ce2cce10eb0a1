// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Lifecycles as a trace-event JSON timeline: see timeline.h for the layout.
 *
 * What the importers need (Perfetto's trace_processor, and catapult behind
 * chrome://tracing), and how it is met:
 *
 *   nesting     X slices of one thread must nest or be disjoint, else
 *               Perfetto moves them to an "overlapping" track with an error
 *               (older versions drop them). Lanes hold lifecycles whose
 *               spans are disjoint; within one, stage slices tile it.
 *   ties        at equal ts Perfetto takes longer X slices first, then
 *               instants and flow events in file order. Every X slice here
 *               is at least 1 ns long, so a parent always comes before its
 *               first child, and a flow event (always written after its
 *               slices) lands on the slice that starts at its ts.
 *   flows       "s" and "f" bind to the slice open on their thread at their
 *               ts, and "s" must come first in time: "s" goes at the start
 *               of the send() slice, "f" at the start of the frame's first
 *               net_dev_start_xmit slice (or of its last stage) at or after
 *               it. catapult pairs one "s" with one "f" per id, so each
 *               arrow has its own id.
 *   thread ids  Perfetto keys threads by tid: pids and tids are numbers
 *               from one counter, never shared.
 *   instants    catapult reads an "i" as a slice that begins and ends at
 *               once, checked against the slices still open on its thread:
 *               with no B/E events, their order in the file does not matter.
 *
 * Lanes are found first-fit by an interval test against the spans each
 * lane holds. Lifecycles come in completion order, so one may start before
 * spans already placed; a lane remembers LANE_SPANS spans and, for those
 * it forgot (the ones that end first), a horizon before which it counts as
 * busy. So lifecycles that finish long after others of their time (those
 * given up at the end) gather in lanes of their own, but no lane ever gets
 * two overlapping spans.
 *
 * Arrows join what the assembler joined: a frame carries bytes of the
 * send() calls its lifecycle names (send_id, the send of its first payload
 * byte, and nr_sends of them) and no others. Which ones, is read from
 * sequence ranges where both have them: the frame's [seq, end_seq) meets
 * the send's [seq, seq + ret) on the same socket; else from ids: the
 * frame's id is in the send's [first_skb, last_skb] (other sockets' skbs
 * may be interleaved in that range) or its send_id is the send's. The two
 * come in any order. A send() drawn goes into a ring indexed by its id
 * (ids follow the send() entries), where a frame that comes later looks
 * from its send_id on; a frame that still misses some waits in its
 * socket's pending list for them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "json.h"
#include "stages.h"
#include "timeline.h"

#define SOCK_BUCKETS_BITS 12
#define LANES_TOTAL_MAX	  (1U << 16) /* lanes of all sockets: about 300 bytes each */
#define LANE_SPANS	  16	     /* spans a lane remembers */
#define SEND_RING	  (1U << 16) /* send() calls kept for frames, by id: 4 MiB */
#define SEND_SCAN_MAX	  4096	     /* ids a frame looks through from its send_id */
#define PEND_FRAMES_MAX	  256	     /* frames per socket waiting for their send() */
#define CPU_MAX		  (1U << 16) /* lc_stage.cpu is a __u16 */
/*
 * Times are clamped below this: Perfetto reads "µs.ns" as a double and
 * rounds µs * 1000 to ns, which is exact up to about 2^50 ns; past it a
 * child could end 1 ns after its parent. 2^49 ns is six days.
 */
#define TS_MAX	  (1ULL << 49)
#define SEND_SORT 0		     /* thread_sort_index of send() lanes, then skb lanes */
#define SKB_SORT  TIMELINE_LANES_MAX /* after every send() lane */
#define FLOW_NAME "send() bytes"
#define CATEGORY  "tsend"

/* A busy interval of a lane: [start, end) ns since the start. */
struct span {
	__u64 start, end;
};

struct lane {
	__u32 tid;
	__u32 nr;
	__u64 horizon; /* busy before this: spans forgotten */
	struct span spans[LANE_SPANS];
};

struct lanes {
	__u32 nr, cap;
	struct lane *v;
};

/* A send() drawn, kept for the frames that carry its bytes. */
struct sent {
	__u64 id, sk, first_skb, last_skb;
	__u64 at; /* its "s": the start of its slice */
	__u32 pid, tid;
	bool seq_valid;
	__u32 seq, end_seq;
};

/* A frame drawn, waiting for the send() calls whose bytes it carries. */
struct pend_frame {
	__u64 id, send_id;
	__u64 at[2]; /* where its "f" may go, earliest first */
	__u32 tid;
	__u32 want, got; /* send() calls */
	bool seq_valid;
	__u32 seq, end_seq;
};

struct sock {
	__u64 sk;
	__u32 pid;
	bool named;		    /* by a flow, not just by its address */
	struct sock *hnext;	    /* hash bucket chain */
	struct sock *older, *newer; /* LRU list */
	struct lanes send_lanes, skb_lanes;
	__u32 nr_frames, cap_frames;
	struct pend_frame *frames; /* oldest first, PEND_FRAMES_MAX */
};

struct timeline {
	FILE *out;
	__u64 start_ns;
	int err; /* sticky */
	bool finished;
	__u64 events;
	__u32 next_id; /* pids and tids */
	__u32 cpus_pid;
	__u64 next_flow;
	__u32 nr_lanes;
	struct timeline_counts counts;
	struct sent *sends; /* SEND_RING, by id */
	struct trace_meta meta;
	__u32 nr_socks;
	struct sock *newest, *oldest;
	struct sock *buckets[1U << SOCK_BUCKETS_BITS];
	__u32 cpu_tid[CPU_MAX]; /* 0: no thread yet */
};

static __u32 min_u32(__u32 a, __u32 b)
{
	return a < b ? a : b;
}

static __u32 hash64(__u64 v, unsigned int bits)
{
	return (__u32)((v * 0x61c8864680b583ebULL) >> (64 - bits));
}

/* ns since the start; before it (a record stamped before the file was
 * opened) is 0. Monotonic, so order and nesting survive the clamps. */
static __u64 rel_ns(const struct timeline *t, __u64 ts)
{
	__u64 ns = ts > t->start_ns ? ts - t->start_ns : 0;

	return ns < TS_MAX ? ns : TS_MAX;
}

static void write_check(struct timeline *t)
{
	if (!t->err && ferror(t->out))
		t->err = -EIO;
}

/* ---- events ---- */

static void put_us(FILE *f, __u64 ns)
{
	fprintf(f, "%llu.%03llu", (unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000));
}

/* {"name":...,"cat":"tsend","ph":"X","pid":1,"tid":2,"ts":1.234 — the
 * caller adds fields, then the closing brace. */
static void ev_begin(struct timeline *t, char ph, const char *name, __u32 pid, __u32 tid, __u64 ts)
{
	fputs(t->events++ ? ",\n{\"name\":" : "\n{\"name\":", t->out);
	tsend_json_str(t->out, name, strlen(name));
	fprintf(t->out, ",\"cat\":\"" CATEGORY "\",\"ph\":\"%c\",\"pid\":%u,\"tid\":%u,\"ts\":", ph,
		pid, tid);
	put_us(t->out, ts);
}

static void ev_dur(struct timeline *t, __u64 from, __u64 to)
{
	fputs(",\"dur\":", t->out);
	put_us(t->out, to - from);
}

/* Opens the event's args object: j_* fields, then fputs("}}"). */
static void ev_args(struct timeline *t, struct jw *w)
{
	fputs(",\"args\":", t->out);
	j_open(w, t->out);
}

/* Metadata events (names, sort order): neither ts nor category. */
static void ev_meta(struct timeline *t, const char *what, __u32 pid, __u32 tid, struct jw *w)
{
	fprintf(t->out, "%s{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%u", t->events++ ? ",\n" : "\n",
		what, pid);
	if (tid)
		fprintf(t->out, ",\"tid\":%u", tid);
	ev_args(t, w);
}

static void meta_name(struct timeline *t, const char *what, __u32 pid, __u32 tid, const char *name)
{
	struct jw w;

	ev_meta(t, what, pid, tid, &w);
	j_str(&w, "name", name, strlen(name));
	fputs("}}", t->out);
}

static void meta_sort(struct timeline *t, const char *what, __u32 pid, __u32 tid, __u32 index)
{
	struct jw w;

	ev_meta(t, what, pid, tid, &w);
	j_u64(&w, "sort_index", index);
	fputs("}}", t->out);
}

static void arg_bool(struct jw *w, const char *key, bool v)
{
	j_key(w, key);
	fputs(v ? "true" : "false", w->out);
}

/* A duration from..to in µs, where the recording has both ends in order. */
static void arg_us(struct jw *w, const char *key, __u64 from, __u64 to)
{
	if (!from || !to || to < from)
		return;
	j_key(w, key);
	put_us(w->out, to - from);
}

/* Why a lifecycle or send() is incomplete, and the stage it misses. */
static void arg_why(struct jw *w, unsigned int why, unsigned int missing)
{
	if (!why)
		return;
	j_str(w, "incomplete", lc_why_text(why), 128);
	if (missing)
		j_str(w, "missing", tsend_stage_name(missing), 64);
}

/* ---- threads ---- */

static __u32 cpu_thread(struct timeline *t, __u16 cpu)
{
	if (!t->cpu_tid[cpu]) {
		char name[16];

		t->cpu_tid[cpu] = t->next_id++;
		snprintf(name, sizeof(name), "CPU %u", cpu);
		meta_name(t, "thread_name", t->cpus_pid, t->cpu_tid[cpu], name);
		meta_sort(t, "thread_sort_index", t->cpus_pid, t->cpu_tid[cpu], cpu);
	}
	return t->cpu_tid[cpu];
}

static bool lane_fits(const struct lane *l, __u64 start, __u64 end)
{
	if (start < l->horizon)
		return false;
	for (__u32 i = 0; i < l->nr; i++)
		if (start < l->spans[i].end && l->spans[i].start < end)
			return false;
	return true;
}

/* When full, the span that ends first is forgotten: the lane is busy up to
 * its end from now on, so nothing can be put over it later. */
static void lane_take(struct lane *l, __u64 start, __u64 end)
{
	if (l->nr == LANE_SPANS) {
		__u32 k = 0;

		for (__u32 i = 1; i < l->nr; i++)
			if (l->spans[i].end < l->spans[k].end)
				k = i;
		if (l->spans[k].end > l->horizon)
			l->horizon = l->spans[k].end;
		l->spans[k] = l->spans[--l->nr];
	}
	l->spans[l->nr++] = (struct span){start, end};
}

static struct lane *lane_add(struct timeline *t, const struct sock *s, struct lanes *ls, bool skbs)
{
	char name[32];
	struct lane *l;

	if (ls->nr == TIMELINE_LANES_MAX || t->nr_lanes == LANES_TOTAL_MAX)
		return NULL;
	if (ls->nr == ls->cap) {
		__u32 cap = ls->cap ? ls->cap * 2 : 2;
		struct lane *v = realloc(ls->v, cap * sizeof(*v));

		if (!v) {
			t->err = -ENOMEM;
			return NULL;
		}
		ls->v = v;
		ls->cap = cap;
	}
	l = &ls->v[ls->nr++];
	*l = (struct lane){.tid = t->next_id++};
	t->nr_lanes++;
	if (skbs)
		snprintf(name, sizeof(name), "skbs %u", ls->nr);
	else if (ls->nr > 1)
		snprintf(name, sizeof(name), "send() %u", ls->nr);
	else
		snprintf(name, sizeof(name), "send()");
	meta_name(t, "thread_name", s->pid, l->tid, name);
	meta_sort(t, "thread_sort_index", s->pid, l->tid, (skbs ? SKB_SORT : SEND_SORT) + ls->nr);
	return l;
}

/* The first lane free over [start, end), taken; its tid, 0 if none. */
static __u32 lane_pick(struct timeline *t, const struct sock *s, struct lanes *ls, bool skbs,
		       __u64 start, __u64 end)
{
	struct lane *l = NULL;

	for (__u32 i = 0; i < ls->nr && !l; i++)
		if (lane_fits(&ls->v[i], start, end))
			l = &ls->v[i];
	if (!l)
		l = lane_add(t, s, ls, skbs);
	if (!l)
		return 0;
	lane_take(l, start, end);
	return l->tid;
}

/* ---- frames waiting for their send() calls ---- */

static void frame_del(struct sock *s, __u32 i)
{
	memmove(&s->frames[i], &s->frames[i + 1], (s->nr_frames - i - 1) * sizeof(s->frames[0]));
	s->nr_frames--;
}

/* The arrows they still waited for are missing. */
static void frames_forget(struct timeline *t, struct sock *s, __u32 nr)
{
	for (__u32 i = 0; i < nr; i++)
		t->counts.links_missing += s->frames[i].want - s->frames[i].got;
	while (nr--)
		frame_del(s, 0);
}

/* At PEND_FRAMES_MAX the oldest is forgotten. */
static void frame_wait(struct timeline *t, struct sock *s, const struct pend_frame *pf)
{
	if (s->nr_frames == PEND_FRAMES_MAX)
		frames_forget(t, s, 1);
	if (s->nr_frames == s->cap_frames) {
		__u32 cap = s->cap_frames ? s->cap_frames * 2 : 4;
		struct pend_frame *v = realloc(s->frames, cap * sizeof(*v));

		if (!v) {
			t->err = -ENOMEM;
			return;
		}
		s->frames = v;
		s->cap_frames = cap;
	}
	s->frames[s->nr_frames++] = *pf;
}

/* ---- sockets ---- */

static void lru_unlink(struct timeline *t, struct sock *s)
{
	if (s->older)
		s->older->newer = s->newer;
	else
		t->oldest = s->newer;
	if (s->newer)
		s->newer->older = s->older;
	else
		t->newest = s->older;
	s->older = s->newer = NULL;
}

static void lru_push(struct timeline *t, struct sock *s)
{
	s->older = t->newest;
	s->newer = NULL;
	if (t->newest)
		t->newest->newer = s;
	else
		t->oldest = s;
	t->newest = s;
}

static void sock_unhash(struct timeline *t, const struct sock *s)
{
	struct sock **pp = &t->buckets[hash64(s->sk, SOCK_BUCKETS_BITS)];

	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
}

static void sock_release(struct timeline *t, struct sock *s)
{
	t->nr_lanes -= s->send_lanes.nr + s->skb_lanes.nr;
	free(s->send_lanes.v);
	free(s->skb_lanes.v);
	free(s->frames);
}

/* The oldest socket makes room; if it comes back it is a new process. */
static struct sock *sock_alloc(struct timeline *t)
{
	struct sock *s;

	if (t->nr_socks < TIMELINE_SOCK_MAX) {
		s = calloc(1, sizeof(*s));
		if (s)
			t->nr_socks++;
		return s;
	}
	s = t->oldest;
	lru_unlink(t, s);
	sock_unhash(t, s);
	frames_forget(t, s, s->nr_frames);
	sock_release(t, s);
	memset(s, 0, sizeof(*s));
	return s;
}

/* "10.0.0.1:5000>10.0.0.2:80 sk 0xffff888003f20000": when the socket is
 * new (by its address alone if nothing names its flow yet), and again once
 * a flow does. */
static void sock_name(struct timeline *t, struct sock *s, const struct tsend_flow *flow, bool fresh)
{
	char f[128], name[160];

	if (s->named)
		return;
	tsend_fmt_flow(f, sizeof(f), flow);
	if (!f[0] && !fresh)
		return;
	if (s->sk)
		snprintf(name, sizeof(name), "%s%ssk 0x%llx", f, f[0] ? " " : "",
			 (unsigned long long)s->sk);
	else
		snprintf(name, sizeof(name), "no socket");
	s->named = f[0] || !s->sk;
	meta_name(t, "process_name", s->pid, 0, name);
}

static struct sock *sock_get(struct timeline *t, __u64 sk, const struct tsend_flow *flow)
{
	__u32 bucket = hash64(sk, SOCK_BUCKETS_BITS);
	struct sock *s = t->buckets[bucket];

	while (s && s->sk != sk)
		s = s->hnext;
	if (s) {
		lru_unlink(t, s);
		lru_push(t, s);
		sock_name(t, s, flow, false);
		return s;
	}
	s = sock_alloc(t);
	if (!s) {
		t->err = -ENOMEM;
		return NULL;
	}
	s->sk = sk;
	s->pid = t->next_id++;
	s->hnext = t->buckets[bucket];
	t->buckets[bucket] = s;
	lru_push(t, s);
	sock_name(t, s, flow, true);
	meta_sort(t, "process_sort_index", s->pid, 0, s->pid);
	t->counts.sockets++;
	return s;
}

/* ---- flow arrows ---- */

/* [seq, end_seq) ranges meet, in sequence space */
static bool seq_meet(const struct sent *ps, const struct pend_frame *pf)
{
	return (__s32)(pf->seq - ps->end_seq) < 0 && (__s32)(ps->seq - pf->end_seq) < 0;
}

/* Called for a frame and a send() of one socket: a retransmission carries
 * bytes of the send() too, whatever its id. */
static bool carries(const struct sent *ps, const struct pend_frame *pf)
{
	if (ps->seq_valid && pf->seq_valid)
		return seq_meet(ps, pf);
	return (ps->first_skb && pf->id >= ps->first_skb && pf->id <= ps->last_skb) ||
	       (pf->send_id && pf->send_id == ps->id);
}

static void flow_event(struct timeline *t, char ph, __u32 pid, __u32 tid, __u64 ts, __u64 id)
{
	ev_begin(t, ph, FLOW_NAME, pid, tid, ts);
	fprintf(t->out, ",\"id\":%llu%s}", (unsigned long long)id,
		ph == 'f' ? ",\"bp\":\"e\"" : "");
}

/* One arrow from the send() slice to the frame's, if the frame was on its
 * way at or after the send() began (else the arrow would run backwards
 * and importers drop it). */
static void flow_link(struct timeline *t, const struct sent *ps, struct pend_frame *pf,
		      __u32 frame_pid)
{
	__u64 at = pf->at[0] >= ps->at ? pf->at[0] : pf->at[1];

	pf->got++;
	if (at < ps->at) {
		t->counts.links_missing++;
		return;
	}
	t->next_flow++;
	flow_event(t, 's', ps->pid, ps->tid, ps->at, t->next_flow);
	flow_event(t, 'f', frame_pid, pf->tid, at, t->next_flow);
	t->counts.links++;
}

/* A send() drawn: arrows to the frames waiting for it, then it is kept
 * (over an older id in its slot) for frames to come. */
static void send_links(struct timeline *t, struct sock *s, const struct sent *ps)
{
	struct sent *slot = &t->sends[ps->id % SEND_RING];

	for (__u32 i = 0; i < s->nr_frames;) {
		struct pend_frame *pf = &s->frames[i];

		if (carries(ps, pf))
			flow_link(t, ps, pf, s->pid);
		if (pf->got >= pf->want)
			frame_del(s, i);
		else
			i++;
	}
	if (ps->id >= slot->id)
		*slot = *ps;
}

/*
 * A frame drawn: arrows from the send() calls kept, from its send_id on
 * (a socket's send() calls have rising ids, interleaved with other
 * sockets'), up to one that starts after the frame's bytes; then it waits
 * for those it still misses.
 */
static void frame_links(struct timeline *t, struct sock *s, struct pend_frame *pf)
{
	for (__u64 id = pf->send_id; id && id - pf->send_id < SEND_SCAN_MAX && pf->got < pf->want;
	     id++) {
		const struct sent *ps = &t->sends[id % SEND_RING];

		if (ps->id != id || ps->sk != s->sk)
			continue;
		if (ps->seq_valid && pf->seq_valid && (__s32)(ps->seq - pf->end_seq) >= 0)
			break;
		if (carries(ps, pf))
			flow_link(t, ps, pf, s->pid);
	}
	if (pf->got < pf->want)
		frame_wait(t, s, pf);
}

/* ---- stages ---- */

/*
 * Where the slices of n stages start, strictly increasing: records of two
 * CPUs can be out of order by a few ns, and equal times would give a slice
 * no width. Returns how many stages were moved.
 */
static __u32 stage_times(const struct timeline *t, const struct lc_stage *st, __u32 n, __u64 *at)
{
	__u32 moved = 0;

	for (__u32 i = 0; i < n; i++) {
		at[i] = rel_ns(t, st[i].ts);
		if (i && at[i] <= at[i - 1]) {
			at[i] = at[i - 1] + 1;
			moved++;
		}
	}
	return moved;
}

/* "tcp_sendmsg", or "tcp_sendmsg ret" where a probe saw the function
 * return (a tracepoint's name already says when it fires) */
static const char *stage_label(const struct lc_stage *st, char *buf, size_t size)
{
	bool ret = st->mech == TSEND_MECH_FEXIT || st->mech == TSEND_MECH_KRETPROBE;

	snprintf(buf, size, "%s%s", tsend_stage_name(st->stage), ret ? " ret" : "");
	return buf;
}

/* Each stage record as an instant on the thread of the CPU it ran on. */
static void stage_instants(struct timeline *t, const struct lc_stage *st, __u32 n, const char *key,
			   __u64 id)
{
	char label[48];
	struct jw w;

	for (__u32 i = 0; i < n; i++) {
		__u32 tid = cpu_thread(t, st[i].cpu); /* may write its name first */

		ev_begin(t, 'i', stage_label(&st[i], label, sizeof(label)), t->cpus_pid, tid,
			 rel_ns(t, st[i].ts));
		fputs(",\"s\":\"t\"", t->out);
		ev_args(t, &w);
		j_u64(&w, key, id);
		j_u64(&w, "task", st[i].tid);
		j_str(&w, "mech", tsend_mech_name(st[i].mech), 32);
		fputs("}}", t->out);
	}
}

/* A stage's slice, from its start to the next stage's. base: the skb the
 * lifecycle began with (0 for a send()), so a clone's address shows. */
static void stage_slice(struct timeline *t, __u32 pid, __u32 tid, const struct lc_stage *st,
			__u64 from, __u64 to, __u64 base)
{
	__u64 was = rel_ns(t, st->ts);
	char label[48];
	struct jw w;

	ev_begin(t, 'X', stage_label(st, label, sizeof(label)), pid, tid, from);
	ev_dur(t, from, to);
	ev_args(t, &w);
	j_str(&w, "mech", tsend_mech_name(st->mech), 32);
	j_u64(&w, "cpu", st->cpu);
	j_u64(&w, "task", st->tid);
	if (st->skb && st->skb != base)
		j_ptr(&w, "skb", st->skb);
	if (from != was)
		j_u64(&w, "moved_ns", from - was);
	fputs("}}", t->out);
}

/* ---- lifecycles ---- */

static void skb_args(struct jw *w, const struct lc_skb *l, __u32 moved)
{
	j_u64(w, "id", l->id);
	j_ptr(w, "skb", l->skb);
	if (l->clone)
		j_ptr(w, "clone", l->clone);
	if (!l->sk) {
		char f[128];

		tsend_fmt_flow(f, sizeof(f), &l->flow);
		j_str(w, "flow", f, sizeof(f));
	}
	j_u64(w, "pid", l->pid);
	j_u64(w, "task", l->tid);
	j_str(w, "comm", l->comm, sizeof(l->comm));
	j_u64(w, "len", l->len);
	j_u64(w, "payload", l->payload);
	j_u64(w, "gso_segs", l->gso_segs);
	j_u64(w, "gso_size", l->gso_size);
	j_s64(w, "ifindex", l->ifindex);
	arg_bool(w, "on_wire", l->on_wire);
	arg_bool(w, "retransmit", l->retransmit);
	if (l->resent)
		j_u64(w, "resent", l->resent);
	if (l->parent)
		j_u64(w, "gso_parent", l->parent);
	if (l->segments)
		j_u64(w, "segments", l->segments);
	if (l->send_id)
		j_u64(w, "send_id", l->send_id);
	j_u64(w, "nr_sends", l->nr_sends);
	if (l->xmit_rc_valid)
		j_s64(w, "xmit_rc", l->xmit_rc);
	arg_bool(w, "dropped", l->dropped);
	if (l->dropped)
		j_u64(w, "drop_reason", l->drop_reason);
	if (l->nr_stages)
		arg_us(w, "acked_us", l->stages[0].ts, l->acked_ts);
	arg_why(w, l->why, l->missing);
	if (l->stages_dropped)
		j_u64(w, "stages_not_kept", l->stages_dropped);
	if (moved)
		j_u64(w, "stages_moved", moved);
}

/* The lifecycle's slice, first stage to last, and one per stage in it. */
static void skb_slices(struct timeline *t, const struct sock *s, __u32 tid, const struct lc_skb *l,
		       __u32 n, const __u64 *at, __u32 moved)
{
	char name[64];
	struct jw w;

	if (l->seq_valid)
		snprintf(name, sizeof(name), "skb #%llu seq %u-%u", (unsigned long long)l->id,
			 l->seq, l->end_seq);
	else
		snprintf(name, sizeof(name), "skb #%llu", (unsigned long long)l->id);
	ev_begin(t, 'X', name, s->pid, tid, at[0]);
	ev_dur(t, at[0], at[n]);
	ev_args(t, &w);
	skb_args(&w, l, moved);
	fputs("}}", t->out);
	for (__u32 i = 0; i < n; i++)
		stage_slice(t, s->pid, tid, &l->stages[i], at[i], at[i + 1], l->skb);
}

/* Where an arrow may end on this frame: its first net_dev_start_xmit (the
 * bytes on the wire), else its last stage; then its last stage. */
static struct pend_frame frame_of(const struct lc_skb *l, __u32 tid, __u32 n, const __u64 *at)
{
	struct pend_frame pf = {
		/* more than the ids it looks through could not be found */
		.want = l->nr_sends ? min_u32(l->nr_sends, SEND_SCAN_MAX) : !!l->send_id,
		.id = l->id,
		.send_id = l->send_id,
		.at = {at[n - 1], at[n - 1]},
		.tid = tid,
		.seq_valid = l->seq_valid,
		.seq = l->seq,
		.end_seq = l->end_seq,
	};

	for (__u32 i = 0; i < n; i++) {
		if (l->stages[i].stage == TSEND_STAGE_NET_DEV_START_XMIT) {
			pf.at[0] = at[i];
			break;
		}
	}
	return pf;
}

int timeline__skb(struct timeline *t, const struct lc_skb *l)
{
	__u32 n = min_u32(l->nr_stages, LC_STAGES_MAX);
	__u64 at[LC_STAGES_MAX + 1];
	struct pend_frame pf;
	struct sock *s;
	__u32 tid, moved;

	if (t->err || t->finished)
		return t->err ? t->err : -EINVAL;
	stage_instants(t, l->stages, n, "skb", l->id);
	if (!n) {
		t->counts.skbs_undrawn++;
		write_check(t);
		return t->err;
	}
	moved = stage_times(t, l->stages, n, at);
	at[n] = at[n - 1] + 1; /* the last stage: 1 ns, inside its parent */
	s = sock_get(t, l->sk, &l->flow);
	tid = s ? lane_pick(t, s, &s->skb_lanes, true, at[0], at[n]) : 0;
	if (tid) {
		skb_slices(t, s, tid, l, n, at, moved);
		pf = frame_of(l, tid, n, at);
		frame_links(t, s, &pf);
		t->counts.skbs++;
		t->counts.clamped += moved;
	} else if (s) {
		t->counts.skbs_undrawn++;
	}
	write_check(t);
	return t->err;
}

/* ---- send() calls ---- */

/*
 * A send()'s slice runs from its entry to its exit record, and its stages
 * (entry, sock_sendmsg, tcp_sendmsg_locked, ...) tile it, each until the
 * next. Without an exit record (none seen, or not kept) the last stage is
 * 1 ns wide, or reaches exit_ts. Returns e: the slice ends at at[e], and
 * the stages before e have a slice each.
 */
static __u32 send_times(const struct timeline *t, const struct lc_send *x, __u32 n, __u64 *at,
			__u32 *moved)
{
	__u64 exit = x->exit_ts ? rel_ns(t, x->exit_ts) : 0;

	if (!n) {
		at[0] = rel_ns(t, x->entry_ts);
		at[1] = exit > at[0] ? exit : at[0] + 1;
		*moved = 0;
		return 1;
	}
	*moved = stage_times(t, x->stages, n, at);
	if (n > 1 && x->exit_ts && x->stages[n - 1].stage == x->stage &&
	    x->stages[n - 1].phase == TSEND_PHASE_EXIT)
		return n - 1;
	at[n] = exit > at[n - 1] ? exit : at[n - 1] + 1;
	return n;
}

static void send_args(struct jw *w, const struct lc_send *x, __u32 moved)
{
	j_u64(w, "id", x->id);
	j_u64(w, "pid", x->pid);
	j_u64(w, "task", x->tid);
	j_str(w, "comm", x->comm, sizeof(x->comm));
	j_u64(w, "size", x->asked);
	if (x->exit_ts)
		j_s64(w, "ret", x->ret);
	else
		j_str(w, "ret", "no exit seen", 32);
	if (x->flags)
		j_ptr(w, "flags", x->flags);
	if (x->seq_valid)
		j_u64(w, "seq", x->seq);
	j_u64(w, "bytes_on_wire", x->wire_bytes);
	if (x->resent_bytes)
		j_u64(w, "bytes_resent", x->resent_bytes);
	j_u64(w, "frames", x->frames);
	if (x->first_skb)
		j_u64(w, "first_skb", x->first_skb);
	if (x->last_skb)
		j_u64(w, "last_skb", x->last_skb);
	arg_us(w, "tcp_sendmsg_locked_us", x->entry_ts, x->locked_ts);
	arg_us(w, "first_byte_on_wire_us", x->entry_ts, x->first_wire_ts);
	arg_us(w, "send_to_wire_us", x->entry_ts, x->last_wire_ts);
	arg_why(w, x->why, x->missing);
	if (moved)
		j_u64(w, "stages_moved", moved);
}

static void send_slices(struct timeline *t, const struct sock *s, __u32 tid,
			const struct lc_send *x, __u32 e, const __u64 *at, __u32 moved)
{
	__u32 n = min_u32(x->nr_stages, e);
	char name[32];
	struct jw w;

	snprintf(name, sizeof(name), "send() #%llu", (unsigned long long)x->id);
	ev_begin(t, 'X', name, s->pid, tid, at[0]);
	ev_dur(t, at[0], at[e]);
	ev_args(t, &w);
	send_args(&w, x, moved);
	fputs("}}", t->out);
	for (__u32 i = 0; i < n; i++)
		stage_slice(t, s->pid, tid, &x->stages[i], at[i], at[i + 1], 0);
}

static struct sent send_of(const struct lc_send *x, __u32 pid, __u32 tid, __u64 at)
{
	/* the bytes it returned; a range of none or of more than sequence
	 * space holds cannot be checked against frames */
	bool ranged = x->seq_valid && x->ret > 0 && x->ret < (1LL << 30);

	return (struct sent){
		.id = x->id,
		.sk = x->sk,
		.first_skb = x->first_skb,
		.last_skb = x->last_skb,
		.at = at,
		.pid = pid,
		.tid = tid,
		.seq_valid = ranged,
		.seq = x->seq,
		.end_seq = ranged ? x->seq + (__u32)x->ret : x->seq,
	};
}

int timeline__send(struct timeline *t, const struct lc_send *x)
{
	__u32 n = min_u32(x->nr_stages, LC_SEND_STAGES_MAX);
	__u64 at[LC_SEND_STAGES_MAX + 1];
	struct sent ps;
	__u32 tid, e, moved;
	struct sock *s;

	if (t->err || t->finished)
		return t->err ? t->err : -EINVAL;
	stage_instants(t, x->stages, n, "send", x->id);
	e = send_times(t, x, n, at, &moved);
	s = sock_get(t, x->sk, &x->flow);
	tid = s ? lane_pick(t, s, &s->send_lanes, false, at[0], at[e]) : 0;
	if (tid) {
		send_slices(t, s, tid, x, e, at, moved);
		/* its "s" at its start: X slices come first at equal times */
		ps = send_of(x, s->pid, tid, at[0]);
		if (x->ret > 0)
			send_links(t, s, &ps);
		t->counts.sends++;
		t->counts.clamped += moved;
	} else if (s) {
		t->counts.sends_undrawn++;
	}
	write_check(t);
	return t->err;
}

/* ---- the file ---- */

static void put_key_str(FILE *f, const char *key, const char *s, size_t max)
{
	fprintf(f, ",\"%s\":", key);
	tsend_json_str(f, s, max);
}

static void put_probes(FILE *f, const struct trace_meta *m)
{
	__u32 n = min_u32(m->nr_probes, TRACE_MAX_PROBES);

	fputs(",\"probes\":[", f);
	for (__u32 i = 0; i < n; i++) {
		const struct trace_probe *p = &m->probes[i];

		fprintf(f, "%s{\"function\":", i ? "," : "");
		tsend_json_str(f, p->func, sizeof(p->func));
		if (p->stage) /* rows of inline helpers have none */
			put_key_str(f, "stage", tsend_stage_name(p->stage), 64);
		put_key_str(f, "how", p->mech ? tsend_mech_name(p->mech) : "not watched", 64);
		put_key_str(f, "target", p->target, sizeof(p->target));
		put_key_str(f, "detail", p->detail, sizeof(p->detail));
		fputc('}', f);
	}
	fputc(']', f);
}

static void put_counts(FILE *f, const struct timeline_counts *c)
{
	fprintf(f,
		",\"sockets\":%llu,\"skbs\":%llu,\"sends\":%llu,\"links\":%llu"
		",\"skbs_undrawn\":%llu,\"sends_undrawn\":%llu,\"links_missing\":%llu"
		",\"stages_moved\":%llu",
		(unsigned long long)c->sockets, (unsigned long long)c->skbs,
		(unsigned long long)c->sends, (unsigned long long)c->links,
		(unsigned long long)c->skbs_undrawn, (unsigned long long)c->sends_undrawn,
		(unsigned long long)c->links_missing, (unsigned long long)c->clamped);
}

/*
 * displayTimeUnit comes after the events on purpose: Perfetto before
 * late 2021 took it as the unit of ts when it came first; now it, like
 * catapult, only uses it for display.
 */
static void put_tail(struct timeline *t)
{
	const struct trace_meta *m = &t->meta;
	FILE *f = t->out;

	fputs("\n],\"displayTimeUnit\":\"ns\",\"metadata\":{\"source\":\"tsend-trace timeline\"",
	      f);
	put_key_str(f, "time", "ts, dur: µs since start_ns (CLOCK_MONOTONIC), ns digits", 128);
	fprintf(f, ",\"start_ns\":%llu,\"realtime_offset_ns\":%lld,\"nr_cpus\":%u",
		(unsigned long long)m->start_ns, (long long)m->realtime_offset, m->nr_cpus);
	put_key_str(f, "kernel_release", m->kernel_release, sizeof(m->kernel_release));
	put_key_str(f, "hostname", m->hostname, sizeof(m->hostname));
	put_key_str(f, "cmdline", m->cmdline, sizeof(m->cmdline));
	put_probes(f, m);
	put_counts(f, &t->counts);
	fputs("}}\n", f);
}

struct timeline *timeline__new(FILE *out, const struct trace_meta *meta)
{
	struct timeline *t;

	if (!out || !meta) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t)
		t->sends = calloc(SEND_RING, sizeof(*t->sends));
	if (!t || !t->sends) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->out = out;
	t->meta = *meta;
	t->start_ns = meta->start_ns;
	t->next_id = 1;
	t->cpus_pid = t->next_id++;
	fputs("{\"traceEvents\":[", out);
	meta_name(t, "process_name", t->cpus_pid, 0, "CPUs");
	meta_sort(t, "process_sort_index", t->cpus_pid, 0, 0);
	write_check(t);
	if (t->err) {
		free(t->sends);
		free(t);
		errno = EIO;
		return NULL;
	}
	return t;
}

/* Frames still waiting count as missing arrows: their send() never came. */
int timeline__finish(struct timeline *t)
{
	if (t->finished)
		return t->err ? t->err : -EINVAL;
	t->finished = true;
	for (struct sock *s = t->oldest; s; s = s->newer)
		frames_forget(t, s, s->nr_frames);
	if (t->err)
		return t->err;
	put_tail(t);
	if (fflush(t->out))
		t->err = -EIO;
	write_check(t);
	return t->err;
}

const struct timeline_counts *timeline__counts(const struct timeline *t)
{
	return &t->counts;
}

void timeline__free(struct timeline *t)
{
	struct sock *s, *next;

	if (!t)
		return;
	for (s = t->oldest; s; s = next) {
		next = s->newer;
		sock_release(t, s);
		free(s);
	}
	free(t->sends);
	free(t);
}
