// SPDX-License-Identifier: MIT
/*
 * fp-preload-qpbench - what a QP's creation and connection cost: N QP pairs
 * between two RDMA devices (or the same device twice), each call timed:
 * ibv_create_qp, and ibv_modify_qp to INIT, RTR and RTS, then
 * ibv_destroy_qp. Linked against libibverbs the usual way, so the same
 * binary runs with and without LD_PRELOAD=libflowplan-preload.so, on a real
 * device or on the test stand-in (fakeverbs.c, LD_LIBRARY_PATH).
 *
 *   fp-preload-qpbench [-n N] DEV_A GID_A DEV_B GID_B
 *
 * Prints one line: "qpbench: n N create C init I rtr R rts T destroy D"
 * (median nanoseconds per call, side A's QPs).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

struct side {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	union ibv_gid gid;
	int gid_index;
	struct ibv_qp **qp;
};

static uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

static void die(const char *what, int err)
{
	fprintf(stderr, "qpbench: %s: %s\n", what, strerror(err));
	exit(1);
}

static void open_side(struct side *s, const char *name, int gid_index, int n)
{
	struct ibv_device **l = ibv_get_device_list(NULL);
	int i;

	for (i = 0; l && l[i]; i++)
		if (!strcmp(ibv_get_device_name(l[i]), name))
			break;
	if (!l || !l[i]) {
		fprintf(stderr, "qpbench: no device %s\n", name);
		exit(1);
	}
	s->ctx = ibv_open_device(l[i]);
	ibv_free_device_list(l);
	if (!s->ctx)
		die("ibv_open_device", errno);
	s->gid_index = gid_index;
	if (ibv_query_gid(s->ctx, 1, gid_index, &s->gid))
		die("ibv_query_gid", errno);
	s->pd = ibv_alloc_pd(s->ctx);
	s->cq = ibv_create_cq(s->ctx, 16, NULL, NULL, 0);
	s->qp = calloc((size_t)n, sizeof(*s->qp));
	if (!s->pd || !s->cq || !s->qp)
		die("pd/cq", errno ? errno : ENOMEM);
}

static struct ibv_qp *create(struct side *s)
{
	struct ibv_qp_init_attr a = {
		.send_cq = s->cq, .recv_cq = s->cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4, .max_send_sge = 1,
			 .max_recv_sge = 1 },
	};
	struct ibv_qp *qp = ibv_create_qp(s->pd, &a);

	if (!qp)
		die("ibv_create_qp", errno);
	return qp;
}

/* Move @qp to @state towards @peer's QP @dqpn; the time it took. */
static uint64_t step(struct ibv_qp *qp, enum ibv_qp_state state,
		     const struct side *self, const struct side *peer,
		     uint32_t dqpn)
{
	struct ibv_qp_attr a = { .qp_state = state };
	int mask = IBV_QP_STATE, ret;
	uint64_t t;

	switch (state) {
	case IBV_QPS_INIT:
		a.port_num = 1;
		a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE;
		mask |= IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS;
		break;
	case IBV_QPS_RTR:
		a.path_mtu = IBV_MTU_1024;
		a.dest_qp_num = dqpn;
		a.max_dest_rd_atomic = 1;
		a.min_rnr_timer = 12;
		a.ah_attr.is_global = 1;
		a.ah_attr.port_num = 1;
		a.ah_attr.grh.dgid = peer->gid;
		a.ah_attr.grh.sgid_index = (uint8_t)self->gid_index;
		a.ah_attr.grh.hop_limit = 64;
		mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			IBV_QP_MIN_RNR_TIMER;
		break;
	default:
		a.timeout = 20;
		a.retry_cnt = 6;
		a.rnr_retry = 6;
		a.max_rd_atomic = 1;
		mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC;
		break;
	}
	t = now();
	ret = ibv_modify_qp(qp, &a, mask);
	t = now() - t;
	if (ret)
		die("ibv_modify_qp", ret);
	return t;
}

int main(int argc, char **argv)
{
	static const enum ibv_qp_state states[] = {
		IBV_QPS_INIT, IBV_QPS_RTR, IBV_QPS_RTS,
	};
	struct side a = { 0 }, b = { 0 };
	uint64_t *tc, *tm[3], *td, t;
	int n = 64, opt, i, j;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			goto usage;
		n = atoi(optarg);
	}
	if (argc - optind != 4 || n < 1)
		goto usage;
	tc = calloc((size_t)n, sizeof(*tc));
	td = calloc((size_t)n, sizeof(*td));
	for (j = 0; j < 3; j++)
		tm[j] = calloc((size_t)n, sizeof(*tm[j]));
	if (!tc || !td || !tm[0] || !tm[1] || !tm[2])
		die("calloc", ENOMEM);
	open_side(&a, argv[optind], atoi(argv[optind + 1]), n);
	open_side(&b, argv[optind + 2], atoi(argv[optind + 3]), n);
	for (i = 0; i < n; i++) {
		t = now();
		a.qp[i] = create(&a);
		tc[i] = now() - t;
		b.qp[i] = create(&b);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < 3; j++) {
			tm[j][i] = step(a.qp[i], states[j], &a, &b,
					b.qp[i]->qp_num);
			step(b.qp[i], states[j], &b, &a, a.qp[i]->qp_num);
		}
	}
	for (i = 0; i < n; i++) {
		t = now();
		if (ibv_destroy_qp(a.qp[i]))
			die("ibv_destroy_qp", errno);
		td[i] = now() - t;
		ibv_destroy_qp(b.qp[i]);
	}
	printf("qpbench: n %d create %llu init %llu rtr %llu rts %llu destroy %llu\n",
	       n, (unsigned long long)median(tc, n),
	       (unsigned long long)median(tm[0], n),
	       (unsigned long long)median(tm[1], n),
	       (unsigned long long)median(tm[2], n),
	       (unsigned long long)median(td, n));
	return 0;
usage:
	fprintf(stderr, "usage: fp-preload-qpbench [-n N] DEV_A GID_A DEV_B GID_B\n");
	return 2;
}
