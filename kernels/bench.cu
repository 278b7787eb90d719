// SPDX-License-Identifier: MIT
/*
 * bench.cu - bench-kernels: each kernel's bandwidth as a fraction of the
 * device-to-device copy bandwidth (cudaMemcpyAsync) measured in the same run
 * on the same GPU. Bytes moved count reads plus writes: a copy or pack of B
 * bytes moves 2B, a reduction of n sources of B bytes moves (n + 1)B.
 * Without a GPU it says so and exits 0.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "fp_kernels_cuda.h"

extern "C" const struct fpk_cuda_ops *fpk_cuda_ops_get(unsigned int abi);

#define WARMUP	3
#define ITERS	20

static const struct fpk_cuda_ops *ops;
static cudaStream_t st;
static cudaEvent_t ev0, ev1;

#define CK(x)								\
	do {								\
		cudaError_t e_ = (x);					\
		if (e_ != cudaSuccess) {				\
			printf("bench-kernels: %s: %s\n", #x,		\
			       cudaGetErrorString(e_));			\
			exit(1);					\
		}							\
	} while (0)

enum what { COPY, PACK, UNPACK, REDUCE };

struct job {
	enum what what;
	void *dst;
	const void *src;
	const struct fp_chunk *chunks;
	size_t n;
	int dt;
	const void *srcs[FP_REDUCE_MAX_SRCS];
	unsigned int nsrcs;
	size_t count;
	size_t bytes;
};

static void run1(const struct job *j)
{
	int ret = 0;

	switch (j->what) {
	case COPY:
		CK(cudaMemcpyAsync(j->dst, j->src, j->bytes,
				   cudaMemcpyDeviceToDevice, st));
		break;
	case PACK:
	case UNPACK:
		ret = ops->pack(j->dst, j->src, j->chunks, j->n,
				j->what == UNPACK, st);
		break;
	case REDUCE:
		ret = ops->reduce(j->dt, j->dst, j->srcs, j->nsrcs, j->count, st);
		break;
	}
	if (ret) {
		printf("bench-kernels: kernel failed: %s\n", strerror(ret));
		exit(1);
	}
}

/* Seconds per run. */
static double timed(const struct job *j)
{
	float ms = 0;
	int i;

	for (i = 0; i < WARMUP; i++)
		run1(j);
	CK(cudaEventRecord(ev0, st));
	for (i = 0; i < ITERS; i++)
		run1(j);
	CK(cudaEventRecord(ev1, st));
	CK(cudaEventSynchronize(ev1));
	CK(cudaEventElapsedTime(&ms, ev0, ev1));
	return ms / 1e3 / ITERS;
}

static void report(const char *name, size_t bytes, double moved, double t,
		   double base_gbs)
{
	double gbs = moved / t / 1e9;

	printf("bench-kernels: %-22s %8.1f MiB %8.1f GB/s  %.2f of memcpy D2D\n",
	       name, bytes / 1048576.0, gbs, gbs / base_gbs);
}

int main(void)
{
	static const size_t sizes[] = { 1u << 20, 16u << 20, 256u << 20 };
	static const char *const dtn[] = { "f32", "f16", "bf16" };
	struct cudaDeviceProp prop;
	struct fp_chunk *ch;
	char *a, *b, *c;
	size_t si, i, nch = 64;
	int n = 0, dt;
	cudaError_t e;

	if (!dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL)) {
		printf("bench-kernels: skipped: no CUDA device: libcuda.so.1 "
		       "not found (no NVIDIA driver)\n");
		return 0;
	}
	e = cudaGetDeviceCount(&n);
	if (e != cudaSuccess || !n) {
		printf("bench-kernels: skipped: no CUDA device: %s\n",
		       e != cudaSuccess ? cudaGetErrorString(e) : "none found");
		return 0;
	}
	ops = fpk_cuda_ops_get(FPK_CUDA_ABI);
	CK(cudaGetDeviceProperties(&prop, 0));
	printf("bench-kernels: %s, %d SMs; %d runs after %d warm-up runs each\n",
	       prop.name, prop.multiProcessorCount, ITERS, WARMUP);
	CK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
	CK(cudaEventCreate(&ev0));
	CK(cudaEventCreate(&ev1));
	/* room for gaps and skews around the largest size */
	CK(cudaMalloc(&a, (256u << 20) + (1u << 20)));
	CK(cudaMalloc(&b, (256u << 20) + (1u << 20)));
	CK(cudaMalloc(&c, (256u << 20) + (1u << 20)));
	CK(cudaMemset(a, 1, (256u << 20) + (1u << 20)));
	CK(cudaMemset(b, 2, (256u << 20) + (1u << 20)));
	ch = (struct fp_chunk *)calloc(nch, sizeof(*ch));

	for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		size_t bytes = sizes[si], per = bytes / nch;
		struct job j;
		double base;
		int skew;

		memset(&j, 0, sizeof(j));
		j.what = COPY;
		j.dst = c;
		j.src = a;
		j.bytes = bytes;
		base = 2.0 * bytes / timed(&j) / 1e9;
		report("memcpy D2D (baseline)", bytes, 2.0 * bytes, 2.0 * bytes / base / 1e9, base);

		for (skew = 0; skew < 2; skew++) {
			/* 64 chunks with 4 KiB gaps; skewed: odd offsets */
			for (i = 0; i < nch; i++) {
				ch[i].off = i * (per + 4096) + (skew ? 3 : 0);
				ch[i].len = per - (skew ? 1 : 0);
			}
			memset(&j, 0, sizeof(j));
			j.chunks = ch;
			j.n = nch;
			j.what = PACK;
			j.dst = c;
			j.src = a;
			report(skew ? "pack (odd offsets)" : "pack (aligned)", bytes,
			       2.0 * bytes, timed(&j), base);
			j.what = UNPACK;
			j.dst = a;
			j.src = c;
			report(skew ? "unpack (odd offsets)" : "unpack (aligned)", bytes,
			       2.0 * bytes, timed(&j), base);
		}
		for (dt = FP_F32; dt <= FP_BF16; dt++) {
			char name[32];

			memset(&j, 0, sizeof(j));
			j.what = REDUCE;
			j.dt = dt;
			j.dst = c;
			j.srcs[0] = a;
			j.srcs[1] = b;
			j.nsrcs = 2;
			j.count = bytes / (dt == FP_F32 ? 4 : 2);
			snprintf(name, sizeof(name), "reduce %s, 2 inputs", dtn[dt]);
			report(name, bytes, 3.0 * bytes, timed(&j), base);
		}
	}
	free(ch);
	cudaFree(a);
	cudaFree(b);
	cudaFree(c);
	return 0;
}
