// SPDX-License-Identifier: MIT
/*
 * qptab.c - the QPs the interposer knows and the subflow each one is.
 *
 * Several QPs from one process to one peer are that peer's subflows: a QP
 * takes, when it goes to RTR, the lowest subflow slot its (local address,
 * remote address) pair has free, and the plan's entry for it gives it
 * subflow (slot mod k). Programs bring their QPs to RTR in the order they
 * created them (perftest, NCCL, UCX, rdma_cm), so slot order is creation
 * order; a QP that goes away frees its slot for the next one, so a program
 * that reconnects keeps its QPs spread over the same subflows. Nothing here
 * knows verbs: the table is keyed by the QP's address and tested alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "preload/preload.h"

#define NBUCKETS_MIN	64

static size_t hash_ptr(const void *p, size_t n)
{
	uint64_t v = (uintptr_t)p;

	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (size_t)v & (n - 1);
}

static size_t hash_pair(const struct fp_addr *l, const struct fp_addr *r,
			size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ l->b[i]) * 0x100000001b3ull;
	for (i = 0; i < 16; i++)
		h = (h ^ r->b[i]) * 0x100000001b3ull;
	return (size_t)(h ^ h >> 32) & (n - 1);
}

int pl_init(struct pl_tab *t)
{
	memset(t, 0, sizeof(*t));
	t->nbuckets = NBUCKETS_MIN;
	t->qps = calloc(t->nbuckets, sizeof(*t->qps));
	t->peers = calloc(t->nbuckets, sizeof(*t->peers));
	if (!t->qps || !t->peers) {
		free(t->qps);
		free(t->peers);
		memset(t, 0, sizeof(*t));
		return ENOMEM;
	}
	return 0;
}

void pl_free(struct pl_tab *t)
{
	size_t i;

	for (i = 0; i < t->nbuckets; i++) {
		while (t->qps[i]) {
			struct pl_qp *q = t->qps[i];

			t->qps[i] = q->hnext;
			free(q);
		}
		while (t->peers[i]) {
			struct pl_peer *p = t->peers[i];

			t->peers[i] = p->hnext;
			free(p->used);
			free(p);
		}
	}
	free(t->qps);
	free(t->peers);
	memset(t, 0, sizeof(*t));
}

/* Twice the buckets when the QPs outnumber them; a failure just waits. */
static void grow(struct pl_tab *t)
{
	size_t n = t->nbuckets * 2, i;
	struct pl_qp **qps;
	struct pl_peer **peers;

	qps = calloc(n, sizeof(*qps));
	peers = calloc(n, sizeof(*peers));
	if (!qps || !peers) {
		free(qps);
		free(peers);
		return;
	}
	for (i = 0; i < t->nbuckets; i++) {
		while (t->qps[i]) {
			struct pl_qp *q = t->qps[i];
			size_t h = hash_ptr(q->qp, n);

			t->qps[i] = q->hnext;
			q->hnext = qps[h];
			qps[h] = q;
		}
		while (t->peers[i]) {
			struct pl_peer *p = t->peers[i];
			size_t h = hash_pair(&p->local, &p->remote, n);

			t->peers[i] = p->hnext;
			p->hnext = peers[h];
			peers[h] = p;
		}
	}
	free(t->qps);
	free(t->peers);
	t->qps = qps;
	t->peers = peers;
	t->nbuckets = n;
}

struct pl_qp *pl_get(const struct pl_tab *t, const void *qp)
{
	struct pl_qp *q;

	if (!t->qps)
		return NULL;
	for (q = t->qps[hash_ptr(qp, t->nbuckets)]; q; q = q->hnext)
		if (q->qp == qp)
			return q;
	return NULL;
}

struct pl_qp *pl_add(struct pl_tab *t, const void *qp, uint32_t qpn,
		     uint8_t type)
{
	struct pl_qp *q = pl_get(t, qp);
	size_t h;

	if (q)
		return q;
	if (!t->qps)
		return NULL;
	if (t->nqp + t->npeer >= t->nbuckets)
		grow(t);
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->qp = qp;
	q->qpn = qpn;
	q->type = type;
	q->seq = ++t->seq;
	h = hash_ptr(qp, t->nbuckets);
	q->hnext = t->qps[h];
	t->qps[h] = q;
	t->nqp++;
	return q;
}

void pl_del(struct pl_tab *t, struct pl_qp *q)
{
	struct pl_qp **pp;

	pl_disconnect(t, q);
	for (pp = &t->qps[hash_ptr(q->qp, t->nbuckets)]; *pp;
	     pp = &(*pp)->hnext) {
		if (*pp == q) {
			*pp = q->hnext;
			t->nqp--;
			free(q);
			return;
		}
	}
}

static struct pl_peer *peer_get(struct pl_tab *t, const struct fp_addr *local,
				const struct fp_addr *remote)
{
	size_t h = hash_pair(local, remote, t->nbuckets);
	struct pl_peer *p;

	for (p = t->peers[h]; p; p = p->hnext)
		if (!fp_addr_cmp(&p->local, local) &&
		    !fp_addr_cmp(&p->remote, remote))
			return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->local = *local;
	p->remote = *remote;
	p->hnext = t->peers[h];
	t->peers[h] = p;
	t->npeer++;
	return p;
}

static void peer_put(struct pl_tab *t, struct pl_peer *p)
{
	struct pl_peer **pp;

	if (p->nqp)
		return;
	for (pp = &t->peers[hash_pair(&p->local, &p->remote, t->nbuckets)];
	     *pp; pp = &(*pp)->hnext) {
		if (*pp == p) {
			*pp = p->hnext;
			t->npeer--;
			free(p->used);
			free(p);
			return;
		}
	}
}

/* The lowest free slot of @p, taken; UINT32_MAX when out of memory. */
static unsigned int slot_take(struct pl_peer *p)
{
	unsigned int w, b;
	uint64_t *u;

	for (w = 0; w < p->nwords; w++) {
		if (p->used[w] == UINT64_MAX)
			continue;
		b = (unsigned int)__builtin_ctzll(~p->used[w]);
		p->used[w] |= 1ull << b;
		return w * 64 + b;
	}
	u = realloc(p->used, (p->nwords + 1) * sizeof(*u));
	if (!u)
		return UINT32_MAX;
	p->used = u;
	p->used[p->nwords] = 1;
	return 64 * p->nwords++;
}

int pl_connect(struct pl_tab *t, struct pl_qp *q, const struct fp_addr *local,
	       const struct fp_addr *remote, uint32_t dqpn, uint32_t app_label)
{
	struct pl_peer *p;
	unsigned int slot;

	pl_disconnect(t, q);
	p = peer_get(t, local, remote);
	if (!p)
		return ENOMEM;
	slot = slot_take(p);
	if (slot == UINT32_MAX) {
		peer_put(t, p);
		return ENOMEM;
	}
	p->nqp++;
	q->peer = p;
	q->slot = slot;
	q->local = *local;
	q->remote = *remote;
	q->dqpn = dqpn;
	q->app_label = app_label;
	q->label = q->want = app_label;
	q->connected = true;
	q->stale = false;
	return 0;
}

void pl_disconnect(struct pl_tab *t, struct pl_qp *q)
{
	struct pl_peer *p = q->peer;

	q->connected = false;
	q->stale = false;
	if (!p)
		return;
	p->used[q->slot / 64] &= ~(1ull << (q->slot % 64));
	p->nqp--;
	q->peer = NULL;
	peer_put(t, p);
}

uint32_t pl_planned(const struct fp_hostplan *hp, const struct pl_qp *q,
		    const struct fp_hostplan_entry **ep)
{
	const struct fp_hostplan_entry *e = NULL;
	uint32_t fl = 0;

	if (hp && q->connected)
		e = fp_hostplan_find(hp, &q->local, &q->remote, q->dqpn);
	if (e && e->nsub) {
		fl = e->sub[q->slot % e->nsub].flow_label;
		/* Never emit 0 (the kernel's own choice) as "planned". */
		if (fl == 0 || fl > FP_FLOW_LABEL_MAX) {
			fl = 0;
			e = NULL;
		}
	} else {
		e = NULL;
	}
	if (ep)
		*ep = e;
	return fl;
}

void pl_each_connected(struct pl_tab *t, void (*fn)(struct pl_qp *, void *),
		       void *arg)
{
	size_t i;
	struct pl_qp *q;

	for (i = 0; i < t->nbuckets; i++)
		for (q = t->qps[i]; q; q = q->hnext)
			if (q->connected)
				fn(q, arg);
}
