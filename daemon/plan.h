/* SPDX-License-Identifier: MIT */
/*
 * plan.h - from what the daemon knows (fabric, port map, failed and
 * avoided links, the observed cycles or a schedule file) to this host's
 * plan, in memory, with the planner library: fp_plan_compute() plans,
 * fp_plan_repair() re-plans after links go down moving only what crossed
 * them, fp_plan_hostplan() gives this host's entries (docs/formats.md
 * "entries": per pair, the phase in which it carries the most bytes).
 *
 * The planner keeps its last plan. A re-plan with the same schedule, the
 * same port map and only more links down repairs it; anything else (a new
 * cycle, a link back up, a new port map) computes anew, and
 * fpd_hostplan_keep() then keeps the entries whose subflows still take the
 * same paths, so their QPs do not move.
 *
 * Links are the planner's ids: directed link 2i and 2i+1 are undirected
 * link i of the topology as configured (every topology here is read from
 * the same text, so ids agree).
 */
#ifndef FPD_PLAN_H
#define FPD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/hostplan.h"
#include "conf.h"
#include "cycle.h"
#include "fault.h"
#include "planner/plan.h"

struct fp_topo;
struct fp_portmap;
struct fp_sched;
struct fp_plan;

struct fpd_link_load {
	int link;		/* directed link id */
	char name[80];		/* "leaf0-spine1" */
	double load;		/* seconds, summed over the plan's phases */
};

/* What a computation gave, for status and metrics. */
/* A flow the plan leaves out: "h7.n0 -> h0.n0: no live path (...)". */
struct fpd_unroutable {
	char text[256];
};

struct fp_plan;
/* @plan's unroutable flows (fp_plan.unroutable) as text, into *@out (freed by the caller). */
int fpd_unroutable_list(const struct fp_plan *plan, struct fpd_unroutable **out,
			struct fp_err *err);
/*
 * One log line for @n unroutable flows of @flows: "2 of 4 flows cannot run,
 * planned without them: A -> B: why; ...", the first that fit @len, then
 * "and K more (@where lists them)".
 */
void fpd_unroutable_line(const struct fpd_unroutable *u, size_t n, size_t flows,
			 const char *where, char *buf, size_t len);

struct fpd_plan_info {
	double max_load, lower_bound;	/* seconds, summed over phases */
	size_t phases, flows, unmapped;	/* unmapped: flows whose addresses the fabric lacks */
	/*
	 * Flows that cannot run (failed links cut their leaves apart): planned
	 * without them, each with why. The load and bound are the rest's.
	 */
	size_t nunroutable;
	struct fpd_unroutable *unroutable;
	size_t entries, subflows;	/* of this host's share */
	size_t nlinks;
	struct fpd_link_load *links;	/* loaded links */
	uint64_t compute_ns;
	bool repaired;			/* the last plan repaired, not computed anew */
	struct fp_plan_repair_stats repair;
};

/* A port of the port map in use, its path as links of the fabric as configured. */
struct fpd_pmrow {
	struct fp_addr src, dst;	/* IPv4 or IPv6, both of one family */
	uint16_t sport;		/* 0: the pair is unresolved */
	struct fp_path path;
};

/*
 * The first row of pair @src -> @dst in @r (@n rows, in fp_pm_order(), as
 * the port map in use is kept), or @n when the map has no row of it.
 */
size_t fpd_pm_pair_first(const struct fpd_pmrow *r, size_t n, const struct fp_addr *src,
			 const struct fp_addr *dst);

struct fpd_planner {
	struct fp_topo *base;		/* as configured: names, ids, port map paths */
	struct fp_topo *topo;		/* failed and avoided links down: the plan's */
	struct fp_topo *next;		/* topo's link states, a repair ahead: its port map */
	struct fp_topo *live;		/* failed links down only: what ECMP hashes over */
	struct fp_sched *fixed;		/* [plan] schedule, or NULL */
	/* the port map in use (file, then probes), and its version */
	struct fpd_pmrow *pm;
	size_t npm;
	unsigned int pm_gen;
	size_t pm_kept;			/* the last merge's unresolved pairs that kept their ports */
	bool have_pm;
	/* links wanted down beyond the configured ones (undirected indices) */
	int *failed;			/* down: out of ECMP */
	size_t nfailed;
	int *avoid;			/* suspected: still hashed onto, planned around */
	size_t navoid;
	unsigned int max_split;
	bool enforce;
	/* the last plan and what it was computed from */
	struct fp_plan *plan;
	struct fp_sched *plan_in;	/* the observed schedule it plans (NULL: fixed) */
	struct fp_portmap *plan_pm;	/* the port map resolved against topo */
	unsigned int plan_pm_gen;
	uint8_t *down;			/* per undirected link: down in topo beyond the configured */
};

/* Load the fabric, port map and fixed schedule of @c. 0 or an errno value. */
int fpd_planner_load(struct fpd_planner *p, const struct fpd_conf *c, struct fp_err *err);
void fpd_planner_free(struct fpd_planner *p);
bool fpd_planner_ready(const struct fpd_planner *p);

/* Directed link id of "A-B" (names of its ends), or -1. */
int fpd_planner_link(const struct fpd_planner *p, const char *a, const char *b);
void fpd_planner_link_name(const struct fpd_planner *p, int link, char *buf, size_t n);
/* Does directed link @link join two switches (a path can avoid it)? */
bool fpd_planner_link_is_fabric(const struct fpd_planner *p, int link);
/* The NIC link (undirected index) of a local address, or -1. */
int fpd_planner_nic_link(const struct fpd_planner *p, const struct fp_addr *addr);

/*
 * fpd_planner_set_failed - the undirected links @idx are down (every other
 * link as configured); applied by the next fpd_planner_plan(). *@changed
 * says whether the set changed. 0, or EINVAL for an index out of range.
 */
int fpd_planner_set_failed(struct fpd_planner *p, const int *idx, size_t n,
			   bool *changed, struct fp_err *err);
/*
 * fpd_planner_set_avoid - links suspected of a fault but still up: the
 * switches keep hashing onto them, so besides planning around them, a
 * subflow whose label the hash model (no port map) would still route over
 * one gets a label that takes its planned path. Same returns.
 */
int fpd_planner_set_avoid(struct fpd_planner *p, const int *idx, size_t n,
			  bool *changed, struct fp_err *err);

/*
 * fpd_planner_set_portmap - a port map (docs/formats.md) for the next plans.
 * With @merge, its pairs replace those pairs' ports and every other pair
 * keeps its own (a probe of this host's pairs over the configured map); a
 * pair it lists only as unresolved keeps the ports it had.
 * *@moved (may be NULL): ports the map in use names on another path, and
 * ports of pairs it gives no port; a map with none leaves the planner as
 * it was (a probe that saw other ports of the same paths is no change).
 * 0, or EINVAL (a map that does not fit the fabric) with the reason.
 */
int fpd_planner_set_portmap(struct fpd_planner *p, const char *text, const char *name,
			    bool merge, size_t *moved, struct fp_err *err);

/* The port map in use as a port map file (pairs within a leaf left out). */
int fpd_planner_write_portmap(const struct fpd_planner *p, FILE *f);

/*
 * fpd_planner_plan - plan @cycles (or the fixed schedule when there is
 * one) and return this host's share for @local addresses in @hp
 * (initialised here; generation left 0), the subflows with their paths
 * for fault watching in *@fs, and figures in @info. ENODATA: nothing to
 * plan (no cycle with a flow of this fabric).
 */
int fpd_planner_plan(struct fpd_planner *p, const struct fpd_cycle *const *cycles,
		     size_t ncycles, const struct fp_addr *local, size_t nlocal,
		     struct fp_hostplan *hp, struct fpd_fsub **fs, size_t *nfs,
		     struct fpd_plan_info *info, struct fp_err *err);
void fpd_plan_info_free(struct fpd_plan_info *info);

/*
 * fpd_planner_pairs - the address pairs this host probes for the last
 * plan (each once; IPv4 pairs first, then IPv6): (source, destination) of
 * each flow across leaves whose source is one of @local, and (destination,
 * source) of each whose destination is: the pair whose ports the replies
 * of a flow that comes in take (its reverse entry, lib/planner/reverse.c).
 * *@pairs malloc'd, two addresses a pair. 0 or ENOMEM.
 */
int fpd_planner_pairs(const struct fpd_planner *p, const struct fp_addr *local, size_t nlocal,
		      struct fp_addr **pairs, size_t *n);

/*
 * fpd_hostplan_keep - minimal movement: an entry of @next whose pair had,
 * in @prev, subflows on the same paths with the same weights is replaced
 * by @prev's entry, so its QPs keep their labels and nothing moves; with
 * @p, only when each of @prev's ports still takes its path in the fabric
 * as it is now (the port map, or the hash model over live links).
 * @prev_fs/@next_fs give the paths (as fpd_planner_plan returned them);
 * an entry of @prev that @prev_fs has no subflows of (the module's at the
 * start, which no plan of this run made) has its ports' paths as the port
 * map, or the hash model over live links, says they go now (with @p only).
 * A reverse entry (the replies of a flow that comes in; none of its
 * subflows watched) is kept where each of @prev's ports takes now the path
 * of @next's port of the same subflow, with the same weight (with @p only):
 * its labels derive from the data's, which a plan may label anew.
 * Returns how many entries were kept.
 */
size_t fpd_hostplan_keep(const struct fpd_planner *p, struct fp_hostplan *next,
			 struct fpd_fsub *next_fs, size_t nnext_fs, const struct fp_hostplan *prev,
			 const struct fpd_fsub *prev_fs, size_t nprev_fs);

/*
 * fpd_hostplan_carry - @prev's entries of the pairs (local, remote) that
 * @next has no entry for join @next, sorted in; @next_fs's entry indices
 * follow their entries. *@carried: how many joined. 0, or the error of an
 * entry of @prev fp_hostplan_add() or fp_hostplan_finish() refuses, or
 * ENOMEM, with why; then @next and @next_fs are as they were.
 */
int fpd_hostplan_carry(struct fp_hostplan *next, struct fpd_fsub *next_fs, size_t nnext_fs,
		       const struct fp_hostplan *prev, size_t *carried, struct fp_err *err);

/* Same entries (ignoring the generation); the same entry (key and subflows). */
bool fpd_hostplan_equal(const struct fp_hostplan *a, const struct fp_hostplan *b);
bool fpd_hostplan_entry_equal(const struct fp_hostplan_entry *a,
			      const struct fp_hostplan_entry *b);
int fpd_hostplan_copy(struct fp_hostplan *dst, const struct fp_hostplan *src);
void fpd_hostplan_clear(struct fp_hostplan *hp);

#endif
