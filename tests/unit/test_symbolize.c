// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of userspace/symbolize.c: kallsyms files (made up, and this
 * host's), /proc/PID/maps, and the symbolizer on a handmade ELF file, on
 * this test program (.symtab) and on libc (Debian's has .dynsym only).
 * Files go to a mkdtemp() directory that is removed at the end. Reading
 * /proc/kallsyms with addresses needs root; without it that part is skipped.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../userspace/symbolize.h"
#include "check.h"

#define MAPS_BUF   (256 * 1024)
#define USER_LOOPS 1000000

static char tmpdir[] = "/tmp/tsend-test-symbolize-XXXXXX";
static char maps[MAPS_BUF];

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Files the tests make; removed at the end. */
static const char *const tmp_names[] = {"kallsyms", "zeros", "empty", "handmade.so", "not-elf.so"};

static const char *tmp_path(const char *name)
{
	static char path[4][256];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	return p;
}

static const char *tmp_file(const char *name, const void *data, size_t len)
{
	const char *p = tmp_path(name);
	int fd;

	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror(p);
		exit(1);
	}
	close(fd);
	return p;
}

static bool str_is(const char *got, const char *want)
{
	if (got && want && !strcmp(got, want))
		return true;
	if (got != want)
		fprintf(stderr, "  got \"%s\", want \"%s\"\n", got ? got : "(null)",
			want ? want : "(null)");
	return got == want;
}

/* --- kallsyms ------------------------------------------------------- */

static void test_kallsyms_file(void)
{
	/* out of order, a data symbol, an alias, a zero address, a line of
	 * garbage, modules, and no newline at the end */
	static const char text[] = "ffffffff81000300 T third\n"
				   "ffffffff81000100 t first\n"
				   "ffffffff81000100 T first_alias\n"
				   "ffffffff81000200 D data_sym\n"
				   "ffffffff81000250 W weak_one\n"
				   "ffffffffc0001000 t mod_func\t[e1000e]\n"
				   "0000000000000000 T zero_sym\n"
				   "not a line at all\n"
				   "ffffffff8100028 w\n"
				   "ffffffff81000280 w weak_local\n"
				   "1ffffffff81000280 T too_long\n"
				   "ffffffffc0001100 T last_one\t[bpf]";
	static const char zeros[] = "0000000000000000 T a\n0000000000000000 t b\n";
	const char *name, *mod;
	struct kallsyms *ks;
	__u64 start, size;

	ks = kallsyms__load(tmp_file("kallsyms", text, sizeof(text) - 1));
	CHECK(ks);
	if (!ks)
		return;
	CHECK(kallsyms__find(ks, 0xffffffff810000ffULL, &start, &size, &name, &mod) == -ENOENT);
	CHECK(kallsyms__find(ks, 0, NULL, NULL, NULL, NULL) == -ENOENT);

	CHECK(!kallsyms__find(ks, 0xffffffff81000100ULL, &start, &size, &name, &mod));
	CHECK(str_is(name, "first"));
	CHECK(str_is(mod, ""));
	CHECK_EQ_U64(start, 0xffffffff81000100ULL);
	CHECK_EQ_U64(size, 0x150); /* data_sym is not text */

	CHECK(!kallsyms__find(ks, 0xffffffff8100026fULL, &start, &size, &name, &mod));
	CHECK(str_is(name, "weak_one"));
	CHECK_EQ_U64(size, 0x30);
	CHECK(!kallsyms__find(ks, 0xffffffff81000281ULL, NULL, &size, &name, NULL));
	CHECK(str_is(name, "weak_local"));
	CHECK_EQ_U64(size, 0x80);

	CHECK(!kallsyms__find(ks, 0xffffffffc0001010ULL, &start, &size, &name, &mod));
	CHECK(str_is(name, "mod_func"));
	CHECK(str_is(mod, "e1000e"));
	CHECK_EQ_U64(size, 0x100);

	/* the last symbol: size unknown, and it takes everything above */
	CHECK(!kallsyms__find(ks, 0xffffffffc0001100ULL, &start, &size, &name, &mod));
	CHECK(str_is(name, "last_one"));
	CHECK(str_is(mod, "bpf"));
	CHECK_EQ_U64(size, 0);
	CHECK(!kallsyms__find(ks, ~0ULL, &start, NULL, &name, NULL));
	CHECK_EQ_U64(start, 0xffffffffc0001100ULL);
	kallsyms__free(ks);

	errno = 0;
	CHECK(!kallsyms__load(tmp_file("zeros", zeros, sizeof(zeros) - 1)));
	CHECK(errno == EPERM);
	errno = 0;
	CHECK(!kallsyms__load(tmp_file("empty", "", 0)));
	CHECK(errno == ENOENT);
	errno = 0;
	CHECK(!kallsyms__load("/nonexistent/kallsyms"));
	CHECK(errno == ENOENT);
}

/* The address of a text symbol in /proc/kallsyms, 0 if absent. */
static __u64 kallsyms_addr(const char *want)
{
	char line[1024], name[512], type;
	unsigned long long addr;
	__u64 found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %511s", &addr, &type, name) == 3 &&
		    (type == 't' || type == 'T') && !strcmp(name, want))
			found = addr;
	fclose(f);
	return found;
}

static void test_kallsyms_proc(void)
{
	__u64 addr, start, size, sink = 0;
	const char *name, *mod;
	struct kallsyms *ks;
	double t0, load_ms, find_ms;

	t0 = now_ms();
	ks = kallsyms__load("/proc/kallsyms");
	load_ms = now_ms() - t0;
	if (!ks && errno == EPERM && geteuid()) {
		printf("test_symbolize: /proc/kallsyms hidden (not root): skipped\n");
		return;
	}
	CHECK(ks);
	if (!ks)
		return;
	addr = kallsyms_addr("tcp_sendmsg");
	CHECK(addr);
	CHECK(!kallsyms__find(ks, addr, &start, &size, &name, &mod));
	CHECK(str_is(name, "tcp_sendmsg"));
	CHECK(str_is(mod, ""));
	CHECK_EQ_U64(start, addr);
	CHECK(size > 0 && size < 65536);
	CHECK(!kallsyms__find(ks, addr + size - 1, &start, NULL, &name, NULL));
	CHECK(str_is(name, "tcp_sendmsg"));
	CHECK(!kallsyms__find(ks, addr + size, &start, NULL, &name, NULL));
	CHECK(start == addr + size && strcmp(name, "tcp_sendmsg"));

	t0 = now_ms();
	for (__u64 i = 0; i < USER_LOOPS; i++) {
		kallsyms__find(ks, addr + (i * 4099) % (64 << 20), &start, NULL, NULL, NULL);
		sink += start;
	}
	find_ms = now_ms() - t0;
	CHECK(sink);
	printf("test_symbolize: /proc/kallsyms load %.1f ms, %.1fM finds/s\n", load_ms,
	       USER_LOOPS / find_ms / 1e3);
	kallsyms__free(ks);
}

/* --- /proc/PID/maps ------------------------------------------------- */

static void test_proc_maps(void)
{
	char self[512], small[4096], *nl;
	ssize_t n_self;
	int n, first;
	pid_t child;

	n = proc_maps_read(getpid(), maps, sizeof(maps));
	CHECK(n > 0 && (size_t)n < sizeof(maps) && !maps[n] && maps[n - 1] == '\n');
	n_self = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n_self > 0);
	self[n_self > 0 ? n_self : 0] = 0;
	CHECK(strstr(maps, self));
	/* every line executable */
	for (char *l = maps; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		CHECK(nl && strchr(l, ' ')[3] == 'x');
		if (!nl)
			break;
	}
	/* cut at a line end */
	first = strchr(maps, '\n') - maps + 1;
	CHECK(proc_maps_read(getpid(), small, first + 1) == first);
	CHECK(!memcmp(small, maps, first) && !small[first]);
	CHECK(proc_maps_read(getpid(), small, first) == 0 && !small[0]);
	CHECK(proc_maps_read(getpid(), small, 0) == -EINVAL);

	child = fork();
	if (!child)
		_exit(0);
	CHECK(child > 0 && waitpid(child, NULL, 0) == child);
	CHECK(proc_maps_read(child, small, sizeof(small)) == -ENOENT);
	CHECK(proc_maps_read(0x7fffffff, small, sizeof(small)) == -ENOENT);
}

/* --- the symbolizer: kernel ------------------------------------------ */

static void test_kernel(void)
{
	struct symbolizer *s = symbolizer__new();
	const char *first;

	CHECK(s);
	if (!s)
		return;
	CHECK(!symbolizer__kernel(s, 0x1000)); /* nothing added */
	CHECK(!symbolizer__add_ksym(s, 0x3000, 0x100, "third", 5, "", 0));
	CHECK(!symbolizer__add_ksym(s, 0x1000, 0x80, "first_xx", 5, "mod", 3)); /* no NUL */
	CHECK(!symbolizer__add_ksym(s, 0x2000, 0x100, "sec\0ond", 7, NULL, 0));
	CHECK(!symbolizer__add_ksym(s, 0x1000, 0x100, "alias", 5, "", 0)); /* later: loses */
	CHECK(!symbolizer__add_ksym(s, 0x5000, 0, "last", 4, "", 0));
	CHECK(symbolizer__add_ksym(s, 0x6000, 0, "", 0, "", 0) == -EINVAL);
	CHECK(symbolizer__add_ksym(s, 0x6000, 0, "\0x", 2, "", 0) == -EINVAL);
	CHECK(symbolizer__add_ksym(s, 0x6000, 0, NULL, 4, "", 0) == -EINVAL);

	CHECK(!symbolizer__kernel(s, 0xfff));
	first = symbolizer__kernel(s, 0x1000);
	CHECK(str_is(first, "first"));
	CHECK(str_is(symbolizer__kernel(s, 0x107f), "first"));
	CHECK(!symbolizer__kernel(s, 0x1080)); /* past its size */
	CHECK(str_is(symbolizer__kernel(s, 0x20ff), "sec"));
	CHECK(str_is(symbolizer__kernel(s, 0x3000), "third"));
	CHECK(!symbolizer__kernel(s, 0x4000));
	CHECK(str_is(symbolizer__kernel(s, 0x5000), "last"));
	CHECK(str_is(symbolizer__kernel(s, ~0ULL), "last")); /* size 0: no end */

	/* adds after lookups: sorted again, and names handed out stay */
	CHECK(!symbolizer__add_ksym(s, 0x1000, 0x80, "again", 5, "", 0));
	CHECK(!symbolizer__add_ksym(s, 0x1080, 0x80, "after", 5, "", 0));
	CHECK(symbolizer__kernel(s, 0x1000) == first);
	CHECK(str_is(first, "first"));
	CHECK(str_is(symbolizer__kernel(s, 0x1080), "after"));
	symbolizer__free(s);
	symbolizer__free(NULL);
}

/* --- the symbolizer: a handmade ELF file ----------------------------- */

#define TEXT_OFF   0x1000
#define TEXT_VADDR 0x401000ULL
#define TEXT_SIZE  0x1000
#define SYMTAB_OFF 0x2000
#define STRTAB_OFF 0x2200
#define SHSTR_OFF  0x2400
#define SHDR_OFF   0x2500
#define ELF_SIZE   (SHDR_OFF + 5 * sizeof(Elf64_Shdr))

struct test_sym {
	const char *name;
	unsigned char bind, type;
	Elf64_Half shndx;
	Elf64_Addr value;
	Elf64_Xword size;
};

/* .text is section 1, at TEXT_VADDR, loaded from file offset TEXT_OFF */
static const struct test_sym elf_syms[] = {
	{"local_first", STB_LOCAL, STT_FUNC, 1, 0x401100, 0x10},
	{"sized_fn", STB_GLOBAL, STT_FUNC, 1, 0x401000, 0x100},
	{"__sized_alias", STB_GLOBAL, STT_FUNC, 1, 0x401000, 0x100},
	{"global_second", STB_WEAK, STT_FUNC, 1, 0x401100, 0x10},
	{"sizeless_fn", STB_GLOBAL, STT_FUNC, 1, 0x401200, 0},
	{"label", STB_GLOBAL, STT_NOTYPE, 1, 0x401300, 0x20},
	{"notype_nosize", STB_GLOBAL, STT_NOTYPE, 1, 0x401400, 0},
	{"data_obj", STB_GLOBAL, STT_OBJECT, 1, 0x401500, 0x10},
	{"undef_fn", STB_GLOBAL, STT_FUNC, SHN_UNDEF, 0x401600, 0x10},
	{"abs_fn", STB_GLOBAL, STT_FUNC, SHN_ABS, 0x401700, 0x10},
	{"tail_sizeless", STB_GLOBAL, STT_FUNC, 1, 0x401f00, 0},
};

static void put_shdr(unsigned char *elf, int i, Elf64_Word name, Elf64_Word type, Elf64_Addr addr,
		     Elf64_Off off, Elf64_Xword size, Elf64_Word link, Elf64_Xword entsize)
{
	Elf64_Shdr sh = {.sh_name = name,
			 .sh_type = type,
			 .sh_addr = addr,
			 .sh_offset = off,
			 .sh_size = size,
			 .sh_link = link,
			 .sh_entsize = entsize,
			 .sh_addralign = 1};

	memcpy(elf + SHDR_OFF + i * sizeof(sh), &sh, sizeof(sh));
}

static const char *make_elf(void)
{
	static const char shstr[] = "\0.text\0.symtab\0.strtab\0.shstrtab";
	static unsigned char elf[ELF_SIZE];
	Elf64_Ehdr eh = {.e_type = ET_DYN,
			 .e_machine = EM_X86_64,
			 .e_version = EV_CURRENT,
			 .e_phoff = sizeof(Elf64_Ehdr),
			 .e_shoff = SHDR_OFF,
			 .e_ehsize = sizeof(Elf64_Ehdr),
			 .e_phentsize = sizeof(Elf64_Phdr),
			 .e_phnum = 1,
			 .e_shentsize = sizeof(Elf64_Shdr),
			 .e_shnum = 5,
			 .e_shstrndx = 4};
	Elf64_Phdr ph = {.p_type = PT_LOAD,
			 .p_flags = PF_R | PF_X,
			 .p_offset = TEXT_OFF,
			 .p_vaddr = TEXT_VADDR,
			 .p_paddr = TEXT_VADDR,
			 .p_filesz = TEXT_SIZE,
			 .p_memsz = TEXT_SIZE,
			 .p_align = 0x1000};
	size_t nsyms = sizeof(elf_syms) / sizeof(elf_syms[0]), str = 1;

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(elf, &eh, sizeof(eh));
	memcpy(elf + eh.e_phoff, &ph, sizeof(ph));
	memset(elf + TEXT_OFF, 0xcc, TEXT_SIZE);
	for (size_t i = 0; i < nsyms; i++) {
		const struct test_sym *t = &elf_syms[i];
		Elf64_Sym sym = {.st_name = str,
				 .st_info = ELF64_ST_INFO(t->bind, t->type),
				 .st_shndx = t->shndx,
				 .st_value = t->value,
				 .st_size = t->size};

		memcpy(elf + SYMTAB_OFF + (i + 1) * sizeof(sym), &sym, sizeof(sym));
		strcpy((char *)elf + STRTAB_OFF + str, t->name);
		str += strlen(t->name) + 1;
	}
	memcpy(elf + SHSTR_OFF, shstr, sizeof(shstr));
	put_shdr(elf, 1, 1, SHT_PROGBITS, TEXT_VADDR, TEXT_OFF, TEXT_SIZE, 0, 0);
	put_shdr(elf, 2, 7, SHT_SYMTAB, 0, SYMTAB_OFF, (nsyms + 1) * sizeof(Elf64_Sym), 3,
		 sizeof(Elf64_Sym));
	put_shdr(elf, 3, 15, SHT_STRTAB, 0, STRTAB_OFF, str, 0, 0);
	put_shdr(elf, 4, 23, SHT_STRTAB, 0, SHSTR_OFF, sizeof(shstr), 0, 0);
	return tmp_file("handmade.so", elf, sizeof(elf));
}

static void test_handmade_elf(void)
{
	/* loaded at 0x7f0000000000 + file offset, as a PIE would be */
	static const struct {
		__u64 off; /* in the file */
		const char *want;
	} cases[] = {
		{0x800, NULL}, /* mapped, but before the PT_LOAD */
		{0x1000, "sized_fn"},
		{0x10ff, "sized_fn"},
		{0x1100, "global_second"},
		{0x110f, "global_second"},
		{0x1110, NULL},
		{0x1200, "sizeless_fn"},
		{0x12ff, "sizeless_fn"},
		{0x1300, "label"},
		{0x131f, "label"},
		{0x1320, NULL},
		{0x1400, NULL},
		{0x1500, NULL},
		{0x1600, NULL},
		{0x1700, NULL},
		{0x1f00, "tail_sizeless"},
		{0x1fff, "tail_sizeless"},
		{0x2000, NULL}, /* past the mapping */
	};
	const char *path = make_elf();
	struct symbolizer *s = symbolizer__new();
	char text[1024];

	CHECK(s);
	if (!s)
		return;
	snprintf(text, sizeof(text),
		 "7f0000000000-7f0000001000 r-xp 00000000 fe:00 1  %s\n"
		 "7f0000001000-7f0000002000 r-xp 00001000 fe:00 1  %s\n",
		 path, path);
	CHECK(!symbolizer__add_maps(s, 7, text, strlen(text)));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = symbolizer__user(s, 7, 0x7f0000000000ULL + cases[i].off);

		if (!str_is(got, cases[i].want))
			fprintf(stderr, "  at file offset 0x%llx\n",
				(unsigned long long)cases[i].off);
		CHECK(str_is(got, cases[i].want));
	}
	CHECK(!symbolizer__user(s, 8, 0x7f0000001000ULL)); /* another pid */
	symbolizer__free(s);
}

/* --- the symbolizer: this program and libc ---------------------------- */

static __attribute__((noinline)) int self_probe(int x)
{
	return x * 3 + 1;
}

/* maps with " (deleted)" after each path */
static size_t deleted_maps(char *out, size_t size)
{
	size_t n = 0;

	for (const char *l = maps, *nl; *l && (nl = strchr(l, '\n')); l = nl + 1)
		n += snprintf(out + n, size - n, "%.*s (deleted)\n", (int)(nl - l), l);
	return n;
}

static void test_self(void)
{
	static char text[MAPS_BUF + 64 * 1024];
	static const char garbage[] = "\n\n-\n7f-\n0-1 r-xp\n1000-0 r-xp 0 fe:00 1 /x\n"
				      "10000000000000000-20000000000000000 r-xp 0 0 0 /x\n"
				      "1000-2000 r--p 00000000 fe:00 1 /lib/nothing-executable\n"
				      "1000-2000 r-xp zz fe:00 1 /x\n1000-2000 r-xp 0 fe:00 1x /x\n"
				      "1000-2000 r-xp 0 fe:00\n \t \n\x01\x02\xff\n";
	int (*volatile probe)(int) = self_probe;
	__u64 fn = (uintptr_t)probe, libc_fn = (uintptr_t)dlsym(RTLD_DEFAULT, "getpid");
	struct symbolizer *s = symbolizer__new();
	const char *name;
	double t0, ms;
	int hits = 0;
	size_t n;
	__u32 pid = getpid();

	CHECK(s && libc_fn);
	if (!s)
		return;
	CHECK(probe(1) == 4);
	CHECK(!symbolizer__add_maps(s, pid, maps, strlen(maps)));
	CHECK(str_is(symbolizer__user(s, pid, fn), "self_probe"));
	CHECK(str_is(symbolizer__user(s, pid, fn + 1), "self_probe"));
	name = symbolizer__user(s, pid, libc_fn + 1);
	CHECK(name && strstr(name, "getpid"));
	CHECK(!symbolizer__user(s, pid, 0));
	CHECK(!symbolizer__user(s, pid + 1, fn));

	/* all over 256 KiB of libc and this program */
	t0 = now_ms();
	for (int i = 0; i < USER_LOOPS; i++)
		hits += !!symbolizer__user(s, pid,
					   (i & 1 ? fn : libc_fn) + i * 2654435761U % 262144);
	ms = now_ms() - t0;
	CHECK(hits > USER_LOOPS / 10); /* .dynsym lacks libc's static functions */
	printf("test_symbolize: %.1fM user lookups/s (%d%% found)\n", USER_LOOPS / ms / 1e3,
	       hits / (USER_LOOPS / 100));

	/* replaced: by garbage, then by garbage before the real lines */
	CHECK(!symbolizer__add_maps(s, pid, garbage, sizeof(garbage) - 1));
	CHECK(!symbolizer__user(s, pid, fn));
	n = snprintf(text, sizeof(text), "%s%s", garbage, maps);
	CHECK(!symbolizer__add_maps(s, pid, text, n));
	CHECK(str_is(symbolizer__user(s, pid, fn), "self_probe"));
	CHECK(!symbolizer__add_maps(s, pid, NULL, 0));
	CHECK(!symbolizer__user(s, pid, fn));

	/* the files were replaced since: still tried at their paths */
	n = deleted_maps(text, sizeof(text));
	CHECK(!symbolizer__add_maps(s, pid, text, n));
	CHECK(str_is(symbolizer__user(s, pid, fn), "self_probe"));
	name = symbolizer__user(s, pid, libc_fn);
	CHECK(name && strstr(name, "getpid"));
	symbolizer__free(s);
}

/* Files that are missing, not ELF or not regular, and mappings with no
 * file at all: NULL, every time. */
static void test_no_file(void)
{
	static const char junk[] = "#!/bin/sh\nexit 0\n";
	struct symbolizer *s = symbolizer__new();
	char text[2048];
	const char *path = tmp_file("not-elf.so", junk, sizeof(junk) - 1);
	int n;

	CHECK(s);
	if (!s)
		return;
	n = snprintf(text, sizeof(text),
		     "1000-2000 r-xp 00000000 fe:00 1 /nonexistent/lib.so\n"
		     "2000-3000 r-xp 00000000 00:00 0                  [vdso]\n"
		     "3000-4000 r-xp 00000000 00:00 0\n"
		     "4000-5000 r-xp 00000000 fe:00 1 %s\n"
		     "5000-6000 r-xp 00000000 00:05 1 /dev/null\n"
		     "6000-7000 r-xp 00000000 00:05 1 relative/lib.so\n"
		     "7000-8000 r-xp 00000000 00:05 1 /tmp\n"
		     "8000-9000 r-xp 00000000 00:05 1 /nonexistent/lib.so (deleted)\n",
		     path);
	CHECK(!symbolizer__add_maps(s, 1, text, n));
	for (int round = 0; round < 2; round++)
		for (__u64 a = 0x1000; a < 0x9000; a += 0x800)
			CHECK(!symbolizer__user(s, 1, a));
	symbolizer__free(s);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror(tmpdir);
		return 1;
	}
	test_kallsyms_file();
	test_kallsyms_proc();
	test_proc_maps();
	test_kernel();
	test_handmade_elf();
	test_self();
	test_no_file();
	for (size_t i = 0; i < sizeof(tmp_names) / sizeof(tmp_names[0]); i++)
		unlink(tmp_path(tmp_names[i]));
	CHECK(rmdir(tmpdir) == 0);
	return check_done("test_symbolize");
}
