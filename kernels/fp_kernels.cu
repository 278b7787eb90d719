// SPDX-License-Identifier: MIT
/*
 * fp_kernels.cu - the CUDA kernels behind fp_pack(), fp_unpack() and
 * fp_reduce_sum(), built into libfpkernels_cuda.so (CUDA runtime linked
 * statically) and loaded by dispatch.c with dlopen(). The only exported
 * symbol is fpk_cuda_ops_get().
 *
 * Pack/unpack: each chunk is cut into slices of SLICE bytes, one thread
 * block per slice; a block finds its chunk by binary search over the slices'
 * first block numbers. Within a slice the copy uses the widest access that
 * the relative alignment of source and destination allows (16, 8, 4, 2 or 1
 * bytes), after a byte-wise head that aligns the destination.
 *
 * Reduce: one thread per element or per 16-byte vector of elements when all
 * buffers share their alignment modulo 16; sources added in order in f32 with
 * __fadd_rn() (never contracted), f16/bf16 converted by fp_half.h exactly as
 * the CPU reference does. Results equal ref.c's bit for bit except for the
 * sign and payload of NaNs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "fp_half.h"
#include "fp_kernels_cuda.h"

#define THREADS		256
#define SLICE		(THREADS * 16 * 8)	/* bytes per block: 32 KiB */
#define UNROLL		4

struct seg {
	uint64_t src_off;
	uint64_t dst_off;
	uint64_t len;
	uint64_t first_block;
};

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

template <typename T>
__device__ __forceinline__ void copy_vec(char *d, const char *s, uint64_t n)
{
	T *dv = (T *)d;
	const T *sv = (const T *)s;
	uint64_t nv = n / sizeof(T), i = threadIdx.x;
	uint64_t tail = nv * sizeof(T);
	T r[UNROLL];
	int u;

	for (; i + (UNROLL - 1) * THREADS < nv; i += UNROLL * THREADS) {
#pragma unroll
		for (u = 0; u < UNROLL; u++)
			r[u] = sv[i + u * THREADS];
#pragma unroll
		for (u = 0; u < UNROLL; u++)
			dv[i + u * THREADS] = r[u];
	}
	for (; i < nv; i += THREADS)
		dv[i] = sv[i];
	for (i = tail + threadIdx.x; i < n; i += THREADS)
		d[i] = s[i];
}

__device__ __forceinline__ void copy_range(char *d, const char *s, uint64_t n)
{
	unsigned int rel = (unsigned int)(((uintptr_t)d ^ (uintptr_t)s) & 15);
	uint64_t head = (16 - ((uintptr_t)d & 15)) & 15;

	if (head > n)
		head = n;
	if (rel & 1) {
		copy_vec<uint8_t>(d, s, n);
		return;
	}
	if (threadIdx.x < head)
		d[threadIdx.x] = s[threadIdx.x];
	d += head;
	s += head;
	n -= head;
	if (!rel)
		copy_vec<uint4>(d, s, n);
	else if (!(rel & 7))
		copy_vec<uint2>(d, s, n);
	else if (!(rel & 3))
		copy_vec<uint32_t>(d, s, n);
	else
		copy_vec<uint16_t>(d, s, n);
}

__global__ void __launch_bounds__(THREADS)
pack_kernel(char *dst, const char *src, const struct seg *segs, unsigned int nseg)
{
	__shared__ unsigned int idx;
	struct seg sg;
	uint64_t start, n;

	if (threadIdx.x == 0) {
		unsigned int lo = 0, hi = nseg - 1, mid;

		while (lo < hi) {
			mid = (lo + hi + 1) / 2;
			if (segs[mid].first_block <= blockIdx.x)
				lo = mid;
			else
				hi = mid - 1;
		}
		idx = lo;
	}
	__syncthreads();
	sg = segs[idx];
	start = (uint64_t)(blockIdx.x - sg.first_block) * SLICE;
	n = sg.len - start < SLICE ? sg.len - start : SLICE;
	copy_range(dst + sg.dst_off + start, src + sg.src_off + start, n);
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
	uint64_t blocks = 0, run = 0;
	unsigned int nseg = 0;
	cudaError_t e;
	size_t i;
	int old, rc;

	if (n > 0xffffffffu)
		return E2BIG;
	segs = (struct seg *)malloc((n ? n : 1) * sizeof(*segs));
	if (!segs)
		return ENOMEM;
	for (i = 0; i < n; i++) {
		struct seg *sg = &segs[nseg];

		if (!chunks[i].len)
			continue;
		sg->src_off = unpack ? run : chunks[i].off;
		sg->dst_off = unpack ? chunks[i].off : run;
		sg->len = chunks[i].len;
		sg->first_block = blocks;
		blocks += (chunks[i].len + SLICE - 1) / SLICE;
		run += chunks[i].len;
		nseg++;
	}
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

struct rargs {
	const void *src[FP_REDUCE_MAX_SRCS];
	void *dst;
	unsigned int nsrcs;
	uint64_t count;		/* elements */
	uint64_t head;		/* scalar elements before the vector part */
	uint64_t nvec;		/* 16-byte vectors after the head, 0: scalar */
};

struct f32_t {
	typedef float raw;
	static __device__ __forceinline__ float ld(float v) { return v; }
	static __device__ __forceinline__ float st(float v) { return v; }
};
struct f16_t {
	typedef uint16_t raw;
	static __device__ __forceinline__ float ld(uint16_t v) { return fph_f16_to_f32(v); }
	static __device__ __forceinline__ uint16_t st(float v) { return fph_f32_to_f16(v); }
};
struct bf16_t {
	typedef uint16_t raw;
	static __device__ __forceinline__ float ld(uint16_t v) { return fph_bf16_to_f32(v); }
	static __device__ __forceinline__ uint16_t st(float v) { return fph_f32_to_bf16(v); }
};

template <typename E>
__device__ __forceinline__ void reduce_one(const struct rargs &a, uint64_t i)
{
	typedef typename E::raw R;
	float acc = E::ld(((const R *)a.src[0])[i]);

	for (unsigned int k = 1; k < a.nsrcs; k++)
		acc = __fadd_rn(acc, E::ld(((const R *)a.src[k])[i]));
	((R *)a.dst)[i] = E::st(acc);
}

template <typename E>
__global__ void __launch_bounds__(THREADS) reduce_kernel(struct rargs a)
{
	typedef typename E::raw R;
	const unsigned int per = 16 / sizeof(R);
	uint64_t stride = (uint64_t)gridDim.x * THREADS;
	uint64_t t = (uint64_t)blockIdx.x * THREADS + threadIdx.x, i, v;

	if (!a.nvec) {
		for (i = t; i < a.count; i += stride)
			reduce_one<E>(a, i);
		return;
	}
	for (i = t; i < a.head; i += stride)
		reduce_one<E>(a, i);
	for (v = t; v < a.nvec; v += stride) {
		uint64_t base = a.head + v * per;
		union {
			uint4 q;
			R e[16 / sizeof(R)];
		} in, out;
		float acc[16 / sizeof(R)];
		unsigned int j, k;

		in.q = ((const uint4 *)((const R *)a.src[0] + base))[0];
#pragma unroll
		for (j = 0; j < per; j++)
			acc[j] = E::ld(in.e[j]);
		for (k = 1; k < a.nsrcs; k++) {
			in.q = ((const uint4 *)((const R *)a.src[k] + base))[0];
#pragma unroll
			for (j = 0; j < per; j++)
				acc[j] = __fadd_rn(acc[j], E::ld(in.e[j]));
		}
#pragma unroll
		for (j = 0; j < per; j++)
			out.e[j] = E::st(acc[j]);
		((uint4 *)((R *)a.dst + base))[0] = out.q;
	}
	for (i = a.head + a.nvec * per + t; i < a.count; i += stride)
		reduce_one<E>(a, i);
}

static int cu_reduce(int dt, void *dst, const void *const *srcs,
		     unsigned int nsrcs, size_t count, void *stream)
{
	cudaStream_t st = (cudaStream_t)stream;
	size_t es = dt == FP_F32 ? 4 : 2;
	unsigned int per = 16 / es, k, mis;
	struct rargs a;
	uint64_t work, blocks;
	cudaError_t e;
	int old, rc, sms = 0, dev;

	if (!count)
		return 0;
	memset(&a, 0, sizeof(a));
	a.dst = dst;
	a.nsrcs = nsrcs;
	a.count = count;
	mis = (unsigned int)((uintptr_t)dst & 15);
	for (k = 0; k < nsrcs; k++) {
		a.src[k] = srcs[k];
		if (((uintptr_t)srcs[k] & 15) != mis)
			mis = 16;	/* no common alignment: scalar */
	}
	if (mis < 16) {
		a.head = ((16 - mis) & 15) / es;
		if (a.head > count)
			a.head = count;
		a.nvec = (count - a.head) / per;
	}
	rc = enter_device(dst, &old);
	if (rc)
		return rc;
	e = cudaGetDevice(&dev);
	if (e == cudaSuccess)
		e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
	if (e != cudaSuccess)
		return leave(old, st, e);
	work = a.nvec ? a.nvec + a.head + per : count;
	blocks = (work + THREADS - 1) / THREADS;
	if (blocks > (uint64_t)sms * 16)
		blocks = (uint64_t)sms * 16;
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
