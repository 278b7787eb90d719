// SPDX-License-Identifier: MIT
/*
 * test_core_hostplan - the host plan in memory (checks, sorting, duplicate
 * detection, lookups against a linear reference, this host's share), its
 * addresses, the plan-file reader on good and hostile input (nulls and
 * wrong types everywhere, numbers json-c saturates, size limits, FIFOs and
 * devices), the entry writer read back (16 subflows; 17 refused), and
 * allocation failure at every allocation of the core (ENOMEM, no leak).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/hostplan.h"
#include "test_core_allocfail.h"
#include "test_core_tmpdir.h"

/* ---------------------------------------------------------------- helpers */

static const char *path_of(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", test_dir, name);
	return path;
}

static struct fp_addr A(const char *s)
{
	struct fp_addr a;

	assert_int_equal(fp_addr_parse(s, &a), 0);
	return a;
}

static struct fp_hostplan_entry entry(const char *l, const char *r,
				      uint32_t dqpn, unsigned int k,
				      uint32_t label0)
{
	struct fp_hostplan_entry e = { .local = A(l), .remote = A(r),
				       .dqpn = dqpn, .nsub = k };
	uint32_t w[FP_MAX_SUBFLOWS];
	unsigned int i;

	fp_weights_equal(w, k);
	for (i = 0; i < k; i++) {
		e.sub[i].flow_label = label0 + i;
		e.sub[i].sport = fp_label_to_sport(label0 + i);
		e.sub[i].weight = w[i];
	}
	return e;
}

static bool same_entry(const struct fp_hostplan_entry *a,
		       const struct fp_hostplan_entry *b)
{
	unsigned int i;

	if (fp_addr_cmp(&a->local, &b->local) || fp_addr_cmp(&a->remote, &b->remote) ||
	    a->dqpn != b->dqpn || a->enforce != b->enforce || a->nsub != b->nsub)
		return false;
	for (i = 0; i < a->nsub; i++)
		if (a->sub[i].flow_label != b->sub[i].flow_label ||
		    a->sub[i].sport != b->sub[i].sport ||
		    a->sub[i].weight != b->sub[i].weight)
			return false;
	return true;
}

/* ------------------------------------------------------------- addresses */

static void test_addr(void **state)
{
	struct fp_addr a, *v;
	char buf[FP_ADDR_STRLEN];
	size_t n, i;
	bool lo = false;

	(void)state;
	assert_int_equal(fp_addr_parse("198.18.0.1", &a), 0);
	assert_true(fp_addr_is_v4(&a));
	assert_int_equal(fp_addr_to_v4(&a), htonl(0xc6120001));
	assert_string_equal(fp_addr_str(&a, buf), "198.18.0.1");
	/* An IPv4-mapped IPv6 text is the same address. */
	assert_int_equal(fp_addr_parse("::ffff:198.18.0.1", &a), 0);
	assert_true(fp_addr_is_v4(&a));
	assert_string_equal(fp_addr_str(&a, buf), "198.18.0.1");
	assert_int_equal(fp_addr_parse("2001:db8::1", &a), 0);
	assert_false(fp_addr_is_v4(&a));
	assert_string_equal(fp_addr_str(&a, buf), "2001:db8::1");
	assert_int_equal(fp_addr_parse("1.2.3", &a), EINVAL);
	assert_int_equal(fp_addr_parse("", &a), EINVAL);
	assert_int_equal(fp_addr_parse(NULL, &a), EINVAL);
	assert_int_equal(fp_addr_parse("1.2.3.4 ", &a), EINVAL);

	assert_int_equal(fp_local_addrs(&v, &n), 0);
	for (i = 0; i < n; i++)
		lo |= !fp_addr_cmp(&v[i], &(struct fp_addr){ .b = { [10] = 0xff, [11] = 0xff,
								    127, 0, 0, 1 } });
	free(v);
	assert_true(lo);
}

/* ---------------------------------------------------- the plan in memory */

static void test_check_entry(void **state)
{
	struct fp_hostplan_entry e = entry("10.0.0.1", "10.0.0.2", 0, 3, 1), x;
	struct fp_err err = { { 0 } };

	(void)state;
	assert_int_equal(fp_hostplan_check_entry(&e, "e", &err), 0);

	x = e;
	x.sub[1].flow_label = 0;
	assert_int_equal(fp_hostplan_check_entry(&x, "e", &err), ERANGE);
	assert_non_null(strstr(err.msg, "e.subflows[1].flow_label"));
	x = e;
	x.sub[2].flow_label = FP_FLOW_LABEL_MAX + 1;
	assert_int_equal(fp_hostplan_check_entry(&x, "e", &err), ERANGE);
	x = e;
	x.sub[0].sport++;
	assert_int_equal(fp_hostplan_check_entry(&x, "e", &err), EINVAL);
	assert_non_null(strstr(err.msg, "sport"));
	x = e;
	x.sub[0].weight++;
	assert_int_equal(fp_hostplan_check_entry(&x, "e", &err), EINVAL);
	assert_non_null(strstr(err.msg, "weights sum to 65537"));
	x = e;
	x.sub[0].weight = FP_WEIGHT_ONE + 1;
	assert_int_equal(fp_hostplan_check_entry(&x, "e", &err), ERANGE);
	x = e;
	x.nsub = 0;
	assert_int_equal(fp_hostplan_check_entry(&x, "e", &err), ERANGE);
	x = e;
	x.nsub = FP_MAX_SUBFLOWS + 1;
	assert_int_equal(fp_hostplan_check_entry(&x, "e", &err), ERANGE);
	x = e;
	x.dqpn = FP_DQPN_MAX + 1;
	assert_int_equal(fp_hostplan_check_entry(&x, "e", &err), ERANGE);
	x = e;
	x.remote = A("2001:db8::2");
	assert_int_equal(fp_hostplan_check_entry(&x, "e", &err), EINVAL);
	assert_non_null(strstr(err.msg, "different families"));
	/* Weights of 0 are fine as long as they add up. */
	x = entry("10.0.0.1", "10.0.0.2", 0, 2, 1);
	x.sub[0].weight = 0;
	x.sub[1].weight = FP_WEIGHT_ONE;
	assert_int_equal(fp_hostplan_check_entry(&x, "e", &err), 0);
}

static void test_weights_equal(void **state)
{
	uint32_t w[FP_MAX_SUBFLOWS];
	unsigned int k, i, sum;

	(void)state;
	for (k = 1; k <= FP_MAX_SUBFLOWS; k++) {
		fp_weights_equal(w, k);
		for (i = 0, sum = 0; i < k; i++) {
			sum += w[i];
			assert_true(w[i] == FP_WEIGHT_ONE / k || w[i] == FP_WEIGHT_ONE / k + 1);
		}
		assert_int_equal(sum, FP_WEIGHT_ONE);
	}
}

/* splitmix64: the same pseudo-random plan every run. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const struct fp_hostplan_entry *
find_linear(const struct fp_hostplan *hp, const struct fp_addr *l,
	    const struct fp_addr *r, uint32_t dqpn)
{
	const struct fp_hostplan_entry *any = NULL;
	size_t i;

	for (i = 0; i < hp->n; i++) {
		const struct fp_hostplan_entry *e = &hp->e[i];

		if (fp_addr_cmp(&e->local, l) || fp_addr_cmp(&e->remote, r))
			continue;
		if (dqpn != FP_DQPN_ANY && e->dqpn == dqpn)
			return e;
		if (e->dqpn == FP_DQPN_ANY)
			any = e;
	}
	return any;
}

static void test_sort_find_select(void **state)
{
	struct fp_hostplan hp;
	struct fp_err err = { { 0 } };
	struct fp_addr local[200];
	uint64_t seed = 7;
	size_t i, n;
	char a[32], b[32];

	(void)state;
	fp_hostplan_init(&hp);
	/* 20000 entries over 50 x 50 addresses, dqpn any or one of 8. */
	for (i = 0; i < 20000; i++) {
		struct fp_hostplan_entry e;
		uint64_t x = rnd(&seed);

		snprintf(a, sizeof(a), "10.0.%u.%u", (unsigned int)(x % 50), (unsigned int)(x >> 8) % 4);
		snprintf(b, sizeof(b), "10.1.%u.1", (unsigned int)((x >> 16) % 50));
		e = entry(a, b, (uint32_t)((x >> 24) % 9), 1 + (unsigned int)((x >> 32) % 4),
			  1 + (uint32_t)(i % 1000));
		assert_int_equal(fp_hostplan_add(&hp, &e, &err), 0);
	}
	/* Random keys repeat: keep the first of each, then finish. */
	assert_int_equal(fp_hostplan_finish(&hp, &err), EEXIST);
	assert_non_null(strstr(err.msg, "same src_addr, dst_addr and dqpn"));
	for (i = 1, n = 1; i < hp.n; i++)
		if (fp_addr_cmp(&hp.e[i].local, &hp.e[n - 1].local) ||
		    fp_addr_cmp(&hp.e[i].remote, &hp.e[n - 1].remote) ||
		    hp.e[i].dqpn != hp.e[n - 1].dqpn)
			hp.e[n++] = hp.e[i];
	hp.n = n;
	assert_int_equal(fp_hostplan_finish(&hp, &err), 0);
	assert_true(hp.n > 1000);

	/* Every lookup as the linear scan the old reader did. */
	for (i = 0; i < 5000; i++) {
		uint64_t x = rnd(&seed);
		struct fp_addr l, r;
		uint32_t q = (uint32_t)((x >> 24) % 12);

		snprintf(a, sizeof(a), "10.0.%u.%u", (unsigned int)(x % 52), (unsigned int)(x >> 8) % 4);
		snprintf(b, sizeof(b), "10.1.%u.1", (unsigned int)((x >> 16) % 52));
		l = A(a);
		r = A(b);
		assert_ptr_equal(fp_hostplan_find(&hp, &l, &r, q), find_linear(&hp, &l, &r, q));
	}

	/* This host's share, with more local addresses than the old 64. */
	for (i = 0; i < 200; i++) {
		snprintf(a, sizeof(a), "10.0.%zu.%zu", i / 4, i % 4);
		local[i] = A(a);
	}
	n = hp.n;
	fp_hostplan_select(&hp, local + 120, 80);	/* 10.0.30.0 .. 10.0.49.3 */
	assert_true(hp.n > 0 && hp.n < n);
	for (i = 0; i < hp.n; i++) {
		assert_true(fp_addr_cmp(&hp.e[i].local, &local[120]) >= 0);
		if (i)
			assert_true(fp_addr_cmp(&hp.e[i - 1].local, &hp.e[i].local) <= 0);
	}
	fp_hostplan_select(&hp, local, 0);
	assert_int_equal(hp.n, 0);
	fp_hostplan_free(&hp);
	fp_hostplan_free(&hp);		/* twice is harmless */
}

/* ------------------------------------------------------------ plan files */

static const char good_plan[] =
	"{ \"format\": \"flowplan-plan\", \"version\": 1, \"generation\": 7,\n"
	"  \"topology\": \"t\", \"phases\": [ { \"name\": \"p\" } ],\n"
	"  \"entries\": [\n"
	"    { \"src_addr\": \"198.18.0.5\", \"dst_addr\": \"198.18.0.1\",\n"
	"      \"subflows\": [ { \"flow_label\": 20, \"weight\": 40000 },\n"
	"                    { \"flow_label\": 21, \"weight\": 25536 } ] },\n"
	"    { \"src_addr\": \"198.18.0.1\", \"dst_addr\": \"198.18.0.5\", \"dqpn\": 77,\n"
	"      \"enforce\": true, \"subflows\": [ { \"flow_label\": 9, \"weight\": 65536 } ] },\n"
	"    { \"src_addr\": \"198.18.0.1\", \"dst_addr\": \"198.18.0.5\", \"dqpn\": 0,\n"
	"      \"subflows\": [ { \"flow_label\": 1, \"sport\": 49153, \"weight\": 32768 },\n"
	"                    { \"flow_label\": 16385, \"sport\": 49152, \"weight\": 32768 } ] },\n"
	"    { \"src_addr\": \"2001:db8::1\", \"dst_addr\": \"2001:db8::2\",\n"
	"      \"subflows\": [ { \"flow_label\": 5, \"weight\": 65536 } ] } ] }\n";

static void test_planfile_good(void **state)
{
	struct fp_hostplan hp;
	struct fp_err err = { { 0 } };
	const struct fp_hostplan_entry *e;
	struct fp_addr a = A("198.18.0.1"), b = A("198.18.0.5");

	(void)state;
	assert_int_equal(fp_hostplan_load(test_file("good.json", good_plan), &hp, &err), 0);
	assert_int_equal(hp.generation, 7);
	assert_int_equal(hp.n, 4);
	/* Sorted: 198.18.0.1 (dqpn 0, 77), 198.18.0.5, then the IPv6 one. */
	assert_int_equal(hp.e[0].dqpn, 0);
	assert_int_equal(hp.e[1].dqpn, 77);
	assert_false(fp_addr_is_v4(&hp.e[3].local));
	e = fp_hostplan_find(&hp, &a, &b, 77);
	assert_non_null(e);
	assert_true(e->enforce);
	assert_int_equal(e->sub[0].flow_label, 9);
	e = fp_hostplan_find(&hp, &a, &b, 78);
	assert_int_equal(e->dqpn, 0);
	assert_int_equal(e->nsub, 2);
	assert_false(e->enforce);		/* "enforce" left out: false */
	/* Flow label 16385 folds onto port 0xC000: as rxe and mlx5 do. */
	assert_int_equal(e->sub[1].sport, 0xC000);
	e = fp_hostplan_find(&hp, &b, &a, 0);
	assert_int_equal(e->sub[0].weight, 40000);
	assert_int_equal(e->sub[0].sport, 0xC000 | 20);
	assert_null(fp_hostplan_find(&hp, &a, &a, 0));
	fp_hostplan_free(&hp);

	/* No generation: 0. An empty plan is a plan. */
	assert_int_equal(fp_hostplan_parse("{\"format\":\"flowplan-plan\",\"version\":1,"
					   "\"entries\":[]}", 52, "x", &hp, &err), 0);
	assert_int_equal(hp.generation, 0);
	assert_int_equal(hp.n, 0);
	fp_hostplan_free(&hp);
}

#define PLAN(x) "{\"format\":\"flowplan-plan\",\"version\":1,\"entries\":[" x "]}"
#define ENT(x) "{\"src_addr\":\"1.1.1.1\",\"dst_addr\":\"1.1.1.2\"," x "}"
#define SUB1 "\"subflows\":[{\"flow_label\":1,\"weight\":65536}]"

static void test_planfile_bad(void **state)
{
	static const struct {
		const char *text;
		int ret;
		const char *says;
	} cases[] = {
		{ "", EINVAL, "x:1:1: unexpected end of file" },
		{ "{ \"format\": ", EINVAL, "x:1:13" },
		{ "{}\n{}", EINVAL, "x:2:1: unexpected text after the document" },
		{ "null", EINVAL, "expected a JSON object" },
		{ "[]", EINVAL, "expected a JSON object" },
		{ "{\"format\":null,\"version\":1,\"entries\":[]}", EINVAL, "\"format\" must be" },
		{ "{\"format\":7,\"version\":1,\"entries\":[]}", EINVAL, "\"format\" must be" },
		{ "{\"format\":\"flowplan-topology\",\"version\":1,\"entries\":[]}", EINVAL, "\"format\"" },
		{ "{\"format\":\"flowplan-plan\",\"version\":null,\"entries\":[]}", EINVAL, "version" },
		{ "{\"format\":\"flowplan-plan\",\"version\":2,\"entries\":[]}", EINVAL, "version" },
		{ "{\"format\":\"flowplan-plan\",\"entries\":[]}", EINVAL, "version" },
		{ "{\"format\":\"flowplan-plan\",\"version\":1}", EINVAL, "missing array \"entries\"" },
		{ "{\"format\":\"flowplan-plan\",\"version\":1,\"entries\":null}", EINVAL, "\"entries\"" },
		{ "{\"format\":\"flowplan-plan\",\"version\":1,\"entries\":{}}", EINVAL, "\"entries\"" },
		{ "{\"format\":\"flowplan-plan\",\"version\":1,\"generation\":null,\"entries\":[]}",
		  EINVAL, "generation: expected an integer, not null" },
		{ "{\"format\":\"flowplan-plan\",\"version\":1,\"generation\":\"7\",\"entries\":[]}",
		  EINVAL, "generation: expected an integer, not string" },
		{ "{\"format\":\"flowplan-plan\",\"version\":1,\"generation\":-1,\"entries\":[]}",
		  ERANGE, "generation: -1 is out of range" },
		{ "{\"format\":\"flowplan-plan\",\"version\":1,\"generation\":1.5,\"entries\":[]}",
		  EINVAL, "generation: expected an integer, not double" },
		/* json-c saturates this to 2^64-1: refused, not clamped. */
		{ "{\"format\":\"flowplan-plan\",\"version\":1,\"generation\":99999999999999999999,"
		  "\"entries\":[]}", ERANGE, "generation" },
		{ PLAN("null"), EINVAL, "x: entries[0]: expected an object" },
		{ PLAN("7"), EINVAL, "entries[0]: expected an object" },
		{ PLAN(ENT(SUB1) "," ENT(SUB1)), EEXIST, "x: two entries 1.1.1.1 -> 1.1.1.2 dqpn 0" },
		{ PLAN(ENT(SUB1 ",\"color\":1")), EINVAL, "entries[0]: unknown key \"color\"" },
		{ PLAN("{\"src_addr\":null,\"dst_addr\":\"1.1.1.2\"," SUB1 "}"), EINVAL,
		  "entries[0].src_addr: expected an IPv4 or IPv6 address" },
		{ PLAN("{\"src_addr\":\"1.1.1\",\"dst_addr\":\"1.1.1.2\"," SUB1 "}"), EINVAL,
		  "entries[0].src_addr" },
		{ PLAN("{\"src_addr\":\"1.1.1.1\"," SUB1 "}"), EINVAL, "missing \"dst_addr\"" },
		{ PLAN("{\"src_addr\":\"1.1.1.1\",\"dst_addr\":\"::2\"," SUB1 "}"), EINVAL,
		  "different families" },
		{ PLAN(ENT("\"dqpn\":null," SUB1)), EINVAL, "entries[0].dqpn: expected an integer" },
		{ PLAN(ENT("\"dqpn\":16777216," SUB1)), ERANGE, "entries[0].dqpn: 16777216 is out of range" },
		{ PLAN(ENT("\"enforce\":null," SUB1)), EINVAL, "entries[0].enforce: expected true or false" },
		{ PLAN(ENT("\"enforce\":1," SUB1)), EINVAL, "enforce" },
		{ PLAN(ENT("\"subflows\":null")), EINVAL, "\"subflows\" must be a non-empty array" },
		{ PLAN(ENT("\"subflows\":[]")), EINVAL, "\"subflows\" must be a non-empty array" },
		{ PLAN(ENT("\"subflows\":[null]")), EINVAL, "entries[0].subflows[0]: expected an object" },
		{ PLAN(ENT("\"subflows\":[{\"flow_label\":null,\"weight\":65536}]")), EINVAL,
		  "entries[0].subflows[0].flow_label: expected an integer, not null" },
		{ PLAN(ENT("\"subflows\":[{\"weight\":65536}]")), EINVAL, "missing \"flow_label\"" },
		{ PLAN(ENT("\"subflows\":[{\"flow_label\":0,\"weight\":65536}]")), ERANGE,
		  "flow_label: 0 is out of range 1..1048575 (0 pins nothing)" },
		{ PLAN(ENT("\"subflows\":[{\"flow_label\":1048576,\"weight\":65536}]")), ERANGE,
		  "flow_label: 1048576 is out of range" },
		{ PLAN(ENT("\"subflows\":[{\"flow_label\":1,\"sport\":null,\"weight\":65536}]")),
		  EINVAL, "subflows[0].sport: expected an integer" },
		{ PLAN(ENT("\"subflows\":[{\"flow_label\":1,\"sport\":5,\"weight\":65536}]")),
		  EINVAL, "subflows[0].sport: 5, but flow label 1 gives 49153" },
		{ PLAN(ENT("\"subflows\":[{\"flow_label\":1,\"sport\":65536,\"weight\":65536}]")),
		  ERANGE, "sport: 65536 is out of range" },
		{ PLAN(ENT("\"subflows\":[{\"flow_label\":1,\"weight\":null}]")), EINVAL,
		  "subflows[0].weight: expected an integer" },
		{ PLAN(ENT("\"subflows\":[{\"flow_label\":1}]")), EINVAL, "missing \"weight\"" },
		{ PLAN(ENT("\"subflows\":[{\"flow_label\":1,\"weight\":65537}]")), ERANGE, "weight" },
		{ PLAN(ENT("\"subflows\":[{\"flow_label\":1,\"weight\":60000}]")), EINVAL,
		  "x: entries[0].subflows: weights sum to 60000, not 65536" },
		{ PLAN(ENT("\"subflows\":[{\"flow_label\":1,\"weight\":65536,\"x\":[]}]")), EINVAL,
		  "subflows[0]: unknown key \"x\"" },
	};
	char many[4096];
	struct fp_hostplan hp;
	size_t c;
	int i, ret;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct fp_err err = { { 0 } };

		ret = fp_hostplan_parse(cases[c].text, strlen(cases[c].text), "x", &hp, &err);
		if (ret != cases[c].ret || !strstr(err.msg, cases[c].says))
			fail_msg("case %zu (%s): %d \"%s\", wanted %d \"%s\"", c, cases[c].text,
				 ret, err.msg, cases[c].ret, cases[c].says);
		assert_null(hp.e);
		assert_int_equal(hp.n, 0);
	}
	/* 17 subflows. */
	c = (size_t)snprintf(many, sizeof(many), "%s", PLAN(ENT("\"subflows\":[")));
	c -= strlen("}]}");
	for (i = 0; i <= FP_MAX_SUBFLOWS; i++)
		c += (size_t)snprintf(many + c, sizeof(many) - c, "%s{\"flow_label\":%d,\"weight\":%d}",
				      i ? "," : "", i + 1, i ? 0 : 65536);
	snprintf(many + c, sizeof(many) - c, "]}]}");
	{
		struct fp_err err = { { 0 } };

		assert_int_equal(fp_hostplan_parse(many, strlen(many), "x", &hp, &err), E2BIG);
		assert_non_null(strstr(err.msg, "17 subflows, at most 16"));
	}
}

static void test_planfile_limits(void **state)
{
	struct fp_err err = { { 0 } };
	struct fp_hostplan hp;
	const char *p;
	int fd;

	(void)state;
	/* Sizes are refused before a byte is read or parsed. */
	assert_int_equal(fp_hostplan_parse("{}", FP_PLANFILE_MAX + 1, "big", &hp, &err), EFBIG);
	assert_non_null(strstr(err.msg, "big: "));
	p = path_of("sparse.json");
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)FP_PLANFILE_MAX + 1), 0);
	close(fd);
	assert_int_equal(fp_hostplan_load(p, &hp, &err), EFBIG);
	assert_non_null(strstr(err.msg, "larger than the limit"));
	unlink(p);

	/* Not regular files: refused at once, a FIFO without a writer too. */
	assert_int_equal(fp_hostplan_load("/dev/zero", &hp, &err), EINVAL);
	assert_string_equal(err.msg, "/dev/zero: not a regular file");
	p = path_of("fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(fp_hostplan_load(p, &hp, &err), EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(fp_hostplan_load(test_dir, &hp, &err), EINVAL);
	assert_int_equal(fp_hostplan_load(path_of("none.json"), &hp, &err), ENOENT);
	assert_non_null(strstr(err.msg, "none.json: No such file"));
	assert_int_equal(fp_hostplan_load(NULL, &hp, &err), EINVAL);
	assert_null(hp.e);
}

/*
 * The writer's entries read back as they were, pretty or not, the first with
 * as many subflows as an entry may have; one more is refused.
 */
static void test_write_entry_round_trip(void **state)
{
	struct fp_hostplan hp, back;
	struct fp_err err = { { 0 } };
	uint32_t w[FP_MAX_SUBFLOWS];
	size_t i, k, len;
	char *text;
	FILE *f;
	int pretty;

	(void)state;
	assert_int_equal(fp_hostplan_load(test_file("rt.json", good_plan), &hp, &err), 0);
	hp.e[0].enforce = true;
	/* 198.18.0.5 to .1, labels 20 and 21: 20 to 35 */
	for (k = 0; k < hp.n && hp.e[k].sub[0].flow_label != 20; k++)
		;
	assert_true(k < hp.n);
	fp_weights_equal(w, FP_MAX_SUBFLOWS);
	for (i = 0; i < FP_MAX_SUBFLOWS; i++)
		hp.e[k].sub[i] = (struct fp_subflow){ .flow_label = 20 + (uint32_t)i,
						      .sport = fp_label_to_sport(20 + (uint32_t)i),
						      .weight = w[i] };
	hp.e[k].nsub = FP_MAX_SUBFLOWS;
	for (pretty = 0; pretty < 2; pretty++) {
		f = open_memstream(&text, &len);
		assert_non_null(f);
		fprintf(f, "{\"format\":\"flowplan-plan\",\"version\":1,\"generation\":%llu,"
			"\"entries\":[", (unsigned long long)hp.generation);
		for (i = 0; i < hp.n; i++) {
			if (i)
				fputc(',', f);
			assert_int_equal(fp_hostplan_write_entry(f, &hp.e[i], pretty), 0);
		}
		fputs("]}", f);
		fclose(f);
		assert_int_equal(fp_hostplan_parse(text, len, "rt", &back, &err), 0);
		assert_int_equal(back.n, hp.n);
		assert_int_equal(back.generation, hp.generation);
		for (i = 0; i < hp.n; i++)
			assert_true(same_entry(&hp.e[i], &back.e[i]));
		if (pretty)
			assert_non_null(strstr(text, "\"flow_label\": 1, \"sport\": 49153"));
		else
			assert_null(strchr(text, ' '));
		fp_hostplan_free(&back);
		free(text);
	}
	hp.e[k].nsub = FP_MAX_SUBFLOWS + 1;
	assert_int_equal(fp_hostplan_write_entry(stdout, &hp.e[k], false), EINVAL);
	hp.e[0].nsub = 0;
	assert_int_equal(fp_hostplan_write_entry(stdout, &hp.e[0], false), EINVAL);
	/* No file, or no entry: refused, nothing written. */
	assert_int_equal(fp_hostplan_write_entry(NULL, &hp.e[1], false), EINVAL);
	assert_int_equal(fp_hostplan_write_entry(stdout, NULL, false), EINVAL);
	fp_hostplan_free(&hp);
}

/*
 * Every allocation of the reader and of the in-memory plan failing in turn:
 * ENOMEM each time (never a crash, never a partial plan), no leak.
 */
static void test_enomem(void **state)
{
	const char *path = test_file("mem.json", good_plan);
	struct fp_hostplan hp;
	struct fp_err err;
	long n;
	int ret;

	(void)state;
	for (n = 0;; n++) {
		fail_at = n;
		ret = fp_hostplan_load(path, &hp, &err);
		fail_at = -1;
		if (!ret)
			break;
		if (ret != ENOMEM)
			fail_msg("allocation %ld failing: %d (%s), not ENOMEM", n, ret, err.msg);
		assert_null(hp.e);
	}
	assert_true(n >= 2);		/* the file buffer and the entries */
	assert_int_equal(hp.n, 4);
	fp_hostplan_free(&hp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_check_entry),
		cmocka_unit_test(test_weights_equal),
		cmocka_unit_test(test_sort_find_select),
		cmocka_unit_test(test_planfile_good),
		cmocka_unit_test(test_planfile_bad),
		cmocka_unit_test(test_planfile_limits),
		cmocka_unit_test(test_write_entry_round_trip),
		cmocka_unit_test(test_enomem),
	};

	return cmocka_run_group_tests_name("core_hostplan", tests, tmpdir_setup, tmpdir_teardown);
}
