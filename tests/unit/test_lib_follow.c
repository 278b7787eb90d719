// SPDX-License-Identifier: MIT
/*
 * test_lib_follow - a context follows its plan source by itself
 * (lib/flowplan/follow.c, issue 12), on a plan file (the module's events
 * are the qemu test's: the build machine cannot load it):
 *  - a new generation written to the file is read again at the next look,
 *    and not before FP_FOLLOW_NS has passed since the last one (no system
 *    call per message);
 *  - a file that cannot be read keeps the plan in use, counted with its
 *    errno; the next good one is taken;
 *  - FLOWPLAN_FOLLOW=0 and FP_CTX_NO_FOLLOW turn it off, a value other
 *    than 0 or 1 is refused (EINVAL);
 *  - fp_poll() alone (no fp_ctx_reload()) makes a group see that the plan
 *    now pins its pair otherwise (fp_group_follow_query()'s "stale",
 *    fp_group_plan_changed()); a generation that pins it as its QPs are is
 *    not stale.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowplan/handles.h"
#include "test_core_tmpdir.h"

#define SRC	"198.18.0.1"
#define DST	"198.18.0.5"

static char path[128];

/*
 * The plan file, generation @gen, two subflows SRC -> DST with labels
 * @l and @l + 1, written anew (another inode) with an mtime of its own
 * (@gen seconds), so that the change shows whatever the clock's grain.
 */
static void write_plan(unsigned int gen, unsigned int l)
{
	char text[1024], tmp[160];
	struct timespec ts[2] = { { .tv_sec = gen }, { .tv_sec = gen } };
	FILE *f;

	snprintf(text, sizeof(text),
		 "{ \"format\": \"flowplan-plan\", \"version\": 1, \"generation\": %u,\n"
		 "  \"entries\": [\n"
		 "    { \"src_addr\": \"" SRC "\", \"dst_addr\": \"" DST "\",\n"
		 "      \"subflows\": [ { \"flow_label\": %u, \"weight\": 32768 },\n"
		 "                    { \"flow_label\": %u, \"weight\": 32768 } ] } ],\n"
		 "  \"phases\": [] }\n", gen, l, l + 1);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(utimensat(AT_FDCWD, tmp, ts, 0), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static int setup(void **state)
{
	unsetenv("FLOWPLAN_PLAN");
	unsetenv("FLOWPLAN_FOLLOW");
	if (tmpdir_setup(state))
		return -1;
	snprintf(path, sizeof(path), "%s/plan.json", test_dir);
	return 0;
}

/* Every test starts with following on, whatever the last one left. */
static int env_clean(void **state)
{
	(void)state;
	unsetenv("FLOWPLAN_FOLLOW");
	return 0;
}

static struct fp_ctx *open_ctx(unsigned int flags)
{
	struct fp_ctx_attr a = {
		.plan = path,
		.flags = FP_CTX_NO_NETLINK | FP_CTX_NO_REPORT | flags,
	};

	return fp_ctx_open(&a);
}

static void test_file_reload(void **state)
{
	uint64_t t = 1000000000ull;
	struct fp_ctx *ctx;

	(void)state;
	write_plan(1, 0x100);
	ctx = open_ctx(0);
	assert_non_null(ctx);
	assert_true(ctx->follow);
	assert_null(ctx->nlev);			/* no netlink asked for */
	assert_false(fp_ctx_follow(ctx, t));	/* nothing changed */
	assert_int_equal(ctx->plan.hp.generation, 1);

	write_plan(2, 0x200);
	/* Not looked at again before FP_FOLLOW_NS. */
	assert_false(fp_ctx_follow(ctx, t + 1));
	assert_false(fp_ctx_follow(ctx, t + FP_FOLLOW_NS - 1));
	assert_int_equal(ctx->plan.hp.generation, 1);
	assert_true(fp_ctx_follow(ctx, t + FP_FOLLOW_NS));
	assert_int_equal(ctx->plan.hp.generation, 2);
	assert_int_equal(ctx->reloads, 1);
	assert_int_equal(ctx->reload_errors, 0);
	/* Read once: the next look finds nothing new. */
	assert_false(fp_ctx_follow(ctx, t + 2 * FP_FOLLOW_NS));
	assert_int_equal(ctx->reloads, 1);
	assert_int_equal(fp_ctx_close(ctx), 0);
}

/*
 * The plan file changed: any of its mtime (to the nanosecond), its inode
 * and its size, each alone, tells.
 */
static void test_file_change_fields(void **state)
{
	struct timespec ns[2] = { { .tv_sec = 1, .tv_nsec = 5 },
				  { .tv_sec = 1, .tv_nsec = 5 } },
			back[2] = { { .tv_sec = 1 }, { .tv_sec = 1 } };
	struct fp_ctx *ctx;
	FILE *f;

	(void)state;
	write_plan(1, 0x100);
	ctx = open_ctx(0);
	assert_non_null(ctx);
	assert_false(fp_plansrc_file_changed(&ctx->plan));
	assert_int_equal(utimensat(AT_FDCWD, path, ns, 0), 0);
	assert_true(fp_plansrc_file_changed(&ctx->plan));
	assert_int_equal(utimensat(AT_FDCWD, path, back, 0), 0);
	assert_false(fp_plansrc_file_changed(&ctx->plan));
	write_plan(1, 0x100);			/* the same bytes and mtime */
	assert_true(fp_plansrc_file_changed(&ctx->plan));
	assert_int_equal(fp_ctx_close(ctx), 0);

	write_plan(1, 0x100);
	ctx = open_ctx(0);
	assert_non_null(ctx);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs(" ", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, back, 0), 0);
	assert_true(fp_plansrc_file_changed(&ctx->plan));
	assert_int_equal(fp_ctx_close(ctx), 0);
}

static void test_bad_file_kept(void **state)
{
	uint64_t t = 1000000000ull;
	struct fp_ctx *ctx;
	FILE *f;

	(void)state;
	write_plan(2, 0x200);
	ctx = open_ctx(0);
	assert_non_null(ctx);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{ \"format\": \"flowplan-plan\", \"version\": 1, \"gener", f);
	assert_int_equal(fclose(f), 0);
	assert_false(fp_ctx_follow(ctx, t));
	assert_int_equal(ctx->plan.hp.generation, 2);	/* kept */
	assert_int_equal(ctx->reload_errors, 1);
	assert_int_not_equal(ctx->reload_error, 0);
	assert_int_equal(ctx->reloads, 0);
	/* Still another file than the one in use: looked at again. */
	write_plan(3, 0x300);
	assert_true(fp_ctx_follow(ctx, t + FP_FOLLOW_NS));
	assert_int_equal(ctx->plan.hp.generation, 3);
	assert_int_equal(ctx->reloads, 1);
	assert_int_equal(fp_ctx_close(ctx), 0);
}

/*
 * The plan file removed: that is a change (the file in use is gone), also
 * right after a look at another name of the same file (a hard link, whose
 * inode, mtime and size are the removed name's); the reload fails with
 * ENOENT, counted, and the plan in use is kept until a file is back.
 */
static void test_file_removed(void **state)
{
	uint64_t t = 1000000000ull;
	struct fp_ctx_attr a = {
		.flags = FP_CTX_NO_NETLINK | FP_CTX_NO_REPORT | FP_CTX_NO_FOLLOW,
	};
	struct fp_ctx *ctx, *other;
	char link2[160];
	bool same, gone;

	(void)state;
	write_plan(1, 0x100);
	snprintf(link2, sizeof(link2), "%s.link", path);
	unlink(link2);
	assert_int_equal(link(path, link2), 0);
	ctx = open_ctx(0);
	assert_non_null(ctx);
	a.plan = link2;
	other = fp_ctx_open(&a);
	assert_non_null(other);
	assert_int_equal(unlink(path), 0);
	/* Back to back, nothing called between the two looks. */
	same = fp_plansrc_file_changed(&other->plan);
	gone = fp_plansrc_file_changed(&ctx->plan);
	assert_false(same);
	assert_true(gone);
	assert_int_equal(fp_ctx_close(other), 0);
	assert_int_equal(unlink(link2), 0);

	assert_false(fp_ctx_follow(ctx, t));
	assert_int_equal(ctx->reload_errors, 1);
	assert_int_equal(ctx->reload_error, ENOENT);
	assert_int_equal(ctx->plan.hp.generation, 1);	/* kept */
	write_plan(2, 0x200);
	assert_true(fp_ctx_follow(ctx, t + FP_FOLLOW_NS));
	assert_int_equal(ctx->plan.hp.generation, 2);
	assert_int_equal(ctx->reloads, 1);
	assert_int_equal(fp_ctx_close(ctx), 0);
}

static void test_off(void **state)
{
	uint64_t t = 1000000000ull;
	struct fp_ctx *ctx;

	(void)state;
	write_plan(1, 0x100);
	ctx = open_ctx(FP_CTX_NO_FOLLOW);
	assert_non_null(ctx);
	write_plan(2, 0x200);
	assert_false(fp_ctx_follow(ctx, t));
	assert_int_equal(ctx->plan.hp.generation, 1);
	assert_int_equal(fp_ctx_close(ctx), 0);

	setenv("FLOWPLAN_FOLLOW", "0", 1);
	write_plan(3, 0x300);
	ctx = open_ctx(0);
	assert_non_null(ctx);
	assert_false(ctx->follow);
	assert_int_equal(ctx->plan.hp.generation, 3);	/* read at open */
	write_plan(4, 0x400);
	assert_false(fp_ctx_follow(ctx, t + FP_FOLLOW_NS));
	assert_int_equal(ctx->plan.hp.generation, 3);
	assert_int_equal(fp_ctx_close(ctx), 0);

	setenv("FLOWPLAN_FOLLOW", "1", 1);
	ctx = open_ctx(0);
	assert_non_null(ctx);
	assert_true(ctx->follow);
	assert_int_equal(fp_ctx_close(ctx), 0);

	setenv("FLOWPLAN_FOLLOW", "yes", 1);
	errno = 0;
	assert_null(open_ctx(0));
	assert_int_equal(errno, EINVAL);
	unsetenv("FLOWPLAN_FOLLOW");
}

/* ---------------------------------------------- a group, through fp_poll */

static int cq_empty(struct ibv_cq *cq, int n, struct ibv_wc *wc)
{
	(void)cq;
	(void)n;
	(void)wc;
	return 0;
}

static struct ibv_context stub_ctx = { .ops = { .poll_cq = cq_empty } };
static struct ibv_cq stub_cq = { .context = &stub_ctx };

static void test_group_by_poll(void **state)
{
	struct fp_follow_info fi;
	struct fp_group *g;
	struct fp_ctx *ctx;
	struct fp_wc wc[4];
	unsigned int i;

	(void)state;
	write_plan(1, 0x100);
	ctx = open_ctx(0);
	assert_non_null(ctx);
	/* A group pinned on generation 1 as pin() leaves it. */
	g = calloc(1, sizeof(*g));
	assert_non_null(g);
	g->ctx = ctx;
	g->cq = &stub_cq;
	g->fd = -1;
	g->k = 2;
	assert_int_equal(fp_addr_parse(SRC, &g->local), 0);
	assert_int_equal(fp_addr_parse(DST, &g->peer), 0);
	for (i = 0; i < 2; i++) {
		g->sub[i].label = 0x100 + i;
		g->sub[i].weight = g->w[i] = 32768;
	}
	g->generation = 1;
	g->plan_serial = ctx->plan_serial;
	assert_int_equal(fp_msgtab_init(&g->tab, 16), 0);

	memset(&fi, 0xff, sizeof(fi));
	assert_int_equal(fp_group_follow_query(g, &fi), 0);
	/* what a later version may fill: 0 */
	assert_true(!fi.reserved[0] && !fi.reserved[1] && !fi.reserved[2]);
	assert_int_equal(fi.follow, 1);
	assert_int_equal(fi.stale, 0);
	assert_int_equal(fi.generation, 1);
	assert_int_equal(fi.ctx_generation, 1);

	/* New labels: fp_poll() finds it, nobody calls fp_ctx_reload(). */
	write_plan(2, 0x200);
	assert_int_equal(fp_poll(g, wc, 4), 0);
	assert_int_equal(fp_group_follow_query(g, &fi), 0);
	assert_int_equal(fi.ctx_generation, 2);
	assert_int_equal(fi.generation, 1);
	assert_int_equal(fi.stale, 1);
	assert_int_equal(fi.reloads, 1);
	assert_int_equal(fp_group_plan_changed(g), 1);

	/* Generation 3 pins the pair as its QPs are: not stale. */
	write_plan(3, 0x100);
	g->next_check_ns = 0;
	ctx->follow_next_ns = 0;
	assert_int_equal(fp_poll(g, wc, 4), 0);
	assert_int_equal(fp_group_follow_query(g, &fi), 0);
	assert_int_equal(fi.ctx_generation, 3);
	assert_int_equal(fi.stale, 0);
	assert_int_equal(fi.reloads, 2);

	assert_int_equal(fp_group_follow_query(NULL, &fi), EINVAL);
	assert_int_equal(fp_group_follow_query(g, NULL), EINVAL);
	fp_msgtab_fini(&g->tab);
	free(g);
	assert_int_equal(fp_ctx_close(ctx), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_file_reload, env_clean),
		cmocka_unit_test_setup(test_file_change_fields, env_clean),
		cmocka_unit_test_setup(test_bad_file_kept, env_clean),
		cmocka_unit_test_setup(test_file_removed, env_clean),
		cmocka_unit_test_setup(test_off, env_clean),
		cmocka_unit_test_setup(test_group_by_poll, env_clean),
	};

	return cmocka_run_group_tests_name("lib_follow", tests, setup,
					   tmpdir_teardown);
}
