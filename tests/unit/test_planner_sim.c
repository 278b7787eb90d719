// SPDX-License-Identifier: MIT
/* The flow simulator against hand-computed max-min fair cases. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "planner/svg.h"
#include "planner/util.h"
#include "planner_util.h"

#define GB (1000000000ull)

static struct fp_sim *sim(struct fp_plan *p)
{
	struct fp_sim *s = NULL;
	struct fp_err err;

	assert_int_equal(fp_simulate(p, &s, &err), 0);
	return s;
}

static void assert_close(double got, double want)
{
	if (fabs(got - want) > 1e-9 * want)
		fail_msg("got %.12g, want %.12g", got, want);
}

/* Two flows forced through one 100G uplink share it: 50G each. */
static void test_shared_uplink(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=1,hosts=2");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan *p;
	struct fp_sim *r;

	(void)state;
	s->name = fp_xstrdup("two");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[2].first_nic, GB, 0);
	fp_sched_add(s, 0, t->hosts[1].first_nic, t->hosts[3].first_nic, GB, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	r = sim(p);
	assert_close(r->ph[0].fct[0], 8.0 * GB / 50e9);
	assert_close(r->ph[0].cct, 8.0 * GB / 50e9);
	/* the bound says the same: 2 GB over one 100G link */
	assert_close(p->ph[0].lower_bound, 16.0 * GB / 100e9);
	fp_sim_free(r);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Classic max-min: a: L0->L1, b: L0->L2, c: L1->L2 with L2's downlink at 40G.
 * b and c share 40G (20G each); a takes the 80G left on L0's uplink.
 * a ends at 8 GB/80G = 0.1 s, b and c at 8 GB/20G = 0.4 s.
 */
static void test_max_min(void **state)
{
	const char *txt =
		"{\"format\":\"flowplan-topology\",\"version\":1,\"name\":\"mm\","
		"\"switches\":[{\"name\":\"L0\",\"tier\":1},{\"name\":\"L1\",\"tier\":1},{\"name\":\"L2\",\"tier\":1},"
		"{\"name\":\"S\",\"tier\":2}],"
		"\"hosts\":[{\"name\":\"a\",\"nics\":[{\"name\":\"a0\"}]},{\"name\":\"b\",\"nics\":[{\"name\":\"b0\"}]},"
		"{\"name\":\"c\",\"nics\":[{\"name\":\"c0\"}]},{\"name\":\"x\",\"nics\":[{\"name\":\"x0\"}]},"
		"{\"name\":\"y\",\"nics\":[{\"name\":\"y0\"}]},{\"name\":\"z\",\"nics\":[{\"name\":\"z0\"}]}],"
		"\"links\":[{\"a\":\"a0\",\"b\":\"L0\",\"gbps\":100},{\"a\":\"b0\",\"b\":\"L0\",\"gbps\":100},"
		"{\"a\":\"c0\",\"b\":\"L1\",\"gbps\":100},{\"a\":\"x0\",\"b\":\"L1\",\"gbps\":100},"
		"{\"a\":\"y0\",\"b\":\"L2\",\"gbps\":100},{\"a\":\"z0\",\"b\":\"L2\",\"gbps\":100},"
		"{\"a\":\"L0\",\"b\":\"S\",\"gbps\":100},{\"a\":\"L1\",\"b\":\"S\",\"gbps\":100},"
		"{\"a\":\"L2\",\"b\":\"S\",\"gbps\":40}]}";
	struct fp_topo *t = NULL;
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_err err;
	struct fp_plan *p;
	struct fp_sim *r;

	(void)state;
	assert_int_equal(fp_topo_parse(txt, strlen(txt), "mm", &t, &err), 0);
	s->name = fp_xstrdup("mm");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, fp_topo_find(t, "a0"), fp_topo_find(t, "x0"), GB, 0);
	fp_sched_add(s, 0, fp_topo_find(t, "b0"), fp_topo_find(t, "y0"), GB, 0);
	fp_sched_add(s, 0, fp_topo_find(t, "c0"), fp_topo_find(t, "z0"), GB, 0);
	p = do_plan(t, s, FP_STRAT_ECMP, 0, 0);
	r = sim(p);
	assert_close(r->ph[0].fct[0], 0.1);
	assert_close(r->ph[0].fct[1], 0.4);
	assert_close(r->ph[0].fct[2], 0.4);
	assert_close(r->ph[0].cct, 0.4);
	fp_sim_free(r);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Four flows from four hosts under leaf0 to leaf1 over 2 spines of 100G:
 * spraying and flowplan finish in 4 GB*8/200G; all four on one spine in twice that.
 */
static void test_split_halves_cct(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=4");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan *p, *sp;
	struct fp_sim *r, *rs;
	int i;

	(void)state;
	s->name = fp_xstrdup("x");
	fp_sched_job(s, "j0");
	for (i = 0; i < 4; i++)
		fp_sched_add(s, 0, t->hosts[i].first_nic, t->hosts[4 + i].first_nic, GB, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	sp = do_plan(t, s, FP_STRAT_SPRAY, 0, 0);
	r = sim(p);
	rs = sim(sp);
	assert_close(r->ph[0].cct, 32.0 * GB / 200e9);
	assert_close(rs->ph[0].cct, 32.0 * GB / 200e9);
	fp_sim_free(r);
	fp_sim_free(rs);
	fp_plan_free(p);
	fp_plan_free(sp);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* Phases run one after another: the total is the sum of their CCTs. */
static void test_phases_add_up(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = gen_sched("hd-allreduce:bytes=1G", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	struct fp_sim *r = sim(p);
	double sum = 0;
	size_t i;

	(void)state;
	assert_int_equal(r->nph, 4);
	for (i = 0; i < r->nph; i++) {
		assert_true(r->ph[i].cct > 0);
		/* a phase can never beat its load bound */
		assert_true(r->ph[i].cct >= p->ph[i].lower_bound * (1 - 1e-9));
		sum += r->ph[i].cct;
	}
	assert_close(r->total, sum);
	fp_sim_free(r);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Incast: three senders to one host. Its downlink carries 3 GB at 100G:
 * 0.24 s, and no strategy's simulated CCT may undercut a phase's bound.
 */
static void test_incast(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = calloc(1, sizeof(*s));
	static const enum fp_strategy st[] = { FP_STRAT_ECMP, FP_STRAT_ECMPK, FP_STRAT_SPRAY,
					       FP_STRAT_FLOWPLAN };
	size_t k;

	(void)state;
	s->name = fp_xstrdup("incast");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[3].first_nic, GB, 0);
	fp_sched_add(s, 0, t->hosts[1].first_nic, t->hosts[3].first_nic, GB, 0);
	fp_sched_add(s, 0, t->hosts[2].first_nic, t->hosts[3].first_nic, GB, 0);
	for (k = 0; k < 4; k++) {
		struct fp_plan *p = do_plan(t, s, st[k], 4, 1);
		struct fp_sim *r = sim(p);

		assert_close(r->ph[0].cct, 3 * GB * 8 / 100e9);
		assert_true(r->ph[0].cct >= p->ph[0].lower_bound * (1 - 1e-9));
		fp_sim_free(r);
		fp_plan_free(p);
	}
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Unequal flows, each alone on its links but for one shared uplink: every
 * event reshares only what it touched. Flow a (1 GB) and b (3 GB) share
 * leaf0's one uplink at 50G each until a ends at 0.16 s; b then runs at
 * 100G: 2 GB more, 0.16 s. Flow c (2 GB) is alone elsewhere: 0.16 s.
 */
static void test_unequal_incremental(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=4,spines=1,hosts=2");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan *p;
	struct fp_sim *r;

	(void)state;
	s->name = fp_xstrdup("unequal");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[2].first_nic, GB, 0);
	fp_sched_add(s, 0, t->hosts[1].first_nic, t->hosts[3].first_nic, 3 * GB, 0);
	fp_sched_add(s, 0, t->hosts[4].first_nic, t->hosts[6].first_nic, 2 * GB, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	r = sim(p);
	assert_close(r->ph[0].fct[0], 0.16);
	assert_close(r->ph[0].fct[1], 0.32);
	assert_close(r->ph[0].fct[2], 0.16);
	assert_close(r->ph[0].cct, 0.32);
	fp_sim_free(r);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* Many flows of many sizes: the event count stays the distinct ends. */
static void test_many_unequal(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=8");
	struct fp_sched *s = calloc(1, sizeof(*s));
	uint64_t rng = 5;
	struct fp_plan *p;
	struct fp_sim *r;
	int i, j;

	(void)state;
	s->name = fp_xstrdup("skewed");
	fp_sched_job(s, "j0");
	for (i = 0; i < 64; i++)
		for (j = 0; j < 64; j++)
			if (i != j)
				fp_sched_add(s, 0, t->hosts[i].first_nic, t->hosts[j].first_nic,
					     (1 + fp_rand64(&rng) % 64) << 20, 0);
	p = do_plan(t, s, FP_STRAT_ECMP, 0, 3);
	r = sim(p);
	assert_true(r->ph[0].cct >= p->ph[0].lower_bound * (1 - 1e-9));
	assert_true(r->ph[0].events <= s->ph[0].n);
	fp_sim_free(r);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Events are the distinct instants flows end, whichever way rates are
 * found again. Three flows into h3 share its 100G link: a (1 GB) ends at
 * 3 GB / 100G = 0.24 s; b (2 GB) then runs at 50G, 1 GB more: 0.40 s; c
 * (10 GB) ends when all 13 GB have crossed the link: 1.04 s. Three flows
 * of 10 GB within leaf2, each on host links of its own, end together at
 * 0.8 s. Four instants, four events, though b's and c's rates changed on
 * the way (the finish times first computed for them went stale, and with
 * the three others in the heap they are left there, not rebuilt).
 */
static void test_events_are_ends(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=3,spines=1,hosts=3");
	struct fp_sched *s = calloc(1, sizeof(*s));
	static const struct {
		int src, dst;
		uint64_t gb;
		double fct;
	} fl[] = {
		{ 0, 3, 1, 0.24 }, { 1, 3, 2, 0.40 }, { 2, 3, 10, 1.04 },
		{ 6, 7, 10, 0.8 }, { 7, 8, 10, 0.8 }, { 8, 6, 10, 0.8 },
	};
	struct fp_plan *p;
	struct fp_err err;
	size_t m, i;

	(void)state;
	s->name = fp_xstrdup("incast");
	fp_sched_job(s, "j0");
	for (i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		fp_sched_add(s, 0, t->hosts[fl[i].src].first_nic, t->hosts[fl[i].dst].first_nic,
			     fl[i].gb * GB, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	for (m = 0; m < 2; m++) {
		struct fp_sim *r = NULL;

		assert_int_equal(fp_simulate_method(p, m ? FP_SIM_PART : FP_SIM_LEVEL, &r, &err), 0);
		for (i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
			assert_close(r->ph[0].fct[i], fl[i].fct);
		assert_close(r->ph[0].cct, 1.04);
		assert_int_equal(r->ph[0].events, 4);
		fp_sim_free(r);
	}
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* ---- a brute-force reference: every rate found again at every event ---- */

struct rsub {
	int flow, n;
	int link[FP_PATH_MAX_LEN + 2];
	double left, rate;
	bool active, frozen;
};

/* Max-min rates of the active subflows, progressive filling from scratch. */
static void ref_fill(const struct fp_topo *t, struct rsub *r, size_t n)
{
	double *resid = calloc((size_t)t->nlinks, sizeof(double));
	int *cnt = calloc((size_t)t->nlinks, sizeof(int)), l, h;
	size_t i;

	for (l = 0; l < t->nlinks; l++)
		resid[l] = t->links[l].up ? t->links[l].gbps * 1e9 / 8 : 0;
	for (i = 0; i < n; i++) {
		r[i].frozen = !r[i].active;
		r[i].rate = 0;
		for (h = 0; h < r[i].n && r[i].active; h++)
			cnt[r[i].link[h]]++;
	}
	for (;;) {
		int best = -1;
		double x = 0;

		for (l = 0; l < t->nlinks; l++)
			if (cnt[l] && (best < 0 || resid[l] / cnt[l] < x)) {
				best = l;
				x = resid[l] / cnt[l];
			}
		if (best < 0)
			break;
		x = x > 0 ? x : 0;
		for (i = 0; i < n; i++) {
			bool on = false;

			if (r[i].frozen)
				continue;
			for (h = 0; h < r[i].n; h++)
				on |= r[i].link[h] == best;
			if (!on)
				continue;
			r[i].frozen = true;
			r[i].rate = x;
			for (h = 0; h < r[i].n; h++) {
				resid[r[i].link[h]] -= x;
				cnt[r[i].link[h]]--;
			}
		}
	}
	free(resid);
	free(cnt);
}

/* Phase @pi of @p: per flow its completion time into @fct; the CCT. */
static double ref_phase(struct fp_plan *p, size_t pi, double *fct)
{
	struct fp_topo *t = p->topo;
	const struct fp_phase *ph = &p->sched->ph[pi];
	const struct fp_plan_phase *pp = &p->ph[pi];
	struct rsub *r = calloc(pp->nsubs + 1, sizeof(*r));
	size_t n = 0, i, j, active = 0;
	double now = 0, cct = 0;
	int h;

	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		struct fp_pathset ps;

		fct[i] = 0;
		if (t->nodes[f->src].host == t->nodes[f->dst].host)
			continue;
		ps = fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
		for (j = 0; j < pp->flows[i].n; j++) {
			const struct fp_plan_subflow *sub = &pp->subs[pp->flows[i].first + j];
			struct rsub *x = &r[n];

			if (sub->path == FP_PATH_NONE || !sub->bytes)
				continue;
			x->flow = (int)i;
			x->left = (double)sub->bytes;
			x->active = true;
			x->link[x->n++] = t->nodes[f->src].up_link;
			for (h = 0; h < ps.p[sub->path].len; h++)
				x->link[x->n++] = ps.p[sub->path].link[h];
			x->link[x->n++] = t->nodes[f->dst].down_link;
			n++;
			active++;
		}
	}
	while (active) {
		double tmin = INFINITY;

		ref_fill(t, r, n);
		for (i = 0; i < n; i++)
			if (r[i].active && r[i].rate > 0 && now + r[i].left / r[i].rate < tmin)
				tmin = now + r[i].left / r[i].rate;
		assert_true(isfinite(tmin));
		for (i = 0; i < n; i++) {
			if (!r[i].active)
				continue;
			if (r[i].rate > 0 && now + r[i].left / r[i].rate <= tmin * (1 + 1e-9)) {
				r[i].active = false;
				active--;
				if (tmin > fct[r[i].flow])
					fct[r[i].flow] = tmin;
			} else {
				r[i].left -= r[i].rate * (tmin - now);
			}
		}
		now = tmin;
	}
	for (i = 0; i < ph->n; i++)
		cct = fct[i] > cct ? fct[i] : cct;
	free(r);
	return cct;
}

/*
 * Small random cases (fabrics with and without failed links, every
 * strategy, unequal flows, incasts): both of the simulator's methods agree
 * with the reference to 1e-9 on every flow's completion, and no CCT is
 * below the planner's lower bound.
 */
static void test_against_reference(void **state)
{
	static const char *const topos[] = {
		"leafspine:leaves=4,spines=2,hosts=2", "leafspine:leaves=3,spines=3,hosts=3,nics=2",
		"leafspine:leaves=4,spines=3,hosts=2,fail=leaf1-spine0", "fattree:k=4",
		"fattree:k=4,fail=agg0.0-core0", "fattree:k=4,up_gbps=50",
	};
	static const char *const strat[] = { "ecmp", "ecmp4", "spray", "flowplan" };
	uint64_t rng = 11;
	int c, cases = 0;

	(void)state;
	for (c = 0; c < 48; c++) {
		struct fp_topo *t = gen_topo(topos[c % 6]);
		struct fp_sched *s = calloc(1, sizeof(*s));
		struct fp_plan_opts o = { .generation = 1, .seed = (uint64_t)c };
		struct fp_plan *p = NULL;
		struct fp_err err;
		int nics = 0, i, nf = 2 + (int)(fp_rand64(&rng) % 24), incast;
		size_t m;

		for (i = 0; i < t->nhosts; i++)
			nics += t->hosts[i].nnics;
		incast = t->hosts[fp_rand64(&rng) % (uint64_t)t->nhosts].first_nic;
		s->name = fp_xstrdup("random");
		fp_sched_job(s, "j0");
		for (i = 0; i < nf; i++) {
			int a = t->hosts[0].first_nic + (int)(fp_rand64(&rng) % (uint64_t)nics);
			int b = c % 3 == 0 && i % 2 ? incast :
				t->hosts[0].first_nic + (int)(fp_rand64(&rng) % (uint64_t)nics);

			if (a == b)
				continue;
			fp_sched_add(s, 0, a, b, (1 + fp_rand64(&rng) % 40) * (GB / 16), 0);
		}
		if (!s->nph || !s->ph[0].n) {
			fp_sched_free(s);
			fp_topo_free(t);
			continue;
		}
		assert_int_equal(fp_strategy_parse(strat[(c / 6) % 4], &o.strategy, &o.k), 0);
		if (fp_plan_compute(t, s, &o, &p, &err))
			fail_msg("case %d: %s", c, err.msg);
		for (m = 0; m < 2; m++) {
			struct fp_sim *r = NULL;
			double *fct = calloc(s->ph[0].n, sizeof(double)), want;
			size_t j;

			assert_int_equal(fp_simulate_method(p, m ? FP_SIM_PART : FP_SIM_LEVEL, &r,
							    &err), 0);
			want = ref_phase(p, 0, fct);
			if (fabs(r->ph[0].cct - want) > 1e-9 * want)
				fail_msg("case %d (%s, %s, %zu flows), method %zu: CCT %.12g, reference %.12g",
					 c, topos[c % 6], strat[(c / 6) % 4], s->ph[0].n, m,
					 r->ph[0].cct, want);
			for (j = 0; j < s->ph[0].n; j++)
				if (fabs(r->ph[0].fct[j] - fct[j]) > 1e-9 * want)
					fail_msg("case %d, method %zu, flow %zu: %.12g, reference %.12g",
						 c, m, j, r->ph[0].fct[j], fct[j]);
			assert_true(r->ph[0].cct >= p->ph[0].lower_bound * (1 - 1e-9));
			free(fct);
			fp_sim_free(r);
		}
		cases++;
		fp_plan_free(p);
		fp_sched_free(s);
		fp_topo_free(t);
	}
	assert_true(cases >= 40);
}

/* fp_svg_write()'s picture of @n panels of @t as text (free it). */
static char *svg_text(const struct fp_topo *t, const struct fp_svg_panel *pn, int n,
		      double bound)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct fp_err err;

	assert_non_null(f);
	if (fp_svg_write(f, t, pn, n, bound, &err))
		fail_msg("fp_svg_write: %s", err.msg);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The picture: well-formed enough, a panel per strategy, failed links dashed. */
static void test_picture(void **state)
{
	struct fp_topo *t = gen_topo("fattree:k=4,fail=agg0.0-core0");
	struct fp_sched *s = gen_sched("alltoall:bytes=64M", t);
	struct fp_plan *a = do_plan(t, s, FP_STRAT_ECMP, 0, 1), *b = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	double *la = calloc((size_t)t->nlinks, sizeof(double)), *lb = calloc((size_t)t->nlinks, sizeof(double));
	struct fp_svg_panel pn[2] = { { "ecmp", la, a->ph[0].max_load, 0 },
				      { "flow<plan>", lb, b->ph[0].max_load, 1.5 } };
	struct fp_err err;
	char *buf;

	(void)state;
	fp_plan_link_loads(a, la);
	fp_plan_link_loads(b, lb);
	buf = svg_text(t, pn, 2, b->ph[0].lower_bound);
	assert_non_null(strstr(buf, "<svg "));
	assert_non_null(strstr(buf, "</svg>\n"));
	/* each panel's frame lies inside its panel, 4 px in from each side */
	{
		const char *r = buf;
		double w, h, fw, fh;
		int frames = 0, got;

		got = sscanf(buf, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%lf\" height=\"%lf\"",
			     &w, &h);
		assert_int_equal(got, 2);
		while ((r = strstr(r, "<rect x=\"4\" y=\"4\" width=\""))) {
			got = sscanf(r, "<rect x=\"4\" y=\"4\" width=\"%lf\" height=\"%lf\"", &fw, &fh);
			assert_int_equal(got, 2);
			assert_true(4 + fw + 4 == w / 2);
			assert_true(4 + fh + 4 < h);
			frames++;
			r++;
		}
		assert_int_equal(frames, 2);
	}
	/*
	 * Tiers in rows, the highest on top, all inside the panel: every core
	 * above every aggregation switch, every one of those above every leaf.
	 */
	{
		const char *r = buf;
		double top[4] = { 0, 1e9, 1e9, 1e9 }, bottom[4] = { 0, -1e9, -1e9, -1e9 }, h = 0;
		int seen = 0, got;

		got = sscanf(buf, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%*f\" height=\"%lf\"",
			     &h);
		assert_int_equal(got, 1);
		while ((r = strstr(r, "<circle cx=\""))) {
			double x, y;
			char name[32];
			int n, tier;

			got = sscanf(r, "<circle cx=\"%lf\" cy=\"%lf\" r=\"%*d\" fill=\"#446\"><title>%31[^<]",
				     &x, &y, name);
			assert_int_equal(got, 3);
			n = fp_topo_find(t, name);
			assert_true(n >= 0);
			tier = t->nodes[n].tier;
			assert_true(tier >= 1 && tier <= 3);
			assert_true(y > 0 && y < h);
			top[tier] = y < top[tier] ? y : top[tier];
			bottom[tier] = y > bottom[tier] ? y : bottom[tier];
			seen++;
			r++;
		}
		assert_int_equal(seen, 2 * t->nswitches);	/* both panels */
		assert_true(bottom[3] < top[2] && bottom[2] < top[1]);
	}
	/* every NIC a small square of its own, in each panel */
	{
		const char *r = buf;
		int nics = 0, got;

		while ((r = strstr(r, "width=\"3\" height=\"3\" fill=\"#668\"><title>"))) {
			char name[32];
			int n;

			got = sscanf(strchr(r, '>') + 1, "<title>%31[^<]", name);
			assert_int_equal(got, 1);
			n = fp_topo_find(t, name);
			assert_true(n >= 0 && t->nodes[n].is_nic);
			nics++;
			r++;
		}
		assert_int_equal(nics, 2 * (t->nnodes - t->nswitches));
	}
	/* ... inside its panel's frame (4 px in from each side of 900 x 560) */
	{
		const char *r = buf;
		int squares = 0;

		while ((r = strstr(r, "<rect x=\""))) {
			double x, y;
			int end = 0;

			if (sscanf(r, "<rect x=\"%lf\" y=\"%lf\" width=\"3\" height=\"3\"%n", &x, &y,
				   &end) == 2 && end > 0) {
				if (x < 4 || x + 3 > 900 - 4 || y < 4 || y + 3 > 560 - 4)
					fail_msg("a NIC's square at %g, %g is outside its panel", x, y);
				squares++;
			}
			r++;
		}
		assert_int_equal(squares, 2 * (t->nnodes - t->nswitches));
	}
	/* every link's title: its busier direction's load and that load over the bound */
	{
		const char *r = buf;
		double bound = b->ph[0].lower_bound;
		int lines = 0, loaded = 0, got;

		assert_true(bound > 0);
		while ((r = strstr(r, "<line x1=\""))) {
			double ld, ratio;

			r = strstr(r, "<title>");
			assert_non_null(r);
			got = sscanf(r, "<title>%*[^:]: %lf s, %lfx the bound</title>", &ld, &ratio);
			assert_int_equal(got, 2);
			/* ld printed to 4 digits, the ratio to 3 decimals */
			if (fabs(ratio - ld / bound) > 5e-4 + 1e-3 * ld / bound)
				fail_msg("a link at %g s is %gx the bound %g, not %g", ld, ratio, bound,
					 ld / bound);
			loaded += ld > 0;
			lines++;
		}
		assert_int_equal(lines, 2 * (t->nlinks / 2));	/* both panels, a line per link pair */
		assert_true(loaded > 0);
	}
	assert_non_null(strstr(buf, "flow&lt;plan&gt;"));
	assert_non_null(strstr(buf, "stroke-dasharray"));
	/* the scale: idle grey, the bound yellow, 1.5x and more dark red */
	assert_non_null(strstr(buf, "fill=\"#d0d0d0\""));
	assert_non_null(strstr(buf, "fill=\"#ffdc3c\""));
	assert_non_null(strstr(buf, "fill=\"#960000\""));
	assert_non_null(strstr(buf, "stroke=\"#000000\" stroke-width=\"1.5\" stroke-dasharray"));
	assert_non_null(strstr(buf, "agg0.0 - core0") ? strstr(buf, "agg0.0 - core0") :
			strstr(buf, "core0 - agg0.0"));
	free(buf);
	assert_int_equal(fp_svg_write(stdout, t, pn, 0, 1, &err), EINVAL);
	free(la);
	free(lb);
	fp_plan_free(a);
	fp_plan_free(b);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A fabric of one leaf (tier 1 only, a topology file may be so): its row
 * is a number, inside the panel (the rows' spacing divides by the tiers
 * above the leaves, none here).
 */
static void test_picture_one_leaf(void **state)
{
	static const char topo[] =
		"{\"format\":\"flowplan-topology\",\"version\":1,\"name\":\"one\","
		"\"switches\":[{\"name\":\"leaf0\",\"tier\":1}],"
		"\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"198.18.0.1\"}]},"
		"{\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\",\"addr\":\"198.18.0.2\"}]}],"
		"\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100},"
		"{\"a\":\"h1.n0\",\"b\":\"leaf0\",\"gbps\":100}]}";
	struct fp_topo *t = NULL;
	struct fp_err err;
	double *load, x, y;
	struct fp_svg_panel pn = { "one", NULL, 0, 0 };
	char *buf;
	const char *r;
	int got;

	(void)state;
	if (fp_topo_parse(topo, strlen(topo), "one", &t, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(t->max_tier, 1);
	load = calloc((size_t)t->nlinks, sizeof(double));
	assert_non_null(load);
	pn.load = load;
	buf = svg_text(t, &pn, 1, 1);
	assert_null(strstr(buf, "nan"));
	r = strstr(buf, "<circle cx=\"");
	assert_non_null(r);
	got = sscanf(r, "<circle cx=\"%lf\" cy=\"%lf\"", &x, &y);
	assert_int_equal(got, 2);
	assert_true(x > 4 && x < 900 - 4 && y > 4 && y < 560 - 4);
	free(buf);
	free(load);
	fp_topo_free(t);
}

/*
 * Over 512 NICs, a leaf's host links are one bar, coloured by the busiest
 * of them against the bound: a ring on 528 NICs (33 hosts a leaf) loads
 * every host link alike, and those bind, so every bar is the bound's
 * yellow; no NIC has a square of its own.
 */
static void test_picture_nic_bars(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=16,spines=4,hosts=33");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=64M", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	double *ld = calloc((size_t)t->nlinks, sizeof(double));
	struct fp_svg_panel pn = { "flowplan", ld, p->ph[0].max_load, 0 };
	const char *r;
	char *buf;
	int bars = 0;

	(void)state;
	assert_non_null(ld);
	assert_int_equal(t->nnodes - t->nswitches, 528);
	assert_true(p->ph[0].max_load == p->ph[0].lower_bound);
	fp_plan_link_loads(p, ld);
	buf = svg_text(t, &pn, 1, p->ph[0].lower_bound);
	for (r = buf; (r = strstr(r, "height=\"40\" fill=\"")); r++) {
		assert_memory_equal(r + strlen("height=\"40\" fill=\""), "#ffdc3c\"", 8);
		assert_non_null(strstr(r, "<title>host links of leaf"));
		bars++;
	}
	assert_int_equal(bars, 16);
	assert_null(strstr(buf, "width=\"3\" height=\"3\""));
	free(buf);
	free(ld);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * More than 64 switch links (17 leaves, 4 spines): only the busiest and
 * those above the bound carry their ratio, not every loaded link. ECMP's
 * random ports load the spine links (25G, the fabric's bottleneck)
 * unevenly: some above the bound, some below.
 */
static void test_picture_labels_hot_links(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=17,spines=4,hosts=2,up_gbps=25");
	struct fp_sched *s = gen_sched("alltoall:bytes=64M", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_ECMP, 0, 1);
	double *ld = calloc((size_t)t->nlinks, sizeof(double)), busiest = 0, bound;
	struct fp_svg_panel pn = { "ecmp", ld, p->ph[0].max_load, 0 };
	const char *r;
	char *buf;
	int l, want = 0, loaded = 0, got = 0;

	(void)state;
	assert_non_null(ld);
	fp_plan_link_loads(p, ld);
	bound = p->ph[0].lower_bound;
	for (l = 0; l < t->nlinks; l++)
		busiest = ld[l] > busiest ? ld[l] : busiest;
	for (l = 0; l < t->nlinks; l += 2) {
		double x = ld[l] > ld[l + 1] ? ld[l] : ld[l + 1];

		if (t->nodes[t->links[l].from].is_nic || t->nodes[t->links[l].to].is_nic || x <= 0)
			continue;
		loaded++;
		want += x / bound > 1 + 1e-9 || x >= busiest * (1 - 1e-12);
	}
	assert_true(loaded == 68);
	assert_true(want > 0 && want < loaded);
	buf = svg_text(t, &pn, 1, bound);
	for (r = buf; (r = strstr(r, "font-size=\"9\"")); r++)
		got++;
	assert_int_equal(got, want);
	free(buf);
	free(ld);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * The same rule where a host link is the busiest: h0 sends to every other
 * host, so its uplink (link 0) carries the most and sets the bound. The
 * busiest load is taken over every link, host links among them, so no
 * switch link is at it or above the bound, and none carries its ratio.
 */
static void test_picture_host_link_busiest(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=17,spines=4,hosts=2");
	struct fp_sched *s = calloc(1, sizeof(*s));
	double *ld = calloc((size_t)t->nlinks, sizeof(double));
	struct fp_plan *p;
	const char *r;
	char *buf;
	int h, l, nsw = 0, got = 0;

	(void)state;
	assert_non_null(s);
	assert_non_null(ld);
	s->name = fp_xstrdup("one-to-all");
	fp_sched_job(s, "j0");
	for (h = 1; h < t->nhosts; h++)
		fp_sched_add(s, 0, t->hosts[0].first_nic, t->hosts[h].first_nic, 64 << 20, 0);
	p = do_plan(t, s, FP_STRAT_ECMP, 0, 1);
	fp_plan_link_loads(p, ld);
	assert_int_equal(t->links[0].from, t->hosts[0].first_nic);
	for (l = 1; l < t->nlinks; l++)
		assert_true(ld[l] < ld[0]);
	for (l = 0; l < t->nlinks; l += 2)	/* more than 64 switch links: not every one labelled */
		nsw += !t->nodes[t->links[l].from].is_nic && !t->nodes[t->links[l].to].is_nic;
	assert_int_equal(nsw, 68);
	{
		struct fp_svg_panel pn = { "ecmp", ld, p->ph[0].max_load, 0 };

		buf = svg_text(t, &pn, 1, p->ph[0].lower_bound);
	}
	for (r = buf; (r = strstr(r, "font-size=\"9\"")); r++)
		got++;
	assert_int_equal(got, 0);
	free(buf);
	free(ld);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_uplink),
		cmocka_unit_test(test_max_min),
		cmocka_unit_test(test_split_halves_cct),
		cmocka_unit_test(test_phases_add_up),
		cmocka_unit_test(test_incast),
		cmocka_unit_test(test_unequal_incremental),
		cmocka_unit_test(test_many_unequal),
		cmocka_unit_test(test_events_are_ends),
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_picture),
		cmocka_unit_test(test_picture_nic_bars),
		cmocka_unit_test(test_picture_labels_hot_links),
		cmocka_unit_test(test_picture_host_link_busiest),
		cmocka_unit_test(test_picture_one_leaf),
	};

	return cmocka_run_group_tests_name("planner_sim", tests, NULL, NULL);
}
