/* SPDX-License-Identifier: GPL-2.0 */
/*
 * policy.h - the attribute policies of the flowplan family and the
 * translation between plan attributes and plan tables. No genetlink state:
 * the KUnit tests drive it with attributes they build.
 */
#ifndef _FLOWPLAN_POLICY_H
#define _FLOWPLAN_POLICY_H

#include <net/netlink.h>
#include <linux/flowplan.h>

#include "plan.h"

extern const struct nla_policy fp_attr_policy[FLOWPLAN_A_MAX + 1];
extern const struct nla_policy fp_entry_policy[FLOWPLAN_ENTRY_A_MAX + 1];
extern const struct nla_policy fp_subflow_policy[FLOWPLAN_SUBFLOW_A_MAX + 1];

/*
 * fp_nl_parse_entry - one element of a FLOWPLAN_A_ENTRIES array into @e.
 * Returns 0 or -errno, with @extack set.
 */
int fp_nl_parse_entry(const struct nlattr *nla, struct fp_entry *e,
		      struct netlink_ext_ack *extack);
/*
 * fp_plan_build - the plan table of @n entries: -EEXIST for a duplicate
 * key, -ENOMEM; with @extack set.
 */
struct fp_plan *fp_plan_build(const struct fp_entry *e, unsigned int n,
			      u64 generation, struct netlink_ext_ack *extack);
/* Put address @a as attribute @type: 4 bytes for IPv4, 16 for IPv6. */
int fp_nl_put_addr(struct sk_buff *skb, int type, const struct in6_addr *a);
/* Put entry @e as element @idx of an entries nest. */
int fp_nl_put_entry(struct sk_buff *skb, int idx, const struct fp_entry *e);

#endif
