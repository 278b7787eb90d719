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

/* Entries of a plan sent in several SET_PLAN messages, until the last. */
struct fp_staging {
	bool active;
	u32 portid;
	u64 generation;
	unsigned int n, cap;
	struct fp_entry *e;
};

/*
 * fp_nl_stage - append the entries of a SET_PLAN request (validated
 * top-level attributes) to @st; at most @max_entries in all.
 * Returns 0 or -errno, with @extack set.
 */
int fp_nl_stage(struct fp_staging *st, struct nlattr **attrs,
		unsigned int max_entries, struct netlink_ext_ack *extack);
/* The plan table of the staged entries; -EEXIST for a duplicate key. */
struct fp_plan *fp_staging_build(const struct fp_staging *st,
				 struct netlink_ext_ack *extack);
void fp_staging_reset(struct fp_staging *st);
/* A one-message plan: stage, build, reset. */
struct fp_plan *fp_nl_parse_plan(struct nlattr **attrs,
				 unsigned int max_entries,
				 struct netlink_ext_ack *extack);
/* Put entry @e as element @idx of an entries nest. */
int fp_nl_put_entry(struct sk_buff *skb, int idx, const struct fp_entry *e);

#endif
