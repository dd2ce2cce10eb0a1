// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tsend-replay: turn a trace back into frames. The engine (replay/) lands
 * with its own issue; until then this prints its usage and says so.
 */
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "Usage: tsend-replay COMMAND TRACE [OPTIONS]\n\n"
		   "Re-run a recorded send path in userspace and put the frames on a wire.\n\n"
		   "Commands (not implemented in this version):\n"
		   "  run TRACE -o pcap:FILE|afpacket:IFACE|e1000e:PCI_ADDR\n"
		   "  verify TRACE\n");
}

int main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	fprintf(stderr, "tsend-replay: the replay engine is not implemented yet\n");
	return 2;
}
