// SPDX-License-Identifier: GPL-2.0
/* test_hook.c - the datapath's setting for the KUnit suites (test_hook.h). */
#include <linux/net.h>
#include <net/net_namespace.h>

#include "flowplan.h"
#include "icrc.h"
#include "pin.h"
#include "test_hook.h"

static void fp_test_hook_free(struct fp_test_hook *h)
{
	fp_plan_free(rcu_dereference_protected(h->fn.plan, true));
	fp_counters_free(h->c);
	if (h->ksock)
		sock_release(h->ksock);
	if (h->usock)
		sock_release(h->usock);
	fp_icrc_check = false;
}

int fp_test_hook_init(struct kunit *test, const struct fp_entry *e,
		      unsigned int n)
{
	struct fp_test_hook *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	struct fp_plan *plan;
	unsigned int i;
	int ret;

	if (!h)
		return -ENOMEM;
	fp_icrc_init();
	ret = sock_create_kern(&init_net, AF_INET, SOCK_DGRAM, IPPROTO_UDP,
			       &h->ksock);
	if (!ret)
		ret = sock_create(AF_INET, SOCK_DGRAM, IPPROTO_UDP, &h->usock);
	if (ret)
		goto out;
	ret = -ENOMEM;
	h->c = fp_counters_alloc(64);
	plan = fp_plan_alloc(n, 1, GFP_KERNEL);
	RCU_INIT_POINTER(h->fn.counters, h->c);
	RCU_INIT_POINTER(h->fn.plan, plan);
	if (!h->c || !plan)
		goto out;
	for (i = 0; i < n; i++) {
		ret = fp_plan_add(plan, &e[i]);
		if (ret)
			goto out;
	}
	test->priv = h;
	return 0;
out:
	fp_test_hook_free(h);
	return ret;
}

void fp_test_hook_exit(struct kunit *test)
{
	if (test->priv)
		fp_test_hook_free(test->priv);
}
