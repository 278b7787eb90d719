// SPDX-License-Identifier: MIT
/*
 * split.c - cutting a message into chunks over the subflows of a group.
 *
 * Exact integer arithmetic: the boundary after subflow i is
 * floor(len * (w_0 + ... + w_i) / W), so every byte lies in exactly one
 * share, shares are within one byte of their ideal, and both ends of a group
 * compute the same boundaries from the same length and weights.
 */
#include <errno.h>

#include "flowplan/priv.h"

typedef unsigned __int128 u128;

int fp_split_shares(uint64_t len, const uint32_t *w, unsigned int k,
		    uint64_t *share)
{
	uint64_t total = 0, cum = 0, prev = 0;
	unsigned int i;

	if (!k || k > FP_MAX_SUBFLOWS)
		return EINVAL;
	for (i = 0; i < k; i++)
		total += w[i];
	if (!total)
		return EINVAL;
	/* 64-bit arithmetic whenever len * total cannot overflow it. */
	if (len <= UINT64_MAX / total) {
		for (i = 0; i < k; i++) {
			uint64_t b;

			cum += w[i];
			b = len * cum / total;
			share[i] = b - prev;
			prev = b;
		}
		return 0;
	}
	for (i = 0; i < k; i++) {
		uint64_t b;

		cum += w[i];
		b = (uint64_t)((u128)len * cum / total);
		share[i] = b - prev;
		prev = b;
	}
	return 0;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* fp_spread_pick() in 128 bits: any counts, any weights. */
static unsigned int __attribute__((noinline))
pick_wide(const struct fp_spread *sp, const uint32_t *w, unsigned int k,
	  uint64_t total, uint64_t wsum)
{
	unsigned int i, best = 0;
	__int128 best_def = 0;
	bool any = false;

	for (i = 0; i < k; i++) {
		__int128 def;

		if (!w[i])
			continue;
		def = (__int128)w[i] * total - (__int128)sp->sent[i] * wsum;
		if (!any || def > best_def) {
			best = i;
			best_def = def;
			any = true;
		}
	}
	return best;
}

unsigned int fp_spread_pick(const struct fp_spread *sp, const uint32_t *w,
			    unsigned int k)
{
	uint64_t wsum = 0;
	unsigned int i;

	for (i = 0; i < k; i++)
		wsum += w[i];
	return fp_spread_pick_sum(sp, w, k, wsum);
}

unsigned int fp_spread_pick_sum(const struct fp_spread *sp, const uint32_t *w,
				unsigned int k, uint64_t wsum)
{
	uint64_t total = sp->total;
	unsigned int i, best = 0;
	/* No deficit is INT64_MIN: a weight of 0 is never picked. */
	int64_t bd = INT64_MIN;

	/*
	 * Largest deficit w_i * T - sent_i * W (T: bytes sent so far, W: the
	 * weight total), lowest index on ties: the subflow furthest behind
	 * its share.
	 */
	/*
	 * Both products under 2^63 (w_i <= W, sent_i <= T; true of the
	 * first 2^46 bytes with weights that sum to 2^16): the same
	 * deficits in 64 bits. Else pick_wide().
	 */
	if (unlikely(!total || !wsum ||
		     128 - __builtin_clzll(total) - __builtin_clzll(wsum) > 63))
		return pick_wide(sp, w, k, total, wsum);
	for (i = 0; i < k; i++) {
		int64_t def = (int64_t)(w[i] * total) -
			      (int64_t)(sp->sent[i] * wsum);

		def = w[i] ? def : INT64_MIN;
		best = def > bd ? i : best;
		bd = def > bd ? def : bd;
	}
	return best;
}

uint64_t fp_split_count(uint64_t len, const uint32_t *w, unsigned int k,
			uint64_t chunk_max, uint64_t split_min)
{
	uint64_t share[FP_MAX_SUBFLOWS], n = 0, c;
	unsigned int i;

	if (!chunk_max)
		chunk_max = UINT64_MAX;
	if (len < split_min || len == 0 || k == 1)
		return len ? div_up(len, chunk_max) : 1;
	if (fp_split_shares(len, w, k, share))
		return 0;
	for (i = 0; i < k; i++) {
		c = div_up(share[i], chunk_max);
		n = n > UINT64_MAX - c ? UINT64_MAX : n + c;
	}
	return n;
}

static int cut(uint64_t off, uint64_t len, unsigned int sub, uint64_t chunk_max,
	       struct fp_chunk *out, unsigned int max, unsigned int *n)
{
	do {
		uint64_t l = len < chunk_max ? len : chunk_max;

		if (*n >= max)
			return -ENOSPC;
		out[*n] = (struct fp_chunk){ .off = off, .len = l, .sub = sub };
		(*n)++;
		off += l;
		len -= l;
	} while (len);
	return 0;
}

int fp_split(uint64_t len, const uint32_t *w, unsigned int k,
	     uint64_t chunk_max, uint64_t split_min, struct fp_spread *sp,
	     struct fp_chunk *out, unsigned int max)
{
	uint64_t share[FP_MAX_SUBFLOWS], off = 0;
	unsigned int i, n = 0;
	int ret;

	if (!k || k > FP_MAX_SUBFLOWS)
		return -EINVAL;
	if (!chunk_max)
		chunk_max = UINT64_MAX;

	if (len < split_min || len == 0 || k == 1) {
		unsigned int s = k == 1 ? 0 : fp_spread_pick(sp, w, k);

		if (!w[s])
			return -EINVAL;
		ret = cut(0, len, s, chunk_max, out, max, &n);
		if (ret)
			return ret;
		fp_spread_add(sp, s, len);
		return (int)n;
	}
	ret = fp_split_shares(len, w, k, share);
	if (ret)
		return -ret;

	for (i = 0; i < k; i++) {
		if (!share[i])
			continue;
		ret = cut(off, share[i], i, chunk_max, out, max, &n);
		if (ret)
			return ret;	/* @sp untouched */
		off += share[i];
	}
	for (i = 0; i < k; i++)
		fp_spread_add(sp, i, share[i]);
	return (int)n;
}
