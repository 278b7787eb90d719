// SPDX-License-Identifier: MIT
/*
 * planhost.c - a computed plan as host plans (core/hostplan.h): the one
 * conversion of the planner's subflows into entries, for the plan file's
 * "entries", per-host shares, the daemon and programs that plan and install
 * without a file in between.
 *
 * Per (source address, destination address) pair: the pair's flow in the
 * phase where the pair carries the most bytes (the earliest on ties), its
 * subflows' labels, and weights that are their byte shares in exact integer
 * arithmetic (floor, the largest subflow takes what rounding left, so they
 * sum to FP_WEIGHT_ONE). A pair off the fabric (two NICs of one host), a
 * spraying plan and a subflow without a flow label (a port map learned
 * with TCP) give no entry: there is nothing a host could pin.
 *
 * Entries are built one source NIC at a time from an index of the flows by
 * source (4 bytes per flow and phase, built once per plan;
 * none when the phase lists its flows by source already), so a host's
 * share costs what the host has, and a writer streams a cluster's plan NIC
 * after NIC without holding all of its entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hostplan.h"
#include "planner/plan.h"
#include "planner/plan_priv.h"
#include "planner/util.h"

typedef unsigned __int128 u128;

struct fp_plan_index {
	uint32_t **off;		/* per phase: CSR offsets per node (nnodes + 1) */
	uint32_t **flow;	/* per phase: flows ordered by source NIC, NULL if already */
	int64_t *best;		/* per destination node: candidate index, -1: none */
};

void fp_plan_index_free(struct fp_plan_index *ix, size_t nph)
{
	size_t i;

	if (!ix)
		return;
	/* (either array is NULL when build_index() could not allocate it) */
	for (i = 0; ix->off && i < nph; i++)
		free(ix->off[i]);
	for (i = 0; ix->flow && i < nph; i++)
		free(ix->flow[i]);
	free(ix->off);
	free(ix->flow);
	free(ix->best);
	free(ix);
}

static int build_index(struct fp_plan *p, struct fp_err *err)
{
	const struct fp_topo *t = p->topo;
	struct fp_plan_index *ix;
	size_t i, j;

	if (p->index)
		return 0;
	if ((uint64_t)t->nnodes >= UINT32_MAX)
		return fp_fail(err, E2BIG, "plan: too many nodes to index");
	ix = calloc(1, sizeof(*ix));
	if (!ix)
		return fp_fail(err, ENOMEM, "plan: out of memory");
	ix->off = calloc(p->nph ? p->nph : 1, sizeof(*ix->off));
	ix->flow = calloc(p->nph ? p->nph : 1, sizeof(*ix->flow));
	ix->best = malloc((size_t)t->nnodes * sizeof(*ix->best));
	if (!ix->off || !ix->flow || !ix->best)
		goto oom;
	memset(ix->best, 0xff, (size_t)t->nnodes * sizeof(*ix->best));
	for (i = 0; i < p->nph; i++) {
		const struct fp_phase *ph = &p->sched->ph[i];
		uint32_t *off, *cur;

		if (ph->n >= UINT32_MAX) {
			fp_plan_index_free(ix, p->nph);
			return fp_fail(err, E2BIG, "plan: phase %s has too many flows to index",
				       ph->name);
		}
		bool sorted = true;

		off = ix->off[i] = calloc((size_t)t->nnodes + 1, sizeof(*off));
		if (!off)
			goto oom;
		for (j = 0; j < ph->n; j++) {
			off[ph->flows[j].src + 1]++;
			if (j && ph->flows[j].src < ph->flows[j - 1].src)
				sorted = false;
		}
		for (j = 0; j < (size_t)t->nnodes; j++)
			off[j + 1] += off[j];
		/* Flows by source already (what the generators make): no copy. */
		if (sorted)
			continue;
		ix->flow[i] = malloc((ph->n ? ph->n : 1) * sizeof(uint32_t));
		cur = calloc((size_t)t->nnodes, sizeof(*cur));
		if (!ix->flow[i] || !cur) {
			free(cur);
			goto oom;
		}
		for (j = 0; j < ph->n; j++) {
			int s = ph->flows[j].src;

			ix->flow[i][off[s] + cur[s]++] = (uint32_t)j;
		}
		free(cur);
	}
	p->index = ix;
	return 0;
oom:
	fp_plan_index_free(ix, p->nph);
	return fp_fail(err, ENOMEM, "plan: out of memory");
}

/*
 * The flows a -> b with no flow b -> a in any phase, same-host pairs
 * left out: every flow's pair put in a set, each flow's reverse looked up,
 * those without one placed by destination (stable: flow order within
 * one). The set is a bit per (source, destination) node pair where that
 * is no bigger than 4 bytes per flow (dense schedules: all-to-all), else
 * a hash set of the pairs (8 bytes a slot, at least 2 slots a flow).
 * O(flows + nodes x phases).
 */
struct pairset {
	uint64_t *w;		/* the bits, or the keys: src * nn + dst + 1, 0 empty */
	size_t nn, mask;	/* mask: slots - 1 of the hash set; 0: bits */
	int shift;
};

static size_t pair_slot(const struct pairset *ps, uint64_t key)
{
	size_t j = (size_t)((key * 0x9e3779b97f4a7c15ull) >> ps->shift);

	while (ps->w[j] && ps->w[j] != key)
		j = (j + 1) & ps->mask;
	return j;
}

static void pair_add(struct pairset *ps, int a, int b)
{
	uint64_t k = (uint64_t)a * ps->nn + (uint64_t)b;

	if (!ps->mask)
		ps->w[k / 64] |= 1ull << (k % 64);
	else
		ps->w[pair_slot(ps, k + 1)] = k + 1;
}

static bool pair_has(const struct pairset *ps, int a, int b)
{
	uint64_t k = (uint64_t)a * ps->nn + (uint64_t)b;

	if (!ps->mask)
		return (ps->w[k / 64] >> (k % 64)) & 1;
	return ps->w[pair_slot(ps, k + 1)] != 0;
}

int fp_plan_rev_members(struct fp_plan *p, struct fp_err *err)
{
	const struct fp_topo *t = p->topo;
	size_t nn = (size_t)t->nnodes, total = 0, i, j, y;
	struct pairset ps = { .nn = nn };

	if (p->rev_built)
		return 0;
	for (i = 0; i < p->nph; i++)
		total += p->sched->ph[i].n;
	if (nn <= 65536 && (nn * nn + 7) / 8 <= total * sizeof(uint32_t)) {
		ps.w = calloc((nn * nn + 63) / 64, sizeof(*ps.w));
	} else {
		size_t slots = 16;
		int bits = 4;

		while (slots < 2 * total) {
			slots *= 2;
			bits++;
		}
		ps.mask = slots - 1;
		ps.shift = 64 - bits;
		ps.w = calloc(slots, sizeof(*ps.w));
	}
	if (!ps.w)
		return fp_fail(err, ENOMEM, "plan: out of memory");
	for (i = 0; i < p->nph; i++)
		for (j = 0; j < p->sched->ph[i].n; j++)
			pair_add(&ps, p->sched->ph[i].flows[j].src, p->sched->ph[i].flows[j].dst);
	for (i = 0; i < p->nph; i++) {
		const struct fp_phase *ph = &p->sched->ph[i];
		struct fp_plan_phase *pp = &p->ph[i];
		size_t n = 0;
		uint32_t *cur;

		for (j = 0; j < ph->n; j++) {
			const struct fp_flow *f = &ph->flows[j];

			if (t->nodes[f->src].host == t->nodes[f->dst].host ||
			    pair_has(&ps, f->dst, f->src))
				continue;
			if (!pp->rev_off) {
				pp->rev_off = calloc(nn + 1, sizeof(*pp->rev_off));
				if (!pp->rev_off)
					goto oom;
			}
			pp->rev_off[f->dst + 1]++;
			n++;
		}
		if (!n)
			continue;
		for (y = 0; y < nn; y++)
			pp->rev_off[y + 1] += pp->rev_off[y];
		pp->rev = calloc(n, sizeof(*pp->rev));
		cur = calloc(nn + 1, sizeof(*cur));
		if (!pp->rev || !cur) {
			free(cur);
			goto oom;
		}
		for (j = 0; j < ph->n; j++) {
			const struct fp_flow *f = &ph->flows[j];

			if (t->nodes[f->src].host == t->nodes[f->dst].host ||
			    pair_has(&ps, f->dst, f->src))
				continue;
			pp->rev[pp->rev_off[f->dst] + cur[f->dst]++].flow = (uint32_t)j;
		}
		pp->nrev = n;
		free(cur);
	}
	free(ps.w);
	p->rev_built = true;
	return 0;
oom:
	free(ps.w);
	for (i = 0; i < p->nph; i++) {
		free(p->ph[i].rev);
		free(p->ph[i].rev_off);
		p->ph[i].rev = NULL;
		p->ph[i].rev_off = NULL;
		p->ph[i].nrev = 0;
	}
	return fp_fail(err, ENOMEM, "plan: out of memory");
}

struct cand {
	uint32_t phase, flow;
	uint64_t bytes;
	int dst;
};

/*
 * Of the @n candidates @c (phase by phase), per destination the one of the
 * phase with the most bytes, the earliest on ties, moved to the front in
 * order of first appearance: O(n), no sort. How many are left. @ix->best
 * (all -1 between calls) marks the destinations seen.
 */
static size_t most_bytes_per_dst(struct fp_plan_index *ix, struct cand *c, size_t n)
{
	size_t i, j;

	for (i = 0, j = 0; i < n; i++) {
		int64_t *b = &ix->best[c[i].dst];

		if (*b < 0) {
			*b = (int64_t)j;
			c[j++] = c[i];
		} else if (c[i].bytes > c[*b].bytes) {
			c[*b] = c[i];
		}
	}
	for (i = 0; i < j; i++)
		ix->best[c[i].dst] = -1;
	return j;
}

/* The entry of flow @fl of phase @ph; false when it has none. */
static bool flow_entry(const struct fp_plan *p, size_t ph, size_t fl, struct fp_hostplan_entry *e)
{
	const struct fp_topo *t = p->topo;
	const struct fp_flow *f = &p->sched->ph[ph].flows[fl];
	const struct fp_plan_flow *pf = &p->ph[ph].flows[fl];
	const struct fp_plan_subflow *s = &p->ph[ph].subs[pf->first];
	u128 total = 0;
	uint64_t given = 0;
	unsigned int k, big = 0;

	if (!pf->n || pf->n > FP_MAX_SUBFLOWS)
		return false;
	for (k = 0; k < pf->n; k++) {
		if (!s[k].flow_label || s[k].path == FP_PATH_NONE)
			return false;
		total += s[k].bytes;
		if (s[k].bytes > s[big].bytes)
			big = k;
	}
	if (!total)
		return false;
	memset(e, 0, sizeof(*e));
	e->local = t->nodes[f->src].ip;
	e->remote = t->nodes[f->dst].ip;
	e->dqpn = FP_DQPN_ANY;
	e->enforce = p->enforce;
	e->nsub = pf->n;
	if (pf->n == 1) {
		/* What the division below gives a lone subflow, without it. */
		e->sub[0].flow_label = s[0].flow_label;
		e->sub[0].sport = fp_label_to_sport(s[0].flow_label);
		e->sub[0].weight = FP_WEIGHT_ONE;
		return true;
	}
	for (k = 0; k < pf->n; k++) {
		e->sub[k].flow_label = s[k].flow_label;
		e->sub[k].sport = fp_label_to_sport(s[k].flow_label);
		e->sub[k].weight = (uint32_t)((u128)s[k].bytes * FP_WEIGHT_ONE / total);
		given += e->sub[k].weight;
	}
	e->sub[big].weight += (uint32_t)(FP_WEIGHT_ONE - given);
	return true;
}

/*
 * The reverse entry of rev list item @r of phase @ph: the forward flow's
 * entry (its weights) from its destination back to its source, with the
 * reverse subflows' labels; false when it has none.
 */
static bool rev_entry(const struct fp_plan *p, size_t ph, size_t r, struct fp_hostplan_entry *e)
{
	const struct fp_plan_phase *pp = &p->ph[ph];
	const struct fp_plan_rev *rv = &pp->rev[r];
	struct fp_addr a;
	unsigned int k;

	if (!rv->n || rv->n != pp->flows[rv->flow].n || !flow_entry(p, ph, rv->flow, e))
		return false;
	a = e->local;
	e->local = e->remote;
	e->remote = a;
	for (k = 0; k < e->nsub; k++) {
		e->sub[k].flow_label = pp->rsubs[rv->first + k].flow_label;
		e->sub[k].sport = fp_label_to_sport(e->sub[k].flow_label);
	}
	return true;
}

/*
 * The reverse entries of NIC @nic (its pairs' replies, plan.h
 * fp_plan_rev): per source, the flow of the phase with the most bytes
 * (the earliest on ties), as that source's own entry takes it.
 */
static int nic_rev_visit(struct fp_plan *p, int nic, fp_plan_entry_fn fn, void *ctx,
			 struct fp_err *err)
{
	struct cand *c;
	size_t n = 0, i, j;
	int rc = 0;

	for (i = 0; i < p->nph; i++)
		if (p->ph[i].rev_off)
			n += p->ph[i].rev_off[nic + 1] - p->ph[i].rev_off[nic];
	if (!n)
		return 0;
	c = malloc(n * sizeof(*c));
	if (!c)
		return fp_fail(err, ENOMEM, "plan: out of memory");
	for (i = 0, n = 0; i < p->nph; i++) {
		const struct fp_plan_phase *pp = &p->ph[i];

		if (!pp->rev_off)
			continue;
		for (j = pp->rev_off[nic]; j < pp->rev_off[nic + 1]; j++) {
			const struct fp_flow *f = &p->sched->ph[i].flows[pp->rev[j].flow];

			c[n++] = (struct cand){ (uint32_t)i, (uint32_t)j, f->bytes, f->src };
		}
	}
	n = most_bytes_per_dst(p->index, c, n);
	for (i = 0; i < n; i++) {
		struct fp_hostplan_entry e;

		if (!rc && rev_entry(p, c[i].phase, c[i].flow, &e))
			rc = fn(ctx, &e, err);
	}
	free(c);
	return rc;
}

int fp_plan_nic_visit(const struct fp_plan *cp, int nic, fp_plan_entry_fn fn, void *ctx,
		      struct fp_err *err)
{
	struct fp_plan *p = (struct fp_plan *)cp;	/* the index is a cache */
	const struct fp_topo *t = p->topo;
	struct cand *c = NULL;
	size_t n = 0, i, j;
	int rc;

	if (p->strategy == FP_STRAT_SPRAY || nic < 0 || nic >= t->nnodes || !t->nodes[nic].is_nic)
		return 0;
	rc = build_index(p, err);
	if (rc)
		return rc;
	for (i = 0; i < p->nph; i++)
		n += p->index->off[i][nic + 1] - p->index->off[i][nic];
	if (!n)
		return p->rev_built ? nic_rev_visit(p, nic, fn, ctx, err) : 0;
	c = malloc(n * sizeof(*c));
	if (!c)
		return fp_fail(err, ENOMEM, "plan: out of memory");
	for (i = 0, n = 0; i < p->nph; i++) {
		const struct fp_phase *ph = &p->sched->ph[i];

		const uint32_t *ord = p->index->flow[i];

		for (j = p->index->off[i][nic]; j < p->index->off[i][nic + 1]; j++) {
			uint32_t fi = ord ? ord[j] : (uint32_t)j;
			const struct fp_flow *f = &ph->flows[fi];

			if (t->nodes[f->src].host == t->nodes[f->dst].host)
				continue;
			c[n++] = (struct cand){ (uint32_t)i, fi, f->bytes, f->dst };
		}
	}
	n = most_bytes_per_dst(p->index, c, n);
	for (i = 0, rc = 0; i < n; i++) {
		struct fp_hostplan_entry e;

		if (!rc && flow_entry(p, c[i].phase, c[i].flow, &e))
			rc = fn(ctx, &e, err);
	}
	free(c);
	if (!rc && p->rev_built)
		rc = nic_rev_visit(p, nic, fn, ctx, err);
	return rc;
}

static int add_entry(void *hp, const struct fp_hostplan_entry *e, struct fp_err *err)
{
	return fp_hostplan_add(hp, e, err);
}

int fp_plan_nic_entries(const struct fp_plan *p, int nic, struct fp_hostplan *hp,
			struct fp_err *err)
{
	return fp_plan_nic_visit(p, nic, add_entry, hp, err);
}

int fp_plan_hostplan(const struct fp_plan *p, const struct fp_addr *local, size_t nlocal,
		     struct fp_hostplan *out, struct fp_err *err)
{
	const struct fp_topo *t = p->topo;
	size_t k;
	int rc = 0, i;

	fp_hostplan_init(out);
	out->generation = p->generation;
	if (!local) {
		for (i = 0; i < t->naddr && !rc; i++)
			rc = fp_plan_nic_entries(p, t->addr_ix[i].node, out, err);
	} else {
		for (k = 0; k < nlocal && !rc; k++) {
			size_t d;

			for (d = 0; d < k && fp_addr_cmp(&local[d], &local[k]); d++)
				;
			i = fp_topo_find_ip(t, &local[k]);
			if (i >= 0 && d == k)
				rc = fp_plan_nic_entries(p, i, out, err);
		}
	}
	if (!rc)
		rc = fp_hostplan_finish(out, err);
	if (rc)
		fp_hostplan_free(out);
	return rc;
}
