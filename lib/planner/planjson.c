// SPDX-License-Identifier: MIT
/*
 * planjson.c - the plan file (docs/formats.md "Plan"), written as it goes:
 * no document tree, so the memory a plan file costs is the plan's. Its
 * "entries" come from fp_plan_nic_entries() (planhost.c), one source NIC
 * at a time, and are written by the core's entry writer; "phases" is the
 * planner's report. A per-host share is a plan file with that host's
 * entries only.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "core/hostplan.h"
#include "planner/plan.h"
#include "planner/share.h"
#include "planner/util.h"

struct out {
	FILE *f;
	bool pretty;
	int bad;		/* a write failed */
};

static void put(struct out *o, const char *s)
{
	if (fputs(s, o->f) < 0)
		o->bad = 1;
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vfprintf(o->f, fmt, ap) < 0)
		o->bad = 1;
	va_end(ap);
}

/* A JSON string, escaped. */
static void str(struct out *o, const char *s)
{
	putc('"', o->f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			putf(o, "\\%c", c);
		else if (c < 0x20)
			putf(o, "\\u%04x", c);
		else
			putc(c, o->f);
	}
	if (putc('"', o->f) == EOF)
		o->bad = 1;
}

/* Newline and indentation when pretty. */
static void nl(struct out *o, int depth)
{
	if (!o->pretty)
		return;
	putc('\n', o->f);
	while (depth-- > 0)
		fputs("  ", o->f);
}

static const char *sep(const struct out *o)
{
	return o->pretty ? " " : "";
}

/* A finite double (loads and capacities are), shortest exact form. */
static void dbl(struct out *o, double v)
{
	char b[40];

	if (!isfinite(v))
		v = 0;	/* cannot happen: capacities are checked at parse time */
	snprintf(b, sizeof(b), "%.15g", v);
	if (strtod(b, NULL) != v)
		snprintf(b, sizeof(b), "%.17g", v);
	put(o, b);
}

static void header(struct out *o, const struct fp_plan *p, const char *host)
{
	const char *s = sep(o);

	put(o, "{");
	nl(o, 1);
	putf(o, "\"format\":%s\"flowplan-plan\",%s\"version\":%s1,", s, s, s);
	nl(o, 1);
	putf(o, "\"generation\":%s%llu,", s, (unsigned long long)p->generation);
	nl(o, 1);
	putf(o, "\"topology\":%s", s);
	str(o, p->topo->name);
	putf(o, ",%s\"schedule\":%s", s, s);
	str(o, p->sched->name);
	putf(o, ",%s\"strategy\":%s", s, s);
	str(o, fp_strategy_name(p->strategy));
	put(o, ",");
	if (host) {
		nl(o, 1);
		putf(o, "\"host\":%s", s);
		str(o, host);
		put(o, ",");
	}
}

/* The entries of NICs [first, first + n) of the address index, or of @nics. */
static int put_entries(struct out *o, const struct fp_plan *p, const int *nics, int n,
		       struct fp_err *err)
{
	struct fp_hostplan hp;
	size_t k;
	int i, rc = 0, count = 0;

	fp_hostplan_init(&hp);
	nl(o, 1);
	putf(o, "\"entries\":%s[", sep(o));
	for (i = 0; i < n && !rc; i++) {
		hp.n = 0;
		rc = fp_plan_nic_entries(p, nics ? nics[i] : p->topo->addr_ix[i].node, &hp, err);
		for (k = 0; k < hp.n && !rc; k++) {
			if (count++)
				put(o, ",");
			nl(o, 2);
			if (fp_hostplan_write_entry(o->f, &hp.e[k], o->pretty))
				o->bad = 1;
		}
	}
	fp_hostplan_free(&hp);
	if (count)
		nl(o, 1);
	put(o, "]");
	return rc;
}

static void path(struct out *o, const struct fp_topo *t, const struct fp_flow *f,
		 const struct fp_plan_subflow *s)
{
	struct fp_pathset ps;
	int h;

	put(o, "[");
	if (s->path != FP_PATH_NONE) {
		ps = fp_topo_paths((struct fp_topo *)t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
		str(o, t->nodes[t->nodes[f->src].leaf].name);
		for (h = 0; h < ps.p[s->path].len; h++) {
			put(o, ",");
			str(o, t->nodes[t->links[ps.p[s->path].link[h]].to].name);
		}
	}
	put(o, "]");
}

static void put_phases(struct out *o, const struct fp_plan *p, bool links)
{
	const struct fp_topo *t = p->topo;
	const char *s = sep(o);
	size_t i, j, k, ui = 0;	/* p->unroutable[ui]: the next one, in order */
	int l, cnt;

	put(o, ",");
	nl(o, 1);
	putf(o, "\"phases\":%s[", s);
	for (i = 0; i < p->nph; i++) {
		const struct fp_phase *ph = &p->sched->ph[i];
		const struct fp_plan_phase *pp = &p->ph[i];

		if (i)
			put(o, ",");
		nl(o, 2);
		putf(o, "{%s\"name\":%s", s, s);
		str(o, ph->name);
		putf(o, ",%s\"method\":%s", s, s);
		str(o, fp_method_name(pp->method));
		putf(o, ",%s\"max_link_load\":%s", s, s);
		dbl(o, pp->max_load);
		putf(o, ",%s\"lower_bound\":%s", s, s);
		dbl(o, pp->lower_bound);
		putf(o, ",%s\"subflows\":%s%zu,%s\"split_flows\":%s%zu,%s\"capped_flows\":%s%zu,",
		     s, s, pp->nsubs, s, s, pp->split_flows, s, s, pp->capped_flows);
		if (ph->nbg)
			putf(o, "%s\"background_flows\":%s%zu,", s, s, ph->nbg);
		if (pp->unroutable)
			putf(o, "%s\"unroutable_flows\":%s%zu,", s, s, pp->unroutable);
		nl(o, 3);
		putf(o, "\"flows\":%s[", s);
		for (j = 0; j < ph->n; j++) {
			const struct fp_flow *f = &ph->flows[j];

			if (j)
				put(o, ",");
			nl(o, 4);
			putf(o, "{%s\"src\":%s", s, s);
			str(o, t->nodes[f->src].name);
			putf(o, ",%s\"dst\":%s", s, s);
			str(o, t->nodes[f->dst].name);
			if (fp_topo_family_key(t, f->src, f->dst))
				putf(o, ",%s\"family\":%s%d", s, s, fp_topo_family_key(t, f->src, f->dst));
			putf(o, ",%s\"bytes\":%s%llu,", s, s, (unsigned long long)f->bytes);
			if (ui < p->nunroutable && p->unroutable[ui].phase == i &&
			    p->unroutable[ui].flow == j) {
				char why[192];

				putf(o, "%s\"unroutable\":%s", s, s);
				str(o, fp_plan_unroutable_why(p, &p->unroutable[ui], why,
							      sizeof(why)));
				put(o, ",");
				ui++;
			}
			putf(o, "%s\"subflows\":%s[", s, s);
			for (k = 0; k < pp->flows[j].n; k++) {
				const struct fp_plan_subflow *sf = &pp->subs[pp->flows[j].first + k];

				putf(o, "%s{%s\"bytes\":%s%llu,%s\"flow_label\":%s%u,%s\"sport\":%s%u,%s\"path\":%s",
				     k ? "," : "", s, s, (unsigned long long)sf->bytes, s, s,
				     sf->flow_label, s, s, sf->sport, s, s);
				path(o, t, f, sf);
				putf(o, "%s}", s);
			}
			putf(o, "]%s}", s);
		}
		nl(o, 3);
		put(o, "]");
		if (links) {
			put(o, ",");
			nl(o, 3);
			putf(o, "\"links\":%s[", s);
			for (l = 0, cnt = 0; l < t->nlinks; l++) {
				if (pp->link_bytes[l] <= 0)
					continue;
				if (cnt++)
					put(o, ",");
				nl(o, 4);
				putf(o, "{%s\"from\":%s", s, s);
				str(o, t->nodes[t->links[l].from].name);
				putf(o, ",%s\"to\":%s", s, s);
				str(o, t->nodes[t->links[l].to].name);
				putf(o, ",%s\"gbps\":%s", s, s);
				dbl(o, t->links[l].gbps);
				/* Never negative: a sum of 64-bit counts, written as such. */
				putf(o, ",%s\"bytes\":%s%.0f,%s\"load\":%s", s, s, pp->link_bytes[l], s, s);
				dbl(o, fp_link_load(t, l, pp->link_bytes[l]));
				if (pp->bg_bytes && pp->bg_bytes[l] > 0)
					putf(o, ",%s\"background_bytes\":%s%.0f", s, s, pp->bg_bytes[l]);
				putf(o, "%s}", s);
			}
			nl(o, 3);
			put(o, "]");
		}
		nl(o, 2);
		put(o, "}");
	}
	nl(o, 1);
	put(o, "]");
}

static int finish(struct out *o, int rc, struct fp_err *err)
{
	nl(o, 0);
	put(o, "}\n");
	if (fflush(o->f) || ferror(o->f))
		o->bad = 1;
	if (!rc && o->bad)
		rc = fp_fail(err, EIO, "writing the plan: %s", strerror(errno ? errno : EIO));
	return rc;
}

int fp_plan_write(FILE *f, const struct fp_plan *p, unsigned int flags, struct fp_err *err)
{
	struct out o = { f, flags & FP_PLAN_PRETTY, 0 };
	int rc;

	header(&o, p, NULL);
	rc = put_entries(&o, p, NULL, p->topo->naddr, err);
	if (!rc && !(flags & FP_PLAN_ENTRIES_ONLY))
		put_phases(&o, p, flags & FP_PLAN_LINKS);
	return finish(&o, rc, err);
}

int fp_plan_write_share(FILE *f, const struct fp_plan *p, int host, unsigned int flags,
			struct fp_err *err)
{
	const struct fp_topo *t = p->topo;
	struct out o = { f, flags & FP_PLAN_PRETTY, 0 };
	int *nics, n, i, rc;

	if (host < 0 || host >= t->nhosts)
		return fp_fail(err, EINVAL, "plan: no host %d", host);
	n = t->hosts[host].nnics;
	nics = calloc((size_t)n ? (size_t)n : 1, sizeof(*nics));
	if (!nics)
		return fp_fail(err, ENOMEM, "plan: out of memory");
	/* This host's NICs in address order, as the whole plan lists them. */
	for (i = 0, n = 0; i < t->naddr; i++)
		if (t->nodes[t->addr_ix[i].node].host == host)
			nics[n++] = t->addr_ix[i].node;
	header(&o, p, t->hosts[host].name);
	rc = put_entries(&o, p, nics, n, err);
	free(nics);
	return finish(&o, rc, err);
}

/* Host names become file names: nothing that leaves the directory. */
static bool file_name_ok(const char *s)
{
	if (!*s || *s == '.')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

int fp_plan_write_shares(const struct fp_plan *p, const char *dir, unsigned int flags,
			 struct fp_err *err)
{
	const struct fp_topo *t = p->topo;
	size_t len = strlen(dir) + 300;
	char *tmp = malloc(len), *dst = malloc(len);
	const char *ext = flags & FP_PLAN_COMPACT ? "share" : "json";
	mode_t mask = umask(0);
	int h, rc = 0;

	umask(mask);
	/* The directory itself, when it is not there yet (not its parents). */
	if (mkdir(dir, 0755) && errno != EEXIST) {
		rc = fp_fail(err, errno, "%s: %s", dir, strerror(errno));
		free(tmp);
		free(dst);
		return rc;
	}
	if (!tmp || !dst) {
		free(tmp);
		free(dst);
		return fp_fail(err, ENOMEM, "plan: out of memory");
	}
	for (h = 0; h < t->nhosts && !rc; h++) {
		FILE *f;
		int fd;

		if (!file_name_ok(t->hosts[h].name) || strlen(t->hosts[h].name) > 200) {
			rc = fp_fail(err, EINVAL, "%s: host name \"%s\" cannot name a file (letters, digits, . _ -)",
				     dir, t->hosts[h].name);
			break;
		}
		snprintf(dst, len, "%s/%s.%s", dir, t->hosts[h].name, ext);
		snprintf(tmp, len, "%s/.%s.%s.XXXXXX", dir, t->hosts[h].name, ext);
		/*
		 * Written aside and renamed: a reader sees the old share or the
		 * new, and a full disk leaves the old one in place.
		 */
		fd = mkstemp(tmp);
		if (fd < 0) {
			rc = fp_fail(err, errno, "%s: %s", dir, strerror(errno));
			break;
		}
		/* A share is no secret: readable as any file the umask allows. */
		fchmod(fd, 0644 & ~mask);
		f = fdopen(fd, "w");
		if (!f) {
			rc = fp_fail(err, errno, "%s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			break;
		}
		rc = flags & FP_PLAN_COMPACT ? fp_share_write(f, p, h, err) :
					       fp_plan_write_share(f, p, h, flags, err);
		if (!rc && fflush(f))
			rc = fp_fail(err, errno, "%s: %s", tmp, strerror(errno));
		if (fclose(f) && !rc)
			rc = fp_fail(err, errno, "%s: %s", tmp, strerror(errno));
		if (!rc && rename(tmp, dst))
			rc = fp_fail(err, errno, "%s: %s", dst, strerror(errno));
		if (rc)
			unlink(tmp);
	}
	free(tmp);
	free(dst);
	return rc;
}

char *fp_plan_to_json(const struct fp_plan *p, bool pretty, bool links)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (fp_plan_write(f, p, (pretty ? FP_PLAN_PRETTY : 0) | (links ? FP_PLAN_LINKS : 0), NULL)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
