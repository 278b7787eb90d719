// SPDX-License-Identifier: MIT
/*
 * kmod_nl.c - flowplan.ko through lib/core's netlink client (kmod.h), and
 * the generic netlink controller's "notify" group, which says when the
 * flowplan family is registered or unregistered (insmod, rmmod): the
 * daemon reconnects and resynchronises on NEWFAMILY, as mptcpd's path
 * manager does for its family.
 *
 * Requests and events go through two clients: the kernel multicasts
 * PLAN_CHANGED to the events group before it acknowledges the SET_PLAN
 * that caused it, so on one socket the event would come in the middle of
 * the request's replies.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/flowplan.h>

#include "core/nlclient.h"
#include "kmod_nl.h"

struct kmod_nl {
	struct fp_nlc *nlc;	/* requests */
	struct fp_nlc *ev;	/* subscribed to the events group, nothing else */
	struct nl_sock *watch;
	bool changed, present;
};

static int km_open(void *ctx, struct fp_err *err)
{
	struct kmod_nl *k = ctx;
	int ret;

	/* events first: none is missed between them and reading the plan */
	k->ev = fp_nlc_open(err);
	if (!k->ev)
		return errno;
	ret = fp_nlc_subscribe(k->ev, err);
	if (ret)
		goto fail;
	k->nlc = fp_nlc_open(err);
	if (!k->nlc) {
		ret = errno;
		goto fail;
	}
	return 0;
fail:
	fp_nlc_close(k->ev);
	k->ev = NULL;
	return ret;
}

static void km_close(void *ctx)
{
	struct kmod_nl *k = ctx;

	fp_nlc_close(k->nlc);
	fp_nlc_close(k->ev);
	k->nlc = k->ev = NULL;
}

static int km_get_plan(void *ctx, struct fp_hostplan *hp, struct fp_err *err)
{
	return fp_nlc_get_plan(((struct kmod_nl *)ctx)->nlc, hp, err);
}

static int km_set_plan(void *ctx, const struct fp_hostplan *hp, uint64_t gen,
		       struct fp_err *err)
{
	/* each entry carries its own enforce flag */
	return fp_nlc_set_plan(((struct kmod_nl *)ctx)->nlc, hp, gen, false, err);
}

static int km_get_counters(void *ctx, struct fpd_fcount **out, size_t *n, struct fp_err *err)
{
	struct fp_nl_counters c = { 0 };
	size_t i;
	int ret;

	ret = fp_nlc_get_counters(((struct kmod_nl *)ctx)->nlc, &c, err);
	if (ret)
		return ret;
	*out = calloc(c.n + 1, sizeof(**out));
	if (!*out) {
		fp_nl_counters_free(&c);
		return ENOMEM;
	}
	for (i = 0; i < c.n; i++)
		(*out)[i] = (struct fpd_fcount){ .remote = c.c[i].remote, .sport = c.c[i].sport,
						 .bytes = c.c[i].bytes };
	*n = c.n;
	fp_nl_counters_free(&c);
	return 0;
}

static int km_event_fd(void *ctx)
{
	struct kmod_nl *k = ctx;

	return k->ev ? fp_nlc_fd(k->ev) : -1;
}

/*
 * Link-local IPv6 (fe80::/10): every RoCE port has one as GID 0, but a
 * fabric cannot name it (it needs a scope), so it says nothing here.
 */
static bool link_local(const struct fp_addr *a)
{
	return !fp_addr_is_v4(a) && a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

/* Add @a to @ev's addresses, IPv4 before IPv6 (the order they always came in). */
static void ev_add(struct fpd_kev *ev, const struct fp_addr *a)
{
	size_t i;

	if (link_local(a))
		return;
	if (ev->naddrs == FPD_KEV_ADDRS) {
		/* full: an IPv4 address still goes before the IPv6 ones, the last dropped */
		if (!fp_addr_is_v4(a) || fp_addr_is_v4(&ev->addrs[ev->naddrs - 1]))
			return;
		ev->naddrs--;
	}
	i = ev->naddrs;
	if (fp_addr_is_v4(a))
		while (i > 0 && !fp_addr_is_v4(&ev->addrs[i - 1]))
			i--;
	memmove(&ev->addrs[i + 1], &ev->addrs[i], (ev->naddrs - i) * sizeof(*a));
	ev->addrs[i] = *a;
	ev->naddrs++;
}

/* The IPv4 and IPv6 addresses of netdev @name (they stay while its link is down). */
static void netdev_addrs(const char *name, struct fpd_kev *ev)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		struct fp_addr a;

		if (!i->ifa_addr || strcmp(i->ifa_name, name))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			a = fp_addr_v4(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			memcpy(a.b, ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr, 16);
		else
			continue;
		ev_add(ev, &a);
	}
	freeifaddrs(ifa);
}

void fpd_kmod_nl_event(const struct fp_nl_event *e, struct fpd_kev *ev)
{
	size_t i;

	memset(ev, 0, sizeof(*ev));
	switch (e->kind) {
	case FP_NL_EV_DEVICE_ADDED:
	case FP_NL_EV_DEVICE_REMOVED:
		ev->kind = FPD_KEV_DEVICE;
		break;
	case FP_NL_EV_LINK_CHANGED:
	case FP_NL_EV_PORT_CHANGED:
		ev->kind = FPD_KEV_LINK;
		ev->ib_state = e->kind == FP_NL_EV_PORT_CHANGED;
		if (e->dev.nports) {
			const struct fp_nl_port *p = &e->dev.ports[0];

			ev->port = p->num;
			/* a link event carries no port state (NOP): the link says it */
			ev->up = p->link == FLOWPLAN_LINK_UP &&
				 (!p->state || p->state == FLOWPLAN_PORT_ACTIVE);
			for (i = 0; i < p->ngids; i++)
				ev_add(ev, &p->gids[i].gid);
			/* no GIDs: its netdev's addresses are what they are made of */
			if (!ev->naddrs && p->netdev[0])
				netdev_addrs(p->netdev, ev);
		}
		break;
	case FP_NL_EV_PLAN_CHANGED:
		ev->kind = FPD_KEV_PLAN;
		ev->generation = e->generation;
		ev->nentries = e->nentries;
		break;
	}
	snprintf(ev->dev, sizeof(ev->dev), "%s", e->dev.name);
}

static int km_read_event(void *ctx, struct fpd_kev *ev, struct fp_err *err)
{
	struct kmod_nl *k = ctx;
	struct fp_nl_event e;
	int ret;

	memset(ev, 0, sizeof(*ev));
	ret = fp_nlc_read_event(k->ev, &e, err);
	if (ret)
		return ret;
	fpd_kmod_nl_event(&e, ev);
	fp_nl_event_free(&e);
	return 0;
}

/* ------------------------------------------- the controller's notices */

static int on_ctrl(struct nl_msg *msg, void *arg)
{
	struct kmod_nl *k = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[CTRL_ATTR_MAX + 1];

	if (genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, NULL) || !tb[CTRL_ATTR_FAMILY_NAME])
		return NL_OK;
	if (strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), FLOWPLAN_GENL_NAME))
		return NL_OK;
	if (gh->cmd == CTRL_CMD_NEWFAMILY) {
		k->changed = true;
		k->present = true;
	} else if (gh->cmd == CTRL_CMD_DELFAMILY) {
		k->changed = true;
		k->present = false;
	}
	return NL_OK;
}

static int km_watch_fd(void *ctx)
{
	struct kmod_nl *k = ctx;

	return k->watch ? nl_socket_get_fd(k->watch) : -1;
}

static int km_read_watch(void *ctx, bool *changed, bool *present)
{
	struct kmod_nl *k = ctx;
	int ret;

	k->changed = false;
	do
		ret = nl_recvmsgs_default(k->watch);
	while (ret >= 0);
	*changed = k->changed;
	*present = k->present;
	if (ret == -NLE_NOMEM) {
		/* notices were lost: ask whether the family is there */
		*changed = true;
		*present = genl_ctrl_resolve(k->watch, FLOWPLAN_GENL_NAME) >= 0;
	}
	return 0;
}

static const struct fpd_kmod_ops ops = {
	.open = km_open, .close = km_close, .get_plan = km_get_plan,
	.set_plan = km_set_plan, .get_counters = km_get_counters,
	.event_fd = km_event_fd, .read_event = km_read_event,
	.watch_fd = km_watch_fd, .read_watch = km_read_watch,
};

const struct fpd_kmod_ops *fpd_kmod_nl(void **ctx, struct fp_err *err)
{
	struct kmod_nl *k = calloc(1, sizeof(*k));
	int grp;

	if (!k) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return NULL;
	}
	k->watch = nl_socket_alloc();
	if (!k->watch || genl_connect(k->watch)) {
		snprintf(err->msg, sizeof(err->msg), "generic netlink: cannot connect");
		goto fail;
	}
	grp = genl_ctrl_resolve_grp(k->watch, "nlctrl", "notify");
	if (grp < 0 || nl_socket_add_membership(k->watch, grp)) {
		snprintf(err->msg, sizeof(err->msg),
			 "generic netlink: cannot join the controller's notify group");
		goto fail;
	}
	nl_socket_disable_seq_check(k->watch);
	nl_socket_modify_cb(k->watch, NL_CB_VALID, NL_CB_CUSTOM, on_ctrl, k);
	nl_socket_set_nonblocking(k->watch);
	*ctx = k;
	return &ops;
fail:
	if (k->watch)
		nl_socket_free(k->watch);
	free(k);
	return NULL;
}

void fpd_kmod_nl_free(void *ctx)
{
	struct kmod_nl *k = ctx;

	if (!k)
		return;
	fp_nlc_close(k->nlc);
	fp_nlc_close(k->ev);
	nl_socket_free(k->watch);
	free(k);
}
