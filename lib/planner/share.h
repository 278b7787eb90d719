/* SPDX-License-Identifier: MIT */
/*
 * planner/share.h - a host's share of a plan, compact (docs/formats.md
 * "Per-host share"): a text of one line per entry,
 *
 *     flowplan-share 1
 *     generation 7
 *     host h3
 *     enforce 0
 *     src 198.18.0.25
 *     198.18.0.33 1
 *     198.18.0.34 4097:32768 12:32768
 *
 * A host reads only its own share, and a subflow costs a few bytes (its
 * flow label, and its weight when the entry has several subflows).
 */
#ifndef FP_SHARE_H
#define FP_SHARE_H

#include <stdio.h>

#include "core/hostplan.h"

struct fp_plan;

/* Shares larger than this are refused (EFBIG) before being parsed. */
#define FP_SHARE_MAX	(1ull << 30)

/* Host @host's share of @p, streamed to @f. 0 or an errno value. */
int fp_share_write(FILE *f, const struct fp_plan *p, int host, struct fp_err *err);
/*
 * Read a share into @hp (initialised here, finished: sorted, duplicates
 * refused) in O(n log n). Errors name the line: "NAME:LINE: what".
 */
int fp_share_parse(const char *text, size_t len, const char *name, struct fp_hostplan *hp,
		   struct fp_err *err);
int fp_share_load(const char *path, struct fp_hostplan *hp, struct fp_err *err);

#endif
