/* SPDX-License-Identifier: MIT */
/* planner_util.h - shared helpers of the planner's unit tests. */
#ifndef PLANNER_UTIL_H
#define PLANNER_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "planner/plan.h"
#include "planner/sim.h"

static inline struct fp_topo *gen_topo(const char *spec)
{
	struct fp_topo *t = NULL;
	struct fp_err err = { "" };

	if (fp_topo_load(spec, &t, &err))
		fail_msg("%s: %s", spec, err.msg);
	return t;
}

static inline struct fp_sched *gen_sched(const char *spec, struct fp_topo *t)
{
	struct fp_sched *s = NULL;
	struct fp_err err = { "" };

	if (fp_sched_load(spec, t, &s, &err))
		fail_msg("%s: %s", spec, err.msg);
	return s;
}

static inline struct fp_plan *do_plan(struct fp_topo *t, struct fp_sched *s,
				      enum fp_strategy st, int k, uint64_t seed)
{
	struct fp_plan_opts o = { .strategy = st, .k = k, .seed = seed, .generation = 1 };
	struct fp_plan *p = NULL;
	struct fp_err err = { "" };

	if (fp_plan_compute(t, s, &o, &p, &err))
		fail_msg("plan: %s", err.msg);
	return p;
}

/*
 * Every flow's bytes are exactly the sum of its subflows'; a partial plan's
 * unroutable flows have none.
 */
static inline void assert_conserved(const struct fp_plan *p)
{
	const struct fp_plan_unroutable *u = p->unroutable, *ue = u + p->nunroutable;
	size_t i, j, k;

	for (i = 0; i < p->nph; i++) {
		for (j = 0; j < p->sched->ph[i].n; j++) {
			uint64_t sum = 0;

			if (u < ue && u->phase == i && u->flow == j) {
				assert_int_equal(p->ph[i].flows[j].n, 0);
				u++;
				continue;
			}
			assert_true(p->ph[i].flows[j].n >= 1);
			for (k = 0; k < p->ph[i].flows[j].n; k++)
				sum += p->ph[i].subs[p->ph[i].flows[j].first + k].bytes;
			assert_int_equal(sum, p->sched->ph[i].flows[j].bytes);
		}
	}
}

/*
 * A port map of @t (text, malloc'd) for every pair of NICs on different
 * leaves that @s has a flow for: @per_path ports on each of the pair's
 * paths, the ports the hash model sends there, as a probe would learn them.
 */
static inline char *pm_from_model(struct fp_topo *t, const struct fp_sched *s, int per_path)
{
	size_t nn = (size_t)t->nnodes, len = 0, i, j;
	unsigned char *seen = calloc(nn * nn, 1);
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(seen);
	assert_non_null(f);
	fprintf(f, "# flowplan-portmap 1\n");
	for (i = 0; i < s->nph; i++) {
		for (j = 0; j < s->ph[i].n; j++) {
			const struct fp_flow *fl = &s->ph[i].flows[j];
			int sl = t->nodes[fl->src].leaf, dl = t->nodes[fl->dst].leaf, k, q, h;
			char sa[FP_ADDR_STRLEN], da[FP_ADDR_STRLEN];
			struct fp_pathset ps;

			if (sl == dl || seen[(size_t)fl->src * nn + (size_t)fl->dst]++)
				continue;
			ps = fp_topo_paths(t, sl, dl);
			for (k = 0; k < ps.n; k++) {
				uint32_t label = 0;

				for (q = 0; q < per_path; q++) {
					assert_int_equal(fp_topo_port_search(t, fl->src, fl->dst, k,
									     label + 1, &label), 0);
					fprintf(f, "%s %s %u %s", fp_addr_str(&t->nodes[fl->src].ip, sa),
						fp_addr_str(&t->nodes[fl->dst].ip, da),
						fp_label_to_sport(label), t->nodes[sl].name);
					for (h = 0; h < ps.p[k].len; h++)
						fprintf(f, ",%s", t->nodes[t->links[ps.p[k].link[h]].to].name);
					fprintf(f, "\n");
				}
			}
		}
	}
	assert_int_equal(fclose(f), 0);
	free(seen);
	return text;
}

/*
 * Failing a link and repairing (the repair and reverse tests): the link
 * that fails, and a port map's paths as they were before it failed.
 */

/* The first loaded switch link of phase 0. */
static inline int loaded_link(const struct fp_plan *p)
{
	int l;

	for (l = 0; l < p->topo->nlinks; l++)
		if (!p->topo->nodes[p->topo->links[l].from].is_nic &&
		    !p->topo->nodes[p->topo->links[l].to].is_nic && p->ph[0].link_bytes[l] > 0)
			return l;
	return -1;
}

/* Every row's path of @pm, as links, in @t as it is now (malloc'd, pm->n). */
static inline struct fp_path *pm_paths(struct fp_topo *t, const struct fp_portmap *pm)
{
	struct fp_path *was = calloc(pm->n ? pm->n : 1, sizeof(*was));
	size_t k;

	assert_non_null(was);
	for (k = 0; k < pm->n; k++) {
		struct fp_addr a = fp_pm_row_src(&pm->rows[k]), b = fp_pm_row_dst(&pm->rows[k]);
		int sn = fp_topo_find_ip(t, &a), dn = fp_topo_find_ip(t, &b);
		struct fp_pathset ps = fp_topo_paths(t, t->nodes[sn].leaf, t->nodes[dn].leaf);

		assert_true(pm->rows[k].path >= 0 && pm->rows[k].path < ps.n);
		was[k] = ps.p[pm->rows[k].path];
	}
	return was;
}

/*
 * The links of the path @pm learned for port @sport of a pair (@was:
 * pm_paths() before the failure); NULL for a pair the map has no row for
 * (within a leaf); a port the map lacks for a pair it has fails the test.
 */
static inline const struct fp_path *learned(const struct fp_portmap *pm,
					    const struct fp_path *was,
					    const struct fp_addr *src, const struct fp_addr *dst,
					    uint16_t sport)
{
	size_t n, k;
	const struct fp_pm_row *r = fp_portmap_pair_ip(pm, src, dst, &n);

	if (!n)
		return NULL;
	for (k = 0; k < n; k++)
		if (r[k].sport == sport)
			return &was[r + k - pm->rows];
	fail_msg("port %u is not in the port map", sport);
	return NULL;
}

#endif
