/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The tsend trace file: the only code that knows the file's bytes
 * (docs/trace-format.md). Records are opaque here: each is a byte string
 * whose first bytes are a struct tsend_head (bpf/tsend.h); this module checks
 * only that head.size equals the record's length.
 *
 * Writer: trace_writer__open → __append … (__flush every second) → __close.
 * Reader: trace_reader__open → __next until 0 → __stats → __close.
 * Int functions return 0 or -errno; constructors return NULL and set errno.
 * Nothing here prints or exits: errors and warnings are strings the caller
 * fetches with trace_reader__error()/__warning().
 */
#ifndef TSEND_TRACE_FILE_H
#define TSEND_TRACE_FILE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#define TRACE_MAGIC	    "TSENDTRC"
#define TRACE_VERSION	    1
#define TRACE_MAX_PROBES    64
#define TRACE_MAX_CPUS	    1024
#define TRACE_BLOCK_RAW_MAX (256 * 1024) /* raw bytes per block, before zlib */
#define TRACE_RECORD_MAX    65535	 /* head.size is a __u16 */

/* One row of the probe table: how a stage was watched in this recording. */
struct trace_probe {
	__u16 stage; /* enum tsend_stage */
	__u8 mech;   /* enum tsend_mech: TSEND_MECH_NONE = unavailable */
	__u8 pad;
	char func[64];	  /* seed name: kernel function or category:tracepoint */
	char target[64];  /* what was attached: symbol or tracepoint */
	char detail[128]; /* why it is unavailable, or what stands in */
};

/* The header: written once at the start of every file. */
struct trace_meta {
	__u32 abi_version;	 /* TSEND_ABI_VERSION of the records */
	__u32 snaplen;		 /* frame bytes kept at net_dev_start_xmit */
	__u32 payload_len;	 /* send() payload bytes kept (--payload) */
	__u32 nr_cpus;		 /* possible CPUs of the recording host */
	__s64 realtime_offset;	 /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	__s64 boottime_offset;	 /* CLOCK_BOOTTIME - CLOCK_MONOTONIC, ns */
	__u64 start_ns;		 /* CLOCK_MONOTONIC at the start */
	char kernel_release[65]; /* uname -r */
	char hostname[65];
	char cmdline[256]; /* how tsend-trace was started */
	__u32 nr_probes;
	struct trace_probe probes[TRACE_MAX_PROBES];
};

/* Written at close (the end block): what was lost, per CPU. */
struct trace_stats {
	__u64 records; /* records written to this file */
	__u64 end_ns;  /* CLOCK_MONOTONIC at close */
	__u32 nr_cpus;
	__u32 pad;
	__u64 lost[TRACE_MAX_CPUS];	 /* ring buffer full, per CPU */
	__u64 untracked[TRACE_MAX_CPUS]; /* skb tracking map full, per CPU */
	__u64 kstack_lost;		 /* record --stacks: kernel stacks not taken */
	__u64 ustack_lost;		 /* ... and user stacks at send() */
};

struct trace_writer;
struct trace_reader;

/* Creates (or truncates) path with mode 0600 and writes the header. */
struct trace_writer *trace_writer__open(const char *path, const struct trace_meta *meta);
/* Buffers one record; compresses and writes a block when the buffer fills. */
int trace_writer__append(struct trace_writer *w, const void *rec, __u32 len);
/* Writes the buffered records as a block now (call about once a second). */
int trace_writer__flush(struct trace_writer *w);
/* Bytes on disk so far, header and blocks. */
__u64 trace_writer__size(const struct trace_writer *w);
/* What the file would hold if the buffered records were written now, at the
 * compression ratio seen so far (for --max-size rotation). */
__u64 trace_writer__estimate(const struct trace_writer *w);
/* Flushes, writes the end block with stats (may be NULL) and closes. */
int trace_writer__close(struct trace_writer *w, const struct trace_stats *stats);

/* On failure returns NULL, sets errno and writes a one-line reason to err. */
struct trace_reader *trace_reader__open(const char *path, char *err, size_t errlen);
/* The same over a buffer (fuzzing, tests); name is used in messages. */
struct trace_reader *trace_reader__open_mem(const void *buf, size_t len, const char *name,
					    char *err, size_t errlen);
const struct trace_meta *trace_reader__meta(const struct trace_reader *r);
/*
 * Next record: 1 with *rec and *len set (valid until the next call), 0 at the
 * end, -errno on a corrupt block (trace_reader__error() names file and
 * offset). A file cut off mid-block ends with 0 and a warning.
 */
int trace_reader__next(struct trace_reader *r, const void **rec, __u32 *len);
/* The end block's stats once __next returned 0; NULL if the file has none. */
const struct trace_stats *trace_reader__stats(const struct trace_reader *r);
const char *trace_reader__error(const struct trace_reader *r);
/* Non-NULL when the file ended early (no end block, a torn block). */
const char *trace_reader__warning(const struct trace_reader *r);
void trace_reader__close(struct trace_reader *r);

#endif /* TSEND_TRACE_FILE_H */
