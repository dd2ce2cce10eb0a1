// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * timeline on lifecycles and send() calls built in memory, fed in
 * completion order (not time order). Each output goes through python3's
 * JSON parser and a check of what Perfetto's importer needs: X slices of a
 * thread nest when sorted as it sorts them (ts, then longer first), every
 * flow has one "s" and one "f", at the start of an X slice of their
 * thread, "s" not after "f". Then the content is checked here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "userspace/timeline.h"

#define T0   5000000000ULL
#define SK_A 0xffff888003f20000ULL
#define SK_B 0xffff888003f28000ULL
#define PID  1234

static const char checker[] =
	"import json, sys\n"
	"from decimal import Decimal\n"
	"d = json.load(open(sys.argv[1]), parse_float=Decimal)\n"
	"ev = d['traceEvents']\n"
	"assert d['displayTimeUnit'] == 'ns' and isinstance(d['metadata'], dict)\n"
	"ns = lambda v: int(Decimal(v) * 1000)\n"
	"by = {}\n"
	"for i, e in enumerate(ev):\n"
	"    assert e['ph'] in 'XMisf' and isinstance(e['pid'], int), e\n"
	"    if e['ph'] == 'X':\n"
	"        a, b = ns(e['ts']), ns(e['ts']) + ns(e['dur'])\n"
	"        assert 0 <= a < b, e\n"
	"        by.setdefault((e['pid'], e['tid']), []).append((a, b, i))\n"
	"for v in by.values():\n"
	"    v.sort(key=lambda x: (x[0], x[0] - x[1], x[2]))\n"
	"    ends = []\n"
	"    for a, b, i in v:\n"
	"        while ends and ends[-1] <= a:\n"
	"            ends.pop()\n"
	"        assert not ends or b <= ends[-1], ('overlap', ev[i])\n"
	"        ends.append(b)\n"
	"starts = {(e['pid'], e['tid'], ns(e['ts'])) for e in ev if e['ph'] == 'X'}\n"
	"s = [e for e in ev if e['ph'] == 's']\n"
	"f = {e['id']: e for e in ev if e['ph'] == 'f'}\n"
	"assert len(f) == len(s) == len({e['id'] for e in s})\n"
	"for e in s:\n"
	"    g = f[e['id']]\n"
	"    assert ns(e['ts']) <= ns(g['ts']) and g['bp'] == 'e', (e, g)\n"
	"    for x in (e, g):\n"
	"        assert (x['pid'], x['tid'], ns(x['ts'])) in starts, ('unbound', x)\n";

static const struct trace_meta meta = {
	.abi_version = TSEND_ABI_VERSION,
	.nr_cpus = 4,
	.start_ns = T0,
	.kernel_release = "6.1.0-18-amd64",
	.hostname = "guest",
	.cmdline = "tsend-trace record -o \"t.trace\"",
	.nr_probes = 1,
	.probes = {{TSEND_STAGE_NET_DEV_QUEUE, TSEND_MECH_RAW_TP, 0, "net:net_dev_queue",
		    "net/net_dev_queue", ""}},
};

/* ---- inputs ---- */

static struct tsend_flow flow4(__u16 sport)
{
	struct tsend_flow f = {.family = AF_INET, .protocol = 6, .sport = sport, .dport = 80};

	inet_pton(AF_INET, "10.0.0.1", f.saddr);
	inet_pton(AF_INET, "10.0.0.2", f.daddr);
	return f;
}

static void stage_add(struct lc_stage *st, __u32 *nr, __u8 stage, __u64 ts, __u16 cpu)
{
	st[(*nr)++] = (struct lc_stage){.ts = T0 + ts,
					.skb = 0xffff888004a1c200ULL,
					.tid = PID,
					.cpu = cpu,
					.stage = stage,
					.mech = TSEND_MECH_RAW_TP};
}

/* A frame on sk: queued, on the wire at xmit (cpu 1), freed at done. */
static struct lc_skb frame(__u64 id, __u64 sk, __u32 seq, __u32 end_seq, __u64 first, __u64 xmit,
			   __u64 done)
{
	struct lc_skb l = {
		.id = id,
		.sk = sk,
		.flow = flow4(sk == SK_A ? 5000 : 5001),
		.skb = 0xffff888004a1c200ULL,
		.pid = PID,
		.tid = PID,
		.comm = "tcp_sender",
		.seq_valid = true,
		.seq = seq,
		.end_seq = end_seq,
		.len = 54 + end_seq - seq,
		.payload = end_seq - seq,
		.gso_segs = 1,
		.ifindex = 2,
		.on_wire = true,
		.freed = true,
	};

	stage_add(l.stages, &l.nr_stages, TSEND_STAGE_TCP_TRANSMIT_SKB, first, 0);
	stage_add(l.stages, &l.nr_stages, TSEND_STAGE_NET_DEV_QUEUE, first + 100, 0);
	stage_add(l.stages, &l.nr_stages, TSEND_STAGE_NET_DEV_START_XMIT, xmit, 1);
	stage_add(l.stages, &l.nr_stages, TSEND_STAGE_CONSUME_SKB, done, 1);
	return l;
}

/* A send() of ret bytes at seq: entry, tcp_sendmsg_locked, exit. */
static struct lc_send send_call(__u64 id, __u64 sk, __u64 entry, __u64 exit, __s64 ret, __u32 seq)
{
	struct lc_send s = {
		.id = id,
		.sk = sk,
		.flow = flow4(5000),
		.pid = PID,
		.tid = PID,
		.comm = "tcp_sender",
		.stage = TSEND_STAGE_SYS_SENDTO,
		.entry_ts = T0 + entry,
		.exit_ts = exit ? T0 + exit : 0,
		.asked = ret > 0 ? (__u64)ret : 100,
		.ret = ret,
		.seq_valid = true,
		.seq = seq,
		.locked_ts = T0 + entry + 100,
	};

	stage_add(s.stages, &s.nr_stages, TSEND_STAGE_SYS_SENDTO, entry, 2);
	stage_add(s.stages, &s.nr_stages, TSEND_STAGE_TCP_SENDMSG_LOCKED, entry + 100, 2);
	if (exit) {
		stage_add(s.stages, &s.nr_stages, TSEND_STAGE_SYS_SENDTO, exit, 2);
		s.stages[s.nr_stages - 1].phase = TSEND_PHASE_EXIT;
	}
	return s;
}

/* ---- output ---- */

struct out {
	char path[64];
	FILE *f;
	struct timeline *t;
	char *text; /* after done() */
};

static void end(struct out *o)
{
	timeline__free(o->t);
	if (o->f)
		fclose(o->f);
	unlink(o->path);
	free(o->text);
}

/* A timeline writing to a new temporary file. */
static bool start(struct out *o)
{
	int fd;

	snprintf(o->path, sizeof(o->path), "/tmp/test_timeline.XXXXXX");
	fd = mkstemp(o->path);
	o->f = fd >= 0 ? fdopen(fd, "w+") : NULL;
	o->t = o->f ? timeline__new(o->f, &meta) : NULL;
	o->text = NULL;
	CHECK(o->t != NULL);
	if (!o->t)
		end(o);
	return o->t != NULL;
}

/* python3 is a declared dependency (Makefile DEB_PKGS). */
static bool python_checks(const char *json)
{
	char script[] = "/tmp/test_timeline_py.XXXXXX", cmd[256];
	int fd = mkstemp(script), rc;

	if (fd < 0 || write(fd, checker, strlen(checker)) != (ssize_t)strlen(checker))
		return false;
	close(fd);
	snprintf(cmd, sizeof(cmd), "python3 %s %s", script, json);
	rc = system(cmd);
	unlink(script);
	return rc == 0;
}

/* Finishes, checks the JSON, and reads it back into o->text. */
static void done(struct out *o)
{
	long size;

	CHECK_EQ_U64(timeline__finish(o->t), 0);
	CHECK(python_checks(o->path));
	fseek(o->f, 0, SEEK_END);
	size = ftell(o->f);
	rewind(o->f);
	o->text = calloc(1, size + 1);
	if (o->text && fread(o->text, 1, size, o->f) != (size_t)size)
		o->text[0] = '\0';
}

static bool has(const struct out *o, const char *s)
{
	bool found = o->text && strstr(o->text, s);

	if (!found)
		fprintf(stderr, "not in the output: %s\n", s);
	return found;
}

static int count(const struct out *o, const char *s)
{
	int n = 0;

	for (const char *p = o->text; p && (p = strstr(p, s)); p++)
		n++;
	return n;
}

/* ---- the tests ---- */

/*
 * A send() on A whose 3000 bytes leave in frames #1 and #3; #2, on B, is
 * interleaved in that id range. #1 and #3 overlap in time: two lanes.
 * Completion order: #3, the send(), #2, #1. Then #4, a write-queue skb in
 * the range that carries none of the bytes on the wire itself (the
 * assembler accounts no send() to it), and #5, a retransmission of #1.
 */
static void test_story(void)
{
	struct lc_skb f1 = frame(1, SK_A, 1000, 2448, 2000, 3000, 20000);
	struct lc_skb f2 = frame(2, SK_B, 5000, 5100, 2600, 2750, 2800);
	struct lc_skb f3 = frame(3, SK_A, 2448, 4000, 3000, 4000, 25000);
	struct lc_skb f4 = frame(4, SK_A, 1000, 4000, 26000, 26500, 27000);
	struct lc_skb f5 = frame(5, SK_A, 1000, 2448, 30000, 30500, 31000);
	struct lc_send s1 = send_call(1, SK_A, 1000, 9000, 3000, 1000);
	const struct timeline_counts *c;
	struct out o = {.t = NULL};

	if (!start(&o))
		return;
	f1.send_id = f3.send_id = f5.send_id = 1;
	f1.nr_sends = f3.nr_sends = f5.nr_sends = 1;
	f4.on_wire = false;
	f5.retransmit = true;
	s1.frames = 2;
	s1.first_skb = 1;
	s1.last_skb = 4;
	s1.first_wire_ts = T0 + 3000;
	s1.last_wire_ts = T0 + 4000;
	f3.acked_ts = T0 + 22000;
	CHECK_EQ_U64(timeline__skb(o.t, &f3), 0);
	CHECK_EQ_U64(timeline__send(o.t, &s1), 0);
	CHECK_EQ_U64(timeline__skb(o.t, &f2), 0);
	CHECK_EQ_U64(timeline__skb(o.t, &f1), 0);
	CHECK_EQ_U64(timeline__skb(o.t, &f4), 0);
	CHECK_EQ_U64(timeline__skb(o.t, &f5), 0);
	done(&o);
	c = timeline__counts(o.t);
	CHECK_EQ_U64(c->sockets, 2);
	CHECK_EQ_U64(c->skbs, 5);
	CHECK_EQ_U64(c->sends, 1);
	CHECK_EQ_U64(c->links, 3);
	CHECK_EQ_U64(c->links_missing, 0);
	CHECK_EQ_U64(c->skbs_undrawn + c->sends_undrawn + c->clamped, 0);
	CHECK(has(&o, "{\"name\":\"10.0.0.1:5000>10.0.0.2:80 sk 0xffff888003f20000\"}"));
	CHECK(has(&o, "{\"name\":\"10.0.0.1:5001>10.0.0.2:80 sk 0xffff888003f28000\"}"));
	CHECK(has(&o, "{\"name\":\"CPUs\"}"));
	CHECK(has(&o, "{\"name\":\"CPU 2\"}"));
	CHECK(has(&o, "{\"name\":\"send()\"}"));
	CHECK(has(&o, "{\"name\":\"skbs 2\"}"));
	CHECK(!strstr(o.text ? o.text : "", "skbs 3"));
	/* pid 1 CPUs, tid 2 and 3 CPU 0 and 1, pid 4 socket A: #3 came first
	 * and took its lane 1 (tid 5); #1 overlaps it: lane 2 (tid 10) */
	CHECK(has(&o, "\"name\":\"skb #3 seq 2448-4000\",\"cat\":\"tsend\",\"ph\":\"X\",\"pid\":4,"
		      "\"tid\":5,\"ts\":3.000,\"dur\":22.001,"));
	CHECK(has(&o, "\"name\":\"net_dev_start_xmit\",\"cat\":\"tsend\",\"ph\":\"X\",\"pid\":4,"
		      "\"tid\":5,\"ts\":4.000,\"dur\":21.000,"));
	CHECK(has(&o, "\"name\":\"consume_skb\",\"cat\":\"tsend\",\"ph\":\"X\",\"pid\":4,\"tid\":5,"
		      "\"ts\":25.000,\"dur\":0.001,"));
	CHECK(has(&o, "\"name\":\"skb #1 seq 1000-2448\",\"cat\":\"tsend\",\"ph\":\"X\",\"pid\":4,"
		      "\"tid\":10,\"ts\":2.000,\"dur\":18.001,"));
	CHECK(has(&o, "\"acked_us\":19.000"));
	/* the send() (tid 7, after CPU 2): entry to exit, the exit its end */
	CHECK(has(&o, "\"name\":\"send() #1\",\"cat\":\"tsend\",\"ph\":\"X\",\"pid\":4,\"tid\":7,"
		      "\"ts\":1.000,\"dur\":8.000,"));
	CHECK(has(&o, "\"name\":\"tcp_sendmsg_locked\",\"cat\":\"tsend\",\"ph\":\"X\",\"pid\":4,"
		      "\"tid\":7,\"ts\":1.100,\"dur\":7.900,"));
	CHECK(has(&o, "\"send_to_wire_us\":3.000"));
	/* arrows: s at the send() start, f at each frame's net_dev_start_xmit */
	CHECK(has(&o, "\"ph\":\"s\",\"pid\":4,\"tid\":7,\"ts\":1.000,\"id\":1}"));
	CHECK(has(&o, "\"ph\":\"f\",\"pid\":4,\"tid\":5,\"ts\":4.000,\"id\":1,\"bp\":\"e\"}"));
	CHECK(has(&o, "\"ph\":\"s\",\"pid\":4,\"tid\":7,\"ts\":1.000,\"id\":2}"));
	CHECK(has(&o, "\"ph\":\"f\",\"pid\":4,\"tid\":10,\"ts\":3.000,\"id\":2,\"bp\":\"e\"}"));
	CHECK(has(&o, "\"ph\":\"f\",\"pid\":4,\"tid\":5,\"ts\":30.500,\"id\":3,\"bp\":\"e\"}"));
	CHECK_EQ_U64(count(&o, "\"ph\":\"i\""), 4 * 5 + 3);
	CHECK(has(&o, "\"metadata\":{\"source\":\"tsend-trace timeline\""));
	CHECK(has(&o, "\"cmdline\":\"tsend-trace record -o \\\"t.trace\\\"\""));
	CHECK(has(&o, "\"probes\":[{\"function\":\"net:net_dev_queue\",\"stage\":\"net_dev_queue\","
		      "\"how\":\"raw_tp\""));
	end(&o);
}

/*
 * Lifecycles that come late, after their lane forgot the spans before
 * them, must go to another lane; later ones in order reuse lane 1.
 */
static void test_late(void)
{
	const struct timeline_counts *c;
	struct lc_skb l;
	struct out o = {.t = NULL};

	if (!start(&o))
		return;
	for (__u64 i = 1; i <= 40; i++) {
		l = frame(i, SK_A, 0, 0, i * 1000, i * 1000 + 200, i * 1000 + 500);
		l.seq_valid = false;
		CHECK_EQ_U64(timeline__skb(o.t, &l), 0);
	}
	l = frame(41, SK_A, 0, 0, 1100, 1150, 1300); /* between #1 and #2 */
	l.seq_valid = false;
	CHECK_EQ_U64(timeline__skb(o.t, &l), 0);
	l = frame(42, SK_A, 0, 0, 39600, 39700, 39800); /* between #39 and #40 */
	l.seq_valid = false;
	CHECK_EQ_U64(timeline__skb(o.t, &l), 0);
	done(&o);
	c = timeline__counts(o.t);
	CHECK_EQ_U64(c->skbs, 42);
	CHECK(has(&o, "{\"name\":\"skbs 2\"}"));
	CHECK(!strstr(o.text ? o.text : "", "skbs 3"));
	/* lane 1 (tid 5) still knows #39 and #40, not #1 and #2 */
	CHECK(has(&o, "\"name\":\"skb #42\",\"cat\":\"tsend\",\"ph\":\"X\",\"pid\":4,\"tid\":5,"));
	CHECK(has(&o, "\"name\":\"skb #41\",\"cat\":\"tsend\",\"ph\":\"X\",\"pid\":4,\"tid\":6,"));
	end(&o);
}

/*
 * Frames that finish long after their send() calls (an skb waiting for its
 * ACK, or one emitted at the end), in reverse order; send() ids of two
 * sockets interleave. Frame #i carries send #(2i - 1) and, for even i, the
 * first bytes of send #(2i + 1) too.
 */
static void test_late_frames(void)
{
	const struct timeline_counts *c;
	struct out o = {.t = NULL};
	struct lc_send s;
	struct lc_skb l;

	if (!start(&o))
		return;
	for (__u64 id = 1; id <= 201; id++) {
		__u64 at = id * 1000, i = (id + 1) / 2;

		s = send_call(id, id % 2 ? SK_A : SK_B, at, at + 500, 100, 100 * (__u32)i);
		s.frames = i % 2 && i > 1 ? 2 : 1;
		s.first_skb = i - s.frames + 1;
		s.last_skb = i;
		CHECK_EQ_U64(timeline__send(o.t, &s), 0);
	}
	for (__u64 i = 100; i >= 1; i--) {
		l = frame(i, SK_A, 100 * i, 100 * i + (i % 2 ? 100 : 150), i * 2000, i * 2000 + 100,
			  500000);
		l.send_id = 2 * i - 1;
		l.nr_sends = i % 2 ? 1 : 2;
		CHECK_EQ_U64(timeline__skb(o.t, &l), 0);
	}
	done(&o);
	c = timeline__counts(o.t);
	CHECK_EQ_U64(c->links, 150);
	CHECK_EQ_U64(c->links_missing, 0);
	end(&o);
}

/*
 * Stage times out of order (two CPUs) or equal, an incomplete lifecycle,
 * a send() that never returned, and a comm that is not text.
 */
static void test_disorder(void)
{
	struct lc_skb l = frame(1, SK_A, 1000, 1100, 5000, 4990, 4990);
	struct lc_send s = send_call(1, SK_A, 100, 0, 0, 0);
	const struct timeline_counts *c;
	struct out o = {.t = NULL};

	if (!start(&o))
		return;
	l.nr_stages = 3; /* never freed */
	l.why = LC_WHY_IN_FLIGHT;
	l.missing = TSEND_STAGE_CONSUME_SKB;
	memcpy(l.comm, "a\"b\\\x01\xff\xc3\xa9z\x7f", 11);
	s.seq_valid = false;
	CHECK_EQ_U64(timeline__skb(o.t, &l), 0);
	CHECK_EQ_U64(timeline__send(o.t, &s), 0);
	done(&o);
	c = timeline__counts(o.t);
	CHECK_EQ_U64(c->clamped, 1);
	CHECK_EQ_U64(c->links, 0);
	/* 5.000, 5.100, then 4.990 moved to 5.101 */
	CHECK(has(&o, "\"name\":\"net_dev_start_xmit\",\"cat\":\"tsend\",\"ph\":\"X\",\"pid\":4,"
		      "\"tid\":5,\"ts\":5.101,\"dur\":0.001,"));
	CHECK(has(&o, "\"moved_ns\":111"));
	CHECK(has(&o, "\"stages_moved\":1"));
	/* the CPU instant keeps the recorded time */
	CHECK(has(&o, "\"name\":\"net_dev_start_xmit\",\"cat\":\"tsend\",\"ph\":\"i\",\"pid\":1,"
		      "\"tid\":3,\"ts\":4.990,\"s\":\"t\""));
	CHECK(has(&o, "\"incomplete\":\"" /* lc_why_text() */));
	CHECK(has(&o, "\"missing\":\"consume_skb\""));
	CHECK(has(&o, "\"comm\":\"a\\\"b\\\\\\u0001\\ufffd\xc3\xa9z\\u007f\""));
	/* no exit: its last stage is 1 ns wide and ends the slice */
	CHECK(has(&o, "\"name\":\"send() #1\",\"cat\":\"tsend\",\"ph\":\"X\",\"pid\":4,\"tid\":7,"
		      "\"ts\":0.100,\"dur\":0.101,"));
	CHECK(has(&o, "\"ret\":\"no exit seen\""));
	end(&o);
}

/* Nothing in a lifecycle is trusted: absurd values must still give JSON
 * that parses and nests. */
static void test_absurd(void)
{
	struct lc_skb l = frame(0, 0, 0, 0, 0, 0, 0);
	struct lc_send s = send_call(0, 0, 0, 0, -11, 0);
	const struct timeline_counts *c;
	struct out o = {.t = NULL};

	if (!start(&o))
		return;
	l.seq_valid = false;
	l.nr_stages = 1000;
	l.nr_sends = 9;
	l.why = 200;
	l.missing = 250;
	for (int i = 0; i < LC_STAGES_MAX; i++)
		l.stages[i] = (struct lc_stage){.ts = i % 3 ? ~0ULL : (__u64)i,
						.cpu = 65535 - i % 2,
						.stage = 200 + i,
						.mech = 99};
	memset(l.comm, 0xff, sizeof(l.comm)); /* no NUL */
	CHECK_EQ_U64(timeline__skb(o.t, &l), 0);
	l.nr_stages = 0;
	CHECK_EQ_U64(timeline__skb(o.t, &l), 0);
	s.entry_ts = ~0ULL;
	s.exit_ts = 1;
	s.nr_stages = 5000;
	s.frames = 7;
	s.first_skb = 0;
	s.last_skb = ~0ULL;
	CHECK_EQ_U64(timeline__send(o.t, &s), 0);
	s.ret = 1LL << 40;
	s.id = 1;
	CHECK_EQ_U64(timeline__send(o.t, &s), 0);
	done(&o);
	c = timeline__counts(o.t);
	CHECK_EQ_U64(c->skbs, 1);
	CHECK_EQ_U64(c->skbs_undrawn, 1);
	CHECK_EQ_U64(c->sends, 2);
	CHECK(has(&o, "{\"name\":\"no socket\"}"));
	CHECK(has(&o, "{\"name\":\"CPU 65535\"}"));
	CHECK(has(&o, "\"name\":\"?\",\"cat\":\"tsend\",\"ph\":\"X\""));
	end(&o);
}

/* More sockets than are kept, more overlapping lifecycles than lanes, and
 * more frames waiting for their send() than are kept. */
static void test_bounds(void)
{
	const __u32 socks = TIMELINE_SOCK_MAX + 10, lanes = TIMELINE_LANES_MAX + 5;
	const struct timeline_counts *c;
	struct lc_send s;
	struct lc_skb l;
	struct out o = {.t = NULL};

	if (!start(&o))
		return;
	for (__u32 i = 0; i < socks; i++) {
		l = frame(i + 1, 0xffff888100000000ULL + i * 0x1000, 0, 0, i, i + 1, i + 2);
		CHECK(timeline__skb(o.t, &l) == 0);
	}
	for (__u32 i = 0; i < lanes; i++) {
		l = frame(100000 + i, SK_B, 0, 0, 1000000 + i, 1000000 + 2 * lanes, 2000000);
		CHECK(timeline__skb(o.t, &l) == 0);
	}
	for (__u32 i = 0; i < 300; i++) {
		l = frame(200000 + i, SK_A, 1000 + i, 1001 + i, 3000000 + i * 10, 3000003 + i * 10,
			  3000005 + i * 10);
		l.send_id = 7;
		l.nr_sends = 1;
		CHECK(timeline__skb(o.t, &l) == 0);
	}
	s = send_call(7, SK_A, 2999000, 2999500, 300, 1000);
	s.frames = 300;
	s.first_skb = 200000;
	s.last_skb = 200299;
	CHECK_EQ_U64(timeline__send(o.t, &s), 0);
	done(&o);
	c = timeline__counts(o.t);
	CHECK_EQ_U64(c->sockets, socks + 2);
	CHECK_EQ_U64(c->skbs, socks + TIMELINE_LANES_MAX + 300);
	CHECK_EQ_U64(c->skbs_undrawn, 5);
	CHECK(c->links > 0 && c->links < 300);
	CHECK_EQ_U64(c->links + c->links_missing, 300);
	end(&o);
}

/* A full disk: NULL/EIO from the constructor, then -EIO that sticks. */
static void test_write_error(void)
{
	struct lc_skb l = frame(1, SK_A, 1000, 2448, 2000, 3000, 20000);
	char small[8], room[400];
	FILE *out = fmemopen(small, sizeof(small), "w");
	struct timeline *t;

	setvbuf(out, NULL, _IONBF, 0);
	errno = 0;
	CHECK(timeline__new(out, &meta) == NULL);
	CHECK_EQ_U64(errno, EIO);
	fclose(out);

	out = fmemopen(room, sizeof(room), "w"); /* the head fits, a lifecycle not */
	setvbuf(out, NULL, _IONBF, 0);
	t = timeline__new(out, &meta);
	CHECK(t != NULL);
	if (t) {
		CHECK_EQ_U64(timeline__skb(t, &l), -EIO);
		CHECK_EQ_U64(timeline__skb(t, &l), -EIO);
		CHECK_EQ_U64(timeline__finish(t), -EIO);
		timeline__free(t);
	}
	fclose(out);
	errno = 0;
	CHECK(timeline__new(NULL, &meta) == NULL);
	CHECK_EQ_U64(errno, EINVAL);
}

/* finish is the end: nothing is written after it. */
static void test_after_finish(void)
{
	struct lc_skb l = frame(1, SK_A, 1000, 2448, 2000, 3000, 20000);
	struct out o = {.t = NULL};

	if (!start(&o))
		return;
	done(&o);
	CHECK_EQ_U64(timeline__skb(o.t, &l), -EINVAL);
	CHECK_EQ_U64(timeline__finish(o.t), -EINVAL);
	end(&o);
}

int main(void)
{
	test_story();
	test_late();
	test_late_frames();
	test_disorder();
	test_absurd();
	test_bounds();
	test_write_error();
	test_after_finish();
	return check_done("timeline");
}
