# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Shared by the bench scripts; source it.

# median_spread [FORMAT]: the numbers on stdin, one a line, as "median min
# max" (mawk has no asort: sort does it), or printf'd with FORMAT (three
# numbers); nothing for no numbers
# shellcheck disable=SC2120 # FORMAT is optional
median_spread() {
	sort -g | awk -v f="${1:-}" '
	{ a[NR] = $1 }
	END { if (!NR) exit
	      m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
	      if (f != "") printf f, m, a[1], a[NR]; else print m, a[1], a[NR] }'
}
