// SPDX-License-Identifier: MIT
/*
 * sim.c - flow-level simulation, event-driven, max-min fair.
 *
 * Every subflow of a phase starts at once and crosses its links (the host
 * link up, its path, the host link down). Rates are max-min fair, found by
 * progressive filling with a heap of links keyed by their fair share: the
 * link of least share freezes its subflows at that share, which lowers the
 * capacity and the count of the other links they cross. An event is the
 * moment the next subflows finish; all those finishing within a relative
 * 1e-9 of it finish together (equal flows do, by the thousand).
 *
 * Incremental: when subflows finish, only the connected part of the
 * network they were in (links and subflows reachable through shared
 * links) can change its rates; the rest keeps them, and their finish times
 * wait in a heap. So an event costs the part it touches: a phase of several
 * jobs on disjoint links, or the tail of a phase, costs little.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "planner/sim.h"
#include "planner/util.h"

void fp_sim_free(struct fp_sim *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nph; i++)
		free(s->ph[i].fct);
	free(s->ph);
	free(s);
}

struct sflow {
	double left, rate;	/* bytes left at time t0, rate since */
	double t0;
	uint32_t flow;		/* index in the phase */
	uint32_t off;		/* first of its links in lk */
	uint32_t version;	/* of its entry in the finish heap */
	uint8_t n;		/* links */
	uint8_t active, frozen, mark;
};

/* When subflows finish: (time, subflow, version), stale entries skipped. */
struct fin {
	double t;
	uint32_t sf, version;
};

struct simst {
	struct sflow *sf;
	size_t ns;
	int *lk;		/* links of each subflow */
	int nlinks;
	uint32_t *loff, *lsf;	/* link -> subflows (CSR) */
	double *cap, *resid;
	int *cnt;		/* unfrozen active subflows per link */
	uint8_t *lmark;
	/* heap of (share, link) */
	struct hent {
		double share;
		int link;
	} *heap;
	size_t nheap, capheap;
	int *lq;		/* BFS queue of links */
	uint32_t *comp;		/* subflows of the part being recomputed */
	size_t ncomp;
	struct fin *fh;		/* finish times, a heap */
	size_t nfh, capfh;
};

static void fpush(struct simst *s, struct fin e)
{
	size_t i;

	FP_GROW_RAW(s->fh, s->capfh, s->nfh + 1);
	i = s->nfh++;
	while (i && s->fh[(i - 1) / 2].t > e.t) {
		s->fh[i] = s->fh[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->fh[i] = e;
}

static void fpop(struct simst *s)
{
	struct fin last = s->fh[--s->nfh];
	size_t i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= s->nfh)
			break;
		if (c + 1 < s->nfh && s->fh[c + 1].t < s->fh[c].t)
			c++;
		if (s->fh[c].t >= last.t)
			break;
		s->fh[i] = s->fh[c];
		i = c;
	}
	if (s->nfh)
		s->fh[i] = last;
}

static void hpush(struct simst *s, double share, int link)
{
	size_t i;

	FP_GROW_RAW(s->heap, s->capheap, s->nheap + 1);
	i = s->nheap++;
	while (i && s->heap[(i - 1) / 2].share > share) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = (struct hent){ share, link };
}

static struct hent hpop(struct simst *s)
{
	struct hent top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && s->heap[c + 1].share < s->heap[c].share)
			c++;
		if (s->heap[c].share >= last.share)
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

/*
 * The part of the network around links @seed: links reachable from them
 * through the active subflows crossing them. Marks it (lmark, sf.mark) and
 * lists its subflows in comp.
 */
static void component(struct simst *s, const int *seed, size_t nseed, double now)
{
	size_t qh = 0, qt = 0, i;
	uint32_t k;

	s->ncomp = 0;
	for (i = 0; i < nseed; i++)
		if (!s->lmark[seed[i]]) {
			s->lmark[seed[i]] = 1;
			s->lq[qt++] = seed[i];
		}
	while (qh < qt) {
		int l = s->lq[qh++];

		for (k = s->loff[l]; k < s->loff[l + 1]; k++) {
			struct sflow *f = &s->sf[s->lsf[k]];
			int h;

			if (!f->active || f->mark)
				continue;
			f->mark = 1;
			s->comp[s->ncomp++] = s->lsf[k];
			for (h = 0; h < f->n; h++) {
				int m = s->lk[f->off + h];

				if (!s->lmark[m]) {
					s->lmark[m] = 1;
					s->lq[qt++] = m;
				}
			}
		}
	}
	/* Unmark for the next time; the queue holds every marked link. */
	for (i = 0; i < qt; i++)
		s->lmark[s->lq[i]] = 0;
	for (i = 0; i < s->ncomp; i++)
		s->sf[s->comp[i]].mark = 0;
	s->lq[qt] = -1;
	s->nheap = 0;
	/* Progressive filling over the part: capacities, counts, the heap. */
	for (i = 0; i < qt; i++) {
		int l = s->lq[i];

		s->resid[l] = s->cap[l];
		s->cnt[l] = 0;
	}
	for (i = 0; i < s->ncomp; i++) {
		struct sflow *f = &s->sf[s->comp[i]];
		int h;

		/* Bring its bytes up to now before its rate changes. */
		f->left -= f->rate * (now - f->t0);
		f->left = f->left > 0 ? f->left : 0;
		f->t0 = now;
		f->frozen = 0;
		for (h = 0; h < f->n; h++)
			s->cnt[s->lk[f->off + h]]++;
	}
	for (i = 0; i < qt; i++) {
		int l = s->lq[i];

		if (s->cnt[l])
			hpush(s, s->resid[l] / s->cnt[l], l);
	}
	while (s->nheap) {
		struct hent e = hpop(s);
		int l = e.link;
		double x;

		if (!s->cnt[l])
			continue;
		x = s->resid[l] / s->cnt[l];
		if (e.share < x * (1 - 1e-12))
			continue;	/* stale: the link's share has grown since */
		if (x < 0)
			x = 0;
		for (k = s->loff[l]; k < s->loff[l + 1]; k++) {
			struct sflow *f = &s->sf[s->lsf[k]];
			int h;

			if (!f->active || f->frozen)
				continue;
			f->frozen = 1;
			f->rate = x;
			for (h = 0; h < f->n; h++) {
				int m = s->lk[f->off + h];

				s->resid[m] -= x;
				if (--s->cnt[m] && m != l)
					hpush(s, s->resid[m] / s->cnt[m], m);
			}
		}
	}
	for (i = 0; i < s->ncomp; i++) {
		struct sflow *f = &s->sf[s->comp[i]];

		f->version++;
		if (f->rate > 0)
			fpush(s, (struct fin){ now + f->left / f->rate, s->comp[i], f->version });
	}
}

static void sim_phase(const struct fp_plan *p, size_t pi, struct fp_sim_phase *out)
{
	struct fp_topo *t = p->topo;
	const struct fp_phase *ph = &p->sched->ph[pi];
	const struct fp_plan_phase *pp = &p->ph[pi];
	struct simst s = { .nlinks = t->nlinks };
	size_t i, j, active = 0, nlk = 0, nfin;
	uint32_t *fill;
	int l, h, *seed;
	double now = 0;

	out->fct = fp_xcalloc(ph->n ? ph->n : 1, sizeof(double));
	s.sf = fp_xcalloc(pp->nsubs ? pp->nsubs : 1, sizeof(*s.sf));
	s.lk = fp_xcalloc(pp->nsubs * (FP_PATH_MAX_LEN + 2) + 1, sizeof(int));
	for (i = 0; i < ph->n; i++) {
		const struct fp_flow *f = &ph->flows[i];
		struct fp_pathset ps;

		if (t->nodes[f->src].host == t->nodes[f->dst].host)
			continue;
		ps = fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
		for (j = 0; j < pp->flows[i].n; j++) {
			const struct fp_plan_subflow *sub = &pp->subs[pp->flows[i].first + j];
			struct sflow *sf = &s.sf[s.ns];

			if (sub->path == FP_PATH_NONE || !sub->bytes)
				continue;
			*sf = (struct sflow){ .left = (double)sub->bytes, .flow = (uint32_t)i,
					      .off = (uint32_t)nlk, .active = 1 };
			s.lk[nlk++] = t->nodes[f->src].up_link;
			for (h = 0; h < ps.p[sub->path].len; h++)
				s.lk[nlk++] = ps.p[sub->path].link[h];
			s.lk[nlk++] = t->nodes[f->dst].down_link;
			sf->n = (uint8_t)(nlk - sf->off);
			s.ns++;
		}
	}
	/* link -> subflows */
	s.loff = fp_xcalloc((size_t)t->nlinks + 1, sizeof(uint32_t));
	fill = fp_xcalloc((size_t)t->nlinks, sizeof(uint32_t));
	for (i = 0; i < nlk; i++)
		s.loff[s.lk[i] + 1]++;
	for (l = 0; l < t->nlinks; l++)
		s.loff[l + 1] += s.loff[l];
	s.lsf = fp_xcalloc(nlk + 1, sizeof(uint32_t));
	for (i = 0; i < s.ns; i++)
		for (h = 0; h < s.sf[i].n; h++) {
			l = s.lk[s.sf[i].off + h];
			s.lsf[s.loff[l] + fill[l]++] = (uint32_t)i;
		}
	free(fill);
	s.cap = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	s.resid = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	s.cnt = fp_xcalloc((size_t)t->nlinks, sizeof(int));
	s.lmark = fp_xcalloc((size_t)t->nlinks, 1);
	s.lq = fp_xcalloc((size_t)t->nlinks + 1, sizeof(int));
	s.comp = fp_xcalloc(s.ns + 1, sizeof(uint32_t));
	seed = fp_xcalloc((size_t)t->nlinks + 1, sizeof(int));
	for (l = 0; l < t->nlinks; l++)
		s.cap[l] = t->links[l].up ? t->links[l].gbps * 1e9 / 8 : 0;
	/* Every loaded link seeds the first filling. */
	for (l = 0, nfin = 0; l < t->nlinks; l++)
		if (s.loff[l + 1] > s.loff[l])
			seed[nfin++] = l;
	active = s.ns;
	if (active)
		component(&s, seed, nfin, 0);
	while (active && s.nfh) {
		double end;
		size_t nseed = 0;

		if (s.fh[0].version != s.sf[s.fh[0].sf].version) {
			fpop(&s);	/* stale: its rate changed since */
			continue;
		}
		now = s.fh[0].t;
		end = now * (1 + 1e-9);
		out->events++;
		/* Everything finishing within a hair of now finishes now. */
		while (s.nfh && s.fh[0].t <= end) {
			struct fin e = s.fh[0];
			struct sflow *f = &s.sf[e.sf];

			fpop(&s);
			if (e.version != f->version || !f->active)
				continue;
			f->active = 0;
			f->left = 0;
			active--;
			if (now > out->fct[f->flow])
				out->fct[f->flow] = now;
			for (h = 0; h < f->n; h++) {
				l = s.lk[f->off + h];
				if (!s.lmark[l]) {
					s.lmark[l] = 1;
					seed[nseed++] = l;
				}
			}
		}
		for (i = 0; i < nseed; i++)
			s.lmark[seed[i]] = 0;
		if (active)
			component(&s, seed, nseed, now);
	}
	if (active)
		out->cct = INFINITY;	/* a subflow on a link of no capacity */
	for (i = 0; i < ph->n; i++)
		if (out->fct[i] > out->cct)
			out->cct = out->fct[i];
	if (active)
		out->cct = INFINITY;
	free(s.sf);
	free(s.lk);
	free(s.loff);
	free(s.lsf);
	free(s.cap);
	free(s.resid);
	free(s.cnt);
	free(s.lmark);
	free(s.lq);
	free(s.comp);
	free(s.heap);
	free(s.fh);
	free(seed);
}

int fp_simulate(const struct fp_plan *p, struct fp_sim **out, struct fp_err *err)
{
	struct fp_sim *s = fp_xcalloc(1, sizeof(*s));
	size_t i;

	s->nph = p->nph;
	s->ph = fp_xcalloc(p->nph ? p->nph : 1, sizeof(*s->ph));
	for (i = 0; i < p->nph; i++) {
		sim_phase(p, i, &s->ph[i]);
		if (!isfinite(s->ph[i].cct)) {
			fp_sim_free(s);
			return fp_fail(err, EDOM, "phase %s: subflows on links without capacity never end",
				       p->sched->ph[i].name);
		}
		s->total += s->ph[i].cct;
	}
	*out = s;
	return 0;
}
