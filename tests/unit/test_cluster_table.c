// SPDX-License-Identifier: MIT
/*
 * test_cluster_table - the plan table in a file ([cluster] table), the
 * install backend of the cluster tests: what it writes is a plan file
 * lib/core reads back to the same entries and generation, an older or
 * equal generation is refused as the module refuses it, a restart
 * continues from the file, and a file that cannot be written is an error
 * that leaves the previous plan in place. The cluster checks of a
 * configuration (what `flowpland -t` says) are here too.
 */
#include <arpa/inet.h>
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

#include "cluster.h"
#include "nkey.h"

#define DIR_TEMPLATE	"/tmp/test_cluster_table.XXXXXX"
static char dir[sizeof(DIR_TEMPLATE)] = DIR_TEMPLATE;	/* mkdtemp() fills it */

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void plan_of(struct fp_hostplan *hp, unsigned int n)
{
	struct fp_err err = { "" };
	unsigned int i, k;

	fp_hostplan_init(hp);
	for (i = 0; i < n; i++) {
		struct fp_hostplan_entry e = { .nsub = 2 };
		uint32_t w[2];

		e.local = fp_addr_v4(htonl(0x0a000001));
		e.remote = fp_addr_v4(htonl(0x0a010001 + i));
		fp_weights_equal(w, 2);
		for (k = 0; k < 2; k++) {
			e.sub[k].flow_label = 100 + i * 2 + k;
			e.sub[k].sport = fp_label_to_sport(e.sub[k].flow_label);
			e.sub[k].weight = w[k];
		}
		assert_int_equal(fp_hostplan_add(hp, &e, &err), 0);
	}
	assert_int_equal(fp_hostplan_finish(hp, &err), 0);
}

static void test_install_and_read_back(void **state)
{
	struct fp_hostplan hp, got, file;
	struct fp_err err = { "" };
	const struct fpd_kmod_ops *ops;
	char path[256];
	void *ctx;

	(void)state;
	snprintf(path, sizeof(path), "%s/a.table", dir);
	ops = fpd_table_ops(&ctx, path, &err);
	assert_non_null(ops);
	assert_int_equal(ops->open(ctx, &err), 0);
	/* a new table holds nothing, generation 0 */
	assert_int_equal(ops->get_plan(ctx, &got, &err), 0);
	assert_int_equal(got.n, 0);
	assert_int_equal(got.generation, 0);
	fp_hostplan_free(&got);

	plan_of(&hp, 3);
	assert_int_equal(ops->set_plan(ctx, &hp, 5, &err), 0);
	fp_hostplan_init(&file);
	assert_int_equal(fp_hostplan_load(path, &file, &err), 0);
	assert_int_equal(file.generation, 5);
	assert_int_equal(file.n, 3);
	assert_memory_equal(file.e, hp.e, 3 * sizeof(hp.e[0]));
	assert_int_equal(ops->get_plan(ctx, &got, &err), 0);
	assert_int_equal(got.generation, 5);
	assert_int_equal(got.n, 3);
	fp_hostplan_free(&got);
	fp_hostplan_free(&file);

	/* the same or an older generation: refused, the file untouched */
	fp_hostplan_free(&hp);
	plan_of(&hp, 1);
	assert_int_equal(ops->set_plan(ctx, &hp, 5, &err), ESTALE);
	assert_non_null(strstr(err.msg, "generation 5 is not after 5"));
	assert_int_equal(ops->set_plan(ctx, &hp, 4, &err), ESTALE);
	fp_hostplan_init(&file);
	assert_int_equal(fp_hostplan_load(path, &file, &err), 0);
	assert_int_equal(file.n, 3);
	fp_hostplan_free(&file);
	/* an empty plan is a plan */
	fp_hostplan_free(&hp);
	fp_hostplan_init(&hp);
	assert_int_equal(ops->set_plan(ctx, &hp, 6, &err), 0);
	fp_hostplan_init(&file);
	assert_int_equal(fp_hostplan_load(path, &file, &err), 0);
	assert_int_equal(file.n, 0);
	assert_int_equal(file.generation, 6);
	fp_hostplan_free(&file);
	ops->close(ctx);
	fpd_table_free(ctx);

	/* a restart continues from the file: generation 6 is not new */
	ops = fpd_table_ops(&ctx, path, &err);
	assert_int_equal(ops->open(ctx, &err), 0);
	assert_int_equal(ops->get_plan(ctx, &got, &err), 0);
	assert_int_equal(got.generation, 6);
	fp_hostplan_free(&got);
	assert_int_equal(ops->set_plan(ctx, &hp, 6, &err), ESTALE);
	assert_int_equal(ops->set_plan(ctx, &hp, 7, &err), 0);
	fp_hostplan_free(&hp);
	fpd_table_free(ctx);
}

static void test_unwritable(void **state)
{
	struct fp_hostplan hp, got;
	struct fp_err err = { "" };
	const struct fpd_kmod_ops *ops;
	char path[256];
	void *ctx;

	(void)state;
	snprintf(path, sizeof(path), "%s/no/such/dir/t.table", dir);
	ops = fpd_table_ops(&ctx, path, &err);
	assert_int_equal(ops->open(ctx, &err), 0);
	plan_of(&hp, 1);
	assert_int_equal(ops->set_plan(ctx, &hp, 1, &err), ENOENT);
	assert_non_null(strstr(err.msg, "t.table.new"));
	assert_int_equal(ops->get_plan(ctx, &got, &err), 0);
	assert_int_equal(got.generation, 0);	/* nothing taken as installed */
	fp_hostplan_free(&got);
	fp_hostplan_free(&hp);
	fpd_table_free(ctx);

	/* a file that is not a plan: open says why */
	snprintf(path, sizeof(path), "%s/bad.table", dir);
	{
		FILE *f = fopen(path, "w");

		fputs("not a plan\n", f);
		fclose(f);
	}
	ops = fpd_table_ops(&ctx, path, &err);
	assert_int_not_equal(ops->open(ctx, &err), 0);
	assert_non_null(strstr(err.msg, "bad.table"));
	fpd_table_free(ctx);
}

static void test_cluster_check(void **state)
{
	struct fpd_conf c;
	struct fp_err err = { "" };
	char seed[FPC_NKEY_SEEDLEN + 1], pub[FPC_NKEY_PUBLEN + 1], path[256];
	FILE *f;

	(void)state;
	fpd_conf_default(&c);
	/* local mode: [cluster] is not looked at */
	snprintf(c.prefix, sizeof(c.prefix), "bad.prefix");
	assert_int_equal(fpd_cluster_check(&c, &err), 0);
	c.mode = FPD_MODE_AGENT;
	assert_int_equal(fpd_cluster_check(&c, &err), EINVAL);
	assert_non_null(strstr(err.msg, "prefix 'bad.prefix'"));
	snprintf(c.prefix, sizeof(c.prefix), "fp");
	snprintf(c.host, sizeof(c.host), "h0.example.com");
	assert_int_equal(fpd_cluster_check(&c, &err), EINVAL);
	assert_non_null(strstr(err.msg, "[cluster] host 'h0.example.com'"));
	snprintf(c.host, sizeof(c.host), "h0");
	assert_int_equal(fpd_cluster_check(&c, &err), 0);

	snprintf(c.user, sizeof(c.user), "h0");
	assert_int_equal(fpd_cluster_check(&c, &err), EINVAL);
	assert_non_null(strstr(err.msg, "user and password_file go together"));
	snprintf(c.password_file, sizeof(c.password_file), "%s/nothing", dir);
	assert_int_not_equal(fpd_cluster_check(&c, &err), 0);
	assert_non_null(strstr(err.msg, "password_file"));
	c.user[0] = c.password_file[0] = 0;

	assert_int_equal(fpc_nkey_new(seed, sizeof(seed), pub, sizeof(pub), &err), 0);
	snprintf(path, sizeof(path), "%s/h0.seed", dir);
	f = fopen(path, "w");
	fprintf(f, "%s\n", seed);
	fclose(f);
	snprintf(c.nkey_seed, sizeof(c.nkey_seed), "%s", path);
	assert_int_equal(fpd_cluster_check(&c, &err), 0);
	snprintf(c.user, sizeof(c.user), "h0");
	snprintf(c.password_file, sizeof(c.password_file), "%s", path);
	assert_int_equal(fpd_cluster_check(&c, &err), EINVAL);
	assert_non_null(strstr(err.msg, "one or the other"));
	c.user[0] = c.password_file[0] = 0;
	f = fopen(path, "w");
	fprintf(f, "%s\n", pub);	/* the public key is not the seed */
	fclose(f);
	assert_int_equal(fpd_cluster_check(&c, &err), EINVAL);
	assert_non_null(strstr(err.msg, "[cluster] nkey_seed"));
	c.nkey_seed[0] = 0;

	snprintf(c.tls_cert, sizeof(c.tls_cert), "%s", path);
	assert_int_equal(fpd_cluster_check(&c, &err), EINVAL);
	assert_non_null(strstr(err.msg, "tls_cert and tls_key go together"));
	c.tls_cert[0] = 0;

	/* a planner needs the fabric */
	c.mode = FPD_MODE_PLANNER;
	c.topology[0] = 0;
	assert_int_equal(fpd_cluster_check(&c, &err), EINVAL);
	assert_non_null(strstr(err.msg, "[fabric] topology"));
	snprintf(c.topology, sizeof(c.topology), "leafspine:leaves=2,spines=2,hosts=1");
	snprintf(c.name, sizeof(c.name), "p a");
	assert_int_equal(fpd_cluster_check(&c, &err), EINVAL);
	assert_non_null(strstr(err.msg, "[cluster] name 'p a'"));
	snprintf(c.name, sizeof(c.name), "pa");
	assert_int_equal(fpd_cluster_check(&c, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_and_read_back),
		cmocka_unit_test(test_unwritable),
		cmocka_unit_test(test_cluster_check),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
