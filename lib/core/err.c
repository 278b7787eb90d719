// SPDX-License-Identifier: MIT
/* err.c - struct fp_err: one line that says what went wrong, where. */
#include <stdarg.h>
#include <stdio.h>

#include "core/err.h"

int fp_fail(struct fp_err *e, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return errnum;
}
