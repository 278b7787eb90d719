// SPDX-License-Identifier: MIT
/*
 * flowpland - the planner daemon of flowplan: observe this host's
 * collective traffic, plan it, install the plan in flowplan.ko, and
 * re-plan when the traffic, the fabric or its health changes.
 *
 *   flowpland [-c FILE] [-t] [-f] [-h] [-V]
 *
 * It always runs in the foreground (systemd's Type=notify; -f is accepted
 * for habit). Signals: SIGTERM and SIGINT stop it, SIGHUP re-reads the
 * configuration. The loop and everything it drives are in fpd.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cluster/cluster.h"
#include "fpd.h"
#include "kmod_nl.h"

#ifndef FLOWPLAN_VERSION
#define FLOWPLAN_VERSION "0.1"
#endif

static void usage(FILE *f)
{
	fprintf(f, "Usage: flowpland [-c FILE] [-t] [-f]\n"
		   "  -c, --config FILE   configuration (default " FPD_CONF_PATH ")\n"
		   "  -t, --test-config   check the configuration, print it, exit\n"
		   "  -f, --foreground    run in the foreground (always the case)\n"
		   "  -h, --help          this text\n"
		   "  -V, --version       the version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test-config", no_argument, NULL, 't' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = FPD_CONF_PATH;
	const struct fpd_kmod_ops *kops;
	struct fp_err err = { "" };
	struct fpd_conf conf;
	bool test = false, given = false;
	void *kctx = NULL;
	static struct fpd d;
	int c, ret;

	while ((c = getopt_long(argc, argv, "c:tfhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			given = true;
			break;
		case 't':
			test = true;
			break;
		case 'f':
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("flowpland %s\n", FLOWPLAN_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowpland: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	fpd_conf_default(&conf);
	ret = fpd_conf_load(path, &conf, &err);
	if (ret == ENOENT && !given) {
		/* no file: the defaults, said so */
		fprintf(stderr, "flowpland: %s: not found, running on the defaults\n", path);
	} else if (ret) {
		fprintf(stderr, "flowpland: %s\n", err.msg);
		return 1;
	}
	if (test) {
		if (fpd_cluster_check(&conf, &err)) {
			fprintf(stderr, "flowpland: %s\n", err.msg);
			return 1;
		}
		fpd_conf_write(&conf, stdout);
		return 0;
	}

	/* before any thread or descriptor: the loop reads them from a signalfd */
	if (fpd_signals_block()) {
		fprintf(stderr, "flowpland: cannot block signals\n");
		return 1;
	}
	/* the module, or a file standing in for it ([cluster] table) */
	kops = conf.table[0] ? fpd_table_ops(&kctx, conf.table, &err) : fpd_kmod_nl(&kctx, &err);
	if (!kops) {
		fprintf(stderr, "flowpland: %s\n", err.msg);
		return 1;
	}
	ret = fpd_init(&d, &conf, path, kops, kctx, &err);
	if (!ret && conf.mode != FPD_MODE_LOCAL)
		ret = fpd_cluster_open(&d, &err);
	if (ret) {
		fprintf(stderr, "flowpland: %s\n", err.msg);
		fpd_fini(&d);
		if (conf.table[0])
			fpd_table_free(kctx);
		else
			fpd_kmod_nl_free(kctx);
		return 1;
	}
	/* the effective configuration, as a file would say it */
	if (conf.log_level >= LOG_INFO) {
		fpd_log(&d, LOG_INFO, "flowpland %s starting; configuration (%s):",
			FLOWPLAN_VERSION, path);
		fpd_conf_write(&conf, stderr);
	}
	ret = fpd_run(&d);
	if (ret)
		fpd_log(&d, LOG_ERR, "event loop: %s", strerror(ret));
	fpd_fini(&d);
	if (conf.table[0])
		fpd_table_free(kctx);
	else
		fpd_kmod_nl_free(kctx);
	fpd_cluster_shutdown();
	return ret ? 1 : 0;
}
