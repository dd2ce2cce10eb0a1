// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One table decides how each stage of the seed's call tree is watched
 * (docs/architecture.md). Probing follows libbpf-tools' trace_helpers.c:
 * fentry is tried for real (a program is loaded and attached), kprobes need
 * the kprobe PMU or kprobe_events plus the symbol in
 * available_filter_functions, tracepoints need their btf_trace_* type.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../bpf/tsend.h"
#include "probes.h"
#include "stages.h"

#define TRACEFS	      "/sys/kernel/tracing"
#define TRACEFS_MAGIC 0x74726163
#define MAX_ALTS      5

/* One way to watch a row: a program, and its exit twin where it has one. */
struct probe_alt {
	__u8 mech;
	const char *prog;
	const char *exit_prog; /* fexit, kretprobe or sys_exit tracepoint */
};

struct probe_def {
	__u8 stage;
	const char *func;	/* the seed's name */
	const char *symbols[3]; /* kernel symbols, newest name first */
	const char *tp;		/* "category/name" for tracepoint programs */
	const char *exit_tp;	/* classic tracepoint of the exit twin */
	const char *standin;	/* what covers the row when nothing attaches */
	struct probe_alt alts[MAX_ALTS];
};

/* The table reads as a table: */
/* clang-format off */
#define FENTRY(p) { TSEND_MECH_FENTRY, p, NULL }
#define KPROBE(p) { TSEND_MECH_KPROBE, p, NULL }
#define TP_BTF(p) { TSEND_MECH_TP_BTF, p, NULL }
#define RAW_TP(p) { TSEND_MECH_RAW_TP, p, NULL }

static const struct probe_def defs[] = {
	{ TSEND_STAGE_SYS_SENDTO, "__sys_sendto", { "__sys_sendto" },
	  "syscalls/sys_enter_sendto", "syscalls/sys_exit_sendto", NULL,
	  { { TSEND_MECH_FENTRY, "__sys_sendto", "__sys_sendto_exit" },
	    { TSEND_MECH_KPROBE, "__sys_sendto_kprobe", "__sys_sendto_kretprobe" },
	    { TSEND_MECH_TP, "sys_enter_sendto", "sys_exit_sendto" } } },
	{ TSEND_STAGE_SYS_SENDMSG, "__sys_sendmsg", { "__sys_sendmsg" },
	  "syscalls/sys_enter_sendmsg", "syscalls/sys_exit_sendmsg", NULL,
	  { { TSEND_MECH_FENTRY, "__sys_sendmsg", "__sys_sendmsg_exit" },
	    { TSEND_MECH_KPROBE, "__sys_sendmsg_kprobe", "__sys_sendmsg_kretprobe" },
	    { TSEND_MECH_TP, "sys_enter_sendmsg", "sys_exit_sendmsg" } } },
	/* since 6.6 (and 6.1.56) send() goes through __sock_sendmsg */
	{ TSEND_STAGE_SOCK_SENDMSG, "sock_sendmsg", { "__sock_sendmsg", "sock_sendmsg" },
	  "sock/sock_send_length", NULL, NULL,
	  { FENTRY("sock_sendmsg"), KPROBE("sock_sendmsg_kprobe"),
	    TP_BTF("sock_send_length_btf"), RAW_TP("sock_send_length_raw") } },
	{ TSEND_STAGE_INET_SENDMSG, "inet_sendmsg", { "inet_sendmsg" }, NULL,
	  NULL, "sock:sock_send_length",
	  { FENTRY("inet_sendmsg"), KPROBE("inet_sendmsg_kprobe") } },
	{ TSEND_STAGE_TCP_SENDMSG, "tcp_sendmsg", { "tcp_sendmsg" }, NULL, NULL,
	  "tcp:tcp_sendmsg_locked",
	  { FENTRY("tcp_sendmsg"), KPROBE("tcp_sendmsg_kprobe") } },
	/* the tracepoint sees every loop of the copy, with the tail skb: more
	 * than a function entry, so it comes first */
	{ TSEND_STAGE_TCP_SENDMSG_LOCKED, "tcp_sendmsg_locked",
	  { "tcp_sendmsg_locked" }, "tcp/tcp_sendmsg_locked", NULL, NULL,
	  { TP_BTF("tcp_sendmsg_locked_btf"), RAW_TP("tcp_sendmsg_locked_raw"),
	    FENTRY("tcp_sendmsg_locked"), KPROBE("tcp_sendmsg_locked_kprobe") } },
	{ TSEND_STAGE_TCP_STREAM_ALLOC_SKB, "sk_stream_alloc_skb",
	  { "tcp_stream_alloc_skb", "sk_stream_alloc_skb" }, NULL, NULL,
	  "tcp:tcp_sendmsg_locked",
	  { FENTRY("tcp_stream_alloc_skb"), KPROBE("tcp_stream_alloc_skb_kprobe") } },
	{ TSEND_STAGE_TCP_SKB_ENTAIL, "skb_entail", { "tcp_skb_entail", "skb_entail" },
	  NULL, NULL, "tcp:tcp_sendmsg_locked",
	  { FENTRY("tcp_skb_entail"), KPROBE("tcp_skb_entail_kprobe") } },
	{ TSEND_STAGE_TCP_PUSH_ONE, "tcp_push_one", { "tcp_push_one" }, NULL, NULL,
	  NULL, { FENTRY("tcp_push_one"), KPROBE("tcp_push_one_kprobe") } },
	{ TSEND_STAGE_TCP_WRITE_XMIT, "tcp_write_xmit", { "tcp_write_xmit" }, NULL,
	  NULL, NULL, { FENTRY("tcp_write_xmit"), KPROBE("tcp_write_xmit_kprobe") } },
	{ TSEND_STAGE_TCP_TRANSMIT_SKB, "__tcp_transmit_skb", { "__tcp_transmit_skb" },
	  NULL, NULL, "net:net_dev_queue",
	  { FENTRY("__tcp_transmit_skb"), KPROBE("__tcp_transmit_skb_kprobe") } },
	{ TSEND_STAGE_TCP_EVENT_NEW_DATA_SENT, "tcp_event_new_data_sent",
	  { "tcp_event_new_data_sent" }, NULL, NULL, NULL,
	  { FENTRY("tcp_event_new_data_sent"),
	    KPROBE("tcp_event_new_data_sent_kprobe") } },
	{ TSEND_STAGE_TCP_RETRANSMIT_SKB, "tcp:tcp_retransmit_skb", { NULL },
	  "tcp/tcp_retransmit_skb", NULL, NULL,
	  { TP_BTF("tcp_retransmit_skb_btf"), RAW_TP("tcp_retransmit_skb_raw") } },
	/* ACK arrival: tcp_ack sees it in every state, the tracepoint in
	 * ESTABLISHED only */
	{ TSEND_STAGE_TCP_PROBE, "tcp_ack", { "tcp_ack" }, "tcp/tcp_probe", NULL,
	  NULL, { FENTRY("tcp_ack"), KPROBE("tcp_ack_kprobe"),
		  TP_BTF("tcp_probe_btf"), RAW_TP("tcp_probe_raw") } },
	/* the pacing timer (BBR, SO_MAX_PACING_RATE) runs tcp_write_xmit;
	 * the tracepoint fires for every hrtimer, the program keeps this one */
	{ TSEND_STAGE_TCP_PACE_KICK, "tcp_pace_kick", { "tcp_pace_kick" },
	  "timer/hrtimer_expire_entry", NULL, NULL,
	  { FENTRY("tcp_pace_kick"), KPROBE("tcp_pace_kick_kprobe"),
	    TP_BTF("tcp_pace_kick_btf"), RAW_TP("tcp_pace_kick_raw") } },
	/* the retransmit timer: RTO, tail loss probe, zero-window probe */
	{ TSEND_STAGE_TCP_WRITE_TIMER, "tcp_write_timer", { "tcp_write_timer" },
	  "timer/timer_expire_entry", NULL, NULL,
	  { FENTRY("tcp_write_timer"), KPROBE("tcp_write_timer_kprobe"),
	    TP_BTF("tcp_write_timer_btf"), RAW_TP("tcp_write_timer_raw") } },
	{ TSEND_STAGE_IP_QUEUE_XMIT, "ip_queue_xmit", { "__ip_queue_xmit" }, NULL,
	  NULL, "net:net_dev_queue",
	  { FENTRY("__ip_queue_xmit"), KPROBE("__ip_queue_xmit_kprobe") } },
	{ TSEND_STAGE_IP_LOCAL_OUT, "ip_local_out", { "__ip_local_out" }, NULL,
	  NULL, "net:net_dev_queue",
	  { FENTRY("__ip_local_out"), KPROBE("__ip_local_out_kprobe") } },
	{ TSEND_STAGE_IP_OUTPUT, "ip_output", { "ip_output" }, NULL, NULL,
	  "net:net_dev_queue", { FENTRY("ip_output"), KPROBE("ip_output_kprobe") } },
	{ TSEND_STAGE_IP_FINISH_OUTPUT, "ip_finish_output", { "__ip_finish_output" },
	  NULL, NULL, "net:net_dev_queue",
	  { FENTRY("__ip_finish_output"), KPROBE("__ip_finish_output_kprobe") } },
	{ TSEND_STAGE_IP_FINISH_OUTPUT_GSO, "ip_finish_output_gso",
	  { "ip_finish_output_gso" }, NULL, NULL, "net:net_dev_queue",
	  { FENTRY("ip_finish_output_gso"), KPROBE("ip_finish_output_gso_kprobe") } },
	{ TSEND_STAGE_IP_FINISH_OUTPUT2, "ip_finish_output2", { "ip_finish_output2" },
	  NULL, NULL, "net:net_dev_queue",
	  { FENTRY("ip_finish_output2"), KPROBE("ip_finish_output2_kprobe") } },
	{ TSEND_STAGE_NEIGH_OUTPUT, "neigh_output", { "neigh_resolve_output" },
	  NULL, NULL, "net:net_dev_queue",
	  { FENTRY("neigh_resolve_output"), KPROBE("neigh_resolve_output_kprobe") } },
	{ TSEND_STAGE_DEV_QUEUE_XMIT, "__dev_queue_xmit", { "__dev_queue_xmit" },
	  NULL, NULL, "net:net_dev_queue",
	  { FENTRY("__dev_queue_xmit"), KPROBE("__dev_queue_xmit_kprobe") } },
	{ TSEND_STAGE_NET_DEV_QUEUE, "net:net_dev_queue", { NULL },
	  "net/net_dev_queue", NULL, NULL,
	  { TP_BTF("net_dev_queue_btf"), RAW_TP("net_dev_queue_raw") } },
	{ TSEND_STAGE_QDISC_ENQUEUE, "qdisc:qdisc_enqueue", { NULL },
	  "qdisc/qdisc_enqueue", NULL, NULL,
	  { TP_BTF("qdisc_enqueue_btf"), RAW_TP("qdisc_enqueue_raw") } },
	{ TSEND_STAGE_QDISC_DEQUEUE, "qdisc:qdisc_dequeue", { NULL },
	  "qdisc/qdisc_dequeue", NULL, NULL,
	  { TP_BTF("qdisc_dequeue_btf"), RAW_TP("qdisc_dequeue_raw") } },
	{ TSEND_STAGE_SCH_DIRECT_XMIT, "sch_direct_xmit", { "sch_direct_xmit" },
	  NULL, NULL, "qdisc:qdisc_dequeue",
	  { FENTRY("sch_direct_xmit"), KPROBE("sch_direct_xmit_kprobe") } },
	{ TSEND_STAGE_DEV_HARD_START_XMIT, "dev_hard_start_xmit",
	  { "dev_hard_start_xmit" }, NULL, NULL, "net:net_dev_start_xmit",
	  { FENTRY("dev_hard_start_xmit"), KPROBE("dev_hard_start_xmit_kprobe") } },
	{ TSEND_STAGE_XMIT_ONE, "xmit_one", { "xmit_one" }, NULL, NULL,
	  "net:net_dev_start_xmit",
	  { FENTRY("xmit_one"), KPROBE("xmit_one_kprobe") } },
	{ TSEND_STAGE_NET_DEV_START_XMIT, "net:net_dev_start_xmit", { NULL },
	  "net/net_dev_start_xmit", NULL, NULL,
	  { TP_BTF("net_dev_start_xmit_btf"), RAW_TP("net_dev_start_xmit_raw") } },
	{ TSEND_STAGE_E1000_XMIT_FRAME, "e1000_xmit_frame", { "e1000_xmit_frame" },
	  NULL, NULL, "net:net_dev_start_xmit",
	  { FENTRY("e1000_xmit_frame"), KPROBE("e1000_xmit_frame_kprobe") } },
	{ TSEND_STAGE_NET_DEV_XMIT, "net:net_dev_xmit", { NULL }, "net/net_dev_xmit",
	  NULL, NULL, { TP_BTF("net_dev_xmit_btf"), RAW_TP("net_dev_xmit_raw") } },
	{ TSEND_STAGE_CONSUME_SKB, "skb:consume_skb", { NULL }, "skb/consume_skb",
	  NULL, NULL, { TP_BTF("consume_skb_btf"), RAW_TP("consume_skb_raw") } },
	{ TSEND_STAGE_KFREE_SKB, "skb:kfree_skb", { NULL }, "skb/kfree_skb", NULL,
	  NULL, { TP_BTF("kfree_skb_btf"), RAW_TP("kfree_skb_raw") } },
};

/* The seed's helpers that have no symbol of their own in any kernel we know
 * (static inline), listed so `probes` accounts for every name in the tree. */
static const struct {
	const char *func;
	const char *covered_by;
} inlined[] = {
	{ "sock_sendmsg_nosec", "sock_sendmsg" },
	{ "tcp_write_queue_tail", "tcp:tcp_sendmsg_locked" },
	{ "tcp_add_write_queue_tail", "skb_entail" },
	{ "skb_copy_to_page_nocache", "tcp:tcp_sendmsg_locked" },
	{ "skb_fill_page_desc", "tcp:tcp_sendmsg_locked" },
	{ "tcp_transmit_skb", "__tcp_transmit_skb" },
	{ "dst_output", "ip_output" },
	{ "ip_neigh_for_gw", "ip_finish_output2" },
	{ "sock_confirm_neigh", "ip_finish_output2" },
	{ "dev_queue_xmit", "__dev_queue_xmit" },
	{ "__dev_xmit_skb", "net:net_dev_queue" },
	{ "netdev_start_xmit", "net:net_dev_start_xmit" },
	{ "__netdev_start_xmit", "net:net_dev_start_xmit" },
	{ "tcp_rbtree_insert", "tcp_event_new_data_sent" },
};

/* clang-format on */

#define NR_DEFS	   (sizeof(defs) / sizeof(defs[0]))
#define NR_INLINED (sizeof(inlined) / sizeof(inlined[0]))

struct probe_state {
	int alt;	 /* chosen index into alts[], -1 if none */
	char symbol[64]; /* kernel symbol for fentry/kprobe */
	struct bpf_link *link;
	struct bpf_link *exit_link;
};

struct probes {
	struct bpf_object *obj;
	const char *const *rejected; /* programs the verifier refused */
	struct btf *vmlinux;
	bool fentry_ok, kprobe_ok, raw_tp_ok, tracefs_ok;
	char fentry_why[96], kprobe_why[96];
	char *ftrace_funcs; /* available_filter_functions, or kallsyms */
	size_t ftrace_len;
	bool kfree_skb_reason;
	__u64 pace_kick;   /* tcp_pace_kick's address, from kallsyms */
	__u64 write_timer; /* tcp_write_timer's */
	struct probe_state st[NR_DEFS];
	struct trace_probe rows[TRACE_MAX_PROBES];
	__u32 nr_rows;
};

_Static_assert(NR_DEFS + NR_INLINED <= TRACE_MAX_PROBES, "probe table too long");

int probes__ensure_tracefs(void)
{
	struct statfs sfs;

	if (!statfs(TRACEFS, &sfs) && sfs.f_type == TRACEFS_MAGIC)
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return -errno;
	return 0;
}

static char *read_file(const char *path, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap + 1), *nb;
	FILE *f = fopen(path, "re");
	size_t got;

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Finds name as a whole symbol in available_filter_functions (one symbol a
 * line, maybe followed by " [module]"), also as "name.isra.0" and the like:
 * gcc renames functions it specialised, and they are still kprobe-able.
 * kallsyms lines are "addr type name [module]"; both are handled.
 */
static bool find_symbol(const struct probes *p, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *s = p->ftrace_funcs;

	if (!s)
		return false;
	while ((s = strstr(s, name))) {
		bool start = s == p->ftrace_funcs || s[-1] == '\n' || s[-1] == ' ';
		char end = s[nlen];

		if (start &&
		    (end == '\n' || end == ' ' || end == '\t' || end == '\0' || end == '.')) {
			size_t n = strcspn(s, " \t\n");

			if (n < outlen) {
				memcpy(out, s, n);
				out[n] = '\0';
				return true;
			}
		}
		s += nlen;
	}
	return false;
}

/* fentry works only if a tracing program really loads and attaches. */
static void probe_fentry(struct probes *p)
{
	struct bpf_insn insns[] = {
		{.code = 0xb7, .dst_reg = 0, .imm = 0}, /* r0 = 0 */
		{.code = 0x95},				/* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	int id, fd, lfd;

	id = btf__find_by_name_kind(p->vmlinux, "tcp_sendmsg", BTF_KIND_FUNC);
	if (id < 0) {
		snprintf(p->fentry_why, sizeof(p->fentry_why), "no BTF for tcp_sendmsg");
		return;
	}
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &opts);
	if (fd < 0) {
		snprintf(p->fentry_why, sizeof(p->fentry_why), "refused (%s)",
			 strerrorname_np(-fd) ?: "?");
		return;
	}
	lfd = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	if (lfd < 0)
		snprintf(p->fentry_why, sizeof(p->fentry_why), "attach refused (%s)",
			 strerrorname_np(-lfd) ?: "?");
	else
		close(lfd);
	close(fd);
	p->fentry_ok = lfd >= 0;
}

static void probe_kprobe(struct probes *p)
{
	if (!access("/sys/bus/event_source/devices/kprobe/type", R_OK) ||
	    !access(TRACEFS "/kprobe_events", W_OK)) {
		p->kprobe_ok = true;
		return;
	}
	snprintf(p->kprobe_why, sizeof(p->kprobe_why), "not in this kernel");
}

/* A tracepoint exists for BPF if vmlinux BTF has its btf_trace_ typedef. */
static bool have_raw_tp(const struct probes *p, const char *tp)
{
	const char *name = strchr(tp, '/');
	char type[96];

	snprintf(type, sizeof(type), "btf_trace_%s", name ? name + 1 : tp);
	return btf__find_by_name_kind(p->vmlinux, type, BTF_KIND_TYPEDEF) >= 0;
}

static bool have_classic_tp(const struct probes *p, const char *tp)
{
	char path[160];

	snprintf(path, sizeof(path), TRACEFS "/events/%s/id", tp);
	return p->tracefs_ok && !access(path, R_OK);
}

/* kfree_skb(skb, location, reason, ...): a reason since 5.17 (c504e5c2f964) */
static bool kfree_skb_has_reason(const struct probes *p)
{
	const struct btf_type *t;
	int id = btf__find_by_name_kind(p->vmlinux, "btf_trace_kfree_skb", BTF_KIND_TYPEDEF);

	if (id < 0)
		return false;
	t = btf__type_by_id(p->vmlinux, id); /* typedef → ptr → func_proto */
	t = btf__type_by_id(p->vmlinux, t->type);
	if (!t || !btf_is_ptr(t))
		return false;
	t = btf__type_by_id(p->vmlinux, t->type);
	return t && btf_is_func_proto(t) && btf_vlen(t) >= 4;
}

/* A symbol's address in /proc/kallsyms; 0 when absent or hidden (shown as
 * zeros to those kptr_restrict keeps out). */
static __u64 kallsyms_addr(const char *name)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[256], sym[128], type;
	unsigned long long addr, found = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %127s", &addr, &type, sym) == 3 && !strcmp(sym, name)) {
			found = addr;
			break;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* Does this kernel have the function as a traceable symbol? */
static const char *resolve_symbol(struct probes *p, const struct probe_def *d,
				  struct probe_state *st)
{
	for (int i = 0; i < 3 && d->symbols[i]; i++)
		if (find_symbol(p, d->symbols[i], st->symbol, sizeof(st->symbol)))
			return st->symbol;
	return NULL;
}

static bool rejected(const struct probes *p, const char *prog)
{
	for (const char *const *r = p->rejected; prog && r && *r; r++)
		if (!strcmp(*r, prog))
			return true;
	return false;
}

/* Why alternative a cannot be used, or NULL if it can. */
/* The timer tracepoint programs keep one timer by its function's address. */
static bool timer_addr_missing(const struct probes *p, const struct probe_def *d)
{
	return (d->stage == TSEND_STAGE_TCP_PACE_KICK && !p->pace_kick) ||
	       (d->stage == TSEND_STAGE_TCP_WRITE_TIMER && !p->write_timer);
}

static const char *alt_unusable(struct probes *p, const struct probe_def *d, struct probe_state *st,
				const struct probe_alt *a, char *why, size_t whylen)
{
	if (rejected(p, a->prog) || rejected(p, a->exit_prog))
		return "rejected by the verifier (see -v)";
	switch (a->mech) {
	case TSEND_MECH_FENTRY:
		if (!p->fentry_ok)
			return p->fentry_why;
		if (!resolve_symbol(p, d, st))
			return "no traceable symbol";
		/* renamed functions (.isra) have no BTF: fentry cannot name them */
		if (btf__find_by_name_kind(p->vmlinux, st->symbol, BTF_KIND_FUNC) < 0 &&
		    !strchr(st->symbol, '.') && access("/sys/kernel/btf", F_OK))
			return "no BTF for the function";
		if (strchr(st->symbol, '.'))
			return "only a compiler-renamed copy exists";
		return NULL;
	case TSEND_MECH_KPROBE:
		if (!p->kprobe_ok)
			return p->kprobe_why;
		if (!resolve_symbol(p, d, st))
			return "no kprobe-able symbol";
		return NULL;
	case TSEND_MECH_TP_BTF:
		if (!p->fentry_ok)
			return "needs fentry (tracing programs)";
		if (timer_addr_missing(p, d))
			return "the timer function's address is not in kallsyms";
		return have_raw_tp(p, d->tp) ? NULL : "no such tracepoint";
	case TSEND_MECH_RAW_TP:
		if (!p->raw_tp_ok)
			return "raw tracepoint programs refused";
		if (timer_addr_missing(p, d))
			return "the timer function's address is not in kallsyms";
		return have_raw_tp(p, d->tp) ? NULL : "no such tracepoint";
	case TSEND_MECH_TP:
		if (!p->tracefs_ok)
			return "tracefs not mounted (needs root)";
		if (!have_classic_tp(p, d->tp) || !have_classic_tp(p, d->exit_tp)) {
			snprintf(why, whylen, "no tracepoint %s", d->tp);
			return why;
		}
		return NULL;
	}
	return "unknown mechanism";
}

static void set_autoload(struct bpf_object *obj, const char *name, bool on)
{
	struct bpf_program *prog;

	if (name && (prog = bpf_object__find_program_by_name(obj, name)))
		bpf_program__set_autoload(prog, on);
}

/* Picks the first usable alternative of row i; the others are not loaded.
 * detail says why each better one could not be used. */
static void choose(struct probes *p, size_t i, char *detail, size_t dlen)
{
	const struct probe_def *d = &defs[i];
	struct probe_state *st = &p->st[i];
	size_t off = 0;
	char why[96];

	st->alt = -1;
	detail[0] = '\0';
	for (int k = 0; k < MAX_ALTS && d->alts[k].prog; k++) {
		const struct probe_alt *a = &d->alts[k];
		const char *no = NULL;

		if (st->alt < 0) {
			no = alt_unusable(p, d, st, a, why, sizeof(why));
			if (!no)
				st->alt = k;
			else if (off < dlen)
				off += snprintf(detail + off, dlen - off, "%s%s: %s",
						off ? "; " : "", tsend_mech_name(a->mech), no);
		}
		set_autoload(p->obj, a->prog, st->alt == k);
		set_autoload(p->obj, a->exit_prog, st->alt == k);
	}
	if (st->alt < 0 && d->standin && off < dlen)
		snprintf(detail + off, dlen - off, "; nearest: %s", d->standin);
}

/* fentry programs are written without a target: aim them at the symbol
 * found (fsslower.c's fentry_set_attach_target does the same). */
static int set_fentry_target(struct probes *p, size_t i)
{
	const struct probe_alt *a = &defs[i].alts[p->st[i].alt];
	const char *names[2] = {a->prog, a->exit_prog};

	for (int k = 0; k < 2; k++) {
		struct bpf_program *prog;
		int err;

		if (!names[k])
			continue;
		prog = bpf_object__find_program_by_name(p->obj, names[k]);
		if (!prog)
			return -ENOENT;
		err = bpf_program__set_attach_target(prog, 0, p->st[i].symbol);
		if (err)
			return err;
	}
	return 0;
}

static void add_row(struct probes *p, __u16 stage, __u8 mech, const char *func, const char *target,
		    const char *detail)
{
	struct trace_probe *r = &p->rows[p->nr_rows++];

	memset(r, 0, sizeof(*r));
	r->stage = stage;
	r->mech = mech;
	snprintf(r->func, sizeof(r->func), "%s", func);
	snprintf(r->target, sizeof(r->target), "%s", target ? target : "");
	snprintf(r->detail, sizeof(r->detail), "%s", detail ? detail : "");
}

struct probes *probes__select(struct bpf_object *obj, const char *btf_path, bool no_fentry,
			      const char *const *rejected, char *err, size_t errlen)
{
	struct probes *p = calloc(1, sizeof(*p));
	char detail[sizeof(p->rows[0].detail)];

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->obj = obj;
	p->rejected = rejected;
	p->vmlinux = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!p->vmlinux) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot read kernel BTF: %s%s",
			 btf_path ? btf_path : "/sys/kernel/btf/vmlinux", strerror(e),
			 btf_path ? "" : " (use --btf PATH)");
		free(p);
		errno = e;
		return NULL;
	}
	p->tracefs_ok = !probes__ensure_tracefs();
	p->ftrace_funcs = read_file(TRACEFS "/available_filter_functions", &p->ftrace_len);
	if (!p->ftrace_funcs) /* no tracefs: kallsyms still names the symbols */
		p->ftrace_funcs = read_file("/proc/kallsyms", &p->ftrace_len);
	if (no_fentry)
		snprintf(p->fentry_why, sizeof(p->fentry_why), "off (--no-fentry)");
	else
		probe_fentry(p);
	probe_kprobe(p);
	p->raw_tp_ok = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL) == 1;
	p->kfree_skb_reason = kfree_skb_has_reason(p);
	p->pace_kick = kallsyms_addr("tcp_pace_kick");
	p->write_timer = kallsyms_addr("tcp_write_timer");

	for (size_t i = 0; i < NR_DEFS; i++) {
		choose(p, i, detail, sizeof(detail));
		if (p->st[i].alt >= 0 && defs[i].alts[p->st[i].alt].mech == TSEND_MECH_FENTRY &&
		    set_fentry_target(p, i)) {
			/* cannot aim it: fall back to nothing rather than fail */
			set_autoload(obj, defs[i].alts[p->st[i].alt].prog, false);
			set_autoload(obj, defs[i].alts[p->st[i].alt].exit_prog, false);
			p->st[i].alt = -1;
			snprintf(detail, sizeof(detail), "fentry: cannot set target");
		}
		if (p->st[i].alt < 0) {
			add_row(p, defs[i].stage, TSEND_MECH_NONE, defs[i].func, NULL, detail);
			continue;
		}
		{
			const struct probe_alt *a = &defs[i].alts[p->st[i].alt];
			bool fn = a->mech == TSEND_MECH_FENTRY || a->mech == TSEND_MECH_KPROBE;

			add_row(p, defs[i].stage, a->mech, defs[i].func,
				fn ? p->st[i].symbol : defs[i].tp, detail);
		}
	}
	for (size_t i = 0; i < NR_INLINED; i++) {
		snprintf(detail, sizeof(detail), "inline: no symbol; covered by %s",
			 inlined[i].covered_by);
		add_row(p, TSEND_STAGE_NONE, TSEND_MECH_NONE, inlined[i].func, NULL, detail);
	}
	return p;
}

bool probes__kfree_skb_has_reason(const struct probes *p)
{
	return p->kfree_skb_reason;
}

__u64 probes__pace_kick(const struct probes *p)
{
	return p->pace_kick;
}

__u64 probes__write_timer(const struct probes *p)
{
	return p->write_timer;
}

static struct bpf_link *attach_one(struct probes *p, size_t i, const char *name, bool exit)
{
	const struct probe_def *d = &defs[i];
	const struct probe_alt *a = &d->alts[p->st[i].alt];
	struct bpf_program *prog = bpf_object__find_program_by_name(p->obj, name);
	const char *tp = exit ? d->exit_tp : d->tp;
	char cat[64];

	if (!prog) {
		errno = ENOENT;
		return NULL;
	}
	switch (a->mech) {
	case TSEND_MECH_KPROBE:
		return bpf_program__attach_kprobe(prog, exit, p->st[i].symbol);
	case TSEND_MECH_RAW_TP:
		return bpf_program__attach_raw_tracepoint(prog, strchr(tp, '/') + 1);
	case TSEND_MECH_TP:
		snprintf(cat, sizeof(cat), "%.*s", (int)(strchr(tp, '/') - tp), tp);
		return bpf_program__attach_tracepoint(prog, cat, strchr(tp, '/') + 1);
	default: /* fentry, fexit, tp_btf: the target was fixed at load */
		return bpf_program__attach_trace(prog);
	}
}

_Static_assert(TSEND_STAGE_MAX <= 64, "a stage is a bit of probes__keep's mask");

void probes__keep(struct probes *p, __u64 keep, const char *why)
{
	for (size_t i = 0; i < NR_DEFS; i++) {
		struct trace_probe *r = &p->rows[i]; /* a row per def, in order */

		if (keep & (1ULL << defs[i].stage))
			continue;
		for (int k = 0; k < MAX_ALTS && defs[i].alts[k].prog; k++) {
			set_autoload(p->obj, defs[i].alts[k].prog, false);
			set_autoload(p->obj, defs[i].alts[k].exit_prog, false);
		}
		p->st[i].alt = -1;
		r->mech = TSEND_MECH_NONE;
		r->target[0] = '\0';
		snprintf(r->detail, sizeof(r->detail), "%s", why);
	}
}

int probes__attach(struct probes *p)
{
	int attached = 0;

	for (size_t i = 0; i < NR_DEFS; i++) {
		struct probe_state *st = &p->st[i];
		const struct probe_alt *a;
		struct trace_probe *r = &p->rows[i];

		if (st->alt < 0)
			continue;
		a = &defs[i].alts[st->alt];
		st->link = attach_one(p, i, a->prog, false);
		if (st->link && a->exit_prog)
			st->exit_link = attach_one(p, i, a->exit_prog, true);
		if (!st->link || (a->exit_prog && !st->exit_link)) {
			int e = errno;

			bpf_link__destroy(st->link);
			st->link = NULL;
			snprintf(r->detail, sizeof(r->detail), "%s: attach failed: %s",
				 tsend_mech_name(a->mech), strerror(e));
			r->mech = TSEND_MECH_NONE;
			continue;
		}
		attached++;
	}
	return attached ? 0 : -ENOENT;
}

const struct trace_probe *probes__rows(const struct probes *p, __u32 *nr)
{
	*nr = p->nr_rows;
	return p->rows;
}

void probes__free(struct probes *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < NR_DEFS; i++) {
		bpf_link__destroy(p->st[i].exit_link);
		bpf_link__destroy(p->st[i].link);
	}
	btf__free(p->vmlinux);
	free(p->ftrace_funcs);
	free(p);
}
