// SPDX-License-Identifier: MIT
/*
 * test_cluster_lease - the planner lease's decisions (daemon/cluster/
 * lease.h) driven through the interleavings the bus can produce: a bucket
 * is simulated here as one revision-checked key (a write naming a stale
 * revision is refused, as JetStream refuses it), and two or three
 * planners act on their own clocks. Asserted: one holder at a time, the
 * term grows with every takeover and never below the terms seen in the
 * shares, a paused holder stops acting before anyone can take over, and
 * a holder whose key was overwritten knows it lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lease.h"

#define MS	1000000ull
#define TTL	(3000 * MS)

/* The key planner.lease of a bucket: its revision and value. */
struct key {
	uint64_t rev;		/* 0: absent */
	struct fpc_lease_val val;
	uint64_t next_rev;	/* the stream's sequence */
};

/* A write naming revision @expect (0: the key must be absent). */
static bool key_write(struct key *k, uint64_t expect, const struct fpc_lease_val *v,
		      uint64_t *rev)
{
	if (expect != k->rev)
		return false;
	k->rev = ++k->next_rev;
	k->val = *v;
	*rev = k->rev;
	return true;
}

static void key_read(const struct key *k, struct fpc_lease *l, uint64_t now)
{
	fpc_lease_observe(l, now, k->rev, k->rev ? &k->val : NULL);
}

/*
 * One round of a planner as planner.c's lease timer runs it: the holder
 * renews when due, anyone else reads the key and acts on what it says.
 */
static enum fpc_lease_action step(struct key *k, struct fpc_lease *l, uint64_t now,
				  uint32_t min_term)
{
	enum fpc_lease_action a;
	struct fpc_lease_val v;
	uint64_t expect, rev;

	if (!l->held)
		key_read(k, l, now);
	a = fpc_lease_next(l, now);
	if (a == FPC_LEASE_WAIT)
		return a;
	if (a == FPC_LEASE_RENEW && !fpc_lease_renew_due(l, now))
		return a;
	fpc_lease_value(l, a, min_term, &v, &expect);
	if (key_write(k, expect, &v, &rev))
		fpc_lease_won(l, now, rev, &v);
	else
		fpc_lease_lost(l);
	return a;
}

static void test_first_creates_second_waits(void **state)
{
	struct key k = { 0 };
	struct fpc_lease a, b;

	(void)state;
	fpc_lease_init(&a, "pa", TTL);
	fpc_lease_init(&b, "pb", TTL);
	assert_int_equal(fpc_lease_next(&a, 0), FPC_LEASE_READ);
	assert_int_equal(step(&k, &a, 0, 0), FPC_LEASE_CREATE);
	assert_true(fpc_lease_active(&a, 0, 0));
	assert_int_equal(a.term, 1);
	assert_string_equal(k.val.holder, "pa");
	assert_int_equal(k.val.ttl_ms, 3000);
	/* b reads a fresh lease and waits, however often it looks */
	assert_int_equal(step(&k, &b, 10 * MS, 0), FPC_LEASE_WAIT);
	assert_int_equal(step(&k, &b, 2000 * MS, 0), FPC_LEASE_WAIT);
	assert_false(fpc_lease_active(&b, 2000 * MS, 0));
}

static void test_race_to_create_one_wins(void **state)
{
	struct key k = { 0 };
	struct fpc_lease a, b;
	struct fpc_lease_val va, vb;
	uint64_t ea, eb, rev;

	(void)state;
	fpc_lease_init(&a, "pa", TTL);
	fpc_lease_init(&b, "pb", TTL);
	key_read(&k, &a, 0);
	key_read(&k, &b, 0);
	assert_int_equal(fpc_lease_next(&a, 0), FPC_LEASE_CREATE);
	assert_int_equal(fpc_lease_next(&b, 0), FPC_LEASE_CREATE);
	fpc_lease_value(&a, FPC_LEASE_CREATE, 0, &va, &ea);
	fpc_lease_value(&b, FPC_LEASE_CREATE, 0, &vb, &eb);
	assert_true(key_write(&k, ea, &va, &rev));
	fpc_lease_won(&a, 0, rev, &va);
	assert_false(key_write(&k, eb, &vb, &rev));
	fpc_lease_lost(&b);
	assert_true(fpc_lease_active(&a, 1, 0));
	assert_false(fpc_lease_active(&b, 1, 0));
	/* the loser reads again and waits for the winner */
	assert_int_equal(step(&k, &b, 1 * MS, 0), FPC_LEASE_WAIT);
}

static void test_renewals_keep_it(void **state)
{
	struct key k = { 0 };
	struct fpc_lease a, b;
	uint64_t t;

	(void)state;
	fpc_lease_init(&a, "pa", TTL);
	fpc_lease_init(&b, "pb", TTL);
	step(&k, &a, 0, 0);
	/* a renews every third of the ttl; b never sees one revision for a ttl */
	for (t = 100 * MS; t < 60000 * MS; t += 100 * MS) {
		step(&k, &a, t, 0);
		assert_true(fpc_lease_active(&a, t, 0));
		assert_int_equal(step(&k, &b, t, 0), FPC_LEASE_WAIT);
	}
	assert_int_equal(a.term, 1);
	assert_int_equal(k.val.term, 1);
	assert_false(fpc_lease_renew_due(&a, a.renewed_at + TTL / 3 - 1));
	assert_true(fpc_lease_renew_due(&a, a.renewed_at + TTL / 3));
}

static void test_takeover_after_ttl_next_term(void **state)
{
	struct key k = { 0 };
	struct fpc_lease a, b;
	uint64_t t, stop = 1000 * MS, took = 0;

	(void)state;
	fpc_lease_init(&a, "pa", TTL);
	fpc_lease_init(&b, "pb", TTL);
	step(&k, &a, 0, 0);
	for (t = 0; t <= 10000 * MS && !took; t += 50 * MS) {
		if (t <= stop)
			step(&k, &a, t, 0);	/* then a stops (killed) */
		if (step(&k, &b, t, 0) == FPC_LEASE_TAKE)
			took = t;
		/* a never acts past its expiry: at most one active at any t */
		assert_false(fpc_lease_active(&a, t, 0) && fpc_lease_active(&b, t, 0));
	}
	assert_true(took);
	/* not before a ttl passed since b first saw a's last revision */
	assert_true(took >= a.renewed_at + TTL);
	assert_true(fpc_lease_active(&b, took, 0));
	assert_false(fpc_lease_active(&a, took, 0));
	assert_int_equal(b.term, 2);
	assert_string_equal(k.val.holder, "pb");
}

static void test_paused_holder_learns_it_lost(void **state)
{
	struct key k = { 0 };
	struct fpc_lease a, b;
	struct fpc_lease_val v;
	uint64_t expect, rev;

	(void)state;
	fpc_lease_init(&a, "pa", TTL);
	fpc_lease_init(&b, "pb", TTL);
	step(&k, &a, 0, 0);
	step(&k, &b, 0, 0);
	/* a pauses (stopped, swapped out) past its ttl; b takes over */
	assert_int_equal(step(&k, &b, TTL, 0), FPC_LEASE_TAKE);
	assert_false(fpc_lease_active(&a, TTL, 0));
	/* a wakes up and renews at the revision it wrote: refused */
	assert_int_equal(fpc_lease_next(&a, TTL + MS), FPC_LEASE_RENEW);
	fpc_lease_value(&a, FPC_LEASE_RENEW, 0, &v, &expect);
	assert_false(key_write(&k, expect, &v, &rev));
	fpc_lease_lost(&a);
	assert_false(fpc_lease_active(&a, TTL + MS, 0));
	/* reading shows b's revision: a waits, whatever it held before */
	assert_int_equal(step(&k, &a, TTL + 2 * MS, 0), FPC_LEASE_WAIT);
	assert_true(fpc_lease_active(&b, TTL + 2 * MS, 0));
}

static void test_observing_a_newer_revision_drops_it(void **state)
{
	struct fpc_lease a;
	struct fpc_lease_val v = { "pa", 1, 3000 }, other = { "pb", 2, 3000 };

	(void)state;
	fpc_lease_init(&a, "pa", TTL);
	fpc_lease_won(&a, 0, 5, &v);
	assert_true(fpc_lease_active(&a, MS, 0));
	fpc_lease_observe(&a, MS, 5, &v);
	assert_true(fpc_lease_active(&a, MS, 0));
	fpc_lease_observe(&a, 2 * MS, 6, &other);
	assert_false(fpc_lease_active(&a, 2 * MS, 0));
	assert_int_equal(fpc_lease_next(&a, 2 * MS), FPC_LEASE_WAIT);
	/* the key vanishing (a purged bucket): nobody holds it, create it */
	fpc_lease_observe(&a, 3 * MS, 0, NULL);
	assert_int_equal(fpc_lease_next(&a, 3 * MS), FPC_LEASE_CREATE);
}

static void test_margin_and_expiry(void **state)
{
	struct fpc_lease a;
	struct fpc_lease_val v = { "pa", 1, 3000 };

	(void)state;
	fpc_lease_init(&a, "pa", TTL);
	fpc_lease_won(&a, 1000 * MS, 1, &v);
	assert_true(fpc_lease_active(&a, 1000 * MS + TTL - 1, 0));
	assert_false(fpc_lease_active(&a, 1000 * MS + TTL, 0));
	assert_false(fpc_lease_active(&a, 1000 * MS + TTL - 500 * MS, 500 * MS));
	assert_true(fpc_lease_active(&a, 1000 * MS + TTL - 501 * MS, 500 * MS));
}

static void test_longer_holder_ttl_wins(void **state)
{
	struct fpc_lease b;
	struct fpc_lease_val v = { "pa", 4, 10000 };	/* the holder's ttl: 10 s */

	(void)state;
	fpc_lease_init(&b, "pb", TTL);
	fpc_lease_observe(&b, 0, 7, &v);
	assert_int_equal(fpc_lease_next(&b, TTL), FPC_LEASE_WAIT);
	assert_int_equal(fpc_lease_next(&b, 9999 * MS), FPC_LEASE_WAIT);
	assert_int_equal(fpc_lease_next(&b, 10000 * MS), FPC_LEASE_TAKE);
}

static void test_terms(void **state)
{
	struct fpc_lease a;
	struct fpc_lease_val v, held = { "pb", 4, 3000 };
	uint64_t expect;

	(void)state;
	fpc_lease_init(&a, "pa", TTL);
	/* a new bucket, but shares of term 9 in it: the term starts above */
	fpc_lease_observe(&a, 0, 0, NULL);
	fpc_lease_value(&a, FPC_LEASE_CREATE, 10, &v, &expect);
	assert_int_equal(v.term, 10);
	assert_int_equal(expect, 0);
	fpc_lease_value(&a, FPC_LEASE_CREATE, 0, &v, &expect);
	assert_int_equal(v.term, 1);
	/* taking over: the next term, or above the shares' */
	fpc_lease_observe(&a, 0, 12, &held);
	fpc_lease_value(&a, FPC_LEASE_TAKE, 0, &v, &expect);
	assert_int_equal(v.term, 5);
	assert_int_equal(expect, 12);
	fpc_lease_value(&a, FPC_LEASE_TAKE, 8, &v, &expect);
	assert_int_equal(v.term, 8);
	assert_string_equal(v.holder, "pa");
	/* renewing keeps the term held */
	fpc_lease_won(&a, 0, 13, &v);
	fpc_lease_value(&a, FPC_LEASE_RENEW, 20, &v, &expect);
	assert_int_equal(v.term, 8);
	assert_int_equal(expect, 13);
}

/*
 * Three planners, each holder killed 5 s into its term until one is
 * left: the terms strictly increase and no two are active at once.
 */
static void test_three_planners_in_turn(void **state)
{
	struct key k = { 0 };
	struct fpc_lease p[3];
	bool dead[3] = { false, false, false };
	uint32_t last_term = 0;
	uint64_t t, since = 0;
	int holders_seen = 0, i;

	(void)state;
	fpc_lease_init(&p[0], "p0", TTL);
	fpc_lease_init(&p[1], "p1", TTL);
	fpc_lease_init(&p[2], "p2", TTL);
	for (t = 0; t < 60000 * MS; t += 70 * MS) {
		int active = 0;

		for (i = 0; i < 3; i++) {
			if (dead[i])
				continue;
			step(&k, &p[i], t, 0);
		}
		for (i = 0; i < 3; i++) {
			if (dead[i] || !fpc_lease_active(&p[i], t, 0))
				continue;
			active++;
			if (p[i].term != last_term) {
				assert_true(p[i].term > last_term);
				last_term = p[i].term;
				holders_seen++;
				since = t;
			}
			if (holders_seen < 3 && t - since > 5000 * MS)
				dead[i] = true;
		}
		assert_true(active <= 1);
	}
	assert_int_equal(holders_seen, 3);
	assert_int_equal(last_term, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_creates_second_waits),
		cmocka_unit_test(test_race_to_create_one_wins),
		cmocka_unit_test(test_renewals_keep_it),
		cmocka_unit_test(test_takeover_after_ttl_next_term),
		cmocka_unit_test(test_paused_holder_learns_it_lost),
		cmocka_unit_test(test_observing_a_newer_revision_drops_it),
		cmocka_unit_test(test_margin_and_expiry),
		cmocka_unit_test(test_longer_holder_ttl_wins),
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_three_planners_in_turn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
