// SPDX-License-Identifier: MIT
/* nl.c - libnl-genl-3 plumbing for flowplanctl's online commands. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "flowplanctl.h"
#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* The largest attribute set of any nest the family sends. */
#define FP_NL_MAXATTR 16

struct fp_nl_req {
	fp_nl_reply_fn fn;
	void *arg;
	const char *what;
	int err;		/* errno from the kernel or the callback */
	bool done;
	char extack[256];
};

int fp_nl_open(struct fp_nl *nl)
{
	int one = 1, ret;

	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return fp_err("cannot allocate a netlink socket");
	ret = genl_connect(nl->sk);
	if (ret < 0) {
		fp_err("cannot open a generic netlink socket: %s", nl_geterror(ret));
		goto err;
	}
	/* Error messages from the kernel, and no echo of our request. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, FLOWPLAN_GENL_NAME);
	if (nl->family < 0) {
		if (nl->family == -NLE_OBJ_NOTFOUND)
			fp_err("flowplan module not loaded (modprobe flowplan / insmod flowplan.ko)");
		else
			fp_err("cannot resolve the \"%s\" family: %s",
			       FLOWPLAN_GENL_NAME, nl_geterror(nl->family));
		goto err;
	}
	return 0;
err:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return 1;
}

void fp_nl_close(struct fp_nl *nl)
{
	nl_socket_free(nl->sk);
	nl->sk = NULL;
}

struct nl_msg *fp_nl_msg(struct fp_nl *nl, uint8_t cmd, bool dump)
{
	struct nl_msg *msg = nlmsg_alloc_size(65536 + 4096);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 dump ? NLM_F_DUMP : 0, cmd, FLOWPLAN_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int fp_nl_valid(struct nl_msg *msg, void *arg)
{
	struct fp_nl_req *req = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[FLOWPLAN_A_MAX + 1];
	int ret;

	ret = genlmsg_parse(nlh, 0, tb, FLOWPLAN_A_MAX, NULL);
	if (ret < 0) {
		req->err = EBADMSG;
		return NL_STOP;
	}
	if (!req->fn)
		return NL_OK;
	ret = req->fn(tb, nlh->nlmsg_flags & NLM_F_DUMP_INTR, req->arg);
	if (ret) {
		req->err = ret;
		return NL_STOP;
	}
	return NL_OK;
}

/* The kernel's reason, from the extended ACK attributes after the error. */
static void fp_nl_extack(struct nlmsgerr *e, struct fp_nl_req *req)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = NLMSG_HDRLEN + sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (off >= nlh->nlmsg_len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + off),
		      nlh->nlmsg_len - off, NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG] && fp_nla_str(tb[NLMSGERR_ATTR_MSG]))
		snprintf(req->extack, sizeof(req->extack), "%s",
			 fp_nla_str(tb[NLMSGERR_ATTR_MSG]));
}

static int fp_nl_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct fp_nl_req *req = arg;

	(void)who;
	req->err = -e->error;
	fp_nl_extack(e, req);
	req->done = true;
	return NL_STOP;
}

static int fp_nl_finish(struct nl_msg *msg, void *arg)
{
	struct fp_nl_req *req = arg;

	(void)msg;
	req->done = true;
	return NL_SKIP;
}

static int fp_nl_ack(struct nl_msg *msg, void *arg)
{
	struct fp_nl_req *req = arg;

	(void)msg;
	req->done = true;
	return NL_STOP;
}

/* Keep going past NLM_F_DUMP_INTR: the reply callback sees the flag. */
static int fp_nl_intr(struct nl_msg *msg, void *arg)
{
	return fp_nl_valid(msg, arg);
}

static struct nl_cb *fp_nl_cb(struct fp_nl_req *req)
{
	struct nl_cb *cb = nl_cb_alloc(opts.debug ? NL_CB_DEBUG : NL_CB_DEFAULT);

	if (!cb)
		return NULL;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, fp_nl_valid, req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, fp_nl_finish, req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, fp_nl_ack, req);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, fp_nl_intr, req);
	nl_cb_err(cb, NL_CB_CUSTOM, fp_nl_error, req);
	return cb;
}

int fp_nl_request(struct fp_nl *nl, struct nl_msg *msg, const char *what,
		  fp_nl_reply_fn fn, void *arg)
{
	struct fp_nl_req req = { .fn = fn, .arg = arg, .what = what };
	struct nl_cb *cb = fp_nl_cb(&req);
	int ret;

	if (!cb) {
		nlmsg_free(msg);
		return fp_err("%s: out of memory", what);
	}
	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		nl_cb_put(cb);
		return fp_err("%s: cannot send: %s", what, nl_geterror(ret));
	}
	while (!req.done && !req.err) {
		ret = nl_recvmsgs(nl->sk, cb);
		/* The kernel's own error (and reason) beats libnl's mapping. */
		if (req.err || req.done)
			break;
		if (ret < 0) {
			nl_cb_put(cb);
			return fp_err("%s: %s", what, nl_geterror(ret));
		}
	}
	nl_cb_put(cb);
	if (req.err) {
		fp_err("%s: %s", what, strerror(req.err));
		if (req.extack[0])
			fprintf(stderr, "kernel reports: %s\n", req.extack);
		return 1;
	}
	return 0;
}

int fp_nl_subscribe(struct fp_nl *nl)
{
	int grp = genl_ctrl_resolve_grp(nl->sk, FLOWPLAN_GENL_NAME,
					FLOWPLAN_MCGRP_EVENTS);
	int ret;

	if (grp < 0)
		return fp_err("cannot find the \"%s\" group: %s",
			      FLOWPLAN_MCGRP_EVENTS, nl_geterror(grp));
	ret = nl_socket_add_membership(nl->sk, grp);
	if (ret < 0)
		return fp_err("cannot join the \"%s\" group: %s",
			      FLOWPLAN_MCGRP_EVENTS, nl_geterror(ret));
	return 0;
}

struct fp_nl_ev {
	int (*fn)(uint8_t cmd, struct nlattr **tb, void *arg);
	void *arg;
	int err;
};

static int fp_nl_event(struct nl_msg *msg, void *arg)
{
	struct fp_nl_ev *ev = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *tb[FLOWPLAN_A_MAX + 1];

	if (genlmsg_parse(nlh, 0, tb, FLOWPLAN_A_MAX, NULL) < 0)
		return NL_SKIP;
	ev->err = ev->fn(g->cmd, tb, ev->arg);
	return ev->err ? NL_STOP : NL_OK;
}

static int fp_nl_no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

int fp_nl_listen(struct fp_nl *nl, int (*fn)(uint8_t cmd, struct nlattr **tb,
					      void *arg), void *arg)
{
	struct fp_nl_ev ev = { .fn = fn, .arg = arg };
	struct nl_cb *cb = nl_cb_alloc(opts.debug ? NL_CB_DEBUG : NL_CB_DEFAULT);
	int ret;

	if (!cb)
		return fp_err("monitor: out of memory");
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, fp_nl_event, &ev);
	/* Events are not answers to a request: no sequence numbers to check. */
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, fp_nl_no_seq_check, NULL);
	for (;;) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && ret != -NLE_INTR && ret != -NLE_NOMEM) {
			fp_err("monitor: %s", nl_geterror(ret));
			break;
		}
		if (ev.err)
			break;
	}
	nl_cb_put(cb);
	return 1;
}

int fp_nl_parse_nested(struct nlattr **tb, int max, struct nlattr *nest)
{
	if (max > FP_NL_MAXATTR)
		return -1;
	return nla_parse_nested(tb, max, nest, NULL);
}

uint8_t fp_nla_u8(const struct nlattr *a)
{
	return a && nla_len(a) >= 1 ? nla_get_u8((struct nlattr *)a) : 0;
}

uint16_t fp_nla_u16(const struct nlattr *a)
{
	return a && nla_len(a) >= 2 ? nla_get_u16((struct nlattr *)a) : 0;
}

uint32_t fp_nla_u32(const struct nlattr *a)
{
	return a && nla_len(a) >= 4 ? nla_get_u32((struct nlattr *)a) : 0;
}

uint64_t fp_nla_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	if (a && nla_len(a) >= 8)
		memcpy(&v, nla_data(a), sizeof(v));
	return v;
}

const char *fp_nla_in_addr(const struct nlattr *a, char *buf)
{
	if (!a || nla_len(a) != 4)
		return "-";
	return inet_ntop(AF_INET, nla_data(a), buf, INET_ADDRSTRLEN);
}

const char *fp_nla_str(const struct nlattr *a)
{
	const char *s;
	int n;

	if (!a)
		return NULL;
	s = nla_data(a);
	n = nla_len(a);
	if (n < 1 || s[n - 1])
		return NULL;
	return s;
}

int fp_nl_once(uint8_t cmd, bool dump, const char *what, fp_nl_reply_fn fn, void *arg)
{
	struct nl_msg *msg;
	struct fp_nl nl;
	int rc;

	if (fp_nl_open(&nl))
		return 1;
	msg = fp_nl_msg(&nl, cmd, dump);
	if (!msg) {
		fp_nl_close(&nl);
		return fp_err("out of memory");
	}
	rc = fp_nl_request(&nl, msg, what, fn, arg);
	fp_nl_close(&nl);
	return rc;
}
