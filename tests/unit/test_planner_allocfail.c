// SPDX-License-Identifier: MIT
/*
 * Allocation failure in the planner's writers and its reverse-pair index,
 * the parts that return ENOMEM rather than end the program (fp_x* do):
 * each allocation of a call fails in turn (test_core_allocfail.h, linked
 * with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc, lib/planner/build.mk),
 * and the call must answer ENOMEM, leave nothing behind (ASan's leak check)
 * and, once no allocation fails, give what it gives without the wrap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "planner/plan_priv.h"
#include "planner/share.h"
#include "planner/util.h"
#include "planner_util.h"
#include "test_core_allocfail.h"

/* Allocations a call may make here before the loops below call it a hang. */
#define MAX_ALLOCS 10000

/* A ring: no flow of it has one back, so each one is in the reverse index. */
static struct fp_plan *ring_plan(struct fp_topo *t, struct fp_sched *s, enum fp_strategy st)
{
	return do_plan(t, s, st, st == FP_STRAT_ECMPK ? 2 : 0, 1);
}

/*
 * fp_plan_rev_members: the baselines plan no reverse entries, so their plan
 * has no index yet; each of its allocations fails in turn.
 */
static void test_rev_members(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=4");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=1M", t);
	struct fp_err err = { "" };
	long n;
	int rc;

	(void)state;
	for (n = 0; n < MAX_ALLOCS; n++) {
		struct fp_plan *p = ring_plan(t, s, FP_STRAT_ECMPK);
		size_t i;

		assert_false(p->rev_built);
		fail_at = n;
		rc = fp_plan_rev_members(p, &err);
		if (fail_at >= 0) {	/* nothing failed: the index is made */
			fail_at = -1;
			assert_int_equal(rc, 0);
			assert_true(p->rev_built);
			assert_int_equal(p->ph[0].nrev, s->ph[0].n);
			fp_plan_free(p);
			break;
		}
		assert_int_equal(rc, ENOMEM);
		assert_false(p->rev_built);
		for (i = 0; i < p->nph; i++) {
			assert_null(p->ph[i].rev);
			assert_null(p->ph[i].rev_off);
			assert_int_equal(p->ph[i].nrev, 0);
		}
		fp_plan_free(p);
	}
	assert_true(n > 3);	/* the pair set, rev_off, rev and its cursor */
	assert_true(n < MAX_ALLOCS);
	fp_sched_free(s);
	fp_topo_free(t);
}

typedef int (*writer_fn)(FILE *f, const struct fp_plan *p, int host, struct fp_err *err);

static int json_share(FILE *f, const struct fp_plan *p, int host, struct fp_err *err)
{
	return fp_plan_write_share(f, p, host, 0, err);
}

/*
 * @write of host 0's share of a fresh plan (so that the plan's host index is
 * made by the call too), each of its allocations failing in turn; the last
 * run, where none fails, writes what a run without the wrap wrote. Returns
 * the number of allocations the call makes.
 */
static long each_failure(const char *topo, enum fp_strategy st, writer_fn write)
{
	struct fp_topo *t = gen_topo(topo);
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=1M", t);
	struct fp_err err = { "" };
	char *want = NULL, *buf;
	size_t wlen = 0, len;
	struct fp_plan *p;
	FILE *f;
	long n;
	int rc;

	p = ring_plan(t, s, st);
	f = open_memstream(&want, &wlen);
	assert_non_null(f);
	assert_int_equal(write(f, p, 0, &err), 0);
	assert_int_equal(fclose(f), 0);
	fp_plan_free(p);
	for (n = 0; n < MAX_ALLOCS; n++) {
		buf = NULL;
		len = 0;
		p = ring_plan(t, s, st);
		f = open_memstream(&buf, &len);
		assert_non_null(f);
		fail_at = n;
		rc = write(f, p, 0, &err);
		assert_int_equal(fclose(f), 0);
		if (fail_at >= 0) {
			fail_at = -1;
			assert_int_equal(rc, 0);
			assert_string_equal(buf, want);
			free(buf);
			fp_plan_free(p);
			break;
		}
		assert_int_equal(rc, ENOMEM);
		free(buf);
		fp_plan_free(p);
	}
	assert_true(n < MAX_ALLOCS);
	free(want);
	fp_sched_free(s);
	fp_topo_free(t);
	return n;
}

/* The compact share (fp_share_write): its buffer, the host index, each NIC's entries. */
static void test_share(void **state)
{
	(void)state;
	assert_true(each_failure("leafspine:leaves=2,spines=2,hosts=4", FP_STRAT_ECMPK,
				 fp_share_write) > 3);
	/* the planned method's reverse entries of a NIC that only receives */
	assert_true(each_failure("leafspine:leaves=2,spines=2,hosts=4", FP_STRAT_FLOWPLAN,
				 fp_share_write) > 3);
}

/* The JSON share (fp_plan_write_share): its NIC list, then as above. */
static void test_json_share(void **state)
{
	(void)state;
	assert_true(each_failure("leafspine:leaves=2,spines=2,hosts=4", FP_STRAT_ECMPK,
				 json_share) > 3);
	assert_true(each_failure("leafspine:leaves=2,spines=2,hosts=4", FP_STRAT_FLOWPLAN,
				 json_share) > 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rev_members),
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_json_share),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
