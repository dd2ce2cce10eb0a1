// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of userspace/trace_file.c: round trips, the on-disk layout of
 * docs/trace-format.md, and what the reader does with files that are cut
 * off (every byte), bit-flipped (every bit), or from a later version.
 * Files go to a mkdtemp() directory that is removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../../bpf/tsend.h"
#include "../../userspace/trace_file.h"
#include "check.h"

#define FILE_HDR_SIZE  24
#define BLOCK_HDR_SIZE 28
#define MAX_BOUNDS     4096

static char tmpdir[] = "/tmp/tsend-test-trace_file-XXXXXX";
static char errbuf[512];

/* Where the writer's blocks start, and how many records precede each. */
struct layout {
	int n;
	__u64 off[MAX_BOUNDS];
	__u32 recs[MAX_BOUNDS];
	__u64 file_size;
	__u32 nrec;
};

static const char *tmp_path(const char *name)
{
	static char path[sizeof(tmpdir) + 1 + 256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static int has(const char *s, const char *sub)
{
	return s && strstr(s, sub);
}

static __u16 le16(const unsigned char *p)
{
	return p[0] | p[1] << 8;
}

static __u32 le32(const unsigned char *p)
{
	return le16(p) | (__u32)le16(p + 2) << 16;
}

static void put32(unsigned char *p, __u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* ---- deterministic test data ------------------------------------------ */

/* Mostly a few hundred bytes; now and then the largest record there is. */
static __u32 rec_len(__u32 i)
{
	if (i % 997 == 996)
		return TRACE_RECORD_MAX;
	return TSEND_HEAD_SIZE + (i * 7919u) % 1200;
}

/* Record i: a plausible head, then half noise (so blocks stay big), half
 * pattern (so deflate has something to do). */
static void rec_make(__u32 i, unsigned char *buf, __u32 len)
{
	struct tsend_head h;
	__u32 x = i * 2654435761u + 1, k;

	memset(&h, 0, sizeof(h));
	h.ts = 1000000ull * i;
	h.sk = 0xffff888000000000ull + i / 10;
	h.pid = 1000 + i % 7;
	h.tid = h.pid + i % 3;
	h.size = len;
	h.stage = i % TSEND_STAGE_MAX;
	h.kind = 1 + i % 3;
	h.cpu = i % 8;
	snprintf(h.comm, sizeof(h.comm), "proc%u", i % 5);
	memcpy(buf, &h, sizeof(h));
	for (k = sizeof(h); k < len; k++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[k] = (k & 64) ? (unsigned char)x : (unsigned char)(k + i);
	}
}

static void meta_fill(struct trace_meta *m, __u32 nr_probes)
{
	__u32 i;

	memset(m, 0, sizeof(*m));
	m->abi_version = TSEND_ABI_VERSION;
	m->snaplen = 128;
	m->payload_len = 64;
	m->nr_cpus = 8;
	m->realtime_offset = 1700000000123456789LL;
	m->boottime_offset = -123456789LL; /* negative: the sign survives */
	m->start_ns = 0xfedcba9876543210ull;
	memset(m->kernel_release, 'r', sizeof(m->kernel_release) - 1);
	snprintf(m->hostname, sizeof(m->hostname), "h\xc3\xb4te-1");
	memset(m->cmdline, 'c', sizeof(m->cmdline) - 1);
	m->nr_probes = nr_probes;
	for (i = 0; i < nr_probes; i++) {
		struct trace_probe *p = &m->probes[i];

		p->stage = i % TSEND_STAGE_MAX;
		p->mech = i % TSEND_MECH_MAX;
		snprintf(p->func, sizeof(p->func), "func_%u", i);
		snprintf(p->target, sizeof(p->target), "target_%u", i);
		snprintf(p->detail, sizeof(p->detail), "detail %u", i);
		if (i == 0)
			memset(p->target, 't', sizeof(p->target) - 1);
		if (i == 1)
			memset(p->detail, 'd', sizeof(p->detail) - 1);
		if (i == 2) {
			memset(p->func, 0, sizeof(p->func));
			memset(p->target, 0, sizeof(p->target));
			memset(p->detail, 0, sizeof(p->detail));
		}
	}
}

static void stats_fill(struct trace_stats *s, __u32 nr_cpus)
{
	__u32 i;

	memset(s, 0, sizeof(*s));
	s->records = 12345; /* the writer puts its own count here */
	s->end_ns = 987654321ull;
	s->nr_cpus = nr_cpus;
	for (i = 0; i < nr_cpus; i++) {
		s->lost[i] = i * 3 + 1;
		s->untracked[i] = ~0ull - i;
	}
}

/* ---- helpers ---------------------------------------------------------- */

static void layout_add(struct layout *l, __u64 off, __u32 recs)
{
	if (l->n && l->off[l->n - 1] == off)
		return;
	if (l->n < MAX_BOUNDS) {
		l->off[l->n] = off;
		l->recs[l->n] = recs;
		l->n++;
	}
}

/*
 * Writes records 0..nrec-1, flushing after every flush_every of them, and
 * notes where each block starts (trace_writer__size() moves only when one
 * is written). The last entry is the end block.
 */
static int write_trace(const char *path, const struct trace_meta *meta, __u32 nrec,
		       __u32 flush_every, const struct trace_stats *stats, struct layout *l)
{
	static unsigned char buf[TRACE_RECORD_MAX];
	struct trace_writer *w = trace_writer__open(path, meta);
	__u32 i, len;
	__u64 size;
	struct stat st;

	memset(l, 0, sizeof(*l));
	l->nrec = nrec;
	if (!w)
		return -errno;
	layout_add(l, trace_writer__size(w), 0);
	for (i = 0; i < nrec; i++) {
		len = rec_len(i);
		rec_make(i, buf, len);
		if (trace_writer__append(w, buf, len))
			return -1;
		size = trace_writer__size(w);
		layout_add(l, size, i); /* a full buffer went out: 0..i-1 */
		if (flush_every && (i + 1) % flush_every == 0) {
			if (trace_writer__flush(w))
				return -1;
			layout_add(l, trace_writer__size(w), i + 1);
		}
	}
	if (trace_writer__flush(w))
		return -1;
	layout_add(l, trace_writer__size(w), nrec);
	/* size() is what is on disk */
	CHECK(stat(path, &st) == 0);
	CHECK_EQ_U64(st.st_size, trace_writer__size(w));
	if (trace_writer__close(w, stats))
		return -1;
	CHECK(stat(path, &st) == 0);
	l->file_size = st.st_size;
	return 0;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *buf;
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	buf = malloc(st.st_size + 1);
	if (buf && read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = st.st_size;
	return buf;
}

/*
 * Reads every record, checking each against rec_make() (skipping the
 * record numbers in skip[]). Returns the last __next() result.
 */
static int read_all(struct trace_reader *r, __u32 *count, const __u32 *skip, int nr_skip)
{
	static unsigned char want[TRACE_RECORD_MAX];
	const void *rec;
	__u32 len, i = 0;
	int ret, s, bad = 0;

	*count = 0;
	while ((ret = trace_reader__next(r, &rec, &len)) == 1) {
		for (s = 0; s < nr_skip; s++)
			if (skip[s] == i)
				i++;
		if (len != rec_len(i))
			bad++;
		rec_make(i, want, rec_len(i));
		if (!bad && memcmp(rec, want, len))
			bad++;
		if ((uintptr_t)rec % 8)
			bad++;
		i++;
		(*count)++;
	}
	CHECK(bad == 0);
	return ret;
}

static void check_stats(const struct trace_stats *got, const struct trace_stats *want,
			__u64 records)
{
	CHECK(got != NULL);
	if (!got)
		return;
	CHECK_EQ_U64(got->records, records);
	CHECK_EQ_U64(got->end_ns, want->end_ns);
	CHECK_EQ_U64(got->nr_cpus, want->nr_cpus);
	CHECK(!memcmp(got->lost, want->lost, want->nr_cpus * 8));
	CHECK(!memcmp(got->untracked, want->untracked, want->nr_cpus * 8));
	CHECK_EQ_U64(got->kstack_lost, want->kstack_lost);
	CHECK_EQ_U64(got->ustack_lost, want->ustack_lost);
}

/* ---- crafted files: valid CRCs around bad contents ---------------------- */

struct buf {
	unsigned char p[600 * 1024];
	size_t len;
};

static struct buf fb, mb, rb; /* file, meta, raw block */

static void put(struct buf *b, const void *p, size_t n)
{
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put_u16v(struct buf *b, __u16 v)
{
	unsigned char x[2] = {v, v >> 8};

	put(b, x, 2);
}

static void put_u32v(struct buf *b, __u32 v)
{
	unsigned char x[4];

	put32(x, v);
	put(b, x, 4);
}

static void put_u64v(struct buf *b, __u64 v)
{
	put_u32v(b, v);
	put_u32v(b, v >> 32);
}

static void tlv(__u16 tag, const void *v, __u32 n)
{
	put_u16v(&mb, tag);
	put_u32v(&mb, n);
	put(&mb, v, n);
}

static void tlv_u32(__u16 tag, __u32 v)
{
	unsigned char x[4];

	put32(x, v);
	tlv(tag, x, 4);
}

/* Starts fb: the fixed header (CRCs right) and mb as the meta. */
static void file_start(__u16 flags, __u32 meta_len)
{
	unsigned char h[FILE_HDR_SIZE];

	memcpy(h, "TSENDTRC", 8);
	h[8] = 1;
	h[9] = 0;
	h[10] = flags;
	h[11] = flags >> 8;
	put32(h + 12, meta_len);
	put32(h + 16, crc32(0, mb.p, mb.len));
	put32(h + 20, crc32(0, h, 20));
	fb.len = 0;
	put(&fb, h, sizeof(h));
	put(&fb, mb.p, mb.len);
}

static void file_start_min(void)
{
	mb.len = 0;
	tlv_u32(1, TSEND_ABI_VERSION);
	tlv_u32(4, 2);
	file_start(0, mb.len);
}

static void file_block(__u16 type, __u16 flags, __u32 count, const unsigned char *c, __u32 clen,
		       __u32 rlen)
{
	unsigned char h[BLOCK_HDR_SIZE];

	memcpy(h, "TBLK", 4);
	h[4] = type;
	h[5] = type >> 8;
	h[6] = flags;
	h[7] = flags >> 8;
	put32(h + 8, clen);
	put32(h + 12, rlen);
	put32(h + 16, count);
	put32(h + 20, crc32(0, c, clen));
	put32(h + 24, crc32(0, h, 24));
	put(&fb, h, sizeof(h));
	put(&fb, c, clen);
}

/* rb, raw-deflated, as a block claiming rlen raw bytes and count records. */
static void file_block_rb(__u16 type, __u32 count, __u32 rlen)
{
	static unsigned char c[700 * 1024];
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	deflateInit2(&zs, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = rb.p;
	zs.avail_in = rb.len;
	zs.next_out = c;
	zs.avail_out = sizeof(c);
	CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	file_block(type, 0, count, c, zs.total_out, rlen);
	deflateEnd(&zs);
}

/* One record into rb: a length prefix, then a head whose size is size. */
static void rec_put(__u32 len, __u16 size, __u32 body)
{
	struct tsend_head h;
	static const unsigned char zero[TRACE_RECORD_MAX];

	memset(&h, 0, sizeof(h));
	h.size = size;
	put_u32v(&rb, len);
	put(&rb, &h, sizeof(h));
	put(&rb, zero, body - sizeof(h));
}

static void end_put(__u64 records, __u32 nr_cpus, __u32 count)
{
	__u32 i;

	rb.len = 0;
	put_u64v(&rb, records);
	put_u64v(&rb, 5);
	put_u32v(&rb, nr_cpus);
	put_u32v(&rb, 0);
	for (i = 0; i < 2 * nr_cpus && i < 2 * TRACE_MAX_CPUS; i++)
		put_u64v(&rb, i);
	file_block_rb(2, count, rb.len);
}

static void c_valid(void)
{
	file_start_min();
	rb.len = 0;
	rec_put(60, 60, 60);
	rec_put(56, 56, 56);
	file_block_rb(1, 2, rb.len);
	end_put(2, 2, 0);
}

static void c_dup_field(void)
{
	mb.len = 0;
	tlv_u32(1, 1);
	tlv_u32(1, 1);
	file_start(0, mb.len);
}

static void c_bad_u32(void)
{
	mb.len = 0;
	tlv(2, "abc", 3);
	file_start(0, mb.len);
}

static void c_long_string(void)
{
	char host[65];

	memset(host, 'h', sizeof(host));
	mb.len = 0;
	tlv(9, host, sizeof(host));
	file_start(0, mb.len);
}

static void c_nul_in_string(void)
{
	mb.len = 0;
	tlv(8, "6.1\0x", 5);
	file_start(0, mb.len);
}

static void c_entry_cut(void)
{
	mb.len = 0;
	tlv_u32(1, 1);
	put(&mb, "\1\0\4", 3);
	file_start(0, mb.len);
}

static void c_entry_overrun(void)
{
	mb.len = 0;
	put_u16v(&mb, 1);
	put_u32v(&mb, 0xfffffff0u);
	put_u32v(&mb, 1);
	file_start(0, mb.len);
}

static void c_too_many_probes(void)
{
	static const unsigned char row[] = {1, 0, 1, 0, 1, 0, 'f', 0, 0, 0, 0};
	int i;

	mb.len = 0;
	for (i = 0; i <= TRACE_MAX_PROBES; i++)
		tlv(11, row, sizeof(row));
	file_start(0, mb.len);
}

static void c_bad_probe(void)
{
	/* func claims 9 bytes, the row has 5 left */
	static const unsigned char row[] = {1, 0, 1, 0, 9, 0, 'f', 0, 0, 0, 0};

	mb.len = 0;
	tlv(11, row, sizeof(row));
	file_start(0, mb.len);
}

static void c_many_cpus(void)
{
	mb.len = 0;
	tlv_u32(4, TRACE_MAX_CPUS + 1);
	file_start(0, mb.len);
}

static void c_hdr_flags(void)
{
	mb.len = 0;
	file_start(1, 0);
}

static void c_meta_huge(void)
{
	mb.len = 0;
	file_start(0, 0x7fffffff);
}

static void c_meta_short(void)
{
	mb.len = 0;
	tlv_u32(1, 1);
	file_start(0, mb.len + 1);
}

static void c_head_size(void)
{
	file_start_min();
	rb.len = 0;
	rec_put(60, 60, 60);
	rec_put(60, 61, 60);
	file_block_rb(1, 2, rb.len);
}

static void c_rec_len(void)
{
	file_start_min();
	rb.len = 0;
	put_u32v(&rb, 10);
	put(&rb, "0123456789", 10);
	file_block_rb(1, 1, rb.len);
}

static void c_rec_overrun(void)
{
	file_start_min();
	rb.len = 0;
	rec_put(100, 100, 60);
	file_block_rb(1, 1, rb.len);
}

static void c_count_high(void)
{
	file_start_min();
	rb.len = 0;
	rec_put(60, 60, 60);
	rec_put(60, 60, 60);
	file_block_rb(1, 3, rb.len);
}

static void c_count_low(void)
{
	file_start_min();
	rb.len = 0;
	rec_put(60, 60, 60);
	rec_put(60, 60, 60);
	file_block_rb(1, 1, rb.len);
}

static void c_rlen_lies(void)
{
	file_start_min();
	rb.len = 0;
	rec_put(60, 60, 60);
	rec_put(60, 60, 60);
	file_block_rb(1, 2, rb.len - 1);
}

static void c_not_deflate(void)
{
	file_start_min();
	file_block(1, 0, 1, (const unsigned char *)"\xff\xff\xff\xff", 4, 60);
}

static void c_block_huge(void)
{
	file_start_min();
	file_block(1, 0, 1, (const unsigned char *)"", 0, 0x10000000);
}

static void c_block_flags(void)
{
	file_start_min();
	file_block(1, 4, 0, (const unsigned char *)"\3\0", 2, 0);
}

static void c_bad_block_magic(void)
{
	c_valid();
	memcpy(fb.p + FILE_HDR_SIZE + mb.len, "TBLX", 4);
}

static void c_end_cpus(void)
{
	file_start_min();
	end_put(0, TRACE_MAX_CPUS + 1, 0);
}

static void c_end_short(void)
{
	file_start_min();
	end_put(0, 4, 0);
	/* cut the per-CPU arrays short: rebuild with half of them */
	fb.len = FILE_HDR_SIZE + mb.len;
	rb.len -= 8;
	file_block_rb(2, 0, rb.len);
}

static void c_end_count(void)
{
	file_start_min();
	end_put(0, 1, 7);
}

static void c_empty_blocks(void)
{
	int i;

	file_start_min();
	rb.len = 0;
	for (i = 0; i < 1000; i++)
		file_block_rb(1, 0, 0);
	end_put(0, 1, 0);
}

struct crafted {
	const char *name;
	void (*build)(void);
	int open_err;  /* -errno from open, or 0 */
	int read_err;  /* then the last __next result */
	__u32 records; /* records read before it */
	const char *msg;
};

static const struct crafted crafted[] = {
	{"valid", c_valid, 0, 0, 2, NULL},
	{"empty-blocks", c_empty_blocks, 0, 0, 0, NULL},
	{"dup", c_dup_field, -EBADMSG, 0, 0, "offset 34: duplicate meta abi_version"},
	{"u32", c_bad_u32, -EBADMSG, 0, 0, "offset 24: meta snaplen: bad length 3"},
	{"long", c_long_string, -EBADMSG, 0, 0, "meta hostname: bad string (65 bytes, max 64"},
	{"nul", c_nul_in_string, -EBADMSG, 0, 0, "meta kernel_release: bad string"},
	{"cut", c_entry_cut, -EBADMSG, 0, 0, "offset 34: meta entry cut short"},
	{"overrun", c_entry_overrun, -EBADMSG, 0, 0,
	 "offset 24: meta entry 0x1: length 4294967280 overruns"},
	{"probes", c_too_many_probes, -EBADMSG, 0, 0, "more than 64 probe rows"},
	{"probe", c_bad_probe, -EBADMSG, 0, 0, "offset 24: probe row 0 is malformed"},
	{"cpus", c_many_cpus, -EBADMSG, 0, 0, "nr_cpus 1025 exceeds 1024"},
	{"flags", c_hdr_flags, -ENOTSUP, 0, 0, "offset 10: unsupported header flags 0x1"},
	{"meta-huge", c_meta_huge, -EBADMSG, 0, 0,
	 "offset 12: meta length 2147483647 exceeds the 1048576-byte limit"},
	{"meta-short", c_meta_short, -EBADMSG, 0, 0,
	 "offset 34: file ends in the header (meta has 10 of 11 bytes)"},
	{"head-size", c_head_size, 0, -EBADMSG, 0,
	 "offset 44: record 1: head.size 61 != length 60"},
	{"rec-len", c_rec_len, 0, -EBADMSG, 0, "record 0: bad length 10"},
	{"rec-overrun", c_rec_overrun, 0, -EBADMSG, 0, "record 0: bad length 100"},
	{"count-high", c_count_high, 0, -EBADMSG, 0, "block holds 2 records, not 3"},
	{"count-low", c_count_low, 0, -EBADMSG, 0, "64 bytes after the block's 1 records"},
	{"rlen", c_rlen_lies, 0, -EBADMSG, 0, "block does not inflate to its 127 bytes"},
	{"deflate", c_not_deflate, 0, -EBADMSG, 0, "block does not inflate to its 60 bytes"},
	{"blk-huge", c_block_huge, 0, -EBADMSG, 0,
	 "offset 44: block length 0/268435456 exceeds the 524288-byte limit"},
	{"blk-flags", c_block_flags, 0, -ENOTSUP, 0, "offset 44: unsupported block flags 0x4"},
	{"blk-magic", c_bad_block_magic, 0, -EBADMSG, 0, "offset 44: bad block magic"},
	{"end-cpus", c_end_cpus, 0, -EBADMSG, 0, "end block: bad nr_cpus 1025"},
	{"end-short", c_end_short, 0, -EBADMSG, 0, "end block: bad nr_cpus 4"},
	{"end-count", c_end_count, 0, -EBADMSG, 0, "malformed end block"},
};

static void test_crafted(void)
{
	const void *rec;
	size_t i;
	__u32 len, n;
	int ret;

	for (i = 0; i < sizeof(crafted) / sizeof(crafted[0]); i++) {
		const struct crafted *c = &crafted[i];
		struct trace_reader *r;

		c->build();
		errno = 0;
		errbuf[0] = 0;
		r = trace_reader__open_mem(fb.p, fb.len, c->name, errbuf, sizeof(errbuf));
		if (c->open_err) {
			CHECK(r == NULL && errno == -c->open_err);
			if (!has(errbuf, c->msg))
				fprintf(stderr, "%s: got \"%s\"\n", c->name, errbuf);
			CHECK(has(errbuf, c->msg));
			trace_reader__close(r);
			continue;
		}
		CHECK(r != NULL);
		if (!r) {
			fprintf(stderr, "%s: got \"%s\"\n", c->name, errbuf);
			continue;
		}
		n = 0;
		while ((ret = trace_reader__next(r, &rec, &len)) == 1)
			n++;
		CHECK_EQ_U64(ret, c->read_err);
		CHECK_EQ_U64(n, c->records);
		if (c->msg && !has(trace_reader__error(r), c->msg))
			fprintf(stderr, "%s: got \"%s\"\n", c->name, trace_reader__error(r));
		CHECK(!c->msg || has(trace_reader__error(r), c->msg));
		CHECK(c->msg ||
		      (trace_reader__error(r) == NULL && trace_reader__warning(r) == NULL &&
		       trace_reader__stats(r) != NULL));
		trace_reader__close(r);
	}
}

/* ---- tests ------------------------------------------------------------ */

static void test_meta_roundtrip(void)
{
	static struct trace_meta meta;
	static struct trace_stats stats;
	const char *path = tmp_path("meta.trc");
	struct trace_reader *r;
	struct layout l;
	__u32 n;

	meta_fill(&meta, TRACE_MAX_PROBES);
	stats_fill(&stats, 4);
	CHECK(write_trace(path, &meta, 0, 0, &stats, &l) == 0);
	r = trace_reader__open(path, errbuf, sizeof(errbuf));
	CHECK(r != NULL);
	if (!r)
		return;
	/* Unused bytes are zero on both sides: the whole struct compares. */
	CHECK(!memcmp(trace_reader__meta(r), &meta, sizeof(meta)));
	CHECK_EQ_U64(trace_reader__meta(r)->nr_probes, TRACE_MAX_PROBES);
	CHECK(!strcmp(trace_reader__meta(r)->probes[1].detail, meta.probes[1].detail));
	CHECK(trace_reader__meta(r)->boottime_offset == -123456789LL);
	CHECK(trace_reader__stats(r) == NULL); /* not before the end */
	CHECK(read_all(r, &n, NULL, 0) == 0);
	CHECK_EQ_U64(n, 0);
	check_stats(trace_reader__stats(r), &stats, 0);
	CHECK(trace_reader__warning(r) == NULL);
	CHECK(trace_reader__error(r) == NULL);
	trace_reader__close(r);
}

/* Thousands of records, several full blocks, partial ones, 64 KiB records. */
static void test_many_records(void)
{
	static struct trace_meta meta;
	static struct trace_stats stats;
	static struct layout l;
	const char *path = tmp_path("many.trc");
	struct trace_reader *r;
	unsigned char *buf;
	size_t len;
	__u32 n, nrec = 6000;
	__u64 raw = 0, i;

	for (i = 0; i < nrec; i++)
		raw += rec_len(i);
	CHECK(raw > 8 * TRACE_BLOCK_RAW_MAX);
	meta_fill(&meta, 3);
	stats_fill(&stats, TRACE_MAX_CPUS);
	stats.kstack_lost = 5; /* the optional stack counters, after the arrays */
	stats.ustack_lost = 1ULL << 40;
	CHECK(write_trace(path, &meta, nrec, 2500, &stats, &l) == 0);
	CHECK(l.n > 10);

	r = trace_reader__open(path, errbuf, sizeof(errbuf));
	CHECK(r != NULL);
	if (r) {
		CHECK(read_all(r, &n, NULL, 0) == 0);
		CHECK_EQ_U64(n, nrec);
		check_stats(trace_reader__stats(r), &stats, nrec);
		CHECK(trace_reader__warning(r) == NULL);
		CHECK(trace_reader__error(r) == NULL);
		/* after the end, it stays at the end */
		CHECK(read_all(r, &n, NULL, 0) == 0);
		trace_reader__close(r);
	}

	buf = slurp(path, &len);
	CHECK(buf != NULL);
	r = buf ? trace_reader__open_mem(buf, len, "mem", errbuf, sizeof(errbuf)) : NULL;
	CHECK(r != NULL);
	if (r) {
		CHECK(read_all(r, &n, NULL, 0) == 0);
		CHECK_EQ_U64(n, nrec);
		check_stats(trace_reader__stats(r), &stats, nrec);
		trace_reader__close(r);
	}
	free(buf);
}

/* The documented bytes: fixed header, block frames, end block. */
static void test_layout(void)
{
	static struct trace_meta meta;
	static struct trace_stats stats;
	static struct layout l;
	const char *path = tmp_path("layout.trc");
	unsigned char *buf, *b;
	size_t len;
	__u32 meta_len, i, raw = 0;

	meta_fill(&meta, 2);
	stats_fill(&stats, 3);
	CHECK(write_trace(path, &meta, 10, 0, &stats, &l) == 0);
	buf = slurp(path, &len);
	CHECK(buf != NULL && l.n == 2);
	if (!buf || l.n != 2)
		return;
	CHECK(!memcmp(buf, "TSENDTRC", 8));
	CHECK_EQ_U64(le16(buf + 8), 1);
	CHECK_EQ_U64(le16(buf + 10), 0);
	meta_len = le32(buf + 12);
	CHECK_EQ_U64(FILE_HDR_SIZE + meta_len, l.off[0]);
	CHECK_EQ_U64(le32(buf + 16), crc32(0, buf + FILE_HDR_SIZE, meta_len));
	CHECK_EQ_U64(le32(buf + 20), crc32(0, buf, 20));

	b = buf + l.off[0];
	for (i = 0; i < 10; i++)
		raw += 4 + rec_len(i);
	CHECK(!memcmp(b, "TBLK", 4));
	CHECK_EQ_U64(le16(b + 4), 1);
	CHECK_EQ_U64(le16(b + 6), 0);
	CHECK_EQ_U64(BLOCK_HDR_SIZE + le32(b + 8), l.off[1] - l.off[0]);
	CHECK_EQ_U64(le32(b + 12), raw);
	CHECK_EQ_U64(le32(b + 16), 10);
	CHECK_EQ_U64(le32(b + 20), crc32(0, b + BLOCK_HDR_SIZE, le32(b + 8)));
	CHECK_EQ_U64(le32(b + 24), crc32(0, b, 24));

	b = buf + l.off[1];
	CHECK(!memcmp(b, "TBLK", 4));
	CHECK_EQ_U64(le16(b + 4), 2);
	CHECK_EQ_U64(le32(b + 12), 24 + 16 * 3);
	CHECK_EQ_U64(le32(b + 16), 0);
	CHECK_EQ_U64(l.off[1] + BLOCK_HDR_SIZE + le32(b + 8), len);
	free(buf);
}

static void test_mode(void)
{
	static struct trace_meta meta;
	const char *path = tmp_path("mode.trc");
	struct trace_writer *w;
	struct stat st;
	int fd;

	/* An old file, readable by all, and longer than what replaces it. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(fchmod(fd, 0644) == 0);
	CHECK(write(fd, "0123456789", 10) == 10);
	close(fd);
	meta_fill(&meta, 0);
	w = trace_writer__open(path, &meta);
	CHECK(w != NULL);
	if (!w)
		return;
	CHECK(stat(path, &st) == 0);
	CHECK_EQ_U64(st.st_mode & 07777, 0600);
	CHECK_EQ_U64(st.st_size, trace_writer__size(w));
	CHECK(trace_writer__close(w, NULL) == 0);
}

/*
 * Cut the file at every byte. Before the blocks: open fails. After: the
 * reader returns exactly the whole blocks before the cut, then 0 with a
 * warning naming the torn block's offset, and no error.
 */
static void test_truncate_every_byte(void)
{
	static struct trace_meta meta;
	static struct trace_stats stats;
	static struct layout l;
	const char *path = tmp_path("cut.trc");
	unsigned char *buf;
	size_t len, cut;
	int j = 0, bad = 0;
	char want[128];
	__u32 n;

	meta_fill(&meta, 2);
	stats_fill(&stats, 2);
	CHECK(write_trace(path, &meta, 40, 4, &stats, &l) == 0);
	buf = slurp(path, &len);
	CHECK(buf != NULL && len < 64 * 1024);
	if (!buf)
		return;
	for (cut = 0; cut < len; cut++) {
		struct trace_reader *r;

		r = trace_reader__open_mem(buf, cut, "cut", errbuf, sizeof(errbuf));
		if (cut < l.off[0]) {
			bad += r != NULL || errno != EBADMSG || !has(errbuf, "cut: offset ");
			trace_reader__close(r);
			continue;
		}
		while (j + 1 < l.n && l.off[j + 1] <= cut)
			j++;
		if (!r) {
			bad++;
			continue;
		}
		bad += read_all(r, &n, NULL, 0) != 0;
		bad += n != l.recs[j];
		bad += trace_reader__error(r) != NULL;
		bad += trace_reader__stats(r) != NULL;
		snprintf(want, sizeof(want), "cut: offset %llu: %s", (unsigned long long)l.off[j],
			 cut == l.off[j] ? "no end block" : "file ends mid-block");
		bad += !has(trace_reader__warning(r), want);
		trace_reader__close(r);
	}
	CHECK(bad == 0);
	free(buf);
}

/* The same on a big file, at and around each block boundary, via a path. */
static void test_truncate_big(void)
{
	static struct trace_meta meta;
	static struct trace_stats stats;
	static struct layout l;
	const char *path = tmp_path("big.trc");
	const char *cutp = tmp_path("big-cut.trc");
	struct trace_reader *r;
	unsigned char *buf;
	size_t len;
	__u64 delta[] = {0, 1, 27, 28, 29, 1000, 100000};
	unsigned int d;
	int j, fd;
	__u32 n;

	meta_fill(&meta, 5);
	stats_fill(&stats, 16);
	CHECK(write_trace(path, &meta, 3000, 1000, &stats, &l) == 0);
	buf = slurp(path, &len);
	CHECK(buf != NULL);
	if (!buf)
		return;
	for (j = 0; j < l.n; j++) {
		for (d = 0; d < sizeof(delta) / sizeof(delta[0]); d++) {
			__u64 cut = l.off[j] + delta[d];

			if (cut >= len || (j + 1 < l.n && cut >= l.off[j + 1]))
				continue;
			fd = open(cutp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			CHECK(fd >= 0 && write(fd, buf, cut) == (ssize_t)cut);
			close(fd);
			r = trace_reader__open(cutp, errbuf, sizeof(errbuf));
			CHECK(r != NULL);
			if (!r)
				continue;
			CHECK(read_all(r, &n, NULL, 0) == 0);
			CHECK_EQ_U64(n, l.recs[j]);
			CHECK(trace_reader__error(r) == NULL);
			CHECK(has(trace_reader__warning(r),
				  delta[d] ? "mid-block" : "no end block"));
			trace_reader__close(r);
		}
	}
	free(buf);
}

/* Any single bit flipped in the header: open fails and says where. */
static void test_bitflip_header(void)
{
	static struct trace_meta meta;
	static struct layout l;
	const char *path = tmp_path("flip-hdr.trc");
	unsigned char *buf;
	size_t len, bit;
	int bad = 0;

	meta_fill(&meta, 2);
	CHECK(write_trace(path, &meta, 5, 0, NULL, &l) == 0);
	buf = slurp(path, &len);
	CHECK(buf != NULL);
	if (!buf)
		return;
	for (bit = 0; bit < l.off[0] * 8; bit++) {
		struct trace_reader *r;

		buf[bit / 8] ^= 1 << bit % 8;
		r = trace_reader__open_mem(buf, len, "flip", errbuf, sizeof(errbuf));
		bad += r != NULL || (errno != EBADMSG && errno != ENOTSUP);
		bad += !has(errbuf, "flip: offset ");
		bad += strchr(errbuf, '\n') != NULL;
		trace_reader__close(r);
		buf[bit / 8] ^= 1 << bit % 8;
	}
	CHECK(bad == 0);
	free(buf);
}

/*
 * Any single bit flipped after the header: the blocks before the flipped
 * one read fine, then __next fails, and keeps failing, naming the block.
 */
static void test_bitflip_blocks(void)
{
	static struct trace_meta meta;
	static struct trace_stats stats;
	static struct layout l;
	const char *path = tmp_path("flip-blk.trc");
	unsigned char *buf;
	size_t len, bit;
	const void *rec;
	int j = 0, bad = 0, ret;
	char want[64];
	__u32 n, rl;

	meta_fill(&meta, 1);
	stats_fill(&stats, 2);
	CHECK(write_trace(path, &meta, 12, 3, &stats, &l) == 0);
	buf = slurp(path, &len);
	CHECK(buf != NULL);
	if (!buf)
		return;
	for (bit = l.off[0] * 8; bit < len * 8; bit++) {
		struct trace_reader *r;

		while (j + 1 < l.n && l.off[j + 1] <= bit / 8)
			j++;
		buf[bit / 8] ^= 1 << bit % 8;
		r = trace_reader__open_mem(buf, len, "flip", errbuf, sizeof(errbuf));
		if (!r) {
			bad++;
		} else {
			ret = read_all(r, &n, NULL, 0);
			bad += ret != -EBADMSG || n != l.recs[j];
			snprintf(want, sizeof(want),
				 "flip: offset %llu: ", (unsigned long long)l.off[j]);
			bad += !has(trace_reader__error(r), want);
			bad += trace_reader__stats(r) != NULL;
			bad += trace_reader__next(r, &rec, &rl) != ret;
			trace_reader__close(r);
		}
		buf[bit / 8] ^= 1 << bit % 8;
	}
	CHECK(bad == 0);
	free(buf);
}

static void test_bad_magic(void)
{
	static const char junk[] = "GIF89a this is not a trace file at all";
	struct trace_reader *r;

	errno = 0;
	r = trace_reader__open_mem(junk, sizeof(junk), "junk.gif", errbuf, sizeof(errbuf));
	CHECK(r == NULL);
	CHECK(errno == EBADMSG);
	CHECK(!strcmp(errbuf, "junk.gif: offset 0: not a tsend trace (bad magic)"));
	/* shorter than the magic, and not a prefix of it */
	r = trace_reader__open_mem("TSX", 3, "short", errbuf, sizeof(errbuf));
	CHECK(r == NULL);
	CHECK(has(errbuf, "bad magic"));
	/* a prefix of the magic: a cut-off trace, not some other file */
	r = trace_reader__open_mem("TSENDTRC\1", 9, "pfx", errbuf, sizeof(errbuf));
	CHECK(r == NULL);
	CHECK(has(errbuf, "pfx: offset 9: file ends in the header"));
}

static void test_unknown_version(void)
{
	static struct trace_meta meta;
	static struct layout l;
	const char *path = tmp_path("v2.trc");
	struct trace_reader *r;
	unsigned char *buf;
	size_t len;

	meta_fill(&meta, 0);
	CHECK(write_trace(path, &meta, 3, 0, NULL, &l) == 0);
	buf = slurp(path, &len);
	CHECK(buf != NULL);
	if (!buf)
		return;
	buf[8] = 2; /* a valid later file: its CRC matches */
	put32(buf + 20, crc32(0, buf, 20));
	errno = 0;
	r = trace_reader__open_mem(buf, len, "v2.trc", errbuf, sizeof(errbuf));
	CHECK(r == NULL);
	CHECK(errno == ENOTSUP);
	CHECK(!strcmp(errbuf, "v2.trc: offset 8: unsupported version 2 (this build reads 1)"));
	free(buf);
}

static void test_empty(void)
{
	const char *path = tmp_path("empty.trc");
	struct trace_reader *r;
	int fd;

	r = trace_reader__open_mem(NULL, 0, "nothing", errbuf, sizeof(errbuf));
	CHECK(r == NULL);
	CHECK(errno == EBADMSG);
	CHECK(has(errbuf, "nothing: offset 0: empty file"));

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	close(fd);
	r = trace_reader__open(path, errbuf, sizeof(errbuf));
	CHECK(r == NULL);
	CHECK(errno == EBADMSG);
	CHECK(has(errbuf, path) && has(errbuf, "offset 0: empty file"));

	/* and one that is not there at all */
	r = trace_reader__open(tmp_path("missing.trc"), errbuf, sizeof(errbuf));
	CHECK(r == NULL);
	CHECK(errno == ENOENT);
	CHECK(has(errbuf, "missing.trc: cannot open"));
	/* err may be NULL */
	CHECK(trace_reader__open_mem("x", 1, NULL, NULL, 0) == NULL);
}

static void test_append_rejects(void)
{
	static struct trace_meta meta;
	static struct trace_stats stats;
	static unsigned char big[TRACE_RECORD_MAX + 16];
	const char *path = tmp_path("rejects.trc");
	struct trace_writer *w;
	struct trace_reader *r;
	struct tsend_head h;
	__u64 size;
	__u32 n;

	meta_fill(&meta, 0);
	stats_fill(&stats, 1);
	w = trace_writer__open(path, &meta);
	CHECK(w != NULL);
	if (!w)
		return;
	size = trace_writer__size(w);
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	CHECK(trace_writer__append(w, NULL, sizeof(h)) == -EINVAL);
	CHECK(trace_writer__append(w, &h, 0) == -EINVAL);
	CHECK(trace_writer__append(w, &h, sizeof(h) - 1) == -EINVAL);
	h.size = sizeof(h) + 1;
	CHECK(trace_writer__append(w, &h, sizeof(h)) == -EINVAL);
	h.size = sizeof(h) - 1;
	memcpy(big, &h, sizeof(h));
	CHECK(trace_writer__append(w, big, sizeof(h) - 1) == -EINVAL);
	/* head.size is a __u16: 65536 can never match it */
	h.size = 0;
	memcpy(big, &h, sizeof(h));
	CHECK(trace_writer__append(w, big, TRACE_RECORD_MAX + 1) == -EINVAL);
	CHECK(trace_writer__flush(w) == 0);
	CHECK_EQ_U64(trace_writer__size(w), size); /* nothing to flush */

	/* the writer is still fine: record 0 goes in */
	rec_make(0, big, rec_len(0));
	CHECK(trace_writer__append(w, big, rec_len(0)) == 0);
	CHECK(trace_writer__close(w, &stats) == 0);
	r = trace_reader__open(path, errbuf, sizeof(errbuf));
	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(read_all(r, &n, NULL, 0) == 0);
	CHECK_EQ_U64(n, 1);
	trace_reader__close(r);
}

static void test_open_rejects(void)
{
	static struct trace_meta meta;
	const char *path = tmp_path("keep.trc");
	struct stat st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "keep", 4) == 4);
	close(fd);

	meta_fill(&meta, TRACE_MAX_PROBES);
	meta.nr_probes = TRACE_MAX_PROBES + 1;
	errno = 0;
	CHECK(trace_writer__open(path, &meta) == NULL && errno == EINVAL);
	meta_fill(&meta, 0);
	meta.nr_cpus = TRACE_MAX_CPUS + 1;
	CHECK(trace_writer__open(path, &meta) == NULL && errno == EINVAL);
	meta_fill(&meta, 1);
	memset(meta.hostname, 'x', sizeof(meta.hostname)); /* no NUL */
	CHECK(trace_writer__open(path, &meta) == NULL && errno == EINVAL);
	meta_fill(&meta, 1);
	memset(meta.probes[0].detail, 'x', sizeof(meta.probes[0].detail));
	CHECK(trace_writer__open(path, &meta) == NULL && errno == EINVAL);
	CHECK(trace_writer__open(NULL, &meta) == NULL && errno == EINVAL);
	/* a bad meta must not have truncated the file */
	CHECK(stat(path, &st) == 0 && st.st_size == 4);
	meta_fill(&meta, 1);
	CHECK(trace_writer__open(tmp_path("no/such/dir"), &meta) == NULL && errno == ENOENT);
}

/* close(NULL stats) still ends the file; bad stats are refused. */
static void test_close_stats(void)
{
	static struct trace_meta meta;
	static struct trace_stats stats;
	static struct layout l;
	const char *path = tmp_path("nostats.trc");
	struct trace_writer *w;
	struct trace_reader *r;
	__u32 n;

	meta_fill(&meta, 0);
	CHECK(write_trace(path, &meta, 7, 0, NULL, &l) == 0);
	r = trace_reader__open(path, errbuf, sizeof(errbuf));
	CHECK(r != NULL);
	if (r) {
		CHECK(read_all(r, &n, NULL, 0) == 0);
		CHECK(trace_reader__stats(r) != NULL);
		CHECK_EQ_U64(trace_reader__stats(r)->records, 7);
		CHECK_EQ_U64(trace_reader__stats(r)->nr_cpus, 0);
		CHECK(trace_reader__warning(r) == NULL);
		trace_reader__close(r);
	}
	stats_fill(&stats, 1);
	stats.nr_cpus = TRACE_MAX_CPUS + 1;
	w = trace_writer__open(path, &meta);
	CHECK(w != NULL);
	if (w)
		CHECK(trace_writer__close(w, &stats) == -EINVAL);
}

/* Rebuilds the header around a meta with extra bytes at its end. */
static unsigned char *with_meta_entry(const unsigned char *buf, size_t len, __u64 hdr_end,
				      __u16 tag, size_t *out_len)
{
	unsigned char *out = malloc(len + 9);
	unsigned char *e;
	__u32 meta_len;

	if (!out)
		return NULL;
	memcpy(out, buf, hdr_end);
	e = out + hdr_end;
	e[0] = tag;
	e[1] = tag >> 8;
	put32(e + 2, 3);
	memcpy(e + 6, "abc", 3);
	memcpy(out + hdr_end + 9, buf + hdr_end, len - hdr_end);
	meta_len = hdr_end - FILE_HDR_SIZE + 9;
	put32(out + 12, meta_len);
	put32(out + 16, crc32(0, out + FILE_HDR_SIZE, meta_len));
	put32(out + 20, crc32(0, out, 20));
	*out_len = len + 9;
	return out;
}

/* Inserts a block of an unknown type, 3 bytes of data, at off. */
static unsigned char *with_block(const unsigned char *buf, size_t len, __u64 off, __u16 type,
				 size_t *out_len)
{
	unsigned char *out = malloc(len + BLOCK_HDR_SIZE + 3);
	unsigned char *b;

	if (!out)
		return NULL;
	memcpy(out, buf, off);
	b = out + off;
	memcpy(b, "TBLK", 4);
	b[4] = type;
	b[5] = type >> 8;
	b[6] = b[7] = 0;
	put32(b + 8, 3);
	put32(b + 12, 0);
	put32(b + 16, 0);
	memcpy(b + BLOCK_HDR_SIZE, "xyz", 3);
	put32(b + 20, crc32(0, b + BLOCK_HDR_SIZE, 3));
	put32(b + 24, crc32(0, b, 24));
	memcpy(b + BLOCK_HDR_SIZE + 3, buf + off, len - off);
	*out_len = len + BLOCK_HDR_SIZE + 3;
	return out;
}

/* The versioning rules: optional additions are skipped, required fail. */
static void test_forward_compat(void)
{
	static struct trace_meta meta;
	static struct trace_stats stats;
	static struct layout l;
	const char *path = tmp_path("compat.trc");
	struct trace_reader *r;
	unsigned char *buf, *x;
	size_t len, xlen;
	__u32 n;

	meta_fill(&meta, 2);
	stats_fill(&stats, 2);
	CHECK(write_trace(path, &meta, 20, 10, &stats, &l) == 0);
	buf = slurp(path, &len);
	CHECK(buf != NULL);
	if (!buf)
		return;

	x = with_meta_entry(buf, len, l.off[0], 0x0100, &xlen);
	r = x ? trace_reader__open_mem(x, xlen, "opt-meta", errbuf, sizeof(errbuf)) : NULL;
	CHECK(r != NULL);
	if (r) {
		CHECK(!memcmp(trace_reader__meta(r), &meta, sizeof(meta)));
		CHECK(read_all(r, &n, NULL, 0) == 0 && n == 20);
		trace_reader__close(r);
	}
	free(x);

	x = with_meta_entry(buf, len, l.off[0], 0x8100, &xlen);
	r = x ? trace_reader__open_mem(x, xlen, "req-meta", errbuf, sizeof(errbuf)) : NULL;
	CHECK(r == NULL && errno == ENOTSUP);
	CHECK(has(errbuf, "unsupported required meta field 0x8100"));
	free(x);

	x = with_block(buf, len, l.off[1], 0x8001, &xlen);
	r = x ? trace_reader__open_mem(x, xlen, "opt-blk", errbuf, sizeof(errbuf)) : NULL;
	CHECK(r != NULL);
	if (r) {
		CHECK(read_all(r, &n, NULL, 0) == 0 && n == 20);
		check_stats(trace_reader__stats(r), &stats, 20);
		CHECK(trace_reader__warning(r) == NULL);
		trace_reader__close(r);
	}
	free(x);

	x = with_block(buf, len, l.off[1], 0x0003, &xlen);
	r = x ? trace_reader__open_mem(x, xlen, "req-blk", errbuf, sizeof(errbuf)) : NULL;
	CHECK(r != NULL);
	if (r) {
		CHECK(read_all(r, &n, NULL, 0) == -ENOTSUP && n == 10);
		CHECK(has(trace_reader__error(r), "unknown block type 0x3"));
		trace_reader__close(r);
	}
	free(x);

	/* a whole block missing passes every CRC: the end block catches it */
	memmove(buf + l.off[0], buf + l.off[1], len - l.off[1]);
	r = trace_reader__open_mem(buf, len - (l.off[1] - l.off[0]), "spliced", errbuf,
				   sizeof(errbuf));
	CHECK(r != NULL);
	if (r) {
		CHECK(read_all(r, &n, (const __u32[]){0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10) ==
		      -EBADMSG);
		CHECK_EQ_U64(n, 10);
		CHECK(has(trace_reader__error(r),
			  "end block counts 20 records, the file holds 10"));
		trace_reader__close(r);
	}
	free(buf);
}

static void test_trailing_data(void)
{
	static struct trace_meta meta;
	static struct trace_stats stats;
	static struct layout l;
	const char *path = tmp_path("tail.trc");
	struct trace_reader *r;
	char want[64];
	int fd;
	__u32 n;

	meta_fill(&meta, 0);
	stats_fill(&stats, 1);
	CHECK(write_trace(path, &meta, 9, 0, &stats, &l) == 0);
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "garbage", 7) == 7);
	close(fd);
	r = trace_reader__open(path, errbuf, sizeof(errbuf));
	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(read_all(r, &n, NULL, 0) == 0 && n == 9);
	check_stats(trace_reader__stats(r), &stats, 9);
	snprintf(want, sizeof(want), "offset %llu: data after the end block",
		 (unsigned long long)l.file_size);
	CHECK(has(trace_reader__warning(r), want));
	CHECK(trace_reader__error(r) == NULL);
	trace_reader__close(r);
}

/*
 * A full disk, simulated with RLIMIT_FSIZE (EFBIG instead of ENOSPC, same
 * path: a short write, then an error). The file must stay readable, and
 * once there is room again the writer carries on.
 */
static void test_write_error(void)
{
	static struct trace_meta meta;
	static struct trace_stats stats;
	static unsigned char buf[TRACE_RECORD_MAX];
	const char *path = tmp_path("full.trc");
	struct rlimit old, lim;
	void (*old_sig)(int);
	struct trace_writer *w;
	struct trace_reader *r;
	__u32 i, n, failed = 0, nrec = 2000;
	__u64 before = 0;
	struct stat st;
	int err = 0;

	meta_fill(&meta, 0);
	stats_fill(&stats, 1);
	if (getrlimit(RLIMIT_FSIZE, &old) || old.rlim_max != RLIM_INFINITY)
		return;
	w = trace_writer__open(path, &meta);
	CHECK(w != NULL);
	if (!w)
		return;
	old_sig = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = trace_writer__size(w) + 300000; /* a block or two */
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	for (i = 0; i < nrec && !err; i++) {
		before = trace_writer__size(w);
		rec_make(i, buf, rec_len(i));
		err = trace_writer__append(w, buf, rec_len(i));
	}
	failed = i - 1;
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, old_sig);
	CHECK(err == -EFBIG);
	CHECK_EQ_U64(trace_writer__size(w), before);
	/* the torn block was cut off again */
	CHECK(stat(path, &st) == 0);
	CHECK_EQ_U64(st.st_size, trace_writer__size(w));
	r = trace_reader__open(path, errbuf, sizeof(errbuf));
	CHECK(r != NULL);
	if (r) {
		CHECK(read_all(r, &n, NULL, 0) == 0);
		CHECK(n > 0 && n < failed);
		CHECK(has(trace_reader__warning(r), "no end block"));
		CHECK(trace_reader__error(r) == NULL);
		trace_reader__close(r);
	}
	/* room again: the rejected record goes in, and the rest */
	for (i = failed; i < nrec; i++) {
		rec_make(i, buf, rec_len(i));
		CHECK(trace_writer__append(w, buf, rec_len(i)) == 0);
	}
	CHECK(trace_writer__close(w, &stats) == 0);
	r = trace_reader__open(path, errbuf, sizeof(errbuf));
	CHECK(r != NULL);
	if (r) {
		CHECK(read_all(r, &n, NULL, 0) == 0);
		CHECK_EQ_U64(n, nrec);
		check_stats(trace_reader__stats(r), &stats, nrec);
		trace_reader__close(r);
	}
}

static void tmpdir_remove(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(tmp_path(e->d_name));
	if (d)
		closedir(d);
	CHECK(rmdir(tmpdir) == 0);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_meta_roundtrip();
	test_many_records();
	test_layout();
	test_mode();
	test_truncate_every_byte();
	test_truncate_big();
	test_bitflip_header();
	test_bitflip_blocks();
	test_bad_magic();
	test_unknown_version();
	test_empty();
	test_append_rejects();
	test_open_rejects();
	test_close_stats();
	test_forward_compat();
	test_crafted();
	test_trailing_data();
	test_write_error();
	tmpdir_remove();
	return check_done("trace_file");
}
