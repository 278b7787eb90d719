/* SPDX-License-Identifier: GPL-2.0 */
/*
 * staging.h - plans sent in several SET_PLAN messages: the parts each
 * sending socket has staged until its last part (UAPI header, "Plans in
 * several messages"). One fp_stages per namespace, under its lock.
 */
#ifndef _FLOWPLAN_STAGING_H
#define _FLOWPLAN_STAGING_H

#include <linux/list.h>
#include <net/netlink.h>

#include "plan.h"

struct fp_stage {
	struct list_head list;
	u32 portid;		/* the sending socket */
	u64 generation;
	u32 next_part;
	bool announced;		/* FLOWPLAN_A_NENTRIES seen: total */
	u32 total;
	unsigned int n, cap;
	struct fp_entry *e;
};

struct fp_stages {
	struct list_head list;
	/* Entries staged by all sockets, each socket counting at least 1. */
	unsigned int entries;
};

void fp_stages_init(struct fp_stages *ss);
/*
 * fp_stages_add - one SET_PLAN message from socket @portid, its top-level
 * attributes validated by fp_attr_policy. Returns NULL when the plan goes
 * on in further parts, the whole plan after its last part (the caller
 * installs or frees it), or an ERR_PTR with @extack set. After an error or
 * the last part, nothing of @portid's stays staged. @max_entries bounds
 * each plan and, together, the parts staged by all sockets.
 */
struct fp_plan *fp_stages_add(struct fp_stages *ss, u32 portid,
			      struct nlattr **attrs, unsigned int max_entries,
			      struct netlink_ext_ack *extack);
/* Discard what socket @portid staged (nothing: no-op). */
void fp_stages_drop(struct fp_stages *ss, u32 portid);
void fp_stages_drop_all(struct fp_stages *ss);
/* Sockets with parts staged. */
unsigned int fp_stages_count(const struct fp_stages *ss);

#endif
