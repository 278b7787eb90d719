// SPDX-License-Identifier: MIT
/*
 * ref.c - CPU reference of the kernels: what the GPU must reproduce bit for
 * bit, and what libflowplan runs when there is no GPU.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fp_half.h"
#include "fp_kernels.h"
#include "fp_kernels_cuda.h"

float fp_f16_to_f32(uint16_t h)
{
	return fph_f16_to_f32(h);
}

uint16_t fp_f32_to_f16(float f)
{
	return fph_f32_to_f16(f);
}

float fp_bf16_to_f32(uint16_t h)
{
	return fph_bf16_to_f32(h);
}

uint16_t fp_f32_to_bf16(float f)
{
	return fph_f32_to_bf16(f);
}

size_t fp_dtype_size(enum fp_dtype dt)
{
	switch (dt) {
	case FP_F32:
		return 4;
	case FP_F16:
	case FP_BF16:
		return 2;
	}
	return 0;
}

int fpk_chunks_check(size_t scat_len, size_t cont_len,
		     const struct fp_chunk *chunks, size_t n)
{
	size_t total = 0, i;

	if (n && !chunks)
		return EINVAL;
	for (i = 0; i < n; i++) {
		if (chunks[i].off > scat_len ||
		    chunks[i].len > scat_len - chunks[i].off)
			return ERANGE;
		if (chunks[i].len > cont_len - total)
			return ENOSPC;
		total += chunks[i].len;
	}
	return 0;
}

int fp_pack_ref(void *dst, size_t dst_len, const void *src, size_t src_len,
		const struct fp_chunk *chunks, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	size_t i;
	int rc;

	rc = fpk_chunks_check(src_len, dst_len, chunks, n);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		if (!chunks[i].len)
			continue;
		memcpy(d, s + chunks[i].off, chunks[i].len);
		d += chunks[i].len;
	}
	return 0;
}

int fp_unpack_ref(void *dst, size_t dst_len, const void *src, size_t src_len,
		  const struct fp_chunk *chunks, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	size_t i;
	int rc;

	rc = fpk_chunks_check(dst_len, src_len, chunks, n);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		if (!chunks[i].len)
			continue;
		memcpy(d + chunks[i].off, s, chunks[i].len);
		s += chunks[i].len;
	}
	return 0;
}

/*
 * One element at a time, sources in order: the same additions as the CUDA
 * kernel, so the results match bit for bit. Loads and stores go through
 * memcpy() so that aliasing between @dst and a source is harmless.
 */
static float load(enum fp_dtype dt, const void *p, size_t i)
{
	const unsigned char *b = p;
	uint16_t h;
	float f;

	if (dt == FP_F32) {
		memcpy(&f, b + 4 * i, 4);
		return f;
	}
	memcpy(&h, b + 2 * i, 2);
	return dt == FP_F16 ? fph_f16_to_f32(h) : fph_bf16_to_f32(h);
}

static void store(enum fp_dtype dt, void *p, size_t i, float f)
{
	unsigned char *b = p;
	uint16_t h;

	if (dt == FP_F32) {
		memcpy(b + 4 * i, &f, 4);
		return;
	}
	h = dt == FP_F16 ? fph_f32_to_f16(f) : fph_f32_to_bf16(f);
	memcpy(b + 2 * i, &h, 2);
}

int fp_reduce_sum_ref(enum fp_dtype dt, void *dst, const void *const *srcs,
		      unsigned int nsrcs, size_t count)
{
	size_t es = fp_dtype_size(dt), i;
	unsigned int k;
	float acc;

	if (!es || !dst || !srcs || !nsrcs || nsrcs > FP_REDUCE_MAX_SRCS)
		return EINVAL;
	if ((uintptr_t)dst % es)
		return EINVAL;
	for (k = 0; k < nsrcs; k++)
		if (!srcs[k] || (uintptr_t)srcs[k] % es)
			return EINVAL;
	if (count > SIZE_MAX / es)
		return ERANGE;
	for (i = 0; i < count; i++) {
		acc = load(dt, srcs[0], i);
		for (k = 1; k < nsrcs; k++)
			acc += load(dt, srcs[k], i);
		store(dt, dst, i, acc);
	}
	return 0;
}
