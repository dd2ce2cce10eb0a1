// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for everything that reads a record's body: report__add(),
 * dump_record() (text and JSON) and report__print().
 *
 * Input: one options byte, then records as records.h reads them.
 * Options: bit 0 end block present, bit 1 header present, bit 2 a hostile
 * header and end block (strings without NUL, counts out of range).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userspace/dump.h"
#include "userspace/report.h"
#include "records.h"

#define OPT_STATS   0x01
#define OPT_META    0x02
#define OPT_HOSTILE 0x04

static FILE *null_out;
static struct trace_meta meta, bad_meta;
static struct trace_stats stats, bad_stats;

static void setup_meta(void)
{
	meta.abi_version = TSEND_ABI_VERSION;
	meta.snaplen = TSEND_SNAP_DEFAULT;
	meta.nr_cpus = 4;
	meta.realtime_offset = 1700000000000000000LL;
	meta.start_ns = 1000000000ULL;
	strcpy(meta.kernel_release, "6.1.0");
	strcpy(meta.hostname, "fuzz");
	meta.nr_probes = 2;
	meta.probes[0] = (struct trace_probe){TSEND_STAGE_NET_DEV_XMIT, TSEND_MECH_TP_BTF, 0,
					      "net:net_dev_xmit",	"net_dev_xmit",	   ""};
	meta.probes[1] = (struct trace_probe){
		TSEND_STAGE_IP_OUTPUT, TSEND_MECH_NONE, 0, "ip_output", "", "not attached"};
	stats.records = 1;
	stats.end_ns = 2000000000ULL;
	stats.nr_cpus = 4;
	stats.lost[2] = 3;

	/* every string full to the last byte, every count out of range */
	memset(&bad_meta, 0xff, sizeof(bad_meta));
	bad_meta.nr_probes = TRACE_MAX_PROBES * 16;
	memset(&bad_stats, 0x7f, sizeof(bad_stats));
	bad_stats.nr_cpus = ~0U;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	null_out = fopen("/dev/null", "w");
	if (!null_out)
		abort();
	setup_meta();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct trace_meta *m = NULL;
	const struct trace_stats *st = NULL;
	struct report *r;
	uint8_t opt, *rec;
	uint32_t len;

	if (!size)
		return 0;
	opt = *data++;
	size--;
	if (opt & OPT_META)
		m = opt & OPT_HOSTILE ? &bad_meta : &meta;
	if (opt & OPT_STATS)
		st = opt & OPT_HOSTILE ? &bad_stats : &stats;
	r = report__new(NULL);
	if (!r)
		return 0;
	while ((rec = next_record(&data, &size, &len))) {
		report__add(r, rec, len);
		dump_record(null_out, rec, len, m, false);
		dump_record(null_out, rec, len, m, true);
		free(rec);
	}
	report__print(r, null_out, m, st, false);
	report__print(r, null_out, m, st, true);
	if (m)
		dump_header(null_out, m, st, opt & 0x08);
	report__free(r);
	return 0;
}
