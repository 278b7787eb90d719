/* SPDX-License-Identifier: MIT */
/*
 * core/nlclient.h - the one user-space client of the flowplan generic
 * netlink family (include/uapi/linux/flowplan.h), over libnl-genl-3.
 *
 * flowplanctl, libflowplan, the daemon and the interposer all speak to the
 * module through this file: every message of the family has one encoder
 * and one decoder, here. Decoding is strict: an attribute the UAPI header
 * marks required that is missing, or one of the wrong length, is EPROTO;
 * optional ones take the defaults the header documents (absent weights:
 * equal shares).
 *
 * Errors: 0 or an errno value. ENOENT from fp_nlc_open() means the module
 * is not loaded. Whenever the kernel gave a reason (extended ACK), @err
 * carries it as "WHAT: STRERROR; kernel reports: REASON". libnl's NLE_*
 * codes are translated here and nowhere else.
 *
 * A client is one socket, used from one thread.
 */
#ifndef FP_CORE_NLCLIENT_H
#define FP_CORE_NLCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/hostplan.h"

struct fp_nlc;

/*
 * fp_nlc_open - connect, ask for extended ACKs, resolve the family. NULL
 * and errno set (ENOENT: "flowplan module not loaded (modprobe flowplan)"
 * in @err).
 */
struct fp_nlc *fp_nlc_open(struct fp_err *err);
void fp_nlc_close(struct fp_nlc *nlc);
/* libnl's NL_CB_DEBUG message dumps on stderr (flowplanctl --debug). */
void fp_nlc_set_debug(struct fp_nlc *nlc, bool on);

/*
 * fp_nlc_get_plan - the plan the module holds (GET_PLAN dump), dumped again
 * while the plan changes under the dump (NLM_F_DUMP_INTR), a few times, then
 * EAGAIN. @hp is initialised here and finished (sorted) on success.
 */
int fp_nlc_get_plan(struct fp_nlc *nlc, struct fp_hostplan *hp,
		    struct fp_err *err);

/*
 * fp_nlc_set_plan - install @hp (all of its entries) as generation
 * @generation with SET_PLAN, split over as many messages as the 64 KiB
 * attribute limit needs (sized from the encoded messages themselves). The
 * module installs it atomically with the last part. @enforce_all sets
 * FLOWPLAN_ENTRY_F_ENFORCE on every entry. Needs CAP_NET_ADMIN (EPERM).
 */
int fp_nlc_set_plan(struct fp_nlc *nlc, const struct fp_hostplan *hp,
		    uint64_t generation, bool enforce_all, struct fp_err *err);

/* fp_nlc_del_plan - empty the plan; its generation goes back to 0. */
int fp_nlc_del_plan(struct fp_nlc *nlc, struct fp_err *err);

/* GET_DEVICES */
struct fp_nl_gid {
	uint32_t index;
	uint8_t type;			/* enum flowplan_gid_type */
	struct fp_addr gid;
};

struct fp_nl_port {
	uint32_t num;			/* from 1 */
	uint8_t state;			/* enum flowplan_port_state */
	uint8_t link;			/* enum flowplan_link */
	uint32_t ifindex;		/* 0: no netdev */
	char netdev[16];		/* "" : none */
	size_t ngids;
	struct fp_nl_gid *gids;
};

struct fp_nl_device {
	uint32_t index;
	char name[64];
	size_t nports;
	struct fp_nl_port *ports;
};

int fp_nlc_get_devices(struct fp_nlc *nlc, struct fp_nl_device **devs,
		       size_t *n, struct fp_err *err);
void fp_nl_devices_free(struct fp_nl_device *devs, size_t n);

/* GET_COUNTERS */
struct fp_nl_counter {
	struct fp_addr remote;
	uint16_t sport;			/* on the wire, after any rewrite */
	uint64_t packets, bytes, rewritten;
};

struct fp_nl_counters {
	uint64_t untracked;		/* packets the full table did not count */
	size_t n;
	struct fp_nl_counter *c;
};

int fp_nlc_get_counters(struct fp_nlc *nlc, struct fp_nl_counters *out,
			struct fp_err *err);
void fp_nl_counters_free(struct fp_nl_counters *c);

/*
 * Events: fp_nlc_subscribe() joins the "events" group on this client's
 * socket and makes it non-blocking; poll fp_nlc_fd() for POLLIN and call
 * fp_nlc_read_event() until it returns EAGAIN. ENOBUFS means events were
 * lost (the socket overran): re-read the state with the GET commands.
 * A subscribed client reads events only: requests on it are refused
 * (EINVAL), since the kernel's events would come between their replies
 * (SET_PLAN's PLAN_CHANGED comes before its ACK). Open a second client.
 */
enum fp_nl_event_kind {
	FP_NL_EV_DEVICE_ADDED,
	FP_NL_EV_DEVICE_REMOVED,
	FP_NL_EV_LINK_CHANGED,		/* dev.ports[0] is the port that changed */
	FP_NL_EV_PLAN_CHANGED,
	FP_NL_EV_PORT_CHANGED,		/* dev.ports[0] and its IB state, as the RDMA core has it */
};

struct fp_nl_event {
	enum fp_nl_event_kind kind;
	struct fp_nl_device dev;	/* device and link events */
	uint64_t generation;		/* plan events */
	uint32_t nentries;
};

int fp_nlc_subscribe(struct fp_nlc *nlc, struct fp_err *err);
int fp_nlc_fd(const struct fp_nlc *nlc);
int fp_nlc_read_event(struct fp_nlc *nlc, struct fp_nl_event *ev,
		      struct fp_err *err);
void fp_nl_event_free(struct fp_nl_event *ev);

#endif
