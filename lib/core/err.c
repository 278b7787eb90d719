// SPDX-License-Identifier: MIT
/* err.c - struct fp_err: one line that says what went wrong, where. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

void fp_err_prefix(struct fp_err *e, const char *prefix)
{
	size_t pl, ml;

	if (!e || !prefix)
		return;
	pl = strlen(prefix) + 2;
	if (pl >= sizeof(e->msg))
		pl = sizeof(e->msg) - 1;
	ml = strnlen(e->msg, sizeof(e->msg) - 1);
	if (ml > sizeof(e->msg) - 1 - pl)
		ml = sizeof(e->msg) - 1 - pl;
	memmove(e->msg + pl, e->msg, ml);
	e->msg[pl + ml] = 0;
	memcpy(e->msg, prefix, pl - 2);
	if (pl >= 2) {
		e->msg[pl - 2] = ':';
		e->msg[pl - 1] = ' ';
	}
}
