// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The tsend trace file. docs/trace-format.md is the byte layout; this file
 * must match it exactly, and a change here that changes bytes needs a
 * change there (and maybe TRACE_VERSION).
 *
 * Everything on disk is encoded field by field, little-endian, through the
 * put_le*()/get_le*() helpers: no struct is ever written raw, so padding,
 * alignment and host byte order cannot leak into the format.
 *
 * The reader treats its input as hostile (it is fuzzed): every length is
 * checked against what is left and against a fixed cap before it is used,
 * allocations are bounded by those caps, and multi-byte values are read
 * byte by byte so no pointer is ever misaligned.
 */
#define ZLIB_CONST
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../bpf/tsend.h"
#include "trace_file.h"
#include "msg.h"

_Static_assert(sizeof(struct tsend_head) == TSEND_HEAD_SIZE,
	       "struct tsend_head changed: update bpf/tsend.h");

#define FILE_HDR_SIZE  24 /* magic, version, flags, meta len/CRC, CRC */
#define BLOCK_HDR_SIZE 28 /* magic, type, flags, lengths, count, CRCs */
#define BLOCK_MAGIC    "TBLK"
#define REC_PREFIX     4  /* each record is preceded by its u32 length */
#define END_FIXED_SIZE 24 /* end block: records, end_ns, nr_cpus, pad */

#define BLOCK_EVENTS 1
#define BLOCK_END    2
/* A block type with this bit set may be skipped by a reader that lacks it. */
#define BLOCK_OPTIONAL 0x8000

/*
 * Reader caps. The writer never makes a block bigger than
 * TRACE_BLOCK_RAW_MAX raw (deflate adds at most ~0.1% to that); twice that
 * leaves room for a later writer with bigger blocks while bounding what a
 * corrupt length can make the reader allocate.
 */
#define BLOCK_LEN_MAX (2 * TRACE_BLOCK_RAW_MAX)
#define META_LEN_MAX  (1024 * 1024)

/* Meta entries (TLV): u16 tag, u32 length, value. */
#define META_ABI_VERSION     1
#define META_SNAPLEN	     2
#define META_PAYLOAD_LEN     3
#define META_NR_CPUS	     4
#define META_REALTIME_OFFSET 5
#define META_BOOTTIME_OFFSET 6
#define META_START_NS	     7
#define META_KERNEL_RELEASE  8
#define META_HOSTNAME	     9
#define META_CMDLINE	     10
#define META_PROBE	     11
/* A tag with this bit set must be understood: a reader lacking it fails. */
#define META_REQUIRED 0x8000
#define TLV_HDR_SIZE  6

#define PROBE_FIXED_SIZE 4 /* stage, mech, reserved; then 3 strings */
#define STR_PREFIX	 2 /* strings inside a probe row: u16 length */

#define MEMBER_SIZE(type, m) sizeof(((type *)0)->m)
#define META_STR_MAX(m)	     (MEMBER_SIZE(struct trace_meta, m) - 1)
#define PROBE_STR_MAX(m)     (MEMBER_SIZE(struct trace_probe, m) - 1)

/* The largest meta a valid struct trace_meta encodes to. */
#define META_ENC_MAX                                                                               \
	(7 * (TLV_HDR_SIZE + 8) + 3 * TLV_HDR_SIZE + META_STR_MAX(kernel_release) +                \
	 META_STR_MAX(hostname) + META_STR_MAX(cmdline) +                                          \
	 TRACE_MAX_PROBES * (TLV_HDR_SIZE + PROBE_FIXED_SIZE + 3 * STR_PREFIX +                    \
			     PROBE_STR_MAX(func) + PROBE_STR_MAX(target) + PROBE_STR_MAX(detail)))
_Static_assert(META_ENC_MAX <= META_LEN_MAX, "a full meta must stay readable by the reader's cap");

/* ---- little-endian encoding ------------------------------------------ */

static void put_le16(unsigned char *p, __u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put_le32(unsigned char *p, __u32 v)
{
	put_le16(p, v);
	put_le16(p + 2, v >> 16);
}

static void put_le64(unsigned char *p, __u64 v)
{
	put_le32(p, v);
	put_le32(p + 4, v >> 32);
}

static __u16 get_le16(const unsigned char *p)
{
	return (__u16)(p[0] | (__u16)p[1] << 8);
}

static __u32 get_le32(const unsigned char *p)
{
	return get_le16(p) | (__u32)get_le16(p + 2) << 16;
}

static __u64 get_le64(const unsigned char *p)
{
	return get_le32(p) | (__u64)get_le32(p + 4) << 32;
}

static __u32 crc_of(const unsigned char *p, size_t len)
{
	return crc32(0, p, len);
}

/*
 * Fuzzers cannot forge CRCs, so a fuzzing build (the standard OSS-Fuzz
 * macro) ignores them and reaches the inflate and record checks behind.
 */
static int crc_bad(__u32 stored, __u32 computed)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	(void)stored;
	(void)computed;
	return 0;
#else
	return stored != computed;
#endif
}

/* ---- the meta: one table drives both the encoder and the decoder ---- */

enum field_kind {
	FIELD_U32,
	FIELD_U64, /* also the s64s: same two's complement bytes */
	FIELD_STR,
};

struct meta_field {
	__u16 tag;
	enum field_kind kind;
	size_t off;  /* in struct trace_meta */
	size_t size; /* of the member; a string's includes its NUL */
	const char *name;
};

#define META_FIELD(t, k, m)                                                                        \
	{                                                                                          \
		.tag = t, .kind = k, .off = offsetof(struct trace_meta, m),                        \
		.size = MEMBER_SIZE(struct trace_meta, m), .name = #m                              \
	}

static const struct meta_field meta_fields[] = {
	META_FIELD(META_ABI_VERSION, FIELD_U32, abi_version),
	META_FIELD(META_SNAPLEN, FIELD_U32, snaplen),
	META_FIELD(META_PAYLOAD_LEN, FIELD_U32, payload_len),
	META_FIELD(META_NR_CPUS, FIELD_U32, nr_cpus),
	META_FIELD(META_REALTIME_OFFSET, FIELD_U64, realtime_offset),
	META_FIELD(META_BOOTTIME_OFFSET, FIELD_U64, boottime_offset),
	META_FIELD(META_START_NS, FIELD_U64, start_ns),
	META_FIELD(META_KERNEL_RELEASE, FIELD_STR, kernel_release),
	META_FIELD(META_HOSTNAME, FIELD_STR, hostname),
	META_FIELD(META_CMDLINE, FIELD_STR, cmdline),
};

#define NR_META_FIELDS (sizeof(meta_fields) / sizeof(meta_fields[0]))

/* A bounded output cursor: overflowing it is a bug, reported as -E2BIG. */
struct enc {
	unsigned char *p;
	size_t len;
	size_t cap;
	int err;
};

static unsigned char *enc_room(struct enc *e, size_t n)
{
	unsigned char *p;

	if (e->err || n > e->cap - e->len) {
		e->err = -E2BIG;
		return NULL;
	}
	p = e->p + e->len;
	e->len += n;
	return p;
}

static void enc_u16(struct enc *e, __u16 v)
{
	unsigned char *p = enc_room(e, 2);

	if (p)
		put_le16(p, v);
}

static void enc_u32(struct enc *e, __u32 v)
{
	unsigned char *p = enc_room(e, 4);

	if (p)
		put_le32(p, v);
}

static void enc_u64(struct enc *e, __u64 v)
{
	unsigned char *p = enc_room(e, 8);

	if (p)
		put_le64(p, v);
}

static void enc_bytes(struct enc *e, const void *src, size_t n)
{
	unsigned char *p = enc_room(e, n);

	if (p && n)
		memcpy(p, src, n);
}

static void enc_tlv(struct enc *e, __u16 tag, __u32 len)
{
	enc_u16(e, tag);
	enc_u32(e, len);
}

/* Length of a C string in a char[size]; -EINVAL if it has no NUL. */
static int str_len(const char *s, size_t size, size_t *len)
{
	*len = strnlen(s, size);
	return *len < size ? 0 : -EINVAL;
}

static int meta_encode_field(struct enc *e, const struct trace_meta *meta,
			     const struct meta_field *f)
{
	const char *src = (const char *)meta + f->off;
	__u32 v32;
	__u64 v64;
	size_t n;

	switch (f->kind) {
	case FIELD_U32:
		memcpy(&v32, src, sizeof(v32));
		enc_tlv(e, f->tag, 4);
		enc_u32(e, v32);
		return 0;
	case FIELD_U64:
		memcpy(&v64, src, sizeof(v64));
		enc_tlv(e, f->tag, 8);
		enc_u64(e, v64);
		return 0;
	case FIELD_STR:
		if (str_len(src, f->size, &n))
			return -EINVAL;
		enc_tlv(e, f->tag, n);
		enc_bytes(e, src, n);
		return 0;
	}
	return -EINVAL;
}

static int meta_encode_probe(struct enc *e, const struct trace_probe *p)
{
	size_t nf, nt, nd;

	if (str_len(p->func, sizeof(p->func), &nf) || str_len(p->target, sizeof(p->target), &nt) ||
	    str_len(p->detail, sizeof(p->detail), &nd))
		return -EINVAL;
	enc_tlv(e, META_PROBE, PROBE_FIXED_SIZE + 3 * STR_PREFIX + nf + nt + nd);
	enc_u16(e, p->stage);
	enc_bytes(e, &p->mech, 1);
	enc_bytes(e, "", 1); /* reserved */
	enc_u16(e, nf);
	enc_bytes(e, p->func, nf);
	enc_u16(e, nt);
	enc_bytes(e, p->target, nt);
	enc_u16(e, nd);
	enc_bytes(e, p->detail, nd);
	return 0;
}

static int meta_encode(struct enc *e, const struct trace_meta *meta)
{
	size_t i;
	int err;

	if (meta->nr_probes > TRACE_MAX_PROBES || meta->nr_cpus > TRACE_MAX_CPUS)
		return -EINVAL;
	for (i = 0; i < NR_META_FIELDS; i++) {
		err = meta_encode_field(e, meta, &meta_fields[i]);
		if (err)
			return err;
	}
	for (i = 0; i < meta->nr_probes; i++) {
		err = meta_encode_probe(e, &meta->probes[i]);
		if (err)
			return err;
	}
	return e->err;
}

/* The file header: the fixed part, then the encoded meta. */
static int header_encode(unsigned char *buf, size_t cap, const struct trace_meta *meta, size_t *len)
{
	struct enc e = {.p = buf + FILE_HDR_SIZE};
	int err;

	if (cap < FILE_HDR_SIZE)
		return -E2BIG;
	e.cap = cap - FILE_HDR_SIZE;
	err = meta_encode(&e, meta);
	if (err)
		return err;
	memcpy(buf, TRACE_MAGIC, 8);
	put_le16(buf + 8, TRACE_VERSION);
	put_le16(buf + 10, 0); /* flags */
	put_le32(buf + 12, e.len);
	put_le32(buf + 16, crc_of(e.p, e.len));
	put_le32(buf + 20, crc_of(buf, 20));
	*len = FILE_HDR_SIZE + e.len;
	return 0;
}

/* ---- writer ----------------------------------------------------------- */

struct trace_writer {
	int fd;
	int broken;	  /* -errno once the file could not be repaired */
	__u64 size;	  /* bytes on disk: header and whole blocks */
	__u64 records;	  /* records in the blocks on disk */
	__u64 raw_total;  /* raw and deflated bytes of the events blocks */
	__u64 zip_total;  /* written so far: the compression ratio */
	__u32 nr_pending; /* records in raw[] */
	size_t raw_len;
	unsigned char *raw; /* TRACE_BLOCK_RAW_MAX: the block being filled */
	unsigned char *out; /* block header + deflated raw[] */
	size_t out_cap;
	z_stream zs;
	bool zs_live;
};

static void writer_free(struct trace_writer *w)
{
	if (w->zs_live)
		deflateEnd(&w->zs);
	if (w->fd >= 0)
		close(w->fd);
	free(w->out);
	free(w->raw);
	free(w);
}

static struct trace_writer *writer_new(void)
{
	struct trace_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fd = -1;
	/* Level 1: the writer runs while tracing, so speed beats ratio. */
	if (deflateInit2(&w->zs, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		goto free_writer;
	w->zs_live = true;
	w->out_cap = BLOCK_HDR_SIZE + deflateBound(&w->zs, TRACE_BLOCK_RAW_MAX);
	if (w->out_cap < FILE_HDR_SIZE + META_ENC_MAX)
		w->out_cap = FILE_HDR_SIZE + META_ENC_MAX;
	w->raw = malloc(TRACE_BLOCK_RAW_MAX);
	w->out = malloc(w->out_cap);
	if (!w->raw || !w->out)
		goto free_writer;
	return w;

free_writer:
	writer_free(w);
	errno = ENOMEM;
	return NULL;
}

/*
 * Cuts a partly written block off again, so the file still ends on a whole
 * block. If even that fails, later blocks would land after torn bytes and
 * make the file unreadable past them: refuse to write any more instead, so
 * the torn block stays the last one (the reader stops there with a warning).
 */
static void writer_rollback(struct trace_writer *w, int err)
{
	if (ftruncate(w->fd, w->size) || lseek(w->fd, w->size, SEEK_SET) < 0)
		w->broken = err;
}

static int writer_write(struct trace_writer *w, const unsigned char *buf, size_t len)
{
	size_t done = 0;

	if (w->broken)
		return w->broken;
	while (done < len) {
		ssize_t n = write(w->fd, buf + done, len - done);
		int err;

		if (n > 0) {
			done += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		err = n < 0 ? -errno : -EIO; /* 0 would loop forever */
		if (done)
			writer_rollback(w, err);
		return err;
	}
	w->size += len;
	return 0;
}

static int writer_put_block(struct trace_writer *w, __u16 type, const unsigned char *raw,
			    size_t raw_len, __u32 count)
{
	unsigned char *hdr = w->out;
	__u32 clen;
	int err;

	if (deflateReset(&w->zs) != Z_OK)
		return -EIO;
	w->zs.next_in = raw;
	w->zs.avail_in = raw_len;
	w->zs.next_out = w->out + BLOCK_HDR_SIZE;
	w->zs.avail_out = w->out_cap - BLOCK_HDR_SIZE;
	/* out_cap is deflateBound(): one call always finishes. */
	if (deflate(&w->zs, Z_FINISH) != Z_STREAM_END)
		return -EIO;
	clen = w->zs.total_out;

	memcpy(hdr, BLOCK_MAGIC, 4);
	put_le16(hdr + 4, type);
	put_le16(hdr + 6, 0); /* flags */
	put_le32(hdr + 8, clen);
	put_le32(hdr + 12, raw_len);
	put_le32(hdr + 16, count);
	put_le32(hdr + 20, crc_of(hdr + BLOCK_HDR_SIZE, clen));
	put_le32(hdr + 24, crc_of(hdr, 24));
	err = writer_write(w, w->out, BLOCK_HDR_SIZE + clen);
	if (!err && type == BLOCK_EVENTS) {
		w->raw_total += raw_len;
		w->zip_total += BLOCK_HDR_SIZE + clen;
	}
	return err;
}

struct trace_writer *trace_writer__open(const char *path, const struct trace_meta *meta)
{
	struct trace_writer *w;
	size_t hdr_len;
	int err;

	if (!path || !meta) {
		errno = EINVAL;
		return NULL;
	}
	w = writer_new();
	if (!w)
		return NULL;
	/* Encode first: a bad meta must not truncate an existing file. */
	err = header_encode(w->out, w->out_cap, meta, &hdr_len);
	if (err)
		goto free_writer;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		err = -errno;
		goto free_writer;
	}
	/* O_CREAT's mode only applies to a new file; an old one keeps its. */
	if (fchmod(w->fd, 0600)) {
		err = -errno;
		goto free_writer;
	}
	err = writer_write(w, w->out, hdr_len);
	if (err)
		goto free_writer;
	return w;

free_writer:
	writer_free(w);
	errno = -err;
	return NULL;
}

int trace_writer__append(struct trace_writer *w, const void *rec, __u32 len)
{
	const unsigned char *r = rec;

	if (!w || !r || len < sizeof(struct tsend_head) || len > TRACE_RECORD_MAX)
		return -EINVAL;
	if (get_le16(r + offsetof(struct tsend_head, size)) != len)
		return -EINVAL;
	if (w->raw_len + REC_PREFIX + len > TRACE_BLOCK_RAW_MAX) {
		int err = trace_writer__flush(w);

		if (err)
			return err;
	}
	put_le32(w->raw + w->raw_len, len);
	memcpy(w->raw + w->raw_len + REC_PREFIX, r, len);
	w->raw_len += REC_PREFIX + len;
	w->nr_pending++;
	return 0;
}

int trace_writer__flush(struct trace_writer *w)
{
	int err;

	if (!w)
		return -EINVAL;
	if (!w->nr_pending)
		return 0;
	/* On failure the records stay buffered: a later flush may succeed. */
	err = writer_put_block(w, BLOCK_EVENTS, w->raw, w->raw_len, w->nr_pending);
	if (err)
		return err;
	w->records += w->nr_pending;
	w->nr_pending = 0;
	w->raw_len = 0;
	return 0;
}

__u64 trace_writer__size(const struct trace_writer *w)
{
	return w ? w->size : 0;
}

/* The buffered records cost what earlier blocks did per raw byte; before
 * the first block, their raw size (an upper bound). */
__u64 trace_writer__estimate(const struct trace_writer *w)
{
	if (!w)
		return 0;
	if (!w->raw_total)
		return w->size + w->raw_len;
	return w->size + (__u64)((double)w->raw_len * w->zip_total / w->raw_total);
}

/* The end block. records is the writer's own count of what is on disk. */
static int writer_put_end(struct trace_writer *w, const struct trace_stats *stats)
{
	struct enc e = {.p = w->raw, .cap = TRACE_BLOCK_RAW_MAX};
	__u32 i, nr = stats ? stats->nr_cpus : 0;

	if (nr > TRACE_MAX_CPUS)
		return -EINVAL;
	enc_u64(&e, w->records);
	enc_u64(&e, stats ? stats->end_ns : 0);
	enc_u32(&e, nr);
	enc_u32(&e, 0); /* pad */
	for (i = 0; i < nr; i++)
		enc_u64(&e, stats->lost[i]);
	for (i = 0; i < nr; i++)
		enc_u64(&e, stats->untracked[i]);
	/* later fields: only when there is something to say, so a file
	 * without stacks is what this version always wrote */
	if (stats && (stats->kstack_lost || stats->ustack_lost)) {
		enc_u64(&e, stats->kstack_lost);
		enc_u64(&e, stats->ustack_lost);
	}
	if (e.err)
		return e.err;
	return writer_put_block(w, BLOCK_END, e.p, e.len, 0);
}

int trace_writer__close(struct trace_writer *w, const struct trace_stats *stats)
{
	int err;

	if (!w)
		return -EINVAL;
	err = trace_writer__flush(w);
	if (!err)
		err = writer_put_end(w, stats); /* raw[] is empty: reuse it */
	/* close() can report a write-back error (NFS): do not lose it. */
	if (close(w->fd) && !err)
		err = -errno;
	w->fd = -1;
	writer_free(w);
	return err;
}

/* ---- reader ----------------------------------------------------------- */

struct block_hdr {
	__u64 off; /* of the block in the file */
	__u16 type;
	__u16 flags;
	__u32 clen;
	__u32 rlen;
	__u32 count;
	__u32 crc;
};

struct trace_reader {
	char *name;
	int fd; /* -1 when reading memory */
	const unsigned char *mem;
	size_t mem_len;
	__u64 off;	   /* file offset of the next unread byte */
	unsigned char *io; /* read() lands here */
	size_t io_cap;
	unsigned char *raw; /* the current block, inflated */
	size_t raw_cap;
	size_t raw_pos;	    /* next record's length prefix in raw[] */
	__u32 left;	    /* records of raw[] not returned yet */
	__u64 records;	    /* records in the blocks loaded so far */
	unsigned char *rec; /* the record returned, copied to align it */
	z_stream zs;
	bool zs_live;
	bool has_stats;
	struct reader_status st;
	struct trace_meta meta;
	struct trace_stats stats;
};

/* Records an error; every later __next returns it again. */
__attribute__((format(printf, 4, 5))) static int reader_fail(struct trace_reader *r, __u64 off,
							     int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reader_status_fail(&r->st, r->name, off, err, fmt, ap);
	va_end(ap);
	return err;
}

/* The file ended early but what came before is good: stop, and say so. */
__attribute__((format(printf, 3, 4))) static int reader_stop(struct trace_reader *r, __u64 off,
							     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reader_status_stop(&r->st, r->name, off, fmt, ap);
	va_end(ap);
	return 0;
}

static int reader_cut_off(struct trace_reader *r, __u64 block_off)
{
	return reader_stop(r, block_off,
			   "file ends mid-block (recording cut off?); read %llu records",
			   (unsigned long long)r->records);
}

static int reader_grow(unsigned char **buf, size_t *cap, size_t need)
{
	unsigned char *p;

	if (need <= *cap)
		return 0;
	p = realloc(*buf, need);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = need;
	return 0;
}

/*
 * Makes the next len bytes of the file available at *p and moves past
 * them. Returns how many there were: fewer than len only at end of file.
 * Callers cap len, so the buffer stays bounded.
 */
static ssize_t reader_take(struct trace_reader *r, size_t len, const unsigned char **p)
{
	size_t got = 0;

	if (r->fd < 0) {
		got = r->mem_len - r->off;
		if (got > len)
			got = len;
		*p = r->mem + r->off;
		r->off += got;
		return got;
	}
	if (reader_grow(&r->io, &r->io_cap, len ? len : 1))
		return reader_fail(r, r->off, -ENOMEM, "out of memory");
	while (got < len) {
		ssize_t n = read(r->fd, r->io + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return reader_fail(r, r->off + got, -errno, "read failed: %s",
					   strerror(errno));
		if (n == 0)
			break;
		got += n;
	}
	*p = r->io;
	r->off += got;
	return got;
}

static const struct meta_field *meta_field_find(__u16 tag)
{
	size_t i;

	for (i = 0; i < NR_META_FIELDS; i++)
		if (meta_fields[i].tag == tag)
			return &meta_fields[i];
	return NULL;
}

/* A string value: no NUL inside, and it must fit its field with one. */
static int str_decode(char *dst, size_t size, const unsigned char *src, size_t n)
{
	if (n >= size || memchr(src, 0, n))
		return -1;
	memcpy(dst, src, n);
	dst[n] = 0;
	return 0;
}

static int meta_decode_field(struct trace_reader *r, const struct meta_field *f,
			     const unsigned char *v, __u32 n, __u64 off)
{
	char *dst = (char *)&r->meta + f->off;
	__u32 v32;
	__u64 v64;

	switch (f->kind) {
	case FIELD_U32:
		if (n != 4)
			break;
		v32 = get_le32(v);
		memcpy(dst, &v32, sizeof(v32));
		return 0;
	case FIELD_U64:
		if (n != 8)
			break;
		v64 = get_le64(v);
		memcpy(dst, &v64, sizeof(v64));
		return 0;
	case FIELD_STR:
		if (str_decode(dst, f->size, v, n))
			return reader_fail(
				r, off, -EBADMSG,
				"meta %s: bad string (%u bytes, max %zu, no NUL allowed)", f->name,
				n, f->size - 1);
		return 0;
	}
	return reader_fail(r, off, -EBADMSG, "meta %s: bad length %u", f->name, n);
}

/* One string of a probe row: u16 length, bytes. Advances *pos. */
static int probe_str(char *dst, size_t size, const unsigned char *v, __u32 n, size_t *pos)
{
	size_t len;

	if (n - *pos < STR_PREFIX)
		return -1;
	len = get_le16(v + *pos);
	*pos += STR_PREFIX;
	if (len > n - *pos || str_decode(dst, size, v + *pos, len))
		return -1;
	*pos += len;
	return 0;
}

static int meta_decode_probe(struct trace_reader *r, const unsigned char *v, __u32 n, __u64 off)
{
	struct trace_probe *p;
	size_t pos = PROBE_FIXED_SIZE;

	if (r->meta.nr_probes >= TRACE_MAX_PROBES)
		return reader_fail(r, off, -EBADMSG, "more than %d probe rows", TRACE_MAX_PROBES);
	p = &r->meta.probes[r->meta.nr_probes];
	if (n < PROBE_FIXED_SIZE)
		goto bad;
	p->stage = get_le16(v);
	p->mech = v[2];
	/* v[3] is reserved; bytes after the 3 strings are for later fields */
	if (probe_str(p->func, sizeof(p->func), v, n, &pos) ||
	    probe_str(p->target, sizeof(p->target), v, n, &pos) ||
	    probe_str(p->detail, sizeof(p->detail), v, n, &pos))
		goto bad;
	r->meta.nr_probes++;
	return 0;
bad:
	return reader_fail(r, off, -EBADMSG, "probe row %u is malformed", r->meta.nr_probes);
}

static int meta_decode_entry(struct trace_reader *r, __u16 tag, const unsigned char *v, __u32 n,
			     __u64 off, __u32 *seen)
{
	const struct meta_field *f;

	if (tag == META_PROBE)
		return meta_decode_probe(r, v, n, off);
	f = meta_field_find(tag);
	if (!f) {
		if (tag & META_REQUIRED)
			return reader_fail(r, off, -ENOTSUP, "unsupported required meta field %#x",
					   tag);
		return 0; /* an optional field from a later writer */
	}
	if (*seen & (1u << f->tag))
		return reader_fail(r, off, -EBADMSG, "duplicate meta %s", f->name);
	*seen |= (1u << f->tag);
	return meta_decode_field(r, f, v, n, off);
}

/* Missing fields stay zero: a reader must cope with older writers. */
static int meta_decode(struct trace_reader *r, const unsigned char *p, size_t len, __u64 base)
{
	size_t pos = 0;
	__u32 seen = 0;

	_Static_assert(META_PROBE < 32, "seen is a 32-bit mask");
	while (pos < len) {
		__u32 n;
		__u16 tag;
		int err;

		if (len - pos < TLV_HDR_SIZE)
			return reader_fail(r, base + pos, -EBADMSG, "meta entry cut short");
		tag = get_le16(p + pos);
		n = get_le32(p + pos + 2);
		if (n > len - pos - TLV_HDR_SIZE)
			return reader_fail(r, base + pos, -EBADMSG,
					   "meta entry %#x: length %u overruns the header", tag, n);
		err = meta_decode_entry(r, tag, p + pos + TLV_HDR_SIZE, n, base + pos, &seen);
		if (err)
			return err;
		pos += TLV_HDR_SIZE + n;
	}
	if (r->meta.nr_cpus > TRACE_MAX_CPUS)
		return reader_fail(r, base, -EBADMSG, "nr_cpus %u exceeds %d", r->meta.nr_cpus,
				   TRACE_MAX_CPUS);
	return 0;
}

/*
 * The checks run in the order that gives the most useful message: magic
 * (is it ours?), version (can we read it?), then the CRCs. The magic and
 * version bytes are frozen for all versions (docs/trace-format.md).
 */
static int reader_read_header(struct trace_reader *r)
{
	const unsigned char *p;
	__u32 meta_len, meta_crc;
	ssize_t got;

	got = reader_take(r, FILE_HDR_SIZE, &p);
	if (got < 0)
		return got;
	if (got == 0)
		return reader_fail(r, 0, -EBADMSG, "empty file, not a tsend trace");
	if (memcmp(p, TRACE_MAGIC, got < 8 ? got : 8))
		return reader_fail(r, 0, -EBADMSG, "not a tsend trace (bad magic)");
	if (got < FILE_HDR_SIZE)
		return reader_fail(r, got, -EBADMSG, "file ends in the header (%zd of %d bytes)",
				   got, FILE_HDR_SIZE);
	if (get_le16(p + 8) != TRACE_VERSION)
		return reader_fail(r, 8, -ENOTSUP, "unsupported version %u (this build reads %d)",
				   get_le16(p + 8), TRACE_VERSION);
	if (crc_bad(get_le32(p + 20), crc_of(p, 20)))
		return reader_fail(r, 20, -EBADMSG, "header CRC mismatch");
	if (get_le16(p + 10))
		return reader_fail(r, 10, -ENOTSUP, "unsupported header flags %#x",
				   get_le16(p + 10));
	meta_len = get_le32(p + 12);
	meta_crc = get_le32(p + 16);
	if (meta_len > META_LEN_MAX)
		return reader_fail(r, 12, -EBADMSG, "meta length %u exceeds the %d-byte limit",
				   meta_len, META_LEN_MAX);

	got = reader_take(r, meta_len, &p);
	if (got < 0)
		return got;
	if ((size_t)got < meta_len)
		return reader_fail(r, r->off, -EBADMSG,
				   "file ends in the header (meta has %zd of %u bytes)", got,
				   meta_len);
	if (crc_bad(meta_crc, crc_of(p, meta_len)))
		return reader_fail(r, FILE_HDR_SIZE, -EBADMSG, "meta CRC mismatch");
	return meta_decode(r, p, meta_len, FILE_HDR_SIZE);
}

static void block_hdr_decode(struct block_hdr *h, const unsigned char *p)
{
	h->type = get_le16(p + 4);
	h->flags = get_le16(p + 6);
	h->clen = get_le32(p + 8);
	h->rlen = get_le32(p + 12);
	h->count = get_le32(p + 16);
	h->crc = get_le32(p + 20);
}

/* Reads and checks a block header: 1 when there is one, 0 at EOF. */
static int reader_block_hdr(struct trace_reader *r, struct block_hdr *h)
{
	const unsigned char *p;
	ssize_t got;

	h->off = r->off;
	got = reader_take(r, BLOCK_HDR_SIZE, &p);
	if (got < 0)
		return got;
	if (got == 0)
		return reader_stop(r, h->off,
				   "no end block (recording cut off?); read %llu records",
				   (unsigned long long)r->records);
	if (got < BLOCK_HDR_SIZE)
		return reader_cut_off(r, h->off);
	if (memcmp(p, BLOCK_MAGIC, 4))
		return reader_fail(r, h->off, -EBADMSG, "bad block magic");
	if (crc_bad(get_le32(p + 24), crc_of(p, 24)))
		return reader_fail(r, h->off, -EBADMSG, "block header CRC mismatch");
	block_hdr_decode(h, p);
	if (h->flags)
		return reader_fail(r, h->off, -ENOTSUP, "unsupported block flags %#x", h->flags);
	if (h->clen > BLOCK_LEN_MAX || h->rlen > BLOCK_LEN_MAX)
		return reader_fail(r, h->off, -EBADMSG,
				   "block length %u/%u exceeds the %d-byte limit", h->clen, h->rlen,
				   BLOCK_LEN_MAX);
	return 1;
}

/* Inflates exactly h->rlen bytes from exactly h->clen into raw[]. */
static int reader_inflate(struct trace_reader *r, const struct block_hdr *h,
			  const unsigned char *src)
{
	int ret;

	/* One spare byte: a stream longer than rlen shows as not ending. */
	if (reader_grow(&r->raw, &r->raw_cap, (size_t)h->rlen + 1))
		return reader_fail(r, h->off, -ENOMEM, "out of memory");
	if (inflateReset(&r->zs) != Z_OK)
		return reader_fail(r, h->off, -EIO, "inflateReset failed");
	r->zs.next_in = src;
	r->zs.avail_in = h->clen;
	r->zs.next_out = r->raw;
	r->zs.avail_out = h->rlen + 1;
	ret = inflate(&r->zs, Z_FINISH);
	if (ret == Z_MEM_ERROR)
		return reader_fail(r, h->off, -ENOMEM, "out of memory");
	if (ret != Z_STREAM_END || r->zs.total_out != h->rlen || r->zs.avail_in)
		return reader_fail(r, h->off, -EBADMSG,
				   "block does not inflate to its %u bytes (zlib: %s)", h->rlen,
				   r->zs.msg ? r->zs.msg : zError(ret));
	return 0;
}

/*
 * Checks every record of an events block before returning any, so a bad
 * block yields an error, never half its records.
 */
static int reader_check_records(struct trace_reader *r, const struct block_hdr *h)
{
	size_t pos = 0;
	__u32 i, len, size;

	for (i = 0; i < h->count; i++) {
		size_t left = h->rlen - pos;

		if (left < REC_PREFIX)
			return reader_fail(r, h->off, -EBADMSG, "block holds %u records, not %u", i,
					   h->count);
		len = get_le32(r->raw + pos);
		if (len < sizeof(struct tsend_head) || len > TRACE_RECORD_MAX ||
		    len > left - REC_PREFIX)
			return reader_fail(r, h->off, -EBADMSG, "record %u: bad length %u", i, len);
		size = get_le16(r->raw + pos + REC_PREFIX + offsetof(struct tsend_head, size));
		if (size != len)
			return reader_fail(r, h->off, -EBADMSG,
					   "record %u: head.size %u != length %u", i, size, len);
		pos += REC_PREFIX + len;
	}
	if (pos != h->rlen)
		return reader_fail(r, h->off, -EBADMSG, "%zu bytes after the block's %u records",
				   h->rlen - pos, h->count);
	return 0;
}

/* Anything after the end block is not ours: keep the file, warn. */
static int reader_check_tail(struct trace_reader *r)
{
	const unsigned char *p;
	__u64 off = r->off;
	ssize_t got = reader_take(r, 1, &p);

	if (got < 0)
		return got;
	if (got > 0)
		reader_stop(r, off, "data after the end block ignored");
	return 0;
}

static int reader_load_end(struct trace_reader *r, const struct block_hdr *h)
{
	const unsigned char *p = r->raw;
	struct trace_stats *s = &r->stats;
	__u32 i, nr;

	if (h->count || h->rlen < END_FIXED_SIZE)
		return reader_fail(r, h->off, -EBADMSG, "malformed end block");
	nr = get_le32(p + 16);
	if (nr > TRACE_MAX_CPUS || h->rlen < END_FIXED_SIZE + 16 * nr)
		return reader_fail(r, h->off, -EBADMSG, "end block: bad nr_cpus %u", nr);
	s->records = get_le64(p);
	s->end_ns = get_le64(p + 8);
	s->nr_cpus = nr;
	p += END_FIXED_SIZE;
	for (i = 0; i < nr; i++)
		s->lost[i] = get_le64(p + 8 * i);
	p += 8 * nr;
	for (i = 0; i < nr; i++)
		s->untracked[i] = get_le64(p + 8 * i);
	p += 8 * nr;
	s->kstack_lost = s->ustack_lost = 0;
	if (h->rlen >= END_FIXED_SIZE + 16 * nr + 16) {
		s->kstack_lost = get_le64(p);
		s->ustack_lost = get_le64(p + 8);
	}
	/* A block lost whole (or one too many) passes every CRC: catch it. */
	if (s->records != r->records)
		return reader_fail(r, h->off, -EBADMSG,
				   "end block counts %llu records, the file holds %llu",
				   (unsigned long long)s->records, (unsigned long long)r->records);
	r->has_stats = true;
	r->st.state = READER_DONE;
	return reader_check_tail(r);
}

/* Loads the next block: 1 with records in raw[], 0 at the end, -errno. */
static int reader_load_block(struct trace_reader *r)
{
	for (;;) {
		const unsigned char *data;
		struct block_hdr h = {0};
		ssize_t got;
		int err;

		err = reader_block_hdr(r, &h);
		if (err <= 0)
			return err;
		got = reader_take(r, h.clen, &data);
		if (got < 0)
			return got;
		if ((size_t)got < h.clen)
			return reader_cut_off(r, h.off);
		if (crc_bad(h.crc, crc_of(data, h.clen)))
			return reader_fail(r, h.off, -EBADMSG, "block CRC mismatch");
		if (h.type != BLOCK_EVENTS && h.type != BLOCK_END) {
			if (h.type & BLOCK_OPTIONAL)
				continue;
			return reader_fail(r, h.off, -ENOTSUP, "unknown block type %#x", h.type);
		}
		err = reader_inflate(r, &h, data);
		if (err)
			return err;
		if (h.type == BLOCK_END)
			return reader_load_end(r, &h);
		err = reader_check_records(r, &h);
		if (err)
			return err;
		r->raw_pos = 0;
		r->left = h.count;
		r->records += h.count;
		if (h.count)
			return 1;
	}
}

int trace_reader__next(struct trace_reader *r, const void **rec, __u32 *len)
{
	__u32 n;

	if (!r || !rec || !len)
		return -EINVAL;
	while (!r->left) {
		int err;

		if (r->st.state != READER_READING)
			return r->st.state == READER_FAILED ? r->st.err : 0;
		err = reader_load_block(r);
		if (err <= 0)
			return err;
	}
	/* Checked by reader_check_records(). The copy aligns the record. */
	n = get_le32(r->raw + r->raw_pos);
	memcpy(r->rec, r->raw + r->raw_pos + REC_PREFIX, n);
	r->raw_pos += REC_PREFIX + n;
	r->left--;
	*rec = r->rec;
	*len = n;
	return 1;
}

/* Control characters in a name would break the one-line messages. */
static char *name_dup(const char *name)
{
	char *s = strdup(name), *c;

	for (c = s; c && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return s;
}

static struct trace_reader *reader_new(const char *name)
{
	struct trace_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	r->name = name_dup(name);
	r->rec = malloc(TRACE_RECORD_MAX);
	if (!r->name || !r->rec)
		goto free_reader;
	/* Raw deflate: the block CRC already covers the bytes. */
	if (inflateInit2(&r->zs, -15) != Z_OK)
		goto free_reader;
	r->zs_live = true;
	return r;

free_reader:
	trace_reader__close(r);
	errno = ENOMEM;
	return NULL;
}

static void msg_copy(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

static struct trace_reader *reader_start(struct trace_reader *r, char *err, size_t errlen)
{
	int ret = reader_read_header(r);

	if (!ret)
		return r;
	msg_copy(err, errlen, r->st.error);
	trace_reader__close(r);
	errno = -ret;
	return NULL;
}

/* open() failed: the message has no offset, there is no file to have one. */
static struct trace_reader *reader_open_failed(struct trace_reader *r, char *err, size_t errlen)
{
	int saved = errno;
	char msg[MSG_MAX];

	snprintf(msg, sizeof(msg), "%s: cannot open: %s", r->name, strerror(saved));
	msg_copy(err, errlen, msg);
	trace_reader__close(r);
	errno = saved;
	return NULL;
}

struct trace_reader *trace_reader__open(const char *path, char *err, size_t errlen)
{
	struct trace_reader *r;

	if (!path) {
		msg_copy(err, errlen, "trace_reader__open: no path");
		errno = EINVAL;
		return NULL;
	}
	r = reader_new(path);
	if (!r) {
		msg_copy(err, errlen, "out of memory");
		return NULL;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return reader_open_failed(r, err, errlen);
	return reader_start(r, err, errlen);
}

struct trace_reader *trace_reader__open_mem(const void *buf, size_t len, const char *name,
					    char *err, size_t errlen)
{
	static const unsigned char empty[1];
	struct trace_reader *r;

	if (!buf && len) {
		msg_copy(err, errlen, "trace_reader__open_mem: no buffer");
		errno = EINVAL;
		return NULL;
	}
	r = reader_new(name ? name : "<memory>");
	if (!r) {
		msg_copy(err, errlen, "out of memory");
		return NULL;
	}
	/* Never do arithmetic on a NULL pointer, even + 0. */
	r->mem = buf ? buf : empty;
	r->mem_len = len;
	return reader_start(r, err, errlen);
}

const struct trace_meta *trace_reader__meta(const struct trace_reader *r)
{
	return r ? &r->meta : NULL;
}

const struct trace_stats *trace_reader__stats(const struct trace_reader *r)
{
	return r && r->has_stats ? &r->stats : NULL;
}

const char *trace_reader__error(const struct trace_reader *r)
{
	return r && r->st.state == READER_FAILED ? r->st.error : NULL;
}

const char *trace_reader__warning(const struct trace_reader *r)
{
	return r && r->st.warning[0] ? r->st.warning : NULL;
}

void trace_reader__close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->zs_live)
		inflateEnd(&r->zs);
	if (r->fd >= 0)
		close(r->fd);
	free(r->rec);
	free(r->raw);
	free(r->io);
	free(r->name);
	free(r);
}
