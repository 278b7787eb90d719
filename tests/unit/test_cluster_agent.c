// SPDX-License-Identifier: MIT
/*
 * test_cluster_agent - what an agent does with the shares that reach it
 * (daemon/cluster/agent.h), on a bus that is not connected (no server:
 * the agent's decisions only; the processes' tests run it on real
 * servers): a newer epoch is installed, the same one again is nothing,
 * an older one is refused whatever its way in, a new term wins, a share
 * that does not parse keeps the installed plan, a missing module keeps
 * the share for later, an install that fails for any reason is tried
 * again with backoff until it succeeds (the failure comes from this
 * test's install, standing in for the module: a fault the real one cannot
 * make on demand) and each attempt is reported, and while disconnected the
 * report of what was installed waits to be published.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent.h"

struct host {
	int installs;
	uint64_t last_epoch;
	size_t last_n;
	int answer;		/* what install returns */
};

static int install(void *arg, const struct fp_hostplan *hp, uint64_t epoch, uint64_t *gen,
		   struct fp_err *err)
{
	struct host *h = arg;

	h->installs++;
	h->last_epoch = epoch;
	h->last_n = hp->n;
	*gen = (uint64_t)h->installs;
	if (h->answer == ENOENT)
		snprintf(err->msg, sizeof(err->msg), "flowplan module not loaded");
	else if (h->answer)
		snprintf(err->msg, sizeof(err->msg), "the module refused the plan: %s",
			 strerror(h->answer));
	return h->answer;
}

static void logline(void *arg, int level, const char *text)
{
	(void)arg;
	(void)level;
	(void)text;
}

static const struct fpc_agent_ops ops = { install, logline };

/* A share of @epoch for host h3 with @n entries. */
static char *share_text(uint64_t epoch, int n, size_t *len)
{
	char *t = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&t, &sz);
	int i;

	fprintf(f, "flowplan-share 1\ngeneration %" PRIu64 "\nhost h3\nenforce 0\n"
		"src 198.18.0.25\n", epoch);
	for (i = 0; i < n; i++)
		fprintf(f, "198.18.1.%d %d\n", i + 1, i + 1);
	fclose(f);
	*len = sz;
	return t;
}

struct fix {
	struct fpc_bus *bus;
	struct fpc_names nm;
	struct fpc_agent a;
	struct host h;
};

static int setup(void **state)
{
	struct fpc_bus_opts o = { .servers = "nats://127.0.0.1:9" };
	struct fp_err err = { "" };
	struct fix *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	x->bus = fpc_bus_open(NULL, &o, &err);
	if (!x->bus || fpc_names_init(&x->nm, "fp", "flowplan", &err) ||
	    fpc_agent_init(&x->a, x->bus, &x->nm, "h3", 0, &ops, &x->h, &err)) {
		fprintf(stderr, "test_cluster_agent: %s\n", err.msg);
		return -1;
	}
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fix *x = *state;

	fpc_agent_fini(&x->a);
	fpc_bus_close(x->bus);
	free(x);
	return 0;
}

static int take(struct fix *x, uint64_t epoch, int n)
{
	struct fp_err err = { "" };
	size_t len;
	char *t = share_text(epoch, n, &len);
	int ret = fpc_agent_take(&x->a, t, len, epoch & 0xff, &err);

	free(t);
	return ret;
}

static void test_never_back(void **state)
{
	struct fix *x = *state;

	assert_false(x->a.have_share);
	assert_int_equal(take(x, FPC_EPOCH(1, 3), 2), 0);
	assert_int_equal(x->h.installs, 1);
	assert_int_equal(x->h.last_epoch, FPC_EPOCH(1, 3));
	assert_int_equal(x->h.last_n, 2);
	assert_int_equal(x->a.epoch, FPC_EPOCH(1, 3));
	assert_int_equal(x->a.inst.epoch, FPC_EPOCH(1, 3));
	assert_int_equal(x->a.inst.generation, 1);
	/* the same share again (republished, then read on a resync): nothing */
	assert_int_equal(take(x, FPC_EPOCH(1, 3), 2), 0);
	assert_int_equal(x->h.installs, 1);
	assert_int_equal(x->a.refused, 0);
	/* older: refused, the plan stays */
	assert_int_equal(take(x, FPC_EPOCH(1, 2), 5), ESTALE);
	assert_int_equal(x->a.refused, 1);
	assert_int_equal(x->h.installs, 1);
	assert_int_equal(x->a.epoch, FPC_EPOCH(1, 3));
	/* a later re-plan, then a new term's first */
	assert_int_equal(take(x, FPC_EPOCH(1, 4), 1), 0);
	assert_int_equal(take(x, FPC_EPOCH(2, 1), 3), 0);
	assert_int_equal(x->h.installs, 3);
	assert_int_equal(x->h.last_n, 3);
	/* a stale planner of term 1 writing late: refused */
	assert_int_equal(take(x, FPC_EPOCH(1, 9), 1), ESTALE);
	assert_int_equal(x->a.refused, 2);
	assert_int_equal(x->a.epoch, FPC_EPOCH(2, 1));
	assert_int_equal(x->a.shares, 3);
	assert_int_equal(x->a.installs, 3);
}

static void test_bad_share_keeps_plan(void **state)
{
	struct fix *x = *state;
	struct fp_err err = { "" };
	static const char junk[] = "flowplan-share 1\ngeneration 99\nhost h3\nsrc nonsense\n";

	assert_int_equal(take(x, FPC_EPOCH(1, 1), 1), 0);
	assert_int_not_equal(fpc_agent_take(&x->a, junk, sizeof(junk) - 1, 5, &err), 0);
	assert_non_null(strstr(err.msg, "share of h3"));
	assert_int_equal(x->a.bad, 1);
	assert_int_equal(x->a.epoch, FPC_EPOCH(1, 1));
	assert_int_equal(x->h.installs, 1);
}

static void test_no_module_kept(void **state)
{
	struct fix *x = *state;

	x->h.answer = ENOENT;
	assert_int_equal(take(x, FPC_EPOCH(1, 1), 1), ENOENT);
	/* taken (the daemon installs it when the module comes), not an error */
	assert_int_equal(x->a.epoch, FPC_EPOCH(1, 1));
	assert_int_equal(x->a.install_errors, 0);
	assert_non_null(strstr(x->a.inst.error, "not loaded"));
	x->h.answer = EIO;
	assert_int_equal(take(x, FPC_EPOCH(1, 2), 1), EIO);
	assert_int_equal(x->a.install_errors, 1);
}

/* The installed observation the agent would publish. */
static void reported(struct fix *x, struct fpc_installed *in)
{
	struct fp_err err = { "" };

	assert_non_null(x->a.obs[FPC_OBS_INSTALLED].text);
	assert_int_equal(fpc_installed_decode(x->a.obs[FPC_OBS_INSTALLED].text,
					      x->a.obs[FPC_OBS_INSTALLED].len, in, &err), 0);
}

static void test_install_retried(void **state)
{
	struct fix *x = *state;
	struct fpc_installed in;
	uint64_t now, b;
	int i;

	/* any failure, not only a missing module: kept, reported, tried again */
	x->h.answer = EIO;
	assert_int_equal(take(x, FPC_EPOCH(1, 1), 2), EIO);
	assert_int_equal(x->h.installs, 1);
	assert_int_equal(x->a.install_errors, 1);
	assert_int_equal(x->a.installs, 0);
	assert_non_null(x->a.retry_text);
	assert_int_equal(x->a.backoff_ns, FPC_RETRY_MIN_NS);
	reported(x, &in);
	assert_int_equal(in.epoch, FPC_EPOCH(1, 1));
	assert_non_null(strstr(in.error, "refused the plan"));
	assert_non_null(strstr(in.error, "attempt 1"));
	/* not before the backoff */
	now = fpd_now();
	fpc_agent_tick(&x->a, now);
	assert_int_equal(x->h.installs, 1);
	/* due: tried again, fails again, waits twice as long */
	now += 1000000000ull;
	fpc_agent_tick(&x->a, now);
	assert_int_equal(x->h.installs, 2);
	assert_int_equal(x->h.last_epoch, FPC_EPOCH(1, 1));
	assert_int_equal(x->h.last_n, 2);
	assert_int_equal(x->a.install_retries, 1);
	assert_int_equal(x->a.install_errors, 2);
	assert_int_equal(x->a.backoff_ns, 2 * FPC_RETRY_MIN_NS);
	assert_int_equal(x->a.retry_at, now + 2 * FPC_RETRY_MIN_NS);
	reported(x, &in);
	assert_non_null(strstr(in.error, "attempt 2"));
	/* the backoff doubles up to its most */
	for (i = 0, b = x->a.backoff_ns; i < 20; i++) {
		now += FPC_RETRY_MAX_NS;
		fpc_agent_tick(&x->a, now);
		assert_true(x->a.backoff_ns >= b);
		assert_true(x->a.backoff_ns <= FPC_RETRY_MAX_NS);
		b = x->a.backoff_ns;
	}
	assert_int_equal(x->a.backoff_ns, FPC_RETRY_MAX_NS);
	assert_int_equal(x->h.installs, 22);
	/* the fault goes: the next attempt installs it, the report says so */
	x->h.answer = 0;
	now += FPC_RETRY_MAX_NS;
	fpc_agent_tick(&x->a, now);
	assert_int_equal(x->h.installs, 23);
	assert_int_equal(x->a.installs, 1);
	assert_null(x->a.retry_text);
	assert_int_equal(x->a.retry_at, 0);
	reported(x, &in);
	assert_int_equal(in.epoch, FPC_EPOCH(1, 1));
	assert_string_equal(in.error, "");
	assert_int_equal(in.generation, 23);
	/* nothing more to try */
	fpc_agent_tick(&x->a, now + 10 * FPC_RETRY_MAX_NS);
	assert_int_equal(x->h.installs, 23);
}

static void test_newer_share_replaces_retry(void **state)
{
	struct fix *x = *state;
	struct fpc_installed in;
	uint64_t now;

	x->h.answer = ENOMEM;
	assert_int_equal(take(x, FPC_EPOCH(1, 1), 3), ENOMEM);
	assert_non_null(x->a.retry_text);
	/* a newer share while waiting: it is the one installed, the old not retried */
	x->h.answer = 0;
	assert_int_equal(take(x, FPC_EPOCH(1, 2), 1), 0);
	assert_int_equal(x->h.installs, 2);
	assert_int_equal(x->h.last_epoch, FPC_EPOCH(1, 2));
	assert_null(x->a.retry_text);
	now = fpd_now() + FPC_RETRY_MAX_NS;
	fpc_agent_tick(&x->a, now);
	assert_int_equal(x->h.installs, 2);
	/* a missing module is retried too (the report changes once it loads) */
	x->h.answer = ENOENT;
	assert_int_equal(take(x, FPC_EPOCH(1, 3), 2), ENOENT);
	assert_int_equal(x->a.install_errors, 1);	/* ENOMEM's; not loaded is no error */
	reported(x, &in);
	assert_non_null(strstr(in.error, "not loaded"));
	x->h.answer = 0;
	fpc_agent_tick(&x->a, fpd_now() + FPC_RETRY_MAX_NS);
	assert_int_equal(x->h.installs, 4);
	assert_int_equal(x->h.last_epoch, FPC_EPOCH(1, 3));
	reported(x, &in);
	assert_string_equal(in.error, "");
	assert_int_equal(x->a.install_retries, 1);
}

static void test_reports_wait_for_the_bus(void **state)
{
	struct fix *x = *state;
	struct fpc_installed in;
	struct fp_err err = { "" };

	assert_int_equal(take(x, FPC_EPOCH(3, 7), 2), 0);
	/* not connected: the report of what was installed is kept, to go later */
	assert_non_null(x->a.obs[FPC_OBS_INSTALLED].text);
	assert_true(x->a.obs[FPC_OBS_INSTALLED].dirty);
	assert_int_equal(fpc_installed_decode(x->a.obs[FPC_OBS_INSTALLED].text,
					      x->a.obs[FPC_OBS_INSTALLED].len, &in, &err), 0);
	assert_int_equal(in.epoch, FPC_EPOCH(3, 7));
	assert_int_equal(in.entries, 2);
	assert_string_equal(in.error, "");
	/* its own subjects only */
	assert_true(fpc_agent_owns(&x->a, "fp.obs.h3.installed"));
	assert_false(fpc_agent_owns(&x->a, "fp.obs.h4.installed"));
	assert_false(fpc_agent_owns(&x->a, "fp.plan.h3"));
}

static void test_host_names(void **state)
{
	struct fix *x = *state;
	struct fpc_agent b;
	struct fp_err err = { "" };

	assert_int_equal(fpc_agent_init(&b, x->bus, &x->nm, "h3.example", 0, &ops, &x->h, &err),
			 EINVAL);
	assert_non_null(strstr(err.msg, "[cluster] host 'h3.example'"));
	assert_int_equal(fpc_agent_init(&b, x->bus, &x->nm, "h>", 0, &ops, &x->h, &err), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_never_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_share_keeps_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_module_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_share_replaces_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_wait_for_the_bus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_names, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
