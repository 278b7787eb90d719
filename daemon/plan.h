/* SPDX-License-Identifier: MIT */
/*
 * daemon/plan.h - from what the daemon knows (fabric, port map, failed
 * links, the observed cycles or a schedule file) to this host's plan, in
 * memory: the planner library computes the plan, and its subflows whose
 * source is one of this host's addresses become the host plan the module
 * installs (docs/formats.md "entries": per pair, the phase in which it
 * carries the most bytes; weights are byte shares).
 *
 * Two things here belong to the planner and move there when it has them
 * (issue 10; see the daemon's closing report): the plan -> host plan
 * conversion, and marking links failed, done here by re-reading the
 * topology with "up": false on them.
 */
#ifndef FPD_PLAN_H
#define FPD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/hostplan.h"
#include "conf.h"
#include "cycle.h"
#include "fault.h"

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
struct fpd_plan_info {
	double max_load, lower_bound;	/* seconds, summed over phases */
	size_t phases, flows, unmapped;	/* unmapped: flows whose addresses the fabric lacks */
	size_t entries, subflows;	/* of this host's share */
	size_t nlinks;
	struct fpd_link_load *links;	/* loaded links */
	uint64_t compute_ns;
};

struct fpd_planner {
	struct fp_topo *topo;		/* with failed and avoided links down */
	struct fp_topo *live;		/* with failed links down only: what ECMP hashes over */
	char *topo_json;		/* as loaded, to apply failures to */
	struct fp_portmap *pm;
	char *pm_path;
	struct fp_sched *fixed;		/* [plan] schedule, or NULL */
	int *failed;			/* undirected link indices marked down */
	size_t nfailed;
	int *avoid;			/* suspected: still hashed onto, planned around */
	size_t navoid;
	unsigned int max_split;
	bool enforce;
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
int fpd_planner_nic_link(const struct fpd_planner *p, uint32_t addr_be);

/*
 * fpd_planner_set_failed - mark the undirected links @idx down (and every
 * other link up again); 0 when nothing changed or after the change,
 * EINVAL for an index out of range.
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
 * fpd_hostplan_keep - minimal movement: an entry of @next whose pair had,
 * in @prev, subflows on the same paths with the same weights is replaced
 * by @prev's entry, so its QPs keep their labels and nothing moves.
 * @prev_fs/@next_fs give the paths (as fpd_planner_plan returned them).
 * Returns how many entries were kept.
 */
size_t fpd_hostplan_keep(struct fp_hostplan *next, struct fpd_fsub *next_fs,
			 size_t nnext_fs, const struct fp_hostplan *prev,
			 const struct fpd_fsub *prev_fs, size_t nprev_fs);

/* Same entries (ignoring the generation). */
bool fpd_hostplan_equal(const struct fp_hostplan *a, const struct fp_hostplan *b);
int fpd_hostplan_copy(struct fp_hostplan *dst, const struct fp_hostplan *src);
void fpd_hostplan_clear(struct fp_hostplan *hp);

#endif
