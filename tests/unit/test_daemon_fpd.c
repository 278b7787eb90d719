// SPDX-License-Identifier: MIT
/*
 * test_daemon_fpd - the daemon's loop end to end on the 2-leaf 2-spine
 * fabric, with an in-memory module table standing in for flowplan.ko
 * (kmod.h) so that what the module cannot do on demand can be driven:
 * start and install generation 1; restart onto the same plan (nothing
 * installed, the module's generation continued); the family vanishing and
 * returning empty (re-installed with the next generation); stalled
 * subflows -> a suspected link -> a plan around it; someone else's newer
 * generation; observed cycles from messages; a restart that keeps the
 * module's entries of jobs whose cycles it has not found again; hold-down;
 * the control socket's answers and permission; the metrics text; probing
 * in a child whose port map shows a switch re-hash; the module's port
 * events, read as flowpland reads them, taking the host's NIC link down
 * and up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/flowplan.h>

#include "core/nlclient.h"
#include "fpd.h"
#include "kmod_nl.h"
#include "planner/topo.h"

/* ------------------------------------------------------ the fake module */

struct fake {
	bool loaded, open;
	struct fp_hostplan plan;
	uint64_t sets;
	struct fpd_fcount c[64];
	size_t nc;
};

static int f_open(void *ctx, struct fp_err *err)
{
	struct fake *f = ctx;

	if (!f->loaded) {
		snprintf(err->msg, sizeof(err->msg), "flowplan module not loaded");
		return ENOENT;
	}
	f->open = true;
	return 0;
}

static void f_close(void *ctx)
{
	((struct fake *)ctx)->open = false;
}

static int f_get_plan(void *ctx, struct fp_hostplan *hp, struct fp_err *err)
{
	struct fake *f = ctx;

	(void)err;
	memset(hp, 0, sizeof(*hp));
	return fpd_hostplan_copy(hp, &f->plan);
}

static int f_set_plan(void *ctx, const struct fp_hostplan *hp, uint64_t gen, struct fp_err *err)
{
	struct fake *f = ctx;

	assert_true(f->open);
	if (gen <= f->plan.generation) {
		snprintf(err->msg, sizeof(err->msg), "plan set: kernel reports: generation %llu "
			 "is older than %llu", (unsigned long long)gen,
			 (unsigned long long)f->plan.generation);
		return ESTALE;
	}
	fpd_hostplan_copy(&f->plan, hp);
	f->plan.generation = gen;
	f->sets++;
	return 0;
}

static int f_get_counters(void *ctx, struct fpd_fcount **c, size_t *n, struct fp_err *err)
{
	struct fake *f = ctx;

	(void)err;
	*c = malloc(sizeof(f->c));
	memcpy(*c, f->c, sizeof(f->c));
	*n = f->nc;
	return 0;
}

static int f_fd(void *ctx)
{
	(void)ctx;
	return -1;
}

static int f_read_event(void *ctx, struct fpd_kev *ev, struct fp_err *err)
{
	(void)ctx;
	(void)ev;
	(void)err;
	return EAGAIN;
}

static int f_read_watch(void *ctx, bool *changed, bool *present)
{
	(void)ctx;
	*changed = false;
	*present = true;
	return 0;
}

static const struct fpd_kmod_ops fake_ops = {
	.open = f_open, .close = f_close, .get_plan = f_get_plan, .set_plan = f_set_plan,
	.get_counters = f_get_counters, .event_fd = f_fd, .read_event = f_read_event,
	.watch_fd = f_fd, .read_watch = f_read_watch,
};

/* -------------------------------------------------------------- helpers */

static char dir[64];

static void conf(struct fpd_conf *c, const char *sched)
{
	fpd_conf_default(c);
	snprintf(c->socket, sizeof(c->socket), "%s/daemon.sock", dir);
	strcpy(c->metrics, "");
	strcpy(c->topology, "leafspine:leaves=2,spines=2,hosts=2");
	strcpy(c->local_addrs, "198.18.0.1");
	snprintf(c->report_dir, sizeof(c->report_dir), "%s", dir);
	if (sched)
		strcpy(c->schedule, sched);
	c->holddown_ns = 0;
	c->log_level = getenv("FPD_TEST_DEBUG") ? 7 : 3;	/* errors only, unless asked */
	snprintf(c->probe_state, sizeof(c->probe_state), "%s/portmap", dir);
	c->counters_interval_ns = 0;
}

static void start(struct fpd *d, struct fake *f, const struct fpd_conf *c)
{
	struct fp_err err = { "" };

	if (fpd_init(d, c, NULL, &fake_ops, f, &err))
		fail_msg("%s", err.msg);
}

/* Run the loop until @cond or 2 s. */
#define RUN_UNTIL(d, cond) do {							\
	int _i;									\
	for (_i = 0; _i < 200 && !(cond); _i++)					\
		assert_int_equal(fpd_loop_once(&(d)->loop, 10), 0);		\
	assert_true(cond);							\
} while (0)

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fpd-daemon-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* ---------------------------------------------------------------- tests */

static void test_install_restart_reload(void **state)
{
	struct fake f = { .loaded = true };
	struct fpd_conf c;
	struct fpd d;

	(void)state;
	conf(&c, "alltoall:bytes=64M");
	start(&d, &f, &c);
	RUN_UNTIL(&d, f.sets == 1);
	assert_int_equal(f.plan.generation, 1);
	assert_int_equal(f.plan.n, 3);
	assert_int_equal(d.generation, 1);
	assert_true(d.last_latency_s > 0);
	fpd_fini(&d);

	/* restart onto the installed plan: nothing moves, generation continued */
	f.plan.generation = 5;
	start(&d, &f, &c);
	assert_int_equal(d.generation, 5);
	RUN_UNTIL(&d, d.replans == 1);
	assert_int_equal(f.sets, 1);
	assert_int_equal(d.unchanged, 1);
	assert_int_equal(f.plan.generation, 5);

	/* rmmod: the family goes; insmod: it comes back empty, re-installed */
	fpd_kmod_presence(&d, false);
	assert_false(d.kmod_open);
	assert_false(f.open);
	f.loaded = false;
	fpd_hostplan_clear(&f.plan);
	fpd_kmod_presence(&d, true);	/* not there yet: nothing happens */
	assert_false(d.kmod_open);
	f.loaded = true;
	fpd_kmod_presence(&d, true);
	assert_true(d.kmod_open);
	assert_int_equal(f.sets, 2);
	assert_int_equal(f.plan.generation, 6);
	assert_int_equal(f.plan.n, 3);

	/* someone else installs generation 10: ours continue after it */
	f.plan.generation = 10;
	{
		struct fpd_kev ev = { .kind = FPD_KEV_PLAN, .generation = 10 };

		fpd_kmod_event(&d, &ev);
	}
	assert_int_equal(d.generation, 10);
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
}

/* Counters for every planned subflow; those crossing @dead barely move. */
static void traffic(struct fpd *d, struct fake *f, int dead)
{
	size_t i;
	unsigned int k;

	f->nc = d->nfs;
	for (i = 0; i < d->nfs; i++) {
		bool hit = false;

		for (k = 0; k < d->fs[i].nlinks; k++)
			hit |= d->fs[i].link[k] / 2 == dead;
		if (f->c[i].sport != d->fs[i].sport || fp_addr_cmp(&f->c[i].remote, &d->fs[i].remote))
			f->c[i] = (struct fpd_fcount){ .remote = d->fs[i].remote,
						       .sport = d->fs[i].sport };
		f->c[i].bytes += hit ? 100 : 64 << 20;
	}
}

static void test_fault_replan(void **state)
{
	struct fake f = { .loaded = true };
	struct fpd_conf c;
	struct fpd d;
	int dead = -1, i;
	size_t k;
	unsigned int j;

	(void)state;
	/* two pairs from h0 over the spines: one of its uplinks will fail */
	conf(&c, "alltoall:bytes=64M,hosts=0+2+3");
	start(&d, &f, &c);
	RUN_UNTIL(&d, f.sets == 1);
	for (k = 0; k < d.nfs && dead < 0; k++)
		if (d.fs[k].nlinks == 4)
			dead = d.fs[k].link[1] / 2;	/* leaf0 -> its spine */
	assert_true(dead >= 0);
	for (i = 0; i < 5; i++) {
		traffic(&d, &f, dead);
		fpd_read_counters(&d);
	}
	assert_int_equal(d.faults_total, 1);
	assert_true(d.nsuspects >= 1);
	/*
	 * Re-planned around it. The planner takes a failed link out of ECMP
	 * too, so a label may route onto the other spine unchanged: installed
	 * anew only when a label had to change.
	 */
	RUN_UNTIL(&d, d.replans == 2);
	assert_int_equal(f.plan.generation, f.sets);
	assert_true(d.installs + d.unchanged == 2);
	for (k = 0; k < d.nfs; k++)
		for (j = 0; j < d.fs[k].nlinks; j++)
			assert_int_not_equal(d.fs[k].link[j] / 2, dead);
	/* traffic now flows: no new fault */
	for (i = 0; i < 5; i++) {
		traffic(&d, &f, dead);
		fpd_read_counters(&d);
	}
	assert_int_equal(d.faults_total, 1);

	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
}

/*
 * An IPv6 fabric, the host's address IPv6 in [fabric] local_addrs: its
 * three IPv6 entries installed; counters under IPv6 remotes find a dead
 * spine link and the daemon re-plans around it; the module's link event
 * for the port of the host's IPv6 GID takes its NIC link out (its flows
 * leave the plan) and back. Addresses local_addrs refuses, by name.
 */
static void test_ipv6_host(void **state)
{
	struct fake f = { .loaded = true };
	struct fp_err err = { "" };
	struct fpd_kev ev = { .kind = FPD_KEV_LINK, .port = 1, .naddrs = 1 };
	struct fpd_conf c;
	struct fpd d;
	int dead = -1, i;
	size_t k;

	(void)state;
	conf(&c, "alltoall:bytes=64M");
	strcpy(c.topology, "leafspine:leaves=2,spines=2,hosts=2,ipv6");
	strcpy(c.local_addrs, "2001:2::1");
	start(&d, &f, &c);
	RUN_UNTIL(&d, f.sets == 1);
	assert_int_equal(f.plan.n, 3);
	for (k = 0; k < f.plan.n; k++) {
		char a[FP_ADDR_STRLEN];

		assert_string_equal(fp_addr_str(&f.plan.e[k].local, a), "2001:2::1");
		assert_false(fp_addr_is_v4(&f.plan.e[k].remote));
	}
	for (k = 0; k < d.nfs && dead < 0; k++)
		if (d.fs[k].nlinks == 4)
			dead = d.fs[k].link[1] / 2;
	assert_true(dead >= 0);
	for (i = 0; i < 5; i++) {
		traffic(&d, &f, dead);
		fpd_read_counters(&d);
	}
	assert_int_equal(d.faults_total, 1);
	RUN_UNTIL(&d, d.replans == 2);
	for (k = 0; k < d.nfs; k++) {
		unsigned int j;

		for (j = 0; j < d.fs[k].nlinks; j++)
			assert_int_not_equal(d.fs[k].link[j] / 2, dead);
	}

	/* a link-local GID only: no NIC of the fabric, nothing changes */
	snprintf(ev.dev, sizeof(ev.dev), "rxe0");
	assert_int_equal(fp_addr_parse("fe80::1", &ev.addrs[0]), 0);
	fpd_kmod_event(&d, &ev);
	assert_int_equal(d.nfailed_ev, 0);
	/* the port of 2001:2::1 goes down: its NIC link with it */
	assert_int_equal(fp_addr_parse("2001:2::1", &ev.addrs[0]), 0);
	fpd_kmod_event(&d, &ev);
	assert_int_equal(d.nfailed_ev, 1);
	RUN_UNTIL(&d, d.replans == 3);
	RUN_UNTIL(&d, f.plan.n == 0);
	ev.up = true;
	fpd_kmod_event(&d, &ev);
	assert_int_equal(d.nfailed_ev, 0);
	RUN_UNTIL(&d, f.plan.n == 3);
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);

	/* refused by name */
	strcpy(c.local_addrs, "198.18.0.1, ::ffff:198.18.0.1");
	assert_int_not_equal(fpd_init(&d, &c, NULL, &fake_ops, &f, &err), 0);
	assert_string_equal(err.msg, "[fabric] local_addrs: '::ffff:198.18.0.1' is an IPv4-mapped "
				     "IPv6 address (write IPv4 as a dotted quad)");
	fpd_fini(&d);	/* as flowpland does after a failed start */
	strcpy(c.local_addrs, "fe80::1%eth0");
	assert_int_not_equal(fpd_init(&d, &c, NULL, &fake_ops, &f, &err), 0);
	assert_string_equal(err.msg, "[fabric] local_addrs: 'fe80::1%eth0' is not an IPv4 or IPv6 address");
	fpd_fini(&d);
}

/*
 * rxe0's port 1 as the module's event has it (fp_nlm_event_decode()'s
 * result): link, IB state (NOP: a LINK_CHANGED), its GIDs: the link-local
 * one and the host's IPv4 one.
 */
static void port_event(struct fpd *d, enum fp_nl_event_kind kind, uint8_t link, uint8_t state)
{
	struct fp_nl_gid gids[2] = { { .index = 0, .type = FLOWPLAN_GID_ROCE_V2 },
				     { .index = 1, .type = FLOWPLAN_GID_ROCE_V2 } };
	struct fp_nl_port port = { .num = 1, .state = state, .link = link, .ifindex = 3,
				   .netdev = "h1", .ngids = 2, .gids = gids };
	struct fp_nl_event e = { .kind = kind,
				 .dev = { .index = 7, .name = "rxe0", .nports = 1, .ports = &port } };
	struct fpd_kev ev;

	assert_int_equal(fp_addr_parse("fe80::1", &gids[0].gid), 0);
	gids[1].gid = fp_addr_v4(htonl(0xc6120001));
	fpd_kmod_nl_event(&e, &ev);
	assert_int_equal(ev.kind, FPD_KEV_LINK);
	assert_string_equal(ev.dev, "rxe0");
	assert_int_equal(ev.port, 1);
	assert_int_equal(ev.naddrs, 1);		/* not the link-local GID */
	assert_true(fp_addr_cmp(&ev.addrs[0], &gids[1].gid) == 0);
	fpd_kmod_event(d, &ev);
}

/*
 * The module's PORT_CHANGED (the RDMA core's state after its update) is a
 * port state change as LINK_CHANGED is: DOWN takes the host's NIC link out
 * (its flows leave the plan), ACTIVE brings it back. Whatever the link
 * says, a state other than ACTIVE is down; the LINK_CHANGED that comes
 * with it, in either order, changes nothing more.
 */
static void test_port_event(void **state)
{
	struct fake f = { .loaded = true };
	struct fpd_conf c;
	struct fpd d;

	(void)state;
	conf(&c, "alltoall:bytes=64M");
	start(&d, &f, &c);
	RUN_UNTIL(&d, f.sets == 1);
	assert_int_equal(f.plan.n, 3);

	port_event(&d, FP_NL_EV_PORT_CHANGED, FLOWPLAN_LINK_DOWN, FLOWPLAN_PORT_DOWN);
	assert_int_equal(d.nfailed_ev, 1);
	assert_string_equal(d.ev[(d.nev - 1) % FPD_EVENTS].kind, "port-down");
	RUN_UNTIL(&d, d.replans == 2);
	RUN_UNTIL(&d, f.plan.n == 0);
	port_event(&d, FP_NL_EV_LINK_CHANGED, FLOWPLAN_LINK_DOWN, FLOWPLAN_PORT_NOP);
	assert_int_equal(d.nfailed_ev, 1);
	assert_string_equal(d.ev[(d.nev - 1) % FPD_EVENTS].kind, "link-down");
	/* the netdev is up before the RDMA core's state is: still down */
	port_event(&d, FP_NL_EV_PORT_CHANGED, FLOWPLAN_LINK_UP, FLOWPLAN_PORT_INIT);
	assert_int_equal(d.nfailed_ev, 1);
	assert_int_equal(fpd_loop_once(&d.loop, 10), 0);
	assert_int_equal(d.replans, 2);

	port_event(&d, FP_NL_EV_PORT_CHANGED, FLOWPLAN_LINK_UP, FLOWPLAN_PORT_ACTIVE);
	assert_int_equal(d.nfailed_ev, 0);
	assert_string_equal(d.ev[(d.nev - 1) % FPD_EVENTS].kind, "port-up");
	RUN_UNTIL(&d, f.plan.n == 3);
	assert_int_equal(d.replans, 3);
	port_event(&d, FP_NL_EV_LINK_CHANGED, FLOWPLAN_LINK_UP, FLOWPLAN_PORT_NOP);
	assert_int_equal(d.nfailed_ev, 0);
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
}

static void test_observed_cycle(void **state)
{
	struct fake f = { .loaded = true };
	struct fpd_msg m[2 * 40];
	struct fpd_conf c;
	struct fpd d;
	uint64_t t;
	size_t n = 0;
	int it;

	(void)state;
	conf(&c, NULL);
	start(&d, &f, &c);
	/*
	 * 40 iterations of h0 -> h2 and h0 -> h3, every 50 ms, read 2 s after
	 * the last, that is now: the daemon's own report timer reads with the
	 * wall clock, and a job silent for 10 s by that clock is gone (a slow,
	 * loaded run must not see the cycle expire under it).
	 */
	t = fpd_wall() - 4000000000ull;
	for (it = 0; it < 40; it++) {
		m[n++] = (struct fpd_msg){ .job = 3, .src = fp_addr_v4(htonl(0xc6120001)),
					   .dst = fp_addr_v4(htonl(0xc6120003)),
					   .bytes = 8 << 20, .start_ns = t, .end_ns = t + 1000000 };
		m[n++] = (struct fpd_msg){ .job = 3, .src = fp_addr_v4(htonl(0xc6120001)),
					   .dst = fp_addr_v4(htonl(0xc6120004)),
					   .bytes = 8 << 20, .start_ns = t, .end_ns = t + 1000000 };
		t += 50000000;
	}
	assert_int_equal(fpd_cyc_add(d.cyc, m, n), 0);
	fpd_read_reports(&d, t + 2000000000ull);
	assert_int_equal(fpd_cyc_count(d.cyc), 1);
	RUN_UNTIL(&d, f.sets == 1);
	assert_int_equal(f.plan.n, 2);

	/* status and show over the socket */
	{
		struct fp_err err = { "" };
		json_object *r, *v;
		pid_t child;

		child = fork();
		if (!child) {
			int rc = fpd_ctl_request(c.socket, "show", &r, &err);

			if (!rc) {
				rc = !json_object_object_get_ex(r, "cycles", &v) ||
				     json_object_array_length(v) != 1;
				json_object_put(r);
			}
			_exit(rc);
		}
		{
			int st = -1, i;

			for (i = 0; i < 300; i++) {
				fpd_loop_once(&d.loop, 10);
				if (waitpid(child, &st, WNOHANG) == child)
					break;
			}
			assert_true(WIFEXITED(st));
			assert_int_equal(WEXITSTATUS(st), 0);
		}
		r = fpd_status_json(&d, true);
		assert_true(json_object_object_get_ex(r, "plan", &v));
		assert_true(json_object_get_boolean(json_object_object_get(v, "installed")));
		assert_true(json_object_get_double(json_object_object_get(v, "ratio")) >= 0.999999);
		assert_true(json_object_object_get_ex(r, "events", &v));
		assert_true(json_object_array_length(v) >= 2);
		json_object_put(r);
	}
	/* the metrics text */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *mf = open_memstream(&buf, &len);

		fpd_metrics_render(&d, mf);
		fclose(mf);
		assert_non_null(strstr(buf, "flowpland_plan_generation 1\n"));
		assert_non_null(strstr(buf, "flowpland_installs_total 1\n"));
		assert_non_null(strstr(buf, "flowpland_cycles 1\n"));
		assert_non_null(strstr(buf, "flowpland_link_planned_load_seconds{link=\"leaf0-spine"));
		assert_non_null(strstr(buf, "flowpland_event_to_install_seconds_count 1\n"));
		free(buf);
	}
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
}

/* @its iterations of job @job's one message h0 -> h@host every 50 ms from @t. */
static void job_cycle(struct fpd *d, uint32_t job, uint32_t host, int its, uint64_t t)
{
	struct fpd_msg m[40];
	int it;

	assert_true(its <= 40);
	for (it = 0; it < its; it++) {
		m[it] = (struct fpd_msg){ .job = job, .src = fp_addr_v4(htonl(0xc6120001)),
					  .dst = fp_addr_v4(htonl(0xc6120000 + host)),
					  .bytes = 8 << 20, .start_ns = t, .end_ns = t + 1000000 };
		t += 50000000;
	}
	assert_int_equal(fpd_cyc_add(d->cyc, m, (size_t)its), 0);
}

/* The entry h0 -> h@host of @hp; are two such entries both there and the same? */
static const struct fp_hostplan_entry *to_host(const struct fp_hostplan *hp, uint32_t host)
{
	struct fp_addr l = fp_addr_v4(htonl(0xc6120001)), r = fp_addr_v4(htonl(0xc6120000 + host));

	return fp_hostplan_find(hp, &l, &r, FP_DQPN_ANY);
}

static bool same_entry(const struct fp_hostplan_entry *a, const struct fp_hostplan_entry *b)
{
	return a && b && fpd_hostplan_entry_equal(a, b);
}

/* Each watched subflow is of the pair of the wanted entry it names. */
static void subflows_name_their_entries(const struct fpd *d)
{
	size_t x;

	assert_true(d->nfs > 0);
	for (x = 0; x < d->nfs; x++) {
		assert_true(d->fs[x].entry < d->wanted.n);
		assert_int_equal(fp_addr_cmp(&d->fs[x].remote,
					     &d->wanted.e[d->fs[x].entry].remote), 0);
	}
}

/* Jobs 3 (h0 -> h2) and 4 (h0 -> h3) found and planned; the plan in @before. */
static void two_jobs_planned(struct fake *f, const struct fpd_conf *c, struct fp_hostplan *before)
{
	struct fpd d;
	uint64_t t;

	start(&d, f, c);
	t = fpd_wall() - 4000000000ull;		/* read 2 s after the last (as above) */
	job_cycle(&d, 3, 3, 40, t);
	job_cycle(&d, 4, 4, 40, t);
	fpd_read_reports(&d, t + 4000000000ull);
	assert_int_equal(fpd_cyc_count(d.cyc), 2);
	RUN_UNTIL(&d, f->sets == 1);
	assert_int_equal(f->plan.n, 2);
	fpd_hostplan_copy(before, &f->plan);
	fpd_fini(&d);
}

/*
 * Restarted: job @found's cycle found, job @seen seen (its last two
 * messages; 0: none) with no cycle yet, read 2 s after the last message,
 * 2 s ago; then the first plan.
 */
static uint64_t restart_one_found(struct fpd *d, struct fake *f, const struct fpd_conf *c,
				  uint32_t found, uint32_t seen)
{
	uint64_t t, r;

	start(d, f, c);
	r = d->replans;
	t = fpd_wall() - 6000000000ull;
	job_cycle(d, found, found, 40, t);
	if (seen)
		job_cycle(d, seen, seen, 2, t + 1900000000ull);
	fpd_read_reports(d, t + 4000000000ull);
	assert_int_equal(fpd_cyc_count(d->cyc), 1);
	RUN_UNTIL(d, d->replans == r + 1);
	return t;
}

/*
 * Restarted onto a module holding two pairs' entries: both jobs' cycles
 * (3 and 4) found at once, read now, 2 s after their last messages; then
 * the first plan.
 */
static void restart_both_found(struct fpd *d, struct fake *f, const struct fpd_conf *c)
{
	uint64_t t;

	start(d, f, c);
	assert_int_equal(d->resync.n, 2);
	t = fpd_wall() - 4000000000ull;
	job_cycle(d, 3, 3, 40, t);
	job_cycle(d, 4, 4, 40, t);
	fpd_read_reports(d, t + 4000000000ull);
	assert_int_equal(fpd_cyc_count(d->cyc), 2);
	RUN_UNTIL(d, d->replans == 1);
}

/*
 * A restart while two jobs run (job 3: h0 -> h2, job 4: h0 -> h3). The
 * first cycle found again (job 4's) is planned with the module's entry of
 * the other job kept as it was, not dropped until that job's cycle is
 * found again (without that, job 3's subflows lost their pinned ports
 * meanwhile: about 17 s in daemon-dual); once both are found, the plan of
 * both, the one of before. The same when job 3's reports are not read at
 * all before job 4's cycle is found (d29f2e1 kept the entries only while
 * a job whose reports were read had no cycle: here, none).
 */
static void test_restart_keeps_unseen_jobs(void **state)
{
	struct fake f = { .loaded = true };
	struct fp_hostplan before = { 0 };
	struct fpd_conf c;
	struct fpd d;
	uint64_t t;

	(void)state;
	conf(&c, NULL);
	two_jobs_planned(&f, &c, &before);

	/* job 3's entry sorts first: the watched subflows of job 4's follow it */
	t = restart_one_found(&d, &f, &c, 4, 3);
	assert_int_equal(f.plan.n, 2);
	assert_non_null(to_host(&f.plan, 4));
	assert_true(same_entry(to_host(&f.plan, 3), to_host(&before, 3)));
	assert_true(fpd_hostplan_equal(&d.wanted, &f.plan));	/* installed, not pending */
	subflows_name_their_entries(&d);

	/* job 3 goes on and its cycle is found: the plan of both, as before */
	job_cycle(&d, 3, 3, 40, t + 2000000000ull);
	fpd_read_reports(&d, t + 6000000000ull);
	assert_int_equal(fpd_cyc_count(d.cyc), 2);
	RUN_UNTIL(&d, d.replans == 2);
	assert_true(fpd_hostplan_equal(&f.plan, &before));
	assert_true(fpd_hostplan_equal(&d.wanted, &f.plan));
	assert_false(d.replan_pending);
	subflows_name_their_entries(&d);
	fpd_fini(&d);

	restart_one_found(&d, &f, &c, 4, 0);
	assert_int_equal(f.plan.n, 2);
	assert_true(same_entry(to_host(&f.plan, 3), to_host(&before, 3)));
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
	fpd_hostplan_clear(&before);
}

/*
 * @hp's labels moved to others, unused in their entries, whose ports the
 * hash model sends the same way (the daemon of before chose other ports of
 * the same paths than this one would).
 */
static void same_paths_other_ports(struct fp_hostplan *hp)
{
	struct fp_err err = { "" };
	struct fp_topo *t;
	size_t i;
	unsigned int m, j;

	assert_int_equal(fp_topo_load("leafspine:leaves=2,spines=2,hosts=2", &t, &err), 0);
	for (i = 0; i < hp->n; i++) {
		struct fp_hostplan_entry *e = &hp->e[i];
		int src = fp_topo_find_ip(t, &e->local), dst = fp_topo_find_ip(t, &e->remote);

		assert_true(src >= 0 && dst >= 0 && t->nodes[src].leaf != t->nodes[dst].leaf);
		for (m = 0; m < e->nsub; m++) {
			int r = fp_topo_route(t, src, dst, e->sub[m].sport);
			uint32_t fl;

			for (fl = 1; fl < 0x4000; fl++) {
				for (j = 0; j < e->nsub && e->sub[j].flow_label != fl; j++)
					;
				if (j == e->nsub &&
				    fp_topo_route(t, src, dst, fp_label_to_sport(fl)) == r)
					break;
			}
			assert_true(fl < 0x4000);
			e->sub[m].flow_label = fl;
			e->sub[m].sport = fp_label_to_sport(fl);
		}
	}
	fp_topo_free(t);
}

/*
 * A restart finds both jobs' cycles, and plans their flows on the paths of
 * before, but the module's entries (the old daemon's) have other ports of
 * those paths than this plan chose: the module's are kept, and nothing is
 * installed (without that, daemon-dual's restarted daemon moved a job to
 * another port of its spine).
 */
static void test_restart_keeps_ports_of_the_same_paths(void **state)
{
	struct fake f = { .loaded = true };
	struct fp_hostplan before = { 0 }, mod = { 0 };
	struct fpd_conf c;
	struct fpd d;
	uint64_t sets;
	char pm[96];

	(void)state;
	conf(&c, NULL);
	snprintf(pm, sizeof(pm), "%s/portmap", dir);
	unlink(pm);	/* the hash model, as same_paths_other_ports() */
	two_jobs_planned(&f, &c, &before);
	same_paths_other_ports(&f.plan);
	assert_false(fpd_hostplan_equal(&f.plan, &before));
	assert_int_equal(fpd_hostplan_copy(&mod, &f.plan), 0);
	sets = f.sets;

	restart_both_found(&d, &f, &c);
	assert_true(fpd_hostplan_equal(&d.wanted, &mod));
	assert_true(fpd_hostplan_equal(&f.plan, &mod));
	assert_int_equal(f.sets, sets);		/* the module holds it already */
	assert_int_equal(d.resync.n, 0);	/* every pair planned again */
	subflows_name_their_entries(&d);
	{
		size_t x;
		unsigned int m;

		for (x = 0; x < d.nfs; x++) {	/* watched on the ports kept */
			const struct fp_hostplan_entry *e = &d.wanted.e[d.fs[x].entry];

			for (m = 0; m < e->nsub && e->sub[m].sport != d.fs[x].sport; m++)
				;
			assert_true(m < e->nsub);
		}
	}
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
	fpd_hostplan_clear(&before);
	fpd_hostplan_clear(&mod);
}

/*
 * How long a restart keeps the module's entries: job 4 seen but never
 * cyclic keeps its entry through re-plans until the resync time has passed
 * (the timer made to fire now), then the next plan drops it and keeps
 * nothing any more. Once every pair of the module's plan is planned again
 * the resync ends at once.
 */
static void test_restart_keeps_for_a_while(void **state)
{
	struct fake f = { .loaded = true };
	struct fp_hostplan before = { 0 };
	struct fpd_conf c;
	struct fpd d;
	uint64_t g;

	(void)state;
	conf(&c, NULL);
	start(&d, &f, &c);
	assert_int_equal(d.resync.n, 0);	/* the module held nothing */
	fpd_fini(&d);
	two_jobs_planned(&f, &c, &before);

	restart_one_found(&d, &f, &c, 3, 4);
	assert_int_equal(d.resync.n, 2);
	assert_int_equal(d.carried, 1);
	assert_int_equal(f.plan.n, 2);
	assert_true(same_entry(to_host(&f.plan, 4), to_host(&before, 4)));
	fpd_request_replan(&d, "test: a re-plan before the resync time");
	RUN_UNTIL(&d, d.replans == 2);
	assert_int_equal(d.carried, 1);
	assert_int_equal(f.plan.n, 2);
	fpd_timer_set(&d.t_resync, 1, 0);	/* the resync time has passed */
	RUN_UNTIL(&d, d.replans == 3);
	assert_int_equal(d.resync.n, 0);
	assert_int_equal(d.carried, 0);
	assert_int_equal(f.plan.n, 1);
	assert_non_null(to_host(&f.plan, 3));
	assert_true(fpd_hostplan_equal(&d.wanted, &f.plan));
	assert_false(d.replan_pending);
	subflows_name_their_entries(&d);
	fpd_request_replan(&d, "test: a re-plan after the resync");
	RUN_UNTIL(&d, d.replans == 4);
	assert_int_equal(d.carried, 0);
	assert_int_equal(f.plan.n, 1);
	fpd_fini(&d);

	/* both pairs planned at the first plan: the resync ends with it */
	g = f.plan.generation;
	fpd_hostplan_copy(&f.plan, &before);
	f.plan.generation = g;
	restart_both_found(&d, &f, &c);
	assert_int_equal(d.resync.n, 0);
	assert_int_equal(d.carried, 0);
	assert_true(fpd_hostplan_equal(&f.plan, &before));
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
	fpd_hostplan_clear(&before);
}

/*
 * A restart that finds in the module an entry it cannot keep (a flow label
 * of 0: the module takes one, a plan may not hold one) plans without it:
 * the plan of the job found is installed. d29f2e1 failed the re-plan
 * instead, and every one until the resync time, after which it asked for
 * none: no plan was installed at all, never "settled".
 */
static void test_restart_unkeepable_entry(void **state)
{
	struct fake f = { .loaded = true };
	struct fp_hostplan before = { 0 };
	struct fp_hostplan_entry *e;
	struct fpd_conf c;
	struct fpd d;
	uint64_t sets;

	(void)state;
	conf(&c, NULL);
	two_jobs_planned(&f, &c, &before);
	e = (struct fp_hostplan_entry *)to_host(&f.plan, 4);
	e->sub[0].flow_label = 0;
	sets = f.sets;
	restart_one_found(&d, &f, &c, 3, 4);
	assert_int_equal(f.sets, sets + 1);
	assert_int_equal(f.plan.n, 1);
	assert_true(same_entry(to_host(&f.plan, 3), to_host(&before, 3)));
	assert_true(fpd_hostplan_equal(&d.wanted, &f.plan));
	assert_false(d.replan_pending);
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
	fpd_hostplan_clear(&before);
}

/*
 * leaf2 configured cut off from both spines: the plan for the rest is
 * installed, and the flows to and from leaf2's hosts are in the status
 * (count and each with why) and the metrics.
 */
static void test_unroutable_reported(void **state)
{
	struct fake f = { .loaded = true };
	struct fpd_conf c;
	struct fpd d;
	json_object *r, *p, *u;
	char *buf = NULL;
	size_t len = 0;
	FILE *mf;

	(void)state;
	conf(&c, "alltoall:bytes=64M");
	strcpy(c.topology, "leafspine:leaves=3,spines=2,hosts=2,fail=leaf2-spine0+leaf2-spine1");
	start(&d, &f, &c);
	RUN_UNTIL(&d, f.sets == 1);
	/* h0.n0 to h1, h2, h3; not to h4, h5 */
	assert_int_equal(f.plan.n, 3);
	r = fpd_status_json(&d, false);
	assert_true(json_object_object_get_ex(r, "plan", &p));
	assert_int_equal(json_object_get_int64(json_object_object_get(p, "unroutable_flows")),
			 2 * 2 * 4);
	assert_true(json_object_object_get_ex(p, "unroutable", &u));
	assert_int_equal(json_object_array_length(u), 16);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(u, 0)),
			    "h0.n0 -> h4.n0: no live path (failed links cut leaf0 from leaf2)");
	json_object_put(r);
	mf = open_memstream(&buf, &len);
	fpd_metrics_render(&d, mf);
	fclose(mf);
	assert_non_null(strstr(buf, "flowpland_plan_unroutable_flows 16\n"));
	free(buf);
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
}

static void test_no_module_then_module(void **state)
{
	struct fake f = { .loaded = false };
	struct fpd_conf c;
	struct fpd d;

	(void)state;
	conf(&c, "alltoall:bytes=64M");
	start(&d, &f, &c);
	RUN_UNTIL(&d, d.replans == 1);
	assert_true(d.have_wanted);
	assert_int_equal(f.sets, 0);
	/* planned, not installed: the metrics have nothing of subflows yet */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *mf = open_memstream(&buf, &len);

		fpd_metrics_render(&d, mf);
		fclose(mf);
		assert_null(strstr(buf, "flowpland_subflow_bytes_total{"));
		assert_non_null(strstr(buf, "flowpland_module_loaded 0\n"));
		free(buf);
	}
	f.loaded = true;
	fpd_kmod_presence(&d, true);
	assert_int_equal(f.sets, 1);
	assert_int_equal(f.plan.generation, 1);
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
}

static void test_holddown(void **state)
{
	struct fake f = { .loaded = true };
	struct fpd_conf c;
	struct fpd d;
	int i;

	(void)state;
	conf(&c, "alltoall:bytes=64M");
	c.holddown_ns = 200000000;	/* 200 ms */
	start(&d, &f, &c);
	RUN_UNTIL(&d, d.replans == 1);
	fpd_request_replan(&d, "one");
	fpd_request_replan(&d, "two");
	fpd_request_replan(&d, "three");
	for (i = 0; i < 5; i++)
		fpd_loop_once(&d.loop, 10);
	assert_int_equal(d.replans, 1);		/* held down */
	RUN_UNTIL(&d, d.replans == 2);
	for (i = 0; i < 30; i++)
		fpd_loop_once(&d.loop, 10);
	assert_int_equal(d.replans, 2);		/* three asks, one re-plan */
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
}

/*
 * Probing: a child runs the engine (here one that writes a port map the
 * test chooses, as lib/probe would after a switch re-hashed), the loop
 * reads its map. The first plan's pairs are probed at once; the same map
 * again moves nothing; a map whose ports all changed spine is a change:
 * re-planned, every installed port on the spine the new map names; a
 * failing probe keeps the map in use; `probe` over the control socket
 * needs root or the daemon's user; a restart reads the learned map back
 * and installs nothing.
 */
static bool swap_spines;
static bool probe_error;
static const char *spine_down;	/* the leaves hash no port onto it */
static const char *first_log;	/* the engine's pairs and their first ports */

static int fake_engine(const struct fp_probe_cfg *cfg, struct fp_probe_pair *pairs, size_t n,
		       FILE *out, struct fp_probe_stats *st, struct fp_err *err)
{
	struct fp_topo *t;
	size_t i;
	unsigned int k;

	if (probe_error) {
		snprintf(err->msg, sizeof(err->msg), "probe: no reply from hop 1 after 6 tries");
		return EHOSTUNREACH;
	}
	assert_int_equal(fp_topo_load("leafspine:leaves=2,spines=2,hosts=2", &t, err), 0);
	fprintf(out, "# flowplan-portmap 1\n");
	for (i = 0; i < n; i++) {
		int s = fp_topo_find_ip(t, &pairs[i].src), d = fp_topo_find_ip(t, &pairs[i].dst);
		struct fp_pathset ps = fp_topo_paths(t, t->nodes[s].leaf, t->nodes[d].leaf);
		char a[FP_ADDR_STRLEN], b[FP_ADDR_STRLEN];
		struct fp_probe_pair *p = &pairs[i];
		const char *seen[FP_PROBE_MAX_PATHS];	/* the spine of each path found */

		assert_int_equal(p->hops, 3);
		assert_int_equal(p->npaths, 2);
		fp_addr_str(&p->src, a);
		fp_addr_str(&p->dst, b);
		p->nfound = 0;
		for (k = 0; k < cfg->nports; k++) {
			int r = fp_topo_route(t, s, d, cfg->ports[k]);
			int sp = t->links[ps.p[r].link[0]].to;
			const char *name = t->nodes[sp].name;
			unsigned int j;

			if (swap_spines)
				name = strcmp(name, "spine0") ? "spine0" : "spine1";
			if (spine_down && !strcmp(name, spine_down))
				name = strcmp(name, "spine0") ? "spine0" : "spine1";
			fprintf(out, "%s %s %u %s,%s,%s\n", a, b, cfg->ports[k],
				t->nodes[t->nodes[s].leaf].name, name, t->nodes[t->nodes[d].leaf].name);
			/* what lib/probe counts: its paths (by spine), their ports */
			for (j = 0; j < p->nfound && strcmp(name, seen[j]); j++)
				;
			p->since_new = j < p->nfound ? p->since_new + 1 : 0;
			if (j == p->nfound) {
				memset(&p->paths[j], 0, sizeof(p->paths[j]));
				seen[p->nfound++] = name;
			}
			p->paths[j].nports++;
		}
		p->resolved = fp_probe_pair_done(p, cfg->per_path, true);
		/* the pair's first ports, for the test (this is the child) */
		if (first_log) {
			FILE *fl = fopen(first_log, "a");

			assert_non_null(fl);
			fprintf(fl, "%s %s", a, b);
			for (k = 0; k < p->nfirst; k++)
				fprintf(fl, "%c%u", k ? ',' : ' ', p->first[k]);
			fprintf(fl, "\n");
			fclose(fl);
		}
	}
	st->sent = n * cfg->nports;
	fp_topo_free(t);
	return 0;
}

/* Every installed port of h0 -> h2/h3 takes, by the hash model, the other spine
 * than its watched path when @swapped (the new map is the truth), else the same.
 */
static void check_ports(struct fpd *d, bool swapped)
{
	struct fp_topo *t = d->planner.base;
	size_t k;

	for (k = 0; k < d->nfs; k++) {
		const struct fpd_fsub *x = &d->fs[k];
		int s, r, spine, planned;
		struct fp_pathset ps;

		if (x->nlinks != 4)
			continue;
		s = fp_topo_find_addr(t, htonl(0xc6120001u));
		r = fp_topo_route(t, s, fp_topo_find_addr(t, fp_addr_to_v4(&x->remote)), x->sport);
		ps = fp_topo_paths(t, t->nodes[s].leaf, t->nodes[fp_topo_find_addr(t,
				   fp_addr_to_v4(&x->remote))].leaf);
		spine = t->links[ps.p[r].link[0]].to;
		planned = t->links[x->link[1]].to;
		if (swapped)
			assert_int_not_equal(spine, planned);
		else
			assert_int_equal(spine, planned);
	}
}

/*
 * The fake engine's log @path: a line a pair, its first ports those of the
 * pair's entries in the plan in use, in their order.
 */
static void check_first_ports(const struct fpd *d, const char *path)
{
	char line[256], want[256], a[FP_ADDR_STRLEN], b[FP_ADDR_STRLEN];
	FILE *fl = fopen(path, "r");
	size_t i, lines = 0;
	unsigned int k;

	assert_non_null(fl);
	while (fgets(line, sizeof(line), fl)) {
		int len = 0;

		line[strcspn(line, "\n")] = 0;
		for (i = 0; i < d->installed.n; i++) {
			const struct fp_hostplan_entry *e = &d->installed.e[i];

			len = snprintf(want, sizeof(want), "%s %s", fp_addr_str(&e->local, a),
				       fp_addr_str(&e->remote, b));
			if (!strncmp(line, want, (size_t)len) && line[len] == ' ')
				break;
		}
		if (i == d->installed.n)
			fail_msg("probed pair \"%s\" without an entry in use", line);
		for (k = 0; k < d->installed.e[i].nsub; k++)
			len += snprintf(want + len, sizeof(want) - (size_t)len, "%c%u",
					k ? ',' : ' ', d->installed.e[i].sub[k].sport);
		assert_string_equal(line, want);
		lines++;
	}
	fclose(fl);
	assert_int_equal(lines, 2);
}

/* h0 -> h2, h3 probed on demand, 8 ports; the fake engine as it starts. */
static void probe_conf(struct fpd_conf *c)
{
	char routers[128];
	FILE *rf;

	snprintf(routers, sizeof(routers), "%s/routers", dir);
	rf = fopen(routers, "w");
	fprintf(rf, "10.0.0.1 leaf0\n10.0.0.2 leaf1\n10.0.0.3 spine0\n10.0.0.4 spine1\n");
	fclose(rf);
	conf(c, "alltoall:bytes=64M,hosts=0+2+3");
	snprintf(c->routers, sizeof(c->routers), "%s", routers);
	c->probe_interval_ns = 0;
	c->probe_ports = 8;
	swap_spines = false;
	probe_error = false;
	spine_down = NULL;
}

static void test_probe(void **state)
{
	struct fake f = { .loaded = true };
	struct fp_err err = { "" };
	struct fpd_conf c;
	struct fpd d;
	char path[128];
	uint64_t sets;
	json_object *r;

	(void)state;
	probe_conf(&c);
	start(&d, &f, &c);
	fpd_set_probe_engine(&d, fake_engine);
	RUN_UNTIL(&d, f.sets == 1);
	/* the first plan's pairs probed at once: the map the hash model gives */
	assert_int_equal(d.probes, 1);
	RUN_UNTIL(&d, d.probe_wall_ns != 0);
	if (d.probe_last.status)
		fail_msg("probe: %s", d.probe_last.why);
	assert_int_equal(d.probe_last.pairs, 2);
	assert_int_equal(d.probe_last.resolved, 2);
	/* the daemon planned by the hash model, which the map repeats */
	assert_int_equal(d.probe_changes, 0);
	check_ports(&d, false);

	/* a switch re-hashed every port: re-planned on the new map */
	swap_spines = true;
	sets = f.sets;
	assert_int_equal(fpd_probe_now(&d, "test", &err), 0);
	assert_int_equal(fpd_probe_now(&d, "test", &err), EBUSY);
	RUN_UNTIL(&d, d.probe_changes == 1 && f.sets == sets + 1);
	assert_int_equal(d.probe_last.moved, 16);
	check_ports(&d, true);
	assert_int_equal(d.planner.npm, 16);

	/*
	 * The same map again: nothing moves. Each pair's ports in the plan in
	 * use went to the probe as its first ports, so that the new map has
	 * their paths however many ports the probe wants a path.
	 */
	snprintf(path, sizeof(path), "%s/first.log", dir);
	unlink(path);
	first_log = path;
	d.probe_wall_ns = 0;
	assert_int_equal(fpd_probe_now(&d, "test", &err), 0);
	RUN_UNTIL(&d, d.probe_wall_ns != 0);
	first_log = NULL;
	assert_int_equal(d.probe_changes, 1);
	assert_int_equal(d.probe_last.moved, 0);
	check_first_ports(&d, path);

	/* a failing probe: the map in use stays */
	probe_error = true;
	d.probe_wall_ns = 0;
	assert_int_equal(fpd_probe_now(&d, "test", &err), 0);
	RUN_UNTIL(&d, d.probe_wall_ns != 0);
	assert_int_equal(d.probe_failures, 1);
	assert_string_equal(d.probe_last.why, "probe: no reply from hop 1 after 6 tries");
	assert_int_equal(d.planner.npm, 16);

	/* over the control socket (this process is the daemon's user) */
	probe_error = false;
	snprintf(path, sizeof(path), "%s/daemon.sock", dir);
	{
		pid_t pid = fork();

		if (!pid) {
			int rc = fpd_ctl_request(path, "probe", &r, &err);

			if (!rc)
				json_object_put(r);
			_exit(rc ? 1 : 0);
		}
		for (;;) {
			int st;

			assert_int_equal(fpd_loop_once(&d.loop, 10), 0);
			if (waitpid(pid, &st, WNOHANG) == pid) {
				assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
				break;
			}
		}
	}
	assert_int_equal(d.probes, 5);
	fpd_fini(&d);	/* a probe under way is stopped */

	/* a restart reads the learned map back: the same plan, nothing installed */
	sets = f.sets;
	start(&d, &f, &c);
	fpd_set_probe_engine(&d, fake_engine);
	assert_int_equal(d.planner.npm, 16);
	RUN_UNTIL(&d, d.replans == 1);
	assert_int_equal(f.sets, sets);
	assert_int_equal(d.unchanged, 1);
	check_ports(&d, true);
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
}

/*
 * One probe now, run to its end: @resolved of its 2 pairs resolved, and
 * ports moved (@news, then its re-plan is waited for) or none.
 */
static void probe_once(struct fpd *d, size_t resolved, bool news)
{
	struct fp_err err = { "" };
	uint64_t replans = d->replans, changes = d->probe_changes;

	d->probe_wall_ns = 0;
	assert_int_equal(fpd_probe_now(d, "test", &err), 0);
	RUN_UNTIL(d, d->probe_wall_ns != 0);
	if (d->probe_last.status)
		fail_msg("probe: %s", d->probe_last.why);
	assert_int_equal(d->probe_last.pairs, 2);
	assert_int_equal(d->probe_last.resolved, resolved);
	assert_int_equal(d->probe_last.moved > 0, news);
	assert_int_equal(d->probe_changes, changes + news);
	if (news)
		RUN_UNTIL(d, d->replans > replans);
}

/* Does the plan in use load a link of @spine? */
static bool spine_loaded(struct fpd *d, const char *spine)
{
	size_t k;

	for (k = 0; k < d->nfs; k++) {
		unsigned int h;

		for (h = 0; h < d->fs[k].nlinks; h++) {
			char name[80];

			fpd_planner_link_name(&d->planner, d->fs[k].link[h], name, sizeof(name));
			if (strstr(name, spine))
				return true;
		}
	}
	return false;
}

/*
 * Probing through a failure: spine1 loses its link to leaf1 and the leaves
 * hash every port onto spine0. The first probe after it finds 1 of the 2
 * paths: unresolved, and news (re-planned off spine1). The ones after
 * expect the path left (the map in use gives the pairs no port on spine1)
 * and are resolved, moving nothing. The link back: a probe finds ports on
 * spine1 again, news (re-planned over both spines), resolved; the next
 * ones expect both paths again. A link the daemon knows down (its failed
 * set, as a link event fills it): the first probe after is resolved.
 */
static void test_probe_failure(void **state)
{
	struct fake f = { .loaded = true };
	struct fpd_conf c;
	struct fpd d;

	(void)state;
	probe_conf(&c);
	snprintf(c.probe_state, sizeof(c.probe_state), "%s/portmap-failure", dir);
	start(&d, &f, &c);
	fpd_set_probe_engine(&d, fake_engine);
	RUN_UNTIL(&d, f.sets == 1 && d.probe_wall_ns != 0);
	assert_int_equal(d.probe_last.resolved, 2);
	assert_true(spine_loaded(&d, "spine1"));

	/* the failure: the first probe sees it */
	spine_down = "spine1";
	probe_once(&d, 0, true);
	assert_false(spine_loaded(&d, "spine1"));
	/* while it lasts: resolved on the path left, nothing moves */
	probe_once(&d, 2, false);
	probe_once(&d, 2, false);

	/* the link back: news */
	spine_down = NULL;
	probe_once(&d, 2, true);
	assert_true(spine_loaded(&d, "spine1"));
	probe_once(&d, 2, false);

	/* a link the daemon knows down: expected down from the first probe on */
	d.failed_ev[d.nfailed_ev++] = fpd_planner_link(&d.planner, "spine1", "leaf1") / 2;
	fpd_request_replan(&d, "test");
	RUN_UNTIL(&d, !d.replan_pending);
	assert_false(spine_loaded(&d, "spine1"));
	spine_down = "spine1";
	probe_once(&d, 2, true);
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_restart_reload),
		cmocka_unit_test(test_fault_replan),
		cmocka_unit_test(test_ipv6_host),
		cmocka_unit_test(test_port_event),
		cmocka_unit_test(test_observed_cycle),
		cmocka_unit_test(test_restart_keeps_unseen_jobs),
		cmocka_unit_test(test_restart_keeps_for_a_while),
		cmocka_unit_test(test_restart_keeps_ports_of_the_same_paths),
		cmocka_unit_test(test_restart_unkeepable_entry),
		cmocka_unit_test(test_unroutable_reported),
		cmocka_unit_test(test_no_module_then_module),
		cmocka_unit_test(test_holddown),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_probe_failure),
	};

	return cmocka_run_group_tests_name("daemon_fpd", tests, setup, teardown);
}
