// SPDX-License-Identifier: MIT
/*
 * kernels_cmp.c - run each kernel on the GPU (through fp_pack() and friends,
 * i.e. the same dispatch libflowplan uses) and on the CPU reference, and
 * compare the results bit for bit. NaN results compare equal to any NaN:
 * their sign and payload are unspecified (fp_kernels.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_cmp.h"

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void fill(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)rnd();
}

/* Chunk lists: odd lengths, every relative alignment, small and large. */
static size_t mkchunks(struct fp_chunk *c, size_t max, size_t scat,
		       size_t big, size_t *total)
{
	size_t n = 0, pos = rnd() % 17;

	*total = 0;
	while (n < max) {
		size_t len = (rnd() % 4 == 0) ? big + 2 * (rnd() % 4096) + 1
					      : 1 + rnd() % 3001;
		size_t gap = rnd() % 61;

		if (n % 7 == 5)
			len = 0;
		if (pos + gap + len > scat)
			break;
		c[n].off = pos + gap;
		c[n].len = len;
		pos += gap + len;
		*total += len;
		n++;
	}
	return n;
}

struct bufs {
	unsigned char *h_scat, *h_cont, *h_out;
	void *d_scat, *d_cont;
};

static void bufs_free(struct bufs *b)
{
	free(b->h_scat);
	free(b->h_cont);
	free(b->h_out);
	fp_kernels_dev_free(b->d_scat);
	fp_kernels_dev_free(b->d_cont);
}

static int bufs_alloc(struct bufs *b, size_t scat, size_t cont)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->h_scat = malloc(scat);
	b->h_cont = malloc(cont);
	b->h_out = malloc(scat > cont ? scat : cont);
	if (!b->h_scat || !b->h_cont || !b->h_out)
		return ENOMEM;
	ret = fp_kernels_dev_alloc(&b->d_scat, scat);
	if (!ret)
		ret = fp_kernels_dev_alloc(&b->d_cont, cont);
	return ret;
}

static int first_diff(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return (int)(i > 0x7fffffff ? 0x7fffffff : i);
	return -1;
}

static int cmp_pack_dir(int unpack, char *msg, size_t len)
{
	static const size_t bigs[] = { 0, 4093, 65537, 1 << 20 };
	const size_t scat = (8u << 20) + 13, cont = (8u << 20) + 64;
	struct fp_chunk c[512];
	struct bufs b;
	size_t n, total, round, skew_s, skew_c;
	int ret, at;

	ret = bufs_alloc(&b, scat + 16, cont + 16);
	for (round = 0; !ret && round < 64; round++) {
		/* buffer offsets 0..15: every relative alignment */
		skew_s = round % 16;
		skew_c = (round * 7 + round / 16) % 16;
		n = mkchunks(c, 512, scat - 16, bigs[round % 4], &total);
		fill(b.h_scat, scat + 16);
		fill(b.h_cont, cont + 16);
		ret = fp_kernels_dev_copy(b.d_scat, b.h_scat, scat + 16);
		if (!ret)
			ret = fp_kernels_dev_copy(b.d_cont, b.h_cont, cont + 16);
		if (ret)
			break;
		if (unpack) {
			ret = fp_unpack((char *)b.d_scat + skew_s, scat, (char *)b.d_cont + skew_c,
					cont, c, n, NULL);
			if (!ret)
				ret = fp_unpack_ref(b.h_scat + skew_s, scat, b.h_cont + skew_c,
						    cont, c, n);
			if (!ret)
				ret = fp_kernels_dev_copy(b.h_out, b.d_scat, scat + 16);
			at = ret ? -1 : first_diff(b.h_out, b.h_scat, scat + 16);
		} else {
			ret = fp_pack((char *)b.d_cont + skew_c, cont, (char *)b.d_scat + skew_s,
				      scat, c, n, NULL);
			if (!ret)
				ret = fp_pack_ref(b.h_cont + skew_c, cont, b.h_scat + skew_s,
						  scat, c, n);
			if (!ret)
				ret = fp_kernels_dev_copy(b.h_out, b.d_cont, cont + 16);
			at = ret ? -1 : first_diff(b.h_out, b.h_cont, cont + 16);
		}
		if (!ret && at >= 0) {
			snprintf(msg, len, "%s round %zu (%zu chunks, %zu bytes, "
				 "skews %zu/%zu): first difference at byte %d",
				 unpack ? "unpack" : "pack", round, n, total,
				 skew_s, skew_c, at);
			ret = -1;
		}
	}
	if (ret > 0)
		snprintf(msg, len, "%s: %s", unpack ? "unpack" : "pack", strerror(ret));
	bufs_free(&b);
	return ret;
}

int fpk_cmp_pack(char *msg, size_t len)
{
	return cmp_pack_dir(0, msg, len);
}

int fpk_cmp_unpack(char *msg, size_t len)
{
	return cmp_pack_dir(1, msg, len);
}

/* Random values with some subnormals, huge values, Inf and NaN. */
static void fill_vals(enum fp_dtype dt, unsigned char *p, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		uint32_t r = rnd(), u = rnd() | (rnd() << 16);
		float f;

		switch (r % 64) {
		case 0:
			u &= 0x807fffff;	/* subnormal */
			break;
		case 1:
			u = (u & 0x80000000) | 0x7f800000;
			break;
		case 2:
			u |= 0x7fc00000;
			break;
		default:
			/* moderate exponents so that sums stay interesting */
			u = (u & 0x807fffff) | ((120 + r % 16) << 23);
			break;
		}
		memcpy(&f, &u, 4);
		if (dt == FP_F32)
			memcpy(p + 4 * i, &f, 4);
		else {
			uint16_t h = dt == FP_F16 ? fp_f32_to_f16(f) : fp_f32_to_bf16(f);

			if (r % 64 == 0 && dt == FP_F16)
				h = (uint16_t)(rnd() & 0x83ff);	/* half subnormal */
			memcpy(p + 2 * i, &h, 2);
		}
	}
}

static int is_nan(enum fp_dtype dt, const unsigned char *p, size_t i)
{
	uint32_t u;
	uint16_t h;

	if (dt == FP_F32) {
		memcpy(&u, p + 4 * i, 4);
		return (u & 0x7fffffff) > 0x7f800000;
	}
	memcpy(&h, p + 2 * i, 2);
	return dt == FP_F16 ? (h & 0x7fff) > 0x7c00 : (h & 0x7fff) > 0x7f80;
}

#define NCOUNTS	9

int fpk_cmp_reduce(enum fp_dtype dt, char *msg, size_t len)
{
	static const size_t counts[NCOUNTS] = { 1, 2, 3, 7, 17, 255, 1001, 65537,
					 (1 << 20) + 3 };
	const size_t maxc = (1 << 20) + 3 + 16, es = fp_dtype_size(dt);
	unsigned char *h[FP_REDUCE_MAX_SRCS + 1], *out = malloc(maxc * es);
	void *d[FP_REDUCE_MAX_SRCS + 1] = { NULL };
	const void *hs[FP_REDUCE_MAX_SRCS], *ds[FP_REDUCE_MAX_SRCS];
	unsigned int n, k, nb = FP_REDUCE_MAX_SRCS + 1;
	size_t ci, i, cs, skew[FP_REDUCE_MAX_SRCS + 1];
	int ret = out ? 0 : ENOMEM, shared;

	for (k = 0; k < nb; k++) {
		h[k] = malloc(maxc * es);
		if (!h[k])
			ret = ENOMEM;
		if (!ret)
			ret = fp_kernels_dev_alloc(&d[k], maxc * es);
	}
	/*
	 * Host and device copies start equal and each round writes the same
	 * result to both (or fails), so they stay equal up to NaN payloads.
	 */
	for (k = 0; !ret && k < nb; k++) {
		fill_vals(dt, h[k], maxc);
		ret = fp_kernels_dev_copy(d[k], h[k], maxc * es);
	}
	/* every source count x element count x (shared, mixed) skews */
	for (cs = 0; !ret && cs < FP_REDUCE_MAX_SRCS * NCOUNTS * 2; cs++) {
		size_t count;

		n = 1 + (unsigned int)(cs / (NCOUNTS * 2));
		ci = (cs / 2) % NCOUNTS;
		shared = (int)(cs % 2);
		count = counts[ci];

		/* element offsets: one shared skew (vector path), or mixed */
		for (k = 0; k < nb; k++)
			skew[k] = shared ? (n + ci) % 9 : (k * 3 + ci) % 9;
		for (k = 0; !ret && k < n; k++) {
			hs[k] = h[k] + skew[k] * es;
			ds[k] = (char *)d[k] + skew[k] * es;
		}
		if (!ret)
			ret = fp_reduce_sum(dt, (char *)d[n] + skew[n] * es, ds, n,
					    count, NULL);
		if (!ret)
			ret = fp_reduce_sum_ref(dt, h[n] + skew[n] * es, hs, n, count);
		if (!ret)
			ret = fp_kernels_dev_copy(out, d[n], maxc * es);
		for (i = 0; !ret && i < maxc; i++) {
			if (!memcmp(out + i * es, h[n] + i * es, es))
				continue;
			if (is_nan(dt, out, i) && is_nan(dt, h[n], i))
				continue;
			snprintf(msg, len, "reduce dt %d, %u sources, %zu elements, "
				 "%s skews: element %zu differs", dt, n, count,
				 shared ? "shared" : "mixed", i);
			ret = -1;
		}
	}
	if (ret > 0)
		snprintf(msg, len, "reduce dt %d: %s", dt, strerror(ret));
	for (k = 0; k < nb; k++) {
		free(h[k]);
		fp_kernels_dev_free(d[k]);
	}
	free(out);
	return ret;
}
