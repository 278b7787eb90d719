// SPDX-License-Identifier: MIT
/*
 * test_daemon_cycle - cycle detection on synthetic report streams: ring,
 * halving-doubling and all-to-all all-reduce, a pipeline, two jobs with
 * different periods, timing jitter and noise messages, a job that changes
 * size, a job that goes away. The stream is fed as the daemon feeds it:
 * every 100 ms, the messages that completed by then, in ring order (by
 * completion, not by start).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cycle.h"

#define MS 1000000ull

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* uniform in [-a, a] */
static int64_t jit(uint64_t a)
{
	if (!a)
		return 0;
	return (int64_t)(rnd() % (2 * a + 1)) - (int64_t)a;
}

static uint32_t ip(unsigned int i)
{
	return 0xc6120000u + i + 1;	/* 198.18.0.(i+1), host order is fine */
}

/* The family the streams are made in: 4, or 6 (2001:db8::<ip(i)>). */
static int fam = 4;

static struct fp_addr A(uint32_t v)
{
	struct fp_addr a = { .b = { 0x20, 0x01, 0x0d, 0xb8 } };

	if (fam == 4)
		return fp_addr_v4(v);
	memcpy(&a.b[12], &v, 4);
	return a;
}

struct stream {
	struct fpd_msg *m;
	size_t n, cap;
};

static void put(struct stream *s, uint32_t job, uint32_t src, uint32_t dst,
		uint64_t bytes, uint64_t start, uint64_t dur)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->m = realloc(s->m, s->cap * sizeof(*s->m));
		assert_non_null(s->m);
	}
	s->m[s->n++] = (struct fpd_msg){
		.job = job, .src = A(src), .dst = A(dst), .bytes = bytes,
		.start_ns = start, .end_ns = start + dur,
	};
}

struct gen {
	uint32_t job;
	uint64_t step_ns, gap_ns;	/* step duration, compute gap per iteration */
	uint64_t jitter_ns;		/* per message start */
	uint64_t gap_jitter_ns;
};

/* One ring all-reduce over @n ranks: 2(n-1) steps of i -> i+1. */
static uint64_t ring_iter(struct stream *s, const struct gen *g, unsigned int n,
			  uint64_t bytes, uint64_t t)
{
	unsigned int st, i;

	for (st = 0; st < 2 * (n - 1); st++) {
		for (i = 0; i < n; i++)
			put(s, g->job, ip(i), ip((i + 1) % n), bytes / n,
			    t + (uint64_t)(jit(g->jitter_ns) + (int64_t)g->jitter_ns),
			    g->step_ns / 2);
		t += g->step_ns;
	}
	return t + g->gap_ns + (uint64_t)(jit(g->gap_jitter_ns));
}

/* Halving-doubling over @n (power of two): log n halving, log n doubling. */
static uint64_t hd_iter(struct stream *s, const struct gen *g, unsigned int n,
			uint64_t bytes, uint64_t t)
{
	unsigned int k, i, lg = 0;

	while ((1u << lg) < n)
		lg++;
	for (k = 0; k < 2 * lg; k++) {
		unsigned int d = k < lg ? lg - 1 - k : k - lg;
		uint64_t b = k < lg ? bytes >> (k + 1) : bytes >> (2 * lg - k);

		for (i = 0; i < n; i++)
			put(s, g->job, ip(i), ip(i ^ (1u << d)), b,
			    t + (uint64_t)(jit(g->jitter_ns) + (int64_t)g->jitter_ns),
			    g->step_ns / 2);
		t += g->step_ns;
	}
	return t + g->gap_ns + (uint64_t)(jit(g->gap_jitter_ns));
}

static uint64_t a2a_iter(struct stream *s, const struct gen *g, unsigned int n,
			 unsigned int off, uint64_t bytes, uint64_t t)
{
	unsigned int i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < n; k++)
			if (i != k)
				put(s, g->job, ip(off + i), ip(off + k), bytes,
				    t + (uint64_t)(jit(g->jitter_ns) + (int64_t)g->jitter_ns),
				    g->step_ns / 2);
	return t + g->step_ns + g->gap_ns + (uint64_t)(jit(g->gap_jitter_ns));
}

/* 1F1B-free pipeline: @mb forward micro-batches i -> i+1, then @mb backward. */
static uint64_t pipe_iter(struct stream *s, const struct gen *g, unsigned int n,
			  unsigned int mb, uint64_t bytes, uint64_t t)
{
	unsigned int k, i;

	for (k = 0; k < 2 * mb; k++) {
		for (i = 0; i + 1 < n; i++) {
			if (k < mb)
				put(s, g->job, ip(i), ip(i + 1), bytes, t, g->step_ns / 2);
			else
				put(s, g->job, ip(i + 1), ip(i), bytes, t, g->step_ns / 2);
		}
		t += g->step_ns;
	}
	return t + g->gap_ns + (uint64_t)(jit(g->gap_jitter_ns));
}

static int by_end(const void *a, const void *b)
{
	const struct fpd_msg *x = a, *y = b;

	return x->end_ns < y->end_ns ? -1 : x->end_ns > y->end_ns;
}

struct run {
	struct fpd_cyc *c;
	struct fpd_cyc_event ev[256];
	size_t nev;
	size_t fed;
	uint64_t now;
};

static void run_init(struct run *r, const struct fpd_cycle_opts *o)
{
	struct fpd_cycle_opts d;

	memset(r, 0, sizeof(*r));
	if (!o) {
		fpd_cycle_opts_default(&d);
		o = &d;
	}
	r->c = fpd_cyc_new(o);
	assert_non_null(r->c);
}

/* Feed @s (sorted by end) up to @until in 100 ms rounds, advancing each. */
static void run_to(struct run *r, struct stream *s, uint64_t until)
{
	struct fpd_cyc_event ev[32];
	size_t nev, i;

	while (r->now < until) {
		size_t from = r->fed;

		r->now += 100 * MS;
		while (r->fed < s->n && s->m[r->fed].end_ns <= r->now)
			r->fed++;
		assert_int_equal(fpd_cyc_add(r->c, &s->m[from], r->fed - from), 0);
		assert_int_equal(fpd_cyc_advance(r->c, r->now, ev, 32, &nev), 0);
		for (i = 0; i < nev && r->nev < 256; i++)
			r->ev[r->nev++] = ev[i];
	}
}

static size_t count_ev(const struct run *r, enum fpd_cyc_ev_kind k, uint32_t job)
{
	size_t i, n = 0;

	for (i = 0; i < r->nev; i++)
		n += r->ev[i].kind == k && r->ev[i].job == job;
	return n;
}

static const struct fpd_cycle *cycle_of(const struct run *r, uint32_t job)
{
	size_t i;

	for (i = 0; i < fpd_cyc_count(r->c); i++)
		if (fpd_cyc_get(r->c, i)->job == job)
			return fpd_cyc_get(r->c, i);
	return NULL;
}

static void sort_stream(struct stream *s)
{
	qsort(s->m, s->n, sizeof(*s->m), by_end);
}

static uint64_t flow_bytes(const struct fpd_cphase *p, uint32_t src, uint32_t dst)
{
	struct fp_addr s = A(src), d = A(dst);
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!fp_addr_cmp(&p->f[i].src, &s) && !fp_addr_cmp(&p->f[i].dst, &d))
			return p->f[i].bytes;
	return 0;
}

/* ------------------------------------------------------------------ tests */

static void test_ring(void **state)
{
	struct gen g = { .job = 7, .step_ns = 5 * MS, .gap_ns = 40 * MS };
	struct stream s = { 0 };
	const struct fpd_cycle *cy;
	struct run r;
	uint64_t t = 1000 * MS;
	int it;

	(void)state;
	for (it = 0; it < 40; it++)
		t = ring_iter(&s, &g, 4, 64 << 20, t);
	sort_stream(&s);
	run_init(&r, NULL);
	run_to(&r, &s, t + 2000 * MS);

	assert_int_equal(count_ev(&r, FPD_CYC_LOCKED, 7), 1);
	assert_int_equal(count_ev(&r, FPD_CYC_CHANGED, 7), 0);
	cy = cycle_of(&r, 7);
	assert_non_null(cy);
	/* 6 identical steps, then the compute gap: one phase of 6 steps */
	assert_int_equal(cy->period, 6);
	assert_int_equal(cy->nph, 1);
	assert_int_equal(cy->ph[0].steps, 6);
	assert_int_equal(cy->ph[0].n, 4);
	assert_int_equal(flow_bytes(&cy->ph[0], ip(3), ip(0)), (64 << 20) / 4);
	assert_true(cy->period_ns >= 69 * MS && cy->period_ns <= 71 * MS);
	assert_int_equal(cy->bytes, 6ull * 4 * ((64 << 20) / 4));
	fpd_cyc_free(r.c);
	free(s.m);
}

static void test_ring_back_to_back(void **state)
{
	/* no compute gap: the steady state is one phase, repeating */
	struct gen g = { .job = 1, .step_ns = 5 * MS, .gap_ns = 0 };
	struct stream s = { 0 };
	const struct fpd_cycle *cy;
	struct run r;
	uint64_t t = 0;
	int it;

	(void)state;
	for (it = 0; it < 30; it++)
		t = ring_iter(&s, &g, 8, 8 << 20, t);
	sort_stream(&s);
	run_init(&r, NULL);
	run_to(&r, &s, t + 2000 * MS);
	cy = cycle_of(&r, 1);
	assert_non_null(cy);
	assert_int_equal(cy->period, 1);
	assert_int_equal(cy->nph, 1);
	assert_int_equal(cy->ph[0].n, 8);
	fpd_cyc_free(r.c);
	free(s.m);
}

static void test_halving_doubling(void **state)
{
	struct gen g = { .job = 3, .step_ns = 4 * MS, .gap_ns = 30 * MS };
	struct stream s = { 0 };
	const struct fpd_cycle *cy;
	struct run r;
	uint64_t t = 0;
	unsigned int k;
	int it;

	(void)state;
	for (it = 0; it < 30; it++)
		t = hd_iter(&s, &g, 8, 1 << 24, t);
	sort_stream(&s);
	run_init(&r, NULL);
	run_to(&r, &s, t + 2000 * MS);
	cy = cycle_of(&r, 3);
	assert_non_null(cy);
	/*
	 * starts with the first halving step (distance 4, half the bytes);
	 * the last halving and the first doubling step are the same phase
	 */
	assert_int_equal(cy->period, 6);
	assert_int_equal(cy->nph, 5);
	assert_int_equal(flow_bytes(&cy->ph[0], ip(0), ip(4)), 1 << 23);
	assert_int_equal(flow_bytes(&cy->ph[1], ip(0), ip(2)), 1 << 22);
	assert_int_equal(flow_bytes(&cy->ph[2], ip(0), ip(1)), 1 << 21);
	assert_int_equal(flow_bytes(&cy->ph[3], ip(0), ip(2)), 1 << 22);
	assert_int_equal(flow_bytes(&cy->ph[4], ip(0), ip(4)), 1 << 23);
	for (k = 0; k < 5; k++) {
		assert_int_equal(cy->ph[k].n, 8);
		assert_int_equal(cy->ph[k].steps, k == 2 ? 2 : 1);
	}
	fpd_cyc_free(r.c);
	free(s.m);
}

static void test_alltoall(void **state)
{
	struct gen g = { .job = 9, .step_ns = 10 * MS, .gap_ns = 20 * MS };
	struct stream s = { 0 };
	const struct fpd_cycle *cy;
	struct run r;
	uint64_t t = 0;
	int it;

	(void)state;
	for (it = 0; it < 60; it++)
		t = a2a_iter(&s, &g, 8, 0, 1 << 20, t);
	sort_stream(&s);
	run_init(&r, NULL);
	run_to(&r, &s, t + 2000 * MS);
	cy = cycle_of(&r, 9);
	assert_non_null(cy);
	assert_int_equal(cy->period, 1);
	assert_int_equal(cy->ph[0].n, 56);
	assert_true(cy->period_ns >= 29 * MS && cy->period_ns <= 31 * MS);
	fpd_cyc_free(r.c);
	free(s.m);
}

static void test_pipeline(void **state)
{
	struct gen g = { .job = 4, .step_ns = 3 * MS, .gap_ns = 25 * MS };
	struct stream s = { 0 };
	const struct fpd_cycle *cy;
	struct run r;
	uint64_t t = 0;
	int it;

	(void)state;
	for (it = 0; it < 30; it++)
		t = pipe_iter(&s, &g, 4, 4, 2 << 20, t);
	sort_stream(&s);
	run_init(&r, NULL);
	run_to(&r, &s, t + 2000 * MS);
	cy = cycle_of(&r, 4);
	assert_non_null(cy);
	/* 4 forward micro-batches then 4 backward ones */
	assert_int_equal(cy->period, 8);
	assert_int_equal(cy->nph, 2);
	assert_int_equal(cy->ph[0].steps, 4);
	assert_int_equal(cy->ph[1].steps, 4);
	assert_int_equal(flow_bytes(&cy->ph[0], ip(0), ip(1)), 2 << 20);
	assert_int_equal(flow_bytes(&cy->ph[1], ip(1), ip(0)), 2 << 20);
	fpd_cyc_free(r.c);
	free(s.m);
}

/*
 * IPv6 (issue 15): test_ring's stream between IPv6 addresses locks the
 * same cycle with the same flows. Flows sort IPv4 first, in the order
 * they always had (the uint32_t of the address's bytes), then IPv6.
 */
static void test_ring6(void **state)
{
	struct fp_addr a4 = fp_addr_v4(ip(2)), b4 = fp_addr_v4(ip(1) + 256), six;

	fam = 6;
	test_ring(state);
	six = A(ip(0));
	fam = 4;
	assert_true(fp_addr_order(&a4, &six) < 0);
	assert_true(fp_addr_order(&six, &a4) > 0);
	assert_int_equal(fp_addr_order(&a4, &b4), ip(2) < ip(1) + 256 ? -1 : 1);
	assert_int_equal(fp_addr_order(&six, &six), 0);
}

static void test_two_jobs(void **state)
{
	/* a ring every ~70 ms and an all-to-all every 35 ms, on other NICs */
	struct gen g1 = { .job = 1, .step_ns = 5 * MS, .gap_ns = 40 * MS };
	struct gen g2 = { .job = 2, .step_ns = 15 * MS, .gap_ns = 20 * MS };
	const struct fpd_cycle *c1, *c2;
	struct stream s = { 0 };
	uint64_t t1 = 0, t2 = 3 * MS;
	struct run r;

	(void)state;
	while (t1 < 3000 * MS)
		t1 = ring_iter(&s, &g1, 4, 16 << 20, t1);
	while (t2 < 3000 * MS)
		t2 = a2a_iter(&s, &g2, 4, 10, 1 << 20, t2);
	sort_stream(&s);
	run_init(&r, NULL);
	run_to(&r, &s, 4000 * MS);
	c1 = cycle_of(&r, 1);
	c2 = cycle_of(&r, 2);
	assert_non_null(c1);
	assert_non_null(c2);
	assert_int_equal(c1->period, 6);
	assert_int_equal(c2->period, 1);
	assert_true(c1->period_ns >= 69 * MS && c1->period_ns <= 71 * MS);
	assert_true(c2->period_ns >= 34 * MS && c2->period_ns <= 36 * MS);
	assert_int_equal(c2->ph[0].n, 12);
	assert_int_equal(count_ev(&r, FPD_CYC_CHANGED, 1), 0);
	assert_int_equal(count_ev(&r, FPD_CYC_CHANGED, 2), 0);
	fpd_cyc_free(r.c);
	free(s.m);
}

static void test_jitter_and_noise(void **state)
{
	struct gen g = { .job = 5, .step_ns = 4 * MS, .gap_ns = 50 * MS,
			 .jitter_ns = 200000, .gap_jitter_ns = 5 * MS };
	struct fpd_cycle_opts o;
	const struct fpd_cycle *cy;
	struct stream s = { 0 };
	struct run r;
	uint64_t t = 0;
	int it;

	(void)state;
	for (it = 0; it < 60; it++) {
		uint64_t t0 = t;

		t = hd_iter(&s, &g, 4, 1 << 22, t);
		/* control chatter below min_bytes, every iteration */
		put(&s, 5, ip(1), ip(3), 512, t0 + 7 * MS, MS);
		put(&s, 5, ip(2), ip(0), 64, t0 + 30 * MS, MS);
		/* a stray large message in the gap, every fifth iteration */
		if (it % 5 == 2)
			put(&s, 5, ip(rnd() % 4), ip(4 + rnd() % 4), 3 << 20,
			    t - 20 * MS, MS);
	}
	sort_stream(&s);
	fpd_cycle_opts_default(&o);
	o.min_bytes = 4096;
	run_init(&r, &o);
	run_to(&r, &s, t + 2000 * MS);
	assert_int_equal(count_ev(&r, FPD_CYC_LOCKED, 5), 1);
	assert_int_equal(count_ev(&r, FPD_CYC_CHANGED, 5), 0);
	cy = cycle_of(&r, 5);
	assert_non_null(cy);
	assert_int_equal(cy->period, 4);
	assert_int_equal(cy->nph, 3);
	assert_int_equal(flow_bytes(&cy->ph[0], ip(0), ip(2)), 1 << 21);
	assert_int_equal(flow_bytes(&cy->ph[1], ip(0), ip(1)), 1 << 20);
	assert_int_equal(cy->ph[1].steps, 2);
	assert_int_equal(cy->ph[0].n, 4);
	fpd_cyc_free(r.c);
	free(s.m);
}

static void test_job_changes(void **state)
{
	/* 4 ranks, then the job is resized to 6: one change, the new cycle */
	struct gen g = { .job = 8, .step_ns = 5 * MS, .gap_ns = 40 * MS };
	const struct fpd_cycle *cy;
	struct stream s = { 0 };
	uint64_t t = 0, change;
	struct run r;
	size_t i;
	int it;

	(void)state;
	for (it = 0; it < 20; it++)
		t = ring_iter(&s, &g, 4, 16 << 20, t);
	change = t;
	for (it = 0; it < 20; it++)
		t = ring_iter(&s, &g, 6, 16 << 20, t);
	sort_stream(&s);
	run_init(&r, NULL);
	run_to(&r, &s, change + 1000 * MS);
	cy = cycle_of(&r, 8);
	assert_non_null(cy);
	assert_int_equal(cy->period, 6);
	run_to(&r, &s, t + 2000 * MS);
	assert_int_equal(count_ev(&r, FPD_CYC_LOCKED, 8), 1);
	assert_int_equal(count_ev(&r, FPD_CYC_CHANGED, 8), 1);
	for (i = 0; i < r.nev; i++)
		if (r.ev[i].kind == FPD_CYC_CHANGED) {
			assert_int_equal(r.ev[i].old_period, 6);
			assert_int_equal(r.ev[i].period, 10);
			/* noticed within the settle and confirm times and a little */
			assert_true(r.ev[i].at_ns < change + 4000 * MS);
		}
	cy = cycle_of(&r, 8);
	assert_non_null(cy);
	assert_int_equal(cy->period, 10);
	assert_int_equal(cy->ph[0].n, 6);
	fpd_cyc_free(r.c);
	free(s.m);
}

static void test_new_job_and_gone(void **state)
{
	struct gen g1 = { .job = 1, .step_ns = 5 * MS, .gap_ns = 40 * MS };
	struct gen g2 = { .job = 2, .step_ns = 10 * MS, .gap_ns = 10 * MS };
	struct stream s = { 0 };
	uint64_t t1 = 0, t2 = 2000 * MS;
	struct run r;

	(void)state;
	while (t1 < 3000 * MS)
		t1 = ring_iter(&s, &g1, 4, 16 << 20, t1);
	while (t2 < 16000 * MS)
		t2 = a2a_iter(&s, &g2, 4, 10, 1 << 20, t2);
	sort_stream(&s);
	run_init(&r, NULL);
	run_to(&r, &s, 2500 * MS);
	assert_non_null(cycle_of(&r, 1));
	assert_null(cycle_of(&r, 2));
	run_to(&r, &s, 4500 * MS);
	assert_non_null(cycle_of(&r, 2));
	assert_int_equal(count_ev(&r, FPD_CYC_GONE, 1), 0);
	/* job 1 stopped at 3 s: gone after 10 s of silence, job 2 stays */
	run_to(&r, &s, 13500 * MS);
	assert_int_equal(count_ev(&r, FPD_CYC_GONE, 1), 1);
	assert_null(cycle_of(&r, 1));
	assert_int_equal(count_ev(&r, FPD_CYC_LOCKED, 2), 1);
	fpd_cyc_free(r.c);
	free(s.m);
}

static void test_fast_steps(void **state)
{
	/*
	 * 14 steps 2 ms apart, 40 iterations a second: more phases settle each
	 * second than detection keeps, so the history must keep those still
	 * settling besides, and look at a confirm time's worth of them
	 */
	struct gen g = { .job = 12, .step_ns = 2 * MS, .gap_ns = 2 * MS };
	const struct fpd_cycle *cy;
	struct stream s = { 0 };
	struct run r;
	uint64_t t = 0;

	(void)state;
	while (t < 6000 * MS)
		t = ring_iter(&s, &g, 8, 8 << 20, t);
	sort_stream(&s);
	run_init(&r, NULL);
	run_to(&r, &s, t + 1500 * MS);
	cy = cycle_of(&r, 12);
	assert_non_null(cy);
	assert_int_equal(cy->period, 14);
	assert_int_equal(cy->nph, 1);
	assert_int_equal(count_ev(&r, FPD_CYC_LOCKED, 12), 1);
	assert_int_equal(count_ev(&r, FPD_CYC_CHANGED, 12), 0);
	fpd_cyc_free(r.c);
	free(s.m);
}

static void test_marked_collectives(void **state)
{
	/* marked collectives: one phase per (job, coll) even when slow */
	struct fpd_msg m[3 * 30];
	const struct fpd_cycle *cy;
	struct fpd_cyc_event ev[8];
	struct fpd_cycle_opts o;
	struct fpd_cyc *c;
	size_t nev, n = 0;
	uint64_t t = 0;
	int it, k;

	(void)state;
	for (it = 0; it < 30; it++) {
		/* three messages of one collective, spread over 30 ms */
		for (k = 0; k < 3; k++)
			m[n++] = (struct fpd_msg){
				.job = 11, .coll = (uint32_t)it + 1, .src = A(ip(0)),
				.dst = A(ip((unsigned int)k + 1)), .bytes = 1 << 20,
				.start_ns = t + (uint64_t)k * 10 * MS,
				.end_ns = t + (uint64_t)k * 10 * MS + MS,
			};
		t += 100 * MS;
	}
	fpd_cycle_opts_default(&o);
	c = fpd_cyc_new(&o);
	assert_non_null(c);
	assert_int_equal(fpd_cyc_add(c, m, n), 0);
	assert_int_equal(fpd_cyc_advance(c, t + 2000 * MS, ev, 8, &nev), 0);
	assert_int_equal(nev, 1);
	assert_int_equal(ev[0].kind, FPD_CYC_LOCKED);
	cy = fpd_cyc_get(c, 0);
	assert_int_equal(cy->period, 1);
	assert_int_equal(cy->ph[0].n, 3);
	fpd_cyc_free(c);
}

static void test_bad_options(void **state)
{
	struct fpd_cycle_opts o;

	(void)state;
	fpd_cycle_opts_default(&o);
	o.min_reps = 1;
	assert_null(fpd_cyc_new(&o));
	assert_int_equal(errno, EINVAL);
	fpd_cycle_opts_default(&o);
	o.match = 1.5;
	assert_null(fpd_cyc_new(&o));
	fpd_cycle_opts_default(&o);
	o.max_period = 0;
	assert_null(fpd_cyc_new(&o));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_ring_back_to_back),
		cmocka_unit_test(test_ring6),
		cmocka_unit_test(test_halving_doubling),
		cmocka_unit_test(test_alltoall),
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_two_jobs),
		cmocka_unit_test(test_jitter_and_noise),
		cmocka_unit_test(test_job_changes),
		cmocka_unit_test(test_new_job_and_gone),
		cmocka_unit_test(test_fast_steps),
		cmocka_unit_test(test_marked_collectives),
		cmocka_unit_test(test_bad_options),
	};

	return cmocka_run_group_tests_name("daemon_cycle", tests, NULL, NULL);
}
