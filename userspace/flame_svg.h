/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flame graph as one self-contained, interactive SVG (no network, no
 * external script or font): frames as rectangles, root at the bottom, x the
 * share of the total weight; hover shows a frame's name, weight and share;
 * click zooms to it; "Search" (or Ctrl-F) highlights frames matching a
 * regular expression and shows their share; "Reset zoom" returns. Colors
 * tell the layer of the send path a frame belongs to; in a differential
 * graph (diff), red frames grew and blue ones shrank from A to B.
 */
#ifndef TSEND_FLAME_SVG_H
#define TSEND_FLAME_SVG_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The send path's layers, which color a frame. */
enum flame_layer {
	FLAME_ROOT = 0, /* "all" */
	FLAME_USER,	/* user space: the application and its libraries */
	FLAME_SYSCALL,	/* syscall entry, socket layer (__sys_sendto, sock_sendmsg) */
	FLAME_TCP,	/* tcp_* */
	FLAME_IP,	/* ip_*, neighbour, dst */
	FLAME_QDISC,	/* __dev_queue_xmit, qdisc, sch_direct_xmit, dev_hard_start_xmit */
	FLAME_DRIVER,	/* ndo_start_xmit: e1000_xmit_frame, loopback_xmit, veth_xmit */
	FLAME_KERNEL,	/* any other kernel function (softirq, scheduler, ...) */
	FLAME_MISSING,	/* "[unknown] 0x...", "[missed kernel stack]" */
	FLAME_LAYERS,
};

/* "user", "syscall", "tcp", ...: the legend's and the details' words. */
const char *flame_layer_name(enum flame_layer layer);

/*
 * One frame, in depth-first pre-order: nodes[0] is the root (depth 0), and
 * each node's children follow it, left to right. start and value are in
 * weight units: a child lies within its parent's [start, start + value).
 */
struct flame_node {
	const char *name;
	__u32 depth;
	__u8 layer; /* enum flame_layer */
	__u64 start;
	__u64 value;   /* weight (B's in a differential graph) */
	__u64 value_a; /* differential graph: A's weight of the same frame */
};

struct flame_svg_opts {
	const char *title;    /* escaped by the writer */
	const char *subtitle; /* a line under the title, or NULL */
	const char *unit;     /* "ns" (shown as time) or "samples" ... */
	bool diff;	      /* color by value - value_a, not by layer */
	unsigned int width;   /* pixels; 0: 1200 */
};

/* Writes the SVG; frames narrower than 0.1 pixel are left out (their
 * weight stays in the parent's width). Its script gives tests a hook,
 * window.tsendFlame (flame_svg.c). 0, -EINVAL when nodes are not in the
 * pre-order above (or n is 0), or -errno from writing. */
int flame_svg_write(FILE *out, const struct flame_node *nodes, size_t n,
		    const struct flame_svg_opts *o);

#endif /* TSEND_FLAME_SVG_H */
