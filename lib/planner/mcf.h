/* SPDX-License-Identifier: MIT */
/*
 * planner/mcf.h - the fractional multicommodity flow under the general
 * method: what ideal spraying could reach on the fabric, with its proof.
 *
 * A commodity is the traffic of one phase between two leaves (or, with a
 * port map, between two NICs, whose allowed paths are the mapped ones): its
 * flows share their candidate paths. The problem is the linear program
 *
 *     min  lambda
 *     s.t. sum over the paths p of c of x(c,p) = D(c)      for every commodity c
 *          sum over (c,p) crossing l of x(c,p) <= lambda * cap(l)   for every link l
 *          x >= 0
 *
 * lambda being the fabric's maximum link load in seconds (host links carry
 * what they must whatever the routing, and are bounded apart). Two solvers
 * fill the same solution (per commodity, a few paths with their bytes):
 *
 * - fp_mcf_lp(): the revised simplex method with paths generated as needed
 *   (their reduced costs are shortest paths under the link duals). Exact,
 *   and a vertex: few paths per commodity. For problems of up to a few
 *   hundred commodities and links.
 * - fp_mcf_gp(): gradient projection on a smooth maximum (log-sum-exp of
 *   the link loads, sharpened as it goes): per commodity, bytes move from
 *   its dearer paths to its cheapest, by a Newton step on the paths' links.
 *   Scales to millions of flows; within a fraction of a percent.
 *
 * Both report the lengths of a dual solution, so that the lower bound next
 * to the plan is proven by the same computation: for any lengths ell >= 0,
 * (sum_c D(c) * min_p ell(p) + sum_l base(l) * ell(l)) / sum_l cap(l) * ell(l)
 * bounds lambda from below (base: bytes fixed on the links, none by default).
 */
#ifndef FP_MCF_H
#define FP_MCF_H

#include "planner/plan.h"

struct fp_mcf_path {
	uint16_t path;		/* index into the commodity's path set */
	double x;		/* bytes */
};

struct fp_mcf_com {
	int src, dst;		/* a NIC pair of the commodity (paths: their leaves) */
	double demand;		/* bytes */
	uint32_t first, nflows;	/* its flows: fp_mcf.order[first .. first + nflows) */
	struct fp_pathset ps;
	const uint16_t *allowed;	/* the paths it may use (port map, max_split); NULL: all */
	int nallowed;
	uint16_t *own;		/* allowed, when restricted by fp_mcf_restrict() */
	int limit;		/* most paths it may use (splits its flows can take) */
	int nsup, capsup;
	struct fp_mcf_path *sup;	/* the paths it uses, with their bytes */
	uint16_t *whole;	/* when set: each flow (in order[]) whole on this path */
};

struct fp_mcf {
	struct fp_topo *t;
	const struct fp_phase *ph;
	struct fp_mcf_com *c;
	size_t nc;
	uint32_t *order;	/* fabric flows of the phase grouped by commodity */
	uint16_t *allowed;	/* storage of the commodities' allowed paths */
	double *y;		/* bytes per directed link of the current solution */
	double *base;		/* bytes per link that other flows fix there (NULL: none) */
	double *inv_cap;	/* seconds per byte, per directed link */
	double *len;		/* dual lengths proving the best bound found; NULL till one is */
	double lambda;		/* max fabric link load of the solution (s) */
	double bound;		/* best lower bound on the fabric's lambda (s) */
	size_t iters;		/* simplex pivots or gradient sweeps */
	bool exact;		/* the solution is an optimal vertex */
};

/*
 * fp_mcf_init - the commodities of phase @ph (flows between two NICs of one
 * host or of one leaf are not in any). @pm: a port map (may be NULL).
 * @max_split: the most subflows per flow. 0 or an errno value (ENOENT: the
 * port map has no port for a pair; E2BIG: too many paths).
 */
int fp_mcf_init(struct fp_mcf *m, struct fp_topo *t, const struct fp_phase *ph,
		const struct fp_portmap *pm, int max_split, struct fp_err *err);
/*
 * Sort @n pairs (@key[i], @idx[i]) by key; pairs of equal keys keep their
 * order (the callers' indices ascend). An LSD radix sort over the 16-bit
 * digits in which the keys differ, a comparison sort for a few thousand.
 */
void fp_mcf_sort(uint64_t *key, uint32_t *idx, size_t n);
/*
 * The same for the flows @flows of @ph only, the others' bytes @base (per
 * directed link, copied) fixed on the links: re-planning part of a phase.
 */
int fp_mcf_init_part(struct fp_mcf *m, struct fp_topo *t, const struct fp_phase *ph,
		     const struct fp_portmap *pm, int max_split, const uint32_t *flows,
		     size_t nflows, const double *base, struct fp_err *err);

/*
 * fp_mcf_emit - the solution as subflows of @pp (general.c): flows whole
 * where they fit under @target, cut over their commodity's paths where
 * not, labels from @pm or the hash model. Counts capped flows in @pp.
 */
int fp_mcf_emit(struct fp_mcf *m, struct fp_plan_phase *pp, const struct fp_portmap *pm,
		int max_split, double target, struct fp_err *err);
void fp_mcf_free(struct fp_mcf *m);

/* Each commodity on one path, biggest first, least loaded maximum. */
void fp_mcf_greedy(struct fp_mcf *m);
/*
 * fp_mcf_lp - solve exactly. E2BIG when the problem is larger than
 * @max_rows (commodities plus links); EDOM if the arithmetic went astray
 * (the caller keeps the solution it had).
 */
int fp_mcf_lp(struct fp_mcf *m, size_t max_rows);
/* Improve the current solution until it is within @tol of the bound. */
void fp_mcf_gp(struct fp_mcf *m, double tol, int max_sweeps);

/*
 * fp_mcf_restrict - let commodity @c use only the @n paths its solution
 * gives most bytes (those bytes move there in proportion): for flows that
 * would need more subflows than they may have.
 */
void fp_mcf_restrict(struct fp_mcf *m, struct fp_mcf_com *c, int n);

/* Recompute y and lambda from the commodities' solution. */
void fp_mcf_account(struct fp_mcf *m);
/* The dual bound of lengths @len: see above. */
double fp_mcf_dual(const struct fp_mcf *m, const double *len);

#endif
