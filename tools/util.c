// SPDX-License-Identifier: MIT
/* util.c - flowplanctl's helpers: inputs, outputs, numbers, the module. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/nlclient.h"
#include "flowplanctl.h"
#include "planner/plan.h"

struct fp_topo *load_topo(const char *spec)
{
	struct fp_topo *t;
	struct fp_err err;

	if (fp_topo_load(spec, &t, &err)) {
		fp_err("%s", err.msg);
		return NULL;
	}
	return t;
}

struct fp_sched *load_sched(const char *spec, const struct fp_topo *t)
{
	struct fp_sched *s;
	struct fp_err err;

	if (fp_sched_load(spec, t, &s, &err)) {
		fp_err("%s", err.msg);
		return NULL;
	}
	return s;
}

struct fp_portmap *load_portmap(const char *path, struct fp_topo *t)
{
	struct fp_portmap *pm;
	struct fp_err err;

	if (fp_portmap_load(path, t, &pm, &err)) {
		fp_err("%s", err.msg);
		return NULL;
	}
	return pm;
}

int write_out(const char *path, const char *text)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;

	if (!f)
		return fp_err("%s: %s", path, strerror(errno));
	if (fputs(text, f) < 0 || fputc('\n', f) < 0 || fflush(f) ||
	    (f != stdout && fclose(f))) {
		fp_err("%s: write failed: %s", path, strerror(errno));
		return 1;
	}
	return 0;
}

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int parse_u64(const char *kw, const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || *end || end == v || *v == '-' || x > max)
		return fp_err("%s: \"%s\" is not a number in 0..%llu", kw, v,
			      (unsigned long long)max);
	*out = x;
	return 0;
}

struct fp_nlc *ctl_nlc_open(void)
{
	struct fp_err err;
	struct fp_nlc *nlc = fp_nlc_open(&err);

	if (!nlc) {
		fp_err("%s", err.msg);
		return NULL;
	}
	fp_nlc_set_debug(nlc, opts.debug);
	return nlc;
}
