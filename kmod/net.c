// SPDX-License-Identifier: GPL-2.0
/*
 * net.c - each network namespace's flowplan state: its plan, the SET_PLAN
 * parts staged in it, its counters and its netfilter hook; and the module
 * parameters that bound them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>

#include "flowplan.h"

/* Out of range is refused (insmod, sysfs write), never clamped. */
#define FP_PARAM_MAX	(1U << 20)

static int fp_param_set_entries(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, FP_PARAM_MAX);
}

static int fp_param_set_counters(const char *val,
				 const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, FP_PARAM_MAX);
}

static const struct kernel_param_ops fp_entries_ops = {
	.set = fp_param_set_entries,
	.get = param_get_uint,
};

static const struct kernel_param_ops fp_counters_ops = {
	.set = fp_param_set_counters,
	.get = param_get_uint,
};

unsigned int fp_max_entries = 1024;
module_param_cb(max_entries, &fp_entries_ops, &fp_max_entries, 0644);
MODULE_PARM_DESC(max_entries,
		 "most plan entries a namespace may hold, 0 to 1048576 (1024)");

unsigned int fp_max_counters = 4096;
module_param_cb(max_counters, &fp_counters_ops, &fp_max_counters, 0644);
MODULE_PARM_DESC(max_counters,
		 "per-path counter slots of a namespace's new counter table, 1 to 1048576, rounded up to a power of two (4096)");

unsigned int fp_net_id __read_mostly;

struct fp_counters *fp_net_counters_alloc(void)
{
	return fp_counters_alloc(READ_ONCE(fp_max_counters));
}

static int __net_init fp_net_init(struct net *net)
{
	struct fp_net *fn = fp_net(net);
	struct fp_counters *c;
	int ret;

	fn->net = net;
	mutex_init(&fn->lock);
	fp_stages_init(&fn->stages);
	/*
	 * nl_dump_check_consistent() ignores a previous seq of 0: a dump that
	 * began at 0 would never be flagged NLM_F_DUMP_INTR.
	 */
	fn->seq = 1;
	fn->counters_seq = 1;
	c = fp_net_counters_alloc();
	if (!c)
		return -ENOMEM;
	RCU_INIT_POINTER(fn->counters, c);
	ret = fp_hook_register(net);
	if (ret)
		goto err_counters;
	return 0;
err_counters:
	fp_counters_free(c);
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
	fp_counters_free(rcu_dereference_protected(fn->counters, true));
}

static struct pernet_operations fp_net_ops = {
	.init = fp_net_init,
	.pre_exit = fp_net_pre_exit,
	.exit = fp_net_exit,
	.id = &fp_net_id,
	.size = sizeof(struct fp_net),
};

int fp_net_register(void)
{
	return register_pernet_subsys(&fp_net_ops);
}

void fp_net_unregister(void)
{
	unregister_pernet_subsys(&fp_net_ops);
}
