// SPDX-License-Identifier: MIT
/*
 * fp-nlseq - plans sent in parts from several sockets, against a model.
 *
 *   fp-nlseq [-n STEPS] [-k SOCKETS] [-s SEED] [-e MAX_ENTRIES] [-v]
 *       Random sequences of SET_PLAN parts (in order or not, of one
 *       generation or not, with right, wrong or missing counts, stale
 *       generations, duplicate entries, past max_entries alone or
 *       together), DEL_PLAN and sockets closed and reopened, from SOCKETS
 *       (3) sockets. A model of the UAPI's rules says what each step must
 *       answer and which plan must be installed after it; the module must
 *       agree every time. MAX_ENTRIES: the module parameter (read from
 *       sysfs when not given). Exit 0 when it always agreed.
 *
 *   fp-nlseq -S SECONDS -P "SRC DST SPORT1,SPORT2" [-P ...] [-s SEED]
 *       Stress: for SECONDS, plans of 1 to 3 parts that hold the entry
 *       SRC -> DST (enforce) of each -P (up to 4, IPv4 or IPv6), pinned
 *       to SPORT1 or SPORT2 in turn, and filler entries of this process
 *       (IPv6 ones too when a -P is IPv6), as fast as the module takes them;
 *       now and then DEL_PLAN. Several can run at once: another's plan,
 *       DEL_PLAN or parts may make a part stale (-ESTALE), refused
 *       (-EBUSY), or out of a sequence (-EINVAL); anything else fails.
 *       Prints the messages sent and the plans installed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <linux/genetlink.h>
#include <linux/flowplan.h>

#include "nltest.h"

#define MAXSOCK	8
#define NONE	(-1)

static uint64_t rng = 0x5eed;

static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

/* One entry; @local and @remote of @alen bytes (4 or 16), network order. */
static void put_entry_addr(struct nlt *t, int idx, const void *local,
			   const void *remote, int alen, bool enforce,
			   uint16_t sport)
{
	size_t e, subs, sub;

	e = nlt_nest_start(t, idx | NLA_F_NESTED);
	nlt_put(t, FLOWPLAN_ENTRY_A_LOCAL_ADDR, local, alen);
	nlt_put(t, FLOWPLAN_ENTRY_A_REMOTE_ADDR, remote, alen);
	if (enforce)
		nlt_put_u32(t, FLOWPLAN_ENTRY_A_FLAGS, FLOWPLAN_ENTRY_F_ENFORCE);
	subs = nlt_nest_start(t, FLOWPLAN_ENTRY_A_SUBFLOWS | NLA_F_NESTED);
	sub = nlt_nest_start(t, 0 | NLA_F_NESTED);
	nlt_put_u32(t, FLOWPLAN_SUBFLOW_A_FLOW_LABEL, sport & 0x3fff);
	nlt_put_u16(t, FLOWPLAN_SUBFLOW_A_SPORT, sport);
	nlt_nest_end(t, sub);
	nlt_nest_end(t, subs);
	nlt_nest_end(t, e);
}

/* One IPv4 entry; @local and @remote in host order. */
static void put_entry(struct nlt *t, int idx, uint32_t local, uint32_t remote,
		      bool enforce, uint16_t sport)
{
	uint32_t l = htonl(local), r = htonl(remote);

	put_entry_addr(t, idx, &l, &r, 4, enforce, sport);
}

static void part_header(struct nlt *t, uint64_t gen, int part, bool more,
			int nentries)
{
	nlt_start(t, t->family, FLOWPLAN_CMD_SET_PLAN, 0);
	nlt_put_u64(t, FLOWPLAN_A_GENERATION, gen);
	if (part != NONE)
		nlt_put_u32(t, FLOWPLAN_A_PART, part);
	if (more)
		nlt_put_u32(t, FLOWPLAN_A_FLAGS, FLOWPLAN_F_MORE);
	if (nentries != NONE)
		nlt_put_u32(t, FLOWPLAN_A_NENTRIES, nentries);
}

struct seen {
	uint64_t gen;
	uint32_t n;
};

static int plan_cb(void *arg, const struct nlattr *a, int len)
{
	struct seen *s = arg;

	for (; nlt_ok(a, len); a = nlt_next(a, &len)) {
		if (nlt_type(a) == FLOWPLAN_A_GENERATION)
			s->gen = nlt_u64(a);
		if (nlt_type(a) == FLOWPLAN_A_NENTRIES)
			s->n = nlt_u32(a);
	}
	return 0;
}

static int get_plan(struct nlt *t, struct seen *s)
{
	*s = (struct seen){ 0 };
	nlt_start(t, t->family, FLOWPLAN_CMD_GET_PLAN, NLM_F_DUMP);
	return nlt_dump(t, plan_cb, s);
}

/* ---- the model ---- */

struct msock {
	struct nlt t;
	bool staged;
	uint64_t gen;
	uint32_t next, n, total;
	bool announced;
	bool dup;		/* a duplicate key among the staged entries */
	uint32_t serial;	/* plans this socket began */
};

struct model {
	bool plan;
	uint64_t gen;
	uint32_t n;
	unsigned int max, k;
	struct msock s[MAXSOCK];
};

static unsigned int cost(const struct msock *s)
{
	return s->n > 1 ? s->n : 1;
}

static void drop(struct msock *s)
{
	s->staged = false;
}

/* What the module must answer to a part; the model moves with it. */
static int expect_part(struct model *m, unsigned int i, int part, uint64_t gen,
		       bool more, int nentries, unsigned int n, bool dup)
{
	struct msock *s = &m->s[i];
	unsigned int others = 0, j, max1 = m->max ? m->max : 1;
	int ret = 0;

	if (part == NONE || part == 0) {
		*s = (struct msock){ .t = s->t, .staged = true, .gen = gen,
				     .serial = s->serial };
	} else if (!s->staged) {
		return -EINVAL;
	} else if ((uint32_t)part != s->next || gen != s->gen) {
		drop(s);
		return -EINVAL;
	}
	for (j = 0; j < m->k; j++)
		if (j != i && m->s[j].staged)
			others += cost(&m->s[j]);
	if (n > m->max || s->n + n > m->max) {
		ret = -E2BIG;
	} else if (others + (s->n + n > 1 ? s->n + n : 1) > max1) {
		ret = -EBUSY;
	} else {
		s->n += n;
		s->dup |= dup;
		if (nentries != NONE) {
			if ((s->announced && (uint32_t)nentries != s->total) ||
			    s->n > (uint32_t)nentries ||
			    (!more && s->n != (uint32_t)nentries))
				ret = -EINVAL;
			s->announced = true;
			s->total = nentries;
		} else if (s->announced && s->n > s->total) {
			ret = -EINVAL;
		}
	}
	if (!ret && !more && part != NONE && part > 0 && nentries == NONE)
		ret = -EINVAL;
	if (!ret && !more && s->dup)
		ret = -EEXIST;
	if (ret) {
		drop(s);
		return ret;
	}
	if (m->plan && gen < m->gen) {
		drop(s);
		return -ESTALE;
	}
	if (more) {
		s->next = (part == NONE ? 0 : part) + 1;
		return 0;
	}
	m->plan = true;
	m->gen = gen;
	m->n = s->n;
	drop(s);
	return 0;
}

/* Entries of socket @i's current plan: distinct keys, or one again. */
static void put_entries(struct msock *s, unsigned int i, unsigned int first,
			unsigned int n, bool dup)
{
	unsigned int k;
	size_t l = nlt_nest_start(&s->t, FLOWPLAN_A_ENTRIES | NLA_F_NESTED);

	for (k = 0; k < n; k++) {
		unsigned int key = dup && k == n - 1 ? 0 : first + k;

		put_entry(&s->t, k, 0x0a640000 | i << 8 | 1,
			  0x0b000000 | (s->serial & 0xfff) << 12 | key, false,
			  0xc001 + below(16));
	}
	nlt_nest_end(&s->t, l);
}

static int sequences(unsigned long steps, unsigned int k, unsigned int max,
		     bool verbose)
{
	struct model m = { .max = max, .k = k };
	unsigned long step, agree = 0, by_ret[6] = { 0 };
	struct seen seen;
	unsigned int i, n, choice;
	int part, nentries, want, got;
	uint64_t gen;
	bool more, dup;

	for (i = 0; i < k; i++)
		if (nlt_open(&m.s[i].t)) {
			fprintf(stderr, "fp-nlseq: cannot reach the family\n");
			return 2;
		}
	/* Start from nothing. */
	nlt_start(&m.s[0].t, m.s[0].t.family, FLOWPLAN_CMD_DEL_PLAN, 0);
	if (nlt_do(&m.s[0].t))
		return 2;
	for (step = 0; step < steps; step++) {
		i = below(k);
		struct msock *s = &m.s[i];

		choice = below(100);
		if (choice < 4) {
			nlt_start(&s->t, s->t.family, FLOWPLAN_CMD_DEL_PLAN, 0);
			got = nlt_do(&s->t);
			for (n = 0; n < k; n++)
				drop(&m.s[n]);
			m.plan = false;
			m.gen = 0;
			m.n = 0;
			want = 0;
			if (verbose)
				printf("%lu: socket %u DEL_PLAN: %d\n", step, i, got);
		} else if (choice < 8) {
			nlt_close(&s->t);
			if (nlt_open(&s->t))
				return 2;
			drop(s);
			if (verbose)
				printf("%lu: socket %u closed and reopened\n", step, i);
			continue;
		} else {
			/* A part: mostly the right next one. */
			if (!s->staged || below(4) == 0) {
				part = below(3) ? 0 : below(2) ? NONE : 1 + (int)below(3);
				gen = m.gen + below(4) - (m.gen && below(6) == 0 ? 2 : 0);
				if (part == 0 || part == NONE)
					s->serial++;
			} else {
				part = below(8) ? (int)s->next :
				       (int)s->next + (below(2) ? 1 : -1);
				gen = below(10) ? s->gen : s->gen + 1;
			}
			more = below(3) != 0;
			n = below(m.max / 2 + 2);
			dup = below(25) == 0 && n > 1;
			if (below(6) == 0) {
				nentries = below(2) ? NONE : (int)below(m.max + 1);
			} else {
				unsigned int have = (s->staged && part != 0 &&
						     part != NONE) ? s->n : 0;

				nentries = more && below(2) ? NONE :
					   (int)(have + n + (more ? below(6) : 0));
			}
			part_header(&s->t, gen, part, more, nentries);
			put_entries(s, i, (s->staged && part != 0 && part != NONE) ?
				    s->n : 0, n, dup);
			want = expect_part(&m, i, part, gen, more, nentries, n, dup);
			got = nlt_do(&s->t);
			if (verbose)
				printf("%lu: socket %u part %d gen %llu %s %d entries%s, count %d: %d (model %d)\n",
				       step, i, part, (unsigned long long)gen,
				       more ? "more" : "last", n, dup ? " dup" : "",
				       nentries, got, want);
		}
		if (got != want) {
			printf("FAIL: step %lu (socket %u): the module answered %d (%s), the model %d\n",
			       step, i, got, s->t.extack, want);
			return 1;
		}
		by_ret[got == 0 ? 0 : got == -EINVAL ? 1 : got == -E2BIG ? 2 :
		       got == -EBUSY ? 3 : got == -ESTALE ? 4 : 5]++;
		if (get_plan(&m.s[0].t, &seen) ||
		    seen.gen != (m.plan ? m.gen : 0) ||
		    seen.n != (m.plan ? m.n : 0)) {
			printf("FAIL: after step %lu the plan is generation %llu with %u entries, the model's %llu with %u\n",
			       step, (unsigned long long)seen.gen, seen.n,
			       (unsigned long long)(m.plan ? m.gen : 0),
			       m.plan ? m.n : 0);
			return 1;
		}
		agree++;
	}
	printf("fp-nlseq: %lu steps from %u sockets, module and model agreed on all: %lu accepted, %lu EINVAL, %lu E2BIG, %lu EBUSY, %lu ESTALE, %lu other\n",
	       agree, k, by_ret[0], by_ret[1], by_ret[2], by_ret[3], by_ret[4],
	       by_ret[5]);
	nlt_start(&m.s[0].t, m.s[0].t.family, FLOWPLAN_CMD_DEL_PLAN, 0);
	nlt_do(&m.s[0].t);
	for (i = 0; i < k; i++)
		nlt_close(&m.s[i].t);
	return 0;
}

/* ---- stress ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#define MAXPIN	4

struct pin {
	uint8_t src[16], dst[16];
	int alen;
	unsigned int sp[2];
};

/* "SRC DST SPORT1,SPORT2", both addresses of one family. */
static bool pin_parse(const char *s, struct pin *p)
{
	char s_src[64], s_dst[64];

	if (sscanf(s, "%63s %63s %u,%u", s_src, s_dst, &p->sp[0], &p->sp[1]) != 4 ||
	    p->sp[0] > 65535 || p->sp[1] > 65535)
		return false;
	p->alen = 16;
	if (inet_pton(AF_INET6, s_src, p->src) == 1 &&
	    inet_pton(AF_INET6, s_dst, p->dst) == 1)
		return true;
	p->alen = 4;
	return inet_pton(AF_INET, s_src, p->src) == 1 &&
	       inet_pton(AF_INET, s_dst, p->dst) == 1;
}

static int stress(unsigned int seconds, const char **pins, unsigned int npin)
{
	unsigned long sent = 0, installed = 0, stale = 0, busy = 0, seq = 0,
		      dels = 0;
	uint64_t end = now_ns() + seconds * 1000000000ULL, gen;
	unsigned int parts, p, n, k, i, flip = 0, me = getpid() & 0xfff;
	struct pin pin[MAXPIN];
	bool six = false;
	struct nlt t;
	int ret;

	if (!npin)
		goto usage;
	for (i = 0; i < npin; i++) {
		if (!pin_parse(pins[i], &pin[i]))
			goto usage;
		six |= pin[i].alen == 16;
	}
	if (nlt_open(&t)) {
		fprintf(stderr, "fp-nlseq: cannot reach the family\n");
		return 2;
	}
	while (now_ns() < end) {
		if (below(50) == 0) {
			nlt_start(&t, t.family, FLOWPLAN_CMD_DEL_PLAN, 0);
			ret = nlt_do(&t);
			sent++;
			dels++;
			if (ret) {
				printf("FAIL: DEL_PLAN: %s (%s)\n", strerror(-ret), t.extack);
				return 1;
			}
			continue;
		}
		/* Later plans carry later generations, whoever sends them. */
		gen = now_ns();
		parts = 1 + below(3);
		n = npin + below(6);
		flip ^= 1;
		for (p = 0; p < parts; p++) {
			part_header(&t, gen, p, p + 1 < parts,
				    p + 1 < parts ? NONE : (int)(parts * n));
			size_t l = nlt_nest_start(&t, FLOWPLAN_A_ENTRIES | NLA_F_NESTED);

			for (k = 0; k < n; k++) {
				uint32_t fl = 0x0c000000 | (uint32_t)(seq & 0xffff) << 8 |
					      (p * n + k);

				if (p == 0 && k < npin) {
					put_entry_addr(&t, k, pin[k].src, pin[k].dst,
						       pin[k].alen, true,
						       pin[k].sp[flip]);
				} else if (six && k % 2) {
					/* fd65::ME -> fd0c::FL */
					uint8_t l6[16] = { 0xfd, 0x65 }, r6[16] = { 0xfd, 0x0c };

					l6[14] = me >> 8;
					l6[15] = me & 0xff;
					fl = htonl(fl);
					memcpy(r6 + 12, &fl, 4);
					put_entry_addr(&t, k, l6, r6, 16, false, 0xc001);
				} else {
					put_entry(&t, k, 0x0a650000 | me, fl, false, 0xc001);
				}
			}
			nlt_nest_end(&t, l);
			ret = nlt_do(&t);
			sent++;
			if (!ret) {
				if (p + 1 == parts)
					installed++;
				continue;
			}
			if (ret == -ESTALE)
				stale++;
			else if (ret == -EBUSY)
				busy++;
			else if (!(ret == -EINVAL && p > 0)) {
				printf("FAIL: part %u of %u: %s (%s)\n", p, parts,
				       strerror(-ret), t.extack);
				return 1;
			}
			break;
		}
		seq++;
	}
	printf("fp-nlseq: -S %us: %lu messages, %lu plans installed, %lu stale, %lu busy, %lu deletes\n",
	       seconds, sent, installed, stale, busy, dels);
	nlt_close(&t);
	return 0;
usage:
	fprintf(stderr, "fp-nlseq: -P \"SRC DST SPORT1,SPORT2\" (1 to %d, IPv4 or IPv6)\n",
		MAXPIN);
	return 2;
}

static unsigned int sysfs_max(void)
{
	FILE *f = fopen("/sys/module/flowplan/parameters/max_entries", "r");
	unsigned int v = 1024;

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 1024;
		fclose(f);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long steps = 2000;
	unsigned int k = 3, max = 0, seconds = 0;
	const char *pins[MAXPIN];
	unsigned int npin = 0;
	bool verbose = false;
	int c;

	while ((c = getopt(argc, argv, "n:k:s:e:S:P:v")) != -1) {
		switch (c) {
		case 'n':
			steps = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			k = strtoul(optarg, NULL, 0);
			if (!k || k > MAXSOCK)
				k = 3;
			break;
		case 's':
			rng = strtoull(optarg, NULL, 0) | 1;
			break;
		case 'e':
			max = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			seconds = strtoul(optarg, NULL, 0);
			break;
		case 'P':
			if (npin == MAXPIN) {
				fprintf(stderr, "fp-nlseq: at most %d -P\n", MAXPIN);
				return 2;
			}
			pins[npin++] = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: fp-nlseq [-n STEPS] [-k SOCKETS] [-s SEED] [-e MAX] [-v]\n"
				"       fp-nlseq -S SECONDS -P \"SRC DST SPORT1,SPORT2\" [-P ...] [-s SEED]\n");
			return 2;
		}
	}
	if (seconds)
		return stress(seconds, pins, npin);
	return sequences(steps, k, max ? max : sysfs_max(), verbose);
}
