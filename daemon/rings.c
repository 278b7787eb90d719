// SPDX-License-Identifier: MIT
/*
 * rings.c - find, read and let go of report rings (rings.h).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/report.h"
#include "rings.h"

#define PREFIX "flowplan-"

struct ring {
	char name[NAME_MAX + 1];
	struct fp_report *rep;	/* NULL until its header is complete */
	uint32_t pid;
	bool removed;		/* its file is gone: read what is left, close */
	bool denied;		/* the daemon may not read it (EACCES, EPERM) */
};

struct fpd_rings {
	char dir[PATH_MAX];
	struct fpd_io io;
	struct ring *r;
	size_t n, cap;
	struct fpd_rings_stats st;
	void (*on_new)(void *arg);
	void *on_new_arg;
};

void fpd_rings_on_new(struct fpd_rings *r, void (*fn)(void *arg), void *arg)
{
	r->on_new = fn;
	r->on_new_arg = arg;
}

/* "flowplan-<pid>-<n>": the writer's pid, or 0 when the name is not a ring's. */
static uint32_t ring_pid(const char *name)
{
	unsigned long pid, n;
	char *end;

	if (strncmp(name, PREFIX, strlen(PREFIX)))
		return 0;
	name += strlen(PREFIX);
	pid = strtoul(name, &end, 10);
	if (end == name || *end != '-' || !pid || pid > UINT32_MAX)
		return 0;
	name = end + 1;
	n = strtoul(name, &end, 10);
	if (end == name || *end || !n)
		return 0;
	return (uint32_t)pid;
}

static struct ring *find(struct fpd_rings *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->r[i].name, name))
			return &r->r[i];
	return NULL;
}

static void add(struct fpd_rings *r, const char *name)
{
	uint32_t pid = ring_pid(name);
	struct ring *g;

	if (!pid || strlen(name) >= sizeof(g->name))
		return;
	g = find(r, name);
	if (g) {
		g->removed = false;	/* a new ring under an old name */
		return;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct ring *nr = realloc(r->r, cap * sizeof(*nr));

		if (!nr)
			return;		/* found again on the next scan */
		r->r = nr;
		r->cap = cap;
	}
	g = &r->r[r->n++];
	memset(g, 0, sizeof(*g));
	strcpy(g->name, name);
	g->pid = pid;
	if (r->on_new)
		r->on_new(r->on_new_arg);
}

static void drop(struct fpd_rings *r, size_t i)
{
	if (r->r[i].rep) {
		fp_ring_reader_close(r->r[i].rep);
		r->st.closed++;
	}
	r->r[i] = r->r[--r->n];
}

static void scan(struct fpd_rings *r)
{
	struct dirent *d;
	DIR *dir = opendir(r->dir);

	if (!dir)
		return;
	while ((d = readdir(dir)))
		add(r, d->d_name);
	closedir(dir);
}

static void on_inotify(struct fpd_io *io, uint32_t events)
{
	struct fpd_rings *r = io->arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;

	(void)events;
	while ((len = read(io->fd, buf, sizeof(buf))) > 0) {
		const struct inotify_event *e;
		char *p;

		for (p = buf; p < buf + len; p += sizeof(*e) + e->len) {
			e = (const struct inotify_event *)p;
			if (e->mask & IN_Q_OVERFLOW) {
				scan(r);
				continue;
			}
			if (!e->len)
				continue;
			if (e->mask & (IN_CREATE | IN_MOVED_TO)) {
				add(r, e->name);
			} else if (e->mask & (IN_DELETE | IN_MOVED_FROM)) {
				struct ring *g = find(r, e->name);

				if (g)
					g->removed = true;
			}
		}
	}
}

struct fpd_rings *fpd_rings_open(struct fpd_loop *l, const char *dir, struct fp_err *err)
{
	struct fpd_rings *r;
	int fd, ret;

	if (strlen(dir) >= sizeof(r->dir)) {
		errno = fp_fail(err, ENAMETOOLONG, "%s: path too long", dir);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		errno = fp_fail(err, ENOMEM, "out of memory");
		return NULL;
	}
	strcpy(r->dir, dir);
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO | IN_DELETE |
					 IN_MOVED_FROM | IN_ONLYDIR) < 0) {
		ret = errno;
		fp_fail(err, ret, "%s: cannot watch for report rings: %s", dir, strerror(ret));
		goto fail;
	}
	ret = fpd_io_add(l, &r->io, fd, EPOLLIN, on_inotify, r);
	if (ret) {
		fp_fail(err, ret, "%s: %s", dir, strerror(ret));
		goto fail;
	}
	scan(r);
	return r;
fail:
	if (fd >= 0)
		close(fd);
	free(r);
	errno = ret;
	return NULL;
}

void fpd_rings_close(struct fpd_rings *r)
{
	if (!r)
		return;
	while (r->n)
		drop(r, r->n - 1);
	fpd_io_del(&r->io);
	close(r->io.fd);
	free(r->r);
	free(r);
}

#define BATCH 1024

/* Read one ring to its head; the write and send records become messages. */
static int read_ring(struct fpd_rings *r, struct ring *g, fpd_msgs_fn fn, void *arg)
{
	static struct fp_report_rec recs[BATCH];
	static struct fpd_msg msgs[BATCH];
	size_t got, i, n;
	uint64_t lost;
	int ret;

	do {
		ret = fp_ring_read(g->rep, recs, BATCH, &got, &lost);
		if (ret)
			return 0;	/* this ring only */
		r->st.lost += lost;
		r->st.records += got;
		for (i = n = 0; i < got; i++) {
			const struct fp_report_rec *x = &recs[i];

			if ((x->op != FP_OP_WRITE && x->op != FP_OP_SEND) || x->status ||
			    x->end_ns < x->start_ns)
				continue;
			/* Either family: the record's 16 bytes are an fp_addr's. */
			msgs[n] = (struct fpd_msg){
				.job = fpd_job_of(x->comm, g->pid), .coll = x->coll,
				.bytes = x->bytes, .start_ns = x->start_ns,
				.end_ns = x->end_ns,
			};
			memcpy(msgs[n].src.b, x->src, sizeof(msgs[n].src.b));
			memcpy(msgs[n].dst.b, x->dst, sizeof(msgs[n].dst.b));
			n++;
		}
		r->st.sends += n;
		if (n) {
			ret = fn(arg, msgs, n);
			if (ret)
				return ret;
		}
	} while (got == BATCH);
	return 0;
}

int fpd_rings_read(struct fpd_rings *r, fpd_msgs_fn fn, void *arg)
{
	size_t i = 0;
	int ret;

	while (i < r->n) {
		struct ring *g = &r->r[i];
		bool dead;

		dead = kill((pid_t)g->pid, 0) && errno == ESRCH;
		if (!g->rep && (dead || g->removed)) {
			/* left behind by a process that is gone: history, not now */
			drop(r, i);
			continue;
		}
		if (!g->rep) {
			char path[PATH_MAX + NAME_MAX + 2];

			snprintf(path, sizeof(path), "%s/%s", r->dir, g->name);
			g->rep = fp_ring_reader_open(path);
			if (g->rep)
				r->st.opened++;
			else if (errno == ENOENT)
				g->removed = true;
			/*
			 * EACCES: its writer could not grant the daemon's user
			 * read (fp_ring_create: a POSIX ACL); counted, tried
			 * again next time. EPROTO: still being created.
			 */
			g->denied = !g->rep && (errno == EACCES || errno == EPERM);
		}
		if (g->rep) {
			ret = read_ring(r, g, fn, arg);
			if (ret)
				return ret;
		}
		if (g->removed || dead) {
			drop(r, i);
			continue;
		}
		i++;
	}
	return 0;
}

void fpd_rings_stats(const struct fpd_rings *r, struct fpd_rings_stats *st)
{
	size_t i;

	*st = r->st;
	st->open = 0;
	st->pending = r->n;
	st->denied = 0;
	for (i = 0; i < r->n; i++) {
		st->open += r->r[i].rep != NULL;
		st->denied += r->r[i].denied;
	}
}
