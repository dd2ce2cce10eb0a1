// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * top_view.c on readings built in memory: the interval's deltas (a key
 * that is new, one that went down after an eviction, one read twice by a
 * restarted map walk), rows per device and per flow, busiest first,
 * percentiles as bucket bounds, drop reasons, and the JSON line.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/check.h"
#include "userspace/top_view.h"

#define NETNS 4026531840U
#define SEC   1000000000ULL

/* as top__drop_reasons() would give them; 2 has no name here */
static char *reasons[65] = {[64] = "QDISC_DROP"};

static struct tsend_top_key dev_key(int ifindex, __u32 netns)
{
	return (struct tsend_top_key){.ifindex = ifindex, .netns = netns};
}

static void add_hist(struct top_reading *rd, struct tsend_top_key k, __u8 from, __u8 to, __u8 slot,
		     __u64 n)
{
	struct top_entry e = {.key = k};

	e.key.from = from;
	e.key.to = to;
	e.key.slot = slot;
	e.n = n;
	CHECK(top_reading__add(rd, TOP_HIST, &e) == 0);
}

static void add_counts(struct top_reading *rd, struct tsend_top_key k, __u32 reason,
		       struct tsend_top_counts c)
{
	struct top_entry e = {.key = k, .c = c};

	e.key.reason = reason;
	CHECK(top_reading__add(rd, TOP_COUNTS, &e) == 0);
}

static char *print(const struct top_reading *prev, const struct top_reading *cur,
		   const struct top_view_opts *o)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	CHECK(top_view_print(f, prev, cur, o) == 0);
	fclose(f);
	return s;
}

/*
 * lo (ifindex 1, every namespace has it) between two readings 1.5 s apart:
 * queue → start_xmit gets 3 more in [1K, 2K) and 2 in a new [2K, 4K) key;
 * 4 frames and 5000 bytes more; 2 drops of reason 64, 1 of reason 2. Device
 * 7 of another namespace only restarted after an eviction (its sum went
 * down: all of it is new). Device 9 did nothing: no row.
 */
static void make_dev_readings(struct top_reading *prev, struct top_reading *cur)
{
	struct tsend_top_key lo = dev_key(1, NETNS), other = dev_key(7, 1234),
			     idle = dev_key(9, NETNS);

	prev->mono_ns = 1 * SEC;
	cur->mono_ns = 2 * SEC + SEC / 2;
	add_hist(prev, lo, TSEND_STAGE_NET_DEV_QUEUE, TSEND_STAGE_NET_DEV_START_XMIT, 11, 5);
	add_counts(prev, lo, 0, (struct tsend_top_counts){.frames = 10, .bytes = 10000});
	add_counts(prev, other, 0, (struct tsend_top_counts){.frames = 50, .bytes = 90000});
	add_counts(prev, idle, 0, (struct tsend_top_counts){.frames = 3, .bytes = 300});

	add_hist(cur, lo, TSEND_STAGE_NET_DEV_QUEUE, TSEND_STAGE_NET_DEV_START_XMIT, 12, 2);
	add_hist(cur, lo, TSEND_STAGE_NET_DEV_QUEUE, TSEND_STAGE_NET_DEV_START_XMIT, 11, 8);
	add_hist(cur, lo, TSEND_STAGE_NET_DEV_START_XMIT, TSEND_STAGE_NET_DEV_XMIT, 10, 4);
	add_counts(cur, idle, 0, (struct tsend_top_counts){.frames = 3, .bytes = 300});
	add_counts(cur, lo, 64, (struct tsend_top_counts){.drops = 2});
	add_counts(cur, lo, 0, (struct tsend_top_counts){.frames = 14, .bytes = 15000});
	add_counts(cur, lo, 2, (struct tsend_top_counts){.drops = 1});
	add_counts(cur, other, 0,
		   (struct tsend_top_counts){.frames = 2, .bytes = 200000, .retransmits = 1});
	/* read twice: a map walk that restarted */
	add_counts(cur, other, 0,
		   (struct tsend_top_counts){.frames = 2, .bytes = 200000, .retransmits = 1});
	top_reading__sort(prev);
	top_reading__sort(cur);
}

static void test_dev_text(void)
{
	struct top_reading prev = {}, cur = {};
	struct top_view_opts o = {.netns = NETNS, .reasons = reasons, .nr_reasons = 65};
	char *s;

	make_dev_readings(&prev, &cur);
	CHECK_EQ_U64(cur.map[TOP_COUNTS].nr, 5); /* the duplicate is gone */
	s = print(&prev, &cur, &o);
	CHECK(s &&
	      !strncmp(s, "tsend-trace top  1970-01-01 00:00:00  interval 1.50 s  by dev\n",
		       strlen("tsend-trace top  1970-01-01 00:00:00  interval 1.50 s  by dev\n")));
	/* busiest first: 200000 bytes, then lo's 5000; device 9 is left out */
	CHECK(s && strstr(s, "\nifindex 7 in netns 1234: frames 2, bytes 200000, drops 0, "
			     "retransmits 1\nlo: frames 4, bytes 5000, drops 3 "
			     "(2: 1, QDISC_DROP: 2), retransmits 0\n"));
	CHECK(s && !strstr(s, "ifindex 9"));
	/* 3 in [1K, 2K) and 2 in [2K, 4K): p50 below 2048 ns, p99 and max below 4096 */
	CHECK(s && strstr(s, "  net_dev_queue → net_dev_start_xmit                    5    <2.0us "
			     "   <4.1us    <4.1us\n"));
	CHECK(s && strstr(s, "  net_dev_start_xmit → net_dev_xmit                     4    <1.0us "
			     "   <1.0us    <1.0us\n"));
	CHECK(s && !strstr(s, "|@")); /* no bars without --hist */
	free(s);

	o.hist = true;
	s = print(&prev, &cur, &o);
	CHECK(s &&
	      strstr(s, "<4.1us\n    [1K, 2K)                3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@"
			"@@@@@@@@@@@@@@@@@@@@|\n    [2K, 4K)                2 |@"));
	free(s);
	top_reading__free(&prev);
	top_reading__free(&cur);
}

static void test_dev_json(void)
{
	struct top_reading prev = {}, cur = {};
	struct top_view_opts o = {
		.netns = NETNS, .json = true, .hist = true, .reasons = reasons, .nr_reasons = 65};
	char *s;

	make_dev_readings(&prev, &cur);
	cur.real_ns = 1700000000ULL * SEC + SEC / 4;
	s = print(&prev, &cur, &o);
	CHECK(s &&
	      !strncmp(
		      s,
		      "{\"time\":1700000000.250,\"interval_s\":1.500,\"by\":\"dev\",\"rows\":"
		      "[{\"dev\":null,\"ifindex\":7,\"netns\":1234,\"frames\":2,",
		      strlen("{\"time\":1700000000.250,\"interval_s\":1.500,\"by\":\"dev\",\"rows\":"
			     "[{\"dev\":null,\"ifindex\":7,\"netns\":1234,\"frames\":2,")));
	CHECK(s &&
	      strstr(s, "{\"dev\":\"lo\",\"ifindex\":1,\"netns\":4026531840,\"frames\":4,"
			"\"bytes\":5000,\"drops\":3,\"retransmits\":0,\"drop_reasons\":"
			"{\"2\":1,\"QDISC_DROP\":2},\"transitions\":[{\"from\":\"net_dev_queue\","
			"\"to\":\"net_dev_start_xmit\",\"count\":5,\"p50_ns\":2048,"
			"\"p99_ns\":4096,\"max_ns\":4096,\"hist\":[{\"ge_ns\":1024,\"lt_ns\":"
			"2048,\"count\":3},{\"ge_ns\":2048,\"lt_ns\":4096,\"count\":2}]}"));
	/* one line per refresh */
	CHECK(s && strchr(s, '\n') == s + strlen(s) - 1);
	free(s);
	top_reading__free(&prev);
	top_reading__free(&cur);
}

static void test_flows(void)
{
	struct top_reading prev = {}, cur = {};
	struct top_view_opts o = {.by_flow = true};
	struct tsend_top_key k = {};
	char *s;

	k.flow = (struct tsend_flow){.family = AF_INET, .protocol = 6, .sport = 5000, .dport = 80};
	inet_pton(AF_INET, "10.0.0.1", k.flow.saddr);
	inet_pton(AF_INET, "10.0.0.2", k.flow.daddr);
	add_counts(&cur, k, 0, (struct tsend_top_counts){.frames = 1, .bytes = 66});
	add_hist(&cur, k, TSEND_STAGE_NET_DEV_XMIT, TSEND_STAGE_KFREE_SKB, 20, 1);
	top_reading__sort(&cur);
	s = print(&prev, &cur, &o);
	CHECK(s && strstr(s, "  by flow\n10.0.0.1:5000>10.0.0.2:80: frames 1, bytes 66, "));
	CHECK(s && strstr(s, "  net_dev_xmit → kfree_skb"
			     "                       "
			     "       1    <1.0ms "));
	free(s);
	o.json = true;
	s = print(&prev, &cur, &o);
	CHECK(s && strstr(s, "\"by\":\"flow\",\"rows\":[{\"flow\":\"10.0.0.1:5000>10.0.0.2:80\","));
	free(s);

	/* the same readings again: nothing changed */
	o.json = false;
	s = print(&cur, &cur, &o);
	CHECK(s && strstr(s, "\n  nothing sent\n"));
	free(s);
	o.json = true;
	s = print(&cur, &cur, &o);
	CHECK(s && strstr(s, "\"rows\":[]}\n"));
	free(s);
	top_reading__free(&prev);
	top_reading__free(&cur);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_dev_text();
	test_dev_json();
	test_flows();
	return check_done("top_view");
}
