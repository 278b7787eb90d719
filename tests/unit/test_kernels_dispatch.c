// SPDX-License-Identifier: MIT
/*
 * test_kernels_dispatch.c - kernels/dispatch.c on its GPU side, without a
 * GPU: fakecuda (tests/gpu/fakecuda.c) stands in for the driver and tells
 * "device memory" from host memory, fakekernels (tests/gpu/fakekernels.c)
 * for libfpkernels_cuda.so. Checked: the dispatcher's argument checks before
 * anything is launched (chunk ranges and space in the right direction,
 * alignment, element-count overflow), the arguments it hands to the kernels,
 * and how it reports kernels that cannot be loaded, are of another ABI or
 * find no device. Each case runs in its own process: the kernels library is
 * loaded once per process.
 */
#include <dlfcn.h>
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

#include "kernels/fp_kernels.h"

struct fakekernels_call {
	int calls;
	int unpack;
	int dt;
	const void *dst, *src;
	size_t n, count;
	unsigned int nsrcs;
	void *stream;
};

static struct fakekernels_call *last;

/* Cases run in a child (run_case()): a failed check ends it with status 1. */
#define CHECK(e) do { \
	if (!(e)) { \
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #e); \
		_exit(1); \
	} } while (0)

/* fakecuda needs a current context before it hands out device memory */
static int fake_driver(void)
{
	const char *lib = getenv("FP_FAKECUDA");
	int (*init)(unsigned int flags);
	int (*retain)(void **ctx, int dev);
	int (*push)(void *ctx);
	void *h, *ctx;

	h = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
	if (!h)
		return 1;
	init = (int (*)(unsigned int))dlsym(h, "cuInit");
	retain = (int (*)(void **, int))dlsym(h, "cuDevicePrimaryCtxRetain");
	push = (int (*)(void *))dlsym(h, "cuCtxPushCurrent_v2");
	if (!init || !retain || !push || init(0) || retain(&ctx, 0) || push(ctx))
		return 1;
	return 0;
}

static void run_case_driver(const char *kernels, const char *const *env,
			    int (*fn)(void), int driver)
{
	const char *fk = getenv("FP_FAKEKERNELS");
	int status;
	pid_t pid;

	if (!getenv("FP_FAKECUDA") || !fk) {
		print_message("FP_FAKECUDA or FP_FAKEKERNELS not set: run through make check-kernels\n");
		skip();
	}
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		void *h;

		setenv("FLOWPLAN_KERNELS_CUDA", kernels ? kernels : fk, 1);
		for (; env && *env; env++)
			putenv((char *)*env);
		if (driver && fake_driver())
			_exit(98);
		h = dlopen(fk, RTLD_NOW | RTLD_GLOBAL);
		last = h ? dlsym(h, "fakekernels_last") : NULL;
		if (!last)
			_exit(99);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void run_case(const char *kernels, const char *const *env, int (*fn)(void))
{
	run_case_driver(kernels, env, fn, 1);
}

static int dev_buf(void **p, size_t len, const void *init)
{
	if (fp_kernels_dev_alloc(p, len))
		return 1;
	return init ? fp_kernels_dev_copy(*p, init, len) : 0;
}

/* ------------------------------------------------------------ pack */

static int pack_on_gpu(void)
{
	struct fp_chunk c[4] = { { 5, 10 }, { 40, 0 }, { 64, 0 }, { 20, 7 } };
	unsigned char pat[64], out[64], want[17];
	void *scat, *cont, *back, *stream = (void *)0x5eed;
	char why[64] = "untouched";
	int calls, i;

	for (i = 0; i < 64; i++)
		pat[i] = (unsigned char)(i * 7 + 1);
	memcpy(want, pat + 5, 10);
	memcpy(want + 10, pat + 20, 7);
	CHECK(fp_kernels_gpu(why, sizeof(why)) == 0);
	CHECK(!strcmp(why, "untouched"));		/* no reason when it works */
	CHECK(dev_buf(&scat, 64, pat) == 0);
	CHECK(dev_buf(&cont, 17, NULL) == 0);
	CHECK(dev_buf(&back, 64, NULL) == 0);

	CHECK(fp_pack(cont, 17, scat, 64, c, 4, stream) == 0);
	CHECK(last->calls == 1 && !last->unpack && last->dst == cont &&
	      last->src == scat && last->n == 4 && last->stream == stream);
	CHECK(fp_kernels_dev_copy(out, cont, 17) == 0);
	CHECK(!memcmp(out, want, 17));

	memset(out, 0xee, sizeof(out));
	CHECK(fp_kernels_dev_copy(back, out, 64) == 0);
	CHECK(fp_unpack(back, 64, cont, 17, c, 4, NULL) == 0);
	CHECK(last->calls == 2 && last->unpack && last->dst == back &&
	      last->src == cont && last->n == 4 && !last->stream);
	CHECK(fp_kernels_dev_copy(out, back, 64) == 0);
	CHECK(!memcmp(out + 5, pat + 5, 10) && !memcmp(out + 20, pat + 20, 7));
	CHECK(out[4] == 0xee && out[15] == 0xee && out[27] == 0xee);

	/* checked before the launch: nothing reaches the kernels */
	calls = last->calls;
	CHECK(fp_pack(cont, 16, scat, 64, c, 4, NULL) == ENOSPC);
	CHECK(fp_pack(cont, 17, scat, 26, c, 4, NULL) == ERANGE);
	CHECK(fp_pack(cont, 17, scat, 63, c, 4, NULL) == ERANGE);	/* {64, 0} */
	CHECK(fp_unpack(back, 26, cont, 17, c, 4, NULL) == ERANGE);
	CHECK(fp_unpack(back, 64, cont, 16, c, 4, NULL) == ENOSPC);
	CHECK(fp_pack(cont, 17, scat, 64, NULL, 1, NULL) == EINVAL);
	CHECK(fp_pack(NULL, 17, scat, 64, c, 4, NULL) == EINVAL);
	CHECK(fp_unpack(back, 64, NULL, 17, c, 4, NULL) == EINVAL);
	CHECK(fp_pack(cont, 17, pat, 64, c, 4, NULL) == EINVAL);	/* mixed */
	CHECK(last->calls == calls);
	/* exactly full, both ways, still launches */
	CHECK(fp_pack(cont, 17, scat, 64, c, 4, NULL) == 0);
	CHECK(fp_unpack(back, 64, cont, 17, c, 4, NULL) == 0);
	CHECK(last->calls == calls + 2);

	fp_kernels_dev_free(scat);
	fp_kernels_dev_free(cont);
	fp_kernels_dev_free(back);
	fp_kernels_dev_free(NULL);
	return 0;
}

static void test_pack_on_gpu(void **state)
{
	(void)state;
	run_case(NULL, NULL, pack_on_gpu);
}

/* Pinned host memory is CUDA's but not the device's: the CPU copies it. */
static int pinned_host(void)
{
	int (*host_alloc)(void **pp, size_t bytes, unsigned int flags) =
		(int (*)(void **, size_t, unsigned int))dlsym(RTLD_DEFAULT, "cuMemHostAlloc");
	struct fp_chunk c = { 2, 5 };
	unsigned char plain[8] = { 0 };
	void *p, *q, *d;

	CHECK(host_alloc && !host_alloc(&p, 16, 0) && !host_alloc(&q, 16, 0));
	memcpy(p, "0123456789abcdef", 16);
	CHECK(fp_pack(q, 5, p, 16, &c, 1, NULL) == 0 && !memcmp(q, "23456", 5));
	CHECK(fp_pack(plain, 5, p, 16, &c, 1, NULL) == 0 && !memcmp(plain, "23456", 5));
	CHECK(last->calls == 0);
	CHECK(dev_buf(&d, 16, NULL) == 0);
	CHECK(fp_pack(d, 5, p, 16, &c, 1, NULL) == EINVAL);		/* mixed */
	CHECK(last->calls == 0);
	return 0;
}

static void test_pinned_host_memory(void **state)
{
	(void)state;
	run_case(NULL, NULL, pinned_host);
}

/* ------------------------------------------------------------ reduce */

static int reduce_on_gpu(void)
{
	float a[6] = { 1, 2, 3, 4, 5, 6 }, b[6] = { 10, 20, 30, 40, 50, 60 }, r[6];
	void *da, *db, *dr, *stream = (void *)0xbeef;
	const void *srcs[2], *mis[2], *nul[2];
	const void *nine[FP_REDUCE_MAX_SRCS + 1];
	int calls, i;

	CHECK(dev_buf(&da, sizeof(a), a) == 0);
	CHECK(dev_buf(&db, sizeof(b), b) == 0);
	CHECK(dev_buf(&dr, sizeof(r), NULL) == 0);
	srcs[0] = da;
	srcs[1] = db;
	CHECK(fp_reduce_sum(FP_F32, dr, srcs, 2, 6, stream) == 0);
	CHECK(last->calls == 1 && last->dt == FP_F32 && last->dst == dr &&
	      last->src == da && last->nsrcs == 2 && last->count == 6 &&
	      last->stream == stream);
	CHECK(fp_kernels_dev_copy(r, dr, sizeof(r)) == 0);
	for (i = 0; i < 6; i++)
		CHECK(r[i] == 11.0f * (float)(i + 1));

	/* f16 needs 2-byte alignment only: this reaches the kernels (ENOSYS) */
	mis[0] = (const char *)da + 2;
	mis[1] = (const char *)db + 2;
	CHECK(fp_reduce_sum(FP_F16, (char *)dr + 2, mis, 2, 4, NULL) == ENOSYS);
	CHECK(last->calls == 2 && last->dt == FP_F16 && last->nsrcs == 2 &&
	      last->count == 4);
	CHECK(fp_reduce_sum(FP_BF16, dr, mis, 1, 1, NULL) == ENOSYS);
	CHECK(last->calls == 3 && last->dt == FP_BF16 && last->nsrcs == 1);
	/* the largest count that does not overflow the byte size launches */
	CHECK(fp_reduce_sum(FP_F16, dr, srcs, 1, SIZE_MAX / 2, NULL) == ENOSYS);
	CHECK(last->calls == 4 && last->count == SIZE_MAX / 2);

	/* checked before the launch */
	calls = last->calls;
	CHECK(fp_reduce_sum(FP_F16, dr, srcs, 1, SIZE_MAX / 2 + 1, NULL) == ERANGE);
	CHECK(fp_reduce_sum(FP_F32, dr, srcs, 2, SIZE_MAX / 4 + 1, NULL) == ERANGE);
	CHECK(fp_reduce_sum(FP_F32, (char *)dr + 2, srcs, 2, 4, NULL) == EINVAL);
	CHECK(fp_reduce_sum(FP_F32, dr, mis, 2, 4, NULL) == EINVAL);
	mis[0] = da;					/* only the second */
	CHECK(fp_reduce_sum(FP_F32, dr, mis, 2, 4, NULL) == EINVAL);
	CHECK(fp_reduce_sum(FP_F16, (char *)dr + 1, srcs, 1, 4, NULL) == EINVAL);
	nul[0] = da;
	nul[1] = NULL;
	CHECK(fp_reduce_sum(FP_F32, dr, nul, 2, 4, NULL) == EINVAL);
	CHECK(fp_reduce_sum(FP_F32, NULL, srcs, 2, 4, NULL) == EINVAL);
	CHECK(fp_reduce_sum(FP_F32, dr, NULL, 2, 4, NULL) == EINVAL);
	CHECK(fp_reduce_sum(FP_F32, dr, srcs, 0, 4, NULL) == EINVAL);
	CHECK(fp_reduce_sum((enum fp_dtype)3, dr, srcs, 2, 4, NULL) == EINVAL);
	for (i = 0; i <= FP_REDUCE_MAX_SRCS; i++)
		nine[i] = da;
	CHECK(fp_reduce_sum(FP_F32, dr, nine, FP_REDUCE_MAX_SRCS + 1, 4, NULL) == EINVAL);
	CHECK(fp_reduce_sum(FP_F32, r, srcs, 2, 4, NULL) == EINVAL);	/* mixed */
	CHECK(last->calls == calls);
	CHECK(fp_reduce_sum(FP_F32, dr, nine, FP_REDUCE_MAX_SRCS, 6, NULL) == 0);
	CHECK(last->calls == calls + 1 && last->nsrcs == FP_REDUCE_MAX_SRCS);
	CHECK(fp_kernels_dev_copy(r, dr, sizeof(r)) == 0);
	CHECK(r[5] == 6.0f * FP_REDUCE_MAX_SRCS);

	fp_kernels_dev_free(da);
	fp_kernels_dev_free(db);
	fp_kernels_dev_free(dr);
	return 0;
}

static void test_reduce_on_gpu(void **state)
{
	(void)state;
	run_case(NULL, NULL, reduce_on_gpu);
}

/* ------------------------------------------------------------ loading */

/* Device buffers and no usable kernels: refused, and the reason kept. */
static int unusable(int want, const char *reason)
{
	struct fp_chunk c = { 0, 8 };
	char why[256] = "", small[8];
	unsigned char h[16] = { 0 };
	const void *srcs[1];
	void *d = (void *)1;
	int (*alloc)(unsigned long long *dptr, size_t bytes);
	unsigned long long a;

	CHECK(fp_kernels_gpu(why, sizeof(why)) == want);
	CHECK(strstr(why, reason));
	CHECK(fp_kernels_gpu(NULL, 0) == want);		/* kept, no reason wanted */
	CHECK(fp_kernels_gpu(small, sizeof(small)) == want);
	CHECK(strlen(small) == sizeof(small) - 1 && !strncmp(small, why, sizeof(small) - 1));
	CHECK(fp_kernels_dev_alloc(&d, 16) == ENODEV && d == (void *)1);
	CHECK(fp_kernels_dev_copy(h, h + 8, 8) == ENODEV);
	fp_kernels_dev_free(h);			/* nothing to free it with: a no-op */

	/* device memory straight from the driver */
	alloc = (int (*)(unsigned long long *, size_t))dlsym(RTLD_DEFAULT, "cuMemAlloc_v2");
	CHECK(alloc && !alloc(&a, 64));
	d = (void *)(uintptr_t)a;
	srcs[0] = d;
	CHECK(fp_pack(d, 16, (char *)d + 32, 16, &c, 1, NULL) == ENOTSUP);
	CHECK(fp_unpack(d, 16, (char *)d + 32, 16, &c, 1, NULL) == ENOTSUP);
	CHECK(fp_reduce_sum(FP_F32, (char *)d + 32, srcs, 1, 4, NULL) == ENOTSUP);
	/* host buffers run on the CPU whatever the kernels */
	CHECK(fp_pack(h + 8, 8, h, 8, &c, 1, NULL) == 0);
	CHECK(last->calls == 0);
	return 0;
}

static int abi_mismatch(void)
{
	char want[512];

	snprintf(want, sizeof(want), "%s: no fpk_cuda_ops_get of ABI 1",
		 getenv("FP_FAKEKERNELS"));
	return unusable(ENOEXEC, want);
}

static void test_other_abi(void **state)
{
	static const char *const env[] = { "FAKEKERNELS_ABI=2", NULL };

	(void)state;
	run_case(NULL, env, abi_mismatch);
}

static void test_no_table(void **state)
{
	static const char *const env[] = { "FAKEKERNELS_GET=null", NULL };

	(void)state;
	run_case(NULL, env, abi_mismatch);
}

static int no_device(void)
{
	return unusable(ENODEV, "fake: no device");
}

static void test_probe_finds_no_device(void **state)
{
	static const char *const env[] = { "FAKEKERNELS_PROBE=19", NULL };

	(void)state;
	run_case(NULL, env, no_device);
}

static int not_loadable(void)
{
	return unusable(ENOENT, "CUDA kernels not loadable: /nonexistent/kernels.so");
}

static void test_kernels_missing(void **state)
{
	(void)state;
	run_case("/nonexistent/kernels.so", NULL, not_loadable);
}

/* FLOWPLAN_KERNELS_CUDA="" means the default name, searched the usual way. */
static int default_name(void)
{
	return unusable(ENOENT, "CUDA kernels not loadable: libfpkernels_cuda.so");
}

static void test_empty_path_is_the_default(void **state)
{
	void *h = dlopen("libfpkernels_cuda.so", RTLD_NOW | RTLD_NOLOAD);

	(void)state;
	if (!h)
		h = dlopen("libfpkernels_cuda.so", RTLD_LAZY);
	if (h) {
		dlclose(h);
		skip();		/* installed on this machine: it would load */
	}
	run_case("", NULL, default_name);
}

/* No driver in the process, and none to load: the CPU is all there is. */
static int no_driver(void)
{
	char why[256] = "";
	unsigned char a[8] = "abcdefg", b[8] = { 0 };
	struct fp_chunk c = { 1, 3 };

	CHECK(fp_kernels_gpu(why, sizeof(why)) == ENOENT);
	CHECK(!strcmp(why, "libcuda.so.1 not found (no NVIDIA driver)"));
	CHECK(fp_pack(b, 3, a, 8, &c, 1, NULL) == 0 && !memcmp(b, "bcd", 3));
	CHECK(last->calls == 0);
	return 0;
}

static void test_no_driver(void **state)
{
	void *h = dlopen("libcuda.so.1", RTLD_LAZY);

	(void)state;
	if (h) {
		dlclose(h);
		skip();		/* a real driver is installed */
	}
	run_case_driver(NULL, NULL, no_driver, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_on_gpu),
		cmocka_unit_test(test_pinned_host_memory),
		cmocka_unit_test(test_reduce_on_gpu),
		cmocka_unit_test(test_other_abi),
		cmocka_unit_test(test_no_table),
		cmocka_unit_test(test_probe_finds_no_device),
		cmocka_unit_test(test_kernels_missing),
		cmocka_unit_test(test_empty_path_is_the_default),
		cmocka_unit_test(test_no_driver),
	};

	return cmocka_run_group_tests_name("kernels_dispatch", tests, NULL, NULL);
}
