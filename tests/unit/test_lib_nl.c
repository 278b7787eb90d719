// SPDX-License-Identifier: MIT
/*
 * test_lib_nl - parsing the flowplan module's FLOWPLAN_CMD_GET_PLAN dump
 * messages (include/uapi/linux/flowplan.h), built here with libnl as the
 * module would send them: good entries, entries across several messages,
 * absent weights (equal shares), and malformed messages refused with EPROTO
 * and a message naming the entry. The dump itself needs the module: the
 * qemu test lib-flowgroup runs it against flowplan.ko.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/flowplan.h>

#include "flowplan/fp_priv.h"

struct sub {
	uint32_t label;
	int sport;		/* -1: absent */
	int64_t weight;		/* -1: absent */
};

struct entry {
	const char *local, *remote;
	int64_t dqpn;		/* -1: absent */
	uint32_t flags;
	int nsub;
	struct sub sub[FP_MAX_SUBFLOWS + 1];
	int addr_len;		/* 0: 4 (a malformed entry sets another) */
};

static struct nl_msg *plan_msg(uint64_t gen, const struct entry *e, int n)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *ents;
	int i, j;

	assert_non_null(msg);
	assert_non_null(genlmsg_put(msg, 0, 0, 0x20, 0, NLM_F_MULTI,
				    FLOWPLAN_CMD_GET_PLAN,
				    FLOWPLAN_GENL_VERSION));
	nla_put_u64(msg, FLOWPLAN_A_GENERATION, gen);
	nla_put_u32(msg, FLOWPLAN_A_NENTRIES, (uint32_t)n);
	ents = nla_nest_start(msg, FLOWPLAN_A_ENTRIES);
	for (i = 0; i < n; i++) {
		struct nlattr *en = nla_nest_start(msg, i), *subs;
		uint32_t l, r;

		inet_pton(AF_INET, e[i].local, &l);
		inet_pton(AF_INET, e[i].remote, &r);
		nla_put(msg, FLOWPLAN_ENTRY_A_LOCAL_ADDR,
			e[i].addr_len ? e[i].addr_len : 4, &l);
		nla_put(msg, FLOWPLAN_ENTRY_A_REMOTE_ADDR, 4, &r);
		if (e[i].dqpn >= 0)
			nla_put_u32(msg, FLOWPLAN_ENTRY_A_DQPN,
				    (uint32_t)e[i].dqpn);
		nla_put_u32(msg, FLOWPLAN_ENTRY_A_FLAGS, e[i].flags);
		subs = nla_nest_start(msg, FLOWPLAN_ENTRY_A_SUBFLOWS);
		for (j = 0; j < e[i].nsub; j++) {
			struct nlattr *s = nla_nest_start(msg, j);

			nla_put_u32(msg, FLOWPLAN_SUBFLOW_A_FLOW_LABEL,
				    e[i].sub[j].label);
			if (e[i].sub[j].sport >= 0)
				nla_put_u16(msg, FLOWPLAN_SUBFLOW_A_SPORT,
					    (uint16_t)e[i].sub[j].sport);
			if (e[i].sub[j].weight >= 0)
				nla_put_u32(msg, FLOWPLAN_SUBFLOW_A_WEIGHT,
					    (uint32_t)e[i].sub[j].weight);
			nla_nest_end(msg, s);
		}
		nla_nest_end(msg, subs);
		nla_nest_end(msg, en);
	}
	nla_nest_end(msg, ents);
	return msg;
}

static int parse(struct nl_msg *msg, struct fp_entries *t,
		 struct fp_nl_dump *d, struct fp_err *err)
{
	int ret;

	d->t = t;
	d->e = err;
	ret = fp_nl_plan_msg(nlmsg_hdr(msg), d);
	nlmsg_free(msg);
	return ret;
}

static uint32_t ip(const char *s)
{
	uint32_t a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static void test_good_dump(void **state)
{
	const struct entry e1[] = {
		{ .local = "198.18.0.1", .remote = "198.18.0.5", .dqpn = 0,
		  .flags = FLOWPLAN_ENTRY_F_ENFORCE, .nsub = 2,
		  .sub = { { 1, 49153, 40000 }, { 2, 49154, 25536 } } },
		{ .local = "198.18.0.1", .remote = "198.18.0.5", .dqpn = 77,
		  .nsub = 1, .sub = { { 9, -1, -1 } } },
	};
	const struct entry e2[] = {
		/* weights absent: equal shares */
		{ .local = "198.18.0.5", .remote = "198.18.0.1", .dqpn = -1,
		  .nsub = 3,
		  .sub = { { 5, -1, -1 }, { 6, -1, -1 }, { 0x4001, -1, -1 } } },
	};
	struct fp_entries t = { 0 };
	struct fp_nl_dump d = { 0 };
	struct fp_err err = { { 0 } };
	const struct fp_entry *x;
	struct fp_pinset ps;
	struct fp_plan p = { .source = FP_PLAN_NETLINK, .default_k = 1 };

	(void)state;
	/* A plan may span several messages of one dump. */
	assert_int_equal(parse(plan_msg(12, e1, 2), &t, &d, &err), 0);
	assert_int_equal(parse(plan_msg(12, e2, 1), &t, &d, &err), 0);
	assert_false(d.intr);
	assert_int_equal(t.generation, 12);
	assert_int_equal(t.n, 3);

	x = fp_entries_find(&t, ip("198.18.0.1"), ip("198.18.0.5"), 0);
	assert_non_null(x);
	assert_true(x->enforce);
	assert_int_equal(x->nsub, 2);
	assert_int_equal(x->sub[1].sport, 49154);
	assert_int_equal(x->sub[0].weight, 40000);
	x = fp_entries_find(&t, ip("198.18.0.1"), ip("198.18.0.5"), 77);
	assert_int_equal(x->dqpn, 77);
	/* No sport attribute: the one the label gives. */
	assert_int_equal(x->sub[0].sport, 0xC000 | 9);
	assert_int_equal(x->sub[0].weight, FP_WEIGHT_ONE);

	/* The plan's pins from a netlink table, as fp_ctx_open uses them. */
	p.t = t;
	fp_plan_pins(&p, ip("198.18.0.5"), ip("198.18.0.1"), 0, &ps);
	assert_int_equal(ps.k, 3);
	assert_int_equal(ps.weight[0] + ps.weight[1] + ps.weight[2],
			 FP_WEIGHT_ONE);
	assert_int_equal(ps.label[2], 0x4001);
	fp_entries_free(&t);
}

static void test_dump_intr(void **state)
{
	const struct entry e[] = {
		{ .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = -1,
		  .nsub = 1, .sub = { { 1, -1, -1 } } },
	};
	struct fp_entries t = { 0 };
	struct fp_nl_dump d = { 0 };
	struct fp_err err = { { 0 } };
	struct nl_msg *msg = plan_msg(3, e, 1);

	(void)state;
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_DUMP_INTR;
	assert_int_equal(parse(msg, &t, &d, &err), 0);
	assert_true(d.intr);		/* the caller dumps again */
	fp_entries_free(&t);
}

static void test_malformed(void **state)
{
	static struct entry cases[] = {
		/* address of 3 bytes */
		{ .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = -1,
		  .nsub = 1, .sub = { { 1, -1, -1 } }, .addr_len = 3 },
		/* no subflows */
		{ .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = -1 },
		/* flow label beyond 20 bits */
		{ .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = -1,
		  .nsub = 1, .sub = { { 0x100000, -1, -1 } } },
		/* weight beyond 65536 */
		{ .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = -1,
		  .nsub = 1, .sub = { { 1, -1, 70000 } } },
	};
	struct entry many = { .local = "10.0.0.1", .remote = "10.0.0.2",
			      .dqpn = -1, .nsub = FP_MAX_SUBFLOWS + 1 };
	size_t c;
	int i;

	(void)state;
	for (i = 0; i <= FP_MAX_SUBFLOWS; i++)
		many.sub[i] = (struct sub){ (uint32_t)i + 1, -1, -1 };
	for (c = 0; c <= sizeof(cases) / sizeof(cases[0]); c++) {
		const struct entry good = { .local = "10.0.0.9",
					    .remote = "10.0.0.8", .dqpn = -1,
					    .nsub = 1, .sub = { { 1, -1, -1 } } };
		struct entry two[2] = { good, c < 4 ? cases[c] : many };
		struct fp_entries t = { 0 };
		struct fp_nl_dump d = { 0 };
		struct fp_err err = { { 0 } };

		assert_int_equal(parse(plan_msg(1, two, 2), &t, &d, &err),
				 EPROTO);
		if (!strstr(err.msg, "entry 1"))
			fail_msg("case %zu: \"%s\" does not name entry 1", c,
				 err.msg);
		fp_entries_free(&t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_dump),
		cmocka_unit_test(test_dump_intr),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests_name("lib_nl", tests, NULL, NULL);
}
