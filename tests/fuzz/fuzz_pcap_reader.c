// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: the pcap/pcapng reader on arbitrary bytes. Reads every
 * frame, as tsend-replay would, and aborts when one of the reader's
 * promises (replay/pcap_reader.h) is broken, so logic bugs show up as
 * crashes alongside what ASan and UBSan find.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *	tests/fuzz/fuzz_pcap_reader.c replay/pcap_reader.c
 *
 * Seeds: tests/fuzz/corpus/pcap_reader/. Run it with a scratch directory
 * first (libFuzzer writes new inputs into its first directory):
 *   fuzz_pcap_reader -max_total_time=60 /tmp/scratch tests/fuzz/corpus/pcap_reader
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../replay/pcap_reader.h"
#include "promise.h"

/* Touches both ends so ASan sees a frame shorter than it claims. */
static void check_frame(const struct replay_frame *f, const uint8_t *data, size_t size)
{
	volatile uint8_t sink;

	PROMISE(f->data && f->len > 0 && f->len <= PCAP_READER_FRAME_MAX);
	PROMISE(f->len <= f->wire_len);
	/* reading memory, frames point into the buffer: no copies */
	PROMISE(f->data >= data && f->data + f->len <= data + size);
	sink = f->data[0];
	sink = f->data[f->len - 1];
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcap_reader *r;
	struct replay_frame f;
	char err[256];
	int ret;

	err[0] = 0;
	r = pcap_reader__open_mem(data, size, "fuzz", err, sizeof(err));
	if (!r) {
		check_msg(err);
		return 0;
	}
	while ((ret = pcap_reader__next(r, &f)) == 1)
		check_frame(&f, data, size);
	if (ret < 0) {
		check_msg(pcap_reader__error(r));
		/* a failed reader stays failed */
		PROMISE(pcap_reader__next(r, &f) == ret);
	} else {
		PROMISE(ret == 0 && !pcap_reader__error(r));
		PROMISE(pcap_reader__next(r, &f) == 0);
	}
	if (pcap_reader__warning(r))
		check_msg(pcap_reader__warning(r));
	pcap_reader__close(r);
	return 0;
}
