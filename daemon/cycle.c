// SPDX-License-Identifier: MIT
/*
 * cycle.c - find each job's repeating cycle in its stream of messages.
 *
 * Per job, a history of phases ordered by start. A message joins the phase
 * of its marked collective, or the unmarked phase whose first message
 * started at most window_ns before it; otherwise it opens a phase. On each
 * advance the settled phases are examined afresh (so late records and
 * records of other rings can still join a phase): noise (phases like no
 * other in the history) is left out, and the shortest period whose phases
 * match those one period earlier wins, a match being similar flows after a
 * similar gap. The cycle is then rotated so that it starts after its
 * longest gap (the iteration boundary), each position takes the flows most
 * repetitions agree on, and equal neighbours merge into one phase with a
 * step count.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cycle.h"

struct phase {
	uint64_t first_ns;
	uint32_t coll;
	bool twin;		/* resembles another phase: not noise */
	size_t n, cap;
	struct fpd_flow *f;
	uint64_t bytes;
};

struct job {
	uint32_t id;
	struct phase *h;
	size_t nh, caph;
	uint64_t last_ns;	/* latest message start */
	uint64_t cut_ns;	/* phases before it belong to an older cycle */
	bool locked, lost;
	struct fpd_cycle cyc;
};

struct fpd_cyc {
	struct fpd_cycle_opts o;
	struct job *jobs;
	size_t njobs, capjobs;
	const struct fpd_cycle **locked;	/* index of locked cycles */
	size_t nlocked;
	uint64_t msgs, small, noise;
};

void fpd_cycle_opts_default(struct fpd_cycle_opts *o)
{
	*o = (struct fpd_cycle_opts){
		.window_ns = 1000000,
		.settle_ns = 1000000000,
		.confirm_ns = 1000000000,
		.idle_ns = 0,
		.min_bytes = 0,
		.min_reps = 3,
		.max_period = 64,
		.match = 0.9,
		.gap_tol = 0.3,
		.score = 0.75,
	};
}

const char *fpd_cyc_ev_name(enum fpd_cyc_ev_kind k)
{
	switch (k) {
	case FPD_CYC_LOCKED: return "cycle-found";
	case FPD_CYC_CHANGED: return "cycle-changed";
	case FPD_CYC_LOST: return "cycle-lost";
	case FPD_CYC_GONE: return "job-gone";
	}
	return "unknown";
}

struct fpd_cyc *fpd_cyc_new(const struct fpd_cycle_opts *o)
{
	struct fpd_cyc *c;

	if (!o->min_reps || o->min_reps < 2 || !o->max_period ||
	    o->max_period > 4096 || o->match <= 0 || o->match > 1 ||
	    o->score <= 0 || o->score > 1 || o->gap_tol < 0) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->o = *o;
	return c;
}

static void cycle_clear(struct fpd_cycle *cy)
{
	size_t i;

	for (i = 0; i < cy->nph; i++)
		free(cy->ph[i].f);
	free(cy->ph);
	memset(cy, 0, sizeof(*cy));
}

static void job_free(struct job *j)
{
	size_t i;

	for (i = 0; i < j->nh; i++)
		free(j->h[i].f);
	free(j->h);
	cycle_clear(&j->cyc);
}

void fpd_cyc_free(struct fpd_cyc *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->njobs; i++)
		job_free(&c->jobs[i]);
	free(c->jobs);
	free(c->locked);
	free(c);
}

/* Phases a job keeps: enough for min_reps + 1 repetitions of the longest cycle. */
static size_t hist_max(const struct fpd_cyc *c)
{
	return (size_t)(c->o.min_reps + 1) * c->o.max_period + 16;
}

static struct job *job_get(struct fpd_cyc *c, uint32_t id)
{
	size_t lo = 0, hi = c->njobs;
	struct job *j;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->jobs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->njobs && c->jobs[lo].id == id)
		return &c->jobs[lo];
	if (c->njobs == c->capjobs) {
		size_t cap = c->capjobs ? 2 * c->capjobs : 8;
		struct job *nj = realloc(c->jobs, cap * sizeof(*nj));

		if (!nj)
			return NULL;
		c->jobs = nj;
		c->capjobs = cap;
	}
	memmove(&c->jobs[lo + 1], &c->jobs[lo], (c->njobs - lo) * sizeof(*j));
	c->njobs++;
	j = &c->jobs[lo];
	memset(j, 0, sizeof(*j));
	j->id = id;
	return j;
}

static int flow_cmp(const struct fp_addr *s1, const struct fp_addr *d1,
		    const struct fp_addr *s2, const struct fp_addr *d2)
{
	int d = fp_addr_order(s1, s2);

	return d ? d : fp_addr_order(d1, d2);
}

/* Add @bytes to the flow of (src, dst) in @p, keeping flows sorted. */
static int phase_add(struct phase *p, const struct fp_addr *src,
		     const struct fp_addr *dst, uint64_t bytes)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (flow_cmp(&p->f[mid].src, &p->f[mid].dst, src, dst) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	p->bytes += bytes;
	if (lo < p->n && !flow_cmp(&p->f[lo].src, &p->f[lo].dst, src, dst)) {
		p->f[lo].bytes += bytes;
		return 0;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 4;
		struct fpd_flow *nf = realloc(p->f, cap * sizeof(*nf));

		if (!nf)
			return ENOMEM;
		p->f = nf;
		p->cap = cap;
	}
	memmove(&p->f[lo + 1], &p->f[lo], (p->n - lo) * sizeof(*p->f));
	p->f[lo] = (struct fpd_flow){ .src = *src, .dst = *dst, .bytes = bytes };
	p->n++;
	return 0;
}

/* A new empty phase at index @at of the job's history. */
static struct phase *phase_insert(struct job *j, size_t at)
{
	if (j->nh == j->caph) {
		size_t cap = j->caph ? 2 * j->caph : 16;
		struct phase *nh = realloc(j->h, cap * sizeof(*nh));

		if (!nh)
			return NULL;
		j->h = nh;
		j->caph = cap;
	}
	memmove(&j->h[at + 1], &j->h[at], (j->nh - at) * sizeof(*j->h));
	j->nh++;
	memset(&j->h[at], 0, sizeof(j->h[at]));
	return &j->h[at];
}

/*
 * Drop the oldest phases: keep every phase still settling and twice what
 * detection looks at of the settled ones; a hard cap bounds a job whose
 * phases come faster than they settle.
 */
#define HIST_CAP 65536
#define HIST_WINDOW 8192

static void drop_first(struct job *j, size_t drop)
{
	size_t i;

	for (i = 0; i < drop; i++)
		free(j->h[i].f);
	memmove(j->h, &j->h[drop], (j->nh - drop) * sizeof(*j->h));
	j->nh -= drop;
}

/*
 * The first of the @settled phases detection looks at: the last hist_max()
 * phases, or more when they span less than the confirm time and a half (a
 * job with fast steps), up to HIST_WINDOW phases.
 */
static size_t window_start(const struct fpd_cyc *c, const struct job *j, size_t settled)
{
	size_t w = hist_max(c), first = settled > w ? settled - w : 0;
	uint64_t span = c->o.confirm_ns + c->o.confirm_ns / 2;

	if (!settled)
		return 0;
	while (first > 0 && settled - first < HIST_WINDOW &&
	       j->h[first].first_ns + span > j->h[settled - 1].first_ns)
		first--;
	return first;
}

static void hist_trim(const struct fpd_cyc *c, struct job *j, uint64_t now)
{
	size_t settled = 0, first;

	if (now) {
		while (settled < j->nh && j->h[settled].first_ns + c->o.settle_ns <= now)
			settled++;
		first = window_start(c, j, settled);
		if (first > hist_max(c))
			drop_first(j, first - hist_max(c) / 2);
	}
	if (j->nh > HIST_CAP)
		drop_first(j, j->nh - HIST_CAP / 2);
}

static int add_one(struct fpd_cyc *c, const struct fpd_msg *m)
{
	struct job *j = job_get(c, m->job);
	struct phase *p = NULL;
	size_t lo, hi, at;

	if (!j)
		return ENOMEM;
	if (m->start_ns > j->last_ns)
		j->last_ns = m->start_ns;
	if (j->nh && m->start_ns + c->o.window_ns < j->h[0].first_ns)
		return 0;	/* older than anything kept */

	if (m->coll) {
		/* The phase of its collective, among the recent ones. */
		size_t k, stop = j->nh > 64 ? j->nh - 64 : 0;

		for (k = j->nh; k-- > stop;) {
			if (j->h[k].coll == m->coll) {
				p = &j->h[k];
				break;
			}
		}
		if (p && m->start_ns < p->first_ns) {
			p->first_ns = m->start_ns;
			/* keep the history ordered by first_ns */
			for (; k > 0 && j->h[k - 1].first_ns > j->h[k].first_ns; k--) {
				struct phase t = j->h[k];

				j->h[k] = j->h[k - 1];
				j->h[k - 1] = t;
			}
			p = &j->h[k];
		}
		if (p)
			return phase_add(p, &m->src, &m->dst, m->bytes);
	}

	/* at: first phase starting after the message */
	lo = 0;
	hi = j->nh;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (j->h[mid].first_ns <= m->start_ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	at = lo;
	if (!m->coll) {
		if (at > 0 && !j->h[at - 1].coll &&
		    m->start_ns - j->h[at - 1].first_ns <= c->o.window_ns)
			return phase_add(&j->h[at - 1], &m->src, &m->dst, m->bytes);
		if (at < j->nh && !j->h[at].coll &&
		    j->h[at].first_ns - m->start_ns <= c->o.window_ns) {
			j->h[at].first_ns = m->start_ns;
			return phase_add(&j->h[at], &m->src, &m->dst, m->bytes);
		}
	}
	p = phase_insert(j, at);
	if (!p)
		return ENOMEM;
	p->first_ns = m->start_ns;
	p->coll = m->coll;
	return phase_add(p, &m->src, &m->dst, m->bytes);
}

int fpd_cyc_add(struct fpd_cyc *c, const struct fpd_msg *m, size_t n)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		c->msgs++;
		if (m[i].bytes < c->o.min_bytes || !m[i].bytes) {
			c->small++;
			continue;
		}
		ret = add_one(c, &m[i]);
		if (ret)
			return ret;
	}
	for (i = 0; i < c->njobs; i++)
		hist_trim(c, &c->jobs[i], 0);
	return 0;
}

/* ----------------------------------------------------------- matching */

/* Bytes two flow lists share (min per common pair) over the larger total. */
static double flows_sim(const struct fpd_flow *a, size_t na, uint64_t ta,
			const struct fpd_flow *b, size_t nb, uint64_t tb)
{
	uint64_t common = 0, big = ta > tb ? ta : tb;
	size_t i = 0, k = 0;

	if (!big)
		return 1.0;
	while (i < na && k < nb) {
		int d = flow_cmp(&a[i].src, &a[i].dst, &b[k].src, &b[k].dst);

		if (d < 0) {
			i++;
		} else if (d > 0) {
			k++;
		} else {
			common += a[i].bytes < b[k].bytes ? a[i].bytes : b[k].bytes;
			i++;
			k++;
		}
	}
	return (double)common / (double)big;
}

static bool phase_like(const struct fpd_cyc *c, const struct phase *a,
		       const struct phase *b)
{
	uint64_t lo = a->bytes < b->bytes ? a->bytes : b->bytes;
	uint64_t hi = a->bytes < b->bytes ? b->bytes : a->bytes;

	if ((double)lo < c->o.match * (double)hi)
		return false;
	return flows_sim(a->f, a->n, a->bytes, b->f, b->n, b->bytes) >= c->o.match;
}

static bool gap_like(const struct fpd_cyc *c, uint64_t a, uint64_t b)
{
	uint64_t d = a > b ? a - b : b - a, hi = a > b ? a : b;

	return d <= c->o.window_ns || (double)d <= c->o.gap_tol * (double)hi;
}

static uint64_t phase_total(const struct fpd_flow *f, size_t n)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < n; i++)
		t += f[i].bytes;
	return t;
}

/* ---------------------------------------------------------- detection */

struct seq {
	size_t n;
	const struct phase **p;
	uint64_t *gap;		/* gap[0] unknown (0) */
};

/* The settled, non-noise phases of the window a detection looks at. */
static int seq_build(struct fpd_cyc *c, struct job *j, uint64_t now, struct seq *s)
{
	size_t settled = 0, first, i, k;

	while (settled < j->nh && j->h[settled].first_ns + c->o.settle_ns <= now)
		settled++;
	first = window_start(c, j, settled);
	while (first < settled && j->h[first].first_ns < j->cut_ns)
		first++;

	for (i = first; i < settled; i++) {
		struct phase *p = &j->h[i];

		if (p->twin)
			continue;
		for (k = first; k < settled && !p->twin; k++) {
			if (k != i && phase_like(c, p, &j->h[k])) {
				p->twin = true;
				j->h[k].twin = true;
			}
		}
	}
	s->p = malloc((settled - first + 1) * sizeof(*s->p));
	s->gap = malloc((settled - first + 1) * sizeof(*s->gap));
	if (!s->p || !s->gap) {
		free(s->p);
		free(s->gap);
		return ENOMEM;
	}
	s->n = 0;
	for (i = first; i < settled; i++) {
		if (!j->h[i].twin)
			continue;
		s->gap[s->n] = s->n ? j->h[i].first_ns - s->p[s->n - 1]->first_ns : 0;
		s->p[s->n++] = &j->h[i];
	}
	return 0;
}

/*
 * Scores of every candidate period over the tail of @s: the fraction of
 * phases like the one p places before them. The tail is the last confirm_ns
 * of phases, longer when a period needs it for min_reps repetitions.
 * Returns the smallest period within 0.05 of the best score (multiples of
 * the period score as well as it), 0 when none reaches o.score or the
 * history is too short to tell.
 */
static unsigned int detect_period(const struct fpd_cyc *c, const struct seq *s,
				  double *score, unsigned int *maxp_out)
{
	unsigned int p, maxp = c->o.max_period, pick = 0;
	size_t win = 0;
	double best = 0;

	*maxp_out = 0;
	if (s->n < c->o.min_reps ||
	    s->p[s->n - 1]->first_ns - s->p[0]->first_ns < c->o.confirm_ns)
		return 0;
	while (win < s->n && s->p[s->n - 1]->first_ns - s->p[s->n - 1 - win]->first_ns <=
				   c->o.confirm_ns)
		win++;
	if (maxp > s->n / c->o.min_reps)
		maxp = (unsigned int)(s->n / c->o.min_reps);
	*maxp_out = maxp;
	for (p = 1; p <= maxp; p++) {
		size_t tail = (size_t)(c->o.min_reps - 1) * p, t, ok = 0;

		if (tail < win)
			tail = win;
		if (tail > s->n - p)
			tail = s->n - p;
		for (t = s->n - tail; t < s->n; t++) {
			bool gap = t - p == 0 || gap_like(c, s->gap[t], s->gap[t - p]);

			if (gap && phase_like(c, s->p[t], s->p[t - p]))
				ok++;
		}
		score[p] = (double)ok / (double)tail;
		if (score[p] > best)
			best = score[p];
	}
	if (best < c->o.score)
		return 0;
	for (p = 1; p <= maxp; p++) {
		if (score[p] >= best - 0.05 && score[p] >= c->o.score) {
			pick = p;
			break;
		}
	}
	return pick;
}

/*
 * Where the locked period @per stopped explaining the stream: the start of
 * the phases after the last full period of matches, or of the tail.
 */
static uint64_t change_point(const struct fpd_cyc *c, const struct seq *s,
			     unsigned int per)
{
	size_t t, run = 0, end = 0;

	for (t = per; t < s->n; t++) {
		bool gap = t - per == 0 || gap_like(c, s->gap[t], s->gap[t - per]);

		if (gap && phase_like(c, s->p[t], s->p[t - per])) {
			if (++run >= per)
				end = t + 1;
		} else {
			run = 0;
		}
	}
	if (!end)
		end = s->n > per ? s->n - per : 0;
	return end < s->n ? s->p[end]->first_ns : s->p[s->n - 1]->first_ns + 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cphase_cmp(const struct fpd_cphase *a, const struct fpd_cphase *b)
{
	size_t i;

	for (i = 0; i < a->n && i < b->n; i++) {
		int d = flow_cmp(&a->f[i].src, &a->f[i].dst, &b->f[i].src, &b->f[i].dst);

		if (d)
			return d;
		if (a->f[i].bytes != b->f[i].bytes)
			return a->f[i].bytes < b->f[i].bytes ? -1 : 1;
	}
	return a->n < b->n ? -1 : a->n > b->n;
}

/*
 * Position @pos of the cycle (phases s->p[t] for t = base + pos + r * per):
 * the pairs more than half the repetitions carry, each with its median bytes.
 */
static int vote(const struct seq *s, size_t base, unsigned int per,
		unsigned int reps, unsigned int pos, struct fpd_cphase *out)
{
	struct phase acc = { 0 };
	uint64_t *vals = malloc(reps * sizeof(*vals));
	unsigned int r;
	size_t i;
	int ret = 0;

	if (!vals)
		return ENOMEM;
	memset(out, 0, sizeof(*out));
	for (r = 0; r < reps; r++) {
		const struct phase *p = s->p[base + pos + (size_t)r * per];

		for (i = 0; i < p->n && !ret; i++)
			ret = phase_add(&acc, &p->f[i].src, &p->f[i].dst, 0);
	}
	for (i = 0; i < acc.n && !ret; i++) {
		unsigned int nv = 0;

		for (r = 0; r < reps; r++) {
			const struct phase *p = s->p[base + pos + (size_t)r * per];
			size_t lo = 0, hi = p->n;

			while (lo < hi) {
				size_t mid = (lo + hi) / 2;

				if (flow_cmp(&p->f[mid].src, &p->f[mid].dst,
					     &acc.f[i].src, &acc.f[i].dst) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < p->n && !flow_cmp(&p->f[lo].src, &p->f[lo].dst,
						   &acc.f[i].src, &acc.f[i].dst))
				vals[nv++] = p->f[lo].bytes;
		}
		if (2 * nv <= reps)
			continue;
		qsort(vals, nv, sizeof(*vals), cmp_u64);
		acc.f[i].bytes = vals[nv / 2];
		acc.f[out->n++] = acc.f[i];
	}
	free(vals);
	if (ret) {
		free(acc.f);
		return ret;
	}
	out->f = acc.f;
	out->steps = 1;
	if (!out->n) {
		free(acc.f);
		out->f = NULL;
	}
	return 0;
}

static bool cphase_like(const struct fpd_cyc *c, const struct fpd_cphase *a,
			const struct fpd_cphase *b)
{
	uint64_t ta = phase_total(a->f, a->n), tb = phase_total(b->f, b->n);

	return a->steps == b->steps &&
	       flows_sim(a->f, a->n, ta, b->f, b->n, tb) >= c->o.match;
}

/* The cycle of period @per found at the tail of @s. */
static int build_cycle(const struct fpd_cyc *c, const struct seq *s,
		       unsigned int per, uint32_t job, struct fpd_cycle *out)
{
	unsigned int reps = c->o.min_reps, pos, start = 0, r;
	size_t base = s->n - (size_t)reps * per, i;
	struct fpd_cphase *ph;
	uint64_t bestgap = 0;
	int ret = 0;

	/* Start after the longest gap; on ties the smallest phase. */
	ph = calloc(per, sizeof(*ph));
	if (!ph)
		return ENOMEM;
	for (pos = 0; pos < per && !ret; pos++)
		ret = vote(s, base, per, reps, pos, &ph[pos]);
	for (pos = 0; pos < per && !ret; pos++) {
		uint64_t g = 0;

		for (r = 0; r < reps; r++) {
			size_t t = base + pos + (size_t)r * per;

			if (t)
				g += s->gap[t] / reps;
		}
		if (g > bestgap + c->o.window_ns ||
		    (g + c->o.window_ns >= bestgap && bestgap + c->o.window_ns >= g &&
		     cphase_cmp(&ph[pos], &ph[start]) < 0)) {
			if (g > bestgap)
				bestgap = g;
			start = pos;
		}
	}
	memset(out, 0, sizeof(*out));
	if (ret)
		goto out;
	out->ph = calloc(per, sizeof(*out->ph));
	if (!out->ph) {
		ret = ENOMEM;
		goto out;
	}
	for (i = 0; i < per; i++) {
		struct fpd_cphase *p = &ph[(start + i) % per];

		if (out->nph && !p->n && !out->ph[out->nph - 1].n) {
			out->ph[out->nph - 1].steps++;
			free(p->f);
			p->f = NULL;
			continue;
		}
		if (out->nph) {
			struct fpd_cphase *q = &out->ph[out->nph - 1];

			if (q->n == p->n && cphase_cmp(q, p) == 0) {
				q->steps++;
				free(p->f);
				p->f = NULL;
				continue;
			}
		}
		out->ph[out->nph++] = *p;
		p->f = NULL;
	}
	for (i = 0; i < out->nph; i++)
		out->bytes += out->ph[i].steps *
			      phase_total(out->ph[i].f, out->ph[i].n);
	out->job = job;
	out->period = per;
	out->period_ns = (s->p[s->n - 1]->first_ns -
			  s->p[s->n - 1 - (size_t)(reps - 1) * per]->first_ns) / (reps - 1);
	out->since_ns = s->p[base]->first_ns;
out:
	for (pos = 0; pos < per; pos++)
		free(ph[pos].f);
	free(ph);
	if (ret)
		cycle_clear(out);
	return ret;
}

/* Same cycle: same length, phases alike under some rotation. */
static bool cycle_same(const struct fpd_cyc *c, const struct fpd_cycle *a,
		       const struct fpd_cycle *b)
{
	size_t r, i;

	if (a->period != b->period || a->nph != b->nph)
		return false;
	for (r = 0; r < a->nph; r++) {
		for (i = 0; i < a->nph; i++)
			if (!cphase_like(c, &a->ph[i], &b->ph[(i + r) % a->nph]))
				break;
		if (i == a->nph)
			return true;
	}
	return false;
}

static void emit(struct fpd_cyc_event *ev, size_t max, size_t *nev,
		 enum fpd_cyc_ev_kind kind, const struct job *j,
		 uint32_t old_period, uint64_t now)
{
	if (*nev >= max)
		return;
	ev[(*nev)++] = (struct fpd_cyc_event){
		.kind = kind, .job = j->id, .period = j->cyc.period,
		.old_period = old_period, .at_ns = now,
	};
}

static uint64_t idle_after(const struct fpd_cyc *c, const struct job *j)
{
	uint64_t t;

	if (c->o.idle_ns)
		return c->o.idle_ns;
	t = 4 * j->cyc.period_ns;
	return t > 10000000000ull ? t : 10000000000ull;
}

static int job_advance(struct fpd_cyc *c, struct job *j, uint64_t now,
		       struct fpd_cyc_event *ev, size_t max, size_t *nev)
{
	double score[4097];
	unsigned int per, maxp;
	struct fpd_cycle cy;
	struct seq s;
	int ret;

	ret = seq_build(c, j, now, &s);
	if (ret)
		return ret;
	per = detect_period(c, &s, score, &maxp);
	if (j->locked && !j->lost) {
		unsigned int P = j->cyc.period;
		bool still = per && P <= maxp && score[P] >= c->o.score;

		if (!still && maxp && (per || s.n >= 2 * (size_t)P)) {
			/* Something else runs now: look only at what follows. */
			j->lost = true;
			j->cut_ns = change_point(c, &s, P);
			emit(ev, max, nev, FPD_CYC_LOST, j, P, now);
			goto out;
		}
	}
	if (!per)
		goto out;
	ret = build_cycle(c, &s, per, j->id, &cy);
	if (ret)
		goto out;
	if (!j->locked) {
		j->cyc = cy;
		j->locked = true;
		emit(ev, max, nev, FPD_CYC_LOCKED, j, 0, now);
	} else if (!cycle_same(c, &j->cyc, &cy)) {
		uint32_t old = j->cyc.period;

		if (!j->lost) {
			j->lost = true;
			j->cut_ns = change_point(c, &s, old);
			emit(ev, max, nev, FPD_CYC_LOST, j, old, now);
			cycle_clear(&cy);
			goto out;
		}
		cycle_clear(&j->cyc);
		j->cyc = cy;
		j->lost = false;
		emit(ev, max, nev, FPD_CYC_CHANGED, j, old, now);
	} else {
		/* the same cycle: keep the locked copy, refresh its timing */
		j->cyc.period_ns = cy.period_ns;
		j->lost = false;
		cycle_clear(&cy);
	}
out:
	free(s.p);
	free(s.gap);
	return ret;
}

static int reindex(struct fpd_cyc *c)
{
	const struct fpd_cycle **l;
	size_t i;

	l = realloc(c->locked, (c->njobs + 1) * sizeof(*l));
	if (!l)
		return ENOMEM;
	c->locked = l;
	c->nlocked = 0;
	for (i = 0; i < c->njobs; i++)
		if (c->jobs[i].locked)
			c->locked[c->nlocked++] = &c->jobs[i].cyc;
	return 0;
}

int fpd_cyc_advance(struct fpd_cyc *c, uint64_t now_ns,
		    struct fpd_cyc_event *ev, size_t max, size_t *nev)
{
	size_t i = 0;
	int ret;

	*nev = 0;
	while (i < c->njobs) {
		struct job *j = &c->jobs[i];

		if (j->last_ns + idle_after(c, j) < now_ns) {
			if (j->locked)
				emit(ev, max, nev, FPD_CYC_GONE, j, j->cyc.period, now_ns);
			job_free(j);
			memmove(j, j + 1, (c->njobs - i - 1) * sizeof(*j));
			c->njobs--;
			continue;
		}
		hist_trim(c, j, now_ns);
		ret = job_advance(c, j, now_ns, ev, max, nev);
		if (ret)
			return ret;
		i++;
	}
	return reindex(c);
}

size_t fpd_cyc_count(const struct fpd_cyc *c)
{
	return c->nlocked;
}

const struct fpd_cycle *fpd_cyc_get(const struct fpd_cyc *c, size_t i)
{
	return i < c->nlocked ? c->locked[i] : NULL;
}

void fpd_cyc_stats(const struct fpd_cyc *c, struct fpd_cyc_stats *st)
{
	size_t i, k;

	memset(st, 0, sizeof(*st));
	st->jobs = c->njobs;
	st->locked = c->nlocked;
	st->msgs = c->msgs;
	st->small = c->small;
	for (i = 0; i < c->njobs; i++) {
		st->phases += c->jobs[i].nh;
		for (k = 0; k < c->jobs[i].nh; k++)
			st->noise += !c->jobs[i].h[k].twin;
	}
}
