/* SPDX-License-Identifier: MIT */
/*
 * planner.h - the cluster's planner: one active, any number
 * standing by, all keeping the same state from the bus.
 *
 * State: the fabric (its topology file, the same on every planner), the
 * fixed schedule if one is configured, and what the agents publish: their
 * cycles (planned jointly, phase k of every job together), the ports they
 * see down (their host links), their probed port maps (merged), and the
 * epoch each installed; plus fabric links that telemetry or an operator
 * marks down (P.fabric.link.*). A standby keeps all of it current (a
 * subscription, and the observation stream's last message per subject on
 * every connect), so that it can take over at once.
 *
 * The active planner (lease.h) plans the whole fabric with the planner
 * library: a link failing is repaired (fp_plan_repair: only what crossed
 * it moves), anything else is planned anew. Then it writes each host's
 * share (planner/share.h) with the next epoch, but only the shares whose
 * entries changed, each with the revision it last saw for that key: a
 * share someone else wrote meanwhile is refused by the bucket, and the
 * planner reads it back (and stands down when it carries a later term).
 * On taking over, a planner reads every share first: its term is above
 * any term found there, and a share that would not change is not written.
 */
#ifndef FPC_PLANNER_H
#define FPC_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "bus.h"
#include "core/hostplan.h"
#include "lease.h"
#include "loop.h"
#include "proto.h"

struct fp_topo;
struct fp_sched;
struct fp_plan;
struct fp_portmap;

struct fpc_planner_opts {
	const char *name;		/* on the lease */
	const char *topology;		/* file or generator string */
	const char *schedule;		/* a fixed schedule, or NULL/"" */
	const char *portmap;		/* the planner's own port map file, or NULL/"" */
	unsigned int max_split;
	bool enforce;
	unsigned int replicas;		/* of the bucket and the stream it creates */
	uint64_t lease_ns, holddown_ns;
};

struct fpc_planner_ops {
	void (*log)(void *arg, int level, const char *text);
	/* something an operator wants in the event list (takeover, re-plan) */
	void (*event)(void *arg, const char *kind, const char *text);
};

struct fpc_host;

struct fpc_planner {
	struct fpd_loop *loop;
	struct fpc_bus *bus;
	const struct fpc_names *nm;
	struct fpc_planner_opts o;
	char name[FPC_NAME_MAX + 1];
	const struct fpc_planner_ops *ops;
	void *arg;
	kvStore *kv;
	bool ready;			/* bucket and stream there, state read */

	/* the fabric and what is known of it */
	struct fp_topo *topo;
	struct fp_sched *fixed, *sched;
	char *pm_own;			/* the planner's own port map text */
	struct fpc_host *hosts;		/* per topology host */
	size_t nhosts;
	size_t *by_name;		/* host indices sorted by name */
	size_t *nic_off;		/* host i's NICs: nics[nic_off[i] .. nic_off[i + 1]) */
	int *nics;			/* in address order, as in its share */
	struct fp_hostplan scratch;
	unsigned char *fab_down;	/* per undirected link: marked down on the bus */
	unsigned char *plan_down;	/* per undirected link: down in the plan */
	size_t nlinks;			/* undirected */
	bool sched_dirty, pm_dirty;

	/* the plan */
	struct fp_plan *plan;
	struct fp_portmap *pm;
	uint32_t n;			/* re-plans written in this term */
	uint32_t n_stored;		/* the last of them the bucket stored a share of */

	/* the lease */
	struct fpc_lease lease;
	bool active;
	struct fpd_timer t_lease, t_replan;
	bool replan_pending;
	uint64_t replan_t0, last_replan;
	char replan_why[96];

	/* figures */
	uint64_t replans, written, bytes, conflicts, takeovers, obs_bad;
	struct fpc_replan last;
	/* the plan's flows that cannot run, with why (last.unroutable of them) */
	struct fpd_unroutable *unroutable;
};

int fpc_planner_init(struct fpc_planner *p, struct fpd_loop *loop, struct fpc_bus *bus,
		     const struct fpc_names *nm, const struct fpc_planner_opts *o,
		     const struct fpc_planner_ops *ops, void *arg, struct fp_err *err);
void fpc_planner_fini(struct fpc_planner *p);

/* From the bus's owner. */
void fpc_planner_bus_event(struct fpc_planner *p, enum fpc_bus_event ev);
void fpc_planner_ack(struct fpc_planner *p, const char *subject, uint64_t seq, int errcode,
		     const char *text);

/* Something changed (held down by the hold-down); only the active plans. */
void fpc_planner_request(struct fpc_planner *p, const char *why);
/*
 * Plan and write now (an operator's replan: from scratch). 0, EAGAIN (not
 * the active planner), ENODATA (nothing to plan) or an error.
 */
int fpc_planner_replan_now(struct fpc_planner *p, bool full, const char *why,
			   struct fp_err *err);
/* The lease, at once (tests and the tick). */
void fpc_planner_lease_tick(struct fpc_planner *p);

void fpc_planner_status(struct fpc_planner *p, json_object *o, bool show);

#endif
