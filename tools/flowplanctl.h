/* SPDX-License-Identifier: MIT */
/*
 * flowplanctl.h - shared pieces of the admin CLI: global options, command
 * dispatch and the one printing path for human and JSON output.
 *
 * Each object lives in its own file (topo.c, plan.c, sim.c, dev.c, ...) and
 * exports one `int cmd_<object>(int argc, char **argv)` listed in the object
 * table of flowplanctl.c. Commands return 0 or 1 (the process exit code);
 * errors go to stderr as "flowplanctl: ...".
 */
#ifndef FLOWPLANCTL_H
#define FLOWPLANCTL_H

#include <stdbool.h>
#include <stdint.h>

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
	const char *help;	/* one line: "plan compute TOPO SCHED [out FILE]" */
};

/* Dispatch argv[0] over @tbl by prefix; no argument runs tbl[0]. */
int fp_dispatch(const char *obj, const struct fp_cmd *tbl, int argc, char **argv);
/* True when @arg is a non-empty prefix of @keyword (iproute2's matches()). */
bool fp_matches(const char *arg, const char *keyword);
void fp_usage_obj(const char *obj, const struct fp_cmd *tbl);
int fp_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Fetch the value after a keyword: "out FILE". Returns NULL and complains when missing. */
const char *fp_next_arg(int *argc, char ***argv, const char *keyword);

/*
 * Output. In JSON mode values land in a JSON document printed by pr_end();
 * otherwise the human format string (may be NULL to print nothing) is used.
 * Keys are the stable JSON interface; human output may change.
 */
void pr_start(void);
void pr_end(void);
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
/* Human-only text (ignored in JSON mode). */
void pr_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Objects. */
int cmd_topology(int argc, char **argv);
int cmd_schedule(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_gpu(int argc, char **argv);
/* Online commands, over the flowplan netlink family (nl.c). */
int cmd_device(int argc, char **argv);
int cmd_counters(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_plan_show(int argc, char **argv);
int cmd_plan_set(int argc, char **argv);
int cmd_plan_delete(int argc, char **argv);

#endif
