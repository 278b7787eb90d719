// SPDX-License-Identifier: GPL-2.0
/* counters.c - per-path packet counters, lock-free and bounded. */
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include <linux/random.h>
#include <net/ipv6.h>

#include "counters.h"
#include "plan.h"

/* Linear probing gives up after this many slots. */
#define FP_COUNTERS_PROBE	16

#define FP_KEY4		BIT_ULL(48)	/* bits 49..63 clear */
#define FP_KEY6		BIT_ULL(62)
#define FP_KEY_PENDING	BIT_ULL(63)	/* IPv6: the address is not written */
#define FP_KEY6_HASH	GENMASK_ULL(61, 16)

static u64 fp_counter_key(const struct fp_counters *c,
			  const struct in6_addr *daddr, u16 sport)
{
	if (ipv6_addr_v4mapped(daddr))
		return FP_KEY4 |
		       ((u64)(__force u32)daddr->s6_addr32[3] << 16) | sport;
	return FP_KEY6 |
	       (siphash(daddr, sizeof(*daddr), &c->seed) << 16 & FP_KEY6_HASH) |
	       sport;
}

struct fp_counters *fp_counters_alloc(unsigned int size)
{
	struct fp_counters *c;

	size = roundup_pow_of_two(max(size, 1U));
	/*
	 * Every namespace gets one, and unprivileged users create namespaces:
	 * charge it to their memory cgroup like the rest of a netns.
	 */
	c = kvzalloc(struct_size(c, slot, size), GFP_KERNEL_ACCOUNT);
	if (!c)
		return NULL;
	c->mask = size - 1;
	get_random_bytes(&c->seed, sizeof(c->seed));
	return c;
}

void fp_counters_free(struct fp_counters *c)
{
	kvfree(c);
}

void fp_counters_add(struct fp_counters *c, const struct in6_addr *daddr,
		     u16 sport, unsigned int bytes, bool rewritten)
{
	u64 key = fp_counter_key(c, daddr, sport), cur;
	unsigned int i, h = hash_64(key, 32);
	bool v6 = key & FP_KEY6;
	struct fp_counter *s;

	for (i = 0; i < FP_COUNTERS_PROBE && i <= c->mask; i++) {
		s = &c->slot[(h + i) & c->mask];
		/* Pairs with the claimer's release: the address, then the key. */
		cur = atomic64_read_acquire(&s->key);
		if (!cur) {
			cur = atomic64_cmpxchg(&s->key, 0,
					       v6 ? key | FP_KEY_PENDING : key);
			if (!cur && v6) {
				s->daddr = *daddr;
				atomic64_set_release(&s->key, key);
			}
			cur = cur ?: key;
		}
		if ((cur & ~FP_KEY_PENDING) != key)
			continue;
		if (v6 && !(cur & FP_KEY_PENDING) &&
		    !ipv6_addr_equal(&s->daddr, daddr))
			continue;
		atomic64_inc(&s->packets);
		atomic64_add(bytes, &s->bytes);
		if (rewritten)
			atomic64_inc(&s->rewritten);
		return;
	}
	atomic64_inc(&c->untracked);
}

bool fp_counters_read(struct fp_counters *c, unsigned int *pos,
		      struct fp_counter_val *v)
{
	struct fp_counter *s;
	u64 key;

	for (; *pos <= c->mask; (*pos)++) {
		s = &c->slot[*pos];
		/* Pairs with the claimer's release: the address, then the key. */
		key = atomic64_read_acquire(&s->key);
		/* A pending slot is an instant from being written: skipped. */
		if (!key || key & FP_KEY_PENDING)
			continue;
		if (key & FP_KEY6)
			v->daddr = s->daddr;
		else
			v->daddr = FP_ADDR4((__force __be32)(u32)(key >> 16));
		v->sport = key & 0xffff;
		v->packets = atomic64_read(&s->packets);
		v->bytes = atomic64_read(&s->bytes);
		v->rewritten = atomic64_read(&s->rewritten);
		(*pos)++;
		return true;
	}
	return false;
}
