/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The record streams fuzz_report and fuzz_lifecycle read, after their
 * options byte: records, each behind a little-endian u16 whose low 15 bits
 * are the record's length (a length past the end takes what is left) and
 * whose top bit says "set head.size to that length", so the fuzzer gets
 * past the size check to the bodies instead of stopping there.
 *
 * Each record comes as a heap copy of exactly its length, so ASan sees any
 * read past it: the fuzzer's own buffer would hide one.
 */
#ifndef TSEND_FUZZ_RECORDS_H
#define TSEND_FUZZ_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/tsend.h"

#define FIX_SIZE 0x8000

/* The next record (free it), NULL at the end of the input. */
static inline uint8_t *next_record(const uint8_t **data, size_t *size, uint32_t *len)
{
	uint16_t pre, n;
	uint8_t *rec;

	if (*size < 2)
		return NULL;
	pre = (*data)[0] | (*data)[1] << 8;
	*data += 2;
	*size -= 2;
	*len = pre & ~FIX_SIZE;
	if (*len > *size)
		*len = *size;
	rec = malloc(*len ? *len : 1);
	if (!rec)
		return NULL;
	memcpy(rec, *data, *len);
	*data += *len;
	*size -= *len;
	n = *len;
	if ((pre & FIX_SIZE) && *len >= offsetof(struct tsend_head, size) + sizeof(n))
		memcpy(rec + offsetof(struct tsend_head, size), &n, sizeof(n));
	return rec;
}

#endif /* TSEND_FUZZ_RECORDS_H */
