/* SPDX-License-Identifier: MIT */
/*
 * planner/plan.h - strategies that route a schedule over a fabric, flowplan's
 * planner among them, the lower bound they are judged against, and the plan
 * file writer (docs/formats.md "Plan").
 */
#ifndef FP_PLAN_H
#define FP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/hostplan.h"
#include "planner/portmap.h"
#include "planner/sched.h"
#include "planner/topo.h"

enum fp_strategy {
	FP_STRAT_ECMP,		/* one QP per connection, port from the QP numbers */
	FP_STRAT_ECMPK,		/* k QPs per connection, random ports */
	FP_STRAT_SPRAY,		/* ideal packet spraying (fractional, per-hop even split) */
	FP_STRAT_FLOWPLAN,	/* planned subflows */
};

struct fp_plan_opts {
	enum fp_strategy strategy;
	int k;			/* FP_STRAT_ECMPK: QPs per connection (default 4) */
	uint64_t seed;		/* QP numbers and random ports of the ECMP strategies */
	const struct fp_portmap *pm;	/* learned ports; NULL: the topology's hash model */
	int max_split;		/* flowplan: most subflows per flow (default 8, <= 16) */
	uint64_t generation;
	bool enforce;		/* entries ask the module to enforce */
	/*
	 * flowplan: FP_METHOD_NONE chooses (exact where it applies, else the
	 * simplex method when the LP is small, else gradient projection);
	 * FP_METHOD_GP or FP_METHOD_LP asks for one (the LP falls back to GP
	 * when too large).
	 */
	int method;
	/*
	 * Plan the flows that can run and list those that cannot in the plan's
	 * unroutable[] (below) instead of failing: a flow whose host link is
	 * down, or whose leaves failed links cut apart. Each phase is then
	 * planned, and bounded, for the flows that remain; a background flow
	 * that cannot run carries nothing. Without it such a flow fails the
	 * whole plan (EHOSTUNREACH, naming it). A caller that sets it must
	 * read fp_plan.nunroutable: a plan with unroutable flows leaves hosts
	 * without entries for them.
	 */
	bool partial;
};

/* Why a flow of a partial plan (fp_plan_opts.partial) has no route. */
enum fp_unroutable_why {
	FP_UNROUTABLE_HOST_LINK = 1,	/* the link of its source or destination NIC is down */
	FP_UNROUTABLE_CUT,		/* failed links cut its two leaves apart */
};

struct fp_plan_unroutable {
	uint32_t phase, flow;		/* the flow in the schedule */
	enum fp_unroutable_why why;
};

#define FP_PATH_NONE	0xffffu	/* a subflow off the fabric (two NICs of one host) */

/* One planned subflow of a flow: its bytes, its port, its path. 16 bytes. */
struct fp_plan_subflow {
	uint64_t bytes;
	uint32_t flow_label;	/* 0 for spraying, which has no port */
	uint16_t sport;
	uint16_t path;		/* index into fp_topo_paths(src leaf, dst leaf), or FP_PATH_NONE */
};

struct fp_plan_flow {
	uint32_t first, n;	/* subflows of the flow in fp_plan_phase.subs */
};

/*
 * The reverse direction of a planned flow a -> b whose pair b -> a has no
 * flow in the schedule: what b's QP sends back (RoCE acknowledgements,
 * NAKs, READ responses) carries the source port of b's own QP, so b gets
 * an entry b -> a with one subflow per subflow of the flow, each on the
 * reverse of that subflow's path (fp_plan_reverse). Bytes: none counted
 * (docs/formats.md "Reverse entries").
 */
struct fp_plan_rsub {
	uint32_t flow_label;
	uint16_t sport;
	uint16_t path;		/* index into fp_topo_paths(dst leaf, src leaf) */
};

struct fp_plan_rev {
	uint32_t flow;		/* the forward flow, in the schedule phase */
	uint32_t first, n;	/* its reverse subflows in rsubs; n 0: none (no entry) */
};

/*
 * How flowplan planned a phase: exact (matchings, two-tier fabrics with
 * uniform live uplinks and equal flows), lp (the multicommodity LP solved
 * exactly), gp (the LP approximated by gradient projection: large problems),
 * greedy (one path per flow was enough: the host links bind).
 */
enum fp_method { FP_METHOD_NONE, FP_METHOD_EXACT, FP_METHOD_LP, FP_METHOD_GP,
		 FP_METHOD_GREEDY };
const char *fp_method_name(enum fp_method m);

struct fp_plan_phase {
	struct fp_plan_flow *flows;	/* parallel to the schedule phase's flows */
	struct fp_plan_subflow *subs;
	size_t nsubs, cap;
	double *link_bytes;	/* per directed link, background included */
	double *bg_bytes;	/* per directed link: the background flows' (NULL: none) */
	double max_load;	/* seconds: max over links of bytes / capacity */
	double lower_bound;	/* seconds: no routing, split or not, does better */
	int bottleneck;		/* link with max_load */
	enum fp_method method;
	int max_subflows;	/* most subflows any flow got */
	size_t split_flows;	/* flows with more than one subflow */
	size_t capped_flows;	/* flows that needed more subflows than max_split */
	size_t iters;		/* simplex pivots or gradient sweeps */
	size_t unroutable;	/* flows that cannot run (fp_plan_opts.partial) */
	/*
	 * Flows whose pair has no reverse flow in any phase, ordered by
	 * destination NIC (then flow): rev_off[n] .. rev_off[n + 1] are those
	 * to NIC n (NULL when there are none); their reverse subflows.
	 */
	struct fp_plan_rev *rev;
	size_t nrev;
	uint32_t *rev_off;
	struct fp_plan_rsub *rsubs;
	size_t nrsubs;
};

struct fp_plan_index;

struct fp_plan {
	enum fp_strategy strategy;
	int k;
	uint64_t generation;
	bool enforce;
	struct fp_topo *topo;
	const struct fp_sched *sched;
	struct fp_plan_phase *ph;
	size_t nph;
	struct fp_plan_index *index;	/* flows by source NIC, built when first needed */
	bool rev_built;			/* the phases' rev lists are made (fp_plan_reverse) */
	/*
	 * A partial plan's flows that cannot run, by phase and flow: they
	 * have no subflows and no entries. The phase's unroutable counts them.
	 */
	struct fp_plan_unroutable *unroutable;
	size_t nunroutable;
};

/*
 * Why flow @u of @p cannot run, into @buf: "no live path (failed links cut
 * leaf3 from leaf0)" or "the link of h0.n0 to leaf0 is down". Returns @buf.
 */
const char *fp_plan_unroutable_why(const struct fp_plan *p, const struct fp_plan_unroutable *u,
				   char *buf, size_t len);

int fp_plan_compute(struct fp_topo *t, const struct fp_sched *s, const struct fp_plan_opts *o,
		    struct fp_plan **out, struct fp_err *err);
void fp_plan_free(struct fp_plan *p);
/*
 * fp_plan_account - @pp's link bytes (the background's, @pp->bg_bytes when
 * not NULL, plus every subflow's on the links its path crosses), max load,
 * bottleneck, most subflows per flow and split flows, from its subflows.
 * @ph is the schedule phase @pp plans; a subflow whose path is FP_PATH_NONE
 * or not in its flow's path set loads no link. For a caller that assembles
 * subflows itself (the cluster planner keeping an old plan's paths).
 */
void fp_plan_account(struct fp_topo *t, const struct fp_phase *ph, struct fp_plan_phase *pp);
/*
 * fp_plan_repair - re-plan after links fail, moving only what must move.
 * The daemon calls it when a link or a host goes down.
 *
 * @p: a flowplan plan from fp_plan_compute(); it is changed in place, and
 * so is its topology (the links are marked down with fp_topo_link_set()).
 * @links: directed link ids that failed (either direction of a link; see
 * fp_topo_link() to find one by its ends; a host failure is its NICs'
 * links). Per phase:
 * - subflows whose path crosses a failed link move onto the live paths of
 *   their flow: one piece on the path that keeps the busiest link lowest,
 *   or, when that would go above the phase's load before the failure, as
 *   many pieces as max_split still allows; they get new flow labels;
 * - subflows of the pairs the failure touched keep their path; where the
 *   hash model now sends their port elsewhere (a switch whose ECMP group
 *   lost a member rehashes) they get a new port for the same path;
 * - flows whose host link failed cannot run: their subflows go (the plan
 *   flow keeps n == 0 and no entry is made for it);
 * - every other subflow keeps its path and port.
 * Loads, bottleneck and subflow counts are recomputed; the lower bound
 * stays (failures never lower it), raised by the new cuts, or recomputed
 * from the cuts when flows were dropped. The generation goes up by one.
 * - reverse subflows (fp_plan_reverse) follow their flows' new paths and
 *   keep their labels where these still take the same reverse path.
 * Cost: the flows of the touched pairs, plus one pass over all flows.
 * A port map (@o->pm) gives the ports of new subflows. One read against
 * this topology as it is (fp_portmap_parse: its topo and paths_gen are the
 * topology's) numbers its paths for the links before the failure: the
 * repair uses a copy numbered for the paths left, the rows of the touched
 * pairs renumbered (-1 where their path died; a pass over the map's rows)
 * and @o->pm stays as it was. One its maker numbered itself (topo NULL) is
 * taken as numbered for the paths after the failure.
 * 0, or an errno value (EINVAL: not a flowplan plan, a bad link id;
 * EHOSTUNREACH: failures cut two leaves of a flow apart, or @p is a
 * partial plan with unroutable flows, nothing done; ENOENT: no port
 * for a path; ESTALE: @o->pm was read against this topology before its
 * links last changed, nothing is done: read it again): the plan is then
 * only partly repaired and should be computed again.
 */
struct fp_plan_repair_opts {
	int max_split;				/* as fp_plan_opts (0: 8) */
	const struct fp_portmap *pm;		/* ports for new subflows; NULL: the hash model */
};

struct fp_plan_repair_stats {
	size_t moved;		/* subflows that crossed a failed link, moved */
	size_t relabelled;	/* kept their path, got a new port */
	size_t kept;		/* kept path and port, in the pairs the failure touched */
	size_t dropped;		/* flows that cannot run: their host link failed */
};

int fp_plan_repair(struct fp_plan *p, const int *links, size_t nlinks,
		   const struct fp_plan_repair_opts *o, struct fp_plan_repair_stats *st,
		   struct fp_err *err);

/*
 * fp_plan_reverse - (re)plan the reverse subflows of @p (fp_plan_rev above)
 * for the flowplan strategy; others have none. fp_plan_compute and
 * fp_plan_repair call it; a caller that changes subflows itself (the
 * cluster planner's restore) calls it after. Reverse subflow i of a flow
 * takes the reverse of the path of the flow's subflow i (any live path
 * when that is gone), with a port from @pm (numbered for @p's topology as
 * it is now) or the hash model. Where @prev (may be @p itself) plans the
 * same schedule and its reverse subflow still routes onto that path, its
 * label is kept, so that shares change only where they must. A flow
 * whose reverse pair has no port for a path (a map without that pair)
 * gets no reverse subflows. 0 or an errno value (ENOMEM, E2BIG).
 */
int fp_plan_reverse(struct fp_plan *p, const struct fp_portmap *pm, const struct fp_plan *prev,
		    struct fp_err *err);

/*
 * fp_plan_hostplan - the plan's host plan (core/hostplan.h): per (source,
 * destination) address pair, the subflows of the phase in which the pair
 * carries the most bytes (the earliest on ties), weights their byte shares
 * in exact integers summing to FP_WEIGHT_ONE (the largest subflow takes the
 * rounding), dqpn FP_DQPN_ANY, enforce as planned, the plan's generation.
 * Pairs off the fabric, spraying and subflows without a flow label (port
 * maps learned with TCP) give no entry. A flowplan plan adds, per pair
 * a -> b whose reverse b -> a has no flow, a reverse entry b -> a: the
 * forward entry's weights, the reverse subflows' labels (fp_plan_reverse).
 * A NIC's reverse entries follow its own. @local/@nlocal: only the pairs whose
 * source is one of these addresses (a host's share); NULL: every pair.
 * @out is initialised here and finished (sorted). The one conversion from a
 * plan to entries: the plan file, the per-host shares and the daemon use it.
 * The first call builds an index of the flows by source (4 bytes per flow
 * and phase, none when the phase lists its flows by source already), so a
 * host's share costs what that host has. Not thread-safe on one plan (the
 * index is the plan's scratch). 0 or an errno value.
 */
int fp_plan_hostplan(const struct fp_plan *p, const struct fp_addr *local, size_t nlocal,
		     struct fp_hostplan *out, struct fp_err *err);
/* The entries of one source NIC (node id), appended to @hp unfinished. */
int fp_plan_nic_entries(const struct fp_plan *p, int nic, struct fp_hostplan *hp,
			struct fp_err *err);

/*
 * The plan file (format flowplan-plan), streamed to @f: entries through the
 * core's entry writer, then the phases (flows, subflows with their paths,
 * method, load and bound; per-link loads with FP_PLAN_LINKS). 0 or an errno
 * value (EIO when @f fails).
 */
#define FP_PLAN_PRETTY		1u
#define FP_PLAN_LINKS		2u
#define FP_PLAN_ENTRIES_ONLY	4u	/* no "phases" */
#define FP_PLAN_COMPACT		8u	/* shares: planner/share.h's text, not JSON */
int fp_plan_write(FILE *f, const struct fp_plan *p, unsigned int flags, struct fp_err *err);
/* Host @host's share: a plan file with "host" and that host's entries only. */
int fp_plan_write_share(FILE *f, const struct fp_plan *p, int host, unsigned int flags,
			struct fp_err *err);
/*
 * Every host's share into directory @dir as HOST.json (a plan file), or
 * HOST.share with FP_PLAN_COMPACT (planner/share.h), each written aside and
 * renamed into place. @dir is created when missing (not its parents).
 * Host names must be letters, digits, '.', '_' and '-' (not starting with
 * '.'): EINVAL otherwise.
 */
int fp_plan_write_shares(const struct fp_plan *p, const char *dir, unsigned int flags,
			 struct fp_err *err);
/* The plan file in memory (NULL on failure). @links: per-link loads. */
char *fp_plan_to_json(const struct fp_plan *p, bool pretty, bool links);
const char *fp_strategy_name(enum fp_strategy s);
int fp_strategy_parse(const char *s, enum fp_strategy *st, int *k);

/*
 * The seconds of transfer each directed link carries in @p, summed over its
 * phases (@load: t->nlinks doubles): what a picture colours.
 */
void fp_plan_link_loads(const struct fp_plan *p, double *load);

/* Link load in seconds for @bytes on directed link @l. */
double fp_link_load(const struct fp_topo *t, int l, double bytes);
/*
 * Lower bound on the maximum link load of a phase for any routing over live
 * shortest paths, split arbitrarily: host links, leaf and pod cuts, and the
 * LP dual bound for the length function derived from @link_bytes (may be NULL).
 */
double fp_phase_lower_bound(struct fp_topo *t, const struct fp_phase *ph,
			    const double *link_bytes);
/* The same with @bg_bytes (per directed link, may be NULL) fixed on the links. */
double fp_phase_lower_bound_bg(struct fp_topo *t, const struct fp_phase *ph,
			       const double *link_bytes, const double *bg_bytes);

#endif
