// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lifecycle.c on traces built in memory, each record as the BPF side emits
 * it (the bpf/ programs), so every scenario reads as the kernel's sequence of
 * events: the tracepoint path this 6.18 host records, the fentry path of
 * 6.1, clones, retransmissions, GSO, drops, address reuse, losses, several
 * CPUs, sockets and threads, and the bounds. Every lifecycle and send()
 * handed out is compared field by field, stages and their times included,
 * and so is the order in which the callbacks came.
 *
 * Each record is handed over in a heap copy of exactly its length, so ASan
 * sees any read past one. With a directory argument the scenarios' record
 * streams are also written there, as tests/fuzz/fuzz_lifecycle.c reads them:
 * `build/tests/test_lifecycle tests/fuzz/corpus/lifecycle` seeds its corpus.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check.h"
#include "userspace/lifecycle.h"

#define T0	 5000000000ULL
#define US(x)	 (T0 + (x)*1000ULL) /* a time x µs after the start */
#define SK_A	 0xffff888003f20000ULL
#define SK_B	 0xffff888003f28000ULL
#define SK_RCV	 0xffff888003f30000ULL			/* the receiving end on loopback */
#define SKB(n)	 (0xffff888104a00000ULL + (n)*0x200ULL) /* a write-queue skb */
#define CLONE(n) (SKB(n) + 0xe8) /* its fclone sibling: what skb_clone returns */
#define HEAD(n)	 (0xffff888120000000ULL + (n)*0x1000ULL)
#define RX_SKB	 0xffff888130000000ULL /* the segment received at tcp_probe */
#define IF_LO	 1
#define IF_ETH	 2
#define HDRS	 66 /* Ethernet, IPv4, TCP with timestamps */
#define SNAP	 66 /* net_dev_start_xmit keeps the linear part: the headers */
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define DATA	 (TCPF_PSH | TCPF_ACK)

/* short names for the stages, so the expected lists stay readable */
#define S_SENDTO   TSEND_STAGE_SYS_SENDTO
#define S_TCPSEND  TSEND_STAGE_TCP_SENDMSG
#define S_LOCKED   TSEND_STAGE_TCP_SENDMSG_LOCKED
#define S_ENTAIL   TSEND_STAGE_TCP_SKB_ENTAIL
#define S_WXMIT	   TSEND_STAGE_TCP_WRITE_XMIT
#define S_TRANSMIT TSEND_STAGE_TCP_TRANSMIT_SKB
#define S_NEWDATA  TSEND_STAGE_TCP_EVENT_NEW_DATA_SENT
#define S_RETRANS  TSEND_STAGE_TCP_RETRANSMIT_SKB
#define S_PROBE	   TSEND_STAGE_TCP_PROBE
#define S_IPQ	   TSEND_STAGE_IP_QUEUE_XMIT
#define S_LOCALOUT TSEND_STAGE_IP_LOCAL_OUT
#define S_FOG	   TSEND_STAGE_IP_FINISH_OUTPUT_GSO
#define S_FO2	   TSEND_STAGE_IP_FINISH_OUTPUT2
#define S_DQX	   TSEND_STAGE_DEV_QUEUE_XMIT
#define S_QUEUE	   TSEND_STAGE_NET_DEV_QUEUE
#define S_ENQ	   TSEND_STAGE_QDISC_ENQUEUE
#define S_DEQ	   TSEND_STAGE_QDISC_DEQUEUE
#define S_START	   TSEND_STAGE_NET_DEV_START_XMIT
#define S_XMIT	   TSEND_STAGE_NET_DEV_XMIT
#define S_CONSUME  TSEND_STAGE_CONSUME_SKB
#define S_KFREE	   TSEND_STAGE_KFREE_SKB

/* ---- the kernel being traced ---- */

/* How a kernel's probes attach: what the records' mech fields say. */
struct kernel {
	__u8 sys_in, sys_out; /* __sys_sendto's entry and exit */
	__u8 locked;	      /* tcp_sendmsg_locked: a tracepoint on 6.18, not on 6.1 */
	__u8 tp;	      /* the tracepoints */
	__s32 ifindex;	      /* the device the frames leave by */
};

/* this host: no fentry (EPERM), raw tracepoints, loopback */
static const struct kernel k618 = {TSEND_MECH_TP, TSEND_MECH_TP, TSEND_MECH_RAW_TP,
				   TSEND_MECH_RAW_TP, IF_LO};
static const struct kernel k61 = {TSEND_MECH_FENTRY, TSEND_MECH_FEXIT, TSEND_MECH_FENTRY,
				  TSEND_MECH_TP_BTF, IF_ETH};

/* One TCP connection as its records show it. */
struct conn {
	__u64 sk;
	struct tsend_flow flow;
	__u32 una; /* snd_una: what the peer acknowledged so far */
};

/* Where a record was taken: the socket, and the task and CPU running. */
struct task {
	struct conn *c;
	__u32 pid, tid;
	__u16 cpu;
	const char *comm;
};

/* One sk_buff as the probes read it. */
struct skbd {
	__u64 addr, head;
	__u32 seq, end_seq; /* TCP_SKB_CB or the header: SYN and FIN included */
	__u8 flags;
	__u16 gso_segs, gso_size;
};

/* A data segment's skb: ACK and PSH set, not GSO. */
static struct skbd data_skb(__u64 addr, __u64 head, __u32 seq, __u32 end_seq)
{
	return (struct skbd){addr, head, seq, end_seq, DATA, 0, 0};
}

static struct conn conn_a, conn_b, conn_rcv;

static void make_conns(void)
{
	conn_a = (struct conn){
		.sk = SK_A,
		.una = 1001,
		.flow = {.family = AF_INET, .protocol = 6, .sport = 40000, .dport = 5201}};
	inet_pton(AF_INET, "127.0.0.1", conn_a.flow.saddr);
	inet_pton(AF_INET, "127.0.0.1", conn_a.flow.daddr);
	conn_b = conn_a;
	conn_b.sk = SK_B;
	conn_b.flow.sport = 40001;
	/* frees on loopback: the receiver owns the skb, the packet is ours */
	conn_rcv = conn_a;
	conn_rcv.sk = SK_RCV;
}

/* ---- the lifecycle under test and what it hands out ---- */

#define KEEP 64 /* lifecycles and sends kept for checking; more are counted */

static struct lifecycle *lc;
static const struct kernel *kern;
static struct lc_skb got_skb[KEEP];
static struct lc_send got_send[KEEP];
static unsigned int nr_skb_done, nr_send_done, nr_frames;
static __u64 skb_why[LC_WHY_MAX], send_why[LC_WHY_MAX];
static char order[2048]; /* "f<skb>/<send> k<skb> s<send> ...": the callbacks */
static int frame_err;	 /* what the frame callback returns */

__attribute__((format(printf, 1, 2))) static void log_order(const char *fmt, ...)
{
	size_t n = strlen(order);
	va_list ap;

	if (n + 48 >= sizeof(order))
		return;
	va_start(ap, fmt);
	vsnprintf(order + n, sizeof(order) - n, fmt, ap);
	va_end(ap);
}

static void on_skb_done(const struct lc_skb *l, void *ctx)
{
	(void)ctx;
	if (nr_skb_done < KEEP)
		got_skb[nr_skb_done] = *l;
	nr_skb_done++;
	if (l->why < LC_WHY_MAX)
		skb_why[l->why]++;
	log_order("k%llu ", (unsigned long long)l->id);
}

static void on_send_done(const struct lc_send *s, void *ctx)
{
	(void)ctx;
	if (nr_send_done < KEEP)
		got_send[nr_send_done] = *s;
	nr_send_done++;
	if (s->why < LC_WHY_MAX)
		send_why[s->why]++;
	log_order("s%llu ", (unsigned long long)s->id);
}

/* The frame is the net_dev_start_xmit record itself, snapped bytes and all. */
static int on_frame(const struct lc_skb *l, const struct lc_send *s, const void *rec, __u32 len,
		    void *ctx)
{
	struct tsend_skb_event e;

	(void)ctx;
	nr_frames++;
	CHECK(len >= sizeof(e));
	memcpy(&e, rec, sizeof(e));
	CHECK_EQ_U64(e.h.stage, S_START);
	CHECK_EQ_U64(e.h.size, len);
	CHECK_EQ_U64(len, sizeof(e) + e.snap_len);
	CHECK_EQ_U64(((const __u8 *)rec)[len - 1], 0x5a);
	CHECK(l->on_wire);
	CHECK(e.h.skb == l->skb || e.h.skb == l->clone);
	CHECK(!s || s->id == l->send_id);
	log_order("f%llu/%llu ", (unsigned long long)l->id, s ? (unsigned long long)s->id : 0ULL);
	return frame_err;
}

static const struct lc_ops ops = {
	.skb_done = on_skb_done, .send_done = on_send_done, .frame = on_frame};

/* ---- the fuzz corpus (tests/fuzz/fuzz_lifecycle.c reads this format) ---- */

/* Which probe table a scenario ran with: fuzz_lifecycle builds the same. */
enum table {
	TBL_NONE,	  /* no probe table: every stage counts as watched */
	TBL_618,	  /* this host's table (tests/data/loopback.header.txt) */
	TBL_618_NOACK,	  /* ... without tcp:tcp_probe and tcp:tcp_retransmit_skb */
	TBL_618_NOXMIT,	  /* ... without net:net_dev_start_xmit (and net_dev_xmit) */
	TBL_618_NOLOCKED, /* ... without tcp:tcp_sendmsg_locked */
	TBL_618_ABI1,	  /* this host's table in a recording of ABI 1 */
	TBL_618_TCP_ACK,  /* ... with tcp_ack by fentry for the ACKs */
};

/* Byte 0 of an input: bits 0-1 the end block, bits 2-4 the probe table. */
enum stats_kind { STATS_NONE, STATS_CLEAN, STATS_LOST, STATS_UNTRACKED };

static const char *corpus_dir;
static const char *corpus_name;
static __u8 *corpus_buf;
static size_t corpus_len, corpus_cap;
static __u8 corpus_table;
static bool corpus_done;

static void corpus_put(const void *p, size_t n)
{
	if (!corpus_name)
		return;
	if (corpus_len + n > corpus_cap) {
		size_t cap = (corpus_len + n) * 2;
		__u8 *b = realloc(corpus_buf, cap);

		if (!b)
			abort();
		corpus_buf = b;
		corpus_cap = cap;
	}
	memcpy(corpus_buf + corpus_len, p, n);
	corpus_len += n;
}

/* opt: the end block, or 0x20 for "freed without finish" */
static void corpus_write(__u8 opt)
{
	char path[512];
	FILE *f;

	opt |= corpus_table << 2;
	if (!corpus_name || !corpus_dir || corpus_done)
		return;
	corpus_done = true;
	snprintf(path, sizeof(path), "%s/%s", corpus_dir, corpus_name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fwrite(&opt, 1, 1, f);
	fwrite(corpus_buf, 1, corpus_len, f);
	fclose(f);
}

/* ---- scenarios: setup and teardown ---- */

static struct trace_meta meta_buf;

/* This host's probe table, less what t leaves out (NULL for TBL_NONE). */
static const struct trace_meta *table(enum table t)
{
	static const struct {
		__u8 stage, mech;
	} rows[] = {
		{S_SENDTO, TSEND_MECH_TP},
		{TSEND_STAGE_SYS_SENDMSG, TSEND_MECH_TP},
		{TSEND_STAGE_SOCK_SENDMSG, TSEND_MECH_RAW_TP},
		{S_LOCKED, TSEND_MECH_RAW_TP},
		{S_RETRANS, TSEND_MECH_RAW_TP},
		{S_PROBE, TSEND_MECH_RAW_TP},
		{S_QUEUE, TSEND_MECH_RAW_TP},
		{S_ENQ, TSEND_MECH_RAW_TP},
		{S_DEQ, TSEND_MECH_RAW_TP},
		{S_START, TSEND_MECH_RAW_TP},
		{S_XMIT, TSEND_MECH_RAW_TP},
		{S_CONSUME, TSEND_MECH_RAW_TP},
		{S_KFREE, TSEND_MECH_RAW_TP},
	};
	struct trace_meta *m = &meta_buf;

	if (t == TBL_NONE)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->abi_version = t == TBL_618_ABI1 ? 1 : TSEND_ABI_VERSION;
	m->nr_cpus = 2;
	/* every stage has a row, as tsend-trace writes it; most are "none" */
	for (unsigned int s = 1; s < TSEND_STAGE_MAX; s++) {
		struct trace_probe *p = &m->probes[m->nr_probes++];

		p->stage = s;
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			if (rows[i].stage == s)
				p->mech = rows[i].mech;
		if (t == TBL_618_TCP_ACK && s == S_PROBE)
			p->mech = TSEND_MECH_FENTRY;
		if ((t == TBL_618_NOACK && (s == S_PROBE || s == S_RETRANS)) ||
		    (t == TBL_618_NOXMIT && (s == S_START || s == S_XMIT)) ||
		    (t == TBL_618_NOLOCKED && s == S_LOCKED))
			p->mech = TSEND_MECH_NONE;
	}
	return m;
}

static void begin(const char *name, const struct kernel *k, enum table t)
{
	lc = lifecycle__new(table(t), &ops);
	CHECK(lc != NULL);
	if (!lc)
		exit(1);
	kern = k;
	nr_skb_done = nr_send_done = nr_frames = 0;
	memset(skb_why, 0, sizeof(skb_why));
	memset(send_why, 0, sizeof(send_why));
	memset(got_skb, 0, sizeof(got_skb));
	memset(got_send, 0, sizeof(got_send));
	order[0] = '\0';
	frame_err = 0;
	corpus_name = corpus_dir ? name : NULL;
	corpus_len = 0;
	corpus_table = t;
	corpus_done = false;
}

/* The recording's end block: nothing lost, records lost, skbs untracked. */
static struct trace_stats stats_buf;

static const struct trace_stats *stats(enum stats_kind k)
{
	memset(&stats_buf, 0, sizeof(stats_buf));
	stats_buf.nr_cpus = 2;
	if (k == STATS_LOST)
		stats_buf.lost[1] = 3;
	if (k == STATS_UNTRACKED)
		stats_buf.untracked[0] = 1;
	return k == STATS_NONE ? NULL : &stats_buf;
}

static void finish(enum stats_kind k)
{
	lifecycle__finish(lc, stats(k));
	corpus_write(k);
}

static void end(void)
{
	corpus_write(0x20);
	lifecycle__free(lc);
	lc = NULL;
}

/* lifecycle__add() on an exact-size heap copy, so ASan sees any overread. */
static int add(const void *rec, __u32 len)
{
	void *copy = malloc(len ? len : 1);
	__u16 pre = len;
	int rc;

	memcpy(copy, rec, len);
	rc = lifecycle__add(lc, copy, len);
	free(copy);
	corpus_put(&pre, sizeof(pre));
	corpus_put(rec, len);
	return rc;
}

/* ---- records, as the bpf/ programs fill them ---- */

static struct tsend_head head(const struct task *t, __u8 stage, __u8 kind, __u8 phase, __u8 mech,
			      __u64 ts, __u64 sk, __u64 skb, __u32 size)
{
	struct tsend_head h = {.ts = ts,
			       .sk = sk,
			       .skb = skb,
			       .pid = t->pid,
			       .tid = t->tid,
			       .size = size,
			       .stage = stage,
			       .kind = kind,
			       .phase = phase,
			       .mech = mech,
			       .cpu = t->cpu};

	snprintf(h.comm, sizeof(h.comm), "%s", t->comm);
	return h;
}

/* send(2) enters: sys_enter_sendto (6.18) or __sys_sendto's fentry (6.1),
 * with the first bytes of the buffer (--payload 16) */
static void send_enter(const struct task *t, __u64 ts, __u64 size)
{
	__u8 buf[sizeof(struct tsend_send_event) + 16];
	__u16 n = size < 16 ? size : 16;
	struct tsend_send_event e = {.flow = t->c->flow, .size = size, .fd = 3, .payload_len = n};

	e.h = head(t, S_SENDTO, TSEND_KIND_SEND, TSEND_PHASE_ENTRY, kern->sys_in, ts, t->c->sk, 0,
		   sizeof(e) + n);
	memcpy(buf, &e, sizeof(e));
	memset(buf + sizeof(e), 'x', n);
	CHECK_EQ_U64(add(buf, sizeof(e) + n), 0);
}

static void send_exit(const struct task *t, __u64 ts, __s64 ret)
{
	struct tsend_send_event e = {.flow = t->c->flow, .ret = ret, .fd = 3};

	e.h = head(t, S_SENDTO, TSEND_KIND_SEND, TSEND_PHASE_EXIT, kern->sys_out, ts, t->c->sk, 0,
		   sizeof(e));
	CHECK_EQ_U64(add(&e, sizeof(e)), 0);
}

/* Socket state at a TCP stage (handle_tcp); size is the bytes handed over:
 * 176, or 168 as ABI 1 wrote it. */
static int tcp_rec(const struct task *t, __u8 stage, __u8 mech, __u64 ts, __u64 skb,
		   __u32 write_seq, const struct skbd *tail, __u32 size)
{
	struct tsend_tcp_event e = {
		.flow = t->c->flow,
		.snd_nxt = write_seq,
		.snd_una = t->c->una,
		.write_seq = write_seq,
		.snd_wnd = 65536,
		.snd_cwnd = 10,
		.mss_cache = 1448,
		.state = 1, /* TCP_ESTABLISHED */
	};

	if (tail) {
		e.skb_seq = tail->seq;
		e.skb_end_seq = tail->end_seq;
		e.skb_len = tail->end_seq - tail->seq;
	}
	e.h = head(t, stage, TSEND_KIND_TCP, TSEND_PHASE_ENTRY, mech, ts, t->c->sk, skb, size);
	return add(&e, size);
}

/* tcp_sendmsg_locked: write_seq is where this send's bytes start; the
 * tracepoint names the write queue's tail skb (NULL: the queue is empty) */
static void locked(const struct task *t, __u64 ts, __u32 write_seq)
{
	CHECK_EQ_U64(tcp_rec(t, S_LOCKED, kern->locked, ts, 0, write_seq, NULL,
			     sizeof(struct tsend_tcp_event)),
		     0);
}

/* ... when the write queue's tail has room: this send's bytes go there first */
static void locked_tail(const struct task *t, __u64 ts, __u32 write_seq, const struct skbd *tail)
{
	CHECK_EQ_U64(tcp_rec(t, S_LOCKED, kern->locked, ts, tail->addr, write_seq, tail,
			     sizeof(struct tsend_tcp_event)),
		     0);
}

/* tcp_sendmsg, tcp_skb_entail, tcp_write_xmit (fentry) */
static void tcp_fn(const struct task *t, __u8 stage, __u64 ts, __u64 skb, __u32 write_seq)
{
	CHECK_EQ_U64(tcp_rec(t, stage, TSEND_MECH_FENTRY, ts, skb, write_seq, NULL,
			     sizeof(struct tsend_tcp_event)),
		     0);
}

/* tcp:tcp_probe: a segment acknowledging up to ack arrives; it fires before
 * the segment is processed, so its snd_una is still the old one */
static void ack(const struct task *t, __u64 ts, __u32 ack_seq)
{
	struct tsend_tcp_event e = {
		.flow = t->c->flow,
		.snd_nxt = ack_seq,
		.snd_una = t->c->una,
		.skb_ack_seq = ack_seq,
		.skb_tcp_flags = TCPF_ACK,
		.state = 1,
	};

	e.h = head(t, S_PROBE, TSEND_KIND_TCP, TSEND_PHASE_ENTRY, kern->tp, ts, t->c->sk, RX_SKB,
		   sizeof(e));
	CHECK_EQ_U64(add(&e, sizeof(e)), 0);
	t->c->una = ack_seq;
}

static bool is_tracepoint(__u8 stage)
{
	return stage == S_QUEUE || stage == S_ENQ || stage == S_DEQ || stage == S_START ||
	       stage == S_XMIT || stage == S_CONSUME || stage == S_KFREE || stage == S_RETRANS;
}

/* skb->len where the stage sees it: headers are pushed on the way down and
 * pulled by the receiver before the free */
static __u32 stage_len(__u8 stage, __u32 payload)
{
	if (stage == S_TRANSMIT || stage == S_NEWDATA || stage == S_RETRANS || stage >= S_CONSUME)
		return payload;
	if (stage == S_IPQ)
		return payload + 32;
	if (stage < S_DQX)
		return payload + 52;
	return payload + HDRS;
}

/* An sk_buff stage (handle_skb); ret: qdisc_dequeue's packets, kfree_skb's
 * reason. net_dev_start_xmit carries the frame's first bytes. */
static int skb_rec(const struct task *t, __u8 stage, __u64 ts, const struct skbd *s, __s32 ret)
{
	__u8 buf[sizeof(struct tsend_skb_event) + SNAP];
	__u32 span = s->end_seq - s->seq;
	__u32 payload = span - !!(s->flags & TCPF_SYN);
	struct tsend_skb_event e = {
		.flow = t->c->flow,
		.head = s->head,
		.len = stage_len(stage, payload),
		.seq = s->seq,
		.end_seq = s->end_seq,
		.ack_seq = 1,
		.gso_size = s->gso_size,
		.gso_segs = s->gso_segs ? s->gso_segs : 1,
		.ifindex = stage >= TSEND_STAGE_IP_OUTPUT && stage != S_RETRANS ? kern->ifindex : 0,
		.ret = ret,
		.tcp_flags = s->flags,
		.seq_valid = 1,
		.snap_len = stage == S_START ? SNAP : 0,
	};
	__u32 size = sizeof(e) + e.snap_len;

	e.h = head(t, stage, TSEND_KIND_SKB, TSEND_PHASE_ENTRY,
		   is_tracepoint(stage) ? kern->tp : TSEND_MECH_FENTRY, ts, t->c->sk, s->addr,
		   size);
	memcpy(buf, &e, sizeof(e));
	memset(buf + sizeof(e), 0x5a, e.snap_len);
	return add(buf, size);
}

static void at(const struct task *t, __u8 stage, __u64 ts, const struct skbd *s)
{
	CHECK_EQ_U64(skb_rec(t, stage, ts, s, 0), 0);
}

static void dev_queue(const struct task *t, __u64 ts, const struct skbd *s)
{
	at(t, S_QUEUE, ts, s);
}

static void start_xmit(const struct task *t, __u64 ts, const struct skbd *s)
{
	at(t, S_START, ts, s);
}

/* net_dev_xmit: only the address, rc and the tracepoint's length and device */
static void dev_xmit(const struct task *t, __u64 ts, const struct skbd *s, int rc)
{
	__u32 span = s->end_seq - s->seq;
	struct tsend_skb_event e = {.len = span + HDRS, .ifindex = kern->ifindex, .ret = rc};

	e.h = head(t, S_XMIT, TSEND_KIND_SKB, TSEND_PHASE_EXIT, kern->tp, ts, 0, s->addr,
		   sizeof(e));
	CHECK_EQ_U64(add(&e, sizeof(e)), 0);
}

static void consume(const struct task *t, __u64 ts, const struct skbd *s)
{
	at(t, S_CONSUME, ts, s);
}

static void kfree_skb(const struct task *t, __u64 ts, const struct skbd *s, int reason)
{
	CHECK_EQ_U64(skb_rec(t, S_KFREE, ts, s, reason), 0);
}

/* ---- expectations ---- */

struct want_stage {
	__u8 stage;
	__u64 ts;
	__u64 skb;
};

/* Every field of a struct lc_skb but flow and comm; what is left out is 0. */
struct want_skb {
	__u64 id, sk, skb, clone, head;
	__u32 pid, tid;
	__u32 seq, end_seq, payload, len;
	__u8 tcp_flags;
	__u16 gso_segs, gso_size;
	__s32 ifindex;
	__u16 queue;
	bool on_wire, retransmit, xmit_rc_valid, freed, dropped, wants_ack;
	__s32 xmit_rc;
	__u32 resent, segments, nr_sends, drop_reason, stages_dropped;
	__u64 parent, send_id, acked_ts;
	__u8 why, missing;
	struct want_stage stages[LC_STAGES_MAX];
};

struct want_send {
	__u64 id, sk;
	__u32 pid, tid;
	__u16 cpu;
	__u8 stage;
	__u64 entry_ts, exit_ts, asked;
	__s64 ret;
	__u32 seq; /* placed iff locked_ts */
	__u64 locked_ts, wire_bytes, resent_bytes, first_wire_ts, last_wire_ts;
	__u32 frames;
	__u64 first_skb, last_skb;
	__u8 why, missing;
	struct want_stage stages[LC_SEND_STAGES_MAX];
};

static void eq(const char *what, unsigned long long id, const char *field, int line,
	       unsigned long long got, unsigned long long want)
{
	check_count++;
	if (got == want)
		return;
	check_failures++;
	fprintf(stderr, "%s:%d: %s %llu: %s is %llu (%#llx), want %llu (%#llx)\n", __FILE__, line,
		what, id, field, got, got, want, want);
}

#define EQ(f) eq(what, w->id, #f, line, (unsigned long long)(got->f), (unsigned long long)(w->f))

static void eq_stages(const char *what, __u64 id, int line, const struct lc_stage *got, __u32 nr,
		      const struct want_stage *w, __u32 max)
{
	__u32 n = 0;

	while (n < max && w[n].stage)
		n++;
	eq(what, id, "nr_stages", line, nr, n);
	for (__u32 i = 0; i < n && i < nr; i++) {
		char f[32];

		snprintf(f, sizeof(f), "stages[%u].stage", i);
		eq(what, id, f, line, got[i].stage, w[i].stage);
		snprintf(f, sizeof(f), "stages[%u].ts", i);
		eq(what, id, f, line, got[i].ts, w[i].ts);
		snprintf(f, sizeof(f), "stages[%u].skb", i);
		eq(what, id, f, line, got[i].skb, w[i].skb);
	}
}

/* The lifecycle handed out with w's id, exactly once, is w. */
static void expect_skb(const struct want_skb *w, int line)
{
	const char *what = "skb";
	const struct lc_skb *got = NULL;
	unsigned int seen = 0;

	for (unsigned int i = 0; i < nr_skb_done && i < KEEP; i++) {
		if (got_skb[i].id == w->id) {
			got = &got_skb[i];
			seen++;
		}
	}
	eq(what, w->id, "times handed out", line, seen, 1);
	if (!got)
		return;
	EQ(sk);
	EQ(skb);
	EQ(clone);
	EQ(head);
	EQ(pid);
	EQ(tid);
	eq(what, w->id, "seq_valid", line, got->seq_valid, w->end_seq != 0);
	EQ(seq);
	EQ(end_seq);
	EQ(payload);
	EQ(len);
	EQ(tcp_flags);
	EQ(gso_segs);
	EQ(gso_size);
	EQ(ifindex);
	EQ(queue);
	EQ(on_wire);
	EQ(retransmit);
	EQ(resent);
	EQ(parent);
	EQ(segments);
	EQ(send_id);
	EQ(nr_sends);
	EQ(xmit_rc_valid);
	EQ(xmit_rc);
	EQ(freed);
	EQ(dropped);
	EQ(drop_reason);
	EQ(wants_ack);
	EQ(acked_ts);
	EQ(why);
	EQ(missing);
	EQ(stages_dropped);
	eq_stages(what, w->id, line, got->stages, got->nr_stages, w->stages, LC_STAGES_MAX);
	eq(what, w->id, "flow.family", line, got->flow.family, AF_INET);
}

static void expect_send(const struct want_send *w, int line)
{
	const char *what = "send";
	const struct lc_send *got = NULL;
	unsigned int seen = 0;

	for (unsigned int i = 0; i < nr_send_done && i < KEEP; i++) {
		if (got_send[i].id == w->id) {
			got = &got_send[i];
			seen++;
		}
	}
	eq(what, w->id, "times handed out", line, seen, 1);
	if (!got)
		return;
	EQ(sk);
	EQ(pid);
	EQ(tid);
	EQ(cpu);
	EQ(stage);
	EQ(entry_ts);
	EQ(exit_ts);
	EQ(asked);
	EQ(ret);
	eq(what, w->id, "seq_valid", line, got->seq_valid, w->locked_ts != 0);
	EQ(seq);
	EQ(locked_ts);
	EQ(wire_bytes);
	EQ(resent_bytes);
	EQ(first_wire_ts);
	EQ(last_wire_ts);
	EQ(frames);
	EQ(first_skb);
	EQ(last_skb);
	EQ(why);
	EQ(missing);
	eq_stages(what, w->id, line, got->stages, got->nr_stages, w->stages, LC_SEND_STAGES_MAX);
	eq(what, w->id, "flow.family", line, got->flow.family, AF_INET);
}

#define EXPECT_SKB(...)	 expect_skb(&(const struct want_skb){__VA_ARGS__}, __LINE__)
#define EXPECT_SEND(...) expect_send(&(const struct want_send){__VA_ARGS__}, __LINE__)

/* The callbacks, in the order they came. */
#define EXPECT_ORDER(s)                                                                            \
	do {                                                                                       \
		check_count++;                                                                     \
		if (strcmp(order, s)) {                                                            \
			check_failures++;                                                          \
			fprintf(stderr, "%s:%d: callbacks \"%s\", want \"%s\"\n", __FILE__,        \
				__LINE__, order, s);                                               \
		}                                                                                  \
	} while (0)

static void expect_counts(__u64 records, __u64 malformed, __u64 skbs, __u64 sends,
			  __u64 skbs_incomplete, __u64 sends_incomplete, __u64 untraced)
{
	const struct lc_counts *c = lifecycle__counts(lc);

	CHECK_EQ_U64(c->records, records);
	CHECK_EQ_U64(c->malformed, malformed);
	CHECK_EQ_U64(c->skbs, skbs);
	CHECK_EQ_U64(c->sends, sends);
	CHECK_EQ_U64(c->skbs_incomplete, skbs_incomplete);
	CHECK_EQ_U64(c->sends_incomplete, sends_incomplete);
	CHECK_EQ_U64(c->untraced_bytes, untraced);
	CHECK_EQ_U64(c->skbs, nr_skb_done);
	CHECK_EQ_U64(c->sends, nr_send_done);
}

/* the fields every loopback data frame of these scenarios shares */
#define LO_FRAME(n)                                                                                \
	.sk = SK_A, .skb = CLONE(n), .head = HEAD(n), .tcp_flags = DATA, .gso_segs = 1,            \
	.ifindex = IF_LO

static struct task app = {&conn_a, 4242, 4242, 0, "iperf3"};
static struct task rcv = {&conn_rcv, 4300, 4300, 1, "server"}; /* reads, frees */
static struct task peer = {&conn_a, 4300, 4300, 1, "server"};  /* its ACKs reach conn_a */

/* ---- 1. the 6.18 tracepoint path ---- */

/*
 * What this host records for one send(): only tracepoints, so the write-
 * queue original is never seen; the clone shows up at net_dev_queue. The
 * frame goes on the wire inside send() (tcp_push), the peer's ACK comes
 * back on loopback, and the receiver frees the clone once it read it.
 */
static void test_tp_path(void)
{
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);

	conn_a.una = 1001;
	begin("tp_path", &k618, TBL_618);
	send_enter(&app, US(0), 1000);
	locked(&app, US(2), 1001);
	dev_queue(&app, US(5), &f1);
	start_xmit(&app, US(7), &f1);
	dev_xmit(&app, US(8), &f1, 0);
	ack(&peer, US(40), 2001);
	consume(&rcv, US(41), &f1);
	send_exit(&app, US(50), 1000);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f1/1 k1 s1 ");
	EXPECT_SKB(.id = 1, LO_FRAME(1), .pid = 4242, .tid = 4242, .seq = 1001, .end_seq = 2001,
		   .payload = 1000, .len = 1000 + HDRS, .on_wire = true, .xmit_rc_valid = true,
		   .freed = true, .wants_ack = true, .acked_ts = US(40), .send_id = 1,
		   .nr_sends = 1,
		   .stages = {{S_QUEUE, US(5), CLONE(1)},
			      {S_START, US(7), CLONE(1)},
			      {S_XMIT, US(8), CLONE(1)},
			      {S_CONSUME, US(41), CLONE(1)}});
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(50), .asked = 1000, .ret = 1000, .seq = 1001,
		    .locked_ts = US(2), .wire_bytes = 1000, .first_wire_ts = US(7),
		    .last_wire_ts = US(7), .frames = 1, .first_skb = 1, .last_skb = 1,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(2), 0}, {S_SENDTO, US(50), 0}});
	expect_counts(8, 0, 1, 1, 0, 0, 0);
	CHECK_EQ_U64(nr_frames, 1);
	CHECK_EQ_U64(lifecycle__counts(lc)->frees_unmatched, 0);
	CHECK_EQ_U64(lifecycle__counts(lc)->evicted, 0);
	end();
}

/*
 * Loopback hands the frame to the receiver inside the driver: another CPU
 * may free it before net_dev_xmit fires on this one. The lifecycle waits
 * for net_dev_xmit, which still names the freed address, then for the ACK.
 */
static void test_tp_free_before_xmit(void)
{
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);

	conn_a.una = 1001;
	begin("tp_free_before_xmit", &k618, TBL_618);
	send_enter(&app, US(0), 1000);
	locked(&app, US(2), 1001);
	dev_queue(&app, US(5), &f1);
	start_xmit(&app, US(7), &f1);
	consume(&rcv, US(8), &f1); /* CPU 1 */
	dev_xmit(&app, US(9), &f1, 0);
	send_exit(&app, US(10), 1000);
	ack(&peer, US(40), 2001);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f1/1 s1 k1 ");
	EXPECT_SKB(.id = 1, LO_FRAME(1), .pid = 4242, .tid = 4242, .seq = 1001, .end_seq = 2001,
		   .payload = 1000, .len = 1000 + HDRS, .on_wire = true, .xmit_rc_valid = true,
		   .freed = true, .wants_ack = true, .acked_ts = US(40), .send_id = 1,
		   .nr_sends = 1,
		   .stages = {{S_QUEUE, US(5), CLONE(1)},
			      {S_START, US(7), CLONE(1)},
			      {S_CONSUME, US(8), CLONE(1)},
			      {S_XMIT, US(9), CLONE(1)}});
	CHECK_EQ_U64(got_skb[0].stages[2].cpu, 1);
	CHECK_EQ_U64(got_skb[0].stages[3].cpu, 0);
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(10), .asked = 1000, .ret = 1000, .seq = 1001,
		    .locked_ts = US(2), .wire_bytes = 1000, .first_wire_ts = US(7),
		    .last_wire_ts = US(7), .frames = 1, .first_skb = 1, .last_skb = 1,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(2), 0}, {S_SENDTO, US(10), 0}});
	expect_counts(8, 0, 1, 1, 0, 0, 0);
	end();
}

/*
 * send() returns once its bytes are in the write queue; the frame leaves
 * later (Nagle, cwnd), from softirq on another CPU: the send() completes at
 * that frame, not at its exit.
 */
static void test_tp_send_returns_first(void)
{
	struct task softirq = {&conn_a, 0, 0, 1, "swapper/1"};
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);

	conn_a.una = 1001;
	begin("tp_send_returns_first", &k618, TBL_618);
	send_enter(&app, US(0), 1000);
	locked(&app, US(2), 1001);
	send_exit(&app, US(3), 1000);
	dev_queue(&softirq, US(100), &f1);
	start_xmit(&softirq, US(101), &f1);
	dev_xmit(&softirq, US(102), &f1, 0);
	ack(&peer, US(140), 2001);
	consume(&rcv, US(141), &f1);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f1/1 s1 k1 ");
	EXPECT_SKB(.id = 1, LO_FRAME(1), .seq = 1001, .end_seq = 2001, .payload = 1000,
		   .len = 1000 + HDRS, .on_wire = true, .xmit_rc_valid = true, .freed = true,
		   .wants_ack = true, .acked_ts = US(140), .send_id = 1, .nr_sends = 1,
		   .stages = {{S_QUEUE, US(100), CLONE(1)},
			      {S_START, US(101), CLONE(1)},
			      {S_XMIT, US(102), CLONE(1)},
			      {S_CONSUME, US(141), CLONE(1)}});
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(3), .asked = 1000, .ret = 1000, .seq = 1001,
		    .locked_ts = US(2), .wire_bytes = 1000, .first_wire_ts = US(101),
		    .last_wire_ts = US(101), .frames = 1, .first_skb = 1, .last_skb = 1,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(2), 0}, {S_SENDTO, US(3), 0}});
	expect_counts(8, 0, 1, 1, 0, 0, 0);
	end();
}

/* The frame callback's error comes back from lifecycle__add; the rest of
 * the record is still taken into account. */
static void test_frame_error(void)
{
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);

	conn_a.una = 1001;
	begin("frame_error", &k618, TBL_618);
	send_enter(&app, US(0), 1000);
	locked(&app, US(2), 1001);
	dev_queue(&app, US(5), &f1);
	frame_err = -EIO;
	CHECK_EQ_U64(skb_rec(&app, S_START, US(7), &f1, 0), -EIO);
	frame_err = 0;
	send_exit(&app, US(8), 1000);
	EXPECT_ORDER("f1/1 s1 ");
	CHECK_EQ_U64(got_send[0].wire_bytes, 1000);
	end();
}

/*
 * The driver returns NETDEV_TX_BUSY: the qdisc requeues the frame and hands
 * it over again. Both attempts are stages of one lifecycle, the frame
 * callback sees both, and the return code kept is the last one.
 */
static void test_requeue(void)
{
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);

	conn_a.una = 1001;
	begin("requeue", &k618, TBL_618);
	send_enter(&app, US(0), 1000);
	locked(&app, US(1), 1001);
	dev_queue(&app, US(2), &f1);
	start_xmit(&app, US(3), &f1);
	dev_xmit(&app, US(4), &f1, 0x10); /* NETDEV_TX_BUSY */
	CHECK_EQ_U64(skb_rec(&app, S_DEQ, US(5), &f1, 1), 0);
	start_xmit(&app, US(6), &f1);
	dev_xmit(&app, US(7), &f1, 0);
	send_exit(&app, US(8), 1000);
	consume(&rcv, US(9), &f1);
	ack(&peer, US(10), 2001);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f1/1 f1/0 s1 k1 ");
	EXPECT_SKB(.id = 1, LO_FRAME(1), .pid = 4242, .tid = 4242, .seq = 1001, .end_seq = 2001,
		   .payload = 1000, .len = 1000 + HDRS, .on_wire = true, .xmit_rc_valid = true,
		   .freed = true, .wants_ack = true, .acked_ts = US(10), .send_id = 1,
		   .nr_sends = 1,
		   .stages = {{S_QUEUE, US(2), CLONE(1)},
			      {S_START, US(3), CLONE(1)},
			      {S_XMIT, US(4), CLONE(1)},
			      {S_DEQ, US(5), CLONE(1)},
			      {S_START, US(6), CLONE(1)},
			      {S_XMIT, US(7), CLONE(1)},
			      {S_CONSUME, US(9), CLONE(1)}});
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(8), .asked = 1000, .ret = 1000, .seq = 1001,
		    .locked_ts = US(1), .wire_bytes = 1000, .first_wire_ts = US(3),
		    .last_wire_ts = US(3), .frames = 1, .first_skb = 1, .last_skb = 1,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(1), 0}, {S_SENDTO, US(8), 0}});
	expect_counts(11, 0, 1, 1, 0, 0, 0);
	end();
}

/* ---- 2. the fentry path (6.1) ---- */

/*
 * With fentry, __tcp_transmit_skb shows the write-queue original A; the
 * clone C it sends (same head) is seen from __ip_queue_xmit on. One
 * lifecycle: skb A, clone C. The ACK of the first frame comes before its
 * clone is freed at TX completion, which ends it. The second frame's ACK
 * never comes: at the RTO, __tcp_transmit_skb(A2) again starts a new
 * lifecycle, a retransmission of all its bytes, and tcp_retransmit_skb
 * (fired once the transmit returned) marks it as well.
 */
static void test_fentry_path(void)
{
	struct task txc = {&conn_a, 0, 0, 0, "swapper/0"};   /* TX completion */
	struct task timer = {&conn_a, 0, 0, 2, "swapper/2"}; /* the RTO */
	struct skbd a1 = data_skb(SKB(1), HEAD(1), 1001, 2001);
	struct skbd c1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);
	struct skbd a2 = data_skb(SKB(2), HEAD(2), 2001, 3001);
	struct skbd c2 = data_skb(CLONE(2), HEAD(2), 2001, 3001);
	const struct lc_send *s;

	conn_a.una = 1001;
	begin("fentry_path", &k61, TBL_NONE);
	send_enter(&app, US(0), 2000);
	tcp_fn(&app, S_TCPSEND, US(1), 0, 1001);
	locked(&app, US(2), 1001);
	tcp_fn(&app, S_ENTAIL, US(3), SKB(1), 1001);
	tcp_fn(&app, S_ENTAIL, US(4), SKB(2), 2001);
	tcp_fn(&app, S_WXMIT, US(5), 0, 3001);
	at(&app, S_TRANSMIT, US(6), &a1);
	at(&app, S_IPQ, US(7), &c1);
	at(&app, S_LOCALOUT, US(8), &c1);
	at(&app, S_FO2, US(9), &c1);
	at(&app, S_DQX, US(10), &c1);
	dev_queue(&app, US(11), &c1);
	start_xmit(&app, US(12), &c1);
	dev_xmit(&app, US(13), &c1, 0);
	at(&app, S_NEWDATA, US(14), &a1);
	at(&app, S_TRANSMIT, US(15), &a2);
	at(&app, S_IPQ, US(16), &c2);
	dev_queue(&app, US(17), &c2);
	start_xmit(&app, US(18), &c2);
	dev_xmit(&app, US(19), &c2, 0);
	at(&app, S_NEWDATA, US(20), &a2);
	send_exit(&app, US(21), 2000);
	ack(&txc, US(25), 2001);
	consume(&txc, US(30), &c1);
	consume(&txc, US(31), &c2);
	/* the RTO: the same fclone pair goes down again */
	at(&timer, S_TRANSMIT, US(200000), &a2);
	at(&timer, S_IPQ, US(200001), &c2);
	dev_queue(&timer, US(200002), &c2);
	start_xmit(&timer, US(200003), &c2);
	dev_xmit(&timer, US(200004), &c2, 0);
	at(&timer, S_RETRANS, US(200005), &a2);
	consume(&txc, US(200010), &c2);
	ack(&txc, US(200100), 3001);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f1/1 f2/1 s1 k1 f3/0 k2 k3 ");
	EXPECT_SKB(.id = 1, .sk = SK_A, .skb = SKB(1), .clone = CLONE(1), .head = HEAD(1),
		   .pid = 4242, .tid = 4242, .seq = 1001, .end_seq = 2001, .payload = 1000,
		   .len = 1000 + HDRS, .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_ETH,
		   .on_wire = true, .xmit_rc_valid = true, .freed = true, .wants_ack = true,
		   .acked_ts = US(25), .send_id = 1, .nr_sends = 1,
		   .stages = {{S_TRANSMIT, US(6), SKB(1)},
			      {S_IPQ, US(7), CLONE(1)},
			      {S_LOCALOUT, US(8), CLONE(1)},
			      {S_FO2, US(9), CLONE(1)},
			      {S_DQX, US(10), CLONE(1)},
			      {S_QUEUE, US(11), CLONE(1)},
			      {S_START, US(12), CLONE(1)},
			      {S_XMIT, US(13), CLONE(1)},
			      {S_NEWDATA, US(14), SKB(1)},
			      {S_CONSUME, US(30), CLONE(1)}});
	EXPECT_SKB(.id = 2, .sk = SK_A, .skb = SKB(2), .clone = CLONE(2), .head = HEAD(2),
		   .pid = 4242, .tid = 4242, .seq = 2001, .end_seq = 3001, .payload = 1000,
		   .len = 1000 + HDRS, .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_ETH,
		   .on_wire = true, .xmit_rc_valid = true, .freed = true, .wants_ack = true,
		   .acked_ts = US(200100), .send_id = 1, .nr_sends = 1,
		   .stages = {{S_TRANSMIT, US(15), SKB(2)},
			      {S_IPQ, US(16), CLONE(2)},
			      {S_QUEUE, US(17), CLONE(2)},
			      {S_START, US(18), CLONE(2)},
			      {S_XMIT, US(19), CLONE(2)},
			      {S_NEWDATA, US(20), SKB(2)},
			      {S_CONSUME, US(31), CLONE(2)}});
	/* the retransmission: its send() was complete already, none is named */
	EXPECT_SKB(.id = 3, .sk = SK_A, .skb = SKB(2), .clone = CLONE(2), .head = HEAD(2),
		   .seq = 2001, .end_seq = 3001, .payload = 1000, .len = 1000 + HDRS,
		   .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_ETH, .on_wire = true,
		   .retransmit = true, .resent = 1000, .xmit_rc_valid = true, .freed = true,
		   .wants_ack = true, .acked_ts = US(200100),
		   .stages = {{S_TRANSMIT, US(200000), SKB(2)},
			      {S_IPQ, US(200001), CLONE(2)},
			      {S_QUEUE, US(200002), CLONE(2)},
			      {S_START, US(200003), CLONE(2)},
			      {S_XMIT, US(200004), CLONE(2)},
			      {S_RETRANS, US(200005), SKB(2)},
			      {S_CONSUME, US(200010), CLONE(2)}});
	CHECK_EQ_U64(got_skb[2].stages[0].cpu, 2);
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(21), .asked = 2000, .ret = 2000, .seq = 1001,
		    .locked_ts = US(2), .wire_bytes = 2000, .first_wire_ts = US(12),
		    .last_wire_ts = US(18), .frames = 2, .first_skb = 1, .last_skb = 2,
		    .stages = {{S_SENDTO, US(0), 0},
			       {S_TCPSEND, US(1), 0},
			       {S_LOCKED, US(2), 0},
			       {S_ENTAIL, US(3), SKB(1)},
			       {S_ENTAIL, US(4), SKB(2)},
			       {S_WXMIT, US(5), 0},
			       {S_SENDTO, US(21), 0}});
	/* the write-queue skbs it copied into, and where they started */
	s = &got_send[0];
	CHECK_EQ_U64(s->nr_wq, 2);
	CHECK(s->wq[0].skb == SKB(1) && s->wq[0].seq == 1001 && s->wq[0].end_seq == 1001);
	CHECK(s->wq[1].skb == SKB(2) && s->wq[1].seq == 2001 && s->wq[1].end_seq == 2001);
	expect_counts(33, 0, 3, 1, 0, 0, 0);
	end();
}

/*
 * The retransmission as tcp_retransmit_skb alone tells it: the frame's
 * bytes were never seen on the wire (its first transmission was dropped at
 * the qdisc), so only the tracepoint marks it; nothing of it is "resent".
 */
static void test_retransmit_tracepoint_only(void)
{
	struct task timer = {&conn_a, 0, 0, 2, "swapper/2"};
	struct skbd a1 = data_skb(SKB(1), HEAD(1), 1001, 2001);
	struct skbd c1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);

	conn_a.una = 1001;
	begin("retransmit_tracepoint_only", &k61, TBL_NONE);
	send_enter(&app, US(0), 1000);
	locked(&app, US(2), 1001);
	at(&app, S_TRANSMIT, US(3), &a1);
	at(&app, S_IPQ, US(4), &c1);
	kfree_skb(&app, US(5), &c1, 7); /* e.g. a full qdisc */
	send_exit(&app, US(6), 1000);
	at(&timer, S_TRANSMIT, US(1000), &a1);
	at(&timer, S_IPQ, US(1001), &c1);
	start_xmit(&timer, US(1002), &c1);
	dev_xmit(&timer, US(1003), &c1, 0);
	at(&timer, S_RETRANS, US(1004), &a1);
	consume(&timer, US(1005), &c1);
	ack(&timer, US(1100), 2001);
	finish(STATS_CLEAN);

	EXPECT_ORDER("k1 f2/1 s1 k2 ");
	EXPECT_SKB(.id = 1, .sk = SK_A, .skb = SKB(1), .clone = CLONE(1), .head = HEAD(1),
		   .pid = 4242, .tid = 4242, .seq = 1001, .end_seq = 2001, .payload = 1000,
		   .len = 1032, .tcp_flags = DATA, .gso_segs = 1, .freed = true, .dropped = true,
		   .drop_reason = 7, .ifindex = IF_ETH,
		   .stages = {{S_TRANSMIT, US(3), SKB(1)},
			      {S_IPQ, US(4), CLONE(1)},
			      {S_KFREE, US(5), CLONE(1)}});
	EXPECT_SKB(.id = 2, .sk = SK_A, .skb = SKB(1), .clone = CLONE(1), .head = HEAD(1),
		   .seq = 1001, .end_seq = 2001, .payload = 1000, .len = 1000 + HDRS,
		   .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_ETH, .on_wire = true,
		   .retransmit = true, .xmit_rc_valid = true, .freed = true, .wants_ack = true,
		   .acked_ts = US(1100), .send_id = 1, .nr_sends = 1,
		   .stages = {{S_TRANSMIT, US(1000), SKB(1)},
			      {S_IPQ, US(1001), CLONE(1)},
			      {S_START, US(1002), CLONE(1)},
			      {S_XMIT, US(1003), CLONE(1)},
			      {S_RETRANS, US(1004), SKB(1)},
			      {S_CONSUME, US(1005), CLONE(1)}});
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(6), .asked = 1000, .ret = 1000, .seq = 1001,
		    .locked_ts = US(2), .wire_bytes = 1000, .first_wire_ts = US(1002),
		    .last_wire_ts = US(1002), .frames = 1, .first_skb = 2, .last_skb = 2,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(2), 0}, {S_SENDTO, US(6), 0}});
	expect_counts(13, 0, 2, 1, 0, 0, 0);
	end();
}

/*
 * The clone's consume_skb is lost, then the RTO sends the original again:
 * skb_clone hands out the same fclone slot, which proves the old clone was
 * freed. The old lifecycle ends there, missing its free; the clone's
 * records from then on are the retransmission's.
 */
static void test_retransmit_lost_free(void)
{
	struct task timer = {&conn_a, 0, 0, 2, "swapper/2"};
	struct skbd a1 = data_skb(SKB(1), HEAD(1), 1001, 2001);
	struct skbd c1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);

	conn_a.una = 1001;
	begin("retransmit_lost_free", &k61, TBL_NONE);
	at(&app, S_TRANSMIT, US(1), &a1);
	at(&app, S_IPQ, US(2), &c1);
	start_xmit(&app, US(3), &c1);
	dev_xmit(&app, US(4), &c1, 0);
	at(&timer, S_TRANSMIT, US(1000), &a1);
	at(&timer, S_IPQ, US(1001), &c1);
	start_xmit(&timer, US(1002), &c1);
	dev_xmit(&timer, US(1003), &c1, 0);
	consume(&timer, US(1004), &c1);
	ack(&timer, US(1100), 2001);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f1/0 k1 f2/0 k2 ");
	EXPECT_SKB(.id = 1, .sk = SK_A, .skb = SKB(1), .clone = CLONE(1), .head = HEAD(1),
		   .pid = 4242, .tid = 4242, .seq = 1001, .end_seq = 2001, .payload = 1000,
		   .len = 1000 + HDRS, .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_ETH,
		   .on_wire = true, .xmit_rc_valid = true, .wants_ack = true, .why = LC_WHY_UNSEEN,
		   .missing = S_CONSUME,
		   .stages = {{S_TRANSMIT, US(1), SKB(1)},
			      {S_IPQ, US(2), CLONE(1)},
			      {S_START, US(3), CLONE(1)},
			      {S_XMIT, US(4), CLONE(1)}});
	EXPECT_SKB(.id = 2, .sk = SK_A, .skb = SKB(1), .clone = CLONE(1), .head = HEAD(1),
		   .seq = 1001, .end_seq = 2001, .payload = 1000, .len = 1000 + HDRS,
		   .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_ETH, .on_wire = true,
		   .retransmit = true, .resent = 1000, .xmit_rc_valid = true, .freed = true,
		   .wants_ack = true, .acked_ts = US(1100),
		   .stages = {{S_TRANSMIT, US(1000), SKB(1)},
			      {S_IPQ, US(1001), CLONE(1)},
			      {S_START, US(1002), CLONE(1)},
			      {S_XMIT, US(1003), CLONE(1)},
			      {S_CONSUME, US(1004), CLONE(1)}});
	/* no send() was traced: the first transmission's bytes are nobody's */
	expect_counts(10, 0, 2, 0, 1, 0, 1000);
	end();
}

/* ---- 3. address reuse ---- */

/*
 * Slab reuse: the address of a freed skb comes back with the next frame
 * (a new lifecycle), and later it comes back although its free was never
 * recorded (a new head): the old lifecycle ends there, missing its free.
 */
static void test_address_reuse(void)
{
	struct skbd x1 = data_skb(SKB(7), HEAD(1), 1001, 2001);
	struct skbd x2 = data_skb(SKB(7), HEAD(2), 2001, 3001);
	struct skbd x3 = data_skb(SKB(7), HEAD(3), 3001, 4001);

	conn_a.una = 1001;
	begin("address_reuse", &k618, TBL_618);
	send_enter(&app, US(0), 2000);
	locked(&app, US(1), 1001);
	dev_queue(&app, US(2), &x1);
	start_xmit(&app, US(3), &x1);
	dev_xmit(&app, US(4), &x1, 0);
	ack(&peer, US(5), 2001);
	consume(&rcv, US(6), &x1);
	dev_queue(&app, US(7), &x2); /* the same address, a new skb */
	start_xmit(&app, US(8), &x2);
	dev_xmit(&app, US(9), &x2, 0);
	send_exit(&app, US(10), 2000);
	ack(&peer, US(11), 3001);
	/* x2's consume_skb is lost; its address comes back with a new head */
	send_enter(&app, US(20), 1000);
	locked(&app, US(21), 3001);
	dev_queue(&app, US(22), &x3);
	start_xmit(&app, US(23), &x3);
	dev_xmit(&app, US(24), &x3, 0);
	ack(&peer, US(25), 4001);
	consume(&rcv, US(26), &x3);
	send_exit(&app, US(27), 1000);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f1/1 k1 f2/1 s1 k2 f3/2 k3 s2 ");
	EXPECT_SKB(.id = 1, .sk = SK_A, .skb = SKB(7), .head = HEAD(1), .pid = 4242, .tid = 4242,
		   .seq = 1001, .end_seq = 2001, .payload = 1000, .len = 1000 + HDRS,
		   .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_LO, .on_wire = true,
		   .xmit_rc_valid = true, .freed = true, .wants_ack = true, .acked_ts = US(5),
		   .send_id = 1, .nr_sends = 1,
		   .stages = {{S_QUEUE, US(2), SKB(7)},
			      {S_START, US(3), SKB(7)},
			      {S_XMIT, US(4), SKB(7)},
			      {S_CONSUME, US(6), SKB(7)}});
	EXPECT_SKB(.id = 2, .sk = SK_A, .skb = SKB(7), .head = HEAD(2), .pid = 4242, .tid = 4242,
		   .seq = 2001, .end_seq = 3001, .payload = 1000, .len = 1000 + HDRS,
		   .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_LO, .on_wire = true,
		   .xmit_rc_valid = true, .wants_ack = true, .acked_ts = US(11), .send_id = 1,
		   .nr_sends = 1, .why = LC_WHY_UNSEEN, .missing = S_CONSUME,
		   .stages = {{S_QUEUE, US(7), SKB(7)},
			      {S_START, US(8), SKB(7)},
			      {S_XMIT, US(9), SKB(7)}});
	EXPECT_SKB(.id = 3, .sk = SK_A, .skb = SKB(7), .head = HEAD(3), .pid = 4242, .tid = 4242,
		   .seq = 3001, .end_seq = 4001, .payload = 1000, .len = 1000 + HDRS,
		   .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_LO, .on_wire = true,
		   .xmit_rc_valid = true, .freed = true, .wants_ack = true, .acked_ts = US(25),
		   .send_id = 2, .nr_sends = 1,
		   .stages = {{S_QUEUE, US(22), SKB(7)},
			      {S_START, US(23), SKB(7)},
			      {S_XMIT, US(24), SKB(7)},
			      {S_CONSUME, US(26), SKB(7)}});
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(10), .asked = 2000, .ret = 2000, .seq = 1001,
		    .locked_ts = US(1), .wire_bytes = 2000, .first_wire_ts = US(3),
		    .last_wire_ts = US(8), .frames = 2, .first_skb = 1, .last_skb = 2,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(1), 0}, {S_SENDTO, US(10), 0}});
	EXPECT_SEND(.id = 2, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(20), .exit_ts = US(27), .asked = 1000, .ret = 1000, .seq = 3001,
		    .locked_ts = US(21), .wire_bytes = 1000, .first_wire_ts = US(23),
		    .last_wire_ts = US(23), .frames = 1, .first_skb = 3, .last_skb = 3,
		    .stages = {
			    {S_SENDTO, US(20), 0}, {S_LOCKED, US(21), 0}, {S_SENDTO, US(27), 0}});
	expect_counts(20, 0, 3, 2, 1, 0, 0);
	end();
}

/* ---- 4. GSO ---- */

/*
 * A super-packet of 3 MSS for a device without TSO: queued whole, then
 * validate_xmit_skb cuts it into 3 segments (new skbs, new heads) and frees
 * it before they reach the driver. Each segment's parent is the super; the
 * super never goes on the wire but is complete, with 3 segments; the send's
 * bytes are counted once, by the segments.
 */
static void gso(bool free_late)
{
	struct skbd sup = {CLONE(1), HEAD(1), 1001, 1001 + 3 * 1448, DATA, 3, 1448};
	struct skbd g[3];

	for (int i = 0; i < 3; i++)
		g[i] = data_skb(SKB(10 + i), HEAD(10 + i), 1001 + i * 1448, 1001 + (i + 1) * 1448);
	conn_a.una = 1001;
	begin(free_late ? "gso_free_late" : "gso", &k618, TBL_618);
	send_enter(&app, US(0), 3 * 1448);
	locked(&app, US(1), 1001);
	dev_queue(&app, US(2), &sup);
	at(&app, S_ENQ, US(3), &sup);
	CHECK_EQ_U64(skb_rec(&app, S_DEQ, US(4), &sup, 1), 0);
	if (!free_late)
		consume(&app, US(5), &sup);
	for (int i = 0; i < 3; i++) {
		start_xmit(&app, US(6 + 2 * i), &g[i]);
		dev_xmit(&app, US(7 + 2 * i), &g[i], 0);
	}
	if (free_late)
		consume(&app, US(12), &sup);
	send_exit(&app, US(13), 3 * 1448);
	for (int i = 0; i < 3; i++)
		consume(&rcv, US(20 + i), &g[i]);
	ack(&peer, US(50), 1001 + 3 * 1448);
	finish(STATS_CLEAN);

	EXPECT_ORDER(free_late ? "f2/1 f3/1 f4/1 k1 s1 k2 k3 k4 "
			       : "f2/1 f3/1 k1 f4/1 s1 k2 k3 k4 ");
	EXPECT_SKB(.id = 1, .sk = SK_A, .skb = CLONE(1), .head = HEAD(1), .pid = 4242, .tid = 4242,
		   .seq = 1001, .end_seq = 1001 + 3 * 1448, .payload = 3 * 1448,
		   .len = 3 * 1448 + HDRS, .tcp_flags = DATA, .gso_segs = 3, .gso_size = 1448,
		   .ifindex = IF_LO, .segments = 3, .freed = true,
		   .stages = {{S_QUEUE, US(2), CLONE(1)},
			      {S_ENQ, US(3), CLONE(1)},
			      {S_DEQ, US(4), CLONE(1)},
			      {S_CONSUME, free_late ? US(12) : US(5), CLONE(1)}});
	for (int i = 0; i < 3; i++)
		EXPECT_SKB(.id = 2 + i, .sk = SK_A, .skb = SKB(10 + i), .head = HEAD(10 + i),
			   .pid = 4242, .tid = 4242, .seq = 1001 + i * 1448,
			   .end_seq = 1001 + (i + 1) * 1448, .payload = 1448, .len = 1448 + HDRS,
			   .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_LO, .parent = 1,
			   .on_wire = true, .xmit_rc_valid = true, .freed = true, .wants_ack = true,
			   .acked_ts = US(50), .send_id = 1, .nr_sends = 1,
			   .stages = {{S_START, US(6 + 2 * i), SKB(10 + i)},
				      {S_XMIT, US(7 + 2 * i), SKB(10 + i)},
				      {S_CONSUME, US(20 + i), SKB(10 + i)}});
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(13), .asked = 3 * 1448, .ret = 3 * 1448,
		    .seq = 1001, .locked_ts = US(1), .wire_bytes = 3 * 1448, .first_wire_ts = US(6),
		    .last_wire_ts = US(10), .frames = 3, .first_skb = 2, .last_skb = 4,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(1), 0}, {S_SENDTO, US(13), 0}});
	expect_counts(17, 0, 4, 1, 0, 0, 0);
	end();
}

/*
 * The same on 6.1 with fentry, cut at the IP layer (the super-packet is
 * larger than the route's MTU allows): ip_finish_output_gso segments it
 * and frees it, then the segments go by ip_finish_output2, where they are
 * first seen. The super-packet is the write-queue original with its clone.
 */
static void test_gso_ip(void)
{
	struct task txc = {&conn_a, 0, 0, 0, "swapper/0"};
	struct skbd a = {SKB(1), HEAD(1), 1001, 1001 + 2 * 1448, DATA, 2, 1448};
	struct skbd c = {CLONE(1), HEAD(1), 1001, 1001 + 2 * 1448, DATA, 2, 1448};
	struct skbd g[2];

	for (int i = 0; i < 2; i++)
		g[i] = data_skb(SKB(10 + i), HEAD(10 + i), 1001 + i * 1448, 1001 + (i + 1) * 1448);
	conn_a.una = 1001;
	begin("gso_ip", &k61, TBL_NONE);
	send_enter(&app, US(0), 2 * 1448);
	locked(&app, US(1), 1001);
	at(&app, S_TRANSMIT, US(2), &a);
	at(&app, S_IPQ, US(3), &c);
	at(&app, S_FOG, US(4), &c);
	consume(&app, US(5), &c);
	for (int i = 0; i < 2; i++) {
		at(&app, S_FO2, US(6 + 4 * i), &g[i]);
		at(&app, S_DQX, US(7 + 4 * i), &g[i]);
		start_xmit(&app, US(8 + 4 * i), &g[i]);
		dev_xmit(&app, US(9 + 4 * i), &g[i], 0);
	}
	send_exit(&app, US(14), 2 * 1448);
	consume(&txc, US(20), &g[0]);
	consume(&txc, US(21), &g[1]);
	ack(&txc, US(50), 1001 + 2 * 1448);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f2/1 k1 f3/1 s1 k2 k3 ");
	EXPECT_SKB(.id = 1, .sk = SK_A, .skb = SKB(1), .clone = CLONE(1), .head = HEAD(1),
		   .pid = 4242, .tid = 4242, .seq = 1001, .end_seq = 1001 + 2 * 1448,
		   .payload = 2 * 1448, .len = 2 * 1448 + 52, .tcp_flags = DATA, .gso_segs = 2,
		   .gso_size = 1448, .ifindex = IF_ETH, .segments = 2, .freed = true,
		   .stages = {{S_TRANSMIT, US(2), SKB(1)},
			      {S_IPQ, US(3), CLONE(1)},
			      {S_FOG, US(4), CLONE(1)},
			      {S_CONSUME, US(5), CLONE(1)}});
	for (int i = 0; i < 2; i++)
		EXPECT_SKB(.id = 2 + i, .sk = SK_A, .skb = SKB(10 + i), .head = HEAD(10 + i),
			   .pid = 4242, .tid = 4242, .seq = 1001 + i * 1448,
			   .end_seq = 1001 + (i + 1) * 1448, .payload = 1448, .len = 1448 + HDRS,
			   .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_ETH, .parent = 1,
			   .on_wire = true, .xmit_rc_valid = true, .freed = true, .wants_ack = true,
			   .acked_ts = US(50), .send_id = 1, .nr_sends = 1,
			   .stages = {{S_FO2, US(6 + 4 * i), SKB(10 + i)},
				      {S_DQX, US(7 + 4 * i), SKB(10 + i)},
				      {S_START, US(8 + 4 * i), SKB(10 + i)},
				      {S_XMIT, US(9 + 4 * i), SKB(10 + i)},
				      {S_CONSUME, US(20 + i), SKB(10 + i)}});
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(14), .asked = 2 * 1448, .ret = 2 * 1448,
		    .seq = 1001, .locked_ts = US(1), .wire_bytes = 2 * 1448, .first_wire_ts = US(8),
		    .last_wire_ts = US(12), .frames = 2, .first_skb = 2, .last_skb = 3,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(1), 0}, {S_SENDTO, US(14), 0}});
	expect_counts(18, 0, 3, 1, 0, 0, 0);
	end();
}

/*
 * Two super-packets wait in the qdisc; each is cut when dequeued. The first
 * one's segments are all lost: when the second is dequeued, the first stops
 * waiting for them and ends, missing net_dev_start_xmit.
 */
static void test_gso_two_supers(void)
{
	struct skbd s1 = {CLONE(1), HEAD(1), 1001, 1001 + 2 * 1448, DATA, 2, 1448};
	struct skbd s2 = {CLONE(2), HEAD(2), 1001 + 2 * 1448, 1001 + 4 * 1448, DATA, 2, 1448};
	struct skbd g[2];

	for (int i = 0; i < 2; i++)
		g[i] = data_skb(SKB(10 + i), HEAD(10 + i), 1001 + (2 + i) * 1448,
				1001 + (3 + i) * 1448);
	conn_a.una = 1001;
	begin("gso_two_supers", &k618, TBL_618_NOACK);
	dev_queue(&app, US(0), &s1);
	dev_queue(&app, US(1), &s2);
	CHECK_EQ_U64(skb_rec(&app, S_DEQ, US(2), &s1, 1), 0);
	consume(&app, US(3), &s1);
	CHECK_EQ_U64(skb_rec(&app, S_DEQ, US(4), &s2, 1), 0);
	consume(&app, US(5), &s2);
	for (int i = 0; i < 2; i++) {
		start_xmit(&app, US(6 + 3 * i), &g[i]);
		dev_xmit(&app, US(7 + 3 * i), &g[i], 0);
		consume(&rcv, US(8 + 3 * i), &g[i]);
	}
	finish(STATS_CLEAN);

	EXPECT_ORDER("k1 f3/0 k3 k2 f4/0 k4 ");
	EXPECT_SKB(.id = 1, .sk = SK_A, .skb = CLONE(1), .head = HEAD(1), .seq = 1001, .pid = 4242,
		   .tid = 4242, .end_seq = 1001 + 2 * 1448, .payload = 2 * 1448,
		   .len = 2 * 1448 + HDRS, .tcp_flags = DATA, .gso_segs = 2, .gso_size = 1448,
		   .ifindex = IF_LO, .freed = true, .why = LC_WHY_UNSEEN, .missing = S_START,
		   .stages = {{S_QUEUE, US(0), CLONE(1)},
			      {S_DEQ, US(2), CLONE(1)},
			      {S_CONSUME, US(3), CLONE(1)}});
	EXPECT_SKB(.id = 2, .sk = SK_A, .skb = CLONE(2), .head = HEAD(2), .pid = 4242, .tid = 4242,
		   .seq = 1001 + 2 * 1448, .end_seq = 1001 + 4 * 1448, .payload = 2 * 1448,
		   .len = 2 * 1448 + HDRS, .tcp_flags = DATA, .gso_segs = 2, .gso_size = 1448,
		   .ifindex = IF_LO, .segments = 2, .freed = true,
		   .stages = {{S_QUEUE, US(1), CLONE(2)},
			      {S_DEQ, US(4), CLONE(2)},
			      {S_CONSUME, US(5), CLONE(2)}});
	for (int i = 0; i < 2; i++)
		EXPECT_SKB(.id = 3 + i, .sk = SK_A, .skb = SKB(10 + i), .head = HEAD(10 + i),
			   .pid = 4242, .tid = 4242, .seq = 1001 + (2 + i) * 1448,
			   .end_seq = 1001 + (3 + i) * 1448, .payload = 1448, .len = 1448 + HDRS,
			   .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_LO, .parent = 2,
			   .on_wire = true, .xmit_rc_valid = true, .freed = true,
			   .stages = {{S_START, US(6 + 3 * i), SKB(10 + i)},
				      {S_XMIT, US(7 + 3 * i), SKB(10 + i)},
				      {S_CONSUME, US(8 + 3 * i), SKB(10 + i)}});
	/* no send() wrote them: the recording started after */
	expect_counts(12, 0, 4, 0, 1, 0, 2 * 1448);
	end();
}

static void test_gso(void)
{
	gso(false); /* as validate_xmit_skb does it */
	gso(true);
	test_gso_ip();
	test_gso_two_supers();
}

/* ---- 5. retransmissions without the tracepoint, byte accounting ---- */

/*
 * tcp_retransmit_skb is not attached: a frame whose bytes start below the
 * highest sequence already on the wire is a retransmission. Three send()
 * calls, frames cut at the MSS across their boundaries, one frame sent
 * twice and a last one collapsed with new bytes (tcp_retrans_try_collapse):
 * each send's bytes are counted exactly once (wire_bytes == ret), what was
 * sent again separately, and no frame byte is left to no send().
 */
static void test_retransmit_accounting(void)
{
	struct task softirq = {&conn_a, 0, 0, 1, "swapper/1"};
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2449);
	struct skbd f2 = data_skb(CLONE(2), HEAD(2), 2449, 3897);
	struct skbd f3 = data_skb(CLONE(3), HEAD(3), 3897, 4001);
	struct skbd f3c = data_skb(CLONE(3), HEAD(3), 3897, 4601);
	struct skbd tail = data_skb(SKB(2), HEAD(2), 2449, 2501); /* f2's original */
	const struct lc_send *s2 = NULL;

	conn_a.una = 1001;
	begin("retransmit_accounting", &k618, TBL_618_NOACK);
	send_enter(&app, US(0), 1500);
	locked(&app, US(1), 1001);
	dev_queue(&app, US(2), &f1);
	start_xmit(&app, US(3), &f1);
	dev_xmit(&app, US(4), &f1, 0);
	consume(&rcv, US(5), &f1);
	send_exit(&app, US(6), 1500); /* 52 bytes wait in the tail skb */
	send_enter(&app, US(10), 1500);
	locked_tail(&app, US(11), 2501, &tail);
	dev_queue(&app, US(12), &f2);
	start_xmit(&app, US(13), &f2);
	dev_xmit(&app, US(14), &f2, 0);
	consume(&rcv, US(15), &f2);
	/* fast retransmit of f2: the same fclone pair again */
	dev_queue(&softirq, US(20), &f2);
	start_xmit(&softirq, US(21), &f2);
	dev_xmit(&softirq, US(22), &f2, 0);
	consume(&rcv, US(23), &f2);
	dev_queue(&app, US(30), &f3);
	start_xmit(&app, US(31), &f3);
	dev_xmit(&app, US(32), &f3, 0);
	consume(&rcv, US(33), &f3);
	send_exit(&app, US(34), 1500);
	send_enter(&app, US(40), 600);
	locked(&app, US(41), 4001);
	send_exit(&app, US(42), 600);
	/* f3 again, collapsed with the next 600 new bytes */
	dev_queue(&softirq, US(50), &f3c);
	start_xmit(&softirq, US(51), &f3c);
	dev_xmit(&softirq, US(52), &f3c, 0);
	consume(&rcv, US(53), &f3c);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f1/1 k1 f2/1 s1 k2 f3/0 k3 f4/2 k4 s2 f5/0 s3 k5 ");
	EXPECT_SKB(.id = 1, LO_FRAME(1), .pid = 4242, .tid = 4242, .seq = 1001, .end_seq = 2449,
		   .payload = 1448, .len = 1448 + HDRS, .on_wire = true, .xmit_rc_valid = true,
		   .freed = true, .send_id = 1, .nr_sends = 1,
		   .stages = {{S_QUEUE, US(2), CLONE(1)},
			      {S_START, US(3), CLONE(1)},
			      {S_XMIT, US(4), CLONE(1)},
			      {S_CONSUME, US(5), CLONE(1)}});
	/* the rest of send 1, the start of send 2 */
	EXPECT_SKB(.id = 2, LO_FRAME(2), .pid = 4242, .tid = 4242, .seq = 2449, .end_seq = 3897,
		   .payload = 1448, .len = 1448 + HDRS, .on_wire = true, .xmit_rc_valid = true,
		   .freed = true, .send_id = 1, .nr_sends = 2,
		   .stages = {{S_QUEUE, US(12), CLONE(2)},
			      {S_START, US(13), CLONE(2)},
			      {S_XMIT, US(14), CLONE(2)},
			      {S_CONSUME, US(15), CLONE(2)}});
	/* its first byte is send 1's, which is complete: only send 2 is named */
	EXPECT_SKB(.id = 3, LO_FRAME(2), .seq = 2449, .end_seq = 3897, .payload = 1448,
		   .len = 1448 + HDRS, .on_wire = true, .retransmit = true, .resent = 1448,
		   .xmit_rc_valid = true, .freed = true, .nr_sends = 1,
		   .stages = {{S_QUEUE, US(20), CLONE(2)},
			      {S_START, US(21), CLONE(2)},
			      {S_XMIT, US(22), CLONE(2)},
			      {S_CONSUME, US(23), CLONE(2)}});
	EXPECT_SKB(.id = 4, LO_FRAME(3), .pid = 4242, .tid = 4242, .seq = 3897, .end_seq = 4001,
		   .payload = 104, .len = 104 + HDRS, .on_wire = true, .xmit_rc_valid = true,
		   .freed = true, .send_id = 2, .nr_sends = 1,
		   .stages = {{S_QUEUE, US(30), CLONE(3)},
			      {S_START, US(31), CLONE(3)},
			      {S_XMIT, US(32), CLONE(3)},
			      {S_CONSUME, US(33), CLONE(3)}});
	EXPECT_SKB(.id = 5, LO_FRAME(3), .seq = 3897, .end_seq = 4601, .payload = 704,
		   .len = 704 + HDRS, .on_wire = true, .retransmit = true, .resent = 104,
		   .xmit_rc_valid = true, .freed = true, .nr_sends = 1,
		   .stages = {{S_QUEUE, US(50), CLONE(3)},
			      {S_START, US(51), CLONE(3)},
			      {S_XMIT, US(52), CLONE(3)},
			      {S_CONSUME, US(53), CLONE(3)}});
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(6), .asked = 1500, .ret = 1500, .seq = 1001,
		    .locked_ts = US(1), .wire_bytes = 1500, .first_wire_ts = US(3),
		    .last_wire_ts = US(13), .frames = 2, .first_skb = 1, .last_skb = 2,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(1), 0}, {S_SENDTO, US(6), 0}});
	EXPECT_SEND(.id = 2, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(10), .exit_ts = US(34), .asked = 1500, .ret = 1500, .seq = 2501,
		    .locked_ts = US(11), .wire_bytes = 1500, .resent_bytes = 1396,
		    .first_wire_ts = US(13), .last_wire_ts = US(31), .frames = 3, .first_skb = 2,
		    .last_skb = 4,
		    .stages = {{S_SENDTO, US(10), 0},
			       {S_LOCKED, US(11), SKB(2)},
			       {S_SENDTO, US(34), 0}});
	/* it appended to the tail skb first, which held 52 bytes of send 1 */
	for (unsigned int i = 0; i < nr_send_done; i++)
		if (got_send[i].id == 2)
			s2 = &got_send[i];
	CHECK(s2 && s2->nr_wq == 1 && s2->wq[0].skb == SKB(2) && s2->wq[0].seq == 2449 &&
	      s2->wq[0].end_seq == 2501);
	EXPECT_SEND(.id = 3, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(40), .exit_ts = US(42), .asked = 600, .ret = 600, .seq = 4001,
		    .locked_ts = US(41), .wire_bytes = 600, .first_wire_ts = US(51),
		    .last_wire_ts = US(51), .frames = 1, .first_skb = 5, .last_skb = 5,
		    .stages = {
			    {S_SENDTO, US(40), 0}, {S_LOCKED, US(41), 0}, {S_SENDTO, US(42), 0}});
	expect_counts(29, 0, 5, 3, 0, 0, 0);
	end();
}

/* ---- 6. drops ---- */

/*
 * kfree_skb with a reason: the lifecycle is complete (freed, dropped); the
 * send() waits for the bytes, which the retransmission carries. The dropped
 * copy never reached the wire, so nothing of the second one is resent.
 */
static void test_drop(void)
{
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);
	struct task timer = {&conn_a, 0, 0, 1, "swapper/1"};

	conn_a.una = 1001;
	begin("drop", &k618, TBL_618);
	send_enter(&app, US(0), 1000);
	locked(&app, US(1), 1001);
	dev_queue(&app, US(2), &f1);
	at(&app, S_ENQ, US(3), &f1);
	kfree_skb(&app, US(4), &f1, 5); /* SKB_DROP_REASON_... from the qdisc */
	send_exit(&app, US(5), 1000);
	dev_queue(&timer, US(100), &f1);
	start_xmit(&timer, US(101), &f1);
	dev_xmit(&timer, US(102), &f1, 0);
	consume(&rcv, US(103), &f1);
	ack(&peer, US(104), 2001);
	finish(STATS_CLEAN);

	EXPECT_ORDER("k1 f2/1 s1 k2 ");
	EXPECT_SKB(.id = 1, LO_FRAME(1), .pid = 4242, .tid = 4242, .seq = 1001, .end_seq = 2001,
		   .payload = 1000, .len = 1000 + HDRS, .freed = true, .dropped = true,
		   .drop_reason = 5,
		   .stages = {{S_QUEUE, US(2), CLONE(1)},
			      {S_ENQ, US(3), CLONE(1)},
			      {S_KFREE, US(4), CLONE(1)}});
	EXPECT_SKB(.id = 2, LO_FRAME(1), .seq = 1001, .end_seq = 2001, .payload = 1000,
		   .len = 1000 + HDRS, .on_wire = true, .xmit_rc_valid = true, .freed = true,
		   .wants_ack = true, .acked_ts = US(104), .send_id = 1, .nr_sends = 1,
		   .stages = {{S_QUEUE, US(100), CLONE(1)},
			      {S_START, US(101), CLONE(1)},
			      {S_XMIT, US(102), CLONE(1)},
			      {S_CONSUME, US(103), CLONE(1)}});
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(5), .asked = 1000, .ret = 1000, .seq = 1001,
		    .locked_ts = US(1), .wire_bytes = 1000, .first_wire_ts = US(101),
		    .last_wire_ts = US(101), .frames = 1, .first_skb = 2, .last_skb = 2,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(1), 0}, {S_SENDTO, US(5), 0}});
	expect_counts(11, 0, 2, 1, 0, 0, 0);
	end();
}

/* ---- 7. the recording ends, loses events, or did not watch a stage ---- */

/*
 * The recording ends with one frame freed but not acknowledged yet and the
 * next one still queued. Why they are incomplete depends on the end block:
 * nothing lost (in flight), records lost (lost), no end block (lost: what
 * was lost is unknown), or net_dev_start_xmit not watched at all.
 */
static void in_flight(const char *name, enum stats_kind st, enum table t, __u8 why)
{
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);
	struct skbd f2 = data_skb(CLONE(2), HEAD(2), 2001, 3001);
	bool xmit = t != TBL_618_NOXMIT;

	conn_a.una = 1001;
	begin(name, &k618, t);
	send_enter(&app, US(0), 2000);
	locked(&app, US(1), 1001);
	dev_queue(&app, US(2), &f1);
	if (xmit) {
		start_xmit(&app, US(3), &f1);
		dev_xmit(&app, US(4), &f1, 0);
	}
	consume(&rcv, US(5), &f1);
	dev_queue(&app, US(6), &f2);
	at(&app, S_ENQ, US(7), &f2);
	send_exit(&app, US(8), 2000);
	finish(st);

	if (xmit) {
		EXPECT_ORDER("f1/1 s1 k1 k2 ");
		EXPECT_SKB(.id = 1, LO_FRAME(1), .pid = 4242, .tid = 4242, .seq = 1001,
			   .end_seq = 2001, .payload = 1000, .len = 1000 + HDRS, .on_wire = true,
			   .xmit_rc_valid = true, .freed = true, .wants_ack = true, .send_id = 1,
			   .nr_sends = 1, .why = why, .missing = S_PROBE,
			   .stages = {{S_QUEUE, US(2), CLONE(1)},
				      {S_START, US(3), CLONE(1)},
				      {S_XMIT, US(4), CLONE(1)},
				      {S_CONSUME, US(5), CLONE(1)}});
		EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
			    .entry_ts = US(0), .exit_ts = US(8), .asked = 2000, .ret = 2000,
			    .seq = 1001, .locked_ts = US(1), .wire_bytes = 1000,
			    .first_wire_ts = US(3), .last_wire_ts = US(3), .frames = 1,
			    .first_skb = 1, .last_skb = 1, .why = why, .missing = S_START,
			    .stages = {{S_SENDTO, US(0), 0},
				       {S_LOCKED, US(1), 0},
				       {S_SENDTO, US(8), 0}});
		expect_counts(9, 0, 2, 1, 2, 1, 0);
	} else {
		/* not watched: the first frame ends at its free, nothing waits */
		EXPECT_ORDER("k1 s1 k2 ");
		EXPECT_SKB(.id = 1, LO_FRAME(1), .pid = 4242, .tid = 4242, .seq = 1001,
			   .end_seq = 2001, .payload = 1000, .len = 1000 + HDRS, .freed = true,
			   .why = why, .missing = S_START,
			   .stages = {{S_QUEUE, US(2), CLONE(1)}, {S_CONSUME, US(5), CLONE(1)}});
		EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
			    .entry_ts = US(0), .exit_ts = US(8), .asked = 2000, .ret = 2000,
			    .seq = 1001, .locked_ts = US(1), .why = why, .missing = S_START,
			    .stages = {{S_SENDTO, US(0), 0},
				       {S_LOCKED, US(1), 0},
				       {S_SENDTO, US(8), 0}});
		expect_counts(7, 0, 2, 1, 2, 1, 0);
	}
	EXPECT_SKB(.id = 2, LO_FRAME(2), .pid = 4242, .tid = 4242, .seq = 2001, .end_seq = 3001,
		   .payload = 1000, .len = 1000 + HDRS, .why = why, .missing = S_START,
		   .stages = {{S_QUEUE, US(6), CLONE(2)}, {S_ENQ, US(7), CLONE(2)}});
	end();
}

/*
 * A frame's ACK never comes, and its socket sent its FIN: with the tcp_probe
 * tracepoint that is expected (it fires in ESTABLISHED only), with tcp_ack
 * by fentry it is not (it sees every ACK).
 */
static void after_fin(const char *name, enum table t, __u8 why)
{
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);
	struct skbd fin = {CLONE(2), HEAD(2), 2001, 2002, TCPF_FIN | TCPF_ACK, 0, 0};

	conn_a.una = 1001;
	begin(name, &k618, t);
	send_enter(&app, US(0), 1000);
	locked(&app, US(1), 1001);
	dev_queue(&app, US(2), &f1);
	start_xmit(&app, US(3), &f1);
	dev_xmit(&app, US(4), &f1, 0);
	consume(&rcv, US(5), &f1);
	send_exit(&app, US(6), 1000);
	dev_queue(&app, US(7), &fin);
	start_xmit(&app, US(8), &fin);
	dev_xmit(&app, US(9), &fin, 0);
	consume(&rcv, US(10), &fin);
	finish(STATS_CLEAN);
	CHECK_EQ_U64(nr_skb_done, 2);
	CHECK_EQ_U64(got_skb[0].id, 2); /* the FIN: no payload, no ACK awaited */
	CHECK_EQ_U64(got_skb[0].why, LC_WHY_NONE);
	CHECK_EQ_U64(got_skb[1].id, 1);
	CHECK_EQ_U64(got_skb[1].missing, S_PROBE);
	CHECK_EQ_U64(got_skb[1].why, why);
	end();
}

static void test_in_flight(void)
{
	after_fin("after_fin", TBL_618, LC_WHY_CLOSED);
	after_fin("after_fin_tcp_ack", TBL_618_TCP_ACK, LC_WHY_IN_FLIGHT);
	in_flight("in_flight", STATS_CLEAN, TBL_618, LC_WHY_IN_FLIGHT);
	in_flight("in_flight_lost", STATS_LOST, TBL_618, LC_WHY_LOST);
	in_flight(NULL, STATS_UNTRACKED, TBL_618, LC_WHY_LOST);
	in_flight("in_flight_cut", STATS_NONE, TBL_618, LC_WHY_LOST);
	in_flight(NULL, STATS_NONE, TBL_NONE, LC_WHY_LOST);
	in_flight("not_watched", STATS_CLEAN, TBL_618_NOXMIT, LC_WHY_NOT_WATCHED);
}

/*
 * A send() whose bytes cannot be placed in sequence space: tcp_sendmsg_
 * locked not watched on this kernel, or watched but its record lost. The
 * frame's bytes then belong to no traced send().
 */
static void no_locked(enum table t, __u8 why)
{
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);

	conn_a.una = 1001;
	begin(t == TBL_618_NOLOCKED ? "locked_not_watched" : "locked_unseen", &k618, t);
	send_enter(&app, US(0), 1000);
	dev_queue(&app, US(2), &f1);
	start_xmit(&app, US(3), &f1);
	dev_xmit(&app, US(4), &f1, 0);
	ack(&peer, US(5), 2001);
	consume(&rcv, US(6), &f1);
	send_exit(&app, US(7), 1000);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f1/0 k1 s1 ");
	EXPECT_SKB(.id = 1, LO_FRAME(1), .pid = 4242, .tid = 4242, .seq = 1001, .end_seq = 2001,
		   .payload = 1000, .len = 1000 + HDRS, .on_wire = true, .xmit_rc_valid = true,
		   .freed = true, .wants_ack = true, .acked_ts = US(5),
		   .stages = {{S_QUEUE, US(2), CLONE(1)},
			      {S_START, US(3), CLONE(1)},
			      {S_XMIT, US(4), CLONE(1)},
			      {S_CONSUME, US(6), CLONE(1)}});
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(7), .asked = 1000, .ret = 1000, .why = why,
		    .missing = S_LOCKED, .stages = {{S_SENDTO, US(0), 0}, {S_SENDTO, US(7), 0}});
	expect_counts(7, 0, 1, 1, 0, 1, 1000);
	end();
}

static void test_no_locked(void)
{
	no_locked(TBL_618_NOLOCKED, LC_WHY_NOT_WATCHED);
	no_locked(TBL_618, LC_WHY_UNSEEN);
}

/* A send() still inside the kernel when the recording ends. */
static void test_send_in_flight(void)
{
	conn_a.una = 1001;
	begin("send_in_flight", &k618, TBL_618);
	send_enter(&app, US(0), 1000);
	locked(&app, US(1), 1001);
	finish(STATS_CLEAN);
	EXPECT_ORDER("s1 ");
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .asked = 1000, .seq = 1001, .locked_ts = US(1),
		    .why = LC_WHY_IN_FLIGHT, .missing = S_SENDTO,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(1), 0}});
	expect_counts(2, 0, 0, 1, 0, 1, 0);
	end();
}

/* ---- 8. CPUs, sockets and threads interleaved ---- */

/*
 * Two threads on two sockets, on two CPUs, with the same sequence numbers:
 * their records interleave, frees happen on the other CPU, and ACKs arrive
 * for one socket while the other sends. Nothing crosses over.
 */
static void test_two_sockets(void)
{
	struct task ta = {&conn_a, 100, 101, 0, "client-a"};
	struct task tb = {&conn_b, 100, 202, 1, "client-b"};
	struct task rx_a = {&conn_rcv, 300, 301, 1, "server"};
	struct task rx_b = {&conn_rcv, 300, 302, 0, "server"};
	struct task ack_a = {&conn_a, 300, 301, 1, "server"};
	struct task ack_b = {&conn_b, 300, 302, 0, "server"};
	struct skbd a1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);
	struct skbd b1 = data_skb(CLONE(2), HEAD(2), 1001, 2001);
	struct skbd b2 = data_skb(CLONE(3), HEAD(3), 2001, 3001);

	conn_a.una = conn_b.una = 1001;
	begin("two_sockets", &k618, TBL_618);
	send_enter(&ta, US(0), 1000);
	send_enter(&tb, US(1), 2000);
	locked(&tb, US(2), 1001);
	locked(&ta, US(3), 1001);
	dev_queue(&ta, US(4), &a1);
	dev_queue(&tb, US(5), &b1);
	start_xmit(&tb, US(6), &b1);
	start_xmit(&ta, US(7), &a1);
	dev_xmit(&ta, US(8), &a1, 0);
	dev_xmit(&tb, US(9), &b1, 0);
	dev_queue(&tb, US(10), &b2);
	send_exit(&ta, US(11), 1000);
	start_xmit(&tb, US(12), &b2);
	consume(&rx_a, US(13), &a1);
	consume(&rx_b, US(14), &b1);
	dev_xmit(&tb, US(15), &b2, 0);
	ack(&ack_b, US(16), 3001);
	ack(&ack_a, US(17), 2001);
	send_exit(&tb, US(18), 2000);
	consume(&rx_b, US(19), &b2);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f2/2 f1/1 s1 f3/2 k2 k1 s2 k3 ");
	EXPECT_SKB(.id = 1, .sk = SK_A, .skb = CLONE(1), .head = HEAD(1), .pid = 100, .tid = 101,
		   .seq = 1001, .end_seq = 2001, .payload = 1000, .len = 1000 + HDRS,
		   .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_LO, .on_wire = true,
		   .xmit_rc_valid = true, .freed = true, .wants_ack = true, .acked_ts = US(17),
		   .send_id = 1, .nr_sends = 1,
		   .stages = {{S_QUEUE, US(4), CLONE(1)},
			      {S_START, US(7), CLONE(1)},
			      {S_XMIT, US(8), CLONE(1)},
			      {S_CONSUME, US(13), CLONE(1)}});
	EXPECT_SKB(.id = 2, .sk = SK_B, .skb = CLONE(2), .head = HEAD(2), .pid = 100, .tid = 202,
		   .seq = 1001, .end_seq = 2001, .payload = 1000, .len = 1000 + HDRS,
		   .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_LO, .on_wire = true,
		   .xmit_rc_valid = true, .freed = true, .wants_ack = true, .acked_ts = US(16),
		   .send_id = 2, .nr_sends = 1,
		   .stages = {{S_QUEUE, US(5), CLONE(2)},
			      {S_START, US(6), CLONE(2)},
			      {S_XMIT, US(9), CLONE(2)},
			      {S_CONSUME, US(14), CLONE(2)}});
	EXPECT_SKB(.id = 3, .sk = SK_B, .skb = CLONE(3), .head = HEAD(3), .pid = 100, .tid = 202,
		   .seq = 2001, .end_seq = 3001, .payload = 1000, .len = 1000 + HDRS,
		   .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_LO, .on_wire = true,
		   .xmit_rc_valid = true, .freed = true, .wants_ack = true, .acked_ts = US(16),
		   .send_id = 2, .nr_sends = 1,
		   .stages = {{S_QUEUE, US(10), CLONE(3)},
			      {S_START, US(12), CLONE(3)},
			      {S_XMIT, US(15), CLONE(3)},
			      {S_CONSUME, US(19), CLONE(3)}});
	/* ids follow the first records: send() entries, frames queued */
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 100, .tid = 101, .cpu = 0, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(11), .asked = 1000, .ret = 1000, .seq = 1001,
		    .locked_ts = US(3), .wire_bytes = 1000, .first_wire_ts = US(7),
		    .last_wire_ts = US(7), .frames = 1, .first_skb = 1, .last_skb = 1,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(3), 0}, {S_SENDTO, US(11), 0}});
	EXPECT_SEND(.id = 2, .sk = SK_B, .pid = 100, .tid = 202, .cpu = 1, .stage = S_SENDTO,
		    .entry_ts = US(1), .exit_ts = US(18), .asked = 2000, .ret = 2000, .seq = 1001,
		    .locked_ts = US(2), .wire_bytes = 2000, .first_wire_ts = US(6),
		    .last_wire_ts = US(12), .frames = 2, .first_skb = 2, .last_skb = 3,
		    .stages = {{S_SENDTO, US(1), 0}, {S_LOCKED, US(2), 0}, {S_SENDTO, US(18), 0}});
	expect_counts(20, 0, 3, 2, 0, 0, 0);
	end();
}

/*
 * Two threads send() on one socket. The socket lock orders their copies:
 * t1 copies 2000 of the 3000 bytes it asked for (non-blocking, the send
 * buffer is full) and releases the lock; t2 copies its 500 behind them
 * before t1's exit is recorded. t1's bytes end where t2's begin, though
 * t1 had asked for more: the frame of t2's bytes is t2's alone.
 */
static void test_two_threads(void)
{
	struct task t1 = {&conn_a, 100, 101, 0, "writer"};
	struct task t2 = {&conn_a, 100, 102, 1, "writer"};
	struct skbd x[3] = {
		data_skb(CLONE(1), HEAD(1), 1001, 2001),
		data_skb(CLONE(2), HEAD(2), 2001, 3001),
		data_skb(CLONE(3), HEAD(3), 3001, 3501),
	};

	conn_a.una = 1001;
	begin("two_threads", &k618, TBL_618);
	send_enter(&t1, US(0), 3000);
	send_enter(&t2, US(1), 500);
	locked(&t1, US(2), 1001);
	locked(&t2, US(3), 3001);
	for (int i = 0; i < 3; i++) {
		dev_queue(i < 2 ? &t1 : &t2, US(4 + 3 * i), &x[i]);
		start_xmit(i < 2 ? &t1 : &t2, US(5 + 3 * i), &x[i]);
		dev_xmit(i < 2 ? &t1 : &t2, US(6 + 3 * i), &x[i], 0);
	}
	send_exit(&t2, US(13), 500);
	send_exit(&t1, US(14), 2000);
	for (int i = 0; i < 3; i++)
		consume(&rcv, US(20 + i), &x[i]);
	ack(&peer, US(30), 3501);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f1/1 f2/1 f3/2 s2 s1 k1 k2 k3 ");
	for (int i = 0; i < 3; i++)
		EXPECT_SKB(.id = 1 + i, LO_FRAME(1 + i), .pid = 100, .tid = i < 2 ? 101 : 102,
			   .seq = x[i].seq, .end_seq = x[i].end_seq,
			   .payload = x[i].end_seq - x[i].seq,
			   .len = x[i].end_seq - x[i].seq + HDRS, .on_wire = true,
			   .xmit_rc_valid = true, .freed = true, .wants_ack = true,
			   .acked_ts = US(30), .send_id = i < 2 ? 1 : 2, .nr_sends = 1,
			   .stages = {{S_QUEUE, US(4 + 3 * i), CLONE(1 + i)},
				      {S_START, US(5 + 3 * i), CLONE(1 + i)},
				      {S_XMIT, US(6 + 3 * i), CLONE(1 + i)},
				      {S_CONSUME, US(20 + i), CLONE(1 + i)}});
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 100, .tid = 101, .cpu = 0, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(14), .asked = 3000, .ret = 2000, .seq = 1001,
		    .locked_ts = US(2), .wire_bytes = 2000, .first_wire_ts = US(5),
		    .last_wire_ts = US(8), .frames = 2, .first_skb = 1, .last_skb = 2,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(2), 0}, {S_SENDTO, US(14), 0}});
	EXPECT_SEND(.id = 2, .sk = SK_A, .pid = 100, .tid = 102, .cpu = 1, .stage = S_SENDTO,
		    .entry_ts = US(1), .exit_ts = US(13), .asked = 500, .ret = 500, .seq = 3001,
		    .locked_ts = US(3), .wire_bytes = 500, .first_wire_ts = US(11),
		    .last_wire_ts = US(11), .frames = 1, .first_skb = 3, .last_skb = 3,
		    .stages = {{S_SENDTO, US(1), 0}, {S_LOCKED, US(3), 0}, {S_SENDTO, US(13), 0}});
	expect_counts(19, 0, 3, 2, 0, 0, 0);
	end();
}

/* ---- 9. a send() whose exit never comes ---- */

/*
 * The exit of the first send() is lost: when the thread's next send()
 * enters, the first is handed out, missing its syscall's exit. Its bytes
 * were on the wire already and stay counted.
 */
static void test_lost_exit(void)
{
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);
	struct skbd f2 = data_skb(CLONE(2), HEAD(2), 2001, 2501);

	conn_a.una = 1001;
	begin("lost_exit", &k618, TBL_618);
	send_enter(&app, US(0), 1000);
	locked(&app, US(1), 1001);
	dev_queue(&app, US(2), &f1);
	start_xmit(&app, US(3), &f1);
	dev_xmit(&app, US(4), &f1, 0);
	send_enter(&app, US(10), 500);
	locked(&app, US(11), 2001);
	send_exit(&app, US(12), 500);
	dev_queue(&app, US(13), &f2);
	start_xmit(&app, US(14), &f2);
	dev_xmit(&app, US(15), &f2, 0);
	consume(&rcv, US(16), &f1);
	consume(&rcv, US(17), &f2);
	ack(&peer, US(18), 2501);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f1/1 s1 f2/2 s2 k1 k2 ");
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .asked = 1000, .seq = 1001, .locked_ts = US(1),
		    .wire_bytes = 1000, .first_wire_ts = US(3), .last_wire_ts = US(3), .frames = 1,
		    .first_skb = 1, .last_skb = 1, .why = LC_WHY_UNSEEN, .missing = S_SENDTO,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(1), 0}});
	EXPECT_SEND(.id = 2, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(10), .exit_ts = US(12), .asked = 500, .ret = 500, .seq = 2001,
		    .locked_ts = US(11), .wire_bytes = 500, .first_wire_ts = US(14),
		    .last_wire_ts = US(14), .frames = 1, .first_skb = 2, .last_skb = 2,
		    .stages = {
			    {S_SENDTO, US(10), 0}, {S_LOCKED, US(11), 0}, {S_SENDTO, US(12), 0}});
	EXPECT_SKB(.id = 1, LO_FRAME(1), .pid = 4242, .tid = 4242, .seq = 1001, .end_seq = 2001,
		   .payload = 1000, .len = 1000 + HDRS, .on_wire = true, .xmit_rc_valid = true,
		   .freed = true, .wants_ack = true, .acked_ts = US(18), .send_id = 1,
		   .nr_sends = 1,
		   .stages = {{S_QUEUE, US(2), CLONE(1)},
			      {S_START, US(3), CLONE(1)},
			      {S_XMIT, US(4), CLONE(1)},
			      {S_CONSUME, US(16), CLONE(1)}});
	EXPECT_SKB(.id = 2, LO_FRAME(2), .pid = 4242, .tid = 4242, .seq = 2001, .end_seq = 2501,
		   .payload = 500, .len = 500 + HDRS, .on_wire = true, .xmit_rc_valid = true,
		   .freed = true, .wants_ack = true, .acked_ts = US(18), .send_id = 2,
		   .nr_sends = 1,
		   .stages = {{S_QUEUE, US(13), CLONE(2)},
			      {S_START, US(14), CLONE(2)},
			      {S_XMIT, US(15), CLONE(2)},
			      {S_CONSUME, US(17), CLONE(2)}});
	expect_counts(14, 0, 2, 2, 0, 1, 0);
	end();
}

/* ---- 10. bounds ---- */

/*
 * More than LC_LIVE_MAX skbs queued at once (a qdisc that never drains):
 * the oldest go first, handed out as evicted. Then without finish:
 * lifecycle__free must release every lifecycle still live (ASan's leak
 * check runs at exit).
 */
static void test_live_max(bool do_finish)
{
	const __u32 n = LC_LIVE_MAX + 10;

	conn_a.una = 1001;
	begin(NULL, &k618, TBL_618);
	for (__u32 i = 0; i < n; i++) {
		struct skbd s = data_skb(SKB(i + 1), HEAD(i + 1), 1001 + i * 100, 1101 + i * 100);

		dev_queue(&app, US(i), &s);
	}
	CHECK_EQ_U64(nr_skb_done, 10);
	CHECK_EQ_U64(skb_why[LC_WHY_EVICTED], 10);
	CHECK_EQ_U64(lifecycle__counts(lc)->evicted, 10);
	for (int i = 0; i < 10; i++) {
		CHECK_EQ_U64(got_skb[i].id, i + 1);
		CHECK_EQ_U64(got_skb[i].missing, S_START);
		CHECK_EQ_U64(got_skb[i].skb, SKB(i + 1));
	}
	if (do_finish) {
		finish(STATS_CLEAN);
		CHECK_EQ_U64(nr_skb_done, n);
		CHECK_EQ_U64(skb_why[LC_WHY_IN_FLIGHT], LC_LIVE_MAX);
		CHECK_EQ_U64(lifecycle__counts(lc)->skbs_incomplete, n);
	}
	end();
}

/*
 * More than LC_SOCK_MAX sockets, each with a send() whose bytes are not on
 * the wire: the least recently used socket goes, and with it its send()
 * and its frame waiting for an ACK, all handed out as evicted.
 */
static void test_sock_max(void)
{
	struct conn *c = calloc(LC_SOCK_MAX + 2, sizeof(*c));
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 1101);

	CHECK(c != NULL);
	if (!c)
		return;
	begin(NULL, &k618, TBL_618);
	for (__u32 i = 0; i < LC_SOCK_MAX + 2; i++) {
		struct task t = {&c[i], 100, 101, 0, "many"};

		c[i] = conn_a;
		c[i].sk = SK_A + (i + 1) * 0x1000ULL;
		c[i].una = 1001;
		send_enter(&t, US(i * 10), 200);
		locked(&t, US(i * 10 + 1), 1001);
		if (!i) {
			dev_queue(&t, US(2), &f1);
			start_xmit(&t, US(3), &f1);
			dev_xmit(&t, US(4), &f1, 0);
			consume(&t, US(5), &f1);
		}
		send_exit(&t, US(i * 10 + 6), 200);
	}
	EXPECT_ORDER("f1/1 s1 k1 s2 ");
	/* the two sockets and the send() calls that waited on them */
	CHECK_EQ_U64(lifecycle__counts(lc)->evicted, 4);
	EXPECT_SKB(.id = 1, .sk = SK_A + 0x1000, .skb = CLONE(1), .head = HEAD(1), .pid = 100,
		   .tid = 101, .seq = 1001, .end_seq = 1101, .payload = 100, .len = 100 + HDRS,
		   .tcp_flags = DATA, .gso_segs = 1, .ifindex = IF_LO, .on_wire = true,
		   .xmit_rc_valid = true, .freed = true, .wants_ack = true, .send_id = 1,
		   .nr_sends = 1, .why = LC_WHY_EVICTED, .missing = S_PROBE,
		   .stages = {{S_QUEUE, US(2), CLONE(1)},
			      {S_START, US(3), CLONE(1)},
			      {S_XMIT, US(4), CLONE(1)},
			      {S_CONSUME, US(5), CLONE(1)}});
	EXPECT_SEND(.id = 1, .sk = SK_A + 0x1000, .pid = 100, .tid = 101, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(6), .asked = 200, .ret = 200, .seq = 1001,
		    .locked_ts = US(1), .wire_bytes = 100, .first_wire_ts = US(3),
		    .last_wire_ts = US(3), .frames = 1, .first_skb = 1, .last_skb = 1,
		    .why = LC_WHY_EVICTED, .missing = S_START,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(1), 0}, {S_SENDTO, US(6), 0}});
	EXPECT_SEND(.id = 2, .sk = SK_A + 0x2000, .pid = 100, .tid = 101, .stage = S_SENDTO,
		    .entry_ts = US(10), .exit_ts = US(16), .asked = 200, .ret = 200, .seq = 1001,
		    .locked_ts = US(11), .why = LC_WHY_EVICTED, .missing = S_START,
		    .stages = {
			    {S_SENDTO, US(10), 0}, {S_LOCKED, US(11), 0}, {S_SENDTO, US(16), 0}});
	finish(STATS_CLEAN);
	CHECK_EQ_U64(nr_send_done, LC_SOCK_MAX + 2);
	CHECK_EQ_U64(send_why[LC_WHY_EVICTED], 2);
	CHECK_EQ_U64(send_why[LC_WHY_IN_FLIGHT], LC_SOCK_MAX);
	end();
	free(c);
}

/* More than LC_SENDS_MAX send() calls on a socket wait for the wire: the
 * oldest goes, evicted. */
static void test_sends_max(void)
{
	conn_a.una = 1001;
	begin(NULL, &k618, TBL_618);
	for (__u32 i = 0; i < LC_SENDS_MAX + 1; i++) {
		send_enter(&app, US(i * 10), 10);
		locked(&app, US(i * 10 + 1), 1001 + i * 10);
		send_exit(&app, US(i * 10 + 2), 10);
	}
	EXPECT_ORDER("s1 ");
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(2), .asked = 10, .ret = 10, .seq = 1001,
		    .locked_ts = US(1), .why = LC_WHY_EVICTED, .missing = S_START,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(1), 0}, {S_SENDTO, US(2), 0}});
	finish(STATS_CLEAN);
	CHECK_EQ_U64(nr_send_done, LC_SENDS_MAX + 1);
	CHECK_EQ_U64(send_why[LC_WHY_IN_FLIGHT], LC_SENDS_MAX);
	end();
}

/* A lifecycle keeps its first LC_STAGES_MAX stages and counts the rest. */
static void test_stages_max(void)
{
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);

	conn_a.una = 1001;
	begin("stages_max", &k618, TBL_618_NOACK);
	dev_queue(&app, US(0), &f1);
	for (int i = 0; i < 20; i++) { /* requeued by a busy driver */
		at(&app, S_ENQ, US(1 + 2 * i), &f1);
		CHECK_EQ_U64(skb_rec(&app, S_DEQ, US(2 + 2 * i), &f1, 1), 0);
	}
	start_xmit(&app, US(50), &f1);
	dev_xmit(&app, US(51), &f1, 0);
	consume(&rcv, US(52), &f1);
	EXPECT_ORDER("f1/0 k1 ");
	CHECK_EQ_U64(got_skb[0].nr_stages, LC_STAGES_MAX);
	CHECK_EQ_U64(got_skb[0].stages_dropped, 44 - LC_STAGES_MAX);
	CHECK_EQ_U64(got_skb[0].stages[LC_STAGES_MAX - 1].ts, US(LC_STAGES_MAX - 1));
	CHECK(got_skb[0].xmit_rc_valid && got_skb[0].freed && !got_skb[0].why);
	finish(STATS_CLEAN);
	end();
}

/*
 * lifecycle__free without lifecycle__finish, with something in every
 * structure: a send() inside the kernel, one waiting for the wire, a frame
 * waiting for its ACK, one freed before net_dev_xmit, a GSO super-packet
 * freed before its segments, and a frame still queued. Nothing is handed
 * out, nothing leaks.
 */
static void test_free_unfinished(void)
{
	struct task t2 = {&conn_a, 4242, 4243, 1, "iperf3"};
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);
	struct skbd f2 = data_skb(CLONE(2), HEAD(2), 2001, 3001);
	struct skbd sup = {CLONE(3), HEAD(3), 3001, 3001 + 2 * 1448, DATA, 2, 1448};
	struct skbd f4 = data_skb(CLONE(4), HEAD(4), 7001, 8001);

	conn_a.una = 1001;
	begin("free_unfinished", &k618, TBL_618);
	send_enter(&app, US(0), 10000);
	locked(&app, US(1), 1001);
	send_enter(&t2, US(2), 10000);
	dev_queue(&app, US(3), &f1);
	start_xmit(&app, US(4), &f1);
	dev_xmit(&app, US(5), &f1, 0);
	consume(&rcv, US(6), &f1);
	dev_queue(&app, US(7), &f2);
	start_xmit(&app, US(8), &f2);
	consume(&rcv, US(9), &f2);
	dev_queue(&app, US(10), &sup);
	consume(&app, US(11), &sup);
	dev_queue(&app, US(12), &f4);
	send_exit(&app, US(13), 10000);
	EXPECT_ORDER("f1/1 f2/1 ");
	CHECK_EQ_U64(nr_skb_done, 0);
	CHECK_EQ_U64(nr_send_done, 0);
	end();
}

/* ---- 11. ABI 1 records, malformed records ---- */

/*
 * A recording of ABI 1 (tests/data/loopback.trace is one): tcp records are
 * 168 bytes, without the received segment's ACK, and are read with those
 * fields zero. tcp_probe cannot tell what was acknowledged, so no frame
 * waits for its ACK: a freed frame is complete.
 */
static void test_abi1(void)
{
	struct skbd f1 = data_skb(CLONE(1), HEAD(1), 1001, 2001);

	conn_a.una = 1001;
	begin("abi1", &k618, TBL_618_ABI1);
	send_enter(&app, US(0), 1000);
	CHECK_EQ_U64(tcp_rec(&app, S_LOCKED, TSEND_MECH_RAW_TP, US(1), 0, 1001, NULL,
			     TSEND_TCP_EVENT_SIZE_V1),
		     0);
	dev_queue(&app, US(2), &f1);
	start_xmit(&app, US(3), &f1);
	dev_xmit(&app, US(4), &f1, 0);
	consume(&rcv, US(5), &f1);
	send_exit(&app, US(6), 1000);
	/* the ACK arrives: tcp_probe, without skb_ack_seq */
	CHECK_EQ_U64(tcp_rec(&peer, S_PROBE, TSEND_MECH_RAW_TP, US(7), RX_SKB, 2001, NULL,
			     TSEND_TCP_EVENT_SIZE_V1),
		     0);
	conn_a.una = 2001;
	send_enter(&app, US(10), 5);
	CHECK_EQ_U64(tcp_rec(&app, S_LOCKED, TSEND_MECH_RAW_TP, US(11), 0, 2001, NULL,
			     TSEND_TCP_EVENT_SIZE_V1),
		     0);
	finish(STATS_CLEAN);

	EXPECT_ORDER("f1/1 k1 s1 s2 ");
	EXPECT_SKB(.id = 1, LO_FRAME(1), .pid = 4242, .tid = 4242, .seq = 1001, .end_seq = 2001,
		   .payload = 1000, .len = 1000 + HDRS, .on_wire = true, .xmit_rc_valid = true,
		   .freed = true, .send_id = 1, .nr_sends = 1,
		   .stages = {{S_QUEUE, US(2), CLONE(1)},
			      {S_START, US(3), CLONE(1)},
			      {S_XMIT, US(4), CLONE(1)},
			      {S_CONSUME, US(5), CLONE(1)}});
	EXPECT_SEND(.id = 1, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(0), .exit_ts = US(6), .asked = 1000, .ret = 1000, .seq = 1001,
		    .locked_ts = US(1), .wire_bytes = 1000, .first_wire_ts = US(3),
		    .last_wire_ts = US(3), .frames = 1, .first_skb = 1, .last_skb = 1,
		    .stages = {{S_SENDTO, US(0), 0}, {S_LOCKED, US(1), 0}, {S_SENDTO, US(6), 0}});
	/* the second send() was placed by its ABI 1 record */
	EXPECT_SEND(.id = 2, .sk = SK_A, .pid = 4242, .tid = 4242, .stage = S_SENDTO,
		    .entry_ts = US(10), .asked = 5, .seq = 2001, .locked_ts = US(11),
		    .why = LC_WHY_IN_FLIGHT, .missing = S_SENDTO,
		    .stages = {{S_SENDTO, US(10), 0}, {S_LOCKED, US(11), 0}});
	expect_counts(10, 0, 1, 2, 0, 1, 0);
	end();
}

/* Records that cannot be read are refused and counted, nothing else. */
static void test_malformed(void)
{
	__u8 buf[sizeof(struct tsend_skb_event) + 8] = {0};
	struct tsend_tcp_event t = {.flow = conn_a.flow};
	struct tsend_skb_event s = {.flow = conn_a.flow, .seq_valid = 1};
	struct tsend_head h = {0};

	begin("malformed", &k618, TBL_618);
	t.h = head(&app, S_LOCKED, TSEND_KIND_TCP, 0, TSEND_MECH_RAW_TP, US(0), SK_A, 0,
		   TSEND_TCP_EVENT_SIZE_V1 - 1);
	CHECK_EQ_U64(add(&t, TSEND_TCP_EVENT_SIZE_V1 - 1), -EINVAL); /* shorter than ABI 1 */
	t.h.size = TSEND_TCP_EVENT_SIZE_V1;
	CHECK_EQ_U64(add(&t, sizeof(t)), -EINVAL); /* head.size is not the length */
	CHECK_EQ_U64(add(&t, 20), -EINVAL);	   /* not even a head */
	CHECK_EQ_U64(lifecycle__add(lc, NULL, 0), -EINVAL);
	s.h = head(&app, S_QUEUE, TSEND_KIND_SKB, 0, TSEND_MECH_RAW_TP, US(1), SK_A, SKB(1),
		   sizeof(s) - 1);
	CHECK_EQ_U64(add(&s, sizeof(s) - 1), -EINVAL);
	/* snap_len runs past the record */
	s.h.size = sizeof(s) + 8;
	s.snap_len = 9;
	memcpy(buf, &s, sizeof(s));
	CHECK_EQ_U64(add(buf, sizeof(buf)), -EINVAL);
	/* a kind this build does not know: only its head is read */
	h = head(&app, S_QUEUE, 9, 0, TSEND_MECH_RAW_TP, US(2), SK_A, SKB(1), sizeof(h));
	CHECK_EQ_U64(add(&h, sizeof(h)), 0);
	/* a stage out of range, an skb record without an address */
	s.snap_len = 0;
	s.h.size = sizeof(s);
	s.h.stage = TSEND_STAGE_MAX;
	CHECK_EQ_U64(add(&s, sizeof(s)), 0);
	s.h.stage = S_QUEUE;
	s.h.skb = 0;
	CHECK_EQ_U64(add(&s, sizeof(s)), 0);
	/* the free of an skb never seen before */
	consume(&rcv, US(3), &(struct skbd){SKB(2), HEAD(2), 1, 2, DATA, 0, 0});
	finish(STATS_CLEAN);
	EXPECT_ORDER("");
	expect_counts(10, 6, 0, 0, 0, 0, 0);
	CHECK_EQ_U64(lifecycle__counts(lc)->frees_unmatched, 1);
	end();
}

/* Every reason has a text of its own; the wording is the report's. */
static void test_why_text(void)
{
	CHECK(!strcmp(lc_why_text(LC_WHY_NONE), "complete"));
	CHECK(!strcmp(lc_why_text(LC_WHY_MAX), "?"));
	for (unsigned int a = 1; a < LC_WHY_MAX; a++)
		for (unsigned int b = 0; b < a; b++)
			CHECK(strcmp(lc_why_text(a), lc_why_text(b)));
	for (unsigned int w = 0; w < LC_WHY_MAX; w++)
		CHECK(strcmp(lc_why_text(w), "?"));
}

int main(int argc, char **argv)
{
	if (argc > 1)
		corpus_dir = argv[1];
	make_conns();
	test_tp_path();
	test_tp_free_before_xmit();
	test_tp_send_returns_first();
	test_frame_error();
	test_requeue();
	test_fentry_path();
	test_retransmit_tracepoint_only();
	test_retransmit_lost_free();
	test_address_reuse();
	test_gso();
	test_retransmit_accounting();
	test_drop();
	test_in_flight();
	test_no_locked();
	test_send_in_flight();
	test_two_sockets();
	test_two_threads();
	test_lost_exit();
	test_live_max(false);
	test_live_max(true);
	test_sock_max();
	test_sends_max();
	test_stages_max();
	test_free_unfinished();
	test_abi1();
	test_malformed();
	test_why_text();
	free(corpus_buf);
	return check_done("lifecycle");
}
