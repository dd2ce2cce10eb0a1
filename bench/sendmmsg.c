// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The kernel's own send path at its plainest, for bench/e1000e.sh: the
 * frames of a classic pcap (either byte order, us or ns) sent N times
 * through an AF_PACKET SOCK_RAW socket bound to IFACE, BATCH frames per
 * sendmmsg() call. The clock stops once the device has freed every frame
 * (SIOCOUTQ 0), as tsend-replay's TX ring output waits for its ring.
 *
 *   sendmmsg IFACE FILE.pcap [N]
 *   → sendmmsg: F frames, B bytes to IFACE in T s (P pps)
 */
#include <errno.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#define BATCH		  64
#define MAX_SNAP	  262144 /* libpcap's largest snaplen */
#define DRAIN_NS	  (5 * 1000000000LL)
#define LINKTYPE_ETHERNET 1

static const char usage[] = "usage: sendmmsg IFACE FILE.pcap [N]: send the pcap's frames N "
			    "times (default 1) on IFACE, 64 per sendmmsg()";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("sendmmsg: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* the whole file, its size in *len */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n;

	if (!f)
		die("%s: %s", path, strerror(errno));
	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? 2 * cap : 1 << 20;
			buf = realloc(buf, cap);
			if (!buf)
				die("%s: out of memory", path);
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	if (ferror(f))
		die("%s: %s", path, strerror(errno));
	fclose(f);
	return buf;
}

static uint32_t u32(const unsigned char *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* The frames of a classic pcap into *iov (malloc'd): how many. */
static size_t pcap_frames(const char *path, unsigned char *buf, size_t len, struct iovec **iov)
{
	size_t off = 24, n = 0, cap = 0;
	uint32_t magic;
	int swap;

	if (len < 24)
		die("%s: %zu bytes, too short for a pcap header", path, len);
	magic = u32(buf, 0);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = 1;
	else
		die("%s: not a classic pcap (magic 0x%08x)", path, magic);
	if (u32(buf + 20, swap) != LINKTYPE_ETHERNET)
		die("%s: link type %u, not Ethernet (1)", path, u32(buf + 20, swap));
	*iov = NULL;
	while (off < len) {
		uint32_t caplen;

		if (len - off < 16)
			die("%s: frame %zu: truncated record header", path, n + 1);
		caplen = u32(buf + off + 8, swap);
		if (!caplen || caplen > MAX_SNAP || caplen > len - off - 16)
			die("%s: frame %zu: bad or truncated length %u", path, n + 1, caplen);
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			*iov = realloc(*iov, cap * sizeof(**iov));
			if (!*iov)
				die("%s: out of memory", path);
		}
		(*iov)[n++] = (struct iovec){.iov_base = buf + off + 16, .iov_len = caplen};
		off += 16 + (size_t)caplen;
	}
	if (!n)
		die("%s: no frames", path);
	return n;
}

int main(int argc, char **argv)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	unsigned long long loops = 1, total, sent = 0, bytes = 0;
	struct mmsghdr msgs[BATCH];
	struct iovec *iov;
	size_t len, nframes, next = 0;
	unsigned char *buf;
	long long t0, t1;
	char *end;
	int fd, outq;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		puts(usage);
		return 0;
	}
	if (argc < 3 || argc > 4 || argv[1][0] == '-')
		die("%s", usage);
	if (argc == 4) {
		errno = 0;
		loops = strtoull(argv[3], &end, 10);
		if (errno || end == argv[3] || *end || !loops || argv[3][0] == '-')
			die("bad N '%s': a count of at least 1", argv[3]);
	}
	buf = slurp(argv[2], &len);
	nframes = pcap_frames(argv[2], buf, len, &iov);
	if (loops > ULLONG_MAX / nframes)
		die("bad N '%s': too many frames", argv[3]);
	total = nframes * loops;

	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (!sll.sll_ifindex)
		die("no interface %s", argv[1]);
	/* protocol 0: the socket sends only, it receives nothing */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("AF_PACKET socket on %s: %s", argv[1], strerror(errno));

	t0 = now_ns();
	while (sent < total) {
		unsigned int n = total - sent < BATCH ? (unsigned int)(total - sent) : BATCH;
		int ret;

		for (unsigned int i = 0; i < n; i++) {
			msgs[i] =
				(struct mmsghdr){.msg_hdr = {.msg_iov = &iov[(next + i) % nframes],
							     .msg_iovlen = 1}};
		}
		ret = sendmmsg(fd, msgs, n, 0);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			die("sendmmsg on %s: %s (frame %zu of the pcap, %zu bytes)", argv[1],
			    strerror(errno), next + 1, iov[next].iov_len);
		for (int i = 0; i < ret; i++)
			bytes += iov[(next + (size_t)i) % nframes].iov_len;
		sent += (unsigned int)ret;
		next = (next + (size_t)ret) % nframes;
	}
	/* the socket's skbs are freed once the device is done with them */
	t1 = now_ns();
	for (;;) {
		if (ioctl(fd, SIOCOUTQ, &outq))
			die("SIOCOUTQ on %s: %s", argv[1], strerror(errno));
		if (!outq)
			break;
		if (now_ns() - t1 > DRAIN_NS)
			die("%s: %d bytes still queued after %lld s", argv[1], outq,
			    DRAIN_NS / 1000000000);
		sched_yield();
	}
	t1 = now_ns();
	printf("sendmmsg: %llu frames, %llu bytes to %s in %.3f s (%.0f pps)\n", sent, bytes,
	       argv[1], (t1 - t0) / 1e9, sent * 1e9 / (t1 - t0));
	return 0;
}
