// SPDX-License-Identifier: GPL-2.0
/*
 * pin_test.c - KUnit: the hook's work on real skbs: counting, rewriting
 * the source port of enforced entries with a correct ICRC and UDP checksum
 * (none, complete, or partial as offload leaves it), leaving alone what it
 * must not touch (clones stay intact, paged skbs are handled, a packet is
 * measured from its network header, packets of
 * processes' sockets and UDP datagrams that are no RoCEv2 are neither
 * counted nor changed).
 */
#include <kunit/test.h>
#include <linux/ip.h>
#include <linux/net.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/udp.h>

#include "flowplan.h"
#include "icrc.h"
#include "parse.h"
#include "pin.h"
#include "test_hook.h"
#include "test_pkt.h"

#define A(x)	htonl(0xc6120000 | (x))
#define SPORT	0xe5a1		/* what rxe derives from QPNs with label 0 */

static int pin_init(struct kunit *test)
{
	struct fp_entry e[] = {
		{ .local = FP_ADDR4(A(1)), .remote = FP_ADDR4(A(5)),
		  .flags = FLOWPLAN_ENTRY_F_ENFORCE, .nsub = 2,
		  .sub = { { .sport = 0xc001 }, { .sport = 0xc002 } } },
		{ .local = FP_ADDR4(A(1)), .remote = FP_ADDR4(A(6)), .nsub = 1,
		  .sub = { { .sport = 0xc003 } } },
	};

	return fp_test_hook_init(test, e, ARRAY_SIZE(e));
}

/*
 * A linear skb, or one with all but the first @head bytes in a page, sent
 * by the kernel socket.
 */
static struct sk_buff *pkt_skb(struct kunit *test, const u8 *pkt,
			       unsigned int len, unsigned int head)
{
	struct fp_test_hook *ctx = test->priv;
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
	skb->sk = ctx->ksock->sk;	/* no destructor: not charged */
	return skb;
}

static unsigned int run(struct kunit *test, struct sk_buff *skb)
{
	struct fp_test_hook *ctx = test->priv;
	unsigned int v;

	rcu_read_lock();
	v = fp_hook_skb(&ctx->fn, skb);
	rcu_read_unlock();
	return v;
}

static struct fp_counter_val count(struct kunit *test, __be32 d, u16 sport)
{
	struct fp_test_hook *ctx = test->priv;
	struct fp_counter_val v, z = {};
	unsigned int pos = 0;

	while (fp_counters_read(ctx->c, &pos, &v))
		if (ipv6_addr_equal(&v.daddr, &FP_ADDR4(d)) && v.sport == sport)
			return v;
	return z;
}

/* Every packet the table has counted, tracked or not. */
static u64 packets(struct kunit *test)
{
	struct fp_test_hook *ctx = test->priv;
	struct fp_counter_val v;
	unsigned int pos = 0;
	u64 n = atomic64_read(&ctx->c->untracked);

	while (fp_counters_read(ctx->c, &pos, &v))
		n += v.packets;
	return n;
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
	clone->sk = skb->sk;		/* clones have none of their own */
	run(test, clone);
	expect_pkt(test, clone, 0xc002, 0x21);
	KUNIT_EXPECT_EQ(test, memcmp(skb->data, pkt, len), 0);
	kfree_skb(clone);
	kfree_skb(skb);
}

/* The packet after @pre bytes of a link-layer header, cut by @cut bytes. */
static struct sk_buff *offset_skb(struct kunit *test, const u8 *pkt,
				  unsigned int len, unsigned int pre,
				  unsigned int cut)
{
	struct fp_test_hook *ctx = test->priv;
	struct sk_buff *skb = alloc_skb(pre + len + 64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, 32);
	memset(skb_put(skb, pre), 0xee, pre);
	skb_put_data(skb, pkt, len - cut);
	skb_set_network_header(skb, pre);
	skb->protocol = htons(ETH_P_IP);
	skb->sk = ctx->ksock->sk;
	return skb;
}

/*
 * The packet is measured from its network header, wherever skb->data is:
 * behind a link-layer header, one 4 bytes shorter than its tot_len is no
 * RoCEv2 packet (neither counted nor changed), a whole one is rewritten
 * where it lies, the bytes before it untouched.
 */
static void pin_network_offset_test(struct kunit *test)
{
	u8 pkt[FP_TEST_PKT_MAX], *buf;
	struct sk_buff *skb;
	struct fp_roce4 p;
	unsigned int len;

	len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x21, 64);
	skb = offset_skb(test, pkt, len, ETH_HLEN, 4);
	run(test, skb);
	KUNIT_EXPECT_EQ(test, packets(test), 0ULL);
	KUNIT_EXPECT_EQ(test, memcmp(skb->data + ETH_HLEN, pkt, len - 4), 0);
	kfree_skb(skb);

	skb = offset_skb(test, pkt, len, ETH_HLEN, 0);
	run(test, skb);
	KUNIT_EXPECT_EQ(test, count(test, A(5), 0xc002).rewritten, 1ULL);
	KUNIT_EXPECT_EQ(test, packets(test), 1ULL);
	KUNIT_EXPECT_PTR_EQ(test, memchr_inv(skb->data, 0xee, ETH_HLEN), NULL);
	buf = skb->data + ETH_HLEN;
	KUNIT_ASSERT_EQ(test, fp_parse_roce4(buf, len, len, &p), 0);
	KUNIT_EXPECT_EQ(test, p.sport, 0xc002);
	KUNIT_EXPECT_EQ(test, fp_icrc4(buf, len), fp_icrc4_get(buf, len));
	kfree_skb(skb);
}

static __sum16 udp_hdr_check(struct sk_buff *skb)
{
	return ((struct udphdr *)(skb_network_header(skb) + 20))->check;
}

/* The UDP datagram's checksum over its pseudo-header: 0 when it is right. */
static __sum16 udp_csum_check(struct sk_buff *skb)
{
	struct iphdr *iph = ip_hdr(skb);
	unsigned int ulen = ntohs(iph->tot_len) - iph->ihl * 4;

	return csum_tcpudp_magic(iph->saddr, iph->daddr, ulen, IPPROTO_UDP,
				 skb_checksum(skb, iph->ihl * 4, ulen, 0));
}

static struct sk_buff *csum_skb(struct kunit *test, u8 *pkt,
				unsigned int len)
{
	struct iphdr *iph = (struct iphdr *)pkt;
	struct udphdr *uh = (struct udphdr *)(pkt + 20);

	uh->check = 0;
	uh->check = csum_tcpudp_magic(iph->saddr, iph->daddr, len - 20,
				      IPPROTO_UDP,
				      csum_partial(uh, len - 20, 0)) ?:
		    CSUM_MANGLED_0;
	return pkt_skb(test, pkt, len, 0);
}

/*
 * A complete UDP checksum is updated for the new port and the new ICRC
 * (both in the datagram), never left stale.
 */
static void pin_udp_csum_test(struct kunit *test)
{
	u8 pkt[FP_TEST_PKT_MAX];
	struct sk_buff *skb;
	unsigned int len, pl;

	for (pl = 8; pl < 40; pl += 4) {
		len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x20, pl);
		skb = csum_skb(test, pkt, len);
		skb->ip_summed = CHECKSUM_NONE;
		run(test, skb);
		KUNIT_EXPECT_NE(test, (__force u16)udp_hdr_check(skb), 0);
		KUNIT_EXPECT_EQ(test, (__force u16)udp_csum_check(skb), 0);
		expect_pkt(test, skb, 0xc001, 0x20);
		kfree_skb(skb);
	}
}

/* No checksum (rxe's, and allowed on IPv4) stays none. */
static void pin_udp_no_csum_test(struct kunit *test)
{
	u8 pkt[FP_TEST_PKT_MAX];
	struct sk_buff *skb;
	unsigned int len;

	len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x21, 8);
	skb = pkt_skb(test, pkt, len, 0);
	skb->ip_summed = CHECKSUM_NONE;
	run(test, skb);
	KUNIT_EXPECT_EQ(test, (__force u16)udp_hdr_check(skb), 0);
	expect_pkt(test, skb, 0xc002, 0x21);
	kfree_skb(skb);
}

/*
 * Checksum offload: CHECKSUM_PARTIAL, the field holds the pseudo-header's
 * sum and the device (here skb_checksum_help()) finishes it over the bytes
 * as they are when it sends them, the new port included.
 */
static void pin_udp_csum_partial_test(struct kunit *test)
{
	u8 pkt[FP_TEST_PKT_MAX];
	struct sk_buff *skb;
	struct udphdr *uh;
	unsigned int len;

	len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x20, 24);
	skb = pkt_skb(test, pkt, len, 0);
	skb_set_transport_header(skb, 20);
	uh = udp_hdr(skb);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct udphdr, check);
	uh->check = ~csum_tcpudp_magic(A(1), A(5), len - 20, IPPROTO_UDP, 0);
	run(test, skb);
	expect_pkt(test, skb, 0xc001, 0x20);
	KUNIT_ASSERT_EQ(test, skb_checksum_help(skb), 0);
	KUNIT_EXPECT_EQ(test, (__force u16)udp_csum_check(skb), 0);
	/* And the ICRC, which masks the checksum, still holds. */
	expect_pkt(test, skb, 0xc001, 0x20);
	kfree_skb(skb);
}

/*
 * Debug mode (icrc_check): every update is checked against the full ICRC,
 * and none differs. A packet whose ICRC was wrong before stays wrong: the
 * update carries it over, it does not make a bad packet good.
 */
static void pin_icrc_check_test(struct kunit *test)
{
	u64 before = fp_pin_icrc_mismatches();
	u8 pkt[FP_TEST_PKT_MAX], *buf;
	struct sk_buff *skb;
	unsigned int len, pl;

	fp_icrc_check = true;
	for (pl = 0; pl < 160; pl += 12) {
		len = fp_test_pkt(pkt, A(1), A(5), SPORT + pl, 0x20 + pl, pl);
		skb = pkt_skb(test, pkt, len, pl % 24 ? 0 : 30);
		run(test, skb);
		expect_pkt(test, skb, 0xc001 + pl % 2, 0x20 + pl);
		kfree_skb(skb);
	}
	KUNIT_EXPECT_EQ(test, fp_pin_icrc_mismatches(), before);

	len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x21, 32);
	pkt[len - 1] ^= 0x40;		/* a bad ICRC */
	skb = pkt_skb(test, pkt, len, 0);
	run(test, skb);
	buf = skb->data;
	KUNIT_EXPECT_EQ(test, ntohs(((struct udphdr *)(buf + 20))->source),
			0xc002);
	KUNIT_EXPECT_NE(test, fp_icrc4(buf, len), fp_icrc4_get(buf, len));
	KUNIT_EXPECT_EQ(test, fp_icrc4(buf, len) ^ fp_icrc4_get(buf, len),
			0x40000000U);
	KUNIT_EXPECT_EQ(test, fp_pin_icrc_mismatches(), before);
	kfree_skb(skb);
}

/*
 * Only the kernel's RDMA stack's packets: a process's UDP socket (any
 * user can send to port 4791), or an skb of no socket, is neither counted
 * nor rewritten, even with an enforcing entry for its addresses.
 */
static void pin_not_kernel_test(struct kunit *test)
{
	struct fp_test_hook *ctx = test->priv;
	u8 pkt[FP_TEST_PKT_MAX];
	struct sk_buff *skb;
	unsigned int len, i;

	for (i = 0; i < 2; i++) {
		len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x21, 64);
		skb = pkt_skb(test, pkt, len, 0);
		skb->sk = i ? NULL : ctx->usock->sk;
		run(test, skb);
		KUNIT_EXPECT_EQ(test, memcmp(skb->data, pkt, len), 0);
		skb->sk = NULL;
		kfree_skb(skb);
	}
	KUNIT_EXPECT_EQ(test, count(test, A(5), SPORT).packets, 0ULL);
	KUNIT_EXPECT_EQ(test, count(test, A(5), 0xc002).packets, 0ULL);
	KUNIT_EXPECT_EQ(test, packets(test), 0ULL);
}

/*
 * UDP to port 4791 that is no RoCEv2 packet (an unknown opcode, a length
 * that no opcode's headers and padding make): not counted, not rewritten.
 */
static void pin_not_roce_test(struct kunit *test)
{
	u8 pkt[FP_TEST_PKT_MAX];
	struct sk_buff *skb;
	unsigned int len;

	len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x21, 64);
	pkt[28] = 0x15;			/* reserved RC opcode */
	skb = pkt_skb(test, pkt, len, 0);
	run(test, skb);
	KUNIT_EXPECT_EQ(test, memcmp(skb->data, pkt, len), 0);
	kfree_skb(skb);

	len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x21, 64);
	pkt[28] = 0x13;			/* COMPARE SWAP: 28 header bytes */
	pkt[29] = 0;
	((struct iphdr *)pkt)->tot_len = htons(20 + 8 + 12 + 24);
	((struct udphdr *)(pkt + 20))->len = htons(8 + 12 + 24);
	skb = pkt_skb(test, pkt, 20 + 8 + 12 + 24, 0);
	run(test, skb);
	KUNIT_EXPECT_EQ(test, memcmp(skb->data, pkt, 20 + 8 + 12 + 24), 0);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, count(test, A(5), SPORT).packets, 0ULL);
	/* under no key at all */
	KUNIT_EXPECT_EQ(test, packets(test), 0ULL);
}

/*
 * A GSO skb is cut into several datagrams after the hook, each of which
 * needs an ICRC of its own that the hook cannot make: counted, untouched.
 */
static void pin_gso_test(struct kunit *test)
{
	u8 pkt[FP_TEST_PKT_MAX];
	struct fp_counter_val v;
	struct sk_buff *skb;
	unsigned int len;

	len = fp_test_pkt(pkt, A(1), A(5), SPORT, 0x21, 64);
	skb = pkt_skb(test, pkt, len, 0);
	skb_shinfo(skb)->gso_size = 16;
	skb_shinfo(skb)->gso_type = SKB_GSO_UDP_L4;
	run(test, skb);
	KUNIT_EXPECT_EQ(test, memcmp(skb->data, pkt, len), 0);
	v = count(test, A(5), SPORT);
	KUNIT_EXPECT_EQ(test, v.packets, 1ULL);
	KUNIT_EXPECT_EQ(test, v.rewritten, 0ULL);
	KUNIT_EXPECT_EQ(test, count(test, A(5), 0xc002).packets, 0ULL);
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
	KUNIT_CASE(pin_network_offset_test),
	KUNIT_CASE(pin_udp_csum_test),
	KUNIT_CASE(pin_udp_no_csum_test),
	KUNIT_CASE(pin_udp_csum_partial_test),
	KUNIT_CASE(pin_icrc_check_test),
	KUNIT_CASE(pin_not_kernel_test),
	KUNIT_CASE(pin_not_roce_test),
	KUNIT_CASE(pin_untouched_test),
	KUNIT_CASE(pin_gso_test),
	{}
};

static struct kunit_suite pin_test_suite = {
	.name = "flowplan_pin",
	.test_cases = pin_test_cases,
	.init = pin_init,
	.exit = fp_test_hook_exit,
};

kunit_test_suite(pin_test_suite);
