// SPDX-License-Identifier: MIT
/*
 * bench_daemon - make bench-daemon.
 *
 * 1. Event to install: an event on the daemon's loop until the new plan is
 *    in the module table (here the in-memory table of kmod.h, so the figure
 *    is the daemon's own path: the change applied to the fabric, the plan
 *    repaired or computed, this host's share, the install call): a NIC link
 *    down and up (the module's event), a spine link suspected and tried
 *    again; against the planner's fp_plan_compute and fp_plan_repair on the
 *    same fabric and schedule, measured in the same run. The real module,
 *    in qemu: make bench-daemon-vm.
 * 2. Steady state: the loop for a few seconds while a writer appends a
 *    training job's schedule reports to a ring (8 ranks, ring all-reduce,
 *    20 iterations a second), against the same loop with no ring: the
 *    daemon's CPU (its thread's time over wall time) and its memory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "planner/plan.h"
#include "planner/sched.h"
#include "planner/topo.h"
#include "core/addr.h"
#include "flowplan/flowplan.h"
#include "fpd.h"

/* ---------------------------------------------- the module, in memory */

struct fake {
	struct fp_hostplan plan;
	uint64_t sets;
};

static int f_open(void *c, struct fp_err *e) { (void)c; (void)e; return 0; }
static void f_close(void *c) { (void)c; }
static int f_get(void *c, struct fp_hostplan *hp, struct fp_err *e)
{
	(void)e;
	memset(hp, 0, sizeof(*hp));
	return fpd_hostplan_copy(hp, &((struct fake *)c)->plan);
}
static int f_set(void *c, const struct fp_hostplan *hp, uint64_t g, struct fp_err *e)
{
	struct fake *f = c;

	(void)e;
	fpd_hostplan_copy(&f->plan, hp);
	f->plan.generation = g;
	f->sets++;
	return 0;
}
static int f_cnt(void *c, struct fpd_fcount **o, size_t *n, struct fp_err *e)
{
	(void)c; (void)e;
	*o = NULL;
	*n = 0;
	return 0;
}
static int f_fd(void *c) { (void)c; return -1; }
static int f_ev(void *c, struct fpd_kev *ev, struct fp_err *e) { (void)c; (void)ev; (void)e; return EAGAIN; }
static int f_w(void *c, bool *ch, bool *p)
{
	(void)c;
	*ch = false;
	*p = true;
	return 0;
}

static const struct fpd_kmod_ops fake_ops = {
	.open = f_open, .close = f_close, .get_plan = f_get, .set_plan = f_set,
	.get_counters = f_cnt, .event_fd = f_fd, .read_event = f_ev,
	.watch_fd = f_fd, .read_watch = f_w,
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char dir[64];

static void base_conf(struct fpd_conf *c, const char *topo, const char *sched, const char *local)
{
	fpd_conf_default(c);
	snprintf(c->socket, sizeof(c->socket), "%s/daemon.sock", dir);
	c->metrics[0] = 0;
	snprintf(c->topology, sizeof(c->topology), "%s", topo);
	snprintf(c->schedule, sizeof(c->schedule), "%s", sched);
	snprintf(c->local_addrs, sizeof(c->local_addrs), "%s", local);
	snprintf(c->report_dir, sizeof(c->report_dir), "%s", dir);
	c->holddown_ns = 0;
	c->log_level = 3;
	c->counters_interval_ns = 0;
}

/* -------------------------------------------------- 1. event to install */

#define ROUNDS 10

/* Run the loop until the fake module has more installs than @sets. */
static double until_installed(struct fpd *d, struct fake *f, uint64_t sets, double t0)
{
	while (f->sets == sets)
		fpd_loop_once(&d->loop, 100);
	return now_s() - t0;
}

static double p50(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_d);
	return v[n / 2];
}

/*
 * Host 0 (all its NICs local) on @topo planning @sched. Two events, each
 * way: one of its NIC links goes down (the module's link event; its flows
 * leave the plan: a repair) and up (planned anew); a spine link a planned
 * subflow crosses is suspected (fpd_avoid: a repair) and tried again (an
 * operator's replan: planned anew). Each timed from the event to the new
 * plan in the module table, against the planner alone on the same inputs.
 */
static void event_to_install(const char *topo, const char *sched)
{
	struct fp_err err = { "" };
	struct fake f = { 0 };
	struct fpd_conf c;
	static struct fpd d;
	double nic_down[ROUNDS], nic_up[ROUNDS], avoid[ROUNDS], retry[ROUNDS];
	double base[ROUNDS], base_rep[ROUNDS];
	struct fp_topo *t;
	struct fp_sched *s;
	char local[FPD_PATHLEN] = "";
	struct fp_addr nic_addr;
	int32_t spine_link = -1;
	int i, k;
	size_t x;

	if (fp_topo_load(topo, &t, &err) || fp_sched_load(sched, t, &s, &err)) {
		fprintf(stderr, "bench-daemon: %s\n", err.msg);
		exit(1);
	}
	for (k = 0; k < t->hosts[0].nnics; k++) {
		char a[FP_ADDR_STRLEN];

		fp_addr_str(&t->nodes[t->hosts[0].first_nic + k].ip, a);
		snprintf(local + strlen(local), sizeof(local) - strlen(local), "%s%s",
			 k ? "," : "", a);
	}
	nic_addr = t->nodes[t->hosts[0].first_nic].ip;
	base_conf(&c, topo, sched, local);
	if (fpd_init(&d, &c, NULL, &fake_ops, &f, &err)) {
		fprintf(stderr, "bench-daemon: %s\n", err.msg);
		exit(1);
	}
	until_installed(&d, &f, 0, now_s());
	for (x = 0; x < d.nfs && spine_link < 0; x++)
		if (d.fs[x].nlinks >= 4 && fpd_planner_link_is_fabric(&d.planner, d.fs[x].link[1]))
			spine_link = d.fs[x].link[1];
	for (i = 0; i < ROUNDS; i++) {
		struct fpd_kev ev = { .kind = FPD_KEV_LINK, .naddrs = 1, .addrs = { nic_addr },
				      .port = 1 };
		double t0;

		snprintf(ev.dev, sizeof(ev.dev), "rxe0");
		t0 = now_s();
		fpd_kmod_event(&d, &ev);
		nic_down[i] = until_installed(&d, &f, f.sets, t0);
		ev.up = true;
		t0 = now_s();
		fpd_kmod_event(&d, &ev);
		nic_up[i] = until_installed(&d, &f, f.sets, t0);
		if (spine_link < 0)
			continue;
		t0 = now_s();
		fpd_avoid(&d, &spine_link, 1, 1);
		avoid[i] = until_installed(&d, &f, f.sets, t0);
		/* what an operator's replan does: the suspects are tried again */
		t0 = now_s();
		d.nfailed_fault = 0;
		d.nsuspects = 0;
		fpd_request_replan(&d, "bench");
		retry[i] = until_installed(&d, &f, f.sets, t0);
	}
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);

	/* the planner alone: a plan, and its repair after that spine link fails */
	for (k = 0; k < ROUNDS; k++) {
		struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .max_split = 8 };
		struct fp_plan *p;
		double t0 = now_s();

		fp_plan_compute(t, s, &o, &p, &err);
		base[k] = now_s() - t0;
		t0 = now_s();
		if (spine_link >= 0)
			fp_plan_repair(p, &spine_link, 1, &(struct fp_plan_repair_opts){ 0 }, NULL,
				       &err);
		base_rep[k] = now_s() - t0;
		fp_plan_free(p);
		fp_topo_link_set(t, spine_link, true);
	}
	fp_sched_free(s);
	fp_topo_free(t);
	{
		double nd = p50(nic_down, ROUNDS), nu = p50(nic_up, ROUNDS), pb = p50(base, ROUNDS);
		double pr = p50(base_rep, ROUNDS);

		printf("bench-daemon: event-to-install on %s, %s (host 0's NICs local)\n", topo,
		       sched);
		printf("bench-daemon:   NIC link down %9.3f ms (repair)   back up %9.3f ms (planned anew: %.2fx the planner alone, %.3f ms)\n",
		       nd * 1e3, nu * 1e3, nu / pb, pb * 1e3);
		if (spine_link >= 0) {
			double av = p50(avoid, ROUNDS), re = p50(retry, ROUNDS);

			printf("bench-daemon:   spine link suspected %9.3f ms (repair: %.2fx the planner's alone, %.3f ms)   tried again %9.3f ms\n",
			       av * 1e3, av / pr, pr * 1e3, re * 1e3);
		}
	}
}

/* ------------------------------------------------------ 2. steady state */

struct writer {
	char path[128];
	int stop;		/* __atomic: set by the main thread */
	uint64_t recs;
};

/* A ring per docs/reports.md; 8 ranks' ring all-reduce, 14 steps, 20 it/s. */
static void *write_ring(void *arg)
{
	struct writer *w = arg;
	uint32_t cap = 65536;
	size_t len = 4096 + (size_t)cap * sizeof(struct fp_report_rec);
	uint8_t *m;
	uint64_t *head;
	int fd = open(w->path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)len))
		return NULL;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	*(uint32_t *)(m + 8) = 2;	/* format version 2, 80-byte records */
	*(uint32_t *)(m + 12) = 4096;
	*(uint32_t *)(m + 16) = sizeof(struct fp_report_rec);
	*(uint32_t *)(m + 20) = cap;
	*(uint64_t *)(m + 24) = 4096;
	*(uint32_t *)(m + 40) = (uint32_t)getpid();
	__atomic_store_n((uint64_t *)m, 0x005450525046504cull, __ATOMIC_RELEASE);
	head = (uint64_t *)(m + 48);
	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		struct timespec ts;
		uint64_t t;
		int st, r;

		clock_gettime(CLOCK_REALTIME, &ts);
		t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		for (st = 0; st < 14; st++) {
			for (r = 0; r < 8; r++) {
				uint64_t h = *head;
				struct fp_report_rec *rec = (struct fp_report_rec *)(m + 4096) + (h % cap);

				__atomic_store_n(&rec->seq, 0, __ATOMIC_RELAXED);
				__atomic_thread_fence(__ATOMIC_RELEASE);
				struct fp_addr sa = fp_addr_v4(htonl(0xc6120001 + (uint32_t)r));
				struct fp_addr da = fp_addr_v4(htonl(0xc6120001 +
								     (uint32_t)((r + 1) % 8)));

				*rec = (struct fp_report_rec){
					.comm = 1, .op = FP_OP_WRITE,
					.bytes = 16 << 20, .start_ns = t + (uint64_t)st * 2000000,
					.end_ns = t + (uint64_t)st * 2000000 + 1500000,
				};
				memcpy(rec->src, sa.b, 16);
				memcpy(rec->dst, da.b, 16);
				__atomic_store_n(&rec->seq, h + 1, __ATOMIC_RELEASE);
				__atomic_store_n(head, h + 1, __ATOMIC_RELEASE);
				w->recs++;
			}
		}
		usleep(50000);
	}
	munmap(m, len);
	unlink(w->path);
	return NULL;
}

static void steady_state(double secs, bool ring)
{
	struct fp_err err = { "" };
	struct fake f = { 0 };
	struct writer w = { 0 };
	struct fpd_conf c;
	static struct fpd d;
	struct rusage ru;
	pthread_t th;
	double t0, c0, wall, cpu;

	base_conf(&c, "leafspine:leaves=2,spines=2,hosts=4", "", "198.18.0.1");
	c.schedule[0] = 0;
	if (fpd_init(&d, &c, NULL, &fake_ops, &f, &err)) {
		fprintf(stderr, "bench-daemon: %s\n", err.msg);
		exit(1);
	}
	if (ring) {
		snprintf(w.path, sizeof(w.path), "%s/flowplan-%d-1", dir, (int)getpid());
		pthread_create(&th, NULL, write_ring, &w);
	}
	t0 = now_s();
	c0 = thread_cpu_s();
	/* the loop sleeps until something is due, as flowpland's does */
	while (now_s() - t0 < secs)
		fpd_loop_once(&d.loop, (int)((secs - (now_s() - t0)) * 1000) + 1);
	cpu = thread_cpu_s() - c0;
	wall = now_s() - t0;
	if (ring) {
		__atomic_store_n(&w.stop, 1, __ATOMIC_RELAXED);
		pthread_join(th, NULL);
	}
	getrusage(RUSAGE_SELF, &ru);
	if (getenv("FPD_BENCH_DEBUG")) {
		struct fpd_rings_stats rs;
		struct fpd_cyc_stats cs;

		fpd_rings_stats(d.rings, &rs);
		fpd_cyc_stats(d.cyc, &cs);
		fprintf(stderr, "rings: open %zu records %llu sends %llu lost %llu; jobs %zu phases %llu noise %llu msgs %llu\n",
			rs.open, (unsigned long long)rs.records, (unsigned long long)rs.sends,
			(unsigned long long)rs.lost, cs.jobs, (unsigned long long)cs.phases,
			(unsigned long long)cs.noise, (unsigned long long)cs.msgs);
		for (size_t e = 0; e < d.nev && e < FPD_EVENTS; e++)
			fprintf(stderr, "event %s: %s\n", d.ev[e].kind, d.ev[e].text);
	}
	printf("bench-daemon: steady state %-28s %6.2f%% of a core over %.1f s (%llu records), %zu cycles locked, %llu installs, max RSS %ld MiB\n",
	       ring ? "(8-rank ring job, 20 it/s)" : "(idle, no ring)", 100 * cpu / wall, wall,
	       (unsigned long long)w.recs, fpd_cyc_count(d.cyc), (unsigned long long)f.sets,
	       ru.ru_maxrss / 1024);
	fpd_fini(&d);
	fpd_hostplan_clear(&f.plan);
}

int main(void)
{
	char cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/fpd-bench-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	/*
	 * Each in a process of its own, so that its memory is its own, and
	 * first: a child starts with its parent's resident pages, and the
	 * event benches below leave tens of MiB of planner heap resident.
	 */
	{
		pid_t pid;
		int st, k;

		for (k = 0; k < 2; k++) {
			if (getenv("FPD_BENCH_DEBUG") && !k)
				continue;
			fflush(stdout);
			pid = fork();
			if (!pid) {
				steady_state(k ? 8 : 4, k);
				fflush(stdout);
				_exit(0);
			}
			waitpid(pid, &st, 0);
		}
	}
	if (!getenv("FPD_BENCH_DEBUG")) {
		event_to_install("leafspine:leaves=2,spines=2,hosts=2", "alltoall:bytes=64M");
		event_to_install("leafspine:leaves=8,spines=4,hosts=4,nics=8",
				 "ring-allreduce:bytes=1G,place=frag");
		event_to_install("leafspine:leaves=16,spines=8,hosts=8,nics=8",
				 "alltoall:bytes=16M");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? 1 : 0;
}
