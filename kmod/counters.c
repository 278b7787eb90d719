// SPDX-License-Identifier: GPL-2.0
/* counters.c - per-path packet counters, lock-free and bounded. */
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "counters.h"

/* Linear probing gives up after this many slots. */
#define FP_COUNTERS_PROBE	16

static u64 fp_counter_key(__be32 daddr, u16 sport)
{
	return BIT_ULL(48) | ((u64)(__force u32)daddr << 16) | sport;
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
	return c;
}

void fp_counters_free(struct fp_counters *c)
{
	kvfree(c);
}

void fp_counters_add(struct fp_counters *c, __be32 daddr, u16 sport,
		     unsigned int bytes, bool rewritten)
{
	u64 key = fp_counter_key(daddr, sport), cur;
	unsigned int i, h = hash_64(key, 32);
	struct fp_counter *s;

	for (i = 0; i < FP_COUNTERS_PROBE && i <= c->mask; i++) {
		s = &c->slot[(h + i) & c->mask];
		cur = atomic64_read(&s->key);
		if (!cur)
			cur = atomic64_cmpxchg(&s->key, 0, key) ?: key;
		if (cur != key)
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
		key = atomic64_read(&s->key);
		if (!key)
			continue;
		v->daddr = (__force __be32)(u32)(key >> 16);
		v->sport = key & 0xffff;
		v->packets = atomic64_read(&s->packets);
		v->bytes = atomic64_read(&s->bytes);
		v->rewritten = atomic64_read(&s->rewritten);
		(*pos)++;
		return true;
	}
	return false;
}
