/* SPDX-License-Identifier: MIT */
/* fp_err.h - error reports that name the file, the place and the fault. */
#ifndef FP_ERR_H
#define FP_ERR_H

struct fp_err {
	char msg[512];
};

/* Formats into @e (if not NULL); returns @errnum so callers can `return fp_fail(...)`. */
int fp_fail(struct fp_err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
