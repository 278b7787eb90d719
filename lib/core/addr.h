/* SPDX-License-Identifier: MIT */
/*
 * core/addr.h - the addresses of a host plan.
 *
 * One type for IPv4 and IPv6: 16 bytes in network order, an IPv4 address
 * held IPv4-mapped (::ffff:a.b.c.d), exactly as a RoCEv2 GID holds it. So
 * an entry's address compares byte for byte with the GID a QP uses, and
 * IPv6 needs no second code path.
 */
#ifndef FP_CORE_ADDR_H
#define FP_CORE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FP_ADDR_STRLEN	46	/* INET6_ADDRSTRLEN */

struct fp_addr {
	uint8_t b[16];
};

/* @be: an IPv4 address in network byte order (struct in_addr.s_addr). */
static inline struct fp_addr fp_addr_v4(uint32_t be)
{
	struct fp_addr a = { .b = { [10] = 0xff, [11] = 0xff } };

	memcpy(&a.b[12], &be, 4);
	return a;
}

static inline bool fp_addr_is_v4(const struct fp_addr *a)
{
	static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a->b, pfx, sizeof(pfx));
}

/* The IPv4 address (network byte order) of an IPv4-mapped @a. */
static inline uint32_t fp_addr_to_v4(const struct fp_addr *a)
{
	uint32_t be;

	memcpy(&be, &a->b[12], 4);
	return be;
}

static inline int fp_addr_cmp(const struct fp_addr *x, const struct fp_addr *y)
{
	return memcmp(x->b, y->b, sizeof(x->b));
}

/*
 * The order plan files, port maps and the daemon list addresses in: IPv4
 * first, compared as the uint32_t of their network-order bytes (the order
 * IPv4 entries always had), then IPv6 byte by byte.
 */
static inline int fp_addr_order(const struct fp_addr *x, const struct fp_addr *y)
{
	bool a4 = fp_addr_is_v4(x), b4 = fp_addr_is_v4(y);

	if (a4 != b4)
		return a4 ? -1 : 1;
	if (a4) {
		uint32_t a = fp_addr_to_v4(x), b = fp_addr_to_v4(y);

		return a < b ? -1 : a > b;
	}
	return fp_addr_cmp(x, y);
}

/* "198.18.0.1" or "2001:db8::1"; 0 or EINVAL. */
int fp_addr_parse(const char *s, struct fp_addr *out);
/* Text form into @buf (FP_ADDR_STRLEN bytes): dotted quad for IPv4. */
const char *fp_addr_str(const struct fp_addr *a, char *buf);

/*
 * fp_local_addrs - every address of this host's interfaces (getifaddrs),
 * IPv4 and IPv6, however many. Returns 0 and a malloc'd array, or an errno
 * value.
 */
int fp_local_addrs(struct fp_addr **out, size_t *n);

#endif
