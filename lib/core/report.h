/* SPDX-License-Identifier: MIT */
/*
 * core/report.h - schedule report rings (docs/reports.md): a shared-memory
 * ring of what a process sent, one writer, any number of readers, no locks.
 *
 * libflowplan writes one per context; the LD_PRELOAD interposer and the
 * NCCL profiler plugin write theirs with the same calls, and the daemon
 * reads them, none of them linking libflowplan. The record is libflowplan's
 * public struct fp_report_rec (with enum fp_op for its op): the header is
 * included for the type only.
 */
#ifndef FP_CORE_REPORT_H
#define FP_CORE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "flowplan/flowplan.h"

#define FP_REPORT_MAGIC		0x5450525046504cULL	/* "LPFPRPT" */
#define FP_REPORT_VERSION	2	/* 16-byte addresses; 1: IPv4 only */
#define FP_DAEMON_SOCKET	"/run/flowplan/daemon.sock"
#define FP_RING_MAX_RECORDS	(1u << 24)	/* 896 MiB of records */

/*
 * Record ops beyond enum fp_op: the LD_PRELOAD interposer's connection
 * events (docs/reports.md). Readers hand them out like any other record;
 * a schedule is built from write and send records only.
 */
#define FP_OP_QP_UP		32	/* a QP went to RTR */
#define FP_OP_QP_DOWN		33	/* a connected QP was reset or destroyed */
#define FP_OP_QP_REPIN		34	/* the plan moved a connected QP */

/*
 * A record of a version 1 ring (56 bytes; struct fp_report_rec of
 * FLOWPLAN_1.0 and 1.1): IPv4 addresses in network byte order, 0 for none.
 * The reader reads version 1 rings too, their records converted
 * (docs/reports.md); nothing writes them any more.
 */
struct fp_report_rec_v1 {
	uint64_t seq;
	uint32_t comm;
	uint16_t op;
	uint16_t flags;
	int32_t status;
	uint32_t src;
	uint32_t dst;
	uint32_t coll;
	uint64_t bytes;
	uint64_t start_ns;
	uint64_t end_ns;
};

/* The ring header; records follow at @rec_off (docs/reports.md). */
struct fp_report_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;
	uint32_t rec_size;
	uint32_t cap;			/* records, a power of two */
	uint64_t rec_off;
	int64_t realtime_offset_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint32_t pid;
	uint32_t pad;
	uint64_t head;			/* records ever written (release) */
};

/*
 * The writer's side of a ring. What the writer needs it keeps here, not in
 * the shared header: whoever else can write the file cannot steer it.
 */
struct fp_ring {
	struct fp_report_hdr *hdr;	/* NULL: no ring */
	struct fp_report_rec *rec;
	size_t map_len;
	uint32_t cap;
	uint64_t head;
	int64_t realtime_offset_ns;
	char path[108];
	bool unlink_on_close;
};

/*
 * Reports are wanted when FLOWPLAN_REPORT is set to other than "0", or,
 * when it is unset, while the daemon's socket exists.
 */
bool fp_ring_wanted(void);
/*
 * fp_ring_create - create the ring at @path with @cap records (a power of
 * two, at most FP_RING_MAX_RECORDS; else EINVAL). The file is made here and
 * now, never taken over: O_EXCL | O_NOFOLLOW (EEXIST when anything, a
 * symbolic link included, is there), mode 0600 (the writer's user only,
 * and the daemon's: when the daemon's socket exists and belongs to another
 * user, that user is given read access with a POSIX ACL where the file
 * system has them). A path longer than the ring's is ENAMETOOLONG, never
 * cut. 0 or an errno value.
 */
int fp_ring_create(struct fp_ring *r, const char *path, uint32_t cap);
/*
 * fp_ring_create_in - create a ring in @dir named flowplan-<@pid>-<n> (the
 * name the daemon looks for, docs/reports.md), n taken from *@serial
 * (incremented atomically; names taken already are skipped). @err says
 * why not ("DIR: name too long for a report ring: ...").
 */
int fp_ring_create_in(struct fp_ring *r, const char *dir, uint32_t pid,
		      uint32_t *serial, uint32_t cap, struct fp_err *err);
/* Unmap; the file is removed unless @r->unlink_on_close was cleared. */
void fp_ring_close(struct fp_ring *r);
/*
 * Append a record (lock-free, one producer). Its times are CLOCK_MONOTONIC
 * nanoseconds and are stored as CLOCK_REALTIME; @rec->seq is filled in.
 */
void fp_ring_put(struct fp_ring *r, struct fp_report_rec *rec);

/*
 * The reader's side (libflowplan's public fp_report_open/read/close are
 * these). It trusts nothing in the file but what it checked at open, and
 * reads with pread(), never through a mapping, so that a writer that dies,
 * truncates the file or writes garbage costs the reader records, never a
 * signal or a wild access. Open: NULL and errno (EPROTO: not a ring of
 * version 1 or 2; ELOOP: a symbolic link, not followed). Read: up to @max
 * records not read yet, in order, in version 2's layout whatever the
 * ring's (a version 1 ring's IPv4 addresses come IPv4-mapped, 0 as ::);
 * @lost counts records overwritten before they could be read and records
 * that are not sane (docs/reports.md); EPROTO when the file no longer holds
 * the ring it held at open (cut short).
 */
struct fp_report;

struct fp_report *fp_ring_reader_open(const char *path);
int fp_ring_read(struct fp_report *rep, struct fp_report_rec *recs,
		 size_t max, size_t *got, uint64_t *lost);
/*
 * fp_ring_read_v1 - the same in version 1's layout (for the readers of
 * FLOWPLAN_1.0's ABI). A record with an IPv6 endpoint does not fit it: the
 * read stops there and returns EOVERFLOW, *@got the records before it
 * (valid); that record is consumed, counted in neither *@got nor *@lost,
 * and the next call goes on after it.
 */
int fp_ring_read_v1(struct fp_report *rep, struct fp_report_rec_v1 *recs,
		    size_t max, size_t *got, uint64_t *lost);
/*
 * One record from version 1's layout to version 2's (IPv4-mapped, 0 as
 * ::), and back: 0, or EOVERFLOW (@in has an IPv6 endpoint; @out untouched).
 */
void fp_report_rec_from_v1(struct fp_report_rec *out,
			   const struct fp_report_rec_v1 *in);
int fp_report_rec_to_v1(struct fp_report_rec_v1 *out,
			const struct fp_report_rec *in);
int fp_ring_reader_close(struct fp_report *rep);

#endif
