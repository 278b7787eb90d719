/* SPDX-License-Identifier: MIT */
/*
 * agent.h - a host of a cluster: it takes the share the
 * planner wrote for it (its key in the bucket) and installs it, and it
 * publishes what it observes.
 *
 * The share comes two ways: the bucket's republication of every stored
 * write of the key (a subscription, so a new share arrives at once), and
 * a direct get of the key on every (re)connect, after dropped messages and
 * every @resync (so a late agent, or one that was cut off, has the latest
 * at once). Whatever the way, a share whose epoch is older than the one
 * taken is refused: no host ever goes back. While the bus is gone nothing
 * changes here; the installed plan stays.
 *
 * An install that fails, for whatever reason (the module not loaded, an
 * error from it, out of memory), is tried again with the same share, after
 * FPC_RETRY_MIN_NS doubling up to FPC_RETRY_MAX_NS, until it succeeds or a
 * newer share replaces it; each failure is reported (the installed
 * observation carries the error and the attempt) and counted.
 *
 * Observations are state, not events: the latest of each kind is kept
 * and published (a JetStream publish into the observation stream, which
 * keeps the last per subject); one that fails, or was made while
 * disconnected, is published again (the latest, never the old one) on the
 * next tick or reconnect.
 *
 * An agent does not own the bus: whoever does routes its connection
 * events, acks and ticks here, so that many agents can share one
 * connection (the bench simulates thousands in one process).
 */
#ifndef FPC_AGENT_H
#define FPC_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "core/hostplan.h"
#include "proto.h"

struct fpc_agent_ops {
	/*
	 * install - make @hp (epoch @epoch) the host's plan. 0, ENOENT (no
	 * module: kept for when it comes) or an error (@err). *@generation:
	 * the module's generation holding it.
	 */
	int (*install)(void *arg, const struct fp_hostplan *hp, uint64_t epoch,
		       uint64_t *generation, struct fp_err *err);
	/* A line for the log (level: syslog's). */
	void (*log)(void *arg, int level, const char *text);
};

#define FPC_RETRY_MIN_NS	100000000ull	/* 100 ms */
#define FPC_RETRY_MAX_NS	30000000000ull	/* 30 s */

struct fpc_agent {
	struct fpc_bus *bus;
	const struct fpc_names *nm;
	char host[FPC_NAME_MAX + 1];
	const struct fpc_agent_ops *ops;
	void *arg;
	uint64_t resync_ns;

	/* the share */
	uint64_t epoch;		/* the latest taken (0: none yet) */
	uint64_t revision;	/* its revision in the bucket */
	struct fpc_installed inst;	/* what was done with it */
	bool have_share;
	uint64_t last_resync;
	bool resync_failed;	/* the last read failed: again on the next tick */

	/* an install to try again: the share's text, when (fpd_now()), the wait */
	char *retry_text;
	size_t retry_len;
	uint64_t retry_at, backoff_ns;
	unsigned int attempts;	/* of the share in retry_text */
	struct fpd_timer t_retry;	/* on the bus's loop, when it has one */

	/* observations: the latest of each kind */
	struct {
		char *text;
		size_t len;
		bool dirty;
	} obs[FPC_OBS_KINDS];

	/* figures */
	uint64_t shares, refused, installs, install_errors, install_retries, bad, resyncs;
	char last_error[200];
};

/* Subscribes to the share; nothing is published before the bus is up. */
int fpc_agent_init(struct fpc_agent *a, struct fpc_bus *bus, const struct fpc_names *nm,
		   const char *host, uint64_t resync_ns, const struct fpc_agent_ops *ops,
		   void *arg, struct fp_err *err);
void fpc_agent_fini(struct fpc_agent *a);

/* The owner of the bus passes on: */
void fpc_agent_bus_event(struct fpc_agent *a, enum fpc_bus_event ev, uint64_t now);
/* an ack of one of this agent's subjects (fpc_agent_owns()) */
void fpc_agent_ack(struct fpc_agent *a, const char *subject, int errcode, const char *text);
bool fpc_agent_owns(const struct fpc_agent *a, const char *subject);
/* now and then (a second): resync when due, publish what is waiting, retry an install */
void fpc_agent_tick(struct fpc_agent *a, uint64_t now);

/* Set an observation (copied) and publish it when it changed. */
void fpc_agent_observe(struct fpc_agent *a, enum fpc_obs_kind k, const char *text, size_t len);
/* Read the share's key now (a resync). 0, or an errno value (ENOENT: none yet). */
int fpc_agent_resync(struct fpc_agent *a, struct fp_err *err);
/* A share message (republished or read): take it or refuse it. */
void fpc_agent_share(struct fpc_agent *a, natsMsg *m);
/* The same from a share's text and revision (tests). */
int fpc_agent_take(struct fpc_agent *a, const char *text, size_t len, uint64_t rev,
		   struct fp_err *err);

#endif
