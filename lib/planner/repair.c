// SPDX-License-Identifier: MIT
/*
 * repair.c - incremental re-planning after links fail (planner/plan.h,
 * fp_plan_repair): move only the subflows that crossed a failed link.
 *
 * Path sets are per leaf pair, and a link going down changes only the sets
 * of pairs that had a path over it (fp_topo_link_set keeps the others and
 * their indices). So, per phase:
 * - a flow of an untouched pair keeps everything;
 * - a flow of a touched pair keeps its surviving subflows (their path index
 *   is looked up again in the new set; their port searched again only if the
 *   hash model now sends it elsewhere, as a switch whose ECMP group lost a
 *   member rehashes: "relabelled");
 * - its subflows over a failed link are "moved": their bytes go onto the
 *   live paths of the pair, one piece on the path that keeps the phase's
 *   busiest link lowest, or, when one piece would go above the phase's
 *   load before the failure, as many pieces as the flow may still have;
 * - a flow whose host link failed cannot run: it keeps no subflow
 *   ("dropped"; its plan flow has n == 0).
 * The bound stays a bound (fewer links never help), raised by the new cuts.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner/mcf.h"
#include "planner/plan.h"
#include "planner/plan_priv.h"
#include "planner/util.h"

#define MAX_SPLIT_DEFAULT	8

struct oldset {
	uint64_t key;		/* src leaf idx * nleaves + dst leaf idx */
	int n;
	struct fp_path *p;	/* a copy of the pair's paths before */
};

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = ((const struct oldset *)a)->key, y = ((const struct oldset *)b)->key;

	return x < y ? -1 : x > y;
}

static uint64_t pair_key(const struct fp_topo *t, const struct fp_flow *f)
{
	return (uint64_t)t->nodes[t->nodes[f->src].leaf].leaf_idx * (uint64_t)t->nleaves +
	       (uint64_t)t->nodes[t->nodes[f->dst].leaf].leaf_idx;
}

static bool crosses(const struct fp_path *p, const uint8_t *dead)
{
	int h;

	for (h = 0; h < p->len; h++)
		if (dead[p->link[h]])
			return true;
	return false;
}

/* The index of path @p in @ps (same links), or -1. */
static int find_path(const struct fp_pathset *ps, const struct fp_path *p)
{
	int i;

	for (i = 0; i < ps->n; i++)
		if (ps->p[i].len == p->len &&
		    !memcmp(ps->p[i].link, p->link, sizeof(p->link[0]) * p->len))
			return i;
	return -1;
}

/* Max load over the links of @p with @add more bytes on each. */
static double load_with(const struct fp_topo *t, const double *lb, const struct fp_path *p,
			double add)
{
	double m = 0;
	int h;

	for (h = 0; h < p->len; h++) {
		double u = fp_link_load(t, p->link[h], lb[p->link[h]] + add);

		m = u > m ? u : m;
	}
	return m;
}

static void put(double *lb, const struct fp_path *p, double bytes)
{
	int h;

	for (h = 0; h < p->len; h++)
		lb[p->link[h]] += bytes;
}

struct newsub {
	uint64_t bytes;
	uint32_t label;
	uint16_t sport, path;
};

/*
 * The path of @ps least loaded with @b more bytes on it, and that load in
 * *@load; with @full, only a path of the @n the flow keeps (@ns).
 */
static int least_loaded(const struct fp_topo *t, const double *lb, const struct fp_pathset *ps,
			uint64_t b, bool full, const struct newsub *ns, unsigned int n,
			double *load)
{
	double bm = INFINITY;
	int bp = 0, c;

	for (c = 0; c < ps->n; c++) {
		double u = load_with(t, lb, &ps->p[c], (double)b);
		unsigned int e;

		for (e = 0; full && e < n && ns[e].path != c; e++)
			;
		if (full && e == n)
			continue;
		if (u < bm) {
			bm = u;
			bp = c;
		}
	}
	*load = bm;
	return bp;
}

/*
 * When moving the crossed subflows alone leaves the phase above @target
 * (its load before the failure, or the new cuts): the flows of the touched
 * pairs are planned again together, by gradient projection from where they
 * are, every other flow's bytes fixed on the links. Their new subflows
 * replace theirs; a subflow on a path its flow did not use is counted moved.
 */
static int rebalance(struct fp_plan *p, size_t pi, const struct oldset *old, size_t nold,
		     const struct fp_plan_repair_opts *o, double target, size_t *garbage,
		     struct fp_plan_repair_stats *st, struct fp_err *err)
{
	struct fp_topo *t = p->topo;
	const struct fp_phase *ph = &p->sched->ph[pi];
	struct fp_plan_phase *pp = &p->ph[pi];
	int max_split = o && o->max_split > 0 ? o->max_split : MAX_SPLIT_DEFAULT;
	uint32_t *fl = fp_xcalloc(ph->n ? ph->n : 1, sizeof(*fl));
	uint64_t *had = fp_xcalloc(ph->n ? ph->n : 1, sizeof(*had));	/* paths used, hashed */
	double *base = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	struct fp_mcf m;
	size_t i, n = 0, c;
	unsigned int k;
	int rc;

	if (max_split > FP_MAX_SUBFLOWS)
		max_split = FP_MAX_SUBFLOWS;
	memcpy(base, pp->link_bytes, sizeof(double) * (size_t)t->nlinks);
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		struct oldset key = { .key = pair_key(t, f) };
		struct fp_pathset ps;

		if (!pp->flows[i].n || t->nodes[f->src].host == t->nodes[f->dst].host ||
		    t->nodes[f->src].leaf == t->nodes[f->dst].leaf ||
		    !nold || !bsearch(&key, old, nold, sizeof(*old), cmp_key))
			continue;
		fl[n++] = (uint32_t)i;
		ps = fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
		for (k = 0; k < pp->flows[i].n; k++) {
			const struct fp_plan_subflow *s = &pp->subs[pp->flows[i].first + k];

			put(base, &ps.p[s->path], -(double)s->bytes);
			had[i] |= 1ull << (s->path % 64);
		}
	}
	for (i = 0; i < (size_t)t->nlinks; i++)
		base[i] = base[i] > 0 ? base[i] : 0;
	rc = fp_mcf_init_part(&m, t, ph, o ? o->pm : NULL, max_split, fl, n, base, err);
	if (rc)
		goto out;
	/* Start from where the touched flows are. */
	for (c = 0; c < m.nc; c++) {
		struct fp_mcf_com *cm = &m.c[c];
		uint32_t j;

		for (j = 0; j < cm->nflows; j++) {
			const struct fp_plan_flow *pf = &pp->flows[m.order[cm->first + j]];

			for (k = 0; k < pf->n; k++) {
				const struct fp_plan_subflow *s = &pp->subs[pf->first + k];
				int e;

				for (e = 0; e < cm->nsup && cm->sup[e].path != s->path; e++)
					;
				if (e == cm->nsup) {
					cm->sup = fp_xrealloc(cm->sup, (size_t)cm->nsup + 1, sizeof(*cm->sup));
					cm->capsup = ++cm->nsup;
					cm->sup[e] = (struct fp_mcf_path){ s->path, 0 };
				}
				cm->sup[e].x += (double)s->bytes;
			}
		}
		if (cm->limit < cm->nsup)
			cm->limit = cm->nsup;
	}
	m.bound = target;
	fp_mcf_gp(&m, 1e-4, 200);
	/* Their subflows go; the solution's come. */
	for (i = 0; i < n; i++) {
		*garbage += pp->flows[fl[i]].n;
		pp->flows[fl[i]].n = 0;
	}
	rc = fp_mcf_emit(&m, pp, o ? o->pm : NULL, max_split,
			 m.lambda > target ? m.lambda : target, err);
	fp_mcf_free(&m);
	if (rc)
		goto out;
	for (i = 0; i < n; i++) {
		const struct fp_plan_flow *pf = &pp->flows[fl[i]];

		for (k = 0; k < pf->n; k++)
			if (!(had[fl[i]] & (1ull << (pp->subs[pf->first + k].path % 64))))
				st->moved++;
	}
	fp_plan_account(t, ph, pp);
out:
	free(fl);
	free(had);
	free(base);
	return rc;
}

/*
 * Repair one phase. @old: the touched pairs' path sets before, sorted by
 * key. Rebuilds the touched flows' subflows at the end of pp->subs.
 */
static int repair_phase(struct fp_plan *p, size_t pi, const struct oldset *old, size_t nold,
			const uint8_t *dead, const struct fp_plan_repair_opts *o, double cut,
			struct fp_plan_repair_stats *st, size_t *dropped, struct fp_err *err)
{
	struct fp_topo *t = p->topo;
	const struct fp_phase *ph = &p->sched->ph[pi];
	struct fp_plan_phase *pp = &p->ph[pi];
	int max_split = o && o->max_split > 0 ? o->max_split : MAX_SPLIT_DEFAULT;
	double target = pp->max_load;
	struct newsub ns[FP_MAX_SUBFLOWS + 1];
	size_t i, garbage = 0, nd = 0;
	int rc = 0;

	if (max_split > FP_MAX_SUBFLOWS)
		max_split = FP_MAX_SUBFLOWS;
	target = cut > target ? cut : target;
	for (i = 0; i < ph->n && !rc; i++) {
		const struct fp_flow *f = &ph->flows[i];
		const struct fp_node *a = &t->nodes[f->src], *z = &t->nodes[f->dst];
		struct fp_plan_flow *pf = &pp->flows[i];
		struct oldset key, *os;
		struct fp_pathset ps;
		uint64_t moving = 0;
		unsigned int k, n = 0;

		if (!pf->n || a->host == z->host)
			continue;
		if (!t->links[a->up_link].up || !t->links[z->down_link].up) {
			/* Its host link failed: the flow cannot run. */
			for (k = 0; k < pf->n; k++) {
				const struct fp_plan_subflow *s = &pp->subs[pf->first + k];

				pp->link_bytes[a->up_link] -= (double)s->bytes;
				pp->link_bytes[z->down_link] -= (double)s->bytes;
			}
			/* Its fabric bytes: from the old paths (the pair's set may be gone). */
			key.key = pair_key(t, f);
			os = nold ? bsearch(&key, old, nold, sizeof(*old), cmp_key) : NULL;
			ps = fp_topo_paths(t, a->leaf, z->leaf);
			for (k = 0; k < pf->n; k++) {
				const struct fp_plan_subflow *s = &pp->subs[pf->first + k];

				if (os)
					put(pp->link_bytes, &os->p[s->path], -(double)s->bytes);
				else
					put(pp->link_bytes, &ps.p[s->path], -(double)s->bytes);
			}
			garbage += pf->n;
			pf->n = 0;
			st->dropped++;
			nd++;
			continue;
		}
		if (a->leaf == z->leaf)
			continue;
		key.key = pair_key(t, f);
		os = nold ? bsearch(&key, old, nold, sizeof(*old), cmp_key) : NULL;
		if (!os)
			continue;	/* untouched pair: same paths, same routes */
		ps = fp_topo_paths(t, a->leaf, z->leaf);
		if (ps.n <= 0) {
			rc = fp_unroutable(t, f, ps, err);
			break;
		}
		/* Survivors keep their path; the rest is what moves. */
		for (k = 0; k < pf->n; k++) {
			const struct fp_plan_subflow *s = &pp->subs[pf->first + k];
			const struct fp_path *op = &os->p[s->path];
			int np;

			if (crosses(op, dead)) {
				moving += s->bytes;
				put(pp->link_bytes, op, -(double)s->bytes);
				st->moved++;
				continue;
			}
			np = find_path(&ps, op);
			ns[n] = (struct newsub){ s->bytes, s->flow_label, s->sport, (uint16_t)np };
			if (s->flow_label && fp_topo_route_fl(t, f->src, f->dst, s->sport, s->flow_label) != np) {
				/* Its port hashes elsewhere now: a new one for the same path. */
				rc = fp_plan_label(t, o ? o->pm : NULL, f->src, f->dst, np,
						   (uint32_t)(i * 7919u + (unsigned int)np), &ns[n].label,
						   &ns[n].sport, err);
				if (rc)
					break;
				st->relabelled++;
			} else {
				st->kept++;
			}
			n++;
		}
		if (rc)
			break;
		if (moving) {
			/*
			 * Pieces: one if it fits under the phase's load before the
			 * failure, else as many as the flow may have (and paths allow).
			 */
			unsigned int room = (unsigned int)max_split > n ? (unsigned int)max_split - n : 1;
			unsigned int pieces, best_pieces = 1;
			double best = INFINITY;
			/* At the cap already: the bytes join a path the flow keeps. */
			bool full = n >= (unsigned int)max_split;

			if (room > (unsigned int)ps.n)
				room = (unsigned int)ps.n;
			for (pieces = 1; pieces <= room; pieces++) {
				double *lb = pp->link_bytes, worst = 0;
				uint64_t share = moving / pieces;
				int chosen[FP_MAX_SUBFLOWS];
				unsigned int q;

				for (q = 0; q < pieces; q++) {
					uint64_t b = share + (q == 0 ? moving % pieces : 0);
					double bm;
					int bp = least_loaded(t, lb, &ps, b, full, ns, n, &bm);

					chosen[q] = bp;
					put(lb, &ps.p[bp], (double)b);
					worst = bm > worst ? bm : worst;
				}
				for (q = 0; q < pieces; q++)
					put(lb, &ps.p[chosen[q]],
					    -(double)(share + (q == 0 ? moving % pieces : 0)));
				if (worst < best * (1 - 1e-12)) {
					best = worst;
					best_pieces = pieces;
				}
				if (worst <= target * (1 + 1e-12))
					break;
			}
			{
				uint64_t share = moving / best_pieces;
				unsigned int q;

				for (q = 0; q < best_pieces && !rc; q++) {
					uint64_t b = share + (q == 0 ? moving % best_pieces : 0);
					double bm;
					unsigned int e;
					int bp = least_loaded(t, pp->link_bytes, &ps, b, full, ns, n, &bm);

					put(pp->link_bytes, &ps.p[bp], (double)b);
					/* The same path as a survivor or piece: one subflow. */
					for (e = 0; e < n && ns[e].path != bp; e++)
						;
					if (e < n) {
						ns[e].bytes += b;
						continue;
					}
					ns[n] = (struct newsub){ b, 0, 0, (uint16_t)bp };
					rc = fp_plan_label(t, o ? o->pm : NULL, f->src, f->dst, bp,
							   (uint32_t)(i * 7919u + (unsigned int)bp),
							   &ns[n].label, &ns[n].sport, err);
					n++;
				}
			}
		}
		if (rc)
			break;
		/* The flow's new subflows, at the end of the array. */
		garbage += pf->n;
		pf->n = 0;
		for (k = 0; k < n; k++)
			fp_plan_add_sub(pp, i, ns[k].bytes, ns[k].path, ns[k].label, ns[k].sport);
	}
	if (rc)
		return rc;
	pp->max_load = 0;
	for (i = 0; i < (size_t)t->nlinks; i++)
		if (fp_link_load(t, (int)i, pp->link_bytes[i]) > pp->max_load)
			pp->max_load = fp_link_load(t, (int)i, pp->link_bytes[i]);
	if (pp->max_load > target * (1 + 1e-9))
		rc = rebalance(p, pi, old, nold, o, target, &garbage, st, err);
	if (rc)
		return rc;
	/* Compact: what the touched flows left behind. */
	if (garbage) {
		size_t keep = pp->nsubs - garbage, w = 0;
		struct fp_plan_subflow *subs = fp_xcalloc(keep + 1, sizeof(*subs));

		for (i = 0; i < ph->n; i++) {
			if (pp->flows[i].n)
				memcpy(subs + w, pp->subs + pp->flows[i].first,
				       pp->flows[i].n * sizeof(*subs));
			pp->flows[i].first = (uint32_t)w;
			w += pp->flows[i].n;
		}
		free(pp->subs);
		pp->subs = subs;
		pp->nsubs = w;
		pp->cap = keep + 1;
	}
	*dropped = nd;
	return 0;
}

/* Rows of one NIC pair: the same addresses. */
static bool same_pair(const struct fp_pm_row *a, const struct fp_pm_row *b)
{
	return a->src == b->src && a->dst == b->dst && !fp_addr_cmp(&a->src6, &b->src6) &&
	       !fp_addr_cmp(&a->dst6, &b->dst6);
}

/* The leaves of a row's NICs (-1 when a NIC is not the topology's). */
static void row_leaves(struct fp_topo *t, const struct fp_pm_row *r, int *sl, int *dl)
{
	struct fp_addr a = fp_pm_row_src(r), b = fp_pm_row_dst(r);
	int sn = fp_topo_find_ip(t, &a), dn = fp_topo_find_ip(t, &b);

	*sl = sn < 0 ? -1 : t->nodes[sn].leaf;
	*dl = dn < 0 ? -1 : t->nodes[dn].leaf;
}

/*
 * The leaf pairs of @pm's rows that have a path over a dead link, each with
 * a copy of its paths before: sorted by key, their count in *@n. Before the
 * links are set down.
 */
static struct oldset *pm_touched(struct fp_topo *t, const struct fp_portmap *pm,
				 const uint8_t *dead, size_t *n)
{
	size_t nl = (size_t)t->nleaves, k, e, cap = 0;
	uint8_t *seen = fp_xcalloc(nl ? nl * nl : 1, 1);
	struct oldset *os = NULL;

	*n = 0;
	for (k = 0; k < pm->n; k = e) {
		struct fp_pathset ps;
		uint64_t key;
		int sl, dl, q;

		for (e = k + 1; e < pm->n && same_pair(&pm->rows[e], &pm->rows[k]); e++)
			;
		row_leaves(t, &pm->rows[k], &sl, &dl);
		if (sl < 0 || dl < 0 || sl == dl)
			continue;
		key = (uint64_t)t->nodes[sl].leaf_idx * nl + (uint64_t)t->nodes[dl].leaf_idx;
		if (seen[key]++)
			continue;
		ps = fp_topo_paths(t, sl, dl);
		for (q = 0; q < ps.n && !crosses(&ps.p[q], dead); q++)
			;
		if (q == ps.n)
			continue;
		FP_GROW(os, cap, *n + 1);
		os[*n].key = key;
		os[*n].n = ps.n;
		os[*n].p = fp_xcalloc((size_t)ps.n, sizeof(*ps.p));
		memcpy(os[*n].p, ps.p, (size_t)ps.n * sizeof(*ps.p));
		(*n)++;
	}
	free(seen);
	if (*n)
		qsort(os, *n, sizeof(*os), cmp_key);
	return os;
}

/*
 * A copy of @pm numbered for the paths left after the links of @dead went
 * down, as fp_portmap_parse would number it now: the rows of the touched
 * pairs (@os, their paths before) take the index of their path in the
 * pair's new set, or -1 where it crossed a dead link. After the links are
 * set down.
 */
static struct fp_portmap *pm_renumber(struct fp_topo *t, const struct fp_portmap *pm,
				      const struct oldset *os, size_t nos, const uint8_t *dead)
{
	struct fp_portmap *c = fp_xcalloc(1, sizeof(*c));
	size_t nl = (size_t)t->nleaves, k, e;

	c->rows = fp_xcalloc(pm->n ? pm->n : 1, sizeof(*c->rows));
	if (pm->n)
		memcpy(c->rows, pm->rows, pm->n * sizeof(*c->rows));
	c->n = c->cap = pm->n;
	c->topo = t;
	c->paths_gen = t->paths_gen;
	for (k = 0; k < c->n; k = e) {
		struct oldset key;
		const struct oldset *o;
		struct fp_pathset ps;
		int sl, dl;

		for (e = k + 1; e < c->n && same_pair(&c->rows[e], &c->rows[k]); e++)
			;
		row_leaves(t, &c->rows[k], &sl, &dl);
		if (sl < 0 || dl < 0 || sl == dl)
			continue;
		key.key = (uint64_t)t->nodes[sl].leaf_idx * nl + (uint64_t)t->nodes[dl].leaf_idx;
		o = nos ? bsearch(&key, os, nos, sizeof(*os), cmp_key) : NULL;
		if (!o)
			continue;	/* untouched: the same paths, the same indices */
		ps = fp_topo_paths(t, sl, dl);
		for (; k < e; k++) {
			struct fp_pm_row *r = &c->rows[k];

			if (r->path < 0)
				continue;
			if (r->path >= o->n || crosses(&o->p[r->path], dead))
				r->path = -1;
			else
				r->path = find_path(&ps, &o->p[r->path]);
		}
	}
	return c;
}

int fp_plan_repair(struct fp_plan *p, const int *links, size_t nlinks,
		   const struct fp_plan_repair_opts *o, struct fp_plan_repair_stats *st,
		   struct fp_err *err)
{
	struct fp_topo *t = p->topo;
	struct fp_plan_repair_stats dummy;
	uint8_t *dead = fp_xcalloc((size_t)t->nlinks, 1);
	struct fp_plan_repair_opts ro = { 0 };
	struct oldset *old = NULL, *pmold = NULL;
	struct fp_portmap *pm = NULL;
	size_t nold = 0, cap = 0, npmold = 0, i, j;
	int rc = 0, l;

	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if (p->strategy != FP_STRAT_FLOWPLAN) {
		free(dead);
		return fp_fail(err, EINVAL, "plan repair: only flowplan's plans are repaired");
	}
	if (p->nunroutable) {
		/* its phases are planned and bounded without those flows */
		free(dead);
		return fp_fail(err, EHOSTUNREACH, "plan repair: %zu flows of the plan cannot run (a partial plan): computed anew, not repaired",
			       p->nunroutable);
	}
	if (o && o->pm && o->pm->topo == t && o->pm->paths_gen != t->paths_gen) {
		free(dead);
		return fp_fail(err, ESTALE, "plan repair: the port map was read before links of topology %s changed state: its paths are numbered for links that are no more as they were (read it again)",
			       t->name);
	}
	for (i = 0; i < nlinks; i++) {
		if (links[i] < 0 || links[i] >= t->nlinks) {
			free(dead);
			return fp_fail(err, EINVAL, "plan repair: no link %d", links[i]);
		}
		if (t->links[links[i]].up)
			dead[links[i]] = dead[t->links[links[i]].rev] = 1;
	}
	/*
	 * The touched pairs' paths before the failure: every pair of the
	 * plan's flows with a path over a failed link. Each pair once.
	 */
	for (i = 0; i < p->nph; i++) {
		const struct fp_phase *ph = &p->sched->ph[i];

		for (j = 0; j < ph->n; j++) {
			const struct fp_flow *f = &ph->flows[j];
			struct fp_pathset ps;
			int k;

			if (t->nodes[f->src].host == t->nodes[f->dst].host ||
			    t->nodes[f->src].leaf == t->nodes[f->dst].leaf || !p->ph[i].flows[j].n)
				continue;
			ps = fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
			for (k = 0; k < ps.n && !crosses(&ps.p[k], dead); k++)
				;
			if (k == ps.n)
				continue;
			FP_GROW(old, cap, nold + 1);
			old[nold].key = pair_key(t, f);
			old[nold].n = ps.n;
			old[nold].p = fp_xcalloc((size_t)ps.n, sizeof(*ps.p));
			memcpy(old[nold].p, ps.p, (size_t)ps.n * sizeof(*ps.p));
			nold++;
			/* Later flows of the pair find it: sorted below, deduplicated. */
			if (nold > 1 && old[nold - 1].key == old[nold - 2].key)
				free(old[--nold].p);
		}
	}
	if (nold)
		qsort(old, nold, sizeof(*old), cmp_key);
	for (i = 1, j = 0; i < nold; i++) {
		if (old[i].key == old[j].key) {
			free(old[i].p);
			continue;
		}
		old[++j] = old[i];
	}
	nold = nold ? j + 1 : 0;
	/*
	 * A map read against this topology as it is (fp_portmap_parse's)
	 * numbers its rows' paths for the paths before the failure: the ports
	 * of new subflows are looked up in a copy numbered for the paths after
	 * it, or the index of a moved subflow's new path would name a port on
	 * the old path of that index (over the failed link, say).
	 */
	if (o) {
		ro = *o;
		if (o->pm && o->pm->topo == t)
			pmold = pm_touched(t, o->pm, dead, &npmold);
	}
	for (l = 0; l < t->nlinks; l++)
		if (dead[l] && l < t->links[l].rev)
			fp_topo_link_set(t, l, false);
	if (npmold) {
		pm = pm_renumber(t, o->pm, pmold, npmold, dead);
		ro.pm = pm;
	}
	o = o ? &ro : NULL;
	for (i = 0; i < p->nph && !rc; i++) {
		struct fp_plan_phase *pp = &p->ph[i];
		double lb = pp->lower_bound, cut;
		size_t k;

		size_t nd;

		/* Background flows first: ECMP moves them too, and nothing else can. */
		if (p->ph[i].bg_bytes) {
			rc = fp_plan_background_again(p, i, o ? o->pm : NULL, err);
			if (rc)
				break;
		}
		cut = fp_phase_lower_bound_bg(t, &p->sched->ph[i], NULL, pp->bg_bytes);
		rc = repair_phase(p, i, old, nold, dead, o, cut, st, &nd, err);
		if (rc)
			break;
		/* Loads, the busiest link, subflow counts: as fp_plan_compute has them. */
		pp->max_load = 0;
		pp->bottleneck = -1;
		for (l = 0; l < t->nlinks; l++) {
			double u;

			if (pp->link_bytes[l] < 0.5)
				pp->link_bytes[l] = 0;	/* what subtraction left of nothing */
			u = fp_link_load(t, l, pp->link_bytes[l]);
			if (u > pp->max_load) {
				pp->max_load = u;
				pp->bottleneck = l;
			}
		}
		pp->max_subflows = 0;
		pp->split_flows = 0;
		for (k = 0; k < p->sched->ph[i].n; k++) {
			if ((int)pp->flows[k].n > pp->max_subflows)
				pp->max_subflows = (int)pp->flows[k].n;
			pp->split_flows += pp->flows[k].n > 1;
		}
		/*
		 * A bound stays one when links fail, and the cuts may raise it;
		 * but not when flows were dropped: they were part of it, nor
		 * with background flows, which rehashing may take off a link.
		 */
		pp->lower_bound = cut > lb || nd || pp->bg_bytes ? cut : lb;
	}
	/* The replies follow their flows: the labels that still hold are kept. */
	if (!rc)
		rc = fp_plan_reverse(p, o ? o->pm : NULL, p, err);
	for (i = 0; i < nold; i++)
		free(old[i].p);
	free(old);
	for (i = 0; i < npmold; i++)
		free(pmold[i].p);
	free(pmold);
	fp_portmap_free(pm);
	free(dead);
	if (!rc)
		p->generation++;
	return rc;
}
