// SPDX-License-Identifier: MIT
/*
 * emu.cu - run the CUDA kernels' thread bodies (fp_kernels_dev.cuh) on the
 * CPU, every thread of every block in turn, and compare with the CPU
 * reference bit for bit. Built by nvcc wherever it exists and run by
 * check-kernels, so the index arithmetic, alignment paths and summation of
 * the GPU code are checked even on machines without a GPU. (What it cannot
 * check: the device compiler's code generation, the hardware's f16/bf16
 * conversions and real concurrency; the GPU comparison in tests/gpu/ does
 * that on a GPU.)
 *
 * Prints cmocka-style summary lines for kernels/check.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_kernels_dev.cuh"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static int passed, failed;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void result(const char *name, int ok, const char *why)
{
	printf("[ %s ] %s%s%s\n", ok ? "     OK " : " FAILED ", name,
	       ok ? "" : ": ", ok ? "" : why);
	if (ok)
		passed++;
	else
		failed++;
}

static void run_pack(char *dst, const char *src, const struct fp_chunk *c,
		     size_t n, int unpack)
{
	struct seg *segs = (struct seg *)malloc((n ? n : 1) * sizeof(*segs));
	uint64_t blocks, b;
	unsigned int nseg, tid, idx;

	nseg = fpk_pack_plan(segs, c, n, unpack, &blocks);
	for (b = 0; nseg && b < blocks; b++) {
		idx = fpk_seg_find(segs, nseg, b);
		for (tid = 0; tid < THREADS; tid++)
			fpk_pack_block(dst, src, segs, idx, b, tid);
	}
	free(segs);
}

static void test_pack(int unpack)
{
	const size_t scat = (2u << 20) + 13, cont = (2u << 20) + 64;
	char *hs = (char *)malloc(scat + 16), *hc = (char *)malloc(cont + 16);
	char *es = (char *)malloc(scat + 16), *ec = (char *)malloc(cont + 16);
	struct fp_chunk c[256];
	char why[200] = "";
	size_t round, i, n, pos, total;
	int ok = 1, ret;

	for (round = 0; ok && round < 48; round++) {
		size_t ss = round % 16, sc = (round * 7 + round / 16) % 16;

		for (n = 0, pos = rnd() % 17, total = 0; n < 256; n++) {
			size_t len = round % 3 == 0 && rnd() % 4 == 0
				     ? 40000 + rnd() % 70001 : 1 + rnd() % 3001;
			size_t gap = rnd() % 61;

			if (n % 7 == 5)
				len = 0;
			if (pos + gap + len > scat - 16)
				break;
			c[n].off = pos + gap;
			c[n].len = len;
			pos += gap + len;
			total += len;
		}
		for (i = 0; i < scat + 16; i++)
			hs[i] = es[i] = (char)rnd();
		for (i = 0; i < cont + 16; i++)
			hc[i] = ec[i] = (char)rnd();
		if (unpack) {
			ret = fp_unpack_ref(hs + ss, scat, hc + sc, cont, c, n);
			run_pack(es + ss, ec + sc, c, n, 1);
			ok = !ret && !memcmp(hs, es, scat + 16);
		} else {
			ret = fp_pack_ref(hc + sc, cont, hs + ss, scat, c, n);
			run_pack(ec + sc, es + ss, c, n, 0);
			ok = !ret && !memcmp(hc, ec, cont + 16);
		}
		if (!ok)
			snprintf(why, sizeof(why), "round %zu: %zu chunks, %zu bytes, "
				 "skews %zu/%zu", round, n, total, ss, sc);
	}
	result(unpack ? "emulated unpack vs reference" : "emulated pack vs reference",
	       ok, why);
	free(hs);
	free(hc);
	free(es);
	free(ec);
}

template <typename E>
static void run_reduce(struct rargs *a, size_t es)
{
	uint64_t blocks, t;

	fpk_reduce_plan(a, es);
	blocks = fpk_reduce_blocks(a, es, 132);
	for (t = 0; t < blocks * THREADS; t++)
		fpk_reduce_thread<E>(*a, t, blocks * THREADS);
}

#define NCOUNTS	8

static void test_reduce(enum fp_dtype dt)
{
	static const size_t counts[NCOUNTS] = { 1, 2, 3, 7, 17, 255, 1001, 65537 };
	const size_t maxc = 65537 + 16, es = fp_dtype_size(dt);
	unsigned char *h[FP_REDUCE_MAX_SRCS + 1], *e = (unsigned char *)malloc(maxc * es);
	const void *hs[FP_REDUCE_MAX_SRCS];
	char why[200] = "", name[64];
	unsigned int n, k;
	size_t ci, i, cs;
	int ok = 1, shared;

	for (k = 0; k <= FP_REDUCE_MAX_SRCS; k++) {
		h[k] = (unsigned char *)malloc(maxc * es);
		for (i = 0; i < maxc * es; i += 2) {
			uint32_t r = rnd();
			uint16_t v = (uint16_t)r;

			/* mostly moderate values, some subnormals, Inf, NaN */
			if (r % 64 > 2)
				v = (uint16_t)((v & 0x83ff) | (dt == FP_F16 ? 0x3000 : 0x3c00)
					       | ((r >> 20) & 0x0c00));
			memcpy(h[k] + i, &v, 2);
		}
	}
	/* every source count x element count x (shared, mixed) skews */
	for (cs = 0; ok && cs < FP_REDUCE_MAX_SRCS * NCOUNTS * 2; cs++) {
		size_t skew[FP_REDUCE_MAX_SRCS + 1], count;
		struct rargs a;

		n = 1 + (unsigned int)(cs / (NCOUNTS * 2));
		ci = (cs / 2) % NCOUNTS;
		shared = (int)(cs % 2);
		count = counts[ci];

		for (k = 0; k <= n; k++)
			skew[k] = shared ? (n + ci) % 9 : (k * 3 + ci) % 9;
		memset(&a, 0, sizeof(a));
		for (k = 0; k < n; k++)
			hs[k] = a.src[k] = h[k] + skew[k] * es;
		a.nsrcs = n;
		a.count = count;
		memcpy(e, h[n], maxc * es);
		a.dst = e + skew[n] * es;
		if (dt == FP_F32)
			run_reduce<f32_t>(&a, es);
		else if (dt == FP_F16)
			run_reduce<f16_t>(&a, es);
		else
			run_reduce<bf16_t>(&a, es);
		ok = !fp_reduce_sum_ref(dt, h[n] + skew[n] * es, hs, n, count) &&
		     !memcmp(e, h[n], maxc * es);
		if (!ok)
			snprintf(why, sizeof(why), "%u sources, %zu elements, %s skews",
				 n, count, shared ? "shared" : "mixed");
	}
	snprintf(name, sizeof(name), "emulated reduce %s vs reference",
		 dt == FP_F32 ? "f32" : dt == FP_F16 ? "f16" : "bf16");
	result(name, ok, why);
	for (k = 0; k <= FP_REDUCE_MAX_SRCS; k++)
		free(h[k]);
	free(e);
}

int main(void)
{
	test_pack(0);
	test_pack(1);
	test_reduce(FP_F32);
	test_reduce(FP_F16);
	test_reduce(FP_BF16);
	printf("[==========] %d test(s) run.\n", passed + failed);
	printf("[  PASSED  ] %d test(s).\n", passed);
	if (failed)
		printf("[  FAILED  ] %d test(s), listed below:\n", failed);
	return failed ? 1 : 0;
}
