// SPDX-License-Identifier: MIT
/*
 * fp-preload-dlvsym - RDMA writes over K RC QP pairs between two RDMA
 * devices of this host, with every verbs call resolved the way NCCL does it:
 * libibverbs loaded with dlopen (RTLD_LOCAL) and each function taken with
 * dlvsym(handle, name, "IBVERBS_1.1"); the program does not link libibverbs.
 * The data path is verbs.h's inlines (the context's ops). Every byte written
 * is checked at the receiving side.
 *
 *   fp-preload-dlvsym [-k K] [-n BYTES] [-i ITERS] [-t TIMEOUT]
 *                     DEV_A GID_A DEV_B GID_B
 *
 * QP i of DEV_A writes into region i of DEV_B's buffer. Prints each QP
 * pair's numbers ("qp I: 0xA -> 0xB") and, when every byte arrived intact,
 * "fp-preload-dlvsym: verified N bytes over K QPs". Exit 0 only then.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#define MAXK 16
#define V "IBVERBS_1.1"

/* Member names differ from verbs.h's macros (ibv_reg_mr, ibv_query_port). */
static struct {
	struct ibv_device **(*get_device_list)(int *n);
	const char *(*get_device_name)(struct ibv_device *dev);
	struct ibv_context *(*open_device)(struct ibv_device *dev);
	int (*query_gid)(struct ibv_context *ctx, uint8_t port, int index,
			 union ibv_gid *gid);
	struct ibv_pd *(*alloc_pd)(struct ibv_context *ctx);
	struct ibv_mr *(*reg_mr)(struct ibv_pd *pd, void *addr, size_t len,
				 int access);
	struct ibv_cq *(*create_cq)(struct ibv_context *ctx, int cqe,
				    void *cq_ctx, struct ibv_comp_channel *ch,
				    int vector);
	struct ibv_qp *(*create_qp)(struct ibv_pd *pd,
				    struct ibv_qp_init_attr *attr);
	int (*modify_qp)(struct ibv_qp *qp, struct ibv_qp_attr *attr, int mask);
	int (*destroy_qp)(struct ibv_qp *qp);
	int (*dereg_mr)(struct ibv_mr *mr);
	int (*destroy_cq)(struct ibv_cq *cq);
	int (*dealloc_pd)(struct ibv_pd *pd);
	int (*close_device)(struct ibv_context *ctx);
} ibv;

struct side {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	uint8_t *buf;
	union ibv_gid gid;
	int gid_index;
	struct ibv_qp *qp[MAXK];
};

static int timeout = 20;

static void die(const char *what, int err)
{
	fprintf(stderr, "fp-preload-dlvsym: %s: %s\n", what, strerror(err));
	exit(1);
}

static void load(void)
{
	void *h = dlopen("libibverbs.so", RTLD_NOW);

	if (!h)
		h = dlopen("libibverbs.so.1", RTLD_NOW);
	if (!h) {
		fprintf(stderr, "fp-preload-dlvsym: %s\n", dlerror());
		exit(1);
	}
#define LOAD(field, name) do {						\
	*(void **)&ibv.field = dlvsym(h, name, V);			\
	if (!ibv.field) {						\
		fprintf(stderr, "fp-preload-dlvsym: dlvsym %s: %s\n",	\
			name, dlerror());				\
		exit(1);						\
	}								\
} while (0)
	LOAD(get_device_list, "ibv_get_device_list");
	LOAD(get_device_name, "ibv_get_device_name");
	LOAD(open_device, "ibv_open_device");
	LOAD(query_gid, "ibv_query_gid");
	LOAD(alloc_pd, "ibv_alloc_pd");
	LOAD(reg_mr, "ibv_reg_mr");
	LOAD(create_cq, "ibv_create_cq");
	LOAD(create_qp, "ibv_create_qp");
	LOAD(modify_qp, "ibv_modify_qp");
	LOAD(destroy_qp, "ibv_destroy_qp");
	LOAD(dereg_mr, "ibv_dereg_mr");
	LOAD(destroy_cq, "ibv_destroy_cq");
	LOAD(dealloc_pd, "ibv_dealloc_pd");
	LOAD(close_device, "ibv_close_device");
#undef LOAD
}

static void open_side(struct side *s, const char *dev, int gid_index,
		      size_t len, int k)
{
	struct ibv_device **l = ibv.get_device_list(NULL);
	int i, ret;

	for (i = 0; l && l[i]; i++)
		if (!strcmp(ibv.get_device_name(l[i]), dev))
			break;
	if (!l || !l[i]) {
		fprintf(stderr, "fp-preload-dlvsym: no device %s\n", dev);
		exit(1);
	}
	s->ctx = ibv.open_device(l[i]);
	if (!s->ctx)
		die("ibv_open_device", errno);
	s->gid_index = gid_index;
	ret = ibv.query_gid(s->ctx, 1, gid_index, &s->gid);
	if (ret)
		die("ibv_query_gid", ret);
	s->pd = ibv.alloc_pd(s->ctx);
	s->cq = ibv.create_cq(s->ctx, 4 * k, NULL, NULL, 0);
	s->buf = calloc(1, len);
	if (!s->pd || !s->cq || !s->buf)
		die("pd/cq/buffer", errno ? errno : ENOMEM);
	s->mr = ibv.reg_mr(s->pd, s->buf, len, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_WRITE);
	if (!s->mr)
		die("ibv_reg_mr", errno);
	for (i = 0; i < k; i++) {
		struct ibv_qp_init_attr a = {
			.send_cq = s->cq, .recv_cq = s->cq, .qp_type = IBV_QPT_RC,
			.cap = { .max_send_wr = 4, .max_recv_wr = 4,
				 .max_send_sge = 1, .max_recv_sge = 1 },
		};

		s->qp[i] = ibv.create_qp(s->pd, &a);
		if (!s->qp[i])
			die("ibv_create_qp", errno);
	}
}

static void connect_qp(struct ibv_qp *qp, const struct side *peer,
		       uint32_t dqpn, int gid_index)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE,
	};
	int ret;

	ret = ibv.modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			    IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
	if (ret)
		die("INIT", ret);
	/* As NCCL: flow label 0, the driver (or the interposer) decides. */
	a = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024,
		.dest_qp_num = dqpn, .rq_psn = 0, .max_dest_rd_atomic = 1,
		.min_rnr_timer = 12,
		.ah_attr = { .is_global = 1, .port_num = 1,
			     .grh = { .dgid = peer->gid, .hop_limit = 64,
				      .sgid_index = (uint8_t)gid_index } },
	};
	ret = ibv.modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			    IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			    IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	if (ret)
		die("RTR", ret);
	a = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTS, .timeout = (uint8_t)timeout,
		.retry_cnt = 6, .rnr_retry = 6, .sq_psn = 0,
		.max_rd_atomic = 1,
	};
	ret = ibv.modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			    IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			    IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
	if (ret)
		die("RTS", ret);
}

static uint8_t pattern(int iter, int qp, size_t i)
{
	return (uint8_t)(iter * 131 + qp * 29 + (i * 7) + (i >> 9));
}

int main(int argc, char **argv)
{
	struct side a = { 0 }, b = { 0 };
	size_t n = 65536, len, i;
	int k = 4, iters = 50, opt, it, q, done, ret;

	while ((opt = getopt(argc, argv, "k:n:i:t:")) != -1) {
		switch (opt) {
		case 'k':
			k = atoi(optarg);
			break;
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			iters = atoi(optarg);
			break;
		case 't':
			timeout = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 4 || k < 1 || k > MAXK || !n || iters < 1)
		goto usage;
	load();
	len = n * (size_t)k;
	open_side(&a, argv[optind], atoi(argv[optind + 1]), len, k);
	open_side(&b, argv[optind + 2], atoi(argv[optind + 3]), len, k);
	for (q = 0; q < k; q++) {
		connect_qp(a.qp[q], &b, b.qp[q]->qp_num, a.gid_index);
		connect_qp(b.qp[q], &a, a.qp[q]->qp_num, b.gid_index);
		printf("qp %d: 0x%x -> 0x%x\n", q, a.qp[q]->qp_num,
		       b.qp[q]->qp_num);
	}
	fflush(stdout);
	for (it = 0; it < iters; it++) {
		for (q = 0; q < k; q++) {
			struct ibv_sge sge = {
				.addr = (uintptr_t)a.buf + q * n,
				.length = (uint32_t)n, .lkey = a.mr->lkey,
			};
			struct ibv_send_wr wr = {
				.wr_id = (uint64_t)q, .sg_list = &sge,
				.num_sge = 1, .opcode = IBV_WR_RDMA_WRITE,
				.send_flags = IBV_SEND_SIGNALED,
				.wr.rdma = { .remote_addr = (uintptr_t)b.buf + q * n,
					     .rkey = b.mr->rkey },
			}, *bad;

			for (i = 0; i < n; i++)
				a.buf[q * n + i] = pattern(it, q, i);
			ret = ibv_post_send(a.qp[q], &wr, &bad);
			if (ret)
				die("ibv_post_send", ret);
		}
		for (done = 0; done < k;) {
			struct ibv_wc wc[MAXK];
			int got = ibv_poll_cq(a.cq, MAXK, wc), j;

			if (got < 0)
				die("ibv_poll_cq", EIO);
			for (j = 0; j < got; j++)
				if (wc[j].status != IBV_WC_SUCCESS) {
					fprintf(stderr, "fp-preload-dlvsym: qp %d: status %d\n",
						(int)wc[j].wr_id,
						(int)wc[j].status);
					return 1;
				}
			done += got;
		}
		/* A write's completion comes after the responder's ACK. */
		for (q = 0; q < k; q++)
			for (i = 0; i < n; i++)
				if (b.buf[q * n + i] != pattern(it, q, i)) {
					fprintf(stderr, "fp-preload-dlvsym: iteration %d, qp %d, byte %zu wrong\n",
						it, q, i);
					return 1;
				}
	}
	for (q = 0; q < k; q++) {
		ibv.destroy_qp(a.qp[q]);
		ibv.destroy_qp(b.qp[q]);
	}
	ibv.dereg_mr(a.mr);
	ibv.dereg_mr(b.mr);
	ibv.destroy_cq(a.cq);
	ibv.destroy_cq(b.cq);
	ibv.dealloc_pd(a.pd);
	ibv.dealloc_pd(b.pd);
	ibv.close_device(a.ctx);
	ibv.close_device(b.ctx);
	printf("fp-preload-dlvsym: verified %zu bytes over %d QPs\n",
	       n * (size_t)k * (size_t)iters, k);
	return 0;
usage:
	fprintf(stderr, "usage: fp-preload-dlvsym [-k K] [-n BYTES] [-i ITERS] [-t TIMEOUT] DEV_A GID_A DEV_B GID_B\n");
	return 2;
}
