/* SPDX-License-Identifier: MIT */
/*
 * planner/svg.h - the fabric as an SVG picture, one panel per strategy,
 * links coloured and labelled by their load against the lower bound
 * (flowplanctl simulate ... picture FILE.svg).
 */
#ifndef FP_SVG_H
#define FP_SVG_H

#include <stdio.h>

#include "core/err.h"
#include "planner/topo.h"

/* More switch links than this make a picture nobody can read: EFBIG. */
#define FP_SVG_MAX_LINKS	20000

struct fp_svg_panel {
	const char *name;	/* "ecmp", "flowplan", ... */
	const double *load;	/* per directed link: seconds (fp_plan_link_loads) */
	double max_load;	/* seconds: what the strategy is judged by */
	double cct;		/* simulated completion time (s); 0: none */
};

/*
 * fp_svg_write - @n panels side by side on one picture, every link of @t
 * coloured by its load over @bound (the scale marks the bound), failed
 * links dashed. 0, or EFBIG (too many links), EINVAL, EIO.
 */
int fp_svg_write(FILE *f, const struct fp_topo *t, const struct fp_svg_panel *p, size_t n,
		 double bound, struct fp_err *err);

#endif
