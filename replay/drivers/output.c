// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The replay's way out (output.h): picks a driver by the spec's prefix and
 * puts the checks every driver needs in one place, so a driver sees only
 * frames it can take. Adding a driver is one row in ways_out[] and one file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output_ops.h"

#define SPEC_HELP "want pcap:FILE, pcapng:FILE, afpacket:IFACE or e1000e:PCI"

static struct output *pcap_open(const char *spec, const char *path, const struct output_opts *opts,
				char *err, size_t errlen)
{
	size_t n = strlen(path);
	bool ng = n >= 7 && !strcmp(path + n - 7, ".pcapng");

	(void)opts;
	return pcap_output__open(spec, path, ng, err, errlen);
}

static struct output *pcapng_open(const char *spec, const char *path,
				  const struct output_opts *opts, char *err, size_t errlen)
{
	(void)opts;
	return pcap_output__open(spec, path, true, err, errlen);
}

static struct output *afpacket_open(const char *spec, const char *iface,
				    const struct output_opts *opts, char *err, size_t errlen)
{
	(void)opts;
	return afpacket_output__open(spec, iface, err, errlen);
}

static const struct {
	const char *prefix;
	struct output *(*open)(const char *spec, const char *arg, const struct output_opts *opts,
			       char *err, size_t errlen);
} ways_out[] = {
	{"pcap:", pcap_open},
	{"pcapng:", pcapng_open},
	{"afpacket:", afpacket_open},
	{"e1000e:", e1000e_output__open},
};

int output_fail(struct output *o, int err, const char *fmt, ...)
{
	int n = snprintf(o->error, sizeof(o->error), "%s: ", o->spec);

	if (n >= 0 && (size_t)n < sizeof(o->error)) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(o->error + n, sizeof(o->error) - n, fmt, ap);
		va_end(ap);
	}
	if (o->close_err)
		snprintf(o->close_err, o->close_errlen, "%s", o->error);
	return err;
}

struct output *output__open(const char *spec, const struct output_opts *opts, char *err,
			    size_t errlen)
{
	static const struct output_opts defaults;
	char scratch[OUTPUT_MSG_MAX];
	struct output *o;
	char *copy;

	/* every path below writes a message: make err always writable */
	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	if (!spec) {
		snprintf(err, errlen, "output__open: no output spec");
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(ways_out) / sizeof(ways_out[0]); i++) {
		size_t n = strlen(ways_out[i].prefix);

		if (strncmp(spec, ways_out[i].prefix, n))
			continue;
		if (!spec[n]) {
			snprintf(err, errlen, "%s: nothing after '%s' (%s)", spec,
				 ways_out[i].prefix, SPEC_HELP);
			errno = EINVAL;
			return NULL;
		}
		copy = strdup(spec);
		if (!copy) {
			snprintf(err, errlen, "%s: out of memory", spec);
			errno = ENOMEM;
			return NULL;
		}
		o = ways_out[i].open(spec, spec + n, opts ? opts : &defaults, err, errlen);
		if (!o) {
			free(copy);
			return NULL;
		}
		o->spec = copy;
		return o;
	}
	snprintf(err, errlen, "%s: unknown output (%s)", spec, SPEC_HELP);
	errno = EINVAL;
	return NULL;
}

__u32 output__max_frame(const struct output *o)
{
	return o->max_frame;
}

/* All or nothing: a batch with one bad frame queues none of them. */
static int batch_check(struct output *o, const struct replay_frame *f, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (!f[i].data || !f[i].len)
			return output_fail(o, -EINVAL, "frame %u of the batch is empty", i);
		if (f[i].len > f[i].wire_len)
			return output_fail(
				o, -EINVAL,
				"frame %u of the batch: %u bytes exceed its wire length %u", i,
				f[i].len, f[i].wire_len);
		if (f[i].wire_len > o->max_frame)
			return output_fail(
				o, -EMSGSIZE,
				"frame %u of the batch: wire length %u exceeds the %u this output takes",
				i, f[i].wire_len, o->max_frame);
	}
	return 0;
}

int output__tx_batch(struct output *o, const struct replay_frame *f, unsigned int n)
{
	int err;

	if (!n)
		return 0;
	if (!f)
		return output_fail(o, -EINVAL, "tx_batch: no frames");
	if (n > (unsigned int)__INT_MAX__) /* the count is returned as an int */
		return output_fail(o, -EINVAL, "tx_batch: %u frames in one batch", n);
	err = batch_check(o, f, n);
	if (err)
		return err;
	err = o->ops->tx_batch(o, f, n);
	if (err < 0)
		return err;
	o->stats.frames += n;
	for (unsigned int i = 0; i < n; i++)
		o->stats.bytes += f[i].len;
	o->stats.batches++;
	return (int)n;
}

int output__flush(struct output *o)
{
	return o->ops->flush(o);
}

void output__stats(const struct output *o, struct output_stats *st)
{
	*st = o->stats;
}

void output__report(struct output *o, char *buf, size_t len)
{
	if (len)
		buf[0] = '\0';
	if (o->ops->report && len)
		o->ops->report(o, buf, len);
}

const char *output__error(const struct output *o)
{
	return o && o->error[0] ? o->error : NULL;
}

int output__close(struct output *o, bool commit, char *err, size_t errlen)
{
	char *spec, scratch[OUTPUT_MSG_MAX];
	int ret;

	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	err[0] = '\0';
	if (!o)
		return 0;
	/* the driver frees o: keep the spec until it is done with messages */
	spec = o->spec;
	o->close_err = err;
	o->close_errlen = errlen;
	ret = o->ops->close(o, commit);
	if (ret && !err[0])
		snprintf(err, errlen, "%s: %s", spec, strerror(-ret));
	free(spec);
	return ret;
}
