// SPDX-License-Identifier: MIT
/*
 * reverse.c - the reverse direction of the planned flows. A RoCE RC
 * connection a -> b carries b's acknowledgements, NAKs and READ responses
 * back with the source port of b's QP, which b derives from its own entry
 * b -> a (libflowplan: each end takes its labels from its entry for the
 * pair, subflow i from label i). Where the schedule has no flow b -> a,
 * nothing planned that port: the replies went where the QP numbers hashed
 * them, over failed links too. So each such flow gets reverse subflows,
 * one per subflow, subflow i's on the reverse of subflow i's path: the
 * replies stay off failed links and off the other direction's hot links
 * (a path's reverse carries the replies of the one flow the path carries).
 * Their bytes are not counted in link loads (docs/formats.md "Reverse
 * entries").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "planner/plan.h"
#include "planner/plan_priv.h"
#include "planner/util.h"

/* The index in @rps of the path with the links of @fwd reversed, or -1. */
static int rev_path(const struct fp_topo *t, const struct fp_path *fwd,
		    const struct fp_pathset *rps)
{
	int32_t want[FP_PATH_MAX_LEN];
	int i, k;

	for (i = 0; i < fwd->len; i++)
		want[i] = t->links[fwd->link[fwd->len - 1 - i]].rev;
	for (k = 0; k < rps->n; k++)
		if (rps->p[k].len == fwd->len &&
		    !memcmp(rps->p[k].link, want, sizeof(want[0]) * fwd->len))
			return k;
	return -1;
}

/* The path @sport takes from NIC @src to NIC @dst: @pm's, or the hash model's. */
static int route(struct fp_topo *t, const struct fp_portmap *pm, int src, int dst,
		 uint16_t sport)
{
	if (pm) {
		size_t n, k;
		const struct fp_pm_row *r = fp_portmap_pair_ip(pm, &t->nodes[src].ip,
							       &t->nodes[dst].ip, &n);

		for (k = 0; k < n; k++)
			if (r[k].sport == sport)
				return r[k].path;
		if (n || t->nodes[src].leaf != t->nodes[dst].leaf)
			return -1;
	}
	return fp_topo_route(t, src, dst, sport);
}

/* Is @fl one of the first @n of @s? */
static bool taken(const struct fp_plan_rsub *s, unsigned int n, uint32_t fl)
{
	unsigned int k;

	for (k = 0; k < n; k++)
		if (s[k].flow_label == fl)
			return true;
	return false;
}

/*
 * The reverse subflows of flow @fi of phase @i, appended at @out (room for
 * the flow's subflow count); how many (0: the flow gets none). @old: the
 * same flow's reverse subflows of a plan before (NULL, or @nold of them).
 */
static unsigned int rev_subs(struct fp_plan *p, size_t i, size_t fi,
			     const struct fp_portmap *pm, const struct fp_plan_rsub *old,
			     unsigned int nold, struct fp_plan_rsub *out)
{
	struct fp_topo *t = p->topo;
	const struct fp_flow *f = &p->sched->ph[i].flows[fi];
	const struct fp_plan_flow *pf = &p->ph[i].flows[fi];
	const struct fp_plan_subflow *s = &p->ph[i].subs[pf->first];
	int a = f->src, b = f->dst, al = t->nodes[a].leaf, bl = t->nodes[b].leaf;
	struct fp_pathset fps, rps;
	unsigned int k;

	if (!pf->n || pf->n > FP_MAX_SUBFLOWS)
		return 0;
	/* Within a leaf (most of a rail ring's flows): one path of no hop, its own reverse. */
	fps = fp_topo_paths(t, al, bl);
	rps = al == bl ? fps : fp_topo_paths(t, bl, al);
	if (!rps.n)
		return 0;
	for (k = 0; k < pf->n; k++) {
		uint32_t fl = 0, salt;
		uint16_t sport = 0;
		int want, tries;

		if (!s[k].flow_label || s[k].path == FP_PATH_NONE || s[k].path >= fps.n)
			return 0;
		want = al == bl ? 0 : rev_path(t, &fps.p[s[k].path], &rps);
		if (want < 0)
			want = s[k].path % rps.n;	/* its reverse is gone: any live one */
		/* The label before, where it still takes that path. */
		if (k < nold && old[k].flow_label && !taken(out, k, old[k].flow_label) &&
		    route(t, pm, b, a, old[k].sport) == want) {
			out[k] = old[k];
			continue;
		}
		salt = s[k].flow_label;
		for (tries = 0; tries < 8; tries++, salt += 0x9e37u) {
			struct fp_err e2;

			if (fp_plan_label(t, pm, b, a, want, salt, &fl, &sport, &e2) || !fl)
				return 0;	/* no port for the reverse pair: no entry */
			if (!taken(out, k, fl))
				break;
		}
		if (tries == 8)
			return 0;
		out[k] = (struct fp_plan_rsub){ .flow_label = fl, .sport = sport,
						.path = (uint16_t)want };
	}
	return pf->n;
}

int fp_plan_reverse(struct fp_plan *p, const struct fp_portmap *pm, const struct fp_plan *prev,
		    struct fp_err *err)
{
	size_t i, r;
	int rc;

	if (p->strategy != FP_STRAT_FLOWPLAN)
		return 0;
	rc = fp_plan_rev_members(p, err);
	if (rc)
		return rc;
	if (prev && (prev->sched != p->sched || prev->nph != p->nph || !prev->rev_built))
		prev = NULL;
	for (i = 0; i < p->nph; i++) {
		struct fp_plan_phase *pp = &p->ph[i];
		const struct fp_plan_phase *op = prev ? &prev->ph[i] : NULL;
		struct fp_plan_rsub *rs;
		size_t cap = 0, n = 0;

		if (!pp->nrev)
			continue;
		if (op && op->nrev != pp->nrev)
			op = NULL;
		for (r = 0; r < pp->nrev; r++)
			cap += pp->flows[pp->rev[r].flow].n;
		rs = malloc((cap ? cap : 1) * sizeof(*rs));
		if (!rs)
			return fp_fail(err, ENOMEM, "plan: out of memory");
		for (r = 0; r < pp->nrev; r++) {
			const struct fp_plan_rev *orv = op && op->rev[r].flow == pp->rev[r].flow ?
							&op->rev[r] : NULL;
			unsigned int m;

			m = rev_subs(p, i, pp->rev[r].flow, pm,
				     orv ? &op->rsubs[orv->first] : NULL, orv ? orv->n : 0,
				     &rs[n]);
			pp->rev[r].first = (uint32_t)n;
			pp->rev[r].n = m;
			n += m;
		}
		free(pp->rsubs);
		pp->rsubs = rs;
		pp->nrsubs = n;
	}
	return 0;
}
