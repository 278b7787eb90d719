// SPDX-License-Identifier: GPL-2.0
/* netlink.c - the "flowplan" generic netlink family. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "flowplan.h"
#include "policy.h"

static struct genl_family fp_family __ro_after_init;

enum fp_mcgrp {
	FP_MCGRP_EVENTS,
};

static int fp_nl_set_plan(struct sk_buff *skb, struct genl_info *info)
{
	struct fp_net *fn = fp_net(genl_info_net(info));
	struct nlattr *gattr = info->attrs[FLOWPLAN_A_GENERATION];
	struct fp_plan *plan, *old;
	int ret = 0;

	mutex_lock(&fn->lock);
	/* The request's own faults first, then its place in the sequence. */
	plan = fp_stages_add(&fn->stages, info->snd_portid, info->attrs,
			     READ_ONCE(fp_max_entries), info->extack);
	if (IS_ERR(plan)) {
		ret = PTR_ERR(plan);
		goto out;
	}
	old = rcu_dereference_protected(fn->plan, lockdep_is_held(&fn->lock));
	if (old && nla_get_u64(gattr) < old->generation) {
		NL_SET_ERR_MSG_ATTR(info->extack, gattr,
				    "generation is older than the installed plan's");
		fp_stages_drop(&fn->stages, info->snd_portid);
		fp_plan_free(plan);
		ret = -ESTALE;
		goto out;
	}
	if (!plan)	/* more parts to come */
		goto out;
	rcu_assign_pointer(fn->plan, plan);
	/* Pairs with the dump's acquire: a new seq implies the new plan. */
	smp_store_release(&fn->seq, fn->seq + 1 ?: 1);
	fp_nl_notify_plan(fn, plan->generation, plan->n);
	mutex_unlock(&fn->lock);
	if (old) {
		synchronize_rcu();
		fp_plan_free(old);
	}
	return 0;
out:
	mutex_unlock(&fn->lock);
	return ret;
}

static int fp_nl_del_plan(struct sk_buff *skb, struct genl_info *info)
{
	struct fp_net *fn = fp_net(genl_info_net(info));
	struct fp_plan *old;

	mutex_lock(&fn->lock);
	fp_stages_drop_all(&fn->stages);
	old = rcu_replace_pointer(fn->plan, NULL, lockdep_is_held(&fn->lock));
	/* Pairs with the dump's acquire: a new seq implies the new plan. */
	smp_store_release(&fn->seq, fn->seq + 1 ?: 1);
	fp_nl_notify_plan(fn, 0, 0);
	mutex_unlock(&fn->lock);
	if (old) {
		synchronize_rcu();
		fp_plan_free(old);
	}
	return 0;
}

static int fp_nl_get_plan_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct fp_net *fn = fp_net(sock_net(skb->sk));
	unsigned int idx = cb->args[0], first;
	const struct fp_plan *plan;
	struct nlattr *ents;
	int ret = -EMSGSIZE;
	void *hdr;

	if (cb->args[1])
		return 0;
	rcu_read_lock();
	/* Pairs with the writers' release: seq first, then the plan. */
	cb->seq = smp_load_acquire(&fn->seq);
	plan = rcu_dereference(fn->plan);
	hdr = fp_nl_dump_put(skb, cb, FLOWPLAN_CMD_GET_PLAN);
	if (!hdr)
		goto out;
	if (nla_put_u64_64bit(skb, FLOWPLAN_A_GENERATION,
			      plan ? plan->generation : 0, FLOWPLAN_A_PAD) ||
	    nla_put_u32(skb, FLOWPLAN_A_NENTRIES, plan ? plan->n : 0))
		goto cancel;
	ents = nla_nest_start(skb, FLOWPLAN_A_ENTRIES);
	if (!ents)
		goto cancel;
	/*
	 * An element's type is its index in this message's array: a type
	 * holds 14 bits, and a message far fewer entries than 16384.
	 */
	for (first = idx; plan && idx < plan->n; idx++)
		if (fp_nl_put_entry(skb, idx - first, &plan->entries[idx]))
			break;
	if (plan && idx < plan->n && idx == first)
		goto cancel;
	nla_nest_end(skb, ents);
	genlmsg_end(skb, hdr);
	if (!plan || idx >= plan->n)
		cb->args[1] = 1;
	cb->args[0] = idx;
	ret = skb->len;
	goto out;
cancel:
	genlmsg_cancel(skb, hdr);
out:
	rcu_read_unlock();
	return ret;
}

static int fp_nl_put_counter(struct sk_buff *skb, int idx,
			     const struct fp_counter_val *v)
{
	struct nlattr *nest = nla_nest_start(skb, idx);

	if (!nest)
		return -EMSGSIZE;
	if (fp_nl_put_addr(skb, FLOWPLAN_COUNTER_A_REMOTE_ADDR, &v->daddr) ||
	    nla_put_u16(skb, FLOWPLAN_COUNTER_A_SPORT, v->sport) ||
	    nla_put_u64_64bit(skb, FLOWPLAN_COUNTER_A_PACKETS, v->packets,
			      FLOWPLAN_COUNTER_A_PAD) ||
	    nla_put_u64_64bit(skb, FLOWPLAN_COUNTER_A_BYTES, v->bytes,
			      FLOWPLAN_COUNTER_A_PAD) ||
	    nla_put_u64_64bit(skb, FLOWPLAN_COUNTER_A_REWRITTEN, v->rewritten,
			      FLOWPLAN_COUNTER_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int fp_nl_get_counters_dump(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct fp_net *fn = fp_net(sock_net(skb->sk));
	unsigned int pos = cb->args[0], at;
	struct fp_counter_val v;
	struct fp_counters *c;
	struct nlattr *nest;
	int n = 0, ret = -EMSGSIZE;
	void *hdr;

	if (cb->args[1])
		return 0;
	rcu_read_lock();
	/* Pairs with DEL_COUNTERS' release: a new seq implies a new table. */
	cb->seq = smp_load_acquire(&fn->counters_seq);
	c = rcu_dereference(fn->counters);
	hdr = fp_nl_dump_put(skb, cb, FLOWPLAN_CMD_GET_COUNTERS);
	if (!hdr)
		goto out;
	if (nla_put_u64_64bit(skb, FLOWPLAN_A_UNTRACKED,
			      atomic64_read(&c->untracked), FLOWPLAN_A_PAD))
		goto cancel;
	nest = nla_nest_start(skb, FLOWPLAN_A_COUNTERS);
	if (!nest)
		goto cancel;
	for (at = pos; fp_counters_read(c, &pos, &v); at = pos) {
		if (fp_nl_put_counter(skb, n, &v)) {
			pos = at;
			break;
		}
		n++;
	}
	if (!n && pos <= c->mask)
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	if (pos > c->mask)
		cb->args[1] = 1;
	cb->args[0] = pos;
	ret = skb->len;
	goto out;
cancel:
	genlmsg_cancel(skb, hdr);
out:
	rcu_read_unlock();
	return ret;
}

/*
 * A new, empty counter table; the old one goes once no packet counts
 * into it. Needs CAP_NET_ADMIN over the namespace.
 */
static int fp_nl_del_counters(struct sk_buff *skb, struct genl_info *info)
{
	struct fp_net *fn = fp_net(genl_info_net(info));
	struct fp_counters *c, *old;

	c = fp_net_counters_alloc();
	if (!c) {
		NL_SET_ERR_MSG(info->extack,
			       "out of memory for a new counter table");
		return -ENOMEM;
	}
	mutex_lock(&fn->lock);
	old = rcu_replace_pointer(fn->counters, c, lockdep_is_held(&fn->lock));
	/* Pairs with the dump's acquire: a new seq implies the new table. */
	smp_store_release(&fn->counters_seq, fn->counters_seq + 1 ?: 1);
	mutex_unlock(&fn->lock);
	synchronize_rcu();
	fp_counters_free(old);
	return 0;
}

static const struct genl_ops fp_ops[] = {
	{
		.cmd = FLOWPLAN_CMD_SET_PLAN,
		.doit = fp_nl_set_plan,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = FLOWPLAN_CMD_GET_PLAN,
		.dumpit = fp_nl_get_plan_dump,
	},
	{
		.cmd = FLOWPLAN_CMD_DEL_PLAN,
		.doit = fp_nl_del_plan,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = FLOWPLAN_CMD_GET_DEVICES,
		.start = fp_device_dump_start,
		.dumpit = fp_device_dump,
	},
	{
		.cmd = FLOWPLAN_CMD_GET_COUNTERS,
		.dumpit = fp_nl_get_counters_dump,
	},
	{
		.cmd = FLOWPLAN_CMD_DEL_COUNTERS,
		.doit = fp_nl_del_counters,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group fp_mcgrps[] = {
	[FP_MCGRP_EVENTS] = { .name = FLOWPLAN_MCGRP_EVENTS },
};

static struct genl_family fp_family __ro_after_init = {
	.name = FLOWPLAN_GENL_NAME,
	.version = FLOWPLAN_GENL_VERSION,
	.maxattr = FLOWPLAN_A_MAX,
	.policy = fp_attr_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = fp_ops,
	.n_ops = ARRAY_SIZE(fp_ops),
	.resv_start_op = FLOWPLAN_CMD_GET_COUNTERS + 1,
	.mcgrps = fp_mcgrps,
	.n_mcgrps = ARRAY_SIZE(fp_mcgrps),
};

void *fp_nl_dump_put(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd)
{
	void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				cb->nlh->nlmsg_seq, &fp_family, NLM_F_MULTI,
				cmd);

	if (hdr)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

struct sk_buff *fp_nl_event_new(u8 cmd, size_t size, gfp_t gfp, void **hdr)
{
	struct sk_buff *skb = genlmsg_new(size, gfp);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &fp_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

bool fp_nl_event_listened(struct net *net)
{
	return netlink_has_listeners(net->genl_sock,
				     fp_family.mcgrp_offset + FP_MCGRP_EVENTS);
}

void fp_nl_event_send(struct net *net, struct sk_buff *skb, void *hdr,
		      gfp_t gfp)
{
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&fp_family, net, skb, 0, FP_MCGRP_EVENTS, gfp);
}

void fp_nl_notify_plan(struct fp_net *fn, u64 generation, unsigned int n)
{
	struct sk_buff *skb;
	void *hdr;

	skb = fp_nl_event_new(FLOWPLAN_CMD_PLAN_CHANGED, NLMSG_GOODSIZE,
			      GFP_KERNEL, &hdr);
	if (!skb)
		return;
	if (nla_put_u64_64bit(skb, FLOWPLAN_A_GENERATION, generation,
			      FLOWPLAN_A_PAD) ||
	    nla_put_u32(skb, FLOWPLAN_A_NENTRIES, n)) {
		nlmsg_free(skb);
		return;
	}
	fp_nl_event_send(fn->net, skb, hdr, GFP_KERNEL);
}

/*
 * A sender that closes its socket before the last part of a plan takes its
 * staged parts with it: nothing else would free them before the next
 * SET_PLAN, and a later socket bound to the same port id could otherwise
 * complete a plan it never started.
 */
static int fp_nl_release(struct notifier_block *nb, unsigned long event,
			 void *ptr)
{
	struct netlink_notify *n = ptr;
	struct fp_net *fn;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;
	fn = fp_net(n->net);
	mutex_lock(&fn->lock);
	fp_stages_drop(&fn->stages, n->portid);
	mutex_unlock(&fn->lock);
	return NOTIFY_DONE;
}

static struct notifier_block fp_nl_release_nb = {
	.notifier_call = fp_nl_release,
};

int fp_genl_init(void)
{
	int ret;

	ret = genl_register_family(&fp_family);
	if (ret)
		return ret;
	ret = netlink_register_notifier(&fp_nl_release_nb);
	if (ret)
		genl_unregister_family(&fp_family);
	return ret;
}

void fp_genl_exit(void)
{
	netlink_unregister_notifier(&fp_nl_release_nb);
	genl_unregister_family(&fp_family);
}
