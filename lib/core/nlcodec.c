// SPDX-License-Identifier: MIT
/*
 * nlcodec.c - every message of the flowplan generic netlink family, encoded
 * and decoded here and nowhere else (include/uapi/linux/flowplan.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include <linux/flowplan.h>

#include "core/nlcodec.h"

/* ------------------------------------------------------------ attributes */

/*
 * Attributes by type into @tb (types above @max ignored); a stream that
 * does not end on an attribute boundary is EPROTO.
 */
static int parse_attrs(struct nlattr **tb, int max, struct nlattr *head,
		       int len)
{
	struct nlattr *a;
	int rem;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	nla_for_each_attr(a, head, len, rem) {
		int type = nla_type(a);

		if (type <= max)
			tb[type] = a;
	}
	return rem > 0 ? EPROTO : 0;
}

static int parse_nested(struct nlattr **tb, int max, struct nlattr *nest)
{
	return parse_attrs(tb, max, nla_data(nest), nla_len(nest));
}

static int parse_msg(struct nlattr **tb, int max, struct nlmsghdr *nlh)
{
	struct genlmsghdr *g;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return EPROTO;
	g = nlmsg_data(nlh);
	return parse_attrs(tb, max, genlmsg_attrdata(g, 0),
			   genlmsg_attrlen(g, 0));
}

static uint8_t msg_cmd(struct nlmsghdr *nlh)
{
	return ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;
}

static bool get_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || nla_len(a) != 1)
		return false;
	memcpy(v, nla_data(a), 1);
	return true;
}

static bool get_u16(const struct nlattr *a, uint16_t *v)
{
	if (!a || nla_len(a) != 2)
		return false;
	memcpy(v, nla_data(a), 2);
	return true;
}

static bool get_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || nla_len(a) != 4)
		return false;
	memcpy(v, nla_data(a), 4);
	return true;
}

static bool get_u64(const struct nlattr *a, uint64_t *v)
{
	if (!a || nla_len(a) != 8)
		return false;
	memcpy(v, nla_data(a), 8);
	return true;
}

/*
 * 4 bytes (struct in_addr) or 16 (struct in6_addr): the length is the
 * family. An IPv4-mapped address in 16 bytes is not IPv6 (the UAPI sends
 * IPv4 as 4 bytes), so it is refused rather than taken for IPv4.
 */
static bool get_addr(const struct nlattr *a, struct fp_addr *v)
{
	uint32_t be;

	if (!a)
		return false;
	if (nla_len(a) == 4) {
		memcpy(&be, nla_data(a), 4);
		*v = fp_addr_v4(be);
		return true;
	}
	if (nla_len(a) == 16) {
		memcpy(v->b, nla_data(a), 16);
		return !fp_addr_is_v4(v);
	}
	return false;
}

/* A NUL-terminated string that fits @size bytes. */
static bool get_str(const struct nlattr *a, char *buf, size_t size)
{
	const char *s;
	size_t n;

	if (!a || nla_len(a) < 1)
		return false;
	s = nla_data(a);
	n = strnlen(s, (size_t)nla_len(a));
	if (n == (size_t)nla_len(a) || n >= size)
		return false;
	memcpy(buf, s, n + 1);
	return true;
}

static int put_addr(struct nl_msg *msg, int type, const struct fp_addr *a)
{
	uint32_t be;

	if (fp_addr_is_v4(a)) {
		be = fp_addr_to_v4(a);
		return nla_put(msg, type, 4, &be);
	}
	return nla_put(msg, type, 16, a->b);
}

struct nl_msg *fp_nlm_request(int family, uint8_t cmd, bool dump)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			 dump ? NLM_F_DUMP : 0, cmd, FLOWPLAN_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* ----------------------------------------------------------------- plans */

static int decode_subflow(struct nlattr *nest, struct fp_subflow *s,
			  const char *at, unsigned int i, struct fp_err *err)
{
	struct nlattr *tb[FLOWPLAN_SUBFLOW_A_MAX + 1];

	if (parse_nested(tb, FLOWPLAN_SUBFLOW_A_MAX, nest))
		return fp_fail(err, EPROTO, "%s: subflow %u: malformed", at, i);
	if (!get_u32(tb[FLOWPLAN_SUBFLOW_A_FLOW_LABEL], &s->flow_label) ||
	    s->flow_label > FLOWPLAN_FLOW_LABEL_MAX)
		return fp_fail(err, EPROTO, "%s: subflow %u: no flow label in 0..%#x",
			       at, i, FLOWPLAN_FLOW_LABEL_MAX);
	if (!get_u16(tb[FLOWPLAN_SUBFLOW_A_SPORT], &s->sport) || !s->sport)
		return fp_fail(err, EPROTO, "%s: subflow %u: no source port", at, i);
	s->weight = 0;
	if (tb[FLOWPLAN_SUBFLOW_A_WEIGHT] &&
	    (!get_u32(tb[FLOWPLAN_SUBFLOW_A_WEIGHT], &s->weight) ||
	     s->weight > FLOWPLAN_WEIGHT_ONE))
		return fp_fail(err, EPROTO, "%s: subflow %u: weight not in 0..%u",
			       at, i, FLOWPLAN_WEIGHT_ONE);
	return 0;
}

static int decode_entry(struct nlattr *nest, struct fp_hostplan_entry *e,
			size_t idx, struct fp_err *err)
{
	struct nlattr *tb[FLOWPLAN_ENTRY_A_MAX + 1], *s;
	uint32_t flags = 0, w[FP_MAX_SUBFLOWS];
	uint64_t sum = 0;
	char at[48];
	unsigned int i;
	int rem, ret;

	snprintf(at, sizeof(at), "entry %zu", idx);
	memset(e, 0, sizeof(*e));
	if (parse_nested(tb, FLOWPLAN_ENTRY_A_MAX, nest))
		return fp_fail(err, EPROTO, "%s: malformed", at);
	if (!get_addr(tb[FLOWPLAN_ENTRY_A_LOCAL_ADDR], &e->local) ||
	    !get_addr(tb[FLOWPLAN_ENTRY_A_REMOTE_ADDR], &e->remote))
		return fp_fail(err, EPROTO, "%s: no local or remote address of 4 or 16 bytes",
			       at);
	if (fp_addr_is_v4(&e->local) != fp_addr_is_v4(&e->remote))
		return fp_fail(err, EPROTO, "%s: local and remote address of different families",
			       at);
	if (tb[FLOWPLAN_ENTRY_A_DQPN] &&
	    (!get_u32(tb[FLOWPLAN_ENTRY_A_DQPN], &e->dqpn) ||
	     e->dqpn > FLOWPLAN_DQPN_MAX))
		return fp_fail(err, EPROTO, "%s: dqpn not in 0..%#x", at,
			       FLOWPLAN_DQPN_MAX);
	if (tb[FLOWPLAN_ENTRY_A_FLAGS] &&
	    !get_u32(tb[FLOWPLAN_ENTRY_A_FLAGS], &flags))
		return fp_fail(err, EPROTO, "%s: malformed flags", at);
	e->enforce = flags & FLOWPLAN_ENTRY_F_ENFORCE;
	if (!tb[FLOWPLAN_ENTRY_A_SUBFLOWS])
		return fp_fail(err, EPROTO, "%s: no subflows", at);
	nla_for_each_nested(s, tb[FLOWPLAN_ENTRY_A_SUBFLOWS], rem) {
		if (e->nsub == FP_MAX_SUBFLOWS)
			return fp_fail(err, EPROTO, "%s: more than %d subflows", at,
				       FP_MAX_SUBFLOWS);
		ret = decode_subflow(s, &e->sub[e->nsub], at, e->nsub, err);
		if (ret)
			return ret;
		sum += e->sub[e->nsub++].weight;
	}
	if (!e->nsub)
		return fp_fail(err, EPROTO, "%s: no subflows", at);
	/* Weights absent (all 0): equal shares, as the UAPI says. */
	if (!sum) {
		fp_weights_equal(w, e->nsub);
		for (i = 0; i < e->nsub; i++)
			e->sub[i].weight = w[i];
	} else if (sum != FP_WEIGHT_ONE) {
		return fp_fail(err, EPROTO, "%s: weights sum to %llu, not %u", at,
			       (unsigned long long)sum, FP_WEIGHT_ONE);
	}
	return 0;
}

int fp_nlm_entries_decode(struct nlattr *ents, struct fp_hostplan *hp,
			  size_t first, struct fp_err *err)
{
	struct fp_hostplan_entry *ne;
	struct nlattr *a;
	size_t idx = first;
	int rem, ret;

	nla_for_each_nested(a, ents, rem) {
		if (hp->n == hp->cap) {
			size_t cap = hp->cap ? 2 * hp->cap : 64;

			ne = realloc(hp->e, cap * sizeof(*ne));
			if (!ne)
				return fp_fail(err, ENOMEM, "plan: out of memory");
			hp->e = ne;
			hp->cap = cap;
		}
		/*
		 * What the module holds is decoded as the UAPI defines it, a
		 * flow label of 0 and any non-zero port included; the file's
		 * rules (fp_hostplan_check_entry) are for plans we write.
		 */
		ret = decode_entry(a, &hp->e[hp->n], idx++, err);
		if (ret)
			return ret;
		hp->n++;
	}
	if (rem > 0)
		return fp_fail(err, EPROTO, "entry %zu: truncated", idx);
	return 0;
}

void fp_nlm_plan_dump_init(struct fp_nlm_plan_dump *d, struct fp_hostplan *hp)
{
	memset(d, 0, sizeof(*d));
	d->hp = hp;
	fp_hostplan_free(hp);
}

int fp_nlm_plan_decode(struct fp_nlm_plan_dump *d, struct nlmsghdr *nlh,
		       struct fp_err *err)
{
	struct nlattr *tb[FLOWPLAN_A_MAX + 1];
	uint64_t gen;
	uint32_t n;
	int ret;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->intr = true;
	if (parse_msg(tb, FLOWPLAN_A_MAX, nlh) ||
	    msg_cmd(nlh) != FLOWPLAN_CMD_GET_PLAN)
		return fp_fail(err, EPROTO, "plan dump: malformed message");
	if (!get_u64(tb[FLOWPLAN_A_GENERATION], &gen) ||
	    !get_u32(tb[FLOWPLAN_A_NENTRIES], &n))
		return fp_fail(err, EPROTO, "plan dump: a message without generation or entry count");
	if (d->msgs && (gen != d->hp->generation || n != d->nentries) && !d->intr)
		return fp_fail(err, EPROTO,
			       "plan dump: generation %llu, %u entries after %llu, %u in one dump",
			       (unsigned long long)gen, n,
			       (unsigned long long)d->hp->generation, d->nentries);
	d->hp->generation = gen;
	d->nentries = n;
	d->msgs++;
	if (!tb[FLOWPLAN_A_ENTRIES])
		return 0;
	ret = fp_nlm_entries_decode(tb[FLOWPLAN_A_ENTRIES], d->hp, d->hp->n, err);
	if (ret && ret != ENOMEM)
		fp_err_prefix(err, "plan dump");
	return ret;
}

int fp_nlm_plan_dump_end(struct fp_nlm_plan_dump *d, struct fp_err *err)
{
	int ret;

	if (!d->msgs)
		return fp_fail(err, EPROTO, "plan dump: no reply");
	if (d->hp->n != d->nentries)
		return fp_fail(err, EPROTO, "plan dump: %zu entries, the module counts %u",
			       d->hp->n, d->nentries);
	ret = fp_hostplan_finish(d->hp, err);
	if (ret == EEXIST) {
		fp_err_prefix(err, "plan dump");
		return EPROTO;
	}
	return ret;
}

/* One entry into @msg: 0, or -1 when the message has no room. */
static int put_entry(struct nl_msg *msg, int idx,
		     const struct fp_hostplan_entry *e, bool enforce)
{
	struct nlattr *ent, *subs, *sub;
	unsigned int i;

	ent = nla_nest_start(msg, idx | NLA_F_NESTED);
	if (!ent)
		return -1;
	if (put_addr(msg, FLOWPLAN_ENTRY_A_LOCAL_ADDR, &e->local) ||
	    put_addr(msg, FLOWPLAN_ENTRY_A_REMOTE_ADDR, &e->remote) ||
	    nla_put_u32(msg, FLOWPLAN_ENTRY_A_DQPN, e->dqpn) ||
	    nla_put_u32(msg, FLOWPLAN_ENTRY_A_FLAGS,
			e->enforce || enforce ? FLOWPLAN_ENTRY_F_ENFORCE : 0))
		goto full;
	subs = nla_nest_start(msg, FLOWPLAN_ENTRY_A_SUBFLOWS | NLA_F_NESTED);
	if (!subs)
		goto full;
	for (i = 0; i < e->nsub; i++) {
		sub = nla_nest_start(msg, (int)i | NLA_F_NESTED);
		if (!sub ||
		    nla_put_u32(msg, FLOWPLAN_SUBFLOW_A_FLOW_LABEL,
				e->sub[i].flow_label) ||
		    nla_put_u16(msg, FLOWPLAN_SUBFLOW_A_SPORT, e->sub[i].sport) ||
		    nla_put_u32(msg, FLOWPLAN_SUBFLOW_A_WEIGHT, e->sub[i].weight))
			goto full;
		nla_nest_end(msg, sub);
	}
	nla_nest_end(msg, subs);
	nla_nest_end(msg, ent);
	return 0;
full:
	nla_nest_cancel(msg, ent);
	return -1;
}

static size_t nest_len(struct nl_msg *msg, const struct nlattr *nest)
{
	return (size_t)((char *)nlmsg_tail(nlmsg_hdr(msg)) - (const char *)nest);
}

/*
 * What the module refuses anyway, refused before anything is sent. An IPv6
 * entry is sent as it is (16-byte addresses): a module that does not take
 * IPv6 says so itself, in its extack, which the caller shows.
 */
static int check_for_module(const struct fp_hostplan_entry *e, size_t i,
			    struct fp_err *err)
{
	char l[FP_ADDR_STRLEN], r[FP_ADDR_STRLEN];
	uint64_t sum = 0;
	unsigned int k;

	if (fp_addr_is_v4(&e->local) != fp_addr_is_v4(&e->remote))
		return fp_fail(err, EINVAL,
			       "entry %zu (%s -> %s): local and remote address of different families",
			       i, fp_addr_str(&e->local, l), fp_addr_str(&e->remote, r));
	if (!e->nsub || e->nsub > FP_MAX_SUBFLOWS || e->dqpn > FLOWPLAN_DQPN_MAX)
		return fp_fail(err, EINVAL, "entry %zu: %u subflows, dqpn %u", i,
			       e->nsub, e->dqpn);
	for (k = 0; k < e->nsub; k++) {
		if (e->sub[k].flow_label > FLOWPLAN_FLOW_LABEL_MAX ||
		    !e->sub[k].sport || e->sub[k].weight > FLOWPLAN_WEIGHT_ONE)
			return fp_fail(err, EINVAL,
				       "entry %zu: subflow %u: flow label %u, port %u, weight %u",
				       i, k, e->sub[k].flow_label, e->sub[k].sport,
				       e->sub[k].weight);
		sum += e->sub[k].weight;
	}
	if (sum && sum != FLOWPLAN_WEIGHT_ONE)
		return fp_fail(err, EINVAL, "entry %zu: weights sum to %llu, not %u", i,
			       (unsigned long long)sum, FLOWPLAN_WEIGHT_ONE);
	return 0;
}

int fp_nlm_set_plan_encode(int family, const struct fp_hostplan *hp,
			   uint64_t generation, bool enforce_all,
			   fp_nlm_emit_fn emit, void *arg, struct fp_err *err)
{
	size_t i = 0, first;
	uint32_t part = 0;
	struct nlattr *ents;
	struct nl_msg *msg;
	bool more;
	int ret;

	for (i = 0; i < hp->n; i++) {
		ret = check_for_module(&hp->e[i], i, err);
		if (ret)
			return ret;
	}
	i = 0;
	do {
		msg = nlmsg_alloc_size(FP_NLM_SET_MSG_MAX);
		if (!msg)
			return fp_fail(err, ENOMEM, "plan set: out of memory");
		if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0,
				 FLOWPLAN_CMD_SET_PLAN, FLOWPLAN_GENL_VERSION) ||
		    nla_put_u64(msg, FLOWPLAN_A_GENERATION, generation))
			goto nomem;
#ifdef FP_UAPI_HAS_PART
		if (part && nla_put_u32(msg, FLOWPLAN_A_PART, part))
			goto nomem;
#endif
		first = i;
		if (i < hp->n) {
			ents = nla_nest_start(msg, FLOWPLAN_A_ENTRIES | NLA_F_NESTED);
			if (!ents)
				goto nomem;
			for (; i < hp->n; i++) {
				const struct nlattr *mark = nlmsg_tail(nlmsg_hdr(msg));

				if (put_entry(msg, (int)(i - first), &hp->e[i], enforce_all))
					break;
				/* nla_len is 16 bits: the nest must fit them. */
				if (nest_len(msg, ents) > 0xffff) {
					nla_nest_cancel(msg, mark);
					break;
				}
			}
			if (i == first) {
				nlmsg_free(msg);
				return fp_fail(err, EMSGSIZE,
					       "plan set: entry %zu does not fit a message", i);
			}
			nla_nest_end(msg, ents);
		}
		more = i < hp->n;
		if (more && nla_put_u32(msg, FLOWPLAN_A_FLAGS, FLOWPLAN_F_MORE))
			goto nomem;
#ifdef FP_UAPI_HAS_PART
		if (!more && part &&
		    nla_put_u32(msg, FLOWPLAN_A_NENTRIES, (uint32_t)hp->n))
			goto nomem;
#endif
		ret = emit(msg, arg);
		if (ret)
			return ret;
		part++;
	} while (more);
	return 0;
nomem:
	nlmsg_free(msg);
	return fp_fail(err, ENOMEM, "plan set: out of memory");
}

/* ------------------------------------------------------- devices, counters */

static int decode_gids(struct nlattr *nest, struct fp_nl_port *p,
		       const char *at, struct fp_err *err)
{
	struct nlattr *tb[FLOWPLAN_GID_A_MAX + 1], *g;
	size_t n = 0;
	int rem;

	nla_for_each_nested(g, nest, rem)
		n++;
	if (!n)
		return 0;
	p->gids = calloc(n, sizeof(*p->gids));
	if (!p->gids)
		return fp_fail(err, ENOMEM, "%s: out of memory", at);
	nla_for_each_nested(g, nest, rem) {
		struct fp_nl_gid *x = &p->gids[p->ngids];

		if (parse_nested(tb, FLOWPLAN_GID_A_MAX, g) ||
		    !get_u32(tb[FLOWPLAN_GID_A_INDEX], &x->index) ||
		    !get_u8(tb[FLOWPLAN_GID_A_TYPE], &x->type) ||
		    !tb[FLOWPLAN_GID_A_GID] || nla_len(tb[FLOWPLAN_GID_A_GID]) != 16)
			return fp_fail(err, EPROTO, "%s: GID %zu: malformed", at, p->ngids);
		memcpy(x->gid.b, nla_data(tb[FLOWPLAN_GID_A_GID]), 16);
		p->ngids++;
	}
	return 0;
}

static int decode_port(struct nlattr *nest, struct fp_nl_port *p,
		       const char *dev, struct fp_err *err)
{
	struct nlattr *tb[FLOWPLAN_PORT_A_MAX + 1];
	char at[96];

	snprintf(at, sizeof(at), "device %s: port", dev);
	if (parse_nested(tb, FLOWPLAN_PORT_A_MAX, nest) ||
	    !get_u32(tb[FLOWPLAN_PORT_A_NUM], &p->num))
		return fp_fail(err, EPROTO, "%s: no port number", at);
	snprintf(at, sizeof(at), "device %s: port %u", dev, p->num);
	/* Link events carry no IB port state (NOP: not known). */
	if (tb[FLOWPLAN_PORT_A_STATE] && !get_u8(tb[FLOWPLAN_PORT_A_STATE], &p->state))
		return fp_fail(err, EPROTO, "%s: malformed state", at);
	if (!get_u8(tb[FLOWPLAN_PORT_A_LINK], &p->link) ||
	    !get_u32(tb[FLOWPLAN_PORT_A_IFINDEX], &p->ifindex))
		return fp_fail(err, EPROTO, "%s: no link state or ifindex", at);
	if (tb[FLOWPLAN_PORT_A_NETDEV] &&
	    !get_str(tb[FLOWPLAN_PORT_A_NETDEV], p->netdev, sizeof(p->netdev)))
		return fp_fail(err, EPROTO, "%s: malformed netdev name", at);
	if (tb[FLOWPLAN_PORT_A_GIDS])
		return decode_gids(tb[FLOWPLAN_PORT_A_GIDS], p, at, err);
	return 0;
}

int fp_nlm_device_decode(struct nlattr *nest, struct fp_nl_device *dev,
			 struct fp_err *err)
{
	struct nlattr *tb[FLOWPLAN_DEVICE_A_MAX + 1], *p;
	size_t n = 0;
	int rem, ret;

	memset(dev, 0, sizeof(*dev));
	if (parse_nested(tb, FLOWPLAN_DEVICE_A_MAX, nest) ||
	    !get_u32(tb[FLOWPLAN_DEVICE_A_INDEX], &dev->index) ||
	    !get_str(tb[FLOWPLAN_DEVICE_A_NAME], dev->name, sizeof(dev->name)))
		return fp_fail(err, EPROTO, "device: no index or name");
	if (!tb[FLOWPLAN_DEVICE_A_PORTS])
		return 0;
	nla_for_each_nested(p, tb[FLOWPLAN_DEVICE_A_PORTS], rem)
		n++;
	if (!n)
		return 0;
	dev->ports = calloc(n, sizeof(*dev->ports));
	if (!dev->ports)
		return fp_fail(err, ENOMEM, "device %s: out of memory", dev->name);
	nla_for_each_nested(p, tb[FLOWPLAN_DEVICE_A_PORTS], rem) {
		ret = decode_port(p, &dev->ports[dev->nports], dev->name, err);
		dev->nports++;	/* counted even when half filled: freed */
		if (ret)
			return ret;
	}
	return 0;
}

int fp_nlm_devices_decode(struct nlmsghdr *nlh, struct fp_nl_device **devs,
			  size_t *n, size_t *cap, bool *intr,
			  struct fp_err *err)
{
	struct nlattr *tb[FLOWPLAN_A_MAX + 1];
	struct fp_nl_device *nd;
	int ret;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		*intr = true;
	if (parse_msg(tb, FLOWPLAN_A_MAX, nlh) ||
	    msg_cmd(nlh) != FLOWPLAN_CMD_GET_DEVICES || !tb[FLOWPLAN_A_DEVICE])
		return fp_fail(err, EPROTO, "device dump: malformed message");
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 8;

		nd = realloc(*devs, c * sizeof(*nd));
		if (!nd)
			return fp_fail(err, ENOMEM, "device dump: out of memory");
		*devs = nd;
		*cap = c;
	}
	ret = fp_nlm_device_decode(tb[FLOWPLAN_A_DEVICE], &(*devs)[*n], err);
	(*n)++;			/* freed with the others, even half filled */
	return ret;
}

int fp_nlm_counters_decode(struct nlmsghdr *nlh, struct fp_nl_counters *c,
			   size_t *cap, struct fp_err *err)
{
	struct nlattr *tb[FLOWPLAN_A_MAX + 1], *cb[FLOWPLAN_COUNTER_A_MAX + 1], *a;
	struct fp_nl_counter *nc;
	int rem;

	if (parse_msg(tb, FLOWPLAN_A_MAX, nlh) ||
	    msg_cmd(nlh) != FLOWPLAN_CMD_GET_COUNTERS ||
	    !get_u64(tb[FLOWPLAN_A_UNTRACKED], &c->untracked))
		return fp_fail(err, EPROTO, "counter dump: malformed message");
	if (!tb[FLOWPLAN_A_COUNTERS])
		return 0;
	nla_for_each_nested(a, tb[FLOWPLAN_A_COUNTERS], rem) {
		struct fp_nl_counter *x;

		if (c->n == *cap) {
			size_t k = *cap ? 2 * *cap : 64;

			nc = realloc(c->c, k * sizeof(*nc));
			if (!nc)
				return fp_fail(err, ENOMEM, "counter dump: out of memory");
			c->c = nc;
			*cap = k;
		}
		x = &c->c[c->n];
		if (parse_nested(cb, FLOWPLAN_COUNTER_A_MAX, a) ||
		    !get_addr(cb[FLOWPLAN_COUNTER_A_REMOTE_ADDR], &x->remote) ||
		    !get_u16(cb[FLOWPLAN_COUNTER_A_SPORT], &x->sport) ||
		    !get_u64(cb[FLOWPLAN_COUNTER_A_PACKETS], &x->packets) ||
		    !get_u64(cb[FLOWPLAN_COUNTER_A_BYTES], &x->bytes) ||
		    !get_u64(cb[FLOWPLAN_COUNTER_A_REWRITTEN], &x->rewritten))
			return fp_fail(err, EPROTO, "counter dump: counter %zu: malformed",
				       c->n);
		c->n++;
	}
	return 0;
}

/* ---------------------------------------------------------------- events */

int fp_nlm_event_decode(struct nlmsghdr *nlh, struct fp_nl_event *ev,
			struct fp_err *err)
{
	struct nlattr *tb[FLOWPLAN_A_MAX + 1];
	uint8_t cmd;
	int ret;

	memset(ev, 0, sizeof(*ev));
	if (parse_msg(tb, FLOWPLAN_A_MAX, nlh))
		return fp_fail(err, EPROTO, "event: malformed message");
	cmd = msg_cmd(nlh);
	switch (cmd) {
	case FLOWPLAN_CMD_PLAN_CHANGED:
		ev->kind = FP_NL_EV_PLAN_CHANGED;
		if (!get_u64(tb[FLOWPLAN_A_GENERATION], &ev->generation) ||
		    !get_u32(tb[FLOWPLAN_A_NENTRIES], &ev->nentries))
			return fp_fail(err, EPROTO, "plan event: no generation or entry count");
		return 0;
	case FLOWPLAN_CMD_DEVICE_ADDED:
		ev->kind = FP_NL_EV_DEVICE_ADDED;
		break;
	case FLOWPLAN_CMD_DEVICE_REMOVED:
		ev->kind = FP_NL_EV_DEVICE_REMOVED;
		break;
	case FLOWPLAN_CMD_LINK_CHANGED:
		ev->kind = FP_NL_EV_LINK_CHANGED;
		break;
	case FLOWPLAN_CMD_PORT_CHANGED:
		ev->kind = FP_NL_EV_PORT_CHANGED;
		break;
	default:
		return ENOMSG;
	}
	if (!tb[FLOWPLAN_A_DEVICE])
		return fp_fail(err, EPROTO, "device event: no device");
	ret = fp_nlm_device_decode(tb[FLOWPLAN_A_DEVICE], &ev->dev, err);
	if (!ret && (ev->kind == FP_NL_EV_LINK_CHANGED || ev->kind == FP_NL_EV_PORT_CHANGED) &&
	    ev->dev.nports != 1)
		ret = fp_fail(err, EPROTO, "%s event: %zu ports, not 1",
			      ev->kind == FP_NL_EV_LINK_CHANGED ? "link" : "port", ev->dev.nports);
	else if (!ret && ev->kind == FP_NL_EV_PORT_CHANGED &&
		 ev->dev.ports[0].state == FLOWPLAN_PORT_NOP)
		ret = fp_fail(err, EPROTO, "port event: no port state");
	if (ret)
		fp_nl_event_free(ev);
	return ret;
}
