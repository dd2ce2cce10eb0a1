/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The file readers' outcome (trace_file.c, replay/pcap_reader.c): one-line
 * messages "FILE: offset N: what", an error that sticks (every later call
 * returns it again), or a warning that the file ended early but what came
 * before it is good.
 */
#ifndef TSEND_MSG_H
#define TSEND_MSG_H

#include <linux/types.h>
#include <stdarg.h>
#include <stdio.h>

#define MSG_MAX 512

static inline void msg_at(char *dst, size_t size, const char *name, __u64 off, const char *fmt,
			  va_list ap)
{
	int n = snprintf(dst, size, "%s: offset %llu: ", name, (unsigned long long)off);

	if (n >= 0 && (size_t)n < size)
		vsnprintf(dst + n, size - n, fmt, ap);
}

enum reader_state {
	READER_READING,
	READER_DONE,
	READER_FAILED,
};

struct reader_status {
	enum reader_state state;
	int err;
	char error[MSG_MAX];
	char warning[MSG_MAX];
};

/* The error at offset off of file name; it sticks. Returns err. */
static inline int reader_status_fail(struct reader_status *s, const char *name, __u64 off, int err,
				     const char *fmt, va_list ap)
{
	msg_at(s->error, MSG_MAX, name, off, fmt, ap);
	s->state = READER_FAILED;
	s->err = err;
	return err;
}

/* The file ended at off, early: stop with a warning. Returns 0. */
static inline int reader_status_stop(struct reader_status *s, const char *name, __u64 off,
				     const char *fmt, va_list ap)
{
	msg_at(s->warning, MSG_MAX, name, off, fmt, ap);
	s->state = READER_DONE;
	return 0;
}

#endif /* TSEND_MSG_H */
