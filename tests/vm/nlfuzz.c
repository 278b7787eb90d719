// SPDX-License-Identifier: MIT
/*
 * fp-nlfuzz - send malformed flowplan generic netlink messages and check
 * that the kernel refuses every one of them with an error reply.
 *
 *   fp-nlfuzz [-n COUNT] [-s SEED] [-e ENTRIES] [-p PORTID] [-F] [-u] [-v]
 *   fp-nlfuzz -m
 *   fp-nlfuzz -c del-plan|del-counters
 *
 * Each message is built to be invalid by the protocol of
 * <linux/flowplan.h> (unknown command, unknown or truncated attribute,
 * wrong length, missing required attribute, out-of-range value, unknown
 * flag, garbage nest, duplicate or too many entries, bad netlink header),
 * with random bytes around the fault. Run as an unprivileged user, the
 * mutations must be refused as well (-EPERM before anything is parsed);
 * -u adds well-formed mutations, which only the missing CAP_NET_ADMIN
 * refuses. -e N ends with a plan of N entries (more than max_entries).
 * As root, one message in 20 follows a valid part of a plan staged with
 * FLOWPLAN_F_MORE (accepted, not counted as sent); the fuzzer exits with a
 * part still staged, which closing its socket must discard. -p binds the
 * socket to netlink port id PORTID; -F ends with part 1 of that staged
 * plan instead, which must be refused: run after a fuzzer with the same -p
 * has exited, whose staged part died with its socket, it has nothing to
 * complete.
 * -m instead runs plans in several parts from two sockets with the other
 * socket's plans, parts and DEL_PLAN between them, and checks that a last
 * part installs its whole plan or is refused, never a fragment (as root,
 * with no plan installed; it leaves none).
 * Exit 0 when every message got an error, 1 when one was accepted or got
 * no answer, 2 on setup errors (e.g. the family is not registered).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/flowplan.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define BUF_MAX		(256 * 1024)
/* Above any installed plan's, so that the fault, not ESTALE, is refused. */
#define FUZZ_GEN	(1ULL << 40)
#define ERRNO_MAX	160

struct fuzz {
	struct nl_sock *sk;
	int family;
	uint64_t rng;
	uint32_t seq;
	bool verbose;
	bool unprivileged;
	unsigned char *buf;
	size_t len;
	unsigned long sent, refused, accepted, silent, staged;
	int last_err;
	unsigned long by_errno[ERRNO_MAX];
	unsigned long with_extack;
};

static uint32_t rnd(struct fuzz *f)
{
	/* xorshift64*: reproducible from -s */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return (uint32_t)((f->rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint32_t below(struct fuzz *f, uint32_t n)
{
	return n ? rnd(f) % n : 0;
}

/* ---- building messages byte by byte ---- */

static void *room(struct fuzz *f, size_t n)
{
	void *p;

	if (f->len + NLA_ALIGN(n) > BUF_MAX)
		return NULL;
	p = f->buf + f->len;
	memset(p, 0, NLA_ALIGN(n));
	f->len += NLA_ALIGN(n);
	return p;
}

static void put_hdr(struct fuzz *f, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	f->len = 0;
	nlh = room(f, NLMSG_HDRLEN);
	nlh->nlmsg_type = f->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++f->seq;
	g = room(f, GENL_HDRLEN);
	g->cmd = cmd;
	g->version = FLOWPLAN_GENL_VERSION;
}

/* Starts an attribute; nest_end() fixes its length afterwards. */
static size_t nest_start(struct fuzz *f, uint16_t type)
{
	struct nlattr *a = room(f, NLA_HDRLEN);
	size_t off = f->len - NLA_HDRLEN;

	if (a)
		a->nla_type = type | NLA_F_NESTED;
	return off;
}

static void nest_end(struct fuzz *f, size_t off)
{
	struct nlattr *a = (struct nlattr *)(f->buf + off);

	a->nla_len = f->len - off;
}

static void put_attr(struct fuzz *f, uint16_t type, const void *data,
		     size_t n)
{
	struct nlattr *a = room(f, NLA_HDRLEN + n);

	if (!a)
		return;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + n;
	if (n)
		memcpy((char *)a + NLA_HDRLEN, data, n);
}

static void put_u16(struct fuzz *f, uint16_t type, uint16_t v)
{
	put_attr(f, type, &v, sizeof(v));
}

static void put_u32(struct fuzz *f, uint16_t type, uint32_t v)
{
	put_attr(f, type, &v, sizeof(v));
}

static void put_u64(struct fuzz *f, uint16_t type, uint64_t v)
{
	put_attr(f, type, &v, sizeof(v));
}

static void put_random(struct fuzz *f, uint16_t type, size_t n)
{
	unsigned char tmp[512];
	size_t i;

	if (n > sizeof(tmp))
		n = sizeof(tmp);
	for (i = 0; i < n; i++)
		tmp[i] = rnd(f);
	put_attr(f, type, tmp, n);
}

static void put_subflow(struct fuzz *f, uint32_t fl, uint16_t sport,
			uint32_t weight)
{
	size_t s = nest_start(f, below(f, 4));

	put_u32(f, FLOWPLAN_SUBFLOW_A_FLOW_LABEL, fl);
	put_u16(f, FLOWPLAN_SUBFLOW_A_SPORT, sport);
	put_u32(f, FLOWPLAN_SUBFLOW_A_WEIGHT, weight);
	nest_end(f, s);
}

/* A valid entry for 10.99.x.y -> 10.98.x.y, distinct per n. */
/* A valid entry; odd N an IPv6 one (fd63::N -> fd62::N). */
static void put_entry(struct fuzz *f, uint32_t n, uint32_t flags,
		      unsigned int nsub)
{
	uint32_t local = htonl(0x0a630000 | (n & 0xffff));
	uint32_t remote = htonl(0x0a620000 | (n & 0xffff));
	uint8_t l6[16] = { 0xfd, 0x63 }, r6[16] = { 0xfd, 0x62 };
	size_t e, s;
	unsigned int i;

	e = nest_start(f, n & 0x7fff);
	if (n & 1) {
		memcpy(l6 + 12, &local, 4);
		memcpy(r6 + 12, &remote, 4);
		put_attr(f, FLOWPLAN_ENTRY_A_LOCAL_ADDR, l6, 16);
		put_attr(f, FLOWPLAN_ENTRY_A_REMOTE_ADDR, r6, 16);
	} else {
		put_attr(f, FLOWPLAN_ENTRY_A_LOCAL_ADDR, &local, 4);
		put_attr(f, FLOWPLAN_ENTRY_A_REMOTE_ADDR, &remote, 4);
	}
	put_u32(f, FLOWPLAN_ENTRY_A_DQPN, n >> 16);
	put_u32(f, FLOWPLAN_ENTRY_A_FLAGS, flags);
	s = nest_start(f, FLOWPLAN_ENTRY_A_SUBFLOWS);
	/* weights sum to FLOWPLAN_WEIGHT_ONE: the last takes the remainder */
	for (i = 0; i < nsub; i++)
		put_subflow(f, 1 + i, 0xc001 + i, i + 1 < nsub ?
			    FLOWPLAN_WEIGHT_ONE / nsub :
			    FLOWPLAN_WEIGHT_ONE - (nsub - 1) *
			    (FLOWPLAN_WEIGHT_ONE / nsub));
	nest_end(f, s);
	nest_end(f, e);
}

/* Random attributes that a command's policy knows, with good lengths. */
static void put_noise(struct fuzz *f)
{
	unsigned int i, n = below(f, 3);

	for (i = 0; i < n; i++)
		if (rnd(f) & 1)
			put_u64(f, FLOWPLAN_A_GENERATION, rnd(f));
		else
			put_u32(f, FLOWPLAN_A_NENTRIES, rnd(f));
}

static const uint8_t real_cmds[] = {
	FLOWPLAN_CMD_SET_PLAN, FLOWPLAN_CMD_GET_PLAN, FLOWPLAN_CMD_DEL_PLAN,
	FLOWPLAN_CMD_GET_DEVICES, FLOWPLAN_CMD_GET_COUNTERS,
};

static uint8_t any_cmd(struct fuzz *f)
{
	return real_cmds[below(f, sizeof(real_cmds))];
}

/* GETs are dumps; asking for them as such reaches their policy. */
static uint16_t flags_for(uint8_t cmd)
{
	return (cmd == FLOWPLAN_CMD_SET_PLAN || cmd == FLOWPLAN_CMD_DEL_PLAN) ?
		0 : NLM_F_DUMP;
}

static const char *const set_faults[] = {
	"set without generation", "entry without local address",
	"entry without remote address", "dqpn out of range",
	"unknown entry flag", "entry without subflows", "too many subflows",
	"flow label out of range", "sport 0", "weight out of range",
	"garbage subflow nest", "unknown subflow attribute", "no subflows",
	"IPv4-mapped IPv6 addresses", "addresses of two families",
	"address neither 4 nor 16 bytes",
};

/*
 * One invalid SET_PLAN: a valid frame with exactly one fault in it. The
 * generation is always present, so the fault is what gets refused. The
 * entry is IPv4 or IPv6 at random (fd63::1 -> fd62::1); kinds 13 to 15
 * are faults of the addresses themselves.
 */
static const char *bad_set(struct fuzz *f)
{
	unsigned int kind = below(f, 16), i, alen = rnd(f) & 1 ? 16 : 4;
	uint32_t local = htonl(0x0a630001), remote = htonl(0x0a620001);
	uint8_t l6[20] = { 0xfd, 0x63 }, r6[20] = { 0xfd, 0x62 };
	const void *la = &local, *ra = &remote;
	unsigned int llen = alen, rlen = alen, bad;
	size_t l, e, s;

	l6[15] = r6[15] = 1;
	if (alen == 16) {
		la = l6;
		ra = r6;
	}
	if (kind == 13) {		/* ::ffff:10.99.0.1 -> ::ffff:10.98.0.1 */
		memset(l6, 0, sizeof(l6));
		memset(r6, 0, sizeof(r6));
		l6[10] = l6[11] = r6[10] = r6[11] = 0xff;
		memcpy(l6 + 12, &local, 4);
		memcpy(r6 + 12, &remote, 4);
		la = l6;
		ra = r6;
		llen = rlen = 16;
	} else if (kind == 14) {	/* one IPv4, the other IPv6 */
		bool v4_local = rnd(f) & 1;

		la = v4_local ? (const void *)&local : l6;
		ra = v4_local ? (const void *)r6 : &remote;
		llen = v4_local ? 4 : 16;
		rlen = v4_local ? 16 : 4;
	} else if (kind == 15) {	/* 1 to 20 bytes, not 4 or 16 */
		do
			bad = 1 + below(f, 20);
		while (bad == 4 || bad == 16);
		if (rnd(f) & 1) {
			la = l6;
			llen = bad;
		} else {
			ra = r6;
			rlen = bad;
		}
	}

	put_hdr(f, FLOWPLAN_CMD_SET_PLAN, 0);
	if (kind != 0)
		put_u64(f, FLOWPLAN_A_GENERATION, FUZZ_GEN + below(f, 1000));
	l = nest_start(f, FLOWPLAN_A_ENTRIES);
	e = nest_start(f, 0);
	if (kind != 1)
		put_attr(f, FLOWPLAN_ENTRY_A_LOCAL_ADDR, la, llen);
	if (kind != 2)
		put_attr(f, FLOWPLAN_ENTRY_A_REMOTE_ADDR, ra, rlen);
	put_u32(f, FLOWPLAN_ENTRY_A_DQPN,
		kind == 3 ? FLOWPLAN_DQPN_MAX + 1 + below(f, 1000) : 0);
	put_u32(f, FLOWPLAN_ENTRY_A_FLAGS,
		kind == 4 ? (1U << (1 + below(f, 31))) | (rnd(f) & 1) : 1);
	if (kind != 5) {
		s = nest_start(f, FLOWPLAN_ENTRY_A_SUBFLOWS);
		if (kind == 6)
			for (i = 0; i <= FLOWPLAN_MAX_SUBFLOWS + below(f, 8); i++)
				put_subflow(f, 1 + i, 0xc001 + i, 1);
		else if (kind == 7)
			put_subflow(f, FLOWPLAN_FLOW_LABEL_MAX + 1 + below(f, 99),
				    0xc001, FLOWPLAN_WEIGHT_ONE);
		else if (kind == 8)
			put_subflow(f, 1, 0, FLOWPLAN_WEIGHT_ONE);
		else if (kind == 9)
			put_subflow(f, 1, 0xc001,
				    FLOWPLAN_WEIGHT_ONE + 1 + below(f, 9999));
		else if (kind == 10)
			put_random(f, below(f, 4), 4 + below(f, 60));
		else if (kind == 11)
			put_u32(f, FLOWPLAN_SUBFLOW_A_MAX + 1 + below(f, 9), 1);
		/* kind 12: an empty array: 1 to 16 subflows are required */
		nest_end(f, s);
	}
	nest_end(f, e);
	nest_end(f, l);
	return set_faults[kind];
}

/* Well-formed mutations: refused only because the caller lacks the right. */
static const char *valid_mutation(struct fuzz *f)
{
	size_t l;

	if (rnd(f) & 1) {
		put_hdr(f, FLOWPLAN_CMD_DEL_PLAN, 0);
		return "unprivileged delete";
	}
	put_hdr(f, FLOWPLAN_CMD_SET_PLAN, 0);
	put_u64(f, FLOWPLAN_A_GENERATION, FUZZ_GEN + below(f, 1000));
	l = nest_start(f, FLOWPLAN_A_ENTRIES);
	put_entry(f, below(f, 1000), rnd(f) & 1, 1 + below(f, 16));
	nest_end(f, l);
	return "unprivileged set";
}

static const char *bad_message(struct fuzz *f, bool *raw)
{
	unsigned int kind = below(f, f->unprivileged ? 16 : 15), i, n;
	uint8_t cmd = any_cmd(f);
	struct nlmsghdr *nlh;
	size_t l, e;

	*raw = false;
	switch (kind) {
	case 0:
		/*
		 * no such command: 0, the events (requests of no kind:
		 * DEVICE_ADDED to PLAN_CHANGED, PORT_CHANGED) or past
		 * FLOWPLAN_CMD_MAX; DEL_COUNTERS (10) is a request
		 */
		i = below(f, 2) ? 0 : FLOWPLAN_CMD_DEVICE_ADDED + below(f, 250);
		if (i == FLOWPLAN_CMD_DEL_COUNTERS)
			i = FLOWPLAN_CMD_MAX + 1 + below(f, 255 - FLOWPLAN_CMD_MAX);
		put_hdr(f, i, below(f, 2) ? NLM_F_DUMP : 0);
		put_noise(f);
		return "unknown command";
	case 1:
		put_hdr(f, cmd, flags_for(cmd));
		put_noise(f);
		put_random(f, FLOWPLAN_A_MAX + 1 + below(f, 200), below(f, 40));
		return "unknown attribute";
	case 2:
		put_hdr(f, cmd, flags_for(cmd));
		put_random(f, 0, below(f, 16));
		return "attribute type 0";
	case 3:
		/* the attribute claims more than the message holds */
		put_hdr(f, cmd, flags_for(cmd));
		put_u64(f, FLOWPLAN_A_GENERATION, FUZZ_GEN);
		((struct nlattr *)(f->buf + f->len - 12))->nla_len =
			12 + 4 + below(f, 1000);
		return "truncated attribute";
	case 4:
		put_hdr(f, cmd, flags_for(cmd));
		put_random(f, FLOWPLAN_A_GENERATION, below(f, 8));
		return "short generation";
	case 5:
		put_hdr(f, cmd, flags_for(cmd));
		put_random(f, FLOWPLAN_A_GENERATION, 9 + below(f, 50));
		return "long generation";
	case 6:
		/* leftover bytes after the last attribute */
		put_hdr(f, cmd, flags_for(cmd));
		put_noise(f);
		nlh = (struct nlmsghdr *)f->buf;
		n = 1 + below(f, 3);
		memset(f->buf + f->len, 0xff, n);
		f->len += n;
		nlh->nlmsg_len = f->len;
		*raw = true;
		return "trailing bytes";
	case 7:
		/* an attribute header shorter than a header */
		put_hdr(f, cmd, flags_for(cmd));
		put_u32(f, FLOWPLAN_A_NENTRIES, 1);
		((struct nlattr *)(f->buf + f->len - 8))->nla_len = below(f, 4);
		return "attribute length below 4";
	case 8:
		/* a netlink header that lies about the message length */
		put_hdr(f, cmd, flags_for(cmd));
		put_u64(f, FLOWPLAN_A_GENERATION, FUZZ_GEN);
		nlh = (struct nlmsghdr *)f->buf;
		nlh->nlmsg_len = NLMSG_HDRLEN + below(f, GENL_HDRLEN);
		f->len = nlh->nlmsg_len;
		*raw = true;
		return "message shorter than its headers";
	case 9:
		/* entries nest that is no nest */
		put_hdr(f, FLOWPLAN_CMD_SET_PLAN, 0);
		put_u64(f, FLOWPLAN_A_GENERATION, FUZZ_GEN);
		l = nest_start(f, FLOWPLAN_A_ENTRIES);
		n = 1 + below(f, 4);
		for (i = 0; i < n; i++) {
			e = nest_start(f, i);
			put_random(f, 1 + below(f, FLOWPLAN_ENTRY_A_MAX + 3),
				   below(f, 24));
			nest_end(f, e);
		}
		nest_end(f, l);
		return "garbage entries";
	case 10:
		put_hdr(f, FLOWPLAN_CMD_SET_PLAN, 0);
		put_u64(f, FLOWPLAN_A_GENERATION, FUZZ_GEN);
		put_random(f, FLOWPLAN_A_ENTRIES, 1 + below(f, 3));
		return "entries shorter than a header";
	case 11:
		/* the same (local, remote, dqpn) twice */
		put_hdr(f, FLOWPLAN_CMD_SET_PLAN, 0);
		put_u64(f, FLOWPLAN_A_GENERATION, FUZZ_GEN);
		l = nest_start(f, FLOWPLAN_A_ENTRIES);
		n = below(f, 100);
		put_entry(f, n, 0, 1);
		put_entry(f, n, 1, 2);
		nest_end(f, l);
		return "duplicate entries";
	case 12:
		/* nested garbage deeper than any policy */
		put_hdr(f, cmd, flags_for(cmd));
		n = 1 + below(f, 6);
		for (i = 0; i < n; i++)
			nest_start(f, FLOWPLAN_A_MAX + 1 + below(f, 50));
		put_random(f, below(f, 300), below(f, 64));
		for (i = n; i > 0; i--)
			nest_end(f, NLMSG_HDRLEN + GENL_HDRLEN +
				 (i - 1) * NLA_HDRLEN);
		return "deep unknown nests";
	case 13:
		put_hdr(f, FLOWPLAN_CMD_SET_PLAN, 0);
		put_u64(f, FLOWPLAN_A_GENERATION, FUZZ_GEN);
		put_u32(f, FLOWPLAN_A_FLAGS, 1U << (1 + below(f, 31)));
		return "unknown plan flag";
	case 14:
		return bad_set(f);
	case 15:
		return valid_mutation(f);
	default:
		return bad_set(f);
	}
}

/* ---- sending and reading the answer ---- */

static void note_extack(struct fuzz *f, struct nlmsghdr *nlh, const char *what)
{
	struct nlmsgerr *err = NLMSG_DATA(nlh);
	size_t off = sizeof(*err);
	struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - NLMSG_HDRLEN;
	while (NLMSG_HDRLEN + off + NLA_HDRLEN <= nlh->nlmsg_len) {
		a = (struct nlattr *)((char *)err + off);
		if (a->nla_len < NLA_HDRLEN ||
		    NLMSG_HDRLEN + off + a->nla_len > nlh->nlmsg_len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			f->with_extack++;
			if (f->verbose)
				printf("  %s: %s: %.*s\n", what,
				       strerror(-err->error),
				       (int)(a->nla_len - NLA_HDRLEN),
				       (char *)a + NLA_HDRLEN);
			return;
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

/* 1: refused; 0: accepted; -1: no answer. */
static int answer(struct fuzz *f, uint32_t seq, const char *what)
{
	struct sockaddr_nl peer;
	unsigned char *msg = NULL;
	struct nlmsghdr *nlh;
	int n, err, verdict = -2;

	while (verdict == -2) {
		n = nl_recv(f->sk, &peer, &msg, NULL);
		if (n <= 0) {
			free(msg);
			return -1;
		}
		for (nlh = (struct nlmsghdr *)msg; NLMSG_OK(nlh, (unsigned int)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
				f->last_err = -err;
				if (err < 0 && -err < ERRNO_MAX)
					f->by_errno[-err]++;
				if (err < 0)
					note_extack(f, nlh, what);
				verdict = err < 0;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				err = 0;
				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
				verdict = err < 0;
				break;
			}
			/* a data reply: the request was taken as valid */
			verdict = 0;
		}
		free(msg);
		msg = NULL;
	}
	return verdict;
}

static int fuzz_one(struct fuzz *f, unsigned long i)
{
	const char *what;
	bool raw;
	uint32_t seq;
	int v;

	what = bad_message(f, &raw);
	if (!raw)
		((struct nlmsghdr *)f->buf)->nlmsg_len = f->len;
	seq = ((struct nlmsghdr *)f->buf)->nlmsg_seq;
	if (nl_sendto(f->sk, f->buf, f->len) < 0) {
		/* the socket layer refused it: refused all the same */
		f->sent++;
		f->refused++;
		return 0;
	}
	f->sent++;
	v = answer(f, seq, what);
	if (v == 1) {
		f->refused++;
		return 0;
	}
	if (v == 0) {
		f->accepted++;
		printf("ACCEPTED message %lu (%s), %zu bytes\n", i, what, f->len);
	} else {
		f->silent++;
		printf("NO ANSWER to message %lu (%s)\n", i, what);
	}
	/* What is left of an accepted dump is skipped by its sequence. */
	return 1;
}

/* Sends the message in f->buf; 1: refused, 0: accepted, -1: no answer. */
static int send_one(struct fuzz *f, const char *what)
{
	((struct nlmsghdr *)f->buf)->nlmsg_len = f->len;
	if (nl_sendto(f->sk, f->buf, f->len) < 0)
		return 1;
	return answer(f, ((struct nlmsghdr *)f->buf)->nlmsg_seq, what);
}

/*
 * A valid part @part of a plan: @n entries from entry @from; all but the
 * last with FLOWPLAN_F_MORE, the last with the plan's @total entries.
 */
static void put_part(struct fuzz *f, uint64_t gen, uint32_t part,
		     unsigned int from, unsigned int n, bool more,
		     unsigned int total)
{
	unsigned int i;
	size_t l;

	put_hdr(f, FLOWPLAN_CMD_SET_PLAN, 0);
	put_u64(f, FLOWPLAN_A_GENERATION, gen);
	put_u32(f, FLOWPLAN_A_PART, part);
	if (more)
		put_u32(f, FLOWPLAN_A_FLAGS, FLOWPLAN_F_MORE);
	else
		put_u32(f, FLOWPLAN_A_NENTRIES, total);
	l = nest_start(f, FLOWPLAN_A_ENTRIES);
	for (i = from; i < from + n; i++)
		put_entry(f, i, rnd(f) & 1, 1 + below(f, 4));
	nest_end(f, l);
}

/*
 * Plans staged over several messages (root only): a valid first part is
 * accepted; what follows carries a fault, or the parts together exceed
 * max_entries (@max), and must be refused. The staged part must then be
 * gone: the test checks that the installed plan never changed.
 */
static void stage_then_fault(struct fuzz *f, unsigned int max)
{
	uint64_t gen = FUZZ_GEN + 5000 + below(f, 1000);
	const char *what;
	bool e2big = max && (rnd(f) & 1);
	unsigned int n = e2big ? max / 2 + 1 : 1 + below(f, 8);
	int v;

	f->staged++;
	put_part(f, gen, 0, 0, n, true, 0);
	v = send_one(f, "staged part");
	if (v != 0) {
		f->silent++;
		printf("a valid staged part was %s (%s)\n",
		       v == 1 ? "refused" : "not answered",
		       v == 1 ? strerror(f->last_err) : "-");
		return;
	}
	if (e2big) {
		put_part(f, gen, 1, n, n, false, 2 * n);
		what = "staged parts over max_entries";
	} else {
		bool raw;

		what = bad_message(f, &raw);
		if (raw) {
			/* keep the length the fault gave it */
			f->sent++;
			v = nl_sendto(f->sk, f->buf, f->len) < 0 ? 1 :
				answer(f, ((struct nlmsghdr *)f->buf)->nlmsg_seq,
				       what);
			goto judge;
		}
	}
	f->sent++;
	v = send_one(f, what);
judge:
	if (v == 1) {
		f->refused++;
	} else {
		if (v)
			f->silent++;
		else
			f->accepted++;
		printf("%s after a staged part (%s)\n",
		       v ? "NO ANSWER" : "ACCEPTED", what);
	}
}

/* More entries than max_entries: refused, and with -E2BIG. */
static void too_many(struct fuzz *f, unsigned int n)
{
	unsigned long e2big = f->by_errno[E2BIG];
	size_t l;
	unsigned int i;
	int v;

	put_hdr(f, FLOWPLAN_CMD_SET_PLAN, 0);
	put_u64(f, FLOWPLAN_A_GENERATION, FUZZ_GEN);
	l = nest_start(f, FLOWPLAN_A_ENTRIES);
	for (i = 0; i < n; i++)
		put_entry(f, i, 0, 1);
	nest_end(f, l);
	if (f->len - l > 0xffff) {
		printf("a plan of %u entries does not fit in one attribute\n", n);
		f->silent++;
		return;
	}
	((struct nlmsghdr *)f->buf)->nlmsg_len = f->len;
	f->sent++;
	if (nl_sendto(f->sk, f->buf, f->len) < 0) {
		printf("cannot send a plan of %u entries\n", n);
		f->silent++;
		return;
	}
	v = answer(f, f->seq, "too many entries");
	if (v == 1 && f->by_errno[E2BIG] == e2big + 1) {
		f->refused++;
	} else if (v == 1) {
		f->refused++;
		f->silent++;
		printf("a plan of %u entries was refused, but not with E2BIG\n",
		       n);
	} else {
		if (v)
			f->silent++;
		else
			f->accepted++;
		printf("%s to a plan of %u entries\n",
		       v ? "NO ANSWER" : "ACCEPTED", n);
	}
}

static int setup(struct fuzz *f, uint32_t portid)
{
	struct timeval tv = { .tv_sec = 10 };
	int one = 1, fd;

	f->sk = nl_socket_alloc();
	if (f->sk && portid)
		nl_socket_set_local_port(f->sk, portid);
	if (!f->sk || genl_connect(f->sk)) {
		fprintf(stderr, "fp-nlfuzz: cannot open a netlink socket\n");
		return -1;
	}
	f->family = genl_ctrl_resolve(f->sk, FLOWPLAN_GENL_NAME);
	if (f->family < 0) {
		fprintf(stderr, "fp-nlfuzz: family %s: %s\n",
			FLOWPLAN_GENL_NAME, nl_geterror(f->family));
		return -1;
	}
	fd = nl_socket_get_fd(f->sk);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	nl_socket_set_buffer_size(f->sk, 1 << 20, 1 << 20);
	nl_socket_set_msg_buf_size(f->sk, 1 << 20);
	f->buf = calloc(1, BUF_MAX);
	return f->buf ? 0 : -1;
}

/* ---- plans in several parts from several sockets (-m) ---- */

/* Entries and generation of the installed plan (GET_PLAN dump); -1: error. */
static long plan_entries(struct fuzz *f, uint64_t *gen)
{
	struct sockaddr_nl peer;
	unsigned char *msg = NULL;
	struct nlmsghdr *nlh;
	struct nlattr *a, *e;
	long n = 0;
	int len, rem, erem;
	bool done = false;

	put_hdr(f, FLOWPLAN_CMD_GET_PLAN, NLM_F_DUMP);
	((struct nlmsghdr *)f->buf)->nlmsg_len = f->len;
	if (nl_sendto(f->sk, f->buf, f->len) < 0)
		return -1;
	while (!done) {
		len = nl_recv(f->sk, &peer, &msg, NULL);
		if (len <= 0)
			return -1;
		for (nlh = (struct nlmsghdr *)msg; NLMSG_OK(nlh, (unsigned int)len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != f->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE ||
			    nlh->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			rem = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
			a = (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
			for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
			       a->nla_len <= rem;
			     rem -= NLA_ALIGN(a->nla_len),
			     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
				if ((a->nla_type & NLA_TYPE_MASK) == FLOWPLAN_A_GENERATION)
					memcpy(gen, (char *)a + NLA_HDRLEN, 8);
				if ((a->nla_type & NLA_TYPE_MASK) != FLOWPLAN_A_ENTRIES)
					continue;
				erem = a->nla_len - NLA_HDRLEN;
				for (e = (struct nlattr *)((char *)a + NLA_HDRLEN);
				     erem >= NLA_HDRLEN && e->nla_len >= NLA_HDRLEN &&
				     e->nla_len <= erem;
				     erem -= NLA_ALIGN(e->nla_len),
				     e = (struct nlattr *)((char *)e + NLA_ALIGN(e->nla_len)))
					n++;
			}
		}
		free(msg);
		msg = NULL;
	}
	return n;
}

static struct fuzz *sock_b(struct fuzz *a)
{
	static struct fuzz b;

	if (!b.sk) {
		b = (struct fuzz){ .rng = a->rng ^ 0xb };
		if (setup(&b, 0))
			exit(2);
	}
	return &b;
}

static int check(bool ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	return ok ? 0 : 1;
}

/*
 * What another socket does between the parts of a plan never makes the
 * last part install a fragment: it installs the whole plan or is refused.
 */
static int multi_socket(struct fuzz *a)
{
	struct fuzz *b = sock_b(a);
	uint64_t gen = 0, g0 = FUZZ_GEN + 20000;
	int bad = 0;
	long n;

	/* A's two parts around B's whole plan: A's plan installs whole. */
	put_part(a, g0, 0, 0, 3, true, 0);
	bad += check(send_one(a, "A part 0") == 0, "A: part 0 staged");
	put_part(b, g0 + 1, 0, 100, 1, false, 1);
	bad += check(send_one(b, "B plan") == 0, "B: a whole plan between A's parts");
	put_part(a, g0 + 1, 1, 3, 2, false, 5);
	bad += check(send_one(a, "A part 1") == 1,
		     "A: part of another generation than part 0 refused");
	put_part(a, g0 + 2, 0, 0, 3, true, 0);
	bad += check(send_one(a, "A part 0") == 0, "A: part 0 staged again");
	put_part(b, g0 + 2, 0, 100, 1, false, 1);
	bad += check(send_one(b, "B plan") == 0, "B: a whole plan between A's parts");
	put_part(a, g0 + 2, 1, 3, 2, false, 5);
	bad += check(send_one(a, "A part 1") == 0, "A: last part accepted");
	n = plan_entries(a, &gen);
	bad += check(n == 5 && gen == g0 + 2, "the plan installed is A's whole plan of 5 entries");

	/* B's own parts interleaved with A's: both install whole. */
	put_part(a, g0 + 3, 0, 0, 2, true, 0);
	bad += check(send_one(a, "A part 0") == 0, "A: part 0 staged");
	put_part(b, g0 + 3, 0, 100, 4, true, 0);
	bad += check(send_one(b, "B part 0") == 0, "B: part 0 staged");
	put_part(a, g0 + 3, 1, 2, 1, false, 3);
	bad += check(send_one(a, "A part 1") == 0, "A: last part accepted");
	n = plan_entries(a, &gen);
	bad += check(n == 3, "A's plan of 3 entries installed");
	put_part(b, g0 + 3, 1, 104, 2, false, 6);
	bad += check(send_one(b, "B part 1") == 0, "B: last part accepted");
	n = plan_entries(a, &gen);
	bad += check(n == 6, "B's plan of 6 entries installed");

	/* DEL_PLAN between A's parts: A's last part is refused. */
	put_part(a, g0 + 4, 0, 0, 3, true, 0);
	bad += check(send_one(a, "A part 0") == 0, "A: part 0 staged");
	put_hdr(b, FLOWPLAN_CMD_DEL_PLAN, 0);
	bad += check(send_one(b, "B delete") == 0, "B: plan deleted between A's parts");
	put_part(a, g0 + 4, 1, 3, 2, false, 5);
	bad += check(send_one(a, "A part 1") == 1, "A: last part refused after DEL_PLAN");
	n = plan_entries(a, &gen);
	bad += check(n == 0 && gen == 0, "no fragment installed: the plan is empty");

	/* The last part must carry the count. */
	put_part(a, g0 + 5, 0, 0, 3, true, 0);
	bad += check(send_one(a, "A part 0") == 0, "A: part 0 staged");
	put_part(a, g0 + 5, 1, 3, 2, false, 4);
	bad += check(send_one(a, "A part 1") == 1, "A: last part with a wrong count refused");
	n = plan_entries(a, &gen);
	bad += check(n == 0, "nothing installed");
	nl_socket_free(b->sk);
	free(b->buf);
	return bad;
}

/*
 * -c COMMAND: one request without attributes (del-plan, del-counters),
 * e.g. for commands flowplanctl does not have; prints what the kernel
 * answered. Exit 0 when it was accepted, 1 when refused.
 */
static int bare_command(struct fuzz *f, const char *name)
{
	static const struct { const char *name; uint8_t cmd; } cmds[] = {
		{ "del-plan", FLOWPLAN_CMD_DEL_PLAN },
		{ "del-counters", FLOWPLAN_CMD_DEL_COUNTERS },
	};
	unsigned int i;
	int v;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(name, cmds[i].name))
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(stderr, "fp-nlfuzz: unknown command %s\n", name);
		return 2;
	}
	f->verbose = true;
	put_hdr(f, cmds[i].cmd, 0);
	v = send_one(f, name);
	printf("%s: %s\n", name, v == 0 ? "done" : v == 1 ?
	       strerror(f->last_err) : "no answer");
	return v == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct fuzz f = { .rng = 0x5eed };
	unsigned long i, count = 3000;
	unsigned int huge = 0;
	uint32_t portid = 0;
	bool finish = false, multi = false;
	const char *one = NULL;
	int c, e;

	while ((c = getopt(argc, argv, "c:n:s:e:p:Fmuv")) != -1) {
		switch (c) {
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 's':
			f.rng = strtoull(optarg, NULL, 0) | 1;
			break;
		case 'e':
			huge = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			portid = strtoul(optarg, NULL, 0);
			break;
		case 'F':
			finish = true;
			break;
		case 'm':
			multi = true;
			break;
		case 'c':
			one = optarg;
			break;
		case 'u':
			f.unprivileged = true;
			break;
		case 'v':
			f.verbose = true;
			break;
		default:
			fprintf(stderr,
				"usage: fp-nlfuzz [-n COUNT] [-s SEED] [-e ENTRIES] [-p PORTID] [-F] [-m] [-u] [-v]\n");
			return 2;
		}
	}
	if (setup(&f, portid))
		return 2;
	if (multi)
		return multi_socket(&f) ? 1 : 0;
	if (one)
		return bare_command(&f, one);
	for (i = 0; i < count; i++)
		if (!f.unprivileged && below(&f, 20) == 0)
			stage_then_fault(&f, huge ? huge - 1 : 0);
		else
			fuzz_one(&f, i);
	if (huge)
		too_many(&f, huge);
	if (finish) {
		/*
		 * Part 1 of the plan a fuzzer with this port id left staged:
		 * with that part gone (its socket closed), there is nothing to
		 * finish and it must be refused.
		 */
		put_part(&f, FUZZ_GEN + 9999, 1, 2, 1, false, 3);
		f.sent++;
		if (send_one(&f, "last part of a closed socket's plan") == 1) {
			f.refused++;
		} else {
			printf("ACCEPTED the last part of a plan whose socket closed\n");
			f.accepted++;
		}
	} else if (!f.unprivileged) {
		/* Leave a part staged: closing the socket must drop it. */
		put_part(&f, FUZZ_GEN + 9999, 0, 0, 2, true, 0);
		if (send_one(&f, "last staged part") != 0)
			printf("the last staged part was not accepted\n");
	}
	printf("fp-nlfuzz: %lu sent, %lu refused, %lu accepted, %lu unanswered, ",
	       f.sent, f.refused, f.accepted, f.silent);
	printf("%lu with an extack message, %lu after a staged part\n",
	       f.with_extack, f.staged);
	printf("fp-nlfuzz: errors:");
	for (e = 0; e < ERRNO_MAX; e++)
		if (f.by_errno[e])
			printf(" %s=%lu", strerrorname_np(e) ?: "?", f.by_errno[e]);
	printf("\n");
	nl_socket_free(f.sk);
	free(f.buf);
	return f.accepted || f.silent || f.sent != f.refused ? 1 : 0;
}
