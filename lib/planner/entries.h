/* SPDX-License-Identifier: MIT */
/*
 * fp_entries.h - the host-side view of a plan: the "entries" table of a plan
 * file (docs/formats.md), as the kernel module, libflowplan and the daemon
 * carry it. Reading a plan file's entries needs nothing of the planner.
 */
#ifndef FP_ENTRIES_H
#define FP_ENTRIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define FP_MAX_SUBFLOWS	16
#define FP_WEIGHT_ONE	65536u		/* weights of an entry sum to this */
#define FP_DQPN_ANY	0u

struct fp_pin {
	uint32_t flow_label;		/* 1..0xfffff */
	uint16_t sport;			/* RoCEv2 UDP source port it gives */
	uint32_t weight;		/* share of bytes, out of FP_WEIGHT_ONE */
};

struct fp_entry {
	uint32_t src_addr;		/* IPv4, network byte order */
	uint32_t dst_addr;		/* IPv4, network byte order */
	uint32_t dqpn;			/* FP_DQPN_ANY or a destination QP */
	bool enforce;
	unsigned int nsub;
	struct fp_pin sub[FP_MAX_SUBFLOWS];
};

struct fp_entries {
	uint64_t generation;
	size_t n;
	struct fp_entry *e;
};

/* Wire source port of a flow label, as rxe and mlx5 compute it. */
static inline uint16_t fp_label_to_sport(uint32_t fl)
{
	return (uint16_t)(0xC000u | ((fl & 0x3fffu) ^ ((fl & 0xfc000u) >> 14)));
}

/* Flow label the kernel derives from QP numbers when the label is 0. */
static inline uint32_t fp_qpn_flow_label(uint32_t lqpn, uint32_t rqpn)
{
	uint64_t v = (uint64_t)lqpn * rqpn;

	v ^= v >> 20;
	v ^= v >> 40;
	return (uint32_t)(v & 0xfffff);
}

/*
 * fp_entries_load - read the "entries" of a plan file.
 * Returns 0, or an errno value with @err filled ("FILE: entries[3].subflows:
 * weights sum to 60000, not 65536").
 */
int fp_entries_load(const char *path, struct fp_entries *out, struct fp_err *err);
/* Parse entries from a JSON text held in memory; @name is used in errors. */
int fp_entries_parse(const char *text, size_t len, const char *name,
		     struct fp_entries *out, struct fp_err *err);
void fp_entries_free(struct fp_entries *t);

/*
 * fp_entries_find - the entry for (src, dst, dqpn): an exact dqpn match wins,
 * else the wildcard entry of the pair, else NULL. Addresses network order.
 */
const struct fp_entry *fp_entries_find(const struct fp_entries *t, uint32_t src,
				       uint32_t dst, uint32_t dqpn);

#endif
