// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * e1000e:PCI_ADDR: an Intel 82574L (QEMU's -device e1000e, 8086:10d3)
 * driven from userspace, as ixy drives its NICs: the device through
 * uio_pci_generic (pci.c), DMA memory from a hugepage (dma.c), the TX
 * ring (e1000e_tx.c). This file brings the NIC up and down, following
 * e1000e's e1000e_reset() and e1000_configure_tx(), and nothing else: no
 * interrupts (the ring is polled), no RX, no PHY setup beyond link up.
 *
 * One tx_batch() fills the ring, one flush() writes the tail: one MMIO
 * write per batch and no system call at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dma.h"
#include "e1000e.h"
#include "output_ops.h"
#include "pci.h"

#define E1000E_VENDOR	 0x8086
#define E1000E_DEVICE	 0x10d3 /* 82574L */
#define RESET_WAIT_MS	 100
#define LINK_TIMEOUT_MS	 5000
#define POLL_INTERVAL_MS 10

struct e1000e_out {
	struct output out;
	struct pci_dev pci;
	struct dma_mem dma;
	struct e1000e_ring ring;
	/* the NIC's statistics registers, which clear on read, summed */
	__u64 gptc, gotc, tpt, tsctc;
};

static struct e1000e_out *to_e1000e(struct output *o)
{
	return output_container_of(o, struct e1000e_out, out);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static void read_stats(struct e1000e_out *e)
{
	volatile __u8 *hw = e->pci.bar0;

	e->gptc += er32(hw, E1000_GPTC);
	/* the low half first: reading the high one clears both */
	e->gotc += er32(hw, E1000_GOTCL);
	e->gotc += (__u64)er32(hw, E1000_GOTCH) << 32;
	e->tpt += er32(hw, E1000_TPT);
	e->tsctc += er32(hw, E1000_TSCTC);
}

/*
 * mirrors e1000e_reset() → e1000_reset_hw_82571(), v6.1, in part: no
 * interrupts, RX and TX off, a global reset, no interrupts again (the reset
 * unmasks nothing, but a killed run may have left IMS set). QEMU 7.2's
 * reset keeps most registers, so e1000_configure_tx() below sets all it
 * needs. The statistics are read once here to start from zero.
 */
static int e1000e_reset(struct e1000e_out *e, char *err, size_t errlen)
{
	volatile __u8 *hw = e->pci.bar0;

	ew32(hw, E1000_IMC, 0xffffffff);
	/* RX stays off: its ring would be whatever the last driver left */
	ew32(hw, E1000_RCTL, 0);
	ew32(hw, E1000_TCTL, er32(hw, E1000_TCTL) & ~E1000_TCTL_EN);
	ew32(hw, E1000_CTRL, er32(hw, E1000_CTRL) | E1000_CTRL_RST);
	for (int ms = 0; er32(hw, E1000_CTRL) & E1000_CTRL_RST; ms++) {
		if (ms >= RESET_WAIT_MS) {
			snprintf(err, errlen, "%s: reset did not complete in %d ms (CTRL 0x%08x)",
				 e->pci.addr, RESET_WAIT_MS, er32(hw, E1000_CTRL));
			return -ETIMEDOUT;
		}
		sleep_ms(1);
	}
	ew32(hw, E1000_IMC, 0xffffffff);
	(void)er32(hw, E1000_ICR);
	read_stats(e);
	e->gptc = e->gotc = e->tpt = e->tsctc = 0;
	return 0;
}

/* Set Link Up, then wait for STATUS.LU: the other end must be there. */
static int e1000e_link_up(struct e1000e_out *e, char *err, size_t errlen)
{
	volatile __u8 *hw = e->pci.bar0;

	ew32(hw, E1000_CTRL, er32(hw, E1000_CTRL) | E1000_CTRL_SLU);
	for (int ms = 0; !(er32(hw, E1000_STATUS) & E1000_STATUS_LU); ms += POLL_INTERVAL_MS) {
		if (ms >= LINK_TIMEOUT_MS) {
			snprintf(err, errlen,
				 "%s: no link after %d ms (STATUS 0x%08x): is the port connected?",
				 e->pci.addr, LINK_TIMEOUT_MS, er32(hw, E1000_STATUS));
			return -ENOLINK;
		}
		sleep_ms(POLL_INTERVAL_MS);
	}
	return 0;
}

/* mirrors e1000_configure_tx(), v6.1, for the 82574: ring, TXDCTL, TARC,
 * TIPG, then TCTL with TX enabled (e1000e_setup_tctl's value) */
static void e1000_configure_tx(struct e1000e_out *e)
{
	volatile __u8 *hw = e->pci.bar0;

	e1000e_ring_init(&e->ring, hw, e->dma.virt, e->dma.phys);
	ew32(hw, E1000_TXDCTL, E1000_TXDCTL_82574);
	ew32(hw, E1000_TARC0, er32(hw, E1000_TARC0) | E1000_TARC0_ENABLE);
	ew32(hw, E1000_TIPG, E1000_TIPG_DEFAULT);
	ew32(hw, E1000_TCTL,
	     E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT | E1000_TCTL_COLD | E1000_TCTL_RTLC);
}

static int e1000e_tx_batch(struct output *o, const struct replay_frame *f, unsigned int n)
{
	struct e1000e_out *e = to_e1000e(o);
	char why[OUTPUT_MSG_MAX - 64];

	for (unsigned int i = 0; i < n; i++) {
		int ret = e1000_xmit_frame(&e->ring, &f[i], why, sizeof(why));

		if (ret)
			return output_fail(o, ret, "frame %u of the batch: %s", i, why);
	}
	return 0;
}

static int e1000e_flush(struct output *o)
{
	struct e1000e_out *e = to_e1000e(o);

	e1000e_ring_kick(&e->ring);
	/* free what the NIC has done while the next batch is made */
	e1000_clean_tx_irq(&e->ring);
	return 0;
}

/*
 * Drain the ring (commit) or abandon what it holds, stop TX, reset the NIC
 * so that it holds no address of memory about to be freed, then give the
 * device back.
 */
static int e1000e_close(struct output *o, bool commit)
{
	struct e1000e_out *e = to_e1000e(o);
	char why[OUTPUT_MSG_MAX - 64];
	int ret = 0;

	if (e->pci.bar0) {
		if (commit) {
			ret = e1000e_ring_drain(&e->ring, why, sizeof(why));
			if (ret)
				output_fail(o, ret, "%s", why);
		}
		read_stats(e);
		ew32(e->pci.bar0, E1000_TCTL, er32(e->pci.bar0, E1000_TCTL) & ~E1000_TCTL_EN);
		ew32(e->pci.bar0, E1000_CTRL, er32(e->pci.bar0, E1000_CTRL) | E1000_CTRL_RST);
	}
	if (pci_dev__close(&e->pci, why, sizeof(why)) && !ret)
		ret = output_fail(o, -EIO, "%s", why);
	dma_mem__free(&e->dma);
	free(e);
	return ret;
}

/* After the last frame: the ring is drained first, so that the NIC's
 * counters hold every frame (a hang shows as fewer than the driver's). */
static void e1000e_report(struct output *o, char *buf, size_t len)
{
	struct e1000e_out *e = to_e1000e(o);
	struct e1000e_ring *r = &e->ring;
	char ignored[OUTPUT_MSG_MAX];

	e1000e_ring_drain(r, ignored, sizeof(ignored));
	read_stats(e);
	snprintf(buf, len,
		 "e1000e %s: driver %llu frames (%llu TSO, %llu checksum offload), %llu bytes, "
		 "%llu descriptors, %llu tail writes, ring full %llu times; NIC: %llu packets "
		 "(GPTC), %llu octets (GOTC), %llu total (TPT), %llu TSO contexts (TSCTC)",
		 e->pci.addr, (unsigned long long)r->frames, (unsigned long long)r->tso_frames,
		 (unsigned long long)r->csum_frames, (unsigned long long)r->bytes,
		 (unsigned long long)r->descs, (unsigned long long)r->tail_writes,
		 (unsigned long long)r->ring_full, (unsigned long long)e->gptc,
		 (unsigned long long)e->gotc, (unsigned long long)e->tpt,
		 (unsigned long long)e->tsctc);
}

static const struct output_ops e1000e_ops = {
	.tx_batch = e1000e_tx_batch,
	.flush = e1000e_flush,
	.close = e1000e_close,
	.report = e1000e_report,
};

struct output *e1000e_output__open(const char *spec, const char *pci,
				   const struct output_opts *opts, char *err, size_t errlen)
{
	struct pci_opts po = {.bind = opts->bind, .force = opts->force};
	char why[OUTPUT_MSG_MAX - 64];
	struct e1000e_out *e;
	int ret;

	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "%s: out of memory", spec);
		errno = ENOMEM;
		return NULL;
	}
	e->out.ops = &e1000e_ops;
	e->out.max_frame = E1000E_MAX_TSO;
	ret = pci_dev__open(&e->pci, pci, E1000E_VENDOR, E1000E_DEVICE, &po, why, sizeof(why));
	if (!ret && e->pci.bar0_size < E1000_TSCTC + 4) {
		snprintf(why, sizeof(why), "%s: BAR0 is %zu bytes, too small for an 82574L",
			 e->pci.addr, e->pci.bar0_size);
		ret = -ENODEV;
	}
	if (!ret)
		ret = dma_mem__alloc(&e->dma, why, sizeof(why));
	if (!ret)
		ret = e1000e_reset(e, why, sizeof(why));
	if (!ret)
		ret = e1000e_link_up(e, why, sizeof(why));
	if (ret) {
		char ignored[256];

		snprintf(err, errlen, "%s: %s", spec, why);
		if (e->pci.bar0)
			ew32(e->pci.bar0, E1000_CTRL,
			     er32(e->pci.bar0, E1000_CTRL) | E1000_CTRL_RST);
		pci_dev__close(&e->pci, ignored, sizeof(ignored));
		dma_mem__free(&e->dma);
		free(e);
		errno = -ret;
		return NULL;
	}
	e1000_configure_tx(e);
	return &e->out;
}
