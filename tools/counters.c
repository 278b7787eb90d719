// SPDX-License-Identifier: MIT
/* counters.c - flowplanctl counters show: packets per (destination, port). */
#include <stdio.h>

#include "core/nlclient.h"
#include "flowplanctl.h"

static int counters_show(int argc, char **argv)
{
	struct fp_nl_counters c;
	char d[FP_ADDR_STRLEN];
	struct fp_nlc *nlc;
	struct fp_err err;
	size_t i;
	int ret;

	(void)argv;
	if (argc)
		return fp_err("counters show takes no argument");
	nlc = ctl_nlc_open();
	if (!nlc)
		return 1;
	ret = fp_nlc_get_counters(nlc, &c, &err);
	fp_nlc_close(nlc);
	if (ret)
		return fp_err("%s", err.msg);
	pr_arr_open("counters", c.n ? NULL : "no RoCEv2 packet sent yet\n");
	for (i = 0; i < c.n; i++) {
		pr_obj_open(NULL);
		pr_str("dst_addr", "%-15s", fp_addr_str(&c.c[i].remote, d));
		pr_u64("sport", " sport %5llu", c.c[i].sport);
		pr_u64("packets", " %12llu packets", c.c[i].packets);
		pr_u64("bytes", " %15llu bytes", c.c[i].bytes);
		pr_u64("rewritten", " %12llu rewritten\n", c.c[i].rewritten);
		pr_obj_close();
	}
	pr_arr_close(NULL);
	pr_u64("untracked", "untracked (counter table full): %llu packets\n", c.untracked);
	fp_nl_counters_free(&c);
	return 0;
}

static const struct fp_cmd cmds[] = {
	{ "show", counters_show, "show" },
	{ NULL, NULL, NULL },
};

int cmd_counters(int argc, char **argv)
{
	return fp_dispatch("counters", cmds, argc, argv);
}
