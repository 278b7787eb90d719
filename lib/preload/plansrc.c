// SPDX-License-Identifier: MIT
/*
 * plansrc.c - where the interposer's plan comes from, and knowing cheaply
 * whether it changed.
 *
 * The order is libflowplan's: the flowplan module's table (fp_nlc_get_plan)
 * when the module is loaded and holds entries, else the plan file named by
 * FLOWPLAN_PLAN (fp_hostplan_load), else none, and then the interposer
 * changes nothing. The module is dumped once and again only when one of its
 * PLAN_CHANGED events arrives (a second socket, subscribed, drained without
 * blocking); the file is read again when its identity, size or time
 * changes. A module loaded later is looked for at most once a second. A
 * source that fails (unreadable file, module gone) leaves the last good
 * plan of that source only while it is still the right source.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "core/nlclient.h"
#include "preload/preload.h"

#define MODULE_DIR	"/sys/module/flowplan"
#define RETRY_NS	1000000000ll

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

const char *ps_kind_str(enum ps_kind k)
{
	switch (k) {
	case PS_MODULE:
		return "module";
	case PS_FILE:
		return "file";
	case PS_NONE:
		break;
	}
	return "none";
}

void ps_init(struct plansrc *s)
{
	memset(s, 0, sizeof(*s));
	s->ino_fd = -1;
	fp_hostplan_init(&s->hp);
	fp_hostplan_init(&s->file_hp);
}

static void module_close(struct plansrc *s)
{
	if (s->nl)
		fp_nlc_close(s->nl);
	if (s->ev)
		fp_nlc_close(s->ev);
	s->nl = s->ev = NULL;
	s->module_dirty = false;
}

void ps_free(struct plansrc *s)
{
	module_close(s);
	if (s->ino_fd >= 0)
		close(s->ino_fd);
	fp_hostplan_free(&s->hp);
	fp_hostplan_free(&s->file_hp);
	free(s->path);
	ps_init(s);
}

void ps_forget(struct plansrc *s)
{
	/*
	 * The sockets are the parent's too: closing our copies is harmless,
	 * reading them would steal its events.
	 */
	module_close(s);
	if (s->ino_fd >= 0)
		close(s->ino_fd);
	s->ino_fd = -1;
	s->started = false;
	s->next_open_ns = 0;
}

static void note(struct plansrc *s, const char *what, const char *msg)
{
	char line[sizeof(s->last_err)];

	snprintf(line, sizeof(line), "%.64s: %.180s", what, msg);
	if (strcmp(line, s->last_err)) {
		strcpy(s->last_err, line);
		fp_debug("plan %s", line);
	}
}

static void start(struct plansrc *s)
{
	const char *p = getenv("FLOWPLAN_PLAN");
	const char *nn = getenv("FLOWPLAN_NO_NETLINK");

	s->started = true;
	s->no_netlink = nn && *nn && strcmp(nn, "0");
	if (p && *p && !s->path)
		s->path = strdup(p);
	if (s->path && s->ino_fd < 0) {
		char dir[PATH_MAX], *slash;

		snprintf(dir, sizeof(dir), "%s", s->path);
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = 0;
		else if (slash)
			*slash = 0;
		else
			strcpy(dir, ".");
		s->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (s->ino_fd >= 0 &&
		    inotify_add_watch(s->ino_fd, dir, IN_CLOSE_WRITE |
				      IN_MOVED_TO | IN_CREATE | IN_DELETE |
				      IN_ATTRIB) < 0) {
			close(s->ino_fd);
			s->ino_fd = -1;
		}
	}
}

/* Connect to the module when it is there: both sockets, or neither. */
static void module_open(struct plansrc *s)
{
	struct fp_err err = { "" };
	int64_t t;

	if (s->nl || s->no_netlink)
		return;
	t = now_ns();
	if (t < s->next_open_ns)
		return;
	s->next_open_ns = t + RETRY_NS;
	if (access(MODULE_DIR, F_OK))
		return;
	s->ev = fp_nlc_open(&err);
	if (s->ev && fp_nlc_subscribe(s->ev, &err)) {
		fp_nlc_close(s->ev);
		s->ev = NULL;
	}
	if (s->ev)
		s->nl = fp_nlc_open(&err);
	if (!s->nl) {
		module_close(s);
		note(s, "module", err.msg[0] ? err.msg : "cannot connect");
		return;
	}
	s->module_dirty = true;		/* nothing read yet */
}

/* Drain the event socket; true when the plan must be dumped again. */
static void module_events(struct plansrc *s)
{
	struct fp_nl_event ev;
	struct fp_err err;
	int ret;

	for (;;) {
		ret = fp_nlc_read_event(s->ev, &ev, &err);
		if (ret == EAGAIN)
			return;
		if (ret == ENOBUFS) {		/* events lost: re-read */
			s->module_dirty = true;
			continue;
		}
		if (ret) {
			note(s, "module events", err.msg);
			s->module_dirty = true;
			return;
		}
		if (ev.kind == FP_NL_EV_PLAN_CHANGED)
			s->module_dirty = true;
		fp_nl_event_free(&ev);
	}
}

/* The module's plan becomes @hp (moved; NULL: empty). */
static void module_set(struct plansrc *s, struct fp_hostplan *hp)
{
	fp_hostplan_free(&s->hp);
	if (hp) {
		s->hp = *hp;
		fp_hostplan_init(hp);
	}
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Re-read the plan file when it changed; true when file_hp changed. */
static bool file_check(struct plansrc *s)
{
	struct inotify_event_buf {
		char b[4096] __attribute__((aligned(8)));
	} buf;
	struct fp_hostplan hp;
	struct fp_err err = { "" };
	struct stat st;
	int ret;

	if (s->ino_fd >= 0)
		while (read(s->ino_fd, &buf, sizeof(buf)) > 0)
			;
	if (!s->path)
		return false;
	if (stat(s->path, &st)) {
		note(s, s->path, strerror(errno));
		if (s->file_ok) {
			fp_hostplan_free(&s->file_hp);
			s->file_ok = false;
			s->have_st = false;
			return true;
		}
		return false;
	}
	if (s->have_st && same_file(&st, &s->st))
		return false;
	fp_hostplan_init(&hp);
	ret = fp_hostplan_load(s->path, &hp, &err);
	if (ret) {
		fp_hostplan_free(&hp);
		/* Half-written or wrong: keep the last good one. */
		note(s, "file", err.msg[0] ? err.msg : strerror(ret));
		return false;
	}
	s->st = st;
	s->have_st = true;
	fp_hostplan_free(&s->file_hp);
	s->file_hp = hp;
	s->file_ok = true;
	s->last_err[0] = 0;
	return true;
}

/*
 * Nothing can have changed when no descriptor is readable and the last
 * full look was less than a second ago (a module loaded or removed since
 * is noticed within that second; the file without inotify at once).
 */
static bool quiet(struct plansrc *s)
{
	struct pollfd pfd[3];
	int fds[3], n, i;

	if (!s->started || (s->path && s->ino_fd < 0) ||
	    now_ns() >= s->next_full_ns)
		return false;
	n = ps_fds(s, fds, 3);
	for (i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	return n == 0 || poll(pfd, (nfds_t)n, 0) == 0;
}

bool ps_refresh(struct plansrc *s, bool cheap)
{
	struct fp_hostplan hp;
	struct fp_err err = { "" };
	bool changed = false;
	enum ps_kind kind;
	int ret;

	if (cheap && quiet(s))
		return false;
	if (!s->started)
		start(s);
	s->next_full_ns = now_ns() + RETRY_NS;
	if (s->nl && access(MODULE_DIR, F_OK)) {
		module_close(s);		/* rmmod */
		module_set(s, NULL);
		changed = s->kind == PS_MODULE;
	}
	module_open(s);
	if (s->ev)
		module_events(s);
	if (s->nl && s->module_dirty) {
		ret = fp_nlc_get_plan(s->nl, &hp, &err);
		if (!ret) {
			s->module_dirty = false;
			module_set(s, &hp);
			changed = true;
		} else {
			note(s, "module", err.msg[0] ? err.msg : strerror(ret));
			if (ret != EAGAIN && ret != EINTR) {
				module_close(s);
				module_set(s, NULL);
				changed = true;
			}
		}
	}
	if (file_check(s) && (s->kind == PS_FILE || !s->hp.n))
		changed = true;
	kind = s->hp.n ? PS_MODULE : s->file_ok ? PS_FILE : PS_NONE;
	if (kind != s->kind) {
		changed = true;
		fp_debug("plan source: %s", ps_kind_str(kind));
	}
	s->kind = kind;
	if (changed)
		s->version++;
	return changed;
}

const struct fp_hostplan *ps_plan(const struct plansrc *s)
{
	switch (s->kind) {
	case PS_MODULE:
		return &s->hp;
	case PS_FILE:
		return &s->file_hp;
	case PS_NONE:
		break;
	}
	return NULL;
}

int ps_fds(const struct plansrc *s, int *fds, int max)
{
	int n = 0;

	if (s->ev && n < max)
		fds[n++] = fp_nlc_fd(s->ev);
	if (s->ino_fd >= 0 && n < max)
		fds[n++] = s->ino_fd;
	return n;
}
