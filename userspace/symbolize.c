// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Addresses to function names (symbolize.h).
 *
 * Everything sorted is looked up by binary search for the greatest start at
 * or below the address. Text from traces (KSYM names, MAPS lines) is
 * hostile: it is parsed within its length, and what it can make us keep is
 * capped (the *_MAX below). The files a MAPS text names are trusted no more
 * than that: only absolute paths of regular files are opened, without
 * blocking, and only what libelf checks is read from them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_syms.h"
#include "hash.h"
#include "symbolize.h"
#include "u64map.h"

#define KALLSYMS_BYTES_MAX (256U << 20) /* this host's file is 5 MiB */
#define KALLSYMS_READ_MIN  (8U << 20)
#define KSYMS_MAX	   (4U << 20)
#define KSYM_NAME_MAX	   512 /* the kernel's KSYM_NAME_LEN since 6.1 */
#define PIDS_MAX	   65536
#define PID_MAPS_MAX	   4096
#define MAPS_MAX	   (1U << 20) /* of all processes together */
#define FILES_MAX	   16384

/* --- text ----------------------------------------------------------- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 1 to 16 hex digits at *p, not followed by another one. */
static bool parse_hex(const char **p, const char *end, __u64 *v)
{
	const char *s = *p;
	__u64 x = 0;
	int d;

	while (s < end && (d = hex_digit(*s)) >= 0) {
		if (s - *p == 16)
			return false;
		x = x << 4 | (__u64)d;
		s++;
	}
	if (s == *p)
		return false;
	*v = x;
	*p = s;
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Skips one or more blanks; false if there are none. */
static bool skip_blanks(const char **p, const char *end)
{
	const char *s = *p;

	while (s < end && is_blank(*s))
		s++;
	if (s == *p)
		return false;
	*p = s;
	return true;
}

/* Skips a non-empty run of non-blanks; false if it is empty. */
static bool skip_word(const char **p, const char *end)
{
	const char *s = *p;

	while (s < end && !is_blank(*s))
		s++;
	if (s == *p)
		return false;
	*p = s;
	return true;
}

/* --- /proc/kallsyms ------------------------------------------------- */

struct kallsym {
	__u64 addr;
	const char *name;   /* in kallsyms.buf */
	const char *module; /* in kallsyms.buf, or "" */
};

struct kallsyms {
	char *buf; /* the file, with each name cut by a NUL in place */
	struct kallsym *syms;
	size_t nr;
};

/* The whole file and a NUL after it. procfs reports size 0: then read
 * until EOF from a buffer that holds a kernel's list at once. NULL with
 * errno set; EFBIG past max. */
static char *read_whole(const char *path, size_t max, size_t *len)
{
	size_t cap = KALLSYMS_READ_MIN, n = 0;
	struct stat st;
	char *buf, *nb;
	ssize_t r;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st) && st.st_size > 0 && (size_t)st.st_size < max)
		cap = st.st_size + 2;
	buf = malloc(cap);
	if (!buf) {
		err = ENOMEM;
		goto out_close;
	}
	for (;;) {
		if (cap - n < 2) {
			err = EFBIG;
			if (cap >= max)
				goto out_free;
			err = ENOMEM;
			nb = realloc(buf, cap * 2 < max ? cap * 2 : max);
			if (!nb)
				goto out_free;
			buf = nb;
			cap = cap * 2 < max ? cap * 2 : max;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			goto out_free;
		}
		if (!r)
			break;
		n += r;
	}
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;

out_free:
	free(buf);
out_close:
	close(fd);
	errno = err;
	return NULL;
}

/*
 * "addr type name[\t[module]]" of a text symbol (t, T, w, W) into *k; the
 * name and module are cut with NULs in line, which ends at eol. False for
 * anything else, a name holding a NUL included.
 */
static bool kallsyms_line(char *line, char *eol, struct kallsym *k)
{
	const char *p = line, *end = eol;
	char *name, *mod;

	if (!parse_hex(&p, end, &k->addr) || end - p < 4 || p[0] != ' ' || p[2] != ' ')
		return false;
	switch (p[1]) {
	case 't':
	case 'T':
	case 'w':
	case 'W':
		break;
	default:
		return false;
	}
	name = line + (p - line) + 3;
	p = name;
	if (!skip_word(&p, end) || memchr(name, 0, p - name))
		return false;
	mod = line + (p - line);
	k->name = name;
	k->module = "";
	if (skip_blanks(&p, end) && *p == '[') {
		const char *close = memchr(p, ']', end - p);

		if (close) {
			k->module = p + 1;
			line[close - line] = 0;
		}
	}
	*mod = 0; /* after the module's '[' was looked at */
	return true;
}

static int kallsym_cmp(const void *a, const void *b)
{
	const struct kallsym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* names lie in the buffer in file order: the kernel lists the name it
	 * prefers for an address first (scripts/kallsyms.c), keep that one */
	return x->name < y->name ? -1 : x->name > y->name;
}

struct kallsyms *kallsyms__load(const char *path)
{
	struct kallsyms *ks;
	size_t len, lines = 0, zeros = 0, n = 0;
	bool sorted = true;
	char *p, *end, *eol;

	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return NULL;
	ks->buf = read_whole(path, KALLSYMS_BYTES_MAX, &len);
	if (!ks->buf)
		goto out_free;
	end = ks->buf + len;
	for (p = ks->buf; (p = memchr(p, '\n', end - p)); p++)
		lines++;
	lines = lines + 1 < KSYMS_MAX ? lines + 1 : KSYMS_MAX;
	ks->syms = malloc(lines * sizeof(*ks->syms));
	if (!ks->syms)
		goto out_free;
	for (p = ks->buf; p < end && n < lines; p = eol + 1) {
		struct kallsym *k = &ks->syms[n];

		eol = memchr(p, '\n', end - p);
		if (!eol)
			eol = end;
		if (!kallsyms_line(p, eol, k))
			continue;
		if (!k->addr) {
			zeros++;
			continue;
		}
		if (n && k[-1].addr > k->addr)
			sorted = false;
		n++;
	}
	if (!n) {
		errno = zeros ? EPERM : ENOENT;
		goto out_free;
	}
	if (!sorted)
		qsort(ks->syms, n, sizeof(*ks->syms), kallsym_cmp);
	/* one name an address: sizes reach the next address */
	ks->nr = 1;
	for (size_t i = 1; i < n; i++)
		if (ks->syms[i].addr != ks->syms[ks->nr - 1].addr)
			ks->syms[ks->nr++] = ks->syms[i];
	return ks;

out_free:
	kallsyms__free(ks);
	return NULL;
}

int kallsyms__find(const struct kallsyms *ks, __u64 addr, __u64 *start, __u64 *size,
		   const char **name, const char **module)
{
	size_t lo = addr_rank(ks->syms, ks->nr, sizeof(*ks->syms), addr);
	const struct kallsym *k;

	if (!lo)
		return -ENOENT;
	k = &ks->syms[lo - 1];
	if (start)
		*start = k->addr;
	if (size)
		*size = lo < ks->nr ? k[1].addr - k->addr : 0;
	if (name)
		*name = k->name;
	if (module)
		*module = k->module;
	return 0;
}

void kallsyms__free(struct kallsyms *ks)
{
	int err = errno; /* kallsyms__load() fails through here */

	if (!ks)
		return;
	free(ks->syms);
	free(ks->buf);
	free(ks);
	errno = err;
}

/* --- /proc/PID/maps ------------------------------------------------- */

/* Is the perms field (after the first blank) of a maps line executable? */
static bool maps_line_exec(const char *line, size_t len)
{
	const char *p = memchr(line, ' ', len), *end = line + len, *perms;

	if (!p || !skip_blanks(&p, end))
		return false;
	perms = p;
	return skip_word(&p, end) && memchr(perms, 'x', p - perms);
}

int proc_maps_read(__u32 pid, char *buf, size_t size)
{
	char path[32], *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	int err = 0;
	FILE *f;

	if (!size)
		return -EINVAL;
	if (size > INT_MAX)
		size = INT_MAX;
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (!maps_line_exec(line, len))
			continue;
		if ((size_t)len > size - 1 - n)
			break;
		memcpy(buf + n, line, len);
		n += len;
	}
	if (len < 0 && ferror(f))
		err = errno ? -errno : -EIO;
	free(line);
	fclose(f);
	buf[n] = 0;
	return err ? err : (int)n;
}

/* --- report time ---------------------------------------------------- */

struct ksym {
	__u64 addr, size;
	__u64 seq; /* order of adding: the first name of an address wins */
	char *name;
};

/* A file mappings name, opened at its first lookup. */
struct elf_file {
	struct elf_file *next; /* with the same path hash */
	bool tried;	       /* opened once, whatever came of it */
	struct elf_syms syms;
	char path[];
};

struct mapping {
	__u64 start, end, offset;
	struct elf_file *file; /* NULL: anonymous, [vdso], not a usable path */
};

struct pid_maps {
	size_t nr;
	struct mapping m[]; /* sorted by start */
};

struct symbolizer {
	struct ksym *ksyms;
	size_t nr_ksyms, cap_ksyms;
	__u64 ksym_seq;
	bool ksyms_sorted;
	struct u64map pids;  /* pid + 1 -> struct pid_maps */
	size_t nr_maps;	     /* of all pids */
	struct u64map files; /* path hash -> struct elf_file chain */
	size_t nr_files;
};

struct symbolizer *symbolizer__new(void)
{
	return calloc(1, sizeof(struct symbolizer));
}

int symbolizer__add_ksym(struct symbolizer *s, __u64 addr, __u64 size, const char *name,
			 size_t name_len, const char *module, size_t mod_len)
{
	struct ksym *k;
	char *copy;

	/* frames name the function alone, as perf's folded stacks do */
	(void)module;
	(void)mod_len;
	if (!name)
		return -EINVAL;
	name_len = strnlen(name, name_len < KSYM_NAME_MAX ? name_len : KSYM_NAME_MAX);
	if (!name_len)
		return -EINVAL;
	if (s->nr_ksyms == s->cap_ksyms) {
		size_t cap = s->cap_ksyms ? s->cap_ksyms * 2 : 256;

		if (s->nr_ksyms >= KSYMS_MAX)
			return -ENOSPC;
		k = realloc(s->ksyms, cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		s->ksyms = k;
		s->cap_ksyms = cap;
	}
	copy = strndup(name, name_len);
	if (!copy)
		return -ENOMEM;
	s->ksyms[s->nr_ksyms++] = (struct ksym){addr, size, s->ksym_seq++, copy};
	s->ksyms_sorted = false;
	return 0;
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts the ksyms added since the last lookup in, keeping the first name of
 * each address, so names already handed out stay valid. */
static void ksyms_sort(struct symbolizer *s)
{
	size_t keep = 0;

	s->ksyms_sorted = true;
	if (!s->nr_ksyms)
		return;
	qsort(s->ksyms, s->nr_ksyms, sizeof(*s->ksyms), ksym_cmp);
	for (size_t i = 0; i < s->nr_ksyms; i++) {
		if (keep && s->ksyms[i].addr == s->ksyms[keep - 1].addr)
			free(s->ksyms[i].name);
		else
			s->ksyms[keep++] = s->ksyms[i];
	}
	s->nr_ksyms = keep;
}

const char *symbolizer__kernel(struct symbolizer *s, __u64 addr)
{
	const struct ksym *k;
	size_t lo;

	if (!s->ksyms_sorted)
		ksyms_sort(s);
	lo = addr_rank(s->ksyms, s->nr_ksyms, sizeof(*s->ksyms), addr);
	if (!lo)
		return NULL;
	k = &s->ksyms[lo - 1];
	return !k->size || addr - k->addr < k->size ? k->name : NULL;
}

/* Never 0, which u64map refuses. */
static __u64 path_hash(const char *path, size_t len)
{
	__u64 h = fnv1a(path, len);

	return h ? h : 1;
}

/*
 * The file a mapping's path names, added to the cache unopened; NULL for
 * none: anonymous or pseudo ("[vdso]"), relative (whose cwd?), too long,
 * or past FILES_MAX. *err is -ENOMEM when that is why.
 */
static struct elf_file *file_get(struct symbolizer *s, const char *path, size_t len, int *err)
{
	static const char deleted[] = " (deleted)";
	const size_t dlen = sizeof(deleted) - 1;
	struct elf_file *head, *f;
	__u64 h;

	*err = 0;
	/* replaced or removed since: the file now at the path may still be it */
	if (len > dlen && !memcmp(path + len - dlen, deleted, dlen))
		len -= dlen;
	if (!len || path[0] != '/' || len >= PATH_MAX || memchr(path, 0, len))
		return NULL;
	h = path_hash(path, len);
	head = u64map_get(&s->files, h);
	for (f = head; f; f = f->next)
		if (!strncmp(f->path, path, len) && !f->path[len])
			return f;
	if (s->nr_files >= FILES_MAX)
		return NULL;
	f = calloc(1, sizeof(*f) + len + 1);
	if (!f)
		goto out_nomem;
	memcpy(f->path, path, len);
	f->next = head;
	if (u64map_put(&s->files, h, f)) {
		free(f);
		goto out_nomem;
	}
	s->nr_files++;
	return f;

out_nomem:
	*err = -ENOMEM;
	return NULL;
}

/* "start-end perms offset dev inode [path]" of an executable mapping, the
 * line being [p, end); the path, possibly empty, is the rest of the line. */
static bool maps_line(const char *p, const char *end, struct mapping *m, const char **path)
{
	const char *perms;

	if (!parse_hex(&p, end, &m->start) || p == end || *p++ != '-' ||
	    !parse_hex(&p, end, &m->end) || m->start >= m->end || !skip_blanks(&p, end))
		return false;
	perms = p;
	if (!skip_word(&p, end) || !memchr(perms, 'x', p - perms) || !skip_blanks(&p, end))
		return false;
	if (!parse_hex(&p, end, &m->offset) || !skip_blanks(&p, end) || !skip_word(&p, end) ||
	    !skip_blanks(&p, end))
		return false;
	perms = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == perms || (p < end && !is_blank(*p)))
		return false;
	skip_blanks(&p, end);
	*path = p;
	return true;
}

static int mapping_cmp(const void *a, const void *b)
{
	const struct mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int symbolizer__add_maps(struct symbolizer *s, __u32 pid, const char *text, size_t len)
{
	struct pid_maps *pm, *old = u64map_get(&s->pids, (__u64)pid + 1), *npm;
	size_t cap = 16, others = s->nr_maps - (old ? old->nr : 0);
	/* no arithmetic on NULL, even + 0 */
	const char *p = text, *end = len ? text + len : text, *eol;
	int err;

	if (!old && s->pids.nr >= PIDS_MAX)
		return -ENOSPC;
	pm = malloc(sizeof(*pm) + cap * sizeof(pm->m[0]));
	if (!pm)
		return -ENOMEM;
	pm->nr = 0;
	for (; p < end && pm->nr < PID_MAPS_MAX && others + pm->nr < MAPS_MAX; p = eol + 1) {
		struct mapping m;
		const char *path;

		eol = memchr(p, '\n', end - p);
		if (!eol)
			eol = end;
		if (!maps_line(p, eol, &m, &path))
			continue;
		m.file = file_get(s, path, eol - path, &err);
		if (err)
			goto out_free;
		if (pm->nr == cap) {
			err = -ENOMEM;
			cap *= 2;
			npm = realloc(pm, sizeof(*pm) + cap * sizeof(pm->m[0]));
			if (!npm)
				goto out_free;
			pm = npm;
		}
		pm->m[pm->nr++] = m;
	}
	qsort(pm->m, pm->nr, sizeof(pm->m[0]), mapping_cmp);
	err = u64map_put(&s->pids, (__u64)pid + 1, pm);
	if (err)
		goto out_free;
	s->nr_maps = others + pm->nr;
	free(old);
	return 0;

out_free:
	free(pm);
	return err;
}

const char *symbolizer__user(struct symbolizer *s, __u32 pid, __u64 addr)
{
	const struct pid_maps *pm = u64map_get(&s->pids, (__u64)pid + 1);
	const struct mapping *m;
	size_t lo;

	if (!pm)
		return NULL;
	lo = addr_rank(pm->m, pm->nr, sizeof(*pm->m), addr);
	if (!lo)
		return NULL;
	m = &pm->m[lo - 1];
	if (addr >= m->end || !m->file)
		return NULL;
	if (!m->file->tried) {
		m->file->tried = true;
		elf_syms__load(&m->file->syms, m->file->path);
	}
	return elf_syms__find(&m->file->syms, addr - m->start + m->offset);
}

void symbolizer__free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_ksyms; i++)
		free(s->ksyms[i].name);
	free(s->ksyms);
	for (size_t i = 0; i < s->pids.nr_slots; i++)
		if (s->pids.slots[i].key)
			free(s->pids.slots[i].val);
	u64map_free(&s->pids);
	for (size_t i = 0; i < s->files.nr_slots; i++) {
		struct elf_file *f = s->files.slots[i].key ? s->files.slots[i].val : NULL;

		while (f) {
			struct elf_file *next = f->next;

			elf_syms__free(&f->syms);
			free(f);
			f = next;
		}
	}
	u64map_free(&s->files);
	free(s);
}
