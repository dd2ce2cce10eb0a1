// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The replay engine end to end (replay/replay.h, replay/verify.h):
 *   - three real recordings in tests/data (loopback with small writes,
 *     loopback bulk, a veth pair with TSO) replay to frames identical to
 *     the kernel's, and nothing extra;
 *   - the same trace gives the same bytes after a rewind and after a
 *     second open, in both views;
 *   - the wire view's frames carry complete IPv4 and TCP checksums
 *     (recomputed here, not with replay/checksum.c) and are never longer
 *     than their flow's MSS, whatever super-frames the device view had;
 *   - traces the replay must refuse, written here with trace_writer: lost
 *     records, ABI 1, data sent by a flow without send() records, and a
 *     trace cut short (refused unless opts.partial).
 * The fixtures were recorded with tsend-trace record --snaplen 128
 * --payload 256 -P PORT around tests/tcp_sender, run in network
 * namespaces set to reno (BBR's pacing is not modelled): "loop PORT" with
 * 200 x 100 and 40 x 65536 on loopback, "send" over a veth pair with
 * 30 x 65536, 100, 200, 1000 and 3000.
 * Synthetic files go to a mkdtemp() directory that is removed at the end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/types.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../bpf/tsend.h"
#include "../../replay/replay.h"
#include "../../replay/verify.h"
#include "../../userspace/dump.h"
#include "../../userspace/trace_file.h"
#include "check.h"
#include "net_ref.h"

#define FRAME_CAP (256 * 1024)
#define MAX_FLOWS 16
#define TH_PSH	  0x08
#define TH_ACK	  0x10

static char tmpdir[] = "/tmp/tsend-test-replay-XXXXXX";
static char data_dir[4096 + 64];
static FILE *devnull;

static const char *const fixtures[] = {
	"replay-small.trace", /* loopback, 200 x 100 B, Nagle on */
	"replay-bulk.trace",  /* loopback, 40 x 64 KiB */
	"replay-veth.trace",  /* veth, 30 x 64 KiB and four small: TSO */
};

static const char *tmp_path(const char *name)
{
	static char path[sizeof(tmpdir) + 1 + 256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static const char *data_path(const char *name)
{
	static char path[sizeof(data_dir) + 256];

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	return path;
}

static int has(const char *s, const char *sub)
{
	return s && strstr(s, sub);
}

/*
 * tests/data: $TSEND_TEST_DATA, else next to this file as the compiler
 * saw it (the Makefile builds from the top), else from the binary's place
 * (build/tests/ or build/asan/tests/).
 */
static int find_data_dir(void)
{
	char exe[4096], cand[4096 + 64];
	const char *env = getenv("TSEND_TEST_DATA");
	const char *file = __FILE__, *slash;
	struct stat st;
	ssize_t n;

	if (env) {
		snprintf(data_dir, sizeof(data_dir), "%s", env);
		return 0;
	}
	slash = strstr(file, "unit/test_replay.c");
	if (slash) {
		snprintf(cand, sizeof(cand), "%.*sdata", (int)(slash - file), file);
		if (!stat(cand, &st) && S_ISDIR(st.st_mode)) {
			snprintf(data_dir, sizeof(data_dir), "%s", cand);
			return 0;
		}
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	for (int up = 0; up < 4; up++) {
		char *s = strrchr(exe, '/');

		if (!s)
			break;
		*s = '\0';
		snprintf(cand, sizeof(cand), "%s/tests/data", exe);
		if (!stat(cand, &st) && S_ISDIR(st.st_mode)) {
			snprintf(data_dir, sizeof(data_dir), "%s", cand);
			return 0;
		}
	}
	return -1;
}

struct pkt {
	unsigned int l3, l4, doff, tcp_len, payload;
	__u32 seq;
	__u8 flags;
	bool v6;
};

/* Ethernet + IPv4/IPv6 + TCP, whole (len covers the IP length); false if not. */
static bool pkt_parse(const __u8 *p, __u32 len, struct pkt *k)
{
	__u16 type;

	memset(k, 0, sizeof(*k));
	if (len < 14)
		return false;
	type = rd16(p + 12);
	k->l3 = 14;
	if (type == 0x0800) {
		unsigned int ihl, tot;

		if (len < 34 || (p[14] >> 4) != 4 || p[23] != 6)
			return false;
		ihl = (p[14] & 15) * 4u;
		tot = rd16(p + 16);
		if (ihl < 20 || tot < ihl + 20 || len < 14 + tot)
			return false;
		k->l4 = 14 + ihl;
		k->tcp_len = tot - ihl;
	} else if (type == 0x86dd) {
		if (len < 54 || p[20] != 6)
			return false;
		k->v6 = true;
		k->l4 = 54;
		k->tcp_len = rd16(p + 18);
		if (k->tcp_len < 20 || len < 54 + k->tcp_len)
			return false;
	} else {
		return false;
	}
	k->doff = (p[k->l4 + 12] >> 4) * 4u;
	if (k->doff < 20 || k->doff > k->tcp_len)
		return false;
	k->payload = k->tcp_len - k->doff;
	k->seq = rd32(p + k->l4 + 4);
	k->flags = p[k->l4 + 13];
	return true;
}

static bool ipv4_csum_ok(const __u8 *p, const struct pkt *k)
{
	return k->v6 || ref_sum(p + k->l3, k->l4 - k->l3, 0) == 0xffff;
}

static __u64 pseudo_sum(const __u8 *p, const struct pkt *k)
{
	unsigned int alen = k->v6 ? 16 : 4;
	const __u8 *s = p + k->l3 + (k->v6 ? 8 : 12);
	__u64 sum = 6 + k->tcp_len;

	sum += ref_sum(s, alen, 0);
	sum += ref_sum(s + alen, alen, 0);
	return sum;
}

static bool tcp_csum_ok(const __u8 *p, const struct pkt *k)
{
	return ref_sum(p + k->l4, k->tcp_len, pseudo_sum(p, k)) == 0xffff;
}

/* CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum. */
static bool tcp_csum_partial(const __u8 *p, const struct pkt *k)
{
	return rd16(p + k->l4 + 16) == ref_sum(NULL, 0, pseudo_sum(p, k));
}

/* ---- what the trace says: each flow's largest mss_cache ---- */

struct flow_mss {
	struct tsend_flow flow;
	__u32 mss;
};

static bool same_flow(const struct tsend_flow *a, const struct tsend_flow *b)
{
	return a->family == b->family && a->sport == b->sport && a->dport == b->dport &&
	       !memcmp(a->saddr, b->saddr, 16) && !memcmp(a->daddr, b->daddr, 16);
}

static size_t read_mss(const char *path, struct flow_mss *out, size_t max)
{
	char err[512];
	struct trace_reader *tr = trace_reader__open(path, err, sizeof(err));
	union tsend_record u;
	const void *rec;
	const char *why;
	size_t n = 0;
	__u32 len;

	if (!tr)
		return 0;
	while (trace_reader__next(tr, &rec, &len) > 0) {
		size_t i;

		if (tsend_record_check(rec, len, &why))
			continue;
		tsend_record_copy(&u, sizeof(u), rec, len);
		if (u.h.kind != TSEND_KIND_TCP || !u.tcp.mss_cache)
			continue;
		for (i = 0; i < n && !same_flow(&out[i].flow, &u.tcp.flow); i++)
			;
		if (i == n) {
			if (n == max)
				continue;
			out[n].flow = u.tcp.flow;
			out[n++].mss = 0;
		}
		if (u.tcp.mss_cache > out[i].mss)
			out[i].mss = u.tcp.mss_cache;
	}
	trace_reader__close(tr);
	return n;
}

static __u32 mss_of(const struct flow_mss *m, size_t n, const struct tsend_flow *f)
{
	for (size_t i = 0; i < n; i++)
		if (same_flow(&m[i].flow, f))
			return m[i].mss;
	return 0;
}

/* ---- the fixtures ---- */

static struct replay *open_fixture(const char *name, enum replay_view view)
{
	struct replay_opts o = {.view = view, .nodelay = -1};
	char err[512] = "";
	struct replay *r = replay__open(data_path(name), &o, err, sizeof(err));

	if (!r)
		fprintf(stderr, "%s: replay__open: %s\n", name, err);
	return r;
}

static void test_verify(const char *name)
{
	struct verify_opts vo = {.max_diffs = 5};
	struct verify_result res;
	struct replay *r = open_fixture(name, VIEW_DEVICE);
	int ret;

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(replay__warning(r) == NULL);
	ret = replay__verify(r, &vo, devnull, &res);
	CHECK(ret == 0);
	CHECK(res.kernel_frames > 0);
	CHECK_EQ_U64(res.identical, res.kernel_frames);
	CHECK_EQ_U64(res.extra, 0);
	CHECK_EQ_U64(res.missing, 0);
	CHECK_EQ_U64(res.differ, 0);
	CHECK_EQ_U64(res.replay_frames, res.kernel_frames);
	CHECK(res.modeled_flows >= 1);
	CHECK(res.passthrough > 0); /* the handshake at least */
	if (ret)
		fprintf(stderr, "%s: verify: %llu of %llu identical, %llu extra\n", name,
			(unsigned long long)res.identical, (unsigned long long)res.kernel_frames,
			(unsigned long long)res.extra);
	/* a second verify of the same replay says the same */
	{
		struct verify_result again;

		CHECK(replay__verify(r, &vo, devnull, &again) == ret);
		CHECK(!memcmp(&again, &res, sizeof(res)));
	}
	replay__close(r);
}

/* Every frame of one pass, back to back, with what describes it. */
struct pass {
	__u8 *bytes;
	size_t len, cap;
	__u64 frames;
};

static int pass_add(struct pass *p, const void *src, size_t n)
{
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : 65536;
		__u8 *b;

		while (cap < p->len + n)
			cap *= 2;
		b = realloc(p->bytes, cap);
		if (!b)
			return -ENOMEM;
		p->bytes = b;
		p->cap = cap;
	}
	memcpy(p->bytes + p->len, src, n);
	p->len += n;
	return 0;
}

static int drain(struct replay *r, struct pass *p)
{
	struct replay_frame_info info;
	struct replay_frame f;
	int ret;

	memset(p, 0, sizeof(*p));
	while ((ret = replay__next(r, &f, &info)) == 1) {
		__u64 meta[5] = {f.len, f.wire_len, f.ts_ns, info.kernel_rec, info.mono_ns};
		__u8 flags[2] = {info.passthrough, info.payload_known};

		if (pass_add(p, meta, sizeof(meta)) || pass_add(p, flags, sizeof(flags)) ||
		    pass_add(p, &info.flow->sport, sizeof(info.flow->sport)) ||
		    pass_add(p, f.data, f.len))
			return -ENOMEM;
		p->frames++;
	}
	return ret;
}

static void test_determinism(const char *name, enum replay_view view)
{
	struct replay *r = open_fixture(name, view), *r2;
	struct pass a, b, c;

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK(drain(r, &a) == 0);
	CHECK(a.frames > 0);
	/* at the end it stays at the end */
	{
		struct replay_frame f;

		CHECK(replay__next(r, &f, NULL) == 0);
	}
	replay__rewind(r);
	CHECK(drain(r, &b) == 0);
	CHECK_EQ_U64(a.frames, b.frames);
	CHECK(a.len == b.len && !memcmp(a.bytes, b.bytes, a.len));
	r2 = open_fixture(name, view);
	CHECK(r2 != NULL);
	if (r2) {
		CHECK(drain(r2, &c) == 0);
		CHECK_EQ_U64(a.frames, c.frames);
		CHECK(a.len == c.len && !memcmp(a.bytes, c.bytes, a.len));
		free(c.bytes);
		replay__close(r2);
	}
	/* a rewind in the middle of a super-frame's segments starts over too */
	{
		struct replay_frame f;
		struct pass d;

		for (int i = 0; i < 7 && replay__next(r, &f, NULL) == 1; i++)
			;
		replay__rewind(r);
		CHECK(drain(r, &d) == 0);
		CHECK(a.len == d.len && !memcmp(a.bytes, d.bytes, a.len));
		free(d.bytes);
	}
	free(a.bytes);
	free(b.bytes);
	replay__close(r);
}

/* What one view of a fixture adds up to. */
struct view_stats {
	__u64 frames, data_frames, gso_frames, payload, max_payload;
	__u64 bad_ip, bad_tcp, bad_tcp_pass, unparsed, truncated, over_mss, no_mss;
};

static void walk_view(const char *name, enum replay_view view, const struct flow_mss *mss,
		      size_t nr_mss, struct view_stats *vs)
{
	struct replay *r = open_fixture(name, view);
	struct replay_frame_info info;
	struct replay_frame f;
	int ret;

	memset(vs, 0, sizeof(*vs));
	CHECK(r != NULL);
	if (!r)
		return;
	while ((ret = replay__next(r, &f, &info)) == 1) {
		struct pkt k;
		__u32 m = mss_of(mss, nr_mss, info.flow);

		vs->frames++;
		CHECK(f.data != NULL && f.len > 0);
		if (f.len < f.wire_len) {
			/* only what was passed through as recorded may be a snap */
			CHECK(info.passthrough);
			vs->truncated++;
			continue;
		}
		if (!pkt_parse(f.data, f.len, &k)) {
			vs->unparsed++;
			continue;
		}
		CHECK_EQ_U64(f.len, f.wire_len);
		if (!ipv4_csum_ok(f.data, &k))
			vs->bad_ip++;
		if (view == VIEW_WIRE && !tcp_csum_ok(f.data, &k)) {
			vs->bad_tcp++;
			vs->bad_tcp_pass += info.passthrough;
			if (vs->bad_tcp <= 3)
				fprintf(stderr,
					"%s: wire frame %llu (%s, kernel record %llu, seq %u, "
					"%u bytes): TCP checksum %#06x does not verify%s\n",
					name, (unsigned long long)vs->frames,
					info.passthrough ? "passthrough" : "send path",
					(unsigned long long)info.kernel_rec, k.seq, f.len,
					rd16(f.data + k.l4 + 16),
					tcp_csum_partial(f.data, &k)
						? " (it is the device's partial pseudo-header sum)"
						: "");
		}
		if (info.passthrough || !k.payload)
			continue;
		vs->data_frames++;
		vs->payload += k.payload;
		if (k.payload > vs->max_payload)
			vs->max_payload = k.payload;
		if (!m) {
			vs->no_mss++;
			continue;
		}
		if (k.payload > m) {
			vs->gso_frames++;
			vs->over_mss++;
		}
	}
	CHECK(ret == 0);
	replay__close(r);
}

static void test_views(const char *name, bool expect_gso)
{
	struct flow_mss mss[MAX_FLOWS];
	size_t nr = read_mss(data_path(name), mss, MAX_FLOWS);
	struct view_stats dev, wire;

	CHECK(nr > 0);
	walk_view(name, VIEW_DEVICE, mss, nr, &dev);
	walk_view(name, VIEW_WIRE, mss, nr, &wire);
	CHECK(dev.frames > 0 && wire.frames >= dev.frames);
	CHECK(dev.data_frames > 0);
	CHECK_EQ_U64(dev.no_mss, 0);
	CHECK_EQ_U64(wire.no_mss, 0);
	/* the same payload leaves, only cut differently */
	CHECK_EQ_U64(dev.payload, wire.payload);
	CHECK_EQ_U64(dev.bad_ip, 0);
	CHECK_EQ_U64(wire.bad_ip, 0);
	CHECK_EQ_U64(dev.unparsed, 0);
	CHECK_EQ_U64(wire.unparsed, 0);
	/* every frame the NIC sends has its TCP checksum filled in: the send
	 * path's and the ones passed through as recorded */
	CHECK_EQ_U64(wire.bad_tcp - wire.bad_tcp_pass, 0);
	CHECK_EQ_U64(wire.bad_tcp_pass, 0);
	/* super-frames in the device view, none past the MSS on the wire */
	if (expect_gso)
		CHECK(dev.gso_frames > 0);
	if (dev.gso_frames)
		CHECK(wire.data_frames > dev.data_frames);
	CHECK_EQ_U64(wire.over_mss, 0);
	CHECK_EQ_U64(wire.truncated, dev.truncated);
}

/* ---- synthetic traces ---- */

static const struct trace_meta synth_meta = {
	.abi_version = TSEND_ABI_VERSION,
	.snaplen = 128,
	.payload_len = 256,
	.nr_cpus = 2,
	.start_ns = 1000000000ULL,
	.kernel_release = "6.1.0-18-amd64",
	.hostname = "test",
	.cmdline = "tsend-trace record --snaplen 128 --payload 256",
};

static struct tsend_flow flow4(void)
{
	struct tsend_flow f = {.family = AF_INET, .protocol = 6, .sport = 5000, .dport = 80};

	inet_pton(AF_INET, "10.0.0.1", f.saddr);
	inet_pton(AF_INET, "10.0.0.2", f.daddr);
	return f;
}

/* A net_dev_start_xmit record of an IPv4 frame 10.0.0.1:5000 > 10.0.0.2:80
 * carrying plen payload bytes, its first 54 bytes (the headers) kept. */
static __u32 make_data_frame(__u8 *buf, __u32 seq, __u32 plen, __u8 flags)
{
	struct tsend_skb_event e = {
		.h = {.ts = 1000500000ULL,
		      .sk = 0xffff888003f20000ULL,
		      .skb = 0xffff888004a1c200ULL,
		      .pid = 42,
		      .tid = 42,
		      .stage = TSEND_STAGE_NET_DEV_START_XMIT,
		      .kind = TSEND_KIND_SKB,
		      .mech = TSEND_MECH_RAW_TP,
		      .comm = "sender"},
		.flow = flow4(),
		.len = 54 + plen,
		.seq = seq,
		.end_seq = seq + plen,
		.ack_seq = 77,
		.ifindex = 2,
		.tcp_flags = flags,
		.seq_valid = 1,
		.snap_len = 54,
		.csum = 1 + 3,
	};
	__u8 *p = buf + sizeof(e);
	__u16 tot = (__u16)(40 + plen);

	e.h.size = (__u16)(sizeof(e) + e.snap_len);
	memcpy(buf, &e, sizeof(e));
	memset(p, 0, 54);
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	p[14] = 0x45;
	p[16] = (__u8)(tot >> 8);
	p[17] = (__u8)tot;
	p[20] = 0x40;
	p[22] = 64;
	p[23] = 6;
	memcpy(p + 26, e.flow.saddr, 4);
	memcpy(p + 30, e.flow.daddr, 4);
	p[34] = 5000 >> 8;
	p[35] = 5000 & 0xff;
	p[37] = 80;
	p[38] = (__u8)(seq >> 24);
	p[39] = (__u8)(seq >> 16);
	p[40] = (__u8)(seq >> 8);
	p[41] = (__u8)seq;
	p[45] = 77;
	p[46] = 5 << 4;
	p[47] = flags;
	p[48] = 0xff;
	/* the IPv4 header checksum, as the kernel left it */
	{
		__u16 c = (__u16)~ref_sum(p + 14, 20, 0);

		p[24] = (__u8)(c >> 8);
		p[25] = (__u8)c;
	}
	return e.h.size;
}

static void test_no_send(void)
{
	const char *path = tmp_path("nosend.trace");
	struct replay_opts o = {.nodelay = -1, .partial = true};
	struct trace_writer *w = trace_writer__open(path, &synth_meta);
	__u8 buf[sizeof(struct tsend_skb_event) + 64];
	struct trace_stats *st = calloc(1, sizeof(*st));
	char err[1024] = "";
	struct replay *r;
	__u32 len;

	CHECK(w != NULL && st != NULL);
	if (!w || !st) {
		free(st);
		return;
	}
	st->nr_cpus = 2;
	len = make_data_frame(buf, 1000, 100, TH_PSH | TH_ACK);
	CHECK(trace_writer__append(w, buf, len) == 0);
	CHECK(trace_writer__close(w, st) == 0);
	r = replay__open(path, &o, err, sizeof(err));
	CHECK(r == NULL);
	CHECK(has(err, "10.0.0.1:5000>10.0.0.2:80"));
	CHECK(has(err, "cannot model"));
	CHECK(has(err, "record 1"));
	if (r || !has(err, "cannot model"))
		fprintf(stderr, "no send(): got \"%s\"\n", err);
	replay__close(r);

	/* the same frame as a pure ACK (no payload) is passed through */
	w = trace_writer__open(path, &synth_meta);
	CHECK(w != NULL);
	if (w) {
		struct verify_opts vo = {0};
		struct verify_result res;

		len = make_data_frame(buf, 1000, 0, TH_ACK);
		((struct tsend_skb_event *)buf)->len = 54;
		CHECK(trace_writer__append(w, buf, len) == 0);
		CHECK(trace_writer__close(w, st) == 0);
		o.view = VIEW_DEVICE;
		err[0] = '\0';
		r = replay__open(path, &o, err, sizeof(err));
		CHECK(r != NULL);
		if (!r)
			fprintf(stderr, "pure ACK: %s\n", err);
		if (r) {
			struct replay_frame f;
			struct replay_frame_info info;

			/* the device view: the kernel's bytes as recorded */
			CHECK(replay__next(r, &f, &info) == 1);
			CHECK(info.passthrough);
			CHECK_EQ_U64(f.len, 54);
			CHECK(!memcmp(f.data, buf + sizeof(struct tsend_skb_event), 54));
			CHECK(replay__next(r, &f, &info) == 0);
			CHECK(replay__verify(r, &vo, devnull, &res) == 0);
			CHECK_EQ_U64(res.kernel_frames, 0);
			CHECK_EQ_U64(res.passthrough, 1);
			replay__close(r);
		}
		/* the wire view: the checksum the device was left is filled */
		o.view = VIEW_WIRE;
		r = replay__open(path, &o, err, sizeof(err));
		CHECK(r != NULL);
		if (r) {
			struct replay_frame f;
			struct replay_frame_info info;
			struct pkt k;

			CHECK(replay__next(r, &f, &info) == 1);
			CHECK(info.passthrough);
			CHECK_EQ_U64(f.len, 54);
			CHECK(pkt_parse(f.data, f.len, &k) && tcp_csum_ok(f.data, &k));
			CHECK(!memcmp(f.data, buf + sizeof(struct tsend_skb_event), 50));
			CHECK(replay__next(r, &f, &info) == 0);
			replay__close(r);
		}
	}
	free(st);
}

/* A fixture's records, written again with another meta and stats. */
struct recs {
	__u8 *buf;
	__u32 *len;
	size_t n, bytes;
	struct trace_meta meta;
	struct trace_stats *stats;
};

static int load_recs(const char *path, struct recs *rs)
{
	char err[512];
	struct trace_reader *tr = trace_reader__open(path, err, sizeof(err));
	const void *rec;
	__u32 len;
	size_t cap = 0, lcap = 0;
	int ret;

	memset(rs, 0, sizeof(*rs));
	if (!tr)
		return -1;
	rs->meta = *trace_reader__meta(tr);
	while ((ret = trace_reader__next(tr, &rec, &len)) > 0) {
		if (rs->bytes + len > cap) {
			cap = cap ? cap * 2 : 65536;
			while (cap < rs->bytes + len)
				cap *= 2;
			rs->buf = realloc(rs->buf, cap);
		}
		if (rs->n == lcap) {
			lcap = lcap ? lcap * 2 : 1024;
			rs->len = realloc(rs->len, lcap * sizeof(*rs->len));
		}
		if (!rs->buf || !rs->len) {
			ret = -ENOMEM;
			break;
		}
		memcpy(rs->buf + rs->bytes, rec, len);
		rs->bytes += len;
		rs->len[rs->n++] = len;
	}
	rs->stats = calloc(1, sizeof(*rs->stats));
	if (rs->stats && trace_reader__stats(tr))
		*rs->stats = *trace_reader__stats(tr);
	trace_reader__close(tr);
	return ret || !rs->stats ? -1 : 0;
}

static void free_recs(struct recs *rs)
{
	free(rs->buf);
	free(rs->len);
	free(rs->stats);
}

/*
 * Writes rs's first n records with meta and stats; flushes after cut
 * records and, when cut_end, truncates the file there (no end block).
 */
static int write_recs(const char *path, const struct recs *rs, const struct trace_meta *meta,
		      const struct trace_stats *stats, size_t n, size_t cut, bool cut_end)
{
	struct trace_writer *w = trace_writer__open(path, meta);
	__u64 cut_size = 0;
	size_t off = 0;

	if (!w)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (i == cut) {
			if (trace_writer__flush(w))
				goto fail;
			cut_size = trace_writer__size(w);
		}
		if (trace_writer__append(w, rs->buf + off, rs->len[i]))
			goto fail;
		off += rs->len[i];
	}
	if (trace_writer__close(w, stats))
		return -1;
	if (cut_end && truncate(path, (off_t)cut_size))
		return -1;
	return 0;
fail:
	trace_writer__close(w, NULL);
	return -1;
}

static void test_rewritten(const char *name)
{
	struct replay_opts o = {.view = VIEW_DEVICE, .nodelay = -1};
	struct verify_opts vo = {0};
	struct verify_result res;
	const char *path = tmp_path("rewritten.trace");
	struct trace_meta meta;
	struct trace_stats *st;
	char err[1024] = "";
	struct replay *r;
	struct recs rs;

	CHECK(load_recs(data_path(name), &rs) == 0);
	if (!rs.n) {
		free_recs(&rs);
		return;
	}
	st = rs.stats;
	CHECK(st->nr_cpus > 0);

	/* as it was: the rewrite itself changes nothing */
	CHECK(write_recs(path, &rs, &rs.meta, st, rs.n, rs.n, false) == 0);
	r = replay__open(path, &o, err, sizeof(err));
	CHECK(r != NULL);
	if (r) {
		CHECK(replay__verify(r, &vo, devnull, &res) == 0);
		replay__close(r);
	} else {
		fprintf(stderr, "%s rewritten: %s\n", name, err);
	}

	/* records lost while recording: refused, whatever else */
	st->lost[st->nr_cpus - 1] = 7;
	CHECK(write_recs(path, &rs, &rs.meta, st, rs.n, rs.n, false) == 0);
	err[0] = '\0';
	o.partial = true;
	r = replay__open(path, &o, err, sizeof(err));
	CHECK(r == NULL);
	CHECK(has(err, "lost"));
	CHECK(has(err, "7 records"));
	CHECK(has(err, path));
	replay__close(r);
	st->lost[st->nr_cpus - 1] = 0;
	o.partial = false;

	/* ABI 1 has no ACK numbers */
	meta = rs.meta;
	meta.abi_version = 1;
	CHECK(write_recs(path, &rs, &meta, st, rs.n, rs.n, false) == 0);
	err[0] = '\0';
	r = replay__open(path, &o, err, sizeof(err));
	CHECK(r == NULL);
	CHECK(has(err, "ABI 1"));
	replay__close(r);

	/* cut short after the first half: no end block */
	CHECK(write_recs(path, &rs, &rs.meta, st, rs.n, rs.n / 2, true) == 0);
	err[0] = '\0';
	r = replay__open(path, &o, err, sizeof(err));
	CHECK(r == NULL);
	CHECK(has(err, "no end block"));
	CHECK(has(err, "--partial"));
	replay__close(r);
	o.partial = true;
	err[0] = '\0';
	r = replay__open(path, &o, err, sizeof(err));
	CHECK(r != NULL);
	if (!r)
		fprintf(stderr, "%s cut, --partial: %s\n", name, err);
	if (r) {
		struct replay_summary sum;
		struct pass p;

		CHECK(has(replay__warning(r), "no end block"));
		replay__summary(r, &sum);
		CHECK_EQ_U64(sum.records, rs.n / 2);
		CHECK(drain(r, &p) == 0);
		CHECK(p.frames > 0);
		free(p.bytes);
		/* what the kernel sent before the cut, the replay sends too */
		CHECK(replay__verify(r, &vo, devnull, &res) >= 0);
		CHECK_EQ_U64(res.differ, 0);
		replay__close(r);
	}

	/* cut inside a block: the torn block is dropped */
	{
		struct stat sb;

		CHECK(write_recs(path, &rs, &rs.meta, st, rs.n, rs.n, false) == 0);
		CHECK(stat(path, &sb) == 0);
		CHECK(truncate(path, sb.st_size - 40) == 0);
		o.partial = false;
		r = replay__open(path, &o, err, sizeof(err));
		CHECK(r == NULL);
		replay__close(r);
		o.partial = true;
		r = replay__open(path, &o, err, sizeof(err));
		CHECK(r != NULL);
		if (r) {
			CHECK(replay__warning(r) != NULL);
			replay__close(r);
		}
	}
	free_recs(&rs);
}

static void test_open_errors(void)
{
	struct replay_opts o = {.nodelay = -1, .partial = true};
	char err[512] = "";
	struct replay *r;

	r = replay__open(tmp_path("missing.trace"), &o, err, sizeof(err));
	CHECK(r == NULL);
	CHECK(has(err, "missing.trace"));
	r = replay__open_mem("not a trace", 11, "mem", &o, err, sizeof(err));
	CHECK(r == NULL);
	CHECK(has(err, "mem"));
	r = replay__open_mem("", 0, "empty", &o, err, sizeof(err));
	CHECK(r == NULL);
}

/* replay__open_mem on a fixture's bytes gives replay__open's frames. */
static void test_open_mem(const char *name)
{
	struct replay_opts o = {.view = VIEW_WIRE, .nodelay = -1};
	FILE *fp = fopen(data_path(name), "rb");
	struct replay *a, *b;
	char err[512] = "";
	struct pass pa, pb;
	__u8 *buf = NULL;
	long size;

	CHECK(fp != NULL);
	if (!fp)
		return;
	if (!fseek(fp, 0, SEEK_END) && (size = ftell(fp)) > 0 && !fseek(fp, 0, SEEK_SET)) {
		buf = malloc((size_t)size);
		if (buf && fread(buf, 1, (size_t)size, fp) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(fp);
	CHECK(buf != NULL);
	if (!buf)
		return;
	a = replay__open_mem(buf, (size_t)size, name, &o, err, sizeof(err));
	b = replay__open(data_path(name), &o, err, sizeof(err));
	CHECK(a != NULL && b != NULL);
	if (a && b) {
		CHECK(drain(a, &pa) == 0);
		CHECK(drain(b, &pb) == 0);
		CHECK(pa.len == pb.len && !memcmp(pa.bytes, pb.bytes, pa.len));
		free(pa.bytes);
		free(pb.bytes);
	}
	replay__close(a);
	replay__close(b);
	free(buf);
}

static void cleanup_tmpdir(void)
{
	static const char *const names[] = {"nosend.trace", "rewritten.trace"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(tmp_path(names[i]));
	CHECK(rmdir(tmpdir) == 0);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	devnull = fopen("/dev/null", "w");
	if (!devnull || find_data_dir()) {
		fprintf(stderr, "test_replay: no /dev/null or tests/data (set TSEND_TEST_DATA)\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		test_verify(fixtures[i]);
		test_determinism(fixtures[i], VIEW_DEVICE);
		test_determinism(fixtures[i], VIEW_WIRE);
		test_views(fixtures[i], i == 2);
		test_open_mem(fixtures[i]);
		test_rewritten(fixtures[i]);
	}
	test_no_send();
	test_open_errors();
	cleanup_tmpdir();
	fclose(devnull);
	return check_done("test_replay");
}
