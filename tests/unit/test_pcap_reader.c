// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of replay/pcap_reader.c on files built here byte by byte:
 * both pcap magics and both byte orders, pcapng with blocks the reader
 * skips, every if_tsresol form and if_tsoffset, several sections, and what
 * it does with files cut off at every byte and with lying lengths. Every
 * input is handed over in a buffer of exactly its size, so ASan sees any
 * read beyond it.
 */
#include <errno.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../replay/pcap_reader.h"
#include "check.h"

#define MAX_FRAMES 16

/* A file being built, in either byte order. */
struct img {
	__u8 b[1 << 18];
	size_t n;
	bool be;
};

struct got {
	int n;
	int ret;
	__u64 ts[MAX_FRAMES];
	__u32 len[MAX_FRAMES];
	__u32 wire_len[MAX_FRAMES];
	__u8 first[MAX_FRAMES];
	char error[512];
	char warning[512];
};

static char errbuf[512];

static const __u8 frame_a[60] = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45};
static const __u8 frame_b[7] = {0xbb, 1, 2, 3, 4, 5, 6};
static const __u8 frame_c[100] = {0xcc};

static int has(const char *s, const char *sub)
{
	return s && strstr(s, sub);
}

static void put(struct img *m, __u64 v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		m->b[m->n + i] = (__u8)(v >> 8 * (m->be ? bytes - 1 - i : i));
	m->n += bytes;
}

static void put_bytes(struct img *m, const void *p, size_t n, bool pad)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
	while (pad && m->n % 4)
		m->b[m->n++] = 0;
}

static void pcap_hdr(struct img *m, __u32 magic, __u32 snaplen, __u32 linktype)
{
	put(m, magic, 4);
	put(m, 2, 2);
	put(m, 4, 2);
	put(m, 0, 4);
	put(m, 0, 4);
	put(m, snaplen, 4);
	put(m, linktype, 4);
}

static void pcap_rec(struct img *m, __u32 sec, __u32 frac, const void *data, __u32 caplen,
		     __u32 origlen)
{
	put(m, sec, 4);
	put(m, frac, 4);
	put(m, caplen, 4);
	put(m, origlen, 4);
	put_bytes(m, data, caplen, false);
}

static size_t ng_begin(struct img *m, __u32 type)
{
	size_t start = m->n;

	put(m, type, 4);
	put(m, 0, 4);
	return start;
}

static void ng_end(struct img *m, size_t start)
{
	size_t n = m->n;

	m->n = start + 4;
	put(m, n + 4 - start, 4);
	m->n = n;
	put(m, n + 4 - start, 4);
}

static void ng_shb(struct img *m)
{
	size_t b = ng_begin(m, 0x0a0d0d0a);

	put(m, 0x1a2b3c4d, 4);
	put(m, 1, 2);
	put(m, 0, 2);
	put(m, ~0ULL, 8);
	/* an option the reader does not need: shb_userappl */
	put(m, 4, 2);
	put(m, 3, 2);
	put_bytes(m, "abc", 3, true);
	put(m, 0, 4);
	ng_end(m, b);
}

/* tsresol < 0: no if_tsresol option (microseconds) */
static void ng_idb(struct img *m, __u16 linktype, __u32 snaplen, int tsresol, __s64 tsoffset)
{
	size_t b = ng_begin(m, 1);
	__u8 res = (__u8)tsresol;

	put(m, linktype, 2);
	put(m, 0, 2);
	put(m, snaplen, 4);
	put(m, 2, 2); /* if_name first: options before tsresol are walked */
	put(m, 4, 2);
	put_bytes(m, "eth0", 4, true);
	if (tsresol >= 0) {
		put(m, 9, 2);
		put(m, 1, 2);
		put_bytes(m, &res, 1, true);
	}
	if (tsoffset) {
		put(m, 14, 2);
		put(m, 8, 2);
		put(m, (__u64)tsoffset, 8);
	}
	put(m, 0, 4);
	ng_end(m, b);
}

static void ng_epb(struct img *m, __u32 iface, __u64 ts, const void *data, __u32 caplen,
		   __u32 origlen)
{
	size_t b = ng_begin(m, 6);

	put(m, iface, 4);
	put(m, ts >> 32, 4);
	put(m, (__u32)ts, 4);
	put(m, caplen, 4);
	put(m, origlen, 4);
	put_bytes(m, data, caplen, true);
	put(m, 2, 2); /* epb_flags */
	put(m, 4, 2);
	put(m, 2, 4);
	put(m, 0, 4);
	ng_end(m, b);
}

static void ng_opb(struct img *m, __u16 iface, __u64 ts, const void *data, __u32 caplen,
		   __u32 origlen)
{
	size_t b = ng_begin(m, 2);

	put(m, iface, 2);
	put(m, 0, 2);
	put(m, ts >> 32, 4);
	put(m, (__u32)ts, 4);
	put(m, caplen, 4);
	put(m, origlen, 4);
	put_bytes(m, data, caplen, true);
	ng_end(m, b);
}

static void ng_spb(struct img *m, const void *data, __u32 caplen, __u32 origlen)
{
	size_t b = ng_begin(m, 3);

	put(m, origlen, 4);
	put_bytes(m, data, caplen, true);
	ng_end(m, b);
}

static void ng_other(struct img *m, __u32 type, size_t body)
{
	size_t b = ng_begin(m, type);

	for (size_t i = 0; i < body; i++)
		m->b[m->n++] = (__u8)i;
	ng_end(m, b);
}

/* Reads everything from an exact-size copy; NULL r means open failed. */
static bool read_all(const struct img *m, size_t len, struct got *g)
{
	void *copy = malloc(len ? len : 1);
	struct pcap_reader *r;
	struct replay_frame f;

	memset(g, 0, sizeof(*g));
	memcpy(copy, m->b, len);
	errbuf[0] = 0;
	r = pcap_reader__open_mem(copy, len, "t.pcap", errbuf, sizeof(errbuf));
	if (!r) {
		free(copy);
		return false;
	}
	while ((g->ret = pcap_reader__next(r, &f)) == 1 && g->n < MAX_FRAMES) {
		g->ts[g->n] = f.ts_ns;
		g->len[g->n] = f.len;
		g->wire_len[g->n] = f.wire_len;
		g->first[g->n] = f.data[0];
		(void)*(volatile const __u8 *)&f.data[f.len - 1];
		g->n++;
	}
	if (g->ret < 0)
		CHECK(pcap_reader__next(r, &f) == g->ret); /* the error sticks */
	snprintf(g->error, sizeof(g->error), "%s",
		 pcap_reader__error(r) ? pcap_reader__error(r) : "");
	snprintf(g->warning, sizeof(g->warning), "%s",
		 pcap_reader__warning(r) ? pcap_reader__warning(r) : "");
	pcap_reader__close(r);
	free(copy);
	return true;
}

static void test_pcap_magics(void)
{
	static const __u32 magics[] = {0xa1b2c3d4, 0xa1b23c4d};

	for (int be = 0; be < 2; be++) {
		for (int i = 0; i < 2; i++) {
			struct img m = {.be = be};
			bool ns = magics[i] == 0xa1b23c4d;
			struct got g;

			pcap_hdr(&m, magics[i], 65535, 1);
			pcap_rec(&m, 1700000000, ns ? 123456789 : 123456, frame_a, 60, 60);
			pcap_rec(&m, 1700000001, 5, frame_b, 7, 1514);
			CHECK(read_all(&m, m.n, &g));
			CHECK_EQ_U64(g.ret, 0);
			CHECK_EQ_U64(g.n, 2);
			CHECK_EQ_U64(g.ts[0], 1700000000123456789ULL - (ns ? 0 : 789));
			CHECK_EQ_U64(g.ts[1], 1700000001000000000ULL + (ns ? 5 : 5000));
			CHECK_EQ_U64(g.len[0], 60);
			CHECK_EQ_U64(g.wire_len[0], 60);
			CHECK_EQ_U64(g.len[1], 7);
			CHECK_EQ_U64(g.wire_len[1], 1514);
			CHECK(g.first[0] == 0x02 && g.first[1] == 0xbb);
			CHECK(!g.error[0] && !g.warning[0]);
		}
	}
}

static void test_pcap_cut_off(void)
{
	struct img m = {.be = false};
	size_t rec2;
	struct got g;

	pcap_hdr(&m, 0xa1b23c4d, 0, 1);
	pcap_rec(&m, 1, 0, frame_a, 60, 60);
	rec2 = m.n;
	pcap_rec(&m, 2, 0, frame_b, 7, 7);
	for (size_t len = 0; len < 24; len++) {
		CHECK(!read_all(&m, len, &g));
		CHECK(has(errbuf, "t.pcap: offset 0: "));
	}
	for (size_t len = 24; len <= m.n; len++) {
		bool clean = len == 24 || len == rec2 || len == m.n;

		CHECK(read_all(&m, len, &g));
		CHECK_EQ_U64(g.ret, 0);
		CHECK_EQ_U64(g.n, len >= m.n ? 2 : len >= rec2 ? 1 : 0);
		CHECK(!g.error[0]);
		CHECK(clean ? !g.warning[0] : has(g.warning, "file ends mid-record"));
		if (len > rec2 && len < m.n)
			CHECK(has(g.warning, "offset 100:"));
	}
}

static void test_pcap_corrupt(void)
{
	struct {
		__u32 snaplen, caplen, origlen;
		int ret;
		const char *msg;
	} cases[] = {
		{65535, 70000, 70000, -EBADMSG,
		 "t.pcap: offset 24: record length 70000 exceeds snaplen 65535"},
		{0, 300000, 300000, -EBADMSG,
		 "offset 24: record length 300000 exceeds 262144 bytes"},
		{0xffffffff, 0xfffffff0, 0xfffffff0, -EBADMSG, "exceeds 262144 bytes"},
		{0, 61, 60, -EBADMSG, "captured length 61 exceeds the original length 60"},
		{0, 0, 60, -EBADMSG, "record of 0 bytes"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct img m = {.be = true};
		struct got g;

		pcap_hdr(&m, 0xa1b2c3d4, cases[i].snaplen, 1);
		put(&m, 1, 4);
		put(&m, 0, 4);
		put(&m, cases[i].caplen, 4);
		put(&m, cases[i].origlen, 4);
		put_bytes(&m, frame_a, 60, false);
		CHECK(read_all(&m, m.n, &g));
		CHECK(g.ret == cases[i].ret);
		CHECK_EQ_U64(g.n, 0);
		CHECK(has(g.error, cases[i].msg));
		if (!has(g.error, cases[i].msg))
			fprintf(stderr, "  got: %s\n", g.error);
	}
}

static void test_pcap_header_errors(void)
{
	struct img m = {.be = false};
	struct got g;

	pcap_hdr(&m, 0xa1b2c3d4, 0, 113);
	CHECK(!read_all(&m, m.n, &g));
	CHECK(has(errbuf, "t.pcap: offset 0: linktype 113: only Ethernet"));
	m.n = 0;
	pcap_hdr(&m, 0xd4c3b2a2, 0, 1);
	CHECK(!read_all(&m, m.n, &g));
	CHECK(has(errbuf, "not a pcap or pcapng file (magic 0xd4c3b2a2)"));
	m.n = 0;
	pcap_hdr(&m, 0xa1b2c3d4, 0, 1);
	m.b[4] = 3;
	CHECK(!read_all(&m, m.n, &g));
	CHECK(has(errbuf, "pcap version 3.4"));
	CHECK(!read_all(&m, 3, &g));
	CHECK(has(errbuf, "(3 bytes)"));
}

/* One EPB read through an IDB with the given resolution and offset. */
static __u64 ts_through(int tsresol, __s64 tsoffset, __u64 ts, int *ret)
{
	struct img m = {.be = false};
	struct got g;

	ng_shb(&m);
	ng_idb(&m, 1, 0, tsresol, tsoffset);
	ng_epb(&m, 0, ts, frame_b, 7, 7);
	if (!read_all(&m, m.n, &g))
		return 0;
	*ret = g.n == 1 ? 1 : g.ret;
	return g.ts[0];
}

static void test_pcapng_tsresol(void)
{
	int ret = 0;

	CHECK_EQ_U64(ts_through(-1, 0, 1700000000123456ULL, &ret), 1700000000123456000ULL);
	CHECK_EQ_U64(ret, 1);
	CHECK_EQ_U64(ts_through(9, 0, 1700000000123456789ULL, &ret), 1700000000123456789ULL);
	CHECK_EQ_U64(ts_through(3, 0, 1700000000123ULL, &ret), 1700000000123000000ULL);
	CHECK_EQ_U64(ts_through(0, 0, 1700000000ULL, &ret), 1700000000000000000ULL);
	CHECK_EQ_U64(ts_through(12, 0, 1700000000123456789ULL, &ret), 1700000000123456ULL);
	/* 2^-10 s: 1024 units a second */
	CHECK_EQ_U64(ts_through(0x80 | 10, 0, 3 * 1024 + 512, &ret), 3500000000ULL);
	/* 2^-30: one unit is 0.93 ns, rounded down */
	CHECK_EQ_U64(ts_through(0x80 | 30, 0, (1ULL << 30) + 1, &ret), 1000000000ULL);
	CHECK_EQ_U64(ts_through(6, 100, 2500000, &ret), 102500000000ULL);
	CHECK_EQ_U64(ts_through(6, -2, 2500000, &ret), 500000000ULL);
	/* before the epoch, and past 2^64 ns: errors, not wraps */
	ts_through(6, -3, 2500000, &ret);
	CHECK_EQ_U64(ret, -EBADMSG);
	ts_through(0, 0, 20000000000ULL, &ret);
	CHECK_EQ_U64(ret, -EBADMSG);
	/* 10^-127: every timestamp is 0 ns */
	CHECK_EQ_U64(ts_through(127, 0, ~0ULL, &ret), 0);
	CHECK_EQ_U64(ret, 1);
}

static void test_pcapng_blocks(void)
{
	for (int be = 0; be < 2; be++) {
		struct img m = {.be = be};
		struct got g;

		ng_shb(&m);
		ng_other(&m, 0x0BAD, 13 * 4); /* custom and unknown blocks */
		ng_idb(&m, 1, 64, 9, 0);
		ng_other(&m, 4, 8); /* name resolution */
		ng_idb(&m, 1, 32, 6, 0);
		ng_epb(&m, 0, 1000, frame_a, 60, 60);
		ng_other(&m, 5, 20); /* interface statistics */
		ng_epb(&m, 1, 2, frame_a, 30, 60);
		/* snaplen 64 of 100 bytes, and the timestamp of the last frame */
		ng_spb(&m, frame_c, 64, 100);
		ng_opb(&m, 0, 3000, frame_b, 5, 7);
		CHECK(read_all(&m, m.n, &g));
		CHECK_EQ_U64(g.ret, 0);
		CHECK_EQ_U64(g.n, 4);
		CHECK(!g.error[0] && !g.warning[0]);
		CHECK_EQ_U64(g.ts[0], 1000);
		CHECK_EQ_U64(g.ts[1], 2000);
		CHECK_EQ_U64(g.ts[2], 2000);
		CHECK_EQ_U64(g.ts[3], 3000);
		CHECK_EQ_U64(g.len[1], 30);
		CHECK_EQ_U64(g.wire_len[1], 60);
		CHECK_EQ_U64(g.len[2], 64);
		CHECK_EQ_U64(g.wire_len[2], 100);
		CHECK_EQ_U64(g.len[3], 5);
		CHECK(g.first[2] == 0xcc && g.first[3] == 0xbb);
	}
}

/* A second section in the other byte order, with its own interfaces. */
static void test_pcapng_sections(void)
{
	struct img m = {.be = false};
	struct got g;

	ng_shb(&m);
	ng_idb(&m, 1, 0, 9, 0);
	ng_epb(&m, 0, 5, frame_a, 60, 60);
	m.be = true;
	ng_shb(&m);
	ng_idb(&m, 1, 0, 3, 0);
	ng_epb(&m, 0, 7, frame_b, 7, 7);
	ng_epb(&m, 1, 7, frame_b, 7, 7); /* interface 1 was the old section's */
	CHECK(read_all(&m, m.n, &g));
	CHECK_EQ_U64(g.n, 2);
	CHECK_EQ_U64(g.ts[0], 5);
	CHECK_EQ_U64(g.ts[1], 7000000);
	CHECK_EQ_U64(g.ret, -EBADMSG);
	CHECK(has(g.error, "packet on interface 1 of 1"));
}

static void test_pcapng_linktype(void)
{
	struct img m = {.be = false};
	char want[64];
	size_t epb;
	struct got g;

	ng_shb(&m);
	ng_idb(&m, 1, 0, 9, 0);
	ng_idb(&m, 113, 0, 9, 0); /* fine until a packet uses it */
	ng_epb(&m, 0, 5, frame_a, 60, 60);
	epb = m.n;
	ng_epb(&m, 1, 5, frame_a, 60, 60);
	CHECK(read_all(&m, m.n, &g));
	CHECK_EQ_U64(g.n, 1);
	CHECK_EQ_U64(g.ret, -ENOTSUP);
	CHECK(has(g.error, "interface 1 has linktype 113"));
	snprintf(want, sizeof(want), "t.pcap: offset %zu: ", epb);
	CHECK(has(g.error, want));
}

static void test_pcapng_cut_off(void)
{
	struct img m = {.be = true};
	size_t shb_end, bounds[8];
	int nb = 0;
	struct got g;

	ng_shb(&m);
	shb_end = m.n;
	ng_idb(&m, 1, 0, 9, 0);
	bounds[nb++] = m.n;
	ng_epb(&m, 0, 1, frame_a, 60, 60);
	bounds[nb++] = m.n;
	ng_other(&m, 0x0BAD, 1000);
	bounds[nb++] = m.n;
	ng_epb(&m, 0, 2, frame_b, 7, 7);
	for (size_t len = 0; len < shb_end; len++)
		CHECK(!read_all(&m, len, &g));
	for (size_t len = shb_end; len <= m.n; len++) {
		bool clean = len == shb_end || len == m.n;
		int frames = len == m.n ? 2 : len >= bounds[1] ? 1 : 0;

		for (int i = 0; i < nb; i++)
			clean |= len == bounds[i];
		CHECK(read_all(&m, len, &g));
		CHECK_EQ_U64(g.ret, 0);
		CHECK_EQ_U64(g.n, frames);
		CHECK(clean ? !g.warning[0] : has(g.warning, "file ends mid-record"));
	}
}

static void test_pcapng_corrupt(void)
{
	struct img m = {.be = false};
	size_t epb;
	struct got g;

	ng_shb(&m);
	ng_idb(&m, 1, 0, 9, 0);
	epb = m.n;
	ng_epb(&m, 0, 1, frame_a, 60, 60);

	CHECK_EQ_U64(m.b[epb + 4], 104);
	m.b[epb + 4] = 100; /* the leading length, against the trailing one */
	CHECK(read_all(&m, m.n, &g));
	CHECK_EQ_U64(g.ret, -EBADMSG);
	CHECK(has(g.error, "block length 0 at the end, 100 at the start"));
	m.b[epb + 4] = 101; /* not a multiple of 4 */
	CHECK(read_all(&m, m.n, &g));
	CHECK(has(g.error, "block length 101"));
	m.b[epb + 4] = 104;

	m.b[epb + 20] = 61; /* caplen 61 > origlen 60, within the block */
	CHECK(read_all(&m, m.n, &g));
	CHECK(has(g.error, "captured length 61 exceeds the original length 60"));
	m.b[epb + 20] = 200; /* caplen past the block */
	CHECK(read_all(&m, m.n, &g));
	CHECK(has(g.error, "captured length 200 overruns the block"));
	m.b[epb + 20] = 60;

	/* a frame block longer than the reader takes: refused, not allocated */
	m.n = epb;
	put(&m, 6, 4);
	put(&m, 400000, 4);
	CHECK(read_all(&m, m.n, &g));
	CHECK(has(g.error, "block length 400000 exceeds"));
	/* an unknown block that claims 1 GiB: skipped, so the file is cut off */
	m.n = epb;
	put(&m, 0x0BAD, 4);
	put(&m, 1U << 30, 4);
	CHECK(read_all(&m, m.n, &g));
	CHECK_EQ_U64(g.ret, 0);
	CHECK(has(g.warning, "file ends mid-record"));

	/* an option that runs past its block */
	m.n = 0;
	ng_shb(&m);
	epb = m.n;
	ng_idb(&m, 1, 0, 9, 0);
	m.b[epb + 18] = 40; /* if_name length */
	CHECK(read_all(&m, m.n, &g));
	CHECK(has(g.error, "option 2 overruns its block"));

	/* a section header with a bad byte-order magic: open fails */
	m.n = 0;
	ng_shb(&m);
	m.b[8] = 0;
	CHECK(!read_all(&m, m.n, &g));
	CHECK(has(errbuf, "byte-order magic"));
}

/* The file path, through stdio rather than memory. */
static void test_file(void)
{
	char path[] = "/tmp/tsend-test-pcap_reader-XXXXXX";
	struct img m = {.be = false};
	struct pcap_reader *r;
	struct replay_frame f;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	ng_shb(&m);
	ng_idb(&m, 1, 0, 9, 0);
	ng_other(&m, 0x0BAD, 200000); /* more than one skip chunk */
	ng_epb(&m, 0, 42, frame_a, 60, 60);
	CHECK(write(fd, m.b, m.n) == (ssize_t)m.n);
	close(fd);
	r = pcap_reader__open(path, errbuf, sizeof(errbuf));
	CHECK(r != NULL);
	if (r) {
		CHECK(pcap_reader__next(r, &f) == 1);
		CHECK(f.ts_ns == 42 && f.len == 60 && !memcmp(f.data, frame_a, 60));
		CHECK(pcap_reader__next(r, &f) == 0);
		CHECK(!pcap_reader__error(r) && !pcap_reader__warning(r));
		pcap_reader__close(r);
	}
	unlink(path);
	CHECK(!pcap_reader__open(path, errbuf, sizeof(errbuf)));
	CHECK(errno == ENOENT && has(errbuf, "cannot open: No such file"));
}

int main(void)
{
	test_pcap_magics();
	test_pcap_cut_off();
	test_pcap_corrupt();
	test_pcap_header_errors();
	test_pcapng_tsresol();
	test_pcapng_blocks();
	test_pcapng_sections();
	test_pcapng_linktype();
	test_pcapng_cut_off();
	test_pcapng_corrupt();
	test_file();
	return check_done("test_pcap_reader");
}
