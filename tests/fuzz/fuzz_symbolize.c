// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: the symbolizer (userspace/symbolize.h) on MAPS text,
 * KSYM records and addresses from the input, and on an ELF file whose bytes
 * come from the input too. Kernel lookups are checked against a plain
 * model of the same symbols; every name handed out is read again at the
 * end, so ASan sees one that was freed.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *	tests/fuzz/fuzz_symbolize.c userspace/symbolize.c userspace/u64map.c -lelf
 *
 * Input: an options byte; u16 (LE) text length and the MAPS text, in
 * which "@E" stands for the path of the ELF file; u16 length and the ELF
 * file's bytes; then operations, one byte each (low 2 bits the kind, the
 * rest an argument) followed by their operands:
 *   0 add_ksym: u64 addr, u16 size, then arg (0-63) bytes: the name, whose
 *     first arg & 7 bytes are also the module
 *   1 kernel lookup: u64 addr
 *   2 user lookup of pid arg & 3: u64 addr
 *   3 add_maps for pid arg & 3: the text from byte (arg >> 2) * len / 16 on
 * Option bit 0 also loads the text as a kallsyms file and looks up every
 * kernel lookup's address in it. Paths other than "@E" name host files,
 * which are opened read-only (the seeds name libc).
 *
 * Seeds: tests/fuzz/corpus/symbolize/.
 */
#include <errno.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../userspace/symbolize.h"
#include "promise.h"

#define OPT_KALLSYMS 0x01
#define OPS_MAX	     1024
#define KEPT_MAX     64
#define NAME_MAX_LEN 512 /* symbolize.c's KSYM_NAME_MAX */

struct model_ksym {
	__u64 addr, size;
	char name[NAME_MAX_LEN + 1];
};

/* memfds, named by their /proc/self/fd paths: nothing left behind */
static int elf_fd, text_fd;
static char elf_path[32], text_path[32];
static struct model_ksym model[OPS_MAX];
static size_t nr_model;
static const char *kept[KEPT_MAX];
static size_t nr_kept;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	elf_fd = memfd_create("fuzz_symbolize.elf", MFD_CLOEXEC);
	text_fd = memfd_create("fuzz_symbolize.txt", MFD_CLOEXEC);
	PROMISE(elf_fd >= 0 && text_fd >= 0);
	snprintf(elf_path, sizeof(elf_path), "/proc/self/fd/%d", elf_fd);
	snprintf(text_path, sizeof(text_path), "/proc/self/fd/%d", text_fd);
	return 0;
}

static void write_file(int fd, const uint8_t *data, size_t len)
{
	PROMISE(!ftruncate(fd, 0));
	PROMISE(pwrite(fd, data, len, 0) == (ssize_t)len);
}

static bool take(const uint8_t **p, const uint8_t *end, void *out, size_t len)
{
	if ((size_t)(end - *p) < len)
		return false;
	memcpy(out, *p, len);
	*p += len;
	return true;
}

/* The text with each "@E" made the ELF file's path. */
static char *expand(const uint8_t *text, size_t len, size_t *out_len)
{
	size_t plen = strlen(elf_path), n = 0;
	char *out = malloc(len * plen / 2 + len + 1);

	PROMISE(out);
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '@' && i + 1 < len && text[i + 1] == 'E') {
			memcpy(out + n, elf_path, plen);
			n += plen;
			i++;
		} else {
			out[n++] = text[i];
		}
	}
	*out_len = n;
	return out;
}

static void keep(const char *name)
{
	if (name && nr_kept < KEPT_MAX)
		kept[nr_kept++] = name;
}

/* What symbolizer__kernel must answer: the first symbol added at the
 * greatest address <= addr, if addr is within its size. */
static const char *model_kernel(__u64 addr)
{
	const struct model_ksym *best = NULL;

	for (size_t i = 0; i < nr_model; i++)
		if (model[i].addr <= addr && (!best || model[i].addr > best->addr))
			best = &model[i];
	if (!best || (best->size && addr - best->addr >= best->size))
		return NULL;
	return best->name;
}

static void add_ksym(struct symbolizer *s, const uint8_t **p, const uint8_t *end, unsigned arg)
{
	struct model_ksym *m = &model[nr_model];
	const char *name;
	size_t len;
	__u16 size;
	__u64 addr;
	int ret;

	if ((size_t)(end - *p) < 10 + arg)
		return;
	take(p, end, &addr, sizeof(addr));
	take(p, end, &size, sizeof(size));
	name = (const char *)*p;
	*p += arg;
	ret = symbolizer__add_ksym(s, addr, size, name, arg, name, arg & 7);
	len = strnlen(name, arg);
	PROMISE(ret == (len ? 0 : -EINVAL));
	if (ret)
		return;
	for (size_t i = 0; i < nr_model; i++)
		if (model[i].addr == addr)
			return; /* the first name of an address wins */
	m->addr = addr;
	m->size = size;
	memcpy(m->name, name, len);
	m->name[len] = 0;
	nr_model++;
}

static void kernel_lookup(struct symbolizer *s, const struct kallsyms *ks, __u64 addr)
{
	const char *got = symbolizer__kernel(s, addr), *want = model_kernel(addr), *name, *mod;
	__u64 start, size;

	PROMISE(!got == !want && (!got || !strcmp(got, want)));
	keep(got);
	if (!ks)
		return;
	if (!kallsyms__find(ks, addr, &start, &size, &name, &mod)) {
		PROMISE(start <= addr && (!size || addr - start < size));
		PROMISE(name[0] && !strchr(name, '\n') && !strchr(mod, '\n'));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size, *raw;
	struct kallsyms *ks = NULL;
	struct symbolizer *s;
	__u16 text_len, elf_len;
	size_t len;
	uint8_t opt;
	char *text;

	if (!take(&p, end, &opt, 1) || !take(&p, end, &text_len, 2) || (size_t)(end - p) < text_len)
		return 0;
	raw = p;
	p += text_len;
	if (!take(&p, end, &elf_len, 2) || (size_t)(end - p) < elf_len)
		return 0;
	write_file(elf_fd, p, elf_len);
	p += elf_len;
	if (opt & OPT_KALLSYMS) {
		write_file(text_fd, raw, text_len);
		ks = kallsyms__load(text_path);
	}

	s = symbolizer__new();
	PROMISE(s);
	text = expand(raw, text_len, &len);
	nr_model = 0;
	nr_kept = 0;
	for (int op = 0; op < OPS_MAX && p < end; op++) {
		unsigned int kind = *p & 3, arg = *p >> 2;
		__u64 addr;

		p++;
		switch (kind) {
		case 0:
			add_ksym(s, &p, end, arg);
			break;
		case 1:
			if (take(&p, end, &addr, sizeof(addr)))
				kernel_lookup(s, ks, addr);
			break;
		case 2:
			if (take(&p, end, &addr, sizeof(addr))) {
				const char *name = symbolizer__user(s, arg & 3, addr);

				PROMISE(!name || name[0]);
				keep(name);
			}
			break;
		case 3: {
			size_t from = (arg >> 2) * len / 16;

			PROMISE(!symbolizer__add_maps(s, arg & 3, text + from, len - from));
			break;
		}
		}
	}
	/* names live as long as the symbolizer */
	for (size_t i = 0; i < nr_kept; i++)
		PROMISE(strlen(kept[i]) > 0);
	symbolizer__free(s);
	kallsyms__free(ks);
	free(text);
	return 0;
}
