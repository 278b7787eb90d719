// SPDX-License-Identifier: MIT
/* topology.c - flowplanctl topology { show | export } */
#include <stdio.h>
#include <stdlib.h>

#include "flowplanctl.h"
#include "planner/topo.h"

static int topo_show(int argc, char **argv)
{
	struct fp_topo *t;
	int tiers[4] = { 0 }, i, nics = 0, dual = 0, failed = 0;

	if (argc != 1)
		return fp_err("usage: flowplanctl topology show TOPO");
	t = load_topo(argv[0]);
	if (!t)
		return 1;
	for (i = 0; i < t->nnodes; i++) {
		if (t->nodes[i].is_twin)
			dual++;
		else if (t->nodes[i].is_nic)
			nics++;
		else
			tiers[t->nodes[i].tier]++;
	}
	for (i = 0; i < t->nlinks; i += 2)
		failed += !t->links[i].up;
	pr_str("name", "topology %s\n", t->name);
	pr_u64("hosts", "  hosts %llu", (uint64_t)t->nhosts);
	pr_u64("nics", " nics %llu", (uint64_t)nics);
	pr_u64("dual_stack", " dual-stack %llu", (uint64_t)dual);
	pr_u64("leaves", " leaves %llu", (uint64_t)tiers[1]);
	pr_u64("tier2", " tier-2 %llu", (uint64_t)tiers[2]);
	pr_u64("tier3", " tier-3 %llu\n", (uint64_t)tiers[3]);
	pr_u64("links", "  links %llu", (uint64_t)t->nlinks / 2);
	pr_u64("failed", " failed %llu", (uint64_t)failed);
	pr_str("hash", " hash %s", fp_hash_name(t->hash_fn));
	pr_u64("seed", " seed %llu", t->seed);
	pr_bool("two_tier", " two-tier %s\n", t->two_tier);
	if (opts.details) {
		pr_arr_open("link_list", "  links:\n");
		for (i = 0; i < t->nlinks; i += 2) {
			pr_obj_open(NULL);
			pr_str("a", "    %s", t->nodes[t->links[i].from].name);
			pr_str("b", " -- %s", t->nodes[t->links[i].to].name);
			pr_dbl("gbps", " %g Gbit/s", t->links[i].gbps);
			pr_bool("up", " up %s\n", t->links[i].up);
			pr_obj_close();
		}
		pr_arr_close(NULL);
	}
	fp_topo_free(t);
	return 0;
}

static int topo_export(int argc, char **argv)
{
	const char *out = "-";
	struct fp_topo *t;
	char *s;
	int rc;

	if (argc != 1 && !(argc == 3 && fp_matches(argv[1], "out")))
		return fp_err("usage: flowplanctl topology export TOPO [out FILE]");
	if (argc == 3)
		out = argv[2];
	t = load_topo(argv[0]);
	if (!t)
		return 1;
	/* The document is the output, in either mode. */
	s = fp_topo_to_json(t, true);
	rc = write_out(out, s);
	free(s);
	fp_topo_free(t);
	return rc;
}

static const struct fp_cmd cmds[] = {
	{ "show", topo_show, "show TOPO" },
	{ "export", topo_export, "export TOPO [out FILE]" },
	{ NULL, NULL, NULL },
};

int cmd_topology(int argc, char **argv)
{
	if (!argc) {
		fp_usage_obj("topology", cmds);
		return 1;
	}
	return fp_dispatch("topology", cmds, argc, argv);
}
