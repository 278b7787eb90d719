// SPDX-License-Identifier: MIT
/* counters.c - flowplanctl counters show: packets per (destination, port). */
#include <stdio.h>

#include "flowplanctl.h"
#include "nl.h"

struct ctr_state {
	uint64_t untracked;
	unsigned int n;
};

static int ctr_reply(struct nlattr **tb, bool intr, void *arg)
{
	struct nlattr *cb[FLOWPLAN_COUNTER_A_MAX + 1], *c;
	struct ctr_state *st = arg;
	char d[16];
	int rem;

	(void)intr;
	st->untracked = fp_nla_u64(tb[FLOWPLAN_A_UNTRACKED]);
	if (!tb[FLOWPLAN_A_COUNTERS])
		return 0;
	nla_for_each_nested(c, tb[FLOWPLAN_A_COUNTERS], rem) {
		if (fp_nl_parse_nested(cb, FLOWPLAN_COUNTER_A_MAX, c) < 0)
			continue;
		pr_obj_open(NULL);
		pr_str("dst_addr", "%-15s",
		       fp_nla_in_addr(cb[FLOWPLAN_COUNTER_A_REMOTE_ADDR], d));
		pr_u64("sport", " sport %5llu",
		       fp_nla_u16(cb[FLOWPLAN_COUNTER_A_SPORT]));
		pr_u64("packets", " %12llu packets",
		       fp_nla_u64(cb[FLOWPLAN_COUNTER_A_PACKETS]));
		pr_u64("bytes", " %15llu bytes",
		       fp_nla_u64(cb[FLOWPLAN_COUNTER_A_BYTES]));
		pr_u64("rewritten", " %12llu rewritten\n",
		       fp_nla_u64(cb[FLOWPLAN_COUNTER_A_REWRITTEN]));
		pr_obj_close();
		st->n++;
	}
	return 0;
}

static int counters_show(int argc, char **argv)
{
	struct ctr_state st = { 0 };
	int rc;

	(void)argv;
	if (argc)
		return fp_err("counters show takes no argument");
	pr_arr_open("counters", NULL);
	rc = fp_nl_once(FLOWPLAN_CMD_GET_COUNTERS, true, "counters show", ctr_reply, &st);
	pr_arr_close(NULL);
	if (rc)
		return rc;
	if (!st.n)
		pr_text("no RoCEv2 packet sent yet\n");
	pr_u64("untracked", "untracked (counter table full): %llu packets\n",
	       st.untracked);
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
