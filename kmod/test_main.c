// SPDX-License-Identifier: GPL-2.0
/*
 * test_main.c - flowplan_test.ko: the KUnit suites of the module, each in
 * its *_test.c: parse, icrc, plan (with the counters), policy, staging,
 * pin, netlink (the family through netlink sockets) and hook (the hook in
 * the stack, over loopback).
 */
#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of flowplan's datapath and plan logic");
