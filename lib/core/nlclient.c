// SPDX-License-Identifier: MIT
/*
 * nlclient.c - the one user-space client of the flowplan generic netlink
 * family: a socket, the family resolved once, one request at a time, the
 * kernel's reasons (extended ACK) kept, libnl's NLE_* codes translated.
 * The messages themselves are nlcodec.c's.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <linux/flowplan.h>

#include "core/nlcodec.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* A plan changing under every dump for this long is refused (EAGAIN). */
#define DUMP_TRIES	5
/* Large enough for the biggest SET_PLAN message and a burst of events. */
#define SOCK_BUF	(1 << 20)

struct fp_nlc {
	struct nl_sock *sk;
	int family;
	bool debug;
	bool subscribed;
	/* Events: the datagram being read and where its next message is. */
	char *evbuf;
	size_t evcap, evlen, evoff;
};

/* libnl's error codes as errno values: here and nowhere else. */
static int nle_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0:
		return 0;
	case NLE_INTR:
		return EINTR;
	case NLE_BAD_SOCK:
		return EBADF;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_EXIST:
		return EEXIST;
	case NLE_INVAL:
		return EINVAL;
	case NLE_RANGE:
		return ERANGE;
	case NLE_MSGSIZE:
	case NLE_MSG_TOOSHORT:
	case NLE_MSG_TRUNC:
	case NLE_MSG_OVERFLOW:
	case NLE_ATTRSIZE:
		return EMSGSIZE;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_NOATTR:
		return ENOENT;
	case NLE_PERM:
	case NLE_NOACCESS:
	case NLE_IMMUTABLE:
		return EPERM;
	case NLE_BUSY:
		return EBUSY;
	case NLE_NODEV:
		return ENODEV;
	case NLE_DUMP_INTR:
		return EAGAIN;
	case NLE_SEQ_MISMATCH:
	case NLE_PROTO_MISMATCH:
	case NLE_PARSE_ERR:
	case NLE_MSGTYPE_NOSUPPORT:
		return EPROTO;
	default:
		return EIO;
	}
}

struct fp_nlc *fp_nlc_open(struct fp_err *err)
{
	struct fp_nlc *nlc;
	int one = 1, ret;

	nlc = calloc(1, sizeof(*nlc));
	if (!nlc) {
		errno = fp_fail(err, ENOMEM, "netlink: out of memory");
		return NULL;
	}
	nlc->sk = nl_socket_alloc();
	if (!nlc->sk) {
		ret = fp_fail(err, ENOMEM, "netlink: out of memory");
		goto fail;
	}
	ret = genl_connect(nlc->sk);
	if (ret < 0) {
		ret = nle_errno(ret);
		fp_fail(err, ret, "cannot open a generic netlink socket: %s",
			strerror(ret));
		goto fail;
	}
	/* The kernel's reasons, and no copy of our request in its errors. */
	setsockopt(nl_socket_get_fd(nlc->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nlc->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	nl_socket_set_buffer_size(nlc->sk, SOCK_BUF, SOCK_BUF);
	nlc->family = genl_ctrl_resolve(nlc->sk, FLOWPLAN_GENL_NAME);
	if (nlc->family < 0) {
		ret = nle_errno(nlc->family);
		if (ret == ENOENT)
			fp_fail(err, ENOENT,
				"flowplan module not loaded (modprobe flowplan / insmod flowplan.ko)");
		else
			fp_fail(err, ret, "cannot resolve the \"%s\" netlink family: %s",
				FLOWPLAN_GENL_NAME, strerror(ret));
		goto fail;
	}
	return nlc;
fail:
	nl_socket_free(nlc->sk);
	free(nlc);
	errno = ret;
	return NULL;
}

void fp_nlc_close(struct fp_nlc *nlc)
{
	if (!nlc)
		return;
	nl_socket_free(nlc->sk);
	free(nlc->evbuf);
	free(nlc);
}

void fp_nlc_set_debug(struct fp_nlc *nlc, bool on)
{
	if (nlc)
		nlc->debug = on;
}

/* --------------------------------------------------------------- requests */

struct req {
	int (*reply)(struct nlmsghdr *nlh, void *arg, struct fp_err *err);
	void *arg;
	struct fp_err *err;
	int error;		/* errno: the kernel's or the reply decoder's */
	bool decoder_failed;	/* @error and @err come from a decoder */
	bool done;
	char extack[256];
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;
	int ret;

	if (!r->reply || r->error)
		return NL_OK;
	ret = r->reply(nlmsg_hdr(msg), r->arg, r->err);
	if (ret) {
		/* Read on to the end of the dump: the socket stays usable. */
		r->error = ret;
		r->decoder_failed = true;
	}
	return NL_OK;
}

/* The kernel's reason: the extended ACK attributes after the error. */
static void extack(struct nlmsgerr *e, struct req *r)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	const char *s;
	int len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (off >= nlh->nlmsg_len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + off),
		      (int)(nlh->nlmsg_len - off), NULL) < 0 ||
	    !tb[NLMSGERR_ATTR_MSG])
		return;
	s = nla_data(tb[NLMSGERR_ATTR_MSG]);
	len = nla_len(tb[NLMSGERR_ATTR_MSG]);
	if (len > 0 && !s[len - 1])
		snprintf(r->extack, sizeof(r->extack), "%s", s);
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct req *r = arg;

	(void)who;
	if (!r->error) {
		r->error = e->error < 0 ? -e->error : EPROTO;
		extack(e, r);
	}
	r->done = true;
	return NL_STOP;
}

static int on_done(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

/*
 * Send @msg (consumed), hand every reply to @reply, wait for the ACK or the
 * end of the dump. Errors: "WHAT: STRERROR[; kernel reports: REASON]".
 */
static int transact(struct fp_nlc *nlc, struct nl_msg *msg, const char *what,
		    int (*reply)(struct nlmsghdr *, void *, struct fp_err *),
		    void *arg, struct fp_err *err)
{
	struct req r = { .reply = reply, .arg = arg, .err = err };
	struct nl_cb *cb;
	int ret;

	if (!msg)
		return fp_fail(err, ENOMEM, "%s: out of memory", what);
	if (nlc->subscribed) {
		/* events would come between the replies: a stream out of step */
		nlmsg_free(msg);
		return fp_fail(err, EINVAL, "%s: this netlink client reads events; "
			       "requests need a client of their own", what);
	}
	cb = nl_cb_alloc(nlc->debug ? NL_CB_DEBUG : NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return fp_fail(err, ENOMEM, "%s: out of memory", what);
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &r);
	/*
	 * A dump flagged inconsistent still reaches the decoder, which sees
	 * NLM_F_DUMP_INTR and asks for another.
	 */
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_valid, &r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_done, &r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &r);
	ret = nl_send_auto(nlc->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		nl_cb_put(cb);
		ret = nle_errno(ret);
		return fp_fail(err, ret, "%s: cannot send: %s", what, strerror(ret));
	}
	while (!r.done) {
		ret = nl_recvmsgs(nlc->sk, cb);
		if (r.done)
			break;
		if (ret < 0) {
			if (!r.error)
				r.error = nle_errno(ret);
			break;
		}
	}
	nl_cb_put(cb);
	if (!r.error)
		return 0;
	if (r.decoder_failed)
		return r.error;		/* @err already says what and where */
	if (r.extack[0])
		return fp_fail(err, r.error, "%s: %s; kernel reports: %s", what,
			       strerror(r.error), r.extack);
	return fp_fail(err, r.error, "%s: %s", what, strerror(r.error));
}

/* ------------------------------------------------------------------ plans */

static int plan_reply(struct nlmsghdr *nlh, void *arg, struct fp_err *err)
{
	return fp_nlm_plan_decode(arg, nlh, err);
}

int fp_nlc_get_plan(struct fp_nlc *nlc, struct fp_hostplan *hp,
		    struct fp_err *err)
{
	struct fp_nlm_plan_dump d;
	int tries, ret;

	fp_hostplan_init(hp);
	if (!nlc)
		return fp_fail(err, EINVAL, "plan show: no netlink client");
	for (tries = 0; tries < DUMP_TRIES; tries++) {
		fp_nlm_plan_dump_init(&d, hp);
		ret = transact(nlc, fp_nlm_request(nlc->family, FLOWPLAN_CMD_GET_PLAN, true),
			       "plan dump", plan_reply, &d, err);
		if (ret)
			goto fail;
		if (!d.intr)
			break;
	}
	if (d.intr) {
		ret = fp_fail(err, EAGAIN, "plan dump: the plan changed during %d dumps",
			      DUMP_TRIES);
		goto fail;
	}
	ret = fp_nlm_plan_dump_end(&d, err);
	if (!ret)
		return 0;
fail:
	fp_hostplan_free(hp);
	return ret;
}

struct set_state {
	struct fp_nlc *nlc;
	struct fp_err *err;
};

static int set_emit(struct nl_msg *msg, void *arg)
{
	struct set_state *s = arg;

	return transact(s->nlc, msg, "plan set", NULL, NULL, s->err);
}

int fp_nlc_set_plan(struct fp_nlc *nlc, const struct fp_hostplan *hp,
		    uint64_t generation, bool enforce_all, struct fp_err *err)
{
	struct set_state s = { .nlc = nlc, .err = err };

	if (!nlc || !hp)
		return fp_fail(err, EINVAL, "plan set: no netlink client or plan");
	return fp_nlm_set_plan_encode(nlc->family, hp, generation, enforce_all,
				      set_emit, &s, err);
}

int fp_nlc_del_plan(struct fp_nlc *nlc, struct fp_err *err)
{
	if (!nlc)
		return fp_fail(err, EINVAL, "plan delete: no netlink client");
	return transact(nlc, fp_nlm_request(nlc->family, FLOWPLAN_CMD_DEL_PLAN, false),
			"plan delete", NULL, NULL, err);
}

/* -------------------------------------------------------------- devices */

struct dev_state {
	struct fp_nl_device *devs;
	size_t n, cap;
	bool intr;
};

static int dev_reply(struct nlmsghdr *nlh, void *arg, struct fp_err *err)
{
	struct dev_state *s = arg;

	return fp_nlm_devices_decode(nlh, &s->devs, &s->n, &s->cap, &s->intr, err);
}

static void device_release(struct fp_nl_device *d)
{
	size_t j;

	for (j = 0; j < d->nports; j++)
		free(d->ports[j].gids);
	free(d->ports);
	memset(d, 0, sizeof(*d));
}

void fp_nl_devices_free(struct fp_nl_device *devs, size_t n)
{
	size_t i;

	if (!devs)
		return;
	for (i = 0; i < n; i++)
		device_release(&devs[i]);
	free(devs);
}

int fp_nlc_get_devices(struct fp_nlc *nlc, struct fp_nl_device **devs,
		       size_t *n, struct fp_err *err)
{
	struct dev_state s;
	int tries, ret;

	*devs = NULL;
	*n = 0;
	if (!nlc)
		return fp_fail(err, EINVAL, "device dump: no netlink client");
	for (tries = 0; tries < DUMP_TRIES; tries++) {
		memset(&s, 0, sizeof(s));
		ret = transact(nlc, fp_nlm_request(nlc->family, FLOWPLAN_CMD_GET_DEVICES, true),
			       "device dump", dev_reply, &s, err);
		if (ret || !s.intr)
			break;
		fp_nl_devices_free(s.devs, s.n);
	}
	if (!ret && s.intr)
		ret = fp_fail(err, EAGAIN, "device dump: devices came and went during %d dumps",
			      DUMP_TRIES);
	if (ret) {
		fp_nl_devices_free(s.devs, s.n);
		return ret;
	}
	*devs = s.devs;
	*n = s.n;
	return 0;
}

/* ------------------------------------------------------------- counters */

struct ctr_state {
	struct fp_nl_counters *c;
	size_t cap;
};

static int ctr_reply(struct nlmsghdr *nlh, void *arg, struct fp_err *err)
{
	struct ctr_state *s = arg;

	return fp_nlm_counters_decode(nlh, s->c, &s->cap, err);
}

void fp_nl_counters_free(struct fp_nl_counters *c)
{
	if (!c)
		return;
	free(c->c);
	memset(c, 0, sizeof(*c));
}

int fp_nlc_get_counters(struct fp_nlc *nlc, struct fp_nl_counters *out,
			struct fp_err *err)
{
	struct ctr_state s = { .c = out };
	int ret;

	memset(out, 0, sizeof(*out));
	if (!nlc)
		return fp_fail(err, EINVAL, "counter dump: no netlink client");
	ret = transact(nlc, fp_nlm_request(nlc->family, FLOWPLAN_CMD_GET_COUNTERS, true),
		       "counter dump", ctr_reply, &s, err);
	if (ret)
		fp_nl_counters_free(out);
	return ret;
}

/* ---------------------------------------------------------------- events */

int fp_nlc_subscribe(struct fp_nlc *nlc, struct fp_err *err)
{
	int grp, ret;

	if (!nlc)
		return fp_fail(err, EINVAL, "events: no netlink client");
	if (nlc->subscribed)
		return 0;
	grp = genl_ctrl_resolve_grp(nlc->sk, FLOWPLAN_GENL_NAME,
				    FLOWPLAN_MCGRP_EVENTS);
	if (grp < 0) {
		ret = nle_errno(grp);
		return fp_fail(err, ret, "cannot find the \"%s\" group: %s",
			       FLOWPLAN_MCGRP_EVENTS, strerror(ret));
	}
	ret = nl_socket_add_membership(nlc->sk, grp);
	if (ret < 0) {
		ret = nle_errno(ret);
		return fp_fail(err, ret, "cannot join the \"%s\" group: %s",
			       FLOWPLAN_MCGRP_EVENTS, strerror(ret));
	}
	ret = nl_socket_set_nonblocking(nlc->sk);
	if (ret < 0) {
		ret = nle_errno(ret);
		return fp_fail(err, ret, "events: %s", strerror(ret));
	}
	nlc->subscribed = true;
	return 0;
}

int fp_nlc_fd(const struct fp_nlc *nlc)
{
	return nlc ? nl_socket_get_fd(nlc->sk) : -1;
}

/* The next datagram into nlc->evbuf, grown to hold it whole. */
static int recv_datagram(struct fp_nlc *nlc, struct fp_err *err)
{
	int fd = nl_socket_get_fd(nlc->sk);
	ssize_t n;
	char *nb;

	for (;;) {
		n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if ((size_t)n > nlc->evcap) {
			nb = realloc(nlc->evbuf, (size_t)n);
			if (!nb)
				return fp_fail(err, ENOMEM, "events: out of memory");
			nlc->evbuf = nb;
			nlc->evcap = (size_t)n;
		}
		n = recv(fd, nlc->evbuf, nlc->evcap, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return EAGAIN;
		if (errno == ENOBUFS)
			return fp_fail(err, ENOBUFS,
				       "events: some were lost (socket overrun); read the state again");
		return fp_fail(err, errno, "events: %s", strerror(errno));
	}
	nlc->evlen = (size_t)n;
	nlc->evoff = 0;
	return 0;
}

int fp_nlc_read_event(struct fp_nlc *nlc, struct fp_nl_event *ev,
		      struct fp_err *err)
{
	int ret;

	memset(ev, 0, sizeof(*ev));
	if (!nlc || !nlc->subscribed)
		return fp_fail(err, EINVAL, "events: not subscribed");
	for (;;) {
		struct nlmsghdr *nlh;
		size_t rem = nlc->evlen - nlc->evoff;

		if (!rem) {
			ret = recv_datagram(nlc, err);
			if (ret)
				return ret;
			continue;
		}
		nlh = (struct nlmsghdr *)(nlc->evbuf + nlc->evoff);
		if (!nlmsg_ok(nlh, (int)rem)) {
			nlc->evoff = nlc->evlen;	/* a torn datagram: dropped */
			continue;
		}
		nlc->evoff += NLMSG_ALIGN(nlh->nlmsg_len) < rem ?
			      NLMSG_ALIGN(nlh->nlmsg_len) : rem;
		if (nlh->nlmsg_type != nlc->family)
			continue;		/* NOOP, DONE, errors: not events */
		if (nlc->debug) {
			struct nl_msg *m = nlmsg_convert(nlh);

			if (m) {
				nl_msg_dump(m, stderr);
				nlmsg_free(m);
			}
		}
		ret = fp_nlm_event_decode(nlh, ev, err);
		if (ret == ENOMSG)
			continue;		/* a newer module's event */
		return ret;
	}
}

void fp_nl_event_free(struct fp_nl_event *ev)
{
	if (ev)
		device_release(&ev->dev);
}
