// SPDX-License-Identifier: MIT
/*
 * pcitopo.c - which RDMA NIC is nearest a GPU, from the PCIe tree in sysfs.
 *
 * /sys/bus/pci/devices/<bdf> and /sys/class/infiniband/<dev>/device are
 * symlinks into /sys/devices/pci<domain>:<bus>/<root port>/<switch up>/
 * <switch down>/.../<device>. Below the root port, a PCIe switch shows as an
 * upstream port followed by one of its downstream ports, so the components
 * at even depth (2, 4, ...) before the device itself are switches. Two
 * devices' distance follows from where their paths part; see
 * docs/placement.md for the levels.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowplan/pcitopo.h"

#define NVIDIA_VENDOR	0x10de
#define MAX_DEPTH	32

static int mkpath(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* snprintf() that fails with ENAMETOOLONG instead of truncating. */
static int mkpath(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? ENAMETOOLONG : 0;
}

static const char *root_of(const char *sysroot)
{
	return sysroot && *sysroot ? sysroot : "/";
}

static int read_hex(const char *path, unsigned long *val)
{
	char buf[64];
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return errno;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return EIO;
	*val = strtoul(buf, NULL, 0);
	return 0;
}

static int read_numa(const char *path)
{
	char buf[32];
	FILE *f = fopen(path, "re");
	int n = -1;

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		n = atoi(buf);
	fclose(f);
	return n;
}

/*
 * Resolve @link and keep what follows "/sys/devices/" below the root, the
 * last component in @bdf. Fails with ENOENT for devices that are not PCI.
 */
static int resolve(const char *root, const char *link, struct fp_pci_dev *d)
{
	char real[PATH_MAX], rroot[PATH_MAX];
	const char *p, *base;
	size_t rl;

	if (!realpath(link, real) || !realpath(root, rroot))
		return errno;
	rl = strcmp(rroot, "/") ? strlen(rroot) : 0;
	if (strncmp(real, rroot, rl))
		return ENOENT;
	p = real + rl;
	if (strncmp(p, "/sys/devices/", 13))
		return ENOENT;
	p += 13;
	if (strlen(p) >= sizeof(d->path))
		return ENAMETOOLONG;
	strcpy(d->path, p);
	base = strrchr(p, '/');
	base = base ? base + 1 : p;
	return mkpath(d->bdf, sizeof(d->bdf), "%s", base);
}

static int by_bdf(const void *a, const void *b)
{
	const struct fp_pci_dev *x = a, *y = b;

	return strcmp(x->bdf, y->bdf);
}

static int by_name(const void *a, const void *b)
{
	const struct fp_pci_dev *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int fp_pci_gpus(const char *sysroot, struct fp_pci_dev *gpus, int max, int *n)
{
	const char *root = root_of(sysroot);
	char dir[PATH_MAX], path[PATH_MAX];
	unsigned long vendor, cls;
	struct dirent *e;
	DIR *dp;
	int i, k = 0;

	*n = 0;
	if (mkpath(dir, sizeof(dir), "%s/sys/bus/pci/devices", root))
		return ENAMETOOLONG;
	dp = opendir(dir);
	if (!dp)
		return errno;
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		if (mkpath(path, sizeof(path), "%s/%s/vendor", dir, e->d_name) ||
		    read_hex(path, &vendor) || vendor != NVIDIA_VENDOR)
			continue;
		if (mkpath(path, sizeof(path), "%s/%s/class", dir, e->d_name) ||
		    read_hex(path, &cls) ||
		    ((cls >> 8) != 0x0302 && (cls >> 8) != 0x0300))
			continue;
		if (k == max)
			break;
		if (mkpath(path, sizeof(path), "%s/%s", dir, e->d_name) ||
		    resolve(root, path, &gpus[k]))
			continue;
		gpus[k].numa = mkpath(path, sizeof(path), "%s/%s/numa_node",
				      dir, e->d_name) ? -1 : read_numa(path);
		k++;
	}
	closedir(dp);
	qsort(gpus, k, sizeof(*gpus), by_bdf);
	for (i = 0; i < k; i++)
		snprintf(gpus[i].name, sizeof(gpus[i].name), "gpu%d", i);
	*n = k;
	return 0;
}

int fp_pci_nics(const char *sysroot, struct fp_pci_dev *nics, int max, int *n)
{
	const char *root = root_of(sysroot);
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *e;
	DIR *dp;
	int k = 0;

	*n = 0;
	if (mkpath(dir, sizeof(dir), "%s/sys/class/infiniband", root))
		return ENAMETOOLONG;
	dp = opendir(dir);
	if (!dp)
		return errno == ENOENT ? 0 : errno;	/* no RDMA at all */
	while ((e = readdir(dp)) && k < max) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= FP_PCI_NAME_MAX)
			continue;
		if (mkpath(path, sizeof(path), "%s/%s/device", dir, e->d_name) ||
		    resolve(root, path, &nics[k]))
			continue;	/* rxe and other non-PCI devices */
		strcpy(nics[k].name, e->d_name);
		nics[k].numa = mkpath(path, sizeof(path), "%s/sys/devices/%s/numa_node",
				      root, nics[k].path) ? -1 : read_numa(path);
		k++;
	}
	closedir(dp);
	qsort(nics, k, sizeof(*nics), by_name);
	*n = k;
	return 0;
}

/* Split a copy of @path into components; returns their number. */
static int split(const char *path, char *buf, size_t len, char **comp)
{
	char *p, *save = NULL;
	int n = 0;

	snprintf(buf, len, "%s", path);
	for (p = strtok_r(buf, "/", &save); p && n < MAX_DEPTH;
	     p = strtok_r(NULL, "/", &save))
		comp[n++] = p;
	return n;
}

/* Switches above the device at depth @n - 1: even depths 2, 4, ... < n - 1. */
static int switches(int n)
{
	return n > 3 ? (n - 2) / 2 : 0;
}

int fp_pci_level_between(const struct fp_pci_dev *a, const struct fp_pci_dev *b)
{
	char ba[sizeof(a->path)], bb[sizeof(b->path)];
	char *ca[MAX_DEPTH], *cb[MAX_DEPTH];
	int na, nb, c = 0, shared;

	na = split(a->path, ba, sizeof(ba), ca);
	nb = split(b->path, bb, sizeof(bb), cb);
	if (na < 2 || nb < 2 || strncmp(ca[0], "pci", 3) ||
	    strcmp(ca[0], cb[0]))
		return a->numa == b->numa ? FP_PCI_NODE : FP_PCI_SYS;
	while (c < na - 1 && c < nb - 1 && !strcmp(ca[c], cb[c]))
		c++;
	if (c < 2)
		return FP_PCI_PHB;		/* only the host bridge in common */
	shared = switches(c + 1);		/* switches at depths < c */
	if (!shared)
		return FP_PCI_PXB;		/* they meet at the root port */
	return switches(na) + switches(nb) - shared <= 1 ? FP_PCI_PIX
							 : FP_PCI_PXB;
}

const char *fp_pci_level_name(int level)
{
	static const char *const names[] = {
		[FP_PCI_PIX] = "PIX", [FP_PCI_PXB] = "PXB", [FP_PCI_PHB] = "PHB",
		[FP_PCI_NODE] = "NODE", [FP_PCI_SYS] = "SYS",
	};

	if (level < FP_PCI_PIX || level > FP_PCI_SYS)
		return "-";
	return names[level];
}

/* The NIC named for @gpu by @ov ("NIC" or "GPU:NIC,..."), or NULL. */
static const char *override_for(const char *ov, int gpu, char *buf, size_t len)
{
	const char *p = ov, *colon, *end;
	size_t n;

	if (!ov || !*ov)
		return NULL;
	if (!strchr(ov, ':')) {
		snprintf(buf, len, "%s", ov);
		return buf;
	}
	while (*p) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		colon = memchr(p, ':', (size_t)(end - p));
		if (colon && atoi(p) == gpu && colon + 1 < end) {
			n = (size_t)(end - colon - 1);
			if (n >= len)
				n = len - 1;
			memcpy(buf, colon + 1, n);
			buf[n] = '\0';
			return buf;
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

/* Bit set of the NICs nearest @g, and their level. */
static unsigned long long nearest_set(const struct fp_pci_dev *g,
				      const struct fp_pci_dev *nics, int nn,
				      int *best)
{
	unsigned long long set = 0;
	int i, l;

	*best = FP_PCI_SYS + 1;
	for (i = 0; i < nn; i++) {
		l = fp_pci_level_between(g, &nics[i]);
		if (l < *best) {
			*best = l;
			set = 0;
		}
		if (l == *best)
			set |= 1ull << i;
	}
	return set;
}

int fp_pci_choose_nic(const char *sysroot, int gpu, const char *override,
		      struct fp_pci_choice *out)
{
	struct fp_pci_dev *gpus, *nics;
	unsigned long long set, other;
	char buf[FP_PCI_NAME_MAX];
	const char *want;
	int ng, nn, i, best, ob, turn = 0, cnt, ret;

	memset(out, 0, sizeof(*out));
	gpus = calloc(2 * FP_PCI_MAX_DEVS, sizeof(*gpus));
	if (!gpus)
		return ENOMEM;
	nics = gpus + FP_PCI_MAX_DEVS;
	ret = fp_pci_gpus(sysroot, gpus, FP_PCI_MAX_DEVS, &ng);
	if (!ret && (gpu < 0 || gpu >= ng))
		ret = ENODEV;
	if (!ret)
		ret = fp_pci_nics(sysroot, nics, FP_PCI_MAX_DEVS, &nn);
	if (!ret && !nn)
		ret = ENOENT;
	if (ret)
		goto out;

	if (!override)
		override = getenv("FLOWPLAN_NIC");
	want = override_for(override, gpu, buf, sizeof(buf));
	if (want) {
		ret = ENODEV;
		for (i = 0; i < nn; i++)
			if (!strcmp(nics[i].name, want)) {
				snprintf(out->nic, sizeof(out->nic), "%s", want);
				out->level = fp_pci_level_between(&gpus[gpu], &nics[i]);
				out->overridden = true;
				ret = 0;
			}
		goto out;
	}

	/* Equally near NICs go round the GPUs that share them. */
	set = nearest_set(&gpus[gpu], nics, nn, &best);
	for (i = 0; i < gpu; i++) {
		other = nearest_set(&gpus[i], nics, nn, &ob);
		if (other == set && ob == best)
			turn++;
	}
	cnt = __builtin_popcountll(set);
	turn %= cnt;
	for (i = 0; i < nn; i++)
		if ((set >> i) & 1 && turn-- == 0)
			break;
	snprintf(out->nic, sizeof(out->nic), "%s", nics[i].name);
	out->level = best;
out:
	free(gpus);
	return ret;
}

int fp_pci_nearest_nic(const char *sysroot, int gpu, char *name, size_t len,
		       int *level)
{
	struct fp_pci_choice c;
	int ret;

	ret = fp_pci_choose_nic(sysroot, gpu, NULL, &c);
	if (ret)
		return ret;
	if (strlen(c.nic) >= len)
		return ENAMETOOLONG;
	strcpy(name, c.nic);
	if (level)
		*level = c.level;
	return 0;
}
