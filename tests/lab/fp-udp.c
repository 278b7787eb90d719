// SPDX-License-Identifier: MIT
/*
 * fp-udp - send UDP flows through the fabric lab, IPv4 and IPv6 at once, each
 * from a chosen source port and (IPv6) with a chosen flow label.
 *
 *   fp-udp [-c COUNT] [-s SIZE] [-w WINDOW] [-t SECONDS] FLOWS
 *
 * FLOWS has one line per flow:
 *
 *   SRC_NETNS SRC_ADDR SPORT DST_NETNS DST_ADDR DPORT LABEL
 *
 * Every flow is a UDP socket in SRC_NETNS bound to SRC_ADDR:SPORT; an IPv6
 * one sends with IPV6_FLOWINFO_SEND and sin6_flowinfo = LABEL (20 bits), an
 * IPv4 one needs LABEL 0. Receivers are UDP sockets in DST_NETNS bound to
 * DST_ADDR:DPORT; IPv6 receivers read each datagram's flow label
 * (IPV6_FLOWINFO) and count it for the flow with its source and label, so
 * flows may share a source port (SO_REUSEPORT) and differ in the label. All flows send together, COUNT datagrams of SIZE bytes
 * each, at most WINDOW of a flow in the fabric at a time (sent but not yet
 * received), so no queue overflows whatever the links' rates. A flow whose
 * window does not move for a second counts its datagrams in flight as lost
 * and goes on. Prints one JSON object per flow:
 * {"flow":I,"sent":N,"received":N,"lost":N,"labels":[L]} (the label
 * its datagrams arrived with, IPv6 only; a datagram whose label changed on
 * the way counts for no flow). Exit 1 on bad input or when -t seconds
 * (default 60) pass first.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "labtool.h"

/* linux/in6.h's values; glibc's netinet/in.h leaves them out. */
#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO		11
#endif
#ifndef IPV6_FLOWINFO_SEND
#define IPV6_FLOWINFO_SEND	33
#endif

#define MAX_FLOWS	256
#define MAX_LABELS	4

struct flow {
	int src_ns, dst_ns, fd, rx;	/* rx: index of the receiver */
	union sa src, dst;
	uint32_t label;
	unsigned int sent, received, lost, base;
	uint32_t labels[MAX_LABELS];
	unsigned int nlabels;
	double moved;			/* when its window last moved */
};

struct receiver {
	int ns, fd;
	union sa addr;
};

static struct flow flows[MAX_FLOWS];
static struct receiver rxs[MAX_FLOWS];
static unsigned int nflows, nrx;

static unsigned int inflight(const struct flow *fl)
{
	return fl->sent > fl->received + fl->lost ? fl->sent - fl->received - fl->lost : 0;
}

static int bound_socket(int ns, const union sa *a, bool rx)
{
	int fd, one = 1, buf = 4 << 20;

	ns_enter(ns);
	fd = socket(a->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ns_enter(-1);
	if (fd < 0)
		die("socket in %s: %s", ns_name(ns), strerror(errno));
	setsockopt(fd, SOL_SOCKET, rx ? SO_RCVBUF : SO_SNDBUF, &buf, sizeof(buf));
	/* Flows that differ only in their flow label share the source port. */
	if (!rx && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		die("SO_REUSEPORT: %s", strerror(errno));
	if (a->sa.sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, rx ? IPV6_FLOWINFO : IPV6_FLOWINFO_SEND, &one,
		       sizeof(one)))
		die("%s: %s", rx ? "IPV6_FLOWINFO" : "IPV6_FLOWINFO_SEND", strerror(errno));
	if (bind(fd, &a->sa, sa_len(a))) {
		char s[INET6_ADDRSTRLEN];

		die("bind %s port %u in %s: %s", sa_str(a, s), sa_port(a), ns_name(ns),
		    strerror(errno));
	}
	return fd;
}

static void read_flows(const char *path)
{
	char line[1024], sns[256], dns[256], sa[64], da[64];
	unsigned int lno = 0, sp, dp, i;
	unsigned long label;
	FILE *f = fopen(path, "r");

	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		struct flow *fl = &flows[nflows];

		lno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (nflows == MAX_FLOWS)
			die("%s: more than %d flows", path, MAX_FLOWS);
		if (sscanf(line, "%255s %63s %u %255s %63s %u %lu", sns, sa, &sp, dns, da, &dp,
			   &label) != 7 || !sp || sp > 65535 || !dp || dp > 65535 ||
		    !sa_parse(sa, sp, &fl->src) || !sa_parse(da, dp, &fl->dst))
			die("%s:%u: expected SRC_NETNS SRC_ADDR SPORT DST_NETNS DST_ADDR DPORT LABEL",
			    path, lno);
		if (fl->src.sa.sa_family != fl->dst.sa.sa_family)
			die("%s:%u: source and destination of different families", path, lno);
		if (label > 0xfffff || (label && fl->src.sa.sa_family == AF_INET))
			die("%s:%u: flow label %lu: 0..0xfffff, and IPv6 only", path, lno, label);
		fl->label = (uint32_t)label;
		fl->src_ns = ns_index(sns);
		fl->dst_ns = ns_index(dns);
		for (i = 0; i < nrx; i++)
			if (rxs[i].ns == fl->dst_ns && sa_eq(&rxs[i].addr, &fl->dst))
				break;
		if (i == nrx) {
			rxs[i].ns = fl->dst_ns;
			rxs[i].addr = fl->dst;
			rxs[i].fd = bound_socket(fl->dst_ns, &fl->dst, true);
			nrx++;
		}
		fl->rx = (int)i;
		fl->fd = bound_socket(fl->src_ns, &fl->src, false);
		if (fl->src.sa.sa_family == AF_INET6)
			fl->dst.in6.sin6_flowinfo = htonl(fl->label);
		nflows++;
	}
	fclose(f);
	if (!nflows)
		die("%s: no flows", path);
}

static void receive(struct receiver *r)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(uint32_t)) * 2]; } cbuf;
	union sa from;
	char data[65536];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	unsigned int i;

	for (;;) {
		bool have = false;
		uint32_t label = 0;
		struct flow *fl = NULL;

		m.msg_name = &from;
		m.msg_namelen = sizeof(from);
		m.msg_control = cbuf.b;
		m.msg_controllen = sizeof(cbuf.b);
		if (recvmsg(r->fd, &m, 0) < 0)
			return;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_FLOWINFO) {
				memcpy(&label, CMSG_DATA(c), sizeof(label));
				label = ntohl(label) & 0xfffff;
				have = true;
			}
		for (i = 0; i < nflows; i++)
			if (&rxs[flows[i].rx] == r && sa_eq(&flows[i].src, &from) &&
			    (!have || flows[i].label == label)) {
				fl = &flows[i];
				break;
			}
		if (!fl)
			continue;
		fl->received++;
		fl->moved = now_s();
		for (i = 0; have && i < fl->nlabels; i++)
			if (fl->labels[i] == label)
				break;
		if (have && i == fl->nlabels && i < MAX_LABELS)
			fl->labels[fl->nlabels++] = label;
	}
}

int main(int argc, char **argv)
{
	unsigned int count = 200, size = 200, window = 16, i, k, done;
	double limit = 60, start, t;
	static char payload[65536];
	struct pollfd pfd[MAX_FLOWS];
	int opt;

	while ((opt = getopt(argc, argv, "c:s:w:t:")) != -1) {
		char *end;
		unsigned long v = strtoul(optarg, &end, 10);

		if (*end || !v)
			die("-%c wants a positive integer", opt);
		if (opt == 'c')
			count = (unsigned int)v;
		else if (opt == 's' && v >= 8 && v <= 1400)
			size = (unsigned int)v;
		else if (opt == 'w')
			window = (unsigned int)v;
		else if (opt == 't')
			limit = (double)v;
		else
			die("usage: fp-udp [-c COUNT] [-s SIZE 8..1400] [-w WINDOW] [-t SECONDS] FLOWS");
	}
	if (optind + 1 != argc)
		die("usage: fp-udp [-c COUNT] [-s SIZE 8..1400] [-w WINDOW] [-t SECONDS] FLOWS");
	ns_home();
	read_flows(argv[optind]);
	memset(payload, 'f', sizeof(payload));
	start = now_s();
	for (i = 0; i < nflows; i++)
		flows[i].moved = start;
	for (;;) {
		t = now_s();
		done = 0;
		for (i = 0; i < nflows; i++) {
			struct flow *fl = &flows[i];

			/* A stuck window: what is in flight is lost. */
			if (inflight(fl) >= window && t - fl->moved > 1) {
				fl->lost += inflight(fl);
				fl->moved = t;
			}
			while (fl->sent < count && inflight(fl) < window) {
				if (sendto(fl->fd, payload, size, 0, &fl->dst.sa,
					   sa_len(&fl->dst)) < 0) {
					if (errno == EAGAIN || errno == ENOBUFS)
						break;
					die("flow %u: sendto: %s", i, strerror(errno));
				}
				fl->sent++;
			}
			if (fl->received + fl->lost >= count)
				done++;
		}
		if (done == nflows)
			break;
		if (t - start > limit)
			die("flows not done after %.0f s", limit);
		for (k = 0; k < nrx; k++)
			pfd[k] = (struct pollfd){ .fd = rxs[k].fd, .events = POLLIN };
		if (poll(pfd, nrx, 100) > 0)
			for (k = 0; k < nrx; k++)
				if (pfd[k].revents & POLLIN)
					receive(&rxs[k]);
	}
	for (i = 0; i < nflows; i++) {
		struct flow *fl = &flows[i];

		printf("{\"flow\":%u,\"sent\":%u,\"received\":%u,\"lost\":%u,\"labels\":[", i,
		       fl->sent, fl->received, fl->lost);
		for (k = 0; k < fl->nlabels; k++)
			printf("%s%u", k ? "," : "", fl->labels[k]);
		printf("]}\n");
	}
	return 0;
}
