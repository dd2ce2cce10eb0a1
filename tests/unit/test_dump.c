// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dump_record()/dump_header() on records built in memory: exact text lines,
 * JSON that parses, and malformed records reported instead of read past.
 * Every record is handed over in a buffer of exactly its length, so ASan
 * catches any byte read beyond it.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check.h"
#include "userspace/dump.h"

#define START_NS 1000000000ULL
#define SKB_A	 0xffff888004a1c200ULL
#define SK_A	 0xffff888003f20000ULL

static struct trace_meta meta = {
	.abi_version = TSEND_ABI_VERSION,
	.snaplen = 128,
	.nr_cpus = 4,
	.realtime_offset = 1700000000000000000LL,
	.start_ns = START_NS,
	.kernel_release = "6.1.0-18-amd64",
	.hostname = "guest",
	.cmdline = "tsend-trace record -o t.tsend",
};

static struct tsend_flow flow4(void)
{
	struct tsend_flow f = {.family = AF_INET, .protocol = 6, .sport = 5000, .dport = 80};

	inet_pton(AF_INET, "10.0.0.1", f.saddr);
	inet_pton(AF_INET, "10.0.0.2", f.daddr);
	return f;
}

static struct tsend_flow flow6(void)
{
	struct tsend_flow f = {.family = AF_INET6, .protocol = 6, .sport = 443, .dport = 5555};

	inet_pton(AF_INET6, "2001:db8::1", f.saddr);
	inet_pton(AF_INET6, "2001:db8::2", f.daddr);
	return f;
}

static void fill_head(struct tsend_head *h, __u32 size, __u8 stage, __u8 kind, __u8 phase,
		      __u8 mech, __u64 ts)
{
	h->ts = ts;
	h->sk = SK_A;
	h->skb = SKB_A;
	h->pid = 4242;
	h->tid = 4243;
	h->size = size;
	h->stage = stage;
	h->kind = kind;
	h->phase = phase;
	h->mech = mech;
	h->cpu = 2;
	strcpy(h->comm, "curl");
}

/* An skb record with snap_len bytes 0, 1, 2 ... after it; returns its size. */
static __u32 make_skb(void *buf, __u8 stage, __u64 ts, __u16 snap_len)
{
	struct tsend_skb_event e = {};
	__u8 *p = buf;

	fill_head(&e.h, sizeof(e) + snap_len, stage, TSEND_KIND_SKB, TSEND_PHASE_ENTRY,
		  TSEND_MECH_TP_BTF, ts);
	e.flow = flow4();
	e.head = 0xffff888005000000ULL;
	e.len = 1514;
	e.seq = 1;
	e.end_seq = 1449;
	e.tcp_flags = 0x18; /* PSH ACK */
	e.seq_valid = 1;
	e.ifindex = 2;
	e.csum = 4; /* 1 + CHECKSUM_PARTIAL */
	e.snap_len = snap_len;
	memcpy(p, &e, sizeof(e));
	for (__u32 i = 0; i < snap_len; i++)
		p[sizeof(e) + i] = i;
	return e.h.size;
}

static __u32 make_send(void *buf, __u8 phase, __u64 ts, __u16 payload_len)
{
	struct tsend_send_event e = {};
	__u8 *p = buf;

	fill_head(&e.h, sizeof(e) + payload_len, TSEND_STAGE_SYS_SENDTO, TSEND_KIND_SEND, phase,
		  phase ? TSEND_MECH_FEXIT : TSEND_MECH_FENTRY, ts);
	e.h.skb = 0;
	e.flow = flow4();
	e.size = 40;
	e.fd = 3;
	e.flags = 0x40; /* MSG_DONTWAIT */
	e.ret = phase ? 40 : 0;
	e.payload_len = payload_len;
	memcpy(p, &e, sizeof(e));
	for (__u32 i = 0; i < payload_len; i++)
		p[sizeof(e) + i] = 'a' + i % 26;
	return e.h.size;
}

/* A DATA record: bytes [offset, offset + data_len) of a send(), each
 * (offset + i) & 0xff; returns its size. */
static __u32 make_data(void *buf, __u64 ts, __u64 offset, __u16 data_len)
{
	struct tsend_data_event e = {};
	__u8 *p = buf;

	fill_head(&e.h, sizeof(e) + data_len, TSEND_STAGE_SYS_SENDMSG, TSEND_KIND_DATA,
		  TSEND_PHASE_EXIT, TSEND_MECH_TP, ts);
	e.h.skb = 0;
	e.offset = offset;
	e.data_len = data_len;
	memcpy(p, &e, sizeof(e));
	for (__u32 i = 0; i < data_len; i++)
		p[sizeof(e) + i] = (offset + i) & 0xff;
	return e.h.size;
}

static __u32 make_tcp(void *buf, __u64 ts)
{
	struct tsend_tcp_event e = {};

	fill_head(&e.h, sizeof(e), TSEND_STAGE_TCP_SENDMSG_LOCKED, TSEND_KIND_TCP,
		  TSEND_PHASE_ENTRY, TSEND_MECH_KPROBE, ts);
	e.flow = flow6();
	e.snd_nxt = 1001;
	e.snd_una = 1;
	e.snd_cwnd = 10;
	e.snd_wnd = 65535;
	e.srtt_us = 800; /* 100 us, << 3 */
	e.mss_cache = 1428;
	e.packets_out = 1;
	e.size_goal = 14280;
	e.msg_left = 500;
	e.skb_seq = 1;
	e.skb_end_seq = 1001;
	e.skb_len = 1000;
	e.state = 1;
	memcpy(buf, &e, sizeof(e));
	return e.h.size;
}

/* dump_record() of rec copied into an exact-size heap buffer, as a string. */
static char *dump(const void *rec, __u32 len, bool json, int *rc)
{
	void *copy = malloc(len ? len : 1);
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	memcpy(copy, rec, len);
	*rc = dump_record(f, copy, len, &meta, json);
	fclose(f);
	free(copy);
	return s;
}

/*
 * A small JSON validator (RFC 8259 grammar, no UTF-8 check, keys unique
 * within an object): enough to prove every line is one well-formed value.
 */
static const char *j_value(const char *p, int depth);

static const char *j_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *j_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
					return NULL;
			p += 4;
		} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
			return NULL;
		}
	}
	return p + 1;
}

static const char *j_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		const char *q = ++p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == q)
			return NULL;
	}
	return p;
}

/* Was the key at k (a JSON string of n bytes) seen before in keys[]? */
static bool j_dup_key(const char **keys, const size_t *lens, int nr, const char *k, size_t n)
{
	for (int i = 0; i < nr; i++)
		if (lens[i] == n && !strncmp(keys[i], k, n))
			return true;
	return false;
}

/* Members of an object (keys unique) or elements of an array. */
static const char *j_members(const char *p, int depth, char close, bool obj)
{
	const char *keys[64];
	size_t lens[64];
	int nr = 0;

	p = j_ws(p);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			const char *k = j_ws(p);

			p = j_string(k);
			if (!p || nr == 64 || j_dup_key(keys, lens, nr, k, p - k))
				return NULL;
			keys[nr] = k;
			lens[nr++] = p - k;
			if (*(p = j_ws(p)) != ':')
				return NULL;
			p++;
		}
		p = j_value(p, depth + 1);
		if (!p)
			return NULL;
		p = j_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *j_value(const char *p, int depth)
{
	if (depth > 32)
		return NULL;
	p = j_ws(p);
	if (*p == '{')
		return j_members(p + 1, depth, '}', true);
	if (*p == '[')
		return j_members(p + 1, depth, ']', false);
	if (*p == '"')
		return j_string(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	return j_number(p);
}

static int count_str(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* s is one JSON value and a newline, nothing else. */
static bool json_line_ok(const char *s)
{
	const char *end = s ? j_value(s, 0) : NULL;

	return end && !strcmp(end, "\n");
}

static void test_text_skb(void)
{
	__u8 buf[512];
	__u32 len = make_skb(buf, TSEND_STAGE_NET_DEV_START_XMIT, START_NS + 1234567, 64);
	int rc;
	char *s = dump(buf, len, false, &rc);

	CHECK(rc == 0);
	CHECK(s && !strcmp(s, "   0.001234   2 curl:4243 net_dev_start_xmit tp_btf "
			      "10.0.0.1:5000>10.0.0.2:80 skb=ffff888004a1c200 "
			      "seq=1-1449 len=1514 [P.] if=2 csum=partial snap=64\n"));
	free(s);

	/* net_dev_xmit shows its rc, kfree_skb its reason, GSO its size */
	len = make_skb(buf, TSEND_STAGE_KFREE_SKB, START_NS + 2000000001ULL, 0);
	((struct tsend_skb_event *)buf)->ret = 2;
	((struct tsend_skb_event *)buf)->gso_size = 1448;
	((struct tsend_skb_event *)buf)->gso_segs = 3;
	((struct tsend_skb_event *)buf)->tcp_flags = 0x13; /* FIN SYN ACK */
	s = dump(buf, len, false, &rc);
	CHECK(rc == 0);
	CHECK(s && strstr(s, "   2.000000   2 curl:4243 kfree_skb tp_btf "));
	CHECK(s && strstr(s, " seq=1-1449 len=1514 [FS.] if=2 gso=1448x3 reason=2 "
			     "csum=partial\n"));
	free(s);

	/* before the start: negative time; no sequence range: no flags */
	len = make_skb(buf, TSEND_STAGE_NET_DEV_XMIT, START_NS - 10000, 0);
	((struct tsend_skb_event *)buf)->seq_valid = 0;
	((struct tsend_skb_event *)buf)->ifindex = 0;
	((struct tsend_skb_event *)buf)->csum = 0; /* not read: not shown */
	s = dump(buf, len, false, &rc);
	CHECK(s && !strcmp(s, "  -0.000010   2 curl:4243 net_dev_xmit tp_btf "
			      "10.0.0.1:5000>10.0.0.2:80 skb=ffff888004a1c200 "
			      "len=1514 ret=0\n"));
	free(s);
}

static void test_text_send(void)
{
	__u8 buf[512];
	__u32 len = make_send(buf, TSEND_PHASE_ENTRY, START_NS + 5, 40);
	int rc;
	char *s = dump(buf, len, false, &rc);

	CHECK(rc == 0);
	/* 40 payload bytes: the first 32 as hex, then an ellipsis */
	CHECK(s && !strcmp(s, "   0.000000   2 curl:4243 __sys_sendto fentry "
			      "10.0.0.1:5000>10.0.0.2:80 fd=3 size=40 flags=0x40 "
			      "payload=6162636465666768696a6b6c6d6e6f70"
			      "7172737475767778797a616263646566…\n"));
	free(s);

	len = make_send(buf, TSEND_PHASE_EXIT, START_NS + 1000, 3);
	s = dump(buf, len, false, &rc);
	CHECK(s && !strcmp(s, "   0.000001   2 curl:4243 __sys_sendto ret fexit "
			      "10.0.0.1:5000>10.0.0.2:80 fd=3 size=40 flags=0x40 "
			      "ret=40 payload=616263\n"));
	free(s);
}

static void test_text_data(void)
{
	__u8 buf[TSEND_DATA_EVENT_SIZE + TSEND_CHUNK_MAX];
	__u32 len = make_data(buf, START_NS + 7000, 1024, TSEND_CHUNK_MAX);
	int rc;
	char *s = dump(buf, len, false, &rc);

	CHECK(len == TSEND_DATA_EVENT_SIZE + TSEND_CHUNK_MAX);
	CHECK(rc == 0);
	/* where the bytes sit in the send(), then the first 32 of them */
	CHECK(s && !strcmp(s, "   0.000007   2 curl:4243 __sys_sendmsg ret tracepoint "
			      "data off=1024 len=4096 payload=000102030405060708090a0b0c0d0e0f"
			      "101112131415161718191a1b1c1d1e1f…\n"));
	free(s);

	/* a short last chunk: all of it, no ellipsis */
	len = make_data(buf, START_NS, 70000, 3);
	s = dump(buf, len, false, &rc);
	CHECK(rc == 0);
	CHECK(s && strstr(s, " data off=70000 len=3 payload=707172\n"));
	free(s);

	/* no bytes: no payload field */
	len = make_data(buf, START_NS, 5, 0);
	s = dump(buf, len, false, &rc);
	CHECK(rc == 0);
	CHECK(s && strstr(s, " data off=5 len=0\n"));
	free(s);
}

static void test_text_tcp(void)
{
	__u8 buf[512];
	__u32 len = make_tcp(buf, START_NS + 3000000);
	int rc;
	char *s = dump(buf, len, false, &rc);

	CHECK(rc == 0);
	CHECK(s && !strcmp(s, "   0.003000   2 curl:4243 tcp_sendmsg_locked kprobe "
			      "[2001:db8::1]:443>[2001:db8::2]:5555 nxt=1001 una=1 "
			      "cwnd=10 wnd=65535 srtt=100us mss=1428 out=1 "
			      "goal=14280 left=500 skb=ffff888004a1c200 seq=1-1001 "
			      "len=1000\n"));
	free(s);
}

/* Values this build does not know are printed as numbers, not looked up. */
static void test_unknown_values(void)
{
	__u8 buf[512];
	struct tsend_head *h = (struct tsend_head *)buf;
	int rc;
	char *s;

	memset(buf, 0, sizeof(buf));
	fill_head(h, 64, 200, 77, 9, 99, START_NS);
	s = dump(buf, 64, false, &rc);
	CHECK(rc == 0);
	CHECK(s && !strcmp(s, "   0.000000   2 curl:4243 200 phase=9 99 "
			      "kind=77 size=64\n"));
	free(s);
	s = dump(buf, 64, true, &rc);
	CHECK(json_line_ok(s));
	CHECK(s && strstr(s, "\"stage\":200,\"stage_id\":200,\"phase\":9,"
			     "\"mech\":99,\"mech_id\":99,\"kind\":77,"
			     "\"kind_id\":77,\"rec_size\":64,"));
	free(s);
}

static void test_json_skb(void)
{
	__u8 buf[512];
	__u32 len = make_skb(buf, TSEND_STAGE_NET_DEV_START_XMIT, START_NS + 1234567, 3);
	char want[1024];
	int rc;
	char *s = dump(buf, len, true, &rc);

	/* stage ids follow bpf/tsend.h: take them from there */
	snprintf(want, sizeof(want),
		 "{\"ts_ns\":1001234567,\"ts_rel\":0.001234567,"
		 "\"realtime_ns\":1700000001001234567,\"cpu\":2,\"pid\":4242,"
		 "\"tid\":4243,\"comm\":\"curl\",\"stage\":\"net_dev_start_xmit\","
		 "\"stage_id\":%d,\"phase\":\"entry\",\"mech\":\"tp_btf\","
		 "\"mech_id\":%d,\"kind\":\"skb\",\"kind_id\":3,\"rec_size\":155,"
		 "\"sk\":\"0xffff888003f20000\",\"skb\":\"0xffff888004a1c200\","
		 "\"flow\":{\"family\":2,\"protocol\":6,\"saddr\":\"10.0.0.1\","
		 "\"sport\":5000,\"daddr\":\"10.0.0.2\",\"dport\":80},"
		 "\"head\":\"0xffff888005000000\",\"len\":1514,\"data_len\":0,"
		 "\"seq\":1,\"end_seq\":1449,\"ack_seq\":0,\"gso_type\":0,"
		 "\"gso_size\":0,\"gso_segs\":0,\"ifindex\":2,\"ret\":0,"
		 "\"queue\":0,\"tcp_flags\":24,\"seq_valid\":true,"
		 "\"csum\":\"partial\",\"csum_id\":4,"
		 "\"snap_len\":3,\"snap\":\"000102\"}\n",
		 TSEND_STAGE_NET_DEV_START_XMIT, TSEND_MECH_TP_BTF);
	CHECK(rc == 0);
	CHECK(json_line_ok(s));
	CHECK(s && !strcmp(s, want));
	free(s);
}

static void test_json_send_tcp(void)
{
	__u8 buf[512];
	__u32 len = make_send(buf, TSEND_PHASE_EXIT, START_NS - 1, 2);
	int rc;
	char *s = dump(buf, len, true, &rc);

	CHECK(rc == 0);
	CHECK(json_line_ok(s));
	CHECK(s && strstr(s, "\"ts_rel\":-0.000000001,"));
	CHECK(s && strstr(s, "\"phase\":\"exit\","));
	/* one "size" only: the head's is rec_size */
	CHECK(count_str(s, "\"size\":") == 1);
	CHECK(s && strstr(s, "\"ret\":40,\"size\":40,\"fd\":3,\"flags\":64,"
			     "\"payload_len\":2,\"payload\":\"6162\"}\n"));
	free(s);

	len = make_tcp(buf, START_NS);
	s = dump(buf, len, true, &rc);
	CHECK(json_line_ok(s));
	CHECK(s && strstr(s, "\"saddr\":\"2001:db8::1\",\"sport\":443,"
			     "\"daddr\":\"2001:db8::2\",\"dport\":5555}"));
	CHECK(s && strstr(s, "\"srtt_us\":800,"));
	CHECK(s && strstr(s, "\"state\":\"ESTABLISHED\",\"state_id\":1,"
			     "\"nonagle\":0,\"owned\":0,\"pacing_rate\":0,"));
	CHECK(s && strstr(s, "\"ca_state\":0,\"sacked_out\":0,\"lost_out\":0}\n"));
	free(s);
}

static void test_json_data(void)
{
	__u8 buf[TSEND_DATA_EVENT_SIZE + TSEND_CHUNK_MAX];
	__u32 len = make_data(buf, START_NS + 1, 4294967296ULL, 4);
	char want[256];
	int rc;
	char *s = dump(buf, len, true, &rc);

	CHECK(rc == 0);
	CHECK(json_line_ok(s));
	snprintf(want, sizeof(want),
		 "\"stage\":\"__sys_sendmsg\",\"stage_id\":%d,\"phase\":\"exit\","
		 "\"mech\":\"tracepoint\",\"mech_id\":%d,\"kind\":\"data\",\"kind_id\":4,"
		 "\"rec_size\":76,",
		 TSEND_STAGE_SYS_SENDMSG, TSEND_MECH_TP);
	CHECK(s && strstr(s, want));
	/* a 64-bit offset; every byte, not only the first ones */
	CHECK(s && strstr(s, "\"skb\":\"0x0\",\"offset\":4294967296,\"data_len\":4,"
			     "\"data\":\"00010203\"}\n"));
	free(s);

	/* a whole chunk: 4096 bytes as 8192 hex digits */
	len = make_data(buf, START_NS, 0, TSEND_CHUNK_MAX);
	s = dump(buf, len, true, &rc);
	CHECK(rc == 0);
	CHECK(json_line_ok(s));
	CHECK(s && strstr(s, "\"data_len\":4096,\"data\":\"000102"));
	CHECK(s && strstr(s, "fdfeff\"}\n"));
	free(s);
}

/* csum: named when known; in JSON only for a trace of ABI 3 or later. */
static void test_csum(void)
{
	__u8 buf[512];
	__u32 len = make_skb(buf, TSEND_STAGE_NET_DEV_START_XMIT, START_NS, 0);
	struct trace_meta old = meta;
	char *s = NULL;
	size_t n = 0;
	FILE *f;
	int rc;

	((struct tsend_skb_event *)buf)->csum = 9; /* a value this build does not know */
	s = dump(buf, len, false, &rc);
	CHECK(s && strstr(s, " if=2 csum=9\n"));
	free(s);
	s = dump(buf, len, true, &rc);
	CHECK(json_line_ok(s));
	CHECK(s && strstr(s, "\"csum\":9,\"csum_id\":9,"));
	free(s);

	((struct tsend_skb_event *)buf)->csum = 1; /* CHECKSUM_NONE */
	s = dump(buf, len, false, &rc);
	CHECK(s && strstr(s, " if=2 csum=none\n"));
	free(s);

	/* an ABI 2 trace had no csum: its lines stay what they were */
	old.abi_version = 2;
	((struct tsend_skb_event *)buf)->csum = 0;
	f = open_memstream(&s, &n);
	CHECK(dump_record(f, buf, len, &old, true) == 0);
	fclose(f);
	CHECK(json_line_ok(s));
	CHECK(s && !strstr(s, "csum"));
	CHECK(s && strstr(s, "\"seq_valid\":true,\"snap_len\":0,"));
	free(s);
	/* no meta: this build's ABI */
	f = open_memstream(&s, &n);
	CHECK(dump_record(f, buf, len, NULL, true) == 0);
	fclose(f);
	CHECK(s && strstr(s, "\"csum\":0,\"csum_id\":0,"));
	free(s);
}

/* comm is 16 bytes of anything, not even NUL-terminated. */
static void test_comm_escaping(void)
{
	static const char comm[TSEND_COMM_LEN] = {
		'a',	    '"', 'b', '\\', 'c', 0x01, (char)0xff, (char)0xc3,
		(char)0xa9, ' ', 'x', 0x7f, 'y', 'z',  'w',	   (char)0xe2,
	};
	__u8 buf[512];
	__u32 len = make_skb(buf, TSEND_STAGE_CONSUME_SKB, START_NS, 0);
	int rc;
	char *s;

	memcpy(((struct tsend_head *)buf)->comm, comm, sizeof(comm));
	s = dump(buf, len, true, &rc);
	CHECK(json_line_ok(s));
	/* é (c3 a9) is valid UTF-8; 0xff and the cut-off e2 are not */
	CHECK(s && strstr(s, "\"comm\":\"a\\\"b\\\\c\\u0001\\ufffd\xc3\xa9 "
			     "x\\u007fyzw\\ufffd\","));
	free(s);
	s = dump(buf, len, false, &rc);
	CHECK(s && !strncmp(s, "   0.000000   2 a\"b\\c?????x?yzw?:4243 ", 38));
	free(s);
}

static void test_malformed(void)
{
	__u8 buf[512];
	__u32 len;
	int rc;
	char *s;

	len = make_skb(buf, TSEND_STAGE_NET_DEV_START_XMIT, START_NS, 16);
	s = dump(buf, 10, false, &rc);
	CHECK(rc == -EINVAL);
	CHECK(s && !strcmp(s, "          - malformed: shorter than the record "
			      "head (len=10)\n"));
	free(s);
	s = dump(buf, 10, true, &rc);
	CHECK(rc == -EINVAL);
	CHECK(s && !strcmp(s, "{\"malformed\":\"shorter than the record head\","
			      "\"len\":10}\n"));
	free(s);

	/* head.size says 168, the record has 100 bytes */
	s = dump(buf, 100, false, &rc);
	CHECK(rc == -EINVAL);
	CHECK(s && !strcmp(s, "   0.000000   2 curl:4243 net_dev_start_xmit tp_btf "
			      "malformed: head.size is not the record length "
			      "(size=168 len=100 kind=3)\n"));
	free(s);

	/* consistent sizes, but shorter than the skb struct */
	((struct tsend_head *)buf)->size = 100;
	s = dump(buf, 100, true, &rc);
	CHECK(rc == -EINVAL);
	CHECK(json_line_ok(s));
	CHECK(s && strstr(s, "{\"malformed\":\"shorter than its kind's struct\","
			     "\"len\":100,\"ts_ns\":1000000000,"));
	free(s);

	/* snap_len claims 16 bytes, only 15 follow */
	((struct tsend_head *)buf)->size = len - 1;
	s = dump(buf, len - 1, false, &rc);
	CHECK(rc == -EINVAL);
	CHECK(s && strstr(s, "malformed: snap_len runs past the record "
			     "(size=167 len=167 kind=3)\n"));
	free(s);

	len = make_send(buf, TSEND_PHASE_ENTRY, START_NS, 5);
	((struct tsend_head *)buf)->size = len - 5;
	s = dump(buf, len - 5, true, &rc);
	CHECK(rc == -EINVAL);
	CHECK(json_line_ok(s));
	CHECK(s && strstr(s, "\"payload_len runs past the record\""));
	free(s);

	/* a DATA record shorter than its struct, or data_len past its end */
	len = make_data(buf, START_NS, 1024, 10);
	((struct tsend_head *)buf)->size = TSEND_DATA_EVENT_SIZE - 1;
	s = dump(buf, TSEND_DATA_EVENT_SIZE - 1, false, &rc);
	CHECK(rc == -EINVAL);
	CHECK(s &&
	      strstr(s, "malformed: shorter than its kind's struct (size=71 len=71 kind=4)\n"));
	free(s);
	((struct tsend_head *)buf)->size = len - 1;
	s = dump(buf, len - 1, false, &rc);
	CHECK(rc == -EINVAL);
	CHECK(s && strstr(s, "malformed: data_len runs past the record (size=81 len=81 kind=4)\n"));
	free(s);
	s = dump(buf, len - 1, true, &rc);
	CHECK(rc == -EINVAL);
	CHECK(json_line_ok(s));
	CHECK(s && strstr(s, "{\"malformed\":\"data_len runs past the record\",\"len\":81,"));
	free(s);
	/* bytes after data[] are allowed, as after snap and payload */
	((struct tsend_head *)buf)->size = len;
	((struct tsend_data_event *)buf)->data_len = 2;
	s = dump(buf, len, false, &rc);
	CHECK(rc == 0);
	CHECK(s && strstr(s, " data off=1024 len=2 payload=0001\n"));
	free(s);

	/* a tcp record one byte short of its struct as ABI 1 wrote it */
	make_tcp(buf, START_NS);
	((struct tsend_head *)buf)->size = TSEND_TCP_EVENT_SIZE_V1 - 1;
	s = dump(buf, TSEND_TCP_EVENT_SIZE_V1 - 1, false, &rc);
	CHECK(rc == -EINVAL);
	CHECK(s && strstr(s, "shorter than its kind's struct (size=167 len=167 kind=2)"));
	free(s);

	/* an ABI 1 tcp record: read, the fields it lacks are zero */
	((struct tsend_head *)buf)->size = TSEND_TCP_EVENT_SIZE_V1;
	s = dump(buf, TSEND_TCP_EVENT_SIZE_V1, true, &rc);
	CHECK(rc == 0);
	CHECK(s && strstr(s, "\"skb_ack_seq\":0,\"skb_tcp_flags\":0"));
	free(s);
}

/* Every record prefix and every bit flip of the header: no crash, 1 line. */
static void test_truncations(void)
{
	__u8 skb[512], data[512];
	const struct {
		__u8 *buf;
		__u32 len;
	} recs[] = {
		{skb, make_skb(skb, TSEND_STAGE_NET_DEV_START_XMIT, START_NS, 8)},
		{data, make_data(data, START_NS, 1024, 40)},
	};
	int rc, bad = 0;

	for (size_t r = 0; r < sizeof(recs) / sizeof(recs[0]); r++) {
		for (__u32 n = 0; n <= recs[r].len; n++) {
			for (int json = 0; json < 2; json++) {
				char *s = dump(recs[r].buf, n, json, &rc);
				char *nl = s ? strchr(s, '\n') : NULL;

				if (!nl || nl[1] || (json && !json_line_ok(s)) ||
				    (rc != 0) != (n != recs[r].len))
					bad++;
				free(s);
			}
		}
	}
	CHECK(bad == 0);
}

static void test_header(void)
{
	struct trace_meta *m = calloc(1, sizeof(*m));
	struct trace_stats *st = calloc(1, sizeof(*st));
	char *s = NULL;
	size_t n = 0;
	FILE *f;

	*m = meta;
	m->nr_probes = 2;
	m->probes[0] = (struct trace_probe){TSEND_STAGE_SYS_SENDTO, TSEND_MECH_FENTRY, 0,
					    "__sys_sendto",	    "__sys_sendto",    ""};
	m->probes[1] = (struct trace_probe){
		TSEND_STAGE_IP_FINISH_OUTPUT2,	   TSEND_MECH_NONE, 0, "ip_finish_output2", "",
		"not attached: \"kprobe\" blocked"};
	st->records = 12;
	st->end_ns = START_NS + 2500000000ULL;
	st->nr_cpus = 4;
	st->lost[1] = 2;
	st->lost[3] = 5;
	st->untracked[0] = 1;

	f = open_memstream(&s, &n);
	CHECK(dump_header(f, m, st, false) == 0);
	fclose(f);
	CHECK(s && !strcmp(s, "kernel:   6.1.0-18-amd64\n"
			      "host:     guest\n"
			      "started:  2023-11-14 22:13:21.000000 UTC (monotonic 1.000000)\n"
			      "command:  tsend-trace record -o t.tsend\n"
			      "snaplen:  128 bytes, payload 0 bytes, 4 cpus, abi 4\n"
			      "end:      12 records in 2.500000 s, 7 lost, 1 untracked\n"
			      "probes:   2\n"
			      "  func                       mechanism  target (detail below)\n"
			      "  __sys_sendto               fentry     __sys_sendto\n"
			      "  ip_finish_output2          none       -\n"
			      "      not attached: \"kprobe\" blocked\n"));
	free(s);

	f = open_memstream(&s, &n);
	CHECK(dump_header(f, m, NULL, true) == 0);
	fclose(f);
	CHECK(json_line_ok(s));
	CHECK(s && strstr(s, "\"detail\":\"not attached: \\\"kprobe\\\" blocked\"}],"
			     "\"stats\":null}\n"));
	free(s);

	f = open_memstream(&s, &n);
	CHECK(dump_header(f, m, st, true) == 0);
	fclose(f);
	CHECK(json_line_ok(s));
	CHECK(s && strstr(s, "\"lost\":7,\"untracked\":1,\"kstack_lost\":0,\"ustack_lost\":0,\"lost_per_cpu\":"
			     "{\"1\":2,\"3\":5},\"untracked_per_cpu\":{\"0\":1}}"));
	free(s);

	/* --payload all is stored as UINT32_MAX */
	m->payload_len = UINT32_MAX;
	f = open_memstream(&s, &n);
	CHECK(dump_header(f, m, NULL, false) == 0);
	fclose(f);
	CHECK(s && strstr(s, "snaplen:  128 bytes, payload all, 4 cpus, abi 4\n"));
	free(s);
	f = open_memstream(&s, &n);
	CHECK(dump_header(f, m, NULL, true) == 0);
	fclose(f);
	CHECK(s && strstr(s, "\"payload_len\":4294967295,"));
	free(s);

	/* strings without their NUL, counts out of range: still bounded */
	memset(m->hostname, 'h', sizeof(m->hostname));
	m->nr_probes = 1000;
	st->nr_cpus = 1U << 31;
	f = fopen("/dev/null", "w");
	CHECK(dump_header(f, m, st, false) == 0);
	CHECK(dump_header(f, m, st, true) == 0);
	fclose(f);
	free(st);
	free(m);
}

int main(void)
{
	test_text_skb();
	test_text_send();
	test_text_data();
	test_text_tcp();
	test_unknown_values();
	test_json_skb();
	test_json_send_tcp();
	test_json_data();
	test_csum();
	test_comm_escaping();
	test_malformed();
	test_truncations();
	test_header();
	return check_done("dump");
}
