// SPDX-License-Identifier: MIT
/* Collective schedule generators, schedule files and bad input. */
#include <errno.h>
#include <stdlib.h>

#include "planner/util.h"
#include "planner_util.h"

static void test_ring_per_rail(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=4,spines=2,hosts=2,nics=4,rail");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=8M", t);
	size_t i;

	(void)state;
	assert_int_equal(s->nph, 1);
	assert_int_equal(s->ph[0].n, 2 * 4);	/* 2 hosts, one ring per rail */
	for (i = 0; i < s->ph[0].n; i++) {
		const struct fp_flow *f = &s->ph[0].flows[i];

		/* ring flows stay on their rail: NIC index equal on both ends */
		assert_int_equal(f->src - t->hosts[t->nodes[f->src].host].first_nic,
				 f->dst - t->hosts[t->nodes[f->dst].host].first_nic);
		assert_int_equal(f->bytes, 8ull << 20);	/* 2(n-1)/n * 8M with n=2 */
	}
	fp_sched_free(s);
	fp_topo_free(t);
}

static void test_hd_and_rd(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=4");
	struct fp_sched *hd = gen_sched("hd-allreduce:bytes=64M", t);
	struct fp_sched *rd = gen_sched("rd-allreduce:bytes=64M", t);
	size_t i, j;

	(void)state;
	assert_int_equal(hd->nph, 6);	/* log2(8) halving + 3 doubling */
	assert_int_equal(rd->nph, 3);
	for (i = 0; i < hd->nph; i++) {
		size_t k = i < 3 ? i : 5 - i;

		assert_int_equal(hd->ph[i].n, 8);
		for (j = 0; j < hd->ph[i].n; j++) {
			const struct fp_flow *f = &hd->ph[i].flows[j];

			assert_int_equal(t->nodes[f->src].host ^ t->nodes[f->dst].host, 8 >> (k + 1));
			assert_int_equal(f->bytes, (64ull << 20) >> (k + 1));
		}
	}
	for (i = 0; i < rd->nph; i++)
		for (j = 0; j < rd->ph[i].n; j++)
			assert_int_equal(t->nodes[rd->ph[i].flows[j].src].host ^
					 t->nodes[rd->ph[i].flows[j].dst].host, 1 << i);
	fp_sched_free(hd);
	fp_sched_free(rd);
	fp_topo_free(t);
}

static void test_alltoall_skips_own_host(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2,nics=2");
	struct fp_sched *s = gen_sched("alltoall:bytes=64M", t);
	size_t i;

	(void)state;
	/* 4 hosts x 2 NICs = 8 ranks; each sends to the 6 ranks of other hosts */
	assert_int_equal(s->ph[0].n, 8 * 6);
	for (i = 0; i < s->ph[0].n; i++)
		assert_int_not_equal(t->nodes[s->ph[0].flows[i].src].host,
				     t->nodes[s->ph[0].flows[i].dst].host);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* Fragmented placement spreads a job over every leaf; concurrent jobs merge phases. */
static void test_frag_and_jobs(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=4,spines=2,hosts=4");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=1G,count=4,place=frag;"
				       "pipeline:bytes=1M,hosts=0-3,job=pp", t);
	bool leaf_seen[4] = { false };
	size_t i, nring = 0;

	(void)state;
	assert_int_equal(s->njobs, 2);
	assert_string_equal(s->jobs[1], "pp");
	assert_int_equal(s->nph, 1);
	for (i = 0; i < s->ph[0].n; i++) {
		const struct fp_flow *f = &s->ph[0].flows[i];

		if (fp_flow_job(&s->ph[0], i) != 0)
			continue;
		nring++;
		leaf_seen[t->nodes[t->nodes[f->src].leaf].leaf_idx] = true;
	}
	assert_int_equal(nring, 4);
	for (i = 0; i < 4; i++)
		assert_true(leaf_seen[i]);
	assert_int_equal(s->ph[0].n, 4 + 3);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* @s written, read back and written again: the same flows, jobs and text. */
static void assert_round_trip(const struct fp_sched *s, const struct fp_topo *t)
{
	struct fp_sched *u = NULL;
	struct fp_err err;
	char *a = fp_sched_to_json(s, t, 0), *b;

	assert_int_equal(fp_sched_parse(a, strlen(a), "rt", t, &u, &err), 0);
	/* What was written is what was there: every phase, flow and job. */
	assert_int_equal(u->nph, s->nph);
	{
		size_t i, j;

		for (i = 0; i < s->nph; i++) {
			assert_string_equal(u->ph[i].name, s->ph[i].name);
			assert_int_equal(u->ph[i].n, s->ph[i].n);
			for (j = 0; j < s->ph[i].n; j++) {
				assert_int_equal(u->ph[i].flows[j].src, s->ph[i].flows[j].src);
				assert_int_equal(u->ph[i].flows[j].dst, s->ph[i].flows[j].dst);
				assert_int_equal(u->ph[i].flows[j].bytes, s->ph[i].flows[j].bytes);
				assert_string_equal(u->jobs[fp_flow_job(&u->ph[i], j)],
						    s->jobs[fp_flow_job(&s->ph[i], j)]);
			}
		}
	}
	b = fp_sched_to_json(u, t, 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	fp_sched_free(u);
}

static void test_json_round_trip(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=4");
	struct fp_sched *s = gen_sched("hd-allreduce:bytes=1M,hosts=0-7;alltoall:bytes=3M,hosts=8-11", t);

	(void)state;
	assert_round_trip(s, t);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * hosts= takes decimal indices and ranges: 0-10 is the eleven hosts 0..10
 * (an all-to-all of 110 flows), 3+5-6 three; "0-a" is no range.
 */
static void test_hosts_ranges(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=8");
	struct fp_sched *s = gen_sched("alltoall:bytes=1M,hosts=0-10", t);
	struct fp_err err = { "" };
	size_t i;

	(void)state;
	assert_int_equal(s->nph, 1);
	assert_int_equal(s->ph[0].n, 110);
	for (i = 0; i < s->ph[0].n; i++) {
		assert_true(t->nodes[s->ph[0].flows[i].src].host <= 10);
		assert_true(t->nodes[s->ph[0].flows[i].dst].host <= 10);
	}
	fp_sched_free(s);
	s = gen_sched("alltoall:bytes=1M,hosts=3+5-6", t);
	assert_int_equal(s->ph[0].n, 6);
	fp_sched_free(s);
	s = NULL;
	assert_int_equal(fp_sched_load("alltoall:bytes=1M,hosts=0-a", t, &s, &err), EINVAL);
	assert_non_null(strstr(err.msg, "\"0-a\" is not a range"));
	assert_null(s);
	fp_topo_free(t);
}

/* A job's name is looked up: asking again, first job or not, gives its index. */
static void test_job_names(void **state)
{
	struct fp_sched *s = calloc(1, sizeof(*s));

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("jobs");
	assert_int_equal(fp_sched_job(s, "a"), 0);
	assert_int_equal(fp_sched_job(s, "b"), 1);
	assert_int_equal(fp_sched_job(s, "a"), 0);
	assert_int_equal(fp_sched_job(s, "b"), 1);
	assert_int_equal(s->njobs, 2);
	fp_sched_free(s);
}

struct bad_case {
	const char *name, *text, *want;
};

#define SH "{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["

static const struct bad_case bad[] = {
	{ "collective", "allsum:bytes=1M", "unknown collective \"allsum\"" },
	{ "no bytes", "ring-allreduce:hosts=0-3", "bytes=SIZE is required" },
	{ "bad bytes", "ring-allreduce:bytes=12Q", "not a size" },
	/* a blank and a sign before the digits: no size ("-1" read as 2^64 - 1 was "2^63 or more") */
	{ "signed bytes", "ring-allreduce:bytes= -1", "bytes: \" -1\" is not a size" },
	{ "plus bytes", "ring-allreduce:bytes=+1M", "bytes: \"+1M\" is not a size" },
	{ "hosts range", "alltoall:bytes=1M,hosts=0-99", "outside 0..7" },
	{ "hosts syntax", "alltoall:bytes=1M,hosts=a-b", "not an index or range" },
	{ "hosts open range", "alltoall:bytes=1M,hosts=0-", "\"0-\" is not a range" },
	/* a range that runs down, and an index below 0, each on its own */
	{ "hosts descending", "alltoall:bytes=1M,hosts=0+5-2", "hosts: 5-2 is outside 0..7" },
	{ "hosts negative", "alltoall:bytes=1M,hosts=-1+0-3", "hosts: -1 is outside 0..7" },
	{ "hosts trailing", "alltoall:bytes=1M,hosts=0+1x", "\"1x\" is not an index or range" },
	{ "hd pow2", "hd-allreduce:bytes=1M,hosts=0-2", "power-of-two" },
	{ "one host", "ring-allreduce:bytes=1M,hosts=3", "at least 2 hosts" },
	{ "nic", "ring-allreduce:bytes=1M,nics=1", "outside 0..0" },
	{ "param", "alltoall:bytes=1M,colour=1", "unknown parameter \"colour\"" },
	{ "count", "alltoall:bytes=1M,count=9", "must be 0..8" },
	{ "a2a 0-byte flows", "alltoall:bytes=7", "flows of 0 bytes; this collective needs at least 8" },
	{ "ring 0-byte flows", "ring-allreduce:bytes=7", "flows of 0 bytes; this collective needs at least 8" },
	{ "hd 0-byte flows", "hd-allreduce:bytes=7", "flows of 0 bytes; this collective needs at least 8" },
	{ "ag 0-byte flows", "allgather:bytes=1,hosts=0-1", "needs at least 2" },
	{ "json nic", SH "{\"src\":\"h0.n0\",\"dst\":\"h9.n0\",\"bytes\":1}]}]}", "phases[0].flows[0].dst: \"h9.n0\" is not a NIC" },
	{ "json switch", SH "{\"src\":\"leaf0\",\"dst\":\"h1.n0\",\"bytes\":1}]}]}", "\"leaf0\" is not a NIC" },
	{ "json bytes", SH "{\"src\":\"h0.n0\",\"dst\":\"h1.n0\",\"bytes\":0}]}]}", "bytes: expected a positive integer" },
	{ "json same", SH "{\"src\":\"h0.n0\",\"dst\":\"h0.n0\",\"bytes\":5}]}]}", "src and dst are the same NIC" },
	{ "json key", SH "{\"src\":\"h0.n0\",\"dst\":\"h1.n0\",\"bytes\":5,\"prio\":1}]}]}", "unknown key \"prio\"" },
	{ "json syntax", SH "{\"src\":\"h0.n0\"", "unexpected end of file" },
	{ "json family", SH "{\"src\":\"h0.n0\",\"dst\":\"h1.n0\",\"family\":6,\"bytes\":5}]}]}", "phases[0].flows[0].family: h0.n0 has no IPv6 address" },
	{ "json family value", SH "{\"src\":\"h0.n0\",\"dst\":\"h1.n0\",\"family\":\"6\",\"bytes\":5}]}]}", "phases[0].flows[0].family: expected 4 or 6" },
	{ "json family 5", SH "{\"src\":\"h0.n0\",\"dst\":\"h1.n0\",\"family\":5,\"bytes\":5}]}]}", "family: expected 4 or 6" },
	{ "json empty", "{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[]}", "no phases" },
	{ "json array", "[{\"format\":\"flowplan-schedule\",\"version\":1}]", "bad: expected a JSON object" },
	{ "json version 2", "{\"format\":\"flowplan-schedule\",\"version\":2,\"phases\":[]}",
	  "unsupported \"version\" (this reader knows 1)" },
	{ "json version string", "{\"format\":\"flowplan-schedule\",\"version\":\"1\",\"phases\":[]}",
	  "unsupported \"version\"" },
};

static void test_bad_input(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=4");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fp_sched *s = NULL;
		struct fp_err err = { "" };
		int rc = bad[i].text[0] == '{' || bad[i].text[0] == '[' ?
			 fp_sched_parse(bad[i].text, strlen(bad[i].text), "bad", t, &s, &err) :
			 fp_sched_load(bad[i].text, t, &s, &err);

		if (!rc || !strstr(err.msg, bad[i].want))
			fail_msg("case %s: rc %d, error \"%s\", wanted \"%s\"", bad[i].name, rc, err.msg,
				 bad[i].want);
		assert_null(s);
	}
	fp_topo_free(t);
}

/*
 * A collective's bare name, or its name and a colon, is the generator's
 * (no file is looked for), for every collective: it says what it lacks,
 * where a file reader would say there is no such file.
 */
static void test_bare_names(void **state)
{
	static const char *const name[] = { "ring-allreduce", "hd-allreduce", "rd-allreduce",
					    "allgather", "reducescatter", "alltoall", "pipeline" };
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=4");
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(name) / sizeof(name[0]); i++) {
		for (k = 0; k < 2; k++) {
			struct fp_sched *s = NULL;
			struct fp_err err = { "" };
			char spec[32], want[64];
			int rc;

			snprintf(spec, sizeof(spec), "%s%s", name[i], k ? ":" : "");
			snprintf(want, sizeof(want), "%s: bytes=SIZE is required", spec);
			rc = fp_sched_load(spec, t, &s, &err);
			if (rc != EINVAL || !strstr(err.msg, want))
				fail_msg("%s: rc %d, error \"%s\", wanted \"%s\"", spec, rc, err.msg, want);
			assert_null(s);
		}
	}
	fp_topo_free(t);
}

/*
 * nics= is checked against every host: h0 has 2 NICs, h1 one, so NIC 1 is
 * h0's but not h1's (the next node after h1's NIC is no NIC of h1).
 */
static void test_nic_per_host(void **state)
{
	static const char txt[] =
		"{\"format\":\"flowplan-topology\",\"version\":1,\"switches\":[{\"name\":\"leaf0\",\"tier\":1}],"
		"\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\"},{\"name\":\"h0.n1\"}]},"
		"{\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\"}]},{\"name\":\"h2\",\"nics\":[{\"name\":\"h2.n0\"}]}],"
		"\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100},{\"a\":\"h0.n1\",\"b\":\"leaf0\",\"gbps\":100},"
		"{\"a\":\"h1.n0\",\"b\":\"leaf0\",\"gbps\":100},{\"a\":\"h2.n0\",\"b\":\"leaf0\",\"gbps\":100}]}";
	struct fp_topo *t = NULL;
	struct fp_sched *s = NULL;
	struct fp_err err = { "" };

	(void)state;
	assert_int_equal(fp_topo_parse(txt, strlen(txt), "uneven", &t, &err), 0);
	assert_int_equal(fp_sched_load("ring-allreduce:bytes=1M,nics=1", t, &s, &err), EINVAL);
	assert_non_null(strstr(err.msg, "host h1 has no NIC 1"));
	assert_null(s);
	fp_topo_free(t);
}

/* Every collective's per-flow bytes, as docs/formats.md states them. */
static void test_per_flow_bytes(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=4,nics=2");
	static const struct {
		const char *spec;
		size_t phases, flows;	/* flows of phase 0 */
		uint64_t bytes;		/* of every flow of phase 0 */
	} c[] = {
		/* n = 8 hosts, r = 2 rails, SIZE = 1000 */
		{ "ring-allreduce:bytes=1000", 1, 16, 2 * 7 * (1000 / 8) },
		{ "allgather:bytes=1000", 1, 16, 7 * (1000 / 8) },
		{ "reducescatter:bytes=1000", 1, 16, 7 * (1000 / 8) },
		{ "hd-allreduce:bytes=1000", 6, 16, 1000 >> 1 },
		{ "rd-allreduce:bytes=1000", 3, 16, 1000 },
		{ "alltoall:bytes=1000", 1, 8 * 2 * 7 * 2, 1000 / (8 * 2) },
		{ "pipeline:bytes=1000", 1, 7 * 2, 1000 },
		/* the smallest SIZE that gives every flow a byte */
		{ "alltoall:bytes=16", 1, 8 * 2 * 7 * 2, 1 },
		{ "ring-allreduce:bytes=8", 1, 16, 2 * 7 },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct fp_sched *s = gen_sched(c[i].spec, t);

		assert_int_equal(s->nph, c[i].phases);
		assert_int_equal(s->ph[0].n, c[i].flows);
		for (j = 0; j < s->ph[0].n; j++)
			if (s->ph[0].flows[j].bytes != c[i].bytes)
				fail_msg("%s: flow %zu has %llu bytes, not %llu", c[i].spec, j,
					 (unsigned long long)s->ph[0].flows[j].bytes,
					 (unsigned long long)c[i].bytes);
		fp_sched_free(s);
	}
	/* hd-allreduce's later steps halve again, then the all-gather mirrors them */
	{
		struct fp_sched *s = gen_sched("hd-allreduce:bytes=1000", t);

		assert_int_equal(s->ph[1].flows[0].bytes, 1000 >> 2);
		assert_int_equal(s->ph[2].flows[0].bytes, 1000 >> 3);
		assert_int_equal(s->ph[3].flows[0].bytes, 1000 >> 3);
		assert_int_equal(s->ph[5].flows[0].bytes, 1000 >> 1);
		fp_sched_free(s);
	}
	fp_topo_free(t);
}

/* count and off at the host count, stride's turns, the boundaries of lists. */
static void test_placement_bounds(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=4");
	struct fp_sched *s;
	struct fp_err err;

	(void)state;
	s = gen_sched("ring-allreduce:bytes=1M,count=8", t);
	assert_int_equal(s->ph[0].n, 8);
	fp_sched_free(s);
	assert_int_equal(fp_sched_generate("ring-allreduce:bytes=1M,off=8", t, &s, &err), EINVAL);
	assert_non_null(strstr(err.msg, "at least 2 hosts"));
	assert_int_equal(fp_sched_generate("ring-allreduce:bytes=1M,count=9", t, &s, &err), EINVAL);
	/* stride 3 over 8 hosts from 1: 1 4 7 2 5 0 3 6 */
	s = gen_sched("ring-allreduce:bytes=1M,stride=3,off=1,count=8", t);
	{
		static const int want[] = { 1, 4, 7, 2, 5, 0, 3, 6 };
		size_t i;

		for (i = 0; i < 8; i++)
			assert_int_equal(t->nodes[s->ph[0].flows[i].src].host, want[i]);
	}
	fp_sched_free(s);
	/* stride 4 comes back to taken hosts: the next free one */
	s = gen_sched("ring-allreduce:bytes=1M,stride=4", t);
	{
		static const int want[] = { 0, 4, 1, 5, 2, 6, 3, 7 };
		size_t i;

		for (i = 0; i < 8; i++)
			assert_int_equal(t->nodes[s->ph[0].flows[i].src].host, want[i]);
	}
	fp_sched_free(s);
	assert_int_equal(fp_sched_generate("ring-allreduce:bytes=1M,hosts=0-8", t, &s, &err), ERANGE);
	assert_non_null(strstr(err.msg, "outside 0..7"));
	fp_topo_free(t);
	/* numbers of two digits, in decimal: 12 hosts of 16 from 3, stride 11; "a" is none */
	t = gen_topo("leafspine:leaves=2,spines=2,hosts=8");
	s = gen_sched("ring-allreduce:bytes=1M,count=12,off=3", t);
	assert_int_equal(s->ph[0].n, 12);
	assert_int_equal(t->nodes[s->ph[0].flows[0].src].host, 3);
	assert_int_equal(t->nodes[s->ph[0].flows[11].src].host, 14);
	fp_sched_free(s);
	s = gen_sched("ring-allreduce:bytes=1M,stride=11,count=2", t);
	assert_int_equal(s->ph[0].n, 2);
	assert_int_equal(t->nodes[s->ph[0].flows[1].src].host, 11);
	fp_sched_free(s);
	assert_int_equal(fp_sched_generate("ring-allreduce:bytes=1M,count=a", t, &s, &err), EINVAL);
	assert_non_null(strstr(err.msg, "count: \"a\" must be 0..16"));
	fp_topo_free(t);
}

/*
 * A dual-stack fabric (NICs of both families): flows within a family plan,
 * a flow across families is refused by name.
 */
static void test_sched_families(void **state)
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
	static const char good[] =
		"{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		"{\"src\":\"h0.n0\",\"dst\":\"h1.n0\",\"bytes\":1000000},"
		"{\"src\":\"h0.n1\",\"dst\":\"h1.n1\",\"bytes\":1000000},"
		"{\"src\":\"h1.n1\",\"dst\":\"h0.n1\",\"bytes\":1000000}]}]}";
	static const char cross[] =
		"{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		"{\"src\":\"h0.n0\",\"dst\":\"h1.n1\",\"bytes\":5}]}]}";
	/* "family":6 where only the source has an IPv6 address */
	static const char cross6[] =
		"{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		"{\"src\":\"h0.n1\",\"dst\":\"h1.n0\",\"family\":6,\"bytes\":5}]}]}";
	struct fp_topo *t = NULL;
	struct fp_sched *s = NULL;
	struct fp_plan *p;
	struct fp_hostplan hp;
	struct fp_err err = { "" };

	(void)state;
	if (fp_topo_parse(topo, strlen(topo), "dual", &t, &err))
		fail_msg("%s", err.msg);
	if (fp_sched_parse(good, strlen(good), "good", t, &s, &err))
		fail_msg("%s", err.msg);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_true(p->ph[0].max_load <= p->ph[0].lower_bound * (1 + 1e-6));
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &hp, &err), 0);
	/* h0.n1 <-> h1.n1 both ways; h0.n0 -> h1.n0 and its reverse entry back */
	assert_int_equal(hp.n, 4);
	fp_hostplan_free(&hp);
	fp_plan_free(p);
	fp_sched_free(s);
	s = NULL;
	assert_int_equal(fp_sched_parse(cross, strlen(cross), "cross", t, &s, &err), EINVAL);
	assert_non_null(strstr(err.msg, "h0.n0 is IPv4 and h1.n1 is IPv6: a flow's two NICs must be of one address family"));
	assert_null(s);
	assert_int_equal(fp_sched_parse(cross6, strlen(cross6), "cross6", t, &s, &err), EINVAL);
	assert_non_null(strstr(err.msg, "phases[0].flows[0].family: h1.n0 has no IPv6 address"));
	assert_null(s);
	fp_topo_free(t);
}

/*
 * Dual-stack NICs: a flow takes IPv4 unless its "family" says 6 (or only
 * IPv6 is common to its NICs); the writer writes "family" only where the
 * default would read otherwise; generators take family=.
 */
static void test_sched_dual_stack(void **state)
{
	static const char txt[] =
		"{\"format\":\"flowplan-schedule\",\"version\":1,\"phases\":[{\"flows\":["
		"{\"src\":\"h0.n0\",\"dst\":\"h2.n0\",\"bytes\":100},"
		"{\"src\":\"h0.n0\",\"dst\":\"h2.n0\",\"family\":6,\"bytes\":200},"
		"{\"src\":\"h1.n0\",\"dst\":\"h3.n0\",\"family\":4,\"bytes\":300,\"background\":true},"
		"{\"src\":\"h1.n0\",\"dst\":\"h3.n0\",\"family\":6,\"bytes\":400,\"background\":true}]}]}";
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2,dual");
	struct fp_topo *t4 = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = NULL;
	struct fp_err err = { "" };
	int h0 = fp_topo_find(t, "h0.n0"), h2 = fp_topo_find(t, "h2.n0");
	char *a;
	size_t i;

	(void)state;
	if (fp_sched_parse(txt, strlen(txt), "ds", t, &s, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(s->ph[0].flows[0].src, h0);
	assert_int_equal(s->ph[0].flows[0].dst, h2);
	assert_int_equal(s->ph[0].flows[1].src, t->nodes[h0].twin);
	assert_int_equal(s->ph[0].flows[1].dst, t->nodes[h2].twin);
	assert_false(t->nodes[s->ph[0].bg[0].src].is_twin);
	assert_true(t->nodes[s->ph[0].bg[1].src].is_twin && t->nodes[s->ph[0].bg[1].dst].is_twin);
	a = fp_sched_to_json(s, t, 0);
	assert_non_null(strstr(a, "\"src\":\"h0.n0\",\"dst\":\"h2.n0\",\"bytes\":100,"));
	assert_non_null(strstr(a, "\"src\":\"h0.n0\",\"dst\":\"h2.n0\",\"family\":6,\"bytes\":200,"));
	assert_non_null(strstr(a, "\"src\":\"h1.n0\",\"dst\":\"h3.n0\",\"family\":6,\"bytes\":400,"));
	free(a);
	assert_round_trip(s, t);
	fp_sched_free(s);
	/* family=6: every flow between IPv6 nodes; on an IPv4 fabric, refused */
	s = gen_sched("alltoall:bytes=64M,family=6", t);
	for (i = 0; i < s->ph[0].n; i++)
		assert_true(t->nodes[s->ph[0].flows[i].src].is_twin &&
			    t->nodes[s->ph[0].flows[i].dst].is_twin);
	fp_sched_free(s);
	s = gen_sched("alltoall:bytes=64M,family=4", t);
	for (i = 0; i < s->ph[0].n; i++)
		assert_false(t->nodes[s->ph[0].flows[i].src].is_twin);
	fp_sched_free(s);
	s = NULL;
	assert_int_equal(fp_sched_load("alltoall:bytes=64M,family=6", t4, &s, &err), EINVAL);
	assert_non_null(strstr(err.msg, "family=6: h0.n0 has no IPv6 address"));
	assert_int_equal(fp_sched_load("alltoall:bytes=64M,family=5", t, &s, &err), EINVAL);
	assert_non_null(strstr(err.msg, "family: \"5\" (4 or 6)"));
	assert_null(s);
	fp_topo_free(t);
	fp_topo_free(t4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_names),
		cmocka_unit_test(test_sched_families),
		cmocka_unit_test(test_sched_dual_stack),
		cmocka_unit_test(test_ring_per_rail),
		cmocka_unit_test(test_hd_and_rd),
		cmocka_unit_test(test_alltoall_skips_own_host),
		cmocka_unit_test(test_frag_and_jobs),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_hosts_ranges),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_bare_names),
		cmocka_unit_test(test_per_flow_bytes),
		cmocka_unit_test(test_nic_per_host),
		cmocka_unit_test(test_placement_bounds),
	};

	return cmocka_run_group_tests_name("planner_sched", tests, NULL, NULL);
}
