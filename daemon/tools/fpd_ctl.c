// SPDX-License-Identifier: MIT
/*
 * fpd-ctl - `flowplanctl daemon` on its own, for tests and for hosts
 * without flowplanctl: fpd-ctl [-j] [-p] [-s SOCKET] [show|status|replan|probe].
 * Everything is in daemon/ctl_client.c (fpd_ctl_cli()).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "ctl.h"

int main(int argc, char **argv)
{
	const char *sock = NULL;
	bool json = false, pretty = false;
	int c;

	while ((c = getopt(argc, argv, "jps:h")) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 's':
			sock = optarg;
			break;
		default:
			fprintf(stderr, "Usage: fpd-ctl [-j] [-p] [-s SOCKET] [show|status|replan|probe]\n");
			return c == 'h' ? 0 : 1;
		}
	}
	return fpd_ctl_cli(argc - optind, argv + optind, sock, json, pretty);
}
