/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * When each replayed frame leaves, as tcpreplay's modes put it: the recorded
 * gaps (optionally divided by a speed), a fixed packet rate, a fixed bit
 * rate, or no waiting at all. A schedule is a list of offsets in ns from
 * sched__start(); the first frame is due at 0.
 *
 * Waiting is hybrid: clock_nanosleep(TIMER_ABSTIME) until spin_ns before the
 * due time, then a spin on CLOCK_MONOTONIC. The departures the caller reports
 * feed the timing error summary.
 */
#ifndef TSEND_REPLAY_SCHED_H
#define TSEND_REPLAY_SCHED_H

#include <linux/types.h>
#include <stdbool.h>

#include "replay/drivers/output.h"

enum sched_mode {
	SCHED_RECORDED, /* the recorded gaps (ts_ns deltas) divided by speed */
	SCHED_PPS,	/* 1e9 / pps ns between frames */
	SCHED_MBPS,	/* the previous frame's sched_wire_bits() / rate */
	SCHED_TOPSPEED, /* every frame due when asked: no waiting */
};

/*
 * The longest sleep of one sched__wait() call: a caller polling a stop flag
 * set from a signal handler sees it this soon even when the signal landed
 * just before the sleep (the 100 ms poll of the libbpf-tools loops).
 */
#define SCHED_WAIT_MAX_NS 100000000ULL

/*
 * Default spin margin. On the 2-core VM tsend is developed on, an absolute
 * clock_nanosleep() with 1 ns timer slack wakes 23-27 us late at p50 and
 * 45-69 us at p99 (the default 50 us slack adds 50 us to each): 50 us
 * would let about 1% of sleeps end past the due time, 100 us covers the
 * p99 wake-up, so the spin, not the sleep, decides the departure. Its cost
 * is 100 us of spinning per gap longer than that: 10% of a core at 1 kpps.
 */
#define SCHED_SPIN_NS 100000ULL

struct sched_opts {
	enum sched_mode mode;
	double speed;  /* SCHED_RECORDED: gaps divided by this; 0 means 1 */
	__u64 pps;     /* SCHED_PPS: frames per second, > 0 */
	double mbps;   /* SCHED_MBPS: 1e6 bit/s, > 0 */
	__u64 spin_ns; /* spin this long before each due time; 0 = SCHED_SPIN_NS */
};

/*
 * The clock, injectable so tests run on a fake one. now() is CLOCK_MONOTONIC
 * ns; sleep_until() sleeps until that clock reads t (it may return earlier
 * or later) and returns 0, or -EINTR when a signal woke it.
 */
struct sched_clock {
	__u64 (*now)(void *ctx);
	int (*sleep_until)(void *ctx, __u64 t);
	void *ctx;
};

/* Inter-frame timing error: |(actual_k - actual_k-1) - (due_k - due_k-1)|. */
struct sched_errors {
	__u64 samples; /* gaps measured: departures - 1 */
	__u64 p50_ns;  /* quantiles within 0.4% (see sched.c) */
	__u64 p99_ns;
	__u64 max_ns;	    /* exact */
	__u64 mean_late_ns; /* mean |actual - due| over departures, exact */
};

struct sched;

/*
 * clock NULL is the real one: then the calling thread's timer slack is set
 * to 1 ns (PR_SET_TIMERSLACK), or every sleep would end up to 50 us late.
 * Returns NULL with errno EINVAL (a rate <= 0) or ENOMEM.
 */
struct sched *sched__new(const struct sched_opts *opts, const struct sched_clock *clock);
void sched__free(struct sched *s);
enum sched_mode sched__mode(const struct sched *s);
/* Time 0 is now: the schedule and the errors start over. */
void sched__start(struct sched *s);
/*
 * The due offset of the next frame of the stream, called once per frame in
 * order. SCHED_RECORDED reads f->ts_ns, SCHED_MBPS f->wire_len. A frame
 * recorded before the latest one (ts_ns out of order) leaves with it, and
 * the next gap counts from the latest: one stray stamp shifts nothing else.
 */
__u64 sched__next(struct sched *s, const struct replay_frame *f);
/*
 * The stream starts again (--loop): its first frame is due one average gap
 * of the pass that ended after that pass's last frame. The rate modes need
 * no bridge, their gap is defined by the previous frame whatever it is.
 */
void sched__loop_end(struct sched *s);
/* ns since sched__start(). */
__u64 sched__now(struct sched *s);
/*
 * Waits until due (an offset from sched__start()), sleeping at most
 * SCHED_WAIT_MAX_NS. Returns true with *now the offset it reached; false
 * when woken before due (a signal, or the cap): check the stop flag and call
 * again.
 */
bool sched__wait(struct sched *s, __u64 due, __u64 *now);
/* A frame due at `due` left at `actual`; departures are reported in order.
 * Ignored under SCHED_TOPSPEED, whose schedule is the departures. */
void sched__depart(struct sched *s, __u64 due, __u64 actual);
void sched__errors(const struct sched *s, struct sched_errors *e);
/*
 * The bits a frame of wire_len bytes (from the destination MAC, no FCS, as
 * pcap and replay_frame have it) takes on Ethernet: padded to 60 bytes, plus
 * 4 FCS, 8 preamble+SFD and 12 inter-frame gap, so 60-byte frames at
 * --mbps 10000 are 14.88 Mpps, the 10GbE line rate.
 */
__u64 sched_wire_bits(__u32 wire_len);

#endif /* TSEND_REPLAY_SCHED_H */
