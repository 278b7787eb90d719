// SPDX-License-Identifier: MIT
/*
 * general.c - the general method: any fabric the model describes (multi-
 * tier, failed links, oversubscription, mixed speeds), flows of any sizes,
 * several jobs, learned port maps.
 *
 * 1. The phase's flows become commodities, one per leaf pair (per NIC pair
 *    with a port map), and the fractional multicommodity flow is solved:
 *    exactly by the simplex method when the problem is small, else by
 *    gradient projection (planner/mcf.h). Both prove a lower bound with
 *    their dual lengths. When the host links already bound the phase above
 *    what a first greedy routing puts on the fabric, that routing is kept:
 *    nothing is split.
 * 2. Each commodity's solution (a few paths with their bytes) is cut into
 *    subflows: its flows, largest first, are laid end to end on a line, its
 *    paths' byte counts (integers, largest first) too, and each flow takes
 *    the paths its stretch of the line overlaps. So every path carries the
 *    bytes the solution gives it, to the byte, and a flow is split only
 *    where a path's share ends inside it: splits of any count, as many as
 *    the solution needs. A flow that would need more than max_split
 *    subflows keeps its largest pieces and the rest joins the largest one
 *    (counted as capped: the plan is then above the fractional optimum).
 * 3. Every subflow gets a flow label whose port takes its path.
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
/* The simplex method's limit: commodities plus links (dense basis). */
#define LP_MAX_ROWS		700
#define GP_TOL			1e-4
#define GP_SWEEPS		400
#define SLIVER			1e-5	/* of a commodity's bytes */
/* What fewer subflows may cost, relative to the solution's load. */
#define SPARSE_SLACK		1e-4

/* A piece of a flow on a path; flows are local to their commodity. */
struct piece {
	uint64_t bytes;
	uint32_t flow;
	uint16_t path;
};

static const struct fp_phase *sort_ph;

static int cmp_flow_bytes(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint64_t bx = sort_ph->flows[x].bytes, by = sort_ph->flows[y].bytes;

	if (bx != by)
		return bx > by ? -1 : 1;
	return x < y ? -1 : 1;
}

static int cmp_sup(const void *a, const void *b)
{
	const struct fp_mcf_path *x = a, *y = b;

	if (x->x != y->x)
		return x->x > y->x ? -1 : 1;
	return (int)x->path - (int)y->path;
}

/* By flow, then largest first. */
static int cmp_piece(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	if (x->flow != y->flow)
		return x->flow < y->flow ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return (int)x->path - (int)y->path;
}

/*
 * Integer byte counts per path that sum to the commodity's bytes exactly:
 * each share rounded down, and the bytes that leaves over go one each to
 * the paths whose busiest link has the most room (@m's loads), so that the
 * rounding lands where it costs nothing; what is still left (shares beyond
 * 2^53 bytes round in double) goes to the largest.
 */
static void integer_bins(const struct fp_mcf *m, const struct fp_mcf_com *c, uint64_t total,
			 uint64_t *bin)
{
	double *busy = fp_xcalloc((size_t)c->nsup, sizeof(double));
	uint64_t given = 0;
	int k, best, h;

	for (k = 0; k < c->nsup; k++) {
		const struct fp_path *p = &c->ps.p[c->sup[k].path];
		double x = c->sup[k].x * ((double)total / c->demand);

		bin[k] = x <= 0 ? 0 : x >= (double)total ? total : (uint64_t)x;
		if (given + bin[k] > total)
			bin[k] = total - given;
		given += bin[k];
		for (h = 0; h < p->len; h++) {
			double u = m->y[p->link[h]] * m->inv_cap[p->link[h]];

			busy[k] = u > busy[k] ? u : busy[k];
		}
	}
	while (given < total) {
		for (best = -1, k = 0; k < c->nsup; k++)
			if (busy[k] < INFINITY && (best < 0 || busy[k] < busy[best]))
				best = k;
		if (best < 0)
			break;
		bin[best]++;
		given++;
		busy[best] = INFINITY;	/* one byte each */
	}
	for (best = 0, k = 1; k < c->nsup; k++)
		if (bin[k] > bin[best])
			best = k;
	bin[best] += total - given;
	free(busy);
}

struct cutter {
	struct piece *pc;
	size_t n, cap;
	int *np;		/* pieces per flow */
	uint32_t *heap;		/* flows by remaining room, most first */
	uint64_t *room;
	size_t nh;
};

static bool heap_before(const struct cutter *cu, uint32_t a, uint32_t b)
{
	return cu->room[a] != cu->room[b] ? cu->room[a] > cu->room[b] : a < b;
}

static void heap_push(struct cutter *cu, uint32_t f)
{
	size_t i = cu->nh++;

	while (i && heap_before(cu, f, cu->heap[(i - 1) / 2])) {
		cu->heap[i] = cu->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	cu->heap[i] = f;
}

static uint32_t heap_pop(struct cutter *cu)
{
	uint32_t top = cu->heap[0], last = cu->heap[--cu->nh];
	size_t i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= cu->nh)
			break;
		if (c + 1 < cu->nh && heap_before(cu, cu->heap[c + 1], cu->heap[c]))
			c++;
		if (!heap_before(cu, cu->heap[c], last))
			break;
		cu->heap[i] = cu->heap[c];
		i = c;
	}
	if (cu->nh)
		cu->heap[i] = last;
	return top;
}

/*
 * Cut commodity @c's flows over its paths and add the subflows to @pp; with
 * @pp NULL only count, in @over, the flows that would need more than
 * @max_split subflows.
 */
static int cut(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
	       const struct fp_plan_opts *o, int max_split, struct fp_mcf *m,
	       struct fp_mcf_com *c, size_t *over, struct fp_err *err)
{
	uint32_t *fl = m->order + c->first;
	uint64_t *bin, *bin2, total = 0, left;
	struct cutter cu = { 0 };
	int k, rc = 0;
	size_t i, j;

	if (c->whole) {
		/* Every flow whole on its path (unsplit() placed them). */
		*over = 0;
		for (i = 0; pp && i < c->nflows && !rc; i++) {
			const struct fp_flow *f = &ph->flows[fl[i]];
			uint32_t label;
			uint16_t sport;

			rc = fp_plan_label(t, o->pm, f->src, f->dst, c->whole[i],
					   fl[i] * 7919u + c->whole[i], &label, &sport, err);
			if (!rc)
				fp_plan_add_sub(pp, fl[i], f->bytes, c->whole[i], label, sport);
		}
		return rc;
	}
	qsort(c->sup, (size_t)c->nsup, sizeof(*c->sup), cmp_sup);
	/*
	 * Slivers (an approximate solution leaves some) are not worth a
	 * subflow: they join the largest share.
	 */
	while (c->nsup > 1 && c->sup[c->nsup - 1].x < SLIVER * c->demand)
		c->sup[0].x += c->sup[--c->nsup].x;
	if (c->nsup == 1 && max_split >= 1) {
		/*
		 * One path (the greedy routing's every commodity): each flow
		 * whole on it, largest first, as the line below would lay them.
		 */
		sort_ph = ph;
		qsort(fl, c->nflows, sizeof(*fl), cmp_flow_bytes);
		*over = 0;
		for (i = 0; pp && i < c->nflows && !rc; i++) {
			const struct fp_flow *f = &ph->flows[fl[i]];
			uint32_t label;
			uint16_t sport;

			if (!f->bytes)
				continue;	/* no piece of the line */
			rc = fp_plan_label(t, o->pm, f->src, f->dst, c->sup[0].path,
					   fl[i] * 7919u + c->sup[0].path, &label, &sport, err);
			if (!rc)
				fp_plan_add_sub(pp, fl[i], f->bytes, c->sup[0].path, label, sport);
		}
		return rc;
	}
	bin = fp_xcalloc((size_t)c->nsup, sizeof(*bin));
	for (i = 0; i < c->nflows; i++)
		total += ph->flows[fl[i]].bytes;
	integer_bins(m, c, total, bin);
	sort_ph = ph;
	qsort(fl, c->nflows, sizeof(*fl), cmp_flow_bytes);
	cu.np = fp_xcalloc(c->nflows, sizeof(int));
	cu.room = fp_xcalloc(c->nflows, sizeof(uint64_t));
	cu.heap = fp_xcalloc(c->nflows, sizeof(uint32_t));
	bin2 = fp_xcalloc((size_t)c->nsup, sizeof(*bin2));
	memcpy(bin2, bin, (size_t)c->nsup * sizeof(*bin));
	/*
	 * First the line: flows, largest first, laid end to end over the
	 * paths' shares, largest first: the fewest pieces (one more per share
	 * boundary), but small shares gather in the last flows.
	 */
	for (i = 0, k = 0; i < c->nflows; i++) {
		for (left = ph->flows[fl[i]].bytes; left;) {
			uint64_t b;

			while (!bin2[k])
				k++;
			b = bin2[k] < left ? bin2[k] : left;
			FP_GROW(cu.pc, cu.cap, cu.n + 1);
			cu.pc[cu.n++] = (struct piece){ b, (uint32_t)i, c->sup[k].path };
			cu.np[i]++;
			bin2[k] -= b;
			left -= b;
		}
	}
	for (i = 0; i < c->nflows && cu.np[i] <= max_split; i++)
		;
	/*
	 * Too many pieces for a flow: smallest share first, each into the flow
	 * with the most room left, so that small shares land in different
	 * flows and the large ones fill what is left.
	 */
	if (i < c->nflows) {
		cu.n = 0;
		memset(cu.np, 0, c->nflows * sizeof(int));
		for (i = 0; i < c->nflows; i++) {
			cu.room[i] = ph->flows[fl[i]].bytes;
			heap_push(&cu, (uint32_t)i);
		}
		for (k = c->nsup - 1; k >= 0; k--) {
			for (left = bin[k]; left;) {
				uint32_t f = heap_pop(&cu);
				uint64_t b = cu.room[f] < left ? cu.room[f] : left;

				FP_GROW(cu.pc, cu.cap, cu.n + 1);
				cu.pc[cu.n++] = (struct piece){ b, f, c->sup[k].path };
				cu.np[f]++;
				cu.room[f] -= b;
				left -= b;
				if (cu.room[f])
					heap_push(&cu, f);
			}
		}
	}
	*over = 0;
	for (i = 0; i < c->nflows; i++)
		if (cu.np[i] > max_split)
			(*over)++;
	if (!pp)
		goto out;
	qsort(cu.pc, cu.n, sizeof(*cu.pc), cmp_piece);
	for (i = 0; i < cu.n && !rc; i = j) {
		const struct fp_flow *f = &ph->flows[fl[cu.pc[i].flow]];
		int np = 0;

		for (j = i; j < cu.n && cu.pc[j].flow == cu.pc[i].flow; j++)
			np += cu.pc[j].bytes > 0;
		if (np > max_split) {
			/* Still too many: the smallest pieces join the largest. */
			size_t e;


			for (e = i + (size_t)max_split; e < j; e++) {
				cu.pc[i].bytes += cu.pc[e].bytes;
				cu.pc[e].bytes = 0;
			}
			pp->capped_flows++;
		}
		for (; i < j && !rc; i++) {
			uint32_t label;
			uint16_t sport;

			if (!cu.pc[i].bytes)
				continue;
			rc = fp_plan_label(t, o->pm, f->src, f->dst, cu.pc[i].path,
					   fl[cu.pc[i].flow] * 7919u + cu.pc[i].path, &label, &sport, err);
			if (!rc)
				fp_plan_add_sub(pp, fl[cu.pc[i].flow], cu.pc[i].bytes, cu.pc[i].path,
						label, sport);
		}
	}
out:
	free(bin);
	free(bin2);
	free(cu.pc);
	free(cu.np);
	free(cu.room);
	free(cu.heap);
	return rc;
}

/*
 * Splits only where the bound needs them: a commodity whose flows fit whole
 * on its paths without any link going above @target (the phase's bound, or
 * what the solution reached) takes them whole, largest flow first, each on
 * the path with the most room. The others keep their fractional cut.
 */
static void unsplit(struct fp_mcf *m, const struct fp_phase *ph, double target)
{
	size_t i, j;
	int k, h;

	for (i = 0; i < m->nc; i++) {
		struct fp_mcf_com *c = &m->c[i];
		uint32_t *fl = m->order + c->first;
		uint16_t *whole;
		bool ok = true;

		if (c->nsup < 2)
			continue;
		/* Take the commodity off the links; put it back whole if it fits. */
		for (k = 0; k < c->nsup; k++) {
			const struct fp_path *p = &c->ps.p[c->sup[k].path];

			for (h = 0; h < p->len; h++)
				m->y[p->link[h]] -= c->sup[k].x;
		}
		whole = fp_xcalloc(c->nflows, sizeof(*whole));
		sort_ph = ph;
		qsort(fl, c->nflows, sizeof(*fl), cmp_flow_bytes);
		for (j = 0; j < c->nflows && ok; j++) {
			double b = (double)ph->flows[fl[j]].bytes, best = -1;
			int bk = -1;

			for (k = 0; k < c->nsup; k++) {
				const struct fp_path *p = &c->ps.p[c->sup[k].path];
				double r = INFINITY;

				for (h = 0; h < p->len; h++) {
					double left = target / m->inv_cap[p->link[h]] * (1 + 1e-12) -
						      m->y[p->link[h]] - b;

					r = left < r ? left : r;
				}
				if (r >= 0 && r > best) {
					best = r;
					bk = k;
				}
			}
			if (bk < 0) {
				ok = false;
				break;
			}
			whole[j] = c->sup[bk].path;
			for (h = 0; h < c->ps.p[whole[j]].len; h++)
				m->y[c->ps.p[whole[j]].link[h]] += b;
		}
		if (ok) {
			/* cut() lays the flows from whole[]: the support is not read again. */
			free(c->whole);
			c->whole = whole;
			continue;
		}
		/* Did not fit: undo what was placed, put the fractional solution back. */
		while (j-- > 0)
			for (h = 0; h < c->ps.p[whole[j]].len; h++)
				m->y[c->ps.p[whole[j]].link[h]] -= (double)ph->flows[fl[j]].bytes;
		for (k = 0; k < c->nsup; k++) {
			const struct fp_path *p = &c->ps.p[c->sup[k].path];

			for (h = 0; h < p->len; h++)
				m->y[p->link[h]] += c->sup[k].x;
		}
		free(whole);
	}
}

/*
 * Fewer paths per commodity: an approximate solution spreads bytes thin.
 * Its smallest share moves onto its other paths, as much as each has room
 * under @target, for as long as a share can go whole: the loads stay under
 * the target and the commodity's flows need fewer subflows.
 */
static void sparsify(struct fp_mcf *m, double target)
{
	size_t i;
	int k, h;

	for (i = 0; i < m->nc; i++) {
		struct fp_mcf_com *c = &m->c[i];
		double *give = NULL;

		while (c->nsup > 1) {
			struct fp_mcf_path *sm = &c->sup[0];
			const struct fp_path *sp;
			double need, room = 0;

			for (k = 1; k < c->nsup; k++)
				if (c->sup[k].x < sm->x)
					sm = &c->sup[k];
			sp = &c->ps.p[sm->path];
			need = sm->x;
			free(give);
			give = fp_xcalloc((size_t)c->nsup, sizeof(double));
			/* Off its path; onto the others, each filled as the last left it. */
			for (h = 0; h < sp->len; h++)
				m->y[sp->link[h]] -= need;
			for (k = 0; k < c->nsup && room < need; k++) {
				const struct fp_path *q = &c->ps.p[c->sup[k].path];
				double r = INFINITY;

				if (&c->sup[k] == sm)
					continue;
				for (h = 0; h < q->len; h++) {
					double left = target / m->inv_cap[q->link[h]] - m->y[q->link[h]];

					r = left < r ? left : r;
				}
				if (r <= 0)
					continue;
				give[k] = r < need - room ? r : need - room;
				room += give[k];
				for (h = 0; h < q->len; h++)
					m->y[q->link[h]] += give[k];
			}
			if (room < need * (1 - 1e-12)) {
				/* It does not go whole: put everything back. */
				for (k = 0; k < c->nsup; k++)
					for (h = 0; give[k] && h < c->ps.p[c->sup[k].path].len; h++)
						m->y[c->ps.p[c->sup[k].path].link[h]] -= give[k];
				for (h = 0; h < sp->len; h++)
					m->y[sp->link[h]] += need;
				break;
			}
			for (k = 0; k < c->nsup; k++)
				c->sup[k].x += give[k];
			*sm = c->sup[--c->nsup];
		}
		free(give);
	}
}

int fp_mcf_emit(struct fp_mcf *m, struct fp_plan_phase *pp, const struct fp_portmap *pm,
		int max_split, double target, struct fp_err *err)
{
	struct fp_plan_opts o = { .pm = pm };
	size_t i;
	int rc = 0;

	if (target >= 0) {
		sparsify(m, target * (1 + SPARSE_SLACK));
		unsplit(m, m->ph, target * (1 + SPARSE_SLACK));
	}
	for (i = 0; i < m->nc && !rc; i++) {
		size_t over;

		rc = cut(m->t, m->ph, pp, &o, max_split, m, &m->c[i], &over, err);
	}
	return rc;
}

/*
 * Solve the fractional problem: exactly when small, else approximately.
 * @again: after fp_mcf_restrict(), from where the last solution left off.
 */
static void solve(struct fp_mcf *m, struct fp_plan_phase *pp, double host, double cuts,
		  int want, bool again)
{
	int rc;

	if (want == FP_METHOD_GP && !again) {
		fp_mcf_greedy(m);
	} else if (!again || pp->method == FP_METHOD_LP) {
		fp_mcf_greedy(m);
		if (!again && m->lambda <= host * (1 + 1e-12)) {
			pp->method = FP_METHOD_GREEDY;	/* the host links bind */
			return;
		}
		rc = fp_mcf_lp(m, want == FP_METHOD_LP ? 4 * LP_MAX_ROWS : LP_MAX_ROWS);
		if (!rc) {
			pp->method = FP_METHOD_LP;
			return;
		}
		if (rc == EDOM)
			fp_mcf_greedy(m);
	}
	pp->method = FP_METHOD_GP;
	/*
	 * Stop where the host links or the cuts bind: the fabric need not do
	 * better than the phase can.
	 */
	if (host > m->bound)
		m->bound = host;
	if (cuts > m->bound)
		m->bound = cuts;
	fp_mcf_gp(m, GP_TOL, GP_SWEEPS);
}

int fp_plan_general(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
		    const struct fp_plan_opts *o, struct fp_err *err)
{
	int max_split = o->max_split > 0 ? o->max_split : MAX_SPLIT_DEFAULT, rc, round;
	double host = 0, cuts;
	struct fp_mcf m;
	size_t i;

	if (max_split > FP_MAX_SUBFLOWS)
		max_split = FP_MAX_SUBFLOWS;
	/*
	 * The cut bounds hold for the fabric too (they include the host links),
	 * and what the host links carry whatever the routing, in one pass.
	 */
	cuts = fp_phase_cut_bound(t, ph, NULL, &host);
	/* Background flows (pp->bg_bytes) are load fixed before any flow is placed. */
	rc = fp_mcf_init_part(&m, t, ph, o->pm, max_split, NULL, ph->n, pp->bg_bytes, err);
	if (rc)
		return rc;

	/*
	 * A commodity whose flows would need more than max_split subflows may
	 * use only its max_split busiest paths, and the problem is solved again
	 * (a few rounds): the cap then costs what it must, no more.
	 */
	for (round = 0;; round++) {
		size_t over, nover = 0;

		solve(&m, pp, host, cuts, o->method, round > 0);
		if (round == 3)
			break;
		for (i = 0; i < m.nc; i++) {
			cut(t, ph, NULL, o, max_split, &m, &m.c[i], &over, err);
			if (over) {
				fp_mcf_restrict(&m, &m.c[i], max_split);
				nover++;
			}
		}
		if (!nover)
			break;
		fp_mcf_account(&m);
	}
	pp->iters = m.iters;
	pp->lower_bound = m.bound > cuts ? m.bound : cuts;

	/* Off the fabric, and within one leaf: no choice to make. */
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		uint32_t label;
		uint16_t sport;

		if (fp_same_host(t, f)) {
			fp_plan_add_sub(pp, i, f->bytes, FP_PATH_NONE, 0, 0);
		} else if (t->nodes[f->src].leaf == t->nodes[f->dst].leaf) {
			rc = fp_plan_label(t, o->pm, f->src, f->dst, 0, (uint32_t)(i * 7919u),
					   &label, &sport, err);
			if (rc)
				goto out;
			fp_plan_add_sub(pp, i, f->bytes, 0, label, sport);
		}
	}
	rc = fp_mcf_emit(&m, pp, o->pm, max_split,
			 pp->method == FP_METHOD_GREEDY ? -1 :
			 m.lambda > pp->lower_bound ? m.lambda : pp->lower_bound, err);
out:
	fp_mcf_free(&m);
	return rc;
}
