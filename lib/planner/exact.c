// SPDX-License-Identifier: MIT
/*
 * exact.c - the exact method: two-tier fabrics with uniform live uplinks and
 * equal flows, planned at the spraying bound by peeling weighted perfect
 * matchings (Birkhoff-von Neumann) and cutting them into one bin per spine.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "planner/plan.h"
#include "planner/plan_priv.h"
#include "planner/topo_priv.h"
#include "planner/util.h"

/* Is phase @ph on a uniform two-tier fabric with equal fabric flows? */
bool fp_exact_applies(struct fp_topo *t, const struct fp_phase *ph, const struct fp_portmap *pm)
{
	double gbps = -1;
	uint64_t bytes = 0;
	size_t i;
	int l;

	/*
	 * More spines than a path index holds, or more than 2048 leaves (the
	 * leaf-pair table is leaves^2 ints): the general method says so.
	 */
	if (!t->two_tier || pm || t->nleaves > 2048 ||
	    t->nodes[t->leaves[0]].out_n > FP_MAX_PATHS)
		return false;
	for (l = 0; l < t->nlinks; l++) {
		const struct fp_link *k = &t->links[l];

		if (t->nodes[k->from].is_nic || t->nodes[k->to].is_nic)
			continue;
		if (!k->up)
			return false;
		if (gbps < 0)
			gbps = k->gbps;
		else if (k->gbps != gbps)
			return false;
	}
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];

		if (fp_same_host(t, f) || t->nodes[f->src].leaf == t->nodes[f->dst].leaf)
			continue;
		if (!bytes)
			bytes = f->bytes;
		else if (f->bytes != bytes)
			return false;
	}
	return true;
}

struct bvn {
	int L;
	int *pair_of;		/* L*L -> pair id or -1 */
	int *pu, *pv;		/* pair endpoints */
	int64_t *m;		/* remaining multiplicity */
	int64_t *real;		/* real flows of the pair */
	int np, pcap;
	int **adj;		/* per left vertex: pair ids */
	int *nadj, *cadj;
	int *matchL, *matchR;	/* pair matched at left u / right v */
	int *seen, stamp;
};

static int bvn_pair(struct bvn *b, int u, int v)
{
	int id = b->pair_of[(size_t)u * (size_t)b->L + (size_t)v];

	if (id >= 0)
		return id;
	if (b->np == b->pcap) {
		b->pcap = b->pcap ? b->pcap * 2 : 256;
		b->pu = fp_xrealloc(b->pu, (size_t)b->pcap, sizeof(int));
		b->pv = fp_xrealloc(b->pv, (size_t)b->pcap, sizeof(int));
		b->m = fp_xrealloc(b->m, (size_t)b->pcap, sizeof(int64_t));
		b->real = fp_xrealloc(b->real, (size_t)b->pcap, sizeof(int64_t));
	}
	id = b->np++;
	b->pu[id] = u;
	b->pv[id] = v;
	b->m[id] = 0;
	b->real[id] = 0;
	b->pair_of[(size_t)u * (size_t)b->L + (size_t)v] = id;
	if (b->nadj[u] == b->cadj[u]) {
		b->cadj[u] = b->cadj[u] ? b->cadj[u] * 2 : 4;
		b->adj[u] = fp_xrealloc(b->adj[u], (size_t)b->cadj[u], sizeof(int));
	}
	b->adj[u][b->nadj[u]++] = id;
	return id;
}

/* Kuhn's augmenting path from left vertex u (iterative DFS). */
static bool bvn_augment(struct bvn *b, int root, int *stack_u, int *stack_i)
{
	int sp = 0;

	b->stamp++;
	stack_u[0] = root;
	stack_i[0] = 0;
	while (sp >= 0) {
		int u = stack_u[sp];

		if (stack_i[sp] >= b->nadj[u]) {
			sp--;
			continue;
		}
		{
			int p = b->adj[u][stack_i[sp]++], v;

			if (!b->m[p])
				continue;
			v = b->pv[p];
			if (b->seen[v] == b->stamp)
				continue;
			b->seen[v] = b->stamp;
			if (b->matchR[v] < 0) {
				/* Flip the path: each stacked u takes the pair it went through. */
				int k;

				for (k = sp; k >= 0; k--) {
					int uu = stack_u[k], pp = b->adj[uu][stack_i[k] - 1];

					b->matchL[uu] = pp;
					b->matchR[b->pv[pp]] = pp;
				}
				return true;
			}
			sp++;
			stack_u[sp] = b->pu[b->matchR[v]];
			stack_i[sp] = 0;
		}
	}
	return false;
}

/*
 * Subflows go straight into their flow's slots (laid out in flow order once
 * every flow's count is known), so that the plan's readers, which walk the
 * flows in schedule order, walk the subflows in order too.
 */
static void put_sub(struct fp_plan_phase *pp, size_t fi, uint64_t bytes, int path, uint32_t fl,
		    uint16_t sport)
{
	struct fp_plan_flow *f = &pp->flows[fi];

	pp->subs[f->first + f->n++] = (struct fp_plan_subflow){ .bytes = bytes, .flow_label = fl,
								.sport = sport,
								.path = (uint16_t)path };
}

/* x % d for a divisor fixed in a loop: one multiplication (Lemire's fastmod). */
static inline uint32_t fastmod(uint32_t x, uint64_t m, uint32_t d)
{
	return (uint32_t)(((__uint128_t)(m * x) * d) >> 64);
}

/*
 * The flows a bin holds whole: the flows of one leaf pair are alike (equal
 * bytes, same candidate paths), so which of them takes which spine is free.
 * Each flow tries labels in turn and takes the spine its port hashes to as
 * soon as the pair still owes that spine flows (the hash model's route:
 * on a uniform two-tier fabric with every link up the source leaf alone
 * chooses, among all spines); a flow no label fits searches the model for
 * a port to a spine still owed.
 */
static int whole_flows(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
		       const struct bvn *b, const uint32_t *forder, const size_t *fstart,
		       const uint16_t *spine, int S, uint64_t fbytes, struct fp_err *err)
{
	uint64_t mS = UINT64_MAX / (uint32_t)S + 1;
	int *owed = fp_xcalloc((size_t)S, sizeof(int)), p, s, r, rc = 0;
	uint8_t *done = NULL;
	uint32_t *pend = NULL, *base = NULL, *label0 = NULL;
	const uint32_t **delta = NULL;
	size_t q, cap = 0, npend;

	int *order = fp_xcalloc((size_t)b->np + 1, sizeof(int));
	int *at = fp_xcalloc((size_t)b->L + 1, sizeof(int)), pi;

	/*
	 * Pairs by source leaf: a source leaf's flows and subflows stay in the
	 * cache while its pairs are served (the result does not depend on the
	 * order: each pair's spines are its own).
	 */
	for (p = 0; p < b->np; p++)
		at[b->pu[p] + 1]++;
	for (pi = 0; pi < b->L; pi++)
		at[pi + 1] += at[pi];
	for (p = 0; p < b->np; p++)
		order[at[b->pu[p]]++] = p;
	free(at);
	for (pi = 0; pi < b->np && !rc; pi++) {
		size_t lo, hi;

		p = order[pi];
		lo = fstart[p];
		hi = fstart[p] + (size_t)b->real[p];
		if (hi == lo)
			continue;	/* padding only */

		if (hi - lo > cap) {
			cap = hi - lo;
			free(done);
			free(pend);
			free(base);
			free(label0);
			free(delta);
			label0 = fp_xcalloc(cap, sizeof(*label0));
			delta = fp_xcalloc(cap, sizeof(*delta));
			done = fp_xcalloc(cap, 1);
			pend = fp_xcalloc(cap, sizeof(*pend));
			base = fp_xcalloc(cap, sizeof(*base));
		}
		memset(done, 0, hi - lo);
		for (q = lo; q < hi; q++)
			if (spine[q] != FP_PATH_NONE)
				owed[spine[q]]++;
			else
				done[q - lo] = 1;	/* split: planned already */
		/*
		 * Round r: every flow still waiting tries its r-th label. Rounds,
		 * not one flow after the other, so that the last flows of a pair
		 * do not try many labels for the last spine owed.
		 */
		npend = 0;
		for (q = lo; q < hi; q++) {
			const struct fp_flow *f = &ph->flows[forder[q]];
			const struct fp_node *a = &t->nodes[f->src], *z = &t->nodes[f->dst];
			const struct fp_node *l = &t->nodes[a->leaf];
			enum fp_hash_key key = fp_hash_key_of(&a->ip, l->hfields);

			if (done[q - lo])
				continue;
			pend[npend] = (uint32_t)q;
			label0[npend] = 1 + forder[q] * 7919u % 0x3fff;
			delta[npend] = fp_hash_label_deltas(t->hash_fn, key);
			base[npend++] = fp_hash_pkt(t->hash_fn, l->seed, key, &a->ip, &z->ip, 0,
						    FP_ROCE_PORT, 0);
		}
		for (r = 0; r < 0x3fff && npend; r++) {
			size_t w = 0, e;

			for (e = 0; e < npend; e++) {
				uint32_t fl = label0[e] + (uint32_t)r;

				fl = fl > 0x3fff ? fl - 0x3fff : fl;
				s = (int)fastmod(fp_fmix32(base[e] ^ delta[e][fl]), mS, (uint32_t)S);
				if (owed[s]) {
					owed[s]--;
					done[pend[e] - lo] = 1;
					/* Fabric flows are equal (fp_exact_applies): @fbytes each. */
					put_sub(pp, forder[pend[e]], fbytes, s, fl, fp_label_to_sport(fl));
				} else {
					pend[w] = pend[e];
					label0[w] = label0[e];
					delta[w] = delta[e];
					base[w++] = base[e];
				}
			}
			npend = w;
		}
		/* What no tried label fitted: a port to a spine still owed. */
		for (q = lo, s = 0; q < hi && !rc; q++) {
			const struct fp_flow *f = &ph->flows[forder[q]];
			uint32_t fl;
			uint16_t sport;

			if (done[q - lo])
				continue;
			while (!owed[s])
				s++;
			owed[s]--;
			rc = fp_plan_label(t, NULL, f->src, f->dst, s, forder[q] * 7919u + (uint32_t)s,
					   &fl, &sport, err);
			if (!rc)
				put_sub(pp, forder[q], f->bytes, s, fl, sport);
		}
	}
	free(order);
	free(owed);
	free(done);
	free(pend);
	free(base);
	free(label0);
	free(delta);
	return rc;
}

/*
 * A unit [a, a + S) across the bins of spines s0..s1: flow @fi gets in each
 * spine the bytes of the unit's part in its bin, in the last one the rest.
 * @pp NULL: only count them (the return value).
 */
static int straddle(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
		    size_t fi, int64_t a, int S, int64_t binlen, int64_t s0, int64_t s1,
		    struct fp_err *err)
{
	int count = 0;

	const struct fp_flow *f = &ph->flows[fi];
	int64_t s, given = 0;
	int rc;

	for (s = s0; s <= s1; s++) {
		int64_t lo = a > s * binlen ? a : s * binlen;
		int64_t hi = a + S < (s + 1) * binlen ? a + S : (s + 1) * binlen;
		uint64_t bytes;
		uint32_t fl;
		uint16_t sport;

		if (hi <= lo)
			continue;
		bytes = s == s1 ? f->bytes - (uint64_t)given :
			(uint64_t)((__uint128_t)f->bytes * (uint64_t)(hi - lo) /
				   (uint64_t)S);
		given += (int64_t)bytes;
		if (!bytes)
			continue;
		if (!pp) {
			count++;
			continue;
		}
		rc = fp_plan_label(t, NULL, f->src, f->dst, (int)s,
				   (uint32_t)(fi * 7919 + (size_t)s), &fl,
				   &sport, err);
		if (rc)
			return rc;
		put_sub(pp, fi, bytes, (int)s, fl, sport);
	}
	return pp ? 0 : count;
}

/* A unit across bins, kept until the subflows' slots are laid out. */
struct strad {
	size_t fi;
	int64_t a, s0, s1;
};

int fp_plan_exact(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp,
		  struct fp_err *err)
{
	struct bvn b = { .L = t->nleaves };
	int L = t->nleaves, S = t->nodes[t->leaves[0]].out_n, u, v, p, k;
	int64_t *out = fp_xcalloc((size_t)L, sizeof(int64_t));
	int64_t *inn = fp_xcalloc((size_t)L, sizeof(int64_t));
	int64_t delta = 0, pos = 0, total, binlen;
	size_t i, *cursor = NULL, *fstart = NULL, nf = 0;
	uint32_t *forder = NULL;
	uint16_t *spine = NULL;
	int *stack_u = NULL, *stack_i = NULL, *mt = NULL;
	int64_t *mw = NULL;
	size_t nmatch = 0, mcap = 0;
	uint32_t salt = 0;
	uint64_t fbytes = 0;
	struct strad *st = NULL;
	size_t nst = 0, stcap = 0, total_subs = 0, extra = 0;
	int rc = 0;
	double host;

	/*
	 * The plan meets the host links' and the leaves' cuts by construction:
	 * its bound is theirs, and what the host links carry decides the bins.
	 */
	pp->lower_bound = fp_phase_cut_bound(t, ph, &host, NULL);
	b.pair_of = fp_xcalloc((size_t)L * (size_t)L, sizeof(int));
	memset(b.pair_of, 0xff, sizeof(int) * (size_t)L * (size_t)L);
	b.adj = fp_xcalloc((size_t)L, sizeof(int *));
	b.nadj = fp_xcalloc((size_t)L, sizeof(int));
	b.cadj = fp_xcalloc((size_t)L, sizeof(int));
	b.matchL = fp_xcalloc((size_t)L, sizeof(int));
	b.matchR = fp_xcalloc((size_t)L, sizeof(int));
	b.seen = fp_xcalloc((size_t)L, sizeof(int));
	stack_u = fp_xcalloc((size_t)L + 1, sizeof(int));
	stack_i = fp_xcalloc((size_t)L + 1, sizeof(int));

	/* Local flows first; fabric flows become pair multiplicities. */
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];

		/*
		 * Until the slots are laid out, n counts a flow's subflows and
		 * first says what it is: 0 on the fabric, 1 local, 2 in one leaf.
		 */
		pp->flows[i].n = 1;
		if (fp_same_host(t, f)) {
			pp->flows[i].first = 1;
			continue;
		}
		u = t->nodes[t->nodes[f->src].leaf].leaf_idx;
		v = t->nodes[t->nodes[f->dst].leaf].leaf_idx;
		if (u == v) {
			pp->flows[i].first = 2;
			continue;
		}
		fbytes = f->bytes;
		p = bvn_pair(&b, u, v);
		b.real[p]++;
		b.m[p]++;
		out[u]++;
		inn[v]++;
		nf++;
	}
	if (!nf)
		goto place;
	for (u = 0; u < L; u++) {
		if (out[u] > delta)
			delta = out[u];
		if (inn[u] > delta)
			delta = inn[u];
	}
	/* Pad to a Delta-regular bipartite multigraph with dummy edges. */
	for (u = 0, v = 0; u < L; u++) {
		while (out[u] < delta) {
			int64_t add;

			while (inn[v] >= delta)
				v++;
			add = delta - out[u] < delta - inn[v] ? delta - out[u] : delta - inn[v];
			p = bvn_pair(&b, u, v);
			b.m[p] += add;
			out[u] += add;
			inn[v] += add;
		}
	}
	/*
	 * Bins: fractional (Delta/S units per spine: the spraying bound, some
	 * flows split) unless whole bins of ceil(Delta/S) units already stay
	 * under what the host links force anyway: then nothing is split.
	 */
	binlen = delta;
	{
		int64_t c = (delta + S - 1) / S;
		double flowb = (double)fbytes, up_gbps = t->links[t->out[t->nodes[t->leaves[0]].out_off]].gbps;

		if ((double)c * flowb * 8 / (up_gbps * 1e9) <= host * (1 + 1e-12))
			binlen = c * S;
	}
	/* Birkhoff-von Neumann: peel weighted perfect matchings. */
	for (u = 0; u < L; u++)
		b.matchL[u] = b.matchR[u] = -1;
	total = delta;
	while (total > 0) {
		int64_t w = INT64_MAX;

		for (u = 0; u < L; u++) {
			if (b.matchL[u] < 0 && !bvn_augment(&b, u, stack_u, stack_i)) {
				rc = fp_fail(err, EDOM, "internal error: no perfect matching (phase with %zu flows)",
					     ph->n);
				goto out;
			}
		}
		for (u = 0; u < L; u++)
			if (b.m[b.matchL[u]] < w)
				w = b.m[b.matchL[u]];
		if (w > total)
			w = total;
		if (nmatch == mcap) {
			mcap = mcap ? mcap * 2 : 64;
			mt = fp_xrealloc(mt, mcap * (size_t)L, sizeof(int));
			mw = fp_xrealloc(mw, mcap, sizeof(int64_t));
		}
		for (u = 0; u < L; u++) {
			p = b.matchL[u];
			mt[nmatch * (size_t)L + (size_t)u] = p;
			b.m[p] -= w;
		}
		mw[nmatch++] = w;
		total -= w;
		for (u = 0; u < L; u++) {
			p = b.matchL[u];
			if (!b.m[p]) {
				b.matchL[u] = -1;
				b.matchR[b.pv[p]] = -1;
			}
		}
	}

	/* Flows of each pair, in schedule order. */
	fstart = fp_xcalloc((size_t)b.np + 1, sizeof(size_t));
	cursor = fp_xcalloc((size_t)b.np, sizeof(size_t));
	forder = fp_xcalloc(nf, sizeof(*forder));
	spine = fp_xcalloc(nf, sizeof(*spine));
	for (p = 0; p < b.np; p++)
		fstart[p + 1] = fstart[p] + (size_t)b.real[p];
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];

		if (fp_same_host(t, f) || t->nodes[f->src].leaf == t->nodes[f->dst].leaf)
			continue;
		u = t->nodes[t->nodes[f->src].leaf].leaf_idx;
		v = t->nodes[t->nodes[f->dst].leaf].leaf_idx;
		p = b.pair_of[(size_t)u * (size_t)L + (size_t)v];
		forder[fstart[p] + cursor[p]++] = (uint32_t)i;
	}
	memset(cursor, 0, sizeof(size_t) * (size_t)b.np);

	/*
	 * Units on a line of length Delta*S (unit j is [jS, jS+S)); spine s owns
	 * [s*binlen, (s+1)*binlen). A unit is a matching: one flow of each pair in it.
	 */
	for (k = 0; k < (int)nmatch; k++) {
		int64_t j = 0;

		while (j < mw[k]) {
			int64_t a = (pos + j) * S, s0 = a / binlen, s1 = (a + S - 1) / binlen, run;

			if (s0 == s1) {
				/* Units wholly inside spine s0's bin: assign them in one go. */
				int64_t end_bin = (s0 + 1) * binlen, fit = (end_bin - a) / S;

				run = fit < mw[k] - j ? fit : mw[k] - j;
			} else {
				run = 1;
			}
			for (u = 0; u < L; u++) {
				int64_t r;

				p = mt[(size_t)k * (size_t)L + (size_t)u];
				for (r = 0; r < run; r++) {
					size_t fi;

					if (cursor[p] >= (size_t)b.real[p])
						break;	/* dummy unit */
					if (s0 == s1) {
						/* Whole in one spine: ports chosen below. */
						spine[fstart[p] + cursor[p]++] = (uint16_t)s0;
						continue;
					}
					spine[fstart[p] + cursor[p]] = FP_PATH_NONE;
					fi = forder[fstart[p] + cursor[p]++];
					FP_GROW_RAW(st, stcap, nst + 1);
					st[nst++] = (struct strad){ fi, a, s0, s1 };
					pp->flows[fi].n = (uint32_t)straddle(t, ph, NULL, fi, a, S, binlen,
									     s0, s1, err);
					/* (modulo 2^64: a flow of no part takes one back) */
					extra += (size_t)pp->flows[fi].n;
					extra -= 1;
				}
			}
			j += run;
		}
		pos += mw[k];
	}
place:
	/*
	 * Every flow's subflows in its slots, flows in schedule order; local
	 * flows and flows within one leaf get theirs on the way.
	 */
	if (ph->n + extra > UINT32_MAX) {
		rc = fp_fail(err, E2BIG, "%zu subflows: more than a plan phase holds", ph->n + extra);
		goto out;
	}
	FP_GROW_RAW(pp->subs, pp->cap, ph->n + extra);
	for (i = 0; i < ph->n; i++) {
		uint32_t kind = pp->flows[i].first;

		pp->flows[i].first = (uint32_t)total_subs;
		total_subs += pp->flows[i].n;
		pp->flows[i].n = 0;
		if (kind == 1) {
			put_sub(pp, i, ph->flows[i].bytes, FP_PATH_NONE, 0, 0);
		} else if (kind == 2) {
			uint32_t fl = 1 + (salt++ % 0x3fff);

			put_sub(pp, i, ph->flows[i].bytes, 0, fl, fp_label_to_sport(fl));
		}
	}
	pp->nsubs = total_subs;
	if (!nf)
		goto out;	/* nothing on the fabric: no method to name */
	for (i = 0; i < nst && !rc; i++)
		rc = straddle(t, ph, pp, st[i].fi, st[i].a, S, binlen, st[i].s0, st[i].s1, err);
	if (!rc)
		rc = whole_flows(t, ph, pp, &b, forder, fstart, spine, S, fbytes, err);
	if (rc)
		goto out;
	pp->method = FP_METHOD_EXACT;
out:
	for (u = 0; u < L; u++)
		free(b.adj[u]);
	free(b.adj);
	free(b.nadj);
	free(b.cadj);
	free(b.pair_of);
	free(b.pu);
	free(b.pv);
	free(b.m);
	free(b.real);
	free(b.matchL);
	free(b.matchR);
	free(b.seen);
	free(stack_u);
	free(stack_i);
	free(mt);
	free(mw);
	free(out);
	free(inn);
	free(fstart);
	free(cursor);
	free(forder);
	free(spine);
	free(st);
	return rc;
}
