// SPDX-License-Identifier: GPL-2.0
/*
 * plan.c - the plan table. Built once by fp_plan_add() before publication,
 * read locklessly under RCU afterwards.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/ipv6.h>

#include "plan.h"

static u32 fp_plan_hash(const struct fp_plan *plan,
			const struct in6_addr *local,
			const struct in6_addr *remote, u32 dqpn)
{
	u32 h = jhash2((const u32 *)local->s6_addr32, 4, dqpn);

	return jhash2((const u32 *)remote->s6_addr32, 4, h) & plan->hmask;
}

struct fp_plan *fp_plan_alloc(unsigned int cap, u64 generation, gfp_t gfp)
{
	unsigned int nb = roundup_pow_of_two(max(cap, 1U) * 2);
	struct fp_plan *plan;

	plan = kvzalloc(struct_size(plan, entries, cap), gfp);
	if (!plan)
		return NULL;
	plan->bucket = kvcalloc(nb, sizeof(*plan->bucket), gfp);
	if (!plan->bucket) {
		kvfree(plan);
		return NULL;
	}
	plan->cap = cap;
	plan->hmask = nb - 1;
	plan->generation = generation;
	return plan;
}

void fp_plan_free(struct fp_plan *plan)
{
	if (!plan)
		return;
	kvfree(plan->bucket);
	kvfree(plan);
}

static const struct fp_entry *fp_plan_find(const struct fp_plan *plan,
					   const struct in6_addr *local,
					   const struct in6_addr *remote,
					   u32 dqpn)
{
	u32 i = plan->bucket[fp_plan_hash(plan, local, remote, dqpn)];
	const struct fp_entry *e;

	while (i) {
		e = &plan->entries[i - 1];
		if (e->dqpn == dqpn && ipv6_addr_equal(&e->local, local) &&
		    ipv6_addr_equal(&e->remote, remote))
			return e;
		i = e->next;
	}
	return NULL;
}

int fp_plan_add(struct fp_plan *plan, const struct fp_entry *e)
{
	struct fp_entry *n;
	u32 h;

	if (fp_plan_find(plan, &e->local, &e->remote, e->dqpn))
		return -EEXIST;
	if (plan->n >= plan->cap)
		return -ENOSPC;
	n = &plan->entries[plan->n++];
	*n = *e;
	h = fp_plan_hash(plan, &e->local, &e->remote, e->dqpn);
	n->next = plan->bucket[h];
	plan->bucket[h] = plan->n;
	return 0;
}

const struct fp_entry *fp_plan_lookup(const struct fp_plan *plan,
				      const struct in6_addr *local,
				      const struct in6_addr *remote, u32 dqpn)
{
	const struct fp_entry *e;

	if (!plan || !plan->n)
		return NULL;
	if (dqpn != FLOWPLAN_DQPN_ANY) {
		e = fp_plan_find(plan, local, remote, dqpn);
		if (e)
			return e;
	}
	return fp_plan_find(plan, local, remote, FLOWPLAN_DQPN_ANY);
}

/*
 * dqpn % n without a division (a few ns per rewritten packet): with
 * m = floor((2^32 - 1) / n) + 1, floor(q m / 2^32) is floor(q / n) for
 * every q < 2^28 and n <= 16, and a QP number has 24 bits.
 */
static const u32 fp_div_magic[FLOWPLAN_MAX_SUBFLOWS + 1] = {
	0, 0, 0x80000000, 0x55555556, 0x40000000, 0x33333334, 0x2aaaaaab,
	0x24924925, 0x20000000, 0x1c71c71d, 0x1999999a, 0x1745d175,
	0x15555556, 0x13b13b14, 0x12492493, 0x11111112, 0x10000000,
};

unsigned int fp_subflow_of(u32 dqpn, unsigned int nsub)
{
	u32 q;

	if (nsub <= 1)
		return 0;
	q = ((u64)dqpn * fp_div_magic[nsub]) >> 32;
	return dqpn - q * nsub;
}

unsigned int fp_entry_pick(const struct fp_entry *e, u32 dqpn, u16 sport)
{
	unsigned int i;

	for (i = 0; i < e->nsub; i++)
		if (e->sub[i].sport == sport)
			return i;
	return fp_subflow_of(dqpn, e->nsub);
}

u16 fp_entry_pick_sport(const struct fp_entry *e, u32 dqpn, u16 sport)
{
	if (!e->nsub)
		return sport;
	return e->sub[fp_entry_pick(e, dqpn, sport)].sport;
}
