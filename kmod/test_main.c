// SPDX-License-Identifier: GPL-2.0
/*
 * test_main.c - flowplan_test.ko: the KUnit suites of the module's logic
 * (parse, icrc, plan, counters, policy, pin), each in its *_test.c.
 */
#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of flowplan's datapath and plan logic");
