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

struct dump {
	struct fp_entries *t;
	size_t cap;
	bool intr;
	int err;
	struct fp_err *e;
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
		if (nla_parse_nested(tb, FLOWPLAN_SUBFLOW_A_MAX, a, NULL) ||
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
	if (nla_parse_nested(tb, FLOWPLAN_ENTRY_A_MAX, a, NULL))
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
	/* Weights are optional in the module's table: absent means equal. */
	for (i = 0; i < e->nsub; i++)
		wsum += e->sub[i].weight;
	if (!wsum)
		for (i = 0; i < e->nsub; i++)
			e->sub[i].weight = FP_WEIGHT_ONE / e->nsub +
					   (i < FP_WEIGHT_ONE % e->nsub);
	return 0;
}

static int dump_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[FLOWPLAN_A_MAX + 1], *a;
	struct dump *d = arg;
	int rem;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->intr = true;
	if (genlmsg_parse(nlh, 0, tb, FLOWPLAN_A_MAX, NULL)) {
		d->err = EPROTO;
		return NL_STOP;
	}
	if (tb[FLOWPLAN_A_GENERATION])
		d->t->generation = nla_get_u64(tb[FLOWPLAN_A_GENERATION]);
	if (!tb[FLOWPLAN_A_ENTRIES])
		return NL_OK;
	nla_for_each_nested(a, tb[FLOWPLAN_A_ENTRIES], rem) {
		if (d->t->n == d->cap) {
			size_t cap = d->cap ? 2 * d->cap : 16;
			void *e = realloc(d->t->e, cap * sizeof(*d->t->e));

			if (!e) {
				d->err = ENOMEM;
				return NL_STOP;
			}
			d->t->e = e;
			d->cap = cap;
		}
		d->err = parse_entry(a, &d->t->e[d->t->n]);
		if (d->err) {
			fp_fail(d->e, d->err,
				"netlink: malformed plan entry %zu", d->t->n);
			return NL_STOP;
		}
		d->t->n++;
	}
	return NL_OK;
}

static int dump_once(struct nl_sock *sk, int family, struct dump *d)
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
		struct dump d = { .t = t, .e = err };

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
