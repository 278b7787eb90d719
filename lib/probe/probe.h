/* SPDX-License-Identifier: MIT */
/*
 * probe/probe.h - learn which fabric path each source port takes, as traceroute
 * does: TTL-limited probes with the 5-tuple of the traffic (UDP to 4791 for
 * RoCEv2, or TCP SYN), ICMP time-exceeded replies naming each hop.
 *
 * Probes are built on a raw socket (IP_HDRINCL) bound to the source address,
 * replies read from a raw ICMP socket: both need CAP_NET_RAW, in the network
 * namespace that owns the source address. The first and the last switch of a
 * pair are the same for every port (a NIC has one link, to its leaf), so they
 * are learned once per pair; every further port costs hops - 2 probes.
 *
 * Routers limit ICMP errors (Linux: icmp_ratelimit, 1/s per destination
 * after a burst of 6). Lost probes are retried with a doubling timeout, and
 * the send rate halves on every loss and grows back by one probe per second
 * on every reply. A pair stops as soon as each of its paths has per_path
 * ports.
 *
 * The output is the port map of docs/formats.md, read back by planner/portmap.h.
 */
#ifndef FP_PROBE_H
#define FP_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

#define FP_PROBE_MAX_HOPS	8	/* switches on a path */
#define FP_PROBE_MAX_PATHS	64	/* distinct paths kept per pair */

enum fp_probe_proto {
	FP_PROBE_UDP,			/* UDP to dport (4791: RoCEv2) */
	FP_PROBE_TCP,			/* TCP SYN to dport */
};

/* A router address and the switch it belongs to. */
struct fp_probe_router {
	uint32_t addr;			/* network order */
	char *name;
};

struct fp_probe_path {
	uint32_t hop[FP_PROBE_MAX_HOPS];	/* router addresses, network order */
	unsigned int nports;
	bool foreign;			/* not one of the pair's cand paths */
};

struct fp_probe_result {
	uint16_t sport;
	unsigned int path;		/* index into fp_probe_pair.paths */
};

struct fp_probe_pst;

struct fp_probe_pair {
	/* input */
	uint32_t src, dst;		/* network order */
	unsigned int hops;		/* switches on each path, 1..FP_PROBE_MAX_HOPS */
	unsigned int npaths;		/* equal-cost paths expected; 0: unknown */
	/*
	 * Optional: the switch names along every equal-cost path, ncand rows
	 * of hops names. With them a port is probed only until its replies
	 * fit one path (in a fat-tree the core alone names the path): fewer
	 * probes spent against the routers' ICMP rate limits.
	 */
	const char *const *cand;
	unsigned int ncand;
	/* output of fp_probe_run() */
	bool resolved;			/* every expected path has per_path ports */
	unsigned int nres;
	struct fp_probe_result *res;	/* ports with a complete path, by port */
	unsigned int nfound;
	struct fp_probe_path paths[FP_PROBE_MAX_PATHS];
	char why[160];			/* when not resolved */
	/* private */
	struct fp_probe_pst *pst;
	unsigned int next, active, done_ports, since_new, fails;
	uint32_t edge[2];		/* first and last hop, once known */
	bool finished;
};

struct fp_probe_stats {
	unsigned long sent, replies, lost, failed, unreach;
	double seconds;
};

struct fp_probe_cfg {
	enum fp_probe_proto proto;
	uint16_t dport;			/* default 4791 */
	const uint16_t *ports;		/* candidate source ports, tried in order */
	unsigned int nports;
	unsigned int per_path;		/* ports wanted per path (default 2) */
	double rate;			/* probes per second, all pairs (default 200) */
	unsigned int retries;		/* per probe (default 5) */
	unsigned int timeout_ms;	/* first wait for a reply (default 250), doubles */
	unsigned int window;		/* ports in flight per pair (default npaths * per_path) */
	unsigned int deadline_s;	/* give up on what is left after (default 120) */
	const struct fp_probe_router *routers;
	size_t nrouters;
	/* progress and diagnostics, one line each; may be NULL */
	void (*log)(void *arg, const char *line);
	void *log_arg;
};

/*
 * fp_probe_run - probe every pair. Fills each pair's output fields; a pair
 * that could not be resolved says why in @why. Returns 0 (even when some
 * pairs are unresolved), or an errno value with @err filled when probing
 * cannot run at all: EPERM without CAP_NET_RAW, EADDRNOTAVAIL when a source
 * address is not configured in this network namespace, EINVAL on bad input.
 */
int fp_probe_run(const struct fp_probe_cfg *cfg, struct fp_probe_pair *pairs, size_t n,
		 struct fp_probe_stats *st, struct fp_err *err);
void fp_probe_pair_release(struct fp_probe_pair *p);

/* Name of the switch owning router address @addr, or NULL. */
const char *fp_probe_router_name(const struct fp_probe_cfg *cfg, uint32_t addr);

/*
 * fp_probe_write_portmap - the port map text of docs/formats.md. @header
 * writes the mandatory first line. Ports whose path crosses a router missing
 * from the router map, and pairs with fewer paths than expected, are written
 * as comments next to what was found. Returns 0 or an errno value.
 */
int fp_probe_write_portmap(FILE *f, const struct fp_probe_cfg *cfg,
			   const struct fp_probe_pair *pairs, size_t n, bool header);

/*
 * fp_probe_routers_load - read a router map: lines "ADDR SWITCH", '#'
 * comments (lab.sh writes one per fabric). Returns 0 or an errno value.
 */
int fp_probe_routers_load(const char *path, struct fp_probe_router **out, size_t *n,
			  struct fp_err *err);
void fp_probe_routers_free(struct fp_probe_router *r, size_t n);

#endif
