/* SPDX-License-Identifier: MIT */
/* kmod_nl.h - the module table over netlink (kmod_nl.c). */
#ifndef FPD_KMOD_NL_H
#define FPD_KMOD_NL_H

#include "kmod.h"

struct fp_nl_event;

/* The operations and their context; NULL and the reason in @err. */
const struct fpd_kmod_ops *fpd_kmod_nl(void **ctx, struct fp_err *err);
void fpd_kmod_nl_free(void *ctx);

/*
 * A module event (fp_nlc_read_event()) as the daemon takes it. A port's
 * LINK_CHANGED (its netdev) and PORT_CHANGED (the IB state the RDMA core
 * has after its update) are both FPD_KEV_LINK: up when the link is up and
 * the IB state, where the event has one, ACTIVE. They come from two
 * contexts in no set order and say the same once the port settled; the
 * one that changes nothing re-plans nothing.
 */
void fpd_kmod_nl_event(const struct fp_nl_event *e, struct fpd_kev *ev);

#endif
