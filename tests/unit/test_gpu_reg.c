// SPDX-License-Identifier: MIT
/*
 * test_gpu_reg.c - lib/flowplan/gpu.c against a stand-in driver (tests/gpu/fakecuda.c,
 * loaded through FLOWPLAN_LIBCUDA exactly as libcuda.so.1 would be) and
 * verbs registration calls wrapped with --wrap: there is neither a GPU nor
 * an RDMA device on this machine, so these are the faults and answers the
 * real parts cannot give here. Checked: the no-device reasons, GPU numbering
 * in PCI bus order through sysfs, the registration order dmabuf -> peer ->
 * staged with the reasons of each failure, the dma-buf arguments, the
 * staging buffer's sharing, copies and release, and that every call leaves
 * the caller's CUDA context stack as it found it.
 *
 * lib/flowplan/gpu.c loads its driver once per process, so each case runs in a child.
 */
#include <errno.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
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
#include <infiniband/verbs.h>

#include "kernels/fp_kernels.h"
#include "flowplan/gpu.h"

/* ------------------------------------------------------------ wrapped verbs */

static int peer_ok;		/* nvidia-peermem loaded */
static int nic_dmabuf_ok = 1;	/* NIC driver takes dma-bufs */
static struct {
	uint64_t offset, iova;
	size_t len;
	int fd_open;
	int calls;
} dmabuf_call;

static int (*dev_of)(const void *p);
static int (*live)(int dev_mem);
static int (*syncmemops)(const void *p);
static int (*depth)(void);

struct ibv_mr *__wrap_ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t len,
				 int access);
struct ibv_mr *__wrap_ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr,
				       size_t len, uint64_t iova,
				       unsigned int access);
struct ibv_mr *__wrap_ibv_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset,
					size_t len, uint64_t iova, int fd,
					int access);

static struct ibv_mr *new_mr(struct ibv_pd *pd, void *addr, size_t len)
{
	struct ibv_mr *mr = calloc(1, sizeof(*mr));

	mr->pd = pd;
	mr->addr = addr;
	mr->length = len;
	return mr;
}

struct ibv_mr *__wrap_ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t len,
				 int access)
{
	(void)access;
	if (dev_of(addr) >= 0 && !peer_ok) {
		errno = EFAULT;		/* what ib_umem_get() says without peermem */
		return NULL;
	}
	return new_mr(pd, addr, len);
}

struct ibv_mr *__wrap_ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr,
				       size_t len, uint64_t iova,
				       unsigned int access)
{
	(void)iova;
	return __wrap_ibv_reg_mr(pd, addr, len, (int)access);
}

struct ibv_mr *__wrap_ibv_reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset,
					size_t len, uint64_t iova, int fd,
					int access)
{
	(void)access;
	dmabuf_call.calls++;
	dmabuf_call.offset = offset;
	dmabuf_call.iova = iova;
	dmabuf_call.len = len;
	dmabuf_call.fd_open = fcntl(fd, F_GETFD) != -1;
	if (!nic_dmabuf_ok) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	return new_mr(pd, (void *)(uintptr_t)iova, len);
}

/* ------------------------------------------------------------ harness */

static char sysroot[PATH_MAX];
#define TMP_TEMPLATE	"/tmp/fp-gpureg-XXXXXX"
static char tmp[sizeof(TMP_TEMPLATE)] = TMP_TEMPLATE;	/* mkdtemp() fills it */

/* Cases run in a child (run_case()): a failed check ends it with status 1. */
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s\n", __FILE__,	\
				__LINE__, #cond);			\
			_exit(1);					\
		}							\
	} while (0)

/* In a child: set @env ("K=V" strings, NULL-terminated), load, run @fn. */
static void run_case(const char *const *env, int (*fn)(void))
{
	const char *lib = getenv("FP_FAKECUDA");
	int status;
	pid_t pid;

	if (!lib)
		skip();
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char why[256] = "";
		void *h;

		setenv("FLOWPLAN_LIBCUDA", lib, 1);
		setenv("FLOWPLAN_SYSROOT", sysroot, 1);
		for (; *env; env++)
			putenv((char *)*env);
		fp_gpu_available(why, sizeof(why));
		h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
		if (!h)
			_exit(99);
		dev_of = (int (*)(const void *))dlsym(h, "fakecuda_dev_of");
		live = (int (*)(int))dlsym(h, "fakecuda_live");
		syncmemops = (int (*)(const void *))dlsym(h, "fakecuda_syncmemops");
		depth = (int (*)(void))dlsym(h, "fakecuda_depth");
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int setup(void **state)
{
	const char *gen = getenv("FP_MKSYSFS");
	char cmd[PATH_MAX + 64];

	(void)state;
	if (!mkdtemp(tmp))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s %s dgx-h100",
		 gen ? gen : "tests/data/mksysfs.sh", tmp);
	snprintf(sysroot, sizeof(sysroot), "%s/dgx-h100", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static struct ibv_pd *const pd = (struct ibv_pd *)0x1000;

/* ------------------------------------------------------------ cases */

static int init_fails(void)
{
	char why[256] = "";

	CHECK(fp_gpu_available(why, sizeof(why)) == ENODEV);
	CHECK(!strcmp(why, "no CUDA device: CUDA_ERROR_NO_DEVICE"));
	return 0;
}

static void test_no_device_init(void **state)
{
	static const char *const env[] = { "FAKECUDA_INIT=100", NULL };

	(void)state;
	run_case(env, init_fails);
}

static int none_found(void)
{
	char why[256] = "";
	void *p = (void *)1;
	int n = -1;

	CHECK(fp_gpu_available(why, sizeof(why)) == ENODEV);
	CHECK(!strcmp(why, "no CUDA device: the driver found none"));
	CHECK(fp_gpu_alloc(0, 64, &p, why, sizeof(why)) == ENODEV && !p);
	CHECK(fp_gpu_count(&n, why, sizeof(why)) == ENODEV && n == 0);
	return 0;
}

static void test_no_device_count(void **state)
{
	static const char *const env[] = { "FAKECUDA_BUSIDS=", NULL };

	(void)state;
	run_case(env, none_found);
}

/* CUDA lists 1B before 1A: GPU 0 (PCI order) must be CUDA device 1. */
static int numbering(void)
{
	char why[256] = "";
	void *p0, *p1, *p2 = (void *)1;

	CHECK(fp_gpu_alloc(0, 4096, &p0, why, sizeof(why)) == 0);
	CHECK(dev_of(p0) == 1);
	CHECK(fp_gpu_alloc(1, 4096, &p1, why, sizeof(why)) == 0);
	CHECK(dev_of(p1) == 0);
	CHECK(fp_gpu_alloc(2, 4096, &p2, why, sizeof(why)) == ENODEV && !p2);
	CHECK(strstr(why, "CUDA_VISIBLE_DEVICES"));
	CHECK(fp_gpu_alloc(0, 0, &p2, why, sizeof(why)) == EINVAL);
	CHECK(depth() == 0);
	CHECK(live(1) == 2);
	fp_gpu_free(0, p0, 4096);
	fp_gpu_free(1, p1, 4096);
	CHECK(live(1) == 0);
	CHECK(depth() == 0);
	return 0;
}

static void test_numbering(void **state)
{
	static const char *const env[] = {
		"FAKECUDA_BUSIDS=0000:1B:00.0,0000:1A:00.0", NULL };

	(void)state;
	run_case(env, numbering);
}

static int via_dmabuf(void)
{
	struct ibv_mr *mr;
	void *p, *staging;
	char why[256];
	int how;

	CHECK(fp_gpu_alloc(0, 3 * 4096, &p, why, sizeof(why)) == 0);
	CHECK(fp_gpu_reg(pd, 0, (char *)p + 100, 5000, 7, &mr, &how, &staging) == 0);
	CHECK(how == FP_REG_DMABUF && mr && !staging);
	CHECK(!strcmp(fp_gpu_last_reasons(), ""));
	/* the page-aligned range is exported; the MR starts 100 bytes in */
	CHECK(dmabuf_call.offset == 100 && dmabuf_call.len == 5000);
	CHECK(dmabuf_call.iova == (uintptr_t)p + 100);
	CHECK(dmabuf_call.fd_open);
	CHECK(depth() == 0);
	free(mr);
	fp_gpu_free(0, p, 3 * 4096);
	return 0;
}

static void test_reg_dmabuf(void **state)
{
	static const char *const env[] = { "FAKECUDA_DMABUF=1", NULL };

	(void)state;
	run_case(env, via_dmabuf);
}

static int via_peer(void)
{
	struct ibv_mr *mr;
	void *p, *staging;
	char why[256];
	int how;

	peer_ok = 1;
	CHECK(fp_gpu_alloc(0, 8192, &p, why, sizeof(why)) == 0);
	CHECK(fp_gpu_reg(pd, 0, p, 8192, 7, &mr, &how, &staging) == 0);
	CHECK(how == FP_REG_PEER && mr && mr->addr == p && !staging);
	CHECK(strstr(fp_gpu_last_reasons(), "dmabuf: GPU or driver without dma-buf"));
	CHECK(!strstr(fp_gpu_last_reasons(), "peer:"));
	CHECK(syncmemops(p) == 1);
	free(mr);
	fp_gpu_free(0, p, 8192);
	return 0;
}

static void test_reg_peer(void **state)
{
	static const char *const env[] = { "FAKECUDA_DMABUF=0", NULL };

	(void)state;
	run_case(env, via_peer);
}

static int nic_refuses_dmabuf(void)
{
	struct ibv_mr *mr;
	void *p, *staging;
	char why[256];
	int how;

	peer_ok = 1;
	nic_dmabuf_ok = 0;
	CHECK(fp_gpu_alloc(0, 8192, &p, why, sizeof(why)) == 0);
	CHECK(fp_gpu_reg(pd, 0, p, 8192, 7, &mr, &how, &staging) == 0);
	CHECK(how == FP_REG_PEER && dmabuf_call.calls == 1);
	CHECK(!strcmp(fp_gpu_last_reasons(),
		      "dmabuf: ibv_reg_dmabuf_mr: Operation not supported"));
	free(mr);
	fp_gpu_free(0, p, 8192);
	return 0;
}

static void test_reg_nic_refuses_dmabuf(void **state)
{
	static const char *const env[] = { "FAKECUDA_DMABUF=1", NULL };

	(void)state;
	run_case(env, nic_refuses_dmabuf);
}

static int via_staging(void)
{
	struct ibv_mr *mr, *mr2;
	void *p, *staging, *staging2;
	unsigned char *d, *s;
	char why[256];
	int how, i;

	CHECK(fp_gpu_alloc(0, 4096, &p, why, sizeof(why)) == 0);
	CHECK(fp_gpu_reg(pd, 0, p, 4096, 7, &mr, &how, &staging) == 0);
	CHECK(how == FP_REG_STAGED && staging && mr->addr == staging);
	CHECK(strstr(fp_gpu_last_reasons(),
		     "dmabuf: cuMemGetHandleForAddressRange: CUDA_ERROR_NOT_SUPPORTED"));
	CHECK(strstr(fp_gpu_last_reasons(), "; peer: ibv_reg_mr on device memory: "
		     "Bad address (is nvidia-peermem loaded?)"));
	/* a second NIC shares the staging buffer */
	CHECK(fp_gpu_reg(pd, 0, p, 4096, 7, &mr2, &how, &staging2) == 0);
	CHECK(how == FP_REG_STAGED && staging2 == staging);
	CHECK(live(0) == 1);
	/* copies between the GPU buffer and its staging buffer */
	d = p;
	s = staging;
	for (i = 0; i < 4096; i++)
		d[i] = (unsigned char)i;
	memset(s, 0, 4096);
	CHECK(fp_gpu_stage_to_host(0, p, 10, 100) == 0);
	CHECK(s[9] == 0 && s[10] == 10 && s[109] == 109 && s[110] == 0);
	memset(s + 200, 0xee, 50);
	CHECK(fp_gpu_stage_to_gpu(0, p, 200, 50) == 0);
	CHECK(d[199] == 199 && d[200] == 0xee && d[249] == 0xee && d[250] == 250);
	CHECK(fp_gpu_stage_to_host(0, p, 4000, 97) == ERANGE);
	CHECK(fp_gpu_stage_to_host(0, (char *)p + 1, 0, 1) == ENOENT);
	CHECK(depth() == 0);
	free(mr);
	free(mr2);
	fp_gpu_free(0, p, 4096);
	CHECK(live(0) == 0 && live(1) == 0);
	return 0;
}

static void test_reg_staged(void **state)
{
	static const char *const env[] = { "FAKECUDA_DMABUF=nohandle", NULL };

	(void)state;
	run_case(env, via_staging);
}

static int restricted(void)
{
	struct ibv_mr *mr;
	void *p, *staging;
	char why[256];
	int how;

	CHECK(fp_gpu_alloc(0, 4096, &p, why, sizeof(why)) == 0);
	CHECK(fp_gpu_reg(pd, 0, p, 4096, 7, &mr, &how, &staging) == EIO);
	CHECK(how == FP_REG_NONE && !mr && !staging);
	CHECK(!strncmp(fp_gpu_last_reasons(), "peer: ", 6));
	CHECK(dmabuf_call.calls == 0 && live(0) == 0);
	fp_gpu_free(0, p, 4096);
	return 0;
}

static void test_reg_restricted(void **state)
{
	static const char *const env[] = { "FAKECUDA_DMABUF=1",
					   "FLOWPLAN_GPU_REG=peer", NULL };

	(void)state;
	run_case(env, restricted);
}

/*
 * The kernel dispatcher asks the driver already in the process which
 * buffers are device memory: device buffers without CUDA kernels are refused
 * (never touched by the CPU), mixed ones too, host ones run on the CPU.
 */
static int dispatch(void)
{
	struct fp_chunk c = { 3, 10 };
	unsigned char h1[16] = "0123456789abcde", h2[16] = { 0 };
	const void *hsrcs[1] = { h1 }, *dsrcs[1];
	char why[256];
	void *d;

	CHECK(fp_gpu_alloc(0, 4096, &d, why, sizeof(why)) == 0);
	dsrcs[0] = d;
	CHECK(fp_pack(d, 16, (char *)d + 1024, 16, &c, 1, NULL) == ENOTSUP);
	CHECK(fp_unpack(d, 16, (char *)d + 1024, 16, &c, 1, NULL) == ENOTSUP);
	CHECK(fp_reduce_sum(FP_F32, d, dsrcs, 1, 4, NULL) == ENOTSUP);
	CHECK(fp_kernels_gpu(why, sizeof(why)) == ENOENT);
	CHECK(strstr(why, "CUDA kernels not loadable"));
	CHECK(fp_pack(h2, 16, d, 16, &c, 1, NULL) == EINVAL);
	CHECK(fp_reduce_sum(FP_F32, h2, dsrcs, 1, 4, NULL) == EINVAL);
	CHECK(fp_pack(h2, 16, h1, 16, &c, 1, NULL) == 0);
	CHECK(!memcmp(h2, "3456789abc", 10));
	CHECK(fp_reduce_sum(FP_F32, h2, hsrcs, 1, 4, NULL) == 0);
	CHECK(!memcmp(h2, h1, 16));
	fp_gpu_free(0, d, 4096);
	return 0;
}

static void test_kernel_dispatch(void **state)
{
	static const char *const env[] = {
		"FLOWPLAN_KERNELS_CUDA=/nonexistent/libfpkernels_cuda.so", NULL };

	(void)state;
	run_case(env, dispatch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_device_init),
		cmocka_unit_test(test_no_device_count),
		cmocka_unit_test(test_numbering),
		cmocka_unit_test(test_reg_dmabuf),
		cmocka_unit_test(test_reg_peer),
		cmocka_unit_test(test_reg_nic_refuses_dmabuf),
		cmocka_unit_test(test_reg_staged),
		cmocka_unit_test(test_reg_restricted),
		cmocka_unit_test(test_kernel_dispatch),
	};

	if (!getenv("FP_FAKECUDA"))
		printf("FP_FAKECUDA not set: run through make check-kernels\n");
	return cmocka_run_group_tests_name("gpu_reg", tests, setup, teardown);
}
