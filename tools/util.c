// SPDX-License-Identifier: MIT
/* util.c - flowplanctl's helpers: inputs, outputs, numbers, the module. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/nlclient.h"
#include "flowplanctl.h"
#include "planner/plan.h"

struct fp_topo *load_topo(const char *spec)
{
	struct fp_topo *t;
	struct fp_err err;

	if (fp_topo_load(spec, &t, &err)) {
		fp_err("%s", err.msg);
		return NULL;
	}
	return t;
}

struct fp_sched *load_sched(const char *spec, const struct fp_topo *t)
{
	struct fp_sched *s;
	struct fp_err err;

	if (fp_sched_load(spec, t, &s, &err)) {
		fp_err("%s", err.msg);
		return NULL;
	}
	return s;
}

struct fp_portmap *load_portmap(const char *path, struct fp_topo *t)
{
	struct fp_portmap *pm;
	struct fp_err err;

	if (fp_portmap_load(path, t, &pm, &err)) {
		fp_err("%s", err.msg);
		return NULL;
	}
	return pm;
}

static mode_t current_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	return m;
}

FILE *out_open(struct out_file *o, const char *path)
{
	size_t n;
	int fd;

	memset(o, 0, sizeof(*o));
	o->path = path;
	if (!strcmp(path, "-")) {
		o->f = stdout;
		return o->f;
	}
	n = strlen(path) + sizeof(".XXXXXX");
	o->tmp = malloc(n);
	if (!o->tmp) {
		fp_err("%s: out of memory", path);
		return NULL;
	}
	snprintf(o->tmp, n, "%s.XXXXXX", path);
	fd = mkstemp(o->tmp);
	o->f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!o->f) {
		fp_err("%s: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		free(o->tmp);
		o->tmp = NULL;
		return NULL;
	}
	/* What a plain fopen() would have made (mkstemp makes 0600). */
	fchmod(fd, 0666 & ~current_umask());
	return o->f;
}

int out_close(struct out_file *o, int rc)
{
	int e = 0;

	if (!o->f)
		return 1;
	if (fflush(o->f) || ferror(o->f))
		e = errno ? errno : EIO;
	if (o->f == stdout) {
		if (e && !rc)
			rc = fp_err("standard output: %s", strerror(e));
		return rc ? 1 : 0;
	}
	if (fsync(fileno(o->f)) && !e)
		e = errno;
	if (fclose(o->f) && !e)
		e = errno;
	if (e && !rc)
		rc = fp_err("%s: write error: %s", o->path, strerror(e));
	if (!rc && rename(o->tmp, o->path))
		rc = fp_err("%s: %s", o->path, strerror(errno));
	if (rc)
		unlink(o->tmp);
	free(o->tmp);
	return rc ? 1 : 0;
}

int write_out(const char *path, const char *text)
{
	struct out_file o;
	FILE *f = out_open(&o, path);

	if (!f)
		return 1;
	fputs(text, f);
	fputc('\n', f);
	return out_close(&o, 0);
}

void close_stdout(void)
{
	int e = fflush(stdout) ? errno : 0;

	if (ferror(stdout) && !e)
		e = EIO;
	if (fclose(stdout) && !e)
		e = errno;
	if (e && e != EBADF) {
		fprintf(stderr, "flowplanctl: standard output: %s\n", strerror(e));
		_exit(1);
	}
}

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int parse_u64(const char *kw, const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || *end || end == v || *v == '-' || x > max)
		return fp_err("%s: \"%s\" is not a number in 0..%llu", kw, v,
			      (unsigned long long)max);
	*out = x;
	return 0;
}

struct fp_nlc *ctl_nlc_open(void)
{
	struct fp_err err;
	struct fp_nlc *nlc = fp_nlc_open(&err);

	if (!nlc) {
		fp_err("%s", err.msg);
		return NULL;
	}
	fp_nlc_set_debug(nlc, opts.debug);
	return nlc;
}
