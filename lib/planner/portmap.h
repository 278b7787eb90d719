/* SPDX-License-Identifier: MIT */
/*
 * planner/portmap.h - learned source-port-to-path tables (docs/formats.md "Port map").
 */
#ifndef FP_PORTMAP_H
#define FP_PORTMAP_H

#include <stddef.h>
#include <stdint.h>

#include "planner/topo.h"

/*
 * A row's addresses: IPv4 in @src and @dst (network order; @src6 and @dst6
 * zero), or IPv6 in @src6 and @dst6 (@src and @dst 0). fp_pm_row_src() and
 * fp_pm_row_dst() give either as a struct fp_addr.
 */
struct fp_pm_row {
	uint32_t src, dst;	/* IPv4, network order */
	uint16_t sport;		/* 0 for an unresolved pair */
	int path;		/* index into fp_topo_paths(src leaf, dst leaf), -1 unresolved */
	struct fp_addr src6, dst6;	/* IPv6 */
};

static inline struct fp_addr fp_pm_row_src(const struct fp_pm_row *r)
{
	return r->src ? fp_addr_v4(r->src) : r->src6;
}

static inline struct fp_addr fp_pm_row_dst(const struct fp_pm_row *r)
{
	return r->dst ? fp_addr_v4(r->dst) : r->dst6;
}

/*
 * The order of a port map's rows, the library's and the daemon's: by pair,
 * the source then the destination in fp_addr_order()'s order (IPv4 first),
 * then by port. Rows of a pair are adjacent; a lookup of a pair (port 0)
 * bisects to its first row.
 */
static inline int fp_pm_order(const struct fp_addr *s1, const struct fp_addr *d1, uint16_t p1,
			      const struct fp_addr *s2, const struct fp_addr *d2, uint16_t p2)
{
	int c = fp_addr_order(s1, s2);

	if (!c)
		c = fp_addr_order(d1, d2);
	return c ? c : (int)p1 - (int)p2;
}

struct fp_portmap {
	struct fp_pm_row *rows;	/* in fp_pm_order() */
	size_t n, cap;
	/*
	 * What the rows' path indices are numbered for: @topo's live paths
	 * at its paths_gen @paths_gen (fp_portmap_parse sets both). @topo
	 * NULL: a map its maker numbered for the topology it is used with.
	 */
	const struct fp_topo *topo;
	uint64_t paths_gen;
};

/* Read a port map and resolve its paths against @t. */
int fp_portmap_load(const char *path, struct fp_topo *t, struct fp_portmap **out,
		    struct fp_err *err);
int fp_portmap_parse(const char *text, const char *name, struct fp_topo *t,
		     struct fp_portmap **out, struct fp_err *err);
void fp_portmap_free(struct fp_portmap *pm);
/* Put @pm's rows in fp_pm_order(), for a map built by hand. */
void fp_portmap_sort(struct fp_portmap *pm);
/* Rows of one pair: returns the first, sets *n (0 when the pair is absent). */
const struct fp_pm_row *fp_portmap_pair(const struct fp_portmap *pm, uint32_t src,
					uint32_t dst, size_t *n);
/* The same for a pair of either family. */
const struct fp_pm_row *fp_portmap_pair_ip(const struct fp_portmap *pm, const struct fp_addr *src,
					   const struct fp_addr *dst, size_t *n);

#endif
