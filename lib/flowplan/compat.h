/* SPDX-License-Identifier: MIT */
/*
 * compat.h - the calls of older symbol versions (compat.c), in
 * libflowplan.so only; not installed.
 */
#ifndef FP_FLOWPLAN_COMPAT_H
#define FP_FLOWPLAN_COMPAT_H

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

#endif
