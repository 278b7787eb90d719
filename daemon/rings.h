/* SPDX-License-Identifier: MIT */
/*
 * rings.h - the schedule-report rings on this host (docs/reports.md;
 * libflowplan, the interposer and the NCCL profiler write them, lib/core's
 * reader reads them): found as they appear (inotify on the report
 * directory), read on the daemon's report timer, turned into messages for
 * the cycle detector, and let go when their file is removed or their
 * writer has died and every record is read.
 */
#ifndef FPD_RINGS_H
#define FPD_RINGS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "cycle.h"
#include "loop.h"

struct fpd_rings;

/* Messages read, in batches; return 0 or an errno value to stop. */
typedef int (*fpd_msgs_fn)(void *arg, const struct fpd_msg *m, size_t n);

/* NULL and errno, the reason in @err (the directory cannot be watched). */
struct fpd_rings *fpd_rings_open(struct fpd_loop *l, const char *dir, struct fp_err *err);
void fpd_rings_close(struct fpd_rings *r);

/* Called when a ring appears (to wake a reader that went idle). */
void fpd_rings_on_new(struct fpd_rings *r, void (*fn)(void *arg), void *arg);

/* Read every ring; 0 or the callback's error. */
int fpd_rings_read(struct fpd_rings *r, fpd_msgs_fn fn, void *arg);

struct fpd_rings_stats {
	size_t open;		/* rings being read */
	size_t pending;		/* rings known, open or not yet */
	size_t denied;		/* of those, rings the daemon may not read */
	uint64_t records, sends, lost, opened, closed;
};
void fpd_rings_stats(const struct fpd_rings *r, struct fpd_rings_stats *st);

/* The job of a record: its communicator, or its process when it has none. */
static inline uint32_t fpd_job_of(uint32_t comm, uint32_t pid)
{
	return comm ? comm : 0x80000000u | pid;
}

#endif
