// SPDX-License-Identifier: MIT
/*
 * lp.c - the multicommodity LP of planner/mcf.h solved exactly: the revised
 * simplex method on a dense basis inverse, paths priced as they are needed.
 *
 * Rows: one per commodity (its paths' shares sum to 1), one per link some
 * candidate path crosses (its load minus lambda plus a slack is 0). Columns:
 * a path's share f (1 in its commodity's row, D(c)/cap(l) in each of its
 * links' rows, scaled), lambda (-1 in every link row; the objective), and
 * the slacks. The starting basis is the greedy routing: one path per
 * commodity, lambda in the row of the busiest link, every other slack
 * basic. Entering columns by Dantzig's rule (Bland's after a run of
 * degenerate pivots, so that it cannot cycle); the inverse is refactored
 * from scratch when B x_B drifts from the right-hand side, and every
 * 8 * REFACTOR pivots.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner/mcf.h"
#include "planner/util.h"

#define REFACTOR	64
#define TOL_PIVOT	1e-9
#define TOL_OPT		1e-11

enum { V_PATH, V_LAMBDA, V_SLACK };

struct var {
	uint8_t kind;
	uint32_t com;		/* V_PATH: commodity */
	uint16_t path;		/* V_PATH: path index */
	uint32_t row;		/* V_SLACK: its link row */
};

struct lp {
	struct fp_mcf *m;
	size_t nc, nl, n;	/* commodity rows, link rows, all rows */
	int *row_of_link;	/* link -> row, -1: in no candidate path */
	int *link_of_row;	/* link rows (index - nc) -> link */
	double scale;		/* lambda units */
	double *binv;		/* n x n, row-major */
	double *xb;		/* basic values */
	struct var *basis;	/* per basis position */
	int lam;		/* basis position of lambda */
	double *col, *w, *y;
	int *nzr;		/* rows of a column's nonzeros */
	double *nzv;
	uint8_t *basic_slack;	/* per link row */
};

static inline int com_path(const struct fp_mcf_com *c, int k)
{
	return c->allowed ? c->allowed[k] : k;
}

/* The nonzeros of a variable's column; their count. */
static int column(const struct lp *lp, const struct var *v, int *r, double *a)
{
	const struct fp_mcf *m = lp->m;
	int n = 0, h;

	if (v->kind == V_SLACK) {
		r[0] = (int)v->row;
		a[0] = 1;
		return 1;
	}
	if (v->kind == V_LAMBDA) {
		for (h = 0; h < (int)lp->nl; h++) {
			r[h] = (int)lp->nc + h;
			a[h] = -1;
		}
		return (int)lp->nl;
	}
	{
		const struct fp_mcf_com *c = &m->c[v->com];
		const struct fp_path *p = &c->ps.p[v->path];

		r[n] = (int)v->com;
		a[n++] = 1;
		for (h = 0; h < p->len; h++) {
			r[n] = lp->row_of_link[p->link[h]];
			a[n++] = c->demand * m->inv_cap[p->link[h]] / lp->scale;
		}
	}
	return n;
}

/*
 * Invert the basis from its columns: Gauss-Jordan with partial pivoting,
 * each row operation over the pivot row's nonzeros only (the basis has a
 * handful of nonzeros per column, and stays sparse for a while).
 */
static int refactor(struct lp *lp)
{
	size_t n = lp->n, i, j, k, na, nb;
	double *a = fp_xcalloc(n * n, sizeof(double));
	double *b = lp->binv;
	size_t *ja = fp_xcalloc(n, sizeof(size_t)), *jb = fp_xcalloc(n, sizeof(size_t));
	int cnt, rc = 0;

	for (j = 0; j < n; j++) {
		cnt = column(lp, &lp->basis[j], lp->nzr, lp->nzv);
		for (k = 0; k < (size_t)cnt; k++)
			a[(size_t)lp->nzr[k] * n + j] = lp->nzv[k];
	}
	memset(b, 0, n * n * sizeof(double));
	for (i = 0; i < n; i++)
		b[i * n + i] = 1;
	for (k = 0; k < n; k++) {
		size_t piv = k;
		double mx = fabs(a[k * n + k]), f;

		for (i = k + 1; i < n; i++)
			if (fabs(a[i * n + k]) > mx) {
				mx = fabs(a[i * n + k]);
				piv = i;
			}
		if (mx < 1e-12) {
			rc = EDOM;
			break;
		}
		if (piv != k) {
			for (j = 0; j < n; j++) {
				double t = a[k * n + j];

				a[k * n + j] = a[piv * n + j];
				a[piv * n + j] = t;
				t = b[k * n + j];
				b[k * n + j] = b[piv * n + j];
				b[piv * n + j] = t;
			}
		}
		f = 1 / a[k * n + k];
		for (j = 0, na = 0, nb = 0; j < n; j++) {
			if (a[k * n + j] != 0) {
				a[k * n + j] *= f;
				ja[na++] = j;
			}
			if (b[k * n + j] != 0) {
				b[k * n + j] *= f;
				jb[nb++] = j;
			}
		}
		for (i = 0; i < n; i++) {
			double g = a[i * n + k];

			if (i == k || g == 0)
				continue;
			for (j = 0; j < na; j++)
				a[i * n + ja[j]] -= g * a[k * n + ja[j]];
			for (j = 0; j < nb; j++)
				b[i * n + jb[j]] -= g * b[k * n + jb[j]];
		}
	}
	free(a);
	free(ja);
	free(jb);
	if (rc)
		return rc;
	/* x_B = B^-1 b, b being 1 in the commodity rows. */
	for (i = 0; i < n; i++) {
		double s = 0;

		for (k = 0; k < lp->nc; k++)
			s += b[i * n + k];
		lp->xb[i] = s;
	}
	return 0;
}

/* How far B x_B is from the right-hand side (1 per commodity row, 0 else). */
static double residual(struct lp *lp)
{
	double *r = lp->w, mx = 0;
	size_t i;
	int k, cnt;

	memset(r, 0, lp->n * sizeof(double));
	for (i = 0; i < lp->nc; i++)
		r[i] = 1;
	for (i = 0; i < lp->n; i++) {
		cnt = column(lp, &lp->basis[i], lp->nzr, lp->nzv);
		for (k = 0; k < cnt; k++)
			r[lp->nzr[k]] -= lp->nzv[k] * lp->xb[i];
	}
	for (i = 0; i < lp->n; i++)
		if (fabs(r[i]) > mx)
			mx = fabs(r[i]);
	return mx;
}

static void pivot(struct lp *lp, size_t r, const double *w, double theta)
{
	size_t n = lp->n, i, j;
	double *br = lp->binv + r * n, f = 1 / w[r];

	for (i = 0; i < n; i++)
		lp->xb[i] -= theta * w[i];
	lp->xb[r] = theta;
	for (j = 0; j < n; j++)
		br[j] *= f;
	for (i = 0; i < n; i++) {
		double g = w[i], *bi;

		if (i == r || g == 0)
			continue;
		bi = lp->binv + i * n;
		for (j = 0; j < n; j++)
			bi[j] -= g * br[j];
	}
}

static void lp_free(struct lp *lp)
{
	free(lp->row_of_link);
	free(lp->link_of_row);
	free(lp->binv);
	free(lp->xb);
	free(lp->basis);
	free(lp->col);
	free(lp->w);
	free(lp->y);
	free(lp->nzr);
	free(lp->nzv);
	free(lp->basic_slack);
}

int fp_mcf_lp(struct fp_mcf *m, size_t max_rows)
{
	struct fp_topo *t = m->t;
	struct lp lp = { .m = m, .nc = m->nc };
	size_t i, r, iter, max_iter, stall = 0;
	double obj_prev = INFINITY;
	int k, h, l, rc = 0, busiest = -1;

	if (!m->nc)
		return 0;
	if (m->base)
		return E2BIG;	/* fixed loads: gradient projection's business */
	fp_mcf_account(m);
	if (m->lambda <= 0)
		return 0;
	lp.row_of_link = fp_xcalloc((size_t)t->nlinks, sizeof(int));
	for (l = 0; l < t->nlinks; l++)
		lp.row_of_link[l] = -1;
	for (i = 0; i < m->nc; i++) {
		const struct fp_mcf_com *c = &m->c[i];

		for (k = 0; k < c->nallowed; k++) {
			const struct fp_path *p = &c->ps.p[com_path(c, k)];

			for (h = 0; h < p->len; h++)
				if (lp.row_of_link[p->link[h]] < 0)
					lp.row_of_link[p->link[h]] = 0, lp.nl++;
		}
	}
	lp.n = lp.nc + lp.nl;
	if (lp.n > max_rows) {
		lp_free(&lp);
		return E2BIG;
	}
	lp.link_of_row = fp_xcalloc(lp.nl, sizeof(int));
	for (l = 0, r = 0; l < t->nlinks; l++) {
		if (lp.row_of_link[l] < 0)
			continue;
		lp.link_of_row[r] = l;
		lp.row_of_link[l] = (int)(lp.nc + r++);
		if (busiest < 0 || m->y[l] * m->inv_cap[l] > m->y[busiest] * m->inv_cap[busiest])
			busiest = l;
	}
	lp.scale = m->lambda;
	lp.binv = fp_xcalloc(lp.n * lp.n, sizeof(double));
	lp.xb = fp_xcalloc(lp.n, sizeof(double));
	lp.basis = fp_xcalloc(lp.n, sizeof(*lp.basis));
	lp.w = fp_xcalloc(lp.n, sizeof(double));
	lp.y = fp_xcalloc(lp.n, sizeof(double));
	lp.nzr = fp_xcalloc(lp.nl + 8, sizeof(int));
	lp.nzv = fp_xcalloc(lp.nl + 8, sizeof(double));
	lp.basic_slack = fp_xcalloc(lp.nl, 1);
	/* Start: the greedy routing (one path each), lambda at the busiest link. */
	for (i = 0; i < m->nc; i++)
		lp.basis[i] = (struct var){ V_PATH, (uint32_t)i, m->c[i].sup[0].path, 0 };
	for (r = 0; r < lp.nl; r++) {
		if (lp.link_of_row[r] == busiest) {
			lp.basis[lp.nc + r] = (struct var){ .kind = V_LAMBDA };
			lp.lam = (int)(lp.nc + r);
		} else {
			lp.basis[lp.nc + r] = (struct var){ .kind = V_SLACK, .row = (uint32_t)(lp.nc + r) };
			lp.basic_slack[r] = 1;
		}
	}
	rc = refactor(&lp);
	max_iter = 50 * lp.n + 1000;
	for (iter = 0; !rc; iter++) {
		struct var in = { 0 };
		double best = -TOL_OPT, theta = INFINITY, bestw = 0, obj;
		size_t leave = SIZE_MAX;
		bool bland = stall > 50, have = false;
		int cnt;

		if (iter == max_iter) {
			rc = EDOM;
			break;
		}
		if (iter && iter % REFACTOR == 0 &&
		    (iter % (8 * REFACTOR) == 0 || residual(&lp) > 1e-10)) {
			rc = refactor(&lp);
			if (rc)
				break;
		}
		obj = lp.xb[lp.lam];
		stall = obj < obj_prev * (1 - 1e-12) ? 0 : stall + 1;
		obj_prev = obj < obj_prev ? obj : obj_prev;
		/* Duals: the objective is lambda's, so y is its row of B^-1. */
		memcpy(lp.y, lp.binv + (size_t)lp.lam * lp.n, lp.n * sizeof(double));
		/* Price the slacks, then every path of every commodity. */
		for (r = 0; r < lp.nl && !(bland && have); r++) {
			double d = -lp.y[lp.nc + r];

			if (!lp.basic_slack[r] && d < best) {
				best = d;
				in = (struct var){ .kind = V_SLACK, .row = (uint32_t)(lp.nc + r) };
				have = true;
			}
		}
		for (i = 0; i < m->nc && !(bland && have); i++) {
			const struct fp_mcf_com *c = &m->c[i];

			for (k = 0; k < c->nallowed; k++) {
				int pi = com_path(c, k);
				const struct fp_path *p = &c->ps.p[pi];
				double s = 0, d;

				for (h = 0; h < p->len; h++)
					s += m->inv_cap[p->link[h]] * lp.y[lp.row_of_link[p->link[h]]];
				d = -lp.y[i] - c->demand * s / lp.scale;
				if (d < best) {
					best = d;
					in = (struct var){ V_PATH, (uint32_t)i, (uint16_t)pi, 0 };
					have = true;
					if (bland)
						break;
				}
			}
		}
		if (!have)
			break;	/* optimal: no column prices out */
		/* w = B^-1 a_q */
		cnt = column(&lp, &in, lp.nzr, lp.nzv);
		for (r = 0; r < lp.n; r++) {
			double s = 0;
			const double *br = lp.binv + r * lp.n;

			for (k = 0; k < cnt; k++)
				s += br[lp.nzr[k]] * lp.nzv[k];
			lp.w[r] = s;
		}
		/* Ratio test: lambda is free; ties to the largest pivot (Bland: first). */
		for (r = 0; r < lp.n; r++) {
			double q;

			if ((int)r == lp.lam || lp.w[r] <= TOL_PIVOT)
				continue;
			q = (lp.xb[r] > 0 ? lp.xb[r] : 0) / lp.w[r];
			if (q < theta * (1 - 1e-12) ||
			    (q <= theta * (1 + 1e-12) && !bland && lp.w[r] > bestw)) {
				theta = q;
				bestw = lp.w[r];
				leave = r;
			}
		}
		if (leave == SIZE_MAX) {
			rc = EDOM;	/* unbounded: cannot be, lambda >= 0 */
			break;
		}
		if (lp.basis[leave].kind == V_SLACK)
			lp.basic_slack[lp.basis[leave].row - lp.nc] = 0;
		if (in.kind == V_SLACK)
			lp.basic_slack[in.row - lp.nc] = 1;
		pivot(&lp, leave, lp.w, theta);
		lp.basis[leave] = in;
		m->iters++;
	}
	if (!rc)
		rc = refactor(&lp);
	if (!rc) {
		double *len = fp_xcalloc((size_t)t->nlinks, sizeof(double)), lb;

		double *share = fp_xcalloc(m->nc, sizeof(double));

		/* The solution: basic path shares, renormalised per commodity. */
		for (r = 0; r < lp.n; r++)
			if (lp.basis[r].kind == V_PATH && lp.xb[r] > 1e-12)
				share[lp.basis[r].com] += lp.xb[r];
		for (i = 0; i < m->nc && share[i] > 0.5; i++)
			;
		if (i < m->nc) {
			free(share);
			free(len);
			lp_free(&lp);
			return EDOM;	/* a commodity lost its paths: arithmetic gone astray */
		}
		for (i = 0; i < m->nc; i++)
			m->c[i].nsup = 0;
		for (r = 0; r < lp.n; r++) {
			struct fp_mcf_com *c;

			if (lp.basis[r].kind != V_PATH || lp.xb[r] <= 1e-12)
				continue;
			c = &m->c[lp.basis[r].com];
			if (c->nsup == c->capsup) {
				c->capsup = c->capsup ? 2 * c->capsup : 4;
				c->sup = fp_xrealloc(c->sup, (size_t)c->capsup, sizeof(*c->sup));
			}
			c->sup[c->nsup++] = (struct fp_mcf_path){ lp.basis[r].path,
				lp.xb[r] / share[lp.basis[r].com] * c->demand };
		}
		free(share);
		fp_mcf_account(m);
		/* Its duals are lengths that prove the optimum. */
		memcpy(lp.y, lp.binv + (size_t)lp.lam * lp.n, lp.n * sizeof(double));
		for (r = 0; r < lp.nl; r++)
			len[lp.link_of_row[r]] = lp.y[lp.nc + r] < 0 ?
						 -lp.y[lp.nc + r] * m->inv_cap[lp.link_of_row[r]] : 0;
		lb = fp_mcf_dual(m, len);
		if (lb > m->bound) {
			m->bound = lb;
			if (!m->len)
				m->len = fp_xrealloc(NULL, (size_t)t->nlinks, sizeof(double));
			memcpy(m->len, len, sizeof(double) * (size_t)t->nlinks);
		}
		m->exact = true;
		free(len);
	}
	lp_free(&lp);
	return rc;
}
