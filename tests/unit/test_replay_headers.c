// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The replay engine's header helpers, each on frames built here byte by
 * byte and checked against a plain RFC 1071 sum of our own:
 *   - replay/checksum.c: RFC 1071's example, odd lengths, running sums, a
 *     known IPv4 header, the TCP pseudo-header;
 *   - replay/frame.c frame_parse: IPv4 (with IP options), IPv6, TCP
 *     options (timestamps, SACK, malformed ones), and every truncation of
 *     each frame in a buffer of exactly that length, so ASan sees a read
 *     past it;
 *   - replay/tcp_offload.c tcp_gso_segment on a super-frame (IPv4 and
 *     IPv6): segment count, sequence numbers, PSH/FIN on the last only,
 *     CWR on the first only, IPv4 ID +1 per segment, lengths, header
 *     checksums, partial TCP checksums; then each segment built with
 *     rframe_build and completed by skb_checksum_help;
 *   - replay/skbuff.c: the queue helpers.
 */
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>

#include "../../replay/checksum.h"
#include "../../replay/dev.h"
#include "../../replay/frame.h"
#include "../../replay/skbuff.h"
#include "../../replay/socket.h"
#include "../../replay/tcp_offload.h"
#include "check.h"
#include "net_ref.h"

#define TH_FIN 0x01
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_CWR 0x80

static void wr16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static void wr32(__u8 *p, __u32 v)
{
	p[0] = (__u8)(v >> 24);
	p[1] = (__u8)(v >> 16);
	p[2] = (__u8)(v >> 8);
	p[3] = (__u8)v;
}

/* The pseudo-header's sum, folded: what a CHECKSUM_PARTIAL header holds. */
static __u16 ref_pseudo(const __u8 *s, const __u8 *d, unsigned int alen, __u32 tcp_len)
{
	__u64 sum = 6 + (__u64)tcp_len;

	sum += ref_sum(s, alen, 0);
	sum += ref_sum(d, alen, 0);
	return ref_sum(NULL, 0, sum);
}

static __u32 lcg_state = 12345;

static __u32 lcg(void)
{
	lcg_state = lcg_state * 1103515245u + 12345u;
	return lcg_state >> 8;
}

/* ---- checksum.c ---- */

static void test_checksum(void)
{
	/* RFC 1071 section 3's example: the sum is ddf2 */
	static const __u8 rfc[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	/* an IPv4 header whose checksum is known to be b861 */
	static const __u8 ip_hdr[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
					0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	static const __u8 odd1[1] = {0xab}, odd3[3] = {0x01, 0x02, 0x03};
	static const __u8 ff2[2] = {0xff, 0xff};
	__u8 hdr[20], *big;

	CHECK_EQ_U64(csum_fold16(csum_partial(rfc, 8, 0)), 0xddf2);
	/* the running sum is any value that folds to it (a wider word sum) */
	CHECK_EQ_U64(csum_fold16(csum_partial(rfc, 8, 0)), csum_fold16(0x2ddf0));
	/* a running sum continued at an even offset */
	CHECK_EQ_U64(csum_fold16(csum_partial(rfc + 4, 4, csum_partial(rfc, 4, 0))), 0xddf2);
	CHECK_EQ_U64(csum_fold16(csum_partial(rfc + 2, 6, csum_partial(rfc, 2, 0))), 0xddf2);
	/* byte order does not matter for the folded sum (RFC 1071 2.B) */
	{
		__u8 sw[8];

		for (int i = 0; i < 8; i += 2) {
			sw[i] = rfc[i + 1];
			sw[i + 1] = rfc[i];
		}
		CHECK_EQ_U64(csum_fold16(csum_partial(sw, 8, 0)), 0xf2dd);
	}
	/* odd lengths: the last byte is the high half of a word */
	CHECK_EQ_U64(csum_partial(odd1, 1, 0), 0xab00);
	CHECK_EQ_U64(csum_partial(odd3, 3, 0), 0x0402);
	CHECK_EQ_U64(csum_partial(odd3, 0, 7), 7);
	CHECK_EQ_U64(csum_fold16(0), 0);
	CHECK_EQ_U64(csum_fold16(0x1ffff), 1); /* 0xffff + 1, carried twice */
	CHECK_EQ_U64(csum_fold16(0xffffffff), 0xffff);
	/* end-around carry out of 32 bits */
	CHECK_EQ_U64(csum_fold16(csum_partial(ff2, 2, 0xffffffff)), 0xffff);

	memcpy(hdr, ip_hdr, sizeof(hdr));
	CHECK_EQ_U64(csum_fold16(csum_partial(hdr, 20, 0)), 0xffff);
	hdr[10] = hdr[11] = 0;
	CHECK_EQ_U64((__u16)~csum_fold16(csum_partial(hdr, 20, 0)), 0xb861);

	/* 64 KiB of 0xff: many carries */
	big = malloc(65536 + 1);
	CHECK(big != NULL);
	if (big) {
		memset(big, 0xff, 65537);
		CHECK_EQ_U64(csum_fold16(csum_partial(big, 65536, 0)), 0xffff);
		CHECK_EQ_U64(csum_fold16(csum_partial(big, 65537, 0)), ref_sum(big, 65537, 0));
		/* random buffers and running sums against ours, every length;
		 * each in a buffer of exactly its length */
		for (__u32 len = 0; len < 300; len++) {
			__u8 *b = malloc(len ? len : 1);
			__u32 init = len % 3 ? lcg() : 0xffffffffu - len;

			if (!b)
				break;
			for (__u32 i = 0; i < len; i++)
				b[i] = (__u8)lcg();
			CHECK_EQ_U64(csum_fold16(csum_partial(b, len, init)),
				     ref_sum(b, len, init));
			free(b);
		}
		free(big);
	}

	/* the pseudo-header */
	{
		static const __u8 s4[4] = {192, 0, 2, 1}, d4[4] = {198, 51, 100, 2};
		__u8 s6[16], d6[16];

		for (int i = 0; i < 16; i++) {
			s6[i] = (__u8)(0x20 + i * 7);
			d6[i] = (__u8)(0xfe - i * 3);
		}
		CHECK_EQ_U64(csum_fold16(csum_tcp_pseudo(s4, d4, 4, 1480)),
			     ref_pseudo(s4, d4, 4, 1480));
		/* BIG TCP: a length past 16 bits */
		CHECK_EQ_U64(csum_fold16(csum_tcp_pseudo(s4, d4, 4, 0x12345)),
			     ref_pseudo(s4, d4, 4, 0x12345));
		CHECK_EQ_U64(csum_fold16(csum_tcp_pseudo(s6, d6, 16, 1440)),
			     ref_pseudo(s6, d6, 16, 1440));
		CHECK_EQ_U64(csum_fold16(csum_tcp_pseudo(s6, d6, 16, 0)),
			     ref_pseudo(s6, d6, 16, 0));
	}
}

/* ---- frames built here ---- */

static const __u8 mac_dst[6] = {0x02, 0, 0, 0, 0, 0x02}, mac_src[6] = {0x02, 0, 0, 0, 0, 0x01};

/* build_v4/build_v6 write the payload too (make_rframe wants headers only) */
static bool payload_bytes = true;

/* Ethernet + IPv4 (ihl bytes) + TCP (doff bytes, opts after the fixed
 * part) + plen payload bytes at p; returns the frame's length. */
static __u32 build_v4(__u8 *p, unsigned int ihl, const __u8 *opts, unsigned int doff, __u32 plen,
		      __u32 seq, __u8 flags, __u16 id)
{
	__u8 *ip = p + 14, *th = ip + ihl;

	memcpy(p, mac_dst, 6);
	memcpy(p + 6, mac_src, 6);
	wr16(p + 12, 0x0800);
	memset(ip, 0, ihl);
	ip[0] = (__u8)(0x40 | ihl / 4);
	ip[1] = 0x10;
	wr16(ip + 2, (__u16)(ihl + doff + plen));
	wr16(ip + 4, id);
	wr16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 10, ip[13] = 0, ip[14] = 0, ip[15] = 1;
	ip[16] = 10, ip[17] = 0, ip[18] = 0, ip[19] = 2;
	for (unsigned int i = 20; i < ihl; i++)
		ip[i] = 1; /* IP options: NOPs */
	wr16(ip + 10, (__u16)~ref_sum(ip, ihl, 0));
	memset(th, 0, doff);
	wr16(th, 40000);
	wr16(th + 2, 5201);
	wr32(th + 4, seq);
	wr32(th + 8, 0x01020304);
	th[12] = (__u8)(doff / 4 << 4);
	th[13] = flags;
	wr16(th + 14, 502);
	wr16(th + 18, 0);
	if (doff > 20)
		memcpy(th + 20, opts, doff - 20);
	for (__u32 i = 0; payload_bytes && i < plen; i++)
		th[doff + i] = (__u8)(i * 7 + 3);
	return 14 + ihl + doff + plen;
}

static __u32 build_v6(__u8 *p, const __u8 *opts, unsigned int doff, __u32 plen, __u32 seq,
		      __u8 flags)
{
	__u8 *ip = p + 14, *th = ip + 40;

	memcpy(p, mac_dst, 6);
	memcpy(p + 6, mac_src, 6);
	wr16(p + 12, 0x86dd);
	memset(ip, 0, 40);
	wr32(ip, 0x6 << 28 | 0x28 << 20 | 0xbeef5);
	wr16(ip + 4, (__u16)(doff + plen));
	ip[6] = 6;
	ip[7] = 63;
	ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 1;
	ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 2;
	memset(th, 0, doff);
	wr16(th, 40001);
	wr16(th + 2, 443);
	wr32(th + 4, seq);
	wr32(th + 8, 0xa0b0c0d0);
	th[12] = (__u8)(doff / 4 << 4);
	th[13] = flags;
	wr16(th + 14, 1000);
	if (doff > 20)
		memcpy(th + 20, opts, doff - 20);
	for (__u32 i = 0; payload_bytes && i < plen; i++)
		th[doff + i] = (__u8)(i * 5 + 1);
	return 14 + 40 + doff + plen;
}

/* NOP NOP TS(tsval 0x11223344, tsecr 0x55667788), then NOP NOP SACK of
 * two blocks: 32 bytes. */
static const __u8 opts_ts_sack[32] = {
	1, 1, 8,    10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 1, 1, 5,    18,
	0, 0, 0x10, 0,	0,    0,    0x20, 0,	0,    0,    0x30, 0,	0, 0, 0x40, 0,
};

/* frame_parse on p[0..len) in a heap buffer of exactly len bytes */
static bool parse_exact(const __u8 *p, __u32 len, struct frame_hdr *h)
{
	__u8 *b = malloc(len ? len : 1);
	bool ok;

	if (!b)
		return false;
	memcpy(b, p, len);
	ok = frame_parse(b, len, h);
	free(b);
	return ok;
}

/* Every prefix of a frame: parsed as far as it goes, never past len. */
static void check_truncations(const __u8 *p, __u32 full, __u16 l4, __u8 doff)
{
	for (__u32 len = 0; len <= full; len++) {
		struct frame_hdr h;
		bool ok = parse_exact(p, len, &h);

		if (len < (__u32)l4 + 20u) {
			CHECK(!ok);
			continue;
		}
		CHECK(ok);
		CHECK_EQ_U64(h.l4, l4);
		CHECK_EQ_U64(h.doff, doff);
		CHECK(h.has_tcp == (len >= (__u32)l4 + doff));
		if (!h.has_tcp) {
			CHECK(!h.ts && !h.nr_sack && !h.opts_len);
		}
	}
}

static void test_frame_parse(void)
{
	__u8 buf[512];
	struct frame_hdr h;
	__u32 len;

	/* IPv4, timestamps and SACK */
	len = build_v4(buf, 20, opts_ts_sack, 52, 100, 0xfffffff0, TH_PSH | TH_ACK, 0x1234);
	CHECK(parse_exact(buf, len, &h));
	CHECK(!memcmp(h.dst, mac_dst, 6) && !memcmp(h.src, mac_src, 6));
	CHECK_EQ_U64(h.ethertype, 0x0800);
	CHECK_EQ_U64(h.ip_version, 4);
	CHECK_EQ_U64(h.tos, 0x10);
	CHECK_EQ_U64(h.ttl, 64);
	CHECK_EQ_U64(h.ihl, 20);
	CHECK_EQ_U64(h.ip_len, 20 + 52 + 100);
	CHECK_EQ_U64(h.ip_id, 0x1234);
	CHECK_EQ_U64(h.frag_off, 0x4000);
	CHECK_EQ_U64(h.ip_csum, rd16(buf + 24));
	CHECK_EQ_U64(h.protocol, 6);
	CHECK(h.saddr[0] == 10 && h.saddr[3] == 1 && h.daddr[3] == 2);
	CHECK_EQ_U64(h.l3, 14);
	CHECK_EQ_U64(h.l4, 34);
	CHECK(h.has_tcp);
	CHECK_EQ_U64(h.sport, 40000);
	CHECK_EQ_U64(h.dport, 5201);
	CHECK_EQ_U64(h.seq, 0xfffffff0);
	CHECK_EQ_U64(h.ack, 0x01020304);
	CHECK_EQ_U64(h.doff, 52);
	CHECK_EQ_U64(h.flags, TH_PSH | TH_ACK);
	CHECK_EQ_U64(h.window, 502);
	CHECK_EQ_U64(h.opts_len, 32);
	CHECK(!memcmp(h.opts, opts_ts_sack, 32));
	CHECK(h.ts);
	CHECK_EQ_U64(h.tsval, 0x11223344);
	CHECK_EQ_U64(h.tsecr, 0x55667788);
	CHECK_EQ_U64(h.nr_sack, 2);
	CHECK_EQ_U64(h.sack[0][0], 0x1000);
	CHECK_EQ_U64(h.sack[0][1], 0x2000);
	CHECK_EQ_U64(h.sack[1][0], 0x3000);
	CHECK_EQ_U64(h.sack[1][1], 0x4000);
	CHECK_EQ_U64(h.payload, 34 + 52);
	check_truncations(buf, len, 34, 52);

	/* IPv4 options (ihl 24) move the TCP header */
	len = build_v4(buf, 24, NULL, 20, 10, 7, TH_ACK, 1);
	CHECK(parse_exact(buf, len, &h));
	CHECK_EQ_U64(h.ihl, 24);
	CHECK_EQ_U64(h.l4, 38);
	CHECK(h.has_tcp && !h.ts && !h.nr_sack && !h.opts_len);
	CHECK_EQ_U64(h.seq, 7);
	CHECK_EQ_U64(h.payload, 58);
	check_truncations(buf, len, 38, 20);
	/* the largest IPv4 header, the largest TCP header */
	{
		__u8 opts[40];

		memset(opts, 1, sizeof(opts));
		len = build_v4(buf, 60, opts, 60, 0, 9, TH_ACK, 2);
		CHECK(parse_exact(buf, len, &h));
		CHECK_EQ_U64(h.l4, 74);
		CHECK_EQ_U64(h.opts_len, 40);
		CHECK(h.has_tcp && !h.ts);
		check_truncations(buf, len, 74, 60);
	}

	/* IPv6: traffic class, flow label, hop limit, 16-byte addresses */
	len = build_v6(buf, opts_ts_sack, 32, 33, 123456, TH_FIN | TH_ACK);
	CHECK(parse_exact(buf, len, &h));
	CHECK_EQ_U64(h.ethertype, 0x86dd);
	CHECK_EQ_U64(h.ip_version, 6);
	CHECK_EQ_U64(h.tos, 0x28);
	CHECK_EQ_U64(h.flowlabel, 0xbeef5);
	CHECK_EQ_U64(h.ttl, 63);
	CHECK_EQ_U64(h.ip_len, 32 + 33);
	CHECK_EQ_U64(h.protocol, 6);
	CHECK(h.saddr[0] == 0x20 && h.saddr[15] == 1 && h.daddr[15] == 2);
	CHECK_EQ_U64(h.l4, 54);
	CHECK_EQ_U64(h.sport, 40001);
	CHECK_EQ_U64(h.dport, 443);
	CHECK_EQ_U64(h.seq, 123456);
	CHECK_EQ_U64(h.flags, TH_FIN | TH_ACK);
	CHECK(h.has_tcp && h.ts);
	CHECK_EQ_U64(h.tsval, 0x11223344);
	/* the SACK option runs past a 32-byte header's 12 option bytes */
	CHECK_EQ_U64(h.nr_sack, 0);
	CHECK_EQ_U64(h.payload, 54 + 32);
	check_truncations(buf, len, 54, 32);

	/* four SACK blocks (the most that fit), no timestamp */
	{
		__u8 opts[36] = {1, 1, 5, 34};

		for (int i = 0; i < 8; i++)
			wr32(opts + 4 + 4 * i, 0x100u * (i + 1));
		len = build_v4(buf, 20, opts, 56, 0, 1, TH_ACK, 3);
		CHECK(parse_exact(buf, len, &h));
		CHECK(!h.ts);
		CHECK_EQ_U64(h.nr_sack, 4);
		CHECK_EQ_U64(h.sack[3][0], 0x700);
		CHECK_EQ_U64(h.sack[3][1], 0x800);
		check_truncations(buf, len, 34, 56);
	}

	/* malformed options stop the walk; an odd SACK length is ignored */
	{
		static const __u8 zero_len[12] = {8, 0, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
		static const __u8 over[12] = {1, 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7};
		static const __u8 eol[12] = {0, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
		static const __u8 bad_sack[12] = {5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1};
		static const __u8 ts_len_9[12] = {8, 9, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1};
		static const __u8 last_kind[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8};

		len = build_v4(buf, 20, zero_len, 32, 0, 1, TH_ACK, 4);
		CHECK(parse_exact(buf, len, &h) && h.has_tcp && !h.ts);
		len = build_v4(buf, 20, over, 32, 0, 1, TH_ACK, 4);
		CHECK(parse_exact(buf, len, &h) && h.has_tcp && !h.ts);
		len = build_v4(buf, 20, eol, 32, 0, 1, TH_ACK, 4);
		CHECK(parse_exact(buf, len, &h) && h.has_tcp && !h.ts);
		len = build_v4(buf, 20, bad_sack, 32, 0, 1, TH_ACK, 4);
		CHECK(parse_exact(buf, len, &h) && h.has_tcp && !h.nr_sack);
		len = build_v4(buf, 20, ts_len_9, 32, 0, 1, TH_ACK, 4);
		CHECK(parse_exact(buf, len, &h) && h.has_tcp && !h.ts);
		len = build_v4(buf, 20, last_kind, 32, 0, 1, TH_ACK, 4);
		CHECK(parse_exact(buf, len, &h) && h.has_tcp && !h.ts);
	}

	/* not Ethernet + IP + TCP */
	len = build_v4(buf, 20, NULL, 20, 0, 1, TH_ACK, 5);
	buf[14 + 9] = 17; /* UDP */
	CHECK(!parse_exact(buf, len, &h));
	buf[14 + 9] = 6;
	buf[14] = 0x44; /* ihl 16 */
	CHECK(!parse_exact(buf, len, &h));
	buf[14] = 0x45;
	wr16(buf + 12, 0x0806); /* ARP */
	CHECK(!parse_exact(buf, len, &h));
	CHECK_EQ_U64(h.ip_version, 0);
	wr16(buf + 12, 0x0800);
	/* a TCP header shorter than 20 bytes: its fixed part only */
	buf[34 + 12] = 4 << 4;
	CHECK(parse_exact(buf, len, &h));
	CHECK(!h.has_tcp);
	CHECK_EQ_U64(h.doff, 16);
	/* a data offset past the frame: no options read */
	buf[34 + 12] = 15 << 4;
	CHECK(parse_exact(buf, len, &h));
	CHECK(!h.has_tcp && !h.opts_len);
	/* an IPv4 header longer than the frame */
	buf[14] = 0x4f;
	CHECK(!parse_exact(buf, 14 + 40, &h));
	CHECK(!parse_exact(buf, 0, &h));
}

/* ---- tcp_offload.c ---- */

/* A socket whose stream (one recorded piece) holds the payload the frames
 * refer to. */
static struct replay_sock *fake_sock(__u64 len)
{
	struct replay_sock *s = calloc(1, sizeof(*s));
	struct rs_bytes *piece = calloc(1, sizeof(*piece));
	__u8 *data = malloc(len);

	if (!s || !piece || !data) {
		free(s);
		free(piece);
		free(data);
		return NULL;
	}
	s->bytes = piece;
	for (__u64 i = 0; i < len; i++)
		data[i] = (__u8)((i * 2654435761u) >> 24);
	s->bytes[0].data = data;
	s->bytes[0].len = (__u32)len;
	s->nr_bytes = s->cap_bytes = 1;
	s->stream_len = len;
	return s;
}

static void free_sock(struct replay_sock *s)
{
	if (s) {
		free(s->bytes[0].data);
		free(s->bytes);
	}
	free(s);
}

/* A super-frame's headers (no payload) as dev_queue_xmit keeps them. */
static void make_rframe(struct rframe *f, bool v6, struct replay_sock *rs, __u64 off, __u32 plen,
			__u16 mss, __u32 seq, __u8 flags, __u16 id)
{
	__u8 hdr[256];
	__u32 hlen;

	memset(f, 0, sizeof(*f));
	payload_bytes = false;
	if (v6)
		hlen = build_v6(hdr, opts_ts_sack, 32, plen, seq, flags);
	else
		hlen = build_v4(hdr, 20, opts_ts_sack, 32, plen, seq, flags, id);
	payload_bytes = true;
	hlen -= plen;
	memcpy(f->head, hdr, hlen);
	f->head_len = (__u16)hlen;
	f->l3 = 14;
	f->l4 = v6 ? 54 : 34;
	f->rs = rs;
	f->payload_off = off;
	f->payload_len = plen;
	f->gso_size = mss;
	f->gso_segs = (__u16)((plen + mss - 1) / mss);
	f->csum_partial = true;
	f->payload_known = true;
	/* CHECKSUM_PARTIAL: the pseudo-header sum of the whole super-frame */
	{
		const __u8 *ip = f->head + 14;
		__u16 c = v6 ? ref_pseudo(ip + 8, ip + 24, 16, 32 + plen)
			     : ref_pseudo(ip + 12, ip + 16, 4, 32 + plen);

		wr16(f->head + f->l4 + 16, c);
	}
}

static void check_segments(const struct rframe *f, const struct rframe *seg, size_t n, __u8 flags,
			   bool v6)
{
	__u32 seq0 = rd32(f->head + f->l4 + 4), off = 0;
	__u16 id0 = rd16(f->head + f->l3 + 4);
	__u8 *buf = malloc(65536 + 256);

	CHECK(buf != NULL);
	if (!buf)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct rframe *s = &seg[i];
		const __u8 *ip = s->head + s->l3, *th = s->head + s->l4;
		bool last = i + 1 == n;
		__u32 plen = s->payload_len, tcp_len = 32 + plen;
		__u8 want = flags;
		__u32 blen;

		CHECK_EQ_U64(s->head_len, f->head_len);
		CHECK_EQ_U64(s->l3, f->l3);
		CHECK_EQ_U64(s->l4, f->l4);
		CHECK(s->rs == f->rs);
		CHECK_EQ_U64(s->gso_size, 0);
		CHECK_EQ_U64(s->gso_segs, 1);
		CHECK_EQ_U64(s->payload_off, f->payload_off + off);
		CHECK_EQ_U64(plen, last ? f->payload_len - off : f->gso_size);
		CHECK(plen > 0 && plen <= f->gso_size);
		CHECK_EQ_U64(rd32(th + 4), (__u32)(seq0 + off));
		if (!last)
			want &= (__u8) ~(TH_FIN | TH_PSH);
		if (i)
			want &= (__u8)~TH_CWR;
		CHECK_EQ_U64(th[13], want);
		/* what segmentation leaves alone */
		CHECK(!memcmp(s->head, f->head, 14));
		CHECK(!memcmp(th, f->head + f->l4, 4));
		CHECK(!memcmp(th + 8, f->head + f->l4 + 8, 5));
		CHECK(!memcmp(th + 14, f->head + f->l4 + 14, 2));
		CHECK(!memcmp(th + 18, f->head + f->l4 + 18, 14));
		if (v6) {
			CHECK_EQ_U64(rd16(ip + 4), tcp_len);
			CHECK(!memcmp(ip, f->head + f->l3, 4));
			CHECK(!memcmp(ip + 6, f->head + f->l3 + 6, 34));
			CHECK_EQ_U64(rd16(th + 16), ref_pseudo(ip + 8, ip + 24, 16, tcp_len));
		} else {
			CHECK_EQ_U64(rd16(ip + 2), 20 + tcp_len);
			CHECK_EQ_U64(rd16(ip + 4), (__u16)(id0 + i));
			CHECK(!memcmp(ip + 6, f->head + f->l3 + 6, 4));
			CHECK(!memcmp(ip + 12, f->head + f->l3 + 12, 8));
			CHECK_EQ_U64(ref_sum(ip, 20, 0), 0xffff);
			CHECK_EQ_U64(rd16(th + 16), ref_pseudo(ip + 12, ip + 16, 4, tcp_len));
		}

		/* the wire view: payload from the stream, checksum complete */
		blen = rframe_build(s, VIEW_WIRE, buf, 65536 + 256);
		CHECK_EQ_U64(blen, s->head_len + plen);
		if (blen == s->head_len + plen) {
			const __u8 *bip = buf + s->l3;
			__u64 ps = v6 ? ref_pseudo(bip + 8, bip + 24, 16, tcp_len)
				      : ref_pseudo(bip + 12, bip + 16, 4, tcp_len);

			CHECK(!memcmp(buf + s->head_len, s->rs->bytes[0].data + s->payload_off,
				      plen));
			CHECK_EQ_U64(ref_sum(buf + s->l4, tcp_len, ps), 0xffff);
			CHECK(!memcmp(buf, s->head, s->l4 + 16));
		}
		/* the device view keeps CHECKSUM_PARTIAL as it is */
		blen = rframe_build(s, VIEW_DEVICE, buf, 65536 + 256);
		CHECK_EQ_U64(blen, s->head_len + plen);
		CHECK(!memcmp(buf, s->head, s->head_len));
		CHECK_EQ_U64(rframe_build(s, VIEW_WIRE, buf, s->head_len + plen - 1), 0);
		off += plen;
	}
	CHECK_EQ_U64(off, f->payload_len);
	free(buf);
}

static void test_gso(void)
{
	static struct rframe seg[80];
	struct replay_sock *rs = fake_sock(200000);
	const __u8 flags = TH_CWR | TH_ACK | TH_PSH | TH_FIN;
	struct rframe f;
	size_t n;

	CHECK(rs != NULL);
	if (!rs)
		return;

	/* IPv4: 3 full segments and a short one; seq and ID wrap */
	make_rframe(&f, false, rs, 1000, 3 * 1448 + 500, 1448, 0xfffff000, flags, 0xfffe);
	n = tcp_gso_segment(&f, seg, 80);
	CHECK_EQ_U64(n, 4);
	check_segments(&f, seg, n, flags, false);

	/* an exact multiple of the MSS */
	make_rframe(&f, false, rs, 0, 45 * 1448, 1448, 1, TH_ACK | TH_PSH, 7);
	n = tcp_gso_segment(&f, seg, 80);
	CHECK_EQ_U64(n, 45);
	check_segments(&f, seg, n, TH_ACK | TH_PSH, false);

	/* at most max segments */
	make_rframe(&f, false, rs, 0, 10 * 1000, 1000, 100, flags, 0);
	n = tcp_gso_segment(&f, seg, 3);
	CHECK_EQ_U64(n, 3);
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ_U64(seg[i].payload_len, 1000);
		CHECK_EQ_U64(seg[i].head[seg[i].l4 + 13] & (TH_FIN | TH_PSH), 0);
	}
	CHECK_EQ_U64(tcp_gso_segment(&f, seg, 0), 0);

	/* nothing to cut: one copy */
	make_rframe(&f, false, rs, 5, 1448, 1448, 100, flags, 9);
	n = tcp_gso_segment(&f, seg, 80);
	CHECK_EQ_U64(n, 1);
	CHECK(!memcmp(&seg[0], &f, sizeof(f)));
	f.gso_size = 0;
	CHECK_EQ_U64(tcp_gso_segment(&f, seg, 80), 1);

	/* IPv6 */
	make_rframe(&f, true, rs, 77, 5 * 1428 + 1, 1428, 0x7ffffff0, flags, 0);
	n = tcp_gso_segment(&f, seg, 80);
	CHECK_EQ_U64(n, 6);
	check_segments(&f, seg, n, flags, true);

	/* 64 KiB in 1 KiB segments: the most one TSO frame has */
	make_rframe(&f, false, rs, 3, 65000, 1024, 42, TH_ACK | TH_PSH, 0x8000);
	n = tcp_gso_segment(&f, seg, 80);
	CHECK_EQ_U64(n, 64);
	check_segments(&f, seg, n, TH_ACK | TH_PSH, false);
	free_sock(rs);
}

static void test_checksum_help(void)
{
	__u8 buf[2048], copy[2048];

	for (__u32 plen = 0; plen < 40; plen += 3) {
		for (int v6 = 0; v6 < 2; v6++) {
			__u32 len = v6 ? build_v6(buf, opts_ts_sack, 32, plen, 99, TH_ACK)
				       : build_v4(buf, 20, opts_ts_sack, 32, plen, 99, TH_ACK, 1);
			__u16 l4 = v6 ? 54 : 34;
			const __u8 *ip = buf + 14;
			__u64 ps = v6 ? ref_pseudo(ip + 8, ip + 24, 16, len - l4)
				      : ref_pseudo(ip + 12, ip + 16, 4, len - l4);

			buf[l4 + 16] = 0xde; /* whatever was there */
			buf[l4 + 17] = 0xad;
			memcpy(copy, buf, len);
			skb_checksum_help(buf, len, 14, l4);
			CHECK_EQ_U64(ref_sum(buf + l4, len - l4, ps), 0xffff);
			/* only the checksum changed */
			CHECK(!memcmp(buf, copy, l4 + 16));
			CHECK(!memcmp(buf + l4 + 18, copy + l4 + 18, len - l4 - 18));
			/* from a partial checksum it gives the same */
			memcpy(copy, buf, len);
			wr16(buf + l4 + 16, (__u16)ps);
			skb_checksum_help(buf, len, 14, l4);
			CHECK(!memcmp(buf, copy, len));
		}
	}
}

/* ---- skbuff.c ---- */

static void test_skb_queue(void)
{
	struct sk_buff_head q;
	struct sk_buff *a = alloc_skb(), *b = alloc_skb(), *c = alloc_skb(), *d = alloc_skb();
	struct sk_buff *x;
	size_t n;

	CHECK(a && b && c && d);
	if (!a || !b || !c || !d) {
		kfree_skb(a);
		kfree_skb(b);
		kfree_skb(c);
		kfree_skb(d);
		return;
	}
	/* alloc_skb gives a zeroed skb */
	CHECK(a->len == 0 && a->next == NULL && a->cb.seq == 0 && a->data == 0);
	a->cb.seq = 1, b->cb.seq = 2, c->cb.seq = 3, d->cb.seq = 4;

	skb_queue_head_init(&q);
	CHECK(skb_queue_empty(&q));
	CHECK(skb_peek(&q) == NULL);
	CHECK(skb_peek_tail(&q) == NULL);

	__skb_queue_tail(&q, a);
	CHECK(!skb_queue_empty(&q));
	CHECK(skb_peek(&q) == a && skb_peek_tail(&q) == a);
	CHECK(skb_queue_next(&q, a) == NULL);
	__skb_queue_tail(&q, c);
	__skb_queue_after(a, b); /* a b c */
	__skb_queue_after(c, d); /* a b c d */
	CHECK(skb_peek(&q) == a && skb_peek_tail(&q) == d);
	n = 0;
	for (x = skb_peek(&q); x; x = skb_queue_next(&q, x))
		CHECK_EQ_U64(x->cb.seq, ++n);
	CHECK_EQ_U64(n, 4);
	/* backwards through prev */
	CHECK(d->prev == c && c->prev == b && b->prev == a && a->prev == (struct sk_buff *)&q);

	__skb_unlink(b); /* a c d */
	CHECK(b->next == NULL && b->prev == NULL);
	CHECK(skb_queue_next(&q, a) == c && c->prev == a);
	__skb_unlink(d); /* a c */
	CHECK(skb_peek_tail(&q) == c && skb_queue_next(&q, c) == NULL);
	__skb_unlink(a); /* c */
	CHECK(skb_peek(&q) == c && skb_peek_tail(&q) == c);
	__skb_unlink(c);
	CHECK(skb_queue_empty(&q));

	/* purge frees every skb (LeakSanitizer checks) and leaves it empty */
	__skb_queue_tail(&q, a);
	__skb_queue_tail(&q, b);
	__skb_queue_tail(&q, c);
	__skb_queue_tail(&q, d);
	skb_queue_purge(&q);
	CHECK(skb_queue_empty(&q) && skb_peek(&q) == NULL);
	skb_queue_purge(&q);
	CHECK(skb_queue_empty(&q));

	/* skb_push builds headers back to front */
	a = alloc_skb();
	CHECK(a != NULL);
	if (a) {
		__u8 *p;

		a->data = SKB_HEAD_MAX;
		p = skb_push(a, 20);
		CHECK(p == a->head + SKB_HEAD_MAX - 20 && a->data == SKB_HEAD_MAX - 20);
		p = skb_push(a, 14);
		CHECK(p == a->head + SKB_HEAD_MAX - 34);
		kfree_skb(a);
	}
	kfree_skb(NULL);
}

int main(void)
{
	test_checksum();
	test_frame_parse();
	test_gso();
	test_checksum_help();
	test_skb_queue();
	return check_done("test_replay_headers");
}
