/* SPDX-License-Identifier: MIT */
/*
 * fpd.h - flowpland's state and its one loop: observe (report
 * rings -> cycles; module events; counters -> suspected faults), plan
 * (planner library, in memory), install (the module, next generation),
 * re-plan on a change. main.c only parses options and signals around it.
 *
 * What a mode does with an observation is one table (struct fpd_mode):
 * the local mode plans and installs on this host; cluster mode (issue 13)
 * adds an agent that publishes observations and installs the share it is
 * given (fpd_install()), and a planner that plans for everyone, on the same
 * loop and the same observers.
 */
#ifndef FPD_FPD_H
#define FPD_FPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "ctl.h"
#include "cycle.h"
#include "fault.h"
#include "kmod.h"
#include "loop.h"
#include "metrics.h"
#include "plan.h"
#include "probe.h"
#include "rings.h"

#define FPD_EVENTS	64
#define FPD_FAILED_MAX	64

struct fpd;

struct fpd_mode {
	const char *name;
	/* Something the plan depends on changed (@why: for logs and events). */
	void (*changed)(struct fpd *d, const char *why);
	/* The rest is optional (cluster modes, daemon/cluster/): */
	/* a port's link changed (before the local fabric is consulted) */
	void (*link)(struct fpd *d, const struct fpd_kev *ev);
	/* an operator asked for a re-plan (instead of planning here) */
	int (*replan)(struct fpd *d, struct fp_err *err);
	/* refuse a reload (0 or an errno value and why) before it applies */
	int (*reload)(struct fpd *d, const struct fpd_conf *next, struct fp_err *err);
	/* add to the control socket's status object and to the metrics */
	void (*status)(struct fpd *d, json_object *o, bool show);
	void (*metrics)(struct fpd *d, FILE *f);
	/* undo what the mode set up, before the daemon's own teardown */
	void (*fini)(struct fpd *d);
};

struct fpd_event {
	uint64_t wall_ns;
	char kind[16];
	char text[200];
};

/* Latency histogram buckets (seconds) of event -> plan installed. */
#define FPD_LAT_BUCKETS	10

struct fpd {
	struct fpd_conf conf;
	char conf_path[FPD_PATHLEN];
	const struct fpd_mode *mode;
	void *cluster;			/* the cluster mode's state (daemon/cluster/) */
	struct fpd_loop loop;
	uint64_t start_ns;

	/* observers */
	struct fpd_rings *rings;
	size_t rings_denied;		/* rings it may not read, as last logged */
	struct fpd_cyc *cyc;
	struct fpd_fault *fault;
	struct fpd_timer t_report, t_counters, t_replan, t_watchdog, t_resync;

	/* the module */
	const struct fpd_kmod_ops *kops;
	void *kctx;
	bool kmod_open;
	struct fpd_io kev_io, kwatch_io;

	/* planning and the installed plan */
	struct fpd_planner planner;
	struct fp_addr *local;
	size_t nlocal;
	struct fp_hostplan installed;	/* what the module holds (as far as we know) */
	uint64_t generation;		/* the latest generation this host has seen */
	struct fp_hostplan wanted;	/* the latest plan computed */
	bool have_wanted;
	struct fpd_fsub *fs;		/* @wanted's subflows with their paths */
	size_t nfs;
	struct fpd_plan_info info;
	char why[512];			/* why there is no plan, when there is none */
	/*
	 * A restart: the plan the module held when the daemon started. A plan
	 * keeps its entries of the pairs the plan has none for (jobs whose
	 * cycles are not found again yet) until a plan has every one of its
	 * pairs, or FPD_RESYNC_NS after the start (t_resync); empty: not, or
	 * no longer, so.
	 */
	struct fp_hostplan resync;
	size_t carried;			/* entries of @wanted kept so */

	/* links planned around: from module link events and from faults */
	int failed_ev[FPD_FAILED_MAX], failed_fault[FPD_FAILED_MAX];
	size_t nfailed_ev, nfailed_fault;
	struct fpd_suspect suspects[8];
	size_t nsuspects;

	/* re-planning */
	bool replan_pending;
	uint64_t replan_t0;		/* when the first change waiting was seen */
	char replan_why[128];
	uint64_t last_replan_ns;

	/* probing: the port map of this host's pairs */
	struct fpd_probe probe;
	fpd_probe_engine probe_engine;	/* NULL: lib/probe's */
	bool probe_on;			/* [probe] routers given */
	bool probe_saved;		/* the learned map written to [probe] state */
	struct fpd_timer t_probe;
	uint64_t probes, probe_changes, probe_failures;
	uint64_t probe_wall_ns;		/* when the last one ended */
	struct {
		int status;
		char why[256];
		size_t pairs, resolved, moved;
		double seconds;
	} probe_last;

	/* services */
	struct fpd_ctl *ctl;
	struct fpd_metrics *metrics;

	/* figures */
	uint64_t replans, installs, unchanged, install_errors, faults_total, kmod_returns;
	double last_latency_s;
	uint64_t lat_count, lat_bucket[FPD_LAT_BUCKETS];
	double lat_sum;
	struct fpd_event ev[FPD_EVENTS];
	size_t nev;			/* events ever logged */
};

/*
 * fpd_init - everything but the loop's run: observers, module, planner,
 * control socket, metrics. @kops/@kctx: the module (kmod_nl.c's, or a
 * test's). 0 or an errno value, the reason in @err.
 */
int fpd_init(struct fpd *d, const struct fpd_conf *conf, const char *conf_path,
	     const struct fpd_kmod_ops *kops, void *kctx, struct fp_err *err);
void fpd_fini(struct fpd *d);

/*
 * fpd_signals_block - block SIGTERM, SIGINT and SIGHUP (to be read from a
 * signalfd by fpd_run()) and ignore SIGPIPE; call before any thread.
 */
int fpd_signals_block(void);
/*
 * fpd_run - tell systemd READY=1 (and a STATUS), run the loop until SIGTERM
 * or SIGINT; SIGHUP reloads between RELOADING=1 and READY=1; STOPPING=1 at
 * the end. 0 or an errno value.
 */
int fpd_run(struct fpd *d);

/* Re-read the configuration (SIGHUP); on error the old one stays. */
int fpd_reload(struct fpd *d, struct fp_err *err);

/* Ask for a re-plan (held down by [plan] holddown). */
void fpd_request_replan(struct fpd *d, const char *why);
/* Plan and install now; 0, ENODATA (nothing to plan) or an install error. */
int fpd_replan_now(struct fpd *d, struct fp_err *err);
/* Install @hp as the next generation (cluster agents call this too). */
int fpd_install(struct fpd *d, const struct fp_hostplan *hp, struct fp_err *err);
/*
 * fpd_set_plan - make @hp the wanted plan (a cluster agent's share) and
 * install it as the next generation unless the module holds it already;
 * ENOENT when the module is not loaded (kept, installed when it comes).
 */
int fpd_set_plan(struct fpd *d, const struct fp_hostplan *hp, struct fp_err *err);

/* Observers' entry points (timers call them; tests may too). */
void fpd_read_reports(struct fpd *d, uint64_t now_wall_ns);
void fpd_read_counters(struct fpd *d);
void fpd_kmod_event(struct fpd *d, const struct fpd_kev *ev);
void fpd_kmod_presence(struct fpd *d, bool present);
/*
 * fpd_avoid - plan around fabric links (directed ids) suspected of a fault
 * (the counters' verdict, or a cluster's): they join the links avoided
 * until an operator's replan or a reload. @nsubs: stalled subflows they
 * explain, for the event. Returns whether one was new (a re-plan asked).
 */
bool fpd_avoid(struct fpd *d, const int32_t *links, size_t n, unsigned int nsubs);
/*
 * fpd_probe_now - learn this host's port map now (the planned pairs; with
 * no plan yet, every NIC of this host to every NIC of the others). 0,
 * EBUSY while a probe runs, ENOTSUP without [probe] routers.
 */
int fpd_probe_now(struct fpd *d, const char *why, struct fp_err *err);
/* Tests: the engine probes run in their child (NULL: lib/probe's). */
void fpd_set_probe_engine(struct fpd *d, fpd_probe_engine e);

/* The control socket's answers and the metrics text. */
json_object *fpd_status_json(struct fpd *d, bool show);
void fpd_metrics_render(void *arg, FILE *f);

void fpd_log(struct fpd *d, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fpd_event(struct fpd *d, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

extern const struct fpd_mode fpd_mode_local;

#endif
