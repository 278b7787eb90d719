// SPDX-License-Identifier: MIT
/*
 * monitor.c - flowplanctl monitor: the module's events (devices, links,
 * plan changes) as they happen, one line each (-j: one JSON object per
 * line), until interrupted.
 */
#include <stdio.h>
#include <stdlib.h>

#include "flowplanctl.h"
#include "nl.h"
#include "online.h"

static void print_link(struct nlattr *dev)
{
	struct nlattr *tb[FLOWPLAN_DEVICE_A_MAX + 1], *p;
	struct nlattr *pt[FLOWPLAN_PORT_A_MAX + 1];
	const char *nd;
	int rem;

	if (fp_nl_parse_nested(tb, FLOWPLAN_DEVICE_A_MAX, dev) < 0)
		return;
	pr_str("device", "link %s", fp_nla_str(tb[FLOWPLAN_DEVICE_A_NAME]));
	if (!tb[FLOWPLAN_DEVICE_A_PORTS])
		return;
	nla_for_each_nested(p, tb[FLOWPLAN_DEVICE_A_PORTS], rem) {
		if (fp_nl_parse_nested(pt, FLOWPLAN_PORT_A_MAX, p) < 0)
			continue;
		nd = fp_nla_str(pt[FLOWPLAN_PORT_A_NETDEV]);
		pr_u64("port", " port %llu", fp_nla_u32(pt[FLOWPLAN_PORT_A_NUM]));
		pr_str("netdev", " netdev %s", nd);
		pr_str("link", " %s",
		       fp_link_name(fp_nla_u8(pt[FLOWPLAN_PORT_A_LINK])));
		if (pt[FLOWPLAN_PORT_A_STATE])
			pr_str("state", " (port %s)",
			       fp_port_state_name(fp_nla_u8(pt[FLOWPLAN_PORT_A_STATE])));
		break;
	}
}

static int on_event(uint8_t cmd, struct nlattr **tb, void *arg)
{
	(void)arg;
	switch (cmd) {
	case FLOWPLAN_CMD_PLAN_CHANGED:
		pr_str("event", NULL, "plan");
		pr_u64("generation", "plan changed: generation %llu",
		       fp_nla_u64(tb[FLOWPLAN_A_GENERATION]));
		pr_u64("nentries", ", %llu entries",
		       fp_nla_u32(tb[FLOWPLAN_A_NENTRIES]));
		break;
	case FLOWPLAN_CMD_LINK_CHANGED:
		pr_str("event", NULL, "link");
		if (tb[FLOWPLAN_A_DEVICE])
			print_link(tb[FLOWPLAN_A_DEVICE]);
		break;
	case FLOWPLAN_CMD_DEVICE_ADDED:
	case FLOWPLAN_CMD_DEVICE_REMOVED:
		pr_str("event", NULL, cmd == FLOWPLAN_CMD_DEVICE_ADDED ?
		       "device added" : "device removed");
		pr_text(cmd == FLOWPLAN_CMD_DEVICE_ADDED ? "device added: " :
			"device removed: ");
		if (tb[FLOWPLAN_A_DEVICE]) {
			if (opts.json) {
				pr_obj_open("device");
				fp_print_device(tb[FLOWPLAN_A_DEVICE], false);
				pr_obj_close();
			} else {
				fp_print_device(tb[FLOWPLAN_A_DEVICE], false);
			}
		}
		break;
	default:
		return 0;
	}
	if (cmd != FLOWPLAN_CMD_DEVICE_ADDED && cmd != FLOWPLAN_CMD_DEVICE_REMOVED)
		pr_text("\n");
	/* One line per event, visible at once even in a pipe or a file. */
	pr_end();
	pr_start();
	fflush(stdout);
	return 0;
}

static int monitor(int argc, char **argv)
{
	struct fp_nl nl;

	(void)argv;
	if (argc)
		return fp_err("monitor takes no argument");
	if (fp_nl_open(&nl))
		return 1;
	if (fp_nl_subscribe(&nl)) {
		fp_nl_close(&nl);
		return 1;
	}
	/* Runs until a signal ends the process or the socket fails. */
	fp_nl_listen(&nl, on_event, NULL);
	fp_nl_close(&nl);
	return 1;
}

int cmd_monitor(int argc, char **argv)
{
	if (argc && fp_matches(argv[0], "help")) {
		fprintf(stderr, "Usage:\n  flowplanctl monitor\n");
		return 0;
	}
	return monitor(argc, argv);
}
