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
#include <linux/in6.h>
#include <linux/siphash.h>
#include <linux/types.h>

/*
 * The key of an IPv4 destination is the destination and port themselves.
 * An IPv6 destination does not fit in 64 bits: its key is the port and 46
 * bits of a keyed hash of the address, and the slot holds the address,
 * compared on a match, so two destinations never share a slot. The one
 * who claims the slot writes the address after the key (marked pending
 * until then); a packet of the same key meanwhile counts into it.
 */
struct fp_counter {
	atomic64_t key;		/* 0: free; else fp_counter_key() */
	atomic64_t packets;
	atomic64_t bytes;
	atomic64_t rewritten;
	struct in6_addr daddr;	/* IPv6 keys only */
};

struct fp_counters {
	unsigned int mask;
	atomic64_t untracked;
	siphash_key_t seed;
	struct fp_counter slot[];
};

struct fp_counter_val {
	struct in6_addr daddr;	/* IPv4: FP_ADDR4() */
	u16 sport;
	u64 packets;
	u64 bytes;
	u64 rewritten;
};

/* @size is rounded up to a power of two. */
struct fp_counters *fp_counters_alloc(unsigned int size);
void fp_counters_free(struct fp_counters *c);
/* @daddr: IPv4 as FP_ADDR4(). */
void fp_counters_add(struct fp_counters *c, const struct in6_addr *daddr,
		     u16 sport, unsigned int bytes, bool rewritten);
/*
 * fp_counters_read - the next used slot at or after *@pos; advances *@pos
 * past it. Returns false at the end.
 */
bool fp_counters_read(struct fp_counters *c, unsigned int *pos,
		      struct fp_counter_val *v);

#endif
