// SPDX-License-Identifier: GPL-2.0
/*
 * netlink_test.c - KUnit: the flowplan family end to end, through netlink
 * sockets as a process uses them (genetlink's policies and capability
 * checks included): plans set, shown and deleted, the generation check,
 * plans in parts from several sockets, DEL_PLAN and closed sockets between
 * parts, who may change what, events, and plans of more than 16383 entries
 * in dumps.
 */
#include <kunit/test.h>
#include <linux/skbuff.h>

#include "flowplan.h"
#include "icrc.h"
#include "test_nl.h"

#define NONE	(-1)

static struct fp_tnl *tnl(struct kunit *test, u32 portid, bool admin)
{
	struct fp_tnl *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, fp_tnl_open(t, portid, admin), 0);
	return t;
}

/* A SET_PLAN part: entries @first .. @first + @n - 1 (distinct keys). */
static int set_part(struct fp_tnl *t, u64 gen, int part, bool more,
		    int nentries, unsigned int first, unsigned int n)
{
	struct nlattr *ents, *e, *subs, *sub;
	struct sk_buff *m;
	unsigned int k;

	if (fp_tnl_start(t, FLOWPLAN_CMD_SET_PLAN, 0))
		return -ENOMEM;
	m = t->msg;
	nla_put(m, FLOWPLAN_A_GENERATION, sizeof(gen), &gen);
	if (part != NONE)
		nla_put_u32(m, FLOWPLAN_A_PART, part);
	if (more)
		nla_put_u32(m, FLOWPLAN_A_FLAGS, FLOWPLAN_F_MORE);
	if (nentries != NONE)
		nla_put_u32(m, FLOWPLAN_A_NENTRIES, nentries);
	ents = nla_nest_start(m, FLOWPLAN_A_ENTRIES);
	for (k = first; k < first + n; k++) {
		e = nla_nest_start(m, k - first);
		nla_put_in_addr(m, FLOWPLAN_ENTRY_A_LOCAL_ADDR,
				htonl(0x7f000001));
		nla_put_in_addr(m, FLOWPLAN_ENTRY_A_REMOTE_ADDR,
				htonl(0x0a000000 | k));
		subs = nla_nest_start(m, FLOWPLAN_ENTRY_A_SUBFLOWS);
		sub = nla_nest_start(m, 0);
		nla_put_u32(m, FLOWPLAN_SUBFLOW_A_FLOW_LABEL, 1);
		nla_put_u16(m, FLOWPLAN_SUBFLOW_A_SPORT, 0xc001);
		nla_nest_end(m, sub);
		nla_nest_end(m, subs);
		nla_nest_end(m, e);
	}
	nla_nest_end(m, ents);
	return fp_tnl_do(t);
}

static int set_plan(struct fp_tnl *t, u64 gen, unsigned int first,
		    unsigned int n)
{
	return set_part(t, gen, NONE, false, NONE, first, n);
}

struct plan_seen {
	u64 gen;
	u32 nentries;
	unsigned int n;		/* elements seen */
	unsigned int bad_type;	/* elements whose type is not their index */
	unsigned long *keys;	/* bitmap of remote address low bits */
	unsigned int nkeys;
};

static int plan_cb(void *arg, const struct nlmsghdr *nlh,
		   const struct nlattr *attrs, int len)
{
	struct plan_seen *ps = arg;
	const struct nlattr *a, *e, *f;
	int rem, frem;
	unsigned int i;
	u32 k;

	for (a = attrs; nla_ok(a, len); a = nla_next(a, &len)) {
		if (nla_type(a) == FLOWPLAN_A_GENERATION)
			ps->gen = nla_get_u64(a);
		if (nla_type(a) == FLOWPLAN_A_NENTRIES)
			ps->nentries = nla_get_u32(a);
		if (nla_type(a) != FLOWPLAN_A_ENTRIES)
			continue;
		i = 0;
		nla_for_each_nested(e, a, rem) {
			/* Type = index in this nest; no flag bit but NESTED. */
			if (e->nla_type != (i | NLA_F_NESTED))
				ps->bad_type++;
			i++;
			ps->n++;
			nla_for_each_nested(f, e, frem) {
				if (nla_type(f) != FLOWPLAN_ENTRY_A_REMOTE_ADDR)
					continue;
				k = ntohl(nla_get_in_addr(f)) & 0xffffff;
				if (ps->keys && k < ps->nkeys)
					__set_bit(k, ps->keys);
			}
		}
	}
	return 0;
}

static struct plan_seen get_plan(struct kunit *test, struct fp_tnl *t,
				 unsigned int nkeys)
{
	struct plan_seen ps = { .nkeys = nkeys };

	if (nkeys) {
		ps.keys = kunit_kzalloc(test, BITS_TO_LONGS(nkeys) *
					sizeof(long), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, ps.keys);
	}
	KUNIT_ASSERT_EQ(test, fp_tnl_start(t, FLOWPLAN_CMD_GET_PLAN,
					   NLM_F_DUMP), 0);
	KUNIT_ASSERT_EQ(test, fp_tnl_dump(t, plan_cb, &ps), 0);
	return ps;
}

static struct fp_net *init_fn(void)
{
	return fp_net(&init_net);
}

static void netlink_set_get_test(struct kunit *test)
{
	struct fp_tnl *t = tnl(test, 0, true);
	struct plan_seen ps;

	KUNIT_EXPECT_EQ(test, set_plan(t, 3, 0, 2), 0);
	ps = get_plan(test, t, 0);
	KUNIT_EXPECT_EQ(test, ps.gen, 3ULL);
	KUNIT_EXPECT_EQ(test, ps.nentries, 2U);
	KUNIT_EXPECT_EQ(test, ps.n, 2U);
	KUNIT_EXPECT_EQ(test, ps.bad_type, 0U);
	KUNIT_ASSERT_EQ(test, fp_tnl_start(t, FLOWPLAN_CMD_DEL_PLAN, 0), 0);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(t), 0);
	ps = get_plan(test, t, 0);
	KUNIT_EXPECT_EQ(test, ps.gen, 0ULL);
	KUNIT_EXPECT_EQ(test, ps.n, 0U);
	fp_tnl_close(t);
}

/* Older is refused with its reason, equal is a harmless retry. */
static void netlink_generation_test(struct kunit *test)
{
	struct fp_tnl *t = tnl(test, 0, true);

	KUNIT_EXPECT_EQ(test, set_plan(t, 5, 0, 1), 0);
	KUNIT_EXPECT_EQ(test, set_plan(t, 4, 0, 2), -ESTALE);
	KUNIT_EXPECT_STREQ(test, t->extack,
			   "generation is older than the installed plan's");
	KUNIT_EXPECT_EQ(test, get_plan(test, t, 0).n, 1U);
	/* An older plan in parts: refused at its first part, nothing kept. */
	KUNIT_EXPECT_EQ(test, set_part(t, 4, 0, true, NONE, 0, 2), -ESTALE);
	KUNIT_EXPECT_EQ(test, fp_stages_count(&init_fn()->stages), 0U);
	KUNIT_EXPECT_EQ(test, set_plan(t, 5, 0, 3), 0);
	KUNIT_EXPECT_EQ(test, get_plan(test, t, 0).n, 3U);
	KUNIT_ASSERT_EQ(test, fp_tnl_start(t, FLOWPLAN_CMD_DEL_PLAN, 0), 0);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(t), 0);
	/* After DEL_PLAN a planner starts again at 1. */
	KUNIT_EXPECT_EQ(test, set_plan(t, 1, 0, 1), 0);
	KUNIT_ASSERT_EQ(test, fp_tnl_start(t, FLOWPLAN_CMD_DEL_PLAN, 0), 0);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(t), 0);
	fp_tnl_close(t);
}

/*
 * The reported case and its kin through real sockets: another socket's
 * plan, or DEL_PLAN, between the parts of a plan; a socket closed with a
 * part staged, and a new socket with its port id.
 */
static void netlink_parts_test(struct kunit *test)
{
	struct fp_tnl *a = tnl(test, 0, true), *b = tnl(test, 0, true);
	struct fp_tnl *c;
	struct plan_seen ps;
	u32 portid;

	KUNIT_EXPECT_EQ(test, set_part(a, 7, 0, true, NONE, 0, 3), 0);
	KUNIT_EXPECT_EQ(test, set_plan(b, 7, 100, 1), 0);
	KUNIT_EXPECT_EQ(test, get_plan(test, a, 0).n, 1U);
	KUNIT_EXPECT_EQ(test, set_part(a, 7, 1, false, 5, 3, 2), 0);
	ps = get_plan(test, a, 0);
	KUNIT_EXPECT_EQ(test, ps.n, 5U);
	KUNIT_EXPECT_EQ(test, ps.nentries, 5U);

	KUNIT_EXPECT_EQ(test, set_part(a, 8, 0, true, NONE, 0, 3), 0);
	KUNIT_ASSERT_EQ(test, fp_tnl_start(b, FLOWPLAN_CMD_DEL_PLAN, 0), 0);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(b), 0);
	KUNIT_EXPECT_EQ(test, set_part(a, 8, 1, false, 5, 3, 2), -EINVAL);
	KUNIT_EXPECT_STRNEQ(test, a->extack, "");
	KUNIT_EXPECT_EQ(test, get_plan(test, a, 0).n, 0U);

	/* Missing count on the last part: refused, nothing installed. */
	KUNIT_EXPECT_EQ(test, set_part(a, 9, 0, true, NONE, 0, 3), 0);
	KUNIT_EXPECT_EQ(test, set_part(a, 9, 1, false, NONE, 3, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, get_plan(test, a, 0).n, 0U);

	/* Closing a socket drops its staged parts. */
	KUNIT_EXPECT_EQ(test, set_part(a, 9, 0, true, NONE, 0, 3), 0);
	KUNIT_EXPECT_EQ(test, fp_stages_count(&init_fn()->stages), 1U);
	portid = a->portid;
	fp_tnl_close(a);
	KUNIT_EXPECT_EQ(test, fp_stages_count(&init_fn()->stages), 0U);
	c = tnl(test, portid, true);
	KUNIT_EXPECT_EQ(test, c->portid, portid);
	KUNIT_EXPECT_EQ(test, set_part(c, 9, 1, false, 5, 3, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, get_plan(test, c, 0).n, 0U);
	fp_tnl_close(c);
	fp_tnl_close(b);
}

/*
 * Without CAP_NET_ADMIN a socket reads everything and changes nothing,
 * refused before anything is parsed.
 */
static void netlink_rights_test(struct kunit *test)
{
	struct fp_tnl *root = tnl(test, 0, true), *user = tnl(test, 0, false);

	KUNIT_EXPECT_EQ(test, set_plan(root, 11, 0, 2), 0);
	KUNIT_EXPECT_EQ(test, set_plan(user, 12, 0, 1), -EPERM);
	KUNIT_ASSERT_EQ(test, fp_tnl_start(user, FLOWPLAN_CMD_DEL_PLAN, 0), 0);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(user), -EPERM);
	KUNIT_ASSERT_EQ(test, fp_tnl_start(user, FLOWPLAN_CMD_DEL_COUNTERS,
					   0), 0);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(user), -EPERM);
	KUNIT_EXPECT_EQ(test, get_plan(test, user, 0).gen, 11ULL);
	KUNIT_EXPECT_EQ(test, get_plan(test, user, 0).n, 2U);
	KUNIT_ASSERT_EQ(test, fp_tnl_start(user, FLOWPLAN_CMD_GET_COUNTERS,
					   NLM_F_DUMP), 0);
	KUNIT_EXPECT_EQ(test, fp_tnl_dump(user, NULL, NULL), 0);
	/* Events need no right either. */
	KUNIT_EXPECT_EQ(test, fp_tnl_join_events(user), 0);
	KUNIT_ASSERT_EQ(test, fp_tnl_start(root, FLOWPLAN_CMD_DEL_PLAN, 0), 0);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(root), 0);
	KUNIT_EXPECT_EQ(test, fp_tnl_event(user), FLOWPLAN_CMD_PLAN_CHANGED);
	fp_tnl_close(user);
	fp_tnl_close(root);
}

/* What the policies refuse, before the module sees it. */
static void netlink_policy_test(struct kunit *test)
{
	struct fp_tnl *t = tnl(test, 0, true);
	u64 gen = 1;

	KUNIT_ASSERT_EQ(test, fp_tnl_start(t, FLOWPLAN_CMD_SET_PLAN, 0), 0);
	nla_put(t->msg, FLOWPLAN_A_GENERATION, sizeof(gen), &gen);
	nla_put_u16(t->msg, FLOWPLAN_A_PART, 1);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(t), -EINVAL);
	KUNIT_EXPECT_STRNEQ(test, t->extack, "");

	KUNIT_ASSERT_EQ(test, fp_tnl_start(t, FLOWPLAN_CMD_SET_PLAN, 0), 0);
	nla_put(t->msg, FLOWPLAN_A_GENERATION, sizeof(gen), &gen);
	nla_put_u32(t->msg, FLOWPLAN_A_MAX + 1, 1);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(t), -EINVAL);

	KUNIT_ASSERT_EQ(test, fp_tnl_start(t, FLOWPLAN_CMD_SET_PLAN, 0), 0);
	nla_put(t->msg, FLOWPLAN_A_GENERATION, sizeof(gen), &gen);
	nla_put_u32(t->msg, FLOWPLAN_A_FLAGS, 0x10);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(t), -EINVAL);
	KUNIT_EXPECT_STREQ(test, t->extack, "reserved bit set");

	/* No generation: the module's own check, with its reason. */
	KUNIT_ASSERT_EQ(test, fp_tnl_start(t, FLOWPLAN_CMD_SET_PLAN, 0), 0);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(t), -EINVAL);
	KUNIT_EXPECT_STREQ(test, t->extack, "a plan needs a generation");
	fp_tnl_close(t);
}

/*
 * A plan of 20000 entries, in parts, dumped back whole: every element's
 * type is its index in its message's nest, below 16384 (a type has 14
 * bits; 16384 and up would set NLA_F_NET_BYTEORDER and NLA_F_NESTED).
 */
static void netlink_big_plan_test(struct kunit *test)
{
	const unsigned int total = 20000, per = 500;
	unsigned int old_max = READ_ONCE(fp_max_entries), k;
	struct fp_tnl *t = tnl(test, 0, true);
	struct plan_seen ps;

	WRITE_ONCE(fp_max_entries, total);
	for (k = 0; k < total; k += per)
		KUNIT_ASSERT_EQ_MSG(test, set_part(t, 30, k / per,
						   k + per < total, k + per <
						   total ? NONE : total, k,
						   per), 0,
				    "part %u: %s", k / per, t->extack);
	ps = get_plan(test, t, total);
	KUNIT_EXPECT_EQ(test, ps.gen, 30ULL);
	KUNIT_EXPECT_EQ(test, ps.nentries, total);
	KUNIT_EXPECT_EQ(test, ps.n, total);
	KUNIT_EXPECT_EQ(test, ps.bad_type, 0U);
	KUNIT_EXPECT_EQ(test, (unsigned int)bitmap_weight(ps.keys, total),
			total);
	KUNIT_ASSERT_EQ(test, fp_tnl_start(t, FLOWPLAN_CMD_DEL_PLAN, 0), 0);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(t), 0);
	WRITE_ONCE(fp_max_entries, old_max);
	fp_tnl_close(t);
}

/* The parts of all sockets together stay under max_entries. */
static void netlink_staging_bound_test(struct kunit *test)
{
	unsigned int old_max = READ_ONCE(fp_max_entries);
	struct fp_tnl *a = tnl(test, 0, true), *b = tnl(test, 0, true);

	WRITE_ONCE(fp_max_entries, 10);
	KUNIT_EXPECT_EQ(test, set_part(a, 40, 0, true, NONE, 0, 8), 0);
	KUNIT_EXPECT_EQ(test, set_part(b, 40, 0, true, NONE, 100, 3), -EBUSY);
	KUNIT_EXPECT_STRNEQ(test, b->extack, "");
	KUNIT_EXPECT_EQ(test, set_part(a, 40, 1, false, 10, 8, 2), 0);
	KUNIT_EXPECT_EQ(test, set_part(b, 41, 0, true, NONE, 100, 3), 0);
	KUNIT_ASSERT_EQ(test, fp_tnl_start(a, FLOWPLAN_CMD_DEL_PLAN, 0), 0);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(a), 0);
	KUNIT_EXPECT_EQ(test, fp_stages_count(&init_fn()->stages), 0U);
	KUNIT_EXPECT_EQ(test, init_fn()->stages.entries, 0U);
	WRITE_ONCE(fp_max_entries, old_max);
	fp_tnl_close(a);
	fp_tnl_close(b);
}

static int netlink_suite_init(struct kunit_suite *suite)
{
	int ret;

	fp_icrc_init();
	ret = fp_net_register();
	if (ret)
		return ret;
	ret = fp_genl_init();
	if (ret)
		fp_net_unregister();
	return ret;
}

static void netlink_suite_exit(struct kunit_suite *suite)
{
	fp_genl_exit();
	fp_net_unregister();
}

static struct kunit_case netlink_test_cases[] = {
	KUNIT_CASE(netlink_set_get_test),
	KUNIT_CASE(netlink_generation_test),
	KUNIT_CASE(netlink_parts_test),
	KUNIT_CASE(netlink_rights_test),
	KUNIT_CASE(netlink_policy_test),
	KUNIT_CASE(netlink_big_plan_test),
	KUNIT_CASE(netlink_staging_bound_test),
	{}
};

static struct kunit_suite netlink_test_suite = {
	.name = "flowplan_netlink",
	.suite_init = netlink_suite_init,
	.suite_exit = netlink_suite_exit,
	.test_cases = netlink_test_cases,
};

kunit_test_suite(netlink_test_suite);
