// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A file's function symbols, as libelf reads them (elf_syms.h). The file is
 * named by a trace, so it is trusted no more than the trace: only regular
 * files are read, without blocking, and what is kept is capped.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_syms.h"

#define PHDRS_MAX    256
#define ELF_SYMS_MAX (4U << 20)

#define SYM_ORDER_SHIFT 24 /* ELF_SYMS_MAX fits below */
#define SYM_SIZELESS	8  /* size reaches the next symbol (or section end) */
#define SYM_LOCAL	4  /* then exported names: what the program calls */
/* then fewer leading underscores (0-3): getpid over __getpid */

static int load_phdrs(struct elf_syms *f, Elf *elf)
{
	size_t n;

	if (elf_getphdrnum(elf, &n) || !n || n > PHDRS_MAX)
		return -1;
	f->loads = calloc(n, sizeof(*f->loads));
	if (!f->loads)
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		f->loads[f->nr_loads++] = (struct elf_load){ph.p_offset, ph.p_filesz, ph.p_vaddr};
	}
	return f->nr_loads ? 0 : -1;
}

/*
 * Should sym be kept: a defined function, or a sized untyped label? A
 * sizeless one gets the rest of its section as size, cut later at the next
 * symbol. Returns its rank, or -1.
 */
static int sym_rank(Elf *elf, GElf_Sym *sym, const char *strtab, size_t strsz)
{
	int type = GELF_ST_TYPE(sym->st_info), rank = 0;
	const char *name;

	if ((type != STT_FUNC && !(type == STT_NOTYPE && sym->st_size)) || !sym->st_value ||
	    sym->st_shndx == SHN_UNDEF || sym->st_shndx >= SHN_LORESERVE || !sym->st_name ||
	    sym->st_name >= strsz || !strtab[sym->st_name] ||
	    sym->st_value + sym->st_size < sym->st_value)
		return -1;
	if (!sym->st_size) {
		Elf_Scn *scn = elf_getscn(elf, sym->st_shndx);
		GElf_Shdr sh;

		if (!scn || !gelf_getshdr(scn, &sh) || sym->st_value < sh.sh_addr ||
		    sym->st_value - sh.sh_addr >= sh.sh_size)
			return -1;
		sym->st_size = sh.sh_size - (sym->st_value - sh.sh_addr);
		rank |= SYM_SIZELESS;
	}
	if (GELF_ST_BIND(sym->st_info) == STB_LOCAL)
		rank |= SYM_LOCAL;
	name = strtab + sym->st_name;
	for (int i = 0; i < 3 && name[i] == '_'; i++)
		rank++;
	return rank;
}

static int elf_sym_cmp(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The symbols of the first section of type (SHT_SYMTAB, SHT_DYNSYM) into f;
 * how many, 0 if none. */
static size_t load_syms(struct elf_syms *f, Elf *elf, Elf64_Word type)
{
	size_t entsz = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT), nr, n = 0, keep;
	Elf_Scn *scn = NULL, *strscn;
	Elf_Data *data, *strdata;
	GElf_Shdr sh, strsh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type)
			break;
	if (!scn || !entsz)
		return 0;
	strscn = elf_getscn(elf, sh.sh_link);
	if (!strscn || !gelf_getshdr(strscn, &strsh) || strsh.sh_type != SHT_STRTAB)
		return 0;
	data = elf_getdata(scn, NULL);
	strdata = elf_getdata(strscn, NULL);
	if (!data || !strdata || !strdata->d_buf || !strdata->d_size)
		return 0;
	nr = data->d_size / entsz;
	if (!nr)
		return 0;
	if (nr > ELF_SYMS_MAX)
		nr = ELF_SYMS_MAX;
	f->syms = malloc(nr * sizeof(*f->syms));
	f->strtab = malloc(strdata->d_size + 1);
	if (!f->syms || !f->strtab)
		goto out_free;
	memcpy(f->strtab, strdata->d_buf, strdata->d_size);
	f->strtab[strdata->d_size] = 0;
	for (size_t i = 0; i < nr; i++) {
		GElf_Sym sym;
		int rank;

		if (!gelf_getsym(data, i, &sym))
			continue;
		rank = sym_rank(elf, &sym, f->strtab, strdata->d_size);
		if (rank < 0)
			continue;
		f->syms[n] = (struct elf_sym){sym.st_value, sym.st_size, sym.st_name,
					      (__u32)rank << SYM_ORDER_SHIFT | (__u32)n};
		n++;
	}
	if (!n)
		goto out_free;
	qsort(f->syms, n, sizeof(*f->syms), elf_sym_cmp);
	keep = 1;
	for (size_t i = 1; i < n; i++)
		if (f->syms[i].addr != f->syms[keep - 1].addr)
			f->syms[keep++] = f->syms[i];
	for (size_t i = 0; i + 1 < keep; i++) {
		struct elf_sym *e = &f->syms[i];

		if ((e->order >> SYM_ORDER_SHIFT & SYM_SIZELESS) && e->size > e[1].addr - e->addr)
			e->size = e[1].addr - e->addr;
	}
	f->nr_syms = keep;
	return keep;

out_free:
	free(f->syms);
	free(f->strtab);
	f->syms = NULL;
	f->strtab = NULL;
	return 0;
}

void elf_syms__load(struct elf_syms *f, const char *path)
{
	struct stat st;
	Elf *elf;
	int fd;

	memset(f, 0, sizeof(*f));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return;
	/* O_NONBLOCK: the path may name a FIFO, which is refused below */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		goto out_close;
	/* ELF_C_READ, not _MMAP: a file truncated under us is a read error,
	 * not SIGBUS */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		goto out_close;
	if (elf_kind(elf) != ELF_K_ELF || load_phdrs(f, elf))
		goto out_fail;
	/* .symtab has the static functions too; stripped files only .dynsym */
	if (load_syms(f, elf, SHT_SYMTAB) || load_syms(f, elf, SHT_DYNSYM))
		goto out_end;
out_fail:
	free(f->loads);
	f->loads = NULL;
	f->nr_loads = 0;
out_end:
	elf_end(elf);
out_close:
	close(fd);
}

const char *elf_syms__find(const struct elf_syms *f, __u64 off)
{
	const struct elf_load *l = f->loads;
	const struct elf_sym *e;
	__u64 vaddr;
	size_t lo;

	if (!f->nr_syms)
		return NULL;
	while (l < f->loads + f->nr_loads && !(off >= l->offset && off - l->offset < l->filesz))
		l++;
	if (l == f->loads + f->nr_loads)
		return NULL;
	vaddr = l->vaddr + (off - l->offset);
	lo = addr_rank(f->syms, f->nr_syms, sizeof(*f->syms), vaddr);
	if (!lo)
		return NULL;
	e = &f->syms[lo - 1];
	return vaddr - e->addr < e->size ? f->strtab + e->name : NULL;
}

void elf_syms__free(struct elf_syms *f)
{
	free(f->loads);
	free(f->syms);
	free(f->strtab);
	memset(f, 0, sizeof(*f));
}
