/* SPDX-License-Identifier: MIT */
/*
 * preload/report.h - the interposer's schedule reports: one ring per
 * process (docs/reports.md, "flowplan-<pid>-65536"), records of the QPs it
 * saw connect, go away and move. Created at the first connected QP when
 * reports are wanted (FLOWPLAN_REPORT, or the daemon's socket exists).
 * Record fields (docs/reports.md): comm the QP's flow label, coll its QP
 * number, bytes the process's connected QPs from src to dst after the
 * event, flags FP_PREC_F_*, status the errno of a failed re-pin.
 */
#ifndef FP_PRELOAD_REPORT_H
#define FP_PRELOAD_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/report.h"	/* FP_OP_QP_*: the interposer's record ops */

#define FP_PREC_F_PLANNED	0x1	/* it sends with the plan's label */
#define FP_PREC_F_RECONNECT	0x2	/* the plan moved it, the device could not */
/*
 * The current plan has no label for it (no entry, no plan): it sends where
 * the program or the device put it, background load for the planner.
 */
#define FP_PREC_F_UNPLANNED	0x4

struct fp_pring {
	void *r;			/* the ring, NULL: none */
	bool tried;
};

bool fp_pring_ready(const struct fp_pring *p);
void fp_pring_open(struct fp_pring *p);
void fp_pring_put(struct fp_pring *p, uint16_t op, uint16_t flags, int status,
		  const struct fp_addr *src, const struct fp_addr *dst,
		  uint32_t lqpn, uint32_t label, unsigned int nqp);
void fp_pring_close(struct fp_pring *p);
/* After fork, in the child: the parent's ring is not ours to write. */
void fp_pring_forget(struct fp_pring *p);

#endif
