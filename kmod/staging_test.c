// SPDX-License-Identifier: GPL-2.0
/*
 * staging_test.c - KUnit: plans in several SET_PLAN parts, staged per
 * socket: sequences of parts from several sockets, DEL_PLAN and closed
 * sockets between them, and what each step returns. A last part never
 * installs a plan with parts missing.
 */
#include <kunit/test.h>
#include <linux/skbuff.h>

#include "policy.h"
#include "staging.h"

#define A(x)	htonl(0xc6120000 | (x))
#define NONE	(-1)

enum step_op { PART, DROP, DROP_ALL, END };

struct step {
	enum step_op op;
	u32 portid;
	int part;		/* NONE: no FLOWPLAN_A_PART */
	u64 gen;
	bool more;
	int nentries;		/* NONE: no FLOWPLAN_A_NENTRIES */
	unsigned int first, n;	/* entries first .. first + n - 1 */
	int ret;		/* 0, or the error */
	int plan;		/* entries of the plan returned; NONE: staged */
};

#define P(port, pt, g, m, ne, f, cnt, r, pl) \
	{ PART, port, pt, g, m, ne, f, cnt, r, pl }
#define MORE(port, pt, f, cnt) P(port, pt, 5, true, NONE, f, cnt, 0, NONE)
#define LAST(port, pt, ne, f, cnt, pl) P(port, pt, 5, false, ne, f, cnt, 0, pl)
#define FAIL(port, pt, m, ne, f, cnt, r) P(port, pt, 5, m, ne, f, cnt, r, NONE)

struct seq_case {
	const char *name;
	unsigned int max;
	struct step steps[8];
};

static const struct seq_case seq_cases[] = {
	{ "one message, no part attribute", 8, {
		LAST(1, NONE, NONE, 0, 3, 3), { END } } },
	{ "one message with its count", 8, {
		LAST(1, 0, 3, 0, 3, 3), { END } } },
	{ "one message, wrong count", 8, {
		FAIL(1, 0, false, 4, 0, 3, -EINVAL), { END } } },
	{ "two parts", 8, {
		MORE(1, 0, 0, 3), LAST(1, 1, 5, 3, 2, 5), { END } } },
	{ "first part without part attribute", 8, {
		MORE(1, NONE, 0, 3), LAST(1, 1, 5, 3, 2, 5), { END } } },
	{ "three parts, count announced early", 8, {
		P(1, 0, 5, true, 6, 0, 2, 0, NONE), MORE(1, 1, 2, 2),
		LAST(1, 2, 6, 4, 2, 6), { END } } },
	{ "another socket's whole plan between parts", 8, {
		MORE(1, 0, 0, 3), LAST(2, NONE, NONE, 10, 1, 1),
		LAST(1, 1, 5, 3, 2, 5), { END } } },
	{ "two sockets' parts interleaved", 8, {
		MORE(1, 0, 0, 3), MORE(2, 0, 10, 2), LAST(1, 1, 5, 3, 2, 5),
		LAST(2, 1, 3, 12, 1, 3), { END } } },
	{ "DEL_PLAN between parts", 8, {
		MORE(1, 0, 0, 3), { DROP_ALL },
		FAIL(1, 1, false, 5, 3, 2, -EINVAL), { END } } },
	{ "socket closed between parts", 8, {
		MORE(1, 0, 0, 3), MORE(2, 0, 10, 1), { DROP, 1 },
		FAIL(1, 1, false, 5, 3, 2, -EINVAL), LAST(2, 1, 2, 11, 1, 2),
		{ END } } },
	{ "last part without a count", 8, {
		MORE(1, 0, 0, 3), FAIL(1, 1, false, NONE, 3, 2, -EINVAL),
		FAIL(1, 2, false, 5, 5, 0, -EINVAL), { END } } },
	{ "last part with a wrong count", 8, {
		MORE(1, 0, 0, 3), FAIL(1, 1, false, 6, 3, 2, -EINVAL),
		{ END } } },
	{ "more entries than announced", 8, {
		P(1, 0, 5, true, 3, 0, 3, 0, NONE),
		FAIL(1, 1, true, NONE, 3, 1, -EINVAL), { END } } },
	{ "count changed between parts", 8, {
		P(1, 0, 5, true, 6, 0, 3, 0, NONE),
		FAIL(1, 1, true, 7, 3, 1, -EINVAL), { END } } },
	{ "skipped index", 8, {
		MORE(1, 0, 0, 3), FAIL(1, 2, false, 5, 3, 2, -EINVAL),
		FAIL(1, 1, false, 5, 3, 2, -EINVAL), { END } } },
	{ "repeated index", 8, {
		MORE(1, 0, 0, 3), MORE(1, 1, 3, 1),
		FAIL(1, 1, false, 5, 4, 1, -EINVAL), { END } } },
	{ "part without part 0", 8, {
		FAIL(1, 1, false, 2, 0, 2, -EINVAL), { END } } },
	{ "part 0 starts over", 8, {
		MORE(1, 0, 0, 3), MORE(1, 0, 10, 2), LAST(1, 1, 4, 12, 2, 4),
		{ END } } },
	{ "generation changed between parts", 8, {
		MORE(1, 0, 0, 3), P(1, 1, 6, false, 5, 3, 2, -EINVAL, NONE),
		{ END } } },
	{ "parts over max_entries", 4, {
		MORE(1, 0, 0, 3), FAIL(1, 1, false, 5, 3, 2, -E2BIG),
		{ END } } },
	{ "other sockets' parts fill max_entries", 4, {
		MORE(1, 0, 0, 3), FAIL(2, 0, true, NONE, 10, 2, -EBUSY),
		LAST(1, 1, 4, 3, 1, 4), MORE(2, 0, 10, 2), { END } } },
	{ "an empty part when other sockets' parts fill max_entries", 4, {
		MORE(1, 0, 0, 4), FAIL(2, 0, true, NONE, 10, 0, -EBUSY),
		{ END } } },
	{ "empty parts", 8, {
		MORE(1, 0, 0, 0), LAST(1, 1, 0, 0, 0, 0), { END } } },
	{ "duplicate entry across parts", 8, {
		MORE(1, 0, 0, 3), FAIL(1, 1, false, 5, 2, 2, -EEXIST),
		{ END } } },
};

static void seq_case_desc(const struct seq_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(seq, seq_cases, seq_case_desc);

static void put_entry(struct sk_buff *skb, int idx, unsigned int k)
{
	struct nlattr *e = nla_nest_start(skb, idx), *subs, *sub;

	nla_put_in_addr(skb, FLOWPLAN_ENTRY_A_LOCAL_ADDR, A(1));
	nla_put_in_addr(skb, FLOWPLAN_ENTRY_A_REMOTE_ADDR, A(100 + k));
	nla_put_u32(skb, FLOWPLAN_ENTRY_A_DQPN, k);
	subs = nla_nest_start(skb, FLOWPLAN_ENTRY_A_SUBFLOWS);
	sub = nla_nest_start(skb, 0);
	nla_put_u32(skb, FLOWPLAN_SUBFLOW_A_FLOW_LABEL, 1);
	nla_put_u16(skb, FLOWPLAN_SUBFLOW_A_SPORT, 0xc001);
	nla_nest_end(skb, sub);
	nla_nest_end(skb, subs);
	nla_nest_end(skb, e);
}

/* What genetlink would hand SET_PLAN's doit for @s. */
static struct fp_plan *send(struct kunit *test, struct fp_stages *ss,
			    const struct step *s, unsigned int max,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *tb[FLOWPLAN_A_MAX + 1], *ents;
	struct sk_buff *skb = alloc_skb(16384, GFP_KERNEL);
	struct fp_plan *plan;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	nla_put(skb, FLOWPLAN_A_GENERATION, sizeof(s->gen), &s->gen);
	if (s->more)
		nla_put_u32(skb, FLOWPLAN_A_FLAGS, FLOWPLAN_F_MORE);
	if (s->part != NONE)
		nla_put_u32(skb, FLOWPLAN_A_PART, s->part);
	if (s->nentries != NONE)
		nla_put_u32(skb, FLOWPLAN_A_NENTRIES, s->nentries);
	if (s->n) {
		ents = nla_nest_start(skb, FLOWPLAN_A_ENTRIES);
		for (i = 0; i < s->n; i++)
			put_entry(skb, i, s->first + i);
		nla_nest_end(skb, ents);
	}
	KUNIT_ASSERT_EQ(test, nla_parse(tb, FLOWPLAN_A_MAX,
					(struct nlattr *)skb->data, skb->len,
					fp_attr_policy, extack), 0);
	plan = fp_stages_add(ss, s->portid, tb, max, extack);
	kfree_skb(skb);
	return plan;
}

static unsigned int staged_entries(struct fp_stages *ss)
{
	struct fp_stage *s;
	unsigned int n = 0;

	list_for_each_entry(s, &ss->list, list)
		n += max(s->n, 1U);
	return n;
}

static void seq_test(struct kunit *test)
{
	const struct seq_case *c = test->param_value;
	struct netlink_ext_ack extack = {};
	const struct step *s;
	struct fp_stages ss;
	struct fp_plan *plan;
	unsigned int i, k;

	fp_stages_init(&ss);
	for (i = 0; c->steps[i].op != END; i++) {
		s = &c->steps[i];
		if (s->op == DROP) {
			fp_stages_drop(&ss, s->portid);
			continue;
		}
		if (s->op == DROP_ALL) {
			fp_stages_drop_all(&ss);
			continue;
		}
		memset(&extack, 0, sizeof(extack));
		plan = send(test, &ss, s, c->max, &extack);
		if (s->ret) {
			KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(plan), s->ret,
					    "step %u", i);
			KUNIT_EXPECT_NOT_NULL_MSG(test, extack._msg,
						  "step %u: no message", i);
			if (!IS_ERR_OR_NULL(plan))
				fp_plan_free(plan);
		} else if (s->plan == NONE) {
			KUNIT_EXPECT_NULL_MSG(test, plan, "step %u", i);
			if (!IS_ERR_OR_NULL(plan))
				fp_plan_free(plan);
		} else {
			KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_OR_NULL(plan),
					       "step %u: %ld (%s)", i,
					       PTR_ERR(plan), extack._msg);
			KUNIT_EXPECT_EQ_MSG(test, plan->n, (unsigned int)s->plan,
					    "step %u", i);
			KUNIT_EXPECT_EQ(test, plan->generation, s->gen);
			/* The entries of every part, each once. */
			for (k = 0; k < plan->n; k++)
				KUNIT_EXPECT_NOT_NULL(test,
					fp_plan_lookup(plan, &FP_ADDR4(A(1)),
						       &plan->entries[k].remote,
						       plan->entries[k].dqpn));
			fp_plan_free(plan);
		}
		KUNIT_EXPECT_EQ_MSG(test, ss.entries, staged_entries(&ss),
				    "step %u: entries accounted", i);
	}
	fp_stages_drop_all(&ss);
	KUNIT_EXPECT_EQ(test, ss.entries, 0U);
	KUNIT_EXPECT_TRUE(test, list_empty(&ss.list));
}

/* After an error, or the last part, nothing of the socket stays staged. */
static void staging_cleanup_test(struct kunit *test)
{
	const struct step good = MORE(7, 0, 0, 2);
	const struct step bad = FAIL(7, 3, true, NONE, 2, 1, -EINVAL);
	const struct step last = LAST(8, NONE, NONE, 0, 1, 1);
	struct netlink_ext_ack extack = {};
	struct fp_stages ss;
	struct fp_plan *plan;

	fp_stages_init(&ss);
	KUNIT_EXPECT_NULL(test, send(test, &ss, &good, 8, &extack));
	KUNIT_EXPECT_EQ(test, fp_stages_count(&ss), 1U);
	KUNIT_EXPECT_EQ(test, PTR_ERR(send(test, &ss, &bad, 8, &extack)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, fp_stages_count(&ss), 0U);
	plan = send(test, &ss, &last, 8, &extack);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(plan));
	fp_plan_free(plan);
	KUNIT_EXPECT_EQ(test, fp_stages_count(&ss), 0U);
	KUNIT_EXPECT_EQ(test, ss.entries, 0U);
}

static struct kunit_case staging_test_cases[] = {
	KUNIT_CASE_PARAM(seq_test, seq_gen_params),
	KUNIT_CASE(staging_cleanup_test),
	{}
};

static struct kunit_suite staging_test_suite = {
	.name = "flowplan_staging",
	.test_cases = staging_test_cases,
};

kunit_test_suite(staging_test_suite);
