// SPDX-License-Identifier: MIT
/*
 * share.c - a host's share of a plan in the compact text form of
 * docs/formats.md "Per-host share": one line per entry, a subflow in a few
 * bytes (its flow label, and its weight when it has company), so that a
 * cluster's plan of millions of pairs is written per host in a blink and a
 * host reads only its own. The writer streams from the plan's entries
 * (fp_plan_nic_entries); the reader fills a core host plan.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "core/hostplan.h"
#include "planner/plan.h"
#include "planner/plan_priv.h"
#include "planner/share.h"
#include "planner/util.h"

/* ---- writer ---- */

struct wbuf {
	FILE *f;
	char b[1 << 16];
	size_t n;
	int bad;
};

static void wflush(struct wbuf *w)
{
	if (w->n && fwrite(w->b, 1, w->n, w->f) != w->n)
		w->bad = 1;
	w->n = 0;
}

static void wput(struct wbuf *w, const char *s, size_t len)
{
	if (w->n + len > sizeof(w->b))
		wflush(w);
	if (len > sizeof(w->b)) {
		if (fwrite(s, 1, len, w->f) != len)
			w->bad = 1;
		return;
	}
	memcpy(w->b + w->n, s, len);
	w->n += len;
}

static void wu(struct wbuf *w, unsigned long long v)
{
	char t[24];
	int i = 24;

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	wput(w, t + i, (size_t)(24 - i));
}

static void waddr(struct wbuf *w, const struct fp_addr *a)
{
	char s[FP_ADDR_STRLEN];

	if (fp_addr_is_v4(a)) {
		int k;

		for (k = 12; k < 16; k++) {
			if (k > 12)
				wput(w, ".", 1);
			wu(w, a->b[k]);
		}
		return;
	}
	fp_addr_str(a, s);
	wput(w, s, strlen(s));
}

/* Decimal of @v at @p (no NUL): its length. */
static size_t fmt_u(char *p, unsigned long long v)
{
	char t[24];
	int i = 24;
	size_t n;

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	n = (size_t)(24 - i);
	memcpy(p, t + i, n);
	return n;
}

/* Longest line of an entry: an address, "/dqpn", per subflow " label:weight". */
#define LINE_MAX_LEN (FP_ADDR_STRLEN + 12 + FP_MAX_SUBFLOWS * 24 + 2)

/* One entry's line; the NIC's "src" line before its first. */
struct wnic {
	struct wbuf *w;
	bool started;
};

static int wentry(void *ctx, const struct fp_hostplan_entry *e, struct fp_err *err)
{
	struct wnic *n = ctx;
	struct wbuf *w = n->w;
	unsigned int j;

	(void)err;
	if (!n->started) {
		wput(w, "src ", 4);
		waddr(w, &e->local);
		wput(w, "\n", 1);
		n->started = true;
	}
	if (!fp_addr_is_v4(&e->remote)) {
		/* IPv6 (not planned today): the general writer. */
		waddr(w, &e->remote);
		if (e->dqpn != FP_DQPN_ANY) {
			wput(w, "/", 1);
			wu(w, e->dqpn);
		}
		for (j = 0; j < e->nsub; j++) {
			wput(w, " ", 1);
			wu(w, e->sub[j].flow_label);
			if (e->nsub > 1) {
				wput(w, ":", 1);
				wu(w, e->sub[j].weight);
			}
		}
		wput(w, "\n", 1);
		return 0;
	}
	/* The line straight into the buffer: the fast path of millions of entries. */
	if (sizeof(w->b) - w->n < LINE_MAX_LEN)
		wflush(w);
	{
		char *b = w->b + w->n;
		size_t len = 0;
		int k;

		for (k = 12; k < 16; k++) {
			if (k > 12)
				b[len++] = '.';
			len += fmt_u(b + len, e->remote.b[k]);
		}
		if (e->dqpn != FP_DQPN_ANY) {
			b[len++] = '/';
			len += fmt_u(b + len, e->dqpn);
		}
		for (j = 0; j < e->nsub; j++) {
			b[len++] = ' ';
			len += fmt_u(b + len, e->sub[j].flow_label);
			if (e->nsub > 1) {
				b[len++] = ':';
				len += fmt_u(b + len, e->sub[j].weight);
			}
		}
		b[len++] = '\n';
		w->n += len;
	}
	return 0;
}

int fp_share_write(FILE *f, const struct fp_plan *p, int host, struct fp_err *err)
{
	const struct fp_topo *t = p->topo;
	struct wbuf *w;
	int i, rc = 0;

	if (host < 0 || host >= t->nhosts)
		return fp_fail(err, EINVAL, "plan: no host %d", host);
	w = malloc(sizeof(*w));
	if (!w)
		return fp_fail(err, ENOMEM, "plan: out of memory");
	w->f = f;
	w->n = 0;
	w->bad = 0;
	wput(w, "flowplan-share 1\ngeneration ", 28);
	wu(w, p->generation);
	wput(w, "\nhost ", 6);
	wput(w, t->hosts[host].name, strlen(t->hosts[host].name));
	wput(w, p->enforce ? "\nenforce 1\n" : "\nenforce 0\n", 11);
	/* The host's NICs in address order. */
	for (i = 0; i < t->naddr && !rc; i++) {
		int nic = t->addr_ix[i].node;

		struct wnic wn = { w, false };

		if (t->nodes[nic].host != host)
			continue;
		/* Entries are written as they are made: none is kept. */
		rc = fp_plan_nic_visit(p, nic, wentry, &wn, err);
	}
	wflush(w);
	if (!rc && (w->bad || fflush(f) || ferror(f)))
		rc = fp_fail(err, EIO, "writing the share of %s: %s", t->hosts[host].name,
			     strerror(errno ? errno : EIO));
	free(w);
	return rc;
}

/* ---- reader ---- */

/* An unsigned decimal of at most @max at *@s; advances it. */
static int num(const char **s, const char *end, unsigned long long max, unsigned long long *v)
{
	const char *p = *s;
	unsigned long long x = 0;

	if (p == end || *p < '0' || *p > '9')
		return EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		x = x * 10 + (unsigned long long)(*p - '0');
		if (x > max)
			return ERANGE;
	}
	*s = p;
	*v = x;
	return 0;
}

static int word(const char **s, const char *end, char *out, size_t max)
{
	size_t n = 0;

	while (*s < end && **s != ' ' && **s != '\t') {
		if (n + 1 >= max)
			return EINVAL;
		out[n++] = *(*s)++;
	}
	out[n] = 0;
	return n ? 0 : EINVAL;
}

int fp_share_parse(const char *text, size_t len, const char *name, struct fp_hostplan *hp,
		   struct fp_err *err)
{
	const char *s = text, *end = text + len;
	struct fp_addr src;
	bool have_src = false, enforce = false, have_gen = false;
	unsigned long long v;
	int line = 0, rc = 0;
	char w[FP_ADDR_STRLEN + 16], where[64];

	fp_hostplan_init(hp);
	if (len > FP_SHARE_MAX)
		return fp_fail(err, EFBIG, "%s: %zu bytes, larger than the limit of %llu", name, len,
			       (unsigned long long)FP_SHARE_MAX);
	while (s < end && !rc) {
		const char *eol = memchr(s, '\n', (size_t)(end - s)), *p = s;
		struct fp_hostplan_entry e;

		if (!eol)
			eol = end;
		line++;
		s = eol + 1;
		if (memchr(p, 0, (size_t)(eol - p))) {
			rc = fp_fail(err, EINVAL, "%s:%d: a NUL byte", name, line);
			break;
		}
		if (line == 1) {
			if ((size_t)(eol - p) != 16 || memcmp(p, "flowplan-share 1", 16))
				rc = fp_fail(err, EINVAL, "%s:1: the first line must be \"flowplan-share 1\"",
					     name);
			continue;
		}
		if (p == eol || *p == '#')
			continue;
		if (word(&p, eol, w, sizeof(w))) {
			rc = fp_fail(err, EINVAL, "%s:%d: expected a keyword or an address", name, line);
			break;
		}
		if (!strcmp(w, "generation") || !strcmp(w, "enforce") || !strcmp(w, "host")) {
			if (have_src) {
				rc = fp_fail(err, EINVAL, "%s:%d: \"%s\" after the first src line", name,
					     line, w);
				break;
			}
			if (p == eol || *p++ != ' ') {
				rc = fp_fail(err, EINVAL, "%s:%d: %s needs a value", name, line, w);
				break;
			}
			if (!strcmp(w, "host")) {
				if (word(&p, eol, w, sizeof(w)) || p != eol)
					rc = fp_fail(err, EINVAL, "%s:%d: host: expected one name", name, line);
				continue;
			}
			rc = num(&p, eol, !strcmp(w, "enforce") ? 1 : (unsigned long long)INT64_MAX, &v);
			if (rc || p != eol) {
				rc = fp_fail(err, rc == ERANGE ? ERANGE : EINVAL, "%s:%d: %s: %s", name,
					     line, w, !strcmp(w, "enforce") ? "0 or 1" :
					     "an integer 0..2^63-1");
				break;
			}
			if (w[0] == 'g') {
				if (have_gen) {
					rc = fp_fail(err, EINVAL, "%s:%d: a second generation", name, line);
					break;
				}
				hp->generation = v;
				have_gen = true;
			} else {
				enforce = v;
			}
			continue;
		}
		if (!strcmp(w, "src")) {
			if (p == eol || *p++ != ' ' || word(&p, eol, w, sizeof(w)) || p != eol ||
			    fp_addr_parse(w, &src)) {
				rc = fp_fail(err, EINVAL, "%s:%d: src: expected one address", name, line);
				break;
			}
			have_src = true;
			continue;
		}
		/* An entry: DST[/DQPN] LABEL[:WEIGHT]... */
		if (!have_src) {
			rc = fp_fail(err, EINVAL, "%s:%d: an entry before any src line", name, line);
			break;
		}
		memset(&e, 0, sizeof(e));
		e.local = src;
		e.enforce = enforce;
		{
			char *slash = strchr(w, '/');

			if (slash) {
				const char *q = slash + 1;

				*slash = 0;
				if (num(&q, q + strlen(q), FP_DQPN_MAX, &v) || *q) {
					rc = fp_fail(err, ERANGE, "%s:%d: dqpn: 0..%u", name, line,
						     FP_DQPN_MAX);
					break;
				}
				e.dqpn = (uint32_t)v;
			}
			if (fp_addr_parse(w, &e.remote)) {
				rc = fp_fail(err, EINVAL, "%s:%d: \"%s\" is not an address", name, line, w);
				break;
			}
		}
		while (p < eol && !rc) {
			struct fp_subflow *sf;

			if (*p++ != ' ' || e.nsub == FP_MAX_SUBFLOWS) {
				rc = fp_fail(err, EINVAL, "%s:%d: expected at most %d subflows LABEL[:WEIGHT]",
					     name, line, FP_MAX_SUBFLOWS);
				break;
			}
			sf = &e.sub[e.nsub++];
			if (num(&p, eol, FP_FLOW_LABEL_MAX, &v) || !v) {
				rc = fp_fail(err, ERANGE, "%s:%d: flow label: 1..%u", name, line,
					     FP_FLOW_LABEL_MAX);
				break;
			}
			sf->flow_label = (uint32_t)v;
			sf->sport = fp_label_to_sport(sf->flow_label);
			sf->weight = FP_WEIGHT_ONE;
			if (p < eol && *p == ':') {
				p++;
				if (num(&p, eol, FP_WEIGHT_ONE, &v)) {
					rc = fp_fail(err, ERANGE, "%s:%d: weight: 0..%u", name, line,
						     FP_WEIGHT_ONE);
					break;
				}
				sf->weight = (uint32_t)v;
			} else if (e.nsub > 1 || p < eol) {
				/* Only a lone subflow may leave its weight (all of it) out. */
				rc = fp_fail(err, EINVAL, "%s:%d: subflows of a split entry need :WEIGHT",
					     name, line);
				break;
			}
		}
		if (rc)
			break;
		if (!e.nsub) {
			rc = fp_fail(err, EINVAL, "%s:%d: an entry without subflows", name, line);
			break;
		}
		snprintf(where, sizeof(where), "%s:%d", name, line);
		rc = fp_hostplan_check_entry(&e, where, err);
		if (!rc)
			rc = fp_hostplan_add(hp, &e, err);
	}
	if (!rc && !line)
		rc = fp_fail(err, EINVAL, "%s: empty (the first line must be \"flowplan-share 1\")",
			     name);
	if (!rc)
		rc = fp_hostplan_finish(hp, err);
	if (rc)
		fp_hostplan_free(hp);
	return rc;
}

int fp_share_load(const char *path, struct fp_hostplan *hp, struct fp_err *err)
{
	char *buf;
	size_t len;
	int rc = fp_file_read(path, FP_SHARE_MAX, &buf, &len, err);

	fp_hostplan_init(hp);
	if (rc)
		return rc;
	rc = fp_share_parse(buf, len, path, hp, err);
	free(buf);
	return rc;
}
