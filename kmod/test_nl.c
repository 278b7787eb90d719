// SPDX-License-Identifier: GPL-2.0
/* test_nl.c - a kernel netlink client for the KUnit suites. */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/genetlink.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <linux/flowplan.h>

#include "test_nl.h"

static int fp_tnl_recv(struct fp_tnl *t)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov = { t->buf, FP_TNL_BUF };

	return kernel_recvmsg(t->sock, &msg, &iov, 1, FP_TNL_BUF,
			      MSG_DONTWAIT);
}

static int fp_tnl_send(struct fp_tnl *t)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &to, .msg_namelen = sizeof(to) };
	struct kvec iov = { t->msg->data, t->msg->len };
	const struct cred *old = NULL;
	int ret;

	nlmsg_hdr(t->msg)->nlmsg_len = t->msg->len;
	/*
	 * A message sent to an address is judged by its sender's rights
	 * (genetlink runs it in the sending task): send as a task without
	 * CAP_NET_ADMIN when the socket is a user's.
	 */
	if (t->cred)
		old = override_creds(t->cred);
	ret = kernel_sendmsg(t->sock, &msg, &iov, 1, t->msg->len);
	if (old)
		revert_creds(old);
	kfree_skb(t->msg);
	t->msg = NULL;
	return ret < 0 ? ret : 0;
}

static void fp_tnl_note_extack(struct fp_tnl *t, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = nlmsg_data(nlh);
	const struct nlattr *a;
	int off = sizeof(*err), rem;

	t->extack[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - NLMSG_HDRLEN;
	rem = nlh->nlmsg_len - NLMSG_HDRLEN - off;
	for (a = (const struct nlattr *)((const u8 *)err + off);
	     nla_ok(a, rem); a = nla_next(a, &rem))
		if (nla_type(a) == NLMSGERR_ATTR_MSG)
			strscpy(t->extack, nla_data(a), sizeof(t->extack));
}

/* The answer to request @seq: an ack (-errno or 0) or dump messages. */
static int fp_tnl_answer(struct fp_tnl *t, u32 seq,
			 int (*cb)(void *arg, const struct nlmsghdr *nlh,
				   const struct nlattr *attrs, int len),
			 void *arg)
{
	const struct nlmsghdr *nlh;
	int len, ret = 0;

	for (;;) {
		len = fp_tnl_recv(t);
		if (len < 0)
			return len == -EAGAIN ? -ETIMEDOUT : len;
		for (nlh = t->buf; nlmsg_ok(nlh, len); nlh = nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				fp_tnl_note_extack(t, nlh);
				return ((const struct nlmsgerr *)
					nlmsg_data(nlh))->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
					fp_tnl_note_extack(t, nlh);
				return ret ?: *(const int *)nlmsg_data(nlh);
			}
			if (cb && !ret)
				ret = cb(arg, nlh, (const struct nlattr *)
					 ((const u8 *)nlmsg_data(nlh) +
					  GENL_HDRLEN),
					 nlmsg_len(nlh) - GENL_HDRLEN);
		}
	}
}

static void fp_tnl_ctrl_groups(struct fp_tnl *t, const struct nlattr *grps)
{
	const struct nlattr *g, *a;
	int rem, grem;
	u32 id = 0;
	bool ours;

	nla_for_each_nested(g, grps, rem) {
		ours = false;
		nla_for_each_nested(a, g, grem) {
			if (nla_type(a) == CTRL_ATTR_MCAST_GRP_NAME)
				ours = !strcmp(nla_data(a),
					       FLOWPLAN_MCGRP_EVENTS);
			if (nla_type(a) == CTRL_ATTR_MCAST_GRP_ID)
				id = nla_get_u32(a);
		}
		if (ours)
			t->events = id;
	}
}

static int fp_tnl_ctrl_cb(void *arg, const struct nlmsghdr *nlh,
			  const struct nlattr *attrs, int len)
{
	struct fp_tnl *t = arg;
	const struct nlattr *a;

	for (a = attrs; nla_ok(a, len); a = nla_next(a, &len)) {
		if (nla_type(a) == CTRL_ATTR_FAMILY_ID)
			t->family = nla_get_u16(a);
		if (nla_type(a) == CTRL_ATTR_MCAST_GROUPS)
			fp_tnl_ctrl_groups(t, a);
	}
	return 0;
}

static int fp_tnl_resolve(struct fp_tnl *t)
{
	struct genlmsghdr *g;
	struct nlmsghdr *nlh;
	u32 seq = ++t->seq;
	int ret;

	t->msg = alloc_skb(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!t->msg)
		return -ENOMEM;
	nlh = nlmsg_put(t->msg, t->portid, seq, GENL_ID_CTRL, GENL_HDRLEN,
			NLM_F_REQUEST | NLM_F_ACK);
	g = nlmsg_data(nlh);
	memset(g, 0, GENL_HDRLEN);
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	nla_put_string(t->msg, CTRL_ATTR_FAMILY_NAME, FLOWPLAN_GENL_NAME);
	ret = fp_tnl_send(t);
	if (ret)
		return ret;
	/* A reply message (its attributes), then the ack. */
	ret = fp_tnl_answer(t, seq, fp_tnl_ctrl_cb, t);
	if (ret)
		return ret;
	return t->family ? 0 : -ENOENT;
}

int fp_tnl_open(struct fp_tnl *t, u32 portid, bool admin)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = portid };
	const struct cred *old;
	struct cred *cred;
	int one = 1, ret;

	memset(t, 0, sizeof(*t));
	t->buf = kmalloc(FP_TNL_BUF, GFP_KERNEL);
	if (!t->buf)
		return -ENOMEM;
	ret = sock_create_kern(&init_net, AF_NETLINK, SOCK_RAW,
			       NETLINK_GENERIC, &t->sock);
	if (ret)
		goto err_buf;
	/*
	 * genetlink asks the socket's file whose opener it was: one made
	 * with or without CAP_NET_ADMIN, as a process would have.
	 */
	cred = prepare_creds();
	if (!cred) {
		ret = -ENOMEM;
		goto err_sock;
	}
	if (!admin)
		cap_lower(cred->cap_effective, CAP_NET_ADMIN);
	old = override_creds(cred);
	t->file = sock_alloc_file(t->sock, 0, NULL);
	revert_creds(old);
	if (admin)
		put_cred(cred);
	else
		t->cred = cred;
	if (IS_ERR(t->file)) {
		ret = PTR_ERR(t->file);
		t->sock = NULL;		/* sock_alloc_file() released it */
		goto err_buf;
	}
	ret = kernel_bind(t->sock, (struct sockaddr *)&sa, sizeof(sa));
	if (ret)
		goto err_file;
	ret = kernel_getsockname(t->sock, (struct sockaddr *)&sa);
	if (ret < 0)
		goto err_file;
	t->portid = sa.nl_pid;
	t->sock->ops->setsockopt(t->sock, SOL_NETLINK, NETLINK_EXT_ACK,
				 KERNEL_SOCKPTR(&one), sizeof(one));
	ret = fp_tnl_resolve(t);
	if (ret)
		goto err_file;
	return 0;
err_file:
	fput(t->file);
	flush_delayed_fput();
	if (t->cred)
		put_cred(t->cred);
	kfree(t->buf);
	return ret;
err_sock:
	sock_release(t->sock);
err_buf:
	kfree(t->buf);
	return ret;
}

void fp_tnl_close(struct fp_tnl *t)
{
	kfree_skb(t->msg);
	if (t->file) {
		fput(t->file);
		flush_delayed_fput();
	}
	if (t->cred)
		put_cred(t->cred);
	kfree(t->buf);
	memset(t, 0, sizeof(*t));
}

int fp_tnl_start(struct fp_tnl *t, u8 cmd, u16 flags)
{
	struct genlmsghdr *g;
	struct nlmsghdr *nlh;

	kfree_skb(t->msg);
	t->msg = alloc_skb(FP_TNL_BUF, GFP_KERNEL);
	if (!t->msg)
		return -ENOMEM;
	nlh = nlmsg_put(t->msg, t->portid, ++t->seq, t->family, GENL_HDRLEN,
			NLM_F_REQUEST | NLM_F_ACK | flags);
	g = nlmsg_data(nlh);
	memset(g, 0, GENL_HDRLEN);
	g->cmd = cmd;
	g->version = FLOWPLAN_GENL_VERSION;
	return 0;
}

int fp_tnl_do(struct fp_tnl *t)
{
	u32 seq = t->seq;
	int ret;

	ret = fp_tnl_send(t);
	return ret ?: fp_tnl_answer(t, seq, NULL, NULL);
}

int fp_tnl_dump(struct fp_tnl *t,
		int (*cb)(void *arg, const struct nlmsghdr *nlh,
			  const struct nlattr *attrs, int len),
		void *arg)
{
	u32 seq = t->seq;
	int ret;

	ret = fp_tnl_send(t);
	return ret ?: fp_tnl_answer(t, seq, cb, arg);
}

int fp_tnl_join_events(struct fp_tnl *t)
{
	return t->sock->ops->setsockopt(t->sock, SOL_NETLINK,
					NETLINK_ADD_MEMBERSHIP,
					KERNEL_SOCKPTR(&t->events),
					sizeof(t->events));
}

int fp_tnl_event(struct fp_tnl *t)
{
	const struct nlmsghdr *nlh;
	int len;

	len = fp_tnl_recv(t);
	if (len < 0)
		return len;
	nlh = t->buf;
	if (!nlmsg_ok(nlh, len) || nlh->nlmsg_type != t->family)
		return -EPROTO;
	return ((const struct genlmsghdr *)nlmsg_data(nlh))->cmd;
}
