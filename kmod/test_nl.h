/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_nl.h - a netlink client inside the kernel for the KUnit suites: a
 * generic netlink socket with a file (so that genetlink checks its
 * opener's capabilities, as for a process), requests, acks with their
 * extack message, dumps and events.
 */
#ifndef _FLOWPLAN_TEST_NL_H
#define _FLOWPLAN_TEST_NL_H

#include <linux/types.h>
#include <net/netlink.h>

struct fp_tnl {
	struct socket *sock;
	struct file *file;
	struct cred *cred;	/* without CAP_NET_ADMIN: a user's socket */
	u32 portid;
	u16 family;
	u32 events;		/* the events group's id */
	u32 seq;
	struct sk_buff *msg;	/* the request being built */
	char extack[128];	/* the last ack's message, "" if none */
	void *buf;		/* receive buffer */
};

#define FP_TNL_BUF	(128 * 1024)

/*
 * Open a socket bound to @portid (0: any) whose opener has CAP_NET_ADMIN
 * or not (@admin), and find the flowplan family. 0 or -errno.
 */
int fp_tnl_open(struct fp_tnl *t, u32 portid, bool admin);
/* Close it for good: the socket is released before this returns. */
void fp_tnl_close(struct fp_tnl *t);
/* Start a request for @cmd; attributes then go into t->msg. */
int fp_tnl_start(struct fp_tnl *t, u8 cmd, u16 flags);
/* Send it and read its ack: 0 or the -errno the kernel answered. */
int fp_tnl_do(struct fp_tnl *t);
/*
 * Send a dump request (started with NLM_F_DUMP) and call @cb on every
 * reply message's attributes (@attrs, @len bytes) until NLMSG_DONE.
 * Returns 0, the dump's -errno, or the first non-zero @cb return.
 */
int fp_tnl_dump(struct fp_tnl *t,
		int (*cb)(void *arg, const struct nlmsghdr *nlh,
			  const struct nlattr *attrs, int len),
		void *arg);
/* Join the events group. */
int fp_tnl_join_events(struct fp_tnl *t);
/* The next event waiting (its genl command), -EAGAIN when none. */
int fp_tnl_event(struct fp_tnl *t);

#endif
