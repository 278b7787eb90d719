// SPDX-License-Identifier: MIT
/*
 * plan.c - fp_plan_compute(): each phase planned by the strategy asked for
 * (baseline.c: ECMP, ECMP xK, spraying; flowplan: exact.c where it applies,
 * else general.c), its subflows accounted onto the links, its lower bound
 * (bound.c) reported next to its maximum load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/plan.h"
#include "planner/plan_priv.h"
#include "planner/util.h"

double fp_link_load(const struct fp_topo *t, int l, double bytes)
{
	return bytes / fp_cap_bps(t, l);
}

void fp_plan_link_loads(const struct fp_plan *p, double *load)
{
	size_t i;
	int l;

	for (l = 0; l < p->topo->nlinks; l++) {
		load[l] = 0;
		for (i = 0; i < p->nph; i++)
			load[l] += fp_link_load(p->topo, l, p->ph[i].link_bytes[l]);
	}
}

void fp_plan_add_sub(struct fp_plan_phase *pp, size_t fi, uint64_t bytes, int path,
		     uint32_t fl, uint16_t sport)
{
	FP_GROW_RAW(pp->subs, pp->cap, pp->nsubs + 1);
	if (!pp->flows[fi].n)
		pp->flows[fi].first = (uint32_t)pp->nsubs;
	pp->subs[pp->nsubs++] = (struct fp_plan_subflow){ .bytes = bytes, .flow_label = fl,
							  .sport = sport, .path = (uint16_t)path };
	pp->flows[fi].n++;
}

/* The background's bytes, then every subflow's onto the links it crosses, then max load. */
void fp_plan_account(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp)
{
	size_t i, j;
	int l;

	if (pp->bg_bytes)
		memcpy(pp->link_bytes, pp->bg_bytes, sizeof(double) * (size_t)t->nlinks);
	else
		memset(pp->link_bytes, 0, sizeof(double) * (size_t)t->nlinks);
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		struct fp_pathset ps;

		if (fp_same_host(t, f))
			continue;
		ps = fp_flow_paths(t, f);
		for (j = 0; j < pp->flows[i].n; j++) {
			const struct fp_plan_subflow *s = &pp->subs[pp->flows[i].first + j];

			if (s->path == FP_PATH_NONE || s->path >= ps.n)
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

/* ---- driver ---- */

static const char *const strat_names[] = {
	[FP_STRAT_ECMP] = "ecmp", [FP_STRAT_ECMPK] = "ecmpk",
	[FP_STRAT_SPRAY] = "spray", [FP_STRAT_FLOWPLAN] = "flowplan",
};

const char *fp_method_name(enum fp_method m)
{
	static const char *const names[] = {
		[FP_METHOD_NONE] = "-", [FP_METHOD_EXACT] = "exact",
		[FP_METHOD_LP] = "lp", [FP_METHOD_GP] = "gp", [FP_METHOD_GREEDY] = "greedy",
	};

	return (unsigned int)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}

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
		free(p->ph[i].bg_bytes);
		free(p->ph[i].rev);
		free(p->ph[i].rev_off);
		free(p->ph[i].rsubs);
	}
	fp_plan_index_free(p->index, p->nph);
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
		/* At least one subflow per flow: room for them at once. */
		pp->subs = fp_xrealloc(NULL, ph->n ? ph->n : 1, sizeof(*pp->subs));
		pp->cap = ph->n ? ph->n : 1;
		pp->link_bytes = fp_xcalloc((size_t)t->nlinks, sizeof(double));
		/* A failed host link carries nothing: its flows cannot run. */
		for (f = 0; f < ph->n && !rc; f++) {
			const struct fp_flow *fl = &ph->flows[f];
			const struct fp_node *a = &t->nodes[fl->src], *b = &t->nodes[fl->dst];

			if (fp_same_host(t, fl))
				continue;
			if (!t->links[a->up_link].up || !t->links[b->down_link].up)
				rc = fp_fail(err, EHOSTUNREACH, "phase %s: %s -> %s: the link of %s to %s is down",
					     ph->name, a->name, b->name,
					     t->links[a->up_link].up ? b->name : a->name,
					     t->nodes[t->links[a->up_link].up ? b->leaf : a->leaf].name);
		}
		/* Background flows first: fixed load the strategies plan around. */
		if (!rc)
			rc = fp_phase_background(t, ph, o->pm, &pp->bg_bytes, err);
		if (rc)
			break;
		switch (o->strategy) {
		case FP_STRAT_ECMP:
		case FP_STRAT_ECMPK:
			rc = fp_plan_ecmp(t, ph, pp, &oo, next_qpn, &rng, err);
			break;
		case FP_STRAT_SPRAY:
			rc = fp_plan_spray(t, ph, pp, err);
			break;
		case FP_STRAT_FLOWPLAN:
			if (!pp->bg_bytes && fp_exact_applies(t, ph, o->pm))
				rc = fp_plan_exact(t, ph, pp, err);
			else
				rc = fp_plan_general(t, ph, pp, o, err);
			break;
		}
		if (rc) {
			/* Name the phase in front of what the method said. */
			char msg[sizeof(err->msg)];

			if (err) {
				snprintf(msg, sizeof(msg), "%s", err->msg);
				fp_fail(err, rc, "phase %s: %s", ph->name, msg);
			}
			break;
		}
		fp_plan_account(t, ph, pp);
		/*
		 * The general method proved its bound with its own duals and the
		 * cuts. With a port map its duals bound only the mapped paths, so
		 * the routing's own duals are used.
		 */
		if (pp->method == FP_METHOD_LP || pp->method == FP_METHOD_GP ||
		    pp->method == FP_METHOD_GREEDY) {
			if (o->pm || pp->bg_bytes) {
				double lb = fp_phase_lower_bound_bg(t, ph, pp->link_bytes,
								    pp->bg_bytes);

				if (o->pm || lb > pp->lower_bound)
					pp->lower_bound = lb;
			}
		} else if (pp->method != FP_METHOD_EXACT) {
			/* (fp_plan_exact() gave its cut bound: it meets it by construction.) */
			pp->lower_bound = fp_phase_lower_bound_bg(t, ph, pp->link_bytes, pp->bg_bytes);
		}
	}
	free(next_qpn);
	if (!rc)
		rc = fp_plan_reverse(p, o->pm, NULL, err);
	if (rc) {
		fp_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

