// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * report.c on a recording built in memory: exact counts, flow bytes and
 * percentiles for a set of skb lifecycles that includes address reuse, a
 * lifecycle seen without its start, one without its end, one seen only at
 * its free, and a drop. A second test drives the live-skb hash through many
 * collisions and deletions and compares it with a plain array model.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check.h"
#include "userspace/report.h"
#include "bpf/tsend.h"

#define START_NS 5000000000ULL
#define US(x)	 (START_NS + (x)*1000ULL) /* a time x µs after the start */
#define SKB(n)	 (0xffff888010000000ULL + (n)*0x100ULL)
#define TCP_FIN	 0x01
#define TCP_SYN	 0x02
#define TCP_PSH	 0x08
#define TCP_ACK	 0x10

static struct report *rep;
static struct tsend_flow flow_a, flow_b;

static void make_flows(void)
{
	flow_a = (struct tsend_flow){.family = AF_INET, .protocol = 6, .sport = 5000, .dport = 80};
	inet_pton(AF_INET, "10.0.0.1", flow_a.saddr);
	inet_pton(AF_INET, "10.0.0.2", flow_a.daddr);
	flow_b =
		(struct tsend_flow){.family = AF_INET6, .protocol = 6, .sport = 443, .dport = 5555};
	inet_pton(AF_INET6, "2001:db8::1", flow_b.saddr);
	inet_pton(AF_INET6, "2001:db8::2", flow_b.daddr);
}

/* report__add() on an exact-size heap copy, so ASan sees any overread. */
static int add(const void *rec, __u32 len)
{
	void *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, rec, len);
	rc = report__add(rep, copy, len);
	free(copy);
	return rc;
}

static void fill_head(struct tsend_head *h, __u32 size, __u8 stage, __u8 kind, __u8 phase,
		      __u8 mech, __u64 ts, __u64 skb)
{
	memset(h, 0, sizeof(*h));
	h->ts = ts;
	h->sk = 0xffff888003f20000ULL;
	h->skb = skb;
	h->pid = h->tid = 77;
	h->size = size;
	h->stage = stage;
	h->kind = kind;
	h->phase = phase;
	h->mech = mech;
	strcpy(h->comm, "app");
}

/* A frame (an skb record with a sequence range); valid 0: no range. */
static int frame(__u64 skb, __u8 stage, __u64 ts, const struct tsend_flow *f, __u32 seq,
		 __u32 end_seq, __u8 flags, __u8 valid)
{
	struct tsend_skb_event e = {};

	fill_head(&e.h, sizeof(e), stage, TSEND_KIND_SKB, TSEND_PHASE_ENTRY,
		  stage == TSEND_STAGE_DEV_QUEUE_XMIT ? TSEND_MECH_FENTRY : TSEND_MECH_TP_BTF, ts,
		  skb);
	e.flow = *f;
	e.len = end_seq - seq + 66;
	e.seq = seq;
	e.end_seq = end_seq;
	e.tcp_flags = flags;
	e.seq_valid = valid;
	return add(&e, sizeof(e));
}

static int skb_at(__u64 skb, __u8 stage, __u64 ts, const struct tsend_flow *f)
{
	return frame(skb, stage, ts, f, 0, 0, 0, 0);
}

static int send_ev(__u8 stage, __u8 phase, __u64 ts, __u64 size, __s64 ret)
{
	struct tsend_send_event e = {};

	fill_head(&e.h, sizeof(e), stage, TSEND_KIND_SEND, phase,
		  phase ? TSEND_MECH_FEXIT : TSEND_MECH_FENTRY, ts, 0);
	e.flow = flow_a;
	e.size = size;
	e.ret = ret;
	e.fd = 3;
	return add(&e, sizeof(e));
}

/*
 * Skbs 1..10 of flow A: __dev_queue_xmit, then qdisc_enqueue i µs later,
 * qdisc_dequeue 2 µs later, net_dev_start_xmit 3 µs, net_dev_xmit 1.5 µs,
 * consume_skb 3.5 µs: end to end is i + 6.5 µs.
 */
static void add_plain_lifecycles(void)
{
	for (int i = 1; i <= 10; i++) {
		__u64 t0 = US(i * 1000);
		__u32 seq = 1 + (i - 1) * 1448;

		skb_at(SKB(i), TSEND_STAGE_DEV_QUEUE_XMIT, t0, &flow_a);
		skb_at(SKB(i), TSEND_STAGE_QDISC_ENQUEUE, t0 + i * 1000, &flow_a);
		skb_at(SKB(i), TSEND_STAGE_QDISC_DEQUEUE, t0 + i * 1000 + 2000, &flow_a);
		frame(SKB(i), TSEND_STAGE_NET_DEV_START_XMIT, t0 + i * 1000 + 5000, &flow_a, seq,
		      seq + 1448, TCP_PSH | TCP_ACK, 1);
		skb_at(SKB(i), TSEND_STAGE_NET_DEV_XMIT, t0 + i * 1000 + 6500, &flow_a);
		skb_at(SKB(i), TSEND_STAGE_CONSUME_SKB, t0 + i * 1000 + 10000, &flow_a);
	}
}

/* Lifecycles that are not whole, or that end in a drop. */
static void add_odd_lifecycles(void)
{
	/* skb 20: its free is lost and its address comes back as a new skb */
	skb_at(SKB(20), TSEND_STAGE_DEV_QUEUE_XMIT, US(20000), &flow_a);
	skb_at(SKB(20), TSEND_STAGE_QDISC_ENQUEUE, US(20020), &flow_a);
	skb_at(SKB(20), TSEND_STAGE_QDISC_DEQUEUE, US(20022), &flow_a);
	skb_at(SKB(20), TSEND_STAGE_DEV_QUEUE_XMIT, US(30000), &flow_a);
	skb_at(SKB(20), TSEND_STAGE_QDISC_ENQUEUE, US(30030), &flow_a);
	skb_at(SKB(20), TSEND_STAGE_QDISC_DEQUEUE, US(30032), &flow_a);
	frame(SKB(20), TSEND_STAGE_NET_DEV_START_XMIT, US(30035), &flow_a, 0, 1, TCP_SYN, 1);
	skb_at(SKB(20), TSEND_STAGE_NET_DEV_XMIT, US(30100), &flow_a);
	skb_at(SKB(20), TSEND_STAGE_CONSUME_SKB, US(30103), &flow_a);
	/* skb 21: the recording ends while it is queued */
	skb_at(SKB(21), TSEND_STAGE_DEV_QUEUE_XMIT, US(40000), &flow_a);
	skb_at(SKB(21), TSEND_STAGE_QDISC_ENQUEUE, US(40040), &flow_a);
	/* skb 22: first seen at qdisc_dequeue, a FIN with 100 bytes */
	skb_at(SKB(22), TSEND_STAGE_QDISC_DEQUEUE, US(50000), &flow_a);
	frame(SKB(22), TSEND_STAGE_NET_DEV_START_XMIT, US(50003), &flow_a, 5000, 5101,
	      TCP_FIN | TCP_ACK, 1);
	skb_at(SKB(22), TSEND_STAGE_NET_DEV_XMIT, US(50003) + 1500, &flow_a);
	skb_at(SKB(22), TSEND_STAGE_CONSUME_SKB, US(50008), &flow_a);
	/* skb 23 of flow B: dropped */
	skb_at(SKB(23), TSEND_STAGE_DEV_QUEUE_XMIT, US(60000), &flow_b);
	skb_at(SKB(23), TSEND_STAGE_KFREE_SKB, US(60007), &flow_b);
	/* skb 24: seen only at its free */
	skb_at(SKB(24), TSEND_STAGE_CONSUME_SKB, US(70000), &flow_b);
	/* skb 25 of flow B: first seen at the driver, no sequence range */
	skb_at(SKB(25), TSEND_STAGE_NET_DEV_START_XMIT, US(80000), &flow_b);
	skb_at(SKB(25), TSEND_STAGE_NET_DEV_XMIT, US(80002), &flow_b);
	skb_at(SKB(25), TSEND_STAGE_CONSUME_SKB, US(80003), &flow_b);
	/* skb 26: a retransmit of flow A (the original skb: never freed) */
	skb_at(SKB(26), TSEND_STAGE_TCP_RETRANSMIT_SKB, US(25000), &flow_a);
}

static void add_sends(void)
{
	struct tsend_skb_event e = {};

	send_ev(TSEND_STAGE_SYS_SENDTO, TSEND_PHASE_ENTRY, US(0), 1000, 0);
	send_ev(TSEND_STAGE_SYS_SENDTO, TSEND_PHASE_EXIT, US(1), 0, 1000);
	send_ev(TSEND_STAGE_SYS_SENDTO, TSEND_PHASE_ENTRY, US(2), 1000, 0);
	send_ev(TSEND_STAGE_SYS_SENDTO, TSEND_PHASE_EXIT, US(3), 0, -11);
	send_ev(TSEND_STAGE_SYS_SENDMSG, TSEND_PHASE_ENTRY, US(4), 500, 0);
	send_ev(TSEND_STAGE_SYS_SENDMSG, TSEND_PHASE_EXIT, US(5), 0, 500);
	/* a send record below the syscall is not another send() */
	send_ev(TSEND_STAGE_SOCK_SENDMSG, TSEND_PHASE_ENTRY, US(5), 500, 0);
	/* a stage and a mechanism this build does not know */
	fill_head(&e.h, sizeof(e), 200, TSEND_KIND_SKB, TSEND_PHASE_ENTRY, 99, US(5), SKB(30));
	CHECK(add(&e, sizeof(e)) == 0);
	/* malformed: counted, then skipped */
	CHECK(add(&e, 20) == -EINVAL);
}

static char *print(const struct trace_meta *meta, const struct trace_stats *stats, bool json)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	CHECK(report__print(rep, f, meta, stats, json) == 0);
	fclose(f);
	return s;
}

/* Does s contain line as a whole line? */
static bool has_line(const char *s, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = s; p && (p = strstr(p, line)); p++)
		if ((p == s || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* Brace, bracket and quote balance of one JSON document. */
static bool json_balanced(const char *s)
{
	int depth = 0;
	bool in_str = false;

	for (; s && *s; s++) {
		if (in_str) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				in_str = false;
			else if ((unsigned char)*s < 0x20)
				return false;
			continue;
		}
		if (*s == '"')
			in_str = true;
		else if (*s == '{' || *s == '[')
			depth++;
		else if ((*s == '}' || *s == ']') && --depth < 0)
			return false;
		if (strstr(s, ",}") == s || strstr(s, ",]") == s)
			return false;
	}
	return s && depth == 0 && !in_str;
}

/* No line wider than 80 columns (UTF-8 continuation bytes take none). */
static bool fits_80(const char *s)
{
	int col = 0;

	for (; s && *s; s++) {
		if (*s == '\n')
			col = 0;
		else if (((unsigned char)*s & 0xc0) != 0x80 && ++col > 80)
			return false;
	}
	return true;
}

static void check_text(const char *s)
{
	CHECK(fits_80(s));
	CHECK(has_line(s, "tsend report: 6.1.0 on guest"));
	CHECK(has_line(s, "  records          91 (1 malformed, skipped)"));
	CHECK(has_line(s, "  duration         0.080003 s from first to last record"));
	CHECK(has_line(s, "                   1.000000 s of recording"));
	CHECK(has_line(s, "  lost events      7 (cpu 1: 2, cpu 3: 5)"));
	CHECK(has_line(s, "  untracked skbs   0"));
	/* the probe table */
	CHECK(has_line(s, "  __dev_queue_xmit         fentry     __dev_queue_xmit"));
	CHECK(has_line(s, "  ip_finish_output2        none       -"));
	CHECK(has_line(s, "      kprobes are off"));
	/* counts per stage and mechanism */
	CHECK(has_line(s, "  __sys_sendto             fentry                2"));
	CHECK(has_line(s, "  __sys_sendto             fexit                 2"));
	CHECK(has_line(s, "  __dev_queue_xmit         fentry               14"));
	CHECK(has_line(s, "  qdisc_dequeue            tp_btf               13"));
	CHECK(has_line(s, "  consume_skb              tp_btf               14"));
	CHECK(has_line(s, "  200                      other                 1"));
	/* flows */
	CHECK(has_line(s, "  10.0.0.1:5000>10.0.0.2:80"));
	CHECK(has_line(s, "    send() calls 3, bytes asked 2500, returned 1500, failed 1"));
	/* the FIN's 100 bytes lie inside what frames 1..10 sent: not new */
	CHECK(has_line(s, "    frames 12, tcp payload 14580 bytes (14480 new), retransmits 1, drops 0"));
	CHECK(has_line(s, "  [2001:db8::1]:443>[2001:db8::2]:5555"));
	CHECK(has_line(s, "    send() calls 0, bytes asked 0, returned 0"));
	CHECK(has_line(s, "    frames 1, tcp payload 0 bytes, retransmits 0, drops 1"));
	/* latency: 1..10, 20, 30, 40 µs -> p50 7, p90 30, p99 40 */
	CHECK(has_line(s, "  __dev_queue_xmit"));
	CHECK(has_line(
		s,
		"    → qdisc_enqueue                  13     7.000    30.000    40.000    40.000"));
	CHECK(has_line(
		s,
		"    → kfree_skb                       1     7.000     7.000     7.000     7.000"));
	CHECK(has_line(
		s,
		"    → qdisc_dequeue                  12     2.000     2.000     2.000     2.000"));
	CHECK(has_line(
		s,
		"    → net_dev_start_xmit             12     3.000     3.000     3.000     3.000"));
	CHECK(has_line(
		s,
		"    → net_dev_xmit                   13     1.500     2.000    65.000    65.000"));
	CHECK(has_line(
		s,
		"    → consume_skb                    13     3.500     3.500     3.500     3.500"));
	/* end to end: 7.5..16.5 and 100 µs; skbs 22 and 25 began later */
	CHECK(has_line(s, "  end to end, from __dev_queue_xmit"));
	CHECK(has_line(
		s,
		"    → net_dev_xmit                   11    12.500    16.500   100.000   100.000"));
	/* skb 20's first life, cut short by its address; skb 21, never sent;
	 * with no probe table every stage counts as watched, tcp_probe too,
	 * and the data frames of flow A wait for ACKs that never come */
	CHECK(has_line(s, "  skbs 16: complete 3, incomplete 13"));
	CHECK(has_line(s, "    11 missing tcp_probe: after the FIN, where tcp_probe does not fire"));
	CHECK(has_line(
		s, "    1 missing net_dev_start_xmit: unseen: lost, or a path without a probe"));
	CHECK(has_line(s, "    1 missing net_dev_start_xmit: the recording lost events"));
	/* the probe table has no tcp_sendmsg_locked row: placed nowhere */
	CHECK(has_line(s, "  send() calls 3: complete 1, incomplete 2"));
	CHECK(has_line(s, "  dropped: 1 with reason 0"));
	CHECK(has_line(s, "  ifindex 0: frames 13, bytes 15440, drops 1"));
	CHECK(has_line(s, "[4K, 8K)                4 "
			  "|@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|"));
	CHECK(has_line(s, "  2 reached net_dev_xmit unseen at __dev_queue_xmit: not end to end"));
}

static void check_json(const char *s)
{
	CHECK(json_balanced(s));
	CHECK(s && s[strlen(s) - 1] == '\n' && !strchr(s, '\n')[1]);
	CHECK(s && strstr(s, "{\"summary\":{\"records\":91,\"malformed\":1,"
			     "\"first_ts_ns\":5000000000,\"last_ts_ns\":5080003000,"
			     "\"duration_ns\":80003000,\"end_block\":true,"
			     "\"end_records\":91,\"lost\":7,\"lost_per_cpu\":"
			     "{\"1\":2,\"3\":5},\"untracked\":0}"));
	CHECK(s && strstr(s, "{\"from\":\"__dev_queue_xmit\",\"to\":\"qdisc_enqueue\","
			     "\"count\":13,\"p50_ns\":7000,\"p90_ns\":30000,"
			     "\"p99_ns\":40000,\"max_ns\":40000,\"hist\":[[512,1024,1],"));
	CHECK(s && strstr(s, "\"end_to_end\":{\"from\":\"__dev_queue_xmit\","
			     "\"to\":\"net_dev_xmit\",\"excluded\":2,\"count\":11,"
			     "\"p50_ns\":12500,\"p90_ns\":16500,\"p99_ns\":100000,"
			     "\"max_ns\":100000,\"hist\":["));
	CHECK(s && strstr(s, "\"lifecycles\":{\"skbs\":16,\"skbs_incomplete\":[{"
			     "\"missing\":\"net_dev_start_xmit\","));
	CHECK(s && strstr(s, "{\"family\":2,\"saddr\":\"10.0.0.1\",\"sport\":5000,"
			     "\"daddr\":\"10.0.0.2\",\"dport\":80,\"send_calls\":3,"
			     "\"send_bytes\":2500,\"send_returned\":1500,"
			     "\"send_errors\":1,\"frames\":12,\"payload_bytes\":14580,\"new_bytes\":14480,"
			     "\"retransmits\":1,\"drops\":0,\"send_to_wire\":null,"
			     "\"end_to_end\":{\"count\":12,\"p50_ns\":11500,"));
	CHECK(s && strstr(s, "{\"stage\":200,\"stage_id\":200,\"mech\":\"other\","
			     "\"count\":1}"));
}

static void test_report(void)
{
	struct trace_meta *meta = calloc(1, sizeof(*meta));
	struct trace_stats *stats = calloc(1, sizeof(*stats));
	char *s, *again;

	rep = report__new(NULL);
	CHECK(rep != NULL);
	strcpy(meta->kernel_release, "6.1.0");
	strcpy(meta->hostname, "guest");
	meta->start_ns = START_NS;
	meta->nr_probes = 2;
	meta->probes[0] = (struct trace_probe){TSEND_STAGE_DEV_QUEUE_XMIT, TSEND_MECH_FENTRY,  0,
					       "__dev_queue_xmit",	   "__dev_queue_xmit", ""};
	meta->probes[1] = (struct trace_probe){TSEND_STAGE_IP_FINISH_OUTPUT2,
					       TSEND_MECH_NONE,
					       0,
					       "ip_finish_output2",
					       "",
					       "kprobes are off"};
	stats->records = 91;
	stats->end_ns = START_NS + 1000000000ULL;
	stats->nr_cpus = 4;
	stats->lost[1] = 2;
	stats->lost[3] = 5;

	add_sends();
	add_plain_lifecycles();
	add_odd_lifecycles();

	s = print(meta, stats, false);
	check_text(s);
	/* printing sorts the samples: a second print must say the same */
	again = print(meta, stats, false);
	CHECK(s && again && !strcmp(s, again));
	if (getenv("TSEND_TEST_VERBOSE"))
		fputs(s, stdout);
	free(again);
	free(s);

	s = print(meta, stats, true);
	check_json(s);
	if (getenv("TSEND_TEST_VERBOSE"))
		fputs(s, stdout);
	free(s);

	/* no end block, no header: losses unknown, no probe table */
	s = print(NULL, NULL, false);
	CHECK(fits_80(s));
	CHECK(has_line(s, "  lost events      unknown: the recording has no end block"));
	CHECK(has_line(s, "  none: the recording has no probe table"));
	free(s);
	s = print(NULL, NULL, true);
	CHECK(json_balanced(s));
	CHECK(s && strstr(s, "\"end_block\":false,\"end_records\":null,\"lost\":null,"));
	free(s);

	report__free(rep);
	free(stats);
	free(meta);
}

/* Losses on many CPUs wrap under their column, within 80 columns. */
static void test_lost_wrap(void)
{
	struct trace_stats *stats = calloc(1, sizeof(*stats));
	char *s;

	rep = report__new(NULL);
	stats->nr_cpus = 64;
	for (int i = 0; i < 64; i++)
		stats->lost[i] = 1000 + i;
	stats->records = 0;
	s = print(NULL, stats, false);
	CHECK(fits_80(s));
	CHECK(s && strstr(s, "  lost events      66016 (cpu 0: 1000, cpu 1: 1001,"));
	CHECK(s && strstr(s, "cpu 63: 1063)\n"));
	CHECK(s && strstr(s, ",\n                   cpu "));
	free(s);
	/* nr_cpus out of range is clamped, not trusted */
	stats->nr_cpus = ~0U;
	s = print(NULL, stats, true);
	CHECK(json_balanced(s));
	free(s);
	report__free(rep);
	free(stats);
}

/* A resent range counts once as new, across the 2^32 sequence wrap. */
static void test_new_bytes(void)
{
	__u32 isn = 0xffffff00;
	char *s;

	rep = report__new(NULL);
	frame(SKB(1), TSEND_STAGE_NET_DEV_START_XMIT, US(1), &flow_a, isn, isn + 1, TCP_SYN, 1);
	frame(SKB(2), TSEND_STAGE_NET_DEV_START_XMIT, US(2), &flow_a, isn + 1, isn + 1001, 0, 1);
	frame(SKB(3), TSEND_STAGE_NET_DEV_START_XMIT, US(3), &flow_a, isn + 1, isn + 449, 0, 1);
	frame(SKB(4), TSEND_STAGE_NET_DEV_START_XMIT, US(4), &flow_a, isn + 1001, isn + 2001, 0, 1);
	frame(SKB(5), TSEND_STAGE_NET_DEV_START_XMIT, US(5), &flow_a, isn + 1501, isn + 2502,
	      TCP_FIN, 1);
	s = print(NULL, NULL, false);
	CHECK(has_line(s, "    frames 5, tcp payload 3448 bytes (2500 new), retransmits 0, drops 0"));
	free(s);
	report__free(rep);
}

/* One flow whatever the bytes the family does not use say. */
static void test_flow_key(void)
{
	struct tsend_flow f = flow_a;
	char *s;

	rep = report__new(NULL);
	frame(SKB(1), TSEND_STAGE_NET_DEV_START_XMIT, US(1), &f, 0, 10, 0, 1);
	f.protocol = 17;
	memset(f.saddr + 4, 0xaa, 12);
	f.pad = 7;
	frame(SKB(2), TSEND_STAGE_NET_DEV_START_XMIT, US(2), &f, 10, 30, 0, 1);
	s = print(NULL, NULL, false);
	CHECK(has_line(s, "    frames 2, tcp payload 30 bytes, retransmits 0, drops 0"));
	free(s);
	report__free(rep);
}

int main(void)
{
	make_flows();
	test_report();
	test_lost_wrap();
	test_flow_key();
	test_new_bytes();
	return check_done("report");
}
