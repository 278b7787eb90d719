// SPDX-License-Identifier: MIT
/* labtool.c - see labtool.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "labtool.h"

static char *names[LAB_MAX_NS];
static int fds[LAB_MAX_NS], nns, home = -1;

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void ns_home(void)
{
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		die("/proc/self/ns/net: %s", strerror(errno));
}

int ns_index(const char *name)
{
	char path[512];
	int i;

	for (i = 0; i < nns; i++)
		if (!strcmp(names[i], name))
			return i;
	if (nns == LAB_MAX_NS)
		die("more than %d namespaces", LAB_MAX_NS);
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fds[nns] = open(path, O_RDONLY | O_CLOEXEC);
	if (fds[nns] < 0)
		die("%s: %s", path, strerror(errno));
	names[nns] = strdup(name);
	if (!names[nns])
		die("out of memory");
	return nns++;
}

const char *ns_name(int ns)
{
	return ns < 0 ? "the home namespace" : names[ns];
}

void ns_enter(int ns)
{
	if (setns(ns < 0 ? home : fds[ns], CLONE_NEWNET))
		die("setns %s: %s (needs CAP_SYS_ADMIN)", ns < 0 ? "back" : names[ns],
		    strerror(errno));
}

bool sa_parse(const char *s, unsigned int port, union sa *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &out->in.sin_addr) == 1) {
		out->in.sin_family = AF_INET;
		out->in.sin_port = htons((uint16_t)port);
		return true;
	}
	if (inet_pton(AF_INET6, s, &out->in6.sin6_addr) == 1) {
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_port = htons((uint16_t)port);
		return true;
	}
	return false;
}

socklen_t sa_len(const union sa *a)
{
	return a->sa.sa_family == AF_INET ? sizeof(a->in) : sizeof(a->in6);
}

bool sa_eq(const union sa *a, const union sa *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	return a->in6.sin6_port == b->in6.sin6_port &&
	       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(a->in6.sin6_addr));
}

const char *sa_str(const union sa *a, char *buf)
{
	return inet_ntop(a->sa.sa_family, a->sa.sa_family == AF_INET ?
			 (const void *)&a->in.sin_addr : (const void *)&a->in6.sin6_addr,
			 buf, INET6_ADDRSTRLEN);
}

unsigned int sa_port(const union sa *a)
{
	return ntohs(a->sa.sa_family == AF_INET ? a->in.sin_port : a->in6.sin6_port);
}
