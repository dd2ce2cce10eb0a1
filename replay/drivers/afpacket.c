// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * afpacket:IFACE: frames onto a real interface through an AF_PACKET
 * SOCK_RAW socket, which hands them to dev_queue_xmit() as they are (no
 * IP or TCP processing: the replay did that already).
 *
 * Batches go through a PACKET_TX_RING (TPACKET_V2, packet_mmap.rst): a
 * batch is copied into ring slots, each marked TP_STATUS_SEND_REQUEST,
 * and one send() makes tpacket_snd() take them all, as ixy writes TDT
 * once per batch. Where the ring cannot be set up, sendmmsg() takes up to
 * MMSG_BATCH frames per call instead. Either way there is never a system
 * call per frame, and output_stats.syscalls says how many there were.
 *
 * No PACKET_QDISC_BYPASS: without the qdisc a busy device drops what it
 * cannot take (no requeue), and frames must never vanish silently.
 * Socket protocol 0: the socket sends only, it receives nothing.
 */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "output_ops.h"

/* Ring size: RING_FRAMES slots, less for jumbo MTUs, never above 4 MiB. */
#define RING_FRAMES    256U
#define RING_BYTES_MAX (4U << 20)
#define MMSG_BATCH     64U /* well under UIO_MAXIOV (1024) */
/* TPACKET_V2 TX without PACKET_TX_HAS_OFF: the frame starts right after
 * the aligned header (tpacket_fill_skb(), net/packet/af_packet.c). */
#define SLOT_DATA_OFF (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

struct afpacket_out {
	struct output out;
	int fd;
	char iface[IFNAMSIZ];
	/* the TX ring; NULL when sending with sendmmsg() */
	__u8 *ring;
	size_t ring_size;
	__u32 frame_size;
	__u32 frame_nr;
	__u32 head;   /* the next slot to fill */
	bool pending; /* slots a full device queue left for the next send() */
	struct mmsghdr msgs[MMSG_BATCH];
	struct iovec iov[MMSG_BATCH];
};

static struct afpacket_out *to_afpacket(struct output *o)
{
	return output_container_of(o, struct afpacket_out, out);
}

static struct tpacket2_hdr *slot(const struct afpacket_out *a, __u32 i)
{
	return (struct tpacket2_hdr *)(a->ring + (size_t)i * a->frame_size);
}

/* The kernel writes tp_status from the skb destructor, on any CPU. */
static __u32 slot_status(const struct tpacket2_hdr *h)
{
	return __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
}

/*
 * Makes tpacket_snd() send every slot marked SEND_REQUEST. With wait it
 * also blocks until the kernel has freed every skb it built from the
 * ring (packet_read_pending()), so all slots are AVAILABLE again.
 */
static int ring_kick(struct afpacket_out *a, bool wait)
{
	for (;;) {
		a->out.stats.syscalls++;
		if (send(a->fd, NULL, 0, wait ? 0 : MSG_DONTWAIT) >= 0) {
			a->pending = false;
			return 0;
		}
		if (errno == EINTR)
			continue;
		/* a full device queue: the slots stay SEND_REQUEST and go
		 * out with the next send() (flush) */
		if (!wait && (errno == EAGAIN || errno == ENOBUFS)) {
			a->pending = true;
			return 0;
		}
		return output_fail(&a->out, -errno, "send on the TX ring of %s: %s", a->iface,
				   strerror(errno));
	}
}

static int ring_tx_batch(struct afpacket_out *a, const struct replay_frame *f, unsigned int n)
{
	int err;

	for (unsigned int i = 0; i < n; i++) {
		struct tpacket2_hdr *h = slot(a, a->head);

		if (slot_status(h) != TP_STATUS_AVAILABLE) {
			/* the ring is full: send what is queued, wait for it */
			err = ring_kick(a, true);
			if (err)
				return err;
			if (slot_status(h) != TP_STATUS_AVAILABLE)
				return output_fail(
					&a->out, -EIO,
					"TX ring slot %u of %s not released (status 0x%x)", a->head,
					a->iface, slot_status(h));
		}
		memcpy((__u8 *)h + SLOT_DATA_OFF, f[i].data, f[i].len);
		h->tp_len = f[i].len;
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
		a->head = (a->head + 1) % a->frame_nr;
	}
	return ring_kick(a, false);
}

static int mmsg_tx_batch(struct afpacket_out *a, const struct replay_frame *f, unsigned int n)
{
	unsigned int cnt;

	for (unsigned int first = 0; first < n; first += cnt) {
		cnt = n - first;
		if (cnt > MMSG_BATCH)
			cnt = MMSG_BATCH;
		for (unsigned int i = 0; i < cnt; i++) {
			const struct replay_frame *fi = &f[first + i];

			a->iov[i] =
				(struct iovec){.iov_base = (void *)fi->data, .iov_len = fi->len};
			a->msgs[i] = (struct mmsghdr){
				.msg_hdr = {.msg_iov = &a->iov[i], .msg_iovlen = 1},
			};
		}
		for (unsigned int done = 0; done < cnt;) {
			int sent = sendmmsg(a->fd, a->msgs + done, cnt - done, 0);

			a->out.stats.syscalls++;
			if (sent < 0 && errno == EINTR)
				continue;
			/* ENOBUFS here means the device dropped the frame */
			if (sent < 0)
				return output_fail(&a->out, -errno, "sendmmsg on %s: %s", a->iface,
						   strerror(errno));
			done += (unsigned int)sent;
		}
	}
	return 0;
}

static int afpacket_tx_batch(struct output *o, const struct replay_frame *f, unsigned int n)
{
	struct afpacket_out *a = to_afpacket(o);

	return a->ring ? ring_tx_batch(a, f, n) : mmsg_tx_batch(a, f, n);
}

/* sendmmsg() has handed everything over on return; the ring's slots a
 * full device queue left behind go now. Waiting for the frames to be
 * freed is for close: here it would stall the replay at every batch. */
static int afpacket_flush(struct output *o)
{
	struct afpacket_out *a = to_afpacket(o);

	return a->ring && a->pending ? ring_kick(a, false) : 0;
}

static int afpacket_close(struct output *o, bool commit)
{
	struct afpacket_out *a = to_afpacket(o);
	int err = commit && a->ring ? ring_kick(a, true) : 0;

	if (a->ring)
		munmap(a->ring, a->ring_size);
	close(a->fd);
	free(a);
	return err;
}

static const struct output_ops afpacket_ops = {
	.tx_batch = afpacket_tx_batch,
	.flush = afpacket_flush,
	.close = afpacket_close,
};

static __u32 pow2_at_least(__u32 v)
{
	__u32 p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/*
 * A TPACKET_V2 TX ring: slots of a power of two that hold the header and
 * a max_frame frame, in page-sized (or larger) blocks, since a slot may
 * not cross a block. When the kernel refuses, the socket is left without
 * a ring, for sendmmsg(); -errno only if a refused ring cannot be undone.
 */
static int ring_setup(struct afpacket_out *a)
{
	long page = sysconf(_SC_PAGESIZE);
	int version = TPACKET_V2;
	struct tpacket_req req;
	__u32 block, per_block;

	a->frame_size = pow2_at_least(a->out.max_frame + SLOT_DATA_OFF);
	block = a->frame_size > (__u32)page ? a->frame_size : (__u32)page;
	per_block = block / a->frame_size;
	a->frame_nr = RING_BYTES_MAX / a->frame_size;
	if (a->frame_nr > RING_FRAMES)
		a->frame_nr = RING_FRAMES;
	a->frame_nr -= a->frame_nr % per_block;
	req = (struct tpacket_req){
		.tp_block_size = block,
		.tp_block_nr = a->frame_nr / per_block,
		.tp_frame_size = a->frame_size,
		.tp_frame_nr = a->frame_nr,
	};
	if (!a->frame_nr ||
	    setsockopt(a->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) ||
	    setsockopt(a->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)))
		return 0;
	a->ring_size = (size_t)block * req.tp_block_nr;
	a->ring = mmap(NULL, a->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
	if (a->ring != MAP_FAILED)
		return 0;
	a->ring = NULL;
	/* with a ring set, sendmsg() goes to tpacket_snd(): take it down */
	req = (struct tpacket_req){.tp_block_nr = 0};
	return setsockopt(a->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) ? -errno : 0;
}

/* Checks the interface and sets max_frame; a line in err on failure. */
static int iface_check(struct afpacket_out *a, const char *spec, char *err, size_t errlen)
{
	struct ifreq ifr = {.ifr_flags = 0};

	memcpy(ifr.ifr_name, a->iface, strlen(a->iface) + 1);
	if (ioctl(a->fd, SIOCGIFFLAGS, &ifr) < 0)
		goto ioctl_failed;
	if (!(ifr.ifr_flags & IFF_UP)) {
		snprintf(err, errlen, "%s: interface %s is down", spec, a->iface);
		return -ENETDOWN;
	}
	if (ioctl(a->fd, SIOCGIFHWADDR, &ifr) < 0)
		goto ioctl_failed;
	/* the replay builds Ethernet frames; loopback takes them as well */
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER &&
	    ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK) {
		snprintf(err, errlen, "%s: %s is not an Ethernet interface (ARPHRD %u)", spec,
			 a->iface, ifr.ifr_hwaddr.sa_family);
		return -EAFNOSUPPORT;
	}
	if (ioctl(a->fd, SIOCGIFMTU, &ifr) < 0)
		goto ioctl_failed;
	a->out.max_frame = (__u32)ifr.ifr_mtu + ETHER_HDR_LEN;
	return 0;

ioctl_failed:
	snprintf(err, errlen, "%s: cannot query interface %s: %s", spec, a->iface, strerror(errno));
	return -errno;
}

struct output *afpacket_output__open(const char *spec, const char *iface, char *err, size_t errlen)
{
	struct afpacket_out *a;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	int ret;

	if (strlen(iface) >= IFNAMSIZ) {
		snprintf(err, errlen, "%s: interface name longer than %d bytes", spec,
			 IFNAMSIZ - 1);
		errno = EINVAL;
		return NULL;
	}
	sll.sll_ifindex = (int)if_nametoindex(iface);
	if (!sll.sll_ifindex) {
		snprintf(err, errlen, "%s: no such interface %s", spec, iface);
		errno = ENODEV;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "%s: out of memory", spec);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(a->iface, iface, strlen(iface) + 1);
	a->out.ops = &afpacket_ops;
	a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (a->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open an AF_PACKET socket for %s: %s%s", spec,
			 iface, strerror(errno), errno == EPERM ? " (needs CAP_NET_RAW)" : "");
		goto free_out;
	}
	ret = iface_check(a, spec, err, errlen);
	if (ret)
		goto close_fd;
	if (bind(a->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot bind to %s: %s", spec, iface, strerror(errno));
		goto close_fd;
	}
	ret = ring_setup(a);
	if (ret) {
		snprintf(err, errlen, "%s: cannot undo a TX ring on %s: %s", spec, iface,
			 strerror(-ret));
		goto close_fd;
	}
	return &a->out;

close_fd:
	close(a->fd);
free_out:
	free(a);
	errno = -ret;
	return NULL;
}
