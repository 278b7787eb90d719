/* SPDX-License-Identifier: MIT */
/*
 * planner/sched.h - collective schedules: phases of flows that start together.
 * Format and generator syntax: docs/formats.md "Schedule".
 */
#ifndef FP_SCHED_H
#define FP_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "planner/topo.h"

struct fp_flow {
	int src, dst;		/* NIC node ids */
	uint64_t bytes;
	int job;		/* index into fp_sched.jobs */
};

struct fp_phase {
	char *name;
	struct fp_flow *flows;
	size_t n, cap;
};

struct fp_sched {
	char *name;
	struct fp_phase *ph;
	size_t nph, cap;
	char **jobs;
	size_t njobs;
};

/* A schedule file, or generator strings joined by ';'. NIC names resolve in @t. */
int fp_sched_load(const char *spec, const struct fp_topo *t, struct fp_sched **out,
		  struct fp_err *err);
int fp_sched_parse(const char *text, size_t len, const char *name, const struct fp_topo *t,
		   struct fp_sched **out, struct fp_err *err);
int fp_sched_generate(const char *spec, const struct fp_topo *t, struct fp_sched **out,
		      struct fp_err *err);
void fp_sched_free(struct fp_sched *s);
char *fp_sched_to_json(const struct fp_sched *s, const struct fp_topo *t, int pretty);

/* Append a flow to phase @ph (created as needed, named "p<i>"). */
void fp_sched_add(struct fp_sched *s, size_t ph, int src, int dst, uint64_t bytes, int job);
int fp_sched_job(struct fp_sched *s, const char *name);

#endif
