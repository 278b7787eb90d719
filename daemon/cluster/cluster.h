/* SPDX-License-Identifier: MIT */
/*
 * cluster.h - cluster mode of flowpland (issue 13): what
 * main.c calls. The daemon's loop, observers and module stay as they are;
 * a cluster mode replaces what happens with an observation (struct
 * fpd_mode): an agent publishes it and installs the share the planner
 * gives it, a planner plans every host from what all agents publish. The
 * bus is NATS with JetStream (bus.h); the protocol is in proto.h and
 * the README's "Cluster mode"; server configuration and permissions in
 * daemon/cluster/nats/.
 */
#ifndef FPC_CLUSTER_H
#define FPC_CLUSTER_H

#include "fpd.h"

/*
 * fpd_cluster_check - the [cluster] section makes sense for @c's mode
 * (names, credentials, files readable): what `flowpland -t` says. 0 or
 * an errno value with the reason.
 */
int fpd_cluster_check(const struct fpd_conf *c, struct fp_err *err);
/*
 * fpd_cluster_open - after fpd_init(): connect (in the background: a bus
 * that is not there yet leaves the installed plan as it is) and switch
 * @d to the agent or planner mode of its configuration.
 */
int fpd_cluster_open(struct fpd *d, struct fp_err *err);
/*
 * fpd_cluster_shutdown - the last call of the process, after fpd_fini():
 * the NATS library's threads end before exit() (fpc_bus_shutdown()).
 */
void fpd_cluster_shutdown(void);

/*
 * A plan table in a file instead of the module ([cluster] table): an
 * install backend (kmod.h) for tests and dry runs. The file is a plan
 * file (docs/formats.md) rewritten whole, atomically, on every install,
 * with its generation; an older generation is refused as the module
 * refuses it. No events, no counters.
 */
const struct fpd_kmod_ops *fpd_table_ops(void **ctx, const char *path, struct fp_err *err);
void fpd_table_free(void *ctx);

#endif
