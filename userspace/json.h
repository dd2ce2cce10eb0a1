/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A JSON object written field by field (dump --json, skb --json): j_open,
 * then j_* per field, then fputc('}'). Strings go through tsend_json_str, so
 * the output is valid JSON whatever the trace holds.
 */
#ifndef TSEND_JSON_H
#define TSEND_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "dump.h"

struct jw {
	FILE *out;
	bool first;
};

static inline void j_open(struct jw *w, FILE *out)
{
	w->out = out;
	w->first = true;
	fputc('{', out);
}

static inline void j_key(struct jw *w, const char *key)
{
	fprintf(w->out, "%s\"%s\":", w->first ? "" : ",", key);
	w->first = false;
}

static inline void j_u64(struct jw *w, const char *key, unsigned long long v)
{
	j_key(w, key);
	fprintf(w->out, "%llu", v);
}

static inline void j_s64(struct jw *w, const char *key, long long v)
{
	j_key(w, key);
	fprintf(w->out, "%lld", v);
}

/* Kernel addresses: hex strings, as JSON numbers lose precision past 2^53. */
static inline void j_ptr(struct jw *w, const char *key, __u64 v)
{
	j_key(w, key);
	fprintf(w->out, "\"0x%llx\"", (unsigned long long)v);
}

static inline void j_str(struct jw *w, const char *key, const char *s, size_t max)
{
	j_key(w, key);
	tsend_json_str(w->out, s, max);
}

static inline void j_enum(struct jw *w, const char *key, const char *name, unsigned int v)
{
	j_key(w, key);
	if (name)
		fprintf(w->out, "\"%s\"", name);
	else
		fprintf(w->out, "%u", v);
}

#endif /* TSEND_JSON_H */
