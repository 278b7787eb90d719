// SPDX-License-Identifier: GPL-2.0
/*
 * plan_test.c - KUnit: plan table lookup precedence, capacity, duplicates,
 * subflow choice, replacement seen whole by concurrent readers, and the
 * per-path counters.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>

#include <net/ipv6.h>

#include "counters.h"
#include "plan.h"

#define A(x)	htonl(0xc6120000 | (x))
/* The tables hold IPv4 as IPv4-mapped IPv6 addresses. */
#define M(x)	(&FP_ADDR4(A(x)))

static struct fp_entry ent(__be32 l, __be32 r, u32 dqpn, unsigned int nsub,
			   u16 sport0)
{
	struct fp_entry e = { .local = FP_ADDR4(l), .remote = FP_ADDR4(r),
			      .dqpn = dqpn };
	unsigned int i;

	e.nsub = nsub;
	for (i = 0; i < nsub; i++) {
		e.sub[i].flow_label = i + 1;
		e.sub[i].sport = sport0 + i;
		e.sub[i].weight = FLOWPLAN_WEIGHT_ONE / nsub;
	}
	return e;
}

static struct fp_plan *plan_new(struct kunit *test, unsigned int cap, u64 gen)
{
	struct fp_plan *plan = fp_plan_alloc(cap, gen, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, plan);
	return plan;
}

struct lookup_case {
	const char *name;
	__be32 local, remote;
	u32 dqpn;
	u16 sport0;		/* first port of the entry found, 0: none */
};

/* Table: (1,5,any) 100, (1,5,77) 200, (1,6,any) 300, (2,5,88) 400 */
static const struct lookup_case lookup_cases[] = {
	{ "exact dqpn wins", A(1), A(5), 77, 200 },
	{ "other dqpn takes the wildcard", A(1), A(5), 78, 100 },
	{ "dqpn 0 takes the wildcard", A(1), A(5), 0, 100 },
	{ "pair with only a wildcard", A(1), A(6), 12345, 300 },
	{ "pair with only an exact entry, matching", A(2), A(5), 88, 400 },
	{ "pair with only an exact entry, other dqpn", A(2), A(5), 89, 0 },
	{ "reversed pair", A(5), A(1), 77, 0 },
	{ "unknown pair", A(3), A(4), 0, 0 },
};

static void lookup_case_desc(const struct lookup_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(lookup, lookup_cases, lookup_case_desc);

static void plan_lookup_test(struct kunit *test)
{
	const struct lookup_case *c = test->param_value;
	struct fp_plan *plan = plan_new(test, 4, 1);
	const struct fp_entry *e;
	struct fp_entry x;

	x = ent(A(1), A(5), 0, 1, 100);
	KUNIT_ASSERT_EQ(test, fp_plan_add(plan, &x), 0);
	x = ent(A(1), A(5), 77, 1, 200);
	KUNIT_ASSERT_EQ(test, fp_plan_add(plan, &x), 0);
	x = ent(A(1), A(6), 0, 1, 300);
	KUNIT_ASSERT_EQ(test, fp_plan_add(plan, &x), 0);
	x = ent(A(2), A(5), 88, 1, 400);
	KUNIT_ASSERT_EQ(test, fp_plan_add(plan, &x), 0);

	e = fp_plan_lookup(plan, &FP_ADDR4(c->local), &FP_ADDR4(c->remote),
			   c->dqpn);
	if (!c->sport0) {
		KUNIT_EXPECT_NULL(test, e);
	} else {
		KUNIT_EXPECT_NOT_NULL(test, e);
		if (e)
			KUNIT_EXPECT_EQ(test, e->sub[0].sport, c->sport0);
	}
	fp_plan_free(plan);
}

static void plan_limits_test(struct kunit *test)
{
	struct fp_plan *plan = plan_new(test, 2, 1);
	struct fp_entry x;

	KUNIT_EXPECT_NULL(test, fp_plan_lookup(NULL, M(1), M(2), 0));
	KUNIT_EXPECT_NULL(test, fp_plan_lookup(plan, M(1), M(2), 0));
	x = ent(A(1), A(2), 0, 2, 10);
	KUNIT_EXPECT_EQ(test, fp_plan_add(plan, &x), 0);
	KUNIT_EXPECT_EQ(test, fp_plan_add(plan, &x), -EEXIST);
	x.dqpn = 5;
	KUNIT_EXPECT_EQ(test, fp_plan_add(plan, &x), 0);
	x.dqpn = 6;
	KUNIT_EXPECT_EQ(test, fp_plan_add(plan, &x), -ENOSPC);
	KUNIT_EXPECT_EQ(test, plan->n, 2U);
	fp_plan_free(plan);
	/*
	 * More entries than an allocation may hold (kvmalloc refuses above
	 * INT_MAX bytes; __GFP_NOWARN: quietly): no plan, nothing written.
	 */
	KUNIT_EXPECT_GT(test, struct_size(plan, entries, 1U << 24), (size_t)INT_MAX);
	KUNIT_EXPECT_NULL(test, fp_plan_alloc(1U << 24, 1, GFP_KERNEL | __GFP_NOWARN));
}

/* Many entries, many hash collisions: every one is found, nothing else. */
static void plan_many_test(struct kunit *test)
{
	const unsigned int n = 4096;
	struct fp_plan *plan = plan_new(test, n, 1);
	const struct fp_entry *e;
	struct fp_entry x;
	unsigned int i;

	for (i = 0; i < n; i++) {
		x = ent(A(i % 64), A(64 + i / 64), i % 3 ? i : 0, 1, i);
		KUNIT_ASSERT_EQ(test, fp_plan_add(plan, &x), 0);
	}
	for (i = 0; i < n; i++) {
		e = fp_plan_lookup(plan, M(i % 64), M(64 + i / 64),
				   i % 3 ? i : 0);
		KUNIT_ASSERT_NOT_NULL(test, e);
		KUNIT_EXPECT_EQ(test, e->sub[0].sport, (u16)i);
	}
	KUNIT_EXPECT_NULL(test, fp_plan_lookup(plan, M(64), M(0), 0));
	fp_plan_free(plan);
}

static void plan_pick_test(struct kunit *test)
{
	struct fp_entry e = ent(A(1), A(2), 0, 4, 0xc001);
	struct fp_entry one = ent(A(1), A(2), 0, 1, 0xc00a);

	/* A port of the plan is kept: the sender already pins. */
	KUNIT_EXPECT_EQ(test, fp_entry_pick_sport(&e, 7, 0xc003), 0xc003);
	/* Others go to subflow dqpn % n. */
	KUNIT_EXPECT_EQ(test, fp_entry_pick_sport(&e, 7, 0xe123), 0xc004);
	KUNIT_EXPECT_EQ(test, fp_entry_pick_sport(&e, 8, 0xe123), 0xc001);
	KUNIT_EXPECT_EQ(test, fp_entry_pick_sport(&e, 0x123455, 0xe123),
			0xc002);
	KUNIT_EXPECT_EQ(test, fp_entry_pick_sport(&one, 99, 0xe123), 0xc00a);
	KUNIT_EXPECT_EQ(test, fp_entry_pick_sport(&one, 99, 0xc00a), 0xc00a);
	/* The unused slots after the last subflow (port 0) match nothing. */
	KUNIT_EXPECT_EQ(test, fp_entry_pick_sport(&e, 7, 0), 0xc004);
	KUNIT_EXPECT_EQ(test, fp_entry_pick_sport(&one, 99, 0), 0xc00a);
}

/* The division-free dqpn % n, for every n and QP numbers to 2^24 - 1. */
static void plan_subflow_of_test(struct kunit *test)
{
	unsigned int n;
	u32 q;

	for (n = 1; n <= FLOWPLAN_MAX_SUBFLOWS; n++) {
		for (q = 0; q <= FLOWPLAN_DQPN_MAX; q += q < 4096 ? 1 : 4093)
			KUNIT_ASSERT_EQ_MSG(test, fp_subflow_of(q, n), q % n,
					    "%u %% %u", q, n);
		KUNIT_EXPECT_EQ(test, fp_subflow_of(FLOWPLAN_DQPN_MAX, n),
				FLOWPLAN_DQPN_MAX % n);
	}
}

/*
 * Plan g maps every pair to port g. A reader that looks up all pairs
 * through one rcu_dereference() must find one g throughout, however often
 * a writer swaps plans under it.
 */
#define SWAP_PAIRS	64

struct swap_ctx {
	struct fp_plan __rcu *plan;
	atomic_t stop;
	unsigned long reads;
	unsigned long mixed;
	struct completion done;
};

static int swap_reader(void *arg)
{
	struct swap_ctx *s = arg;
	const struct fp_plan *plan;
	const struct fp_entry *e;
	unsigned int i;
	u16 want;

	while (!atomic_read(&s->stop)) {
		rcu_read_lock();
		plan = rcu_dereference(s->plan);
		want = plan->generation;
		for (i = 0; i < SWAP_PAIRS; i++) {
			e = fp_plan_lookup(plan, M(1), M(100 + i), 9);
			if (!e || e->sub[0].sport != want)
				s->mixed++;
		}
		rcu_read_unlock();
		s->reads++;
		cond_resched();
	}
	complete(&s->done);
	return 0;
}

static struct fp_plan *swap_plan(struct kunit *test, u64 g)
{
	struct fp_plan *plan = plan_new(test, SWAP_PAIRS, g);
	struct fp_entry x;
	unsigned int i;

	for (i = 0; i < SWAP_PAIRS; i++) {
		x = ent(A(1), A(100 + i), 0, 1, g);
		KUNIT_EXPECT_EQ(test, fp_plan_add(plan, &x), 0);
	}
	return plan;
}

static void plan_replace_test(struct kunit *test)
{
	struct swap_ctx *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct fp_plan *old;
	struct task_struct *t;
	u64 g;

	KUNIT_ASSERT_NOT_NULL(test, s);
	init_completion(&s->done);
	RCU_INIT_POINTER(s->plan, swap_plan(test, 1));
	t = kthread_run(swap_reader, s, "fp_swap_reader");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	for (g = 2; g < 300; g++) {
		old = rcu_replace_pointer(s->plan, swap_plan(test, g), true);
		synchronize_rcu();
		/* Poison what a late reader would see. */
		memset(old->entries, 0, sizeof(old->entries[0]) * old->n);
		fp_plan_free(old);
		if (g % 16 == 0)
			usleep_range(100, 200);
	}
	atomic_set(&s->stop, 1);
	wait_for_completion(&s->done);
	fp_plan_free(rcu_dereference_protected(s->plan, true));
	KUNIT_EXPECT_GT(test, s->reads, 0UL);
	KUNIT_EXPECT_EQ(test, s->mixed, 0UL);
}

static void counters_test(struct kunit *test)
{
	struct fp_counters *c = fp_counters_alloc(5);	/* rounds up to 8 */
	struct fp_counter_val v;
	unsigned int pos = 0, n = 0, i;
	u64 pk = 0, by = 0, rw = 0;

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_EQ(test, c->mask, 7U);
	fp_counters_add(c, M(1), 0xc001, 100, false);
	fp_counters_add(c, M(1), 0xc001, 50, true);
	fp_counters_add(c, M(1), 0xc002, 10, false);
	fp_counters_add(c, M(2), 0xc001, 1, false);
	while (fp_counters_read(c, &pos, &v)) {
		n++;
		if (ipv6_addr_equal(&v.daddr, M(1)) && v.sport == 0xc001) {
			KUNIT_EXPECT_EQ(test, v.packets, 2ULL);
			KUNIT_EXPECT_EQ(test, v.bytes, 150ULL);
			KUNIT_EXPECT_EQ(test, v.rewritten, 1ULL);
		}
	}
	KUNIT_EXPECT_EQ(test, n, 3U);

	/* Full: ten more paths, eight slots. */
	for (i = 0; i < 10; i++)
		fp_counters_add(c, M(10 + i), 0xd000, 1000, false);
	KUNIT_EXPECT_EQ(test, atomic64_read(&c->untracked), 5LL);
	pos = 0;
	n = 0;
	while (fp_counters_read(c, &pos, &v)) {
		n++;
		pk += v.packets;
		by += v.bytes;
		rw += v.rewritten;
	}
	KUNIT_EXPECT_EQ(test, n, 8U);
	KUNIT_EXPECT_EQ(test, pk, 4ULL + 5);
	KUNIT_EXPECT_EQ(test, by, 161ULL + 5000);
	KUNIT_EXPECT_EQ(test, rw, 1ULL);
	fp_counters_free(c);
}

/*
 * Linear probing gives up after 16 slots: of 17 paths whose probing starts
 * at the same slot, 16 are counted and the 17th is untracked. Where a
 * path's probing starts is learnt from the table itself while it is empty
 * (the one slot it takes, cleared again), so this holds for any hash.
 */
static void counters_probe_test(struct kunit *test)
{
	struct fp_counters *c = fp_counters_alloc(1024);
	unsigned int pos, n = 0, i, *load, *home, target = UINT_MAX;
	struct fp_counter_val v;
	u16 same[17];
	u32 sp;

	KUNIT_ASSERT_NOT_NULL(test, c);
	load = kunit_kcalloc(test, c->mask + 1, sizeof(*load), GFP_KERNEL);
	home = kunit_kcalloc(test, 65536, sizeof(*home), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, load);
	KUNIT_ASSERT_NOT_NULL(test, home);
	for (sp = 0; sp < 65536 && target == UINT_MAX; sp++) {
		fp_counters_add(c, M(1), sp, 1, false);
		pos = 0;
		KUNIT_ASSERT_TRUE(test, fp_counters_read(c, &pos, &v));
		KUNIT_ASSERT_EQ(test, v.sport, (u16)sp);
		pos--;			/* the read steps past the slot */
		memset(&c->slot[pos], 0, sizeof(c->slot[pos]));
		home[sp] = pos;
		if (++load[pos] == ARRAY_SIZE(same))
			target = pos;
	}
	KUNIT_ASSERT_NE_MSG(test, target, UINT_MAX, "no slot is home to 17 ports");
	for (i = 0; i < sp && n < ARRAY_SIZE(same); i++)
		if (home[i] == target)
			same[n++] = i;
	KUNIT_ASSERT_EQ(test, n, (unsigned int)ARRAY_SIZE(same));
	for (i = 0; i < n; i++)
		fp_counters_add(c, M(1), same[i], 1, false);
	KUNIT_EXPECT_EQ(test, atomic64_read(&c->untracked), 1LL);
	for (pos = 0, n = 0; fp_counters_read(c, &pos, &v);)
		n++;
	KUNIT_EXPECT_EQ(test, n, 16U);
	fp_counters_free(c);
}

static struct kunit_case plan_test_cases[] = {
	KUNIT_CASE_PARAM(plan_lookup_test, lookup_gen_params),
	KUNIT_CASE(plan_limits_test),
	KUNIT_CASE(plan_many_test),
	KUNIT_CASE(plan_pick_test),
	KUNIT_CASE(plan_subflow_of_test),
	KUNIT_CASE(plan_replace_test),
	KUNIT_CASE(counters_test),
	KUNIT_CASE(counters_probe_test),
	{}
};

static struct kunit_suite plan_test_suite = {
	.name = "flowplan_plan",
	.test_cases = plan_test_cases,
};

kunit_test_suite(plan_test_suite);
