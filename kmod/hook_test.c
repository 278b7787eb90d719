// SPDX-License-Identifier: GPL-2.0
/*
 * hook_test.c - KUnit: the hook in the stack. RoCEv2 datagrams sent over
 * loopback from kernel UDP sockets (as rxe sends) and from a process's
 * socket, with plans set over netlink: what arrives (its source port, its
 * ICRC checked in full on the receiving side), what the counters say, and
 * DEL_COUNTERS. A test hook at LOCAL_OUT plays rxe and writes each
 * packet's ICRC over the IP header the stack gave it.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/netfilter_ipv4.h>
#include <linux/rtnetlink.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/sock.h>
#include <net/udp.h>

#include "flowplan.h"
#include "icrc.h"
#include "parse.h"
#include "test_nl.h"

#define LO		htonl(INADDR_LOOPBACK)
#define SPORT		0xe5a1
#define PAYLOAD		32

struct hook_ctx {
	struct fp_tnl *nl;
	struct socket *rx;
	/* the last datagram of ours seen arriving, IP header included */
	u8 seen[256];
	unsigned int seen_len;
	unsigned int seen_n;
};

static struct hook_ctx *hook_ctx;

/* LOCAL_OUT: what rxe does when it builds a packet, a correct ICRC. */
static unsigned int hook_rxe(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	struct iphdr *iph = ip_hdr(skb);
	unsigned int len = ntohs(iph->tot_len);

	if (iph->protocol != IPPROTO_UDP || len > skb->len ||
	    skb_ensure_writable(skb, len))
		return NF_ACCEPT;
	iph = ip_hdr(skb);
	if (((struct udphdr *)(iph + 1))->dest != htons(FLOWPLAN_ROCE_PORT))
		return NF_ACCEPT;
	fp_icrc4_put((u8 *)iph, len, fp_icrc4((u8 *)iph, len));
	return NF_ACCEPT;
}

/* LOCAL_IN: keep a copy of what arrives. */
static unsigned int hook_seen(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	struct iphdr *iph = ip_hdr(skb);
	unsigned int len = ntohs(iph->tot_len);

	if (!hook_ctx || iph->protocol != IPPROTO_UDP ||
	    len > sizeof(hook_ctx->seen) || len > skb->len)
		return NF_ACCEPT;
	if (skb_copy_bits(skb, skb_network_offset(skb), hook_ctx->seen, len))
		return NF_ACCEPT;
	hook_ctx->seen_len = len;
	hook_ctx->seen_n++;
	return NF_ACCEPT;
}

static struct nf_hook_ops hook_test_ops[] = {
	{
		.hook = hook_rxe,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_FIRST,
	},
	{
		.hook = hook_seen,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP_PRI_FIRST,
	},
};

static struct socket *udp_sock(struct kunit *test, bool kern, u16 port,
			       bool connect)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = LO,
		.sin_port = htons(port),
	};
	struct socket *s;

	if (kern)
		KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_INET,
						       SOCK_DGRAM, IPPROTO_UDP,
						       &s), 0);
	else
		KUNIT_ASSERT_EQ(test, sock_create(AF_INET, SOCK_DGRAM,
						  IPPROTO_UDP, &s), 0);
	KUNIT_ASSERT_EQ(test, kernel_bind(s, (struct sockaddr *)&sa,
					  sizeof(sa)), 0);
	if (connect) {
		sa.sin_port = htons(FLOWPLAN_ROCE_PORT);
		KUNIT_ASSERT_EQ(test, kernel_connect(s, (struct sockaddr *)&sa,
						     sizeof(sa), 0), 0);
	}
	return s;
}

/* BTH (SEND ONLY to QP @dqpn), payload, room for the ICRC. */
static void send_roce(struct kunit *test, struct socket *s, u32 dqpn)
{
	u8 buf[FP_BTH_LEN + PAYLOAD + FP_ICRC_LEN] = { 0x04, 0, 0xff, 0xff };
	struct msghdr msg = {};
	struct kvec iov = { buf, sizeof(buf) };

	buf[5] = dqpn >> 16;
	buf[6] = dqpn >> 8;
	buf[7] = dqpn;
	memset(buf + FP_BTH_LEN, 0x5a, PAYLOAD);
	KUNIT_ASSERT_EQ(test, kernel_sendmsg(s, &msg, &iov, 1, sizeof(buf)),
			(int)sizeof(buf));
}

/* Loopback delivers in a softirq: mostly at once, always soon. */
static void wait_seen(struct kunit *test, struct hook_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < 100 && !READ_ONCE(ctx->seen_n); i++)
		msleep(20);
	KUNIT_ASSERT_GT(test, READ_ONCE(ctx->seen_n), 0U);
}

/* The source port of the last datagram seen, after checking its ICRC. */
static u16 arrived(struct kunit *test, struct hook_ctx *ctx)
{
	struct fp_roce4 p;

	wait_seen(test, ctx);
	KUNIT_ASSERT_EQ(test, fp_parse_roce4(ctx->seen, ctx->seen_len,
					     ctx->seen_len, &p), 0);
	KUNIT_EXPECT_EQ_MSG(test, fp_icrc4(ctx->seen, ctx->seen_len),
			    fp_icrc4_get(ctx->seen, ctx->seen_len),
			    "the ICRC on arrival does not match");
	ctx->seen_n = 0;
	return p.sport;
}

static int set_entry(struct fp_tnl *t, u64 gen, bool enforce)
{
	struct nlattr *ents, *e, *subs, *sub;
	struct sk_buff *m;
	unsigned int i;

	if (fp_tnl_start(t, FLOWPLAN_CMD_SET_PLAN, 0))
		return -ENOMEM;
	m = t->msg;
	nla_put(m, FLOWPLAN_A_GENERATION, sizeof(gen), &gen);
	ents = nla_nest_start(m, FLOWPLAN_A_ENTRIES);
	e = nla_nest_start(m, 0);
	nla_put_in_addr(m, FLOWPLAN_ENTRY_A_LOCAL_ADDR, LO);
	nla_put_in_addr(m, FLOWPLAN_ENTRY_A_REMOTE_ADDR, LO);
	nla_put_u32(m, FLOWPLAN_ENTRY_A_FLAGS,
		    enforce ? FLOWPLAN_ENTRY_F_ENFORCE : 0);
	subs = nla_nest_start(m, FLOWPLAN_ENTRY_A_SUBFLOWS);
	for (i = 0; i < 2; i++) {
		sub = nla_nest_start(m, i);
		nla_put_u32(m, FLOWPLAN_SUBFLOW_A_FLOW_LABEL, 1 + i);
		nla_put_u16(m, FLOWPLAN_SUBFLOW_A_SPORT, 0xc001 + i);
		nla_nest_end(m, sub);
	}
	nla_nest_end(m, subs);
	nla_nest_end(m, e);
	nla_nest_end(m, ents);
	return fp_tnl_do(t);
}

struct count_seen {
	u16 sport;
	u64 packets, rewritten, untracked;
	unsigned int paths;
};

static int count_cb(void *arg, const struct nlmsghdr *nlh,
		    const struct nlattr *attrs, int len)
{
	struct count_seen *cs = arg;
	const struct nlattr *a, *c, *f;
	u64 packets, rewritten;
	int rem, frem;
	u16 sport;

	for (a = attrs; nla_ok(a, len); a = nla_next(a, &len)) {
		if (nla_type(a) == FLOWPLAN_A_UNTRACKED)
			cs->untracked = nla_get_u64(a);
		if (nla_type(a) != FLOWPLAN_A_COUNTERS)
			continue;
		nla_for_each_nested(c, a, rem) {
			sport = 0;
			packets = 0;
			rewritten = 0;
			nla_for_each_nested(f, c, frem) {
				if (nla_type(f) == FLOWPLAN_COUNTER_A_SPORT)
					sport = nla_get_u16(f);
				if (nla_type(f) == FLOWPLAN_COUNTER_A_PACKETS)
					packets = nla_get_u64(f);
				if (nla_type(f) == FLOWPLAN_COUNTER_A_REWRITTEN)
					rewritten = nla_get_u64(f);
			}
			cs->paths++;
			if (sport == cs->sport) {
				cs->packets = packets;
				cs->rewritten = rewritten;
			}
		}
	}
	return 0;
}

static struct count_seen counted(struct kunit *test, u16 sport)
{
	struct count_seen cs = { .sport = sport };
	struct fp_tnl *t = hook_ctx->nl;

	KUNIT_ASSERT_EQ(test, fp_tnl_start(t, FLOWPLAN_CMD_GET_COUNTERS,
					   NLM_F_DUMP), 0);
	KUNIT_ASSERT_EQ(test, fp_tnl_dump(t, count_cb, &cs), 0);
	return cs;
}

static int hook_init(struct kunit *test)
{
	struct hook_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	int ret;

	if (!ctx)
		return -ENOMEM;
	ctx->nl = kunit_kzalloc(test, sizeof(*ctx->nl), GFP_KERNEL);
	if (!ctx->nl)
		return -ENOMEM;
	ret = fp_tnl_open(ctx->nl, 0, true);
	if (ret)
		return ret;
	/* An empty counter table for every test. */
	fp_tnl_start(ctx->nl, FLOWPLAN_CMD_DEL_COUNTERS, 0);
	ret = fp_tnl_do(ctx->nl);
	if (ret)
		return ret;
	ctx->rx = udp_sock(test, true, FLOWPLAN_ROCE_PORT, false);
	hook_ctx = ctx;
	test->priv = ctx;
	return 0;
}

static void hook_exit(struct kunit *test)
{
	struct hook_ctx *ctx = test->priv;

	hook_ctx = NULL;
	if (!ctx)
		return;
	if (ctx->nl->sock) {
		fp_tnl_start(ctx->nl, FLOWPLAN_CMD_DEL_PLAN, 0);
		fp_tnl_do(ctx->nl);
		fp_tnl_close(ctx->nl);
	}
	if (ctx->rx)
		sock_release(ctx->rx);
}

/* Enforced: moved to subflow dqpn % 2's port, ICRC good on arrival. */
static void hook_enforce_test(struct kunit *test)
{
	struct hook_ctx *ctx = test->priv;
	struct socket *s = udp_sock(test, true, SPORT, true);
	struct count_seen cs;

	KUNIT_ASSERT_EQ(test, set_entry(ctx->nl, 1, true), 0);
	send_roce(test, s, 0x21);
	KUNIT_EXPECT_EQ(test, arrived(test, ctx), 0xc002);
	send_roce(test, s, 0x20);
	KUNIT_EXPECT_EQ(test, arrived(test, ctx), 0xc001);
	cs = counted(test, 0xc002);
	KUNIT_EXPECT_EQ(test, cs.packets, 1ULL);
	KUNIT_EXPECT_EQ(test, cs.rewritten, 1ULL);
	KUNIT_EXPECT_EQ(test, cs.paths, 2U);
	sock_release(s);
}

/* Not enforced: counted on its own port, untouched. */
static void hook_count_test(struct kunit *test)
{
	struct hook_ctx *ctx = test->priv;
	struct socket *s = udp_sock(test, true, SPORT, true);
	struct count_seen cs;

	KUNIT_ASSERT_EQ(test, set_entry(ctx->nl, 1, false), 0);
	send_roce(test, s, 0x21);
	send_roce(test, s, 0x21);
	KUNIT_EXPECT_EQ(test, arrived(test, ctx), SPORT);
	cs = counted(test, SPORT);
	KUNIT_EXPECT_EQ(test, cs.packets, 2ULL);
	KUNIT_EXPECT_EQ(test, cs.rewritten, 0ULL);
	sock_release(s);
}

/*
 * A process's socket, however privileged, and UDP to 4791 that is no
 * RoCEv2: neither counted nor moved, whatever the plan says.
 */
static void hook_not_ours_test(struct kunit *test)
{
	struct hook_ctx *ctx = test->priv;
	struct socket *s = udp_sock(test, false, SPORT, true);
	struct socket *k = udp_sock(test, true, SPORT + 1, true);
	u8 junk[40] = { 0x15, 0, 0xff, 0xff };	/* reserved opcode */
	struct kvec iov = { junk, sizeof(junk) };
	struct msghdr msg = {};

	KUNIT_ASSERT_EQ(test, set_entry(ctx->nl, 1, true), 0);
	send_roce(test, s, 0x21);
	KUNIT_EXPECT_EQ(test, arrived(test, ctx), SPORT);
	KUNIT_ASSERT_EQ(test, kernel_sendmsg(k, &msg, &iov, 1, sizeof(junk)),
			(int)sizeof(junk));
	wait_seen(test, ctx);
	KUNIT_EXPECT_EQ(test, ntohs(((struct udphdr *)(ctx->seen + 20))->source),
			SPORT + 1);
	KUNIT_EXPECT_EQ(test, counted(test, 0).paths, 0U);
	sock_release(k);
	sock_release(s);
}

/* DEL_COUNTERS empties the table. */
static void hook_del_counters_test(struct kunit *test)
{
	struct hook_ctx *ctx = test->priv;
	struct socket *s = udp_sock(test, true, SPORT, true);

	KUNIT_ASSERT_EQ(test, set_entry(ctx->nl, 1, false), 0);
	send_roce(test, s, 0x21);
	KUNIT_EXPECT_EQ(test, counted(test, SPORT).packets, 1ULL);
	KUNIT_ASSERT_EQ(test, fp_tnl_start(ctx->nl, FLOWPLAN_CMD_DEL_COUNTERS,
					   0), 0);
	KUNIT_EXPECT_EQ(test, fp_tnl_do(ctx->nl), 0);
	KUNIT_EXPECT_EQ(test, counted(test, SPORT).paths, 0U);
	send_roce(test, s, 0x21);
	KUNIT_EXPECT_EQ(test, counted(test, SPORT).packets, 1ULL);
	sock_release(s);
}

static int hook_suite_init(struct kunit_suite *suite)
{
	struct net_device *lo = init_net.loopback_dev;
	int ret;

	fp_icrc_init();
	rtnl_lock();
	ret = dev_change_flags(lo, lo->flags | IFF_UP, NULL);
	rtnl_unlock();
	if (ret)
		return ret;
	ret = fp_net_register();
	if (ret)
		return ret;
	ret = fp_genl_init();
	if (ret)
		goto err_net;
	ret = nf_register_net_hooks(&init_net, hook_test_ops,
				    ARRAY_SIZE(hook_test_ops));
	if (ret)
		goto err_genl;
	return 0;
err_genl:
	fp_genl_exit();
err_net:
	fp_net_unregister();
	return ret;
}

static void hook_suite_exit(struct kunit_suite *suite)
{
	nf_unregister_net_hooks(&init_net, hook_test_ops,
				ARRAY_SIZE(hook_test_ops));
	fp_genl_exit();
	fp_net_unregister();
}

static struct kunit_case hook_test_cases[] = {
	KUNIT_CASE(hook_enforce_test),
	KUNIT_CASE(hook_count_test),
	KUNIT_CASE(hook_not_ours_test),
	KUNIT_CASE(hook_del_counters_test),
	{}
};

static struct kunit_suite hook_test_suite = {
	.name = "flowplan_hook",
	.suite_init = hook_suite_init,
	.suite_exit = hook_suite_exit,
	.init = hook_init,
	.exit = hook_exit,
	.test_cases = hook_test_cases,
};

kunit_test_suite(hook_test_suite);
