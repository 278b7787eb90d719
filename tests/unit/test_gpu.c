// SPDX-License-Identifier: MIT
/*
 * test_gpu.c - GPU placement without CUDA, and the GPU kernels against the
 * CPU reference where a GPU exists.
 *
 * Without libcuda.so.1 (forced in a child with FLOWPLAN_LIBCUDA pointing
 * nowhere, so this holds on GPU machines too) every entry point must fail
 * with an errno value and a clear reason, never crash. The bit-for-bit
 * comparisons (tests/gpu/kernels_cmp.c) skip with "no CUDA device: ..." when
 * the kernels cannot run.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowplan/gpu.h"
#include "../gpu/kernels_cmp.h"

/* Run @fn in a child with no CUDA driver; its exit status is the verdict. */
static void in_child_without_cuda(int (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("FLOWPLAN_LIBCUDA", "/nonexistent/libcuda.so.1", 1);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int no_driver(void)
{
	char why[256] = "";
	void *p = (void *)1;
	int n = -1;

	if (fp_gpu_available(why, sizeof(why)) != ENOENT ||
	    !strstr(why, "libcuda.so.1 not found")) {
		fprintf(stderr, "available: \"%s\"\n", why);
		return 1;
	}
	why[0] = '\0';
	if (fp_gpu_alloc(0, 4096, &p, why, sizeof(why)) != ENOENT || p ||
	    !strstr(why, "not found"))
		return 2;
	if (fp_gpu_count(&n, why, sizeof(why)) != ENOENT || n != 0)
		return 3;
	fp_gpu_free(0, NULL, 0);		/* harmless */
	fp_gpu_free(0, (void *)0x1000, 64);	/* no driver: nothing to do */
	return 0;
}

static void test_available_without_driver(void **state)
{
	(void)state;
	in_child_without_cuda(no_driver);
}

static int reg_no_driver(void)
{
	struct ibv_mr *mr = (struct ibv_mr *)1;
	void *staging = (void *)1;
	int how = -1;

	/* any non-NULL pd: the driver check comes first */
	if (fp_gpu_reg((struct ibv_pd *)8, 0, (void *)0x1000, 64, 0, &mr, &how,
		       &staging) != ENOENT)
		return 1;
	if (mr || staging || how != FP_REG_NONE)
		return 2;
	if (strncmp(fp_gpu_last_reasons(), "gpu: ", 5) ||
	    !strstr(fp_gpu_last_reasons(), "libcuda.so.1 not found"))
		return 3;
	if (fp_gpu_reg(NULL, 0, (void *)0x1000, 64, 0, &mr, &how, &staging) != EINVAL)
		return 4;
	return 0;
}

static void test_reg_without_driver(void **state)
{
	(void)state;
	in_child_without_cuda(reg_no_driver);
}

/* In this process, whatever the machine: 0, or an errno and a reason. */
static void test_available_here(void **state)
{
	char why[256] = "";
	int ret;

	(void)state;
	ret = fp_gpu_available(why, sizeof(why));
	if (ret) {
		assert_true(ret == ENOENT || ret == ENODEV || ret == EIO ||
			    ret == ENOSYS);
		assert_true(why[0] != '\0');
		print_message("CUDA unavailable here: %s\n", why);
	}
	assert_string_equal(fp_gpu_reg_name(FP_REG_DMABUF), "dmabuf");
	assert_string_equal(fp_gpu_reg_name(FP_REG_STAGED), "staged");
	assert_string_equal(fp_gpu_reg_name(42), "none");
}

static void need_gpu(void)
{
	char why[256] = "";

	if (fp_kernels_gpu(why, sizeof(why))) {
		print_message("skipped: %s%s\n",
			      strncmp(why, "no CUDA device", 14) ? "no CUDA device: " : "",
			      why);
		skip();
	}
}

static void cmp(int ret, const char *msg)
{
	if (ret)
		fail_msg("%s", msg);
}

static void test_gpu_pack(void **state)
{
	char msg[256] = "";

	(void)state;
	need_gpu();
	cmp(fpk_cmp_pack(msg, sizeof(msg)), msg);
}

static void test_gpu_unpack(void **state)
{
	char msg[256] = "";

	(void)state;
	need_gpu();
	cmp(fpk_cmp_unpack(msg, sizeof(msg)), msg);
}

static void test_gpu_reduce_f32(void **state)
{
	char msg[256] = "";

	(void)state;
	need_gpu();
	cmp(fpk_cmp_reduce(FP_F32, msg, sizeof(msg)), msg);
}

static void test_gpu_reduce_f16(void **state)
{
	char msg[256] = "";

	(void)state;
	need_gpu();
	cmp(fpk_cmp_reduce(FP_F16, msg, sizeof(msg)), msg);
}

static void test_gpu_reduce_bf16(void **state)
{
	char msg[256] = "";

	(void)state;
	need_gpu();
	cmp(fpk_cmp_reduce(FP_BF16, msg, sizeof(msg)), msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_available_without_driver),
		cmocka_unit_test(test_reg_without_driver),
		cmocka_unit_test(test_available_here),
		cmocka_unit_test(test_gpu_pack),
		cmocka_unit_test(test_gpu_unpack),
		cmocka_unit_test(test_gpu_reduce_f32),
		cmocka_unit_test(test_gpu_reduce_f16),
		cmocka_unit_test(test_gpu_reduce_bf16),
	};

	return cmocka_run_group_tests_name("gpu", tests, NULL, NULL);
}
