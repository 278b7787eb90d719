// SPDX-License-Identifier: MIT
/*
 * probe.c - flowplanctl probe: learn the port-to-path map of a fabric.
 *
 *   flowplanctl probe TOPO [pairs SRC:DST,...|all] [ports N | sports LIST]
 *                     [first LIST] [per-path K] [proto udp|tcp] [dport P] [rate PPS]
 *                     [routers FILE] [retries N] [timeout MS] [deadline S]
 *                     [out FILE]
 *
 * Runs where the source addresses live (a host, or `ip netns exec HOST` in
 * the lab). `all` probes from every local NIC of TOPO to every NIC of the
 * other hosts of the same family (IPv4 or IPv6). A pair names two NICs by
 * name or address, IPv6 addresses in brackets ([2001:db8::1]:[2001:db8::5]).
 * Candidate ports are the RoCEv2 ports of flow labels 1..N
 * (0xC000 | label), or the given list ("49153,50000-50015"); `first` ports
 * (a list too) go before them for every pair. The router map
 * ("ADDR SWITCH" lines, IPv4 or IPv6; lab.sh writes one per family) names
 * the hops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "flowplanctl.h"
#include "core/hostplan.h"
#include "probe/probe.h"
#include "planner/topo.h"
#include "planner/util.h"

/* Whether @a is an address of this host (network namespace), either family. */
static bool addr_is_local(const struct fp_addr *a, const struct fp_addr *local, size_t nlocal)
{
	size_t i;

	for (i = 0; i < nlocal; i++)
		if (!fp_addr_cmp(a, &local[i]))
			return true;
	return false;
}

/* A NIC by name or address ("[IPv6]" taken too). */
static int find_nic(struct fp_topo *t, const char *s)
{
	char buf[FP_ADDR_STRLEN + 2];
	struct fp_addr a;
	size_t len = strlen(s);
	int n;

	if (s[0] == '[' && len > 2 && len < sizeof(buf) && s[len - 1] == ']') {
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = 0;
		s = buf;
	}
	if (!fp_addr_parse(s, &a))
		return fp_topo_find_ip(t, &a);
	n = fp_topo_find(t, s);
	return n >= 0 && t->nodes[n].is_nic ? n : -1;
}

/*
 * Split "SRC:DST" at the colon between them: one colon, or brackets around
 * an IPv6 address ("[2001:db8::1]:[2001:db8::5]", "h0.n0:[2001:db8::5]").
 * NULL when there is no such colon.
 */
static char *pair_colon(char *tok)
{
	char *c;

	if (tok[0] == '[') {
		c = strchr(tok, ']');
		return c && c[1] == ':' ? c + 1 : NULL;
	}
	c = strchr(tok, ':');
	if (!c || (c[1] != '[' && strchr(c + 1, ':')))
		return NULL;
	return c;
}

static int add_pair(struct fp_topo *t, int s, int d, struct fp_probe_pair **pairs,
		    size_t *n, size_t *cap)
{
	const struct fp_node *ns = &t->nodes[s], *nd = &t->nodes[d];
	struct fp_probe_pair *p;
	struct fp_pathset ps;

	if (ns->leaf < 0 || nd->leaf < 0)
		return fp_err("probe: %s or %s has no live link to a leaf", ns->name, nd->name);
	ps = fp_topo_paths(t, ns->leaf, nd->leaf);
	FP_GROW(*pairs, *cap, *n + 1);
	p = &(*pairs)[(*n)++];
	memset(p, 0, sizeof(*p));
	if (fp_addr_is_v4(&ns->ip) != fp_addr_is_v4(&nd->ip))
		return fp_err("probe: %s and %s are of two families (IPv4 and IPv6): a probe goes from one address to another of its family",
			      ns->name, nd->name);
	p->src = ns->ip;
	p->dst = nd->ip;
	if (!ps.n) {
		/* Unreachable in the model: probe as far as a leaf-spine path goes. */
		p->hops = 3;
		p->npaths = 0;
	} else {
		p->hops = ps.p[0].len + 1u;
		p->npaths = (unsigned int)ps.n;
	}
	if (p->hops > FP_PROBE_MAX_HOPS)
		return fp_err("probe: %s -> %s: paths of %u switches are too long", ns->name,
			      nd->name, p->hops);
	/* The paths by switch name, so that a port's probing stops once one fits. */
	if (ps.n && ps.n <= 64 && p->hops > 2) {
		const char **names = fp_xcalloc((size_t)ps.n * p->hops, sizeof(*names));
		int i;
		unsigned int h;

		for (i = 0; i < ps.n; i++)
			for (h = 0; h < p->hops; h++)
				names[(size_t)i * p->hops + h] = t->nodes[h ?
					t->links[ps.p[i].link[h - 1]].to :
					t->links[ps.p[i].link[0]].from].name;
		p->cand = names;
		p->ncand = (unsigned int)ps.n;
	}
	return 0;
}

static int parse_pairs(struct fp_topo *t, const char *spec, struct fp_probe_pair **pairs,
		       size_t *n)
{
	size_t cap = 0;
	char *dup, *tok, *save = NULL;
	int s, d, rc = 0;

	if (!strcmp(spec, "all")) {
		struct fp_addr *local = NULL;
		size_t nlocal = 0;

		rc = fp_local_addrs(&local, &nlocal);
		if (rc)
			return fp_err("probe: this host's addresses: %s", strerror(rc));
		for (s = 0; s < t->nnodes && !rc; s++) {
			if (!t->nodes[s].is_nic || !addr_is_local(&t->nodes[s].ip, local, nlocal))
				continue;
			for (d = 0; d < t->nnodes && !rc; d++)
				if (t->nodes[d].is_nic && t->nodes[d].host != t->nodes[s].host &&
				    t->nodes[d].leaf >= 0 && t->nodes[s].leaf >= 0 &&
				    fp_addr_is_v4(&t->nodes[d].ip) == fp_addr_is_v4(&t->nodes[s].ip))
					rc = add_pair(t, s, d, pairs, n, &cap);
		}
		free(local);
		if (!rc && !*n)
			return fp_err("probe: no NIC of topology %s is local here; run it in a host's network namespace (ip netns exec HOST flowplanctl probe ...)",
				      t->name);
		return rc;
	}
	dup = fp_xstrdup(spec);
	for (tok = strtok_r(dup, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		char *colon = pair_colon(tok);

		if (!colon) {
			rc = fp_err("probe: pair \"%s\" is not SRC:DST (IPv6 addresses in brackets: [2001:db8::1]:[2001:db8::5])",
				    tok);
			break;
		}
		*colon = 0;
		s = find_nic(t, tok);
		d = find_nic(t, colon + 1);
		if (s < 0 || d < 0) {
			rc = fp_err("probe: \"%s\" is not a NIC (name or address) of topology %s",
				    s < 0 ? tok : colon + 1, t->name);
			break;
		}
		/* A dual-stack NIC's name stands for its address of the other end's family. */
		if (fp_addr_is_v4(&t->nodes[s].ip) != fp_addr_is_v4(&t->nodes[d].ip)) {
			int s2 = fp_topo_nic_family(t, s, fp_addr_is_v4(&t->nodes[d].ip) == 0);
			int d2 = fp_topo_nic_family(t, d, fp_addr_is_v4(&t->nodes[s].ip) == 0);

			if (s2 >= 0)
				s = s2;
			else if (d2 >= 0)
				d = d2;
		}
		if (s == d || t->nodes[s].twin == d) {
			rc = fp_err("probe: pair %s:%s has the same NIC twice", tok, colon + 1);
			break;
		}
		rc = add_pair(t, s, d, pairs, n, &cap);
	}
	free(dup);
	return rc;
}

/* "49153,50000-50015" into a port list; 0 or 1 after complaining. */
static int parse_sports(const char *what, const char *spec, uint16_t **ports, long *n)
{
	char *dup = fp_xstrdup(spec), *tok, *save = NULL, *end;
	size_t cap = 0;
	int rc = 0;

	*n = 0;
	for (tok = strtok_r(dup, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		long lo = strtol(tok, &end, 10), hi = lo;

		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		if (*end || lo < 1 || hi > 65535 || lo > hi || *n + (hi - lo + 1) > 65535) {
			rc = fp_err("probe: %s: \"%s\" is not a port or range of ports", what, tok);
			break;
		}
		for (; lo <= hi; lo++) {
			FP_GROW(*ports, cap, (size_t)*n + 1);
			(*ports)[(*n)++] = (uint16_t)lo;
		}
	}
	free(dup);
	if (!rc && !*n)
		rc = fp_err("probe: %s: no port given", what);
	return rc;
}

static void probe_log(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "probe: %s\n", line);
}

static long num_arg(const char *v, const char *what, long lo, long hi, bool *bad)
{
	char *end;
	long x = strtol(v, &end, 10);

	if (*end || x < lo || x > hi) {
		fp_err("probe: %s must be %ld..%ld, not \"%s\"", what, lo, hi, v);
		*bad = true;
	}
	return x;
}

static void print_summary(const struct fp_probe_cfg *cfg, const struct fp_probe_pair *pairs,
			  size_t n, const struct fp_probe_stats *st)
{
	size_t i, nres = 0;
	unsigned int k;

	for (i = 0; i < n; i++)
		nres += pairs[i].resolved;
	pr_obj_open("probe");
	pr_u64("pairs", "%llu pairs", n);
	pr_u64("resolved", ", %llu resolved", nres);
	pr_u64("probes", ", %llu probes", st->sent);
	pr_u64("replies", ", %llu replies", st->replies);
	pr_u64("lost", ", %llu lost", st->lost);
	pr_dbl("seconds", " in %.1f s\n", st->seconds);
	pr_arr_open("unresolved", NULL);
	for (i = 0; i < n; i++) {
		const struct fp_probe_pair *p = &pairs[i];
		char s[FP_ADDR_STRLEN], d[FP_ADDR_STRLEN];

		if (p->resolved)
			continue;
		pr_obj_open(NULL);
		pr_str("src", "unresolved: %s", fp_addr_str(&p->src, s));
		pr_str("dst", " -> %s", fp_addr_str(&p->dst, d));
		pr_u64("paths_found", " (%llu", p->nfound);
		pr_u64("paths_expected", " of %llu paths", p->npaths);
		pr_str("why", "): %s\n", p->why);
		pr_obj_close();
	}
	pr_arr_close(NULL);
	/* The learned ports: JSON only (the text form is the port map). */
	pr_arr_open("ports", NULL);
	for (i = 0; i < n; i++) {
		const struct fp_probe_pair *p = &pairs[i];
		char s[FP_ADDR_STRLEN], d[FP_ADDR_STRLEN];

		for (k = 0; k < p->nres; k++) {
			const struct fp_probe_path *pa = &p->paths[p->res[k].path];
			unsigned int h;

			pr_obj_open(NULL);
			pr_str("src_addr", NULL, fp_addr_str(&p->src, s));
			pr_str("dst_addr", NULL, fp_addr_str(&p->dst, d));
			pr_u64("sport", NULL, p->res[k].sport);
			pr_arr_open("path", NULL);
			for (h = 0; h < p->hops; h++) {
				const char *nm = fp_probe_router_name(cfg, &pa->hop[h]);

				pr_str(NULL, NULL, nm ? nm : fp_addr_str(&pa->hop[h], s));
			}
			pr_arr_close(NULL);
			pr_obj_close();
		}
	}
	pr_arr_close(NULL);
	pr_obj_close();
}

int cmd_probe(int argc, char **argv)
{
	struct fp_probe_cfg cfg = { .proto = FP_PROBE_UDP, .dport = FP_ROCE_PORT,
				    .per_path = 2, .rate = 200, .log = probe_log };
	const char *topo_spec, *pairs_spec = "all", *out = NULL, *routers = NULL;
	const char *sports = NULL, *first = NULL;
	struct fp_probe_router *rt = NULL;
	struct fp_probe_pair *pairs = NULL;
	struct fp_probe_stats st;
	struct fp_topo *t = NULL;
	struct fp_err err = { "" };
	size_t npairs = 0, nrt = 0, i;
	uint16_t *ports = NULL, *fports = NULL;
	long nports = 64, nfirst = 0;
	bool bad = false;
	int rc = 1;
	FILE *f;

	if (argc < 1 || fp_matches(argv[0], "help")) {
		fputs("Usage: flowplanctl probe TOPO routers FILE [pairs SRC:DST,...|all]\n"
		      "                        [ports N | sports LIST] [first LIST] [per-path K]\n"
		      "                        [proto udp|tcp] [dport P] [rate PPS]\n"
		      "                        [retries N] [timeout MS] [deadline S] [out FILE]\n",
		      stderr);
		return argc < 1;
	}
	topo_spec = argv[0];
	for (argc--, argv++; argc > 0 && !bad; argc--, argv++) {
		const char *k = argv[0], *v = fp_next_arg(&argc, &argv, k);

		if (!v)
			return 1;
		if (fp_matches(k, "pairs"))
			pairs_spec = v;
		else if (fp_matches(k, "ports"))
			nports = num_arg(v, "ports", 1, 0x3fff, &bad);
		else if (fp_matches(k, "sports"))
			sports = v;
		else if (fp_matches(k, "first"))
			first = v;
		else if (fp_matches(k, "per-path"))
			cfg.per_path = (unsigned int)num_arg(v, "per-path", 1, 1000, &bad);
		else if (fp_matches(k, "proto")) {
			if (fp_matches(v, "udp"))
				cfg.proto = FP_PROBE_UDP;
			else if (fp_matches(v, "tcp"))
				cfg.proto = FP_PROBE_TCP;
			else
				return fp_err("probe: proto is udp or tcp, not \"%s\"", v);
		} else if (fp_matches(k, "dport"))
			cfg.dport = (uint16_t)num_arg(v, "dport", 1, 65535, &bad);
		else if (fp_matches(k, "rate"))
			cfg.rate = (double)num_arg(v, "rate", 1, 100000, &bad);
		else if (fp_matches(k, "routers"))
			routers = v;
		else if (fp_matches(k, "retries"))
			cfg.retries = (unsigned int)num_arg(v, "retries", 1, 20, &bad);
		else if (fp_matches(k, "timeout"))
			cfg.timeout_ms = (unsigned int)num_arg(v, "timeout", 1, 60000, &bad);
		else if (fp_matches(k, "deadline"))
			cfg.deadline_s = (unsigned int)num_arg(v, "deadline", 1, 86400, &bad);
		else if (fp_matches(k, "out"))
			out = v;
		else
			return fp_err("probe: unknown argument \"%s\"", k);
	}
	if (bad)
		return 1;
	if (!routers)
		return fp_err("probe: needs the router map, routers FILE (lines \"ADDR SWITCH\" naming every router address; lab.sh writes it)");
	if (fp_probe_routers_load(routers, &rt, &nrt, &err)) {
		fp_err("%s", err.msg);
		goto out;
	}
	if (fp_topo_load(topo_spec, &t, &err)) {
		fp_err("%s", err.msg);
		goto out;
	}
	for (i = 0; i < nrt; i++) {
		int s = fp_topo_find(t, rt[i].name);

		if (s < 0 || t->nodes[s].is_nic) {
			fp_err("%s: \"%s\" is not a switch of topology %s", routers, rt[i].name,
			       t->name);
			goto out;
		}
	}
	if (parse_pairs(t, pairs_spec, &pairs, &npairs))
		goto out;
	if (sports) {
		if (parse_sports("sports", sports, &ports, &nports))
			goto out;
	} else {
		ports = fp_xcalloc((size_t)nports, sizeof(*ports));
		for (i = 0; i < (size_t)nports; i++)
			ports[i] = fp_label_to_sport((uint32_t)i + 1);
	}
	if (first && parse_sports("first", first, &fports, &nfirst))
		goto out;
	for (i = 0; i < npairs; i++) {
		pairs[i].first = fports;
		pairs[i].nfirst = (unsigned int)nfirst;
	}
	cfg.ports = ports;
	cfg.nports = (unsigned int)nports;
	cfg.routers = rt;
	cfg.nrouters = nrt;
	if (!opts.details)
		cfg.log = NULL;
	if (fp_probe_run(&cfg, pairs, npairs, &st, &err)) {
		fp_err("%s", err.msg);
		goto out;
	}
	if (out || !opts.json) {
		struct out_file o;

		f = out_open(&o, out ? out : "-");
		if (!f)
			goto out;
		if (fp_probe_write_portmap(f, &cfg, pairs, npairs, true)) {
			fp_err("%s: write error", out ? out : "standard output");
			out_close(&o, 1);
			goto out;
		}
		if (out_close(&o, 0))
			goto out;
	}
	if (opts.json || out)
		print_summary(&cfg, pairs, npairs, &st);
	else
		fprintf(stderr, "probe: %zu pairs, %lu probes, %lu lost, %.1f s\n", npairs,
			st.sent, st.lost, st.seconds);
	rc = 0;
	for (i = 0; i < npairs; i++)
		rc |= !pairs[i].resolved;
	if (rc) {
		/*
		 * The summary says which pairs are unresolved and why: out
		 * now, as flowplanctl prints a JSON document only on success.
		 */
		pr_flush();
		fp_err("probe: some pairs are unresolved (see the port map's comments)");
	}
out:
	for (i = 0; i < npairs; i++) {
		fp_probe_pair_release(&pairs[i]);
		free((void *)pairs[i].cand);
	}
	free(pairs);
	free(ports);
	free(fports);
	fp_probe_routers_free(rt, nrt);
	if (t)
		fp_topo_free(t);
	return rc;
}
