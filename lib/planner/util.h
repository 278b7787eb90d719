/* SPDX-License-Identifier: MIT */
/* planner/util.h - small helpers shared by the planner library. */
#ifndef FP_UTIL_H
#define FP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct fp_err;

void *fp_xcalloc(size_t n, size_t sz);
void *fp_xrealloc(void *p, size_t n, size_t sz);
char *fp_xstrdup(const char *s);

/* Grow *p (holding *cap elements of sz) so that it holds at least need. */
void fp_grow(void **p, size_t *cap, size_t need, size_t sz);
/* (the room is checked here: most calls have it, and some run per subflow) */
#define FP_GROW(arr, cap, need)								\
	do {										\
		if ((need) > (cap))							\
			fp_grow((void **)&(arr), &(cap), (need), sizeof(*(arr)));	\
	} while (0)
/* The same without zeroing the new room: for arrays filled as they grow. */
void fp_grow_raw(void **p, size_t *cap, size_t need, size_t sz);
#define FP_GROW_RAW(arr, cap, need)							\
	do {										\
		if ((need) > (cap))							\
			fp_grow_raw((void **)&(arr), &(cap), (need), sizeof(*(arr)));	\
	} while (0)

/*
 * Read a whole regular file of at most @max bytes, NUL-terminated: an errno
 * value on failure (EFBIG past @max, EINVAL for a FIFO or a device).
 */
int fp_read_file(const char *path, size_t max, char **buf, size_t *len, struct fp_err *err);

/*
 * Input files are read whole, and JSON takes some 30 times a file's size in
 * memory: limits that keep the planner's readers within a few GiB. Larger
 * fabrics and schedules are what the generators are for.
 */
#define FP_TOPO_FILE_MAX	(64u << 20)
#define FP_SCHED_FILE_MAX	(256u << 20)
#define FP_PORTMAP_FILE_MAX	(256u << 20)
/* Serialise @root (and drop the reference); malloc'd text. */
char *fp_json_dump(struct json_object *root, bool pretty);
/* Parse "1G", "64K", "1000" into bytes (powers of 1024). */
int fp_parse_size(const char *s, uint64_t *out);
/* Parse "a.b.c.d" into network-order IPv4. */
int fp_parse_ipv4(const char *s, uint32_t *out);
/* Format network-order IPv4 into buf (>= 16 bytes). */
const char *fp_ipv4_str(uint32_t a, char *buf);

/*
 * Check that object @o has only keys from the NULL-terminated list @allowed;
 * names the first unknown key in err as "NAME: WHERE: unknown key \"k\"".
 */
int fp_json_keys(struct json_object *o, const char *const *allowed,
		 const char *name, const char *where, struct fp_err *err);

/* Deterministic 64-bit generator (splitmix64). */
static inline uint64_t fp_rand64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
