// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Lifecycles and send() calls as waterfalls or JSON lines, and picking
 * which to show: see story.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "json.h"
#include "stages.h"
#include "story.h"
#include "trace_file.h"
#include "u64map.h"

#define BAR_WIDTH 24

/* fmt_unit has one %s for the duration in µs */
static void put_us(FILE *out, const char *fmt_unit, __s64 ns)
{
	char buf[40];

	tsend_fmt_us(buf, sizeof(buf), ns);
	fprintf(out, fmt_unit, buf);
}

static void text_flags(FILE *out, __u8 f)
{
	static const char names[] = "FSRPAUEC";
	char buf[10];
	int n = 0;

	for (int i = 0; i < 8; i++)
		if (f & (1 << i) && i != 4)
			buf[n++] = names[i];
	if (f & 0x10)
		buf[n++] = '.';
	buf[n] = '\0';
	fprintf(out, " [%s]", buf);
}

static void text_flow(FILE *out, const struct tsend_flow *f)
{
	char flow[128];

	tsend_fmt_flow(flow, sizeof(flow), f);
	fprintf(out, "  %s", flow[0] ? flow : "(socket unknown)");
}

/* One waterfall row: a bar from this stage to the next on [t0, t0+span]. */
static void text_stage(FILE *out, const struct lc_stage *st, __u64 t0, __u64 prev, __u64 next,
		       __u64 span)
{
	int from = 0, to = 0;

	put_us(out, "  %11s", (__s64)(st->ts - t0));
	put_us(out, " %9s", (__s64)(st->ts - prev));
	fprintf(out, " %3u %-22s", st->cpu, tsend_stage_name(st->stage));
	if (span && st->ts >= t0) {
		from = (int)((st->ts - t0) * BAR_WIDTH / span);
		to = next > st->ts ? (int)((next - t0) * BAR_WIDTH / span) : from;
	}
	if (from > BAR_WIDTH - 1)
		from = BAR_WIDTH - 1;
	if (to > BAR_WIDTH)
		to = BAR_WIDTH;
	fputc('|', out);
	for (int i = 0; i < BAR_WIDTH; i++)
		fputc(i >= from && (i < to || i == from) ? '#' : ' ', out);
	fprintf(out, "| %s%s\n", tsend_mech_name(st->mech), st->phase ? " ret" : "");
}

static void text_stages(FILE *out, const struct lc_stage *st, __u32 nr, __u64 origin)
{
	__u64 t0 = origin && nr && origin <= st[0].ts ? origin : nr ? st[0].ts : 0, t1 = t0;

	for (__u32 i = 0; i < nr; i++)
		if (st[i].ts > t1)
			t1 = st[i].ts;
	fprintf(out, "  %11s %9s %3s %-22s %-*s\n", "at µs", "+µs", "cpu", "stage", BAR_WIDTH + 2,
		"");
	for (__u32 i = 0; i < nr; i++)
		text_stage(out, &st[i], t0, i ? st[i - 1].ts : st[0].ts,
			   i + 1 < nr ? st[i + 1].ts : 0, t1 - t0);
}

static void text_why(FILE *out, unsigned int why, unsigned int missing, const char *what)
{
	if (!why) {
		fputs("  complete\n", out);
		return;
	}
	fprintf(out, "  incomplete: %s %s: %s\n", what, tsend_stage_name(missing),
		lc_why_text(why));
}

static void text_skb(FILE *out, const struct lc_skb *l, __u64 origin)
{
	__u32 nr = l->nr_stages < LC_STAGES_MAX ? l->nr_stages : LC_STAGES_MAX;
	__u64 t0 = nr ? l->stages[0].ts : 0;

	if (origin && origin <= t0)
		t0 = origin;

	fprintf(out, "skb #%llu", (unsigned long long)l->id);
	text_flow(out, &l->flow);
	if (l->seq_valid) {
		fprintf(out, "  seq %u-%u (%u bytes)", l->seq, l->end_seq, l->payload);
		text_flags(out, l->tcp_flags);
	}
	fprintf(out, "\n  skb %llx", (unsigned long long)l->skb);
	if (l->clone)
		fprintf(out, ", clone %llx", (unsigned long long)l->clone);
	fprintf(out, ", len %u, if %d, task %u ", l->len, l->ifindex, l->tid);
	tsend_text_str(out, l->comm, sizeof(l->comm), true);
	if (l->gso_segs > 1)
		fprintf(out, ", gso %u×%u", l->gso_segs, l->gso_size);
	if (l->parent)
		fprintf(out, ", segment of skb #%llu", (unsigned long long)l->parent);
	if (l->segments)
		fprintf(out, ", became %u frames", l->segments);
	fputc('\n', out);
	if (l->send_id)
		fprintf(out, "  send() #%llu%s", (unsigned long long)l->send_id,
			l->nr_sends > 1 ? " and later ones" : "");
	else
		fputs("  no send()", out);
	if (l->retransmit)
		fprintf(out, ", retransmission (%u bytes resent)", l->resent);
	if (l->xmit_rc_valid && l->xmit_rc)
		fprintf(out, ", driver returned %d", l->xmit_rc);
	if (l->dropped)
		fprintf(out, ", dropped (reason %u)", l->drop_reason);
	if (l->acked_ts && nr)
		put_us(out, ", acked at %s µs", (__s64)(l->acked_ts - t0));
	else if (l->wants_ack)
		fputs(", ACK not seen", out);
	fputc('\n', out);
	text_stages(out, l->stages, nr, origin);
	if (l->stages_dropped)
		fprintf(out, "  (%u more stages not kept)\n", l->stages_dropped);
	text_why(out, l->why, l->missing, "missing");
}

static void text_send(FILE *out, const struct lc_send *s)
{
	__u32 nr = s->nr_stages < LC_SEND_STAGES_MAX ? s->nr_stages : LC_SEND_STAGES_MAX;

	fprintf(out, "send() #%llu", (unsigned long long)s->id);
	text_flow(out, &s->flow);
	fprintf(out, "  %s by ", tsend_stage_name(s->stage));
	tsend_text_str(out, s->comm, sizeof(s->comm), true);
	fprintf(out, " %u/%u\n  asked %llu, returned ", s->pid, s->tid,
		(unsigned long long)s->asked);
	if (s->exit_ts)
		fprintf(out, "%lld", (long long)s->ret);
	else
		fputs("?", out);
	if (s->seq_valid && s->exit_ts && s->ret > 0)
		fprintf(out, ", seq %u-%u", s->seq, s->seq + (__u32)s->ret);
	fprintf(out, ", %llu bytes on the wire in %u frames", (unsigned long long)s->wire_bytes,
		s->frames);
	if (s->frames)
		fprintf(out, " (skb #%llu-#%llu)", (unsigned long long)s->first_skb,
			(unsigned long long)s->last_skb);
	if (s->resent_bytes)
		fprintf(out, ", %llu resent", (unsigned long long)s->resent_bytes);
	if (!s->why && s->last_wire_ts)
		put_us(out, ", send()→wire %s µs", (__s64)(s->last_wire_ts - s->entry_ts));
	fputc('\n', out);
	for (__u32 i = 0; i < s->nr_wq && i < LC_WQ_MAX; i++)
		fprintf(out, "  write queue: skb %llx seq %u-%u\n",
			(unsigned long long)s->wq[i].skb, s->wq[i].seq, s->wq[i].end_seq);
	text_stages(out, s->stages, nr, 0);
	text_why(out, s->why, s->missing, s->missing == s->stage ? "no exit of" : "missing");
}

static void json_stages(struct jw *w, const struct lc_stage *st, __u32 nr)
{
	j_key(w, "stages");
	fputc('[', w->out);
	for (__u32 i = 0; i < nr; i++) {
		struct jw sw;

		if (i)
			fputc(',', w->out);
		j_open(&sw, w->out);
		j_enum(&sw, "stage", tsend_stage_name(st[i].stage), st[i].stage);
		j_u64(&sw, "ts_ns", st[i].ts);
		j_s64(&sw, "delta_ns", i ? (__s64)(st[i].ts - st[i - 1].ts) : 0);
		j_u64(&sw, "cpu", st[i].cpu);
		j_u64(&sw, "tid", st[i].tid);
		j_ptr(&sw, "skb", st[i].skb);
		j_enum(&sw, "mech", tsend_mech_name(st[i].mech), st[i].mech);
		j_u64(&sw, "phase", st[i].phase);
		fputc('}', w->out);
	}
	fputc(']', w->out);
}

static void json_flow(struct jw *w, const struct tsend_flow *f)
{
	char flow[128];

	tsend_fmt_flow(flow, sizeof(flow), f);
	j_str(w, "flow", flow, sizeof(flow));
}

static void json_why(struct jw *w, unsigned int why, unsigned int missing)
{
	j_key(w, "why");
	if (why)
		fprintf(w->out, "\"%s\"", lc_why_text(why));
	else
		fputs("null", w->out);
	j_key(w, "missing");
	if (missing)
		fprintf(w->out, "\"%s\"", tsend_stage_name(missing));
	else
		fputs("null", w->out);
}

static void json_skb(FILE *out, const struct lc_skb *l)
{
	struct jw w;

	j_open(&w, out);
	j_str(&w, "type", "skb", 4);
	j_u64(&w, "id", l->id);
	j_ptr(&w, "sk", l->sk);
	json_flow(&w, &l->flow);
	j_ptr(&w, "skb", l->skb);
	j_ptr(&w, "clone", l->clone);
	j_ptr(&w, "head", l->head);
	j_u64(&w, "pid", l->pid);
	j_u64(&w, "tid", l->tid);
	j_str(&w, "comm", l->comm, sizeof(l->comm));
	j_u64(&w, "seq_valid", l->seq_valid);
	j_u64(&w, "seq", l->seq);
	j_u64(&w, "end_seq", l->end_seq);
	j_u64(&w, "tcp_flags", l->tcp_flags);
	j_u64(&w, "len", l->len);
	j_u64(&w, "payload", l->payload);
	j_u64(&w, "gso_segs", l->gso_segs);
	j_u64(&w, "gso_size", l->gso_size);
	j_s64(&w, "ifindex", l->ifindex);
	j_u64(&w, "on_wire", l->on_wire);
	j_u64(&w, "retransmit", l->retransmit);
	j_u64(&w, "resent", l->resent);
	j_u64(&w, "parent", l->parent);
	j_u64(&w, "segments", l->segments);
	j_u64(&w, "send_id", l->send_id);
	j_u64(&w, "nr_sends", l->nr_sends);
	j_key(&w, "xmit_rc");
	if (l->xmit_rc_valid)
		fprintf(out, "%d", l->xmit_rc);
	else
		fputs("null", out);
	j_u64(&w, "freed", l->freed);
	j_u64(&w, "dropped", l->dropped);
	j_u64(&w, "drop_reason", l->drop_reason);
	j_u64(&w, "acked_ts_ns", l->acked_ts);
	json_why(&w, l->why, l->missing);
	json_stages(&w, l->stages, l->nr_stages < LC_STAGES_MAX ? l->nr_stages : LC_STAGES_MAX);
	j_u64(&w, "stages_dropped", l->stages_dropped);
	fputs("}\n", out);
}

static void json_send(FILE *out, const struct lc_send *s)
{
	struct jw w;

	j_open(&w, out);
	j_str(&w, "type", "send", 5);
	j_u64(&w, "id", s->id);
	j_ptr(&w, "sk", s->sk);
	json_flow(&w, &s->flow);
	j_u64(&w, "pid", s->pid);
	j_u64(&w, "tid", s->tid);
	j_str(&w, "comm", s->comm, sizeof(s->comm));
	j_enum(&w, "call", tsend_stage_name(s->stage), s->stage);
	j_u64(&w, "entry_ts_ns", s->entry_ts);
	j_u64(&w, "exit_ts_ns", s->exit_ts);
	j_u64(&w, "asked", s->asked);
	j_s64(&w, "ret", s->ret);
	j_u64(&w, "flags", s->flags);
	j_u64(&w, "seq_valid", s->seq_valid);
	j_u64(&w, "seq", s->seq);
	j_u64(&w, "wire_bytes", s->wire_bytes);
	j_u64(&w, "resent_bytes", s->resent_bytes);
	j_u64(&w, "frames", s->frames);
	j_u64(&w, "first_skb", s->first_skb);
	j_u64(&w, "last_skb", s->last_skb);
	j_u64(&w, "first_wire_ts_ns", s->first_wire_ts);
	j_u64(&w, "last_wire_ts_ns", s->last_wire_ts);
	j_key(&w, "send_to_wire_ns");
	if (!s->why && s->last_wire_ts)
		fprintf(out, "%lld", (long long)(s->last_wire_ts - s->entry_ts));
	else
		fputs("null", out);
	json_why(&w, s->why, s->missing);
	json_stages(&w, s->stages,
		    s->nr_stages < LC_SEND_STAGES_MAX ? s->nr_stages : LC_SEND_STAGES_MAX);
	fputs("}\n", out);
}

void story_skb(FILE *out, const struct lc_skb *l, bool json, __u64 origin)
{
	if (json)
		json_skb(out, l);
	else
		text_skb(out, l, origin);
}

void story_send(FILE *out, const struct lc_send *s, bool json)
{
	if (json)
		json_send(out, s);
	else
		text_send(out, s);
}

/* ---- picking stories (tsend-trace skb) ---- */

struct picker {
	const struct story_filter *f;
	struct story_result *res;
	/* pass 1 picks ids, pass 2 keeps copies of what was picked */
	struct u64map sends, skbs, frames; /* frames: skb id → the send()'s sk */
	struct lc_send **sendv;
	struct lc_skb **skbv;
	size_t nr_send, nr_skb;
	int err;
};

static bool flow_match(const struct story_filter *f, const struct tsend_flow *flow)
{
	char text[128];

	if (!f->flow)
		return true;
	tsend_fmt_flow(text, sizeof(text), flow);
	return strstr(text, f->flow) != NULL;
}

/* f->seq within [from, from + n): sequence numbers wrap */
static bool seq_in(const struct story_filter *f, __u32 from, __u32 n)
{
	return f->seq - from < n || (!n && f->seq == from);
}

static bool send_match(const struct story_filter *f, const struct lc_send *s)
{
	if (f->skb_id || f->addr || (f->send_id && s->id != f->send_id))
		return false;
	if (f->have_seq && !(s->seq_valid && s->ret > 0 && seq_in(f, s->seq, (__u32)s->ret)))
		return false;
	return flow_match(f, &s->flow) && (!f->incomplete || s->why);
}

static bool skb_match(const struct story_filter *f, const struct lc_skb *l)
{
	bool at = !f->addr;

	if (f->send_id || (f->skb_id && l->id != f->skb_id))
		return false;
	for (__u32 i = 0; !at && i < l->nr_stages && i < LC_STAGES_MAX; i++)
		at = l->stages[i].skb == f->addr;
	if (!at || (f->have_seq && !(l->seq_valid && seq_in(f, l->seq, l->end_seq - l->seq))))
		return false;
	return flow_match(f, &l->flow) && (!f->incomplete || l->why);
}

static bool pick(struct picker *p)
{
	if (p->f->max && p->res->picked >= p->f->max) {
		p->res->more++;
		return false;
	}
	p->res->picked++;
	return true;
}

/* Pass 1. A send() brings the frames in its id range on its socket. */
static void pick_send(const struct lc_send *s, void *ctx)
{
	struct picker *p = ctx;

	if (!send_match(p->f, s) || !pick(p) || u64map_put(&p->sends, s->id, (void *)1))
		return;
	for (__u64 id = s->first_skb; s->frames && id <= s->last_skb && id - s->first_skb < 4096;
	     id++)
		if (u64map_put(&p->frames, id, (void *)(uintptr_t)s->sk))
			break;
}

static void pick_skb(const struct lc_skb *l, void *ctx)
{
	struct picker *p = ctx;

	if (skb_match(p->f, l) && pick(p))
		u64map_put(&p->skbs, l->id, (void *)1);
}

/* Pass 2. */
static void keep(struct picker *p, void ***vec, size_t *nr, const void *item, size_t size)
{
	void **v = realloc(*vec, (*nr + 1) * sizeof(*v));
	void *copy = malloc(size);

	if (v)
		*vec = v;
	if (!v || !copy) {
		free(copy);
		p->err = -ENOMEM;
		return;
	}
	memcpy(copy, item, size);
	v[(*nr)++] = copy;
}

static void keep_send(const struct lc_send *s, void *ctx)
{
	struct picker *p = ctx;

	if (u64map_get(&p->sends, s->id))
		keep(p, (void ***)&p->sendv, &p->nr_send, s, sizeof(*s));
}

static void keep_skb(const struct lc_skb *l, void *ctx)
{
	struct picker *p = ctx;
	void *sk = u64map_get(&p->frames, l->id);

	if (u64map_get(&p->skbs, l->id) || (sk && (uintptr_t)sk == l->sk))
		keep(p, (void ***)&p->skbv, &p->nr_skb, l, sizeof(*l));
}

static int by_send_id(const void *a, const void *b)
{
	const struct lc_send *x = *(const struct lc_send *const *)a;
	const struct lc_send *y = *(const struct lc_send *const *)b;

	return (x->id > y->id) - (x->id < y->id);
}

static int by_skb_id(const void *a, const void *b)
{
	const struct lc_skb *x = *(const struct lc_skb *const *)a;
	const struct lc_skb *y = *(const struct lc_skb *const *)b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Each send() followed by its frames, then the skbs no picked send() owns. */
static void print_picked(struct picker *p, FILE *out, bool json)
{
	bool *shown = calloc(p->nr_skb + 1, sizeof(*shown));
	const char *sep = "", *gap = json ? "" : "\n";

	qsort(p->sendv, p->nr_send, sizeof(*p->sendv), by_send_id);
	qsort(p->skbv, p->nr_skb, sizeof(*p->skbv), by_skb_id);
	for (size_t i = 0; i < p->nr_send; i++) {
		const struct lc_send *s = p->sendv[i];

		fputs(sep, out);
		story_send(out, s, json);
		for (size_t j = 0; j < p->nr_skb && s->frames; j++) {
			const struct lc_skb *l = p->skbv[j];

			/* a frame carrying several send() calls is shown once */
			if (l->sk != s->sk || l->id < s->first_skb || l->id > s->last_skb ||
			    (shown && shown[j]))
				continue;
			fputs(gap, out);
			story_skb(out, l, json, s->entry_ts);
			if (shown)
				shown[j] = true;
		}
		sep = gap;
	}
	for (size_t j = 0; j < p->nr_skb; j++) {
		if (shown && shown[j])
			continue;
		fputs(sep, out);
		story_skb(out, p->skbv[j], json, 0);
		sep = gap;
	}
	free(shown);
}

/* One pass of the assembler over the file. */
static int pass(struct picker *p, const char *path, const struct lc_ops *ops, char *err,
		size_t errlen)
{
	struct trace_reader *r = trace_reader__open(path, err, errlen);
	struct lifecycle *lc;
	const void *rec;
	__u32 len;
	int e;

	if (!r)
		return errno ? -errno : -EIO;
	lc = lifecycle__new(trace_reader__meta(r), ops);
	if (!lc) {
		trace_reader__close(r);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while ((e = trace_reader__next(r, &rec, &len)) > 0) {
		int a = lifecycle__add(lc, rec, len);

		if (a && a != -EINVAL) {
			e = a;
			snprintf(err, errlen, "%s: %s", path, strerror(-a));
			break;
		}
	}
	if (e < 0 && e != -ENOMEM)
		snprintf(err, errlen, "%s", trace_reader__error(r));
	if (!e && trace_reader__warning(r))
		snprintf(p->res->warning, sizeof(p->res->warning), "%s", trace_reader__warning(r));
	lifecycle__finish(lc, trace_reader__stats(r));
	p->res->malformed = lifecycle__counts(lc)->malformed;
	lifecycle__free(lc);
	trace_reader__close(r);
	if (!e && p->err) {
		snprintf(err, errlen, "out of memory");
		e = p->err;
	}
	return e;
}

int story_select(const char *path, const struct story_filter *f, bool json, FILE *out,
		 struct story_result *res, char *err, size_t errlen)
{
	struct picker p = {.f = f, .res = res};
	struct lc_ops pick_ops = {.skb_done = pick_skb, .send_done = pick_send, .ctx = &p};
	struct lc_ops keep_ops = {.skb_done = keep_skb, .send_done = keep_send, .ctx = &p};
	int e;

	memset(res, 0, sizeof(*res));
	e = pass(&p, path, &pick_ops, err, errlen);
	/* what was picked before a corrupt block is still shown */
	if ((p.sends.nr || p.skbs.nr) && e != -ENOMEM) {
		int e2 = pass(&p, path, &keep_ops, err, errlen);

		e = e ? e : e2;
	}
	print_picked(&p, out, json);
	for (size_t i = 0; i < p.nr_send; i++)
		free(p.sendv[i]);
	for (size_t i = 0; i < p.nr_skb; i++)
		free(p.skbv[i]);
	free(p.sendv);
	free(p.skbv);
	u64map_free(&p.sends);
	u64map_free(&p.skbs);
	u64map_free(&p.frames);
	return e;
}
