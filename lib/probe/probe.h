/* SPDX-License-Identifier: MIT */
/*
 * probe/probe.h - learn which fabric path each source port takes, as traceroute
 * does: TTL-limited probes with the 5-tuple of the traffic (UDP to 4791 for
 * RoCEv2, or TCP SYN), ICMP time-exceeded replies naming each hop. IPv4 and
 * IPv6 alike (a pair is of one family; one run may mix pairs of both): an
 * IPv6 probe is limited by its hop limit, carries the flow label its port
 * stands for (docs/formats.md: P & 0x3fff for P >= 0xC000, else 0) and is
 * answered by ICMPv6 time exceeded (type 3 code 0).
 *
 * Probes are built whole on a raw socket (IP_HDRINCL; for IPv6 an
 * IPPROTO_RAW socket, which includes the header) bound to the source
 * address, replies read from a raw ICMP or ICMPv6 socket: both need
 * CAP_NET_RAW, in the network namespace that owns the source address. A
 * reply finds its probe by a token: the IPv4 ID, or for IPv6 (whose header
 * has no ID) the last two payload bytes of a UDP probe or the top half of a
 * TCP probe's sequence number, all quoted back by the error. A random
 * number of the run rides along (payload, or TCP acknowledgment number), so
 * that probers running at once on one host take only their own replies.
 *
 * The first and the last switch of a pair are the same for every port (a NIC
 * has one link, to its leaf), so they are learned once per pair; every
 * further port costs hops - 2 probes.
 *
 * Routers limit ICMP errors (Linux: icmp_ratelimit, 1/s per destination
 * after a burst of 6). Lost probes are retried with a doubling timeout, and
 * the send rate halves on every loss and grows back by one probe per second
 * on every reply. A pair stops as soon as each of its paths has per_path
 * ports; one whose path count is unknown, or some of whose paths the caller
 * knows to be down (a failure), once FP_PROBE_QUIET ports in a row found no
 * new path (fp_probe_pair_done).
 *
 * The output is the port map of docs/formats.md, read back by planner/portmap.h.
 */
#ifndef FP_PROBE_H
#define FP_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/addr.h"
#include "core/err.h"

#define FP_PROBE_MAX_HOPS	8	/* switches on a path */
#define FP_PROBE_MAX_PATHS	64	/* distinct paths kept per pair */
#define FP_PROBE_QUIET		8	/* ports in a row with no new path: none is left */

enum fp_probe_proto {
	FP_PROBE_UDP,			/* UDP to dport (4791: RoCEv2) */
	FP_PROBE_TCP,			/* TCP SYN to dport */
};

/* A router address and the switch it belongs to. */
struct fp_probe_router {
	struct fp_addr addr;		/* IPv4 held IPv4-mapped, or IPv6 */
	char *name;
};

struct fp_probe_path {
	struct fp_addr hop[FP_PROBE_MAX_HOPS];	/* router addresses */
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
	struct fp_addr src, dst;	/* of one family */
	unsigned int hops;		/* switches on each path, 1..FP_PROBE_MAX_HOPS */
	unsigned int npaths;		/* equal-cost paths of the topology; 0: unknown */
	/*
	 * Of npaths, those the caller knows to be down (a failure): the pair
	 * is resolved without them (fp_probe_pair_done). A port found on one
	 * is kept and written like any other (it is in cand, not foreign): a
	 * caller comparing maps sees the path come back.
	 */
	unsigned int ndown;
	/*
	 * Optional: the switch names along every equal-cost path, ncand rows
	 * of hops names. With them a port is probed only until its replies
	 * fit one path (in a fat-tree the core alone names the path): fewer
	 * probes spent against the routers' ICMP rate limits.
	 */
	const char *const *cand;
	unsigned int ncand;
	/*
	 * Optional: source ports probed before the configuration's, in this
	 * order (the ports a plan in use holds, so that the map has their
	 * paths however many others share them); a port in both lists is
	 * probed once. The pair is not resolved before each of them found
	 * its path or failed.
	 */
	const uint16_t *first;
	unsigned int nfirst;
	/* output of fp_probe_run() */
	bool resolved;			/* fp_probe_pair_done() when it stopped */
	unsigned int nres;
	struct fp_probe_result *res;	/* ports with a complete path, by port */
	unsigned int nfound;
	struct fp_probe_path paths[FP_PROBE_MAX_PATHS];
	char why[160];			/* when not resolved */
	/* private */
	struct fp_probe_pst *pst;	/* by index in port[] */
	uint16_t *port;			/* first, then the configuration's others */
	unsigned int nport, nown;	/* nown: of first, without repeats */
	unsigned int next, active, done_ports, since_new, fails;
	struct fp_addr edge[2];		/* first and last hop, once known (else ::) */
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
 * address is not configured in this network namespace, EINVAL on bad input
 * (a pair whose addresses are of two families, or unspecified, or with more
 * paths down than npaths).
 */
int fp_probe_run(const struct fp_probe_cfg *cfg, struct fp_probe_pair *pairs, size_t n,
		 struct fp_probe_stats *st, struct fp_err *err);
void fp_probe_pair_release(struct fp_probe_pair *p);

/*
 * fp_probe_pair_done - whether pair @p, as probed so far, has what it wants:
 * every path it found on the topology (not foreign) has @per_path ports,
 * and it found all npaths paths; or, when some are down (ndown) or npaths
 * is unknown, at least the npaths - ndown (at least one) paths up and then
 * FP_PROBE_QUIET ports in a row on paths already found, or @tried_all (no
 * candidate port left). So during a failure the caller knows of, a pair is
 * resolved on the paths left up, and a path back is still looked for
 * (a path of 2 missed by 8 ports: 1 chance in 256). The engine's stopping
 * rule, exposed for tests; fp_probe_run() sets @p->resolved from it.
 */
bool fp_probe_pair_done(const struct fp_probe_pair *p, unsigned int per_path, bool tried_all);

/* Name of the switch owning router address @addr, or NULL. */
const char *fp_probe_router_name(const struct fp_probe_cfg *cfg, const struct fp_addr *addr);

/*
 * fp_probe_write_portmap - the port map text of docs/formats.md. @header
 * writes the mandatory first line. Ports whose path crosses a router missing
 * from the router map, and pairs with fewer paths than the topology has
 * (unresolved, or resolved with the others known down), are written as
 * comments next to what was found. Returns 0 or an errno value.
 */
int fp_probe_write_portmap(FILE *f, const struct fp_probe_cfg *cfg,
			   const struct fp_probe_pair *pairs, size_t n, bool header);

/*
 * fp_probe_routers_load - read a router map: lines "ADDR SWITCH", ADDR IPv4
 * or IPv6, '#' comments (lab.sh writes one per fabric and family). Returns 0
 * or an errno value.
 */
int fp_probe_routers_load(const char *path, struct fp_probe_router **out, size_t *n,
			  struct fp_err *err);
void fp_probe_routers_free(struct fp_probe_router *r, size_t n);

/*
 * The packets, exposed for tests (the engine uses nothing else).
 *
 * fp_probe_build - the probe of @cfg from @src to @dst (one family) with
 * source port @sport, TTL or hop limit @ttl, token @tok and the run's
 * @nonce, IP header included, into @buf (FP_PROBE_PKT_MAX bytes). Returns
 * its length.
 */
#define FP_PROBE_PKT_MAX	96
size_t fp_probe_build(const struct fp_probe_cfg *cfg, uint8_t *buf, const struct fp_addr *src,
		      const struct fp_addr *dst, uint16_t sport, uint8_t ttl, uint16_t tok,
		      uint32_t nonce);

/* The IPv6 flow label a probe from source port @sport carries. */
static inline uint32_t fp_probe_flow_label(uint16_t sport)
{
	return sport >= 0xC000 ? sport & 0x3fffu : 0;
}

enum fp_probe_reply_kind {
	FP_PROBE_REPLY_TIME = 1,	/* time exceeded in transit: a hop */
	FP_PROBE_REPLY_UNREACH,		/* destination unreachable */
};

/* An ICMP error that quotes a probe. */
struct fp_probe_reply {
	enum fp_probe_reply_kind kind;
	uint8_t code;			/* the ICMP code */
	uint8_t proto;			/* the quoted probe's: IPPROTO_UDP or IPPROTO_TCP */
	uint16_t sport, dport, tok;	/* the quoted probe's, host order */
	bool has_nonce;			/* the quote reached the nonce */
	uint32_t nonce;
	struct fp_addr from;		/* the router that answered */
	struct fp_addr src, dst;	/* the quoted probe's addresses */
};

/*
 * fp_probe_parse_icmp4 - an ICMP message as a raw IPv4 ICMP socket reads it
 * (IPv4 header first); fp_probe_parse_icmp6 - an ICMPv6 message as a raw
 * ICMPv6 socket reads it (no IPv6 header), @from its source. 0 when it is
 * time exceeded in transit or destination unreachable quoting a UDP or TCP
 * packet with its ports (and, on IPv6, its token), else ENOMSG (not for a
 * probe: another type, an extension header, too short).
 */
int fp_probe_parse_icmp4(const uint8_t *b, size_t len, struct fp_probe_reply *r);
int fp_probe_parse_icmp6(const uint8_t *b, size_t len, const struct fp_addr *from,
			 struct fp_probe_reply *r);

#endif
