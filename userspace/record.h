/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Recording: the BPF skeleton's whole life (open → probes → filters → load
 * → attach) and the ring buffer consumer that appends every record to the
 * trace file, rotating it by size. Follows libbpf-bootstrap's bootstrap.c
 * flow; the caller owns signals, the clock and the workload.
 *
 * With record_opts.top the same programs and filters are loaded, but the
 * BPF side only adds up, in maps that top.c reads: no file, no ring.
 */
#ifndef TSEND_RECORD_H
#define TSEND_RECORD_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "trace_file.h"

struct record_opts {
	const char *output;   /* trace file; rotated files get .1, .2, ... */
	const char *btf_path; /* --btf, NULL for /sys/kernel/btf/vmlinux */
	bool no_fentry;	      /* --no-fentry: kprobes and raw tracepoints only */
	__u32 tgid;	      /* --pid or the command started; 0 = all */
	const char *comm;     /* --comm */
	__u64 cgroup_id;      /* --cgroup, as its inode number; 0 = all */
	__u16 port;	      /* --port: source or destination */
	int ifindex;	      /* --dev */
	__u32 netns;	      /* --dev: inode of the namespace ifindex is in */
	__u32 snaplen;	      /* frame bytes at net_dev_start_xmit */
	__u32 payload;	      /* --payload: user bytes kept at send() */
	__u64 buffer_bytes;   /* ring buffer size, rounded to a power of 2 */
	__u64 max_size;	      /* rotate (or stop) when a file reaches this */
	__u32 max_files;      /* files kept in rotation; 1 = stop at max_size */
	const char *cmdline;  /* stored in the header */
	bool top;	      /* tsend-trace top: sums in maps, no trace file */
	bool top_by_flow;     /* top --by flow: sums per flow, not per device */
	__u64 stack_stages;   /* --stacks: kernel stacks at these stages (1 << stage),
			       * and user stacks at send() entries; 0: none */
	__u32 stack_entries;  /* --stack-entries: distinct stacks the map holds */
};

struct recorder;
struct tsend_bpf;

/* Loads and attaches; on failure NULL with errno set and a reason in err. */
struct recorder *recorder__open(const struct record_opts *o, char *err, size_t errlen);
/* Consumes the ring for up to timeout_ms; flushes a block once a second.
 * Returns records consumed, -EINTR on a signal, or -errno (write failure;
 * -EFBIG when max_size was reached with no rotation). */
int recorder__poll(struct recorder *r, int timeout_ms);
/* Records written so far, all files together. */
__u64 recorder__records(const struct recorder *r);
const struct trace_probe *recorder__probes(const struct recorder *r, __u32 *nr);
/* The loaded skeleton: its maps, for top.c. */
const struct tsend_bpf *recorder__skel(const struct recorder *r);
/* What a recording holds once closed, over all CPUs and files. */
struct recorder_totals {
	__u64 records;	   /* written, the last drain's included */
	__u64 lost;	   /* ring buffer full */
	__u64 untracked;   /* skb tracking map full */
	__u64 kstack_lost; /* --stacks: kernel stacks not taken */
	__u64 ustack_lost; /* user stacks at send() not taken */
	__u32 files;	   /* files written (rotation) */
};

/* Detaches, drains the ring, writes the end block. Fills t if set. */
int recorder__close(struct recorder *r, struct recorder_totals *t);

/* Probes only: what would be attached on this kernel (loads and attaches
 * for real, then detaches). Rows are copied to rows[] (TRACE_MAX_PROBES). */
int recorder__probe_only(const char *btf_path, bool no_fentry, struct trace_probe *rows, __u32 *nr,
			 char *err, size_t errlen);

#endif /* TSEND_RECORD_H */
