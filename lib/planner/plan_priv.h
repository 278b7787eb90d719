/* SPDX-License-Identifier: MIT */
/*
 * planner/plan_priv.h - what the planner's files share: link capacities,
 * a flow's paths, appending subflows, the ports of a path, and the methods
 * fp_plan_compute() dispatches to. Not part of the planner's API.
 */
#ifndef FP_PLAN_PRIV_H
#define FP_PLAN_PRIV_H

#include "planner/plan.h"

/* Capacity of directed link @l in bytes per second. */
static inline double fp_cap_bps(const struct fp_topo *t, int l)
{
	return t->links[l].gbps * 1e9 / 8;
}

/* Traffic between two NICs of one host is not on the fabric (NVLink). */
static inline bool fp_same_host(const struct fp_topo *t, const struct fp_flow *f)
{
	return t->nodes[f->src].host == t->nodes[f->dst].host;
}

static inline struct fp_pathset fp_flow_paths(struct fp_topo *t, const struct fp_flow *f)
{
	return fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
}

/*
 * fp_unroutable - the error for flow @f without a path: EHOSTUNREACH when
 * failed links cut its leaves apart, E2BIG when they have too many paths.
 */
int fp_unroutable(struct fp_topo *t, const struct fp_flow *f, struct fp_pathset ps,
		  struct fp_err *err);
/* Why flow @f cannot run (fp_plan_unroutable_why). */
void fp_flow_why(const struct fp_topo *t, const struct fp_flow *f, enum fp_unroutable_why why,
		 char *buf, size_t len);

/* Append a subflow to flow @fi of @pp (a flow's subflows are contiguous). */
void fp_plan_add_sub(struct fp_plan_phase *pp, size_t fi, uint64_t bytes, int path,
		     uint32_t fl, uint16_t sport);

/*
 * fp_plan_label - a flow label whose port takes @path between two NICs: from
 * the port map @pm when given (ENOENT naming the pair when it has none),
 * else searched in the hash model. @salt spreads the choice.
 */
int fp_plan_label(struct fp_topo *t, const struct fp_portmap *pm, int src, int dst,
		  int path, uint32_t salt, uint32_t *fl, uint16_t *sport, struct fp_err *err);
/* The path a port map learned for @sport, or -1 when it has none. */
int fp_pm_route(const struct fp_portmap *pm, const struct fp_topo *t,
		const struct fp_flow *f, uint16_t sport);

/* planhost.c */
void fp_plan_index_free(struct fp_plan_index *ix, size_t nph);
/*
 * The entries of source NIC @nic, one call of @fn each (in the order
 * fp_plan_nic_entries() appends them; the entry is gone after the call):
 * writers stream them without copying. A non-zero return of @fn stops the
 * walk and is returned.
 */
typedef int (*fp_plan_entry_fn)(void *ctx, const struct fp_hostplan_entry *e,
				struct fp_err *err);
int fp_plan_nic_visit(const struct fp_plan *p, int nic, fp_plan_entry_fn fn, void *ctx,
		      struct fp_err *err);

/*
 * Which flows of @p have no reverse flow (b -> a for a -> b, in any phase):
 * each phase's rev list and rev_off (plan.h), made once per plan (they
 * depend on the schedule only). 0 or an errno value.
 */
int fp_plan_rev_members(struct fp_plan *p, struct fp_err *err);

/* baseline.c */
int fp_plan_ecmp(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
		 const struct fp_plan_opts *o, uint32_t *next_qpn, uint64_t *rng,
		 struct fp_err *err);
int fp_plan_spray(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
		  struct fp_err *err);
/*
 * The share of paths [@lo, @hi) of @ps (from hop @hop on, @w in all) when
 * every switch splits evenly over its next hops, into @out[lo .. hi).
 */
void fp_spray_weights(const struct fp_pathset *ps, int hop, int lo, int hi, double w,
		      double *out);
/*
 * background.c: the bytes the background flows of @ph put on each directed
 * link (@out: t->nlinks doubles, allocated; NULL when @ph has none): a
 * known port on its path (@pm's when it lists the port, else the hash
 * model's), an unknown port split evenly at every switch (ECMP's
 * expectation). Flows over a failed host link carry nothing. 0 or an
 * errno value (EHOSTUNREACH, E2BIG: as for planned flows).
 */
int fp_phase_background(struct fp_topo *t, const struct fp_phase *ph,
			const struct fp_portmap *pm, double **out, struct fp_err *err);
/*
 * After links failed: phase @pi's background flows on the paths they now
 * take (a switch that lost a next hop rehashes), @p's link bytes moved
 * with them. 0 or an errno value, as fp_phase_background().
 */
int fp_plan_background_again(struct fp_plan *p, size_t pi, const struct fp_portmap *pm,
			     struct fp_err *err);
/* exact.c */
bool fp_exact_applies(struct fp_topo *t, const struct fp_phase *ph, const struct fp_portmap *pm);
int fp_plan_exact(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
		  struct fp_err *err);
/*
 * bound.c: the cut bounds, fp_phase_lower_bound(@t, @ph, NULL), and what
 * the host links carry at most whatever the routing, from the same pass:
 * in *@host_load as loads (bytes / capacity, fp_link_load()), in
 * *@host_inv as bytes x (1 / capacity) (fp_mcf's arithmetic); either may
 * be NULL. For phases whose flows' host links are all up.
 */
double fp_phase_cut_bound(struct fp_topo *t, const struct fp_phase *ph, double *host_load,
			  double *host_inv);
/* general.c */
int fp_plan_general(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
		    const struct fp_plan_opts *o, struct fp_err *err);

#endif
