/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Frames from a capture file, for replaying a capture instead of a trace
 * and for reading back what the pcap output wrote. Reads classic pcap
 * (microsecond and nanosecond magic) and pcapng (EPB, SPB and the obsolete
 * packet block; other blocks are skipped), either byte order, Ethernet
 * only.
 *
 * pcap_reader__open → __next until 0 → __close, as trace_reader.
 * Constructors return NULL, set errno and write one line to err; int
 * functions return -errno. Nothing here prints or exits.
 */
#ifndef TSEND_REPLAY_PCAP_READER_H
#define TSEND_REPLAY_PCAP_READER_H

#include <stddef.h>

#include "drivers/output.h"

/* The longest frame read; a longer record is an error, not an allocation. */
#define PCAP_READER_FRAME_MAX (256 * 1024)

struct pcap_reader;

struct pcap_reader *pcap_reader__open(const char *path, char *err, size_t errlen);
/* The same over a buffer (fuzzing, tests); name is used in messages. */
struct pcap_reader *pcap_reader__open_mem(const void *buf, size_t len, const char *name, char *err,
					  size_t errlen);
/*
 * Next frame: 1 with *f set (f->data valid until the next call; ts_ns is
 * CLOCK_REALTIME ns; wire_len is the original length), 0 at the end, or
 * -errno on a corrupt record (pcap_reader__error() names the file and the
 * record's byte offset). A file cut off mid-record ends with 0 and a
 * warning. A failed reader keeps returning its error.
 */
int pcap_reader__next(struct pcap_reader *r, struct replay_frame *f);
const char *pcap_reader__error(const struct pcap_reader *r);
/* Non-NULL when the file ended mid-record. */
const char *pcap_reader__warning(const struct pcap_reader *r);
void pcap_reader__close(struct pcap_reader *r);

#endif /* TSEND_REPLAY_PCAP_READER_H */
