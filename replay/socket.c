// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A trace turned into the replay's inputs, one struct replay_sock per
 * connection (see socket.h). One pass over the records; then each socket's
 * inputs and frames are put in time order (records of different CPUs
 * interleave) and every ACK learns the state it left behind.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../userspace/dump.h"
#include "../userspace/hash.h"
#include "../userspace/trace_file.h"
#include "../userspace/u64map.h"
#include "skbuff.h"
#include "socket.h"

/* A send() between its entry and exit, per thread. */
struct open_send {
	struct replay_sock *s;
	size_t send;	 /* index in s->sends */
	size_t last_in;	 /* its last RIN_COPY, or SIZE_MAX */
	__u32 last_left; /* msg_left of that loop */
	__u64 copied;	 /* bytes the earlier loops copied */
	__u8 stage;	 /* the outermost entry seen: its exit ends the send() */
	bool whole;	 /* its tcp_sendmsg_locked was seen once, at entry (fentry,
			  * kprobe): new skbs (tcp_skb_entail) mark its progress */
	__u32 first_left, first_seq;
	bool ret_seen; /* an inner stage returned ret already */
	__s64 ret;
	__u8 *buf; /* the bytes --payload kept, from offset 0 */
	__u64 known, cap;
};

struct reader {
	struct replay_input *in;
	struct u64map socks; /* hash of the flow → replay_sock */
	struct u64map open;  /* tid → open_send */
	struct u64map xmit;  /* skb → in_flight: frames the driver has not freed */
	const char *name;
	__u64 rec;
	char *err;
	size_t errlen;
};

#define GROW(arr, nr, cap)                                                                         \
	((nr) < (cap) || grow((void **)&(arr), &(cap), sizeof(*(arr)), (nr) + 1) == 0)

static int grow(void **arr, size_t *cap, size_t size, size_t want)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	while (n < want)
		n *= 2;
	p = realloc(*arr, n * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static __u64 flow_hash(const struct tsend_flow *f)
{
	__u64 h = fnv1a(f, sizeof(*f));

	return h ? h : 1;
}

static bool flow_known(const struct tsend_flow *f)
{
	return (f->family == 2 || f->family == 10) && f->sport && f->dport;
}

static struct replay_sock *sock_of(struct reader *r, const struct tsend_flow *f)
{
	struct tsend_flow key = *f;
	struct replay_sock *s, **socks;
	__u64 h;

	key.protocol = 0;
	key.pad = 0;
	h = flow_hash(&key);
	s = u64map_get(&r->socks, h);
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	socks = realloc(r->in->socks, (r->in->nr_socks + 1) * sizeof(*socks));
	if (!s || !socks || u64map_put(&r->socks, h, s)) {
		free(s);
		if (socks)
			r->in->socks = socks;
		return NULL;
	}
	s->flow = key;
	r->in->socks = socks;
	socks[r->in->nr_socks++] = s;
	return s;
}

static void state_of(struct rs_state *st, const struct tsend_tcp_event *e)
{
	st->snd_una = e->snd_una;
	st->snd_nxt = e->snd_nxt;
	st->packets_out = e->packets_out;
	st->ssthresh = e->snd_ssthresh;
	st->pushed_seq = e->pushed_seq;
	st->pacing_rate = e->pacing_rate;
	st->pacing_status = e->pacing_status;
	st->pacing_shift = e->pacing_shift;
	st->min_rtt_us = e->min_rtt_us;
	st->owned = e->owned;
	st->pending = e->icsk_pending;
	st->ca_state = e->ca_state;
	st->sacked_out = e->sacked_out;
	st->lost_out = e->lost_out;
	st->retrans_out = e->retrans_out;
	st->snd_wnd = e->snd_wnd;
	st->cwnd = e->snd_cwnd;
	st->mss = e->mss_cache;
	st->size_goal = e->size_goal;
	st->srtt_us = e->srtt_us;
	st->write_seq = e->write_seq;
	st->nonagle = e->nonagle;
	st->valid = true;
}

static struct rin *add_in(struct reader *r, struct replay_sock *s, __u8 kind, __u64 ts)
{
	struct rin *in;

	if (!GROW(s->in, s->nr_in, s->cap_in))
		return NULL;
	in = &s->in[s->nr_in++];
	memset(in, 0, sizeof(*in));
	in->kind = kind;
	in->ts = ts;
	in->rec = r->rec;
	return in;
}

static int fail(struct reader *r, int err, const char *fmt, const char *what)
{
	char buf[160];

	snprintf(buf, sizeof(buf), fmt, what);
	snprintf(r->err, r->errlen, "%s: record %llu: %s", r->name, (unsigned long long)r->rec,
		 buf);
	return err;
}

/* The send() is over: its bytes take their place in the stream. */
static int close_send(struct reader *r, __u32 tid, struct open_send *o, __s64 ret, __u64 ts)
{
	struct replay_sock *s = o->s;
	struct rs_send *snd = &s->sends[o->send];
	__u64 n = ret > 0 ? (__u64)ret : 0, keep, off = snd->seq;
	int err = 0;

	snd->ret = ret;
	if (o->last_in != SIZE_MAX) {
		/* the last loop copied what the earlier ones did not */
		s->in[o->last_in].copy = n > o->copied ? (__u32)(n - o->copied) : 0;
		if (!add_in(r, s, RIN_RELEASE, ts)) {
			err = -ENOMEM;
			goto out;
		}
	} else if (n) {
		err = fail(r, -EINVAL,
			   "%s: send() returned bytes, but no tcp_sendmsg_locked was recorded",
			   "flow");
		goto out;
	}
	keep = o->known < n ? o->known : n;
	if (keep) {
		struct rs_bytes *b;

		if (!GROW(s->bytes, s->nr_bytes, s->cap_bytes)) {
			err = -ENOMEM;
			goto out;
		}
		b = &s->bytes[s->nr_bytes++];
		b->off = off;
		b->len = (__u32)keep;
		b->data = o->buf; /* handed over */
		o->buf = NULL;
	}
	if (off + n > s->stream_len)
		s->stream_len = off + n;
out:
	free(o->buf);
	free(o);
	u64map_del(&r->open, tid ? tid : ~0ULL);
	return err;
}

static int keep_bytes(struct open_send *o, __u64 off, const __u8 *p, __u32 n)
{
	if (off != o->known || !n)
		return 0; /* a gap: the rest is unknown */
	if (o->known + n > o->cap) {
		__u64 cap = o->cap ? o->cap : 1024;
		__u8 *b;

		while (cap < o->known + n)
			cap *= 2;
		b = realloc(o->buf, cap);
		if (!b)
			return -ENOMEM;
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->known, p, n);
	o->known += n;
	return 0;
}

static struct open_send *open_send(struct reader *r, struct replay_sock *s, __u32 tid, __u32 flags)
{
	struct open_send *o = calloc(1, sizeof(*o));
	struct rs_send *snd;

	if (!o || !GROW(s->sends, s->nr_sends, s->cap_sends) ||
	    u64map_put(&r->open, tid ? tid : ~0ULL, o)) {
		free(o);
		return NULL;
	}
	o->s = s;
	o->send = s->nr_sends++;
	o->last_in = SIZE_MAX;
	snd = &s->sends[o->send];
	memset(snd, 0, sizeof(*snd));
	snd->flags = flags;
	return o;
}

static bool is_send_stage(unsigned int stage)
{
	return stage >= TSEND_STAGE_SYS_SENDTO && stage <= TSEND_STAGE_TCP_SENDMSG;
}

static int on_send(struct reader *r, const struct tsend_send_event *e, const __u8 *rec, __u32 len)
{
	__u64 tid = e->h.tid ? e->h.tid : ~0ULL;
	struct open_send *o = u64map_get(&r->open, tid);
	struct replay_sock *s;

	if (!is_send_stage(e->h.stage))
		return 0;
	if (e->h.phase == TSEND_PHASE_EXIT) {
		if (!o)
			return 0;
		/* the payload past the entry record comes at the outermost
		 * exit (the syscall's), after the inner stages returned */
		if (!o->stage || e->h.stage == o->stage)
			return close_send(r, e->h.tid, o, e->ret, e->h.ts);
		o->ret_seen = true;
		o->ret = e->ret;
		return 0;
	}
	if (o && o->ret_seen) {
		/* the outermost exit was lost: the inner one said enough */
		int err = close_send(r, e->h.tid, o, o->ret, e->h.ts);

		if (err)
			return err;
		o = NULL;
	}
	if (o || !flow_known(&e->flow))
		return 0; /* an inner stage of the same send() */
	s = sock_of(r, &e->flow);
	if (!s || !(o = open_send(r, s, e->h.tid, e->flags)))
		return -ENOMEM;
	o->stage = e->h.stage;
	if (e->payload_len && sizeof(*e) + e->payload_len <= len)
		return keep_bytes(o, 0, rec + sizeof(*e), e->payload_len);
	return 0;
}

static int on_data(struct reader *r, const __u8 *rec, __u32 len)
{
	struct tsend_data_event e;
	struct open_send *o;

	if (len < sizeof(e))
		return fail(r, -EINVAL, "%s record shorter than its struct", "data");
	memcpy(&e, rec, sizeof(e));
	if (sizeof(e) + e.data_len > len)
		return fail(r, -EINVAL, "%s_len runs past the record", "data");
	o = u64map_get(&r->open, e.h.tid ? e.h.tid : ~0ULL);
	return o ? keep_bytes(o, e.offset, rec + sizeof(e), e.data_len) : 0;
}

static int on_sendmsg_locked(struct reader *r, const struct tsend_tcp_event *e);

/*
 * fentry and kprobes see tcp_sendmsg_locked once, at its entry, and cannot
 * tell how the copy went on; each new skb it entails (tcp_skb_entail) and
 * each push it makes (tcp_push_one, tcp_write_xmit) says, by write_seq,
 * how far it had got, and when: a loop of its own, as the tracepoint would
 * have recorded it.
 */
static int on_copy_progress(struct reader *r, const struct tsend_tcp_event *e)
{
	struct open_send *o = u64map_get(&r->open, e->h.tid ? e->h.tid : ~0ULL);
	struct tsend_tcp_event loop = *e;
	__u32 done;

	if (!o || !o->whole)
		return 0;
	done = e->write_seq - o->first_seq;
	if (done > o->first_left || done <= o->first_left - o->last_left)
		return 0; /* not this send()'s, or no progress since */
	loop.msg_left = o->first_left - done;
	loop.size_goal = 0;
	return on_sendmsg_locked(r, &loop);
}

static int on_sendmsg_locked(struct reader *r, const struct tsend_tcp_event *e)
{
	__u64 tid = e->h.tid ? e->h.tid : ~0ULL;
	struct open_send *o = u64map_get(&r->open, tid);
	struct replay_sock *s = sock_of(r, &e->flow);
	struct rs_send *snd;
	struct rin *in;

	if (!s)
		return -ENOMEM;
	if (o && o->s != s)
		return fail(r, -EINVAL, "%s: tcp_sendmsg_locked on another socket than its send()",
			    "thread");
	/* write(), sendfile(): no send() record, the bytes stay unknown */
	if (!o && !(o = open_send(r, s, e->h.tid, 0)))
		return -ENOMEM;
	snd = &s->sends[o->send];
	if (o->last_in == SIZE_MAX) {
		o->whole = e->h.mech != TSEND_MECH_TP_BTF && e->h.mech != TSEND_MECH_RAW_TP &&
			   e->h.mech != TSEND_MECH_TP;
		o->first_left = e->msg_left;
		o->first_seq = e->write_seq;
		snd->seq = (__u32)(e->write_seq - s->seq0);
		if (!s->seq0_set) {
			s->seq0 = e->write_seq;
			s->seq0_set = true;
			snd->seq = 0;
		} else if (o->send > 0) {
			/* sequence numbers wrap; the stream does not */
			const struct rs_send *prev = &s->sends[o->send - 1];
			__u64 prev_end = prev->seq + (prev->ret > 0 ? (__u64)prev->ret : 0);

			snd->seq = prev_end + (__u32)(e->write_seq - (s->seq0 + (__u32)prev_end));
		}
	} else {
		struct rin *prev = &s->in[o->last_in];

		prev->copy = o->last_left > e->msg_left ? o->last_left - e->msg_left : 0;
		o->copied += prev->copy;
	}
	in = add_in(r, s, RIN_COPY, e->h.ts);
	if (!in)
		return -ENOMEM;
	in->send = o->send;
	state_of(&in->st, e);
	o->last_in = s->nr_in - 1;
	o->last_left = e->msg_left;
	return 0;
}

static int on_tcp(struct reader *r, const struct tsend_tcp_event *e)
{
	struct replay_sock *s;
	struct rin *in;

	if (!flow_known(&e->flow))
		return 0;
	if (e->h.stage == TSEND_STAGE_TCP_SENDMSG_LOCKED)
		return on_sendmsg_locked(r, e);
	if (e->h.stage == TSEND_STAGE_TCP_SKB_ENTAIL || e->h.stage == TSEND_STAGE_TCP_PUSH_ONE ||
	    e->h.stage == TSEND_STAGE_TCP_WRITE_XMIT) {
		int err = on_copy_progress(r, e);

		if (err)
			return err;
	}
	s = sock_of(r, &e->flow);
	if (!s)
		return -ENOMEM;
	if (e->h.stage == TSEND_STAGE_TCP_PROBE) {
		if (!(e->skb_tcp_flags & TCPHDR_ACK))
			return 0;
		in = add_in(r, s, RIN_ACK, e->h.ts);
		if (in)
			in->seq = e->skb_ack_seq;
	} else if (e->h.stage == TSEND_STAGE_TCP_PACE_KICK) {
		in = add_in(r, s, RIN_PACE, e->h.ts);
	} else if (e->h.stage == TSEND_STAGE_TCP_WRITE_TIMER) {
		in = add_in(r, s, RIN_TIMER, e->h.ts);
	} else {
		in = add_in(r, s, RIN_SAMPLE, e->h.ts);
	}
	if (!in)
		return -ENOMEM;
	state_of(&in->st, e);
	/* only tcp_sendmsg_locked's tracepoint knows its size goal (the
	 * others carry mss_now or nothing there) */
	in->st.size_goal = 0;
	return 0;
}

/*
 * A frame between the qdisc and the driver's free, by its skb's address,
 * until it is freed or the address is reused (a free not recorded). Where
 * it was queued says where TCP went on: right after __dev_queue_xmit when
 * another context (the qdisc's softirq) took it to the driver, else after
 * the driver returned it (net_dev_xmit).
 */
struct in_flight {
	struct replay_sock *s;
	__u64 sk;     /* skb->sk at net_dev_start_xmit: the socket charged */
	size_t frame; /* SIZE_MAX until net_dev_start_xmit */
	__u64 queue_ts;
	__u32 queue_tid; /* 0: net_dev_queue not recorded */
};

static struct in_flight *in_flight_of(struct reader *r, __u64 skb)
{
	struct in_flight *f = u64map_get(&r->xmit, skb);

	if (f)
		return f;
	f = calloc(1, sizeof(*f));
	if (f && u64map_put(&r->xmit, skb, f)) {
		free(f);
		return NULL;
	}
	return f;
}

static int on_queue(struct reader *r, const struct tsend_skb_event *e)
{
	struct in_flight *f;

	if (!e->truesize || !e->h.skb)
		return 0; /* recorded before truesize: no TSQ to model */
	f = in_flight_of(r, e->h.skb);
	if (!f)
		return -ENOMEM;
	*f = (struct in_flight){.frame = SIZE_MAX, .queue_ts = e->h.ts, .queue_tid = e->h.tid};
	return 0;
}

static int track_xmit(struct reader *r, struct replay_sock *s, const struct tsend_skb_event *e)
{
	struct in_flight *f = in_flight_of(r, e->h.skb);

	if (!f)
		return -ENOMEM;
	f->s = s;
	f->sk = e->h.sk;
	f->frame = s->nr_frames - 1;
	if (f->queue_tid && f->queue_tid != e->h.tid)
		s->frames[f->frame].done_ts = f->queue_ts;
	return 0;
}

/* net_dev_xmit: the driver has returned the frame; TCP goes on from here
 * if it was TCP's own context that took the frame to the driver */
static int on_xmit_done(struct reader *r, const struct tsend_skb_event *e)
{
	struct in_flight *f = e->h.skb ? u64map_get(&r->xmit, e->h.skb) : NULL;

	if (f && f->frame != SIZE_MAX && !f->s->frames[f->frame].done_ts &&
	    (!f->queue_tid || f->queue_tid == e->h.tid))
		f->s->frames[f->frame].done_ts = e->h.ts;
	return 0;
}

/*
 * mirrors tcp_wfree(): the driver freed a frame it was handed (consume_skb
 * at TX completion, or kfree_skb); the socket's charge for it ends here.
 * Only if the skb still had the socket then: loopback and veth hand it on
 * and the receiver's ip_rcv orphans it, ending the charge unrecorded (its
 * free, later, is the receiver's).
 */
static int on_free(struct reader *r, const struct tsend_skb_event *e)
{
	struct in_flight *f = e->h.skb ? u64map_get(&r->xmit, e->h.skb) : NULL;

	if (!f)
		return 0;
	if (f->frame != SIZE_MAX && f->sk && e->h.sk == f->sk) {
		struct rin *in = add_in(r, f->s, RIN_WFREE, e->h.ts);

		if (!in)
			return -ENOMEM;
		/* the frame's record, to find it once frames are in time
		 * order (finish_sock) */
		in->frame = (__u32)f->frame;
		in->after_ts = f->s->frames[f->frame].rec;
		f->s->frames[f->frame].free_ts = e->h.ts;
	}
	u64map_del(&r->xmit, e->h.skb);
	free(f);
	return 0;
}

static int on_frame(struct reader *r, const struct tsend_skb_event *e, const __u8 *rec)
{
	struct replay_sock *s = sock_of(r, &e->flow);
	struct rs_frame *f;
	__u32 plen;

	if (!s)
		return -ENOMEM;
	if (!GROW(s->frames, s->nr_frames, s->cap_frames))
		return -ENOMEM;
	f = &s->frames[s->nr_frames];
	memset(f, 0, sizeof(*f));
	f->ts = e->h.ts;
	f->rec = r->rec;
	f->seq = e->seq;
	f->end = e->end_seq;
	f->flags = e->tcp_flags;
	f->wire_len = e->len;
	f->gso_size = e->gso_size;
	f->gso_segs = e->gso_segs;
	f->csum = e->csum;
	f->truesize = e->truesize;
	f->snap_len = e->snap_len;
	if (!e->seq_valid || !e->snap_len)
		return fail(r, -EINVAL,
			    "%s: a frame without its headers (recorded with --snaplen 0?)",
			    "net_dev_start_xmit");
	f->snap = malloc(e->snap_len);
	if (!f->snap)
		return -ENOMEM;
	memcpy(f->snap, rec + sizeof(*e), e->snap_len);
	plen = f->end - f->seq - !!(f->flags & TCPHDR_SYN) - !!(f->flags & TCPHDR_FIN);
	f->modeled = !(f->flags & (TCPHDR_SYN | TCPHDR_RST)) && (plen || (f->flags & TCPHDR_FIN));
	s->nr_frames++;
	return e->truesize && e->h.skb ? track_xmit(r, s, e) : 0;
}

static int on_retransmit(struct reader *r, const struct tsend_skb_event *e)
{
	struct replay_sock *s;
	struct rin *in;

	if (!e->seq_valid)
		return 0;
	s = sock_of(r, &e->flow);
	in = s ? add_in(r, s, RIN_RETRANS, e->h.ts) : NULL;
	if (!in)
		return -ENOMEM;
	in->seq = e->seq;
	in->end = e->end_seq;
	return 0;
}

static int on_record(struct reader *r, const __u8 *rec, __u32 len)
{
	union tsend_record u;
	const char *why;

	if (tsend_record_check(rec, len, &why))
		return fail(r, -EINVAL, "%s", why);
	tsend_record_copy(&u, sizeof(u), rec, len);
	switch (u.h.kind) {
	case TSEND_KIND_SEND:
		return on_send(r, &u.send, rec, len);
	case TSEND_KIND_DATA:
		return on_data(r, rec, len);
	case TSEND_KIND_TCP:
		return on_tcp(r, &u.tcp);
	case TSEND_KIND_SKB:
		if (u.h.stage == TSEND_STAGE_CONSUME_SKB || u.h.stage == TSEND_STAGE_KFREE_SKB)
			return on_free(r, &u.skb);
		if (u.h.stage == TSEND_STAGE_NET_DEV_XMIT)
			return on_xmit_done(r, &u.skb);
		if (!flow_known(&u.skb.flow) || u.skb.flow.protocol != 6)
			return 0;
		if (u.h.stage == TSEND_STAGE_NET_DEV_QUEUE)
			return on_queue(r, &u.skb);
		if (u.h.stage == TSEND_STAGE_NET_DEV_START_XMIT)
			return on_frame(r, &u.skb, rec);
		if (u.h.stage == TSEND_STAGE_TCP_RETRANSMIT_SKB)
			return on_retransmit(r, &u.skb);
		return 0;
	default:
		return 0;
	}
}

static int by_ts_in(const void *a, const void *b)
{
	const struct rin *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

static int by_ts_frame(const void *a, const void *b)
{
	const struct rs_frame *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

/*
 * Time order, then: each ACK's effect on cwnd and the window is what the
 * socket's next event saw (the event is recorded before the ACK is
 * processed); close() is when the first FIN left.
 */
struct rec_index {
	__u64 rec;
	__u32 frame;
};

static int by_rec(const void *a, const void *b)
{
	const struct rec_index *x = a, *y = b;

	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

/* RIN_WFREE named its frame by record: now that frames are in time order,
 * by index (UINT32_MAX if it is gone, which tcp_wfree ignores). */
static int wfree_frames(struct replay_sock *s)
{
	struct rec_index *map = malloc((s->nr_frames ? s->nr_frames : 1) * sizeof(*map));

	if (!map)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_frames; i++)
		map[i] = (struct rec_index){s->frames[i].rec, (__u32)i};
	qsort(map, s->nr_frames, sizeof(*map), by_rec);
	for (size_t i = 0; i < s->nr_in; i++) {
		struct rin *in = &s->in[i];
		struct rec_index key = {.rec = in->after_ts}, *hit;

		if (in->kind != RIN_WFREE)
			continue;
		hit = s->nr_frames ? bsearch(&key, map, s->nr_frames, sizeof(*map), by_rec) : NULL;
		in->frame = hit ? hit->frame : UINT32_MAX;
		in->after_ts = 0;
	}
	free(map);
	return 0;
}

static int finish_sock(struct replay_sock *s)
{
	struct rs_state last = {0};
	__u64 last_ts = 0;

	for (size_t i = 0; i < s->nr_frames; i++) {
		const struct rs_frame *f = &s->frames[i];

		if (f->snap_len >= 14 + 20 + 20) {
			/* TCP options start after the fixed header */
			const __u8 *ip = f->snap + 14;
			__u32 l4 = 14 + ((ip[0] >> 4) == 6 ? 40 : (ip[0] & 15) * 4);

			if (f->snap_len >= l4 + 32 && (f->snap[l4 + 12] >> 4) >= 8) {
				const __u8 *o = f->snap + l4 + 20;

				s->tstamp_ok |= (o[0] == 1 && o[1] == 1 && o[2] == 8) || o[0] == 8;
			}
		}
		if (f->modeled && (f->flags & TCPHDR_FIN)) {
			struct rin *in;

			if (!GROW(s->in, s->nr_in, s->cap_in))
				return -ENOMEM;
			in = &s->in[s->nr_in++];
			memset(in, 0, sizeof(*in));
			in->kind = RIN_CLOSE;
			in->ts = f->ts ? f->ts - 1 : 0;
			in->rec = f->rec;
			break;
		}
	}
	if (s->nr_in)
		qsort(s->in, s->nr_in, sizeof(*s->in), by_ts_in);
	if (s->nr_frames)
		qsort(s->frames, s->nr_frames, sizeof(*s->frames), by_ts_frame);
	if (wfree_frames(s))
		return -ENOMEM;
	for (size_t i = s->nr_in; i-- > 0;) {
		struct rin *in = &s->in[i];

		if (in->kind == RIN_ACK) {
			in->after = last.valid ? last : in->st;
			in->after_ts = last.valid ? last_ts : in->ts;
			if (!last.valid)
				in->after.snd_una = in->seq;
		}
		if (in->st.valid) {
			last = in->st;
			last_ts = in->ts;
		}
	}
	return 0;
}

/* send()s whose exit the trace did not hold */
static void free_in_flight(struct u64map *xmit)
{
	for (size_t i = 0; i < xmit->nr_slots; i++)
		if (xmit->slots[i].key)
			free(xmit->slots[i].val);
	u64map_free(xmit);
}

static void free_open_sends(struct u64map *open)
{
	for (size_t i = 0; i < open->nr_slots; i++) {
		struct open_send *o = open->slots[i].val;

		if (open->slots[i].key && o) {
			free(o->buf);
			free(o);
		}
	}
	u64map_free(open);
}

static struct replay_input *read_all(struct trace_reader *tr, const char *name, char *err,
				     size_t errlen)
{
	const struct trace_meta *meta = trace_reader__meta(tr);
	const struct trace_stats *st;
	struct reader r = {.name = name, .err = err, .errlen = errlen};
	const void *rec;
	__u32 len;
	int ret;

	r.in = calloc(1, sizeof(*r.in));
	if (!r.in)
		goto nomem;
	r.in->snaplen = meta->snaplen;
	r.in->payload_len = meta->payload_len;
	r.in->abi_version = meta->abi_version;
	r.in->realtime_offset = meta->realtime_offset;
	{
		unsigned int major = 0, minor = 0;

		if (sscanf(meta->kernel_release, "%u.%u", &major, &minor) == 2 && major < 100 &&
		    minor < 100)
			r.in->kver = major * 100 + minor;
	}
	for (__u32 i = 0; i < meta->nr_probes && i < TRACE_MAX_PROBES; i++)
		r.in->pace_kicks |= meta->probes[i].stage == TSEND_STAGE_TCP_PACE_KICK &&
				    meta->probes[i].mech != TSEND_MECH_NONE;
	if (meta->abi_version < 2) {
		snprintf(err, errlen, "%s: recorded with trace ABI %u, which has no ACK numbers",
			 name, meta->abi_version);
		goto fail;
	}
	while ((ret = trace_reader__next(tr, &rec, &len)) > 0) {
		r.rec++;
		ret = on_record(&r, rec, len);
		if (ret == -ENOMEM)
			goto nomem;
		if (ret)
			goto fail;
	}
	if (ret < 0) {
		snprintf(err, errlen, "%s", trace_reader__error(tr));
		goto fail;
	}
	r.in->records = r.rec;
	st = trace_reader__stats(tr);
	for (__u32 c = 0; st && c < st->nr_cpus && c < TRACE_MAX_CPUS; c++)
		r.in->lost += st->lost[c];
	if (trace_reader__warning(tr))
		snprintf(r.in->warning, sizeof(r.in->warning), "%s", trace_reader__warning(tr));
	for (size_t i = 0; i < r.in->nr_socks; i++)
		if (finish_sock(r.in->socks[i]))
			goto nomem;
	u64map_free(&r.socks);
	free_open_sends(&r.open);
	free_in_flight(&r.xmit);
	return r.in;
nomem:
	snprintf(err, errlen, "%s: out of memory at record %llu", name, (unsigned long long)r.rec);
fail:
	free_open_sends(&r.open);
	free_in_flight(&r.xmit);
	u64map_free(&r.socks);
	replay_input__free(r.in);
	return NULL;
}

struct replay_input *replay_input__read(const char *path, char *err, size_t errlen)
{
	struct trace_reader *tr = trace_reader__open(path, err, errlen);
	struct replay_input *in;

	if (!tr)
		return NULL;
	in = read_all(tr, path, err, errlen);
	trace_reader__close(tr);
	return in;
}

struct replay_input *replay_input__read_mem(const void *buf, size_t len, const char *name,
					    char *err, size_t errlen)
{
	struct trace_reader *tr = trace_reader__open_mem(buf, len, name, err, errlen);
	struct replay_input *in;

	if (!tr)
		return NULL;
	in = read_all(tr, name, err, errlen);
	trace_reader__close(tr);
	return in;
}

void replay_input__free(struct replay_input *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->nr_socks; i++) {
		struct replay_sock *s = in->socks[i];

		for (size_t j = 0; j < s->nr_frames; j++)
			free(s->frames[j].snap);
		free(s->frames);
		free(s->in);
		free(s->sends);
		for (size_t j = 0; j < s->nr_bytes; j++)
			free(s->bytes[j].data);
		free(s->bytes);
		free(s);
	}
	free(in->socks);
	free(in);
}

/* The first piece of bytes that ends after off (pieces are in order). */
static size_t first_piece(const struct replay_sock *s, __u64 off)
{
	size_t lo = 0, hi = s->nr_bytes;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->bytes[mid].off + s->bytes[mid].len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void replay_sock__copy(const struct replay_sock *s, __u64 off, __u32 len, __u8 *dst)
{
	__u64 end = off + len;

	memset(dst, 0, len);
	for (size_t i = first_piece(s, off); i < s->nr_bytes && s->bytes[i].off < end; i++) {
		const struct rs_bytes *b = &s->bytes[i];
		__u64 from = b->off > off ? b->off : off;
		__u64 to = b->off + b->len < end ? b->off + b->len : end;

		memcpy(dst + (from - off), b->data + (from - b->off), to - from);
	}
}

bool replay_sock__known(const struct replay_sock *s, __u64 off, __u32 len)
{
	__u64 end = off + len, at = off;

	for (size_t i = first_piece(s, off); i < s->nr_bytes && at < end; i++) {
		if (s->bytes[i].off > at)
			return false;
		at = s->bytes[i].off + s->bytes[i].len;
	}
	return at >= end;
}
