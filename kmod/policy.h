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
 * fp_nl_parse_plan - build a plan table from the validated top-level
 * attributes of a SET_PLAN request. At most @max_entries entries.
 * Returns the table or an ERR_PTR, with @extack set.
 */
struct fp_plan *fp_nl_parse_plan(struct nlattr **attrs,
				 unsigned int max_entries,
				 struct netlink_ext_ack *extack);
/* Put entry @e as element @idx of an entries nest. */
int fp_nl_put_entry(struct sk_buff *skb, int idx, const struct fp_entry *e);

#endif
