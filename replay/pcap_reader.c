// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Capture files in (pcap_reader.h). Layouts: classic pcap as libpcap's
 * pcap-savefile(5), pcapng as draft-ietf-opsawg-pcapng. Every length is
 * checked before it is used; nothing is allocated from a length in the
 * file beyond PCAP_READER_FRAME_MAX plus room for a block's options, and
 * a block we do not read is skipped in fixed-size chunks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap_reader.h"
#include "../userspace/msg.h"
#include "../userspace/pcapng_format.h"

#define PCAP_HDR_LEN	24
#define PCAP_REC_LEN	16
#define TSRESOL_DEFAULT 6 /* microseconds, when an IDB has no if_tsresol */
#define MAX_IFACES	1024
/* A block we read whole: the longest frame and room for its options. */
#define BLOCK_MAX  (PCAP_READER_FRAME_MAX + 64 * 1024)
#define SKIP_CHUNK (64 * 1024)
#define NSEC	   1000000000ULL

struct iface {
	__u32 linktype;
	__u32 snaplen;	/* 0: no limit */
	__u8 tsresol;	/* if_tsresol as written: 10^-v, or 2^-v with bit 7 */
	__s64 tsoffset; /* if_tsoffset, seconds */
};

struct pcap_reader {
	char *name;
	FILE *file; /* NULL when reading memory */
	const __u8 *mem;
	size_t mem_len;
	__u64 off; /* offset of the next unread byte */
	__u8 *buf; /* file reads land here */
	size_t buf_cap;
	bool pcapng;
	bool swap; /* the file's byte order is not the host's */
	/* classic pcap */
	bool nsec;
	__u32 snaplen;
	/* pcapng: the current section's interfaces */
	struct iface *ifaces;
	__u32 nr_ifaces;
	__u32 ifaces_cap;
	__u64 last_ts; /* a simple packet block has none: it takes this */
	__u64 frames;
	struct reader_status st;
};

/* ---- messages ---- */

/* Records an error at the record starting at off; it sticks. */
__attribute__((format(printf, 4, 5))) static int reader_fail(struct pcap_reader *r, __u64 off,
							     int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reader_status_fail(&r->st, r->name, off, err, fmt, ap);
	va_end(ap);
	return err;
}

/* The file ends inside the record at off: what came before is good. */
__attribute__((format(printf, 3, 4))) static int reader_stop(struct pcap_reader *r, __u64 off,
							     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reader_status_stop(&r->st, r->name, off, fmt, ap);
	va_end(ap);
	return 0;
}

static int reader_cut_off(struct pcap_reader *r, __u64 off)
{
	return reader_stop(r, off, "file ends mid-record (capture cut off?); read %llu frames",
			   (unsigned long long)r->frames);
}

/* ---- input ---- */

/*
 * Makes the next n bytes available at *p (valid until the next call) and
 * moves past them. Returns how many there were, fewer than n only at the
 * end of the file, or -errno. Callers keep n within BLOCK_MAX.
 */
static ssize_t reader_take(struct pcap_reader *r, size_t n, const __u8 **p)
{
	size_t got;

	if (!r->file) {
		got = r->mem_len - r->off < n ? r->mem_len - r->off : n;
		*p = r->mem + r->off;
		r->off += got;
		return (ssize_t)got;
	}
	if (n > r->buf_cap) {
		__u8 *b = realloc(r->buf, n);

		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->buf_cap = n;
	}
	got = fread(r->buf, 1, n, r->file);
	if (got < n && ferror(r->file))
		return -EIO;
	*p = r->buf;
	r->off += got;
	return (ssize_t)got;
}

/* Moves past n bytes in chunks: 1, or 0 if the file ends first, or -EIO. */
static int reader_skip(struct pcap_reader *r, __u64 n)
{
	const __u8 *p;

	while (n) {
		size_t chunk = n < SKIP_CHUNK ? (size_t)n : SKIP_CHUNK;
		ssize_t got = reader_take(r, chunk, &p);

		if (got < 0)
			return (int)got;
		if ((size_t)got < chunk)
			return 0;
		n -= chunk;
	}
	return 1;
}

static int reader_io_fail(struct pcap_reader *r, __u64 off, ssize_t err)
{
	return reader_fail(r, off, (int)err, "read failed: %s", strerror((int)-err));
}

static __u16 rd16(const struct pcap_reader *r, const __u8 *p)
{
	__u16 v;

	memcpy(&v, p, sizeof(v));
	return r->swap ? __builtin_bswap16(v) : v;
}

static __u32 rd32(const struct pcap_reader *r, const __u8 *p)
{
	__u32 v;

	memcpy(&v, p, sizeof(v));
	return r->swap ? __builtin_bswap32(v) : v;
}

static __u64 rd64(const struct pcap_reader *r, const __u8 *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v));
	return r->swap ? __builtin_bswap64(v) : v;
}

/* The checks every record gets, in either format. */
static int frame_check(struct pcap_reader *r, __u64 off, __u32 caplen, __u32 origlen, __u32 snaplen)
{
	if (!caplen)
		return reader_fail(r, off, -EBADMSG, "record of 0 bytes");
	if (snaplen && caplen > snaplen)
		return reader_fail(r, off, -EBADMSG, "record length %u exceeds snaplen %u", caplen,
				   snaplen);
	if (caplen > PCAP_READER_FRAME_MAX)
		return reader_fail(r, off, -EBADMSG, "record length %u exceeds %u bytes", caplen,
				   PCAP_READER_FRAME_MAX);
	if (caplen > origlen)
		return reader_fail(r, off, -EBADMSG,
				   "captured length %u exceeds the original length %u", caplen,
				   origlen);
	return 0;
}

/* ---- classic pcap ---- */

/* The rest of the header, after a magic (in file order) that is pcap's. */
static int pcap_open_header(struct pcap_reader *r, __u32 magic)
{
	const __u8 *p;
	ssize_t got = reader_take(r, PCAP_HDR_LEN - 4, &p);
	__u32 linktype;

	if (got < 0)
		return reader_io_fail(r, 0, got);
	if (got < PCAP_HDR_LEN - 4)
		return reader_fail(r, 0, -EBADMSG, "file ends inside the pcap header (%zd bytes)",
				   got + 4);
	r->swap = magic == __builtin_bswap32(PCAP_MAGIC_US) ||
		  magic == __builtin_bswap32(PCAP_MAGIC_NS);
	r->nsec = (r->swap ? __builtin_bswap32(magic) : magic) == PCAP_MAGIC_NS;
	/* from the version on: p is at offset 4 of the file */
	if (rd16(r, p) != 2)
		return reader_fail(r, 0, -ENOTSUP, "pcap version %u.%u (only 2.x is known)",
				   rd16(r, p), rd16(r, p + 2));
	/* then thiszone, 0 in practice (timestamps are UTC), and sigfigs */
	r->snaplen = rd32(r, p + 12);
	/* the upper bits hold FCS information: frames with an FCS are refused too */
	linktype = rd32(r, p + 16);
	if (linktype != LINKTYPE_ETHERNET)
		return reader_fail(r, 0, -ENOTSUP,
				   "linktype %u: only Ethernet (linktype 1) can be replayed",
				   linktype);
	return 0;
}

static int pcap_next(struct pcap_reader *r, struct replay_frame *f)
{
	__u64 start = r->off;
	__u32 sec, frac, caplen, origlen;
	const __u8 *p;
	ssize_t got = reader_take(r, PCAP_REC_LEN, &p);
	int err;

	if (got < 0)
		return reader_io_fail(r, start, got);
	if (!got) {
		r->st.state = READER_DONE;
		return 0;
	}
	if (got < PCAP_REC_LEN)
		return reader_cut_off(r, start);
	sec = rd32(r, p);
	frac = rd32(r, p + 4);
	caplen = rd32(r, p + 8);
	origlen = rd32(r, p + 12);
	err = frame_check(r, start, caplen, origlen, r->snaplen);
	if (err)
		return err;
	got = reader_take(r, caplen, &p);
	if (got < 0)
		return reader_io_fail(r, start, got);
	if (got < caplen)
		return reader_cut_off(r, start);
	/* no overflow: both terms stay below 2^32 * 10^9 */
	f->ts_ns = sec * NSEC + (__u64)frac * (r->nsec ? 1 : 1000);
	f->data = p;
	f->len = caplen;
	f->wire_len = origlen;
	f->gso_size = f->csum_start = f->csum_offset = 0;
	return 1;
}

/* ---- pcapng ---- */

/* Units of an interface's resolution to ns since the epoch. */
static bool ng_ts_ns(const struct iface *ifc, __u64 ts, __u64 *ns)
{
	unsigned __int128 v = ts;
	__int128 total;

	if (ifc->tsresol & 0x80) {
		v = v * NSEC >> (ifc->tsresol & 0x7f);
	} else if (ifc->tsresol <= 9) {
		for (int e = ifc->tsresol; e < 9; e++)
			v *= 10;
	} else {
		for (int e = 9; e < ifc->tsresol && v; e++)
			v /= 10;
	}
	/* v < 2^94 and |if_tsoffset| * 10^9 < 2^93: no overflow */
	total = (__int128)v + (__int128)ifc->tsoffset * (__int128)NSEC;
	if (total < 0 || total > (__int128)UINT64_MAX)
		return false;
	*ns = (__u64)total;
	return true;
}

static int ng_shb(struct pcap_reader *r, __u64 start, const __u8 *body, __u32 n)
{
	/* body: version major, minor, section length (the BOM was read) */
	if (n < 12)
		return reader_fail(r, start, -EBADMSG, "section header block of %u bytes", n + 16);
	if (rd16(r, body) != 1)
		return reader_fail(r, start, -ENOTSUP, "pcapng version %u.%u (only 1.x is known)",
				   rd16(r, body), rd16(r, body + 2));
	/* a new section numbers its interfaces from 0 again */
	r->nr_ifaces = 0;
	return 0;
}

static int ng_idb(struct pcap_reader *r, __u64 start, const __u8 *body, __u32 n)
{
	struct iface ifc = {.tsresol = TSRESOL_DEFAULT};

	if (n < 8)
		return reader_fail(r, start, -EBADMSG, "interface description block of %u bytes",
				   n + 12);
	if (r->nr_ifaces == MAX_IFACES)
		return reader_fail(r, start, -EBADMSG, "more than %u interfaces", MAX_IFACES);
	ifc.linktype = rd16(r, body);
	ifc.snaplen = rd32(r, body + 4);
	body += 8;
	n -= 8;
	while (n >= 4) {
		__u16 code = rd16(r, body), len = rd16(r, body + 2);
		__u32 padded = (len + 3U) & ~3U;

		if (code == OPT_ENDOFOPT)
			break;
		if (padded > n - 4)
			return reader_fail(r, start, -EBADMSG, "option %u overruns its block",
					   code);
		if (code == IF_TSRESOL && len == 1)
			ifc.tsresol = body[4];
		if (code == IF_TSOFFSET && len == 8)
			ifc.tsoffset = (__s64)rd64(r, body + 4);
		body += 4 + padded;
		n -= 4 + padded;
	}
	if (r->nr_ifaces == r->ifaces_cap) {
		__u32 cap = r->ifaces_cap ? 2 * r->ifaces_cap : 4;
		struct iface *p = realloc(r->ifaces, cap * sizeof(*p));

		if (!p)
			return reader_fail(r, start, -ENOMEM, "out of memory");
		r->ifaces = p;
		r->ifaces_cap = cap;
	}
	r->ifaces[r->nr_ifaces++] = ifc;
	return 0;
}

/* What EPB, OPB and SPB have in common, once their fields are read. */
struct ng_packet {
	__u32 iface;
	bool has_ts;
	__u64 ts;
	__u32 caplen;
	__u32 origlen;
	const __u8 *data;
	__u32 room; /* bytes of the block from data on */
};

static int ng_packet(struct pcap_reader *r, __u64 start, const struct ng_packet *pk,
		     struct replay_frame *f)
{
	const struct iface *ifc;
	int err;

	if (pk->iface >= r->nr_ifaces)
		return reader_fail(r, start, -EBADMSG, "packet on interface %u of %u", pk->iface,
				   r->nr_ifaces);
	ifc = &r->ifaces[pk->iface];
	if (ifc->linktype != LINKTYPE_ETHERNET)
		return reader_fail(
			r, start, -ENOTSUP,
			"interface %u has linktype %u: only Ethernet (linktype 1) can be replayed",
			pk->iface, ifc->linktype);
	if (pk->caplen > pk->room)
		return reader_fail(r, start, -EBADMSG, "captured length %u overruns the block",
				   pk->caplen);
	err = frame_check(r, start, pk->caplen, pk->origlen, ifc->snaplen);
	if (err)
		return err;
	if (pk->has_ts && !ng_ts_ns(ifc, pk->ts, &r->last_ts))
		return reader_fail(r, start, -EBADMSG, "timestamp out of range");
	f->ts_ns = r->last_ts;
	f->data = pk->data;
	f->len = pk->caplen;
	f->wire_len = pk->origlen;
	f->gso_size = f->csum_start = f->csum_offset = 0;
	return 1;
}

/* An enhanced packet block, or the obsolete packet block, whose interface
 * field is 16 bits followed by a 16-bit drops count: the rest is the same. */
static int ng_timed_packet(struct pcap_reader *r, __u64 start, const __u8 *body, __u32 n,
			   bool obsolete, struct replay_frame *f)
{
	if (n < 20)
		return reader_fail(r, start, -EBADMSG, "%spacket block of %u bytes",
				   obsolete ? "" : "enhanced ", n + 12);
	return ng_packet(r, start,
			 &(struct ng_packet){
				 .iface = obsolete ? rd16(r, body) : rd32(r, body),
				 .has_ts = true,
				 .ts = (__u64)rd32(r, body + 4) << 32 | rd32(r, body + 8),
				 .caplen = rd32(r, body + 12),
				 .origlen = rd32(r, body + 16),
				 .data = body + 20,
				 .room = n - 20,
			 },
			 f);
}

/* Interface 0, no timestamp, and the original length cut to the
 * interface's snaplen: the block does not say how much it holds. */
static int ng_spb(struct pcap_reader *r, __u64 start, const __u8 *body, __u32 n,
		  struct replay_frame *f)
{
	struct ng_packet pk = {.data = body + 4};

	if (n < 4)
		return reader_fail(r, start, -EBADMSG, "simple packet block of %u bytes", n + 12);
	pk.origlen = rd32(r, body);
	pk.caplen = pk.origlen;
	if (r->nr_ifaces && r->ifaces[0].snaplen && pk.caplen > r->ifaces[0].snaplen)
		pk.caplen = r->ifaces[0].snaplen;
	pk.room = n - 4;
	return ng_packet(r, start, &pk, f);
}

static bool ng_reads(__u32 type)
{
	return type == PCAPNG_SHB || type == PCAPNG_IDB || type == PCAPNG_EPB ||
	       type == PCAPNG_SPB || type == PCAPNG_OPB;
}

/*
 * One block whose type (still in file order) was read at start. Returns
 * 1 with a frame, 0 for a block that is not one (or at a cut-off end:
 * then the state says so), or -errno.
 */
static int ng_block(struct pcap_reader *r, __u64 start, __u32 type_raw, struct replay_frame *f)
{
	__u32 type, len, hdr = 8, bom;
	const __u8 *p, *body = NULL;
	ssize_t got = reader_take(r, 4, &p);
	__u8 len_raw[4];

	if (got < 0)
		return reader_io_fail(r, start, got);
	if (got < 4)
		return reader_cut_off(r, start);
	memcpy(len_raw, p, sizeof(len_raw));
	if (type_raw == PCAPNG_SHB) {
		/* a section sets the byte order of everything in it */
		got = reader_take(r, 4, &p);
		if (got < 0)
			return reader_io_fail(r, start, got);
		if (got < 4)
			return reader_cut_off(r, start);
		memcpy(&bom, p, sizeof(bom));
		if (bom != PCAPNG_BOM && bom != __builtin_bswap32(PCAPNG_BOM))
			return reader_fail(r, start, -EBADMSG, "byte-order magic 0x%08x", bom);
		r->swap = bom != PCAPNG_BOM;
		hdr = 12;
	}
	type = r->swap ? __builtin_bswap32(type_raw) : type_raw;
	len = rd32(r, len_raw);
	if (len < hdr + 4 || len % 4)
		return reader_fail(r, start, -EBADMSG, "block length %u", len);
	if (!ng_reads(type)) {
		int ret = reader_skip(r, len - hdr - 4);

		if (ret < 0)
			return reader_io_fail(r, start, ret);
		got = ret ? reader_take(r, 4, &p) : 0;
		if (got < 0)
			return reader_io_fail(r, start, got);
		if (got < 4)
			return reader_cut_off(r, start);
	} else {
		if (len > BLOCK_MAX)
			return reader_fail(r, start, -EBADMSG, "block length %u exceeds %u bytes",
					   len, BLOCK_MAX);
		got = reader_take(r, len - hdr, &body);
		if (got < 0)
			return reader_io_fail(r, start, got);
		if (got < len - hdr)
			return reader_cut_off(r, start);
		p = body + len - hdr - 4; /* the trailing length */
	}
	if (rd32(r, p) != len)
		return reader_fail(r, start, -EBADMSG,
				   "block length %u at the end, %u at the start", rd32(r, p), len);
	switch (body ? type : 0) {
	case PCAPNG_SHB:
		return ng_shb(r, start, body, len - 16);
	case PCAPNG_IDB:
		return ng_idb(r, start, body, len - 12);
	case PCAPNG_EPB:
		return ng_timed_packet(r, start, body, len - 12, false, f);
	case PCAPNG_OPB:
		return ng_timed_packet(r, start, body, len - 12, true, f);
	case PCAPNG_SPB:
		return ng_spb(r, start, body, len - 12, f);
	}
	return 0; /* a block skipped */
}

static int ng_next(struct pcap_reader *r, struct replay_frame *f)
{
	for (;;) {
		__u64 start = r->off;
		const __u8 *p;
		ssize_t got = reader_take(r, 4, &p);
		__u32 type_raw;
		int ret;

		if (got < 0)
			return reader_io_fail(r, start, got);
		if (!got) {
			r->st.state = READER_DONE;
			return 0;
		}
		if (got < 4)
			return reader_cut_off(r, start);
		memcpy(&type_raw, p, sizeof(type_raw));
		ret = ng_block(r, start, type_raw, f);
		if (ret || r->st.state != READER_READING)
			return ret;
	}
}

/* ---- API ---- */

int pcap_reader__next(struct pcap_reader *r, struct replay_frame *f)
{
	int ret;

	if (!r || !f)
		return -EINVAL;
	if (r->st.state != READER_READING)
		return r->st.state == READER_FAILED ? r->st.err : 0;
	ret = r->pcapng ? ng_next(r, f) : pcap_next(r, f);
	if (ret == 1)
		r->frames++;
	return ret;
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

static void msg_copy(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

static struct pcap_reader *reader_new(const char *name, char *err, size_t errlen)
{
	struct pcap_reader *r = calloc(1, sizeof(*r));

	if (r)
		r->name = name_dup(name);
	if (!r || !r->name) {
		free(r);
		msg_copy(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

/* Reads the magic and the file's header (pcapng: its first block). */
static int reader_start(struct pcap_reader *r)
{
	struct replay_frame unused;
	const __u8 *p;
	ssize_t got = reader_take(r, 4, &p);
	__u32 magic;
	int ret;

	if (got < 0)
		return reader_io_fail(r, 0, got);
	if (got < 4)
		return reader_fail(r, 0, -EBADMSG, "not a pcap or pcapng file (%zd bytes)", got);
	memcpy(&magic, p, sizeof(magic));
	if (magic != PCAPNG_SHB) {
		if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS &&
		    magic != __builtin_bswap32(PCAP_MAGIC_US) &&
		    magic != __builtin_bswap32(PCAP_MAGIC_NS))
			return reader_fail(r, 0, -EBADMSG,
					   "not a pcap or pcapng file (magic 0x%08x)", magic);
		return pcap_open_header(r, magic);
	}
	r->pcapng = true;
	ret = ng_block(r, 0, magic, &unused);
	if (ret < 0)
		return ret;
	if (r->st.state == READER_DONE)
		return reader_fail(r, 0, -EBADMSG, "file ends inside the section header block");
	return 0;
}

static struct pcap_reader *reader_open(struct pcap_reader *r, char *err, size_t errlen)
{
	int ret = reader_start(r);

	if (!ret)
		return r;
	msg_copy(err, errlen, r->st.error);
	pcap_reader__close(r);
	errno = -ret;
	return NULL;
}

struct pcap_reader *pcap_reader__open(const char *path, char *err, size_t errlen)
{
	struct pcap_reader *r;

	if (!path) {
		msg_copy(err, errlen, "pcap_reader__open: no path");
		errno = EINVAL;
		return NULL;
	}
	r = reader_new(path, err, errlen);
	if (!r)
		return NULL;
	r->file = fopen(path, "rbe");
	if (!r->file) {
		int saved = errno;
		char msg[MSG_MAX];

		snprintf(msg, sizeof(msg), "%s: cannot open: %s", r->name, strerror(saved));
		msg_copy(err, errlen, msg);
		pcap_reader__close(r);
		errno = saved;
		return NULL;
	}
	return reader_open(r, err, errlen);
}

struct pcap_reader *pcap_reader__open_mem(const void *buf, size_t len, const char *name, char *err,
					  size_t errlen)
{
	static const __u8 empty[1];
	struct pcap_reader *r;

	if (!buf && len) {
		msg_copy(err, errlen, "pcap_reader__open_mem: no buffer");
		errno = EINVAL;
		return NULL;
	}
	r = reader_new(name ? name : "<memory>", err, errlen);
	if (!r)
		return NULL;
	/* Never do arithmetic on a NULL pointer, even + 0. */
	r->mem = buf ? buf : empty;
	r->mem_len = len;
	return reader_open(r, err, errlen);
}

const char *pcap_reader__error(const struct pcap_reader *r)
{
	return r && r->st.state == READER_FAILED ? r->st.error : NULL;
}

const char *pcap_reader__warning(const struct pcap_reader *r)
{
	return r && r->st.warning[0] ? r->st.warning : NULL;
}

void pcap_reader__close(struct pcap_reader *r)
{
	if (!r)
		return;
	if (r->file)
		fclose(r->file);
	free(r->ifaces);
	free(r->buf);
	free(r->name);
	free(r);
}
