// SPDX-License-Identifier: MIT
/*
 * test_preload_qptab - the subflow assignment (qptab.c) against host plans
 * built with the core's API: one peer's QPs take subflows in order and wrap,
 * peers are independent, a freed slot is the next one taken, a QP that
 * reconnects elsewhere moves its slot, the exact-dqpn entry wins over the
 * pair's wildcard, no plan or no entry gives 0 (leave the QP alone); and,
 * as properties over many random QPs and peers, slots stay unique per peer
 * and the tables empty out.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "preload/preload.h"

static struct fp_addr A(const char *s)
{
	struct fp_addr a;

	assert_int_equal(fp_addr_parse(s, &a), 0);
	return a;
}

/* An entry local -> remote (dqpn) with labels @fl[0..n-1], equal weights. */
static void add(struct fp_hostplan *hp, const char *l, const char *r,
		uint32_t dqpn, const uint32_t *fl, unsigned int n)
{
	struct fp_hostplan_entry e = {
		.local = A(l), .remote = A(r), .dqpn = dqpn, .nsub = n,
	};
	uint32_t w[FP_MAX_SUBFLOWS];
	unsigned int i;

	fp_weights_equal(w, n);
	for (i = 0; i < n; i++)
		e.sub[i] = (struct fp_subflow){
			.flow_label = fl[i],
			.sport = fp_label_to_sport(fl[i]),
			.weight = w[i],
		};
	assert_int_equal(fp_hostplan_add(hp, &e, NULL), 0);
}

static struct fp_hostplan plan;
static struct pl_tab tab;

static int setup(void **state)
{
	static const uint32_t three[] = { 11, 22, 33 }, one[] = { 44 },
			      wild[] = { 55, 66 };

	(void)state;
	fp_hostplan_init(&plan);
	add(&plan, "10.0.1.1", "10.0.2.1", FP_DQPN_ANY, three, 3);
	add(&plan, "10.0.1.1", "10.0.2.2", 0x77, one, 1);
	add(&plan, "10.0.1.1", "10.0.2.2", FP_DQPN_ANY, wild, 2);
	add(&plan, "2001:db8::1", "2001:db8::2", FP_DQPN_ANY, one, 1);
	assert_int_equal(fp_hostplan_finish(&plan, NULL), 0);
	return pl_init(&tab);
}

static int teardown(void **state)
{
	(void)state;
	pl_free(&tab);
	fp_hostplan_free(&plan);
	return 0;
}

static struct pl_qp *conn(uintptr_t key, const char *l, const char *r,
			  uint32_t dqpn)
{
	struct pl_qp *q = pl_add(&tab, (void *)key, (uint32_t)key, 2);
	struct fp_addr la = A(l), ra = A(r);

	assert_non_null(q);
	assert_int_equal(pl_connect(&tab, q, &la, &ra, dqpn, 0), 0);
	return q;
}

static void order_and_wrap(void **state)
{
	static const uint32_t want[] = { 11, 22, 33, 11, 22 };
	struct pl_qp *q[5];
	uintptr_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		q[i] = conn(0x1000 + i * 16, "10.0.1.1", "10.0.2.1", 0x100 + i);
		assert_int_equal(q[i]->slot, i);
		assert_int_equal(q[i]->seq, i + 1);
		assert_int_equal(pl_planned(&plan, q[i], NULL), want[i]);
	}
	assert_int_equal(q[4]->peer->nqp, 5);
	/* Another pair counts from 0. */
	q[0] = conn(0x2000, "10.0.1.1", "10.0.2.2", 0x500);
	assert_int_equal(q[0]->slot, 0);
	assert_int_equal(pl_planned(&plan, q[0], NULL), 55);
	pl_free(&tab);
	assert_int_equal(pl_init(&tab), 0);
}

static void slots_freed(void **state)
{
	struct pl_qp *a, *b, *c, *d;
	struct fp_addr l = A("10.0.1.1"), r2 = A("10.0.2.2");

	(void)state;
	a = conn(0x10, "10.0.1.1", "10.0.2.1", 1);
	b = conn(0x20, "10.0.1.1", "10.0.2.1", 2);
	c = conn(0x30, "10.0.1.1", "10.0.2.1", 3);
	/* b goes away: the next QP is subflow 2 again. */
	pl_del(&tab, b);
	d = conn(0x40, "10.0.1.1", "10.0.2.1", 4);
	assert_int_equal(d->slot, 1);
	assert_int_equal(pl_planned(&plan, d, NULL), 22);
	/* a reconnects to another peer: its old slot is free, it is 0 there. */
	assert_int_equal(pl_connect(&tab, a, &l, &r2, 9, 0), 0);
	assert_int_equal(a->slot, 0);
	assert_int_equal(a->peer->nqp, 1);
	assert_int_equal(c->peer->nqp, 2);
	b = conn(0x50, "10.0.1.1", "10.0.2.1", 5);
	assert_int_equal(b->slot, 0);
	/* Disconnected: no plan for it, its peer gone with its last QP. */
	pl_disconnect(&tab, a);
	assert_false(a->connected);
	assert_int_equal(pl_planned(&plan, a, NULL), 0);
	assert_int_equal(tab.npeer, 1);
	pl_free(&tab);
	assert_int_equal(pl_init(&tab), 0);
}

static void entries(void **state)
{
	const struct fp_hostplan_entry *e;
	struct pl_qp *x, *w, *n, *v6;

	(void)state;
	x = conn(0x10, "10.0.1.1", "10.0.2.2", 0x77);
	w = conn(0x20, "10.0.1.1", "10.0.2.2", 0x78);
	n = conn(0x30, "10.0.1.1", "10.0.9.9", 0x78);
	v6 = conn(0x40, "2001:db8::1", "2001:db8::2", 1);
	assert_int_equal(pl_planned(&plan, x, &e), 44);
	assert_int_equal(e->dqpn, 0x77);
	/* Slot 1 of the pair, wildcard entry: its subflow 1. */
	assert_int_equal(pl_planned(&plan, w, &e), 66);
	assert_int_equal(e->dqpn, FP_DQPN_ANY);
	assert_int_equal(pl_planned(&plan, n, &e), 0);
	assert_null(e);
	assert_int_equal(pl_planned(NULL, x, &e), 0);
	assert_null(e);
	assert_int_equal(pl_planned(&plan, v6, NULL), 44);
	pl_free(&tab);
	assert_int_equal(pl_init(&tab), 0);
}

static void count(struct pl_qp *q, void *arg)
{
	(void)q;
	++*(size_t *)arg;
}

/* Properties: many QPs, many peers, random connects and deletes. */
static void many(void **state)
{
	enum { NQP = 20000, NPEER = 97 };
	static struct pl_qp *q[NQP];
	static unsigned char seen[NPEER][NQP / 8 + 1];
	struct fp_addr l = A("10.0.1.1"), r;
	size_t i, n = 0, nconn = 0;
	unsigned int seed = 7;

	(void)state;
	for (i = 0; i < NQP; i++) {
		q[i] = pl_add(&tab, (void *)(0x100000 + i * 64), (uint32_t)i, 2);
		assert_non_null(q[i]);
		assert_ptr_equal(pl_get(&tab, q[i]->qp), q[i]);
	}
	for (i = 0; i < 4 * NQP; i++) {
		size_t k = (size_t)rand_r(&seed) % NQP;

		if (rand_r(&seed) % 4) {
			r = fp_addr_v4(htonl(0x0a000000u +
					      (uint32_t)rand_r(&seed) % NPEER));
			assert_int_equal(pl_connect(&tab, q[k], &l, &r, 1, 0), 0);
		} else {
			pl_disconnect(&tab, q[k]);
		}
	}
	/* No two connected QPs of one peer hold the same slot. */
	for (i = 0; i < NQP; i++) {
		unsigned int p, s;

		if (!q[i]->connected)
			continue;
		nconn++;
		p = (unsigned int)(q[i]->remote.b[15] + 256 * q[i]->remote.b[14]);
		s = q[i]->slot;
		assert_true(p < NPEER && s < NQP);
		assert_false(seen[p][s / 8] & (1u << (s % 8)));
		seen[p][s / 8] |= (unsigned char)(1u << (s % 8));
	}
	pl_each_connected(&tab, count, &n);
	assert_int_equal(n, nconn);
	for (i = 0; i < NQP; i++)
		pl_del(&tab, q[i]);
	assert_int_equal(tab.nqp, 0);
	assert_int_equal(tab.npeer, 0);
	assert_null(pl_get(&tab, (void *)0x100000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(order_and_wrap),
		cmocka_unit_test(slots_freed),
		cmocka_unit_test(entries),
		cmocka_unit_test(many),
	};

	return cmocka_run_group_tests_name("preload_qptab", tests, setup,
					   teardown);
}
