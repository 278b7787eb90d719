// SPDX-License-Identifier: MIT
/*
 * Incremental re-planning (fp_plan_repair): after a link or host fails,
 * only the subflows that crossed it move, nothing is left on a dead link,
 * every other subflow keeps its path and port, ports still take their
 * paths under the hash model, bytes are conserved, the bound stays a
 * bound, and the counts say what happened.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "planner/util.h"
#include "planner_util.h"

struct snap {
	uint32_t *label;	/* per flow, its subflows' labels and paths */
	uint16_t *path;
	uint32_t *n;
};

static struct snap take(const struct fp_plan *p)
{
	const struct fp_plan_phase *pp = &p->ph[0];
	size_t nf = p->sched->ph[0].n, i, k;
	struct snap s = { calloc(nf * FP_MAX_SUBFLOWS, 4), calloc(nf * FP_MAX_SUBFLOWS, 2),
			  calloc(nf, 4) };

	for (i = 0; i < nf; i++) {
		s.n[i] = pp->flows[i].n;
		for (k = 0; k < pp->flows[i].n; k++) {
			s.label[i * FP_MAX_SUBFLOWS + k] = pp->subs[pp->flows[i].first + k].flow_label;
			s.path[i * FP_MAX_SUBFLOWS + k] = pp->subs[pp->flows[i].first + k].path;
		}
	}
	return s;
}

static void snap_free(struct snap *s)
{
	free(s->label);
	free(s->path);
	free(s->n);
}

/*
 * Valid after a repair: ports route, nothing on a dead link, bytes conserved,
 * the subflows packed in flow order.
 */
static void assert_repaired(const struct fp_plan *p)
{
	const struct fp_topo *t = p->topo;
	size_t ph, i, k;
	int l;

	for (ph = 0; ph < p->nph; ph++) {
		const struct fp_plan_phase *pp = &p->ph[ph];
		double *lb = calloc((size_t)t->nlinks, sizeof(double));
		size_t nsubs = 0, split = 0;
		int most = 0;

		for (i = 0; i < p->sched->ph[ph].n; i++) {
			const struct fp_flow *f = &p->sched->ph[ph].flows[i];
			uint64_t sum = 0;

			/* the subflows are the flows' own, packed: nothing left between */
			assert_int_equal(pp->flows[i].first, nsubs);
			nsubs += pp->flows[i].n;
			split += pp->flows[i].n > 1;
			most = (int)pp->flows[i].n > most ? (int)pp->flows[i].n : most;

			for (k = 0; k < pp->flows[i].n; k++) {
				const struct fp_plan_subflow *s = &pp->subs[pp->flows[i].first + k];
				struct fp_pathset ps;
				int h;

				sum += s->bytes;
				if (s->path == FP_PATH_NONE)
					continue;
				assert_int_equal(fp_topo_route(p->topo, f->src, f->dst, s->sport), s->path);
				lb[t->nodes[f->src].up_link] += (double)s->bytes;
				lb[t->nodes[f->dst].down_link] += (double)s->bytes;
				ps = fp_topo_paths(p->topo, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
				for (h = 0; h < ps.p[s->path].len; h++)
					lb[ps.p[s->path].link[h]] += (double)s->bytes;
			}
			if (pp->flows[i].n)
				assert_int_equal(sum, f->bytes);
		}
		for (l = 0; l < t->nlinks; l++) {
			if (!t->links[l].up)
				assert_true(pp->link_bytes[l] == 0 && lb[l] == 0);
			/*
			 * every link, host links too, carries what the subflows put
			 * there, to the byte: whole bytes add up exactly in a double
			 */
			assert_true(lb[l] == pp->link_bytes[l]);
		}
		assert_int_equal(pp->nsubs, nsubs);
		assert_int_equal(pp->split_flows, split);
		assert_int_equal(pp->max_subflows, most);
		assert_true(pp->max_load >= pp->lower_bound * (1 - 1e-12));
		free(lb);
	}
}

static void test_ring_spine_link(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=16,spines=8,hosts=8,nics=4,rail");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=1G,place=frag", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	struct fp_plan_repair_stats st;
	struct fp_err err;
	double before = p->ph[0].max_load, bound = p->ph[0].lower_bound;
	int l = loaded_link(p), r = t->links[l].rev;
	struct snap a = take(p);
	size_t i, k, changed = 0;

	(void)state;
	assert_int_equal(fp_plan_repair(p, &l, 1, NULL, &st, &err), 0);
	assert_false(t->links[l].up);
	assert_true(st.moved >= 1);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(p->generation, 2);
	assert_repaired(p);
	assert_true(p->ph[0].lower_bound >= bound);
	/* Nothing that avoided the link moved: only st.moved subflows differ. */
	for (i = 0; i < s->ph[0].n; i++) {
		const struct fp_plan_flow *pf = &p->ph[0].flows[i];
		bool same = pf->n == a.n[i];

		for (k = 0; same && k < pf->n; k++)
			same = p->ph[0].subs[pf->first + k].flow_label == a.label[i * FP_MAX_SUBFLOWS + k];
		changed += !same;
	}
	assert_true(changed <= st.moved + st.relabelled);
	assert_true(changed >= 1);
	/* At what the failure costs: the old load, or the new cuts (to the byte). */
	if (p->ph[0].max_load > (before > p->ph[0].lower_bound ? before : p->ph[0].lower_bound) *
	    (1 + 1e-8))
		fail_msg("load %.9g, before %.9g, bound now %.9g", p->ph[0].max_load, before,
			 p->ph[0].lower_bound);
	assert_true(p->ph[0].link_bytes[r] == 0);
	snap_free(&a);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* Fat-tree all-to-all: the moved bytes find room, twice in a row. */
static void test_fat_tree_twice(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=6");
	struct fp_sched *s = gen_sched("alltoall:bytes=256M", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	struct fp_plan_repair_stats st;
	struct fp_err err;
	int l[2];

	(void)state;
	l[0] = fp_topo_link(t, fp_topo_find(t, "agg0.0"), fp_topo_find(t, "core0"));
	l[1] = fp_topo_link(t, fp_topo_find(t, "leaf4"), fp_topo_find(t, "agg1.1"));
	assert_int_equal(fp_plan_repair(p, &l[0], 1, NULL, &st, &err), 0);
	assert_true(st.moved > 0);
	/*
	 * agg0.0 lost a core: only what passes agg0.0 rehashes there; what goes
	 * through agg0.1 or agg0.2 keeps its port.
	 */
	assert_true(st.relabelled > 0);
	assert_true(st.kept > 0);
	assert_repaired(p);
	{
		/*
		 * The second failure, too: a flow whose subflows' labels all
		 * stay was not touched; only moved or relabelled subflows
		 * change a flow, and most flows keep every label.
		 */
		struct snap a = take(p);
		size_t i, k, changed = 0;

		assert_int_equal(fp_plan_repair(p, &l[1], 1, NULL, &st, &err), 0);
		for (i = 0; i < s->ph[0].n; i++) {
			const struct fp_plan_flow *pf = &p->ph[0].flows[i];
			bool same = pf->n == a.n[i];

			for (k = 0; same && k < pf->n; k++)
				same = p->ph[0].subs[pf->first + k].flow_label ==
				       a.label[i * FP_MAX_SUBFLOWS + k];
			changed += !same;
		}
		assert_true(changed >= 1);
		assert_true(changed <= st.moved + st.relabelled);
		assert_true(changed < s->ph[0].n / 2);
		snap_free(&a);
	}
	assert_true(st.moved > 0);
	assert_repaired(p);
	/* Within a few percent of the new bound: only the touched pairs moved. */
	assert_true(p->ph[0].max_load <= p->ph[0].lower_bound * 1.05);
	assert_int_equal(p->generation, 3);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* A host's link fails: its flows cannot run and leave the plan. */
static void test_host_link(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=4,spines=2,hosts=2");
	struct fp_sched *s = gen_sched("alltoall:bytes=64M", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	struct fp_plan_repair_stats st;
	struct fp_hostplan hp;
	struct fp_err err;
	int nic = fp_topo_find(t, "h0.n0"), l = t->nodes[nic].up_link;
	size_t i, gone = 0;

	(void)state;
	assert_int_equal(fp_plan_repair(p, &l, 1, NULL, &st, &err), 0);
	for (i = 0; i < s->ph[0].n; i++) {
		bool mine = s->ph[0].flows[i].src == nic || s->ph[0].flows[i].dst == nic;

		assert_int_equal(p->ph[0].flows[i].n == 0, mine);
		gone += mine;
	}
	assert_int_equal(st.dropped, gone);
	assert_int_equal(gone, 2 * 7);
	assert_repaired(p);
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &hp, &err), 0);
	assert_int_equal(hp.n, 8 * 7 - 2 * 7);
	fp_hostplan_free(&hp);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * The same with split flows: uplinks at 10G make the alltoall's flows
 * split over the 5 spines, and when h0.n0's link fails every subflow of
 * its flows leaves both host links it loaded (assert_repaired checks the
 * host links too), not only the first of each flow.
 */
static void test_host_link_split(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=4,spines=5,hosts=2,up_gbps=10");
	struct fp_sched *s = gen_sched("alltoall:bytes=64M", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	struct fp_plan_repair_stats st;
	struct fp_err err;
	int nic = fp_topo_find(t, "h0.n0"), l = t->nodes[nic].up_link;
	size_t i, split = 0;

	(void)state;
	for (i = 0; i < s->ph[0].n; i++)
		split += (s->ph[0].flows[i].src == nic || s->ph[0].flows[i].dst == nic) &&
			 p->ph[0].flows[i].n > 1;
	assert_true(split > 0);
	assert_repaired(p);
	assert_int_equal(fp_plan_repair(p, &l, 1, NULL, &st, &err), 0);
	assert_int_equal(st.dropped, 2 * 7);
	assert_repaired(p);
	assert_true(p->ph[0].link_bytes[t->nodes[nic].up_link] == 0);
	assert_true(p->ph[0].link_bytes[t->nodes[nic].down_link] == 0);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A repair elsewhere recounts the split flows of the whole phase, the
 * first flow too: 1, 1 and 1.5 GiB from leaf0 to leaf1 over 2 spines put
 * 1.75 GiB on each, which splits the first flow; a flow from leaf2 moves
 * off its failed uplink and the split flow stays counted.
 */
static void test_recount_after_repair(void **state)
{
	static const struct {
		const char *src, *dst;
		uint64_t half_gib;
	} fl[] = {
		{ "h0.n0", "h3.n0", 2 }, { "h1.n0", "h4.n0", 2 }, { "h2.n0", "h5.n0", 3 },
		{ "h6.n0", "h0.n0", 1 },
	};
	struct fp_topo *t = gen_topo("leafspine:leaves=3,spines=2,hosts=3");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan_repair_stats st;
	struct fp_err err;
	struct fp_plan *p;
	size_t i;
	int l = fp_topo_link(t, fp_topo_find(t, "leaf2"), fp_topo_find(t, "spine1"));

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("split");
	fp_sched_job(s, "j0");
	for (i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		fp_sched_add(s, 0, fp_topo_find(t, fl[i].src), fp_topo_find(t, fl[i].dst),
			     fl[i].half_gib << 29, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_int_equal(p->ph[0].flows[0].n, 2);
	assert_int_equal(p->ph[0].split_flows, 1);
	assert_int_equal(fp_plan_repair(p, &l, 1, NULL, &st, &err), 0);
	assert_repaired(p);
	assert_int_equal(p->ph[0].flows[0].n, 2);
	assert_int_equal(p->ph[0].split_flows, 1);
	assert_int_equal(p->ph[0].max_subflows, 2);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* Over the dead link (either direction of @l)? NULL (a pair within a leaf): no. */
static bool over(const struct fp_topo *t, const struct fp_path *p, int l)
{
	int h;

	for (h = 0; p && h < p->len; h++)
		if (p->link[h] == l || p->link[h] == t->links[l].rev)
			return true;
	return false;
}

/*
 * Under a port map read against the topology (issue 13's cluster planner):
 * the subflows over the failed spine link move, and their new ports are
 * the map's ports of their new path. The map's rows number the paths
 * before the failure; read as numbers of the paths after it, a subflow
 * moved to path 0 got the map's port of the old path 0 (over the dead
 * link) and the shares did not change.
 */
static void test_portmap(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=64M", t);
	struct fp_plan_opts po = { .strategy = FP_STRAT_FLOWPLAN, .max_split = 2, .generation = 1 };
	struct fp_plan_repair_opts ro = { .max_split = 2 };
	char *text = pm_from_model(t, s, 8);
	int l = fp_topo_link(t, fp_topo_find(t, "spine0"), fp_topo_find(t, "leaf1"));
	struct fp_plan_repair_stats st;
	struct fp_hostplan hb, ha;
	struct fp_portmap *pm;
	struct fp_path *was;
	struct fp_plan *p;
	struct fp_err err;
	size_t i, k, e, before_dead = 0, changed = 0;

	(void)state;
	assert_true(l >= 0);
	assert_int_equal(fp_portmap_parse(text, "pm", t, &pm, &err), 0);
	was = pm_paths(t, pm);
	po.pm = pm;
	assert_int_equal(fp_plan_compute(t, s, &po, &p, &err), 0);
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &hb, &err), 0);
	for (e = 0; e < hb.n; e++)
		for (k = 0; k < hb.e[e].nsub; k++)
			before_dead += over(t, learned(pm, was, &hb.e[e].local, &hb.e[e].remote,
						       hb.e[e].sub[k].sport), l);
	assert_true(before_dead > 0);	/* the plan used the link that fails */

	ro.pm = pm;
	assert_int_equal(fp_plan_repair(p, &l, 1, &ro, &st, &err), 0);
	assert_true(st.moved > 0);
	assert_repaired(p);
	/* every subflow's port is the map's on the path planned, none over the dead link */
	for (i = 0; i < s->ph[0].n; i++) {
		const struct fp_flow *f = &s->ph[0].flows[i];
		struct fp_pathset ps;

		if (t->nodes[f->src].leaf == t->nodes[f->dst].leaf)
			continue;
		ps = fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
		for (k = 0; k < p->ph[0].flows[i].n; k++) {
			const struct fp_plan_subflow *sub = &p->ph[0].subs[p->ph[0].flows[i].first + k];
			const struct fp_path *lp = learned(pm, was, &t->nodes[f->src].ip,
							   &t->nodes[f->dst].ip, sub->sport);

			assert_false(over(t, lp, l));
			assert_int_equal(lp->len, ps.p[sub->path].len);
			assert_memory_equal(lp->link, ps.p[sub->path].link,
					    lp->len * sizeof(lp->link[0]));
		}
	}
	/* the shares: no port over the dead link, and the entries that had one changed */
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &ha, &err), 0);
	assert_int_equal(ha.n, hb.n);
	for (e = 0; e < ha.n; e++) {
		bool had = false;

		for (k = 0; k < ha.e[e].nsub; k++)
			assert_false(over(t, learned(pm, was, &ha.e[e].local, &ha.e[e].remote,
						     ha.e[e].sub[k].sport), l));
		for (k = 0; k < hb.e[e].nsub; k++)
			had |= over(t, learned(pm, was, &hb.e[e].local, &hb.e[e].remote,
					       hb.e[e].sub[k].sport), l);
		if (had) {
			assert_true(ha.e[e].nsub != hb.e[e].nsub ||
				    memcmp(ha.e[e].sub, hb.e[e].sub, ha.e[e].nsub * sizeof(ha.e[e].sub[0])));
			changed++;
		}
	}
	assert_true(changed > 0);
	/* the map's numbers are for the links before: another repair wants it read again */
	l = fp_topo_link(t, fp_topo_find(t, "spine1"), fp_topo_find(t, "leaf0"));
	assert_int_equal(fp_plan_repair(p, &l, 1, &ro, &st, &err), ESTALE);
	assert_non_null(strstr(err.msg, "read it again"));
	fp_hostplan_free(&hb);
	fp_hostplan_free(&ha);
	fp_plan_free(p);
	free(was);
	fp_portmap_free(pm);
	free(text);
	fp_sched_free(s);
	fp_topo_free(t);
}

static void test_bad(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1");
	struct fp_sched *s = gen_sched("pipeline:bytes=1M", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	struct fp_plan *e = do_plan(t, s, FP_STRAT_ECMP, 0, 0);
	struct fp_err err;
	int l = 99999, both[2];

	(void)state;
	assert_int_equal(fp_plan_repair(p, &l, 1, NULL, NULL, &err), EINVAL);
	l = 0;
	assert_int_equal(fp_plan_repair(e, &l, 1, NULL, NULL, &err), EINVAL);
	/* Both spines of a leaf: the flow has no path left. */
	both[0] = fp_topo_link(t, fp_topo_find(t, "leaf0"), fp_topo_find(t, "spine0"));
	both[1] = fp_topo_link(t, fp_topo_find(t, "leaf0"), fp_topo_find(t, "spine1"));
	assert_int_equal(fp_plan_repair(p, both, 2, NULL, NULL, &err), EHOSTUNREACH);
	assert_non_null(strstr(err.msg, "no live path"));
	fp_plan_free(p);
	fp_plan_free(e);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A repair under a tighter split cap than the plan's: every flow it
 * re-plans gets one subflow; those the solution would split keep their
 * largest piece, the rest joins it, and they are counted as capped.
 */
static void test_tighter_cap(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=3,spines=3,hosts=2,up_gbps=50");
	struct fp_sched *s = gen_sched("alltoall:bytes=1G", t);
	struct fp_plan_opts po = { .strategy = FP_STRAT_FLOWPLAN, .generation = 1, .max_split = 3 };
	struct fp_plan_repair_opts ro = { .max_split = 1 };
	struct fp_plan_repair_stats st;
	struct fp_plan *p;
	struct fp_err err;
	struct snap a;
	size_t i, k, replanned = 0;
	int l;

	(void)state;
	assert_int_equal(fp_plan_compute(t, s, &po, &p, &err), 0);
	assert_int_equal(p->ph[0].capped_flows, 0);
	assert_int_equal(p->ph[0].max_subflows, 2);
	a = take(p);
	l = loaded_link(p);
	assert_int_equal(fp_plan_repair(p, &l, 1, &ro, &st, &err), 0);
	assert_repaired(p);
	assert_int_equal(p->ph[0].capped_flows, 4);
	for (i = 0; i < s->ph[0].n; i++) {
		const struct fp_plan_flow *pf = &p->ph[0].flows[i];
		bool same = pf->n == a.n[i];

		for (k = 0; same && k < pf->n; k++)
			same = p->ph[0].subs[pf->first + k].flow_label == a.label[i * FP_MAX_SUBFLOWS + k];
		if (!same) {
			assert_int_equal(pf->n, 1);
			replanned++;
		}
	}
	assert_true(replanned >= 4);
	snap_free(&a);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * @f's subflows (@pf) avoid link @l, and each one's port still takes its
 * path once @l is down: the repair keeps them as they are, with no port
 * to look up.
 */
static bool stays(struct fp_topo *t, const struct fp_plan_phase *pp, const struct fp_flow *f,
		  const struct fp_plan_flow *pf, int l)
{
	struct fp_pathset ps = fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
	struct fp_path was[FP_MAX_SUBFLOWS];
	bool same = true;
	size_t k;

	for (k = 0; k < pf->n; k++) {
		was[k] = ps.p[pp->subs[pf->first + k].path];
		if (over(t, &was[k], l) || over(t, &was[k], t->links[l].rev))
			return false;
	}
	assert_int_equal(fp_topo_link_set(t, l, false), 0);
	ps = fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
	for (k = 0; k < pf->n && same; k++) {
		const struct fp_plan_subflow *s = &pp->subs[pf->first + k];
		int now = fp_topo_route_fl(t, f->src, f->dst, s->sport, s->flow_label);

		same = now >= 0 && ps.p[now].len == was[k].len &&
		       !memcmp(ps.p[now].link, was[k].link, was[k].len * sizeof(was[k].link[0]));
	}
	assert_int_equal(fp_topo_link_set(t, l, true), 0);
	return same;
}

/*
 * The re-balance after the moves takes ports from the map too, for every
 * pair the failure touched: a map with none for such a pair is an error
 * that names it, not a repair that skips the re-balance. The plan and
 * failure of test_tighter_cap (whose moves leave the phase above its
 * load before, so that the re-balance runs), planned without a map; the
 * map lacks the ports of a pair with a path over the failed link whose
 * subflows stay where they are with their ports (so that nothing before
 * the re-balance looks its ports up).
 */
static void test_rebalance_needs_the_map(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=3,spines=3,hosts=2,up_gbps=50");
	struct fp_sched *s = gen_sched("alltoall:bytes=1G", t);
	struct fp_plan_opts po = { .strategy = FP_STRAT_FLOWPLAN, .generation = 1, .max_split = 3 };
	struct fp_plan_repair_opts ro = { .max_split = 1 };
	char *text = pm_from_model(t, s, 2), *w, *r, *eol, prefix[2 * FP_ADDR_STRLEN + 2];
	char sa[FP_ADDR_STRLEN], da[FP_ADDR_STRLEN], want[256];
	struct fp_plan_repair_stats st;
	const struct fp_flow *f = NULL;
	struct fp_portmap *pm;
	struct fp_plan *p;
	struct fp_err err;
	size_t i;
	int l, q;

	(void)state;
	assert_int_equal(fp_plan_compute(t, s, &po, &p, &err), 0);
	l = loaded_link(p);
	for (i = 0; i < s->ph[0].n && !f; i++) {
		const struct fp_flow *g = &s->ph[0].flows[i];
		struct fp_pathset ps = fp_topo_paths(t, t->nodes[g->src].leaf, t->nodes[g->dst].leaf);
		bool touched = false;

		if (t->nodes[g->src].leaf == t->nodes[g->dst].leaf)
			continue;
		for (q = 0; q < ps.n; q++)
			touched |= over(t, &ps.p[q], l) || over(t, &ps.p[q], t->links[l].rev);
		if (touched && stays(t, &p->ph[0], g, &p->ph[0].flows[i], l))
			f = g;
	}
	assert_non_null(f);
	fp_addr_str(&t->nodes[f->src].ip, sa);
	fp_addr_str(&t->nodes[f->dst].ip, da);
	snprintf(prefix, sizeof(prefix), "%s %s ", sa, da);
	for (r = w = text; *r; r = eol) {
		eol = strchr(r, '\n');
		eol = eol ? eol + 1 : r + strlen(r);
		if (strncmp(r, prefix, strlen(prefix))) {
			memmove(w, r, (size_t)(eol - r));
			w += eol - r;
		}
	}
	*w = 0;
	assert_int_equal(fp_portmap_parse(text, "pm", t, &pm, &err), 0);
	ro.pm = pm;
	assert_int_equal(fp_plan_repair(p, &l, 1, &ro, &st, &err), ENOENT);
	snprintf(want, sizeof(want), "port map has no port for %s -> %s (%s -> %s)",
		 t->nodes[f->src].name, t->nodes[f->dst].name, sa, da);
	if (!strstr(err.msg, want))
		fail_msg("%s: not in \"%s\"", want, err.msg);
	fp_plan_free(p);
	fp_portmap_free(pm);
	free(text);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * More than 64 paths between two leaves: the rebalance after the repair
 * keeps the paths a flow had as bits of one word (path % 64), and puts
 * subflows on paths 64 and up; the plan is repaired and they are counted.
 */
static void test_rebalance_past_64_paths(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=66,hosts=66");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=1G,place=frag", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	struct fp_plan_repair_stats st;
	struct fp_err err;
	int l = loaded_link(p), most = 0;
	size_t i;

	(void)state;
	assert_int_equal(fp_plan_repair(p, &l, 1, NULL, &st, &err), 0);
	assert_true(st.moved >= 1);
	assert_repaired(p);
	for (i = 0; i < p->ph[0].nsubs; i++)
		if (p->ph[0].subs[i].path != FP_PATH_NONE && p->ph[0].subs[i].path > most)
			most = p->ph[0].subs[i].path;
	assert_true(most >= 64);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A bound stays a bound when links fail and no flow is dropped, even where
 * the cuts after the failure are lower: leaf0 -> leaf1 has one path (over
 * spine1) and carries 200 MiB, which its LP dual bounds at 200 MiB per
 * 100G, twice the cuts' 100 MiB. Failing leaf2 -> spine0, which carries
 * nothing, leaves the cuts at 100 MiB: the plan keeps its bound.
 */
static void test_bound_kept(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=3,spines=3,hosts=2,"
				     "fail=leaf0-spine2+leaf1-spine0");
	struct fp_sched *s = calloc(1, sizeof(*s));
	const double want = 200 * 8.0 * (1 << 20) / 100e9;
	struct fp_plan_repair_stats st;
	struct fp_plan *p;
	struct fp_err err;
	int l;

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("one path");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[2].first_nic, 100 << 20, 0);
	fp_sched_add(s, 0, t->hosts[1].first_nic, t->hosts[3].first_nic, 100 << 20, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_true(fabs(p->ph[0].lower_bound - want) < 1e-9 * want);
	l = fp_topo_link(t, fp_topo_find(t, "leaf2"), fp_topo_find(t, "spine0"));
	assert_true(l >= 0);
	assert_int_equal(fp_plan_repair(p, &l, 1, NULL, &st, &err), 0);
	assert_int_equal(st.dropped, 0);
	assert_true(fabs(p->ph[0].lower_bound - want) < 1e-9 * want);
	assert_true(fabs(p->ph[0].max_load - want) < 1e-9 * want);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_spine_link),
		cmocka_unit_test(test_fat_tree_twice),
		cmocka_unit_test(test_host_link),
		cmocka_unit_test(test_host_link_split),
		cmocka_unit_test(test_recount_after_repair),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_tighter_cap),
		cmocka_unit_test(test_portmap),
		cmocka_unit_test(test_rebalance_needs_the_map),
		cmocka_unit_test(test_bound_kept),
		cmocka_unit_test(test_rebalance_past_64_paths),
	};

	return cmocka_run_group_tests_name("planner_repair", tests, NULL, NULL);
}
