// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The lifecycle assembler: see lifecycle.h for what is joined and how.
 *
 * State, all bounded:
 *   live      skbs being followed (struct live), oldest first, found by
 *             address (both a clone's and its original's) and by head
 *   socks     per socket: the send() calls whose bytes are not all on the
 *             wire yet, in sequence order; the frames waiting for their
 *             ACK; the highest sequence sent (what is new, what is resent)
 *   threads   the send() each thread is in, between entry and exit
 *
 * A lifecycle is handed out (skb_done) when it is complete, when its
 * address turns out to hold a new skb, when it is evicted, or at the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "lifecycle.h"
#include "u64map.h"

#define TCPF_FIN       0x01
#define TCPF_SYN       0x02
#define TCPF_RST       0x04
#define TCPF_ACK       0x10
#define SEQ_SPAN_MAX   (1U << 30) /* a range wider than this is garbage */
#define SEND_OPEN_SPAN (1U << 30) /* provisional end of a send() not returned yet */

struct live {
	struct lc_skb pub;
	struct live *older, *newer;	  /* all live, in order of creation */
	struct live *ack_prev, *ack_next; /* its socket's frames awaiting an ACK */
	bool in_ack;
	__u64 addrs[2];	 /* addresses it is indexed under; 0 unused */
	__u64 wire_addr; /* its address at net_dev_start_xmit */
	__u32 ack_seq;	 /* the TCP header's, once built (0 before) */
	__u8 last_stage;
};

struct sendst {
	struct lc_send pub;
	bool exited;
	bool in_tid;  /* the threads map points here */
	bool in_sock; /* on its socket's list */
};

struct sock {
	__u64 sk;
	struct tsend_flow flow;
	struct sock *older, *newer; /* least recently used first */
	bool snd_max_set;
	__u32 snd_max; /* highest end_seq on the wire */
	bool syn_seen;
	__u32 syn_seq;
	__u64 last_freed;		   /* highest lifecycle id of it seen freed */
	bool fin_sent;			   /* a FIN of it went on the wire */
	struct live *gso;		   /* a super-packet not yet on the wire */
	struct live *ack_first, *ack_last; /* frames awaiting an ACK */
	__u32 nr_sends, cap_sends;
	struct sendst **sends; /* in sequence order, LC_SENDS_MAX at most */
};

enum ending {
	END_UNSEEN, /* later records of it came, or its address held a new skb */
	END_EVICTED,
	END_FINISH,
};

struct lifecycle {
	struct lc_ops ops;
	const struct trace_meta *meta;
	const struct trace_stats *stats; /* set by finish */
	bool watched[TSEND_STAGE_MAX];
	bool acks_in_established; /* ACKs come from the tcp_probe tracepoint */
	bool finishing;
	struct lc_counts counts;
	__u64 next_skb_id, next_send_id;
	struct u64map by_addr, by_head, by_sk, by_tid;
	struct live *oldest, *newest;
	size_t nr_live;
	struct sock *sock_oldest, *sock_newest;
	size_t nr_socks;
};

/* a before b in sequence space, as the kernel's before() */
static bool before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

static __u32 seq_max(__u32 a, __u32 b)
{
	return before(a, b) ? b : a;
}

/* Bytes of [a, a_end) within [b, b_end), in sequence space. */
static __u32 overlap(__u32 a, __u32 a_end, __u32 b, __u32 b_end)
{
	__u32 lo = seq_max(a, b), hi = before(a_end, b_end) ? a_end : b_end;

	return before(lo, hi) ? hi - lo : 0;
}

const char *lc_why_text(unsigned int why)
{
	switch (why) {
	case LC_WHY_NONE:
		return "complete";
	case LC_WHY_NOT_WATCHED:
		return "not watched on this kernel";
	case LC_WHY_UNSEEN:
		return "unseen: lost, or a path without a probe";
	case LC_WHY_IN_FLIGHT:
		return "still in flight when the recording ended";
	case LC_WHY_LOST:
		return "the recording lost events";
	case LC_WHY_EVICTED:
		return "evicted: too many followed at once";
	case LC_WHY_CLOSED:
		return "after the FIN, where tcp_probe does not fire";
	default:
		return "?";
	}
}

/* Which stages the probe table says were watched; all of them without one. */
static void watched_init(struct lifecycle *lc, const struct trace_meta *m)
{
	__u32 n = m ? (m->nr_probes < TRACE_MAX_PROBES ? m->nr_probes : TRACE_MAX_PROBES) : 0;

	memset(lc->watched, !m, sizeof(lc->watched));
	lc->acks_in_established = !m;
	for (__u32 i = 0; i < n; i++) {
		const struct trace_probe *p = &m->probes[i];

		if (p->stage < TSEND_STAGE_MAX && p->mech != TSEND_MECH_NONE)
			lc->watched[p->stage] = true;
		/* the tracepoint, not tcp_ack: blind after close() */
		if (p->stage == TSEND_STAGE_TCP_PROBE && p->mech >= TSEND_MECH_TP_BTF)
			lc->acks_in_established = true;
	}
}

static bool watched(const struct lifecycle *lc, unsigned int stage)
{
	return stage < TSEND_STAGE_MAX && lc->watched[stage];
}

/* tcp_probe carries the segment's ACK since ABI 2. */
static bool acks_seen(const struct lifecycle *lc)
{
	return watched(lc, TSEND_STAGE_TCP_PROBE) && (!lc->meta || lc->meta->abi_version >= 2);
}

/* Why a stage is missing, given how the story ended. */
static __u8 why_missing(const struct lifecycle *lc, unsigned int stage, enum ending how)
{
	const struct trace_stats *st = lc->stats;
	__u64 lost = 0;

	if (stage == TSEND_STAGE_CONSUME_SKB
		    ? !watched(lc, TSEND_STAGE_CONSUME_SKB) && !watched(lc, TSEND_STAGE_KFREE_SKB)
		    : !watched(lc, stage))
		return LC_WHY_NOT_WATCHED;
	if (how == END_EVICTED)
		return LC_WHY_EVICTED;
	if (how == END_UNSEEN)
		return LC_WHY_UNSEEN;
	if (!st)
		return LC_WHY_LOST; /* cut short: what it lost is unknown */
	for (__u32 i = 0; i < st->nr_cpus && i < TRACE_MAX_CPUS; i++)
		lost += st->lost[i] + st->untracked[i];
	return lost ? LC_WHY_LOST : LC_WHY_IN_FLIGHT;
}

static void stage_add(struct lc_stage *stages, __u32 *nr, __u32 max, __u32 *dropped,
		      const struct tsend_head *h)
{
	if (*nr >= max) {
		if (dropped)
			(*dropped)++;
		return;
	}
	stages[(*nr)++] = (struct lc_stage){
		.ts = h->ts,
		.skb = h->skb,
		.tid = h->tid,
		.cpu = h->cpu,
		.stage = h->stage,
		.mech = h->mech,
		.phase = h->phase,
	};
}

/* ---- sockets ---- */

static void sock_touch(struct lifecycle *lc, struct sock *s)
{
	if (lc->sock_newest == s)
		return;
	/* unlink */
	if (s->older)
		s->older->newer = s->newer;
	else if (lc->sock_oldest == s)
		lc->sock_oldest = s->newer;
	if (s->newer)
		s->newer->older = s->older;
	/* push as newest */
	s->older = lc->sock_newest;
	s->newer = NULL;
	if (lc->sock_newest)
		lc->sock_newest->newer = s;
	lc->sock_newest = s;
	if (!lc->sock_oldest)
		lc->sock_oldest = s;
}

static void send_emit(struct lifecycle *lc, struct sendst *s);
static void skb_maybe_done(struct lifecycle *lc, struct live *l);
static void skb_emit(struct lifecycle *lc, struct live *l, enum ending how);

/* Too many at once: handed out missing what it still waited for. */
static void send_evict(struct lifecycle *lc, struct sendst *s)
{
	s->pub.missing = s->exited ? TSEND_STAGE_NET_DEV_START_XMIT : s->pub.stage;
	s->pub.why = why_missing(lc, s->pub.missing, END_EVICTED);
	lc->counts.evicted++;
	send_emit(lc, s);
}

static void ack_unlink(struct lifecycle *lc, struct live *l)
{
	struct sock *s = u64map_get(&lc->by_sk, l->pub.sk);

	if (!l->in_ack || !s)
		return;
	if (l->ack_prev)
		l->ack_prev->ack_next = l->ack_next;
	else
		s->ack_first = l->ack_next;
	if (l->ack_next)
		l->ack_next->ack_prev = l->ack_prev;
	else
		s->ack_last = l->ack_prev;
	l->ack_prev = l->ack_next = NULL;
	l->in_ack = false;
}

/* The socket goes: what waits on it is handed out as it stands. */
static void sock_evict(struct lifecycle *lc, struct sock *s)
{
	while (s->nr_sends)
		send_evict(lc, s->sends[0]);
	/* their ACK can no longer be matched; nor a freed super-packet's
	 * segments */
	while (s->ack_first)
		skb_emit(lc, s->ack_first, END_EVICTED);
	if (s->gso && s->gso->pub.freed)
		skb_emit(lc, s->gso, END_EVICTED);
	if (s->older)
		s->older->newer = s->newer;
	else
		lc->sock_oldest = s->newer;
	if (s->newer)
		s->newer->older = s->older;
	else
		lc->sock_newest = s->older;
	u64map_del(&lc->by_sk, s->sk);
	lc->nr_socks--;
	lc->counts.evicted++;
	free(s->sends);
	free(s);
}

static struct sock *sock_get(struct lifecycle *lc, __u64 sk, const struct tsend_flow *flow)
{
	struct sock *s;

	if (!sk)
		return NULL;
	s = u64map_get(&lc->by_sk, sk);
	if (!s) {
		if (lc->nr_socks >= LC_SOCK_MAX)
			sock_evict(lc, lc->sock_oldest);
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		if (u64map_put(&lc->by_sk, sk, s)) {
			free(s);
			return NULL;
		}
		s->sk = sk;
		lc->nr_socks++;
	}
	if (flow && flow->family && !s->flow.family)
		s->flow = *flow;
	sock_touch(lc, s);
	return s;
}

/* ---- send() calls ---- */

static __u32 send_end(const struct sendst *s)
{
	if (s->exited)
		return s->pub.seq + (s->pub.ret > 0 ? (__u32)s->pub.ret : 0);
	return s->pub.seq + (__u32)(s->pub.asked < SEND_OPEN_SPAN ? s->pub.asked : SEND_OPEN_SPAN);
}

static void sock_send_del(struct sock *so, const struct sendst *s)
{
	for (__u32 i = 0; i < so->nr_sends; i++) {
		if (so->sends[i] != s)
			continue;
		memmove(&so->sends[i], &so->sends[i + 1],
			(so->nr_sends - i - 1) * sizeof(so->sends[0]));
		so->nr_sends--;
		return;
	}
}

static void send_emit(struct lifecycle *lc, struct sendst *s)
{
	if (s->in_sock) {
		struct sock *so = u64map_get(&lc->by_sk, s->pub.sk);

		if (so)
			sock_send_del(so, s);
	}
	if (s->in_tid && u64map_get(&lc->by_tid, s->pub.tid) == s)
		u64map_del(&lc->by_tid, s->pub.tid);
	lc->counts.sends++;
	if (s->pub.why)
		lc->counts.sends_incomplete++;
	if (lc->ops.send_done)
		lc->ops.send_done(&s->pub, lc->ops.ctx);
	free(s);
}

/* Complete once exited and every byte it returned has been on the wire. */
static bool send_complete(const struct sendst *s)
{
	if (!s->exited)
		return false;
	return s->pub.ret <= 0 || s->pub.wire_bytes >= (__u64)s->pub.ret;
}

/* A send() whose exit never came: the thread is in a new one now. */
static void send_abandon(struct lifecycle *lc, struct sendst *s, enum ending how)
{
	s->pub.missing = s->pub.stage;
	s->pub.why = why_missing(lc, s->pub.stage, how);
	send_emit(lc, s);
}

static void on_send_entry(struct lifecycle *lc, const struct tsend_send_event *e)
{
	struct sendst *old = u64map_get(&lc->by_tid, e->h.tid), *s;

	if (old)
		send_abandon(lc, old, END_UNSEEN);
	s = calloc(1, sizeof(*s));
	if (!s)
		return;
	if (u64map_put(&lc->by_tid, e->h.tid, s)) {
		free(s);
		return;
	}
	s->in_tid = true;
	s->pub.id = ++lc->next_send_id;
	s->pub.sk = e->h.sk;
	s->pub.flow = e->flow;
	s->pub.pid = e->h.pid;
	s->pub.tid = e->h.tid;
	memcpy(s->pub.comm, e->h.comm, sizeof(s->pub.comm));
	s->pub.cpu = e->h.cpu;
	s->pub.stage = e->h.stage;
	s->pub.entry_ts = e->h.ts;
	s->pub.asked = e->size;
	s->pub.flags = e->flags;
	stage_add(s->pub.stages, &s->pub.nr_stages, LC_SEND_STAGES_MAX, NULL, &e->h);
}

static void on_send_exit(struct lifecycle *lc, struct sendst *s, const struct tsend_send_event *e)
{
	stage_add(s->pub.stages, &s->pub.nr_stages, LC_SEND_STAGES_MAX, NULL, &e->h);
	u64map_del(&lc->by_tid, s->pub.tid);
	s->in_tid = false;
	s->exited = true;
	s->pub.exit_ts = e->h.ts;
	s->pub.ret = e->ret;
	if (e->ret > 0 && !s->pub.seq_valid) {
		/* its bytes cannot be placed in sequence space */
		s->pub.missing = TSEND_STAGE_TCP_SENDMSG_LOCKED;
		s->pub.why = why_missing(lc, TSEND_STAGE_TCP_SENDMSG_LOCKED, END_UNSEEN);
		send_emit(lc, s);
		return;
	}
	if (send_complete(s))
		send_emit(lc, s);
}

static void on_send(struct lifecycle *lc, const struct tsend_send_event *e)
{
	struct sendst *s = u64map_get(&lc->by_tid, e->h.tid);
	bool syscall =
		e->h.stage == TSEND_STAGE_SYS_SENDTO || e->h.stage == TSEND_STAGE_SYS_SENDMSG;

	/* a socket known not to be TCP has no sequence space to follow */
	if (e->flow.family && e->flow.protocol && e->flow.protocol != IPPROTO_TCP)
		return;
	if (syscall && e->h.phase == TSEND_PHASE_ENTRY)
		on_send_entry(lc, e);
	else if (syscall && s && s->pub.stage == e->h.stage)
		on_send_exit(lc, s, e);
	else if (s) /* sock_sendmsg, inet_sendmsg, tcp_sendmsg inside it */
		stage_add(s->pub.stages, &s->pub.nr_stages, LC_SEND_STAGES_MAX, NULL, &e->h);
}

/* tcp_sendmsg_locked's first record: write_seq is the send's first byte. */
static void send_place(struct lifecycle *lc, struct sendst *s, const struct tsend_tcp_event *e)
{
	struct sock *so = sock_get(lc, e->h.sk, &e->flow);

	s->pub.sk = e->h.sk;
	if (!s->pub.flow.family)
		s->pub.flow = e->flow;
	s->pub.seq = e->write_seq;
	s->pub.seq_valid = true;
	s->pub.locked_ts = e->h.ts;
	if (!so)
		return;
	if (so->nr_sends == LC_SENDS_MAX)
		send_evict(lc, so->sends[0]);
	if (so->nr_sends == so->cap_sends) {
		/* a send buffer of megabytes holds thousands of small send()s */
		__u32 cap = so->cap_sends ? so->cap_sends * 2 : 16;
		struct sendst **v = realloc(so->sends, cap * sizeof(*v));

		if (!v)
			return; /* not placed: it will end missing its frames */
		so->sends = v;
		so->cap_sends = cap;
	}
	so->sends[so->nr_sends++] = s;
	s->in_sock = true;
}

/* ---- ACKs ---- */

/* A segment arrived acknowledging up to ack: frames it covers are acked. */
static void on_ack(struct lifecycle *lc, const struct tsend_tcp_event *e)
{
	struct sock *so = u64map_get(&lc->by_sk, e->h.sk);
	struct live *l, *next;

	if (!so || !(e->skb_tcp_flags & TCPF_ACK))
		return;
	for (l = so->ack_first; l; l = next) {
		next = l->ack_next;
		if (before(e->skb_ack_seq, l->pub.end_seq))
			continue;
		l->pub.acked_ts = e->h.ts;
		ack_unlink(lc, l);
		skb_maybe_done(lc, l);
	}
}

static void on_tcp(struct lifecycle *lc, const struct tsend_tcp_event *e)
{
	struct sendst *s;

	if (e->h.stage == TSEND_STAGE_TCP_PROBE) {
		if (e->h.skb)
			on_ack(lc, e);
		return;
	}
	s = u64map_get(&lc->by_tid, e->h.tid);
	if (!s || !e->h.sk || (s->pub.sk && s->pub.sk != e->h.sk))
		return;
	stage_add(s->pub.stages, &s->pub.nr_stages, LC_SEND_STAGES_MAX, NULL, &e->h);
	if (e->h.stage == TSEND_STAGE_TCP_SENDMSG_LOCKED && !s->pub.seq_valid)
		send_place(lc, s, e);
	/* the write-queue skb its bytes go to: the tail, or a new one */
	if (e->h.skb && s->pub.nr_wq < LC_WQ_MAX &&
	    (e->h.stage == TSEND_STAGE_TCP_SENDMSG_LOCKED ||
	     e->h.stage == TSEND_STAGE_TCP_SKB_ENTAIL)) {
		struct lc_wq_skb *w = &s->pub.wq[s->pub.nr_wq++];

		w->skb = e->h.skb;
		w->seq = e->h.stage == TSEND_STAGE_TCP_SKB_ENTAIL ? e->write_seq : e->skb_seq;
		w->end_seq =
			e->h.stage == TSEND_STAGE_TCP_SKB_ENTAIL ? e->write_seq : e->skb_end_seq;
	}
}

/* ---- skbs ---- */

static void live_unindex(struct lifecycle *lc, struct live *l)
{
	for (int i = 0; i < 2; i++) {
		if (l->addrs[i] && u64map_get(&lc->by_addr, l->addrs[i]) == l)
			u64map_del(&lc->by_addr, l->addrs[i]);
		l->addrs[i] = 0;
	}
	if (l->pub.head && u64map_get(&lc->by_head, l->pub.head) == l)
		u64map_del(&lc->by_head, l->pub.head);
}

/* The first stage a lifecycle misses, 0 if none. */
static __u8 skb_missing(const struct live *l)
{
	const struct lc_skb *p = &l->pub;

	if (!p->on_wire && !p->segments && !p->dropped)
		return TSEND_STAGE_NET_DEV_START_XMIT;
	if (p->on_wire && !p->xmit_rc_valid && !p->dropped)
		return TSEND_STAGE_NET_DEV_XMIT;
	if (!p->freed)
		return TSEND_STAGE_CONSUME_SKB;
	if (p->wants_ack && !p->acked_ts)
		return TSEND_STAGE_TCP_PROBE;
	return 0;
}

static void skb_emit(struct lifecycle *lc, struct live *l, enum ending how)
{
	struct sock *so = u64map_get(&lc->by_sk, l->pub.sk);

	l->pub.missing = skb_missing(l);
	/* a later skb of its socket was freed: this free took a path without
	 * a tracepoint (a received pure ACK goes by __kfree_skb) or was lost */
	if (how == END_FINISH && l->pub.missing == TSEND_STAGE_CONSUME_SKB && so &&
	    so->last_freed > l->pub.id)
		how = END_UNSEEN;
	l->pub.why = l->pub.missing ? why_missing(lc, l->pub.missing, how) : LC_WHY_NONE;
	if (l->pub.missing == TSEND_STAGE_TCP_PROBE && l->pub.why != LC_WHY_NOT_WATCHED && so &&
	    so->fin_sent && lc->acks_in_established)
		l->pub.why = LC_WHY_CLOSED;
	live_unindex(lc, l);
	ack_unlink(lc, l);
	if (so && so->gso == l)
		so->gso = NULL;
	if (l->older)
		l->older->newer = l->newer;
	else
		lc->oldest = l->newer;
	if (l->newer)
		l->newer->older = l->older;
	else
		lc->newest = l->older;
	lc->nr_live--;
	lc->counts.skbs++;
	if (l->pub.why)
		lc->counts.skbs_incomplete++;
	if (lc->ops.skb_done)
		lc->ops.skb_done(&l->pub, lc->ops.ctx);
	free(l);
}

/* A super-packet of its socket whose segments are not all seen yet. */
static bool gso_waiting(const struct lifecycle *lc, const struct live *l)
{
	const struct sock *so = u64map_get(&lc->by_sk, l->pub.sk);

	return so && so->gso == l && !l->pub.dropped && l->pub.segments < l->pub.gso_segs;
}

/*
 * Freed: done unless an ACK or net_dev_xmit may still come. net_dev_xmit
 * fires after the driver returns, when another CPU may have freed the skb
 * already (loopback, veth), so the address stays indexed for it.
 */
static void skb_maybe_done(struct lifecycle *lc, struct live *l)
{
	const struct lc_skb *p = &l->pub;
	bool want_xmit = p->on_wire && !p->xmit_rc_valid && !p->dropped;

	if (!p->freed || lc->finishing)
		return;
	/* a GSO super-packet is freed once cut, before its segments reach
	 * the device (validate_xmit_skb, ip_finish_output_gso): it waits for
	 * them, though its address and head may be reused now */
	if (gso_waiting(lc, l)) {
		live_unindex(lc, l);
		return;
	}
	if (!l->in_ack && !want_xmit) {
		skb_emit(lc, l, END_UNSEEN);
		return;
	}
	/* its addresses and head may be reused now; only net_dev_xmit may
	 * still name the address that went on the wire */
	live_unindex(lc, l);
	if (want_xmit && !u64map_put(&lc->by_addr, l->wire_addr, l))
		l->addrs[0] = l->wire_addr;
}

static struct live *live_new(struct lifecycle *lc, const struct tsend_skb_event *e)
{
	struct live *l;

	if (lc->nr_live >= LC_LIVE_MAX) {
		lc->counts.evicted++;
		skb_emit(lc, lc->oldest, END_EVICTED);
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->pub.id = ++lc->next_skb_id;
	l->pub.skb = e->h.skb;
	l->pub.head = e->head;
	l->pub.pid = e->h.pid;
	l->pub.tid = e->h.tid;
	memcpy(l->pub.comm, e->h.comm, sizeof(l->pub.comm));
	if (u64map_put(&lc->by_addr, e->h.skb, l)) {
		free(l);
		return NULL;
	}
	l->addrs[0] = e->h.skb;
	if (e->head)
		u64map_put(&lc->by_head, e->head, l); /* best effort: clones only */
	l->older = lc->newest;
	if (lc->newest)
		lc->newest->newer = l;
	else
		lc->oldest = l;
	lc->newest = l;
	lc->nr_live++;
	return l;
}

static bool seq_sane(const struct tsend_skb_event *e)
{
	return e->seq_valid && e->end_seq - e->seq < SEQ_SPAN_MAX;
}

/* What the record adds to what is known of the skb. */
static void live_update(struct live *l, const struct tsend_skb_event *e)
{
	struct lc_skb *p = &l->pub;

	if (!p->sk)
		p->sk = e->h.sk;
	if (!p->flow.family && e->flow.family)
		p->flow = e->flow;
	if (!p->head)
		p->head = e->head;
	if (!l->ack_seq && e->seq_valid)
		l->ack_seq = e->ack_seq;
	if (!p->seq_valid && seq_sane(e)) {
		__u32 span = e->end_seq - e->seq;
		__u32 syn = !!(e->tcp_flags & TCPF_SYN), fin = !!(e->tcp_flags & TCPF_FIN);

		p->seq_valid = true;
		p->seq = e->seq;
		p->end_seq = e->end_seq;
		p->tcp_flags = e->tcp_flags;
		p->payload = span > syn + fin ? span - syn - fin : 0;
	}
	if (e->ifindex)
		p->ifindex = e->ifindex;
	/* what the device got: a free sees the skb after the receiver pulled
	 * its headers, tcp_event_new_data_sent the original without them */
	if (e->len && e->h.stage < TSEND_STAGE_CONSUME_SKB && !p->on_wire)
		p->len = e->len;
	if (e->h.stage < TSEND_STAGE_CONSUME_SKB && !p->on_wire)
		p->queue = e->queue;
	if (e->gso_segs > p->gso_segs) {
		p->gso_segs = e->gso_segs;
		p->gso_size = e->gso_size;
	}
	stage_add(p->stages, &p->nr_stages, LC_STAGES_MAX, &p->stages_dropped, &e->h);
	if (e->h.stage > l->last_stage)
		l->last_stage = e->h.stage;
}

/* A new skb at the device inside a live super-packet's range: a segment. */
static void gso_link(struct lifecycle *lc, struct live *l, struct sock *so)
{
	struct live *g = so ? so->gso : NULL;

	if (!g || g == l || !l->pub.seq_valid || !g->pub.seq_valid)
		return;
	if (before(l->pub.seq, g->pub.seq) || before(g->pub.end_seq, l->pub.end_seq))
		return;
	l->pub.parent = g->pub.id;
	g->pub.segments++;
	/* freed once cut: done with its last segment */
	if (g->pub.segments >= g->pub.gso_segs)
		skb_maybe_done(lc, g);
}

/*
 * The first send() that may hold seq: the last one starting at or before
 * it. Sends are in sequence order (a corrupt trace may break that; then
 * some bytes are counted as untraced, nothing worse).
 */
static __u32 send_at(const struct sock *so, __u32 seq)
{
	__u32 lo = 0, hi = so->nr_sends, base;

	if (!hi)
		return 0;
	base = so->sends[0]->pub.seq;
	while (hi - lo > 1) {
		__u32 mid = lo + (hi - lo) / 2;

		if (so->sends[mid]->pub.seq - base <= seq - base)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Bytes [first, end) of a frame accounted to the send() calls that wrote
 * them; *from and *to get the range of sends it touched. */
static struct sendst *frame_account(struct lifecycle *lc, struct live *l, struct sock *so, __u64 ts,
				    __u32 *from, __u32 *to)
{
	struct lc_skb *p = &l->pub;
	__u32 syn = !!(p->tcp_flags & TCPF_SYN);
	__u32 first = p->seq + syn, end = first + p->payload;
	__u32 new_from = so->snd_max_set ? seq_max(so->snd_max, first) : first;
	__u32 fresh = before(new_from, end) ? end - new_from : 0, counted = 0;
	struct sendst *mine = NULL;

	p->resent = p->payload - fresh;
	*from = *to = send_at(so, first);
	for (__u32 i = *from; i < so->nr_sends && before(so->sends[i]->pub.seq, end); i++) {
		struct sendst *s = so->sends[i];
		struct sendst *next = i + 1 < so->nr_sends ? so->sends[i + 1] : NULL;
		__u32 s_end = send_end(s), ov, ov_new;

		/* a send() not returned yet (its end is provisional) ends where
		 * the next one's bytes start: no byte is counted twice */
		if (next && !before(next->pub.seq, s->pub.seq) && before(next->pub.seq, s_end))
			s_end = next->pub.seq;
		ov = overlap(first, end, s->pub.seq, s_end);
		ov_new = overlap(new_from, end, s->pub.seq, s_end);
		if (!ov)
			continue;
		*to = i;
		if (!s->pub.frames)
			s->pub.first_skb = p->id;
		s->pub.last_skb = p->id;
		s->pub.frames++;
		s->pub.wire_bytes += ov_new;
		s->pub.resent_bytes += ov - ov_new;
		if (ov_new && !s->pub.first_wire_ts)
			s->pub.first_wire_ts = ts;
		if (ov_new)
			s->pub.last_wire_ts = ts;
		counted += ov_new;
		p->nr_sends++;
		if (overlap(first, first + 1, s->pub.seq, s_end)) {
			mine = s;
			p->send_id = s->pub.id;
		}
	}
	/* sends out of sequence order (a corrupt trace) may overlap */
	lc->counts.untraced_bytes += fresh > counted ? fresh - counted : 0;
	return mine;
}

/* Sequence state at net_dev_start_xmit: new connection, retransmission. */
static void frame_sequence(struct live *l, struct sock *so)
{
	struct lc_skb *p = &l->pub;

	if (p->tcp_flags & TCPF_SYN) {
		if (!so->syn_seen || so->syn_seq != p->seq) {
			/* a new connection on this socket: a new sequence space */
			so->snd_max_set = false;
			so->fin_sent = false;
			so->syn_seen = true;
			so->syn_seq = p->seq;
		}
	}
	if (so->snd_max_set && p->end_seq != p->seq && before(p->seq, so->snd_max))
		p->retransmit = true;
}

static int on_wire(struct lifecycle *lc, struct live *l, const struct tsend_skb_event *e,
		   const void *rec, __u32 len)
{
	struct lc_skb *p = &l->pub;
	struct sock *so = sock_get(lc, p->sk, &p->flow);
	struct sendst *mine = NULL;
	__u32 from = 0, to = 0;
	bool carried = false;
	int err = 0;

	p->on_wire = true;
	l->wire_addr = e->h.skb;
	if (so && so->gso == l)
		so->gso = NULL;
	if (so && p->seq_valid) {
		frame_sequence(l, so);
		if (p->tcp_flags & TCPF_FIN)
			so->fin_sent = true;
		if (p->payload) {
			carried = so->nr_sends != 0;
			mine = frame_account(lc, l, so, e->h.ts, &from, &to);
		}
		if (!so->snd_max_set || before(so->snd_max, p->end_seq))
			so->snd_max = p->end_seq;
		so->snd_max_set = true;
		/* a SYN's or a FIN's ACK comes outside ESTABLISHED, where
		 * tcp_probe does not fire: only data waits for its ACK */
		if (p->payload && acks_seen(lc)) {
			p->wants_ack = true;
			l->ack_prev = so->ack_last;
			if (so->ack_last)
				so->ack_last->ack_next = l;
			else
				so->ack_first = l;
			so->ack_last = l;
			l->in_ack = true;
		}
	}
	if (lc->ops.frame)
		err = lc->ops.frame(p, mine ? &mine->pub : NULL, rec, len, lc->ops.ctx);
	/* after the callback, which may look at the send() it carried; only
	 * the sends the frame touched can have been completed by it */
	for (__u32 i = from, n = carried ? to - from + 1 : 0; n && i < so->nr_sends; n--) {
		if (send_complete(so->sends[i]))
			send_emit(lc, so->sends[i]); /* the later ones move down */
		else
			i++;
	}
	return err;
}

static void on_free(struct lifecycle *lc, const struct tsend_skb_event *e)
{
	struct live *l = u64map_get(&lc->by_addr, e->h.skb);
	struct sock *so;

	/* a driver may have given it a new head (skb_cow_head for TSO) */
	if (!l || (e->head && l->pub.head && e->head != l->pub.head && !l->pub.on_wire) ||
	    l->pub.freed) {
		lc->counts.frees_unmatched++;
		return;
	}
	live_update(l, e);
	l->pub.freed = true;
	so = u64map_get(&lc->by_sk, l->pub.sk);
	if (so && so->last_freed < l->pub.id)
		so->last_freed = l->pub.id;
	if (e->h.stage == TSEND_STAGE_KFREE_SKB) {
		l->pub.dropped = true;
		l->pub.drop_reason = (__u32)e->ret;
	}
	skb_maybe_done(lc, l);
}

/* net_dev_xmit, paired by the BPF side with its CPU's net_dev_start_xmit */
static void on_xmit(struct lifecycle *lc, const struct tsend_skb_event *e)
{
	struct live *l = u64map_get(&lc->by_addr, e->h.skb);

	/* again after a requeue (NETDEV_TX_BUSY): the last attempt counts */
	if (!l || !l->pub.on_wire)
		return;
	stage_add(l->pub.stages, &l->pub.nr_stages, LC_STAGES_MAX, &l->pub.stages_dropped, &e->h);
	l->pub.xmit_rc_valid = true;
	l->pub.xmit_rc = e->ret;
	if (l->pub.freed)
		skb_maybe_done(lc, l);
}

static void on_retransmit(struct lifecycle *lc, const struct tsend_skb_event *e)
{
	struct live *l = u64map_get(&lc->by_addr, e->h.skb);

	if (!l && e->head)
		l = u64map_get(&lc->by_head, e->head);
	if (!l)
		return;
	stage_add(l->pub.stages, &l->pub.nr_stages, LC_STAGES_MAX, &l->pub.stages_dropped, &e->h);
	l->pub.retransmit = true;
}

/*
 * Without heads to compare (records that lack them), an address back at an
 * earlier stage of the path than it reached is a new skb. Not for the
 * qdisc and driver stages, which a requeue repeats, nor for
 * tcp_event_new_data_sent, which fires once the transmit returned. With
 * heads, an skb may pass the path twice (a tunnel's inner and outer
 * device) and stays one lifecycle.
 */
static bool went_back(const struct live *l, const struct tsend_skb_event *e)
{
	return (!e->head || !l->pub.head) && e->h.phase == TSEND_PHASE_ENTRY &&
	       e->h.stage < l->last_stage && e->h.stage < TSEND_STAGE_QDISC_DEQUEUE &&
	       e->h.stage != TSEND_STAGE_TCP_EVENT_NEW_DATA_SENT;
}

/*
 * A record whose TCP header says another segment: frees go unseen (a
 * receiver's __kfree_skb has no tracepoint) and the slab hands the same
 * address, even the same head, to the next skb at once, so neither proves
 * identity. A clone or a requeue keeps seq, flags and ACK.
 */
static bool other_segment(const struct live *l, const struct tsend_skb_event *e)
{
	if (!seq_sane(e) || !l->pub.seq_valid)
		return false;
	/* PSH and the ECN bits may be set on the header only */
	return e->seq != l->pub.seq || e->end_seq != l->pub.end_seq ||
	       (e->tcp_flags ^ l->pub.tcp_flags) & (TCPF_SYN | TCPF_FIN | TCPF_RST) ||
	       (e->ack_seq && l->ack_seq && e->ack_seq != l->ack_seq);
}

/* The live skb this record is about, if any; a stale one is handed out. */
static struct live *skb_find(struct lifecycle *lc, const struct tsend_skb_event *e)
{
	struct live *l = u64map_get(&lc->by_addr, e->h.skb), *h;

	if (l && (l->pub.freed || (e->head && l->pub.head && e->head != l->pub.head) ||
		  went_back(l, e) || other_segment(l, e))) {
		/* a new skb at a freed address, or one whose free we missed */
		skb_emit(lc, l, END_UNSEEN);
		l = NULL;
	}
	/* the clone's address, back on the path, but its original went down
	 * again since (a newer lifecycle holds the head): skb_clone reuses
	 * the fclone slot only once the old clone was freed, unseen */
	h = l && e->head ? u64map_get(&lc->by_head, e->head) : NULL;
	if (h && h != l && h->pub.id > l->pub.id && !h->addrs[1] && l->addrs[1] == e->h.skb &&
	    e->h.stage < l->last_stage) {
		skb_emit(lc, l, END_UNSEEN);
		l = NULL;
	}
	if (l && e->h.stage == TSEND_STAGE_TCP_TRANSMIT_SKB &&
	    l->last_stage >= TSEND_STAGE_TCP_TRANSMIT_SKB) {
		/* the original goes down again: a new transmission */
		for (int i = 0; i < 2; i++)
			if (l->addrs[i] == e->h.skb)
				l->addrs[i] = 0;
		u64map_del(&lc->by_addr, e->h.skb);
		if (l->pub.head && u64map_get(&lc->by_head, l->pub.head) == l)
			u64map_del(&lc->by_head, l->pub.head);
		return NULL;
	}
	if (l || !e->head)
		return l;
	/* a clone of a live original: same head, same socket and range */
	h = u64map_get(&lc->by_head, e->head);
	if (!h || h->pub.freed || (e->h.sk && h->pub.sk && e->h.sk != h->pub.sk) ||
	    other_segment(h, e) || h->addrs[1])
		return NULL;
	if (u64map_put(&lc->by_addr, e->h.skb, h))
		return NULL;
	h->addrs[1] = e->h.skb;
	h->pub.clone = e->h.skb;
	return h;
}

static int on_skb(struct lifecycle *lc, const struct tsend_skb_event *e, const void *rec, __u32 len)
{
	struct live *l;
	bool created = false;

	if (!e->h.skb || e->h.stage == TSEND_STAGE_NONE || e->h.stage >= TSEND_STAGE_MAX)
		return 0;
	switch (e->h.stage) {
	case TSEND_STAGE_CONSUME_SKB:
	case TSEND_STAGE_KFREE_SKB:
		on_free(lc, e);
		return 0;
	case TSEND_STAGE_NET_DEV_XMIT:
		on_xmit(lc, e);
		return 0;
	case TSEND_STAGE_TCP_RETRANSMIT_SKB:
		on_retransmit(lc, e);
		return 0;
	default:
		break;
	}
	l = skb_find(lc, e);
	if (!l) {
		/* fires after the transmit, for the original: nothing new */
		if (e->h.stage == TSEND_STAGE_TCP_EVENT_NEW_DATA_SENT)
			return 0;
		l = live_new(lc, e);
		if (!l)
			return -ENOMEM;
		created = true;
	}
	live_update(l, e);
	/* segments appear after ip_finish_output_gso or at the device */
	if (created && e->h.stage > TSEND_STAGE_IP_FINISH_OUTPUT_GSO)
		gso_link(lc, l, u64map_get(&lc->by_sk, l->pub.sk));
	if (l->pub.gso_segs > 1 && !l->pub.on_wire) {
		struct sock *so = sock_get(lc, l->pub.sk, &l->pub.flow);
		struct live *old = so ? so->gso : NULL;

		if (so)
			so->gso = l;
		/* a freed super-packet waited for segments that come no more */
		if (old && old != l && old->pub.freed)
			skb_maybe_done(lc, old);
	}
	if (e->h.stage != TSEND_STAGE_NET_DEV_START_XMIT)
		return 0;
	if (!l->pub.on_wire)
		return on_wire(lc, l, e, rec, len);
	/* handed to the driver again (it returned NETDEV_TX_BUSY) */
	return lc->ops.frame ? lc->ops.frame(&l->pub, NULL, rec, len, lc->ops.ctx) : 0;
}

/* ---- API ---- */

struct lifecycle *lifecycle__new(const struct trace_meta *meta, const struct lc_ops *ops)
{
	struct lifecycle *lc = calloc(1, sizeof(*lc));

	if (!lc) {
		errno = ENOMEM;
		return NULL;
	}
	lc->meta = meta;
	watched_init(lc, meta);
	if (ops)
		lc->ops = *ops;
	return lc;
}

int lifecycle__add(struct lifecycle *lc, const void *rec, __u32 len)
{
	union tsend_record ev;
	const char *why;

	lc->counts.records++;
	if (!rec || tsend_record_check(rec, len, &why)) {
		lc->counts.malformed++;
		return -EINVAL;
	}
	tsend_record_copy(&ev, sizeof(ev), rec, len);
	switch (ev.h.kind) {
	case TSEND_KIND_SEND:
		on_send(lc, &ev.send);
		return 0;
	case TSEND_KIND_TCP:
		on_tcp(lc, &ev.tcp);
		return 0;
	case TSEND_KIND_SKB:
		return on_skb(lc, &ev.skb, rec, len);
	default:
		return 0;
	}
}

void lifecycle__finish(struct lifecycle *lc, const struct trace_stats *stats)
{
	struct sock *so;

	lc->stats = stats;
	lc->finishing = true;
	/* send() calls still inside the kernel, then those not all on the wire */
	while (lc->by_tid.nr) {
		for (size_t i = 0; i < lc->by_tid.nr_slots; i++) {
			if (lc->by_tid.slots[i].key) {
				send_abandon(lc, lc->by_tid.slots[i].val, END_FINISH);
				break;
			}
		}
	}
	for (so = lc->sock_oldest; so; so = so->newer) {
		while (so->nr_sends) {
			struct sendst *s = so->sends[0];

			s->pub.missing = TSEND_STAGE_NET_DEV_START_XMIT;
			s->pub.why = why_missing(lc, TSEND_STAGE_NET_DEV_START_XMIT, END_FINISH);
			send_emit(lc, s);
		}
	}
	while (lc->oldest)
		skb_emit(lc, lc->oldest, END_FINISH);
}

const struct lc_stage *lc_skb_stage(const struct lc_skb *l, unsigned int stage)
{
	for (__u32 i = 0; i < l->nr_stages && i < LC_STAGES_MAX; i++)
		if (l->stages[i].stage == stage)
			return &l->stages[i];
	return NULL;
}

const struct lc_counts *lifecycle__counts(const struct lifecycle *lc)
{
	return &lc->counts;
}

void lifecycle__free(struct lifecycle *lc)
{
	struct sock *so, *next;
	struct live *l, *lnext;

	if (!lc)
		return;
	for (so = lc->sock_oldest; so; so = next) {
		next = so->newer;
		for (__u32 i = 0; i < so->nr_sends; i++)
			if (!so->sends[i]->in_tid) /* else freed with the threads */
				free(so->sends[i]);
		free(so->sends);
		free(so);
	}
	for (size_t i = 0; i < lc->by_tid.nr_slots; i++)
		if (lc->by_tid.slots[i].key)
			free(lc->by_tid.slots[i].val);
	for (l = lc->oldest; l; l = lnext) {
		lnext = l->newer;
		free(l);
	}
	u64map_free(&lc->by_addr);
	u64map_free(&lc->by_head);
	u64map_free(&lc->by_sk);
	u64map_free(&lc->by_tid);
	free(lc);
}
