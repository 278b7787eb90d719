/* SPDX-License-Identifier: MIT */
/*
 * kmod.h - what the daemon needs of flowplan.ko, as a table of
 * operations: the real one (kmod_nl.c) speaks the generic netlink family
 * through lib/core's client and watches the family come and go through
 * the controller's notifications, as mptcpd's path manager does; the unit
 * tests give an in-memory table instead, the way cluster mode's tests will
 * (issue 13), to drive what a real module cannot do on demand.
 */
#ifndef FPD_KMOD_H
#define FPD_KMOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/hostplan.h"
#include "fault.h"

enum fpd_kev_kind {
	FPD_KEV_LINK,		/* a port's link or IB state changed: @up, @addrs */
	FPD_KEV_DEVICE,		/* a device came or went: re-read */
	FPD_KEV_PLAN,		/* the plan changed: @generation */
	FPD_KEV_LOST,		/* events were lost: re-read everything */
};

#define FPD_KEV_ADDRS	8

struct fpd_kev {
	enum fpd_kev_kind kind;
	char dev[64];
	uint32_t port;
	bool up;
	bool ib_state;		/* @up from the port's IB state (PORT_CHANGED) */
	size_t naddrs;
	/* the port's IPv4 and IPv6 GIDs, IPv4 first; not link-local ones */
	struct fp_addr addrs[FPD_KEV_ADDRS];
	uint64_t generation;
	size_t nentries;
};

struct fpd_kmod_ops {
	/* Connect; ENOENT when the module is not loaded (then call again later). */
	int (*open)(void *ctx, struct fp_err *err);
	void (*close)(void *ctx);
	/* The installed plan (hp initialised here), its generation included. */
	int (*get_plan)(void *ctx, struct fp_hostplan *hp, struct fp_err *err);
	int (*set_plan)(void *ctx, const struct fp_hostplan *hp, uint64_t generation,
			struct fp_err *err);
	/* Every counter; *c malloc'd. */
	int (*get_counters)(void *ctx, struct fpd_fcount **c, size_t *n, struct fp_err *err);
	/* Module events: a descriptor to watch (-1: none) and one event per call;
	 * EAGAIN when none is left.
	 */
	int (*event_fd)(void *ctx);
	int (*read_event)(void *ctx, struct fpd_kev *ev, struct fp_err *err);
	/* The family appearing or vanishing (module load, unload): a descriptor
	 * open whether or not the module is loaded (-1: none); *present says
	 * whether the family is there after the notifications read.
	 */
	int (*watch_fd)(void *ctx);
	int (*read_watch)(void *ctx, bool *changed, bool *present);
};

#endif
