// SPDX-License-Identifier: MIT
/*
 * Background flows (docs/formats.md "Background flows"): traffic nobody can
 * pin (DEVX and GPU-initiated QPs, what the interposer reports as unpinned)
 * is fixed load on the links ECMP gives it. The planner places its flows
 * around it, the lower bound counts it, bad input is refused by name.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "planner/util.h"
#include "planner_util.h"

#define GIB	(1ull << 30)

static struct fp_sched *parse(struct fp_topo *t, const char *text)
{
	struct fp_sched *s = NULL;
	struct fp_err err = { "" };

	if (fp_sched_parse(text, strlen(text), "bg", t, &s, &err))
		fail_msg("schedule: %s", err.msg);
	return s;
}

/* The directed link from node @a to node @b. */
static int link_of(const struct fp_topo *t, const char *a, const char *b)
{
	int l;

	for (l = 0; l < t->nlinks; l++)
		if (!strcmp(t->nodes[t->links[l].from].name, a) &&
		    !strcmp(t->nodes[t->links[l].to].name, b))
			return l;
	fail_msg("no link %s -> %s", a, b);
	return -1;
}

/* A port the hash model sends from @src to @dst through @spine. */
static int port_via(struct fp_topo *t, const char *src, const char *dst, const char *spine)
{
	int s = fp_topo_find(t, src), d = fp_topo_find(t, dst), port, h;
	struct fp_pathset ps = fp_topo_paths(t, t->nodes[s].leaf, t->nodes[d].leaf);

	for (port = 0xC001; port <= 0xFFFF; port++) {
		int p = fp_topo_route(t, s, d, (uint16_t)port);

		for (h = 0; p >= 0 && h < ps.p[p].len; h++)
			if (!strcmp(t->nodes[t->links[ps.p[p].link[h]].to].name, spine))
				return port;
	}
	fail_msg("no port takes %s -> %s through %s", src, dst, spine);
	return -1;
}

/*
 * 2 leaves, 2 spines, 100G everywhere. Two planned flows of 1 GiB from leaf0
 * to leaf1 and 1 GiB of background pinned (by its port) through spine0:
 * without the background the plan puts 1 GiB on each spine; with it, the
 * planned bytes move to spine1 until both carry 1.5 GiB, which is the leaf
 * cut with the background counted: the bound is met.
 */
static void test_steers_around_known_port(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=4");
	char text[1024];
	struct fp_sched *s, *plain;
	struct fp_plan *p, *q;
	int up0 = link_of(t, "leaf0", "spine0"), up1 = link_of(t, "leaf0", "spine1");
	int port = port_via(t, "h0.n0", "h4.n0", "spine0");
	double want = 3.0 * GIB / 2 / (100e9 / 8);

	(void)state;
	snprintf(text, sizeof(text),
		 "{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		 "{\"src\":\"h1.n0\",\"dst\":\"h5.n0\",\"bytes\":%llu},"
		 "{\"src\":\"h2.n0\",\"dst\":\"h6.n0\",\"bytes\":%llu},"
		 "{\"src\":\"h0.n0\",\"dst\":\"h4.n0\",\"bytes\":%llu,\"background\":true,\"sport\":%d}]}]}",
		 GIB, GIB, GIB, port);
	s = parse(t, text);
	assert_int_equal(s->ph[0].n, 2);
	assert_int_equal(s->ph[0].nbg, 1);
	assert_int_equal(s->ph[0].bg[0].sport, port);

	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 1);
	assert_conserved(p);
	assert_non_null(p->ph[0].bg_bytes);
	/* The background is where its port takes it, all of it. */
	assert_true(p->ph[0].bg_bytes[up0] == (double)GIB);
	assert_true(p->ph[0].bg_bytes[up1] == 0);
	/* Exact matchings know nothing of fixed load: the general method plans. */
	assert_int_not_equal(p->ph[0].method, FP_METHOD_EXACT);
	/* The planned bytes went to spine1: both uplinks carry 1.5 GiB. */
	assert_true(p->ph[0].link_bytes[up0] - p->ph[0].bg_bytes[up0] <
		    p->ph[0].link_bytes[up1] - p->ph[0].bg_bytes[up1]);
	assert_true(fabs(p->ph[0].lower_bound - want) <= want * 1e-9);
	assert_true(p->ph[0].max_load >= p->ph[0].lower_bound * (1 - 1e-9));
	assert_true(p->ph[0].max_load <= p->ph[0].lower_bound * (1 + 1e-3));
	/* Every planned subflow's port takes its path (none labelled 0). */
	{
		size_t j, k;

		for (j = 0; j < s->ph[0].n; j++)
			for (k = 0; k < p->ph[0].flows[j].n; k++) {
				const struct fp_plan_subflow *sf =
					&p->ph[0].subs[p->ph[0].flows[j].first + k];

				assert_true(sf->flow_label >= 1);
				assert_int_equal(fp_topo_route(t, s->ph[0].flows[j].src,
							       s->ph[0].flows[j].dst, sf->sport),
						 sf->path);
			}
	}

	/* The same flows without the background: 1 GiB per spine. */
	snprintf(text, sizeof(text),
		 "{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		 "{\"src\":\"h1.n0\",\"dst\":\"h5.n0\",\"bytes\":%llu},"
		 "{\"src\":\"h2.n0\",\"dst\":\"h6.n0\",\"bytes\":%llu}]}]}", GIB, GIB);
	plain = parse(t, text);
	q = do_plan(t, plain, FP_STRAT_FLOWPLAN, 0, 1);
	assert_null(q->ph[0].bg_bytes);
	assert_true(q->ph[0].link_bytes[up0] == (double)GIB);
	assert_true(q->ph[0].link_bytes[up1] == (double)GIB);
	fp_plan_free(q);
	fp_sched_free(plain);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* A flow between pods, and 4096 background bytes h1 -> h15 on no known port. */
static const char unknown_port_sched[] =
	"{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
	"{\"src\":\"h0.n0\",\"dst\":\"h4.n0\",\"bytes\":1000},"
	"{\"src\":\"h1.n0\",\"dst\":\"h15.n0\",\"bytes\":4096,\"background\":true}]}]}";

/*
 * Port unknown: ECMP's expectation, an even split at every switch. On a
 * k=4 fat-tree a flow between pods reaches each of the 4 cores with a
 * quarter of its bytes, each of its leaf's 2 uplinks with half.
 */
static void test_unknown_port_expected_split(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=4");
	struct fp_sched *s = parse(t, unknown_port_sched);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 1);
	int src = fp_topo_find(t, "h1.n0"), dst = fp_topo_find(t, "h15.n0");
	int sl = t->nodes[src].leaf, l, cores = 0, ups = 0;
	const double *bg = p->ph[0].bg_bytes;

	(void)state;
	assert_int_equal(s->ph[0].bg[0].sport, 0);
	assert_non_null(bg);
	assert_true(bg[t->nodes[src].up_link] == 4096);
	assert_true(bg[t->nodes[dst].down_link] == 4096);
	for (l = 0; l < t->nlinks; l++) {
		const struct fp_node *a = &t->nodes[t->links[l].from];
		const struct fp_node *z = &t->nodes[t->links[l].to];

		if (bg[l] <= 0)
			continue;
		if (t->links[l].from == sl && z->tier == 2) {
			assert_true(bg[l] == 2048);
			ups++;
		}
		if (a->tier == 2 && z->tier == 3) {
			assert_true(bg[l] == 1024);
			cores++;
		}
	}
	assert_int_equal(ups, 2);
	assert_int_equal(cores, 4);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * The even split is per switch, not per path: with agg0.0-core0 failed,
 * leaf0 still gives each of its 2 aggregation switches half of the bytes;
 * agg0.0 has 1 core left, which takes that half, agg0.1 2, a quarter each.
 */
static void test_unknown_port_split_per_switch(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=4,fail=agg0.0-core0");
	struct fp_sched *s = parse(t, unknown_port_sched);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 1);
	int a0 = fp_topo_find(t, "agg0.0"), a1 = fp_topo_find(t, "agg0.1");
	int sl = t->nodes[fp_topo_find(t, "h1.n0")].leaf, l, cores = 0;
	const double *bg = p->ph[0].bg_bytes;

	(void)state;
	assert_non_null(bg);
	assert_true(bg[fp_topo_link(t, sl, a0)] == 2048);
	assert_true(bg[fp_topo_link(t, sl, a1)] == 2048);
	for (l = 0; l < t->nlinks; l++) {
		if (t->nodes[t->links[l].to].tier != 3 || bg[l] <= 0)
			continue;
		assert_true(bg[l] == (t->links[l].from == a0 ? 2048 : 1024));
		cores++;
	}
	assert_int_equal(cores, 3);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Random fabrics, all-to-all plus background of known and unknown ports:
 * every strategy's max load (background included) is at least the bound
 * computed with the background, and flowplan's is within 5% of it.
 */
static void test_bound_with_background(void **state)
{
	static const enum fp_strategy st[] = { FP_STRAT_ECMP, FP_STRAT_ECMPK, FP_STRAT_SPRAY,
					       FP_STRAT_FLOWPLAN };
	uint64_t rng = 11;
	int c;

	(void)state;
	for (c = 0; c < 12; c++) {
		char spec[128];
		struct fp_topo *t;
		struct fp_sched *s;
		size_t i, k;
		int nbg = 1 + (int)(fp_rand64(&rng) % 6);

		snprintf(spec, sizeof(spec), "leafspine:leaves=%d,spines=%d,hosts=2%s",
			 2 + (int)(fp_rand64(&rng) % 3), 2 + (int)(fp_rand64(&rng) % 3),
			 c % 3 == 2 ? ",up_gbps=40" : "");
		t = gen_topo(spec);
		s = gen_sched("alltoall:bytes=64M", t);
		for (i = 0; i < (size_t)nbg; i++) {
			int a = t->hosts[fp_rand64(&rng) % (uint64_t)t->nhosts].first_nic;
			int b = t->hosts[fp_rand64(&rng) % (uint64_t)t->nhosts].first_nic;

			if (a == b)
				continue;
			fp_sched_add_background(s, 0, a, b, 1 + fp_rand64(&rng) % (32ull << 20),
						(int)(fp_rand64(&rng) % 2 ?
						      0xC000 + 1 + fp_rand64(&rng) % 0x3fff : 0));
		}
		for (k = 0; k < sizeof(st) / sizeof(st[0]); k++) {
			struct fp_plan *p = do_plan(t, s, st[k], 4, (uint64_t)c);

			assert_conserved(p);
			if (p->ph[0].max_load < p->ph[0].lower_bound * (1 - 1e-9))
				fail_msg("%s %s: max load %g below the bound %g", spec,
					 fp_strategy_name(st[k]), p->ph[0].max_load,
					 p->ph[0].lower_bound);
			if (st[k] == FP_STRAT_FLOWPLAN &&
			    p->ph[0].max_load > p->ph[0].lower_bound * 1.05)
				fail_msg("%s: flowplan's max load %g is %.3f x the bound %g", spec,
					 p->ph[0].max_load, p->ph[0].max_load / p->ph[0].lower_bound,
					 p->ph[0].lower_bound);
			fp_plan_free(p);
		}
		fp_sched_free(s);
		fp_topo_free(t);
	}
}

/* The plan file names the background: per phase, and per link. */
static void test_plan_json_and_round_trip(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	const char *text =
		"{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		"{\"src\":\"h0.n0\",\"dst\":\"h2.n0\",\"bytes\":1000},"
		"{\"src\":\"h1.n0\",\"dst\":\"h3.n0\",\"bytes\":500,\"background\":true,\"sport\":65472},"
		"{\"src\":\"h0.n0\",\"dst\":\"h1.n0\",\"bytes\":7,\"background\":true}]},"
		"{\"name\":\"only\",\"flows\":["
		"{\"src\":\"h2.n0\",\"dst\":\"h0.n0\",\"bytes\":9,\"background\":true,\"sport\":65535}]}]}";
	struct fp_sched *s = parse(t, text), *u;
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 1);
	char *j = fp_plan_to_json(p, false, true), *a, *b;
	struct fp_err err = { "" };

	(void)state;
	assert_non_null(strstr(j, "\"background_flows\":2"));
	assert_non_null(strstr(j, "\"background_flows\":1"));
	assert_non_null(strstr(j, "\"background_bytes\":500"));
	free(j);
	/* A phase of background only plans nothing and carries its bytes. */
	assert_int_equal(s->ph[1].n, 0);
	assert_true(p->ph[1].max_load > 0);
	/* The writer's output reads back the same. */
	a = fp_sched_to_json(s, t, 0);
	assert_int_equal(fp_sched_parse(a, strlen(a), "rt", t, &u, &err), 0);
	assert_int_equal(u->ph[0].nbg, 2);
	assert_int_equal(u->ph[0].bg[0].sport, 65472);
	assert_int_equal(u->ph[0].bg[1].sport, 0);
	assert_int_equal(u->ph[1].bg[0].sport, 65535);	/* the last port there is */
	b = fp_sched_to_json(u, t, 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	fp_sched_free(u);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Over a failed host link it carries nothing; across a cut fabric it is
 * refused, or in a partial plan carries nothing too.
 */
static void test_failed_links(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2,fail=h1.n0-leaf0");
	struct fp_topo *cut = gen_topo("leafspine:leaves=2,spines=2,hosts=2,"
				       "fail=leaf0-spine0+leaf0-spine1");
	const char *text =
		"{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		"{\"src\":\"h2.n0\",\"dst\":\"h3.n0\",\"bytes\":1000},"
		"{\"src\":\"h1.n0\",\"dst\":\"h3.n0\",\"bytes\":500,\"background\":true}]}]}";
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN };
	struct fp_sched *s = parse(t, text), *s2 = parse(cut, text);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 1), *q = NULL;
	struct fp_err err = { "" };
	int l;

	(void)state;
	for (l = 0; l < t->nlinks; l++)
		assert_true(p->ph[0].bg_bytes[l] == 0);
	assert_int_equal(fp_plan_compute(cut, s2, &o, &q, &err), EHOSTUNREACH);
	assert_null(q);
	assert_non_null(strstr(err.msg, "background flow: h1.n0 -> h3.n0: no live path"));
	/* a partial plan: it carries nothing there either, h2 -> h3 is planned */
	o.partial = true;
	assert_int_equal(fp_plan_compute(cut, s2, &o, &q, &err), 0);
	assert_int_equal(q->nunroutable, 0);
	assert_int_equal(q->ph[0].flows[0].n, 1);
	for (l = 0; l < cut->nlinks; l++)
		assert_true(!q->ph[0].bg_bytes || q->ph[0].bg_bytes[l] == 0);
	fp_plan_free(q);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_sched_free(s2);
	fp_topo_free(t);
	fp_topo_free(cut);
}

/*
 * A partial plan (a planned flow cut off with leaf0) carries every
 * background flow that still has a path, the second one too.
 */
static void test_partial_keeps_every_background(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=3,spines=2,hosts=2,"
				     "fail=leaf0-spine0+leaf0-spine1");
	struct fp_sched *s = parse(t,
		"{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		"{\"src\":\"h0.n0\",\"dst\":\"h2.n0\",\"bytes\":1000},"
		"{\"src\":\"h2.n0\",\"dst\":\"h4.n0\",\"bytes\":3000,\"background\":true},"
		"{\"src\":\"h3.n0\",\"dst\":\"h5.n0\",\"bytes\":5000,\"background\":true}]}]}");
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .partial = true };
	struct fp_err err = { "" };
	struct fp_plan *p = NULL;

	(void)state;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	assert_int_equal(p->nunroutable, 1);
	assert_non_null(p->ph[0].bg_bytes);
	assert_true(p->ph[0].bg_bytes[t->nodes[fp_topo_find(t, "h2.n0")].up_link] == 3000);
	assert_true(p->ph[0].bg_bytes[t->nodes[fp_topo_find(t, "h3.n0")].up_link] == 5000);
	assert_true(p->ph[0].bg_bytes[t->nodes[fp_topo_find(t, "h5.n0")].down_link] == 5000);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Background on a link between two switches of one tier (a leaf-to-leaf
 * cable, which a topology file may have) leaves its leaf sideways, not up:
 * it is no part of the leaf's uplink cut. Here 4 GiB of background goes
 * leaf0 -> leaf1 over their 400G cable (their shortest path), the NICs'
 * links are 400G and the uplinks to the spine 100G. Nothing crosses an
 * uplink, so the bound is the host links' (and the cable's): 4 GiB over
 * 400G, what the plan carries, not 4 GiB over the 100G uplink.
 */
static void test_background_sideways(void **state)
{
	static const char topo[] =
		"{\"format\":\"flowplan-topology\",\"version\":1,\"switches\":["
		"{\"name\":\"leaf0\",\"tier\":1},{\"name\":\"leaf1\",\"tier\":1},{\"name\":\"spine0\",\"tier\":2}],"
		"\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\"}]},{\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\"}]}],"
		"\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":400},{\"a\":\"h1.n0\",\"b\":\"leaf1\",\"gbps\":400},"
		"{\"a\":\"leaf0\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf1\",\"b\":\"spine0\",\"gbps\":100},"
		"{\"a\":\"leaf0\",\"b\":\"leaf1\",\"gbps\":400}]}";
	const double want = 4.0 * GIB * 8 / 400e9;
	struct fp_topo *t = NULL;
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_err err = { "" };
	struct fp_plan *p;

	(void)state;
	if (fp_topo_parse(topo, strlen(topo), "sideways", &t, &err))
		fail_msg("%s", err.msg);
	assert_non_null(s);
	s->name = fp_xstrdup("bg");
	fp_sched_add_background(s, 0, fp_topo_find(t, "h0.n0"), fp_topo_find(t, "h1.n0"), 4 * GIB, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_true(p->ph[0].bg_bytes[link_of(t, "leaf0", "leaf1")] == 4.0 * GIB);
	assert_true(p->ph[0].bg_bytes[link_of(t, "leaf0", "spine0")] == 0);
	assert_true(fabs(p->ph[0].max_load - want) <= 1e-12 * want);
	assert_true(fabs(p->ph[0].lower_bound - want) <= 1e-12 * want);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A link fails under the background: its switch rehashes it onto what is
 * left, and fp_plan_repair() moves its bytes there before the planned
 * flows are moved, so no load stays on the failed link.
 */
static void test_repair_moves_background(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=3,hosts=2");
	int port = port_via(t, "h0.n0", "h2.n0", "spine0");
	int dead = link_of(t, "leaf0", "spine0"), src = fp_topo_find(t, "h0.n0");
	int dst = fp_topo_find(t, "h2.n0"), p2, l;
	struct fp_plan_repair_stats st;
	struct fp_err err = { "" };
	struct fp_pathset ps;
	struct fp_sched *s;
	struct fp_plan *p;
	double up = 0;
	char text[512];

	(void)state;
	snprintf(text, sizeof(text),
		 "{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		 "{\"src\":\"h1.n0\",\"dst\":\"h3.n0\",\"bytes\":1000000},"
		 "{\"src\":\"h0.n0\",\"dst\":\"h2.n0\",\"bytes\":3000000,\"background\":true,\"sport\":%d}]}]}",
		 port);
	s = parse(t, text);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 1);
	assert_true(p->ph[0].bg_bytes[dead] == 3000000);
	assert_int_equal(fp_plan_repair(p, &dead, 1, NULL, &st, &err), 0);
	assert_true(p->ph[0].bg_bytes[dead] == 0);
	assert_true(p->ph[0].link_bytes[dead] == 0);
	/* Where the hash model now sends its port, all of it. */
	p2 = fp_topo_route(t, src, dst, (uint16_t)port);
	assert_true(p2 >= 0);
	ps = fp_topo_paths(t, t->nodes[src].leaf, t->nodes[dst].leaf);
	assert_true(p->ph[0].bg_bytes[ps.p[p2].link[0]] == 3000000);
	for (l = 0; l < t->nlinks; l++)
		if (t->links[l].from == t->nodes[src].leaf && !t->nodes[t->links[l].to].is_nic)
			up += p->ph[0].bg_bytes[l];
	assert_true(up == 3000000);
	assert_true(p->ph[0].max_load >= p->ph[0].lower_bound * (1 - 1e-9));
	assert_conserved(p);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A pod on the spines only (a topology file may say so; leaves have none):
 * no switch is above a spine, so no pod cut moves, and the bound with
 * background over those spines is the one without the pods. The cuts'
 * accounting skips a leaf that has no pod, on the way down too.
 */
static void test_pods_on_spines_only(void **state)
{
	static const char fmt[] =
		"{\"format\":\"flowplan-topology\",\"version\":1,"
		"\"switches\":[{\"name\":\"leaf0\",\"tier\":1},{\"name\":\"leaf1\",\"tier\":1},"
		"{\"name\":\"spine0\",\"tier\":2%s},{\"name\":\"spine1\",\"tier\":2%s}],"
		"\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\"}]},"
		"{\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\"}]},"
		"{\"name\":\"h2\",\"nics\":[{\"name\":\"h2.n0\"}]}],"
		"\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100},"
		"{\"a\":\"h1.n0\",\"b\":\"leaf0\",\"gbps\":100},"
		"{\"a\":\"h2.n0\",\"b\":\"leaf1\",\"gbps\":100},"
		"{\"a\":\"leaf0\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf0\",\"b\":\"spine1\",\"gbps\":100},"
		"{\"a\":\"leaf1\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf1\",\"b\":\"spine1\",\"gbps\":100}]}";
	const char *sched =
		"{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		"{\"src\":\"h0.n0\",\"dst\":\"h2.n0\",\"bytes\":1000000},"
		"{\"src\":\"h1.n0\",\"dst\":\"h2.n0\",\"bytes\":3000000,\"background\":true}]}]}";
	double bound[2];
	int k;

	(void)state;
	for (k = 0; k < 2; k++) {
		struct fp_topo *t = NULL;
		struct fp_err err = { "" };
		struct fp_sched *s;
		struct fp_plan *p;
		char txt[2048];

		snprintf(txt, sizeof(txt), fmt, k ? ",\"pod\":0" : "", k ? ",\"pod\":1" : "");
		if (fp_topo_parse(txt, strlen(txt), "pods", &t, &err))
			fail_msg("%s", err.msg);
		s = parse(t, sched);
		p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 1);
		bound[k] = p->ph[0].lower_bound;
		fp_plan_free(p);
		fp_sched_free(s);
		fp_topo_free(t);
	}
	assert_true(bound[0] > 0);
	assert_true(bound[1] == bound[0]);
}

/*
 * A failure leaves pod 1 of a k=4 fat-tree 3 of its 4 core links; 16 MB
 * come into the pod from the other pods, 4 MB of them background (on no
 * known port). The repaired phase's bound is the pod's cut, the background
 * counted in: 16 MB over three 100G links (its host links: 5 MB over one).
 */
static void test_repair_pod_cut_with_background(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=4");
	struct fp_sched *s = calloc(1, sizeof(*s));
	static const int from[3] = { -4, 4, 8 };
	int dead = link_of(t, "agg1.0", "core0"), d, k;
	struct fp_plan_repair_stats st;
	struct fp_err err = { "" };
	struct fp_plan *p;

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("into pod 1");
	fp_sched_job(s, "j0");
	/* hosts 4..7 are pod 1's; 3 flows of 1 MB into each, from pods 0, 2, 3 */
	for (d = 4; d < 8; d++)
		for (k = 0; k < 3; k++)
			fp_sched_add(s, 0, t->hosts[d + from[k]].first_nic, t->hosts[d].first_nic,
				     1000000, 0);
	fp_sched_add_background(s, 0, t->hosts[8].first_nic, t->hosts[5].first_nic, 2000000, 0);
	fp_sched_add_background(s, 0, t->hosts[9].first_nic, t->hosts[7].first_nic, 2000000, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 1);
	assert_int_equal(fp_plan_repair(p, &dead, 1, NULL, &st, &err), 0);
	if (fabs(p->ph[0].lower_bound / (16e6 / (3 * 100e9 / 8)) - 1) > 1e-9)
		fail_msg("bound %.9g, not the pod's cut %.9g", p->ph[0].lower_bound,
			 16e6 / (3 * 100e9 / 8));
	assert_true(p->ph[0].max_load >= p->ph[0].lower_bound * (1 - 1e-9));
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Links fail that cut the background's leaves apart (leaf0 loses both its
 * spines): the repair is refused and says which background flow has no
 * path, as fp_plan_compute does; the planned flow (leaf1 -> leaf2) alone
 * would have been repaired.
 */
static void test_repair_cuts_background(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=3,spines=2,hosts=2");
	int dead[2] = { link_of(t, "leaf0", "spine0"), link_of(t, "leaf0", "spine1") };
	struct fp_plan_repair_stats st;
	struct fp_err err = { "" };
	struct fp_sched *s = parse(t,
		"{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		"{\"src\":\"h2.n0\",\"dst\":\"h4.n0\",\"bytes\":1000000},"
		"{\"src\":\"h0.n0\",\"dst\":\"h2.n0\",\"bytes\":3000000,\"background\":true}]}]}");
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 1);

	(void)state;
	assert_int_equal(fp_plan_repair(p, dead, 2, NULL, &st, &err), EHOSTUNREACH);
	if (!strstr(err.msg, "background flow: h0.n0 -> h2.n0: no live path"))
		fail_msg("%s", err.msg);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

#define SH "{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
#define F "{\"src\":\"h0.n0\",\"dst\":\"h2.n0\",\"bytes\":5"
static const struct {
	const char *name, *text, *want;
} bad[] = {
	{ "not a bool", SH F ",\"background\":1}]}]}",
	  "phases[0].flows[0].background: expected true or false" },
	{ "port of a planned flow", SH F ",\"sport\":49153}]}]}",
	  "phases[0].flows[0].sport: only a background flow has a port of its own" },
	{ "port of a flow marked false", SH F ",\"background\":false,\"sport\":49153}]}]}",
	  "only a background flow has a port of its own" },
	{ "port 0", SH F ",\"background\":true,\"sport\":0}]}]}",
	  "sport: expected a UDP port, 1..65535 (leave it out when the port is unknown)" },
	{ "port too large", SH F ",\"background\":true,\"sport\":65536}]}]}",
	  "sport: expected a UDP port, 1..65535" },
	{ "port a string", SH F ",\"background\":true,\"sport\":\"49153\"}]}]}",
	  "sport: expected a UDP port, 1..65535" },
	{ "port a fraction", SH F ",\"background\":true,\"sport\":49153.5}]}]}",
	  "sport: expected a UDP port, 1..65535" },
	{ "job", SH F ",\"background\":true,\"job\":\"j1\"}]}]}",
	  "phases[0].flows[0].job: a background flow belongs to no job" },
	{ "no bytes", SH "{\"src\":\"h0.n0\",\"dst\":\"h2.n0\",\"background\":true}]}]}",
	  "bytes: expected a positive integer" },
	{ "not a NIC", SH "{\"src\":\"h0.n0\",\"dst\":\"leaf1\",\"bytes\":5,\"background\":true}]}]}",
	  "\"leaf1\" is not a NIC" },
	{ "typo", SH F ",\"backgruond\":true}]}]}", "unknown key \"backgruond\"" },
};

static void test_bad_input(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fp_sched *s = NULL;
		struct fp_err err = { "" };
		int rc = fp_sched_parse(bad[i].text, strlen(bad[i].text), "bad", t, &s, &err);

		if (!rc || !strstr(err.msg, bad[i].want))
			fail_msg("case %s: rc %d, error \"%s\", wanted \"%s\"", bad[i].name, rc,
				 err.msg, bad[i].want);
		assert_null(s);
	}
	fp_topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steers_around_known_port),
		cmocka_unit_test(test_unknown_port_expected_split),
		cmocka_unit_test(test_unknown_port_split_per_switch),
		cmocka_unit_test(test_bound_with_background),
		cmocka_unit_test(test_plan_json_and_round_trip),
		cmocka_unit_test(test_failed_links),
		cmocka_unit_test(test_partial_keeps_every_background),
		cmocka_unit_test(test_repair_moves_background),
		cmocka_unit_test(test_repair_cuts_background),
		cmocka_unit_test(test_pods_on_spines_only),
		cmocka_unit_test(test_repair_pod_cut_with_background),
		cmocka_unit_test(test_background_sideways),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
