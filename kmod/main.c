// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - flowplan.ko: the host's RoCEv2 path plan, RDMA devices and links,
 * per-path counters and source-port pinning. See
 * include/uapi/linux/flowplan.h for the netlink interface.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>

#include "flowplan.h"
#include "icrc.h"

static int __init fp_mod_init(void)
{
	int ret;

	fp_icrc_init();
	ret = fp_net_register();
	if (ret)
		goto err_net;
	ret = fp_genl_init();
	if (ret)
		goto err_genl;
	ret = fp_device_init();
	if (ret)
		goto err_device;
	pr_info("loaded: max_entries=%u max_counters=%u\n", fp_max_entries,
		fp_max_counters);
	return 0;

err_device:
	fp_genl_exit();
err_genl:
	fp_net_unregister();
err_net:
	return ret;
}

static void __exit fp_mod_exit(void)
{
	fp_device_exit();
	fp_genl_exit();
	fp_net_unregister();
}

module_init(fp_mod_init);
module_exit(fp_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("RoCEv2 path plans: pinning, counters, RDMA device events");
MODULE_AUTHOR("flowplan developers");
MODULE_ALIAS_GENL_FAMILY(FLOWPLAN_GENL_NAME);
