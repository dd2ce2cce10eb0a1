// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the replay engine: a trace file's bytes through
 * replay__open_mem (opts.partial, so a cut trace still runs), every frame
 * of the device view twice (replay__rewind between: the same bytes), then
 * replay__verify to /dev/null; then the wire view, the same way, with a
 * what-if option picked by the input's length (none, --mss 536, --no-tso,
 * --nodelay with fq, Nagle forced on with pfifo_fast and --dst-mac).
 *
 * The engine promises (replay.h, verify.h) are checked with abort(), so
 * they show up as crashes next to what ASan and UBSan find: a failed open
 * leaves a one-line reason; frames come in departure order, each with its
 * flow, non-empty, and the same after a rewind; the summary counts what
 * replay__next gave; verify's counts add up.
 *
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION makes trace_file.c ignore CRC
 * mismatches. The seeds in tests/fuzz/corpus/replay/ are the recordings
 * of tests/data/replay-*.trace, some re-encoded with stored (level 0)
 * deflate blocks so that mutations reach the records' bytes, some cut.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../replay/replay.h"
#include "../../replay/verify.h"

#define PROMISE(cond, what)                                                                        \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_replay: broken promise: %s\n", what);                \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define FRAMES_MAX 20000

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	return devnull ? 0 : -1;
}

struct pass {
	__u64 frames, passthrough, hash;
};

/* Every frame to the end, or the first FRAMES_MAX; 256 bytes of each are
 * read, so ASan sees the headers and the payload's start. */
static int drain(struct replay *r, struct pass *p)
{
	struct replay_frame_info info;
	struct replay_frame f;
	__u64 last = 0;
	int ret = 0;

	memset(p, 0, sizeof(*p));
	p->hash = 1469598103934665603ULL;
	/* a mutated send() may claim gigabytes: the first frames and bytes
	 * of each are enough to compare two passes */
	while (p->frames < FRAMES_MAX && (ret = replay__next(r, &f, &info)) == 1) {
		PROMISE(f.data && f.len, "an empty frame");
		PROMISE(info.flow, "a frame without its flow");
		PROMISE(info.mono_ns >= last, "frames out of departure order");
		PROMISE(!info.passthrough || info.kernel_rec, "passthrough without its record");
		last = info.mono_ns;
		for (__u32 i = 0; i < f.len && i < 256; i++)
			p->hash = (p->hash ^ f.data[i]) * 1099511628211ULL;
		p->hash = (p->hash ^ f.len ^ (__u64)f.wire_len << 32) * 1099511628211ULL;
		p->hash = (p->hash ^ f.ts_ns) * 1099511628211ULL;
		p->frames++;
		p->passthrough += info.passthrough;
	}
	if (p->frames == FRAMES_MAX)
		return 0;
	PROMISE(ret == 0 || ret == -ENOMEM, "replay__next's return value");
	return ret;
}

static void run(const uint8_t *data, size_t size, const struct replay_opts *o, bool verify)
{
	char err[512] = "";
	struct replay_summary sum;
	struct replay *r;
	struct pass a, b;

	r = replay__open_mem(data, size, "fuzz", o, err, sizeof(err));
	if (!r) {
		PROMISE(err[0] && !strchr(err, '\n'), "a failed open without a one-line reason");
		return;
	}
	if (drain(r, &a)) {
		replay__close(r);
		return;
	}
	replay__rewind(r);
	if (drain(r, &b)) {
		replay__close(r);
		return;
	}
	PROMISE(a.frames == b.frames && a.hash == b.hash, "a rewind changed the frames");
	replay__summary(r, &sum);
	PROMISE(sum.passthrough <= sum.frames, "summary: passthrough frames");
	if (a.frames == FRAMES_MAX) {
		/* drained in part: the counts below are not comparable */
	} else if (o->view == VIEW_DEVICE) {
		PROMISE(sum.frames == a.frames, "summary: frames differ from replay__next");
		PROMISE(sum.passthrough == a.passthrough, "summary: passthrough");
	} else {
		PROMISE(a.frames >= sum.frames, "the wire has fewer frames than the device");
	}
	if (verify) {
		struct verify_opts vo = {.max_diffs = 3, .json = size & 1};
		struct verify_result res;
		int ret = replay__verify(r, &vo, devnull, &res);

		PROMISE(ret == 0 || ret == 1 || ret == -1, "replay__verify's return value");
		if (ret >= 0) {
			PROMISE(res.identical + res.differ <= res.kernel_frames,
				"verify: more pairs than kernel frames");
			PROMISE(res.missing <= res.kernel_frames, "verify: missing");
			PROMISE(res.extra <= res.replay_frames, "verify: extra");
			PROMISE(res.passthrough == sum.passthrough, "verify: passthrough");
			PROMISE(res.replay_frames + res.passthrough == sum.frames,
				"verify: frames differ from the summary");
			PROMISE(ret == !(res.identical == res.kernel_frames && !res.extra),
				"verify: return value and counts disagree");
		}
	}
	replay__close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay_opts o = {.view = VIEW_DEVICE, .nodelay = -1, .partial = true};

	run(data, size, &o, true);

	o.view = VIEW_WIRE;
	switch (size % 5) {
	case 1:
		o.mss = 536;
		break;
	case 2:
		o.no_tso = true;
		break;
	case 3:
		o.nodelay = 1;
		o.qdisc = QDISC_FQ;
		break;
	case 4:
		o.nodelay = 0;
		o.qdisc = QDISC_PFIFO_FAST;
		o.dst_mac_set = true;
		memcpy(o.dst_mac, "\x02\x00\x5e\x10\x00\x01", 6);
		break;
	}
	run(data, size, &o, false);
	return 0;
}
