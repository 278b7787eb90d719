// SPDX-License-Identifier: MIT
/*
 * fp-nlpolicy - malformed flowplan messages generated from the family's
 * own policies, as the kernel reports them (CTRL_CMD_GETPOLICY): a random
 * message that every policy accepts, for a random command of the family,
 * with exactly one violation at a random place in it: an unknown attribute
 * type at any depth, a wrong length, an integer out of range or with a bit
 * outside its mask, a binary of the wrong length, a nest without
 * NLA_F_NESTED or a flat attribute with it, an attribute longer than its
 * nest, bytes left over in a nest. Each must be refused.
 *
 *   fp-nlpolicy [-n COUNT] [-s SEED] [-b BATCH] [-v]
 *
 * Messages are sent BATCH at a time (64) before their acks are read.
 * Prints the policies it learnt, then counts per kind of violation, per
 * errno, and with an extack message. Exit 0 when every message was
 * refused, 1 when one was accepted or unanswered, 2 on setup errors.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/flowplan.h>

#include "nltest.h"

#define MAXPOL		8
#define MAXT		32
#define MAXDEPTH	4
#define ERRNO_MAX	160
/* The highest attribute type (NLA_TYPE_MASK is an int with the sign set). */
#define TYPE_MAX	(NLA_TYPE_MASK & 0xffff)

struct pattr {
	bool used;
	uint32_t type;			/* enum netlink_attribute_type */
	bool has_range, has_mask;
	uint64_t min, max, mask;
	uint32_t minlen, maxlen;	/* 0: none */
	uint32_t nested;		/* policy index of a nest's content */
};

struct pol {
	bool used;
	unsigned int maxtype;
	struct pattr a[MAXT];
};

static struct pol pols[MAXPOL];
static bool op_do[256], op_dump[256];
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

static uint64_t rnd64(void)
{
	return ((uint64_t)rnd() << 32) | rnd();
}

/* ---- learning the policies ---- */

static void learn_attr(struct pattr *pa, const struct nlattr *a, int rem)
{
	pa->used = true;
	for (; nlt_ok(a, rem); a = nlt_next(a, &rem)) {
		switch (nlt_type(a)) {
		case NL_POLICY_TYPE_ATTR_TYPE:
			pa->type = nlt_u32(a);
			break;
		case NL_POLICY_TYPE_ATTR_MIN_VALUE_U:
			pa->has_range = true;
			pa->min = nlt_u64(a);
			break;
		case NL_POLICY_TYPE_ATTR_MAX_VALUE_U:
			pa->has_range = true;
			pa->max = nlt_u64(a);
			break;
		case NL_POLICY_TYPE_ATTR_MASK:
			pa->has_mask = true;
			pa->mask = nlt_u64(a);
			break;
		case NL_POLICY_TYPE_ATTR_MIN_LENGTH:
			pa->minlen = nlt_u32(a);
			break;
		case NL_POLICY_TYPE_ATTR_MAX_LENGTH:
			pa->maxlen = nlt_u32(a);
			break;
		case NL_POLICY_TYPE_ATTR_POLICY_IDX:
			pa->nested = nlt_u32(a);
			break;
		}
	}
}

static int policy_cb(void *arg, const struct nlattr *a, int len)
{
	const struct nlattr *p, *t, *o;
	int prem, trem, orem;

	(void)arg;
	for (; nlt_ok(a, len); a = nlt_next(a, &len)) {
		if (nlt_type(a) == CTRL_ATTR_POLICY) {
			prem = nlt_len(a);
			for (p = nlt_data(a); nlt_ok(p, prem); p = nlt_next(p, &prem)) {
				if (nlt_type(p) >= MAXPOL)
					continue;
				pols[nlt_type(p)].used = true;
				trem = nlt_len(p);
				for (t = nlt_data(p); nlt_ok(t, trem);
				     t = nlt_next(t, &trem)) {
					if (nlt_type(t) >= MAXT)
						continue;
					learn_attr(&pols[nlt_type(p)].a[nlt_type(t)],
						   nlt_data(t), nlt_len(t));
					if (nlt_type(t) > pols[nlt_type(p)].maxtype)
						pols[nlt_type(p)].maxtype = nlt_type(t);
				}
			}
		}
		if (nlt_type(a) == CTRL_ATTR_OP_POLICY) {
			orem = nlt_len(a);
			for (o = nlt_data(a); nlt_ok(o, orem); o = nlt_next(o, &orem)) {
				const struct nlattr *d = nlt_data(o);
				int drem = nlt_len(o);

				for (; nlt_ok(d, drem); d = nlt_next(d, &drem)) {
					if (nlt_type(d) == CTRL_ATTR_POLICY_DO)
						op_do[nlt_type(o) & 0xff] = true;
					if (nlt_type(d) == CTRL_ATTR_POLICY_DUMP)
						op_dump[nlt_type(o) & 0xff] = true;
				}
			}
		}
	}
	return 0;
}

static const char *const type_names[] = {
	"invalid", "flag", "u8", "u16", "u32", "u64", "s8", "s16", "s32",
	"s64", "binary", "string", "nul-string", "nested", "nested-array",
	"bitfield32",
};

static void show_policies(void)
{
	unsigned int p, t;
	const struct pattr *pa;

	for (p = 0; p < MAXPOL; p++) {
		if (!pols[p].used)
			continue;
		printf("policy %u:", p);
		for (t = 0; t <= pols[p].maxtype; t++) {
			pa = &pols[p].a[t];
			if (!pa->used)
				continue;
			printf(" %u:%s", t, pa->type < 16 ? type_names[pa->type] : "?");
			if (pa->has_mask)
				printf("&%#llx", (unsigned long long)pa->mask);
			else if (pa->has_range)
				printf("[%llu..%llu]", (unsigned long long)pa->min,
				       (unsigned long long)pa->max);
			if (pa->minlen || pa->maxlen)
				printf("{%u..%u}", pa->minlen, pa->maxlen);
			if (pa->type == NL_ATTR_TYPE_NESTED ||
			    pa->type == NL_ATTR_TYPE_NESTED_ARRAY)
				printf("->%u", pa->nested);
		}
		printf("\n");
	}
}

/* ---- generating messages: valid, then one fault ---- */

enum fault {
	F_UNKNOWN, F_INT_LEN, F_RANGE, F_MASK, F_BIN_LEN, F_NEST_FLAG,
	F_FLAT_FLAG, F_OVERLONG, F_LEFTOVER, F_N
};

static const char *const fault_names[F_N] = {
	"unknown attribute type", "integer of the wrong length",
	"integer out of range", "bit outside the mask",
	"binary of the wrong length", "nest without NLA_F_NESTED",
	"NLA_F_NESTED on a flat attribute", "attribute longer than its nest",
	"bytes left over in a nest",
};

struct gen {
	struct nlt *t;
	bool set;		/* a SET_PLAN: the module reads its arrays */
	int site, fault_at;	/* counts places; the one to break */
	enum fault fault;
	bool done;
};

static unsigned int int_size(uint32_t type)
{
	switch (type) {
	case NL_ATTR_TYPE_U8:
		return 1;
	case NL_ATTR_TYPE_U16:
		return 2;
	case NL_ATTR_TYPE_U32:
		return 4;
	case NL_ATTR_TYPE_U64:
		return 8;
	default:
		return 0;
	}
}

static uint64_t type_max(unsigned int size)
{
	return size == 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
}

static void put_int(struct nlt *t, uint16_t type, uint64_t v, unsigned int size)
{
	unsigned char b[8];

	memcpy(b, &v, 8);	/* little-endian host: the low bytes first */
	nlt_put(t, type, b, size);
}

static uint64_t valid_int(const struct pattr *pa)
{
	unsigned int size = int_size(pa->type);
	uint64_t lo = 0, hi = type_max(size), v;

	if (pa->has_mask)
		return rnd64() & pa->mask;
	if (pa->has_range) {
		lo = pa->min;
		hi = pa->max;
	}
	switch (below(4)) {
	case 0:
		return lo;
	case 1:
		return hi;
	default:
		v = rnd64();
		return hi - lo == UINT64_MAX ? v : lo + v % (hi - lo + 1);
	}
}

/*
 * Which faults an attribute of @pa can carry (a bitmask of enum fault).
 * The policies do not look past an array's last element: bytes left over
 * in one, or an element longer than the array, only the module refuses,
 * and only for the arrays it reads (SET_PLAN's).
 */
static unsigned int faults_for(const struct pattr *pa, bool set)
{
	unsigned int size = int_size(pa->type), m = 1u << F_UNKNOWN;

	if (size) {
		m |= 1u << F_INT_LEN | 1u << F_FLAT_FLAG;
		if (pa->has_mask && pa->mask != type_max(size))
			m |= 1u << F_MASK;
		if (pa->has_range && (pa->min > 0 || pa->max < type_max(size)))
			m |= 1u << F_RANGE;
	}
	if (pa->type == NL_ATTR_TYPE_BINARY && (pa->minlen > 0 || pa->maxlen))
		m |= 1u << F_BIN_LEN | 1u << F_FLAT_FLAG;
	if (pa->type == NL_ATTR_TYPE_NESTED ||
	    pa->type == NL_ATTR_TYPE_NESTED_ARRAY)
		m |= 1u << F_NEST_FLAG;
	if (pa->type == NL_ATTR_TYPE_NESTED ||
	    (pa->type == NL_ATTR_TYPE_NESTED_ARRAY && set))
		m |= 1u << F_OVERLONG | 1u << F_LEFTOVER;
	return m;
}

static void gen_policy(struct gen *g, unsigned int p, int depth);

static void gen_nested(struct gen *g, const struct pattr *pa, uint16_t type,
		       int depth, bool flag)
{
	size_t off = nlt_nest_start(g->t, type | (flag ? NLA_F_NESTED : 0));
	unsigned int i, n;
	size_t e;

	if (pa->type == NL_ATTR_TYPE_NESTED_ARRAY) {
		n = 1 + below(3);
		for (i = 0; i < n; i++) {
			e = nlt_nest_start(g->t, i | NLA_F_NESTED);
			gen_policy(g, pa->nested, depth + 1);
			nlt_nest_end(g->t, e);
		}
	} else {
		gen_policy(g, pa->nested, depth + 1);
	}
	nlt_nest_end(g->t, off);
}

/* The fault @f in place of attribute @type of policy @p. */
static void gen_fault(struct gen *g, unsigned int p, unsigned int type,
		      enum fault f, int depth)
{
	const struct pattr *pa = &pols[p].a[type];
	unsigned int size = int_size(pa->type), i;
	unsigned char junk[80];
	uint64_t v;
	size_t off;
	struct nlattr *a;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = rnd();
	switch (f) {
	case F_UNKNOWN:
		/* above the policy's types, or one of them it does not take */
		for (i = 0, v = 0; i <= pols[p].maxtype; i++)
			if (!pols[p].a[i].used)
				v++;
		if (v && below(2)) {
			v = 1 + below(v);
			for (i = 0; pols[p].a[i].used || --v; i++)
				;
			nlt_put(g->t, i, junk, below(12));
		} else {
			nlt_put(g->t, pols[p].maxtype + 1 +
				below(TYPE_MAX - pols[p].maxtype), junk,
				below(12));
		}
		break;
	case F_INT_LEN:
		i = below(3) ? size + 1 + below(8) : below(size);
		nlt_put(g->t, type, junk, i);
		break;
	case F_RANGE:
		if (pa->min > 0 && (below(2) || pa->max == type_max(size)))
			v = pa->min - 1 - (below(2) ? 0 : below((uint32_t)pa->min));
		else
			v = pa->max + 1 + below((uint32_t)(type_max(size) - pa->max));
		put_int(g->t, type, v, size);
		break;
	case F_MASK:
		do {
			i = below(8 * size);
		} while (!((~pa->mask & type_max(size)) >> i & 1));
		put_int(g->t, type, valid_int(pa) | 1ULL << i, size);
		break;
	case F_BIN_LEN:
		if (pa->minlen > 0 && (below(2) || !pa->maxlen))
			i = below(pa->minlen);
		else
			i = pa->maxlen + 1 + below(16);
		nlt_put(g->t, type, junk, i < sizeof(junk) ? i : sizeof(junk));
		break;
	case F_NEST_FLAG:
		gen_nested(g, pa, type, depth, false);
		break;
	case F_FLAT_FLAG:
		if (size)
			put_int(g->t, type | NLA_F_NESTED, valid_int(pa), size);
		else
			nlt_put(g->t, type | NLA_F_NESTED, junk,
				pa->minlen ? pa->minlen : 4);
		break;
	case F_OVERLONG:
		/* an attribute inside claiming more than the nest holds */
		off = nlt_nest_start(g->t, type | NLA_F_NESTED);
		a = nlt_room(g->t, NLA_HDRLEN + 4);
		a->nla_type = 1 + below(4);
		a->nla_len = NLA_HDRLEN + 8 + below(200);
		nlt_nest_end(g->t, off);
		break;
	case F_LEFTOVER:
		off = nlt_nest_start(g->t, type | NLA_F_NESTED);
		if (pa->type == NL_ATTR_TYPE_NESTED)
			gen_policy(g, pa->nested, depth + 1);
		nlt_nest_end(g->t, off);
		/* 1 to 3 bytes past its attributes, inside its length */
		i = 1 + below(3);
		((struct nlattr *)(g->t->buf + off))->nla_len += i;
		memset(nlt_room(g->t, i), 0xa5, NLA_ALIGN(i));
		break;
	default:
		break;
	}
}

static void gen_attr(struct gen *g, unsigned int p, unsigned int type,
		     int depth)
{
	const struct pattr *pa = &pols[p].a[type];
	unsigned int size = int_size(pa->type), m, i, n;
	unsigned char b[80];
	enum fault f;

	if (!g->done && g->site++ == g->fault_at) {
		m = faults_for(pa, g->set);
		do {
			f = below(F_N);
		} while (!(m & (1u << f)));
		g->fault = f;
		g->done = true;
		gen_fault(g, p, type, f, depth);
		return;
	}
	if (size) {
		put_int(g->t, type, valid_int(pa), size);
		return;
	}
	switch (pa->type) {
	case NL_ATTR_TYPE_FLAG:
		nlt_put(g->t, type, NULL, 0);
		break;
	case NL_ATTR_TYPE_BINARY:
		n = pa->minlen + below((pa->maxlen ? pa->maxlen : 64) -
				       pa->minlen + 1);
		for (i = 0; i < n && i < sizeof(b); i++)
			b[i] = rnd();
		nlt_put(g->t, type, b, n < sizeof(b) ? n : sizeof(b));
		break;
	case NL_ATTR_TYPE_NUL_STRING:
	case NL_ATTR_TYPE_STRING:
		n = below(pa->maxlen ? pa->maxlen : 16);
		for (i = 0; i < n && i + 1 < sizeof(b); i++)
			b[i] = 'a' + below(26);
		b[i] = '\0';
		nlt_put(g->t, type, b, i + 1);
		break;
	case NL_ATTR_TYPE_NESTED:
	case NL_ATTR_TYPE_NESTED_ARRAY:
		if (depth < MAXDEPTH)
			gen_nested(g, pa, type, depth, true);
		break;
	}
}

static void gen_policy(struct gen *g, unsigned int p, int depth)
{
	unsigned int t;

	for (t = 0; t <= pols[p].maxtype; t++)
		if (pols[p].a[t].used && below(3))
			gen_attr(g, p, t, depth);
	/* a place for an unknown attribute after the known ones */
	if (!g->done && g->site++ == g->fault_at) {
		g->fault = F_UNKNOWN;
		g->done = true;
		gen_fault(g, p, 0, F_UNKNOWN, depth);
	}
}

/* One malformed message for a random command; its fault's name. */
static const char *make_message(struct nlt *t, enum fault *kind)
{
	uint8_t cmds[256], cmd;
	unsigned int n = 0, c;
	uint64_t saved;
	struct gen g;

	for (c = 0; c < 256; c++)
		if (op_do[c] || op_dump[c])
			cmds[n++] = c;
	cmd = cmds[below(n)];
	/* Count the places of a message, then make it again with a fault. */
	saved = rng;
	g = (struct gen){ .t = t, .fault_at = -1,
			  .set = cmd == FLOWPLAN_CMD_SET_PLAN };
	nlt_start(t, t->family, cmd, op_dump[cmd] && !op_do[cmd] ? NLM_F_DUMP : 0);
	gen_policy(&g, 0, 0);
	c = below(g.site);
	rng = saved;
	g = (struct gen){ .t = t, .fault_at = (int)c,
			  .set = cmd == FLOWPLAN_CMD_SET_PLAN };
	nlt_start(t, t->family, cmd, op_dump[cmd] && !op_do[cmd] ? NLM_F_DUMP : 0);
	gen_policy(&g, 0, 0);
	*kind = g.fault;
	return fault_names[g.fault];
}

int main(int argc, char **argv)
{
	unsigned long count = 100000, sent = 0, refused = 0, extack = 0,
		      bad = 0, by_errno[ERRNO_MAX] = { 0 }, by_fault[F_N] = { 0 };
	unsigned int batch = 64, i, nb;
	uint32_t seqs[1024];
	enum fault kinds[1024];
	bool verbose = false;
	struct nlt t;
	int c, err;

	while ((c = getopt(argc, argv, "n:s:b:v")) != -1) {
		switch (c) {
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 's':
			rng = strtoull(optarg, NULL, 0) | 1;
			break;
		case 'b':
			batch = strtoul(optarg, NULL, 0);
			if (!batch || batch > 1024)
				batch = 64;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: fp-nlpolicy [-n COUNT] [-s SEED] [-b BATCH] [-v]\n");
			return 2;
		}
	}
	err = nlt_open(&t);
	if (err) {
		fprintf(stderr, "fp-nlpolicy: cannot reach the flowplan family: %s\n",
			strerror(-err));
		return 2;
	}
	nlt_start(&t, GENL_ID_CTRL, CTRL_CMD_GETPOLICY, NLM_F_DUMP);
	nlt_put(&t, CTRL_ATTR_FAMILY_NAME, FLOWPLAN_GENL_NAME,
		sizeof(FLOWPLAN_GENL_NAME));
	err = nlt_dump(&t, policy_cb, NULL);
	if (err || !pols[0].used) {
		fprintf(stderr, "fp-nlpolicy: no policy for the family: %s\n",
			strerror(-err));
		return 2;
	}
	show_policies();

	while (sent < count) {
		nb = count - sent < batch ? count - sent : batch;
		for (i = 0; i < nb; i++) {
			make_message(&t, &kinds[i]);
			err = nlt_send(&t, false);
			if (err < 0) {
				/* refused by the socket layer itself */
				seqs[i] = 0;
				by_fault[kinds[i]]++;
				refused++;
				continue;
			}
			seqs[i] = (uint32_t)err;
		}
		for (i = 0; i < nb; i++) {
			if (!seqs[i])
				continue;
			err = nlt_ack(&t, seqs[i]);
			by_fault[kinds[i]]++;
			if (err < 0 && err != -ETIMEDOUT) {
				refused++;
				if (-err < ERRNO_MAX)
					by_errno[-err]++;
				if (t.extack[0])
					extack++;
				if (verbose && below(1000) == 0)
					printf("  %s: %s: %s\n", fault_names[kinds[i]],
					       strerror(-err), t.extack);
			} else {
				bad++;
				printf("%s: message %lu (%s)\n",
				       err ? "NO ANSWER" : "ACCEPTED", sent + i,
				       fault_names[kinds[i]]);
			}
		}
		sent += nb;
	}
	printf("fp-nlpolicy: %lu sent, %lu refused, %lu accepted or unanswered, %lu with an extack message\n",
	       sent, refused, bad, extack);
	printf("fp-nlpolicy: faults:");
	for (i = 0; i < F_N; i++)
		printf(" %s=%lu", fault_names[i], by_fault[i]);
	printf("\nfp-nlpolicy: errors:");
	for (i = 0; i < ERRNO_MAX; i++)
		if (by_errno[i])
			printf(" %s=%lu", strerrorname_np(i) ?: "?", by_errno[i]);
	printf("\n");
	nlt_close(&t);
	return bad || refused != sent ? 1 : 0;
}
