/* SPDX-License-Identifier: MIT */
/*
 * proto.h - what cluster mode puts on the bus: subjects,
 * keys, epochs and payloads (README, "Cluster mode", shows them at work).
 *
 *   KV bucket B (stream KV_B):
 *     plan.HOST        the host's share: planner/share.h's compact text,
 *                      its "generation" the plan epoch
 *     planner.lease    {"holder": NAME, "term": T, "ttl_ms": MS}
 *   The bucket republishes every stored write of plan.HOST on P.plan.HOST,
 *   which agents subscribe to: a write the bucket refused (a stale
 *   planner's) never reaches them.
 *   Stream P_obs (last message per subject kept):
 *     P.obs.HOST.cycles     the host's observed cycles
 *     P.obs.HOST.links      its ports, up or down, with their addresses
 *     P.obs.HOST.counters   per planned subflow, the bytes counted
 *     P.obs.HOST.portmap    its probed port map (docs/formats.md)
 *     P.obs.HOST.installed  the epoch and generation it installed
 *     P.fabric.link.TOKEN   a fabric link's state {"a", "b", "up"}
 *   P.planner.replan        each re-plan's summary (not stored)
 *
 * Epochs: (term << 32) | n. The term comes with the lease (each takeover
 * adds one), n counts the re-plans of that term, so any planner's epochs
 * are above every epoch of the planners before it.
 */
#ifndef FPC_PROTO_H
#define FPC_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "cycle.h"

#define FPC_EPOCH(term, n)	(((uint64_t)(term) << 32) | (uint32_t)(n))
#define FPC_EPOCH_TERM(e)	((uint32_t)((e) >> 32))
#define FPC_EPOCH_N(e)		((uint32_t)(e))

#define FPC_NAME_MAX	63	/* host and planner names, subject tokens */

enum fpc_obs_kind {
	FPC_OBS_CYCLES,
	FPC_OBS_LINKS,
	FPC_OBS_COUNTERS,
	FPC_OBS_PORTMAP,
	FPC_OBS_INSTALLED,
	FPC_OBS_KINDS
};
const char *fpc_obs_name(enum fpc_obs_kind k);
/* The kind named @s, or -1. */
int fpc_obs_parse(const char *s);

/* Subjects and names of one deployment (its prefix and bucket). */
struct fpc_names {
	char prefix[32];
	char bucket[64];
	char kv_stream[72];	/* KV_bucket */
	char obs_stream[48];	/* prefix_obs */
};

/*
 * fpc_names_init - check @prefix and @bucket (letters, digits, '_', '-';
 * a bucket may not have '-'... see fpc_token_ok) and fill @n.
 */
int fpc_names_init(struct fpc_names *n, const char *prefix, const char *bucket,
		   struct fp_err *err);
/* A subject token of ours (host, planner, kind): [A-Za-z0-9_-]{1,63}. */
bool fpc_token_ok(const char *s);

/* The subjects; each returns @buf. */
char *fpc_subj_obs(const struct fpc_names *n, const char *host, enum fpc_obs_kind k,
		   char *buf, size_t len);
char *fpc_subj_share(const struct fpc_names *n, const char *host, char *buf, size_t len);
char *fpc_subj_key(const struct fpc_names *n, const char *host, char *buf, size_t len);
char *fpc_subj_fabric(const struct fpc_names *n, const char *a, const char *b,
		      char *buf, size_t len);
char *fpc_subj_replan(const struct fpc_names *n, char *buf, size_t len);
/* The host of a subject "PREFIX.obs.HOST.KIND" and its kind; false if not one. */
bool fpc_subj_obs_parse(const struct fpc_names *n, const char *subj, char *host,
			size_t hlen, enum fpc_obs_kind *k);
/* The host of "$KV.BUCKET.plan.HOST" or of "PREFIX.plan.HOST"; false if not one. */
bool fpc_subj_host(const struct fpc_names *n, const char *subj, char *host, size_t hlen);

/* --------------------------------------------------------------- payloads */

/* Cycles: JSON of the detector's cycles (cycle.h), and back. */
char *fpc_cycles_encode(const struct fpd_cycle *const *cy, size_t n, size_t *len);
/* Decoded cycles own their phases and flows; free with fpc_cycles_free(). */
int fpc_cycles_decode(const char *text, size_t len, struct fpd_cycle **cy, size_t *n,
		      struct fp_err *err);
void fpc_cycles_free(struct fpd_cycle *cy, size_t n);

/* A port of the host as the module reports it. */
struct fpc_port {
	char dev[64];
	uint32_t port;
	bool up;
	size_t naddrs;
	struct fp_addr addrs[8];	/* IPv4 or IPv6 */
};
char *fpc_links_encode(const struct fpc_port *p, size_t n, size_t *len);
int fpc_links_decode(const char *text, size_t len, struct fpc_port **p, size_t *n,
		     struct fp_err *err);

struct fpc_installed {
	uint64_t epoch, generation;
	uint64_t entries;
	char error[160];	/* "" when installed */
};
char *fpc_installed_encode(const struct fpc_installed *in, size_t *len);
int fpc_installed_decode(const char *text, size_t len, struct fpc_installed *in,
			 struct fp_err *err);

/* One subflow's bytes as the module counted them. */
struct fpc_count {
	struct fp_addr remote;	/* IPv4 or IPv6 */
	uint16_t sport;
	uint64_t bytes;
};
char *fpc_counters_encode(uint64_t generation, const struct fpc_count *c, size_t n, size_t *len);
int fpc_counters_decode(const char *text, size_t len, uint64_t *generation,
			struct fpc_count **c, size_t *n, struct fp_err *err);

struct fpc_fablink {
	char a[FPC_NAME_MAX + 1], b[FPC_NAME_MAX + 1];
	bool up;
};
char *fpc_fablink_encode(const struct fpc_fablink *l, size_t *len);
int fpc_fablink_decode(const char *text, size_t len, struct fpc_fablink *l, struct fp_err *err);

struct fpc_lease_val {
	char holder[FPC_NAME_MAX + 1];
	uint32_t term;
	uint64_t ttl_ms;
};
char *fpc_lease_encode(const struct fpc_lease_val *v, size_t *len);
int fpc_lease_decode(const char *text, size_t len, struct fpc_lease_val *v, struct fp_err *err);

/* What a re-plan did (P.planner.replan; the planner's status). */
struct fpc_replan {
	uint64_t epoch;
	char method[16];	/* "full", "repair", "restore", "none" */
	char why[96];
	uint64_t hosts, written, bytes;	/* shares: all, written (stored), their bytes */
	uint64_t compute_us, cpu_us, wall_us;
	/*
	 * Where the wall time went: from the request (the event) to the
	 * re-plan's start (the hold-down), encoding and comparing every share,
	 * writing the changed ones until the last is acked. @event_ns: the
	 * planner's CLOCK_MONOTONIC at the request (a bench on the same
	 * machine lines it up with its own clock).
	 */
	uint64_t wait_us, encode_us, put_us, event_ns;
	/*
	 * Flows of the plan that cannot run (failed links cut their leaves
	 * apart): planned without them. Absent from an older planner's: 0.
	 */
	uint64_t unroutable;
	/*
	 * Shares that changed, so were to be written; those not stored
	 * (written < changed: the bucket did not answer, or refused) are
	 * written again at the next re-plan. Absent from an older planner's: 0.
	 */
	uint64_t changed;
};
char *fpc_replan_encode(const struct fpc_replan *r, size_t *len);
int fpc_replan_decode(const char *text, size_t len, struct fpc_replan *r, struct fp_err *err);

#endif
