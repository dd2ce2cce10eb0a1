// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The flame graph as SVG: see flame_svg.h.
 *
 * Everything a reader without script sees (an <img>, a viewer) is written
 * here: rectangles, labels, and a <title> tooltip per frame. The script only
 * moves them. Each frame is a <g class="f"> carrying its start (from the
 * root's), weight and depth as integers in data attributes, so a zoom lays
 * out again from exact weights rather than from rounded pixels, and its
 * <title> holds the name on the first line.
 *
 * Names come from trace files and may hold any byte: each is made valid
 * UTF-8 without control characters (the rest become U+FFFD) before it is
 * escaped, so the XML is well-formed whatever the input.
 *
 * The output depends on the input only: shades come from a hash of the
 * name, numbers are printed with fixed precision, nothing is random or
 * timed, so the same graph gives the same bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flame_svg.h"

#define DEFAULT_WIDTH 1200
#define MIN_WIDTH     200
#define PAD_X	      10u
#define ROW_PX	      16u /* one depth: a 15 px frame and a 1 px gap */
#define FRAME_PX      15u
#define MIN_FRAME_PX  0.1 /* narrower frames are left out, with their subtree */
#define CHAR_PX	      7.2 /* advance of a 12 px monospace glyph (0.6 em) */
#define LABEL_PAD     3	  /* between a frame's left or right edge and its label */
#define LABEL_MIN     3	  /* characters, else no label */
#define SHADE_MAX     200 /* a diff color's strength at 100% change, of 255 */

/* Each layer's hue family: a frame's shade lies between lo and hi, picked
 * by a hash of its name, so neighbours differ and reruns agree. */
static const struct {
	const char *name;
	__u8 lo[3], hi[3];
} layers[FLAME_LAYERS] = {
	[FLAME_ROOT] = {"root", {200, 200, 200}, {200, 200, 200}},
	[FLAME_USER] = {"user", {60, 190, 160}, {130, 230, 210}},	 /* aqua-green */
	[FLAME_SYSCALL] = {"syscall", {220, 200, 40}, {250, 235, 110}},	 /* yellow */
	[FLAME_TCP] = {"tcp", {240, 130, 30}, {255, 185, 90}},		 /* orange */
	[FLAME_IP] = {"ip", {215, 70, 70}, {250, 125, 110}},		 /* red */
	[FLAME_QDISC] = {"qdisc", {160, 105, 205}, {200, 150, 240}},	 /* purple */
	[FLAME_DRIVER] = {"driver", {80, 130, 225}, {135, 180, 255}},	 /* blue */
	[FLAME_KERNEL] = {"kernel", {175, 150, 120}, {210, 185, 155}},	 /* gray-brown */
	[FLAME_MISSING] = {"missing", {220, 220, 220}, {235, 235, 235}}, /* light gray */
};

struct svg {
	FILE *out;
	const struct flame_svg_opts *o;
	const struct flame_node *nodes;
	size_t n;
	char *unit; /* escaped */
	bool ns;
	unsigned int width;
	double plot_w;
	double px;  /* pixels per weight unit */
	__u32 rows; /* of frames drawn */
	__u32 top;  /* y of the top row */
	char *name; /* the last name cleaned, and its length in bytes and characters */
	size_t len, chars, cap;
};

static const char style[] =
	"text { font-family: monospace; font-size: 12px; fill: #000; }\n"
	"#title { font-family: sans-serif; font-size: 17px; text-anchor: middle; }\n"
	"#subtitle { font-family: sans-serif; fill: #555; text-anchor: middle; }\n"
	".btn { cursor: pointer; fill: #1a3f8f; }\n"
	".btn:hover { text-decoration: underline; }\n"
	".off { opacity: 0.35; }\n"
	".end { text-anchor: end; }\n"
	".f { cursor: pointer; }\n"
	".f:hover rect { stroke: #000; stroke-width: 0.5; }\n"
	".f text { pointer-events: none; }\n"
	".h { display: none; }\n"
	".a { opacity: 0.55; }\n"
	".m rect { fill: #e600e6; }\n";

/* The script. It finds everything by the ids and data attributes that
 * flame_svg_write() writes, and must not hold "]]>" (it sits in CDATA). */
static const char script[] =
	"/*\n"
	" * tsend flame graph: hover, click to zoom, search. A hook for tests:\n"
	" * window.tsendFlame = {\n"
	" *   zoom(name or index)       -> true if found; that frame spans the width\n"
	" *                                (a name: its first frame; an index: the\n"
	" *                                frame's place in frames())\n"
	" *   reset()                   -> the whole graph again\n"
	" *   search(regex or string)   -> percent of the total weight in matching\n"
	" *                                frames (nested ones counted once); they\n"
	" *                                turn magenta\n"
	" *   clearSearch()\n"
	" *   frames()  -> [{index, name, depth, x, width, visible, dimmed, matched}]\n"
	" *   details() -> the details line's text\n"
	" * }\n"
	" */\n"
	"(function () {\n"
	"\t'use strict';\n"
	"\tconst me = document.currentScript;\n"
	"\tconst svg = (me && me.ownerSVGElement) || document.documentElement;\n"
	"\tconst $ = (id) => svg.querySelector('#' + id);\n"
	"\tconst box = $('frames'), info = $('details'), matched = $('matched');\n"
	"\tconst unzoom = $('unzoom'), clear = $('clear');\n"
	"\tconst X0 = +box.getAttribute('data-x'), W = +box.getAttribute('data-w');\n"
	"\tconst CW = +box.getAttribute('data-c');\n"
	"\tconst NS = 'http://www.w3.org/2000/svg';\n"
	"\tconst fr = [];\n"
	"\tlet re = null;\n"
	"\n"
	"\tfor (const g of box.children) {\n"
	"\t\tconst f = {\n"
	"\t\t\tg: g, r: g.querySelector('rect'), t: g.querySelector('text'),\n"
	"\t\t\ts: +g.getAttribute('data-s'), v: +g.getAttribute('data-v'),\n"
	"\t\t\td: +g.getAttribute('data-d'), i: fr.length, name: null,\n"
	"\t\t\tx: 0, w: 0, hid: false, anc: false, m: false,\n"
	"\t\t};\n"
	"\t\tf.x = +f.r.getAttribute('x');\n"
	"\t\tf.w = +f.r.getAttribute('width');\n"
	"\t\tg.tsendIndex = f.i;\n"
	"\t\tfr.push(f);\n"
	"\t}\n"
	"\tconst root = fr[0], total = root ? root.v : 0;\n"
	"\n"
	"\t/* The title holds the name, a newline, then layer and weights. */\n"
	"\tfunction text(f) {\n"
	"\t\treturn f.g.firstElementChild.textContent;\n"
	"\t}\n"
	"\tfunction nameOf(f) {\n"
	"\t\tif (f.name === null)\n"
	"\t\t\tf.name = text(f).split('\\n')[0];\n"
	"\t\treturn f.name;\n"
	"\t}\n"
	"\tfunction describe(f) {\n"
	"\t\tconst t = text(f), nl = t.indexOf('\\n');\n"
	"\t\treturn t.slice(0, nl) + ' (' + t.slice(nl + 1) + ')';\n"
	"\t}\n"
	"\t/* The writer's rule: as many whole characters as fit 3 px in from\n"
	"\t * either edge, the last two replaced by \"..\" when cut, none under 3. */\n"
	"\tfunction label(f) {\n"
	"\t\tconst n = Math.floor((f.w - 6) / CW), s = nameOf(f);\n"
	"\t\tif (n < 3)\n"
	"\t\t\treturn '';\n"
	"\t\tif (s.length <= n)\n"
	"\t\t\treturn s;\n"
	"\t\tconst cs = Array.from(s);\n"
	"\t\treturn cs.length <= n ? s : cs.slice(0, n - 2).join('') + '..';\n"
	"\t}\n"
	"\tfunction paint(f) {\n"
	"\t\tf.g.setAttribute('class', 'f' + (f.hid ? ' h' : '') + (f.anc ? ' a' : '') +\n"
	"\t\t\t\t (f.m ? ' m' : ''));\n"
	"\t}\n"
	"\tfunction place(f, x, w) {\n"
	"\t\tf.x = x;\n"
	"\t\tf.w = w;\n"
	"\t\tf.r.setAttribute('x', x.toFixed(1));\n"
	"\t\tf.r.setAttribute('width', w.toFixed(1));\n"
	"\t\tconst l = label(f);\n"
	"\t\tif (l && !f.t) {\n"
	"\t\t\tf.t = document.createElementNS(NS, 'text');\n"
	"\t\t\tf.t.setAttribute('y', +f.r.getAttribute('y') + 12);\n"
	"\t\t\tf.g.appendChild(f.t);\n"
	"\t\t}\n"
	"\t\tif (f.t) {\n"
	"\t\t\tf.t.setAttribute('x', (x + 3).toFixed(1));\n"
	"\t\t\tf.t.textContent = l;\n"
	"\t\t}\n"
	"\t}\n"
	"\t/* z spans the width; its ancestors too, dimmed; what is not within\n"
	"\t * z (or above it) hides. */\n"
	"\tfunction layout(z) {\n"
	"\t\tconst s0 = z.s, e0 = z.s + z.v, k = z.v > 0 ? W / z.v : 0;\n"
	"\t\tfor (const f of fr) {\n"
	"\t\t\tconst above = f.d < z.d;\n"
	"\t\t\tconst show = above ? f.s <= s0 && f.s + f.v >= e0\n"
	"\t\t\t\t\t   : f.s >= s0 && f.s + f.v <= e0;\n"
	"\t\t\tf.hid = !show;\n"
	"\t\t\tf.anc = above && show && z !== root;\n"
	"\t\t\tif (show && (above || f === z))\n"
	"\t\t\t\tplace(f, X0, W);\n"
	"\t\t\telse if (show)\n"
	"\t\t\t\tplace(f, X0 + (f.s - s0) * k, f.v * k);\n"
	"\t\t\tpaint(f);\n"
	"\t\t}\n"
	"\t\tunzoom.classList.toggle('off', z === root);\n"
	"\t}\n"
	"\tfunction find(what) {\n"
	"\t\tif (typeof what === 'number')\n"
	"\t\t\treturn fr[what] || null;\n"
	"\t\treturn fr.find((f) => nameOf(f) === what) || null;\n"
	"\t}\n"
	"\tfunction search(pat) {\n"
	"\t\tconst r = new RegExp(pat instanceof RegExp ? pat.source : pat,\n"
	"\t\t\t\t     pat instanceof RegExp ? pat.flags.replace(/[gy]/g, '') : '');\n"
	"\t\tlet sum = 0, end = -1;\n"
	"\t\t/* Pre-order: starts never decrease, and a match inside the last\n"
	"\t\t * counted one ends within it. */\n"
	"\t\tfor (const f of fr) {\n"
	"\t\t\tf.m = r.test(nameOf(f));\n"
	"\t\t\tif (f.m && f.s + f.v > end) {\n"
	"\t\t\t\tsum += f.s + f.v - Math.max(f.s, end);\n"
	"\t\t\t\tend = f.s + f.v;\n"
	"\t\t\t}\n"
	"\t\t\tpaint(f);\n"
	"\t\t}\n"
	"\t\tre = r;\n"
	"\t\tconst pct = total > 0 ? (100 * sum) / total : 0;\n"
	"\t\tmatched.textContent = 'Matched: ' + pct.toFixed(2) + '%';\n"
	"\t\tclear.classList.remove('h');\n"
	"\t\treturn pct;\n"
	"\t}\n"
	"\tfunction clearSearch() {\n"
	"\t\tfor (const f of fr) {\n"
	"\t\t\tf.m = false;\n"
	"\t\t\tpaint(f);\n"
	"\t\t}\n"
	"\t\tre = null;\n"
	"\t\tmatched.textContent = ' ';\n"
	"\t\tclear.classList.add('h');\n"
	"\t}\n"
	"\tfunction ask() {\n"
	"\t\tconst p = window.prompt('Search (regular expression)', re ? re.source : '');\n"
	"\t\tif (p === null)\n"
	"\t\t\treturn;\n"
	"\t\tif (p === '')\n"
	"\t\t\treturn clearSearch();\n"
	"\t\ttry {\n"
	"\t\t\tsearch(p);\n"
	"\t\t} catch (e) {\n"
	"\t\t\tmatched.textContent = 'Bad regular expression';\n"
	"\t\t}\n"
	"\t}\n"
	"\tfunction hit(e) {\n"
	"\t\tconst g = e.target.closest && e.target.closest('.f');\n"
	"\t\treturn g && box.contains(g) ? fr[g.tsendIndex] : null;\n"
	"\t}\n"
	"\n"
	"\tbox.addEventListener('click', (e) => {\n"
	"\t\tconst f = hit(e);\n"
	"\t\tif (f)\n"
	"\t\t\tlayout(f);\n"
	"\t});\n"
	"\tbox.addEventListener('mouseover', (e) => {\n"
	"\t\tconst f = hit(e);\n"
	"\t\tif (f)\n"
	"\t\t\tinfo.textContent = describe(f);\n"
	"\t});\n"
	"\tbox.addEventListener('mouseout', (e) => {\n"
	"\t\tif (hit(e))\n"
	"\t\t\tinfo.textContent = ' ';\n"
	"\t});\n"
	"\tunzoom.addEventListener('click', () => root && layout(root));\n"
	"\t$('search').addEventListener('click', ask);\n"
	"\tclear.addEventListener('click', clearSearch);\n"
	"\twindow.addEventListener('keydown', (e) => {\n"
	"\t\tif ((e.ctrlKey || e.metaKey) && (e.key === 'f' || e.key === 'F')) {\n"
	"\t\t\te.preventDefault();\n"
	"\t\t\task();\n"
	"\t\t} else if (e.key === 'Escape') {\n"
	"\t\t\tclearSearch();\n"
	"\t\t}\n"
	"\t});\n"
	"\n"
	"\twindow.tsendFlame = {\n"
	"\t\tzoom(what) {\n"
	"\t\t\tconst f = find(what);\n"
	"\t\t\tif (f)\n"
	"\t\t\t\tlayout(f);\n"
	"\t\t\treturn !!f;\n"
	"\t\t},\n"
	"\t\treset() {\n"
	"\t\t\tif (root)\n"
	"\t\t\t\tlayout(root);\n"
	"\t\t},\n"
	"\t\tsearch: search,\n"
	"\t\tclearSearch: clearSearch,\n"
	"\t\tframes() {\n"
	"\t\t\treturn fr.map((f) => ({\n"
	"\t\t\t\tindex: f.i, name: nameOf(f), depth: f.d, x: f.x, width: f.w,\n"
	"\t\t\t\tvisible: !f.hid, dimmed: f.anc, matched: f.m,\n"
	"\t\t\t}));\n"
	"\t\t},\n"
	"\t\tdetails() {\n"
	"\t\t\treturn info.textContent;\n"
	"\t\t},\n"
	"\t};\n"
	"})();\n";

const char *flame_layer_name(enum flame_layer layer)
{
	return (unsigned int)layer < FLAME_LAYERS ? layers[layer].name : "?";
}

static unsigned int layer_of(const struct flame_node *nd)
{
	return nd->layer < FLAME_LAYERS ? nd->layer : FLAME_MISSING;
}

/*
 * The code point at s (n > 0 bytes left) and its length in bytes. A byte
 * that does not start a well-formed sequence (RFC 3629: no overlong form,
 * no surrogate, nothing past U+10FFFF) is one U+FFFD.
 */
static size_t utf8_next(const unsigned char *s, size_t n, __u32 *cp)
{
	__u32 c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if ((c & 0xf0) == 0xe0)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		goto bad;
	if (n < len)
		goto bad;
	c &= 0x7f >> len; /* the lead byte's payload bits */
	min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*cp = c;
	return len;
bad:
	*cp = 0xfffd;
	return 1;
}

/* s into w->name as valid UTF-8 holding only characters XML 1.0 allows,
 * and no control characters (C0, DEL, C1): the others become U+FFFD. */
static int clean(struct svg *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i, k;
	__u32 cp;

	if (3 * n + 1 > w->cap) {
		size_t cap = 3 * n + 1 > 2 * w->cap ? 3 * n + 1 : 2 * w->cap;
		char *name = realloc(w->name, cap);

		if (!name)
			return -ENOMEM;
		w->name = name;
		w->cap = cap;
	}
	w->len = w->chars = 0;
	for (i = 0; i < n; i += k) {
		k = utf8_next(p + i, n - i, &cp);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff)
			cp = 0xfffd;
		if (cp == 0xfffd) {
			memcpy(w->name + w->len, "\xef\xbf\xbd", 3);
			w->len += 3;
		} else {
			memcpy(w->name + w->len, p + i, k);
			w->len += k;
		}
		w->chars++;
	}
	w->name[w->len] = '\0';
	return 0;
}

static void put_esc(FILE *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		default:
			putc(s[i], out);
		}
	}
}

/* Any string as XML text; w->name keeps it cleaned. */
static int put_text(struct svg *w, const char *s)
{
	int err = clean(w, s);

	if (!err)
		put_esc(w->out, w->name, w->len);
	return err;
}

/* The unit, cleaned and escaped once, for every frame's details. */
static int unit_dup(struct svg *w, const char *unit)
{
	size_t size;
	FILE *m;
	int err;

	m = open_memstream(&w->unit, &size);
	if (!m)
		return -errno;
	err = clean(w, unit);
	if (!err)
		put_esc(m, w->name, w->len);
	if (fclose(m) && !err)
		err = -ENOMEM;
	return err;
}

/* A weight as the details show it: a time when the unit is "ns", else a
 * count and the unit. */
static void put_weight(const struct svg *w, __u64 v)
{
	static const char *const units[] = {"ns", "µs", "ms", "s"};
	double x = v;
	unsigned int u = 0;

	if (!w->ns) {
		fprintf(w->out, "%llu %s", (unsigned long long)v, w->unit);
		return;
	}
	/* 999.995 and up would print as 1000.00 */
	while (u < 3 && x >= 999.995) {
		x /= 1000;
		u++;
	}
	if (u)
		fprintf(w->out, "%.2f %s", x, units[u]);
	else
		fprintf(w->out, "%llu ns", (unsigned long long)v);
}

static double share(const struct svg *w, __u64 v)
{
	return w->nodes[0].value ? 100.0 * v / w->nodes[0].value : 0;
}

/* The title's line under the name, which the script shows on hover too:
 * "tcp, 1.23 ms, 4.56% of all", or in a differential graph
 * "tcp, B 1.50 ms (4.56% of all), A 1.20 ms, +300.00 µs (+25.00%)". */
static void put_details(struct svg *w, const struct flame_node *nd)
{
	__u64 a = nd->value_a, b = nd->value, d = b > a ? b - a : a - b;
	const char *sign = b > a ? "+" : b < a ? "-" : "";

	fprintf(w->out, w->o->diff ? "%s, B " : "%s, ", flame_layer_name(layer_of(nd)));
	put_weight(w, b);
	if (!w->o->diff) {
		fprintf(w->out, ", %.2f%% of all", share(w, b));
		return;
	}
	fprintf(w->out, " (%.2f%% of all), A ", share(w, b));
	put_weight(w, a);
	fprintf(w->out, ", %s", sign);
	put_weight(w, d);
	if (a)
		fprintf(w->out, " (%s%.2f%%)", sign, 100.0 * d / a);
	else if (b)
		fputs(" (new)", w->out);
}

/* FNV-1a */
static __u32 hash(const char *s)
{
	__u32 h = 2166136261u;

	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * In a differential graph the color tells the frame's change relative to
 * its own weight, |B - A| / max(A, B): white-ish unchanged, full red for a
 * frame new in B, full blue for one that lost all its weight (which leaves
 * it no width: the loss shows in its ancestors' blue). Scaling by the
 * largest change in the graph instead would let the root, which sums every
 * change, or one wide frame wash out all the others; this way the color
 * says how much a frame changed, and its width how much that weighs.
 */
static __u32 diff_rgb(const struct flame_node *nd)
{
	__u64 a = nd->value_a, b = nd->value, d = b > a ? b - a : a - b, m = b > a ? b : a;
	__u32 k = m ? (__u32)((double)d / m * SHADE_MAX + 0.5) : 0;
	__u32 strong = 240 + k * 15 / SHADE_MAX, weak = 240 - k;

	if (b > a)
		return strong << 16 | weak << 8 | weak;
	if (b < a)
		return weak << 16 | weak << 8 | strong;
	return 240 << 16 | 240 << 8 | 240;
}

static __u32 layer_rgb(unsigned int layer, unsigned int shade)
{
	__u32 rgb = 0;
	int c;

	for (c = 0; c < 3; c++) {
		int lo = layers[layer].lo[c], hi = layers[layer].hi[c];

		rgb = rgb << 8 | (__u32)(lo + (hi - lo) * (int)shade / 255);
	}
	return rgb;
}

static __u32 frame_rgb(const struct svg *w, const struct flame_node *nd)
{
	__u32 h;

	if (w->o->diff)
		return diff_rgb(nd);
	h = hash(nd->name);
	return layer_rgb(layer_of(nd), (h ^ h >> 16) & 0xff);
}

/* Checks the pre-order the header promises, so that the layout below and
 * the script's (a frame's ancestors are the frames above it that hold its
 * span) hold. */
static int check_nodes(const struct flame_node *nodes, size_t n)
{
	size_t i;

	if (!nodes || !n || nodes[0].depth)
		return -EINVAL;
	for (i = 1; i < n; i++) {
		if (!nodes[i].depth || nodes[i].depth > nodes[i - 1].depth + 1 ||
		    nodes[i].start < nodes[0].start)
			return -EINVAL;
	}
	return 0;
}

static bool drawn(const struct svg *w, size_t i)
{
	return !i || w->nodes[i].value * w->px >= MIN_FRAME_PX;
}

/* The next frame drawn after i: a narrow one is skipped with its subtree,
 * which is no wider, so each node is looked at once or twice. */
static size_t next_drawn(const struct svg *w, size_t i)
{
	size_t j = i + 1, k;

	while (j < w->n && !drawn(w, j)) {
		for (k = j + 1; k < w->n && w->nodes[k].depth > w->nodes[j].depth; k++)
			;
		j = k;
	}
	return j;
}

/* As many whole characters as fit LABEL_PAD px in from either edge, the
 * last two replaced by ".." when cut; none under LABEL_MIN. The script's
 * label() does the same after a zoom. */
static void put_label(struct svg *w, double x, __u32 y, double fw)
{
	double fit = (fw - 2 * LABEL_PAD) / CHAR_PX;
	size_t keep, len;

	if (fit < LABEL_MIN)
		return;
	keep = (size_t)fit;
	if (w->chars > keep) {
		size_t c = 0;

		/* bytes of the first keep - 2 characters */
		for (len = 0; len < w->len; len++) {
			if (((unsigned char)w->name[len] & 0xc0) != 0x80 && c++ == keep - 2)
				break;
		}
	} else {
		len = w->len;
	}
	fprintf(w->out, "<text x=\"%.1f\" y=\"%u\">", x + LABEL_PAD, y + 12);
	put_esc(w->out, w->name, len);
	fputs(len < w->len ? "..</text>" : "</text>", w->out);
}

static int put_frame(struct svg *w, size_t i)
{
	const struct flame_node *nd = &w->nodes[i], *root = w->nodes;
	double x = PAD_X + (double)(nd->start - root->start) * w->px, fw = nd->value * w->px;
	__u32 y = w->top + (w->rows - 1 - nd->depth) * ROW_PX;
	int err;

	if (!i) {
		/* all of it, even when the total is 0 */
		x = PAD_X;
		fw = w->plot_w;
	}
	fprintf(w->out, "<g class=\"f\" data-s=\"%llu\" data-v=\"%llu\" data-d=\"%u\"><title>",
		(unsigned long long)(nd->start - root->start), (unsigned long long)nd->value,
		nd->depth);
	err = put_text(w, nd->name);
	if (err)
		return err;
	putc('\n', w->out);
	put_details(w, nd);
	fprintf(w->out,
		"</title><rect x=\"%.1f\" y=\"%u\" width=\"%.1f\" height=\"%u\" fill=\"#%06x\"/>",
		x, y, fw, FRAME_PX, frame_rgb(w, nd));
	put_label(w, x, y, fw);
	fputs("</g>\n", w->out);
	return 0;
}

static void put_swatch(struct svg *w, double *x, __u32 y, __u32 rgb, const char *what)
{
	fprintf(w->out,
		"<rect x=\"%.1f\" y=\"%u\" width=\"10\" height=\"10\" fill=\"#%06x\"/>"
		"<text x=\"%.1f\" y=\"%u\">%s</text>\n",
		*x, y - 10, rgb, *x + 14, y, what);
	*x += 14 + strlen(what) * CHAR_PX + 16;
}

static void put_legend(struct svg *w, __u32 y)
{
	const struct flame_node grew = {.value = 1}, shrank = {.value_a = 1}, same = {0};
	double x = PAD_X;
	unsigned int l;

	if (w->o->diff) {
		put_swatch(w, &x, y, diff_rgb(&grew), "grew");
		put_swatch(w, &x, y, diff_rgb(&shrank), "shrank");
		put_swatch(w, &x, y, diff_rgb(&same), "unchanged");
		fprintf(w->out,
			"<text x=\"%.1f\" y=\"%u\">from A to B: red = grew, blue = shrank; "
			"width = B</text>\n",
			x, y);
		return;
	}
	for (l = FLAME_USER; l < FLAME_LAYERS; l++)
		put_swatch(w, &x, y, layer_rgb(l, 128), layers[l].name);
}

static int put_head(struct svg *w, __u32 legend_y, __u32 height)
{
	const struct flame_svg_opts *o = w->o;
	int err;

	fprintf(w->out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
		"height=\"%u\" viewBox=\"0 0 %u %u\">\n"
		"<style type=\"text/css\"><![CDATA[\n%s]]></style>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
		"<text id=\"title\" x=\"%u\" y=\"24\">",
		w->width, height, w->width, height, style, w->width / 2);
	err = put_text(w, o->title ? o->title : "Flame graph");
	if (err)
		return err;
	fputs("</text>\n", w->out);
	if (o->subtitle) {
		fprintf(w->out, "<text id=\"subtitle\" x=\"%u\" y=\"42\">", w->width / 2);
		err = put_text(w, o->subtitle);
		if (err)
			return err;
		fputs("</text>\n", w->out);
	}
	fprintf(w->out,
		"<text id=\"unzoom\" class=\"btn off\" x=\"%u\" y=\"24\">Reset zoom</text>\n"
		"<text id=\"search\" class=\"btn end\" x=\"%u\" y=\"24\">Search</text>\n"
		"<text id=\"clear\" class=\"btn end h\" x=\"%u\" y=\"24\">Clear search</text>\n",
		PAD_X, w->width - PAD_X, w->width - PAD_X - 72);
	put_legend(w, legend_y);
	return 0;
}

int flame_svg_write(FILE *out, const struct flame_node *nodes, size_t n,
		    const struct flame_svg_opts *o)
{
	static const struct flame_svg_opts defaults;
	struct svg w = {.out = out, .o = o ? o : &defaults, .nodes = nodes, .n = n};
	__u32 legend_y, bottom;
	size_t i;
	int err;

	err = check_nodes(nodes, n);
	if (err || !out)
		return err ? err : -EINVAL;
	w.width = w.o->width ? w.o->width : DEFAULT_WIDTH;
	if (w.width < MIN_WIDTH)
		w.width = MIN_WIDTH;
	w.plot_w = w.width - 2 * PAD_X;
	w.px = nodes[0].value ? w.plot_w / nodes[0].value : 0;
	w.ns = w.o->unit && !strcmp(w.o->unit, "ns");
	errno = 0;
	err = unit_dup(&w, w.o->unit ? w.o->unit : "samples");
	if (err)
		goto out_free;

	for (i = 0; i < n; i = next_drawn(&w, i)) {
		if (nodes[i].depth + 1 > w.rows)
			w.rows = nodes[i].depth + 1;
	}
	legend_y = w.o->subtitle ? 62 : 44;
	w.top = legend_y + 10;
	bottom = w.top + w.rows * ROW_PX + 18;
	err = put_head(&w, legend_y, bottom + 10);
	if (err)
		goto out_free;

	fprintf(out, "<g id=\"frames\" data-x=\"%u\" data-w=\"%.1f\" data-c=\"%.1f\">\n", PAD_X,
		w.plot_w, CHAR_PX);
	for (i = 0; i < n; i = next_drawn(&w, i)) {
		err = put_frame(&w, i);
		if (err)
			goto out_free;
	}
	fprintf(out,
		"</g>\n"
		"<text id=\"details\" x=\"%u\" y=\"%u\"> </text>\n"
		"<text id=\"matched\" class=\"end\" x=\"%u\" y=\"%u\"> </text>\n"
		"<script type=\"text/javascript\"><![CDATA[\n%s]]></script>\n"
		"</svg>\n",
		PAD_X, bottom, w.width - PAD_X, bottom, script);

	/* a failed write leaves its errno, and no call since clears it */
	if (fflush(out) || ferror(out))
		err = errno ? -errno : -EIO;
out_free:
	free(w.unit);
	free(w.name);
	return err;
}
