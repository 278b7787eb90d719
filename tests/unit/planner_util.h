/* SPDX-License-Identifier: MIT */
/* planner_util.h - shared helpers of the planner's unit tests. */
#ifndef PLANNER_UTIL_H
#define PLANNER_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
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

/* Every flow's bytes are exactly the sum of its subflows'. */
static inline void assert_conserved(const struct fp_plan *p)
{
	size_t i, j, k;

	for (i = 0; i < p->nph; i++) {
		for (j = 0; j < p->sched->ph[i].n; j++) {
			uint64_t sum = 0;

			assert_true(p->ph[i].flows[j].n >= 1);
			for (k = 0; k < p->ph[i].flows[j].n; k++)
				sum += p->ph[i].subs[p->ph[i].flows[j].first + k].bytes;
			assert_int_equal(sum, p->sched->ph[i].flows[j].bytes);
		}
	}
}

#endif
