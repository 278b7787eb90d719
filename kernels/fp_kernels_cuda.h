/* SPDX-License-Identifier: MIT */
/*
 * fp_kernels_cuda.h - the interface between the dispatcher (dispatch.c, in
 * libfpkernels.a) and the CUDA kernels (libfpkernels_cuda.so, built by nvcc
 * when present and loaded with dlopen()). The shared object exports one
 * symbol, fpk_cuda_ops_get(), returning a table of this layout. Bump
 * FPK_CUDA_ABI when the table changes; the dispatcher refuses a mismatch.
 *
 * Internal header: not installed. Functions return 0 or an errno value.
 */
#ifndef FP_KERNELS_CUDA_H
#define FP_KERNELS_CUDA_H

#include <stddef.h>

#include "fp_kernels.h"

#define FPK_CUDA_ABI	1
#define FPK_CUDA_SO	"libfpkernels_cuda.so"
#define FPK_CUDA_SYM	"fpk_cuda_ops_get"

struct fpk_cuda_ops {
	unsigned int abi;
	/* 0 when a device is usable, else an errno value and a reason */
	int (*probe)(char *why, size_t whylen);
	/* chunks in host memory; @unpack selects the direction */
	int (*pack)(void *dst, const void *src, const struct fp_chunk *chunks,
		    size_t n, int unpack, void *stream);
	int (*reduce)(int dt, void *dst, const void *const *srcs,
		      unsigned int nsrcs, size_t count, void *stream);
	int (*dev_alloc)(void **p, size_t len);
	void (*dev_free)(void *p);
	int (*dev_copy)(void *dst, const void *src, size_t len);
};

/* ref.c: ERANGE if a chunk leaves @scat_len, ENOSPC if they overflow @cont_len */
int fpk_chunks_check(size_t scat_len, size_t cont_len,
		     const struct fp_chunk *chunks, size_t n);

typedef const struct fpk_cuda_ops *(*fpk_cuda_ops_get_fn)(unsigned int abi);

#endif
