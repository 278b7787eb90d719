/* SPDX-License-Identifier: MIT */
/*
 * planner/sim.h - flow-level, event-driven simulation with max-min fair sharing
 * (progressive filling) over link capacities. Every subflow (QP) is one
 * entity; all flows of a phase start together, a phase starts when the
 * previous one has finished.
 */
#ifndef FP_SIM_H
#define FP_SIM_H

#include <stddef.h>

#include "planner/plan.h"

struct fp_sim_phase {
	double cct;		/* seconds from the phase start to its last byte */
	double *fct;		/* per flow of the phase */
	size_t events;
};

struct fp_sim {
	double total;		/* sum of the phases' CCTs */
	struct fp_sim_phase *ph;
	size_t nph;
};

int fp_simulate(const struct fp_plan *p, struct fp_sim **out, struct fp_err *err);

/*
 * How rates are found again after subflows finish (sim.c): FP_SIM_LEVEL
 * (fp_simulate's) fills again only the subflows at or above the finished
 * ones' rate; FP_SIM_PART, the method before it, fills the whole connected
 * part of the network they were in. Both give the max-min rates; PART is
 * kept to be compared with (bench, tests).
 */
enum fp_sim_method { FP_SIM_LEVEL, FP_SIM_PART };
int fp_simulate_method(const struct fp_plan *p, enum fp_sim_method method, struct fp_sim **out,
		       struct fp_err *err);
void fp_sim_free(struct fp_sim *s);

#endif
