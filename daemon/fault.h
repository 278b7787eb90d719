/* SPDX-License-Identifier: MIT */
/*
 * fault.h - suspected path faults, from the module's counters.
 *
 * The plan says how an entry's bytes split over its subflows (weights); the
 * module counts what each (remote address, source port) really sends. In an
 * interval where an entry moves bytes, a subflow that carries much less
 * than its weight's share while its peers move is slow; slow for a few
 * intervals in a row, it is stalled, and its path is suspect. The faulty
 * links are those that every stalled subflow's path could explain and that
 * no subflow moving as planned crosses: a greedy cover of the stalled
 * subflows by such links, ties kept together ("leaf0-spine1 or
 * spine1-leaf1"). Links are the planner's directed link ids; nothing here
 * knows the fabric.
 */
#ifndef FPD_FAULT_H
#define FPD_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

#define FPD_PATH_MAX	8
#define FPD_SUSPECT_MAX	8	/* links named in one suspect */

/*
 * A subflow of the installed plan, with its path. Subflows of one @group
 * are expected to move together, each its share (@planned bytes, or its
 * @weight when none is given) of what the group moves: the subflows of one
 * entry, or of every entry of one phase of a collective.
 */
struct fpd_fsub {
	uint32_t group;
	uint32_t entry;			/* index of its host plan entry */
	struct fp_addr remote;
	uint16_t sport;
	uint32_t weight;		/* out of 65536, within its entry */
	uint64_t planned;		/* bytes the plan gives it; 0: use @weight */
	unsigned int nlinks;
	int32_t link[FPD_PATH_MAX];
};

/* One counter of the module: bytes sent so far to @remote from @sport. */
struct fpd_fcount {
	struct fp_addr remote;
	uint16_t sport;
	uint64_t bytes;
};

struct fpd_fault_opts {
	double slow_ratio;		/* below this share of its expected bytes: slow */
	unsigned int intervals;		/* slow this many samples in a row: stalled */
	uint64_t min_bytes;		/* an entry moving less in a sample tells nothing */
};

void fpd_fault_opts_default(struct fpd_fault_opts *o);

/* One fault: links (ids) any of which explains @nsubs stalled subflows. */
struct fpd_suspect {
	unsigned int nlinks;
	int32_t link[FPD_SUSPECT_MAX];
	unsigned int nsubs;
};

struct fpd_fault;

struct fpd_fault *fpd_fault_new(const struct fpd_fault_opts *o);
void fpd_fault_free(struct fpd_fault *f);

/*
 * fpd_fault_set_plan - the subflows to watch (a copy is kept); forgets
 * every streak and counter baseline. 0, EINVAL (a path longer than
 * FPD_PATH_MAX, a weight above 65536) or ENOMEM.
 */
int fpd_fault_set_plan(struct fpd_fault *f, const struct fpd_fsub *subs, size_t n);

/*
 * fpd_fault_sample - a full counter dump; the first one after
 * fpd_fault_set_plan() is the baseline. A counter that went backwards (the
 * module was reloaded) restarts the baseline. 0 or ENOMEM.
 */
int fpd_fault_sample(struct fpd_fault *f, const struct fpd_fcount *c, size_t n);

/* Stalled subflows now, and the suspects that explain them (at most @max). */
size_t fpd_fault_stalled(const struct fpd_fault *f);
size_t fpd_fault_suspects(const struct fpd_fault *f, struct fpd_suspect *out,
			  size_t max);
/* The watched subflows, and the i-th one's streak of slow samples, its last
 * delta and its counter; the subflow itself is returned.
 */
size_t fpd_fault_count(const struct fpd_fault *f);
const struct fpd_fsub *fpd_fault_sub_state(const struct fpd_fault *f, size_t i,
					   unsigned int *streak, uint64_t *delta,
					   uint64_t *total);

#endif
