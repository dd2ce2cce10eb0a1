// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dump.h"
#include "hist.h"
#include "stages.h"
#include "top_view.h"

_Static_assert(TSEND_TOP_SLOTS == LOG2_HIST_SLOTS, "BPF and userspace log2 slots");
_Static_assert(sizeof(struct tsend_top_key) == TSEND_TOP_KEY_SIZE, "tsend_top_key");
_Static_assert(sizeof(struct tsend_top_counts) == TSEND_TOP_COUNTS_SIZE, "tsend_top_counts");

#define WORDS	    (TSEND_TOP_COUNTS_SIZE / 8)
#define TRANS_WIDTH 46 /* "tcp_event_new_data_sent → tcp_retransmit_skb" */

/* A device or flow, and the deltas of its entries (in key order). */
struct top_row {
	struct tsend_top_key who; /* flow, ifindex and netns; the rest zero */
	struct tsend_top_counts sum;
	const struct top_entry *hist, *counts;
	size_t nr_hist, nr_counts;
};

/* One refresh: the deltas of both maps, grouped into rows. */
struct top_view {
	struct top_entries d[TOP_MAPS];
	struct top_row *rows;
	size_t nr_rows, cap_rows;
};

static int entries_add(struct top_entries *es, const struct top_entry *e)
{
	if (es->nr == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 64;
		struct top_entry *v = realloc(es->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		es->v = v;
		es->cap = cap;
	}
	es->v[es->nr++] = *e;
	return 0;
}

int top_reading__add(struct top_reading *rd, enum top_map m, const struct top_entry *e)
{
	return entries_add(&rd->map[m], e);
}

/* Who a key counts for: its flow or its device. */
static int who_cmp(const struct tsend_top_key *a, const struct tsend_top_key *b)
{
	int c = memcmp(&a->flow, &b->flow, sizeof(a->flow));

	if (c)
		return c;
	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	return (a->netns > b->netns) - (a->netns < b->netns);
}

/* Entries (which start with their key) by who, then by step and slot. */
static int key_cmp(const void *pa, const void *pb)
{
	const struct tsend_top_key *a = pa, *b = pb;
	int c = who_cmp(a, b);

	if (c)
		return c;
	if (a->from != b->from)
		return a->from - b->from;
	if (a->to != b->to)
		return a->to - b->to;
	if (a->slot != b->slot)
		return a->slot - b->slot;
	return (a->reason > b->reason) - (a->reason < b->reason);
}

void top_reading__sort(struct top_reading *rd)
{
	for (int m = 0; m < TOP_MAPS; m++) {
		struct top_entries *es = &rd->map[m];
		size_t n = 0;

		if (!es->nr)
			continue;
		qsort(es->v, es->nr, sizeof(*es->v), key_cmp);
		for (size_t i = 1; i < es->nr; i++)
			if (key_cmp(&es->v[i], &es->v[n]))
				es->v[++n] = es->v[i];
			else
				es->v[n] = es->v[i];
		es->nr = n + 1;
	}
}

void top_reading__clear(struct top_reading *rd)
{
	for (int m = 0; m < TOP_MAPS; m++)
		rd->map[m].nr = 0;
	rd->mono_ns = rd->real_ns = 0;
}

void top_reading__free(struct top_reading *rd)
{
	for (int m = 0; m < TOP_MAPS; m++)
		free(rd->map[m].v);
	memset(rd, 0, sizeof(*rd));
}

/* e less its value in prev; false if nothing changed. */
static bool delta(struct top_entry *d, const struct top_entry *e, const struct top_entries *prev)
{
	const struct top_entry *p =
		prev->nr ? bsearch(e, prev->v, prev->nr, sizeof(*e), key_cmp) : NULL;
	bool restarted = false, changed = false;

	*d = *e;
	/* a sum that went down: the key was evicted and came back, all new */
	for (int i = 0; p && i < WORDS; i++)
		restarted |= e->w[i] < p->w[i];
	for (int i = 0; p && !restarted && i < WORDS; i++)
		d->w[i] = e->w[i] - p->w[i];
	for (int i = 0; i < WORDS; i++)
		changed |= d->w[i] != 0;
	return changed;
}

static int add_row(struct top_view *v, const struct top_row *r)
{
	if (v->nr_rows == v->cap_rows) {
		size_t cap = v->cap_rows ? v->cap_rows * 2 : 16;
		struct top_row *rows = realloc(v->rows, cap * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		v->rows = rows;
		v->cap_rows = cap;
	}
	v->rows[v->nr_rows++] = *r;
	return 0;
}

/* Busiest first; then in key order, so a refresh is stable. */
static int row_cmp(const void *pa, const void *pb)
{
	const struct top_row *a = pa, *b = pb;

	if (a->sum.bytes != b->sum.bytes)
		return a->sum.bytes < b->sum.bytes ? 1 : -1;
	if (a->sum.frames != b->sum.frames)
		return a->sum.frames < b->sum.frames ? 1 : -1;
	return who_cmp(&a->who, &b->who);
}

/* The entries of es from *i on that count for who; NULL if none. */
static const struct top_entry *take(const struct top_entries *es, size_t *i,
				    const struct tsend_top_key *who, size_t *nr)
{
	size_t first = *i;

	while (*i < es->nr && !who_cmp(&es->v[*i].key, who))
		(*i)++;
	*nr = *i - first;
	return *nr ? &es->v[first] : NULL;
}

/* Groups the sorted deltas of both maps by who they count for. */
static int group_rows(struct top_view *v)
{
	const struct top_entries *h = &v->d[TOP_HIST], *c = &v->d[TOP_COUNTS];
	size_t i = 0, j = 0;

	while (i < h->nr || j < c->nr) {
		struct top_row r = {};

		if (j == c->nr || (i < h->nr && who_cmp(&h->v[i].key, &c->v[j].key) < 0))
			r.who = h->v[i].key;
		else
			r.who = c->v[j].key;
		r.who.from = r.who.to = r.who.slot = 0;
		r.who.reason = 0;
		r.hist = take(h, &i, &r.who, &r.nr_hist);
		r.counts = take(c, &j, &r.who, &r.nr_counts);
		for (size_t k = 0; k < r.nr_counts; k++) {
			r.sum.frames += r.counts[k].c.frames;
			r.sum.bytes += r.counts[k].c.bytes;
			r.sum.drops += r.counts[k].c.drops;
			r.sum.retransmits += r.counts[k].c.retransmits;
		}
		if (add_row(v, &r))
			return -ENOMEM;
	}
	if (v->nr_rows)
		qsort(v->rows, v->nr_rows, sizeof(*v->rows), row_cmp);
	return 0;
}

static int view_build(struct top_view *v, const struct top_reading *prev,
		      const struct top_reading *cur)
{
	for (int m = 0; m < TOP_MAPS; m++) {
		for (size_t i = 0; i < cur->map[m].nr; i++) {
			struct top_entry d;

			if (delta(&d, &cur->map[m].v[i], &prev->map[m]) &&
			    entries_add(&v->d[m], &d))
				return -ENOMEM;
		}
	}
	return group_rows(v);
}

static void view_free(struct top_view *v)
{
	for (int m = 0; m < TOP_MAPS; m++)
		free(v->d[m].v);
	free(v->rows);
}

/*
 * One step of a row: its hist deltas from *i on with the same from and to,
 * as a histogram. Returns false when the row has no more.
 */
static bool next_step(const struct top_row *r, size_t *i, struct tsend_top_key *step,
		      struct log2_hist *h)
{
	if (*i >= r->nr_hist)
		return false;
	*step = r->hist[*i].key;
	memset(h, 0, sizeof(*h));
	while (*i < r->nr_hist && r->hist[*i].key.from == step->from &&
	       r->hist[*i].key.to == step->to) {
		const struct top_entry *e = &r->hist[(*i)++];

		if (e->key.slot < LOG2_HIST_SLOTS) /* a kernel's key: not trusted */
			h->slot[e->key.slot] += e->n;
	}
	return true;
}

/* "lo"; "ifindex 7" once gone; another namespace's by number. */
static void fmt_dev(char *buf, size_t len, const struct tsend_top_key *k, __u32 netns)
{
	char name[IF_NAMESIZE];

	if (!k->ifindex)
		snprintf(buf, len, "(no device)");
	else if (k->netns == netns && if_indextoname(k->ifindex, name))
		snprintf(buf, len, "%s", name);
	else if (k->netns == netns)
		snprintf(buf, len, "ifindex %d", k->ifindex);
	else
		snprintf(buf, len, "ifindex %d in netns %u", k->ifindex, k->netns);
}

static void fmt_who(char *buf, size_t len, const struct top_row *r, const struct top_view_opts *o)
{
	if (!o->by_flow)
		fmt_dev(buf, len, &r->who, o->netns);
	else if (r->who.flow.family)
		tsend_fmt_flow(buf, len, &r->who.flow);
	else
		snprintf(buf, len, "(no flow)");
}

/* A bucket bound, in ns, as a time: "<512ns", "<2.0us", "<1.0ms". */
static void fmt_bound(char *buf, size_t len, __u64 ns)
{
	if (ns < 1000)
		snprintf(buf, len, "<%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "<%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "<%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "<%.1fs", ns / 1e9);
}

static void text_header(FILE *out, const struct top_reading *prev, const struct top_reading *cur,
			const struct top_view_opts *o)
{
	time_t t = cur->real_ns / 1000000000ULL;
	char when[32] = "?";
	struct tm tm;

	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(out, "tsend-trace top  %s  interval %.2f s  by %s\n", when,
		(cur->mono_ns - prev->mono_ns) / 1e9, o->by_flow ? "flow" : "dev");
}

/* "QDISC_DROP" as this kernel names reason 64, else "64" */
static void fmt_reason(char *buf, size_t len, __u32 reason, const struct top_view_opts *o)
{
	if (reason < o->nr_reasons && o->reasons[reason])
		snprintf(buf, len, "%s", o->reasons[reason]);
	else
		snprintf(buf, len, "%u", reason);
}

/* "lo: frames 9, bytes 9000, drops 2 (QDISC_DROP: 2), retransmits 1" */
static void text_counts(FILE *out, const struct top_row *r, const char *who,
			const struct top_view_opts *o)
{
	bool reasons = false;
	char why[64];

	fprintf(out, "%s: frames %llu, bytes %llu, drops %llu", who,
		(unsigned long long)r->sum.frames, (unsigned long long)r->sum.bytes,
		(unsigned long long)r->sum.drops);
	for (size_t i = 0; i < r->nr_counts; i++) {
		const struct top_entry *e = &r->counts[i];

		/* reason 0: a kernel without drop reasons */
		if (!e->c.drops || !e->key.reason)
			continue;
		fmt_reason(why, sizeof(why), e->key.reason, o);
		fprintf(out, "%s%s: %llu", reasons ? ", " : " (", why,
			(unsigned long long)e->c.drops);
		reasons = true;
	}
	fprintf(out, "%s, retransmits %llu\n", reasons ? ")" : "",
		(unsigned long long)r->sum.retransmits);
}

static void text_step(FILE *out, const struct tsend_top_key *step, const struct log2_hist *h,
		      bool bars)
{
	static const unsigned int pct[] = {50, 99, 100};
	char name[96], v[16];
	int len;

	len = snprintf(name, sizeof(name), "%s → %s", tsend_stage_name(step->from),
		       tsend_stage_name(step->to));
	/* "→" is three bytes and one column */
	fprintf(out, "  %s%*s %8llu", name, len - 2 < TRANS_WIDTH ? TRANS_WIDTH - (len - 2) : 0, "",
		(unsigned long long)log2_hist_count(h));
	for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
		fmt_bound(v, sizeof(v), log2_hist_percentile(h, pct[i]));
		fprintf(out, " %9s", v);
	}
	fputc('\n', out);
	if (bars)
		log2_hist_print(out, h, "    ");
}

static void text_row(FILE *out, const struct top_row *r, const struct top_view_opts *o)
{
	struct tsend_top_key step;
	struct log2_hist h;
	char who[128];
	size_t i = 0;

	fmt_who(who, sizeof(who), r, o);
	text_counts(out, r, who, o);
	if (!r->nr_hist)
		return;
	fprintf(out, "  from → to%*s %8s %9s %9s %9s\n", TRANS_WIDTH - 9, "", "count", "p50", "p99",
		"max");
	while (next_step(r, &i, &step, &h))
		text_step(out, &step, &h, o->hist);
}

static void json_who(FILE *out, const struct top_row *r, const struct top_view_opts *o)
{
	char buf[128];

	if (o->by_flow) {
		fmt_who(buf, sizeof(buf), r, o);
		fputs("\"flow\":", out);
		tsend_json_str(out, buf, sizeof(buf));
		return;
	}
	fputs("\"dev\":", out);
	if (r->who.ifindex && r->who.netns == o->netns && if_indextoname(r->who.ifindex, buf))
		tsend_json_str(out, buf, sizeof(buf));
	else
		fputs("null", out);
	fprintf(out, ",\"ifindex\":%d,\"netns\":%u", r->who.ifindex, r->who.netns);
}

static void json_bars(FILE *out, const struct log2_hist *h)
{
	const char *sep = "";

	fputs(",\"hist\":[", out);
	for (unsigned int s = 0; s < LOG2_HIST_SLOTS; s++) {
		if (!h->slot[s])
			continue;
		fprintf(out, "%s{\"ge_ns\":%llu,\"lt_ns\":%llu,\"count\":%llu}", sep,
			(unsigned long long)(s ? log2_hist_bound(s - 1) : 0),
			(unsigned long long)log2_hist_bound(s), (unsigned long long)h->slot[s]);
		sep = ",";
	}
	fputc(']', out);
}

static void json_steps(FILE *out, const struct top_row *r, bool bars)
{
	struct tsend_top_key step;
	struct log2_hist h;
	const char *sep = "";
	size_t i = 0;

	fputs(",\"transitions\":[", out);
	while (next_step(r, &i, &step, &h)) {
		fprintf(out,
			"%s{\"from\":\"%s\",\"to\":\"%s\",\"count\":%llu,\"p50_ns\":%llu,"
			"\"p99_ns\":%llu,\"max_ns\":%llu",
			sep, tsend_stage_name(step.from), tsend_stage_name(step.to),
			(unsigned long long)log2_hist_count(&h),
			(unsigned long long)log2_hist_percentile(&h, 50),
			(unsigned long long)log2_hist_percentile(&h, 99),
			(unsigned long long)log2_hist_percentile(&h, 100));
		if (bars)
			json_bars(out, &h);
		fputc('}', out);
		sep = ",";
	}
	fputc(']', out);
}

static void json_row(FILE *out, const struct top_row *r, const struct top_view_opts *o)
{
	const char *sep = "";
	char why[64];

	fputc('{', out);
	json_who(out, r, o);
	fprintf(out, ",\"frames\":%llu,\"bytes\":%llu,\"drops\":%llu,\"retransmits\":%llu",
		(unsigned long long)r->sum.frames, (unsigned long long)r->sum.bytes,
		(unsigned long long)r->sum.drops, (unsigned long long)r->sum.retransmits);
	fputs(",\"drop_reasons\":{", out);
	for (size_t i = 0; i < r->nr_counts; i++) {
		if (!r->counts[i].c.drops || !r->counts[i].key.reason)
			continue;
		fmt_reason(why, sizeof(why), r->counts[i].key.reason, o);
		fprintf(out, "%s", sep);
		tsend_json_str(out, why, sizeof(why));
		fprintf(out, ":%llu", (unsigned long long)r->counts[i].c.drops);
		sep = ",";
	}
	fputc('}', out);
	json_steps(out, r, o->hist);
	fputc('}', out);
}

static void json_view(FILE *out, const struct top_view *v, const struct top_reading *prev,
		      const struct top_reading *cur, const struct top_view_opts *o)
{
	fprintf(out, "{\"time\":%.3f,\"interval_s\":%.3f,\"by\":\"%s\",\"rows\":[",
		cur->real_ns / 1e9, (cur->mono_ns - prev->mono_ns) / 1e9,
		o->by_flow ? "flow" : "dev");
	for (size_t i = 0; i < v->nr_rows; i++) {
		if (i)
			fputc(',', out);
		json_row(out, &v->rows[i], o);
	}
	fputs("]}\n", out);
}

int top_view_print(FILE *out, const struct top_reading *prev, const struct top_reading *cur,
		   const struct top_view_opts *o)
{
	struct top_view v = {};
	int e = view_build(&v, prev, cur);

	if (e)
		goto out;
	if (o->json) {
		json_view(out, &v, prev, cur, o);
	} else {
		text_header(out, prev, cur, o);
		for (size_t i = 0; i < v.nr_rows; i++)
			text_row(out, &v.rows[i], o);
		if (!v.nr_rows)
			fputs("  nothing sent\n", out);
	}
	e = ferror(out) ? -EIO : 0;
out:
	view_free(&v);
	return e;
}
