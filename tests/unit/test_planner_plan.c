// SPDX-License-Identifier: MIT
/*
 * The planner: spraying bound met exactly on two-tier fabrics with equal
 * flows, within 5% of the lower bound elsewhere, bytes conserved, ports that
 * the model routes onto the planned paths, determinism, plan files.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "planner/mcf.h"
#include "planner/util.h"
#include "planner_util.h"

/* Every subflow's port takes the planned path under the hash model. */
static void assert_ports_route(const struct fp_plan *p)
{
	size_t i, j, k;

	for (i = 0; i < p->nph; i++) {
		for (j = 0; j < p->sched->ph[i].n; j++) {
			const struct fp_flow *f = &p->sched->ph[i].flows[j];

			for (k = 0; k < p->ph[i].flows[j].n; k++) {
				const struct fp_plan_subflow *s = &p->ph[i].subs[p->ph[i].flows[j].first + k];

				if (s->path == FP_PATH_NONE)
					continue;
				assert_true(s->flow_label >= 1 && s->flow_label < 0x4000);
				assert_int_equal(s->sport, 0xC000 | s->flow_label);
				assert_int_equal(fp_topo_route(p->topo, f->src, f->dst, s->sport), s->path);
				assert_int_equal(fp_topo_route_fl(p->topo, f->src, f->dst, s->sport,
								  s->flow_label), s->path);
			}
		}
	}
}

/* Random equal-flow phases on random leaf-spine fabrics (@v6: IPv6 ones). */
static void exact_trials(bool v6)
{
	static const char *const fields[] = { "l4", "l4+flowlabel", "l3+flowlabel" };
	uint64_t rng = 7;
	int trial;

	for (trial = 0; trial < 60; trial++) {
		int L = 2 + (int)(fp_rand64(&rng) % 9), S = 1 + (int)(fp_rand64(&rng) % 8);
		int H = 1 + (int)(fp_rand64(&rng) % 5), nf = 1 + (int)(fp_rand64(&rng) % 200), i;
		char spec[128];
		struct fp_topo *t;
		struct fp_sched *s = calloc(1, sizeof(*s));
		struct fp_plan *p, *sp;
		int64_t out_l[16] = { 0 }, in_l[16] = { 0 }, delta = 0;
		double bound;
		size_t split_max;

		snprintf(spec, sizeof(spec), "leafspine:leaves=%d,spines=%d,hosts=%d%s%s", L, S, H,
			 v6 ? ",ipv6,fields=" : "", v6 ? fields[trial % 3] : "");
		t = gen_topo(spec);
		s->name = fp_xstrdup("random");
		fp_sched_job(s, "j0");
		for (i = 0; i < nf; i++) {
			int a = (int)(fp_rand64(&rng) % (uint64_t)t->nhosts);
			int b = (int)(fp_rand64(&rng) % (uint64_t)t->nhosts);
			int sa = t->hosts[a].first_nic, sb = t->hosts[b].first_nic;

			if (a == b)
				continue;
			fp_sched_add(s, 0, sa, sb, 1000003, 0);
			if (t->nodes[sa].leaf != t->nodes[sb].leaf) {
				out_l[t->nodes[t->nodes[sa].leaf].leaf_idx]++;
				in_l[t->nodes[t->nodes[sb].leaf].leaf_idx]++;
			}
		}
		if (!s->nph) {
			fp_sched_free(s);
			fp_topo_free(t);
			continue;
		}
		for (i = 0; i < L; i++) {
			delta = out_l[i] > delta ? out_l[i] : delta;
			delta = in_l[i] > delta ? in_l[i] : delta;
		}
		p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
		sp = do_plan(t, s, FP_STRAT_SPRAY, 0, 0);
		assert_int_equal(p->ph[0].method, FP_METHOD_EXACT);
		bound = p->ph[0].lower_bound;
		/* equal to the bound and to ideal spraying, up to rounding of bytes */
		if (p->ph[0].max_load > bound * (1 + 1e-6) + 1e-12 ||
		    p->ph[0].max_load > sp->ph[0].max_load * (1 + 1e-6) + 1e-12)
			fail_msg("%s, %d flows: max load %.9g, bound %.9g, spray %.9g", spec, nf,
				 p->ph[0].max_load, bound, sp->ph[0].max_load);
		assert_conserved(p);
		assert_ports_route(p);
		/* Only units on a bin boundary split: at most S-1 of them, L flows each. */
		split_max = (size_t)(S - 1) * (size_t)L;
		assert_true(p->ph[0].split_flows <= split_max);
		if (delta % S == 0)
			assert_int_equal(p->ph[0].split_flows, 0);
		if (delta >= S)
			assert_true(p->ph[0].max_subflows <= 2);
		fp_plan_free(p);
		fp_plan_free(sp);
		fp_sched_free(s);
		fp_topo_free(t);
	}
}

/*
 * More than 1984 flows in a phase: the exact method's first label for flow
 * 1984 is 0x3fff (1 + 1984 * 7919 % 0x3fff), the last 14-bit label. Over
 * one spine every label takes the path, so each flow keeps its first: flow
 * 1984's is 0x3fff, not 0, and every label is 1..0x3fff and routes.
 */
static void test_exact_last_label(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=1,hosts=1");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan *p;
	int i;

	(void)state;
	s->name = fp_xstrdup("many");
	fp_sched_job(s, "j0");
	for (i = 0; i < 1985; i++)
		fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[1].first_nic, 1000003, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_int_equal(p->ph[0].method, FP_METHOD_EXACT);
	assert_conserved(p);
	assert_ports_route(p);
	assert_int_equal(p->ph[0].flows[1984].n, 1);
	assert_int_equal(p->ph[0].subs[p->ph[0].flows[1984].first].flow_label, 0x3fff);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

static void test_exact_meets_spraying_bound(void **state)
{
	(void)state;
	exact_trials(false);
}

/* The IPv6 twin: the same fabrics and phases, every hash-fields setting. */
static void test_exact_meets_spraying_bound_v6(void **state)
{
	(void)state;
	exact_trials(true);
}

struct general_case {
	const char *topo, *sched;
};

static const struct general_case general[] = {
	{ "fattree:k=4", "alltoall:bytes=64M" },
	{ "fattree:k=4", "ring-allreduce:bytes=256M,place=frag" },
	{ "fattree:k=6,fail=agg0.0-core0+leaf4-agg1.1", "alltoall:bytes=16M" },
	{ "fattree:k=8", "ring-allreduce:bytes=64M,place=frag;alltoall:bytes=16M,count=16,off=1,place=frag" },
	{ "leafspine:leaves=6,spines=4,hosts=4,fail=leaf0-spine1+leaf3-spine2", "alltoall:bytes=64M" },
	{ "leafspine:leaves=6,spines=3,hosts=4,up_gbps=50", "ring-allreduce:bytes=1G,place=frag" },
	/* two jobs of different sizes: not equal flows */
	{ "leafspine:leaves=4,spines=4,hosts=4",
	  "ring-allreduce:bytes=1G,count=8,place=frag;alltoall:bytes=96M,count=8,off=2,place=frag" },
	{ "fattree:k=4,nics=2", "hd-allreduce:bytes=64M,hosts=0-7" },
};

static void general_cases(const char *extra)
{
	size_t i, ph;

	for (i = 0; i < sizeof(general) / sizeof(general[0]); i++) {
		char spec[256];
		struct fp_topo *t;

		snprintf(spec, sizeof(spec), "%s%s", general[i].topo, extra);
		t = gen_topo(spec);
		{
		struct fp_sched *s = gen_sched(general[i].sched, t);
		struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
		struct fp_plan *e = do_plan(t, s, FP_STRAT_ECMP, 0, 1);

		for (ph = 0; ph < p->nph; ph++) {
			/* What the methods reach: the LP exactly, projection within 1e-3. */
			double tol = p->ph[ph].method == FP_METHOD_GP ? 1e-3 : 1e-6;

			if (p->ph[ph].max_load > p->ph[ph].lower_bound * (1 + tol))
				fail_msg("%s / %s phase %zu: %.6g vs bound %.6g", general[i].topo,
					 general[i].sched, ph, p->ph[ph].max_load, p->ph[ph].lower_bound);
			assert_true(p->ph[ph].max_load <= e->ph[ph].max_load * (1 + 1e-9));
			assert_true(p->ph[ph].max_subflows <= FP_MAX_SUBFLOWS);
		}
		assert_conserved(p);
		assert_conserved(e);
		assert_ports_route(p);
		fp_plan_free(p);
		fp_plan_free(e);
		fp_sched_free(s);
		fp_topo_free(t);
		}
	}
}

static void test_general_at_the_bound(void **state)
{
	(void)state;
	general_cases("");
}

/* IPv6 twins: at the bound whichever fields the switches hash. */
static void test_general_at_the_bound_v6(void **state)
{
	(void)state;
	general_cases(",ipv6");
	general_cases(",ipv6,fields=l4+flowlabel");
	general_cases(",ipv6,fields=l3+flowlabel");
}

/* An IPv6 plan's loads and bound are its IPv4 twin's. */
static void test_v6_twin_same_loads(void **state)
{
	struct fp_topo *t4 = gen_topo("fattree:k=4,fail=agg0.0-core0");
	struct fp_topo *t6 = gen_topo("fattree:k=4,fail=agg0.0-core0,ipv6,fields=l4+flowlabel");
	struct fp_sched *s4 = gen_sched("alltoall:bytes=64M", t4), *s6 = gen_sched("alltoall:bytes=64M", t6);
	struct fp_plan *p4 = do_plan(t4, s4, FP_STRAT_FLOWPLAN, 0, 0);
	struct fp_plan *p6 = do_plan(t6, s6, FP_STRAT_FLOWPLAN, 0, 0);

	(void)state;
	assert_int_equal(p4->nph, p6->nph);
	assert_true(fabs(p4->ph[0].lower_bound - p6->ph[0].lower_bound) <= 1e-12 * p4->ph[0].lower_bound);
	assert_true(p6->ph[0].max_load <= p6->ph[0].lower_bound * (1 + 1e-3));
	assert_int_equal(p4->ph[0].method, p6->ph[0].method);
	assert_ports_route(p6);
	fp_plan_free(p4);
	fp_plan_free(p6);
	fp_sched_free(s4);
	fp_sched_free(s6);
	fp_topo_free(t4);
	fp_topo_free(t6);
}

/* A mixed-speed fabric written as a file: one spine has half the capacity. */
static void test_mixed_speeds(void **state)
{
	const char *txt =
		"{\"format\":\"flowplan-topology\",\"version\":1,\"name\":\"mixed\","
		"\"switches\":[{\"name\":\"leaf0\",\"tier\":1},{\"name\":\"leaf1\",\"tier\":1},"
		"{\"name\":\"spine0\",\"tier\":2},{\"name\":\"spine1\",\"tier\":2}],"
		"\"hosts\":[{\"name\":\"a\",\"nics\":[{\"name\":\"a0\"}]},{\"name\":\"b\",\"nics\":[{\"name\":\"b0\"}]},"
		"{\"name\":\"c\",\"nics\":[{\"name\":\"c0\"}]},{\"name\":\"d\",\"nics\":[{\"name\":\"d0\"}]},"
		"{\"name\":\"e\",\"nics\":[{\"name\":\"e0\"}]},{\"name\":\"f\",\"nics\":[{\"name\":\"f0\"}]}],"
		"\"links\":[{\"a\":\"a0\",\"b\":\"leaf0\",\"gbps\":100},{\"a\":\"b0\",\"b\":\"leaf0\",\"gbps\":100},"
		"{\"a\":\"c0\",\"b\":\"leaf0\",\"gbps\":100},{\"a\":\"d0\",\"b\":\"leaf1\",\"gbps\":100},"
		"{\"a\":\"e0\",\"b\":\"leaf1\",\"gbps\":100},{\"a\":\"f0\",\"b\":\"leaf1\",\"gbps\":100},"
		"{\"a\":\"leaf0\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf0\",\"b\":\"spine1\",\"gbps\":50},"
		"{\"a\":\"leaf1\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf1\",\"b\":\"spine1\",\"gbps\":50}]}";
	struct fp_topo *t = NULL;
	struct fp_err err;
	struct fp_sched *s;
	struct fp_plan *p;

	(void)state;
	assert_int_equal(fp_topo_parse(txt, strlen(txt), "mixed", &t, &err), 0);
	s = gen_sched("pipeline:bytes=300M,hosts=0+3+1+4+2+5", t);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	/* 3 cross flows of 300 MiB each way over 150 Gbit/s: bound = 900 MiB / 150 Gbit/s... */
	assert_int_equal(p->ph[0].method, FP_METHOD_LP);
	assert_true(p->ph[0].max_load <= p->ph[0].lower_bound * (1 + 1e-9));
	assert_conserved(p);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

static void test_deterministic(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=4");
	struct fp_sched *s = gen_sched("alltoall:bytes=64M;ring-allreduce:bytes=32M,place=frag", t);
	struct fp_plan *a = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	struct fp_plan *b = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	char *ja = fp_plan_to_json(a, false, true), *jb = fp_plan_to_json(b, false, true);

	(void)state;
	assert_string_equal(ja, jb);
	free(ja);
	free(jb);
	fp_plan_free(a);
	fp_plan_free(b);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * The plan file names each subflow's path by its switches, source leaf
 * first, and writes a load in its shortest exact form: 1 MB on a 100G host
 * link is 8e-05 (%.17g would say 8.0000000000000007e-05).
 */
static void test_plan_json_paths_and_loads(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan *p;
	struct fp_pathset ps;
	char *js, want[128];
	unsigned int k;

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("one");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[2].first_nic, 1000000, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	js = fp_plan_to_json(p, false, false);
	assert_non_null(strstr(js, "\"max_link_load\":8e-05,"));
	ps = fp_topo_paths(t, fp_topo_find(t, "leaf0"), fp_topo_find(t, "leaf1"));
	assert_true(p->ph[0].flows[0].n >= 1);
	for (k = 0; k < p->ph[0].flows[0].n; k++) {
		const struct fp_path *q = &ps.p[p->ph[0].subs[p->ph[0].flows[0].first + k].path];

		assert_int_equal(q->len, 2);
		snprintf(want, sizeof(want), "\"path\":[\"leaf0\",\"%s\",\"leaf1\"]",
			 t->nodes[t->links[q->link[0]].to].name);
		if (!strstr(js, want))
			fail_msg("%s: not in %s", want, js);
	}
	free(js);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* The plan file's entries read back, weights exact, one per address pair. */
static void entries_round_trip(const char *spec, bool v6)
{
	struct fp_topo *t = gen_topo(spec);
	struct fp_sched *s = gen_sched("alltoall:bytes=256M", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	char *js = fp_plan_to_json(p, false, false);
	struct fp_hostplan e;
	struct fp_err err;
	size_t i, split = 0;
	unsigned int k;

	assert_int_equal(fp_hostplan_parse(js, strlen(js), "plan", &e, &err), 0);
	assert_int_equal(e.n, s->ph[0].n);
	assert_int_equal(e.generation, 1);
	for (i = 0; i < e.n; i++) {
		uint64_t w = 0;

		for (k = 0; k < e.e[i].nsub; k++)
			w += e.e[i].sub[k].weight;
		assert_int_equal(w, FP_WEIGHT_ONE);
		split += e.e[i].nsub > 1;
		assert_ptr_equal(fp_hostplan_find(&e, &e.e[i].local, &e.e[i].remote, 1234), &e.e[i]);
		assert_int_equal(fp_addr_is_v4(&e.e[i].local), !v6);
		assert_int_equal(fp_addr_is_v4(&e.e[i].remote), !v6);
		assert_true(fp_topo_find_ip(t, &e.e[i].local) >= 0);
		assert_true(fp_topo_find_ip(t, &e.e[i].remote) >= 0);
	}
	assert_int_equal(split, p->ph[0].split_flows);
	fp_hostplan_free(&e);
	free(js);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

static void test_entries_round_trip(void **state)
{
	(void)state;
	entries_round_trip("leafspine:leaves=8,spines=3,hosts=4", false);
}

static void test_entries_round_trip_v6(void **state)
{
	(void)state;
	entries_round_trip("leafspine:leaves=8,spines=3,hosts=4,ipv6,fields=l4+flowlabel", true);
}

/* With a learned port map, only its ports are used and missing pairs are named. */
static void portmap_plan(const char *spec)
{
	struct fp_topo *t = gen_topo(spec);
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=1G,place=frag", t);
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .generation = 1 };
	char text[16384], sa[FP_ADDR_STRLEN], da[FP_ADDR_STRLEN];
	size_t len, i, k;
	struct fp_portmap *pm;
	struct fp_plan *p;
	struct fp_err err;
	int path;

	/* Map only spines 0 and 2, two ports each, learned from the model. */
	len = (size_t)snprintf(text, sizeof(text), "# flowplan-portmap 1\n");
	for (i = 0; i < s->ph[0].n; i++) {
		const struct fp_flow *f = &s->ph[0].flows[i];

		for (path = 0; path < 4; path += 2) {
			uint32_t fl, start = 0;

			for (k = 0; k < 2; k++) {
				assert_int_equal(fp_topo_port_search(t, f->src, f->dst, path, start, &fl), 0);
				len += (size_t)snprintf(text + len, sizeof(text) - len, "%s %s %u leaf%d,spine%d,leaf%d\n",
					fp_addr_str(&t->nodes[f->src].ip, sa), fp_addr_str(&t->nodes[f->dst].ip, da),
					fp_label_to_sport(fl), t->nodes[t->nodes[f->src].leaf].leaf_idx, path,
					t->nodes[t->nodes[f->dst].leaf].leaf_idx);
				start = fl;
			}
		}
	}
	assert_int_equal(fp_portmap_parse(text, "pm", t, &pm, &err), 0);
	o.pm = pm;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	for (i = 0; i < s->ph[0].n; i++) {
		for (k = 0; k < p->ph[0].flows[i].n; k++) {
			const struct fp_plan_subflow *sub = &p->ph[0].subs[p->ph[0].flows[i].first + k];
			size_t n, r;
			const struct fp_pm_row *rows = fp_portmap_pair_ip(pm, &t->nodes[s->ph[0].flows[i].src].ip,
									  &t->nodes[s->ph[0].flows[i].dst].ip, &n);
			bool found = false;

			assert_true(sub->path == 0 || sub->path == 2);
			for (r = 0; r < n; r++)
				found |= rows[r].sport == sub->sport && rows[r].path == sub->path;
			assert_true(found);
		}
	}
	/* two spines of four: the bound is twice the unrestricted one */
	assert_true(p->ph[0].max_load <= p->ph[0].lower_bound * 2 * 1.05);
	fp_plan_free(p);
	fp_portmap_free(pm);

	/* a pair the map lacks is named */
	assert_int_equal(fp_portmap_parse("# flowplan-portmap 1\n", "empty", t, &pm, &err), 0);
	o.pm = pm;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), ENOENT);
	assert_non_null(strstr(err.msg, "port map has no port for h"));
	fp_portmap_free(pm);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A probe learns every port it tries: 8 ports a path, 16 for a pair with
 * two paths. The planner takes such a map (its allowed paths were once
 * written a row each into room for one a path: a heap overflow, issue 13),
 * and every port it plans is one of the pair's, on the path the map gives.
 */
static void test_portmap_many_ports(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=1G", t);
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .max_split = 2, .generation = 1 };
	char *text = pm_from_model(t, s, 8);
	struct fp_portmap *pm;
	struct fp_plan *p;
	struct fp_err err;
	size_t i, k, used[2] = { 0 };

	(void)state;
	assert_int_equal(fp_portmap_parse(text, "pm", t, &pm, &err), 0);
	o.pm = pm;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	assert_conserved(p);
	for (i = 0; i < s->ph[0].n; i++) {
		const struct fp_flow *f = &s->ph[0].flows[i];
		size_t n, r;
		const struct fp_pm_row *rows = fp_portmap_pair_ip(pm, &t->nodes[f->src].ip,
								  &t->nodes[f->dst].ip, &n);

		if (t->nodes[f->src].leaf == t->nodes[f->dst].leaf)
			continue;
		assert_int_equal(n, 16);
		for (k = 0; k < p->ph[0].flows[i].n; k++) {
			const struct fp_plan_subflow *sub = &p->ph[0].subs[p->ph[0].flows[i].first + k];
			bool found = false;

			for (r = 0; r < n; r++)
				found |= rows[r].sport == sub->sport && rows[r].path == sub->path;
			assert_true(found);
			used[sub->path]++;
		}
	}
	/* both spines carry the ring */
	assert_true(used[0] && used[1]);
	fp_plan_free(p);
	fp_portmap_free(pm);
	free(text);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * ECMP's ports take the path a port map learned for them, not the hash
 * model's: a map that puts each of a plan's ports on the other spine than
 * the model does moves every fabric subflow of the same plan (same seed,
 * same ports) to the other spine.
 */
static void test_ecmp_follows_portmap(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=1G", t);
	struct fp_plan_opts o = { .strategy = FP_STRAT_ECMP, .seed = 1, .generation = 1 };
	struct fp_plan *a = do_plan(t, s, FP_STRAT_ECMP, 0, 1), *b = NULL;
	struct fp_portmap *pm;
	struct fp_err err;
	char *text = NULL;
	size_t len = 0, i, k, moved[2] = { 0 };
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	fprintf(f, "# flowplan-portmap 1\n");
	for (i = 0; i < s->ph[0].n; i++) {
		const struct fp_flow *fl = &s->ph[0].flows[i];
		int sl = t->nodes[fl->src].leaf, dl = t->nodes[fl->dst].leaf, h;
		struct fp_pathset ps = fp_topo_paths(t, sl, dl);
		char sa[FP_ADDR_STRLEN], da[FP_ADDR_STRLEN];

		if (sl == dl)
			continue;
		assert_int_equal(ps.n, 2);
		for (k = 0; k < a->ph[0].flows[i].n; k++) {
			const struct fp_plan_subflow *sub = &a->ph[0].subs[a->ph[0].flows[i].first + k];
			const struct fp_path *other = &ps.p[1 - sub->path];

			fprintf(f, "%s %s %u %s", fp_addr_str(&t->nodes[fl->src].ip, sa),
				fp_addr_str(&t->nodes[fl->dst].ip, da), sub->sport, t->nodes[sl].name);
			for (h = 0; h < other->len; h++)
				fprintf(f, ",%s", t->nodes[t->links[other->link[h]].to].name);
			fprintf(f, "\n");
		}
	}
	assert_int_equal(fclose(f), 0);
	if (fp_portmap_parse(text, "swapped", t, &pm, &err))
		fail_msg("%s", err.msg);
	o.pm = pm;
	assert_int_equal(fp_plan_compute(t, s, &o, &b, &err), 0);
	for (i = 0; i < s->ph[0].n; i++) {
		const struct fp_flow *fl = &s->ph[0].flows[i];

		if (t->nodes[fl->src].leaf == t->nodes[fl->dst].leaf)
			continue;
		assert_int_equal(b->ph[0].flows[i].n, a->ph[0].flows[i].n);
		for (k = 0; k < a->ph[0].flows[i].n; k++) {
			const struct fp_plan_subflow *x = &a->ph[0].subs[a->ph[0].flows[i].first + k];
			const struct fp_plan_subflow *y = &b->ph[0].subs[b->ph[0].flows[i].first + k];

			assert_int_equal(y->sport, x->sport);
			assert_int_equal(y->path, 1 - x->path);
			moved[y->path]++;
		}
	}
	/* onto each spine, path 0 (the map's first) too */
	assert_true(moved[0] && moved[1]);
	fp_plan_free(b);
	fp_portmap_free(pm);
	free(text);
	fp_plan_free(a);
	fp_sched_free(s);
	fp_topo_free(t);
}

static void test_portmap_plan(void **state)
{
	(void)state;
	portmap_plan("leafspine:leaves=2,spines=4,hosts=2");
}

static void test_portmap_plan_v6(void **state)
{
	(void)state;
	portmap_plan("leafspine:leaves=2,spines=4,hosts=2,ipv6,fields=l3+flowlabel");
}

/* Under every strategy: spraying has no path to spray over either. */
static void test_unreachable_is_an_error(void **state)
{
	static const enum fp_strategy st[] = { FP_STRAT_FLOWPLAN, FP_STRAT_SPRAY, FP_STRAT_ECMP,
					       FP_STRAT_ECMPK };
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1,fail=leaf0-spine0+leaf0-spine1");
	struct fp_sched *s = gen_sched("pipeline:bytes=1M", t);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		struct fp_plan_opts o = { .strategy = st[i], .k = 2 };
		struct fp_plan *p = NULL;
		struct fp_err err = { "" };
		int rc = fp_plan_compute(t, s, &o, &p, &err);

		if (rc != EHOSTUNREACH || !strstr(err.msg, "h0.n0 -> h1.n0: no live path"))
			fail_msg("strategy %s: rc %d, \"%s\"", fp_strategy_name(st[i]), rc, err.msg);
		assert_null(p);
	}
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A partial plan (fp_plan_opts.partial) with leaf3 cut off from every
 * spine and h0.n0's own link down: the flows that can run are planned as
 * a schedule of only those would be (same load, at the same bound), the
 * others are listed with why, have no subflows and no entries.
 */
static void test_partial_plan(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=4,spines=2,hosts=2,up_gbps=25,fail=leaf3-spine0+leaf3-spine1+h0.n0-leaf0");
	struct fp_sched *s = gen_sched("alltoall:bytes=64M", t), *rest = calloc(1, sizeof(*rest));
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .generation = 1, .partial = true };
	struct fp_plan *p = NULL, *q = NULL;
	struct fp_hostplan hp;
	struct fp_err err = { "" };
	size_t i, cut = 0, host = 0, k = 0;
	char buf[256], *json;

	(void)state;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	assert_non_null(p);
	/* 8 NICs: h0.n0's 14 flows; h6.n0 and h7.n0 to and from the 5 others */
	assert_int_equal(p->nunroutable, 14 + 2 * 2 * 5);
	assert_int_equal(p->ph[0].unroutable, p->nunroutable);
	rest->name = strdup("rest");
	for (i = 0; i < s->ph[0].n; i++) {
		const struct fp_flow *f = &s->ph[0].flows[i];
		const struct fp_plan_unroutable *u = &p->unroutable[k];

		if (k < p->nunroutable && u->flow == i) {
			assert_int_equal(u->phase, 0);
			assert_int_equal(p->ph[0].flows[i].n, 0);
			fp_plan_unroutable_why(p, u, buf, sizeof(buf));
			if (u->why == FP_UNROUTABLE_HOST_LINK) {
				assert_string_equal(buf, "the link of h0.n0 to leaf0 is down");
				host++;
			} else {
				assert_int_equal(u->why, FP_UNROUTABLE_CUT);
				assert_non_null(strstr(buf, "no live path (failed links cut leaf"));
				cut++;
			}
			k++;
			continue;
		}
		assert_true(p->ph[0].flows[i].n > 0);
		fp_sched_add(rest, 0, f->src, f->dst, f->bytes, 0);
	}
	assert_int_equal(k, p->nunroutable);
	assert_int_equal(host, 14);
	assert_int_equal(cut, 20);
	/* h6.n0 <-> h7.n0 stay within leaf3: planned */
	assert_int_equal(rest->ph[0].n, 56 - 34);
	assert_conserved(p);

	o.partial = false;
	assert_int_equal(fp_plan_compute(t, s, &o, &q, &err), EHOSTUNREACH);
	assert_null(q);
	assert_int_equal(fp_plan_compute(t, rest, &o, &q, &err), 0);
	assert_int_equal(q->nunroutable, 0);
	assert_float_equal(p->ph[0].lower_bound, q->ph[0].lower_bound, 1e-12);
	assert_float_equal(p->ph[0].max_load, q->ph[0].max_load, 1e-12);
	assert_true(p->ph[0].max_load <= p->ph[0].lower_bound * (1 + 1e-6));
	assert_true(p->ph[0].lower_bound > 0);

	/* one entry per flow planned: none from h0.n0, none across leaf3's cut */
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &hp, &err), 0);
	assert_int_equal(hp.n, rest->ph[0].n);
	for (i = 0; i < hp.n; i++)
		assert_int_not_equal(fp_addr_cmp(&hp.e[i].local,
						 &t->nodes[t->hosts[0].first_nic].ip), 0);
	fp_hostplan_free(&hp);

	json = fp_plan_to_json(p, false, false);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"unroutable_flows\":34,"));
	assert_non_null(strstr(json, "\"src\":\"h0.n0\",\"dst\":\"h1.n0\",\"bytes\":8388608,\"unroutable\":\"the link of h0.n0 to leaf0 is down\",\"subflows\":[]"));
	assert_non_null(strstr(json, "\"src\":\"h6.n0\",\"dst\":\"h2.n0\",\"bytes\":8388608,\"unroutable\":\"no live path (failed links cut leaf3 from leaf1)\",\"subflows\":[]"));
	free(json);
	fp_plan_free(q);
	fp_plan_free(p);
	fp_sched_free(rest);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* Every flow of a phase cut off: the phase is empty, the plan still made. */
static void test_partial_plan_nothing_routable(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1,fail=leaf0-spine0+leaf0-spine1");
	struct fp_sched *s = gen_sched("pipeline:bytes=1M", t);
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .partial = true };
	struct fp_plan *p = NULL;
	struct fp_hostplan hp;
	struct fp_err err = { "" };
	char buf[256];
	int l;

	(void)state;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	assert_int_equal(p->nunroutable, 1);
	assert_int_equal(p->unroutable[0].flow, 0);
	assert_string_equal(fp_plan_unroutable_why(p, &p->unroutable[0], buf, sizeof(buf)),
			    "no live path (failed links cut leaf0 from leaf1)");
	assert_int_equal(p->ph[0].nsubs, 0);
	assert_float_equal(p->ph[0].max_load, 0, 0);
	/* no flow has a subflow, none is split */
	assert_int_equal(p->ph[0].max_subflows, 0);
	assert_int_equal(p->ph[0].split_flows, 0);
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &hp, &err), 0);
	assert_int_equal(hp.n, 0);
	fp_hostplan_free(&hp);
	/* planned without a flow: not repaired, computed anew */
	l = fp_topo_link(t, fp_topo_find(t, "spine0"), fp_topo_find(t, "leaf1"));
	assert_int_equal(fp_plan_repair(p, &l, 1, NULL, NULL, &err), EHOSTUNREACH);
	assert_non_null(strstr(err.msg, "1 flows of the plan cannot run"));
	assert_true(t->links[l].up);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* The ECMP baselines: one QP-derived port per flow, or k random ones. */
static void ecmp_strategies(const char *spec)
{
	struct fp_topo *t = gen_topo(spec);
	struct fp_sched *s = gen_sched("alltoall:bytes=64M", t);
	struct fp_plan *e = do_plan(t, s, FP_STRAT_ECMP, 0, 3);
	struct fp_plan *k = do_plan(t, s, FP_STRAT_ECMPK, 3, 3);	/* k given: not the default */
	struct fp_plan *d = do_plan(t, s, FP_STRAT_ECMPK, 0, 3);	/* k not given: 4 */
	size_t i;

	assert_int_equal(e->ph[0].nsubs, s->ph[0].n);
	assert_int_equal(k->k, 3);
	assert_int_equal(k->ph[0].nsubs, s->ph[0].n * 3);
	assert_int_equal(d->k, 4);
	assert_int_equal(d->ph[0].nsubs, s->ph[0].n * 4);
	fp_plan_free(d);
	for (i = 0; i < s->ph[0].n; i++)
		assert_int_equal(fp_topo_route_fl(t, s->ph[0].flows[i].src, s->ph[0].flows[i].dst,
						  e->ph[0].subs[e->ph[0].flows[i].first].sport,
						  e->ph[0].subs[e->ph[0].flows[i].first].flow_label),
				 e->ph[0].subs[e->ph[0].flows[i].first].path);
	assert_true(e->ph[0].max_load >= e->ph[0].lower_bound);
	assert_conserved(e);
	assert_conserved(k);
	fp_plan_free(e);
	fp_plan_free(k);
	fp_sched_free(s);
	fp_topo_free(t);
}

static void test_ecmp_strategies(void **state)
{
	(void)state;
	ecmp_strategies("leafspine:leaves=4,spines=4,hosts=4");
}

/* IPv6: the QP-derived label (20 bits) is what label-hashing switches see. */
static void test_ecmp_strategies_v6(void **state)
{
	(void)state;
	ecmp_strategies("leafspine:leaves=4,spines=4,hosts=4,ipv6");
	ecmp_strategies("leafspine:leaves=4,spines=4,hosts=4,ipv6,fields=l3+flowlabel");
	ecmp_strategies("leafspine:leaves=4,spines=4,hosts=4,ipv6,fields=l4+flowlabel");
}

/* Every strategy and method over 600-wide ECMP groups (at least 512). */
static void test_wide_groups(void **state)
{
	static const char *const topo[] = { "leafspine:leaves=4,spines=600,hosts=2",
					    "leafspine:leaves=4,spines=600,hosts=2,fail=leaf0-spine7" };
	static const enum fp_strategy st[] = { FP_STRAT_ECMP, FP_STRAT_ECMPK, FP_STRAT_SPRAY,
					       FP_STRAT_FLOWPLAN };
	size_t i, k;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct fp_topo *t = gen_topo(topo[i]);
		struct fp_sched *s = gen_sched("alltoall:bytes=1G", t);

		for (k = 0; k < 4; k++) {
			struct fp_plan *p = do_plan(t, s, st[k], 4, 1);

			assert_conserved(p);
			if (st[k] == FP_STRAT_FLOWPLAN) {
				assert_ports_route(p);
				assert_true(p->ph[0].max_load <= p->ph[0].lower_bound * (1 + 1e-9));
				assert_int_equal(p->ph[0].method, i ? FP_METHOD_GREEDY : FP_METHOD_EXACT);
			}
			if (st[k] == FP_STRAT_SPRAY) {	/* a flow on every live spine */
				size_t f = 0;

				while (t->nodes[s->ph[0].flows[f].src].leaf ==
				       t->nodes[s->ph[0].flows[f].dst].leaf)
					f++;
				assert_int_equal(p->ph[0].flows[f].n, 600 - (i && t->nodes[
						 s->ph[0].flows[f].src].leaf == fp_topo_find(t, "leaf0")));
			}
			fp_plan_free(p);
		}
		fp_sched_free(s);
		fp_topo_free(t);
	}
}
/* One phase, one flow per (src host, dst host, bytes). */
static struct fp_sched *flows_of(struct fp_topo *t, const int (*f)[3], size_t n)
{
	struct fp_sched *s = calloc(1, sizeof(*s));
	size_t i;

	s->name = fp_xstrdup("hand");
	fp_sched_job(s, "j0");
	for (i = 0; i < n; i++)
		fp_sched_add(s, 0, t->hosts[f[i][0]].first_nic, t->hosts[f[i][1]].first_nic,
			     (uint64_t)f[i][2] << 20, 0);
	return s;
}

static double bound_of(struct fp_topo *t, struct fp_sched *s, bool duals)
{
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	double b = fp_phase_lower_bound(t, &s->ph[0], duals ? p->ph[0].link_bytes : NULL);

	fp_plan_free(p);
	return b;
}

/*
 * Each part of the lower bound alone binds, on a case made for it:
 * the host links, a leaf's uplinks, a pod's uplinks, the LP dual.
 */
static void test_bound_parts(void **state)
{
	struct fp_topo *t;
	struct fp_sched *s;
	const double mib = 8.0 * (1 << 20);

	(void)state;
	/* Host links: h0 sends 300 MiB to three hosts of another leaf, 100G each. */
	t = gen_topo("leafspine:leaves=2,spines=4,hosts=4");
	{
		static const int f[][3] = { { 0, 4, 100 }, { 0, 5, 100 }, { 0, 6, 100 } };

		s = flows_of(t, f, 3);
	}
	assert_true(fabs(bound_of(t, s, false) - 300 * mib / 100e9) < 1e-12);
	fp_sched_free(s);
	fp_topo_free(t);
	/* Leaf cut: four hosts of leaf0 send 100 MiB each over two 50G uplinks. */
	t = gen_topo("leafspine:leaves=2,spines=2,hosts=4,up_gbps=50");
	{
		static const int f[][3] = { { 0, 4, 100 }, { 1, 5, 100 }, { 2, 6, 100 }, { 3, 7, 100 } };

		s = flows_of(t, f, 4);
	}
	assert_true(fabs(bound_of(t, s, false) - 400 * mib / 100e9) < 1e-12);
	fp_sched_free(s);
	fp_topo_free(t);
	/* Pod cut: a k=4 pod's four hosts send out over its four 10G pod uplinks. */
	t = gen_topo("fattree:k=4,up_gbps=10");
	{
		/* Leaf uplinks carry 2 flows over 2 x 10G, the pod's 4 over 4 x 10G: equal. */
		static const int f[][3] = { { 0, 4, 100 }, { 1, 5, 100 }, { 2, 8, 100 }, { 3, 9, 100 } };

		s = flows_of(t, f, 4);
	}
	assert_true(fabs(bound_of(t, s, false) - 100 * mib / 10e9 * 2 / 2) < 1e-9);
	fp_sched_free(s);
	fp_topo_free(t);
	/* Leaf cut, inward: leaf0's and leaf1's two hosts each send to leaf2's four. */
	t = gen_topo("leafspine:leaves=3,spines=2,hosts=4,up_gbps=50");
	{
		static const int f[][3] = { { 0, 8, 100 }, { 1, 9, 100 }, { 4, 10, 100 }, { 5, 11, 100 } };

		s = flows_of(t, f, 4);
	}
	assert_true(fabs(bound_of(t, s, false) - 400 * mib / 100e9) < 1e-12);
	fp_sched_free(s);
	fp_topo_free(t);
	/*
	 * Pod cut alone: pod0 has lost one of its four core links; its four
	 * hosts send 100 MiB each to pod1. Its leaves' cuts see 200 MiB over
	 * 2 x 100G, the pod's 400 MiB over 3 x 100G.
	 */
	t = gen_topo("fattree:k=4,fail=agg0.0-core0");
	{
		static const int f[][3] = { { 0, 4, 100 }, { 1, 5, 100 }, { 2, 6, 100 }, { 3, 7, 100 } };

		s = flows_of(t, f, 4);
	}
	assert_true(fabs(bound_of(t, s, false) - 400 * mib / 300e9) < 1e-12);
	fp_sched_free(s);
	fp_topo_free(t);
	/*
	 * One pod among switches of none (a topology file may name pods for
	 * some switches only): leaf0 and agg0 are pod 0, its one 100G link up
	 * to core0 its cut; leaf1, agg1 and core0 are of no pod. h0 and h1 on
	 * leaf0 send 100 MiB each to h2 and h3 on leaf1: 200 MiB over the pod's
	 * 100G, twice what the host links (100G) and leaf0's 200G uplink see.
	 * The flows end in no pod: nothing counts against a pod there. The
	 * flows back, from no pod into pod 0, meet the same cut inward.
	 */
	{
		static const char topo[] =
			"{\"format\":\"flowplan-topology\",\"version\":1,\"name\":\"onepod\","
			"\"switches\":[{\"name\":\"leaf0\",\"tier\":1,\"pod\":0},{\"name\":\"leaf1\",\"tier\":1},"
			"{\"name\":\"agg0\",\"tier\":2,\"pod\":0},{\"name\":\"agg1\",\"tier\":2},"
			"{\"name\":\"core0\",\"tier\":3}],"
			"\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"198.18.0.1\"}]},"
			"{\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\",\"addr\":\"198.18.0.2\"}]},"
			"{\"name\":\"h2\",\"nics\":[{\"name\":\"h2.n0\",\"addr\":\"198.18.0.3\"}]},"
			"{\"name\":\"h3\",\"nics\":[{\"name\":\"h3.n0\",\"addr\":\"198.18.0.4\"}]}],"
			"\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100},{\"a\":\"h1.n0\",\"b\":\"leaf0\",\"gbps\":100},"
			"{\"a\":\"h2.n0\",\"b\":\"leaf1\",\"gbps\":100},{\"a\":\"h3.n0\",\"b\":\"leaf1\",\"gbps\":100},"
			"{\"a\":\"leaf0\",\"b\":\"agg0\",\"gbps\":200},{\"a\":\"agg0\",\"b\":\"core0\",\"gbps\":100},"
			"{\"a\":\"core0\",\"b\":\"agg1\",\"gbps\":100},{\"a\":\"agg1\",\"b\":\"leaf1\",\"gbps\":200}]}";
		static const int f[][3] = { { 0, 2, 100 }, { 1, 3, 100 } };
		static const int back[][3] = { { 2, 0, 100 }, { 3, 1, 100 } };
		struct fp_err err;

		t = NULL;
		if (fp_topo_parse(topo, strlen(topo), "onepod", &t, &err))
			fail_msg("%s", err.msg);
		s = flows_of(t, f, 2);
		assert_true(fabs(bound_of(t, s, false) - 200 * mib / 100e9) < 1e-12);
		fp_sched_free(s);
		/* and into the pod from none: the same cut, inward */
		s = flows_of(t, back, 2);
		assert_true(fabs(bound_of(t, s, false) - 200 * mib / 100e9) < 1e-12);
		fp_sched_free(s);
		fp_topo_free(t);
	}
	/*
	 * The LP dual alone: leaf0 keeps spines 0 and 1, leaf1 spines 1 and 2,
	 * so leaf0 -> leaf1 has one path (spine1). Two flows of 100 MiB: the
	 * pair's 200 MiB on one 100G link, where every cut sees two links.
	 */
	t = gen_topo("leafspine:leaves=2,spines=3,hosts=2,fail=leaf0-spine2+leaf1-spine0");
	{
		static const int f[][3] = { { 0, 2, 100 }, { 1, 3, 100 } };

		s = flows_of(t, f, 2);
	}
	assert_true(bound_of(t, s, false) < 200 * mib / 100e9 * (1 - 1e-3));
	assert_true(fabs(bound_of(t, s, true) - 200 * mib / 100e9) < 1e-9);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * The LP dual bound of a length function given by hand (the routing's link
 * bytes): 1/capacity on the links at the maximum, as the first dual takes
 * them. With the case of test_bound_parts (one path, over spine1) and h0's
 * uplink and h2's downlink at the maximum too, the dual is
 *   (100 MiB x 2 host links + 200 MiB x 2 fabric links) / 4 links
 * = 150 MiB per 100G, above the host links' and cuts' 100 MiB: it binds.
 * A link just under the maximum (leaf1 -> spine1, which carries nothing)
 * joins only the next dual (theta 0.999), which it lowers to 600 / 5.
 */
static void test_dual_bound_lengths(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=3,hosts=2,"
				     "fail=leaf0-spine2+leaf1-spine0");
	static const int f[][3] = { { 0, 2, 100 }, { 1, 3, 100 } };
	struct fp_sched *s = flows_of(t, f, 2);
	double *lb = calloc((size_t)t->nlinks, sizeof(double)), x = 1e9, b;
	const double mib = 8.0 * (1 << 20);

	(void)state;
	assert_non_null(lb);
	lb[t->nodes[t->hosts[0].first_nic].up_link] = x;
	lb[t->nodes[t->hosts[2].first_nic].down_link] = x;
	lb[fp_topo_link(t, fp_topo_find(t, "leaf0"), fp_topo_find(t, "spine1"))] = x;
	lb[fp_topo_link(t, fp_topo_find(t, "spine1"), fp_topo_find(t, "leaf1"))] = x;
	lb[fp_topo_link(t, fp_topo_find(t, "leaf1"), fp_topo_find(t, "spine1"))] = x * 0.9995;
	b = fp_phase_lower_bound(t, &s->ph[0], lb);
	assert_true(fabs(b / (150 * mib / 100e9) - 1) < 1e-9);
	/* Without the link bytes, the host links and cuts: 100 MiB per 100G. */
	b = fp_phase_lower_bound(t, &s->ph[0], NULL);
	assert_true(fabs(b / (100 * mib / 100e9) - 1) < 1e-12);
	free(lb);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * fp_mcf_sort, which groups a phase's flows into commodities, for a few
 * hundred pairs (a comparison sort) and for more than 4096 (the radix
 * sort, which the tests' phases are too small to reach): keys that differ
 * in some 16-bit digits and not in others, many equal. Checked against
 * the input: a permutation, keys ascending, equal keys in index order.
 */
static void test_mcf_sort(void **state)
{
	static const size_t sizes[] = { 0, 1, 300, 5000 };
	uint64_t rng = 17, *key, *was;
	uint32_t *idx;
	unsigned char *seen;
	size_t z, i, n;

	(void)state;
	for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		n = sizes[z];
		key = calloc(n + 1, sizeof(*key));
		was = calloc(n + 1, sizeof(*was));
		idx = calloc(n + 1, sizeof(*idx));
		seen = calloc(n + 1, 1);
		assert_true(key && was && idx && seen);
		for (i = 0; i < n; i++) {
			uint64_t r = fp_rand64(&rng), d1 = (r >> 8) % 5;

			/*
			 * digits 1 and 2 vary, 0 never, 3 in its top bit; digit 1
			 * is 0..3 or 0xffff, so that together its values set every
			 * bit while they differ
			 */
			key[i] = (r % 37) << 40 | (d1 == 4 ? 0xffff : d1) << 16 | (r >> 20 & 1) << 63 | 0xbeef;
			was[i] = key[i];
			idx[i] = (uint32_t)i;
		}
		fp_mcf_sort(key, idx, n);
		for (i = 0; i < n; i++) {
			assert_true(idx[i] < n && !seen[idx[i]]);
			seen[idx[i]] = 1;
			assert_true(key[i] == was[idx[i]]);
			if (i)
				assert_true(key[i - 1] < key[i] ||
					    (key[i - 1] == key[i] && idx[i - 1] < idx[i]));
		}
		free(key);
		free(was);
		free(idx);
		free(seen);
	}
}

/*
 * Each solver proves what it reached with its own duals, whatever bound
 * the caller had before (here none), on fabrics where the cuts are not
 * tight: the simplex method's duals, as lengths, give a bound equal to its
 * lambda (strong duality); gradient projection's smooth-maximum lengths a
 * bound within its tolerance of its lambda, and at most the optimum.
 */
static void test_duals_prove(void **state)
{
	static const char *const topo[] = {
		"leafspine:leaves=8,spines=4,hosts=4,fail=leaf0-spine1+leaf3-spine2",
		"fattree:k=4,up_gbps=50,fail=agg0.0-core0+agg0.1-core2+agg2.0-core1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(topo) / sizeof(topo[0]); i++) {
		struct fp_topo *t = gen_topo(topo[i]);
		struct fp_sched *s = gen_sched("alltoall:bytes=1G", t);
		struct fp_err err;
		struct fp_mcf m;
		double opt;

		assert_int_equal(fp_mcf_init(&m, t, &s->ph[0], NULL, 8, &err), 0);
		fp_mcf_greedy(&m);
		m.bound = 0;
		assert_int_equal(fp_mcf_lp(&m, 2800), 0);
		assert_true(m.exact);
		assert_true(m.lambda > 0);
		assert_true(fabs(m.bound / m.lambda - 1) < 1e-9);
		opt = m.lambda;
		fp_mcf_free(&m);
		assert_int_equal(fp_mcf_init(&m, t, &s->ph[0], NULL, 8, &err), 0);
		fp_mcf_greedy(&m);
		m.bound = 0;
		fp_mcf_gp(&m, 1e-4, 400);
		assert_true(m.bound > 0 && m.bound <= opt * (1 + 1e-9));
		assert_true(m.lambda >= opt * (1 - 1e-9) && m.lambda <= m.bound * (1 + 1e-4));
		/*
		 * and it stops at the first check of its bound (every 8 sweeps)
		 * that proves it: here the first, before any sweep (the fat
		 * tree's greedy routing is optimal) or after 8
		 */
		assert_true(m.iters <= 8);
		fp_mcf_free(&m);
		fp_sched_free(s);
		fp_topo_free(t);
	}
}

/* When the host links bind, the first routing stays and nothing is split. */
static void test_host_bound_no_split(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=8,up_gbps=400,fail=agg0.0-core0");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=1G,hosts=5+77+3+100+64+12+33+90", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);

	(void)state;
	assert_int_equal(p->ph[0].method, FP_METHOD_GREEDY);
	assert_int_equal(p->ph[0].split_flows, 0);
	assert_true(p->ph[0].max_load <= p->ph[0].lower_bound * (1 + 1e-12));
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * The room-first cut where the line cut fails: two flows of 500 MiB from
 * leaf0 to leaf1 over spines of 300, 100 and 100 Gbit/s, at most 2
 * subflows each. The solution's shares are 600, 200 and 200 MiB; on the
 * line the second flow would take all three (100 + 200 + 200), room first
 * each flow takes one 200 MiB share and 300 MiB of the large one. So no
 * path leaves the solution (restricting the pair to 2 paths would cost 25%),
 * every link is at the bound and nothing is capped. Where every cut has too
 * many pieces, the pair is restricted instead (with 1 subflow, to its
 * fastest path).
 */
static void test_room_first_cut(void **state)
{
	const char *txt =
		"{\"format\":\"flowplan-topology\",\"version\":1,\"name\":\"uneven\","
		"\"switches\":[{\"name\":\"leaf0\",\"tier\":1},{\"name\":\"leaf1\",\"tier\":1},"
		"{\"name\":\"spine0\",\"tier\":2},{\"name\":\"spine1\",\"tier\":2},"
		"{\"name\":\"spine2\",\"tier\":2}],"
		"\"hosts\":[{\"name\":\"a\",\"nics\":[{\"name\":\"a0\"}]},{\"name\":\"b\",\"nics\":[{\"name\":\"b0\"}]},"
		"{\"name\":\"c\",\"nics\":[{\"name\":\"c0\"}]},{\"name\":\"d\",\"nics\":[{\"name\":\"d0\"}]}],"
		"\"links\":[{\"a\":\"a0\",\"b\":\"leaf0\",\"gbps\":400},{\"a\":\"b0\",\"b\":\"leaf0\",\"gbps\":400},"
		"{\"a\":\"c0\",\"b\":\"leaf1\",\"gbps\":400},{\"a\":\"d0\",\"b\":\"leaf1\",\"gbps\":400},"
		"{\"a\":\"leaf0\",\"b\":\"spine0\",\"gbps\":300},{\"a\":\"leaf0\",\"b\":\"spine1\",\"gbps\":100},"
		"{\"a\":\"leaf0\",\"b\":\"spine2\",\"gbps\":100},{\"a\":\"leaf1\",\"b\":\"spine0\",\"gbps\":300},"
		"{\"a\":\"leaf1\",\"b\":\"spine1\",\"gbps\":100},{\"a\":\"leaf1\",\"b\":\"spine2\",\"gbps\":100}]}";
	static const int fl[][3] = { { 0, 2, 500 }, { 1, 3, 500 } }, one[][3] = { { 0, 2, 1000 } };
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .generation = 1, .max_split = 2 };
	double want = 1000.0 * (1 << 20) * 8 / 500e9;
	struct fp_pathset ps;
	struct fp_topo *t = NULL;
	struct fp_sched *s;
	struct fp_plan *p;
	struct fp_err err;
	size_t i;

	(void)state;
	assert_int_equal(fp_topo_parse(txt, strlen(txt), "uneven", &t, &err), 0);
	s = flows_of(t, fl, 2);
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	assert_true(fabs(p->ph[0].lower_bound - want) <= 1e-12 * want);
	assert_true(p->ph[0].max_load <= want * (1 + 1e-9));
	assert_int_equal(p->ph[0].capped_flows, 0);
	assert_int_equal(p->ph[0].split_flows, 2);
	assert_int_equal(p->ph[0].max_subflows, 2);
	for (i = 0; i < 2; i++)
		assert_int_equal(p->ph[0].flows[i].n, 2);
	assert_conserved(p);
	assert_ports_route(p);
	fp_plan_free(p);
	fp_sched_free(s);
	/*
	 * One flow of 1000 MiB: any cut of the three shares gives it three
	 * pieces, so the pair is restricted to its 2 busiest paths (300 and
	 * 100 Gbit/s) and solved again; nothing is capped.
	 */
	s = flows_of(t, one, 1);
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	want = 1000.0 * (1 << 20) * 8 / 400e9;
	assert_true(fabs(p->ph[0].max_load - want) <= 1e-9 * want);
	assert_int_equal(p->ph[0].capped_flows, 0);
	assert_int_equal(p->ph[0].flows[0].n, 2);
	assert_conserved(p);
	fp_plan_free(p);
	/* At most 1 subflow: restricted to the 300 Gbit/s spine, solved again. */
	o.max_split = 1;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	want = 1000.0 * (1 << 20) * 8 / 300e9;
	assert_true(fabs(p->ph[0].max_load - want) <= 1e-9 * want);
	assert_int_equal(p->ph[0].capped_flows, 0);
	assert_int_equal(p->ph[0].flows[0].n, 1);
	ps = fp_topo_paths(t, fp_topo_find(t, "leaf0"), fp_topo_find(t, "leaf1"));
	assert_int_equal(t->links[ps.p[p->ph[0].subs[p->ph[0].flows[0].first].path].link[0]].to,
			 fp_topo_find(t, "spine0"));
	assert_conserved(p);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A tight split cap on commodities of many flows: an approximate solution
 * spreads each over many paths, the line cut would give the last flows too
 * many pieces, and the room-first cut must keep every flow within the cap
 * with no path off its share (nothing capped, the load where it was).
 */
static void test_tight_cap(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=6,up_gbps=50,fail=agg0.0-core0+agg1.1-core4");
	struct fp_sched *s = gen_sched("alltoall:bytes=2G", t);
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .generation = 1, .max_split = 2,
				  .method = FP_METHOD_GP };
	struct fp_plan *p;
	struct fp_err err;

	(void)state;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	assert_int_equal(p->ph[0].method, FP_METHOD_GP);
	assert_true(p->ph[0].max_subflows <= 2);
	assert_int_equal(p->ph[0].capped_flows, 0);
	assert_true(p->ph[0].split_flows > 0);
	/*
	 * Few subflows: the method reaches 3640 (778 flows split); were the
	 * thin shares not moved whole onto the commodity's other paths
	 * (sparsify), 4533 (1671).
	 */
	assert_true(p->ph[0].nsubs <= 3700);
	assert_true(p->ph[0].split_flows <= 800);
	assert_true(p->ph[0].max_load <= p->ph[0].lower_bound * (1 + 1e-3));
	assert_conserved(p);
	assert_ports_route(p);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

static void test_strategy_names(void **state)
{
	enum fp_strategy st;
	int k = 0;

	(void)state;
	assert_int_equal(fp_strategy_parse("ecmp", &st, &k), 0);
	assert_int_equal(st, FP_STRAT_ECMP);
	assert_int_equal(fp_strategy_parse("ecmp1", &st, &k), 0);
	assert_true(st == FP_STRAT_ECMPK && k == 1);
	assert_int_equal(fp_strategy_parse("ecmp16", &st, &k), 0);
	assert_true(st == FP_STRAT_ECMPK && k == 16);
	assert_int_equal(fp_strategy_parse("ecmp0", &st, &k), EINVAL);
	assert_int_equal(fp_strategy_parse("ecmp17", &st, &k), EINVAL);
	assert_int_equal(fp_strategy_parse("ecmp4x", &st, &k), EINVAL);
	assert_int_equal(fp_strategy_parse("spray", &st, &k), 0);
	assert_int_equal(st, FP_STRAT_SPRAY);
	assert_int_equal(fp_strategy_parse("flowplan", &st, &k), 0);
	assert_int_equal(st, FP_STRAT_FLOWPLAN);
	assert_int_equal(fp_strategy_parse("flow", &st, &k), EINVAL);
	assert_string_equal(fp_strategy_name(FP_STRAT_ECMPK), "ecmpk");
	assert_string_equal(fp_method_name(FP_METHOD_LP), "lp");
	assert_string_equal(fp_method_name(FP_METHOD_GREEDY), "greedy");
	assert_string_equal(fp_method_name((enum fp_method)99), "?");
}

/*
 * A dual-stack NIC is one NIC with one host link: its IPv4 flow and its
 * IPv6 flow load that link together, and the bound and the plan's busiest
 * link count it once. Described as two NICs (one per family, the only way
 * before "addrs"), each flow had a host link of its own and the phase
 * looked twice as fast as the host could be.
 */
static void test_dual_stack_one_host_link(void **state)
{
	static const char ds[] =
		"{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		"{\"src\":\"h0.n0\",\"dst\":\"h2.n0\",\"bytes\":1073741824},"
		"{\"src\":\"h0.n0\",\"dst\":\"h3.n0\",\"family\":6,\"bytes\":1073741824}]}]}";
	static const char two[] =
		"{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		"{\"src\":\"h0.n0\",\"dst\":\"h2.n0\",\"bytes\":1073741824},"
		"{\"src\":\"h0.n1\",\"dst\":\"h3.n1\",\"bytes\":1073741824}]}]}";
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2,dual");
	struct fp_topo *t2 = gen_topo("leafspine:leaves=2,spines=2,hosts=2,nics=2");
	const double want = 2.0 * 1073741824 * 8 / 100e9;
	struct fp_sched *s = NULL, *s2 = NULL;
	struct fp_err err = { "" };
	struct fp_plan *p, *p2;
	struct fp_hostplan hp;
	struct fp_addr local[2];
	int h0 = fp_topo_find(t, "h0.n0");
	char *js, sa[FP_ADDR_STRLEN], da[FP_ADDR_STRLEN];
	enum fp_strategy st[] = { FP_STRAT_FLOWPLAN, FP_STRAT_ECMP, FP_STRAT_SPRAY };
	size_t i;

	(void)state;
	if (fp_sched_parse(ds, strlen(ds), "ds", t, &s, &err) ||
	    fp_sched_parse(two, strlen(two), "two", t2, &s2, &err))
		fail_msg("%s", err.msg);
	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		p = do_plan(t, s, st[i], 0, 0);
		assert_true(fabs(p->ph[0].lower_bound - want) <= 1e-12 * want);
		assert_true(fabs(p->ph[0].max_load - want) <= 1e-12 * want);
		assert_int_equal(p->ph[0].bottleneck, t->nodes[h0].up_link);
		assert_true(fabs(p->ph[0].link_bytes[t->nodes[h0].up_link] - 2.0 * 1073741824) < 1);
		fp_plan_free(p);
	}
	/* the simulator shares the one host link too: both flows at 50G */
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	{
		struct fp_sim *r = NULL;

		assert_int_equal(fp_simulate(p, &r, &err), 0);
		assert_true(fabs(r->ph[0].cct - want) <= 1e-9 * want);
		assert_true(fabs(r->ph[0].fct[0] - want) <= 1e-9 * want);
		assert_true(fabs(r->ph[0].fct[1] - want) <= 1e-9 * want);
		fp_sim_free(r);
	}
	fp_plan_free(p);
	fp_sched_free(s);
	/* the two-NIC description: half, each family's host link alone */
	p2 = do_plan(t2, s2, FP_STRAT_FLOWPLAN, 0, 0);
	assert_true(fabs(p2->ph[0].lower_bound - want / 2) <= 1e-12 * want);
	fp_plan_free(p2);
	fp_sched_free(s2);

	/* entries per family of the one NIC: IPv4 first, then IPv6 */
	s = gen_sched("ring-allreduce:bytes=1G", t);
	s2 = gen_sched("ring-allreduce:bytes=1G,family=6", t);
	for (i = 0; i < s2->ph[0].n; i++)
		fp_sched_add(s, 0, s2->ph[0].flows[i].src, s2->ph[0].flows[i].dst,
			     s2->ph[0].flows[i].bytes, 0);
	fp_sched_free(s2);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	/* 4 hosts, rings of both families: each host link carries two flows */
	assert_true(fabs(p->ph[0].lower_bound - 2.0 * (double)s->ph[0].flows[0].bytes * 8 / 100e9) <=
		    1e-9 * p->ph[0].lower_bound);
	js = fp_plan_to_json(p, false, true);
	assert_non_null(strstr(js, "\"family\":6"));
	assert_int_equal(fp_hostplan_parse(js, strlen(js), "plan", &hp, &err), 0);
	/* 4 ring flows per family and their 4 reverse entries */
	assert_int_equal(hp.n, 16);
	for (i = 0; i < hp.n; i++) {
		int a = fp_topo_find_ip(t, &hp.e[i].local), b = fp_topo_find_ip(t, &hp.e[i].remote);

		assert_true(a >= 0 && b >= 0);
		assert_int_equal(t->nodes[a].is_twin, t->nodes[b].is_twin);
		assert_int_equal(fp_addr_is_v4(&hp.e[i].local), i < 8);
	}
	fp_hostplan_free(&hp);
	/* the host's share holds both addresses' entries */
	local[0] = t->nodes[h0].ip;
	local[1] = t->nodes[t->nodes[h0].twin].ip;
	assert_int_equal(fp_plan_hostplan(p, local, 2, &hp, &err), 0);
	/* h0 -> h1 and the reverse entry h0 -> h3, in each family */
	assert_int_equal(hp.n, 4);
	fp_addr_str(&hp.e[1].local, sa);
	fp_addr_str(&hp.e[2].local, da);
	assert_string_equal(sa, "198.18.0.1");
	assert_string_equal(da, "2001:2::1");
	fp_hostplan_free(&hp);
	free(js);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
	fp_topo_free(t2);
}

/*
 * Flows between two NICs of one host cross no switch (NVLink, PCIe): under
 * every strategy each is one subflow of no path, and a phase of nothing
 * else loads no link, so it has no bottleneck (-1) and a max load of 0.
 * The NICs on two rails sit on two leaves, which fabric paths would join:
 * the planner must not take them.
 */
static void test_same_host_flows(void **state)
{
	static const char *const topos[] = {
		"leafspine:leaves=2,spines=2,hosts=2,nics=2,rail",	/* n0, n1 on two leaves */
		"leafspine:leaves=2,spines=2,hosts=2,nics=2",		/* on one leaf */
	};
	static const enum fp_strategy st[] = { FP_STRAT_ECMP, FP_STRAT_ECMPK, FP_STRAT_SPRAY,
					       FP_STRAT_FLOWPLAN };
	size_t a, b, i;
	int l;

	(void)state;
	for (a = 0; a < sizeof(topos) / sizeof(topos[0]); a++) {
		struct fp_topo *t = gen_topo(topos[a]);
		struct fp_sched *s = calloc(1, sizeof(*s));

		assert_non_null(s);
		s->name = fp_xstrdup("local");
		fp_sched_job(s, "j0");
		fp_sched_add(s, 0, fp_topo_find(t, "h0.n0"), fp_topo_find(t, "h0.n1"), 3 << 20, 0);
		fp_sched_add(s, 0, fp_topo_find(t, "h1.n1"), fp_topo_find(t, "h1.n0"), 5 << 20, 0);
		assert_int_equal(t->nodes[fp_topo_find(t, "h0.n0")].leaf ==
				 t->nodes[fp_topo_find(t, "h0.n1")].leaf, a == 1);
		for (b = 0; b < sizeof(st) / sizeof(st[0]); b++) {
			struct fp_plan *p = do_plan(t, s, st[b], 2, 1);

			for (i = 0; i < s->ph[0].n; i++) {
				const struct fp_plan_subflow *sf = &p->ph[0].subs[p->ph[0].flows[i].first];

				assert_int_equal(p->ph[0].flows[i].n, 1);
				assert_int_equal(sf->path, FP_PATH_NONE);
				assert_int_equal(sf->bytes, s->ph[0].flows[i].bytes);
			}
			for (l = 0; l < t->nlinks; l++)
				assert_true(p->ph[0].link_bytes[l] == 0);
			assert_true(p->ph[0].max_load == 0);
			assert_int_equal(p->ph[0].bottleneck, -1);
			fp_plan_free(p);
		}
		fp_sched_free(s);
		fp_topo_free(t);
	}
}

/*
 * A subflow off the fabric has no port under the general method too (as
 * every strategy gives it, test_same_host_flows): two NICs of h0, beside
 * fabric flows of unequal bytes, which the exact method does not take.
 */
static void test_general_same_host_no_port(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2,nics=2");
	struct fp_sched *s = calloc(1, sizeof(*s));
	const struct fp_plan_subflow *sf;
	struct fp_plan *p;

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("local");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, fp_topo_find(t, "h0.n0"), fp_topo_find(t, "h0.n1"), 3 << 20, 0);
	fp_sched_add(s, 0, fp_topo_find(t, "h0.n0"), fp_topo_find(t, "h2.n0"), 3u << 30, 0);
	fp_sched_add(s, 0, fp_topo_find(t, "h1.n0"), fp_topo_find(t, "h3.n0"), 1u << 30, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_int_not_equal(p->ph[0].method, FP_METHOD_EXACT);
	assert_int_equal(p->ph[0].flows[0].n, 1);
	sf = &p->ph[0].subs[p->ph[0].flows[0].first];
	assert_int_equal(sf->path, FP_PATH_NONE);
	assert_int_equal(sf->flow_label, 0);
	assert_int_equal(sf->sport, 0);
	assert_conserved(p);
	assert_ports_route(p);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * The exact method takes fabrics of up to 2048 leaves (its leaf-by-leaf
 * matrix), larger ones go to the general method: one flow leaf0 -> leaf1
 * on 2048 and on 2049 leaves.
 */
static void test_exact_leaf_limit(void **state)
{
	int leaves;

	(void)state;
	for (leaves = 2048; leaves <= 2049; leaves++) {
		char spec[64];
		struct fp_topo *t;
		struct fp_sched *s;
		struct fp_plan *p;
		static const int fl[][3] = { { 0, 1, 64 } };

		snprintf(spec, sizeof(spec), "leafspine:leaves=%d,spines=2,hosts=1", leaves);
		t = gen_topo(spec);
		s = flows_of(t, fl, 1);
		p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
		if (leaves == 2048)
			assert_int_equal(p->ph[0].method, FP_METHOD_EXACT);
		else
			assert_int_not_equal(p->ph[0].method, FP_METHOD_EXACT);
		assert_conserved(p);
		fp_plan_free(p);
		fp_sched_free(s);
		fp_topo_free(t);
	}
}

/*
 * The exact method asks equal bytes only of the flows that cross the
 * fabric: a flow within one leaf of another size does not turn it away.
 * 2 flows of 1 GiB from leaf0 to leaf1, 2 spines, and 5 MiB from h2 to h0
 * (both on leaf0): one flow per spine, at the host links' bound.
 */
static void test_exact_ignores_leaf_local_flows(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=3");
	struct fp_sched *s = calloc(1, sizeof(*s));
	const double want = 8.0 * (1 << 30) / 100e9;
	struct fp_plan *p;

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("local");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[3].first_nic, 1 << 30, 0);
	fp_sched_add(s, 0, t->hosts[1].first_nic, t->hosts[4].first_nic, 1 << 30, 0);
	fp_sched_add(s, 0, t->hosts[2].first_nic, t->hosts[0].first_nic, 5 << 20, 0);
	assert_int_equal(t->nodes[t->hosts[2].first_nic].leaf, t->nodes[t->hosts[0].first_nic].leaf);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_int_equal(p->ph[0].method, FP_METHOD_EXACT);
	assert_int_equal(p->ph[0].split_flows, 0);
	assert_true(fabs(p->ph[0].max_load - want) <= 1e-12 * want);
	assert_conserved(p);
	assert_ports_route(p);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Exact bins whole when whole bins meet the host links' bound exactly:
 * 3 flows of 1 GiB from one leaf's 3 hosts (100G) to the other's, 2 spines
 * at 200G. Delta = 3 flows per leaf, so whole bins hold ceil(3/2) = 2 flows:
 * 2 GiB over 200G, just what each 1 GiB takes over its 100G host link.
 * Nothing needs splitting; every spine link stays at the bound.
 */
static void test_exact_whole_at_host_bound(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=3,up_gbps=200");
	struct fp_sched *s = calloc(1, sizeof(*s));
	const double want = 8.0 * (1 << 30) / 100e9;
	struct fp_plan *p;
	size_t i;

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("equal");
	fp_sched_job(s, "j0");
	for (i = 0; i < 3; i++)
		fp_sched_add(s, 0, t->hosts[i].first_nic, t->hosts[3 + i].first_nic, 1 << 30, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_int_equal(p->ph[0].method, FP_METHOD_EXACT);
	assert_int_equal(p->ph[0].split_flows, 0);
	assert_true(fabs(p->ph[0].lower_bound - want) <= 1e-12 * want);
	assert_true(fabs(p->ph[0].max_load - want) <= 1e-12 * want);
	assert_conserved(p);
	assert_ports_route(p);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Unequal flows whose fractional solution spreads over both spines but
 * which also fit whole: 3, 2, 2 and 1 GiB from leaf0's hosts to leaf1's, 2
 * spines. The leaf cut makes 4 GiB per spine the bound; 3 + 1 and 2 + 2
 * meet it, so no flow is split and no spine carries more than 4 GiB.
 */
static void test_general_whole_when_they_fit(void **state)
{
	static const unsigned int gib[] = { 3, 2, 2, 1 };
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=4");
	struct fp_sched *s = calloc(1, sizeof(*s));
	const double want = 4.0 * 8 * (1 << 30) / 100e9;
	struct fp_plan *p;
	size_t i;

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("unequal");
	fp_sched_job(s, "j0");
	for (i = 0; i < 4; i++)
		fp_sched_add(s, 0, t->hosts[i].first_nic, t->hosts[4 + i].first_nic,
			     (uint64_t)gib[i] << 30, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_int_not_equal(p->ph[0].method, FP_METHOD_EXACT);
	assert_int_equal(p->ph[0].split_flows, 0);
	assert_true(fabs(p->ph[0].lower_bound - want) <= 1e-12 * want);
	assert_true(p->ph[0].max_load <= want * (1 + 1e-9));
	assert_conserved(p);
	assert_ports_route(p);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * fp_mcf_restrict keeps the paths the solution gives the most bytes: of
 * four paths carrying 1, 2, 3 and 4 bytes (in that order), restricted to
 * two, paths 3 and 2 stay, with the 10 bytes moved there in proportion.
 */
static void test_mcf_restrict_keeps_busiest(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=4,hosts=1");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_mcf m;
	struct fp_mcf_com *c;
	struct fp_err err;
	int k;

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("one");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[1].first_nic, 10, 0);
	assert_int_equal(fp_mcf_init(&m, t, &s->ph[0], NULL, 8, &err), 0);
	assert_int_equal(m.nc, 1);
	c = &m.c[0];
	assert_int_equal(c->ps.n, 4);
	free(c->sup);
	c->sup = calloc(4, sizeof(*c->sup));
	assert_non_null(c->sup);
	c->capsup = c->nsup = 4;
	for (k = 0; k < 4; k++)
		c->sup[k] = (struct fp_mcf_path){ (uint16_t)k, k + 1.0 };
	fp_mcf_restrict(&m, c, 2);
	assert_int_equal(c->nsup, 2);
	assert_int_equal(c->nallowed, 2);
	assert_int_equal(c->allowed[0], 2);
	assert_int_equal(c->allowed[1], 3);
	assert_int_equal(c->sup[0].path, 3);
	assert_int_equal(c->sup[1].path, 2);
	assert_true(fabs(c->sup[0].x - 40.0 / 7) < 1e-12);
	assert_true(fabs(c->sup[1].x - 30.0 / 7) < 1e-12);
	fp_mcf_free(&m);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A commodity whose flows do not go whole leaves the links as it found
 * them for the next. Leaf-spine, 2 spines: A (leaf0 -> leaf1: 3, 3 and 2
 * GiB) and B (leaf0 -> leaf2: 2, 2, 1 and 1 GiB), their fractional
 * solution 4 + 4 and 3 + 3 GiB over the spines, the target 7 GiB on each
 * of leaf0's uplinks. A does not go whole (3 + 3 + 2 into 4 + 4, and after
 * 3 and 3 there is no room for 2); B does, 2 + 1 on each spine: none of
 * its flows is split, and no uplink carries more than 7 GiB.
 */
static void test_unsplit_after_a_commodity_that_does_not_fit(void **state)
{
	static const struct {
		const char *src, *dst;
		unsigned int gib;
	} fl[] = {
		{ "h0.n0", "h4.n0", 3 }, { "h1.n0", "h5.n0", 3 }, { "h2.n0", "h6.n0", 2 },
		{ "h3.n0", "h8.n0", 2 }, { "h0.n0", "h9.n0", 2 }, { "h1.n0", "h10.n0", 1 },
		{ "h2.n0", "h11.n0", 1 },
	};
	const double gib = 1 << 30;
	struct fp_topo *t = gen_topo("leafspine:leaves=3,spines=2,hosts=4");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan_phase pp = { 0 };
	double on[2] = { 0, 0 };
	struct fp_mcf m;
	struct fp_err err;
	size_t i, k;

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("two");
	fp_sched_job(s, "j0");
	for (i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		fp_sched_add(s, 0, fp_topo_find(t, fl[i].src), fp_topo_find(t, fl[i].dst),
			     (uint64_t)fl[i].gib << 30, 0);
	assert_int_equal(fp_mcf_init(&m, t, &s->ph[0], NULL, 8, &err), 0);
	assert_int_equal(m.nc, 2);
	for (k = 0; k < 2; k++) {
		struct fp_mcf_com *c = &m.c[k];

		/* c[0] is A (leaf pair 0 -> 1), c[1] B (0 -> 2) */
		assert_int_equal(c->nflows, k ? 4 : 3);
		assert_int_equal(c->ps.n, 2);
		free(c->sup);
		c->sup = calloc(2, sizeof(*c->sup));
		assert_non_null(c->sup);
		c->capsup = c->nsup = 2;
		c->sup[0] = (struct fp_mcf_path){ 0, (k ? 3 : 4) * gib };
		c->sup[1] = (struct fp_mcf_path){ 1, (k ? 3 : 4) * gib };
	}
	fp_mcf_account(&m);
	assert_true(fabs(m.lambda - 7 * gib / (100e9 / 8)) <= 1e-12 * m.lambda);
	pp.flows = calloc(s->ph[0].n, sizeof(*pp.flows));
	assert_non_null(pp.flows);
	assert_int_equal(fp_mcf_emit(&m, &pp, NULL, 8, m.lambda, &err), 0);
	for (i = 0; i < s->ph[0].n; i++) {
		uint64_t sum = 0;

		if (i >= 3)
			assert_int_equal(pp.flows[i].n, 1);	/* B: whole */
		for (k = 0; k < pp.flows[i].n; k++) {
			const struct fp_plan_subflow *sf = &pp.subs[pp.flows[i].first + k];

			assert_true(sf->path < 2);
			on[sf->path] += (double)sf->bytes;
			sum += sf->bytes;
		}
		assert_int_equal(sum, s->ph[0].flows[i].bytes);
	}
	assert_true(on[0] <= 7 * gib * (1 + 1e-4) && on[1] <= 7 * gib * (1 + 1e-4));
	free(pp.flows);
	free(pp.subs);
	fp_mcf_free(&m);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Gradient projection stops once it is as sharp as it gets and has not
 * improved for a while, even when the tolerance asked for is out of reach
 * (1e-12 here): it does not run all the sweeps it may. As sharp as it gets
 * is a sharpness of 1e6 however small the tolerance (4 ln(links + 2) / tol
 * would be about 2e13 here): from 8, x1.3 a sweep, 45 sweeps reach it, and
 * 25 without a gain end the run (it takes 63); without the cap the
 * sharpening alone would take 108.
 */
static void test_gp_stops_when_stalled(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=4,up_gbps=50,fail=agg0.0-core0");
	struct fp_sched *s = gen_sched("alltoall:bytes=64M", t);
	struct fp_err err;
	struct fp_mcf m;

	(void)state;
	assert_int_equal(fp_mcf_init(&m, t, &s->ph[0], NULL, 8, &err), 0);
	fp_mcf_greedy(&m);
	m.bound = 0;
	fp_mcf_gp(&m, 1e-12, 2000);
	assert_true(m.lambda > m.bound * (1 + 1e-12));	/* the tolerance was not met */
	/* its last gain (sweep 38) counts: not 46, where the sharpening ends */
	assert_true(m.iters >= 60 && m.iters < 100);
	fp_mcf_free(&m);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Gradient projection keeps each commodity within its path limit: with
 * one subflow a flow and one flow a commodity (one host a leaf), every
 * commodity keeps the one path the greedy routing gave it (a commodity at
 * its limit moves bytes only among the paths it has); with two, it uses
 * at most two and the load falls below the greedy routing's.
 */
static void test_gp_within_the_limit(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=8,spines=4,hosts=1,fail=leaf0-spine1+leaf3-spine2");
	struct fp_sched *s = gen_sched("alltoall:bytes=1G", t);
	int max_split;

	(void)state;
	for (max_split = 1; max_split <= 2; max_split++) {
		struct fp_err err;
		struct fp_mcf m;
		double greedy;
		uint16_t *path;
		size_t c;

		assert_int_equal(fp_mcf_init(&m, t, &s->ph[0], NULL, max_split, &err), 0);
		assert_int_equal(m.nc, 8 * 7);
		fp_mcf_greedy(&m);
		greedy = m.lambda;
		path = calloc(m.nc, sizeof(*path));
		assert_non_null(path);
		for (c = 0; c < m.nc; c++) {
			assert_int_equal(m.c[c].nflows, 1);
			assert_int_equal(m.c[c].limit, max_split);
			assert_int_equal(m.c[c].nsup, 1);
			path[c] = m.c[c].sup[0].path;
		}
		m.bound = 0;
		fp_mcf_gp(&m, 1e-4, 400);
		for (c = 0; c < m.nc; c++) {
			assert_true(m.c[c].nsup >= 1 && m.c[c].nsup <= max_split);
			if (max_split == 1)
				assert_int_equal(m.c[c].sup[0].path, path[c]);
		}
		if (max_split == 1)
			assert_true(m.lambda == greedy);
		else
			assert_true(m.lambda < greedy * 0.9);
		free(path);
		fp_mcf_free(&m);
	}
	fp_sched_free(s);
	fp_topo_free(t);
}

/* The allowed paths of the one commodity of @s under @text, a port map. */
static void assert_allowed(struct fp_topo *t, const struct fp_sched *s, const char *text,
			   size_t rows, const char *const *spine, int n)
{
	struct fp_portmap *pm;
	struct fp_err err;
	struct fp_mcf m;
	int k;

	assert_int_equal(fp_portmap_parse(text, "pm", t, &pm, &err), 0);
	assert_int_equal(pm->n, rows);
	assert_int_equal(fp_mcf_init(&m, t, &s->ph[0], pm, 8, &err), 0);
	assert_int_equal(m.nc, 1);
	assert_int_equal(m.c[0].ps.n, 4);
	assert_int_equal(m.c[0].nallowed, n);
	for (k = 0; k < n; k++) {
		const struct fp_path *q = &m.c[0].ps.p[m.c[0].allowed[k]];

		assert_string_equal(t->nodes[t->links[q->link[0]].to].name, spine[k]);
	}
	fp_mcf_free(&m);
	fp_portmap_free(pm);
}

/* @text's rows over spines 1 and 3 alone (in place). */
static void keep_spines_1_3(char *text)
{
	char *w, *r, *eol;

	for (r = w = text; *r; r = eol) {
		eol = strchr(r, '\n');
		eol = eol ? eol + 1 : r + strlen(r);
		if (*r == '#' || memmem(r, (size_t)(eol - r), ",spine1,", 8) ||
		    memmem(r, (size_t)(eol - r), ",spine3,", 8)) {
			memmove(w, r, (size_t)(eol - r));
			w += eol - r;
		}
	}
	*w = 0;
}

/*
 * A commodity's allowed paths under a port map are the paths the map has
 * ports on, each once, in path order, however many ports it has for each
 * and whether it has more rows than the pair has paths or not. The pair
 * has 4 paths, one a spine.
 */
static void test_mcf_mapped_paths(void **state)
{
	static const char *const all[] = { "spine0", "spine1", "spine2", "spine3" };
	static const char *const odd[] = { "spine1", "spine3" };
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=4,hosts=1");
	struct fp_sched *s = calloc(1, sizeof(*s));
	char *text;

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("one");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[1].first_nic, 10, 0);
	/* a port a path: 4 rows */
	text = pm_from_model(t, s, 1);
	assert_allowed(t, s, text, 4, all, 4);
	free(text);
	/* 2 a path on spines 1 and 3: 4 rows, 2 paths */
	text = pm_from_model(t, s, 2);
	keep_spines_1_3(text);
	assert_allowed(t, s, text, 4, odd, 2);
	free(text);
	/* 8 a path: 32 rows; on spines 1 and 3, 16 */
	text = pm_from_model(t, s, 8);
	assert_allowed(t, s, text, 32, all, 4);
	keep_spines_1_3(text);
	assert_allowed(t, s, text, 16, odd, 2);
	free(text);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * The method a phase asks for: left to choose, a problem of more rows than
 * the simplex method takes by itself (700: here 552 leaf pairs and 382
 * links) goes to gradient projection; asked for the LP, the simplex method
 * takes up to four times that, and its vertex is at the bound; asked for
 * GP, GP.
 */
static void test_method_asked(void **state)
{
	static const int want[] = { FP_METHOD_NONE, FP_METHOD_LP, FP_METHOD_GP };
	static const int got[] = { FP_METHOD_GP, FP_METHOD_LP, FP_METHOD_GP };
	struct fp_topo *t = gen_topo("leafspine:leaves=24,spines=8,hosts=1,up_gbps=10,fail=leaf0-spine1");
	struct fp_sched *s = gen_sched("alltoall:bytes=1G", t);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .generation = 1,
					  .method = want[i] };
		struct fp_plan *p;
		struct fp_err err;

		assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
		assert_int_equal(p->ph[0].method, got[i]);
		if (got[i] == FP_METHOD_LP)
			assert_true(p->ph[0].max_load <= p->ph[0].lower_bound * (1 + 1e-8));
		else
			assert_true(p->ph[0].max_load <= p->ph[0].lower_bound * (1 + 1e-3));
		assert_conserved(p);
		fp_plan_free(p);
	}
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Bytes are conserved where shares round in double: one flow of 2^62 - 1
 * bytes (2^62 as a double) over two live spines, each carrying half: the
 * halves round to 2^61 each, one byte more than the flow has, and the
 * second subflow takes what is left (2^61 - 1).
 */
static void test_huge_flow_conserved(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=3,hosts=1,up_gbps=50,fail=leaf0-spine2");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .generation = 1 };
	const uint64_t bytes = (1ull << 62) - 1;
	struct fp_plan *p;
	struct fp_err err;
	size_t k;

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("huge");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[1].first_nic, bytes, 0);
	if (fp_plan_compute(t, s, &o, &p, &err))
		fail_msg("plan: %s", err.msg);
	assert_int_not_equal(p->ph[0].method, FP_METHOD_EXACT);
	assert_int_equal(p->ph[0].flows[0].n, 2);
	for (k = 0; k < 2; k++) {
		uint64_t b = p->ph[0].subs[p->ph[0].flows[0].first + k].bytes;

		assert_true(b == 1ull << 61 || b == (1ull << 61) - 1);
	}
	assert_conserved(p);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * The leaf cuts bound a single byte too: one byte from leaf0 (one live
 * 10 Gbit/s uplink) to leaf1 (two) takes 1 / 10 Gbit/s = 0.8 ns at least;
 * leaf1's way in (0.4 ns) and the host links (0.08 ns) bound it less.
 */
static void test_bound_one_byte(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1,up_gbps=10,fail=leaf0-spine1");
	struct fp_sched *s = calloc(1, sizeof(*s));

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("byte");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[1].first_nic, 1, 0);
	assert_true(fabs(fp_phase_lower_bound(t, &s->ph[0], NULL) / (8 / 10e9) - 1) < 1e-12);
	fp_sched_free(s);
	fp_topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_meets_spraying_bound),
		cmocka_unit_test(test_exact_last_label),
		cmocka_unit_test(test_exact_meets_spraying_bound_v6),
		cmocka_unit_test(test_general_at_the_bound),
		cmocka_unit_test(test_general_at_the_bound_v6),
		cmocka_unit_test(test_v6_twin_same_loads),
		cmocka_unit_test(test_mixed_speeds),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_entries_round_trip),
		cmocka_unit_test(test_plan_json_paths_and_loads),
		cmocka_unit_test(test_entries_round_trip_v6),
		cmocka_unit_test(test_portmap_plan),
		cmocka_unit_test(test_portmap_plan_v6),
		cmocka_unit_test(test_portmap_many_ports),
		cmocka_unit_test(test_unreachable_is_an_error),
		cmocka_unit_test(test_ecmp_strategies),
		cmocka_unit_test(test_ecmp_strategies_v6),
		cmocka_unit_test(test_wide_groups),
		cmocka_unit_test(test_bound_parts),
		cmocka_unit_test(test_dual_bound_lengths),
		cmocka_unit_test(test_mcf_sort),
		cmocka_unit_test(test_duals_prove),
		cmocka_unit_test(test_host_bound_no_split),
		cmocka_unit_test(test_tight_cap),
		cmocka_unit_test(test_room_first_cut),
		cmocka_unit_test(test_strategy_names),
		cmocka_unit_test(test_partial_plan),
		cmocka_unit_test(test_partial_plan_nothing_routable),
		cmocka_unit_test(test_dual_stack_one_host_link),
		cmocka_unit_test(test_same_host_flows),
		cmocka_unit_test(test_exact_whole_at_host_bound),
		cmocka_unit_test(test_exact_ignores_leaf_local_flows),
		cmocka_unit_test(test_exact_leaf_limit),
		cmocka_unit_test(test_ecmp_follows_portmap),
		cmocka_unit_test(test_general_same_host_no_port),
		cmocka_unit_test(test_general_whole_when_they_fit),
		cmocka_unit_test(test_mcf_restrict_keeps_busiest),
		cmocka_unit_test(test_unsplit_after_a_commodity_that_does_not_fit),
		cmocka_unit_test(test_gp_stops_when_stalled),
		cmocka_unit_test(test_gp_within_the_limit),
		cmocka_unit_test(test_mcf_mapped_paths),
		cmocka_unit_test(test_method_asked),
		cmocka_unit_test(test_huge_flow_conserved),
		cmocka_unit_test(test_bound_one_byte),
	};

	return cmocka_run_group_tests_name("planner_plan", tests, NULL, NULL);
}
