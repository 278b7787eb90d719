// SPDX-License-Identifier: MIT
/*
 * dispatch.c - run each kernel where its buffers are: on the GPU through
 * libfpkernels_cuda.so for CUDA device memory, else the CPU reference.
 *
 * Telling a device pointer from a host pointer needs the CUDA driver, but
 * loading it costs a lot and may fail. A process that never loaded
 * libcuda.so.1 cannot own device memory, so the driver is only asked
 * (cuPointerGetAttribute) when it is already in the process; dlopen() with
 * RTLD_NOLOAD answers that without loading anything.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_kernels.h"
#include "fp_kernels_cuda.h"

/* Driver API facts (cuda.h is not needed to build flowplan). */
#define CU_POINTER_ATTRIBUTE_MEMORY_TYPE	2
#define CU_MEMORYTYPE_DEVICE			2
#define CU_MEMORYTYPE_UNIFIED			4
typedef int (*cu_ptr_attr_fn)(void *data, int attr, unsigned long long ptr);

static cu_ptr_attr_fn cu_ptr_attr;	/* set once libcuda is seen */

static pthread_once_t so_once = PTHREAD_ONCE_INIT;
static const struct fpk_cuda_ops *ops;
static int so_err;
static char so_why[256];

static void so_load(void)
{
	const char *path = getenv("FLOWPLAN_KERNELS_CUDA");
	fpk_cuda_ops_get_fn get;
	void *h;

	h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		so_err = ENOENT;
		snprintf(so_why, sizeof(so_why),
			 "libcuda.so.1 not found (no NVIDIA driver)");
		return;
	}
	h = dlopen(path && *path ? path : FPK_CUDA_SO, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		so_err = ENOENT;
		snprintf(so_why, sizeof(so_why), "CUDA kernels not loadable: %s",
			 dlerror());
		return;
	}
	get = (fpk_cuda_ops_get_fn)dlsym(h, FPK_CUDA_SYM);
	ops = get ? get(FPK_CUDA_ABI) : NULL;
	if (!ops || ops->abi != FPK_CUDA_ABI) {
		ops = NULL;
		so_err = ENOEXEC;
		snprintf(so_why, sizeof(so_why),
			 "%s: no %s of ABI %d", path && *path ? path : FPK_CUDA_SO,
			 FPK_CUDA_SYM, FPK_CUDA_ABI);
		return;
	}
	so_err = ops->probe(so_why, sizeof(so_why));
	if (so_err)
		ops = NULL;
}

int fp_kernels_gpu(char *why, size_t whylen)
{
	pthread_once(&so_once, so_load);
	if (so_err && why && whylen)
		snprintf(why, whylen, "%s", so_why);
	return so_err;
}

/* 1: CUDA device (or managed) memory, 0: anything else. */
static int is_device(const void *p)
{
	cu_ptr_attr_fn fn = __atomic_load_n(&cu_ptr_attr, __ATOMIC_ACQUIRE);
	unsigned int type = 0;
	void *h;

	if (!fn) {
		h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
		if (!h)
			return 0;
		fn = (cu_ptr_attr_fn)dlsym(h, "cuPointerGetAttribute");
		dlclose(h);	/* drops our reference only; still loaded */
		if (!fn)
			return 0;
		__atomic_store_n(&cu_ptr_attr, fn, __ATOMIC_RELEASE);
	}
	if (fn(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
	       (unsigned long long)(uintptr_t)p))
		return 0;	/* not known to CUDA: host memory */
	return type == CU_MEMORYTYPE_DEVICE || type == CU_MEMORYTYPE_UNIFIED;
}

/* Where to run: 0 CPU, 1 GPU, or -errno. */
static int where(const void *const *ptrs, unsigned int n)
{
	unsigned int i, dev = 0;

	for (i = 0; i < n; i++)
		dev += is_device(ptrs[i]);
	if (!dev)
		return 0;
	if (dev != n)
		return -EINVAL;		/* mixed host and device buffers */
	if (fp_kernels_gpu(NULL, 0))
		return -ENOTSUP;	/* device memory but no kernels */
	return 1;
}

static int pack_dispatch(void *dst, size_t dst_len, const void *src,
			 size_t src_len, const struct fp_chunk *chunks,
			 size_t n, void *stream, int unpack)
{
	const void *ptrs[2] = { dst, src };
	int w, rc;

	if ((!dst && dst_len) || (!src && src_len))
		return EINVAL;
	w = where(ptrs, 2);
	if (w < 0)
		return -w;
	if (!w)
		return unpack ? fp_unpack_ref(dst, dst_len, src, src_len, chunks, n)
			      : fp_pack_ref(dst, dst_len, src, src_len, chunks, n);
	rc = unpack ? fpk_chunks_check(dst_len, src_len, chunks, n)
		    : fpk_chunks_check(src_len, dst_len, chunks, n);
	if (rc)
		return rc;
	return ops->pack(dst, src, chunks, n, unpack, stream);
}

int fp_pack(void *dst, size_t dst_len, const void *src, size_t src_len,
	    const struct fp_chunk *chunks, size_t n, void *stream)
{
	return pack_dispatch(dst, dst_len, src, src_len, chunks, n, stream, 0);
}

int fp_unpack(void *dst, size_t dst_len, const void *src, size_t src_len,
	      const struct fp_chunk *chunks, size_t n, void *stream)
{
	return pack_dispatch(dst, dst_len, src, src_len, chunks, n, stream, 1);
}

int fp_reduce_sum(enum fp_dtype dt, void *dst, const void *const *srcs,
		  unsigned int nsrcs, size_t count, void *stream)
{
	const void *ptrs[FP_REDUCE_MAX_SRCS + 1];
	size_t es = fp_dtype_size(dt);
	unsigned int k;
	int w;

	if (!es || !dst || !srcs || !nsrcs || nsrcs > FP_REDUCE_MAX_SRCS)
		return EINVAL;
	ptrs[0] = dst;
	for (k = 0; k < nsrcs; k++) {
		if (!srcs[k])
			return EINVAL;
		ptrs[k + 1] = srcs[k];
	}
	w = where(ptrs, nsrcs + 1);
	if (w < 0)
		return -w;
	if (!w)
		return fp_reduce_sum_ref(dt, dst, srcs, nsrcs, count);
	for (k = 0; k <= nsrcs; k++)
		if ((uintptr_t)ptrs[k] % es)
			return EINVAL;
	if (count > SIZE_MAX / es)
		return ERANGE;
	return ops->reduce(dt, dst, srcs, nsrcs, count, stream);
}

int fp_kernels_dev_alloc(void **p, size_t len)
{
	if (fp_kernels_gpu(NULL, 0))
		return ENODEV;
	return ops->dev_alloc(p, len);
}

void fp_kernels_dev_free(void *p)
{
	if (p && !fp_kernels_gpu(NULL, 0))
		ops->dev_free(p);
}

int fp_kernels_dev_copy(void *dst, const void *src, size_t len)
{
	if (fp_kernels_gpu(NULL, 0))
		return ENODEV;
	return ops->dev_copy(dst, src, len);
}
