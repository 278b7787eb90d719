// SPDX-License-Identifier: MIT
/* sim.c - max-min fair flow simulator (progressive filling). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner/sim.h"
#include "planner/util.h"

void fp_sim_free(struct fp_sim *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nph; i++)
		free(s->ph[i].fct);
	free(s->ph);
	free(s);
}

struct sflow {
	size_t flow;
	double left, rate;
	int off, n;		/* links in the CSR */
	int active;
};

static void sim_phase(const struct fp_plan *p, size_t pi, struct fp_sim_phase *out)
{
	struct fp_topo *t = p->topo;
	const struct fp_phase *ph = &p->sched->ph[pi];
	const struct fp_plan_phase *pp = &p->ph[pi];
	struct sflow *sf = fp_xcalloc(pp->nsubs ? pp->nsubs : 1, sizeof(*sf));
	int *lk = fp_xcalloc(pp->nsubs * 8 + 1, sizeof(int));
	int *loff = fp_xcalloc((size_t)t->nlinks + 1, sizeof(int));
	int *lsf, *lfill = fp_xcalloc((size_t)t->nlinks, sizeof(int));
	double *resid = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	int *cnt = fp_xcalloc((size_t)t->nlinks, sizeof(int));
	char *frozen = fp_xcalloc(pp->nsubs ? pp->nsubs : 1, 1);
	size_t ns = 0, i, j, active = 0;
	int nl = 0, l, h;
	double now = 0;

	out->fct = fp_xcalloc(ph->n ? ph->n : 1, sizeof(double));
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		struct fp_pathset ps;

		if (t->nodes[f->src].host == t->nodes[f->dst].host)
			continue;
		ps = fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
		for (j = 0; j < pp->flows[i].n; j++) {
			const struct fp_plan_subflow *s = &pp->subs[pp->flows[i].first + j];

			if (s->path == FP_PATH_NONE || !s->bytes)
				continue;
			sf[ns] = (struct sflow){ .flow = i, .left = (double)s->bytes, .off = nl,
						 .active = 1 };
			lk[nl++] = t->nodes[f->src].up_link;
			for (h = 0; h < ps.p[s->path].len; h++)
				lk[nl++] = ps.p[s->path].link[h];
			lk[nl++] = t->nodes[f->dst].down_link;
			sf[ns].n = nl - sf[ns].off;
			ns++;
		}
	}
	/* link -> subflows */
	for (i = 0; i < ns; i++)
		for (h = 0; h < sf[i].n; h++)
			loff[lk[sf[i].off + h] + 1]++;
	for (l = 0; l < t->nlinks; l++)
		loff[l + 1] += loff[l];
	lsf = fp_xcalloc((size_t)loff[t->nlinks] + 1, sizeof(int));
	for (i = 0; i < ns; i++)
		for (h = 0; h < sf[i].n; h++) {
			l = lk[sf[i].off + h];
			lsf[loff[l] + lfill[l]++] = (int)i;
		}
	active = ns;
	while (active) {
		size_t unfrozen = active;
		double dt = INFINITY;

		/* Progressive filling: raise all rates until a link saturates. */
		for (l = 0; l < t->nlinks; l++) {
			resid[l] = t->links[l].gbps * 1e9 / 8;
			cnt[l] = 0;
		}
		for (i = 0; i < ns; i++) {
			frozen[i] = !sf[i].active;
			if (sf[i].active)
				for (h = 0; h < sf[i].n; h++)
					cnt[lk[sf[i].off + h]]++;
		}
		while (unfrozen) {
			double x = INFINITY;

			for (l = 0; l < t->nlinks; l++)
				if (cnt[l] && resid[l] / cnt[l] < x)
					x = resid[l] / cnt[l];
			for (l = 0; l < t->nlinks; l++) {
				int k;

				if (!cnt[l] || resid[l] / cnt[l] > x * (1 + 1e-12))
					continue;
				for (k = loff[l]; k < loff[l + 1]; k++) {
					struct sflow *s = &sf[lsf[k]];

					if (frozen[lsf[k]])
						continue;
					frozen[lsf[k]] = 1;
					s->rate = x;
					unfrozen--;
					for (h = 0; h < s->n; h++) {
						resid[lk[s->off + h]] -= x;
						cnt[lk[s->off + h]]--;
					}
				}
			}
		}
		for (i = 0; i < ns; i++)
			if (sf[i].active && sf[i].left / sf[i].rate < dt)
				dt = sf[i].left / sf[i].rate;
		now += dt;
		out->events++;
		for (i = 0; i < ns; i++) {
			if (!sf[i].active)
				continue;
			sf[i].left -= sf[i].rate * dt;
			if (sf[i].left <= 1e-9 * sf[i].rate * now + 1e-6) {
				sf[i].active = 0;
				active--;
				if (now > out->fct[sf[i].flow])
					out->fct[sf[i].flow] = now;
			}
		}
	}
	out->cct = 0;
	for (i = 0; i < ph->n; i++)
		if (out->fct[i] > out->cct)
			out->cct = out->fct[i];
	free(sf);
	free(lk);
	free(loff);
	free(lsf);
	free(lfill);
	free(resid);
	free(cnt);
	free(frozen);
}

int fp_simulate(const struct fp_plan *p, struct fp_sim **out, struct fp_err *err)
{
	struct fp_sim *s = fp_xcalloc(1, sizeof(*s));
	size_t i;

	(void)err;
	s->nph = p->nph;
	s->ph = fp_xcalloc(p->nph ? p->nph : 1, sizeof(*s->ph));
	for (i = 0; i < p->nph; i++) {
		sim_phase(p, i, &s->ph[i]);
		s->total += s->ph[i].cct;
	}
	*out = s;
	return 0;
}
