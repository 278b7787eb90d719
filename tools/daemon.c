// SPDX-License-Identifier: MIT
/*
 * daemon.c - flowplanctl daemon: flowpland's control socket.
 *
 *   flowplanctl [-j] [-p] daemon [socket PATH] [show | status | replan | probe]
 *
 * The client is the daemon's own (daemon/ctl_client.c, fpd_ctl_cli()), so
 * that fpd-ctl and flowplanctl print the same; -j prints the daemon's JSON
 * as it is, the stable interface.
 */
#include <string.h>

#include "daemon/ctl.h"
#include "flowplanctl.h"

int cmd_daemon(int argc, char **argv)
{
	const char *sock = NULL;

	/* "so" at least: "s" alone is show or status */
	if (argc >= 1 && strlen(argv[0]) >= 2 && fp_matches(argv[0], "socket")) {
		sock = fp_next_arg(&argc, &argv, "socket");
		if (!sock)
			return 1;
		argc--;
		argv++;
	}
	return fpd_ctl_cli(argc, argv, sock, opts.json, opts.pretty);
}
