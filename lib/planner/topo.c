// SPDX-License-Identifier: MIT
/*
 * topo.c - fabric model: file parsing, generators, export, routing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "planner/topo.h"
#include "planner/util.h"

#define FP_ADDR_BASE 0xC6120001u	/* 198.18.0.1 */

struct fp_path_cache {
	uint64_t *key;		/* src_idx * nleaves + dst_idx + 1; 0 = empty */
	struct fp_path **paths;
	int *n;
	size_t cap, used;
};

struct builder {
	struct fp_topo *t;
	size_t node_cap, link_cap, host_cap;
};

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

/* MurmurHash3's 32-bit finaliser: decorrelates the tiers' linear hashes. */
static uint32_t fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

static void index_rebuild(struct fp_topo *t)
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

/* Compares the leading uint32_t: plain addresses and struct fp_addr_ix alike. */
static int cmp_addr(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int fp_topo_find_addr(const struct fp_topo *t, uint32_t addr)
{
	struct fp_addr_ix key = { .addr = addr };
	const struct fp_addr_ix *hit;

	if (!t->addr_ix)
		return -1;
	hit = bsearch(&key, t->addr_ix, (size_t)t->naddr, sizeof(key), cmp_addr);
	return hit ? hit->node : -1;
}

static int add_node(struct builder *b, const char *name)
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
	n->seed = t->seed;
	return t->nnodes++;
}

static int add_switch(struct builder *b, const char *name, int tier, int pod)
{
	int id = add_node(b, name);

	b->t->nodes[id].tier = tier;
	b->t->nodes[id].pod = pod;
	return id;
}

static int add_host(struct builder *b, const char *name)
{
	struct fp_topo *t = b->t;

	FP_GROW(t->hosts, b->host_cap, (size_t)t->nhosts + 1);
	t->hosts[t->nhosts].name = fp_xstrdup(name);
	t->hosts[t->nhosts].first_nic = t->nnodes;
	return t->nhosts++;
}

static int add_nic(struct builder *b, int host, const char *name)
{
	int id = add_node(b, name);

	b->t->nodes[id].is_nic = true;
	b->t->nodes[id].host = host;
	b->t->hosts[host].nnics++;
	return id;
}

static void add_link(struct builder *b, int a, int z, double gbps, bool up)
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
static int finalize(struct fp_topo *t, const char *name, struct fp_err *err)
{
	int i, l, nsw = 0, nnic = 0;
	int *cnt;
	uint32_t *addrs, next = FP_ADDR_BASE;
	char a[16];

	for (i = 0; i < t->nnodes && !t->nodes[i].is_nic; i++)
		;
	t->nswitches = i;
	for (; i < t->nnodes; i++)
		if (!t->nodes[i].is_nic)
			return fp_fail(err, EINVAL, "%s: internal error: switches must precede NICs", name);
	index_rebuild(t);
	/*
	 * Switches without a seed of their own hash with the global seed mixed
	 * with their name: equal seeds everywhere would polarise multi-tier ECMP.
	 */
	for (i = 0; i < t->nnodes; i++)
		if (!t->nodes[i].is_nic && !t->nodes[i].seed_set)
			t->nodes[i].seed = t->seed ^ fnv1a32(t->nodes[i].name);
	for (i = 0; i < t->nnodes; i++) {
		if (fp_topo_find(t, t->nodes[i].name) != i)
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
	addrs = fp_xcalloc((size_t)t->nnodes, sizeof(uint32_t));
	for (i = 0; i < t->nnodes; i++) {
		struct fp_node *n = &t->nodes[i];

		if (n->is_nic) {
			if (n->leaf < 0) {
				free(addrs);
				return fp_fail(err, EINVAL, "%s: NIC %s has no link to a leaf", name, n->name);
			}
			addrs[nnic++] = n->addr;
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
	/* Generated addresses skip the ones given explicitly. */
	qsort(addrs, (size_t)nnic, sizeof(uint32_t), cmp_addr);
	for (i = 0; i < t->nnodes; i++) {
		struct fp_node *n = &t->nodes[i];

		if (!n->is_nic || n->addr)
			continue;
		for (;;) {
			uint32_t be = __builtin_bswap32(next);

			if (!bsearch(&be, addrs, (size_t)nnic, sizeof(uint32_t), cmp_addr))
				break;
			next++;
		}
		n->addr = __builtin_bswap32(next++);
	}
	free(addrs);
	/* The address index: fp_topo_find_addr() and the duplicate check. */
	t->addr_ix = fp_xcalloc((size_t)nnic, sizeof(*t->addr_ix));
	for (i = 0, t->naddr = 0; i < t->nnodes; i++)
		if (t->nodes[i].is_nic)
			t->addr_ix[t->naddr++] = (struct fp_addr_ix){ t->nodes[i].addr, i };
	qsort(t->addr_ix, (size_t)t->naddr, sizeof(*t->addr_ix), cmp_addr);
	for (i = 1; i < t->naddr; i++)
		if (t->addr_ix[i].addr == t->addr_ix[i - 1].addr)
			return fp_fail(err, EINVAL, "%s: address %s is used by two NICs", name,
				       fp_ipv4_str(t->addr_ix[i].addr, a));

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
	t->paths = fp_xcalloc(1, sizeof(*t->paths));
	return 0;
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
	if (t->paths) {
		for (i = 0; i < t->paths->cap; i++)
			free(t->paths->paths[i]);
		free(t->paths->key);
		free(t->paths->paths);
		free(t->paths->n);
		free(t->paths);
	}
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

/* ---- JSON file ---- */

static int get_int(struct json_object *o, const char *key, int64_t lo, int64_t hi,
		   int64_t *v, const char *name, const char *where, struct fp_err *err)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x))
		return ENOENT;
	if (!json_object_is_type(x, json_type_int))
		return fp_fail(err, EINVAL, "%s: %s.%s: expected an integer", name, where, key);
	*v = json_object_get_int64(x);
	if (*v < lo || *v > hi)
		return fp_fail(err, ERANGE, "%s: %s.%s: %lld is out of range %lld..%lld", name,
			       where, key, (long long)*v, (long long)lo, (long long)hi);
	return 0;
}

static const char *get_str(struct json_object *o, const char *key, const char *name,
			   const char *where, struct fp_err *err, int *rc)
{
	struct json_object *x;

	*rc = 0;
	if (!json_object_object_get_ex(o, key, &x)) {
		*rc = fp_fail(err, EINVAL, "%s: %s: missing \"%s\"", name, where, key);
		return NULL;
	}
	if (!json_object_is_type(x, json_type_string) || !json_object_get_string_len(x)) {
		*rc = fp_fail(err, EINVAL, "%s: %s.%s: expected a non-empty string", name, where, key);
		return NULL;
	}
	return json_object_get_string(x);
}

static struct json_object *get_arr(struct json_object *o, const char *key, const char *name,
				   struct fp_err *err, int *rc)
{
	struct json_object *x;

	*rc = 0;
	if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_array)) {
		*rc = fp_fail(err, EINVAL, "%s: missing array \"%s\"", name, key);
		return NULL;
	}
	return x;
}

static int check_header(struct json_object *root, const char *format, const char *name,
			struct fp_err *err)
{
	struct json_object *f, *v;

	if (!json_object_is_type(root, json_type_object))
		return fp_fail(err, EINVAL, "%s: expected a JSON object", name);
	if (!json_object_object_get_ex(root, "format", &f) ||
	    strcmp(json_object_get_string(f), format))
		return fp_fail(err, EINVAL, "%s: \"format\" must be \"%s\"", name, format);
	if (!json_object_object_get_ex(root, "version", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int(v) != 1)
		return fp_fail(err, EINVAL, "%s: unsupported \"version\" (this reader knows 1)", name);
	return 0;
}

static int parse_json(struct json_object *root, const char *name, struct builder *b,
		      struct fp_err *err)
{
	static const char *const top_keys[] = { "format", "version", "name", "hash", "switches",
						"hosts", "links", NULL };
	static const char *const hash_keys[] = { "fn", "seed", NULL };
	static const char *const sw_keys[] = { "name", "tier", "pod", "seed", NULL };
	static const char *const host_keys[] = { "name", "nics", NULL };
	static const char *const nic_keys[] = { "name", "addr", "gpu", NULL };
	static const char *const link_keys[] = { "a", "b", "gbps", "up", NULL };
	struct fp_topo *t = b->t;
	struct json_object *arr, *x, *h;
	char where[96];
	int rc;
	size_t i, j;
	int64_t v;

	rc = check_header(root, "flowplan-topology", name, err);
	if (!rc)
		rc = fp_json_keys(root, top_keys, name, "topology", err);
	if (rc)
		return rc;
	t->name = fp_xstrdup(json_object_object_get_ex(root, "name", &x) ?
			     json_object_get_string(x) : "unnamed");
	t->hash_fn = FP_HASH_CRC32;
	if (json_object_object_get_ex(root, "hash", &h)) {
		rc = fp_json_keys(h, hash_keys, name, "hash", err);
		if (rc)
			return rc;
		if (json_object_object_get_ex(h, "fn", &x) &&
		    fp_hash_parse(json_object_get_string(x), &t->hash_fn))
			return fp_fail(err, EINVAL, "%s: hash.fn: unknown hash \"%s\" (crc32, crc32c, crc16, xor, toeplitz)",
				       name, json_object_get_string(x));
		rc = get_int(h, "seed", 0, UINT32_MAX, &v, name, "hash", err);
		if (rc && rc != ENOENT)
			return rc;
		t->seed = rc ? 0 : (uint32_t)v;
	}

	arr = get_arr(root, "switches", name, err, &rc);
	if (!arr)
		return rc;
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *s = json_object_array_get_idx(arr, i);
		const char *sn;
		int id, tier, pod = -1;

		snprintf(where, sizeof(where), "switches[%zu]", i);
		rc = fp_json_keys(s, sw_keys, name, where, err);
		if (rc)
			return rc;
		sn = get_str(s, "name", name, where, err, &rc);
		if (!sn)
			return rc;
		rc = get_int(s, "tier", 1, 3, &v, name, where, err);
		if (rc)
			return rc == ENOENT ? fp_fail(err, EINVAL, "%s: %s: missing \"tier\"", name, where) : rc;
		tier = (int)v;
		rc = get_int(s, "pod", 0, 1 << 20, &v, name, where, err);
		if (rc && rc != ENOENT)
			return rc;
		if (!rc)
			pod = (int)v;
		id = add_switch(b, sn, tier, pod);
		rc = get_int(s, "seed", 0, UINT32_MAX, &v, name, where, err);
		if (rc && rc != ENOENT)
			return rc;
		if (!rc) {
			t->nodes[id].seed = (uint32_t)v;
			t->nodes[id].seed_set = true;
		}
	}

	arr = get_arr(root, "hosts", name, err, &rc);
	if (!arr)
		return rc;
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *ho = json_object_array_get_idx(arr, i), *nics;
		const char *hn;
		int hid;

		snprintf(where, sizeof(where), "hosts[%zu]", i);
		rc = fp_json_keys(ho, host_keys, name, where, err);
		if (rc)
			return rc;
		hn = get_str(ho, "name", name, where, err, &rc);
		if (!hn)
			return rc;
		hid = add_host(b, hn);
		if (!json_object_object_get_ex(ho, "nics", &nics) ||
		    !json_object_is_type(nics, json_type_array) || !json_object_array_length(nics))
			return fp_fail(err, EINVAL, "%s: %s: \"nics\" must be a non-empty array", name, where);
		for (j = 0; j < json_object_array_length(nics); j++) {
			struct json_object *no = json_object_array_get_idx(nics, j);
			const char *nn;
			int nid;

			snprintf(where, sizeof(where), "hosts[%zu].nics[%zu]", i, j);
			rc = fp_json_keys(no, nic_keys, name, where, err);
			if (rc)
				return rc;
			nn = get_str(no, "name", name, where, err, &rc);
			if (!nn)
				return rc;
			nid = add_nic(b, hid, nn);
			if (json_object_object_get_ex(no, "addr", &x) &&
			    fp_parse_ipv4(json_object_get_string(x), &t->nodes[nid].addr))
				return fp_fail(err, EINVAL, "%s: %s.addr: \"%s\" is not an IPv4 address",
					       name, where, json_object_get_string(x));
			rc = get_int(no, "gpu", 0, 1024, &v, name, where, err);
			if (rc && rc != ENOENT)
				return rc;
			if (!rc)
				t->nodes[nid].gpu = (int)v;
		}
	}

	arr = get_arr(root, "links", name, err, &rc);
	if (!arr)
		return rc;
	index_rebuild(t);
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *lo = json_object_array_get_idx(arr, i);
		const char *an, *bn;
		int ai, bi;
		double gbps;
		bool up = true;

		snprintf(where, sizeof(where), "links[%zu]", i);
		rc = fp_json_keys(lo, link_keys, name, where, err);
		if (rc)
			return rc;
		an = get_str(lo, "a", name, where, err, &rc);
		if (!an)
			return rc;
		bn = get_str(lo, "b", name, where, err, &rc);
		if (!bn)
			return rc;
		ai = fp_topo_find(t, an);
		bi = fp_topo_find(t, bn);
		if (ai < 0 || bi < 0)
			return fp_fail(err, EINVAL, "%s: %s: unknown node \"%s\"", name, where,
				       ai < 0 ? an : bn);
		if (!json_object_object_get_ex(lo, "gbps", &x) ||
		    !(json_object_is_type(x, json_type_int) || json_object_is_type(x, json_type_double)) ||
		    (gbps = json_object_get_double(x)) <= 0 || gbps > 1e6)
			return fp_fail(err, EINVAL, "%s: %s.gbps: expected a capacity in Gbit/s (0 < gbps <= 1e6)",
				       name, where);
		if (json_object_object_get_ex(lo, "up", &x)) {
			if (!json_object_is_type(x, json_type_boolean))
				return fp_fail(err, EINVAL, "%s: %s.up: expected true or false", name, where);
			up = json_object_get_boolean(x);
		}
		if (t->nodes[bi].is_nic) {	/* store NIC links NIC first */
			int tmp = ai;

			ai = bi;
			bi = tmp;
		}
		if (t->nodes[ai].is_nic && t->nodes[ai].leaf >= 0)
			return fp_fail(err, EINVAL, "%s: %s: NIC %s has a second link", name, where,
				       t->nodes[ai].name);
		add_link(b, ai, bi, gbps, up);
		if (t->nodes[ai].is_nic)
			t->nodes[ai].leaf = bi;	/* marks "linked"; finalize sets it */
	}
	/* finalize() derives each NIC's leaf from its link. */
	for (i = 0; i < (size_t)t->nnodes; i++)
		t->nodes[i].leaf = -1;
	return 0;
}

int fp_topo_parse(const char *text, size_t len, const char *name, struct fp_topo **out,
		  struct fp_err *err)
{
	struct builder b = { .t = fp_xcalloc(1, sizeof(struct fp_topo)) };
	struct json_object *root = fp_json_parse(text, len, name, err);
	int rc;

	if (!root) {
		fp_topo_free(b.t);
		return EINVAL;
	}
	rc = parse_json(root, name, &b, err);
	json_object_put(root);
	if (!rc)
		rc = finalize(b.t, name, err);
	if (rc) {
		fp_topo_free(b.t);
		return rc;
	}
	*out = b.t;
	return 0;
}

/* ---- generators ---- */

struct gen_args {
	int leaves, spines, hosts, nics, k;
	bool rail;
	double host_gbps, up_gbps;
	const char *fail;
	uint32_t seed;
	enum fp_hash_fn hash;
};

static int gen_parse(const char *spec, const char *params, struct gen_args *g,
		     char **fail_buf, struct fp_err *err)
{
	char *dup = fp_xstrdup(params), *save = NULL, *tok;
	int rc = 0;

	for (tok = strtok_r(dup, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		long v = 0;
		double d = 0;

		if (!strcmp(tok, "rail")) {
			g->rail = true;
			continue;
		}
		if (!eq) {
			rc = fp_fail(err, EINVAL, "%s: \"%s\": expected key=value", spec, tok);
			break;
		}
		*eq++ = 0;
		if (!strcmp(tok, "fail")) {
			free(*fail_buf);	/* the last fail= wins */
			*fail_buf = fp_xstrdup(eq);
			g->fail = *fail_buf;
			continue;
		}
		if (!strcmp(tok, "hash")) {
			if (fp_hash_parse(eq, &g->hash))
				rc = fp_fail(err, EINVAL, "%s: hash: unknown hash \"%s\" (crc32, crc32c, crc16, xor, toeplitz)",
					     spec, eq);
			continue;
		}
		errno = 0;
		if (!strcmp(tok, "host_gbps") || !strcmp(tok, "up_gbps"))
			d = strtod(eq, &end);
		else
			v = strtol(eq, &end, 0);
		if (errno || *end || end == eq || v < 0 || d < 0) {
			rc = fp_fail(err, EINVAL, "%s: %s: \"%s\" is not a valid number", spec, tok, eq);
			break;
		}
		if (!strcmp(tok, "leaves"))
			g->leaves = (int)v;
		else if (!strcmp(tok, "spines"))
			g->spines = (int)v;
		else if (!strcmp(tok, "hosts"))
			g->hosts = (int)v;
		else if (!strcmp(tok, "nics"))
			g->nics = (int)v;
		else if (!strcmp(tok, "k"))
			g->k = (int)v;
		else if (!strcmp(tok, "seed"))
			g->seed = (uint32_t)v;
		else if (!strcmp(tok, "host_gbps"))
			g->host_gbps = d;
		else if (!strcmp(tok, "up_gbps"))
			g->up_gbps = d;
		else
			rc = fp_fail(err, EINVAL, "%s: unknown parameter \"%s\"", spec, tok);
		if (!rc && (v > 1000000 || d > 1e6))
			rc = fp_fail(err, ERANGE, "%s: %s: %s is too large", spec, tok, eq);
	}
	free(dup);
	return rc;
}

static int gen_fail(struct fp_topo *t, const char *spec, const char *fail, struct fp_err *err)
{
	char *dup, *save = NULL, *tok;
	int rc = 0;

	if (!fail)
		return 0;
	dup = fp_xstrdup(fail);
	for (tok = strtok_r(dup, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		char *dash = strchr(tok, '-');
		int a, b, l, found = 0;

		if (!dash) {
			rc = fp_fail(err, EINVAL, "%s: fail: \"%s\" is not NODE-NODE", spec, tok);
			break;
		}
		*dash = 0;
		a = fp_topo_find(t, tok);
		b = fp_topo_find(t, dash + 1);
		for (l = 0; l < t->nlinks && a >= 0 && b >= 0; l++) {
			if (t->links[l].from == a && t->links[l].to == b) {
				t->links[l].up = t->links[t->links[l].rev].up = false;
				found = 1;
			}
		}
		if (!found) {
			rc = fp_fail(err, EINVAL, "%s: fail: no link between \"%s\" and \"%s\"", spec,
				     tok, dash + 1);
			break;
		}
	}
	free(dup);
	return rc;
}

static void gen_hosts_on(struct builder *b, int host0, int nhosts, int nics, const int *leaf_of_nic,
			 double gbps)
{
	char nm[64];
	int h, i;

	for (h = host0; h < host0 + nhosts; h++) {
		int hid;

		snprintf(nm, sizeof(nm), "h%d", h);
		hid = add_host(b, nm);
		for (i = 0; i < nics; i++) {
			int nid;

			snprintf(nm, sizeof(nm), "h%d.n%d", h, i);
			nid = add_nic(b, hid, nm);
			b->t->nodes[nid].gpu = i;
			add_link(b, nid, leaf_of_nic[i], gbps, true);
		}
	}
}

static int gen_leafspine(struct builder *b, const char *spec, struct gen_args *g,
			 struct fp_err *err)
{
	struct fp_topo *t = b->t;
	char nm[64];
	int *leaf_id, *spine_id, *lon, l, s, i;

	if (g->leaves < 1 || g->spines < 1 || g->hosts < 1 || g->nics < 1)
		return fp_fail(err, EINVAL, "%s: leaves, spines, hosts and nics must be at least 1", spec);
	if (g->rail && g->leaves % g->nics)
		return fp_fail(err, EINVAL, "%s: with rail, leaves (%d) must be a multiple of nics (%d)",
			       spec, g->leaves, g->nics);
	if ((long)g->leaves * g->hosts * g->nics > 1L << 20 || (long)g->leaves * g->spines > 1L << 22)
		return fp_fail(err, ERANGE, "%s: fabric too large", spec);
	leaf_id = fp_xcalloc((size_t)g->leaves, sizeof(int));
	spine_id = fp_xcalloc((size_t)g->spines, sizeof(int));
	lon = fp_xcalloc((size_t)g->nics, sizeof(int));
	for (l = 0; l < g->leaves; l++) {
		snprintf(nm, sizeof(nm), "leaf%d", l);
		leaf_id[l] = add_switch(b, nm, 1, -1);
	}
	for (s = 0; s < g->spines; s++) {
		snprintf(nm, sizeof(nm), "spine%d", s);
		spine_id[s] = add_switch(b, nm, 2, -1);
	}
	if (g->rail) {
		for (l = 0; l < g->leaves / g->nics; l++) {
			for (i = 0; i < g->nics; i++)
				lon[i] = leaf_id[l * g->nics + i];
			gen_hosts_on(b, l * g->hosts, g->hosts, g->nics, lon, g->host_gbps);
		}
	} else {
		for (l = 0; l < g->leaves; l++) {
			for (i = 0; i < g->nics; i++)
				lon[i] = leaf_id[l];
			gen_hosts_on(b, l * g->hosts, g->hosts, g->nics, lon, g->host_gbps);
		}
	}
	for (l = 0; l < g->leaves; l++)
		for (s = 0; s < g->spines; s++)
			add_link(b, leaf_id[l], spine_id[s], g->up_gbps, true);
	snprintf(nm, sizeof(nm), "leafspine-%dx%d-%dh%dn%s", g->leaves, g->spines, g->hosts,
		 g->nics, g->rail ? "-rail" : "");
	t->name = fp_xstrdup(nm);
	free(leaf_id);
	free(spine_id);
	free(lon);
	return 0;
}

static int gen_fattree(struct builder *b, const char *spec, struct gen_args *g,
		       struct fp_err *err)
{
	struct fp_topo *t = b->t;
	int k = g->k, h2, p, i, j, *agg, *leaf, *core, *lon;
	char nm[64];

	if (k < 2 || k % 2 || k > 64)
		return fp_fail(err, EINVAL, "%s: k must be even, 2..64", spec);
	h2 = k / 2;
	if (g->hosts < 1)
		g->hosts = h2;
	if (g->nics < 1)
		return fp_fail(err, EINVAL, "%s: nics must be at least 1", spec);
	agg = fp_xcalloc((size_t)(k * h2), sizeof(int));
	leaf = fp_xcalloc((size_t)(k * h2), sizeof(int));
	core = fp_xcalloc((size_t)(h2 * h2), sizeof(int));
	lon = fp_xcalloc((size_t)g->nics, sizeof(int));
	for (p = 0; p < k; p++) {
		for (i = 0; i < h2; i++) {
			snprintf(nm, sizeof(nm), "leaf%d", p * h2 + i);
			leaf[p * h2 + i] = add_switch(b, nm, 1, p);
		}
	}
	for (p = 0; p < k; p++) {
		for (i = 0; i < h2; i++) {
			snprintf(nm, sizeof(nm), "agg%d.%d", p, i);
			agg[p * h2 + i] = add_switch(b, nm, 2, p);
		}
	}
	for (i = 0; i < h2 * h2; i++) {
		snprintf(nm, sizeof(nm), "core%d", i);
		core[i] = add_switch(b, nm, 3, -1);
	}
	for (i = 0; i < k * h2; i++) {
		for (j = 0; j < g->nics; j++)
			lon[j] = leaf[i];
		gen_hosts_on(b, i * g->hosts, g->hosts, g->nics, lon, g->host_gbps);
	}
	for (p = 0; p < k; p++)
		for (i = 0; i < h2; i++)
			for (j = 0; j < h2; j++)
				add_link(b, leaf[p * h2 + i], agg[p * h2 + j], g->up_gbps, true);
	for (p = 0; p < k; p++)
		for (i = 0; i < h2; i++)
			for (j = 0; j < h2; j++)
				add_link(b, agg[p * h2 + i], core[i * h2 + j], g->up_gbps, true);
	snprintf(nm, sizeof(nm), "fattree-k%d-%dh%dn", k, g->hosts, g->nics);
	t->name = fp_xstrdup(nm);
	free(agg);
	free(leaf);
	free(core);
	free(lon);
	return 0;
}

int fp_topo_generate(const char *spec, struct fp_topo **out, struct fp_err *err)
{
	struct builder b = { .t = fp_xcalloc(1, sizeof(struct fp_topo)) };
	struct gen_args g = { .nics = 1, .host_gbps = 100, .hash = FP_HASH_CRC32 };
	const char *colon = strchr(spec, ':');
	char *fail_buf = NULL;
	int rc;

	if (!colon) {
		rc = fp_fail(err, EINVAL, "%s: expected leafspine:... or fattree:...", spec);
		goto out;
	}
	rc = gen_parse(spec, colon + 1, &g, &fail_buf, err);
	if (rc)
		goto out;
	if (!g.up_gbps)
		g.up_gbps = g.host_gbps;
	b.t->seed = g.seed;
	b.t->hash_fn = g.hash;
	if (!strncmp(spec, "leafspine:", 10))
		rc = gen_leafspine(&b, spec, &g, err);
	else if (!strncmp(spec, "fattree:", 8))
		rc = gen_fattree(&b, spec, &g, err);
	else
		rc = fp_fail(err, EINVAL, "%s: unknown generator (leafspine, fattree)", spec);
	if (!rc) {
		index_rebuild(b.t);
		rc = gen_fail(b.t, spec, g.fail, err);
	}
	if (!rc)
		rc = finalize(b.t, spec, err);
out:
	free(fail_buf);
	if (rc) {
		fp_topo_free(b.t);
		return rc;
	}
	*out = b.t;
	return 0;
}

int fp_topo_load(const char *spec, struct fp_topo **out, struct fp_err *err)
{
	char *buf;
	size_t len;
	int rc;

	if (!strncmp(spec, "leafspine:", 10) || !strncmp(spec, "fattree:", 8))
		return fp_topo_generate(spec, out, err);
	rc = fp_read_file(spec, &buf, &len, err);
	if (rc == ENOENT && strchr(spec, ':') && strchr(spec, '='))
		return fp_topo_generate(spec, out, err);
	if (rc)
		return rc;
	rc = fp_topo_parse(buf, len, spec, out, err);
	free(buf);
	return rc;
}

char *fp_topo_to_json(const struct fp_topo *t, bool pretty)
{
	struct json_object *root = json_object_new_object(), *a, *h, *o;
	char ab[16];
	int i, l;

	json_object_object_add(root, "format", json_object_new_string("flowplan-topology"));
	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "name", json_object_new_string(t->name));
	h = json_object_new_object();
	json_object_object_add(h, "fn", json_object_new_string(fp_hash_name(t->hash_fn)));
	json_object_object_add(h, "seed", json_object_new_int64(t->seed));
	json_object_object_add(root, "hash", h);
	a = json_object_new_array();
	for (i = 0; i < t->nnodes; i++) {
		const struct fp_node *n = &t->nodes[i];

		if (n->is_nic)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(n->name));
		json_object_object_add(o, "tier", json_object_new_int(n->tier));
		if (n->pod >= 0)
			json_object_object_add(o, "pod", json_object_new_int(n->pod));
		if (n->seed_set)
			json_object_object_add(o, "seed", json_object_new_int64(n->seed));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "switches", a);
	a = json_object_new_array();
	for (i = 0; i < t->nhosts; i++) {
		struct json_object *ho = json_object_new_object(), *na = json_object_new_array();
		int j;

		json_object_object_add(ho, "name", json_object_new_string(t->hosts[i].name));
		for (j = 0; j < t->hosts[i].nnics; j++) {
			const struct fp_node *n = &t->nodes[t->hosts[i].first_nic + j];

			o = json_object_new_object();
			json_object_object_add(o, "name", json_object_new_string(n->name));
			json_object_object_add(o, "addr", json_object_new_string(fp_ipv4_str(n->addr, ab)));
			if (n->gpu >= 0)
				json_object_object_add(o, "gpu", json_object_new_int(n->gpu));
			json_object_array_add(na, o);
		}
		json_object_object_add(ho, "nics", na);
		json_object_array_add(a, ho);
	}
	json_object_object_add(root, "hosts", a);
	a = json_object_new_array();
	for (l = 0; l < t->nlinks; l += 2) {
		o = json_object_new_object();
		json_object_object_add(o, "a", json_object_new_string(t->nodes[t->links[l].from].name));
		json_object_object_add(o, "b", json_object_new_string(t->nodes[t->links[l].to].name));
		json_object_object_add(o, "gbps", json_object_new_double(t->links[l].gbps));
		if (!t->links[l].up)
			json_object_object_add(o, "up", json_object_new_boolean(0));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "links", a);
	return fp_json_dump(root, pretty);
}

/* ---- routing ---- */

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

static void enum_paths(struct fp_topo *t, const int *d, int v, struct fp_path *cur,
		       struct fp_path **out, int *n, size_t *cap)
{
	const struct fp_node *nd = &t->nodes[v];
	int i;

	if (d[v] == 0) {
		FP_GROW(*out, *cap, (size_t)*n + 1);
		(*out)[(*n)++] = *cur;
		return;
	}
	if (cur->len >= 6)
		return;
	for (i = 0; i < nd->out_n; i++) {
		int l = t->out[nd->out_off + i];
		const struct fp_link *k = &t->links[l];

		if (!k->up || d[k->to] != d[v] - 1)
			continue;
		cur->link[cur->len++] = l;
		enum_paths(t, d, k->to, cur, out, n, cap);
		cur->len--;
	}
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

struct fp_pathset fp_topo_paths(struct fp_topo *t, int src_leaf, int dst_leaf)
{
	struct fp_path_cache *c = t->paths;
	uint64_t key = (uint64_t)t->nodes[src_leaf].leaf_idx * (uint64_t)t->nleaves +
		       (uint64_t)t->nodes[dst_leaf].leaf_idx + 1;
	struct fp_path cur = { 0 }, *p = NULL;
	size_t j, cap = 0;
	int n = 0;
	const int *d;

	if (c->cap) {
		j = (key * 0x9e3779b97f4a7c15ull) >> 20 & (c->cap - 1);
		while (c->key[j]) {
			if (c->key[j] == key)
				return (struct fp_pathset){ c->n[j], c->paths[j] };
			j = (j + 1) & (c->cap - 1);
		}
	}
	if (src_leaf == dst_leaf) {
		static const struct fp_path local;

		return (struct fp_pathset){ 1, &local };
	}
	if (t->two_tier) {
		/* leaf -> spine -> leaf, spines in name order, both links live */
		const struct fp_node *a = &t->nodes[src_leaf];
		int i, up, dn;

		for (i = 0; i < a->out_n; i++) {
			up = t->out[a->out_off + i];
			dn = t->s2l[(size_t)t->links[up].to * (size_t)t->nleaves +
				    (size_t)t->nodes[dst_leaf].leaf_idx];
			if (!t->links[up].up || !t->links[dn].up)
				continue;
			FP_GROW(p, cap, (size_t)n + 1);
			p[n].len = 2;
			p[n].link[0] = up;
			p[n].link[1] = dn;
			n++;
		}
	} else {
		d = dist_to(t, dst_leaf);
		if (d[src_leaf] >= 0)
			enum_paths(t, d, src_leaf, &cur, &p, &n, &cap);
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
	return (struct fp_pathset){ n, p };
}

/*
 * The next hops a switch has toward the destination are the distinct next
 * links among the shortest paths sharing the prefix that reached it, and the
 * path enumeration keeps them in neighbour-name order, in contiguous blocks.
 */
int fp_pathset_blocks(const struct fp_pathset *ps, int hop, int lo, int hi, int *start, int max)
{
	int n = 0, i;

	for (i = lo; i < hi && n < max; i++)
		if (i == lo || ps->p[i].link[hop] != ps->p[i - 1].link[hop])
			start[n++] = i;
	start[n] = hi;
	return n;
}

int fp_topo_route(struct fp_topo *t, int src_nic, int dst_nic, uint16_t sport)
{
	const struct fp_node *s = &t->nodes[src_nic], *z = &t->nodes[dst_nic];
	struct fp_pathset ps = fp_topo_paths(t, s->leaf, z->leaf);
	uint32_t dl = fp_hash_sport_delta(t->hash_fn, sport);
	int lo = 0, hi = ps.n, hop, start[65], nc;

	if (!ps.n)
		return -1;
	for (hop = 0; hop < ps.p[0].len; hop++) {
		const struct fp_node *n = &t->nodes[t->links[ps.p[lo].link[hop]].from];
		uint32_t h;
		int pick;

		nc = fp_pathset_blocks(&ps, hop, lo, hi, start, 64);
		if (nc > 1) {
			h = fp_hash(t->hash_fn, n->seed, s->addr, z->addr, 0, FP_ROCE_PORT) ^ dl;
			pick = (int)(fmix32(h) % (uint32_t)nc);
			lo = start[pick];
			hi = start[pick + 1];
		}
	}
	return lo;
}

int fp_topo_port_search(struct fp_topo *t, int src_nic, int dst_nic, int path,
			uint32_t start, uint32_t *fl)
{
	const struct fp_node *s = &t->nodes[src_nic], *z = &t->nodes[dst_nic];
	struct fp_pathset ps = fp_topo_paths(t, s->leaf, z->leaf);
	uint32_t base[6], n[6], want[6], i, f;
	int h, k, len, lo = 0, hi = ps.n, blk[65];

	if (path < 0 || path >= ps.n)
		return ENOENT;
	len = ps.p[path].len;
	/* Per hop: the switch's base hash, its next-hop count, the index we need. */
	for (h = 0; h < len; h++) {
		const struct fp_node *nd = &t->nodes[t->links[ps.p[path].link[h]].from];

		n[h] = (uint32_t)fp_pathset_blocks(&ps, h, lo, hi, blk, 64);
		for (k = 0; k < (int)n[h]; k++)
			if (path >= blk[k] && path < blk[k + 1])
				break;
		want[h] = (uint32_t)k;
		lo = blk[k];
		hi = blk[k + 1];
		base[h] = fp_hash(t->hash_fn, nd->seed, s->addr, z->addr, 0, FP_ROCE_PORT);
	}
	for (i = 0; i < 0x3fff; i++) {
		uint32_t dl;

		f = 1 + (start + i) % 0x3fff;
		dl = fp_hash_sport_delta(t->hash_fn, (uint16_t)(0xC000u | f));
		for (h = 0; h < len; h++)
			if (n[h] > 1 && fmix32(base[h] ^ dl) % n[h] != want[h])
				break;
		if (h == len) {
			*fl = f;
			return 0;
		}
	}
	return ENOENT;
}
