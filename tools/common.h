/* SPDX-License-Identifier: MIT */
/* common.h - helpers for the offline (planner) commands of flowplanctl. */
#ifndef FLOWPLANCTL_COMMON_H
#define FLOWPLANCTL_COMMON_H

#include "planner/plan.h"

/* Load a topology (file or generator), reporting errors; NULL on failure. */
struct fp_topo *load_topo(const char *spec);
struct fp_sched *load_sched(const char *spec, const struct fp_topo *t);
struct fp_portmap *load_portmap(const char *path, struct fp_topo *t);
/* Write @text (plus newline) to @path, or stdout for "-". Returns 0 or 1. */
int write_out(const char *path, const char *text);
double now_sec(void);
/* Parse the value @v of keyword @kw as 0..@max; complains and returns 1 if it is not. */
int parse_u64(const char *kw, const char *v, uint64_t max, uint64_t *out);

#endif
