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

unsigned int fp_max_entries = 1024;
module_param_named(max_entries, fp_max_entries, uint, 0644);
MODULE_PARM_DESC(max_entries, "most plan entries a namespace may hold (1024)");

unsigned int fp_max_counters = 4096;
module_param_named(max_counters, fp_max_counters, uint, 0444);
MODULE_PARM_DESC(max_counters,
		 "per-path counter slots per namespace, rounded up to a power of two (4096)");

unsigned int fp_net_id __read_mostly;

static int __net_init fp_net_init(struct net *net)
{
	struct fp_net *fn = fp_net(net);
	int ret;

	fn->net = net;
	mutex_init(&fn->lock);
	fp_stages_init(&fn->stages);
	/*
	 * nl_dump_check_consistent() ignores a previous seq of 0: a dump that
	 * began at 0 would never be flagged NLM_F_DUMP_INTR.
	 */
	fn->seq = 1;
	fn->counters = fp_counters_alloc(clamp(fp_max_counters, 1U, 1U << 20));
	if (!fn->counters)
		return -ENOMEM;
	ret = fp_hook_register(net);
	if (ret)
		goto err_counters;
	return 0;
err_counters:
	fp_counters_free(fn->counters);
	return ret;
}

/*
 * nf_unregister_net_hook() frees the hook array with call_rcu() and does not
 * wait for the hook's readers: a CPU may still be in fp_hook_skb() with this
 * namespace's plan and counters. Unregistering here, before the grace period
 * the namespace core waits between pre_exit and exit, lets fp_net_exit()
 * free them safely.
 */
static void __net_exit fp_net_pre_exit(struct net *net)
{
	fp_hook_unregister(net);
}

static void __net_exit fp_net_exit(struct net *net)
{
	struct fp_net *fn = fp_net(net);

	fp_plan_free(rcu_dereference_protected(fn->plan, true));
	fp_stages_drop_all(&fn->stages);
	fp_counters_free(fn->counters);
}

static struct pernet_operations fp_net_ops = {
	.init = fp_net_init,
	.pre_exit = fp_net_pre_exit,
	.exit = fp_net_exit,
	.id = &fp_net_id,
	.size = sizeof(struct fp_net),
};

static int __init fp_mod_init(void)
{
	int ret;

	fp_icrc_init();
	ret = register_pernet_subsys(&fp_net_ops);
	if (ret)
		goto err_pernet;
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
	unregister_pernet_subsys(&fp_net_ops);
err_pernet:
	return ret;
}

static void __exit fp_mod_exit(void)
{
	fp_device_exit();
	fp_genl_exit();
	unregister_pernet_subsys(&fp_net_ops);
}

module_init(fp_mod_init);
module_exit(fp_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("RoCEv2 path plans: pinning, counters, RDMA device events");
MODULE_AUTHOR("flowplan developers");
MODULE_ALIAS_GENL_FAMILY(FLOWPLAN_GENL_NAME);
