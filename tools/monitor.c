// SPDX-License-Identifier: MIT
/*
 * monitor.c - flowplanctl monitor: the module's events (devices, links,
 * ports' IB states, plan changes) as they happen, one line each (-j: one
 * JSON object per line), until interrupted.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "core/nlclient.h"
#include "flowplanctl.h"

static void print_event(const struct fp_nl_event *ev)
{
	const struct fp_nl_port *p = ev->dev.nports ? &ev->dev.ports[0] : NULL;
	bool link;

	switch (ev->kind) {
	case FP_NL_EV_PLAN_CHANGED:
		pr_str("event", NULL, "plan");
		pr_u64("generation", "plan changed: generation %llu", ev->generation);
		pr_u64("nentries", ", %llu entries\n", ev->nentries);
		break;
	case FP_NL_EV_LINK_CHANGED:
	case FP_NL_EV_PORT_CHANGED:
		/* "link ... down" (the netdev), "port ... state DOWN link down" (the RDMA core) */
		link = ev->kind == FP_NL_EV_LINK_CHANGED;
		pr_str("event", NULL, link ? "link" : "port");
		pr_str("device", link ? "link %s" : "port %s", ev->dev.name);
		pr_u64("port", " port %llu", p->num);
		if (p->netdev[0])
			pr_str("netdev", " netdev %s", p->netdev);
		else
			pr_null("netdev", " netdev %s");
		if (!link)
			pr_str("state", " state %s", port_state_name(p->state));
		pr_str("link", link ? " %s\n" : " link %s\n", link_name(p->link));
		break;
	case FP_NL_EV_DEVICE_ADDED:
	case FP_NL_EV_DEVICE_REMOVED:
		pr_str("event", NULL, ev->kind == FP_NL_EV_DEVICE_ADDED ?
		       "device added" : "device removed");
		pr_text(ev->kind == FP_NL_EV_DEVICE_ADDED ? "device added: " :
			"device removed: ");
		pr_obj_open("device");
		print_device(&ev->dev, false);
		pr_obj_close();
		break;
	}
	/* One line per event, visible at once even in a pipe or a file. */
	pr_flush();
}

static int watch(int argc, char **argv)
{
	struct fp_nl_event ev;
	struct fp_nlc *nlc;
	struct fp_err err;
	struct pollfd pfd;
	int ret;

	(void)argv;
	if (argc)
		return fp_err("monitor takes no argument");
	nlc = ctl_nlc_open();
	if (!nlc)
		return 1;
	if (fp_nlc_subscribe(nlc, &err)) {
		fp_nlc_close(nlc);
		return fp_err("monitor: %s", err.msg);
	}
	pfd = (struct pollfd){ .fd = fp_nlc_fd(nlc), .events = POLLIN };
	/* Runs until a signal ends the process or the socket fails. */
	for (;;) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			fp_fail(&err, errno, "%s", strerror(errno));
			break;
		}
		while (!(ret = fp_nlc_read_event(nlc, &ev, &err))) {
			print_event(&ev);
			fp_nl_event_free(&ev);
		}
		if (ret == EAGAIN)
			continue;
		/* Lost events or one malformed: said, and monitoring goes on. */
		if (ret == ENOBUFS || ret == EPROTO) {
			fp_err("monitor: %s", err.msg);
			continue;
		}
		break;
	}
	fp_nlc_close(nlc);
	return fp_err("monitor: %s", err.msg);
}

int cmd_monitor(int argc, char **argv)
{
	if (argc && fp_matches(argv[0], "help")) {
		fprintf(stderr, "Usage:\n  flowplanctl monitor\n");
		return 0;
	}
	return watch(argc, argv);
}
