// SPDX-License-Identifier: MIT
/*
 * ecmp.c - the ECMP model on the fabric: which path a source port takes
 * (each switch hashes the 5-tuple and picks among its next hops), and the
 * reverse, a flow label whose port takes a given path.
 */
#include <errno.h>

#include "planner/topo.h"
#include "planner/topo_priv.h"

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
			pick = (int)(fp_fmix32(h) % (uint32_t)nc);
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
			if (n[h] > 1 && fp_fmix32(base[h] ^ dl) % n[h] != want[h])
				break;
		if (h == len) {
			*fl = f;
			return 0;
		}
	}
	return ENOENT;
}
