// SPDX-License-Identifier: MIT
/*
 * The planner against an independent solver: random fabrics of every class
 * the model describes (two-tier and fat-tree; failed links; 1:1 and 2:1
 * oversubscription; mixed link speeds; equal and unequal flows; several
 * jobs; rings in random host orders), each phase's fractional
 * multicommodity LP written in CPLEX LP format and solved by GLPK's glpsol
 * in exact (rational) arithmetic. The LP is built here from scratch: per
 * destination leaf, a flow on the shortest-path DAG of live links (found
 * by this file's own BFS), so it shares no code with the planner.
 *
 * Asserted per phase, with lambda* the LP optimum:
 * - the planner's lower bound is at most lambda* (it is a proof);
 * - its maximum link load is at least lambda* (else the LP or the
 *   accounting is wrong);
 * - exact and LP methods: the load is lambda*, up to the integer bytes of
 *   the subflows (when no flow needed more than max_split subflows);
 *   gradient projection: within 1e-3 of lambda* (as test_planner_plan);
 * - bytes conserved, every port routed onto its planned path by the hash
 *   model, nothing on a failed link.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "planner/util.h"
#include "planner_util.h"

#define DIR_TEMPLATE	"/tmp/fp-lp-XXXXXX"
static char dir[sizeof(DIR_TEMPLATE)] = DIR_TEMPLATE;	/* mkdtemp() fills it */

/* ---- the LP, from scratch ---- */

/* Hops from every switch to leaf @dst over live switch links (-1: none). */
static void bfs(const struct fp_topo *t, int dst, int *d)
{
	int *q = calloc((size_t)t->nswitches, sizeof(int)), qh = 0, qt = 0, i, l;

	for (i = 0; i < t->nswitches; i++)
		d[i] = -1;
	d[dst] = 0;
	q[qt++] = dst;
	while (qh < qt) {
		int v = q[qh++];

		for (l = 0; l < t->nlinks; l++) {
			const struct fp_link *k = &t->links[l];

			/* k leads into v: its tail is one hop further. */
			if (k->to != v || !k->up || t->nodes[k->from].is_nic || d[k->from] >= 0)
				continue;
			d[k->from] = d[v] + 1;
			q[qt++] = k->from;
		}
	}
	free(q);
}

/*
 * Write the phase's LP; the objective is in seconds (bytes in MB, link
 * capacities in MB/s). Returns 0, or -1 when a flow has no live path.
 */
static int write_lp(const struct fp_topo *t, const struct fp_phase *ph, const char *path)
{
	FILE *f = fopen(path, "w");
	double *supply = calloc((size_t)t->nnodes, sizeof(double));
	double *host = calloc((size_t)t->nlinks, sizeof(double));
	int *d = calloc((size_t)t->nswitches, sizeof(int)), dst, v, l, bad = 0;
	size_t i;
	char *used = calloc((size_t)t->nnodes, 1);

	assert_non_null(f);
	fprintf(f, "Minimize\n obj: lam\nSubject To\n");
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *fl = &ph->flows[i];

		if (t->nodes[fl->src].host == t->nodes[fl->dst].host)
			continue;
		host[t->nodes[fl->src].up_link] += (double)fl->bytes / 1e6;
		host[t->nodes[fl->dst].down_link] += (double)fl->bytes / 1e6;
		used[t->nodes[fl->dst].leaf] = 1;
	}
	for (l = 0; l < t->nlinks; l++)
		if (host[l] > 0)
			fprintf(f, " h%d: lam >= %.17g\n", l, host[l] / (t->links[l].gbps * 125));
	for (dst = 0; dst < t->nswitches; dst++) {
		if (!used[dst])
			continue;
		bfs(t, dst, d);
		memset(supply, 0, sizeof(double) * (size_t)t->nnodes);
		for (i = 0; i < ph->n; i++) {
			const struct fp_flow *fl = &ph->flows[i];
			int sl = t->nodes[fl->src].leaf;

			if (t->nodes[fl->src].host == t->nodes[fl->dst].host ||
			    t->nodes[fl->dst].leaf != dst || sl == dst)
				continue;
			if (d[sl] < 0)
				bad = 1;
			supply[sl] += (double)fl->bytes / 1e6;
		}
		/* Conservation at every switch that reaches dst, dst excepted. */
		for (v = 0; v < t->nswitches; v++) {
			int terms = 0;

			if (v == dst || d[v] < 0)
				continue;
			fprintf(f, " n%d_%d:", dst, v);
			for (l = 0; l < t->nlinks; l++) {
				const struct fp_link *k = &t->links[l];

				if (!k->up || t->nodes[k->from].is_nic || t->nodes[k->to].is_nic ||
				    d[k->from] < 0 || d[k->to] != d[k->from] - 1)
					continue;
				if (k->from == v) {
					fprintf(f, " + x%d_%d", dst, l);
					terms++;
				} else if (k->to == v) {
					fprintf(f, " - x%d_%d", dst, l);
					terms++;
				}
			}
			if (!terms)
				fprintf(f, " 0 lam");
			fprintf(f, " = %.17g\n", supply[v]);
		}
	}
	/* Capacity of every live switch link: the sum over destinations. */
	for (l = 0; l < t->nlinks; l++) {
		const struct fp_link *k = &t->links[l];
		int terms = 0;

		if (!k->up || t->nodes[k->from].is_nic || t->nodes[k->to].is_nic)
			continue;
		fprintf(f, " c%d: %.17g lam", l, -k->gbps * 125);
		for (dst = 0; dst < t->nswitches; dst++) {
			if (!used[dst])
				continue;
			bfs(t, dst, d);
			if (d[k->from] >= 0 && d[k->to] == d[k->from] - 1) {
				fprintf(f, " + x%d_%d", dst, l);
				terms++;
			}
		}
		fprintf(f, " <= 0\n");
		(void)terms;
	}
	fprintf(f, "End\n");
	fclose(f);
	free(supply);
	free(host);
	free(d);
	free(used);
	return bad ? -1 : 0;
}

/* glpsol in exact arithmetic: the optimum, or NAN. */
static double glpsol_optimum(const char *lp)
{
	char cmd[1024], raw[320], line[512];
	double obj = NAN;
	FILE *f;
	int rc;

	snprintf(raw, sizeof(raw), "%s.raw", lp);
	snprintf(cmd, sizeof(cmd), "glpsol --lp %s --exact -w %s >/dev/null 2>&1", lp, raw);
	rc = system(cmd);
	if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc))
		return NAN;
	f = fopen(raw, "r");
	if (!f)
		return NAN;
	while (fgets(line, sizeof(line), f)) {
		char a[8], b[8];
		int r, c;

		if (sscanf(line, "s bas %d %d %7s %7s %lf", &r, &c, a, b, &obj) == 5)
			break;
	}
	fclose(f);
	if (strstr(line, " f f ") == NULL)
		obj = NAN;	/* not optimal */
	return obj;
}

/* ---- checks of a plan ---- */

static void assert_plan_valid(const struct fp_plan *p)
{
	size_t i, j, k;

	assert_conserved(p);
	for (i = 0; i < p->nph; i++) {
		const struct fp_plan_phase *pp = &p->ph[i];
		int l;

		for (l = 0; l < p->topo->nlinks; l++)
			if (!p->topo->links[l].up && pp->link_bytes[l] > 0)
				fail_msg("bytes on failed link %d", l);
		for (j = 0; j < p->sched->ph[i].n; j++) {
			const struct fp_flow *f = &p->sched->ph[i].flows[j];

			assert_true(pp->flows[j].n <= FP_MAX_SUBFLOWS);
			for (k = 0; k < pp->flows[j].n; k++) {
				const struct fp_plan_subflow *s = &pp->subs[pp->flows[j].first + k];

				if (s->path == FP_PATH_NONE)
					continue;
				assert_int_equal(s->sport, fp_label_to_sport(s->flow_label));
				assert_int_equal(fp_topo_route(p->topo, f->src, f->dst, s->sport), s->path);
			}
		}
	}
}

/*
 * Plan @t/@s with flowplan and compare every phase with glpsol. @exact:
 * demand lambda* to the byte (exact or LP method, no capped flow).
 */
static int n_lp, n_gp, n_exact, n_greedy, n_skipped;

static void compare(struct fp_topo *t, struct fp_sched *s, int max_split, int method,
		    const char *what)
{
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .generation = 1,
				  .max_split = max_split, .method = method };
	struct fp_plan *p = NULL;
	struct fp_err err;
	char lp[300];
	size_t i;
	int rc;

	rc = fp_plan_compute(t, s, &o, &p, &err);
	if (rc == EHOSTUNREACH) {
		n_skipped++;	/* random failures cut the fabric: refused, as it must be */
		return;
	}
	if (rc)
		fail_msg("%s: %s", what, err.msg);
	assert_plan_valid(p);
	for (i = 0; i < p->nph; i++) {
		const struct fp_plan_phase *pp = &p->ph[i];
		double opt, slack, gmin = INFINITY;
		int l;

		snprintf(lp, sizeof(lp), "%s/p.lp", dir);
		assert_int_equal(write_lp(t, &s->ph[i], lp), 0);
		opt = glpsol_optimum(lp);
		if (isnan(opt))
			fail_msg("%s phase %zu: glpsol found no optimum", what, i);
		if (getenv("FP_TEST_VERBOSE"))
			printf("%s: %s opt %.12g load %.12g bound %.12g subflows %zu capped %zu\n", what,
			       fp_method_name(pp->method), opt, pp->max_load, pp->lower_bound, pp->nsubs,
			       pp->capped_flows);
		/* Integer bytes: each subflow may carry a byte more than its share. */
		for (l = 0; l < t->nlinks; l++)
			gmin = t->links[l].gbps < gmin ? t->links[l].gbps : gmin;
		slack = (double)(pp->nsubs + 1) * 8 / (gmin * 1e9);
		if (pp->lower_bound > opt * (1 + 1e-9) + 1e-12)
			fail_msg("%s phase %zu: bound %.12g above the LP optimum %.12g", what, i,
				 pp->lower_bound, opt);
		if (pp->max_load < opt * (1 - 1e-9) - 1e-12)
			fail_msg("%s phase %zu: load %.12g below the LP optimum %.12g", what, i,
				 pp->max_load, opt);
		switch (pp->method) {
		case FP_METHOD_EXACT:
		case FP_METHOD_LP:
		case FP_METHOD_GREEDY:
			pp->method == FP_METHOD_EXACT ? n_exact++ :
			pp->method == FP_METHOD_LP ? n_lp++ : n_greedy++;
			if (!pp->capped_flows && pp->max_load > opt * (1 + 1e-9) + slack)
				fail_msg("%s phase %zu (%s): load %.12g, LP optimum %.12g", what, i,
					 fp_method_name(pp->method), pp->max_load, opt);
			break;
		default:
			n_gp++;
			if (pp->max_load > opt * (1 + 1e-3))
				fail_msg("%s phase %zu (gp): load %.12g, LP optimum %.12g", what, i,
					 pp->max_load, opt);
		}
	}
	fp_plan_free(p);
}

/* ---- random instances ---- */

static uint64_t rng = 20241;

static int rnd(int n)
{
	return (int)(fp_rand64(&rng) % (uint64_t)n);
}

/* "a-b+c-d": up to @n random switch links of @t to fail. */
static void random_fail(const struct fp_topo *t, int n, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < n; i++) {
		const struct fp_link *k;
		int l;

		do
			l = rnd(t->nlinks);
		while (t->nodes[t->links[l].from].is_nic || t->nodes[t->links[l].to].is_nic);
		k = &t->links[l];
		off += (size_t)snprintf(buf + off, len - off, "%s%s-%s", i ? "+" : "",
					t->nodes[k->from].name, t->nodes[k->to].name);
	}
}

/* A schedule of one phase: ring in random order, pairs, or skewed all-to-all. */
static struct fp_sched *random_sched(struct fp_topo *t, int kind, bool equal, int jobs)
{
	struct fp_sched *s = calloc(1, sizeof(*s));
	int nh = t->nhosts, *perm = calloc((size_t)nh, sizeof(int)), i, j, job;

	s->name = fp_xstrdup("random");
	for (job = 0; job < jobs; job++) {
		char jn[8];
		int jid;
		uint64_t base = (uint64_t)(1 + rnd(64)) << 20;

		snprintf(jn, sizeof(jn), "j%d", job);
		jid = fp_sched_job(s, jn);
		for (i = 0; i < nh; i++)
			perm[i] = i;
		for (i = nh - 1; i > 0; i--) {
			int k = rnd(i + 1), x = perm[i];

			perm[i] = perm[k];
			perm[k] = x;
		}
		switch (kind) {
		case 0:	/* ring over every NIC rail, hosts in random order */
			for (j = 0; j < t->hosts[0].nnics; j++)
				for (i = 0; i < nh; i++)
					fp_sched_add(s, 0, t->hosts[perm[i]].first_nic + j,
						     t->hosts[perm[(i + 1) % nh]].first_nic + j,
						     equal ? base : base + (uint64_t)rnd(1 << 20), jid);
			break;
		case 1:	/* random pairs */
			for (i = 0; i < 2 * nh; i++) {
				int a = rnd(nh), b = rnd(nh);

				if (a != b)
					fp_sched_add(s, 0, t->hosts[a].first_nic, t->hosts[b].first_nic,
						     equal ? base : (uint64_t)(1 + rnd(1 << 26)), jid);
			}
			break;
		default:	/* all-to-all among half the hosts, skewed sizes */
			for (i = 0; i < nh / 2 + 1; i++)
				for (j = 0; j < nh / 2 + 1; j++)
					if (i != j)
						fp_sched_add(s, 0, t->hosts[perm[i]].first_nic,
							     t->hosts[perm[j]].first_nic,
							     equal ? base : base / (uint64_t)(1 + rnd(8)) +
							     (uint64_t)rnd(4096), jid);
		}
	}
	free(perm);
	if (!s->nph)
		fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[1].first_nic, 1 << 20, 0);
	return s;
}

static void run_class(int n, bool fattree, bool equal, int max_fail)
{
	int trial;

	for (trial = 0; trial < n; trial++) {
		char spec[256], fail[512], full[800];
		struct fp_topo *t;
		struct fp_sched *s;

		if (fattree)
			snprintf(spec, sizeof(spec), "fattree:k=%d,up_gbps=%d", 4 + 2 * rnd(2),
				 rnd(2) ? 100 : 50);
		else
			snprintf(spec, sizeof(spec), "leafspine:leaves=%d,spines=%d,hosts=%d,up_gbps=%d",
				 2 + rnd(6), 2 + rnd(5), 1 + rnd(4), rnd(2) ? 100 : 50);
		t = gen_topo(spec);
		random_fail(t, rnd(max_fail + 1), fail, sizeof(fail));
		fp_topo_free(t);
		snprintf(full, sizeof(full), "%s%s%s", spec, *fail ? ",fail=" : "", fail);
		t = gen_topo(full);
		if (t->nhosts < 2) {
			fp_topo_free(t);
			continue;
		}
		s = random_sched(t, rnd(3), equal, 1 + rnd(2));
		compare(t, s, 16, trial % 3 == 2 ? FP_METHOD_GP : 0, full);
		fp_sched_free(s);
		fp_topo_free(t);
	}
}

static void test_two_tier_equal(void **state)
{
	(void)state;
	run_class(12, false, true, 3);
}

static void test_two_tier_unequal(void **state)
{
	(void)state;
	run_class(10, false, false, 2);
}

static void test_fat_tree(void **state)
{
	(void)state;
	run_class(6, true, true, 3);
	run_class(6, true, false, 3);
}

/* A two-tier fabric of random link speeds, written as a file. */
static void test_mixed_speeds(void **state)
{
	int trial;

	(void)state;
	for (trial = 0; trial < 6; trial++) {
		int L = 2 + rnd(4), S = 2 + rnd(3), H = 1 + rnd(3), i, j;
		char *txt = malloc(1 << 16);
		size_t off = 0;
		struct fp_topo *t = NULL;
		struct fp_err err;
		struct fp_sched *s;
		static const int speeds[] = { 25, 40, 50, 100, 200, 400 };

		off += (size_t)sprintf(txt + off, "{\"format\":\"flowplan-topology\",\"version\":1,"
				       "\"name\":\"mixed\",\"switches\":[");
		for (i = 0; i < L; i++)
			off += (size_t)sprintf(txt + off, "%s{\"name\":\"leaf%d\",\"tier\":1}", i ? "," : "", i);
		for (i = 0; i < S; i++)
			off += (size_t)sprintf(txt + off, ",{\"name\":\"spine%d\",\"tier\":2}", i);
		off += (size_t)sprintf(txt + off, "],\"hosts\":[");
		for (i = 0; i < L * H; i++)
			off += (size_t)sprintf(txt + off, "%s{\"name\":\"h%d\",\"nics\":[{\"name\":\"h%d.n0\"}]}",
					       i ? "," : "", i, i);
		off += (size_t)sprintf(txt + off, "],\"links\":[");
		for (i = 0; i < L * H; i++)
			off += (size_t)sprintf(txt + off, "%s{\"a\":\"h%d.n0\",\"b\":\"leaf%d\",\"gbps\":%d}",
					       i ? "," : "", i, i / H, speeds[rnd(6)]);
		for (i = 0; i < L; i++)
			for (j = 0; j < S; j++)
				off += (size_t)sprintf(txt + off, ",{\"a\":\"leaf%d\",\"b\":\"spine%d\",\"gbps\":%d%s}",
						       i, j, speeds[rnd(6)], rnd(8) ? "" : ",\"up\":false");
		sprintf(txt + off, "]}");
		assert_int_equal(fp_topo_parse(txt, strlen(txt), "mixed", &t, &err), 0);
		if (t->nhosts >= 2) {
			s = random_sched(t, rnd(3), rnd(2), 1 + rnd(2));
			compare(t, s, 16, trial % 2 ? FP_METHOD_GP : 0, "mixed speeds");
			fp_sched_free(s);
		}
		fp_topo_free(t);
		free(txt);
	}
}

/* The cases: thirds on a leaf with 3 live uplinks, at any cap that allows them. */
static void test_thirds(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=4,spines=4,hosts=4,fail=leaf0-spine1");
	struct fp_sched *s = gen_sched("alltoall:bytes=1G", t);
	int cap;

	(void)state;
	for (cap = 2; cap <= 16; cap++)
		compare(t, s, cap, 0, "thirds");
	fp_sched_free(s);
	fp_topo_free(t);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return -1;
	printf("planner_lp: %d phases exact, %d lp, %d gp, %d greedy against glpsol; %d cut fabrics refused\n",
	       n_exact, n_lp, n_gp, n_greedy, n_skipped);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thirds),
		cmocka_unit_test(test_two_tier_equal),
		cmocka_unit_test(test_two_tier_unequal),
		cmocka_unit_test(test_mixed_speeds),
		cmocka_unit_test(test_fat_tree),
	};

	if (system("glpsol --version >/dev/null 2>&1")) {
		printf("planner_lp: glpsol not found (scripts/deps.sh unit installs glpk-utils): skipped\n");
		return 77;
	}
	return cmocka_run_group_tests_name("planner_lp", tests, setup, teardown);
}
