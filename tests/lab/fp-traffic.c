// SPDX-License-Identifier: MIT
/*
 * fp-traffic - play a schedule through the fabric lab as real TCP connections.
 *
 *   fp-traffic [-t SECONDS] [-p PORT] [-v] FLOWS
 *
 * FLOWS has one line per connection (lab.sh's flows.jq writes it from a plan
 * or a schedule):
 *
 *   PHASE FLOW SRC_NETNS SRC_ADDR DST_NETNS DST_ADDR SPORT BYTES
 *
 * Every connection is opened from SRC_ADDR:SPORT in SRC_NETNS to DST_ADDR:PORT
 * in DST_NETNS (one process, setns() for each socket; sockets stay in the
 * namespace they were made in). Addresses are IPv4 or IPv6, the two of a
 * line of one family; an IPv6 connection carries the flow label the host
 * gives it (lab.sh sets net.ipv6.auto_flowlabels=0: none). A flow is the set of connections with the
 * same PHASE and FLOW. Phases run one after the other; inside a phase every
 * connection is established first, then all start sending at once. A flow
 * completes when its receivers hold every byte; a phase when its last flow
 * does. Prints JSON: {"phases":[{"phase":P,"cct":S,"flows":[{"flow":F,
 * "fct":S,"bytes":B}]}],"cct":S} with times in seconds. Gives up after -t
 * seconds (default 300), exit 1. -v lists every connection's completion on
 * stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
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
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "labtool.h"

#define MAX_SUB		65536
#define MAX_LISTEN	1024
#define BUFSZ		(256 * 1024)

struct sub {
	unsigned int phase, flow;
	int src_ns, dst_ns;
	union sa src, dst;	/* dst at the listening port */
	uint16_t sport;
	uint64_t bytes;
	/* run time */
	int sfd, rfd;
	bool connected, hdr_sent, identified;
	uint64_t sent, rcvd;
	uint8_t hdr[4];
	unsigned int hdr_got;
	double done;		/* seconds after the phase start, < 0 while running */
};

struct listener {
	int ns;
	union sa addr;
	int fd;
};

/* An accepted connection until its 4-byte subflow id has arrived. */
struct pending {
	int fd;
	uint8_t id[4];
	unsigned int got;
};

static struct sub *subs;
static unsigned int nsub;
static struct listener lis[MAX_LISTEN];
static int nlis;
static int epfd = -1;
static uint16_t lport = 5201;
static double deadline;
static char buf[BUFSZ];

static void ep_add(int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		die("epoll_ctl: %s", strerror(errno));
}

static void ep_mod(int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

/* Tags: kind in the top byte, index below. */
enum { T_LISTEN = 1, T_SEND, T_RECV, T_PEND };
#define TAG(k, i)	((uint64_t)(k) << 56 | (uint64_t)(i))

static void hard_close(int fd)
{
	struct linger lg = { 1, 0 };

	/* RST instead of FIN: no TIME_WAIT to block the same port next phase. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void read_flows(const char *path)
{
	char line[1024], sns[256], dns[256], sa[64], da[64];
	unsigned int lno = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		die("%s: %s", path, strerror(errno));
	subs = calloc(MAX_SUB, sizeof(*subs));
	if (!subs)
		die("out of memory");
	while (fgets(line, sizeof(line), f)) {
		unsigned long long bytes;
		unsigned int ph, fl, sp;
		struct sub *s;

		lno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (nsub == MAX_SUB)
			die("%s: more than %d connections", path, MAX_SUB);
		s = &subs[nsub];
		if (sscanf(line, "%u %u %255s %63s %255s %63s %u %llu", &ph, &fl, sns, sa, dns,
			   da, &sp, &bytes) != 8 || sp < 1 || sp > 65535 ||
		    !sa_parse(sa, sp, &s->src) || !sa_parse(da, lport, &s->dst))
			die("%s:%u: expected PHASE FLOW SRC_NETNS SRC_ADDR DST_NETNS DST_ADDR "
			    "SPORT BYTES", path, lno);
		if (s->src.sa.sa_family != s->dst.sa.sa_family)
			die("%s:%u: %s and %s are of two address families", path, lno, sa, da);
		if (nsub && ph < subs[nsub - 1].phase)
			die("%s:%u: phases must come in order", path, lno);
		s->phase = ph;
		s->flow = fl;
		s->sport = (uint16_t)sp;
		s->bytes = bytes;
		s->src_ns = ns_index(sns);
		s->dst_ns = ns_index(dns);
		s->sfd = s->rfd = -1;
		s->done = -1;
		nsub++;
	}
	fclose(f);
}

static void open_listeners(void)
{
	unsigned int i;
	int j, one = 1;

	for (i = 0; i < nsub; i++) {
		const union sa *a = &subs[i].dst;
		char txt[INET6_ADDRSTRLEN];
		int fd;

		for (j = 0; j < nlis; j++)
			if (lis[j].ns == subs[i].dst_ns && sa_eq(&lis[j].addr, a))
				break;
		if (j < nlis)
			continue;
		if (nlis == MAX_LISTEN)
			die("more than %d destinations", MAX_LISTEN);
		ns_enter(subs[i].dst_ns);
		fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		ns_enter(-1);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, &a->sa, sa_len(a)) || listen(fd, 4096))
			die("listen on %s port %u in %s: %s", sa_str(a, txt), lport,
			    ns_name(subs[i].dst_ns), strerror(errno));
		lis[nlis] = (struct listener){ subs[i].dst_ns, *a, fd };
		ep_add(fd, EPOLLIN, TAG(T_LISTEN, nlis));
		nlis++;
	}
}

static void start_connect(unsigned int i)
{
	struct sub *s = &subs[i];
	char txt[INET6_ADDRSTRLEN];
	int one = 1;

	ns_enter(s->src_ns);
	s->sfd = socket(s->src.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ns_enter(-1);
	if (s->sfd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(s->sfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->sfd, &s->src.sa, sa_len(&s->src)))
		die("bind %s port %u in %s: %s", sa_str(&s->src, txt), s->sport,
		    ns_name(s->src_ns), strerror(errno));
	if (connect(s->sfd, &s->dst.sa, sa_len(&s->dst)) && errno != EINPROGRESS)
		die("connect from port %u: %s", s->sport, strerror(errno));
	ep_add(s->sfd, EPOLLOUT, TAG(T_SEND, i));
}

static struct pending *pend;
static unsigned int npend, cappend;

static void on_accept(int li)
{
	int fd;

	while ((fd = accept4(lis[li].fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (npend == cappend) {
			cappend = cappend ? 2 * cappend : 64;
			pend = realloc(pend, cappend * sizeof(*pend));
			if (!pend)
				die("out of memory");
		}
		pend[npend] = (struct pending){ .fd = fd };
		ep_add(fd, EPOLLIN, TAG(T_PEND, npend));
		npend++;
	}
}

static void on_pending(unsigned int pi, unsigned int first, unsigned int end)
{
	struct pending *p = &pend[pi];
	ssize_t n;
	uint32_t id;

	if (p->fd < 0)
		return;
	n = read(p->fd, p->id + p->got, sizeof(p->id) - p->got);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		die("a connection closed before naming itself");
	}
	p->got += (unsigned int)n;
	if (p->got < sizeof(p->id))
		return;
	memcpy(&id, p->id, 4);
	id = ntohl(id);
	if (id < first || id >= end || subs[id].rfd >= 0)
		die("unexpected connection id %u", id);
	subs[id].rfd = p->fd;
	subs[id].identified = true;
	ep_mod(p->fd, EPOLLIN, TAG(T_RECV, id));
	p->fd = -1;
}

static void on_send(unsigned int i, bool started)
{
	struct sub *s = &subs[i];
	ssize_t n;

	if (!s->connected) {
		int e = 0;
		socklen_t l = sizeof(e);
		uint32_t id = htonl(i);

		getsockopt(s->sfd, SOL_SOCKET, SO_ERROR, &e, &l);
		if (e)
			die("connect %s port %u: %s", ns_name(s->src_ns), s->sport, strerror(e));
		s->connected = true;
		if (write(s->sfd, &id, 4) != 4)
			die("write: %s", strerror(errno));
		s->hdr_sent = true;
		ep_mod(s->sfd, 0, TAG(T_SEND, i));
		return;
	}
	if (!started)
		return;
	while (s->sent < s->bytes) {
		uint64_t want = s->bytes - s->sent;

		n = write(s->sfd, buf, want > BUFSZ ? BUFSZ : want);
		if (n < 0) {
			if (errno == EAGAIN)
				return;
			die("send: %s", strerror(errno));
		}
		s->sent += (uint64_t)n;
	}
	shutdown(s->sfd, SHUT_WR);
	ep_mod(s->sfd, 0, TAG(T_SEND, i));
}

static void on_recv(unsigned int i, double t0)
{
	struct sub *s = &subs[i];
	ssize_t n;

	while ((n = read(s->rfd, buf, BUFSZ)) > 0)
		s->rcvd += (uint64_t)n;
	if (n < 0 && errno != EAGAIN)
		die("recv: %s", strerror(errno));
	if (s->rcvd > s->bytes)
		die("connection %u got %llu bytes, expected %llu", i,
		    (unsigned long long)s->rcvd, (unsigned long long)s->bytes);
	if (s->rcvd == s->bytes && s->done < 0) {
		s->done = now_s() - t0;
		hard_close(s->rfd);
		s->rfd = -1;
		hard_close(s->sfd);
		s->sfd = -1;
	} else if (n == 0) {
		die("connection %u closed after %llu of %llu bytes", i,
		    (unsigned long long)s->rcvd, (unsigned long long)s->bytes);
	}
}

/* Run connections [first, end) as one phase; returns when all completed. */
static void run_phase(unsigned int first, unsigned int end)
{
	struct epoll_event ev[256];
	unsigned int i, ready = 0, done = 0, want = 0;
	bool started = false;
	double t0 = 0;

	npend = 0;
	for (i = first; i < end; i++) {
		if (!subs[i].bytes) {
			subs[i].done = 0;
			continue;
		}
		want++;
		start_connect(i);
	}
	while (done < want) {
		int n, k;

		if (now_s() > deadline)
			die("timed out: %u of %u connections of phase %u done, %u ready", done,
			    want, subs[first].phase, ready);
		if (!started) {
			for (ready = 0, i = first; i < end; i++)
				ready += subs[i].bytes && subs[i].connected && subs[i].identified;
			if (ready == want) {
				started = true;
				t0 = now_s();
				for (i = first; i < end; i++)
					if (subs[i].bytes) {
						ep_mod(subs[i].sfd, EPOLLOUT, TAG(T_SEND, i));
						on_send(i, true);
					}
			}
		}
		n = epoll_wait(epfd, ev, 256, 100);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (k = 0; k < n; k++) {
			unsigned int kind = (unsigned int)(ev[k].data.u64 >> 56);
			unsigned int idx = (unsigned int)(ev[k].data.u64 & 0xffffffffu);

			if (kind == T_LISTEN)
				on_accept((int)idx);
			else if (kind == T_PEND)
				on_pending(idx, first, end);
			else if (kind == T_SEND && subs[idx].sfd >= 0)
				on_send(idx, started);
			else if (kind == T_RECV && subs[idx].rfd >= 0) {
				on_recv(idx, t0);
				if (subs[idx].done >= 0)
					done++;
			}
		}
	}
}

int main(int argc, char **argv)
{
	double timeout = 300;
	unsigned int i, first;
	bool verbose = false;
	int c;

	while ((c = getopt(argc, argv, "t:p:v")) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'p':
			lport = (uint16_t)atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || timeout <= 0 || !lport)
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	ns_home();
	read_flows(argv[optind]);
	if (!nsub)
		die("%s: no connections", argv[optind]);
	deadline = now_s() + timeout;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	open_listeners();
	for (first = 0; first < nsub; first = i) {
		for (i = first; i < nsub && subs[i].phase == subs[first].phase; i++)
			;
		run_phase(first, i);
	}
	for (i = 0; verbose && i < nsub; i++)
		fprintf(stderr, "phase %u flow %u port %u bytes %llu done %.6f\n", subs[i].phase,
			subs[i].flow, subs[i].sport, (unsigned long long)subs[i].bytes,
			subs[i].done);

	/* Report: flow completion = its last connection; phase = its last flow. */
	{
		double total = 0;
		unsigned int j;

		printf("{\"phases\":[");
		for (first = 0; first < nsub; first = i) {
			double cct = 0;
			bool comma = false;

			for (i = first; i < nsub && subs[i].phase == subs[first].phase; i++)
				cct = subs[i].done > cct ? subs[i].done : cct;
			printf("%s{\"phase\":%u,\"cct\":%.6f,\"flows\":[", first ? "," : "",
			       subs[first].phase, cct);
			for (j = first; j < i; j++) {
				double fct = 0;
				uint64_t bytes = 0;
				unsigned int k;
				bool seen = false;

				for (k = first; k < j; k++)
					if (subs[k].flow == subs[j].flow)
						seen = true;
				if (seen)
					continue;
				for (k = j; k < i; k++)
					if (subs[k].flow == subs[j].flow) {
						fct = subs[k].done > fct ? subs[k].done : fct;
						bytes += subs[k].bytes;
					}
				printf("%s{\"flow\":%u,\"fct\":%.6f,\"bytes\":%llu}", comma ? "," : "",
				       subs[j].flow, fct, (unsigned long long)bytes);
				comma = true;
			}
			printf("]}");
			total += cct;
		}
		printf("],\"cct\":%.6f}\n", total);
	}
	return 0;
usage:
	fprintf(stderr, "Usage: fp-traffic [-t SECONDS] [-p PORT] [-v] FLOWS\n");
	return 1;
}
