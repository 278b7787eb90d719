// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c - flowplan_bench.ko: the datapath's cost per packet, measured
 * when the module loads (in the UML kernel of tests/kunit/run.sh bench) and
 * printed as ns per packet and as ratios to baselines of the same run: a
 * copy of the packet, and the hook's own work with no plan.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/udp.h>

#include "flowplan.h"
#include "icrc.h"
#include "parse.h"
#include "pin.h"
#include "test_pkt.h"

static unsigned int iterations = 200000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "packets per measurement (200000)");

#define A(x)		htonl(0xc6120000 | (x))
#define PAYLOAD		1024
#define SPORT		0xe5a1
#define ENTRIES		1024

enum fp_bench_mode {
	FP_BENCH_COPY,		/* memcpy of the packet: a floor */
	FP_BENCH_NO_PLAN,	/* parse and count, empty plan */
	FP_BENCH_NO_ENFORCE,	/* plan hit, entry does not enforce */
	FP_BENCH_PINNED,	/* plan hit, port already planned */
	FP_BENCH_REWRITE,	/* plan hit, port and ICRC rewritten */
	FP_BENCH_N
};

static const char *const fp_bench_names[FP_BENCH_N] = {
	"copy of the packet", "hook, no plan", "hook, entry not enforced",
	"hook, port already planned", "hook, port rewritten + ICRC",
};

static struct fp_plan *fp_bench_plan(bool enforce)
{
	struct fp_plan *plan = fp_plan_alloc(ENTRIES, 1, GFP_KERNEL);
	struct fp_entry e = {};
	unsigned int i;

	if (!plan)
		return NULL;
	for (i = 0; i < ENTRIES; i++) {
		e.local = A(1);
		e.remote = A(2 + i);
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
		uh->source = htons(sport);
		rcu_read_lock();
		fp_hook_skb(fn, skb);
		rcu_read_unlock();
	}
	return ktime_get_ns() - t0;
}

static int __init fp_bench_init(void)
{
	struct fp_plan *plans[FP_BENCH_N] = {};
	u64 ns[FP_BENCH_N];
	struct fp_net *fn;
	struct sk_buff *skb;
	unsigned int len, m, pass;
	u8 *copy;
	int ret = -ENOMEM;

	fn = kzalloc(sizeof(*fn), GFP_KERNEL);
	skb = alloc_skb(FP_TEST_PKT_MAX + PAYLOAD, GFP_KERNEL);
	copy = kmalloc(FP_TEST_PKT_MAX + PAYLOAD, GFP_KERNEL);
	if (!fn || !skb || !copy)
		goto out;
	fn->counters = fp_counters_alloc(4096);
	plans[FP_BENCH_NO_ENFORCE] = fp_bench_plan(false);
	plans[FP_BENCH_PINNED] = fp_bench_plan(true);
	plans[FP_BENCH_REWRITE] = fp_bench_plan(true);
	if (!fn->counters || !plans[FP_BENCH_NO_ENFORCE] ||
	    !plans[FP_BENCH_PINNED] || !plans[FP_BENCH_REWRITE])
		goto out;

	len = fp_test_pkt(skb_put(skb, 20 + 8 + FP_BTH_LEN + PAYLOAD +
				  FP_ICRC_LEN),
			  A(1), A(2 + ENTRIES / 2), SPORT, 0x21, PAYLOAD);
	skb_reset_network_header(skb);
	skb->protocol = htons(ETH_P_IP);

	/* One pass to warm caches and branch predictors, one to measure. */
	for (pass = 0; pass < 2; pass++) {
		for (m = 0; m < FP_BENCH_N; m++) {
			rcu_assign_pointer(fn->plan, plans[m]);
			ns[m] = fp_bench_run(fn, skb, copy, m,
					     m == FP_BENCH_PINNED ? 0xc002 :
					     SPORT);
		}
	}
	pr_info("%u packets of %u bytes, plan of %u entries\n", iterations,
		len, ENTRIES);
	for (m = 0; m < FP_BENCH_N; m++)
		pr_info("%-28s %6llu ns/packet  x%llu.%02llu of a copy  x%llu.%02llu of no plan\n",
			fp_bench_names[m], div_u64(ns[m], iterations),
			div64_u64(ns[m], ns[FP_BENCH_COPY]),
			div64_u64(ns[m] % ns[FP_BENCH_COPY] * 100,
				  ns[FP_BENCH_COPY]),
			div64_u64(ns[m], ns[FP_BENCH_NO_PLAN]),
			div64_u64(ns[m] % ns[FP_BENCH_NO_PLAN] * 100,
				  ns[FP_BENCH_NO_PLAN]));
	ret = 0;
out:
	for (m = 0; m < FP_BENCH_N; m++)
		fp_plan_free(plans[m]);
	if (fn)
		fp_counters_free(fn->counters);
	kfree(fn);
	kfree_skb(skb);
	kfree(copy);
	return ret;
}

static void __exit fp_bench_exit(void)
{
}

module_init(fp_bench_init);
module_exit(fp_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("flowplan datapath cost per packet");
