// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The 82574L's TX ring, as drivers/net/ethernet/intel/e1000e/netdev.c
 * (v6.1) fills it: e1000_xmit_frame() → e1000_tso() or e1000_tx_csum() →
 * e1000_tx_map() → e1000_tx_queue(), and e1000_clean_tx_irq() to reclaim.
 * A frame the kernel left to the NIC gets the same context and data
 * descriptors, and the same header edits, as the kernel's driver gave it,
 * so the NIC does to it what it did to the kernel's.
 *
 * Where the kernel maps an skb's pages, this driver copies the frame into
 * the buffers of the descriptors it takes: the replay's frames live in
 * ordinary memory the NIC cannot read.
 */
#include <endian.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../checksum.h"
#include "e1000e.h"

#define ETH_HLEN      14
#define ETH_P_IP      0x0800
#define ETH_P_IPV6    0x86DD
#define IPPROTO_TCP_  6
#define TCP_CSUM_OFF  16 /* offsetof(struct tcphdr, check) */
#define IPV4_CSUM_OFF 10 /* offsetof(struct iphdr, check) */

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

void e1000e_ring_init(struct e1000e_ring *r, volatile __u8 *hw, void *mem, __u64 phys)
{
	size_t ring_bytes = E1000E_RING_SIZE * sizeof(struct e1000_tx_desc);

	memset(r, 0, sizeof(*r));
	r->hw = hw;
	r->desc = mem;
	r->desc_phys = phys;
	r->bufs = (__u8 *)mem + ring_bytes;
	r->bufs_phys = phys + ring_bytes;
	r->hang_ns = E1000E_HANG_NS;
	memset(mem, 0, ring_bytes);
	ew32(hw, E1000_TDBAL, (__u32)phys);
	ew32(hw, E1000_TDBAH, (__u32)(phys >> 32));
	ew32(hw, E1000_TDLEN, (__u32)ring_bytes);
	ew32(hw, E1000_TDH, 0);
	ew32(hw, E1000_TDT, 0);
}

/* mirrors e1000_desc_unused(): one slot stays empty, so that a full ring
 * (tail one behind head) differs from an empty one (tail at head) */
static unsigned int e1000_desc_unused(const struct e1000e_ring *r)
{
	return (r->next_to_clean + E1000E_RING_SIZE - r->next_to_use - 1) % E1000E_RING_SIZE;
}

static unsigned int ring_next(unsigned int i)
{
	return i + 1 == E1000E_RING_SIZE ? 0 : i + 1;
}

static bool desc_done(const struct e1000e_ring *r, unsigned int i)
{
	/* the NIC writes the status by DMA: read it fresh */
	return __atomic_load_n(&r->desc[i].upper, __ATOMIC_ACQUIRE) & htole32(E1000_TXD_STAT_DD);
}

unsigned int e1000_clean_tx_irq(struct e1000e_ring *r)
{
	unsigned int freed = 0;

	while (r->next_to_clean != r->next_to_use) {
		unsigned int eop = r->next_to_watch[r->next_to_clean];
		unsigned int queued =
			(r->next_to_use + E1000E_RING_SIZE - r->next_to_clean) % E1000E_RING_SIZE;

		/* a DD bit counts only on a frame still queued: a NIC that
		 * lost bus mastering leaves the last lap's bits in place */
		if ((eop + E1000E_RING_SIZE - r->next_to_clean) % E1000E_RING_SIZE >= queued ||
		    !desc_done(r, eop))
			break;
		freed += (eop + E1000E_RING_SIZE - r->next_to_clean) % E1000E_RING_SIZE + 1;
		r->next_to_clean = ring_next(eop);
	}
	return freed;
}

void e1000e_ring_kick(struct e1000e_ring *r)
{
	if (r->tail == r->next_to_use)
		return;
	/* descriptors and buffers before the tail: the NIC reads them once
	 * it sees the new tail (the kernel's wmb() in e1000_tx_queue) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	ew32(r->hw, E1000_TDT, r->next_to_use);
	r->tail = r->next_to_use;
	r->tail_writes++;
}

static int ring_hung(const struct e1000e_ring *r, __u64 waited, char *err, size_t errlen)
{
	snprintf(err, errlen,
		 "TX hang: the ring did not move for %llu ms (TDH %u TDT %u, next to clean %u, "
		 "next to use %u; STATUS 0x%08x TCTL 0x%08x)",
		 (unsigned long long)(waited / 1000000), er32(r->hw, E1000_TDH),
		 er32(r->hw, E1000_TDT), r->next_to_clean, r->next_to_use,
		 er32(r->hw, E1000_STATUS), er32(r->hw, E1000_TCTL));
	return -ETIMEDOUT;
}

/*
 * Until need descriptors are free (need 0: every frame done). The tail is
 * written first, or the NIC would wait for it as we wait for the NIC. The
 * bound runs from the last progress: TDH moving, or frames cleaned.
 */
static int ring_wait(struct e1000e_ring *r, unsigned int need, char *err, size_t errlen)
{
	__u64 since = now_ns();
	__u32 head = er32(r->hw, E1000_TDH);

	e1000e_ring_kick(r);
	for (;;) {
		bool moved = e1000_clean_tx_irq(r) > 0;
		__u32 h;

		if (need ? e1000_desc_unused(r) >= need : r->next_to_clean == r->next_to_use)
			return 0;
		h = er32(r->hw, E1000_TDH);
		if (moved || h != head) {
			head = h;
			since = now_ns();
		} else if (now_ns() - since > r->hang_ns) {
			return ring_hung(r, now_ns() - since, err, errlen);
		}
		sched_yield();
	}
}

int e1000e_ring_drain(struct e1000e_ring *r, char *err, size_t errlen)
{
	return ring_wait(r, 0, err, errlen);
}

static struct e1000_context_desc *context_desc(struct e1000e_ring *r, unsigned int i)
{
	return (struct e1000_context_desc *)&r->desc[i];
}

/* Where the frame's network header is and which IP it is: 4, 6 or 0. */
static int frame_ip(const __u8 *d, __u32 len)
{
	__u16 proto = len >= ETH_HLEN ? (__u16)(d[12] << 8 | d[13]) : 0;

	return proto == ETH_P_IP ? 4 : proto == ETH_P_IPV6 ? 6 : 0;
}

/*
 * mirrors e1000_tso(), v6.1: the headers edited as the NIC wants them for
 * TSO (no IP length or checksum, a TCP checksum over the pseudo-header
 * without its length), and the context descriptor saying where they are.
 * buf holds the frame's first bytes, headers included. Returns the
 * context's cmd_and_length.
 */
static __u32 e1000_tso(struct e1000e_ring *r, unsigned int i, const struct replay_frame *f,
		       __u8 *buf)
{
	struct e1000_context_desc *c = context_desc(r, i);
	__u32 l3 = ETH_HLEN, l4 = f->csum_start, hdr_len, cmd_length = 0;
	bool v4 = frame_ip(f->data, f->len) == 4;
	__u16 pseudo;
	__u16 ipcse = 0;

	hdr_len = l4 + (buf[l4 + 12] >> 4) * 4U;
	if (v4) {
		memset(buf + l3 + 2, 0, 2);		/* iph->tot_len */
		memset(buf + l3 + IPV4_CSUM_OFF, 0, 2); /* iph->check */
		pseudo = csum_fold16(csum_tcp_pseudo(buf + l3 + 12, buf + l3 + 16, 4, 0));
		cmd_length = E1000_TXD_CMD_IP;
		ipcse = (__u16)(l4 - 1);
	} else {
		memset(buf + l3 + 4, 0, 2); /* ipv6_hdr->payload_len */
		pseudo = csum_fold16(csum_tcp_pseudo(buf + l3 + 8, buf + l3 + 24, 16, 0));
	}
	buf[l4 + TCP_CSUM_OFF] = (__u8)(pseudo >> 8);
	buf[l4 + TCP_CSUM_OFF + 1] = (__u8)pseudo;

	*c = (struct e1000_context_desc){
		.ipcss = (__u8)l3,
		/* as the kernel computes it, IPv4's offset even for IPv6 */
		.ipcso = (__u8)(l3 + IPV4_CSUM_OFF),
		.ipcse = htole16(ipcse),
		.tucss = (__u8)l4,
		.tucso = (__u8)(l4 + TCP_CSUM_OFF),
		.hdr_len = (__u8)hdr_len,
		.mss = htole16(f->gso_size),
	};
	cmd_length |=
		E1000_TXD_CMD_DEXT | E1000_TXD_CMD_TSE | E1000_TXD_CMD_TCP | (f->len - hdr_len);
	c->cmd_and_length = htole32(cmd_length);
	return cmd_length;
}

/* mirrors e1000_tx_csum(), v6.1: the NIC sums from csum_start to the end
 * and stores the result at csum_start + csum_offset */
static void e1000_tx_csum(struct e1000e_ring *r, unsigned int i, const struct replay_frame *f)
{
	struct e1000_context_desc *c = context_desc(r, i);
	int ip = frame_ip(f->data, f->len);
	__u32 cmd_len = E1000_TXD_CMD_DEXT;
	__u8 nexthdr = 0;

	if (ip == 4 && f->len > ETH_HLEN + 9)
		nexthdr = f->data[ETH_HLEN + 9];
	else if (ip == 6 && f->len > ETH_HLEN + 6)
		nexthdr = f->data[ETH_HLEN + 6];
	if (nexthdr == IPPROTO_TCP_)
		cmd_len |= E1000_TXD_CMD_TCP;
	*c = (struct e1000_context_desc){
		.tucss = (__u8)f->csum_start,
		.tucso = (__u8)(f->csum_start + f->csum_offset),
		.cmd_and_length = htole32(cmd_len),
	};
}

/* The IP protocol of an IPv4 or IPv6 frame, 0 for anything else. */
static __u8 frame_l4_proto(const struct replay_frame *f)
{
	int ip = frame_ip(f->data, f->len);

	if (ip == 4 && f->len >= ETH_HLEN + 20)
		return f->data[ETH_HLEN + 9];
	if (ip == 6 && f->len >= ETH_HLEN + 40)
		return f->data[ETH_HLEN + 6];
	return 0;
}

/*
 * Can the NIC do what the frame asks? The kernel asks for TSO only on TCP
 * over IPv4 or IPv6 (NETIF_F_TSO, NETIF_F_TSO6) with the headers whole,
 * and the context descriptor's offsets are one byte each.
 */
static int offload_check(const struct replay_frame *f, char *err, size_t errlen)
{
	__u32 l4 = f->csum_start, hdr_len;
	const char *why = NULL;

	if (!f->len) {
		why = "an empty frame";
	} else if (f->len > (f->gso_size ? E1000E_MAX_TSO : E1000E_MAX_JUMBO)) {
		snprintf(err, errlen, "a %u-byte frame%s: the 82574L sends at most %u", f->len,
			 f->gso_size ? "" : " without TSO",
			 f->gso_size ? E1000E_MAX_TSO : E1000E_MAX_JUMBO);
		return -EMSGSIZE;
	} else if (!f->gso_size && !f->csum_start) {
		return 0;
	} else if (l4 < ETH_HLEN || l4 + f->csum_offset > 253 || l4 + f->csum_offset + 2 > f->len) {
		why = "a checksum the context descriptor cannot place";
	} else if (f->gso_size) {
		hdr_len = l4 + 20 <= f->len ? l4 + (f->data[l4 + 12] >> 4) * 4U : 0;
		if (frame_l4_proto(f) != IPPROTO_TCP_ || f->csum_offset != TCP_CSUM_OFF)
			why = "TSO on a frame that is not TCP over IPv4 or IPv6";
		else if (hdr_len < l4 + 20 || hdr_len > 255 || hdr_len >= f->len)
			why = "TSO with a TCP header the frame does not hold";
	}
	if (!why)
		return 0;
	snprintf(err, errlen, "%s (checksum at %u+%u, TSO segment %u, %u bytes)", why,
		 f->csum_start, f->csum_offset, f->gso_size, f->len);
	return -EINVAL;
}

int e1000_xmit_frame(struct e1000e_ring *r, const struct replay_frame *f, char *err, size_t errlen)
{
	/* skb_put_padto(skb, 17): the least the NIC sends with TCTL.PSP */
	__u32 len = f->len > E1000E_MIN_FRAME ? f->len : E1000E_MIN_FRAME;
	bool ctx = f->gso_size || f->csum_start;
	unsigned int count = ctx + (len + E1000E_BUF_SIZE - 1) / E1000E_BUF_SIZE;
	unsigned int first, i, last;
	__u32 lower = E1000_TXD_CMD_IFCS, upper = 0, off;
	int ret;

	ret = offload_check(f, err, errlen);
	if (ret)
		return ret;
	if (e1000_desc_unused(r) < count) {
		r->ring_full++;
		ret = ring_wait(r, count, err, errlen);
		if (ret)
			return ret;
	}
	first = i = r->next_to_use;
	if (ctx)
		i = ring_next(i);

	/* e1000_tx_map(): the frame into the buffers, a descriptor each */
	for (off = 0, last = i; off < len; off += E1000E_BUF_SIZE) {
		__u32 n = len - off < E1000E_BUF_SIZE ? len - off : E1000E_BUF_SIZE;
		__u8 *buf = r->bufs + (size_t)i * E1000E_BUF_SIZE;

		if (off + n <= f->len) {
			memcpy(buf, f->data + off, n);
		} else { /* the padded tail of a short frame */
			memcpy(buf, f->data + off, f->len - off);
			memset(buf + f->len - off, 0, off + n - f->len);
		}
		r->desc[i].buffer_addr = htole64(r->bufs_phys + (__u64)i * E1000E_BUF_SIZE);
		r->desc[i].lower = n; /* the command bits join below */
		last = i;
		i = ring_next(i);
	}

	if (f->gso_size) {
		/* the headers sit in the first buffer: 255 bytes at most */
		e1000_tso(r, first, f, r->bufs + (size_t)ring_next(first) * E1000E_BUF_SIZE);
		lower |= E1000_TXD_CMD_DEXT | E1000_TXD_DTYP_D | E1000_TXD_CMD_TSE;
		upper |= E1000_TXD_POPTS_TXSM << 8;
		if (frame_ip(f->data, f->len) == 4)
			upper |= E1000_TXD_POPTS_IXSM << 8;
		r->tso_frames++;
	} else if (f->csum_start) {
		e1000_tx_csum(r, first, f);
		lower |= E1000_TXD_CMD_DEXT | E1000_TXD_DTYP_D;
		upper |= E1000_TXD_POPTS_TXSM << 8;
		r->csum_frames++;
	}

	/* e1000_tx_queue(): the command bits, EOP|RS on the last one */
	for (unsigned int j = ctx ? ring_next(first) : first;; j = ring_next(j)) {
		__u32 l = lower | r->desc[j].lower;

		if (j == last)
			l |= E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS;
		r->desc[j].lower = htole32(l);
		r->desc[j].upper = htole32(upper);
		if (j == last)
			break;
	}
	r->next_to_watch[first] = (__u16)last;
	r->next_to_use = ring_next(last);
	r->frames++;
	r->bytes += len;
	r->descs += count;
	return 0;
}
