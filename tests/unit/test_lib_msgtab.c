// SPDX-License-Identifier: MIT
/*
 * test_lib_msgtab - one completion per message out of chunk completions:
 * chunks completing out of order, an error failing exactly its message,
 * no double completion, the library deadline (of receives too: expired
 * once with ETIMEDOUT, in time when the chunks beat it, late chunks
 * ignored), and table limits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <infiniband/verbs.h>

#include "flowplan/priv.h"

static uint64_t rng_state = 12345;

static uint64_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return rng_state >> 33;
}

static int setup(void **state)
{
	static struct fp_msgtab t;

	if (fp_msgtab_init(&t, 64))
		return -1;
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	fp_msgtab_fini(*state);
	return 0;
}

/* Messages of random chunk counts, chunks completed in random order. */
static void test_out_of_order(void **state)
{
	struct fp_msgtab *t = *state;
	uint64_t chunks[2000], seqs[40];
	unsigned int nch = 0, i, done[40] = { 0 };
	struct fp_wc wc[64];
	int round;

	for (round = 0; round < 50; round++) {
		nch = 0;
		for (i = 0; i < 40; i++) {
			uint32_t n = 1 + (uint32_t)(rnd() % 16), j;
			struct fp_msg *m = fp_msg_start(t, 1000 + i, FP_OP_WRITE,
							 n * 10, n, 1, 0);

			assert_non_null(m);
			seqs[i] = m->seq;
			for (j = 0; j < n; j++)
				chunks[nch++] = m->seq;
			done[i] = 0;
		}
		for (i = nch - 1; i > 0; i--) {	/* shuffle */
			unsigned int j = (unsigned int)(rnd() % (i + 1));
			uint64_t x = chunks[i];

			chunks[i] = chunks[j];
			chunks[j] = x;
		}
		for (i = 0; i < nch; i++) {
			struct fp_msg *m = fp_msg_chunk_done(t, chunks[i], 0, 0,
							     0, 0, 2);
			unsigned int r, j;
			int n;

			/* Complete exactly when its last chunk is seen. */
			if (m) {
				for (j = i + 1; j < nch; j++)
					assert_true(chunks[j] != m->seq);
			}
			n = fp_msgtab_reap(t, wc, NULL, 64);
			for (r = 0; r < (unsigned int)n; r++) {
				assert_int_equal(wc[r].status, 0);
				assert_int_equal(wc[r].subflow, -1);
				assert_true(wc[r].wr_id >= 1000 &&
					    wc[r].wr_id < 1040);
				done[wc[r].wr_id - 1000]++;
			}
		}
		for (i = 0; i < 40; i++)
			assert_int_equal(done[i], 1);
		assert_int_equal(fp_msgtab_live(t), 0);
		(void)seqs;
	}
}

/* An error on one chunk fails exactly that message; first error wins. */
static void test_one_error(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_msg *a, *b, *c;
	struct fp_wc wc[8];
	int n, i;

	a = fp_msg_start(t, 1, FP_OP_WRITE, 30, 3, 1, 0);
	b = fp_msg_start(t, 2, FP_OP_WRITE, 30, 3, 1, 0);
	c = fp_msg_start(t, 3, FP_OP_SEND, 30, 3, 1, 0);
	uint64_t sa = a->seq, sb = b->seq, sc = c->seq;

	fp_msg_chunk_done(t, sb, ETIMEDOUT, IBV_WC_RETRY_EXC_ERR, 2, 0, 2);
	fp_msg_chunk_done(t, sb, ECANCELED, IBV_WC_WR_FLUSH_ERR, 1, 0, 2);
	for (i = 0; i < 3; i++) {
		fp_msg_chunk_done(t, sa, 0, 0, i, 0, 3);
		fp_msg_chunk_done(t, sc, 0, 0, i, 0, 3);
	}
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 8), 2);
	assert_int_equal(wc[0].wr_id, 1);
	assert_int_equal(wc[1].wr_id, 3);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(wc[1].status, 0);
	assert_int_equal(wc[1].op, FP_OP_SEND);
	fp_msg_chunk_done(t, sb, ECANCELED, IBV_WC_WR_FLUSH_ERR, 0, 0, 4);
	n = fp_msgtab_reap(t, wc, NULL, 8);
	assert_int_equal(n, 1);
	assert_int_equal(wc[0].wr_id, 2);
	assert_int_equal(wc[0].status, ETIMEDOUT);	/* the first error */
	assert_int_equal(wc[0].subflow, 2);
	assert_int_equal(wc[0].vendor_status, IBV_WC_RETRY_EXC_ERR);
	assert_int_equal(wc[0].len, 30);
	assert_int_equal(fp_msgtab_live(t), 0);
}

/* Completions for finished or unknown messages change nothing. */
static void test_no_double_completion(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_msg *m = fp_msg_start(t, 7, FP_OP_WRITE, 10, 1, 1, 0);
	uint64_t seq = m->seq, stale = t->stale;
	struct fp_wc wc[4];

	assert_non_null(fp_msg_chunk_done(t, seq, 0, 0, 0, 0, 2));
	assert_null(fp_msg_chunk_done(t, seq, 0, 0, 0, 0, 2));
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 1);
	assert_null(fp_msg_chunk_done(t, seq, 0, 0, 0, 0, 2));
	assert_null(fp_msg_chunk_done(t, 999999, 0, 0, 0, 0, 2));
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
	assert_true(t->stale == stale + 3);
}

/*
 * Deadline: a message whose chunks never complete is handed out with
 * ETIMEDOUT once, its subflows named for the error state; the flushes that
 * follow free its slot without a second completion.
 */
static void test_deadline(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_msg *late, *ok;
	uint64_t sl, so;
	struct fp_wc wc[4];
	uint32_t mask;

	late = fp_msg_start(t, 10, FP_OP_WRITE, 100, 2, 100, 1100);
	late->subs = 0x5;
	sl = late->seq;
	ok = fp_msg_start(t, 11, FP_OP_WRITE, 100, 1, 200, 1200);
	ok->subs = 0x2;
	so = ok->seq;
	assert_int_equal(fp_msgtab_expire(t, 1000), 0);
	fp_msg_chunk_done(t, so, 0, 0, 1, 0, 1050);
	mask = fp_msgtab_expire(t, 1150);
	assert_int_equal(mask, 0x5);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 2);
	assert_int_equal(wc[0].wr_id, 11);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(wc[1].wr_id, 10);
	assert_int_equal(wc[1].status, ETIMEDOUT);
	/* Expiring again or flushing its chunks: no second completion. */
	assert_int_equal(fp_msgtab_expire(t, 5000), 0);
	assert_int_equal(fp_msgtab_live(t), 1);
	fp_msg_chunk_done(t, sl, ECANCELED, IBV_WC_WR_FLUSH_ERR, 0, 0, 5001);
	fp_msg_chunk_done(t, sl, ECANCELED, IBV_WC_WR_FLUSH_ERR, 2, 0, 5002);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
	assert_int_equal(fp_msgtab_live(t), 0);
}

static void test_full_and_cancel(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_msg *m[64], *x;
	struct fp_wc wc[64];
	int i;

	for (i = 0; i < 64; i++) {
		m[i] = fp_msg_start(t, (uint64_t)i, FP_OP_WRITE, 1, 1, 1, 0);
		assert_non_null(m[i]);
	}
	errno = 0;
	assert_null(fp_msg_start(t, 99, FP_OP_WRITE, 1, 1, 1, 0));
	assert_int_equal(errno, EAGAIN);
	fp_msg_cancel(t, m[63]);
	x = fp_msg_start(t, 100, FP_OP_WRITE, 1, 1, 1, 0);
	assert_non_null(x);
	/* Posting failed half way: it completes once, with the error. */
	fp_msg_unposted(t, x, 1, EINVAL, 2);
	for (i = 0; i < 63; i++)
		fp_msg_chunk_done(t, m[i]->seq, 0, 0, 0, 0, 2);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 64), 64);
	/* Completions come in the order messages finished. */
	assert_int_equal(wc[0].wr_id, 100);
	assert_int_equal(wc[0].status, EINVAL);
	for (i = 1; i < 64; i++)
		assert_int_equal(wc[i].status, 0);
	assert_int_equal(fp_msgtab_live(t), 0);
	/* The table is usable again after wrapping. */
	for (i = 0; i < 64; i++)
		assert_non_null(fp_msg_start(t, (uint64_t)i, FP_OP_WRITE, 1, 1,
					     1, 0));
}

static void test_recv_length(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_msg *m = fp_msg_start(t, 5, FP_OP_RECV, 100, 2, 1, 0);
	uint64_t s = m->seq;
	struct fp_wc wc[2];

	fp_msg_chunk_done(t, s, 0, 0, 0, 50, 2);
	fp_msg_chunk_done(t, s, 0, 0, 1, 40, 2);	/* 10 bytes short */
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 2), 1);
	assert_int_equal(wc[0].status, EMSGSIZE);
	assert_int_equal(wc[0].op, FP_OP_RECV);
}

static void test_fail_all(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_wc wc[4];

	fp_msg_start(t, 1, FP_OP_RECV, 10, 1, 1, 0);
	fp_msg_start(t, 2, FP_OP_RECV, 10, 1, 1, 0);
	fp_msgtab_fail_all(t, ECONNRESET, 3);
	fp_msgtab_fail_all(t, ECONNRESET, 4);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 2);
	assert_int_equal(wc[0].status, ECONNRESET);
	assert_int_equal(wc[1].status, ECONNRESET);
}

/*
 * Receive deadlines. The table takes the time as an argument (the
 * injectable clock of these tests): post.c gives a receive the deadline it
 * gives a send, now + the group's timeout, and fp_poll() expires it.
 */

/* A receive whose chunks never complete expires once, with ETIMEDOUT. */
static void test_recv_deadline(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_msg *m = fp_msg_start(t, 20, FP_OP_RECV, 100, 2, 100, 1100);
	uint64_t s = m->seq, stale;
	struct fp_wc wc[4];

	m->subs = 0x3;
	assert_int_equal(fp_msgtab_expire(t, 1099), 0);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
	assert_int_equal(fp_msgtab_expire(t, 1100), 0x3);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 1);
	assert_int_equal(wc[0].wr_id, 20);
	assert_int_equal(wc[0].op, FP_OP_RECV);
	assert_int_equal(wc[0].status, ETIMEDOUT);
	assert_int_equal(wc[0].subflow, -1);
	assert_int_equal(wc[0].vendor_status, 0);
	assert_int_equal(wc[0].len, 100);
	/* Never again, however often the deadline is checked. */
	assert_int_equal(fp_msgtab_expire(t, 1200), 0);
	assert_int_equal(fp_msgtab_expire(t, 99999), 0);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
	/* Its slot waits for the chunks still posted. */
	assert_int_equal(fp_msgtab_live(t), 1);
	stale = t->stale;
	/* Late: one chunk's data arrived after all, the other is flushed. */
	assert_null(fp_msg_chunk_done(t, s, 0, 0, 0, 50, 1300));
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
	assert_int_equal(fp_msgtab_live(t), 1);
	assert_null(fp_msg_chunk_done(t, s, ECANCELED, IBV_WC_WR_FLUSH_ERR, 1,
				      0, 1301));
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
	assert_int_equal(fp_msgtab_live(t), 0);
	assert_true(t->stale == stale);
	/* A completion beyond its chunk count is stale, not a completion. */
	assert_null(fp_msg_chunk_done(t, s, ECANCELED, IBV_WC_WR_FLUSH_ERR, 1,
				      0, 1302));
	assert_true(t->stale == stale + 1);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
}

/* Chunks completing just before the deadline: the receive succeeds. */
static void test_recv_just_in_time(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_msg *m = fp_msg_start(t, 21, FP_OP_RECV, 100, 2, 100, 1100);
	uint64_t s = m->seq;
	struct fp_wc wc[4];

	m->subs = 0x6;
	assert_null(fp_msg_chunk_done(t, s, 0, 0, 1, 60, 1098));
	assert_non_null(fp_msg_chunk_done(t, s, 0, 0, 2, 40, 1099));
	/* Checked only after the deadline: it finished in time. */
	assert_int_equal(fp_msgtab_expire(t, 1100), 0);
	assert_int_equal(fp_msgtab_expire(t, 5000), 0);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 1);
	assert_int_equal(wc[0].wr_id, 21);
	assert_int_equal(wc[0].op, FP_OP_RECV);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(wc[0].subflow, -1);
	assert_int_equal(wc[0].len, 100);
	assert_int_equal(fp_msgtab_live(t), 0);
}

/*
 * Expired but not reaped yet when its chunks complete, successfully: still
 * one completion, ETIMEDOUT (the caller was told the deadline passed; what
 * the buffer holds is undefined), and the slot is free after it.
 */
static void test_recv_expired_then_done(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_msg *m = fp_msg_start(t, 22, FP_OP_RECV, 100, 2, 100, 1100);
	uint64_t s = m->seq;
	struct fp_wc wc[4];

	m->subs = 0x1;
	assert_int_equal(fp_msgtab_expire(t, 1101), 0x1);
	assert_null(fp_msg_chunk_done(t, s, 0, 0, 0, 50, 1102));
	assert_null(fp_msg_chunk_done(t, s, 0, 0, 0, 50, 1103));
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 1);
	assert_int_equal(wc[0].wr_id, 22);
	assert_int_equal(wc[0].status, ETIMEDOUT);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
	assert_int_equal(fp_msgtab_live(t), 0);
	/* A peer gone afterwards does not complete it a second time. */
	fp_msgtab_fail_all(t, ECONNRESET, 1200);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
}

/*
 * Receives and sends side by side: only the late ones expire, each once,
 * and the subflow mask names only their QPs; then the peer goes away and
 * only the receive still waiting fails, with ECONNRESET.
 */
static void test_recv_send_mixed(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_msg *r1, *sd, *r2, *r3;
	uint64_t s1, ssd, s2;
	struct fp_wc wc[8];
	int n, i, seen[4] = { 0 };

	r1 = fp_msg_start(t, 0, FP_OP_RECV, 10, 1, 100, 1100);
	r1->subs = 0x1;
	s1 = r1->seq;
	sd = fp_msg_start(t, 1, FP_OP_SEND, 10, 1, 150, 1150);
	sd->subs = 0x2;
	ssd = sd->seq;
	r2 = fp_msg_start(t, 2, FP_OP_RECV, 10, 1, 200, 1200);
	r2->subs = 0x4;
	s2 = r2->seq;
	r3 = fp_msg_start(t, 3, FP_OP_RECV, 10, 1, 900, 1900);
	r3->subs = 0x8;
	fp_msg_chunk_done(t, s2, 0, 0, 2, 10, 1000);
	assert_int_equal(fp_msgtab_expire(t, 1160), 0x3);
	n = fp_msgtab_reap(t, wc, NULL, 8);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		seen[wc[i].wr_id]++;
		assert_int_equal(wc[i].status,
				 wc[i].wr_id == 2 ? 0 : ETIMEDOUT);
	}
	fp_msg_chunk_done(t, s1, ECANCELED, IBV_WC_WR_FLUSH_ERR, 0, 0, 1170);
	fp_msg_chunk_done(t, ssd, ECANCELED, IBV_WC_WR_FLUSH_ERR, 1, 0, 1170);
	assert_int_equal(fp_msgtab_live(t), 1);
	fp_msgtab_fail_all(t, ECONNRESET, 1180);
	assert_int_equal(fp_msgtab_expire(t, 2000), 0);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 8), 1);
	assert_int_equal(wc[0].wr_id, 3);
	assert_int_equal(wc[0].status, ECONNRESET);
	seen[3]++;
	for (i = 0; i < 4; i++)
		assert_int_equal(seen[i], 1);
}

/*
 * Issue 17's sequence: a message expires and is handed out (ETIMEDOUT)
 * while its chunks are still on the wire, then the peer goes away
 * (fp_msgtab_fail_all, as fp_poll calls it on every check from then on),
 * then the chunks are flushed: one completion, never a second with the
 * same wr_id, and the slot is free at the end.
 */
static void test_expired_then_peer_gone(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_msg *m = fp_msg_start(t, 40, FP_OP_WRITE, 100, 2, 100, 1100);
	uint64_t s = m->seq;
	struct fp_wc wc[4];

	m->subs = 0x3;
	assert_int_equal(fp_msgtab_expire(t, 1100), 0x3);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 1);
	assert_int_equal(wc[0].wr_id, 40);
	assert_int_equal(wc[0].status, ETIMEDOUT);
	assert_int_equal(fp_msgtab_live(t), 1);	/* chunks still posted */
	fp_msgtab_fail_all(t, ECONNRESET, 1200);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
	fp_msgtab_fail_all(t, ECONNRESET, 1300);
	assert_int_equal(fp_msgtab_expire(t, 1300), 0);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
	assert_null(fp_msg_chunk_done(t, s, ECANCELED, IBV_WC_WR_FLUSH_ERR, 0,
				      0, 1400));
	fp_msgtab_fail_all(t, ECONNRESET, 1450);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
	assert_null(fp_msg_chunk_done(t, s, ECANCELED, IBV_WC_WR_FLUSH_ERR, 1,
				      0, 1500));
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
	assert_int_equal(fp_msgtab_live(t), 0);
	fp_msgtab_fail_all(t, ECONNRESET, 1600);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
}

/*
 * The same, with the expiry and the peer's departure seen by one check,
 * before the caller reaps: still one completion, and it says ETIMEDOUT
 * (what happened first).
 */
static void test_expired_and_peer_gone_at_once(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_msg *m = fp_msg_start(t, 41, FP_OP_SEND, 10, 1, 100, 1100);
	uint64_t s = m->seq;
	struct fp_wc wc[4];

	m->subs = 0x1;
	assert_int_equal(fp_msgtab_expire(t, 2000), 0x1);
	fp_msgtab_fail_all(t, ECONNRESET, 2000);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 1);
	assert_int_equal(wc[0].wr_id, 41);
	assert_int_equal(wc[0].status, ETIMEDOUT);
	fp_msgtab_fail_all(t, ECONNRESET, 2100);
	assert_null(fp_msg_chunk_done(t, s, ECANCELED, IBV_WC_WR_FLUSH_ERR, 0,
				      0, 2200));
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 0);
	assert_int_equal(fp_msgtab_live(t), 0);
}

/*
 * A message whose chunks all completed before the peer went away, not
 * reaped yet: it succeeded and says so; only the one still waiting fails.
 */
static void test_peer_gone_keeps_success(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_msg *a = fp_msg_start(t, 50, FP_OP_WRITE, 10, 1, 100, 1100);
	uint64_t sa = a->seq;
	struct fp_wc wc[4];

	fp_msg_start(t, 51, FP_OP_RECV, 10, 1, 100, 1100);
	assert_non_null(fp_msg_chunk_done(t, sa, 0, 0, 0, 0, 500));
	fp_msgtab_fail_all(t, ECONNRESET, 600);
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 2);
	assert_int_equal(wc[0].wr_id, 50);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(wc[0].subflow, -1);
	assert_int_equal(wc[1].wr_id, 51);
	assert_int_equal(wc[1].status, ECONNRESET);
}

/*
 * A message freed through the done queue does not hold back the oldest
 * sequence the deadline checks walk from, while the ones after it are
 * handed out by fp_poll()'s fast way (fp_msg_chunk_fast, fp_msg_deliver):
 * the next check starts at the first live one, not at the freed one.
 */
static void test_oldest_moves_on(void **state)
{
	struct fp_msgtab *t = *state;
	struct fp_wc wc[4];
	struct fp_msg *a, *m;
	uint64_t i, sa;

	a = fp_msg_start(t, 1, FP_OP_WRITE, 10, 1, 0, 0);
	assert_non_null(a);
	sa = a->seq;
	assert_non_null(fp_msg_chunk_done(t, sa, EIO, 0, 0, 0, 0));
	for (i = 0; i < 40; i++) {
		m = fp_msg_start(t, 2 + i, FP_OP_WRITE, 10, 1, 0, 0);
		assert_non_null(m);
		/* Its completion comes before the failed one is reaped. */
		assert_ptr_equal(fp_msg_chunk_fast(t, m->seq, 0), m);
		fp_msg_deliver(t, m, wc);
		assert_int_equal(wc[0].wr_id, 2 + i);
	}
	assert_int_equal(fp_msgtab_reap(t, wc, NULL, 4), 1);
	assert_int_equal(wc[0].wr_id, 1);
	assert_int_equal(wc[0].status, EIO);
	assert_int_equal(fp_msgtab_live(t), 0);
	m = fp_msg_start(t, 50, FP_OP_WRITE, 10, 1, 0, 0);
	assert_non_null(m);
	assert_int_equal(fp_msgtab_expire(t, 1000), 0);
	assert_true(t->oldest == m->seq);
}

/* The wr_id of a chunk carries its sequence number, its subflow and its queue. */
static void test_wrid(void **state)
{
	uint64_t seqs[] = { 1, 2, 0x7fffffffull, 1ull << 40, FP_WRID_SEQ };
	unsigned int i, sub;

	(void)state;
	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		for (sub = 0; sub < FP_MAX_SUBFLOWS; sub++) {
			uint64_t r = fp_wrid(seqs[i], true, sub);
			uint64_t s = fp_wrid(seqs[i], false, sub);

			assert_true(fp_wrid_seq(r) == seqs[i]);
			assert_true(fp_wrid_seq(s) == seqs[i]);
			assert_true(fp_wrid_recv(r));
			assert_false(fp_wrid_recv(s));
			assert_int_equal(FP_WRID_SUB(r), sub);
			assert_int_equal(FP_WRID_SUB(s), sub);
		}
	}
}

static void test_wc_errno(void **state)
{
	(void)state;
	assert_int_equal(fp_wc_errno(IBV_WC_SUCCESS), 0);
	assert_int_equal(fp_wc_errno(IBV_WC_RETRY_EXC_ERR), ETIMEDOUT);
	assert_int_equal(fp_wc_errno(IBV_WC_WR_FLUSH_ERR), ECANCELED);
	assert_int_equal(fp_wc_errno(IBV_WC_REM_ACCESS_ERR), EACCES);
	assert_int_equal(fp_wc_errno(IBV_WC_LOC_LEN_ERR), EMSGSIZE);
	assert_int_equal(fp_wc_errno(IBV_WC_GENERAL_ERR), EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_double_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_and_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_just_in_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_expired_then_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_send_mixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_then_peer_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_and_peer_gone_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_gone_keeps_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oldest_moves_on, setup, teardown),
		cmocka_unit_test(test_wrid),
		cmocka_unit_test(test_wc_errno),
	};

	return cmocka_run_group_tests_name("lib_msgtab", tests, NULL, NULL);
}
