/* SPDX-License-Identifier: MIT */
/*
 * conf.h - flowpland's configuration (/etc/flowplan/flowpland.conf).
 *
 * An INI file: "[section]" lines, "key = value" lines, '#' or ';' comments,
 * blank lines. Every key has a default (fpd_conf_default()); an unknown
 * section or key, a repeated key, a value that does not parse or is out of
 * range is an error naming FILE:LINE, never ignored or clamped. Sizes take
 * K/M/G (powers of 1024), durations us/ms/s/m (a bare number is seconds),
 * booleans yes/no/true/false/on/off/1/0. The keys are listed in
 * daemon/flowpland.conf, which is also the file `make install` ships.
 */
#ifndef FPD_CONF_H
#define FPD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

#define FPD_CONF_PATH	"/etc/flowplan/flowpland.conf"
#define FPD_SOCKET_PATH	"/run/flowplan/daemon.sock"
#define FPD_CONF_MAX	(1 << 20)	/* bytes; a larger file is refused */
#define FPD_PATHLEN	256

enum fpd_mode_kind {
	FPD_MODE_LOCAL,		/* observe, plan and install on this host */
	FPD_MODE_AGENT,		/* cluster: publish observations, install the share given */
	FPD_MODE_PLANNER,	/* cluster: plan every host's share (daemon/cluster/) */
};

struct fpd_conf {
	/* [daemon] */
	enum fpd_mode_kind mode;
	char socket[108];		/* sun_path */
	char metrics[64];		/* "ADDR:PORT", "" when off */
	int log_level;			/* LOG_ERR .. LOG_DEBUG */
	/* [fabric] */
	char topology[FPD_PATHLEN];	/* file or generator string; "": none */
	char portmap[FPD_PATHLEN];
	char local_addrs[FPD_PATHLEN];	/* "a,b,..."; "": the host's interfaces */
	/* [plan] */
	char schedule[FPD_PATHLEN];	/* a fixed schedule instead of observing */
	unsigned int max_split;
	bool enforce;
	uint64_t holddown_ns;		/* least time between two re-plans */
	/* [observe] */
	char report_dir[FPD_PATHLEN];
	uint64_t report_interval_ns;
	uint64_t window_ns, settle_ns, confirm_ns, idle_ns;
	uint64_t min_bytes;
	unsigned int max_period;
	/* [faults] */
	uint64_t counters_interval_ns;	/* 0: counters not read */
	double slow_ratio;
	unsigned int fault_intervals;
	uint64_t fault_min_bytes;
	/* [cluster] (modes agent and planner; daemon/cluster/cluster.h) */
	char servers[1024];		/* NATS URLs, comma separated */
	char host[64];			/* this host's name in the fabric; "": gethostname() */
	char name[64];			/* a planner's name on the bus; "": host name and pid */
	char bucket[64];		/* the JetStream key-value bucket of the shares */
	char prefix[32];		/* first token of every subject */
	unsigned int replicas;		/* of the bucket and the observation stream */
	char user[64];
	char password_file[FPD_PATHLEN];
	char nkey_seed[FPD_PATHLEN];
	char tls_ca[FPD_PATHLEN], tls_cert[FPD_PATHLEN], tls_key[FPD_PATHLEN];
	uint64_t lease_ns;		/* the planner lease's time to live */
	uint64_t resync_ns;		/* agents re-read their share this often; 0: only on reconnect */
	uint64_t summary_ns;		/* agents publish counter summaries this often; 0: never */
	char table[FPD_PATHLEN];	/* install into this file instead of the module */
	/* [probe] */
	char routers[FPD_PATHLEN];	/* router map; "": no probing */
	uint64_t probe_interval_ns;	/* 0: at start and on demand only */
	unsigned int probe_ports;	/* candidate ports: flow labels 1..N */
	unsigned int probe_per_path;
	unsigned int probe_rate;	/* probes per second */
	uint64_t probe_deadline_ns;
	char probe_state[FPD_PATHLEN];	/* the learned map, kept across restarts; "": not */
};

/* The name of a mode as the file says it. */
const char *fpd_mode_name(enum fpd_mode_kind m);

void fpd_conf_default(struct fpd_conf *c);

/*
 * fpd_conf_parse - @text (@len bytes, need not be NUL-terminated) named
 * @name in errors, over @c (which holds defaults or an older config). On
 * error @c is unchanged. 0, EINVAL (with "NAME:LINE: ..." in @err), EFBIG.
 */
int fpd_conf_parse(const char *text, size_t len, const char *name,
		   struct fpd_conf *c, struct fp_err *err);
/* fpd_conf_load - the file @path; a missing file is ENOENT (with a message). */
int fpd_conf_load(const char *path, struct fpd_conf *c, struct fp_err *err);

/* Every key = value, one per line, as a file would say it (the log at start). */
void fpd_conf_write(const struct fpd_conf *c, FILE *f);

#endif
