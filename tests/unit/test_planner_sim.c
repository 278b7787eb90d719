// SPDX-License-Identifier: MIT
/* The flow simulator against hand-computed max-min fair cases. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "planner/svg.h"
#include "planner/util.h"
#include "planner_util.h"

#define GB (1000000000ull)

static struct fp_sim *sim(struct fp_plan *p)
{
	struct fp_sim *s = NULL;
	struct fp_err err;

	assert_int_equal(fp_simulate(p, &s, &err), 0);
	return s;
}

static void assert_close(double got, double want)
{
	if (fabs(got - want) > 1e-9 * want)
		fail_msg("got %.12g, want %.12g", got, want);
}

/* Two flows forced through one 100G uplink share it: 50G each. */
static void test_shared_uplink(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=1,hosts=2");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan *p;
	struct fp_sim *r;

	(void)state;
	s->name = fp_xstrdup("two");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[2].first_nic, GB, 0);
	fp_sched_add(s, 0, t->hosts[1].first_nic, t->hosts[3].first_nic, GB, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	r = sim(p);
	assert_close(r->ph[0].fct[0], 8.0 * GB / 50e9);
	assert_close(r->ph[0].cct, 8.0 * GB / 50e9);
	/* the bound says the same: 2 GB over one 100G link */
	assert_close(p->ph[0].lower_bound, 16.0 * GB / 100e9);
	fp_sim_free(r);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Classic max-min: a: L0->L1, b: L0->L2, c: L1->L2 with L2's downlink at 40G.
 * b and c share 40G (20G each); a takes the 80G left on L0's uplink.
 * a ends at 8 GB/80G = 0.1 s, b and c at 8 GB/20G = 0.4 s.
 */
static void test_max_min(void **state)
{
	const char *txt =
		"{\"format\":\"flowplan-topology\",\"version\":1,\"name\":\"mm\","
		"\"switches\":[{\"name\":\"L0\",\"tier\":1},{\"name\":\"L1\",\"tier\":1},{\"name\":\"L2\",\"tier\":1},"
		"{\"name\":\"S\",\"tier\":2}],"
		"\"hosts\":[{\"name\":\"a\",\"nics\":[{\"name\":\"a0\"}]},{\"name\":\"b\",\"nics\":[{\"name\":\"b0\"}]},"
		"{\"name\":\"c\",\"nics\":[{\"name\":\"c0\"}]},{\"name\":\"x\",\"nics\":[{\"name\":\"x0\"}]},"
		"{\"name\":\"y\",\"nics\":[{\"name\":\"y0\"}]},{\"name\":\"z\",\"nics\":[{\"name\":\"z0\"}]}],"
		"\"links\":[{\"a\":\"a0\",\"b\":\"L0\",\"gbps\":100},{\"a\":\"b0\",\"b\":\"L0\",\"gbps\":100},"
		"{\"a\":\"c0\",\"b\":\"L1\",\"gbps\":100},{\"a\":\"x0\",\"b\":\"L1\",\"gbps\":100},"
		"{\"a\":\"y0\",\"b\":\"L2\",\"gbps\":100},{\"a\":\"z0\",\"b\":\"L2\",\"gbps\":100},"
		"{\"a\":\"L0\",\"b\":\"S\",\"gbps\":100},{\"a\":\"L1\",\"b\":\"S\",\"gbps\":100},"
		"{\"a\":\"L2\",\"b\":\"S\",\"gbps\":40}]}";
	struct fp_topo *t = NULL;
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_err err;
	struct fp_plan *p;
	struct fp_sim *r;

	(void)state;
	assert_int_equal(fp_topo_parse(txt, strlen(txt), "mm", &t, &err), 0);
	s->name = fp_xstrdup("mm");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, fp_topo_find(t, "a0"), fp_topo_find(t, "x0"), GB, 0);
	fp_sched_add(s, 0, fp_topo_find(t, "b0"), fp_topo_find(t, "y0"), GB, 0);
	fp_sched_add(s, 0, fp_topo_find(t, "c0"), fp_topo_find(t, "z0"), GB, 0);
	p = do_plan(t, s, FP_STRAT_ECMP, 0, 0);
	r = sim(p);
	assert_close(r->ph[0].fct[0], 0.1);
	assert_close(r->ph[0].fct[1], 0.4);
	assert_close(r->ph[0].fct[2], 0.4);
	assert_close(r->ph[0].cct, 0.4);
	fp_sim_free(r);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Four flows from four hosts under leaf0 to leaf1 over 2 spines of 100G:
 * spraying and flowplan finish in 4 GB*8/200G; all four on one spine in twice that.
 */
static void test_split_halves_cct(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=4");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan *p, *sp;
	struct fp_sim *r, *rs;
	int i;

	(void)state;
	s->name = fp_xstrdup("x");
	fp_sched_job(s, "j0");
	for (i = 0; i < 4; i++)
		fp_sched_add(s, 0, t->hosts[i].first_nic, t->hosts[4 + i].first_nic, GB, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	sp = do_plan(t, s, FP_STRAT_SPRAY, 0, 0);
	r = sim(p);
	rs = sim(sp);
	assert_close(r->ph[0].cct, 32.0 * GB / 200e9);
	assert_close(rs->ph[0].cct, 32.0 * GB / 200e9);
	fp_sim_free(r);
	fp_sim_free(rs);
	fp_plan_free(p);
	fp_plan_free(sp);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* Phases run one after another: the total is the sum of their CCTs. */
static void test_phases_add_up(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = gen_sched("hd-allreduce:bytes=1G", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	struct fp_sim *r = sim(p);
	double sum = 0;
	size_t i;

	(void)state;
	assert_int_equal(r->nph, 4);
	for (i = 0; i < r->nph; i++) {
		assert_true(r->ph[i].cct > 0);
		/* a phase can never beat its load bound */
		assert_true(r->ph[i].cct >= p->ph[i].lower_bound * (1 - 1e-9));
		sum += r->ph[i].cct;
	}
	assert_close(r->total, sum);
	fp_sim_free(r);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Incast: three senders to one host. Its downlink carries 3 GB at 100G:
 * 0.24 s, and no strategy's simulated CCT may undercut a phase's bound.
 */
static void test_incast(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = calloc(1, sizeof(*s));
	static const enum fp_strategy st[] = { FP_STRAT_ECMP, FP_STRAT_ECMPK, FP_STRAT_SPRAY,
					       FP_STRAT_FLOWPLAN };
	size_t k;

	(void)state;
	s->name = fp_xstrdup("incast");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[3].first_nic, GB, 0);
	fp_sched_add(s, 0, t->hosts[1].first_nic, t->hosts[3].first_nic, GB, 0);
	fp_sched_add(s, 0, t->hosts[2].first_nic, t->hosts[3].first_nic, GB, 0);
	for (k = 0; k < 4; k++) {
		struct fp_plan *p = do_plan(t, s, st[k], 4, 1);
		struct fp_sim *r = sim(p);

		assert_close(r->ph[0].cct, 3 * GB * 8 / 100e9);
		assert_true(r->ph[0].cct >= p->ph[0].lower_bound * (1 - 1e-9));
		fp_sim_free(r);
		fp_plan_free(p);
	}
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Unequal flows, each alone on its links but for one shared uplink: every
 * event reshares only what it touched. Flow a (1 GB) and b (3 GB) share
 * leaf0's one uplink at 50G each until a ends at 0.16 s; b then runs at
 * 100G: 2 GB more, 0.16 s. Flow c (2 GB) is alone elsewhere: 0.16 s.
 */
static void test_unequal_incremental(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=4,spines=1,hosts=2");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan *p;
	struct fp_sim *r;

	(void)state;
	s->name = fp_xstrdup("unequal");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[2].first_nic, GB, 0);
	fp_sched_add(s, 0, t->hosts[1].first_nic, t->hosts[3].first_nic, 3 * GB, 0);
	fp_sched_add(s, 0, t->hosts[4].first_nic, t->hosts[6].first_nic, 2 * GB, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	r = sim(p);
	assert_close(r->ph[0].fct[0], 0.16);
	assert_close(r->ph[0].fct[1], 0.32);
	assert_close(r->ph[0].fct[2], 0.16);
	assert_close(r->ph[0].cct, 0.32);
	fp_sim_free(r);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* Many flows of many sizes: the event count stays the distinct ends. */
static void test_many_unequal(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=8");
	struct fp_sched *s = calloc(1, sizeof(*s));
	uint64_t rng = 5;
	struct fp_plan *p;
	struct fp_sim *r;
	int i, j;

	(void)state;
	s->name = fp_xstrdup("skewed");
	fp_sched_job(s, "j0");
	for (i = 0; i < 64; i++)
		for (j = 0; j < 64; j++)
			if (i != j)
				fp_sched_add(s, 0, t->hosts[i].first_nic, t->hosts[j].first_nic,
					     (1 + fp_rand64(&rng) % 64) << 20, 0);
	p = do_plan(t, s, FP_STRAT_ECMP, 0, 3);
	r = sim(p);
	assert_true(r->ph[0].cct >= p->ph[0].lower_bound * (1 - 1e-9));
	assert_true(r->ph[0].events <= s->ph[0].n);
	fp_sim_free(r);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* The picture: well-formed enough, a panel per strategy, failed links dashed. */
static void test_picture(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=4,fail=agg0.0-core0");
	struct fp_sched *s = gen_sched("alltoall:bytes=64M", t);
	struct fp_plan *a = do_plan(t, s, FP_STRAT_ECMP, 0, 1), *b = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	double *la = calloc((size_t)t->nlinks, sizeof(double)), *lb = calloc((size_t)t->nlinks, sizeof(double));
	struct fp_svg_panel pn[2] = { { "ecmp", la, a->ph[0].max_load, 0 },
				      { "flow<plan>", lb, b->ph[0].max_load, 1.5 } };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct fp_err err;

	(void)state;
	fp_plan_link_loads(a, la);
	fp_plan_link_loads(b, lb);
	assert_int_equal(fp_svg_write(f, t, pn, 2, b->ph[0].lower_bound, &err), 0);
	fclose(f);
	assert_non_null(strstr(buf, "<svg "));
	assert_non_null(strstr(buf, "</svg>\n"));
	assert_non_null(strstr(buf, "flow&lt;plan&gt;"));
	assert_non_null(strstr(buf, "stroke-dasharray"));
	/* the scale: idle grey, the bound yellow, 1.5x and more dark red */
	assert_non_null(strstr(buf, "fill=\"#d0d0d0\""));
	assert_non_null(strstr(buf, "fill=\"#ffdc3c\""));
	assert_non_null(strstr(buf, "fill=\"#960000\""));
	assert_non_null(strstr(buf, "stroke=\"#000000\" stroke-width=\"1.5\" stroke-dasharray"));
	assert_non_null(strstr(buf, "agg0.0 - core0") ? strstr(buf, "agg0.0 - core0") :
			strstr(buf, "core0 - agg0.0"));
	free(buf);
	assert_int_equal(fp_svg_write(stdout, t, pn, 0, 1, &err), EINVAL);
	free(la);
	free(lb);
	fp_plan_free(a);
	fp_plan_free(b);
	fp_sched_free(s);
	fp_topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_uplink),
		cmocka_unit_test(test_max_min),
		cmocka_unit_test(test_split_halves_cct),
		cmocka_unit_test(test_phases_add_up),
		cmocka_unit_test(test_incast),
		cmocka_unit_test(test_unequal_incremental),
		cmocka_unit_test(test_many_unequal),
		cmocka_unit_test(test_picture),
	};

	return cmocka_run_group_tests_name("planner_sim", tests, NULL, NULL);
}
