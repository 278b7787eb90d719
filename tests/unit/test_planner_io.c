// SPDX-License-Identifier: MIT
/* Port maps and plan entries: good files, lookups and bad input. */
#include <errno.h>
#include <stdlib.h>

#include "planner/util.h"
#include "planner_util.h"

static void test_portmap_good(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1");
	const char *txt = "# flowplan-portmap 1\n"
			  "# a comment\n"
			  "\n"
			  "198.18.0.1 198.18.0.2 49154 leaf0,spine1,leaf1\n"
			  "198.18.0.1 198.18.0.2 49153 leaf0,spine0,leaf1\n"
			  "198.18.0.2 198.18.0.1 - unresolved\n";
	struct fp_portmap *pm;
	const struct fp_pm_row *r;
	struct fp_err err;
	uint32_t a, b;
	size_t n;

	(void)state;
	assert_int_equal(fp_portmap_parse(txt, "pm", t, &pm, &err), 0);
	fp_parse_ipv4("198.18.0.1", &a);
	fp_parse_ipv4("198.18.0.2", &b);
	r = fp_portmap_pair(pm, a, b, &n);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].sport, 49153);	/* sorted by port */
	assert_int_equal(r[0].path, 0);
	assert_int_equal(r[1].path, 1);
	r = fp_portmap_pair(pm, b, a, &n);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].path, -1);
	fp_portmap_free(pm);
	fp_topo_free(t);
}

struct bad_case {
	const char *name, *text, *want;
};

static const struct bad_case bad_pm[] = {
	{ "header", "198.18.0.1 198.18.0.2 49153 leaf0,spine0,leaf1\n", "pm:1: first line" },
	{ "empty", "", "empty file" },
	{ "fields", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 49153\n", "pm:2: expected" },
	{ "addr", "# flowplan-portmap 1\n198.18.0.1 198.18.0 49153 leaf0\n", "pm:2: bad IPv4" },
	{ "unknown addr", "# flowplan-portmap 1\n10.9.9.9 198.18.0.2 49153 leaf0,spine0,leaf1\n", "10.9.9.9 is not a NIC address" },
	{ "port", "# flowplan-portmap 1\n\n198.18.0.1 198.18.0.2 70000 leaf0,spine0,leaf1\n", "pm:3: \"70000\" is not a UDP port" },
	{ "switch", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 49153 leaf0,spine7,leaf1\n", "\"spine7\" is not a switch" },
	{ "ends", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 49153 spine0,leaf1\n", "path must run from leaf0 to leaf1" },
	{ "not a path", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 49153 leaf0,leaf1\n", "no live shortest path" },
	{ "unresolved port", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 5 unresolved\n", "sport \"-\"" },
};

static void test_portmap_bad(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_pm) / sizeof(bad_pm[0]); i++) {
		struct fp_portmap *pm = NULL;
		struct fp_err err = { "" };
		int rc = fp_portmap_parse(bad_pm[i].text, "pm", t, &pm, &err);

		if (!rc || !strstr(err.msg, bad_pm[i].want))
			fail_msg("case %s: rc %d, error \"%s\", wanted \"%s\"", bad_pm[i].name, rc,
				 err.msg, bad_pm[i].want);
		assert_null(pm);
	}
	fp_topo_free(t);
}

#define PH "{\"format\":\"flowplan-plan\",\"version\":1,\"generation\":3,\"entries\":["
#define E1 "{\"src_addr\":\"198.18.0.1\",\"dst_addr\":\"198.18.0.2\","

static void test_entries_lookup(void **state)
{
	const char *txt = PH E1 "\"subflows\":[{\"flow_label\":1,\"weight\":65536}]},"
			  E1 "\"dqpn\":77,\"enforce\":true,\"subflows\":[{\"flow_label\":2,\"sport\":49154,\"weight\":30000},"
			  "{\"flow_label\":3,\"weight\":35536}]}]}";
	struct fp_entries e;
	struct fp_err err;
	uint32_t a, b;

	(void)state;
	assert_int_equal(fp_entries_parse(txt, strlen(txt), "plan", &e, &err), 0);
	assert_int_equal(e.generation, 3);
	assert_int_equal(e.n, 2);
	fp_parse_ipv4("198.18.0.1", &a);
	fp_parse_ipv4("198.18.0.2", &b);
	assert_ptr_equal(fp_entries_find(&e, a, b, 77), &e.e[1]);	/* exact dqpn wins */
	assert_ptr_equal(fp_entries_find(&e, a, b, 78), &e.e[0]);	/* else the wildcard */
	assert_null(fp_entries_find(&e, b, a, 77));
	assert_true(e.e[1].enforce);
	assert_int_equal(e.e[1].sub[1].sport, 0xC003);
	fp_entries_free(&e);
}

static const struct bad_case bad_e[] = {
	{ "format", "{\"format\":\"flowplan-topology\",\"version\":1}", "must be \"flowplan-plan\"" },
	{ "no entries", "{\"format\":\"flowplan-plan\",\"version\":1}", "missing array \"entries\"" },
	{ "sum", PH E1 "\"subflows\":[{\"flow_label\":1,\"weight\":6}]}]}", "weights sum to 6, not 65536" },
	{ "label 0", PH E1 "\"subflows\":[{\"flow_label\":0,\"weight\":65536}]}]}", "0 pins nothing" },
	{ "label big", PH E1 "\"subflows\":[{\"flow_label\":2000000,\"weight\":65536}]}]}", "out of range" },
	{ "sport", PH E1 "\"subflows\":[{\"flow_label\":1,\"sport\":4791,\"weight\":65536}]}]}", "flow label 1 gives 49153" },
	{ "addr", PH "{\"src_addr\":\"x\",\"dst_addr\":\"198.18.0.2\",\"subflows\":[]}]}", "src_addr: expected an IPv4" },
	{ "empty subs", PH E1 "\"subflows\":[]}]}", "non-empty array" },
	{ "dqpn", PH E1 "\"dqpn\":16777216,\"subflows\":[{\"flow_label\":1,\"weight\":65536}]}]}", "dqpn" },
	{ "dup", PH E1 "\"subflows\":[{\"flow_label\":1,\"weight\":65536}]}," E1
	  "\"subflows\":[{\"flow_label\":1,\"weight\":65536}]}]}", "same (src_addr, dst_addr, dqpn) as entries[0]" },
	{ "enforce", PH E1 "\"enforce\":1,\"subflows\":[{\"flow_label\":1,\"weight\":65536}]}]}", "expected true or false" },
	{ "key", PH E1 "\"prio\":1,\"subflows\":[{\"flow_label\":1,\"weight\":65536}]}]}", "unknown key \"prio\"" },
	{ "generation", "{\"format\":\"flowplan-plan\",\"version\":1,\"generation\":-1,\"entries\":[]}", "generation" },
};

static void test_entries_bad(void **state)
{
	char many[4096];
	size_t i, len;
	struct fp_entries e;
	struct fp_err err = { "" };

	(void)state;
	for (i = 0; i < sizeof(bad_e) / sizeof(bad_e[0]); i++) {
		int rc = fp_entries_parse(bad_e[i].text, strlen(bad_e[i].text), "plan", &e, &err);

		if (!rc || !strstr(err.msg, bad_e[i].want))
			fail_msg("case %s: rc %d, error \"%s\", wanted \"%s\"", bad_e[i].name, rc,
				 err.msg, bad_e[i].want);
	}
	/* 17 subflows: one more than an entry holds */
	len = (size_t)snprintf(many, sizeof(many), PH E1 "\"subflows\":[");
	for (i = 0; i < 17; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "%s{\"flow_label\":%zu,\"weight\":%d}",
					i ? "," : "", i + 1, i ? 3855 : 3856);
	snprintf(many + len, sizeof(many) - len, "]}]}");
	assert_int_equal(fp_entries_parse(many, strlen(many), "plan", &e, &err), E2BIG);
	assert_non_null(strstr(err.msg, "17 subflows, at most 16"));
	assert_int_equal(fp_entries_load("/nonexistent/plan.json", &e, &err), ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/plan.json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_portmap_good),
		cmocka_unit_test(test_portmap_bad),
		cmocka_unit_test(test_entries_lookup),
		cmocka_unit_test(test_entries_bad),
	};

	return cmocka_run_group_tests_name("planner_io", tests, NULL, NULL);
}
