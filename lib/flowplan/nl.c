// SPDX-License-Identifier: MIT
/*
 * nl.c - the plan table of the flowplan kernel module, read with a
 * FLOWPLAN_CMD_GET_PLAN dump (include/uapi/linux/flowplan.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/flowplan.h>

#include "fp_priv.h"

static struct nla_policy top_policy[FLOWPLAN_A_MAX + 1] = {
	[FLOWPLAN_A_GENERATION] = { .type = NLA_U64 },
	[FLOWPLAN_A_NENTRIES] = { .type = NLA_U32 },
	[FLOWPLAN_A_ENTRIES] = { .type = NLA_NESTED },
};

static struct nla_policy entry_policy[FLOWPLAN_ENTRY_A_MAX + 1] = {
	[FLOWPLAN_ENTRY_A_LOCAL_ADDR] = { .minlen = 4, .maxlen = 4 },
	[FLOWPLAN_ENTRY_A_REMOTE_ADDR] = { .minlen = 4, .maxlen = 4 },
	[FLOWPLAN_ENTRY_A_DQPN] = { .type = NLA_U32 },
	[FLOWPLAN_ENTRY_A_FLAGS] = { .type = NLA_U32 },
	[FLOWPLAN_ENTRY_A_SUBFLOWS] = { .type = NLA_NESTED },
};

static struct nla_policy sub_policy[FLOWPLAN_SUBFLOW_A_MAX + 1] = {
	[FLOWPLAN_SUBFLOW_A_FLOW_LABEL] = { .type = NLA_U32 },
	[FLOWPLAN_SUBFLOW_A_SPORT] = { .type = NLA_U16 },
	[FLOWPLAN_SUBFLOW_A_WEIGHT] = { .type = NLA_U32 },
};

static int nle_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_PERM:
	case NLE_NOACCESS:
		return EPERM;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_INVAL:
		return EINVAL;
	default:
		return EIO;
	}
}

static int parse_subflows(struct nlattr *nest, struct fp_entry *e)
{
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, nest, rem) {
		struct nlattr *tb[FLOWPLAN_SUBFLOW_A_MAX + 1];
		struct fp_pin *p;

		if (e->nsub >= FP_MAX_SUBFLOWS)
			return EPROTO;
		if (nla_parse_nested(tb, FLOWPLAN_SUBFLOW_A_MAX, a,
				     sub_policy) ||
		    !tb[FLOWPLAN_SUBFLOW_A_FLOW_LABEL])
			return EPROTO;
		p = &e->sub[e->nsub++];
		p->flow_label = nla_get_u32(tb[FLOWPLAN_SUBFLOW_A_FLOW_LABEL]);
		p->sport = tb[FLOWPLAN_SUBFLOW_A_SPORT] ?
			   nla_get_u16(tb[FLOWPLAN_SUBFLOW_A_SPORT]) :
			   fp_label_to_sport(p->flow_label);
		p->weight = tb[FLOWPLAN_SUBFLOW_A_WEIGHT] ?
			    nla_get_u32(tb[FLOWPLAN_SUBFLOW_A_WEIGHT]) : 0;
	}
	return 0;
}

static int parse_entry(struct nlattr *a, struct fp_entry *e)
{
	struct nlattr *tb[FLOWPLAN_ENTRY_A_MAX + 1];
	uint32_t wsum = 0;
	unsigned int i;
	int ret;

	memset(e, 0, sizeof(*e));
	if (nla_parse_nested(tb, FLOWPLAN_ENTRY_A_MAX, a, entry_policy))
		return EPROTO;
	if (!tb[FLOWPLAN_ENTRY_A_LOCAL_ADDR] ||
	    !tb[FLOWPLAN_ENTRY_A_REMOTE_ADDR] ||
	    !tb[FLOWPLAN_ENTRY_A_SUBFLOWS] ||
	    nla_len(tb[FLOWPLAN_ENTRY_A_LOCAL_ADDR]) != 4 ||
	    nla_len(tb[FLOWPLAN_ENTRY_A_REMOTE_ADDR]) != 4)
		return EPROTO;
	memcpy(&e->src_addr, nla_data(tb[FLOWPLAN_ENTRY_A_LOCAL_ADDR]), 4);
	memcpy(&e->dst_addr, nla_data(tb[FLOWPLAN_ENTRY_A_REMOTE_ADDR]), 4);
	if (tb[FLOWPLAN_ENTRY_A_DQPN])
		e->dqpn = nla_get_u32(tb[FLOWPLAN_ENTRY_A_DQPN]);
	if (tb[FLOWPLAN_ENTRY_A_FLAGS])
		e->enforce = nla_get_u32(tb[FLOWPLAN_ENTRY_A_FLAGS]) &
			     FLOWPLAN_ENTRY_F_ENFORCE;
	ret = parse_subflows(tb[FLOWPLAN_ENTRY_A_SUBFLOWS], e);
	if (ret || !e->nsub)
		return EPROTO;
	for (i = 0; i < e->nsub; i++)
		if (e->sub[i].flow_label > 0xfffff ||
		    e->sub[i].weight > FP_WEIGHT_ONE)
			return EPROTO;
	/* Weights are optional in the module's table: absent means equal. */
	for (i = 0; i < e->nsub; i++)
		wsum += e->sub[i].weight;
	if (!wsum)
		for (i = 0; i < e->nsub; i++)
			e->sub[i].weight = FP_WEIGHT_ONE / e->nsub +
					   (i < FP_WEIGHT_ONE % e->nsub);
	return 0;
}

int fp_nl_plan_msg(struct nlmsghdr *nlh, struct fp_nl_dump *d)
{
	struct nlattr *tb[FLOWPLAN_A_MAX + 1], *a;
	int rem;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->intr = true;
	if (genlmsg_parse(nlh, 0, tb, FLOWPLAN_A_MAX, top_policy))
		return fp_fail(d->e, EPROTO, "netlink: malformed plan message");
	if (tb[FLOWPLAN_A_GENERATION])
		d->t->generation = nla_get_u64(tb[FLOWPLAN_A_GENERATION]);
	if (!tb[FLOWPLAN_A_ENTRIES])
		return 0;
	nla_for_each_nested(a, tb[FLOWPLAN_A_ENTRIES], rem) {
		int err;

		if (d->t->n == d->cap) {
			size_t cap = d->cap ? 2 * d->cap : 16;
			void *e = realloc(d->t->e, cap * sizeof(*d->t->e));

			if (!e)
				return ENOMEM;
			d->t->e = e;
			d->cap = cap;
		}
		err = parse_entry(a, &d->t->e[d->t->n]);
		if (err)
			return fp_fail(d->e, err,
				       "netlink: malformed plan entry %zu",
				       d->t->n);
		d->t->n++;
	}
	return 0;
}

static int dump_cb(struct nl_msg *msg, void *arg)
{
	struct fp_nl_dump *d = arg;

	d->err = fp_nl_plan_msg(nlmsg_hdr(msg), d);
	return d->err ? NL_STOP : NL_OK;
}

static int dump_once(struct nl_sock *sk, int family, struct fp_nl_dump *d)
{
	struct nl_msg *msg;
	int ret;

	msg = nlmsg_alloc();
	if (!msg)
		return ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP,
			 FLOWPLAN_CMD_GET_PLAN, FLOWPLAN_GENL_VERSION)) {
		nlmsg_free(msg);
		return ENOMEM;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, dump_cb, d);
	ret = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (ret < 0)
		return nle_errno(ret);
	ret = nl_recvmsgs_default(sk);
	if (d->err)
		return d->err;
	if (ret < 0)
		return nle_errno(ret);
	return 0;
}

int fp_nl_get_plan(struct fp_entries *t, struct fp_err *err)
{
	struct nl_sock *sk;
	int family, ret = 0, tries;

	memset(t, 0, sizeof(*t));
	sk = nl_socket_alloc();
	if (!sk)
		return ENOMEM;
	if (genl_connect(sk)) {
		ret = ENOENT;
		goto out;
	}
	family = genl_ctrl_resolve(sk, FLOWPLAN_GENL_NAME);
	if (family < 0) {
		ret = ENOENT;		/* module not loaded */
		goto out;
	}
	for (tries = 0; tries < 5; tries++) {
		struct fp_nl_dump d = { .t = t, .e = err };

		free(t->e);
		memset(t, 0, sizeof(*t));
		ret = dump_once(sk, family, &d);
		if (ret || !d.intr)
			break;
		ret = EAGAIN;
	}
	if (ret && ret != ENOENT)
		fp_fail(err, ret, "netlink: %s dump failed: %s",
			FLOWPLAN_GENL_NAME, strerror(ret));
out:
	nl_socket_free(sk);
	if (ret) {
		free(t->e);
		memset(t, 0, sizeof(*t));
	}
	return ret;
}
