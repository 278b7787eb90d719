// SPDX-License-Identifier: MIT
/*
 * compat.c - the calls of older symbol versions, kept for programs built
 * against them. In libflowplan.so only: a static link (libflowplan.a, the
 * NCCL plugins) always takes the current ones.
 */
#include <errno.h>
#include <string.h>

#include "flowplan/compat.h"

__asm__(".symver fp_group_query_1_0, fp_group_query@FLOWPLAN_1.0");

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
