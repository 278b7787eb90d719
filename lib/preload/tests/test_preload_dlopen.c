// SPDX-License-Identifier: MIT
/*
 * test_preload_dlopen - a program that binds verbs as NCCL does: it does
 * not link libibverbs, loads it with dlopen (RTLD_LOCAL: not in the global
 * scope, so not reachable by RTLD_NEXT) and resolves every call with
 * dlvsym(handle, name, "IBVERBS_1.1"). Its QPs are pinned all the same
 * (stand-in libraries, sanitizer build of the interposer preloaded); and,
 * in a child process, nothing changes with FLOWPLAN_PRELOAD=0 or with a
 * plan file that does not exist.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <infiniband/verbs.h>

#include "tplan.h"

#define V "IBVERBS_1.1"

static struct {
	void *h;
	struct ibv_device **(*get_device_list)(int *n);
	struct ibv_context *(*open_device)(struct ibv_device *dev);
	struct ibv_pd *(*alloc_pd)(struct ibv_context *ctx);
	struct ibv_qp *(*create_qp)(struct ibv_pd *pd,
				    struct ibv_qp_init_attr *attr);
	int (*modify_qp)(struct ibv_qp *qp, struct ibv_qp_attr *attr, int mask);
	int (*destroy_qp)(struct ibv_qp *qp);
	void (*set_gid)(uint8_t port, int index, const uint8_t *raw);
	uint32_t (*qp_label)(const struct ibv_qp *qp);
} ibv;

static char plan_path[64];
static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct ibv_cq cq;

static const char *plan =
	"{ \"format\": \"flowplan-plan\", \"version\": 1, \"generation\": 3,\n"
	"  \"entries\": [ { \"src_addr\": \"10.0.1.1\", \"dst_addr\": \"10.0.2.1\",\n"
	"    \"dqpn\": 0, \"enforce\": false, \"subflows\": [\n"
	"      { \"flow_label\": 4660, \"sport\": 53812, \"weight\": 32768 },\n"
	"      { \"flow_label\": 9029, \"sport\": 58181, \"weight\": 32768 } ] } ],\n"
	"  \"phases\": [] }\n";

/* --dlsym: dlsym only, as ctypes or a JIT does, in a fresh process. */
static bool dlsym_only;

static void *sym(const char *name, const char *ver)
{
	void *p = ver && !dlsym_only ? dlvsym(ibv.h, name, ver) :
				       dlsym(ibv.h, name);

	if (!p) {
		fprintf(stderr, "%s: %s\n", name, dlerror());
		exit(1);
	}
	return p;
}

static void load(void)
{
	uint8_t gid[16];

	/* As NCCL: dlopen, then dlvsym for each call. */
	ibv.h = dlopen("libibverbs.so.1", RTLD_NOW);
	if (!ibv.h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		exit(1);
	}
	*(void **)&ibv.get_device_list = sym("ibv_get_device_list", V);
	*(void **)&ibv.open_device = sym("ibv_open_device", V);
	*(void **)&ibv.alloc_pd = sym("ibv_alloc_pd", V);
	*(void **)&ibv.create_qp = sym("ibv_create_qp", V);
	*(void **)&ibv.modify_qp = sym("ibv_modify_qp", V);
	*(void **)&ibv.destroy_qp = sym("ibv_destroy_qp", V);
	*(void **)&ibv.set_gid = sym("fake_set_gid", NULL);
	*(void **)&ibv.qp_label = sym("fake_qp_label", NULL);
	tp_gid_v4(gid, "10.0.1.1");
	ibv.set_gid(1, 1, gid);
	ctx = ibv.open_device(ibv.get_device_list(NULL)[0]);
	pd = ctx ? ibv.alloc_pd(ctx) : NULL;
	cq.context = ctx;
	if (!pd)
		exit(1);
}

static struct ibv_qp *create(bool ex)
{
	struct ibv_qp_init_attr a = {
		.qp_type = IBV_QPT_RC, .send_cq = &cq, .recv_cq = &cq,
	};
	struct ibv_qp_init_attr_ex ax = {
		.qp_type = IBV_QPT_RC, .send_cq = &cq, .recv_cq = &cq, .pd = pd,
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_CREATE_FLAGS,
	};

	if (!ex)
		return ibv.create_qp(pd, &a);
	/*
	 * What the ibv_create_qp_ex inline does (it names ibv_create_qp too,
	 * which this program must not link).
	 */
	return verbs_get_ctx_op(ctx, create_qp_ex)->create_qp_ex(ctx, &ax);
}

static int connect_qp(struct ibv_qp *qp, uint32_t dqpn)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_INIT, .port_num = 1 };
	struct ibv_qp_attr rtr = {
		.qp_state = IBV_QPS_RTR, .dest_qp_num = dqpn,
		.ah_attr = { .is_global = 1, .port_num = 1,
			     .grh = { .sgid_index = 1, .hop_limit = 64 } },
	};

	if (ibv.modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PORT))
		return -1;
	tp_gid_v4(rtr.ah_attr.grh.dgid.raw, "10.0.2.1");
	return ibv.modify_qp(qp, &rtr, IBV_QP_STATE | IBV_QP_AV |
			     IBV_QP_DEST_QPN);
}

static void pinned(void **state)
{
	struct ibv_qp *qp[3];
	Dl_info di;
	int i;

	(void)state;
	load();
	/* The program holds the interposer's function, not libibverbs'. */
	assert_true(dladdr((void *)ibv.modify_qp, &di));
	assert_non_null(strstr(di.dli_fname, "libflowplan-preload.so"));
	for (i = 0; i < 3; i++) {
		qp[i] = create(i == 1);
		assert_non_null(qp[i]);
		assert_int_equal(connect_qp(qp[i], 0x40 + i), 0);
	}
	assert_int_equal(ibv.qp_label(qp[0]), 4660);
	assert_int_equal(ibv.qp_label(qp[1]), 9029);
	assert_int_equal(ibv.qp_label(qp[2]), 4660);
	for (i = 0; i < 3; i++)
		assert_int_equal(ibv.destroy_qp(qp[i]), 0);
}

/*
 * In a child with @env: the check @mode; exit status 0 when it holds.
 * @exe: the program to run (NULL: this one).
 */
static void child(const char *exe, const char *env, const char *mode)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (!pid) {
		char *const argv[] = { (char *)(exe ? exe : "/proc/self/exe"),
				       (char *)mode, NULL };

		putenv((char *)env);
		execv(argv[0], argv);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void disabled(void **state)
{
	(void)state;
	child(NULL, "FLOWPLAN_PRELOAD=0", "--untouched");
	child(NULL, "FLOWPLAN_PLAN=/nonexistent/plan.json", "--untouched");
}

/*
 * Bound with dlsym alone, as ctypes or a JIT does, in a process where
 * nothing ever called dlvsym: pinned all the same. The sanitizer's runtime
 * calls dlvsym while it starts, so this runs an uninstrumented build of
 * this program with the plain interposer.
 */
static void dlsym_alone(void **state)
{
	const char *plain = getenv("FP_PRELOAD_PLAIN_SO");
	char exe[1024], pre[1100];
	ssize_t n;

	(void)state;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 8);
	if (!plain || n <= 0)
		skip();
	exe[n] = 0;
	strcat(exe, "_plain");
	snprintf(pre, sizeof(pre), "LD_PRELOAD=%s", plain);
	child(exe, pre, "--dlsym");
}

static int pinned_child(void)
{
	struct ibv_qp *qp[2];
	int i, bad = 0;

	load();
	for (i = 0; i < 2; i++) {
		qp[i] = create(false);
		if (!qp[i] || connect_qp(qp[i], 0x60 + i))
			return 1;
	}
	bad = ibv.qp_label(qp[0]) != 4660 || ibv.qp_label(qp[1]) != 9029;
	for (i = 0; i < 2; i++)
		ibv.destroy_qp(qp[i]);
	return bad ? 4 : 0;
}

static int untouched(void)
{
	struct ibv_qp *qp;
	int bad;

	const char *off = getenv("FLOWPLAN_PRELOAD");
	Dl_info di;

	load();
	/* Not vacuous: unless turned off, the interposer is in the path. */
	if (!(off && !strcmp(off, "0")) &&
	    (!dladdr((void *)ibv.modify_qp, &di) ||
	     !strstr(di.dli_fname, "libflowplan-preload.so")))
		return 3;
	qp = create(false);
	if (!qp)
		return 1;
	bad = connect_qp(qp, 0x99) || ibv.qp_label(qp) != 0;
	ibv.destroy_qp(qp);
	return bad;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pinned),
		cmocka_unit_test(disabled),
		cmocka_unit_test(dlsym_alone),
	};
	int ret;

#ifndef __x86_64__
	/* docs/preload.md: programs that dlvsym their verbs are not pinned. */
	printf("skip: dlsym/dlvsym are interposed on x86-64 only\n");
	return 77;
#endif
	snprintf(plan_path, sizeof(plan_path),
		 "/tmp/fp-preload-dlopen-%d.json", (int)getpid());
	if (argc > 1 && !strcmp(argv[1], "--untouched"))
		return untouched();
	if (argc > 1 && !strcmp(argv[1], "--dlsym")) {
		dlsym_only = true;
		return pinned_child();
	}
	if (!getenv("FP_TEST_PRELOADED"))
		tp_write_plan(plan_path, plan);
	tp_reexec(argv, plan_path, NULL);
	ret = cmocka_run_group_tests_name("preload_dlopen", tests, NULL, NULL);
	unlink(plan_path);
	return ret;
}
