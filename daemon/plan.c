// SPDX-License-Identifier: MIT
/*
 * plan.c - the daemon's use of the planner library (plan.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "planner/plan.h"
#include "planner/portmap.h"
#include "planner/sched.h"
#include "planner/topo.h"
#include "plan.h"

static int fail(struct fp_err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct fp_err *e, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return errnum;
}

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void fpd_planner_free(struct fpd_planner *p)
{
	if (p->fixed)
		fp_sched_free(p->fixed);
	if (p->pm)
		fp_portmap_free(p->pm);
	if (p->topo)
		fp_topo_free(p->topo);
	if (p->live)
		fp_topo_free(p->live);
	free(p->avoid);
	free(p->topo_json);
	free(p->pm_path);
	free(p->failed);
	memset(p, 0, sizeof(*p));
}

bool fpd_planner_ready(const struct fpd_planner *p)
{
	return p->topo != NULL;
}

int fpd_planner_load(struct fpd_planner *p, const struct fpd_conf *c, struct fp_err *err)
{
	struct fpd_planner n = { .max_split = c->max_split, .enforce = c->enforce };
	int ret;

	if (!c->topology[0]) {
		if (c->schedule[0] || c->portmap[0])
			return fail(err, EINVAL, "[plan] schedule and [fabric] portmap need a [fabric] topology");
		fpd_planner_free(p);
		*p = n;
		return 0;
	}
	ret = fp_topo_load(c->topology, &n.topo, err);
	if (ret)
		return ret;
	n.topo_json = fp_topo_to_json(n.topo, false);
	if (!n.topo_json) {
		ret = fail(err, ENOMEM, "out of memory");
		goto fail;
	}
	if (c->portmap[0]) {
		n.pm_path = strdup(c->portmap);
		ret = n.pm_path ? fp_portmap_load(c->portmap, n.topo, &n.pm, err) :
				  fail(err, ENOMEM, "out of memory");
		if (ret)
			goto fail;
	}
	if (c->schedule[0]) {
		ret = fp_sched_load(c->schedule, n.topo, &n.fixed, err);
		if (ret)
			goto fail;
	}
	fpd_planner_free(p);
	*p = n;
	return 0;
fail:
	fpd_planner_free(&n);
	return ret;
}

int fpd_planner_link(const struct fpd_planner *p, const char *a, const char *b)
{
	int x, y, l;

	if (!p->topo)
		return -1;
	x = fp_topo_find(p->topo, a);
	y = fp_topo_find(p->topo, b);
	if (x < 0 || y < 0)
		return -1;
	for (l = 0; l < p->topo->nlinks; l++)
		if (p->topo->links[l].from == x && p->topo->links[l].to == y)
			return l;
	return -1;
}

void fpd_planner_link_name(const struct fpd_planner *p, int link, char *buf, size_t n)
{
	const struct fp_link *l;

	if (!p->topo || link < 0 || link >= p->topo->nlinks) {
		snprintf(buf, n, "link%d", link);
		return;
	}
	l = &p->topo->links[link];
	snprintf(buf, n, "%s-%s", p->topo->nodes[l->from].name, p->topo->nodes[l->to].name);
}

bool fpd_planner_link_is_fabric(const struct fpd_planner *p, int link)
{
	const struct fp_link *l;

	if (!p->topo || link < 0 || link >= p->topo->nlinks)
		return false;
	l = &p->topo->links[link];
	return !p->topo->nodes[l->from].is_nic && !p->topo->nodes[l->to].is_nic;
}

int fpd_planner_nic_link(const struct fpd_planner *p, uint32_t addr_be)
{
	int nic;

	if (!p->topo)
		return -1;
	nic = fp_topo_find_addr(p->topo, addr_be);
	if (nic < 0 || p->topo->nodes[nic].up_link < 0)
		return -1;
	return p->topo->nodes[nic].up_link / 2;
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

/* The topology with @down links down (and every other up). */
static int topo_with(struct fpd_planner *p, const int *down, size_t n,
		     struct fp_topo **out, struct fp_err *err)
{
	json_object *root, *links;
	size_t i, nl = (size_t)p->topo->nlinks / 2;
	int ret;

	root = json_tokener_parse(p->topo_json);
	if (!root || !json_object_object_get_ex(root, "links", &links) ||
	    json_object_array_length(links) != nl) {
		json_object_put(root);
		return fail(err, EPROTO, "the planner's topology text is not what it reads");
	}
	for (i = 0; i < n; i++)
		json_object_object_add(json_object_array_get_idx(links, (size_t)down[i]), "up",
				       json_object_new_boolean(0));
	{
		const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);

		ret = fp_topo_parse(s, strlen(s), "fabric", out, err);
	}
	json_object_put(root);
	return ret;
}

static int set_links(struct fpd_planner *p, const int *failed, size_t nf,
		     const int *avoid, size_t na, bool *changed, struct fp_err *err)
{
	struct fp_topo *t = NULL, *live = NULL;
	struct fp_portmap *pm = NULL;
	int *all = NULL, *nfl = NULL, *nav = NULL, ret;
	size_t i, nl;

	*changed = false;
	if (!p->topo)
		return fail(err, EINVAL, "no fabric to fail links in");
	nl = (size_t)p->topo->nlinks / 2;
	for (i = 0; i < nf + na; i++) {
		int l = i < nf ? failed[i] : avoid[i - nf];

		if (l < 0 || (size_t)l >= nl)
			return fail(err, EINVAL, "link %d is not in the fabric", l);
	}
	if (same_set(failed, nf, p->failed, p->nfailed) &&
	    same_set(avoid, na, p->avoid, p->navoid))
		return 0;
	all = malloc((nf + na + 1) * sizeof(*all));
	nfl = malloc((nf + 1) * sizeof(*nfl));
	nav = malloc((na + 1) * sizeof(*nav));
	if (!all || !nfl || !nav) {
		ret = fail(err, ENOMEM, "out of memory");
		goto out;
	}
	if (nf)
		memcpy(all, failed, nf * sizeof(*all));
	if (na)
		memcpy(all + nf, avoid, na * sizeof(*all));
	ret = topo_with(p, all, nf + na, &t, err);
	if (!ret)
		ret = topo_with(p, failed, nf, &live, err);
	if (!ret && p->pm_path)
		ret = fp_portmap_load(p->pm_path, t, &pm, err);
	if (ret)
		goto out;
	if (nf)
		memcpy(nfl, failed, nf * sizeof(*nfl));
	if (na)
		memcpy(nav, avoid, na * sizeof(*nav));
	fp_topo_free(p->topo);
	p->topo = t;
	t = NULL;
	if (p->live)
		fp_topo_free(p->live);
	p->live = live;
	live = NULL;
	if (p->pm)
		fp_portmap_free(p->pm);
	p->pm = pm;
	pm = NULL;
	free(p->failed);
	p->failed = nfl;
	p->nfailed = nf;
	nfl = NULL;
	free(p->avoid);
	p->avoid = nav;
	p->navoid = na;
	nav = NULL;
	*changed = true;
out:
	if (t)
		fp_topo_free(t);
	if (live)
		fp_topo_free(live);
	if (pm)
		fp_portmap_free(pm);
	free(all);
	free(nfl);
	free(nav);
	return ret;
}

int fpd_planner_set_failed(struct fpd_planner *p, const int *idx, size_t n,
			   bool *changed, struct fp_err *err)
{
	return set_links(p, idx, n, p->avoid, p->navoid, changed, err);
}

int fpd_planner_set_avoid(struct fpd_planner *p, const int *idx, size_t n,
			  bool *changed, struct fp_err *err)
{
	return set_links(p, p->failed, p->nfailed, idx, n, changed, err);
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
	int i, k, li = -1, r, tries;

	if (!p->live || !p->navoid || p->pm || path < 0 || a->leaf < 0 || b->leaf < 0)
		return 0;
	want = fp_topo_paths(p->topo, a->leaf, b->leaf);
	live = fp_topo_paths(p->live, a->leaf, b->leaf);
	if (path >= want.n)
		return 0;
	for (i = 0; i < live.n && li < 0; i++) {
		if (live.p[i].len != want.p[path].len)
			continue;
		for (k = 0; k < live.p[i].len && live.p[i].link[k] == want.p[path].link[k]; k++)
			;
		if (k == live.p[i].len)
			li = i;
	}
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

void fpd_plan_info_free(struct fpd_plan_info *info)
{
	free(info->links);
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

static bool entry_equal(const struct fp_hostplan_entry *a, const struct fp_hostplan_entry *b)
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
		if (!entry_equal(&a->e[i], &b->e[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------ planning */

struct cand {
	uint32_t src, dst;	/* host order, for sorting */
	size_t ph, fl;
	uint64_t bytes;
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	if (x->dst != y->dst)
		return x->dst < y->dst ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;	/* most bytes first */
	if (x->ph != y->ph)
		return x->ph < y->ph ? -1 : 1;
	return 0;
}

static bool is_local(uint32_t be, const struct fp_addr *local, size_t n)
{
	struct fp_addr a = fp_addr_v4(be);
	size_t i;

	for (i = 0; i < n; i++)
		if (!fp_addr_cmp(&a, &local[i]))
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
				int a = fp_topo_find_addr(t, ph->f[f].src);
				int b = fp_topo_find_addr(t, ph->f[f].dst);

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

static void sub_links(struct fp_topo *t, int src, int dst, int path, struct fpd_fsub *fs)
{
	const struct fp_node *a = &t->nodes[src], *b = &t->nodes[dst];
	int i;

	fs->nlinks = 0;
	if (a->up_link >= 0)
		fs->link[fs->nlinks++] = a->up_link;
	if (path >= 0 && a->leaf >= 0 && b->leaf >= 0) {
		struct fp_pathset ps = fp_topo_paths(t, a->leaf, b->leaf);

		if (path < ps.n)
			for (i = 0; i < ps.p[path].len && fs->nlinks < FPD_PATH_MAX - 1; i++)
				fs->link[fs->nlinks++] = ps.p[path].link[i];
	}
	if (b->down_link >= 0 && fs->nlinks < FPD_PATH_MAX)
		fs->link[fs->nlinks++] = b->down_link;
}

int fpd_planner_plan(struct fpd_planner *p, const struct fpd_cycle *const *cycles,
		     size_t ncycles, const struct fp_addr *local, size_t nlocal,
		     struct fp_hostplan *hp, struct fpd_fsub **fsp, size_t *nfsp,
		     struct fpd_plan_info *info, struct fp_err *err)
{
	struct fp_plan_opts o = {
		.strategy = FP_STRAT_FLOWPLAN, .max_split = (int)p->max_split,
		.pm = p->pm, .enforce = p->enforce,
	};
	struct fp_sched *own = NULL;
	const struct fp_sched *s;
	struct fp_plan *plan = NULL;
	struct cand *cand = NULL;
	struct fpd_fsub *fs = NULL;
	size_t ncand = 0, capc = 0, nfs = 0, i, k, l;
	uint64_t t0 = mono();
	int ret;

	memset(hp, 0, sizeof(*hp));
	memset(info, 0, sizeof(*info));
	*fsp = NULL;
	*nfsp = 0;
	if (!p->topo)
		return fail(err, ENODATA, "no fabric configured ([fabric] topology)");
	if (p->fixed) {
		s = p->fixed;
	} else {
		own = observed_sched(p->topo, cycles, ncycles, &info->unmapped);
		if (!own)
			return fail(err, ENOMEM, "out of memory");
		s = own;
	}
	for (i = 0; i < s->nph; i++)
		info->flows += s->ph[i].n;
	info->phases = s->nph;
	if (!info->flows) {
		ret = fail(err, ENODATA, "nothing to plan: %s", ncycles || p->fixed ?
			   "no flow between addresses of the fabric" : "no cycle observed yet");
		goto out;
	}
	ret = fp_plan_compute(p->topo, s, &o, &plan, err);
	if (ret)
		goto out;

	/* figures: loads summed over phases */
	{
		double *load = calloc((size_t)p->topo->nlinks, sizeof(*load));

		if (!load) {
			ret = fail(err, ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < plan->nph; i++) {
			info->max_load += plan->ph[i].max_load;
			info->lower_bound += plan->ph[i].lower_bound;
			for (l = 0; l < (size_t)p->topo->nlinks; l++)
				if (plan->ph[i].link_bytes[l] > 0)
					load[l] += fp_link_load(p->topo, (int)l, plan->ph[i].link_bytes[l]);
		}
		for (l = 0; l < (size_t)p->topo->nlinks; l++)
			info->nlinks += load[l] > 0;
		info->links = calloc(info->nlinks + 1, sizeof(*info->links));
		if (!info->links) {
			free(load);
			ret = fail(err, ENOMEM, "out of memory");
			goto out;
		}
		for (k = 0, l = 0; l < (size_t)p->topo->nlinks; l++) {
			if (load[l] <= 0)
				continue;
			info->links[k].link = (int)l;
			info->links[k].load = load[l];
			fpd_planner_link_name(p, (int)l, info->links[k].name,
					      sizeof(info->links[k].name));
			k++;
		}
		free(load);
	}

	/* this host's pairs, each from the phase where it carries the most */
	for (i = 0; i < s->nph; i++) {
		for (k = 0; k < s->ph[i].n; k++) {
			const struct fp_flow *f = &s->ph[i].flows[k];
			uint32_t sa = p->topo->nodes[f->src].addr, da = p->topo->nodes[f->dst].addr;

			if (!is_local(sa, local, nlocal))
				continue;
			if (ncand == capc) {
				struct cand *nc;

				capc = capc ? 2 * capc : 64;
				nc = realloc(cand, capc * sizeof(*nc));
				if (!nc) {
					ret = fail(err, ENOMEM, "out of memory");
					goto out;
				}
				cand = nc;
			}
			cand[ncand++] = (struct cand){ .src = ntohl(sa), .dst = ntohl(da),
						       .ph = i, .fl = k, .bytes = f->bytes };
		}
	}
	if (ncand)
		qsort(cand, ncand, sizeof(*cand), cand_cmp);
	hp->e = calloc(ncand + 1, sizeof(*hp->e));
	fs = calloc(ncand * FP_MAX_SUBFLOWS + 1, sizeof(*fs));
	if (!hp->e || !fs) {
		ret = fail(err, ENOMEM, "out of memory");
		goto out;
	}
	hp->cap = ncand + 1;
	for (i = 0; i < ncand; i++) {
		const struct cand *c = &cand[i];
		const struct fp_flow *f = &s->ph[c->ph].flows[c->fl];
		const struct fp_plan_flow *pf = &plan->ph[c->ph].flows[c->fl];
		const struct fp_plan_subflow *sub = &plan->ph[c->ph].subs[pf->first];
		struct fp_hostplan_entry *e = &hp->e[hp->n];
		uint64_t tot = 0, given = 0;
		unsigned int j;

		if (i && c->src == cand[i - 1].src && c->dst == cand[i - 1].dst)
			continue;	/* the pair's entry is taken */
		if (!pf->n || pf->n > FP_MAX_SUBFLOWS)
			continue;
		for (j = 0; j < pf->n; j++) {
			tot += sub[j].bytes;
			if (!sub[j].flow_label)
				break;
		}
		if (j < pf->n)
			continue;	/* a port without a label: nothing to install */
		memset(e, 0, sizeof(*e));
		e->local = fp_addr_v4(htonl(c->src));
		e->remote = fp_addr_v4(htonl(c->dst));
		e->dqpn = FP_DQPN_ANY;
		e->enforce = p->enforce;
		e->nsub = pf->n;
		for (j = 0; j < pf->n; j++) {
			uint32_t fl = sub[j].flow_label;

			if (live_label(p, f->src, f->dst, sub[j].path, &fl, e, j) == ENOENT)
				info->unmapped++;	/* no label takes it: kept as planned */
			e->sub[j].flow_label = fl;
			e->sub[j].sport = fp_label_to_sport(fl);
			e->sub[j].weight = tot ? (uint32_t)(sub[j].bytes * FP_WEIGHT_ONE / tot) :
						 FP_WEIGHT_ONE / pf->n;
			given += e->sub[j].weight;
		}
		for (j = 0; given < FP_WEIGHT_ONE; j = (j + 1) % pf->n, given++)
			e->sub[j].weight++;
		for (j = 0; j < pf->n; j++) {
			struct fpd_fsub *x = &fs[nfs++];

			/* the subflows of a phase move together */
			x->group = (uint32_t)c->ph;
			x->entry = (uint32_t)hp->n;
			x->planned = sub[j].bytes;
			x->remote = e->remote;
			x->sport = e->sub[j].sport;
			x->weight = e->sub[j].weight;
			sub_links(p->topo, f->src, f->dst, sub[j].path, x);
		}
		info->subflows += pf->n;
		hp->n++;
	}
	info->entries = hp->n;
	info->compute_ns = mono() - t0;
	*fsp = fs;
	*nfsp = nfs;
	fs = NULL;
	ret = 0;
out:
	if (ret) {
		fpd_hostplan_clear(hp);
		fpd_plan_info_free(info);
	}
	free(fs);
	free(cand);
	if (plan)
		fp_plan_free(plan);
	if (own)
		fp_sched_free(own);
	return ret;
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

/* The subflows of entry @g as sorted signatures; returns how many. */
static unsigned int sigs(const struct fpd_fsub *fs, size_t n, uint32_t g, struct psig *out)
{
	unsigned int k = 0;
	size_t i;

	for (i = 0; i < n && k < FP_MAX_SUBFLOWS; i++) {
		if (fs[i].entry != g)
			continue;
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

size_t fpd_hostplan_keep(struct fp_hostplan *next, struct fpd_fsub *next_fs,
			 size_t nnext_fs, const struct fp_hostplan *prev,
			 const struct fpd_fsub *prev_fs, size_t nprev_fs)
{
	struct psig a[FP_MAX_SUBFLOWS], b[FP_MAX_SUBFLOWS];
	size_t i = 0, k = 0, kept = 0;

	while (i < next->n && k < prev->n) {
		int d = key_cmp(&next->e[i], &prev->e[k]);
		unsigned int na, nb, j;

		if (d < 0) {
			i++;
			continue;
		}
		if (d > 0) {
			k++;
			continue;
		}
		na = sigs(next_fs, nnext_fs, (uint32_t)i, a);
		nb = sigs(prev_fs, nprev_fs, (uint32_t)k, b);
		if (na == nb && na == next->e[i].nsub && nb == prev->e[k].nsub &&
		    next->e[i].enforce == prev->e[k].enforce) {
			for (j = 0; j < na && !psig_cmp(&a[j], &b[j]); j++)
				;
			if (j == na) {
				size_t x;

				/* the watched subflows follow the labels kept */
				for (x = 0; x < nnext_fs; x++) {
					if (next_fs[x].entry != (uint32_t)i)
						continue;
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
		}
		i++;
		k++;
	}
	return kept;
}
