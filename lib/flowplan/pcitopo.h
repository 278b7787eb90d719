/* SPDX-License-Identifier: MIT */
/*
 * pcitopo.h - PCIe distance between GPUs and RDMA NICs, read from sysfs.
 *
 * GPUs are the PCI functions of vendor 0x10de and class 0x0302xx (3D) or
 * 0x0300xx (VGA), numbered in PCI bus order (domain, bus, device, function),
 * which is CUDA's order under CUDA_DEVICE_ORDER=PCI_BUS_ID. NICs are the
 * entries of /sys/class/infiniband. Levels (enum fp_pci_level, flowplan.h)
 * and the choice rules are documented in docs/placement.md.
 *
 * @sysroot is prepended to every sysfs path ("/" or NULL: the real one;
 * tests point it at a generated tree). Functions return 0 or an errno value.
 */
#ifndef FP_PCITOPO_H
#define FP_PCITOPO_H

#include <stdbool.h>
#include <stddef.h>

#include "flowplan/flowplan.h"

#define FP_PCI_MAX_DEVS		64
#define FP_PCI_NAME_MAX		64

/**
 * struct fp_pci_dev - a GPU or NIC as sysfs shows it
 * @name: ibv device name for NICs ("mlx5_0"), "gpu<index>" for GPUs
 * @bdf: PCI address "0000:1b:00.0"
 * @path: real sysfs path below /sys/devices ("pci0000:17/0000:17:01.0/...")
 * @numa: NUMA node, -1 when the platform does not say
 */
struct fp_pci_dev {
	char name[FP_PCI_NAME_MAX];
	char bdf[16];
	char path[512];
	int numa;
};

/* GPUs in PCI bus order; *n gets the count (at most @max). */
int fp_pci_gpus(const char *sysroot, struct fp_pci_dev *gpus, int max, int *n);
/* RDMA NICs in name order. */
int fp_pci_nics(const char *sysroot, struct fp_pci_dev *nics, int max, int *n);
/* Level between two devices (enum fp_pci_level). */
int fp_pci_level_between(const struct fp_pci_dev *a, const struct fp_pci_dev *b);
/* "PIX", "PXB", "PHB", "NODE", "SYS" ("-" for anything else). */
const char *fp_pci_level_name(int level);

/**
 * struct fp_pci_choice - the NIC chosen for a GPU, and why
 * @nic: ibv device name
 * @level: its distance to the GPU (enum fp_pci_level)
 * @overridden: the caller or FLOWPLAN_NIC named it
 */
struct fp_pci_choice {
	char nic[FP_PCI_NAME_MAX];
	int level;
	bool overridden;
};

/**
 * fp_pci_choose_nic() - the NIC for GPU @gpu
 * @sysroot: sysfs root, see above
 * @gpu: GPU index (PCI bus order)
 * @override: a NIC name, or a list "GPU:NIC,GPU:NIC" (an entry for @gpu
 *	wins; a plain name applies to every GPU); NULL: $FLOWPLAN_NIC
 * @out: the choice
 *
 * Without an override: the nearest NIC (lowest level); among equally near
 * NICs, GPUs sharing the same set of candidates take them in turn, so two
 * GPUs and two NICs under one switch get one NIC each. Returns ENODEV when
 * GPU @gpu or the overriding NIC does not exist, ENOENT when there is no NIC.
 */
int fp_pci_choose_nic(const char *sysroot, int gpu, const char *override,
		      struct fp_pci_choice *out);

/* fp_pci_choose_nic() with $FLOWPLAN_NIC: the contract libflowplan calls. */
int fp_pci_nearest_nic(const char *sysroot, int gpu, char *name, size_t len,
		       int *level);

#endif
