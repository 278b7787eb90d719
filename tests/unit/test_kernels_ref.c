// SPDX-License-Identifier: MIT
/*
 * test_kernels_ref.c - the CPU reference of kernels/: f16/bf16 conversions
 * against an independent oracle (exact arithmetic in double over the table of
 * representable values), pack/unpack round trips on odd lengths and
 * misaligned offsets, and reductions against sums computed in double within
 * the bound documented in fp_kernels.h.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernels/fp_kernels.h"

static uint32_t f2u(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static float u2f(uint32_t u)
{
	float f;

	memcpy(&f, &u, 4);
	return f;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* ------------------------------------------------------------ f16, bf16 */

static const struct {
	const char *name;
	uint32_t f32;
	uint16_t f16;
} to_f16[] = {
	{ "+0", 0x00000000, 0x0000 },
	{ "-0", 0x80000000, 0x8000 },
	{ "1", 0x3f800000, 0x3c00 },
	{ "-2", 0xc0000000, 0xc000 },
	{ "max half 65504", 0x477fe000, 0x7bff },
	{ "65519.996 rounds down", 0x477fefff, 0x7bff },
	{ "65520 tie goes to even: Inf", 0x477ff000, 0x7c00 },
	{ "1e9 overflows", 0x4e6e6b28, 0x7c00 },
	{ "+Inf", 0x7f800000, 0x7c00 },
	{ "-Inf", 0xff800000, 0xfc00 },
	{ "quiet NaN", 0x7fc00000, 0x7e00 },
	{ "NaN payload kept, quieted", 0x7f802000, 0x7e01 },
	{ "negative NaN", 0xffc00000, 0xfe00 },
	{ "smallest NaN payload stays NaN", 0x7f800001, 0x7e00 },
	{ "negative, payload only in low bits", 0xff800fff, 0xfe00 },
	{ "smallest normal 2^-14", 0x38800000, 0x0400 },
	{ "smallest subnormal 2^-24", 0x33800000, 0x0001 },
	{ "2^-25 tie to even zero", 0x33000000, 0x0000 },
	{ "-2^-25 tie to even -0", 0xb3000000, 0x8000 },
	{ "just above 2^-25", 0x33000001, 0x0001 },
	{ "1.5 * 2^-24 tie to even 2", 0x33c00000, 0x0002 },
	{ "2.5 * 2^-24 tie to even 2", 0x34200000, 0x0002 },
	{ "largest subnormal", 0x387fc000, 0x03ff },
	{ "1023.5 * 2^-24 tie up to normal", 0x387fe000, 0x0400 },
	{ "tiny f32 subnormal", 0x00000001, 0x0000 },
	{ "1 + 2^-11 tie to even 1", 0x3f801000, 0x3c00 },
	{ "1 + 3*2^-11 tie to even up", 0x3f803000, 0x3c02 },
	{ "1 + 2^-11 + eps rounds up", 0x3f801001, 0x3c01 },
	{ "2047.99 rounds to 2048", 0x44fffff0, 0x6800 },
};

static void test_f32_to_f16_edges(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(to_f16) / sizeof(to_f16[0]); i++) {
		uint16_t h = fp_f32_to_f16(u2f(to_f16[i].f32));

		if (h != to_f16[i].f16)
			fail_msg("%s: 0x%08x -> 0x%04x, want 0x%04x",
				 to_f16[i].name, to_f16[i].f32, h, to_f16[i].f16);
	}
}

static void test_f16_to_f32_edges(void **state)
{
	(void)state;
	assert_int_equal(f2u(fp_f16_to_f32(0x0001)), f2u(ldexpf(1, -24)));
	assert_int_equal(f2u(fp_f16_to_f32(0x03ff)), f2u(ldexpf(1023, -24)));
	assert_int_equal(f2u(fp_f16_to_f32(0x8200)), f2u(-ldexpf(1, -15)));
	assert_int_equal(f2u(fp_f16_to_f32(0x0400)), f2u(ldexpf(1, -14)));
	assert_int_equal(f2u(fp_f16_to_f32(0x7bff)), f2u(65504.0f));
	assert_int_equal(f2u(fp_f16_to_f32(0x7c00)), 0x7f800000);
	assert_int_equal(f2u(fp_f16_to_f32(0xfc00)), 0xff800000);
	assert_int_equal(f2u(fp_f16_to_f32(0x8000)), 0x80000000);
	/* NaN: sign and payload kept, a signalling NaN stays signalling */
	assert_int_equal(f2u(fp_f16_to_f32(0x7e00)), 0x7fc00000);
	assert_int_equal(f2u(fp_f16_to_f32(0xfd01)), 0xffa02000);
}

/* Every half widens exactly and narrows back to itself (NaNs: quieted). */
static void test_f16_round_trip_all(void **state)
{
	uint32_t h;

	(void)state;
	for (h = 0; h < 0x10000; h++) {
		float f = fp_f16_to_f32((uint16_t)h);
		uint16_t back = fp_f32_to_f16(f);
		int nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
		uint16_t want = nan ? (uint16_t)(h | 0x200) : (uint16_t)h;

		if (back != want)
			fail_msg("half 0x%04x -> %a -> 0x%04x", h, f, back);
		if (!nan && (h & 0x7fff) != 0x7c00 &&
		    (double)f != ldexp((h & 0x7c00) ? (1024 | (h & 0x3ff)) : (h & 0x3ff),
				       ((h & 0x7c00) ? (int)((h >> 10) & 0x1f) : 1) - 25) *
				 ((h & 0x8000) ? -1 : 1))
			fail_msg("half 0x%04x widened to %a", h, f);
	}
}

/* Oracle: nearest half by exact comparison in double, ties to even. */
static uint16_t oracle_f16(float f)
{
	double x = fabs((double)f), best = 0, d, bd = INFINITY;
	uint16_t sign = signbit(f) ? 0x8000 : 0, b = 0;
	uint32_t lo = 0, hi = 0x7bff, mid;

	if (isnan(f))
		return sign | 0x7e00 | ((f2u(f) >> 13) & 0x3ff);
	if (x >= 65520.0)
		return sign | 0x7c00;
	/* the last half <= x, then compare it with the next one */
	while (lo < hi) {
		mid = (lo + hi + 1) / 2;
		if ((double)fp_f16_to_f32((uint16_t)mid) <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	for (mid = lo; mid <= lo + 1 && mid <= 0x7bff; mid++) {
		best = fp_f16_to_f32((uint16_t)mid);
		d = fabs(best - x);
		if (d < bd || (d == bd && !(mid & 1))) {
			bd = d;
			b = (uint16_t)mid;
		}
	}
	return sign | b;
}

static uint16_t oracle_bf16(float f)
{
	uint32_t u = f2u(f), lo = u & 0xffff0000, hi = lo + 0x10000;
	double x = f, dl, dh;

	if (isnan(f))
		return (uint16_t)((u >> 16) | 0x40);
	if ((u & 0x7fffffff) == 0x7f800000)
		return (uint16_t)(u >> 16);
	dl = fabs(x - (double)u2f(lo));
	/* hi may be Inf: rounding goes there past the midpoint 2^128 - 2^103 */
	if ((hi & 0x7fffffff) == 0x7f800000)
		dh = fabs(fabs(x) - ldexp(1, 128));
	else
		dh = fabs(x - (double)u2f(hi));
	if (dh < dl || (dh == dl && !((hi >> 16) & 1)))
		return (uint16_t)(hi >> 16);
	return (uint16_t)(lo >> 16);
}

/* 2^24 + random samples across every exponent, plus all halfway points. */
static void test_narrowing_vs_oracle(void **state)
{
	uint32_t i, u;

	(void)state;
	for (i = 0; i < (1u << 20); i++) {
		u = i < (1u << 16) ? ((i << 16) | 0x8000) : rnd() ^ (rnd() << 16);
		if (fp_f32_to_bf16(u2f(u)) != oracle_bf16(u2f(u)))
			fail_msg("bf16 of 0x%08x: 0x%04x, want 0x%04x", u,
				 fp_f32_to_bf16(u2f(u)), oracle_bf16(u2f(u)));
		if (i < (1u << 16))	/* halfway between halves (and more) */
			u = f2u(fp_f16_to_f32((uint16_t)i)) + 0x1000;
		if (fp_f32_to_f16(u2f(u)) != oracle_f16(u2f(u)))
			fail_msg("f16 of 0x%08x: 0x%04x, want 0x%04x", u,
				 fp_f32_to_f16(u2f(u)), oracle_f16(u2f(u)));
	}
}

static void test_bf16_edges(void **state)
{
	(void)state;
	assert_int_equal(fp_f32_to_bf16(1.0f), 0x3f80);
	assert_int_equal(fp_f32_to_bf16(u2f(0x3f808000)), 0x3f80); /* tie, even */
	assert_int_equal(fp_f32_to_bf16(u2f(0x3f818000)), 0x3f82); /* tie, up */
	assert_int_equal(fp_f32_to_bf16(u2f(0x3f808001)), 0x3f81);
	assert_int_equal(fp_f32_to_bf16(u2f(0x7f7fffff)), 0x7f80);  /* -> Inf */
	assert_int_equal(fp_f32_to_bf16(u2f(0xff800000)), 0xff80);
	assert_int_equal(fp_f32_to_bf16(u2f(0x7f800001)), 0x7fc0);  /* quieted */
	assert_int_equal(fp_f32_to_bf16(u2f(0x00018000)), 0x0002);  /* subnormal tie */
	assert_int_equal(fp_f32_to_bf16(u2f(0x80008000)), 0x8000);  /* -> -0 */
	assert_int_equal(f2u(fp_bf16_to_f32(0x0001)), 0x00010000);
	assert_int_equal(f2u(fp_bf16_to_f32(0xffc1)), 0xffc10000);
}

/* ------------------------------------------------------------ pack */

#define SCAT	8191	/* odd on purpose */

/* Random chunk list: odd lengths, misaligned offsets, some empty. */
static size_t mkchunks(struct fp_chunk *c, size_t max, size_t *total)
{
	size_t n = 1 + rnd() % max, i, pos = rnd() % 7;

	*total = 0;
	for (i = 0; i < n; i++) {
		size_t len = (i % 5 == 3) ? 0 : 1 + 2 * (rnd() % 300);
		size_t gap = rnd() % 33;

		if (pos + gap + len > SCAT)
			break;
		c[i].off = pos + gap;
		c[i].len = len;
		pos += gap + len;
		*total += len;
	}
	return i;
}

static void test_pack_unpack_round_trip(void **state)
{
	unsigned char *scat = malloc(SCAT + 1), *cont = malloc(SCAT + 64);
	unsigned char *back = malloc(SCAT + 1);
	struct fp_chunk c[64];
	size_t n, total, i, j, k, pos;
	int iter;

	(void)state;
	for (iter = 0; iter < 500; iter++) {
		/* +1 and +iter%8: buffers misaligned on purpose */
		unsigned char *s = scat + (iter & 1), *d = cont + iter % 8;

		for (i = 0; i < SCAT; i++)
			s[i] = (unsigned char)rnd();
		n = mkchunks(c, 64, &total);
		memset(d, 0xa5, total + 8);
		assert_int_equal(fp_pack(d, total, s, SCAT, c, n, NULL), 0);
		for (i = 0, pos = 0; i < n; i++)
			for (j = 0; j < c[i].len; j++, pos++)
				if (d[pos] != s[c[i].off + j])
					fail_msg("iter %d chunk %zu byte %zu", iter, i, j);
		for (k = 0; k < 8; k++)
			assert_int_equal(d[total + k], 0xa5);	/* no overrun */

		memset(back, 0x5a, SCAT);
		assert_int_equal(fp_unpack(back, SCAT, d, total, c, n, NULL), 0);
		for (i = 0, pos = 0; i < SCAT; i++) {
			int in = 0;

			for (j = 0; j < n; j++)
				if (i >= c[j].off && i < c[j].off + c[j].len)
					in = 1;
			if (back[i] != (in ? s[i] : 0x5a))
				fail_msg("iter %d: byte %zu %s", iter, i,
					 in ? "not restored" : "written");
		}
	}
	free(scat);
	free(cont);
	free(back);
}

static void test_pack_errors(void **state)
{
	unsigned char a[64] = { 0 }, b[64];
	struct fp_chunk c[2] = { { 10, 20 }, { 40, 24 } };
	struct fp_chunk far = { SIZE_MAX - 3, 8 };

	(void)state;
	assert_int_equal(fp_pack(b, 44, a, 64, c, 2, NULL), 0);
	assert_int_equal(fp_pack(b, 43, a, 64, c, 2, NULL), ENOSPC);
	assert_int_equal(fp_pack(b, 64, a, 63, c, 2, NULL), ERANGE);
	assert_int_equal(fp_pack(b, 64, a, 64, &far, 1, NULL), ERANGE);
	assert_int_equal(fp_unpack(a, 63, b, 64, c, 2, NULL), ERANGE);
	assert_int_equal(fp_unpack(a, 64, b, 43, c, 2, NULL), ENOSPC);
	assert_int_equal(fp_pack(b, 64, a, 64, NULL, 1, NULL), EINVAL);
	assert_int_equal(fp_pack(b, 64, a, 64, NULL, 0, NULL), 0);
}

/*
 * Empty chunks are allowed anywhere inside the buffer, its end included
 * (fp_kernels.h: "len: bytes (0 allowed)"); only an offset past the end is
 * out of range. Both directions, and buffers that are empty themselves.
 */
static void test_pack_empty_chunks(void **state)
{
	unsigned char a[16], b[16];
	struct fp_chunk tail[2] = { { 10, 6 }, { 16, 0 } };
	struct fp_chunk only_end = { 16, 0 }, past_end = { 17, 0 };
	struct fp_chunk zero = { 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < 16; i++)
		a[i] = (unsigned char)(i + 1);
	memset(b, 0, sizeof(b));
	assert_int_equal(fp_pack(b, 6, a, 16, tail, 2, NULL), 0);
	assert_memory_equal(b, a + 10, 6);
	assert_int_equal(fp_pack(b, 0, a, 16, &only_end, 1, NULL), 0);
	assert_int_equal(fp_pack(b, 16, a, 16, &past_end, 1, NULL), ERANGE);

	memset(a, 0, sizeof(a));
	assert_int_equal(fp_unpack(a, 16, b, 6, tail, 2, NULL), 0);
	assert_memory_equal(a + 10, b, 6);
	assert_int_equal(fp_unpack(a, 16, b, 0, &only_end, 1, NULL), 0);
	assert_int_equal(fp_unpack(a, 16, b, 16, &past_end, 1, NULL), ERANGE);

	/* empty buffers (NULL is fine when there is nothing to touch) */
	assert_int_equal(fp_pack(b, 0, a, 0, &zero, 1, NULL), 0);
	assert_int_equal(fp_pack(NULL, 0, NULL, 0, &zero, 1, NULL), 0);
	assert_int_equal(fp_unpack(NULL, 0, NULL, 0, &zero, 1, NULL), 0);
	assert_int_equal(fp_pack(b, 0, a, 0, &only_end, 1, NULL), ERANGE);
	assert_int_equal(fp_pack_ref(b, 6, a, 16, tail, 2), 0);
	assert_int_equal(fp_unpack_ref(a, 16, b, 6, tail, 2), 0);
}

/* ------------------------------------------------------------ reduce */

static float rndf(int wide)
{
	float m = (float)(rnd() % 2000001) / 1000000.0f - 1.0f;

	return wide ? ldexpf(m, (int)(rnd() % 20) - 10) : m;
}

static void load_d(enum fp_dtype dt, const void *p, size_t i, double *out)
{
	const uint16_t *h = p;

	if (dt == FP_F32)
		*out = ((const float *)p)[i];
	else if (dt == FP_F16)
		*out = fp_f16_to_f32(h[i]);
	else
		*out = fp_bf16_to_f32(h[i]);
}

static void store_f(enum fp_dtype dt, void *p, size_t i, float f)
{
	if (dt == FP_F32)
		((float *)p)[i] = f;
	else if (dt == FP_F16)
		((uint16_t *)p)[i] = fp_f32_to_f16(f);
	else
		((uint16_t *)p)[i] = fp_f32_to_bf16(f);
}

/*
 * The bound of fp_kernels.h: (n - 1) f32 additions, each off by at most
 * 2^-24 of a partial sum no bigger than sum|x|, then one rounding to the
 * output type (half an ulp: 2^-24, 2^-11, 2^-8 relative) with an absolute
 * floor of half the smallest subnormal.
 */
static void check_sum(enum fp_dtype dt, unsigned int n, size_t count, size_t skew)
{
	static const double half_ulp[] = { 0x1p-24, 0x1p-11, 0x1p-8 };
	static const double floor_abs[] = { 0x1p-150, 0x1p-25, 0x1p-134 };
	size_t es = fp_dtype_size(dt), i;
	unsigned char *buf[FP_REDUCE_MAX_SRCS + 1];
	const void *srcs[FP_REDUCE_MAX_SRCS];
	unsigned int k;

	for (k = 0; k <= n; k++) {
		buf[k] = malloc(count * es + 16);
		assert_non_null(buf[k]);
		if (k < n) {
			srcs[k] = buf[k] + skew * es;
			for (i = 0; i < count; i++)
				store_f(dt, (void *)srcs[k], i, rndf(k & 1));
		}
	}
	assert_int_equal(fp_reduce_sum(dt, buf[n] + skew * es, srcs, n, count, NULL), 0);
	for (i = 0; i < count; i++) {
		double exact = 0, mag = 0, x, got, bound;

		for (k = 0; k < n; k++) {
			load_d(dt, srcs[k], i, &x);
			exact += x;	/* exact: 24-bit values, small range */
			mag += fabs(x);
		}
		load_d(dt, buf[n] + skew * es, i, &got);
		bound = (n - 1) * 0x1p-24 * mag;
		bound += half_ulp[dt] * (fabs(exact) + bound) + floor_abs[dt];
		if (fabs(got - exact) > bound)
			fail_msg("dt %d n %u count %zu i %zu: got %a exact %a bound %a",
				 dt, n, count, i, got, exact, bound);
	}
	for (k = 0; k <= n; k++)
		free(buf[k]);
}

static void test_reduce_vs_double(void **state)
{
	static const size_t counts[] = { 1, 2, 3, 7, 17, 255, 1001, 4099 };
	enum fp_dtype dt;
	unsigned int n;
	size_t c;

	(void)state;
	for (dt = FP_F32; dt <= FP_BF16; dt++)
		for (n = 1; n <= FP_REDUCE_MAX_SRCS; n++)
			for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++)
				check_sum(dt, n, counts[c], (n + c) % 5);
}

/* The documented rounding: one final rounding, ties to even, f32 inside. */
static void test_reduce_rounding(void **state)
{
	uint16_t a[4], b[4], c[4], out[4];
	const void *srcs[3] = { a, b, c };
	float fa[2], fb[2], fo[2];
	const void *fsrcs[2] = { fa, fb };

	(void)state;
	/* 2048 + 1 = 2049: tie between 2048 and 2050, even is 2048 */
	a[0] = fp_f32_to_f16(2048); b[0] = fp_f32_to_f16(1); c[0] = 0;
	/* 2048 + 3 = 2051: tie between 2050 and 2052, even is 2052 */
	a[1] = fp_f32_to_f16(2048); b[1] = fp_f32_to_f16(3); c[1] = 0;
	/* 65504 + 65504 - 65504: Inf in f16 steps, 65504 with f32 inside */
	a[2] = 0x7bff; b[2] = 0x7bff; c[2] = 0xfbff;
	/* subnormals add exactly: 3 * 2^-24 */
	a[3] = 0x0001; b[3] = 0x0001; c[3] = 0x0001;
	assert_int_equal(fp_reduce_sum(FP_F16, out, srcs, 3, 4, NULL), 0);
	assert_int_equal(out[0], fp_f32_to_f16(2048));
	assert_int_equal(out[1], fp_f32_to_f16(2052));
	assert_int_equal(out[2], 0x7bff);
	assert_int_equal(out[3], 0x0003);

	/* bf16: 256 + 1 = 257 is a tie, even is 256; 256 + 3 -> 260 */
	a[0] = fp_f32_to_bf16(256); b[0] = fp_f32_to_bf16(1); c[0] = 0;
	a[1] = fp_f32_to_bf16(256); b[1] = fp_f32_to_bf16(3); c[1] = 0;
	assert_int_equal(fp_reduce_sum(FP_BF16, out, srcs, 3, 2, NULL), 0);
	assert_int_equal(out[0], fp_f32_to_bf16(256));
	assert_int_equal(out[1], fp_f32_to_bf16(260));

	/* Inf - Inf is NaN, Inf + x is Inf */
	fa[0] = INFINITY; fb[0] = -INFINITY;
	fa[1] = INFINITY; fb[1] = 1;
	assert_int_equal(fp_reduce_sum(FP_F32, fo, fsrcs, 2, 2, NULL), 0);
	assert_true(isnan(fo[0]));
	assert_true(isinf(fo[1]) && fo[1] > 0);
}

static void test_reduce_in_place_and_errors(void **state)
{
	float a[5] = { 1, 2, 3, 4, 5 }, b[5] = { 10, 20, 30, 40, 50 };
	const void *srcs[2] = { a, b };
	const void *nine[9];
	char raw[16];
	const void *mis[1] = { raw + 1 };
	int i;

	(void)state;
	assert_int_equal(fp_reduce_sum(FP_F32, a, srcs, 2, 5, NULL), 0);
	for (i = 0; i < 5; i++)
		assert_true(a[i] == 11.0f * (i + 1));
	for (i = 0; i < 9; i++)
		nine[i] = b;
	assert_int_equal(fp_reduce_sum(FP_F32, a, nine, 9, 5, NULL), EINVAL);
	assert_int_equal(fp_reduce_sum(FP_F32, a, srcs, 0, 5, NULL), EINVAL);
	assert_int_equal(fp_reduce_sum((enum fp_dtype)7, a, srcs, 2, 5, NULL), EINVAL);
	assert_int_equal(fp_reduce_sum(FP_F16, raw + 2, mis, 1, 2, NULL), EINVAL);
	assert_int_equal(fp_reduce_sum(FP_F32, a, srcs, 2, 0, NULL), 0);
}

/*
 * The reference checks its own arguments (libflowplan and emu-kernels call
 * it directly, not through fp_reduce_sum()), and so does the dispatcher on
 * the host path.
 */
static void test_reduce_ref_errors(void **state)
{
	float a[4] = { 1, 2, 3, 4 }, b[4] = { 5, 6, 7, 8 }, out[4];
	const void *srcs[2] = { a, b }, *nul[2] = { a, NULL };
	const void *mis[2] = { a, (const char *)b + 2 };
	const void *eight[FP_REDUCE_MAX_SRCS + 1];
	size_t big = SIZE_MAX / 4 + 1;
	int i;

	(void)state;
	for (i = 0; i <= FP_REDUCE_MAX_SRCS; i++)
		eight[i] = a;
	assert_int_equal(fp_reduce_sum_ref(FP_F32, NULL, srcs, 2, 4), EINVAL);
	assert_int_equal(fp_reduce_sum_ref(FP_F32, out, NULL, 2, 4), EINVAL);
	assert_int_equal(fp_reduce_sum_ref(FP_F32, out, srcs, 0, 4), EINVAL);
	assert_int_equal(fp_reduce_sum_ref(FP_F32, out, eight, FP_REDUCE_MAX_SRCS + 1, 4),
			 EINVAL);
	assert_int_equal(fp_reduce_sum_ref((enum fp_dtype)3, out, srcs, 2, 4), EINVAL);
	assert_int_equal(fp_reduce_sum_ref(FP_F32, (char *)out + 2, srcs, 2, 1), EINVAL);
	assert_int_equal(fp_reduce_sum_ref(FP_F16, (char *)out + 1, srcs, 2, 1), EINVAL);
	assert_int_equal(fp_reduce_sum_ref(FP_F32, out, nul, 2, 4), EINVAL);
	assert_int_equal(fp_reduce_sum_ref(FP_F32, out, mis, 2, 1), EINVAL);
	assert_int_equal(fp_reduce_sum_ref(FP_F32, out, srcs, 2, big), ERANGE);
	assert_int_equal(fp_reduce_sum_ref(FP_F16, out, srcs, 2, SIZE_MAX / 2 + 1), ERANGE);
	assert_int_equal(fp_reduce_sum(FP_F32, out, srcs, 2, big, NULL), ERANGE);
	assert_int_equal(fp_reduce_sum(FP_F16, out, mis, 2, 1, NULL), 0);	/* 2-aligned */
	/* the limits themselves are fine */
	assert_int_equal(fp_reduce_sum_ref(FP_F32, out, eight, FP_REDUCE_MAX_SRCS, 4), 0);
	for (i = 0; i < 4; i++)
		assert_true(out[i] == a[i] * FP_REDUCE_MAX_SRCS);
	assert_int_equal(fp_reduce_sum_ref(FP_F32, out, srcs, 2, 0), 0);
	assert_int_equal(fp_reduce_sum_ref(FP_BF16, out, srcs, 1, 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_f32_to_f16_edges),
		cmocka_unit_test(test_f16_to_f32_edges),
		cmocka_unit_test(test_f16_round_trip_all),
		cmocka_unit_test(test_narrowing_vs_oracle),
		cmocka_unit_test(test_bf16_edges),
		cmocka_unit_test(test_pack_unpack_round_trip),
		cmocka_unit_test(test_pack_errors),
		cmocka_unit_test(test_pack_empty_chunks),
		cmocka_unit_test(test_reduce_vs_double),
		cmocka_unit_test(test_reduce_rounding),
		cmocka_unit_test(test_reduce_in_place_and_errors),
		cmocka_unit_test(test_reduce_ref_errors),
	};

	return cmocka_run_group_tests_name("kernels_ref", tests, NULL, NULL);
}
