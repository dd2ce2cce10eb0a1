/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Records as lines (tsend-trace dump): one line per record, text or JSON,
 * and the file header (dump --header).
 *
 * Records come from a file, so nothing in them is trusted: a record is read
 * only after tsend_record_check() said every byte it names is present, enum
 * values are looked up through stages.h (never used as an index here) and
 * strings are escaped. JSON enums are their name when known, else the raw
 * number; stage_id, mech_id and kind_id always carry the number.
 *
 * The static inlines are shared with report.c, which must link without
 * dump.o (the unit tests link only the modules they test).
 */
#ifndef TSEND_DUMP_H
#define TSEND_DUMP_H

#include <arpa/inet.h>
#include <errno.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../bpf/tsend.h"
#include "trace_file.h"

/* Bytes of a kind's fixed struct, or 0 for a kind this build does not know. */
static inline __u32 tsend_kind_size(unsigned int kind)
{
	switch (kind) {
	case TSEND_KIND_SEND:
		return sizeof(struct tsend_send_event);
	case TSEND_KIND_TCP:
		return sizeof(struct tsend_tcp_event);
	case TSEND_KIND_SKB:
		return sizeof(struct tsend_skb_event);
	case TSEND_KIND_DATA:
		return sizeof(struct tsend_data_event);
	case TSEND_KIND_STACK:
		return sizeof(struct tsend_stack_event);
	case TSEND_KIND_STACK_IPS:
		return sizeof(struct tsend_stack_ips);
	case TSEND_KIND_KSYM:
		return sizeof(struct tsend_ksym);
	case TSEND_KIND_MAPS:
		return sizeof(struct tsend_maps);
	default:
		return 0;
	}
}

/*
 * The shortest body of a kind any ABI wrote: bodies grow at their end, and
 * a shorter record is read with the missing fields zero (tsend_record_copy).
 */
static inline __u32 tsend_kind_min_size(unsigned int kind)
{
	return kind == TSEND_KIND_TCP ? TSEND_TCP_EVENT_SIZE_V1 : tsend_kind_size(kind);
}

/*
 * Can rec be read as its head says? The head fits, head.size is the record's
 * length, the kind's struct fits (as its oldest ABI wrote it) and the
 * trailing bytes it announces (snap_len, payload_len, data_len) are
 * present. A kind this build does not know passes: only its head will be
 * read. Records need not be aligned, so every field is copied out
 * (tsend_record_copy). Returns 0, or -EINVAL with *why set to a static
 * string naming the problem.
 */
static inline int tsend_record_check(const void *rec, __u32 len, const char **why)
{
	const unsigned char *p = rec;
	const char *over = NULL;
	struct tsend_head h;
	__u32 body;
	__u32 extra = 0;
	__u16 u16 = 0;

	if (len < sizeof(h)) {
		*why = "shorter than the record head";
		return -EINVAL;
	}
	memcpy(&h, p, sizeof(h));
	if (h.size != len) {
		*why = "head.size is not the record length";
		return -EINVAL;
	}
	body = tsend_kind_min_size(h.kind);
	if (!body)
		return 0;
	if (len < body) {
		*why = "shorter than its kind's struct";
		return -EINVAL;
	}
	switch (h.kind) {
	case TSEND_KIND_SKB:
		memcpy(&u16, p + offsetof(struct tsend_skb_event, snap_len), sizeof(u16));
		extra = u16;
		over = "snap_len runs past the record";
		break;
	case TSEND_KIND_SEND:
		memcpy(&u16, p + offsetof(struct tsend_send_event, payload_len), sizeof(u16));
		extra = u16;
		over = "payload_len runs past the record";
		break;
	case TSEND_KIND_DATA:
		memcpy(&u16, p + offsetof(struct tsend_data_event, data_len), sizeof(u16));
		extra = u16;
		over = "data_len runs past the record";
		break;
	case TSEND_KIND_STACK_IPS:
		memcpy(&u16, p + offsetof(struct tsend_stack_ips, nr), sizeof(u16));
		extra = 8U * u16;
		over = "nr runs past the record";
		break;
	case TSEND_KIND_KSYM:
		memcpy(&u16, p + offsetof(struct tsend_ksym, name_len), sizeof(u16));
		extra = u16;
		memcpy(&u16, p + offsetof(struct tsend_ksym, mod_len), sizeof(u16));
		extra += u16;
		over = "name_len and mod_len run past the record";
		break;
	case TSEND_KIND_MAPS:
		memcpy(&extra, p + offsetof(struct tsend_maps, text_len), sizeof(extra));
		over = "text_len runs past the record";
		break;
	}
	if (extra > len - body) {
		*why = over;
		return -EINVAL;
	}
	return 0;
}

/* A record copied out of its buffer, which need not be aligned. */
union tsend_record {
	struct tsend_head h;
	struct tsend_send_event send;
	struct tsend_tcp_event tcp;
	struct tsend_skb_event skb;
	struct tsend_data_event data;
	struct tsend_stack_event stack;
	struct tsend_stack_ips ips;
	struct tsend_ksym ksym;
	struct tsend_maps maps;
};

/*
 * Copies a checked record's head and body to dst (a union tsend_record,
 * size bytes), zero-filling the fields an older ABI did not write.
 * Returns the body's size in this ABI: where trailing bytes start.
 */
static inline __u32 tsend_record_copy(void *dst, size_t size, const void *rec, __u32 len)
{
	struct tsend_head h;
	__u32 body, n;

	memset(dst, 0, size);
	memcpy(&h, rec, sizeof(h));
	body = tsend_kind_size(h.kind);
	n = body ? body : sizeof(h);
	if (n > len)
		n = len;
	if (n > size)
		n = size;
	memcpy(dst, rec, n);
	return body;
}

/*
 * Untrusted bytes (at most max, NUL-terminated or not) for a terminal:
 * printable ASCII stays, anything else (escape sequences included) becomes
 * '?'. With words set, spaces do too, so a line still splits on blanks into
 * its fields.
 */
static inline void tsend_text_str(FILE *out, const char *s, size_t max, bool words)
{
	size_t n = strnlen(s, max);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		bool ok = c > 0x20 && c < 0x7f;

		fputc(ok || (c == ' ' && !words) ? c : '?', out);
	}
}

/* A duration in µs with its nanosecond digits, signed: "-12.345". */
static inline void tsend_fmt_us(char *buf, size_t size, __s64 ns)
{
	__u64 a = ns < 0 ? -(__u64)ns : (__u64)ns;

	snprintf(buf, size, "%s%llu.%03llu", ns < 0 ? "-" : "", (unsigned long long)(a / 1000),
		 (unsigned long long)(a % 1000));
}

/* An IPv4 or IPv6 address of a flow as text; "?" for any other family. */
static inline void tsend_fmt_addr(char *buf, size_t size, unsigned int family, const __u8 *addr)
{
	int af = family == AF_INET6 ? AF_INET6 : AF_INET;

	if (family != AF_INET && family != AF_INET6)
		snprintf(buf, size, "?");
	else if (!inet_ntop(af, addr, buf, size))
		snprintf(buf, size, "?");
}

/*
 * "10.0.0.1:5000>10.0.0.2:80", "[::1]:5000>[::1]:80" (source>destination
 * as recorded), "family=N" for another family, "" for none (0).
 */
static inline void tsend_fmt_flow(char *buf, size_t size, const struct tsend_flow *f)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	if (f->family != AF_INET && f->family != AF_INET6) {
		if (f->family)
			snprintf(buf, size, "family=%u", f->family);
		else
			buf[0] = '\0';
		return;
	}
	tsend_fmt_addr(s, sizeof(s), f->family, f->saddr);
	tsend_fmt_addr(d, sizeof(d), f->family, f->daddr);
	snprintf(buf, size, f->family == AF_INET6 ? "[%s]:%u>[%s]:%u" : "%s:%u>%s:%u", s, f->sport,
		 d, f->dport);
}

/* Length of a UTF-8 sequence at s (at most n bytes), 0 if it is not valid. */
static inline size_t tsend_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	__u32 cp;

	if (s[0] < 0xc2 || s[0] > 0xf4) /* ASCII, continuation, overlong */
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong, UTF-16 surrogate, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * s (at most max bytes, NUL-terminated or not) as a JSON string. Kernel
 * strings such as comm are bytes, not text: valid UTF-8 passes through,
 * control characters become \uXXXX and any other byte U+FFFD, so the output
 * is always valid JSON.
 */
static inline void tsend_json_str(FILE *out, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max), i = 0, k;

	fputc('"', out);
	while (i < n) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
		} else if (c < 0x80) {
			fputc(c, out);
		} else if ((k = tsend_utf8_len(p + i, n - i))) {
			fwrite(p + i, 1, k, out);
			i += k;
			continue;
		} else {
			fputs("\\ufffd", out);
		}
		i++;
	}
	fputc('"', out);
}

/*
 * One line for one record (rec need not be aligned). meta gives the start
 * time and the realtime offset; it may be NULL (times are then absolute).
 * Returns 0; -EINVAL for a malformed record, after printing a line that says
 * why; -EIO if out failed.
 */
int dump_record(FILE *out, const void *rec, __u32 len, const struct trace_meta *meta, bool json);

/* The file header and probe table; stats NULL means "no end block". */
int dump_header(FILE *out, const struct trace_meta *meta, const struct trace_stats *stats,
		bool json);

#endif /* TSEND_DUMP_H */
