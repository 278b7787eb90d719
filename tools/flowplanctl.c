// SPDX-License-Identifier: MIT
/*
 * flowplanctl - flowplan's admin tool, in iproute2 conventions:
 *   flowplanctl [-j] [-p] [-d] OBJECT { COMMAND | help }
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowplanctl.h"

struct fp_opts opts;

static int cmd_help(int argc, char **argv);

/*
 * First entry is the default action. Keep in sync with flowplanctl.8; each
 * object's own table gives its commands' usage (flowplanctl OBJECT help).
 */
static const struct fp_cmd objects[] = {
	{ "help", cmd_help, "help" },
	{ "topology", cmd_topology, "topology { show TOPO | export TOPO [out FILE] }" },
	{ "schedule", cmd_schedule,
	  "schedule { show | export } SCHED topology TOPO [out FILE]" },
	{ "plan", cmd_plan, "plan { compute TOPO SCHED ... | show | set FILE ... | delete }" },
	{ "simulate", cmd_simulate,
	  "simulate TOPO SCHED [strategies LIST] [seed N] [seeds N] [portmap FILE] [max-split N] [picture FILE.svg]" },
	{ "probe", cmd_probe, "probe TOPO routers FILE [pairs SRC:DST,...|all] [ports N|sports LIST] [first LIST] [per-path K] [proto udp|tcp] [dport P] [rate PPS] [out FILE]" },
	{ "gpu", cmd_gpu, "gpu show [sysroot DIR] [nic NIC|GPU:NIC,...]" },
	{ "device", cmd_device, "device show" },
	{ "counters", cmd_counters, "counters show" },
	{ "monitor", cmd_monitor, "monitor" },
	{ "daemon", cmd_daemon, "daemon [socket PATH] { show | status | replan | probe }" },
	{ NULL, NULL, NULL },
};

bool fp_matches(const char *arg, const char *keyword)
{
	size_t n = strlen(arg);

	return n && strncmp(arg, keyword, n) == 0;
}

int fp_err(const char *fmt, ...)
{
	va_list ap;

	fputs("flowplanctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

const char *fp_next_arg(int *argc, char ***argv, const char *keyword)
{
	if (*argc < 2) {
		fp_err("\"%s\" needs a value", keyword);
		return NULL;
	}
	(*argc)--;
	(*argv)++;
	return (*argv)[0];
}

void fp_usage_obj(const char *obj, const struct fp_cmd *tbl)
{
	fprintf(stderr, "Usage:\n");
	for (; tbl->name; tbl++)
		if (tbl->help && strcmp(tbl->name, "help"))
			fprintf(stderr, "  flowplanctl %s%s%s\n", obj ? obj : "",
				obj ? " " : "", tbl->help);
}

int fp_dispatch(const char *obj, const struct fp_cmd *tbl, int argc, char **argv)
{
	const struct fp_cmd *c;

	if (argc < 1)
		return tbl[0].fn(0, argv);
	if (fp_matches(argv[0], "help")) {
		fp_usage_obj(obj, tbl);
		return 0;
	}
	for (c = tbl; c->name; c++)
		if (fp_matches(argv[0], c->name))
			return c->fn(argc - 1, argv + 1);
	fp_err("unknown %s%s\"%s\"; try \"flowplanctl %s%shelp\"",
	       obj ? obj : "object", obj ? " command " : " ", argv[0],
	       obj ? obj : "", obj ? " " : "");
	return 1;
}

static void usage(FILE *f)
{
	const struct fp_cmd *c;

	fprintf(f,
		"Usage: flowplanctl [ OPTIONS ] OBJECT { COMMAND | help }\n"
		"OPTIONS := { -j[son] | -p[retty] | -d[etails] | -V[ersion] | --debug }\n"
		"OBJECT  :=");
	for (c = objects + 1; c->name; c++)
		fprintf(f, " %s%s", c->name, c[1].name ? " |" : "\n");
	for (c = objects + 1; c->name; c++)
		fprintf(f, "  flowplanctl %s\n", c->help);
	fprintf(f, "Files and generator strings: see docs/formats.md and flowplanctl(8).\n");
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "details", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "debug", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	atexit(close_stdout);
	while ((c = getopt_long(argc, argv, "+jpdVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opts.json = true;
			break;
		case 'p':
			opts.pretty = true;
			break;
		case 'd':
			opts.details = true;
			break;
		case 'D':
			opts.debug = true;
			break;
		case 'V':
			printf("flowplanctl %s\n", FLOWPLAN_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 1;
	}
	if (fp_matches(argv[0], "help")) {
		usage(stdout);
		return 0;
	}
	pr_start();
	rc = fp_dispatch(NULL, objects, argc, argv);
	if (rc == 0)
		pr_end();
	return rc;
}
