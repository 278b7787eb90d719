// SPDX-License-Identifier: MIT
/*
 * probe.c - path discovery by TTL-limited probes (see probe/probe.h).
 *
 * Every (pair, port, ttl) is a slot. A slot is sent, waits for its ICMP reply
 * and is resent with a doubling timeout until it is answered or out of
 * retries. Every probe carries a token naming its slot (the IPv4 ID; on IPv6
 * the payload's last two bytes, or a TCP probe's sequence number), so a reply
 * (the quoted probe) finds its slot whatever the order of arrival, and a
 * random number of the run (in the payload, or a TCP probe's acknowledgment
 * field), so that a prober takes no reply to another prober on the same host
 * for its own when the router quotes that far (ICMPv6 always does, Linux's
 * ICMP too; RFC 792 asks only for 8 bytes past the IP header). IPv4 and
 * IPv6 probes share the slots, the tokens and the pacing; each family has
 * its raw ICMP socket, opened only when a pair needs it. One heap of
 * timed events (send, timeout) drives everything; a token bucket paces sends.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/random.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <linux/icmp.h>
#include <sys/socket.h>

#include "probe/probe.h"

enum { SL_IDLE, SL_WANT, SL_FLIGHT, SL_GOT, SL_FAIL };
enum { PT_IDLE, PT_ACTIVE, PT_DONE, PT_FAIL };
enum { EV_SEND, EV_TIMEOUT };

struct fp_probe_pst {
	uint8_t st;
	uint8_t slot[FP_PROBE_MAX_HOPS];
	uint8_t attempt[FP_PROBE_MAX_HOPS];
	struct fp_addr hop[FP_PROBE_MAX_HOPS];
	uint64_t mask;		/* candidate paths still possible; 0: no inference */
};

struct ev {
	uint64_t t;
	uint32_t pair;
	uint16_t port;
	uint8_t ttl;		/* 1-based */
	uint8_t kind;
	uint8_t attempt;
};

struct tok {
	uint32_t pair;
	uint16_t port;
	uint8_t ttl;
	uint8_t used;
};

struct src_sock {
	struct fp_addr addr;
	int fd;
};

struct prober {
	const struct fp_probe_cfg *cfg;
	struct fp_probe_pair *pairs;
	size_t n;
	struct fp_probe_stats *st;
	struct ev *heap;
	size_t nheap, capheap;
	struct tok *tok;	/* 65536 */
	uint16_t next_tok;
	uint32_t nonce;		/* this run's, in every probe */
	struct src_sock *src;
	size_t nsrc;
	int icmp_fd, icmp6_fd;	/* -1 when no pair is of that family */
	double rate, tokens;
	uint64_t last_refill, last_cut;
	size_t unfinished;
	unsigned int per_path, retries, timeout_ms;
	bool oom;		/* an allocation failed: the run ends with ENOMEM */
};

/* Grow *p (holding *cap elements of @sz) to hold @need; ENOMEM leaves it. */
static int grow(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / sz)
		return ENOMEM;
	q = realloc(*p, n * sz);
	if (!q)
		return ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static bool addr_unset(const struct fp_addr *a)
{
	static const struct fp_addr zero;

	return !fp_addr_cmp(a, &zero);
}

static bool addr_eq(const struct fp_addr *x, const struct fp_addr *y)
{
	return !fp_addr_cmp(x, y);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void plog(struct prober *pr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void plog(struct prober *pr, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!pr->cfg->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pr->cfg->log(pr->cfg->log_arg, line);
}

/* ---- event heap ---- */

static void heap_push(struct prober *pr, struct ev e)
{
	size_t i;

	if (grow((void **)&pr->heap, &pr->capheap, pr->nheap + 1, sizeof(*pr->heap))) {
		pr->oom = true;
		return;
	}
	i = pr->nheap++;
	while (i) {
		size_t p = (i - 1) / 2;

		if (pr->heap[p].t <= e.t)
			break;
		pr->heap[i] = pr->heap[p];
		i = p;
	}
	pr->heap[i] = e;
}

static struct ev heap_pop(struct prober *pr)
{
	struct ev top = pr->heap[0], last = pr->heap[--pr->nheap];
	size_t i = 0, n = pr->nheap;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && pr->heap[c + 1].t < pr->heap[c].t)
			c++;
		if (last.t <= pr->heap[c].t)
			break;
		pr->heap[i] = pr->heap[c];
		i = c;
	}
	if (n)
		pr->heap[i] = last;
	return top;
}

/* ---- packets ---- */

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/*
 * UDP (16 bytes of payload: "flowplan-p", the nonce, the token) or TCP SYN
 * (the token in the top half of the sequence number, the nonce in the
 * acknowledgment number, ACK not set) at @l4, its checksum over @pseudo.
 */
static size_t build_l4(const struct fp_probe_cfg *cfg, uint8_t *l4, const uint8_t *pseudo,
		       size_t plen, uint16_t sport, uint16_t tok, uint32_t nonce)
{
	static const char payload[10] = "flowplan-p";
	size_t l4len = cfg->proto == FP_PROBE_TCP ? 20 : 8 + 16;
	uint16_t dport = htons(cfg->dport), sp = htons(sport), t = htons(tok), c;
	uint32_t sum, nn = htonl(nonce);

	memset(l4, 0, l4len);
	memcpy(l4, &sp, 2);
	memcpy(l4 + 2, &dport, 2);
	if (cfg->proto == FP_PROBE_TCP) {
		uint32_t seq = htonl((uint32_t)tok << 16 | sport);
		uint16_t win = htons(65535);

		memcpy(l4 + 4, &seq, 4);
		memcpy(l4 + 8, &nn, 4);
		l4[12] = 5 << 4;	/* data offset */
		l4[13] = 0x02;		/* SYN */
		memcpy(l4 + 14, &win, 2);
	} else {
		uint16_t len = htons((uint16_t)l4len);

		memcpy(l4 + 4, &len, 2);
		memcpy(l4 + 8, payload, sizeof(payload));
		memcpy(l4 + 8 + 10, &nn, 4);
		memcpy(l4 + 8 + 14, &t, 2);
	}
	sum = csum_add(0, pseudo, plen);
	sum = csum_add(sum, l4, l4len);
	c = csum_fold(sum);
	if (cfg->proto == FP_PROBE_UDP && !c)
		c = 0xffff;
	memcpy(l4 + (cfg->proto == FP_PROBE_TCP ? 16 : 6), &c, 2);
	return l4len;
}

size_t fp_probe_build(const struct fp_probe_cfg *cfg, uint8_t *b, const struct fp_addr *src,
		      const struct fp_addr *dst, uint16_t sport, uint8_t ttl, uint16_t tok,
		      uint32_t nonce)
{
	uint8_t proto = cfg->proto == FP_PROBE_TCP ? IPPROTO_TCP : IPPROTO_UDP;
	size_t l4len = cfg->proto == FP_PROBE_TCP ? 20 : 8 + 16;

	if (fp_addr_is_v4(src)) {
		struct iphdr *ip = (struct iphdr *)b;
		uint8_t pseudo[12];

		memset(ip, 0, sizeof(*ip));
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons((uint16_t)(sizeof(*ip) + l4len));
		ip->id = htons(tok);
		ip->ttl = ttl;
		ip->protocol = proto;
		memcpy(&ip->saddr, &src->b[12], 4);
		memcpy(&ip->daddr, &dst->b[12], 4);
		memcpy(pseudo, &src->b[12], 4);
		memcpy(pseudo + 4, &dst->b[12], 4);
		pseudo[8] = 0;
		pseudo[9] = proto;
		pseudo[10] = (uint8_t)(l4len >> 8);
		pseudo[11] = (uint8_t)l4len;
		return sizeof(*ip) + build_l4(cfg, b + sizeof(*ip), pseudo, sizeof(pseudo), sport,
					      tok, nonce);
	} else {
		struct ip6_hdr *ip6 = (struct ip6_hdr *)b;
		uint32_t flow = htonl(6u << 28 | fp_probe_flow_label(sport));
		uint8_t pseudo[40] = { 0 };

		memset(ip6, 0, sizeof(*ip6));
		ip6->ip6_flow = flow;
		ip6->ip6_plen = htons((uint16_t)l4len);
		ip6->ip6_nxt = proto;
		ip6->ip6_hlim = ttl;
		memcpy(&ip6->ip6_src, src->b, 16);
		memcpy(&ip6->ip6_dst, dst->b, 16);
		memcpy(pseudo, src->b, 16);
		memcpy(pseudo + 16, dst->b, 16);
		pseudo[34] = (uint8_t)(l4len >> 8);
		pseudo[35] = (uint8_t)l4len;
		pseudo[39] = proto;
		return sizeof(*ip6) + build_l4(cfg, b + sizeof(*ip6), pseudo, sizeof(pseudo),
					       sport, tok, nonce);
	}
}

/* The ports and token of a quoted UDP or TCP probe (@len bytes of it at @l4). */
static int quoted_l4(const uint8_t *l4, size_t len, uint8_t proto, bool v6,
		     struct fp_probe_reply *r)
{
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return ENOMSG;
	if (len < (v6 ? (proto == IPPROTO_TCP ? 8 : 8 + 16) : 4))
		return ENOMSG;
	r->proto = proto;
	r->sport = (uint16_t)(l4[0] << 8 | l4[1]);
	r->dport = (uint16_t)(l4[2] << 8 | l4[3]);
	if (v6)
		r->tok = proto == IPPROTO_TCP ? (uint16_t)(l4[4] << 8 | l4[5]) :
			 (uint16_t)(l4[8 + 14] << 8 | l4[8 + 15]);
	/* the nonce, where the router quoted that far */
	if (proto == IPPROTO_TCP && len >= 12) {
		r->has_nonce = true;
		r->nonce = (uint32_t)l4[8] << 24 | (uint32_t)l4[9] << 16 | (uint32_t)l4[10] << 8 |
			   l4[11];
	} else if (proto == IPPROTO_UDP && len >= 8 + 14) {
		r->has_nonce = true;
		r->nonce = (uint32_t)l4[18] << 24 | (uint32_t)l4[19] << 16 |
			   (uint32_t)l4[20] << 8 | l4[21];
	}
	return 0;
}

int fp_probe_parse_icmp4(const uint8_t *b, size_t len, struct fp_probe_reply *r)
{
	const struct iphdr *ip = (const struct iphdr *)b, *in;
	const struct icmphdr *ic;
	uint32_t a;
	size_t off;

	memset(r, 0, sizeof(*r));
	if (len < sizeof(*ip) || ip->version != 4 || ip->ihl < 5)
		return ENOMSG;
	off = ip->ihl * 4u;
	if (len < off + sizeof(*ic) + sizeof(*in))
		return ENOMSG;
	ic = (const struct icmphdr *)(b + off);
	in = (const struct iphdr *)(b + off + sizeof(*ic));
	if (ic->type == ICMP_TIME_EXCEEDED && ic->code == ICMP_EXC_TTL)
		r->kind = FP_PROBE_REPLY_TIME;
	else if (ic->type == ICMP_DEST_UNREACH)
		r->kind = FP_PROBE_REPLY_UNREACH;
	else
		return ENOMSG;
	if (in->version != 4 || in->ihl < 5 || len < off + sizeof(*ic) + in->ihl * 4u)
		return ENOMSG;
	r->code = ic->code;
	r->tok = ntohs(in->id);
	r->from = fp_addr_v4(ip->saddr);
	memcpy(&a, &in->saddr, 4);
	r->src = fp_addr_v4(a);
	memcpy(&a, &in->daddr, 4);
	r->dst = fp_addr_v4(a);
	off += sizeof(*ic) + in->ihl * 4u;
	return quoted_l4(b + off, len - off, in->protocol, false, r);
}

int fp_probe_parse_icmp6(const uint8_t *b, size_t len, const struct fp_addr *from,
			 struct fp_probe_reply *r)
{
	const struct icmp6_hdr *ic = (const struct icmp6_hdr *)b;
	const struct ip6_hdr *in;
	size_t off = sizeof(*ic);

	memset(r, 0, sizeof(*r));
	if (len < sizeof(*ic) + sizeof(*in))
		return ENOMSG;
	if (ic->icmp6_type == ICMP6_TIME_EXCEEDED && ic->icmp6_code == ICMP6_TIME_EXCEED_TRANSIT)
		r->kind = FP_PROBE_REPLY_TIME;
	else if (ic->icmp6_type == ICMP6_DST_UNREACH)
		r->kind = FP_PROBE_REPLY_UNREACH;
	else
		return ENOMSG;
	in = (const struct ip6_hdr *)(b + off);
	if ((b[off] >> 4) != 6)
		return ENOMSG;
	r->code = ic->icmp6_code;
	r->from = *from;
	memcpy(r->src.b, &in->ip6_src, 16);
	memcpy(r->dst.b, &in->ip6_dst, 16);
	off += sizeof(*in);
	/* Probes have no extension header: anything else is not one. */
	return quoted_l4(b + off, len - off, in->ip6_nxt, true, r);
}

static int src_fd(struct prober *pr, const struct fp_addr *addr)
{
	size_t i;

	for (i = 0; i < pr->nsrc; i++)
		if (addr_eq(&pr->src[i].addr, addr))
			return pr->src[i].fd;
	return -1;
}

static int raw_fail(struct fp_err *err, const char *what)
{
	if (errno == EPERM || errno == EACCES)
		return fp_fail(err, EPERM,
			       "probing needs raw sockets: capability CAP_NET_RAW is missing (run as root, or: setcap cap_net_raw+ep flowplanctl)");
	return fp_fail(err, errno, "%s: %s", what, strerror(errno));
}

static int open_sockets(struct prober *pr, struct fp_err *err)
{
	struct icmp_filter flt = {
		.data = ~((1u << ICMP_TIME_EXCEEDED) | (1u << ICMP_DEST_UNREACH)),
	};
	struct icmp6_filter flt6;
	int one = 1, buf = 1 << 20;
	bool v4 = false, v6 = false;
	size_t i;

	for (i = 0; i < pr->n; i++) {
		v4 |= fp_addr_is_v4(&pr->pairs[i].src);
		v6 |= !fp_addr_is_v4(&pr->pairs[i].src);
	}
	if (v4) {
		pr->icmp_fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
		if (pr->icmp_fd < 0)
			return raw_fail(err, "raw ICMP socket");
		setsockopt(pr->icmp_fd, SOL_RAW, ICMP_FILTER, &flt, sizeof(flt));
		setsockopt(pr->icmp_fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	}
	if (v6) {
		pr->icmp6_fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
				      IPPROTO_ICMPV6);
		if (pr->icmp6_fd < 0)
			return raw_fail(err, "raw ICMPv6 socket");
		ICMP6_FILTER_SETBLOCKALL(&flt6);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &flt6);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &flt6);
		setsockopt(pr->icmp6_fd, IPPROTO_ICMPV6, ICMP6_FILTER, &flt6, sizeof(flt6));
		setsockopt(pr->icmp6_fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	}
	pr->src = calloc(pr->n ? pr->n : 1, sizeof(*pr->src));
	if (!pr->src)
		return fp_fail(err, ENOMEM, "probing: out of memory");
	for (i = 0; i < pr->n; i++) {
		const struct fp_addr *a = &pr->pairs[i].src;
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = fp_addr_to_v4(a) };
		struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6 };
		char s[FP_ADDR_STRLEN];
		int fd, r;

		if (src_fd(pr, a) >= 0)
			continue;
		/* An IPv6 IPPROTO_RAW socket sends the packet as given, header included. */
		fd = socket(fp_addr_is_v4(a) ? AF_INET : AF_INET6, SOCK_RAW | SOCK_CLOEXEC,
			    IPPROTO_RAW);
		if (fd < 0)
			return raw_fail(err, "raw socket");
		pr->src[pr->nsrc++] = (struct src_sock){ *a, fd };
		if (fp_addr_is_v4(a)) {
			setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one));
			r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		} else {
			memcpy(&sa6.sin6_addr, a->b, 16);
			r = bind(fd, (struct sockaddr *)&sa6, sizeof(sa6));
		}
		if (r)
			return fp_fail(err, errno == EADDRNOTAVAIL ? EADDRNOTAVAIL : errno,
				       "source address %s: %s%s", fp_addr_str(a, s), strerror(errno),
				       errno == EADDRNOTAVAIL ?
				       " (probe from the network namespace of the host that owns it, e.g. ip netns exec HOST flowplanctl probe ...)" :
				       "");
	}
	return 0;
}

/* ---- pair and port bookkeeping ---- */

/* Paths of the topology found (paths off the topology do not count). */
static unsigned int pair_known_paths(const struct fp_probe_pair *p)
{
	unsigned int i, n = 0;

	for (i = 0; i < p->nfound; i++)
		n += !p->paths[i].foreign;
	return n;
}

/* The paths a pair must find: those not known down, at least one. */
static unsigned int pair_want(const struct fp_probe_pair *p)
{
	return p->npaths > p->ndown ? p->npaths - p->ndown : 1;
}

/* Has a path of the topology found fewer than @per_path ports? */
static bool pair_short(const struct fp_probe_pair *p, unsigned int per_path)
{
	unsigned int i;

	for (i = 0; i < p->nfound; i++)
		if (!p->paths[i].foreign && p->paths[i].nports < per_path)
			return true;
	return false;
}

bool fp_probe_pair_done(const struct fp_probe_pair *p, unsigned int per_path, bool tried_all)
{
	unsigned int known = pair_known_paths(p);

	if (!known || known < pair_want(p) || pair_short(p, per_path))
		return false;
	if (p->npaths && known >= p->npaths)
		return true;
	/* paths unaccounted for: stop once a run of ports showed nothing new */
	return p->since_new >= FP_PROBE_QUIET || tried_all;
}

/* Has one of the pair's own first ports not found its path nor failed? */
static bool first_pending(const struct fp_probe_pair *p)
{
	unsigned int k;

	if (p->next < p->nown)
		return true;
	for (k = 0; k < p->nown; k++)
		if (p->pst[k].st == PT_ACTIVE)
			return true;
	return false;
}

static bool pair_satisfied(struct prober *pr, struct fp_probe_pair *p)
{
	return !first_pending(p) &&
	       fp_probe_pair_done(p, pr->per_path, p->next >= p->nport && !p->active);
}

static void pair_finish(struct prober *pr, struct fp_probe_pair *p, const char *why)
{
	char s[FP_ADDR_STRLEN], d[FP_ADDR_STRLEN], down[48] = "";

	if (p->finished)
		return;
	p->finished = true;
	pr->unfinished--;
	p->resolved = pair_satisfied(pr, p);
	if (p->npaths && p->ndown)
		snprintf(down, sizeof(down), " (%u of %u known down)", p->ndown, p->npaths);
	if (!p->resolved && !p->why[0]) {
		if (why)
			snprintf(p->why, sizeof(p->why), "%s", why);
		else if (!p->nfound)
			snprintf(p->why, sizeof(p->why), "no port got a complete path");
		else if (!pair_known_paths(p))
			snprintf(p->why, sizeof(p->why),
				 "every path found is off the topology (stale topology?)");
		else if (p->npaths && pair_known_paths(p) < pair_want(p))
			snprintf(p->why, sizeof(p->why), "found %u of %u paths%s",
				 pair_known_paths(p), pair_want(p), down);
		else if (pair_short(p, pr->per_path))
			snprintf(p->why, sizeof(p->why), "fewer than %u ports on some path",
				 pr->per_path);
		else
			snprintf(p->why, sizeof(p->why),
				 "stopped before %u ports in a row found no new path%s",
				 FP_PROBE_QUIET, down);
	}
	plog(pr, "%s -> %s: %s, %u paths%s, %u ports%s%s", fp_addr_str(&p->src, s),
	     fp_addr_str(&p->dst, d), p->resolved ? "resolved" : "unresolved", p->nfound,
	     down, p->nres, p->resolved ? "" : ": ", p->resolved ? "" : p->why);
}

static bool edge_ttl(const struct fp_probe_pair *p, unsigned int ttl)
{
	return ttl == 1 || ttl == p->hops;
}

static void port_check(struct prober *pr, struct fp_probe_pair *p, unsigned int k);

static void push_send(struct prober *pr, uint32_t pi, unsigned int k, unsigned int ttl,
		      uint64_t now)
{
	pr->pairs[pi].pst[k].slot[ttl - 1] = SL_WANT;
	heap_push(pr, (struct ev){ .t = now, .pair = pi, .port = (uint16_t)k,
				   .ttl = (uint8_t)ttl, .kind = EV_SEND });
}

static const char *cand_name(const struct fp_probe_pair *p, unsigned int c, unsigned int h)
{
	return p->cand[c * p->hops + h];
}

/* The address of switch @name in @fam's family (that of @fam), or NULL. */
static const struct fp_addr *name_addr(const struct fp_probe_cfg *cfg, const char *name,
				       const struct fp_addr *fam)
{
	size_t i;

	for (i = 0; i < cfg->nrouters; i++)
		if (!strcmp(cfg->routers[i].name, name) &&
		    fp_addr_is_v4(&cfg->routers[i].addr) == fp_addr_is_v4(fam))
			return &cfg->routers[i].addr;
	return NULL;
}

/* The idle middle hop whose names split the remaining candidates most. */
static unsigned int pick_ttl(const struct fp_probe_pair *p, const struct fp_probe_pst *ps)
{
	unsigned int ttl, best = 0, bestn = 0, c, d;

	for (ttl = 2; ttl < p->hops; ttl++) {
		unsigned int n = 0;

		if (ps->slot[ttl - 1] != SL_IDLE)
			continue;
		for (c = 0; c < p->ncand; c++) {
			if (!(ps->mask >> c & 1))
				continue;
			for (d = 0; d < c; d++)
				if (ps->mask >> d & 1 &&
				    !strcmp(cand_name(p, c, ttl - 1), cand_name(p, d, ttl - 1)))
					break;
			n += d == c;
		}
		if (n > bestn) {
			best = ttl;
			bestn = n;
		}
	}
	return best;
}

/* Probe every hop not asked yet (no inference for this port). */
static void probe_rest(struct prober *pr, uint32_t pi, unsigned int k, uint64_t now)
{
	struct fp_probe_pair *p = &pr->pairs[pi];
	unsigned int ttl;

	p->pst[k].mask = 0;
	for (ttl = 1; ttl <= p->hops; ttl++)
		if (p->pst[k].slot[ttl - 1] == SL_IDLE)
			push_send(pr, pi, k, ttl, now);
}

/*
 * A middle hop answered: keep the candidates that pass through it. One left:
 * the other hops are known. None: the topology does not match, probe all.
 */
static void infer(struct prober *pr, uint32_t pi, unsigned int k, unsigned int ttl,
		  uint64_t now)
{
	struct fp_probe_pair *p = &pr->pairs[pi];
	struct fp_probe_pst *ps = &p->pst[k];
	const char *nm = fp_probe_router_name(pr->cfg, &ps->hop[ttl - 1]);
	unsigned int c, h, last = 0, n = 0;
	uint64_t keep = 0;

	for (c = 0; nm && c < p->ncand; c++)
		if (ps->mask >> c & 1 && !strcmp(cand_name(p, c, ttl - 1), nm)) {
			keep |= 1ull << c;
			last = c;
			n++;
		}
	ps->mask = keep;
	if (n == 1) {
		for (h = 1; h + 1 < p->hops; h++) {
			const struct fp_addr *a = name_addr(pr->cfg, cand_name(p, last, h),
							    &p->src);

			if (ps->slot[h] == SL_GOT)
				continue;
			if (!a || ps->slot[h] != SL_IDLE) {
				probe_rest(pr, pi, k, now);
				return;
			}
		}
		for (h = 1; h + 1 < p->hops; h++)
			if (ps->slot[h] != SL_GOT) {
				ps->hop[h] = *name_addr(pr->cfg, cand_name(p, last, h), &p->src);
				ps->slot[h] = SL_GOT;
			}
		return;
	}
	h = n ? pick_ttl(p, ps) : 0;
	if (h)
		push_send(pr, pi, k, h, now);
	else
		probe_rest(pr, pi, k, now);
}

static void port_start(struct prober *pr, struct fp_probe_pair *p, uint32_t pi,
		       unsigned int k, uint64_t now)
{
	struct fp_probe_pst *ps = &p->pst[k];
	unsigned int ttl, want = 0;
	bool inf = p->ncand && p->ncand <= 64 && p->cand && !addr_unset(&p->edge[0]) &&
		   !addr_unset(&p->edge[1]);

	ps->st = PT_ACTIVE;
	p->active++;
	ps->mask = inf ? (p->ncand == 64 ? ~0ull : (1ull << p->ncand) - 1) : 0;
	for (ttl = 1; ttl <= p->hops; ttl++) {
		bool known = (ttl == 1 && !addr_unset(&p->edge[0])) ||
			     (ttl == p->hops && !addr_unset(&p->edge[1]));

		if (edge_ttl(p, ttl) && known) {
			ps->slot[ttl - 1] = SL_GOT;
			continue;
		}
		ps->slot[ttl - 1] = SL_IDLE;
		want++;
		if (!inf)
			push_send(pr, pi, k, ttl, now);
	}
	if (!want) {
		port_check(pr, p, k);
	} else if (inf) {
		ttl = pick_ttl(p, ps);
		if (ttl)
			push_send(pr, pi, k, ttl, now);
		else
			probe_rest(pr, pi, k, now);
	}
}

/* Whether the hops name one of the pair's topology paths (true if none given). */
static bool path_in_topology(struct prober *pr, const struct fp_probe_pair *p,
			     const struct fp_addr *hop)
{
	unsigned int c, h;

	if (!p->cand || !p->ncand)
		return true;
	for (c = 0; c < p->ncand; c++) {
		for (h = 0; h < p->hops; h++) {
			const char *nm = fp_probe_router_name(pr->cfg, &hop[h]);

			if (!nm || strcmp(nm, cand_name(p, c, h)))
				break;
		}
		if (h == p->hops)
			return true;
	}
	return false;
}

static void port_check(struct prober *pr, struct fp_probe_pair *p, unsigned int k)
{
	struct fp_probe_pst *ps = &p->pst[k];
	struct fp_probe_result *res;
	unsigned int ttl, i;

	if (ps->st != PT_ACTIVE)
		return;
	for (ttl = 1; ttl <= p->hops; ttl++)
		if (ps->slot[ttl - 1] == SL_FAIL) {
			ps->st = PT_FAIL;
			p->active--;
			/* Without its first and last hop a pair goes nowhere. */
			if ((addr_unset(&p->edge[0]) || addr_unset(&p->edge[1])) &&
			    ++p->fails >= 2)
				pair_finish(pr, p, NULL);
			return;
		} else if (ps->slot[ttl - 1] != SL_GOT) {
			return;
		}
	if (!addr_unset(&p->edge[0]))
		ps->hop[0] = p->edge[0];
	if (!addr_unset(&p->edge[1]))
		ps->hop[p->hops - 1] = p->edge[1];
	ps->st = PT_DONE;
	p->active--;
	p->done_ports++;
	for (i = 0; i < p->nfound; i++)
		if (!memcmp(p->paths[i].hop, ps->hop, sizeof(ps->hop)))
			break;
	if (i == p->nfound) {
		if (i == FP_PROBE_MAX_PATHS)
			return;
		memcpy(p->paths[i].hop, ps->hop, sizeof(ps->hop));
		p->paths[i].foreign = !path_in_topology(pr, p, ps->hop);
		p->nfound++;
		p->since_new = 0;
	} else {
		p->since_new++;
	}
	p->paths[i].nports++;
	res = realloc(p->res, (p->nres + 1) * sizeof(*p->res));
	if (!res) {
		pr->oom = true;
		return;
	}
	p->res = res;
	p->res[p->nres++] = (struct fp_probe_result){ p->port[k], i };
	if (pair_satisfied(pr, p))
		pair_finish(pr, p, NULL);
}

static void pair_refill(struct prober *pr, uint32_t pi, uint64_t now)
{
	struct fp_probe_pair *p = &pr->pairs[pi];
	unsigned int win = pr->cfg->window;

	if (!win)
		win = p->npaths ? p->npaths * pr->per_path : 4;
	/* Until the edges are known, one port learns them for all. */
	if (addr_unset(&p->edge[0]) || addr_unset(&p->edge[1]))
		win = 1;
	while (!p->finished && p->active < win && p->next < p->nport)
		port_start(pr, p, pi, p->next++, now);
	if (!p->finished && !p->active && p->next >= p->nport)
		pair_finish(pr, p, NULL);
}

static uint64_t slot_timeout(struct prober *pr, unsigned int attempt)
{
	return (uint64_t)pr->timeout_ms * 1000000ull << (attempt > 6 ? 6 : attempt);
}

static void send_slot(struct prober *pr, const struct ev *e, uint64_t now)
{
	struct fp_probe_pair *p = &pr->pairs[e->pair];
	struct fp_probe_pst *ps = &p->pst[e->port];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = fp_addr_to_v4(&p->dst) };
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6 };
	bool v4 = fp_addr_is_v4(&p->dst);
	uint8_t pkt[FP_PROBE_PKT_MAX];
	uint16_t id;
	size_t len;
	ssize_t r;

	/* Token 0 stays unused: the kernel fills a zero IP ID itself. */
	if (!++pr->next_tok)
		pr->next_tok = 1;
	id = pr->next_tok;
	pr->tok[id] = (struct tok){ e->pair, e->port, e->ttl, 1 };
	len = fp_probe_build(pr->cfg, pkt, &p->src, &p->dst, p->port[e->port], e->ttl, id,
			     pr->nonce);
	memcpy(&sa6.sin6_addr, p->dst.b, 16);
	r = sendto(src_fd(pr, &p->src), pkt, len, 0,
		   v4 ? (struct sockaddr *)&sa : (struct sockaddr *)&sa6,
		   v4 ? sizeof(sa) : sizeof(sa6));
	if (r < 0)
		plog(pr, "send: %s", strerror(errno));
	pr->st->sent++;
	ps->slot[e->ttl - 1] = SL_FLIGHT;
	heap_push(pr, (struct ev){ .t = now + slot_timeout(pr, ps->attempt[e->ttl - 1]),
				   .pair = e->pair, .port = e->port, .ttl = e->ttl,
				   .kind = EV_TIMEOUT, .attempt = ps->attempt[e->ttl - 1] });
}

static void on_timeout(struct prober *pr, const struct ev *e, uint64_t now)
{
	struct fp_probe_pair *p = &pr->pairs[e->pair];
	struct fp_probe_pst *ps = &p->pst[e->port];
	uint8_t *sl = &ps->slot[e->ttl - 1], *at = &ps->attempt[e->ttl - 1];

	if (*sl != SL_FLIGHT || *at != e->attempt)
		return;
	pr->st->lost++;
	/*
	 * Most losses are ICMP rate limiting: slow down for everyone, once per
	 * timeout period (the losses of one burst are one signal).
	 */
	if (now - pr->last_cut >= (uint64_t)pr->timeout_ms * 1000000ull) {
		pr->rate = pr->rate / 2 < 2 ? 2 : pr->rate / 2;
		pr->last_cut = now;
	}
	if (++*at > pr->retries) {
		*sl = SL_FAIL;
		pr->st->failed++;
		if (edge_ttl(p, e->ttl) && addr_unset(&p->edge[e->ttl == 1 ? 0 : 1]) &&
		    p->why[0] == 0)
			snprintf(p->why, sizeof(p->why), "no reply from hop %u after %u tries",
				 e->ttl, pr->retries + 1);
		port_check(pr, p, e->port);
		pair_refill(pr, e->pair, now);
		return;
	}
	*sl = SL_WANT;
	heap_push(pr, (struct ev){ .t = now, .pair = e->pair, .port = e->port,
				   .ttl = e->ttl, .kind = EV_SEND });
}

static void on_reply(struct prober *pr, const struct fp_probe_reply *r, uint64_t now)
{
	struct fp_probe_pair *p;
	struct fp_probe_pst *ps;
	struct tok *t;

	if (r->has_nonce && r->nonce != pr->nonce)
		return;		/* another prober's */
	t = &pr->tok[r->tok];
	if (!t->used || t->pair >= pr->n)
		return;
	p = &pr->pairs[t->pair];
	if (!addr_eq(&r->src, &p->src) || !addr_eq(&r->dst, &p->dst) ||
	    r->sport != p->port[t->port] || r->dport != pr->cfg->dport ||
	    r->proto != (pr->cfg->proto == FP_PROBE_TCP ? IPPROTO_TCP : IPPROTO_UDP))
		return;
	pr->st->replies++;
	pr->rate = pr->rate + 1 > pr->cfg->rate ? pr->cfg->rate : pr->rate + 1;
	ps = &p->pst[t->port];
	if (p->finished || ps->st != PT_ACTIVE || ps->slot[t->ttl - 1] == SL_GOT ||
	    ps->slot[t->ttl - 1] == SL_FAIL)
		return;
	if (r->kind == FP_PROBE_REPLY_UNREACH) {
		char h[FP_ADDR_STRLEN];

		pr->st->unreach++;
		ps->slot[t->ttl - 1] = SL_FAIL;
		snprintf(p->why, sizeof(p->why), "hop %s: destination unreachable (code %u)",
			 fp_addr_str(&r->from, h), r->code);
		port_check(pr, p, t->port);
		pair_refill(pr, t->pair, now);
		return;
	}
	ps->slot[t->ttl - 1] = SL_GOT;
	ps->hop[t->ttl - 1] = r->from;
	if (t->ttl == 1 && addr_unset(&p->edge[0]))
		p->edge[0] = r->from;
	if (t->ttl == p->hops && addr_unset(&p->edge[1]))
		p->edge[1] = r->from;
	if (ps->mask && !edge_ttl(p, t->ttl))
		infer(pr, t->pair, t->port, t->ttl, now);
	port_check(pr, p, t->port);
	pair_refill(pr, t->pair, now);
}

static void drain(struct prober *pr, uint64_t now)
{
	struct fp_probe_reply r;
	uint8_t b[1500];
	ssize_t len;

	if (pr->icmp_fd >= 0)
		while ((len = recv(pr->icmp_fd, b, sizeof(b), 0)) > 0)
			if (!fp_probe_parse_icmp4(b, (size_t)len, &r))
				on_reply(pr, &r, now);
	if (pr->icmp6_fd >= 0) {
		struct sockaddr_in6 from;
		socklen_t fl = sizeof(from);
		struct fp_addr f;

		while ((len = recvfrom(pr->icmp6_fd, b, sizeof(b), 0, (struct sockaddr *)&from,
				       &fl)) > 0) {
			memcpy(f.b, &from.sin6_addr, 16);
			if (fl >= sizeof(from) && !fp_probe_parse_icmp6(b, (size_t)len, &f, &r))
				on_reply(pr, &r, now);
			fl = sizeof(from);
		}
	}
}

static int check_input(const struct fp_probe_cfg *cfg, struct fp_probe_pair *pairs,
		       size_t n, struct fp_err *err)
{
	unsigned int k;
	size_t i;

	if (!cfg->nports || cfg->nports > 65535)
		return fp_fail(err, EINVAL, "probe: need 1..65535 candidate ports");
	if (cfg->proto != FP_PROBE_UDP && cfg->proto != FP_PROBE_TCP)
		return fp_fail(err, EINVAL, "probe: unknown protocol");
	for (i = 0; i < n; i++) {
		if (!pairs[i].hops || pairs[i].hops > FP_PROBE_MAX_HOPS)
			return fp_fail(err, EINVAL, "probe: pair %zu: hops must be 1..%d", i,
				       FP_PROBE_MAX_HOPS);
		if (pairs[i].ndown > pairs[i].npaths)
			return fp_fail(err, EINVAL,
				       "probe: pair %zu: %u paths known down of %u%s", i,
				       pairs[i].ndown, pairs[i].npaths,
				       pairs[i].npaths ? "" : " (an unknown count)");
		if (fp_addr_is_v4(&pairs[i].src) != fp_addr_is_v4(&pairs[i].dst))
			return fp_fail(err, EINVAL,
				       "probe: pair %zu: source and destination are of two families (IPv4 and IPv6)",
				       i);
		if (pairs[i].nfirst > 65535 || (pairs[i].nfirst && !pairs[i].first))
			return fp_fail(err, EINVAL, "probe: pair %zu: %u first ports%s", i,
				       pairs[i].nfirst,
				       pairs[i].first ? " (at most 65535)" : " but none given");
		for (k = 0; k < pairs[i].nfirst; k++)
			if (!pairs[i].first[k])
				return fp_fail(err, EINVAL,
					       "probe: pair %zu: its first port number %u is 0, not a port",
					       i, k + 1);
		if (addr_unset(&pairs[i].src) || addr_unset(&pairs[i].dst) ||
		    (fp_addr_is_v4(&pairs[i].src) && (!fp_addr_to_v4(&pairs[i].src) ||
						      !fp_addr_to_v4(&pairs[i].dst))))
			return fp_fail(err, EINVAL, "probe: pair %zu: an unspecified address", i);
	}
	return 0;
}

/*
 * The pair's ports in the order they are probed: its own first ports, then
 * the configuration's that are not among them, each once; and their
 * states. @seen: a bit a port, all clear, left clear. ENOMEM, or 0.
 */
static int pair_ports(struct fp_probe_pair *p, const struct fp_probe_cfg *cfg, uint64_t *seen)
{
	unsigned int k, n = 0;

	free(p->port);
	free(p->pst);
	p->pst = NULL;
	p->nport = p->nown = 0;
	p->port = malloc(((size_t)p->nfirst + cfg->nports) * sizeof(*p->port));
	if (!p->port)
		return ENOMEM;
	for (k = 0; k < p->nfirst + cfg->nports; k++) {
		uint16_t v = k < p->nfirst ? p->first[k] : cfg->ports[k - p->nfirst];

		if (seen[v / 64] & 1ull << (v % 64))
			continue;
		seen[v / 64] |= 1ull << (v % 64);
		p->port[n++] = v;
		if (k < p->nfirst)
			p->nown = n;
	}
	for (k = 0; k < n; k++)
		seen[p->port[k] / 64] = 0;
	p->nport = n;
	p->pst = calloc(n, sizeof(*p->pst));
	return p->pst ? 0 : ENOMEM;
}

static int cmp_res(const void *a, const void *b)
{
	const struct fp_probe_result *x = a, *y = b;

	return (int)x->sport - (int)y->sport;
}

int fp_probe_run(const struct fp_probe_cfg *cfg, struct fp_probe_pair *pairs, size_t n,
		 struct fp_probe_stats *st, struct fp_err *err)
{
	struct fp_probe_stats dummy;
	struct prober pr = {
		.cfg = cfg, .pairs = pairs, .n = n, .icmp_fd = -1, .icmp6_fd = -1,
		.per_path = cfg->per_path ? cfg->per_path : 2,
		.retries = cfg->retries ? cfg->retries : 5,
		.timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 250,
	};
	uint64_t start, deadline, *seen;
	double maxrate;
	size_t i;
	int rc;

	memset(st ? st : &dummy, 0, sizeof(*st));
	pr.st = st ? st : &dummy;
	rc = check_input(cfg, pairs, n, err);
	if (rc)
		return rc;
	seen = calloc(65536 / 64, sizeof(*seen));
	if (!seen)
		pr.oom = true;
	for (i = 0; i < n; i++) {
		struct fp_probe_pair *p = &pairs[i];

		p->resolved = p->finished = false;
		p->nres = p->nfound = p->next = p->active = p->done_ports = p->since_new = 0;
		p->fails = 0;
		memset(p->edge, 0, sizeof(p->edge));
		p->why[0] = 0;
		free(p->res);
		p->res = NULL;
		memset(p->paths, 0, sizeof(p->paths));
		if (!seen || pair_ports(p, cfg, seen))
			pr.oom = true;
	}
	free(seen);
	if (getrandom(&pr.nonce, sizeof(pr.nonce), GRND_NONBLOCK) != sizeof(pr.nonce))
		pr.nonce = (uint32_t)now_ns() ^ (uint32_t)getpid() << 16;
	pr.next_tok = (uint16_t)(pr.nonce >> 7);	/* nor the same tokens */
	pr.tok = calloc(65536, sizeof(*pr.tok));
	if (!pr.tok || pr.oom) {
		rc = fp_fail(err, ENOMEM, "probing: out of memory");
		goto out;
	}
	rc = open_sockets(&pr, err);
	if (rc)
		goto out;
	maxrate = cfg->rate > 0 ? cfg->rate : 200;
	pr.rate = maxrate;
	pr.tokens = 1;
	start = pr.last_refill = now_ns();
	deadline = start + (uint64_t)(cfg->deadline_s ? cfg->deadline_s : 120) * 1000000000ull;
	pr.unfinished = n;
	for (i = 0; i < n; i++)
		pair_refill(&pr, (uint32_t)i, start);

	while (pr.unfinished && !pr.oom) {
		uint64_t now = now_ns(), wait;
		struct pollfd pfd[2] = { { .fd = pr.icmp_fd, .events = POLLIN },
					 { .fd = pr.icmp6_fd, .events = POLLIN } };

		if (now >= deadline) {
			for (i = 0; i < n; i++)
				pair_finish(&pr, &pairs[i], pairs[i].nfound ? NULL :
					    "gave up at the deadline");
			break;
		}
		pr.tokens += (double)(now - pr.last_refill) * 1e-9 * pr.rate;
		if (pr.tokens > 1 + pr.rate / 50)
			pr.tokens = 1 + pr.rate / 50;
		pr.last_refill = now;
		while (pr.nheap && pr.heap[0].t <= now) {
			struct ev e = pr.heap[0];
			struct fp_probe_pair *p = &pairs[e.pair];

			if (e.kind == EV_SEND && pr.tokens < 1)
				break;
			heap_pop(&pr);
			if (p->finished)
				continue;
			if (e.kind == EV_TIMEOUT) {
				on_timeout(&pr, &e, now);
			} else if (p->pst[e.port].slot[e.ttl - 1] == SL_WANT) {
				send_slot(&pr, &e, now);
				pr.tokens -= 1;
			}
		}
		drain(&pr, now);
		if (!pr.unfinished)
			break;
		wait = 50000000ull;
		if (pr.nheap) {
			uint64_t t = pr.heap[0].t;

			if (pr.heap[0].kind == EV_SEND && pr.tokens < 1) {
				uint64_t need = (uint64_t)((1 - pr.tokens) / pr.rate * 1e9);

				t = t > now + need ? t : now + need;
			}
			wait = t > now ? t - now : 0;
		}
		if (wait > 50000000ull)
			wait = 50000000ull;
		if (poll(pfd, 2, (int)((wait + 999999) / 1000000)) > 0)
			drain(&pr, now_ns());
	}
	if (pr.oom) {
		rc = fp_fail(err, ENOMEM, "probing: out of memory");
		goto out;
	}
	pr.st->seconds = (double)(now_ns() - start) * 1e-9;
	for (i = 0; i < n; i++)
		qsort(pairs[i].res, pairs[i].nres, sizeof(*pairs[i].res), cmp_res);
out:
	for (i = 0; i < pr.nsrc; i++)
		close(pr.src[i].fd);
	if (pr.icmp_fd >= 0)
		close(pr.icmp_fd);
	if (pr.icmp6_fd >= 0)
		close(pr.icmp6_fd);
	for (i = 0; i < n; i++) {
		free(pairs[i].pst);
		pairs[i].pst = NULL;
	}
	free(pr.src);
	free(pr.tok);
	free(pr.heap);
	return rc;
}

void fp_probe_pair_release(struct fp_probe_pair *p)
{
	free(p->res);
	free(p->pst);
	free(p->port);
	p->res = NULL;
	p->pst = NULL;
	p->port = NULL;
	p->nres = 0;
	p->nport = p->nown = 0;
}

const char *fp_probe_router_name(const struct fp_probe_cfg *cfg, const struct fp_addr *addr)
{
	size_t i;

	for (i = 0; i < cfg->nrouters; i++)
		if (addr_eq(&cfg->routers[i].addr, addr))
			return cfg->routers[i].name;
	return NULL;
}

/* "leaf0,spine1,leaf1" into @buf; false (and the unknown address) if a hop is unnamed. */
static bool path_names(const struct fp_probe_cfg *cfg, const struct fp_probe_pair *p,
		       const struct fp_probe_path *pa, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int h;

	buf[0] = 0;
	for (h = 0; h < p->hops; h++) {
		const char *nm = fp_probe_router_name(cfg, &pa->hop[h]);
		char a[FP_ADDR_STRLEN];

		if (!nm) {
			snprintf(buf, len, "%s", fp_addr_str(&pa->hop[h], a));
			return false;
		}
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
					h ? "," : "", nm);
	}
	return off < len;
}

int fp_probe_write_portmap(FILE *f, const struct fp_probe_cfg *cfg,
			   const struct fp_probe_pair *pairs, size_t n, bool header)
{
	size_t i;

	if (header)
		fprintf(f, "# flowplan-portmap 1\n"
			   "# src_addr     dst_addr     sport  path (switches, comma separated)\n");
	for (i = 0; i < n; i++) {
		const struct fp_probe_pair *p = &pairs[i];
		unsigned int k, named = 0;
		char s[FP_ADDR_STRLEN], d[FP_ADDR_STRLEN], path[FP_PROBE_MAX_HOPS * 64];

		fp_addr_str(&p->src, s);
		fp_addr_str(&p->dst, d);
		for (k = 0; k < p->nres; k++) {
			const struct fp_probe_path *pa = &p->paths[p->res[k].path];

			if (pa->foreign) {
				path_names(cfg, p, pa, path, sizeof(path));
				fprintf(f, "# %s %s %u: path %s is not a live shortest path of the topology\n",
					s, d, p->res[k].sport, path);
			} else if (path_names(cfg, p, pa, path, sizeof(path))) {
				fprintf(f, "%-12s %-12s %-6u %s\n", s, d, p->res[k].sport, path);
				named++;
			} else {
				fprintf(f, "# %s %s %u: hop %s is not in the router map\n", s, d,
					p->res[k].sport, path);
			}
		}
		if (!named) {
			fprintf(f, "# %s %s: %s\n", s, d, p->why[0] ? p->why : "no named path");
			fprintf(f, "%-12s %-12s %-6s %s\n", s, d, "-", "unresolved");
		} else if (!p->resolved) {
			fprintf(f, "# %s %s: incomplete: %s\n", s, d, p->why);
		} else if (p->npaths && pair_known_paths(p) < p->npaths) {
			fprintf(f, "# %s %s: %u of %u paths, the others known down\n", s, d,
				pair_known_paths(p), p->npaths);
		}
	}
	fflush(f);
	return ferror(f) ? EIO : 0;
}

/* A router map is small: a few lines per switch. */
#define ROUTERS_MAX	(16u << 20)

static int read_text(const char *path, char **buf, struct fp_err *err)
{
	FILE *f = fopen(path, "r");
	size_t n = 0, cap = 0, r;
	char *b = NULL;
	int rc = 0;

	if (!f)
		return fp_fail(err, errno, "%s: %s", path, strerror(errno));
	do {
		if (grow((void **)&b, &cap, n + 4097, 1)) {
			rc = fp_fail(err, ENOMEM, "%s: out of memory", path);
			break;
		}
		r = fread(b + n, 1, cap - n - 1, f);
		n += r;
		if (n > ROUTERS_MAX) {
			rc = fp_fail(err, EFBIG, "%s: larger than %u MiB, not a router map", path,
				     ROUTERS_MAX >> 20);
			break;
		}
	} while (r);
	if (!rc && ferror(f))
		rc = fp_fail(err, EIO, "%s: read error", path);
	fclose(f);
	if (rc) {
		free(b);
		return rc;
	}
	b[n] = 0;
	if (strlen(b) != n) {
		free(b);
		return fp_fail(err, EINVAL, "%s: contains a NUL byte", path);
	}
	*buf = b;
	return 0;
}

int fp_probe_routers_load(const char *path, struct fp_probe_router **out, size_t *n,
			  struct fp_err *err)
{
	struct fp_probe_router *r = NULL;
	size_t nr = 0, cap = 0;
	char *buf = NULL, *ln, *next;
	int rc, line = 0;

	rc = read_text(path, &buf, err);
	if (rc)
		return rc;
	for (ln = buf; ln && *ln; ln = next) {
		char a[64], nm[256], extra[2], *name;
		struct fp_addr addr;
		int nf;

		next = strchr(ln, '\n');
		if (next)
			*next++ = 0;
		line++;
		while (*ln == ' ' || *ln == '\t')
			ln++;
		if (!*ln || *ln == '#')
			continue;
		nf = sscanf(ln, "%63s %255s %1s", a, nm, extra);
		if (nf != 2 || fp_addr_parse(a, &addr)) {
			rc = fp_fail(err, EINVAL, "%s:%d: expected \"ADDR SWITCH\"", path, line);
			break;
		}
		if (fp_addr_is_v4(&addr) && strchr(a, ':')) {
			rc = fp_fail(err, EINVAL,
				     "%s:%d: %s is an IPv4-mapped IPv6 address (write IPv4 as a dotted quad)",
				     path, line, a);
			break;
		}
		if (addr_unset(&addr) || (fp_addr_is_v4(&addr) && !fp_addr_to_v4(&addr))) {
			rc = fp_fail(err, EINVAL, "%s:%d: the unspecified address is no router's",
				     path, line);
			break;
		}
		name = grow((void **)&r, &cap, nr + 1, sizeof(*r)) ? NULL : strdup(nm);
		if (!name) {
			rc = fp_fail(err, ENOMEM, "%s: out of memory", path);
			break;
		}
		r[nr].name = name;
		r[nr].addr = addr;
		nr++;
	}
	free(buf);
	if (rc) {
		fp_probe_routers_free(r, nr);
		return rc;
	}
	*out = r;
	*n = nr;
	return 0;
}

void fp_probe_routers_free(struct fp_probe_router *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(r[i].name);
	free(r);
}
