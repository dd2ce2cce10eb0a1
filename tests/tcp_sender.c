// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The test workload: a TCP sender of known sizes and its receiver.
 *
 *   tcp_sender recv [-6] PORT            accept one connection, read to EOF,
 *                                        print "received N"
 *   tcp_sender send [-n] [-c] [-r] [-m IOVS] [-w MS] HOST PORT SIZE...
 *                                        one send() per SIZE (bytes), wait
 *                                        for their ACK (at most 5 s; -c: no
 *                                        wait), then close; prints "sport P" and
 *                                        "sent SIZE ret R" per call
 *   tcp_sender loop [-n] [-c] [-r] [-m IOVS] PORT SIZE...  both, over 127.0.0.1 (fork)
 * -n sets TCP_NODELAY, -w waits MS between sends. -m sends each SIZE with
 * one sendmsg() of IOVS iovecs, each in its own allocation, cut at
 * SIZE * k / IOVS. Payload byte i of the stream is (i * 7 + 3) & 0xff, so
 * captures can be checked byte by byte; with -r it is bits 24-31 of
 * i * 2654435761 (mod 2^32), which does not repeat every 256 bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int close_now; /* -c: close() right after the last send() */
static int no_period; /* -r: the pattern without a 256-byte period */
static long nr_iovs;  /* -m: sendmsg() with this many iovecs */

static int usage(void)
{
	fprintf(stderr,
		"usage: tcp_sender recv [-6] PORT\n"
		"       tcp_sender send [-n] [-c] [-r] [-m IOVS] [-w MS] HOST PORT SIZE...\n"
		"       tcp_sender loop [-n] [-c] [-r] [-m IOVS] [-w MS] PORT SIZE...\n");
	return 2;
}

static long parse_num(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max) {
		fprintf(stderr, "tcp_sender: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int listen_on(int family, int port)
{
	struct sockaddr_storage ss = {0};
	int one = 1, fd = socket(family, SOCK_STREAM, 0);
	socklen_t len;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (void *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_any;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (void *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		len = sizeof(*a);
	}
	if (bind(fd, (void *)&ss, len) || listen(fd, 1)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int do_recv(int lfd)
{
	char buf[65536];
	long long total = 0;
	ssize_t n;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0) {
		perror("tcp_sender: accept");
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	printf("received %lld\n", total);
	fflush(stdout);
	return n < 0;
}

/*
 * Until the peer acknowledged every byte (SIOCOUTQ: unsent and unacked), at
 * most 5 s: ACKs that arrive after close() come outside ESTABLISHED, where
 * a tracer with only the tcp_probe tracepoint (no tcp_ack: no fentry or
 * kprobes) cannot see them, and the tests check every frame's.
 */
static void wait_acked(int fd)
{
	struct timespec ms = {0, 1000000L};
	int queued = 0;

	for (int i = 0; i < 5000; i++) {
		if (ioctl(fd, SIOCOUTQ, &queued) || !queued)
			return;
		nanosleep(&ms, NULL);
	}
}

/* Byte i of the stream. */
static unsigned char pattern(unsigned long long i)
{
	if (no_period)
		return (unsigned char)((unsigned int)(i * 2654435761ULL) >> 24);
	return (i * 7 + 3) & 0xff;
}

/* size bytes of the stream from off: one send(), or with -m one sendmsg()
 * of nr_iovs separately allocated iovecs (so a reader that runs past an
 * iovec's end reads other bytes) */
static ssize_t send_one(int fd, unsigned long long off, long size)
{
	struct iovec *iov;
	struct msghdr msg = {0};
	ssize_t ret = -1;
	long k, n = nr_iovs ? nr_iovs : 1;

	iov = calloc(n, sizeof(*iov));
	if (!iov)
		return -1;
	for (k = 0; k < n; k++) {
		long from = size * k / n, to = size * (k + 1) / n;
		unsigned char *p = malloc(to > from ? to - from : 1);

		if (!p)
			goto out;
		for (long j = from; j < to; j++)
			p[j - from] = pattern(off + j);
		iov[k].iov_base = p;
		iov[k].iov_len = to - from;
	}
	if (nr_iovs) {
		msg.msg_iov = iov;
		msg.msg_iovlen = n;
		ret = sendmsg(fd, &msg, 0);
	} else {
		ret = send(fd, iov[0].iov_base, size, 0);
	}
out:
	for (k = 0; k < n; k++)
		free(iov[k].iov_base);
	free(iov);
	return ret;
}

/* HOST is numeric (IPv4 or IPv6): no resolver, so static builds work */
static int do_send(const char *host, const char *port, int nodelay, long wait_ms, int nsizes,
		   char **sizes)
{
	struct sockaddr_storage peer = {0}, local;
	socklen_t plen, llen = sizeof(local);
	unsigned long long off = 0;
	int fd, one = 1;
	struct sockaddr_in *a4 = (void *)&peer;
	struct sockaddr_in6 *a6 = (void *)&peer;

	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(parse_num(port, 65535));
		plen = sizeof(*a4);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(parse_num(port, 65535));
		plen = sizeof(*a6);
	} else {
		fprintf(stderr, "tcp_sender: '%s' is not a numeric address\n", host);
		return 2;
	}
	fd = socket(peer.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (void *)&peer, plen)) {
		perror("tcp_sender: connect");
		return 1;
	}
	if (nodelay)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	getsockname(fd, (void *)&local, &llen);
	/* sin_port and sin6_port sit at the same offset */
	printf("sport %d\n", ntohs(((struct sockaddr_in *)&local)->sin_port));
	for (int i = 0; i < nsizes; i++) {
		long size = parse_num(sizes[i], 64L << 20);
		ssize_t ret = send_one(fd, off, size);

		printf("sent %ld ret %zd\n", size, ret);
		if (ret > 0)
			off += ret;
		if (wait_ms) {
			struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};

			nanosleep(&ts, NULL);
		}
	}
	fflush(stdout);
	if (!close_now)
		wait_acked(fd);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int nodelay = 0, family = AF_INET, opt;
	long wait_ms = 0;
	const char *mode;

	if (argc < 2)
		return usage();
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "n6crm:w:")) != -1) {
		if (opt == 'n')
			nodelay = 1;
		else if (opt == 'c')
			close_now = 1;
		else if (opt == 'r')
			no_period = 1;
		else if (opt == 'm')
			nr_iovs = parse_num(optarg, 1024) ? parse_num(optarg, 1024) : 1;
		else if (opt == '6')
			family = AF_INET6;
		else if (opt == 'w')
			wait_ms = parse_num(optarg, 60000);
		else
			return usage();
	}
	if (!strcmp(mode, "recv") && argc - optind == 1) {
		int lfd = listen_on(family, parse_num(argv[optind], 65535));

		if (lfd < 0) {
			perror("tcp_sender: listen");
			return 1;
		}
		printf("listening\n");
		fflush(stdout);
		return do_recv(lfd);
	}
	if (!strcmp(mode, "send") && argc - optind >= 3)
		return do_send(argv[optind], argv[optind + 1], nodelay, wait_ms, argc - optind - 2,
			       argv + optind + 2);
	if (!strcmp(mode, "loop") && argc - optind >= 2) {
		int lfd = listen_on(AF_INET, parse_num(argv[optind], 65535)), status;
		pid_t pid;

		if (lfd < 0) {
			perror("tcp_sender: listen");
			return 1;
		}
		fflush(stdout);
		pid = fork();
		if (pid == 0)
			_exit(do_recv(lfd));
		close(lfd);
		if (do_send("127.0.0.1", argv[optind], nodelay, wait_ms, argc - optind - 1,
			    argv + optind + 1))
			return 1;
		waitpid(pid, &status, 0);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
	return usage();
}
