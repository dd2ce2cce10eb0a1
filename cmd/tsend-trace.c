// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tsend-trace: record the TCP send path, then read the recording.
 * Subcommands: probes, record, dump, report. Options are parsed here; the
 * work is done by the library in userspace/.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "../bpf/tsend.h"
#include "userspace/dump.h"
#include "userspace/pcapng.h"
#include "userspace/record.h"
#include "userspace/report.h"
#include "userspace/stages.h"
#include "userspace/trace_file.h"

#define EXIT_USAGE 2

static struct env {
	bool verbose;
	bool json;
	bool header;
	struct record_opts rec;
	double duration;
	__u64 count;
	const char *file;
	const char *out; /* pcap -o */
	char **cmd;	 /* record -- CMD ARGS */
} env = {
	.rec =
		{
			.output = "tsend.trace",
			.snaplen = TSEND_SNAP_DEFAULT,
			.buffer_bytes = 16 << 20,
			.max_size = 1ULL << 30,
			.max_files = 1,
		},
};

static volatile sig_atomic_t exiting;

static void sig_int(int signo)
{
	(void)signo;
	exiting = 1;
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *format, va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	/* libbpf warns about every program we chose not to load: the probe
	 * table reports those, so keep only real warnings unless -v */
	if (!env.verbose && level == LIBBPF_INFO)
		return 0;
	return vfprintf(stderr, format, args);
}

/* "64M", "1G", "4096": bytes; strict, so a typo is an error, not a zero. */
static int parse_size(const char *s, __u64 *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	default:
		break;
	}
	if (*end && strcmp(end, "B") && strcmp(end, "iB"))
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u64(const char *s, __u64 max, __u64 *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static void die_usage(struct argp_state *state, const char *flag, const char *arg, const char *what)
{
	argp_error(state, "invalid %s '%s': %s", flag, arg, what);
}

enum {
	OPT_PAYLOAD = 1000,
	OPT_CGROUP,
	OPT_MAX_SIZE,
	OPT_MAX_FILES,
	OPT_BTF,
	OPT_JSON,
	OPT_HEADER,
	OPT_NO_FENTRY,
};

static const struct argp_option record_opts[] = {
	{"output", 'o', "FILE", 0, "Trace file to write (default tsend.trace)", 0},
	{"pid", 'p', "PID", 0, "Only sockets this process sends on", 0},
	{"comm", 'c', "COMM", 0, "Only sockets tasks of this name send on", 0},
	{"cgroup", OPT_CGROUP, "PATH", 0, "Only sockets of tasks in this cgroup v2", 0},
	{"port", 'P', "PORT", 0, "Only TCP connections with this local or remote port", 0},
	{"dev", 'd', "IFACE", 0, "Only device stages on this interface", 0},
	{"snaplen", 's', "BYTES", 0,
	 "Frame bytes kept at net_dev_start_xmit (default 128, max 1024)", 0},
	{"payload", OPT_PAYLOAD, "BYTES", 0, "Keep the first BYTES of each send() (default 0)", 0},
	{"buffer", 'b', "SIZE", 0, "Ring buffer size, e.g. 64M (default 16M)", 0},
	{"duration", 'D', "SEC", 0, "Stop after SEC seconds", 0},
	{"count", 'n', "N", 0, "Stop after N records", 0},
	{"max-size", OPT_MAX_SIZE, "SIZE", 0,
	 "Rotate or stop when a file reaches SIZE (default 1G)", 0},
	{"max-files", OPT_MAX_FILES, "N", 0,
	 "Rotate over N files FILE, FILE.1, ... (default 1: stop)", 0},
	{"btf", OPT_BTF, "PATH", 0, "Kernel BTF when /sys/kernel/btf/vmlinux is missing", 0},
	{"no-fentry", OPT_NO_FENTRY, NULL, 0, "Use kprobes and raw tracepoints, not fentry/tp_btf",
	 0},
	{"verbose", 'v', NULL, 0, "Show libbpf's debug output", 0},
	{NULL, 'h', NULL, OPTION_HIDDEN, "Show this help", 0},
	{},
};

static error_t record_parse(int key, char *arg, struct argp_state *state)
{
	__u64 v;

	switch (key) {
	case 'o':
		env.rec.output = arg;
		break;
	case 'p':
		if (parse_u64(arg, INT_MAX, &v) || !v)
			die_usage(state, "--pid", arg, "not a process id");
		env.rec.tgid = v;
		break;
	case 'c':
		if (!*arg || strlen(arg) >= TSEND_COMM_LEN)
			die_usage(state, "--comm", arg, "must be 1 to 15 characters");
		env.rec.comm = arg;
		break;
	case OPT_CGROUP: {
		struct stat st;

		if (stat(arg, &st) || !S_ISDIR(st.st_mode))
			die_usage(state, "--cgroup", arg, "not a cgroup v2 directory");
		env.rec.cgroup_id = st.st_ino; /* the cgroup v2 id is its inode */
		break;
	}
	case 'P':
		if (parse_u64(arg, 65535, &v) || !v)
			die_usage(state, "--port", arg, "must be 1 to 65535");
		env.rec.port = v;
		break;
	case 'd': {
		struct stat st;

		env.rec.ifindex = if_nametoindex(arg);
		if (!env.rec.ifindex)
			die_usage(state, "--dev", arg, "no such interface");
		if (stat("/proc/self/ns/net", &st))
			die_usage(state, "--dev", arg, "cannot read this network namespace");
		env.rec.netns = st.st_ino;
		break;
	}
	case 's':
		if (parse_u64(arg, TSEND_DATA_MAX, &v))
			die_usage(state, "--snaplen", arg, "must be 0 to 1024");
		env.rec.snaplen = v;
		break;
	case OPT_PAYLOAD:
		if (parse_u64(arg, TSEND_DATA_MAX, &v))
			die_usage(state, "--payload", arg, "must be 0 to 1024");
		env.rec.payload = v;
		break;
	case 'b':
		if (parse_size(arg, &v) || v < 4096 || v > (1ULL << 31))
			die_usage(state, "--buffer", arg, "must be 4K to 2G");
		env.rec.buffer_bytes = v;
		break;
	case 'D': {
		char *end;

		errno = 0;
		env.duration = strtod(arg, &end);
		if (errno || end == arg || *end || !(env.duration > 0))
			die_usage(state, "--duration", arg, "must be a positive number of seconds");
		break;
	}
	case 'n':
		if (parse_u64(arg, UINT64_MAX, &v) || !v)
			die_usage(state, "--count", arg, "must be a positive integer");
		env.count = v;
		break;
	case OPT_MAX_SIZE:
		if (parse_size(arg, &v) || v < 65536)
			die_usage(state, "--max-size", arg, "must be at least 64K");
		env.rec.max_size = v;
		break;
	case OPT_MAX_FILES:
		if (parse_u64(arg, 100000, &v) || !v)
			die_usage(state, "--max-files", arg, "must be 1 to 100000");
		env.rec.max_files = v;
		break;
	case OPT_BTF:
		if (access(arg, R_OK))
			die_usage(state, "--btf", arg, strerror(errno));
		env.rec.btf_path = arg;
		break;
	case OPT_NO_FENTRY:
		env.rec.no_fentry = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	case 'h':
		argp_state_help(state, stderr, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_ARGS: /* everything after the options: the command */
		env.cmd = state->argv + state->next;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char record_doc[] =
	"Record what the kernel's TCP send path does with each send().\v"
	"USAGE: tsend-trace record [OPTIONS] [-- COMMAND [ARGS...]]\n\n"
	"EXAMPLES:\n"
	"    tsend-trace record -o out.trace -D 10      # all TCP sends, 10 s\n"
	"    tsend-trace record -P 5201 -o iperf.trace  # one port\n"
	"    tsend-trace record -o c.trace -- curl -s http://127.0.0.1:8080/\n"
	"    tsend-trace record -p 1234 --payload 64    # keep 64 bytes per send()\n"
	"Stops on Ctrl-C, SIGTERM, --duration, --count, or when COMMAND exits.";

/* A stage whose program this kernel's verifier refused is not watched:
 * say so now, not only in the file's probe table. */
static void warn_rejected(const struct recorder *r)
{
	const struct trace_probe *rows;
	__u32 nr;

	rows = recorder__probes(r, &nr);
	for (__u32 i = 0; i < nr; i++)
		if (strstr(rows[i].detail, "rejected by the verifier"))
			fprintf(stderr, "tsend-trace: warning: %s: %s\n", rows[i].func,
				rows[i].detail);
}

/* Starts cmd stopped at a pipe, so nothing is sent before probes attach. */
static pid_t spawn(char **cmd, int *go_fd)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!pid) {
		char c;

		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(127); /* the recorder did not start */
		execvp(cmd[0], cmd);
		fprintf(stderr, "tsend-trace: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	*go_fd = fds[1];
	return pid;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void join_cmdline(int argc, char **argv, char *out, size_t len)
{
	size_t off = 0;

	out[0] = '\0';
	for (int i = 0; i < argc && off < len; i++)
		off += snprintf(out + off, len - off, "%s%s", i ? " " : "", argv[i]);
}

static int cmd_record(int argc, char **argv)
{
	struct argp argp = {record_opts, record_parse, NULL, record_doc, NULL, NULL, NULL};
	char err[256], cmdline[256];
	struct recorder *r;
	pid_t child = 0;
	int go_fd = -1, status = 0, ret = 0;
	double start, child_done = 0;
	__u64 lost = 0, untracked = 0, records;
	__u32 files;

	argp_parse(&argp, argc, argv, 0, NULL, NULL);
	join_cmdline(argc, argv, cmdline, sizeof(cmdline));
	env.rec.cmdline = cmdline;
	libbpf_set_print(libbpf_print_fn);

	if (env.cmd && env.cmd[0]) {
		child = spawn(env.cmd, &go_fd);
		if (child < 0) {
			fprintf(stderr, "tsend-trace: cannot start %s: %s\n", env.cmd[0],
				strerror(errno));
			return 1;
		}
		env.rec.tgid = child;
	}
	r = recorder__open(&env.rec, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "tsend-trace: %s\n", err);
		if (child > 0) {
			close(go_fd); /* the child exits without running */
			waitpid(child, NULL, 0);
		}
		return 1;
	}
	warn_rejected(r);
	signal(SIGINT, sig_int);
	signal(SIGTERM, sig_int);
	fprintf(stderr, "tsend-trace: recording to %s; Ctrl-C to stop\n", env.rec.output);
	if (child > 0) {
		if (write(go_fd, "g", 1) != 1)
			fprintf(stderr, "tsend-trace: cannot start %s\n", env.cmd[0]);
		close(go_fd);
	}

	start = now_s();
	while (!exiting) {
		int e = recorder__poll(r, 100);

		if (e < 0 && e != -EINTR) {
			if (e == -EFBIG)
				fprintf(stderr,
					"tsend-trace: %s reached --max-size; stopped (use --max-files N to rotate)\n",
					env.rec.output);
			else
				fprintf(stderr, "tsend-trace: %s: write failed: %s\n",
					env.rec.output, strerror(-e));
			ret = e == -EFBIG ? 0 : 1;
			break;
		}
		if (env.duration && now_s() - start >= env.duration)
			break;
		if (env.count && recorder__records(r) >= env.count)
			break;
		if (child > 0 && !child_done && waitpid(child, &status, WNOHANG) == child)
			child_done = now_s();
		/* after the command exits, 200 ms more for its last frames */
		if (child_done && now_s() - child_done > 0.2)
			break;
	}
	records = recorder__records(r);
	files = recorder__files(r);
	if (recorder__close(r, &lost, &untracked)) {
		fprintf(stderr, "tsend-trace: %s: closing failed\n", env.rec.output);
		ret = 1;
	}
	fprintf(stderr, "tsend-trace: %llu records in %s%s, %llu lost, %llu skbs untracked\n",
		(unsigned long long)records, env.rec.output, files > 1 ? " (rotated)" : "",
		(unsigned long long)lost, (unsigned long long)untracked);
	if (lost)
		fprintf(stderr,
			"tsend-trace: warning: %llu records lost: the ring buffer was full (raise --buffer or filter)\n",
			(unsigned long long)lost);
	if (child > 0 && !child_done) {
		kill(child, SIGTERM);
		waitpid(child, &status, 0);
	}
	if (child > 0 && WIFEXITED(status) && WEXITSTATUS(status))
		fprintf(stderr, "tsend-trace: %s exited with status %d\n", env.cmd[0],
			WEXITSTATUS(status));
	return ret;
}

/* ---- probes ---- */

static const struct argp_option common_opts[] = {
	{"btf", OPT_BTF, "PATH", 0, "Kernel BTF when /sys/kernel/btf/vmlinux is missing", 0},
	{"no-fentry", OPT_NO_FENTRY, NULL, 0, "probes: as record --no-fentry would attach", 0},
	{"json", OPT_JSON, NULL, 0, "JSON output", 0},
	{"header", OPT_HEADER, NULL, 0, "dump: the file header and end block, not the records", 0},
	{"output", 'o', "OUT", 0, "pcap: the pcapng file to write (- for standard output)", 0},
	{"verbose", 'v', NULL, 0, "More output", 0},
	{NULL, 'h', NULL, OPTION_HIDDEN, "Show this help", 0},
	{},
};

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_BTF:
		if (access(arg, R_OK))
			die_usage(state, "--btf", arg, strerror(errno));
		env.rec.btf_path = arg;
		break;
	case OPT_JSON:
		env.json = true;
		break;
	case 'o':
		env.out = arg;
		break;
	case OPT_NO_FENTRY:
		env.rec.no_fentry = true;
		break;
	case OPT_HEADER:
		env.header = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	case 'h':
		argp_state_help(state, stderr, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_ARG:
		if (env.file)
			argp_error(state, "unexpected argument '%s'", arg);
		env.file = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char probes_doc[] =
	"Show how each function and tracepoint of the send path is watched on this kernel: fentry, kprobe, tracepoint, or why it cannot be.\v"
	"USAGE: tsend-trace probes [--btf PATH] [-v]\n\n"
	"The programs are really loaded and attached, then detached (needs root).";

/* Prints text from column 37 on, wrapped at 80 columns on "; " and spaces. */
static void print_wrapped(const char *text)
{
	const int indent = 37, width = 80 - indent;
	int len = strlen(text);

	while (len > width) {
		int cut = width;

		while (cut > 0 && text[cut] != ' ')
			cut--;
		if (!cut)
			cut = width;
		printf("%.*s\n%*s", cut, text, indent, "");
		text += cut;
		len -= cut;
		while (*text == ' ')
			text++, len--;
	}
	printf("%s\n", text);
}

static void print_probes(const struct trace_probe *rows, __u32 nr)
{
	unsigned int by_mech[TSEND_MECH_MAX] = {}, none = 0;

	printf("%-24s %-11s %s\n", "FUNCTION", "HOW", "TARGET / WHY NOT");
	for (__u32 i = 0; i < nr; i++) {
		const struct trace_probe *p = &rows[i];

		printf("%-24s %-11s ", p->func, p->mech ? tsend_mech_name(p->mech) : "-");
		print_wrapped(p->mech ? p->target : p->detail);
		if (p->mech && p->detail[0] && env.verbose) {
			printf("%-36s (", "");
			print_wrapped(p->detail);
		}
		if (p->mech && p->mech < TSEND_MECH_MAX)
			by_mech[p->mech]++;
		else
			none++;
	}
	printf("\n%u watched:", nr - none);
	for (int m = 1; m < TSEND_MECH_MAX; m++)
		if (by_mech[m])
			printf(" %u %s", by_mech[m], tsend_mech_name(m));
	printf("; %u not watched\n", none);
}

static int cmd_probes(int argc, char **argv)
{
	struct argp argp = {common_opts, common_parse, NULL, probes_doc, NULL, NULL, NULL};
	struct trace_probe *rows = calloc(TRACE_MAX_PROBES, sizeof(*rows));
	char err[256];
	__u32 nr = 0;
	int e;

	if (!rows)
		return 1;
	argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (env.file) {
		fprintf(stderr, "tsend-trace probes: unexpected argument '%s'\n", env.file);
		free(rows);
		return EXIT_USAGE;
	}
	libbpf_set_print(libbpf_print_fn);
	e = recorder__probe_only(env.rec.btf_path, env.rec.no_fentry, rows, &nr, err, sizeof(err));
	if (nr)
		print_probes(rows, nr);
	if (e)
		fprintf(stderr, "tsend-trace: %s\n", err);
	free(rows);
	return e ? 1 : 0;
}

/* ---- dump, report ---- */

static const char dump_doc[] = "Print a trace file, one record a line.\v"
			       "USAGE: tsend-trace dump FILE [--json] [--header]\n\n"
			       "EXAMPLES:\n"
			       "    tsend-trace dump out.trace | grep net_dev_start_xmit\n"
			       "    tsend-trace dump --json out.trace | jq .seq\n"
			       "    tsend-trace dump --header out.trace   # kernel, probes, losses";

static const char report_doc[] =
	"Summarise a trace file: events per stage, flows, losses and per-stage latency of the skbs followed end to end.\v"
	"USAGE: tsend-trace report FILE [--json]\n\n"
	"EXAMPLES:\n"
	"    tsend-trace report out.trace\n"
	"    tsend-trace report --json out.trace > report.json";

/* A malformed record was printed or counted: go on, exit non-zero later.
 * Anything else (out of memory, a write error) stops the read. */
static bool saw_malformed;

static int keep_going(int err)
{
	if (err == -EINVAL) {
		saw_malformed = true;
		return 0;
	}
	return err < 0;
}

/*
 * dump and report: read every record of env.file. What was read before a
 * corrupt block is still printed; the error names the file and offset.
 */
static int cmd_read(int argc, char **argv, bool report)
{
	struct argp argp = {common_opts, common_parse, "FILE", report ? report_doc : dump_doc,
			    NULL,	 NULL,	       NULL};
	struct report *rep = NULL;
	struct trace_reader *r;
	const struct trace_meta *meta;
	const void *rec;
	char err[512];
	int e, ret = 0;
	__u32 len;

	argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (!env.file) {
		fprintf(stderr, "tsend-trace %s: a trace FILE is required\n", argv[0]);
		return EXIT_USAGE;
	}
	r = trace_reader__open(env.file, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "tsend-trace: %s\n", err);
		return 1;
	}
	meta = trace_reader__meta(r);
	if (report && !(rep = report__new())) {
		trace_reader__close(r);
		return 1;
	}
	while ((e = trace_reader__next(r, &rec, &len)) > 0) {
		if (env.header && !report)
			continue; /* only the end block is wanted */
		if (keep_going(report ? report__add(rep, rec, len)
				      : dump_record(stdout, rec, len, meta, env.json))) {
			e = -EIO;
			break;
		}
	}
	if (e < 0) {
		fprintf(stderr, "tsend-trace: %s\n",
			e == -EIO ? "cannot write the output" : trace_reader__error(r));
		ret = 1;
	} else if (trace_reader__warning(r)) {
		fprintf(stderr, "tsend-trace: warning: %s\n", trace_reader__warning(r));
	}
	if (report && report__print(rep, stdout, meta, trace_reader__stats(r), env.json) < 0)
		ret = 1;
	if (!report && env.header)
		dump_header(stdout, meta, trace_reader__stats(r), env.json);
	if (saw_malformed) {
		fprintf(stderr, "tsend-trace: %s: malformed records (shown as such)\n", env.file);
		ret = 1;
	}
	report__free(rep);
	trace_reader__close(r);
	return ret;
}

static const char pcap_doc[] =
	"Export the recorded frames as pcapng, each with its story as a comment.\v"
	"USAGE: tsend-trace pcap FILE -o OUT.pcapng\n\n"
	"One interface block per device, one packet block per frame at "
	"net_dev_start_xmit (as snapped, --snaplen), stamped in realtime ns. The "
	"comment names the task that sent it, the time from its send() to the "
	"wire and its wait in the device queue.\n\n"
	"EXAMPLES:\n"
	"    tsend-trace pcap out.trace -o out.pcapng && wireshark out.pcapng\n"
	"    tsend-trace pcap out.trace -o - | tshark -r - -V";

/* pcap: write OUT.tmp, rename it to OUT once it is whole: a failed export
 * never leaves a file that looks complete. */
static int cmd_pcap(int argc, char **argv)
{
	struct argp argp = {common_opts, common_parse, "FILE", pcap_doc, NULL, NULL, NULL};
	struct pcapng_export *x = NULL;
	struct trace_reader *r;
	char err[512], tmp[4096];
	const void *rec;
	__u64 frames = 0;
	int e, ret = 1;
	bool to_stdout;
	FILE *f;
	__u32 len;

	argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (!env.file || !env.out) {
		fprintf(stderr, "tsend-trace pcap: %s is required\n", env.file ? "-o OUT" : "FILE");
		return EXIT_USAGE;
	}
	r = trace_reader__open(env.file, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "tsend-trace: %s\n", err);
		return 1;
	}
	to_stdout = !strcmp(env.out, "-");
	snprintf(tmp, sizeof(tmp), "%s.tmp", env.out);
	f = to_stdout ? stdout : fopen(tmp, "we");
	if (!f) {
		fprintf(stderr, "tsend-trace: %s: cannot create: %s\n", tmp, strerror(errno));
		goto out_reader;
	}
	x = pcapng_export__new(f, trace_reader__meta(r));
	if (!x) {
		fprintf(stderr, "tsend-trace: %s: %s\n", env.out, strerror(errno));
		goto out_file;
	}
	while ((e = trace_reader__next(r, &rec, &len)) > 0) {
		int err2 = pcapng_export__add(x, rec, len);

		/* a malformed record, or a frame past 4096 interfaces: skipped */
		if (err2 == -EINVAL || err2 == -ENOSPC) {
			saw_malformed = true;
		} else if (err2) {
			fprintf(stderr, "tsend-trace: %s: write failed: %s\n", env.out,
				strerror(-err2));
			goto out_file;
		}
	}
	if (e < 0) {
		fprintf(stderr, "tsend-trace: %s\n", trace_reader__error(r));
		goto out_file;
	}
	if (trace_reader__warning(r))
		fprintf(stderr, "tsend-trace: warning: %s\n", trace_reader__warning(r));
	e = pcapng_export__finish(x, &frames);
	if (e || fflush(f)) {
		fprintf(stderr, "tsend-trace: %s: write failed: %s\n", env.out,
			strerror(e ? -e : errno));
		goto out_file;
	}
	ret = saw_malformed ? 1 : 0;
	if (saw_malformed)
		fprintf(stderr, "tsend-trace: %s: %llu records skipped (malformed)\n", env.file,
			(unsigned long long)pcapng_export__skipped(x));
out_file:
	pcapng_export__free(x);
	if (!to_stdout) {
		if (fclose(f) && !ret) {
			fprintf(stderr, "tsend-trace: %s: write failed: %s\n", tmp,
				strerror(errno));
			ret = 1;
		}
		if (ret || rename(tmp, env.out)) {
			if (!ret)
				fprintf(stderr, "tsend-trace: %s: cannot rename: %s\n", env.out,
					strerror(errno));
			unlink(tmp);
			ret = 1;
		}
	}
	if (!ret)
		fprintf(stderr, "tsend-trace: %llu frames written to %s\n",
			(unsigned long long)frames, env.out);
out_reader:
	trace_reader__close(r);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: tsend-trace COMMAND [OPTIONS]\n\n"
		   "Record and read the Linux TCP send path, from send() to the NIC.\n\n"
		   "Commands:\n"
		   "  probes    how each send-path function is watched on this kernel\n"
		   "  record    record send-path events into a trace file\n"
		   "  dump      print a trace file, one event a line (--json)\n"
		   "  report    per-stage counts, flows, losses and latency\n"
		   "  pcap      the recorded frames as pcapng, with their stories\n\n"
		   "'tsend-trace COMMAND --help' shows a command's options.\n");
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
	if (!strcmp(c, "record"))
		return cmd_record(argc - 1, argv + 1);
	if (!strcmp(c, "probes"))
		return cmd_probes(argc - 1, argv + 1);
	if (!strcmp(c, "dump"))
		return cmd_read(argc - 1, argv + 1, false);
	if (!strcmp(c, "report"))
		return cmd_read(argc - 1, argv + 1, true);
	if (!strcmp(c, "pcap"))
		return cmd_pcap(argc - 1, argv + 1);
	fprintf(stderr, "tsend-trace: unknown command '%s'\n", c);
	usage(stderr);
	return EXIT_USAGE;
}
