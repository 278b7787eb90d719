// SPDX-License-Identifier: MIT
/*
 * ecmp.c - the ECMP model on the fabric: which path a source port takes
 * (each switch hashes the fields it hashes and picks among its next hops,
 * however many), and the reverse, a flow label whose port (and, where
 * switches hash it, whose IPv6 flow label) takes a given path.
 */
#include <errno.h>

#include "planner/topo.h"
#include "planner/topo_priv.h"

int fp_topo_route_fl(struct fp_topo *t, int src_nic, int dst_nic, uint16_t sport, uint32_t fl)
{
	const struct fp_node *s = &t->nodes[src_nic], *z = &t->nodes[dst_nic];
	struct fp_pathset ps = fp_topo_paths(t, s->leaf, z->leaf);
	int lo = 0, hi = ps.n, hop, nc;

	if (ps.n <= 0)
		return -1;
	for (hop = 0; hop < ps.p[0].len; hop++) {
		const struct fp_node *n = &t->nodes[t->links[ps.p[lo].link[hop]].from];
		enum fp_hash_key key;
		uint32_t h;
		int pick;

		nc = fp_pathset_nexthops(&ps, hop, lo, hi);
		if (nc > 1) {
			key = fp_hash_key_of(&s->ip, n->hfields);
			h = fp_hash_pkt(t->hash_fn, n->seed, key, &s->ip, &z->ip, 0, FP_ROCE_PORT, 0) ^
			    fp_hash_pkt_delta(t->hash_fn, key, sport, fl);
			pick = (int)(fp_fmix32(h) % (uint32_t)nc);
			fp_pathset_nexthop(&ps, hop, lo, hi, pick, &lo, &hi);
		}
	}
	return lo;
}

int fp_topo_route(struct fp_topo *t, int src_nic, int dst_nic, uint16_t sport)
{
	return fp_topo_route_fl(t, src_nic, dst_nic, sport, fp_sport_label(sport));
}

int fp_topo_port_search_fabric(struct fp_topo *t, int src_nic, int dst_nic, int path,
			       uint32_t start, uint32_t *fl)
{
	const struct fp_node *s = &t->nodes[src_nic], *z = &t->nodes[dst_nic];
	struct fp_pathset ps;
	uint32_t base[FP_PATH_MAX_LEN], n[FP_PATH_MAX_LEN], want[FP_PATH_MAX_LEN], i, f;
	const uint32_t *dl[FP_PATH_MAX_LEN];
	int h, len, lo = 0, hi;

	ps = fp_topo_paths(t, s->leaf, z->leaf);
	hi = ps.n;
	if (path < 0 || path >= ps.n)
		return ENOENT;
	len = ps.p[path].len;
	/* Per hop: the switch's base hash, its next-hop count, the index we need. */
	for (h = 0; h < len; h++) {
		const struct fp_node *nd = &t->nodes[t->links[ps.p[path].link[h]].from];
		enum fp_hash_key key = fp_hash_key_of(&s->ip, nd->hfields);

		n[h] = (uint32_t)fp_pathset_nexthops(&ps, h, lo, hi);
		want[h] = (uint32_t)fp_pathset_nexthop_of(&ps, h, lo, hi, path, &lo, &hi);
		base[h] = fp_hash_pkt(t->hash_fn, nd->seed, key, &s->ip, &z->ip, 0, FP_ROCE_PORT, 0);
		dl[h] = fp_hash_label_deltas(t->hash_fn, key);
	}
	for (i = 0; i < 0x3fff; i++) {
		f = 1 + (start + i) % 0x3fff;
		for (h = 0; h < len; h++)
			if (n[h] > 1 && fp_fmix32(base[h] ^ dl[h][f]) % n[h] != want[h])
				break;
		if (h == len) {
			*fl = f;
			return 0;
		}
	}
	return ENOENT;
}
