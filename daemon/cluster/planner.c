// SPDX-License-Identifier: MIT
/*
 * planner.c - the cluster's planner (planner.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>

#include "core/err.h"
#include "plan.h"
#include "planner.h"
#include "planner/plan.h"
#include "planner/portmap.h"
#include "planner/sched.h"
#include "planner/share.h"
#include "planner/topo.h"

#define JS_WRONG_LAST_SEQ	10071	/* JSStreamWrongLastSequenceErr */
#define HEADER_LEN		200	/* "flowplan-share 1\ngeneration N\n" and more */

struct fpc_host {
	const char *name;	/* the topology's */
	/* the share in the bucket */
	uint64_t rev, epoch;
	char *body;		/* the share's text after its generation line */
	size_t blen;
	/*
	 * The entries of that share in a compact binary form (entries()),
	 * when this planner wrote it; NULL when only its text is known (read
	 * from the bucket): then the text is compared.
	 */
	unsigned char *key;
	size_t klen;
	/* a write in flight */
	char *pend;
	size_t plen;
	unsigned char *pkey;
	size_t pklen;
	uint64_t pend_epoch;
	bool pending, reread;
	/* what the host publishes */
	struct fpd_cycle *cy;
	size_t ncy;
	struct fp_addr *down;	/* addresses of its ports that are down */
	size_t ndown;
	char *portmap;
	struct fpc_installed inst;
	bool seen, warned;
};

static void say(struct fpc_planner *p, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct fpc_planner *p, int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (p->ops->log)
		p->ops->log(p->arg, level, buf);
}

static void event(struct fpc_planner *p, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void event(struct fpc_planner *p, const char *kind, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (p->ops->event)
		p->ops->event(p->arg, kind, buf);
	else
		say(p, LOG_NOTICE, "%s: %s", kind, buf);
}

static uint64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* -------------------------------------------------------------- hosts */

static struct fpc_planner *sort_ctx;

static int name_cmp(const void *a, const void *b)
{
	return strcmp(sort_ctx->hosts[*(const size_t *)a].name,
		      sort_ctx->hosts[*(const size_t *)b].name);
}

static struct fpc_host *host_find(struct fpc_planner *p, const char *name)
{
	size_t lo = 0, hi = p->nhosts;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, p->hosts[p->by_name[mid]].name);

		if (!c)
			return &p->hosts[p->by_name[mid]];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The text after "flowplan-share 1\ngeneration N\n". */
static const char *share_body(const char *t, size_t len, size_t *blen)
{
	const char *a = memchr(t, '\n', len), *b;

	if (!a)
		return NULL;
	b = memchr(a + 1, '\n', len - (size_t)(a + 1 - t));
	if (!b)
		return NULL;
	*blen = len - (size_t)(b + 1 - t);
	return b + 1;
}

/* The epoch of a share's text ("generation N" on its second line), or 0. */
static uint64_t share_epoch(const char *t, size_t len)
{
	const char *a = memchr(t, '\n', len);
	char buf[40];
	size_t n;

	if (!a || (size_t)(a + 1 - t) + 11 > len || strncmp(a + 1, "generation ", 11))
		return 0;
	a += 12;
	n = (size_t)(t + len - a);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, a, n);
	buf[n] = 0;
	return strtoull(buf, NULL, 10);
}

/* What the bucket holds for @h (read or written). */
static void host_stored(struct fpc_host *h, uint64_t rev, const char *t, size_t len)
{
	const char *b;
	size_t bl = 0;

	h->rev = rev;
	h->epoch = share_epoch(t, len);
	free(h->key);
	h->key = NULL;
	h->klen = 0;
	free(h->body);
	h->body = NULL;
	h->blen = 0;
	b = share_body(t, len, &bl);
	if (b)
		h->body = malloc(bl + 1);
	if (b && h->body) {
		memcpy(h->body, b, bl);
		h->body[bl] = 0;
		h->blen = bl;
	}
}

static void host_clear_obs(struct fpc_host *h)
{
	fpc_cycles_free(h->cy, h->ncy);
	h->cy = NULL;
	h->ncy = 0;
	free(h->down);
	h->down = NULL;
	h->ndown = 0;
	free(h->portmap);
	h->portmap = NULL;
}

/* -------------------------------------------------------- observations */

static void obs(struct fpc_planner *p, const char *subject, const char *data, size_t len)
{
	struct fp_err err = { "" };
	char name[FPC_NAME_MAX + 1];
	enum fpc_obs_kind k;
	struct fpc_host *h;

	if (!fpc_subj_obs_parse(p->nm, subject, name, sizeof(name), &k))
		return;
	h = host_find(p, name);
	if (!h) {
		p->obs_bad++;
		say(p, LOG_DEBUG, "%s: no host %s in the fabric", subject, name);
		return;
	}
	h->seen = true;
	switch (k) {
	case FPC_OBS_CYCLES: {
		struct fpd_cycle *cy;
		size_t n;

		if (fpc_cycles_decode(data, len, &cy, &n, &err))
			break;
		fpc_cycles_free(h->cy, h->ncy);
		h->cy = cy;
		h->ncy = n;
		if (!p->fixed) {
			p->sched_dirty = true;
			fpc_planner_request(p, "a host's cycles changed");
		}
		return;
	}
	case FPC_OBS_LINKS: {
		struct fpc_port *pt;
		size_t n, i, k2, nd = 0;
		struct fp_addr *down;

		if (fpc_links_decode(data, len, &pt, &n, &err))
			break;
		down = calloc(n * 8 + 1, sizeof(*down));
		if (!down) {
			free(pt);
			return;
		}
		for (i = 0; i < n; i++)
			for (k2 = 0; !pt[i].up && k2 < pt[i].naddrs; k2++)
				down[nd++] = pt[i].addrs[k2];
		free(pt);
		if (nd == h->ndown && (!nd || !memcmp(down, h->down, nd * sizeof(*down)))) {
			free(down);
			return;
		}
		free(h->down);
		h->down = down;
		h->ndown = nd;
		fpc_planner_request(p, "a host's link changed");
		return;
	}
	case FPC_OBS_PORTMAP: {
		char *t = malloc(len + 2);

		if (!t)
			return;
		memcpy(t, data, len);
		t[len] = '\n';
		t[len + 1] = 0;
		if (h->portmap && !strcmp(h->portmap, t)) {
			free(t);
			return;
		}
		free(h->portmap);
		h->portmap = t;
		p->pm_dirty = true;
		fpc_planner_request(p, "a host's port map changed");
		return;
	}
	case FPC_OBS_INSTALLED:
		if (fpc_installed_decode(data, len, &h->inst, &err))
			break;
		return;
	case FPC_OBS_COUNTERS:
	case FPC_OBS_KINDS:
		return;
	}
	p->obs_bad++;
	say(p, LOG_WARNING, "%s: %s", subject, err.msg);
}

static void on_fabric(struct fpc_planner *p, const char *subject, const char *data, size_t len)
{
	struct fp_err err = { "" };
	struct fpc_fablink l;
	int a, b, link;

	if (fpc_fablink_decode(data, len, &l, &err)) {
		p->obs_bad++;
		say(p, LOG_WARNING, "%s: %s", subject, err.msg);
		return;
	}
	a = fp_topo_find(p->topo, l.a);
	b = fp_topo_find(p->topo, l.b);
	link = a >= 0 && b >= 0 ? fp_topo_link(p->topo, a, b) : -1;
	if (link < 0) {
		p->obs_bad++;
		say(p, LOG_WARNING, "%s: no link %s-%s in the fabric", subject, l.a, l.b);
		return;
	}
	if (p->fab_down[link / 2] == !l.up)
		return;
	p->fab_down[link / 2] = !l.up;
	event(p, l.up ? "link-up" : "link-down", "fabric link %s-%s", l.a, l.b);
	fpc_planner_request(p, l.up ? "a fabric link came up" : "a fabric link went down");
}

static void on_msg(void *arg, natsMsg *m)
{
	struct fpc_planner *p = arg;
	const char *s = natsMsg_GetSubject(m);
	size_t pl = strlen(p->nm->prefix);

	if (!strncmp(s, p->nm->prefix, pl) && !strncmp(s + pl, ".fabric.", 8))
		on_fabric(p, s, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
	else
		obs(p, s, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
}

/*
 * The last message of every subject of @filter in @stream, oldest first,
 * to @fn: an ordered consumer read until nothing is pending.
 */
static int snapshot(struct fpc_planner *p, const char *stream, const char *filter,
		    void (*fn)(struct fpc_planner *, natsMsg *), struct fp_err *err)
{
	jsSubOptions so;
	natsSubscription *sub = NULL;
	jsConsumerInfo *ci = NULL;
	natsStatus s;
	uint64_t left;
	int ret = 0;

	jsSubOptions_Init(&so);
	so.Stream = stream;
	so.Ordered = true;
	so.Config.DeliverPolicy = js_DeliverLastPerSubject;
	s = js_SubscribeSync(&sub, fpc_bus_js(p->bus), filter, NULL, &so, NULL);
	if (s == NATS_OK)
		s = natsSubscription_GetConsumerInfo(&ci, sub, NULL, NULL);
	if (s != NATS_OK) {
		ret = fpc_nats_err(err, s, filter);
		goto out;
	}
	/* pushed already (delivered) or still to come (pending): read until the
	 * last one says nothing is pending after it
	 */
	left = ci->NumPending + ci->Delivered.Consumer;
	jsConsumerInfo_Destroy(ci);
	while (left) {
		natsMsg *m = NULL;
		jsMsgMetaData *md = NULL;

		s = natsSubscription_NextMsg(&m, sub, fpc_bus_timeout(p->bus));
		if (s != NATS_OK) {
			ret = fpc_nats_err(err, s, filter);
			break;
		}
		if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
			left = md->NumPending;
			jsMsgMetaData_Destroy(md);
		} else {
			left--;
		}
		fn(p, m);
		natsMsg_Destroy(m);
	}
out:
	if (sub) {
		natsSubscription_Unsubscribe(sub);
		natsSubscription_Destroy(sub);
	}
	return ret;
}

static void snap_obs(struct fpc_planner *p, natsMsg *m)
{
	on_msg(p, m);
}

static void snap_share(struct fpc_planner *p, natsMsg *m)
{
	char name[FPC_NAME_MAX + 1];
	jsMsgMetaData *md = NULL;
	struct fpc_host *h;

	if (!fpc_subj_host(p->nm, natsMsg_GetSubject(m), name, sizeof(name)))
		return;
	h = host_find(p, name);
	if (!h || natsMsg_GetMetaData(&md, m) != NATS_OK)
		return;
	host_stored(h, md->Sequence.Stream, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
	jsMsgMetaData_Destroy(md);
}

/* Bucket and stream, created when missing; the state read. */
static int setup(struct fpc_planner *p, struct fp_err *err)
{
	char subj[2][96], rsrc[96], rdst[96];
	const char *subjs[2] = { subj[0], subj[1] };
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	jsRePublish rp;
	jsErrCode jerr = 0;
	kvConfig kc;
	natsStatus s;
	int ret;

	if (!p->kv) {
		snprintf(rsrc, sizeof(rsrc), "$KV.%s.plan.>", p->nm->bucket);
		snprintf(rdst, sizeof(rdst), "%s.plan.>", p->nm->prefix);
		memset(&rp, 0, sizeof(rp));
		rp.Source = rsrc;
		rp.Destination = rdst;
		kvConfig_Init(&kc);
		kc.Bucket = p->nm->bucket;
		kc.Description = "flowplan: every host's share of the plan, and the planner lease";
		kc.History = 1;
		kc.Replicas = (int)p->o.replicas;
		kc.StorageType = js_FileStorage;
		kc.RePublish = &rp;
		s = js_CreateKeyValue(&p->kv, fpc_bus_js(p->bus), &kc);
		if (s != NATS_OK) {
			struct fp_err e2 = { "" };

			fpc_nats_err(&e2, s, "creating the bucket");
			s = js_KeyValue(&p->kv, fpc_bus_js(p->bus), p->nm->bucket);
			if (s != NATS_OK)
				return fp_fail(err, EIO, "%s", e2.msg);
			say(p, LOG_WARNING, "%s; using the bucket as it is", e2.msg);
		}
	}
	snprintf(subj[0], sizeof(subj[0]), "%s.obs.>", p->nm->prefix);
	snprintf(subj[1], sizeof(subj[1]), "%s.fabric.>", p->nm->prefix);
	jsStreamConfig_Init(&sc);
	sc.Name = p->nm->obs_stream;
	sc.Description = "flowplan: the latest observation of each kind of each host";
	sc.Subjects = subjs;
	sc.SubjectsLen = 2;
	sc.MaxMsgsPerSubject = 1;
	sc.Storage = js_FileStorage;
	sc.Replicas = (int)p->o.replicas;
	sc.AllowDirect = true;
	s = js_AddStream(&si, fpc_bus_js(p->bus), &sc, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	if (s != NATS_OK && jerr != JSStreamNameExistErr)
		return fpc_nats_err(err, s, "creating the observation stream");
	/* what happened while we were away */
	ret = snapshot(p, p->nm->obs_stream, subj[0], snap_obs, err);
	if (!ret)
		ret = snapshot(p, p->nm->obs_stream, subj[1], snap_obs, err);
	if (ret)
		return ret;
	p->ready = true;
	return 0;
}

/* ------------------------------------------------------------ planning */

static struct fp_sched *observed(struct fpc_planner *p)
{
	struct fp_sched *s = calloc(1, sizeof(*s));
	size_t h, i, k, f, nph = 0;

	if (!s)
		return NULL;
	s->name = strdup("cluster");
	for (h = 0; h < p->nhosts; h++)
		for (i = 0; i < p->hosts[h].ncy; i++)
			if (p->hosts[h].cy[i].nph > nph)
				nph = p->hosts[h].cy[i].nph;
	/* phase k: phase k (cyclically) of every job of every host */
	for (k = 0; k < nph; k++) {
		for (h = 0; h < p->nhosts; h++) {
			const struct fpc_host *ho = &p->hosts[h];

			for (i = 0; i < ho->ncy; i++) {
				const struct fpd_cycle *c = &ho->cy[i];
				const struct fpd_cphase *ph = &c->ph[k % c->nph];
				char job[FPC_NAME_MAX + 32];
				int j;

				/* a communicator is one job across hosts; a process is its host's */
				if (c->job & 0x80000000u)
					snprintf(job, sizeof(job), "%s/pid%u", ho->name,
						 c->job & 0x7fffffffu);
				else
					snprintf(job, sizeof(job), "comm%u", c->job);
				j = fp_sched_job(s, job);
				for (f = 0; f < ph->n; f++) {
					int a = fp_topo_find_ip(p->topo, &ph->f[f].src);
					int b = fp_topo_find_ip(p->topo, &ph->f[f].dst);

					/* only what the host sends: each flow once */
					if (a < 0 || b < 0 || a == b ||
					    p->topo->nodes[a].host != (int)h || !ph->f[f].bytes)
						continue;
					fp_sched_add(s, k, a, b, ph->f[f].bytes * ph->steps, j);
				}
			}
		}
	}
	return s;
}

/* The links that should be down: marked on the bus, or a host's port. */
static void wanted_down(struct fpc_planner *p, unsigned char *down)
{
	size_t h, i;

	memcpy(down, p->fab_down, p->nlinks);
	for (h = 0; h < p->nhosts; h++) {
		for (i = 0; i < p->hosts[h].ndown; i++) {
			int nic = fp_topo_find_ip(p->topo, &p->hosts[h].down[i]);

			if (nic >= 0 && p->topo->nodes[nic].up_link >= 0)
				down[p->topo->nodes[nic].up_link / 2] = 1;
		}
	}
}

/*
 * Is port map line @ln (@len bytes) a row whose path crosses a switch link
 * that is down (every link between two of its hops down)? Anything else,
 * a line the reader will refuse included, is for the reader to judge.
 */
static bool row_over_down(const struct fp_topo *t, const char *ln, size_t len)
{
	char buf[1200], sa[64], da[64], sp[16], path[1024], *save = NULL, *tok;
	int prev = -1;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, ln, len);
	buf[len] = 0;
	if (sscanf(buf, "%63s %63s %15s %1023s", sa, da, sp, path) != 4 || sa[0] == '#')
		return false;
	for (tok = strtok_r(path, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int n = fp_topo_find(t, tok), k;
		bool any = false, live = false;

		if (n < 0 || t->nodes[n].is_nic)
			return false;
		for (k = 0; prev >= 0 && k < t->nodes[prev].out_n; k++) {
			const struct fp_link *l = &t->links[t->out[t->nodes[prev].out_off + k]];

			if (l->to == n) {
				any = true;
				live |= l->up;
			}
		}
		if (any && !live)
			return true;
		prev = n;
	}
	return false;
}

/* Append the lines of @text to @w, but the rows over links down; the end. */
static char *pm_append(const struct fp_topo *t, char *w, const char *text, size_t *left_out)
{
	const char *ln, *nl;

	for (ln = text; *ln; ln = nl ? nl + 1 : ln + strlen(ln)) {
		size_t len;

		nl = strchr(ln, '\n');
		len = nl ? (size_t)(nl - ln) : strlen(ln);
		if (row_over_down(t, ln, len)) {
			(*left_out)++;
			continue;
		}
		memcpy(w, ln, len);
		w += len;
		*w++ = '\n';
	}
	return w;
}

/*
 * The port map: the planner's own and the hosts', read against the
 * topology as it is now. Its rows number the live paths of their pairs,
 * which move whenever a switch link changes state (the topology's
 * paths_gen): read again before each plan after such a change
 * (pm_current()). Rows whose path crosses a link that is down are left out
 * (daemon/plan.c's reader does the same): the ports the probes learned on
 * it come back when the link does.
 */
static int merge_portmaps(struct fpc_planner *p, struct fp_err *err)
{
	size_t h, len = 0, texts = 1, left_out = 0;
	char *t, *w;
	int ret;

	if (p->pm) {
		fp_portmap_free(p->pm);
		p->pm = NULL;
	}
	p->pm_dirty = false;
	len = p->pm_own ? strlen(p->pm_own) + 1 : 0;
	for (h = 0; h < p->nhosts; h++) {
		len += p->hosts[h].portmap ? strlen(p->hosts[h].portmap) : 0;
		texts += p->hosts[h].portmap != NULL;
	}
	if (!len)
		return 0;
	t = malloc(len + texts + 32);	/* a newline more at the end of each text */
	if (!t)
		return fp_fail(err, ENOMEM, "out of memory");
	w = t + sprintf(t, "# flowplan-portmap 1\n");
	if (p->pm_own)
		w = pm_append(p->topo, w, p->pm_own, &left_out);
	for (h = 0; h < p->nhosts; h++)
		if (p->hosts[h].portmap)
			w = pm_append(p->topo, w, p->hosts[h].portmap, &left_out);
	*w = 0;
	if (left_out)
		say(p, LOG_DEBUG, "port map: %zu rows over links that are down left out", left_out);
	ret = fp_portmap_parse(t, "the hosts' port maps", p->topo, &p->pm, err);
	free(t);
	return ret;
}

/* The port map read for the links as they are now (merge_portmaps()). */
static int pm_current(struct fpc_planner *p, struct fp_err *err)
{
	if (p->pm_dirty || (p->pm && p->pm->paths_gen != p->topo->paths_gen))
		return merge_portmaps(p, err);
	return 0;
}

/*
 * A full plan that keeps what it need not move ("restore": a link came
 * back, or a host's port did). A link coming up changes every ECMP group it
 * joins, and the new plan from scratch is balanced anew everywhere: its
 * flow labels differ for almost every flow even where the paths do not
 * (the methods number them as they go), so taken whole it rewrites nearly
 * every share. Instead, per phase, each flow keeps its subflows of the
 * plan before when they still hold: a flow within a host or a leaf (any
 * label takes the one path), or between leaves when the hash model still
 * routes each of its ports over the same links as before (no port map:
 * where one is learned, its ports are the new plan's); every other flow
 * takes the new plan's subflows. The phase so stitched is taken only when
 * its busiest link is no more loaded than the new plan's (the bound the
 * planner reaches is reached all the same); otherwise the new plan's phase
 * is taken whole.
 */
struct oldpaths {
	struct fp_path *path;	/* per subflow of the plan before: the links it took */
};

/* The links each subflow of @old takes, before the topology changes. */
static struct oldpaths *old_paths(struct fpc_planner *p, const struct fp_plan *old)
{
	struct fp_topo *t = p->topo;
	struct oldpaths *op = calloc(old->nph + 1, sizeof(*op));
	size_t i, j, k;

	if (!op)
		return NULL;
	for (i = 0; i < old->nph; i++) {
		const struct fp_plan_phase *pp = &old->ph[i];
		const struct fp_phase *ph = &old->sched->ph[i];

		op[i].path = calloc(pp->nsubs + 1, sizeof(*op[i].path));
		if (!op[i].path)
			goto bad;
		for (j = 0; j < ph->n; j++) {
			const struct fp_flow *f = &ph->flows[j];
			struct fp_pathset ps;

			if (t->nodes[f->src].host == t->nodes[f->dst].host || !pp->flows[j].n)
				continue;
			ps = fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
			for (k = 0; k < pp->flows[j].n; k++) {
				size_t x = pp->flows[j].first + k;

				if (pp->subs[x].path < ps.n)
					op[i].path[x] = ps.p[pp->subs[x].path];
			}
		}
	}
	return op;
bad:
	for (i = 0; i < old->nph; i++)
		free(op[i].path);
	free(op);
	return NULL;
}

static void old_paths_free(struct oldpaths *op, size_t nph)
{
	size_t i;

	for (i = 0; op && i < nph; i++)
		free(op[i].path);
	free(op);
}

/* The index in @ps of a path with the links of @want, or -1. */
static int same_path(const struct fp_pathset *ps, const struct fp_path *want)
{
	int i;

	for (i = 0; i < ps->n; i++)
		if (ps->p[i].len == want->len &&
		    !memcmp(ps->p[i].link, want->link, sizeof(want->link[0]) * want->len))
			return i;
	return -1;
}

/* Can flow @j of phase @i keep its subflows of @old? Their new path indices into @idx. */
static bool keeps(struct fpc_planner *p, const struct fp_plan *old, const struct oldpaths *op,
		  const struct fp_plan *np, size_t i, size_t j, int *idx)
{
	struct fp_topo *t = p->topo;
	const struct fp_flow *f = &old->sched->ph[i].flows[j];
	const struct fp_plan_flow *of = &old->ph[i].flows[j];
	struct fp_pathset ps;
	size_t k;

	if (!of->n || !np->ph[i].flows[j].n)
		return false;	/* it could not run before, or cannot now */
	if (t->nodes[f->src].host == t->nodes[f->dst].host ||
	    t->nodes[f->src].leaf == t->nodes[f->dst].leaf) {
		for (k = 0; k < of->n; k++)
			idx[k] = old->ph[i].subs[of->first + k].path;
		return true;
	}
	if (p->pm)
		return false;
	ps = fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
	for (k = 0; k < of->n; k++) {
		const struct fp_plan_subflow *s = &old->ph[i].subs[of->first + k];
		const struct fp_path *want = &op[i].path[of->first + k];
		int r;

		if (!s->flow_label || !want->len)
			return false;
		r = fp_topo_route(t, f->src, f->dst, s->sport);
		if (r < 0 || r >= ps.n || ps.p[r].len != want->len ||
		    memcmp(ps.p[r].link, want->link, sizeof(want->link[0]) * want->len))
			return false;
		idx[k] = same_path(&ps, want);
		if (idx[k] < 0)
			return false;
	}
	return true;
}

/* Stitch @np from @old where it holds (above); the flows kept and taken new. */
static int stitch(struct fpc_planner *p, const struct fp_plan *old, const struct oldpaths *op,
		  struct fp_plan *np, size_t *kept, size_t *moved, struct fp_err *err)
{
	struct fp_topo *t = p->topo;
	size_t i, j, k;

	*kept = *moved = 0;
	for (i = 0; i < np->nph; i++) {
		struct fp_plan_phase *pp = &np->ph[i];
		const struct fp_phase *ph = &np->sched->ph[i];
		struct fp_plan_subflow *subs;
		struct fp_plan_flow *fl;
		size_t n = 0, cap = 0, nk = 0, nm = 0;
		double before = pp->max_load, lb = pp->lower_bound;
		int idx[64];

		for (j = 0; j < ph->n; j++)
			cap += old->ph[i].flows[j].n > pp->flows[j].n ? old->ph[i].flows[j].n :
			       pp->flows[j].n;
		subs = calloc(cap + 1, sizeof(*subs));
		fl = calloc(ph->n + 1, sizeof(*fl));
		if (!subs || !fl) {
			free(subs);
			free(fl);
			return fp_fail(err, ENOMEM, "out of memory");
		}
		for (j = 0; j < ph->n; j++) {
			const struct fp_plan_flow *of = &old->ph[i].flows[j];
			bool keep = of->n <= 64 && keeps(p, old, op, np, i, j, idx);

			fl[j].first = (uint32_t)n;
			if (keep) {
				for (k = 0; k < of->n; k++) {
					subs[n] = old->ph[i].subs[of->first + k];
					subs[n++].path = (uint16_t)idx[k];
				}
				fl[j].n = of->n;
				nk++;
			} else {
				memcpy(&subs[n], &pp->subs[pp->flows[j].first],
				       pp->flows[j].n * sizeof(*subs));
				n += pp->flows[j].n;
				fl[j].n = pp->flows[j].n;
				nm += pp->flows[j].n > 0;
			}
		}
		{
			struct fp_plan_phase trial = *pp;
			double *lbytes = calloc((size_t)t->nlinks + 1, sizeof(double));

			if (!lbytes) {
				free(subs);
				free(fl);
				return fp_fail(err, ENOMEM, "out of memory");
			}
			trial.flows = fl;
			trial.subs = subs;
			trial.nsubs = n;
			trial.cap = cap + 1;
			trial.link_bytes = lbytes;
			fp_plan_account(t, ph, &trial);
			/* as good as planning anew (a hair of rounding allowed) */
			if (trial.max_load <= (before > lb ? before : lb) * (1 + 1e-9)) {
				free(pp->flows);
				free(pp->subs);
				free(pp->link_bytes);
				*pp = trial;
				*kept += nk;
				*moved += nm;
				continue;
			}
			free(lbytes);
			free(subs);
			free(fl);
			for (j = 0; j < ph->n; j++)
				*moved += pp->flows[j].n > 0;
		}
	}
	return 0;
}

/*
 * Plan from scratch with the links of @down down; with @restore, keep of
 * the plan before what need not move (above).
 */
static int compute(struct fpc_planner *p, const unsigned char *down, bool restore,
		   struct fp_err *err)
{
	/* a flow that cannot run leaves the plan (listed), not the rest */
	struct fp_plan_opts o = {
		.strategy = FP_STRAT_FLOWPLAN, .max_split = (int)p->o.max_split,
		.enforce = p->o.enforce, .partial = true,
	};
	struct fp_sched *s = NULL;
	struct fp_plan *plan = NULL, *old = NULL;
	struct oldpaths *op = NULL;
	size_t i, flows = 0, kept = 0, moved = 0;
	int ret;

	if (restore && p->plan && !p->sched_dirty && !p->pm_dirty)
		op = old_paths(p, p->plan);
	if (op)
		old = p->plan;
	else if (p->plan)
		fp_plan_free(p->plan);
	p->plan = NULL;
	for (i = 0; i < p->nlinks; i++)
		if (p->topo->links[2 * i].up == !!down[i])
			fp_topo_link_set(p->topo, (int)(2 * i), !down[i]);
	memcpy(p->plan_down, down, p->nlinks);
	/* read for the links now: a restore's link back renumbers the paths too */
	ret = old ? pm_current(p, err) : merge_portmaps(p, err);
	if (ret)
		goto out;
	o.pm = p->pm;
	/* the schedule the plan before was made for, unless it changed */
	if (!p->fixed && (!old || !p->sched)) {
		s = observed(p);
		if (!s) {
			ret = fp_fail(err, ENOMEM, "out of memory");
			goto out;
		}
		if (p->sched)
			fp_sched_free(p->sched);
		p->sched = s;
	}
	s = p->fixed ? p->fixed : p->sched;
	p->sched_dirty = false;
	for (i = 0; i < s->nph; i++)
		flows += s->ph[i].n;
	if (!flows) {
		ret = fp_fail(err, ENODATA, "nothing to plan: %s", p->fixed ?
			      "the schedule has no flow" : "no host has published a cycle");
		goto out;
	}
	ret = fp_plan_compute(p->topo, s, &o, &plan, err);
	if (ret)
		goto out;
	if (old && old->sched == s && old->nph == plan->nph) {
		ret = stitch(p, old, op, plan, &kept, &moved, err);
		/* the replies follow the subflows kept, on their labels before where they hold */
		if (!ret)
			ret = fp_plan_reverse(plan, p->pm, old, err);
		if (ret) {
			fp_plan_free(plan);
			goto out;
		}
		say(p, LOG_INFO, "restore: %zu flows kept their subflows, %zu planned anew",
		    kept, moved);
	}
	p->plan = plan;
out:
	if (old) {
		old_paths_free(op, old->nph);
		fp_plan_free(old);
	}
	return ret;
}

/* Only links went down since the plan: repair it. ENOENT-ish: compute. */
static int plan_repair(struct fpc_planner *p, const unsigned char *down, struct fp_err *err)
{
	struct fp_plan_repair_opts ro = { .max_split = (int)p->o.max_split, .pm = p->pm };
	struct fp_plan_repair_stats st;
	int *links;
	size_t i, n = 0;
	int ret;

	/* read for the links before this failure: not ESTALE after a repair before */
	ret = pm_current(p, err);
	if (ret)
		return ret;
	ro.pm = p->pm;
	links = calloc(p->nlinks + 1, sizeof(*links));
	if (!links)
		return fp_fail(err, ENOMEM, "out of memory");
	for (i = 0; i < p->nlinks; i++)
		if (down[i] && !p->plan_down[i])
			links[n++] = (int)(2 * i);
	ret = fp_plan_repair(p->plan, links, n, &ro, &st, err);
	free(links);
	memcpy(p->plan_down, down, p->nlinks);
	if (!ret)
		say(p, LOG_INFO, "repair: %zu subflows moved, %zu relabelled, %zu flows dropped",
		    st.moved, st.relabelled, st.dropped);
	return ret;
}

/* A growing byte buffer. */
struct kbuf {
	unsigned char *b;
	size_t n, cap;
	bool bad;
};

static void kput(struct kbuf *k, const void *v, size_t n)
{
	if (k->bad)
		return;
	if (k->n + n > k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 256;
		unsigned char *b;

		while (cap < k->n + n)
			cap *= 2;
		b = realloc(k->b, cap);
		if (!b) {
			k->bad = true;
			return;
		}
		k->b = b;
		k->cap = cap;
	}
	memcpy(k->b + k->n, v, n);
	k->n += n;
}

/*
 * Host @i's entries in @p, as the share writer takes them (its NICs in
 * address order, each NIC's entries as fp_plan_nic_entries gives them),
 * every field the share's text shows, in binary: equal bytes, equal share
 * text (but for the generation). Costs what the host has, where the text
 * costs a pass over every address of the fabric: so only the shares whose
 * entries changed are written out as text.
 */
static int entries(struct fpc_planner *p, size_t i, struct kbuf *k, struct fp_err *err)
{
	struct fp_hostplan *hp = &p->scratch;
	uint8_t en = p->plan->enforce;
	size_t a, e;
	unsigned int j;
	int ret;

	k->n = 0;
	k->bad = false;
	kput(k, &en, 1);
	for (a = p->nic_off[i]; a < p->nic_off[i + 1]; a++) {
		int nic = p->nics[a];

		hp->n = 0;
		ret = fp_plan_nic_entries(p->plan, nic, hp, err);
		if (ret)
			return ret;
		if (!hp->n)
			continue;
		kput(k, &nic, sizeof(nic));
		kput(k, &hp->n, sizeof(hp->n));
		for (e = 0; e < hp->n; e++) {
			const struct fp_hostplan_entry *x = &hp->e[e];
			uint8_t xe = x->enforce;

			kput(k, &x->local, sizeof(x->local));
			kput(k, &x->remote, sizeof(x->remote));
			kput(k, &x->dqpn, sizeof(x->dqpn));
			kput(k, &xe, 1);
			kput(k, &x->nsub, sizeof(x->nsub));
			for (j = 0; j < x->nsub; j++) {
				kput(k, &x->sub[j].flow_label, sizeof(x->sub[j].flow_label));
				kput(k, &x->sub[j].weight, sizeof(x->sub[j].weight));
			}
		}
	}
	if (k->bad)
		return fp_fail(err, ENOMEM, "out of memory");
	return 0;
}

static unsigned char *kdup(const struct kbuf *k)
{
	unsigned char *b = malloc(k->n ? k->n : 1);

	if (b)
		memcpy(b, k->b, k->n);
	return b;
}

/*
 * Write every share that changed, at epoch @epoch; wait for the acks. All
 * of them are encoded and compared first, then published at once without
 * waiting (JetStream's asynchronous publish: the acks come back pipelined),
 * then the acks are waited for together.
 */
static int write_shares(struct fpc_planner *p, uint64_t epoch, struct fpc_replan *r,
			struct fp_err *err)
{
	struct fpc_host *h;
	char subj[160], *t = NULL;
	size_t i, len = 0, sent = 0, changed = 0;
	uint64_t t1 = fpd_now(), t2;
	struct kbuf k = { 0 };
	int ret = 0;

	p->plan->generation = epoch;
	for (i = 0; i < p->nhosts; i++) {
		const char *b;
		size_t bl = 0;
		FILE *f;

		h = &p->hosts[i];
		free(h->pend);
		h->pend = NULL;
		free(h->pkey);
		h->pkey = NULL;
		ret = entries(p, i, &k, err);
		if (ret)
			goto out;
		if (h->key && h->klen == k.n && !memcmp(h->key, k.b, k.n))
			continue;	/* the same entries as written: nothing to encode */
		f = open_memstream(&t, &len);
		if (!f) {
			ret = fp_fail(err, ENOMEM, "out of memory");
			goto out;
		}
		ret = fp_share_write(f, p->plan, (int)i, err);
		if (fclose(f) && !ret)
			ret = fp_fail(err, EIO, "writing a share: %s", strerror(errno));
		if (ret) {
			free(t);
			goto out;
		}
		b = share_body(t, len, &bl);
		if (b && h->body && bl == h->blen && !memcmp(b, h->body, bl)) {
			/* the same entries (read from the bucket): the host keeps its epoch */
			free(t);
			t = NULL;
			free(h->key);
			h->key = kdup(&k);
			h->klen = h->key ? k.n : 0;
			continue;
		}
		h->pend = t;
		h->plen = len;
		h->pkey = kdup(&k);
		h->pklen = h->pkey ? k.n : 0;
		t = NULL;
		changed++;
	}
	t2 = fpd_now();
	r->encode_us = (t2 - t1) / 1000u;
	r->changed = changed;
	for (i = 0; changed && i < p->nhosts; i++) {
		h = &p->hosts[i];
		if (!h->pend)
			continue;
		fpc_subj_key(p->nm, h->name, subj, sizeof(subj));
		ret = fpc_bus_jspub(p->bus, subj, h->pend, h->plen, &h->rev, err);
		if (ret)
			break;
		h->pend_epoch = epoch;
		h->pending = true;
		sent++;
	}
	r->hosts = p->nhosts;
	/* an epoch written anywhere (even if its ack was lost) is never used again */
	if (sent)
		p->n = FPC_EPOCH_N(epoch);
	if (sent) {
		struct fp_err e2 = { "" };
		int w = fpc_bus_jswait(p->bus, 4 * fpc_bus_timeout(p->bus), &e2);

		if (w && !ret)
			ret = fp_fail(err, w, "%s", e2.msg);
	}
	r->put_us = (fpd_now() - t2) / 1000u;
	/* what did not come back as stored is read again */
	for (i = 0; i < p->nhosts; i++) {
		h = &p->hosts[i];
		if (h->pending) {
			h->pending = false;
			h->reread = true;
		}
		if (h->pend && h->epoch == epoch) {
			r->written++;
			r->bytes += h->plen;
		}
		free(h->pend);
		h->pend = NULL;
		free(h->pkey);
		h->pkey = NULL;
	}
	free(k.b);
	return ret;
out:
	for (i = 0; i < p->nhosts; i++) {
		free(p->hosts[i].pend);
		p->hosts[i].pend = NULL;
		free(p->hosts[i].pkey);
		p->hosts[i].pkey = NULL;
	}
	free(k.b);
	return ret;
}

/* Read back the shares whose write was refused or not acked. */
static void reread(struct fpc_planner *p)
{
	struct fp_err err = { "" };
	char subj[160];
	size_t i;

	for (i = 0; i < p->nhosts; i++) {
		struct fpc_host *h = &p->hosts[i];
		natsMsg *m = NULL;
		const char *seq;
		int ret;

		if (!h->reread)
			continue;
		ret = fpc_bus_last(p->bus, p->nm->kv_stream,
				   fpc_subj_key(p->nm, h->name, subj, sizeof(subj)), &m, &err);
		if (ret == ENOENT) {
			h->reread = false;
			h->rev = 0;
			continue;
		}
		if (ret) {
			say(p, LOG_WARNING, "reading back the share of %s: %s", h->name, err.msg);
			continue;
		}
		h->reread = false;
		seq = fpc_msg_header(m, "Nats-Sequence");
		host_stored(h, seq ? strtoull(seq, NULL, 10) : 0, natsMsg_GetData(m),
			    (size_t)natsMsg_GetDataLength(m));
		natsMsg_Destroy(m);
		if (FPC_EPOCH_TERM(h->epoch) > p->lease.term) {
			event(p, "lease", "the share of %s has epoch %" PRIu64 " of term %u, after ours (%u): another planner is active, standing by",
			      h->name, h->epoch, FPC_EPOCH_TERM(h->epoch), p->lease.term);
			fpc_lease_lost(&p->lease);
			p->active = false;
		}
	}
}

/*
 * The plan for the links wanted down now (@full: from scratch), its method
 * in @r->method: restore, full, repair or none.
 */
static int plan_now(struct fpc_planner *p, bool full, struct fpc_replan *r, struct fp_err *err)
{
	unsigned char *down;
	bool links_up = false, links_down = false;
	size_t i;
	int ret;

	down = calloc(p->nlinks + 1, 1);
	if (!down)
		return fp_fail(err, ENOMEM, "out of memory");
	wanted_down(p, down);
	for (i = 0; i < p->nlinks; i++) {
		links_up |= p->plan_down[i] && !down[i];
		links_down |= down[i] && !p->plan_down[i];
	}
	if (!full && p->plan && !p->sched_dirty && !p->pm_dirty && links_up) {
		/* a link came back: planned anew, but only what must move moves */
		snprintf(r->method, sizeof(r->method), "restore");
		ret = compute(p, down, true, err);
	} else if (full || !p->plan || p->sched_dirty || p->pm_dirty || links_up) {
		snprintf(r->method, sizeof(r->method), "full");
		ret = compute(p, down, false, err);
	} else if (links_down) {
		snprintf(r->method, sizeof(r->method), "repair");
		ret = plan_repair(p, down, err);
		if (ret) {
			say(p, LOG_INFO, "repair: %s; planning from scratch", err->msg);
			snprintf(r->method, sizeof(r->method), "full");
			ret = compute(p, down, false, err);
		}
	} else {
		snprintf(r->method, sizeof(r->method), "none");
		ret = 0;
	}
	free(down);
	return ret;
}

/*
 * What a re-plan stored: its shares written (and those not stored), none
 * changed, or none of those that changed stored (@error: why, when the
 * writes failed). A share not stored still differs from what the planner
 * knows the bucket holds, so the next re-plan writes it again.
 */
static void say_written(struct fpc_planner *p, const char *why, const struct fpc_replan *r,
			const char *error)
{
	uint64_t lost = r->changed - r->written;

	if (r->written)
		event(p, "replan", "%s (%s): epoch %" PRIu64 ", %" PRIu64 " of %" PRIu64
		      " shares written (%" PRIu64 " bytes) in %.1f ms%s", why, r->method, r->epoch,
		      r->written, r->hosts, r->bytes, r->wall_us / 1e3,
		      lost ? "; others not stored" : "");
	if (r->written && lost)
		say(p, LOG_WARNING, "re-plan (%s, %s): %" PRIu64 " of %" PRIu64 " changed shares not stored%s%s%s: written again at the next re-plan",
		    why, r->method, lost, r->changed, error ? " (" : "", error ? error : "",
		    error ? ")" : "");
	else if (!r->written && r->changed)
		say(p, LOG_WARNING, "re-plan (%s, %s): %" PRIu64 " shares changed, none stored%s%s%s: epoch stays %" PRIu64 ", written again at the next re-plan",
		    why, r->method, r->changed, error ? " (" : "", error ? error : "",
		    error ? ")" : "", r->epoch);
	else if (!r->written)
		say(p, LOG_INFO, "re-plan (%s, %s): no share changed", why, r->method);
}

/* The plan's flows that cannot run: kept for the status, counted in @r, logged. */
static int say_unroutable(struct fpc_planner *p, struct fpc_replan *r, struct fp_err *err)
{
	struct fpd_unroutable *u;
	char line[480];
	size_t i, flows = 0;
	int ret = fpd_unroutable_list(p->plan, &u, err);

	if (ret)
		return ret;
	free(p->unroutable);
	p->unroutable = u;
	r->unroutable = p->plan->nunroutable;
	if (!r->unroutable)
		return 0;
	for (i = 0; i < p->plan->nph; i++)
		flows += p->plan->sched->ph[i].n;
	fpd_unroutable_line(u, p->plan->nunroutable, flows, "the planner's status", line,
			    sizeof(line));
	say(p, LOG_WARNING, "%s", line);
	return 0;
}

int fpc_planner_replan_now(struct fpc_planner *p, bool full, const char *why,
			   struct fp_err *err)
{
	struct fpc_replan r = { 0 };
	uint64_t t0 = fpd_now(), c0 = cpu_us(), tc;
	int ret;

	r.event_ns = p->replan_pending ? p->replan_t0 : t0;
	p->replan_pending = false;
	p->last_replan = t0;
	if (!p->active || !fpc_lease_active(&p->lease, t0, 0))
		return fp_fail(err, EAGAIN, "not the active planner");
	p->replans++;
	snprintf(r.why, sizeof(r.why), "%s", why);
	ret = plan_now(p, full, &r, err);
	tc = fpd_now();
	if (ret)
		return ret;
	if (!p->plan)
		return fp_fail(err, ENODATA, "nothing planned yet");
	ret = say_unroutable(p, &r, err);
	if (ret)
		return ret;
	r.epoch = FPC_EPOCH(p->lease.term, p->n + 1);
	ret = write_shares(p, r.epoch, &r, err);
	reread(p);
	/* the epoch of the last plan stored, not of writes that were not */
	if (r.written)
		p->n_stored = FPC_EPOCH_N(r.epoch);
	else
		r.epoch = FPC_EPOCH(p->lease.term, p->n_stored);
	r.compute_us = (tc - t0) / 1000u;
	r.wall_us = (fpd_now() - t0) / 1000u;
	r.wait_us = (t0 - r.event_ns) / 1000u;
	r.cpu_us = cpu_us() - c0;
	p->written += r.written;
	p->bytes += r.bytes;
	p->last = r;
	{
		char subj[96], *t;
		size_t len;

		t = fpc_replan_encode(&r, &len);
		if (t && fpc_bus_up(p->bus))
			fpc_bus_pub(p->bus, fpc_subj_replan(p->nm, subj, sizeof(subj)), t, len, NULL);
		free(t);
	}
	say_written(p, why, &r, ret ? err->msg : NULL);
	return ret;
}

static void on_replan_timer(struct fpd_timer *t, uint64_t n)
{
	struct fpc_planner *p = t->arg;
	struct fp_err err = { "" };
	int ret;

	(void)n;
	if (!p->replan_pending)
		return;
	ret = fpc_planner_replan_now(p, false, p->replan_why, &err);
	if (ret && ret != EAGAIN)
		say(p, ret == ENODATA ? LOG_INFO : LOG_WARNING, "re-plan (%s): %s",
		    p->replan_why, err.msg);
	/* refused writes: once more soon */
	for (n = 0; n < p->nhosts; n++)
		if (p->hosts[n].reread && p->active) {
			fpc_planner_request(p, "shares to read back");
			break;
		}
}

void fpc_planner_request(struct fpc_planner *p, const char *why)
{
	uint64_t now = fpd_now(), due = p->last_replan + p->o.holddown_ns;

	if (!p->active)
		return;
	if (!p->replan_pending) {
		p->replan_pending = true;
		p->replan_t0 = now;
		snprintf(p->replan_why, sizeof(p->replan_why), "%s", why);
	}
	fpd_timer_set(&p->t_replan, due > now ? due - now : 1, 0);
}

/* --------------------------------------------------------------- lease */

static int lease_read(struct fpc_planner *p, struct fp_err *err)
{
	kvEntry *e = NULL;
	struct fpc_lease_val v;
	natsStatus s;
	int ret;

	s = kvStore_Get(&e, p->kv, "planner.lease");
	if (s == NATS_NOT_FOUND) {
		fpc_lease_observe(&p->lease, fpd_now(), 0, NULL);
		return 0;
	}
	if (s != NATS_OK)
		return fpc_nats_err(err, s, "reading the lease");
	ret = fpc_lease_decode((const char *)kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), &v,
			       err);
	if (!ret)
		fpc_lease_observe(&p->lease, fpd_now(), kvEntry_Revision(e), &v);
	kvEntry_Destroy(e);
	return ret;
}

/* The highest term any share or any host's installed epoch carries. */
static uint32_t max_term(struct fpc_planner *p)
{
	uint32_t t = 0;
	size_t i;

	for (i = 0; i < p->nhosts; i++) {
		if (FPC_EPOCH_TERM(p->hosts[i].epoch) > t)
			t = FPC_EPOCH_TERM(p->hosts[i].epoch);
		if (FPC_EPOCH_TERM(p->hosts[i].inst.epoch) > t)
			t = FPC_EPOCH_TERM(p->hosts[i].inst.epoch);
	}
	return t;
}

static int lease_write(struct fpc_planner *p, enum fpc_lease_action a, struct fp_err *err)
{
	struct fpc_lease_val v;
	uint64_t expect, rev = 0, sent = fpd_now();
	char *t;
	size_t len;
	natsStatus s;

	fpc_lease_value(&p->lease, a, a == FPC_LEASE_RENEW ? 0 : max_term(p) + 1, &v, &expect);
	t = fpc_lease_encode(&v, &len);
	if (!t)
		return fp_fail(err, ENOMEM, "out of memory");
	if (expect)
		s = kvStore_Update(&rev, p->kv, "planner.lease", t, (int)len, expect);
	else
		s = kvStore_Create(&rev, p->kv, "planner.lease", t, (int)len);
	free(t);
	if (s != NATS_OK) {
		int ret = fpc_nats_err(err, s, "writing the lease");

		fpc_lease_lost(&p->lease);
		return ret;
	}
	fpc_lease_won(&p->lease, sent, rev, &v);
	return 0;
}

/*
 * Why a lease write failed (lease_write's errno value and message): the
 * bucket refused it because its revision moved (JetStream's "wrong last
 * sequence": another planner wrote first), it never got an answer (no
 * server, "No responders" while the stream has no leader, a timeout), or
 * something else; in the last two, who holds the lease is read again.
 */
static const char *lease_lost_why(int ret, const char *msg)
{
	if (ret == EHOSTUNREACH || ret == ETIMEDOUT || ret == ENOTCONN)
		return "the lease could not be written: the bucket did not answer";
	if (strstr(msg, "wrong last sequence"))
		return "the lease went to another planner first";
	return "the lease could not be written";
}

static void take_over(struct fpc_planner *p, enum fpc_lease_action a)
{
	struct fp_err err = { "" };
	char filter[128];
	size_t i;
	int ret;

	/* every share first: our term goes above theirs, and what would not
	 * change is not written again
	 */
	for (i = 0; i < p->nhosts; i++) {
		p->hosts[i].rev = 0;
		p->hosts[i].epoch = 0;
		free(p->hosts[i].body);
		p->hosts[i].body = NULL;
		free(p->hosts[i].key);
		p->hosts[i].key = NULL;
	}
	snprintf(filter, sizeof(filter), "$KV.%s.plan.>", p->nm->bucket);
	ret = snapshot(p, p->nm->kv_stream, filter, snap_share, &err);
	if (ret) {
		say(p, LOG_WARNING, "reading the shares before taking over: %s", err.msg);
		return;
	}
	ret = lease_write(p, a, &err);
	if (ret) {
		say(p, LOG_INFO, "%s (%s)", lease_lost_why(ret, err.msg), err.msg);
		return;
	}
	p->active = true;
	p->n = 0;
	p->n_stored = 0;
	p->takeovers++;
	event(p, "lease", "%s the active planner: term %u (lease revision %" PRIu64 ")",
	      p->name, p->lease.term, p->lease.held_rev);
	/* plan at once, from scratch: the shares read are compared, not trusted */
	p->replan_pending = false;
	if (p->plan) {
		fp_plan_free(p->plan);
		p->plan = NULL;
	}
	p->last_replan = 0;
	fpc_planner_request(p, "took over");
}

void fpc_planner_lease_tick(struct fpc_planner *p)
{
	struct fp_err err = { "" };
	uint64_t now = fpd_now();
	enum fpc_lease_action a;

	if (!fpc_bus_up(p->bus))
		goto check;
	if (!p->ready && setup(p, &err)) {
		say(p, LOG_INFO, "setting up the bucket and stream: %s (again soon)", err.msg);
		goto check;
	}
	if (p->lease.held) {
		if (!fpc_lease_renew_due(&p->lease, now))
			goto check;
		if (!lease_write(p, FPC_LEASE_RENEW, &err)) {
			if (!p->active) {
				p->active = true;
				event(p, "lease", "%s is active again: term %u", p->name, p->lease.term);
				fpc_planner_request(p, "active again");
			}
			goto check;
		}
		say(p, LOG_INFO, "renewing the lease: %s", err.msg);
	}
	if (lease_read(p, &err)) {
		say(p, LOG_INFO, "%s", err.msg);
		goto check;
	}
	a = fpc_lease_next(&p->lease, fpd_now());
	switch (a) {
	case FPC_LEASE_CREATE:
	case FPC_LEASE_TAKE:
		take_over(p, a);
		break;
	case FPC_LEASE_RENEW:
		if (!lease_write(p, a, &err)) {
			p->active = true;
			event(p, "lease", "%s is active again: term %u", p->name, p->lease.term);
			fpc_planner_request(p, "active again");
		}
		break;
	default:
		break;
	}
check:
	if (p->active && !fpc_lease_active(&p->lease, fpd_now(), 0)) {
		p->active = false;
		event(p, "lease", "%s could not renew the lease in time: standing by (the shares written stay)",
		      p->name);
	}
}

static void on_lease_timer(struct fpd_timer *t, uint64_t n)
{
	(void)n;
	fpc_planner_lease_tick(t->arg);
}

/* ----------------------------------------------------------- bus glue */

void fpc_planner_bus_event(struct fpc_planner *p, enum fpc_bus_event ev)
{
	struct fp_err err = { "" };

	if (ev == FPC_BUS_CLOSED && p->kv) {
		/* the bus makes a new connection: the bucket's handle goes with the old */
		kvStore_Destroy(p->kv);
		p->kv = NULL;
		p->ready = false;
	}
	if (ev == FPC_BUS_CONNECTED || ev == FPC_BUS_SLOW) {
		/* observations may have gone by while we were away (or dropped,
		 * slow): not ready until a snapshot has read them, so that a
		 * failed one is tried again on the lease's ticks
		 */
		p->ready = false;
		if (setup(p, &err))
			say(p, LOG_INFO, "setting up: %s (again soon)", err.msg);
		fpc_planner_lease_tick(p);
	}
}

void fpc_planner_ack(struct fpc_planner *p, const char *subject, uint64_t seq, int errcode,
		     const char *text)
{
	char name[FPC_NAME_MAX + 1];
	struct fpc_host *h;

	if (!fpc_subj_host(p->nm, subject, name, sizeof(name)))
		return;
	h = host_find(p, name);
	if (!h || !h->pending)
		return;
	h->pending = false;
	if (!errcode && h->pend) {
		host_stored(h, seq, h->pend, h->plen);
		h->key = h->pkey;
		h->klen = h->pklen;
		h->pkey = NULL;
		return;
	}
	if (errcode == JS_WRONG_LAST_SEQ)
		p->conflicts++;
	say(p, errcode == JS_WRONG_LAST_SEQ ? LOG_NOTICE : LOG_WARNING,
	    "the share of %s was not stored (%s): reading it back", name, text);
	h->reread = true;
}

/* ----------------------------------------------------------- init, fini */

int fpc_planner_init(struct fpc_planner *p, struct fpd_loop *loop, struct fpc_bus *bus,
		     const struct fpc_names *nm, const struct fpc_planner_opts *o,
		     const struct fpc_planner_ops *ops, void *arg, struct fp_err *err)
{
	char subj[96];
	size_t i, a;
	int ret;

	memset(p, 0, sizeof(*p));
	p->t_lease.io.fd = p->t_replan.io.fd = -1;
	p->loop = loop;
	p->bus = bus;
	p->nm = nm;
	p->o = *o;
	p->ops = ops;
	p->arg = arg;
	if (!o->name || !fpc_token_ok(o->name))
		return fp_fail(err, EINVAL, "[cluster] name '%s': a planner's name is letters, digits, '_' and '-'",
			    o->name ? o->name : "");
	snprintf(p->name, sizeof(p->name), "%s", o->name);
	p->o.name = p->name;
	if (!o->topology || !*o->topology)
		return fp_fail(err, EINVAL, "the planner needs the fabric: [fabric] topology");
	ret = fp_topo_load(o->topology, &p->topo, err);
	if (ret)
		return ret;
	if (o->schedule && *o->schedule) {
		ret = fp_sched_load(o->schedule, p->topo, &p->fixed, err);
		if (ret)
			return ret;
	}
	if (o->portmap && *o->portmap) {
		FILE *f = fopen(o->portmap, "re");
		size_t cap = 0;
		ssize_t got;

		if (!f)
			return fp_fail(err, errno, "%s: %s", o->portmap, strerror(errno));
		got = getdelim(&p->pm_own, &cap, 0, f);
		fclose(f);
		if (got < 0)
			return fp_fail(err, EINVAL, "%s: empty", o->portmap);
	}
	p->nhosts = (size_t)p->topo->nhosts;
	p->nlinks = (size_t)p->topo->nlinks / 2;
	p->hosts = calloc(p->nhosts + 1, sizeof(*p->hosts));
	p->by_name = calloc(p->nhosts + 1, sizeof(*p->by_name));
	p->fab_down = calloc(p->nlinks + 1, 1);
	p->plan_down = calloc(p->nlinks + 1, 1);
	if (!p->hosts || !p->by_name || !p->fab_down || !p->plan_down)
		return fp_fail(err, ENOMEM, "out of memory");
	for (i = 0; i < p->nhosts; i++) {
		p->hosts[i].name = p->topo->hosts[i].name;
		p->by_name[i] = i;
		if (!fpc_token_ok(p->hosts[i].name))
			return fp_fail(err, EINVAL, "host '%s' of the fabric: a cluster host name is letters, digits, '_' and '-'",
				    p->hosts[i].name);
	}
	/* each host's NICs in address order, as the share writer takes them */
	fp_hostplan_init(&p->scratch);
	p->nic_off = calloc(p->nhosts + 2, sizeof(*p->nic_off));
	p->nics = calloc((size_t)p->topo->naddr + 1, sizeof(*p->nics));
	if (!p->nic_off || !p->nics)
		return fp_fail(err, ENOMEM, "out of memory");
	for (a = 0; a < (size_t)p->topo->naddr; a++) {
		int hh = p->topo->nodes[p->topo->addr_ix[a].node].host;

		if (hh >= 0 && (size_t)hh < p->nhosts)
			p->nic_off[hh + 2]++;
	}
	for (i = 0; i < p->nhosts; i++)
		p->nic_off[i + 2] += p->nic_off[i + 1];
	for (a = 0; a < (size_t)p->topo->naddr; a++) {
		int nic = p->topo->addr_ix[a].node, hh = p->topo->nodes[nic].host;

		if (hh >= 0 && (size_t)hh < p->nhosts)
			p->nics[p->nic_off[hh + 1]++] = nic;
	}
	sort_ctx = p;
	qsort(p->by_name, p->nhosts, sizeof(*p->by_name), name_cmp);
	sort_ctx = NULL;
	for (i = 0; i < p->nlinks; i++)
		p->plan_down[i] = !p->topo->links[2 * i].up;
	memcpy(p->fab_down, p->plan_down, p->nlinks);	/* down in the file: down */
	p->sched_dirty = true;
	fpc_lease_init(&p->lease, p->name, o->lease_ns);
	ret = fpd_timer_init(loop, &p->t_lease, on_lease_timer, p);
	if (!ret)
		ret = fpd_timer_init(loop, &p->t_replan, on_replan_timer, p);
	if (ret)
		return fp_fail(err, ret, "timerfd: %s", strerror(ret));
	fpd_timer_set(&p->t_lease, o->lease_ns / 4, o->lease_ns / 4);
	snprintf(subj, sizeof(subj), "%s.obs.>", nm->prefix);
	ret = fpc_bus_sub(bus, subj, on_msg, p, err);
	if (!ret) {
		snprintf(subj, sizeof(subj), "%s.fabric.>", nm->prefix);
		ret = fpc_bus_sub(bus, subj, on_msg, p, err);
	}
	return ret;
}

void fpc_planner_fini(struct fpc_planner *p)
{
	size_t i;

	fpd_timer_fini(&p->t_lease);
	fpd_timer_fini(&p->t_replan);
	if (p->kv)
		kvStore_Destroy(p->kv);
	for (i = 0; p->hosts && i < p->nhosts; i++) {
		host_clear_obs(&p->hosts[i]);
		free(p->hosts[i].body);
		free(p->hosts[i].key);
		free(p->hosts[i].pend);
		free(p->hosts[i].pkey);
	}
	free(p->nic_off);
	free(p->nics);
	fp_hostplan_free(&p->scratch);
	free(p->hosts);
	free(p->by_name);
	free(p->fab_down);
	free(p->plan_down);
	free(p->pm_own);
	if (p->plan)
		fp_plan_free(p->plan);
	if (p->pm)
		fp_portmap_free(p->pm);
	if (p->sched)
		fp_sched_free(p->sched);
	if (p->fixed)
		fp_sched_free(p->fixed);
	if (p->topo)
		fp_topo_free(p->topo);
	free(p->unroutable);
	memset(p, 0, sizeof(*p));
}

/* -------------------------------------------------------------- status */

void fpc_planner_status(struct fpc_planner *p, json_object *o, bool show)
{
	json_object *l = json_object_new_object(), *r;
	uint64_t now = fpd_now();
	size_t i, inst = 0, seen = 0;

	json_object_object_add(o, "active", json_object_new_boolean(p->active &&
				fpc_lease_active(&p->lease, now, 0)));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(l, "holder", json_object_new_string(p->lease.exists ?
				p->lease.val.holder : ""));
	json_object_object_add(l, "term", json_object_new_int64(p->lease.exists ?
				p->lease.val.term : 0));
	json_object_object_add(l, "revision", json_object_new_int64((int64_t)p->lease.rev));
	json_object_object_add(o, "lease", l);
	json_object_object_add(o, "epoch", json_object_new_uint64(
		FPC_EPOCH(p->lease.term, p->n)));
	for (i = 0; i < p->nhosts; i++) {
		seen += p->hosts[i].seen;
		inst += p->hosts[i].epoch && p->hosts[i].inst.epoch == p->hosts[i].epoch;
	}
	json_object_object_add(o, "hosts", json_object_new_int64((int64_t)p->nhosts));
	json_object_object_add(o, "hosts_seen", json_object_new_int64((int64_t)seen));
	json_object_object_add(o, "hosts_current", json_object_new_int64((int64_t)inst));
	json_object_object_add(o, "replans", json_object_new_int64((int64_t)p->replans));
	json_object_object_add(o, "shares_written", json_object_new_int64((int64_t)p->written));
	json_object_object_add(o, "bytes_written", json_object_new_int64((int64_t)p->bytes));
	json_object_object_add(o, "conflicts", json_object_new_int64((int64_t)p->conflicts));
	json_object_object_add(o, "takeovers", json_object_new_int64((int64_t)p->takeovers));
	r = json_object_new_object();
	json_object_object_add(r, "epoch", json_object_new_uint64(p->last.epoch));
	json_object_object_add(r, "method", json_object_new_string(p->last.method));
	json_object_object_add(r, "why", json_object_new_string(p->last.why));
	json_object_object_add(r, "changed", json_object_new_int64((int64_t)p->last.changed));
	json_object_object_add(r, "written", json_object_new_int64((int64_t)p->last.written));
	json_object_object_add(r, "bytes", json_object_new_int64((int64_t)p->last.bytes));
	json_object_object_add(r, "wall_us", json_object_new_int64((int64_t)p->last.wall_us));
	json_object_object_add(r, "cpu_us", json_object_new_int64((int64_t)p->last.cpu_us));
	json_object_object_add(r, "unroutable", json_object_new_int64((int64_t)p->last.unroutable));
	json_object_object_add(o, "last_replan", r);
	r = json_object_new_array();
	for (i = 0; p->unroutable && i < p->last.unroutable; i++)
		json_object_array_add(r, json_object_new_string(p->unroutable[i].text));
	json_object_object_add(o, "unroutable", r);
	{
		json_object *fl = json_object_new_array();

		for (i = 0; i < p->nlinks; i++) {
			char name[160];
			const struct fp_link *lk = &p->topo->links[2 * i];

			if (!p->fab_down[i])
				continue;
			snprintf(name, sizeof(name), "%s-%s", p->topo->nodes[lk->from].name,
				 p->topo->nodes[lk->to].name);
			json_object_array_add(fl, json_object_new_string(name));
		}
		json_object_object_add(o, "fabric_down", fl);
	}
	if (!show)
		return;
	r = json_object_new_array();
	for (i = 0; i < p->nhosts; i++) {
		const struct fpc_host *h = &p->hosts[p->by_name[i]];
		json_object *ho = json_object_new_object();

		json_object_object_add(ho, "host", json_object_new_string(h->name));
		json_object_object_add(ho, "epoch", json_object_new_uint64(h->epoch));
		json_object_object_add(ho, "revision", json_object_new_uint64(h->rev));
		json_object_object_add(ho, "installed_epoch", json_object_new_uint64(h->inst.epoch));
		json_object_object_add(ho, "installed_generation",
				       json_object_new_uint64(h->inst.generation));
		json_object_object_add(ho, "cycles", json_object_new_int64((int64_t)h->ncy));
		json_object_object_add(ho, "ports_down", json_object_new_int64((int64_t)h->ndown));
		if (h->inst.error[0])
			json_object_object_add(ho, "error", json_object_new_string(h->inst.error));
		json_object_array_add(r, ho);
	}
	json_object_object_add(o, "shares", r);
}
