/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plan.h - the plan table: entries keyed by (local, remote, dqpn or wildcard)
 * giving the pinned source ports of their subflows. A table is immutable once
 * built; a new plan is a new table swapped in with rcu_assign_pointer(), so a
 * reader sees the old plan or the new one, never a mix.
 */
#ifndef _FLOWPLAN_PLAN_H
#define _FLOWPLAN_PLAN_H

#include <linux/types.h>
#include <linux/rcupdate.h>
#include <linux/flowplan.h>

struct fp_subflow {
	u32 flow_label;
	u32 weight;
	u16 sport;
};

struct fp_entry {
	__be32 local;
	__be32 remote;
	u32 dqpn;		/* FLOWPLAN_DQPN_ANY: any QP */
	u32 flags;		/* FLOWPLAN_ENTRY_F_* */
	u32 next;		/* hash chain: index + 1, 0 ends */
	unsigned int nsub;
	struct fp_subflow sub[FLOWPLAN_MAX_SUBFLOWS];
};

struct fp_plan {
	struct rcu_head rcu;
	u64 generation;
	unsigned int n;		/* entries in use */
	unsigned int cap;
	unsigned int hmask;	/* buckets - 1 */
	u32 *bucket;		/* index + 1 of the first entry, 0: empty */
	struct fp_entry entries[];
};

struct fp_plan *fp_plan_alloc(unsigned int cap, u64 generation, gfp_t gfp);
void fp_plan_free(struct fp_plan *plan);
/* Copies @e in; -ENOSPC past the capacity, -EEXIST for a duplicate key. */
int fp_plan_add(struct fp_plan *plan, const struct fp_entry *e);
/* Exact dqpn first, then the pair's wildcard entry; NULL when neither. */
const struct fp_entry *fp_plan_lookup(const struct fp_plan *plan,
				      __be32 local, __be32 remote, u32 dqpn);
/*
 * The source port a packet to @dqpn should carry under @e: @sport itself when
 * it is one of the entry's subflow ports (the sender already pins), else the
 * port of subflow dqpn % nsub.
 */
u16 fp_entry_pick_sport(const struct fp_entry *e, u32 dqpn, u16 sport);
/* @dqpn % @nsub (@dqpn < 2^24, 1 <= @nsub <= FLOWPLAN_MAX_SUBFLOWS). */
unsigned int fp_subflow_of(u32 dqpn, unsigned int nsub);

#endif
