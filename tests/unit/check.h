/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A minimal unit-test harness: each tests/unit/test_*.c is one program whose
 * main() calls CHECK()s and returns check_done(). Every failing CHECK prints
 * file:line and the expression; the exit code is non-zero if any failed.
 */
#ifndef TSEND_CHECK_H
#define TSEND_CHECK_H

#include <stdio.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                          \
	do {                                                                 \
		check_count++;                                               \
		if (!(cond)) {                                               \
			check_failures++;                                    \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
		}                                                            \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                   \
	do {                                                                 \
		unsigned long long _a = (a), _b = (b);                       \
		check_count++;                                               \
		if (_a != _b) {                                              \
			check_failures++;                                    \
			fprintf(stderr, "%s:%d: %s == %s: %llu != %llu\n",   \
				__FILE__, __LINE__, #a, #b, _a, _b);         \
		}                                                            \
	} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif /* TSEND_CHECK_H */
