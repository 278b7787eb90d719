// SPDX-License-Identifier: MIT
/*
 * test_lib_plan - where libflowplan takes its plan from: a plan file (the
 * context attribute or $FLOWPLAN_PLAN), bad plan files refused with a reason,
 * and the documented default when there is none. The kernel module path is
 * not exercised here (FLOWPLAN_NO_NETLINK is set by the tier; the host kernel
 * cannot load modules) but in the qemu test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowplan/handles.h"
#include "flowplan/priv.h"
#include "test_core_tmpdir.h"

static const char good_plan[] =
	"{ \"format\": \"flowplan-plan\", \"version\": 1, \"generation\": 7,\n"
	"  \"entries\": [\n"
	"    { \"src_addr\": \"198.18.0.1\", \"dst_addr\": \"198.18.0.5\", \"dqpn\": 0,\n"
	"      \"subflows\": [ { \"flow_label\": 1, \"sport\": 49153, \"weight\": 16384 },\n"
	"                    { \"flow_label\": 2, \"sport\": 49154, \"weight\": 16384 },\n"
	"                    { \"flow_label\": 3, \"sport\": 49155, \"weight\": 16384 },\n"
	"                    { \"flow_label\": 4, \"sport\": 49156, \"weight\": 16384 } ] },\n"
	"    { \"src_addr\": \"198.18.0.1\", \"dst_addr\": \"198.18.0.5\", \"dqpn\": 77,\n"
	"      \"subflows\": [ { \"flow_label\": 9, \"weight\": 65536 } ] },\n"
	"    { \"src_addr\": \"198.18.0.5\", \"dst_addr\": \"198.18.0.1\",\n"
	"      \"subflows\": [ { \"flow_label\": 20, \"weight\": 40000 },\n"
	"                    { \"flow_label\": 21, \"weight\": 25536 } ] } ],\n"
	"  \"phases\": [] }\n";

/*
 * posix_memalign() wrapped (lib/flowplan/build.mk): memalign_fail makes the
 * next call fail with ENOMEM, as the allocator does when no memory can be
 * had, which a test cannot arrange otherwise.
 */
static bool memalign_fail;

int __real_posix_memalign(void **p, size_t align, size_t n);
int __wrap_posix_memalign(void **p, size_t align, size_t n);

int __wrap_posix_memalign(void **p, size_t align, size_t n)
{
	if (memalign_fail) {
		memalign_fail = false;
		return ENOMEM;
	}
	return __real_posix_memalign(p, align, n);
}

static void subflows(const struct fp_plansrc *p, const char *l, const char *r,
		     uint32_t dqpn, struct fp_subflow_set *ps)
{
	struct fp_addr a, b;

	assert_int_equal(fp_addr_parse(l, &a), 0);
	assert_int_equal(fp_addr_parse(r, &b), 0);
	fp_plansrc_subflows(p, &a, &b, dqpn, ps);
}

static int setup(void **state)
{
	unsetenv("FLOWPLAN_PLAN");
	return tmpdir_setup(state);
}

static void test_plan_file(void **state)
{
	struct fp_err err = { { 0 } };
	struct fp_subflow_set ps;
	struct fp_plansrc p;
	const char *path = test_file("good.json", good_plan);
	unsigned int i;

	(void)state;
	assert_int_equal(fp_plansrc_load(&p, path, true, 1, &err), 0);
	assert_int_equal(p.source, FP_PLAN_FILE);
	assert_int_equal(p.hp.generation, 7);

	subflows(&p, "198.18.0.1", "198.18.0.5", FP_DQPN_ANY, &ps);
	assert_int_equal(ps.k, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(ps.label[i], i + 1);
		assert_int_equal(ps.weight[i], 16384);
	}
	/* An exact destination QP wins over the wildcard entry. */
	subflows(&p, "198.18.0.1", "198.18.0.5", 77, &ps);
	assert_int_equal(ps.k, 1);
	assert_int_equal(ps.label[0], 9);
	subflows(&p, "198.18.0.1", "198.18.0.5", 78, &ps);
	assert_int_equal(ps.k, 4);
	/* The reverse direction has its own entry. */
	subflows(&p, "198.18.0.5", "198.18.0.1", 0, &ps);
	assert_int_equal(ps.k, 2);
	assert_int_equal(ps.weight[0], 40000);
	/* A pair the plan does not know: the default. */
	subflows(&p, "198.18.0.9", "198.18.0.1", 0, &ps);
	assert_int_equal(ps.k, 1);
	assert_int_equal(ps.label[0], 0);
	assert_int_equal(ps.weight[0], FP_WEIGHT_ONE);
	fp_plansrc_free(&p);
}

static void test_plan_env_and_default(void **state)
{
	struct fp_err err = { { 0 } };
	struct fp_subflow_set ps;
	struct fp_plansrc p;
	unsigned int i, sum = 0;

	(void)state;
	/* No file anywhere: the default, k from the caller, label 0. */
	assert_int_equal(fp_plansrc_load(&p, NULL, true, 3, &err), 0);
	assert_int_equal(p.source, FP_PLAN_DEFAULT);
	subflows(&p, "10.0.0.1", "10.0.0.2", 0, &ps);
	assert_int_equal(ps.k, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(ps.label[i], 0);
		sum += ps.weight[i];
	}
	assert_int_equal(sum, FP_WEIGHT_ONE);
	fp_plansrc_free(&p);

	setenv("FLOWPLAN_PLAN", test_file("env.json", good_plan), 1);
	assert_int_equal(fp_plansrc_load(&p, NULL, true, 1, &err), 0);
	assert_int_equal(p.source, FP_PLAN_FILE);
	fp_plansrc_free(&p);
	unsetenv("FLOWPLAN_PLAN");

	assert_int_equal(fp_plansrc_load(&p, NULL, true, FP_MAX_SUBFLOWS + 1,
				      &err), EINVAL);
}

static void test_plan_bad_input(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		const char *says;	/* part of the error message */
	} cases[] = {
		{ "notjson", "{ \"format\": ", "notjson" },
		{ "format", "{ \"format\": \"flowplan-topology\", \"version\": 1, \"entries\": [] }",
		  "format" },
		{ "weights", "{ \"format\": \"flowplan-plan\", \"version\": 1, \"entries\": ["
		  "{ \"src_addr\": \"1.1.1.1\", \"dst_addr\": \"1.1.1.2\", \"subflows\": ["
		  "{ \"flow_label\": 1, \"weight\": 60000 } ] } ] }", "weights" },
		{ "addr", "{ \"format\": \"flowplan-plan\", \"version\": 1, \"entries\": ["
		  "{ \"src_addr\": \"1.1.1\", \"dst_addr\": \"1.1.1.2\", \"subflows\": ["
		  "{ \"flow_label\": 1, \"weight\": 65536 } ] } ] }", "src_addr" },
		{ "sport", "{ \"format\": \"flowplan-plan\", \"version\": 1, \"entries\": ["
		  "{ \"src_addr\": \"1.1.1.1\", \"dst_addr\": \"1.1.1.2\", \"subflows\": ["
		  "{ \"flow_label\": 1, \"sport\": 5, \"weight\": 65536 } ] } ] }", "sport" },
	};
	struct fp_plansrc p;
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct fp_err err = { { 0 } };
		const char *path = test_file(cases[c].name, cases[c].text);

		assert_int_not_equal(fp_plansrc_load(&p, path, true, 1, &err), 0);
		if (!strstr(err.msg, cases[c].says))
			fail_msg("%s: error \"%s\" does not mention \"%s\"",
				 cases[c].name, err.msg, cases[c].says);
	}
	{
		struct fp_err err = { { 0 } };
		char missing[128];

		snprintf(missing, sizeof(missing), "%s/none.json", test_dir);
		assert_int_equal(fp_plansrc_load(&p, missing, true, 1, &err),
				 ENOENT);
	}
}

/* The public side: fp_ctx_open needs no RDMA device to read its plan. */
static void test_ctx_plan(void **state)
{
	struct fp_ctx_attr a = {
		.plan = test_file("ctx.json", good_plan),
		.flags = FP_CTX_NO_NETLINK | FP_CTX_NO_REPORT,
	};
	static const uint8_t zero[4096];
	struct fp_ctx_info info;
	struct fp_buf *b;
	struct fp_ctx *ctx;

	(void)state;
	ctx = fp_ctx_open(&a);
	assert_non_null(ctx);
	assert_int_equal(fp_ctx_query(ctx, &info), 0);
	assert_int_equal(info.source, FP_PLAN_FILE);
	assert_int_equal(info.generation, 7);
	assert_int_equal(info.entries, 3);
	assert_string_equal(info.report, "");
	assert_int_equal(fp_ctx_query(NULL, &info), EINVAL);
	assert_int_equal(fp_ctx_query(ctx, NULL), EINVAL);
	/* Buffers: no context, no length, no memory to register: EINVAL. */
	errno = 0;
	assert_null(fp_buf_alloc(NULL, 4096, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(fp_buf_alloc(ctx, 0, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(fp_buf_reg(ctx, NULL, 4096, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(fp_buf_reg(ctx, &info, 0, NULL));
	assert_int_equal(errno, EINVAL);
	/*
	 * No memory for the buffer's bytes: ENOMEM, nothing held (the
	 * context closes); the next one is had, zeroed.
	 */
	memalign_fail = true;
	errno = 0;
	assert_null(fp_buf_alloc(ctx, 4096, NULL));
	assert_int_equal(errno, ENOMEM);
	assert_false(memalign_fail);
	assert_int_equal(ctx->nbufs, 0);
	b = fp_buf_alloc(ctx, 4096, NULL);
	assert_non_null(b);
	assert_int_equal(ctx->nbufs, 1);
	assert_memory_equal(fp_buf_addr(b), zero, sizeof(zero));
	assert_int_equal(fp_buf_free(b), 0);
	assert_int_equal(fp_group_plan_changed(NULL), 0);	/* no group */
	/* A reload that fails keeps the plan in use. */
	unlink(a.plan);
	assert_int_equal(fp_ctx_reload(ctx), ENOENT);
	assert_int_equal(fp_ctx_query(ctx, &info), 0);
	assert_int_equal(info.entries, 3);
	assert_int_equal(fp_ctx_close(ctx), 0);
	assert_int_equal(fp_ctx_close(NULL), EINVAL);
	/* ... as closing no group or freeing no buffer */
	assert_int_equal(fp_group_close(NULL), EINVAL);
	assert_int_equal(fp_buf_free(NULL), EINVAL);

	a.plan = test_file("bad.json", "[]");
	errno = 0;
	assert_null(fp_ctx_open(&a));
	assert_int_equal(errno, EINVAL);
	a.plan = NULL;
	a.default_k = 99;
	assert_null(fp_ctx_open(&a));
	assert_int_equal(errno, EINVAL);
	/* A device name that does not fit is refused, never cut. */
	a.default_k = 0;
	{
		char dev[65];

		memset(dev, 'd', 64);
		dev[64] = 0;
		a.dev = dev;
		errno = 0;
		assert_null(fp_ctx_open(&a));
		assert_int_equal(errno, EINVAL);
		dev[63] = 0;
		ctx = fp_ctx_open(&a);
		assert_non_null(ctx);
		assert_string_equal(ctx->dev_name, dev);
		assert_int_equal(fp_ctx_close(ctx), 0);
		a.dev = NULL;
	}
	/* ... as is a plan path that does not fit (4096 characters). */
	{
		char *path = malloc(4097);

		assert_non_null(path);
		memset(path, 'p', 4096);
		path[0] = '/';
		path[4096] = 0;
		a.plan = path;
		errno = 0;
		assert_null(fp_ctx_open(&a));
		assert_int_equal(errno, EINVAL);
		a.plan = NULL;
		free(path);
	}
}

/*
 * Inside an application: what FLOWPLAN_PLAN and the other variables name is
 * input. A device, a FIFO or a file past the plan-file limit (checked by
 * size before a byte is read) fail fp_ctx_open() with the reason; a variable
 * that does not parse is an error, not a silent default.
 */
static void test_ctx_hostile_env(void **state)
{
	static const struct {
		const char *var, *val;
	} bad[] = {
		{ "FLOWPLAN_TIMEOUT_MS", "abc" },
		{ "FLOWPLAN_TIMEOUT_MS", "-5" },
		{ "FLOWPLAN_TIMEOUT_MS", "0" },
		{ "FLOWPLAN_TIMEOUT_MS", "4294967296" },
		{ "FLOWPLAN_TIMEOUT_MS", "2147483648" },
		{ "FLOWPLAN_DEFAULT_K", "0" },
		{ "FLOWPLAN_DEFAULT_K", "17" },
		{ "FLOWPLAN_DEFAULT_K", "4x" },
	};
	struct fp_ctx_attr a = { .flags = FP_CTX_NO_NETLINK | FP_CTX_NO_REPORT };
	struct fp_ctx *ctx;
	char big[128];
	size_t i;
	int fd;

	(void)state;
	setenv("FLOWPLAN_PLAN", "/dev/zero", 1);
	errno = 0;
	assert_null(fp_ctx_open(&a));
	assert_int_equal(errno, EINVAL);
	snprintf(big, sizeof(big), "%s/huge.json", test_dir);
	fd = open(big, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)FP_PLANFILE_MAX + 1), 0);
	close(fd);
	setenv("FLOWPLAN_PLAN", big, 1);
	assert_null(fp_ctx_open(&a));
	assert_int_equal(errno, EFBIG);
	unlink(big);
	unsetenv("FLOWPLAN_PLAN");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv(bad[i].var, bad[i].val, 1);
		errno = 0;
		ctx = fp_ctx_open(&a);
		if (ctx)
			fail_msg("%s=%s: opened", bad[i].var, bad[i].val);
		assert_int_equal(errno, EINVAL);
		unsetenv(bad[i].var);
	}
	setenv("FLOWPLAN_TIMEOUT_MS", "2147483647", 1);
	setenv("FLOWPLAN_DEFAULT_K", "16", 1);
	ctx = fp_ctx_open(&a);
	assert_non_null(ctx);
	assert_int_equal(fp_ctx_close(ctx), 0);
	/* Both ends of each range are in it. */
	setenv("FLOWPLAN_TIMEOUT_MS", "1", 1);
	setenv("FLOWPLAN_DEFAULT_K", "1", 1);
	ctx = fp_ctx_open(&a);
	assert_non_null(ctx);
	assert_int_equal(ctx->timeout_ms, 1);
	assert_int_equal(fp_ctx_close(ctx), 0);
	unsetenv("FLOWPLAN_TIMEOUT_MS");
	unsetenv("FLOWPLAN_DEFAULT_K");
	/* Unset: the defaults fp_ctx_open(3) gives, 10000 ms and 1. */
	ctx = fp_ctx_open(&a);
	assert_non_null(ctx);
	assert_int_equal(ctx->timeout_ms, 10000);
	assert_int_equal(ctx->default_k, 1);
	assert_int_equal(fp_ctx_close(ctx), 0);
	/* Attributes: a deadline past INT_MAX ms, flags nobody defined. */
	a.timeout_ms = 1u << 31;
	assert_null(fp_ctx_open(&a));
	assert_int_equal(errno, EINVAL);
	a.timeout_ms = 0;
	a.flags |= 1u << 7;
	assert_null(fp_ctx_open(&a));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_file),
		cmocka_unit_test(test_plan_env_and_default),
		cmocka_unit_test(test_plan_bad_input),
		cmocka_unit_test(test_ctx_plan),
		cmocka_unit_test(test_ctx_hostile_env),
	};

	return cmocka_run_group_tests_name("lib_plan", tests, setup, tmpdir_teardown);
}
