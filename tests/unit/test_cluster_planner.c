// SPDX-License-Identifier: MIT
/*
 * test_cluster_planner - the cluster planner's plans under a port map
 * (daemon/cluster/planner.c, its planning half: the decision between
 * repair, restore and a full plan, on a bus that is not connected; the
 * processes' tests run it on real servers). The planner reads its port
 * map against the topology, whose path numbers move with every switch
 * link that changes state: the map must be read again for the links as
 * they are before each plan, its rows over links that are down left out.
 * Through spine0-leaf1 down (repair), spine1-leaf0 down too (repair, not
 * ESTALE and a fall back), spine0-leaf1 back (restore) and a full plan
 * with spine1-leaf0 down, every inter-leaf subflow's port is one the map
 * learned on the very path planned, no share has a port over a link that
 * is down, and the failures' shares changed. The same on an IPv6 fabric;
 * there, a host's port reported down by its IPv6 address takes its NIC
 * link out of the plan (repaired: its flows dropped, the rest kept).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* its static functions: plan_now() is what fpc_planner_replan_now() plans with */
#include "planner.c"

#include "planner_util.h"
#include "test_core_tmpdir.h"

#define TOPO	"leafspine:leaves=2,spines=3,hosts=2"
#define SCHED	"ring-allreduce:bytes=64M"

static char logged[8192];	/* the planner's log lines since a test cleared it */

static void logline(void *arg, int level, const char *text)
{
	size_t at = strlen(logged);

	(void)arg;
	(void)level;
	fprintf(stderr, "  planner: %s\n", text);
	snprintf(logged + at, sizeof(logged) - at, "%s\n", text);
}

static const struct fpc_planner_ops ops = { .log = logline };

struct fix {
	struct fpd_loop loop;
	struct fpc_bus *bus;
	struct fpc_names nm;
	struct fpc_planner p;
	struct fp_topo *t0;		/* the fabric with every link up: the map's paths */
	struct fp_portmap *pm0;		/* the map read against it */
};

static const char *fix_topo = TOPO;

static int fix_setup(void **state)
{
	struct fpc_bus_opts bo = { .servers = "nats://127.0.0.1:9" };
	struct fpc_planner_opts o = {
		.name = "p1", .topology = fix_topo, .schedule = SCHED, .max_split = 4,
		.replicas = 1, .lease_ns = 1000000000ull, .holddown_ns = 1000000ull,
	};
	struct fp_err err = { "" };
	struct fix *x = calloc(1, sizeof(*x));
	struct fp_sched *s;
	char *text;

	if (!x || tmpdir_setup(state))
		return -1;
	x->t0 = gen_topo(fix_topo);
	s = gen_sched(SCHED, x->t0);
	text = pm_from_model(x->t0, s, 4);
	{
		/* and the other way, as a probe learns both: the replies' ports */
		char *back, *both;
		size_t j;

		for (j = 0; j < s->ph[0].n; j++) {
			int a = s->ph[0].flows[j].src;

			s->ph[0].flows[j].src = s->ph[0].flows[j].dst;
			s->ph[0].flows[j].dst = a;
		}
		back = pm_from_model(x->t0, s, 4);
		if (asprintf(&both, "%s%s", text, back) < 0)
			return -1;
		free(text);
		free(back);
		text = both;
	}
	fp_sched_free(s);
	o.portmap = test_file("portmap", text);
	if (!o.portmap || fp_portmap_parse(text, "pm", x->t0, &x->pm0, &err)) {
		fprintf(stderr, "test_cluster_planner: %s\n", err.msg);
		return -1;
	}
	free(text);
	if (fpd_loop_init(&x->loop))
		return -1;
	x->bus = fpc_bus_open(NULL, &bo, &err);
	if (!x->bus || fpc_names_init(&x->nm, "fp", "flowplan", &err) ||
	    fpc_planner_init(&x->p, &x->loop, x->bus, &x->nm, &o, &ops, NULL, &err)) {
		fprintf(stderr, "test_cluster_planner: %s\n", err.msg);
		return -1;
	}
	*state = x;
	return 0;
}

static int fix_teardown(void **state)
{
	struct fix *x = *state;

	fpc_planner_fini(&x->p);
	fpc_bus_close(x->bus);
	fpd_loop_fini(&x->loop);
	fp_portmap_free(x->pm0);
	fp_topo_free(x->t0);
	free(x);
	return tmpdir_teardown(state);
}

/* Undirected link @a-@b of the planner's fabric. */
static size_t link_of(struct fix *x, const char *a, const char *b)
{
	int l = fp_topo_link(x->p.topo, fp_topo_find(x->p.topo, a), fp_topo_find(x->p.topo, b));

	assert_true(l >= 0);
	return (size_t)l / 2;
}

/* The path (links, the same ids in both topologies) the map learned for a port, or NULL. */
static const struct fp_path *pm0_path(struct fix *x, const struct fp_addr *src,
				      const struct fp_addr *dst, uint16_t sport)
{
	const struct fp_topo *t = x->t0;
	size_t n, k;
	const struct fp_pm_row *r = fp_portmap_pair_ip(x->pm0, src, dst, &n);
	int sn = fp_topo_find_ip(t, src), dn = fp_topo_find_ip(t, dst);
	struct fp_pathset ps;

	for (k = 0; k < n && r[k].sport != sport; k++)
		;
	if (k == n)
		return NULL;
	ps = fp_topo_paths(x->t0, t->nodes[sn].leaf, t->nodes[dn].leaf);
	assert_true(r[k].path >= 0 && r[k].path < ps.n);
	return &ps.p[r[k].path];
}

static bool over_down(struct fix *x, const struct fp_path *lp)
{
	int h;

	for (h = 0; h < lp->len; h++)
		if (x->p.plan_down[lp->link[h] / 2])
			return true;
	return false;
}

/*
 * The ring's pairs have no flow back: every pair's replies have an entry
 * (in the share of the data's receiver), as many subflows as the data's,
 * each port the map's on the reverse of a data subflow's path: a live one.
 */
static void check_replies(struct fix *x, const struct fp_hostplan *hp, const char *method)
{
	const struct fp_plan *p = x->p.plan;
	struct fp_topo *t = x->p.topo;
	const struct fp_phase *ph = &p->sched->ph[0];
	size_t j, e, k, nrev = 0;

	for (j = 0; j < ph->n; j++) {
		const struct fp_flow *f = &ph->flows[j];
		const struct fp_plan_flow *pf = &p->ph[0].flows[j];
		const struct fp_hostplan_entry *r = NULL;
		struct fp_pathset ps = fp_topo_paths(t, t->nodes[f->src].leaf,
						     t->nodes[f->dst].leaf);

		for (e = 0; e < hp->n && !r; e++)
			if (!fp_addr_cmp(&hp->e[e].local, &t->nodes[f->dst].ip) &&
			    !fp_addr_cmp(&hp->e[e].remote, &t->nodes[f->src].ip))
				r = &hp->e[e];
		if (!r)
			fail_msg("%s plan: no reply entry %s -> %s", method, t->nodes[f->dst].name,
				 t->nodes[f->src].name);
		nrev++;
		assert_int_equal(r->nsub, pf->n);
		if (t->nodes[f->src].leaf == t->nodes[f->dst].leaf)
			continue;
		for (k = 0; k < r->nsub; k++) {
			const struct fp_plan_subflow *s = &p->ph[0].subs[pf->first + k];
			const struct fp_path *lp = pm0_path(x, &r->local, &r->remote, r->sub[k].sport);
			int h;

			if (!lp)
				fail_msg("%s plan: reply port %u is not in the port map", method,
					 r->sub[k].sport);
			assert_false(over_down(x, lp));
			assert_int_equal(lp->len, ps.p[s->path].len);
			for (h = 0; h < lp->len; h++)
				assert_int_equal(lp->link[h],
						 t->links[ps.p[s->path].link[lp->len - 1 - h]].rev);
		}
	}
	assert_int_equal(nrev, ph->n);
}

/*
 * Plan as the active planner does; the method it took must be @method.
 * Then: every inter-leaf subflow's port is the map's for the path it is
 * planned on, a live one; the shares (all hosts') have no port over a link
 * that is down. The entries into @hp.
 */
static void replan(struct fix *x, bool full, const char *method, struct fp_hostplan *hp)
{
	struct fpc_replan r = { 0 };
	struct fp_err err = { "" };
	struct fp_plan *p;
	struct fp_topo *t;
	size_t i, j, k, e, inter = 0;
	int ret;

	ret = plan_now(&x->p, full, &r, &err);
	if (ret)
		fail_msg("%s plan: %s (%s)", method, err.msg, r.method);
	assert_string_equal(r.method, method);
	p = x->p.plan;
	t = x->p.topo;
	assert_non_null(p);
	for (i = 0; i < p->nph; i++) {
		const struct fp_phase *ph = &p->sched->ph[i];

		for (j = 0; j < ph->n; j++) {
			const struct fp_flow *f = &ph->flows[j];
			struct fp_pathset ps;

			if (t->nodes[f->src].leaf == t->nodes[f->dst].leaf)
				continue;
			ps = fp_topo_paths(t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
			for (k = 0; k < p->ph[i].flows[j].n; k++) {
				const struct fp_plan_subflow *s =
					&p->ph[i].subs[p->ph[i].flows[j].first + k];
				const struct fp_path *lp = pm0_path(x, &t->nodes[f->src].ip,
								    &t->nodes[f->dst].ip, s->sport);

				if (!lp)
					fail_msg("%s plan: port %u is not in the port map", method,
						 s->sport);
				assert_false(over_down(x, lp));
				assert_true(s->path < ps.n);
				assert_int_equal(lp->len, ps.p[s->path].len);
				assert_memory_equal(lp->link, ps.p[s->path].link,
						    lp->len * sizeof(lp->link[0]));
				inter++;
			}
		}
	}
	assert_true(inter > 0);
	assert_int_equal(fp_plan_hostplan(p, NULL, 0, hp, &err), 0);
	for (e = 0; e < hp->n; e++) {
		for (k = 0; k < hp->e[e].nsub; k++) {
			const struct fp_path *lp = pm0_path(x, &hp->e[e].local, &hp->e[e].remote,
							    hp->e[e].sub[k].sport);

			if (lp)
				assert_false(over_down(x, lp));
		}
	}
	check_replies(x, hp, method);
}

/* Some entry of @a differs from @b's. */
static bool changed(const struct fp_hostplan *a, const struct fp_hostplan *b)
{
	size_t e;

	if (a->n != b->n)
		return true;
	for (e = 0; e < a->n; e++)
		if (a->e[e].nsub != b->e[e].nsub ||
		    memcmp(a->e[e].sub, b->e[e].sub, a->e[e].nsub * sizeof(a->e[e].sub[0])))
			return true;
	return false;
}

static void test_portmap_through_failures(void **state)
{
	struct fix *x = *state;
	struct fp_hostplan h0, h1, h2, h3, h4;
	size_t s0l1 = link_of(x, "spine0", "leaf1"), s1l0 = link_of(x, "spine1", "leaf0");

	x->p.active = true;	/* plan_now() plans; only the writing wants the lease */
	replan(x, false, "full", &h0);

	x->p.fab_down[s0l1] = 1;
	replan(x, false, "repair", &h1);
	assert_true(changed(&h1, &h0));

	/* a second failure: repaired too, with the map read again */
	x->p.fab_down[s1l0] = 1;
	replan(x, false, "repair", &h2);
	assert_true(changed(&h2, &h1));

	/*
	 * spine0-leaf1 back: the map's rows over it count again, and the
	 * paths of leaf0 -> leaf1 are spine0 and spine2 now (spine1 and
	 * spine2 when the map was read last)
	 */
	x->p.fab_down[s0l1] = 0;
	replan(x, false, "restore", &h3);
	assert_true(changed(&h3, &h2));

	/* from scratch with spine1-leaf0 down: its rows left out, not an error */
	replan(x, true, "full", &h4);

	fp_hostplan_free(&h0);
	fp_hostplan_free(&h1);
	fp_hostplan_free(&h2);
	fp_hostplan_free(&h3);
	fp_hostplan_free(&h4);
}

/* A full plan while a link is down from the start: the map's rows over it left out. */
static void test_portmap_full_with_a_link_down(void **state)
{
	struct fix *x = *state;
	struct fp_hostplan h0;

	x->p.active = true;
	x->p.fab_down[link_of(x, "spine2", "leaf1")] = 1;
	replan(x, false, "full", &h0);
	fp_hostplan_free(&h0);
}

static int fix_setup6(void **state)
{
	fix_topo = TOPO ",ipv6";
	return fix_setup(state);
}

static int fix_teardown6(void **state)
{
	fix_topo = TOPO;
	return fix_teardown(state);
}

/*
 * IPv6 hosts: every entry is IPv6; h0 reports its port down by its IPv6
 * address (the agent's links message): its NIC link goes down, the plan is
 * repaired, h0's flows leave it and h1's stay. A port of an address the
 * fabric lacks changes nothing.
 */
static void test_ipv6_port_down(void **state)
{
	struct fix *x = *state;
	int nic = fp_topo_find(x->p.topo, "h0.n0"), other = fp_topo_find(x->p.topo, "h1.n0");
	struct fpc_port pt = { "rxe0", 1, false, 2, { { { 0 } } } };
	struct fp_hostplan h0, h1;
	struct fpc_replan r = { 0 };
	struct fp_err err = { "" };
	char subj[160], *t;
	size_t len, e, mine = 0, theirs = 0;

	assert_true(nic >= 0 && other >= 0);
	x->p.active = true;
	replan(x, false, "full", &h0);
	for (e = 0; e < h0.n; e++) {
		assert_false(fp_addr_is_v4(&h0.e[e].local));
		assert_false(fp_addr_is_v4(&h0.e[e].remote));
		mine += !fp_addr_cmp(&h0.e[e].local, &x->p.topo->nodes[nic].ip);
	}
	assert_true(mine > 0);

	/* an address of no NIC: nothing to re-plan */
	assert_int_equal(fp_addr_parse("2001:db8::99", &pt.addrs[0]), 0);
	pt.naddrs = 1;
	t = fpc_links_encode(&pt, 1, &len);
	obs(&x->p, fpc_subj_obs(&x->nm, "h0", FPC_OBS_LINKS, subj, sizeof(subj)), t, len);
	free(t);
	assert_int_equal(plan_now(&x->p, false, &r, &err), 0);
	assert_string_equal(r.method, "none");

	/* h0's IPv4 loopback and its NIC's IPv6 address, the port down */
	assert_int_equal(fp_addr_parse("127.0.0.1", &pt.addrs[0]), 0);
	pt.addrs[1] = x->p.topo->nodes[nic].ip;
	pt.naddrs = 2;
	t = fpc_links_encode(&pt, 1, &len);
	obs(&x->p, fpc_subj_obs(&x->nm, "h0", FPC_OBS_LINKS, subj, sizeof(subj)), t, len);
	free(t);
	assert_int_equal(x->p.obs_bad, 0);
	assert_int_equal(plan_now(&x->p, false, &r, &err), 0);
	assert_string_equal(r.method, "repair");
	assert_non_null(x->p.plan);
	assert_int_equal(fp_plan_hostplan(x->p.plan, NULL, 0, &h1, &err), 0);
	for (e = 0, mine = 0; e < h1.n; e++) {
		mine += !fp_addr_cmp(&h1.e[e].local, &x->p.topo->nodes[nic].ip) ||
			!fp_addr_cmp(&h1.e[e].remote, &x->p.topo->nodes[nic].ip);
		theirs += !fp_addr_cmp(&h1.e[e].local, &x->p.topo->nodes[other].ip);
	}
	assert_int_equal(mine, 0);
	assert_true(theirs > 0);
	fp_hostplan_free(&h0);
	fp_hostplan_free(&h1);
}

/*
 * No server to store the shares: a re-plan whose shares changed says that
 * none was stored (not "no share changed"), and its epoch stays that of
 * the last plan stored, none yet in this term. Why a lease write failed:
 * only the bucket's refusal is "another planner first".
 */
static void test_nothing_stored(void **state)
{
	struct fix *x = *state;
	struct fpc_lease_val v = { "p1", 3, 60000 };
	struct fp_err err = { "" };

	x->p.active = true;
	fpc_lease_won(&x->p.lease, fpd_now(), 1, &v);
	logged[0] = 0;
	assert_int_not_equal(fpc_planner_replan_now(&x->p, true, "test", &err), 0);
	assert_true(x->p.last.changed > 0);
	assert_int_equal(x->p.last.written, 0);
	assert_int_equal(x->p.last.epoch, FPC_EPOCH(3, 0));
	assert_int_equal(x->p.n, 0);	/* nothing sent: the epoch is not spent */
	assert_non_null(strstr(logged, "re-plan (test, full): "));
	assert_non_null(strstr(logged, " shares changed, none stored ("));
	assert_non_null(strstr(logged, "epoch stays 12884901888, written again at the next re-plan"));
	assert_null(strstr(logged, "no share changed"));

	assert_string_equal(lease_lost_why(EHOSTUNREACH,
					   "writing the lease: No responders available for request"),
			    "the lease could not be written: the bucket did not answer");
	assert_string_equal(lease_lost_why(ETIMEDOUT, "writing the lease: Timeout"),
			    "the lease could not be written: the bucket did not answer");
	assert_string_equal(lease_lost_why(EIO, "writing the lease: wrong last sequence: 7"),
			    "the lease went to another planner first");
	assert_string_equal(lease_lost_why(EIO, "writing the lease: stream not found"),
			    "the lease could not be written");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_portmap_through_failures, fix_setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_portmap_full_with_a_link_down, fix_setup,
						fix_teardown),
		{ "test_portmap_through_failures_ipv6", test_portmap_through_failures, fix_setup6,
		  fix_teardown6, NULL },
		{ "test_portmap_full_with_a_link_down_ipv6", test_portmap_full_with_a_link_down,
		  fix_setup6, fix_teardown6, NULL },
		cmocka_unit_test_setup_teardown(test_ipv6_port_down, fix_setup6, fix_teardown6),
		cmocka_unit_test_setup_teardown(test_nothing_stored, fix_setup, fix_teardown),
	};

	return cmocka_run_group_tests_name("cluster_planner", tests, NULL, NULL);
}
