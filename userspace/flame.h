/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A flame graph's data: stacks of frame names, root first, each with a
 * weight, merged into a tree of frames. Two sides for a differential graph
 * (0: the only trace, or A; 1: B). Written as Brendan Gregg's folded
 * format ("root;child;leaf weight", the input of flamegraph.pl, inferno
 * and speedscope) or handed to flame_svg.h as nodes.
 *
 * Output is deterministic: children in strcmp() order of their names.
 */
#ifndef TSEND_FLAME_H
#define TSEND_FLAME_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdio.h>

#include "flame_svg.h"

#define FLAME_DEPTH_MAX 512 /* frames per stack; deeper ones are cut at the leaf */

struct flame;

struct flame *flame__new(void);
/* Adds weight to the stack frames[0] (root) .. frames[n - 1] (leaf) of
 * side. layers[i] is frames[i]'s enum flame_layer. 0 or -ENOMEM. */
int flame__add(struct flame *f, const char *const *frames, const __u8 *layers, unsigned int n,
	       __u64 weight, unsigned int side);
/* The weight of everything added to side. */
__u64 flame__total(const struct flame *f, unsigned int side);
/* One line per stack with weight: "a;b;c W" (diff: "a;b;c WA WB", the
 * two-column form flamegraph.pl and difffolded.pl use). 0 or -errno. */
int flame__folded(const struct flame *f, FILE *out, bool diff);
/* The SVG (flame_svg_write); o->diff takes B's widths and A's for color. */
int flame__svg(const struct flame *f, FILE *out, const struct flame_svg_opts *o);
void flame__free(struct flame *f);

/* The layer of a function of the send path, by its name; user frames are
 * FLAME_USER whatever their name. */
enum flame_layer flame_layer_of(const char *name, bool user);

#endif /* TSEND_FLAME_H */
