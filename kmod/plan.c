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

/*
 * An address folded to one word: an entry is hashed as (local, remote,
 * dqpn) words with one jhash as when the table held IPv4 only (two
 * jhash2() over whole addresses doubled the hook's lookup). An IPv4
 * entry's fold is its address xor a constant; the plan is the
 * administrator's, not chosen by whoever sends.
 */
static u32 fp_addr_fold(const struct in6_addr *a)
{
	return (__force u32)(a->s6_addr32[0] ^ a->s6_addr32[1] ^
			     a->s6_addr32[2] ^ a->s6_addr32[3]);
}

static u32 fp_plan_hash(const struct fp_plan *plan, u32 lw, u32 rw, u32 dqpn)
{
	return jhash_3words(lw, rw, dqpn, 0) & plan->hmask;
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
					   u32 lw, u32 rw, u32 dqpn)
{
	u32 i = plan->bucket[fp_plan_hash(plan, lw, rw, dqpn)];
	const struct fp_entry *e;

	while (i) {
		e = &plan->entries[i - 1];
		if (e->dqpn == dqpn && ipv6_addr_equal(&e->remote, remote) &&
		    ipv6_addr_equal(&e->local, local))
			return e;
		i = e->next;
	}
	return NULL;
}

int fp_plan_add(struct fp_plan *plan, const struct fp_entry *e)
{
	struct fp_entry *n;
	u32 h;

	u32 lw = fp_addr_fold(&e->local), rw = fp_addr_fold(&e->remote);

	if (fp_plan_find(plan, &e->local, &e->remote, lw, rw, e->dqpn))
		return -EEXIST;
	if (plan->n >= plan->cap)
		return -ENOSPC;
	n = &plan->entries[plan->n++];
	*n = *e;
	h = fp_plan_hash(plan, lw, rw, e->dqpn);
	n->next = plan->bucket[h];
	plan->bucket[h] = plan->n;
	return 0;
}

const struct fp_entry *fp_plan_lookup(const struct fp_plan *plan,
				      const struct in6_addr *local,
				      const struct in6_addr *remote, u32 dqpn)
{
	const struct fp_entry *e;
	u32 lw, rw;

	if (!plan || !plan->n)
		return NULL;
	lw = fp_addr_fold(local);
	rw = fp_addr_fold(remote);
	if (dqpn != FLOWPLAN_DQPN_ANY) {
		e = fp_plan_find(plan, local, remote, lw, rw, dqpn);
		if (e)
			return e;
	}
	return fp_plan_find(plan, local, remote, lw, rw, FLOWPLAN_DQPN_ANY);
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
