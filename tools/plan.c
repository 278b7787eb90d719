// SPDX-License-Identifier: MIT
/*
 * plan.c - flowplanctl plan: compute a plan file from a topology and a
 * schedule (the planner), and show, set and delete the plan the module holds
 * (the shared core's host plan and netlink client).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "core/nlclient.h"
#include "flowplanctl.h"
#include "planner/plan.h"

#define COMPUTE_USAGE "compute TOPO SCHED [strategy S] [portmap FILE] [seed N] " \
		      "[generation N] [max-split N] [enforce] [partial] [out FILE] " \
		      "[host NAME] [shares DIR [compact]]"
#define SET_USAGE "set FILE [generation N] [enforce] [local ADDR]..."

/* ---------------------------------------------------------------- compute */

struct compute_args {
	const char *topo, *sched, *portmap, *out, *host, *shares;
	bool compact;
	struct fp_plan_opts o;
};

static int compute_args(int argc, char **argv, struct compute_args *a)
{
	const char *kw, *v;
	uint64_t n;

	memset(a, 0, sizeof(*a));
	a->o.strategy = FP_STRAT_FLOWPLAN;
	a->o.generation = 1;
	for (; argc > 0; argc--, argv++) {
		kw = argv[0];
		if (fp_matches(kw, "enforce")) {
			a->o.enforce = true;
			continue;
		}
		if (fp_matches(kw, "compact")) {
			a->compact = true;
			continue;
		}
		if (fp_matches(kw, "partial")) {
			a->o.partial = true;
			continue;
		}
		if (fp_matches(kw, "strategy")) {
			v = fp_next_arg(&argc, &argv, "strategy");
			if (!v)
				return 1;
			if (fp_strategy_parse(v, &a->o.strategy, &a->o.k))
				return fp_err("strategy: \"%s\" (ecmp, ecmpK e.g. ecmp4, spray, flowplan)",
					      v);
		} else if (fp_matches(kw, "portmap")) {
			a->portmap = fp_next_arg(&argc, &argv, "portmap");
			if (!a->portmap)
				return 1;
		} else if (fp_matches(kw, "seed")) {
			v = fp_next_arg(&argc, &argv, "seed");
			if (!v || parse_u64("seed", v, UINT64_MAX, &a->o.seed))
				return 1;
		} else if (fp_matches(kw, "generation")) {
			v = fp_next_arg(&argc, &argv, "generation");
			if (!v || parse_u64("generation", v, INT64_MAX, &a->o.generation))
				return 1;
		} else if (fp_matches(kw, "max-split")) {
			v = fp_next_arg(&argc, &argv, "max-split");
			if (!v || parse_u64("max-split", v, FP_MAX_SUBFLOWS, &n) || !n)
				return fp_err("max-split: 1..%d", FP_MAX_SUBFLOWS);
			a->o.max_split = (int)n;
		} else if (fp_matches(kw, "out")) {
			a->out = fp_next_arg(&argc, &argv, "out");
			if (!a->out)
				return 1;
		} else if (fp_matches(kw, "host")) {
			a->host = fp_next_arg(&argc, &argv, "host");
			if (!a->host)
				return 1;
		} else if (fp_matches(kw, "shares")) {
			a->shares = fp_next_arg(&argc, &argv, "shares");
			if (!a->shares)
				return 1;
		} else if (!a->topo) {
			a->topo = kw;
		} else if (!a->sched) {
			a->sched = kw;
		} else {
			return fp_err("plan compute: unexpected \"%s\"", kw);
		}
	}
	if (!a->topo || !a->sched)
		return fp_err("usage: flowplanctl plan " COMPUTE_USAGE);
	if (a->compact && !a->shares)
		return fp_err("plan compute: compact goes with shares DIR");
	if (a->host && a->shares)
		return fp_err("plan compute: host NAME (one share) or shares DIR (every host's), not both");
	return 0;
}

/*
 * The plan file (or host @host's share, when >= 0) to @path, streamed:
 * "-" is standard output; a file is written aside and renamed into place,
 * so a failed write (a full disk) leaves what was there.
 */
static int write_plan(const char *path, const struct fp_plan *p, int host)
{
	struct out_file o;
	struct fp_err err;
	FILE *f = out_open(&o, path);
	int rc;

	if (!f)
		return 1;
	rc = host >= 0 ? fp_plan_write_share(f, p, host, FP_PLAN_PRETTY, &err) :
			 fp_plan_write(f, p, FP_PLAN_PRETTY | FP_PLAN_LINKS, &err);
	if (rc)
		fp_err("%s: %s", path, err.msg);
	return out_close(&o, rc);
}

/*
 * A partial plan's flows that cannot run, each with why (JSON: "unroutable",
 * also when empty). 1 when there are any: the plan leaves them out.
 */
static int print_unroutable(const struct fp_plan *p)
{
	const struct fp_topo *t = p->topo;
	char why[192];
	size_t i;

	if (p->nunroutable)
		pr_text("%zu flows cannot run, planned without them:\n", p->nunroutable);
	pr_arr_open("unroutable", NULL);
	for (i = 0; i < p->nunroutable; i++) {
		const struct fp_plan_unroutable *u = &p->unroutable[i];
		const struct fp_flow *f = &p->sched->ph[u->phase].flows[u->flow];

		pr_obj_open(NULL);
		pr_str("phase", "  phase %s:", p->sched->ph[u->phase].name);
		pr_str("src", " %s", t->nodes[f->src].name);
		pr_str("dst", " -> %s", t->nodes[f->dst].name);
		if (fp_topo_family_key(t, f->src, f->dst))	/* a dual-stack pair's IPv6 flow */
			pr_u64("family", " (IPv%llu)",
			       (uint64_t)fp_topo_family_key(t, f->src, f->dst));
		pr_u64("bytes", NULL, f->bytes);
		pr_str("why", ": %s\n", fp_plan_unroutable_why(p, u, why, sizeof(why)));
		pr_obj_close();
	}
	pr_arr_close(NULL);
	if (!p->nunroutable)
		return 0;
	/* out now: flowplanctl prints a JSON document only on success */
	pr_flush();
	return fp_err("plan compute: %zu flows cannot run; the plan leaves them out",
		      p->nunroutable);
}

/* Where standard output holds the plan: the unroutable flows' count on stderr. */
static int unroutable_said(const struct fp_plan *p)
{
	if (!p->nunroutable)
		return 0;
	return fp_err("plan compute: %zu flows cannot run; the plan leaves them out (its phases say why)",
		      p->nunroutable);
}

/*
 * The plan file goes to `out FILE` ("-": standard output); what was planned
 * is printed either way, as text or (-j) JSON.
 */
static int plan_compute(int argc, char **argv)
{
	struct compute_args a;
	struct fp_topo *t = NULL;
	struct fp_sched *s = NULL;
	struct fp_portmap *pm = NULL;
	struct fp_plan *p = NULL;
	struct fp_err err;
	double t0, dt;
	int rc = 1;
	size_t i;

	if (compute_args(argc, argv, &a))
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
		fp_err("%s%s", err.msg, a.o.partial ? "" :
		       " (partial plans the flows that can run and lists the others)");
		goto out;
	}
	dt = now_sec() - t0;
	if (a.host) {
		int h;

		for (h = 0; h < t->nhosts && strcmp(t->hosts[h].name, a.host); h++)
			;
		if (h == t->nhosts) {
			fp_err("host: \"%s\" is not a host of topology %s", a.host, t->name);
			goto out;
		}
		if (write_plan(a.out ? a.out : "-", p, h))
			goto out;
		if (!a.out || !strcmp(a.out, "-")) {
			rc = unroutable_said(p);
			goto out;
		}
	} else if (a.shares) {
		if (fp_plan_write_shares(p, a.shares, a.compact ? FP_PLAN_COMPACT : FP_PLAN_PRETTY,
					 &err)) {
			fp_err("%s", err.msg);
			goto out;
		}
	}
	if (a.out && !a.host) {
		rc = write_plan(a.out, p, -1);
		if (rc)
			goto out;
		/* Standard output holds the plan: nothing else goes there. */
		if (!strcmp(a.out, "-")) {
			rc = unroutable_said(p);
			goto out;
		}
	}
	pr_str("schedule", "plan %s", s->name);
	pr_str("topology", " on %s", t->name);
	pr_str("strategy", ": strategy %s", fp_strategy_name(p->strategy));
	pr_u64("generation", ", generation %llu", p->generation);
	pr_dbl("plan_ms", ", planned in %.1f ms", dt * 1e3);
	if (a.out)
		pr_str("out", ", written to %s", a.out);
	if (a.shares)
		pr_str("shares", ", shares in %s", a.shares);
	pr_text("\n");
	pr_arr_open("phases", NULL);
	for (i = 0; i < p->nph; i++) {
		const struct fp_plan_phase *pp = &p->ph[i];

		pr_obj_open(NULL);
		pr_str("name", "  phase %-10s", s->ph[i].name);
		pr_u64("flows", " flows %-7llu", s->ph[i].n);
		pr_u64("subflows", " subflows %-7llu", pp->nsubs);
		pr_u64("split_flows", " split %-6llu", pp->split_flows);
		pr_str("method", " method %-7s", fp_method_name(pp->method));
		if (s->ph[i].nbg) {
			double bgmax = 0;
			int l;

			/* (none when a partial plan's background cannot run) */
			for (l = 0; pp->bg_bytes && l < t->nlinks; l++)
				if (fp_link_load(t, l, pp->bg_bytes[l]) > bgmax)
					bgmax = fp_link_load(t, l, pp->bg_bytes[l]);
			pr_u64("background_flows", " background %llu", s->ph[i].nbg);
			pr_dbl("background_max_link_load", " (max %.6g s)", bgmax);
		}
		if (a.o.partial)
			pr_u64("unroutable_flows", " unroutable %-5llu", pp->unroutable);
		pr_dbl("max_link_load", " max load %.6g s", pp->max_load);
		pr_dbl("lower_bound", "  bound %.6g s", pp->lower_bound);
		pr_dbl("ratio", "  ratio %.4f\n",
		       pp->lower_bound > 0 ? pp->max_load / pp->lower_bound : 1.0);
		pr_obj_close();
	}
	pr_arr_close(NULL);
	rc = print_unroutable(p);
out:
	fp_plan_free(p);
	fp_portmap_free(pm);
	fp_sched_free(s);
	fp_topo_free(t);
	return rc;
}

/* ------------------------------------------------------------------- show */

static void print_entry(const struct fp_hostplan_entry *e)
{
	char l[FP_ADDR_STRLEN], r[FP_ADDR_STRLEN];
	unsigned int i;

	pr_obj_open(NULL);
	pr_str("src_addr", "%s", fp_addr_str(&e->local, l));
	pr_str("dst_addr", " -> %s", fp_addr_str(&e->remote, r));
	if (e->dqpn)
		pr_u64("dqpn", " dqpn %llu", e->dqpn);
	else
		pr_u64("dqpn", " dqpn any", 0);
	pr_bool("enforce", NULL, e->enforce);
	pr_text("%s\n", e->enforce ? " enforce" : "");
	pr_arr_open("subflows", NULL);
	for (i = 0; i < e->nsub; i++) {
		pr_obj_open(NULL);
		pr_u64("flow_label", "\tflow_label %llu", e->sub[i].flow_label);
		pr_u64("sport", " sport %llu", e->sub[i].sport);
		pr_u64("weight", " weight %llu\n", e->sub[i].weight);
		pr_obj_close();
	}
	pr_arr_close(NULL);
	pr_obj_close();
}

static int plan_show(int argc, char **argv)
{
	struct fp_hostplan hp;
	struct fp_nlc *nlc;
	struct fp_err err;
	size_t i;
	int ret;

	(void)argv;
	if (argc)
		return fp_err("plan show takes no argument");
	nlc = ctl_nlc_open();
	if (!nlc)
		return 1;
	ret = fp_nlc_get_plan(nlc, &hp, &err);
	fp_nlc_close(nlc);
	if (ret)
		return fp_err("plan show: %s", err.msg);
	pr_u64("generation", "generation %llu", hp.generation);
	pr_u64("nentries", ", %llu entries\n", hp.n);
	pr_arr_open("entries", NULL);
	for (i = 0; i < hp.n; i++)
		print_entry(&hp.e[i]);
	pr_arr_close(NULL);
	fp_hostplan_free(&hp);
	return 0;
}

/* -------------------------------------------------------------------- set */

struct set_args {
	const char *file;
	uint64_t generation;
	bool have_gen, enforce;
	struct fp_addr *local;	/* `local ADDR`... ; NULL: this host's */
	size_t nlocal;
};

static int set_args(int argc, char **argv, struct set_args *a)
{
	struct fp_addr *nl;
	const char *v;

	for (; argc > 0; argc--, argv++) {
		if (fp_matches(argv[0], "generation")) {
			v = fp_next_arg(&argc, &argv, "generation");
			if (!v || parse_u64("generation", v, UINT64_MAX, &a->generation))
				return 1;
			a->have_gen = true;
		} else if (fp_matches(argv[0], "enforce")) {
			a->enforce = true;
		} else if (fp_matches(argv[0], "local")) {
			v = fp_next_arg(&argc, &argv, "local");
			if (!v)
				return 1;
			nl = realloc(a->local, (a->nlocal + 1) * sizeof(*nl));
			if (!nl)
				return fp_err("out of memory");
			a->local = nl;
			if (fp_addr_parse(v, &a->local[a->nlocal]))
				return fp_err("local: \"%s\" is not an IPv4 or IPv6 address", v);
			a->nlocal++;
		} else if (!a->file) {
			a->file = argv[0];
		} else {
			return fp_err("plan set: unexpected \"%s\"", argv[0]);
		}
	}
	if (!a->file)
		return fp_err("plan set needs a plan file (flowplanctl plan compute ... out FILE)");
	return 0;
}

static int plan_set(int argc, char **argv)
{
	struct set_args a = { 0 };
	struct fp_hostplan hp;
	struct fp_nlc *nlc;
	struct fp_err err;
	bool explicit;
	size_t total;
	int rc = 1;

	fp_hostplan_init(&hp);
	if (set_args(argc, argv, &a))
		goto out;
	if (fp_hostplan_load(a.file, &hp, &err)) {
		fp_err("%s", err.msg);
		goto out;
	}
	explicit = a.local != NULL;
	if (!explicit && fp_local_addrs(&a.local, &a.nlocal)) {
		fp_err("plan set: cannot list this host's addresses: %s", strerror(errno));
		goto out;
	}
	total = hp.n;
	fp_hostplan_select(&hp, a.local, a.nlocal);
	/* An empty plan is `plan delete`'s job, never a plan file's accident. */
	if (!hp.n) {
		fp_err("plan set: none of the %zu entries of %s has a%s src_addr%s", total,
		       a.file, explicit ? " given local" : " local",
		       explicit ? "" : " (name others with local ADDR)");
		goto out;
	}
	nlc = ctl_nlc_open();
	if (!nlc)
		goto out;
	if (!a.have_gen)
		a.generation = hp.generation;
	rc = fp_nlc_set_plan(nlc, &hp, a.generation, a.enforce, &err);
	fp_nlc_close(nlc);
	if (rc) {
		rc = fp_err("%s", err.msg);
		goto out;
	}
	pr_u64("installed", "installed %llu", hp.n);
	pr_u64("entries", " of %llu entries", total);
	pr_u64("generation", ", generation %llu\n", a.generation);
out:
	fp_hostplan_free(&hp);
	free(a.local);
	return rc;
}

/* ----------------------------------------------------------------- delete */

static int plan_delete(int argc, char **argv)
{
	struct fp_nlc *nlc;
	struct fp_err err;
	int ret;

	(void)argv;
	if (argc)
		return fp_err("plan delete takes no argument");
	nlc = ctl_nlc_open();
	if (!nlc)
		return 1;
	ret = fp_nlc_del_plan(nlc, &err);
	fp_nlc_close(nlc);
	return ret ? fp_err("%s", err.msg) : 0;
}

static const struct fp_cmd cmds[] = {
	{ "compute", plan_compute, COMPUTE_USAGE },
	{ "show", plan_show, "show" },
	{ "set", plan_set, SET_USAGE },
	{ "delete", plan_delete, "delete" },
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
