// SPDX-License-Identifier: MIT
/* nltest.c - raw generic netlink for the qemu test programs. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/flowplan.h>

#include "nltest.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NLA_OK_LEN(a, rem) \
	((rem) >= (int)sizeof(struct nlattr) && (a)->nla_len >= sizeof(struct nlattr) && \
	 (a)->nla_len <= (rem))

bool nlt_ok(const struct nlattr *a, int rem)
{
	return NLA_OK_LEN(a, rem);
}

const struct nlattr *nlt_next(const struct nlattr *a, int *rem)
{
	*rem -= NLA_ALIGN(a->nla_len);
	return (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
}

const void *nlt_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

int nlt_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

uint16_t nlt_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

uint32_t nlt_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	memcpy(&v, nlt_data(a), nlt_len(a) < 4 ? (size_t)nlt_len(a) : 4);
	return v;
}

uint64_t nlt_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	memcpy(&v, nlt_data(a), nlt_len(a) < 8 ? (size_t)nlt_len(a) : 8);
	return v;
}

void *nlt_room(struct nlt *t, size_t n)
{
	void *p;

	if (t->len + NLA_ALIGN(n) > NLT_BUF)
		return NULL;
	p = t->buf + t->len;
	memset(p, 0, NLA_ALIGN(n));
	t->len += NLA_ALIGN(n);
	return p;
}

void nlt_start(struct nlt *t, uint16_t type, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	t->len = 0;
	nlh = nlt_room(t, NLMSG_HDRLEN);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++t->seq;
	g = nlt_room(t, GENL_HDRLEN);
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 2 : FLOWPLAN_GENL_VERSION;
}

void nlt_put(struct nlt *t, uint16_t type, const void *data, size_t n)
{
	struct nlattr *a = nlt_room(t, NLA_HDRLEN + n);

	if (!a)
		return;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + n;
	if (n)
		memcpy((char *)a + NLA_HDRLEN, data, n);
}

void nlt_put_u16(struct nlt *t, uint16_t type, uint16_t v)
{
	nlt_put(t, type, &v, sizeof(v));
}

void nlt_put_u32(struct nlt *t, uint16_t type, uint32_t v)
{
	nlt_put(t, type, &v, sizeof(v));
}

void nlt_put_u64(struct nlt *t, uint16_t type, uint64_t v)
{
	nlt_put(t, type, &v, sizeof(v));
}

size_t nlt_nest_start(struct nlt *t, uint16_t type)
{
	struct nlattr *a = nlt_room(t, NLA_HDRLEN);

	if (!a)
		return 0;
	a->nla_type = type;
	return t->len - NLA_HDRLEN;
}

void nlt_nest_end(struct nlt *t, size_t off)
{
	struct nlattr *a = (struct nlattr *)(t->buf + off);

	if (off)
		a->nla_len = t->len - off;
}

int nlt_send(struct nlt *t, bool raw)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh = (struct nlmsghdr *)t->buf;

	if (!raw)
		nlh->nlmsg_len = t->len;
	if (sendto(t->fd, t->buf, t->len, 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0)
		return -errno;
	return (int)nlh->nlmsg_seq;
}

static void nlt_note_extack(struct nlt *t, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = NLMSG_DATA(nlh);
	const struct nlattr *a;
	int off = sizeof(*err), rem;

	t->extack[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - NLMSG_HDRLEN;
	rem = (int)nlh->nlmsg_len - NLMSG_HDRLEN - off;
	for (a = (const struct nlattr *)((const char *)err + off);
	     nlt_ok(a, rem); a = nlt_next(a, &rem))
		if (nlt_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(t->extack, sizeof(t->extack), "%.*s",
				 nlt_len(a), (const char *)nlt_data(a));
}

/* Read until request @seq is answered; @cb gets its data replies. */
static int nlt_answer(struct nlt *t, uint32_t seq,
		      int (*cb)(void *arg, const struct nlattr *a, int len),
		      void *arg)
{
	struct pollfd p = { .fd = t->fd, .events = POLLIN };
	const struct nlmsghdr *nlh;
	int n, ret = 0, err;

	for (;;) {
		if (poll(&p, 1, 20000) != 1)
			return -ETIMEDOUT;
		n = recv(t->fd, t->rbuf, NLT_BUF, 0);
		if (n < 0)
			return -errno;
		for (nlh = (const struct nlmsghdr *)t->rbuf;
		     NLMSG_OK(nlh, (unsigned int)n); nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = ((const struct nlmsgerr *)NLMSG_DATA(nlh))->error;
				nlt_note_extack(t, nlh);
				return err ? err : ret;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
				if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
					nlt_note_extack(t, nlh);
				return ret ? ret : err;
			}
			if (cb && !ret)
				ret = cb(arg, (const struct nlattr *)
					 ((const char *)NLMSG_DATA(nlh) + GENL_HDRLEN),
					 (int)nlh->nlmsg_len - NLMSG_HDRLEN -
					 GENL_HDRLEN);
		}
	}
}

int nlt_ack(struct nlt *t, uint32_t seq)
{
	t->extack[0] = '\0';
	return nlt_answer(t, seq, NULL, NULL);
}

int nlt_do(struct nlt *t)
{
	int seq = nlt_send(t, false);

	return seq < 0 ? seq : nlt_ack(t, (uint32_t)seq);
}

int nlt_dump(struct nlt *t,
	     int (*cb)(void *arg, const struct nlattr *a, int len), void *arg)
{
	int seq = nlt_send(t, false);

	t->extack[0] = '\0';
	return seq < 0 ? seq : nlt_answer(t, (uint32_t)seq, cb, arg);
}

static int nlt_family_cb(void *arg, const struct nlattr *a, int len)
{
	struct nlt *t = arg;

	for (; nlt_ok(a, len); a = nlt_next(a, &len))
		if (nlt_type(a) == CTRL_ATTR_FAMILY_ID)
			t->family = *(const uint16_t *)nlt_data(a);
	return 0;
}

int nlt_open(struct nlt *t)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t sl = sizeof(sa);
	int one = 1, size = 4 << 20, ret;

	memset(t, 0, sizeof(*t));
	t->buf = calloc(1, NLT_BUF);
	t->rbuf = calloc(1, NLT_BUF);
	t->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (!t->buf || !t->rbuf || t->fd < 0 ||
	    bind(t->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(t->fd, (struct sockaddr *)&sa, &sl))
		return -errno;
	t->portid = sa.nl_pid;
	setsockopt(t->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(t->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	nlt_start(t, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	nlt_put(t, CTRL_ATTR_FAMILY_NAME, FLOWPLAN_GENL_NAME,
		sizeof(FLOWPLAN_GENL_NAME));
	ret = nlt_send(t, false);
	if (ret < 0)
		return ret;
	ret = nlt_answer(t, (uint32_t)ret, nlt_family_cb, t);
	if (ret)
		return ret;
	return t->family ? 0 : -ENOENT;
}

void nlt_close(struct nlt *t)
{
	if (t->fd >= 0)
		close(t->fd);
	free(t->buf);
	free(t->rbuf);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}
