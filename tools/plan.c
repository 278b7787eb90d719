// SPDX-License-Identifier: MIT
/*
 * plan.c - flowplanctl plan compute (offline); the online verbs (show, set,
 * delete) talk to the module and live in plan_nl.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "flowplanctl.h"

struct plan_args {
	const char *topo, *sched, *portmap, *out;
	struct fp_plan_opts o;
};

static int parse_args(int argc, char **argv, struct plan_args *a)
{
	uint64_t v;

	memset(a, 0, sizeof(*a));
	a->o.strategy = FP_STRAT_FLOWPLAN;
	a->o.generation = 1;
	for (; argc > 0; argc--, argv++) {
		const char *kw = argv[0], *val;

		if (!strcmp(kw, "enforce")) {
			a->o.enforce = true;
			continue;
		}
		if (!strcmp(kw, "strategy") || !strcmp(kw, "portmap") || !strcmp(kw, "seed") ||
		    !strcmp(kw, "generation") || !strcmp(kw, "max-split") || !strcmp(kw, "out")) {
			val = fp_next_arg(&argc, &argv, kw);
			if (!val)
				return 1;
			if (!strcmp(kw, "strategy")) {
				if (fp_strategy_parse(val, &a->o.strategy, &a->o.k))
					return fp_err("strategy: \"%s\" (ecmp, ecmpK e.g. ecmp4, spray, flowplan)",
						      val);
			} else if (!strcmp(kw, "portmap")) {
				a->portmap = val;
			} else if (!strcmp(kw, "out")) {
				a->out = val;
			} else if (!strcmp(kw, "seed")) {
				if (parse_u64(kw, val, UINT64_MAX, &a->o.seed))
					return 1;
			} else if (!strcmp(kw, "generation")) {
				if (parse_u64(kw, val, INT64_MAX, &a->o.generation))
					return 1;
			} else {
				if (parse_u64(kw, val, FP_MAX_SUBFLOWS, &v) || !v)
					return fp_err("max-split: 1..%d", FP_MAX_SUBFLOWS);
				a->o.max_split = (int)v;
			}
			continue;
		}
		if (!a->topo)
			a->topo = kw;
		else if (!a->sched)
			a->sched = kw;
		else
			return fp_err("unexpected \"%s\"", kw);
	}
	if (!a->topo || !a->sched)
		return fp_err("usage: flowplanctl plan compute TOPO SCHED [strategy S] [portmap FILE] [seed N] [generation N] [max-split N] [enforce] [out FILE]");
	return 0;
}

static const char *method_name(enum fp_method m)
{
	return m == FP_METHOD_EXACT ? "exact" : m == FP_METHOD_GREEDY ? "general" : "-";
}

static int plan_compute(int argc, char **argv)
{
	struct plan_args a;
	struct fp_topo *t = NULL;
	struct fp_sched *s = NULL;
	struct fp_portmap *pm = NULL;
	struct fp_plan *p = NULL;
	struct fp_err err;
	double t0, dt;
	int rc = 1;
	size_t i, nsub = 0;

	if (parse_args(argc, argv, &a))
		return 1;
	t = load_topo(a.topo);
	if (!t)
		goto out;
	s = load_sched(a.sched, t);
	if (!s)
		goto out;
	if (a.portmap) {
		pm = load_portmap(a.portmap, t);
		if (!pm)
			goto out;
		a.o.pm = pm;
	}
	t0 = now_sec();
	if (fp_plan_compute(t, s, &a.o, &p, &err)) {
		fp_err("%s", err.msg);
		goto out;
	}
	dt = now_sec() - t0;
	if (a.out || opts.json) {
		char *txt = fp_plan_to_json(p, opts.pretty || a.out, true);

		rc = write_out(a.out ? a.out : "-", txt);
		free(txt);
		if (rc || !a.out) {
			opts.json = false;	/* the plan document was the output */
			goto out;
		}
	}
	opts.json = false;
	printf("plan %s on %s: strategy %s, %zu phase%s, planned in %.1f ms%s%s\n", s->name, t->name,
	       fp_strategy_name(p->strategy), p->nph, p->nph == 1 ? "" : "s", dt * 1e3,
	       a.out ? ", written to " : "", a.out ? a.out : "");
	for (i = 0; i < p->nph; i++) {
		const struct fp_plan_phase *pp = &p->ph[i];

		nsub += pp->nsubs;
		printf("  phase %-10s flows %-7zu subflows %-7zu split %-6zu method %-7s max load %.6g s  bound %.6g s  ratio %.4f\n",
		       s->ph[i].name, s->ph[i].n, pp->nsubs, pp->split_flows, method_name(pp->method),
		       pp->max_load, pp->lower_bound,
		       pp->lower_bound > 0 ? pp->max_load / pp->lower_bound : 1.0);
	}
	rc = 0;
out:
	fp_plan_free(p);
	fp_portmap_free(pm);
	fp_sched_free(s);
	fp_topo_free(t);
	return rc;
}

static const struct fp_cmd cmds[] = {
	{ "compute", plan_compute,
	  "compute TOPO SCHED [strategy S] [portmap FILE] [seed N] [generation N] [max-split N] [enforce] [out FILE]" },
	{ "show", cmd_plan_show, "show" },
	{ "set", cmd_plan_set, "set FILE [generation N] [enforce] [local ADDR]..." },
	{ "delete", cmd_plan_delete, "delete" },
	{ NULL, NULL, NULL },
};

int cmd_plan(int argc, char **argv)
{
	if (!argc) {
		fp_usage_obj("plan", cmds);
		return 1;
	}
	return fp_dispatch("plan", cmds, argc, argv);
}
