// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The userspace 82574L TX ring (replay/drivers/e1000e_tx.c) against a fake
 * NIC, with no hardware: BAR0 is a zeroed buffer whose registers are plain
 * words, and the DMA area's "physical" address is its virtual one, so the
 * fake NIC follows TDBAL/TDBAH and every buffer_addr as a pointer. It takes
 * descriptors from its head up to TDT, as the 82574L does: it keeps the
 * last context descriptor, gathers the data descriptors' bytes up to EOP,
 * writes DD back where RS asks for it and moves TDH.
 *
 * Tested: the registers e1000e_ring_init() programs; a plain frame's one
 * legacy descriptor and the tail written only by a kick; a jumbo frame
 * cut into 2 KiB buffers; the context and data descriptors of checksum
 * offload and of TSO over IPv4 and IPv6, with the header edits e1000_tso()
 * makes (in the DMA copy only), and the TSO segments the NIC would make
 * from them verifying as a receiver checks them; the errors for frames the
 * NIC cannot take; a full ring on a NIC that does nothing, reported as a
 * hang; and 3000 frames through the ring several times over, in order and
 * byte for byte. Expected checksums come from tests/unit/net_ref.h, not
 * from replay/checksum.c.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/check.h"
#include "tests/unit/net_ref.h"
#include "replay/drivers/e1000e.h"

#define BAR_SIZE       (128U * 1024)
#define ETH_HLEN       14
#define NIC_MAX_DESCS  40 /* data descriptors of one frame: 64 KiB in 2 KiB, and more */
#define NIC_MAX_FRAMES E1000E_RING_SIZE
#define MS	       (1000ULL * 1000)

/* One frame as the NIC read it, with the descriptors it came in. */
struct nic_frame {
	__u8 *data; /* malloc'd */
	__u32 len;
	unsigned int nr_desc;
	unsigned int idx[NIC_MAX_DESCS]; /* ring slots of its data descriptors */
	__u64 addr[NIC_MAX_DESCS];
	__u32 lower[NIC_MAX_DESCS], upper[NIC_MAX_DESCS]; /* host order, before DD */
	bool ctx_fresh;		       /* a context descriptor came just before it */
	struct e1000_context_desc ctx; /* the context in force (as in the ring) */
};

struct fake_nic {
	__u8 *hw;
	uintptr_t dma; /* the only memory it may read: the DMA area */
	size_t dma_len;
	unsigned int head;
	__u64 descs;	     /* descriptors taken */
	unsigned int wraps;  /* times the head went round */
	unsigned int errors; /* descriptors it could not make sense of */
	bool have_ctx, ctx_fresh;
	struct e1000_context_desc ctx;
	struct nic_frame cur; /* gathered until EOP */
	struct nic_frame out[NIC_MAX_FRAMES];
	unsigned int nr_out;
};

static __u8 *bar;
static void *dma;
static struct e1000e_ring ring;
static struct fake_nic nic;
static char err[256];

static void put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, (__u16)(v >> 16));
	put16(p + 2, (__u16)v);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static bool one_line(const char *s)
{
	return s[0] && !strchr(s, '\n');
}

/* ---- the fake NIC ---- */

static void nic_error(struct fake_nic *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fake NIC, descriptor %u: ", n->head);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	n->errors++;
}

static void nic_release(struct fake_nic *n)
{
	for (unsigned int i = 0; i < n->nr_out; i++)
		free(n->out[i].data);
	n->nr_out = 0;
}

/* As after a reset: head 0, no context, nothing gathered. */
static void nic_reset(struct fake_nic *n)
{
	nic_release(n);
	free(n->cur.data);
	memset(n, 0, sizeof(*n));
	n->hw = bar;
	n->dma = (uintptr_t)dma;
	n->dma_len = E1000E_DMA_SIZE;
}

static void nic_data(struct fake_nic *n, const struct e1000_tx_desc *d, __u32 lower)
{
	bool ext = lower & E1000_TXD_CMD_DEXT;
	__u32 len = ext ? lower & 0xfffff : lower & 0xffff;
	__u64 addr = le64toh(d->buffer_addr);
	struct nic_frame *f = &n->cur;

	if (ext && !n->have_ctx)
		nic_error(n, "extended data descriptor before any context");
	if (!len || addr < n->dma || addr + len > n->dma + n->dma_len) {
		nic_error(n, "buffer 0x%llx+%u outside the DMA area", (unsigned long long)addr,
			  len);
	} else {
		__u8 *p = realloc(f->data, f->len + len);

		if (!p) {
			nic_error(n, "out of memory");
		} else {
			memcpy(p + f->len, (const void *)(uintptr_t)addr, len);
			f->data = p;
			f->len += len;
		}
	}
	if (f->nr_desc < NIC_MAX_DESCS) {
		f->idx[f->nr_desc] = n->head;
		f->addr[f->nr_desc] = addr;
		f->lower[f->nr_desc] = lower;
		f->upper[f->nr_desc] = le32toh(d->upper);
	}
	f->nr_desc++;
	if (!(lower & E1000_TXD_CMD_EOP))
		return;

	if (f->nr_desc > NIC_MAX_DESCS)
		nic_error(n, "a frame of %u descriptors", f->nr_desc);
	f->ctx = n->ctx;
	f->ctx_fresh = n->ctx_fresh;
	n->ctx_fresh = false;
	if (n->nr_out < NIC_MAX_FRAMES)
		n->out[n->nr_out++] = *f;
	else
		nic_error(n, "more frames than the test keeps");
	memset(f, 0, sizeof(*f));
}

/*
 * Takes every descriptor from its head up to TDT; returns how many frames
 * it finished (they are in n->out, after any not yet released).
 */
static unsigned int nic_run(struct fake_nic *n)
{
	__u64 base = (__u64)er32(n->hw, E1000_TDBAH) << 32 | er32(n->hw, E1000_TDBAL);
	unsigned int size = er32(n->hw, E1000_TDLEN) / sizeof(struct e1000_tx_desc);
	struct e1000_tx_desc *descs = (struct e1000_tx_desc *)(uintptr_t)base;
	unsigned int tail = er32(n->hw, E1000_TDT), before = n->nr_out;

	if (base != n->dma || !size || size * sizeof(*descs) > n->dma_len || tail >= size) {
		nic_error(n, "ring at 0x%llx, %u descriptors, tail %u", (unsigned long long)base,
			  size, tail);
		return 0;
	}
	while (n->head != tail) {
		struct e1000_tx_desc *d = &descs[n->head];
		__u32 lower = le32toh(d->lower);
		__u32 dtyp = lower >> 20 & 0xf;

		if (!(lower & E1000_TXD_CMD_DEXT)) {
			nic_data(n, d, lower); /* legacy */
		} else if (dtyp == 0) {
			memcpy(&n->ctx, d, sizeof(n->ctx));
			n->have_ctx = n->ctx_fresh = true;
		} else if (dtyp == 1) {
			nic_data(n, d, lower);
		} else {
			nic_error(n, "descriptor type %u", dtyp);
		}
		/* the write-back: DD in the status byte, upper's lowest */
		if (lower & E1000_TXD_CMD_RS)
			d->upper = htole32(le32toh(d->upper) | E1000_TXD_STAT_DD);
		n->descs++;
		n->head = n->head + 1 == size ? 0 : n->head + 1;
		if (!n->head)
			n->wraps++;
		ew32(n->hw, E1000_TDH, n->head);
	}
	return n->nr_out - before;
}

/*
 * Cuts a TSO frame as the 82574L does and checks each segment as a
 * receiver would: IPv4 header checksum, TCP checksum over the whole
 * pseudo-header, payload. The NIC fills in each segment's IP length and
 * sequence number, and its TCP checksum from the seed the driver left at
 * tucso plus the segment's TCP length; so a wrong seed, offset or header
 * length fails here, whatever the values the descriptors hold. Returns
 * how many segments verify.
 */
static unsigned int tso_good_segments(const struct nic_frame *nf, const __u8 *orig)
{
	static __u8 seg[256 + 65536];
	const struct e1000_context_desc *c = &nf->ctx;
	__u32 cmd = le32toh(c->cmd_and_length);
	__u32 hdr = c->hdr_len, mss = le16toh(c->mss), paylen = cmd & 0xfffff;
	__u32 ipcse = le16toh(c->ipcse);
	bool v4 = cmd & E1000_TXD_CMD_IP;
	unsigned int good = 0, n = 0;

	if (!mss || hdr + paylen != nf->len || c->ipcss >= c->tucss || c->tucss + 20U > hdr ||
	    c->tucso + 2U > hdr ||
	    (v4 && (ipcse < c->ipcss || ipcse >= hdr || c->ipcso + 2U > hdr)))
		return 0;
	for (__u32 off = 0; off < paylen; off += mss, n++) {
		__u32 pay = paylen - off < mss ? paylen - off : mss;
		__u32 tcp_len = hdr - c->tucss + pay;
		__u8 *ip = seg + c->ipcss, *tcp = seg + c->tucss;
		__u16 pseudo;

		memcpy(seg, nf->data, hdr);
		memcpy(seg + hdr, nf->data + hdr + off, pay);
		/* what the NIC writes */
		put32(tcp + 4, rd32(tcp + 4) + off);
		if (v4) {
			put16(ip + 2, (__u16)(hdr - c->ipcss + pay));
			put16(ip + 4, (__u16)(rd16(ip + 4) + n));
			put16(seg + c->ipcso, (__u16)~ref_sum(ip, ipcse - c->ipcss + 1, 0));
		} else {
			put16(ip + 4, (__u16)(hdr - c->ipcss - 40 + pay));
		}
		put16(seg + c->tucso, (__u16)~ref_sum(tcp, tcp_len, tcp_len));

		/* what a receiver checks */
		if (v4) {
			__u32 ihl = (ip[0] & 15) * 4U;

			if (ref_sum(ip, ihl, 0) != 0xffff || rd16(ip + 2) != ihl + tcp_len)
				continue;
			pseudo = ref_sum(ip + 12, 8, 6 + tcp_len);
		} else {
			if (rd16(ip + 4) != tcp_len)
				continue;
			pseudo = ref_sum(ip + 8, 32, 6 + tcp_len);
		}
		if (ref_sum(tcp, tcp_len, pseudo) != 0xffff)
			continue;
		if (memcmp(seg + hdr, orig + hdr + off, pay))
			continue;
		good++;
	}
	return good;
}

/* ---- frames ---- */

/* Bytes that do not repeat every 256: a buffer sliced at the wrong
 * offset shows. */
static void fill_bytes(__u8 *p, __u32 len, __u32 seed)
{
	__u32 x = seed * 2654435761U + 1;

	for (__u32 i = 0; i < len; i++) {
		x = x * 1103515245U + 12345U;
		p[i] = (__u8)(x >> 16);
	}
}

static void put_eth(__u8 *f, __u16 proto)
{
	static const __u8 macs[12] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
				      0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};

	memcpy(f, macs, sizeof(macs));
	put16(f + 12, proto);
}

/* 32 bytes of TCP header, as Linux sends it (timestamps: data offset 8).
 * The checksum field holds a value the NIC must not see in TSO. */
static void put_tcp(__u8 *tcp, __u32 seed)
{
	memset(tcp, 0, 32);
	put16(tcp, 40000);
	put16(tcp + 2, 5201);
	put32(tcp + 4, 0x10000000U + seed);
	put32(tcp + 8, 0x20000000U + seed);
	tcp[12] = 8 << 4;
	tcp[13] = 0x18; /* ACK|PSH */
	put16(tcp + 14, 502);
	put16(tcp + 16, 0xbeef);
	tcp[20] = 1; /* NOP, NOP, timestamps */
	tcp[21] = 1;
	tcp[22] = 8;
	tcp[23] = 10;
	put32(tcp + 24, 123456 + seed);
	put32(tcp + 28, 654321);
}

/* Ethernet, IPv4 (20 bytes, a correct checksum), TCP (32); returns the length. */
static __u32 make_tcp4(__u8 *f, __u32 payload, __u32 seed)
{
	__u8 *ip = f + ETH_HLEN;

	put_eth(f, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (__u16)(20 + 32 + payload));
	put16(ip + 4, (__u16)seed);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, 0x0a000001);
	put32(ip + 16, 0xc0a84dc8);
	put16(ip + 10, (__u16)~ref_sum(ip, 20, 0));
	put_tcp(ip + 20, seed);
	fill_bytes(ip + 52, payload, seed);
	return ETH_HLEN + 20 + 32 + payload;
}

/* Ethernet, IPv6 (40 bytes, next header TCP), TCP (32). */
static __u32 make_tcp6(__u8 *f, __u32 payload, __u32 seed)
{
	__u8 *ip = f + ETH_HLEN;

	put_eth(f, 0x86dd);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[2] = 0x12; /* a flow label */
	ip[3] = 0x34;
	put16(ip + 4, (__u16)(32 + payload));
	ip[6] = 6;
	ip[7] = 64;
	put32(ip + 8, 0x20010db8); /* from 2001:db8::1 */
	put32(ip + 20, 1);
	put32(ip + 24, 0x20010db8); /* to 2001:db8:0:1:0:2:0:9a42 */
	put32(ip + 28, 1);
	put32(ip + 32, 2);
	put32(ip + 36, 0x9a42);
	put_tcp(ip + 40, seed);
	fill_bytes(ip + 72, payload, seed);
	return ETH_HLEN + 40 + 32 + payload;
}

/* A fresh ring over a fresh NIC. */
static void setup(void)
{
	memset(bar, 0, BAR_SIZE);
	e1000e_ring_init(&ring, bar, dma, (uintptr_t)dma);
	nic_reset(&nic);
}

static int xmit(const struct replay_frame *f)
{
	err[0] = 0;
	return e1000_xmit_frame(&ring, f, err, sizeof(err));
}

static __u32 div_up(__u32 a, __u32 b)
{
	return (a + b - 1) / b;
}

/* The cmd/type bits of a data descriptor's lower word, without its length. */
static __u32 desc_cmd(__u32 lower)
{
	return lower & 0xfff00000U;
}

/*
 * The data descriptors of a frame of len bytes: E1000E_BUF_SIZE each,
 * cmd on all, EOP|RS on the last only, upper as given, each pointing at
 * its slot's own buffer. Returns the number of descriptors that are not
 * so (one CHECK per frame, not one per descriptor).
 */
static unsigned int bad_descs(const struct nic_frame *nf, __u32 len, __u32 cmd, __u32 upper)
{
	unsigned int bad = 0, n = div_up(len, E1000E_BUF_SIZE);

	if (nf->nr_desc != n || n > NIC_MAX_DESCS)
		return n ? n : 1;
	for (unsigned int k = 0; k < n; k++) {
		__u32 want_len = k + 1 < n ? E1000E_BUF_SIZE : len - k * E1000E_BUF_SIZE;
		__u32 want_cmd = cmd | (k + 1 < n ? 0 : E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS);
		__u32 len_mask = cmd & E1000_TXD_CMD_DEXT ? 0xfffff : 0xffff;

		if (desc_cmd(nf->lower[k]) != want_cmd || (nf->lower[k] & len_mask) != want_len ||
		    nf->upper[k] != upper ||
		    nf->addr[k] != ring.bufs_phys + (__u64)nf->idx[k] * E1000E_BUF_SIZE)
			bad++;
	}
	return bad;
}

/* ---- the tests ---- */

static void test_init(void)
{
	__u64 phys = (uintptr_t)dma;
	bool zeroed = true;

	/* whatever the registers and the memory held before */
	memset(bar, 0xa5, BAR_SIZE);
	memset(dma, 0x5a, E1000E_DMA_SIZE);
	e1000e_ring_init(&ring, bar, dma, phys);

	CHECK_EQ_U64(er32(bar, E1000_TDBAL), (__u32)phys);
	CHECK_EQ_U64(er32(bar, E1000_TDBAH), (__u32)(phys >> 32));
	CHECK_EQ_U64(er32(bar, E1000_TDLEN), 512 * 16);
	CHECK_EQ_U64(er32(bar, E1000_TDH), 0);
	CHECK_EQ_U64(er32(bar, E1000_TDT), 0);
	/* the descriptors must not hold a DD from before */
	for (size_t i = 0; i < 512 * 16; i++)
		zeroed &= ((const __u8 *)dma)[i] == 0;
	CHECK(zeroed);
	CHECK_EQ_U64(ring.bufs_phys, phys + 512 * 16);
	CHECK(ring.bufs == (__u8 *)dma + 512 * 16);
	CHECK_EQ_U64(ring.next_to_use, 0);
	CHECK_EQ_U64(ring.next_to_clean, 0);
}

static void test_plain(void)
{
	__u8 a[60], b[60];
	struct replay_frame f = {.data = a, .len = 60, .wire_len = 60};

	setup();
	fill_bytes(a, sizeof(a), 1);
	fill_bytes(b, sizeof(b), 2);
	for (int k = 0; k < 2; k++) {
		unsigned int slot = ring.next_to_use;
		const struct e1000_tx_desc *d = &ring.desc[slot];

		f.data = k ? b : a;
		CHECK(xmit(&f) == 0);
		CHECK_EQ_U64(slot, k);
		CHECK_EQ_U64(le32toh(d->lower),
			     E1000_TXD_CMD_IFCS | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS | 60);
		CHECK_EQ_U64(le32toh(d->upper), 0);
		CHECK_EQ_U64(le64toh(d->buffer_addr), ring.bufs_phys + slot * 2048ULL);
		CHECK(!memcmp(ring.bufs + slot * 2048, f.data, 60));
	}

	/* queued is not sent: the NIC sees nothing before the tail moves */
	CHECK_EQ_U64(er32(bar, E1000_TDT), 0);
	CHECK_EQ_U64(ring.tail_writes, 0);
	CHECK_EQ_U64(nic_run(&nic), 0);
	e1000e_ring_kick(&ring);
	CHECK_EQ_U64(er32(bar, E1000_TDT), 2);
	CHECK_EQ_U64(ring.tail_writes, 1);
	/* a kick with nothing new must not write: poison TDT to see */
	ew32(bar, E1000_TDT, 0xdead);
	e1000e_ring_kick(&ring);
	CHECK_EQ_U64(er32(bar, E1000_TDT), 0xdead);
	CHECK_EQ_U64(ring.tail_writes, 1);
	ew32(bar, E1000_TDT, 2);

	CHECK_EQ_U64(nic_run(&nic), 2);
	for (unsigned int k = 0; k < nic.nr_out && k < 2; k++) {
		const struct nic_frame *nf = &nic.out[k];

		CHECK_EQ_U64(nf->len, 60);
		CHECK(nf->len == 60 && !memcmp(nf->data, k ? b : a, 60));
		CHECK(!nf->ctx_fresh);
		CHECK_EQ_U64(bad_descs(nf, 60, E1000_TXD_CMD_IFCS, 0), 0);
	}
	CHECK_EQ_U64(er32(bar, E1000_TDH), 2);
	CHECK(le32toh(ring.desc[1].upper) & E1000_TXD_STAT_DD);
	CHECK_EQ_U64(e1000_clean_tx_irq(&ring), 2);
	CHECK_EQ_U64(e1000_clean_tx_irq(&ring), 0);
	CHECK_EQ_U64(ring.next_to_clean, 2);
	CHECK_EQ_U64(ring.frames, 2);
	CHECK_EQ_U64(ring.bytes, 120);
	CHECK_EQ_U64(ring.descs, 2);
	CHECK_EQ_U64(nic.errors, 0);
	nic_release(&nic);
}

static void test_jumbo(void)
{
	static __u8 buf[5000];
	struct replay_frame f = {.data = buf, .len = 5000, .wire_len = 5000};
	const struct nic_frame *nf = &nic.out[0];

	setup();
	fill_bytes(buf, sizeof(buf), 3);
	CHECK(xmit(&f) == 0);
	e1000e_ring_kick(&ring);
	CHECK_EQ_U64(nic_run(&nic), 1);
	CHECK_EQ_U64(nf->nr_desc, 3);
	CHECK_EQ_U64(nf->lower[0], E1000_TXD_CMD_IFCS | 2048);
	CHECK_EQ_U64(nf->lower[1], E1000_TXD_CMD_IFCS | 2048);
	CHECK_EQ_U64(nf->lower[2], E1000_TXD_CMD_IFCS | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS | 904);
	CHECK_EQ_U64(bad_descs(nf, 5000, E1000_TXD_CMD_IFCS, 0), 0);
	CHECK(nf->len == 5000 && !memcmp(nf->data, buf, 5000));
	CHECK(!nf->ctx_fresh);
	/* one frame, three descriptors freed together */
	CHECK_EQ_U64(e1000_clean_tx_irq(&ring), 3);
	CHECK_EQ_U64(ring.descs, 3);
	CHECK_EQ_U64(ring.csum_frames + ring.tso_frames, 0);
	CHECK_EQ_U64(nic.errors, 0);
	nic_release(&nic);
}

static void test_csum(void)
{
	static const struct {
		bool v6;
		__u8 l4proto;
		__u16 csum_start, csum_offset;
		__u32 cmd;
	} cases[] = {
		{false, 6, 34, 16, E1000_TXD_CMD_DEXT | E1000_TXD_CMD_TCP},
		{false, 17, 34, 6, E1000_TXD_CMD_DEXT}, /* UDP: no TCP bit */
		{true, 6, 54, 16, E1000_TXD_CMD_DEXT | E1000_TXD_CMD_TCP},
	};
	static __u8 buf[3100];

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		__u32 len = cases[i].v6 ? make_tcp6(buf, 3000, i) : make_tcp4(buf, 3000, i);
		struct replay_frame f = {.data = buf,
					 .len = len,
					 .wire_len = len,
					 .csum_start = cases[i].csum_start,
					 .csum_offset = cases[i].csum_offset};
		const struct nic_frame *nf = &nic.out[0];
		const struct e1000_context_desc *c = &nf->ctx;

		buf[ETH_HLEN + (cases[i].v6 ? 6 : 9)] = cases[i].l4proto;
		setup();
		CHECK(xmit(&f) == 0);
		e1000e_ring_kick(&ring);
		CHECK_EQ_U64(nic_run(&nic), 1);
		CHECK(nf->ctx_fresh);
		CHECK_EQ_U64(c->ipcss, 0);
		CHECK_EQ_U64(c->ipcso, 0);
		CHECK_EQ_U64(le16toh(c->ipcse), 0);
		CHECK_EQ_U64(c->tucss, cases[i].csum_start);
		CHECK_EQ_U64(c->tucso, cases[i].csum_start + cases[i].csum_offset);
		CHECK_EQ_U64(le16toh(c->tucse), 0);
		CHECK_EQ_U64(le32toh(c->cmd_and_length), cases[i].cmd);
		CHECK_EQ_U64(c->hdr_len, 0);
		CHECK_EQ_U64(le16toh(c->mss), 0);
		/* POPTS TXSM: upper bits 15:8 == 0x02 */
		CHECK_EQ_U64(nf->upper[0] >> 8 & 0xff, 0x02);
		CHECK_EQ_U64(bad_descs(nf, len,
				       E1000_TXD_CMD_DEXT | E1000_TXD_DTYP_D | E1000_TXD_CMD_IFCS,
				       E1000_TXD_POPTS_TXSM << 8),
			     0);
		/* the NIC sums: the bytes go as they are */
		CHECK(nf->len == len && !memcmp(nf->data, buf, len));
		CHECK_EQ_U64(e1000_clean_tx_irq(&ring), 1 + div_up(len, 2048));
		CHECK_EQ_U64(ring.descs, 1 + div_up(len, 2048));
		CHECK_EQ_U64(ring.csum_frames, 1);
		CHECK_EQ_U64(nic.errors, 0);
		nic_release(&nic);
	}
}

/*
 * TSO as e1000_tso() sets it up. In the bytes the NIC reads: the IP
 * length (and IPv4 checksum) zeroed, the TCP checksum the pseudo-header's
 * folded sum without length, not complemented, as ~csum_tcpudp_magic(...,
 * 0, IPPROTO_TCP, 0) leaves it; everything else as the caller gave it.
 */
static void test_tso(bool v6)
{
	static __u8 buf[128 + 10000], orig[sizeof(buf)], want[sizeof(buf)];
	__u32 payload = 10000, l3 = ETH_HLEN, l4 = v6 ? 54 : 34, hdr = l4 + 32;
	__u32 len = v6 ? make_tcp6(buf, payload, 7) : make_tcp4(buf, payload, 7);
	struct replay_frame f = {.data = buf,
				 .len = len,
				 .wire_len = len,
				 .gso_size = 1448,
				 .csum_start = (__u16)l4,
				 .csum_offset = 16};
	const struct nic_frame *nf = &nic.out[0];
	const struct e1000_context_desc *c = &nf->ctx;
	__u32 cmd = E1000_TXD_CMD_DEXT | E1000_TXD_CMD_TSE | E1000_TXD_CMD_TCP | (len - hdr);
	__u32 data_cmd =
		E1000_TXD_CMD_DEXT | E1000_TXD_DTYP_D | E1000_TXD_CMD_TSE | E1000_TXD_CMD_IFCS;
	__u32 popts = E1000_TXD_POPTS_TXSM;
	__u16 pseudo;

	memcpy(orig, buf, len);
	memcpy(want, buf, len);
	if (v6) {
		put16(want + l3 + 4, 0); /* payload_len */
		pseudo = ref_sum(orig + l3 + 8, 32, 6);
	} else {
		put16(want + l3 + 2, 0);  /* tot_len */
		put16(want + l3 + 10, 0); /* check */
		pseudo = ref_sum(orig + l3 + 12, 8, 6);
		cmd |= E1000_TXD_CMD_IP;
		popts |= E1000_TXD_POPTS_IXSM;
	}
	put16(want + l4 + 16, pseudo);

	setup();
	CHECK(xmit(&f) == 0);
	/* the driver edits its DMA copy, never the caller's frame */
	CHECK(!memcmp(buf, orig, len));
	e1000e_ring_kick(&ring);
	CHECK_EQ_U64(nic_run(&nic), 1);
	CHECK(nf->ctx_fresh);
	CHECK_EQ_U64(c->ipcss, 14);
	if (!v6) {
		CHECK_EQ_U64(c->ipcso, 24);
		CHECK_EQ_U64(le16toh(c->ipcse), 33);
	} else {
		/* no IXSM: the NIC leaves IPv6's header alone (ipcso is
		 * IPv4's offset as the kernel computes it; not checked) */
		CHECK_EQ_U64(le16toh(c->ipcse), 0);
	}
	CHECK_EQ_U64(c->tucss, l4);
	CHECK_EQ_U64(c->tucso, l4 + 16);
	CHECK_EQ_U64(le16toh(c->tucse), 0);
	CHECK_EQ_U64(c->hdr_len, hdr);
	CHECK_EQ_U64(le16toh(c->mss), 1448);
	CHECK_EQ_U64(le32toh(c->cmd_and_length), cmd);
	CHECK_EQ_U64(bad_descs(nf, len, data_cmd, popts << 8), 0);

	CHECK_EQ_U64(nf->len, len);
	if (nf->len == len) {
		if (v6) {
			CHECK_EQ_U64(rd16(nf->data + l3 + 4), 0);
		} else {
			CHECK_EQ_U64(rd16(nf->data + l3 + 2), 0);
			CHECK_EQ_U64(rd16(nf->data + l3 + 10), 0);
		}
		CHECK_EQ_U64(rd16(nf->data + l4 + 16), pseudo);
		CHECK(!memcmp(nf->data, want, len)); /* and nothing else changed */
		/* 10000 bytes in 1448: six full segments and one of 1312 */
		CHECK_EQ_U64(tso_good_segments(nf, orig), 7);
	}
	CHECK_EQ_U64(e1000_clean_tx_irq(&ring), 1 + div_up(len, 2048));
	CHECK_EQ_U64(ring.tso_frames, 1);
	CHECK_EQ_U64(nic.errors, 0);
	nic_release(&nic);
}

static void test_errors(void)
{
	static __u8 buf[9015], snap[E1000E_DMA_SIZE];
	struct replay_frame big = {.data = buf, .len = 9015, .wire_len = 9015};
	struct replay_frame csum = {
		.data = buf, .len = 200, .wire_len = 200, .csum_start = 250, .csum_offset = 16};
	struct replay_frame arp = {.data = buf,
				   .len = 200,
				   .wire_len = 200,
				   .gso_size = 1448,
				   .csum_start = 34,
				   .csum_offset = 16};
	__u32 len = make_tcp4(buf, 9015 - 66, 9);

	setup();
	memcpy(snap, dma, E1000E_DMA_SIZE);
	CHECK_EQ_U64(len, 9015);

	CHECK_EQ_U64(xmit(&big), -EMSGSIZE);
	CHECK(one_line(err) && strstr(err, "9015"));
	CHECK_EQ_U64(xmit(&csum), -EINVAL);
	CHECK(one_line(err));
	/* TSO needs an IP header to edit: not on an ARP frame */
	put16(buf + 12, 0x0806);
	CHECK_EQ_U64(xmit(&arp), -EINVAL);
	CHECK(one_line(err));
	put16(buf + 12, 0x0800);

	/* TSO on a frame shorter than its own TCP header (data offset 8
	 * words, 66 bytes of headers in 54): the payload length would wrap */
	arp.len = arp.wire_len = 54;
	CHECK_EQ_U64(xmit(&arp), -EINVAL);
	CHECK(one_line(err) && strstr(err, "TCP header"));
	/* TSO with no checksum start: there is no TCP header to find */
	arp.len = arp.wire_len = 200;
	arp.csum_start = 0;
	CHECK_EQ_U64(xmit(&arp), -EINVAL);
	CHECK(one_line(err));
	/* TSO on UDP (protocol 17): NETIF_F_TSO is TCP's only */
	arp.csum_start = 34;
	buf[ETH_HLEN + 9] = 17;
	CHECK_EQ_U64(xmit(&arp), -EINVAL);
	CHECK(one_line(err) && strstr(err, "not TCP"));
	buf[ETH_HLEN + 9] = 6;

	/* a failed call queues nothing and touches neither ring nor buffers */
	CHECK_EQ_U64(ring.next_to_use, 0);
	CHECK_EQ_U64(ring.frames + ring.descs + ring.ring_full, 0);
	CHECK(!memcmp(snap, dma, E1000E_DMA_SIZE));

	/* one byte less is the longest frame it takes without TSO */
	big.len = big.wire_len = 9014;
	CHECK(xmit(&big) == 0);
	CHECK_EQ_U64(ring.next_to_use, 5);
	e1000e_ring_kick(&ring);
	CHECK_EQ_U64(nic_run(&nic), 1);
	CHECK(nic.out[0].len == 9014 && !memcmp(nic.out[0].data, buf, 9014));
	CHECK_EQ_U64(e1000e_ring_drain(&ring, err, sizeof(err)), 0);
	CHECK_EQ_U64(nic.errors, 0);
	nic_release(&nic);
}

/* DD bits left from the ring's last lap, past the frames queued now (a
 * NIC that lost bus mastering writes no new ones): cleaning stops at what
 * is queued and never runs past next_to_use. */
static void test_stale_dd(void)
{
	__u8 buf[60] = {0};
	struct replay_frame f = {.data = buf, .len = 60, .wire_len = 60};

	setup();
	CHECK(xmit(&f) == 0); /* slot 0, not done */
	for (unsigned int i = 0; i < E1000E_RING_SIZE; i++)
		ring.desc[i].upper = htole32(E1000_TXD_STAT_DD);
	ring.desc[0].upper = 0;
	ring.next_to_watch[0] = 300; /* as a stale lap would leave it */
	CHECK_EQ_U64(e1000_clean_tx_irq(&ring), 0);
	CHECK_EQ_U64(ring.next_to_clean, 0);
	ring.next_to_watch[0] = 0;
	ring.desc[0].upper = htole32(E1000_TXD_STAT_DD);
	CHECK_EQ_U64(e1000_clean_tx_irq(&ring), 1);
	CHECK_EQ_U64(ring.next_to_clean, 1);
	CHECK_EQ_U64(ring.next_to_use, 1);
}

/* A frame under 17 bytes goes out padded with zeros to 17, as
 * skb_put_padto(skb, 17) makes it: the least the NIC takes with PSP. */
static void test_short(void)
{
	const __u8 tiny[14] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x88, 0xb5};
	const __u8 want[17] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x88, 0xb5};
	struct replay_frame f = {.data = tiny, .len = 14, .wire_len = 14};

	setup();
	/* a stale buffer: the padding must be written, not left over */
	memset(ring.bufs, 0xee, E1000E_BUF_SIZE);
	CHECK(xmit(&f) == 0);
	e1000e_ring_kick(&ring);
	CHECK_EQ_U64(nic_run(&nic), 1);
	CHECK_EQ_U64(nic.out[0].len, 17);
	CHECK(!memcmp(nic.out[0].data, want, sizeof(want)));
	CHECK_EQ_U64(ring.bytes, 17);
	CHECK_EQ_U64(nic.errors, 0);
	nic_release(&nic);
}

/*
 * A NIC that takes nothing: 511 frames fill the ring (one slot stays
 * empty), the 512th waits hang_ns, then fails as a hang naming TDH. Once
 * the NIC has run, the ring is whole again.
 */
static void test_ring_full(void)
{
	__u8 buf[60];
	struct replay_frame f = {.data = buf, .len = 60, .wire_len = 60};
	unsigned int sent = 0, bad = 0;
	__u64 t0, waited = 0;
	int ret;

	setup();
	ring.hang_ns = 30 * MS;
	for (;;) {
		fill_bytes(buf, sizeof(buf), sent);
		t0 = now_ns();
		ret = xmit(&f);
		waited = now_ns() - t0;
		if (ret || sent == 2 * E1000E_RING_SIZE)
			break;
		sent++;
	}
	CHECK_EQ_U64(sent, E1000E_RING_SIZE - 1);
	CHECK_EQ_U64(ret, -ETIMEDOUT);
	CHECK(waited >= 30 * MS);
	CHECK(one_line(err) && strstr(err, "TX hang") && strstr(err, "TDH"));
	CHECK_EQ_U64(ring.ring_full, 1);
	CHECK_EQ_U64(ring.frames, E1000E_RING_SIZE - 1);
	/* the wait wrote the tail first: a live NIC would have had the frames */
	CHECK_EQ_U64(er32(bar, E1000_TDT), E1000E_RING_SIZE - 1);
	CHECK_EQ_U64(e1000e_ring_drain(&ring, err, sizeof(err)), -ETIMEDOUT);
	CHECK(strstr(err, "TX hang") != NULL);

	CHECK_EQ_U64(nic_run(&nic), E1000E_RING_SIZE - 1);
	for (unsigned int i = 0; i < nic.nr_out; i++) {
		fill_bytes(buf, sizeof(buf), i);
		bad += nic.out[i].len != 60 || memcmp(nic.out[i].data, buf, 60);
	}
	CHECK_EQ_U64(bad, 0);
	nic_release(&nic);
	CHECK_EQ_U64(e1000_clean_tx_irq(&ring), E1000E_RING_SIZE - 1);

	fill_bytes(buf, sizeof(buf), 1000);
	CHECK(xmit(&f) == 0);
	CHECK_EQ_U64(ring.ring_full, 1);
	e1000e_ring_kick(&ring);
	CHECK_EQ_U64(er32(bar, E1000_TDT), 0); /* slot 511 taken, the tail wraps */
	CHECK_EQ_U64(nic_run(&nic), 1);
	CHECK(nic.out[0].len == 60 && !memcmp(nic.out[0].data, buf, 60));
	CHECK_EQ_U64(e1000e_ring_drain(&ring, err, sizeof(err)), 0);
	CHECK_EQ_U64(nic.errors, 0);
	nic_release(&nic);
}

#define WRAP_FRAMES 3000

static bool wrap_csum(unsigned int i)
{
	return i % 3 == 1;
}

/* Frame i of the wraparound test into buf: 60..5000 bytes, every third a
 * TCP frame with its checksum left to the NIC. Returns its length. */
static __u32 wrap_frame(unsigned int i, __u8 *buf)
{
	__u32 len = 60 + (i * 7919U) % (5000 - 60 + 1);

	if (!wrap_csum(i)) {
		fill_bytes(buf, len, i);
		return len;
	}
	return make_tcp4(buf, len < 66 ? 0 : len - 66, i);
}

/*
 * Many laps of the ring: batches of 1..64 frames, a kick and a NIC run
 * after each. Only every eighth batch reclaims with e1000_clean_tx_irq();
 * the others leave it to xmit's wait, which must find the NIC done. One
 * buffer lends every frame: the driver has to copy it at the call.
 */
static void test_wraparound(void)
{
	static __u8 buf[5000], want[5000];
	unsigned int sent = 0, got = 0, batches = 0, bad = 0, csum = 0;
	__u64 bytes = 0, descs = 0;

	setup();
	while (sent < WRAP_FRAMES) {
		unsigned int n = 1 + (batches * 37) % 64;

		for (unsigned int k = 0; k < n && sent < WRAP_FRAMES; k++, sent++) {
			__u32 len = wrap_frame(sent, buf);
			struct replay_frame f = {.data = buf, .len = len, .wire_len = len};
			int ret;

			if (wrap_csum(sent)) {
				f.csum_start = 34;
				f.csum_offset = 16;
				csum++;
			}
			ret = xmit(&f);
			if (ret) {
				fprintf(stderr, "frame %u: %s\n", sent, err);
				CHECK(ret == 0);
				return;
			}
			bytes += len;
			descs += wrap_csum(sent) + div_up(len, E1000E_BUF_SIZE);
		}
		e1000e_ring_kick(&ring);
		nic_run(&nic);
		for (unsigned int k = 0; k < nic.nr_out; k++, got++) {
			const struct nic_frame *nf = &nic.out[k];
			__u32 len = wrap_frame(got, want);
			__u32 cmd = wrap_csum(got) ? E1000_TXD_CMD_DEXT | E1000_TXD_DTYP_D : 0;
			__u32 upper = wrap_csum(got) ? E1000_TXD_POPTS_TXSM << 8 : 0;

			if (nf->len != len || memcmp(nf->data, want, len) ||
			    nf->ctx_fresh != wrap_csum(got) ||
			    bad_descs(nf, len, cmd | E1000_TXD_CMD_IFCS, upper) ||
			    (nf->ctx_fresh && nf->ctx.tucss != 34)) {
				if (!bad)
					fprintf(stderr, "frame %u: not as sent\n", got);
				bad++;
			}
		}
		nic_release(&nic);
		if (batches % 8 == 7)
			e1000_clean_tx_irq(&ring);
		batches++;
	}
	CHECK_EQ_U64(got, WRAP_FRAMES);
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(ring.frames, WRAP_FRAMES);
	CHECK_EQ_U64(ring.bytes, bytes);
	CHECK_EQ_U64(ring.descs, descs);
	CHECK_EQ_U64(ring.csum_frames, csum);
	CHECK_EQ_U64(nic.descs, descs);
	CHECK(nic.wraps >= 5); /* the point: many laps, not one */
	/* xmit's wait did run, and only ever found the NIC done */
	CHECK(ring.ring_full > 0);
	CHECK(ring.tail_writes >= batches && ring.tail_writes <= batches + ring.ring_full);
	CHECK_EQ_U64(e1000e_ring_drain(&ring, err, sizeof(err)), 0);
	CHECK_EQ_U64(ring.next_to_clean, ring.next_to_use);
	CHECK_EQ_U64(ring.next_to_use, er32(bar, E1000_TDH));
	CHECK_EQ_U64(nic.errors, 0);
}

int main(void)
{
	bar = calloc(1, BAR_SIZE);
	dma = aligned_alloc(4096, E1000E_DMA_SIZE);
	if (!bar || !dma) {
		perror("alloc");
		return 1;
	}
	test_init();
	test_plain();
	test_jumbo();
	test_csum();
	test_tso(false);
	test_tso(true);
	test_errors();
	test_short();
	test_stale_dd();
	test_ring_full();
	test_wraparound();
	nic_reset(&nic);
	free(dma);
	free(bar);
	return check_done("test_e1000e");
}
