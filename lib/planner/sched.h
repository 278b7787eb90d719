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

/* One flow: 16 bytes, so that a 4096-NIC all-to-all (16.8 M flows) fits. */
struct fp_flow {
	int src, dst;		/* NIC node ids */
	uint64_t bytes;		/* 1 .. FP_BYTES_MAX */
};

/* The flows from @first on (to the next run) belong to job @job. */
struct fp_job_run {
	size_t first;
	int job;		/* index into fp_sched.jobs */
};

/*
 * A background flow: traffic the planner cannot place (QPs pinned by no one:
 * DEVX, GPU-initiated, other tenants). Its bytes are fixed load on the links
 * ECMP gives it, added before the phase's flows are placed (docs/formats.md
 * "Background flows").
 */
struct fp_bgflow {
	int src, dst;		/* NIC node ids */
	uint64_t bytes;		/* 1 .. FP_BYTES_MAX */
	int sport;		/* its UDP source port, 1..65535; 0: unknown */
};

struct fp_phase {
	char *name;
	struct fp_flow *flows;
	size_t n, cap;
	struct fp_job_run *runs;	/* flows' jobs, run-length */
	size_t nruns, capruns;
	struct fp_bgflow *bg;		/* background flows, not planned */
	size_t nbg, capbg;
};

/* Byte counts are signed 64-bit in JSON and in the module: at most 2^63 - 1. */
#define FP_BYTES_MAX	((uint64_t)INT64_MAX)

/* The job (index into fp_sched.jobs) of flow @i of @ph: O(log runs). */
int fp_flow_job(const struct fp_phase *ph, size_t i);

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
/* Append a background flow to phase @ph (@sport 0: unknown). */
void fp_sched_add_background(struct fp_sched *s, size_t ph, int src, int dst, uint64_t bytes,
			     int sport);
/* Make room for @n more flows in phase @ph (a generator knows its count). */
void fp_sched_reserve(struct fp_sched *s, size_t ph, size_t n);
int fp_sched_job(struct fp_sched *s, const char *name);

#endif
