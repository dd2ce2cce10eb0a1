// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sched.c: the departure schedule of a replay, the hybrid wait for it, and
 * how far the departures missed it. No kernel function does this (the
 * kernel sends as soon as the qdisc lets it); the modes are tcpreplay's
 * (--multiplier, --pps, --mbps, --topspeed).
 *
 * Each due time is computed from a running total (recorded ns, frames, wire
 * bits) rather than by adding rounded gaps, so rounding never accumulates
 * over a long replay.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "sched.h"

#define NSEC_PER_SEC 1000000000ULL

/*
 * The inter-frame errors go into a log-linear histogram (HdrHistogram's
 * layout) rather than a stored array: a --loop replay has no bound on its
 * frame count, and this costs a fixed 58 KiB, a shift and an add per frame,
 * and no sort at the end. Values below 256 ns get a bucket each; above,
 * each power of two is cut into 128 buckets, so a bucket is at most 1/128
 * of its values wide and its midpoint is within 0.4% of any of them.
 */
#define HIST_SUB_BITS 7
#define HIST_SUB      (1U << HIST_SUB_BITS)
/* shifts 0 to 56 (2^63 = 128 << 56), with [0, 256) taking the first two */
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct sched {
	struct sched_opts opts;
	struct sched_clock clock;
	__u64 bps;	/* SCHED_MBPS: the rate in bit/s */
	__u64 origin;	/* clock.now() at time 0 */
	__u64 last_now; /* the latest clock reading, as an offset */

	__u64 frames;	   /* frames scheduled, all passes */
	__u64 bits;	   /* SCHED_MBPS: their wire bits */
	__u64 last_due;	   /* due of the latest frame */
	__u64 pass_frames; /* frames scheduled in this pass */
	__u64 pass_base;   /* SCHED_RECORDED: due of the pass's first frame */
	__u64 prev_ts;	   /* SCHED_RECORDED: the latest ts_ns of the pass */
	__u64 rec_ns;	   /* SCHED_RECORDED: recorded ns since the pass began */

	__u64 departures;
	__u64 prev_due, prev_actual;
	__u64 late_sum, max_err;
	__u64 hist[HIST_BUCKETS];
};

static unsigned int hist_bucket(__u64 v)
{
	unsigned int shift;

	if (v < 2 * HIST_SUB)
		return v;
	/* v = m << shift with m in [128, 256): bucket shift * 128 + m */
	shift = 63 - __builtin_clzll(v) - HIST_SUB_BITS;
	return shift * HIST_SUB + (unsigned int)(v >> shift);
}

/* The middle of a bucket: what a quantile falling in it reports. */
static __u64 hist_mid(unsigned int b)
{
	unsigned int shift;

	if (b < 2 * HIST_SUB)
		return b;
	shift = b / HIST_SUB - 1;
	return ((__u64)(b - shift * HIST_SUB) << shift) + ((1ULL << shift) - 1) / 2;
}

/* Nearest rank: the smallest value with at least pct% of them at or below. */
static __u64 hist_quantile(const struct sched *s, __u64 n, unsigned int pct)
{
	__u64 rank = (n * pct + 99) / 100, seen = 0;

	for (unsigned int b = 0; b < HIST_BUCKETS; b++) {
		seen += s->hist[b];
		if (seen >= rank)
			return hist_mid(b) < s->max_err ? hist_mid(b) : s->max_err;
	}
	return s->max_err;
}

static __u64 real_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static int real_sleep_until(void *ctx, __u64 t)
{
	struct timespec ts = {.tv_sec = t / NSEC_PER_SEC, .tv_nsec = t % NSEC_PER_SEC};

	(void)ctx;
	/* returns the error number itself, not -1 and errno */
	return -clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* A hint to the core that this is a spin loop: it saves power and lets the
 * sibling hyperthread run (PAUSE on x86, YIELD on arm64). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#endif
}

struct sched *sched__new(const struct sched_opts *opts, const struct sched_clock *clock)
{
	static const struct sched_clock real = {.now = real_now, .sleep_until = real_sleep_until};
	struct sched *s;

	if ((opts->mode == SCHED_RECORDED && opts->speed < 0) ||
	    (opts->mode == SCHED_PPS && !opts->pps) ||
	    (opts->mode == SCHED_MBPS && !(opts->mbps * 1e6 >= 1))) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->opts = *opts;
	if (!(s->opts.speed > 0))
		s->opts.speed = 1;
	if (!s->opts.spin_ns)
		s->opts.spin_ns = SCHED_SPIN_NS;
	if (opts->mode == SCHED_MBPS)
		s->bps = llround(opts->mbps * 1e6);
	if (clock) {
		s->clock = *clock;
	} else {
		s->clock = real;
		/* The default 50 us slack would be added to every sleep; at 1 ns
		 * the wake-up latency alone is left. Should it fail, sleeps end
		 * later and the spin margin absorbs what it can: not an error. */
		(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	}
	return s;
}

void sched__free(struct sched *s)
{
	free(s);
}

enum sched_mode sched__mode(const struct sched *s)
{
	return s->opts.mode;
}

void sched__start(struct sched *s)
{
	struct sched_opts opts = s->opts;
	struct sched_clock clock = s->clock;
	__u64 bps = s->bps;

	memset(s, 0, sizeof(*s));
	s->opts = opts;
	s->clock = clock;
	s->bps = bps;
	s->origin = s->clock.now(s->clock.ctx);
}

__u64 sched__next(struct sched *s, const struct replay_frame *f)
{
	__u64 due = s->last_now; /* SCHED_TOPSPEED: due when asked */

	switch (s->opts.mode) {
	case SCHED_RECORDED:
		if (!s->pass_frames) {
			s->rec_ns = 0;
			s->prev_ts = f->ts_ns;
		} else if (f->ts_ns > s->prev_ts) {
			s->rec_ns += f->ts_ns - s->prev_ts;
			s->prev_ts = f->ts_ns;
		}
		due = s->pass_base + (__u64)((double)s->rec_ns / s->opts.speed);
		break;
	case SCHED_PPS:
		due = (unsigned __int128)s->frames * NSEC_PER_SEC / s->opts.pps;
		break;
	case SCHED_MBPS:
		due = (unsigned __int128)s->bits * NSEC_PER_SEC / s->bps;
		s->bits += sched_wire_bits(f->wire_len);
		break;
	case SCHED_TOPSPEED:
		break;
	}
	s->frames++;
	s->pass_frames++;
	s->last_due = due;
	return due;
}

void sched__loop_end(struct sched *s)
{
	__u64 avg;

	if (!s->pass_frames)
		return;
	/* a one-frame pass has no gap to average: its copies go back to back */
	avg = s->pass_frames > 1 ? (s->last_due - s->pass_base) / (s->pass_frames - 1) : 0;
	s->pass_base = s->last_due + avg;
	s->pass_frames = 0;
}

__u64 sched__now(struct sched *s)
{
	s->last_now = s->clock.now(s->clock.ctx) - s->origin;
	return s->last_now;
}

bool sched__wait(struct sched *s, __u64 due, __u64 *now)
{
	__u64 deadline = s->origin + due, spin = s->opts.spin_ns;
	__u64 t = s->clock.now(s->clock.ctx);

	if (t + spin < deadline) {
		__u64 wake = deadline - spin;
		bool capped = wake - t > SCHED_WAIT_MAX_NS;

		if (capped)
			wake = t + SCHED_WAIT_MAX_NS;
		if (s->clock.sleep_until(s->clock.ctx, wake) < 0 || capped) {
			sched__now(s);
			return false;
		}
		t = s->clock.now(s->clock.ctx);
	}
	/* The last stretch: a sleep would wake too late, a clock read is 20 ns */
	while (t < deadline) {
		cpu_relax();
		t = s->clock.now(s->clock.ctx);
	}
	*now = s->last_now = t - s->origin;
	return true;
}

void sched__depart(struct sched *s, __u64 due, __u64 actual)
{
	if (s->opts.mode == SCHED_TOPSPEED)
		return;
	s->late_sum += actual > due ? actual - due : due - actual;
	if (s->departures) {
		/* gaps as signed: a frame may leave early, before its due time */
		__s64 miss = (__s64)(actual - s->prev_actual) - (__s64)(due - s->prev_due);
		__u64 err = miss < 0 ? -(__u64)miss : (__u64)miss;

		s->hist[hist_bucket(err)]++;
		if (err > s->max_err)
			s->max_err = err;
	}
	s->departures++;
	s->prev_due = due;
	s->prev_actual = actual;
}

void sched__errors(const struct sched *s, struct sched_errors *e)
{
	__u64 n = s->departures ? s->departures - 1 : 0;

	*e = (struct sched_errors){.samples = n, .max_ns = s->max_err};
	if (n) {
		e->p50_ns = hist_quantile(s, n, 50);
		e->p99_ns = hist_quantile(s, n, 99);
	}
	if (s->departures)
		e->mean_late_ns = s->late_sum / s->departures;
}

__u64 sched_wire_bits(__u32 wire_len)
{
	return ((__u64)(wire_len < 60 ? 60 : wire_len) + 4 + 8 + 12) * 8;
}
