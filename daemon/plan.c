// SPDX-License-Identifier: MIT
/*
 * plan.c - the daemon's use of the planner library (plan.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "planner/plan.h"
#include "planner/portmap.h"
#include "planner/sched.h"
#include "planner/topo.h"
#include "planner/util.h"
#include "plan.h"

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The last plan and what only it needs. */
static void drop_plan(struct fpd_planner *p)
{
	if (p->plan_in)
		fp_sched_free(p->plan_in);
	fp_plan_free(p->plan);
	if (p->plan_pm)
		fp_portmap_free(p->plan_pm);
	p->plan = NULL;
	p->plan_in = NULL;
	p->plan_pm = NULL;
}

void fpd_planner_free(struct fpd_planner *p)
{
	drop_plan(p);
	if (p->fixed)
		fp_sched_free(p->fixed);
	if (p->base)
		fp_topo_free(p->base);
	if (p->topo)
		fp_topo_free(p->topo);
	if (p->next)
		fp_topo_free(p->next);
	if (p->live)
		fp_topo_free(p->live);
	free(p->pm);
	free(p->failed);
	free(p->avoid);
	free(p->down);
	memset(p, 0, sizeof(*p));
}

bool fpd_planner_ready(const struct fpd_planner *p)
{
	return p->base != NULL;
}

int fpd_planner_load(struct fpd_planner *p, const struct fpd_conf *c, struct fp_err *err)
{
	struct fpd_planner n = { .max_split = c->max_split, .enforce = c->enforce };
	struct fp_topo *t = NULL;
	char *json = NULL, *pm = NULL;
	struct fp_topo **copy[] = { &n.base, &n.topo, &n.next, &n.live };
	size_t i;
	int ret;

	if (!c->topology[0]) {
		if (c->schedule[0] || c->portmap[0])
			return fp_fail(err, EINVAL, "[plan] schedule and [fabric] portmap need a [fabric] topology");
		fpd_planner_free(p);
		*p = n;
		return 0;
	}
	ret = fp_topo_load(c->topology, &t, err);
	if (ret)
		return ret;
	/* every copy from the same text: the same node and link ids */
	json = fp_topo_to_json(t, false);
	fp_topo_free(t);
	if (!json)
		return fp_fail(err, ENOMEM, "out of memory");
	for (i = 0; i < sizeof(copy) / sizeof(copy[0]) && !ret; i++)
		ret = fp_topo_parse(json, strlen(json), c->topology, copy[i], err);
	free(json);
	if (!ret) {
		n.down = calloc((size_t)n.base->nlinks / 2 + 1, 1);
		if (!n.down)
			ret = fp_fail(err, ENOMEM, "out of memory");
	}
	if (!ret && c->portmap[0]) {
		size_t len;

		ret = fp_read_file(c->portmap, FP_PORTMAP_FILE_MAX, &pm, &len, err);
		if (!ret && strlen(pm) != len)
			ret = fp_fail(err, EINVAL, "%s: contains a NUL byte", c->portmap);
		if (!ret)
			ret = fpd_planner_set_portmap(&n, pm, c->portmap, false, NULL, err);
		free(pm);
	}
	if (!ret && c->schedule[0])
		ret = fp_sched_load(c->schedule, n.base, &n.fixed, err);
	if (ret) {
		fpd_planner_free(&n);
		return ret;
	}
	fpd_planner_free(p);
	*p = n;
	return 0;
}

int fpd_planner_link(const struct fpd_planner *p, const char *a, const char *b)
{
	int x, y;

	if (!p->base)
		return -1;
	x = fp_topo_find(p->base, a);
	y = fp_topo_find(p->base, b);
	if (x < 0 || y < 0)
		return -1;
	return fp_topo_link(p->base, x, y);
}

void fpd_planner_link_name(const struct fpd_planner *p, int link, char *buf, size_t n)
{
	const struct fp_link *l;

	if (!p->base || link < 0 || link >= p->base->nlinks) {
		snprintf(buf, n, "link%d", link);
		return;
	}
	l = &p->base->links[link];
	snprintf(buf, n, "%s-%s", p->base->nodes[l->from].name, p->base->nodes[l->to].name);
}

bool fpd_planner_link_is_fabric(const struct fpd_planner *p, int link)
{
	const struct fp_link *l;

	if (!p->base || link < 0 || link >= p->base->nlinks)
		return false;
	l = &p->base->links[link];
	return !p->base->nodes[l->from].is_nic && !p->base->nodes[l->to].is_nic;
}

int fpd_planner_nic_link(const struct fpd_planner *p, const struct fp_addr *addr)
{
	int nic;

	if (!p->base)
		return -1;
	nic = fp_topo_find_ip(p->base, addr);
	if (nic < 0 || p->base->nodes[nic].up_link < 0)
		return -1;
	return p->base->nodes[nic].up_link / 2;
}

static bool in_set(const int *a, size_t n, int x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] == x)
			return true;
	return false;
}

static bool same_set(const int *a, size_t na, const int *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!in_set(b, nb, a[i]))
			return false;
	return true;
}

static int set_links(struct fpd_planner *p, int **set, size_t *nset, const int *idx, size_t n,
		     bool *changed, struct fp_err *err)
{
	size_t i, nl;
	int *c;

	*changed = false;
	if (!p->base)
		return fp_fail(err, EINVAL, "no fabric to fail links in");
	nl = (size_t)p->base->nlinks / 2;
	for (i = 0; i < n; i++)
		if (idx[i] < 0 || (size_t)idx[i] >= nl)
			return fp_fail(err, EINVAL, "link %d is not in the fabric", idx[i]);
	if (same_set(idx, n, *set, *nset))
		return 0;
	c = malloc((n + 1) * sizeof(*c));
	if (!c)
		return fp_fail(err, ENOMEM, "out of memory");
	if (n)
		memcpy(c, idx, n * sizeof(*c));
	free(*set);
	*set = c;
	*nset = n;
	*changed = true;
	return 0;
}

int fpd_planner_set_failed(struct fpd_planner *p, const int *idx, size_t n,
			   bool *changed, struct fp_err *err)
{
	return set_links(p, &p->failed, &p->nfailed, idx, n, changed, err);
}

int fpd_planner_set_avoid(struct fpd_planner *p, const int *idx, size_t n,
			  bool *changed, struct fp_err *err)
{
	return set_links(p, &p->avoid, &p->navoid, idx, n, changed, err);
}

/* ------------------------------------------------------------ port maps */

static bool same_path(const struct fp_path *a, const struct fp_path *b)
{
	return a->len == b->len && !memcmp(a->link, b->link, sizeof(a->link[0]) * a->len);
}

/*
 * fp_pm_order(), the planner library's row order: rows converted from a
 * parsed map keep it, and fpd_pm_pair_first() and row_find() bisect it.
 */
static int row_cmp(const void *x, const void *y)
{
	const struct fpd_pmrow *a = x, *b = y;

	return fp_pm_order(&a->src, &a->dst, a->sport, &b->src, &b->dst, b->sport);
}

static bool same_pair(const struct fpd_pmrow *a, const struct fpd_pmrow *b)
{
	return !fp_addr_cmp(&a->src, &b->src) && !fp_addr_cmp(&a->dst, &b->dst);
}

size_t fpd_pm_pair_first(const struct fpd_pmrow *r, size_t n, const struct fp_addr *src,
			 const struct fp_addr *dst)
{
	struct fpd_pmrow key = { .src = *src, .dst = *dst };
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (row_cmp(&r[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && same_pair(&r[lo], &key) ? lo : n;
}

static bool pair_in(const struct fpd_pmrow *r, size_t n, const struct fp_addr *src,
		    const struct fp_addr *dst)
{
	return fpd_pm_pair_first(r, n, src, dst) < n;
}

/*
 * Does sorted @r give pair @src -> @dst a port? A pair the probe named no
 * path of has only its "unresolved" row (sport 0, first of its pair).
 */
static bool pair_named(const struct fpd_pmrow *r, size_t n, const struct fp_addr *src,
		       const struct fp_addr *dst)
{
	size_t i = fpd_pm_pair_first(r, n, src, dst);

	return i < n && (r[i].sport || (i + 1 < n && same_pair(&r[i], &r[i + 1])));
}

static const struct fpd_pmrow *row_find(const struct fpd_pmrow *r, size_t n,
					const struct fp_addr *src, const struct fp_addr *dst,
					uint16_t sport)
{
	struct fpd_pmrow key = { .src = *src, .dst = *dst, .sport = sport };

	return bsearch(&key, r, n, sizeof(*r), row_cmp);
}

/*
 * Ports of sorted map @b that take another path than map @a (in use) says,
 * and ports of pairs @a gives no port (absent, or only "unresolved"). A
 * port only one of them names, of a pair both give ports, is no news: a
 * probe stops once every path it found has its ports, and which ports
 * answer first varies from probe to probe.
 */
static size_t rows_moved(const struct fpd_pmrow *a, size_t na, const struct fpd_pmrow *b,
			 size_t nb)
{
	size_t i = 0, k = 0, moved = 0;

	while (i < na || k < nb) {
		int d = i == na ? 1 : k == nb ? -1 : row_cmp(&a[i], &b[k]);

		if (d < 0) {
			i++;
		} else if (d > 0) {
			moved += b[k].sport && !pair_named(a, na, &b[k].src, &b[k].dst);
			k++;
		} else {
			moved += !same_path(&a[i].path, &b[k].path);
			i++;
			k++;
		}
	}
	return moved;
}

/* Ports whose path is not the one the hash model gives (no map in use yet). */
static size_t rows_off_model(struct fpd_planner *p, const struct fpd_pmrow *r, size_t n)
{
	size_t i, moved = 0;

	for (i = 0; i < n; i++) {
		int s = fp_topo_find_ip(p->live, &r[i].src), d = fp_topo_find_ip(p->live, &r[i].dst);
		struct fp_pathset ps;
		int k;

		if (!r[i].sport)
			continue;
		ps = fp_topo_paths(p->live, p->live->nodes[s].leaf, p->live->nodes[d].leaf);
		k = fp_topo_route(p->live, s, d, r[i].sport);
		moved += k < 0 || k >= ps.n || !same_path(&ps.p[k], &r[i].path);
	}
	return moved;
}

int fpd_planner_set_portmap(struct fpd_planner *p, const char *text, const char *name,
			    bool merge, size_t *moved, struct fp_err *err)
{
	struct fp_portmap *pm = NULL;
	struct fpd_pmrow *r;
	size_t n = 0, i, k, m;
	int ret;

	if (moved)
		*moved = 0;
	if (!p->base)
		return fp_fail(err, EINVAL, "a port map needs a [fabric] topology");
	ret = fp_portmap_parse(text, name, p->base, &pm, err);
	if (ret)
		return ret;
	r = calloc(pm->n + (merge ? p->npm : 0) + 1, sizeof(*r));
	if (!r) {
		fp_portmap_free(pm);
		return fp_fail(err, ENOMEM, "out of memory");
	}
	for (i = 0; i < pm->n; i++) {
		const struct fp_pm_row *x = &pm->rows[i];
		struct fp_addr xs = fp_pm_row_src(x), xd = fp_pm_row_dst(x);
		int s = fp_topo_find_ip(p->base, &xs), d = fp_topo_find_ip(p->base, &xd);

		r[n] = (struct fpd_pmrow){ .src = xs, .dst = xd, .sport = x->sport };
		if (x->path >= 0) {
			struct fp_pathset ps = fp_topo_paths(p->base, p->base->nodes[s].leaf,
							     p->base->nodes[d].leaf);

			if (x->path < ps.n)
				r[n].path = ps.p[x->path];
		}
		n++;
	}
	fp_portmap_free(pm);
	/*
	 * merging: the old map's pairs the new one gives no port. A pair the
	 * probe named no path of ("unresolved") keeps the ports learned
	 * before: that probe learned nothing of it, and a pair with no port
	 * would be planned on the hash model, whose paths know nothing of a
	 * failure the probes saw. Its unresolved row goes.
	 */
	for (k = 0, m = n; merge && k < p->npm; k++)
		if (p->pm[k].sport ? !pair_named(r, m, &p->pm[k].src, &p->pm[k].dst) :
				     !pair_in(r, m, &p->pm[k].src, &p->pm[k].dst))
			r[n++] = p->pm[k];
	p->pm_kept = 0;
	if (n > m) {
		qsort(r, n, sizeof(*r), row_cmp);
		for (i = k = 0; i < n; i++)	/* rows of a pair: sport 0 first */
			if (r[i].sport || i + 1 == n || !same_pair(&r[i], &r[i + 1]))
				r[k++] = r[i];
			else
				p->pm_kept++;
		n = k;
	}
	i = p->have_pm ? rows_moved(p->pm, p->npm, r, n) : rows_off_model(p, r, n);
	if (moved)
		*moved = i;
	if (p->have_pm && !i) {
		free(r);
		return 0;
	}
	free(p->pm);
	p->pm = r;
	p->npm = n;
	p->have_pm = true;
	p->pm_gen++;
	return 0;
}

int fpd_planner_write_portmap(const struct fpd_planner *p, FILE *f)
{
	size_t i;
	int h;

	fprintf(f, "# flowplan-portmap 1\n");
	for (i = 0; i < p->npm; i++) {
		const struct fpd_pmrow *r = &p->pm[i];
		char a[FP_ADDR_STRLEN], b[FP_ADDR_STRLEN];

		if (!r->sport || !r->path.len)
			continue;
		fprintf(f, "%s %s %u %s", fp_addr_str(&r->src, a), fp_addr_str(&r->dst, b), r->sport,
			p->base->nodes[p->base->links[r->path.link[0]].from].name);
		for (h = 0; h < r->path.len; h++)
			fprintf(f, ",%s", p->base->nodes[p->base->links[r->path.link[h]].to].name);
		fputc('\n', f);
	}
	fflush(f);
	return ferror(f) ? EIO : 0;
}

/* The index of @path in @ps, or -1. */
static int path_index(struct fp_pathset ps, const struct fp_path *path)
{
	int i;

	for (i = 0; i < ps.n; i++)
		if (same_path(&ps.p[i], path))
			return i;
	return -1;
}

/* A planner port map row of pair @src -> @dst (either family). */
static struct fp_pm_row pm_row(const struct fp_addr *src, const struct fp_addr *dst,
			       uint16_t sport, int path)
{
	struct fp_pm_row r = { .sport = sport, .path = path };

	if (fp_addr_is_v4(src)) {
		r.src = fp_addr_to_v4(src);
		r.dst = fp_addr_to_v4(dst);
	} else {
		r.src6 = *src;
		r.dst6 = *dst;
	}
	return r;
}

static bool pm_same_pair(const struct fp_pm_row *a, const struct fp_pm_row *b)
{
	return a->src == b->src && a->dst == b->dst && !fp_addr_cmp(&a->src6, &b->src6) &&
	       !fp_addr_cmp(&a->dst6, &b->dst6);
}

/* Has the pair of @r (the last rows of @pm, rows come by pair) a port on @path? */
static bool pm_has(const struct fp_portmap *pm, const struct fp_pm_row *r, int path)
{
	size_t i;

	for (i = pm->n; i > 0 && pm_same_pair(&pm->rows[i - 1], r); i--)
		if (pm->rows[i - 1].path == path)
			return true;
	return false;
}

static bool is_local(const struct fp_addr *a, const struct fp_addr *local, size_t n);

struct miss {
	struct fp_addr src, dst;
	int sn, dn;		/* NICs */
};

static int miss_cmp(const void *x, const void *y)
{
	const struct miss *a = x, *b = y;
	int c = fp_addr_order(&a->src, &b->src);

	return c ? c : fp_addr_order(&a->dst, &b->dst);
}

/* Room for @more rows. */
static int pm_grow(struct fp_portmap *pm, size_t more)
{
	struct fp_pm_row *r;
	size_t cap;

	if (pm->n + more <= pm->cap)
		return 0;
	cap = 2 * (pm->n + more);
	r = realloc(pm->rows, cap * sizeof(*r));
	if (!r)
		return ENOMEM;
	pm->rows = r;
	pm->cap = cap;
	return 0;
}

/*
 * The port map in use as the planner reads it against @t, for schedule
 * @s: ports whose path is down in @t are left out, one port a path. The
 * planner wants ports for every pair it plans, and a probe learns only
 * this host's: a pair of @s the map lacks gets, when its source is local
 * (@local), the ports the hash model gives its paths, else any port on
 * each path (another host's labels are not installed here; its paths are
 * what counts).
 */
static int pm_resolve(struct fpd_planner *p, struct fp_topo *t, const struct fp_sched *s,
		      const struct fp_addr *local, size_t nlocal, struct fp_portmap **out,
		      struct fp_err *err)
{
	struct fp_portmap *pm, kn;	/* kn: the rows known before the misses */
	struct miss *miss = NULL;
	size_t i, k, known, nmiss = 0, capmiss = 0;

	*out = NULL;
	if (!p->have_pm)
		return 0;
	pm = calloc(1, sizeof(*pm));
	if (!pm || pm_grow(pm, p->npm + 1)) {
		free(pm);
		return fp_fail(err, ENOMEM, "out of memory");
	}
	for (i = 0; i < p->npm; i++) {
		const struct fpd_pmrow *r = &p->pm[i];
		int sn = fp_topo_find_ip(t, &r->src), dn = fp_topo_find_ip(t, &r->dst), path;
		struct fp_pm_row row;

		if (!r->sport)
			continue;	/* unresolved: as if the map lacked it */
		path = path_index(fp_topo_paths(t, t->nodes[sn].leaf, t->nodes[dn].leaf), &r->path);
		/*
		 * One port per path of a pair, the first row for it: the
		 * planner would take more (mapped_paths() in lib/planner/mcf.c
		 * marks a path once however many rows name it, and
		 * fp_plan_label() picks among a path's ports), but every port
		 * of a path crosses the same links, so a pair's flows need no
		 * more and the map stays as small as the pair's path count.
		 */
		row = pm_row(&r->src, &r->dst, r->sport, path);
		if (path < 0 || pm_has(pm, &row, path))
			continue;
		pm->rows[pm->n++] = row;
	}
	known = pm->n;	/* p->pm's order, the library's: fp_portmap_pair_ip() bisects it */
	kn = (struct fp_portmap){ .rows = pm->rows, .n = known, .cap = known };
	/* the pairs the map lacks, each once */
	for (i = 0; s && i < s->nph; i++) {
		for (k = 0; k < s->ph[i].n; k++) {
			const struct fp_flow *f = &s->ph[i].flows[k];
			const struct fp_node *a = &t->nodes[f->src], *b = &t->nodes[f->dst];
			size_t n;

			if (a->leaf < 0 || b->leaf < 0 || a->leaf == b->leaf ||
			    fp_portmap_pair_ip(&kn, &a->ip, &b->ip, &n))
				continue;
			if (nmiss == capmiss) {
				struct miss *nm;

				capmiss = capmiss ? 2 * capmiss : 64;
				nm = realloc(miss, capmiss * sizeof(*nm));
				if (!nm) {
					free(miss);
					fp_portmap_free(pm);
					return fp_fail(err, ENOMEM, "out of memory");
				}
				miss = nm;
			}
			miss[nmiss++] = (struct miss){ a->ip, b->ip, f->src, f->dst };
		}
	}
	if (nmiss > 1)
		qsort(miss, nmiss, sizeof(*miss), miss_cmp);
	for (i = 0; i < nmiss; i++) {
		const struct miss *m = &miss[i];
		struct fp_pathset ps;
		int j;

		if (i && !miss_cmp(m, m - 1))
			continue;
		ps = fp_topo_paths(t, t->nodes[m->sn].leaf, t->nodes[m->dn].leaf);
		if (pm_grow(pm, (size_t)ps.n)) {
			free(miss);
			fp_portmap_free(pm);
			return fp_fail(err, ENOMEM, "out of memory");
		}
		for (j = 0; j < ps.n; j++) {
			uint32_t fl = (uint32_t)j + 1;

			if (is_local(&m->src, local, nlocal) &&
			    fp_topo_port_search(t, m->sn, m->dn, j, 1, &fl))
				continue;
			pm->rows[pm->n++] = pm_row(&m->src, &m->dst, fp_label_to_sport(fl), j);
		}
	}
	free(miss);
	if (pm->n > known)
		fp_portmap_sort(pm);
	*out = pm;
	return 0;
}

/* ------------------------------------------------------------ hostplans */

void fpd_plan_info_free(struct fpd_plan_info *info)
{
	free(info->links);
	free(info->unroutable);
	memset(info, 0, sizeof(*info));
}

void fpd_hostplan_clear(struct fp_hostplan *hp)
{
	free(hp->e);
	memset(hp, 0, sizeof(*hp));
}

int fpd_hostplan_copy(struct fp_hostplan *dst, const struct fp_hostplan *src)
{
	struct fp_hostplan c = { .generation = src->generation, .n = src->n, .cap = src->n };

	if (src->n) {
		c.e = malloc(src->n * sizeof(*c.e));
		if (!c.e)
			return ENOMEM;
		memcpy(c.e, src->e, src->n * sizeof(*c.e));
	}
	fpd_hostplan_clear(dst);
	*dst = c;
	return 0;
}

bool fpd_hostplan_entry_equal(const struct fp_hostplan_entry *a,
			      const struct fp_hostplan_entry *b)
{
	unsigned int i;

	if (fp_addr_cmp(&a->local, &b->local) || fp_addr_cmp(&a->remote, &b->remote) ||
	    a->dqpn != b->dqpn || a->enforce != b->enforce || a->nsub != b->nsub)
		return false;
	for (i = 0; i < a->nsub; i++)
		if (a->sub[i].flow_label != b->sub[i].flow_label ||
		    a->sub[i].sport != b->sub[i].sport || a->sub[i].weight != b->sub[i].weight)
			return false;
	return true;
}

bool fpd_hostplan_equal(const struct fp_hostplan *a, const struct fp_hostplan *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!fpd_hostplan_entry_equal(&a->e[i], &b->e[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------ planning */

static bool is_local(const struct fp_addr *a, const struct fp_addr *local, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!fp_addr_cmp(a, &local[i]))
			return true;
	return false;
}

static struct fp_sched *observed_sched(struct fp_topo *t, const struct fpd_cycle *const *cy,
				       size_t n, size_t *unmapped)
{
	struct fp_sched *s = calloc(1, sizeof(*s));
	size_t i, k, nph = 0, f;

	if (!s)
		return NULL;
	s->name = strdup("observed");
	for (i = 0; i < n; i++)
		if (cy[i]->nph > nph)
			nph = cy[i]->nph;
	/* phase k of the result: phase k (cyclically) of every job's cycle */
	for (k = 0; k < nph; k++) {
		for (i = 0; i < n; i++) {
			const struct fpd_cphase *ph = &cy[i]->ph[k % cy[i]->nph];
			char job[32];
			int j;

			if (cy[i]->job & 0x80000000u)
				snprintf(job, sizeof(job), "pid%u", cy[i]->job & 0x7fffffffu);
			else
				snprintf(job, sizeof(job), "comm%u", cy[i]->job);
			j = fp_sched_job(s, job);
			for (f = 0; f < ph->n; f++) {
				int a = fp_topo_find_ip(t, &ph->f[f].src);
				int b = fp_topo_find_ip(t, &ph->f[f].dst);

				if (a < 0 || b < 0 || a == b) {
					*unmapped += 1;
					continue;
				}
				fp_sched_add(s, k, a, b, ph->f[f].bytes * ph->steps, j);
			}
		}
	}
	return s;
}

static bool sched_equal(const struct fp_sched *a, const struct fp_sched *b)
{
	size_t i, k;

	if (a->nph != b->nph)
		return false;
	for (i = 0; i < a->nph; i++) {
		if (a->ph[i].n != b->ph[i].n)
			return false;
		for (k = 0; k < a->ph[i].n; k++)
			if (a->ph[i].flows[k].src != b->ph[i].flows[k].src ||
			    a->ph[i].flows[k].dst != b->ph[i].flows[k].dst ||
			    a->ph[i].flows[k].bytes != b->ph[i].flows[k].bytes)
				return false;
	}
	return true;
}

/* Bring @t's links to the wanted states: configured, and @down down. */
static void topo_states(const struct fp_topo *base, struct fp_topo *t, const uint8_t *down)
{
	int i, nl = base->nlinks / 2;

	for (i = 0; i < nl; i++) {
		bool up = base->links[2 * i].up && !(down && down[i]);

		if (t->links[2 * i].up != up)
			fp_topo_link_set(t, 2 * i, up);
	}
}

/* A fresh plan on @p->topo with every wanted link down. */
static int compute(struct fpd_planner *p, struct fp_sched *in, const uint8_t *want,
		   const uint8_t *failed, const struct fp_addr *local, size_t nlocal,
		   struct fp_err *err)
{
	/*
	 * A flow that cannot run (its NIC link down, its leaves cut apart)
	 * leaves the plan, listed with why (info's unroutable), not the rest.
	 */
	struct fp_plan_opts o = {
		.strategy = FP_STRAT_FLOWPLAN, .max_split = (int)p->max_split,
		.enforce = p->enforce, .partial = true,
	};
	const struct fp_sched *s = in ? in : p->fixed;
	int ret;

	drop_plan(p);
	p->plan_in = in;	/* freed with the plan */
	topo_states(p->base, p->topo, want);
	topo_states(p->base, p->next, want);
	topo_states(p->base, p->live, failed);
	memcpy(p->down, want, (size_t)p->base->nlinks / 2);
	ret = pm_resolve(p, p->topo, s, local, nlocal, &p->plan_pm, err);
	if (ret)
		goto fail;
	o.pm = p->plan_pm;
	ret = fp_plan_compute(p->topo, s, &o, &p->plan, err);
	if (ret)
		goto fail;
	p->plan_pm_gen = p->pm_gen;
	return 0;
fail:
	drop_plan(p);
	return ret;
}

/* The last plan, with the links of @add (undirected) down too: fp_plan_repair. */
static int repair(struct fpd_planner *p, const int *add, size_t nadd, const uint8_t *failed,
		  const struct fp_addr *local, size_t nlocal, struct fp_plan_repair_stats *st,
		  struct fp_err *err)
{
	struct fp_plan_repair_opts o = { .max_split = (int)p->max_split };
	struct fp_portmap *pm = NULL;
	int *dl;
	size_t i;
	int ret;

	dl = malloc((nadd + 1) * sizeof(*dl));
	if (!dl)
		return fp_fail(err, ENOMEM, "out of memory");
	for (i = 0; i < nadd; i++) {
		dl[i] = 2 * add[i];
		/* @next runs a step ahead, so that the port map fits the repaired plan */
		fp_topo_link_set(p->next, dl[i], false);
		if (failed[add[i]])
			fp_topo_link_set(p->live, dl[i], false);
	}
	ret = pm_resolve(p, p->next, p->plan->sched, local, nlocal, &pm, err);
	if (!ret) {
		o.pm = pm;
		ret = fp_plan_repair(p->plan, dl, nadd, &o, st, err);
	}
	for (i = 0; i < nadd; i++)
		p->down[add[i]] = 1;
	free(dl);
	if (ret) {
		if (pm)
			fp_portmap_free(pm);
		return ret;
	}
	if (p->plan_pm)
		fp_portmap_free(p->plan_pm);
	p->plan_pm = pm;
	return 0;
}

/*
 * With avoided links and the hash model: the label of a subflow planned
 * over path @path (of @p->topo) must take that path in the live fabric,
 * where the avoided links are still hashed onto. 0 and a label in *fl
 * (unchanged when it already does), or ENOENT.
 */
static int live_label(struct fpd_planner *p, int src, int dst, int path, uint32_t *fl,
		      const struct fp_hostplan_entry *e, unsigned int upto)
{
	const struct fp_node *a = &p->topo->nodes[src], *b = &p->topo->nodes[dst];
	struct fp_pathset want, live;
	uint32_t start = *fl;
	int li, r, tries;

	if (!p->navoid || p->have_pm || path < 0 || a->leaf < 0 || b->leaf < 0)
		return 0;
	want = fp_topo_paths(p->topo, a->leaf, b->leaf);
	live = fp_topo_paths(p->live, a->leaf, b->leaf);
	if (path >= want.n)
		return 0;
	li = path_index(live, &want.p[path]);
	if (li < 0)
		return ENOENT;
	r = fp_topo_route(p->live, src, dst, fp_label_to_sport(*fl));
	if (r == li)
		return 0;
	for (tries = 0; tries < 64; tries++) {
		unsigned int j;

		if (fp_topo_port_search(p->live, src, dst, li, start + 1, fl))
			return ENOENT;
		for (j = 0; j < upto && e->sub[j].flow_label != *fl; j++)
			;
		if (j == upto)
			return 0;
		start = *fl;	/* taken by another subflow of the entry */
	}
	return ENOENT;
}

/*
 * A subflow's links into @link (FPD_PATH_MAX): NIC @a up, @path's switch
 * links (none: NULL, within a leaf), NIC @b down. Returns how many.
 */
static unsigned int nic_path_links(const struct fp_node *a, const struct fp_node *b,
				   const struct fp_path *path, int32_t *link)
{
	unsigned int n = 0;
	int i;

	if (a->up_link >= 0)
		link[n++] = a->up_link;
	for (i = 0; path && i < path->len && n < FPD_PATH_MAX - 1; i++)
		link[n++] = path->link[i];
	if (b->down_link >= 0 && n < FPD_PATH_MAX)
		link[n++] = b->down_link;
	return n;
}

static void sub_links(struct fp_topo *t, int src, int dst, int path, struct fpd_fsub *fs)
{
	const struct fp_node *a = &t->nodes[src], *b = &t->nodes[dst];
	const struct fp_path *pp = NULL;

	if (path >= 0 && a->leaf >= 0 && b->leaf >= 0) {
		struct fp_pathset ps = fp_topo_paths(t, a->leaf, b->leaf);

		if (path < ps.n)
			pp = &ps.p[path];
	}
	fs->nlinks = nic_path_links(a, b, pp, fs->link);
}

/*
 * Is @e a reverse entry of the plan (lib/planner/reverse.c: the replies of
 * this host's QP for a flow that comes in, with no flow going back)? Its
 * labels then take the live fabric as live_label() makes the data's. The
 * replies are not watched for faults: their bytes follow the data's, which
 * the sender's daemon watches.
 */
static bool rev_label(struct fpd_planner *p, struct fp_hostplan_entry *e)
{
	const struct fp_plan *plan = p->plan;
	int src = fp_topo_find_ip(p->topo, &e->local), dst = fp_topo_find_ip(p->topo, &e->remote);
	size_t i, r;
	unsigned int m;

	if (src < 0 || dst < 0)
		return false;
	for (i = 0; i < plan->nph; i++) {
		const struct fp_plan_phase *pp = &plan->ph[i];

		for (r = pp->rev_off ? pp->rev_off[src] : 0;
		     pp->rev_off && r < pp->rev_off[src + 1]; r++) {
			const struct fp_plan_rsub *rs = &pp->rsubs[pp->rev[r].first];

			if (plan->sched->ph[i].flows[pp->rev[r].flow].src != dst ||
			    pp->rev[r].n != e->nsub)
				continue;
			for (m = 0; m < e->nsub && rs[m].flow_label == e->sub[m].flow_label; m++)
				;
			if (m < e->nsub)
				continue;
			for (m = 0; m < e->nsub; m++) {
				uint32_t fl = e->sub[m].flow_label;

				if (!live_label(p, src, dst, rs[m].path, &fl, e, m)) {
					e->sub[m].flow_label = fl;
					e->sub[m].sport = fp_label_to_sport(fl);
				}
			}
			return true;
		}
	}
	return false;
}

/* A local flow of the plan: where to find it. */
struct lflow {
	struct fp_addr src, dst;	/* compared as the entries are (fp_addr_cmp) */
	uint32_t ph, fl;
};

static int lflow_pair_cmp(const struct lflow *a, const struct fp_addr *src,
			  const struct fp_addr *dst)
{
	int c = fp_addr_cmp(&a->src, src);

	return c ? c : fp_addr_cmp(&a->dst, dst);
}

static int lflow_cmp(const void *x, const void *y)
{
	const struct lflow *a = x, *b = y;
	int c = lflow_pair_cmp(a, &b->src, &b->dst);

	if (c)
		return c;
	if (a->ph != b->ph)
		return a->ph < b->ph ? -1 : 1;
	return a->fl < b->fl ? -1 : a->fl > b->fl;
}

/*
 * The subflows of @hp's entries with their paths, for fault watching:
 * each entry is the plan flow of its pair whose subflows carry its labels
 * (fp_plan_hostplan takes one flow per pair). With avoided links, labels
 * the live fabric would send elsewhere are replaced here.
 */
static int watch_list(struct fpd_planner *p, const struct fp_addr *local, size_t nlocal,
		      struct fp_hostplan *hp, struct fpd_fsub **fsp, size_t *nfsp,
		      size_t *unmapped, struct fp_err *err)
{
	const struct fp_plan *plan = p->plan;
	const struct fp_topo *t = p->topo;
	struct lflow *lf = NULL;
	struct fpd_fsub *fs;
	size_t nlf = 0, cap = 0, i, k, nfs = 0;

	for (i = 0; i < plan->nph; i++) {
		const struct fp_phase *ph = &plan->sched->ph[i];

		for (k = 0; k < ph->n; k++) {
			const struct fp_addr *sa = &t->nodes[ph->flows[k].src].ip;

			if (!is_local(sa, local, nlocal) || !plan->ph[i].flows[k].n)
				continue;
			if (nlf == cap) {
				struct lflow *n;

				cap = cap ? 2 * cap : 64;
				n = realloc(lf, cap * sizeof(*n));
				if (!n) {
					free(lf);
					return fp_fail(err, ENOMEM, "out of memory");
				}
				lf = n;
			}
			lf[nlf++] = (struct lflow){ *sa, t->nodes[ph->flows[k].dst].ip,
						    (uint32_t)i, (uint32_t)k };
		}
	}
	if (nlf > 1)
		qsort(lf, nlf, sizeof(*lf), lflow_cmp);
	fs = calloc(hp->n * FP_MAX_SUBFLOWS + 1, sizeof(*fs));
	if (!fs) {
		free(lf);
		return fp_fail(err, ENOMEM, "out of memory");
	}
	for (i = 0, k = 0; i < hp->n; i++) {
		struct fp_hostplan_entry *e = &hp->e[i];
		const struct fp_plan_subflow *sub = NULL;
		const struct fp_flow *f = NULL;
		size_t j;
		unsigned int m;

		while (k < nlf && lflow_pair_cmp(&lf[k], &e->local, &e->remote) < 0)
			k++;
		for (j = k; j < nlf && !lflow_pair_cmp(&lf[j], &e->local, &e->remote) && !sub; j++) {
			const struct fp_plan_flow *pf = &plan->ph[lf[j].ph].flows[lf[j].fl];
			const struct fp_plan_subflow *s = &plan->ph[lf[j].ph].subs[pf->first];

			if (pf->n != e->nsub)
				continue;
			for (m = 0; m < pf->n && s[m].flow_label == e->sub[m].flow_label; m++)
				;
			if (m == pf->n) {
				sub = s;
				f = &plan->sched->ph[lf[j].ph].flows[lf[j].fl];
				break;
			}
		}
		if (!sub && rev_label(p, e)) {
			continue;	/* a reverse entry: replies, not watched */
		} else if (!sub) {
			free(lf);
			free(fs);
			return fp_fail(err, EPROTO, "the planner's entry %zu matches none of its flows", i);
		}
		for (m = 0; m < e->nsub; m++) {
			struct fpd_fsub *x = &fs[nfs++];
			int path = sub[m].path == FP_PATH_NONE ? -1 : sub[m].path;
			uint32_t fl = e->sub[m].flow_label;

			if (live_label(p, f->src, f->dst, path, &fl, e, m) == ENOENT)
				(*unmapped)++;	/* no label takes it: kept as planned */
			e->sub[m].flow_label = fl;
			e->sub[m].sport = fp_label_to_sport(fl);
			/* the subflows of a phase move together */
			x->group = lf[j].ph;
			x->entry = (uint32_t)i;
			x->planned = sub[m].bytes;
			x->remote = e->remote;
			x->sport = e->sub[m].sport;
			x->weight = e->sub[m].weight;
			sub_links(p->topo, f->src, f->dst, path, x);
		}
	}
	free(lf);
	*fsp = fs;
	*nfsp = nfs;
	return 0;
}

int fpd_unroutable_list(const struct fp_plan *plan, struct fpd_unroutable **out,
			struct fp_err *err)
{
	struct fpd_unroutable *u = calloc(plan->nunroutable + 1, sizeof(*u));
	size_t i;

	*out = u;
	if (!u)
		return fp_fail(err, ENOMEM, "out of memory");
	for (i = 0; i < plan->nunroutable; i++) {
		const struct fp_plan_unroutable *x = &plan->unroutable[i];
		const struct fp_flow *f = &plan->sched->ph[x->phase].flows[x->flow];
		char why[192];

		snprintf(u[i].text, sizeof(u[i].text), "%s -> %s%s: %s",
			 plan->topo->nodes[f->src].name, plan->topo->nodes[f->dst].name,
			 /* a dual-stack pair's IPv6 flow */
			 fp_topo_family_key(plan->topo, f->src, f->dst) ? " (IPv6)" : "",
			 fp_plan_unroutable_why(plan, x, why, sizeof(why)));
	}
	return 0;
}

void fpd_unroutable_line(const struct fpd_unroutable *u, size_t n, size_t flows,
			 const char *where, char *buf, size_t len)
{
	size_t i, at;

	at = (size_t)snprintf(buf, len, "%zu of %zu flows cannot run, planned without them: ",
			      n, flows);
	/* as many as leave room for the count of the rest */
	for (i = 0; i < n && at + strlen(u[i].text) + 2 + 80 < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? "; " : "", u[i].text);
	if (i < n && at < len)
		snprintf(buf + at, len - at, "%sand %zu more (%s lists them)", i ? "; " : "",
			 n - i, where);
}

static int figures(struct fpd_planner *p, struct fpd_plan_info *info, struct fp_err *err)
{
	const struct fp_plan *plan = p->plan;
	size_t nl = (size_t)p->base->nlinks, i, k;
	double *load = calloc(nl + 1, sizeof(*load));
	int ret;

	if (!load)
		return fp_fail(err, ENOMEM, "out of memory");
	for (i = 0; i < plan->nph; i++) {
		info->max_load += plan->ph[i].max_load;
		info->lower_bound += plan->ph[i].lower_bound;
		info->flows += plan->sched->ph[i].n;
	}
	info->phases = plan->nph;
	fp_plan_link_loads(plan, load);
	for (i = 0; i < nl; i++)
		info->nlinks += load[i] > 0;
	info->links = calloc(info->nlinks + 1, sizeof(*info->links));
	if (!info->links) {
		free(load);
		return fp_fail(err, ENOMEM, "out of memory");
	}
	for (k = 0, i = 0; i < nl; i++) {
		if (load[i] <= 0)
			continue;
		info->links[k].link = (int)i;
		info->links[k].load = load[i];
		fpd_planner_link_name(p, (int)i, info->links[k].name, sizeof(info->links[k].name));
		k++;
	}
	free(load);
	ret = fpd_unroutable_list(plan, &info->unroutable, err);
	if (ret)
		return ret;
	info->nunroutable = plan->nunroutable;
	return 0;
}

int fpd_planner_plan(struct fpd_planner *p, const struct fpd_cycle *const *cycles,
		     size_t ncycles, const struct fp_addr *local, size_t nlocal,
		     struct fp_hostplan *hp, struct fpd_fsub **fsp, size_t *nfsp,
		     struct fpd_plan_info *info, struct fp_err *err)
{
	struct fp_sched *own = NULL;
	uint8_t *want = NULL, *failed = NULL;
	int *add = NULL;
	size_t nl, nadd = 0, i, k, flows = 0;
	bool gone = false, same;
	uint64_t t0 = mono();
	int ret;

	memset(hp, 0, sizeof(*hp));
	memset(info, 0, sizeof(*info));
	*fsp = NULL;
	*nfsp = 0;
	if (!p->base)
		return fp_fail(err, ENODATA, "no fabric configured ([fabric] topology)");
	if (!p->fixed) {
		own = observed_sched(p->base, cycles, ncycles, &info->unmapped);
		if (!own)
			return fp_fail(err, ENOMEM, "out of memory");
	}
	for (i = 0; i < (own ? own : p->fixed)->nph; i++)
		flows += (own ? own : p->fixed)->ph[i].n;
	if (!flows) {
		ret = fp_fail(err, ENODATA, "nothing to plan: %s", ncycles || p->fixed ?
			   "no flow between addresses of the fabric" : "no cycle observed yet");
		goto out;
	}
	nl = (size_t)p->base->nlinks / 2;
	want = calloc(nl + 1, 1);
	failed = calloc(nl + 1, 1);
	add = calloc(nl + 1, sizeof(*add));
	if (!want || !failed || !add) {
		ret = fp_fail(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < p->nfailed; i++)
		want[p->failed[i]] = failed[p->failed[i]] = 1;
	for (i = 0; i < p->navoid; i++)
		want[p->avoid[i]] = 1;
	for (i = 0; i < nl; i++) {
		gone |= p->down[i] && !want[i];
		if (want[i] && !p->down[i])
			add[nadd++] = (int)i;
	}
	same = p->plan && p->plan_pm_gen == p->pm_gen &&
	       (own ? p->plan_in && sched_equal(p->plan_in, own) : !p->plan_in);
	if (same && !gone && nadd) {
		ret = repair(p, add, nadd, failed, local, nlocal, &info->repair, err);
		if (!ret) {
			info->repaired = true;
		} else {
			/* a partly repaired plan: computed anew instead */
			same = false;
		}
	}
	if (!same || gone) {
		ret = compute(p, own, want, failed, local, nlocal, err);
		own = NULL;
		if (ret)
			goto out;
	}
	ret = fp_plan_hostplan(p->plan, local, nlocal, hp, err);
	if (!ret)
		ret = watch_list(p, local, nlocal, hp, fsp, nfsp, &info->unmapped, err);
	if (!ret)
		ret = figures(p, info, err);
	if (ret)
		goto out;
	info->entries = hp->n;
	for (k = 0; k < hp->n; k++)
		info->subflows += hp->e[k].nsub;
	info->compute_ns = mono() - t0;
out:
	if (ret) {
		fpd_hostplan_clear(hp);
		fpd_plan_info_free(info);
		free(*fsp);
		*fsp = NULL;
		*nfsp = 0;
	}
	if (own)
		fp_sched_free(own);
	free(want);
	free(failed);
	free(add);
	return ret;
}

static int pair_cmp(const void *x, const void *y)
{
	const struct fp_addr *a = x, *b = y;
	int c = fp_addr_order(&a[0], &b[0]);

	return c ? c : fp_addr_order(&a[1], &b[1]);
}

int fpd_planner_pairs(const struct fpd_planner *p, const struct fp_addr *local, size_t nlocal,
		      struct fp_addr **pairs, size_t *n)
{
	const struct fp_plan *plan = p->plan;
	const struct fp_topo *t = p->base;
	struct fp_addr *a = NULL;
	size_t cap = 0, m = 0, i, k;
	int end;

	*pairs = NULL;
	*n = 0;
	if (!plan)
		return 0;
	for (i = 0; i < plan->nph; i++) {
		const struct fp_phase *ph = &plan->sched->ph[i];

		for (k = 0; k < ph->n; k++) {
			const struct fp_node *s = &t->nodes[ph->flows[k].src];
			const struct fp_node *d = &t->nodes[ph->flows[k].dst];

			if (s->leaf == d->leaf)
				continue;
			/* its data's pair where it leaves, its replies' where it comes in */
			for (end = 0; end < 2; end++) {
				const struct fp_node *from = end ? d : s, *to = end ? s : d;

				if (!is_local(&from->ip, local, nlocal))
					continue;
				if (m == cap) {
					struct fp_addr *na;

					cap = cap ? 2 * cap : 16;
					na = realloc(a, 2 * cap * sizeof(*a));
					if (!na) {
						free(a);
						return ENOMEM;
					}
					a = na;
				}
				a[2 * m] = from->ip;
				a[2 * m + 1] = to->ip;
				m++;
			}
		}
	}
	if (m > 1)
		qsort(a, m, 2 * sizeof(*a), pair_cmp);
	for (i = 0, k = 0; i < m; i++)
		if (!k || pair_cmp(&a[2 * i], &a[2 * (k - 1)])) {
			a[2 * k] = a[2 * i];
			a[2 * k + 1] = a[2 * i + 1];
			k++;
		}
	*pairs = a;
	*n = k;
	return 0;
}

/* ----------------------------------------------------- minimal movement */

struct psig {
	uint32_t weight;
	unsigned int nlinks;
	int32_t link[FPD_PATH_MAX];
	uint16_t sport;
};

static int psig_cmp(const void *a, const void *b)
{
	const struct psig *x = a, *y = b;
	unsigned int i;

	if (x->weight != y->weight)
		return x->weight < y->weight ? -1 : 1;
	if (x->nlinks != y->nlinks)
		return x->nlinks < y->nlinks ? -1 : 1;
	for (i = 0; i < x->nlinks; i++)
		if (x->link[i] != y->link[i])
			return x->link[i] < y->link[i] ? -1 : 1;
	return 0;
}

/*
 * The subflows of entry @g as sorted signatures; returns how many. The
 * subflows come entry after entry (as fpd_planner_plan gives them): *@at
 * walks them, so that all entries cost one pass.
 */
static unsigned int sigs(const struct fpd_fsub *fs, size_t n, size_t *at, uint32_t g,
			 struct psig *out)
{
	unsigned int k = 0;
	size_t i;

	while (*at < n && fs[*at].entry < g)
		(*at)++;
	for (i = *at; i < n && fs[i].entry == g && k < FP_MAX_SUBFLOWS; i++) {
		out[k].weight = fs[i].weight;
		out[k].nlinks = fs[i].nlinks;
		memcpy(out[k].link, fs[i].link, sizeof(out[k].link));
		out[k].sport = fs[i].sport;
		k++;
	}
	qsort(out, k, sizeof(*out), psig_cmp);
	return k;
}

static int key_cmp(const struct fp_hostplan_entry *a, const struct fp_hostplan_entry *b)
{
	int d = fp_addr_cmp(&a->local, &b->local);

	if (!d)
		d = fp_addr_cmp(&a->remote, &b->remote);
	if (!d && a->dqpn != b->dqpn)
		d = a->dqpn < b->dqpn ? -1 : 1;
	return d;
}

/*
 * The switch links @sport takes from @local to @remote in the fabric as it
 * is now: its port map row, or the hash model's route over live links;
 * NULL when neither knows.
 */
static const struct fp_path *path_now(const struct fpd_planner *p, const struct fp_addr *local,
				      const struct fp_addr *remote, uint16_t sport)
{
	struct fp_pathset ps;
	int src, dst, r;

	if (p->have_pm) {
		const struct fpd_pmrow *row = row_find(p->pm, p->npm, local, remote, sport);

		return row ? &row->path : NULL;
	}
	src = fp_topo_find_ip(p->live, local);
	dst = fp_topo_find_ip(p->live, remote);
	if (src < 0 || dst < 0)
		return NULL;
	r = fp_topo_route(p->live, src, dst, sport);
	ps = fp_topo_paths(p->live, p->live->nodes[src].leaf, p->live->nodes[dst].leaf);
	return r >= 0 && r < ps.n ? &ps.p[r] : NULL;
}

/*
 * Does @sport, from @e's local to its remote address, take the switch
 * links @want in the fabric as it is now (path_now(); with a port map,
 * every one of them up)?
 */
static bool takes_now(const struct fpd_planner *p, const struct fp_hostplan_entry *e,
		      uint16_t sport, const struct fp_path *want)
{
	const struct fp_path *now = path_now(p, &e->local, &e->remote, sport);
	int i;

	if (!now || !same_path(now, want))
		return false;
	if (p->have_pm)
		for (i = 0; i < want->len; i++)
			if (!p->live->links[want->link[i]].up)
				return false;	/* the port goes elsewhere now */
	return true;
}

/*
 * Does @sport, from @local to @remote, still take the fabric links of
 * @s (NIC up, switch links, NIC down) in the fabric as it is now?
 */
static bool still_takes(const struct fpd_planner *p, const struct fp_hostplan_entry *e,
			const struct psig *s)
{
	struct fp_path want = { .len = 0 };
	unsigned int i;

	if (!p || !p->base || s->nlinks <= 2)
		return true;	/* within a leaf: one way */
	for (i = 1; i + 1 < s->nlinks && want.len < FP_PATH_MAX_LEN; i++)
		want.link[want.len++] = s->link[i];
	return takes_now(p, e, s->sport, &want);
}

/*
 * The subflows of @e as sorted signatures of where each port goes now
 * (path_now()), for an entry no plan of this run made: the module's at
 * the start. Returns how many; 0 when a port's way is not known.
 */
static unsigned int sigs_now(const struct fpd_planner *p, const struct fp_hostplan_entry *e,
			     struct psig *out)
{
	const struct fp_node *a, *b;
	int src, dst;
	unsigned int m;

	if (!p || !p->base || !e->nsub || e->nsub > FP_MAX_SUBFLOWS)
		return 0;
	src = fp_topo_find_ip(p->live, &e->local);
	dst = fp_topo_find_ip(p->live, &e->remote);
	if (src < 0 || dst < 0)
		return 0;
	a = &p->live->nodes[src];
	b = &p->live->nodes[dst];
	for (m = 0; m < e->nsub; m++) {
		const struct fp_path *path = NULL;

		if (a->leaf >= 0 && b->leaf >= 0 && a->leaf != b->leaf) {
			path = path_now(p, &e->local, &e->remote, e->sub[m].sport);
			if (!path)
				return 0;
		}
		out[m].weight = e->sub[m].weight;
		out[m].sport = e->sub[m].sport;
		out[m].nlinks = nic_path_links(a, b, path, out[m].link);
	}
	qsort(out, m, sizeof(*out), psig_cmp);
	return m;
}

/*
 * A reverse entry (no subflow watched: the replies of this host's QP for a
 * flow that comes in) of @prev that does what @next's would: subflow by
 * subflow (subflow i carries the replies of the data's subflow i), the same
 * weight, and a port that takes the path @next's takes, both as the port
 * map, or the hash model over live links, says they go now; within a leaf,
 * one way. Its labels derive from the data's, so a plan that labels the
 * data anew (another cycle's shape, another daemon) labels the replies anew
 * on the same paths: kept, nothing moves. With @p only.
 */
static bool same_replies(const struct fpd_planner *p, const struct fp_hostplan_entry *next,
			 const struct fp_hostplan_entry *prev)
{
	int src, dst;
	unsigned int m;

	if (!p || !p->base || !next->nsub || next->nsub != prev->nsub ||
	    next->enforce != prev->enforce)
		return false;
	src = fp_topo_find_ip(p->live, &next->local);
	dst = fp_topo_find_ip(p->live, &next->remote);
	if (src < 0 || dst < 0)
		return false;
	for (m = 0; m < next->nsub; m++) {
		const struct fp_path *now;
		struct fp_path want;

		if (next->sub[m].weight != prev->sub[m].weight)
			return false;
		if (p->live->nodes[src].leaf == p->live->nodes[dst].leaf)
			continue;
		now = path_now(p, &next->local, &next->remote, next->sub[m].sport);
		if (!now || !now->len)
			return false;
		want = *now;
		if (!takes_now(p, prev, prev->sub[m].sport, &want))
			return false;
	}
	return true;
}

size_t fpd_hostplan_keep(const struct fpd_planner *p, struct fp_hostplan *next,
			 struct fpd_fsub *next_fs, size_t nnext_fs, const struct fp_hostplan *prev,
			 const struct fpd_fsub *prev_fs, size_t nprev_fs)
{
	struct psig a[FP_MAX_SUBFLOWS], b[FP_MAX_SUBFLOWS];
	size_t i = 0, k = 0, kept = 0, at_next = 0, at_prev = 0;

	while (i < next->n && k < prev->n) {
		int d = key_cmp(&next->e[i], &prev->e[k]);
		unsigned int na, nb, j;
		bool same;

		if (d < 0) {
			i++;
			continue;
		}
		if (d > 0) {
			k++;
			continue;
		}
		na = sigs(next_fs, nnext_fs, &at_next, (uint32_t)i, a);
		nb = sigs(prev_fs, nprev_fs, &at_prev, (uint32_t)k, b);
		if (!na && !nb) {	/* a reverse entry: replies, not watched */
			if (same_replies(p, &next->e[i], &prev->e[k])) {
				next->e[i] = prev->e[k];
				kept++;
			}
			i++;
			k++;
			continue;
		}
		if (!nb && na && na == next->e[i].nsub)
			nb = sigs_now(p, &prev->e[k], b);	/* not planned here */
		same = na == nb && na == next->e[i].nsub && nb == prev->e[k].nsub &&
		       next->e[i].enforce == prev->e[k].enforce;
		for (j = 0; same && j < na && !psig_cmp(&a[j], &b[j]) &&
			    still_takes(p, &prev->e[k], &b[j]); j++)
			;
		if (same && j == na) {
			size_t x;

			/* the watched subflows follow the labels kept */
			for (x = at_next; x < nnext_fs && next_fs[x].entry == (uint32_t)i;
			     x++) {
				for (j = 0; j < na; j++)
					if (a[j].sport == next_fs[x].sport) {
						next_fs[x].sport = b[j].sport;
						a[j].sport = 0;	/* used */
						break;
					}
			}
			next->e[i] = prev->e[k];
			kept++;
		}
		i++;
		k++;
	}
	return kept;
}

static bool has_pair(const struct fp_hostplan *hp, size_t n, const struct fp_hostplan_entry *e)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!fp_addr_cmp(&hp->e[i].local, &e->local) &&
		    !fp_addr_cmp(&hp->e[i].remote, &e->remote))
			return true;
	return false;
}

int fpd_hostplan_carry(struct fp_hostplan *next, struct fpd_fsub *next_fs, size_t nnext_fs,
		       const struct fp_hostplan *prev, size_t *carried, struct fp_err *err)
{
	struct fp_hostplan out = { 0 };
	size_t i, x, k = 0;
	int ret;

	*carried = 0;
	for (i = 0; i < prev->n; i++) {
		if (has_pair(next, next->n, &prev->e[i]))
			continue;
		if (!k++) {
			ret = fpd_hostplan_copy(&out, next);
			if (ret)
				return fp_fail(err, ret, "out of memory");
		}
		ret = fp_hostplan_add(&out, &prev->e[i], err);
		if (ret)
			goto fail;
	}
	if (!k)
		return 0;
	ret = fp_hostplan_finish(&out, err);
	if (ret)
		goto fail;
	/* the watched subflows follow their entries to where they sort */
	for (x = 0; x < nnext_fs; x++) {
		const struct fp_hostplan_entry *e = &next->e[next_fs[x].entry];

		next_fs[x].entry = (uint32_t)(fp_hostplan_find(&out, &e->local, &e->remote,
							       e->dqpn) - out.e);
	}
	fpd_hostplan_clear(next);
	*next = out;
	*carried = k;
	return 0;
fail:
	fpd_hostplan_clear(&out);
	return ret;
}
