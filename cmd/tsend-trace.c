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
#include "userspace/lifecycle.h"
#include "userspace/pcapng.h"
#include "userspace/record.h"
#include "userspace/report.h"
#include "userspace/flame_trace.h"
#include "userspace/stages.h"
#include "userspace/story.h"
#include "userspace/top.h"
#include "userspace/timeline.h"
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
			.stack_entries = 16384,
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

/* A comma-separated list of stages (or "all") as a mask, or a usage error
 * naming the first that is not one. */
static unsigned long long parse_stages(struct argp_state *state, const char *flag, const char *arg)
{
	unsigned long long mask;
	char bad[64];

	if (tsend_stage_mask(arg, &mask, bad, sizeof(bad))) {
		char why[128];

		snprintf(why, sizeof(why), "'%s' is not a stage (tsend-trace probes lists them)",
			 bad);
		die_usage(state, flag, arg, why);
	}
	return mask;
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
	OPT_STACKS,
	OPT_STACK_ENTRIES,
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
	{"payload", OPT_PAYLOAD, "BYTES", 0,
	 "Keep the first BYTES of each send(), or all of them with 'all' (default 0)", 0},
	{"buffer", 'b', "SIZE", 0, "Ring buffer size, e.g. 64M (default 16M)", 0},
	{"duration", 'D', "SEC", 0, "Stop after SEC seconds", 0},
	{"count", 'n', "N", 0, "Stop after N records", 0},
	{"max-size", OPT_MAX_SIZE, "SIZE", 0,
	 "Rotate or stop when a file reaches SIZE (default 1G)", 0},
	{"max-files", OPT_MAX_FILES, "N", 0,
	 "Rotate over N files FILE, FILE.1, ... (default 1: stop)", 0},
	{"stacks", OPT_STACKS, "STAGES", 0,
	 "Kernel stacks at these stages (comma-separated, or 'all'), user stacks at send()", 0},
	{"stack-entries", OPT_STACK_ENTRIES, "N", 0,
	 "Distinct stacks the stack map holds (default 16384)", 0},
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
		/* past TSEND_DATA_MAX the bytes come in DATA records; "all"
		 * is stored as UINT32_MAX */
		if (!strcmp(arg, "all"))
			v = UINT32_MAX;
		else if (parse_u64(arg, UINT32_MAX, &v))
			die_usage(state, "--payload", arg, "must be a byte count or 'all'");
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
	case OPT_STACKS:
		env.rec.stack_stages = parse_stages(state, "--stacks", arg);
		break;
	case OPT_STACK_ENTRIES:
		if (parse_u64(arg, 1 << 20, &v) || v < 64)
			die_usage(state, "--stack-entries", arg, "must be 64 to 1048576");
		env.rec.stack_entries = v;
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
	"    tsend-trace record -P 80 --payload all     # every byte of every send()\n"
	"    tsend-trace record --stacks net_dev_start_xmit -o s.trace  # for flame\n"
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

/*
 * Starts -- COMMAND (held at a pipe) if there is one, then loads and
 * attaches the programs for env.rec, following the command's process. On
 * failure the command exits without running and NULL is returned.
 */
static struct recorder *open_recorder(pid_t *child, int *go_fd)
{
	struct recorder *r;
	char err[256];

	if (env.cmd && env.cmd[0]) {
		*child = spawn(env.cmd, go_fd);
		if (*child < 0) {
			fprintf(stderr, "tsend-trace: cannot start %s: %s\n", env.cmd[0],
				strerror(errno));
			return NULL;
		}
		env.rec.tgid = *child;
	}
	r = recorder__open(&env.rec, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "tsend-trace: %s\n", err);
		if (*child > 0) {
			close(*go_fd); /* the child exits without running */
			waitpid(*child, NULL, 0);
		}
		return NULL;
	}
	warn_rejected(r);
	return r;
}

/* The probes are attached: let the command run. */
static void release_child(pid_t child, int go_fd)
{
	if (child <= 0)
		return;
	if (write(go_fd, "g", 1) != 1)
		fprintf(stderr, "tsend-trace: cannot start %s\n", env.cmd[0]);
	close(go_fd);
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
	char cmdline[256];
	struct recorder *r;
	pid_t child = 0;
	int go_fd = -1, status = 0, ret = 0;
	double start, child_done = 0;
	struct recorder_totals t;

	argp_parse(&argp, argc, argv, 0, NULL, NULL);
	join_cmdline(argc, argv, cmdline, sizeof(cmdline));
	env.rec.cmdline = cmdline;
	libbpf_set_print(libbpf_print_fn);

	r = open_recorder(&child, &go_fd);
	if (!r)
		return 1;
	signal(SIGINT, sig_int);
	signal(SIGTERM, sig_int);
	fprintf(stderr, "tsend-trace: recording to %s; Ctrl-C to stop\n", env.rec.output);
	release_child(child, go_fd);

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
	if (recorder__close(r, &t)) {
		fprintf(stderr, "tsend-trace: %s: closing failed\n", env.rec.output);
		ret = 1;
	}
	fprintf(stderr, "tsend-trace: %llu records in %s%s, %llu lost, %llu skbs untracked\n",
		(unsigned long long)t.records, env.rec.output, t.files > 1 ? " (rotated)" : "",
		(unsigned long long)t.lost, (unsigned long long)t.untracked);
	if (t.lost)
		fprintf(stderr,
			"tsend-trace: warning: %llu records lost: the ring buffer was full (raise --buffer or filter)\n",
			(unsigned long long)t.lost);
	if (t.kstack_lost || t.ustack_lost)
		fprintf(stderr,
			"tsend-trace: warning: stacks not taken: %llu kernel, %llu user (a full --stack-entries map, or a lost record)\n",
			(unsigned long long)t.kstack_lost, (unsigned long long)t.ustack_lost);
	if (child > 0 && !child_done) {
		kill(child, SIGTERM);
		waitpid(child, &status, 0);
	}
	if (child > 0 && WIFEXITED(status) && WEXITSTATUS(status))
		fprintf(stderr, "tsend-trace: %s exited with status %d\n", env.cmd[0],
			WEXITSTATUS(status));
	return ret;
}

/* ---- top ---- */

enum {
	OPT_BY = 1200,
	OPT_HIST,
};

static struct {
	double interval;
	struct top_view_opts view;
} top_env = {.interval = 1};

/* The filters are record's, word for word; so is their parsing. */
static const struct argp_option top_opts[] = {
	{"interval", 'i', "SEC", 0, "Refresh every SEC seconds (default 1)", 0},
	{"count", 'n', "N", 0, "Stop after N refreshes", 0},
	{"by", OPT_BY, "dev|flow", 0, "A row per device (default) or per flow", 0},
	{"hist", OPT_HIST, NULL, 0, "Print the latency histograms too", 0},
	{"json", OPT_JSON, NULL, 0, "One JSON object a refresh, on one line", 0},
	{"pid", 'p', "PID", 0, "Only sockets this process sends on", 0},
	{"comm", 'c', "COMM", 0, "Only sockets tasks of this name send on", 0},
	{"cgroup", OPT_CGROUP, "PATH", 0, "Only sockets of tasks in this cgroup v2", 0},
	{"port", 'P', "PORT", 0, "Only TCP connections with this local or remote port", 0},
	{"dev", 'd', "IFACE", 0, "Only device stages on this interface", 0},
	{"btf", OPT_BTF, "PATH", 0, "Kernel BTF when /sys/kernel/btf/vmlinux is missing", 0},
	{"no-fentry", OPT_NO_FENTRY, NULL, 0, "Use kprobes and raw tracepoints, not fentry/tp_btf",
	 0},
	{"verbose", 'v', NULL, 0, "Show libbpf's debug output", 0},
	{NULL, 'h', NULL, OPTION_HIDDEN, "Show this help", 0},
	{},
};

static error_t top_parse(int key, char *arg, struct argp_state *state)
{
	char *end;

	switch (key) {
	case 'i':
		errno = 0;
		top_env.interval = strtod(arg, &end);
		if (errno || end == arg || *end || !(top_env.interval >= 0.1) ||
		    top_env.interval > 3600)
			die_usage(state, "--interval", arg, "must be 0.1 to 3600 seconds");
		break;
	case OPT_BY:
		if (strcmp(arg, "dev") && strcmp(arg, "flow"))
			die_usage(state, "--by", arg, "must be dev or flow");
		top_env.view.by_flow = !strcmp(arg, "flow");
		break;
	case OPT_HIST:
		top_env.view.hist = true;
		break;
	case OPT_JSON:
		top_env.view.json = true;
		break;
	default: /* filters, --count, --btf, --no-fentry, -v, -h, -- COMMAND */
		return record_parse(key, arg, state);
	}
	return 0;
}

static const char top_doc[] =
	"A live view of the send path: per-stage latency and frame, drop and retransmit counts, added up in BPF maps and printed every interval, per device or per flow.\v"
	"USAGE: tsend-trace top [OPTIONS] [-- COMMAND [ARGS...]]\n\n"
	"Counts are for the interval. Latencies are from log2 buckets: p50, p99 and max are the upper bound of their bucket (<4.1us: below 4096 ns). COMMAND's output is not redirected.\n\n"
	"EXAMPLES:\n"
	"    tsend-trace top                        # every device, each second\n"
	"    tsend-trace top --by flow -P 443       # a row per connection on port 443\n"
	"    tsend-trace top -d eth0 --hist -n 5    # histograms too, 5 refreshes\n"
	"    tsend-trace top --json | jq -c .rows   # one JSON object a refresh\n"
	"    tsend-trace top -- curl -s http://127.0.0.1:8080/\n"
	"Stops after --count refreshes; on Ctrl-C, SIGTERM, or when COMMAND exits, after a last refresh of the interval begun.";

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};

	nanosleep(&ts, NULL); /* a signal cuts it short: the caller looks */
}

/* Reads the maps into cur and prints what changed since prev. */
static int top_refresh(const struct recorder *r, const struct top_reading *prev,
		       struct top_reading *cur)
{
	int e = top__read(r, cur);

	if (e) {
		fprintf(stderr, "tsend-trace: cannot read the BPF maps: %s\n", strerror(-e));
		return e;
	}
	/* a terminal gets a screen, like top; a pipe a block per refresh */
	if (!top_env.view.json && isatty(STDOUT_FILENO))
		fputs("\033[H\033[2J", stdout);
	e = top_view_print(stdout, prev, cur, &top_env.view);
	if (e || fflush(stdout)) {
		fprintf(stderr, "tsend-trace: cannot write the output\n");
		return e ? e : -EIO;
	}
	return 0;
}

/*
 * A refresh every interval until --count. On a signal, or 200 ms after the
 * command exits (for its last frames; *child is then 0), a last refresh of
 * the interval begun: what was counted is always printed.
 */
static int top_loop(const struct recorder *r, struct top_reading rd[2], pid_t *child, int *status)
{
	double next = now_s() + top_env.interval;
	bool following = *child > 0, last;
	__u64 refreshes = 0;
	int cur = 1, e;

	for (;;) {
		double t = now_s();

		if (*child > 0 && waitpid(*child, status, WNOHANG) == *child) {
			*child = 0;
			if (next > t + 0.2)
				next = t + 0.2;
		}
		if (!exiting && t < next) {
			sleep_s(next - t < 0.05 ? next - t : 0.05);
			continue;
		}
		last = exiting || (following && !*child) || (env.count && ++refreshes >= env.count);
		e = top_refresh(r, &rd[!cur], &rd[cur]);
		if (e || last)
			return e;
		cur = !cur;
		next += top_env.interval;
	}
}

static int cmd_top(int argc, char **argv)
{
	struct argp argp = {top_opts, top_parse, NULL, top_doc, NULL, NULL, NULL};
	struct top_reading rd[2] = {};
	int go_fd = -1, status = 0, e;
	struct recorder_totals t;
	char **reasons;
	struct recorder *r;
	pid_t child = 0;
	struct stat st;

	argp_parse(&argp, argc, argv, 0, NULL, NULL);
	env.rec.top = true;
	env.rec.top_by_flow = top_env.view.by_flow;
	if (!stat("/proc/self/ns/net", &st))
		top_env.view.netns = st.st_ino; /* devices here are named */
	libbpf_set_print(libbpf_print_fn);
	r = open_recorder(&child, &go_fd);
	if (!r)
		return 1;
	reasons = top__drop_reasons(env.rec.btf_path, &top_env.view.nr_reasons);
	top_env.view.reasons = reasons;
	signal(SIGINT, sig_int);
	signal(SIGTERM, sig_int);
	e = top__read(r, &rd[0]); /* the start of the first interval */
	if (e)
		fprintf(stderr, "tsend-trace: cannot read the BPF maps: %s\n", strerror(-e));
	fprintf(stderr, "tsend-trace: top by %s every %g s; Ctrl-C to stop\n",
		top_env.view.by_flow ? "flow" : "dev", top_env.interval);
	release_child(child, go_fd);
	if (!e)
		e = top_loop(r, rd, &child, &status);
	recorder__close(r, &t);
	if (t.untracked)
		fprintf(stderr,
			"tsend-trace: warning: %llu skbs untracked: their steps were not counted\n",
			(unsigned long long)t.untracked);
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, &status, 0);
	} else if (env.cmd && WIFEXITED(status) && WEXITSTATUS(status)) {
		fprintf(stderr, "tsend-trace: %s exited with status %d\n", env.cmd[0],
			WEXITSTATUS(status));
	}
	top_reading__free(&rd[0]);
	top_reading__free(&rd[1]);
	top__free_drop_reasons(reasons, top_env.view.nr_reasons);
	return e ? 1 : 0;
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
	"Summarise a trace file: events per stage, flows, losses, and from the skb and send() lifecycles: latency between stages with log2 histograms, end to end, send() to wire, per device and per CPU, what could not be completed and why, drops.\v"
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
	if (report && !(rep = report__new(meta))) {
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

/* OUT.tmp until it is whole, then OUT: a failed export never leaves a file
 * that looks complete. "-" is standard output. */
static FILE *out_open(const char *out, char *tmp, size_t size)
{
	FILE *f;

	if (!strcmp(out, "-"))
		return stdout;
	snprintf(tmp, size, "%s.tmp", out);
	f = fopen(tmp, "we");
	if (!f)
		fprintf(stderr, "tsend-trace: %s: cannot create: %s\n", tmp, strerror(errno));
	return f;
}

/* Closes f; renames tmp to out if ok, else removes it. Returns ok. */
static bool out_close(FILE *f, const char *out, const char *tmp, bool ok)
{
	if (f == stdout)
		return ok;
	if (fclose(f) && ok) {
		fprintf(stderr, "tsend-trace: %s: write failed: %s\n", tmp, strerror(errno));
		ok = false;
	}
	if (ok && rename(tmp, out)) {
		fprintf(stderr, "tsend-trace: %s: cannot rename: %s\n", out, strerror(errno));
		ok = false;
	}
	if (!ok)
		unlink(tmp);
	return ok;
}

static int cmd_pcap(int argc, char **argv)
{
	struct argp argp = {common_opts, common_parse, "FILE", pcap_doc, NULL, NULL, NULL};
	struct pcapng_export *x = NULL;
	struct trace_reader *r;
	char err[512], tmp[4096];
	const void *rec;
	__u64 frames = 0;
	bool ok = false;
	int e = 0;
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
	f = out_open(env.out, tmp, sizeof(tmp));
	if (f && !(x = pcapng_export__new(f, trace_reader__meta(r))))
		fprintf(stderr, "tsend-trace: %s: %s\n", env.out, strerror(errno));
	while (x && (e = trace_reader__next(r, &rec, &len)) > 0) {
		int werr = pcapng_export__add(x, rec, len);

		/* a malformed record, or a frame past 4096 interfaces: skipped */
		if (werr == -EINVAL || werr == -ENOSPC) {
			saw_malformed = true;
		} else if (werr) {
			fprintf(stderr, "tsend-trace: %s: write failed: %s\n", env.out,
				strerror(-werr));
			break;
		}
	}
	if (x && e < 0) {
		fprintf(stderr, "tsend-trace: %s\n", trace_reader__error(r));
	} else if (x && e == 0) {
		if (trace_reader__warning(r))
			fprintf(stderr, "tsend-trace: warning: %s\n", trace_reader__warning(r));
		e = pcapng_export__finish(x, &frames);
		if (e || fflush(f))
			fprintf(stderr, "tsend-trace: %s: write failed: %s\n", env.out,
				strerror(e ? -e : errno));
		else
			ok = true;
	}
	if (ok && saw_malformed) {
		fprintf(stderr, "tsend-trace: %s: %llu records skipped (malformed)\n", env.file,
			(unsigned long long)pcapng_export__skipped(x));
		ok = false;
	}
	pcapng_export__free(x);
	ok = f && out_close(f, env.out, tmp, ok);
	if (ok)
		fprintf(stderr, "tsend-trace: %llu frames written to %s\n",
			(unsigned long long)frames, env.out);
	trace_reader__close(r);
	return ok ? 0 : 1;
}

/* ---- skb: one skb's or one send()'s whole story ---- */

enum {
	OPT_FLOW = 1100,
	OPT_SEQ,
	OPT_SEND,
	OPT_ID,
	OPT_SKB,
	OPT_INCOMPLETE,
};

static struct story_filter sel = {.max = 1000};

static const struct argp_option skb_opts[] = {
	{"flow", OPT_FLOW, "FLOW", 0, "Only this flow: any part of 'saddr:sport>daddr:dport'", 0},
	{"seq", OPT_SEQ, "SEQ", 0, "The skbs and send() holding this TCP sequence number", 0},
	{"send", OPT_SEND, "N", 0, "send() call #N and the frames that carried it", 0},
	{"id", OPT_ID, "N", 0, "skb #N", 0},
	{"skb", OPT_SKB, "ADDR", 0, "skbs seen at this address (hex)", 0},
	{"incomplete", OPT_INCOMPLETE, NULL, 0, "Only stories that could not be completed", 0},
	{"max", 'n', "N", 0, "At most N send() calls and skbs picked (default 1000, 0: all)", 0},
	{"json", OPT_JSON, NULL, 0, "One JSON object per line", 0},
	{NULL, 'h', NULL, OPTION_HIDDEN, "Show this help", 0},
	{},
};

static error_t skb_parse(int key, char *arg, struct argp_state *state)
{
	__u64 v;
	char *end;

	switch (key) {
	case OPT_FLOW:
		sel.flow = arg;
		break;
	case OPT_SEQ:
		if (parse_u64(arg, UINT32_MAX, &v))
			die_usage(state, "--seq", arg, "must be 0 to 4294967295");
		sel.seq = v;
		sel.have_seq = true;
		break;
	case OPT_SEND:
	case OPT_ID:
		if (parse_u64(arg, UINT64_MAX, &v) || !v)
			die_usage(state, key == OPT_SEND ? "--send" : "--id", arg,
				  "must be a positive integer");
		*(key == OPT_SEND ? &sel.send_id : &sel.skb_id) = v;
		break;
	case OPT_SKB:
		errno = 0;
		v = strtoull(arg, &end, 16);
		if (errno || end == arg || *end || !v)
			die_usage(state, "--skb", arg, "not a hex address");
		sel.addr = v;
		break;
	case OPT_INCOMPLETE:
		sel.incomplete = true;
		break;
	case 'n':
		if (parse_u64(arg, UINT64_MAX, &sel.max))
			die_usage(state, "--max", arg, "must be a non-negative integer");
		break;
	default:
		return common_parse(key, arg, state);
	}
	return 0;
}

static const char skb_doc[] =
	"Show whole stories: each send() with the frames that carried its bytes, each skb stage by stage from the TCP layer to its free, with the time between stages as a waterfall.\v"
	"USAGE: tsend-trace skb FILE [--flow FLOW] [--seq SEQ] [--send N] [--id N] [--skb ADDR]\n\n"
	"EXAMPLES:\n"
	"    tsend-trace skb out.trace --send 3            # send() #3 and its frames\n"
	"    tsend-trace skb out.trace --flow :5201 --seq 1448001\n"
	"    tsend-trace skb out.trace --incomplete -n 10  # what could not be followed\n"
	"    tsend-trace skb out.trace --json | jq .why";

static int cmd_skb(int argc, char **argv)
{
	struct argp argp = {skb_opts, skb_parse, "FILE", skb_doc, NULL, NULL, NULL};
	struct story_result res = {.picked = 0};
	char err[512];
	int e;

	argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (!env.file) {
		fprintf(stderr, "tsend-trace skb: a trace FILE is required\n");
		return EXIT_USAGE;
	}
	e = story_select(env.file, &sel, env.json, stdout, &res, err, sizeof(err));
	if (e)
		fprintf(stderr, "tsend-trace: %s\n", err);
	else if (res.warning[0])
		fprintf(stderr, "tsend-trace: warning: %s\n", res.warning);
	if (!e && !res.picked)
		fprintf(stderr, "tsend-trace: nothing in %s matches\n", env.file);
	if (res.more)
		fprintf(stderr, "tsend-trace: %llu more match; raise --max (0: all)\n",
			(unsigned long long)res.more);
	if (res.malformed)
		fprintf(stderr, "tsend-trace: %s: %llu malformed records (skipped)\n", env.file,
			(unsigned long long)res.malformed);
	return e || res.malformed ? 1 : 0;
}

/* ---- timeline ---- */

static const char timeline_doc[] =
	"Export the skb lifecycles and send() calls as a Chrome trace-event JSON timeline, for the Perfetto UI and chrome://tracing.\v"
	"USAGE: tsend-trace timeline FILE -o OUT.json\n\n"
	"A process per socket, named by its flow, with a thread of send() calls and lanes of skbs "
	"(\"skbs 1\", ...): each skb a slice from its first stage to its last with a slice per "
	"stage, overlapping skbs in different lanes. A process \"CPUs\" has an instant per stage "
	"record on the thread of the CPU that ran it. An arrow goes from each send() to each "
	"frame that carried its bytes. Times are µs since the recording's start.\n\n"
	"EXAMPLES:\n"
	"    tsend-trace timeline out.trace -o out.json   # open it in ui.perfetto.dev\n"
	"    tsend-trace timeline out.trace -o - | gzip > out.json.gz";

static const struct argp_option timeline_opts[] = {
	{"output", 'o', "OUT", 0, "The JSON file to write (- for standard output)", 0},
	{NULL, 'h', NULL, OPTION_HIDDEN, "Show this help", 0},
	{},
};

/* The assembler's callbacks feed the timeline; the first error stops the read. */
struct timeline_feed {
	struct timeline *t;
	int err;
};

static void timeline_skb(const struct lc_skb *l, void *ctx)
{
	struct timeline_feed *tf = ctx;
	int e = timeline__skb(tf->t, l);

	if (e && !tf->err)
		tf->err = e;
}

static void timeline_send(const struct lc_send *s, void *ctx)
{
	struct timeline_feed *tf = ctx;
	int e = timeline__send(tf->t, s);

	if (e && !tf->err)
		tf->err = e;
}

/* Every record through the assembler into tf->t. 0, or 1 after a message. */
static int timeline_read(struct trace_reader *r, struct timeline_feed *tf, __u64 *malformed)
{
	const struct lc_ops ops = {.skb_done = timeline_skb, .send_done = timeline_send, .ctx = tf};
	struct lifecycle *lc = lifecycle__new(trace_reader__meta(r), &ops);
	const void *rec;
	__u32 len;
	int e;

	if (!lc) {
		fprintf(stderr, "tsend-trace: %s\n", strerror(errno));
		return 1;
	}
	while ((e = trace_reader__next(r, &rec, &len)) > 0 && !tf->err) {
		int e2 = lifecycle__add(lc, rec, len);

		if (keep_going(e2)) {
			tf->err = e2;
			break;
		}
	}
	if (e < 0)
		fprintf(stderr, "tsend-trace: %s\n", trace_reader__error(r));
	else if (trace_reader__warning(r))
		fprintf(stderr, "tsend-trace: warning: %s\n", trace_reader__warning(r));
	if (e >= 0 && !tf->err)
		lifecycle__finish(lc, trace_reader__stats(r));
	*malformed = lifecycle__counts(lc)->malformed;
	lifecycle__free(lc);
	return e < 0;
}

static void timeline_summary(const struct timeline_counts *c)
{
	fprintf(stderr,
		"tsend-trace: %llu skbs, %llu send() calls, %llu arrows in %llu sockets written to %s\n",
		(unsigned long long)c->skbs, (unsigned long long)c->sends,
		(unsigned long long)c->links, (unsigned long long)c->sockets, env.out);
	if (c->skbs_undrawn || c->sends_undrawn)
		fprintf(stderr,
			"tsend-trace: warning: %llu skbs and %llu send() calls not drawn (no stage, or too many at once on one socket)\n",
			(unsigned long long)c->skbs_undrawn, (unsigned long long)c->sends_undrawn);
}

static int cmd_timeline(int argc, char **argv)
{
	struct argp argp = {timeline_opts, common_parse, "FILE", timeline_doc, NULL, NULL, NULL};
	struct timeline_feed tf = {.t = NULL};
	struct trace_reader *r;
	char err[512], tmp[4096];
	__u64 malformed = 0;
	bool ok = false;
	FILE *f;

	argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (!env.file || !env.out) {
		fprintf(stderr, "tsend-trace timeline: %s is required\n",
			env.file ? "-o OUT" : "FILE");
		return EXIT_USAGE;
	}
	r = trace_reader__open(env.file, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "tsend-trace: %s\n", err);
		return 1;
	}
	f = out_open(env.out, tmp, sizeof(tmp));
	if (f)
		tf.t = timeline__new(f, trace_reader__meta(r));
	if (f && !tf.t)
		fprintf(stderr, "tsend-trace: %s: %s\n", env.out, strerror(errno));
	if (tf.t && !timeline_read(r, &tf, &malformed)) {
		int e = tf.err ? tf.err : timeline__finish(tf.t);

		if (e)
			fprintf(stderr, "tsend-trace: %s: %s\n", env.out,
				e == -EIO ? "write failed" : strerror(-e));
		ok = !e;
	}
	if (ok && malformed) {
		fprintf(stderr, "tsend-trace: %s: %llu records skipped (malformed)\n", env.file,
			(unsigned long long)malformed);
		ok = false;
	}
	ok = f && out_close(f, env.out, tmp, ok);
	if (ok)
		timeline_summary(timeline__counts(tf.t));
	timeline__free(tf.t);
	trace_reader__close(r);
	return ok ? 0 : 1;
}

/* ---- flame: where the send path spends its time, as a flame graph ---- */

enum {
	OPT_FOLDED = 1300,
	OPT_WEIGHT,
	OPT_MODE,
	OPT_STAGE,
	OPT_DIFF,
	OPT_TITLE,
	OPT_WIDTH,
	OPT_FLAME_FLOW,
	OPT_FLAME_PID,
	OPT_FLAME_COMM,
};

static struct {
	struct flame_trace_opts o;
	bool folded, diff;
	const char *files[2];
	const char *title;
	unsigned int width;
} fl;

static const struct argp_option flame_opts[] = {
	{"output", 'o', "OUT", 0, "File to write (default -: standard output)", 0},
	{"folded", OPT_FOLDED, NULL, 0,
	 "Folded stacks (flamegraph.pl, inferno, speedscope), not SVG", 0},
	{"weight", OPT_WEIGHT, "W", 0,
	 "count (samples) or latency (ns each skb spent); default count for stacks, latency for the path",
	 0},
	{"mode", OPT_MODE, "M", 0,
	 "stacks (record --stacks) or path (the seed's call tree); default stacks if recorded", 0},
	{"stage", OPT_STAGE, "STAGES", 0,
	 "Only samples (stacks) or stages (path) of these, comma-separated", 0},
	{"pid", OPT_FLAME_PID, "PID", 0, "Only this process", 0},
	{"comm", OPT_FLAME_COMM, "COMM", 0, "Only tasks of this name", 0},
	{"flow", OPT_FLAME_FLOW, "TEXT", 0,
	 "Only flows whose \"saddr:sport>daddr:dport\" contains TEXT", 0},
	{"diff", OPT_DIFF, NULL, 0,
	 "Two traces A B: widths of B, red what grew from A, blue what shrank", 0},
	{"title", OPT_TITLE, "TEXT", 0, "SVG title", 0},
	{"width", OPT_WIDTH, "PIXELS", 0, "SVG width (default 1200)", 0},
	{NULL, 'h', NULL, OPTION_HIDDEN, "Show this help", 0},
	{},
};

static error_t flame_parse(int key, char *arg, struct argp_state *state)
{
	__u64 v;

	switch (key) {
	case 'o':
		env.out = arg;
		break;
	case OPT_FOLDED:
		fl.folded = true;
		break;
	case OPT_WEIGHT:
		if (strcmp(arg, "count") && strcmp(arg, "latency"))
			die_usage(state, "--weight", arg, "must be count or latency");
		fl.o.weight = !strcmp(arg, "latency") ? FLAME_LATENCY : FLAME_COUNT;
		break;
	case OPT_MODE:
		if (strcmp(arg, "stacks") && strcmp(arg, "path"))
			die_usage(state, "--mode", arg, "must be stacks or path");
		fl.o.mode = !strcmp(arg, "path") ? FLAME_PATH : FLAME_STACKS;
		break;
	case OPT_STAGE:
		fl.o.stages = parse_stages(state, "--stage", arg);
		break;
	case OPT_FLAME_PID:
		if (parse_u64(arg, INT_MAX, &v) || !v)
			die_usage(state, "--pid", arg, "not a process id");
		fl.o.pid = v;
		fl.o.have_pid = true;
		break;
	case OPT_FLAME_COMM:
		if (!*arg || strlen(arg) >= TSEND_COMM_LEN)
			die_usage(state, "--comm", arg, "must be 1 to 15 characters");
		fl.o.comm = arg;
		break;
	case OPT_FLAME_FLOW:
		fl.o.flow = arg;
		break;
	case OPT_DIFF:
		fl.diff = true;
		break;
	case OPT_TITLE:
		fl.title = arg;
		break;
	case OPT_WIDTH:
		if (parse_u64(arg, 100000, &v) || v < 200)
			die_usage(state, "--width", arg, "must be 200 to 100000");
		fl.width = v;
		break;
	case 'h':
		argp_state_help(state, stderr, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num >= 2)
			argp_error(state, "unexpected argument '%s'", arg);
		fl.files[state->arg_num] = arg;
		break;
	case ARGP_KEY_END:
		if (!fl.files[0] || (fl.diff && !fl.files[1]))
			argp_error(state, fl.diff ? "--diff needs two trace files, A and B"
						  : "a trace FILE is required");
		if (!fl.diff && fl.files[1])
			argp_error(state, "unexpected argument '%s' (two files need --diff)",
				   fl.files[1]);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char flame_doc[] =
	"Draw where the send path spends its time as a flame graph: an interactive SVG (hover, click to zoom, search), or folded stacks.\v"
	"USAGE: tsend-trace flame [OPTIONS] FILE\n"
	"       tsend-trace flame --diff [OPTIONS] A B\n\n"
	"From a trace recorded with --stacks, each sample's frames are the process, its user stack at send() and the kernel stack at the stage; "
	"without stacks (or --mode path) the frames are the seed's call tree, send → tcp_sendmsg_locked → tcp_write_xmit → ... → ndo_start_xmit, "
	"and each stage is as wide as the time skbs spent from it to their next stage. Colors are layers: user, syscall, TCP, IP, qdisc, driver.\n\n"
	"EXAMPLES:\n"
	"    tsend-trace record --stacks all -o s.trace -- iperf3 -c 10.0.0.2\n"
	"    tsend-trace flame s.trace -o s.svg                   # stacks, by count\n"
	"    tsend-trace flame s.trace --weight latency -o l.svg  # by time spent\n"
	"    tsend-trace flame any.trace --mode path -o p.svg     # no stacks needed\n"
	"    tsend-trace flame s.trace --folded | flamegraph.pl > s2.svg\n"
	"    tsend-trace flame --diff before.trace after.trace -o d.svg";

/* Reads one trace into side; prints what it took in. */
static int flame_read(struct flame *f, unsigned int side, enum flame_mode *mode,
		      enum flame_weight *weight)
{
	const char *file = fl.files[side];
	struct flame_trace_result res;
	struct trace_reader *r;
	char err[512];
	int e;

	r = trace_reader__open(file, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "tsend-trace: %s\n", err);
		return -EIO;
	}
	e = flame_trace_read(f, r, side, &fl.o, &res, err, sizeof(err));
	trace_reader__close(r);
	if (e)
		fprintf(stderr, "tsend-trace: %s\n", err);
	if (res.warning[0])
		fprintf(stderr, "tsend-trace: warning: %s\n", res.warning);
	fprintf(stderr, "tsend-trace: %s: %llu %s", file, (unsigned long long)res.samples,
		res.mode == FLAME_PATH ? "skbs on the send path" : "stack samples");
	if (res.missed)
		fprintf(stderr, ", %llu stacks not taken", (unsigned long long)res.missed);
	if (res.unresolved)
		fprintf(stderr, ", %llu addresses not resolved",
			(unsigned long long)res.unresolved);
	if (res.no_weight)
		fprintf(stderr, ", %llu samples with no time to weigh",
			(unsigned long long)res.no_weight);
	if (res.malformed)
		fprintf(stderr, ", %llu malformed records skipped",
			(unsigned long long)res.malformed);
	fputc('\n', stderr);
	if (side && res.mode != *mode) {
		fprintf(stderr,
			"tsend-trace: %s: a %s graph cannot be compared with %s's %s graph (use --mode)\n",
			file, res.mode == FLAME_PATH ? "path" : "stacks", fl.files[0],
			*mode == FLAME_PATH ? "path" : "stacks");
		return -EINVAL;
	}
	*mode = res.mode;
	*weight = res.weight;
	fl.o.weight = res.weight; /* B weighs as A did */
	return e ? e : res.malformed ? -EINVAL : 0;
}

static int cmd_flame(int argc, char **argv)
{
	struct argp argp = {flame_opts, flame_parse, "FILE", flame_doc, NULL, NULL, NULL};
	enum flame_weight weight = FLAME_WEIGHT_AUTO;
	enum flame_mode mode = FLAME_AUTO;
	char tmp[4096], subtitle[256];
	struct flame *f;
	bool ok = true;
	FILE *out;
	int e;

	env.out = "-";
	fl.o.weight = FLAME_WEIGHT_AUTO;
	argp_parse(&argp, argc, argv, 0, NULL, NULL);
	f = flame__new();
	if (!f) {
		fprintf(stderr, "tsend-trace: out of memory\n");
		return 1;
	}
	for (unsigned int side = 0; side <= (unsigned int)fl.diff && ok; side++) {
		e = flame_read(f, side, &mode, &weight);
		/* a damaged trace still gives what it holds, and exit 1 */
		if (e == -EIO || (e && e != -EINVAL && !flame__total(f, side)))
			ok = false;
		else if (e)
			saw_malformed = true;
	}
	out = ok ? out_open(env.out, tmp, sizeof(tmp)) : NULL;
	if (out) {
		struct flame_svg_opts so = {
			.title = fl.title  ? fl.title
				 : fl.diff ? "tsend differential flame graph"
					   : "tsend flame graph",
			.subtitle = subtitle,
			.unit = weight == FLAME_LATENCY ? "ns" : "samples",
			.diff = fl.diff,
			.width = fl.width,
		};

		snprintf(subtitle, sizeof(subtitle), "%s%s%s, %s, weight %s",
			 fl.diff ? fl.files[0] : "", fl.diff ? " → " : "", fl.files[fl.diff],
			 mode == FLAME_PATH ? "send path (no stacks)" : "stacks",
			 weight == FLAME_LATENCY ? "latency (ns)" : "count");
		e = fl.folded ? flame__folded(f, out, fl.diff) : flame__svg(f, out, &so);
		if (e)
			fprintf(stderr, "tsend-trace: %s: write failed: %s\n", env.out,
				strerror(-e));
		ok = out_close(out, env.out, tmp, !e);
	} else {
		ok = false;
	}
	flame__free(f);
	return ok && !saw_malformed ? 0 : 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: tsend-trace COMMAND [OPTIONS]\n\n"
		   "Record and read the Linux TCP send path, from send() to the NIC.\n\n"
		   "Commands:\n"
		   "  probes    how each send-path function is watched on this kernel\n"
		   "  record    record send-path events into a trace file\n"
		   "  top       live per-stage latency, frames, drops, retransmits\n"
		   "  dump      print a trace file, one event a line (--json)\n"
		   "  report    flows, devices, CPUs, per-stage latency and histograms\n"
		   "  skb       one skb's or one send()'s story, stage by stage\n"
		   "  pcap      the recorded frames as pcapng, with their stories\n"
		   "  timeline  sockets, skbs and CPUs as a Perfetto/chrome://tracing JSON\n"
		   "  flame     flame graph (SVG or folded) of stacks or of the send path\n\n"
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
	if (!strcmp(c, "top"))
		return cmd_top(argc - 1, argv + 1);
	if (!strcmp(c, "probes"))
		return cmd_probes(argc - 1, argv + 1);
	if (!strcmp(c, "dump"))
		return cmd_read(argc - 1, argv + 1, false);
	if (!strcmp(c, "report"))
		return cmd_read(argc - 1, argv + 1, true);
	if (!strcmp(c, "pcap"))
		return cmd_pcap(argc - 1, argv + 1);
	if (!strcmp(c, "timeline"))
		return cmd_timeline(argc - 1, argv + 1);
	if (!strcmp(c, "skb"))
		return cmd_skb(argc - 1, argv + 1);
	if (!strcmp(c, "flame"))
		return cmd_flame(argc - 1, argv + 1);
	fprintf(stderr, "tsend-trace: unknown command '%s'\n", c);
	usage(stderr);
	return EXIT_USAGE;
}
