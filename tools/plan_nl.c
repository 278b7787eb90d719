// SPDX-License-Identifier: MIT
/*
 * plan_nl.c - flowplanctl plan { show | set | delete }: the plan the module
 * holds. "plan set" reads the entries of a plan file (fp_entries_load) and
 * installs this host's share in one atomic replace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowplanctl.h"
#include "planner/entries.h"
#include "nl.h"

/* Keep a SET_PLAN message well below one attribute's 64 KiB. */
#define PLAN_MSG_BYTES	32768
#define MAX_LOCAL	64

struct shown {
	uint64_t generation;
	uint32_t total;
	bool intr;
	size_t n, cap;
	struct fp_entry *e;
};

static int parse_entry(struct nlattr *nest, struct fp_entry *e)
{
	struct nlattr *tb[FLOWPLAN_ENTRY_A_MAX + 1];
	struct nlattr *sb[FLOWPLAN_SUBFLOW_A_MAX + 1], *s;
	int rem;

	if (fp_nl_parse_nested(tb, FLOWPLAN_ENTRY_A_MAX, nest) < 0)
		return EBADMSG;
	memset(e, 0, sizeof(*e));
	if (tb[FLOWPLAN_ENTRY_A_LOCAL_ADDR] && nla_len(tb[FLOWPLAN_ENTRY_A_LOCAL_ADDR]) == 4)
		memcpy(&e->src_addr, nla_data(tb[FLOWPLAN_ENTRY_A_LOCAL_ADDR]), 4);
	if (tb[FLOWPLAN_ENTRY_A_REMOTE_ADDR] && nla_len(tb[FLOWPLAN_ENTRY_A_REMOTE_ADDR]) == 4)
		memcpy(&e->dst_addr, nla_data(tb[FLOWPLAN_ENTRY_A_REMOTE_ADDR]), 4);
	e->dqpn = fp_nla_u32(tb[FLOWPLAN_ENTRY_A_DQPN]);
	e->enforce = fp_nla_u32(tb[FLOWPLAN_ENTRY_A_FLAGS]) & FLOWPLAN_ENTRY_F_ENFORCE;
	if (!tb[FLOWPLAN_ENTRY_A_SUBFLOWS])
		return 0;
	nla_for_each_nested(s, tb[FLOWPLAN_ENTRY_A_SUBFLOWS], rem) {
		if (e->nsub == FP_MAX_SUBFLOWS ||
		    fp_nl_parse_nested(sb, FLOWPLAN_SUBFLOW_A_MAX, s) < 0)
			return EBADMSG;
		e->sub[e->nsub].flow_label = fp_nla_u32(sb[FLOWPLAN_SUBFLOW_A_FLOW_LABEL]);
		e->sub[e->nsub].sport = fp_nla_u16(sb[FLOWPLAN_SUBFLOW_A_SPORT]);
		e->sub[e->nsub].weight = fp_nla_u32(sb[FLOWPLAN_SUBFLOW_A_WEIGHT]);
		e->nsub++;
	}
	return 0;
}

static int show_reply(struct nlattr **tb, bool intr, void *arg)
{
	struct shown *sh = arg;
	struct fp_entry *ne;
	struct nlattr *a;
	int rem, ret;

	sh->intr |= intr;
	sh->generation = fp_nla_u64(tb[FLOWPLAN_A_GENERATION]);
	sh->total = fp_nla_u32(tb[FLOWPLAN_A_NENTRIES]);
	if (!tb[FLOWPLAN_A_ENTRIES])
		return 0;
	nla_for_each_nested(a, tb[FLOWPLAN_A_ENTRIES], rem) {
		if (sh->n == sh->cap) {
			sh->cap = sh->cap ? 2 * sh->cap : 64;
			ne = realloc(sh->e, sh->cap * sizeof(*ne));
			if (!ne)
				return ENOMEM;
			sh->e = ne;
		}
		ret = parse_entry(a, &sh->e[sh->n]);
		if (ret)
			return ret;
		sh->n++;
	}
	return 0;
}

static void print_entry(const struct fp_entry *e)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	unsigned int i;

	inet_ntop(AF_INET, &e->src_addr, s, sizeof(s));
	inet_ntop(AF_INET, &e->dst_addr, d, sizeof(d));
	pr_obj_open(NULL);
	pr_str("src_addr", "%s", s);
	pr_str("dst_addr", " -> %s", d);
	if (e->dqpn)
		pr_u64("dqpn", " dqpn %llu", e->dqpn);
	else
		pr_u64("dqpn", " dqpn any", 0);
	pr_bool("enforce", NULL, e->enforce);
	pr_text("%s\n", e->enforce ? " enforce" : "");
	pr_arr_open("subflows", NULL);
	for (i = 0; i < e->nsub; i++) {
		pr_obj_open(NULL);
		pr_u64("flow_label", "\tflow_label %llu", e->sub[i].flow_label);
		pr_u64("sport", " sport %llu", e->sub[i].sport);
		pr_u64("weight", " weight %llu\n", e->sub[i].weight);
		pr_obj_close();
	}
	pr_arr_close(NULL);
	pr_obj_close();
}

int cmd_plan_show(int argc, char **argv)
{
	struct shown sh = { 0 };
	struct nl_msg *msg;
	struct fp_nl nl;
	int rc = 1, tries;
	size_t i;

	(void)argv;
	if (argc)
		return fp_err("plan show takes no argument");
	if (fp_nl_open(&nl))
		return 1;
	/* A plan replaced during the dump is dumped again. */
	for (tries = 0; tries < 5; tries++) {
		sh.n = 0;
		sh.intr = false;
		msg = fp_nl_msg(&nl, FLOWPLAN_CMD_GET_PLAN, true);
		if (!msg) {
			fp_err("out of memory");
			goto out;
		}
		rc = fp_nl_request(&nl, msg, "plan show", show_reply, &sh);
		if (rc || !sh.intr)
			break;
	}
	if (rc)
		goto out;
	if (sh.intr) {
		rc = fp_err("plan show: the plan kept changing during the dump");
		goto out;
	}
	pr_u64("generation", "generation %llu", sh.generation);
	pr_u64("nentries", ", %llu entries\n", sh.n);
	pr_arr_open("entries", NULL);
	for (i = 0; i < sh.n; i++)
		print_entry(&sh.e[i]);
	pr_arr_close(NULL);
out:
	free(sh.e);
	fp_nl_close(&nl);
	return rc;
}

/* The IPv4 addresses of this host's interfaces. */
static size_t local_addrs(uint32_t *out, size_t max)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0;

	if (getifaddrs(&ifa))
		return 0;
	for (i = ifa; i && n < max; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
			out[n++] = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
	freeifaddrs(ifa);
	return n;
}

static bool is_local(const uint32_t *l, size_t n, uint32_t a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i] == a)
			return true;
	return false;
}

static int put_entry(struct nl_msg *msg, int idx, const struct fp_entry *e,
		     bool enforce)
{
	struct nlattr *ent, *subs, *sub;
	unsigned int i;

	ent = nla_nest_start(msg, idx | NLA_F_NESTED);
	if (!ent ||
	    nla_put(msg, FLOWPLAN_ENTRY_A_LOCAL_ADDR, 4, &e->src_addr) ||
	    nla_put(msg, FLOWPLAN_ENTRY_A_REMOTE_ADDR, 4, &e->dst_addr) ||
	    nla_put_u32(msg, FLOWPLAN_ENTRY_A_DQPN, e->dqpn) ||
	    nla_put_u32(msg, FLOWPLAN_ENTRY_A_FLAGS,
			e->enforce || enforce ? FLOWPLAN_ENTRY_F_ENFORCE : 0))
		return -1;
	subs = nla_nest_start(msg, FLOWPLAN_ENTRY_A_SUBFLOWS | NLA_F_NESTED);
	if (!subs)
		return -1;
	for (i = 0; i < e->nsub; i++) {
		sub = nla_nest_start(msg, i | NLA_F_NESTED);
		if (!sub ||
		    nla_put_u32(msg, FLOWPLAN_SUBFLOW_A_FLOW_LABEL, e->sub[i].flow_label) ||
		    nla_put_u16(msg, FLOWPLAN_SUBFLOW_A_SPORT, e->sub[i].sport) ||
		    nla_put_u32(msg, FLOWPLAN_SUBFLOW_A_WEIGHT, e->sub[i].weight))
			return -1;
		nla_nest_end(msg, sub);
	}
	nla_nest_end(msg, subs);
	nla_nest_end(msg, ent);
	return 0;
}

static size_t entry_bytes(const struct fp_entry *e)
{
	return 4 + 5 * 8 + 4 + e->nsub * (4 + 3 * 8);
}

/*
 * Send @n entries (pointers) as one plan: messages of at most
 * PLAN_MSG_BYTES, all but the last flagged FLOWPLAN_F_MORE.
 */
static int send_plan(struct fp_nl *nl, uint64_t gen,
		     const struct fp_entry **sel, size_t n, bool enforce)
{
	size_t i = 0, first, bytes;
	struct nlattr *ents;
	struct nl_msg *msg;
	bool more;
	int idx;

	do {
		msg = fp_nl_msg(nl, FLOWPLAN_CMD_SET_PLAN, false);
		if (!msg)
			return fp_err("out of memory");
		for (first = i, bytes = 0; i < n; i++) {
			bytes += entry_bytes(sel[i]);
			if (i > first && bytes > PLAN_MSG_BYTES)
				break;
		}
		more = i < n;
		if (nla_put_u64(msg, FLOWPLAN_A_GENERATION, gen) ||
		    (more && nla_put_u32(msg, FLOWPLAN_A_FLAGS, FLOWPLAN_F_MORE))) {
			nlmsg_free(msg);
			return fp_err("out of memory");
		}
		if (i > first) {
			ents = nla_nest_start(msg, FLOWPLAN_A_ENTRIES | NLA_F_NESTED);
			for (idx = 0; ents && first + idx < i; idx++)
				if (put_entry(msg, idx, sel[first + idx], enforce))
					ents = NULL;
			if (!ents) {
				nlmsg_free(msg);
				return fp_err("plan set: message too large");
			}
			nla_nest_end(msg, ents);
		}
		if (fp_nl_request(nl, msg, "plan set", NULL, NULL))
			return 1;
	} while (more);
	return 0;
}

int cmd_plan_set(int argc, char **argv)
{
	const char *file = NULL, *v;
	uint32_t local[MAX_LOCAL], a;
	size_t nlocal = 0, i, nsel = 0;
	bool enforce = false, explicit_local = false, have_gen = false;
	const struct fp_entry **sel = NULL;
	struct fp_entries t = { 0 };
	struct fp_err err;
	unsigned long long gen = 0;
	struct fp_nl nl;
	char *end;
	int rc = 1;

	for (; argc > 0; argc--, argv++) {
		if (fp_matches(argv[0], "generation")) {
			v = fp_next_arg(&argc, &argv, "generation");
			if (!v)
				return 1;
			errno = 0;
			gen = strtoull(v, &end, 0);
			if (errno || *end || !*v)
				return fp_err("bad generation \"%s\"", v);
			have_gen = true;
		} else if (fp_matches(argv[0], "enforce")) {
			enforce = true;
		} else if (fp_matches(argv[0], "local")) {
			v = fp_next_arg(&argc, &argv, "local");
			if (!v)
				return 1;
			if (inet_pton(AF_INET, v, &a) != 1)
				return fp_err("bad IPv4 address \"%s\"", v);
			if (nlocal == MAX_LOCAL)
				return fp_err("too many \"local\" addresses");
			local[nlocal++] = a;
			explicit_local = true;
		} else if (!file) {
			file = argv[0];
		} else {
			return fp_err("plan set: unexpected \"%s\"", argv[0]);
		}
	}
	if (!file)
		return fp_err("plan set needs a plan file (flowplanctl plan compute ... out FILE)");
	if (fp_entries_load(file, &t, &err))
		return fp_err("%s", err.msg);
	if (!have_gen)
		gen = t.generation;
	if (!explicit_local)
		nlocal = local_addrs(local, MAX_LOCAL);

	sel = calloc(t.n ? t.n : 1, sizeof(*sel));
	if (!sel) {
		fp_err("out of memory");
		goto out;
	}
	for (i = 0; i < t.n; i++)
		if (is_local(local, nlocal, t.e[i].src_addr))
			sel[nsel++] = &t.e[i];
	if (t.n && !nsel)
		fprintf(stderr,
			"flowplanctl: no entry of %s has a local src_addr; installing an empty plan\n",
			file);
	if (fp_nl_open(&nl))
		goto out;
	rc = send_plan(&nl, gen, sel, nsel, enforce);
	fp_nl_close(&nl);
	if (!rc)
		pr_text("installed %zu of %zu entries, generation %llu\n", nsel,
			t.n, gen);
out:
	free(sel);
	fp_entries_free(&t);
	return rc;
}

int cmd_plan_delete(int argc, char **argv)
{
	(void)argv;
	if (argc)
		return fp_err("plan delete takes no argument");
	return fp_nl_once(FLOWPLAN_CMD_DEL_PLAN, false, "plan delete", NULL, NULL);
}
