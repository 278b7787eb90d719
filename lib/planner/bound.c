// SPDX-License-Identifier: MIT
/*
 * bound.c - lower bounds on a phase's maximum link load: host links, leaf and
 * pod cuts, and LP duals of the multicommodity flow problem.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner/mcf.h"
#include "planner/plan.h"
#include "planner/plan_priv.h"
#include "planner/util.h"

/*
 * The LP dual bound of lengths @len (host links included): the bytes of
 * every flow times its shortest path under @len, plus the fixed background
 * bytes @bg (may be NULL) times their links' lengths, over the
 * capacity-weighted sum of the lengths. The flows are summed per leaf pair (@m).
 */
static double dual_bound(struct fp_topo *t, const struct fp_phase *ph, const struct fp_mcf *m,
			 const double *len, const double *bg)
{
	double num = 0, den = 0;
	size_t i;
	int l, p, h;

	for (l = 0; l < t->nlinks; l++)
		den += fp_cap_bps(t, l) * len[l];
	if (den <= 0)
		return 0;
	for (l = 0; bg && l < t->nlinks; l++)
		num += bg[l] * len[l];
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];

		if (!fp_same_host(t, f) && t->links[t->nodes[f->src].up_link].up &&
		    t->links[t->nodes[f->dst].down_link].up)
			num += (double)f->bytes * (len[t->nodes[f->src].up_link] +
						   len[t->nodes[f->dst].down_link]);
	}
	for (i = 0; i < m->nc; i++) {
		const struct fp_pathset *ps = &m->c[i].ps;
		double best = INFINITY;

		for (p = 0; p < ps->n; p++) {
			double d = 0;

			for (h = 0; h < ps->p[p].len; h++)
				d += len[ps->p[p].link[h]];
			if (d < best)
				best = d;
		}
		num += m->c[i].demand * best;
	}
	return num / den;
}

static double lower_bound(struct fp_topo *t, const struct fp_phase *ph,
			  const double *link_bytes, const double *bg, double *host_load,
			  double *host_inv);

double fp_phase_lower_bound(struct fp_topo *t, const struct fp_phase *ph,
			    const double *link_bytes)
{
	return lower_bound(t, ph, link_bytes, NULL, NULL, NULL);
}

double fp_phase_lower_bound_bg(struct fp_topo *t, const struct fp_phase *ph,
			       const double *link_bytes, const double *bg)
{
	return lower_bound(t, ph, link_bytes, bg, NULL, NULL);
}

double fp_phase_cut_bound(struct fp_topo *t, const struct fp_phase *ph, double *host_load,
			  double *host_inv)
{
	return lower_bound(t, ph, NULL, NULL, host_load, host_inv);
}

/*
 * Background bytes are fixed on their links: they add to each link's own
 * bound, to the cuts they cross (a leaf's up and down links, a pod's links
 * to the cores) and to the dual bound's numerator. @host_load and
 * @host_inv (with @bg NULL; either may be NULL): fp_phase_cut_bound().
 */
static double lower_bound(struct fp_topo *t, const struct fp_phase *ph,
			  const double *link_bytes, const double *bg, double *host_load,
			  double *host_inv)
{
	static const double theta[] = { 1.0, 0.999, 0.99, 0.95, 0.9 };
	static const double kappa[] = { 4, 16, 64 };
	double *fixed = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	double *eg = fp_xcalloc((size_t)t->nnodes, sizeof(double));
	double *in = fp_xcalloc((size_t)t->nnodes, sizeof(double));
	double *upcap = fp_xcalloc((size_t)t->nnodes, sizeof(double));
	double *peg = NULL, *pin = NULL, *pcap = NULL, lb = 0, umax = 0, hinv = 0;
	struct fp_mcf m;
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

		/* A flow over a failed host link cannot run: no plan carries it. */
		if (fp_same_host(t, f) || !t->links[t->nodes[f->src].up_link].up ||
		    !t->links[t->nodes[f->dst].down_link].up)
			continue;
		fixed[t->nodes[f->src].up_link] += (double)f->bytes;
		fixed[t->nodes[f->dst].down_link] += (double)f->bytes;
		if (sl == dl)
			continue;
		eg[sl] += (double)f->bytes;
		in[dl] += (double)f->bytes;
		/* Either end may be of no pod (-1): a topology file names pods or not. */
		if (t->nodes[sl].pod != t->nodes[dl].pod) {
			if (t->nodes[sl].pod >= 0)
				peg[t->nodes[sl].pod] += (double)f->bytes;
			if (t->nodes[dl].pod >= 0)
				pin[t->nodes[dl].pod] += (double)f->bytes;
		}
	}
	for (l = 0; l < t->nlinks; l++) {
		const struct fp_link *k2 = &t->links[l];
		const struct fp_node *a = &t->nodes[k2->from], *z = &t->nodes[k2->to];

		if (bg) {
			fixed[l] += bg[l];
			if (!a->is_nic && !z->is_nic && z->tier > a->tier) {
				eg[k2->from] += bg[l];
				if (a->pod >= 0 && z->pod != a->pod)
					peg[a->pod] += bg[l];
			} else if (!a->is_nic && !z->is_nic && z->tier < a->tier) {
				in[k2->to] += bg[l];
				if (z->pod >= 0 && z->pod != a->pod)
					pin[z->pod] += bg[l];
			}
		}
		if (fixed[l] > 0) {
			if (fp_link_load(t, l, fixed[l]) > lb)
				lb = fp_link_load(t, l, fixed[l]);
			if (host_inv && fixed[l] * (1 / fp_cap_bps(t, l)) > hinv)
				hinv = fixed[l] * (1 / fp_cap_bps(t, l));
		}
		if (!k2->up || a->is_nic || z->is_nic)
			continue;
		/* Links are symmetric: up capacity out equals capacity in. */
		if (z->tier > a->tier)
			upcap[k2->from] += fp_cap_bps(t, l);
		if (a->pod >= 0 && z->tier > a->tier && z->pod != a->pod)
			pcap[a->pod] += fp_cap_bps(t, l);
	}
	/* So far the host links' loads (and the background's links'). */
	if (host_load)
		*host_load = lb;
	if (host_inv)
		*host_inv = hinv;
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
	if (link_bytes && !fp_mcf_init(&m, t, ph, NULL, 1, NULL)) {
		double *len = fp_xcalloc((size_t)t->nlinks, sizeof(double)), d;

		for (l = 0; l < t->nlinks; l++)
			if (fp_link_load(t, l, link_bytes[l]) > umax)
				umax = fp_link_load(t, l, link_bytes[l]);
		for (k = 0; umax > 0 && k < sizeof(theta) / sizeof(theta[0]); k++) {
			for (l = 0; l < t->nlinks; l++)
				len[l] = t->links[l].up &&
					 fp_link_load(t, l, link_bytes[l]) >= theta[k] * umax * (1 - 1e-12) ?
					 1 / fp_cap_bps(t, l) : 0;
			d = dual_bound(t, ph, &m, len, bg);
			if (d > lb)
				lb = d;
		}
		for (k = 0; umax > 0 && k < sizeof(kappa) / sizeof(kappa[0]); k++) {
			for (l = 0; l < t->nlinks; l++)
				len[l] = t->links[l].up ?
					 exp(kappa[k] * (fp_link_load(t, l, link_bytes[l]) / umax - 1)) /
					 fp_cap_bps(t, l) : 0;
			d = dual_bound(t, ph, &m, len, bg);
			if (d > lb)
				lb = d;
		}
		free(len);
		fp_mcf_free(&m);
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
