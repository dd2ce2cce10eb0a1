/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A PCI device handed to userspace through uio_pci_generic, by sysfs
 * (Documentation/ABI/testing/sysfs-bus-pci): check its id, take it from
 * its kernel driver when asked (driver_override, then bind), enable bus
 * mastering, map BAR0, and give it back on close. ixy's pci.c does the
 * same for ixgbe; this one also refuses a NIC the host is using.
 *
 * uio_pci_generic clears bus mastering when /dev/uioN is closed, so the
 * device stops DMA the moment this process dies, however it dies; the fd
 * is held open for that; and since any close clears it, a second run is
 * refused (a lock on config space) before it opens /dev/uioN. The driver a
 * device was taken from is written to /run/tsend/, so that a run after a
 * killed one can still give it back.
 */
#ifndef TSEND_REPLAY_PCI_H
#define TSEND_REPLAY_PCI_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

struct pci_opts {
	bool bind;  /* take the device from its kernel driver, restore it on close */
	bool force; /* even when its interface is up or has an address */
};

struct pci_dev {
	char addr[16];	       /* domain:bus:device.function, 0000:00:03.0 */
	char restore[64];      /* the driver to give it back to; "" none */
	bool restore_on_close; /* this run (or a killed one) took it */
	bool leftover;	       /* a killed run took it: restore once it is ours */
	int uio_fd, config_fd;
	volatile __u8 *bar0;
	size_t bar0_size;
};

/* Opens addr (0000:00:03.0 or 00:03.0) if it is vendor:device; -errno and
 * one line in err naming the device and what is wrong. */
int pci_dev__open(struct pci_dev *d, const char *addr, __u16 vendor, __u16 device,
		  const struct pci_opts *opts, char *err, size_t errlen);
/* Unmaps, stops bus mastering and gives the device back; -errno and err
 * if the binding could not be restored. */
int pci_dev__close(struct pci_dev *d, char *err, size_t errlen);

#endif /* TSEND_REPLAY_PCI_H */
