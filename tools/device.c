// SPDX-License-Identifier: MIT
/* device.c - flowplanctl device show: RDMA devices, ports, GIDs, netdevs. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/flowplan.h>

#include "core/nlclient.h"
#include "flowplanctl.h"

const char *port_state_name(uint8_t s)
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

const char *link_name(uint8_t l)
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

static void print_port(const struct fp_nl_port *p, bool gids)
{
	char buf[INET6_ADDRSTRLEN];
	size_t i;

	pr_obj_open(NULL);
	pr_u64("port", "\tport %llu", p->num);
	pr_str("state", " state %s", port_state_name(p->state));
	pr_str("link", " link %s", link_name(p->link));
	if (p->netdev[0]) {
		pr_str("netdev", " netdev %s", p->netdev);
		pr_u64("ifindex", " (ifindex %llu)", p->ifindex);
	} else {
		pr_null("netdev", " netdev %s");
	}
	pr_text("\n");
	if (gids) {
		pr_arr_open("gids", NULL);
		for (i = 0; i < p->ngids; i++) {
			/* A GID, shown as one (IPv4-mapped for RoCEv2 over IPv4). */
			inet_ntop(AF_INET6, p->gids[i].gid.b, buf, sizeof(buf));
			pr_obj_open(NULL);
			pr_u64("index", "\t\tgid %llu", p->gids[i].index);
			pr_str("gid", " %s", buf);
			pr_str("type", " %s", gid_type_name(p->gids[i].type));
			/* The family of the address the GID holds (plan files'). */
			pr_str("family", " %s\n",
			       fp_addr_is_v4(&p->gids[i].gid) ? "inet" : "inet6");
			pr_obj_close();
		}
		pr_arr_close(NULL);
	}
	pr_obj_close();
}

void print_device(const struct fp_nl_device *d, bool gids)
{
	size_t i;

	pr_u64("index", "%llu: ", d->index);
	pr_str("name", "%s\n", d->name);
	if (!d->nports)
		return;
	pr_arr_open("ports", NULL);
	for (i = 0; i < d->nports; i++)
		print_port(&d->ports[i], gids);
	pr_arr_close(NULL);
}

static int dev_show(int argc, char **argv)
{
	struct fp_nl_device *devs;
	struct fp_nlc *nlc;
	struct fp_err err;
	size_t n, i;
	int ret;

	(void)argv;
	if (argc)
		return fp_err("device show takes no argument");
	nlc = ctl_nlc_open();
	if (!nlc)
		return 1;
	ret = fp_nlc_get_devices(nlc, &devs, &n, &err);
	fp_nlc_close(nlc);
	if (ret)
		return fp_err("%s", err.msg);
	pr_arr_open("devices", n ? NULL : "no RDMA device\n");
	for (i = 0; i < n; i++) {
		pr_obj_open(NULL);
		print_device(&devs[i], true);
		pr_obj_close();
	}
	pr_arr_close(NULL);
	fp_nl_devices_free(devs, n);
	return 0;
}

static const struct fp_cmd cmds[] = {
	{ "show", dev_show, "show" },
	{ NULL, NULL, NULL },
};

int cmd_device(int argc, char **argv)
{
	return fp_dispatch("device", cmds, argc, argv);
}
