/* SPDX-License-Identifier: MIT */
/*
 * fp_kernels_dev.cuh - the per-thread bodies of the CUDA kernels, written as
 * __host__ __device__ functions of (thread index, thread count) so that
 * emu.cu can run them on the CPU thread by thread and check them against
 * the reference where no GPU is available. fp_kernels.cu wraps them in
 * __global__ kernels. Internal header.
 */
#ifndef FP_KERNELS_DEV_CUH
#define FP_KERNELS_DEV_CUH

#include <stdint.h>

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <vector_types.h>

#include "fp_half.h"
#include "fp_kernels.h"

#define THREADS		256
#define SLICE		(THREADS * 16 * 8)	/* bytes per block: 32 KiB */
#define UNROLL		4

/*
 * Misaligned vector accesses fault on the GPU but not on x86: the host
 * emulation (emu.cu) checks them.
 */
#ifdef __CUDA_ARCH__
#define FPK_ALIGNED(p, n)	do { } while (0)
#else
#include <stdlib.h>
#define FPK_ALIGNED(p, n)	do { if ((uintptr_t)(p) % (n)) abort(); } while (0)
#endif

/* unroll hints for the device pass only (the host compiler warns) */
#ifdef __CUDA_ARCH__
#define FPK_UNROLL	_Pragma("unroll")
#else
#define FPK_UNROLL
#endif

struct seg {
	uint64_t src_off;
	uint64_t dst_off;
	uint64_t len;
	uint64_t first_block;
};

struct rargs {
	const void *src[FP_REDUCE_MAX_SRCS];
	void *dst;
	unsigned int nsrcs;
	uint64_t count;		/* elements */
	uint64_t head;		/* scalar elements before the vector part */
	uint64_t nvec;		/* 16-byte vectors after the head, 0: scalar */
};

/* The segment of block @b: the last one whose first block is <= @b. */
FP_HD unsigned int fpk_seg_find(const struct seg *segs, unsigned int nseg,
				uint64_t b)
{
	unsigned int lo = 0, hi = nseg - 1, mid;

	while (lo < hi) {
		mid = (lo + hi + 1) / 2;
		if (segs[mid].first_block <= b)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

template <typename T>
FP_HD void fpk_copy_vec(char *d, const char *s, uint64_t n, unsigned int tid)
{
	T *dv = (T *)d;
	const T *sv = (const T *)s;
	uint64_t nv = n / sizeof(T), i = tid, tail = nv * sizeof(T);
	T r[UNROLL];
	int u;

	if (nv) {
		FPK_ALIGNED(dv, sizeof(T));
		FPK_ALIGNED(sv, sizeof(T));
	}
	for (; i + (UNROLL - 1) * THREADS < nv; i += UNROLL * THREADS) {
FPK_UNROLL
		for (u = 0; u < UNROLL; u++)
			r[u] = sv[i + u * THREADS];
FPK_UNROLL
		for (u = 0; u < UNROLL; u++)
			dv[i + u * THREADS] = r[u];
	}
	for (; i < nv; i += THREADS)
		dv[i] = sv[i];
	for (i = tail + tid; i < n; i += THREADS)
		d[i] = s[i];
}

FP_HD uint32_t fpk_funnel(uint32_t lo, uint32_t hi, unsigned int bytes)
{
#ifdef __CUDA_ARCH__
	return __funnelshift_r(lo, hi, bytes * 8);
#else
	return (uint32_t)((((uint64_t)hi << 32) | lo) >> (bytes * 8));
#endif
}

/*
 * @d 16-byte aligned, @s not: read aligned 16-byte source vectors and shift
 * each pair into place (little endian), @WSH whole words plus (@s & 3)
 * bytes. The vector before @s and the last one read share an aligned block
 * with bytes of the chunk, so they never leave the allocation. The last
 * vector and the tail go byte by byte.
 */
template <int WSH>
FP_HD uint4 fpk_shift_vec(uint4 lo, uint4 hi, unsigned int b)
{
	uint32_t w[8] = { lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w };
	uint4 o;

	o.x = fpk_funnel(w[WSH], w[WSH + 1], b);
	o.y = fpk_funnel(w[WSH + 1], w[WSH + 2], b);
	o.z = fpk_funnel(w[WSH + 2], w[WSH + 3], b);
	o.w = fpk_funnel(w[WSH + 3], w[WSH + 4], b);
	return o;
}

template <int WSH>
FP_HD void fpk_copy_shift(char *d, const char *s, uint64_t n, unsigned int tid)
{
	unsigned int sh = (unsigned int)((uintptr_t)s & 15), b = sh & 3;
	const uint4 *sa = (const uint4 *)(s - sh);
	uint4 *dv = (uint4 *)d, lo[UNROLL], hi[UNROLL];
	uint64_t nv = n / 16, i = tid;
	int u;

	nv = nv ? nv - 1 : 0;
	if (nv) {
		FPK_ALIGNED(dv, 16);
		FPK_ALIGNED(sa, 16);
	}
	for (; i + (UNROLL - 1) * THREADS < nv; i += UNROLL * THREADS) {
FPK_UNROLL
		for (u = 0; u < UNROLL; u++) {
			lo[u] = sa[i + u * THREADS];
			hi[u] = sa[i + u * THREADS + 1];
		}
FPK_UNROLL
		for (u = 0; u < UNROLL; u++)
			dv[i + u * THREADS] = fpk_shift_vec<WSH>(lo[u], hi[u], b);
	}
	for (; i < nv; i += THREADS)
		dv[i] = fpk_shift_vec<WSH>(sa[i], sa[i + 1], b);
	for (i = nv * 16 + tid; i < n; i += THREADS)
		d[i] = s[i];
}

/*
 * Copy one slice: byte head up to a 16-byte aligned destination, then
 * 16-byte vectors, shifted when source and destination differ modulo 16.
 */
FP_HD void fpk_copy_range(char *d, const char *s, uint64_t n, unsigned int tid)
{
	uint64_t head = (16 - ((uintptr_t)d & 15)) & 15;

	if (head > n)
		head = n;
	if (tid < head)
		d[tid] = s[tid];
	d += head;
	s += head;
	n -= head;
	switch (((uintptr_t)s & 15) >> 2) {
	case 0:
		if (!((uintptr_t)s & 15))
			fpk_copy_vec<uint4>(d, s, n, tid);
		else
			fpk_copy_shift<0>(d, s, n, tid);
		break;
	case 1:
		fpk_copy_shift<1>(d, s, n, tid);
		break;
	case 2:
		fpk_copy_shift<2>(d, s, n, tid);
		break;
	default:
		fpk_copy_shift<3>(d, s, n, tid);
		break;
	}
}

/* Thread @tid of block @b of the pack kernel. */
FP_HD void fpk_pack_block(char *dst, const char *src, const struct seg *segs,
			  unsigned int idx, uint64_t b, unsigned int tid)
{
	struct seg sg = segs[idx];
	uint64_t start = (b - sg.first_block) * SLICE;
	uint64_t n = sg.len - start < SLICE ? sg.len - start : SLICE;

	fpk_copy_range(dst + sg.dst_off + start, src + sg.src_off + start, n, tid);
}

FP_HD float fpk_add(float a, float b)
{
#ifdef __CUDA_ARCH__
	return __fadd_rn(a, b);		/* never contracted into an FMA */
#else
	return a + b;
#endif
}

struct f32_t {
	typedef float raw;
	static __host__ __device__ __forceinline__ float ld(float v) { return v; }
	static __host__ __device__ __forceinline__ float st(float v) { return v; }
};
/*
 * Element types. On the GPU the conversions are the hardware's (cvt: exact
 * widening, round-to-nearest-even narrowing, IEEE subnormals and overflow:
 * the same results as fp_half.h's, which the CPU reference and the host
 * emulation use, except NaN payloads), because the by-hand narrowing would
 * make f16 reductions compute-bound.
 */
struct f16_t {
	typedef uint16_t raw;
	static __host__ __device__ __forceinline__ float ld(uint16_t v)
	{
#ifdef __CUDA_ARCH__
		return __half2float(__ushort_as_half(v));
#else
		return fph_f16_to_f32(v);
#endif
	}
	static __host__ __device__ __forceinline__ uint16_t st(float v)
	{
#ifdef __CUDA_ARCH__
		return __half_as_ushort(__float2half_rn(v));
#else
		return fph_f32_to_f16(v);
#endif
	}
};
struct bf16_t {
	typedef uint16_t raw;
	static __host__ __device__ __forceinline__ float ld(uint16_t v)
	{
		return fph_bf16_to_f32(v);	/* a shift */
	}
	static __host__ __device__ __forceinline__ uint16_t st(float v)
	{
#ifdef __CUDA_ARCH__
		return __bfloat16_as_ushort(__float2bfloat16_rn(v));
#else
		return fph_f32_to_bf16(v);
#endif
	}
};

template <typename E>
FP_HD void fpk_reduce_one(const struct rargs &a, uint64_t i)
{
	typedef typename E::raw R;
	float acc = E::ld(((const R *)a.src[0])[i]);

	for (unsigned int k = 1; k < a.nsrcs; k++)
		acc = fpk_add(acc, E::ld(((const R *)a.src[k])[i]));
	((R *)a.dst)[i] = E::st(acc);
}

/* Global thread @t of @stride threads of the reduce kernel. */
template <typename E>
FP_HD void fpk_reduce_thread(const struct rargs &a, uint64_t t, uint64_t stride)
{
	typedef typename E::raw R;
	const unsigned int per = 16 / sizeof(R);
	uint64_t i, v;

	if (!a.nvec) {
		for (i = t; i < a.count; i += stride)
			fpk_reduce_one<E>(a, i);
		return;
	}
	for (i = t; i < a.head; i += stride)
		fpk_reduce_one<E>(a, i);
	for (v = t; v < a.nvec; v += stride) {
		uint64_t base = a.head + v * per;
		union {
			uint4 q;
			R e[16 / sizeof(R)];
		} in, out;
		float acc[16 / sizeof(R)];
		unsigned int j, k;

		FPK_ALIGNED((const R *)a.src[0] + base, 16);
		FPK_ALIGNED((R *)a.dst + base, 16);
		in.q = *(const uint4 *)((const R *)a.src[0] + base);
FPK_UNROLL
		for (j = 0; j < per; j++)
			acc[j] = E::ld(in.e[j]);
		for (k = 1; k < a.nsrcs; k++) {
			FPK_ALIGNED((const R *)a.src[k] + base, 16);
			in.q = *(const uint4 *)((const R *)a.src[k] + base);
FPK_UNROLL
			for (j = 0; j < per; j++)
				acc[j] = fpk_add(acc[j], E::ld(in.e[j]));
		}
FPK_UNROLL
		for (j = 0; j < per; j++)
			out.e[j] = E::st(acc[j]);
		*(uint4 *)((R *)a.dst + base) = out.q;
	}
	for (i = a.head + a.nvec * per + t; i < a.count; i += stride)
		fpk_reduce_one<E>(a, i);
}

/*
 * Host side of the pack kernel: one segment per non-empty chunk with its
 * source and destination offsets and its first block. Returns the number of
 * segments; *blocks gets the grid size.
 */
static inline unsigned int fpk_pack_plan(struct seg *segs,
					 const struct fp_chunk *chunks, size_t n,
					 int unpack, uint64_t *blocks)
{
	uint64_t run = 0;
	unsigned int nseg = 0;
	size_t i;

	*blocks = 0;
	for (i = 0; i < n; i++) {
		struct seg *sg = &segs[nseg];

		if (!chunks[i].len)
			continue;
		sg->src_off = unpack ? run : chunks[i].off;
		sg->dst_off = unpack ? chunks[i].off : run;
		sg->len = chunks[i].len;
		sg->first_block = *blocks;
		*blocks += (chunks[i].len + SLICE - 1) / SLICE;
		run += chunks[i].len;
		nseg++;
	}
	return nseg;
}

/* Grid of the reduce kernel: enough threads, at most 16 blocks per SM. */
static inline uint64_t fpk_reduce_blocks(const struct rargs *a, size_t es,
					 int sms)
{
	uint64_t work = a->nvec ? a->nvec + a->head + 16 / es : a->count;
	uint64_t blocks = (work + THREADS - 1) / THREADS;

	if (blocks > (uint64_t)sms * 16)
		blocks = (uint64_t)sms * 16;
	return blocks ? blocks : 1;
}

/* Fill the vector split of @a for element size @es (host side). */
static inline void fpk_reduce_plan(struct rargs *a, size_t es)
{
	unsigned int per = 16 / (unsigned int)es, k, mis;

	a->head = 0;
	a->nvec = 0;
	mis = (unsigned int)((uintptr_t)a->dst & 15);
	for (k = 0; k < a->nsrcs; k++)
		if (((uintptr_t)a->src[k] & 15) != mis)
			return;		/* no common alignment: scalar */
	a->head = ((16 - mis) & 15) / es;
	if (a->head > a->count)
		a->head = a->count;
	a->nvec = (a->count - a->head) / per;
}

#endif
