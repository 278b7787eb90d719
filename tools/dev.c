// SPDX-License-Identifier: MIT
/* dev.c - flowplanctl device show: RDMA devices, ports, GIDs, netdevs. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "flowplanctl.h"
#include "nl.h"
#include "online.h"

const char *fp_port_state_name(uint8_t s)
{
	static const char *const names[] = {
		[FLOWPLAN_PORT_NOP] = "NOP",
		[FLOWPLAN_PORT_DOWN] = "DOWN",
		[FLOWPLAN_PORT_INIT] = "INIT",
		[FLOWPLAN_PORT_ARMED] = "ARMED",
		[FLOWPLAN_PORT_ACTIVE] = "ACTIVE",
		[FLOWPLAN_PORT_ACTIVE_DEFER] = "ACTIVE_DEFER",
	};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *fp_link_name(uint8_t l)
{
	switch (l) {
	case FLOWPLAN_LINK_UP:
		return "up";
	case FLOWPLAN_LINK_DOWN:
		return "down";
	default:
		return "unknown";
	}
}

static const char *gid_type_name(uint8_t t)
{
	switch (t) {
	case FLOWPLAN_GID_IB:
		return "IB";
	case FLOWPLAN_GID_ROCE_V1:
		return "RoCEv1";
	case FLOWPLAN_GID_ROCE_V2:
		return "RoCEv2";
	default:
		return "?";
	}
}

static void print_gids(struct nlattr *gids)
{
	struct nlattr *tb[FLOWPLAN_GID_A_MAX + 1], *g;
	char buf[INET6_ADDRSTRLEN];
	int rem;

	pr_arr_open("gids", NULL);
	nla_for_each_nested(g, gids, rem) {
		if (fp_nl_parse_nested(tb, FLOWPLAN_GID_A_MAX, g) < 0)
			continue;
		if (!tb[FLOWPLAN_GID_A_GID] || nla_len(tb[FLOWPLAN_GID_A_GID]) != 16)
			continue;
		inet_ntop(AF_INET6, nla_data(tb[FLOWPLAN_GID_A_GID]), buf,
			  sizeof(buf));
		pr_obj_open(NULL);
		pr_u64("index", "\t\tgid %llu", fp_nla_u32(tb[FLOWPLAN_GID_A_INDEX]));
		pr_str("gid", " %s", buf);
		pr_str("type", " %s\n", gid_type_name(fp_nla_u8(tb[FLOWPLAN_GID_A_TYPE])));
		pr_obj_close();
	}
	pr_arr_close(NULL);
}

/* One port of a FLOWPLAN_DEVICE_A_PORTS nest, as device show prints it. */
void fp_print_port(struct nlattr *port, bool gids)
{
	struct nlattr *tb[FLOWPLAN_PORT_A_MAX + 1];
	const char *nd;

	if (fp_nl_parse_nested(tb, FLOWPLAN_PORT_A_MAX, port) < 0)
		return;
	nd = fp_nla_str(tb[FLOWPLAN_PORT_A_NETDEV]);
	pr_obj_open(NULL);
	pr_u64("port", "\tport %llu", fp_nla_u32(tb[FLOWPLAN_PORT_A_NUM]));
	pr_str("state", " state %s",
	       fp_port_state_name(fp_nla_u8(tb[FLOWPLAN_PORT_A_STATE])));
	pr_str("link", " link %s",
	       fp_link_name(fp_nla_u8(tb[FLOWPLAN_PORT_A_LINK])));
	if (nd) {
		pr_str("netdev", " netdev %s", nd);
		pr_u64("ifindex", " (ifindex %llu)",
		       fp_nla_u32(tb[FLOWPLAN_PORT_A_IFINDEX]));
	} else {
		pr_null("netdev", " netdev %s");
	}
	pr_text("\n");
	if (gids && tb[FLOWPLAN_PORT_A_GIDS])
		print_gids(tb[FLOWPLAN_PORT_A_GIDS]);
	pr_obj_close();
}

/* The FLOWPLAN_A_DEVICE nest: index, name and ports. */
void fp_print_device(struct nlattr *dev, bool gids)
{
	struct nlattr *tb[FLOWPLAN_DEVICE_A_MAX + 1], *p;
	int rem;

	if (fp_nl_parse_nested(tb, FLOWPLAN_DEVICE_A_MAX, dev) < 0)
		return;
	pr_u64("index", "%llu: ", fp_nla_u32(tb[FLOWPLAN_DEVICE_A_INDEX]));
	pr_str("name", "%s\n", fp_nla_str(tb[FLOWPLAN_DEVICE_A_NAME]));
	if (!tb[FLOWPLAN_DEVICE_A_PORTS])
		return;
	pr_arr_open("ports", NULL);
	nla_for_each_nested(p, tb[FLOWPLAN_DEVICE_A_PORTS], rem)
		fp_print_port(p, gids);
	pr_arr_close(NULL);
}

static int dev_reply(struct nlattr **tb, bool intr, void *arg)
{
	int *n = arg;

	(void)intr;
	if (!tb[FLOWPLAN_A_DEVICE])
		return 0;
	pr_obj_open(NULL);
	fp_print_device(tb[FLOWPLAN_A_DEVICE], true);
	pr_obj_close();
	(*n)++;
	return 0;
}

static int dev_show(int argc, char **argv)
{
	int n = 0, rc;

	(void)argv;
	if (argc)
		return fp_err("device show takes no argument");
	pr_arr_open("devices", NULL);
	rc = fp_nl_once(FLOWPLAN_CMD_GET_DEVICES, true, "device show", dev_reply, &n);
	pr_arr_close(NULL);
	if (!rc && !n)
		pr_text("no RDMA device\n");
	return rc;
}

static const struct fp_cmd cmds[] = {
	{ "show", dev_show, "show" },
	{ NULL, NULL, NULL },
};

int cmd_device(int argc, char **argv)
{
	return fp_dispatch("device", cmds, argc, argv);
}
