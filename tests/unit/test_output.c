// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of replay/drivers/output.c and pcap.c: frames written through
 * output__open/__tx_batch/__close as pcap and as pcapng, read back with
 * pcap_reader and compared byte for byte, with timestamps and wire
 * lengths; FILE.tmp until the commit and nothing after an abort; and the
 * one-line errors for bad specs and bad frames. Files go to a mkdtemp()
 * directory that is removed at the end. No root needed.
 */
#include <errno.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../replay/drivers/output.h"
#include "../../replay/pcap_reader.h"
#include "check.h"

/* Enough frames of up to 1514 bytes to fill the 1 MiB buffer twice. */
#define NR_FRAMES 2000
#define T0	  1700000000123456789ULL

static char tmpdir[] = "/tmp/tsend-test-output-XXXXXX";
static char errbuf[512];
static __u8 frames_data[NR_FRAMES][1514];
static struct replay_frame frames[NR_FRAMES];

static int has(const char *s, const char *sub)
{
	return s && strstr(s, sub);
}

static const char *tmp_path(const char *name)
{
	static char path[sizeof(tmpdir) + 64];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

/* Varied lengths, some frames snapped (len < wire_len), ns timestamps. */
static void make_frames(void)
{
	for (int i = 0; i < NR_FRAMES; i++) {
		__u32 len = 60 + (i * 7919) % (1514 - 60 + 1);

		for (__u32 b = 0; b < len; b++)
			frames_data[i][b] = (__u8)(i * 31 + b);
		frames[i] = (struct replay_frame){
			.data = frames_data[i],
			.len = len,
			.wire_len = i % 5 ? len : len + 1000,
			.ts_ns = T0 + (__u64)i * 1001,
		};
	}
	/* one GSO super-frame, as the kernel hands it to a TSO device */
	frames[7].wire_len = 65535 + 14;
}

/* Writes all frames in batches of varied size; returns the output open. */
static struct output *write_frames(const char *spec)
{
	struct output *o = output__open(spec, NULL, errbuf, sizeof(errbuf));
	int i = 0, n = 1;

	CHECK(o != NULL);
	if (!o) {
		fprintf(stderr, "  %s\n", errbuf);
		return NULL;
	}
	CHECK_EQ_U64(output__max_frame(o), 262144);
	while (i < NR_FRAMES) {
		if (n > NR_FRAMES - i)
			n = NR_FRAMES - i;
		CHECK(output__tx_batch(o, frames + i, n) == n);
		i += n;
		n = n * 3 % 257 + 1;
	}
	CHECK(output__flush(o) == 0);
	return o;
}

static void check_read_back(const char *path)
{
	char err[512];
	struct pcap_reader *r = pcap_reader__open(path, err, sizeof(err));
	struct replay_frame f;
	int i = 0, ret;

	CHECK(r != NULL);
	if (!r) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	while ((ret = pcap_reader__next(r, &f)) == 1 && i < NR_FRAMES) {
		CHECK_EQ_U64(f.len, frames[i].len);
		CHECK_EQ_U64(f.wire_len, frames[i].wire_len);
		CHECK_EQ_U64(f.ts_ns, frames[i].ts_ns);
		CHECK(!memcmp(f.data, frames[i].data, f.len));
		i++;
	}
	CHECK_EQ_U64(ret, 0);
	CHECK_EQ_U64(i, NR_FRAMES);
	CHECK(!pcap_reader__error(r) && !pcap_reader__warning(r));
	pcap_reader__close(r);
}

static __u32 file_magic(const char *path)
{
	FILE *f = fopen(path, "rb");
	__u32 magic = 0;

	CHECK(f != NULL);
	if (f) {
		CHECK(fread(&magic, 1, sizeof(magic), f) == sizeof(magic));
		fclose(f);
	}
	return magic;
}

static void test_round_trip(const char *prefix, const char *name, __u32 magic)
{
	char spec[256], tmp[256];
	struct output_stats st;
	struct output *o;
	__u64 bytes = 0;

	snprintf(spec, sizeof(spec), "%s%s", prefix, tmp_path(name));
	snprintf(tmp, sizeof(tmp), "%s.tmp", tmp_path(name));
	o = write_frames(spec);
	if (!o)
		return;
	/* until the commit there is only the .tmp */
	CHECK(exists(tmp) && !exists(tmp_path(name)));
	output__stats(o, &st);
	for (int i = 0; i < NR_FRAMES; i++)
		bytes += frames[i].len;
	CHECK_EQ_U64(st.frames, NR_FRAMES);
	CHECK_EQ_U64(st.bytes, bytes);
	CHECK(st.batches > 10 && st.batches < NR_FRAMES);
	/* about one write() per MiB: never one per frame */
	CHECK(st.syscalls >= bytes >> 20 && st.syscalls <= (bytes >> 20) + 2);
	CHECK(!output__error(o));
	CHECK(output__close(o, true, NULL, 0) == 0);
	CHECK(!exists(tmp) && exists(tmp_path(name)));
	CHECK_EQ_U64(file_magic(tmp_path(name)), magic);
	check_read_back(tmp_path(name));
	unlink(tmp_path(name));
}

static void test_abort(void)
{
	char spec[256], tmp[256];
	struct output *o;

	snprintf(spec, sizeof(spec), "pcap:%s", tmp_path("abort.pcap"));
	snprintf(tmp, sizeof(tmp), "%s.tmp", tmp_path("abort.pcap"));
	o = write_frames(spec);
	CHECK(exists(tmp));
	CHECK(output__close(o, false, NULL, 0) == 0);
	CHECK(!exists(tmp) && !exists(tmp_path("abort.pcap")));
	CHECK(output__close(NULL, true, NULL, 0) == 0);
}

static void test_bad_frames(void)
{
	char spec[256];
	struct output_stats st;
	struct replay_frame bad[3], f;
	struct pcap_reader *r;
	struct output *o;

	snprintf(spec, sizeof(spec), "pcapng:%s", tmp_path("bad"));
	o = output__open(spec, NULL, errbuf, sizeof(errbuf));
	CHECK(o != NULL);
	if (!o)
		return;
	CHECK(output__tx_batch(o, frames, 0) == 0);
	memcpy(bad, frames, sizeof(bad));
	bad[2].wire_len = 262144 + 1;
	CHECK(output__tx_batch(o, bad, 3) == -EMSGSIZE);
	CHECK(has(output__error(o), "frame 2 of the batch: wire length 262145 exceeds the 262144"));
	CHECK(has(output__error(o), spec));
	bad[2] = frames[2];
	bad[1].wire_len = bad[1].len - 1;
	CHECK(output__tx_batch(o, bad, 3) == -EINVAL);
	CHECK(has(output__error(o), "frame 1 of the batch"));
	bad[1].data = NULL;
	CHECK(output__tx_batch(o, bad, 3) == -EINVAL);
	CHECK(has(output__error(o), "frame 1 of the batch is empty"));
	CHECK(output__tx_batch(o, NULL, 3) == -EINVAL);
	/* a bad batch queues nothing at all */
	output__stats(o, &st);
	CHECK_EQ_U64(st.frames, 0);
	CHECK_EQ_U64(st.batches, 0);
	CHECK(output__close(o, true, NULL, 0) == 0);
	r = pcap_reader__open(tmp_path("bad"), errbuf, sizeof(errbuf));
	CHECK(r && pcap_reader__next(r, &f) == 0);
	pcap_reader__close(r);
	unlink(tmp_path("bad"));
}

static void test_bad_specs(void)
{
	static const struct {
		const char *spec;
		int err;
		const char *msg;
	} cases[] = {
		{"bogus:x", EINVAL,
		 "bogus:x: unknown output (want pcap:FILE, pcapng:FILE, afpacket:IFACE or e1000e:PCI)"},
		{"out.pcap", EINVAL, "out.pcap: unknown output"},
		{"", EINVAL, ": unknown output"},
		{"pcap:", EINVAL, "pcap:: nothing after 'pcap:'"},
		{"afpacket:", EINVAL, "afpacket:: nothing after 'afpacket:'"},
		{"e1000e:00:03", EINVAL,
		 "e1000e:00:03: '00:03' is not a PCI address (want 0000:00:03.0 or 00:03.0)"},
		{"e1000e:0000:00:20.0", EINVAL, "'0000:00:20.0' is not a PCI address"},
		{"e1000e:fffe:fe:1f.7", ENODEV,
		 "e1000e:fffe:fe:1f.7: no PCI device fffe:fe:1f.7 (see /sys/bus/pci/devices)"},
		{"pcap:/nonexistent/dir/x.pcap", ENOENT,
		 "pcap:/nonexistent/dir/x.pcap: cannot create /nonexistent/dir/x.pcap.tmp: No such file"},
		{"afpacket:nosuchif0", ENODEV, "afpacket:nosuchif0: no such interface nosuchif0"},
		{"afpacket:a-name-too-long-for-linux", EINVAL,
		 "interface name longer than 15 bytes"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errbuf[0] = 0;
		errno = 0;
		CHECK(!output__open(cases[i].spec, NULL, errbuf, sizeof(errbuf)));
		CHECK(errno == cases[i].err);
		CHECK(has(errbuf, cases[i].msg) && !strchr(errbuf, '\n'));
		if (!has(errbuf, cases[i].msg))
			fprintf(stderr, "  %s: got '%s'\n", cases[i].spec, errbuf);
	}
	CHECK(!output__open(NULL, NULL, errbuf, sizeof(errbuf)) && errno == EINVAL);
	CHECK(!output__open("bogus:x", NULL, NULL, 0) && errno == EINVAL);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	make_frames();
	test_round_trip("pcap:", "a.pcap", 0xa1b23c4d);
	test_round_trip("pcap:", "b.pcapng", 0x0a0d0d0a);
	test_round_trip("pcapng:", "c.cap", 0x0a0d0d0a);
	test_abort();
	test_bad_frames();
	test_bad_specs();
	CHECK(rmdir(tmpdir) == 0); /* every test cleaned up after itself */
	return check_done("test_output");
}
