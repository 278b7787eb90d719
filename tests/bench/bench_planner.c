// SPDX-License-Identifier: MIT
/*
 * bench_planner - the planner benchmark: for a fixed set of scenarios, every
 * strategy's max link load / lower bound and CCT / spraying CCT, measured in
 * the same run; then planning time (CPU, one core) and peak memory at scale.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "planner/plan.h"
#include "planner/sim.h"

#define SEEDS 10

static const struct {
	const char *name, *topo, *sched;
} scen[] = {
	{ "ls ring frag", "leafspine:leaves=8,spines=4,hosts=4", "ring-allreduce:bytes=1G,place=frag" },
	{ "ls alltoall", "leafspine:leaves=8,spines=4,hosts=4", "alltoall:bytes=256M" },
	{ "ls alltoall S=3", "leafspine:leaves=8,spines=3,hosts=4", "alltoall:bytes=256M" },
	{ "ls rail 8-NIC ring", "leafspine:leaves=16,spines=8,hosts=8,nics=8,rail", "ring-allreduce:bytes=1G,place=frag" },
	{ "ls 3 frag jobs", "leafspine:leaves=8,spines=4,hosts=4",
	  "ring-allreduce:bytes=1G,count=12,place=frag,job=a;ring-allreduce:bytes=512M,count=12,off=1,place=frag,job=b;alltoall:bytes=128M,count=8,off=2,place=frag,job=c" },
	{ "ft ring frag", "fattree:k=8", "ring-allreduce:bytes=1G,place=frag" },
	{ "ft alltoall 2:1", "fattree:k=8,up_gbps=50", "alltoall:bytes=256M,count=32,place=frag" },
	{ "ft 2 jobs + fail", "fattree:k=8,fail=agg0.0-core0+leaf5-agg1.1",
	  "ring-allreduce:bytes=1G,count=16,place=frag;alltoall:bytes=64M,count=16,off=1,place=frag" },
};

static const char *const strat[] = { "ecmp", "ecmp4", "spray", "flowplan" };

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run(struct fp_topo *t, struct fp_sched *s, const char *st, uint64_t seed,
	       double *load, double *lb, double *cct)
{
	struct fp_plan_opts o = { .seed = seed, .generation = 1 };
	struct fp_plan *p;
	struct fp_sim *sim;
	struct fp_err err;
	size_t i;

	fp_strategy_parse(st, &o.strategy, &o.k);
	if (fp_plan_compute(t, s, &o, &p, &err) || fp_simulate(p, &sim, &err)) {
		fprintf(stderr, "bench: %s: %s\n", st, err.msg);
		return 1;
	}
	*load = *lb = 0;
	for (i = 0; i < p->nph; i++) {
		*load += p->ph[i].max_load;
		*lb += p->ph[i].lower_bound;
	}
	*cct = sim->total;
	fp_sim_free(sim);
	fp_plan_free(p);
	return 0;
}

/* Plan in a child so that its peak memory is its own. */
static int scale(const char *name, const char *topo, const char *sched, const char *target)
{
	int fd[2];
	pid_t pid;
	struct rusage ru;
	double ms = 0;
	int status;

	if (pipe(fd))
		return 1;
	pid = fork();
	if (pid == 0) {
		struct fp_topo *t;
		struct fp_sched *s;
		struct fp_plan *p;
		struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .generation = 1 };
		struct fp_err err;
		double t0;

		if (fp_topo_load(topo, &t, &err) || fp_sched_load(sched, t, &s, &err)) {
			fprintf(stderr, "bench: %s\n", err.msg);
			_exit(1);
		}
		t0 = cpu_now();
		if (fp_plan_compute(t, s, &o, &p, &err)) {
			fprintf(stderr, "bench: %s\n", err.msg);
			_exit(1);
		}
		ms = (cpu_now() - t0) * 1e3;
		if (write(fd[1], &ms, sizeof(ms)) != sizeof(ms))
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], &ms, sizeof(ms)) != sizeof(ms))
		ms = -1;
	close(fd[0]);
	if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	printf("  %-40s plan %9.1f ms (target %s)   peak RSS %7.1f MiB\n", name, ms, target,
	       (double)ru.ru_maxrss / 1024);
	return 0;
}

int main(void)
{
	size_t i, k;
	int bad = 0;

	printf("planner benchmark: per strategy, max link load / lower bound and CCT / spraying CCT\n");
	printf("(ECMP strategies averaged over %d seeds; all figures from this run)\n\n", SEEDS);
	printf("%-20s %-9s %10s %10s %12s %10s\n", "scenario", "strategy", "load s", "load/LB",
	       "CCT s", "CCT/spray");
	for (i = 0; i < sizeof(scen) / sizeof(scen[0]); i++) {
		struct fp_topo *t;
		struct fp_sched *s;
		struct fp_err err;
		double load[4] = { 0 }, lb[4] = { 0 }, cct[4] = { 0 };

		if (fp_topo_load(scen[i].topo, &t, &err) || fp_sched_load(scen[i].sched, t, &s, &err)) {
			fprintf(stderr, "bench: %s: %s\n", scen[i].name, err.msg);
			return 1;
		}
		for (k = 0; k < 4; k++) {
			int n = k < 2 ? SEEDS : 1, r;

			for (r = 0; r < n; r++) {
				double l, b, c;

				if (run(t, s, strat[k], (uint64_t)r, &l, &b, &c))
					return 1;
				load[k] += l / n;
				lb[k] = b;
				cct[k] += c / n;
			}
		}
		for (k = 0; k < 4; k++)
			printf("%-20s %-9s %10.5f %10.4f %12.5f %10.4f\n", k ? "" : scen[i].name, strat[k],
			       load[k], load[k] / lb[3], cct[k], cct[k] / cct[2]);
		if (load[3] > lb[3] * 1.05)
			bad++;
		fp_sched_free(s);
		fp_topo_free(t);
	}
	printf("\nplanner at scale (flowplan strategy, one core):\n");
	bad += scale("ring all-reduce, 4096 hosts x 8 NICs", "leafspine:leaves=512,spines=64,hosts=64,nics=8,rail",
		     "ring-allreduce:bytes=1G", "< 100 ms");
	bad += scale("all-to-all, 1024 NICs", "leafspine:leaves=32,spines=32,hosts=32,nics=8,rail",
		     "alltoall:bytes=1G", "< 2000 ms");
	bad += scale("all-to-all, 1024 NICs, fat-tree k=16", "fattree:k=16,nics=1",
		     "alltoall:bytes=1G", "-");
	return bad ? 1 : 0;
}
