// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tsend-replay: turn a trace back into frames through the replayed send
 * path (replay/), or a capture file into frames as recorded, and put them
 * on a wire (or into a file) on the recorded schedule. Options only: the
 * logic lives in replay/.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/drivers/output.h"
#include "replay/pcap_reader.h"
#include "replay/replay.h"
#include "replay/sched.h"
#include "replay/verify.h"
#include "replay/xmit.h"
#include "userspace/trace_file.h"

#define EXIT_USAGE 2

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: tsend-replay COMMAND [OPTIONS] INPUT\n\n"
		   "Re-run a recorded send path in userspace and put its frames on a wire.\n\n"
		   "Commands:\n"
		   "  run INPUT -o OUTPUT   replay a trace (or a pcap/pcapng, as recorded)\n"
		   "                        OUTPUT: pcap:FILE, pcapng:FILE, afpacket:IFACE,\n"
		   "                        e1000e:PCI_ADDR\n"
		   "  verify TRACE          compare the replay's frames with the kernel's\n\n"
		   "'tsend-replay COMMAND --help' lists a command's options.\n");
}

struct args {
	const char *input, *output;
	struct replay_opts ro;
	struct sched_opts so;
	struct output_opts oo;
	__u64 loops;
	bool quiet, json, abandon;
	unsigned int max_diffs;
};

enum {
	OPT_SPEED = 1000,
	OPT_PPS,
	OPT_MBPS,
	OPT_TOPSPEED,
	OPT_LOOP,
	OPT_VIEW,
	OPT_MSS,
	OPT_NODELAY,
	OPT_NO_TSO,
	OPT_QDISC,
	OPT_DST_MAC,
	OPT_JSON,
	OPT_PARTIAL,
	OPT_BIND,
	OPT_FORCE,
	OPT_ABANDON,
};

static const struct argp_option run_opts[] = {
	{"output", 'o', "OUTPUT", 0, "pcap:FILE, pcapng:FILE, afpacket:IFACE or e1000e:PCI_ADDR",
	 0},
	{NULL, 0, NULL, 0, "Schedule (default: the recorded times):", 2},
	{"speed", OPT_SPEED, "X", 0, "The recorded gaps divided by X", 2},
	{"pps", OPT_PPS, "N", 0, "N frames per second", 2},
	{"mbps", OPT_MBPS, "N", 0, "N Mbit/s on the wire", 2},
	{"topspeed", OPT_TOPSPEED, NULL, 0, "As fast as the output takes them", 2},
	{"loop", OPT_LOOP, "N", 0, "Replay N times (0: until interrupted)", 2},
	{"quiet", 'q', NULL, 0, "No summary on stderr", 3},
	{NULL, 0, NULL, 0, "e1000e:PCI_ADDR (an 82574L through uio_pci_generic):", 4},
	{"bind", OPT_BIND, NULL, 0,
	 "Take the device from its kernel driver for this run and give it back after", 4},
	{"force", OPT_FORCE, NULL, 0, "With --bind: even if its interface is up or has an address",
	 4},
	{"abandon", OPT_ABANDON, NULL, 0,
	 "When interrupted, drop the frames still on the TX ring (default: send them)", 4},
	{NULL, 0, NULL, 0, "The replayed send path (a trace; what-if knobs):", 1},
	{"view", OPT_VIEW, "wire|device", 0,
	 "wire: what the NIC sends, TSO frames cut at the MSS, checksums complete (default); "
	 "device: what the kernel handed the driver, as tsend-trace pcap shows it",
	 1},
	{"mss", OPT_MSS, "BYTES", 0, "What if the MSS had been BYTES", 1},
	{"nodelay", OPT_NODELAY, "on|off", 0, "What if TCP_NODELAY had been on or off", 1},
	{"no-tso", OPT_NO_TSO, NULL, 0, "What if the device had no TSO (GSO in software)", 1},
	{"qdisc", OPT_QDISC, "pfifo_fast|fq", 0,
	 "What if this qdisc had been there (fq paces at TCP's pacing rate)", 1},
	{"dst-mac", OPT_DST_MAC, "MAC", 0, "The neighbour's address (default: as recorded)", 1},
	{"partial", OPT_PARTIAL, NULL, 0, "Replay a trace that ended early (no end block)", 1},
	{},
};

static const struct argp_option verify_opts[] = {
	{"json", OPT_JSON, NULL, 0, "One JSON object", 0},
	{"partial", OPT_PARTIAL, NULL, 0, "Verify a trace that ended early (no end block)", 0},
	{"diffs", 'n', "N", 0, "Detail the first N mismatching frames (default 10)", 0},
	{},
};

static int parse_num(const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_mac(const char *s, __u8 mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (__u8)b[i];
	return 0;
}

static error_t engine_parse(int key, char *arg, struct argp_state *state)
{
	struct args *a = state->input;
	double v;

	switch (key) {
	case OPT_VIEW:
		if (!strcmp(arg, "wire"))
			a->ro.view = VIEW_WIRE;
		else if (!strcmp(arg, "device"))
			a->ro.view = VIEW_DEVICE;
		else
			argp_error(state, "invalid --view '%s': wire or device", arg);
		return 0;
	case OPT_MSS:
		if (parse_num(arg, 65535, &v) || v < 64 || v != (__u32)v)
			argp_error(state, "invalid --mss '%s': 64 to 65535 bytes", arg);
		a->ro.mss = (__u32)v;
		return 0;
	case OPT_NODELAY:
		if (strcmp(arg, "on") && strcmp(arg, "off"))
			argp_error(state, "invalid --nodelay '%s': on or off", arg);
		a->ro.nodelay = !strcmp(arg, "on");
		return 0;
	case OPT_NO_TSO:
		a->ro.no_tso = true;
		return 0;
	case OPT_PARTIAL:
		a->ro.partial = true;
		return 0;
	case OPT_QDISC:
		if (!strcmp(arg, "pfifo_fast"))
			a->ro.qdisc = QDISC_PFIFO_FAST;
		else if (!strcmp(arg, "fq"))
			a->ro.qdisc = QDISC_FQ;
		else
			argp_error(state, "invalid --qdisc '%s': pfifo_fast or fq", arg);
		return 0;
	case OPT_DST_MAC:
		if (parse_mac(arg, a->ro.dst_mac))
			argp_error(state,
				   "invalid --dst-mac '%s': six hex bytes, 02:00:00:00:00:01", arg);
		a->ro.dst_mac_set = true;
		return 0;
	case ARGP_KEY_ARG:
		if (a->input)
			argp_error(state, "one INPUT only ('%s' is a second)", arg);
		a->input = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->input)
			argp_error(state, "no INPUT given");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static error_t run_parse(int key, char *arg, struct argp_state *state)
{
	struct args *a = state->input;
	double v;

	switch (key) {
	case 'o':
		a->output = arg;
		return 0;
	case OPT_SPEED:
		if (parse_num(arg, 1e6, &v))
			argp_error(state, "invalid --speed '%s': a factor > 0", arg);
		a->so.mode = SCHED_RECORDED;
		a->so.speed = v;
		return 0;
	case OPT_PPS:
		if (parse_num(arg, 1e9, &v) || v != (__u64)v)
			argp_error(state, "invalid --pps '%s': frames per second, 1 or more", arg);
		a->so.mode = SCHED_PPS;
		a->so.pps = (__u64)v;
		return 0;
	case OPT_MBPS:
		if (parse_num(arg, 1e7, &v))
			argp_error(state, "invalid --mbps '%s': Mbit/s > 0", arg);
		a->so.mode = SCHED_MBPS;
		a->so.mbps = v;
		return 0;
	case OPT_TOPSPEED:
		a->so.mode = SCHED_TOPSPEED;
		return 0;
	case OPT_LOOP: {
		char *end;

		errno = 0;
		a->loops = strtoull(arg, &end, 10);
		if (errno || end == arg || *end || *arg == '-')
			argp_error(state, "invalid --loop '%s': a count, 0 for until interrupted",
				   arg);
		return 0;
	}
	case 'q':
		a->quiet = true;
		return 0;
	case OPT_BIND:
		a->oo.bind = true;
		return 0;
	case OPT_FORCE:
		a->oo.force = true;
		return 0;
	case OPT_ABANDON:
		a->abandon = true;
		return 0;
	case ARGP_KEY_END:
		if (!a->output)
			argp_error(state, "no -o OUTPUT given");
		if ((a->oo.bind || a->oo.force || a->abandon) && strncmp(a->output, "e1000e:", 7))
			argp_error(state,
				   "--bind, --force and --abandon are for an e1000e: output");
		if (a->oo.force && !a->oo.bind)
			argp_error(state, "--force goes with --bind");
		return engine_parse(key, arg, state);
	default:
		return engine_parse(key, arg, state);
	}
}

static error_t verify_parse(int key, char *arg, struct argp_state *state)
{
	struct args *a = state->input;
	double v;

	switch (key) {
	case OPT_JSON:
		a->json = true;
		return 0;
	case 'n':
		if (parse_num(arg, 1000, &v) || v != (unsigned int)v)
			argp_error(state, "invalid -n '%s': 1 to 1000", arg);
		a->max_diffs = (unsigned int)v;
		return 0;
	default:
		return engine_parse(key, arg, state);
	}
}

static const char run_doc[] =
	"Replay INPUT through OUTPUT.\v"
	"A tsend trace goes through the replayed send path: its send() calls become\n"
	"write-queue skbs and frames as the kernel made them, on the recorded schedule.\n"
	"A pcap or pcapng goes out as recorded (tcpreplay's job). A file output is\n"
	"written with the schedule's times and only appears once complete.\n\n"
	"EXAMPLES:\n"
	"    tsend-replay run x.trace -o pcap:x.pcap\n"
	"    tsend-replay run x.trace -o afpacket:veth0 --speed 2 --loop 3\n"
	"    tsend-replay run x.trace -o pcap:what-if.pcap --mss 536 --nodelay on\n"
	"    tsend-replay run x.pcap -o afpacket:veth0 --topspeed\n"
	"    tsend-replay run x.trace -o e1000e:0000:00:03.0 --bind --view device";

static const char verify_doc[] =
	"Compare the frames the replay makes from TRACE with the kernel's.\v"
	"Pairs each send-path frame of the replay with the kernel's at\n"
	"net_dev_start_xmit, in each flow's order, and compares every field it computes\n"
	"and every captured byte. Fields taken from the recording are listed as inputs\n"
	"and never counted as matches. Exit status 0 when all are identical, 1 if not.";

/* Is path a tsend trace (else a capture file)? */
static int is_trace(const char *path)
{
	char magic[8];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -errno;
	n = fread(magic, 1, sizeof(magic), f);
	fclose(f);
	return n == sizeof(magic) && !memcmp(magic, TRACE_MAGIC, sizeof(magic));
}

static int trace_next(void *ctx, struct replay_frame *f)
{
	return replay__next(ctx, f, NULL);
}

static int trace_rewind(void *ctx)
{
	replay__rewind(ctx);
	return 0;
}

struct capture {
	const char *path;
	struct pcap_reader *r;
	char err[256];
};

static int capture_next(void *ctx, struct replay_frame *f)
{
	struct capture *c = ctx;

	return pcap_reader__next(c->r, f);
}

static const char *capture_error(void *ctx)
{
	struct capture *c = ctx;

	return c->r ? pcap_reader__error(c->r) : c->err;
}

static int capture_rewind(void *ctx)
{
	struct capture *c = ctx;

	pcap_reader__close(c->r);
	c->r = pcap_reader__open(c->path, c->err, sizeof(c->err));
	return c->r ? 0 : -errno;
}

static void summary(const struct args *a, const struct xmit_stats *st, const struct replay *r,
		    const char *report)
{
	if (a->quiet)
		return;
	fprintf(stderr,
		"tsend-replay: %llu frames, %llu bytes to %s in %.3f s (%.0f pps, %.1f Mbit/s)",
		(unsigned long long)st->frames, (unsigned long long)st->bytes, a->output,
		(double)st->elapsed_ns / 1e9, st->pps, st->mbps);
	if (r) {
		struct replay_summary s;

		replay__summary(r, &s);
		fprintf(stderr,
			"; %llu flows (%llu with send() calls), %llu send() calls, %llu frames "
			"passed through",
			(unsigned long long)s.socks, (unsigned long long)s.modeled_socks,
			(unsigned long long)s.sends, (unsigned long long)s.passthrough);
		if (s.unknown_payload_frames)
			fprintf(stderr,
				"; %llu frames carry payload the trace did not keep (zeros; "
				"record with --payload all)",
				(unsigned long long)s.unknown_payload_frames);
	}
	fprintf(stderr, "\n");
	if (st->errors.samples)
		fprintf(stderr,
			"tsend-replay: inter-frame timing error p50 %.1f us, p99 %.1f us, max %.1f "
			"us over %llu gaps\n",
			(double)st->errors.p50_ns / 1e3, (double)st->errors.p99_ns / 1e3,
			(double)st->errors.max_ns / 1e3, (unsigned long long)st->errors.samples);
	if (report[0])
		fprintf(stderr, "tsend-replay: %s\n", report);
}

static int cmd_run(int argc, char **argv)
{
	struct argp argp = {run_opts, run_parse, "INPUT", run_doc, NULL, NULL, NULL};
	struct args a = {.ro = {.nodelay = -1}, .loops = 1};
	struct xmit_source src = {NULL};
	struct xmit_opts xo = {.stop = &stop};
	struct capture cap = {NULL};
	struct replay *r = NULL;
	struct output *o = NULL;
	struct sched *s = NULL;
	struct xmit_stats st;
	char err[512], report[512] = "";
	int ret = 1, trace;
	bool commit;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	trace = is_trace(a.input);
	if (trace < 0) {
		fprintf(stderr, "tsend-replay: %s: %s\n", a.input, strerror(-trace));
		return 1;
	}
	o = output__open(a.output, &a.oo, err, sizeof(err));
	if (!o) {
		fprintf(stderr, "tsend-replay: %s\n", err);
		return 1;
	}
	if (trace) {
		r = replay__open(a.input, &a.ro, err, sizeof(err));
		if (!r)
			goto fail;
		if (replay__warning(r))
			fprintf(stderr, "tsend-replay: warning: %s\n", replay__warning(r));
		src = (struct xmit_source){trace_next, trace_rewind, NULL, r};
	} else {
		cap.path = a.input;
		cap.r = pcap_reader__open(a.input, err, sizeof(err));
		if (!cap.r)
			goto fail;
		src = (struct xmit_source){capture_next, capture_rewind, capture_error, &cap};
	}
	s = sched__new(&a.so, NULL);
	if (!s) {
		snprintf(err, sizeof(err), "scheduler: %s", strerror(errno));
		goto fail;
	}
	xo.wait = strncmp(a.output, "pcap:", 5) && strncmp(a.output, "pcapng:", 7);
	xo.loops = a.loops;
	if (xmit__run(o, s, &src, &xo, &st, err, sizeof(err)))
		goto fail;
	if (cap.r && pcap_reader__warning(cap.r))
		fprintf(stderr, "tsend-replay: warning: %s\n", pcap_reader__warning(cap.r));
	if (stop && !xo.wait) {
		snprintf(err, sizeof(err), "interrupted: %s not written", a.output);
		goto fail;
	}
	/* interrupted with --abandon: what the ring holds stays there */
	commit = !(stop && a.abandon);
	if (commit)
		output__report(o, report, sizeof(report));
	if (output__close(o, commit, err, sizeof(err))) {
		o = NULL;
		goto fail;
	}
	o = NULL;
	summary(&a, &st, r, report);
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "tsend-replay: %s\n", err);
out:
	if (o) {
		char why[512];

		if (output__close(o, false, why, sizeof(why)))
			fprintf(stderr, "tsend-replay: %s\n", why);
	}
	sched__free(s);
	replay__close(r);
	pcap_reader__close(cap.r);
	return ret;
}

static int cmd_verify(int argc, char **argv)
{
	struct argp argp = {verify_opts, verify_parse, "TRACE", verify_doc, NULL, NULL, NULL};
	struct args a = {.ro = {.nodelay = -1, .view = VIEW_DEVICE}, .max_diffs = 10};
	struct verify_opts vo;
	struct verify_result res;
	struct replay *r;
	char err[512];
	int ret;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EXIT_USAGE;
	r = replay__open(a.input, &a.ro, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "tsend-replay: %s\n", err);
		return 1;
	}
	if (replay__warning(r))
		fprintf(stderr, "tsend-replay: warning: %s\n", replay__warning(r));
	vo.max_diffs = a.max_diffs;
	vo.json = a.json;
	ret = replay__verify(r, &vo, stdout, &res);
	replay__close(r);
	return ret < 0 ? 1 : ret;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : NULL;

	argp_err_exit_status = EXIT_USAGE;
	if (!c) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(c, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(c, "verify"))
		return cmd_verify(argc - 1, argv + 1);
	fprintf(stderr, "tsend-replay: unknown command '%s'\n", c);
	usage(stderr);
	return EXIT_USAGE;
}
