// SPDX-License-Identifier: MIT
/* Port maps: good files, lookups and bad input (plan entries: test_core_hostplan). */
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
	{ "port 0", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 0 leaf0,spine0,leaf1\n", "pm:2: \"0\" is not a UDP port" },
	{ "port 65536", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 65536 leaf0,spine0,leaf1\n", "\"65536\" is not a UDP port" },
	{ "port -1", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 -1 leaf0,spine0,leaf1\n", "\"-1\" is not a UDP port" },
	{ "port 1x", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 1x leaf0,spine0,leaf1\n", "\"1x\" is not a UDP port" },
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

/* The ends of the port range: 1 and 65535 are ports, kept as written. */
static void test_portmap_port_ends(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1");
	const char *txt = "# flowplan-portmap 1\n"
			  "198.18.0.1 198.18.0.2 65535 leaf0,spine1,leaf1\n"
			  "198.18.0.1 198.18.0.2 1 leaf0,spine0,leaf1\n";
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
	assert_int_equal(r[0].sport, 1);
	assert_int_equal(r[0].path, 0);
	assert_int_equal(r[1].sport, 65535);
	assert_int_equal(r[1].path, 1);
	fp_portmap_free(pm);
	fp_topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_portmap_good),
		cmocka_unit_test(test_portmap_bad),
		cmocka_unit_test(test_portmap_port_ends),
	};

	return cmocka_run_group_tests_name("planner_io", tests, NULL, NULL);
}
