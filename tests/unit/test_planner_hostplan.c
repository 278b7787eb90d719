// SPDX-License-Identifier: MIT
/*
 * A computed plan as host plans: the one conversion (fp_plan_hostplan), the
 * streamed plan file read back by the core's reader, per-host shares in
 * both forms, the compact share's reader on good and hostile input.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "planner/share.h"
#include "planner/util.h"
#include "planner_util.h"

typedef unsigned __int128 u128;

static bool entry_eq(const struct fp_hostplan_entry *a, const struct fp_hostplan_entry *b)
{
	unsigned int k;

	if (fp_addr_cmp(&a->local, &b->local) || fp_addr_cmp(&a->remote, &b->remote) ||
	    a->dqpn != b->dqpn || a->enforce != b->enforce || a->nsub != b->nsub)
		return false;
	for (k = 0; k < a->nsub; k++)
		if (a->sub[k].flow_label != b->sub[k].flow_label ||
		    a->sub[k].sport != b->sub[k].sport || a->sub[k].weight != b->sub[k].weight)
			return false;
	return true;
}

static void assert_same(const struct fp_hostplan *a, const struct fp_hostplan *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	assert_int_equal(a->generation, b->generation);
	for (i = 0; i < a->n; i++)
		assert_true(entry_eq(&a->e[i], &b->e[i]));
}

/* The host's addresses, as a program on it would know them. */
static size_t host_addrs(const struct fp_topo *t, int h, struct fp_addr *a)
{
	int i;

	for (i = 0; i < t->hosts[h].nnics; i++)
		a[i] = t->nodes[t->hosts[h].first_nic + i].ip;
	return (size_t)i;
}

/*
 * Pretty JSON is indented by its nesting: every line starts with two
 * spaces per array or object open at its start, one fewer for a line that
 * closes one.
 */
static void assert_indented(const char *js)
{
	const char *c = js;
	int depth = 0, line = 1;
	bool in_str = false;

	while (*c) {
		int sp = 0, want;

		while (c[sp] == ' ')
			sp++;
		want = 2 * (depth - (c[sp] == ']' || c[sp] == '}'));
		if (c[sp] && c[sp] != '\n' && sp != want)
			fail_msg("line %d: %d spaces, want %d", line, sp, want);
		for (; *c && *c != '\n'; c++) {
			if (in_str) {
				if (*c == '\\' && c[1])
					c++;
				else if (*c == '"')
					in_str = false;
			} else if (*c == '"') {
				in_str = true;
			} else if (*c == '[' || *c == '{') {
				depth++;
			} else if (*c == ']' || *c == '}') {
				depth--;
			}
		}
		if (*c)
			c++;
		line++;
	}
	assert_int_equal(depth, 0);
}

/*
 * Every pair's entry comes from its phase of most bytes, weights are exact
 * byte shares summing to 65536, and the plan file says the same.
 */
static void test_conversion(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=4,nics=2,up_gbps=50,fail=agg0.0-core0");
	/* Two jobs share pairs; the second phase carries more for some. */
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=512M,place=frag;"
				       "hd-allreduce:bytes=96M,hosts=0-7", t);
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .generation = 9, .enforce = true };
	struct fp_plan *p;
	struct fp_hostplan all, file, one;
	struct fp_addr a[4];
	struct fp_err err;
	char *js;
	size_t i, j, k, n, nrev = 0;
	int h;

	(void)state;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &all, &err), 0);
	assert_int_equal(all.generation, 9);
	for (i = 0; i < all.n; i++) {
		const struct fp_hostplan_entry *e = &all.e[i];
		int src = fp_topo_find_addr(t, fp_addr_to_v4(&e->local));
		int dst = fp_topo_find_addr(t, fp_addr_to_v4(&e->remote));
		uint64_t best = 0, w = 0;
		size_t bp = 0, bf = 0;
		bool rev;

		assert_true(e->enforce);
		assert_int_equal(e->dqpn, FP_DQPN_ANY);
		/* the pair's largest flow, earliest phase on ties */
		for (j = 0; j < s->nph; j++)
			for (k = 0; k < s->ph[j].n; k++)
				if (s->ph[j].flows[k].src == src && s->ph[j].flows[k].dst == dst &&
				    s->ph[j].flows[k].bytes > best) {
					best = s->ph[j].flows[k].bytes;
					bp = j;
					bf = k;
				}
		/* no flow of its own: the reverse entry of the pair's largest flow back */
		rev = !best;
		for (j = 0; rev && j < s->nph; j++)
			for (k = 0; k < s->ph[j].n; k++)
				if (s->ph[j].flows[k].src == dst && s->ph[j].flows[k].dst == src &&
				    s->ph[j].flows[k].bytes > best) {
					best = s->ph[j].flows[k].bytes;
					bp = j;
					bf = k;
				}
		assert_true(best > 0);
		nrev += rev;
		assert_int_equal(e->nsub, p->ph[bp].flows[bf].n);
		for (k = 0; k < e->nsub; k++) {
			const struct fp_plan_subflow *sf = &p->ph[bp].subs[p->ph[bp].flows[bf].first + k];
			u128 exact = (u128)sf->bytes * FP_WEIGHT_ONE / best;

			if (rev) {
				/* on the reverse of the forward subflow's path */
				struct fp_pathset fps = fp_topo_paths(t, t->nodes[dst].leaf,
								      t->nodes[src].leaf);
				struct fp_pathset rps = fp_topo_paths(t, t->nodes[src].leaf,
								      t->nodes[dst].leaf);
				int r = fp_topo_route(t, src, dst, e->sub[k].sport), hop;

				assert_true(r >= 0 && r < rps.n);
				assert_int_equal(rps.p[r].len, fps.p[sf->path].len);
				for (hop = 0; hop < rps.p[r].len; hop++)
					assert_int_equal(rps.p[r].link[hop],
							 t->links[fps.p[sf->path].link[rps.p[r].len - 1 - hop]].rev);
			} else {
				assert_int_equal(e->sub[k].flow_label, sf->flow_label);
			}
			/* floor of the share, or the remainder on top of the largest */
			assert_true(e->sub[k].weight >= (uint32_t)exact &&
				    e->sub[k].weight < (uint32_t)exact + e->nsub + 1);
			w += e->sub[k].weight;
		}
		assert_int_equal(w, FP_WEIGHT_ONE);
	}
	assert_true(nrev > 0);	/* the ring's pairs have no flow back */
	/* The streamed plan file: valid JSON, and its entries are the same. */
	js = fp_plan_to_json(p, true, true);
	assert_non_null(js);
	assert_indented(js);
	{
		struct json_object *root = json_tokener_parse(js), *ph, *x;
		size_t nl = 0;
		int l;

		assert_non_null(root);
		/* phase 0's links: every link with bytes, link 0 (h0's uplink) among them */
		assert_true(json_object_object_get_ex(root, "phases", &ph));
		assert_true(json_object_object_get_ex(json_object_array_get_idx(ph, 0), "links", &x));
		for (l = 0; l < t->nlinks; l++)
			nl += p->ph[0].link_bytes[l] > 0;
		assert_true(p->ph[0].link_bytes[0] > 0);
		assert_int_equal(json_object_array_length(x), nl);
		json_object_put(root);
	}
	/* A host's share, pretty: indented as the plan file is. */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		assert_int_equal(fp_plan_write_share(f, p, 0, FP_PLAN_PRETTY, &err), 0);
		assert_int_equal(fclose(f), 0);
		assert_non_null(strstr(buf, "\n  \"host\": \"h0\""));
		assert_indented(buf);
		free(buf);
	}
	assert_int_equal(fp_hostplan_parse(js, strlen(js), "plan", &file, &err), 0);
	assert_same(&all, &file);
	/* A host's share is the whole plan's entries of its addresses. */
	for (h = 0; h < t->nhosts; h++) {
		n = host_addrs(t, h, a);
		assert_int_equal(fp_plan_hostplan(p, a, n, &one, &err), 0);
		fp_hostplan_free(&file);
		assert_int_equal(fp_hostplan_parse(js, strlen(js), "plan", &file, &err), 0);
		fp_hostplan_select(&file, a, n);
		assert_same(&one, &file);
		fp_hostplan_free(&one);
	}
	/* The same address twice is one address. */
	a[1] = a[0];
	assert_int_equal(fp_plan_hostplan(p, a, 2, &one, &err), 0);
	fp_hostplan_free(&one);
	free(js);
	fp_hostplan_free(&all);
	fp_hostplan_free(&file);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* Spraying pins nothing; same-host pairs have no entry. */
static void test_no_entries(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2,nics=2");
	struct fp_sched *s = gen_sched("alltoall:bytes=64M", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_SPRAY, 0, 0), *f;
	struct fp_hostplan hp;
	struct fp_err err;
	size_t i;

	(void)state;
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &hp, &err), 0);
	assert_int_equal(hp.n, 0);
	fp_hostplan_free(&hp);
	f = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_int_equal(fp_plan_hostplan(f, NULL, 0, &hp, &err), 0);
	/* 8 NICs, each to the 6 NICs of other hosts */
	assert_int_equal(hp.n, 8 * 6);
	for (i = 0; i < hp.n; i++)
		assert_int_not_equal(t->nodes[fp_topo_find_addr(t, fp_addr_to_v4(&hp.e[i].local))].host,
				     t->nodes[fp_topo_find_addr(t, fp_addr_to_v4(&hp.e[i].remote))].host);
	fp_hostplan_free(&hp);
	fp_plan_free(p);
	fp_plan_free(f);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * NICs that send nothing have no entries and are no error, also in a plan
 * without reverse entries (ECMP's): a ring of two hosts of four (one NIC
 * each) pins its two pairs.
 */
static void test_idle_nics(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=64M,hosts=0+2", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_ECMP, 0, 7);
	struct fp_hostplan hp;
	struct fp_err err;
	size_t i, j;

	(void)state;
	assert_int_equal(s->nph, 1);
	assert_int_equal(s->ph[0].n, 2);
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &hp, &err), 0);
	assert_int_equal(hp.n, 2);
	for (i = 0; i < hp.n; i++) {
		int a = fp_topo_find_addr(t, fp_addr_to_v4(&hp.e[i].local));
		int b = fp_topo_find_addr(t, fp_addr_to_v4(&hp.e[i].remote));

		for (j = 0; j < s->ph[0].n && (s->ph[0].flows[j].src != a || s->ph[0].flows[j].dst != b); j++)
			;
		assert_true(j < s->ph[0].n);
	}
	fp_hostplan_free(&hp);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* Per-host shares in a directory, JSON and compact, read back. */
static void shares(const char *spec)
{
	struct fp_topo *t = gen_topo(spec);
	struct fp_sched *s = gen_sched("alltoall:bytes=300M;ring-allreduce:bytes=1G", t);
	struct fp_plan *p;
	char dir[] = "/tmp/fp-hostplan-XXXXXX", path[256], cmd[300];
	struct fp_hostplan one, back;
	struct fp_addr a[4];
	struct fp_err err;
	struct stat st;
	size_t split = 0, i;
	int h;

	/*
	 * A phase that splits: 3 flows of 4 GiB from leaf0 into leaf1, which
	 * has 2 live spines (1.5 flows' bytes each), so that entries of
	 * several subflows, with their weights, are written and read too.
	 */
	fp_sched_add(s, s->nph, fp_topo_find(t, "h0.n0"), fp_topo_find(t, "h2.n0"), 4ull << 30, 0);
	fp_sched_add(s, s->nph - 1, fp_topo_find(t, "h0.n1"), fp_topo_find(t, "h2.n1"), 4ull << 30, 0);
	fp_sched_add(s, s->nph - 1, fp_topo_find(t, "h1.n0"), fp_topo_find(t, "h3.n0"), 4ull << 30, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_true(p->ph[s->nph - 1].split_flows > 0);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(fp_plan_write_shares(p, dir, 0, &err), 0);
	assert_int_equal(fp_plan_write_shares(p, dir, FP_PLAN_COMPACT, &err), 0);
	for (h = 0; h < t->nhosts; h++) {
		size_t n = host_addrs(t, h, a);

		assert_int_equal(fp_plan_hostplan(p, a, n, &one, &err), 0);
		for (i = 0; i < one.n; i++)
			split += one.e[i].nsub > 1;
		snprintf(path, sizeof(path), "%s/%s.json", dir, t->hosts[h].name);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0044, 0044);	/* readable as any output */
		assert_int_equal(fp_hostplan_load(path, &back, &err), 0);
		assert_same(&one, &back);
		fp_hostplan_free(&back);
		snprintf(path, sizeof(path), "%s/%s.share", dir, t->hosts[h].name);
		if (fp_share_load(path, &back, &err))
			fail_msg("%s", err.msg);
		assert_same(&one, &back);
		fp_hostplan_free(&back);
		fp_hostplan_free(&one);
	}
	/* entries of several subflows (weights written) went through too */
	assert_true(split > 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	/* a directory that is not there */
	assert_int_equal(fp_plan_write_shares(p, "/nonexistent/dir", FP_PLAN_COMPACT, &err), ENOENT);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

static void test_shares(void **state)
{
	(void)state;
	shares("leafspine:leaves=3,spines=3,hosts=2,nics=2,fail=leaf1-spine2");
}

/* The IPv6 twin: shares of IPv6 entries, JSON and compact, read back. */
static void test_shares_v6(void **state)
{
	(void)state;
	shares("leafspine:leaves=3,spines=3,hosts=2,nics=2,fail=leaf1-spine2,ipv6,fields=l4+flowlabel");
}

/*
 * A writer whose stdin is closed (a daemon may run so) gets descriptor 0
 * for the first share it writes aside: that is a file like any other, and
 * every host's share is written and reads back.
 */
static void test_shares_fd0(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=1G", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	char dir[] = "/tmp/fp-hostplan-XXXXXX", path[256], cmd[300];
	struct fp_hostplan one, back;
	struct fp_addr a[4];
	struct fp_err err = { "" };
	int saved = dup(0), h, rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* (saved < 0: the test runs with stdin closed already) */
	assert_true(saved < 0 || close(0) == 0);
	rc = fp_plan_write_shares(p, dir, FP_PLAN_COMPACT, &err);
	if (saved >= 0) {
		assert_int_equal(dup2(saved, 0), 0);
		close(saved);
	}
	if (rc)
		fail_msg("with fd 0 free: %s", err.msg);
	for (h = 0; h < t->nhosts; h++) {
		size_t n = host_addrs(t, h, a);

		snprintf(path, sizeof(path), "%s/%s.share", dir, t->hosts[h].name);
		if (fp_share_load(path, &back, &err))
			fail_msg("%s", err.msg);
		assert_int_equal(fp_plan_hostplan(p, a, n, &one, &err), 0);
		assert_same(&one, &back);
		fp_hostplan_free(&back);
		fp_hostplan_free(&one);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* Host names that would leave the directory are refused. */
static void test_share_names(void **state)
{
	const char *txt =
		"{\"format\":\"flowplan-topology\",\"version\":1,\"switches\":[{\"name\":\"l0\",\"tier\":1}],"
		"\"hosts\":[{\"name\":\"../x\",\"nics\":[{\"name\":\"a\"}]},{\"name\":\"b\",\"nics\":[{\"name\":\"b0\"}]}],"
		"\"links\":[{\"a\":\"a\",\"b\":\"l0\",\"gbps\":100},{\"a\":\"b0\",\"b\":\"l0\",\"gbps\":100}]}";
	struct fp_topo *t = NULL;
	struct fp_sched *s;
	struct fp_plan *p;
	struct fp_err err;

	(void)state;
	assert_int_equal(fp_topo_parse(txt, strlen(txt), "t", &t, &err), 0);
	s = gen_sched("pipeline:bytes=1M", t);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_int_equal(fp_plan_write_shares(p, "/tmp", FP_PLAN_COMPACT, &err), EINVAL);
	assert_non_null(strstr(err.msg, "cannot name a file"));
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);

	/* every letter, digit, '.', '_' and '-' may name one: A to Z too */
	{
		static const char ok[] =
			"{\"format\":\"flowplan-topology\",\"version\":1,\"switches\":[{\"name\":\"l0\",\"tier\":1}],"
			"\"hosts\":[{\"name\":\"AZaz09.x_-\",\"nics\":[{\"name\":\"a\"}]},{\"name\":\"b\",\"nics\":[{\"name\":\"b0\"}]}],"
			"\"links\":[{\"a\":\"a\",\"b\":\"l0\",\"gbps\":100},{\"a\":\"b0\",\"b\":\"l0\",\"gbps\":100}]}";
		char dir[] = "/tmp/fp-hostplan-XXXXXX", path[256], cmd[300];
		struct fp_hostplan back;

		t = NULL;
		assert_int_equal(fp_topo_parse(ok, strlen(ok), "t", &t, &err), 0);
		s = gen_sched("pipeline:bytes=1M", t);
		p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
		assert_non_null(mkdtemp(dir));
		if (fp_plan_write_shares(p, dir, FP_PLAN_COMPACT, &err))
			fail_msg("%s", err.msg);
		snprintf(path, sizeof(path), "%s/AZaz09.x_-.share", dir);
		assert_int_equal(fp_share_load(path, &back, &err), 0);
		fp_hostplan_free(&back);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
		fp_plan_free(p);
		fp_sched_free(s);
		fp_topo_free(t);
	}
}

struct share_case {
	const char *name, *text, *want;
};

static const struct share_case bad_share[] = {
	{ "empty", "", "empty" },
	{ "header", "flowplan-share 2\n", "s:1: the first line" },
	{ "no src", "flowplan-share 1\n10.0.0.1 5\n", "s:2: an entry before any src" },
	{ "label 0", "flowplan-share 1\nsrc 10.0.0.1\n10.0.0.2 0\n", "s:3: flow label" },
	{ "label big", "flowplan-share 1\nsrc 10.0.0.1\n10.0.0.2 1048576\n", "s:3: flow label" },
	{ "weights", "flowplan-share 1\nsrc 10.0.0.1\n10.0.0.2 1:100 2:100\n", "weights sum to 200" },
	{ "weight missing", "flowplan-share 1\nsrc 10.0.0.1\n10.0.0.2 1 2:100\n", "need :WEIGHT" },
	{ "weight big", "flowplan-share 1\nsrc 10.0.0.1\n10.0.0.2 1:65537\n", "s:3: weight" },
	{ "17 subflows", "flowplan-share 1\nsrc 10.0.0.1\n10.0.0.2 1:4096 2:4096 3:4096 4:4096 5:4096 6:4096 7:4096 8:4096 9:4096 10:4096 11:4096 12:4096 13:4096 14:4096 15:4096 16:4096 17:0\n", "at most 16" },
	{ "dup", "flowplan-share 1\nsrc 10.0.0.1\n10.0.0.2 1\n10.0.0.2 2\n", "two entries" },
	{ "addr", "flowplan-share 1\nsrc 10.0.0.1\n10.0.0 1\n", "is not an address" },
	{ "src", "flowplan-share 1\nsrc\n", "src: expected one address" },
	{ "mixed", "flowplan-share 1\nsrc 10.0.0.1\n::1 1\n", "different families" },
	{ "dqpn", "flowplan-share 1\nsrc 10.0.0.1\n10.0.0.2/16777216 1\n", "dqpn" },
	{ "gen", "flowplan-share 1\ngeneration 9223372036854775808\n", "generation" },
	{ "gen twice", "flowplan-share 1\ngeneration 1\ngeneration 2\n", "a second generation" },
	{ "enforce", "flowplan-share 1\nenforce 2\n", "enforce: 0 or 1" },
	{ "late", "flowplan-share 1\nsrc 10.0.0.1\nenforce 1\n", "after the first src" },
	{ "trailing", "flowplan-share 1\nsrc 10.0.0.1\n10.0.0.2 1\x20\n", "" },	/* a blank */
	{ "nul", "flowplan-share 1\nsrc 10.0.0.1\0\n", "NUL" },
	/* a word of 62 characters: longer than any keyword or address (w[] holds 61) */
	{ "long word", "flowplan-share 1\n"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 1\n",
	  "s:2: expected a keyword or an address" },
};

static void test_share_bad(void **state)
{
	struct fp_hostplan hp;
	struct fp_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_share) / sizeof(bad_share[0]); i++) {
		const struct share_case *c = &bad_share[i];
		size_t len = strlen(c->text);

		if (!strcmp(c->name, "nul"))
			len = 30;
		err.msg[0] = 0;
		if (!fp_share_parse(c->text, len, "s", &hp, &err))
			fail_msg("%s: accepted", c->name);
		if (!strstr(err.msg, c->want))
			fail_msg("%s: \"%s\" does not say \"%s\"", c->name, err.msg, c->want);
		assert_int_equal(hp.n, 0);
	}
}

/*
 * Failures a share's reader and writer report as such: a file that is not
 * there (ENOENT, nothing read), and a share written to a full device
 * (/dev/full: the writes are buffered, the flush fails; EIO).
 */
static void test_share_io_errors(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1");
	struct fp_sched *s = gen_sched("alltoall:bytes=1M", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	struct fp_hostplan hp;
	struct fp_err err = { "" };
	FILE *f;

	(void)state;
	assert_int_equal(fp_share_load("/nonexistent/h0.share", &hp, &err), ENOENT);
	assert_int_equal(hp.n, 0);
	fp_hostplan_free(&hp);
	f = fopen("/dev/full", "w");
	if (f) {
		assert_int_equal(fp_share_write(f, p, 0, &err), EIO);
		assert_non_null(strstr(err.msg, "writing the share of h0"));
		fclose(f);
	} else {
		print_message("no /dev/full here: the failed write is not tested\n");
	}
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

static void test_share_good(void **state)
{
	const char *txt = "flowplan-share 1\n# comment\ngeneration 7\nhost h3\nenforce 1\n\n"
			  "src 198.18.0.25\n198.18.0.34 4097:32768 12:32768\n198.18.0.33 1\n"
			  "198.18.0.33/77 5\nsrc 2001:db8::1\n2001:db8::2 16383\n";
	struct fp_hostplan hp;
	struct fp_err err;
	struct fp_addr l, r;

	(void)state;
	assert_int_equal(fp_share_parse(txt, strlen(txt), "s", &hp, &err), 0);
	assert_int_equal(hp.generation, 7);
	assert_int_equal(hp.n, 4);
	fp_addr_parse("198.18.0.25", &l);
	fp_addr_parse("198.18.0.34", &r);
	assert_int_equal(fp_hostplan_find(&hp, &l, &r, 5)->nsub, 2);
	assert_int_equal(fp_hostplan_find(&hp, &l, &r, 5)->sub[0].sport, fp_label_to_sport(4097));
	fp_addr_parse("198.18.0.33", &r);
	assert_int_equal(fp_hostplan_find(&hp, &l, &r, 77)->sub[0].flow_label, 5);
	assert_int_equal(fp_hostplan_find(&hp, &l, &r, 78)->sub[0].flow_label, 1);
	assert_true(fp_hostplan_find(&hp, &l, &r, 78)->enforce);
	assert_int_equal(fp_hostplan_find(&hp, &l, &r, 78)->sub[0].weight, FP_WEIGHT_ONE);
	fp_hostplan_free(&hp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversion),
		cmocka_unit_test(test_no_entries),
		cmocka_unit_test(test_idle_nics),
		cmocka_unit_test(test_shares),
		cmocka_unit_test(test_shares_v6),
		cmocka_unit_test(test_shares_fd0),
		cmocka_unit_test(test_share_names),
		cmocka_unit_test(test_share_bad),
		cmocka_unit_test(test_share_good),
		cmocka_unit_test(test_share_io_errors),
	};

	return cmocka_run_group_tests_name("planner_hostplan", tests, NULL, NULL);
}
