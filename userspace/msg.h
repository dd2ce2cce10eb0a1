/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one-line errors of the file readers: "FILE: offset N: what". */
#ifndef TSEND_MSG_H
#define TSEND_MSG_H

#include <linux/types.h>
#include <stdarg.h>
#include <stdio.h>

static inline void msg_at(char *dst, size_t size, const char *name, __u64 off, const char *fmt,
			  va_list ap)
{
	int n = snprintf(dst, size, "%s: offset %llu: ", name, (unsigned long long)off);

	if (n >= 0 && (size_t)n < size)
		vsnprintf(dst + n, size - n, fmt, ap);
}

#endif /* TSEND_MSG_H */
