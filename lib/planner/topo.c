// SPDX-License-Identifier: MIT
/*
 * topo.c - the fabric model: building it (names, NICs, links), checking it
 * and deriving what routing needs (out-link order, leaves, addresses,
 * two-tier shape). Readers: topojson.c (files), topogen.c (generators).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/topo.h"
#include "planner/topo_priv.h"
#include "planner/util.h"

#define FP_ADDR_BASE 0xC6120001u	/* 198.18.0.1 */

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	return h;
}

static uint32_t fnv1a32(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

void fp_topo_index_names(struct fp_topo *t)
{
	size_t cap = 16, i, j;

	while (cap < (size_t)t->nnodes * 2)
		cap *= 2;
	free(t->name_ix);
	t->name_ix = fp_xcalloc(cap, sizeof(int));
	t->name_cap = cap;
	for (i = 0; i < cap; i++)
		t->name_ix[i] = -1;
	for (i = 0; i < (size_t)t->nnodes; i++) {
		if (t->nodes[i].is_twin)	/* its name is its NIC's */
			continue;
		j = name_hash(t->nodes[i].name) & (cap - 1);
		while (t->name_ix[j] >= 0)
			j = (j + 1) & (cap - 1);
		t->name_ix[j] = (int)i;
	}
}

int fp_topo_find(const struct fp_topo *t, const char *name)
{
	size_t j;

	if (!t->name_ix)
		return -1;
	j = name_hash(name) & (t->name_cap - 1);
	while (t->name_ix[j] >= 0) {
		if (!strcmp(t->nodes[t->name_ix[j]].name, name))
			return t->name_ix[j];
		j = (j + 1) & (t->name_cap - 1);
	}
	return -1;
}

static int cmp_addr_ix(const void *a, const void *b)
{
	return fp_addr_order(&((const struct fp_addr_ix *)a)->ip, &((const struct fp_addr_ix *)b)->ip);
}

int fp_topo_find_ip(const struct fp_topo *t, const struct fp_addr *a)
{
	struct fp_addr_ix key = { .ip = *a };
	const struct fp_addr_ix *hit;

	if (!t->addr_ix)
		return -1;
	hit = bsearch(&key, t->addr_ix, (size_t)t->naddr, sizeof(key), cmp_addr_ix);
	return hit ? hit->node : -1;
}

int fp_topo_nic_family(const struct fp_topo *t, int nic, bool v6)
{
	if (nic < 0 || nic >= t->nnodes || !t->nodes[nic].is_nic)
		return -1;
	if (fp_addr_is_v4(&t->nodes[nic].ip) != v6)
		return nic;
	nic = t->nodes[nic].twin;
	return nic >= 0 && fp_addr_is_v4(&t->nodes[nic].ip) != v6 ? nic : -1;
}

int fp_topo_flow_family(const struct fp_topo *t, int src, int dst)
{
	if (fp_topo_nic_family(t, src, false) >= 0 && fp_topo_nic_family(t, dst, false) >= 0)
		return 4;
	if (fp_topo_nic_family(t, src, true) >= 0 && fp_topo_nic_family(t, dst, true) >= 0)
		return 6;
	return 0;
}

int fp_topo_family_key(const struct fp_topo *t, int src, int dst)
{
	int fam = fp_addr_is_v4(&t->nodes[src].ip) ? 4 : 6;

	return fam == fp_topo_flow_family(t, src, dst) ? 0 : fam;
}

int fp_topo_find_addr(const struct fp_topo *t, uint32_t addr)
{
	struct fp_addr a = fp_addr_v4(addr);

	return fp_topo_find_ip(t, &a);
}

static bool ip_unset(const struct fp_addr *a)
{
	static const struct fp_addr zero;

	return !fp_addr_cmp(a, &zero);
}

int fp_nic_addr_parse(const char *s, struct fp_addr *out, const char **why)
{
	struct fp_addr a;

	*why = "not an IPv4 or IPv6 address";
	if (!s || fp_addr_parse(s, &a))
		return EINVAL;
	if (fp_addr_is_v4(&a) && strchr(s, ':')) {
		*why = "an IPv4-mapped IPv6 address (write IPv4 as a dotted quad)";
		return EINVAL;
	}
	if (ip_unset(&a) || (fp_addr_is_v4(&a) && !fp_addr_to_v4(&a))) {
		*why = "the unspecified address";
		return EINVAL;
	}
	if (fp_addr_is_v4(&a) ? (a.b[12] & 0xf0) == 0xe0 : a.b[0] == 0xff) {
		*why = "a multicast address";
		return EINVAL;
	}
	*out = a;
	return 0;
}

int fp_tb_node(struct fp_topo_builder *b, const char *name)
{
	struct fp_topo *t = b->t;
	struct fp_node *n;

	FP_GROW(t->nodes, b->node_cap, (size_t)t->nnodes + 1);
	n = &t->nodes[t->nnodes];
	n->name = fp_xstrdup(name);
	n->pod = -1;
	n->gpu = -1;
	n->leaf = -1;
	n->up_link = n->down_link = -1;
	n->leaf_idx = -1;
	n->twin = -1;
	n->seed = t->seed;
	return t->nnodes++;
}

int fp_tb_switch(struct fp_topo_builder *b, const char *name, int tier, int pod)
{
	int id = fp_tb_node(b, name);

	b->t->nodes[id].tier = tier;
	b->t->nodes[id].pod = pod;
	return id;
}

int fp_tb_host(struct fp_topo_builder *b, const char *name)
{
	struct fp_topo *t = b->t;

	FP_GROW(t->hosts, b->host_cap, (size_t)t->nhosts + 1);
	t->hosts[t->nhosts].name = fp_xstrdup(name);
	t->hosts[t->nhosts].first_nic = t->nnodes;
	return t->nhosts++;
}

int fp_tb_nic(struct fp_topo_builder *b, int host, const char *name)
{
	int id = fp_tb_node(b, name);

	b->t->nodes[id].is_nic = true;
	b->t->nodes[id].host = host;
	b->t->hosts[host].nnics++;
	return id;
}

int fp_tb_twin(struct fp_topo_builder *b, int nic, const struct fp_addr *ip)
{
	int id = fp_tb_node(b, b->t->nodes[nic].name);
	struct fp_node *n = &b->t->nodes[id], *o = &b->t->nodes[nic];

	n->is_nic = n->is_twin = true;
	n->host = o->host;
	n->gpu = o->gpu;
	n->ip = *ip;
	n->twin = nic;
	o->twin = id;
	return id;
}

void fp_tb_link(struct fp_topo_builder *b, int a, int z, double gbps, bool up)
{
	struct fp_topo *t = b->t;
	int i = t->nlinks;

	FP_GROW(t->links, b->link_cap, (size_t)t->nlinks + 2);
	t->links[i] = (struct fp_link){ .from = a, .to = z, .gbps = gbps, .up = up,
					.rev = i + 1, .idx = i / 2 };
	t->links[i + 1] = (struct fp_link){ .from = z, .to = a, .gbps = gbps, .up = up,
					    .rev = i, .idx = i / 2 };
	t->nlinks += 2;
}

static const struct fp_topo *sort_topo;

static int cmp_out(const void *a, const void *b)
{
	const struct fp_link *x = &sort_topo->links[*(const int *)a];
	const struct fp_link *y = &sort_topo->links[*(const int *)b];
	int c = strcmp(sort_topo->nodes[x->to].name, sort_topo->nodes[y->to].name);

	return c ? c : x->to - y->to ? x->to - y->to : *(const int *)a - *(const int *)b;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}


/* Derive everything the planner needs once the nodes and links are in. */
int fp_topo_finalize(struct fp_topo *t, const char *name, struct fp_err *err)
{
	int i, l, nsw = 0, nnic = 0;
	int *cnt;
	uint32_t next = FP_ADDR_BASE, next6 = 1;
	size_t given;
	char a[FP_ADDR_STRLEN];

	for (i = 0; i < t->nnodes && !t->nodes[i].is_nic; i++)
		;
	t->nswitches = i;
	for (; i < t->nnodes; i++)
		if (!t->nodes[i].is_nic)
			return fp_fail(err, EINVAL, "%s: internal error: switches must precede NICs", name);
	for (i = t->nswitches + 1; i < t->nnodes; i++)
		if (t->nodes[i - 1].is_twin && !t->nodes[i].is_twin)
			return fp_fail(err, EINVAL, "%s: internal error: NICs must precede twins", name);
	fp_topo_index_names(t);
	/*
	 * Switches without a seed of their own hash with the global seed mixed
	 * with their name: equal seeds everywhere would polarise multi-tier ECMP.
	 */
	for (i = 0; i < t->nnodes; i++)
		if (!t->nodes[i].is_nic && !t->nodes[i].seed_set)
			t->nodes[i].seed = t->seed ^ fnv1a32(t->nodes[i].name);
	for (i = 0; i < t->nnodes; i++)
		if (!t->nodes[i].is_nic && !t->nodes[i].hfields_set)
			t->nodes[i].hfields = (uint8_t)t->hash_fields;
	for (i = 0; i < t->nnodes; i++) {
		if (!t->nodes[i].is_twin && fp_topo_find(t, t->nodes[i].name) != i)
			return fp_fail(err, EINVAL, "%s: name \"%s\" is used twice", name,
				       t->nodes[i].name);
	}
	if (!t->nhosts)
		return fp_fail(err, EINVAL, "%s: no hosts", name);
	{
		const char **hn = fp_xcalloc((size_t)t->nhosts, sizeof(char *));

		for (i = 0; i < t->nhosts; i++) {
			hn[i] = t->hosts[i].name;
			if (fp_topo_find(t, hn[i]) >= 0) {
				free(hn);
				return fp_fail(err, EINVAL, "%s: name \"%s\" is used twice", name,
					       t->hosts[i].name);
			}
		}
		qsort(hn, (size_t)t->nhosts, sizeof(char *), cmp_str);
		for (i = 1; i < t->nhosts; i++) {
			if (!strcmp(hn[i], hn[i - 1])) {
				int rc = fp_fail(err, EINVAL, "%s: name \"%s\" is used twice", name, hn[i]);

				free(hn);
				return rc;
			}
		}
		free(hn);
	}

	cnt = fp_xcalloc((size_t)t->nnodes, sizeof(int));
	for (l = 0; l < t->nlinks; l++) {
		struct fp_link *k = &t->links[l];
		struct fp_node *f = &t->nodes[k->from], *z = &t->nodes[k->to];

		if (k->from == k->to) {
			free(cnt);
			return fp_fail(err, EINVAL, "%s: links[%d]: links %s to itself", name,
				       k->idx, f->name);
		}
		if (f->is_nic && z->is_nic) {
			free(cnt);
			return fp_fail(err, EINVAL, "%s: links[%d]: NIC %s linked to NIC %s", name,
				       k->idx, f->name, z->name);
		}
		if (f->is_nic) {
			if (z->tier != 1 || f->leaf >= 0) {
				free(cnt);
				return fp_fail(err, EINVAL, "%s: links[%d]: NIC %s must have exactly one link, to a leaf (tier 1)",
					       name, k->idx, f->name);
			}
			f->leaf = k->to;
			f->up_link = l;
			f->down_link = k->rev;
		} else if (!z->is_nic) {
			cnt[k->from]++;
		}
	}
	/* A twin has its NIC's link (fp_tb_twin() set the rest). */
	for (i = 0; i < t->nnodes; i++) {
		struct fp_node *n = &t->nodes[i];

		if (n->is_twin) {
			n->gpu = t->nodes[n->twin].gpu;
			n->leaf = t->nodes[n->twin].leaf;
			n->up_link = t->nodes[n->twin].up_link;
			n->down_link = t->nodes[n->twin].down_link;
		}
	}
	/* CSR of switch-to-switch out links, ordered by neighbour name. */
	t->out = fp_xcalloc((size_t)t->nlinks + 1, sizeof(int));
	for (i = 0, l = 0; i < t->nnodes; i++) {
		t->nodes[i].out_off = l;
		l += cnt[i];
		t->nodes[i].out_n = 0;
	}
	for (l = 0; l < t->nlinks; l++) {
		struct fp_link *k = &t->links[l];

		if (!t->nodes[k->from].is_nic && !t->nodes[k->to].is_nic) {
			struct fp_node *f = &t->nodes[k->from];

			t->out[f->out_off + f->out_n++] = l;
		}
	}
	sort_topo = t;
	for (i = 0; i < t->nnodes; i++)
		if (t->nodes[i].out_n > 1)
			qsort(t->out + t->nodes[i].out_off, (size_t)t->nodes[i].out_n,
			      sizeof(int), cmp_out);
	free(cnt);

	t->leaves = fp_xcalloc((size_t)t->nnodes, sizeof(int));
	t->nleaves = 0;
	t->max_tier = 0;
	for (i = 0; i < t->nnodes; i++) {
		struct fp_node *n = &t->nodes[i];

		if (n->is_nic) {
			if (n->leaf < 0)
				return fp_fail(err, EINVAL, "%s: NIC %s has no link to a leaf", name, n->name);
			if (ip_unset(&n->ip) && n->addr)
				n->ip = fp_addr_v4(n->addr);
			nnic++;
			continue;
		}
		nsw++;
		if (n->tier > t->max_tier)
			t->max_tier = n->tier;
		if (n->tier == 1) {
			n->leaf_idx = t->nleaves;
			t->leaves[t->nleaves++] = i;
		}
	}
	/* The address index: fp_topo_find_ip() and the duplicate check. */
	t->addr_ix = fp_xcalloc((size_t)nnic + 1, sizeof(*t->addr_ix));
	for (i = 0, t->naddr = 0; i < t->nnodes; i++)
		if (t->nodes[i].is_nic && !ip_unset(&t->nodes[i].ip))
			t->addr_ix[t->naddr++] = (struct fp_addr_ix){ t->nodes[i].ip, i };
	qsort(t->addr_ix, (size_t)t->naddr, sizeof(*t->addr_ix), cmp_addr_ix);
	given = t->naddr;
	/*
	 * Generated addresses skip the ones given explicitly: IPv4 from
	 * FP_ADDR_BASE, IPv6 (gen_v6, and twins) from 2001:2::1 (RFC 5180's
	 * benchmarking prefix 2001:2::/48) on.
	 */
	for (i = 0; i < t->nnodes; i++) {
		struct fp_node *n = &t->nodes[i];
		struct fp_addr_ix key = { .node = i };

		if (!n->is_nic || !ip_unset(&n->ip))
			continue;
		for (;;) {
			if (t->gen_v6 || n->is_twin) {
				key.ip = (struct fp_addr){ .b = { 0x20, 0x01, 0x00, 0x02 } };
				key.ip.b[12] = (uint8_t)(next6 >> 24);
				key.ip.b[13] = (uint8_t)(next6 >> 16);
				key.ip.b[14] = (uint8_t)(next6 >> 8);
				key.ip.b[15] = (uint8_t)next6;
				next6++;
			} else {
				key.ip = fp_addr_v4(__builtin_bswap32(next++));
			}
			if (!bsearch(&key, t->addr_ix, given, sizeof(key), cmp_addr_ix))
				break;
		}
		n->ip = key.ip;
		t->addr_ix[t->naddr++] = key;
	}
	for (i = 0; i < t->nnodes; i++)
		if (t->nodes[i].is_nic)
			t->nodes[i].addr = fp_addr_is_v4(&t->nodes[i].ip) ?
					   fp_addr_to_v4(&t->nodes[i].ip) : 0;
	qsort(t->addr_ix, (size_t)t->naddr, sizeof(*t->addr_ix), cmp_addr_ix);
	for (i = 1; i < t->naddr; i++)
		if (!fp_addr_cmp(&t->addr_ix[i].ip, &t->addr_ix[i - 1].ip))
			return fp_fail(err, EINVAL, "%s: address %s is used by two NICs", name,
				       fp_addr_str(&t->addr_ix[i].ip, a));

	/* Two-tier: leaves and spines only, every spine on every leaf once. */
	t->two_tier = t->max_tier == 2;
	for (i = 0; t->two_tier && i < t->nnodes; i++) {
		struct fp_node *n = &t->nodes[i];
		int j, prev = -1;

		if (n->is_nic)
			continue;
		if (n->out_n != (n->tier == 1 ? nsw - t->nleaves : t->nleaves))
			t->two_tier = false;
		for (j = 0; j < n->out_n; j++) {
			int to = t->links[t->out[n->out_off + j]].to;

			if (t->nodes[to].tier == n->tier || to == prev)
				t->two_tier = false;
			prev = to;
		}
	}
	if (t->two_tier) {
		t->s2l = fp_xcalloc((size_t)t->nswitches * (size_t)t->nleaves, sizeof(int));
		for (l = 0; l < t->nlinks; l++) {
			const struct fp_link *k = &t->links[l];

			if (!t->nodes[k->from].is_nic && t->nodes[k->from].tier == 2)
				t->s2l[(size_t)k->from * (size_t)t->nleaves +
				       (size_t)t->nodes[k->to].leaf_idx] = l;
		}
	}
	t->dist_to_leaf = fp_xcalloc((size_t)t->nleaves, sizeof(int *));
	return 0;
}

int fp_topo_link(const struct fp_topo *t, int a, int b)
{
	int i;

	if (a < 0 || a >= t->nnodes || b < 0 || b >= t->nnodes)
		return -1;
	if (t->nodes[a].is_nic)
		return t->links[t->nodes[a].up_link].to == b ? t->nodes[a].up_link : -1;
	if (t->nodes[b].is_nic)
		return t->links[t->nodes[b].down_link].from == a ? t->nodes[b].down_link : -1;
	for (i = 0; i < t->nodes[a].out_n; i++)
		if (t->links[t->out[t->nodes[a].out_off + i]].to == b)
			return t->out[t->nodes[a].out_off + i];
	return -1;
}

void fp_topo_free(struct fp_topo *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < (size_t)t->nnodes; i++)
		free(t->nodes[i].name);
	for (i = 0; i < (size_t)t->nhosts; i++)
		free(t->hosts[i].name);
	if (t->dist_to_leaf)
		for (i = 0; i < (size_t)t->nleaves; i++)
			free(t->dist_to_leaf[i]);
	fp_topo_paths_free(t);
	free(t->dist_to_leaf);
	free(t->s2l);
	free(t->addr_ix);
	free(t->nodes);
	free(t->links);
	free(t->hosts);
	free(t->out);
	free(t->leaves);
	free(t->name_ix);
	free(t->name);
	free(t);
}
