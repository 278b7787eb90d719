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
	free(p->unroutable);
	fp_plan_index_free(p->index, p->nph);
	free(p->ph);
	free(p);
}

/* Why flow @f cannot run in @t (0: it can), for a partial plan. */
static enum fp_unroutable_why flow_unroutable(struct fp_topo *t, const struct fp_flow *f)
{
	const struct fp_node *a = &t->nodes[f->src], *b = &t->nodes[f->dst];
	struct fp_pathset ps;

	if (fp_same_host(t, f))
		return 0;
	if (!t->links[a->up_link].up || !t->links[b->down_link].up)
		return FP_UNROUTABLE_HOST_LINK;
	if (a->leaf == b->leaf)
		return 0;
	ps = fp_flow_paths(t, f);
	/* too many paths is no failure: the method says so */
	return ps.n <= 0 && !ps.too_many ? FP_UNROUTABLE_CUT : 0;
}

static enum fp_unroutable_why bg_unroutable(struct fp_topo *t, const struct fp_bgflow *b)
{
	const struct fp_flow f = { .src = b->src, .dst = b->dst };

	return flow_unroutable(t, &f);
}

/*
 * A partial plan's phase @ph without the flows that cannot run: those are
 * appended to @p's unroutable list, the others' indices into @ph go to
 * *@map (NULL when every flow runs; @live is then @ph). Background flows
 * that cannot run are left out.
 */
static void phase_routable(struct fp_plan *p, size_t pi, const struct fp_phase *ph,
			   struct fp_phase *live, uint32_t **map)
{
	struct fp_topo *t = p->topo;
	size_t f, n = 0, cap = 0, nbg = 0, ucap = p->nunroutable;
	enum fp_unroutable_why why;
	bool cut = false;

	*live = *ph;
	*map = NULL;
	for (f = 0; f < ph->n && !cut; f++)
		cut = flow_unroutable(t, &ph->flows[f]);
	for (f = 0; f < ph->nbg && !cut; f++)
		cut = bg_unroutable(t, &ph->bg[f]);
	if (!cut)
		return;
	live->flows = fp_xcalloc(ph->n ? ph->n : 1, sizeof(*live->flows));
	*map = fp_xcalloc(ph->n ? ph->n : 1, sizeof(**map));
	for (f = 0; f < ph->n; f++) {
		why = flow_unroutable(t, &ph->flows[f]);
		if (!why) {
			(*map)[n] = (uint32_t)f;
			live->flows[n++] = ph->flows[f];
			continue;
		}
		FP_GROW(p->unroutable, ucap, p->nunroutable + 1);
		p->unroutable[p->nunroutable++] = (struct fp_plan_unroutable){
			.phase = (uint32_t)pi, .flow = (uint32_t)f, .why = why };
		p->ph[pi].unroutable++;
	}
	live->n = n;
	live->cap = n;
	live->runs = NULL;	/* jobs: the schedule's, read through @ph */
	live->nruns = 0;
	live->bg = NULL;
	for (f = 0; f < ph->nbg; f++) {
		if (bg_unroutable(t, &ph->bg[f]))
			continue;
		FP_GROW(live->bg, cap, nbg + 1);
		live->bg[nbg++] = ph->bg[f];
	}
	live->nbg = nbg;
	live->capbg = cap;
}

/* @pp planned @live's flows: now indexed by @ph's (@map[i]: flow i of @live). */
static void phase_unmap(struct fp_plan_phase *pp, const struct fp_phase *ph,
			const struct fp_phase *live, const uint32_t *map)
{
	struct fp_plan_flow *all = fp_xcalloc(ph->n ? ph->n : 1, sizeof(*all));
	size_t i;

	for (i = 0; i < live->n; i++)
		all[map[i]] = pp->flows[i];
	free(pp->flows);
	pp->flows = all;
}

int fp_plan_compute(struct fp_topo *t, const struct fp_sched *s, const struct fp_plan_opts *o,
		    struct fp_plan **out, struct fp_err *err)
{
	struct fp_plan *p = fp_xcalloc(1, sizeof(*p));
	uint32_t *next_qpn = fp_xcalloc((size_t)t->nnodes, sizeof(uint32_t));
	uint64_t rng = o->seed * 0x2545F4914F6CDD1Dull + 1;
	bool any_down = false;
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
	for (n = 0; n < t->nlinks && !any_down; n++)
		any_down = !t->links[n].up;
	for (i = 0; i < s->nph && !rc; i++) {
		const struct fp_phase *full = &s->ph[i], *ph = full;
		struct fp_plan_phase *pp = &p->ph[i];
		struct fp_plan_opts oo = *o;
		struct fp_phase live;
		uint32_t *map = NULL;

		oo.k = p->k;
		if (o->partial && any_down) {
			phase_routable(p, i, full, &live, &map);
			ph = &live;
		}
		pp->flows = fp_xcalloc(ph->n ? ph->n : 1, sizeof(*pp->flows));
		/* At least one subflow per flow: room for them at once. */
		pp->subs = fp_xrealloc(NULL, ph->n ? ph->n : 1, sizeof(*pp->subs));
		pp->cap = ph->n ? ph->n : 1;
		pp->link_bytes = fp_xcalloc((size_t)t->nlinks, sizeof(double));
		/* A failed host link carries nothing: its flows cannot run. */
		for (f = 0; f < ph->n && !rc; f++) {
			const struct fp_flow *fl = &ph->flows[f];
			char why[256];

			if (fp_same_host(t, fl) || (t->links[t->nodes[fl->src].up_link].up &&
						    t->links[t->nodes[fl->dst].down_link].up))
				continue;
			fp_flow_why(t, fl, FP_UNROUTABLE_HOST_LINK, why, sizeof(why));
			rc = fp_fail(err, EHOSTUNREACH, "phase %s: %s -> %s: %s", ph->name,
				     t->nodes[fl->src].name, t->nodes[fl->dst].name, why);
		}
		/* Background flows first: fixed load the strategies plan around. */
		if (!rc)
			rc = fp_phase_background(t, ph, o->pm, &pp->bg_bytes, err);
		if (rc || !ph->n)
			goto phase_done;	/* (nothing to route: no method) */
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
		}
phase_done:
		if (!rc && map)
			phase_unmap(pp, full, ph, map);
		if (!rc)
			fp_plan_account(t, full, pp);
		/*
		 * The general method proved its bound with its own duals and the
		 * cuts. With a port map its duals bound only the mapped paths, so
		 * the routing's own duals are used. The bound is that of the
		 * flows that can run: the link bytes are theirs.
		 */
		if (rc) {
			/* (the plan is dropped below) */
		} else if (pp->method == FP_METHOD_LP || pp->method == FP_METHOD_GP ||
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
		if (map) {
			free(live.flows);
			free(live.bg);
			free(map);
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

