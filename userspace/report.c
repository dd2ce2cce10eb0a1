// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tsend-trace report: counts and latencies of one recording.
 *
 * Records arrive one at a time. Counters per stage and per flow come from
 * the records themselves; everything about time comes from the lifecycles
 * they are joined into (lifecycle.c), summed up by latency.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "hash.h"
#include "latency.h"
#include "lifecycle.h"
#include "report.h"
#include "stages.h"

#define STAGE_SLOTS    256	      /* head.stage is a __u8: count them all */
#define MECH_OTHER     TSEND_MECH_MAX /* counts slot of unknown mechanisms */
#define FLOW_SLOTS_MIN 64
#define TCP_FLAG_FIN   0x01
#define TCP_FLAG_SYN   0x02
#define NSEC_PER_SEC   1000000000ULL

struct flow_stats {
	struct tsend_flow key; /* family, ports and addresses only */
	__u64 send_calls;      /* __sys_sendto/__sys_sendmsg entries */
	__u64 send_bytes;      /* bytes they asked for */
	__u64 send_returned;   /* bytes their exits returned */
	__u64 send_errors;     /* exits with -errno */
	__u64 frames;	       /* skbs at net_dev_start_xmit */
	__u64 payload_bytes;   /* TCP payload of those frames */
	__u64 new_bytes;       /* of which beyond any earlier frame: not resent */
	__u32 snd_max;	       /* highest payload sequence sent so far */
	bool snd_max_set;
	__u64 retransmits;
	__u64 drops;
	struct samples s2w; /* send()→wire of its send() calls */
	struct samples e2e; /* first stage → net_dev_xmit of its skbs */
};

/* Open addressing over indexes into flows[], which keeps first-seen order. */
struct flow_table {
	struct flow_stats *flows;
	size_t nr, cap;
	__u32 *slots; /* index + 1 into flows[]; 0 is empty */
	size_t nr_slots;
};

struct report {
	__u64 records;
	__u64 malformed;
	__u64 ts_min, ts_max;
	__u64 counts[STAGE_SLOTS][MECH_OTHER + 1];
	struct flow_table flows;
	struct lifecycle *lc;
	struct latency *lat;
	__u64 stacks, stacks_missed; /* STACK records, and stacks not taken */
	__u64 stack_support;	     /* records the recorder wrote for them */
	bool finished;		     /* the lifecycles still open were handed out */
	int lc_err;		     /* -ENOMEM from a lifecycle callback */
};

static __u64 flow_hash(const struct tsend_flow *k)
{
	return fnv1a(k, sizeof(*k));
}

/*
 * The key of a flow: family, ports and the address bytes the family uses.
 * Protocol and padding are left out, so bytes that mean nothing cannot split
 * one flow in two; all sockets of unknown family (0) are one flow.
 */
static void flow_key(struct tsend_flow *k, const struct tsend_flow *f)
{
	size_t n = f->family == AF_INET ? 4 : sizeof(k->saddr);

	memset(k, 0, sizeof(*k));
	k->family = f->family;
	if (!f->family)
		return;
	k->sport = f->sport;
	k->dport = f->dport;
	memcpy(k->saddr, f->saddr, n);
	memcpy(k->daddr, f->daddr, n);
}

static int flows_rehash(struct flow_table *t)
{
	size_t n = t->nr_slots ? t->nr_slots * 2 : FLOW_SLOTS_MIN;
	__u32 *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->nr; i++) {
		size_t j = flow_hash(&t->flows[i].key) & (n - 1);

		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nr_slots = n;
	return 0;
}

static struct flow_stats *flow_append(struct flow_table *t, const struct tsend_flow *k)
{
	struct flow_stats *fs;

	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		fs = realloc(t->flows, cap * sizeof(*fs));
		if (!fs)
			return NULL;
		t->flows = fs;
		t->cap = cap;
	}
	fs = &t->flows[t->nr++];
	memset(fs, 0, sizeof(*fs));
	fs->key = *k;
	return fs;
}

/* The counters of f's flow, created on first sight; NULL: no memory. */
static struct flow_stats *flow_get(struct flow_table *t, const struct tsend_flow *f)
{
	struct tsend_flow k;
	struct flow_stats *fs;
	size_t mask, j;

	/* at most half full: probes stay short */
	if ((t->nr + 1) * 2 > t->nr_slots && flows_rehash(t))
		return NULL;
	flow_key(&k, f);
	mask = t->nr_slots - 1;
	for (j = flow_hash(&k) & mask; t->slots[j]; j = (j + 1) & mask) {
		fs = &t->flows[t->slots[j] - 1];
		if (!memcmp(&fs->key, &k, sizeof(k)))
			return fs;
	}
	fs = flow_append(t, &k);
	if (fs)
		t->slots[j] = t->nr;
	return fs;
}

static void on_skb_done(const struct lc_skb *l, void *ctx)
{
	struct report *r = ctx;
	const struct lc_stage *x = lc_skb_stage(l, TSEND_STAGE_NET_DEV_XMIT);
	int err = latency__skb(r->lat, l);
	struct flow_stats *fs;

	if (!err && x && l->flow.family) {
		fs = flow_get(&r->flows, &l->flow);
		err = fs ? samples_add(&fs->e2e, (__s64)(x->ts - l->stages[0].ts)) : -ENOMEM;
	}
	if (err)
		r->lc_err = err;
}

static void on_send_done(const struct lc_send *s, void *ctx)
{
	struct report *r = ctx;
	struct flow_stats *fs;
	int err = latency__send(r->lat, s);

	if (!err && !s->why && s->last_wire_ts) {
		fs = flow_get(&r->flows, &s->flow);
		err = fs ? samples_add(&fs->s2w, (__s64)(s->last_wire_ts - s->entry_ts)) : -ENOMEM;
	}
	if (err)
		r->lc_err = err;
}

struct report *report__new(const struct trace_meta *meta)
{
	struct report *r = calloc(1, sizeof(*r));
	struct lc_ops ops = {.skb_done = on_skb_done, .send_done = on_send_done, .ctx = r};

	if (!r)
		goto nomem;
	r->lat = latency__new();
	r->lc = r->lat ? lifecycle__new(meta, &ops) : NULL;
	if (r->lc)
		return r;
	report__free(r);
nomem:
	errno = ENOMEM;
	return NULL;
}

void report__free(struct report *r)
{
	if (!r)
		return;
	lifecycle__free(r->lc);
	latency__free(r->lat);
	for (size_t i = 0; i < r->flows.nr; i++) {
		free(r->flows.flows[i].s2w.v);
		free(r->flows.flows[i].e2e.v);
	}
	free(r->flows.slots);
	free(r->flows.flows);
	free(r);
}

/* Payload of a frame: its sequence space less SYN and FIN (one each). */
static __u32 tcp_payload(const struct tsend_skb_event *e)
{
	__u32 n = e->end_seq - e->seq;

	if (!e->seq_valid)
		return 0;
	if ((e->tcp_flags & TCP_FLAG_SYN) && n)
		n--;
	if ((e->tcp_flags & TCP_FLAG_FIN) && n)
		n--;
	return n;
}

/*
 * Bytes of a frame past the highest sequence the flow sent before: what a
 * retransmission resends is counted once. Sequence numbers wrap, so
 * "after" is a signed difference, as the kernel's after() is.
 */
static void count_new_bytes(struct flow_stats *fs, const struct tsend_skb_event *e)
{
	__u32 start, end;

	if (!e->seq_valid)
		return;
	start = e->seq + !!(e->tcp_flags & TCP_FLAG_SYN);
	end = start + tcp_payload(e);
	if (!fs->snd_max_set) {
		fs->snd_max = start;
		fs->snd_max_set = true;
	}
	if ((__s32)(end - fs->snd_max) <= 0)
		return;
	if ((__s32)(start - fs->snd_max) > 0)
		fs->snd_max = start; /* a gap: frames we did not see */
	fs->new_bytes += end - fs->snd_max;
	fs->snd_max = end;
}

/*
 * Does the record add to its flow's counters? Only these records create a
 * flow, so a flow listed always has something to show.
 */
static bool flow_counted(const struct tsend_head *h)
{
	switch (h->stage) {
	case TSEND_STAGE_SYS_SENDTO:
	case TSEND_STAGE_SYS_SENDMSG:
		return h->kind == TSEND_KIND_SEND &&
		       (h->phase == TSEND_PHASE_ENTRY || h->phase == TSEND_PHASE_EXIT);
	case TSEND_STAGE_NET_DEV_START_XMIT:
		return h->kind == TSEND_KIND_SKB;
	case TSEND_STAGE_TCP_RETRANSMIT_SKB:
	case TSEND_STAGE_KFREE_SKB:
		return h->kind == TSEND_KIND_SKB || h->kind == TSEND_KIND_TCP;
	default:
		return false;
	}
}

static const struct tsend_flow *ev_flow(const union tsend_record *ev)
{
	switch (ev->h.kind) {
	case TSEND_KIND_SEND:
		return &ev->send.flow;
	case TSEND_KIND_TCP:
		return &ev->tcp.flow;
	default:
		return &ev->skb.flow;
	}
}

static void count_send(struct flow_stats *fs, const struct tsend_send_event *e)
{
	if (e->h.phase == TSEND_PHASE_ENTRY) {
		fs->send_calls++;
		fs->send_bytes += e->size;
	} else if (e->ret > 0) {
		fs->send_returned += e->ret;
	} else if (e->ret < 0) {
		fs->send_errors++;
	}
}

static int count_flow(struct report *r, const union tsend_record *ev)
{
	struct flow_stats *fs;

	if (!flow_counted(&ev->h))
		return 0;
	fs = flow_get(&r->flows, ev_flow(ev));
	if (!fs)
		return -ENOMEM;
	switch (ev->h.stage) {
	case TSEND_STAGE_NET_DEV_START_XMIT:
		fs->frames++;
		fs->payload_bytes += tcp_payload(&ev->skb);
		count_new_bytes(fs, &ev->skb);
		break;
	case TSEND_STAGE_TCP_RETRANSMIT_SKB:
		fs->retransmits++;
		break;
	case TSEND_STAGE_KFREE_SKB:
		fs->drops++;
		break;
	default:
		count_send(fs, &ev->send);
		break;
	}
	return 0;
}

int report__add(struct report *r, const void *rec, __u32 len)
{
	union tsend_record ev = {};
	const char *why;
	int err, err2 = 0;

	if (!r || (!rec && len))
		return -EINVAL;
	r->records++;
	if (tsend_record_check(rec, len, &why)) {
		r->malformed++;
		return -EINVAL;
	}
	tsend_record_copy(&ev, sizeof(ev), rec, len);
	if (r->records - r->malformed == 1 || ev.h.ts < r->ts_min)
		r->ts_min = ev.h.ts;
	if (ev.h.ts > r->ts_max)
		r->ts_max = ev.h.ts;
	/* stacks are counted apart: they are not events of their stage */
	if (ev.h.kind == TSEND_KIND_STACK) {
		r->stacks++;
		r->stacks_missed +=
			(ev.stack.kstack_id < 0 && ev.stack.kstack_id != TSEND_STACK_NONE) +
			(ev.stack.ustack_id < 0 && ev.stack.ustack_id != TSEND_STACK_NONE);
		return 0;
	}
	if (ev.h.kind >= TSEND_KIND_STACK_IPS && ev.h.kind <= TSEND_KIND_MAPS) {
		r->stack_support++;
		return 0;
	}
	r->counts[ev.h.stage][ev.h.mech < MECH_OTHER ? ev.h.mech : MECH_OTHER]++;
	err = count_flow(r, &ev);
	err2 = lifecycle__add(r->lc, rec, len);
	if (!err)
		err = err2 ? err2 : r->lc_err;
	r->lc_err = 0;
	return err;
}

/* Text output. */

static const char *stage_name(unsigned int stage)
{
	return stage < TSEND_STAGE_MAX ? tsend_stage_name(stage) : NULL;
}

static const char *mech_slot_name(unsigned int mech)
{
	return mech < MECH_OTHER ? tsend_mech_name(mech) : "other";
}

/* "1.234567" s or "12.345" µs from ns, signed. */
static void fmt_frac(char *buf, size_t size, __s64 ns, __u64 unit, int decimals, __u64 div)
{
	__u64 a = ns < 0 ? -(__u64)ns : (__u64)ns;

	snprintf(buf, size, "%s%llu.%0*llu", ns < 0 ? "-" : "", (unsigned long long)(a / unit),
		 decimals, (unsigned long long)(a % unit / div));
}

static void fmt_secs(char *buf, size_t size, __s64 ns)
{
	fmt_frac(buf, size, ns, NSEC_PER_SEC, 6, 1000);
}

static __u32 stats_cpus(const struct trace_stats *stats)
{
	return stats->nr_cpus < TRACE_MAX_CPUS ? stats->nr_cpus : TRACE_MAX_CPUS;
}

static __u64 sum_cpus(const struct trace_stats *stats, const __u64 *v)
{
	__u64 sum = 0;

	for (__u32 i = 0; i < stats_cpus(stats); i++)
		sum += v[i];
	return sum;
}

/* " (cpu 1: 2, cpu 3: 5)", wrapped before column 80 under column 19. */
static void text_per_cpu(FILE *out, const struct trace_stats *stats, const __u64 *v, int col)
{
	const char *sep = " (";
	bool any = false;
	char item[48];

	for (__u32 i = 0; i < stats_cpus(stats); i++) {
		int n;

		if (!v[i])
			continue;
		n = snprintf(item, sizeof(item), "cpu %u: %llu", i, (unsigned long long)v[i]);
		if (any && col + 2 + n + 1 >= 80) {
			fputs(",\n", out);
			col = fprintf(out, "%19s", "");
			sep = "";
		}
		col += fprintf(out, "%s%s", sep, item);
		sep = ", ";
		any = true;
	}
	if (any)
		fputc(')', out);
}

static void text_summary(const struct report *r, FILE *out, const struct trace_meta *meta,
			 const struct trace_stats *stats)
{
	char t[32];
	__u64 n = r->records - r->malformed;
	int col;

	fprintf(out, "Summary\n  records          %llu", (unsigned long long)r->records);
	if (r->malformed)
		fprintf(out, " (%llu malformed, skipped)", (unsigned long long)r->malformed);
	if (stats && stats->records != r->records)
		fprintf(out, " (the end block says %llu)", (unsigned long long)stats->records);
	fmt_secs(t, sizeof(t), n ? (__s64)(r->ts_max - r->ts_min) : 0);
	fprintf(out, "\n  duration         %s s from first to last record", t);
	if (stats && meta) {
		fmt_secs(t, sizeof(t), (__s64)(stats->end_ns - meta->start_ns));
		fprintf(out, "\n                   %s s of recording", t);
	}
	if (!stats) {
		fputs("\n  lost events      unknown: the recording has no end block\n"
		      "  untracked skbs   unknown\n",
		      out);
		return;
	}
	col = fprintf(out, "\n  lost events      %llu",
		      (unsigned long long)sum_cpus(stats, stats->lost)) -
	      1;
	text_per_cpu(out, stats, stats->lost, col);
	fprintf(out, "\n  untracked skbs   %llu\n",
		(unsigned long long)sum_cpus(stats, stats->untracked));
}

static void text_probes(FILE *out, const struct trace_meta *meta)
{
	__u32 n = meta ? meta->nr_probes : 0, inlined = 0;

	fputs("\nProbes (how each stage was observed)\n", out);
	if (!n) {
		fputs("  none: the recording has no probe table\n", out);
		return;
	}
	if (n > TRACE_MAX_PROBES)
		n = TRACE_MAX_PROBES;
	fprintf(out, "  %-24s %-10s %s\n", "stage", "mechanism", "target");
	for (__u32 i = 0; i < n; i++) {
		const struct trace_probe *p = &meta->probes[i];
		const char *name = stage_name(p->stage);

		/* seed helpers that are inline everywhere have no stage */
		if (p->stage == TSEND_STAGE_NONE) {
			inlined++;
			continue;
		}
		if (name)
			fprintf(out, "  %-24s", name);
		else
			fprintf(out, "  %-24u", p->stage);
		if (p->mech < TSEND_MECH_MAX)
			fprintf(out, " %-10s ", tsend_mech_name(p->mech));
		else
			fprintf(out, " %-10u ", p->mech);
		if (p->target[0])
			tsend_text_str(out, p->target, sizeof(p->target), false);
		else
			fputc('-', out);
		/* why a stage was not watched; why not better: `probes -v` */
		if (p->detail[0] && p->mech == TSEND_MECH_NONE) {
			fputs("\n      ", out);
			tsend_text_str(out, p->detail, sizeof(p->detail), false);
		}
		fputc('\n', out);
	}
	if (inlined)
		fprintf(out,
			"  (%u inline helpers of the seed have no symbol: see tsend-trace probes)\n",
			inlined);
}

static void text_stages(const struct report *r, FILE *out)
{
	fprintf(out, "\nEvents per stage\n  %-24s %-10s %12s\n", "stage", "mechanism", "count");
	for (unsigned int s = 0; s < STAGE_SLOTS; s++) {
		for (unsigned int m = 0; m <= MECH_OTHER; m++) {
			const char *name = stage_name(s);

			if (!r->counts[s][m])
				continue;
			if (name)
				fprintf(out, "  %-24s", name);
			else
				fprintf(out, "  %-24u", s);
			fprintf(out, " %-10s %12llu\n", mech_slot_name(m),
				(unsigned long long)r->counts[s][m]);
		}
	}
	if (r->stacks)
		fprintf(out,
			"  stacks: %llu samples, %llu stacks not taken, %llu records to symbolize them (tsend-trace flame)\n",
			(unsigned long long)r->stacks, (unsigned long long)r->stacks_missed,
			(unsigned long long)r->stack_support);
}

static void text_flows(struct report *r, FILE *out)
{
	char flow[128];

	fputs("\nFlows (source>destination as recorded)\n", out);
	if (!r->flows.nr)
		fputs("  none\n", out);
	for (size_t i = 0; i < r->flows.nr; i++) {
		struct flow_stats *fs = &r->flows.flows[i];

		tsend_fmt_flow(flow, sizeof(flow), &fs->key);
		fprintf(out, "  %s\n", flow[0] ? flow : "(socket unknown)");
		fprintf(out, "    send() calls %llu, bytes asked %llu, returned %llu",
			(unsigned long long)fs->send_calls, (unsigned long long)fs->send_bytes,
			(unsigned long long)fs->send_returned);
		if (fs->send_errors)
			fprintf(out, ", failed %llu", (unsigned long long)fs->send_errors);
		fprintf(out, "\n    frames %llu, tcp payload %llu bytes",
			(unsigned long long)fs->frames, (unsigned long long)fs->payload_bytes);
		if (fs->new_bytes != fs->payload_bytes)
			fprintf(out, " (%llu new)", (unsigned long long)fs->new_bytes);
		fprintf(out, ", retransmits %llu, drops %llu\n",
			(unsigned long long)fs->retransmits, (unsigned long long)fs->drops);
		if (fs->s2w.n)
			samples_row(out, "    send()→wire (µs)", &fs->s2w);
		if (fs->e2e.n)
			samples_row(out, "    skb → net_dev_xmit (µs)", &fs->e2e);
	}
}

static void text_report(struct report *r, FILE *out, const struct trace_meta *meta,
			const struct trace_stats *stats)
{
	if (meta) {
		fputs("tsend report: ", out);
		tsend_text_str(out, meta->kernel_release, sizeof(meta->kernel_release), false);
		fputs(" on ", out);
		tsend_text_str(out, meta->hostname, sizeof(meta->hostname), false);
		fputs("\n\n", out);
	}
	text_summary(r, out, meta, stats);
	text_probes(out, meta);
	text_stages(r, out);
	text_flows(r, out);
	latency__text(r->lat, out, true);
}

/* JSON output: one document; enums are names, or numbers when unknown. */

static void json_stage(FILE *out, unsigned int stage)
{
	const char *name = stage_name(stage);

	if (name)
		fprintf(out, "\"%s\"", name);
	else
		fprintf(out, "%u", stage);
}

static void json_per_cpu(FILE *out, const struct trace_stats *stats, const __u64 *v)
{
	const char *sep = "";

	fputc('{', out);
	for (__u32 i = 0; i < stats_cpus(stats); i++) {
		if (!v[i])
			continue;
		fprintf(out, "%s\"%u\":%llu", sep, i, (unsigned long long)v[i]);
		sep = ",";
	}
	fputc('}', out);
}

static void json_summary(const struct report *r, FILE *out, const struct trace_stats *stats)
{
	__u64 n = r->records - r->malformed;

	fprintf(out,
		"\"summary\":{\"records\":%llu,\"malformed\":%llu"
		",\"first_ts_ns\":%llu,\"last_ts_ns\":%llu"
		",\"duration_ns\":%llu,\"end_block\":%s",
		(unsigned long long)r->records, (unsigned long long)r->malformed,
		(unsigned long long)(n ? r->ts_min : 0), (unsigned long long)(n ? r->ts_max : 0),
		(unsigned long long)(n ? r->ts_max - r->ts_min : 0), stats ? "true" : "false");
	if (!stats) {
		fputs(",\"end_records\":null,\"lost\":null,\"lost_per_cpu\":null"
		      ",\"untracked\":null}",
		      out);
		return;
	}
	fprintf(out, ",\"end_records\":%llu,\"lost\":%llu,\"lost_per_cpu\":",
		(unsigned long long)stats->records,
		(unsigned long long)sum_cpus(stats, stats->lost));
	json_per_cpu(out, stats, stats->lost);
	fprintf(out, ",\"untracked\":%llu}", (unsigned long long)sum_cpus(stats, stats->untracked));
}

static void json_probes(FILE *out, const struct trace_meta *meta)
{
	__u32 n = meta ? meta->nr_probes : 0;

	if (n > TRACE_MAX_PROBES)
		n = TRACE_MAX_PROBES;
	fputs(",\"probes\":[", out);
	for (__u32 i = 0; i < n; i++) {
		const struct trace_probe *p = &meta->probes[i];

		fprintf(out, "%s{\"stage\":", i ? "," : "");
		json_stage(out, p->stage);
		fprintf(out, ",\"stage_id\":%u,\"func\":", p->stage);
		tsend_json_str(out, p->func, sizeof(p->func));
		fputs(",\"mech\":", out);
		if (p->mech < TSEND_MECH_MAX)
			fprintf(out, "\"%s\"", tsend_mech_name(p->mech));
		else
			fprintf(out, "%u", p->mech);
		fprintf(out, ",\"mech_id\":%u,\"target\":", p->mech);
		tsend_json_str(out, p->target, sizeof(p->target));
		fputs(",\"detail\":", out);
		tsend_json_str(out, p->detail, sizeof(p->detail));
		fputc('}', out);
	}
	fputc(']', out);
}

static void json_stages(const struct report *r, FILE *out)
{
	const char *sep = "";

	fputs(",\"stages\":[", out);
	for (unsigned int s = 0; s < STAGE_SLOTS; s++) {
		for (unsigned int m = 0; m <= MECH_OTHER; m++) {
			if (!r->counts[s][m])
				continue;
			fprintf(out, "%s{\"stage\":", sep);
			json_stage(out, s);
			fprintf(out, ",\"stage_id\":%u,\"mech\":\"%s\",\"count\":%llu}", s,
				mech_slot_name(m), (unsigned long long)r->counts[s][m]);
			sep = ",";
		}
	}
	fprintf(out, "],\"stacks\":{\"samples\":%llu,\"missed\":%llu,\"support_records\":%llu}",
		(unsigned long long)r->stacks, (unsigned long long)r->stacks_missed,
		(unsigned long long)r->stack_support);
}

static void json_addr(FILE *out, const char *key, const struct tsend_flow *f, const __u8 *addr)
{
	char buf[INET6_ADDRSTRLEN];

	fprintf(out, ",\"%s\":", key);
	if (f->family != AF_INET && f->family != AF_INET6) {
		fputs("null", out);
		return;
	}
	tsend_fmt_addr(buf, sizeof(buf), f->family, addr);
	fprintf(out, "\"%s\"", buf);
}

static void json_flow(FILE *out, struct flow_stats *fs)
{
	const struct tsend_flow *k = &fs->key;

	fprintf(out, "{\"family\":%u", k->family);
	json_addr(out, "saddr", k, k->saddr);
	fprintf(out, ",\"sport\":%u", k->sport);
	json_addr(out, "daddr", k, k->daddr);
	fprintf(out,
		",\"dport\":%u,\"send_calls\":%llu,\"send_bytes\":%llu"
		",\"send_returned\":%llu,\"send_errors\":%llu,\"frames\":%llu"
		",\"payload_bytes\":%llu,\"new_bytes\":%llu"
		",\"retransmits\":%llu,\"drops\":%llu",
		k->dport, (unsigned long long)fs->send_calls, (unsigned long long)fs->send_bytes,
		(unsigned long long)fs->send_returned, (unsigned long long)fs->send_errors,
		(unsigned long long)fs->frames, (unsigned long long)fs->payload_bytes,
		(unsigned long long)fs->new_bytes, (unsigned long long)fs->retransmits,
		(unsigned long long)fs->drops);
	samples_json_field(out, "send_to_wire", &fs->s2w);
	samples_json_field(out, "end_to_end", &fs->e2e);
	fputc('}', out);
}

static void json_flows(struct report *r, FILE *out)
{
	fputs(",\"flows\":[", out);
	for (size_t i = 0; i < r->flows.nr; i++) {
		if (i)
			fputc(',', out);
		json_flow(out, &r->flows.flows[i]);
	}
	fputc(']', out);
}

static void json_report(struct report *r, FILE *out, const struct trace_meta *meta,
			const struct trace_stats *stats)
{
	fputc('{', out);
	json_summary(r, out, stats);
	json_probes(out, meta);
	json_stages(r, out);
	json_flows(r, out);
	latency__json(r->lat, out);
	fputs("}\n", out);
}

int report__print(struct report *r, FILE *out, const struct trace_meta *meta,
		  const struct trace_stats *stats, bool json)
{
	if (!r || !out)
		return -EINVAL;
	if (!r->finished) {
		lifecycle__finish(r->lc, stats);
		r->finished = true;
	}
	if (json)
		json_report(r, out, meta, stats);
	else
		text_report(r, out, meta, stats);
	return ferror(out) ? -EIO : 0;
}
