// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../bpf/tsend.h"
#include "probes.h"
#include "record.h"
#include "record_stacks.h"
#include "tsend.skel.h"

_Static_assert(sizeof(struct tsend_head) == TSEND_HEAD_SIZE, "tsend_head");
_Static_assert(sizeof(struct tsend_flow) == TSEND_FLOW_SIZE, "tsend_flow");
_Static_assert(sizeof(struct tsend_send_event) == TSEND_SEND_EVENT_SIZE, "send");
_Static_assert(sizeof(struct tsend_tcp_event) == TSEND_TCP_EVENT_SIZE, "tcp");
_Static_assert(sizeof(struct tsend_skb_event) == TSEND_SKB_EVENT_SIZE, "skb");
_Static_assert(offsetof(struct tsend_skb_event, data) == TSEND_SKB_EVENT_SIZE, "snap");
_Static_assert(offsetof(struct tsend_send_event, payload) == TSEND_SEND_EVENT_SIZE, "payload");
_Static_assert(sizeof(struct tsend_data_event) == TSEND_DATA_EVENT_SIZE, "data");
_Static_assert(offsetof(struct tsend_data_event, data) == TSEND_DATA_EVENT_SIZE, "data[]");
_Static_assert(TSEND_DATA_EVENT_SIZE + TSEND_CHUNK_MAX <= TRACE_RECORD_MAX, "chunk");

struct recorder {
	struct tsend_bpf *skel;
	struct bpf_link *sock_state; /* socket following for task filters */
	struct probes *probes;
	struct ring_buffer *rb;
	struct trace_writer *w;
	struct stack_recorder *stacks; /* --stacks */
	struct trace_meta meta;
	struct record_opts o;
	char *output;
	int nr_cpus;
	__u32 file_idx, files;
	__u64 records, file_records;
	__u64 last_flush_ns;
	int write_err;
	/* per-CPU counter values at the start of the current file */
	__u64 *base[TSEND_CNT_MAX];
	__u64 *now[TSEND_CNT_MAX];
};

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* CLOCK_x - CLOCK_MONOTONIC, read as a sandwich to halve the error. */
static __s64 clock_offset(clockid_t id)
{
	__u64 a = clock_ns(CLOCK_MONOTONIC), x = clock_ns(id);
	__u64 b = clock_ns(CLOCK_MONOTONIC);

	return (__s64)(x - (a + (b - a) / 2));
}

static void fill_meta(struct recorder *r)
{
	struct trace_meta *m = &r->meta;
	const struct trace_probe *rows;
	struct utsname u;
	__u32 nr;

	m->abi_version = TSEND_ABI_VERSION;
	m->snaplen = r->o.snaplen;
	m->payload_len = r->o.payload;
	m->nr_cpus = r->nr_cpus;
	m->realtime_offset = clock_offset(CLOCK_REALTIME);
	m->boottime_offset = clock_offset(CLOCK_BOOTTIME);
	m->start_ns = clock_ns(CLOCK_MONOTONIC);
	if (!uname(&u)) {
		snprintf(m->kernel_release, sizeof(m->kernel_release), "%s", u.release);
		snprintf(m->hostname, sizeof(m->hostname), "%s", u.nodename);
	}
	snprintf(m->cmdline, sizeof(m->cmdline), "%s", r->o.cmdline ? r->o.cmdline : "");
	rows = probes__rows(r->probes, &nr);
	m->nr_probes = nr;
	memcpy(m->probes, rows, nr * sizeof(rows[0]));
}

/* Reads the per-CPU counters into r->now[]. */
static void read_counters(struct recorder *r)
{
	int fd = bpf_map__fd(r->skel->maps.counters);

	for (__u32 k = 0; k < TSEND_CNT_MAX; k++)
		if (bpf_map_lookup_elem(fd, &k, r->now[k]))
			memset(r->now[k], 0, r->nr_cpus * sizeof(__u64));
}

static char *file_name(const struct recorder *r, __u32 idx)
{
	size_t n = strlen(r->o.output) + 16;
	char *s = malloc(n);

	if (!s)
		return NULL;
	if (idx)
		snprintf(s, n, "%s.%u", r->o.output, idx);
	else
		snprintf(s, n, "%s", r->o.output);
	return s;
}

static int open_file(struct recorder *r)
{
	free(r->output);
	r->output = file_name(r, r->file_idx);
	if (!r->output)
		return -ENOMEM;
	r->meta.start_ns = clock_ns(CLOCK_MONOTONIC);
	r->w = trace_writer__open(r->output, &r->meta);
	if (!r->w)
		return -errno;
	r->files++;
	r->file_records = 0;
	if (r->stacks)
		stack_recorder__reset(r->stacks);
	read_counters(r);
	for (int k = 0; k < TSEND_CNT_MAX; k++)
		memcpy(r->base[k], r->now[k], r->nr_cpus * sizeof(__u64));
	return 0;
}

/* The end block holds what this file lost: counters since it was opened. */
static int close_file(struct recorder *r)
{
	struct trace_stats *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return -ENOMEM;
	read_counters(r);
	st->records = r->file_records;
	st->end_ns = clock_ns(CLOCK_MONOTONIC);
	st->nr_cpus = r->nr_cpus < TRACE_MAX_CPUS ? r->nr_cpus : TRACE_MAX_CPUS;
	for (__u32 c = 0; c < st->nr_cpus; c++) {
		st->lost[c] = r->now[TSEND_CNT_LOST][c] - r->base[TSEND_CNT_LOST][c];
		st->untracked[c] = r->now[TSEND_CNT_UNTRACKED][c] - r->base[TSEND_CNT_UNTRACKED][c];
	}
	for (int c = 0; c < r->nr_cpus; c++) {
		st->kstack_lost +=
			r->now[TSEND_CNT_KSTACK_LOST][c] - r->base[TSEND_CNT_KSTACK_LOST][c];
		st->ustack_lost +=
			r->now[TSEND_CNT_USTACK_LOST][c] - r->base[TSEND_CNT_USTACK_LOST][c];
	}
	err = trace_writer__close(r->w, st);
	r->w = NULL;
	free(st);
	return err;
}

static int rotate(struct recorder *r)
{
	int err = close_file(r);

	if (err)
		return err;
	if (r->o.max_files <= 1)
		return -EFBIG; /* asked to stop, not to rotate */
	r->file_idx = (r->file_idx + 1) % r->o.max_files;
	return open_file(r);
}

/* Ring buffer callback: check the record's framing, append it. */
static int handle_event(void *ctx, void *data, size_t size)
{
	struct recorder *r = ctx;
	struct tsend_head h;
	int err;

	if (size < sizeof(h))
		return 0; /* cannot come from our programs; not worth a file */
	memcpy(&h, data, sizeof(h));
	/* records with trailing bytes are reserved at a fixed tier size:
	 * head.size is what they use */
	if (h.size > size || h.size < sizeof(h))
		return 0;
	/* what the STACK record's ids need goes in first */
	if (h.kind == TSEND_KIND_STACK && r->stacks && h.size >= sizeof(struct tsend_stack_event)) {
		__u64 n = 0;

		err = stack_recorder__before(r->stacks, r->w, data, &n);
		r->records += n;
		r->file_records += n;
		if (err) {
			r->write_err = err;
			return err;
		}
	}
	err = trace_writer__append(r->w, data, h.size);
	if (err) {
		r->write_err = err;
		return err; /* stops ring_buffer__poll */
	}
	r->records++;
	r->file_records++;
	if (r->o.max_size && trace_writer__estimate(r->w) >= r->o.max_size) {
		err = rotate(r);
		if (err) {
			r->write_err = err;
			return err;
		}
	}
	return 0;
}

/* --pid, --comm, --cgroup: sockets are followed from a task's send() */
static bool task_filter(const struct record_opts *o)
{
	return o->tgid || o->comm || o->cgroup_id;
}

static void set_filters(struct tsend_bpf *skel, const struct record_opts *o)
{
	struct tsend_bpf__rodata *ro = skel->rodata;

	ro->targ_tgid = o->tgid;
	if (o->comm) {
		ro->targ_filter_comm = true;
		strncpy((char *)ro->targ_comm, o->comm, TSEND_COMM_LEN - 1);
	}
	ro->targ_cgroup = o->cgroup_id;
	ro->targ_port = o->port;
	ro->targ_ifindex = o->ifindex;
	ro->targ_netns = o->netns;
	ro->filter_by_sock = task_filter(o);
	ro->targ_snaplen = o->snaplen > TSEND_DATA_MAX ? TSEND_DATA_MAX : o->snaplen;
	/* the entry record holds up to TSEND_DATA_MAX, DATA records the rest */
	ro->targ_payload = o->payload > TSEND_DATA_MAX ? TSEND_DATA_MAX : o->payload;
	ro->targ_payload_total = o->payload;
	ro->targ_top = o->top;
	ro->targ_top_by_flow = o->top_by_flow;
	ro->targ_stack_stages = o->stack_stages;
	ro->targ_user_stacks = o->stack_stages != 0;
}

static __u32 ring_size(__u64 want)
{
	__u64 sz = 4096;

	while (sz < want && sz < (1ULL << 31))
		sz <<= 1;
	return sz;
}

/*
 * Each mode leaves the maps only the other uses at their smallest: record
 * the top_* maps, top the skbs map and the ring buffer (its programs still
 * name the ring, so it exists).
 */
static int size_maps(struct tsend_bpf *skel, const struct record_opts *o)
{
	struct bpf_map *top_maps[] = {skel->maps.top_skbs, skel->maps.top_hist,
				      skel->maps.top_counts};
	__u32 ring = ring_size(o->top ? 0 : o->buffer_bytes);
	int e = 0;

	if (o->top)
		e = bpf_map__set_max_entries(skel->maps.skbs, 1);
	else
		for (size_t i = 0; !e && i < sizeof(top_maps) / sizeof(top_maps[0]); i++)
			e = bpf_map__set_max_entries(top_maps[i], 1);
	skel->rodata->targ_wakeup_bytes = ring / 8;
	if (!e && o->stack_stages)
		e = bpf_map__set_max_entries(skel->maps.stacks, o->stack_entries);
	else if (!e)
		e = bpf_map__set_max_entries(skel->maps.ustack_pids, 1);
	return e ? e : bpf_map__set_max_entries(skel->maps.events, ring);
}

/*
 * The stages whose programs tsend-trace top uses: every one with an skb
 * (handle_skb, handle_free, handle_dev_xmit), and send() where a task
 * filter follows sockets from there. The rest would run for nothing.
 */
static __u64 top_stages(const struct record_opts *o)
{
	__u64 keep = 1ULL << TSEND_STAGE_TCP_TRANSMIT_SKB |
		     1ULL << TSEND_STAGE_TCP_EVENT_NEW_DATA_SENT |
		     1ULL << TSEND_STAGE_TCP_RETRANSMIT_SKB;

	for (int s = TSEND_STAGE_IP_QUEUE_XMIT; s <= TSEND_STAGE_KFREE_SKB; s++)
		keep |= 1ULL << s;
	if (task_filter(o))
		keep |= 1ULL << TSEND_STAGE_SYS_SENDTO | 1ULL << TSEND_STAGE_SYS_SENDMSG;
	return keep;
}

#define MAX_REJECTED 16

/*
 * libbpf names a program the verifier refused in "prog 'NAME': failed to
 * load". While loading, its messages pass through here: the name is kept,
 * and warnings go on as debug output (seen with -v), since the probe table
 * reports the rejection.
 */
static char failed_prog[64];
static libbpf_print_fn_t user_print;

static int catch_failed_prog(enum libbpf_print_level level, const char *fmt, va_list args)
{
	const char *s, *end;
	char line[256];
	va_list copy;

	va_copy(copy, args);
	vsnprintf(line, sizeof(line), fmt, copy);
	va_end(copy);
	s = strstr(line, "prog '");
	if (s && (end = strstr(s + 6, "': failed to load")))
		snprintf(failed_prog, sizeof(failed_prog), "%.*s", (int)(end - s - 6), s + 6);
	if (!user_print)
		return 0;
	return user_print(level == LIBBPF_WARN ? LIBBPF_DEBUG : level, fmt, args);
}

/* Opens the skeleton, lets the probe table choose, sets the filters. */
static struct tsend_bpf *open_skel(const struct record_opts *o, const char *const *rejected,
				   struct probes **probes, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	struct tsend_bpf *skel = tsend_bpf__open_opts(&oo);
	int e;

	if (!skel) {
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(errno));
		return NULL;
	}
	*probes = probes__select(skel->obj, o->btf_path, o->no_fentry, rejected, err, errlen);
	if (!*probes) {
		e = -errno;
		goto out_destroy;
	}
	skel->rodata->kfree_skb_has_reason = probes__kfree_skb_has_reason(*probes);
	skel->rodata->targ_pace_kick = probes__pace_kick(*probes);
	skel->rodata->targ_write_timer = probes__write_timer(*probes);
	if (o->top)
		probes__keep(*probes, top_stages(o), "not used by top");
	set_filters(skel, o);
	e = size_maps(skel, o);
	if (e) {
		snprintf(err, errlen, "cannot size the BPF maps: %s", strerror(-e));
		probes__free(*probes);
		goto out_destroy;
	}
	bpf_program__set_autoload(skel->progs.inet_sock_set_state_raw,
				  skel->rodata->filter_by_sock);
	return skel;

out_destroy:
	tsend_bpf__destroy(skel);
	errno = -e;
	return NULL;
}

/*
 * Open, choose and load; a program this kernel's verifier refuses is left
 * out and the rest loaded again, so one odd kernel function never stops a
 * recording (its row says why). Then attach.
 */
static int load_skel(const struct record_opts *o, struct tsend_bpf **skelp, struct probes **probesp,
		     char *err, size_t errlen)
{
	static char names[MAX_REJECTED][64];
	const char *rejected[MAX_REJECTED + 1] = {};
	struct tsend_bpf *skel;
	struct probes *probes;
	int nr = 0, e;

	for (;;) {
		skel = open_skel(o, rejected, &probes, err, errlen);
		if (!skel)
			return -errno;
		failed_prog[0] = '\0';
		user_print = libbpf_set_print(catch_failed_prog);
		e = tsend_bpf__load(skel);
		libbpf_set_print(user_print);
		if (!e)
			break;
		probes__free(probes);
		tsend_bpf__destroy(skel);
		for (int i = 0; i < nr; i++)
			if (!strcmp(names[i], failed_prog))
				failed_prog[0] = '\0'; /* refused again: not ours to skip */
		if (nr == MAX_REJECTED) {
			snprintf(
				err, errlen,
				"cannot load BPF programs: the verifier refused %d (the last: %s); -v shows why",
				nr + 1, failed_prog);
			return e;
		}
		if (!failed_prog[0] || e == -EPERM) {
			snprintf(err, errlen, "cannot load BPF programs: %s%s", strerror(-e),
				 e == -EPERM ? " (needs root or CAP_BPF+CAP_PERFMON)" : "");
			return e;
		}
		snprintf(names[nr], sizeof(names[nr]), "%s", failed_prog);
		rejected[nr] = names[nr];
		nr++;
	}
	e = probes__attach(probes);
	if (e) {
		snprintf(err, errlen, "no probe could be attached on this kernel");
		probes__free(probes);
		tsend_bpf__destroy(skel);
		return e;
	}
	*skelp = skel;
	*probesp = probes;
	return 0;
}

int recorder__probe_only(const char *btf_path, bool no_fentry, struct trace_probe *rows, __u32 *nr,
			 char *err, size_t errlen)
{
	/* record's defaults: the programs are the ones record would load */
	struct record_opts o = {.btf_path = btf_path,
				.no_fentry = no_fentry,
				.snaplen = TSEND_SNAP_DEFAULT,
				.buffer_bytes = 4096};
	const struct trace_probe *src;
	struct tsend_bpf *skel;
	struct probes *probes;
	int e = load_skel(&o, &skel, &probes, err, errlen);

	*nr = 0;
	if (e)
		return e;
	src = probes__rows(probes, nr);
	memcpy(rows, src, *nr * sizeof(*src));
	probes__free(probes);
	tsend_bpf__destroy(skel);
	return 0;
}

struct recorder *recorder__open(const struct record_opts *o, char *err, size_t errlen)
{
	struct recorder *r = calloc(1, sizeof(*r));
	int e = -ENOMEM;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	r->o = *o;
	if (!r->o.max_files)
		r->o.max_files = 1;
	r->nr_cpus = libbpf_num_possible_cpus();
	if (r->nr_cpus <= 0)
		goto out_free;
	for (int k = 0; k < TSEND_CNT_MAX; k++) {
		r->base[k] = calloc(r->nr_cpus, sizeof(__u64));
		r->now[k] = calloc(r->nr_cpus, sizeof(__u64));
		if (!r->base[k] || !r->now[k])
			goto out_free;
	}
	e = load_skel(&r->o, &r->skel, &r->probes, err, errlen);
	if (e)
		goto out_free;
	if (r->skel->rodata->filter_by_sock) {
		r->sock_state = bpf_program__attach_raw_tracepoint(
			r->skel->progs.inet_sock_set_state_raw, "inet_sock_set_state");
		if (!r->sock_state) {
			e = -errno;
			snprintf(err, errlen, "inet_sock_set_state: cannot attach: %s",
				 strerror(-e));
			goto out_destroy;
		}
	}
	if (o->top)
		return r; /* top reads the maps: no file, no ring */
	if (o->stack_stages) {
		r->stacks = stack_recorder__new(bpf_map__fd(r->skel->maps.stacks), err, errlen);
		if (!r->stacks) {
			e = -errno;
			goto out_destroy;
		}
	}
	fill_meta(r);
	e = open_file(r);
	if (e) {
		snprintf(err, errlen, "%s: cannot create: %s", r->output ? r->output : o->output,
			 strerror(-e));
		goto out_destroy;
	}
	r->rb = ring_buffer__new(bpf_map__fd(r->skel->maps.events), handle_event, r, NULL);
	if (!r->rb) {
		e = -errno;
		snprintf(err, errlen, "cannot open the ring buffer: %s", strerror(-e));
		goto out_close_file;
	}
	r->last_flush_ns = clock_ns(CLOCK_MONOTONIC);
	return r;

out_close_file:
	trace_writer__close(r->w, NULL);
out_destroy:
	stack_recorder__free(r->stacks);
	bpf_link__destroy(r->sock_state);
	probes__free(r->probes);
	tsend_bpf__destroy(r->skel);
out_free:
	for (int k = 0; k < TSEND_CNT_MAX; k++) {
		free(r->base[k]);
		free(r->now[k]);
	}
	free(r->output);
	free(r);
	errno = -e;
	return NULL;
}

int recorder__poll(struct recorder *r, int timeout_ms)
{
	__u64 before = r->records, now;
	int e;

	if (!r->w)
		return r->write_err ? r->write_err : -EFBIG;
	e = ring_buffer__poll(r->rb, timeout_ms);
	/* the BPF side wakes us only per batch: take what waits anyway */
	if (e == 0 && r->w)
		e = ring_buffer__consume(r->rb);
	if (r->write_err)
		return r->write_err;
	if (e < 0 && e != -EINTR)
		return e;
	/* a block a second: a killed recording loses at most that much */
	now = clock_ns(CLOCK_MONOTONIC);
	if (now - r->last_flush_ns >= 1000000000ULL) {
		r->last_flush_ns = now;
		e = trace_writer__flush(r->w);
		if (e)
			return e;
	}
	return e == -EINTR ? -EINTR : (int)(r->records - before);
}

__u64 recorder__records(const struct recorder *r)
{
	return r->records;
}

const struct trace_probe *recorder__probes(const struct recorder *r, __u32 *nr)
{
	return probes__rows(r->probes, nr);
}

const struct tsend_bpf *recorder__skel(const struct recorder *r)
{
	return r->skel;
}

int recorder__close(struct recorder *r, struct recorder_totals *t)
{
	int err = 0;

	if (t)
		memset(t, 0, sizeof(*t));
	if (!r)
		return 0;
	/* detach first, then drain what is already in the ring */
	bpf_link__destroy(r->sock_state);
	probes__free(r->probes);
	if (r->w && !r->write_err)
		ring_buffer__consume(r->rb);
	if (r->w)
		err = close_file(r);
	read_counters(r);
	/* after the drain: the records it wrote count too */
	if (t) {
		t->records = r->records;
		t->files = r->files;
		for (int c = 0; c < r->nr_cpus; c++) {
			t->lost += r->now[TSEND_CNT_LOST][c];
			t->untracked += r->now[TSEND_CNT_UNTRACKED][c];
			t->kstack_lost += r->now[TSEND_CNT_KSTACK_LOST][c];
			t->ustack_lost += r->now[TSEND_CNT_USTACK_LOST][c];
		}
	}
	ring_buffer__free(r->rb);
	stack_recorder__free(r->stacks);
	tsend_bpf__destroy(r->skel);
	for (int k = 0; k < TSEND_CNT_MAX; k++) {
		free(r->base[k]);
		free(r->now[k]);
	}
	free(r->output);
	free(r);
	return err;
}
