// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the lifecycle assembler: lifecycle__add() on a
 * stream of records, lifecycle__finish(), lifecycle__free(). The input is
 * the records themselves, not a trace file, so the fuzzer reaches the
 * joining logic at once with random and corrupted event streams.
 *
 * Input: one options byte, then records as records.h reads them (each a
 * heap copy of exactly its length, so ASan sees any read past it).
 * Options: bits 0-1 the end block
 * (none, nothing lost, events lost, hostile counts), bits 2-4 the probe
 * table (as tests/unit/test_lifecycle.c numbers them: none, this host's,
 * without ACKs, without net_dev_start_xmit, without tcp_sendmsg_locked,
 * ABI 1; then an empty table and a hostile one), bit 5 free without
 * finish, bit 6 the frame callback fails now and then.
 * tests/unit/test_lifecycle.c writes its scenarios in this format (the
 * corpus); corpus/lifecycle/loopback_trace holds tests/data/loopback.trace's
 * records.
 *
 * The callbacks copy out every byte they are given
 * and abort() when an invariant of lifecycle.h does not hold: each id is
 * handed out once, and after finish every one was; what is incomplete
 * names what it misses; counts stay within their arrays.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userspace/lifecycle.h"
#include "records.h"

#define OPT_STATS(o)  ((o)&0x03)
#define OPT_TABLE(o)  (((o) >> 2) & 0x07)
#define OPT_NO_FINISH 0x20
#define OPT_FRAME_ERR 0x40
#define MAX_IDS	      65536 /* more records than a fuzz input can hold */

static struct trace_meta tables[8];
static struct trace_stats stats[4];

/* What was handed out during one input. */
static struct {
	__u8 skb_seen[MAX_IDS], send_seen[MAX_IDS];
	__u64 skbs, sends, max_skb, max_send;
	unsigned int frames;
	bool frame_err;
} out;

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_lifecycle: %s\n", what);
		abort();
	}
}

/* This host's probe table, less what table t leaves out (see above). */
static void setup_table(unsigned int t)
{
	static const __u8 watched[] = {
		TSEND_STAGE_SYS_SENDTO,		TSEND_STAGE_SYS_SENDMSG,
		TSEND_STAGE_SOCK_SENDMSG,	TSEND_STAGE_TCP_SENDMSG_LOCKED,
		TSEND_STAGE_TCP_RETRANSMIT_SKB, TSEND_STAGE_TCP_PROBE,
		TSEND_STAGE_NET_DEV_QUEUE,	TSEND_STAGE_QDISC_ENQUEUE,
		TSEND_STAGE_QDISC_DEQUEUE,	TSEND_STAGE_NET_DEV_START_XMIT,
		TSEND_STAGE_NET_DEV_XMIT,	TSEND_STAGE_CONSUME_SKB,
		TSEND_STAGE_KFREE_SKB,
	};
	struct trace_meta *m = &tables[t];

	m->abi_version = t == 5 ? 1 : TSEND_ABI_VERSION;
	m->nr_cpus = 2;
	if (t == 6)
		return; /* an empty table: nothing watched */
	if (t == 7) {
		/* every byte set, a row count far out of range */
		memset(m, 0xff, sizeof(*m));
		m->nr_probes = TRACE_MAX_PROBES * 16;
		return;
	}
	for (unsigned int s = 1; s < TSEND_STAGE_MAX; s++) {
		struct trace_probe *p = &m->probes[m->nr_probes++];

		p->stage = s;
		for (size_t i = 0; i < sizeof(watched); i++)
			if (watched[i] == s)
				p->mech = TSEND_MECH_RAW_TP;
		if ((t == 2 &&
		     (s == TSEND_STAGE_TCP_PROBE || s == TSEND_STAGE_TCP_RETRANSMIT_SKB)) ||
		    (t == 3 &&
		     (s == TSEND_STAGE_NET_DEV_START_XMIT || s == TSEND_STAGE_NET_DEV_XMIT)) ||
		    (t == 4 && s == TSEND_STAGE_TCP_SENDMSG_LOCKED))
			p->mech = TSEND_MECH_NONE;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (unsigned int t = 1; t < 8; t++)
		setup_table(t);
	stats[1].nr_cpus = stats[2].nr_cpus = 2;
	stats[2].lost[1] = 3;
	memset(&stats[3], 0x7f, sizeof(stats[3]));
	stats[3].nr_cpus = ~0U;
	return 0;
}

static void on_skb_done(const struct lc_skb *l, void *ctx)
{
	struct lc_skb c;

	(void)ctx;
	memcpy(&c, l, sizeof(c)); /* every byte: ASan checks them all */
	check(c.id >= 1 && c.id < MAX_IDS, "skb id out of range");
	check(!out.skb_seen[c.id], "skb handed out twice");
	out.skb_seen[c.id] = 1;
	out.skbs++;
	if (c.id > out.max_skb)
		out.max_skb = c.id;
	check(c.nr_stages <= LC_STAGES_MAX, "skb nr_stages");
	check(strcmp(lc_why_text(c.why), "?"), "skb why without a text");
	check(c.why < LC_WHY_MAX && c.missing < TSEND_STAGE_MAX, "skb why/missing range");
	check(!c.why == !c.missing, "skb incomplete without a missing stage, or the reverse");
	check(c.resent <= c.payload, "skb resent beyond its payload");
	check(c.seq_valid || !c.payload, "skb payload without a sequence range");
	check(!c.parent || c.parent < c.id, "skb parent not older");
	for (__u32 i = 0; i < c.nr_stages; i++)
		check(c.stages[i].stage && c.stages[i].stage < TSEND_STAGE_MAX, "skb stage");
}

static void on_send_done(const struct lc_send *s, void *ctx)
{
	struct lc_send c;

	(void)ctx;
	memcpy(&c, s, sizeof(c));
	check(c.id >= 1 && c.id < MAX_IDS, "send id out of range");
	check(!out.send_seen[c.id], "send handed out twice");
	out.send_seen[c.id] = 1;
	out.sends++;
	if (c.id > out.max_send)
		out.max_send = c.id;
	check(c.nr_stages <= LC_SEND_STAGES_MAX && c.nr_wq <= LC_WQ_MAX, "send counts");
	check(strcmp(lc_why_text(c.why), "?"), "send why without a text");
	check(c.why < LC_WHY_MAX && c.missing < TSEND_STAGE_MAX, "send why/missing range");
	check(!c.why == !c.missing, "send incomplete without a missing stage, or the reverse");
	check(c.stage == TSEND_STAGE_SYS_SENDTO || c.stage == TSEND_STAGE_SYS_SENDMSG,
	      "send not from a syscall");
	check(!c.frames == !c.first_skb, "send frames without a first skb");
}

static int on_frame(const struct lc_skb *l, const struct lc_send *s, const void *rec, __u32 len,
		    void *ctx)
{
	struct tsend_head h;
	struct lc_skb cl;
	struct lc_send cs;
	__u8 *copy = malloc(len ? len : 1);

	(void)ctx;
	check(copy != NULL, "malloc");
	memcpy(copy, rec, len); /* the whole record, snapped bytes included */
	check(len >= sizeof(h), "frame record shorter than a head");
	memcpy(&h, copy, sizeof(h));
	check(h.size == len && h.stage == TSEND_STAGE_NET_DEV_START_XMIT, "frame record");
	free(copy);
	memcpy(&cl, l, sizeof(cl));
	check(cl.on_wire && cl.id >= 1, "frame of an skb not on the wire");
	if (s) {
		memcpy(&cs, s, sizeof(cs));
		check(cs.id == cl.send_id, "frame's send() is not the skb's");
	}
	out.frames++;
	return out.frame_err && out.frames % 3 == 0 ? -EIO : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct lc_ops ops = {
		.skb_done = on_skb_done, .send_done = on_send_done, .frame = on_frame};
	const struct trace_meta *meta;
	const struct lc_counts *c;
	struct lifecycle *lc;
	__u64 records = 0;
	uint8_t opt, *rec;
	uint32_t len;

	if (!size)
		return 0;
	opt = *data++;
	size--;
	memset(&out, 0, sizeof(out));
	out.frame_err = opt & OPT_FRAME_ERR;
	meta = OPT_TABLE(opt) ? &tables[OPT_TABLE(opt)] : NULL;
	lc = lifecycle__new(meta, &ops);
	if (!lc)
		return 0;
	while ((rec = next_record(&data, &size, &len))) {
		lifecycle__add(lc, rec, len);
		free(rec);
		records++;
	}
	c = lifecycle__counts(lc);
	check(c->records == records && c->malformed <= records, "record counts");
	if (!(opt & OPT_NO_FINISH)) {
		lifecycle__finish(lc, OPT_STATS(opt) ? &stats[OPT_STATS(opt)] : NULL);
		/* everything is handed out: ids 1..n, each once */
		check(out.skbs == out.max_skb && out.sends == out.max_send,
		      "a lifecycle or send() never handed out");
	}
	check(c->skbs == out.skbs && c->sends == out.sends, "counts differ from callbacks");
	check(c->skbs_incomplete <= c->skbs && c->sends_incomplete <= c->sends,
	      "incomplete counts");
	lifecycle__free(lc);
	return 0;
}
