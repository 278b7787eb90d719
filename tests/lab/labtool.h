/* SPDX-License-Identifier: MIT */
/*
 * labtool.h - what the lab's traffic tools (fp-traffic, fp-udp) share:
 * dying with a message, a monotonic clock in seconds, network namespaces
 * by name (/run/netns/NAME, each opened once; a socket is made inside its
 * namespace by entering it with setns() and stays there), and socket
 * addresses of either family.
 */
#ifndef LAB_TOOL_H
#define LAB_TOOL_H

#include <stdbool.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define LAB_MAX_NS	1024	/* namespaces one run may name */

/* "PROGRAM: message" on stderr, exit 1. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* CLOCK_MONOTONIC in seconds. */
double now_s(void);

/* Remember this thread's namespace, where ns_enter(-1) comes back to. */
void ns_home(void);

/* The index of namespace @name, opened the first time it is named. */
int ns_index(const char *name);

/* @ns's name, for messages. */
const char *ns_name(int ns);

/* Enter namespace @ns (an ns_index), or home for -1; dies on failure. */
void ns_enter(int ns);

/* An IPv4 or IPv6 socket address. */
union sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* Text @s (either family) and @port into @out; false if not an address. */
bool sa_parse(const char *s, unsigned int port, union sa *out);

/* The length bind() and connect() want for @a. */
socklen_t sa_len(const union sa *a);

/* Same family, address and port. */
bool sa_eq(const union sa *a, const union sa *b);

/* @a's address as text, in @buf of INET6_ADDRSTRLEN bytes. */
const char *sa_str(const union sa *a, char *buf);

/* @a's port, host order. */
unsigned int sa_port(const union sa *a);

#endif
