/* SPDX-License-Identifier: MIT */
/*
 * fp_kernels.h - the data-movement kernels of a split message and of a
 * collective: pack/unpack of chunk lists and sum reduction (f32, f16, bf16).
 *
 * Every call runs on the GPU when its buffers are CUDA device memory and the
 * CUDA kernels (libfpkernels_cuda.so, loaded at run time) are available;
 * otherwise it runs the CPU reference in ref.c. A process that never loaded
 * libcuda.so.1 cannot hold device pointers, so on such a process (and on every
 * machine without CUDA) the CPU reference runs and CUDA is never touched.
 *
 * GPU and CPU results are bit-for-bit identical: pack/unpack are copies, and
 * the reduction adds the sources in the same order with the same IEEE f32
 * round-to-nearest-even additions and IEEE conversions (exact widening,
 * round-to-nearest-even narrowing) on both sides.
 * The only exception is a NaN result, whose sign and payload are unspecified.
 *
 * Conventions: int functions return 0 or an errno value.
 */
#ifndef FP_KERNELS_H
#define FP_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct fp_chunk - one piece of a message in a scattered buffer
 * @off: byte offset in the scattered buffer (any alignment)
 * @len: bytes (0 allowed)
 */
struct fp_chunk {
	size_t off;
	size_t len;
};

/**
 * enum fp_dtype - element types of fp_reduce_sum()
 * @FP_F32: IEEE binary32
 * @FP_F16: IEEE binary16
 * @FP_BF16: bfloat16 (the top half of a binary32)
 */
enum fp_dtype {
	FP_F32 = 0,
	FP_F16 = 1,
	FP_BF16 = 2,
};

#define FP_REDUCE_MAX_SRCS	8

/**
 * fp_pack() - gather chunks of @src into the contiguous buffer @dst
 * @dst: contiguous destination; chunk i lands right after chunk i-1
 * @dst_len: size of @dst; the chunks' total length must fit (else ENOSPC)
 * @src: scattered source
 * @src_len: size of @src; every chunk must lie inside it (else ERANGE)
 * @chunks: the chunk list, in host memory
 * @n: number of chunks
 * @stream: CUDA stream (cudaStream_t/CUstream) for device buffers, or NULL
 *	for the default stream. With NULL the call returns when the data is in
 *	place; with a stream it returns once the work is queued. Ignored by the
 *	CPU reference, which always completes before returning.
 *
 * Both buffers must be host memory, or both device memory (else EINVAL).
 * Source and destination must not overlap.
 */
int fp_pack(void *dst, size_t dst_len, const void *src, size_t src_len,
	    const struct fp_chunk *chunks, size_t n, void *stream);

/**
 * fp_unpack() - scatter the contiguous buffer @src into chunks of @dst
 *
 * The inverse of fp_pack(): chunk i of @dst receives the bytes of @src that
 * follow chunk i-1's. Chunks must not overlap each other (the result of
 * overlapping chunks is unspecified on the GPU). Errors as fp_pack().
 */
int fp_unpack(void *dst, size_t dst_len, const void *src, size_t src_len,
	      const struct fp_chunk *chunks, size_t n, void *stream);

/**
 * fp_reduce_sum() - dst[i] = srcs[0][i] + srcs[1][i] + ... + srcs[n-1][i]
 * @dt: element type
 * @dst: result; may be the same buffer as one of @srcs (in place)
 * @srcs: 1 to FP_REDUCE_MAX_SRCS sources (host array of pointers)
 * @nsrcs: number of sources
 * @count: elements (any count, odd included)
 * @stream: as fp_pack()
 *
 * Every buffer must be aligned to its element size (else EINVAL). f16 and
 * bf16 inputs are widened to f32 exactly, added in f32 in source order and
 * rounded once to the output type (round to nearest, ties to even); f32 is
 * added in f32 in source order. The result is therefore within
 * (nsrcs - 1) * 2^-24 * sum|x| of the exact sum before the final rounding,
 * plus half an output ulp (2^-11 relative for f16, 2^-8 for bf16).
 */
int fp_reduce_sum(enum fp_dtype dt, void *dst, const void *const *srcs,
		  unsigned int nsrcs, size_t count, void *stream);

/* Element size of @dt in bytes, 0 for an unknown type. */
size_t fp_dtype_size(enum fp_dtype dt);

/* Conversions used by the reduction (exact by hand, no compiler extensions). */
float fp_f16_to_f32(uint16_t h);
uint16_t fp_f32_to_f16(float f);
float fp_bf16_to_f32(uint16_t h);
uint16_t fp_f32_to_bf16(float f);

/*
 * The CPU reference itself, whatever the buffers (host memory only). Same
 * arguments and errors as the calls above, without the stream.
 */
int fp_pack_ref(void *dst, size_t dst_len, const void *src, size_t src_len,
		const struct fp_chunk *chunks, size_t n);
int fp_unpack_ref(void *dst, size_t dst_len, const void *src, size_t src_len,
		  const struct fp_chunk *chunks, size_t n);
int fp_reduce_sum_ref(enum fp_dtype dt, void *dst, const void *const *srcs,
		      unsigned int nsrcs, size_t count);

/**
 * fp_kernels_gpu() - can the GPU kernels run here?
 * @why: on failure, a reason ("libcuda.so.1 not found (no NVIDIA driver)",
 *	"libfpkernels_cuda.so: ...: cannot open shared object file", "no CUDA
 *	device: ..."); may be NULL
 * @whylen: size of @why
 *
 * Loads libcuda.so.1 and libfpkernels_cuda.so (from $FLOWPLAN_KERNELS_CUDA
 * when set, else the library search path). Returns 0 or an errno value
 * (ENOENT: a library is missing, ENODEV: no device).
 */
int fp_kernels_gpu(char *why, size_t whylen);

/*
 * Device memory helpers for tests and benchmarks (GPU of the current CUDA
 * context, device 0 by default). Valid only after fp_kernels_gpu() returned 0.
 * fp_kernels_dev_copy() copies in any direction and waits.
 */
int fp_kernels_dev_alloc(void **p, size_t len);
void fp_kernels_dev_free(void *p);
int fp_kernels_dev_copy(void *dst, const void *src, size_t len);

#ifdef __cplusplus
}
#endif

#endif
