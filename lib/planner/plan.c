// SPDX-License-Identifier: MIT
/*
 * plan.c - routing strategies and flowplan's planner.
 *
 * flowplan plans each phase on its own. On a two-tier fabric with equal flows
 * and uniform uplinks it is exact: the leaf-to-leaf multigraph, padded to a
 * Delta-regular bipartite multigraph, is decomposed into weighted perfect
 * matchings (Birkhoff-von Neumann, which is Konig's edge colouring with
 * multiplicities). Laying the Delta matching units end to end and cutting the
 * line into S equal bins, one per spine, gives every uplink and downlink
 * exactly Delta/S flows' worth of bytes: the spraying bound. Only the units
 * cut by a bin boundary (at most S-1 matchings) are split, each flow of them
 * into two subflows. Everything else (fat-trees, failed links, mixed speeds,
 * mixed sizes, several jobs of different sizes, learned port maps) goes to a
 * general method: greedy placement of pieces on the path with the smallest
 * resulting maximum load, local search on the most loaded link, and splitting
 * only the flows that cross the links above the lower bound.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/entries.h"
#include "planner/plan.h"
#include "planner/util.h"

#define MAX_SPLIT_DEFAULT 8

static double cap_bps(const struct fp_topo *t, int l)
{
	return t->links[l].gbps * 1e9 / 8;
}

double fp_link_load(const struct fp_topo *t, int l, double bytes)
{
	return bytes / cap_bps(t, l);
}

static bool same_host(const struct fp_topo *t, const struct fp_flow *f)
{
	return t->nodes[f->src].host == t->nodes[f->dst].host;
}

static struct fp_pathset flow_paths(struct fp_topo *t, const struct fp_flow *f)
{
	return fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
}

static void add_sub(struct fp_plan_phase *pp, size_t fi, uint64_t bytes, int path,
		    uint32_t fl, uint16_t sport)
{
	FP_GROW(pp->subs, pp->cap, pp->nsubs + 1);
	if (!pp->flows[fi].n)
		pp->flows[fi].first = (uint32_t)pp->nsubs;
	pp->subs[pp->nsubs++] = (struct fp_sub){ .bytes = bytes, .flow_label = fl,
						  .sport = sport, .path = (int16_t)path };
	pp->flows[fi].n++;
}

/* Bytes of every subflow onto the links it crosses, then max load. */
static void account(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp)
{
	size_t i, j;
	int l;

	memset(pp->link_bytes, 0, sizeof(double) * (size_t)t->nlinks);
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		struct fp_pathset ps;

		if (same_host(t, f))
			continue;
		ps = flow_paths(t, f);
		for (j = 0; j < pp->flows[i].n; j++) {
			const struct fp_sub *s = &pp->subs[pp->flows[i].first + j];

			if (s->path < 0)
				continue;
			pp->link_bytes[t->nodes[f->src].up_link] += (double)s->bytes;
			pp->link_bytes[t->nodes[f->dst].down_link] += (double)s->bytes;
			for (l = 0; l < ps.p[s->path].len; l++)
				pp->link_bytes[ps.p[s->path].link[l]] += (double)s->bytes;
		}
	}
	pp->max_load = 0;
	pp->bottleneck = -1;
	for (l = 0; l < t->nlinks; l++) {
		double u = fp_link_load(t, l, pp->link_bytes[l]);

		if (u > pp->max_load) {
			pp->max_load = u;
			pp->bottleneck = l;
		}
	}
	pp->max_subflows = 0;
	pp->split_flows = 0;
	for (i = 0; i < ph->n; i++) {
		if ((int)pp->flows[i].n > pp->max_subflows)
			pp->max_subflows = (int)pp->flows[i].n;
		if (pp->flows[i].n > 1)
			pp->split_flows++;
	}
}

/* ---- lower bound ---- */

static double dual_bound(struct fp_topo *t, const struct fp_phase *ph, const double *len)
{
	double num = 0, den = 0;
	size_t i;
	int l, p, h;

	for (l = 0; l < t->nlinks; l++)
		den += cap_bps(t, l) * len[l];
	if (den <= 0)
		return 0;
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		struct fp_pathset ps;
		double best = INFINITY, base;

		if (same_host(t, f))
			continue;
		ps = flow_paths(t, f);
		base = len[t->nodes[f->src].up_link] + len[t->nodes[f->dst].down_link];
		for (p = 0; p < ps.n; p++) {
			double d = 0;

			for (h = 0; h < ps.p[p].len; h++)
				d += len[ps.p[p].link[h]];
			if (d < best)
				best = d;
		}
		if (ps.n)
			num += (double)f->bytes * (base + best);
	}
	return num / den;
}

double fp_phase_lower_bound(struct fp_topo *t, const struct fp_phase *ph,
			    const double *link_bytes)
{
	static const double theta[] = { 1.0, 0.999, 0.99, 0.95, 0.9 };
	static const double kappa[] = { 4, 16, 64 };
	double *fixed = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	double *eg = fp_xcalloc((size_t)t->nnodes, sizeof(double));
	double *in = fp_xcalloc((size_t)t->nnodes, sizeof(double));
	double *upcap = fp_xcalloc((size_t)t->nnodes, sizeof(double));
	double *peg = NULL, *pin = NULL, *pcap = NULL, lb = 0, umax = 0;
	int npods = 0, l;
	size_t i, k;

	for (l = 0; l < t->nnodes; l++)
		if (t->nodes[l].pod + 1 > npods)
			npods = t->nodes[l].pod + 1;
	peg = fp_xcalloc((size_t)npods + 1, sizeof(double));
	pin = fp_xcalloc((size_t)npods + 1, sizeof(double));
	pcap = fp_xcalloc((size_t)npods + 1, sizeof(double));
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		int sl = t->nodes[f->src].leaf, dl = t->nodes[f->dst].leaf;

		if (same_host(t, f))
			continue;
		fixed[t->nodes[f->src].up_link] += (double)f->bytes;
		fixed[t->nodes[f->dst].down_link] += (double)f->bytes;
		if (sl == dl)
			continue;
		eg[sl] += (double)f->bytes;
		in[dl] += (double)f->bytes;
		if (t->nodes[sl].pod >= 0 && t->nodes[sl].pod != t->nodes[dl].pod) {
			peg[t->nodes[sl].pod] += (double)f->bytes;
			pin[t->nodes[dl].pod] += (double)f->bytes;
		}
	}
	for (l = 0; l < t->nlinks; l++) {
		const struct fp_link *k2 = &t->links[l];
		const struct fp_node *a = &t->nodes[k2->from], *z = &t->nodes[k2->to];

		if (fixed[l] > 0 && fp_link_load(t, l, fixed[l]) > lb)
			lb = fp_link_load(t, l, fixed[l]);
		if (!k2->up || a->is_nic || z->is_nic)
			continue;
		/* Links are symmetric: up capacity out equals capacity in. */
		if (z->tier > a->tier)
			upcap[k2->from] += cap_bps(t, l);
		if (a->pod >= 0 && z->tier > a->tier && z->pod != a->pod)
			pcap[a->pod] += cap_bps(t, l);
	}
	for (l = 0; l < t->nnodes; l++) {
		if (eg[l] > 0 && upcap[l] > 0 && eg[l] / upcap[l] > lb)
			lb = eg[l] / upcap[l];
		if (in[l] > 0 && upcap[l] > 0 && in[l] / upcap[l] > lb)
			lb = in[l] / upcap[l];
	}
	for (l = 0; l < npods; l++) {
		if (peg[l] > 0 && pcap[l] > 0 && peg[l] / pcap[l] > lb)
			lb = peg[l] / pcap[l];
		if (pin[l] > 0 && pcap[l] > 0 && pin[l] / pcap[l] > lb)
			lb = pin[l] / pcap[l];
	}
	/* LP duals for length functions shaped by a routing's loads. */
	if (link_bytes && ph->n <= 400000) {
		double *len = fp_xcalloc((size_t)t->nlinks, sizeof(double)), d;

		for (l = 0; l < t->nlinks; l++)
			if (fp_link_load(t, l, link_bytes[l]) > umax)
				umax = fp_link_load(t, l, link_bytes[l]);
		for (k = 0; umax > 0 && k < sizeof(theta) / sizeof(theta[0]); k++) {
			for (l = 0; l < t->nlinks; l++)
				len[l] = t->links[l].up &&
					 fp_link_load(t, l, link_bytes[l]) >= theta[k] * umax * (1 - 1e-12) ?
					 1 / cap_bps(t, l) : 0;
			d = dual_bound(t, ph, len);
			if (d > lb)
				lb = d;
		}
		for (k = 0; umax > 0 && k < sizeof(kappa) / sizeof(kappa[0]); k++) {
			for (l = 0; l < t->nlinks; l++)
				len[l] = t->links[l].up ?
					 exp(kappa[k] * (fp_link_load(t, l, link_bytes[l]) / umax - 1)) /
					 cap_bps(t, l) : 0;
			d = dual_bound(t, ph, len);
			if (d > lb)
				lb = d;
		}
		free(len);
	}
	free(fixed);
	free(eg);
	free(in);
	free(upcap);
	free(peg);
	free(pin);
	free(pcap);
	return lb;
}

/* ---- ports ---- */

/*
 * A flow label whose port takes @path between the two NICs: from the port map
 * when there is one, else by searching the hash model. @salt spreads choices.
 */
static int find_label(struct fp_topo *t, const struct fp_portmap *pm, int src, int dst,
		      int path, uint32_t salt, uint32_t *fl, uint16_t *sport, struct fp_err *err)
{
	const struct fp_node *s = &t->nodes[src], *d = &t->nodes[dst];
	uint32_t f;

	if (pm) {
		size_t n, k, cnt = 0;
		const struct fp_pm_row *r = fp_portmap_pair(pm, s->addr, d->addr, &n);

		for (k = 0; k < n; k++)
			if (r[k].path == path)
				cnt++;
		if (cnt) {
			size_t want = salt % cnt;

			for (k = 0; k < n; k++) {
				if (r[k].path != path || want--)
					continue;
				*sport = r[k].sport;
				*fl = (r[k].sport & 0xC000) == 0xC000 ? r[k].sport & 0x3fffu : 0;
				return 0;
			}
		}
		if (s->leaf != d->leaf)
			return fp_fail(err, ENOENT, "port map has no port for %s -> %s on path %d",
				       s->name, d->name, path);
	}
	if (!fp_topo_port_search(t, src, dst, path, salt % 0x3fff, &f)) {
		*fl = f;
		*sport = fp_label_to_sport(f);
		return 0;
	}
	return fp_fail(err, ENOENT, "no flow label of 1..0x3fff takes %s -> %s over path %d under the %s hash model",
		       s->name, d->name, path, fp_hash_name(t->hash_fn));
}

/* ---- baseline strategies ---- */

/* The path a port map learned for this port, or -1 when it has none. */
static int pm_route(const struct fp_portmap *pm, const struct fp_topo *t,
		    const struct fp_flow *f, uint16_t sport)
{
	const struct fp_pm_row *r;
	size_t n, k;

	if (!pm)
		return -1;
	r = fp_portmap_pair(pm, t->nodes[f->src].addr, t->nodes[f->dst].addr, &n);
	for (k = 0; k < n; k++)
		if (r[k].sport == sport)
			return r[k].path;
	return -1;
}

static int plan_ecmp(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
		     const struct fp_plan_opts *o, uint32_t *next_qpn, uint64_t *rng)
{
	size_t i;
	int q;

	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		int k = o->strategy == FP_STRAT_ECMPK ? o->k : 1;
		uint64_t share = f->bytes / (uint64_t)k;

		if (same_host(t, f)) {
			add_sub(pp, i, f->bytes, -1, 0, 0);
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
			path = pm_route(o->pm, t, f, sport);
			if (path < 0)
				path = fp_topo_route(t, f->src, f->dst, sport);
			if (path < 0)
				return EHOSTUNREACH;
			add_sub(pp, i, b, path, fl, sport);
		}
	}
	return 0;
}

/* Each switch sprays evenly over its next hops: weights by recursive halving of ranges. */
static void spray_weights(const struct fp_pathset *ps, int hop, int lo, int hi, double w,
			  double *out)
{
	int start[65], n, k;

	if (hop == ps->p[lo].len) {
		out[lo] = w;
		return;
	}
	n = fp_pathset_blocks(ps, hop, lo, hi, start, 64);
	for (k = 0; k < n; k++)
		spray_weights(ps, hop + 1, start[k], start[k + 1], w / n, out);
}

static int plan_spray(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp)
{
	double w[64];
	size_t i;
	int p;

	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		struct fp_pathset ps;
		uint64_t given = 0, b;

		if (same_host(t, f)) {
			add_sub(pp, i, f->bytes, -1, 0, 0);
			continue;
		}
		ps = flow_paths(t, f);
		if (!ps.n || ps.n > 64)
			return ps.n ? E2BIG : EHOSTUNREACH;
		spray_weights(&ps, 0, 0, ps.n, 1.0, w);
		for (p = 0; p < ps.n; p++) {
			b = p == ps.n - 1 ? f->bytes - given : (uint64_t)((double)f->bytes * w[p]);
			given += b;
			add_sub(pp, i, b, p, 0, 0);
		}
	}
	return 0;
}

/* ---- flowplan: exact method ---- */

/* Is phase @ph on a uniform two-tier fabric with equal fabric flows? */
static bool exact_applies(struct fp_topo *t, const struct fp_phase *ph, const struct fp_portmap *pm)
{
	double gbps = -1;
	uint64_t bytes = 0;
	size_t i;
	int l;

	if (!t->two_tier || pm || t->nleaves > 2048)
		return false;
	for (l = 0; l < t->nlinks; l++) {
		const struct fp_link *k = &t->links[l];

		if (t->nodes[k->from].is_nic || t->nodes[k->to].is_nic)
			continue;
		if (!k->up)
			return false;
		if (gbps < 0)
			gbps = k->gbps;
		else if (k->gbps != gbps)
			return false;
	}
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];

		if (same_host(t, f) || t->nodes[f->src].leaf == t->nodes[f->dst].leaf)
			continue;
		if (!bytes)
			bytes = f->bytes;
		else if (f->bytes != bytes)
			return false;
	}
	return true;
}

struct bvn {
	int L;
	int *pair_of;		/* L*L -> pair id or -1 */
	int *pu, *pv;		/* pair endpoints */
	int64_t *m;		/* remaining multiplicity */
	int64_t *real;		/* real flows of the pair */
	int np, pcap;
	int **adj;		/* per left vertex: pair ids */
	int *nadj, *cadj;
	int *matchL, *matchR;	/* pair matched at left u / right v */
	int *seen, stamp;
};

static int bvn_pair(struct bvn *b, int u, int v)
{
	int id = b->pair_of[(size_t)u * (size_t)b->L + (size_t)v];

	if (id >= 0)
		return id;
	if (b->np == b->pcap) {
		b->pcap = b->pcap ? b->pcap * 2 : 256;
		b->pu = fp_xrealloc(b->pu, (size_t)b->pcap, sizeof(int));
		b->pv = fp_xrealloc(b->pv, (size_t)b->pcap, sizeof(int));
		b->m = fp_xrealloc(b->m, (size_t)b->pcap, sizeof(int64_t));
		b->real = fp_xrealloc(b->real, (size_t)b->pcap, sizeof(int64_t));
	}
	id = b->np++;
	b->pu[id] = u;
	b->pv[id] = v;
	b->m[id] = 0;
	b->real[id] = 0;
	b->pair_of[(size_t)u * (size_t)b->L + (size_t)v] = id;
	if (b->nadj[u] == b->cadj[u]) {
		b->cadj[u] = b->cadj[u] ? b->cadj[u] * 2 : 4;
		b->adj[u] = fp_xrealloc(b->adj[u], (size_t)b->cadj[u], sizeof(int));
	}
	b->adj[u][b->nadj[u]++] = id;
	return id;
}

/* Kuhn's augmenting path from left vertex u (iterative DFS). */
static bool bvn_augment(struct bvn *b, int root, int *stack_u, int *stack_i)
{
	int sp = 0;

	b->stamp++;
	stack_u[0] = root;
	stack_i[0] = 0;
	while (sp >= 0) {
		int u = stack_u[sp];

		if (stack_i[sp] >= b->nadj[u]) {
			sp--;
			continue;
		}
		{
			int p = b->adj[u][stack_i[sp]++], v;

			if (!b->m[p])
				continue;
			v = b->pv[p];
			if (b->seen[v] == b->stamp)
				continue;
			b->seen[v] = b->stamp;
			if (b->matchR[v] < 0) {
				/* Flip the path: each stacked u takes the pair it went through. */
				int k;

				for (k = sp; k >= 0; k--) {
					int uu = stack_u[k], pp = b->adj[uu][stack_i[k] - 1];

					b->matchL[uu] = pp;
					b->matchR[b->pv[pp]] = pp;
				}
				return true;
			}
			sp++;
			stack_u[sp] = b->pu[b->matchR[v]];
			stack_i[sp] = 0;
		}
	}
	return false;
}

static int plan_exact(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
		      struct fp_err *err)
{
	struct bvn b = { .L = t->nleaves };
	int L = t->nleaves, S = t->nodes[t->leaves[0]].out_n, u, v, p, k, l;
	int64_t *out = fp_xcalloc((size_t)L, sizeof(int64_t));
	int64_t *inn = fp_xcalloc((size_t)L, sizeof(int64_t));
	int64_t delta = 0, pos = 0, total, binlen;
	size_t i, *cursor = NULL, *fstart = NULL, *forder = NULL, nf = 0;
	int *stack_u = NULL, *stack_i = NULL, *mt = NULL;
	int64_t *mw = NULL;
	size_t nmatch = 0, mcap = 0;
	uint32_t salt = 0;
	int rc = 0;

	b.pair_of = fp_xcalloc((size_t)L * (size_t)L, sizeof(int));
	memset(b.pair_of, 0xff, sizeof(int) * (size_t)L * (size_t)L);
	b.adj = fp_xcalloc((size_t)L, sizeof(int *));
	b.nadj = fp_xcalloc((size_t)L, sizeof(int));
	b.cadj = fp_xcalloc((size_t)L, sizeof(int));
	b.matchL = fp_xcalloc((size_t)L, sizeof(int));
	b.matchR = fp_xcalloc((size_t)L, sizeof(int));
	b.seen = fp_xcalloc((size_t)L, sizeof(int));
	stack_u = fp_xcalloc((size_t)L + 1, sizeof(int));
	stack_i = fp_xcalloc((size_t)L + 1, sizeof(int));

	/* Local flows first; fabric flows become pair multiplicities. */
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];

		if (same_host(t, f)) {
			add_sub(pp, i, f->bytes, -1, 0, 0);
			continue;
		}
		u = t->nodes[t->nodes[f->src].leaf].leaf_idx;
		v = t->nodes[t->nodes[f->dst].leaf].leaf_idx;
		if (u == v) {
			uint32_t fl = 1 + (salt++ % 0x3fff);

			add_sub(pp, i, f->bytes, 0, fl, fp_label_to_sport(fl));
			continue;
		}
		p = bvn_pair(&b, u, v);
		b.real[p]++;
		b.m[p]++;
		out[u]++;
		inn[v]++;
		nf++;
	}
	if (!nf)
		goto out;
	for (u = 0; u < L; u++) {
		if (out[u] > delta)
			delta = out[u];
		if (inn[u] > delta)
			delta = inn[u];
	}
	/* Pad to a Delta-regular bipartite multigraph with dummy edges. */
	for (u = 0, v = 0; u < L; u++) {
		while (out[u] < delta) {
			int64_t add;

			while (inn[v] >= delta)
				v++;
			add = delta - out[u] < delta - inn[v] ? delta - out[u] : delta - inn[v];
			p = bvn_pair(&b, u, v);
			b.m[p] += add;
			out[u] += add;
			inn[v] += add;
		}
	}
	/*
	 * Bins: fractional (Delta/S units per spine: the spraying bound, some
	 * flows split) unless whole bins of ceil(Delta/S) units already stay
	 * under what the host links force anyway: then nothing is split.
	 */
	binlen = delta;
	{
		int64_t c = (delta + S - 1) / S;
		double host = 0, flowb = 0, up_gbps = t->links[t->out[t->nodes[t->leaves[0]].out_off]].gbps;
		double *hb = fp_xcalloc((size_t)t->nlinks, sizeof(double));

		for (i = 0; i < ph->n; i++) {
			const struct fp_flow *f = &ph->flows[i];

			if (same_host(t, f))
				continue;
			hb[t->nodes[f->src].up_link] += (double)f->bytes;
			hb[t->nodes[f->dst].down_link] += (double)f->bytes;
			if (t->nodes[f->src].leaf != t->nodes[f->dst].leaf)
				flowb = (double)f->bytes;
		}
		for (l = 0; l < t->nlinks; l++)
			if (hb[l] > 0 && fp_link_load(t, l, hb[l]) > host)
				host = fp_link_load(t, l, hb[l]);
		free(hb);
		if ((double)c * flowb * 8 / (up_gbps * 1e9) <= host * (1 + 1e-12))
			binlen = c * S;
	}
	/* Birkhoff-von Neumann: peel weighted perfect matchings. */
	for (u = 0; u < L; u++)
		b.matchL[u] = b.matchR[u] = -1;
	total = delta;
	while (total > 0) {
		int64_t w = INT64_MAX;

		for (u = 0; u < L; u++) {
			if (b.matchL[u] < 0 && !bvn_augment(&b, u, stack_u, stack_i)) {
				rc = fp_fail(err, EDOM, "internal error: no perfect matching (phase with %zu flows)",
					     ph->n);
				goto out;
			}
		}
		for (u = 0; u < L; u++)
			if (b.m[b.matchL[u]] < w)
				w = b.m[b.matchL[u]];
		if (w > total)
			w = total;
		if (nmatch == mcap) {
			mcap = mcap ? mcap * 2 : 64;
			mt = fp_xrealloc(mt, mcap * (size_t)L, sizeof(int));
			mw = fp_xrealloc(mw, mcap, sizeof(int64_t));
		}
		for (u = 0; u < L; u++) {
			p = b.matchL[u];
			mt[nmatch * (size_t)L + (size_t)u] = p;
			b.m[p] -= w;
		}
		mw[nmatch++] = w;
		total -= w;
		for (u = 0; u < L; u++) {
			p = b.matchL[u];
			if (!b.m[p]) {
				b.matchL[u] = -1;
				b.matchR[b.pv[p]] = -1;
			}
		}
	}

	/* Flows of each pair, in schedule order. */
	fstart = fp_xcalloc((size_t)b.np + 1, sizeof(size_t));
	cursor = fp_xcalloc((size_t)b.np, sizeof(size_t));
	forder = fp_xcalloc(nf, sizeof(size_t));
	for (p = 0; p < b.np; p++)
		fstart[p + 1] = fstart[p] + (size_t)b.real[p];
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];

		if (same_host(t, f) || t->nodes[f->src].leaf == t->nodes[f->dst].leaf)
			continue;
		u = t->nodes[t->nodes[f->src].leaf].leaf_idx;
		v = t->nodes[t->nodes[f->dst].leaf].leaf_idx;
		p = b.pair_of[(size_t)u * (size_t)L + (size_t)v];
		forder[fstart[p] + cursor[p]++] = i;
	}
	memset(cursor, 0, sizeof(size_t) * (size_t)b.np);

	/*
	 * Units on a line of length Delta*S (unit j is [jS, jS+S)); spine s owns
	 * [s*binlen, (s+1)*binlen). A unit is a matching: one flow of each pair in it.
	 */
	for (k = 0; k < (int)nmatch; k++) {
		int64_t j = 0;

		while (j < mw[k]) {
			int64_t a = (pos + j) * S, s0 = a / binlen, s1 = (a + S - 1) / binlen, run;

			if (s0 == s1) {
				/* Units wholly inside spine s0's bin: assign them in one go. */
				int64_t end_bin = (s0 + 1) * binlen, fit = (end_bin - a) / S;

				run = fit < mw[k] - j ? fit : mw[k] - j;
			} else {
				run = 1;
			}
			for (u = 0; u < L; u++) {
				int64_t r;

				p = mt[(size_t)k * (size_t)L + (size_t)u];
				for (r = 0; r < run; r++) {
					size_t fi;
					const struct fp_flow *f;
					int64_t s, given = 0;

					if (cursor[p] >= (size_t)b.real[p])
						break;	/* dummy unit */
					fi = forder[fstart[p] + cursor[p]++];
					f = &ph->flows[fi];
					for (s = s0; s <= s1; s++) {
						int64_t lo = a > s * binlen ? a : s * binlen;
						int64_t hi = a + S < (s + 1) * binlen ? a + S : (s + 1) * binlen;
						uint64_t bytes;
						uint32_t fl;
						uint16_t sport;

						if (hi <= lo)
							continue;
						bytes = s == s1 ? f->bytes - (uint64_t)given :
							(uint64_t)((__uint128_t)f->bytes * (uint64_t)(hi - lo) /
								   (uint64_t)S);
						given += (int64_t)bytes;
						if (!bytes)
							continue;
						rc = find_label(t, NULL, f->src, f->dst, (int)s,
								(uint32_t)(fi * 7919 + (size_t)s), &fl,
								&sport, err);
						if (rc)
							goto out;
						add_sub(pp, fi, bytes, (int)s, fl, sport);
					}
				}
			}
			j += run;
		}
		pos += mw[k];
	}
	pp->method = FP_METHOD_EXACT;
out:
	for (u = 0; u < L; u++)
		free(b.adj[u]);
	free(b.adj);
	free(b.nadj);
	free(b.cadj);
	free(b.pair_of);
	free(b.pu);
	free(b.pv);
	free(b.m);
	free(b.real);
	free(b.matchL);
	free(b.matchR);
	free(b.seen);
	free(stack_u);
	free(stack_i);
	free(mt);
	free(mw);
	free(out);
	free(inn);
	free(fstart);
	free(cursor);
	free(forder);
	return rc;
}

/* ---- flowplan: general method ---- */

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
		struct fp_pathset ps = flow_paths(t, &ph->flows[pc[i].flow]);

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
			struct fp_pathset ps = flow_paths(t, &ph->flows[pc[i].flow]);
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

static int plan_general(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
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
		g.inv_cap[l] = 1 / cap_bps(t, l);
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		struct fp_pathset ps;

		if (same_host(t, f))
			continue;
		ps = flow_paths(t, f);	/* fp_plan_compute() refused flows with none */
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
			struct fp_pathset ps = flow_paths(t, &ph->flows[pc[j].flow]);
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
		if (same_host(t, &ph->flows[i]))
			add_sub(pp, i, ph->flows[i].bytes, -1, 0, 0);
	for (i = 0; i < npc; i = j) {
		const struct fp_flow *f = &ph->flows[pc[i].flow];
		uint64_t bytes = 0;
		uint32_t fl;
		uint16_t sport;

		for (j = i; j < npc && pc[j].flow == pc[i].flow && pc[j].path == pc[i].path; j++)
			bytes += pc[j].bytes;
		rc = find_label(t, o->pm, f->src, f->dst, pc[i].path,
				(uint32_t)(pc[i].flow * 7919 + (size_t)pc[i].path), &fl, &sport, err);
		if (rc)
			goto out;
		add_sub(pp, pc[i].flow, bytes, pc[i].path, fl, sport);
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

/* ---- driver ---- */

static const char *const strat_names[] = {
	[FP_STRAT_ECMP] = "ecmp", [FP_STRAT_ECMPK] = "ecmpk",
	[FP_STRAT_SPRAY] = "spray", [FP_STRAT_FLOWPLAN] = "flowplan",
};

const char *fp_strategy_name(enum fp_strategy s)
{
	return strat_names[s];
}

int fp_strategy_parse(const char *s, enum fp_strategy *st, int *k)
{
	char *end;

	if (!strcmp(s, "ecmp")) {
		*st = FP_STRAT_ECMP;
	} else if (!strncmp(s, "ecmp", 4)) {
		long v = strtol(s + 4, &end, 10);

		if (*end || v < 1 || v > FP_MAX_SUBFLOWS)
			return EINVAL;
		*st = FP_STRAT_ECMPK;
		*k = (int)v;
	} else if (!strcmp(s, "spray")) {
		*st = FP_STRAT_SPRAY;
	} else if (!strcmp(s, "flowplan")) {
		*st = FP_STRAT_FLOWPLAN;
	} else {
		return EINVAL;
	}
	return 0;
}

void fp_plan_free(struct fp_plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nph; i++) {
		free(p->ph[i].flows);
		free(p->ph[i].subs);
		free(p->ph[i].link_bytes);
	}
	free(p->ph);
	free(p);
}

int fp_plan_compute(struct fp_topo *t, const struct fp_sched *s, const struct fp_plan_opts *o,
		    struct fp_plan **out, struct fp_err *err)
{
	struct fp_plan *p = fp_xcalloc(1, sizeof(*p));
	uint32_t *next_qpn = fp_xcalloc((size_t)t->nnodes, sizeof(uint32_t));
	uint64_t rng = o->seed * 0x2545F4914F6CDD1Dull + 1;
	size_t i, f;
	int rc = 0, n;

	p->strategy = o->strategy;
	p->k = o->strategy == FP_STRAT_ECMPK ? (o->k > 0 ? o->k : 4) : 1;
	p->generation = o->generation;
	p->enforce = o->enforce;
	p->topo = t;
	p->sched = s;
	p->nph = s->nph;
	p->ph = fp_xcalloc(s->nph, sizeof(*p->ph));
	/* QP numbers start at a seeded point per NIC, as on hosts with other QPs open. */
	for (n = 0; n < t->nnodes; n++)
		next_qpn[n] = 0x11 + (uint32_t)(fp_rand64(&rng) % 0x10000);
	for (i = 0; i < s->nph && !rc; i++) {
		const struct fp_phase *ph = &s->ph[i];
		struct fp_plan_phase *pp = &p->ph[i];
		struct fp_plan_opts oo = *o;

		oo.k = p->k;
		pp->flows = fp_xcalloc(ph->n ? ph->n : 1, sizeof(*pp->flows));
		pp->link_bytes = fp_xcalloc((size_t)t->nlinks, sizeof(double));
		for (f = 0; f < ph->n; f++) {
			const struct fp_flow *fl = &ph->flows[f];

			if (!same_host(t, fl) && !flow_paths(t, fl).n) {
				rc = fp_fail(err, EHOSTUNREACH, "phase %s: %s -> %s: no live path (failed links cut them apart)",
					     ph->name, t->nodes[fl->src].name, t->nodes[fl->dst].name);
				break;
			}
		}
		if (rc)
			break;
		switch (o->strategy) {
		case FP_STRAT_ECMP:
		case FP_STRAT_ECMPK:
			rc = plan_ecmp(t, ph, pp, &oo, next_qpn, &rng);
			if (rc)
				fp_fail(err, rc, "phase %s: unroutable flow", ph->name);
			break;
		case FP_STRAT_SPRAY:
			rc = plan_spray(t, ph, pp);
			if (rc)
				fp_fail(err, rc, "phase %s: unroutable flow", ph->name);
			break;
		case FP_STRAT_FLOWPLAN:
			if (exact_applies(t, ph, o->pm))
				rc = plan_exact(t, ph, pp, err);
			else
				rc = plan_general(t, ph, pp, o, err);
			break;
		}
		if (rc)
			break;
		account(t, ph, pp);
		/* The general method bounded its own (best, emitted) placement already. */
		if (pp->method != FP_METHOD_GREEDY)
			pp->lower_bound = fp_phase_lower_bound(t, ph, pp->link_bytes);
	}
	free(next_qpn);
	if (rc) {
		fp_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}
