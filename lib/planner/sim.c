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
 * Incremental (FP_SIM_LEVEL, the default): progressive filling freezes
 * subflows in the order of their rates, and a subflow finishing at rate x
 * only crosses links that saturate at x or above. So every subflow whose
 * rate is below the least rate x of those finishing froze on a link the
 * finished ones never touched, before level x, and keeps its rate exactly;
 * only the subflows at x or above (a relative 1e-9 below, so that rounding
 * cannot leave one out) are filled again, over what the others leave of
 * each link. Active subflows are kept sorted by rate, so that set is a
 * suffix found by a binary search, and the links' used capacity is kept
 * per link. With equal flows the fast ones finish first and an event
 * costs the few subflows at the top; finish times wait in a heap.
 *
 * FP_SIM_PART, the method before it (kept for comparison in the bench and
 * the tests): the whole connected part of the network the finished
 * subflows were in (links and subflows reachable through shared links) is
 * filled again; cheap for disjoint jobs, the whole phase for one
 * all-to-all.
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
	uint32_t *lend;		/* ... active ones in [loff[l], lend[l]) */
	double *cap, *resid;
	int *cnt;		/* unfrozen active subflows per link */
	uint8_t *lmark;
	/* heap of (share, link) */
	struct hent {
		double share;
		int link;
	} *heap;
	size_t nheap;
	int *hpos;		/* per link: its place in the heap, -1: not in it */
	int *lq;		/* BFS queue of links */
	uint32_t *comp;		/* subflows of the part being recomputed */
	size_t ncomp;
	struct fin *fh;		/* finish times, a heap */
	size_t nfh, capfh;
	/* FP_SIM_LEVEL */
	double *used;		/* per link: sum of its active subflows' rates */
	uint32_t *rstart, *rfill, *rl;	/* link -> subflows being filled (CSR) */
	int *tl;		/* links being filled */
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

/*
 * The links of the part being filled, in an indexed heap by fair share:
 * one entry per link, whose share only grows as subflows freeze elsewhere
 * (a subflow frozen at x <= share leaves (R - x) / (n - 1) >= R / n), so
 * an update sifts down.
 */
static void hsift_down(struct simst *s, size_t i)
{
	struct hent e = s->heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && s->heap[c + 1].share < s->heap[c].share)
			c++;
		if (s->heap[c].share >= e.share)
			break;
		s->heap[i] = s->heap[c];
		s->hpos[s->heap[i].link] = (int)i;
		i = c;
	}
	s->heap[i] = e;
	s->hpos[e.link] = (int)i;
}

static void hbuild(struct simst *s)
{
	size_t i;

	for (i = 0; i < s->nheap; i++)
		s->hpos[s->heap[i].link] = (int)i;
	for (i = s->nheap / 2; i-- > 0;)
		hsift_down(s, i);
}

static struct hent hpop(struct simst *s)
{
	struct hent top = s->heap[0];

	s->hpos[top.link] = -1;
	if (--s->nheap) {
		s->heap[0] = s->heap[s->nheap];
		hsift_down(s, 0);
	}
	return top;
}

/* Link @l's share grew to @share (it is in the heap). */
static void hraise(struct simst *s, int l, double share)
{
	size_t i = (size_t)s->hpos[l];

	s->heap[i].share = share;
	hsift_down(s, i);
}

/* Link @l's last subflow froze: out of the heap. */
static void hremove(struct simst *s, int l)
{
	size_t i = (size_t)s->hpos[l];
	struct hent last;

	s->hpos[l] = -1;
	if (i == --s->nheap)
		return;
	last = s->heap[s->nheap];
	/* The last entry fills the hole: up or down, whichever it needs. */
	while (i && s->heap[(i - 1) / 2].share > last.share) {
		s->heap[i] = s->heap[(i - 1) / 2];
		s->hpos[s->heap[i].link] = (int)i;
		i = (i - 1) / 2;
	}
	s->heap[i] = last;
	s->hpos[last.link] = (int)i;
	hsift_down(s, i);
}

static void new_finishes(struct simst *s, const uint32_t *sf, size_t n, double now);

/*
 * Progressive filling from the heap of link shares: the link of least
 * share freezes its unfrozen subflows at that share, which leaves the
 * links they cross less to share. @level (FP_SIM_LEVEL): the subflows of a
 * link are its rl list, the rates go into used and the subflows into comp
 * in the order they froze; else (a whole part) its active lsf list.
 * Inlined into both, so that each loop is compiled for its own @level
 * (as a call, the tests of @level cost the simulator 2-7 % more
 * instructions).
 */
static inline __attribute__((always_inline)) void freeze(struct simst *s, bool level)
{
	while (s->nheap) {
		struct hent e = hpop(s);
		int l = e.link;
		const uint32_t *sf = level ? s->rl : s->lsf;
		uint32_t k, end = level ? s->rfill[l] : s->lend[l];
		double x;

		if (!s->cnt[l])
			continue;
		x = s->resid[l] / s->cnt[l];
		if (x < 0)
			x = 0;
		for (k = level ? s->rstart[l] : s->loff[l]; k < end; k++) {
			struct sflow *f = &s->sf[sf[k]];
			int h;

			if (!f->active || f->frozen)
				continue;
			f->frozen = 1;
			f->rate = x;
			if (level)
				s->comp[s->ncomp++] = sf[k];
			for (h = 0; h < f->n; h++) {
				int m = s->lk[f->off + h];

				s->resid[m] -= x;
				if (level)
					s->used[m] += x;
				--s->cnt[m];
				if (m == l || s->hpos[m] < 0)
					continue;
				if (s->cnt[m])
					hraise(s, m, s->resid[m] / s->cnt[m]);
				else
					hremove(s, m);
			}
		}
	}
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

		for (k = s->loff[l]; k < s->lend[l]; k++) {
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
			s->heap[s->nheap++] = (struct hent){ s->resid[l] / s->cnt[l], l };
	}
	hbuild(s);
	freeze(s, false);
	new_finishes(s, s->comp, s->ncomp, now);
}

/* Subflows @sf[0..n) have new rates since @now: their finish times. */
static void new_finishes(struct simst *s, const uint32_t *sf, size_t n, double now)
{
	size_t i;

	for (i = 0; i < n; i++)
		s->sf[sf[i]].version++;
	if (n * 2 < s->nfh) {
		for (i = 0; i < n; i++) {
			struct sflow *f = &s->sf[sf[i]];

			if (f->rate > 0)
				fpush(s, (struct fin){ now + f->left / f->rate, sf[i], f->version });
		}
		return;
	}
	/*
	 * Most of the heap would go stale: build it again from every active
	 * subflow (Floyd's heapify), so it never holds more than one entry each.
	 */
	s->nfh = 0;
	for (i = 0; i < s->ns; i++) {
		struct sflow *f = &s->sf[i];

		if (!f->active || f->rate <= 0)
			continue;
		FP_GROW_RAW(s->fh, s->capfh, s->nfh + 1);
		s->fh[s->nfh++] = (struct fin){ f->t0 + f->left / f->rate, (uint32_t)i, f->version };
	}
	for (i = s->nfh / 2; i-- > 0;) {
		size_t j = i, c;
		struct fin e = s->fh[i];

		for (;;) {
			c = 2 * j + 1;
			if (c >= s->nfh)
				break;
			if (c + 1 < s->nfh && s->fh[c + 1].t < s->fh[c].t)
				c++;
			if (s->fh[c].t >= e.t)
				break;
			s->fh[j] = s->fh[c];
			j = c;
		}
		s->fh[j] = e;
	}
}

/*
 * FP_SIM_LEVEL: progressive filling of subflows @r[0..nr) (active, their
 * bytes brought up to now, their rates taken out of s->used) over what the
 * other active subflows leave of each link; their rates back into used.
 * s->comp lists them in the order they froze: by rate, but for rounding.
 */
static void level_fill(struct simst *s, const uint32_t *r, size_t nr)
{
	size_t i, ntl = 0, pos = 0;

	s->ncomp = 0;
	for (i = 0; i < nr; i++) {
		struct sflow *f = &s->sf[r[i]];
		int h;

		f->frozen = 0;
		for (h = 0; h < f->n; h++) {
			int l = s->lk[f->off + h];

			if (!s->lmark[l]) {
				s->lmark[l] = 1;
				s->tl[ntl++] = l;
				s->cnt[l] = 0;
			}
			s->cnt[l]++;
		}
	}
	s->nheap = 0;
	for (i = 0; i < ntl; i++) {
		int l = s->tl[i];

		s->lmark[l] = 0;
		s->rstart[l] = s->rfill[l] = (uint32_t)pos;
		pos += (size_t)s->cnt[l];
		s->resid[l] = s->cap[l] - s->used[l];
		s->heap[s->nheap++] = (struct hent){ s->resid[l] / s->cnt[l], l };
	}
	for (i = 0; i < nr; i++) {
		const struct sflow *f = &s->sf[r[i]];
		int h;

		for (h = 0; h < f->n; h++) {
			int l = s->lk[f->off + h];

			s->rl[s->rfill[l]++] = r[i];
		}
	}
	hbuild(s);
	freeze(s, true);
}

struct rk {
	double rate;
	uint32_t sf;
};

static int rk_cmp(const void *a, const void *b)
{
	const struct rk *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? -1 : 1;
	return x->sf < y->sf ? -1 : x->sf > y->sf;
}

/*
 * FP_SIM_LEVEL's events. @ord: the active subflows by rate (ascending),
 * @nord of them; @r and @rk: room for every subflow.
 */
static size_t level_run(struct simst *s, struct fp_sim_phase *out, size_t active)
{
	struct rk *rk = fp_xcalloc(s->ns + 1, sizeof(*rk));
	uint32_t *ord = fp_xcalloc(s->ns + 1, sizeof(uint32_t));
	uint32_t *r = fp_xcalloc(s->ns + 1, sizeof(uint32_t));
	size_t nord = 0, nr, i, lo, hi;
	double now = 0;
	int h;

	/* Everything at first. */
	for (i = 0; i < s->ns; i++)
		r[i] = (uint32_t)i;
	nr = s->ns;
	lo = 0;
	for (;;) {
		bool sorted = true;

		level_fill(s, r, nr);
		/*
		 * The filled ones, by their new rates, after the ones that kept
		 * theirs: in the order they froze, which is by rate unless
		 * rounding made a later level a hair lower.
		 */
		for (i = 0; i < nr; i++) {
			ord[lo + i] = r[i] = s->comp[i];
			if ((lo + i) && s->sf[ord[lo + i - 1]].rate > s->sf[ord[lo + i]].rate)
				sorted = false;
		}
		nord = lo + nr;
		if (!sorted) {
			/* Sort them all. */
			for (i = 0; i < nord; i++)
				rk[i] = (struct rk){ s->sf[ord[i]].rate, ord[i] };
			qsort(rk, nord, sizeof(*rk), rk_cmp);
			for (i = 0; i < nord; i++)
				ord[i] = rk[i].sf;
		}
		new_finishes(s, r, nr, now);
		/* The next event. */
		for (;;) {
			double end, xmin = INFINITY, y;

			if (!active || !s->nfh)
				goto done;
			if (s->fh[0].version != s->sf[s->fh[0].sf].version) {
				fpop(s);	/* stale: its rate changed since */
				continue;
			}
			now = s->fh[0].t;
			end = now * (1 + 1e-9);
			out->events++;
			/* Everything finishing within a hair of now finishes now. */
			while (s->nfh && s->fh[0].t <= end) {
				struct fin e = s->fh[0];
				struct sflow *f = &s->sf[e.sf];

				fpop(s);
				if (e.version != f->version || !f->active)
					continue;
				f->active = 0;
				f->left = 0;
				active--;
				if (now > out->fct[f->flow])
					out->fct[f->flow] = now;
				if (f->rate < xmin)
					xmin = f->rate;
				for (h = 0; h < f->n; h++)
					s->used[s->lk[f->off + h]] -= f->rate;
			}
			if (!active)
				goto done;
			/* The subflows at the finished ones' level or above fill again. */
			y = xmin * (1 - 1e-9);
			lo = 0;
			hi = nord;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;

				if (s->sf[ord[mid]].rate < y)
					lo = mid + 1;
				else
					hi = mid;
			}
			nr = 0;
			for (i = lo; i < nord; i++) {
				struct sflow *f = &s->sf[ord[i]];

				if (!f->active)
					continue;
				f->left -= f->rate * (now - f->t0);
				f->left = f->left > 0 ? f->left : 0;
				f->t0 = now;
				for (h = 0; h < f->n; h++)
					s->used[s->lk[f->off + h]] -= f->rate;
				r[nr++] = ord[i];
			}
			if (!lo) {
				/* All of them: no rounding carried over in used. */
				for (h = 0; h < s->nlinks; h++)
					s->used[h] = 0;
			}
			break;
		}
	}
done:
	free(rk);
	free(ord);
	free(r);
	return active;
}

static void sim_phase(const struct fp_plan *p, size_t pi, enum fp_sim_method method,
		      struct fp_sim_phase *out)
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
	s.lend = fp_xcalloc((size_t)t->nlinks + 1, sizeof(uint32_t));
	for (l = 0; l < t->nlinks; l++)
		s.lend[l] = s.loff[l + 1];
	s.cap = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	s.resid = fp_xcalloc((size_t)t->nlinks, sizeof(double));
	s.cnt = fp_xcalloc((size_t)t->nlinks, sizeof(int));
	s.lmark = fp_xcalloc((size_t)t->nlinks, 1);
	s.lq = fp_xcalloc((size_t)t->nlinks + 1, sizeof(int));
	s.heap = fp_xcalloc((size_t)t->nlinks + 1, sizeof(*s.heap));
	s.hpos = fp_xcalloc((size_t)t->nlinks + 1, sizeof(int));
	for (l = 0; l < t->nlinks; l++)
		s.hpos[l] = -1;
	s.comp = fp_xcalloc(s.ns + 1, sizeof(uint32_t));
	seed = fp_xcalloc((size_t)t->nlinks + 1, sizeof(int));
	for (l = 0; l < t->nlinks; l++)
		s.cap[l] = t->links[l].up ? t->links[l].gbps * 1e9 / 8 : 0;
	/* Every loaded link seeds the first filling. */
	for (l = 0, nfin = 0; l < t->nlinks; l++)
		if (s.loff[l + 1] > s.loff[l])
			seed[nfin++] = l;
	active = s.ns;
	if (method == FP_SIM_LEVEL) {
		s.used = fp_xcalloc((size_t)t->nlinks, sizeof(double));
		s.rstart = fp_xcalloc((size_t)t->nlinks, sizeof(uint32_t));
		s.rfill = fp_xcalloc((size_t)t->nlinks, sizeof(uint32_t));
		s.rl = fp_xcalloc(nlk + 1, sizeof(uint32_t));
		s.tl = fp_xcalloc((size_t)t->nlinks + 1, sizeof(int));
		if (active)
			active = level_run(&s, out, active);
	} else if (active) {
		component(&s, seed, nfin, 0);
	}
	while (method == FP_SIM_PART && active && s.nfh) {
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
		/* Finished subflows leave the lists of their links (the seeds). */
		for (i = 0; i < nseed; i++) {
			uint32_t w = s.loff[seed[i]], r;

			s.lmark[seed[i]] = 0;
			for (r = w; r < s.lend[seed[i]]; r++)
				if (s.sf[s.lsf[r]].active)
					s.lsf[w++] = s.lsf[r];
			s.lend[seed[i]] = w;
		}
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
	free(s.lend);
	free(s.lsf);
	free(s.cap);
	free(s.resid);
	free(s.cnt);
	free(s.lmark);
	free(s.lq);
	free(s.comp);
	free(s.heap);
	free(s.hpos);
	free(s.fh);
	free(s.used);
	free(s.rstart);
	free(s.rfill);
	free(s.rl);
	free(s.tl);
	free(seed);
}

int fp_simulate(const struct fp_plan *p, struct fp_sim **out, struct fp_err *err)
{
	return fp_simulate_method(p, FP_SIM_LEVEL, out, err);
}

int fp_simulate_method(const struct fp_plan *p, enum fp_sim_method method, struct fp_sim **out,
		       struct fp_err *err)
{
	struct fp_sim *s;
	size_t i;

	if (method != FP_SIM_LEVEL && method != FP_SIM_PART)
		return fp_fail(err, EINVAL, "simulate: no method %d", (int)method);
	s = fp_xcalloc(1, sizeof(*s));

	s->nph = p->nph;
	s->ph = fp_xcalloc(p->nph ? p->nph : 1, sizeof(*s->ph));
	for (i = 0; i < p->nph; i++) {
		sim_phase(p, i, method, &s->ph[i]);
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
