/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The frames of a trace as pcapng (tsend-trace pcap), little endian, after
 * draft-tuexen-opsawg-pcapng: one Section Header Block, one Interface
 * Description Block per ifindex (written just before its first frame) and
 * one Enhanced Packet Block per net_dev_start_xmit record, whose snapshot
 * starts at the Ethernet header.
 *
 * Each EPB carries an opt_comment that tells the frame's story, one line:
 *
 *   tsend: pid 1234 tcp_sender; send()→wire 12.345 µs; queue 1.500 µs; seq 1000-2448
 *
 *   pid/comm     the task whose send() wrote the frame's first payload
 *                byte, else the task the skb was first seen in
 *   send()→wire  entry of the send() that queued the frame's first payload
 *                byte, to net_dev_start_xmit
 *   queue        net_dev_queue of the same skb to net_dev_start_xmit
 *   seq          the frame's TCP sequence range, seq-end_seq, as recorded
 *   retransmission  when it resends sequence space sent before
 *
 * The parts come from the frame's lifecycle so far (lifecycle.h); a part
 * the recording cannot support (probe missing, state evicted, a frame
 * without payload) is left out rather than guessed.
 *
 * Records come from a file, so nothing in them is trusted: each is checked
 * with tsend_record_check() before any field is read. Memory stays bounded
 * whatever the trace holds: the lifecycle assembler's tables have fixed
 * limits and hand out their oldest entries (which only shortens comments).
 *
 * Nothing here prints or exits. Int functions return 0 or -errno,
 * the constructor returns NULL and sets errno.
 */
#ifndef TSEND_PCAPNG_H
#define TSEND_PCAPNG_H

#include <linux/types.h>
#include <stdio.h>

#include "trace_file.h"

struct pcapng_export;

/*
 * Writes the Section Header Block to out (shb_hardware: the recording's
 * hostname, shb_os: "Linux <kernel release>", shb_userappl: "tsend-trace",
 * opt_comment: the recording's command line). out stays the caller's: it is
 * neither flushed nor closed here. NULL with errno EIO if the write failed,
 * ENOMEM, or EINVAL for a NULL argument.
 */
struct pcapng_export *pcapng_export__new(FILE *out, const struct trace_meta *meta);

/*
 * Feeds one record of the trace, in file order (every record, not only the
 * frames: the comments are built from the others). Returns 0; -EINVAL for a
 * malformed record, which is skipped and counted; -ENOSPC for a frame on a
 * new interface past PCAPNG_MAX_IFACES (skipped and counted too); -EIO once
 * a write failed (and on every call after that).
 */
int pcapng_export__add(struct pcapng_export *x, const void *rec, __u32 len);

/* Flushes out; *frames (may be NULL) gets the EPBs written. 0 or -EIO. */
int pcapng_export__finish(struct pcapng_export *x, __u64 *frames);

/* Records skipped so far: -EINVAL and -ENOSPC returns of __add. */
__u64 pcapng_export__skipped(const struct pcapng_export *x);

void pcapng_export__free(struct pcapng_export *x);

#define PCAPNG_MAX_IFACES 4096

#endif /* TSEND_PCAPNG_H */
