// SPDX-License-Identifier: MIT
/* portmap.c - read port maps learned by probing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/portmap.h"
#include "planner/util.h"

void fp_portmap_free(struct fp_portmap *pm)
{
	if (!pm)
		return;
	free(pm->rows);
	free(pm);
}

/* fp_pm_order() of two rows, or of their pairs with @ports false. */
static int order(const struct fp_pm_row *x, const struct fp_pm_row *y, bool ports)
{
	struct fp_addr xs = fp_pm_row_src(x), xd = fp_pm_row_dst(x);
	struct fp_addr ys = fp_pm_row_src(y), yd = fp_pm_row_dst(y);

	return fp_pm_order(&xs, &xd, ports ? x->sport : 0, &ys, &yd, ports ? y->sport : 0);
}

static int cmp_pair(const struct fp_pm_row *x, const struct fp_pm_row *y)
{
	return order(x, y, false);
}

static int cmp_row(const void *a, const void *b)
{
	return order(a, b, true);
}

void fp_portmap_sort(struct fp_portmap *pm)
{
	if (pm->n > 1)
		qsort(pm->rows, pm->n, sizeof(*pm->rows), cmp_row);
}

/* Map a comma-separated switch list onto a path index between the NICs' leaves. */
static int resolve_path(struct fp_topo *t, int snic, int dnic, char *list, const char *name,
			int line, struct fp_err *err)
{
	struct fp_pathset ps = fp_topo_paths(t, t->nodes[snic].leaf, t->nodes[dnic].leaf);
	int hops[8], nh = 0, i, j;
	char *save = NULL, *tok;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nh == 8)
			return -fp_fail(err, EINVAL, "%s:%d: path has more than 8 switches", name, line);
		hops[nh] = fp_topo_find(t, tok);
		if (hops[nh] < 0 || t->nodes[hops[nh]].is_nic)
			return -fp_fail(err, EINVAL, "%s:%d: \"%s\" is not a switch of topology %s",
					name, line, tok, t->name);
		nh++;
	}
	if (!nh || hops[0] != t->nodes[snic].leaf || hops[nh - 1] != t->nodes[dnic].leaf)
		return -fp_fail(err, EINVAL, "%s:%d: path must run from %s to %s", name, line,
				t->nodes[t->nodes[snic].leaf].name, t->nodes[t->nodes[dnic].leaf].name);
	for (i = 0; i < ps.n; i++) {
		if (ps.p[i].len != nh - 1)
			continue;
		for (j = 0; j < nh - 1; j++)
			if (t->links[ps.p[i].link[j]].to != hops[j + 1])
				break;
		if (j == nh - 1)
			return i;
	}
	return -fp_fail(err, EINVAL, "%s:%d: no live shortest path of topology %s crosses these switches",
			name, line, t->name);
}

int fp_portmap_parse(const char *text, const char *name, struct fp_topo *t,
		     struct fp_portmap **out, struct fp_err *err)
{
	struct fp_portmap *pm = fp_xcalloc(1, sizeof(*pm));
	char *dup = fp_xstrdup(text), *ln, *next;
	int line = 0, rc = 0, seen_header = 0;

	for (ln = dup; ln && *ln && !rc; ln = next) {
		char sa[64], da[64], sp[16], path[1024];
		int snic, dnic, nf, p = -1;
		struct fp_addr src, dst;
		struct fp_pm_row row = { 0 };
		const char *why;
		long port = 0;
		char *end;

		next = strchr(ln, '\n');
		if (next)
			*next++ = 0;
		line++;
		if (!seen_header) {
			if (strncmp(ln, "# flowplan-portmap 1", 20)) {
				rc = fp_fail(err, EINVAL, "%s:%d: first line must be \"# flowplan-portmap 1\"",
					     name, line);
				break;
			}
			seen_header = 1;
			continue;
		}
		while (*ln == ' ' || *ln == '\t')
			ln++;
		if (!*ln || *ln == '#')
			continue;
		nf = sscanf(ln, "%63s %63s %15s %1023s", sa, da, sp, path);
		if (nf != 4) {
			rc = fp_fail(err, EINVAL, "%s:%d: expected \"SRC DST SPORT PATH\"", name, line);
			break;
		}
		if (fp_nic_addr_parse(sa, &src, &why) || fp_nic_addr_parse(da, &dst, &why)) {
			rc = fp_fail(err, EINVAL, "%s:%d: \"%s\" is %s", name, line,
				     fp_nic_addr_parse(sa, &src, &why) ? sa : da, why);
			break;
		}
		if (fp_addr_is_v4(&src) != fp_addr_is_v4(&dst)) {
			rc = fp_fail(err, EINVAL, "%s:%d: %s and %s are of different families", name,
				     line, sa, da);
			break;
		}
		snic = fp_topo_find_ip(t, &src);
		dnic = fp_topo_find_ip(t, &dst);
		if (snic < 0 || dnic < 0) {
			rc = fp_fail(err, EINVAL, "%s:%d: %s is not a NIC address of topology %s", name,
				     line, snic < 0 ? sa : da, t->name);
			break;
		}
		if (!strcmp(path, "unresolved")) {
			if (strcmp(sp, "-")) {
				rc = fp_fail(err, EINVAL, "%s:%d: an unresolved pair has sport \"-\"", name, line);
				break;
			}
		} else {
			port = strtol(sp, &end, 10);
			if (*end || port < 1 || port > 65535) {
				rc = fp_fail(err, EINVAL, "%s:%d: \"%s\" is not a UDP port", name, line, sp);
				break;
			}
			p = resolve_path(t, snic, dnic, path, name, line, err);
			if (p < 0) {
				rc = -p;
				break;
			}
		}
		FP_GROW(pm->rows, pm->cap, pm->n + 1);
		if (fp_addr_is_v4(&src)) {
			row.src = fp_addr_to_v4(&src);
			row.dst = fp_addr_to_v4(&dst);
		} else {
			row.src6 = src;
			row.dst6 = dst;
		}
		row.sport = (uint16_t)port;
		row.path = p;
		pm->rows[pm->n++] = row;
	}
	if (!rc && !seen_header)
		rc = fp_fail(err, EINVAL, "%s: empty file (first line must be \"# flowplan-portmap 1\")", name);
	free(dup);
	if (rc) {
		fp_portmap_free(pm);
		return rc;
	}
	fp_portmap_sort(pm);
	pm->topo = t;
	pm->paths_gen = t->paths_gen;
	*out = pm;
	return 0;
}

int fp_portmap_load(const char *path, struct fp_topo *t, struct fp_portmap **out,
		    struct fp_err *err)
{
	char *buf;
	size_t len;
	int rc = fp_read_file(path, FP_PORTMAP_FILE_MAX, &buf, &len, err);

	if (rc)
		return rc;
	if (strlen(buf) != len)
		rc = fp_fail(err, EINVAL, "%s: contains a NUL byte", path);
	else
		rc = fp_portmap_parse(buf, path, t, out, err);
	free(buf);
	return rc;
}

static const struct fp_pm_row *pair(const struct fp_portmap *pm, const struct fp_pm_row *key,
				    size_t *n)
{
	size_t lo = 0, hi = pm->n, e;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cmp_pair(&pm->rows[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (e = lo; e < pm->n && !cmp_pair(&pm->rows[e], key); e++)
		;
	*n = e - lo;
	return *n ? &pm->rows[lo] : NULL;
}

const struct fp_pm_row *fp_portmap_pair(const struct fp_portmap *pm, uint32_t src,
					uint32_t dst, size_t *n)
{
	struct fp_pm_row key = { .src = src, .dst = dst };

	return pair(pm, &key, n);
}

const struct fp_pm_row *fp_portmap_pair_ip(const struct fp_portmap *pm, const struct fp_addr *src,
					   const struct fp_addr *dst, size_t *n)
{
	struct fp_pm_row key = { 0 };

	if (fp_addr_is_v4(src)) {
		key.src = fp_addr_to_v4(src);
		key.dst = fp_addr_to_v4(dst);
	} else {
		key.src6 = *src;
		key.dst6 = *dst;
	}
	return pair(pm, &key, n);
}
