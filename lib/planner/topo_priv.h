/* SPDX-License-Identifier: MIT */
/*
 * planner/topo_priv.h - inside the fabric model: what the file reader and
 * the generators use to build a topology, and what the model's files
 * share. Not part of the planner's API.
 */
#ifndef FP_TOPO_PRIV_H
#define FP_TOPO_PRIV_H

#include "planner/topo.h"

/* A topology under construction: switches first, then hosts and their NICs. */
struct fp_topo_builder {
	struct fp_topo *t;
	size_t node_cap, link_cap, host_cap;
};

int fp_tb_node(struct fp_topo_builder *b, const char *name);
int fp_tb_switch(struct fp_topo_builder *b, const char *name, int tier, int pod);
int fp_tb_host(struct fp_topo_builder *b, const char *name);
int fp_tb_nic(struct fp_topo_builder *b, int host, const char *name);
/*
 * The twin of NIC @nic (its IPv6 node, see struct fp_node), appended after
 * every NIC: call it once all NICs are in. @ip may be unset (generated).
 */
int fp_tb_twin(struct fp_topo_builder *b, int nic, const struct fp_addr *ip);
/* An undirected link: directed links a->z and z->a. */
void fp_tb_link(struct fp_topo_builder *b, int a, int z, double gbps, bool up);

/* (Re)build the name index fp_topo_find() uses. */
void fp_topo_index_names(struct fp_topo *t);
/* Check the built topology and derive what routing needs. */
int fp_topo_finalize(struct fp_topo *t, const char *name, struct fp_err *err);
/* Free the path cache (paths.c). */
void fp_topo_paths_free(struct fp_topo *t);

/* MurmurHash3's 32-bit finaliser: decorrelates the tiers' linear hashes. */
static inline uint32_t fp_fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

#endif
