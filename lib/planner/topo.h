/* SPDX-License-Identifier: MIT */
/*
 * planner/topo.h - the fabric model: switches, hosts with NICs, full-duplex links
 * (two directed links each), failed links, ECMP routing and the hash model.
 * Format: docs/formats.md "Topology".
 */
#ifndef FP_TOPO_H
#define FP_TOPO_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"

enum fp_hash_fn { FP_HASH_CRC32, FP_HASH_CRC32C, FP_HASH_CRC16, FP_HASH_XOR, FP_HASH_TOEPLITZ };

/*
 * Which fields of an IPv6 packet a switch hashes (docs/formats.md "ECMP
 * model"): Linux's net.ipv6.fib_multipath_hash_policy 1 (l4), 3 with
 * fib_multipath_hash_fields 0x3f (l4+flowlabel), 0 (l3+flowlabel). IPv4
 * packets are hashed on their 5-tuple whatever the value.
 */
enum fp_hash_fields { FP_HF_L4, FP_HF_L4_FL, FP_HF_L3_FL };

struct fp_node {
	char *name;
	bool is_nic;
	int tier;		/* switches: 1 leaf, 2 spine/agg, 3 core; NICs: 0 */
	int pod;		/* -1 when none */
	uint32_t seed;		/* switch hash seed (effective) */
	bool seed_set;		/* given in the file, not derived */
	uint8_t hfields;	/* enum fp_hash_fields (effective) */
	bool hfields_set;	/* given for this switch, not the fabric's */
	/* NICs */
	int host;		/* host index */
	int gpu;		/* -1 when none */
	struct fp_addr ip;	/* IPv4 held IPv4-mapped, or IPv6 */
	uint32_t addr;		/* IPv4 in network order; 0 for an IPv6 NIC */
	/*
	 * A dual-stack NIC (an IPv4 and an IPv6 address) is two nodes: the
	 * NIC's own (its IPv4 address, its name, its place among its host's
	 * NICs) and a twin (its IPv6 address), after every NIC, that shares
	 * the NIC's name, host, leaf and host link (up_link, down_link): one
	 * NIC, one host link, whichever family a flow uses. Flows and entries
	 * name the node of their family. Name lookups give the NIC's own node.
	 */
	int twin;		/* the other node of a dual-stack NIC, or -1 */
	bool is_twin;		/* this node is the twin (the IPv6 address) */
	int leaf;		/* node id of the NIC's leaf, -1 if unattached */
	int up_link;		/* directed link NIC->leaf */
	int down_link;		/* directed link leaf->NIC */
	/* switches: out links in CSR form, sorted by neighbour name */
	int out_off, out_n;
	int leaf_idx;		/* index among leaves, -1 for others */
};

struct fp_link {
	int from, to;		/* node ids */
	double gbps;
	bool up;
	int rev;		/* the other direction */
	int idx;		/* index of the undirected link in the file */
};

struct fp_host {
	char *name;
	int first_nic;		/* node id of its first NIC; NICs are contiguous */
	int nnics;
};

struct fp_addr_ix {
	struct fp_addr ip;	/* IPv4 first (as uint32_t), then IPv6 (bytes) */
	int node;
};

struct fp_topo {
	char *name;
	enum fp_hash_fn hash_fn;
	uint32_t seed;
	enum fp_hash_fields hash_fields;	/* the fabric's default */
	bool gen_v6;		/* NICs without an address get IPv6 ones */
	struct fp_node *nodes;
	int nnodes;
	int nswitches;		/* switches are nodes 0..nswitches-1, NICs follow */
	struct fp_link *links;	/* directed; link 2i and 2i+1 are undirected link i */
	int nlinks;
	struct fp_host *hosts;
	int nhosts;
	int *out;		/* CSR of switch out links (switch-to-switch, live or not) */
	int *leaves;		/* node ids of tier-1 switches */
	int nleaves;
	int max_tier;
	bool two_tier;		/* every leaf connects to every spine, nothing above */
	/* routing caches (lazily filled) */
	int **dist_to_leaf;	/* per leaf index: hops from each switch to it, live links */
	int *s2l;		/* two-tier: [spine node * nleaves + leaf idx] -> link spine->leaf */
	struct fp_path_cache *paths;
	uint64_t paths_gen;	/* +1 at each switch link change (path indices may move) */
	struct fp_addr_ix *addr_ix;	/* NIC addresses, sorted */
	int naddr;
	/* name index */
	int *name_ix;
	size_t name_cap;
};

/*
 * Link capacities: a finite number of Gbit/s in this range (1 Mbit/s to
 * 1 Pbit/s). 0, -0, NaN, infinities and subnormals are refused.
 */
#define FP_GBPS_MIN	1e-3
#define FP_GBPS_MAX	1e6
static inline bool fp_gbps_ok(double g)
{
	return g >= FP_GBPS_MIN && g <= FP_GBPS_MAX;	/* false for NaN */
}

/* Load a topology file, or build one from a generator string ("leafspine:..."). */
int fp_topo_load(const char *spec, struct fp_topo **out, struct fp_err *err);
int fp_topo_parse(const char *text, size_t len, const char *name,
		  struct fp_topo **out, struct fp_err *err);
int fp_topo_generate(const char *spec, struct fp_topo **out, struct fp_err *err);
void fp_topo_free(struct fp_topo *t);
/* Write the resolved topology as JSON (the file format). Returns malloc'd text. */
char *fp_topo_to_json(const struct fp_topo *t, bool pretty);

int fp_topo_find(const struct fp_topo *t, const char *name);
/*
 * The node of NIC @nic (either of its nodes) that has an address of the
 * family (@v6), or -1 when the NIC has none of it.
 */
int fp_topo_nic_family(const struct fp_topo *t, int nic, bool v6);
/*
 * The family (4 or 6) of a flow between NICs @src and @dst whose schedule
 * does not name one: IPv4 when both have an IPv4 address, else IPv6 when
 * both have an IPv6 one; 0 when they share no family.
 */
int fp_topo_flow_family(const struct fp_topo *t, int src, int dst);
/*
 * The "family" a file writes for a flow between nodes @src and @dst: 0
 * when it takes fp_topo_flow_family()'s (the key is left out), else 6.
 */
int fp_topo_family_key(const struct fp_topo *t, int src, int dst);
/* The NIC of an IPv4 address (network order), or -1. */
int fp_topo_find_addr(const struct fp_topo *t, uint32_t addr);
/* The node of an address of either family (a twin for a dual-stack NIC's IPv6), or -1. */
int fp_topo_find_ip(const struct fp_topo *t, const struct fp_addr *a);
/*
 * A NIC address as the formats take it: a dotted quad or what
 * inet_pton(AF_INET6) accepts. The unspecified address, multicast and
 * IPv4-mapped IPv6 (write IPv4 as a dotted quad) are refused with a
 * message in @why (static text). 0 or EINVAL.
 */
int fp_nic_addr_parse(const char *s, struct fp_addr *out, const char **why);

/*
 * Paths between leaves: shortest over live switch links. A path is the list of
 * directed switch-to-switch links from the source leaf to the destination
 * leaf (empty when they are the same leaf).
 */
#define FP_PATH_MAX_LEN	6
/*
 * The most equal-cost paths between two leaves: one distinct RoCEv2 source
 * port (flow label 1..0x3fff) per path at least. An ECMP group may be as wide
 * as that (k=64 fat-trees have 1024 paths between pods).
 */
#define FP_MAX_PATHS	16383

struct fp_path {
	uint8_t len;
	int32_t link[FP_PATH_MAX_LEN];
};

struct fp_pathset {
	int n;
	const struct fp_path *p;
	bool too_many;		/* more than FP_MAX_PATHS: n is 0 */
};

/*
 * All shortest live paths between two leaves (by node id); n == 0:
 * unreachable. The set is cached: it stays valid, with the same indices,
 * until a link on one of its paths changes state (fp_topo_link_set).
 */
struct fp_pathset fp_topo_paths(struct fp_topo *t, int src_leaf, int dst_leaf);

/*
 * fp_topo_link_set - mark link @l (a directed link id: both directions
 * change) up or down, as when it fails or comes back. Down: the path sets
 * of leaf pairs that had a path over it are recomputed when next asked
 * for, every other pair keeps its paths and their indices; up: every set
 * is recomputed. 0, or EINVAL for an id out of range.
 */
int fp_topo_link_set(struct fp_topo *t, int l, bool up);
/* The directed link from node @a to node @b, or -1. */
int fp_topo_link(const struct fp_topo *t, int a, int b);

/*
 * Paths sharing their first @hop links are contiguous in a path set and their
 * next links come in contiguous blocks, one per next hop of the switch they
 * reached, in neighbour-name order: that switch's ECMP group toward the
 * destination. fp_pathset_nexthops() counts the blocks within [lo, hi);
 * fp_pathset_nexthop() finds block @k (0-based) and returns 0, or ENOENT;
 * fp_pathset_nexthop_of() finds the block holding path @path and returns its
 * index. Any width: O(hi - lo).
 */
int fp_pathset_nexthops(const struct fp_pathset *ps, int hop, int lo, int hi);
int fp_pathset_nexthop(const struct fp_pathset *ps, int hop, int lo, int hi, int k,
		       int *blo, int *bhi);
int fp_pathset_nexthop_of(const struct fp_pathset *ps, int hop, int lo, int hi, int path,
			  int *blo, int *bhi);

/* ECMP hash model. */
uint32_t fp_hash(enum fp_hash_fn fn, uint32_t seed, uint32_t saddr, uint32_t daddr,
		 uint16_t sport, uint16_t dport);
const char *fp_hash_name(enum fp_hash_fn fn);
int fp_hash_parse(const char *s, enum fp_hash_fn *fn);
/*
 * The hash input's layout: IPv4's 5-tuple (13 bytes, whatever the switch's
 * fields), IPv6's 5-tuple (37), IPv6's 5-tuple and flow label (40), IPv6's
 * addresses, protocol and flow label (36).
 */
enum fp_hash_key { FP_HK_V4, FP_HK_V6_L4, FP_HK_V6_L4_FL, FP_HK_V6_L3_FL };

static inline enum fp_hash_key fp_hash_key_of(const struct fp_addr *src, enum fp_hash_fields f)
{
	if (fp_addr_is_v4(src))
		return FP_HK_V4;
	return f == FP_HF_L4_FL ? FP_HK_V6_L4_FL : f == FP_HF_L3_FL ? FP_HK_V6_L3_FL : FP_HK_V6_L4;
}

/*
 * fp_hash_pkt - the hash of a packet of @key's layout (@s and @d of the
 * layout's family, @fl its 20-bit IPv6 flow label). fp_hash() is its IPv4
 * form.
 */
uint32_t fp_hash_pkt(enum fp_hash_fn fn, uint32_t seed, enum fp_hash_key key,
		     const struct fp_addr *s, const struct fp_addr *d, uint16_t sport,
		     uint16_t dport, uint32_t fl);
/*
 * What a source port and a flow label change in the hash, whatever the seed
 * and the addresses: fp_hash_pkt(.., sport, 4791, fl) ==
 * fp_hash_pkt(.., 0, 4791, 0) ^ fp_hash_pkt_delta(fn, key, sport, fl).
 * fp_hash_label_deltas() is the table of it for the planner's labels
 * 0..0x3fff (port 0xC000 | label, the label in the IPv6 header).
 */
uint32_t fp_hash_pkt_delta(enum fp_hash_fn fn, enum fp_hash_key key, uint16_t sport,
			   uint32_t fl);
const uint32_t *fp_hash_label_deltas(enum fp_hash_fn fn, enum fp_hash_key key);
/* The flow label a port carries as the model sees it: sport & 0x3fff from 0xC000 on, else 0. */
static inline uint32_t fp_sport_label(uint16_t sport)
{
	return (sport & 0xC000u) == 0xC000u ? sport & 0x3fffu : 0;
}

/* "l4", "l4+flowlabel", "l3+flowlabel". */
const char *fp_hash_fields_name(enum fp_hash_fields f);
int fp_hash_fields_parse(const char *s, enum fp_hash_fields *f);

/*
 * Route of a RoCEv2 packet (src NIC, dst NIC, sport) under the hash model:
 * returns the index into fp_topo_paths(src leaf, dst leaf) of the path it
 * takes, or -1 when unroutable.
 */
int fp_topo_route(struct fp_topo *t, int src_nic, int dst_nic, uint16_t sport);
/*
 * The same for an IPv6 packet whose header carries flow label @fl (what
 * switches that hash the label see); fp_topo_route() takes the label the
 * port gives (fp_sport_label), as the planner's subflows carry it.
 */
int fp_topo_route_fl(struct fp_topo *t, int src_nic, int dst_nic, uint16_t sport, uint32_t fl);

/* fp_topo_port_search() between NICs on two leaves (ecmp.c). */
int fp_topo_port_search_fabric(struct fp_topo *t, int src_nic, int dst_nic, int path,
			       uint32_t start, uint32_t *fl);

/*
 * fp_topo_port_search - the first flow label, trying start, start+1, ...
 * (wrapping within 1..0x3fff), whose port the hash model routes over path
 * @path between the NICs. Returns 0 and sets *fl, or ENOENT. Inline for
 * the NICs of one leaf (most of a ring's flows): one path of no hop, so
 * the first label takes it.
 */
static inline int fp_topo_port_search(struct fp_topo *t, int src_nic, int dst_nic, int path,
				      uint32_t start, uint32_t *fl)
{
	if (t->nodes[src_nic].leaf != t->nodes[dst_nic].leaf)
		return fp_topo_port_search_fabric(t, src_nic, dst_nic, path, start, fl);
	if (path)
		return ENOENT;
	*fl = 1 + start % 0x3fff;
	return 0;
}

/*
 * Every hash of the model is linear over GF(2) in its input, so
 * hash(seed, s, d, sport) == hash(seed, s, d, 0) ^ fp_hash_sport_delta(fn, sport).
 */
uint32_t fp_hash_sport_delta(enum fp_hash_fn fn, uint16_t sport);
/* The same for every sport at once: a table of 65536 deltas. */
const uint32_t *fp_hash_sport_deltas(enum fp_hash_fn fn);

#define FP_ROCE_PORT 4791

#endif
