// SPDX-License-Identifier: MIT
/* addr.c - struct fp_addr: parsing, printing, this host's addresses. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "core/addr.h"

int fp_addr_parse(const char *s, struct fp_addr *out)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!s || !out)
		return EINVAL;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		*out = fp_addr_v4(a4.s_addr);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		memcpy(out->b, a6.s6_addr, sizeof(out->b));
		return 0;
	}
	return EINVAL;
}

const char *fp_addr_str(const struct fp_addr *a, char *buf)
{
	if (fp_addr_is_v4(a))
		return inet_ntop(AF_INET, &a->b[12], buf, FP_ADDR_STRLEN);
	return inet_ntop(AF_INET6, a->b, buf, FP_ADDR_STRLEN);
}

int fp_local_addrs(struct fp_addr **out, size_t *n)
{
	struct ifaddrs *ifa, *i;
	struct fp_addr *v;
	size_t k = 0;

	if (!out || !n)
		return EINVAL;
	if (getifaddrs(&ifa))
		return errno ? errno : EIO;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && (i->ifa_addr->sa_family == AF_INET ||
				    i->ifa_addr->sa_family == AF_INET6))
			k++;
	v = calloc(k ? k : 1, sizeof(*v));
	if (!v) {
		freeifaddrs(ifa);
		return ENOMEM;
	}
	k = 0;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)i->ifa_addr;

			v[k++] = fp_addr_v4(s4->sin_addr.s_addr);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)i->ifa_addr;

			memcpy(v[k++].b, s6->sin6_addr.s6_addr, 16);
		}
	}
	freeifaddrs(ifa);
	*out = v;
	*n = k;
	return 0;
}
