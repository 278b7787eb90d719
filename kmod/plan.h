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
#include <linux/in6.h>
#include <linux/rcupdate.h>
#include <linux/flowplan.h>

/*
 * Addresses of both families are kept as struct in6_addr, IPv4 as the
 * IPv4-mapped IPv6 address ::ffff:a.b.c.d. Netlink refuses that form for
 * IPv6 entries, so it names IPv4 and nothing else.
 */
#define FP_ADDR4(a)	((struct in6_addr){ .s6_addr32 = {		\
				0, 0, cpu_to_be32(0x0000ffff), (a) } })

struct fp_subflow {
	u32 flow_label;
	u32 weight;
	u16 sport;
};

struct fp_entry {
	struct in6_addr local;	/* IPv4: FP_ADDR4() */
	struct in6_addr remote;	/* of the local address's family */
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
				      const struct in6_addr *local,
				      const struct in6_addr *remote, u32 dqpn);
/*
 * The source port a packet to @dqpn should carry under @e: @sport itself when
 * it is one of the entry's subflow ports (the sender already pins), else the
 * port of subflow dqpn % nsub.
 */
u16 fp_entry_pick_sport(const struct fp_entry *e, u32 dqpn, u16 sport);
/*
 * The subflow of @e a packet to @dqpn on @sport belongs to: the one whose
 * port it is, else subflow dqpn % nsub (@e has at least one subflow).
 */
unsigned int fp_entry_pick(const struct fp_entry *e, u32 dqpn, u16 sport);
/* @dqpn % @nsub (@dqpn < 2^24, 1 <= @nsub <= FLOWPLAN_MAX_SUBFLOWS). */
unsigned int fp_subflow_of(u32 dqpn, unsigned int nsub);

#endif
