// SPDX-License-Identifier: MIT
/*
 * fakekernels.c - a stand-in libfpkernels_cuda.so for
 * tests/unit/test_kernels_dispatch: the table kernels/dispatch.c loads, over
 * fakecuda's "device memory" (host memory it tracks), so that the
 * dispatcher's GPU path (its checks before the launch, the arguments it
 * passes, its loading errors) runs on machines without a GPU. The copies and
 * the f32 sum are plain loops; what the real kernels compute is checked
 * against the reference by emu-kernels and, on a GPU, by kernels-cmp.
 *
 *   FAKEKERNELS_ABI=N      the table claims ABI N (default FPK_CUDA_ABI)
 *   FAKEKERNELS_GET=null   fpk_cuda_ops_get() returns NULL
 *   FAKEKERNELS_PROBE=N    probe() fails with errno N, "fake: no device"
 *
 * fakekernels_last (exported) records the last pack/reduce call.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/fp_kernels_cuda.h"

#define EXPORT __attribute__((visibility("default")))

struct fakekernels_call {
	int calls;		/* pack and reduce calls so far */
	int unpack;
	int dt;
	const void *dst, *src;
	size_t n, count;
	unsigned int nsrcs;
	void *stream;
};

EXPORT struct fakekernels_call fakekernels_last;
EXPORT const struct fpk_cuda_ops *fpk_cuda_ops_get(unsigned int abi);

static int fk_probe(char *why, size_t whylen)
{
	const char *e = getenv("FAKEKERNELS_PROBE");

	if (e && atoi(e)) {
		snprintf(why, whylen, "fake: no device");
		return atoi(e);
	}
	return 0;
}

static int fk_pack(void *dst, const void *src, const struct fp_chunk *chunks,
		   size_t n, int unpack, void *stream)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	size_t i, run = 0;

	fakekernels_last = (struct fakekernels_call){
		fakekernels_last.calls + 1, unpack, -1, dst, src, n, 0, 0, stream };
	for (i = 0; i < n; i++) {
		if (unpack)
			memcpy(d + chunks[i].off, s + run, chunks[i].len);
		else
			memcpy(d + run, s + chunks[i].off, chunks[i].len);
		run += chunks[i].len;
	}
	return 0;
}

static int fk_reduce(int dt, void *dst, const void *const *srcs,
		     unsigned int nsrcs, size_t count, void *stream)
{
	float *d = dst;
	size_t i;
	unsigned int k;

	fakekernels_last = (struct fakekernels_call){
		fakekernels_last.calls + 1, 0, dt, dst, srcs[0], 0, count, nsrcs, stream };
	if (dt != FP_F32)
		return ENOSYS;
	for (i = 0; i < count; i++) {
		float acc = ((const float *)srcs[0])[i];

		for (k = 1; k < nsrcs; k++)
			acc += ((const float *)srcs[k])[i];
		d[i] = acc;
	}
	return 0;
}

static int fk_alloc(void **p, size_t len)
{
	int (*alloc)(unsigned long long *dptr, size_t bytes) =
		(int (*)(unsigned long long *, size_t))dlsym(RTLD_DEFAULT, "cuMemAlloc_v2");
	unsigned long long a;

	if (!alloc || alloc(&a, len ? len : 1))
		return ENOMEM;
	*p = (void *)(uintptr_t)a;
	return 0;
}

static void fk_free(void *p)
{
	int (*fr)(unsigned long long dptr) =
		(int (*)(unsigned long long))dlsym(RTLD_DEFAULT, "cuMemFree_v2");

	if (fr)
		fr((unsigned long long)(uintptr_t)p);
}

static int fk_copy(void *dst, const void *src, size_t len)
{
	memcpy(dst, src, len);
	return 0;
}

static struct fpk_cuda_ops fk_ops = {
	FPK_CUDA_ABI, fk_probe, fk_pack, fk_reduce, fk_alloc, fk_free, fk_copy,
};

const struct fpk_cuda_ops *fpk_cuda_ops_get(unsigned int abi)
{
	const char *a = getenv("FAKEKERNELS_ABI"), *g = getenv("FAKEKERNELS_GET");

	(void)abi;
	if (g && !strcmp(g, "null"))
		return NULL;
	fk_ops.abi = a ? (unsigned int)atoi(a) : FPK_CUDA_ABI;
	return &fk_ops;
}
