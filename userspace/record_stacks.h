/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * record --stacks, the recorder's half: a STACK record names stack map ids;
 * before it goes into the trace, whatever the file still lacks to turn
 * those ids into names later, anywhere, goes in first:
 *
 *   STACK_IPS  the id's addresses, read from the "stacks" map once per file
 *   KSYM       the /proc/kallsyms symbol of each kernel address, once
 *   MAPS       the executable mappings of a process whose user stack it
 *              is, again when an address falls outside what was written
 *
 * So each file of a rotation is self-contained. One map lookup per new id,
 * one /proc read per new process: the steady state is a hash lookup.
 */
#ifndef TSEND_RECORD_STACKS_H
#define TSEND_RECORD_STACKS_H

#include <stddef.h>

#include "../bpf/tsend.h"
#include "trace_file.h"

struct stack_recorder;

/* map_fd: the "stacks" stack map. Loads /proc/kallsyms: NULL with errno
 * and a reason in err if it cannot be read. */
struct stack_recorder *stack_recorder__new(int map_fd, char *err, size_t errlen);
/* A new file begins: nothing is written to it yet. */
void stack_recorder__reset(struct stack_recorder *s);
/* Appends to w what e needs that w lacks; *appended counts the records.
 * 0 or trace_writer__append()'s -errno. */
int stack_recorder__before(struct stack_recorder *s, struct trace_writer *w,
			   const struct tsend_stack_event *e, __u64 *appended);
void stack_recorder__free(struct stack_recorder *s);

#endif /* TSEND_RECORD_STACKS_H */
