// SPDX-License-Identifier: MIT
/*
 * fp_sched - turn libflowplan report rings into a flowplan schedule.
 *
 *   fp_sched [-w WINDOW_US] [-n NAME] RING...
 *
 * Reads every record of each ring (docs/reports.md) and prints the schedule
 * (docs/formats.md) that fp_report_schedule() makes of them: one phase per
 * marked collective, unmarked messages starting within WINDOW_US (1000) of
 * each other grouped together. Records the writer overwrote before they were
 * read are counted on stderr. The daemon does the same continuously; this is
 * for looking at one job by hand (FLOWPLAN_REPORT_KEEP=1 keeps a finished
 * job's rings).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowplan.h>

static void print_usage(void)
{
	fprintf(stderr, "usage: fp_sched [-w WINDOW_US] [-n NAME] RING...\n");
	exit(1);
}

/* Append every record of @path to *@recs. */
static int read_ring(const char *path, struct fp_report_rec **recs,
		     size_t *n, size_t *cap)
{
	struct fp_report *rep;
	uint64_t lost = 0, l;
	size_t got;
	int ret;

	rep = fp_report_open(path);
	if (!rep) {
		fprintf(stderr, "fp_sched: %s: %s\n", path,
			errno == EPROTO ? "not a report ring" : strerror(errno));
		return 1;
	}
	do {
		if (*cap - *n < 4096) {
			size_t c = *cap ? 2 * *cap : 8192;
			void *p = realloc(*recs, c * sizeof(**recs));

			if (!p) {
				fp_report_close(rep);
				return 1;
			}
			*recs = p;
			*cap = c;
		}
		ret = fp_report_read(rep, *recs + *n, 4096, &got, &l);
		*n += got;
		lost += l;
		/* A read may find only lost records: more may follow. */
	} while (!ret && (got || l));
	fp_report_close(rep);
	if (lost)
		fprintf(stderr, "fp_sched: %s: %" PRIu64 " records lost\n",
			path, lost);
	if (ret)
		fprintf(stderr, "fp_sched: %s: %s\n", path,
			ret == EPROTO ? "the ring was cut short while read" :
			strerror(ret));
	return ret != 0;
}

int main(int argc, char **argv)
{
	struct fp_report_rec *recs = NULL;
	const char *name = "observed";
	uint64_t window_us = 1000;
	size_t n = 0, cap = 0;
	int c, i, ret = 0;

	while ((c = getopt(argc, argv, "w:n:h")) != -1) {
		switch (c) {
		case 'w': {
			char *end;

			errno = 0;
			window_us = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || *optarg == '-' ||
			    !window_us || window_us > UINT64_MAX / 1000) {
				fprintf(stderr, "fp_sched: -w %s: expected microseconds, 1..%" PRIu64 "\n",
					optarg, UINT64_MAX / 1000);
				return 1;
			}
			break;
		}
		case 'n':
			name = optarg;
			break;
		default:
			print_usage();
		}
	}
	if (optind == argc)
		print_usage();
	for (i = optind; i < argc; i++)
		ret |= read_ring(argv[i], &recs, &n, &cap);
	if (!ret) {
		int e = fp_report_schedule(recs, n, window_us * 1000, name,
					   stdout);

		if (!e && (fflush(stdout) || ferror(stdout)))
			e = errno ? errno : EIO;
		if (e) {
			fprintf(stderr, "fp_sched: %s\n", e == EOVERFLOW ?
				"byte counts of 2^63 or more" : strerror(e));
			ret = 1;
		}
	}
	free(recs);
	return ret;
}
