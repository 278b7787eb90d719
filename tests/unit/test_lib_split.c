// SPDX-License-Identifier: MIT
/*
 * test_lib_split - libflowplan's split arithmetic, property style: for many
 * random (length, weights, chunk limit) cases with a fixed seed, every byte
 * lies in exactly one chunk, each subflow's share is within one byte of its
 * weight, no chunk exceeds the limit, and the result is deterministic.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flowplan/priv.h"

typedef unsigned __int128 u128;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* Random weights; some zero, at least one not. Returns their sum. */
static uint64_t rnd_weights(uint32_t *w, unsigned int k, bool sum_one)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < k; i++) {
		w[i] = rnd() % 5 == 0 ? 0 : (uint32_t)(rnd() % 65536);
		sum += w[i];
	}
	if (!sum) {
		w[rnd() % k] = 1;
		sum = 1;
	}
	if (sum_one) {
		/* Scale to 65536 exactly, as plan weights are. */
		uint64_t acc = 0;
		int last = -1;

		for (i = 0; i < k; i++) {
			w[i] = (uint32_t)((uint64_t)w[i] * FP_WEIGHT_ONE / sum);
			acc += w[i];
			if (w[i])
				last = (int)i;
		}
		if (last < 0)
			last = 0;
		w[last] += (uint32_t)(FP_WEIGHT_ONE - acc);
		sum = FP_WEIGHT_ONE;
	}
	return sum;
}

static uint64_t rnd_len(void)
{
	switch (rnd() % 6) {
	case 0: return rnd() % 8;
	case 1: return rnd() % 4096;
	case 2: return rnd() % (64ull << 20);
	case 3: return rnd() >> (rnd() % 64);
	case 4: return UINT64_MAX - rnd() % 3;
	default: return rnd() % (1ull << 32);
	}
}

static void test_shares_property(void **state)
{
	uint64_t share[FP_MAX_SUBFLOWS];
	uint32_t w[FP_MAX_SUBFLOWS];
	int c;

	(void)state;
	for (c = 0; c < 200000; c++) {
		unsigned int k = 1 + (unsigned int)(rnd() % FP_MAX_SUBFLOWS), i;
		uint64_t len = rnd_len(), W = rnd_weights(w, k, c & 1);
		u128 sum = 0;

		assert_int_equal(fp_split_shares(len, w, k, share), 0);
		for (i = 0; i < k; i++) {
			u128 ideal = (u128)len * w[i];	/* share * W, exactly */
			u128 got = (u128)share[i] * W;
			u128 diff = got > ideal ? got - ideal : ideal - got;

			assert_true(diff < W);	/* within one byte */
			if (!w[i])
				assert_true(share[i] == 0);
			sum += share[i];
		}
		assert_true(sum == len);	/* every byte once */
	}
}

static void test_split_chunks_property(void **state)
{
	static struct fp_chunk out[4096], again[4096];
	uint32_t w[FP_MAX_SUBFLOWS];
	int c;

	(void)state;
	for (c = 0; c < 20000; c++) {
		unsigned int k = 1 + (unsigned int)(rnd() % FP_MAX_SUBFLOWS), i;
		uint64_t len = rnd() % (8ull << 20);
		uint64_t cmax = 1 + rnd() % (1ull << 20);
		uint64_t smin = rnd() % 3 ? 0 : rnd() % 65536;
		uint64_t share[FP_MAX_SUBFLOWS], per[FP_MAX_SUBFLOWS] = { 0 };
		struct fp_spread sp = { 0 }, sp2 = { 0 };
		uint64_t next = 0;
		unsigned int want;
		int n, n2;

		rnd_weights(w, k, true);
		if (len / cmax > 2000)
			cmax = len / 2000 + 1;
		want = fp_split_count(len, w, k, cmax, smin);
		n = fp_split(len, w, k, cmax, smin, &sp, out, 4096);
		assert_true(n > 0);
		assert_int_equal((unsigned int)n, want);
		n2 = fp_split(len, w, k, cmax, smin, &sp2, again, 4096);
		assert_int_equal(n, n2);
		assert_memory_equal(out, again, (size_t)n * sizeof(*out));

		/* Chunks are in order, contiguous, and cover [0, len). */
		for (i = 0; i < (unsigned int)n; i++) {
			assert_true(out[i].off == next);
			assert_true(out[i].len <= cmax);
			assert_true(out[i].len > 0 || len == 0);
			assert_true(out[i].sub < k);
			assert_true(w[out[i].sub] > 0);
			per[out[i].sub] += out[i].len;
			next += out[i].len;
		}
		assert_true(next == len);
		if (len >= smin && len && k > 1) {
			fp_split_shares(len, w, k, share);
			for (i = 0; i < k; i++)
				assert_true(per[i] == share[i]);
		}
		for (i = 0; i < k; i++)
			assert_true(sp.sent[i] == per[i]);
		assert_true(sp.total == len);
	}
}

/* Unsplit (short) messages follow the weights over time, and both ends agree. */
static void test_spread_small(void **state)
{
	uint32_t w[4] = { 32768, 16384, 16384, 0 };
	struct fp_spread tx = { 0 }, rx = { 0 };
	struct fp_chunk a, b;
	uint64_t total = 0, maxlen = 0;
	unsigned int i;
	int m;

	(void)state;
	for (m = 0; m < 100000; m++) {
		uint64_t len = 1 + rnd() % 4000;

		assert_int_equal(fp_split(len, w, 4, 1 << 20, 16384, &tx, &a, 1), 1);
		assert_int_equal(fp_split(len, w, 4, 1 << 20, 16384, &rx, &b, 1), 1);
		assert_int_equal(a.sub, b.sub);	/* the receiver mirrors */
		assert_true(a.off == 0 && a.len == len);
		assert_int_not_equal(a.sub, 3);	/* weight 0 carries nothing */
		total += len;
		if (len > maxlen)
			maxlen = len;
	}
	/* Each subflow within one message of its share. */
	for (i = 0; i < 4; i++) {
		double ideal = (double)total * w[i] / FP_WEIGHT_ONE;
		double got = (double)tx.sent[i];

		assert_true(got - ideal <= (double)maxlen &&
			    ideal - got <= (double)maxlen);
	}
}

/*
 * The spread's choices against values worked out apart from this code
 * (by hand and with a few lines of Python from the rule in priv.h): the
 * largest deficit w_i * T - sent_i * W, the lowest index on ties, never a
 * subflow of weight 0. The ties are the point: at the start every deficit
 * is 0, and {32768, 16384, 16384} after 0, 1, 2, 0 ties all three again.
 */
static void test_spread_ties(void **state)
{
	static const struct {
		unsigned int k;
		uint32_t w[4];
		uint64_t len[12];
		unsigned int n;
		unsigned int sub[12];
	} cases[] = {
		{ 4, { 16384, 16384, 16384, 16384 },
		  { 100, 100, 100, 100, 100, 100, 100, 100, 100, 100 }, 10,
		  { 0, 1, 2, 3, 0, 1, 2, 3, 0, 1 } },
		{ 3, { 32768, 16384, 16384 },
		  { 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100 },
		  12, { 0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2, 0 } },
		{ 3, { 0, 32768, 32768 }, { 100, 100, 100, 100, 100, 100 }, 6,
		  { 1, 2, 1, 2, 1, 2 } },
		{ 3, { 21845, 21845, 21846 }, { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 },
		  10, { 0, 2, 1, 0, 2, 1, 0, 2, 1, 0 } },
		{ 2, { 40000, 25536 },
		  { 1000, 10, 10, 10, 1000, 10, 10, 10, 10, 10 }, 10,
		  { 0, 1, 1, 1, 1, 0, 0, 0, 0, 0 } },
	};
	size_t c;
	unsigned int i;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct fp_spread sp = { 0 };
		struct fp_chunk out;

		for (i = 0; i < cases[c].n; i++) {
			assert_int_equal(fp_split(cases[c].len[i], cases[c].w,
						  cases[c].k, 1 << 20, 16384,
						  &sp, &out, 1), 1);
			if (out.sub != cases[c].sub[i])
				fail_msg("case %zu, message %u: subflow %u, expected %u",
					 c, i, out.sub, cases[c].sub[i]);
		}
	}
}

static void test_split_exact_cases(void **state)
{
	/* A table of small cases worked out by hand. */
	static const struct {
		uint64_t len;
		unsigned int k;
		uint32_t w[4];
		uint64_t share[4];
	} cases[] = {
		{ 10, 2, { 32768, 32768 }, { 5, 5 } },
		{ 11, 2, { 32768, 32768 }, { 5, 6 } },
		{ 10, 3, { 21845, 21845, 21846 }, { 3, 3, 4 } },
		{ 1, 4, { 16384, 16384, 16384, 16384 }, { 0, 0, 0, 1 } },
		{ 100, 2, { 65536, 0 }, { 100, 0 } },
		{ 7, 3, { 1, 1, 1 }, { 2, 2, 3 } },
		{ 0, 2, { 1, 1 }, { 0, 0 } },
	};
	uint64_t share[4];
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		assert_int_equal(fp_split_shares(cases[c].len, cases[c].w,
						 cases[c].k, share), 0);
		assert_memory_equal(share, cases[c].share,
				    cases[c].k * sizeof(uint64_t));
	}
}

/*
 * The pick by its definition, in 128 bits: the largest w_i * T - sent_i * W,
 * the lowest index on ties, never a weight of 0.
 */
static unsigned int ref_pick(const struct fp_spread *sp, const uint32_t *w,
			     unsigned int k)
{
	u128 total = 0, wsum = 0;
	__int128 best_def = 0;
	unsigned int i, best = 0;
	bool any = false;

	for (i = 0; i < k; i++) {
		total += sp->sent[i];
		wsum += w[i];
	}
	for (i = 0; i < k; i++) {
		__int128 def = (__int128)(w[i] * total) -
			       (__int128)(sp->sent[i] * wsum);

		if (w[i] && (!any || def > best_def)) {
			best = i;
			best_def = def;
			any = true;
		}
	}
	return best;
}

/*
 * fp_spread_pick() takes 64 bits while both products fit, 128 above: the
 * same pick as the definition on either side of that bound (totals near
 * 2^47 with weights that sum to 2^16, near 2^31 with weights up to 2^32),
 * with ties, zeros and weights of 0.
 */
static void test_spread_pick_bounds(void **state)
{
	unsigned int c;

	(void)state;
	for (c = 0; c < 200000; c++) {
		unsigned int k = 1 + (unsigned int)(rnd() % FP_MAX_SUBFLOWS), i;
		struct fp_spread sp = { 0 };
		uint32_t w[FP_MAX_SUBFLOWS];
		unsigned int shift;

		rnd_weights(w, k, c % 3 != 0);
		if (c % 7 == 0)
			for (i = 0; i < k; i++)
				w[i] = w[i] ? (uint32_t)(rnd() >> 32) | 1u : 0;
		shift = (unsigned int)(rnd() % 64);
		for (i = 0; i < k; i++) {
			switch (rnd() % 4) {
			case 0:
				sp.sent[i] = 0;
				break;
			case 1:
				sp.sent[i] = rnd() >> shift;
				break;
			case 2:
				sp.sent[i] = (1ull << 45) + rnd() % 4096;
				break;
			default:
				sp.sent[i] = (1ull << 29) - rnd() % 4096;
			}
		}
		if (c % 5 == 0 && k > 1)
			sp.sent[1] = sp.sent[0];
		/* T must not wrap: the sum of 64-bit counters, as it is. */
		{
			u128 t = 0;

			for (i = 0; i < k; i++)
				t += sp.sent[i];
			if (t >> 64)
				continue;
			sp.total = (uint64_t)t;
		}
		if (fp_spread_pick(&sp, w, k) != ref_pick(&sp, w, k))
			fail_msg("case %u: k %u: %u, not %u", c, k,
				 fp_spread_pick(&sp, w, k), ref_pick(&sp, w, k));
	}
}

static void test_split_bad_input(void **state)
{
	uint32_t w[FP_MAX_SUBFLOWS + 1] = { 0 };
	struct fp_spread sp = { 0 };
	struct fp_chunk out[4];
	uint64_t share[FP_MAX_SUBFLOWS + 1];

	(void)state;
	assert_int_equal(fp_split_shares(10, w, 0, share), EINVAL);
	assert_int_equal(fp_split_shares(10, w, 2, share), EINVAL);	/* sum 0 */
	assert_int_equal(fp_split(100, w, 2, 4, 0, &sp, out, 4), -EINVAL);
	w[0] = w[1] = 1;
	assert_int_equal(fp_split_shares(10, w, FP_MAX_SUBFLOWS + 1, share),
			 EINVAL);
	assert_int_equal(fp_split(10, w, 0, 4, 0, &sp, out, 4), -EINVAL);
	/* Unsplit too (shorter than split_min): k is checked first. */
	assert_int_equal(fp_split(10, w, 0, 4, 100, &sp, out, 4), -EINVAL);
	assert_int_equal(fp_split(10, w, FP_MAX_SUBFLOWS + 1, 4, 100, &sp, out,
				  4), -EINVAL);
	/* Too many chunks for the room given: the spread state is untouched. */
	assert_int_equal(fp_split(100, w, 2, 4, 0, &sp, out, 4), -ENOSPC);
	assert_true(sp.sent[0] == 0 && sp.sent[1] == 0);
	assert_int_equal(fp_split(100, w, 2, 4, 1000, &sp, out, 4), -ENOSPC);
	assert_true(sp.sent[0] == 0 && sp.sent[1] == 0);
	assert_int_equal(fp_split(8, w, 2, 4, 0, &sp, out, 4), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_exact_cases),
		cmocka_unit_test(test_shares_property),
		cmocka_unit_test(test_split_chunks_property),
		cmocka_unit_test(test_spread_small),
		cmocka_unit_test(test_spread_ties),
		cmocka_unit_test(test_spread_pick_bounds),
		cmocka_unit_test(test_split_bad_input),
	};

	return cmocka_run_group_tests_name("lib_split", tests, NULL, NULL);
}
