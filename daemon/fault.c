// SPDX-License-Identifier: MIT
/*
 * fault.c - stalled subflows and the links that explain them (fault.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

struct sub {
	struct fpd_fsub s;
	uint64_t last, delta;
	bool based;		/* @last holds a sample */
	bool healthy;		/* moved as planned in the last sample */
	unsigned int streak;
};

struct fpd_fault {
	struct fpd_fault_opts o;
	struct sub *subs;	/* sorted by group */
	size_t n;
};

void fpd_fault_opts_default(struct fpd_fault_opts *o)
{
	*o = (struct fpd_fault_opts){
		.slow_ratio = 0.1,
		.intervals = 3,
		.min_bytes = 1 << 20,
	};
}

struct fpd_fault *fpd_fault_new(const struct fpd_fault_opts *o)
{
	struct fpd_fault *f;

	if (o->slow_ratio <= 0 || o->slow_ratio >= 1 || !o->intervals) {
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->o = *o;
	return f;
}

void fpd_fault_free(struct fpd_fault *f)
{
	if (!f)
		return;
	free(f->subs);
	free(f);
}

static int by_group(const void *a, const void *b)
{
	const struct sub *x = a, *y = b;

	if (x->s.group != y->s.group)
		return x->s.group < y->s.group ? -1 : 1;
	return 0;
}

int fpd_fault_set_plan(struct fpd_fault *f, const struct fpd_fsub *subs, size_t n)
{
	struct sub *ns = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (subs[i].nlinks > FPD_PATH_MAX || subs[i].weight > 65536)
			return EINVAL;
	if (n) {
		ns = calloc(n, sizeof(*ns));
		if (!ns)
			return ENOMEM;
	}
	for (i = 0; i < n; i++)
		ns[i].s = subs[i];
	/* stable enough: equal groups keep no particular order, none is needed */
	if (n)
		qsort(ns, n, sizeof(*ns), by_group);
	free(f->subs);
	f->subs = ns;
	f->n = n;
	return 0;
}

static int count_cmp(const struct fp_addr *ra, uint16_t pa,
		     const struct fp_addr *rb, uint16_t pb)
{
	int d = fp_addr_cmp(ra, rb);

	if (d)
		return d;
	return pa < pb ? -1 : pa > pb;
}

static int by_key(const void *a, const void *b)
{
	const struct fpd_fcount *x = a, *y = b;

	return count_cmp(&x->remote, x->sport, &y->remote, y->sport);
}

static const struct fpd_fcount *lookup(const struct fpd_fcount *c, size_t n,
				       const struct fp_addr *r, uint16_t sport)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int d = count_cmp(&c[mid].remote, c[mid].sport, r, sport);

		if (!d)
			return &c[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static double share(const struct fpd_fsub *s)
{
	return s->planned ? (double)s->planned : (double)s->weight;
}

int fpd_fault_sample(struct fpd_fault *f, const struct fpd_fcount *c, size_t n)
{
	struct fpd_fcount *sorted = NULL;
	size_t i, g, end;

	if (n) {
		sorted = malloc(n * sizeof(*sorted));
		if (!sorted)
			return ENOMEM;
		memcpy(sorted, c, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), by_key);
	}
	for (i = 0; i < f->n; i++) {
		struct sub *s = &f->subs[i];
		const struct fpd_fcount *k = lookup(sorted, n, &s->s.remote, s->s.sport);
		uint64_t now = k ? k->bytes : 0;

		if (!s->based || now < s->last) {
			/* first sample, or the counters restarted */
			s->delta = 0;
			s->based = false;
		} else {
			s->delta = now - s->last;
		}
		s->last = now;
	}
	for (g = 0; g < f->n; g = end) {
		uint64_t total = 0;
		double shares = 0;
		bool based = true;

		for (end = g; end < f->n && f->subs[end].s.group == f->subs[g].s.group; end++) {
			total += f->subs[end].delta;
			shares += share(&f->subs[end].s);
			based &= f->subs[end].based;
		}
		for (i = g; i < end; i++) {
			struct sub *s = &f->subs[i];
			double expect = shares > 0 ? (double)total * share(&s->s) / shares : 0;

			s->healthy = false;
			/* a lone subflow has no peers to be compared with */
			if (!based || end - g < 2 || total < f->o.min_bytes || !share(&s->s))
				continue;
			if ((double)s->delta < f->o.slow_ratio * expect) {
				s->streak++;
			} else {
				s->streak = 0;
				s->healthy = true;
			}
		}
	}
	for (i = 0; i < f->n; i++)
		f->subs[i].based = true;
	free(sorted);
	return 0;
}

static bool stalled(const struct fpd_fault *f, const struct sub *s)
{
	return s->streak >= f->o.intervals;
}

size_t fpd_fault_stalled(const struct fpd_fault *f)
{
	size_t i, n = 0;

	for (i = 0; i < f->n; i++)
		n += stalled(f, &f->subs[i]);
	return n;
}

size_t fpd_fault_count(const struct fpd_fault *f)
{
	return f->n;
}

const struct fpd_fsub *fpd_fault_sub_state(const struct fpd_fault *f, size_t i,
					   unsigned int *streak, uint64_t *delta,
					   uint64_t *total)
{
	const struct sub *s = &f->subs[i];

	*streak = s->streak;
	*delta = s->delta;
	*total = s->last;
	return &s->s;
}

static bool on_path(const struct sub *s, int32_t l)
{
	unsigned int i;

	for (i = 0; i < s->s.nlinks; i++)
		if (s->s.link[i] == l)
			return true;
	return false;
}

size_t fpd_fault_suspects(const struct fpd_fault *f, struct fpd_suspect *out,
			  size_t max)
{
	const struct sub **st = NULL;
	int32_t *links = NULL;
	bool *covered = NULL, *cand = NULL;
	size_t nst = 0, nl = 0, i, k, nout = 0;

	st = calloc(f->n + 1, sizeof(*st));
	links = calloc(f->n * FPD_PATH_MAX + 1, sizeof(*links));
	covered = calloc(f->n + 1, sizeof(*covered));
	cand = calloc(f->n * FPD_PATH_MAX + 1, sizeof(*cand));
	if (!st || !links || !covered || !cand)
		goto out;
	for (i = 0; i < f->n; i++)
		if (stalled(f, &f->subs[i]))
			st[nst++] = &f->subs[i];
	/* candidate links: on a stalled path, crossed by no healthy subflow */
	for (i = 0; i < nst; i++) {
		for (k = 0; k < st[i]->s.nlinks; k++) {
			int32_t l = st[i]->s.link[k];
			size_t j;

			for (j = 0; j < nl && links[j] != l; j++)
				;
			if (j < nl)
				continue;
			links[nl] = l;
			cand[nl] = true;
			for (j = 0; j < f->n; j++)
				if (f->subs[j].healthy && on_path(&f->subs[j], l))
					cand[nl] = false;
			nl++;
		}
	}
	while (nout < max) {
		size_t best = 0, bi = 0, cnt;
		struct fpd_suspect sp = { 0 };

		for (k = 0; k < nl; k++) {
			if (!cand[k])
				continue;
			for (cnt = 0, i = 0; i < nst; i++)
				cnt += !covered[i] && on_path(st[i], links[k]);
			if (cnt > best) {
				best = cnt;
				bi = k;
			}
		}
		if (!best)
			break;
		/* every candidate covering exactly the same stalled subflows */
		for (k = 0; k < nl; k++) {
			bool same = cand[k];

			for (i = 0; i < nst && same; i++)
				if (!covered[i] &&
				    on_path(st[i], links[k]) != on_path(st[i], links[bi]))
					same = false;
			if (same && sp.nlinks < FPD_SUSPECT_MAX)
				sp.link[sp.nlinks++] = links[k];
		}
		for (i = 0; i < nst; i++)
			if (!covered[i] && on_path(st[i], links[bi])) {
				covered[i] = true;
				sp.nsubs++;
			}
		out[nout++] = sp;
	}
out:
	free(st);
	free(links);
	free(covered);
	free(cand);
	return nout;
}
