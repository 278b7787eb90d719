// SPDX-License-Identifier: MIT
/*
 * fpd.c - flowpland's state, observers, re-planning and installing (fpd.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "core/err.h"
#include "fpd.h"
#include "planner/topo.h"
#include "planner/util.h"

/*
 * How long a restarted daemon keeps the module's entries of pairs its plans
 * have none for (struct fpd resync). A running job's cycle is found again
 * after min_reps (3) repetitions: seconds for a training step, but over
 * 70 s after the start in daemon-dual on a loaded emulated VM, a step of
 * tens of seconds takes minutes; dropped too early, the job's subflows
 * lose their pinned ports until then. Kept too long costs little: the
 * entries of a job that ended with the old daemon pin a pair nobody sends
 * on, and a new job of that pair is planned over them once its cycle is
 * found. Five minutes, so that they do not stay for ever.
 */
#define FPD_RESYNC_NS	300000000000ull

static const double lat_bounds[FPD_LAT_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
};

void fpd_log(struct fpd *d, int level, const char *fmt, ...)
{
	static const char *const tag[] = { "emerg", "alert", "crit", "error", "warning",
					   "notice", "info", "debug" };
	va_list ap;

	if (level > d->conf.log_level)
		return;
	/* under systemd the journal reads the <N> prefix as the priority */
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>", level);
	else
		fprintf(stderr, "flowpland: %s: ", tag[level & 7]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void fpd_event(struct fpd *d, const char *kind, const char *fmt, ...)
{
	struct fpd_event *e = &d->ev[d->nev % FPD_EVENTS];
	va_list ap;

	e->wall_ns = fpd_wall();
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	d->nev++;
	fpd_log(d, LOG_NOTICE, "%s: %s", e->kind, e->text);
}

/* ------------------------------------------------------------- modes */

static void local_changed(struct fpd *d, const char *why)
{
	fpd_request_replan(d, why);
}

const struct fpd_mode fpd_mode_local = {
	.name = "local",
	.changed = local_changed,
};

/* ---------------------------------------------------------- addresses */

static int parse_local(struct fpd *d, const char *list, struct fp_err *err)
{
	struct fp_addr *a = NULL;
	size_t n = 0;
	char buf[FPD_PATHLEN], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		struct fp_addr *na, x;
		const char *why;

		/* as the topology takes NIC addresses: IPv4 or IPv6 (RFC 5952) */
		if (fp_nic_addr_parse(tok, &x, &why)) {
			free(a);
			return fp_fail(err, EINVAL, "[fabric] local_addrs: '%s' is %s", tok, why);
		}
		na = realloc(a, (n + 1) * sizeof(*a));
		if (!na) {
			free(a);
			return fp_fail(err, ENOMEM, "out of memory");
		}
		a = na;
		a[n++] = x;
	}
	free(d->local);
	d->local = a;
	d->nlocal = n;
	return 0;
}

/*
 * The host's IPv4 and IPv6 addresses (the RoCEv2 GIDs are made of them):
 * those the fabric names are this host's NICs.
 */
static int host_addrs(struct fpd *d, struct fp_err *err)
{
	struct fp_addr *a = NULL;
	size_t n = 0;
	int ret = fp_local_addrs(&a, &n);

	if (ret)
		return fp_fail(err, ret, "getifaddrs: %s", strerror(ret));
	free(d->local);
	d->local = a;
	d->nlocal = n;
	return 0;
}

/* ------------------------------------------------------------ install */

static void lat_record(struct fpd *d, double s)
{
	size_t i;

	d->last_latency_s = s;
	d->lat_count++;
	d->lat_sum += s;
	for (i = 0; i < FPD_LAT_BUCKETS; i++)
		if (s <= lat_bounds[i])
			d->lat_bucket[i]++;
}

int fpd_install(struct fpd *d, const struct fp_hostplan *hp, struct fp_err *err)
{
	uint64_t gen = d->generation + 1;
	int ret;

	if (!d->kmod_open)
		return fp_fail(err, ENOENT, "flowplan module not loaded: plan kept for when it is");
	ret = d->kops->set_plan(d->kctx, hp, gen, err);
	if (ret) {
		d->install_errors++;
		fpd_event(d, "install-failed", "generation %" PRIu64 ": %s", gen, err->msg);
		return ret;
	}
	d->generation = gen;
	ret = fpd_hostplan_copy(&d->installed, hp);
	if (ret)
		return fp_fail(err, ret, "out of memory");
	d->installed.generation = gen;
	d->installs++;
	fpd_event(d, "install", "generation %" PRIu64 ", %zu entries", gen, hp->n);
	return 0;
}

/* Install the wanted plan unless the module holds it already. */
static int sync_module(struct fpd *d, struct fp_err *err)
{
	int ret;

	if (!d->have_wanted || !d->kmod_open)
		return 0;
	if (fpd_hostplan_equal(&d->wanted, &d->installed)) {
		d->unchanged++;
		fpd_log(d, LOG_DEBUG, "the module holds this plan already (generation %" PRIu64 ")",
			d->installed.generation);
		return 0;
	}
	ret = fpd_install(d, &d->wanted, err);
	if (!ret && d->fault)
		fpd_fault_set_plan(d->fault, d->fs, d->nfs);
	return ret;
}

/* "unroutable_flows": N and "unroutable": ["SRC -> DST: why", ...] into @o. */
static void add_unroutable(struct json_object *o, const struct fpd_plan_info *info)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < info->nunroutable; i++)
		json_object_array_add(a, json_object_new_string(info->unroutable[i].text));
	json_object_object_add(o, "unroutable_flows", json_object_new_int64((int64_t)info->nunroutable));
	json_object_object_add(o, "unroutable", a);
}

int fpd_set_plan(struct fpd *d, const struct fp_hostplan *hp, struct fp_err *err)
{
	int ret = fpd_hostplan_copy(&d->wanted, hp);

	if (ret)
		return fp_fail(err, ret, "out of memory");
	d->have_wanted = true;
	d->why[0] = 0;
	free(d->fs);
	d->fs = NULL;
	d->nfs = 0;
	if (!d->kmod_open)
		return fp_fail(err, ENOENT, "flowplan module not loaded: plan kept for when it is");
	return sync_module(d, err);
}

/* No longer keeping the entries the module held at the start. */
static void resync_end(struct fpd *d, const char *why)
{
	fpd_event(d, "resync", "%s", why);
	fpd_hostplan_clear(&d->resync);
	fpd_timer_set(&d->t_resync, 0, 0);
}

static void on_resync_timer(struct fpd_timer *t, uint64_t n)
{
	struct fpd *d = t->arg;
	char why[160];

	(void)n;
	if (!d->resync.n)
		return;
	snprintf(why, sizeof(why), "%llu s after the start: the %zu entries of before it that no plan has are dropped",
		 FPD_RESYNC_NS / 1000000000ull, d->carried);
	resync_end(d, why);
	if (d->carried)
		d->mode->changed(d, "no longer keeping the module's entries of before the start");
}

/* Entries of @hp that @a (or NULL) or @b has as they are. */
static size_t same_entries(const struct fp_hostplan *hp, const struct fp_hostplan *a,
			   const struct fp_hostplan *b)
{
	size_t i, n = 0;

	for (i = 0; i < hp->n; i++) {
		const struct fp_hostplan_entry *e = &hp->e[i], *x;

		x = a ? fp_hostplan_find(a, &e->local, &e->remote, e->dqpn) : NULL;
		if (!x || !fpd_hostplan_entry_equal(e, x))
			x = fp_hostplan_find(b, &e->local, &e->remote, e->dqpn);
		n += x && fpd_hostplan_entry_equal(e, x);
	}
	return n;
}

int fpd_replan_now(struct fpd *d, struct fp_err *err)
{
	const struct fpd_cycle **cy = NULL;
	struct fp_hostplan hp;
	struct fpd_plan_info info;
	struct fpd_fsub *fs = NULL;
	size_t ncy, nfs = 0, i, kept, carried = 0;
	bool changed;
	uint64_t t0 = d->replan_pending ? d->replan_t0 : fpd_now();
	int ret;

	d->replan_pending = false;
	d->last_replan_ns = fpd_now();
	d->replans++;
	if (fpd_planner_ready(&d->planner)) {
		/* down links are out of ECMP; suspected ones are still hashed onto */
		ret = fpd_planner_set_failed(&d->planner, d->failed_ev, d->nfailed_ev, &changed, err);
		if (!ret)
			ret = fpd_planner_set_avoid(&d->planner, d->failed_fault, d->nfailed_fault,
						    &changed, err);
		if (ret)
			fpd_log(d, LOG_WARNING, "links to plan around: %s", err->msg);
	}
	ncy = fpd_cyc_count(d->cyc);
	cy = calloc(ncy + 1, sizeof(*cy));
	if (!cy)
		return fp_fail(err, ENOMEM, "out of memory");
	for (i = 0; i < ncy; i++)
		cy[i] = fpd_cyc_get(d->cyc, i);
	ret = fpd_planner_plan(&d->planner, cy, ncy, d->local, d->nlocal, &hp, &fs, &nfs,
			       &info, err);
	free(cy);
	if (ret) {
		snprintf(d->why, sizeof(d->why), "%s", err->msg);
		return ret;
	}
	d->why[0] = 0;
	/*
	 * Restarted: a pair's entry in the module since before the start keeps
	 * its ports where they take the planned paths (the old daemon may have
	 * chosen other ports of those paths than this plan: nothing need move);
	 * then what this run planned before.
	 */
	if (d->resync.n)
		fpd_hostplan_keep(&d->planner, &hp, fs, nfs, &d->resync, NULL, 0);
	fpd_hostplan_keep(&d->planner, &hp, fs, nfs, &d->wanted, d->fs, d->nfs);
	kept = same_entries(&hp, d->resync.n ? &d->resync : NULL, &d->wanted);
	/* restarted: the entries of jobs not found again yet stay as they were */
	if (d->resync.n) {
		struct fp_err cerr = { "" };

		if (fpd_hostplan_carry(&hp, fs, nfs, &d->resync, &carried, &cerr)) {
			char why[sizeof(cerr.msg) + 64];

			snprintf(why, sizeof(why), "cannot keep the module's entries of before the start: %s",
				 cerr.msg);
			resync_end(d, why);
		} else if (carried) {
			fpd_log(d, LOG_INFO, "%zu entries of the module's plan at the start kept: their jobs' cycles are not found again yet",
				carried);
		} else {
			resync_end(d, "every pair of the module's plan at the start is planned again");
		}
	}
	d->carried = carried;
	fpd_hostplan_clear(&d->wanted);
	d->wanted = hp;
	d->have_wanted = true;
	free(d->fs);
	d->fs = fs;
	d->nfs = nfs;
	fpd_plan_info_free(&d->info);
	d->info = info;
	if (info.repaired)
		fpd_log(d, LOG_INFO, "repaired the plan: %zu subflows moved, %zu relabelled, %zu flows dropped; max load %.6g s, bound %.6g s; %zu entries here, %zu kept as they were (%.1f ms)",
			info.repair.moved, info.repair.relabelled,
			info.repair.dropped, info.max_load, info.lower_bound, info.entries, kept,
			info.compute_ns / 1e6);
	else
		fpd_log(d, LOG_INFO, "planned %zu phases, %zu flows: max load %.6g s, bound %.6g s; "
			"%zu entries here, %zu kept as they were (%.1f ms)", info.phases, info.flows,
			info.max_load, info.lower_bound, info.entries, kept, info.compute_ns / 1e6);
	if (info.nunroutable) {
		char line[1024];

		fpd_unroutable_line(info.unroutable, info.nunroutable, info.flows,
				    "fpd-ctl status", line, sizeof(line));
		fpd_log(d, LOG_WARNING, "%s", line);
	}
	ret = sync_module(d, err);
	if (!ret && d->kmod_open)
		lat_record(d, (double)(fpd_now() - t0) / 1e9);
	/* the first plan's pairs are probed at once */
	if (d->probe_on && !d->probes && !fpd_probe_running(&d->probe)) {
		struct fp_err perr = { "" };

		if (fpd_probe_now(d, "start", &perr))
			fpd_log(d, LOG_WARNING, "probe: %s", perr.msg);
	}
	return ret == ENOENT ? 0 : ret;
}

static void on_replan_timer(struct fpd_timer *t, uint64_t n)
{
	struct fpd *d = t->arg;
	struct fp_err err = { "" };

	(void)n;
	if (!d->replan_pending)
		return;
	if (fpd_replan_now(d, &err) && err.msg[0])
		fpd_log(d, LOG_INFO, "re-plan (%s): %s", d->replan_why, err.msg);
}

void fpd_request_replan(struct fpd *d, const char *why)
{
	uint64_t now = fpd_now(), due = d->last_replan_ns + d->conf.holddown_ns;

	if (!d->replan_pending) {
		d->replan_pending = true;
		d->replan_t0 = now;
		snprintf(d->replan_why, sizeof(d->replan_why), "%s", why);
	}
	fpd_timer_set(&d->t_replan, due > now ? due - now : 1, 0);
}

/* ------------------------------------------------------------ probing */

/* The learned map, for the next start ([probe] state): aside, then renamed. */
static void save_portmap(struct fpd *d)
{
	char tmp[FPD_PATHLEN + 16];
	FILE *f;
	int ret;

	if (!d->conf.probe_state[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.new", d->conf.probe_state);
	f = fopen(tmp, "w");
	if (!f) {
		fpd_log(d, LOG_WARNING, "%s: %s (the learned port map is not kept)", tmp,
			strerror(errno));
		return;
	}
	ret = fpd_planner_write_portmap(&d->planner, f);
	if (fclose(f) || ret || rename(tmp, d->conf.probe_state)) {
		fpd_log(d, LOG_WARNING, "%s: cannot write it", d->conf.probe_state);
		unlink(tmp);
		return;
	}
	d->probe_saved = true;
}

/* The map learned before a restart, over the configured one. */
static void load_portmap(struct fpd *d)
{
	struct fp_err err = { "" };
	char *text = NULL;
	size_t len, moved = 0;

	if (!d->probe_on || !d->conf.probe_state[0] || access(d->conf.probe_state, F_OK))
		return;
	if (fp_read_file(d->conf.probe_state, FP_PORTMAP_FILE_MAX, &text, &len, &err) ||
	    strlen(text) != len ||
	    fpd_planner_set_portmap(&d->planner, text, d->conf.probe_state, true, &moved, &err))
		fpd_log(d, LOG_WARNING, "%s: %s (not used; the next probe learns the map)",
			d->conf.probe_state, err.msg[0] ? err.msg : "unreadable");
	else
		fpd_event(d, "portmap", "the port map learned before: %s", d->conf.probe_state);
	free(text);
}

static void probe_done(void *arg, const struct fpd_probe_result *r)
{
	struct fpd *d = arg;
	struct fp_err err = { "" };
	size_t moved = 0;

	d->probe_wall_ns = fpd_wall();
	d->probe_last.status = r->status;
	d->probe_last.pairs = r->pairs;
	d->probe_last.resolved = r->resolved;
	d->probe_last.seconds = r->seconds;
	d->probe_last.moved = 0;
	snprintf(d->probe_last.why, sizeof(d->probe_last.why), "%s", r->why);
	if (!r->status && fpd_planner_set_portmap(&d->planner, r->map, "probe", true, &moved,
						  &err)) {
		d->probe_last.status = EINVAL;
		snprintf(d->probe_last.why, sizeof(d->probe_last.why), "%s", err.msg);
	}
	if (d->probe_last.status) {
		d->probe_failures++;
		fpd_event(d, "probe-failed", "%s", d->probe_last.why);
		return;
	}
	d->probe_last.moved = moved;
	if (d->planner.pm_kept)
		fpd_log(d, LOG_INFO, "probe: %zu pairs with no path named keep the ports learned before",
			d->planner.pm_kept);
	if (moved || !d->probe_saved)
		save_portmap(d);
	if (!moved) {
		fpd_log(d, LOG_INFO, "probe: %zu of %zu pairs resolved in %.1f s, every port on the path the map in use says",
			r->resolved, r->pairs, r->seconds);
		return;
	}
	d->probe_changes++;
	fpd_event(d, "probe", "%zu ports take other paths than the port map in use says (%zu of %zu pairs resolved, %.1f s): re-planning",
		  moved, r->resolved, r->pairs, r->seconds);
	d->mode->changed(d, "the probed port map changed");
}

int fpd_probe_now(struct fpd *d, const char *why, struct fp_err *err)
{
	struct fp_addr *pairs = NULL;
	size_t n = 0, i, k;
	int ret;

	if (!d->probe_on)
		return fp_fail(err, ENOTSUP, "probing is off ([probe] routers)");
	if (!fpd_planner_ready(&d->planner))
		return fp_fail(err, ENOTSUP, "no fabric to probe ([fabric] topology)");
	if (fpd_probe_running(&d->probe))
		return fp_fail(err, EBUSY, "a probe is under way");
	/* the planned pairs of this host, both families */
	if (fpd_planner_pairs(&d->planner, d->local, d->nlocal, &pairs, &n))
		return fp_fail(err, ENOMEM, "out of memory");
	if (!n) {
		/* nothing planned yet: this host's NICs to every other host's, of one family */
		const struct fp_topo *t = d->planner.base;
		int s, x;

		for (s = 0; s < t->nnodes; s++) {
			if (!t->nodes[s].is_nic)
				continue;
			for (i = 0; i < d->nlocal && fp_addr_cmp(&t->nodes[s].ip, &d->local[i]); i++)
				;
			if (i == d->nlocal)
				continue;
			for (x = 0; x < t->nnodes; x++) {
				struct fp_addr *np;

				if (!t->nodes[x].is_nic || t->nodes[x].host == t->nodes[s].host ||
				    fp_addr_is_v4(&t->nodes[x].ip) != fp_addr_is_v4(&t->nodes[s].ip))
					continue;
				np = realloc(pairs, 2 * (n + 1) * sizeof(*np));
				if (!np) {
					free(pairs);
					return fp_fail(err, ENOMEM, "out of memory");
				}
				pairs = np;
				pairs[2 * n] = t->nodes[s].ip;
				pairs[2 * n + 1] = t->nodes[x].ip;
				n++;
			}
		}
	}
	ret = fpd_probe_start(&d->probe, &d->planner, pairs, n, &d->installed, err);
	k = n;
	free(pairs);
	if (ret)
		return ret;
	d->probes++;
	fpd_log(d, LOG_INFO, "probe (%s): %zu pairs", why, k);
	return 0;
}

void fpd_set_probe_engine(struct fpd *d, fpd_probe_engine e)
{
	d->probe_engine = e;
	if (d->probe_on)
		fpd_probe_set_engine(&d->probe, e);
}

static void on_probe_timer(struct fpd_timer *t, uint64_t n)
{
	struct fpd *d = t->arg;
	struct fp_err err = { "" };
	int ret;

	(void)n;
	ret = fpd_probe_now(d, "periodic", &err);
	if (ret && ret != EBUSY)
		fpd_log(d, LOG_INFO, "probe: %s", err.msg);
}

static int probe_setup(struct fpd *d, struct fp_err *err)
{
	uint64_t i = d->conf.probe_interval_ns;
	int ret;

	if (d->probe_on)
		fpd_probe_fini(&d->probe);
	d->probe_on = false;
	fpd_timer_set(&d->t_probe, 0, 0);
	if (!d->conf.routers[0])
		return 0;
	if (!fpd_planner_ready(&d->planner))
		return fp_fail(err, EINVAL, "[probe] routers needs a [fabric] topology");
	ret = fpd_probe_init(&d->probe, &d->loop, d->conf.routers, d->conf.probe_ports,
			     d->conf.probe_per_path, d->conf.probe_rate,
			     (unsigned int)(d->conf.probe_deadline_ns / 1000000000u),
			     d->probe_engine, probe_done, d, err);
	if (ret)
		return ret;
	d->probe_on = true;
	d->probes = 0;	/* the next plan's pairs are probed at once */
	d->probe_saved = false;
	load_portmap(d);
	if (i)
		fpd_timer_set(&d->t_probe, i, i);
	return 0;
}

/* --------------------------------------------------------- observers */

static int feed(void *arg, const struct fpd_msg *m, size_t n)
{
	struct fpd *d = arg;

	return fpd_cyc_add(d->cyc, m, n);
}

void fpd_read_reports(struct fpd *d, uint64_t now)
{
	struct fpd_cyc_event ev[32];
	bool replan = false;
	size_t nev, i;
	int ret;

	if (d->rings) {
		struct fpd_rings_stats rs;

		ret = fpd_rings_read(d->rings, feed, d);
		if (ret)
			fpd_log(d, LOG_ERR, "reading report rings: %s", strerror(ret));
		fpd_rings_stats(d->rings, &rs);
		if (rs.denied > d->rings_denied)
			fpd_log(d, LOG_WARNING,
				"%s: %zu report ring(s) the daemon may not read: a writer grants the daemon's user read with a POSIX ACL, which the file system must support (tmpfs: CONFIG_TMPFS_POSIX_ACL)",
				d->conf.report_dir, rs.denied);
		d->rings_denied = rs.denied;
	}
	ret = fpd_cyc_advance(d->cyc, now, ev, 32, &nev);
	if (ret)
		fpd_log(d, LOG_ERR, "cycle detection: %s", strerror(ret));
	for (i = 0; i < nev; i++) {
		char job[24];

		if (ev[i].job & 0x80000000u)
			snprintf(job, sizeof(job), "pid%u", ev[i].job & 0x7fffffffu);
		else
			snprintf(job, sizeof(job), "comm%u", ev[i].job);
		switch (ev[i].kind) {
		case FPD_CYC_LOCKED:
			fpd_event(d, "cycle", "job %s: cycle of %u phases found", job, ev[i].period);
			replan = true;
			break;
		case FPD_CYC_CHANGED:
			fpd_event(d, "cycle", "job %s: cycle changed from %u to %u phases", job,
				  ev[i].old_period, ev[i].period);
			replan = true;
			break;
		case FPD_CYC_LOST:
			fpd_event(d, "cycle", "job %s: no longer follows its cycle (plan kept)", job);
			break;
		case FPD_CYC_GONE:
			fpd_event(d, "cycle", "job %s: gone quiet", job);
			replan = true;
			break;
		}
	}
	if (replan && !d->planner.fixed)
		d->mode->changed(d, "the observed cycles changed");
}

/* With no ring to read and no job left to retire, the timer sleeps. */
static void report_timer_arm(struct fpd *d, bool on)
{
	uint64_t i = on ? d->conf.report_interval_ns : 0;

	fpd_timer_set(&d->t_report, i, i);
}

static void on_report_timer(struct fpd_timer *t, uint64_t n)
{
	struct fpd *d = t->arg;
	struct fpd_rings_stats rs = { 0 };
	struct fpd_cyc_stats cs;

	(void)n;
	fpd_read_reports(d, fpd_wall());
	if (d->rings)
		fpd_rings_stats(d->rings, &rs);
	fpd_cyc_stats(d->cyc, &cs);
	if (!rs.pending && !cs.jobs)
		report_timer_arm(d, false);
}

static void on_new_ring(void *arg)
{
	report_timer_arm(arg, true);
}

static bool same_set(const int *a, size_t na, const int *b, size_t nb)
{
	size_t i, k;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		for (k = 0; k < nb && a[i] != b[k]; k++)
			;
		if (k == nb)
			return false;
	}
	return true;
}

bool fpd_avoid(struct fpd *d, const int32_t *links, size_t n, unsigned int nsubs)
{
	char names[200] = "";
	bool fresh = false;
	size_t k, j;

	/*
	 * Only fabric links can be planned around (a host's own link cannot
	 * be avoided; the module reports those itself).
	 */
	for (k = 0; k < n; k++) {
		int l = links[k] / 2;
		char name[80];

		if (!fpd_planner_link_is_fabric(&d->planner, links[k]))
			continue;
		fpd_planner_link_name(&d->planner, links[k], name, sizeof(name));
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 names[0] ? " or " : "", name);
		for (j = 0; j < d->nfailed_fault && d->failed_fault[j] != l; j++)
			;
		if (j == d->nfailed_fault && j < FPD_FAILED_MAX) {
			d->failed_fault[d->nfailed_fault++] = l;
			fresh = true;
		}
	}
	if (!fresh)
		return false;
	d->faults_total++;
	fpd_event(d, "fault", "%u subflows stalled while their peers moved: %s; "
		  "planning around it", nsubs, names);
	d->mode->changed(d, "a suspected path fault");
	return true;
}

void fpd_read_counters(struct fpd *d)
{
	struct fp_err err = { "" };
	struct fpd_fcount *c = NULL;
	struct fpd_suspect sp[8];
	size_t n = 0, ns, i;

	if (!d->kmod_open || !d->fault || !d->have_wanted)
		return;
	if (d->kops->get_counters(d->kctx, &c, &n, &err)) {
		fpd_log(d, LOG_WARNING, "counters: %s", err.msg);
		return;
	}
	fpd_fault_sample(d->fault, c, n);
	free(c);
	ns = fpd_fault_suspects(d->fault, sp, 8);
	memcpy(d->suspects, sp, ns * sizeof(*sp));
	d->nsuspects = ns;
	/* a new suspect joins the links planned around until a replan or reload */
	for (i = 0; i < ns; i++)
		fpd_avoid(d, sp[i].link, sp[i].nlinks, sp[i].nsubs);
}

static void on_counters_timer(struct fpd_timer *t, uint64_t n)
{
	(void)n;
	fpd_read_counters(t->arg);
}

/* The module's link and port events: the NIC links of the port's addresses. */
void fpd_kmod_event(struct fpd *d, const struct fpd_kev *ev)
{
	static const char *const kinds[2][2] = { { "link-down", "link-up" },
						 { "port-down", "port-up" } };
	struct fp_err err = { "" };
	struct fp_hostplan hp = { 0 };
	int before[FPD_FAILED_MAX];
	size_t nb = d->nfailed_ev, i, k;

	switch (ev->kind) {
	case FPD_KEV_LINK:
		if (d->mode->link)
			d->mode->link(d, ev);
		memcpy(before, d->failed_ev, sizeof(before));
		for (i = 0; i < ev->naddrs; i++) {
			int l = fpd_planner_nic_link(&d->planner, &ev->addrs[i]);

			if (l < 0)
				continue;
			for (k = 0; k < d->nfailed_ev && d->failed_ev[k] != l; k++)
				;
			if (!ev->up && k == d->nfailed_ev && k < FPD_FAILED_MAX)
				d->failed_ev[d->nfailed_ev++] = l;
			else if (ev->up && k < d->nfailed_ev)
				d->failed_ev[k] = d->failed_ev[--d->nfailed_ev];
		}
		fpd_event(d, kinds[ev->ib_state][ev->up], "%s port %u", ev->dev, ev->port);
		if (!same_set(before, nb, d->failed_ev, d->nfailed_ev))
			d->mode->changed(d, ev->up ? "a link came up" : "a link went down");
		break;
	case FPD_KEV_DEVICE:
		fpd_event(d, "device", "%s came or went", ev->dev);
		break;
	case FPD_KEV_PLAN:
		if (ev->generation > d->generation) {
			/* someone else installed a plan: never go back below it */
			fpd_event(d, "plan", "generation %" PRIu64 " installed by someone else",
				  ev->generation);
			d->generation = ev->generation;
			if (!d->kops->get_plan(d->kctx, &hp, &err)) {
				fpd_hostplan_copy(&d->installed, &hp);
				fpd_hostplan_clear(&hp);
			}
		}
		break;
	case FPD_KEV_LOST:
		fpd_event(d, "events-lost", "module events were lost: re-reading the plan");
		if (!d->kops->get_plan(d->kctx, &hp, &err)) {
			if (hp.generation > d->generation)
				d->generation = hp.generation;
			fpd_hostplan_copy(&d->installed, &hp);
			fpd_hostplan_clear(&hp);
		}
		break;
	}
}

static void on_kmod_event(struct fpd_io *io, uint32_t events)
{
	struct fpd *d = io->arg;
	struct fp_err err = { "" };
	struct fpd_kev ev;
	int ret;

	(void)events;
	for (;;) {
		ret = d->kops->read_event(d->kctx, &ev, &err);
		if (ret == EAGAIN)
			break;
		if (ret == ENOBUFS) {
			ev.kind = FPD_KEV_LOST;
		} else if (ret) {
			fpd_log(d, LOG_WARNING, "module events: %s", err.msg);
			break;
		}
		fpd_kmod_event(d, &ev);
		if (!d->kmod_open)
			break;
	}
}

static void kmod_down(struct fpd *d)
{
	if (!d->kmod_open)
		return;
	if (d->kev_io.loop)
		fpd_io_del(&d->kev_io);
	d->kops->close(d->kctx);
	d->kmod_open = false;
}

/* Connect and resynchronise: continue from the module's generation. */
static int kmod_up(struct fpd *d)
{
	struct fp_err err = { "" };
	struct fp_hostplan hp = { 0 };
	int fd, ret;

	if (d->kmod_open)
		return 0;
	ret = d->kops->open(d->kctx, &err);
	if (ret) {
		if (ret != ENOENT)
			fpd_log(d, LOG_WARNING, "module: %s", err.msg);
		return ret;
	}
	d->kmod_open = true;
	ret = d->kops->get_plan(d->kctx, &hp, &err);
	if (ret) {
		fpd_log(d, LOG_WARNING, "reading the installed plan: %s", err.msg);
	} else {
		if (hp.generation > d->generation)
			d->generation = hp.generation;
		fpd_hostplan_copy(&d->installed, &hp);
		fpd_event(d, "module", "connected: generation %" PRIu64 ", %zu entries installed",
			  hp.generation, hp.n);
		fpd_hostplan_clear(&hp);
	}
	fd = d->kops->event_fd(d->kctx);
	if (fd >= 0 && fpd_io_add(&d->loop, &d->kev_io, fd, EPOLLIN, on_kmod_event, d))
		fpd_log(d, LOG_WARNING, "module events: cannot watch them");
	if (d->fault && d->have_wanted)
		fpd_fault_set_plan(d->fault, d->fs, d->nfs);
	/* the module came back empty (insmod): install what we planned */
	ret = sync_module(d, &err);
	if (ret)
		fpd_log(d, LOG_WARNING, "installing: %s", err.msg);
	return 0;
}

void fpd_kmod_presence(struct fpd *d, bool present)
{
	if (present && !d->kmod_open) {
		d->kmod_returns++;
		if (!kmod_up(d))
			fpd_event(d, "module", "the flowplan family is back");
	} else if (!present && d->kmod_open) {
		kmod_down(d);
		fpd_event(d, "module", "the flowplan family is gone (module unloaded); "
			  "waiting for it");
	}
}

static void on_kmod_watch(struct fpd_io *io, uint32_t events)
{
	struct fpd *d = io->arg;
	bool changed = false, present = false;

	(void)events;
	if (d->kops->read_watch(d->kctx, &changed, &present))
		return;
	/* registered while we hold a connection: it was reloaded under us and
	 * the departure was missed; the old family id is gone
	 */
	if (changed && present && d->kmod_open)
		kmod_down(d);
	if (changed)
		fpd_kmod_presence(d, present);
}

static void on_watchdog(struct fpd_timer *t, uint64_t n)
{
	(void)t;
	(void)n;
	sd_notify(0, "WATCHDOG=1");
}

/* ------------------------------------------------------ control socket */

static json_object *jdbl(double v)
{
	return json_object_new_double(v);
}

static const char *job_name(uint32_t job, char *buf, size_t n)
{
	if (job & 0x80000000u)
		snprintf(buf, n, "pid%u", job & 0x7fffffffu);
	else
		snprintf(buf, n, "comm%u", job);
	return buf;
}

json_object *fpd_status_json(struct fpd *d, bool show)
{
	json_object *o = json_object_new_object(), *m, *p, *j;
	struct fpd_cyc_stats cs;
	struct fpd_rings_stats rs = { 0 };
	size_t i;

	fpd_cyc_stats(d->cyc, &cs);
	if (d->rings)
		fpd_rings_stats(d->rings, &rs);
	json_object_object_add(o, "mode", json_object_new_string(d->mode->name));
	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "uptime_s",
			       json_object_new_int64((int64_t)((fpd_now() - d->start_ns) / 1000000000u)));
	m = json_object_new_object();
	json_object_object_add(m, "loaded", json_object_new_boolean(d->kmod_open));
	json_object_object_add(m, "generation", json_object_new_int64((int64_t)d->installed.generation));
	json_object_object_add(m, "entries", json_object_new_int64((int64_t)d->installed.n));
	json_object_object_add(o, "module", m);
	p = json_object_new_object();
	json_object_object_add(p, "generation", json_object_new_int64((int64_t)d->generation));
	json_object_object_add(p, "source", json_object_new_string(
		d->planner.fixed ? "schedule file" : "observed cycles"));
	json_object_object_add(p, "pending", json_object_new_boolean(d->replan_pending));
	if (d->have_wanted) {
		json_object_object_add(p, "entries", json_object_new_int64((int64_t)d->wanted.n));
		json_object_object_add(p, "subflows", json_object_new_int64((int64_t)d->info.subflows));
		json_object_object_add(p, "max_load", jdbl(d->info.max_load));
		json_object_object_add(p, "lower_bound", jdbl(d->info.lower_bound));
		json_object_object_add(p, "ratio", jdbl(d->info.lower_bound > 0 ?
						      d->info.max_load / d->info.lower_bound : 1));
		json_object_object_add(p, "installed", json_object_new_boolean(
			d->kmod_open && fpd_hostplan_equal(&d->wanted, &d->installed)));
		add_unroutable(p, &d->info);
	}
	if (d->why[0] || !d->have_wanted)
		json_object_object_add(p, "why", json_object_new_string(
			d->why[0] ? d->why : !fpd_planner_ready(&d->planner) ?
			"no fabric configured ([fabric] topology)" : "nothing planned yet"));
	json_object_object_add(o, "plan", p);
	json_object_object_add(o, "replans", json_object_new_int64((int64_t)d->replans));
	json_object_object_add(o, "installs", json_object_new_int64((int64_t)d->installs));
	json_object_object_add(o, "last_latency_ms", jdbl(d->last_latency_s * 1e3));
	j = json_object_new_object();
	json_object_object_add(j, "seen", json_object_new_int64((int64_t)cs.jobs));
	json_object_object_add(j, "cycles", json_object_new_int64((int64_t)cs.locked));
	json_object_object_add(o, "jobs", j);
	json_object_object_add(o, "rings", json_object_new_int64((int64_t)rs.open));
	json_object_object_add(o, "rings_denied", json_object_new_int64((int64_t)rs.denied));
	json_object_object_add(o, "faults_now", json_object_new_int64((int64_t)d->nsuspects));
	json_object_object_add(o, "faults_total", json_object_new_int64((int64_t)d->faults_total));
	if (d->mode->status)
		d->mode->status(d, o, show);
	j = json_object_new_object();
	json_object_object_add(j, "ports", json_object_new_int64((int64_t)d->planner.npm));
	json_object_object_add(j, "version", json_object_new_int64(d->planner.pm_gen));
	json_object_object_add(o, "portmap", j);
	j = json_object_new_object();
	json_object_object_add(j, "on", json_object_new_boolean(d->probe_on));
	json_object_object_add(j, "running", json_object_new_boolean(
		d->probe_on && fpd_probe_running(&d->probe)));
	json_object_object_add(j, "runs", json_object_new_int64((int64_t)d->probes));
	json_object_object_add(j, "changes", json_object_new_int64((int64_t)d->probe_changes));
	json_object_object_add(j, "failures", json_object_new_int64((int64_t)d->probe_failures));
	if (d->probe_wall_ns) {
		json_object *l = json_object_new_object();

		json_object_object_add(l, "time_ms", json_object_new_int64(
			(int64_t)(d->probe_wall_ns / 1000000u)));
		json_object_object_add(l, "ok", json_object_new_boolean(!d->probe_last.status));
		if (d->probe_last.status)
			json_object_object_add(l, "why", json_object_new_string(d->probe_last.why));
		json_object_object_add(l, "pairs", json_object_new_int64((int64_t)d->probe_last.pairs));
		json_object_object_add(l, "resolved", json_object_new_int64(
			(int64_t)d->probe_last.resolved));
		json_object_object_add(l, "moved", json_object_new_int64((int64_t)d->probe_last.moved));
		json_object_object_add(l, "seconds", jdbl(d->probe_last.seconds));
		json_object_object_add(j, "last", l);
	}
	json_object_object_add(o, "probe", j);
	if (!show)
		return o;

	j = json_object_new_array();
	for (i = 0; i < fpd_cyc_count(d->cyc); i++) {
		const struct fpd_cycle *c = fpd_cyc_get(d->cyc, i);
		json_object *co = json_object_new_object(), *phs = json_object_new_array();
		char buf[24];
		size_t k, f;

		json_object_object_add(co, "job", json_object_new_string(job_name(c->job, buf, sizeof(buf))));
		json_object_object_add(co, "period", json_object_new_int64(c->period));
		json_object_object_add(co, "period_ms", jdbl((double)c->period_ns / 1e6));
		json_object_object_add(co, "bytes", json_object_new_int64((int64_t)c->bytes));
		for (k = 0; k < c->nph; k++) {
			json_object *po = json_object_new_object(), *fl = json_object_new_array();

			json_object_object_add(po, "steps", json_object_new_int64(c->ph[k].steps));
			for (f = 0; f < c->ph[k].n; f++) {
				json_object *fo = json_object_new_object();
				char a[FP_ADDR_STRLEN], b[FP_ADDR_STRLEN];

				fp_addr_str(&c->ph[k].f[f].src, a);
				fp_addr_str(&c->ph[k].f[f].dst, b);
				json_object_object_add(fo, "src", json_object_new_string(a));
				json_object_object_add(fo, "dst", json_object_new_string(b));
				json_object_object_add(fo, "bytes", json_object_new_int64(
					(int64_t)c->ph[k].f[f].bytes));
				json_object_array_add(fl, fo);
			}
			json_object_object_add(po, "flows", fl);
			json_object_array_add(phs, po);
		}
		json_object_object_add(co, "phases", phs);
		json_object_array_add(j, co);
	}
	json_object_object_add(o, "cycles", j);

	j = json_object_new_array();
	for (i = 0; i < d->nsuspects; i++) {
		json_object *fo = json_object_new_object(), *l = json_object_new_array();
		unsigned int k;

		for (k = 0; k < d->suspects[i].nlinks; k++) {
			char name[80];

			fpd_planner_link_name(&d->planner, d->suspects[i].link[k], name, sizeof(name));
			json_object_array_add(l, json_object_new_string(name));
		}
		json_object_object_add(fo, "links", l);
		json_object_object_add(fo, "subflows", json_object_new_int64(d->suspects[i].nsubs));
		json_object_array_add(j, fo);
	}
	json_object_object_add(o, "faults", j);

	j = json_object_new_array();
	for (i = 0; i < d->info.nlinks; i++) {
		json_object *lo = json_object_new_object();

		json_object_object_add(lo, "link", json_object_new_string(d->info.links[i].name));
		json_object_object_add(lo, "load", jdbl(d->info.links[i].load));
		json_object_array_add(j, lo);
	}
	json_object_object_add(o, "links", j);

	j = json_object_new_array();
	for (i = d->nev > FPD_EVENTS ? d->nev - FPD_EVENTS : 0; i < d->nev; i++) {
		const struct fpd_event *e = &d->ev[i % FPD_EVENTS];
		json_object *eo = json_object_new_object();

		json_object_object_add(eo, "time_ms", json_object_new_int64((int64_t)(e->wall_ns / 1000000u)));
		json_object_object_add(eo, "kind", json_object_new_string(e->kind));
		json_object_object_add(eo, "text", json_object_new_string(e->text));
		json_object_array_add(j, eo);
	}
	json_object_object_add(o, "events", j);
	return o;
}

static json_object *ctl_handle(void *arg, const struct fpd_ctl_req *req,
			       const struct ucred *cred, struct fp_err *err)
{
	struct fpd *d = arg;
	int ret;

	switch (req->cmd) {
	case FPD_CTL_STATUS:
		return fpd_status_json(d, false);
	case FPD_CTL_SHOW:
		return fpd_status_json(d, true);
	case FPD_CTL_REPLAN:
		if (cred->uid != 0 && cred->uid != geteuid()) {
			fp_fail(err, EPERM, "replan: permission denied (root or the daemon's user)");
			return NULL;
		}
		/* an operator's re-plan tries the suspected links again */
		d->nfailed_fault = 0;
		d->nsuspects = 0;
		d->replan_pending = true;
		d->replan_t0 = fpd_now();
		snprintf(d->replan_why, sizeof(d->replan_why), "flowplanctl daemon replan");
		fpd_event(d, "replan", "asked for by uid %u", (unsigned int)cred->uid);
		ret = d->mode->replan ? d->mode->replan(d, err) : fpd_replan_now(d, err);
		if (ret)
			return NULL;
		return fpd_status_json(d, false);
	case FPD_CTL_PROBE:
		if (cred->uid != 0 && cred->uid != geteuid()) {
			fp_fail(err, EPERM, "probe: permission denied (root or the daemon's user)");
			return NULL;
		}
		if (fpd_probe_now(d, "asked for", err))
			return NULL;
		fpd_event(d, "probe", "asked for by uid %u", (unsigned int)cred->uid);
		return fpd_status_json(d, false);
	}
	fp_fail(err, EINVAL, "unknown command");
	return NULL;
}

/* ------------------------------------------------------------ metrics */

void fpd_metrics_render(void *arg, FILE *f)
{
	struct fpd *d = arg;
	struct fpd_cyc_stats cs;
	struct fpd_rings_stats rs = { 0 };
	char le[32], sport[8], addr[FP_ADDR_STRLEN];
	size_t i;

	fpd_cyc_stats(d->cyc, &cs);
	if (d->rings)
		fpd_rings_stats(d->rings, &rs);
	fpd_prom_metric_u64(f, "flowpland_module_loaded", "gauge",
			"1 when the flowplan module is reachable.", d->kmod_open);
	fpd_prom_metric_u64(f, "flowpland_plan_generation", "gauge",
			"Generation of the installed plan.", d->installed.generation);
	fpd_prom_metric_u64(f, "flowpland_plan_entries", "gauge",
			"Entries of this host's plan.", d->wanted.n);
	fpd_prom_metric_u64(f, "flowpland_plan_unroutable_flows", "gauge",
			"Flows of the plan that cannot run (failed links cut their leaves apart).",
			d->info.nunroutable);
	fpd_prom_metric(f, "flowpland_plan_max_load_seconds", "gauge",
			"Planned maximum link load, summed over the cycle's phases.",
			d->info.max_load);
	fpd_prom_metric(f, "flowpland_plan_lower_bound_seconds", "gauge",
			"Lower bound on the maximum link load of any routing.",
			d->info.lower_bound);
	fpd_prom_family(f, "flowpland_link_planned_load_seconds", "gauge",
			"Planned load of each link direction, summed over phases.");
	for (i = 0; i < d->info.nlinks; i++) {
		const char *const l[] = { "link", d->info.links[i].name, NULL };

		fpd_prom_sample(f, "flowpland_link_planned_load_seconds", l, d->info.links[i].load);
	}
	fpd_prom_metric_u64(f, "flowpland_replans_total", "counter", "Plans computed.", d->replans);
	fpd_prom_metric_u64(f, "flowpland_installs_total", "counter",
			"Plans installed in the module.", d->installs);
	fpd_prom_metric_u64(f, "flowpland_install_errors_total", "counter",
			"Installs the module refused.", d->install_errors);
	fpd_prom_family(f, "flowpland_event_to_install_seconds", "histogram",
			"From the change that asked for a re-plan to the new plan in the module.");
	for (i = 0; i < FPD_LAT_BUCKETS; i++) {
		const char *const l[] = { "le", le, NULL };

		snprintf(le, sizeof(le), "%g", lat_bounds[i]);
		fpd_prom_sample_u64(f, "flowpland_event_to_install_seconds_bucket", l, d->lat_bucket[i]);
	}
	{
		const char *const l[] = { "le", "+Inf", NULL };

		fpd_prom_sample_u64(f, "flowpland_event_to_install_seconds_bucket", l, d->lat_count);
	}
	fpd_prom_sample(f, "flowpland_event_to_install_seconds_sum", NULL, d->lat_sum);
	fpd_prom_sample_u64(f, "flowpland_event_to_install_seconds_count", NULL, d->lat_count);
	fpd_prom_metric_u64(f, "flowpland_faults_suspected", "gauge",
			"Suspected path faults now.", d->nsuspects);
	fpd_prom_metric_u64(f, "flowpland_faults_total", "counter",
			"Links suspected so far.", d->faults_total);
	fpd_prom_metric_u64(f, "flowpland_probes_total", "counter",
			"Probes of this host's port map.", d->probes);
	fpd_prom_metric_u64(f, "flowpland_probe_changes_total", "counter",
			"Probes that found ports on other paths than the map in use.",
			d->probe_changes);
	fpd_prom_metric_u64(f, "flowpland_probe_failures_total", "counter",
			"Probes that failed.", d->probe_failures);
	fpd_prom_metric_u64(f, "flowpland_jobs", "gauge",
			"Jobs seen in schedule reports.", cs.jobs);
	fpd_prom_metric_u64(f, "flowpland_cycles", "gauge",
			"Jobs whose cycle is known.", cs.locked);
	fpd_prom_metric_u64(f, "flowpland_report_rings", "gauge",
			"Report rings being read.", rs.open);
	fpd_prom_metric_u64(f, "flowpland_report_rings_denied", "gauge",
			"Report rings the daemon may not read (permission).", rs.denied);
	fpd_prom_metric_u64(f, "flowpland_report_records_total", "counter",
			"Report records read.", rs.records);
	fpd_prom_metric_u64(f, "flowpland_report_records_lost_total", "counter",
			"Report records overwritten before they were read.", rs.lost);
	fpd_prom_family(f, "flowpland_subflow_bytes_total", "counter",
			"Bytes the module counted per planned subflow (remote address, source port).");
	/* the subflows being watched: those of the installed plan */
	for (i = 0; d->fault && i < fpd_fault_count(d->fault); i++) {
		const char *const l[] = { "remote", addr, "sport", sport, NULL };
		const struct fpd_fsub *s;
		unsigned int streak;
		uint64_t delta, total;

		s = fpd_fault_sub_state(d->fault, i, &streak, &delta, &total);
		if (fp_addr_is_v4(&s->remote))
			inet_ntop(AF_INET, &s->remote.b[12], addr, sizeof(addr));
		else
			inet_ntop(AF_INET6, s->remote.b, addr, sizeof(addr));
		snprintf(sport, sizeof(sport), "%u", s->sport);
		fpd_prom_sample_u64(f, "flowpland_subflow_bytes_total", l, total);
	}
	if (d->mode->metrics)
		d->mode->metrics(d, f);
}

/* ------------------------------------------------------ run, signals */

int fpd_signals_block(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	return sigprocmask(SIG_BLOCK, &set, NULL) ? errno : 0;
}

static void on_signal(struct fpd_io *io, uint32_t events)
{
	struct fpd *d = io->arg;
	struct signalfd_siginfo si;
	struct fp_err err = { "" };

	(void)events;
	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			sd_notify(0, "RELOADING=1");
			if (fpd_reload(d, &err))
				fpd_log(d, LOG_ERR, "reload: %s (the previous configuration stays)",
					err.msg);
			sd_notify(0, "READY=1");
			break;
		case SIGTERM:
		case SIGINT:
			fpd_log(d, LOG_INFO, "signal %u: stopping", si.ssi_signo);
			fpd_loop_quit(&d->loop);
			break;
		}
	}
}

int fpd_run(struct fpd *d)
{
	struct fpd_io io;
	sigset_t set;
	int fd, ret;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return errno;
	ret = fpd_io_add(&d->loop, &io, fd, EPOLLIN, on_signal, d);
	if (ret) {
		close(fd);
		return ret;
	}
	sd_notifyf(0, "READY=1\nSTATUS=planning for %zu local addresses; module %s",
		   d->nlocal, d->kmod_open ? "connected" : "not loaded");
	d->loop.stop = false;
	ret = fpd_loop_run(&d->loop);
	sd_notify(0, "STOPPING=1");
	fpd_io_del(&io);
	close(fd);
	return ret;
}

/* -------------------------------------------------------- init, fini */

static int observers(struct fpd *d, struct fp_err *err)
{
	struct fpd_cycle_opts co;
	struct fpd_fault_opts fo;
	struct fpd_cyc *cyc;
	struct fpd_fault *fault;

	fpd_cycle_opts_default(&co);
	co.window_ns = d->conf.window_ns;
	co.settle_ns = d->conf.settle_ns;
	co.confirm_ns = d->conf.confirm_ns;
	co.idle_ns = d->conf.idle_ns;
	co.min_bytes = d->conf.min_bytes;
	co.max_period = d->conf.max_period;
	cyc = fpd_cyc_new(&co);
	if (!cyc)
		return fp_fail(err, errno, "cycle detector: %s", strerror(errno));
	fpd_fault_opts_default(&fo);
	fo.slow_ratio = d->conf.slow_ratio;
	fo.intervals = d->conf.fault_intervals;
	fo.min_bytes = d->conf.fault_min_bytes;
	fault = fpd_fault_new(&fo);
	if (!fault) {
		fpd_cyc_free(cyc);
		return fp_fail(err, errno, "fault watch: %s", strerror(errno));
	}
	fpd_cyc_free(d->cyc);
	fpd_fault_free(d->fault);
	d->cyc = cyc;
	d->fault = fault;
	if (d->have_wanted)
		fpd_fault_set_plan(d->fault, d->fs, d->nfs);
	return 0;
}

static int services(struct fpd *d, const struct fpd_conf *old, struct fp_err *err)
{
	if (!old || strcmp(old->socket, d->conf.socket)) {
		struct fpd_ctl *c = fpd_ctl_open(&d->loop, d->conf.socket, ctl_handle, d, err);

		if (!c)
			return errno;
		fpd_ctl_close(d->ctl);
		d->ctl = c;
	}
	if (!old || strcmp(old->metrics, d->conf.metrics)) {
		struct fpd_metrics *m = NULL;

		if (d->conf.metrics[0]) {
			m = fpd_metrics_open(&d->loop, d->conf.metrics, fpd_metrics_render, d, err);
			if (!m)
				return errno;
		}
		fpd_metrics_close(d->metrics);
		d->metrics = m;
	}
	if (!old || strcmp(old->report_dir, d->conf.report_dir)) {
		struct fpd_rings *r = fpd_rings_open(&d->loop, d->conf.report_dir, err);

		if (!r)
			return errno;
		fpd_rings_close(d->rings);
		d->rings = r;
		fpd_rings_on_new(r, on_new_ring, d);
	}
	report_timer_arm(d, true);
	fpd_timer_set(&d->t_counters, d->conf.counters_interval_ns, d->conf.counters_interval_ns);
	return 0;
}

int fpd_init(struct fpd *d, const struct fpd_conf *conf, const char *conf_path,
	     const struct fpd_kmod_ops *kops, void *kctx, struct fp_err *err)
{
	uint64_t wd = 0;
	int ret, fd;

	memset(d, 0, sizeof(*d));
	d->conf = *conf;
	snprintf(d->conf_path, sizeof(d->conf_path), "%s", conf_path ? conf_path : "");
	d->mode = &fpd_mode_local;
	d->kops = kops;
	d->kctx = kctx;
	d->start_ns = fpd_now();
	d->t_report.io.fd = d->t_counters.io.fd = d->t_replan.io.fd = d->t_watchdog.io.fd = -1;
	d->t_probe.io.fd = d->t_resync.io.fd = -1;
	d->probe.pid = -1;
	d->probe.io.fd = -1;
	d->kev_io.fd = d->kwatch_io.fd = -1;
	d->loop.epfd = -1;
	ret = fpd_loop_init(&d->loop);
	if (ret)
		return fp_fail(err, ret, "epoll: %s", strerror(ret));
	ret = observers(d, err);
	if (ret)
		return ret;
	ret = conf->local_addrs[0] ? parse_local(d, conf->local_addrs, err) : host_addrs(d, err);
	if (ret)
		return ret;
	ret = fpd_planner_load(&d->planner, conf, err);
	if (ret)
		return ret;
	ret = fpd_timer_init(&d->loop, &d->t_report, on_report_timer, d);
	if (!ret)
		ret = fpd_timer_init(&d->loop, &d->t_counters, on_counters_timer, d);
	if (!ret)
		ret = fpd_timer_init(&d->loop, &d->t_replan, on_replan_timer, d);
	if (!ret)
		ret = fpd_timer_init(&d->loop, &d->t_watchdog, on_watchdog, d);
	if (!ret)
		ret = fpd_timer_init(&d->loop, &d->t_probe, on_probe_timer, d);
	if (!ret)
		ret = fpd_timer_init(&d->loop, &d->t_resync, on_resync_timer, d);
	if (ret)
		return fp_fail(err, ret, "timerfd: %s", strerror(ret));
	ret = services(d, NULL, err);
	if (!ret)
		ret = probe_setup(d, err);
	if (ret)
		return ret;
	/* the module: watch its family, connect if it is there */
	fd = kops->watch_fd(kctx);
	if (fd >= 0 && fpd_io_add(&d->loop, &d->kwatch_io, fd, EPOLLIN, on_kmod_watch, d))
		fpd_log(d, LOG_WARNING, "cannot watch the module come and go");
	if (kmod_up(d) == ENOENT)
		fpd_event(d, "module", "flowplan module not loaded: waiting for it");
	else if (conf->mode == FPD_MODE_LOCAL && d->kmod_open && d->installed.n &&
		 !d->planner.fixed) {
		/* a restart: keep the module's entries while the cycles are found again */
		if (fpd_hostplan_copy(&d->resync, &d->installed))
			return fp_fail(err, ENOMEM, "out of memory");
		fpd_timer_set(&d->t_resync, FPD_RESYNC_NS, 0);
	}
	if (sd_watchdog_enabled(0, &wd) > 0 && wd)
		fpd_timer_set(&d->t_watchdog, wd * 500, wd * 500);
	/* a fixed schedule is planned at once; observed cycles when found
	 * (cluster modes: the planner's, when fpd_cluster_open() is called)
	 */
	if (conf->mode == FPD_MODE_LOCAL && fpd_planner_ready(&d->planner) && d->planner.fixed)
		fpd_request_replan(d, "start");
	return 0;
}

int fpd_reload(struct fpd *d, struct fp_err *err)
{
	struct fpd_conf c, old = d->conf;
	struct fpd_planner p = { 0 };
	int ret;

	fpd_conf_default(&c);
	ret = fpd_conf_load(d->conf_path, &c, err);
	if (ret)
		return ret;
	if (c.mode != old.mode)
		return fp_fail(err, EINVAL, "[daemon] mode changed from %s to %s: restart the daemon",
			    fpd_mode_name(old.mode), fpd_mode_name(c.mode));
	if (d->mode->reload) {
		ret = d->mode->reload(d, &c, err);
		if (ret)
			return ret;
	}
	ret = fpd_planner_load(&p, &c, err);
	if (ret)
		return ret;
	d->conf = c;
	ret = services(d, &old, err);
	if (ret) {
		d->conf = old;
		fpd_planner_free(&p);
		services(d, NULL, NULL);
		return ret;
	}
	fpd_planner_free(&d->planner);
	d->planner = p;
	ret = probe_setup(d, err);
	if (ret)
		fpd_log(d, LOG_ERR, "probing: %s", err->msg);
	ret = c.local_addrs[0] ? parse_local(d, c.local_addrs, err) : host_addrs(d, err);
	if (!ret && (memcmp(&old.window_ns, &c.window_ns,
			    offsetof(struct fpd_conf, fault_min_bytes) + sizeof(c.fault_min_bytes) -
			    offsetof(struct fpd_conf, window_ns))))
		ret = observers(d, err);
	d->nfailed_fault = 0;
	d->nsuspects = 0;
	fpd_event(d, "reload", "configuration re-read from %s", d->conf_path);
	d->mode->changed(d, "configuration reloaded");
	return ret;
}

void fpd_fini(struct fpd *d)
{
	if (d->mode && d->mode->fini)
		d->mode->fini(d);
	fpd_ctl_close(d->ctl);
	fpd_metrics_close(d->metrics);
	fpd_rings_close(d->rings);
	kmod_down(d);
	if (d->kwatch_io.loop)
		fpd_io_del(&d->kwatch_io);
	fpd_timer_fini(&d->t_report);
	fpd_timer_fini(&d->t_counters);
	fpd_timer_fini(&d->t_replan);
	fpd_timer_fini(&d->t_watchdog);
	fpd_timer_fini(&d->t_probe);
	fpd_timer_fini(&d->t_resync);
	if (d->probe_on)
		fpd_probe_fini(&d->probe);
	fpd_cyc_free(d->cyc);
	fpd_fault_free(d->fault);
	fpd_planner_free(&d->planner);
	fpd_hostplan_clear(&d->installed);
	fpd_hostplan_clear(&d->wanted);
	fpd_hostplan_clear(&d->resync);
	fpd_plan_info_free(&d->info);
	free(d->fs);
	free(d->local);
	fpd_loop_fini(&d->loop);
}
