// SPDX-License-Identifier: GPL-2.0
/*
 * pin_test.c - KUnit: the hook's work on real skbs: counting, rewriting
 * the source port of enforced entries with a correct ICRC, leaving alone
 * what it must not touch (clones stay intact, paged skbs are handled).
 */
#include <kunit/test.h>
#include <linux/ip.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/udp.h>

#include "flowplan.h"
#include "icrc.h"
#include "parse.h"
#include "pin.h"
#include "test_pkt.h"

#define A(x)	htonl(0xc6120000 | (x))
#define SPORT	0xe5a1		/* what rxe derives from QPNs with label 0 */

struct pin_ctx {
	struct fp_net fn;
};

static int pin_init(struct kunit *test)
{
	struct pin_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	struct fp_entry e = { .local = A(1), .remote = A(5),
			      .flags = FLOWPLAN_ENTRY_F_ENFORCE, .nsub = 2 };
	struct fp_entry quiet = { .local = A(1), .remote = A(6), .nsub = 1 };
	struct fp_plan *plan;

	if (!ctx)
		return -ENOMEM;
	ctx->fn.counters = fp_counters_alloc(64);
	plan = fp_plan_alloc(2, 1, GFP_KERNEL);
	if (!ctx->fn.counters || !plan)
		return -ENOMEM;
	e.sub[0].sport = 0xc001;
	e.sub[1].sport = 0xc002;
	quiet.sub[0].sport = 0xc003;
	if (fp_plan_add(plan, &e) || fp_plan_add(plan, &quiet))
		return -EINVAL;
	RCU_INIT_POINTER(ctx->fn.plan, plan);
	test->priv = ctx;
	return 0;
}

static void pin_exit(struct kunit *test)
{
	struct pin_ctx *ctx = test->priv;

	if (!ctx)
		return;
	fp_plan_free(rcu_dereference_protected(ctx->fn.plan, true));
	fp_counters_free(ctx->fn.counters);
}

/* A linear skb, or one with all but the first @head bytes in a page. */
static struct sk_buff *pkt_skb(struct kunit *test, const u8 *pkt,
			       unsigned int len, unsigned int head)
{
	struct sk_buff *skb = alloc_skb(len + 64, GFP_KERNEL);
	struct page *page;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, 32);
	if (!head || head >= len) {
		skb_put_data(skb, pkt, len);
	} else {
		skb_put_data(skb, pkt, head);
		page = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, page);
		memcpy(page_address(page), pkt + head, len - head);
		skb_fill_page_desc(skb, 0, page, 0, len - head);
		skb->len += len - head;
		skb->data_len += len - head;
		skb->truesize += PAGE_SIZE;
	}
	skb_reset_network_header(skb);
	skb->protocol = htons(ETH_P_IP);
	return skb;
}

static unsigned int run(struct kunit *test, struct sk_buff *skb)
{
	struct pin_ctx *ctx = test->priv;
	unsigned int v;

	rcu_read_lock();
	v = fp_hook_skb(&ctx->fn, skb);
	rcu_read_unlock();
	return v;
}

static struct fp_counter_val count(struct kunit *test, __be32 d, u16 sport)
{
	struct pin_ctx *ctx = test->priv;
	struct fp_counter_val v, z = {};
	unsigned int pos = 0;

	while (fp_counters_read(ctx->fn.counters, &pos, &v))
		if (v.daddr == d && v.sport == sport)
			return v;
	return z;
}

/* The packet the skb carries now, checked: parse and ICRC. */
static void expect_pkt(struct kunit *test, struct sk_buff *skb, u16 sport,
		       u32 dqpn)
{
	u8 *buf = kunit_kzalloc(test, skb->len, GFP_KERNEL);
	struct fp_roce4 p;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, buf, skb->len), 0);
	KUNIT_ASSERT_EQ(test, fp_parse_roce4(buf, skb->len, skb->len, &p), 0);
	KUNIT_EXPECT_EQ(test, p.sport, sport);
	KUNIT_EXPECT_EQ(test, p.dqpn, dqpn);
	KUNIT_EXPECT_EQ(test, fp_icrc4(buf, skb->len), fp_icrc4_get(buf,
								    skb->len));
}

struct pin_case {
	const char *name;
	__be32 dst;
	u32 dqpn;
	u16 sport;
	unsigned int head;	/* bytes in the linear part, 0: all */
	u16 want;
};

static const struct pin_case pin_cases[] = {
	{ "enforced, dqpn even: subflow 0", A(5), 0x20, SPORT, 0, 0xc001 },
	{ "enforced, dqpn odd: subflow 1", A(5), 0x21, SPORT, 0, 0xc002 },
	{ "enforced, already a planned port", A(5), 0x20, 0xc002, 0, 0xc002 },
	{ "not enforced", A(6), 0x21, SPORT, 0, SPORT },
	{ "no entry", A(7), 0x21, SPORT, 0, SPORT },
	{ "enforced, paged skb", A(5), 0x21, SPORT, 30, 0xc002 },
	{ "enforced, headers split across pages", A(5), 0x20, SPORT, 22,
	  0xc001 },
};

static void pin_case_desc(const struct pin_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pin, pin_cases, pin_case_desc);

static void pin_test(struct kunit *test)
{
	const struct pin_case *c = test->param_value;
	struct fp_counter_val v;
	struct sk_buff *skb;
	unsigned int len;
	u8 pkt[FP_TEST_PKT_MAX];

	len = fp_test_pkt(pkt, A(1), c->dst, c->sport, c->dqpn, 64);
	skb = pkt_skb(test, pkt, len, c->head);
	KUNIT_EXPECT_EQ(test, run(test, skb), (unsigned int)NF_ACCEPT);
	expect_pkt(test, skb, c->want, c->dqpn);
	v = count(test, c->dst, c->want);
	KUNIT_EXPECT_EQ(test, v.packets, 1ULL);
	KUNIT_EXPECT_EQ(test, v.bytes, (u64)len);
	KUNIT_EXPECT_EQ(test, v.rewritten, c->want != c->sport ? 1ULL : 0ULL);
	kfree_skb(skb);
}

/* The hook writes into a private copy, never into a clone's data. */
static void pin_clone_test(struct kunit *test)
{
	struct sk_buff *skb, *clone;
	u8 pkt[FP_TEST_PKT_MAX];
	unsigned int len;

	len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x21, 64);
	skb = pkt_skb(test, pkt, len, 0);
	clone = skb_clone(skb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, clone);
	run(test, clone);
	expect_pkt(test, clone, 0xc002, 0x21);
	KUNIT_EXPECT_EQ(test, memcmp(skb->data, pkt, len), 0);
	kfree_skb(clone);
	kfree_skb(skb);
}

/* A UDP checksum is not left stale: zeroed (IPv4 allows it). */
static void pin_udp_csum_test(struct kunit *test)
{
	u8 pkt[FP_TEST_PKT_MAX];
	struct sk_buff *skb;
	unsigned int len;

	len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x20, 8);
	((struct udphdr *)(pkt + 20))->check = htons(0x1234);
	skb = pkt_skb(test, pkt, len, 0);
	skb->ip_summed = CHECKSUM_NONE;
	run(test, skb);
	KUNIT_EXPECT_EQ(test, ((struct udphdr *)(skb->data + 20))->check, 0);
	expect_pkt(test, skb, 0xc001, 0x20);
	kfree_skb(skb);
}

/* Not ours, or not whole: counted when it is RoCE, never changed. */
static void pin_untouched_test(struct kunit *test)
{
	u8 pkt[FP_TEST_PKT_MAX], *opt;
	struct sk_buff *skb;
	unsigned int len;

	/* Another UDP port: not RoCEv2, not counted. */
	len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x20, 8);
	((struct udphdr *)(pkt + 20))->dest = htons(53);
	skb = pkt_skb(test, pkt, len, 0);
	run(test, skb);
	KUNIT_EXPECT_EQ(test, memcmp(skb->data, pkt, len), 0);
	KUNIT_EXPECT_EQ(test, count(test, A(5), SPORT).packets, 0ULL);
	kfree_skb(skb);

	/* IP options: counted, left as it is. */
	len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x20, 8);
	opt = kunit_kzalloc(test, len + 4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, opt);
	memcpy(opt, pkt, 20);
	memset(opt + 20, IPOPT_NOOP, 4);
	memcpy(opt + 24, pkt + 20, len - 20);
	((struct iphdr *)opt)->ihl = 6;
	((struct iphdr *)opt)->tot_len = htons(len + 4);
	skb = pkt_skb(test, opt, len + 4, 0);
	run(test, skb);
	KUNIT_EXPECT_EQ(test, memcmp(skb->data, opt, len + 4), 0);
	KUNIT_EXPECT_EQ(test, count(test, A(5), SPORT).packets, 1ULL);
	kfree_skb(skb);

	/* Truncated: tot_len beyond the skb. */
	len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x20, 8);
	skb = pkt_skb(test, pkt, len - 1, 0);
	run(test, skb);
	KUNIT_EXPECT_EQ(test, count(test, A(5), SPORT).packets, 1ULL);
	kfree_skb(skb);
}

static struct kunit_case pin_test_cases[] = {
	KUNIT_CASE_PARAM(pin_test, pin_gen_params),
	KUNIT_CASE(pin_clone_test),
	KUNIT_CASE(pin_udp_csum_test),
	KUNIT_CASE(pin_untouched_test),
	{}
};

static struct kunit_suite pin_test_suite = {
	.name = "flowplan_pin",
	.test_cases = pin_test_cases,
	.init = pin_init,
	.exit = pin_exit,
};

kunit_test_suite(pin_test_suite);
