/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_hook.h - what the KUnit suites of the datapath (pin_test.c,
 * roce6_test.c) send packets through: a namespace's plan and counter
 * table, a kernel socket as rxe sends from and a process's socket.
 */
#ifndef _FLOWPLAN_TEST_HOOK_H
#define _FLOWPLAN_TEST_HOOK_H

#include <kunit/test.h>

#include "flowplan.h"

struct fp_test_hook {
	struct fp_net fn;	/* plan and counters, as the hook reads them */
	struct fp_counters *c;	/* fn's counter table */
	struct socket *ksock;	/* a kernel socket, as rxe sends from */
	struct socket *usock;	/* a process's socket */
};

/*
 * fp_test_hook_init - a suite's init: @test->priv becomes a struct
 * fp_test_hook with a plan of the @n entries @e, a counter table of 64
 * slots and the two sockets; the ICRC tables are made ready. Returns 0, or
 * -errno having freed what it made.
 */
int fp_test_hook_init(struct kunit *test, const struct fp_entry *e,
		      unsigned int n);
/* The suite's exit: frees them and turns icrc_check off again. */
void fp_test_hook_exit(struct kunit *test);

#endif
