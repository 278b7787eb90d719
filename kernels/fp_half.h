/* SPDX-License-Identifier: MIT */
/*
 * fp_half.h - f16 and bf16 <-> f32 conversions by hand, shared by the CPU
 * reference (C) and the CUDA kernels, so both round the same way:
 *
 *  - widening (f16/bf16 -> f32) is exact; subnormals become normal f32,
 *    Inf stays Inf, NaN stays NaN with its sign and payload (quiet bit kept
 *    as it was);
 *  - narrowing (f32 -> f16/bf16) rounds to nearest, ties to even; values
 *    from 65520 up become Inf in f16 (the first value that rounds past the
 *    largest finite half, 65504); f16 subnormals are produced exactly
 *    (gradual underflow), and anything at or below 2^-25 becomes a signed
 *    zero; NaN becomes a quiet NaN of the same sign keeping the top payload
 *    bits.
 *
 * Internal header: not installed.
 */
#ifndef FP_HALF_H
#define FP_HALF_H

#include <stdint.h>

#ifdef __CUDACC__
#define FP_HD static __host__ __device__ __forceinline__
#else
#include <string.h>
#define FP_HD static inline
#endif

FP_HD uint32_t fph_f32_bits(float f)
{
#ifdef __CUDA_ARCH__
	return __float_as_uint(f);
#else
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
#endif
}

FP_HD float fph_bits_f32(uint32_t u)
{
#ifdef __CUDA_ARCH__
	return __uint_as_float(u);
#else
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
#endif
}

FP_HD float fph_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t exp = (h >> 10) & 0x1f;
	uint32_t man = h & 0x3ff;

	if (exp == 0x1f)		/* Inf, NaN: payload moves up */
		return fph_bits_f32(sign | 0x7f800000 | (man << 13));
	if (exp == 0) {
		if (!man)
			return fph_bits_f32(sign);
		/* subnormal: normalise, exponent 1 - 15 minus the shifts */
		exp = 113;
		while (!(man & 0x400)) {
			man <<= 1;
			exp--;
		}
		man &= 0x3ff;
		return fph_bits_f32(sign | (exp << 23) | (man << 13));
	}
	return fph_bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

FP_HD uint16_t fph_f32_to_f16(float f)
{
	uint32_t x = fph_f32_bits(f);
	uint32_t sign = (x >> 16) & 0x8000;
	uint32_t ax = x & 0x7fffffff;
	uint32_t h, rem, shift, half;

	if (ax > 0x7f800000)		/* NaN: quiet, top payload bits */
		return (uint16_t)(sign | 0x7e00 | ((ax >> 13) & 0x3ff));
	if (ax >= 0x477ff000)		/* >= 65520: Inf (Inf included) */
		return (uint16_t)(sign | 0x7c00);
	if (ax >= 0x38800000) {		/* normal half: >= 2^-14 */
		ax -= 0x38000000;	/* rebias 127 -> 15 */
		h = ax >> 13;
		rem = ax & 0x1fff;
		if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
			h++;		/* may carry into the exponent: right */
		return (uint16_t)(sign | h);
	}
	if (ax <= 0x33000000)		/* <= 2^-25: ties to even zero */
		return (uint16_t)sign;
	/* subnormal half: units of 2^-24; f32 exponent 102..112 */
	shift = 126 - (ax >> 23);	/* 14..24 */
	ax = (ax & 0x7fffff) | 0x800000;
	h = ax >> shift;
	rem = ax & ((1u << shift) - 1);
	half = 1u << (shift - 1);
	if (rem > half || (rem == half && (h & 1)))
		h++;			/* 0x400 is the smallest normal: right */
	return (uint16_t)(sign | h);
}

FP_HD float fph_bf16_to_f32(uint16_t h)
{
	return fph_bits_f32((uint32_t)h << 16);
}

FP_HD uint16_t fph_f32_to_bf16(float f)
{
	uint32_t x = fph_f32_bits(f);

	if ((x & 0x7fffffff) > 0x7f800000)	/* NaN: quiet, keep sign */
		return (uint16_t)((x >> 16) | 0x0040);
	/* round to nearest even; overflow carries into Inf, as it should */
	x += 0x7fff + ((x >> 16) & 1);
	return (uint16_t)(x >> 16);
}

#endif
