// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xmit.c through the real pcap: output into a temporary directory, read
 * back record by record: the bytes of every frame (the source reuses one
 * buffer, so a frame not copied before the next call shows), its stamp on
 * the schedule, batching of the frames already due, --loop, the stop flag
 * and the errors. Waiting runs on a fake clock, so nothing here sleeps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "replay/xmit.h"

#define T0	   1700000000123456789ULL
#define MAX_RECS   256
#define PCAP_MAGIC 0xa1b23c4dU

/* Frame k: 60 + 100 * (k % 5) bytes of a pattern of k, recorded at
 * T0 + gaps[k] (or k us without gaps). */
struct src {
	unsigned int n, i;
	const __u64 *gaps;
	__u32 wire_len;	      /* when set: every frame's wire_len */
	unsigned int fail_at; /* -EIO instead of frame fail_at (1-based) */
	unsigned int stop_at; /* set *stop once frame stop_at is handed out */
	volatile sig_atomic_t *stop;
	int rewinds;
	__u8 buf[600]; /* every frame lent from here */
};

static __u32 frame_len(unsigned int k)
{
	return 60 + 100 * (k % 5);
}

static __u8 frame_byte(unsigned int k, __u32 j)
{
	return (__u8)(k * 31 + j);
}

static int src_next(void *ctx, struct replay_frame *f)
{
	struct src *s = ctx;
	unsigned int k = s->i;

	if (k == s->n)
		return 0;
	if (s->fail_at && k + 1 == s->fail_at)
		return -EIO;
	for (__u32 j = 0; j < frame_len(k); j++)
		s->buf[j] = frame_byte(k, j);
	*f = (struct replay_frame){.data = s->buf, .len = frame_len(k)};
	f->wire_len = s->wire_len ? s->wire_len : f->len;
	f->ts_ns = T0 + (s->gaps ? s->gaps[k] : k * 1000ULL);
	s->i++;
	if (s->stop_at && s->i == s->stop_at)
		*s->stop = 1;
	return 1;
}

static int src_rewind(void *ctx)
{
	struct src *s = ctx;

	s->i = 0;
	s->rewinds++;
	return 0;
}

/* The fake clock of test_sched.c, its first oversleep long enough to make
 * several frames due at once, and a stop flag a sleep can raise. */
struct fake {
	__u64 t, step, oversleep;
	int sleeps;
	int stop_on; /* that sleep is "interrupted by SIGINT" */
	volatile sig_atomic_t *stop;
};

static __u64 fake_now(void *ctx)
{
	struct fake *c = ctx;

	c->t += c->step;
	return c->t - c->step;
}

static int fake_sleep_until(void *ctx, __u64 t)
{
	struct fake *c = ctx;

	if (++c->sleeps == c->stop_on) {
		*c->stop = 1;
		return -EINTR;
	}
	if (t > c->t)
		c->t = t;
	c->t += c->oversleep;
	c->oversleep = 0;
	return 0;
}

struct rec {
	__u64 ts;
	__u32 len, wire_len;
	int bytes_ok; /* the bytes are those of frame k of the source */
};

static char dir[] = "/tmp/test_xmit.XXXXXX";
static char path[64];

/* The records of path, checked against frames k % n of the source. */
static int read_pcap(struct rec *r, unsigned int n)
{
	static __u8 data[70000];
	__u32 h[6], rh[4];
	FILE *f = fopen(path, "rb");
	int count = 0;

	CHECK(f != NULL);
	if (!f)
		return -1;
	CHECK(fread(h, sizeof(h), 1, f) == 1 && h[0] == PCAP_MAGIC);
	while (count < MAX_RECS && fread(rh, sizeof(rh), 1, f) == 1) {
		unsigned int k = count % n;

		r[count].ts = rh[0] * 1000000000ULL + rh[1];
		r[count].len = rh[2];
		r[count].wire_len = rh[3];
		CHECK(rh[2] <= sizeof(data) && fread(data, rh[2], 1, f) == 1);
		r[count].bytes_ok = rh[2] == frame_len(k);
		for (__u32 j = 0; r[count].bytes_ok && j < rh[2]; j++)
			r[count].bytes_ok = data[j] == frame_byte(k, j);
		count++;
	}
	fclose(f);
	return count;
}

static int run(struct sched_opts so, struct fake *c, struct src *src, struct xmit_opts xo,
	       struct xmit_stats *st, char *err)
{
	struct sched_clock clock = {.now = fake_now, .sleep_until = fake_sleep_until, .ctx = c};
	struct xmit_source xs = {.next = src_next, .rewind = src_rewind, .ctx = src};
	char oerr[256], spec[80];
	struct output *o;
	struct sched *s;
	int ret;

	snprintf(spec, sizeof(spec), "pcap:%s", path);
	o = output__open(spec, NULL, oerr, sizeof(oerr));
	s = sched__new(&so, c ? &clock : NULL);
	CHECK(o != NULL && s != NULL);
	if (!o || !s)
		return -1;
	err[0] = 0;
	ret = xmit__run(o, s, &xs, &xo, st, err, 256);
	CHECK(output__close(o, true, NULL, 0) == 0);
	sched__free(s);
	return ret;
}

static __u64 realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A pcap replayed into a pcap keeps its recorded times; --loop 2 bridges
 * with one average gap (2500 ns here). */
static void test_recorded_file(void)
{
	static const __u64 gaps[] = {0, 1000, 5000};
	static const __u64 want[] = {0, 1000, 5000, 7500, 8500, 12500};
	struct src src = {.n = 3, .gaps = gaps};
	struct xmit_stats st;
	struct rec r[MAX_RECS];
	char err[256];

	CHECK(run((struct sched_opts){.mode = SCHED_RECORDED}, NULL, &src,
		  (struct xmit_opts){.loops = 2}, &st, err) == 0);
	CHECK(read_pcap(r, 3) == 6);
	for (int k = 0; k < 6; k++) {
		CHECK_EQ_U64(r[k].ts, T0 + want[k]);
		CHECK(r[k].bytes_ok);
		CHECK_EQ_U64(r[k].wire_len, r[k].len);
	}
	CHECK_EQ_U64(src.rewinds, 1);
	CHECK_EQ_U64(st.frames, 6);
	CHECK_EQ_U64(st.batches, 1); /* a file waits for nothing: one batch */
	CHECK_EQ_U64(st.bytes, 2 * (60 + 160 + 260));
	CHECK_EQ_U64(st.wire_bits, 2 * 8 * (84 + 184 + 284));
	CHECK_EQ_U64(st.errors.samples, 0);
}

/* Any other mode stamps from the run's realtime start; batches of 64. */
static void test_pps_file(void)
{
	struct src src = {.n = 100};
	struct xmit_stats st;
	struct rec r[MAX_RECS];
	char err[256];
	__u64 before = realtime_ns(), after;

	CHECK(run((struct sched_opts){.mode = SCHED_PPS, .pps = 1000}, NULL, &src,
		  (struct xmit_opts){.loops = 1}, &st, err) == 0);
	after = realtime_ns();
	CHECK(read_pcap(r, 100) == 100);
	CHECK(r[0].ts >= before && r[0].ts <= after);
	for (int k = 0; k < 100; k++) {
		CHECK_EQ_U64(r[k].ts - r[0].ts, k * 1000000ULL);
		CHECK(r[k].bytes_ok);
	}
	CHECK_EQ_U64(st.frames, 100);
	CHECK_EQ_U64(st.batches, 2);
	CHECK(st.pps > 0 && st.mbps > 0);
}

/*
 * On a wire: frame 0 at once; the sleep for frame 1 oversleeps to 3.4 ms,
 * so frames 1-3 (due at 1, 2, 3 ms) go in one batch; frame 4 on time. The
 * stamps stay the schedule; the errors show the miss.
 */
static void test_wait_batches(void)
{
	struct fake c = {.step = 10, .oversleep = 2500000};
	struct src src = {.n = 5};
	struct xmit_stats st;
	struct rec r[MAX_RECS];
	char err[256];

	CHECK(run((struct sched_opts){.mode = SCHED_PPS, .pps = 1000}, &c, &src,
		  (struct xmit_opts){.wait = true, .loops = 1}, &st, err) == 0);
	CHECK(read_pcap(r, 5) == 5);
	for (int k = 0; k < 5; k++) {
		CHECK_EQ_U64(r[k].ts - r[0].ts, k * 1000000ULL);
		CHECK(r[k].bytes_ok);
	}
	CHECK_EQ_U64(st.frames, 5);
	CHECK_EQ_U64(st.batches, 3);
	CHECK_EQ_U64(c.sleeps, 2);
	CHECK_EQ_U64(st.errors.samples, 4);
	/* frame 1 left ~3.4 ms after frame 0 instead of 1 ms */
	CHECK(st.errors.max_ns >= 2390000 && st.errors.max_ns <= 2410000);
	CHECK(st.elapsed_ns >= 4000000 && st.elapsed_ns < 4100000);
}

/* SIGINT during a wait ends the run at once; on a file, after the batch. */
static void test_stop(void)
{
	volatile sig_atomic_t stop = 0;
	struct fake c = {.step = 10, .stop_on = 3, .stop = &stop};
	struct src src = {.n = 100};
	struct xmit_stats st;
	struct rec r[MAX_RECS];
	char err[256];

	CHECK(run((struct sched_opts){.mode = SCHED_PPS, .pps = 1000}, &c, &src,
		  (struct xmit_opts){.wait = true, .stop = &stop}, &st, err) == 0);
	CHECK_EQ_U64(st.frames, 3);
	CHECK(read_pcap(r, 100) == 3);

	stop = 0;
	src = (struct src){.n = 100, .stop_at = 10, .stop = &stop};
	CHECK(run((struct sched_opts){.mode = SCHED_PPS, .pps = 1000}, NULL, &src,
		  (struct xmit_opts){.stop = &stop}, &st, err) == 0);
	CHECK_EQ_U64(st.frames, XMIT_BATCH);
	CHECK(read_pcap(r, 100) == XMIT_BATCH);
	for (int k = 0; k < XMIT_BATCH; k++)
		CHECK(r[k].bytes_ok);
}

static void test_topspeed_file(void)
{
	struct src src = {.n = 10};
	struct xmit_stats st;
	struct rec r[MAX_RECS];
	char err[256];
	__u64 before = realtime_ns(), after;

	CHECK(run((struct sched_opts){.mode = SCHED_TOPSPEED}, NULL, &src,
		  (struct xmit_opts){.loops = 3}, &st, err) == 0);
	after = realtime_ns();
	CHECK(read_pcap(r, 10) == 30);
	for (int k = 0; k < 30; k++) {
		CHECK(r[k].ts >= before && r[k].ts <= after);
		CHECK(!k || r[k].ts >= r[k - 1].ts);
		CHECK(r[k].bytes_ok);
	}
	CHECK_EQ_U64(st.errors.samples, 0);
}

static void test_errors(void)
{
	struct src src = {.n = 10, .fail_at = 4};
	struct xmit_stats st;
	struct rec r[MAX_RECS];
	struct xmit_source once = {.next = src_next, .ctx = &src};
	struct sched_opts so = {.mode = SCHED_TOPSPEED};
	struct sched *s = sched__new(&so, NULL);
	char err[256], oerr[256];
	struct output *o;

	CHECK(run(so, NULL, &src, (struct xmit_opts){.loops = 1}, &st, err) == -EIO);
	CHECK(!strcmp(err, "source: frame 4: Input/output error"));

	src = (struct src){.n = 10, .wire_len = 300000};
	CHECK(run(so, NULL, &src, (struct xmit_opts){.loops = 1}, &st, err) == -EMSGSIZE);
	CHECK(strstr(err, "frame 1: 60 bytes, 300000 on the wire") != NULL);

	/* an empty source looped forever is done at once */
	src = (struct src){.n = 0};
	CHECK(run(so, NULL, &src, (struct xmit_opts){}, &st, err) == 0);
	CHECK_EQ_U64(st.frames, 0);
	CHECK(read_pcap(r, 1) == 0);

	/* --loop without a rewind */
	snprintf(oerr, sizeof(oerr), "pcap:%s", path);
	o = output__open(oerr, NULL, oerr, sizeof(oerr));
	CHECK(o != NULL && s != NULL);
	CHECK(xmit__run(o, s, &once, &(struct xmit_opts){.loops = 2}, &st, err, sizeof(err)) ==
	      -EINVAL);
	CHECK(!strcmp(err, "source: cannot rewind for 2 passes"));
	output__close(o, false, NULL, 0);
	sched__free(s);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/out.pcap", dir);
	test_recorded_file();
	test_pps_file();
	test_wait_batches();
	test_stop();
	test_topspeed_file();
	test_errors();
	unlink(path);
	rmdir(dir);
	return check_done("test_xmit");
}
