// SPDX-License-Identifier: MIT
/*
 * fp-nlplan - plans and counters of either address family, straight over
 * netlink (the qemu tests' own client, independent of flowplanctl).
 *
 *   fp-nlplan set GEN SRC DST SPORT LABEL [SPORT LABEL]...
 *       Install a one-entry enforcing plan SRC -> DST (any QP) of
 *       generation GEN with the subflows given. SRC and DST: IPv4 or IPv6
 *       text, sent as 4 or 16 bytes.
 *   fp-nlplan raw GEN SRCHEX DSTHEX
 *       The same with the address attributes' bytes in hex, any length
 *       (one subflow, port 49153, label 1): for refusals.
 *   fp-nlplan get
 *       One line per entry: "SRC DST DQPN FLAGS SPORT/LABEL..." and the
 *       address lengths seen ("len LOCAL/REMOTE").
 *   fp-nlplan counters
 *       One line per counter: "DST SPORT PACKETS BYTES REWRITTEN".
 *   fp-nlplan del
 *
 * Errors: the errno and the extack message on stderr, exit 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <linux/genetlink.h>
#include <linux/flowplan.h>

#include "nltest.h"

static int put_addr(struct nlt *t, uint16_t type, const char *s)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1) {
		nlt_put(t, type, a, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		nlt_put(t, type, a, 16);
		return 0;
	}
	fprintf(stderr, "fp-nlplan: not an address: %s\n", s);
	return -1;
}

static int put_hex(struct nlt *t, uint16_t type, const char *s)
{
	unsigned char a[64];
	size_t n = 0;
	unsigned int b;

	while (s[0] && s[1] && n < sizeof(a) && sscanf(s, "%2x", &b) == 1) {
		a[n++] = b;
		s += 2;
	}
	nlt_put(t, type, a, n);
	return 0;
}

static void addr_str(const struct nlattr *a, char *buf, size_t n)
{
	if (nlt_len(a) == 4)
		inet_ntop(AF_INET, nlt_data(a), buf, n);
	else if (nlt_len(a) == 16)
		inet_ntop(AF_INET6, nlt_data(a), buf, n);
	else
		snprintf(buf, n, "?%d", nlt_len(a));
}

static int entry_cb(const struct nlattr *e, int len)
{
	char l[INET6_ADDRSTRLEN] = "-", r[INET6_ADDRSTRLEN] = "-";
	const struct nlattr *a, *s, *f;
	uint32_t dqpn = 0, flags = 0, label = 0;
	int rem, rem2, ll = 0, rl = 0;
	unsigned int sport = 0;
	char subs[512] = "";

	for (a = e; nlt_ok(a, len); a = nlt_next(a, &len)) {
		switch (nlt_type(a)) {
		case FLOWPLAN_ENTRY_A_LOCAL_ADDR:
			addr_str(a, l, sizeof(l));
			ll = nlt_len(a);
			break;
		case FLOWPLAN_ENTRY_A_REMOTE_ADDR:
			addr_str(a, r, sizeof(r));
			rl = nlt_len(a);
			break;
		case FLOWPLAN_ENTRY_A_DQPN:
			dqpn = nlt_u32(a);
			break;
		case FLOWPLAN_ENTRY_A_FLAGS:
			flags = nlt_u32(a);
			break;
		case FLOWPLAN_ENTRY_A_SUBFLOWS:
			rem = nlt_len(a);
			for (s = nlt_data(a); nlt_ok(s, rem); s = nlt_next(s, &rem)) {
				rem2 = nlt_len(s);
				for (f = nlt_data(s); nlt_ok(f, rem2);
				     f = nlt_next(f, &rem2)) {
					if (nlt_type(f) == FLOWPLAN_SUBFLOW_A_SPORT)
						sport = *(const uint16_t *)nlt_data(f);
					if (nlt_type(f) == FLOWPLAN_SUBFLOW_A_FLOW_LABEL)
						label = nlt_u32(f);
				}
				snprintf(subs + strlen(subs),
					 sizeof(subs) - strlen(subs), " %u/%#x",
					 sport, label);
			}
			break;
		}
	}
	printf("%s %s %u %u%s len %d/%d\n", l, r, dqpn, flags, subs, ll, rl);
	return 0;
}

static int plan_cb(void *arg, const struct nlattr *a, int len)
{
	const struct nlattr *e;
	int rem;

	(void)arg;
	for (; nlt_ok(a, len); a = nlt_next(a, &len)) {
		if (nlt_type(a) != FLOWPLAN_A_ENTRIES)
			continue;
		rem = nlt_len(a);
		for (e = nlt_data(a); nlt_ok(e, rem); e = nlt_next(e, &rem))
			entry_cb(nlt_data(e), nlt_len(e));
	}
	return 0;
}

static int counters_cb(void *arg, const struct nlattr *a, int len)
{
	char d[INET6_ADDRSTRLEN];
	const struct nlattr *c, *f;
	uint64_t pk, by, rw;
	unsigned int sport;
	int rem, rem2;

	(void)arg;
	for (; nlt_ok(a, len); a = nlt_next(a, &len)) {
		if (nlt_type(a) != FLOWPLAN_A_COUNTERS)
			continue;
		rem = nlt_len(a);
		for (c = nlt_data(a); nlt_ok(c, rem); c = nlt_next(c, &rem)) {
			strcpy(d, "-");
			pk = by = rw = 0;
			sport = 0;
			rem2 = nlt_len(c);
			for (f = nlt_data(c); nlt_ok(f, rem2);
			     f = nlt_next(f, &rem2)) {
				switch (nlt_type(f)) {
				case FLOWPLAN_COUNTER_A_REMOTE_ADDR:
					addr_str(f, d, sizeof(d));
					break;
				case FLOWPLAN_COUNTER_A_SPORT:
					sport = *(const uint16_t *)nlt_data(f);
					break;
				case FLOWPLAN_COUNTER_A_PACKETS:
					pk = nlt_u64(f);
					break;
				case FLOWPLAN_COUNTER_A_BYTES:
					by = nlt_u64(f);
					break;
				case FLOWPLAN_COUNTER_A_REWRITTEN:
					rw = nlt_u64(f);
					break;
				}
			}
			printf("%s %u %llu %llu %llu\n", d, sport,
			       (unsigned long long)pk, (unsigned long long)by,
			       (unsigned long long)rw);
		}
	}
	return 0;
}

static int print_usage(void)
{
	fprintf(stderr, "usage: fp-nlplan set GEN SRC DST SPORT LABEL [SPORT LABEL]... | raw GEN SRCHEX DSTHEX | get | counters | del\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct nlt t;
	size_t ents, e, subs, sub;
	int ret, i;

	if (argc < 2)
		return print_usage();
	ret = nlt_open(&t);
	if (ret) {
		fprintf(stderr, "fp-nlplan: %s\n", strerror(-ret));
		return 1;
	}
	if (!strcmp(argv[1], "get") || !strcmp(argv[1], "counters")) {
		bool plan = !strcmp(argv[1], "get");

		nlt_start(&t, t.family, plan ? FLOWPLAN_CMD_GET_PLAN :
			  FLOWPLAN_CMD_GET_COUNTERS, NLM_F_DUMP);
		ret = nlt_dump(&t, plan ? plan_cb : counters_cb, NULL);
	} else if (!strcmp(argv[1], "del")) {
		nlt_start(&t, t.family, FLOWPLAN_CMD_DEL_PLAN, 0);
		ret = nlt_do(&t);
	} else if ((!strcmp(argv[1], "set") && argc >= 7 && argc % 2 == 1) ||
		   (!strcmp(argv[1], "raw") && argc == 5)) {
		bool raw = !strcmp(argv[1], "raw");

		nlt_start(&t, t.family, FLOWPLAN_CMD_SET_PLAN, 0);
		nlt_put_u64(&t, FLOWPLAN_A_GENERATION, strtoull(argv[2], NULL, 0));
		ents = nlt_nest_start(&t, FLOWPLAN_A_ENTRIES | NLA_F_NESTED);
		e = nlt_nest_start(&t, 0 | NLA_F_NESTED);
		if (raw) {
			put_hex(&t, FLOWPLAN_ENTRY_A_LOCAL_ADDR, argv[3]);
			put_hex(&t, FLOWPLAN_ENTRY_A_REMOTE_ADDR, argv[4]);
		} else if (put_addr(&t, FLOWPLAN_ENTRY_A_LOCAL_ADDR, argv[3]) ||
			   put_addr(&t, FLOWPLAN_ENTRY_A_REMOTE_ADDR, argv[4])) {
			return 2;
		}
		nlt_put_u32(&t, FLOWPLAN_ENTRY_A_FLAGS, FLOWPLAN_ENTRY_F_ENFORCE);
		subs = nlt_nest_start(&t, FLOWPLAN_ENTRY_A_SUBFLOWS | NLA_F_NESTED);
		for (i = 0; raw ? i < 1 : 5 + 2 * i < argc; i++) {
			sub = nlt_nest_start(&t, i | NLA_F_NESTED);
			nlt_put_u16(&t, FLOWPLAN_SUBFLOW_A_SPORT,
				    raw ? 49153 : strtoul(argv[5 + 2 * i], NULL, 0));
			nlt_put_u32(&t, FLOWPLAN_SUBFLOW_A_FLOW_LABEL,
				    raw ? 1 : strtoul(argv[6 + 2 * i], NULL, 0));
			nlt_nest_end(&t, sub);
		}
		nlt_nest_end(&t, subs);
		nlt_nest_end(&t, e);
		nlt_nest_end(&t, ents);
		ret = nlt_do(&t);
	} else {
		return print_usage();
	}
	if (ret) {
		fprintf(stderr, "fp-nlplan: %s: %s\n", strerror(-ret), t.extack);
		return 1;
	}
	nlt_close(&t);
	return 0;
}
