// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c - flowplan_bench.ko: the datapath's cost per packet, measured
 * when the module loads (in the UML kernel of tests/kunit/run.sh bench) and
 * printed as ns per packet and as ratios to baselines of the same run: a
 * copy of the packet, the hook's own work with no plan, and with an entry
 * that does not enforce; for RoCEv2 payloads of 256, 1024 and 4096 bytes.
 * The modes are measured in interleaved rounds and each keeps its fastest:
 * on a shared machine, other work only ever adds time to a round.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/net_namespace.h>

#include "flowplan.h"
#include "icrc.h"
#include "parse.h"
#include "pin.h"
#include "test_pkt.h"

static unsigned int iterations = 20000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "packets per round of a measurement (20000)");

static unsigned int rounds = 25;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds,
		 "rounds of each measurement, interleaved; the fastest counts (25)");

#define A(x)		htonl(0xc6120000 | (x))
#define SPORT		0xe5a1
#define ENTRIES		1024

static const unsigned int fp_bench_sizes[] = { 256, 1024, 4096 };

enum fp_bench_mode {
	FP_BENCH_COPY,		/* memcpy of the packet: a floor */
	FP_BENCH_NO_PLAN,	/* parse and count, empty plan */
	FP_BENCH_NO_ENFORCE,	/* plan hit, entry does not enforce */
	FP_BENCH_PINNED,	/* plan hit, port already planned */
	FP_BENCH_REWRITE,	/* plan hit, port and ICRC rewritten */
	FP_BENCH_UPDATE,	/* the port and ICRC update alone */
	FP_BENCH_N
};

static const char *const fp_bench_names[FP_BENCH_N] = {
	"copy of the packet", "hook, no plan", "hook, entry not enforced",
	"hook, port already planned", "hook, port rewritten + ICRC",
	"port + ICRC update alone",
};

static struct fp_plan *fp_bench_plan(bool enforce)
{
	struct fp_plan *plan = fp_plan_alloc(ENTRIES, 1, GFP_KERNEL);
	struct fp_entry e = {};
	unsigned int i;

	if (!plan)
		return NULL;
	for (i = 0; i < ENTRIES; i++) {
		e.local = FP_ADDR4(A(1));
		e.remote = FP_ADDR4(A(2 + i));
		e.flags = enforce ? FLOWPLAN_ENTRY_F_ENFORCE : 0;
		e.nsub = 2;
		e.sub[0].sport = 0xc001;
		e.sub[1].sport = 0xc002;
		if (fp_plan_add(plan, &e)) {
			fp_plan_free(plan);
			return NULL;
		}
	}
	return plan;
}

static u64 fp_bench_run(struct fp_net *fn, struct sk_buff *skb, u8 *copy,
			enum fp_bench_mode mode, u16 sport)
{
	struct udphdr *uh = (struct udphdr *)(skb->data + 20);
	unsigned int i;
	u64 t0;

	t0 = ktime_get_ns();
	for (i = 0; i < iterations; i++) {
		if (mode == FP_BENCH_COPY) {
			memcpy(copy, skb->data, skb->len);
			barrier_data(copy);
			continue;
		}
		if (mode == FP_BENCH_UPDATE) {
			fp_roce4_set_sport(skb->data, skb->len,
					   i & 1 ? sport : 0xc002);
			barrier_data(skb->data);
			continue;
		}
		uh->source = htons(sport);
		rcu_read_lock();
		fp_hook_skb(fn, skb);
		rcu_read_unlock();
	}
	return ktime_get_ns() - t0;
}

struct fp_ratio {
	char s[24];
};

/* "xI.FF", @a / @b */
static struct fp_ratio fp_ratio(u64 a, u64 b)
{
	struct fp_ratio r;

	snprintf(r.s, sizeof(r.s), "x%llu.%02llu", div64_u64(a, b),
		 div64_u64(a % b * 100, b));
	return r;
}

static int fp_bench_size(struct fp_net *fn, struct fp_plan **plans,
			 struct socket *sock, unsigned int payload)
{
	u64 ns[FP_BENCH_N], t;
	struct sk_buff *skb;
	unsigned int len, m, pass;
	u8 *copy;

	skb = alloc_skb(FP_TEST_PKT_LEN(payload), GFP_KERNEL);
	copy = kmalloc(FP_TEST_PKT_LEN(payload), GFP_KERNEL);
	if (!skb || !copy) {
		kfree_skb(skb);
		kfree(copy);
		return -ENOMEM;
	}
	len = fp_test_pkt(skb_put(skb, FP_TEST_PKT_LEN(payload)), A(1),
			  A(2 + ENTRIES / 2), SPORT, 0x21, payload);
	skb_reset_network_header(skb);
	skb->protocol = htons(ETH_P_IP);
	skb->sk = sock->sk;	/* as rxe's packets; no destructor */

	/* Round 0 warms caches and branch predictors and is not counted. */
	for (m = 0; m < FP_BENCH_N; m++)
		ns[m] = U64_MAX;
	for (pass = 0; pass <= rounds; pass++) {
		for (m = 0; m < FP_BENCH_N; m++) {
			rcu_assign_pointer(fn->plan, plans[m]);
			t = fp_bench_run(fn, skb, copy, m,
					 m == FP_BENCH_PINNED ? 0xc002 : SPORT);
			if (pass)
				ns[m] = min(ns[m], t);
		}
		cond_resched();
	}
	pr_info("%u x %u packets of %u bytes (%u payload), plan of %u entries\n",
		rounds, iterations, len, payload, ENTRIES);
	for (m = 0; m < FP_BENCH_N; m++)
		pr_info("%-28s %6llu ns/packet  %s of a copy  %s of no plan  %s of not enforced\n",
			fp_bench_names[m], div_u64(ns[m], iterations),
			fp_ratio(ns[m], ns[FP_BENCH_COPY]).s,
			fp_ratio(ns[m], ns[FP_BENCH_NO_PLAN]).s,
			fp_ratio(ns[m], ns[FP_BENCH_NO_ENFORCE]).s);
	pr_info("payload %u: rewrite + ICRC %s of not enforced (%llu ns/packet)\n",
		payload,
		fp_ratio(ns[FP_BENCH_REWRITE], ns[FP_BENCH_NO_ENFORCE]).s,
		div_u64(ns[FP_BENCH_REWRITE], iterations));
	skb->sk = NULL;
	kfree_skb(skb);
	kfree(copy);
	return 0;
}

static int __init fp_bench_init(void)
{
	struct fp_plan *plans[FP_BENCH_N] = {};
	struct fp_counters *c = NULL;
	struct socket *sock = NULL;
	struct fp_net *fn;
	unsigned int i, m;
	int ret = -ENOMEM;

	fp_icrc_init();
	fn = kzalloc(sizeof(*fn), GFP_KERNEL);
	if (!fn)
		goto out;
	ret = sock_create_kern(&init_net, AF_INET, SOCK_DGRAM, IPPROTO_UDP,
			       &sock);
	if (ret)
		goto out;
	ret = -ENOMEM;
	c = fp_counters_alloc(4096);
	RCU_INIT_POINTER(fn->counters, c);
	plans[FP_BENCH_NO_ENFORCE] = fp_bench_plan(false);
	plans[FP_BENCH_PINNED] = fp_bench_plan(true);
	plans[FP_BENCH_REWRITE] = fp_bench_plan(true);
	if (!c || !plans[FP_BENCH_NO_ENFORCE] ||
	    !plans[FP_BENCH_PINNED] || !plans[FP_BENCH_REWRITE])
		goto out;
	for (i = 0; i < ARRAY_SIZE(fp_bench_sizes); i++) {
		ret = fp_bench_size(fn, plans, sock, fp_bench_sizes[i]);
		if (ret)
			goto out;
	}
out:
	for (m = 0; m < FP_BENCH_N; m++)
		fp_plan_free(plans[m]);
	fp_counters_free(c);
	kfree(fn);
	if (sock)
		sock_release(sock);
	return ret;
}

static void __exit fp_bench_exit(void)
{
}

module_init(fp_bench_init);
module_exit(fp_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowplan datapath cost per packet");
