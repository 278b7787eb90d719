// SPDX-License-Identifier: MIT
/*
 * mcf.c - the commodities of a phase, a greedy start, gradient projection
 * on a smooth maximum, and the dual bound (see planner/mcf.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner/mcf.h"
#include "planner/plan_priv.h"
#include "planner/util.h"

/* ---- sorting (key, index) pairs: LSD radix, 16-bit digits ---- */

struct kv {
	uint64_t key;
	uint32_t idx;
};

static int cmp_kv(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void fp_mcf_sort(uint64_t *key, uint32_t *idx, size_t n)
{
	uint64_t *k2;
	uint32_t *i2;
	size_t *cnt, i;
	uint64_t all_or = 0, all_and = ~0ull;
	int shift;

	if (n <= 4096) {
		/* Small: a comparison sort, without the 512 KiB of counters. */
		struct kv *kv = fp_xcalloc(n ? n : 1, sizeof(*kv));

		for (i = 0; i < n; i++)
			kv[i] = (struct kv){ key[i], idx[i] };
		qsort(kv, n, sizeof(*kv), cmp_kv);
		for (i = 0; i < n; i++) {
			key[i] = kv[i].key;
			idx[i] = kv[i].idx;
		}
		free(kv);
		return;
	}
	k2 = fp_xcalloc(n, sizeof(*k2));
	i2 = fp_xcalloc(n, sizeof(*i2));
	cnt = fp_xcalloc(65537, sizeof(*cnt));
	for (i = 0; i < n; i++) {
		all_or |= key[i];
		all_and &= key[i];
	}
	for (shift = 0; shift < 64; shift += 16) {
		uint64_t *tk;
		uint32_t *ti;

		if (!(((all_or ^ all_and) >> shift) & 0xffff))
			continue;	/* every key has the same digit here */
		memset(cnt, 0, 65537 * sizeof(*cnt));
		for (i = 0; i < n; i++)
			cnt[((key[i] >> shift) & 0xffff) + 1]++;
		for (i = 1; i <= 65536; i++)
			cnt[i] += cnt[i - 1];
		for (i = 0; i < n; i++) {
			size_t d = cnt[(key[i] >> shift) & 0xffff]++;

			k2[d] = key[i];
			i2[d] = idx[i];
		}
		tk = key;
		ti = idx;
		memcpy(tk, k2, n * sizeof(*tk));
		memcpy(ti, i2, n * sizeof(*ti));
	}
	free(k2);
	free(i2);
	free(cnt);
}

/* ---- commodities ---- */

void fp_mcf_free(struct fp_mcf *m)
{
	size_t i;

	for (i = 0; i < m->nc; i++) {
		free(m->c[i].sup);
		free(m->c[i].own);
		free(m->c[i].whole);
	}
	free(m->c);
	free(m->order);
	free(m->allowed);
	free(m->y);
	free(m->base);
	free(m->inv_cap);
	free(m->len);
	memset(m, 0, sizeof(*m));
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/*
 * The distinct paths of a NIC pair's @npaths that its port-map rows map,
 * ascending, into @out (room for @npaths); their count. A pair may list many
 * ports per path (a probe learns every port it tries), more rows than the
 * pair has paths: then the paths are marked first and each written once. A
 * row whose path is not one of the pair's (-1: unresolved, or numbered for
 * paths the pair no longer has) gives none.
 */
static int mapped_paths(const struct fp_topo *t, const struct fp_portmap *pm, int src, int dst,
			int npaths, uint16_t *out)
{
	size_t n, k;
	const struct fp_pm_row *r = fp_portmap_pair_ip(pm, &t->nodes[src].ip, &t->nodes[dst].ip, &n);
	int cnt = 0, i, j;

	if (n > (size_t)npaths) {
		uint8_t *seen = fp_xcalloc((size_t)npaths, 1);

		for (k = 0; k < n; k++)
			if (r[k].path >= 0 && r[k].path < npaths)
				seen[r[k].path] = 1;
		for (i = 0; i < npaths; i++)
			if (seen[i])
				out[cnt++] = (uint16_t)i;
		free(seen);
		return cnt;
	}
	for (k = 0; k < n; k++)
		if (r[k].path >= 0 && r[k].path < npaths)
			out[cnt++] = (uint16_t)r[k].path;
	qsort(out, (size_t)cnt, sizeof(*out), cmp_u16);
	for (i = 0, j = 0; i < cnt; i++)
		if (!j || out[j - 1] != out[i])
			out[j++] = out[i];
	return j;
}

int fp_mcf_init(struct fp_mcf *m, struct fp_topo *t, const struct fp_phase *ph,
		const struct fp_portmap *pm, int max_split, struct fp_err *err)
{
	return fp_mcf_init_part(m, t, ph, pm, max_split, NULL, ph->n, NULL, err);
}

int fp_mcf_init_part(struct fp_mcf *m, struct fp_topo *t, const struct fp_phase *ph,
		     const struct fp_portmap *pm, int max_split, const uint32_t *flows,
		     size_t nflows, const double *base, struct fp_err *err)
{
	uint64_t *key = fp_xcalloc(nflows ? nflows : 1, sizeof(*key));
	size_t n = 0, i, j, nalw = 0, capalw = 0;
	uint64_t nnic = (uint64_t)t->nnodes;
	int l, rc = 0;

	memset(m, 0, sizeof(*m));
	m->t = t;
	m->ph = ph;
	m->order = fp_xcalloc(nflows ? nflows : 1, sizeof(*m->order));
	for (j = 0; j < nflows; j++) {
		size_t fi = flows ? flows[j] : j;
		const struct fp_flow *f = &ph->flows[fi];
		int sl = t->nodes[f->src].leaf, dl = t->nodes[f->dst].leaf;

		if (fp_same_host(t, f) || sl == dl)
			continue;
		key[n] = pm ? (uint64_t)f->src * nnic + (uint64_t)f->dst :
			 (uint64_t)t->nodes[sl].leaf_idx * (uint64_t)t->nleaves +
			 (uint64_t)t->nodes[dl].leaf_idx;
		m->order[n++] = (uint32_t)fi;
	}
	fp_mcf_sort(key, m->order, n);
	for (i = 0; i < n; i = j) {
		struct fp_mcf_com *c;
		const struct fp_flow *f = &ph->flows[m->order[i]];

		for (j = i; j < n && key[j] == key[i]; j++)
			;
		if (!(m->nc & (m->nc - 1)) || !m->nc)
			m->c = fp_xrealloc(m->c, m->nc ? m->nc * 2 : 1, sizeof(*m->c));
		c = &m->c[m->nc++];
		memset(c, 0, sizeof(*c));
		c->src = f->src;
		c->dst = f->dst;
		c->first = (uint32_t)i;
		c->nflows = (uint32_t)(j - i);
		c->ps = fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
		if (c->ps.n <= 0) {
			rc = fp_unroutable(t, f, c->ps, err);
			goto out;
		}
		for (; i < j; i++)
			c->demand += (double)ph->flows[m->order[i]].bytes;
		if (pm) {
			FP_GROW(m->allowed, capalw, nalw + (size_t)c->ps.n);
			c->nallowed = mapped_paths(t, pm, f->src, f->dst, c->ps.n, m->allowed + nalw);
			c->allowed = (const uint16_t *)(uintptr_t)nalw;	/* fixed up below */
			nalw += (size_t)c->nallowed;
			if (!c->nallowed) {
				char sa[FP_ADDR_STRLEN], da[FP_ADDR_STRLEN];

				rc = fp_fail(err, ENOENT, "port map has no port for %s -> %s (%s -> %s)",
					     t->nodes[f->src].name, t->nodes[f->dst].name,
					     fp_addr_str(&t->nodes[f->src].ip, sa),
					     fp_addr_str(&t->nodes[f->dst].ip, da));
				goto out;
			}
		} else {
			c->nallowed = c->ps.n;
		}
		c->limit = c->nflows == 1 ? max_split : max_split + (int)c->nflows - 1;
		if (c->limit > c->nallowed)
			c->limit = c->nallowed;
		if (c->limit < 1)
			c->limit = 1;
	}
	for (i = 0; pm && i < m->nc; i++)
		m->c[i].allowed = m->allowed + (uintptr_t)m->c[i].allowed;
	m->y = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	if (base) {
		m->base = fp_xcalloc((size_t)t->nlinks, sizeof(double));
		memcpy(m->base, base, sizeof(double) * (size_t)t->nlinks);
	}
	m->inv_cap = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	for (l = 0; l < t->nlinks; l++)
		m->inv_cap[l] = 1 / fp_cap_bps(t, l);
out:
	free(key);
	if (rc)
		fp_mcf_free(m);
	return rc;
}

static inline int com_path(const struct fp_mcf_com *c, int k)
{
	return c->allowed ? c->allowed[k] : k;
}

static void sup_set(struct fp_mcf_com *c, int n)
{
	if (n > c->capsup) {
		c->capsup = n;
		c->sup = fp_xrealloc(c->sup, (size_t)n, sizeof(*c->sup));
	}
	c->nsup = n;
}

static void put_path(struct fp_mcf *m, const struct fp_path *p, double bytes)
{
	int h;

	for (h = 0; h < p->len; h++)
		m->y[p->link[h]] += bytes;
}

void fp_mcf_account(struct fp_mcf *m)
{
	size_t i;
	int k, l;

	if (m->base)
		memcpy(m->y, m->base, sizeof(double) * (size_t)m->t->nlinks);
	else
		memset(m->y, 0, sizeof(double) * (size_t)m->t->nlinks);
	for (i = 0; i < m->nc; i++)
		for (k = 0; k < m->c[i].nsup; k++)
			put_path(m, &m->c[i].ps.p[m->c[i].sup[k].path], m->c[i].sup[k].x);
	m->lambda = 0;
	for (l = 0; l < m->t->nlinks; l++)
		if (m->y[l] * m->inv_cap[l] > m->lambda)
			m->lambda = m->y[l] * m->inv_cap[l];
}

double fp_mcf_dual(const struct fp_mcf *m, const double *len)
{
	const struct fp_topo *t = m->t;
	double num = 0, den = 0;
	size_t i;
	int l, k, h;

	for (l = 0; l < t->nlinks; l++)
		den += len[l] / m->inv_cap[l];
	if (den <= 0)
		return 0;
	/* Bytes fixed on the links count at their links' lengths. */
	for (l = 0; m->base && l < t->nlinks; l++)
		num += m->base[l] * len[l];
	for (i = 0; i < m->nc; i++) {
		const struct fp_mcf_com *c = &m->c[i];
		double best = INFINITY;

		for (k = 0; k < c->nallowed; k++) {
			const struct fp_path *p = &c->ps.p[com_path(c, k)];
			double d = 0;

			for (h = 0; h < p->len; h++)
				d += len[p->link[h]];
			if (d < best)
				best = d;
		}
		num += c->demand * best;
	}
	return num / den;
}

static int cmp_sup_x(const void *a, const void *b)
{
	const struct fp_mcf_path *x = a, *y = b;

	if (x->x != y->x)
		return x->x > y->x ? -1 : 1;
	return (int)x->path - (int)y->path;
}

void fp_mcf_restrict(struct fp_mcf *m, struct fp_mcf_com *c, int n)
{
	double kept = 0;
	int k;

	(void)m;
	if (c->nsup <= n || n < 1)
		return;
	qsort(c->sup, (size_t)c->nsup, sizeof(*c->sup), cmp_sup_x);
	free(c->own);
	c->own = fp_xcalloc((size_t)n, sizeof(*c->own));
	for (k = 0; k < n; k++) {
		c->own[k] = c->sup[k].path;
		kept += c->sup[k].x;
	}
	qsort(c->own, (size_t)n, sizeof(*c->own), cmp_u16);
	for (k = 0; k < n; k++)
		c->sup[k].x *= c->demand / kept;
	c->nsup = n;
	c->allowed = c->own;
	c->nallowed = n;
	if (c->limit > n)
		c->limit = n;
}

/* ---- greedy start ---- */

static const struct fp_mcf *sort_m;

static int cmp_demand(const void *a, const void *b)
{
	double x = sort_m->c[*(const uint32_t *)a].demand, y = sort_m->c[*(const uint32_t *)b].demand;

	if (x != y)
		return x > y ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

void fp_mcf_greedy(struct fp_mcf *m)
{
	uint32_t *ord = fp_xcalloc(m->nc ? m->nc : 1, sizeof(*ord));
	size_t i;
	int k, h;

	if (m->base)
		memcpy(m->y, m->base, sizeof(double) * (size_t)m->t->nlinks);
	else
		memset(m->y, 0, sizeof(double) * (size_t)m->t->nlinks);
	for (i = 0; i < m->nc; i++)
		ord[i] = (uint32_t)i;
	sort_m = m;
	qsort(ord, m->nc, sizeof(*ord), cmp_demand);
	for (i = 0; i < m->nc; i++) {
		struct fp_mcf_com *c = &m->c[ord[i]];
		double bm = INFINITY, bs = INFINITY;
		int best = com_path(c, 0);

		for (k = 0; k < c->nallowed; k++) {
			int q = com_path(c, (k + (int)(ord[i] % (uint32_t)c->nallowed)) % c->nallowed);
			const struct fp_path *p = &c->ps.p[q];
			double mx = 0, s = 0, u;

			for (h = 0; h < p->len; h++) {
				u = (m->y[p->link[h]] + c->demand) * m->inv_cap[p->link[h]];
				s += u;
				if (u > mx)
					mx = u;
			}
			if (mx < bm * (1 - 1e-12) || (mx <= bm * (1 + 1e-12) && s < bs)) {
				bm = mx;
				bs = s;
				best = q;
			}
		}
		sup_set(c, 1);
		c->sup[0] = (struct fp_mcf_path){ (uint16_t)best, c->demand };
		put_path(m, &c->ps.p[best], c->demand);
	}
	free(ord);
	fp_mcf_account(m);
}

/* ---- gradient projection ---- */

struct gp {
	struct fp_mcf *m;
	double *w;		/* exp(alpha * (load / U - 1)) per link */
	double alpha, U;
	double *cost;		/* per path of the commodity at hand */
};

static inline double gp_w(const struct gp *g, int l)
{
	return exp(g->alpha * (g->m->y[l] * g->m->inv_cap[l] / g->U - 1));
}

static double path_cost(const struct gp *g, const struct fp_path *p)
{
	double d = 0;
	int h;

	for (h = 0; h < p->len; h++)
		d += g->w[p->link[h]] * g->m->inv_cap[p->link[h]];
	return d;
}

static bool on_path(const struct fp_path *p, int l)
{
	int h;

	for (h = 0; h < p->len; h++)
		if (p->link[h] == l)
			return true;
	return false;
}

/*
 * The derivative and curvature of the smooth maximum (a sum of exponentials,
 * the other links being fixed) after moving @d bytes from @p to @q, over
 * the links on one of them only. The derivative is increasing in d.
 */
static double move_grad(const struct gp *g, const struct fp_path *p, const struct fp_path *q,
			double d, double *curv)
{
	const struct fp_mcf *m = g->m;
	double s = 0, c = 0, e;
	int h, l;

	for (h = 0; h < p->len; h++) {
		l = p->link[h];
		if (on_path(q, l))
			continue;
		e = exp(g->alpha * ((m->y[l] - d) * m->inv_cap[l] / g->U - 1)) * m->inv_cap[l];
		s -= e;
		c += e * m->inv_cap[l];
	}
	for (h = 0; h < q->len; h++) {
		l = q->link[h];
		if (on_path(p, l))
			continue;
		e = exp(g->alpha * ((m->y[l] + d) * m->inv_cap[l] / g->U - 1)) * m->inv_cap[l];
		s += e;
		c += e * m->inv_cap[l];
	}
	*curv = c * g->alpha / g->U;
	return s;
}

/*
 * The exact minimiser over [0, x] of moving bytes from @p to @q:
 * Newton's method on the derivative, kept inside a shrinking bracket.
 */
static double move_amount(const struct gp *g, const struct fp_path *p, const struct fp_path *q,
			  double x)
{
	double lo = 0, hi = x, d, gr, cv;
	int it;

	if (move_grad(g, p, q, x, &cv) <= 0)
		return x;	/* all of it */
	/* Start where the busiest link of each side would be equally loaded. */
	{
		const struct fp_mcf *m = g->m;
		double up = -1, uq = -1, ip = 0, iq = 0;
		int h, l;

		for (h = 0; h < p->len; h++) {
			l = p->link[h];
			if (!on_path(q, l) && m->y[l] * m->inv_cap[l] > up) {
				up = m->y[l] * m->inv_cap[l];
				ip = m->inv_cap[l];
			}
		}
		for (h = 0; h < q->len; h++) {
			l = q->link[h];
			if (!on_path(p, l) && m->y[l] * m->inv_cap[l] > uq) {
				uq = m->y[l] * m->inv_cap[l];
				iq = m->inv_cap[l];
			}
		}
		d = up > uq && ip + iq > 0 ? (up - uq) / (ip + iq) : x / 2;
		if (!(d > 0 && d < x))
			d = x / 2;
	}
	for (it = 0; it < 40; it++) {
		gr = move_grad(g, p, q, d, &cv);
		if (gr > 0)
			hi = d;
		else
			lo = d;
		if (hi - lo <= 1e-9 * x || fabs(gr) == 0)
			break;
		d = cv > 0 ? d - gr / cv : -1;
		if (!(d > lo && d < hi))
			d = (lo + hi) / 2;
	}
	return lo;
}

static void gp_move(struct gp *g, const struct fp_path *p, const struct fp_path *q, double d)
{
	struct fp_mcf *m = g->m;
	int h;

	for (h = 0; h < p->len; h++)
		m->y[p->link[h]] -= d;
	for (h = 0; h < q->len; h++)
		m->y[q->link[h]] += d;
	for (h = 0; h < p->len; h++)
		g->w[p->link[h]] = gp_w(g, p->link[h]);
	for (h = 0; h < q->len; h++)
		g->w[q->link[h]] = gp_w(g, q->link[h]);
}

/* One commodity: bytes from its dearer paths to its cheapest. */
static void gp_commodity(struct gp *g, struct fp_mcf_com *c)
{
	double dq = INFINITY;
	int k, q = -1, qs = -1;

	if (c->nallowed < 2)
		return;
	for (k = 0; k < c->nallowed; k++) {
		double d = path_cost(g, &c->ps.p[com_path(c, k)]);

		if (d < dq) {
			dq = d;
			q = com_path(c, k);
		}
	}
	/*
	 * Every path infinitely dear (a length overflowed: a link far above
	 * the sweep's U) or NaN: no cheaper path to move bytes to.
	 */
	if (q < 0)
		return;
	for (k = 0; k < c->nsup; k++)
		if (c->sup[k].path == q)
			qs = k;
	if (qs < 0) {
		if (c->nsup >= c->limit) {
			/* No room for another path: the cheapest of those it has. */
			dq = INFINITY;
			for (k = 0; k < c->nsup; k++) {
				double d = path_cost(g, &c->ps.p[c->sup[k].path]);

				if (d < dq) {
					dq = d;
					qs = k;
				}
			}
			if (qs < 0)
				return;
			q = c->sup[qs].path;
		} else {
			qs = c->nsup;
			sup_set(c, c->nsup + 1);
			c->sup[qs] = (struct fp_mcf_path){ (uint16_t)q, 0 };
		}
	}
	for (k = 0; k < c->nsup; k++) {
		const struct fp_path *pp, *qp = &c->ps.p[q];
		double d;

		if (k == qs || c->sup[k].x <= 0)
			continue;
		pp = &c->ps.p[c->sup[k].path];
		if (path_cost(g, pp) <= path_cost(g, qp) * (1 + 1e-12))
			continue;
		d = move_amount(g, pp, qp, c->sup[k].x);
		/* Keep supports sparse: a sliver goes entirely. */
		if (c->sup[k].x - d < 1e-9 * c->demand)
			d = c->sup[k].x;
		if (d <= 0)
			continue;
		gp_move(g, pp, qp, d);
		c->sup[k].x -= d;
		c->sup[qs].x += d;
	}
	/* Drop emptied paths. */
	for (k = 0, qs = 0; k < c->nsup; k++)
		if (c->sup[k].x > 0)
			c->sup[qs++] = c->sup[k];
	c->nsup = qs;
}

/*
 * The best dual bound among the smooth maximum's lengths at sharpnesses
 * 4, 8, 16, ... of the current loads: a near-optimal routing's lengths at
 * the right sharpness prove it within a fraction of a percent.
 */
static void dual_scan(struct fp_mcf *m, double *len)
{
	const struct fp_topo *t = m->t;
	double a, lb, prev = 0;
	int l, down = 0;

	if (m->lambda <= 0)
		return;
	for (a = 4; a <= 1 << 22 && down < 3; a *= 2) {
		for (l = 0; l < t->nlinks; l++)
			len[l] = m->y[l] > 0 ?
				 exp(a * (m->y[l] * m->inv_cap[l] / m->lambda - 1)) * m->inv_cap[l] : 0;
		lb = fp_mcf_dual(m, len);
		if (lb > m->bound) {
			m->bound = lb;
			if (!m->len)
				m->len = fp_xrealloc(NULL, (size_t)t->nlinks, sizeof(double));
			memcpy(m->len, len, sizeof(double) * (size_t)t->nlinks);
		}
		down = lb < prev ? down + 1 : 0;
		prev = lb;
	}
}

static void save(struct fp_mcf *m, struct fp_mcf_path **best, int *bn)
{
	size_t i;

	for (i = 0; i < m->nc; i++) {
		best[i] = fp_xrealloc(best[i], (size_t)m->c[i].nsup, sizeof(**best));
		memcpy(best[i], m->c[i].sup, (size_t)m->c[i].nsup * sizeof(**best));
		bn[i] = m->c[i].nsup;
	}
}

void fp_mcf_gp(struct fp_mcf *m, double tol, int max_sweeps)
{
	struct fp_topo *t = m->t;
	struct gp g = { .m = m };
	struct fp_mcf_path **best = fp_xcalloc(m->nc ? m->nc : 1, sizeof(*best));
	int *bn = fp_xcalloc(m->nc ? m->nc : 1, sizeof(*bn));
	double best_lambda, nlinks = 0, amax;
	int sweep, l, last_gain = 0;
	size_t i;

	fp_mcf_account(m);
	if (m->lambda <= 0 || m->lambda <= m->bound * (1 + tol))
		goto out;
	for (l = 0; l < t->nlinks; l++)
		nlinks += m->y[l] > 0;
	/* Sharp enough that the smooth maximum is within tol/4 of the maximum. */
	amax = 4 * log(nlinks + 2) / tol;
	if (amax > 1e6)
		amax = 1e6;
	g.w = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	g.alpha = 8;
	save(m, best, bn);
	best_lambda = m->lambda;
	for (sweep = 0; sweep < max_sweeps; sweep++) {
		if (sweep % 8 == 0) {
			dual_scan(m, g.w);
			if (best_lambda <= m->bound * (1 + tol))
				break;
		}
		g.U = m->lambda;
		for (l = 0; l < t->nlinks; l++)
			g.w[l] = gp_w(&g, l);
		for (i = 0; i < m->nc; i++)
			gp_commodity(&g, &m->c[i]);
		fp_mcf_account(m);
		m->iters++;
		if (m->lambda < best_lambda) {
			if (m->lambda < best_lambda * (1 - 1e-6))
				last_gain = sweep;
			best_lambda = m->lambda;
			save(m, best, bn);
		}
		if (g.alpha >= amax && sweep - last_gain > 24)
			break;	/* as sharp as it gets, and no longer improving */
		if (g.alpha < amax)
			g.alpha = g.alpha * 1.3 < amax ? g.alpha * 1.3 : amax;
	}
	/* The best solution seen, which is not always the last. */
	for (i = 0; i < m->nc; i++) {
		sup_set(&m->c[i], bn[i]);
		memcpy(m->c[i].sup, best[i], (size_t)bn[i] * sizeof(*best[i]));
	}
	fp_mcf_account(m);
	dual_scan(m, g.w);
out:
	for (i = 0; i < m->nc; i++)
		free(best[i]);
	free(best);
	free(bn);
	free(g.w);
}
