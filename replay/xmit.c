// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xmit.c: the replay's TX loop (xmit.h). The kernel's dev_hard_start_xmit()
 * walks a list of skbs calling xmit_one() for each, with xmit_more set on
 * all but the last, so the driver writes its tail register once per list.
 * Here the list is "every frame already due", output__tx_batch() queues it
 * and output__flush() is the doorbell: the loop itself makes no system call
 * per frame. Left out: the qdisc, and requeueing when the driver is busy
 * (output.h has tx_batch take every frame or fail).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmit.h"

struct xmit_run {
	struct output *o;
	struct sched *s;
	const struct xmit_source *src;
	const struct xmit_opts *opts;
	struct replay_frame f; /* the next frame, as the source lent it */
	__u64 due;	       /* its due offset */
	int fetched;	       /* fetch()'s return for f */
	unsigned int taken;    /* frames of the next batch already copied */
	__u64 seen;	       /* frames taken from the source, all passes */
	__u64 pass;	       /* passes ended */
	__u64 pass_frames;     /* frames taken in this pass */
	__u64 ts_base;	       /* CLOCK_REALTIME ns of offset 0 */
	__u32 max_frame;
	__u8 *copies; /* XMIT_BATCH slots of max_frame bytes */
	struct replay_frame batch[XMIT_BATCH];
	__u64 dues[XMIT_BATCH];
};

static bool stopped(const struct xmit_opts *opts)
{
	return opts->stop && *opts->stop;
}

/*
 * The next frame and its due time into r->f and r->due: 1, 0 after the last
 * pass, or -errno. Between passes the schedule is bridged and the source
 * rewound; an empty pass ends the replay, or loops=0 would spin on nothing.
 */
static int fetch(struct xmit_run *r, char *err, size_t errlen)
{
	for (;;) {
		int ret = r->src->next(r->src->ctx, &r->f);

		if (ret > 0)
			break;
		if (ret < 0) {
			const char *why = r->src->error ? r->src->error(r->src->ctx) : NULL;

			if (why)
				snprintf(err, errlen, "%s", why);
			else
				snprintf(err, errlen, "source: frame %llu: %s",
					 (unsigned long long)r->seen + 1, strerror(-ret));
			return ret;
		}
		r->pass++;
		if ((r->opts->loops && r->pass >= r->opts->loops) || !r->pass_frames)
			return 0;
		sched__loop_end(r->s);
		r->pass_frames = 0;
		ret = r->src->rewind(r->src->ctx);
		if (ret < 0) {
			snprintf(err, errlen, "source: rewind for pass %llu: %s",
				 (unsigned long long)r->pass + 1, strerror(-ret));
			return ret;
		}
	}
	r->seen++;
	r->pass_frames++;
	/* before take() copies it: the output would refuse it only later */
	if (!r->f.data || !r->f.len) {
		snprintf(err, errlen, "source: frame %llu is empty", (unsigned long long)r->seen);
		return -EINVAL;
	}
	if (r->f.wire_len > r->max_frame || r->f.len > r->max_frame) {
		snprintf(
			err, errlen,
			"source: frame %llu: %u bytes, %u on the wire; the output takes at most %u",
			(unsigned long long)r->seen, r->f.len, r->f.wire_len, r->max_frame);
		return -EMSGSIZE;
	}
	r->due = sched__next(r->s, &r->f);
	return 1;
}

/* Copies the lent frame into batch slot i, stamped with its schedule. */
static void take(struct xmit_run *r, unsigned int i)
{
	__u8 *slot = r->copies + (size_t)i * r->max_frame;

	memcpy(slot, r->f.data, r->f.len);
	r->batch[i] = r->f;
	r->batch[i].data = slot;
	r->batch[i].ts_ns = r->ts_base + r->due;
	r->dues[i] = r->due;
}

/* mirrors dev_hard_start_xmit(), net/core/dev.c, v6.1: the list in one
 * driver call, the doorbell (flush) after its last frame */
static int xmit_list(struct xmit_run *r, unsigned int n, struct xmit_stats *st, char *err,
		     size_t errlen)
{
	int ret = output__tx_batch(r->o, r->batch, n);

	if (ret >= 0)
		ret = output__flush(r->o);
	if (ret < 0) {
		const char *why = output__error(r->o);

		snprintf(err, errlen, "%s", why ? why : strerror(-ret));
		return ret;
	}
	st->batches++;
	st->frames += n;
	for (unsigned int i = 0; i < n; i++) {
		st->bytes += r->batch[i].len;
		st->wire_bits += sched_wire_bits(r->batch[i].wire_len);
	}
	return 0;
}

/*
 * One batch: wait for the frame at the head, then take every frame due by
 * then (all of them for a file). The head is copied and the frame after it
 * fetched before the wait, so a source that reads its file then (a pcap
 * reader's read() every few frames) does it in the slack, and nothing but
 * the clock runs between the wait's end and the send. The departure
 * recorded for the batch is the clock read just before the driver call:
 * the scheduler's accuracy, not the driver's queueing, which its own stats
 * show. A wait cut short (a stop, or the cap on one sleep) returns 1 with
 * the head kept for the next call.
 */
static int xmit_batch(struct xmit_run *r, struct xmit_stats *st, char *err, size_t errlen)
{
	unsigned int n;
	__u64 now, sent;
	int ret, err_tx;

	if (!r->taken) {
		take(r, r->taken++);
		r->fetched = fetch(r, err, errlen);
		if (r->fetched < 0)
			return r->fetched;
	}
	if (r->opts->wait) {
		if (!sched__wait(r->s, r->dues[0], &now))
			return 1; /* woken early: the caller looks at *stop */
	} else {
		now = sched__now(r->s);
	}
	ret = r->fetched;
	while (ret > 0 && r->taken < XMIT_BATCH && (r->due <= now || !r->opts->wait)) {
		take(r, r->taken++);
		ret = fetch(r, err, errlen);
	}
	if (ret < 0)
		return ret;
	n = r->taken;
	r->taken = 0;
	r->fetched = ret;

	sent = sched__now(r->s);
	err_tx = xmit_list(r, n, st, err, errlen);
	if (err_tx < 0)
		return err_tx;
	if (r->opts->wait)
		for (unsigned int i = 0; i < n; i++)
			sched__depart(r->s, r->dues[i], sent);
	return ret;
}

static __u64 realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int xmit__run(struct output *o, struct sched *s, const struct xmit_source *src,
	      const struct xmit_opts *opts, struct xmit_stats *st, char *err, size_t errlen)
{
	struct xmit_run *r;
	int ret;

	memset(st, 0, sizeof(*st));
	if (opts->loops != 1 && !src->rewind) {
		snprintf(err, errlen, "source: cannot rewind for %llu passes",
			 (unsigned long long)opts->loops);
		return -EINVAL;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "xmit: out of memory");
		return -ENOMEM;
	}
	*r = (struct xmit_run){.o = o, .s = s, .src = src, .opts = opts};
	r->max_frame = output__max_frame(o);
	/* untouched pages of the slots cost nothing: malloc maps them lazily */
	r->copies = malloc((size_t)XMIT_BATCH * r->max_frame);
	if (!r->copies) {
		snprintf(err, errlen, "xmit: out of memory for %d frames of %u bytes", XMIT_BATCH,
			 r->max_frame);
		ret = -ENOMEM;
		goto out_free_run;
	}

	r->ts_base = realtime_ns();
	sched__start(s);
	ret = fetch(r, err, errlen);
	if (ret > 0 && !opts->wait && sched__mode(s) == SCHED_RECORDED)
		r->ts_base = r->f.ts_ns;
	while (ret > 0 && !stopped(opts))
		ret = xmit_batch(r, st, err, errlen);

	st->elapsed_ns = sched__now(s);
	if (st->elapsed_ns) {
		st->pps = st->frames * 1e9 / st->elapsed_ns;
		st->mbps = st->wire_bits * 1e3 / st->elapsed_ns;
	}
	sched__errors(s, &st->errors);
	free(r->copies);
out_free_run:
	free(r);
	return ret < 0 ? ret : 0;
}
