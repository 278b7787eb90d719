// SPDX-License-Identifier: MIT
/*
 * fp-nlevent - the module's link and port events, as they come, one line
 * each.
 *
 *   fp-nlevent SECONDS
 *       Joins flowplan's "events" group, prints "ready", then for each
 *       FLOWPLAN_CMD_LINK_CHANGED and FLOWPLAN_CMD_PORT_CHANGED until
 *       SECONDS have passed:
 *           link DEVICE port N link L state S gids G
 *           port DEVICE port N link L state S gids G
 *       L the enum flowplan_link number, S the IB port state or "none"
 *       when the event has none, G the port's GIDs ("-" when the event has
 *       no GID nest, "" when it is empty), comma-separated: IPv4-mapped
 *       ones as dotted quads, others as "v6". Exit 0 at the end, 1 when
 *       an event is malformed or the socket fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/flowplan.h>

#include "nltest.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static uint32_t group;

static int group_cb(void *arg, const struct nlattr *a, int len)
{
	const struct nlattr *g, *ga;
	int grem, garem;
	uint32_t id;
	bool ours;

	(void)arg;
	for (; nlt_ok(a, len); a = nlt_next(a, &len)) {
		if (nlt_type(a) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		grem = nlt_len(a);
		for (g = nlt_data(a); nlt_ok(g, grem); g = nlt_next(g, &grem)) {
			garem = nlt_len(g);
			ours = false;
			id = 0;
			for (ga = nlt_data(g); nlt_ok(ga, garem);
			     ga = nlt_next(ga, &garem)) {
				if (nlt_type(ga) == CTRL_ATTR_MCAST_GRP_ID)
					id = nlt_u32(ga);
				if (nlt_type(ga) == CTRL_ATTR_MCAST_GRP_NAME)
					ours = !strcmp(nlt_data(ga),
						       FLOWPLAN_MCGRP_EVENTS);
			}
			if (ours)
				group = id;
		}
	}
	return 0;
}

/* Appends the GID nest @a to @out, or returns -1 when it is malformed. */
static int gids(const struct nlattr *a, char *out, size_t size)
{
	const struct nlattr *g, *ga;
	const unsigned char *raw;
	char s[INET6_ADDRSTRLEN];
	int rem = nlt_len(a), garem;
	size_t n = 0;

	out[0] = '\0';
	for (g = nlt_data(a); nlt_ok(g, rem); g = nlt_next(g, &rem)) {
		raw = NULL;
		garem = nlt_len(g);
		for (ga = nlt_data(g); nlt_ok(ga, garem);
		     ga = nlt_next(ga, &garem))
			if (nlt_type(ga) == FLOWPLAN_GID_A_GID &&
			    nlt_len(ga) == 16)
				raw = nlt_data(ga);
		if (!raw)
			return -1;
		if (!memcmp(raw, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
			inet_ntop(AF_INET, raw + 12, s, sizeof(s));
		else
			inet_ntop(AF_INET6, raw, s, sizeof(s));
		n += snprintf(out + n, n < size ? size - n : 0, "%s%s",
			      n ? "," : "", s);
	}
	return n < size ? 0 : -1;
}

struct port {
	unsigned int num, link;
	char state[8];
	char gids[4096];
};

/* One port nest into @p; -1 when malformed. */
static int port(const struct nlattr *nest, struct port *p)
{
	int rem = nlt_len(nest);
	const struct nlattr *a;

	for (a = nlt_data(nest); nlt_ok(a, rem); a = nlt_next(a, &rem)) {
		switch (nlt_type(a)) {
		case FLOWPLAN_PORT_A_NUM:
			p->num = nlt_u32(a);
			break;
		case FLOWPLAN_PORT_A_LINK:
			p->link = *(const uint8_t *)nlt_data(a);
			break;
		case FLOWPLAN_PORT_A_STATE:
			snprintf(p->state, sizeof(p->state), "%u",
				 *(const uint8_t *)nlt_data(a));
			break;
		case FLOWPLAN_PORT_A_GIDS:
			if (gids(a, p->gids, sizeof(p->gids)))
				return -1;
			break;
		}
	}
	return 0;
}

/* A LINK_CHANGED or PORT_CHANGED event, printed as @kind. */
static int port_event(const char *kind, const struct nlattr *a, int len)
{
	struct port p = { .state = "none", .gids = "-" };
	const struct nlattr *d, *pn;
	char name[64] = "?";
	int drem, prem;
	unsigned int n = 0;

	for (; nlt_ok(a, len); a = nlt_next(a, &len)) {
		if (nlt_type(a) != FLOWPLAN_A_DEVICE)
			continue;
		drem = nlt_len(a);
		for (d = nlt_data(a); nlt_ok(d, drem); d = nlt_next(d, &drem)) {
			if (nlt_type(d) == FLOWPLAN_DEVICE_A_NAME)
				snprintf(name, sizeof(name), "%.*s",
					 nlt_len(d), (const char *)nlt_data(d));
			if (nlt_type(d) != FLOWPLAN_DEVICE_A_PORTS)
				continue;
			prem = nlt_len(d);
			for (pn = nlt_data(d); nlt_ok(pn, prem);
			     pn = nlt_next(pn, &prem))
				if (n++ || port(pn, &p))
					return -1;
		}
	}
	if (n != 1)
		return -1;
	printf("%s %s port %u link %u state %s gids %s\n", kind, name, p.num,
	       p.link, p.state, p.gids);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct pollfd pfd;
	const struct nlmsghdr *nlh;
	const struct genlmsghdr *gh;
	struct timespec t0, t;
	struct nlt nl;
	long secs, left;
	int n, ret;

	secs = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
	if (secs <= 0) {
		fprintf(stderr, "usage: fp-nlevent SECONDS\n");
		return 2;
	}
	ret = nlt_open(&nl);
	if (ret) {
		fprintf(stderr, "fp-nlevent: flowplan family: %s\n",
			strerror(-ret));
		return 1;
	}
	nlt_start(&nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	nlt_put(&nl, CTRL_ATTR_FAMILY_NAME, FLOWPLAN_GENL_NAME,
		sizeof(FLOWPLAN_GENL_NAME));
	ret = nlt_dump(&nl, group_cb, NULL);
	if (ret || !group ||
	    setsockopt(nl.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
		       sizeof(group))) {
		fprintf(stderr, "fp-nlevent: cannot join the events group\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pfd = (struct pollfd){ .fd = nl.fd, .events = POLLIN };
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = secs * 1000 - ((t.tv_sec - t0.tv_sec) * 1000 +
				      (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return 0;
		if (poll(&pfd, 1, (int)left) != 1)
			continue;
		n = recv(nl.fd, nl.rbuf, NLT_BUF, 0);
		if (n < 0) {
			fprintf(stderr, "fp-nlevent: %s\n", strerror(errno));
			return 1;
		}
		for (nlh = (const struct nlmsghdr *)nl.rbuf;
		     NLMSG_OK(nlh, (unsigned int)n); nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type != nl.family)
				continue;
			gh = NLMSG_DATA(nlh);
			if (gh->cmd != FLOWPLAN_CMD_LINK_CHANGED &&
			    gh->cmd != FLOWPLAN_CMD_PORT_CHANGED)
				continue;
			if (port_event(gh->cmd == FLOWPLAN_CMD_LINK_CHANGED ?
				       "link" : "port",
				       (const struct nlattr *)
				       ((const char *)gh + GENL_HDRLEN),
				       (int)nlh->nlmsg_len - NLMSG_HDRLEN -
				       GENL_HDRLEN)) {
				fprintf(stderr, "fp-nlevent: malformed %s event\n",
					gh->cmd == FLOWPLAN_CMD_LINK_CHANGED ?
					"link" : "port");
				return 1;
			}
		}
	}
}
