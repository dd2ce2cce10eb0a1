/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside output.h: what a driver (pcap.c, afpacket.c, e1000e.c)
 * implements, the way ixy's struct ixy_device is a table of function
 * pointers embedded in each driver's own struct. output.c checks the
 * arguments, keeps frames/bytes/batches and dispatches; a driver only moves
 * frames and counts its own system calls.
 */
#ifndef TSEND_REPLAY_OUTPUT_OPS_H
#define TSEND_REPLAY_OUTPUT_OPS_H

#include <stddef.h>

#include "output.h"

#define OUTPUT_MSG_MAX 512

struct output_ops {
	/* Takes all n frames, already checked against max_frame; n > 0. */
	int (*tx_batch)(struct output *o, const struct replay_frame *f, unsigned int n);
	int (*flush)(struct output *o);
	/* Releases everything, the driver's struct included. */
	int (*close)(struct output *o, bool commit);
	/* Optional: output__report()'s line. */
	void (*report)(struct output *o, char *buf, size_t len);
};

struct output {
	const struct output_ops *ops;
	char *spec; /* owned by output.c, for messages */
	__u32 max_frame;
	struct output_stats stats; /* the driver adds to .syscalls only */
	char error[OUTPUT_MSG_MAX];
	/* output__close()'s err: output_fail() writes there too, since the
	 * driver frees o (and o->error) before close returns */
	char *close_err;
	size_t close_errlen;
};

#define output_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Sets o->error to "SPEC: <fmt>" and returns err (a -errno). */
__attribute__((format(printf, 3, 4))) int output_fail(struct output *o, int err, const char *fmt,
						      ...);

/* Constructors: NULL with errno set and a line in err naming spec. */
struct output *pcap_output__open(const char *spec, const char *path, bool ng, char *err,
				 size_t errlen);
struct output *afpacket_output__open(const char *spec, const char *iface, char *err, size_t errlen);
struct output *e1000e_output__open(const char *spec, const char *pci,
				   const struct output_opts *opts, char *err, size_t errlen);

#endif /* TSEND_REPLAY_OUTPUT_OPS_H */
