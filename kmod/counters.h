/* SPDX-License-Identifier: GPL-2.0 */
/*
 * counters.h - packets and bytes per (destination, source port). A fixed
 * table of power-of-two size, filled from the datapath without allocating:
 * a slot is claimed with cmpxchg on its key and never given back until the
 * table is freed. Packets that find no slot are counted as untracked.
 */
#ifndef _FLOWPLAN_COUNTERS_H
#define _FLOWPLAN_COUNTERS_H

#include <linux/atomic.h>
#include <linux/types.h>

struct fp_counter {
	atomic64_t key;		/* 0: free; else fp_counter_key() */
	atomic64_t packets;
	atomic64_t bytes;
	atomic64_t rewritten;
};

struct fp_counters {
	unsigned int mask;
	atomic64_t untracked;
	struct fp_counter slot[];
};

struct fp_counter_val {
	__be32 daddr;
	u16 sport;
	u64 packets;
	u64 bytes;
	u64 rewritten;
};

/* @size is rounded up to a power of two. */
struct fp_counters *fp_counters_alloc(unsigned int size);
void fp_counters_free(struct fp_counters *c);
void fp_counters_add(struct fp_counters *c, __be32 daddr, u16 sport,
		     unsigned int bytes, bool rewritten);
/*
 * fp_counters_read - the next used slot at or after *@pos; advances *@pos
 * past it. Returns false at the end.
 */
bool fp_counters_read(struct fp_counters *c, unsigned int *pos,
		      struct fp_counter_val *v);

#endif
