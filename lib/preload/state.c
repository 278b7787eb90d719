// SPDX-License-Identifier: MIT
/*
 * state.c - the interposer's process-wide state: one lock over the QP table
 * and the plan, the decision at RTR, re-pinning live QPs when the plan
 * changes, the watcher thread that notices such changes while the program
 * makes no verbs calls, the schedule-report ring, fork and exit.
 *
 * Nothing happens before the first QP reaches RTR: no thread, no socket,
 * no file, so a process that never connects a QP is as if the interposer
 * were absent. FLOWPLAN_PRELOAD=0 turns it off entirely.
 */
#include <errno.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "preload/preload.h"
#include "preload/report.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool ready;			/* table and source initialised */
static struct pl_tab tab;
static struct plansrc src;
static struct fp_pring ring;
static bool watching;
static int wake_fd = -1;

static int enabled = -1;
static int debug = -1;

bool fp_preload_enabled(void)
{
	int e = __atomic_load_n(&enabled, __ATOMIC_RELAXED);
	const char *v;

	if (e < 0) {
		v = getenv("FLOWPLAN_PRELOAD");
		e = !(v && !strcmp(v, "0"));
		__atomic_store_n(&enabled, e, __ATOMIC_RELAXED);
	}
	return e;
}

void fp_debug(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (debug < 0) {
		const char *v = getenv("FLOWPLAN_DEBUG");

		debug = v && *v && strcmp(v, "0");
	}
	if (!debug)
		return;
	n = snprintf(line, sizeof(line), "flowplan-preload[%d]: ",
		     (int)getpid());
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write: lines of several threads and processes stay whole. */
	n = (int)strlen(line);
	if (n < (int)sizeof(line) - 1)
		line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

static const char *addr_str(const struct fp_addr *a, char *buf)
{
	return fp_addr_str(a, buf);
}

/* ---------------------------------------------------------------- fork */

static void at_prepare(void)
{
	pthread_mutex_lock(&lock);
}

static void at_parent(void)
{
	pthread_mutex_unlock(&lock);
}

static void at_child(void)
{
	pthread_mutex_init(&lock, NULL);
	/* The watcher did not come along; the sockets and ring are the parent's. */
	watching = false;
	if (wake_fd >= 0)
		close(wake_fd);
	wake_fd = -1;
	if (ready)
		ps_forget(&src);
	fp_pring_forget(&ring);
}

static void init_once(void)
{
	pthread_atfork(at_prepare, at_parent, at_child);
}

/* Under the lock. false: out of memory (then nothing is tracked). */
static bool init_locked(void)
{
	if (ready)
		return true;
	if (pl_init(&tab))
		return false;
	ps_init(&src);
	ready = true;
	return true;
}

static void lock_init(void)
{
	pthread_once(&once, init_once);
	pthread_mutex_lock(&lock);
}

/* -------------------------------------------------------------- reports */

/* @nqp: the peer's connected QPs after the event. */
static void report_n(const struct pl_qp *q, uint16_t op, int status,
		     unsigned int nqp)
{
	uint16_t flags = 0;

	if (q->label && q->label != q->app_label)
		flags |= FP_PREC_F_PLANNED;
	if (q->stale)
		flags |= FP_PREC_F_RECONNECT;
	if (q->unplanned)
		flags |= FP_PREC_F_UNPLANNED;
	fp_pring_put(&ring, op, flags, status, &q->local, &q->remote, q->qpn,
		     q->label, nqp);
}

static void report(const struct pl_qp *q, uint16_t op, int status)
{
	report_n(q, op, status, q->peer ? q->peer->nqp : 0);
}

/* Under the lock: @q is no longer connected, say so. */
static void disconnect(struct pl_qp *q)
{
	unsigned int n = q->peer ? q->peer->nqp - 1 : 0;

	pl_disconnect(&tab, q);
	report_n(q, FP_OP_QP_DOWN, 0, n);
}

/* --------------------------------------------------------------- re-pin */

/*
 * The plan changed: a connected QP whose planned label differs from the
 * one it sends with moves in place where the device can (mlx5:
 * mlx5dv_modify_qp_udp_sport); elsewhere it keeps its path and is marked
 * and reported as needing a reconnect. A QP the new plan has no entry for
 * keeps its path.
 */
static void repin(struct pl_qp *q, void *arg)
{
	const struct fp_hostplan *hp = arg;
	char l[FP_ADDR_STRLEN], r[FP_ADDR_STRLEN];
	uint32_t want = pl_planned(hp, q, NULL);
	bool unplanned = !want;
	int ret;

	if (!want)
		want = q->label;
	q->want = want;
	q->version = src.version;
	/* Kept current for its next record; the plan's maker knows the change. */
	q->unplanned = unplanned;
	if (want == q->label) {
		q->stale = false;
		return;
	}
	ret = fp_hook_set_sport(q->qp, fp_label_to_sport(want));
	if (!ret) {
		fp_debug("qp 0x%x %s -> %s: moved in place to label 0x%x (sport %u)",
			 q->qpn, addr_str(&q->local, l), addr_str(&q->remote, r),
			 want, fp_label_to_sport(want));
		q->label = want;
		q->stale = false;
	} else {
		if (!q->stale)
			fp_debug("qp 0x%x %s -> %s: reconnect needed for label 0x%x (sport %u): %s",
				 q->qpn, addr_str(&q->local, l),
				 addr_str(&q->remote, r), want,
				 fp_label_to_sport(want), strerror(ret));
		q->stale = true;
	}
	report(q, FP_OP_QP_REPIN, ret);
}

static void repin_all(void)
{
	pl_each_connected(&tab, repin, (void *)ps_plan(&src));
}

/* ------------------------------------------------------------- watcher */

static void *watch(void *arg)
{
	struct pollfd pfd[4];
	int fds[3], n, i;
	uint64_t v;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		n = ps_fds(&src, fds, 3);
		pthread_mutex_unlock(&lock);
		pfd[0] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };
		for (i = 0; i < n; i++)
			pfd[i + 1] = (struct pollfd){ .fd = fds[i],
						      .events = POLLIN };
		if (poll(pfd, (nfds_t)n + 1, -1) < 0 && errno != EINTR)
			return NULL;
		if (pfd[0].revents & POLLIN && read(wake_fd, &v, sizeof(v)) < 0)
			continue;
		pthread_mutex_lock(&lock);
		if (ps_refresh(&src, false))
			repin_all();
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

/* Under the lock: a thread that notices plan changes, once connected. */
static void watch_start(void)
{
	sigset_t all, old;
	pthread_attr_t a;
	pthread_t t;

	if (watching)
		return;
	wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wake_fd < 0)
		return;
	/* The program's signals are not ours to receive. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, 256 * 1024);
	if (!pthread_create(&t, &a, watch, NULL)) {
		watching = true;
		pthread_setname_np(t, "flowplan-plan");
	} else {
		close(wake_fd);
		wake_fd = -1;
	}
	pthread_attr_destroy(&a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The plan's sources may have changed: the watcher polls the new ones. */
static void watch_kick(void)
{
	uint64_t one = 1;

	if (wake_fd >= 0 && write(wake_fd, &one, sizeof(one)) < 0)
		return;
}

/* --------------------------------------------------------- QP lifetime */

void fp_st_qp_created(const void *qp, uint32_t qpn, uint8_t type)
{
	lock_init();
	if (init_locked())
		pl_add(&tab, qp, qpn, type);
	pthread_mutex_unlock(&lock);
}

void fp_st_qp_destroyed(const void *qp)
{
	struct pl_qp *q;

	lock_init();
	q = ready ? pl_get(&tab, qp) : NULL;
	if (q) {
		if (q->connected)
			disconnect(q);
		pl_del(&tab, q);
	}
	pthread_mutex_unlock(&lock);
}

void fp_st_qp_port(const void *qp, uint32_t qpn, uint8_t type, uint8_t port)
{
	struct pl_qp *q;

	lock_init();
	q = init_locked() ? pl_add(&tab, qp, qpn, type) : NULL;
	if (q && port)
		q->port = port;
	pthread_mutex_unlock(&lock);
}

uint8_t fp_st_qp_port_of(const void *qp)
{
	struct pl_qp *q;
	uint8_t port = 0;

	lock_init();
	q = ready ? pl_get(&tab, qp) : NULL;
	if (q)
		port = q->port;
	pthread_mutex_unlock(&lock);
	return port;
}

void fp_st_qp_reset(const void *qp)
{
	struct pl_qp *q;

	lock_init();
	q = ready ? pl_get(&tab, qp) : NULL;
	if (q && q->connected)
		disconnect(q);
	pthread_mutex_unlock(&lock);
}

static int count_adds(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(unsigned long long *)data = info->dlpi_adds;
	return 1;
}

/*
 * libflowplan pins its own QPs from the same plan: leave them to it. Asked
 * again only when objects were loaded since (dlpi_adds).
 */
static bool libflowplan_present(void)
{
	static unsigned long long seen = ~0ull;
	static bool present;
	unsigned long long adds = 0;

	if (present)
		return true;
	dl_iterate_phdr(count_adds, &adds);
	if (adds != __atomic_load_n(&seen, __ATOMIC_RELAXED)) {
		present = fp_hook_lookup("fp_ctx_open") != NULL;
		__atomic_store_n(&seen, adds, __ATOMIC_RELAXED);
	}
	return present;
}

struct fp_rtr fp_st_rtr_begin(const void *qp, uint32_t qpn, uint8_t type,
			      const struct fp_addr *local,
			      const struct fp_addr *remote, uint32_t dqpn,
			      uint32_t app_label)
{
	struct fp_rtr r = { 0 };
	struct pl_qp *q;
	int nfd0, fds[3];

	if (libflowplan_present())
		return r;
	lock_init();
	if (!init_locked())
		goto out;
	nfd0 = ps_fds(&src, fds, 3);
	/*
	 * Once the watcher runs, it keeps the plan; a look at its fds here
	 * closes the window between a change and the watcher's turn.
	 */
	if (ps_refresh(&src, watching))
		repin_all();
	if (ps_fds(&src, fds, 3) != nfd0)
		watch_kick();
	q = pl_add(&tab, qp, qpn, type);
	if (!q)
		goto out;
	if (q->connected)		/* connected again without a reset */
		disconnect(q);
	if (pl_connect(&tab, q, local, remote, dqpn, app_label))
		goto out;
	r.label = pl_planned(ps_plan(&src), q, NULL);
	r.version = src.version;
	watch_start();
	if (!fp_pring_ready(&ring))
		fp_pring_open(&ring);
out:
	pthread_mutex_unlock(&lock);
	return r;
}

void fp_st_rtr_end(const void *qp, const struct fp_rtr *r, int ret)
{
	char l[FP_ADDR_STRLEN], rm[FP_ADDR_STRLEN];
	struct pl_qp *q;

	lock_init();
	q = ready ? pl_get(&tab, qp) : NULL;
	if (!q || !q->connected)
		goto out;
	if (ret) {
		pl_disconnect(&tab, q);
		goto out;
	}
	q->label = r->label ? r->label : q->app_label;
	q->unplanned = !r->label;
	q->want = q->label;
	q->version = r->version;
	if (r->label)
		fp_debug("qp 0x%x %s -> %s qp 0x%x: subflow %u, label 0x%x (sport %u)",
			 q->qpn, addr_str(&q->local, l), addr_str(&q->remote, rm),
			 q->dqpn, q->slot, q->label, fp_label_to_sport(q->label));
	else
		fp_debug("qp 0x%x %s -> %s qp 0x%x: no plan entry (%s), label 0x%x left",
			 q->qpn, addr_str(&q->local, l), addr_str(&q->remote, rm),
			 q->dqpn, ps_kind_str(src.kind), q->label);
	report(q, FP_OP_QP_UP, 0);
	/* The plan changed between the decision and now. */
	if (q->version != src.version)
		repin(q, (void *)ps_plan(&src));
out:
	pthread_mutex_unlock(&lock);
}

__attribute__((destructor)) static void fini(void)
{
	pthread_mutex_lock(&lock);
	fp_pring_close(&ring);
	pthread_mutex_unlock(&lock);
}
