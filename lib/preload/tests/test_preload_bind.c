// SPDX-License-Identifier: MIT
/*
 * test_preload_bind - the interposer reached every way a program can bind
 * verbs, against the stand-in libibverbs/libmlx5 (fakeverbs.c), with the
 * sanitizer build of libflowplan-preload.so preloaded:
 *  - direct calls; QPs from ibv_create_qp, the ibv_create_qp_ex inline (a
 *    context op) and mlx5dv_create_qp are one peer's subflows in creation
 *    order, more QPs than subflows wrap, a freed slot is taken again;
 *  - the exact-dqpn entry over the pair's wildcard; no entry and non-RC
 *    QPs are passed through untouched (label 0 stays 0, the program's
 *    label stays); the program's attribute struct is never written;
 *  - ibv_modify_qp@IBVERBS_1.0 (libibverbs' compatibility call);
 *  - dlsym/dlvsym on a handle return the wrappers (1.0 left alone), while
 *    RTLD_NEXT and RTLD_DEFAULT keep their meaning for every caller;
 *  - a plan change reaches connected QPs by itself (the watcher): moved in
 *    place where mlx5dv_modify_qp_udp_sport works, left (reconnect needed)
 *    where it does not;
 *  - the report ring holds every connection, a QP between IPv6 GIDs with
 *    its IPv6 addresses (ring format version 2, docs/reports.md).
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <infiniband/verbs.h>

#include "core/report.h"
#include "preload/report.h"
#include "fakeverbs.h"
#include "tplan.h"

/* A reference to the IBVERBS_1.0 version, as a 2007 binary has. */
int modify_1_0(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask);
__asm__(".symver modify_1_0, ibv_modify_qp@IBVERBS_1.0");

/*
 * dlsym and dlvsym are interposed on x86-64 only (the jump that keeps the
 * caller's return address is written for it, docs/preload.md).
 */
#ifdef __x86_64__
#define X86_64_ONLY() do { } while (0)
#else
#define X86_64_ONLY() do { \
	printf("skip: dlsym/dlvsym are interposed on x86-64 only\n"); \
	skip(); \
} while (0)
#endif

static char plan_path[64], ring_dir[64];
static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct ibv_cq cq;

#define PLAN(entries) \
	"{ \"format\": \"flowplan-plan\", \"version\": 1, \"generation\": 1,\n" \
	"  \"entries\": [ " entries " ], \"phases\": [] }\n"
#define ENTRY(src, dst, dqpn, subs) \
	"{ \"src_addr\": \"" src "\", \"dst_addr\": \"" dst "\", \"dqpn\": " \
	#dqpn ", \"enforce\": false, \"subflows\": [ " subs " ] }"
#define SUB(fl, sport, w) \
	"{ \"flow_label\": " #fl ", \"sport\": " #sport ", \"weight\": " #w " }"

static const char *plan1 =
	PLAN(ENTRY("10.0.1.1", "10.0.2.1", 0,
		   SUB(17, 49169, 21846) ", " SUB(34, 49186, 21845) ", " SUB(51, 49203, 21845)) ",\n"
	     ENTRY("10.0.1.1", "10.0.2.2", 119, SUB(68, 49220, 65536)) ",\n"
	     ENTRY("10.0.1.1", "10.0.2.2", 0, SUB(85, 49237, 65536)));

static struct ibv_qp *create(int how, enum ibv_qp_type type)
{
	struct ibv_qp_init_attr_ex ax = {
		.qp_type = type, .send_cq = &cq, .recv_cq = &cq, .pd = pd,
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_CREATE_FLAGS,
	};
	struct ibv_qp_init_attr a = {
		.qp_type = type, .send_cq = &cq, .recv_cq = &cq,
	};
	struct ibv_qp *qp;

	switch (how) {
	case 0:
		qp = ibv_create_qp(pd, &a);
		break;
	case 1:
		/* The inline: comp_mask beyond PD goes to the context op. */
		qp = ibv_create_qp_ex(ctx, &ax);
		break;
	default:
		qp = mlx5dv_create_qp(ctx, &ax, NULL);
		break;
	}
	assert_non_null(qp);
	return qp;
}

static int modify(int (*fn)(struct ibv_qp *, struct ibv_qp_attr *, int),
		  struct ibv_qp *qp, const char *ip, uint32_t dqpn,
		  uint32_t label)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_INIT, .port_num = 1 };
	struct ibv_qp_attr rtr = {
		.qp_state = IBV_QPS_RTR,
		.dest_qp_num = dqpn,
		.ah_attr = {
			.is_global = 1,
			.port_num = 1,
			.grh = { .sgid_index = 1, .hop_limit = 64,
				 .flow_label = label },
		},
	};
	struct ibv_qp_attr before;
	int ret;

	ret = fn(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
		 IBV_QP_ACCESS_FLAGS);
	if (ret)
		return ret;
	if (strchr(ip, ':')) {
		/* IPv6: from the port's IPv6 GID (index 2, ipv6_qp) */
		rtr.ah_attr.grh.sgid_index = 2;
		assert_int_equal(inet_pton(AF_INET6, ip, rtr.ah_attr.grh.dgid.raw), 1);
	} else {
		tp_gid_v4(rtr.ah_attr.grh.dgid.raw, ip);
	}
	before = rtr;
	ret = fn(qp, &rtr, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
		 IBV_QP_DEST_QPN | IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
		 IBV_QP_MIN_RNR_TIMER);
	/* The program's attributes are its own: never written. */
	assert_memory_equal(&before, &rtr, sizeof(rtr));
	if (ret)
		return ret;
	a = (struct ibv_qp_attr){ .qp_state = IBV_QPS_RTS };
	return fn(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
		  IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
}

static void connect_qp(struct ibv_qp *qp, const char *ip, uint32_t dqpn,
		       uint32_t label)
{
	assert_int_equal(modify(ibv_modify_qp, qp, ip, dqpn, label), 0);
}

static int setup(void **state)
{
	struct ibv_device **l = ibv_get_device_list(NULL);
	uint8_t gid[16];

	(void)state;
	tp_gid_v4(gid, "10.0.1.1");
	fake_set_gid(1, 1, gid);
	ctx = ibv_open_device(l[0]);
	ibv_free_device_list(l);
	pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	cq.context = ctx;
	tp_write_plan(plan_path, plan1);
	return pd ? 0 : -1;
}

static void creation_order(void **state)
{
	static const uint32_t want[] = { 17, 34, 51, 17, 34 };
	struct ibv_qp *qp[5];
	int i;

	(void)state;
	/* The three ways to create, mixed: one peer's subflows in order. */
	for (i = 0; i < 5; i++)
		qp[i] = create(i % 3, IBV_QPT_RC);
	for (i = 0; i < 5; i++) {
		connect_qp(qp[i], "10.0.2.1", 0x200 + i, 0);
		assert_int_equal(fake_qp_label(qp[i]), want[i]);
		assert_int_equal(fake_qp_sport(qp[i]), 0xC000 | want[i]);
	}
	/* The second goes away: the next QP is subflow 2 again. */
	ibv_destroy_qp(qp[1]);
	qp[1] = create(0, IBV_QPT_RC);
	connect_qp(qp[1], "10.0.2.1", 0x300, 0);
	assert_int_equal(fake_qp_label(qp[1]), 34);
	/* Reset and connected again: its slot back, not a second one. */
	{
		struct ibv_qp_attr r = { .qp_state = IBV_QPS_RESET };

		assert_int_equal(ibv_modify_qp(qp[0], &r, IBV_QP_STATE), 0);
		connect_qp(qp[0], "10.0.2.1", 0x301, 0);
		assert_int_equal(fake_qp_label(qp[0]), 17);
		connect_qp(qp[2], "10.0.2.1", 0x302, 0);
		assert_int_equal(fake_qp_label(qp[2]), 51);
	}
	for (i = 0; i < 5; i++)
		ibv_destroy_qp(qp[i]);
}

static void entries(void **state)
{
	struct ibv_qp *a = create(0, IBV_QPT_RC), *b = create(0, IBV_QPT_RC);
	struct ibv_qp *c = create(0, IBV_QPT_RC), *d = create(0, IBV_QPT_RC);
	struct ibv_qp *u = create(0, IBV_QPT_UC);

	(void)state;
	connect_qp(a, "10.0.2.2", 119, 0);	/* exact dqpn */
	connect_qp(b, "10.0.2.2", 120, 0);	/* the pair's wildcard */
	assert_int_equal(fake_qp_label(a), 68);
	assert_int_equal(fake_qp_label(b), 85);
	/* No entry: the program's own label, 0 included, reaches the device. */
	connect_qp(c, "10.0.2.9", 5, 0);
	connect_qp(d, "10.0.2.9", 6, 0x123);
	assert_int_equal(fake_qp_label(c), 0);
	assert_int_equal(fake_qp_label(d), 0x123);
	/* UC is a connected QP too; a program's label is replaced. */
	connect_qp(u, "10.0.2.1", 7, 0x999);
	assert_int_equal(fake_qp_label(u), 17);
	ibv_destroy_qp(a);
	ibv_destroy_qp(b);
	ibv_destroy_qp(c);
	ibv_destroy_qp(d);
	ibv_destroy_qp(u);
}

static void passthrough(void **state)
{
	struct ibv_qp *ud = create(0, IBV_QPT_UD), *rc = create(0, IBV_QPT_RC);
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RTR };
	struct ibv_qp_attr rtr = {
		.qp_state = IBV_QPS_RTR, .dest_qp_num = 9,
		.ah_attr = { .is_global = 0, .port_num = 1 },
	};

	(void)state;
	/* UD: no address vector at RTR. */
	assert_int_equal(ibv_modify_qp(ud, &a, IBV_QP_STATE), 0);
	assert_int_equal(fake_qp_label(ud), 0);
	/* No GRH (InfiniBand LID routing): nothing to pin. */
	assert_int_equal(ibv_modify_qp(rc, &rtr, IBV_QP_STATE | IBV_QP_AV |
				       IBV_QP_DEST_QPN), 0);
	assert_int_equal(fake_qp_label(rc), 0);
	/* Transitions without a state change go straight through. */
	a = (struct ibv_qp_attr){ .timeout = 14 };
	assert_int_equal(ibv_modify_qp(rc, &a, IBV_QP_TIMEOUT), 0);
	assert_int_equal(fake_qp_nmodify(rc), 2);
	ibv_destroy_qp(ud);
	ibv_destroy_qp(rc);
}

static void version_1_0(void **state)
{
	struct ibv_qp *qp = create(0, IBV_QPT_RC);

	(void)state;
	assert_int_equal(modify(modify_1_0, qp, "10.0.2.2", 119, 0), 0);
	assert_int_equal(fake_qp_label(qp), 68);
	ibv_destroy_qp(qp);
}

static const char *object_of(void *p)
{
	Dl_info di;

	if (!p || !dladdr(p, &di) || !di.dli_fname)
		return "?";
	return strrchr(di.dli_fname, '/') ? strrchr(di.dli_fname, '/') + 1 :
					    di.dli_fname;
}

typedef int (*modify_fn)(struct ibv_qp *, struct ibv_qp_attr *, int);

static void dlsym_paths(void **state)
{
	void *h, *hook, *p1, *p2, *p3;
	struct ibv_qp *qp;

	(void)state;
	X86_64_ONLY();
	h = dlopen("libibverbs.so.1", RTLD_NOW | RTLD_LOCAL);
	hook = dlsym(RTLD_DEFAULT, "ibv_modify_qp");
	assert_non_null(h);
	assert_string_equal(object_of(hook), "libflowplan-preload.so");
	/* Through the handle: the wrapper, for the default and 1.1. */
	p1 = dlsym(h, "ibv_modify_qp");
	p2 = dlvsym(h, "ibv_modify_qp", "IBVERBS_1.1");
	assert_ptr_equal(p1, hook);
	assert_ptr_equal(p2, hook);
	assert_ptr_equal(dlsym(h, "ibv_create_qp"),
			 dlsym(RTLD_DEFAULT, "ibv_create_qp"));
	/* 1.0 stays libibverbs' (it calls 1.1 through the PLT). */
	p3 = dlvsym(h, "ibv_modify_qp", "IBVERBS_1.0");
	assert_string_equal(object_of(p3), "libibverbs.so.1");
	assert_ptr_not_equal(p3, hook);
	/* Names not wrapped: exactly what the library has. */
	assert_string_equal(object_of(dlsym(h, "ibv_query_gid")),
			    "libibverbs.so.1");
	assert_null(dlsym(h, "ibv_no_such_call"));
	assert_null(dlvsym(h, "ibv_modify_qp", "IBVERBS_9.9"));

	qp = create(0, IBV_QPT_RC);
	assert_int_equal(modify((modify_fn)p2, qp, "10.0.2.2", 119, 0), 0);
	assert_int_equal(fake_qp_label(qp), 68);
	ibv_destroy_qp(qp);
	qp = create(0, IBV_QPT_RC);
	assert_int_equal(modify((modify_fn)p3, qp, "10.0.2.2", 119, 0), 0);
	assert_int_equal(fake_qp_label(qp), 68);
	ibv_destroy_qp(qp);
	dlclose(h);
}

/*
 * RTLD_NEXT is relative to the caller: from this program the next
 * ibv_modify_qp is the interposer's; from libibverbs, loaded after it,
 * there is none. A dlsym that called the real one from its own code would
 * make every caller the interposer: the stand-in's function for both.
 */
static void rtld_next(void **state)
{
	void *hook;

	(void)state;
	X86_64_ONLY();
	hook = dlsym(RTLD_DEFAULT, "ibv_modify_qp");
	assert_ptr_equal(dlsym(RTLD_NEXT, "ibv_modify_qp"), hook);
	assert_ptr_equal(dlvsym(RTLD_NEXT, "ibv_modify_qp", "IBVERBS_1.1"),
			 hook);
	assert_null(fake_next("ibv_modify_qp"));
	assert_string_equal(object_of(fake_next("fake_mlx5_sport_ok")),
			    "libmlx5.so.1");
	/* A name nobody wraps, through RTLD_DEFAULT. */
	assert_string_equal(object_of(dlsym(RTLD_DEFAULT, "fake_qp_label")),
			    "libibverbs.so.1");
}

struct sport_wait {
	struct ibv_qp *qp;
	uint16_t sport;
};

static int sport_is(void *arg)
{
	struct sport_wait *w = arg;

	return fake_qp_sport(w->qp) == w->sport;
}

static int calls_above(void *arg)
{
	return fake_mlx5_sport_calls() > *(int *)arg;
}

static void replan(void **state)
{
	struct ibv_qp *qp = create(0, IBV_QPT_RC);
	struct sport_wait w = { qp, 0xC000 | 99 };
	int calls;

	(void)state;
	connect_qp(qp, "10.0.2.2", 500, 0);
	assert_int_equal(fake_qp_label(qp), 85);
	/* The device can: the live QP moves by itself. */
	fake_mlx5_sport_ok(1);
	tp_write_plan(plan_path,
		      PLAN(ENTRY("10.0.1.1", "10.0.2.2", 0, SUB(99, 49251, 65536))));
	assert_int_equal(tp_poll(10, sport_is, &w), 0);
	/* It cannot: the QP keeps its path, the attempt was made. */
	fake_mlx5_sport_ok(0);
	calls = fake_mlx5_sport_calls();
	tp_write_plan(plan_path,
		      PLAN(ENTRY("10.0.1.1", "10.0.2.2", 0, SUB(77, 49229, 65536))));
	assert_int_equal(tp_poll(10, calls_above, &calls), 0);
	assert_int_equal(fake_qp_sport(qp), 0xC000 | 99);
	/* New QPs follow the new plan at once. */
	ibv_destroy_qp(qp);
	qp = create(2, IBV_QPT_RC);
	connect_qp(qp, "10.0.2.2", 501, 0);
	assert_int_equal(fake_qp_label(qp), 77);
	ibv_destroy_qp(qp);
	tp_write_plan(plan_path, plan1);
}

/* A record's IPv4-mapped address (version 2) as IPv4, network order. */
static uint32_t rec_v4(const uint8_t *b)
{
	static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };
	uint32_t a;

	assert_memory_equal(b, pfx, sizeof(pfx));
	memcpy(&a, b + 12, 4);
	return a;
}

/*
 * The records of the ring file @path, through the core's reader, as the
 * daemon reads them: every record the interposer wrote, none lost.
 */
static size_t ring_records(const char *path, struct fp_report_rec *rec,
			   size_t max)
{
	struct fp_report *rep;
	uint64_t lost;
	size_t n = 0, got, i;

	rep = fp_ring_reader_open(path);
	assert_non_null(rep);
	do {
		assert_int_equal(fp_ring_read(rep, rec + n, max - n, &got,
					      &lost), 0);
		assert_int_equal(lost, 0);
		n += got;
	} while (got && n < max);
	assert_int_equal(fp_ring_reader_close(rep), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(rec[i].seq, i + 1);
	return n;
}

/* A QP between IPv6 GIDs (issue 15): its connection is recorded (reports). */
static void ipv6_qp(void **state)
{
	struct ibv_qp *qp = create(0, IBV_QPT_RC);
	uint8_t gid[16];

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1:1", gid), 1);
	fake_set_gid(1, 2, gid);
	connect_qp(qp, "2001:db8::2:9", 0x600, 0);
	ibv_destroy_qp(qp);
}

/*
 * The ring the interposer wrote for this process: a record per QP that
 * connected (planned or not), went away, or was moved by a plan change,
 * the one the device could not move marked "reconnect needed", those the
 * plan has no entry for marked "unplanned".
 */
static void reports(void **state)
{
	static struct fp_report_rec rec[4096];
	char path[128];
	size_t n, i, up = 0, down = 0, planned = 0, moved = 0, stale = 0;
	size_t unplanned = 0, six = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/flowplan-%d-65536", ring_dir,
		 (int)getpid());
	n = ring_records(path, rec, 4096);
	for (i = 0; i < n; i++) {
		switch (rec[i].op) {
		case FP_OP_QP_UP:
			up++;
			if (rec[i].src[10] != 0xff) {
				/* version 2 records: ipv6_qp's GIDs as they are */
				uint8_t s6[16], d6[16];

				six++;
				inet_pton(AF_INET6, "2001:db8::1:1", s6);
				inet_pton(AF_INET6, "2001:db8::2:9", d6);
				assert_memory_equal(rec[i].src, s6, 16);
				assert_memory_equal(rec[i].dst, d6, 16);
				break;
			}
			assert_int_equal(rec_v4(rec[i].src), htonl(0x0a000101));
			if (rec[i].flags & FP_PREC_F_PLANNED) {
				planned++;
				assert_int_not_equal(rec[i].comm, 0);
				assert_false(rec[i].flags & FP_PREC_F_UNPLANNED);
			}
			/*
			 * No entry: background for the planner, with the
			 * label it sends with (0: the device's port).
			 */
			if (rec[i].flags & FP_PREC_F_UNPLANNED) {
				unplanned++;
				assert_int_equal(rec_v4(rec[i].dst), htonl(0x0a000209));
				assert_true(rec[i].comm == 0 || rec[i].comm == 0x123);
			}
			assert_true(rec[i].bytes >= 1);
			break;
		case FP_OP_QP_DOWN:
			down++;
			break;
		case FP_OP_QP_REPIN:
			if (rec[i].status) {
				stale++;
				assert_int_equal(rec[i].status, EOPNOTSUPP);
				assert_true(rec[i].flags & FP_PREC_F_RECONNECT);
				assert_int_equal(rec[i].comm, 99);
			} else {
				moved++;
				assert_int_equal(rec[i].comm, 99);
			}
			break;
		default:
			fail_msg("op %u in the interposer's ring", rec[i].op);
		}
	}
	/* Connections of the tests before (the UD and no-GRH ones are not). */
	assert_int_equal(up, 19);
	assert_int_equal(six, 1);
	assert_int_equal(planned, 16);
	assert_int_equal(unplanned, 2);
	assert_int_equal(down, up);
	assert_int_equal(moved, 1);
	assert_int_equal(stale, 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(creation_order),
		cmocka_unit_test(entries),
		cmocka_unit_test(passthrough),
		cmocka_unit_test(version_1_0),
		cmocka_unit_test(dlsym_paths),
		cmocka_unit_test(rtld_next),
		cmocka_unit_test(replan),
		cmocka_unit_test(ipv6_qp),
		cmocka_unit_test(reports),
	};
	char env_dir[96];
	int ret;

	(void)argc;
	/* exec keeps the pid: both runs name the same file. */
	snprintf(plan_path, sizeof(plan_path), "/tmp/fp-preload-bind-%d.json",
		 (int)getpid());
	snprintf(ring_dir, sizeof(ring_dir), "/tmp/fp-preload-bind-%d.d",
		 (int)getpid());
	snprintf(env_dir, sizeof(env_dir), "FLOWPLAN_REPORT_DIR=%s", ring_dir);
	if (!getenv("FP_TEST_PRELOADED")) {
		tp_write_plan(plan_path, plan1);
		mkdir(ring_dir, 0700);
	}
	tp_reexec(argv, plan_path, (const char *const[]){
		"FLOWPLAN_REPORT=1", "FLOWPLAN_REPORT_KEEP=1", env_dir, NULL });
	ret = cmocka_run_group_tests_name("preload_bind", tests, setup, NULL);
	unlink(plan_path);
	snprintf(env_dir, sizeof(env_dir), "%s/flowplan-%d-65536", ring_dir,
		 (int)getpid());
	unlink(env_dir);
	rmdir(ring_dir);
	return ret;
}
