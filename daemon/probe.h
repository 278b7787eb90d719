/* SPDX-License-Identifier: MIT */
/*
 * probe.h - learning the port map of this host's pairs with the
 * probing engine (lib/probe) without stopping the loop: a probe runs in a
 * child process that writes the port map (docs/formats.md) to a pipe the
 * loop reads; when the child is done the map is handed to a callback.
 * One probe at a time; the child dies with the daemon (PR_SET_PDEATHSIG)
 * and holds none of its descriptors.
 */
#ifndef FPD_PROBE_H
#define FPD_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "core/err.h"
#include "loop.h"
#include "probe/probe.h"

struct fp_hostplan;
struct fpd_planner;

/*
 * The engine a child runs: fills @pairs' results and @st and writes the
 * port map to @out (0), or returns an errno value with @err (lib/probe's
 * fp_probe_run and fp_probe_write_portmap; tests give their own).
 */
typedef int (*fpd_probe_engine)(const struct fp_probe_cfg *cfg, struct fp_probe_pair *pairs,
				size_t n, FILE *out, struct fp_probe_stats *st,
				struct fp_err *err);

/* What a probe gave: @map (NUL-terminated) on success, else @why. */
struct fpd_probe_result {
	int status;			/* 0, or an errno value */
	char why[256];
	const char *map;
	size_t pairs, resolved;
	unsigned long probes, lost;
	double seconds;
};

typedef void (*fpd_probe_done)(void *arg, const struct fpd_probe_result *r);

struct fpd_probe {
	struct fp_probe_cfg cfg;
	struct fp_probe_router *routers;
	size_t nrouters;
	fpd_probe_engine engine;
	fpd_probe_done done;
	void *arg;
	/* a probe under way */
	struct fpd_loop *loop;
	pid_t pid;
	struct fpd_io io;
	char *buf;
	size_t len, cap;
};

/*
 * fpd_probe_init - @routers: the router map's path (read here). @engine
 * NULL: lib/probe. 0 or an errno value with the reason.
 */
int fpd_probe_init(struct fpd_probe *p, struct fpd_loop *l, const char *routers,
		   unsigned int ports, unsigned int per_path, unsigned int rate,
		   unsigned int deadline_s, fpd_probe_engine engine, fpd_probe_done done,
		   void *arg, struct fp_err *err);
/* The engine of the next probes (NULL: lib/probe's). */
void fpd_probe_set_engine(struct fpd_probe *p, fpd_probe_engine e);
/* Stop a probe under way (its child is killed) and free everything. */
void fpd_probe_fini(struct fpd_probe *p);
bool fpd_probe_running(const struct fpd_probe *p);

/*
 * fpd_probe_start - probe the address pairs @pairs (@n pairs, source and
 * destination, 2 * @n addresses, IPv4 or IPv6, the two of a pair of one
 * family) of @pl's fabric. A pair expects the paths of the fabric as
 * configured less those @pl knows to be down (a link down in its live
 * fabric, or a path its port map in use gives the pair no port on): during
 * a failure it is resolved on the paths left, and a port found on a path
 * thought down is in the map like any other, news to the map in use.
 * The ports @keep's entries of a pair hold (the plan in use; may be NULL)
 * are that pair's first ports (struct fp_probe_pair): probed before the
 * others and each in the map with its path, so that the map in use can
 * confirm them however many other ports share their paths.
 * EBUSY while one runs; 0 or an errno value with the reason.
 */
int fpd_probe_start(struct fpd_probe *p, const struct fpd_planner *pl,
		    const struct fp_addr *pairs, size_t n, const struct fp_hostplan *keep,
		    struct fp_err *err);

#endif
