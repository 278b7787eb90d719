// SPDX-License-Identifier: MIT
/*
 * ports.c - the ports that put subflows on their paths: from a learned port map
 * or by searching the topology's hash model.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/plan.h"
#include "planner/plan_priv.h"
#include "planner/util.h"

void fp_flow_why(const struct fp_topo *t, const struct fp_flow *f, enum fp_unroutable_why why,
		 char *buf, size_t len)
{
	const struct fp_node *a = &t->nodes[f->src], *b = &t->nodes[f->dst];
	bool a_up = t->links[a->up_link].up;

	if (why == FP_UNROUTABLE_HOST_LINK)
		snprintf(buf, len, "the link of %s to %s is down", a_up ? b->name : a->name,
			 t->nodes[a_up ? b->leaf : a->leaf].name);
	else
		snprintf(buf, len, "no live path (failed links cut %s from %s)",
			 t->nodes[a->leaf].name, t->nodes[b->leaf].name);
}

const char *fp_plan_unroutable_why(const struct fp_plan *p, const struct fp_plan_unroutable *u,
				   char *buf, size_t len)
{
	fp_flow_why(p->topo, &p->sched->ph[u->phase].flows[u->flow], u->why, buf, len);
	return buf;
}

int fp_unroutable(struct fp_topo *t, const struct fp_flow *f, struct fp_pathset ps,
		  struct fp_err *err)
{
	const struct fp_node *a = &t->nodes[f->src], *b = &t->nodes[f->dst];
	char why[256];

	if (ps.too_many)
		return fp_fail(err, E2BIG, "%s -> %s: more than %d equal-cost paths between %s and %s",
			       a->name, b->name, FP_MAX_PATHS, t->nodes[a->leaf].name,
			       t->nodes[b->leaf].name);
	fp_flow_why(t, f, FP_UNROUTABLE_CUT, why, sizeof(why));
	return fp_fail(err, EHOSTUNREACH, "%s -> %s: %s", a->name, b->name, why);
}

/*
 * A flow label whose port takes @path between the two NICs: from the port map
 * when there is one, else by searching the hash model. @salt spreads choices.
 */
int fp_plan_label(struct fp_topo *t, const struct fp_portmap *pm, int src, int dst,
		  int path, uint32_t salt, uint32_t *fl, uint16_t *sport, struct fp_err *err)
{
	const struct fp_node *s = &t->nodes[src], *d = &t->nodes[dst];
	uint32_t f;

	if (pm) {
		size_t n, k, cnt = 0;
		const struct fp_pm_row *r = fp_portmap_pair_ip(pm, &s->ip, &d->ip, &n);

		for (k = 0; k < n; k++)
			if (r[k].path == path)
				cnt++;
		if (cnt) {
			size_t want = salt % cnt;

			for (k = 0; k < n; k++) {
				if (r[k].path != path || want--)
					continue;
				*sport = r[k].sport;
				*fl = (r[k].sport & 0xC000) == 0xC000 ? r[k].sport & 0x3fffu : 0;
				return 0;
			}
		}
		if (s->leaf != d->leaf)
			return fp_fail(err, ENOENT, "port map has no port for %s -> %s on path %d",
				       s->name, d->name, path);
	}
	if (!fp_topo_port_search(t, src, dst, path, salt % 0x3fff, &f)) {
		*fl = f;
		*sport = fp_label_to_sport(f);
		return 0;
	}
	return fp_fail(err, ENOENT, "no flow label of 1..0x3fff takes %s -> %s over path %d under the %s hash model",
		       s->name, d->name, path, fp_hash_name(t->hash_fn));
}

/* ---- baseline strategies ---- */

/* The path a port map learned for this port, or -1 when it has none. */
int fp_pm_route(const struct fp_portmap *pm, const struct fp_topo *t,
		const struct fp_flow *f, uint16_t sport)
{
	const struct fp_pm_row *r;
	size_t n, k;

	if (!pm)
		return -1;
	r = fp_portmap_pair_ip(pm, &t->nodes[f->src].ip, &t->nodes[f->dst].ip, &n);
	for (k = 0; k < n; k++)
		if (r[k].sport == sport)
			return r[k].path;
	return -1;
}
