// SPDX-License-Identifier: GPL-2.0
/*
 * policy_test.c - KUnit: SET_PLAN requests through the family's policies
 * (strict, as genetlink applies them) and the module's own checks of a
 * one-message plan: what is accepted, what is refused, with which errno and
 * extack message.
 */
#include <kunit/test.h>
#include <linux/skbuff.h>
#include <net/ipv6.h>

#include "policy.h"
#include "staging.h"

#define A(x)	htonl(0xc6120000 | (x))
#define M(x)	(&FP_ADDR4(A(x)))

struct sub_spec {
	u32 label;
	u32 sport;
	u32 weight;		/* ~0: absent */
};

static void put_sub(struct sk_buff *skb, int idx, u32 label, u32 sport,
		    u32 weight)
{
	struct nlattr *n = nla_nest_start(skb, idx);

	nla_put_u32(skb, FLOWPLAN_SUBFLOW_A_FLOW_LABEL, label);
	if (sport != ~0U)
		nla_put_u16(skb, FLOWPLAN_SUBFLOW_A_SPORT, sport);
	if (weight != ~0U)
		nla_put_u32(skb, FLOWPLAN_SUBFLOW_A_WEIGHT, weight);
	nla_nest_end(skb, n);
}

/* One entry with @nsub equal subflows from port 0xc001. */
static struct nlattr *put_entry(struct sk_buff *skb, int idx, __be32 l,
				__be32 r, u32 dqpn, u32 flags,
				unsigned int nsub)
{
	struct nlattr *e = nla_nest_start(skb, idx), *subs;
	unsigned int i;

	nla_put_in_addr(skb, FLOWPLAN_ENTRY_A_LOCAL_ADDR, l);
	nla_put_in_addr(skb, FLOWPLAN_ENTRY_A_REMOTE_ADDR, r);
	nla_put_u32(skb, FLOWPLAN_ENTRY_A_DQPN, dqpn);
	nla_put_u32(skb, FLOWPLAN_ENTRY_A_FLAGS, flags);
	subs = nla_nest_start(skb, FLOWPLAN_ENTRY_A_SUBFLOWS);
	for (i = 0; i < nsub; i++)
		put_sub(skb, i, i + 1, 0xc001 + i, ~0U);
	nla_nest_end(skb, subs);
	return e;
}

static void put_gen(struct sk_buff *skb, u64 g)
{
	nla_put(skb, FLOWPLAN_A_GENERATION, sizeof(g), &g);
}

static struct nlattr *start(struct sk_buff *skb)
{
	put_gen(skb, 7);
	return nla_nest_start(skb, FLOWPLAN_A_ENTRIES);
}

static void b_good(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb), *e, *subs;

	e = put_entry(skb, 0, A(1), A(5), 0, FLOWPLAN_ENTRY_F_ENFORCE, 0);
	subs = nla_nest_start(skb, FLOWPLAN_ENTRY_A_SUBFLOWS);
	put_sub(skb, 0, 1, 0xc001, 40000);
	put_sub(skb, 1, 2, 0xc002, 25536);
	nla_nest_end(skb, subs);
	nla_nest_end(skb, e);
	nla_nest_end(skb, put_entry(skb, 1, A(1), A(5), 77, 0, 1));
	nla_nest_end(skb, ents);
}

static void b_empty(struct sk_buff *skb)
{
	put_gen(skb, 3);
}

static void b_no_generation(struct sk_buff *skb)
{
	struct nlattr *ents = nla_nest_start(skb, FLOWPLAN_A_ENTRIES);

	nla_nest_end(skb, put_entry(skb, 0, A(1), A(5), 0, 0, 1));
	nla_nest_end(skb, ents);
}

static void b_unknown_flag(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb);

	nla_nest_end(skb, put_entry(skb, 0, A(1), A(5), 0, 0x2, 1));
	nla_nest_end(skb, ents);
}

static void b_big_dqpn(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb);

	nla_nest_end(skb, put_entry(skb, 0, A(1), A(5), 0x1000000, 0, 1));
	nla_nest_end(skb, ents);
}

static void one_sub(struct sk_buff *skb, u32 label, u32 sport, u32 weight)
{
	struct nlattr *ents = start(skb), *e, *subs;

	e = put_entry(skb, 0, A(1), A(5), 0, 0, 0);
	subs = nla_nest_start(skb, FLOWPLAN_ENTRY_A_SUBFLOWS);
	put_sub(skb, 0, label, sport, weight);
	nla_nest_end(skb, subs);
	nla_nest_end(skb, e);
	nla_nest_end(skb, ents);
}

static void b_big_label(struct sk_buff *skb)
{
	one_sub(skb, 0x100000, 0xc001, ~0U);
}

static void b_sport_zero(struct sk_buff *skb)
{
	one_sub(skb, 1, 0, ~0U);
}

static void b_no_sport(struct sk_buff *skb)
{
	one_sub(skb, 1, ~0U, ~0U);
}

static void b_big_weight(struct sk_buff *skb)
{
	one_sub(skb, 1, 0xc001, 65537);
}

static void b_bad_weights(struct sk_buff *skb)
{
	one_sub(skb, 1, 0xc001, 60000);
}

static void b_short_addr(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb), *e;

	e = nla_nest_start(skb, 0);
	nla_put(skb, FLOWPLAN_ENTRY_A_LOCAL_ADDR, 3, "abc");
	nla_nest_end(skb, e);
	nla_nest_end(skb, ents);
}

/* One entry whose local address is the @len bytes at @addr. */
static void addr_entry(struct sk_buff *skb, const void *addr, int len)
{
	struct nlattr *ents = start(skb), *e, *subs;

	e = nla_nest_start(skb, 0);
	nla_put(skb, FLOWPLAN_ENTRY_A_LOCAL_ADDR, len, addr);
	nla_put_in_addr(skb, FLOWPLAN_ENTRY_A_REMOTE_ADDR, A(5));
	subs = nla_nest_start(skb, FLOWPLAN_ENTRY_A_SUBFLOWS);
	put_sub(skb, 0, 1, 0xc001, ~0U);
	nla_nest_end(skb, subs);
	nla_nest_end(skb, e);
	nla_nest_end(skb, ents);
}

static const u8 a6_doc[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const u8 a6_mapped[16] = { [10] = 0xff, 0xff, 0xc6, 0x12, 0, 1 };
static const u8 a_long[20] = { 0x20, 0x01, 0x0d, 0xb8 };

static void b_addr_v6(struct sk_buff *skb)
{
	addr_entry(skb, a6_doc, sizeof(a6_doc));
}

static void b_addr_v4mapped(struct sk_buff *skb)
{
	addr_entry(skb, a6_mapped, sizeof(a6_mapped));
}

/* IPv6 address @x: 2001:db8::x. */
static void put_a6(struct sk_buff *skb, int type, u8 x)
{
	u8 a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = x };

	nla_put(skb, type, sizeof(a), a);
}

/* One IPv6 entry 2001:db8::@l to 2001:db8::@r with @nsub subflows. */
static struct nlattr *put_entry6(struct sk_buff *skb, int idx, u8 l, u8 r,
				 u32 dqpn, unsigned int nsub)
{
	struct nlattr *e = nla_nest_start(skb, idx), *subs;
	unsigned int i;

	put_a6(skb, FLOWPLAN_ENTRY_A_LOCAL_ADDR, l);
	put_a6(skb, FLOWPLAN_ENTRY_A_REMOTE_ADDR, r);
	nla_put_u32(skb, FLOWPLAN_ENTRY_A_DQPN, dqpn);
	nla_put_u32(skb, FLOWPLAN_ENTRY_A_FLAGS, FLOWPLAN_ENTRY_F_ENFORCE);
	subs = nla_nest_start(skb, FLOWPLAN_ENTRY_A_SUBFLOWS);
	for (i = 0; i < nsub; i++)
		put_sub(skb, i, 0xabcd0 + i, 0xc001 + i, ~0U);
	nla_nest_end(skb, subs);
	return e;
}

/* IPv6 entries next to an IPv4 one. */
static void b_v6(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb);

	nla_nest_end(skb, put_entry6(skb, 0, 1, 2, 0, 2));
	nla_nest_end(skb, put_entry6(skb, 1, 1, 2, 9, 1));
	nla_nest_end(skb, put_entry6(skb, 2, 1, 3, 0, 16));
	nla_nest_end(skb, put_entry(skb, 3, A(1), A(2), 0, 0, 1));
	nla_nest_end(skb, ents);
}

static void b_v6_duplicate(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb);

	nla_nest_end(skb, put_entry6(skb, 0, 1, 2, 9, 1));
	nla_nest_end(skb, put_entry6(skb, 1, 1, 2, 9, 2));
	nla_nest_end(skb, ents);
}

static void b_v4_local_v6_remote(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb), *e, *subs;

	e = nla_nest_start(skb, 0);
	nla_put_in_addr(skb, FLOWPLAN_ENTRY_A_LOCAL_ADDR, A(1));
	put_a6(skb, FLOWPLAN_ENTRY_A_REMOTE_ADDR, 2);
	subs = nla_nest_start(skb, FLOWPLAN_ENTRY_A_SUBFLOWS);
	put_sub(skb, 0, 1, 0xc001, ~0U);
	nla_nest_end(skb, subs);
	nla_nest_end(skb, e);
	nla_nest_end(skb, ents);
}

static void b_addr_5(struct sk_buff *skb)
{
	addr_entry(skb, a_long, 5);
}

static void b_addr_17(struct sk_buff *skb)
{
	addr_entry(skb, a_long, 17);
}

static void b_no_remote(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb), *e;

	e = nla_nest_start(skb, 0);
	nla_put_in_addr(skb, FLOWPLAN_ENTRY_A_LOCAL_ADDR, A(1));
	nla_nest_end(skb, e);
	nla_nest_end(skb, ents);
}

static void b_no_subflows(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb);

	nla_nest_end(skb, put_entry(skb, 0, A(1), A(5), 0, 0, 0));
	nla_nest_end(skb, ents);
}

static void b_17_subflows(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb);

	nla_nest_end(skb, put_entry(skb, 0, A(1), A(5), 0, 0, 17));
	nla_nest_end(skb, ents);
}

static void b_16_subflows(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb);

	nla_nest_end(skb, put_entry(skb, 0, A(1), A(5), 0, 0, 16));
	nla_nest_end(skb, ents);
}

static void b_duplicate(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb);

	nla_nest_end(skb, put_entry(skb, 0, A(1), A(5), 9, 0, 1));
	nla_nest_end(skb, put_entry(skb, 1, A(1), A(5), 9, 0, 2));
	nla_nest_end(skb, ents);
}

static void b_three(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb);

	nla_nest_end(skb, put_entry(skb, 0, A(1), A(5), 0, 0, 1));
	nla_nest_end(skb, put_entry(skb, 1, A(1), A(6), 0, 0, 1));
	nla_nest_end(skb, put_entry(skb, 2, A(1), A(7), 0, 0, 1));
	nla_nest_end(skb, ents);
}

static void b_unknown_attr(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb), *e;

	e = put_entry(skb, 0, A(1), A(5), 0, 0, 1);
	nla_put_u32(skb, FLOWPLAN_ENTRY_A_MAX + 1, 1);
	nla_nest_end(skb, e);
	nla_nest_end(skb, ents);
}

static void b_reply_attr(struct sk_buff *skb)
{
	put_gen(skb, 1);
	nla_put_u64_64bit(skb, FLOWPLAN_A_UNTRACKED, 1, FLOWPLAN_A_PAD);
}

static void b_no_nested_flag(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb), *e;

	e = nla_nest_start_noflag(skb, 0);
	nla_put_in_addr(skb, FLOWPLAN_ENTRY_A_LOCAL_ADDR, A(1));
	nla_nest_end(skb, e);
	nla_nest_end(skb, ents);
}

/* Bytes after the last element of an array, which the policies let by. */
static void b_leftover_entries(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb);

	nla_nest_end(skb, put_entry(skb, 0, A(1), A(5), 0, 0, 1));
	skb_put_data(skb, "\xa5\xa5", 2);
	nla_nest_end(skb, ents);
}

static void b_leftover_subflows(struct sk_buff *skb)
{
	struct nlattr *ents = start(skb), *e, *subs;

	e = put_entry(skb, 0, A(1), A(5), 0, 0, 0);
	subs = nla_nest_start(skb, FLOWPLAN_ENTRY_A_SUBFLOWS);
	put_sub(skb, 0, 1, 0xc001, ~0U);
	skb_put_zero(skb, 4);
	nla_nest_end(skb, subs);
	nla_nest_end(skb, e);
	nla_nest_end(skb, ents);
}

struct policy_case {
	const char *name;
	void (*build)(struct sk_buff *skb);
	unsigned int max_entries;
	int ret;
	const char *msg;	/* NULL: not checked */
	unsigned int n;
};

static const struct policy_case policy_cases[] = {
	{ "good", b_good, 8, 0, NULL, 2 },
	{ "no entries", b_empty, 8, 0, NULL, 0 },
	{ "16 subflows", b_16_subflows, 8, 0, NULL, 1 },
	{ "max_entries exactly", b_three, 3, 0, NULL, 3 },
	{ "no generation", b_no_generation, 8, -EINVAL,
	  "a plan needs a generation" },
	{ "unknown flag bit", b_unknown_flag, 8, -EINVAL, "reserved bit set" },
	{ "dqpn above 24 bits", b_big_dqpn, 8, -ERANGE,
	  "integer out of range" },
	{ "flow label above 20 bits", b_big_label, 8, -ERANGE,
	  "integer out of range" },
	{ "source port 0", b_sport_zero, 8, -ERANGE, "integer out of range" },
	{ "weight above 65536", b_big_weight, 8, -ERANGE,
	  "integer out of range" },
	{ "3-byte address", b_short_addr, 8, -ERANGE,
	  "an address is 4 bytes (IPv4) or 16 (IPv6)" },
	{ "5-byte address", b_addr_5, 8, -ERANGE,
	  "an address is 4 bytes (IPv4) or 16 (IPv6)" },
	{ "17-byte address", b_addr_17, 8, -ERANGE, NULL },
	{ "IPv4-mapped IPv6 address", b_addr_v4mapped, 8, -EINVAL,
	  "IPv4-mapped IPv6 address: send IPv4 as 4 bytes" },
	{ "IPv6 local, IPv4 remote", b_addr_v6, 8, -EINVAL,
	  "local and remote address of different families" },
	{ "IPv4 local, IPv6 remote", b_v4_local_v6_remote, 8, -EINVAL,
	  "local and remote address of different families" },
	{ "IPv6 entries", b_v6, 8, 0, NULL, 4 },
	{ "IPv6 duplicate key", b_v6_duplicate, 8, -EEXIST,
	  "duplicate entry (same local, remote and dqpn)" },
	{ "unknown entry attribute", b_unknown_attr, 8, -EINVAL, NULL },
	{ "reply-only attribute", b_reply_attr, 8, -EINVAL, NULL },
	{ "nest without NLA_F_NESTED", b_no_nested_flag, 8, -EINVAL, NULL },
	{ "no remote address", b_no_remote, 8, -EINVAL,
	  "an entry needs a remote address" },
	{ "no source port", b_no_sport, 8, -EINVAL,
	  "a subflow needs a source port" },
	{ "no subflows", b_no_subflows, 8, -EINVAL,
	  "an entry needs at least one subflow" },
	{ "17 subflows", b_17_subflows, 8, -E2BIG,
	  "more than 16 subflows in an entry" },
	{ "weights not summing to 65536", b_bad_weights, 8, -EINVAL,
	  "subflow weights must sum to 65536 (or be absent)" },
	{ "duplicate key", b_duplicate, 8, -EEXIST,
	  "duplicate entry (same local, remote and dqpn)" },
	{ "bytes after the last entry", b_leftover_entries, 8, -EINVAL,
	  "bytes left over after the last entry" },
	{ "bytes after the last subflow", b_leftover_subflows, 8, -EINVAL,
	  "bytes left over after the last subflow" },
	{ "past max_entries", b_three, 2, -E2BIG,
	  "more plan entries than the module parameter max_entries allows" },
};

static void policy_case_desc(const struct policy_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(policy, policy_cases, policy_case_desc);

static int skb_res_init(struct kunit_resource *res, void *size)
{
	res->data = alloc_skb(*(unsigned int *)size, GFP_KERNEL);
	return res->data ? 0 : -ENOMEM;
}

static void skb_res_free(struct kunit_resource *res)
{
	kfree_skb(res->data);
}

/* An skb freed with the test, however it ends. */
static struct sk_buff *new_skb(struct kunit *test, unsigned int size)
{
	struct sk_buff *skb;

	skb = kunit_alloc_resource(test, skb_res_init, skb_res_free,
				   GFP_KERNEL, &size);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	return skb;
}

/* What genetlink does with a SET_PLAN request, then the module. */
static int set_plan(struct sk_buff *skb, unsigned int max,
		    struct fp_plan **plan, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[FLOWPLAN_A_MAX + 1];
	struct fp_stages ss;
	int ret;

	ret = nla_parse(tb, FLOWPLAN_A_MAX, (struct nlattr *)skb->data,
			skb->len, fp_attr_policy, extack);
	if (ret)
		return ret;
	fp_stages_init(&ss);
	*plan = fp_stages_add(&ss, 1, tb, max, extack);
	/* One message: nothing stays staged, whatever the outcome. */
	if (WARN_ON(!list_empty(&ss.list) || ss.entries))
		fp_stages_drop_all(&ss);
	if (!*plan)
		return -EINPROGRESS;
	return PTR_ERR_OR_ZERO(*plan);
}

static void policy_test(struct kunit *test)
{
	const struct policy_case *c = test->param_value;
	struct netlink_ext_ack extack = {};
	struct sk_buff *skb = new_skb(test, 8192);
	struct fp_plan *plan = NULL;
	int ret;

	c->build(skb);
	ret = set_plan(skb, c->max_entries, &plan, &extack);
	KUNIT_EXPECT_EQ(test, ret, c->ret);
	if (c->ret)
		KUNIT_EXPECT_NOT_NULL(test, extack._msg);
	if (c->msg && extack._msg)
		KUNIT_EXPECT_STREQ(test, extack._msg, c->msg);
	if (ret)
		return;
	KUNIT_EXPECT_EQ(test, plan->n, c->n);
	fp_plan_free(plan);
}

/* The good plan, looked up, put back into attributes and parsed again. */
static void policy_roundtrip_test(struct kunit *test)
{
	struct sk_buff *skb = new_skb(test, 8192);
	struct sk_buff *out = new_skb(test, 8192);
	struct netlink_ext_ack extack = {};
	struct fp_plan *plan, *again;
	const struct fp_entry *e;
	struct nlattr *ents;
	unsigned int i;

	b_good(skb);
	KUNIT_ASSERT_EQ(test, set_plan(skb, 8, &plan, &extack), 0);
	KUNIT_EXPECT_EQ(test, plan->generation, 7ULL);
	e = fp_plan_lookup(plan, M(1), M(5), 1234);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, e->flags, (u32)FLOWPLAN_ENTRY_F_ENFORCE);
	KUNIT_EXPECT_EQ(test, e->nsub, 2U);
	KUNIT_EXPECT_EQ(test, e->sub[1].sport, 0xc002);
	KUNIT_EXPECT_EQ(test, e->sub[1].flow_label, 2U);
	KUNIT_EXPECT_EQ(test, e->sub[0].weight, 40000U);
	e = fp_plan_lookup(plan, M(1), M(5), 77);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, e->dqpn, 77U);
	KUNIT_EXPECT_EQ(test, e->sub[0].weight, 0U);

	put_gen(out, plan->generation);
	ents = nla_nest_start(out, FLOWPLAN_A_ENTRIES);
	for (i = 0; i < plan->n; i++)
		KUNIT_ASSERT_EQ(test, fp_nl_put_entry(out, i,
						      &plan->entries[i]), 0);
	nla_nest_end(out, ents);
	KUNIT_ASSERT_EQ(test, set_plan(out, 8, &again, &extack), 0);
	KUNIT_ASSERT_EQ(test, again->n, plan->n);
	for (i = 0; i < plan->n; i++) {
		e = &again->entries[i];
		KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&e->local,
							&plan->entries[i].local));
		KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&e->remote,
							&plan->entries[i].remote));
		KUNIT_EXPECT_EQ(test, e->dqpn, plan->entries[i].dqpn);
		KUNIT_EXPECT_EQ(test, e->flags, plan->entries[i].flags);
		KUNIT_EXPECT_EQ(test, e->nsub, plan->entries[i].nsub);
		KUNIT_EXPECT_EQ(test, memcmp(e->sub, plan->entries[i].sub,
					     sizeof(e->sub)), 0);
	}
	fp_plan_free(again);
	fp_plan_free(plan);
}

/* Flags: MORE is known, any other bit is refused. */
static void policy_flags_test(struct kunit *test)
{
	struct nlattr *tb[FLOWPLAN_A_MAX + 1];
	struct netlink_ext_ack extack = {};
	struct sk_buff *skb = new_skb(test, 256);

	put_gen(skb, 1);
	nla_put_u32(skb, FLOWPLAN_A_FLAGS, FLOWPLAN_F_MORE);
	KUNIT_EXPECT_EQ(test, nla_parse(tb, FLOWPLAN_A_MAX,
					(struct nlattr *)skb->data, skb->len,
					fp_attr_policy, &extack), 0);
	skb = new_skb(test, 256);
	put_gen(skb, 1);
	nla_put_u32(skb, FLOWPLAN_A_FLAGS, FLOWPLAN_F_MORE | 0x80);
	KUNIT_EXPECT_EQ(test, nla_parse(tb, FLOWPLAN_A_MAX,
					(struct nlattr *)skb->data, skb->len,
					fp_attr_policy, &extack), -EINVAL);
	KUNIT_EXPECT_STREQ(test, extack._msg, "reserved bit set");
}

/*
 * IPv6 entries and an IPv4 one, looked up, put back (16 bytes and 4) and
 * parsed again.
 */
static void policy_roundtrip6_test(struct kunit *test)
{
	struct in6_addr l = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	struct in6_addr r = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } };
	struct sk_buff *skb = new_skb(test, 8192);
	struct sk_buff *out = new_skb(test, 8192);
	struct netlink_ext_ack extack = {};
	struct fp_plan *plan, *again;
	const struct fp_entry *e;
	struct nlattr *ents, *a;
	unsigned int i, n4 = 0, n16 = 0;
	int rem, rem2;

	b_v6(skb);
	KUNIT_ASSERT_EQ(test, set_plan(skb, 8, &plan, &extack), 0);
	e = fp_plan_lookup(plan, &l, &r, 9);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, e->dqpn, 9U);
	e = fp_plan_lookup(plan, &l, &r, 1234);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, e->dqpn, 0U);
	KUNIT_EXPECT_EQ(test, e->nsub, 2U);
	KUNIT_EXPECT_EQ(test, e->sub[1].flow_label, 0xabcd1U);
	/* the IPv4 entry of the same numbers is another entry */
	e = fp_plan_lookup(plan, M(1), M(2), 0);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, e->nsub, 1U);
	KUNIT_EXPECT_NULL(test, fp_plan_lookup(plan, &r, &l, 0));

	put_gen(out, plan->generation);
	ents = nla_nest_start(out, FLOWPLAN_A_ENTRIES);
	for (i = 0; i < plan->n; i++)
		KUNIT_ASSERT_EQ(test, fp_nl_put_entry(out, i,
						      &plan->entries[i]), 0);
	nla_nest_end(out, ents);
	nla_for_each_nested(a, ents, rem) {
		const struct nlattr *f;

		nla_for_each_nested(f, a, rem2) {
			if (nla_type(f) != FLOWPLAN_ENTRY_A_LOCAL_ADDR &&
			    nla_type(f) != FLOWPLAN_ENTRY_A_REMOTE_ADDR)
				continue;
			n4 += nla_len(f) == 4;
			n16 += nla_len(f) == 16;
		}
	}
	KUNIT_EXPECT_EQ(test, n4, 2U);
	KUNIT_EXPECT_EQ(test, n16, 6U);
	KUNIT_ASSERT_EQ(test, set_plan(out, 8, &again, &extack), 0);
	KUNIT_ASSERT_EQ(test, again->n, plan->n);
	for (i = 0; i < plan->n; i++) {
		e = &again->entries[i];
		KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&e->local,
							&plan->entries[i].local));
		KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&e->remote,
							&plan->entries[i].remote));
		KUNIT_EXPECT_EQ(test, memcmp(e->sub, plan->entries[i].sub,
					     sizeof(e->sub)), 0);
	}
	fp_plan_free(again);
	fp_plan_free(plan);
}

/* A too-small message: the entry is not half-written. */
static void policy_put_full_test(struct kunit *test)
{
	struct fp_entry e = { .local = FP_ADDR4(A(1)), .remote = FP_ADDR4(A(2)),
			      .nsub = 16 };
	struct sk_buff *skb = new_skb(test, 64);
	unsigned int len = skb->len;

	KUNIT_EXPECT_EQ(test, fp_nl_put_entry(skb, 0, &e), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, skb->len, len);
}

static struct kunit_case policy_test_cases[] = {
	KUNIT_CASE_PARAM(policy_test, policy_gen_params),
	KUNIT_CASE(policy_roundtrip_test),
	KUNIT_CASE(policy_roundtrip6_test),
	KUNIT_CASE(policy_put_full_test),
	KUNIT_CASE(policy_flags_test),
	{}
};

static struct kunit_suite policy_test_suite = {
	.name = "flowplan_policy",
	.test_cases = policy_test_cases,
};

kunit_test_suite(policy_test_suite);
