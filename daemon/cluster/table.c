// SPDX-License-Identifier: MIT
/*
 * table.c - a plan table in a file (cluster.h): the install backend of
 * tests and dry runs. What flowplan.ko would hold, written as a plan file
 * (generation and entries) through lib/core's entry writer, aside and
 * renamed into place so a reader sees one plan or the next, never half.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"

struct table {
	char *path;
	bool open;
	struct fp_hostplan plan;
};

static int t_open(void *ctx, struct fp_err *err)
{
	struct table *t = ctx;
	int ret;

	if (t->open)
		return 0;
	/* continue from what the file holds (a restart), as from the module */
	ret = fp_hostplan_load(t->path, &t->plan, err);
	if (ret == ENOENT) {
		fp_hostplan_init(&t->plan);
		ret = 0;
	}
	if (ret)
		return ret;
	t->open = true;
	return 0;
}

static void t_close(void *ctx)
{
	((struct table *)ctx)->open = false;
}

static int t_get_plan(void *ctx, struct fp_hostplan *hp, struct fp_err *err)
{
	struct table *t = ctx;

	(void)err;
	memset(hp, 0, sizeof(*hp));
	return fpd_hostplan_copy(hp, &t->plan);
}

static int t_set_plan(void *ctx, const struct fp_hostplan *hp, uint64_t gen, struct fp_err *err)
{
	struct table *t = ctx;
	char tmp[FPD_PATHLEN + 16];
	size_t i;
	FILE *f;
	int ret = 0;

	if (gen <= t->plan.generation) {
		snprintf(err->msg, sizeof(err->msg), "table %s: generation %" PRIu64
			 " is not after %" PRIu64, t->path, gen, t->plan.generation);
		return ESTALE;
	}
	snprintf(tmp, sizeof(tmp), "%s.new", t->path);
	f = fopen(tmp, "we");
	if (!f) {
		snprintf(err->msg, sizeof(err->msg), "%s: %s", tmp, strerror(errno));
		return errno;
	}
	fprintf(f, "{\"format\": \"flowplan-plan\", \"version\": 1, \"generation\": %" PRIu64
		", \"entries\": [", gen);
	for (i = 0; i < hp->n && !ret; i++) {
		fputs(i ? ",\n" : "\n", f);
		ret = fp_hostplan_write_entry(f, &hp->e[i], false);
	}
	fputs("\n]}\n", f);
	if (fclose(f) || ret) {
		unlink(tmp);
		snprintf(err->msg, sizeof(err->msg), "%s: cannot write", tmp);
		return EIO;
	}
	if (rename(tmp, t->path)) {
		ret = errno;
		unlink(tmp);
		snprintf(err->msg, sizeof(err->msg), "%s: %s", t->path, strerror(ret));
		return ret;
	}
	ret = fpd_hostplan_copy(&t->plan, hp);
	if (ret) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return ret;
	}
	t->plan.generation = gen;
	return 0;
}

static int t_get_counters(void *ctx, struct fpd_fcount **c, size_t *n, struct fp_err *err)
{
	(void)ctx;
	(void)err;
	*c = NULL;
	*n = 0;
	return 0;
}

static int t_no_fd(void *ctx)
{
	(void)ctx;
	return -1;
}

static int t_read_event(void *ctx, struct fpd_kev *ev, struct fp_err *err)
{
	(void)ctx;
	(void)ev;
	(void)err;
	return EAGAIN;
}

static int t_read_watch(void *ctx, bool *changed, bool *present)
{
	(void)ctx;
	*changed = false;
	*present = true;
	return 0;
}

static const struct fpd_kmod_ops table_ops = {
	.open = t_open,
	.close = t_close,
	.get_plan = t_get_plan,
	.set_plan = t_set_plan,
	.get_counters = t_get_counters,
	.event_fd = t_no_fd,
	.read_event = t_read_event,
	.watch_fd = t_no_fd,
	.read_watch = t_read_watch,
};

const struct fpd_kmod_ops *fpd_table_ops(void **ctx, const char *path, struct fp_err *err)
{
	struct table *t = calloc(1, sizeof(*t));

	if (t)
		t->path = strdup(path);
	if (!t || !t->path) {
		free(t);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	fp_hostplan_init(&t->plan);
	*ctx = t;
	return &table_ops;
}

void fpd_table_free(void *ctx)
{
	struct table *t = ctx;

	if (!t)
		return;
	fp_hostplan_free(&t->plan);
	free(t->path);
	free(t);
}
