// SPDX-License-Identifier: MIT
/*
 * test_daemon_fault - fault localisation from counters. One host on leaf 0
 * sends to A (leaf 1) and B (leaf 2), two subflows each, one over each
 * spine. Directed link ids:
 *
 *   1 L0-S0   2 L0-S1   3 S0-L1   4 S1-L1   5 S0-L2   6 S1-L2
 *
 * Counters advance per sample as the scenario says; a failed link stops
 * the subflows that cross it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fault.h"

static struct fp_addr A, B;

static const struct fpd_fsub plan[4] = {
	/* filled in setup: remote addresses */
	{ .group = 1, .sport = 0xc001, .weight = 32768, .nlinks = 2, .link = { 1, 3 } },
	{ .group = 1, .sport = 0xc002, .weight = 32768, .nlinks = 2, .link = { 2, 4 } },
	{ .group = 2, .sport = 0xc003, .weight = 32768, .nlinks = 2, .link = { 1, 5 } },
	{ .group = 2, .sport = 0xc004, .weight = 32768, .nlinks = 2, .link = { 2, 6 } },
};

static struct fpd_fsub subs[4];
static struct fpd_fcount cnt[4];

static int setup(void **state)
{
	int i;

	(void)state;
	A = fp_addr_v4(0x0a000101);
	B = fp_addr_v4(0x0a000201);
	memcpy(subs, plan, sizeof(subs));
	for (i = 0; i < 4; i++) {
		subs[i].remote = i < 2 ? A : B;
		cnt[i] = (struct fpd_fcount){ .remote = subs[i].remote,
					      .sport = subs[i].sport };
	}
	return 0;
}

/* One interval: every subflow not crossing a failed link moves @mb MiB. */
static void step(struct fpd_fault *f, const int *failed, int nfailed, bool a_on,
		 bool b_on, uint64_t mb)
{
	int i, k;
	unsigned int l;

	for (i = 0; i < 4; i++) {
		bool dead = false;

		if ((i < 2 && !a_on) || (i >= 2 && !b_on))
			continue;
		for (k = 0; k < nfailed; k++)
			for (l = 0; l < subs[i].nlinks; l++)
				dead |= subs[i].link[l] == failed[k];
		cnt[i].bytes += dead ? 300 : mb << 20;	/* a retry or two */
	}
	assert_int_equal(fpd_fault_sample(f, cnt, 4), 0);
}

static struct fpd_fault *mk(void)
{
	struct fpd_fault_opts o;
	struct fpd_fault *f;

	fpd_fault_opts_default(&o);
	f = fpd_fault_new(&o);
	assert_non_null(f);
	assert_int_equal(fpd_fault_set_plan(f, subs, 4), 0);
	return f;
}

static bool has(const struct fpd_suspect *s, int32_t l)
{
	unsigned int i;

	for (i = 0; i < s->nlinks; i++)
		if (s->link[i] == l)
			return true;
	return false;
}

static void test_healthy(void **state)
{
	struct fpd_fault *f = mk();
	struct fpd_suspect sp[4];
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		step(f, NULL, 0, true, true, 8);
	assert_int_equal(fpd_fault_stalled(f), 0);
	assert_int_equal(fpd_fault_suspects(f, sp, 4), 0);
	fpd_fault_free(f);
}

static void test_downlink_named(void **state)
{
	/* S1-L1 fails: only A's second subflow stops; B shows L0-S1 is fine */
	struct fpd_fault *f = mk();
	struct fpd_suspect sp[4];
	int failed[] = { 4 }, i;

	(void)state;
	step(f, NULL, 0, true, true, 8);
	for (i = 0; i < 2; i++)
		step(f, failed, 1, true, true, 8);
	assert_int_equal(fpd_fault_stalled(f), 0);	/* not yet: 2 samples */
	step(f, failed, 1, true, true, 8);
	assert_int_equal(fpd_fault_stalled(f), 1);
	assert_int_equal(fpd_fault_suspects(f, sp, 4), 1);
	assert_int_equal(sp[0].nlinks, 1);
	assert_int_equal(sp[0].link[0], 4);
	assert_int_equal(sp[0].nsubs, 1);
	fpd_fault_free(f);
}

static void test_uplink_intersection(void **state)
{
	/* L0-S1 fails: both subflows over S1 stop; their paths meet at link 2 */
	struct fpd_fault *f = mk();
	struct fpd_suspect sp[4];
	int failed[] = { 2 }, i;

	(void)state;
	for (i = 0; i < 5; i++)
		step(f, failed, 1, true, true, 8);
	assert_int_equal(fpd_fault_stalled(f), 2);
	assert_int_equal(fpd_fault_suspects(f, sp, 4), 1);
	assert_int_equal(sp[0].nlinks, 1);
	assert_int_equal(sp[0].link[0], 2);
	assert_int_equal(sp[0].nsubs, 2);
	fpd_fault_free(f);
}

static void test_ambiguous(void **state)
{
	/* only A sends: S1-L1 and L0-S1 cannot be told apart */
	struct fpd_fault *f = mk();
	struct fpd_suspect sp[4];
	int failed[] = { 4 }, i;

	(void)state;
	for (i = 0; i < 5; i++)
		step(f, failed, 1, true, false, 8);
	assert_int_equal(fpd_fault_suspects(f, sp, 4), 1);
	assert_int_equal(sp[0].nlinks, 2);
	assert_true(has(&sp[0], 2) && has(&sp[0], 4));
	fpd_fault_free(f);
}

static void test_two_faults(void **state)
{
	struct fpd_fault *f = mk();
	struct fpd_suspect sp[4];
	int failed[] = { 4, 5 }, i;

	(void)state;
	for (i = 0; i < 5; i++)
		step(f, failed, 2, true, true, 8);
	assert_int_equal(fpd_fault_stalled(f), 2);
	assert_int_equal(fpd_fault_suspects(f, sp, 4), 2);
	assert_int_equal(sp[0].nlinks, 1);
	assert_int_equal(sp[1].nlinks, 1);
	assert_true((sp[0].link[0] == 4 && sp[1].link[0] == 5) ||
		    (sp[0].link[0] == 5 && sp[1].link[0] == 4));
	fpd_fault_free(f);
}

static void test_idle_and_blips(void **state)
{
	/* idle entries say nothing; one slow sample between good ones is no fault */
	struct fpd_fault *f = mk();
	int failed[] = { 4 }, i;

	(void)state;
	for (i = 0; i < 6; i++)
		step(f, NULL, 0, false, false, 8);
	assert_int_equal(fpd_fault_stalled(f), 0);
	for (i = 0; i < 6; i++) {
		step(f, NULL, 0, true, true, 8);
		step(f, failed, 1, true, true, 8);
		step(f, failed, 1, true, true, 8);
	}
	assert_int_equal(fpd_fault_stalled(f), 0);
	/* too little traffic to judge */
	for (i = 0; i < 6; i++)
		step(f, failed, 1, true, true, 0);
	assert_int_equal(fpd_fault_stalled(f), 0);
	fpd_fault_free(f);
}

static void test_counter_reset(void **state)
{
	/* the module was reloaded: counters restart from 0, no fault from that */
	struct fpd_fault *f = mk();
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		step(f, NULL, 0, true, true, 8);
	for (i = 0; i < 4; i++)
		cnt[i].bytes = i == 1 ? 0 : cnt[i].bytes;
	assert_int_equal(fpd_fault_sample(f, cnt, 4), 0);
	for (i = 0; i < 4; i++)
		step(f, NULL, 0, true, true, 8);
	assert_int_equal(fpd_fault_stalled(f), 0);
	/* a counter missing from the dump reads as 0: a restart too */
	assert_int_equal(fpd_fault_sample(f, cnt, 2), 0);
	for (i = 0; i < 4; i++)
		step(f, NULL, 0, true, true, 8);
	assert_int_equal(fpd_fault_stalled(f), 0);
	fpd_fault_free(f);
}

static void test_new_plan_forgets(void **state)
{
	struct fpd_fault *f = mk();
	int failed[] = { 4 }, i;

	(void)state;
	for (i = 0; i < 5; i++)
		step(f, failed, 1, true, true, 8);
	assert_int_equal(fpd_fault_stalled(f), 1);
	/* re-planned off link 4: A's second subflow now goes over S0 */
	subs[1].link[0] = 1;
	subs[1].link[1] = 3;
	subs[1].sport = 0xc005;
	cnt[1].sport = 0xc005;
	cnt[1].bytes = 0;
	assert_int_equal(fpd_fault_set_plan(f, subs, 4), 0);
	assert_int_equal(fpd_fault_stalled(f), 0);
	for (i = 0; i < 5; i++)
		step(f, failed, 1, true, true, 8);
	assert_int_equal(fpd_fault_stalled(f), 0);
	fpd_fault_free(f);
}

static void test_bad_input(void **state)
{
	struct fpd_fault_opts o;
	struct fpd_fault *f;
	struct fpd_fsub bad = subs[0];

	(void)state;
	fpd_fault_opts_default(&o);
	o.slow_ratio = 1.5;
	assert_null(fpd_fault_new(&o));
	assert_int_equal(errno, EINVAL);
	f = mk();
	bad.nlinks = FPD_PATH_MAX + 1;
	assert_int_equal(fpd_fault_set_plan(f, &bad, 1), EINVAL);
	bad = subs[0];
	bad.weight = 70000;
	assert_int_equal(fpd_fault_set_plan(f, &bad, 1), EINVAL);
	fpd_fault_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_healthy, setup),
		cmocka_unit_test_setup(test_downlink_named, setup),
		cmocka_unit_test_setup(test_uplink_intersection, setup),
		cmocka_unit_test_setup(test_ambiguous, setup),
		cmocka_unit_test_setup(test_two_faults, setup),
		cmocka_unit_test_setup(test_idle_and_blips, setup),
		cmocka_unit_test_setup(test_counter_reset, setup),
		cmocka_unit_test_setup(test_new_plan_forgets, setup),
		cmocka_unit_test_setup(test_bad_input, setup),
	};

	return cmocka_run_group_tests_name("daemon_fault", tests, NULL, NULL);
}
