// SPDX-License-Identifier: MIT
/*
 * test_pcitopo.c - nearest NIC of every GPU on fake sysfs trees that copy
 * real server layouts (tests/data/sysfs/<layout>/layout, generated at test
 * time by tests/data/mksysfs.sh into a temporary directory).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowplan/pcitopo.h"

#define TMP_TEMPLATE	"/tmp/fp-sysfs-XXXXXX"
static char tmp[sizeof(TMP_TEMPLATE)] = TMP_TEMPLATE;	/* mkdtemp() fills it */
static char root[PATH_MAX];

static const char *layout(const char *name)
{
	snprintf(root, sizeof(root), "%s/%s", tmp, name);
	return root;
}

static int setup(void **state)
{
	const char *gen = getenv("FP_MKSYSFS");
	char cmd[PATH_MAX + 64];

	(void)state;
	if (!mkdtemp(tmp))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s %s", gen ? gen : "tests/data/mksysfs.sh", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

struct want {
	const char *layout;
	int gpu;
	const char *bdf;	/* the GPU: PCI bus order */
	const char *nic;
	int level;
};

static const struct want table[] = {
	/* 8 GPUs + 8 NICs, 2 + 2 per switch: one NIC each, all PIX */
	{ "dgx-h100", 0, "0000:1a:00.0", "mlx5_0", FP_PCI_PIX },
	{ "dgx-h100", 1, "0000:1b:00.0", "mlx5_1", FP_PCI_PIX },
	{ "dgx-h100", 2, "0000:42:00.0", "mlx5_2", FP_PCI_PIX },
	{ "dgx-h100", 3, "0000:43:00.0", "mlx5_3", FP_PCI_PIX },
	{ "dgx-h100", 4, "0000:9c:00.0", "mlx5_4", FP_PCI_PIX },
	{ "dgx-h100", 5, "0000:9d:00.0", "mlx5_5", FP_PCI_PIX },
	{ "dgx-h100", 6, "0000:c2:00.0", "mlx5_6", FP_PCI_PIX },
	{ "dgx-h100", 7, "0000:c3:00.0", "mlx5_7", FP_PCI_PIX },
	/* one NIC per socket */
	{ "nic-per-socket", 0, "0000:05:00.0", "mlx5_0", FP_PCI_PXB },
	{ "nic-per-socket", 1, "0000:07:00.0", "mlx5_0", FP_PCI_PHB },
	{ "nic-per-socket", 2, "0000:81:00.0", "mlx5_1", FP_PCI_NODE },
	{ "nic-per-socket", 3, "0000:82:00.0", "mlx5_1", FP_PCI_NODE },
	/* no NIC on GPU 1's socket */
	{ "gpu-no-nic", 0, "0000:34:00.0", "mlx5_0", FP_PCI_PIX },
	{ "gpu-no-nic", 1, "0000:b1:00.0", "mlx5_0", FP_PCI_SYS },
};

static void test_nearest_every_gpu(void **state)
{
	struct fp_pci_dev gpus[FP_PCI_MAX_DEVS];
	char nic[FP_PCI_NAME_MAX];
	size_t i;
	int n, level;

	(void)state;
	unsetenv("FLOWPLAN_NIC");
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct want *w = &table[i];

		assert_int_equal(fp_pci_gpus(layout(w->layout), gpus,
					     FP_PCI_MAX_DEVS, &n), 0);
		assert_true(w->gpu < n);
		assert_string_equal(gpus[w->gpu].bdf, w->bdf);
		assert_int_equal(fp_pci_nearest_nic(root, w->gpu, nic,
						    sizeof(nic), &level), 0);
		if (strcmp(nic, w->nic) || level != w->level)
			fail_msg("%s gpu%d: %s %s, want %s %s", w->layout, w->gpu,
				 nic, fp_pci_level_name(level), w->nic,
				 fp_pci_level_name(w->level));
	}
}

/* NVSwitches (NVIDIA, class 0x0680) and the BMC's VGA are not GPUs. */
static void test_gpu_census(void **state)
{
	struct fp_pci_dev d[FP_PCI_MAX_DEVS];
	int n;

	(void)state;
	assert_int_equal(fp_pci_gpus(layout("dgx-h100"), d, FP_PCI_MAX_DEVS, &n), 0);
	assert_int_equal(n, 8);
	assert_int_equal(d[0].numa, 0);
	assert_int_equal(d[7].numa, 1);
	assert_string_equal(d[3].path,
		"pci0000:3d/0000:3d:01.0/0000:3e:00.0/0000:3f:03.0/0000:43:00.0");
	assert_int_equal(fp_pci_nics(root, d, FP_PCI_MAX_DEVS, &n), 0);
	assert_int_equal(n, 9);
	assert_string_equal(d[8].name, "mlx5_8");
	assert_string_equal(d[8].bdf, "0000:01:00.0");
	/* 0x0300 VGA class counts when it is NVIDIA's */
	assert_int_equal(fp_pci_gpus(layout("nic-per-socket"), d, FP_PCI_MAX_DEVS, &n), 0);
	assert_int_equal(n, 4);
	/* rxe0 has no PCI device */
	assert_int_equal(fp_pci_nics(layout("gpu-no-nic"), d, FP_PCI_MAX_DEVS, &n), 0);
	assert_int_equal(n, 2);
	/* @max is respected */
	assert_int_equal(fp_pci_gpus(layout("dgx-h100"), d, 3, &n), 0);
	assert_int_equal(n, 3);
}

static void test_levels(void **state)
{
	struct fp_pci_dev g[FP_PCI_MAX_DEVS], nics[FP_PCI_MAX_DEVS];
	int ng, nn;

	(void)state;
	assert_int_equal(fp_pci_gpus(layout("dgx-h100"), g, FP_PCI_MAX_DEVS, &ng), 0);
	assert_int_equal(fp_pci_nics(root, nics, FP_PCI_MAX_DEVS, &nn), 0);
	/* gpu0 to mlx5_1: same switch; to mlx5_2: other root complex, node 0 */
	assert_int_equal(fp_pci_level_between(&g[0], &nics[1]), FP_PCI_PIX);
	assert_int_equal(fp_pci_level_between(&g[0], &nics[2]), FP_PCI_NODE);
	assert_int_equal(fp_pci_level_between(&g[0], &nics[5]), FP_PCI_SYS);
	assert_int_equal(fp_pci_level_between(&g[0], &nics[8]), FP_PCI_NODE);
	assert_int_equal(fp_pci_level_between(&g[0], &g[1]), FP_PCI_PIX);
	assert_string_equal(fp_pci_level_name(FP_PCI_PXB), "PXB");
	assert_string_equal(fp_pci_level_name(FP_PCI_UNKNOWN), "-");
}

static void test_override(void **state)
{
	struct fp_pci_choice c;
	char nic[FP_PCI_NAME_MAX];
	int level;

	(void)state;
	layout("dgx-h100");
	assert_int_equal(fp_pci_choose_nic(root, 0, "mlx5_3", &c), 0);
	assert_string_equal(c.nic, "mlx5_3");
	assert_int_equal(c.level, FP_PCI_NODE);
	assert_true(c.overridden);
	/* per-GPU list: named GPUs take theirs, the others choose */
	assert_int_equal(fp_pci_choose_nic(root, 0, "0:mlx5_7,3:mlx5_0", &c), 0);
	assert_string_equal(c.nic, "mlx5_7");
	assert_int_equal(c.level, FP_PCI_SYS);
	assert_int_equal(fp_pci_choose_nic(root, 3, "0:mlx5_7,3:mlx5_0", &c), 0);
	assert_string_equal(c.nic, "mlx5_0");
	assert_int_equal(fp_pci_choose_nic(root, 1, "0:mlx5_7,3:mlx5_0", &c), 0);
	assert_string_equal(c.nic, "mlx5_1");
	assert_false(c.overridden);
	assert_int_equal(fp_pci_choose_nic(root, 0, "mlx9_9", &c), ENODEV);
	/* the environment, through the contract libflowplan calls */
	setenv("FLOWPLAN_NIC", "5:mlx5_8", 1);
	assert_int_equal(fp_pci_nearest_nic(root, 5, nic, sizeof(nic), &level), 0);
	assert_string_equal(nic, "mlx5_8");
	assert_int_equal(level, FP_PCI_SYS);
	assert_int_equal(fp_pci_nearest_nic(root, 4, nic, sizeof(nic), &level), 0);
	assert_string_equal(nic, "mlx5_4");
	unsetenv("FLOWPLAN_NIC");
}

static void test_errors(void **state)
{
	char nic[FP_PCI_NAME_MAX], small[4];
	int level;

	(void)state;
	layout("dgx-h100");
	assert_int_equal(fp_pci_nearest_nic(root, 8, nic, sizeof(nic), &level), ENODEV);
	assert_int_equal(fp_pci_nearest_nic(root, -1, nic, sizeof(nic), &level), ENODEV);
	assert_int_equal(fp_pci_nearest_nic(root, 0, small, sizeof(small), &level),
			 ENAMETOOLONG);
	assert_int_equal(fp_pci_nearest_nic(layout("nowhere"), 0, nic, sizeof(nic),
					    &level), ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nearest_every_gpu),
		cmocka_unit_test(test_gpu_census),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("pcitopo", tests, setup, teardown);
}
