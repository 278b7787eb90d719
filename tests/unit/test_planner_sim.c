// SPDX-License-Identifier: MIT
/* The flow simulator against hand-computed max-min fair cases. */
#include <math.h>
#include <stdlib.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_uplink),
		cmocka_unit_test(test_max_min),
		cmocka_unit_test(test_split_halves_cct),
		cmocka_unit_test(test_phases_add_up),
	};

	return cmocka_run_group_tests_name("planner_sim", tests, NULL, NULL);
}
