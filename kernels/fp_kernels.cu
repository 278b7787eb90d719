// SPDX-License-Identifier: MIT
/*
 * fp_kernels.cu - the CUDA kernels behind fp_pack(), fp_unpack() and
 * fp_reduce_sum(), built into libfpkernels_cuda.so (CUDA runtime linked
 * statically) and loaded by dispatch.c with dlopen(). The only exported
 * symbol is fpk_cuda_ops_get().
 *
 * Pack/unpack: each chunk is cut into slices of SLICE bytes, one thread
 * block per slice; a block finds its chunk by binary search over the slices'
 * first block numbers. Within a slice, after a byte-wise head that aligns
 * the destination to 16 bytes, the copy moves 16-byte vectors: plain ones
 * when source and destination agree modulo 16, else two aligned source
 * loads funnel-shifted into each store. The thread bodies live in
 * fp_kernels_dev.cuh, shared with the CPU emulation in emu.cu.
 *
 * Reduce: one thread per element or per 16-byte vector of elements when all
 * buffers share their alignment modulo 16; sources added in order in f32 with
 * __fadd_rn() (never contracted), f16/bf16 converted by the hardware's
 * exact widening and round-to-nearest-even narrowing, which give what
 * fp_half.h gives the CPU reference. Results equal ref.c's bit for bit
 * except for the sign and payload of NaNs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "fp_kernels_cuda.h"
#include "fp_kernels_dev.cuh"

static int errno_of(cudaError_t e)
{
	switch (e) {
	case cudaSuccess:
		return 0;
	case cudaErrorMemoryAllocation:
		return ENOMEM;
	case cudaErrorInvalidValue:
	case cudaErrorInvalidDevicePointer:
		return EINVAL;
	case cudaErrorNoDevice:
	case cudaErrorInsufficientDriver:
		return ENODEV;
	default:
		return EIO;
	}
}

__global__ void __launch_bounds__(THREADS)
pack_kernel(char *dst, const char *src, const struct seg *segs, unsigned int nseg)
{
	__shared__ unsigned int idx;

	if (threadIdx.x == 0)
		idx = fpk_seg_find(segs, nseg, blockIdx.x);
	__syncthreads();
	fpk_pack_block(dst, src, segs, idx, blockIdx.x, threadIdx.x);
}

/* Run on the device owning @p, restoring the caller's device afterwards. */
static int enter_device(const void *p, int *old)
{
	struct cudaPointerAttributes a;
	cudaError_t e;

	e = cudaGetDevice(old);
	if (e == cudaSuccess)
		e = cudaPointerGetAttributes(&a, p);
	if (e == cudaSuccess && a.device != *old)
		e = cudaSetDevice(a.device);
	return errno_of(e);
}

static int leave(int old, cudaStream_t st, cudaError_t e)
{
	if (e == cudaSuccess)
		e = cudaGetLastError();
	if (e == cudaSuccess && !st)
		e = cudaStreamSynchronize(0);
	cudaSetDevice(old);
	return errno_of(e);
}

static int cu_pack(void *dst, const void *src, const struct fp_chunk *chunks,
		   size_t n, int unpack, void *stream)
{
	cudaStream_t st = (cudaStream_t)stream;
	struct seg *segs, *dsegs = NULL;
	unsigned int nseg;
	uint64_t blocks;
	cudaError_t e;
	int old, rc;

	if (n > 0xffffffffu)
		return E2BIG;
	segs = (struct seg *)malloc((n ? n : 1) * sizeof(*segs));
	if (!segs)
		return ENOMEM;
	nseg = fpk_pack_plan(segs, chunks, n, unpack, &blocks);
	if (!nseg) {
		free(segs);
		return 0;
	}
	if (blocks > 0x7fffffffu) {
		free(segs);
		return E2BIG;
	}
	rc = enter_device(dst, &old);
	if (rc) {
		free(segs);
		return rc;
	}
	e = cudaMallocAsync((void **)&dsegs, nseg * sizeof(*segs), st);
	if (e == cudaSuccess)
		e = cudaMemcpyAsync(dsegs, segs, nseg * sizeof(*segs),
				    cudaMemcpyHostToDevice, st);
	if (e == cudaSuccess) {
		pack_kernel<<<(unsigned int)blocks, THREADS, 0, st>>>(
			(char *)dst, (const char *)src, dsegs, nseg);
		e = cudaGetLastError();
	}
	if (dsegs)
		cudaFreeAsync(dsegs, st);
	/* a pageable-memory copy has consumed @segs when it returns */
	free(segs);
	return leave(old, st, e);
}

template <typename E>
__global__ void __launch_bounds__(THREADS) reduce_kernel(struct rargs a)
{
	fpk_reduce_thread<E>(a, (uint64_t)blockIdx.x * THREADS + threadIdx.x,
			     (uint64_t)gridDim.x * THREADS);
}

static int cu_reduce(int dt, void *dst, const void *const *srcs,
		     unsigned int nsrcs, size_t count, void *stream)
{
	cudaStream_t st = (cudaStream_t)stream;
	size_t es = dt == FP_F32 ? 4 : 2;
	unsigned int k;
	struct rargs a;
	uint64_t blocks;
	cudaError_t e;
	int old, rc, sms = 0, dev;

	if (!count)
		return 0;
	memset(&a, 0, sizeof(a));
	a.dst = dst;
	a.nsrcs = nsrcs;
	a.count = count;
	for (k = 0; k < nsrcs; k++)
		a.src[k] = srcs[k];
	fpk_reduce_plan(&a, es);
	rc = enter_device(dst, &old);
	if (rc)
		return rc;
	e = cudaGetDevice(&dev);
	if (e == cudaSuccess)
		e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
	if (e != cudaSuccess)
		return leave(old, st, e);
	blocks = fpk_reduce_blocks(&a, es, sms);
	switch (dt) {
	case FP_F32:
		reduce_kernel<f32_t><<<(unsigned int)blocks, THREADS, 0, st>>>(a);
		break;
	case FP_F16:
		reduce_kernel<f16_t><<<(unsigned int)blocks, THREADS, 0, st>>>(a);
		break;
	default:
		reduce_kernel<bf16_t><<<(unsigned int)blocks, THREADS, 0, st>>>(a);
		break;
	}
	return leave(old, st, cudaSuccess);
}

static int cu_probe(char *why, size_t whylen)
{
	cudaError_t e;
	int n = 0;

	e = cudaGetDeviceCount(&n);
	if (e != cudaSuccess || n == 0) {
		snprintf(why, whylen, "no CUDA device: %s",
			 e != cudaSuccess ? cudaGetErrorString(e)
					  : "cudaGetDeviceCount() found none");
		return ENODEV;
	}
	return 0;
}

static int cu_alloc(void **p, size_t len)
{
	return errno_of(cudaMalloc(p, len ? len : 1));
}

static void cu_free(void *p)
{
	cudaFree(p);
}

static int cu_copy(void *dst, const void *src, size_t len)
{
	return errno_of(cudaMemcpy(dst, src, len, cudaMemcpyDefault));
}

static const struct fpk_cuda_ops cu_ops = {
	FPK_CUDA_ABI, cu_probe, cu_pack, cu_reduce, cu_alloc, cu_free, cu_copy,
};

extern "C" __attribute__((visibility("default")))
const struct fpk_cuda_ops *fpk_cuda_ops_get(unsigned int abi)
{
	return abi == FPK_CUDA_ABI ? &cu_ops : NULL;
}
