// SPDX-License-Identifier: MIT
/*
 * compat.c - the calls of older symbol versions, kept for programs built
 * against them. In libflowplan.so only: a static link (libflowplan.a, the
 * NCCL plugins) always takes the current ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowplan/compat.h"

__asm__(".symver fp_group_query_1_0, fp_group_query@FLOWPLAN_1.0");
__asm__(".symver fp_report_read_1_0, fp_report_read@FLOWPLAN_1.0");
__asm__(".symver fp_report_schedule_1_0, fp_report_schedule@FLOWPLAN_1.0");

int fp_group_query_1_0(const struct fp_group *g, struct fp_group_info_1_0 *info)
{
	struct fp_group_info i;
	int ret;

	if (!info)
		return EINVAL;
	ret = fp_group_query(g, &i);
	if (ret)
		return ret;
	/* Never cut short: an address that does not fit is an error. */
	if (strlen(i.local) >= sizeof(info->local) ||
	    strlen(i.peer) >= sizeof(info->peer))
		return EOVERFLOW;
	memset(info, 0, sizeof(*info));
	info->k = i.k;
	info->source = i.source;
	info->generation = i.generation;
	info->error = i.error;
	memcpy(info->dev, i.dev, sizeof(info->dev));
	info->port = i.port;
	info->gid_index = i.gid_index;
	memcpy(info->local, i.local, strlen(i.local) + 1);
	memcpy(info->peer, i.peer, strlen(i.peer) + 1);
	memcpy(info->sub, i.sub, sizeof(info->sub));
	return 0;
}

/*
 * FLOWPLAN_1.0's record has 4-byte IPv4 addresses: it reads version 1
 * rings as it always did, and version 2 rings' records with IPv4 (or no)
 * endpoints; at one with an IPv6 endpoint it stops with EOVERFLOW, the
 * records before it in @recs (core/report.h: fp_ring_read_v1).
 */
int fp_report_read_1_0(struct fp_report *rep, struct fp_report_rec_1_0 *recs,
		       size_t max, size_t *got, uint64_t *lost)
{
	return fp_ring_read_v1(rep, recs, max, got, lost);
}

int fp_report_schedule_1_0(const struct fp_report_rec_1_0 *recs, size_t n,
			   uint64_t window_ns, const char *name, FILE *out)
{
	struct fp_report_rec *v;
	size_t i;
	int ret;

	if (!recs || !n || !out)
		return fp_report_schedule(NULL, n, window_ns, name, out);
	v = calloc(n, sizeof(*v));
	if (!v)
		return ENOMEM;
	for (i = 0; i < n; i++)
		fp_report_rec_from_v1(&v[i], &recs[i]);
	ret = fp_report_schedule(v, n, window_ns, name, out);
	free(v);
	return ret;
}
