// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The engine: each socket's recorded inputs, in time order, through the
 * replayed send path (tcp.c → tcp_output.c → ip_output.c → neighbour.c →
 * dev.c); the frames of every socket, and the kernel's frames that are not
 * the send path's (handshake, pure ACKs), merged in departure order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../userspace/dump.h"
#include "checksum.h"
#include "dev.h"
#include "frame.h"
#include "replay.h"
#include "replay_int.h"
#include "tcp.h"
#include "tcp_offload.h"

#define FRAME_MAX (256 * 1024)

bool replay_opts__what_if(const struct replay_opts *o)
{
	return o->mss || o->nodelay >= 0 || o->no_tso || o->qdisc != QDISC_RECORDED;
}

static void flow_name(char *buf, size_t size, const struct replay_sock *rs)
{
	tsend_fmt_flow(buf, size, &rs->flow);
}

/* The device's offloads, as the kernel's frames show them. */
static void dev_features(struct tcp_sock *tp)
{
	const struct replay_sock *rs = tp->rs;

	/* GSO_LEGACY_MAX_SIZE, unless frames that size went out (BIG TCP) */
	tp->dev_gso_max = 65536;

	for (size_t i = 0; i < rs->nr_frames; i++) {
		const struct rs_frame *f = &rs->frames[i];
		struct frame_hdr h;

		if (!f->modeled)
			continue;
		tp->dev_tso |= f->gso_segs > 1;
		if (f->gso_segs > 1 && f->wire_len >= tp->dev_gso_max)
			tp->dev_gso_max = 512 * 1024;
		tp->dev_csum = rs_frame_csum_partial(f, &h);
	}
	if (tp->opts->no_tso)
		tp->dev_tso = false;
}

/* The truesize of an skb without payload (a write-queue skb's is that plus
 * its bytes: skb_len_add()), from a data frame the driver's free of which
 * was recorded; 0 when there is none, which leaves TSQ out. A what-if
 * replay has no kernel frame to charge: TSQ is left out there too. */
static __u32 tsq_truesize_base(const struct tcp_sock *tp)
{
	const struct replay_sock *rs = tp->rs;

	if (replay_opts__what_if(tp->opts))
		return 0;
	for (size_t i = 0; i < rs->nr_frames; i++) {
		const struct rs_frame *f = &rs->frames[i];
		__u32 payload = f->end - f->seq - !!(f->flags & TCPHDR_FIN);

		if (f->modeled && f->free_ts && payload && f->truesize > payload)
			return f->truesize - payload;
	}
	return 0;
}

static void apply_state(struct tcp_sock *tp, const struct rs_state *st)
{
	const struct replay_opts *o = tp->opts;

	/* TCP_MIN_MSS is 88: a smaller MSS is a damaged record, not a socket */
	if (!st->valid || st->mss < 64)
		return;
	tp->snd_cwnd = st->cwnd;
	tp->snd_ssthresh = st->ssthresh;
	tp->snd_wnd = st->snd_wnd;
	if (st->snd_wnd > tp->max_window)
		tp->max_window = st->snd_wnd;
	tp->srtt_us = st->srtt_us;
	tp->retrans_out = st->retrans_out;
	if (st->pacing_status) {
		/* ABI 3: the scoreboard the peer's SACKs built */
		tp->sacked_out = st->sacked_out;
		tp->lost_out = st->lost_out;
		tp->ca_state = st->ca_state;
		tp->pacing_rate = st->pacing_rate;
		tp->pacing_status = st->pacing_status;
		tp->pacing_shift = st->pacing_shift;
		tp->min_rtt_us = st->min_rtt_us;
	}
	if (st->mss)
		tp->mss_cache = st->mss;
	if (st->size_goal)
		tp->size_goal = st->size_goal;
	if (o->mss && tp->mss_cache) {
		__u32 segs = tp->size_goal / tp->mss_cache;

		tp->mss_cache = o->mss;
		tp->size_goal = o->mss * (segs ? segs : 1);
	}
	if (tp->size_goal < tp->mss_cache)
		tp->size_goal = tp->mss_cache;
	tp->nonagle = st->nonagle;
	if (o->nodelay == 1)
		tp->nonagle |= TCP_NAGLE_OFF | TCP_NAGLE_PUSH;
	else if (o->nodelay == 0)
		tp->nonagle &= (__u8) ~(TCP_NAGLE_OFF | TCP_NAGLE_PUSH);
	if (after(st->snd_una, tp->snd_una))
		tcp_ack(tp, st->snd_una);
}

/* The socket as its first send() found it. */
static void tcp_init_sock(struct tcp_sock *tp, const struct rs_state *st)
{
	tp->write_seq = st->write_seq;
	tp->pushed_seq = st->pushed_seq;
	tp->snd_nxt = st->snd_nxt;
	tp->snd_una = tp->snd_sml = st->snd_una;
	tp->max_window = st->snd_wnd;
	/* bytes in flight from before the recording: counted until acked */
	tp->packets_out = st->snd_nxt != st->snd_una ? st->packets_out : 0;
}

/*
 * When the pacing hrtimer runs tcp_write_xmit again: not before the
 * departure time TCP computed and, replaying the recording, when the
 * kernel's next frame shows the timer (and the softirq behind it) ran.
 * The timer's runs are not recorded: one that sent nothing but still
 * changed the queue (tcp_grow_skb) is missed, and BBR's bulk transfers
 * can go astray there.
 */
static __u64 pacing_fire_time(const struct tcp_sock *tp)
{
	const struct replay_sock *rs = tp->rs;
	__u64 t = tp->tcp_wstamp_ns;

	if (replay_opts__what_if(tp->opts))
		return t;
	for (size_t i = tp->next_frame; i < rs->nr_frames; i++) {
		if (!rs->frames[i].modeled)
			continue;
		if (rs->frames[i].ts > t)
			t = rs->frames[i].ts - 1;
		break;
	}
	return t;
}

/* mirrors tcp_tsq_handler(): the timer's tcp_write_xmit, or, while a send()
 * holds the socket, a note for release_sock (tcp_release_cb) */
static void tcp_tsq_handler(struct tcp_sock *tp)
{
	if (tp->owned) {
		tp->tsq_deferred = true;
		return;
	}
	tp->tsq_deferred = false;
	__tcp_push_pending_frames(tp, tp->mss_cache, tp->nonagle);
}

/* mirrors tcp_wfree(), v6.1: the driver freed a frame; a socket TSQ had
 * throttled gets its tcp_write_xmit (the TSQ tasklet's tcp_tsq_handler) */
static void tcp_wfree(struct tcp_sock *tp, __u32 frame)
{
	size_t i = 0;

	while (i < tp->nr_inflight && tp->inflight[i] != frame)
		i++;
	if (i == tp->nr_inflight)
		return;
	tp->inflight[i] = tp->inflight[--tp->nr_inflight];
	if (tp->tsq_throttled) {
		tp->tsq_throttled = false;
		tcp_tsq_handler(tp);
	}
}

#define ICSK_TIME_LOSS_PROBE 5

/* mirrors tcp_write_timer_handler(), v6.1: the one timer it models is the
 * tail loss probe; an RTO's and a probe's retransmissions are recorded
 * (tcp:tcp_retransmit_skb) and replayed as such */
static void tcp_write_timer_handler(struct tcp_sock *tp, __u8 pending)
{
	if (tp->owned) {
		tp->timer_deferred = pending;
		return;
	}
	tp->timer_deferred = 0;
	if (pending == ICSK_TIME_LOSS_PROBE)
		tcp_send_loss_probe(tp);
}

/* The send() lets go of the socket: what waited for it runs
 * (tcp_release_cb: the TSQ/pacing write, then the write timer). */
static void release_sock(struct tcp_sock *tp)
{
	tp->owned = false;
	if (tp->tsq_deferred)
		tcp_tsq_handler(tp);
	if (tp->timer_deferred)
		tcp_write_timer_handler(tp, tp->timer_deferred);
}

/* The pacing timer's runs, when the recording lacks them: every one due by
 * until (see pacing_fire_time) */
static void tcp_pace_kick(struct tcp_sock *tp, __u64 until)
{
	if (tp->rs_pace_kicks && !replay_opts__what_if(tp->opts))
		return;
	while (tp->pacing_timer && !tp->err) {
		__u64 t = pacing_fire_time(tp);

		if (t > until)
			return;
		tp->pacing_timer = false;
		tp->now = t;
		tcp_tsq_handler(tp);
	}
}

/*
 * What if: the recorded ACKs ran out, but a replay that sends differently
 * (a smaller MSS, Nagle off) may still hold bytes the kernel had sent by
 * then. The peer goes on as it did: an ACK of all that was sent every
 * mean gap between its recorded ACKs, until the queue is empty.
 */
static void what_if_drain(struct tcp_sock *tp, const struct replay_sock *rs)
{
	__u64 first = 0, last = 0, n = 0, gap;

	for (size_t i = 0; i < rs->nr_in; i++) {
		if (rs->in[i].kind != RIN_ACK)
			continue;
		if (!n++)
			first = rs->in[i].ts;
		last = rs->in[i].ts;
	}
	gap = n > 1 ? (last - first) / (n - 1) : 1000;
	while (skb_peek(&tp->write_queue) && !tp->err) {
		__u32 nxt = tp->snd_nxt;

		tp->now += gap ? gap : 1;
		tcp_ack(tp, tp->snd_nxt);
		tp->pacing_timer = false;
		__tcp_push_pending_frames(tp, tp->mss_cache, tp->nonagle | TCP_NAGLE_PUSH);
		if (tp->snd_nxt == nxt)
			break; /* the window is shut: nothing more can go */
	}
}

/* The first input after i that made the socket do something: a state
 * sample (an entry event) or a free by the driver does not. */
static size_t next_socket_event(const struct replay_sock *rs, size_t i)
{
	while (++i < rs->nr_in && (rs->in[i].kind == RIN_SAMPLE || rs->in[i].kind == RIN_WFREE))
		;
	return i;
}

static int run_sock(struct replay *r, struct replay_sock *rs)
{
	struct tcp_sock tp;
	size_t *first_copy, *last_copy;
	bool started = false;

	memset(&tp, 0, sizeof(tp));
	skb_queue_head_init(&tp.write_queue);
	skb_queue_head_init(&tp.rtx_queue);
	tp.rs = rs;
	tp.dev = &r->dev;
	tp.opts = &r->opts;
	tp.kver = r->in->kver;
	tp.rs_pace_kicks = r->in->pace_kicks;
	tp.first_ok =
		rs->nr_frames && frame_parse(rs->frames[0].snap, rs->frames[0].snap_len, &tp.first);
	if (!tp.first_ok)
		memset(&tp.first, 0, sizeof(tp.first));
	dev_features(&tp);
	tp.truesize_base = tsq_truesize_base(&tp);
	tp.inflight = calloc(rs->nr_frames ? rs->nr_frames : 1, sizeof(*tp.inflight));
	first_copy = calloc(rs->nr_sends ? rs->nr_sends : 1, 2 * sizeof(*first_copy));
	if (!first_copy || !tp.inflight) {
		free(first_copy);
		free(tp.inflight);
		return -ENOMEM;
	}
	last_copy = first_copy + (rs->nr_sends ? rs->nr_sends : 1);
	for (size_t i = rs->nr_in; i-- > 0;)
		if (rs->in[i].kind == RIN_COPY)
			first_copy[rs->in[i].send] = i;
	for (size_t i = 0; i < rs->nr_in; i++)
		if (rs->in[i].kind == RIN_COPY)
			last_copy[rs->in[i].send] = i;
	for (size_t i = 0, next_event = 0; i < rs->nr_in && !tp.err && !r->dev.err; i++) {
		const struct rin *in = &rs->in[i];
		const struct rs_send *snd;

		tcp_pace_kick(&tp, in->ts);
		tp.now = in->ts;
		if (next_event <= i)
			next_event = next_socket_event(rs, i);
		tp.next_event_ts = next_event < rs->nr_in ? rs->in[next_event].ts : ~0ULL;
		/* a task let go of the socket since: what waited for it ran */
		if (in->st.owned == 1 && tp.owned)
			release_sock(&tp);
		if (!started && in->kind != RIN_COPY)
			continue; /* before the first send(): nothing to send */
		switch (in->kind) {
		case RIN_COPY:
			snd = &rs->sends[in->send];
			if (!started) {
				tcp_init_sock(&tp, &in->st);
				started = true;
			}
			apply_state(&tp, &in->st);
			if (!in->st.size_goal && tp.mss_cache && !tp.opts->mss)
				tp.size_goal = tcp_xmit_size_goal(&tp, tp.mss_cache);
			if (first_copy[in->send] == i)
				tp.copied = tp.process_backlog = 0;
			tp.owned = true;
			if (!in->copy && last_copy[in->send] != i) {
				/* sk_stream_wait_memory() lets go of the socket */
				tcp_sendmsg_wait(&tp, snd);
				release_sock(&tp);
			} else {
				tcp_sendmsg_locked(&tp, snd, in->copy, last_copy[in->send] == i);
			}
			break;
		case RIN_RELEASE:
			release_sock(&tp);
			break;
		case RIN_TIMER:
			apply_state(&tp, &in->st);
			if (in->st.owned)
				tp.owned = in->st.owned == 2;
			tcp_write_timer_handler(&tp, in->st.pending);
			break;
		case RIN_PACE:
			apply_state(&tp, &in->st);
			if (in->st.owned)
				tp.owned = in->st.owned == 2;
			tp.pacing_timer = false;
			tcp_tsq_handler(&tp);
			break;
		case RIN_SAMPLE:
			apply_state(&tp, &in->st);
			break;
		case RIN_ACK: {
			struct rs_state after = in->after;

			after.snd_una = in->seq;
			apply_state(&tp, &after);
			/* tcp_xmit_recovery(): what this ACK made the kernel
			 * retransmit went out before new data */
			while (i + 1 < rs->nr_in && rs->in[i + 1].kind == RIN_RETRANS) {
				i++;
				tp.now = rs->in[i].ts;
				tcp_retransmit_skb(&tp, rs->in[i].seq, rs->in[i].end);
			}
			/* tcp_data_snd_check(), when the kernel got there: TSQ
			 * reads what the driver freed meanwhile */
			if (in->after_ts > tp.xmit_done)
				tp.xmit_done = in->after_ts;
			if (skb_peek(&tp.write_queue))
				__tcp_push_pending_frames(&tp, tp.mss_cache, tp.nonagle);
			break;
		}
		case RIN_RETRANS:
			tcp_retransmit_skb(&tp, in->seq, in->end);
			break;
		case RIN_CLOSE:
			tcp_send_fin(&tp);
			break;
		case RIN_WFREE:
			tcp_wfree(&tp, in->frame);
			break;
		}
	}
	tcp_pace_kick(&tp, ~0ULL);
	if (replay_opts__what_if(&r->opts))
		what_if_drain(&tp, rs);
	skb_queue_purge(&tp.write_queue);
	skb_queue_purge(&tp.rtx_queue);
	free(first_copy);
	free(tp.inflight);
	if (tp.err || r->dev.err)
		return tp.err ? tp.err : r->dev.err;
	/* the kernel's frames the send path does not make go out as recorded */
	for (size_t i = 0; i < rs->nr_frames; i++)
		if (!rs->frames[i].modeled && dev_passthrough(&r->dev, rs, &rs->frames[i]))
			return -ENOMEM;
	return 0;
}

static int by_departure(const void *a, const void *b)
{
	const struct rframe *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* A socket whose frames carry data must have its send() calls recorded. */
static int check_modelable(const struct replay *r, const struct replay_sock *rs, char *err,
			   size_t errlen)
{
	char flow[128];

	if (rs->nr_sends)
		return 0;
	for (size_t i = 0; i < rs->nr_frames; i++) {
		if (rs->frames[i].modeled && !(rs->frames[i].flags & TCPHDR_FIN)) {
			flow_name(flow, sizeof(flow), rs);
			snprintf(
				err, errlen,
				"%s: record %llu: flow %s sent data, but none of its send() calls was "
				"recorded: the replay cannot model it (was recording started "
				"mid-connection, or its sender filtered out?)",
				r->trace, (unsigned long long)rs->frames[i].rec, flow);
			return -EINVAL;
		}
	}
	return 0;
}

/* Runs the send path over inputs r->in already read. */
static struct replay *replay_run(struct replay *r, char *err, size_t errlen)
{
	if (!r->in)
		goto fail;
	if (r->in->lost) {
		snprintf(err, errlen,
			 "%s: %llu records were lost while recording; a replay needs every one "
			 "(record again with a larger --buffer)",
			 r->trace, (unsigned long long)r->in->lost);
		goto fail;
	}
	if (r->in->warning[0] && !r->opts.partial) {
		snprintf(err, errlen, "%s (--partial replays what is there)", r->in->warning);
		goto fail;
	}
	for (size_t i = 0; i < r->in->nr_socks; i++) {
		struct replay_sock *rs = r->in->socks[i];

		if (check_modelable(r, rs, err, errlen))
			goto fail;
		if (rs->nr_sends) {
			int e = run_sock(r, rs);

			if ((e == -EINVAL || e == -E2BIG) && !r->dev.err) {
				char flow[128];

				flow_name(flow, sizeof(flow), rs);
				snprintf(err, errlen, "%s: flow %s: %s: the replay cannot model it",
					 r->trace, flow,
					 e == -EINVAL ? "send() calls without an MSS recorded"
						      : "more skbs queued than a socket can hold");
				goto fail;
			}
			if (e)
				goto nomem;
			continue;
		}
		for (size_t j = 0; j < rs->nr_frames; j++)
			if (dev_passthrough(&r->dev, rs, &rs->frames[j]))
				goto nomem;
	}
	if (r->dev.nr)
		qsort(r->dev.frames, r->dev.nr, sizeof(*r->dev.frames), by_departure);
	return r;
nomem:
	if (r->dev.err == -E2BIG) {
		snprintf(err, errlen,
			 "%s: more than %u frames to replay: replay a part of the recording "
			 "(tsend-trace record --max-size)",
			 r->trace, DEV_FRAMES_MAX);
		goto fail;
	}
	snprintf(err, errlen, "%s: out of memory", r->trace);
fail:
	replay__close(r);
	return NULL;
}

static struct replay *replay_new(const char *name, const struct replay_opts *opts)
{
	struct replay *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->opts = *opts;
	r->dev.qdisc = opts->qdisc;
	snprintf(r->trace, sizeof(r->trace), "%s", name);
	r->buf = malloc(FRAME_MAX);
	if (!r->buf) {
		free(r);
		return NULL;
	}
	return r;
}

struct replay *replay__open(const char *trace, const struct replay_opts *opts, char *err,
			    size_t errlen)
{
	struct replay *r = replay_new(trace, opts);

	if (!r) {
		snprintf(err, errlen, "%s: out of memory", trace);
		return NULL;
	}
	r->in = replay_input__read(trace, err, errlen);
	return replay_run(r, err, errlen);
}

struct replay *replay__open_mem(const void *buf, size_t len, const char *name,
				const struct replay_opts *opts, char *err, size_t errlen)
{
	struct replay *r = replay_new(name, opts);

	if (!r) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	r->in = replay_input__read_mem(buf, len, name, err, errlen);
	return replay_run(r, err, errlen);
}

void replay__rewind(struct replay *r)
{
	r->pos = 0;
	r->nr_segs = r->seg_pos = 0;
}

#define TCP_CSUM_OFFSET 16 /* offsetof(struct tcphdr, check) */

static void fill(struct replay *r, const struct rframe *f, struct replay_frame *out,
		 struct replay_frame_info *info)
{
	out->data = r->buf;
	out->len = rframe_build(f, r->opts.view, r->buf, FRAME_MAX);
	out->wire_len = f->passthrough ? f->kframe->wire_len : out->len;
	out->ts_ns = f->ts + (__u64)r->in->realtime_offset;
	/* the device view leaves to the NIC what the kernel left to it */
	out->gso_size = 0;
	out->csum_start = out->csum_offset = 0;
	if (r->opts.view == VIEW_DEVICE && out->len) {
		if (f->csum_partial) {
			out->csum_start = f->l4;
			out->csum_offset = TCP_CSUM_OFFSET;
		}
		if (!f->passthrough && f->gso_segs > 1)
			out->gso_size = f->gso_size;
		else if (f->passthrough && f->kframe->gso_segs > 1 && out->len == out->wire_len)
			out->gso_size = f->kframe->gso_size;
	}
	if (info) {
		memset(info, 0, sizeof(*info));
		info->flow = &f->rs->flow;
		info->passthrough = f->passthrough;
		info->payload_known = f->payload_known;
		info->kernel_rec = f->kframe ? f->kframe->rec : 0;
		info->mono_ns = f->ts;
	}
}

int replay__next(struct replay *r, struct replay_frame *out, struct replay_frame_info *info)
{
	const struct rframe *f;

	if (r->seg_pos < r->nr_segs) {
		fill(r, &r->segs[r->seg_pos++], out, info);
		return 1;
	}
	if (r->pos >= r->dev.nr)
		return 0;
	f = &r->dev.frames[r->pos++];
	/* the NIC's TSO: a super-frame leaves as MSS-sized frames */
	if (r->opts.view == VIEW_WIRE && !f->passthrough && f->gso_size) {
		r->nr_segs = tcp_gso_segment(f, r->segs, REPLAY_SEGS_MAX);
		r->seg_pos = 0;
		fill(r, &r->segs[r->seg_pos++], out, info);
		return 1;
	}
	fill(r, f, out, info);
	return 1;
}

void replay__summary(const struct replay *r, struct replay_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->records = r->in->records;
	s->lost = r->in->lost;
	s->socks = r->in->nr_socks;
	for (size_t i = 0; i < r->in->nr_socks; i++) {
		const struct replay_sock *rs = r->in->socks[i];

		s->modeled_socks += !!rs->nr_sends;
		s->sends += rs->nr_sends;
		s->bytes += rs->stream_len;
	}
	for (size_t i = 0; i < r->dev.nr; i++) {
		const struct rframe *f = &r->dev.frames[i];

		s->frames++;
		s->passthrough += f->passthrough;
		s->unknown_payload_frames += !f->payload_known;
	}
}

const char *replay__warning(const struct replay *r)
{
	return r->in && r->in->warning[0] ? r->in->warning : NULL;
}

void replay__close(struct replay *r)
{
	if (!r)
		return;
	replay_input__free(r->in);
	free(r->dev.frames);
	free(r->buf);
	free(r);
}
