// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Latency and completeness from lifecycles: see latency.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "hist.h"
#include "latency.h"
#include "stages.h"

#define DEV_MAX	       256  /* devices listed; later ones share the last row */
#define CPU_MAX	       4096 /* CPUs listed; higher numbers share the last row */
#define REASON_MAX     64   /* drop reasons listed; others share the last row */
#define ROW_LABEL_COLS 30   /* "    → net_dev_start_xmit" and the like */

struct dev_stats {
	__s32 ifindex;
	__u64 frames, bytes, drops;
	struct samples queue, e2e;
};

struct cpu_stats {
	__u64 frames;
	struct samples e2e;
};

struct latency {
	struct samples trans[TSEND_STAGE_MAX][TSEND_STAGE_MAX];
	struct samples e2e[TSEND_STAGE_MAX]; /* by first stage */
	struct samples s2w;
	struct dev_stats devs[DEV_MAX];
	__u32 nr_devs;
	struct cpu_stats *cpus; /* CPU_MAX, allocated on first use */
	__u64 skbs, sends;
	__u64 skb_missing[LC_WHY_MAX][TSEND_STAGE_MAX];
	__u64 send_missing[LC_WHY_MAX][TSEND_STAGE_MAX];
	__u64 retransmits, resent_bytes;
	__u32 reasons[REASON_MAX];
	__u64 reason_counts[REASON_MAX];
	__u32 nr_reasons;
};

/* ---- samples ---- */

int samples_add(struct samples *s, __s64 v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		__s64 *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	s->sorted = false;
	return 0;
}

static int cmp_s64(const void *a, const void *b)
{
	__s64 x = *(const __s64 *)a, y = *(const __s64 *)b;

	return (x > y) - (x < y);
}

__s64 samples_pct(struct samples *s, unsigned int p)
{
	size_t rank = (s->n * p + 99) / 100;

	if (!s->sorted) {
		qsort(s->v, s->n, sizeof(*s->v), cmp_s64);
		s->sorted = true;
	}
	return s->v[rank ? rank - 1 : 0];
}

void samples_row(FILE *out, const char *label, struct samples *s)
{
	int cols = 0;

	/* UTF-8 continuation bytes ("→", "µ") take no column */
	for (const char *p = label; *p; p++)
		cols += ((unsigned char)*p & 0xc0) != 0x80;
	fprintf(out, "%s%*s", label, cols < ROW_LABEL_COLS ? ROW_LABEL_COLS - cols : 0, "");
	samples_text(out, s);
}

void samples_text(FILE *out, struct samples *s)
{
	static const unsigned int pct[] = {50, 90, 99, 100};
	char v[32];

	fprintf(out, " %8zu", s->n);
	for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
		tsend_fmt_us(v, sizeof(v), samples_pct(s, pct[i]));
		fprintf(out, " %9s", v);
	}
	fputc('\n', out);
}

/* Negative samples (two CPUs' records out of order) count as 0. */
static void hist_of(const struct samples *s, struct log2_hist *h)
{
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < s->n; i++)
		log2_hist_add(h, s->v[i] > 0 ? (__u64)s->v[i] : 0);
}

void samples_json(FILE *out, struct samples *s)
{
	struct log2_hist h;
	const char *sep = "";

	fprintf(out,
		"\"count\":%zu,\"p50_ns\":%lld,\"p90_ns\":%lld,\"p99_ns\":%lld,\"max_ns\":%lld",
		s->n, (long long)samples_pct(s, 50), (long long)samples_pct(s, 90),
		(long long)samples_pct(s, 99), (long long)samples_pct(s, 100));
	hist_of(s, &h);
	/* [low, high) in ns per non-empty log2 bucket, as hist.h numbers them */
	fputs(",\"hist\":[", out);
	for (unsigned int k = 0; k < LOG2_HIST_SLOTS; k++) {
		if (!h.slot[k])
			continue;
		fprintf(out, "%s[%llu,%llu,%llu]", sep,
			(unsigned long long)(k ? log2_hist_bound(k - 1) : 0),
			(unsigned long long)log2_hist_bound(k), (unsigned long long)h.slot[k]);
		sep = ",";
	}
	fputc(']', out);
}

static void hist_text(FILE *out, const struct samples *s)
{
	struct log2_hist h;

	hist_of(s, &h);
	log2_hist_print(out, &h, ""); /* bpftrace's layout: 80 columns */
}

/* ---- collecting ---- */

struct latency *latency__new(void)
{
	struct latency *lat = calloc(1, sizeof(*lat));

	if (!lat)
		errno = ENOMEM;
	return lat;
}

static void samples_free(struct samples *s)
{
	free(s->v);
	s->v = NULL;
}

void latency__free(struct latency *lat)
{
	if (!lat)
		return;
	for (int i = 0; i < TSEND_STAGE_MAX; i++) {
		for (int j = 0; j < TSEND_STAGE_MAX; j++)
			samples_free(&lat->trans[i][j]);
		samples_free(&lat->e2e[i]);
	}
	samples_free(&lat->s2w);
	for (__u32 i = 0; i < lat->nr_devs; i++) {
		samples_free(&lat->devs[i].queue);
		samples_free(&lat->devs[i].e2e);
	}
	for (int i = 0; lat->cpus && i < CPU_MAX; i++)
		samples_free(&lat->cpus[i].e2e);
	free(lat->cpus);
	free(lat);
}

static struct dev_stats *dev_get(struct latency *lat, __s32 ifindex)
{
	for (__u32 i = 0; i < lat->nr_devs; i++)
		if (lat->devs[i].ifindex == ifindex)
			return &lat->devs[i];
	if (lat->nr_devs == DEV_MAX)
		return &lat->devs[DEV_MAX - 1];
	lat->devs[lat->nr_devs].ifindex = ifindex;
	return &lat->devs[lat->nr_devs++];
}

static void count_drop(struct latency *lat, __u32 reason)
{
	__u32 i;

	for (i = 0; i < lat->nr_reasons; i++)
		if (lat->reasons[i] == reason)
			break;
	if (i == lat->nr_reasons) {
		if (lat->nr_reasons == REASON_MAX)
			i = REASON_MAX - 1;
		else
			lat->reasons[lat->nr_reasons++] = reason;
	}
	lat->reason_counts[i]++;
}

/* x: its net_dev_xmit, NULL if unseen */
static int skb_device(struct latency *lat, const struct lc_skb *l, const struct lc_stage *x)
{
	const struct lc_stage *q = lc_skb_stage(l, TSEND_STAGE_NET_DEV_QUEUE);
	const struct lc_stage *w = lc_skb_stage(l, TSEND_STAGE_NET_DEV_START_XMIT);
	struct dev_stats *d = dev_get(lat, l->ifindex);
	int err = 0;

	if (l->dropped) {
		d->drops++;
		count_drop(lat, l->drop_reason);
	}
	if (!w)
		return 0;
	d->frames++;
	d->bytes += l->len;
	if (q)
		err = samples_add(&d->queue, (__s64)(w->ts - q->ts));
	if (!err && x)
		err = samples_add(&d->e2e, (__s64)(x->ts - l->stages[0].ts));
	if (err || !x)
		return err;
	if (!lat->cpus && !(lat->cpus = calloc(CPU_MAX, sizeof(*lat->cpus))))
		return -ENOMEM;
	lat->cpus[w->cpu < CPU_MAX ? w->cpu : CPU_MAX - 1].frames++;
	return samples_add(&lat->cpus[w->cpu < CPU_MAX ? w->cpu : CPU_MAX - 1].e2e,
			   (__s64)(x->ts - l->stages[0].ts));
}

int latency__skb(struct latency *lat, const struct lc_skb *l)
{
	__u32 nr = l->nr_stages < LC_STAGES_MAX ? l->nr_stages : LC_STAGES_MAX;
	const struct lc_stage *x;
	int err = 0;

	lat->skbs++;
	if (l->why < LC_WHY_MAX && l->missing < TSEND_STAGE_MAX)
		lat->skb_missing[l->why][l->missing]++;
	if (l->retransmit) {
		lat->retransmits++;
		lat->resent_bytes += l->resent;
	}
	for (__u32 i = 1; i < nr && !err; i++) {
		const struct lc_stage *a = &l->stages[i - 1], *b = &l->stages[i];

		if (a->stage < TSEND_STAGE_MAX && b->stage < TSEND_STAGE_MAX)
			err = samples_add(&lat->trans[a->stage][b->stage], (__s64)(b->ts - a->ts));
	}
	x = lc_skb_stage(l, TSEND_STAGE_NET_DEV_XMIT);
	if (!err && x && l->stages[0].stage < TSEND_STAGE_MAX)
		err = samples_add(&lat->e2e[l->stages[0].stage], (__s64)(x->ts - l->stages[0].ts));
	return err ? err : skb_device(lat, l, x);
}

int latency__send(struct latency *lat, const struct lc_send *s)
{
	lat->sends++;
	if (s->why < LC_WHY_MAX && s->missing < TSEND_STAGE_MAX)
		lat->send_missing[s->why][s->missing]++;
	if (s->why || !s->last_wire_ts)
		return 0;
	return samples_add(&lat->s2w, (__s64)(s->last_wire_ts - s->entry_ts));
}

/* ---- text ---- */

/* The earliest first stage of an skb that got to net_dev_xmit, or 0. */
static unsigned int e2e_start(const struct latency *lat)
{
	for (unsigned int s = 1; s < TSEND_STAGE_MAX; s++)
		if (lat->e2e[s].n)
			return s;
	return 0;
}

static __u64 e2e_excluded(const struct latency *lat, unsigned int start)
{
	__u64 n = 0;

	for (unsigned int s = start + 1; s < TSEND_STAGE_MAX; s++)
		n += lat->e2e[s].n;
	return n;
}

static void text_row(FILE *out, const char *to, struct samples *s, bool hist)
{
	char label[64];

	snprintf(label, sizeof(label), "    → %s", to);
	samples_row(out, label, s);
	if (hist)
		hist_text(out, s);
}

static void text_transitions(struct latency *lat, FILE *out, bool hist)
{
	unsigned int start = e2e_start(lat);
	__u64 excluded = e2e_excluded(lat, start);

	/* %-30s: "→" takes three bytes but one column */
	fprintf(out,
		"\nLatency (µs) between consecutive stages of each skb\n"
		"  %-30s %8s %9s %9s %9s %9s\n",
		"from → to", "count", "p50", "p90", "p99", "max");
	for (unsigned int a = 0; a < TSEND_STAGE_MAX; a++) {
		bool named = false;

		for (unsigned int b = 0; b < TSEND_STAGE_MAX; b++) {
			if (!lat->trans[a][b].n)
				continue;
			if (!named)
				fprintf(out, "  %s\n", tsend_stage_name(a));
			named = true;
			text_row(out, tsend_stage_name(b), &lat->trans[a][b], hist);
		}
	}
	if (start) {
		fprintf(out, "  end to end, from %s\n", tsend_stage_name(start));
		text_row(out, tsend_stage_name(TSEND_STAGE_NET_DEV_XMIT), &lat->e2e[start], hist);
	} else {
		fputs("  end to end: no skb followed to net_dev_xmit\n", out);
	}
	if (excluded)
		fprintf(out, "  %llu reached net_dev_xmit unseen at %s: not end to end\n",
			(unsigned long long)excluded, tsend_stage_name(start));
	fputs("  send() → wire (entry to net_dev_start_xmit of its last byte)\n", out);
	if (lat->s2w.n)
		text_row(out, "net_dev_start_xmit", &lat->s2w, hist);
	else
		fputs("    none: no send() followed to the wire\n", out);
}

static void text_devices(struct latency *lat, FILE *out)
{
	fprintf(out, "\nDevices (µs: device queue = net_dev_queue → net_dev_start_xmit)\n");
	if (!lat->nr_devs)
		fputs("  none\n", out);
	for (__u32 i = 0; i < lat->nr_devs; i++) {
		struct dev_stats *d = &lat->devs[i];

		fprintf(out, "  ifindex %d%s: frames %llu, bytes %llu, drops %llu\n", d->ifindex,
			i == DEV_MAX - 1 ? " and later ones" : "", (unsigned long long)d->frames,
			(unsigned long long)d->bytes, (unsigned long long)d->drops);
		if (d->queue.n)
			samples_row(out, "    device queue", &d->queue);
		if (d->e2e.n)
			samples_row(out, "    first stage → net_dev_xmit", &d->e2e);
	}
}

static void text_cpus(struct latency *lat, FILE *out)
{
	fputs("\nCPUs (that handed frames to the driver; µs: first stage → net_dev_xmit)\n", out);
	for (int i = 0; lat->cpus && i < CPU_MAX; i++) {
		if (!lat->cpus[i].frames)
			continue;
		char label[64];

		snprintf(label, sizeof(label), "  cpu %d%s frames %llu", i,
			 i == CPU_MAX - 1 ? "+" : "", (unsigned long long)lat->cpus[i].frames);
		samples_row(out, label, &lat->cpus[i].e2e);
	}
	if (!lat->cpus)
		fputs("  none\n", out);
}

static void text_missing(FILE *out, const __u64 (*m)[TSEND_STAGE_MAX], const char *what)
{
	for (unsigned int w = 1; w < LC_WHY_MAX; w++)
		for (unsigned int s = 0; s < TSEND_STAGE_MAX; s++)
			if (m[w][s])
				fprintf(out, "    %llu %s %s: %s\n", (unsigned long long)m[w][s],
					what, tsend_stage_name(s), lc_why_text(w));
}

static __u64 incomplete(const __u64 (*m)[TSEND_STAGE_MAX])
{
	__u64 n = 0;

	for (unsigned int w = 1; w < LC_WHY_MAX; w++)
		for (unsigned int s = 0; s < TSEND_STAGE_MAX; s++)
			n += m[w][s];
	return n;
}

static void text_lifecycles(struct latency *lat, FILE *out)
{
	__u64 skb_bad = incomplete(lat->skb_missing), send_bad = incomplete(lat->send_missing);

	fprintf(out, "\nLifecycles\n  skbs %llu: complete %llu, incomplete %llu\n",
		(unsigned long long)lat->skbs, (unsigned long long)(lat->skbs - skb_bad),
		(unsigned long long)skb_bad);
	text_missing(out, lat->skb_missing, "missing");
	fprintf(out, "  send() calls %llu: complete %llu, incomplete %llu\n",
		(unsigned long long)lat->sends, (unsigned long long)(lat->sends - send_bad),
		(unsigned long long)send_bad);
	text_missing(out, lat->send_missing, "missing");
	fprintf(out, "  retransmitted skbs %llu (%llu bytes resent)\n",
		(unsigned long long)lat->retransmits, (unsigned long long)lat->resent_bytes);
	for (__u32 i = 0; i < lat->nr_reasons; i++)
		fprintf(out, "  dropped: %llu with reason %u%s\n",
			(unsigned long long)lat->reason_counts[i], lat->reasons[i],
			i == REASON_MAX - 1 ? " or later ones" : "");
}

void latency__text(struct latency *lat, FILE *out, bool hist)
{
	text_transitions(lat, out, hist);
	text_devices(lat, out);
	text_cpus(lat, out);
	text_lifecycles(lat, out);
}

/* ---- JSON ---- */

static void json_missing(FILE *out, const __u64 (*m)[TSEND_STAGE_MAX])
{
	const char *sep = "";

	fputc('[', out);
	for (unsigned int w = 1; w < LC_WHY_MAX; w++) {
		for (unsigned int s = 0; s < TSEND_STAGE_MAX; s++) {
			if (!m[w][s])
				continue;
			fprintf(out, "%s{\"missing\":\"%s\",\"why\":\"%s\",\"count\":%llu}", sep,
				tsend_stage_name(s), lc_why_text(w), (unsigned long long)m[w][s]);
			sep = ",";
		}
	}
	fputc(']', out);
}

static void json_transitions(struct latency *lat, FILE *out)
{
	unsigned int start = e2e_start(lat);
	const char *sep = "";

	fputs(",\"latency\":[", out);
	for (unsigned int a = 0; a < TSEND_STAGE_MAX; a++) {
		for (unsigned int b = 0; b < TSEND_STAGE_MAX; b++) {
			if (!lat->trans[a][b].n)
				continue;
			fprintf(out, "%s{\"from\":\"%s\",\"to\":\"%s\",", sep, tsend_stage_name(a),
				tsend_stage_name(b));
			samples_json(out, &lat->trans[a][b]);
			fputc('}', out);
			sep = ",";
		}
	}
	fputs("],\"end_to_end\":", out);
	if (start) {
		fprintf(out, "{\"from\":\"%s\",\"to\":\"%s\",\"excluded\":%llu,",
			tsend_stage_name(start), tsend_stage_name(TSEND_STAGE_NET_DEV_XMIT),
			(unsigned long long)e2e_excluded(lat, start));
		samples_json(out, &lat->e2e[start]);
		fputc('}', out);
	} else {
		fputs("null", out);
	}
	samples_json_field(out, "send_to_wire", &lat->s2w);
}

void samples_json_field(FILE *out, const char *key, struct samples *s)
{
	fprintf(out, ",\"%s\":", key);
	if (!s->n) {
		fputs("null", out);
		return;
	}
	fputc('{', out);
	samples_json(out, s);
	fputc('}', out);
}

static void json_devices(struct latency *lat, FILE *out)
{
	const char *sep = "";

	fputs(",\"devices\":[", out);
	for (__u32 i = 0; i < lat->nr_devs; i++) {
		struct dev_stats *d = &lat->devs[i];

		fprintf(out, "%s{\"ifindex\":%d,\"frames\":%llu,\"bytes\":%llu,\"drops\":%llu", sep,
			d->ifindex, (unsigned long long)d->frames, (unsigned long long)d->bytes,
			(unsigned long long)d->drops);
		samples_json_field(out, "queue", &d->queue);
		samples_json_field(out, "end_to_end", &d->e2e);
		fputc('}', out);
		sep = ",";
	}
	fputs("],\"cpus\":[", out);
	sep = "";
	for (int i = 0; lat->cpus && i < CPU_MAX; i++) {
		if (!lat->cpus[i].frames)
			continue;
		fprintf(out, "%s{\"cpu\":%d,\"frames\":%llu", sep, i,
			(unsigned long long)lat->cpus[i].frames);
		samples_json_field(out, "end_to_end", &lat->cpus[i].e2e);
		fputc('}', out);
		sep = ",";
	}
	fputc(']', out);
}

void latency__json(struct latency *lat, FILE *out)
{
	json_transitions(lat, out);
	json_devices(lat, out);
	fprintf(out, ",\"lifecycles\":{\"skbs\":%llu,\"skbs_incomplete\":",
		(unsigned long long)lat->skbs);
	json_missing(out, lat->skb_missing);
	fprintf(out, ",\"sends\":%llu,\"sends_incomplete\":", (unsigned long long)lat->sends);
	json_missing(out, lat->send_missing);
	fprintf(out, ",\"retransmitted\":%llu,\"resent_bytes\":%llu,\"drop_reasons\":[",
		(unsigned long long)lat->retransmits, (unsigned long long)lat->resent_bytes);
	for (__u32 i = 0; i < lat->nr_reasons; i++)
		fprintf(out, "%s{\"reason\":%u,\"count\":%llu}", i ? "," : "", lat->reasons[i],
			(unsigned long long)lat->reason_counts[i]);
	fputs("]}", out);
}
