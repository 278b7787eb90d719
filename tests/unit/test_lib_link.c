// SPDX-License-Identifier: MIT
/*
 * test_lib_link - a program that plans and runs: linked with libflowplan.so
 * and the planner library (libfpplanner.a) together, as the daemon and
 * applications that plan for themselves are. It plans a fabric with the
 * planner, writes the plan file, and opens a libflowplan context on it:
 * the context sees the entries the planner wrote. That it links at all is
 * half the test: the two libraries once defined the same symbols.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowplan/flowplan.h"
#include "planner/plan.h"

static void test_plan_then_open(void **state)
{
	struct fp_topo *t;
	struct fp_sched *s;
	struct fp_plan *p;
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .generation = 42 };
	struct fp_hostplan hp;
	struct fp_ctx_info info;
	struct fp_ctx *ctx;
	struct fp_err err;
	char path[] = "/tmp/fp-test-link-XXXXXX";
	char *json;
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(fp_topo_generate("leafspine:leaves=4,spines=2,hosts=2", &t, &err), 0);
	assert_int_equal(fp_sched_generate("ring-allreduce:bytes=1G", t, &s, &err), 0);
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	json = fp_plan_to_json(p, true, false);
	assert_non_null(json);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(json, f);
	fclose(f);
	/* The core reads it as libflowplan will. */
	assert_int_equal(fp_hostplan_load(path, &hp, &err), 0);
	assert_true(hp.n > 0);

	ctx = fp_ctx_open(&(struct fp_ctx_attr){ .plan = path,
						 .flags = FP_CTX_NO_NETLINK | FP_CTX_NO_REPORT });
	assert_non_null(ctx);
	assert_int_equal(fp_ctx_query(ctx, &info), 0);
	assert_int_equal(info.source, FP_PLAN_FILE);
	assert_int_equal(info.generation, 42);
	assert_int_equal(info.entries, hp.n);
	assert_int_equal(fp_ctx_close(ctx), 0);

	unlink(path);
	fp_hostplan_free(&hp);
	free(json);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_then_open),
	};

	return cmocka_run_group_tests_name("lib_link", tests, NULL, NULL);
}
