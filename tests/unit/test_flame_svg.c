// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flame_svg_write on node arrays built here: each SVG goes through python3's
 * XML parser (well-formed, valid UTF-8, every frame inside the plot, the
 * frame count expected), then its text is checked: which frames are drawn
 * and which are left out, escaping and cleaning of names, labels, weights,
 * colors, and the same bytes from the same input. The script's behaviour
 * is tests/flame/render.mjs's, in a browser.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/check.h"
#include "userspace/flame_svg.h"

/* python3 is a declared dependency (Makefile DEB_PKGS). */
static const char checker[] =
	"import sys, xml.etree.ElementTree as E\n"
	"ns = '{http://www.w3.org/2000/svg}'\n"
	"svg = E.parse(sys.argv[1]).getroot()\n"
	"assert svg.tag == ns + 'svg', svg.tag\n"
	"fr = svg.find(ns + 'g[@id=\"frames\"]')\n"
	"x0, w = float(fr.get('data-x')), float(fr.get('data-w'))\n"
	"gs = fr.findall(ns + 'g')\n"
	"assert len(gs) == int(sys.argv[2]), (len(gs), sys.argv[2])\n"
	"for g in gs:\n"
	"    r = g.find(ns + 'rect')\n"
	"    x, rw = float(r.get('x')), float(r.get('width'))\n"
	"    assert x0 <= x and x + rw <= x0 + w + 0.05, (x, rw)\n"
	"    assert g.find(ns + 'title').text.split('\\n')[1]\n"
	"    int(g.get('data-s')), int(g.get('data-v')), int(g.get('data-d'))\n"
	"assert svg.find(ns + 'script') is not None\n";

/* Well-formed, and holding `frames` frames, as python3 reads it. */
static bool parses(const char *svg, size_t len, size_t frames)
{
	char script[] = "/tmp/test_flame_svg_py.XXXXXX", file[] = "/tmp/test_flame_svg.XXXXXX";
	int fs = mkstemp(script), fd = mkstemp(file), rc = -1;

	if (fs >= 0 && fd >= 0 && write(fs, checker, strlen(checker)) == (ssize_t)strlen(checker) &&
	    write(fd, svg, len) == (ssize_t)len) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "python3 %s %s %zu", script, file, frames);
		rc = system(cmd);
	}
	if (fs >= 0)
		close(fs);
	if (fd >= 0)
		close(fd);
	unlink(script);
	unlink(file);
	return rc == 0;
}

/* The SVG in memory (NUL-terminated), or NULL with *err set. */
static char *render(const struct flame_node *nodes, size_t n, const struct flame_svg_opts *o,
		    size_t *len, int *err)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);

	if (!m)
		return NULL;
	*err = flame_svg_write(m, nodes, n, o);
	fclose(m);
	if (*err) {
		free(buf);
		return NULL;
	}
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)); hay += strlen(needle))
		n++;
	return n;
}

/* The <g> of the frame titled name, or NULL. */
static const char *frame_of(const char *svg, const char *name)
{
	char key[256];

	snprintf(key, sizeof(key), "<title>%s\n", name);
	return strstr(svg, key);
}

/* Whether the frame's <g> holds s. */
static bool in_frame(const char *frame, const char *s)
{
	const char *end = frame ? strstr(frame, "</g>") : NULL,
		   *p = frame ? strstr(frame, s) : NULL;

	return p && p < end;
}

/* A frame's rect attribute as a number, -1 if not found. */
static double attr(const char *frame, const char *name)
{
	char key[32];
	const char *rect = frame ? strstr(frame, "<rect ") : NULL, *p;

	snprintf(key, sizeof(key), " %s=\"", name);
	p = rect ? strstr(rect, key) : NULL;
	return p ? strtod(p + strlen(key), NULL) : -1;
}

/* The text of the frame's label, or "" when it has none. */
static void label_of(const char *frame, char *buf, size_t size)
{
	const char *end = frame ? strstr(frame, "</g>") : NULL, *t, *e;

	*buf = '\0';
	t = frame ? strstr(frame, "<text ") : NULL;
	if (!t || t > end)
		return;
	t = strchr(t, '>') + 1;
	e = strstr(t, "</text>");
	snprintf(buf, size, "%.*s", (int)(e - t), t);
}

/*
 * all (1180 ns, so 1 px a ns in the default 1180 px plot)
 *   main 1000: user
 *     tcp_sendmsg_locked 600: tcp
 *       ip_queue_xmit 45: ip, name cut to fit
 *       e1000_xmit_frame 0.05 px: left out, with its child
 *         never_drawn
 *   kfree_skb 180: kernel
 */
static void test_layout(void)
{
	struct flame_node n[] = {
		{"all", 0, FLAME_ROOT, 0, 1180000, 0},
		{"main", 1, FLAME_USER, 0, 1000000, 0},
		{"tcp_sendmsg_locked", 2, FLAME_TCP, 0, 600000, 0},
		{"ip_queue_xmit", 3, FLAME_IP, 0, 45000, 0},
		{"e1000_xmit_frame", 3, FLAME_DRIVER, 45000, 50, 0},
		{"never_drawn", 4, FLAME_DRIVER, 45000, 50, 0},
		{"kfree_skb", 1, FLAME_KERNEL, 1000000, 180000, 0},
	};
	struct flame_svg_opts o = {.title = "t", .unit = "ns"};
	char *svg, *again, label[64];
	size_t len, len2;
	int err;

	svg = render(n, 7, &o, &len, &err);
	CHECK(svg != NULL);
	if (!svg)
		return;
	CHECK(parses(svg, len, 5));
	CHECK_EQ_U64(count(svg, "<g class=\"f\""), 5);
	CHECK(frame_of(svg, "main") && frame_of(svg, "kfree_skb"));
	CHECK(!frame_of(svg, "e1000_xmit_frame") && !frame_of(svg, "never_drawn"));
	CHECK(strstr(svg, "<title>all\nroot, 1.18 ms, 100.00% of all</title>"));
	CHECK(strstr(svg, "<title>tcp_sendmsg_locked\ntcp, 600.00 µs, 50.85% of all</title>"));
	CHECK(strstr(svg, "data-s=\"1000000\" data-v=\"180000\" data-d=\"1\""));

	/* root at the bottom, a row up per depth, x and width to scale */
	CHECK(attr(frame_of(svg, "all"), "y") > attr(frame_of(svg, "main"), "y"));
	CHECK(attr(frame_of(svg, "main"), "y") - attr(frame_of(svg, "tcp_sendmsg_locked"), "y") ==
	      16);
	CHECK(attr(frame_of(svg, "all"), "width") == 1180);
	CHECK(attr(frame_of(svg, "kfree_skb"), "x") == 1010);
	CHECK(attr(frame_of(svg, "kfree_skb"), "width") == 180);

	/* 45 px: (45 - 6) / 7.2 = 5 characters, 3 and ".." */
	label_of(frame_of(svg, "ip_queue_xmit"), label, sizeof(label));
	CHECK(!strcmp(label, "ip_.."));
	label_of(frame_of(svg, "main"), label, sizeof(label));
	CHECK(!strcmp(label, "main"));

	/* colors come from the layer, shades from the name: no randomness */
	again = render(n, 7, &o, &len2, &err);
	CHECK(again && len2 == len && !memcmp(svg, again, len));
	CHECK(count(svg, "]]>") == 2); /* the style's and the script's CDATA */
	CHECK(strstr(svg, "window.tsendFlame") != NULL);
	free(again);
	free(svg);
}

static void test_names(void)
{
	struct flame_node n[] = {
		{"<all> & \"'", 0, FLAME_ROOT, 0, 1180, 0},
		/* invalid bytes, overlong '/', a surrogate, a cut sequence */
		{"bad\xff\xfe|\xc0\xaf|\xed\xa0\x80|\xe2\x82", 1, FLAME_USER, 0, 300, 0},
		/* C0, DEL and C1 controls, U+FFFF */
		{"ctl\x01\x1b\x7f\xc2\x85\xef\xbf\xbf", 1, 200, 300, 300, 0},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 1, FLAME_TCP, 600, 300, 0},
		/* 45 px, 5 characters: 3 of them and ".." */
		{"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 1, FLAME_IP, 900, 45, 0},
		{NULL, 1, FLAME_IP, 945, 45, 0},
	};
	struct flame_svg_opts o = {.title = "a<b>&c", .subtitle = "\"x\" \x01", .unit = "<u>"};
	const char *ctl;
	char label[64];
	size_t len;
	int err;
	char *svg = render(n, 6, &o, &len, &err);

	CHECK(svg != NULL);
	if (!svg)
		return;
	CHECK(parses(svg, len, 6));
	CHECK(strstr(
		svg,
		"<title>&lt;all&gt; &amp; &quot;&apos;\nroot, 1180 &lt;u&gt;, 100.00% of all"));
	CHECK(strstr(svg, ">a&lt;b&gt;&amp;c</text>"));
	CHECK(strstr(svg, ">&quot;x&quot; \xef\xbf\xbd</text>"));
	CHECK(frame_of(svg, "bad\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd"));
	CHECK(frame_of(svg, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	/* an unknown layer is drawn as missing */
	ctl = frame_of(svg, "ctl\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK(in_frame(ctl, "\nmissing, 300 &lt;u&gt;, 25.42% of all"));
	/* cut on characters, not bytes */
	label_of(frame_of(svg, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), label,
		 sizeof(label));
	CHECK(!strcmp(label, "\xc3\xa9\xc3\xa9\xc3\xa9.."));
	CHECK(frame_of(svg, "") != NULL);
	free(svg);
}

static void test_diff(void)
{
	struct flame_node n[] = {
		{"all", 0, FLAME_ROOT, 0, 2000000, 1000000},
		{"grew", 1, FLAME_TCP, 0, 1000000, 500000},
		{"new", 1, FLAME_TCP, 1000000, 500000, 0},
		{"halved", 1, FLAME_IP, 1500000, 250000, 500000},
		{"same", 1, FLAME_IP, 1750000, 250000, 250000},
		/* gone from B: no width, not drawn */
		{"gone", 1, FLAME_IP, 2000000, 0, 250000},
	};
	struct flame_svg_opts o = {.title = "diff", .unit = "ns", .diff = true};
	size_t len;
	int err;
	char *svg = render(n, 6, &o, &len, &err);

	CHECK(svg != NULL);
	if (!svg)
		return;
	CHECK(parses(svg, len, 5));
	CHECK(strstr(svg, "<title>grew\ntcp, B 1.00 ms (50.00% of all), A 500.00 µs, "
			  "+500.00 µs (+100.00%)</title>"));
	CHECK(strstr(svg, "<title>new\ntcp, B 500.00 µs (25.00% of all), A 0 ns, "
			  "+500.00 µs (new)</title>"));
	CHECK(strstr(svg, "<title>halved\nip, B 250.00 µs (12.50% of all), A 500.00 µs, "
			  "-250.00 µs (-50.00%)</title>"));
	CHECK(strstr(svg, "<title>same\nip, B 250.00 µs (12.50% of all), A 250.00 µs, 0 ns "
			  "(0.00%)</title>"));
	CHECK(!frame_of(svg, "gone"));
	/* red by the share of its weight a frame gained, blue by what it
	 * lost, white-ish unchanged */
	CHECK(in_frame(frame_of(svg, "new"), "fill=\"#ff2828\""));
	CHECK(in_frame(frame_of(svg, "grew"), "fill=\"#f78c8c\""));
	CHECK(in_frame(frame_of(svg, "halved"), "fill=\"#8c8cf7\""));
	CHECK(in_frame(frame_of(svg, "same"), "fill=\"#f0f0f0\""));
	CHECK(strstr(svg, "from A to B: red = grew, blue = shrank; width = B"));
	free(svg);
}

/* A root alone, with no weight or some; zero-width subtrees. */
static void test_degenerate(void)
{
	struct flame_node root = {"all", 0, FLAME_ROOT, 7, 0, 0};
	struct flame_node zero[] = {
		{"all", 0, FLAME_ROOT, 0, 10, 0},
		{"empty", 1, FLAME_TCP, 0, 0, 0},
		{"empty_child", 2, FLAME_TCP, 0, 0, 0},
		{"full", 1, FLAME_TCP, 0, 10, 0},
	};
	struct flame_svg_opts o = {.width = 50}; /* widened to 200 */
	size_t len;
	int err;
	char *svg = render(&root, 1, NULL, &len, &err);

	CHECK(svg != NULL);
	if (svg) {
		CHECK(parses(svg, len, 1));
		CHECK(strstr(svg, "width=\"1180.0\""));
		CHECK(strstr(svg, "<title>all\nroot, 0 samples, 0.00% of all</title>"));
		CHECK(!strstr(svg, "nan\"") && !strstr(svg, "inf\""));
		free(svg);
	}
	root.value = 5;
	svg = render(&root, 1, &o, &len, &err);
	CHECK(svg != NULL);
	if (svg) {
		CHECK(parses(svg, len, 1));
		CHECK(strstr(svg, "data-s=\"0\" data-v=\"5\" data-d=\"0\""));
		CHECK(strstr(svg, "width=\"180.0\""));
		free(svg);
	}
	svg = render(zero, 4, NULL, &len, &err);
	CHECK(svg != NULL);
	if (svg) {
		CHECK(parses(svg, len, 2));
		CHECK(!frame_of(svg, "empty") && frame_of(svg, "full"));
		free(svg);
	}
}

static void test_errors(void)
{
	struct flame_node bad[] = {
		{"all", 0, FLAME_ROOT, 0, 10, 0},
		{"skips_a_depth", 2, FLAME_TCP, 0, 10, 0},
	};
	struct flame_node two_roots[] = {
		{"all", 0, FLAME_ROOT, 0, 10, 0},
		{"all", 0, FLAME_ROOT, 0, 10, 0},
	};
	FILE *full = fopen("/dev/full", "w");
	size_t len;
	int err = 0;

	CHECK(!render(bad, 0, NULL, &len, &err) && err == -EINVAL);
	CHECK(!render(bad, 2, NULL, &len, &err) && err == -EINVAL);
	CHECK(!render(two_roots, 2, NULL, &len, &err) && err == -EINVAL);
	CHECK(!render(NULL, 1, NULL, &len, &err) && err == -EINVAL);
	CHECK(full != NULL);
	if (full) {
		CHECK_EQ_U64(flame_svg_write(full, bad, 1, NULL), -ENOSPC);
		fclose(full);
	}
}

int main(void)
{
	test_layout();
	test_names();
	test_diff();
	test_degenerate();
	test_errors();
	return check_done("flame_svg");
}
