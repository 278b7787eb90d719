// SPDX-License-Identifier: MIT
/*
 * simulate.c - flowplanctl simulate TOPO SCHED: strategies side by side on the
 * same schedule: maximum link load against the lower bound, and the
 * simulated collective completion time against ideal spraying.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowplanctl.h"
#include "planner/plan.h"
#include "planner/sim.h"
#include "planner/svg.h"

#define SIM_USAGE "simulate TOPO SCHED [strategies LIST] [seed N] [seeds N] [portmap FILE] " \
		  "[max-split N] [picture FILE.svg]"

#define MAX_STRATS 8

struct strat_result {
	char name[16];
	double load, bound, cct, cct_min, cct_max, plan_ms;
	size_t subflows, split;
	int runs;
	double *links;		/* picture: per-link loads of the first run */
	double load1, cct1;	/* ... and its figures */
};

static int run_one(struct fp_topo *t, struct fp_sched *s, const struct fp_plan_opts *o,
		   struct strat_result *r, bool picture)
{
	struct fp_plan *p;
	struct fp_sim *sim;
	struct fp_err err;
	double t0 = now_sec(), load = 0, bound = 0;
	size_t i, nsub = 0, split = 0;

	if (fp_plan_compute(t, s, o, &p, &err))
		return fp_err("%s: %s", r->name, err.msg);
	r->plan_ms += (now_sec() - t0) * 1e3;
	if (fp_simulate(p, &sim, &err)) {
		fp_plan_free(p);
		return fp_err("%s: %s", r->name, err.msg);
	}
	for (i = 0; i < p->nph; i++) {
		load += p->ph[i].max_load;
		bound += p->ph[i].lower_bound;
		nsub += p->ph[i].nsubs;
		split += p->ph[i].split_flows;
	}
	if (picture && !r->runs) {
		r->links = calloc((size_t)t->nlinks, sizeof(double));
		if (r->links)
			fp_plan_link_loads(p, r->links);
		r->load1 = load;
		r->cct1 = sim->total;
	}
	r->load += load;
	r->bound = bound;
	r->cct += sim->total;
	if (!r->runs || sim->total < r->cct_min)
		r->cct_min = sim->total;
	if (sim->total > r->cct_max)
		r->cct_max = sim->total;
	r->subflows = nsub;
	r->split = split;
	r->runs++;
	fp_sim_free(sim);
	fp_plan_free(p);
	return 0;
}

static int run_simulate(int argc, char **argv)
{
	const char *topo = NULL, *sched = NULL, *pmpath = NULL, *picture = NULL;
	char strats[256] = "ecmp,ecmp4,spray,flowplan", *save = NULL, *tok;
	struct strat_result res[MAX_STRATS];
	struct fp_plan_opts base = { .generation = 1 };
	struct fp_topo *t = NULL;
	struct fp_sched *s = NULL;
	struct fp_portmap *pm = NULL;
	uint64_t seeds = 1, k;
	double spray_cct = 0, bound = 0;
	int n = 0, i, rc = 1;
	size_t nflows = 0, ph;

	memset(res, 0, sizeof(res));
	for (; argc > 0; argc--, argv++) {
		const char *kw = argv[0], *v;

		/* Prefixes: the first keyword listed wins ("s": strategies). */
		if (fp_matches(kw, "strategies")) {
			v = fp_next_arg(&argc, &argv, "strategies");
			if (!v)
				return 1;
			snprintf(strats, sizeof(strats), "%s", v);
		} else if (fp_matches(kw, "portmap")) {
			pmpath = fp_next_arg(&argc, &argv, "portmap");
			if (!pmpath)
				return 1;
		} else if (fp_matches(kw, "seed")) {
			v = fp_next_arg(&argc, &argv, "seed");
			if (!v || parse_u64("seed", v, UINT64_MAX, &base.seed))
				return 1;
		} else if (fp_matches(kw, "seeds")) {
			v = fp_next_arg(&argc, &argv, "seeds");
			if (!v || parse_u64("seeds", v, 1000, &seeds))
				return 1;
			if (!seeds)
				return fp_err("seeds: 1..1000");
		} else if (fp_matches(kw, "max-split")) {
			v = fp_next_arg(&argc, &argv, "max-split");
			if (!v || parse_u64("max-split", v, FP_MAX_SUBFLOWS, &k))
				return 1;
			if (!k)
				return fp_err("max-split: 1..%d", FP_MAX_SUBFLOWS);
			base.max_split = (int)k;
		} else if (fp_matches(kw, "picture")) {
			picture = fp_next_arg(&argc, &argv, "picture");
			if (!picture)
				return 1;
		} else if (!topo) {
			topo = kw;
		} else if (!sched) {
			sched = kw;
		} else {
			return fp_err("unexpected \"%s\"", kw);
		}
	}
	if (!topo || !sched)
		return fp_err("usage: flowplanctl " SIM_USAGE);
	t = load_topo(topo);
	if (!t)
		goto out;
	s = load_sched(sched, t);
	if (!s)
		goto out;
	if (pmpath) {
		pm = load_portmap(pmpath, t);
		if (!pm)
			goto out;
		base.pm = pm;
	}
	for (ph = 0; ph < s->nph; ph++)
		nflows += s->ph[ph].n;
	for (tok = strtok_r(strats, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct fp_plan_opts o = base;
		unsigned long runs;

		if (n == MAX_STRATS)
			return fp_err("strategies: at most %d", MAX_STRATS);
		if (fp_strategy_parse(tok, &o.strategy, &o.k)) {
			fp_err("strategies: \"%s\" (ecmp, ecmpK e.g. ecmp4, spray, flowplan)", tok);
			goto out;
		}
		snprintf(res[n].name, sizeof(res[n].name), "%s", tok);
		runs = o.strategy == FP_STRAT_ECMP || o.strategy == FP_STRAT_ECMPK ? seeds : 1;
		for (k = 0; k < runs; k++) {
			o.seed = base.seed + k;
			if (run_one(t, s, &o, &res[n], picture))
				goto out;
		}
		res[n].load /= res[n].runs;
		res[n].cct /= res[n].runs;
		res[n].plan_ms /= res[n].runs;
		if (o.strategy == FP_STRAT_SPRAY)
			spray_cct = res[n].cct;
		if (res[n].bound > bound)
			bound = res[n].bound;
		n++;
	}
	pr_str("topology", "simulate on %s", t->name);
	pr_str("schedule", ", schedule %s", s->name);
	pr_u64("phases", ": %llu phase(s)", s->nph);
	pr_u64("flows", ", %llu flows", nflows);
	pr_u64("seeds", ", %llu ECMP seed(s)", seeds);
	pr_dbl("lower_bound", "; lower bound %.6g s\n", bound);
	pr_text("%-10s %12s %8s %12s %8s %9s %7s %9s\n", "strategy", "max load s", "/bound",
		"CCT s", "/spray", "subflows", "split", "plan ms");
	pr_arr_open("strategies", NULL);
	for (i = 0; i < n; i++) {
		pr_obj_open(NULL);
		pr_str("name", "%-10s ", res[i].name);
		pr_dbl("max_link_load", "%12.6g ", res[i].load);
		pr_dbl("lower_bound", NULL, bound);
		pr_dbl("load_ratio", "%8.4f ", bound > 0 ? res[i].load / bound : 1);
		pr_dbl("cct", "%12.6g ", res[i].cct);
		if (spray_cct > 0)
			pr_dbl("cct_spray_ratio", "%8.4f ", res[i].cct / spray_cct);
		else
			pr_null("cct_spray_ratio", "%8s ");
		pr_dbl("cct_min", NULL, res[i].cct_min);
		pr_dbl("cct_max", NULL, res[i].cct_max);
		pr_u64("subflows", "%9llu ", res[i].subflows);
		pr_u64("split_flows", "%7llu ", res[i].split);
		pr_dbl("plan_ms", "%9.2f\n", res[i].plan_ms);
		pr_u64("runs", NULL, (uint64_t)res[i].runs);
		pr_obj_close();
	}
	pr_arr_close(NULL);
	rc = 0;
	if (picture) {
		struct fp_svg_panel pn[MAX_STRATS];
		char title[MAX_STRATS][64];
		struct fp_err err = { "out of memory" };
		FILE *f = NULL;
		int bad = 0;

		for (i = 0; i < n; i++) {
			snprintf(title[i], sizeof(title[i]), "%.15s%s", res[i].name,
				 res[i].runs > 1 ? " (first seed)" : "");
			pn[i] = (struct fp_svg_panel){ title[i], res[i].links, res[i].load1, res[i].cct1 };
			bad |= !res[i].links;
		}
		if (bad) {
			rc = fp_err("picture: %s: %s", picture, err.msg);
		} else {
			struct out_file o;

			f = out_open(&o, picture);
			if (!f) {
				rc = 1;
			} else {
				if (fp_svg_write(f, t, pn, (size_t)n, bound, &err))
					rc = fp_err("picture: %s: %s", picture, err.msg);
				rc = out_close(&o, rc);
			}
		}
	}
out:
	for (i = 0; i < MAX_STRATS; i++)
		free(res[i].links);
	fp_portmap_free(pm);
	fp_sched_free(s);
	fp_topo_free(t);
	return rc;
}

int cmd_simulate(int argc, char **argv)
{
	if (argc && fp_matches(argv[0], "help")) {
		fprintf(stderr, "Usage: flowplanctl " SIM_USAGE "\n");
		return 0;
	}
	return run_simulate(argc, argv);
}
