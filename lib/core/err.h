/* SPDX-License-Identifier: MIT */
/*
 * core/err.h - errors that say what went wrong, where.
 *
 * Every function of the shared core (and of the planner and probing
 * libraries built on it) follows libibverbs: an int return is 0 or an errno
 * value, a constructor returns NULL and sets errno. Where the caller passes
 * a struct fp_err, it also gets one line that names the input, the place
 * and the fault ("plan.json: entries[3].subflows: weights sum to 60000, not
 * 65536"; "plan set: kernel reports: generation 6 is older than 7").
 * Nothing in the core prints, aborts or exits.
 */
#ifndef FP_CORE_ERR_H
#define FP_CORE_ERR_H

struct fp_err {
	char msg[512];
};

/*
 * fp_fail - format into @e (when not NULL) and return @errnum, so that a
 * caller can write `return fp_fail(err, EINVAL, "...", ...)`.
 */
int fp_fail(struct fp_err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * fp_err_prefix - put "@prefix: " in front of the message @e holds (when
 * @e is not NULL), cutting its end if the whole does not fit.
 */
void fp_err_prefix(struct fp_err *e, const char *prefix);

#endif
