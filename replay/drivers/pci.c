// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A PCI device through uio_pci_generic (pci.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pci.h"

#define SYS_PCI	   "/sys/bus/pci"
#define UIO_DRIVER "uio_pci_generic"
#define STATE_DIR  "/run/tsend"

#define PCI_COMMAND	       0x04
#define PCI_COMMAND_MEMORY     0x2
#define PCI_COMMAND_BUS_MASTER 0x4

extern char **environ;

static const char *hint(int err)
{
	return err == -EACCES || err == -EPERM ? " (run as root)" : "";
}

/* A sysfs attribute into buf, without its newline: length or -errno. */
static int sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return (int)n;
}

static int sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

static void dev_path(const struct pci_dev *d, const char *attr, char *path, size_t len)
{
	snprintf(path, len, SYS_PCI "/devices/%s/%s", d->addr, attr);
}

/* The device's driver now, "" when none. */
static void current_driver(const struct pci_dev *d, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	dev_path(d, "driver", path, sizeof(path));
	n = readlink(path, target, sizeof(target) - 1);
	buf[0] = '\0';
	if (n > 0) {
		const char *name;

		target[n] = '\0';
		name = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
		snprintf(buf, len, "%.*s", (int)len - 1, name);
	}
}

static void state_path(const struct pci_dev *d, char *path, size_t len)
{
	snprintf(path, len, STATE_DIR "/e1000e-%s.driver", d->addr);
}

/* "0000:00:03.0" or "00:03.0" into d->addr; -EINVAL otherwise. */
static int parse_addr(struct pci_dev *d, const char *s)
{
	unsigned int dom = 0, bus, dev, fn;
	char tail;

	if (sscanf(s, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) != 4 &&
	    (dom = 0, sscanf(s, "%2x:%2x.%1x%c", &bus, &dev, &fn, &tail) != 3))
		return -EINVAL;
	if (dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(d->addr, sizeof(d->addr), "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

static int check_id(const struct pci_dev *d, __u16 vendor, __u16 device, char *err, size_t errlen)
{
	char path[PATH_MAX], v[16], dv[16];
	int ret;

	dev_path(d, "vendor", path, sizeof(path));
	ret = sysfs_read(path, v, sizeof(v));
	if (ret == -ENOENT) {
		snprintf(err, errlen, "no PCI device %s (see /sys/bus/pci/devices)", d->addr);
		return -ENODEV;
	}
	if (ret < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	dev_path(d, "device", path, sizeof(path));
	ret = sysfs_read(path, dv, sizeof(dv));
	if (ret < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	if (strtoul(v, NULL, 16) != vendor || strtoul(dv, NULL, 16) != device) {
		snprintf(err, errlen,
			 "PCI device %s is %04lx:%04lx, not an Intel 82574L (%04x:%04x, QEMU's "
			 "-device e1000e)",
			 d->addr, strtoul(v, NULL, 16), strtoul(dv, NULL, 16), vendor, device);
		return -ENODEV;
	}
	return 0;
}

/* The interface's IPv4/IPv6 address into buf, "" when it has none. */
static void iface_addr(const char *iface, char *buf, size_t len)
{
	struct ifaddrs *ifa, *p;

	buf[0] = '\0';
	if (getifaddrs(&ifa))
		return;
	for (p = ifa; p; p = p->ifa_next) {
		if (!p->ifa_addr || strcmp(p->ifa_name, iface) ||
		    (p->ifa_addr->sa_family != AF_INET && p->ifa_addr->sa_family != AF_INET6))
			continue;
		getnameinfo(p->ifa_addr,
			    p->ifa_addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
							      : sizeof(struct sockaddr_in6),
			    buf, len, NULL, 0, NI_NUMERICHOST);
		break;
	}
	freeifaddrs(ifa);
}

/*
 * Is the device carrying traffic for this host? Its interfaces (in this
 * network namespace) are up or have an address: then taking it would cut
 * whatever uses them, and is refused without --force.
 */
static int check_idle(const struct pci_dev *d, const char *drv, char *err, size_t errlen)
{
	char path[PATH_MAX], flags[32], addr[NI_MAXHOST];
	struct dirent *e;
	DIR *dir;
	int ret = 0;

	dev_path(d, "net", path, sizeof(path));
	dir = opendir(path);
	if (!dir)
		return 0; /* no interface: nothing uses it */
	while (!ret && (e = readdir(dir))) {
		unsigned long f = 0;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SYS_PCI "/devices/%s/net/%s/flags", d->addr,
			 e->d_name);
		if (sysfs_read(path, flags, sizeof(flags)) > 0)
			f = strtoul(flags, NULL, 16);
		iface_addr(e->d_name, addr, sizeof(addr));
		if ((f & IFF_UP) || addr[0]) {
			snprintf(err, errlen,
				 "PCI device %s is %s under %s, which is %s%s%s: --force takes it "
				 "anyway",
				 d->addr, e->d_name, drv, f & IFF_UP ? "up" : "down",
				 addr[0] ? " with address " : "", addr);
			ret = -EBUSY;
		}
	}
	closedir(dir);
	return ret;
}

/* uio_pci_generic loaded, by modprobe where it is not. */
static int uio_driver_ready(char *err, size_t errlen)
{
	posix_spawn_file_actions_t quiet;
	struct stat st;
	int status;
	pid_t pid;

	if (!stat(SYS_PCI "/drivers/" UIO_DRIVER, &st))
		return 0;
	/* its complaints are not ours: the one line below says it all */
	if (!posix_spawn_file_actions_init(&quiet)) {
		char *argv[] = {"modprobe", "-q", UIO_DRIVER, NULL};

		posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
		if (!posix_spawnp(&pid, "modprobe", &quiet, NULL, argv, environ))
			waitpid(pid, &status, 0);
		posix_spawn_file_actions_destroy(&quiet);
	}
	if (!stat(SYS_PCI "/drivers/" UIO_DRIVER, &st))
		return 0;
	snprintf(err, errlen,
		 "no UIO: the %s driver is not loaded and 'modprobe %s' did not load it "
		 "(CONFIG_UIO_PCI_GENERIC)",
		 UIO_DRIVER, UIO_DRIVER);
	return -ENOENT;
}

/* Writes s to the device's attribute (or a driver's), with the message. */
static int write_or_fail(const char *path, const char *s, char *err, size_t errlen)
{
	int ret = sysfs_write(path, s);

	if (ret)
		snprintf(err, errlen, "cannot write '%s' to %s: %s%s", s, path, strerror(-ret),
			 hint(ret));
	return ret;
}

/* From drv (or none) to uio_pci_generic: driver_override makes the bind
 * take this one device, where new_id would take every 82574L. */
static int bind_uio(struct pci_dev *d, const char *drv, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int ret;

	ret = uio_driver_ready(err, errlen);
	if (ret)
		return ret;
	dev_path(d, "driver_override", path, sizeof(path));
	ret = write_or_fail(path, UIO_DRIVER, err, errlen);
	if (ret)
		return ret;
	if (drv[0]) {
		dev_path(d, "driver/unbind", path, sizeof(path));
		ret = write_or_fail(path, d->addr, err, errlen);
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), SYS_PCI "/drivers/" UIO_DRIVER "/bind");
	return write_or_fail(path, d->addr, err, errlen);
}

/* Remembers drv for a run after this one dies. */
static void state_save(const struct pci_dev *d, const char *drv)
{
	char path[PATH_MAX];
	FILE *f;

	mkdir(STATE_DIR, 0755);
	state_path(d, path, sizeof(path));
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%s\n", drv);
		fclose(f);
	}
}

static int take_device(struct pci_dev *d, const struct pci_opts *opts, char *err, size_t errlen)
{
	char drv[64];

	current_driver(d, drv, sizeof(drv));
	if (!strcmp(drv, UIO_DRIVER)) {
		char path[PATH_MAX];

		/* a killed run's leftover: this run gives it back, once it
		 * holds the device (open_uio) */
		state_path(d, path, sizeof(path));
		d->leftover = opts->bind && sysfs_read(path, d->restore, sizeof(d->restore)) >= 0;
		return 0;
	}
	if (!opts->bind) {
		if (drv[0])
			snprintf(err, errlen,
				 "PCI device %s is bound to %s, not %s: --bind takes it for this "
				 "run",
				 d->addr, drv, UIO_DRIVER);
		else
			snprintf(err, errlen,
				 "PCI device %s has no driver: --bind binds it to %s for this run",
				 d->addr, UIO_DRIVER);
		return -EBUSY;
	}
	if (drv[0] && !opts->force) {
		int ret = check_idle(d, drv, err, errlen);

		if (ret)
			return ret;
	}
	snprintf(d->restore, sizeof(d->restore), "%s", drv);
	d->restore_on_close = true;
	state_save(d, drv);
	return bind_uio(d, drv, err, errlen);
}

/* /dev/uioN of the device, opened and held. */
static int open_uio(struct pci_dev *d, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir;

	dev_path(d, "uio", path, sizeof(path));
	dir = opendir(path);
	if (!dir) {
		snprintf(err, errlen, "PCI device %s has no UIO device (%s: %s)", d->addr, path,
			 strerror(errno));
		return -ENODEV;
	}
	path[0] = '\0';
	while ((e = readdir(dir)))
		if (!strncmp(e->d_name, "uio", 3))
			snprintf(path, sizeof(path), "/dev/%s", e->d_name);
	closedir(dir);
	d->uio_fd = path[0] ? open(path, O_RDWR | O_CLOEXEC) : -1;
	if (d->uio_fd < 0) {
		snprintf(err, errlen, "cannot open %s for PCI device %s: %s%s", path, d->addr,
			 strerror(errno), hint(-errno));
		return -ENODEV;
	}
	return 0;
}

static int set_command(struct pci_dev *d, __u16 set, __u16 clear)
{
	__u16 cmd;

	if (pread(d->config_fd, &cmd, sizeof(cmd), PCI_COMMAND) != sizeof(cmd))
		return -EIO;
	cmd = (__u16)((cmd | set) & ~clear);
	return pwrite(d->config_fd, &cmd, sizeof(cmd), PCI_COMMAND) == sizeof(cmd) ? 0 : -EIO;
}

/*
 * One driver at a time: UIO lets any number of processes open /dev/uioN,
 * and uio_pci_generic clears bus mastering whenever one of them closes it,
 * so a second run must be refused before it opens it. The lock is on the
 * device's config space, which this run keeps open anyway.
 */
static int lock_device(struct pci_dev *d, char *err, size_t errlen)
{
	char path[PATH_MAX];

	dev_path(d, "config", path, sizeof(path));
	d->config_fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->config_fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s%s", path, strerror(errno), hint(-errno));
		return -EIO;
	}
	if (flock(d->config_fd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "PCI device %s is in use by another tsend-replay", d->addr);
		close(d->config_fd);
		d->config_fd = -1;
		return -EBUSY;
	}
	return 0;
}

static int map_bar0(struct pci_dev *d, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	void *p;
	int fd;

	dev_path(d, "config", path, sizeof(path));
	if (set_command(d, PCI_COMMAND_MEMORY | PCI_COMMAND_BUS_MASTER, 0)) {
		snprintf(err, errlen, "cannot enable bus mastering in %s: %s%s", path,
			 strerror(errno), hint(-errno));
		return -EIO;
	}
	dev_path(d, "resource0", path, sizeof(path));
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "cannot open %s: %s%s", path, strerror(errno), hint(-errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
		return -EIO;
	}
	d->bar0 = p;
	d->bar0_size = (size_t)st.st_size;
	return 0;
}

int pci_dev__open(struct pci_dev *d, const char *addr, __u16 vendor, __u16 device,
		  const struct pci_opts *opts, char *err, size_t errlen)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->uio_fd = d->config_fd = -1;
	if (parse_addr(d, addr)) {
		snprintf(err, errlen, "'%s' is not a PCI address (want 0000:00:03.0 or 00:03.0)",
			 addr);
		return -EINVAL;
	}
	ret = check_id(d, vendor, device, err, errlen);
	if (!ret)
		ret = lock_device(d, err, errlen);
	if (!ret)
		ret = take_device(d, opts, err, errlen);
	if (!ret)
		ret = open_uio(d, err, errlen);
	if (!ret && d->leftover)
		d->restore_on_close = true;
	if (!ret)
		ret = map_bar0(d, err, errlen);
	if (ret) {
		char ignored[256];

		pci_dev__close(d, ignored, sizeof(ignored));
	}
	return ret;
}

int pci_dev__close(struct pci_dev *d, char *err, size_t errlen)
{
	char path[PATH_MAX], drv[64];
	int ret = 0;

	if (d->bar0)
		munmap((void *)d->bar0, d->bar0_size);
	d->bar0 = NULL;
	if (d->config_fd >= 0) {
		set_command(d, 0, PCI_COMMAND_BUS_MASTER);
		close(d->config_fd);
	}
	if (d->uio_fd >= 0)
		close(d->uio_fd);
	d->config_fd = d->uio_fd = -1;
	if (!d->restore_on_close)
		return 0;
	d->restore_on_close = false;
	/* "\n" clears the override: any matching driver may bind again */
	dev_path(d, "driver_override", path, sizeof(path));
	sysfs_write(path, "\n");
	current_driver(d, drv, sizeof(drv));
	if (drv[0] && strcmp(drv, d->restore)) {
		dev_path(d, "driver/unbind", path, sizeof(path));
		ret = write_or_fail(path, d->addr, err, errlen);
	}
	if (!ret && d->restore[0] && strcmp(drv, d->restore)) {
		snprintf(path, sizeof(path), SYS_PCI "/drivers/%s/bind", d->restore);
		ret = write_or_fail(path, d->addr, err, errlen);
	}
	if (!ret) {
		state_path(d, path, sizeof(path));
		unlink(path);
	}
	return ret;
}
