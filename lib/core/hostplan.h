/* SPDX-License-Identifier: MIT */
/*
 * core/hostplan.h - the host plan: what one host needs of a plan.
 *
 * An entry says how the traffic from a local address to a remote address
 * (and optionally one remote QP) is split into subflows, each pinned to a
 * path by its GRH flow label, hence its RoCEv2 UDP source port. This is the
 * one in-memory type for it in user space: the plan file's "entries"
 * (docs/formats.md) are read into it, the planner builds it from a computed
 * plan, the netlink client installs it into flowplan.ko and reads it back,
 * and libflowplan, the daemon and the interposer look subflows up in it.
 *
 * Names: the plan file says src_addr/dst_addr, the module LOCAL_ADDR and
 * REMOTE_ADDR; they are the same fields, seen from the sending host: an
 * entry's local address is the src_addr of its file entry.
 */
#ifndef FP_CORE_HOSTPLAN_H
#define FP_CORE_HOSTPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/addr.h"
#include "core/err.h"

#define FP_MAX_SUBFLOWS		16
#define FP_WEIGHT_ONE		65536u	/* an entry's weights sum to this */
#define FP_DQPN_ANY		0u
#define FP_DQPN_MAX		0xffffffu
#define FP_FLOW_LABEL_MAX	0xfffffu

/* One subflow of an entry: one QP, one path. */
struct fp_subflow {
	uint32_t flow_label;	/* 1..FP_FLOW_LABEL_MAX */
	uint16_t sport;		/* the RoCEv2 UDP source port it gives */
	uint32_t weight;	/* share of the bytes, out of FP_WEIGHT_ONE */
};

struct fp_hostplan_entry {
	struct fp_addr local;	/* the sender's address (file: src_addr) */
	struct fp_addr remote;	/* file: dst_addr */
	uint32_t dqpn;		/* FP_DQPN_ANY or one remote QP */
	bool enforce;		/* the module rewrites stray source ports */
	unsigned int nsub;	/* 1..FP_MAX_SUBFLOWS */
	struct fp_subflow sub[FP_MAX_SUBFLOWS];
};

/*
 * A host plan: entries sorted by (local, remote, dqpn), no two alike, and
 * its generation (strictly increasing per host; docs/formats.md).
 */
struct fp_hostplan {
	uint64_t generation;
	size_t n, cap;
	struct fp_hostplan_entry *e;
};

/* Wire source port of a flow label, as rxe and mlx5 compute it. */
static inline uint16_t fp_label_to_sport(uint32_t fl)
{
	return (uint16_t)(0xC000u | ((fl & 0x3fffu) ^ ((fl & 0xfc000u) >> 14)));
}

/* The flow label the kernel derives from two QP numbers when given 0. */
static inline uint32_t fp_qpn_flow_label(uint32_t lqpn, uint32_t rqpn)
{
	uint64_t v = (uint64_t)lqpn * rqpn;

	v ^= v >> 20;
	v ^= v >> 40;
	return (uint32_t)(v & 0xfffff);
}

/* @k equal weights summing to FP_WEIGHT_ONE; the first ones get the rest. */
void fp_weights_equal(uint32_t *w, unsigned int k);

void fp_hostplan_init(struct fp_hostplan *hp);
void fp_hostplan_free(struct fp_hostplan *hp);

/*
 * fp_hostplan_check_entry - one entry on its own: 1..16 subflows, labels
 * 1..0xfffff, each sport the one its label gives, weights summing to
 * FP_WEIGHT_ONE, dqpn in range. 0 or EINVAL/ERANGE with @err saying which
 * field of @where ("entries[3]") is wrong.
 */
int fp_hostplan_check_entry(const struct fp_hostplan_entry *e,
			    const char *where, struct fp_err *err);

/*
 * fp_hostplan_add - append a copy of @e (checked as above). The plan is
 * unsorted until fp_hostplan_finish(). 0, EINVAL/ERANGE or ENOMEM.
 */
int fp_hostplan_add(struct fp_hostplan *hp, const struct fp_hostplan_entry *e,
		    struct fp_err *err);

/*
 * fp_hostplan_finish - sort the entries and refuse two with the same
 * (local, remote, dqpn) (EEXIST): O(n log n). Every reader calls it; a
 * program that adds entries by hand calls it before looking anything up.
 */
int fp_hostplan_finish(struct fp_hostplan *hp, struct fp_err *err);

/*
 * fp_hostplan_find - the entry for traffic local -> remote to QP @dqpn: the
 * entry of that exact dqpn, else the pair's FP_DQPN_ANY entry, else NULL.
 * O(log n) on a finished plan.
 */
const struct fp_hostplan_entry *
fp_hostplan_find(const struct fp_hostplan *hp, const struct fp_addr *local,
		 const struct fp_addr *remote, uint32_t dqpn);

/*
 * fp_hostplan_select - keep only the entries whose local address is one of
 * @addrs (this host's share of a cluster's plan). Order is kept.
 */
void fp_hostplan_select(struct fp_hostplan *hp, const struct fp_addr *addrs,
			size_t naddrs);

/*
 * The plan file (docs/formats.md "Plan"): its generation and "entries";
 * the planner's report (phases) is ignored here. Files and texts larger
 * than FP_PLANFILE_MAX bytes are refused (EFBIG) before being parsed.
 */
#define FP_PLANFILE_MAX		(1ull << 30)

int fp_hostplan_load(const char *path, struct fp_hostplan *hp,
		     struct fp_err *err);
int fp_hostplan_parse(const char *text, size_t len, const char *name,
		      struct fp_hostplan *hp, struct fp_err *err);

/*
 * fp_hostplan_write_entry - one entry as a JSON object of the plan file's
 * "entries" array, written to @f. The one writer of entries: the planner's
 * plan file writer and flowplanctl use it. 0 or an errno value.
 */
int fp_hostplan_write_entry(FILE *f, const struct fp_hostplan_entry *e,
			    bool pretty);

#endif
