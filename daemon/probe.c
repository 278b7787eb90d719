// SPDX-License-Identifier: MIT
/*
 * probe.c - probes in a child process, read back on the loop (probe.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "core/hostplan.h"
#include "planner/topo.h"
#include "plan.h"
#include "probe.h"

#define FPD_PROBE_MAP_MAX	(256u << 20)
#define TRAILER			"# flowpland-probe:"

static int engine(const struct fp_probe_cfg *cfg, struct fp_probe_pair *pairs, size_t n,
		  FILE *out, struct fp_probe_stats *st, struct fp_err *err)
{
	int ret = fp_probe_run(cfg, pairs, n, st, err);

	if (!ret)
		ret = fp_probe_write_portmap(out, cfg, pairs, n, true);
	return ret;
}

int fpd_probe_init(struct fpd_probe *p, struct fpd_loop *l, const char *routers,
		   unsigned int ports, unsigned int per_path, unsigned int rate,
		   unsigned int deadline_s, fpd_probe_engine eng, fpd_probe_done done,
		   void *arg, struct fp_err *err)
{
	uint16_t *sp;
	unsigned int i;
	int ret;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->io.fd = -1;
	ret = fp_probe_routers_load(routers, &p->routers, &p->nrouters, err);
	if (ret)
		return ret;
	sp = calloc(ports + 1, sizeof(*sp));
	if (!sp) {
		fp_probe_routers_free(p->routers, p->nrouters);
		return fp_fail(err, ENOMEM, "out of memory");
	}
	for (i = 0; i < ports; i++)
		sp[i] = fp_label_to_sport(i + 1);
	p->cfg = (struct fp_probe_cfg){
		.proto = FP_PROBE_UDP, .dport = FP_ROCE_PORT, .ports = sp, .nports = ports,
		.per_path = per_path, .rate = rate, .deadline_s = deadline_s,
		.routers = p->routers, .nrouters = p->nrouters,
	};
	p->engine = eng ? eng : engine;
	p->done = done;
	p->arg = arg;
	p->loop = l;
	return 0;
}

void fpd_probe_set_engine(struct fpd_probe *p, fpd_probe_engine e)
{
	p->engine = e ? e : engine;
}

bool fpd_probe_running(const struct fpd_probe *p)
{
	return p->pid > 0;
}

static void reap(struct fpd_probe *p, bool kill_it)
{
	if (p->io.loop)
		fpd_io_del(&p->io);
	if (p->io.fd >= 0)
		close(p->io.fd);
	p->io.fd = -1;
	if (p->pid > 0) {
		if (kill_it)
			kill(p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	p->pid = -1;
	free(p->buf);
	p->buf = NULL;
	p->len = p->cap = 0;
}

void fpd_probe_fini(struct fpd_probe *p)
{
	reap(p, true);
	free((void *)p->cfg.ports);
	fp_probe_routers_free(p->routers, p->nrouters);
	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->io.fd = -1;
}

/* The child: nothing of the daemon's but the pipe, dies with it. */
static void child(struct fpd_probe *p, struct fp_probe_pair *pairs, size_t n, int wfd,
		  pid_t parent)
{
	struct fp_probe_stats st = { 0 };
	struct fp_err err = { "" };
	size_t i, res = 0;
	sigset_t none;
	FILE *f;
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (wfd != 3) {
		if (dup2(wfd, 3) < 0)
			_exit(1);
		wfd = 3;
	}
	close_range(4, ~0u, 0);
	f = fdopen(wfd, "w");
	if (!f)
		_exit(1);
	ret = p->engine(&p->cfg, pairs, n, f, &st, &err);
	for (i = 0; i < n; i++)
		res += pairs[i].resolved;
	if (ret)
		fprintf(f, "\n" TRAILER " error %d %s\n", ret, err.msg);
	else
		fprintf(f, TRAILER " pairs %zu resolved %zu probes %lu lost %lu seconds %.3f\n",
			n, res, st.sent, st.lost, st.seconds);
	if (fclose(f))
		ret = EIO;
	_exit(ret ? 1 : 0);
}

static void finish(struct fpd_probe *p)
{
	struct fpd_probe_result r = { 0 };
	const char *t;
	int st = 0;

	fpd_io_del(&p->io);
	close(p->io.fd);
	p->io.fd = -1;
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	p->pid = -1;
	if (!p->buf || !p->len) {
		free(p->buf);
		p->buf = malloc(1);
		p->cap = 1;
	}
	if (p->buf)
		p->buf[p->len] = 0;
	t = p->buf ? strstr(p->buf, TRAILER) : NULL;
	if (!p->buf) {
		r.status = ENOMEM;
		snprintf(r.why, sizeof(r.why), "out of memory");
	} else if (t && sscanf(t, TRAILER " error %d %255[^\n]", &r.status, r.why) >= 1) {
		if (!r.status)
			r.status = EIO;
	} else if (!WIFEXITED(st) || WEXITSTATUS(st) || !t) {
		r.status = EIO;
		if (WIFSIGNALED(st))
			snprintf(r.why, sizeof(r.why), "the probe was killed by signal %d",
				 WTERMSIG(st));
		else
			snprintf(r.why, sizeof(r.why), "the probe ended without its port map");
	} else if (sscanf(t, TRAILER " pairs %zu resolved %zu probes %lu lost %lu seconds %lf",
			  &r.pairs, &r.resolved, &r.probes, &r.lost, &r.seconds) != 5) {
		r.status = EIO;
		snprintf(r.why, sizeof(r.why), "the probe's summary line is not one it writes");
	} else {
		r.map = p->buf;
	}
	if (p->done)
		p->done(p->arg, &r);
	free(p->buf);
	p->buf = NULL;
	p->len = p->cap = 0;
}

static void on_pipe(struct fpd_io *io, uint32_t events)
{
	struct fpd_probe *p = io->arg;
	ssize_t r;

	(void)events;
	for (;;) {
		if (p->len + 1 >= p->cap) {
			size_t cap = p->cap ? 2 * p->cap : 65536;
			char *nb;

			if (cap > FPD_PROBE_MAP_MAX) {
				struct fpd_probe_result res = { .status = EFBIG };

				snprintf(res.why, sizeof(res.why), "a port map over %u MiB",
					 FPD_PROBE_MAP_MAX >> 20);
				reap(p, true);
				if (p->done)
					p->done(p->arg, &res);
				return;
			}
			nb = realloc(p->buf, cap);
			if (!nb)
				break;
			p->buf = nb;
			p->cap = cap;
		}
		r = read(io->fd, p->buf + p->len, p->cap - p->len - 1);
		if (r > 0) {
			p->len += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		break;	/* the end, or an error: the child is done with it */
	}
	finish(p);
}

/*
 * How many of pair @src -> @dst's paths @ps (of the fabric as configured)
 * the daemon knows to be down: a path with a link down in the live fabric
 * (a link event), or one the map in use names no port on while it names
 * ports of the pair on others (the probe that made it found that path
 * gone). Suspected links (faults) are still up: switches hash onto them.
 */
static unsigned int paths_down(const struct fpd_planner *pl, const struct fp_addr *src,
			       const struct fp_addr *dst, const struct fp_pathset *ps)
{
	const struct fpd_pmrow *r = pl->pm;
	size_t lo = fpd_pm_pair_first(r, pl->npm, src, dst), end;
	unsigned int n = 0, h;
	bool named;
	int k;

	for (end = lo; end < pl->npm && !fp_addr_cmp(&r[end].src, src) &&
	     !fp_addr_cmp(&r[end].dst, dst); end++)
		;
	named = end > lo && r[end - 1].sport;
	for (k = 0; k < ps->n; k++) {
		bool down = false;
		size_t i;

		for (h = 0; h < ps->p[k].len; h++)
			down |= !pl->live->links[ps->p[k].link[h]].up;
		for (i = lo; named && !down && i < end; i++)
			if (r[i].sport && r[i].path.len == ps->p[k].len &&
			    !memcmp(r[i].path.link, ps->p[k].link,
				    ps->p[k].len * sizeof(ps->p[k].link[0])))
				break;
		n += down || (named && i == end);
	}
	return n;
}

/*
 * The ports @keep's entries of pair @x hold, into @first from @nf on, as
 * @x's first ports (an offset into @first until it settles).
 */
static void keep_ports(struct fp_probe_pair *x, const struct fp_hostplan *keep,
		       uint16_t *first, size_t *nf)
{
	size_t i;
	unsigned int k;

	x->first = (const uint16_t *)(uintptr_t)*nf;
	for (i = 0; keep && i < keep->n; i++) {
		const struct fp_hostplan_entry *e = &keep->e[i];

		if (fp_addr_cmp(&e->local, &x->src) || fp_addr_cmp(&e->remote, &x->dst))
			continue;
		for (k = 0; k < e->nsub; k++)
			if (e->sub[k].sport)
				first[(*nf)++] = e->sub[k].sport;
	}
	x->nfirst = (unsigned int)(*nf - (uintptr_t)x->first);
}

int fpd_probe_start(struct fpd_probe *p, const struct fpd_planner *pl,
		    const struct fp_addr *addrs, size_t n, const struct fp_hostplan *keep,
		    struct fp_err *err)
{
	struct fp_topo *t = pl->base;
	struct fp_probe_pair *pairs;
	const char **names = NULL;
	uint16_t *first;
	size_t i, nn = 0, cap = 0, np = 0, nf = 0, nkeep = 0;
	int fds[2], ret = 0;
	pid_t parent = getpid();

	if (fpd_probe_running(p))
		return fp_fail(err, EBUSY, "a probe is under way");
	if (!n)
		return fp_fail(err, ENODATA, "no pair of this host to probe");
	for (i = 0; keep && i < keep->n; i++)
		nkeep += keep->e[i].nsub;
	pairs = calloc(n, sizeof(*pairs));
	first = malloc((nkeep ? nkeep : 1) * sizeof(*first));
	if (!pairs || !first) {
		free(pairs);
		free(first);
		return fp_fail(err, ENOMEM, "out of memory");
	}
	for (i = 0; i < n && !ret; i++) {
		int s = fp_topo_find_ip(t, &addrs[2 * i]), d = fp_topo_find_ip(t, &addrs[2 * i + 1]);
		struct fp_probe_pair *x = &pairs[np];
		struct fp_pathset ps;
		unsigned int h;
		int k;

		if (s < 0 || d < 0 || t->nodes[s].leaf < 0 || t->nodes[d].leaf < 0 ||
		    t->nodes[s].leaf == t->nodes[d].leaf ||
		    fp_addr_is_v4(&addrs[2 * i]) != fp_addr_is_v4(&addrs[2 * i + 1]))
			continue;
		ps = fp_topo_paths(t, t->nodes[s].leaf, t->nodes[d].leaf);
		if (!ps.n || ps.p[0].len + 1u > FP_PROBE_MAX_HOPS)
			continue;
		x->src = addrs[2 * i];
		x->dst = addrs[2 * i + 1];
		x->hops = ps.p[0].len + 1u;
		x->npaths = (unsigned int)ps.n;
		x->ndown = paths_down(pl, &x->src, &x->dst, &ps);
		/* the ports of the plan in use first: the map keeps their paths */
		keep_ports(x, keep, first, &nf);
		np++;
		if (ps.n > 64 || x->hops <= 2)
			continue;
		/* the paths by switch name: a port's probing stops once one fits */
		if (nn + (size_t)ps.n * x->hops > cap) {
			const char **nb;

			cap = 2 * (nn + (size_t)ps.n * x->hops);
			nb = realloc(names, cap * sizeof(*nb));
			if (!nb) {
				ret = fp_fail(err, ENOMEM, "out of memory");
				break;
			}
			names = nb;
		}
		x->cand = (const char *const *)(uintptr_t)nn;	/* an offset until names settles */
		x->ncand = (unsigned int)ps.n;
		for (k = 0; k < ps.n; k++)
			for (h = 0; h < x->hops; h++)
				names[nn++] = t->nodes[h ? t->links[ps.p[k].link[h - 1]].to :
						   t->links[ps.p[k].link[0]].from].name;
	}
	for (i = 0; i < np; i++) {
		if (pairs[i].ncand)
			pairs[i].cand = names + (uintptr_t)pairs[i].cand;
		pairs[i].first = first + (uintptr_t)pairs[i].first;
	}
	if (!ret && !np)
		ret = fp_fail(err, ENODATA, "no pair of this host crosses the fabric");
	if (!ret && pipe2(fds, O_CLOEXEC))
		ret = fp_fail(err, errno, "pipe: %s", strerror(errno));
	if (ret) {
		free(names);
		free(first);
		free(pairs);
		return ret;
	}
	p->pid = fork();
	if (p->pid == 0) {
		close(fds[0]);
		child(p, pairs, np, fds[1], parent);
	}
	ret = p->pid < 0 ? errno : 0;
	close(fds[1]);
	free(names);
	free(first);
	free(pairs);
	if (ret) {
		close(fds[0]);
		p->pid = -1;
		return fp_fail(err, ret, "fork: %s", strerror(ret));
	}
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	ret = fpd_io_add(p->loop, &p->io, fds[0], EPOLLIN, on_pipe, p);
	if (ret) {
		close(fds[0]);
		reap(p, true);
		return fp_fail(err, ret, "epoll: %s", strerror(ret));
	}
	return 0;
}
