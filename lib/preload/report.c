// SPDX-License-Identifier: MIT
/*
 * report.c - the interposer's report ring (preload/report.h), written with
 * the core's ring writer (core/report.h). One ring per process, named
 * flowplan-<pid>-65536: libflowplan numbers its contexts' rings from 1 and
 * the NCCL profiler plugin its own from 65537, so none meets another. All
 * writes happen under the interposer's lock: one writer, as the ring wants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/report.h"
#include "preload/preload.h"
#include "preload/report.h"

#define RING_N		65536u
#define RING_CAP	4096u	/* records: QP events are few */

bool fp_pring_ready(const struct fp_pring *p)
{
	return p->tried;
}

static uint32_t cap_from_env(void)
{
	const char *v = getenv("FLOWPLAN_REPORT_RECORDS");
	unsigned long x;
	char *end;

	if (!v || !*v)
		return RING_CAP;
	x = strtoul(v, &end, 0);
	if (*end || !x || x > (1ul << 24) || (x & (x - 1))) {
		fp_debug("FLOWPLAN_REPORT_RECORDS=%s: not a power of two up to 2^24; %u records",
			 v, RING_CAP);
		return RING_CAP;
	}
	return (uint32_t)x;
}

void fp_pring_open(struct fp_pring *p)
{
	const char *dir = getenv("FLOWPLAN_REPORT_DIR");
	struct fp_ring *r;
	char path[108];
	int ret;

	p->tried = true;
	if (!fp_ring_wanted())
		return;
	r = calloc(1, sizeof(*r));
	if (!r)
		return;
	snprintf(path, sizeof(path), "%s/flowplan-%d-%u",
		 dir && *dir ? dir : "/dev/shm", (int)getpid(), RING_N);
	ret = fp_ring_create(r, path, cap_from_env());
	if (ret) {
		/* Reports are best effort: a program never fails for them. */
		fp_debug("no report ring %s: %s", path, strerror(ret));
		free(r);
		return;
	}
	if (getenv("FLOWPLAN_REPORT_KEEP"))
		r->unlink_on_close = false;
	fp_debug("reports in %s", path);
	p->r = r;
}

void fp_pring_put(struct fp_pring *p, uint16_t op, uint16_t flags, int status,
		  const struct fp_addr *src, const struct fp_addr *dst,
		  uint32_t lqpn, uint32_t label, unsigned int nqp)
{
	struct fp_report_rec rec = {
		.comm = label, .op = op, .flags = flags, .status = status,
		.coll = lqpn, .bytes = nqp,
	};
	struct timespec ts;

	if (!p->r)
		return;
	/* Version 2 records: IPv4-mapped or IPv6, as the QP's GIDs. */
	memcpy(rec.src, src->b, sizeof(rec.src));
	memcpy(rec.dst, dst->b, sizeof(rec.dst));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	rec.start_ns = rec.end_ns = (uint64_t)ts.tv_sec * 1000000000ull +
				    (uint64_t)ts.tv_nsec;
	fp_ring_put(p->r, &rec);
}

void fp_pring_close(struct fp_pring *p)
{
	if (p->r) {
		fp_ring_close(p->r);
		free(p->r);
	}
	p->r = NULL;
}

void fp_pring_forget(struct fp_pring *p)
{
	/* The mapping stays (harmless); the parent's file is the parent's. */
	p->r = NULL;
	p->tried = false;
}
