// SPDX-License-Identifier: MIT
/*
 * gpu.c - flowplanctl gpu show [sysroot DIR] [nic OVERRIDE]
 *
 * The GPUs sysfs shows (PCI bus order: libflowplan's GPU indices), the NIC
 * each one's GPU buffers are registered with and its PCIe distance, and
 * whether CUDA is usable here (and why not). Per-buffer registration paths
 * (dmabuf, peer, staged) are what libflowplan's fp_buf_query() reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowplan/gpu.h"
#include "flowplan/pcitopo.h"
#include "flowplanctl.h"

static int gpu_show(int argc, char **argv)
{
	struct fp_pci_dev *gpus, *nics;
	const char *root = getenv("FLOWPLAN_SYSROOT"), *ov = NULL;
	struct fp_pci_choice c;
	char why[256] = "";
	int ng = 0, nn = 0, i, ret, cuda, ncuda = 0;

	for (; argc > 0; argc--, argv++) {
		if (fp_matches(argv[0], "sysroot")) {
			root = fp_next_arg(&argc, &argv, "sysroot");
			if (!root)
				return 1;
		} else if (fp_matches(argv[0], "nic")) {
			ov = fp_next_arg(&argc, &argv, "nic");
			if (!ov)
				return 1;
		} else {
			return fp_err("unknown argument \"%s\"; usage: flowplanctl gpu show [sysroot DIR] [nic NIC|GPU:NIC,...]",
				      argv[0]);
		}
	}
	gpus = calloc(2 * FP_PCI_MAX_DEVS, sizeof(*gpus));
	if (!gpus)
		return fp_err("out of memory");
	nics = gpus + FP_PCI_MAX_DEVS;
	ret = fp_pci_gpus(root, gpus, FP_PCI_MAX_DEVS, &ng);
	if (!ret)
		ret = fp_pci_nics(root, nics, FP_PCI_MAX_DEVS, &nn);
	if (ret) {
		free(gpus);
		return fp_err("cannot read PCI devices under %s/sys: %s",
			      root ? root : "", strerror(ret));
	}

	cuda = fp_gpu_available(why, sizeof(why));
	if (!cuda)
		fp_gpu_count(&ncuda, why, sizeof(why));
	pr_obj_open("cuda");
	pr_bool("usable", "cuda: usable %s", !cuda);
	if (cuda)
		pr_str("reason", " (%s)", why);
	else
		pr_u64("devices", ", %llu devices", (uint64_t)ncuda);
	pr_text("\n");
	pr_obj_close();

	pr_arr_open("gpus", ng ? NULL : "no GPU found\n");
	for (i = 0; i < ng; i++) {
		pr_obj_open(NULL);
		pr_u64("index", "gpu%llu", (uint64_t)i);
		pr_str("bdf", " %s", gpus[i].bdf);
		pr_s64("numa", " numa %lld", gpus[i].numa);
		ret = fp_pci_choose_nic(root, i, ov, &c);
		if (ret) {
			pr_null("nic", " nic %s");
			pr_str("error", " (%s)", strerror(ret));
		} else {
			pr_str("nic", " nic %s", c.nic);
			pr_str("level", " %s", fp_pci_level_name(c.level));
			pr_bool("override", NULL, c.overridden);
			if (c.overridden)
				pr_text(" (override)");
		}
		pr_text("\n");
		if (opts.details)
			pr_str("path", "  path /sys/devices/%s\n", gpus[i].path);
		pr_obj_close();
	}
	pr_arr_close(NULL);

	pr_arr_open("nics", nn && opts.details ? "nics:\n" : NULL);
	for (i = 0; opts.details || opts.json ? i < nn : 0; i++) {
		pr_obj_open(NULL);
		pr_str("name", "  %s", nics[i].name);
		pr_str("bdf", " %s", nics[i].bdf);
		pr_s64("numa", " numa %lld\n", nics[i].numa);
		pr_obj_close();
	}
	pr_arr_close(NULL);
	free(gpus);
	return 0;
}

static const struct fp_cmd cmds[] = {
	{ "show", gpu_show, "show [sysroot DIR] [nic NIC|GPU:NIC,...]" },
	{ NULL, NULL, NULL },
};

int cmd_gpu(int argc, char **argv)
{
	return fp_dispatch("gpu", cmds, argc, argv);
}
