// SPDX-License-Identifier: MIT
/*
 * Reverse entries (fp_plan_reverse): a pair a -> b with no flow b -> a
 * gets an entry b -> a for the replies of b's QP, with as many subflows as
 * the flow, subflow i's port on the reverse of subflow i's path (the hash
 * model's, or a port map's), none over a failed link after a repair, the
 * labels that still hold kept; pairs with data both ways get nothing more.
 */
#include <errno.h>
#include <stdlib.h>

#include "planner/util.h"
#include "planner_util.h"

/* The largest flow @src -> @dst of @p (earliest phase on ties); false: none. */
static bool pair_flow(const struct fp_plan *p, int src, int dst, size_t *ph, size_t *fl)
{
	uint64_t best = 0;
	size_t i, k;

	for (i = 0; i < p->nph; i++)
		for (k = 0; k < p->sched->ph[i].n; k++) {
			const struct fp_flow *f = &p->sched->ph[i].flows[k];

			if (f->src == src && f->dst == dst && f->bytes > best) {
				best = f->bytes;
				*ph = i;
				*fl = k;
			}
		}
	return best > 0;
}

static void reversed(const struct fp_topo *t, const struct fp_path *fwd, struct fp_path *out)
{
	int h;

	out->len = fwd->len;
	for (h = 0; h < fwd->len; h++)
		out->link[h] = t->links[fwd->link[fwd->len - 1 - h]].rev;
}

/*
 * Every entry of @p: a pair's own flow, or the reverse of a flow with no
 * flow back, subflow for subflow on the reversed paths (@pm/@was: by the
 * map's paths as learned; NULL: the hash model in the topology as it is),
 * over live links only. Every pair without a flow back has its reverse
 * entry. Returns the reverse entries; *@split: those with several subflows.
 */
static size_t check_reverse(struct fp_plan *p, const struct fp_portmap *pm,
			    const struct fp_path *was, size_t *split)
{
	struct fp_topo *t = p->topo;
	struct fp_hostplan hp;
	struct fp_err err;
	size_t e, i, k, nrev = 0, pairs = 0, want_rev = 0;

	*split = 0;
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &hp, &err), 0);
	for (e = 0; e < hp.n; e++) {
		const struct fp_hostplan_entry *x = &hp.e[e];
		int src = fp_topo_find_ip(t, &x->local), dst = fp_topo_find_ip(t, &x->remote);
		struct fp_pathset fps, rps;
		size_t ph, fl;

		if (pair_flow(p, src, dst, &ph, &fl))
			continue;
		assert_true(pair_flow(p, dst, src, &ph, &fl));
		nrev++;
		*split += x->nsub > 1;
		assert_int_equal(x->nsub, p->ph[ph].flows[fl].n);
		fps = fp_topo_paths(t, t->nodes[dst].leaf, t->nodes[src].leaf);
		rps = fp_topo_paths(t, t->nodes[src].leaf, t->nodes[dst].leaf);
		for (k = 0; k < x->nsub; k++) {
			const struct fp_plan_subflow *s = &p->ph[ph].subs[p->ph[ph].flows[fl].first + k];
			const struct fp_path *got;
			struct fp_path want;
			int h;

			assert_int_equal(x->sub[k].sport, fp_label_to_sport(x->sub[k].flow_label));
			assert_true(s->path < fps.n);
			reversed(t, &fps.p[s->path], &want);
			if (pm) {
				got = learned(pm, was, &x->local, &x->remote, x->sub[k].sport);
				assert_non_null(got);
			} else {
				int r = fp_topo_route(t, src, dst, x->sub[k].sport);

				assert_true(r >= 0 && r < rps.n);
				got = &rps.p[r];
			}
			assert_int_equal(got->len, want.len);
			for (h = 0; h < want.len; h++) {
				assert_int_equal(got->link[h], want.link[h]);
				assert_true(t->links[got->link[h]].up);
			}
		}
	}
	/* every pair with no flow back has one */
	for (i = 0; i < p->nph; i++)
		for (k = 0; k < p->sched->ph[i].n; k++) {
			const struct fp_flow *f = &p->sched->ph[i].flows[k];
			size_t ph, fl, j;
			bool first = true;

			if (t->nodes[f->src].host == t->nodes[f->dst].host)
				continue;
			for (j = 0; j < k && first; j++)
				first = p->sched->ph[i].flows[j].src != f->src ||
					p->sched->ph[i].flows[j].dst != f->dst;
			if (!first || i)	/* the tests' schedules have one phase */
				continue;
			pairs++;
			want_rev += !pair_flow(p, f->dst, f->src, &ph, &fl);
		}
	assert_int_equal(nrev, want_rev);
	assert_int_equal(hp.n, pairs + want_rev);
	fp_hostplan_free(&hp);
	return nrev;
}

/* The hash model: a fragmented ring whose flows split; every reply planned back. */
static void test_ring(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=4,spines=3,hosts=4");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=64M,place=frag", t);
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .max_split = 4, .generation = 1 };
	struct fp_plan *p;
	struct fp_err err;
	size_t split, n;

	(void)state;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	n = check_reverse(p, NULL, NULL, &split);
	assert_int_equal(n, s->ph[0].n);	/* a ring's pairs have no flow back */
	assert_true(split > 0);
	/* the replies' bytes are not counted: loads as the subflows alone give them */
	{
		struct fp_plan_phase trial = p->ph[0];

		trial.link_bytes = calloc((size_t)t->nlinks, sizeof(double));
		fp_plan_account(t, &s->ph[0], &trial);
		assert_memory_equal(trial.link_bytes, p->ph[0].link_bytes,
				    (size_t)t->nlinks * sizeof(double));
		free(trial.link_bytes);
	}
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Dense schedules, whose pairs are looked up in a bit per node pair (the
 * ring's are in a hash set), on a fabric of more than 64 node pairs: one
 * way (each host sends to every host after it), no flow has one back, so
 * every one is planned back; both ways (all-to-all), none is.
 */
static void test_dense(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=4");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan *p;
	size_t split;
	int a, b, n = 0;

	(void)state;
	s->name = fp_xstrdup("one-way");
	fp_sched_job(s, "j0");
	for (a = 0; a < t->nhosts; a++)
		for (b = a + 1; b < t->nhosts; b++, n++)
			fp_sched_add(s, 0, t->hosts[a].first_nic, t->hosts[b].first_nic,
				     (uint64_t)(1 + n) << 20, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_int_equal(check_reverse(p, NULL, NULL, &split), n);
	assert_int_equal(p->ph[0].nrev, n);
	fp_plan_free(p);
	fp_sched_free(s);
	s = gen_sched("alltoall:bytes=1M", t);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_int_equal(check_reverse(p, NULL, NULL, &split), 0);
	assert_int_equal(p->ph[0].nrev, 0);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* Data both ways (all-to-all): each pair's own entry, nothing added. */
static void test_both_ways(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = gen_sched("alltoall:bytes=1M", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	size_t split;

	(void)state;
	assert_int_equal(check_reverse(p, NULL, NULL, &split), 0);
	assert_int_equal(p->ph[0].nrev, 0);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
	/* the baselines plan no reverse */
	t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	s = gen_sched("ring-allreduce:bytes=1M", t);
	p = do_plan(t, s, FP_STRAT_ECMPK, 2, 1);
	assert_int_equal(p->ph[0].nrev, 0);
	assert_null(p->ph[0].rsubs);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* The reverse entries of @p by their pair. */
static void rev_entries(struct fp_plan *p, struct fp_hostplan *out)
{
	struct fp_hostplan all;
	struct fp_err err;
	size_t e, i = 0, ph, fl;

	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &all, &err), 0);
	for (e = 0; e < all.n; e++)
		if (!pair_flow(p, fp_topo_find_ip(p->topo, &all.e[e].local),
			       fp_topo_find_ip(p->topo, &all.e[e].remote), &ph, &fl))
			all.e[i++] = all.e[e];
	all.n = i;
	*out = all;
}

/* A spine link fails: the replies leave it with their flows, the rest keep their ports. */
static void test_repair(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=4,spines=3,hosts=4");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=64M,place=frag", t);
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .max_split = 4, .generation = 1 };
	struct fp_plan_repair_opts ro = { .max_split = 4 };
	struct fp_plan_repair_stats st;
	struct fp_hostplan before, after;
	struct fp_plan *p;
	struct fp_err err;
	struct fp_plan_flow *oflows;
	struct fp_plan_subflow *osubs;
	size_t split, e, k, crossed = 0, kept = 0, kept_changed = 0;
	int l;

	(void)state;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	l = loaded_link(p);
	assert_true(l >= 0);
	rev_entries(p, &before);
	oflows = malloc(s->ph[0].n * sizeof(*oflows));
	osubs = malloc(p->ph[0].nsubs * sizeof(*osubs));
	memcpy(oflows, p->ph[0].flows, s->ph[0].n * sizeof(*oflows));
	memcpy(osubs, p->ph[0].subs, p->ph[0].nsubs * sizeof(*osubs));
	assert_int_equal(fp_plan_repair(p, &l, 1, &ro, &st, &err), 0);
	assert_true(st.moved > 0);
	assert_false(t->links[l].up);
	assert_int_equal(check_reverse(p, NULL, NULL, &split), s->ph[0].n);
	rev_entries(p, &after);
	assert_int_equal(after.n, before.n);
	for (e = 0; e < before.n; e++) {
		const struct fp_hostplan_entry *b = &before.e[e], *a = &after.e[e];
		int src = fp_topo_find_ip(t, &b->local), dst = fp_topo_find_ip(t, &b->remote);
		struct fp_pathset fps = fp_topo_paths(t, t->nodes[dst].leaf, t->nodes[src].leaf);
		struct fp_pathset rps = fp_topo_paths(t, t->nodes[src].leaf, t->nodes[dst].leaf);
		const struct fp_plan_flow *pf;
		size_t ph, fl;
		bool same_fwd, holds = true;

		assert_int_equal(fp_addr_cmp(&a->local, &b->local), 0);
		assert_int_equal(fp_addr_cmp(&a->remote, &b->remote), 0);
		assert_true(pair_flow(p, dst, src, &ph, &fl));
		pf = &p->ph[ph].flows[fl];
		same_fwd = pf->n == oflows[fl].n &&
			   !memcmp(&p->ph[ph].subs[pf->first], &osubs[oflows[fl].first],
				   pf->n * sizeof(*osubs));
		/*
		 * its old ports still take the reversed paths of its flow in the
		 * live fabric (its flow's subflows as many as before, moved or not)
		 */
		holds = pf->n == b->nsub;
		for (k = 0; holds && k < b->nsub; k++) {
			int r = fp_topo_route(t, src, dst, b->sub[k].sport), h;
			struct fp_path want;

			reversed(t, &fps.p[p->ph[ph].subs[pf->first + k].path], &want);
			holds = r >= 0 && r < rps.n && rps.p[r].len == want.len;
			for (h = 0; holds && h < want.len; h++)
				holds = rps.p[r].link[h] == want.link[h];
		}
		if (a->nsub != b->nsub || memcmp(a->sub, b->sub, a->nsub * sizeof(a->sub[0]))) {
			/* only where it had to move: not where its old ports still hold */
			assert_false(holds);
			crossed++;
		} else {
			kept++;
			kept_changed += !same_fwd;
		}
	}
	assert_true(crossed > 0);	/* some replies crossed the link */
	assert_true(kept > 0);		/* and the others kept their ports */
	assert_true(kept_changed > 0);	/* some though their flow's ports changed */
	free(oflows);
	free(osubs);
	fp_hostplan_free(&before);
	fp_hostplan_free(&after);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A port map of @t for every pair of NICs on different leaves that @s has
 * a flow for, both ways: @per_path ports on each path (the hash model's).
 */
static char *pm_both_ways(struct fp_topo *t, const struct fp_sched *s, int per_path)
{
	size_t len = 0, j;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);
	int dir;

	assert_non_null(f);
	fprintf(f, "# flowplan-portmap 1\n");
	for (j = 0; j < s->ph[0].n; j++) {
		for (dir = 0; dir < 2; dir++) {
			const struct fp_flow *fl = &s->ph[0].flows[j];
			int src = dir ? fl->dst : fl->src, dst = dir ? fl->src : fl->dst;
			int sl = t->nodes[src].leaf, dl = t->nodes[dst].leaf, k, q, h;
			char sa[FP_ADDR_STRLEN], da[FP_ADDR_STRLEN];
			struct fp_pathset ps;

			if (sl == dl)
				continue;
			ps = fp_topo_paths(t, sl, dl);
			for (k = 0; k < ps.n; k++) {
				uint32_t label = 0;

				for (q = 0; q < per_path; q++) {
					assert_int_equal(fp_topo_port_search(t, src, dst, k, label + 1,
									     &label), 0);
					fprintf(f, "%s %s %u %s", fp_addr_str(&t->nodes[src].ip, sa),
						fp_addr_str(&t->nodes[dst].ip, da),
						fp_label_to_sport(label), t->nodes[sl].name);
					for (h = 0; h < ps.p[k].len; h++)
						fprintf(f, ",%s",
							t->nodes[t->links[ps.p[k].link[h]].to].name);
					fprintf(f, "\n");
				}
			}
		}
	}
	assert_int_equal(fclose(f), 0);
	return text;
}

/*
 * With a port map (as cluster-vm runs): the replies' ports are the map's
 * on the reversed paths, and after spine0 - leaf1 fails none is on it.
 * The map's rows' paths, as links, are taken before the failure.
 */
static void test_portmap(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=4,spines=3,hosts=4");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=64M,place=frag", t);
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .max_split = 4, .generation = 1 };
	struct fp_plan_repair_opts ro = { .max_split = 4 };
	char *text = pm_both_ways(t, s, 4);
	int l = fp_topo_link(t, fp_topo_find(t, "spine0"), fp_topo_find(t, "leaf1"));
	struct fp_plan_repair_stats st;
	struct fp_hostplan before, after;
	struct fp_portmap *pm;
	struct fp_path *was;
	struct fp_plan *p;
	struct fp_err err;
	size_t split, e, k, kept = 0;

	(void)state;
	assert_true(l >= 0);
	assert_int_equal(fp_portmap_parse(text, "pm", t, &pm, &err), 0);
	was = pm_paths(t, pm);
	o.pm = pm;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	assert_int_equal(check_reverse(p, pm, was, &split), s->ph[0].n);
	assert_true(split > 0);
	rev_entries(p, &before);
	ro.pm = pm;
	assert_int_equal(fp_plan_repair(p, &l, 1, &ro, &st, &err), 0);
	assert_true(st.moved > 0);
	/* check_reverse: every reply's learned path is the reverse of its flow's, all links up */
	assert_int_equal(check_reverse(p, pm, was, &split), s->ph[0].n);
	/*
	 * a reply whose old ports' learned paths are still the reversed paths
	 * of its flow's subflows keeps them (looked up in the map, any row)
	 */
	rev_entries(p, &after);
	assert_int_equal(after.n, before.n);
	for (e = 0; e < before.n; e++) {
		const struct fp_hostplan_entry *b = &before.e[e], *a = &after.e[e];
		int src = fp_topo_find_ip(t, &b->local), dst = fp_topo_find_ip(t, &b->remote);
		struct fp_pathset fps = fp_topo_paths(t, t->nodes[dst].leaf, t->nodes[src].leaf);
		const struct fp_plan_flow *pf;
		size_t ph, fl;
		bool holds;

		assert_true(pair_flow(p, dst, src, &ph, &fl));
		pf = &p->ph[ph].flows[fl];
		holds = pf->n == b->nsub;
		for (k = 0; holds && k < b->nsub; k++) {
			const struct fp_path *got = learned(pm, was, &b->local, &b->remote, b->sub[k].sport);
			struct fp_path want;

			reversed(t, &fps.p[p->ph[ph].subs[pf->first + k].path], &want);
			holds = got && got->len == want.len &&
				!memcmp(got->link, want.link, want.len * sizeof(want.link[0]));
		}
		if (holds) {
			assert_int_equal(a->nsub, b->nsub);
			assert_memory_equal(a->sub, b->sub, a->nsub * sizeof(a->sub[0]));
			kept++;
		}
	}
	assert_true(kept > 0);
	fp_hostplan_free(&before);
	fp_hostplan_free(&after);
	fp_plan_free(p);
	free(was);
	fp_portmap_free(pm);
	free(text);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* A map without the reverse pairs: those flows get no reverse entry, nothing fails. */
static void test_portmap_one_way(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=64M", t);
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .max_split = 2, .generation = 1 };
	char *text = pm_from_model(t, s, 2);
	struct fp_hostplan hp;
	struct fp_portmap *pm;
	struct fp_plan *p;
	struct fp_err err;
	size_t e, ph, fl, nrev = 0;

	(void)state;
	assert_int_equal(fp_portmap_parse(text, "pm", t, &pm, &err), 0);
	o.pm = pm;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &hp, &err), 0);
	for (e = 0; e < hp.n; e++) {
		int src = fp_topo_find_ip(t, &hp.e[e].local), dst = fp_topo_find_ip(t, &hp.e[e].remote);

		if (pair_flow(p, src, dst, &ph, &fl))
			continue;
		nrev++;
		/* within a leaf any port does: the hash model's */
		assert_int_equal(t->nodes[src].leaf, t->nodes[dst].leaf);
	}
	assert_int_equal(nrev, 2);	/* h0 <- h1 and h2 <- h3; the leaf-crossing ones have no port */
	fp_hostplan_free(&hp);
	fp_plan_free(p);
	fp_portmap_free(pm);
	free(text);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A forward subflow without a flow label (its map port below 0xc000, as
 * maps learned with TCP have) has no reverse, even where the map has ports
 * for the reverse pair: the ring's leaf-crossing flows (h1 -> h2, h3 -> h0)
 * have TCP ports, their reverse pairs RoCE ones; only the flows within a
 * leaf get reverse subflows and a reverse entry (a member's n is 0 when
 * it has no entry, plan.h).
 */
static void test_portmap_tcp_forward(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=64M", t);
	struct fp_sched *back = calloc(1, sizeof(*back));
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .max_split = 2, .generation = 1 };
	char *fwd = pm_from_model(t, s, 2), *rev, *text, *r, *eol;
	size_t e, ph, fl, nrev = 0, len = 0, i;
	struct fp_hostplan hp;
	struct fp_portmap *pm;
	struct fp_plan *p;
	struct fp_err err;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(back);
	assert_non_null(f);
	back->name = fp_xstrdup("back");
	fp_sched_job(back, "j0");
	for (i = 0; i < s->ph[0].n; i++)
		fp_sched_add(back, 0, s->ph[0].flows[i].dst, s->ph[0].flows[i].src, 1, 0);
	rev = pm_from_model(t, back, 2);
	/* the reverse pairs' rows (with the header), the forward ones with their */
	/* ports' label bits alone (1..0x3fff: no label) */
	fputs(rev, f);
	for (r = strchr(fwd, '\n') + 1; *r; r = eol) {
		char sa[64], da[64], path[128];
		unsigned int port;
		int got;

		eol = strchr(r, '\n') + 1;
		got = sscanf(r, "%63s %63s %u %127s", sa, da, &port, path);
		assert_int_equal(got, 4);
		assert_true(port >= 0xc001);
		fprintf(f, "%s %s %u %s\n", sa, da, port & 0x3fff, path);
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(fp_portmap_parse(text, "pm", t, &pm, &err), 0);
	o.pm = pm;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &hp, &err), 0);
	for (e = 0; e < hp.n; e++) {
		int src = fp_topo_find_ip(t, &hp.e[e].local), dst = fp_topo_find_ip(t, &hp.e[e].remote);

		if (pair_flow(p, src, dst, &ph, &fl))
			continue;
		nrev++;
		assert_int_equal(t->nodes[src].leaf, t->nodes[dst].leaf);
	}
	assert_int_equal(nrev, 2);	/* h0 <- h1 and h2 <- h3 */
	/* and the plan's reverse members say the same: subflows for those two alone */
	nrev = 0;
	for (i = 0; i < p->ph[0].nrev; i++) {
		const struct fp_flow *g = &s->ph[0].flows[p->ph[0].rev[i].flow];

		if (!p->ph[0].rev[i].n)
			continue;
		nrev++;
		assert_int_equal(t->nodes[g->src].leaf, t->nodes[g->dst].leaf);
	}
	assert_int_equal(nrev, 2);
	fp_hostplan_free(&hp);
	fp_plan_free(p);
	fp_portmap_free(pm);
	free(text);
	free(rev);
	free(fwd);
	fp_sched_free(back);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Reverse members per phase, in every phase: phase 0 sends h0 -> h2,
 * phase 1 h1 -> h3 and h2 -> h0. h0 -> h2 and h2 -> h0 have each other as
 * the flow back (in another phase), h1 -> h3 has none: one reverse entry,
 * h3 -> h1, from phase 1.
 */
static void test_phases(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_hostplan hp;
	struct fp_err err;
	struct fp_plan *p;
	int h1 = fp_topo_find(t, "h1.n0"), h3 = fp_topo_find(t, "h3.n0");
	size_t e, rev = 0;

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("phases");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, fp_topo_find(t, "h0.n0"), fp_topo_find(t, "h2.n0"), 1 << 20, 0);
	fp_sched_add(s, 1, h1, h3, 1 << 20, 0);
	fp_sched_add(s, 1, fp_topo_find(t, "h2.n0"), fp_topo_find(t, "h0.n0"), 1 << 20, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_int_equal(p->ph[0].nrev, 0);
	assert_int_equal(p->ph[1].nrev, 1);
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, &hp, &err), 0);
	assert_int_equal(hp.n, 4);
	for (e = 0; e < hp.n; e++)
		rev += fp_topo_find_ip(t, &hp.e[e].local) == h3 &&
		       fp_topo_find_ip(t, &hp.e[e].remote) == h1;
	assert_int_equal(rev, 1);
	fp_hostplan_free(&hp);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Paths numbered differently each way: leaf0's aggregation switches reach
 * cores 0-1 (A0) and core 2 (A1), leaf1's core 2 (B0) and cores 0-1 (B1).
 * Paths go in the order of their first hops, so leaf0 -> leaf1's path 0 is
 * A0-C0-B1 while leaf1 -> leaf0's path 0 is B0-C2-A1: the reply of a
 * subflow takes the reversed path, not the path of the same number.
 */
static void test_order_differs(void **state)
{
	static const char txt[] =
		"{\"format\":\"flowplan-topology\",\"version\":1,\"switches\":["
		"{\"name\":\"leaf0\",\"tier\":1},{\"name\":\"leaf1\",\"tier\":1},"
		"{\"name\":\"A0\",\"tier\":2},{\"name\":\"A1\",\"tier\":2},{\"name\":\"B0\",\"tier\":2},{\"name\":\"B1\",\"tier\":2},"
		"{\"name\":\"C0\",\"tier\":3},{\"name\":\"C1\",\"tier\":3},{\"name\":\"C2\",\"tier\":3}],"
		"\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\"}]},{\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\"}]}],"
		"\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100},{\"a\":\"h1.n0\",\"b\":\"leaf1\",\"gbps\":100},"
		"{\"a\":\"leaf0\",\"b\":\"A0\",\"gbps\":100},{\"a\":\"leaf0\",\"b\":\"A1\",\"gbps\":100},"
		"{\"a\":\"leaf1\",\"b\":\"B0\",\"gbps\":100},{\"a\":\"leaf1\",\"b\":\"B1\",\"gbps\":100},"
		"{\"a\":\"A0\",\"b\":\"C0\",\"gbps\":100},{\"a\":\"A0\",\"b\":\"C1\",\"gbps\":100},{\"a\":\"A1\",\"b\":\"C2\",\"gbps\":100},"
		"{\"a\":\"B0\",\"b\":\"C2\",\"gbps\":100},{\"a\":\"B1\",\"b\":\"C0\",\"gbps\":100},{\"a\":\"B1\",\"b\":\"C1\",\"gbps\":100}]}";
	struct fp_topo *t = NULL;
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_err err = { "" };
	struct fp_pathset f, r;
	struct fp_plan *p;
	size_t split;
	int l0, l1;

	(void)state;
	if (fp_topo_parse(txt, strlen(txt), "order", &t, &err))
		fail_msg("%s", err.msg);
	l0 = fp_topo_find(t, "leaf0");
	l1 = fp_topo_find(t, "leaf1");
	f = fp_topo_paths(t, l0, l1);
	r = fp_topo_paths(t, l1, l0);
	assert_true(f.n == 3 && r.n == 3);
	assert_int_equal(t->links[f.p[0].link[1]].to, fp_topo_find(t, "C0"));
	assert_int_equal(t->links[r.p[0].link[1]].to, fp_topo_find(t, "C2"));
	assert_non_null(s);
	s->name = fp_xstrdup("one way");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, fp_topo_find(t, "h0.n0"), fp_topo_find(t, "h1.n0"), 1 << 20, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	assert_int_equal(check_reverse(p, NULL, NULL, &split), 1);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Three flows leaf0 -> leaf1 over two spines (@t: leafspine, 2 leaves, 2
 * spines, 3 hosts each), planned in *@sp and the plan returned: one flow
 * is split in two; its index in *@fi.
 */
static struct fp_plan *three_flows_one_split(struct fp_topo *t, struct fp_sched **sp, size_t *fi)
{
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .generation = 1 };
	struct fp_plan *p;
	struct fp_err err;
	size_t i;

	assert_non_null(s);
	s->name = fp_xstrdup("three");
	fp_sched_job(s, "j0");
	for (i = 0; i < 3; i++)
		fp_sched_add(s, 0, t->hosts[i].first_nic, t->hosts[3 + i].first_nic, 1 << 30, 0);
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	for (i = 0; i < 3 && p->ph[0].flows[i].n != 2; i++)
		;
	assert_true(i < 3);
	*fi = i;
	*sp = s;
	return p;
}

/*
 * A flow's reverse subflows never share a label, even where two of its
 * subflows take one path (a caller that sets subflows itself may put them
 * so, fp_plan_reverse's doc): labels L1 < L2, both onto path P, where the
 * search for a reverse label from L1 passes L2, so that the search from L2
 * finds the same label R; the second reverse subflow must take another.
 */
static void test_reverse_labels_distinct(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=3");
	struct fp_sched *s;
	size_t i, fi;
	struct fp_plan *p = three_flows_one_split(t, &s, &fi);
	struct fp_plan_phase *pp = &p->ph[0];
	struct fp_plan_subflow *sf = &pp->subs[pp->flows[fi].first];
	struct fp_pathset fps, rps;
	struct fp_path back;
	struct fp_err err;
	uint32_t l1, l2 = 0, r = 0;
	int a, b, want = -1, k;

	(void)state;
	a = s->ph[0].flows[fi].src;
	b = s->ph[0].flows[fi].dst;
	fps = fp_topo_paths(t, t->nodes[a].leaf, t->nodes[b].leaf);
	rps = fp_topo_paths(t, t->nodes[b].leaf, t->nodes[a].leaf);
	reversed(t, &fps.p[sf[0].path], &back);
	for (k = 0; k < rps.n; k++)
		if (!memcmp(rps.p[k].link, back.link, sizeof(back.link[0]) * (size_t)back.len))
			want = k;
	assert_true(want >= 0);
	/*
	 * L1 < L2 < R, L1 and L2 onto sf[0]'s path, R the reverse label the
	 * search from L1 finds (it tries L1 + 1, L1 + 2, ...): the search from
	 * L2 finds R too.
	 */
	for (l1 = 1; l1 < 0x3f00; l1++) {
		uint32_t x;

		if (fp_topo_route(t, a, b, fp_label_to_sport(l1)) != sf[0].path)
			continue;
		assert_int_equal(fp_topo_port_search(t, b, a, want, l1, &r), 0);
		for (x = l1 + 1; x < r && !l2; x++)
			if (fp_topo_route(t, a, b, fp_label_to_sport(x)) == sf[0].path)
				l2 = x;
		if (l2)
			break;
	}
	assert_true(l2 > 0);
	sf[1].path = sf[0].path;
	sf[0].flow_label = l1;
	sf[0].sport = fp_label_to_sport(l1);
	sf[1].flow_label = l2;
	sf[1].sport = fp_label_to_sport(l2);
	assert_int_equal(fp_plan_reverse(p, NULL, NULL, &err), 0);
	for (i = 0; i < pp->nrev && pp->rev[i].flow != fi; i++)
		;
	assert_true(i < pp->nrev);
	assert_int_equal(pp->rev[i].n, 2);
	assert_int_equal(pp->rsubs[pp->rev[i].first].flow_label, r);
	assert_int_not_equal(pp->rsubs[pp->rev[i].first + 1].flow_label, r);
	for (k = 0; k < 2; k++)
		assert_int_equal(fp_topo_route(t, b, a, pp->rsubs[pp->rev[i].first + k].sport), want);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Two subflows of a flow on one path (a caller's, as above), and a map with
 * one port on that path's reverse: the second reverse subflow finds only
 * the label the first holds, in every try. The flow gets no reverse
 * subflows, rather than two that share a label.
 */
static void test_reverse_one_port_two_subflows(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=3");
	struct fp_sched *s, *back = calloc(1, sizeof(*back));
	size_t i, fi;
	struct fp_plan *p = three_flows_one_split(t, &s, &fi);
	struct fp_plan_phase *pp = &p->ph[0];
	struct fp_plan_subflow *sf = &pp->subs[pp->flows[fi].first];
	struct fp_portmap *pm;
	struct fp_err err;
	char *text;

	(void)state;
	assert_non_null(back);
	/* both on the first subflow's path: its label, and another that takes it */
	sf[1].path = sf[0].path;
	assert_int_equal(fp_topo_port_search(t, s->ph[0].flows[fi].src, s->ph[0].flows[fi].dst,
					     sf[0].path, sf[0].flow_label % 0x3fff + 1,
					     &sf[1].flow_label), 0);
	sf[1].sport = fp_label_to_sport(sf[1].flow_label);
	assert_int_not_equal(sf[1].flow_label, sf[0].flow_label);
	/* the map: one port per path of the reverse pair, and nothing else */
	back->name = fp_xstrdup("back");
	fp_sched_job(back, "j0");
	fp_sched_add(back, 0, s->ph[0].flows[fi].dst, s->ph[0].flows[fi].src, 1 << 30, 0);
	text = pm_from_model(t, back, 1);
	assert_int_equal(fp_portmap_parse(text, "pm", t, &pm, &err), 0);
	assert_int_equal(fp_plan_reverse(p, pm, NULL, &err), 0);
	for (i = 0; i < pp->nrev && pp->rev[i].flow != fi; i++)
		;
	assert_true(i < pp->nrev);
	assert_int_equal(pp->rev[i].n, 0);
	fp_portmap_free(pm);
	free(text);
	fp_plan_free(p);
	fp_sched_free(back);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A path of FP_PATH_MAX_LEN (6) links: four leaves in a chain through three
 * spines, one flow from the first to the last and none back. Its reverse
 * subflow takes the same six links backwards.
 */
static void test_reverse_longest_path(void **state)
{
	static const char txt[] =
		"{\"format\":\"flowplan-topology\",\"version\":1,"
		"\"switches\":[{\"name\":\"leaf0\",\"tier\":1},{\"name\":\"leaf1\",\"tier\":1},"
		"{\"name\":\"leaf2\",\"tier\":1},{\"name\":\"leaf3\",\"tier\":1},"
		"{\"name\":\"spine0\",\"tier\":2},{\"name\":\"spine1\",\"tier\":2},"
		"{\"name\":\"spine2\",\"tier\":2}],"
		"\"hosts\":[{\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\"}]},"
		"{\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\"}]}],"
		"\"links\":[{\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100},"
		"{\"a\":\"h1.n0\",\"b\":\"leaf3\",\"gbps\":100},"
		"{\"a\":\"leaf0\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf1\",\"b\":\"spine0\",\"gbps\":100},"
		"{\"a\":\"leaf1\",\"b\":\"spine1\",\"gbps\":100},{\"a\":\"leaf2\",\"b\":\"spine1\",\"gbps\":100},"
		"{\"a\":\"leaf2\",\"b\":\"spine2\",\"gbps\":100},{\"a\":\"leaf3\",\"b\":\"spine2\",\"gbps\":100}]}";
	struct fp_topo *t = NULL;
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_err err = { "" };
	struct fp_pathset fps, rps;
	struct fp_plan_phase *pp;
	struct fp_path back;
	struct fp_plan *p;

	(void)state;
	assert_non_null(s);
	if (fp_topo_parse(txt, strlen(txt), "chain", &t, &err))
		fail_msg("%s", err.msg);
	s->name = fp_xstrdup("one");
	fp_sched_job(s, "j0");
	fp_sched_add(s, 0, fp_topo_find(t, "h0.n0"), fp_topo_find(t, "h1.n0"), 1 << 20, 0);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	pp = &p->ph[0];
	fps = fp_topo_paths(t, fp_topo_find(t, "leaf0"), fp_topo_find(t, "leaf3"));
	rps = fp_topo_paths(t, fp_topo_find(t, "leaf3"), fp_topo_find(t, "leaf0"));
	assert_int_equal(fps.n, 1);
	assert_int_equal(fps.p[0].len, FP_PATH_MAX_LEN);
	assert_int_equal(pp->nrev, 1);
	assert_int_equal(pp->rev[0].n, 1);
	reversed(t, &fps.p[0], &back);
	assert_int_equal(rps.n, 1);
	assert_memory_equal(rps.p[0].link, back.link, sizeof(back.link[0]) * FP_PATH_MAX_LEN);
	assert_int_equal(pp->rsubs[pp->rev[0].first].path, 0);
	assert_int_equal(fp_topo_route(t, fp_topo_find(t, "h1.n0"), fp_topo_find(t, "h0.n0"),
				       pp->rsubs[pp->rev[0].first].sport), 0);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * Eight phases, as many as the schedule's phase array holds (it grows 8,
 * 16, ...), each with one flow leaf0 -> leaf1 and none back: every phase,
 * the last one too, has its one reverse entry, and nothing past the last
 * phase is read (the sanitizer's build sees a read past the array).
 */
static void test_full_phase_array(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=2");
	struct fp_sched *s = calloc(1, sizeof(*s));
	struct fp_plan *p;
	size_t i;

	(void)state;
	assert_non_null(s);
	s->name = fp_xstrdup("eight");
	fp_sched_job(s, "j0");
	for (i = 0; i < 8; i++)
		fp_sched_add(s, i, t->hosts[i % 2].first_nic, t->hosts[2 + i / 4].first_nic,
			     1 << 20, 0);
	assert_int_equal(s->nph, 8);
	assert_int_equal(s->cap, s->nph);
	p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(p->ph[i].nrev, 1);
		assert_int_equal(p->ph[i].rev[0].flow, 0);
	}
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/*
 * A plan whose topology lost paths after it was made, its reverse planned
 * again without fp_plan_repair (a caller that restores subflows itself):
 * a subflow numbered for a path the pair no longer has cannot be
 * reversed, so its flow gets no reverse entry; every other flow keeps its
 * reverse entries, on live paths. (Without the check the planner read
 * past the pair's path set.)
 */
static void test_stale_paths(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=4,spines=3,hosts=4");
	struct fp_sched *s = gen_sched("ring-allreduce:bytes=64M,place=frag", t);
	struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN, .max_split = 4, .generation = 1 };
	int sp = fp_topo_find(t, "spine2");
	struct fp_plan_phase *pp;
	struct fp_plan *p;
	struct fp_err err;
	size_t r, k, stale = 0, kept = 0;
	int lf;

	(void)state;
	assert_int_equal(fp_plan_compute(t, s, &o, &p, &err), 0);
	pp = &p->ph[0];
	assert_int_equal(pp->nrev, s->ph[0].n);
	/* spine2 goes: every pair of leaves keeps paths 0 and 1 (spines 0 and 1) */
	assert_true(sp >= 0);
	for (lf = 0; lf < t->nleaves; lf++) {
		char name[16];

		snprintf(name, sizeof(name), "leaf%d", lf);
		assert_int_equal(fp_topo_link_set(t, fp_topo_link(t, sp, fp_topo_find(t, name)),
						  false), 0);
	}
	assert_int_equal(fp_plan_reverse(p, NULL, NULL, &err), 0);
	for (r = 0; r < pp->nrev; r++) {
		const struct fp_flow *f = &s->ph[0].flows[pp->rev[r].flow];
		const struct fp_plan_flow *pf = &pp->flows[pp->rev[r].flow];
		struct fp_pathset fps = fp_topo_paths(t, t->nodes[f->src].leaf,
						      t->nodes[f->dst].leaf);
		bool gone = false;

		for (k = 0; k < pf->n; k++)
			gone |= pp->subs[pf->first + k].path >= fps.n;
		if (gone) {
			stale++;
			assert_int_equal(pp->rev[r].n, 0);
			continue;
		}
		kept++;
		assert_int_equal(pp->rev[r].n, pf->n);
		for (k = 0; k < pp->rev[r].n; k++) {
			const struct fp_plan_rsub *rs = &pp->rsubs[pp->rev[r].first + k];
			struct fp_pathset rps = fp_topo_paths(t, t->nodes[f->dst].leaf,
							      t->nodes[f->src].leaf);

			assert_true(rs->path < rps.n);
			assert_int_equal(fp_topo_route(t, f->dst, f->src, rs->sport), rs->path);
		}
	}
	assert_true(stale > 0);
	assert_true(kept > 0);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_both_ways),
		cmocka_unit_test(test_dense),
		cmocka_unit_test(test_repair),
		cmocka_unit_test(test_portmap),
		cmocka_unit_test(test_portmap_one_way),
		cmocka_unit_test(test_portmap_tcp_forward),
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_order_differs),
		cmocka_unit_test(test_reverse_labels_distinct),
		cmocka_unit_test(test_reverse_one_port_two_subflows),
		cmocka_unit_test(test_reverse_longest_path),
		cmocka_unit_test(test_full_phase_array),
		cmocka_unit_test(test_stale_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
