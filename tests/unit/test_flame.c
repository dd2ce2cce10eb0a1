// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flame.c and flame_trace.c on traces built here: golden folded output for
 * stacks (kernel frames from KSYM records, user frames from this very
 * binary through a MAPS record and libelf), for the stackless send-path
 * graph, for latency weights, filters and a differential graph; what is
 * missing shows as such ("[unknown] 0x...", "[missed kernel stack]"), and a
 * damaged trace keeps what came before the damage.
 *
 * The golden files are tests/data/flame-*.folded; TSEND_UPDATE_GOLDEN=1
 * rewrites them (then read the diff).
 */
#include <errno.h>
#include <linux/types.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/tsend.h"
#include "tests/unit/check.h"
#include "userspace/flame_trace.h"
#include "userspace/symbolize.h"

#define US(x)	 (1000000000ULL + (x)*1000ULL)
#define SKB(n)	 (0xffff888010000000ULL + (n)*0x100ULL)
#define HEAD(n)	 (0xffff888020000000ULL + (n)*0x1000ULL)
#define SOCK	 0xffff888030000000ULL
#define KADDR(n) (0xffffffff81000000ULL + (n)*0x1000ULL)
#define PID	 4242

/* a function of this binary, for a user frame to resolve to */
__attribute__((noinline)) int flame_test_sender(int x)
{
	return x * 3 + 1;
}

static char path[64];
static struct trace_writer *w;

static void head(struct tsend_head *h, __u32 size, __u8 kind, __u8 stage, __u64 ts,
		 const char *comm)
{
	memset(h, 0, sizeof(*h));
	h->ts = ts;
	h->sk = SOCK;
	h->pid = PID;
	h->tid = PID;
	h->size = size;
	h->kind = kind;
	h->stage = stage;
	h->mech = TSEND_MECH_TP;
	snprintf(h->comm, sizeof(h->comm), "%s", comm);
}

static void begin(void)
{
	struct trace_meta m = {.abi_version = TSEND_ABI_VERSION, .nr_cpus = 1};
	static unsigned int n;

	/* a file each: two traces are open at once for a diff */
	snprintf(path, sizeof(path), "/tmp/tsend-test-flame-%d-%u", (int)getpid(), n++);
	w = trace_writer__open(path, &m);
	CHECK(w != NULL);
}

static void put(const void *rec)
{
	CHECK(trace_writer__append(w, rec, ((const struct tsend_head *)rec)->size) == 0);
}

/* The kernel's functions of these tests: KADDR(i) is names[i]. */
static const char *const knames[] = {
	"bpf_prog_0123456789abcdef_net_dev_start_xmit_raw", /* 0: the tracer's */
	"bpf_trace_run2",				    /* 1: the tracer's */
	"dev_hard_start_xmit",
	"__dev_queue_xmit",
	"ip_finish_output2",
	"__tcp_transmit_skb",
	"tcp_write_xmit",
	"tcp_sendmsg_locked",
	"__sys_sendto",
	"do_syscall_64",
	"e1000_xmit_frame", /* 10: in a module */
	"bpf_trampoline_6442548106",
	"bpf_prog_63d6ed7fecdd94c2___sys_sendto", /* 12: the tracer's */
	"__bpf_ringbuf_reserve",		  /* a helper it runs */
	"asm_common_interrupt",
	"tcp_ack",
};

static void put_ksyms(void)
{
	for (unsigned int i = 0; i < sizeof(knames) / sizeof(knames[0]); i++) {
		char buf[sizeof(struct tsend_ksym) + 128];
		struct tsend_ksym *k = (void *)buf;
		size_t nl = strlen(knames[i]), ml = i == 10 ? 6 : 0;

		head(&k->h, sizeof(*k) + nl + ml, TSEND_KIND_KSYM, 0, US(0), "");
		k->addr = KADDR(i);
		k->size = 0x800;
		k->name_len = nl;
		k->mod_len = ml;
		memcpy(k->name, knames[i], nl);
		memcpy(k->name + nl, "e1000e", ml);
		put(k);
	}
}

static void put_ips(__s32 id, bool user, const __u64 *ips, __u16 nr)
{
	char buf[sizeof(struct tsend_stack_ips) + 8 * TSEND_STACK_DEPTH];
	struct tsend_stack_ips *r = (void *)buf;

	head(&r->h, sizeof(*r) + 8 * nr, TSEND_KIND_STACK_IPS, 0, US(0), "");
	r->id = id;
	r->user = user;
	r->nr = nr;
	memcpy(r->ips, ips, 8 * nr);
	put(r);
}

static void put_maps(void)
{
	char buf[TRACE_RECORD_MAX + 1];
	struct tsend_maps *m = (void *)buf;
	int n = proc_maps_read(getpid(), m->text, sizeof(buf) - sizeof(*m));

	CHECK(n > 0);
	head(&m->h, sizeof(*m) + n, TSEND_KIND_MAPS, 0, US(0), "app");
	m->text_len = n;
	put(m);
}

static void put_stack(__u8 stage, __u64 ts, __u64 skb, __u16 dport, __s32 kid, __s32 uid,
		      const char *comm)
{
	struct tsend_stack_event e;

	head(&e.h, sizeof(e), TSEND_KIND_STACK, stage, ts, comm);
	e.h.skb = skb;
	e.h.sk = SOCK + dport;
	e.kstack_id = kid;
	e.ustack_id = uid;
	put(&e);
}

static void put_skb(__u8 stage, __u64 ts, unsigned int n, __u16 dport)
{
	struct tsend_skb_event e;

	memset(&e, 0, sizeof(e));
	head(&e.h, sizeof(e), TSEND_KIND_SKB, stage, ts, "app");
	e.h.skb = SKB(n);
	e.h.sk = SOCK + dport;
	e.flow.family = 2;
	e.flow.protocol = 6;
	e.flow.sport = 40000;
	e.flow.dport = dport;
	e.flow.saddr[0] = e.flow.daddr[0] = 127;
	e.flow.saddr[3] = e.flow.daddr[3] = 1;
	e.head = HEAD(n);
	e.len = 100;
	e.ifindex = 1;
	put(&e);
}

/* An skb through the device stages at t0 + offsets (µs). */
static void put_frame(unsigned int n, __u64 t0, __u16 dport)
{
	put_skb(TSEND_STAGE_NET_DEV_QUEUE, US(t0), n, dport);
	put_skb(TSEND_STAGE_NET_DEV_START_XMIT, US(t0 + 5), n, dport);
	put_skb(TSEND_STAGE_NET_DEV_XMIT, US(t0 + 7), n, dport);
	put_skb(TSEND_STAGE_CONSUME_SKB, US(t0 + 20), n, dport);
}

static struct trace_reader *end(void)
{
	char err[256];
	struct trace_reader *r;

	CHECK(trace_writer__close(w, NULL) == 0);
	r = trace_reader__open(path, err, sizeof(err));
	CHECK(r != NULL);
	unlink(path);
	return r;
}

/* The folded output of one trace (or two, diff) with options o. */
static char *folded(struct trace_reader *a, struct trace_reader *b,
		    const struct flame_trace_opts *o, struct flame_trace_result *res)
{
	struct flame *f = flame__new();
	char err[256], *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	CHECK(f && m);
	CHECK(flame_trace_read(f, a, 0, o, res, err, sizeof(err)) == 0);
	if (b)
		CHECK(flame_trace_read(f, b, 1, o, res, err, sizeof(err)) == 0);
	CHECK(flame__folded(f, m, b != NULL) == 0);
	fclose(m);
	flame__free(f);
	trace_reader__close(a);
	if (b)
		trace_reader__close(b);
	return out;
}

static void golden(const char *name, const char *got)
{
	char file[256], want[65536];
	size_t n = 0;
	FILE *f;

	/* run from the top of the tree, as make test does, or say where */
	snprintf(file, sizeof(file), "%s/flame-%s.folded",
		 getenv("TSEND_TEST_DATA") ? getenv("TSEND_TEST_DATA") : "tests/data", name);
	if (getenv("TSEND_UPDATE_GOLDEN")) {
		f = fopen(file, "w");
		CHECK(f && fputs(got, f) >= 0 && fclose(f) == 0);
		return;
	}
	f = fopen(file, "r");
	if (!f)
		fprintf(stderr, "%s: %s (run from the source tree's top, or set TSEND_TEST_DATA)\n",
			file, strerror(errno));
	CHECK(f != NULL);
	if (f) {
		n = fread(want, 1, sizeof(want) - 1, f);
		fclose(f);
	}
	want[n] = '\0';
	if (strcmp(want, got))
		fprintf(stderr, "%s differs; got:\n%s", file, got);
	CHECK(!strcmp(want, got));
}

/* A trace with stacks: the kernel stack at net_dev_start_xmit, and one at
 * send() with the user stack. */
static struct trace_reader *stacks_trace(void)
{
	/* innermost first, as bpf_get_stackid gives them */
	const __u64 xmit[] = {KADDR(0) + 4,    KADDR(1) + 8,	KADDR(2) + 0x10, KADDR(3) + 0x20,
			      KADDR(4) + 0x30, KADDR(5) + 0x40, KADDR(6) + 0x50, KADDR(7) + 0x60,
			      KADDR(8) + 0x70, KADDR(9) + 0x80};
	const __u64 drv[] = {KADDR(10) + 0x10, KADDR(2) + 0x10, 0xffffffffa0001234ULL,
			     KADDR(9) + 0x80};
	const __u64 user[] = {(__u64)(uintptr_t)flame_test_sender + 1, 0x10};

	begin();
	put_ksyms();
	put_maps();
	put_ips(1, false, xmit, 10);
	put_ips(2, true, user, 2);
	put_ips(3, false, drv, 4);
	/* each STACK record right after its stage's, as the BPF side emits them */
	put_stack(TSEND_STAGE_SYS_SENDTO, US(1), 0, 80, TSEND_STACK_NONE, 2, "app");
	put_skb(TSEND_STAGE_NET_DEV_QUEUE, US(10), 1, 80);
	put_skb(TSEND_STAGE_NET_DEV_START_XMIT, US(15), 1, 80);
	put_stack(TSEND_STAGE_NET_DEV_START_XMIT, US(15), SKB(1), 80, 1, TSEND_STACK_NONE, "app");
	put_skb(TSEND_STAGE_NET_DEV_XMIT, US(17), 1, 80);
	put_skb(TSEND_STAGE_CONSUME_SKB, US(30), 1, 80);
	put_skb(TSEND_STAGE_NET_DEV_QUEUE, US(30), 2, 80);
	put_stack(TSEND_STAGE_NET_DEV_QUEUE, US(30), SKB(2), 80, 3, TSEND_STACK_NONE,
		  "ksoftirqd/0");
	put_skb(TSEND_STAGE_NET_DEV_START_XMIT, US(35), 2, 80);
	put_stack(TSEND_STAGE_NET_DEV_START_XMIT, US(35), SKB(2), 80, 1, TSEND_STACK_NONE, "app");
	put_skb(TSEND_STAGE_NET_DEV_XMIT, US(39), 2, 80);
	put_skb(TSEND_STAGE_CONSUME_SKB, US(40), 2, 80);
	put_skb(TSEND_STAGE_NET_DEV_QUEUE, US(50), 3, 443);
	put_stack(TSEND_STAGE_NET_DEV_QUEUE, US(50), SKB(3), 443, 7, TSEND_STACK_NONE, "app");
	put_skb(TSEND_STAGE_NET_DEV_START_XMIT, US(55), 3, 443);
	put_stack(TSEND_STAGE_NET_DEV_START_XMIT, US(55), SKB(3), 443, -EEXIST, TSEND_STACK_NONE,
		  "app");
	put_skb(TSEND_STAGE_NET_DEV_XMIT, US(57), 3, 443);
	/* skb 3 is never freed: the recording ends first */
	return end();
}

static void test_stacks(void)
{
	struct flame_trace_opts o = {.mode = FLAME_AUTO};
	struct flame_trace_result res;
	char *got = folded(stacks_trace(), NULL, &o, &res);

	CHECK(res.mode == FLAME_STACKS);
	CHECK_EQ_U64(res.samples, 6);
	CHECK_EQ_U64(res.missed, 1);
	CHECK_EQ_U64(res.unresolved, 2); /* 0xffffffffa0001234, and the user 0x10 */
	/* the tracer's frames are gone, the user frame is this file's function */
	CHECK(got && !strstr(got, "bpf_prog_") && !strstr(got, "bpf_trace_run"));
	CHECK(got && strstr(got, "app;[unknown] 0x10;flame_test_sender 1\n"));
	golden("stacks", got);
	free(got);

	/* latency: what the skb spent from the sample's stage to its next */
	o.weight = FLAME_LATENCY;
	got = folded(stacks_trace(), NULL, &o, &res);
	/* skb 1: 15 → 17 µs, skb 2: 35 → 39 µs */
	CHECK(got && strstr(got, "dev_hard_start_xmit 6000\n"));
	CHECK(got && strstr(got, "e1000_xmit_frame 5000\n")); /* skb 2 queued 30 → 35 µs */
	golden("stacks-latency", got);
	free(got);

	/* filters: a stage, a comm, a flow */
	o.weight = FLAME_COUNT;
	o.stages = 1ULL << TSEND_STAGE_NET_DEV_QUEUE;
	got = folded(stacks_trace(), NULL, &o, &res);
	CHECK_EQ_U64(res.samples, 2);
	CHECK(got && !strstr(got, "tcp_write_xmit"));
	free(got);
	o.stages = 0;
	o.comm = "ksoftirqd/0";
	got = folded(stacks_trace(), NULL, &o, &res);
	CHECK_EQ_U64(res.samples, 1);
	CHECK(got && !strcmp(got, "ksoftirqd/0;do_syscall_64;[unknown] 0xffffffffa0001234;"
				  "dev_hard_start_xmit;e1000_xmit_frame 1\n"));
	free(got);
	o.comm = NULL;
	o.flow = ":443";
	got = folded(stacks_trace(), NULL, &o, &res);
	CHECK_EQ_U64(res.samples, 2);
	CHECK(got && strstr(got, "[missed kernel stack] 1\n") &&
	      strstr(got, "[unknown kernel stack] 1\n"));
	free(got);
	o.flow = NULL;
	o.have_pid = true;
	o.pid = PID + 1;
	got = folded(stacks_trace(), NULL, &o, &res);
	CHECK_EQ_U64(res.samples, 0);
	CHECK(got && !got[0]);
	free(got);
}

/* An fexit program on __sys_sendto runs it inside its trampoline: the
 * stack holds __sys_sendto twice around the trampoline, the graph once. */
static void test_trampoline(void)
{
	const __u64 ips[] = {KADDR(7) + 1, KADDR(8) + 2, KADDR(11) + 3, KADDR(8) + 4, KADDR(9) + 5};
	struct flame_trace_opts o = {.mode = FLAME_STACKS};
	struct flame_trace_result res;
	char *got;

	begin();
	put_ksyms();
	put_ips(5, false, ips, 5);
	put_stack(TSEND_STAGE_TCP_SENDMSG_LOCKED, US(1), 0, 80, 5, TSEND_STACK_NONE, "app");
	got = folded(end(), NULL, &o, &res);
	CHECK(got && !strcmp(got, "app;do_syscall_64;__sys_sendto;tcp_sendmsg_locked 1\n"));
	free(got);
}

/* An interrupt while our program on __sys_sendto ran, and a program in
 * it took this stack: the program and the helper it was in are cut, mid
 * stack as at the leaf. */
static void test_interrupted(void)
{
	const __u64 ips[] = {KADDR(0) + 1,  KADDR(1) + 1,  KADDR(15) + 1, KADDR(14) + 1,
			     KADDR(13) + 1, KADDR(12) + 1, KADDR(8) + 1,  KADDR(9) + 1};
	struct flame_trace_opts o = {.mode = FLAME_STACKS};
	struct flame_trace_result res;
	char *got;

	begin();
	put_ksyms();
	put_ips(6, false, ips, 8);
	put_stack(TSEND_STAGE_TCP_PROBE, US(1), 0, 80, 6, TSEND_STACK_NONE, "app");
	got = folded(end(), NULL, &o, &res);
	CHECK(got &&
	      !strcmp(got, "app;do_syscall_64;__sys_sendto;asm_common_interrupt;tcp_ack 1\n"));
	free(got);
}

static struct trace_reader *path_trace(unsigned int frames)
{
	begin();
	for (unsigned int i = 0; i < frames; i++)
		put_frame(i + 1, 100 * i, 80);
	return end();
}

static void test_path(void)
{
	struct flame_trace_opts o = {.weight = FLAME_LATENCY};
	struct flame_trace_result res;
	char *got = folded(path_trace(3), NULL, &o, &res);
	const char *xmit_one = "send;sock_sendmsg;inet_sendmsg;tcp_sendmsg;tcp_sendmsg_locked;"
			       "tcp_push_one;tcp_write_xmit;__tcp_transmit_skb;__ip_queue_xmit;"
			       "__ip_local_out;ip_output;__ip_finish_output;ip_finish_output2;"
			       "neigh_resolve_output;__dev_queue_xmit;net_dev_queue;qdisc_enqueue;"
			       "qdisc_dequeue;sch_direct_xmit;dev_hard_start_xmit;xmit_one";
	char line[1024];

	CHECK(res.mode == FLAME_PATH);
	CHECK_EQ_U64(res.samples, 3);
	/* 3 skbs: 5 µs queued, 2 µs in the driver, 13 µs until freed */
	snprintf(line, sizeof(line), "%s;net_dev_start_xmit 6000\n", xmit_one);
	CHECK(got && strstr(got, line));
	snprintf(line, sizeof(line), "%s;net_dev_xmit 39000\n", xmit_one);
	CHECK(got && strstr(got, line));
	golden("path", got);
	free(got);

	o.weight = FLAME_COUNT;
	o.stages = 1ULL << TSEND_STAGE_NET_DEV_XMIT | 1ULL << TSEND_STAGE_CONSUME_SKB;
	got = folded(path_trace(3), NULL, &o, &res);
	snprintf(line, sizeof(line), "consume_skb 3\n%s;net_dev_xmit 3\n", xmit_one);
	CHECK(got && !strcmp(got, line));
	free(got);

	/* diff: A has 3 skbs, B 5 */
	o.stages = 0;
	o.weight = FLAME_LATENCY;
	got = folded(path_trace(3), path_trace(5), &o, &res);
	snprintf(line, sizeof(line), "%s;net_dev_xmit 39000 65000\n", xmit_one);
	CHECK(got && strstr(got, line));
	golden("path-diff", got);
	free(got);
}

/* A trace damaged after its first block: what came before is drawn. */
static void test_damaged(void)
{
	struct flame_trace_opts o = {.weight = FLAME_LATENCY};
	struct flame_trace_result res;
	struct flame *f = flame__new();
	struct trace_reader *r;
	char err[256];
	FILE *fp;
	long size;

	begin();
	put_frame(1, 0, 80);
	CHECK(trace_writer__flush(w) == 0);
	put_frame(2, 100, 80);
	CHECK(trace_writer__close(w, NULL) == 0);
	fp = fopen(path, "r+");
	CHECK(fp != NULL);
	if (!fp)
		return;
	CHECK(fseek(fp, 0, SEEK_END) == 0);
	size = ftell(fp);
	CHECK(fseek(fp, size - 60, SEEK_SET) == 0 && fputc('X', fp) != EOF && fclose(fp) == 0);
	r = trace_reader__open(path, err, sizeof(err));
	CHECK(r != NULL);
	CHECK(flame_trace_read(f, r, 0, &o, &res, err, sizeof(err)) == -EBADMSG);
	CHECK(strstr(err, "offset") != NULL);
	/* the first skb, cut off before its ACK or not, is there */
	CHECK(flame__total(f, 0) >= 20000);
	trace_reader__close(r);
	flame__free(f);
	unlink(path);
}

static void test_layers(void)
{
	CHECK(flame_layer_of("tcp_write_xmit", false) == FLAME_TCP);
	CHECK(flame_layer_of("__ip_queue_xmit", false) == FLAME_IP);
	CHECK(flame_layer_of("__dev_queue_xmit", false) == FLAME_QDISC);
	CHECK(flame_layer_of("dev_hard_start_xmit", false) == FLAME_QDISC);
	CHECK(flame_layer_of("e1000_xmit_frame", false) == FLAME_DRIVER);
	CHECK(flame_layer_of("loopback_xmit", false) == FLAME_DRIVER);
	CHECK(flame_layer_of("__sys_sendto", false) == FLAME_SYSCALL);
	CHECK(flame_layer_of("entry_SYSCALL_64_after_hwframe", false) == FLAME_SYSCALL);
	CHECK(flame_layer_of("handle_softirqs", false) == FLAME_KERNEL);
	CHECK(flame_layer_of("main", true) == FLAME_USER);
	CHECK(flame_layer_of("[unknown] 0x10", true) == FLAME_MISSING);
}

int main(void)
{
	CHECK(flame_test_sender(1) == 4);
	test_layers();
	test_stacks();
	test_trampoline();
	test_interrupted();
	test_path();
	test_damaged();
	return check_done("flame");
}
