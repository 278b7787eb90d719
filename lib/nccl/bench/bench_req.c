// SPDX-License-Identifier: MIT
/*
 * bench_req - the CPU cost of one NCCL request through the flowplan net
 * plugin, for callgrind, against raw verbs: N messages either posted and
 * completed with ibv_post_send() + ibv_poll_cq() on one QP, or moved by
 * the plugin as NCCL's proxy moves them (irecv on the receive comm, isend
 * on the send comm, test on both until done), each comm a flow group of
 * k QPs. Everything runs against one in-process provider stub that carries
 * out an RDMA write of control words at once (memcpy to the remote address,
 * which is in this process; data payloads are not copied) and completes it: the difference is the plugin's and
 * libflowplan's own work (per request: a CTS write, the data write cut
 * over the subflows, a FIN write, the bookkeeping), not the provider's.
 *
 *   bench_req raw N SIZE
 *   bench_req plugin N SIZE K
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowplan/handles.h"
#include "nccl/net.h"

void *fpn_bench_comm(struct fp_ctx *ctx, struct fp_group *g,
		     struct fp_buf *ctl, const struct fp_rbuf *peer_ctl,
		     bool send, unsigned int k);
void *fpn_bench_mr(void *comm, struct fp_buf *b, size_t len);

#define STUB_CQ 4096

struct stub_cq {
	struct ibv_cq cq;
	struct ibv_wc wc[STUB_CQ];
	unsigned int head, tail;
};

static struct stub_cq cqs[2];

static int stub_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr,
			  struct ibv_send_wr **bad)
{
	struct stub_cq *c = (struct stub_cq *)qp->send_cq;

	for (; wr; wr = wr->next) {
		if (c->tail - c->head == STUB_CQ) {
			*bad = wr;
			return ENOMEM;
		}
		/* Control writes land; data is not copied (that is the
		 * NIC's work, the same for raw verbs and the plugin).
		 */
		if (wr->opcode == IBV_WR_RDMA_WRITE && wr->num_sge &&
		    wr->sg_list[0].length <= 256)
			memcpy((void *)(uintptr_t)wr->wr.rdma.remote_addr,
			       (void *)(uintptr_t)wr->sg_list[0].addr,
			       wr->sg_list[0].length);
		c->wc[c->tail++ % STUB_CQ] = (struct ibv_wc){
			.wr_id = wr->wr_id,
			.status = IBV_WC_SUCCESS,
			.opcode = IBV_WC_RDMA_WRITE,
			.qp_num = qp->qp_num,
		};
	}
	return 0;
}

static int stub_poll_cq(struct ibv_cq *cq, int n, struct ibv_wc *wc)
{
	struct stub_cq *c = (struct stub_cq *)cq;
	int i = 0;

	while (i < n && c->head != c->tail)
		wc[i++] = c->wc[c->head++ % STUB_CQ];
	return i;
}

static struct ibv_context stub_ctx = {
	.ops = {
		.post_send = stub_post_send,
		.poll_cq = stub_poll_cq,
	},
};
static struct ibv_qp stub_qp[2][FP_MAX_SUBFLOWS];
static struct ibv_mr stub_mr = { .context = &stub_ctx, .lkey = 1, .rkey = 2 };

static int run_raw(long n, size_t size, char *src, char *dst)
{
	struct ibv_qp *qp = &stub_qp[0][0];
	struct ibv_wc wc[16];
	long i;

	for (i = 0; i < n; i++) {
		struct ibv_sge sge = {
			.addr = (uintptr_t)src,
			.length = (uint32_t)size,
			.lkey = stub_mr.lkey,
		};
		struct ibv_send_wr wr = {
			.wr_id = (uint64_t)i,
			.sg_list = &sge,
			.num_sge = 1,
			.opcode = IBV_WR_RDMA_WRITE,
			.send_flags = IBV_SEND_SIGNALED,
			.wr.rdma = { .remote_addr = (uintptr_t)dst, .rkey = 2 },
		}, *bad;

		if (ibv_post_send(qp, &wr, &bad))
			return 1;
		if (ibv_poll_cq(&cqs[0].cq, 16, wc) != 1 || wc[0].status)
			return 1;
	}
	return 0;
}

static struct fp_buf *stub_buf(struct fp_ctx *ctx, void *addr, size_t len)
{
	struct fp_buf *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	*b = (struct fp_buf){ .ctx = ctx, .addr = addr, .len = len, .home = 0 };
	b->reg[0] = (struct fp_buf_reg){ .mr = &stub_mr, .how = FP_REG_HOST,
					 .base = addr };
	ctx->nbufs++;
	return b;
}

static struct fp_group *stub_group(struct fp_ctx *ctx, int side,
				   unsigned int k)
{
	struct fp_group *g = calloc(1, sizeof(*g));
	unsigned int i;

	if (!g)
		return NULL;
	g->ctx = ctx;
	g->fd = -1;
	g->cq = &cqs[side].cq;
	g->k = k;
	g->chunk_max = 1 << 20;
	g->split_min = 65536;
	g->timeout_ns = 10000000000ull;
	for (i = 0; i < k; i++) {
		g->sub[i].qp = &stub_qp[side][i];
		g->w[i] = FP_WEIGHT_ONE / k + (i < FP_WEIGHT_ONE % k);
	}
	return fp_msgtab_init(&g->tab, 1024) ? NULL : g;
}

static int run_plugin(long n, size_t size, unsigned int k, char *src,
		      char *dst)
{
	struct fp_ctx_attr ca = { .flags = FP_CTX_NO_NETLINK | FP_CTX_NO_REPORT };
	struct fp_ctx *ctx[2];
	struct fp_group *g[2];
	struct fp_buf *ctl[2], *data[2];
	struct fp_rbuf rb[2];
	void *comm[2], *mh[2];
	long m;
	int i;

	for (i = 0; i < 2; i++) {
		ctx[i] = fp_ctx_open(&ca);
		if (!ctx[i])
			return 1;
		ctx[i]->ndev = 1;
		snprintf(ctx[i]->dev[0].name, sizeof(ctx[i]->dev[0].name), "stub0");
		g[i] = stub_group(ctx[i], i, k);
		ctl[i] = stub_buf(ctx[i], calloc(1, 1 << 20), 1 << 20);
		data[i] = stub_buf(ctx[i], i ? dst : src, size ? size : 1);
		if (!g[i] || !ctl[i] || !ctl[i]->addr || !data[i])
			return 1;
		rb[i] = (struct fp_rbuf){ .addr = (uintptr_t)ctl[i]->addr,
					  .len = 1 << 20, .rkey = 2 };
	}
	/* 0 sends, 1 receives; each writes into the other's control buffer */
	comm[0] = fpn_bench_comm(ctx[0], g[0], ctl[0], &rb[1], true, k);
	comm[1] = fpn_bench_comm(ctx[1], g[1], ctl[1], &rb[0], false, k);
	for (i = 0; i < 2; i++) {
		mh[i] = comm[i] ? fpn_bench_mr(comm[i], data[i], size ? size : 1) :
				  NULL;
		if (!mh[i])
			return 1;
	}
	for (m = 0; m < n; m++) {
		void *rreq = NULL, *sreq = NULL, *d = dst;
		size_t sz = size;
		int tag = 1, sdone = 0, rdone = 0, got = 0;

		if (fpn_irecv(comm[1], 1, &d, &sz, &tag, &mh[1], NULL, &rreq) ||
		    !rreq)
			return 1;
		while (!sreq)
			if (fpn_isend(comm[0], src, size, 1, mh[0], NULL, &sreq))
				return 1;
		while (!sdone || !rdone) {
			if (!sdone && fpn_test(sreq, &sdone, &got))
				return 1;
			if (!rdone && fpn_test(rreq, &rdone, &got))
				return 1;
		}
		if ((size_t)got != size)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int i, s;
	long n;
	size_t size;
	char *src, *dst;
	int ret;

	if (argc < 4 || (strcmp(argv[1], "raw") && strcmp(argv[1], "plugin")) ||
	    (!strcmp(argv[1], "plugin") && argc < 5)) {
		fprintf(stderr, "usage: bench_req raw N SIZE | plugin N SIZE K\n");
		return 2;
	}
	n = atol(argv[2]);
	size = strtoul(argv[3], NULL, 0);
	src = malloc(size ? size : 1);
	dst = calloc(1, size ? size : 1);
	if (!src || !dst)
		return 1;
	for (i = 0; i < size; i++)
		src[i] = (char)(i * 7);
	for (s = 0; s < 2; s++) {
		cqs[s].cq.context = &stub_ctx;
		for (i = 0; i < FP_MAX_SUBFLOWS; i++)
			stub_qp[s][i] = (struct ibv_qp){
				.context = &stub_ctx,
				.qp_num = 0x100 * (s + 1) + i,
				.send_cq = &cqs[s].cq,
			};
	}
	if (!strcmp(argv[1], "raw"))
		ret = run_raw(n, size, src, dst);
	else
		ret = run_plugin(n, size, (unsigned int)atoi(argv[4]), src, dst);
	if (ret)
		fprintf(stderr, "bench_req: %s failed\n", argv[1]);
	return ret;
}
