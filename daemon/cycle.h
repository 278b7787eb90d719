/* SPDX-License-Identifier: MIT */
/*
 * cycle.h - the repeating cycle of each job, found in the stream of
 * messages the schedule reports show (docs/reports.md).
 *
 * Training repeats the same collectives every iteration. Messages that
 * start together form a phase (one marked collective, or unmarked messages
 * starting within a window of the phase's first); a job's phases form a
 * sequence; the cycle is the shortest period p such that, over the last
 * few repetitions, every phase looks like the one p places before it (the
 * same pairs carrying about the same bytes, after about the same gap).
 * Phases that resemble no other phase seen recently are noise and left
 * out. Once a cycle is locked the detector keeps checking: a different
 * cycle (a resized job, a new collective) replaces it, a job that sends
 * nothing for a while is gone. Nothing here knows about fabrics or plans.
 */
#ifndef FPD_CYCLE_H
#define FPD_CYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

/* One sent message (a write or send record of a ring). */
struct fpd_msg {
	uint32_t job;		/* the communicator, or a per-process id */
	uint32_t coll;		/* marked collective serial, 0: none */
	struct fp_addr src, dst;	/* IPv4 (IPv4-mapped) or IPv6 */
	uint64_t bytes;
	uint64_t start_ns, end_ns;
};

struct fpd_flow {
	struct fp_addr src, dst;
	uint64_t bytes;
};

/*
 * A phase of a cycle: flows sorted by (src, dst), fp_addr_order's order; @steps identical phases
 * in a row (a ring's steps) are kept as one with its count.
 */
struct fpd_cphase {
	size_t n;
	struct fpd_flow *f;
	uint32_t steps;
};

struct fpd_cycle {
	uint32_t job;
	uint64_t period_ns;	/* mean time between repetitions */
	uint32_t period;	/* phases per repetition, steps counted */
	size_t nph;		/* phases after merging steps */
	struct fpd_cphase *ph;
	uint64_t bytes;		/* per repetition */
	uint64_t since_ns;	/* start of the first repetition seen */
};

struct fpd_cycle_opts {
	uint64_t window_ns;	/* unmarked messages within it of a phase's first: one phase */
	uint64_t settle_ns;	/* phases younger than this may still grow */
	uint64_t confirm_ns;	/* a cycle must explain at least this much of the stream */
	uint64_t idle_ns;	/* a job silent this long is gone (0: 4 periods, >= 10 s) */
	uint64_t min_bytes;	/* smaller messages are ignored (control traffic) */
	unsigned int min_reps;	/* repetitions seen before a cycle is believed */
	unsigned int max_period;	/* most phases in a cycle */
	double match;		/* phase similarity (shared bytes / bytes) to match */
	double gap_tol;		/* relative gap tolerance */
	double score;		/* fraction of phases that must match their predecessor */
};

void fpd_cycle_opts_default(struct fpd_cycle_opts *o);

enum fpd_cyc_ev_kind {
	FPD_CYC_LOCKED,		/* a job's cycle was found */
	FPD_CYC_CHANGED,	/* a job's cycle became a different one */
	FPD_CYC_LOST,		/* a job's phases no longer follow its cycle */
	FPD_CYC_GONE,		/* a job went silent */
};

struct fpd_cyc_event {
	enum fpd_cyc_ev_kind kind;
	uint32_t job;
	uint32_t period;	/* new period (LOCKED, CHANGED) */
	uint32_t old_period;	/* CHANGED */
	uint64_t at_ns;
};

struct fpd_cyc;

/* NULL and errno (ENOMEM, EINVAL for bad options). */
struct fpd_cyc *fpd_cyc_new(const struct fpd_cycle_opts *o);
void fpd_cyc_free(struct fpd_cyc *c);

/*
 * fpd_cyc_add - messages, in any order (several rings interleave). Those
 * below min_bytes are dropped here. 0 or ENOMEM.
 */
int fpd_cyc_add(struct fpd_cyc *c, const struct fpd_msg *m, size_t n);

/*
 * fpd_cyc_advance - look at what has settled by @now_ns (the messages'
 * clock): detect, confirm or replace cycles, retire silent jobs. Up to @max
 * events go to @ev, their number to *@nev; events beyond are dropped (the
 * state is right all the same). 0 or ENOMEM.
 */
int fpd_cyc_advance(struct fpd_cyc *c, uint64_t now_ns,
		    struct fpd_cyc_event *ev, size_t max, size_t *nev);

/* Jobs with a locked cycle, in job order; valid until the next call. */
size_t fpd_cyc_count(const struct fpd_cyc *c);
const struct fpd_cycle *fpd_cyc_get(const struct fpd_cyc *c, size_t i);

/* Jobs seen at all (locked or not), their phases in history, messages ignored. */
struct fpd_cyc_stats {
	size_t jobs, locked;
	uint64_t msgs, small, phases, noise;
};
void fpd_cyc_stats(const struct fpd_cyc *c, struct fpd_cyc_stats *st);

const char *fpd_cyc_ev_name(enum fpd_cyc_ev_kind k);

#endif
