// SPDX-License-Identifier: GPL-2.0
/* policy.c - flowplan attribute policies; plan <-> attributes. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <net/ipv6.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "policy.h"

static struct netlink_range_validation fp_label_range = {
	.max = FLOWPLAN_FLOW_LABEL_MAX,
};

static struct netlink_range_validation fp_weight_range = {
	.max = FLOWPLAN_WEIGHT_ONE,
};

static struct netlink_range_validation fp_dqpn_range = {
	.max = FLOWPLAN_DQPN_MAX,
};

const struct nla_policy fp_subflow_policy[FLOWPLAN_SUBFLOW_A_MAX + 1] = {
	[FLOWPLAN_SUBFLOW_A_FLOW_LABEL] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &fp_label_range),
	[FLOWPLAN_SUBFLOW_A_SPORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[FLOWPLAN_SUBFLOW_A_WEIGHT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &fp_weight_range),
};

/*
 * An address is 4 bytes (IPv4) or 16 (IPv6): the length is the family.
 * IPv4 as an IPv4-mapped IPv6 address would be a second spelling of one
 * entry (and is how the tables hold IPv4): refused.
 */
static int fp_nl_validate_addr(const struct nlattr *nla,
			       struct netlink_ext_ack *extack)
{
	switch (nla_len(nla)) {
	case sizeof(struct in_addr):
		return 0;
	case sizeof(struct in6_addr):
		if (ipv6_addr_v4mapped(nla_data(nla))) {
			NL_SET_ERR_MSG_ATTR(extack, nla,
					    "IPv4-mapped IPv6 address: send IPv4 as 4 bytes");
			return -EINVAL;
		}
		return 0;
	default:
		NL_SET_ERR_MSG_ATTR(extack, nla,
				    "an address is 4 bytes (IPv4) or 16 (IPv6)");
		return -ERANGE;
	}
}

/* A validated address attribute; IPv4 as FP_ADDR4(). */
static struct in6_addr fp_nl_get_addr(const struct nlattr *nla)
{
	if (nla_len(nla) == sizeof(struct in_addr))
		return FP_ADDR4(nla_get_in_addr(nla));
	return nla_get_in6_addr(nla);
}

int fp_nl_put_addr(struct sk_buff *skb, int type, const struct in6_addr *a)
{
	if (ipv6_addr_v4mapped(a))
		return nla_put_in_addr(skb, type, a->s6_addr32[3]);
	return nla_put_in6_addr(skb, type, a);
}

const struct nla_policy fp_entry_policy[FLOWPLAN_ENTRY_A_MAX + 1] = {
	[FLOWPLAN_ENTRY_A_LOCAL_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, fp_nl_validate_addr,
				       sizeof(struct in6_addr)),
	[FLOWPLAN_ENTRY_A_REMOTE_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, fp_nl_validate_addr,
				       sizeof(struct in6_addr)),
	[FLOWPLAN_ENTRY_A_DQPN] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &fp_dqpn_range),
	[FLOWPLAN_ENTRY_A_FLAGS] =
		NLA_POLICY_MASK(NLA_U32, __FLOWPLAN_ENTRY_F_ALL),
	[FLOWPLAN_ENTRY_A_SUBFLOWS] =
		NLA_POLICY_NESTED_ARRAY(fp_subflow_policy),
};

const struct nla_policy fp_attr_policy[FLOWPLAN_A_MAX + 1] = {
	[FLOWPLAN_A_GENERATION] = { .type = NLA_U64 },
	[FLOWPLAN_A_NENTRIES] = { .type = NLA_U32 },
	[FLOWPLAN_A_ENTRIES] = NLA_POLICY_NESTED_ARRAY(fp_entry_policy),
	[FLOWPLAN_A_DEVICE] = { .type = NLA_REJECT },
	[FLOWPLAN_A_COUNTERS] = { .type = NLA_REJECT },
	[FLOWPLAN_A_UNTRACKED] = { .type = NLA_REJECT },
	[FLOWPLAN_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, __FLOWPLAN_F_ALL),
	[FLOWPLAN_A_PART] = { .type = NLA_U32 },
};

/* A missing attribute: the nest and type for tools, a sentence for people. */
#define fp_nl_missing(extack, nest, tb, type, msg) ({			\
	bool __missing = !(tb)[type];					\
									\
	if (__missing) {						\
		NL_SET_ERR_MSG_ATTR(extack, nest, msg);			\
		NL_SET_ERR_ATTR_MISS(extack, nest, type);		\
	}								\
	__missing;							\
})

static int fp_nl_parse_subflow(const struct nlattr *nla, struct fp_subflow *s,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[FLOWPLAN_SUBFLOW_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, FLOWPLAN_SUBFLOW_A_MAX, nla,
			       fp_subflow_policy, extack);
	if (ret)
		return ret;
	if (fp_nl_missing(extack, nla, tb, FLOWPLAN_SUBFLOW_A_FLOW_LABEL,
			  "a subflow needs a flow label") ||
	    fp_nl_missing(extack, nla, tb, FLOWPLAN_SUBFLOW_A_SPORT,
			  "a subflow needs a source port"))
		return -EINVAL;
	s->flow_label = nla_get_u32(tb[FLOWPLAN_SUBFLOW_A_FLOW_LABEL]);
	s->sport = nla_get_u16(tb[FLOWPLAN_SUBFLOW_A_SPORT]);
	s->weight = tb[FLOWPLAN_SUBFLOW_A_WEIGHT] ?
		    nla_get_u32(tb[FLOWPLAN_SUBFLOW_A_WEIGHT]) : 0;
	return 0;
}

int fp_nl_parse_entry(const struct nlattr *nla, struct fp_entry *e,
		      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[FLOWPLAN_ENTRY_A_MAX + 1];
	const struct nlattr *sub;
	u32 wsum = 0;
	int ret, rem;

	ret = nla_parse_nested(tb, FLOWPLAN_ENTRY_A_MAX, nla, fp_entry_policy,
			       extack);
	if (ret)
		return ret;
	if (fp_nl_missing(extack, nla, tb, FLOWPLAN_ENTRY_A_LOCAL_ADDR,
			  "an entry needs a local address") ||
	    fp_nl_missing(extack, nla, tb, FLOWPLAN_ENTRY_A_REMOTE_ADDR,
			  "an entry needs a remote address") ||
	    fp_nl_missing(extack, nla, tb, FLOWPLAN_ENTRY_A_SUBFLOWS,
			  "an entry needs subflows"))
		return -EINVAL;
	if (nla_len(tb[FLOWPLAN_ENTRY_A_LOCAL_ADDR]) !=
	    nla_len(tb[FLOWPLAN_ENTRY_A_REMOTE_ADDR])) {
		NL_SET_ERR_MSG_ATTR(extack, tb[FLOWPLAN_ENTRY_A_REMOTE_ADDR],
				    "local and remote address of different families");
		return -EINVAL;
	}
	memset(e, 0, sizeof(*e));
	e->local = fp_nl_get_addr(tb[FLOWPLAN_ENTRY_A_LOCAL_ADDR]);
	e->remote = fp_nl_get_addr(tb[FLOWPLAN_ENTRY_A_REMOTE_ADDR]);
	if (tb[FLOWPLAN_ENTRY_A_DQPN])
		e->dqpn = nla_get_u32(tb[FLOWPLAN_ENTRY_A_DQPN]);
	if (tb[FLOWPLAN_ENTRY_A_FLAGS])
		e->flags = nla_get_u32(tb[FLOWPLAN_ENTRY_A_FLAGS]);

	nla_for_each_nested(sub, tb[FLOWPLAN_ENTRY_A_SUBFLOWS], rem) {
		if (e->nsub == FLOWPLAN_MAX_SUBFLOWS) {
			NL_SET_ERR_MSG_ATTR(extack, sub,
					    "more than 16 subflows in an entry");
			return -E2BIG;
		}
		ret = fp_nl_parse_subflow(sub, &e->sub[e->nsub], extack);
		if (ret)
			return ret;
		wsum += e->sub[e->nsub++].weight;
	}
	/* The policies stop at an array's last whole element. */
	if (rem) {
		NL_SET_ERR_MSG_ATTR(extack, tb[FLOWPLAN_ENTRY_A_SUBFLOWS],
				    "bytes left over after the last subflow");
		return -EINVAL;
	}
	if (!e->nsub) {
		NL_SET_ERR_MSG_ATTR(extack, tb[FLOWPLAN_ENTRY_A_SUBFLOWS],
				    "an entry needs at least one subflow");
		return -EINVAL;
	}
	if (wsum && wsum != FLOWPLAN_WEIGHT_ONE) {
		NL_SET_ERR_MSG_ATTR(extack, tb[FLOWPLAN_ENTRY_A_SUBFLOWS],
				    "subflow weights must sum to 65536 (or be absent)");
		return -EINVAL;
	}
	return 0;
}

struct fp_plan *fp_plan_build(const struct fp_entry *e, unsigned int n,
			      u64 generation, struct netlink_ext_ack *extack)
{
	struct fp_plan *plan;
	unsigned int i;

	plan = fp_plan_alloc(n, generation, GFP_KERNEL_ACCOUNT);
	if (!plan) {
		NL_SET_ERR_MSG(extack, "out of memory building the plan");
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < n; i++) {
		if (fp_plan_add(plan, &e[i])) {
			NL_SET_ERR_MSG(extack,
				       "duplicate entry (same local, remote and dqpn)");
			fp_plan_free(plan);
			return ERR_PTR(-EEXIST);
		}
	}
	return plan;
}

int fp_nl_put_entry(struct sk_buff *skb, int idx, const struct fp_entry *e)
{
	struct nlattr *ent, *subs, *sub;
	unsigned int i;

	ent = nla_nest_start(skb, idx);
	if (!ent)
		return -EMSGSIZE;
	if (fp_nl_put_addr(skb, FLOWPLAN_ENTRY_A_LOCAL_ADDR, &e->local) ||
	    fp_nl_put_addr(skb, FLOWPLAN_ENTRY_A_REMOTE_ADDR, &e->remote) ||
	    nla_put_u32(skb, FLOWPLAN_ENTRY_A_DQPN, e->dqpn) ||
	    nla_put_u32(skb, FLOWPLAN_ENTRY_A_FLAGS, e->flags))
		goto err;
	subs = nla_nest_start(skb, FLOWPLAN_ENTRY_A_SUBFLOWS);
	if (!subs)
		goto err;
	for (i = 0; i < e->nsub; i++) {
		sub = nla_nest_start(skb, i);
		if (!sub ||
		    nla_put_u32(skb, FLOWPLAN_SUBFLOW_A_FLOW_LABEL,
				e->sub[i].flow_label) ||
		    nla_put_u16(skb, FLOWPLAN_SUBFLOW_A_SPORT, e->sub[i].sport) ||
		    nla_put_u32(skb, FLOWPLAN_SUBFLOW_A_WEIGHT, e->sub[i].weight))
			goto err;
		nla_nest_end(skb, sub);
	}
	nla_nest_end(skb, subs);
	nla_nest_end(skb, ent);
	return 0;
err:
	nla_nest_cancel(skb, ent);
	return -EMSGSIZE;
}
