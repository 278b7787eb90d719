// SPDX-License-Identifier: MIT
/*
 * test_core_nl - every message of the flowplan netlink family through the
 * core's encoders and decoders (lib/core/nlcodec.c), without a module:
 *
 *  - replies and events built here as kmod/netlink.c, kmod/policy.c and
 *    kmod/device.c build them (nests flagged NLA_F_NESTED, element types
 *    their index, 64-bit values with and without the pad attribute other
 *    architectures add), decoded into host plans, devices, counters and
 *    events; each malformed variant refused with EPROTO and a message that
 *    names the part; every allocation of the decoders failing in turn:
 *    ENOMEM, no leak;
 *  - SET_PLAN plans encoded and decoded back (round trip), large plans split
 *    into messages that are full (the next entry would not fit the 16-bit
 *    attribute length) and flagged as the UAPI says; each limit the module
 *    enforces refused before anything is sent;
 *  - the client without the module: ENOENT and "not loaded"; without a
 *    socket (libnl's allocation failing): ENOMEM; every call on no client:
 *    EINVAL, and what it says.
 *
 * Against the real module: tests/vm/tests/ctl.sh and lib-flowgroup.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/flowplan.h>

#include "core/nlcodec.h"
#include "test_core_allocfail.h"

#define FAMILY 0x1d

static struct fp_addr A(const char *s)
{
	struct fp_addr a;

	assert_int_equal(fp_addr_parse(s, &a), 0);
	return a;
}

/* A message as the module starts a dump reply or an event. */
static struct nl_msg *kmsg(uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(1 << 17);

	assert_non_null(msg);
	assert_non_null(genlmsg_put(msg, 4242, 9, FAMILY, 0, flags, cmd,
				    FLOWPLAN_GENL_VERSION));
	return msg;
}

/* nla_nest_start() of the kernel: NLA_F_NESTED always. */
static struct nlattr *knest(struct nl_msg *msg, int type)
{
	struct nlattr *n = nla_nest_start(msg, type | NLA_F_NESTED);

	assert_non_null(n);
	return n;
}

/* nla_put_u64_64bit(): a pad attribute first where alignment needs it. */
static void kput_u64(struct nl_msg *msg, int type, uint64_t v, int pad, bool padded)
{
	if (padded)
		assert_int_equal(nla_put(msg, pad, 0, NULL), 0);
	assert_int_equal(nla_put_u64(msg, type, v), 0);
}

/* ------------------------------------------------------------ plan dumps */

struct ksub {
	uint32_t label;
	int sport;		/* -1: absent */
	int64_t weight;		/* -1: absent */
	bool stray;		/* one byte after its last attribute, inside its nest */
};

struct kentry {
	const char *local, *remote;
	int64_t dqpn;		/* -1: absent */
	uint32_t flags;
	int nsub;
	struct ksub sub[FP_MAX_SUBFLOWS + 1];
	int addr_len;		/* 0: as the address (4 or 16); -1: absent; else that */
	int dqpn_len;		/* 0: 4 */
	int flags_len;		/* 0: 4; -1: absent */
	bool stray;		/* one byte after its last attribute, inside its nest */
};

/* fp_nl_put_entry() of kmod/policy.c, with knobs to spoil it. */
static void kput_entry(struct nl_msg *msg, int idx, const struct kentry *e)
{
	struct nlattr *en = knest(msg, idx), *subs;
	struct fp_addr l = A(e->local), r = A(e->remote);
	uint64_t dq = (uint64_t)e->dqpn;
	uint32_t fl = e->flags;	/* flags_len: at most 4 */
	int j, alen = fp_addr_is_v4(&l) ? 4 : 16;

	if (e->addr_len >= 0)
		nla_put(msg, FLOWPLAN_ENTRY_A_LOCAL_ADDR, e->addr_len ? e->addr_len : alen,
			alen == 4 ? &l.b[12] : l.b);
	nla_put(msg, FLOWPLAN_ENTRY_A_REMOTE_ADDR, alen, alen == 4 ? &r.b[12] : r.b);
	if (e->dqpn >= 0)
		nla_put(msg, FLOWPLAN_ENTRY_A_DQPN, e->dqpn_len ? e->dqpn_len : 4, &dq);
	if (e->flags_len >= 0)
		nla_put(msg, FLOWPLAN_ENTRY_A_FLAGS, e->flags_len ? e->flags_len : 4, &fl);
	if (e->nsub >= 0) {
		subs = knest(msg, FLOWPLAN_ENTRY_A_SUBFLOWS);
		for (j = 0; j < e->nsub; j++) {
			struct nlattr *s = knest(msg, j);

			nla_put_u32(msg, FLOWPLAN_SUBFLOW_A_FLOW_LABEL, e->sub[j].label);
			if (e->sub[j].sport >= 0)
				nla_put_u16(msg, FLOWPLAN_SUBFLOW_A_SPORT,
					    (uint16_t)e->sub[j].sport);
			if (e->sub[j].weight >= 0)
				nla_put_u32(msg, FLOWPLAN_SUBFLOW_A_WEIGHT,
					    (uint32_t)e->sub[j].weight);
			/* as gid_msg(7): four bytes, the nest's length counting one */
			if (e->sub[j].stray)
				assert_non_null(nlmsg_reserve(msg, 4, 0));
			nla_nest_end(msg, s);
			if (e->sub[j].stray)
				s->nla_len -= 3;
		}
		nla_nest_end(msg, subs);
	}
	if (e->stray)
		assert_non_null(nlmsg_reserve(msg, 4, 0));
	nla_nest_end(msg, en);
	if (e->stray)
		en->nla_len -= 3;
}

/* One message of fp_nl_get_plan_dump(): generation, count, entries. */
static struct nl_msg *plan_msg(uint64_t gen, uint32_t total, const struct kentry *e,
			       int n, bool padded)
{
	struct nl_msg *msg = kmsg(FLOWPLAN_CMD_GET_PLAN, NLM_F_MULTI);
	struct nlattr *ents;
	int i;

	kput_u64(msg, FLOWPLAN_A_GENERATION, gen, FLOWPLAN_A_PAD, padded);
	nla_put_u32(msg, FLOWPLAN_A_NENTRIES, total);
	ents = knest(msg, FLOWPLAN_A_ENTRIES);
	for (i = 0; i < n; i++)
		kput_entry(msg, i, &e[i]);
	nla_nest_end(msg, ents);
	return msg;
}

static int decode(struct fp_nlm_plan_dump *d, struct nl_msg *msg, struct fp_err *err)
{
	int ret = fp_nlm_plan_decode(d, nlmsg_hdr(msg), err);

	nlmsg_free(msg);
	return ret;
}

static void test_plan_dump(void **state)
{
	const struct kentry e1[] = {
		{ .local = "198.18.0.1", .remote = "198.18.0.5", .dqpn = 0,
		  .flags = FLOWPLAN_ENTRY_F_ENFORCE, .nsub = 2,
		  .sub = { { 1, 49153, 40000 }, { 2, 49154, 25536 } } },
		/* No flags (the UAPI makes them optional): not enforced. */
		{ .local = "198.18.0.1", .remote = "198.18.0.5", .dqpn = 77,
		  .nsub = 1, .sub = { { 9, 49161, 65536 } }, .flags_len = -1 },
	};
	const struct kentry e2[] = {
		/* Installed without weights: the module dumps 0s, equal shares. */
		{ .local = "198.18.0.5", .remote = "198.18.0.1", .dqpn = 0,
		  .nsub = 3, .sub = { { 5, 49157, 0 }, { 6, 49158, 0 }, { 0x4001, 49153, 0 } } },
		/* A flow label of 0 (the kernel's own port) is the module's to hold. */
		{ .local = "198.18.0.9", .remote = "198.18.0.1", .dqpn = 0,
		  .nsub = 1, .sub = { { 0, 50000, 65536 } } },
	};
	struct fp_hostplan hp;
	struct fp_nlm_plan_dump d;
	struct fp_err err = { { 0 } };
	const struct fp_hostplan_entry *x;
	struct fp_addr a = A("198.18.0.1"), b = A("198.18.0.5");

	(void)state;
	fp_hostplan_init(&hp);
	fp_nlm_plan_dump_init(&d, &hp);
	/* A plan over two messages of one dump, newest first as it may be. */
	assert_int_equal(decode(&d, plan_msg(12, 4, e2, 2, true), &err), 0);
	assert_int_equal(decode(&d, plan_msg(12, 4, e1, 2, false), &err), 0);
	assert_false(d.intr);
	assert_int_equal(fp_nlm_plan_dump_end(&d, &err), 0);
	assert_int_equal(hp.generation, 12);
	assert_int_equal(hp.n, 4);

	x = fp_hostplan_find(&hp, &a, &b, 0);
	assert_non_null(x);
	assert_true(x->enforce);
	assert_int_equal(x->nsub, 2);
	assert_int_equal(x->sub[1].sport, 49154);
	assert_int_equal(x->sub[0].weight, 40000);
	x = fp_hostplan_find(&hp, &a, &b, 77);
	assert_int_equal(x->dqpn, 77);
	assert_false(x->enforce);
	x = fp_hostplan_find(&hp, &b, &a, 1234);
	assert_int_equal(x->nsub, 3);
	assert_int_equal(x->sub[0].weight + x->sub[1].weight + x->sub[2].weight,
			 FP_WEIGHT_ONE);
	assert_int_equal(x->sub[2].flow_label, 0x4001);
	fp_hostplan_free(&hp);

	/* The empty plan: generation 0, no entries, an empty nest. */
	fp_nlm_plan_dump_init(&d, &hp);
	assert_int_equal(decode(&d, plan_msg(0, 0, NULL, 0, false), &err), 0);
	assert_int_equal(fp_nlm_plan_dump_end(&d, &err), 0);
	assert_int_equal(hp.n, 0);
	fp_hostplan_free(&hp);
}

static void test_plan_dump_ipv6(void **state)
{
	const struct kentry e[] = {
		{ .local = "2001:db8::1", .remote = "2001:db8::2", .dqpn = 0,
		  .nsub = 1, .sub = { { 7, 49159, 65536 } } },
	};
	struct fp_hostplan hp;
	struct fp_nlm_plan_dump d;
	struct fp_err err = { { 0 } };
	char buf[FP_ADDR_STRLEN];

	(void)state;
	fp_hostplan_init(&hp);
	fp_nlm_plan_dump_init(&d, &hp);
	assert_int_equal(decode(&d, plan_msg(3, 1, e, 1, false), &err), 0);
	assert_int_equal(fp_nlm_plan_dump_end(&d, &err), 0);
	assert_string_equal(fp_addr_str(&hp.e[0].remote, buf), "2001:db8::2");
	assert_false(fp_addr_is_v4(&hp.e[0].local));
	fp_hostplan_free(&hp);
}

/* One entry whose addresses are the raw bytes given (@llen, @rlen long). */
static struct nl_msg *raw_addr_msg(const void *l, int llen, const void *r, int rlen)
{
	struct nl_msg *msg = kmsg(FLOWPLAN_CMD_GET_PLAN, NLM_F_MULTI);
	struct nlattr *ents, *en, *subs, *sub;

	kput_u64(msg, FLOWPLAN_A_GENERATION, 1, FLOWPLAN_A_PAD, false);
	nla_put_u32(msg, FLOWPLAN_A_NENTRIES, 1);
	ents = knest(msg, FLOWPLAN_A_ENTRIES);
	en = knest(msg, 0);
	nla_put(msg, FLOWPLAN_ENTRY_A_LOCAL_ADDR, llen, l);
	nla_put(msg, FLOWPLAN_ENTRY_A_REMOTE_ADDR, rlen, r);
	subs = knest(msg, FLOWPLAN_ENTRY_A_SUBFLOWS);
	sub = knest(msg, 0);
	nla_put_u32(msg, FLOWPLAN_SUBFLOW_A_FLOW_LABEL, 7);
	nla_put_u16(msg, FLOWPLAN_SUBFLOW_A_SPORT, 49159);
	nla_nest_end(msg, sub);
	nla_nest_end(msg, subs);
	nla_nest_end(msg, en);
	nla_nest_end(msg, ents);
	return msg;
}

/*
 * What a module never sends is refused: an entry of two families, an
 * IPv4-mapped address in 16 bytes (IPv4 is 4 bytes), another length.
 */
static void test_plan_dump_ipv6_malformed(void **state)
{
	struct fp_addr v6 = A("2001:db8::1"), v4 = A("10.0.0.1");
	struct {
		const void *l;
		int llen;
		const void *r;
		int rlen;
		const char *why;
	} c[] = {
		{ v6.b, 16, &v4.b[12], 4, "different families" },
		{ &v4.b[12], 4, v6.b, 16, "different families" },
		{ v4.b, 16, v4.b, 16, "of 4 or 16 bytes" },	/* ::ffff:10.0.0.1 */
		{ v6.b, 8, v6.b, 8, "of 4 or 16 bytes" },
		{ v6.b, 16, v6.b, 15, "of 4 or 16 bytes" },
	};
	struct fp_hostplan hp;
	struct fp_nlm_plan_dump d;
	struct fp_err err = { { 0 } };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		fp_hostplan_init(&hp);
		fp_nlm_plan_dump_init(&d, &hp);
		assert_int_equal(decode(&d, raw_addr_msg(c[i].l, c[i].llen, c[i].r, c[i].rlen),
					&err), EPROTO);
		assert_non_null(strstr(err.msg, c[i].why));
		assert_non_null(strstr(err.msg, "plan dump: entry 0"));
		fp_hostplan_free(&hp);
	}
}

static void test_plan_dump_intr(void **state)
{
	const struct kentry e[] = {
		{ .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0,
		  .nsub = 1, .sub = { { 1, 49153, 65536 } } },
	};
	struct fp_hostplan hp;
	struct fp_nlm_plan_dump d;
	struct fp_err err = { { 0 } };
	struct nl_msg *msg = plan_msg(3, 1, e, 1, false);

	(void)state;
	fp_hostplan_init(&hp);
	fp_nlm_plan_dump_init(&d, &hp);
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_DUMP_INTR;
	assert_int_equal(decode(&d, msg, &err), 0);
	assert_true(d.intr);		/* the client dumps again */
	fp_hostplan_free(&hp);
}

static void test_plan_dump_malformed(void **state)
{
	static const struct {
		struct kentry e;
		const char *says;
	} cases[] = {
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0, .nsub = 1,
		    .sub = { { 1, 49153, 65536 } }, .addr_len = 3 }, "address of 4 or 16 bytes" },
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0, .nsub = 1,
		    .sub = { { 1, 49153, 65536 } }, .addr_len = -1 }, "no local or remote address" },
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0, .nsub = -1 },
		  "no subflows" },
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0, .nsub = 0 },
		  "no subflows" },
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0, .nsub = 1,
		    .sub = { { 0x100000, 49153, 65536 } } }, "subflow 0: no flow label" },
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0, .nsub = 1,
		    .sub = { { 1, 49153, 70000 } } }, "subflow 0: weight" },
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0, .nsub = 2,
		    .sub = { { 1, 49153, 60000 }, { 2, 49154, 0 } } }, "weights sum to 60000" },
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0, .nsub = 2,
		    .sub = { { 1, 49153, 65536 }, { 2, -1, 0 } } }, "subflow 1: no source port" },
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0, .nsub = 2,
		    .sub = { { 1, 49153, 65536 }, { 2, 49154, 0, true } } }, "subflow 1: malformed" },
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0, .nsub = 1,
		    .sub = { { 1, 0, 65536 } } }, "no source port" },
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0x1000000, .nsub = 1,
		    .sub = { { 1, 49153, 65536 } } }, "dqpn" },
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 5, .dqpn_len = 8, .nsub = 1,
		    .sub = { { 1, 49153, 65536 } } }, "dqpn" },
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 5, .flags_len = 2,
		    .nsub = 1, .sub = { { 1, 49153, 65536 } } }, "malformed flags" },
		{ { .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0, .nsub = 1,
		    .sub = { { 1, 49153, 65536 } }, .stray = true }, "entry 1: malformed" },
	};
	struct kentry many = { .local = "10.0.0.1", .remote = "10.0.0.2",
			       .dqpn = 0, .nsub = FP_MAX_SUBFLOWS + 1 };
	const struct kentry good = { .local = "10.0.0.9", .remote = "10.0.0.8",
				     .dqpn = 0, .nsub = 1, .sub = { { 1, 49153, 65536 } } };
	size_t c, n = sizeof(cases) / sizeof(cases[0]);
	int i;

	(void)state;
	for (i = 0; i <= FP_MAX_SUBFLOWS; i++)
		many.sub[i] = (struct ksub){ .label = (uint32_t)i + 1, .sport = 49153 + i,
					      .weight = i ? 0 : 65536 };
	for (c = 0; c <= n; c++) {
		struct kentry two[2] = { good, many };
		const char *says = "more than 16 subflows";
		struct fp_hostplan hp;
		struct fp_nlm_plan_dump d;
		struct fp_err err = { { 0 } };

		if (c < n) {
			two[1] = cases[c].e;
			says = cases[c].says;
		}
		fp_hostplan_init(&hp);
		fp_nlm_plan_dump_init(&d, &hp);
		assert_int_equal(decode(&d, plan_msg(1, 2, two, 2, false), &err), EPROTO);
		if (!strstr(err.msg, "plan dump: entry 1: ") || !strstr(err.msg, says))
			fail_msg("case %zu: \"%s\" does not say \"entry 1\" and \"%s\"", c,
				 err.msg, says);
		fp_hostplan_free(&hp);
	}
}

/* An entry list that ends in part of an attribute: refused, not cut short. */
static void test_plan_dump_truncated(void **state)
{
	const struct kentry good = { .local = "10.0.0.9", .remote = "10.0.0.8",
				     .dqpn = 0, .nsub = 1, .sub = { { 1, 49153, 65536 } } };
	struct nl_msg *msg = kmsg(FLOWPLAN_CMD_GET_PLAN, NLM_F_MULTI);
	struct fp_err err = { { 0 } };
	struct fp_nlm_plan_dump d;
	struct fp_hostplan hp;
	struct nlattr *ents, *bad;

	(void)state;
	kput_u64(msg, FLOWPLAN_A_GENERATION, 1, FLOWPLAN_A_PAD, false);
	nla_put_u32(msg, FLOWPLAN_A_NENTRIES, 2);
	ents = knest(msg, FLOWPLAN_A_ENTRIES);
	kput_entry(msg, 0, &good);
	/* the next entry's header, claiming more than the list holds */
	bad = nlmsg_reserve(msg, NLA_HDRLEN, NLA_ALIGNTO);
	assert_non_null(bad);
	bad->nla_len = 200;
	bad->nla_type = 1 | NLA_F_NESTED;
	nla_nest_end(msg, ents);
	fp_hostplan_init(&hp);
	fp_nlm_plan_dump_init(&d, &hp);
	assert_int_equal(decode(&d, msg, &err), EPROTO);
	assert_non_null(strstr(err.msg, "entry 1: truncated"));
	fp_hostplan_free(&hp);
}

/* Whole-dump faults: counts that do not add up, twins, missing headers. */
static void test_plan_dump_inconsistent(void **state)
{
	const struct kentry e[] = {
		{ .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0,
		  .nsub = 1, .sub = { { 1, 49153, 65536 } } },
		{ .local = "10.0.0.1", .remote = "10.0.0.2", .dqpn = 0,
		  .nsub = 1, .sub = { { 2, 49154, 65536 } } },
	};
	struct fp_hostplan hp;
	struct fp_nlm_plan_dump d;
	struct fp_err err = { { 0 } };
	struct nl_msg *msg;

	(void)state;
	fp_hostplan_init(&hp);
	/* Fewer entries than the module counts. */
	fp_nlm_plan_dump_init(&d, &hp);
	assert_int_equal(decode(&d, plan_msg(1, 3, e, 1, false), &err), 0);
	assert_int_equal(fp_nlm_plan_dump_end(&d, &err), EPROTO);
	assert_non_null(strstr(err.msg, "1 entries, the module counts 3"));
	/* Two generations in one dump without the interrupted flag. */
	fp_nlm_plan_dump_init(&d, &hp);
	assert_int_equal(decode(&d, plan_msg(1, 2, e, 1, false), &err), 0);
	assert_int_equal(decode(&d, plan_msg(2, 2, e, 1, false), &err), EPROTO);
	/* The same key twice. */
	fp_nlm_plan_dump_init(&d, &hp);
	assert_int_equal(decode(&d, plan_msg(1, 2, e, 2, false), &err), 0);
	assert_int_equal(fp_nlm_plan_dump_end(&d, &err), EPROTO);
	assert_non_null(strstr(err.msg, "plan dump: two entries 10.0.0.1 -> 10.0.0.2"));
	/* No generation; another command; nothing at all. */
	fp_nlm_plan_dump_init(&d, &hp);
	msg = kmsg(FLOWPLAN_CMD_GET_PLAN, NLM_F_MULTI);
	nla_put_u32(msg, FLOWPLAN_A_NENTRIES, 0);
	assert_int_equal(decode(&d, msg, &err), EPROTO);
	assert_non_null(strstr(err.msg, "without generation"));
	msg = kmsg(FLOWPLAN_CMD_GET_COUNTERS, NLM_F_MULTI);
	assert_int_equal(decode(&d, msg, &err), EPROTO);
	fp_nlm_plan_dump_init(&d, &hp);
	assert_int_equal(fp_nlm_plan_dump_end(&d, &err), EPROTO);
	/* An attribute stream cut in the middle. */
	msg = plan_msg(1, 1, e, 1, false);
	nlmsg_hdr(msg)->nlmsg_len -= 2;
	fp_nlm_plan_dump_init(&d, &hp);
	assert_int_equal(decode(&d, msg, &err), EPROTO);
	fp_hostplan_free(&hp);
}

/* ----------------------------------------------------------- SET_PLAN */

struct sent {
	struct nl_msg *m[256];
	int n;
	int fail_at;		/* emit returns EPERM for this message; -1 none */
};

static int collect(struct nl_msg *msg, void *arg)
{
	struct sent *s = arg;

	if (s->n == s->fail_at) {
		nlmsg_free(msg);
		return EPERM;
	}
	assert_true(s->n < 256);
	s->m[s->n++] = msg;
	return 0;
}

static void sent_free(struct sent *s)
{
	while (s->n)
		nlmsg_free(s->m[--s->n]);
}

/* Entry @i's address: IPv4 10.x / 11.x, or IPv6 2001:db8:a::x / :b:: every 2nd. */
static struct fp_addr plan_addr(bool v6, uint8_t net, uint32_t host)
{
	struct fp_addr a = { .b = { 0x20, 0x01, 0x0d, 0xb8, 0, net } };

	if (!v6)
		return fp_addr_v4(htonl((uint32_t)net << 24 | host));
	a.b[12] = (uint8_t)(host >> 24);
	a.b[13] = (uint8_t)(host >> 16);
	a.b[14] = (uint8_t)(host >> 8);
	a.b[15] = (uint8_t)host;
	return a;
}

/* @v6: 0 IPv4 only, 1 IPv6 only, 2 every other entry IPv6. */
static struct fp_hostplan big_plan_af(size_t n, unsigned int k, int v6)
{
	struct fp_hostplan hp;
	struct fp_err err;
	size_t i;
	unsigned int j;

	fp_hostplan_init(&hp);
	hp.generation = 99;
	for (i = 0; i < n; i++) {
		struct fp_hostplan_entry e = {
			.local = plan_addr(v6 == 1 || (v6 == 2 && i % 2), 10,
					   (uint32_t)(i / 250)),
			.remote = plan_addr(v6 == 1 || (v6 == 2 && i % 2), 11,
					    (uint32_t)(i % 250)),
			.dqpn = (uint32_t)(i % 3),
			.enforce = i % 5 == 0,
			.nsub = 1 + (unsigned int)(i % k),
		};
		uint32_t w[FP_MAX_SUBFLOWS];

		fp_weights_equal(w, e.nsub);
		for (j = 0; j < e.nsub; j++)
			e.sub[j] = (struct fp_subflow){ 1 + j + (uint32_t)i % 999,
							fp_label_to_sport(1 + j + (uint32_t)i % 999),
							w[j] };
		assert_int_equal(fp_hostplan_add(&hp, &e, &err), 0);
	}
	assert_int_equal(fp_hostplan_finish(&hp, &err), 0);
	return hp;
}

static struct fp_hostplan big_plan(size_t n, unsigned int k)
{
	return big_plan_af(n, k, 0);
}

static size_t encoded_size(const struct fp_hostplan_entry *e)
{
	struct fp_hostplan one = { .n = 1, .cap = 1, .e = (struct fp_hostplan_entry *)e };
	struct sent s = { .fail_at = -1 };
	struct nlattr *tb[FLOWPLAN_A_MAX + 1];
	struct fp_err err;
	size_t len;

	assert_int_equal(fp_nlm_set_plan_encode(FAMILY, &one, 1, false, collect, &s, &err), 0);
	assert_int_equal(genlmsg_parse(nlmsg_hdr(s.m[0]), 0, tb, FLOWPLAN_A_MAX, NULL), 0);
	len = (size_t)nla_len(tb[FLOWPLAN_A_ENTRIES]);
	sent_free(&s);
	return len;
}

/* Decode what SET_PLAN sends as the module would, and compare. */
static void check_set(const struct fp_hostplan *hp, bool enforce_all, int want_msgs)
{
	struct sent s = { .fail_at = -1 };
	struct fp_hostplan back;
	struct fp_err err = { { 0 } };
	size_t i, prev = 0;
	int m;

	assert_int_equal(fp_nlm_set_plan_encode(FAMILY, hp, hp->generation, enforce_all,
						collect, &s, &err), 0);
	if (want_msgs)
		assert_int_equal(s.n, want_msgs);
	fp_hostplan_init(&back);
	for (m = 0; m < s.n; m++) {
		struct nlmsghdr *nlh = nlmsg_hdr(s.m[m]);
		struct genlmsghdr *g = nlmsg_data(nlh);
		struct nlattr *tb[FLOWPLAN_A_MAX + 1], *a;
		uint32_t flags = 0;
		int rem;

		assert_true(nlh->nlmsg_len <= FP_NLM_SET_MSG_MAX);
		assert_int_equal(nlh->nlmsg_type, FAMILY);
		assert_int_equal(g->cmd, FLOWPLAN_CMD_SET_PLAN);
		assert_int_equal(genlmsg_parse(nlh, 0, tb, FLOWPLAN_A_MAX, NULL), 0);
		assert_int_equal(nla_get_u64(tb[FLOWPLAN_A_GENERATION]), hp->generation);
		if (tb[FLOWPLAN_A_FLAGS])
			flags = nla_get_u32(tb[FLOWPLAN_A_FLAGS]);
		/* Every part but the last says more follow. */
		assert_int_equal(!!(flags & FLOWPLAN_F_MORE), m < s.n - 1);
#ifdef FP_UAPI_HAS_PART
		assert_int_equal(tb[FLOWPLAN_A_PART] ? nla_get_u32(tb[FLOWPLAN_A_PART]) : 0,
				 (uint32_t)m);
		if (m == s.n - 1 && m > 0)
			assert_int_equal(nla_get_u32(tb[FLOWPLAN_A_NENTRIES]), hp->n);
		else
			assert_null(tb[FLOWPLAN_A_NENTRIES]);
#else
		/* The module of this UAPI refuses an entry count in SET_PLAN. */
		assert_null(tb[FLOWPLAN_A_NENTRIES]);
#endif
		if (!hp->n) {
			assert_null(tb[FLOWPLAN_A_ENTRIES]);
			continue;
		}
		a = tb[FLOWPLAN_A_ENTRIES];
		assert_non_null(a);
		/* Every nest, elements included, carries NLA_F_NESTED. */
		assert_true(a->nla_type & NLA_F_NESTED);
		nla_for_each_nested(a, tb[FLOWPLAN_A_ENTRIES], rem)
			assert_true(a->nla_type & NLA_F_NESTED);
		assert_true(nla_len(tb[FLOWPLAN_A_ENTRIES]) + NLA_HDRLEN <= 0xffff);
		i = back.n;
		assert_int_equal(fp_nlm_entries_decode(tb[FLOWPLAN_A_ENTRIES], &back, i, &err), 0);
		/* Full: the next entry would have overflowed the attribute. */
		if (m < s.n - 1)
			assert_true((size_t)nla_len(tb[FLOWPLAN_A_ENTRIES]) + NLA_HDRLEN +
				    encoded_size(&hp->e[back.n]) > 0xffff);
		assert_true(back.n > prev || !hp->n);
		prev = back.n;
	}
	assert_int_equal(back.n, hp->n);
	for (i = 0; i < hp->n; i++) {
		const struct fp_hostplan_entry *x = &hp->e[i], *y = &back.e[i];

		assert_int_equal(fp_addr_cmp(&x->local, &y->local), 0);
		assert_int_equal(fp_addr_cmp(&x->remote, &y->remote), 0);
		assert_int_equal(x->dqpn, y->dqpn);
		assert_int_equal(x->enforce || enforce_all, y->enforce);
		assert_int_equal(x->nsub, y->nsub);
		assert_memory_equal(x->sub, y->sub, x->nsub * sizeof(x->sub[0]));
	}
	fp_hostplan_free(&back);
	sent_free(&s);
}

static void test_set_plan_round_trip(void **state)
{
	struct fp_hostplan hp;

	(void)state;
	fp_hostplan_init(&hp);
	hp.generation = 4;
	check_set(&hp, false, 1);		/* the empty plan: one message */

	hp = big_plan(10, 4);
	check_set(&hp, false, 1);
	check_set(&hp, true, 1);		/* "plan set ... enforce" */
	fp_hostplan_free(&hp);

	/* 5000 entries of up to 16 subflows: split, each part full. */
	hp = big_plan(5000, 16);
	check_set(&hp, false, 0);
	fp_hostplan_free(&hp);
	/* 3000 one-subflow entries: more per message than the old 32 KiB cut. */
	hp = big_plan(3000, 1);
	check_set(&hp, false, 0);
	fp_hostplan_free(&hp);
}

/* Unequal weights go as they are (big_plan's equal ones may go as none). */
static void test_set_plan_weights(void **state)
{
	struct fp_hostplan hp;
	struct fp_err err;
	struct fp_hostplan_entry e = {
		.local = A("10.0.0.1"), .remote = A("10.0.0.2"), .dqpn = 5, .nsub = 3,
		.sub = { { 1, 0, 40000 }, { 2, 0, 20000 }, { 3, 0, FLOWPLAN_WEIGHT_ONE - 60000 } },
	};
	unsigned int j;

	(void)state;
	fp_hostplan_init(&hp);
	hp.generation = 6;
	for (j = 0; j < e.nsub; j++)
		e.sub[j].sport = fp_label_to_sport(e.sub[j].flow_label);
	assert_int_equal(fp_hostplan_add(&hp, &e, &err), 0);
	assert_int_equal(fp_hostplan_finish(&hp, &err), 0);
	assert_int_equal(hp.e[0].sub[1].weight, 20000);
	check_set(&hp, false, 1);
	fp_hostplan_free(&hp);
}

/* IPv6 entries go as 16-byte addresses, IPv4 ones as 4, side by side. */
static void test_set_plan_ipv6(void **state)
{
	struct fp_hostplan hp;
	struct sent s = { .fail_at = -1 };
	struct nlattr *tb[FLOWPLAN_A_MAX + 1], *en, *eb[FLOWPLAN_ENTRY_A_MAX + 1];
	struct fp_err err = { { 0 } };
	int rem, n4 = 0, n6 = 0;

	(void)state;
	hp = big_plan_af(10, 4, 1);
	check_set(&hp, false, 1);
	check_set(&hp, true, 1);
	fp_hostplan_free(&hp);
	hp = big_plan_af(5000, 16, 1);		/* split, each part full */
	check_set(&hp, false, 0);
	fp_hostplan_free(&hp);
	hp = big_plan_af(3000, 2, 2);		/* dual stack */
	check_set(&hp, false, 0);
	fp_hostplan_free(&hp);

	/* On the wire: the length is the family. */
	hp = big_plan_af(40, 2, 2);
	assert_int_equal(fp_nlm_set_plan_encode(FAMILY, &hp, 1, false, collect, &s, &err), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(genlmsg_parse(nlmsg_hdr(s.m[0]), 0, tb, FLOWPLAN_A_MAX, NULL), 0);
	nla_for_each_nested(en, tb[FLOWPLAN_A_ENTRIES], rem) {
		int l;

		assert_int_equal(nla_parse_nested(eb, FLOWPLAN_ENTRY_A_MAX, en, NULL), 0);
		l = nla_len(eb[FLOWPLAN_ENTRY_A_LOCAL_ADDR]);
		assert_int_equal(nla_len(eb[FLOWPLAN_ENTRY_A_REMOTE_ADDR]), l);
		assert_true(l == 4 || l == 16);
		if (l == 16) {
			/* never IPv4-mapped: that is IPv4, sent as 4 bytes */
			assert_int_equal(((uint8_t *)nla_data(eb[FLOWPLAN_ENTRY_A_LOCAL_ADDR]))[0],
					 0x20);
			n6++;
		} else {
			n4++;
		}
	}
	assert_int_equal(n4, 20);
	assert_int_equal(n6, 20);
	sent_free(&s);
	fp_hostplan_free(&hp);
}

static void test_set_plan_refused(void **state)
{
	struct fp_hostplan hp = big_plan(3000, 2);
	struct sent s = { .fail_at = 1 };
	struct fp_err err = { { 0 } };
	struct fp_hostplan_entry *e;
	int i;

	(void)state;
	/* The sender's error ends the plan: no further part is built. */
	assert_int_equal(fp_nlm_set_plan_encode(FAMILY, &hp, 1, false, collect, &s, &err),
			 EPERM);
	assert_int_equal(s.n, 1);
	sent_free(&s);

	/*
	 * Local and remote of different families: refused, nothing sent.
	 * (IPv6 as such is sent: whether the module takes it is its say.)
	 */
	e = &hp.e[hp.n - 1];
	e->local = A("2001:db8::1");
	s.fail_at = -1;
	assert_int_equal(fp_nlm_set_plan_encode(FAMILY, &hp, 1, false, collect, &s, &err),
			 EINVAL);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(err.msg, "2001:db8::1 -> "));
	assert_non_null(strstr(err.msg, "different families"));
	/* What the module's policy refuses is refused here first, each limit. */
	for (i = 0; i < 7; i++) {
		static const char *const says[] = {
			"entry 2999: subflow 0: flow label 1, port 0, weight 65536",
			"entry 2999: 0 subflows, dqpn 0",
			"entry 2999: 17 subflows, dqpn 0",
			"entry 2999: 1 subflows, dqpn 16777216",
			"entry 2999: subflow 0: flow label 1048576, port 49153, weight 65536",
			"entry 2999: subflow 0: flow label 1, port 49153, weight 65537",
			"entry 2999: weights sum to 3000, not 65536",
		};

		*e = hp.e[0];
		assert_int_equal(e->nsub, 1);
		assert_int_equal(e->dqpn, 0);
		assert_int_equal(e->sub[0].flow_label, 1);
		e->sub[0].sport = 49153;
		if (i == 0)
			e->sub[0].sport = 0;
		else if (i == 1)
			e->nsub = 0;
		else if (i == 2)
			e->nsub = FP_MAX_SUBFLOWS + 1;
		else if (i == 3)
			e->dqpn = FLOWPLAN_DQPN_MAX + 1;
		else if (i == 4)
			e->sub[0].flow_label = FLOWPLAN_FLOW_LABEL_MAX + 1;
		else if (i == 5)
			e->sub[0].weight = FLOWPLAN_WEIGHT_ONE + 1;
		else {
			e->nsub = 2;
			e->sub[0].weight = 1000;
			e->sub[1] = (struct fp_subflow){ 2, 49154, 2000 };
		}
		err.msg[0] = 0;
		assert_int_equal(fp_nlm_set_plan_encode(FAMILY, &hp, 1, false, collect, &s, &err),
				 EINVAL);
		assert_int_equal(s.n, 0);
		assert_string_equal(err.msg, says[i]);
	}
	/* ... and each limit itself is taken: the largest flow label. */
	*e = hp.e[0];
	e->sub[0].sport = 49153;
	e->sub[0].flow_label = FLOWPLAN_FLOW_LABEL_MAX;
	assert_int_equal(fp_nlm_set_plan_encode(FAMILY, &hp, 1, false, collect, &s, &err), 0);
	assert_true(s.n > 0);
	sent_free(&s);
	fp_hostplan_free(&hp);
}

/* ---------------------------------------------------- devices, counters */

/* fp_put_port() of kmod/device.c. */
static void kput_port(struct nl_msg *msg, int idx, uint32_t num, bool event,
		      const char *netdev, int ngids)
{
	struct nlattr *p = knest(msg, idx), *gids;
	uint8_t gid[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 };
	int i;

	nla_put_u32(msg, FLOWPLAN_PORT_A_NUM, num);
	if (!event)
		nla_put_u8(msg, FLOWPLAN_PORT_A_STATE, FLOWPLAN_PORT_ACTIVE);
	nla_put_u8(msg, FLOWPLAN_PORT_A_LINK, netdev ? FLOWPLAN_LINK_UP : FLOWPLAN_LINK_UNKNOWN);
	nla_put_u32(msg, FLOWPLAN_PORT_A_IFINDEX, netdev ? 3 : 0);
	if (netdev)
		nla_put_string(msg, FLOWPLAN_PORT_A_NETDEV, netdev);
	if (!event) {
		gids = knest(msg, FLOWPLAN_PORT_A_GIDS);
		for (i = 0; i < ngids; i++) {
			struct nlattr *g = knest(msg, i);

			static const uint8_t ll[16] = { 0xfe, 0x80, [15] = 1 };

			gid[15] = (uint8_t)i;
			nla_put_u32(msg, FLOWPLAN_GID_A_INDEX, (uint32_t)i);
			/* GID 0: the port's IPv6 link-local one, as rxe's */
			nla_put(msg, FLOWPLAN_GID_A_GID, 16, i ? gid : ll);
			nla_put_u8(msg, FLOWPLAN_GID_A_TYPE, FLOWPLAN_GID_ROCE_V2);
			nla_nest_end(msg, g);
		}
		nla_nest_end(msg, gids);
	}
	nla_nest_end(msg, p);
}

static struct nl_msg *dev_msg(uint8_t cmd, int flags, const char *name, int nports,
			      bool event)
{
	struct nl_msg *msg = kmsg(cmd, flags);
	struct nlattr *d = knest(msg, FLOWPLAN_A_DEVICE), *ports;
	int i;

	nla_put_u32(msg, FLOWPLAN_DEVICE_A_INDEX, 7);
	if (name)
		nla_put_string(msg, FLOWPLAN_DEVICE_A_NAME, name);
	if (nports >= 0) {
		ports = knest(msg, FLOWPLAN_DEVICE_A_PORTS);
		for (i = 0; i < nports; i++)
			kput_port(msg, i, (uint32_t)i + 1, event, i ? NULL : "eth0",
				  i ? 0 : 3);
		nla_nest_end(msg, ports);
	}
	nla_nest_end(msg, d);
	return msg;
}

static void test_devices(void **state)
{
	struct fp_nl_device *devs = NULL;
	struct fp_err err = { { 0 } };
	size_t n = 0, cap = 0;
	bool intr = false;
	struct nl_msg *msg;
	char buf[FP_ADDR_STRLEN];

	(void)state;
	msg = dev_msg(FLOWPLAN_CMD_GET_DEVICES, NLM_F_MULTI, "rxe0", 2, false);
	assert_int_equal(fp_nlm_devices_decode(nlmsg_hdr(msg), &devs, &n, &cap, &intr, &err), 0);
	nlmsg_free(msg);
	msg = dev_msg(FLOWPLAN_CMD_GET_DEVICES, NLM_F_MULTI | NLM_F_DUMP_INTR, "mlx5_0", 0, false);
	assert_int_equal(fp_nlm_devices_decode(nlmsg_hdr(msg), &devs, &n, &cap, &intr, &err), 0);
	nlmsg_free(msg);
	assert_true(intr);
	assert_int_equal(n, 2);
	assert_string_equal(devs[0].name, "rxe0");
	assert_int_equal(devs[0].index, 7);
	assert_int_equal(devs[0].nports, 2);
	assert_int_equal(devs[0].ports[0].state, FLOWPLAN_PORT_ACTIVE);
	assert_int_equal(devs[0].ports[0].link, FLOWPLAN_LINK_UP);
	assert_string_equal(devs[0].ports[0].netdev, "eth0");
	assert_int_equal(devs[0].ports[0].ngids, 3);
	assert_string_equal(fp_addr_str(&devs[0].ports[0].gids[2].gid, buf), "10.0.0.2");
	assert_string_equal(fp_addr_str(&devs[0].ports[0].gids[0].gid, buf), "fe80::1");
	assert_int_equal(devs[0].ports[0].gids[2].type, FLOWPLAN_GID_ROCE_V2);
	assert_string_equal(devs[0].ports[1].netdev, "");
	assert_int_equal(devs[0].ports[1].ngids, 0);
	assert_int_equal(devs[1].nports, 0);

	/* No name: refused, and what was built is freed with the rest. */
	msg = dev_msg(FLOWPLAN_CMD_GET_DEVICES, NLM_F_MULTI, NULL, 1, false);
	assert_int_equal(fp_nlm_devices_decode(nlmsg_hdr(msg), &devs, &n, &cap, &intr, &err),
			 EPROTO);
	assert_non_null(strstr(err.msg, "no index or name"));
	nlmsg_free(msg);
	fp_nl_devices_free(devs, n);
}

/*
 * A GET_DEVICES reply with one port whose GID table holds one entry, spoiled
 * as @spoil says: 0 none; 1 no index; 2 no type; 3 a 4-byte GID; 4 a
 * 2-byte type; 5 a 2-byte port state; 6 no port number; 7 one byte after
 * the port's last attribute, inside its nest; 8 no link state; 9 no
 * ifindex.
 */
static struct nl_msg *gid_msg(int spoil)
{
	struct nl_msg *msg = kmsg(FLOWPLAN_CMD_GET_DEVICES, NLM_F_MULTI);
	struct nlattr *d = knest(msg, FLOWPLAN_A_DEVICE), *ports, *p, *gids, *g;
	static const uint8_t gid[16] = { 0xfe, 0x80, [15] = 1 };
	uint16_t two = FLOWPLAN_PORT_ACTIVE;

	nla_put_u32(msg, FLOWPLAN_DEVICE_A_INDEX, 7);
	nla_put_string(msg, FLOWPLAN_DEVICE_A_NAME, "rxe0");
	ports = knest(msg, FLOWPLAN_DEVICE_A_PORTS);
	p = knest(msg, 0);
	if (spoil != 6)
		nla_put_u32(msg, FLOWPLAN_PORT_A_NUM, 1);
	if (spoil == 5)
		nla_put(msg, FLOWPLAN_PORT_A_STATE, sizeof(two), &two);
	else
		nla_put_u8(msg, FLOWPLAN_PORT_A_STATE, FLOWPLAN_PORT_ACTIVE);
	if (spoil != 8)
		nla_put_u8(msg, FLOWPLAN_PORT_A_LINK, FLOWPLAN_LINK_UP);
	if (spoil != 9)
		nla_put_u32(msg, FLOWPLAN_PORT_A_IFINDEX, 3);
	gids = knest(msg, FLOWPLAN_PORT_A_GIDS);
	g = knest(msg, 0);
	if (spoil != 1)
		nla_put_u32(msg, FLOWPLAN_GID_A_INDEX, 0);
	nla_put(msg, FLOWPLAN_GID_A_GID, spoil == 3 ? 4 : 16, gid);
	if (spoil == 4)
		nla_put(msg, FLOWPLAN_GID_A_TYPE, sizeof(two), &two);
	else if (spoil != 2)
		nla_put_u8(msg, FLOWPLAN_GID_A_TYPE, FLOWPLAN_GID_ROCE_V2);
	nla_nest_end(msg, g);
	nla_nest_end(msg, gids);
	/* four zero bytes, then the nest's length cut to count only the first */
	if (spoil == 7)
		assert_non_null(nlmsg_reserve(msg, 4, 0));
	nla_nest_end(msg, p);
	if (spoil == 7)
		p->nla_len -= 3;
	nla_nest_end(msg, ports);
	nla_nest_end(msg, d);
	return msg;
}

/* Each part of a port's GID table, and its state, is checked, not assumed. */
static void test_devices_malformed(void **state)
{
	static const char *const why[] = {
		NULL, "GID 0: malformed", "GID 0: malformed", "GID 0: malformed",
		"GID 0: malformed", "port 1: malformed state",
		"device rxe0: port: no port number", "device rxe0: port: no port number",
		"port 1: no link state or ifindex", "port 1: no link state or ifindex",
	};
	int spoil;

	(void)state;
	for (spoil = 0; spoil < (int)(sizeof(why) / sizeof(why[0])); spoil++) {
		struct fp_nl_device *devs = NULL;
		struct fp_err err = { { 0 } };
		size_t n = 0, cap = 0;
		bool intr = false;
		struct nl_msg *msg = gid_msg(spoil);
		char buf[FP_ADDR_STRLEN];
		int ret = fp_nlm_devices_decode(nlmsg_hdr(msg), &devs, &n, &cap, &intr, &err);

		nlmsg_free(msg);
		if (!why[spoil]) {
			assert_int_equal(ret, 0);
			assert_int_equal(n, 1);
			assert_int_equal(devs[0].ports[0].state, FLOWPLAN_PORT_ACTIVE);
			assert_int_equal(devs[0].ports[0].ngids, 1);
			assert_int_equal(devs[0].ports[0].gids[0].type, FLOWPLAN_GID_ROCE_V2);
			assert_string_equal(fp_addr_str(&devs[0].ports[0].gids[0].gid, buf),
					    "fe80::1");
		} else {
			assert_int_equal(ret, EPROTO);
			assert_non_null(strstr(err.msg, why[spoil]));
		}
		fp_nl_devices_free(devs, n);
	}
}

/*
 * A device named with @nlen bytes of @name and one port whose netdev is
 * @dlen bytes of @netdev, each as given: with or without its NUL.
 */
static struct nl_msg *named_msg(const char *name, int nlen, const char *netdev, int dlen)
{
	struct nl_msg *msg = kmsg(FLOWPLAN_CMD_GET_DEVICES, NLM_F_MULTI);
	struct nlattr *d = knest(msg, FLOWPLAN_A_DEVICE), *ports, *p;

	nla_put_u32(msg, FLOWPLAN_DEVICE_A_INDEX, 7);
	nla_put(msg, FLOWPLAN_DEVICE_A_NAME, nlen, name);
	ports = knest(msg, FLOWPLAN_DEVICE_A_PORTS);
	p = knest(msg, 0);
	nla_put_u32(msg, FLOWPLAN_PORT_A_NUM, 1);
	nla_put_u8(msg, FLOWPLAN_PORT_A_LINK, FLOWPLAN_LINK_UP);
	nla_put_u32(msg, FLOWPLAN_PORT_A_IFINDEX, 3);
	nla_put(msg, FLOWPLAN_PORT_A_NETDEV, dlen, netdev);
	nla_nest_end(msg, p);
	nla_nest_end(msg, ports);
	nla_nest_end(msg, d);
	return msg;
}

/*
 * Names that just fit their fields (63 and 15 characters) are taken whole;
 * one character more, or a name without its NUL, is refused.
 */
static void test_device_names(void **state)
{
	char name[65], netdev[17];
	/* characters, then the attribute's bytes: one more holds the NUL */
	static const struct {
		int nchars, nlen, dchars, dlen;
		const char *why;
	} cases[] = {
		{ 63, 64, 15, 16, NULL },
		{ 64, 65, 15, 16, "device: no index or name" },
		{ 4, 4, 15, 16, "device: no index or name" },
		{ 63, 64, 16, 17, "port 1: malformed netdev name" },
		{ 63, 64, 4, 4, "port 1: malformed netdev name" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fp_nl_device *devs = NULL;
		struct fp_err err = { { 0 } };
		size_t n = 0, cap = 0;
		bool intr = false;
		struct nl_msg *msg;
		int ret;

		memset(name, 'r', sizeof(name));
		memset(netdev, 'e', sizeof(netdev));
		name[cases[i].nchars] = 0;
		netdev[cases[i].dchars] = 0;
		msg = named_msg(name, cases[i].nlen, netdev, cases[i].dlen);
		ret = fp_nlm_devices_decode(nlmsg_hdr(msg), &devs, &n, &cap, &intr, &err);
		nlmsg_free(msg);
		if (!cases[i].why) {
			assert_int_equal(ret, 0);
			assert_int_equal(n, 1);
			assert_string_equal(devs[0].name, name);
			assert_int_equal(strlen(devs[0].name), 63);
			assert_string_equal(devs[0].ports[0].netdev, netdev);
			assert_int_equal(strlen(devs[0].ports[0].netdev), 15);
		} else {
			assert_int_equal(ret, EPROTO);
			if (!strstr(err.msg, cases[i].why))
				fail_msg("name %d bytes, netdev %d: \"%s\", not \"%s\"",
					 cases[i].nlen, cases[i].dlen, err.msg, cases[i].why);
		}
		fp_nl_devices_free(devs, n);
	}
}

/* A device dump part that is no device: not another command, not without one. */
static void test_devices_not_a_device(void **state)
{
	int c;

	(void)state;
	for (c = 0; c < 2; c++) {
		struct nl_msg *msg = c ? dev_msg(FLOWPLAN_CMD_GET_PLAN, NLM_F_MULTI, "rxe0", 1, false) :
					 kmsg(FLOWPLAN_CMD_GET_DEVICES, NLM_F_MULTI);
		struct fp_nl_device *devs = NULL;
		struct fp_err err = { { 0 } };
		size_t n = 0, cap = 0;
		bool intr = false;

		assert_int_equal(fp_nlm_devices_decode(nlmsg_hdr(msg), &devs, &n, &cap, &intr,
						       &err), EPROTO);
		assert_non_null(strstr(err.msg, "device dump: malformed message"));
		assert_int_equal(n, 0);
		nlmsg_free(msg);
		fp_nl_devices_free(devs, n);
	}
}

static struct nl_msg *ctr_msg(uint64_t untracked, int n, int first, bool padded,
			      int spoil)
{
	struct nl_msg *msg = kmsg(FLOWPLAN_CMD_GET_COUNTERS, NLM_F_MULTI);
	struct nlattr *cs;
	int i;

	kput_u64(msg, FLOWPLAN_A_UNTRACKED, untracked, FLOWPLAN_A_PAD, padded);
	cs = knest(msg, FLOWPLAN_A_COUNTERS);
	for (i = 0; i < n; i++) {
		struct nlattr *c = knest(msg, i);
		uint32_t d = htonl(0x0a000002u + (uint32_t)(first + i));
		uint8_t d6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = (uint8_t)(first + i) };

		/* every third counter an IPv6 destination (16 bytes) */
		if ((first + i) % 3 == 2)
			nla_put(msg, FLOWPLAN_COUNTER_A_REMOTE_ADDR, spoil == 1 ? 15 : 16, d6);
		else
			nla_put(msg, FLOWPLAN_COUNTER_A_REMOTE_ADDR, spoil == 1 ? 2 : 4, &d);
		nla_put_u16(msg, FLOWPLAN_COUNTER_A_SPORT, (uint16_t)(49153 + first + i));
		kput_u64(msg, FLOWPLAN_COUNTER_A_PACKETS, 100u + (uint64_t)i,
			 FLOWPLAN_COUNTER_A_PAD, padded);
		if (spoil != 2)
			kput_u64(msg, FLOWPLAN_COUNTER_A_BYTES, 1000u * (uint64_t)i,
				 FLOWPLAN_COUNTER_A_PAD, padded);
		kput_u64(msg, FLOWPLAN_COUNTER_A_REWRITTEN, 3, FLOWPLAN_COUNTER_A_PAD, padded);
		nla_nest_end(msg, c);
	}
	nla_nest_end(msg, cs);
	return msg;
}

static void test_counters(void **state)
{
	struct fp_nl_counters c = { 0 };
	struct fp_err err = { { 0 } };
	struct nl_msg *msg;
	size_t cap = 0;
	char buf[FP_ADDR_STRLEN];
	int spoil;

	(void)state;
	msg = ctr_msg(5, 100, 0, false, 0);
	assert_int_equal(fp_nlm_counters_decode(nlmsg_hdr(msg), &c, &cap, &err), 0);
	nlmsg_free(msg);
	msg = ctr_msg(6, 3, 100, true, 0);
	assert_int_equal(fp_nlm_counters_decode(nlmsg_hdr(msg), &c, &cap, &err), 0);
	nlmsg_free(msg);
	assert_int_equal(c.n, 103);
	assert_int_equal(c.untracked, 6);
	assert_string_equal(fp_addr_str(&c.c[102].remote, buf), "10.0.0.104");
	assert_string_equal(fp_addr_str(&c.c[101].remote, buf), "2001:db8::65");
	assert_string_equal(fp_addr_str(&c.c[2].remote, buf), "2001:db8::2");
	assert_int_equal(c.c[102].sport, 49153 + 102);
	assert_int_equal(c.c[101].packets, 101);
	assert_int_equal(c.c[2].bytes, 2000);
	assert_int_equal(c.c[0].rewritten, 3);
	fp_nl_counters_free(&c);

	for (spoil = 1; spoil <= 2; spoil++) {
		cap = 0;
		msg = ctr_msg(0, 2, 0, false, spoil);
		assert_int_equal(fp_nlm_counters_decode(nlmsg_hdr(msg), &c, &cap, &err), EPROTO);
		assert_non_null(strstr(err.msg, "counter 0: malformed"));
		nlmsg_free(msg);
		fp_nl_counters_free(&c);
	}
	/* an IPv6 destination of 15 bytes */
	cap = 0;
	msg = ctr_msg(0, 1, 2, false, 1);
	assert_int_equal(fp_nlm_counters_decode(nlmsg_hdr(msg), &c, &cap, &err), EPROTO);
	assert_non_null(strstr(err.msg, "counter 0: malformed"));
	nlmsg_free(msg);
	fp_nl_counters_free(&c);
	/* another command's message, and one without the untracked count */
	msg = ctr_msg(0, 1, 0, false, 0);
	((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(msg)))->cmd = FLOWPLAN_CMD_GET_DEVICES;
	assert_int_equal(fp_nlm_counters_decode(nlmsg_hdr(msg), &c, &cap, &err), EPROTO);
	assert_non_null(strstr(err.msg, "counter dump: malformed message"));
	assert_int_equal(c.n, 0);
	nlmsg_free(msg);
	msg = kmsg(FLOWPLAN_CMD_GET_COUNTERS, NLM_F_MULTI);
	assert_int_equal(fp_nlm_counters_decode(nlmsg_hdr(msg), &c, &cap, &err), EPROTO);
	assert_non_null(strstr(err.msg, "counter dump: malformed message"));
	nlmsg_free(msg);
	fp_nl_counters_free(&c);
}

static void test_events(void **state)
{
	struct fp_nl_event ev;
	struct fp_err err = { { 0 } };
	struct nl_msg *msg;
	void *tail;

	(void)state;
	/* fp_nl_notify_plan() */
	msg = kmsg(FLOWPLAN_CMD_PLAN_CHANGED, 0);
	kput_u64(msg, FLOWPLAN_A_GENERATION, 8, FLOWPLAN_A_PAD, true);
	nla_put_u32(msg, FLOWPLAN_A_NENTRIES, 33);
	assert_int_equal(fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err), 0);
	nlmsg_free(msg);
	assert_int_equal(ev.kind, FP_NL_EV_PLAN_CHANGED);
	assert_int_equal(ev.generation, 8);
	assert_int_equal(ev.nentries, 33);
	fp_nl_event_free(&ev);

	/* A link event: one port, no IB state, no GIDs. */
	msg = dev_msg(FLOWPLAN_CMD_LINK_CHANGED, 0, "rxe0", 1, true);
	assert_int_equal(fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err), 0);
	nlmsg_free(msg);
	assert_int_equal(ev.kind, FP_NL_EV_LINK_CHANGED);
	assert_int_equal(ev.dev.nports, 1);
	assert_int_equal(ev.dev.ports[0].state, FLOWPLAN_PORT_NOP);
	assert_int_equal(ev.dev.ports[0].link, FLOWPLAN_LINK_UP);
	assert_string_equal(ev.dev.ports[0].netdev, "eth0");
	fp_nl_event_free(&ev);
	msg = dev_msg(FLOWPLAN_CMD_LINK_CHANGED, 0, "rxe0", 2, true);
	assert_int_equal(fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err), EPROTO);
	nlmsg_free(msg);

	/* A port event: one port, its IB state and its GIDs; none without a state. */
	msg = dev_msg(FLOWPLAN_CMD_PORT_CHANGED, 0, "rxe0", 1, false);
	assert_int_equal(fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err), 0);
	nlmsg_free(msg);
	assert_int_equal(ev.kind, FP_NL_EV_PORT_CHANGED);
	assert_string_equal(ev.dev.name, "rxe0");
	assert_int_equal(ev.dev.nports, 1);
	assert_int_equal(ev.dev.ports[0].num, 1);
	assert_int_equal(ev.dev.ports[0].state, FLOWPLAN_PORT_ACTIVE);
	assert_int_equal(ev.dev.ports[0].link, FLOWPLAN_LINK_UP);
	assert_int_equal(ev.dev.ports[0].ngids, 3);
	fp_nl_event_free(&ev);
	msg = dev_msg(FLOWPLAN_CMD_PORT_CHANGED, 0, "rxe0", 1, true);
	assert_int_equal(fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err), EPROTO);
	assert_string_equal(err.msg, "port event: no port state");
	nlmsg_free(msg);
	msg = dev_msg(FLOWPLAN_CMD_PORT_CHANGED, 0, "rxe0", 2, false);
	assert_int_equal(fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err), EPROTO);
	assert_string_equal(err.msg, "port event: 2 ports, not 1");
	nlmsg_free(msg);

	/* A device gone: index and name only. Added: with its ports. */
	msg = dev_msg(FLOWPLAN_CMD_DEVICE_REMOVED, 0, "rxe1", -1, false);
	assert_int_equal(fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err), 0);
	nlmsg_free(msg);
	assert_int_equal(ev.kind, FP_NL_EV_DEVICE_REMOVED);
	assert_string_equal(ev.dev.name, "rxe1");
	assert_int_equal(ev.dev.nports, 0);
	fp_nl_event_free(&ev);
	msg = dev_msg(FLOWPLAN_CMD_DEVICE_ADDED, 0, "rxe1", 1, false);
	assert_int_equal(fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err), 0);
	nlmsg_free(msg);
	assert_int_equal(ev.kind, FP_NL_EV_DEVICE_ADDED);
	assert_int_equal(ev.dev.ports[0].ngids, 3);
	fp_nl_event_free(&ev);

	/* A newer module's event is skipped; a malformed one refused. */
	msg = kmsg(FLOWPLAN_CMD_MAX + 5, 0);
	assert_int_equal(fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err), ENOMSG);
	nlmsg_free(msg);
	msg = kmsg(FLOWPLAN_CMD_PLAN_CHANGED, 0);
	nla_put_u32(msg, FLOWPLAN_A_GENERATION, 8);
	assert_int_equal(fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err), EPROTO);
	nlmsg_free(msg);
	msg = kmsg(FLOWPLAN_CMD_DEVICE_ADDED, 0);
	assert_int_equal(fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err), EPROTO);
	assert_non_null(strstr(err.msg, "no device"));
	nlmsg_free(msg);
	/* A netlink header alone, no generic netlink one: refused. */
	msg = nlmsg_alloc();
	assert_non_null(msg);
	assert_non_null(nlmsg_put(msg, 0, 0, FAMILY, 0, 0));
	assert_int_equal(fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err), EPROTO);
	assert_string_equal(err.msg, "event: malformed message");
	nlmsg_free(msg);
	/* A whole plan event, then two bytes that are no attribute: refused. */
	msg = kmsg(FLOWPLAN_CMD_PLAN_CHANGED, 0);
	kput_u64(msg, FLOWPLAN_A_GENERATION, 8, FLOWPLAN_A_PAD, true);
	nla_put_u32(msg, FLOWPLAN_A_NENTRIES, 33);
	tail = nlmsg_reserve(msg, 2, 0);
	assert_non_null(tail);
	memset(tail, 0, 2);
	assert_int_equal(fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err), EPROTO);
	assert_string_equal(err.msg, "event: malformed message");
	nlmsg_free(msg);
}

static void test_requests(void **state)
{
	static const uint8_t cmds[] = { FLOWPLAN_CMD_GET_PLAN, FLOWPLAN_CMD_GET_DEVICES,
					FLOWPLAN_CMD_GET_COUNTERS };
	struct nlattr *tb[FLOWPLAN_A_MAX + 1];
	struct nl_msg *msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cmds); i++) {
		msg = fp_nlm_request(FAMILY, cmds[i], true);
		assert_non_null(msg);
		assert_true(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP);
		assert_int_equal(((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(msg)))->cmd, cmds[i]);
		assert_int_equal(genlmsg_attrlen(nlmsg_data(nlmsg_hdr(msg)), 0), 0);
		nlmsg_free(msg);
	}
	msg = fp_nlm_request(FAMILY, FLOWPLAN_CMD_DEL_PLAN, false);
	assert_false(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP);
	assert_int_equal(genlmsg_parse(nlmsg_hdr(msg), 0, tb, FLOWPLAN_A_MAX, NULL), 0);
	nlmsg_free(msg);
}

/* The client where the module is absent (this host's kernel cannot load it). */
static void test_client_no_module(void **state)
{
	struct fp_err err = { { 0 } };
	struct fp_nlc *nlc;

	(void)state;
	if (!access("/sys/module/flowplan", F_OK))
		skip();
	errno = 0;
	nlc = fp_nlc_open(&err);
	assert_null(nlc);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err.msg, "flowplan module not loaded"));
}

/*
 * libnl's socket allocation failing (its allocations pass by the malloc
 * wrap, and nothing makes them fail for real): ENOMEM, with or without the
 * module, and nothing used of the socket that is not there.
 */
struct nl_sock *__real_nl_socket_alloc(void);
struct nl_sock *__wrap_nl_socket_alloc(void);
static bool fail_sock_alloc;

struct nl_sock *__wrap_nl_socket_alloc(void)
{
	return fail_sock_alloc ? NULL : __real_nl_socket_alloc();
}

static void test_client_socket_enomem(void **state)
{
	struct fp_err err = { { 0 } };
	struct fp_nlc *nlc;

	(void)state;
	fail_sock_alloc = true;
	errno = 0;
	nlc = fp_nlc_open(&err);
	fail_sock_alloc = false;
	assert_null(nlc);
	assert_int_equal(errno, ENOMEM);
	assert_string_equal(err.msg, "netlink: out of memory");
}

/*
 * Every allocation of the decoders failing in turn (the plan's entries, a
 * device dump's devices, ports and GIDs, the counters, an event's device):
 * ENOMEM each time, what was built freed with the rest (no leak), then the
 * whole message once nothing fails.
 */
static void test_decode_enomem(void **state)
{
	const struct kentry ents[2] = {
		{ .local = "10.0.0.9", .remote = "10.0.0.8", .dqpn = 0, .nsub = 1,
		  .sub = { { 1, 49153, 65536 } } },
		{ .local = "10.0.0.9", .remote = "10.0.0.7", .dqpn = 0, .nsub = 1,
		  .sub = { { 2, 49154, 65536 } } },
	};
	int kind;

	(void)state;
	for (kind = 0; kind < 4; kind++) {
		long n;
		int ret;

		for (n = 0;; n++) {
			struct nl_msg *msg = kind == 0 ? plan_msg(1, 2, ents, 2, false) :
					     kind == 1 ? dev_msg(FLOWPLAN_CMD_GET_DEVICES, NLM_F_MULTI,
								 "rxe0", 2, false) :
					     kind == 2 ? ctr_msg(0, 70, 0, false, 0) :
							 dev_msg(FLOWPLAN_CMD_PORT_CHANGED, 0, "rxe0", 1,
								 false);
			struct fp_nl_device *devs = NULL;
			struct fp_nl_counters c = { 0 };
			struct fp_err err = { { 0 } };
			struct fp_nlm_plan_dump d;
			size_t nd = 0, cap = 0;
			struct fp_nl_event ev;
			struct fp_hostplan hp;
			bool intr = false;

			fp_hostplan_init(&hp);
			fp_nlm_plan_dump_init(&d, &hp);
			fail_at = n;
			if (kind == 0)
				ret = fp_nlm_plan_decode(&d, nlmsg_hdr(msg), &err);
			else if (kind == 1)
				ret = fp_nlm_devices_decode(nlmsg_hdr(msg), &devs, &nd, &cap, &intr,
							    &err);
			else if (kind == 2)
				ret = fp_nlm_counters_decode(nlmsg_hdr(msg), &c, &cap, &err);
			else
				ret = fp_nlm_event_decode(nlmsg_hdr(msg), &ev, &err);
			fail_at = -1;
			nlmsg_free(msg);
			if (ret && (ret != ENOMEM || !strstr(err.msg, "out of memory")))
				fail_msg("kind %d, allocation %ld failing: %d (%s), not ENOMEM",
					 kind, n, ret, err.msg);
			if (!ret) {
				if (kind == 0)
					assert_int_equal(hp.n, 2);
				else if (kind == 1)
					assert_int_equal(devs[0].ports[0].ngids, 3);
				else if (kind == 2)
					assert_int_equal(c.n, 70);
				else
					assert_int_equal(ev.dev.ports[0].ngids, 3);
			}
			fp_hostplan_free(&hp);
			fp_nl_devices_free(devs, nd);
			fp_nl_counters_free(&c);
			if (kind == 3 && !ret)
				fp_nl_event_free(&ev);
			if (!ret)
				break;
		}
		/* entries; devices, ports, GIDs; counters twice (64, then 128); ports, GIDs */
		assert_int_equal(n, kind == 1 ? 3 : kind == 0 ? 1 : 2);
	}
}

/* Calls on no client (fp_nlc_open() failed) say so rather than crash. */
static void test_client_null(void **state)
{
	struct fp_nl_device *devs = (void *)&devs;
	struct fp_nl_counters c = { .n = 3 };
	struct fp_err err = { { 0 } };
	struct fp_nl_event ev;
	struct fp_hostplan hp;
	size_t n = 5;

	(void)state;
	assert_int_equal(fp_nlc_get_plan(NULL, &hp, &err), EINVAL);
	assert_string_equal(err.msg, "plan show: no netlink client");
	assert_int_equal(hp.n, 0);
	fp_hostplan_free(&hp);
	assert_int_equal(fp_nlc_del_plan(NULL, &err), EINVAL);
	assert_string_equal(err.msg, "plan delete: no netlink client");
	fp_hostplan_init(&hp);
	assert_int_equal(fp_nlc_set_plan(NULL, &hp, 1, false, &err), EINVAL);
	assert_string_equal(err.msg, "plan set: no netlink client or plan");
	assert_int_equal(fp_nlc_get_devices(NULL, &devs, &n, &err), EINVAL);
	assert_string_equal(err.msg, "device dump: no netlink client");
	assert_null(devs);
	assert_int_equal(n, 0);
	assert_int_equal(fp_nlc_get_counters(NULL, &c, &err), EINVAL);
	assert_string_equal(err.msg, "counter dump: no netlink client");
	assert_int_equal(c.n, 0);
	assert_int_equal(fp_nlc_subscribe(NULL, &err), EINVAL);
	assert_string_equal(err.msg, "events: no netlink client");
	assert_int_equal(fp_nlc_read_event(NULL, &ev, &err), EINVAL);
	assert_string_equal(err.msg, "events: not subscribed");
	assert_int_equal(fp_nlc_fd(NULL), -1);
	fp_nlc_set_debug(NULL, true);
	fp_nlc_close(NULL);
	fp_nl_devices_free(NULL, 3);	/* no array: nothing to free, whatever n */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_dump),
		cmocka_unit_test(test_plan_dump_ipv6),
		cmocka_unit_test(test_plan_dump_ipv6_malformed),
		cmocka_unit_test(test_plan_dump_intr),
		cmocka_unit_test(test_plan_dump_malformed),
		cmocka_unit_test(test_plan_dump_truncated),
		cmocka_unit_test(test_plan_dump_inconsistent),
		cmocka_unit_test(test_set_plan_round_trip),
		cmocka_unit_test(test_set_plan_weights),
		cmocka_unit_test(test_set_plan_ipv6),
		cmocka_unit_test(test_set_plan_refused),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_devices_malformed),
		cmocka_unit_test(test_device_names),
		cmocka_unit_test(test_devices_not_a_device),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_client_no_module),
		cmocka_unit_test(test_client_socket_enomem),
		cmocka_unit_test(test_decode_enomem),
		cmocka_unit_test(test_client_null),
	};

	return cmocka_run_group_tests_name("core_nl", tests, NULL, NULL);
}
