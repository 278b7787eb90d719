// SPDX-License-Identifier: MIT
/*
 * background.c - background flows (docs/formats.md "Background flows"):
 * traffic nobody can pin, as fixed bytes on the links ECMP gives it, which
 * the planner adds before it places a phase's flows and which the lower
 * bounds count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "planner/plan.h"
#include "planner/plan_priv.h"
#include "planner/util.h"

static void put(double *bytes, const struct fp_path *p, double b)
{
	int h;

	for (h = 0; h < p->len; h++)
		bytes[p->link[h]] += b;
}

int fp_phase_background(struct fp_topo *t, const struct fp_phase *ph,
			const struct fp_portmap *pm, double **out, struct fp_err *err)
{
	double *bytes, *w = NULL;
	size_t i, wcap = 0;
	int rc = 0, p;

	*out = NULL;
	if (!ph->nbg)
		return 0;
	bytes = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	for (i = 0; i < ph->nbg && !rc; i++) {
		const struct fp_bgflow *b = &ph->bg[i];
		const struct fp_flow f = { .src = b->src, .dst = b->dst, .bytes = b->bytes };
		const struct fp_node *a = &t->nodes[b->src], *z = &t->nodes[b->dst];
		struct fp_pathset ps;

		/* Off the fabric, or over a failed host link: it carries nothing. */
		if (fp_same_host(t, &f) || !t->links[a->up_link].up || !t->links[z->down_link].up)
			continue;
		bytes[a->up_link] += (double)b->bytes;
		bytes[z->down_link] += (double)b->bytes;
		if (a->leaf == z->leaf)
			continue;
		ps = fp_flow_paths(t, &f);
		if (ps.n <= 0) {
			rc = fp_unroutable(t, &f, ps, err);
			break;
		}
		if (b->sport) {
			p = fp_pm_route(pm, t, &f, (uint16_t)b->sport);
			if (p < 0)
				p = fp_topo_route(t, b->src, b->dst, (uint16_t)b->sport);
			if (p < 0) {
				rc = fp_unroutable(t, &f, ps, err);
				break;
			}
			put(bytes, &ps.p[p], (double)b->bytes);
			continue;
		}
		/* Port unknown: ECMP's expectation, an even split at every switch. */
		FP_GROW(w, wcap, (size_t)ps.n);
		fp_spray_weights(&ps, 0, 0, ps.n, 1.0, w);
		for (p = 0; p < ps.n; p++)
			put(bytes, &ps.p[p], (double)b->bytes * w[p]);
	}
	free(w);
	if (rc) {
		char msg[sizeof(err->msg)];

		free(bytes);
		if (err) {
			snprintf(msg, sizeof(msg), "%s", err->msg);
			fp_fail(err, rc, "background flow: %s", msg);
		}
		return rc;
	}
	*out = bytes;
	return 0;
}

int fp_plan_background_again(struct fp_plan *p, size_t pi, const struct fp_portmap *pm,
			     struct fp_err *err)
{
	struct fp_plan_phase *pp = &p->ph[pi];
	double *bg;
	int rc, l;

	rc = fp_phase_background(p->topo, &p->sched->ph[pi], pm, &bg, err);
	if (rc)
		return rc;
	for (l = 0; l < p->topo->nlinks; l++) {
		pp->link_bytes[l] += (bg ? bg[l] : 0) - (pp->bg_bytes ? pp->bg_bytes[l] : 0);
		if (pp->link_bytes[l] < 0.5)
			pp->link_bytes[l] = 0;	/* what subtraction left of nothing */
	}
	free(pp->bg_bytes);
	pp->bg_bytes = bg;
	return 0;
}
