// SPDX-License-Identifier: MIT
/* util.c - allocation, file, JSON and number helpers for the planner. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <json-c/json.h>

#include "core/err.h"
#include "core/file.h"
#include "planner/util.h"

static void oom(void)
{
	fputs("flowplan: out of memory\n", stderr);
	abort();
}

/*
 * Large arrays (a plan's subflows and flows, the schedule's flows: hundreds
 * of MB at the scale of 16 M flows) on transparent huge pages where the
 * kernel offers them on request: a 4 KiB page fault per 4 KiB touched costs
 * more than planning those flows. Only the 2 MiB-aligned part of the block
 * is advised; a kernel without THP ignores it, and so does this. Measured
 * for issue 10 (2 cores, THP defrag=madvise, 5 interleaved runs each): no
 * fault compacted (compact_stall stayed 0); the 4096-NIC all-to-all planned
 * in a median 3.7 s at 8 MiB, 3.8 s from 32 MiB, 4.0 s from 64 MiB, 4.7 s
 * without huge pages; the 16384 x 8 ring (8-16 MiB arrays) the same with
 * and without. What varies from run to run is the machine's load.
 */
#define FP_HUGE_MIN	(8u << 20)

static void *huge(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	uintptr_t a = ((uintptr_t)p + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
	uintptr_t e = ((uintptr_t)p + len) & ~(uintptr_t)((2u << 20) - 1);

	if (len >= FP_HUGE_MIN && e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
	(void)len;
#endif
	return p;
}

void *fp_xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		oom();
	return huge(p, n * sz);
}

void *fp_xrealloc(void *p, size_t n, size_t sz)
{
	if (sz && n > SIZE_MAX / sz)
		oom();
	p = realloc(p, n && sz ? n * sz : 1);
	if (!p)
		oom();
	return huge(p, n * sz);
}

char *fp_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		oom();
	return d;
}

void fp_grow(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t n = *cap ? *cap : 8;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	*p = fp_xrealloc(*p, n, sz);
	memset((char *)*p + *cap * sz, 0, (n - *cap) * sz);
	*cap = n;
}

void fp_grow_raw(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t n = *cap ? *cap : 8;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	*p = fp_xrealloc(*p, n, sz);
	*cap = n;
}

int fp_read_file(const char *path, size_t max, char **buf, size_t *len, struct fp_err *err)
{
	/* The core's reader: regular files only, nothing past @max. */
	return fp_file_read(path, max, buf, len, err);
}

int fp_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	/* A digit first: strtoull() would take leading blanks and a sign (" -1": 2^64 - 1). */
	if (!s || *s < '0' || *s > '9')
		return EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return EINVAL;
	switch (*end) {
	case 0:
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	default:
		return EINVAL;
	}
	if (*end && end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
		return EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int fp_parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return EINVAL;
	*out = a.s_addr;
	return 0;
}

const char *fp_ipv4_str(uint32_t a, char *buf)
{
	struct in_addr in = { .s_addr = a };

	return inet_ntop(AF_INET, &in, buf, 16);
}

int fp_json_keys(struct json_object *o, const char *const *allowed,
		 const char *name, const char *where, struct fp_err *err)
{
	const char *const *k;

	if (!json_object_is_type(o, json_type_object))
		return fp_fail(err, EINVAL, "%s: %s: expected an object", name, where);
	json_object_object_foreach(o, key, val) {
		(void)val;
		for (k = allowed; *k; k++)
			if (!strcmp(*k, key))
				break;
		if (!*k)
			return fp_fail(err, EINVAL, "%s: %s: unknown key \"%s\"", name, where, key);
	}
	return 0;
}

char *fp_json_dump(struct json_object *root, bool pretty)
{
	int flags = (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
		     JSON_C_TO_STRING_PLAIN) | JSON_C_TO_STRING_NOSLASHESCAPE;
	char *s = fp_xstrdup(json_object_to_json_string_ext(root, flags));

	json_object_put(root);
	return s;
}
