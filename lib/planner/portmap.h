/* SPDX-License-Identifier: MIT */
/*
 * planner/portmap.h - learned source-port-to-path tables (docs/formats.md "Port map").
 */
#ifndef FP_PORTMAP_H
#define FP_PORTMAP_H

#include <stddef.h>
#include <stdint.h>

#include "planner/topo.h"

struct fp_pm_row {
	uint32_t src, dst;	/* network order */
	uint16_t sport;		/* 0 for an unresolved pair */
	int path;		/* index into fp_topo_paths(src leaf, dst leaf), -1 unresolved */
};

struct fp_portmap {
	struct fp_pm_row *rows;	/* sorted by (src, dst, sport) */
	size_t n, cap;
};

/* Read a port map and resolve its paths against @t. */
int fp_portmap_load(const char *path, struct fp_topo *t, struct fp_portmap **out,
		    struct fp_err *err);
int fp_portmap_parse(const char *text, const char *name, struct fp_topo *t,
		     struct fp_portmap **out, struct fp_err *err);
void fp_portmap_free(struct fp_portmap *pm);
/* Rows of one pair: returns the first, sets *n (0 when the pair is absent). */
const struct fp_pm_row *fp_portmap_pair(const struct fp_portmap *pm, uint32_t src,
					uint32_t dst, size_t *n);

#endif
