// SPDX-License-Identifier: MIT
/*
 * hostplan.c - the host plan in memory: entries checked one by one, sorted
 * by (local, remote, dqpn) once, looked up by binary search.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hostplan.h"

void fp_weights_equal(uint32_t *w, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++)
		w[i] = FP_WEIGHT_ONE / k + (i < FP_WEIGHT_ONE % k);
}

void fp_hostplan_init(struct fp_hostplan *hp)
{
	memset(hp, 0, sizeof(*hp));
}

void fp_hostplan_free(struct fp_hostplan *hp)
{
	if (!hp)
		return;
	free(hp->e);
	fp_hostplan_init(hp);
}

int fp_hostplan_check_entry(const struct fp_hostplan_entry *e,
			    const char *where, struct fp_err *err)
{
	uint64_t sum = 0;
	unsigned int i;

	if (!where)
		where = "entry";
	if (fp_addr_is_v4(&e->local) != fp_addr_is_v4(&e->remote))
		return fp_fail(err, EINVAL, "%s: src_addr and dst_addr are of different families",
			       where);
	if (e->dqpn > FP_DQPN_MAX)
		return fp_fail(err, ERANGE, "%s.dqpn: %u is out of range 0..%u", where,
			       e->dqpn, FP_DQPN_MAX);
	if (!e->nsub || e->nsub > FP_MAX_SUBFLOWS)
		return fp_fail(err, ERANGE, "%s.subflows: %u subflows, 1..%d", where,
			       e->nsub, FP_MAX_SUBFLOWS);
	for (i = 0; i < e->nsub; i++) {
		const struct fp_subflow *s = &e->sub[i];

		if (!s->flow_label || s->flow_label > FP_FLOW_LABEL_MAX)
			return fp_fail(err, ERANGE,
				       "%s.subflows[%u].flow_label: %u is out of range 1..%u (0 pins nothing)",
				       where, i, s->flow_label, FP_FLOW_LABEL_MAX);
		if (s->sport != fp_label_to_sport(s->flow_label))
			return fp_fail(err, EINVAL,
				       "%s.subflows[%u].sport: %u, but flow label %u gives %u",
				       where, i, s->sport, s->flow_label,
				       fp_label_to_sport(s->flow_label));
		if (s->weight > FP_WEIGHT_ONE)
			return fp_fail(err, ERANGE,
				       "%s.subflows[%u].weight: %u is out of range 0..%u",
				       where, i, s->weight, FP_WEIGHT_ONE);
		sum += s->weight;
	}
	if (sum != FP_WEIGHT_ONE)
		return fp_fail(err, EINVAL, "%s.subflows: weights sum to %llu, not %u",
			       where, (unsigned long long)sum, FP_WEIGHT_ONE);
	return 0;
}

int fp_hostplan_add(struct fp_hostplan *hp, const struct fp_hostplan_entry *e,
		    struct fp_err *err)
{
	struct fp_hostplan_entry *ne;
	size_t cap;
	int ret;

	ret = fp_hostplan_check_entry(e, NULL, err);
	if (ret)
		return ret;
	if (hp->n == hp->cap) {
		cap = hp->cap ? 2 * hp->cap : 16;
		if (cap > SIZE_MAX / sizeof(*ne))
			return fp_fail(err, ENOMEM, "host plan: too many entries");
		ne = realloc(hp->e, cap * sizeof(*ne));
		if (!ne)
			return fp_fail(err, ENOMEM, "host plan: out of memory");
		hp->e = ne;
		hp->cap = cap;
	}
	hp->e[hp->n++] = *e;
	return 0;
}

static int key_cmp(const struct fp_addr *l, const struct fp_addr *r,
		   uint32_t dqpn, const struct fp_hostplan_entry *e)
{
	int c = fp_addr_cmp(l, &e->local);

	if (!c)
		c = fp_addr_cmp(r, &e->remote);
	if (!c)
		c = dqpn < e->dqpn ? -1 : dqpn > e->dqpn;
	return c;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct fp_hostplan_entry *x = a;

	return key_cmp(&x->local, &x->remote, x->dqpn, b);
}

int fp_hostplan_finish(struct fp_hostplan *hp, struct fp_err *err)
{
	char l[FP_ADDR_STRLEN], r[FP_ADDR_STRLEN];
	size_t i;

	if (hp->n > 1)
		qsort(hp->e, hp->n, sizeof(*hp->e), entry_cmp);
	for (i = 1; i < hp->n; i++)
		if (!entry_cmp(&hp->e[i - 1], &hp->e[i]))
			return fp_fail(err, EEXIST,
				       "two entries %s -> %s dqpn %u (same src_addr, dst_addr and dqpn)",
				       fp_addr_str(&hp->e[i].local, l),
				       fp_addr_str(&hp->e[i].remote, r), hp->e[i].dqpn);
	return 0;
}

static const struct fp_hostplan_entry *search(const struct fp_hostplan *hp,
						const struct fp_addr *l,
						const struct fp_addr *r, uint32_t dqpn)
{
	size_t lo = 0, hi = hp->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(l, r, dqpn, &hp->e[mid]);

		if (!c)
			return &hp->e[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct fp_hostplan_entry *
fp_hostplan_find(const struct fp_hostplan *hp, const struct fp_addr *local,
		 const struct fp_addr *remote, uint32_t dqpn)
{
	const struct fp_hostplan_entry *e;

	if (!hp || !hp->n)
		return NULL;
	if (dqpn != FP_DQPN_ANY) {
		e = search(hp, local, remote, dqpn);
		if (e)
			return e;
	}
	return search(hp, local, remote, FP_DQPN_ANY);
}

void fp_hostplan_select(struct fp_hostplan *hp, const struct fp_addr *addrs,
			size_t naddrs)
{
	struct fp_addr last;
	bool seen = false, keep = false;
	size_t i, j, n = 0;

	for (i = 0; i < hp->n; i++) {
		/* A finished plan holds each local address's entries together. */
		if (!seen || fp_addr_cmp(&last, &hp->e[i].local)) {
			last = hp->e[i].local;
			seen = true;
			keep = false;
			for (j = 0; j < naddrs && !keep; j++)
				keep = !fp_addr_cmp(&addrs[j], &last);
		}
		if (keep)
			hp->e[n++] = hp->e[i];
	}
	hp->n = n;
}
