/* fentry_check: prove that BPF fentry (trampolines) works in the test guest.
 *
 * usage: fentry_check FUNC [BTF_OBJ] [-- CMD ARGS...]
 *   FUNC     kernel function to attach to (e.g. e1000_xmit_frame)
 *   BTF_OBJ  "vmlinux" (default) or a module name with BTF in /sys/kernel/btf
 *   CMD      run after attaching (default: none)
 * Loads a trivial BPF_PROG_TYPE_TRACING/BPF_TRACE_FENTRY program with raw
 * bpf(2) calls (no libbpf), attaches it, runs CMD, then prints the program's
 * run count (kernel.bpf_stats_enabled is switched on).  Exit 0 if it ran at
 * least once, 1 if it attached but never ran, 2 on any error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

static void *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "fentry_check: open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (n == cap)
			buf = realloc(buf, cap *= 2);
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			fprintf(stderr, "fentry_check: read %s: %s\n", path, strerror(errno));
			exit(2);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

struct btf_file {
	char *raw;
	const struct btf_header *h;
	const char *types, *strs;
	uint32_t ntypes;
};

static size_t type_extra(const struct btf_type *t)
{
	uint32_t vlen = BTF_INFO_VLEN(t->info);
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG: return 4;
	case BTF_KIND_ARRAY: return 12;
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_DATASEC: return 12u * vlen;
	case BTF_KIND_ENUM: case BTF_KIND_FUNC_PROTO: return 8u * vlen;
	case 19 /* ENUM64 */: return 12u * vlen;
	default: return 0;
	}
}

static int load_btf(const char *path, struct btf_file *b)
{
	size_t len;
	b->raw = slurp(path, &len);
	if (!b->raw)
		return -1;
	b->h = (const void *)b->raw;
	if (b->h->magic != BTF_MAGIC) {
		fprintf(stderr, "fentry_check: %s: bad BTF magic\n", path);
		return -1;
	}
	b->types = b->raw + b->h->hdr_len + b->h->type_off;
	b->strs = b->raw + b->h->hdr_len + b->h->str_off;
	b->ntypes = 0;
	for (const char *p = b->types; p < b->types + b->h->type_len; b->ntypes++) {
		const struct btf_type *t = (const void *)p;
		p += sizeof(*t) + type_extra(t);
	}
	return 0;
}

/* Find FUNC `name` in `b` (split on top of `base` if base != NULL). */
static int find_func(const struct btf_file *b, const struct btf_file *base, const char *name)
{
	uint32_t id = base ? base->ntypes + 1 : 1;
	uint32_t base_str = base ? base->h->str_len : 0;
	for (const char *p = b->types; p < b->types + b->h->type_len; id++) {
		const struct btf_type *t = (const void *)p;
		p += sizeof(*t) + type_extra(t);
		if (BTF_INFO_KIND(t->info) != BTF_KIND_FUNC)
			continue;
		const char *n = t->name_off < base_str ? base->strs + t->name_off
						       : b->strs + (t->name_off - base_str);
		if (strcmp(n, name) == 0)
			return (int)id;
	}
	return -1;
}

static int module_btf_fd(const char *module)
{
	union bpf_attr a;
	uint32_t id = 0;
	for (;;) {
		memset(&a, 0, sizeof(a));
		a.start_id = id;
		if (sys_bpf(BPF_BTF_GET_NEXT_ID, &a) < 0)
			return -1;
		id = a.next_id;
		memset(&a, 0, sizeof(a));
		a.btf_id = id;
		int fd = (int)sys_bpf(BPF_BTF_GET_FD_BY_ID, &a);
		if (fd < 0)
			continue;
		char name[64] = "";
		struct bpf_btf_info info;
		memset(&info, 0, sizeof(info));
		info.name = (uint64_t)(uintptr_t)name;
		info.name_len = sizeof(name);
		memset(&a, 0, sizeof(a));
		a.info.bpf_fd = (uint32_t)fd;
		a.info.info_len = sizeof(info);
		a.info.info = (uint64_t)(uintptr_t)&info;
		if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) == 0 && info.kernel_btf &&
		    strcmp(name, module) == 0)
			return fd;
		close(fd);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fentry_check FUNC [BTF_OBJ] [-- CMD ARGS...]\n");
		return 2;
	}
	const char *func = argv[1];
	const char *obj = "vmlinux";
	int cmd_i = 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			cmd_i = i + 1;
			break;
		}
		obj = argv[i];
	}

	struct btf_file vml, mod;
	if (load_btf("/sys/kernel/btf/vmlinux", &vml))
		return 2;
	int btf_id, obj_fd = 0;
	if (strcmp(obj, "vmlinux") == 0) {
		btf_id = find_func(&vml, NULL, func);
	} else {
		char path[256];
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", obj);
		if (load_btf(path, &mod))
			return 2;
		btf_id = find_func(&mod, &vml, func);
		obj_fd = module_btf_fd(obj);
		if (obj_fd < 0) {
			fprintf(stderr, "fentry_check: no kernel BTF object named %s\n", obj);
			return 2;
		}
	}
	if (btf_id < 0) {
		fprintf(stderr, "fentry_check: FUNC %s not found in %s BTF\n", func, obj);
		return 2;
	}

	int s = open("/proc/sys/kernel/bpf_stats_enabled", O_WRONLY);
	if (s < 0 || write(s, "1", 1) != 1)
		fprintf(stderr, "fentry_check: cannot enable bpf stats: %s\n", strerror(errno));
	if (s >= 0)
		close(s);

	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static char log[65536];
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_TRACING;
	a.expected_attach_type = BPF_TRACE_FENTRY;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uint64_t)(uintptr_t)"GPL";
	a.attach_btf_id = (uint32_t)btf_id;
	a.attach_btf_obj_fd = (uint32_t)obj_fd;
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	int prog = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (prog < 0) {
		fprintf(stderr, "fentry_check: BPF_PROG_LOAD: %s\n%s\n", strerror(errno), log);
		return 2;
	}
	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.prog_fd = (uint32_t)prog;
	int link = (int)sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
	if (link < 0) {
		fprintf(stderr, "fentry_check: attach (BPF_RAW_TRACEPOINT_OPEN): %s\n", strerror(errno));
		return 2;
	}
	printf("fentry_check: attached fentry to %s (%s BTF id %d)\n", func, obj, btf_id);
	fflush(stdout);

	if (cmd_i && cmd_i < argc) {
		pid_t pid = fork();
		if (pid == 0) {
			execvp(argv[cmd_i], argv + cmd_i);
			_exit(127);
		}
		int st;
		waitpid(pid, &st, 0);
	}

	struct bpf_prog_info info;
	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)prog;
	a.info.info_len = sizeof(info);
	a.info.info = (uint64_t)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0) {
		fprintf(stderr, "fentry_check: BPF_OBJ_GET_INFO_BY_FD: %s\n", strerror(errno));
		return 2;
	}
	printf("fentry_check: %s run_cnt=%llu\n", func, (unsigned long long)info.run_cnt);
	return info.run_cnt > 0 ? 0 : 1;
}
