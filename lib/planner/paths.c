// SPDX-License-Identifier: MIT
/*
 * paths.c - shortest live paths between leaves, enumerated once per leaf
 * pair and cached in the topology.
 */
#include <errno.h>
#include <stdlib.h>

#include "planner/topo.h"
#include "planner/topo_priv.h"
#include "planner/util.h"

struct fp_path_cache {
	uint64_t *key;		/* src_idx * nleaves + dst_idx + 1; 0 = empty */
	struct fp_path **paths;
	int *n;
	size_t cap, used;
};

void fp_topo_paths_free(struct fp_topo *t)
{
	size_t i;

	if (!t->paths)
		return;
	for (i = 0; i < t->paths->cap; i++)
		free(t->paths->paths[i]);
	free(t->paths->key);
	free(t->paths->paths);
	free(t->paths->n);
	free(t->paths);
	t->paths = NULL;
}

static const int *dist_to(struct fp_topo *t, int dst_leaf)
{
	int li = t->nodes[dst_leaf].leaf_idx, *d, *q, qh = 0, qt = 0, i;

	if (t->dist_to_leaf[li])
		return t->dist_to_leaf[li];
	d = fp_xcalloc((size_t)t->nswitches, sizeof(int));
	q = fp_xcalloc((size_t)t->nswitches, sizeof(int));
	for (i = 0; i < t->nswitches; i++)
		d[i] = -1;
	d[dst_leaf] = 0;
	q[qt++] = dst_leaf;
	/* Links are symmetric in liveness, so out links of v lead to its predecessors. */
	while (qh < qt) {
		int v = q[qh++];
		const struct fp_node *n = &t->nodes[v];

		for (i = 0; i < n->out_n; i++) {
			const struct fp_link *k = &t->links[t->out[n->out_off + i]];

			if (k->up && d[k->to] < 0) {
				d[k->to] = d[v] + 1;
				q[qt++] = k->to;
			}
		}
	}
	free(q);
	t->dist_to_leaf[li] = d;
	return d;
}

/* Depth first, next hops in name order; false once there are too many. */
static bool enum_paths(struct fp_topo *t, const int *d, int v, struct fp_path *cur,
		       struct fp_path **out, int *n, size_t *cap)
{
	const struct fp_node *nd = &t->nodes[v];
	int i;

	if (d[v] == 0) {
		if (*n == FP_MAX_PATHS)
			return false;
		FP_GROW(*out, *cap, (size_t)*n + 1);
		(*out)[(*n)++] = *cur;
		return true;
	}
	if (cur->len >= FP_PATH_MAX_LEN)
		return true;
	for (i = 0; i < nd->out_n; i++) {
		int l = t->out[nd->out_off + i];
		const struct fp_link *k = &t->links[l];

		if (!k->up || d[k->to] != d[v] - 1)
			continue;
		cur->link[cur->len++] = l;
		if (!enum_paths(t, d, k->to, cur, out, n, cap))
			return false;
		cur->len--;
	}
	return true;
}

static void cache_grow(struct fp_path_cache *c)
{
	struct fp_path_cache nc = { .cap = c->cap ? c->cap * 2 : 64 };
	size_t i, j;

	nc.key = fp_xcalloc(nc.cap, sizeof(uint64_t));
	nc.paths = fp_xcalloc(nc.cap, sizeof(struct fp_path *));
	nc.n = fp_xcalloc(nc.cap, sizeof(int));
	for (i = 0; i < c->cap; i++) {
		if (!c->key[i])
			continue;
		j = (c->key[i] * 0x9e3779b97f4a7c15ull) >> 20 & (nc.cap - 1);
		while (nc.key[j])
			j = (j + 1) & (nc.cap - 1);
		nc.key[j] = c->key[i];
		nc.paths[j] = c->paths[i];
		nc.n[j] = c->n[i];
	}
	nc.used = c->used;
	free(c->key);
	free(c->paths);
	free(c->n);
	*c = nc;
}

/* Between two leaves: from the cache, else enumerated and cached. */
static struct fp_pathset leaf_paths(struct fp_topo *t, int src_leaf, int dst_leaf)
{
	struct fp_path_cache *c = t->paths;
	uint64_t key = (uint64_t)t->nodes[src_leaf].leaf_idx * (uint64_t)t->nleaves +
		       (uint64_t)t->nodes[dst_leaf].leaf_idx + 1;
	struct fp_path cur = { 0 }, *p = NULL;
	size_t j, cap = 0;
	int n = 0;
	const int *d;

	if (!c)
		c = t->paths = fp_xcalloc(1, sizeof(*c));
	if (c->cap) {
		j = (key * 0x9e3779b97f4a7c15ull) >> 20 & (c->cap - 1);
		while (c->key[j]) {
			if (c->key[j] == key && c->n[j] < 0)
				return (struct fp_pathset){ .too_many = true };
			if (c->key[j] == key)
				return (struct fp_pathset){ c->n[j], c->paths[j], false };
			j = (j + 1) & (c->cap - 1);
		}
	}
	if (t->two_tier) {
		/* leaf -> spine -> leaf, spines in name order, both links live */
		const struct fp_node *a = &t->nodes[src_leaf];
		int i, up, dn;

		/* Room for a path per uplink at once, not grown path by path. */
		FP_GROW(p, cap, (size_t)(a->out_n < FP_MAX_PATHS ? a->out_n : FP_MAX_PATHS));
		for (i = 0; i < a->out_n; i++) {
			up = t->out[a->out_off + i];
			dn = t->s2l[(size_t)t->links[up].to * (size_t)t->nleaves +
				    (size_t)t->nodes[dst_leaf].leaf_idx];
			if (!t->links[up].up || !t->links[dn].up)
				continue;
			if (n == FP_MAX_PATHS) {
				n = -1;
				break;
			}
			FP_GROW(p, cap, (size_t)n + 1);
			p[n].len = 2;
			p[n].link[0] = up;
			p[n].link[1] = dn;
			n++;
		}
	} else {
		d = dist_to(t, dst_leaf);
		if (d[src_leaf] >= 0 && !enum_paths(t, d, src_leaf, &cur, &p, &n, &cap))
			n = -1;
	}
	if (n < 0) {
		free(p);
		p = NULL;
	}
	if ((c->used + 1) * 2 > c->cap)
		cache_grow(c);
	j = (key * 0x9e3779b97f4a7c15ull) >> 20 & (c->cap - 1);
	while (c->key[j])
		j = (j + 1) & (c->cap - 1);
	c->key[j] = key;
	c->paths[j] = p;
	c->n[j] = n;
	c->used++;
	if (n < 0)
		return (struct fp_pathset){ .too_many = true };
	return (struct fp_pathset){ n, p, false };
}

struct fp_pathset fp_topo_paths(struct fp_topo *t, int src_leaf, int dst_leaf)
{
	/*
	 * Within one leaf: one empty path, never cached; tested before the
	 * cache is probed (most of a ring's flows stay in their leaf).
	 */
	if (src_leaf == dst_leaf) {
		static const struct fp_path local;

		return (struct fp_pathset){ 1, &local, false };
	}
	return leaf_paths(t, src_leaf, dst_leaf);
}

/*
 * The next hops a switch has toward the destination are the distinct next
 * links among the shortest paths sharing the prefix that reached it, and the
 * path enumeration keeps them in neighbour-name order, in contiguous blocks.
 */
int fp_pathset_nexthops(const struct fp_pathset *ps, int hop, int lo, int hi)
{
	int n = 0, i;

	for (i = lo; i < hi; i++)
		if (i == lo || ps->p[i].link[hop] != ps->p[i - 1].link[hop])
			n++;
	return n;
}

int fp_pathset_nexthop(const struct fp_pathset *ps, int hop, int lo, int hi, int k,
		       int *blo, int *bhi)
{
	int i, b = -1;

	for (i = lo; i < hi; i++) {
		if (i == lo || ps->p[i].link[hop] != ps->p[i - 1].link[hop]) {
			if (b == k) {
				*bhi = i;
				return 0;
			}
			if (++b == k)
				*blo = i;
		}
	}
	if (b != k)
		return ENOENT;
	*bhi = hi;
	return 0;
}

int fp_pathset_nexthop_of(const struct fp_pathset *ps, int hop, int lo, int hi, int path,
			  int *blo, int *bhi)
{
	int i, b = 0, start = lo;

	for (i = lo + 1; i < hi; i++) {
		if (ps->p[i].link[hop] == ps->p[i - 1].link[hop])
			continue;
		if (i > path) {
			*blo = start;
			*bhi = i;
			return b;
		}
		start = i;
		b++;
	}
	*blo = start;
	*bhi = hi;
	return b;
}

static bool path_uses(const struct fp_path *p, int l, int r)
{
	int h;

	for (h = 0; h < p->len; h++)
		if (p->link[h] == l || p->link[h] == r)
			return true;
	return false;
}

int fp_topo_link_set(struct fp_topo *t, int l, bool up)
{
	struct fp_path_cache *c = t->paths;
	int r, i;
	size_t j;

	if (l < 0 || l >= t->nlinks)
		return EINVAL;
	r = t->links[l].rev;
	if (t->links[l].up == up)
		return 0;
	t->links[l].up = t->links[r].up = up;
	if (t->nodes[t->links[l].from].is_nic || t->nodes[t->links[l].to].is_nic)
		return 0;	/* host links are on no path between leaves */
	t->paths_gen++;
	if (up) {
		/* New shortest paths may appear anywhere: forget everything. */
		for (i = 0; i < t->nleaves; i++) {
			free(t->dist_to_leaf[i]);
			t->dist_to_leaf[i] = NULL;
		}
		fp_topo_paths_free(t);
		return 0;
	}
	/*
	 * Down: only pairs with a shortest path over the link lose paths, and
	 * only distances to leaves it was on the way to can grow.
	 */
	for (i = 0; i < t->nleaves; i++) {
		const int *d = t->dist_to_leaf[i];
		int a = t->links[l].from, b = t->links[l].to;

		if (d && ((d[a] >= 0 && d[a] == d[b] + 1) || (d[b] >= 0 && d[b] == d[a] + 1))) {
			free(t->dist_to_leaf[i]);
			t->dist_to_leaf[i] = NULL;
		}
	}
	if (!c || !c->cap)
		return 0;
	{
		struct fp_path_cache keep = *c;
		size_t k;

		/* Rebuild the table without the pairs the link was on. */
		c->key = fp_xcalloc(c->cap, sizeof(uint64_t));
		c->paths = fp_xcalloc(c->cap, sizeof(struct fp_path *));
		c->n = fp_xcalloc(c->cap, sizeof(int));
		c->used = 0;
		for (j = 0; j < keep.cap; j++) {
			bool hit = false;

			if (!keep.key[j])
				continue;
			for (i = 0; i < keep.n[j] && !hit; i++)
				hit = path_uses(&keep.paths[j][i], l, r);
			if (hit) {
				free(keep.paths[j]);
				continue;
			}
			k = (keep.key[j] * 0x9e3779b97f4a7c15ull) >> 20 & (c->cap - 1);
			while (c->key[k])
				k = (k + 1) & (c->cap - 1);
			c->key[k] = keep.key[j];
			c->paths[k] = keep.paths[j];
			c->n[k] = keep.n[j];
			c->used++;
		}
		free(keep.key);
		free(keep.paths);
		free(keep.n);
	}
	return 0;
}
