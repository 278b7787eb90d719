// SPDX-License-Identifier: MIT
/*
 * baseline.c - the strategies flowplan is compared with: ECMP with one QP per
 * connection (port from the QP numbers), ECMP with k QPs on random ports, and
 * ideal packet spraying.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "planner/plan.h"
#include "planner/plan_priv.h"
#include "planner/util.h"

int fp_plan_ecmp(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
		 const struct fp_plan_opts *o, uint32_t *next_qpn, uint64_t *rng,
		 struct fp_err *err)
{
	size_t i;
	int q;

	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		int k = o->strategy == FP_STRAT_ECMPK ? o->k : 1;
		uint64_t share = f->bytes / (uint64_t)k;

		if (fp_same_host(t, f)) {
			fp_plan_add_sub(pp, i, f->bytes, FP_PATH_NONE, 0, 0);
			continue;
		}
		for (q = 0; q < k; q++) {
			uint64_t b = share + (q == 0 ? f->bytes % (uint64_t)k : 0);
			uint32_t fl;
			uint16_t sport;
			int path;

			if (o->strategy == FP_STRAT_ECMP) {
				fl = fp_qpn_flow_label(next_qpn[f->src]++ & 0xffffff,
						       next_qpn[f->dst]++ & 0xffffff);
			} else {
				fl = 1 + (uint32_t)(fp_rand64(rng) % 0x3fff);
			}
			sport = fp_label_to_sport(fl);
			path = fp_pm_route(o->pm, t, f, sport);
			if (path < 0)
				path = fp_topo_route_fl(t, f->src, f->dst, sport, fl);
			if (path < 0)
				return fp_unroutable(t, f, fp_flow_paths(t, f), err);
			fp_plan_add_sub(pp, i, b, path, fl, sport);
		}
	}
	return 0;
}

/* Each switch sprays evenly over its next hops, however many. */
void fp_spray_weights(const struct fp_pathset *ps, int hop, int lo, int hi, double w,
		      double *out)
{
	int n, b, blo, bhi;

	if (hop == ps->p[lo].len) {
		out[lo] = w;
		return;
	}
	n = fp_pathset_nexthops(ps, hop, lo, hi);
	for (b = 0, blo = lo; b < n; b++, blo = bhi) {
		for (bhi = blo + 1; bhi < hi && ps->p[bhi].link[hop] == ps->p[blo].link[hop]; bhi++)
			;
		fp_spray_weights(ps, hop + 1, blo, bhi, w / n, out);
	}
}

int fp_plan_spray(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
		  struct fp_err *err)
{
	double *w = NULL;
	size_t i, wcap = 0;
	int p;

	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		struct fp_pathset ps;
		uint64_t given = 0, b;

		if (fp_same_host(t, f)) {
			fp_plan_add_sub(pp, i, f->bytes, FP_PATH_NONE, 0, 0);
			continue;
		}
		ps = fp_flow_paths(t, f);
		if (ps.n <= 0) {
			free(w);
			return fp_unroutable(t, f, ps, err);
		}
		FP_GROW(w, wcap, (size_t)ps.n);
		fp_spray_weights(&ps, 0, 0, ps.n, 1.0, w);
		for (p = 0; p < ps.n; p++) {
			b = p == ps.n - 1 ? f->bytes - given : (uint64_t)((double)f->bytes * w[p]);
			if (b > f->bytes - given)
				b = f->bytes - given;
			given += b;
			if (b)
				fp_plan_add_sub(pp, i, b, p, 0, 0);
		}
	}
	free(w);
	return 0;
}
