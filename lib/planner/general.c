// SPDX-License-Identifier: MIT
/*
 * general.c - the general method: greedy placement of pieces on the path with
 * the least resulting maximum load, local search on the busiest link, more
 * pieces only for flows over links above the lower bound.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner/plan.h"
#include "planner/plan_priv.h"
#include "planner/util.h"

#define MAX_SPLIT_DEFAULT 8

struct piece {
	size_t flow;
	uint64_t bytes;
	int path;
};

struct gctx {
	struct fp_topo *t;
	const struct fp_phase *ph;
	const struct fp_portmap *pm;
	double *lb;		/* link bytes (switch links) */
	double *inv_cap;	/* 1 / capacity, per link */
	uint8_t *allowed;	/* per flow: bitmask over its paths (<= 64) or NULL = all */
};

static double path_cost(const struct gctx *g, const struct fp_path *p, double add, double *sum)
{
	double m = 0, s = 0, u;
	int h;

	for (h = 0; h < p->len; h++) {
		u = (g->lb[p->link[h]] + add) * g->inv_cap[p->link[h]];
		s += u;
		if (u > m)
			m = u;
	}
	*sum = s;
	return m;
}

static void put(struct gctx *g, const struct fp_path *p, double bytes)
{
	int h;

	for (h = 0; h < p->len; h++)
		g->lb[p->link[h]] += bytes;
}

static int best_path(struct gctx *g, size_t fi, struct fp_pathset ps, double bytes, int avoid)
{
	int best = -1, q, n = ps.n;
	double bm = INFINITY, bs = INFINITY, m, s;

	for (q = 0; q < n; q++) {
		int p = (int)((fi + (size_t)q) % (size_t)n);

		if (p == avoid || (g->allowed && !(g->allowed[fi * 8 + (size_t)p / 8] & (1u << (p % 8)))))
			continue;
		m = path_cost(g, &ps.p[p], bytes, &s);
		if (m < bm * (1 - 1e-12) || (m <= bm * (1 + 1e-12) && s < bs * (1 - 1e-12))) {
			bm = m;
			bs = s;
			best = p;
		}
	}
	return best;
}

static int cmp_piece(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->flow < y->flow ? -1 : x->flow > y->flow;
}

/* Greedy + local search for the given split counts; fills link bytes. */
static size_t solve_general(struct gctx *g, const int *split, struct piece **out)
{
	struct fp_topo *t = g->t;
	const struct fp_phase *ph = g->ph;
	struct piece *pc = NULL;
	size_t npc = 0, cap = 0, i;
	int it, l;

	memset(g->lb, 0, sizeof(double) * (size_t)t->nlinks);
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		int k;

		if (split[i] <= 0)
			continue;
		for (k = 0; k < split[i]; k++) {
			FP_GROW(pc, cap, npc + 1);
			pc[npc++] = (struct piece){ i, f->bytes / (uint64_t)split[i] +
						    (k == 0 ? f->bytes % (uint64_t)split[i] : 0), -1 };
		}
	}
	qsort(pc, npc, sizeof(*pc), cmp_piece);
	for (i = 0; i < npc; i++) {
		struct fp_pathset ps = fp_flow_paths(t, &ph->flows[pc[i].flow]);

		pc[i].path = best_path(g, pc[i].flow, ps, (double)pc[i].bytes, -1);
		put(g, &ps.p[pc[i].path], (double)pc[i].bytes);
	}
	/* Local search: move pieces off the most loaded link while that helps. */
	for (it = 0; it < 4000; it++) {
		double umax = 0;
		int emax = -1;
		bool moved = false;

		for (l = 0; l < t->nlinks; l++) {
			double u = g->lb[l] * g->inv_cap[l];

			if (u > umax) {
				umax = u;
				emax = l;
			}
		}
		if (emax < 0)
			break;
		for (i = 0; i < npc && !moved; i++) {
			struct fp_pathset ps = fp_flow_paths(t, &ph->flows[pc[i].flow]);
			const struct fp_path *cur = &ps.p[pc[i].path];
			double s, m;
			int h, np;

			for (h = 0; h < cur->len; h++)
				if (cur->link[h] == emax)
					break;
			if (h == cur->len || ps.n < 2)
				continue;
			put(g, cur, -(double)pc[i].bytes);
			np = best_path(g, pc[i].flow, ps, (double)pc[i].bytes, pc[i].path);
			m = np >= 0 ? path_cost(g, &ps.p[np], (double)pc[i].bytes, &s) : INFINITY;
			if (m < umax * (1 - 1e-9)) {
				pc[i].path = np;
				moved = true;
			}
			put(g, &ps.p[pc[i].path], (double)pc[i].bytes);
		}
		if (!moved)
			break;
	}
	*out = pc;
	return npc;
}

static int cmp_piece_flow(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	if (x->flow != y->flow)
		return x->flow < y->flow ? -1 : 1;
	return x->path - y->path;
}

int fp_plan_general(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
		    const struct fp_plan_opts *o, struct fp_err *err)
{
	struct gctx g = { .t = t, .ph = ph, .pm = o->pm };
	int *split = fp_xcalloc(ph->n ? ph->n : 1, sizeof(int));
	int max_split = o->max_split > 0 ? o->max_split : MAX_SPLIT_DEFAULT, round, l, rc = 0;
	double best = INFINITY, lbound = 0;
	struct piece *pc = NULL, *best_pc = NULL;
	size_t npc, best_npc = 0, i, j;
	bool any = false;

	if (max_split > FP_MAX_SUBFLOWS)
		max_split = FP_MAX_SUBFLOWS;
	g.lb = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	g.inv_cap = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	for (l = 0; l < t->nlinks; l++)
		g.inv_cap[l] = 1 / fp_cap_bps(t, l);
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		struct fp_pathset ps;

		if (fp_same_host(t, f))
			continue;
		ps = fp_flow_paths(t, f);	/* fp_plan_compute() refused flows with none */
		if (ps.n > 64) {
			rc = fp_fail(err, E2BIG, "%s -> %s: %d paths, the planner handles 64",
				     t->nodes[f->src].name, t->nodes[f->dst].name, ps.n);
			goto out;
		}
		split[i] = 1;
		any = true;
	}
	if (o->pm && any) {
		g.allowed = fp_xcalloc(ph->n * 8, 1);
		for (i = 0; i < ph->n; i++) {
			const struct fp_flow *f = &ph->flows[i];
			const struct fp_pm_row *r;
			size_t n, k;
			bool some = false;

			if (!split[i])
				continue;
			if (t->nodes[f->src].leaf == t->nodes[f->dst].leaf) {
				g.allowed[i * 8] = 1;
				continue;
			}
			r = fp_portmap_pair(o->pm, t->nodes[f->src].addr, t->nodes[f->dst].addr, &n);
			for (k = 0; k < n; k++) {
				if (r[k].path >= 0) {
					g.allowed[i * 8 + (size_t)r[k].path / 8] |= (uint8_t)(1u << (r[k].path % 8));
					some = true;
				}
			}
			if (!some) {
				char sa[16], da[16];

				rc = fp_fail(err, ENOENT, "port map has no port for %s -> %s (%s -> %s)",
					     t->nodes[f->src].name, t->nodes[f->dst].name,
					     fp_ipv4_str(t->nodes[f->src].addr, sa),
					     fp_ipv4_str(t->nodes[f->dst].addr, da));
				goto out;
			}
		}
	}
	for (round = 0; any && round < 6; round++) {
		double umax = 0, lbr;
		bool grew = false;

		free(pc);
		npc = solve_general(&g, split, &pc);
		/* Host links are fixed; add them to see the full picture. */
		for (i = 0; i < ph->n; i++) {
			if (!split[i])
				continue;
			g.lb[t->nodes[ph->flows[i].src].up_link] += (double)ph->flows[i].bytes;
			g.lb[t->nodes[ph->flows[i].dst].down_link] += (double)ph->flows[i].bytes;
		}
		for (l = 0; l < t->nlinks; l++)
			if (g.lb[l] * g.inv_cap[l] > umax)
				umax = g.lb[l] * g.inv_cap[l];
		lbr = fp_phase_lower_bound(t, ph, g.lb);
		if (lbr > lbound)
			lbound = lbr;
		if (umax < best * (1 - 1e-9)) {
			/* Keep this round's placement: it is the one to emit. */
			best = umax;
			free(best_pc);
			best_pc = fp_xcalloc(npc ? npc : 1, sizeof(*pc));
			memcpy(best_pc, pc, npc * sizeof(*pc));
			best_npc = npc;
		}
		if (best <= lbound * (1 + 1e-6))
			break;
		/* Split further only the flows crossing links above the bound. */
		for (j = 0; j < npc; j++) {
			struct fp_pathset ps = fp_flow_paths(t, &ph->flows[pc[j].flow]);
			const struct fp_path *p = &ps.p[pc[j].path];
			int h;

			if (split[pc[j].flow] >= max_split || split[pc[j].flow] < 0)
				continue;
			for (h = 0; h < p->len; h++) {
				if (g.lb[p->link[h]] * g.inv_cap[p->link[h]] > lbound * (1 + 1e-6) &&
				    g.lb[p->link[h]] * g.inv_cap[p->link[h]] >= umax * 0.97) {
					/* mark; doubled below once per flow */
					split[pc[j].flow] = -split[pc[j].flow];
					grew = true;
					break;
				}
			}
		}
		for (i = 0; i < ph->n; i++)
			if (split[i] < 0)
				split[i] = -split[i] * 2 > max_split ? max_split : -split[i] * 2;
		if (!grew)
			break;
	}
	/* Emit the best round's pieces, merged per flow and path. */
	free(pc);
	pc = best_pc;
	npc = best_npc;
	best_pc = NULL;
	if (npc)
		qsort(pc, npc, sizeof(*pc), cmp_piece_flow);
	for (i = 0; i < ph->n; i++)
		if (fp_same_host(t, &ph->flows[i]))
			fp_plan_add_sub(pp, i, ph->flows[i].bytes, -1, 0, 0);
	for (i = 0; i < npc; i = j) {
		const struct fp_flow *f = &ph->flows[pc[i].flow];
		uint64_t bytes = 0;
		uint32_t fl;
		uint16_t sport;

		for (j = i; j < npc && pc[j].flow == pc[i].flow && pc[j].path == pc[i].path; j++)
			bytes += pc[j].bytes;
		rc = fp_plan_label(t, o->pm, f->src, f->dst, pc[i].path,
				(uint32_t)(pc[i].flow * 7919 + (size_t)pc[i].path), &fl, &sport, err);
		if (rc)
			goto out;
		fp_plan_add_sub(pp, pc[i].flow, bytes, pc[i].path, fl, sport);
	}
	pp->method = FP_METHOD_GREEDY;
	pp->lower_bound = lbound;
out:
	free(pc);
	free(split);
	free(best_pc);
	free(g.lb);
	free(g.inv_cap);
	free(g.allowed);
	return rc;
}
