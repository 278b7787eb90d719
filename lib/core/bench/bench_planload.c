// SPDX-License-Identifier: MIT
/*
 * bench_planload FILE - the plan-file reader against the baseline of the
 * same run: json-c building the whole document, as the reader did before
 * it left the "phases" report unbuilt (fp_json_text_skip). Each measurement
 * runs REPS times in a child process of its own, the two alternately, and
 * is judged on the median of its CPU times; the peak memory is the child's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/file.h"
#include "core/hostplan.h"
#include "core/json.h"

#define REPS	3

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One measurement in a child: its CPU seconds, its peak RSS in MiB. */
static int run(const char *path, int whole, double *s, double *mib, size_t *n)
{
	struct { double s; size_t n; } r = { 0 };
	struct rusage ru;
	int fd[2], status;
	pid_t pid;

	if (pipe(fd))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		struct json_object *o;
		struct fp_hostplan hp;
		struct fp_err err;
		size_t len;
		char *buf;
		double t0;

		close(fd[0]);
		if (fp_file_read(path, FP_PLANFILE_MAX, &buf, &len, &err)) {
			fprintf(stderr, "bench-core: %s\n", err.msg);
			_exit(1);
		}
		t0 = cpu_now();
		if (whole) {
			if (fp_json_text(buf, len, path, &o, &err)) {
				fprintf(stderr, "bench-core: %s\n", err.msg);
				_exit(1);
			}
			json_object_put(o);
		} else {
			if (fp_hostplan_parse(buf, len, path, &hp, &err)) {
				fprintf(stderr, "bench-core: %s\n", err.msg);
				_exit(1);
			}
			r.n = hp.n;
			fp_hostplan_free(&hp);
		}
		r.s = cpu_now() - t0;
		_exit(write(fd[1], &r, sizeof(r)) != sizeof(r));
	}
	close(fd[1]);
	if (read(fd[0], &r, sizeof(r)) != sizeof(r))
		r.s = -1;
	close(fd[0]);
	if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) ||
	    r.s < 0)
		return 1;
	*s = r.s;
	*mib = (double)ru.ru_maxrss / 1024;
	*n = r.n;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double base[REPS], load[REPS], bmib = 0, lmib = 0, mib;
	size_t n = 0, dummy;
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_planload PLAN.json\n");
		return 2;
	}
	for (i = 0; i < REPS; i++) {
		if (run(argv[1], 1, &base[i], &mib, &dummy))
			return 1;
		bmib = mib > bmib ? mib : bmib;
		if (run(argv[1], 0, &load[i], &mib, &n))
			return 1;
		lmib = mib > lmib ? mib : lmib;
	}
	qsort(base, REPS, sizeof(double), cmp_double);
	qsort(load, REPS, sizeof(double), cmp_double);
	printf("bench-core: plan load, %zu entries, CPU s median of %d (min-max), peak MiB\n",
	       n, REPS);
	printf("bench-core: %-44s %7.3f (%.3f-%.3f) %7.0f  1.00\n",
	       "baseline: json-c builds the whole document", base[REPS / 2], base[0],
	       base[REPS - 1], bmib);
	printf("bench-core: %-44s %7.3f (%.3f-%.3f) %7.0f  %.2f\n",
	       "fp_hostplan_parse (phases checked, unbuilt)", load[REPS / 2], load[0],
	       load[REPS - 1], lmib, load[REPS / 2] / base[REPS / 2]);
	return 0;
}
