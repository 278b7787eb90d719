/* SPDX-License-Identifier: MIT */
/*
 * compat.h - the calls of older symbol versions (compat.c), in
 * libflowplan.so only; not installed.
 */
#ifndef FP_FLOWPLAN_COMPAT_H
#define FP_FLOWPLAN_COMPAT_H

#include "core/report.h"
#include "flowplan/flowplan.h"

/* struct fp_group_info of FLOWPLAN_1.0: room for IPv4 addresses only. */
struct fp_group_info_1_0 {
	unsigned int k;
	enum fp_plan_source source;
	uint64_t generation;
	int error;
	char dev[64];
	uint8_t port;
	int gid_index;
	char local[16];
	char peer[16];
	struct fp_subflow_info sub[FP_GROUP_MAX_SUBFLOWS];
};

/* fp_group_query@FLOWPLAN_1.0 */
int fp_group_query_1_0(const struct fp_group *g, struct fp_group_info_1_0 *info);

/*
 * struct fp_report_rec of FLOWPLAN_1.0 (and 1.1): a version 1 ring's
 * record, IPv4 addresses only (core/report.h).
 */
#define fp_report_rec_1_0 fp_report_rec_v1

/* fp_report_read@FLOWPLAN_1.0: EOVERFLOW at a record with an IPv6 endpoint. */
int fp_report_read_1_0(struct fp_report *rep, struct fp_report_rec_1_0 *recs,
		       size_t max, size_t *got, uint64_t *lost);
/* fp_report_schedule@FLOWPLAN_1.0: from version 1 records. */
int fp_report_schedule_1_0(const struct fp_report_rec_1_0 *recs, size_t n,
			   uint64_t window_ns, const char *name, FILE *out);

#endif
