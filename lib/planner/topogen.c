// SPDX-License-Identifier: MIT
/*
 * topogen.c - topology generators: "leafspine:..." and "fattree:..."
 * (docs/formats.md "Generator syntax").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/topo.h"
#include "planner/topo_priv.h"
#include "planner/util.h"

struct gen_args {
	int leaves, spines, hosts, nics, k;
	bool rail;
	double host_gbps, up_gbps;
	bool up_set;
	const char *fail;
	uint32_t seed;
	enum fp_hash_fn hash;
	enum fp_hash_fields fields;
	bool v6;
	bool dual;		/* every NIC gets an IPv4 and an IPv6 address */
};

static int gen_parse(const char *spec, const char *params, struct gen_args *g,
		     char **fail_buf, struct fp_err *err)
{
	char *dup = fp_xstrdup(params), *save = NULL, *tok;
	int rc = 0;

	for (tok = strtok_r(dup, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		long v = 0;
		double d = 0;

		if (!strcmp(tok, "rail")) {
			g->rail = true;
			continue;
		}
		if (!strcmp(tok, "ipv6")) {
			g->v6 = true;
			continue;
		}
		if (!strcmp(tok, "dual")) {
			g->dual = true;
			continue;
		}
		if (!eq) {
			rc = fp_fail(err, EINVAL, "%s: \"%s\": expected key=value", spec, tok);
			break;
		}
		*eq++ = 0;
		if (!strcmp(tok, "fail")) {
			free(*fail_buf);	/* the last fail= wins */
			*fail_buf = fp_xstrdup(eq);
			g->fail = *fail_buf;
			continue;
		}
		if (!strcmp(tok, "hash")) {
			if (fp_hash_parse(eq, &g->hash))
				rc = fp_fail(err, EINVAL, "%s: hash: unknown hash \"%s\" (crc32, crc32c, crc16, xor, toeplitz)",
					     spec, eq);
			continue;
		}
		if (!strcmp(tok, "fields")) {
			if (fp_hash_fields_parse(eq, &g->fields))
				rc = fp_fail(err, EINVAL, "%s: fields: \"%s\": expected l4, l4+flowlabel or l3+flowlabel",
					     spec, eq);
			continue;
		}
		errno = 0;
		if (!strcmp(tok, "host_gbps") || !strcmp(tok, "up_gbps"))
			d = strtod(eq, &end);
		else
			v = strtol(eq, &end, 0);
		if (errno || *end || end == eq || v < 0 || d < 0) {
			rc = fp_fail(err, EINVAL, "%s: %s: \"%s\" is not a valid number", spec, tok, eq);
			break;
		}
		if ((!strcmp(tok, "host_gbps") || !strcmp(tok, "up_gbps")) && !fp_gbps_ok(d)) {
			rc = fp_fail(err, ERANGE, "%s: %s: \"%s\" must be a capacity in Gbit/s (%g..%g)",
				     spec, tok, eq, FP_GBPS_MIN, FP_GBPS_MAX);
			break;
		}
		if (!strcmp(tok, "leaves"))
			g->leaves = (int)v;
		else if (!strcmp(tok, "spines"))
			g->spines = (int)v;
		else if (!strcmp(tok, "hosts"))
			g->hosts = (int)v;
		else if (!strcmp(tok, "nics"))
			g->nics = (int)v;
		else if (!strcmp(tok, "k"))
			g->k = (int)v;
		else if (!strcmp(tok, "seed") && v > (long)UINT32_MAX)
			rc = fp_fail(err, ERANGE, "%s: seed: %s is out of range 0..%u", spec, eq,
				     UINT32_MAX);
		else if (!strcmp(tok, "seed"))
			g->seed = (uint32_t)v;
		else if (!strcmp(tok, "host_gbps"))
			g->host_gbps = d;
		else if (!strcmp(tok, "up_gbps"))
			g->up_gbps = d, g->up_set = true;
		else
			rc = fp_fail(err, EINVAL, "%s: unknown parameter \"%s\"", spec, tok);
		if (!rc && strcmp(tok, "seed") && (v > 1000000 || d > FP_GBPS_MAX))
			rc = fp_fail(err, ERANGE, "%s: %s: %s is too large", spec, tok, eq);
	}
	free(dup);
	return rc;
}

static int gen_fail(struct fp_topo *t, const char *spec, const char *fail, struct fp_err *err)
{
	char *dup, *save = NULL, *tok;
	int rc = 0;

	if (!fail)
		return 0;
	dup = fp_xstrdup(fail);
	for (tok = strtok_r(dup, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		char *dash = strchr(tok, '-');
		int a, b, l, found = 0;

		if (!dash) {
			rc = fp_fail(err, EINVAL, "%s: fail: \"%s\" is not NODE-NODE", spec, tok);
			break;
		}
		*dash = 0;
		a = fp_topo_find(t, tok);
		b = fp_topo_find(t, dash + 1);
		for (l = 0; l < t->nlinks && a >= 0 && b >= 0; l++) {
			if (t->links[l].from == a && t->links[l].to == b) {
				t->links[l].up = t->links[t->links[l].rev].up = false;
				found = 1;
			}
		}
		if (!found) {
			rc = fp_fail(err, EINVAL, "%s: fail: no link between \"%s\" and \"%s\"", spec,
				     tok, dash + 1);
			break;
		}
	}
	free(dup);
	return rc;
}

static void gen_hosts_on(struct fp_topo_builder *b, int host0, int nhosts, int nics, const int *leaf_of_nic,
			 double gbps)
{
	char nm[64];
	int h, i;

	for (h = host0; h < host0 + nhosts; h++) {
		int hid;

		snprintf(nm, sizeof(nm), "h%d", h);
		hid = fp_tb_host(b, nm);
		for (i = 0; i < nics; i++) {
			int nid;

			snprintf(nm, sizeof(nm), "h%d.n%d", h, i);
			nid = fp_tb_nic(b, hid, nm);
			b->t->nodes[nid].gpu = i;
			fp_tb_link(b, nid, leaf_of_nic[i], gbps, true);
		}
	}
}

static int gen_leafspine(struct fp_topo_builder *b, const char *spec, struct gen_args *g,
			 struct fp_err *err)
{
	struct fp_topo *t = b->t;
	char nm[64];
	int *leaf_id, *spine_id, *lon, l, s, i;

	if (g->leaves < 1 || g->spines < 1 || g->hosts < 1 || g->nics < 1)
		return fp_fail(err, EINVAL, "%s: leaves, spines, hosts and nics must be at least 1", spec);
	if (g->rail && g->leaves % g->nics)
		return fp_fail(err, EINVAL, "%s: with rail, leaves (%d) must be a multiple of nics (%d)",
			       spec, g->leaves, g->nics);
	if ((long)g->leaves * g->hosts * g->nics > 1L << 20 || (long)g->leaves * g->spines > 1L << 22)
		return fp_fail(err, ERANGE, "%s: fabric too large", spec);
	leaf_id = fp_xcalloc((size_t)g->leaves, sizeof(int));
	spine_id = fp_xcalloc((size_t)g->spines, sizeof(int));
	lon = fp_xcalloc((size_t)g->nics, sizeof(int));
	for (l = 0; l < g->leaves; l++) {
		snprintf(nm, sizeof(nm), "leaf%d", l);
		leaf_id[l] = fp_tb_switch(b, nm, 1, -1);
	}
	for (s = 0; s < g->spines; s++) {
		snprintf(nm, sizeof(nm), "spine%d", s);
		spine_id[s] = fp_tb_switch(b, nm, 2, -1);
	}
	if (g->rail) {
		for (l = 0; l < g->leaves / g->nics; l++) {
			for (i = 0; i < g->nics; i++)
				lon[i] = leaf_id[l * g->nics + i];
			gen_hosts_on(b, l * g->hosts, g->hosts, g->nics, lon, g->host_gbps);
		}
	} else {
		for (l = 0; l < g->leaves; l++) {
			for (i = 0; i < g->nics; i++)
				lon[i] = leaf_id[l];
			gen_hosts_on(b, l * g->hosts, g->hosts, g->nics, lon, g->host_gbps);
		}
	}
	for (l = 0; l < g->leaves; l++)
		for (s = 0; s < g->spines; s++)
			fp_tb_link(b, leaf_id[l], spine_id[s], g->up_gbps, true);
	snprintf(nm, sizeof(nm), "leafspine-%dx%d-%dh%dn%s", g->leaves, g->spines, g->hosts,
		 g->nics, g->rail ? "-rail" : "");
	t->name = fp_xstrdup(nm);
	free(leaf_id);
	free(spine_id);
	free(lon);
	return 0;
}

static int gen_fattree(struct fp_topo_builder *b, const char *spec, struct gen_args *g,
		       struct fp_err *err)
{
	struct fp_topo *t = b->t;
	int k = g->k, h2, p, i, j, *agg, *leaf, *core, *lon;
	char nm[64];

	if (k < 2 || k % 2 || k > 64)
		return fp_fail(err, EINVAL, "%s: k must be even, 2..64", spec);
	h2 = k / 2;
	if (g->hosts < 1)
		g->hosts = h2;
	if (g->nics < 1)
		return fp_fail(err, EINVAL, "%s: nics must be at least 1", spec);
	agg = fp_xcalloc((size_t)(k * h2), sizeof(int));
	leaf = fp_xcalloc((size_t)(k * h2), sizeof(int));
	core = fp_xcalloc((size_t)(h2 * h2), sizeof(int));
	lon = fp_xcalloc((size_t)g->nics, sizeof(int));
	for (p = 0; p < k; p++) {
		for (i = 0; i < h2; i++) {
			snprintf(nm, sizeof(nm), "leaf%d", p * h2 + i);
			leaf[p * h2 + i] = fp_tb_switch(b, nm, 1, p);
		}
	}
	for (p = 0; p < k; p++) {
		for (i = 0; i < h2; i++) {
			snprintf(nm, sizeof(nm), "agg%d.%d", p, i);
			agg[p * h2 + i] = fp_tb_switch(b, nm, 2, p);
		}
	}
	for (i = 0; i < h2 * h2; i++) {
		snprintf(nm, sizeof(nm), "core%d", i);
		core[i] = fp_tb_switch(b, nm, 3, -1);
	}
	for (i = 0; i < k * h2; i++) {
		for (j = 0; j < g->nics; j++)
			lon[j] = leaf[i];
		gen_hosts_on(b, i * g->hosts, g->hosts, g->nics, lon, g->host_gbps);
	}
	for (p = 0; p < k; p++)
		for (i = 0; i < h2; i++)
			for (j = 0; j < h2; j++)
				fp_tb_link(b, leaf[p * h2 + i], agg[p * h2 + j], g->up_gbps, true);
	for (p = 0; p < k; p++)
		for (i = 0; i < h2; i++)
			for (j = 0; j < h2; j++)
				fp_tb_link(b, agg[p * h2 + i], core[i * h2 + j], g->up_gbps, true);
	snprintf(nm, sizeof(nm), "fattree-k%d-%dh%dn", k, g->hosts, g->nics);
	t->name = fp_xstrdup(nm);
	free(agg);
	free(leaf);
	free(core);
	free(lon);
	return 0;
}

int fp_topo_generate(const char *spec, struct fp_topo **out, struct fp_err *err)
{
	struct fp_topo_builder b = { .t = fp_xcalloc(1, sizeof(struct fp_topo)) };
	struct gen_args g = { .nics = 1, .host_gbps = 100, .hash = FP_HASH_CRC32 };
	const char *colon = strchr(spec, ':');
	char *fail_buf = NULL;
	int rc;

	if (!colon) {
		rc = fp_fail(err, EINVAL, "%s: expected leafspine:... or fattree:...", spec);
		goto out;
	}
	rc = gen_parse(spec, colon + 1, &g, &fail_buf, err);
	if (rc)
		goto out;
	if (g.v6 && g.dual) {
		rc = fp_fail(err, EINVAL, "%s: ipv6 and dual: choose one (dual gives every NIC an IPv4 and an IPv6 address)",
			     spec);
		goto out;
	}
	if (!g.up_set)
		g.up_gbps = g.host_gbps;
	b.t->seed = g.seed;
	b.t->hash_fn = g.hash;
	b.t->hash_fields = g.fields;
	b.t->gen_v6 = g.v6;
	if (!strncmp(spec, "leafspine:", 10))
		rc = gen_leafspine(&b, spec, &g, err);
	else if (!strncmp(spec, "fattree:", 8))
		rc = gen_fattree(&b, spec, &g, err);
	else
		rc = fp_fail(err, EINVAL, "%s: unknown generator (leafspine, fattree)", spec);
	if (!rc && g.dual) {
		static const struct fp_addr unset;	/* generated */
		int i, n = b.t->nnodes;

		for (i = 0; i < n; i++)
			if (b.t->nodes[i].is_nic)
				fp_tb_twin(&b, i, &unset);
	}
	if (!rc) {
		fp_topo_index_names(b.t);
		rc = gen_fail(b.t, spec, g.fail, err);
	}
	if (!rc)
		rc = fp_topo_finalize(b.t, spec, err);
out:
	free(fail_buf);
	if (rc) {
		fp_topo_free(b.t);
		return rc;
	}
	*out = b.t;
	return 0;
}
