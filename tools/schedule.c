// SPDX-License-Identifier: MIT
/* schedule.c - flowplanctl schedule { show | export } SCHED topology TOPO */
#include <stdio.h>
#include <stdlib.h>

#include "flowplanctl.h"
#include "planner/sched.h"
#include "planner/topo.h"

static int parse(int argc, char **argv, const char **sched, const char **topo, const char **out)
{
	*sched = *topo = NULL;
	for (; argc > 0; argc--, argv++) {
		if (fp_matches(argv[0], "topology")) {
			*topo = fp_next_arg(&argc, &argv, "topology");
			if (!*topo)
				return 1;
		} else if (out && fp_matches(argv[0], "out")) {
			*out = fp_next_arg(&argc, &argv, "out");
			if (!*out)
				return 1;
		} else if (!*sched) {
			*sched = argv[0];
		} else {
			return fp_err("unexpected \"%s\"", argv[0]);
		}
	}
	if (!*sched || !*topo)
		return fp_err("usage: flowplanctl schedule { show | export } SCHED topology TOPO%s",
			      out ? " [out FILE]" : "");
	return 0;
}

static int load(const char *sp, const char *tp, struct fp_topo **t, struct fp_sched **s)
{
	*t = load_topo(tp);
	if (!*t)
		return 1;
	*s = load_sched(sp, *t);
	if (!*s) {
		fp_topo_free(*t);
		return 1;
	}
	return 0;
}

static int sched_show(int argc, char **argv)
{
	const char *sp, *tp;
	struct fp_topo *t;
	struct fp_sched *s;
	size_t i, j;

	if (parse(argc, argv, &sp, &tp, NULL) || load(sp, tp, &t, &s))
		return 1;
	pr_str("name", "schedule %s", s->name);
	pr_str("topology", " on %s\n", t->name);
	pr_arr_open("phases", NULL);
	for (i = 0; i < s->nph; i++) {
		uint64_t bytes = 0, maxb = 0;

		for (j = 0; j < s->ph[i].n; j++) {
			bytes += s->ph[i].flows[j].bytes;
			if (s->ph[i].flows[j].bytes > maxb)
				maxb = s->ph[i].flows[j].bytes;
		}
		pr_obj_open(NULL);
		pr_str("name", "  phase %s", s->ph[i].name);
		pr_u64("flows", " flows %llu", s->ph[i].n);
		pr_u64("bytes", " bytes %llu", bytes);
		pr_u64("max_flow_bytes", " largest %llu", maxb);
		if (s->ph[i].nbg)
			pr_u64("background_flows", " background %llu", s->ph[i].nbg);
		pr_text("\n");
		if (opts.details) {
			pr_arr_open("flow_list", NULL);
			for (j = 0; j < s->ph[i].n; j++) {
				const struct fp_flow *f = &s->ph[i].flows[j];
				char sa[FP_ADDR_STRLEN], da[FP_ADDR_STRLEN];

				pr_obj_open(NULL);
				pr_str("src", "    %s", t->nodes[f->src].name);
				pr_str("dst", " -> %s", t->nodes[f->dst].name);
				/* the addresses say the family (a dual-stack NIC has both) */
				pr_str("src_addr", " (%s", fp_addr_str(&t->nodes[f->src].ip, sa));
				pr_str("dst_addr", " -> %s)", fp_addr_str(&t->nodes[f->dst].ip, da));
				pr_u64("bytes", " %llu", f->bytes);
				pr_str("job", " job %s\n", s->jobs[fp_flow_job(&s->ph[i], j)]);
				pr_obj_close();
			}
			pr_arr_close(NULL);
		}
		pr_obj_close();
	}
	pr_arr_close(NULL);
	fp_sched_free(s);
	fp_topo_free(t);
	return 0;
}

static int sched_export(int argc, char **argv)
{
	const char *sp, *tp, *out = "-";
	struct fp_topo *t;
	struct fp_sched *s;
	char *txt;
	int rc;

	if (parse(argc, argv, &sp, &tp, &out) || load(sp, tp, &t, &s))
		return 1;
	/* The document is the output, in either mode. */
	txt = fp_sched_to_json(s, t, 1);
	rc = write_out(out, txt);
	free(txt);
	fp_sched_free(s);
	fp_topo_free(t);
	return rc;
}

static const struct fp_cmd cmds[] = {
	{ "show", sched_show, "show SCHED topology TOPO" },
	{ "export", sched_export, "export SCHED topology TOPO [out FILE]" },
	{ NULL, NULL, NULL },
};

int cmd_schedule(int argc, char **argv)
{
	if (!argc) {
		fp_usage_obj("schedule", cmds);
		return 1;
	}
	return fp_dispatch("schedule", cmds, argc, argv);
}
