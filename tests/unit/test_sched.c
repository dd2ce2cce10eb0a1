// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sched.c on a fake clock: each mode's schedule to the ns, the bridge
 * between --loop passes, the hybrid wait (sleep, then spin), and the
 * timing error summary on injected lateness.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/check.h"
#include "replay/sched.h"

/* A clock that moves only when read (by step, the cost of a read) or
 * slept on (to the wake time, plus oversleep). */
struct fake {
	__u64 t;
	__u64 step;
	__u64 oversleep;
	int sleeps;
	__u64 woke_for; /* the latest sleep_until() argument */
	int reads;	/* now() calls since the latest sleep */
	int eintr;	/* sleeps left to interrupt */
};

static __u64 fake_now(void *ctx)
{
	struct fake *c = ctx;
	__u64 t = c->t;

	c->t += c->step;
	c->reads++;
	return t;
}

static int fake_sleep_until(void *ctx, __u64 t)
{
	struct fake *c = ctx;

	c->sleeps++;
	c->woke_for = t;
	c->reads = 0;
	if (c->eintr) {
		c->eintr--;
		return -EINTR;
	}
	if (t > c->t)
		c->t = t;
	c->t += c->oversleep;
	return 0;
}

static struct sched *fake_sched(struct sched_opts o, struct fake *c)
{
	struct sched_clock clock = {.now = fake_now, .sleep_until = fake_sleep_until, .ctx = c};
	struct sched *s = sched__new(&o, &clock);

	if (!s) {
		perror("sched__new");
		exit(1);
	}
	sched__start(s);
	return s;
}

static __u64 next_ts(struct sched *s, __u64 ts)
{
	struct replay_frame f = {.ts_ns = ts, .len = 60, .wire_len = 60};

	return sched__next(s, &f);
}

static __u64 next_len(struct sched *s, __u32 wire_len)
{
	struct replay_frame f = {.len = wire_len, .wire_len = wire_len};

	return sched__next(s, &f);
}

static void test_recorded(void)
{
	struct fake c = {.t = 5000};
	struct sched *s = fake_sched((struct sched_opts){.mode = SCHED_RECORDED}, &c);

	/* the first frame at 0 whatever its stamp; gaps kept to the ns */
	CHECK_EQ_U64(next_ts(s, 1000000000000ULL), 0);
	CHECK_EQ_U64(next_ts(s, 1000000000500ULL), 500);
	CHECK_EQ_U64(next_ts(s, 1000000000500ULL), 500);
	/* out of order: leaves with the latest, the next gap counts from it */
	CHECK_EQ_U64(next_ts(s, 1000000000400ULL), 500);
	CHECK_EQ_U64(next_ts(s, 1000000002000ULL), 2000);
	sched__free(s);

	s = fake_sched((struct sched_opts){.mode = SCHED_RECORDED, .speed = 2}, &c);
	CHECK_EQ_U64(next_ts(s, 7), 0);
	CHECK_EQ_U64(next_ts(s, 1007), 500);
	CHECK_EQ_U64(next_ts(s, 3007), 1500);
	sched__free(s);

	/* slower than recorded; no rounding drift: 1/3 of 3e9 is 1e9 exactly */
	s = fake_sched((struct sched_opts){.mode = SCHED_RECORDED, .speed = 0.5}, &c);
	CHECK_EQ_U64(next_ts(s, 0), 0);
	CHECK_EQ_U64(next_ts(s, 1000), 2000);
	sched__free(s);
	s = fake_sched((struct sched_opts){.mode = SCHED_RECORDED, .speed = 3}, &c);
	for (int i = 0; i < 3000; i++)
		next_ts(s, i * 1000000ULL);
	CHECK_EQ_U64(next_ts(s, 3000000000ULL), 1000000000);
	sched__free(s);
}

static void test_rates(void)
{
	struct fake c = {};
	struct sched *s = fake_sched((struct sched_opts){.mode = SCHED_PPS, .pps = 3}, &c);

	/* k * 1e9 / pps from the count: no drift from a rounded 333333333 */
	CHECK_EQ_U64(next_len(s, 60), 0);
	CHECK_EQ_U64(next_len(s, 60), 333333333);
	CHECK_EQ_U64(next_len(s, 60), 666666666);
	CHECK_EQ_U64(next_len(s, 60), 1000000000);
	sched__free(s);

	/* the gap is the previous frame's wire time: 1514 + 24 bytes at
	 * 100 Mbit/s is 123.04 us, a runt padded to 60 + 24 is 6.72 us */
	CHECK_EQ_U64(sched_wire_bits(1514), 12304);
	CHECK_EQ_U64(sched_wire_bits(42), 672);
	CHECK_EQ_U64(sched_wire_bits(60), 672);
	s = fake_sched((struct sched_opts){.mode = SCHED_MBPS, .mbps = 100}, &c);
	CHECK_EQ_U64(next_len(s, 1514), 0);
	CHECK_EQ_U64(next_len(s, 42), 123040);
	CHECK_EQ_U64(next_len(s, 100), 129760);
	sched__free(s);

	s = fake_sched((struct sched_opts){.mode = SCHED_MBPS, .mbps = 0.5}, &c);
	CHECK_EQ_U64(next_len(s, 60), 0);
	CHECK_EQ_U64(next_len(s, 60), 1344000);
	sched__free(s);

	/* 60-byte frames at 10GbE line rate: 14,880,952 per second */
	s = fake_sched((struct sched_opts){.mode = SCHED_MBPS, .mbps = 10000}, &c);
	for (int i = 0; i < 14880952; i++)
		next_len(s, 60);
	CHECK(next_len(s, 60) <= 1000000000ULL);
	CHECK(next_len(s, 60) > 1000000000ULL);
	sched__free(s);
}

static void test_topspeed(void)
{
	struct fake c = {.t = 100, .step = 7};
	struct sched *s = fake_sched((struct sched_opts){.mode = SCHED_TOPSPEED}, &c);
	__u64 now;

	/* every frame due when asked: at the latest clock reading */
	CHECK_EQ_U64(next_len(s, 60), 0);
	now = sched__now(s);
	CHECK_EQ_U64(next_len(s, 60), now);
	CHECK_EQ_U64(next_len(s, 60), now);
	/* nothing to miss: departures are not errors */
	sched__depart(s, 0, 1000);
	sched__depart(s, now, now + 5000);
	{
		struct sched_errors e;

		sched__errors(s, &e);
		CHECK_EQ_U64(e.samples, 0);
		CHECK_EQ_U64(e.max_ns, 0);
	}
	sched__free(s);
}

static void test_loops(void)
{
	struct fake c = {};
	struct sched *s = fake_sched((struct sched_opts){.mode = SCHED_RECORDED}, &c);

	/* passes of 0, 100, 300: the average gap is 150, so the next pass
	 * begins 150 after 300, whatever the first stamp says */
	for (int pass = 0; pass < 3; pass++) {
		__u64 base = pass * 450;

		CHECK_EQ_U64(next_ts(s, 9000), base);
		CHECK_EQ_U64(next_ts(s, 9100), base + 100);
		CHECK_EQ_U64(next_ts(s, 9300), base + 300);
		sched__loop_end(s);
	}
	sched__free(s);

	/* one frame has no gap: its copies go back to back */
	s = fake_sched((struct sched_opts){.mode = SCHED_RECORDED}, &c);
	for (int pass = 0; pass < 3; pass++) {
		CHECK_EQ_U64(next_ts(s, 42), 0);
		sched__loop_end(s);
	}
	sched__free(s);

	/* the rate modes run on as if the stream never ended */
	s = fake_sched((struct sched_opts){.mode = SCHED_PPS, .pps = 1000}, &c);
	next_len(s, 60);
	next_len(s, 60);
	sched__loop_end(s);
	CHECK_EQ_U64(next_len(s, 60), 2000000);
	sched__free(s);
	s = fake_sched((struct sched_opts){.mode = SCHED_MBPS, .mbps = 100}, &c);
	next_len(s, 1514);
	sched__loop_end(s);
	CHECK_EQ_U64(next_len(s, 60), 123040);
	sched__free(s);
}

static void test_bad_opts(void)
{
	static const struct sched_opts bad[] = {
		{.mode = SCHED_PPS},
		{.mode = SCHED_MBPS},
		{.mode = SCHED_MBPS, .mbps = -1},
		{.mode = SCHED_MBPS, .mbps = 1e-7}, /* below 1 bit/s */
		{.mode = SCHED_RECORDED, .speed = -2},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		CHECK(sched__new(&bad[i], NULL) == NULL);
		CHECK(errno == EINVAL);
	}
}

static void test_wait(void)
{
	struct fake c = {.step = 1000, .oversleep = 20000};
	struct sched *s = fake_sched((struct sched_opts){.mode = SCHED_PPS, .pps = 1}, &c);
	__u64 now = 0, due;

	/* origin is 0, the clock at 1000 after start's read. Due at 1 ms: one
	 * sleep to 100 us before it, a 20 us oversleep, then 80 reads of spin */
	CHECK(sched__wait(s, 1000000, &now));
	CHECK_EQ_U64(c.sleeps, 1);
	CHECK_EQ_U64(c.woke_for, 900000);
	CHECK_EQ_U64(c.reads, 81);
	CHECK_EQ_U64(now, 1000000);

	/* closer than the spin margin: no sleep at all */
	CHECK(sched__wait(s, now + 50000, &now));
	CHECK_EQ_U64(c.sleeps, 1);
	CHECK_EQ_U64(now, 1050000);

	/* already due: one read, no wait */
	c.reads = 0;
	CHECK(sched__wait(s, 10, &now));
	CHECK_EQ_U64(now, 1051000);
	CHECK_EQ_U64(c.reads, 1);

	/* a signal ends the sleep: back to the caller, which checks its flag */
	c.eintr = 1;
	CHECK(!sched__wait(s, 2000000, &now));
	CHECK_EQ_U64(c.sleeps, 2);
	CHECK(sched__wait(s, 2000000, &now));
	CHECK_EQ_U64(now, 2000000);

	/* a long gap is slept in SCHED_WAIT_MAX_NS pieces */
	CHECK(!sched__wait(s, 2000000 + 3 * SCHED_WAIT_MAX_NS, &now));
	CHECK_EQ_U64(c.woke_for, 2001000 + SCHED_WAIT_MAX_NS);

	/* an oversleep past the due time: no spin, the late time reported */
	c.oversleep = 150000;
	due = c.t + 500000;
	CHECK(sched__wait(s, due, &now));
	CHECK_EQ_U64(c.reads, 1);
	CHECK_EQ_U64(now, due + 50000);
	sched__free(s);
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void test_errors(void)
{
	struct fake c = {};
	struct sched *s = fake_sched((struct sched_opts){.mode = SCHED_PPS, .pps = 1000}, &c);
	struct sched_errors e;
	enum { N = 20000 };
	static __u64 err[N];
	__u64 late = 0;

	sched__errors(s, &e);
	CHECK_EQ_U64(e.samples, 0);

	/* 101 frames 1 ms apart, frame 50 3 us late: two gaps miss by 3 us */
	for (__u64 k = 0; k <= 100; k++)
		sched__depart(s, k * 1000000, k * 1000000 + (k == 50 ? 3000 : 0));
	sched__errors(s, &e);
	CHECK_EQ_U64(e.samples, 100);
	CHECK_EQ_U64(e.p50_ns, 0);
	CHECK(e.p99_ns >= 2988 && e.p99_ns <= 3000); /* its bucket, 16 wide */
	CHECK_EQ_U64(e.max_ns, 3000);
	CHECK_EQ_U64(e.mean_late_ns, 3000 / 101);

	/* early counts too: a gap 10 ns short is 10 ns of error */
	sched__start(s);
	sched__depart(s, 1000, 1000);
	sched__depart(s, 2000, 1990);
	sched__errors(s, &e);
	CHECK_EQ_U64(e.max_ns, 10);
	CHECK_EQ_U64(e.p50_ns, 10);
	CHECK_EQ_U64(e.mean_late_ns, 5);

	/* quantiles of spread-out errors within 1% of the exact ones */
	sched__start(s);
	srand(1);
	sched__depart(s, 0, 0);
	for (int k = 1; k <= N; k++) {
		err[k - 1] = (__u64)rand() % 5000000;
		late += err[k - 1]; /* each gap err longer than its due gap */
		sched__depart(s, k * 1000000ULL, k * 1000000ULL + late);
	}
	qsort(err, N, sizeof(err[0]), cmp_u64);
	sched__errors(s, &e);
	CHECK_EQ_U64(e.samples, N);
	CHECK_EQ_U64(e.max_ns, err[N - 1]);
	CHECK(e.p50_ns * 100 >= err[N / 2 - 1] * 99 && e.p50_ns * 100 <= err[N / 2 - 1] * 101);
	CHECK(e.p99_ns * 100 >= err[N * 99 / 100 - 1] * 99 &&
	      e.p99_ns * 100 <= err[N * 99 / 100 - 1] * 101);
	sched__free(s);
}

int main(void)
{
	test_recorded();
	test_rates();
	test_topspeed();
	test_loops();
	test_bad_opts();
	test_wait();
	test_errors();
	return check_done("test_sched");
}
