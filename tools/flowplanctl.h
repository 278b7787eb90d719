/* SPDX-License-Identifier: MIT */
/*
 * flowplanctl.h - shared pieces of the admin CLI: global options, command
 * dispatch, the one printing path for human and JSON output, and helpers.
 *
 * One file per object, as iproute2 does (topology.c, schedule.c, plan.c,
 * simulate.c, probe.c, gpu.c, device.c, counters.c, monitor.c), each
 * exporting one `int cmd_<object>(int argc, char **argv)` listed in the
 * object table of flowplanctl.c. Commands return 0 or 1 (the process exit
 * code); errors go to stderr as "flowplanctl: ...". Every keyword is matched
 * by prefix (fp_matches), the first keyword of a command's list winning.
 */
#ifndef FLOWPLANCTL_H
#define FLOWPLANCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct fp_opts {
	bool json;		/* -j */
	bool pretty;		/* -p */
	bool details;		/* -d */
	bool debug;		/* --debug: libnl message dumps */
};
extern struct fp_opts opts;

struct fp_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;	/* one line: "compute TOPO SCHED [out FILE]" */
};

/* Dispatch argv[0] over @tbl by prefix; no argument runs tbl[0]. */
int fp_dispatch(const char *obj, const struct fp_cmd *tbl, int argc, char **argv);
/* True when @arg is a non-empty prefix of @keyword (iproute2's matches()). */
bool fp_matches(const char *arg, const char *keyword);
void fp_usage_obj(const char *obj, const struct fp_cmd *tbl);
int fp_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The value after a keyword ("out FILE"); NULL after complaining. */
const char *fp_next_arg(int *argc, char ***argv, const char *keyword);

/*
 * Output: the one path for both forms. In JSON mode values land in one
 * JSON document printed by pr_end() (nothing when nothing was added);
 * otherwise each value is printed with its human format (NULL: JSON only).
 * Keys are the stable JSON interface; human output may change.
 */
void pr_start(void);
void pr_end(void);
/* Print what was gathered and start anew: one document per event. */
void pr_flush(void);
void pr_obj_open(const char *key);	/* key NULL inside arrays / at top */
void pr_obj_close(void);
void pr_arr_open(const char *key, const char *human);
void pr_arr_close(const char *human);
void pr_str(const char *key, const char *fmt, const char *val);
void pr_u64(const char *key, const char *fmt, uint64_t val);
void pr_s64(const char *key, const char *fmt, int64_t val);
void pr_dbl(const char *key, const char *fmt, double val);
void pr_bool(const char *key, const char *fmt, bool val);
void pr_null(const char *key, const char *fmt);
/* Human-only text (nothing in JSON mode). */
void pr_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Objects. */
int cmd_topology(int argc, char **argv);
int cmd_schedule(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_gpu(int argc, char **argv);
int cmd_device(int argc, char **argv);
int cmd_counters(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_daemon(int argc, char **argv);	/* daemon/ctl_client.c's fpd_ctl_cli() */

/* util.c: loading inputs, writing outputs, numbers, the netlink client. */
struct fp_topo;
struct fp_sched;
struct fp_portmap;
struct fp_nlc;
struct fp_nl_device;

struct fp_topo *load_topo(const char *spec);
struct fp_sched *load_sched(const char *spec, const struct fp_topo *t);
struct fp_portmap *load_portmap(const char *path, struct fp_topo *t);
/*
 * Output files are written aside (PATH.XXXXXX) and renamed into place once
 * every byte is on disk, so that a failed write (a full disk) leaves what
 * was there and says so. "-" is standard output. out_open() returns the
 * stream or NULL after complaining; out_close(@o, @rc) finishes it: @rc is
 * the caller's result so far (non-zero: throw the file away), and the
 * result is 0 or 1.
 */
struct out_file {
	FILE *f;
	const char *path;
	char *tmp;		/* NULL: standard output */
};

FILE *out_open(struct out_file *o, const char *path);
int out_close(struct out_file *o, int rc);
/* Write @text (plus newline) to @path, or stdout for "-". Returns 0 or 1. */
int write_out(const char *path, const char *text);
/*
 * atexit: standard output flushed and closed, a failed write (a full disk,
 * /dev/full) said on stderr and the exit status made 1.
 */
void close_stdout(void);
double now_sec(void);
/* Parse the value @v of keyword @kw as 0..@max; complains and returns 1 if not. */
int parse_u64(const char *kw, const char *v, uint64_t max, uint64_t *out);
/* The module's netlink client, or NULL after saying why (not loaded...). */
struct fp_nlc *ctl_nlc_open(void);

/* device.c: a device as device show prints it (monitor prints events so). */
void print_device(const struct fp_nl_device *d, bool gids);
const char *port_state_name(uint8_t s);
const char *link_name(uint8_t l);

#endif
