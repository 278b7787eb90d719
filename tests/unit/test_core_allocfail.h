/* SPDX-License-Identifier: MIT */
/*
 * test_core_allocfail.h - allocation failure injected at the core's own
 * calls, for a test linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
 * (lib/core/build.mk says which): fail_at = n makes the n-th allocation from
 * now return NULL, and only that one; -1, none. Shared libraries (libnl,
 * json-c) allocate past the wrap, unaffected.
 */
#ifndef TEST_CORE_ALLOCFAIL_H
#define TEST_CORE_ALLOCFAIL_H

#include <stdbool.h>
#include <stddef.h>

static long fail_at = -1;	/* the n-th allocation from now fails; -1: none */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t sz);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t sz);
void *__wrap_realloc(void *p, size_t n);

static bool fail_now(void)
{
	if (fail_at < 0)
		return false;
	return fail_at-- == 0;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t sz)
{
	return fail_now() ? NULL : __real_calloc(n, sz);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

#endif
