/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The fuzz targets' promises: a broken one aborts, so logic bugs show up as
 * crashes beside what ASan and UBSan find.
 */
#ifndef TSEND_FUZZ_PROMISE_H
#define TSEND_FUZZ_PROMISE_H

#include <stdlib.h>
#include <string.h>

#define PROMISE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

/* Error messages are one non-empty line. */
static inline void check_msg(const char *msg)
{
	PROMISE(msg && msg[0] && !strchr(msg, '\n'));
}

#endif /* TSEND_FUZZ_PROMISE_H */
