// SPDX-License-Identifier: MIT
/*
 * bench_cluster - from a fabric link going down to every affected host
 * holding its new share, with a real planner (a flowpland process in mode
 * planner) and a real nats-server; the hosts are @n agents sharing this
 * process and one connection (struct fpc_agent as the daemon runs it,
 * installing into memory). bench.sh starts the server and the planner.
 *
 *   bench_cluster -s URL -n HOSTS -r ROUNDS -l LEAF,SPINE[,LEAF,SPINE...]
 *
 * For each round: a link marked down (or up again, alternately), t0 when
 * it is published; the planner's summary (PREFIX.planner.replan) says
 * which epoch it wrote and how many shares; each agent installing that
 * epoch is one sample of t - t0. Prints one line of p50/p99 over every
 * sample, the planner's CPU and bytes written per re-plan (its own
 * figures, from the summary).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "bus.h"
#include "proto.h"

struct host {
	struct fpc_agent a;
	uint64_t epoch, at;	/* the last epoch installed, when */
	/* that share: queued by nats.c's thread, taken by the loop, install called */
	uint64_t queued, taken, inst0;
	uint64_t reported;	/* its epoch report acked */
	bool report_pending;
};

static struct fpc_names nm;
static struct fpc_bus *bus;
static struct host *hosts;
static int nhosts;
static struct fpc_replan last;
static int replans;

static int install(void *arg, const struct fp_hostplan *hp, uint64_t epoch, uint64_t *gen,
		   struct fp_err *err)
{
	struct host *h = arg;

	(void)hp;
	(void)err;
	h->inst0 = fpd_now();
	fpc_bus_msg_times(bus, &h->queued, &h->taken);
	h->epoch = epoch;
	h->at = fpd_now();
	h->reported = 0;
	h->report_pending = true;
	*gen = epoch;
	return 0;
}

static void logline(void *arg, int level, const char *text)
{
	(void)arg;
	if (level <= 3)
		fprintf(stderr, "bench_cluster: %s\n", text);
}

static const struct fpc_agent_ops ops = { install, logline };

static struct host *host_of(const char *subject)
{
	char h[FPC_NAME_MAX + 1];
	enum fpc_obs_kind k;
	int i;

	if (!fpc_subj_obs_parse(&nm, subject, h, sizeof(h), &k) || h[0] != 'h')
		return NULL;
	i = atoi(h + 1);
	return i >= 0 && i < nhosts ? &hosts[i] : NULL;
}

static void on_state(void *arg, enum fpc_bus_event ev, const char *text)
{
	int i;

	(void)arg;
	if (ev == FPC_BUS_ERROR || ev == FPC_BUS_CLOSED)
		fprintf(stderr, "bench_cluster: bus: %s\n", text);
	for (i = 0; i < nhosts; i++)
		fpc_agent_bus_event(&hosts[i].a, ev, fpd_now());
}

static void on_ack(void *arg, const char *subject, uint64_t seq, int code, const char *text)
{
	struct host *h = host_of(subject);

	(void)arg;
	(void)seq;
	if (!h)
		return;
	if (h->report_pending && !code && strstr(subject, ".installed")) {
		h->report_pending = false;
		h->reported = fpd_now();
	}
	fpc_agent_ack(&h->a, subject, code, text);
}

static void on_replan(void *arg, natsMsg *m)
{
	struct fp_err err = { "" };

	(void)arg;
	if (!fpc_replan_decode(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), &last, &err))
		replans++;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * CPU time of process @pid (0: this one), in us: the sum of its threads'
 * time on a CPU (schedstat, in ns); 0 when unknown.
 */
static uint64_t proc_cpu(int pid)
{
	char path[300];
	struct dirent *de;
	uint64_t sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid ? pid : (int)getpid());
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		unsigned long long ns = 0;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", pid ? pid : (int)getpid(),
			 de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			sum += ns;
		fclose(f);
	}
	closedir(d);
	return sum / 1000u;
}

/* The p-th percentile of @v[@n] (sorted here), in ms. */
static double pct(uint64_t *v, uint64_t n, int p)
{
	if (!n)
		return 0.0;
	qsort(v, n, sizeof(*v), cmp);
	return (double)v[(n * (uint64_t)p) / 100] / 1e6;
}

static int all_installed(void)
{
	int i, n = 0;

	for (i = 0; i < nhosts; i++)
		n += hosts[i].epoch != 0;
	return n;
}

static void tick_all(void)
{
	int i;

	for (i = 0; i < nhosts; i++)
		fpc_agent_tick(&hosts[i].a, fpd_now());
}

int main(int argc, char **argv)
{
	struct fpc_bus_opts o = { .name = "bench_cluster agents", .timeout_ms = 10000 };
	struct fp_err err = { "" };
	char *links = NULL, *save = NULL, *tok, subj[256];
	char *la[64], *lb[64];
	int nlinks = 0, rounds = 4, opt, i, r;
	uint64_t *lat, nlat = 0, cpu = 0, bytes = 0, written = 0, compute = 0, t0, deadline;
	/* the breakdown: per host and share, per stage (from the event) */
	uint64_t *arr, *tak, *ins, *rep, nrep = 0;
	/* link down and link up apart: latencies, shares written */
	uint64_t *kl[2], nkl[2] = { 0, 0 }, kw[2] = { 0, 0 };
	int kr[2] = { 0, 0 };
	/* per re-plan, summed: the planner's stages, the agents' connection */
	uint64_t s_event = 0, s_wait = 0, s_enc = 0, s_put = 0, s_in = 0, s_out = 0;
	uint64_t s_inst = 0, s_parse = 0, c0[3], s_cpu[3] = { 0 };
	int pids[3] = { 0, 0, 0 };	/* nats-server, planner, this process */
	struct fpc_bus_stats st0, st1;
	int repairs = 0;
	struct fpd_loop loop;

	while ((opt = getopt(argc, argv, "s:n:r:l:P:")) != -1) {
		switch (opt) {
		case 'P':
			if (sscanf(optarg, "%d,%d", &pids[0], &pids[1]) != 2)
				goto usage;
			break;
		case 's':
			o.servers = optarg;
			break;
		case 'n':
			nhosts = atoi(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'l':
			links = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (!o.servers || nhosts <= 0 || rounds <= 0 || !links)
		goto usage;
	for (tok = strtok_r(links, ",", &save); tok && nlinks < 64;
	     tok = strtok_r(NULL, ",", &save)) {
		la[nlinks] = tok;
		lb[nlinks] = strtok_r(NULL, ",", &save);
		if (!lb[nlinks])
			goto usage;
		nlinks++;
	}
	if (!nlinks)
		goto usage;
	hosts = calloc((size_t)nhosts, sizeof(*hosts));
	lat = calloc((size_t)nhosts * (size_t)rounds + 1, sizeof(*lat));
	arr = calloc((size_t)nhosts * (size_t)rounds + 1, sizeof(*arr));
	tak = calloc((size_t)nhosts * (size_t)rounds + 1, sizeof(*tak));
	ins = calloc((size_t)nhosts * (size_t)rounds + 1, sizeof(*ins));
	rep = calloc((size_t)nhosts * (size_t)rounds + 1, sizeof(*rep));
	kl[0] = calloc((size_t)nhosts * (size_t)rounds + 1, sizeof(*kl[0]));
	kl[1] = calloc((size_t)nhosts * (size_t)rounds + 1, sizeof(*kl[1]));
	if (!kl[0] || !kl[1] ||
	    !hosts || !lat || !arr || !tak || !ins || !rep || fpd_loop_init(&loop) || fpc_names_init(&nm, "fp", "flowplan", &err))
		return 1;
	bus = fpc_bus_open(&loop, &o, &err);
	if (!bus) {
		fprintf(stderr, "bench_cluster: %s\n", err.msg);
		return 1;
	}
	fpc_bus_on_state(bus, on_state, NULL);
	fpc_bus_on_ack(bus, on_ack, NULL);
	for (i = 0; i < nhosts; i++) {
		char name[32];

		snprintf(name, sizeof(name), "h%d", i);
		if (fpc_agent_init(&hosts[i].a, bus, &nm, name, 0, &ops, &hosts[i], &err))
			goto fail;
	}
	if (fpc_bus_sub(bus, fpc_subj_replan(&nm, subj, sizeof(subj)), on_replan, NULL, &err) ||
	    fpc_bus_start(bus, &err))
		goto fail;
	/* every host holds the first plan */
	deadline = fpd_now() + 300000000000ull;
	while (all_installed() < nhosts && fpd_now() < deadline) {
		fpd_loop_once(&loop, 100);
		tick_all();
	}
	if (all_installed() < nhosts) {
		fprintf(stderr, "bench_cluster: %d of %d hosts got their first share\n",
			all_installed(), nhosts);
		return 1;
	}
	for (r = 0; r < rounds; r++) {
		struct fpc_fablink l = { .up = r % (2 * nlinks) >= nlinks };
		int k = r % nlinks, got = 0, seen = replans;
		size_t len;
		char *t;

		snprintf(l.a, sizeof(l.a), "%s", la[k]);
		snprintf(l.b, sizeof(l.b), "%s", lb[k]);
		t = fpc_fablink_encode(&l, &len);
		fpc_subj_fabric(&nm, l.a, l.b, subj, sizeof(subj));
		fpc_bus_stats(bus, &st0);
		for (i = 0; i < 3; i++)
			c0[i] = i == 2 || pids[i] ? proc_cpu(pids[i]) : 0;
		t0 = fpd_now();
		if (!t || fpc_bus_pub(bus, subj, t, len, &err)) {
			free(t);
			goto fail;
		}
		free(t);
		deadline = t0 + 60000000000ull;
		while (fpd_now() < deadline) {
			fpd_loop_once(&loop, 10);
			if (replans == seen)
				continue;
			for (got = 0, i = 0; i < nhosts; i++)
				got += hosts[i].epoch == last.epoch && hosts[i].at >= t0;
			if ((uint64_t)got >= last.written)
				break;
		}
		if (replans == seen || (uint64_t)got < last.written) {
			fprintf(stderr, "bench_cluster: round %d (%s-%s %s): %s\n", r, l.a, l.b,
				l.up ? "up" : "down", replans == seen ? "no re-plan" :
				"not every written share installed");
			return 1;
		}
		/* the epoch reports of this round, acked (not part of the latency) */
		deadline = fpd_now() + 10000000000ull;
		for (;;) {
			int left = 0;

			for (i = 0; i < nhosts; i++)
				left += hosts[i].epoch == last.epoch && hosts[i].at >= t0 &&
					hosts[i].report_pending;
			if (!left || fpd_now() >= deadline)
				break;
			fpd_loop_once(&loop, 10);
		}
		for (i = 0; i < nhosts; i++) {
			struct host *h = &hosts[i];

			/* installed in this round (a re-plan that wrote nothing keeps the epoch) */
			if (h->epoch != last.epoch || h->at < t0)
				continue;
			arr[nlat] = h->queued - t0;
			tak[nlat] = h->taken - t0;
			s_parse += h->inst0 - h->taken;
			s_inst += h->at - h->inst0;
			if (!h->report_pending)
				rep[nrep++] = h->reported - t0;
			ins[nlat] = h->at - t0;
			kl[l.up][nkl[l.up]++] = h->at - t0;
			lat[nlat++] = h->at - t0;
		}
		kr[l.up]++;
		kw[l.up] += last.written;
		for (i = 0; i < 3; i++)
			s_cpu[i] += i == 2 || pids[i] ? proc_cpu(pids[i]) - c0[i] : 0;
		fpc_bus_stats(bus, &st1);
		s_in += st1.in_bytes - st0.in_bytes;
		s_out += st1.out_bytes - st0.out_bytes;
		s_event += last.event_ns > t0 ? last.event_ns - t0 : 0;
		s_wait += last.wait_us;
		s_enc += last.encode_us;
		s_put += last.put_us;
		cpu += last.cpu_us;
		compute += last.compute_us;
		repairs += !strcmp(last.method, "repair");
		bytes += last.bytes;
		written += last.written;
		/* let the planner's hold-down pass before the next event */
		deadline = fpd_now() + 300000000ull;
		while (fpd_now() < deadline)
			fpd_loop_once(&loop, 10);
	}
	if (!nlat) {
		fprintf(stderr, "bench_cluster: no share changed in %d rounds\n", rounds);
		return 1;
	}
	qsort(lat, nlat, sizeof(*lat), cmp);
	printf("bench-cluster: %d hosts: link event to new share installed p50 %.2f ms, p99 %.2f ms (%" PRIu64 " shares, %d re-plans, %d of them repairs); per re-plan: planner CPU %.2f ms, %.1f shares and %.1f KiB written\n",
	       nhosts, (double)lat[nlat / 2] / 1e6, (double)lat[(nlat * 99) / 100] / 1e6, nlat, rounds,
	       repairs, (double)cpu / rounds / 1e3, (double)written / rounds,
	       (double)bytes / rounds / 1024.0);
	/* the baseline of the same run: the planner's own computing */
	printf("bench-cluster: %d hosts: p99 is %.1fx the planner's compute time (%.2f ms)\n",
	       nhosts, compute ? (double)lat[(nlat * 99) / 100] / 1e3 / ((double)compute / rounds)
	       : 0.0, (double)compute / rounds / 1e3);
	for (i = 0; i < 2; i++)
		if (kr[i])
			printf("bench-cluster: %d hosts: link %s (%d re-plans): p50 %.2f ms, p99 %.2f ms over %" PRIu64 " shares; %.1f shares written per re-plan\n",
			       nhosts, i ? "up" : "down", kr[i], pct(kl[i], nkl[i], 50),
			       pct(kl[i], nkl[i], 99), nkl[i], (double)kw[i] / kr[i]);
	/*
	 * Where the time goes. The planner's stages, averaged per re-plan (in
	 * order, each from the end of the one before); then the agents' side,
	 * each stage's p50/p99 over every share, from the event: the share
	 * queued by nats.c's thread (delivered), taken by the loop, installed,
	 * its epoch report acked.
	 */
	printf("bench-cluster: %d hosts: breakdown per re-plan (mean): event to planner %.2f ms, hold-down and loop %.2f ms, compute %.2f ms, encode and compare %d shares %.2f ms, puts until acked %.2f ms; per share: parse %.1f us, install %.1f us\n",
	       nhosts, (double)s_event / rounds / 1e6, (double)s_wait / rounds / 1e3,
	       (double)compute / rounds / 1e3, nhosts, (double)s_enc / rounds / 1e3,
	       (double)s_put / rounds / 1e3, (double)s_parse / (double)nlat / 1e3,
	       (double)s_inst / (double)nlat / 1e3);
	printf("bench-cluster: %d hosts: from the event, p50/p99 over shares: delivered %.2f/%.2f ms, taken %.2f/%.2f ms, installed %.2f/%.2f ms, epoch reported %.2f/%.2f ms\n",
	       nhosts, pct(arr, nlat, 50), pct(arr, nlat, 99), pct(tak, nlat, 50), pct(tak, nlat, 99),
	       pct(ins, nlat, 50), pct(ins, nlat, 99), pct(rep, nrep, 50), pct(rep, nrep, 99));
	printf("bench-cluster: %d hosts: CPU per re-plan, from the event to every report acked: nats-server %.1f ms, planner %.1f ms, the %d agents %.1f ms\n",
	       nhosts, (double)s_cpu[0] / rounds / 1e3, (double)s_cpu[1] / rounds / 1e3, nhosts,
	       (double)s_cpu[2] / rounds / 1e3);
	printf("bench-cluster: %d hosts: bytes on the bus per re-plan: shares written %.1f KiB; the agents' connection in %.1f KiB (shares, acks), out %.1f KiB (reports)\n",
	       nhosts, (double)bytes / rounds / 1024.0, (double)s_in / rounds / 1024.0,
	       (double)s_out / rounds / 1024.0);
	for (i = 0; i < nhosts; i++)
		fpc_agent_fini(&hosts[i].a);
	fpc_bus_close(bus);
	fpc_bus_shutdown();
	fpd_loop_fini(&loop);
	free(hosts);
	free(lat);
	free(arr);
	free(tak);
	free(ins);
	free(rep);
	free(kl[0]);
	free(kl[1]);
	return 0;
fail:
	fprintf(stderr, "bench_cluster: %s\n", err.msg);
	return 1;
usage:
	fprintf(stderr, "usage: bench_cluster -s URL -n HOSTS [-r ROUNDS] [-P SERVER_PID,PLANNER_PID] -l LEAF,SPINE[,...]\n");
	return 2;
}
