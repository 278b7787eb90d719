// SPDX-License-Identifier: MIT
/* sched.c - schedule files and collective generators. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/json.h"
#include "planner/sched.h"
#include "planner/util.h"

typedef unsigned __int128 u128;

void fp_sched_free(struct fp_sched *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nph; i++) {
		free(s->ph[i].name);
		free(s->ph[i].flows);
		free(s->ph[i].runs);
		free(s->ph[i].bg);
	}
	for (i = 0; i < s->njobs; i++)
		free(s->jobs[i]);
	free(s->jobs);
	free(s->ph);
	free(s->name);
	free(s);
}

int fp_sched_job(struct fp_sched *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->njobs; i++)
		if (!strcmp(s->jobs[i], name))
			return (int)i;
	s->jobs = fp_xrealloc(s->jobs, s->njobs + 1, sizeof(char *));
	s->jobs[s->njobs] = fp_xstrdup(name);
	return (int)s->njobs++;
}

static struct fp_phase *phase_at(struct fp_sched *s, size_t ph)
{
	char nm[32];

	while (s->nph <= ph) {
		FP_GROW(s->ph, s->cap, s->nph + 1);
		snprintf(nm, sizeof(nm), "p%zu", s->nph);
		s->ph[s->nph++].name = fp_xstrdup(nm);
	}
	return &s->ph[ph];
}

void fp_sched_add(struct fp_sched *s, size_t ph, int src, int dst, uint64_t bytes, int job)
{
	struct fp_phase *p = phase_at(s, ph);

	FP_GROW_RAW(p->flows, p->cap, p->n + 1);
	if (!p->nruns || p->runs[p->nruns - 1].job != job) {
		FP_GROW_RAW(p->runs, p->capruns, p->nruns + 1);
		p->runs[p->nruns++] = (struct fp_job_run){ p->n, job };
	}
	p->flows[p->n++] = (struct fp_flow){ .src = src, .dst = dst, .bytes = bytes };
}

void fp_sched_add_background(struct fp_sched *s, size_t ph, int src, int dst, uint64_t bytes,
			     int sport)
{
	struct fp_phase *p = phase_at(s, ph);

	FP_GROW_RAW(p->bg, p->capbg, p->nbg + 1);
	p->bg[p->nbg++] = (struct fp_bgflow){ .src = src, .dst = dst, .bytes = bytes,
					      .sport = sport };
}

void fp_sched_reserve(struct fp_sched *s, size_t ph, size_t n)
{
	struct fp_phase *p = phase_at(s, ph);

	if (p->n + n > p->cap) {
		p->flows = fp_xrealloc(p->flows, p->n + n, sizeof(*p->flows));
		p->cap = p->n + n;
	}
}

int fp_flow_job(const struct fp_phase *ph, size_t i)
{
	size_t lo = 0, hi = ph->nruns;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (ph->runs[mid].first <= i)
			lo = mid;
		else
			hi = mid;
	}
	return ph->nruns ? ph->runs[lo].job : 0;
}

/* ---- file ---- */

/*
 * Turn a flow's NICs into the nodes of its family: the flow's "family"
 * (4 or 6), else fp_topo_flow_family()'s.
 */
static int flow_family(struct json_object *fo, const struct fp_topo *t, int *src, int *dst,
		       const char *name, const char *where, struct fp_err *err)
{
	const struct fp_node *s = &t->nodes[*src], *d = &t->nodes[*dst];
	struct json_object *x;
	int fam, a, b;

	if (json_object_object_get_ex(fo, "family", &x)) {
		fam = json_object_is_type(x, json_type_int) ? json_object_get_int(x) : 0;
		if (fam != 4 && fam != 6)
			return fp_fail(err, EINVAL, "%s: %s.family: expected 4 or 6", name, where);
	} else {
		fam = fp_topo_flow_family(t, *src, *dst);
		if (!fam)
			return fp_fail(err, EINVAL, "%s: %s: %s is %s and %s is %s: a flow's two NICs must be of one address family",
				       name, where, s->name, fp_addr_is_v4(&s->ip) ? "IPv4" : "IPv6",
				       d->name, fp_addr_is_v4(&d->ip) ? "IPv4" : "IPv6");
	}
	a = fp_topo_nic_family(t, *src, fam == 6);
	b = fp_topo_nic_family(t, *dst, fam == 6);
	if (a < 0 || b < 0)
		return fp_fail(err, EINVAL, "%s: %s.family: %s has no IPv%d address", name, where,
			       (a < 0 ? s : d)->name, fam);
	*src = a;
	*dst = b;
	return 0;
}

static int parse_json(struct json_object *root, const char *name, const struct fp_topo *t,
		      struct fp_sched *s, struct fp_err *err)
{
	static const char *const top_keys[] = { "format", "version", "name", "phases", NULL };
	static const char *const ph_keys[] = { "name", "flows", NULL };
	static const char *const fl_keys[] = { "src", "dst", "family", "bytes", "job", "background",
					       "sport", NULL };
	struct json_object *x, *phases;
	char where[96];
	size_t i, j;
	int rc;

	if (!json_object_is_type(root, json_type_object))
		return fp_fail(err, EINVAL, "%s: expected a JSON object", name);
	if (!json_object_object_get_ex(root, "format", &x) ||
	    !json_object_is_type(x, json_type_string) ||
	    strcmp(json_object_get_string(x), "flowplan-schedule"))
		return fp_fail(err, EINVAL, "%s: \"format\" must be \"flowplan-schedule\"", name);
	if (!json_object_object_get_ex(root, "version", &x) ||
	    !json_object_is_type(x, json_type_int) || json_object_get_int(x) != 1)
		return fp_fail(err, EINVAL, "%s: unsupported \"version\" (this reader knows 1)", name);
	rc = fp_json_keys(root, top_keys, name, "schedule", err);
	if (rc)
		return rc;
	if (json_object_object_get_ex(root, "name", &x) && !json_object_is_type(x, json_type_string))
		return fp_fail(err, EINVAL, "%s: name: expected a string", name);
	s->name = fp_xstrdup(x ? json_object_get_string(x) : "unnamed");
	if (!json_object_object_get_ex(root, "phases", &phases) ||
	    !json_object_is_type(phases, json_type_array))
		return fp_fail(err, EINVAL, "%s: missing array \"phases\"", name);
	for (i = 0; i < json_object_array_length(phases); i++) {
		struct json_object *po = json_object_array_get_idx(phases, i), *flows;
		struct fp_phase *p;

		snprintf(where, sizeof(where), "phases[%zu]", i);
		rc = fp_json_keys(po, ph_keys, name, where, err);
		if (rc)
			return rc;
		p = phase_at(s, i);
		if (json_object_object_get_ex(po, "name", &x)) {
			if (!json_object_is_type(x, json_type_string))
				return fp_fail(err, EINVAL, "%s: %s.name: expected a string", name, where);
			free(p->name);
			p->name = fp_xstrdup(json_object_get_string(x));
		}
		if (!json_object_object_get_ex(po, "flows", &flows) ||
		    !json_object_is_type(flows, json_type_array))
			return fp_fail(err, EINVAL, "%s: %s: missing array \"flows\"", name, where);
		for (j = 0; j < json_object_array_length(flows); j++) {
			struct json_object *fo = json_object_array_get_idx(flows, j), *b;
			const char *sn, *dn;
			int src, dst, job = 0, sport = 0;
			int64_t bytes;
			bool ok, bg = false;

			snprintf(where, sizeof(where), "phases[%zu].flows[%zu]", i, j);
			rc = fp_json_keys(fo, fl_keys, name, where, err);
			if (rc)
				return rc;
			if (!json_object_object_get_ex(fo, "src", &x) ||
			    !json_object_is_type(x, json_type_string))
				return fp_fail(err, EINVAL, "%s: %s: missing \"src\"", name, where);
			sn = json_object_get_string(x);
			if (!json_object_object_get_ex(fo, "dst", &x) ||
			    !json_object_is_type(x, json_type_string))
				return fp_fail(err, EINVAL, "%s: %s: missing \"dst\"", name, where);
			dn = json_object_get_string(x);
			src = fp_topo_find(t, sn);
			dst = fp_topo_find(t, dn);
			if (src < 0 || !t->nodes[src].is_nic)
				return fp_fail(err, EINVAL, "%s: %s.src: \"%s\" is not a NIC of topology %s",
					       name, where, sn, t->name);
			if (dst < 0 || !t->nodes[dst].is_nic)
				return fp_fail(err, EINVAL, "%s: %s.dst: \"%s\" is not a NIC of topology %s",
					       name, where, dn, t->name);
			if (src == dst)
				return fp_fail(err, EINVAL, "%s: %s: src and dst are the same NIC", name, where);
			rc = flow_family(fo, t, &src, &dst, name, where, err);
			if (rc)
				return rc;
			ok = json_object_object_get_ex(fo, "bytes", &b) &&
			     json_object_is_type(b, json_type_int);
			bytes = ok ? json_object_get_int64(b) : 0;
			if (bytes <= 0)
				return fp_fail(err, EINVAL, "%s: %s.bytes: expected a positive integer",
					       name, where);
			/* json-c saturates: a count that does not fit is refused, not clamped. */
			if (json_object_get_uint64(b) > FP_BYTES_MAX)
				return fp_fail(err, ERANGE, "%s: %s.bytes: %llu is 2^63 or more",
					       name, where,
					       (unsigned long long)json_object_get_uint64(b));
			if (json_object_object_get_ex(fo, "background", &x)) {
				if (!json_object_is_type(x, json_type_boolean))
					return fp_fail(err, EINVAL, "%s: %s.background: expected true or false",
						       name, where);
				bg = json_object_get_boolean(x);
			}
			if (json_object_object_get_ex(fo, "sport", &x)) {
				int64_t v = json_object_get_int64(x);

				if (!bg)
					return fp_fail(err, EINVAL, "%s: %s.sport: only a background flow has a port of its own (the planner chooses the others')",
						       name, where);
				if (!json_object_is_type(x, json_type_int) || v < 1 || v > 65535)
					return fp_fail(err, ERANGE, "%s: %s.sport: expected a UDP port, 1..65535 (leave it out when the port is unknown)",
						       name, where);
				sport = (int)v;
			}
			if (bg) {
				if (json_object_object_get_ex(fo, "job", &x))
					return fp_fail(err, EINVAL, "%s: %s.job: a background flow belongs to no job",
						       name, where);
				fp_sched_add_background(s, i, src, dst, (uint64_t)bytes, sport);
				continue;
			}
			if (json_object_object_get_ex(fo, "job", &x)) {
				if (!json_object_is_type(x, json_type_string))
					return fp_fail(err, EINVAL, "%s: %s.job: expected a string",
						       name, where);
				job = fp_sched_job(s, json_object_get_string(x));
			} else {
				job = fp_sched_job(s, "j0");
			}
			fp_sched_add(s, i, src, dst, (uint64_t)bytes, job);
		}
	}
	if (!s->nph)
		return fp_fail(err, EINVAL, "%s: no phases", name);
	return 0;
}

int fp_sched_parse(const char *text, size_t len, const char *name, const struct fp_topo *t,
		   struct fp_sched **out, struct fp_err *err)
{
	struct fp_sched *s = fp_xcalloc(1, sizeof(*s));
	struct json_object *root;
	int rc;

	rc = fp_json_text(text, len, name, &root, err);
	if (rc) {
		fp_sched_free(s);
		return rc;
	}
	rc = parse_json(root, name, t, s, err);
	json_object_put(root);
	if (rc) {
		fp_sched_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* ---- generators ---- */

enum coll { C_RING_AR, C_HD_AR, C_RD_AR, C_AG, C_RS, C_A2A, C_PIPE };

static const struct {
	const char *name;
	enum coll c;
} colls[] = {
	{ "ring-allreduce", C_RING_AR }, { "hd-allreduce", C_HD_AR },
	{ "rd-allreduce", C_RD_AR }, { "allgather", C_AG }, { "reducescatter", C_RS },
	{ "alltoall", C_A2A }, { "pipeline", C_PIPE },
};

/* Parse "0-15+32-47" into a list of indices below @max. */
static int parse_list(const char *spec, const char *key, const char *v, int max,
		      int **out, int *n, struct fp_err *err)
{
	char *dup = fp_xstrdup(v), *save = NULL, *tok;
	int rc = 0;

	*n = 0;
	*out = NULL;
	for (tok = strtok_r(dup, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		char *e1, *e2;
		long a = strtol(tok, &e1, 10), b = a, i;

		if (e1 == tok || (*e1 && *e1 != '-')) {
			rc = fp_fail(err, EINVAL, "%s: %s: \"%s\" is not an index or range", spec, key, tok);
			break;
		}
		if (*e1 == '-') {
			b = strtol(e1 + 1, &e2, 10);
			if (e2 == e1 + 1 || *e2) {
				rc = fp_fail(err, EINVAL, "%s: %s: \"%s\" is not a range", spec, key, tok);
				break;
			}
		}
		if (a < 0 || b < a || b >= max) {
			rc = fp_fail(err, ERANGE, "%s: %s: %s is outside 0..%d", spec, key, tok, max - 1);
			break;
		}
		*out = fp_xrealloc(*out, (size_t)(*n + b - a + 1), sizeof(int));
		for (i = a; i <= b; i++)
			(*out)[(*n)++] = (int)i;
	}
	free(dup);
	if (!rc && !*n)
		rc = fp_fail(err, EINVAL, "%s: %s: empty list", spec, key);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* Hosts grouped by the leaf of their first NIC, in host order. */
static int frag_hosts(const struct fp_topo *t, int count, int off, int *hosts)
{
	int *grp_of = fp_xcalloc((size_t)t->nhosts, sizeof(int));
	int *gsize = fp_xcalloc((size_t)t->nnodes, sizeof(int));
	int *gfirst = fp_xcalloc((size_t)t->nnodes, sizeof(int));
	int *order = fp_xcalloc((size_t)t->nhosts, sizeof(int));
	int ng = 0, h, j, g, maxh = 0;

	for (h = 0; h < t->nhosts; h++) {
		int leaf = t->nodes[t->hosts[h].first_nic].leaf;

		grp_of[h] = leaf;
		if (!gsize[leaf]++)
			ng++;
	}
	/* order[] lists hosts leaf by leaf. */
	j = 0;
	for (g = 0; g < t->nnodes; g++) {
		gfirst[g] = j;
		if (gsize[g] > maxh)
			maxh = gsize[g];
		j += gsize[g];
		gsize[g] = 0;
	}
	for (h = 0; h < t->nhosts; h++)
		order[gfirst[grp_of[h]] + gsize[grp_of[h]]++] = h;
	/* j-th host of the job: round robin over the groups. */
	for (j = 0, h = 0; j < count; h++) {
		int k = h % ng, gi, idx, cnt = 0;

		for (gi = 0; gi < t->nnodes; gi++) {
			if (!gsize[gi])
				continue;
			if (cnt++ == k)
				break;
		}
		if (h / ng >= maxh)
			break;
		idx = off + h / ng;
		if (h / ng < gsize[gi])
			hosts[j++] = order[gfirst[gi] + idx % gsize[gi]];
	}
	free(grp_of);
	free(gsize);
	free(gfirst);
	free(order);
	return j;
}

/*
 * Every @stride-th host from @off, wrapping around: when a turn comes back
 * to a host already taken, the next free one. Each host once.
 */
static int stride_hosts(const struct fp_topo *t, int count, int off, int stride, int *hosts)
{
	char *taken = fp_xcalloc((size_t)t->nhosts, 1);
	int j, h = off % t->nhosts;

	for (j = 0; j < count && j < t->nhosts; j++) {
		while (taken[h])
			h = (h + 1) % t->nhosts;
		taken[h] = 1;
		hosts[j] = h;
		h = (h + stride) % t->nhosts;
	}
	free(taken);
	return j;
}

/*
 * A collective's per-flow bytes, refused when a signed 64-bit count cannot
 * hold them, and when SIZE is too small to give each flow a byte (@least:
 * the smallest SIZE that does): a flow of 0 bytes is no flow, and making it
 * 1 would plan bytes nobody sends.
 */
static int flow_bytes(const char *spec, u128 b, uint64_t least, uint64_t *out,
		      struct fp_err *err)
{
	if (b > FP_BYTES_MAX)
		return fp_fail(err, ERANGE, "%s: %.0f bytes per flow: 2^63 bytes or more per flow",
			       spec, (double)b);
	if (!b)
		return fp_fail(err, ERANGE,
			       "%s: bytes: flows of 0 bytes; this collective needs at least %llu",
			       spec, (unsigned long long)least);
	*out = (uint64_t)b;
	return 0;
}

static int gen_one(const char *spec, const struct fp_topo *t, struct fp_sched *s,
		   struct fp_err *err)
{
	char *dup = fp_xstrdup(spec), *save = NULL, *tok, *params = strchr(dup, ':');
	int *hosts = NULL, *nics = NULL, nh = 0, nn = 0, rc = 0, job, i, r, count = -1, off = 0;
	int frag = 0, stride = 0, fam = 0;
	uint64_t bytes = 0;
	const char *jobname = NULL;
	enum coll c = C_RING_AR;
	size_t ci, ph0 = 0;
	char jn[32];

	if (params)
		*params++ = 0;
	for (ci = 0; ci < sizeof(colls) / sizeof(colls[0]); ci++)
		if (!strcmp(dup, colls[ci].name))
			break;
	if (ci == sizeof(colls) / sizeof(colls[0])) {
		rc = fp_fail(err, EINVAL, "%s: unknown collective \"%s\" (ring-allreduce, hd-allreduce, rd-allreduce, allgather, reducescatter, alltoall, pipeline)",
			     spec, dup);
		goto out;
	}
	c = colls[ci].c;
	for (tok = params ? strtok_r(params, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq) {
			rc = fp_fail(err, EINVAL, "%s: \"%s\": expected key=value", spec, tok);
			goto out;
		}
		*eq++ = 0;
		if (!strcmp(tok, "bytes")) {
			if (fp_parse_size(eq, &bytes) || !bytes) {
				rc = fp_fail(err, EINVAL, "%s: bytes: \"%s\" is not a size (e.g. 64M)", spec, eq);
				goto out;
			}
			if (bytes > FP_BYTES_MAX) {
				rc = fp_fail(err, ERANGE, "%s: bytes: %s is 2^63 bytes or more", spec, eq);
				goto out;
			}
		} else if (!strcmp(tok, "hosts")) {
			free(hosts);	/* the last hosts= wins */
			rc = parse_list(spec, tok, eq, t->nhosts, &hosts, &nh, err);
		} else if (!strcmp(tok, "nics")) {
			free(nics);
			rc = parse_list(spec, tok, eq, t->hosts[0].nnics, &nics, &nn, err);
		} else if (!strcmp(tok, "job")) {
			jobname = eq;
		} else if (!strcmp(tok, "family")) {
			if (strcmp(eq, "4") && strcmp(eq, "6")) {
				rc = fp_fail(err, EINVAL, "%s: family: \"%s\" (4 or 6)", spec, eq);
				goto out;
			}
			fam = *eq - '0';
		} else if (!strcmp(tok, "place")) {
			if (strcmp(eq, "frag") && strcmp(eq, "pack")) {
				rc = fp_fail(err, EINVAL, "%s: place: \"%s\" (frag or pack)", spec, eq);
				goto out;
			}
			frag = !strcmp(eq, "frag");
		} else if (!strcmp(tok, "count") || !strcmp(tok, "off") || !strcmp(tok, "stride")) {
			char *e;
			long v = strtol(eq, &e, 10);
			int lo = !strcmp(tok, "stride");

			if (*e || e == eq || v < lo || v > t->nhosts) {
				rc = fp_fail(err, EINVAL, "%s: %s: \"%s\" must be %d..%d", spec, tok, eq,
					     lo, t->nhosts);
				goto out;
			}
			if (!strcmp(tok, "count"))
				count = (int)v;
			else if (!strcmp(tok, "off"))
				off = (int)v;
			else
				stride = (int)v;
		} else {
			rc = fp_fail(err, EINVAL, "%s: unknown parameter \"%s\"", spec, tok);
		}
		if (rc)
			goto out;
	}
	if (!bytes) {
		rc = fp_fail(err, EINVAL, "%s: bytes=SIZE is required", spec);
		goto out;
	}
	if (!hosts) {
		int want = count >= 0 ? count : t->nhosts - off;

		hosts = fp_xcalloc((size_t)t->nhosts, sizeof(int));
		if (stride) {
			nh = stride_hosts(t, want, off, stride, hosts);
		} else if (frag) {
			nh = frag_hosts(t, want, off, hosts);
		} else {
			for (nh = 0; nh < want && off + nh < t->nhosts; nh++)
				hosts[nh] = off + nh;
		}
		if (nh < want) {
			rc = fp_fail(err, ERANGE, "%s: only %d hosts fit the placement, %d asked", spec,
				     nh, want);
			goto out;
		}
	}
	if (!nics) {
		nn = t->hosts[0].nnics;
		nics = fp_xcalloc((size_t)nn, sizeof(int));
		for (i = 0; i < nn; i++)
			nics[i] = i;
	}
	for (i = 0; i < nh; i++) {
		for (r = 0; r < nn; r++) {
			int n = t->hosts[hosts[i]].first_nic + nics[r];

			if (nics[r] >= t->hosts[hosts[i]].nnics) {
				rc = fp_fail(err, EINVAL, "%s: host %s has no NIC %d", spec,
					     t->hosts[hosts[i]].name, nics[r]);
				goto out;
			}
			if (fam && fp_topo_nic_family(t, n, fam == 6) < 0) {
				rc = fp_fail(err, EINVAL, "%s: family=%d: %s has no IPv%d address", spec,
					     fam, t->nodes[n].name, fam);
				goto out;
			}
		}
	}
	if (nh < 2) {
		rc = fp_fail(err, EINVAL, "%s: a collective needs at least 2 hosts", spec);
		goto out;
	}
	if ((c == C_HD_AR || c == C_RD_AR) && (nh & (nh - 1))) {
		rc = fp_fail(err, EINVAL, "%s: %s needs a power-of-two number of hosts, not %d", spec,
			     colls[ci].name, nh);
		goto out;
	}
	if (!jobname) {
		snprintf(jn, sizeof(jn), "j%zu", s->njobs);
		jobname = jn;
	}
	job = fp_sched_job(s, jobname);
	/* family=: the node of that family (a dual-stack NIC's twin for 6) */
#define NIC(h, r) (fam ? fp_topo_nic_family(t, t->hosts[hosts[h]].first_nic + nics[r], fam == 6) : \
		 t->hosts[hosts[h]].first_nic + nics[r])
	switch (c) {
	case C_RING_AR:
	case C_AG:
	case C_RS: {
		uint64_t b = 0;

		rc = flow_bytes(spec, (u128)(bytes / (uint64_t)nh) *
				(c == C_RING_AR ? 2u : 1u) * (uint64_t)(nh - 1),
				(uint64_t)nh, &b, err);
		if (rc)
			goto out;
		fp_sched_reserve(s, ph0, (size_t)nh * (size_t)nn);
		for (r = 0; r < nn; r++)
			for (i = 0; i < nh; i++)
				fp_sched_add(s, ph0, NIC(i, r), NIC((i + 1) % nh, r), b, job);
		break;
	}
	case C_HD_AR: {
		int steps = __builtin_ctz((unsigned int)nh), k;
		uint64_t last = 0;

		/* the last step's flows carry SIZE >> steps */
		rc = flow_bytes(spec, bytes >> steps, 1ull << steps, &last, err);
		if (rc)
			goto out;
		for (k = 0; k < steps; k++) {
			int d = nh >> (k + 1);
			uint64_t b = bytes >> (k + 1);

			for (r = 0; r < nn; r++) {
				for (i = 0; i < nh; i++) {
					fp_sched_add(s, ph0 + (size_t)k, NIC(i, r), NIC(i ^ d, r), b, job);
					fp_sched_add(s, ph0 + (size_t)(2 * steps - 1 - k), NIC(i, r),
						     NIC(i ^ d, r), b, job);
				}
			}
		}
		break;
	}
	case C_RD_AR: {
		int steps = __builtin_ctz((unsigned int)nh), k;

		for (k = 0; k < steps; k++)
			for (r = 0; r < nn; r++)
				for (i = 0; i < nh; i++)
					fp_sched_add(s, ph0 + (size_t)k, NIC(i, r), NIC(i ^ (1 << k), r),
						     bytes, job);
		break;
	}
	case C_A2A: {
		uint64_t b = 0;
		int j, q;

		rc = flow_bytes(spec, bytes / ((uint64_t)nh * (uint64_t)nn),
				(uint64_t)nh * (uint64_t)nn, &b, err);
		if (rc)
			goto out;
		fp_sched_reserve(s, ph0, (size_t)nh * (size_t)(nh - 1) * (size_t)nn * (size_t)nn);
		for (i = 0; i < nh; i++)
			for (r = 0; r < nn; r++)
				for (j = 0; j < nh; j++)
					for (q = 0; q < nn && i != j; q++)
						fp_sched_add(s, ph0, NIC(i, r), NIC(j, q), b, job);
		break;
	}
	case C_PIPE:
		for (r = 0; r < nn; r++)
			for (i = 0; i + 1 < nh; i++)
				fp_sched_add(s, ph0, NIC(i, r), NIC(i + 1, r), bytes, job);
		break;
	}
#undef NIC
out:
	free(hosts);
	free(nics);
	free(dup);
	return rc;
}

int fp_sched_generate(const char *spec, const struct fp_topo *t, struct fp_sched **out,
		      struct fp_err *err)
{
	struct fp_sched *s = fp_xcalloc(1, sizeof(*s));
	char *dup = fp_xstrdup(spec), *save = NULL, *tok;
	int rc = 0;

	for (tok = strtok_r(dup, ";", &save); tok && !rc; tok = strtok_r(NULL, ";", &save))
		rc = gen_one(tok, t, s, err);
	if (!rc && !s->nph)
		rc = fp_fail(err, EINVAL, "%s: empty schedule", spec);
	if (!rc) {
		char *colon = strchr(dup, ':');

		s->name = fp_xstrdup(spec);
		if (colon && !strchr(spec, ';')) {
			free(s->name);
			*colon = 0;
			s->name = fp_xstrdup(dup);
		}
	}
	free(dup);
	if (rc) {
		fp_sched_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

static int is_generator(const char *spec)
{
	size_t i, n;

	for (i = 0; i < sizeof(colls) / sizeof(colls[0]); i++) {
		n = strlen(colls[i].name);
		if (!strncmp(spec, colls[i].name, n) && (spec[n] == ':' || !spec[n]))
			return 1;
	}
	return 0;
}

int fp_sched_load(const char *spec, const struct fp_topo *t, struct fp_sched **out,
		  struct fp_err *err)
{
	char *buf;
	size_t len;
	int rc;

	if (is_generator(spec))
		return fp_sched_generate(spec, t, out, err);
	rc = fp_read_file(spec, FP_SCHED_FILE_MAX, &buf, &len, err);
	/* "name:key=value" that is no file: let the generator say what is wrong */
	if (rc == ENOENT && strchr(spec, ':') && strchr(spec, '='))
		return fp_sched_generate(spec, t, out, err);
	if (rc)
		return rc;
	rc = fp_sched_parse(buf, len, spec, t, out, err);
	free(buf);
	return rc;
}

char *fp_sched_to_json(const struct fp_sched *s, const struct fp_topo *t, int pretty)
{
	struct json_object *root = json_object_new_object(), *phs = json_object_new_array();
	size_t i, j;

	json_object_object_add(root, "format", json_object_new_string("flowplan-schedule"));
	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "name", json_object_new_string(s->name));
	for (i = 0; i < s->nph; i++) {
		struct json_object *po = json_object_new_object(), *fl = json_object_new_array();

		json_object_object_add(po, "name", json_object_new_string(s->ph[i].name));
		for (j = 0; j < s->ph[i].n; j++) {
			const struct fp_flow *f = &s->ph[i].flows[j];
			struct json_object *fo = json_object_new_object();

			json_object_object_add(fo, "src", json_object_new_string(t->nodes[f->src].name));
			json_object_object_add(fo, "dst", json_object_new_string(t->nodes[f->dst].name));
			if (fp_topo_family_key(t, f->src, f->dst))
				json_object_object_add(fo, "family", json_object_new_int(
					fp_topo_family_key(t, f->src, f->dst)));
			json_object_object_add(fo, "bytes", json_object_new_int64((int64_t)f->bytes));
			json_object_object_add(fo, "job",
					       json_object_new_string(s->jobs[fp_flow_job(&s->ph[i], j)]));
			json_object_array_add(fl, fo);
		}
		for (j = 0; j < s->ph[i].nbg; j++) {
			const struct fp_bgflow *f = &s->ph[i].bg[j];
			struct json_object *fo = json_object_new_object();

			json_object_object_add(fo, "src", json_object_new_string(t->nodes[f->src].name));
			json_object_object_add(fo, "dst", json_object_new_string(t->nodes[f->dst].name));
			if (fp_topo_family_key(t, f->src, f->dst))
				json_object_object_add(fo, "family", json_object_new_int(
					fp_topo_family_key(t, f->src, f->dst)));
			json_object_object_add(fo, "bytes", json_object_new_int64((int64_t)f->bytes));
			json_object_object_add(fo, "background", json_object_new_boolean(1));
			if (f->sport)
				json_object_object_add(fo, "sport", json_object_new_int(f->sport));
			json_object_array_add(fl, fo);
		}
		json_object_object_add(po, "flows", fl);
		json_object_array_add(phs, po);
	}
	json_object_object_add(root, "phases", phs);
	return fp_json_dump(root, pretty);
}
