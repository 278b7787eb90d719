// SPDX-License-Identifier: MIT
/* Port maps: good files, lookups and bad input (plan entries: test_core_hostplan). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "planner/util.h"
#include "planner_util.h"

static void test_portmap_good(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1");
	const char *txt = "# flowplan-portmap 1\n"
			  "# a comment\n"
			  "\n"
			  "  \t# an indented comment, and a line of blanks\n"
			  " \t\x20\n"
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
	{ "addr", "# flowplan-portmap 1\n198.18.0.1 198.18.0 49153 leaf0\n", "pm:2: \"198.18.0\" is not an IPv4 or IPv6 address" },
	{ "v6 addr", "# flowplan-portmap 1\n198.18.0.1 2001:db8::g 49153 leaf0\n", "pm:2: \"2001:db8::g\" is not an IPv4 or IPv6 address" },
	{ "v6 mapped", "# flowplan-portmap 1\n::ffff:198.18.0.1 198.18.0.2 49153 leaf0,spine0,leaf1\n", "IPv4-mapped IPv6 address (write IPv4 as a dotted quad)" },
	{ "v6 unknown", "# flowplan-portmap 1\n2001:db8::1 2001:db8::2 49153 leaf0,spine0,leaf1\n", "2001:db8::1 is not a NIC address" },
	{ "families", "# flowplan-portmap 1\n198.18.0.1 2001:db8::2 49153 leaf0,spine0,leaf1\n", "are of different families" },
	{ "v6 multicast", "# flowplan-portmap 1\nff02::1 198.18.0.2 49153 leaf0,spine0,leaf1\n", "\"ff02::1\" is a multicast address" },
	{ "unknown addr", "# flowplan-portmap 1\n10.9.9.9 198.18.0.2 49153 leaf0,spine0,leaf1\n", "10.9.9.9 is not a NIC address" },
	{ "port", "# flowplan-portmap 1\n\n198.18.0.1 198.18.0.2 70000 leaf0,spine0,leaf1\n", "pm:3: \"70000\" is not a UDP port" },
	{ "port 0", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 0 leaf0,spine0,leaf1\n", "pm:2: \"0\" is not a UDP port" },
	{ "port 65536", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 65536 leaf0,spine0,leaf1\n", "\"65536\" is not a UDP port" },
	{ "port -1", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 -1 leaf0,spine0,leaf1\n", "\"-1\" is not a UDP port" },
	{ "port 1x", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 1x leaf0,spine0,leaf1\n", "\"1x\" is not a UDP port" },
	{ "switch", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 49153 leaf0,spine7,leaf1\n", "\"spine7\" is not a switch" },
	{ "ends", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 49153 spine0,leaf1\n", "path must run from leaf0 to leaf1" },
	{ "not a path", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 49153 leaf0,leaf1\n", "no live shortest path" },
	/* a shortest path and a switch more: its hops past the path's own must not be read */
	/* 9 switches: refused at the ninth, before it is stored */
	{ "9 switches", "# flowplan-portmap 1\n198.18.0.1 198.18.0.2 49153 leaf0,spine0,leaf1,spine1,leaf0,spine0,leaf1,spine1,leaf1\n", "pm:2: path has more than 8 switches" },
	{ "longer path", "# flowplan-portmap 1\n198.18.0.2 198.18.0.1 49153 leaf1,spine0,leaf0,leaf0\n", "pm:2: no live shortest path" },
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

/* The IPv6 twin of test_portmap_good: rows, comments, lookups, any spelling. */
static void test_portmap_good_v6(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1,ipv6");
	const char *txt = "# flowplan-portmap 1\n"
			  "# a comment\n"
			  "\n"
			  "2001:2::1 2001:2::2 49154 leaf0,spine1,leaf1\n"
			  "2001:0002:0:0::0001 2001:2::0:2 49153 leaf0,spine0,leaf1\n"
			  "2001:2::2 2001:2::1 - unresolved\n";
	struct fp_portmap *pm;
	const struct fp_pm_row *r;
	struct fp_addr a, b, x;
	struct fp_err err;
	size_t n;

	(void)state;
	assert_int_equal(fp_portmap_parse(txt, "pm", t, &pm, &err), 0);
	assert_int_equal(fp_addr_parse("2001:2::1", &a), 0);
	assert_int_equal(fp_addr_parse("2001:2::2", &b), 0);
	r = fp_portmap_pair_ip(pm, &a, &b, &n);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].sport, 49153);	/* sorted by port */
	assert_int_equal(r[0].path, 0);
	assert_int_equal(r[1].path, 1);
	x = fp_pm_row_src(&r[0]);
	assert_int_equal(fp_addr_cmp(&x, &a), 0);
	x = fp_pm_row_dst(&r[0]);
	assert_int_equal(fp_addr_cmp(&x, &b), 0);
	r = fp_portmap_pair_ip(pm, &b, &a, &n);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].path, -1);
	/* An IPv4 lookup finds nothing in an IPv6 map. */
	assert_null(fp_portmap_pair(pm, 0x010012c6u, 0x020012c6u, &n));
	assert_int_equal(n, 0);
	fp_portmap_free(pm);
	fp_topo_free(t);
}

/* One map of both families, on a fabric whose NICs are of both. */
static void test_portmap_dual(void **state)
{
	static const char topo[] =
		"{\"format\":\"flowplan-topology\",\"version\":1,\"name\":\"dual\","
		"\"switches\":[{\"name\":\"leaf0\",\"tier\":1},{\"name\":\"leaf1\",\"tier\":1},"
		"{\"name\":\"spine0\",\"tier\":2},{\"name\":\"spine1\",\"tier\":2}],"
		"\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"198.18.0.1\"},"
		"{\"name\":\"h0.n1\",\"addr\":\"2001:db8::1\"}]},"
		"{\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\",\"addr\":\"198.18.0.2\"},"
		"{\"name\":\"h1.n1\",\"addr\":\"2001:db8::2\"}]}],"
		"\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100},{\"a\":\"h0.n1\",\"b\":\"leaf0\",\"gbps\":100},"
		"{\"a\":\"h1.n0\",\"b\":\"leaf1\",\"gbps\":100},{\"a\":\"h1.n1\",\"b\":\"leaf1\",\"gbps\":100},"
		"{\"a\":\"leaf0\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf0\",\"b\":\"spine1\",\"gbps\":100},"
		"{\"a\":\"leaf1\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf1\",\"b\":\"spine1\",\"gbps\":100}]}";
	const char *txt = "# flowplan-portmap 1\n"
			  "2001:db8::1 2001:db8::2 49154 leaf0,spine1,leaf1\n"
			  "198.18.0.1 198.18.0.2 49153 leaf0,spine0,leaf1\n"
			  "2001:db8::1 2001:db8::2 49155 leaf0,spine0,leaf1\n";
	struct fp_topo *t = NULL;
	struct fp_portmap *pm;
	const struct fp_pm_row *r;
	struct fp_addr a, b;
	struct fp_err err = { "" };
	size_t n;

	(void)state;
	if (fp_topo_parse(topo, strlen(topo), "dual", &t, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(fp_portmap_parse(txt, "pm", t, &pm, &err), 0);
	fp_addr_parse("2001:db8::1", &a);
	fp_addr_parse("2001:db8::2", &b);
	r = fp_portmap_pair_ip(pm, &a, &b, &n);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].sport, 49154);
	assert_int_equal(r[0].path, 1);
	assert_int_equal(r[1].path, 0);
	fp_addr_parse("198.18.0.1", &a);
	fp_addr_parse("198.18.0.2", &b);
	r = fp_portmap_pair_ip(pm, &a, &b, &n);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].sport, 49153);
	r = fp_portmap_pair(pm, fp_addr_to_v4(&a), fp_addr_to_v4(&b), &n);
	assert_int_equal(n, 1);
	fp_portmap_free(pm);
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

/*
 * Whether the mapping that holds @addr has VM_HUGEPAGE ("hg" in its
 * VmFlags, /proc/self/smaps): 1 or 0, -1 when smaps does not say.
 */
static int advised(uintptr_t addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0, got = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = addr >= lo && addr < hi;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			got = strstr(line, " hg") != NULL;
			break;
		}
	}
	fclose(f);
	return got;
}

/*
 * Blocks of 8 MiB and more are advised MADV_HUGEPAGE (util.c), their
 * 2 MiB-aligned part alone; smaller ones are not. Runs first in this
 * program, before any block of that size was freed for reuse.
 */
static void test_huge_hint(void **state)
{
	const uintptr_t huge = 2u << 20;
	char *small, *big;
	uintptr_t a, e;

	(void)state;
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) || advised((uintptr_t)&a) < 0) {
		printf("planner_io: no transparent huge pages, or no VmFlags in /proc/self/smaps: huge-page hint skipped\n");
		skip();
	}
	small = fp_xcalloc(4u << 20, 1);
	a = ((uintptr_t)small + huge - 1) & ~(huge - 1);
	assert_int_equal(advised(a), 0);
	big = fp_xcalloc(16u << 20, 1);
	a = ((uintptr_t)big + huge - 1) & ~(huge - 1);
	e = ((uintptr_t)big + (16u << 20)) & ~(huge - 1);
	assert_int_equal(advised(a), 1);
	assert_int_equal(advised(e - 1), 1);
	if ((uintptr_t)big < a)
		assert_int_equal(advised((uintptr_t)big), 0);
	if (e < (uintptr_t)big + (16u << 20))
		assert_int_equal(advised(e), 0);
	free(big);
	free(small);
}

/* Sizes: a count of bytes, or one of K, M, G, T (powers of 1024), B or iB after. */
static void test_parse_size(void **state)
{
	static const struct {
		const char *text;
		int rc;
		uint64_t bytes;
	} cases[] = {
		{ "0", 0, 0 }, { "1000", 0, 1000 }, { "18446744073709551615", 0, UINT64_MAX },
		{ "1k", 0, 1024 }, { "64K", 0, 65536 }, { "3KB", 0, 3072 },
		{ "1m", 0, 1048576 }, { "5MiB", 0, 5242880 },
		{ "1G", 0, 1073741824 }, { "3g", 0, 3221225472ull }, { "2GiB", 0, 2147483648ull },
		{ "1T", 0, 1099511627776ull }, { "16777215T", 0, 16777215ull << 40 },
		{ "16777216T", ERANGE, 0 }, { "17179869184G", ERANGE, 0 },
		{ "18446744073709551616", EINVAL, 0 }, { "", EINVAL, 0 }, { "-1", EINVAL, 0 },
		{ "G", EINVAL, 0 }, { "1P", EINVAL, 0 }, { "1Gb", EINVAL, 0 }, { "1GiBs", EINVAL, 0 },
		{ " 1", EINVAL, 0 }, { "+1", EINVAL, 0 }, { " -1", EINVAL, 0 }, { "\t-5G", EINVAL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t got = 0;
		int rc = fp_parse_size(cases[i].text, &got);

		if (rc != cases[i].rc || (!rc && got != cases[i].bytes))
			fail_msg("\"%s\": rc %d, %llu bytes; wanted rc %d, %llu", cases[i].text, rc,
				 (unsigned long long)got, cases[i].rc,
				 (unsigned long long)cases[i].bytes);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_huge_hint),
		cmocka_unit_test(test_portmap_good),
		cmocka_unit_test(test_portmap_good_v6),
		cmocka_unit_test(test_portmap_dual),
		cmocka_unit_test(test_portmap_bad),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_portmap_port_ends),
	};

	return cmocka_run_group_tests_name("planner_io", tests, NULL, NULL);
}
