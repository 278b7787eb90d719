// SPDX-License-Identifier: MIT
/*
 * test_daemon_plan - observed cycles to this host's plan, in memory, on a
 * 2-leaf 2-spine fabric: only the local pairs, weights summing to 65536,
 * every subflow's path (NIC, leaf, spine, leaf, NIC) for fault watching;
 * two jobs planned together; a failed uplink avoided; minimal movement
 * (re-planning the same keeps every entry, a failure moves only the pairs
 * that crossed the failed link); unknown addresses counted; a fixed
 * schedule file; nothing to plan is ENODATA. The planner's incremental
 * re-plan after a failure moves only what crossed the failed link; port
 * maps (configured, or probed and merged) survive failures and changes;
 * a host's own link going down drops its flows; a leaf cut off from every
 * spine leaves out only the flows to it, listed. On an IPv6 fabric and a
 * dual-stack one (hosts with an IPv4 NIC and an IPv6 NIC): the host's
 * IPv6 entries, IPv4 entries first, paths and port maps as on IPv4; on
 * dual-stack NICs a probe of both families after a failure replaces the
 * old rows and re-plans off the failed spine.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "planner/topo.h"
#include "plan.h"
#include "test_core_tmpdir.h"

#define TOPO "leafspine:leaves=2,spines=2,hosts=2"

static uint32_t A(int i)	/* 198.18.0.i, network order */
{
	return htonl(0xc6120000u + (uint32_t)i);
}

/* h0 (.1) and h1 (.2) on leaf0 send to h2 (.3) and h3 (.4) on leaf1. */
static struct fpd_flow fl_a2a[] = {
	{ .bytes = 1 << 30 }, { .bytes = 1 << 30 }, { .bytes = 1 << 30 }, { .bytes = 1 << 30 },
};
static struct fpd_cphase ph_a2a = { .n = 4, .f = fl_a2a, .steps = 1 };
static struct fpd_cycle cy_a2a = { .job = 1, .period = 1, .nph = 1, .ph = &ph_a2a };

static void init_flows(void)
{
	fl_a2a[0].src = fp_addr_v4(A(1)); fl_a2a[0].dst = fp_addr_v4(A(3));
	fl_a2a[1].src = fp_addr_v4(A(1)); fl_a2a[1].dst = fp_addr_v4(A(4));
	fl_a2a[2].src = fp_addr_v4(A(2)); fl_a2a[2].dst = fp_addr_v4(A(3));
	fl_a2a[3].src = fp_addr_v4(A(2)); fl_a2a[3].dst = fp_addr_v4(A(4));
}

static void load_topo(struct fpd_planner *p, const char *topo, const char *sched)
{
	struct fp_err err = { "" };
	struct fpd_conf c;

	fpd_conf_default(&c);
	snprintf(c.topology, sizeof(c.topology), "%s", topo);
	if (sched)
		strcpy(c.schedule, sched);
	memset(p, 0, sizeof(*p));
	if (fpd_planner_load(p, &c, &err))
		fail_msg("%s", err.msg);
}

static void load(struct fpd_planner *p, const char *sched)
{
	load_topo(p, TOPO, sched);
}

struct out {
	struct fp_hostplan hp;
	struct fpd_fsub *fs;
	size_t nfs;
	struct fpd_plan_info info;
};

static void plan(struct fpd_planner *p, const struct fpd_cycle *const *cy, size_t n,
		 struct out *o)
{
	struct fp_addr local = fp_addr_v4(A(1));
	struct fp_err err = { "" };

	if (fpd_planner_plan(p, cy, n, &local, 1, &o->hp, &o->fs, &o->nfs, &o->info, &err))
		fail_msg("%s", err.msg);
}

static void out_free(struct out *o)
{
	fpd_hostplan_clear(&o->hp);
	free(o->fs);
	fpd_plan_info_free(&o->info);
}

static bool crosses(const struct out *o, int link)
{
	size_t i;
	unsigned int k;

	for (i = 0; i < o->nfs; i++)
		for (k = 0; k < o->fs[i].nlinks; k++)
			if (o->fs[i].link[k] == link)
				return true;
	return false;
}

static void check_entries(const struct out *o)
{
	size_t i, k, n = 0;
	unsigned int j;

	for (i = 0; i < o->hp.n; i++) {
		const struct fp_hostplan_entry *e = &o->hp.e[i];
		uint32_t w = 0;

		assert_true(fp_addr_is_v4(&e->local));
		assert_int_equal(fp_addr_to_v4(&e->local), A(1));
		assert_true(e->nsub >= 1 && e->nsub <= 16);
		for (j = 0; j < e->nsub; j++) {
			w += e->sub[j].weight;
			assert_int_equal(e->sub[j].sport, fp_label_to_sport(e->sub[j].flow_label));
		}
		assert_int_equal(w, 65536);
		for (k = 0; k < o->nfs; k++)
			n += o->fs[k].entry == i;
	}
	assert_int_equal(n, o->nfs);
	/* NIC up, leaf0 -> spine, spine -> leaf1, NIC down; or within a leaf */
	for (k = 0; k < o->nfs; k++) {
		bool same_leaf = fp_addr_to_v4(&o->fs[k].remote) == A(2);

		assert_int_equal(o->fs[k].nlinks, same_leaf ? 2 : 4);
	}
}

static void test_observed(void **state)
{
	const struct fpd_cycle *cy[] = { &cy_a2a };
	struct fpd_planner p;
	struct out o;

	(void)state;
	init_flows();
	load(&p, NULL);
	plan(&p, cy, 1, &o);
	/* h0's two pairs, nothing of h1's */
	assert_int_equal(o.hp.n, 2);
	assert_int_equal(fp_addr_to_v4(&o.hp.e[0].remote), A(3));
	assert_int_equal(fp_addr_to_v4(&o.hp.e[1].remote), A(4));
	check_entries(&o);
	assert_int_equal(o.info.flows, 4);
	assert_int_equal(o.info.unmapped, 0);
	assert_true(o.info.lower_bound > 0);
	/* four equal flows over two spines: the spraying bound is met */
	assert_true(o.info.max_load <= o.info.lower_bound * 1.0000001);
	assert_true(o.info.nlinks > 0);
	out_free(&o);
	fpd_planner_free(&p);
}

static void test_failed_link_and_keep(void **state)
{
	const struct fpd_cycle *cy[] = { &cy_a2a };
	struct fpd_planner p;
	struct out o1, o2, o3;
	int up, l, failed;
	bool changed;
	struct fp_err err = { "" };

	(void)state;
	init_flows();
	load(&p, NULL);
	plan(&p, cy, 1, &o1);
	/* the uplink h0's first subflow takes */
	up = o1.fs[0].link[1];
	{
		char name[80];

		fpd_planner_link_name(&p, up, name, sizeof(name));
		assert_true(!strcmp(name, "leaf0-spine0") || !strcmp(name, "leaf0-spine1"));
		assert_int_equal(fpd_planner_link(&p, "leaf0", name + 6), up);
	}

	/* the same inputs again: every entry kept as it was */
	plan(&p, cy, 1, &o2);
	assert_int_equal(fpd_hostplan_keep(NULL, &o2.hp, o2.fs, o2.nfs, &o1.hp, o1.fs, o1.nfs), 2);
	assert_true(fpd_hostplan_equal(&o1.hp, &o2.hp));
	out_free(&o2);

	/* leaf0-spine1 fails: the new plan avoids it */
	failed = up / 2;
	assert_int_equal(fpd_planner_set_failed(&p, &failed, 1, &changed, &err), 0);
	assert_true(changed);
	assert_int_equal(fpd_planner_set_failed(&p, &failed, 1, &changed, &err), 0);
	assert_false(changed);
	plan(&p, cy, 1, &o3);
	check_entries(&o3);
	assert_false(crosses(&o3, up));
	assert_false(crosses(&o3, up ^ 1));
	l = o1.fs[0].link[2];	/* that spine's link down to leaf1 */
	assert_false(crosses(&o3, l));
	/* entries whose subflows all went over spine 0 keep their labels */
	{
		size_t i, kept_expected = 0, k;

		for (i = 0; i < o1.hp.n; i++) {
			bool via1 = false;

			for (k = 0; k < o1.nfs; k++)
				if (o1.fs[k].entry == i && o1.fs[k].link[1] == up)
					via1 = true;
			kept_expected += !via1 && o1.hp.e[i].nsub == o3.hp.e[i].nsub;
		}
		assert_true(fpd_hostplan_keep(NULL, &o3.hp, o3.fs, o3.nfs, &o1.hp, o1.fs, o1.nfs) <=
			    kept_expected);
	}
	/* back up: all links up again */
	assert_int_equal(fpd_planner_set_failed(&p, NULL, 0, &changed, &err), 0);
	assert_true(changed);
	failed = 99;
	assert_int_equal(fpd_planner_set_failed(&p, &failed, 1, &changed, &err), EINVAL);
	assert_string_equal(err.msg, "link 99 is not in the fabric");
	out_free(&o1);
	out_free(&o3);
	fpd_planner_free(&p);
}

/*
 * A suspected (gray) fault: the link stays in ECMP, so a planned label the
 * hash model would still send over it must change; every subflow's port,
 * routed by the hash model over the whole fabric, avoids the link.
 */
static void test_avoid_relabels(void **state)
{
	const struct fpd_cycle *cy[] = { &cy_a2a };
	struct fp_err err = { "" };
	struct fpd_planner p;
	struct fp_topo *whole;
	struct out o1, o2;
	bool changed;
	int up, avoid;
	size_t k;

	(void)state;
	init_flows();
	load(&p, NULL);
	plan(&p, cy, 1, &o1);
	up = o1.fs[0].link[1];
	avoid = up / 2;
	assert_int_equal(fpd_planner_set_avoid(&p, &avoid, 1, &changed, &err), 0);
	assert_true(changed);
	plan(&p, cy, 1, &o2);
	assert_int_equal(fp_topo_load(TOPO, &whole, &err), 0);
	for (k = 0; k < o2.hp.n; k++) {
		const struct fp_hostplan_entry *e = &o2.hp.e[k];
		int src = fp_topo_find_addr(whole, fp_addr_to_v4(&e->local));
		int dst = fp_topo_find_addr(whole, fp_addr_to_v4(&e->remote));
		unsigned int j;

		for (j = 0; j < e->nsub; j++) {
			int r = fp_topo_route(whole, src, dst, e->sub[j].sport);
			struct fp_pathset ps = fp_topo_paths(whole, whole->nodes[src].leaf,
							     whole->nodes[dst].leaf);
			int l;

			assert_true(r >= 0 && r < ps.n);
			for (l = 0; l < ps.p[r].len; l++)
				assert_int_not_equal(ps.p[r].link[l] / 2, avoid);
		}
	}
	assert_false(crosses(&o2, up));
	fp_topo_free(whole);
	out_free(&o1);
	out_free(&o2);
	fpd_planner_free(&p);
}

static void test_keep_moves_only_what_must(void **state)
{
	/* a synthetic previous plan: one entry on the same paths, one not */
	struct fp_hostplan prev = { 0 }, next = { 0 };
	struct fpd_fsub pf[2] = {
		{ .entry = 0, .sport = 0xc001, .weight = 65536, .nlinks = 2, .link = { 1, 3 } },
		{ .entry = 1, .sport = 0xc002, .weight = 65536, .nlinks = 2, .link = { 2, 4 } },
	};
	struct fpd_fsub nf[2] = {
		{ .entry = 0, .sport = 0xc007, .weight = 65536, .nlinks = 2, .link = { 1, 3 } },
		{ .entry = 1, .sport = 0xc008, .weight = 65536, .nlinks = 2, .link = { 1, 5 } },
	};
	struct fp_hostplan_entry e[2];
	int i;

	(void)state;
	memset(e, 0, sizeof(e));
	for (i = 0; i < 2; i++) {
		e[i].local = fp_addr_v4(A(1));
		e[i].remote = fp_addr_v4(A(3 + i));
		e[i].nsub = 1;
		e[i].sub[0] = (struct fp_subflow){ 1 + (uint32_t)i, (uint16_t)(0xc001 + i), 65536 };
	}
	prev.e = malloc(sizeof(e));
	memcpy(prev.e, e, sizeof(e));
	prev.n = 2;
	e[0].sub[0] = (struct fp_subflow){ 7, 0xc007, 65536 };
	e[1].sub[0] = (struct fp_subflow){ 8, 0xc008, 65536 };
	next.e = malloc(sizeof(e));
	memcpy(next.e, e, sizeof(e));
	next.n = 2;
	assert_int_equal(fpd_hostplan_keep(NULL, &next, nf, 2, &prev, pf, 2), 1);
	assert_int_equal(next.e[0].sub[0].flow_label, 1);	/* kept */
	assert_int_equal(nf[0].sport, 0xc001);			/* watched as kept */
	assert_int_equal(next.e[1].sub[0].flow_label, 8);	/* moved */
	assert_int_equal(nf[1].sport, 0xc008);
	fpd_hostplan_clear(&prev);
	fpd_hostplan_clear(&next);
}

static void test_two_jobs_and_unknown(void **state)
{
	static struct fpd_flow f2[2];
	static struct fpd_cphase ph2[2] = {
		{ .n = 1, .f = &f2[0], .steps = 3 }, { .n = 1, .f = &f2[1], .steps = 1 },
	};
	static struct fpd_cycle cy2 = { .job = 0x80000007u, .period = 4, .nph = 2, .ph = ph2 };
	const struct fpd_cycle *cy[] = { &cy_a2a, &cy2 };
	struct fpd_planner p;
	struct out o;

	(void)state;
	init_flows();
	f2[0] = (struct fpd_flow){ fp_addr_v4(A(1)), fp_addr_v4(A(2)), 1 << 20 };	/* same leaf */
	f2[1] = (struct fpd_flow){ fp_addr_v4(A(1)), fp_addr_v4(htonl(0x0a000001)),
				   1 << 20 };	/* not in the fabric */
	load(&p, NULL);
	plan(&p, cy, 2, &o);
	assert_int_equal(o.info.phases, 2);
	assert_int_equal(o.info.unmapped, 1);
	/* phase 1 repeats the all-to-all (a job's phases cycle) */
	assert_int_equal(o.info.flows, 4 + 1 + 4);
	out_free(&o);
	fpd_planner_free(&p);
}

static void test_fixed_schedule_and_nothing(void **state)
{
	const struct fpd_cycle *none[1];
	struct fp_err err = { "" };
	struct fp_addr local = fp_addr_v4(A(1));
	struct fpd_planner p;
	struct fp_hostplan hp;
	struct fpd_plan_info info;
	struct fpd_fsub *fs;
	size_t nfs;
	struct out o;
	struct fpd_conf c;

	(void)state;
	load(&p, "alltoall:bytes=64M");
	plan(&p, none, 0, &o);
	check_entries(&o);
	assert_int_equal(o.hp.n, 3);	/* h0 to h1 on its leaf, h2 and h3 on leaf1 */
	out_free(&o);
	fpd_planner_free(&p);

	load(&p, NULL);
	assert_int_equal(fpd_planner_plan(&p, none, 0, &local, 1, &hp, &fs, &nfs, &info, &err),
			 ENODATA);
	assert_string_equal(err.msg, "nothing to plan: no cycle observed yet");
	fpd_planner_free(&p);

	/* no fabric: observe only */
	fpd_conf_default(&c);
	memset(&p, 0, sizeof(p));
	assert_int_equal(fpd_planner_load(&p, &c, &err), 0);
	assert_false(fpd_planner_ready(&p));
	strcpy(c.schedule, "x.json");
	assert_int_equal(fpd_planner_load(&p, &c, &err), EINVAL);
	fpd_conf_default(&c);
	strcpy(c.topology, "leafspine:leaves=0");
	assert_int_not_equal(fpd_planner_load(&p, &c, &err), 0);
	fpd_planner_free(&p);
}

/* The fabric's spine of @sport from leaf0 to leaf1 under the hash model. */
static int spine_of(struct fp_topo *t, int src, int dst, uint16_t sport)
{
	struct fp_pathset ps = fp_topo_paths(t, t->nodes[src].leaf, t->nodes[dst].leaf);
	int r = fp_topo_route(t, src, dst, sport);

	assert_true(r >= 0 && r < ps.n);
	return t->links[ps.p[r].link[0]].to;
}

/*
 * A port map of 16 ports for h0 and h1 to h2 and h3 (leaf0 to leaf1): the
 * spine the hash model gives, or the other one with @swap (a switch that
 * re-hashed every port).
 */
static char *portmap_text(bool swap)
{
	struct fp_err err = { "" };
	struct fp_topo *t;
	char *txt = calloc(1, 16384);
	size_t off = 0;
	int i, d, k;

	assert_int_equal(fp_topo_load(TOPO, &t, &err), 0);
	off += (size_t)sprintf(txt, "# flowplan-portmap 1\n");
	for (i = 1; i <= 2; i++) {
		for (d = 3; d <= 4; d++) {
			int src = fp_topo_find_addr(t, A(i)), dst = fp_topo_find_addr(t, A(d));

			for (k = 1; k <= 16; k++) {
				int sp = spine_of(t, src, dst, fp_label_to_sport((uint32_t)k));
				const char *name = t->nodes[sp].name;

				if (swap)
					name = strcmp(name, "spine0") ? "spine0" : "spine1";
				off += (size_t)sprintf(txt + off,
						       "198.18.0.%d 198.18.0.%d %u leaf0,%s,leaf1\n",
						       i, d, fp_label_to_sport((uint32_t)k), name);
			}
		}
	}
	fp_topo_free(t);
	return txt;
}

/* @map with every other port of each pair left out (what a probe may see). */
static char *every_other_port(const char *map)
{
	char *out = calloc(1, strlen(map) + 1);
	size_t off = 0, len;
	int n = 0;

	assert_non_null(out);
	while (*map) {
		const char *e = strchr(map, '\n');

		len = e ? (size_t)(e - map + 1) : strlen(map);
		if (*map == '#' || n++ % 2 == 0) {
			memcpy(out + off, map, len);
			off += len;
		}
		map += len;
	}
	return out;
}

/* Each subflow's port takes the path its watch entry says, by the port map text. */
static void check_by_map(const struct fpd_planner *p, const struct out *o, const char *map)
{
	size_t k;

	for (k = 0; k < o->nfs; k++) {
		char line[128], a[16];
		const char *spine;

		if (o->fs[k].nlinks != 4)
			continue;
		inet_ntop(AF_INET, &o->fs[k].remote.b[12], a, sizeof(a));
		spine = p->base->nodes[p->base->links[o->fs[k].link[1]].to].name;
		snprintf(line, sizeof(line), "198.18.0.1 %s %u leaf0,%s,leaf1\n", a, o->fs[k].sport,
			 spine);
		if (!strstr(map, line))
			fail_msg("subflow %zu: port %u is not on %s in the map", k, o->fs[k].sport,
				 spine);
	}
}

/*
 * A spine uplink fails: the planner's incremental re-plan moves the
 * subflows that crossed it and nothing else; the labels of the rest stay.
 */
static void test_repair_moves_only_crossing(void **state)
{
	const struct fpd_cycle *cy[] = { &cy_a2a };
	struct fp_err err = { "" };
	struct fpd_planner p;
	struct out o1, o2;
	bool changed;
	int up, failed;
	size_t k, kept = 0, crossing = 0;

	(void)state;
	init_flows();
	load(&p, NULL);
	p.max_split = 1;	/* one subflow a flow: some cross the link, some do not */
	plan(&p, cy, 1, &o1);
	assert_false(o1.info.repaired);
	up = o1.fs[0].link[1];
	failed = up / 2;
	for (k = 0; k < o1.nfs; k++)
		crossing += o1.fs[k].link[1] == up;
	assert_true(crossing > 0 && crossing < o1.nfs);
	assert_int_equal(fpd_planner_set_failed(&p, &failed, 1, &changed, &err), 0);
	plan(&p, cy, 1, &o2);
	assert_true(o2.info.repaired);
	assert_true(o2.info.repair.moved >= crossing);
	check_entries(&o2);
	assert_false(crosses(&o2, up));
	assert_false(crosses(&o2, up ^ 1));
	/* the subflows that did not cross the link keep their labels */
	for (k = 0; k < o1.nfs; k++) {
		size_t j;

		if (o1.fs[k].link[1] == up)
			continue;
		for (j = 0; j < o2.nfs; j++)
			if (!fp_addr_cmp(&o2.fs[j].remote, &o1.fs[k].remote) &&
			    o2.fs[j].sport == o1.fs[k].sport)
				kept++;
	}
	assert_int_equal(kept, o1.nfs - crossing);
	out_free(&o2);

	/* the same again: the plan is reused as it is */
	plan(&p, cy, 1, &o2);
	assert_false(o2.info.repaired);
	out_free(&o2);
	/* back up: computed anew over both spines */
	assert_int_equal(fpd_planner_set_failed(&p, NULL, 0, &changed, &err), 0);
	plan(&p, cy, 1, &o2);
	assert_false(o2.info.repaired);
	assert_true(crosses(&o2, up));
	out_free(&o1);
	out_free(&o2);
	fpd_planner_free(&p);
}

/*
 * With a port map: a failed (or avoided) link leaves out the ports over it,
 * the repaired plan's ports take their planned paths by the map; a probe's
 * map (merged) that moved every port is a change, the same map is none,
 * nor is one that names only some of the ports, each on its path,
 * and a plan after it follows the new map; the old entries are not kept,
 * since their ports now take other spines.
 */
static void test_portmap_failure_and_change(void **state)
{
	const struct fpd_cycle *cy[] = { &cy_a2a };
	struct fp_err err = { "" };
	struct fpd_planner p;
	struct out o1, o2, o3;
	char *map = portmap_text(false), *swapped = portmap_text(true);
	char *half = every_other_port(map);
	size_t moved;
	bool changed;
	unsigned int gen;
	int up, failed;

	(void)state;
	init_flows();
	load(&p, NULL);
	/* what the hash model says: nothing moved, but the map is in use */
	assert_int_equal(fpd_planner_set_portmap(&p, map, "map", false, &moved, &err), 0);
	assert_int_equal(moved, 0);
	assert_int_equal(p.npm, 64);
	plan(&p, cy, 1, &o1);
	check_entries(&o1);
	check_by_map(&p, &o1, map);
	up = o1.fs[0].link[1];
	failed = up / 2;
	assert_int_equal(fpd_planner_set_avoid(&p, &failed, 1, &changed, &err), 0);
	plan(&p, cy, 1, &o2);
	assert_true(o2.info.repaired);
	check_entries(&o2);
	check_by_map(&p, &o2, map);
	assert_false(crosses(&o2, up));
	out_free(&o2);
	assert_int_equal(fpd_planner_set_avoid(&p, NULL, 0, &changed, &err), 0);

	/* the same map from a probe: nothing moved, nothing to re-plan */
	gen = p.pm_gen;
	assert_int_equal(fpd_planner_set_portmap(&p, map, "probe", true, &moved, &err), 0);
	assert_int_equal(moved, 0);
	assert_int_equal(p.pm_gen, gen);
	/* a probe that saw only some of the ports, each on its path: no change */
	assert_int_equal(fpd_planner_set_portmap(&p, half, "probe", true, &moved, &err), 0);
	assert_int_equal(moved, 0);
	assert_int_equal(p.pm_gen, gen);
	assert_int_equal(p.npm, 64);
	/* a switch re-hashed every port */
	assert_int_equal(fpd_planner_set_portmap(&p, swapped, "probe", true, &moved, &err), 0);
	assert_int_equal(moved, 64);
	plan(&p, cy, 1, &o3);
	assert_false(o3.info.repaired);
	check_by_map(&p, &o3, swapped);
	assert_int_equal(fpd_hostplan_keep(&p, &o3.hp, o3.fs, o3.nfs, &o1.hp, o1.fs, o1.nfs), 0);
	check_by_map(&p, &o3, swapped);
	/* a map naming an unknown switch is refused, the old one stays */
	assert_int_equal(fpd_planner_set_portmap(&p, "# flowplan-portmap 1\n"
		"198.18.0.1 198.18.0.3 49153 leaf0,spine9,leaf1\n", "bad", true, &moved, &err),
		EINVAL);
	assert_non_null(strstr(err.msg, "spine9"));
	assert_int_equal(p.pm_gen, gen + 1);
	out_free(&o1);
	out_free(&o3);
	free(map);
	free(swapped);
	free(half);
	fpd_planner_free(&p);
}

/*
 * @hp with each subflow's label changed to another label, unused in its
 * entry, whose port takes the same spine as the old one by the hash model
 * (@same) or the other spine (!@same), among labels @from..@upto.
 */
static void relabel(const struct fpd_planner *p, struct fp_hostplan *hp, bool same, uint32_t from,
		    uint32_t upto)
{
	size_t i;
	unsigned int m, j;

	for (i = 0; i < hp->n; i++) {
		struct fp_hostplan_entry *e = &hp->e[i];
		int src = fp_topo_find_ip(p->live, &e->local), dst = fp_topo_find_ip(p->live, &e->remote);

		for (m = 0; m < e->nsub; m++) {
			int sp = spine_of(p->live, src, dst, e->sub[m].sport);
			uint32_t fl;

			for (fl = from; fl <= upto; fl++) {
				for (j = 0; j < e->nsub && e->sub[j].flow_label != fl; j++)
					;
				if (j == e->nsub &&
				    (spine_of(p->live, src, dst, fp_label_to_sport(fl)) == sp) == same)
					break;
			}
			assert_true(fl <= upto);
			e->sub[m].flow_label = fl;
			e->sub[m].sport = fp_label_to_sport(fl);
		}
	}
}

/* Every watched subflow's port is one of its entry's. */
static void fs_follow(const struct out *o)
{
	size_t x;
	unsigned int m;

	for (x = 0; x < o->nfs; x++) {
		const struct fp_hostplan_entry *e = &o->hp.e[o->fs[x].entry];

		for (m = 0; m < e->nsub && e->sub[m].sport != o->fs[x].sport; m++)
			;
		assert_true(m < e->nsub);
	}
}

/*
 * The module's entries at a restart (no subflow paths of this run's plans:
 * the old daemon may have chosen other ports): kept where each port takes,
 * by the hash model, and then by a port map, the path the new plan gives
 * with the same weight; not kept where a port takes another spine, or
 * where the port map does not know the port; nor without the planner.
 */
static void test_keep_module_entries(void **state)
{
	const struct fpd_cycle *cy[] = { &cy_a2a };
	struct fp_hostplan mod = { 0 }, other = { 0 };
	struct fp_err err = { "" };
	struct fpd_planner p;
	struct out o;
	char *map;
	size_t moved;

	(void)state;
	init_flows();
	load(&p, NULL);
	plan(&p, cy, 1, &o);
	assert_int_equal(fpd_hostplan_copy(&mod, &o.hp), 0);
	relabel(&p, &mod, true, 1, 16);
	assert_false(fpd_hostplan_equal(&mod, &o.hp));
	assert_int_equal(fpd_hostplan_copy(&other, &o.hp), 0);
	relabel(&p, &other, false, 1, 16);
	out_free(&o);

	/* by the hash model */
	plan(&p, cy, 1, &o);
	assert_int_equal(fpd_hostplan_keep(NULL, &o.hp, o.fs, o.nfs, &mod, NULL, 0), 0);
	assert_int_equal(fpd_hostplan_keep(&p, &o.hp, o.fs, o.nfs, &other, NULL, 0), 0);
	assert_int_equal(fpd_hostplan_keep(&p, &o.hp, o.fs, o.nfs, &mod, NULL, 0), mod.n);
	assert_true(fpd_hostplan_equal(&o.hp, &mod));
	fs_follow(&o);
	out_free(&o);

	/* by a port map that says what the hash model says, of labels 1..16 */
	map = portmap_text(false);
	assert_int_equal(fpd_planner_set_portmap(&p, map, "map", false, &moved, &err), 0);
	plan(&p, cy, 1, &o);
	assert_int_equal(fpd_hostplan_keep(&p, &o.hp, o.fs, o.nfs, &other, NULL, 0), 0);
	assert_int_equal(fpd_hostplan_keep(&p, &o.hp, o.fs, o.nfs, &mod, NULL, 0), mod.n);
	assert_true(fpd_hostplan_equal(&o.hp, &mod));
	fs_follow(&o);
	out_free(&o);
	/* ports the map does not know (labels above 16): not kept */
	fpd_hostplan_clear(&mod);
	plan(&p, cy, 1, &o);
	assert_int_equal(fpd_hostplan_copy(&mod, &o.hp), 0);
	relabel(&p, &mod, true, 17, 0x3fff);
	out_free(&o);
	plan(&p, cy, 1, &o);
	assert_int_equal(fpd_hostplan_keep(&p, &o.hp, o.fs, o.nfs, &mod, NULL, 0), 0);
	out_free(&o);
	free(map);
	fpd_hostplan_clear(&mod);
	fpd_hostplan_clear(&other);
	fpd_planner_free(&p);
}

/*
 * This host's NIC link goes down: its flows cannot run and leave the plan
 * (repaired, or planned anew without them and listed with why), the other
 * host's stay.
 */
static void test_host_link_down(void **state)
{
	const struct fpd_cycle *cy[] = { &cy_a2a };
	struct fp_addr local[2] = { fp_addr_v4(A(1)), fp_addr_v4(A(2)) };
	struct fp_err err = { "" };
	struct fpd_planner p;
	struct out o;
	bool changed;
	int nic;

	(void)state;
	init_flows();
	load(&p, NULL);
	nic = fpd_planner_nic_link(&p, &local[0]);
	assert_true(nic >= 0);
	assert_int_equal(fpd_planner_set_failed(&p, &nic, 1, &changed, &err), 0);
	/* first plan with the link down already: computed without its flows, listed */
	if (fpd_planner_plan(&p, cy, 1, local, 2, &o.hp, &o.fs, &o.nfs, &o.info, &err))
		fail_msg("%s", err.msg);
	assert_false(o.info.repaired);
	assert_int_equal(o.hp.n, 2);
	assert_int_equal(fp_addr_to_v4(&o.hp.e[0].local), A(2));
	assert_int_equal(o.info.unmapped, 0);
	assert_int_equal(o.info.flows, 4);
	assert_int_equal(o.info.nunroutable, 2);
	assert_string_equal(o.info.unroutable[0].text,
			    "h0.n0 -> h2.n0: the link of h0.n0 to leaf0 is down");
	assert_string_equal(o.info.unroutable[1].text,
			    "h0.n0 -> h3.n0: the link of h0.n0 to leaf0 is down");
	out_free(&o);
	/* up, planned; down again: repaired, dropping the flows */
	assert_int_equal(fpd_planner_set_failed(&p, NULL, 0, &changed, &err), 0);
	if (fpd_planner_plan(&p, cy, 1, local, 2, &o.hp, &o.fs, &o.nfs, &o.info, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(o.hp.n, 4);
	out_free(&o);
	assert_int_equal(fpd_planner_set_failed(&p, &nic, 1, &changed, &err), 0);
	if (fpd_planner_plan(&p, cy, 1, local, 2, &o.hp, &o.fs, &o.nfs, &o.info, &err))
		fail_msg("%s", err.msg);
	assert_true(o.info.repaired);
	assert_int_equal(o.info.repair.dropped, 2);
	assert_int_equal(o.hp.n, 2);
	assert_int_equal(fp_addr_to_v4(&o.hp.e[1].local), A(2));
	out_free(&o);
	fpd_planner_free(&p);
}


/*
 * leaf2 loses both spine links: the flows to it cannot run and are listed,
 * the others are planned and installed (not the whole re-plan failing);
 * the links back, everything is planned again.
 */
static void test_leaf_cut_off(void **state)
{
	struct fpd_flow fl[] = {
		{ .src = fp_addr_v4(A(1)), .dst = fp_addr_v4(A(3)), .bytes = 1 << 30 },
		{ .src = fp_addr_v4(A(1)), .dst = fp_addr_v4(A(5)), .bytes = 1 << 30 },
		{ .src = fp_addr_v4(A(2)), .dst = fp_addr_v4(A(4)), .bytes = 1 << 30 },
		{ .src = fp_addr_v4(A(2)), .dst = fp_addr_v4(A(6)), .bytes = 1 << 30 },
	};
	struct fpd_cphase ph = { .n = 4, .f = fl, .steps = 1 };
	struct fpd_cycle c = { .job = 1, .period = 1, .nph = 1, .ph = &ph };
	const struct fpd_cycle *cy[] = { &c };
	struct fp_addr local[2] = { fp_addr_v4(A(1)), fp_addr_v4(A(2)) };
	struct fp_err err = { "" };
	struct fpd_planner p;
	struct out o;
	bool changed;
	int cut[2];
	size_t i;

	(void)state;
	load_topo(&p, "leafspine:leaves=3,spines=2,hosts=2", NULL);
	/* undirected links: half the directed ids */
	cut[0] = fpd_planner_link(&p, "leaf2", "spine0") / 2;
	cut[1] = fpd_planner_link(&p, "spine1", "leaf2") / 2;
	assert_true(cut[0] >= 0 && cut[1] >= 0 && cut[0] != cut[1]);
	if (fpd_planner_plan(&p, cy, 1, local, 2, &o.hp, &o.fs, &o.nfs, &o.info, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(o.hp.n, 4);
	assert_int_equal(o.info.nunroutable, 0);
	out_free(&o);

	assert_int_equal(fpd_planner_set_failed(&p, cut, 2, &changed, &err), 0);
	if (fpd_planner_plan(&p, cy, 1, local, 2, &o.hp, &o.fs, &o.nfs, &o.info, &err))
		fail_msg("%s", err.msg);
	assert_false(o.info.repaired);
	assert_int_equal(o.info.flows, 4);
	assert_int_equal(o.info.nunroutable, 2);
	assert_string_equal(o.info.unroutable[0].text,
			    "h0.n0 -> h4.n0: no live path (failed links cut leaf0 from leaf2)");
	assert_string_equal(o.info.unroutable[1].text,
			    "h1.n0 -> h5.n0: no live path (failed links cut leaf0 from leaf2)");
	/* the pairs within reach planned, at the bound of what remains */
	assert_int_equal(o.hp.n, 2);
	for (i = 0; i < o.hp.n; i++)
		assert_true(fp_addr_to_v4(&o.hp.e[i].remote) == A(3) ||
			    fp_addr_to_v4(&o.hp.e[i].remote) == A(4));
	assert_true(o.info.lower_bound > 0);
	assert_true(o.info.max_load <= o.info.lower_bound * (1 + 1e-6));
	out_free(&o);

	assert_int_equal(fpd_planner_set_failed(&p, NULL, 0, &changed, &err), 0);
	if (fpd_planner_plan(&p, cy, 1, local, 2, &o.hp, &o.fs, &o.nfs, &o.info, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(o.hp.n, 4);
	assert_int_equal(o.info.nunroutable, 0);
	out_free(&o);
	fpd_planner_free(&p);
}

static struct fp_addr ip(const char *s)
{
	struct fp_addr a;

	assert_int_equal(fp_addr_parse(s, &a), 0);
	return a;
}

static const char *str(const struct fp_addr *a)
{
	static char b[4][FP_ADDR_STRLEN];
	static int i;

	return fp_addr_str(a, b[i++ % 4]);
}

/*
 * The entries of @o come from one of @local, are sorted as the formats
 * list them (IPv4 sources first, then IPv6; fp_addr order), of one family
 * per entry, with weights summing to 65536 and each subflow watched on
 * its path: 2 links within a leaf, 4 across the spines.
 */
static void check_entries_ip(const struct out *o, const struct fp_addr *local, size_t nlocal,
			     const struct fp_topo *t)
{
	size_t i, k;
	unsigned int j;

	for (i = 0; i < o->hp.n; i++) {
		const struct fp_hostplan_entry *e = &o->hp.e[i];
		uint32_t w = 0;

		for (k = 0; k < nlocal && fp_addr_cmp(&e->local, &local[k]); k++)
			;
		assert_true(k < nlocal);
		assert_int_equal(fp_addr_is_v4(&e->local), fp_addr_is_v4(&e->remote));
		if (i) {
			const struct fp_hostplan_entry *b = &o->hp.e[i - 1];

			assert_false(!fp_addr_is_v4(&b->local) && fp_addr_is_v4(&e->local));
			assert_true(fp_addr_cmp(&b->local, &e->local) < 0 ||
				    (!fp_addr_cmp(&b->local, &e->local) &&
				     fp_addr_cmp(&b->remote, &e->remote) < 0));
		}
		for (j = 0; j < e->nsub; j++) {
			w += e->sub[j].weight;
			assert_int_equal(e->sub[j].sport, fp_label_to_sport(e->sub[j].flow_label));
		}
		assert_int_equal(w, 65536);
	}
	for (k = 0; k < o->nfs; k++) {
		const struct fp_hostplan_entry *e = &o->hp.e[o->fs[k].entry];
		int a = fp_topo_find_ip(t, &e->local), b = fp_topo_find_ip(t, &o->fs[k].remote);

		assert_true(o->fs[k].entry < o->hp.n);
		assert_int_equal(fp_addr_cmp(&o->fs[k].remote, &e->remote), 0);
		assert_true(a >= 0 && b >= 0);
		assert_int_equal(o->fs[k].nlinks,
				 t->nodes[a].leaf == t->nodes[b].leaf ? 2 : 4);
		assert_int_equal(o->fs[k].link[0], t->nodes[a].up_link);
		assert_int_equal(o->fs[k].link[o->fs[k].nlinks - 1], t->nodes[b].down_link);
	}
}

static void plan_at(struct fpd_planner *p, const struct fp_addr *local, size_t nlocal,
		    struct out *o)
{
	struct fp_err err = { "" };

	if (fpd_planner_plan(p, NULL, 0, local, nlocal, &o->hp, &o->fs, &o->nfs, &o->info, &err))
		fail_msg("%s", err.msg);
}

#define TOPO6 TOPO ",ipv6"

/*
 * An IPv6 fabric (the generator's 2001:2::/48), an all-to-all schedule:
 * the host of 2001:2::1 gets its three IPv6 entries (an IPv4 address of
 * the host that the fabric does not name changes nothing); a spine uplink
 * fails: the repair moves only what crossed it; the host's own link: its
 * NIC link is found by its IPv6 address.
 */
static void test_ipv6_host(void **state)
{
	struct fp_addr local[2] = { ip("127.0.0.1"), ip("2001:2::1") };
	struct fp_err err = { "" };
	struct fpd_planner p;
	struct out o1, o2;
	bool changed;
	int up, nic, failed;
	size_t i, k, crossing, kept = 0;

	(void)state;
	load_topo(&p, TOPO6, "alltoall:bytes=64M");
	plan_at(&p, local, 2, &o1);
	assert_int_equal(o1.hp.n, 3);
	for (i = 0; i < 3; i++) {
		char want[16];

		snprintf(want, sizeof(want), "2001:2::%zu", i + 2);
		assert_string_equal(str(&o1.hp.e[i].local), "2001:2::1");
		assert_string_equal(str(&o1.hp.e[i].remote), want);
	}
	check_entries_ip(&o1, local, 2, p.base);
	assert_int_equal(o1.info.unmapped, 0);
	assert_true(o1.info.max_load <= o1.info.lower_bound * 1.0000001);

	out_free(&o1);
	fpd_planner_free(&p);

	/* one subflow a flow; a spine uplink that some cross fails */
	load_topo(&p, TOPO6, "alltoall:bytes=64M");
	p.max_split = 1;
	plan_at(&p, local, 2, &o1);
	for (k = 0; k < o1.nfs && o1.fs[k].nlinks != 4; k++)
		;
	assert_true(k < o1.nfs);
	up = o1.fs[k].link[1];
	for (k = 0, crossing = 0; k < o1.nfs; k++)
		crossing += o1.fs[k].nlinks == 4 && o1.fs[k].link[1] == up;
	failed = up / 2;
	assert_int_equal(fpd_planner_set_failed(&p, &failed, 1, &changed, &err), 0);
	plan_at(&p, local, 2, &o2);
	assert_true(o2.info.repaired);
	assert_true(o2.info.repair.moved >= crossing);
	assert_false(crosses(&o2, up));
	assert_false(crosses(&o2, up ^ 1));
	check_entries_ip(&o2, local, 2, p.base);
	/* the subflows that did not cross it keep their labels */
	for (k = 0; k < o1.nfs; k++) {
		size_t j;

		if (o1.fs[k].nlinks == 4 && o1.fs[k].link[1] == up)
			continue;
		for (j = 0; j < o2.nfs; j++)
			if (!fp_addr_cmp(&o2.fs[j].remote, &o1.fs[k].remote) &&
			    o2.fs[j].sport == o1.fs[k].sport)
				kept++;
	}
	assert_int_equal(kept, o1.nfs - crossing);
	out_free(&o2);

	/* the host's own link, found by its IPv6 address */
	nic = fpd_planner_nic_link(&p, &local[1]);
	assert_true(nic >= 0);
	assert_int_equal(fpd_planner_nic_link(&p, &local[0]), -1);
	assert_int_equal(p.base->nodes[fp_topo_find_ip(p.base, &local[1])].up_link / 2, nic);
	assert_int_equal(fpd_planner_set_failed(&p, &nic, 1, &changed, &err), 0);
	plan_at(&p, local, 2, &o2);
	assert_int_equal(o2.hp.n, 0);
	out_free(&o2);
	out_free(&o1);
	fpd_planner_free(&p);
}

/*
 * A cycle the report rings showed between IPv6 addresses (issue 15; report
 * record version 2): on the IPv6 fabric its flows map to the NICs, and the
 * host of 2001:2::1 gets an entry per peer it sends to, as test_observed's
 * IPv4 host does.
 */
static void test_observed6(void **state)
{
	struct fpd_flow fl[4] = {
		{ ip("2001:2::1"), ip("2001:2::3"), 1 << 30 },
		{ ip("2001:2::1"), ip("2001:2::4"), 1 << 30 },
		{ ip("2001:2::2"), ip("2001:2::3"), 1 << 30 },
		{ ip("2001:2::2"), ip("2001:2::4"), 1 << 30 },
	};
	struct fpd_cphase ph = { .n = 4, .f = fl, .steps = 1 };
	struct fpd_cycle cyc = { .job = 1, .period = 1, .nph = 1, .ph = &ph };
	const struct fpd_cycle *cy[] = { &cyc };
	struct fp_addr local = ip("2001:2::1");
	struct fp_err err = { "" };
	struct fpd_planner p;
	struct out o;

	(void)state;
	load_topo(&p, TOPO6, NULL);
	if (fpd_planner_plan(&p, cy, 1, &local, 1, &o.hp, &o.fs, &o.nfs, &o.info, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(o.hp.n, 2);
	assert_string_equal(str(&o.hp.e[0].local), "2001:2::1");
	assert_string_equal(str(&o.hp.e[0].remote), "2001:2::3");
	assert_string_equal(str(&o.hp.e[1].remote), "2001:2::4");
	check_entries_ip(&o, &local, 1, p.base);
	assert_int_equal(o.info.flows, 4);
	assert_int_equal(o.info.unmapped, 0);
	assert_true(o.info.max_load <= o.info.lower_bound * 1.0000001);
	out_free(&o);
	fpd_planner_free(&p);
}

/* A dual-stack fabric: h0..h3, each an IPv4 NIC (n0) and an IPv6 one (n1). */
static const char topo_dual[] =
	"{\"format\":\"flowplan-topology\",\"version\":1,\"name\":\"dual\",\n"
	"\"switches\":[{\"name\":\"leaf0\",\"tier\":1},{\"name\":\"leaf1\",\"tier\":1},\n"
	"  {\"name\":\"spine0\",\"tier\":2},{\"name\":\"spine1\",\"tier\":2}],\n"
	"\"hosts\":[\n"
	"  {\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addr\":\"198.18.0.1\"},{\"name\":\"h0.n1\",\"addr\":\"2001:db8::1\"}]},\n"
	"  {\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\",\"addr\":\"198.18.0.2\"},{\"name\":\"h1.n1\",\"addr\":\"2001:db8::2\"}]},\n"
	"  {\"name\":\"h2\",\"nics\":[{\"name\":\"h2.n0\",\"addr\":\"198.18.0.3\"},{\"name\":\"h2.n1\",\"addr\":\"2001:db8::3\"}]},\n"
	"  {\"name\":\"h3\",\"nics\":[{\"name\":\"h3.n0\",\"addr\":\"198.18.0.4\"},{\"name\":\"h3.n1\",\"addr\":\"2001:db8::4\"}]}],\n"
	"\"links\":[\n"
	"  {\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100},{\"a\":\"h0.n1\",\"b\":\"leaf0\",\"gbps\":100},\n"
	"  {\"a\":\"h1.n0\",\"b\":\"leaf0\",\"gbps\":100},{\"a\":\"h1.n1\",\"b\":\"leaf0\",\"gbps\":100},\n"
	"  {\"a\":\"h2.n0\",\"b\":\"leaf1\",\"gbps\":100},{\"a\":\"h2.n1\",\"b\":\"leaf1\",\"gbps\":100},\n"
	"  {\"a\":\"h3.n0\",\"b\":\"leaf1\",\"gbps\":100},{\"a\":\"h3.n1\",\"b\":\"leaf1\",\"gbps\":100},\n"
	"  {\"a\":\"leaf0\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf0\",\"b\":\"spine1\",\"gbps\":100},\n"
	"  {\"a\":\"leaf1\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf1\",\"b\":\"spine1\",\"gbps\":100}]}\n";

/* Each family: h0 and h1 to h2 and h3, and h0 to h1 within leaf0. */
static char *sched_dual(void)
{
	static const char *const pairs[][2] = {
		{ "h0", "h2" }, { "h0", "h3" }, { "h1", "h2" }, { "h1", "h3" }, { "h0", "h1" },
	};
	char *t = calloc(1, 4096);
	size_t off, i;
	int n;

	assert_non_null(t);
	off = (size_t)sprintf(t, "{\"format\":\"flowplan-schedule\",\"version\":1,\"name\":\"d\","
			      "\"phases\":[{\"name\":\"a2a\",\"flows\":[");
	for (n = 0; n < 2; n++)
		for (i = 0; i < 5; i++)
			off += (size_t)sprintf(t + off, "%s{\"src\":\"%s.n%d\",\"dst\":\"%s.n%d\","
					       "\"bytes\":1073741824}", n || i ? "," : "",
					       pairs[i][0], n, pairs[i][1], n);
	sprintf(t + off, "]}]}\n");
	return t;
}

/*
 * A port map of 4 ports for each of h0's pairs to leaf1, both families,
 * each port on the other spine than the hash model's (so a plan that
 * follows it can be told from one that does not), in the daemon's order.
 */
static char *portmap_dual(const struct fp_topo *t0)
{
	static const char *const src[] = { "198.18.0.1", "2001:db8::1" };
	static const char *const dst[][2] = { { "198.18.0.3", "198.18.0.4" },
					      { "2001:db8::3", "2001:db8::4" } };
	struct fp_topo *t = (struct fp_topo *)t0;
	char *txt = calloc(1, 8192);
	size_t off;
	int f, d, k;

	assert_non_null(txt);
	off = (size_t)sprintf(txt, "# flowplan-portmap 1\n");
	for (f = 0; f < 2; f++) {
		for (d = 0; d < 2; d++) {
			struct fp_addr sa = ip(src[f]), da = ip(dst[f][d]);
			int sn = fp_topo_find_ip(t, &sa), dn = fp_topo_find_ip(t, &da);

			for (k = 1; k <= 4; k++) {
				uint16_t sp = fp_label_to_sport((uint32_t)k);
				const char *name = t->nodes[spine_of(t, sn, dn, sp)].name;

				name = strcmp(name, "spine0") ? "spine0" : "spine1";
				off += (size_t)sprintf(txt + off, "%s %s %u leaf0,%s,leaf1\n", src[f],
						       dst[f][d], sp, name);
			}
		}
	}
	return txt;
}

/* Each crossing subflow's port takes its planned spine by port map @map. */
static void check_by_map_ip(const struct fpd_planner *p, const struct out *o, const char *map)
{
	size_t k, n = 0;

	for (k = 0; k < o->nfs; k++) {
		const struct fp_hostplan_entry *e = &o->hp.e[o->fs[k].entry];
		const char *spine;
		char line[160];

		if (o->fs[k].nlinks != 4)
			continue;
		spine = p->base->nodes[p->base->links[o->fs[k].link[1]].to].name;
		snprintf(line, sizeof(line), "\n%s %s %u leaf0,%s,leaf1\n", str(&e->local),
			 str(&o->fs[k].remote), o->fs[k].sport, spine);
		if (!strstr(map, line))
			fail_msg("subflow %zu:%s is not in the map", k, line);
		n++;
	}
	assert_true(n > 0);
}

/*
 * A dual-stack host: its IPv4 entries, then its IPv6 ones; a port map of
 * both families is followed and written back as it was read; a failure
 * repairs both families' flows.
 */
static void test_dual_stack(void **state)
{
	struct fp_addr local[2] = { ip("2001:db8::1"), ip("198.18.0.1") };
	static const char *const want[][2] = {
		{ "198.18.0.1", "198.18.0.2" }, { "198.18.0.1", "198.18.0.3" },
		{ "198.18.0.1", "198.18.0.4" }, { "2001:db8::1", "2001:db8::2" },
		{ "2001:db8::1", "2001:db8::3" }, { "2001:db8::1", "2001:db8::4" },
	};
	char *sched = sched_dual(), *map, *back = NULL, tp[128], sp[128];
	struct fp_err err = { "" };
	struct fpd_planner p;
	struct out o1, o2;
	size_t i, moved, len = 0, npairs;
	struct fp_addr *pairs;
	bool changed;
	int failed, v4 = 0, v6 = 0;
	FILE *f;

	(void)state;
	snprintf(tp, sizeof(tp), "%s", test_file("dual.json", topo_dual));
	snprintf(sp, sizeof(sp), "%s", test_file("dual-sched.json", sched));
	free(sched);
	load_topo(&p, tp, sp);
	plan_at(&p, local, 2, &o1);
	assert_int_equal(o1.hp.n, 6);
	for (i = 0; i < 6; i++) {
		assert_string_equal(str(&o1.hp.e[i].local), want[i][0]);
		assert_string_equal(str(&o1.hp.e[i].remote), want[i][1]);
	}
	check_entries_ip(&o1, local, 2, p.base);
	assert_true(o1.info.max_load <= o1.info.lower_bound * 1.0000001);
	out_free(&o1);
	/* the pairs to probe: the host's across the spines, IPv4 first */
	assert_int_equal(fpd_planner_pairs(&p, local, 2, &pairs, &npairs), 0);
	assert_int_equal(npairs, 4);
	for (i = 0; i < 4; i++) {
		assert_string_equal(str(&pairs[2 * i]), want[i / 2 * 3 + i % 2 + 1][0]);
		assert_string_equal(str(&pairs[2 * i + 1]), want[i / 2 * 3 + i % 2 + 1][1]);
	}
	free(pairs);

	/* a port map of both families */
	map = portmap_dual(p.base);
	assert_int_equal(fpd_planner_set_portmap(&p, map, "map", false, &moved, &err), 0);
	assert_int_equal(moved, 16);	/* every port moved off the hash model's spine */
	assert_int_equal(p.npm, 16);
	plan_at(&p, local, 2, &o1);
	assert_int_equal(o1.hp.n, 6);
	check_entries_ip(&o1, local, 2, p.base);
	check_by_map_ip(&p, &o1, map);
	f = open_memstream(&back, &len);
	assert_non_null(f);
	assert_int_equal(fpd_planner_write_portmap(&p, f), 0);
	fclose(f);
	assert_string_equal(back, map);
	free(back);

	/* leaf0-spine0 fails: both families' crossing flows leave it */
	failed = fpd_planner_link(&p, "leaf0", "spine0") / 2;
	assert_true(failed >= 0);
	assert_int_equal(fpd_planner_set_failed(&p, &failed, 1, &changed, &err), 0);
	plan_at(&p, local, 2, &o2);
	assert_true(o2.info.repaired);
	assert_false(crosses(&o2, 2 * failed));
	assert_false(crosses(&o2, 2 * failed + 1));
	check_entries_ip(&o2, local, 2, p.base);
	check_by_map_ip(&p, &o2, map);
	for (i = 0; i < o2.nfs; i++) {
		if (o2.fs[i].nlinks != 4)
			continue;
		if (fp_addr_is_v4(&o2.fs[i].remote))
			v4++;
		else
			v6++;
	}
	assert_true(v4 > 0 && v6 > 0);
	out_free(&o1);
	out_free(&o2);
	free(map);
	fpd_planner_free(&p);
}

/* The dual-stack fabric of test_dual_stack, each host one NIC with both addresses. */
static const char topo_dual_nic[] =
	"{\"format\":\"flowplan-topology\",\"version\":1,\"name\":\"dualnic\",\n"
	"\"switches\":[{\"name\":\"leaf0\",\"tier\":1},{\"name\":\"leaf1\",\"tier\":1},\n"
	"  {\"name\":\"spine0\",\"tier\":2},{\"name\":\"spine1\",\"tier\":2}],\n"
	"\"hosts\":[\n"
	"  {\"name\":\"h0\",\"nics\":[{\"name\":\"h0.n0\",\"addrs\":[\"198.18.0.1\",\"2001:db8::1\"]}]},\n"
	"  {\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\",\"addrs\":[\"198.18.0.2\",\"2001:db8::2\"]}]},\n"
	"  {\"name\":\"h2\",\"nics\":[{\"name\":\"h2.n0\",\"addrs\":[\"198.18.0.3\",\"2001:db8::3\"]}]},\n"
	"  {\"name\":\"h3\",\"nics\":[{\"name\":\"h3.n0\",\"addrs\":[\"198.18.0.4\",\"2001:db8::4\"]}]}],\n"
	"\"links\":[\n"
	"  {\"a\":\"h0.n0\",\"b\":\"leaf0\",\"gbps\":100},{\"a\":\"h1.n0\",\"b\":\"leaf0\",\"gbps\":100},\n"
	"  {\"a\":\"h2.n0\",\"b\":\"leaf1\",\"gbps\":100},{\"a\":\"h3.n0\",\"b\":\"leaf1\",\"gbps\":100},\n"
	"  {\"a\":\"leaf0\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf0\",\"b\":\"spine1\",\"gbps\":100},\n"
	"  {\"a\":\"leaf1\",\"b\":\"spine0\",\"gbps\":100},{\"a\":\"leaf1\",\"b\":\"spine1\",\"gbps\":100}]}\n";

/*
 * Dual-stack NICs in the daemon: observed flows of both families from one
 * NIC plan as flows over its one host link (the bound counts it once), the
 * host's share has both families' entries, both addresses name the same
 * host link, and that link's failure drops both families' flows.
 */
static void test_dual_stack_nic(void **state)
{
	struct fp_addr local[2] = { ip("2001:db8::1"), ip("198.18.0.1") };
	struct fpd_flow fl[] = {
		{ ip("198.18.0.1"), ip("198.18.0.3"), 1 << 30 },
		{ ip("198.18.0.2"), ip("198.18.0.4"), 1 << 30 },
		{ ip("2001:db8::1"), ip("2001:db8::4"), 1 << 30 },
	};
	struct fpd_cphase ph = { .n = 3, .f = fl, .steps = 1 };
	struct fpd_cycle cy = { .job = 1, .period = 1, .nph = 1, .ph = &ph };
	const struct fpd_cycle *cys[] = { &cy };
	const double want = 2.0 * (1 << 30) * 8 / 100e9;
	struct fp_err err = { "" };
	struct fpd_planner p;
	struct out o;
	char tp[128];
	bool changed;
	int link;

	(void)state;
	snprintf(tp, sizeof(tp), "%s", test_file("dualnic.json", topo_dual_nic));
	load_topo(&p, tp, NULL);
	if (fpd_planner_plan(&p, cys, 1, local, 2, &o.hp, &o.fs, &o.nfs, &o.info, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(o.info.flows, 3);
	assert_int_equal(o.info.unmapped, 0);
	/* h0's host link carries its IPv4 and its IPv6 flow: 2 GiB at 100G */
	assert_true(fabs(o.info.lower_bound - want) <= 1e-9 * want);
	assert_true(fabs(o.info.max_load - want) <= 1e-9 * want);
	assert_int_equal(o.hp.n, 2);
	assert_string_equal(str(&o.hp.e[0].local), "198.18.0.1");
	assert_string_equal(str(&o.hp.e[0].remote), "198.18.0.3");
	assert_string_equal(str(&o.hp.e[1].local), "2001:db8::1");
	assert_string_equal(str(&o.hp.e[1].remote), "2001:db8::4");
	check_entries_ip(&o, local, 2, p.base);
	out_free(&o);
	/* one host link for both addresses; down, it takes both families' flows */
	link = fpd_planner_nic_link(&p, &local[0]);
	assert_true(link >= 0);
	assert_int_equal(fpd_planner_nic_link(&p, &local[1]), link);
	assert_int_equal(fpd_planner_set_failed(&p, &link, 1, &changed, &err), 0);
	if (fpd_planner_plan(&p, cys, 1, local, 2, &o.hp, &o.fs, &o.nfs, &o.info, &err))
		fail_msg("%s", err.msg);
	/* repaired: h0's flows of both families dropped, h1's kept */
	assert_true(o.info.repaired);
	assert_int_equal(o.info.repair.dropped, 2);
	assert_int_equal(o.hp.n, 0);
	out_free(&o);
	fpd_planner_free(&p);
}

/*
 * The receiving host's plan: the replies of its QPs to h0 and h1 (no flow
 * goes back) get reverse entries, as many subflows as the data's, each
 * port on the reverse of a data subflow's path; they are not watched.
 */
static void test_responder(void **state)
{
	const struct fpd_cycle *cy[] = { &cy_a2a };
	struct fp_addr local, two[2], *pairs;
	struct fpd_planner p;
	struct fp_err err = { "" };
	struct out o;
	size_t i, npairs;
	unsigned int k;

	(void)state;
	init_flows();
	load(&p, NULL);
	local = fp_addr_v4(A(3));
	if (fpd_planner_plan(&p, cy, 1, &local, 1, &o.hp, &o.fs, &o.nfs, &o.info, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(o.hp.n, 2);
	assert_int_equal(o.nfs, 0);
	for (i = 0; i < o.hp.n; i++) {
		const struct fp_hostplan_entry *e = &o.hp.e[i];
		int src = fp_topo_find_ip(p.topo, &e->local), dst = fp_topo_find_ip(p.topo, &e->remote);
		const struct fp_plan_flow *pf = NULL;
		size_t f;

		assert_int_equal(fp_addr_to_v4(&e->local), A(3));
		assert_int_equal(fp_addr_to_v4(&e->remote), A(i + 1));
		for (f = 0; f < p.plan->sched->ph[0].n; f++)
			if (p.plan->sched->ph[0].flows[f].src == dst &&
			    p.plan->sched->ph[0].flows[f].dst == src)
				pf = &p.plan->ph[0].flows[f];
		assert_non_null(pf);
		assert_int_equal(e->nsub, pf->n);
		for (k = 0; k < e->nsub; k++) {
			const struct fp_plan_subflow *s = &p.plan->ph[0].subs[pf->first + k];
			struct fp_pathset fps = fp_topo_paths(p.topo, p.topo->nodes[dst].leaf,
							      p.topo->nodes[src].leaf);
			struct fp_pathset rps = fp_topo_paths(p.topo, p.topo->nodes[src].leaf,
							      p.topo->nodes[dst].leaf);
			int r = fp_topo_route(p.topo, src, dst, e->sub[k].sport);

			/* leaf1 -> the data's spine -> leaf0 */
			assert_true(r >= 0 && r < rps.n);
			assert_int_equal(rps.p[r].link[0], p.topo->links[fps.p[s->path].link[1]].rev);
			assert_int_equal(rps.p[r].link[1], p.topo->links[fps.p[s->path].link[0]].rev);
		}
	}
	/*
	 * Its probe: the pairs of its replies, whose port map rows its
	 * reverse entries take their ports from (it had none: a host that
	 * also sends probed only its sends' pairs once it had a plan).
	 */
	assert_int_equal(fpd_planner_pairs(&p, &local, 1, &pairs, &npairs), 0);
	assert_int_equal(npairs, 2);
	for (i = 0; i < npairs; i++) {
		assert_int_equal(fp_addr_to_v4(&pairs[2 * i]), A(3));
		assert_int_equal(fp_addr_to_v4(&pairs[2 * i + 1]), A(i + 1));
	}
	free(pairs);
	/*
	 * One daemon for A(1) and A(3): A(1)'s data to A(3) and A(4), and
	 * the replies of what A(3) receives, from A(1) too.
	 */
	two[0] = fp_addr_v4(A(1));
	two[1] = local;
	assert_int_equal(fpd_planner_pairs(&p, two, 2, &pairs, &npairs), 0);
	assert_int_equal(npairs, 4);
	for (i = 0; i < npairs; i++) {
		static const int want[4][2] = { { 1, 3 }, { 1, 4 }, { 3, 1 }, { 3, 2 } };

		assert_int_equal(fp_addr_to_v4(&pairs[2 * i]), A(want[i][0]));
		assert_int_equal(fp_addr_to_v4(&pairs[2 * i + 1]), A(want[i][1]));
	}
	free(pairs);
	out_free(&o);
	fpd_planner_free(&p);
}

/*
 * The receiving host's reverse entries at a re-plan or a restart: the
 * module's (another daemon's, or a plan of another cycle's shape, whose
 * data was labelled otherwise) have other ports of the same reverse paths:
 * kept, so nothing is installed (without that, daemon-traffic's restarted
 * daemon installed a plan: its reverse entry's label, derived from the
 * data's, came out another); not kept where a port takes the other spine,
 * with another enforce, nor without the planner.
 */
static void test_keep_replies(void **state)
{
	const struct fpd_cycle *cy[] = { &cy_a2a };
	struct fp_hostplan mod = { 0 }, other = { 0 };
	struct fp_addr local;
	struct fpd_planner p;
	struct fp_err err = { "" };
	struct out o;
	int pass;

	(void)state;
	init_flows();
	load(&p, NULL);
	local = fp_addr_v4(A(3));
	for (pass = 0; pass < 2; pass++) {
		if (fpd_planner_plan(&p, cy, 1, &local, 1, &o.hp, &o.fs, &o.nfs, &o.info, &err))
			fail_msg("%s", err.msg);
		assert_int_equal(o.hp.n, 2);
		assert_int_equal(o.nfs, 0);	/* replies only */
		if (!pass) {
			assert_int_equal(fpd_hostplan_copy(&mod, &o.hp), 0);
			relabel(&p, &mod, true, 1, 0x3fff);
			assert_false(fpd_hostplan_equal(&mod, &o.hp));
			assert_int_equal(fpd_hostplan_copy(&other, &o.hp), 0);
			relabel(&p, &other, false, 1, 0x3fff);
			out_free(&o);
			continue;
		}
		assert_int_equal(fpd_hostplan_keep(NULL, &o.hp, o.fs, o.nfs, &mod, NULL, 0), 0);
		assert_int_equal(fpd_hostplan_keep(&p, &o.hp, o.fs, o.nfs, &other, NULL, 0), 0);
		other.e[0] = mod.e[0];
		other.e[0].enforce = !other.e[0].enforce;
		assert_int_equal(fpd_hostplan_keep(&p, &o.hp, o.fs, o.nfs, &other, NULL, 0), 0);
		assert_int_equal(fpd_hostplan_keep(&p, &o.hp, o.fs, o.nfs, &mod, NULL, 0), mod.n);
		assert_true(fpd_hostplan_equal(&o.hp, &mod));
		out_free(&o);
	}
	fpd_hostplan_clear(&mod);
	fpd_hostplan_clear(&other);
	fpd_planner_free(&p);
}

/* The VM's fabric (tests/vm/lib/fabric.sh), each host one dual-stack NIC. */
static const char topo_vm_dual[] =
	"{\"format\":\"flowplan-topology\",\"version\":1,\"name\":\"vm-2x2\",\n"
	"\"switches\":[{\"name\":\"leaf1\",\"tier\":1},{\"name\":\"leaf2\",\"tier\":1},\n"
	"  {\"name\":\"spine1\",\"tier\":2},{\"name\":\"spine2\",\"tier\":2}],\n"
	"\"hosts\":[\n"
	"  {\"name\":\"h1\",\"nics\":[{\"name\":\"h1.n0\",\"addrs\":[\"10.0.1.1\",\"fd00:1::1\"]}]},\n"
	"  {\"name\":\"h2\",\"nics\":[{\"name\":\"h2.n0\",\"addrs\":[\"10.0.2.1\",\"fd00:2::1\"]}]}],\n"
	"\"links\":[\n"
	"  {\"a\":\"h1.n0\",\"b\":\"leaf1\",\"gbps\":1},{\"a\":\"h2.n0\",\"b\":\"leaf2\",\"gbps\":1},\n"
	"  {\"a\":\"leaf1\",\"b\":\"spine1\",\"gbps\":1},{\"a\":\"leaf1\",\"b\":\"spine2\",\"gbps\":1},\n"
	"  {\"a\":\"leaf2\",\"b\":\"spine1\",\"gbps\":1},{\"a\":\"leaf2\",\"b\":\"spine2\",\"gbps\":1}]}\n";

/*
 * What a probe of h1 -> h2 writes for both families, 16 ports each, by
 * @how (one letter per family, IPv4's then IPv6's): 's' every other port
 * on spine1; '2' (spine1 - leaf2 down, not in the topology) every port on
 * spine2, the pair incomplete; 'u' no named path, the pair unresolved.
 */
static char *probe_map_vm(const char *how)
{
	static const char *const pr[][2] = { { "10.0.1.1", "10.0.2.1" },
					     { "fd00:1::1", "fd00:2::1" } };
	char *txt = calloc(1, 8192);
	size_t off;
	int f, k;

	assert_non_null(txt);
	off = (size_t)sprintf(txt, "# flowplan-portmap 1\n");
	for (f = 0; f < 2; f++) {
		if (how[f] == 'u') {
			off += (size_t)sprintf(txt + off, "# %s %s: no port got a complete path\n"
					       "%-12s %-12s %-6s unresolved\n", pr[f][0], pr[f][1],
					       pr[f][0], pr[f][1], "-");
			continue;
		}
		for (k = 1; k <= 16; k++)
			off += (size_t)sprintf(txt + off, "%-12s %-12s %-6u leaf1,%s,leaf2\n",
					       pr[f][0], pr[f][1], fp_label_to_sport((uint32_t)k),
					       how[f] == '2' || k % 2 ? "spine2" : "spine1");
		if (how[f] == '2')
			off += (size_t)sprintf(txt + off, "# %s %s: incomplete: found 1 of 2 paths\n",
					       pr[f][0], pr[f][1]);
	}
	return txt;
}

static double spine1_load(const struct out *o)
{
	double l = 0;
	size_t i;

	for (i = 0; i < o->info.nlinks; i++)
		if (strstr(o->info.links[i].name, "spine1"))
			l += o->info.links[i].load;
	return l;
}

/* @p on the VM's dual-stack fabric with probe_map_vm(@how) as its first map. */
static void load_vm_dual(struct fpd_planner *p, const char *how)
{
	char *map = probe_map_vm(how), tp[128];
	struct fp_err err = { "" };
	size_t moved;

	snprintf(tp, sizeof(tp), "%s", test_file("vmdual.json", topo_vm_dual));
	load_topo(p, tp, NULL);
	if (fpd_planner_set_portmap(p, map, "probe", true, &moved, &err))
		fail_msg("%s", err.msg);
	free(map);
}

/* Plan h1 -> h2 of both families, 1 MiB each, every address local (daemon-dual's jobs). */
static void plan_vm_dual(struct fpd_planner *p, struct out *o)
{
	struct fp_addr local[4] = { ip("10.0.1.1"), ip("10.0.2.1"), ip("fd00:1::1"),
				    ip("fd00:2::1") };
	struct fpd_flow fl[] = {
		{ ip("10.0.1.1"), ip("10.0.2.1"), 1 << 20 },
		{ ip("fd00:1::1"), ip("fd00:2::1"), 1 << 20 },
	};
	struct fpd_cphase ph = { .n = 2, .f = fl, .steps = 1 };
	struct fpd_cycle cy = { .job = 1, .period = 1, .nph = 1, .ph = &ph };
	const struct fpd_cycle *cys[] = { &cy };
	struct fp_err err = { "" };

	if (fpd_planner_plan(p, cys, 1, local, 4, &o->hp, &o->fs, &o->nfs, &o->info, &err))
		fail_msg("%s", err.msg);
}

/*
 * Dual-stack NICs (daemon-dual in tests/vm): probes of both families'
 * pairs before and after spine1 - leaf2 went down. The map after replaces
 * the pairs' rows (the merge finds both pairs in it, whatever the
 * library's row order), the plan leaves spine1, and the same map again
 * moves nothing.
 */
static void test_dual_nic_probe_failure(void **state)
{
	char *after = probe_map_vm("22");
	struct fp_err err = { "" };
	struct fpd_planner p;
	struct out o;
	size_t moved;
	unsigned int gen;

	(void)state;
	load_vm_dual(&p, "ss");
	assert_int_equal(p.npm, 32);
	plan_vm_dual(&p, &o);
	assert_true(spine1_load(&o) > 0);
	out_free(&o);
	/* the 8 spine1 ports of each family moved; the old rows are gone */
	assert_int_equal(fpd_planner_set_portmap(&p, after, "probe", true, &moved, &err), 0);
	assert_int_equal(moved, 16);
	assert_int_equal(p.npm, 32);
	plan_vm_dual(&p, &o);
	assert_int_equal(o.hp.n, 2);
	assert_true(spine1_load(&o) == 0);
	out_free(&o);
	/* the next probe finds the same: no news */
	gen = p.pm_gen;
	assert_int_equal(fpd_planner_set_portmap(&p, after, "probe", true, &moved, &err), 0);
	assert_int_equal(moved, 0);
	assert_int_equal(p.pm_gen, gen);
	assert_int_equal(p.npm, 32);
	free(after);
	fpd_planner_free(&p);
}

/*
 * daemon-dual's probe under way while spine1 - leaf2 went down: it saw
 * the IPv4 ports moved and named no path of the IPv6 pair. That pair
 * keeps the ports learned before (its unresolved row does not replace
 * them: a pair with no port is planned on the hash model, whose paths
 * still cross spine1), and the next probe, naming its ports on spine2,
 * is news: the plan leaves spine1. A pair the map in use has only as
 * unresolved (a first probe that named none of its paths) takes the
 * ports of the probe that names them.
 */
static void test_dual_nic_probe_unresolved(void **state)
{
	char *during = probe_map_vm("2u"), *after = probe_map_vm("22");
	struct fp_err err = { "" };
	struct fpd_planner p;
	struct out o;
	size_t moved;
	unsigned int gen;

	(void)state;
	load_vm_dual(&p, "ss");
	assert_int_equal(p.npm, 32);
	/* IPv4's 8 spine1 ports moved; IPv6 keeps its 16 rows, no unresolved row */
	assert_int_equal(fpd_planner_set_portmap(&p, during, "probe", true, &moved, &err), 0);
	assert_int_equal(moved, 8);
	assert_int_equal(p.pm_kept, 1);
	assert_int_equal(p.npm, 32);
	assert_true(p.pm[31].sport != 0 && !fp_addr_is_v4(&p.pm[31].src));
	/* the same again: nothing new */
	gen = p.pm_gen;
	assert_int_equal(fpd_planner_set_portmap(&p, during, "probe", true, &moved, &err), 0);
	assert_int_equal(moved, 0);
	assert_int_equal(p.pm_gen, gen);
	/* IPv6's 8 spine1 ports moved: the plan leaves spine1 */
	assert_int_equal(fpd_planner_set_portmap(&p, after, "probe", true, &moved, &err), 0);
	assert_int_equal(moved, 8);
	assert_int_equal(p.npm, 32);
	plan_vm_dual(&p, &o);
	assert_int_equal(o.hp.n, 2);
	assert_true(spine1_load(&o) == 0);
	out_free(&o);
	fpd_planner_free(&p);

	/* a first map with IPv6 unresolved: planned on the model, spine1 too */
	load_vm_dual(&p, "2u");
	assert_int_equal(p.npm, 17);
	plan_vm_dual(&p, &o);
	assert_true(spine1_load(&o) > 0);
	out_free(&o);
	/* IPv6's 16 ports named: news, though the map in use lists the pair */
	assert_int_equal(fpd_planner_set_portmap(&p, after, "probe", true, &moved, &err), 0);
	assert_int_equal(moved, 16);
	assert_int_equal(p.npm, 32);
	plan_vm_dual(&p, &o);
	assert_true(spine1_load(&o) == 0);
	out_free(&o);
	free(during);
	free(after);
	fpd_planner_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_observed),
		cmocka_unit_test(test_failed_link_and_keep),
		cmocka_unit_test(test_avoid_relabels),
		cmocka_unit_test(test_keep_moves_only_what_must),
		cmocka_unit_test(test_two_jobs_and_unknown),
		cmocka_unit_test(test_fixed_schedule_and_nothing),
		cmocka_unit_test(test_repair_moves_only_crossing),
		cmocka_unit_test(test_portmap_failure_and_change),
		cmocka_unit_test(test_keep_module_entries),
		cmocka_unit_test(test_host_link_down),
		cmocka_unit_test(test_leaf_cut_off),
		cmocka_unit_test(test_ipv6_host),
		cmocka_unit_test(test_dual_stack_nic),
		cmocka_unit_test(test_observed6),
		cmocka_unit_test(test_dual_stack),
		cmocka_unit_test(test_responder),
		cmocka_unit_test(test_keep_replies),
		cmocka_unit_test(test_dual_nic_probe_failure),
		cmocka_unit_test(test_dual_nic_probe_unresolved),
	};

	return cmocka_run_group_tests_name("daemon_plan", tests, tmpdir_setup, tmpdir_teardown);
}
