// SPDX-License-Identifier: MIT
/*
 * bench_post - the CPU cost libflowplan adds per posted message, for
 * callgrind: the same number of messages posted and completed either with
 * raw ibv_post_send() + ibv_poll_cq() on one QP, or with fp_post_write() +
 * fp_poll() on a flow group of k QPs. Both run against the same in-process
 * provider stub (the ops table libibverbs dispatches through, which accepts
 * every work request and completes it at once), so the difference is the
 * library's own work: splitting, the message table, the per-chunk posts and
 * the aggregation of completions. The build machine has no RDMA device; the
 * provider's own cost (rxe: a doorbell system call per post) comes on top of
 * both and is measured by the soft-RoCE half of bench-lib in qemu.
 *
 *   bench_post raw N SIZE
 *   bench_post fp N SIZE K
 *   bench_post rawb N SIZE B
 *   bench_post fpb N SIZE K B
 *   bench_post fast N SIZE K
 *   bench_post fastb N SIZE K B
 *
 * rawb and fpb post B messages at a time (N a multiple of B) and poll
 * until their B completions are in: rawb chains B work requests into one
 * ibv_post_send(), fpb calls fp_post_write_batch() with B writes.
 * fast and fastb are fp and fpb with flowplan_fast.h's inline
 * fp_fast_write() and fp_fast_poll() (fastb: B fp_fast_write() calls,
 * then fp_fast_poll() until their B completions are in).
 *
 * With BENCH_NS=1 in the environment it prints the nanoseconds per message
 * of the loop itself (CLOCK_MONOTONIC around it, set-up left out).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowplan/flowplan_fast.h"
#include "flowplan/handles.h"

#define STUB_CQ 4096

static struct ibv_wc stub_wc[STUB_CQ];
static struct timespec t_start, t_end;	/* around the loop (BENCH_NS) */
static unsigned int stub_head, stub_tail;

static int stub_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr,
			  struct ibv_send_wr **bad)
{
	for (; wr; wr = wr->next) {
		if (stub_tail - stub_head == STUB_CQ) {
			*bad = wr;
			return ENOMEM;
		}
		stub_wc[stub_tail++ % STUB_CQ] = (struct ibv_wc){
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
	int i = 0;

	(void)cq;
	while (i < n && stub_head != stub_tail)
		wc[i++] = stub_wc[stub_head++ % STUB_CQ];
	return i;
}

static struct ibv_context stub_ctx = {
	.ops = {
		.post_send = stub_post_send,
		.poll_cq = stub_poll_cq,
	},
};
static struct ibv_qp stub_qp[FP_MAX_SUBFLOWS];
static struct ibv_cq stub_cq = { .context = &stub_ctx };
static struct ibv_mr stub_mr = { .context = &stub_ctx, .lkey = 1, .rkey = 2 };

static int run_raw(long n, size_t size, char *buf)
{
	struct ibv_qp *qp = &stub_qp[0];
	struct ibv_wc wc[16];
	long i;

	clock_gettime(CLOCK_MONOTONIC, &t_start);
	for (i = 0; i < n; i++) {
		struct ibv_sge sge = {
			.addr = (uintptr_t)buf,
			.length = (uint32_t)size,
			.lkey = stub_mr.lkey,
		};
		struct ibv_send_wr wr = {
			.wr_id = (uint64_t)i,
			.sg_list = &sge,
			.num_sge = 1,
			.opcode = IBV_WR_RDMA_WRITE,
			.send_flags = IBV_SEND_SIGNALED,
			.wr.rdma = { .remote_addr = 0x1000, .rkey = 2 },
		}, *bad;

		if (ibv_post_send(qp, &wr, &bad))
			return 1;
		if (ibv_poll_cq(&stub_cq, 16, wc) != 1 || wc[0].status)
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t_end);
	return 0;
}

static int run_rawb(long n, size_t size, unsigned int nb, char *buf)
{
	struct ibv_qp *qp = &stub_qp[0];
	struct ibv_send_wr wr[FP_BATCH], *bad;
	struct ibv_sge sge[FP_BATCH];
	struct ibv_wc wc[FP_BATCH];
	unsigned int j;
	long i;
	int got;

	clock_gettime(CLOCK_MONOTONIC, &t_start);
	for (i = 0; i < n; i += nb) {
		for (j = 0; j < nb; j++) {
			sge[j] = (struct ibv_sge){
				.addr = (uintptr_t)buf,
				.length = (uint32_t)size,
				.lkey = stub_mr.lkey,
			};
			wr[j] = (struct ibv_send_wr){
				.wr_id = (uint64_t)(i + j),
				.next = j + 1 < nb ? &wr[j + 1] : NULL,
				.sg_list = &sge[j],
				.num_sge = 1,
				.opcode = IBV_WR_RDMA_WRITE,
				.send_flags = IBV_SEND_SIGNALED,
				.wr.rdma = { .remote_addr = 0x1000, .rkey = 2 },
			};
		}
		if (ibv_post_send(qp, wr, &bad))
			return 1;
		for (got = 0; got < (int)nb;) {
			int r = ibv_poll_cq(&stub_cq, FP_BATCH, wc), c;

			if (r <= 0)
				return 1;
			for (c = 0; c < r; c++)
				if (wc[c].status ||
				    wc[c].wr_id != (uint64_t)(i + got + c))
					return 1;
			got += r;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t_end);
	return 0;
}

/* fpb: @nb writes a call, polled until their @nb completions are in. */
static int __attribute__((noinline))
loop_fpb(struct fp_group *g, struct fp_write *bw, struct fp_wc *wc, long n,
	 unsigned int nb)
{
	unsigned int i;
	long m;

	for (m = 0; m < n; m += nb) {
		int got, r, c;

		for (i = 0; i < nb; i++)
			bw[i].wr_id = (uint64_t)m + i;
		if (fp_post_write_batch(g, bw, (int)nb) != (int)nb)
			return 1;
		for (got = 0; got < (int)nb; got += r) {
			r = fp_poll(g, wc, FP_BATCH);
			if (r < 0)
				return 1;
			for (c = 0; c < r; c++)
				if (wc[c].status ||
				    wc[c].wr_id != (uint64_t)(m + got + c))
					return 1;
		}
	}
	return 0;
}

/* fast (@nb 0) and fastb: flowplan_fast.h's inline calls. */
static int __attribute__((noinline))
loop_fast(struct fp_group *g, struct fp_buf *b, const struct fp_rbuf *rb,
	  size_t size, long n, unsigned int nb)
{
	struct fp_fast_buf fb;
	struct fp_wc wc[FP_BATCH];
	struct fp_fast f;
	unsigned int i;
	long m;

	if (fp_group_fast(g, FP_FAST_VERSION, &f, sizeof(f)) ||
	    fp_buf_fast(g, b, &fb, sizeof(fb)))
		return 1;
	if (!nb) {
		for (m = 0; m < n; m++) {
			int r;

			if (fp_fast_write(&f, &fb, 0, size, rb, 0, (uint64_t)m))
				return 1;
			/* one chunk a call: a split message takes more */
			while ((r = fp_fast_poll(&f, wc, 16)) != 1)
				if (r)
					return 1;
			if (wc[0].status || wc[0].wr_id != (uint64_t)m)
				return 1;
		}
		return 0;
	}
	for (m = 0; m < n; m += nb) {
		int got, r;

		for (i = 0; i < nb; i++)
			if (fp_fast_write(&f, &fb, 0, size, rb, 0,
					  (uint64_t)m + i))
				return 1;
		for (got = 0; got < (int)nb; got += r) {
			r = fp_fast_poll(&f, wc, FP_BATCH);
			if (r < 0 || (r && (wc[0].status ||
					    wc[0].wr_id != (uint64_t)(m + got))))
				return 1;
		}
	}
	return 0;
}

static int run_fp(long n, size_t size, unsigned int k, unsigned int nb,
		  bool fast, char *buf)
{
	struct fp_ctx_attr ca = {
		.flags = FP_CTX_NO_NETLINK | FP_CTX_NO_REPORT,
	};
	struct fp_rbuf rb = { .addr = 0x1000, .len = size, .rkey = 2 };
	struct fp_group *g;
	struct fp_buf *b;
	struct fp_ctx *ctx;
	struct fp_write bw[FP_BATCH];
	struct fp_wc wc[FP_BATCH];
	unsigned int i;
	long m;

	ctx = fp_ctx_open(&ca);
	g = calloc(1, sizeof(*g));
	b = calloc(1, sizeof(*b));
	if (!ctx || !g || !b)
		return 1;
	/* A group and a buffer on the stub, as fp_group_connect makes them. */
	ctx->ndev = 1;
	snprintf(ctx->dev[0].name, sizeof(ctx->dev[0].name), "stub0");
	*b = (struct fp_buf){ .ctx = ctx, .addr = buf, .len = size, .home = 0 };
	b->reg[0] = (struct fp_buf_reg){ .mr = &stub_mr, .how = FP_REG_HOST,
					 .base = buf };
	g->ctx = ctx;
	g->fd = -1;
	g->cq = &stub_cq;
	g->k = k;
	g->chunk_max = 1 << 20;
	g->split_min = 16384;
	g->timeout_ns = 10000000000ull;
	for (i = 0; i < k; i++) {
		g->sub[i].qp = &stub_qp[i];
		g->w[i] = FP_WEIGHT_ONE / k + (i < FP_WEIGHT_ONE % k);
	}
	if (fp_msgtab_init(&g->tab, 256))
		return 1;
	for (i = 0; i < FP_BATCH; i++)
		bw[i] = (struct fp_write){ .buf = b, .len = size, .rbuf = &rb };
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	if (fast) {
		if (loop_fast(g, b, &rb, size, n, nb))
			return 1;
	} else if (nb) {
		if (loop_fpb(g, bw, wc, n, nb))
			return 1;
	} else {
		for (m = 0; m < n; m++) {
			int r;

			if (fp_post_write(g, b, 0, size, &rb, 0, (uint64_t)m))
				return 1;
			r = fp_poll(g, wc, 16);
			if (r != 1 || wc[0].status || wc[0].wr_id != (uint64_t)m)
				return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t_end);
	fp_msgtab_fini(&g->tab);
	free(g->chunks);
	free(g);
	free(b);
	ctx->ndev = 0;
	return fp_ctx_close(ctx) ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned int i, nb = 0;
	long n;
	size_t size;
	char *buf;
	int ret;

	if (argc < 4 ||
	    (strcmp(argv[1], "raw") && strcmp(argv[1], "fp") &&
	     strcmp(argv[1], "rawb") && strcmp(argv[1], "fpb") &&
	     strcmp(argv[1], "fast") && strcmp(argv[1], "fastb")) ||
	    ((!strcmp(argv[1], "fp") || !strcmp(argv[1], "fast")) &&
	     argc < 5) ||
	    (!strcmp(argv[1], "rawb") && argc < 5) ||
	    ((!strcmp(argv[1], "fpb") || !strcmp(argv[1], "fastb")) &&
	     argc < 6)) {
		fprintf(stderr, "usage: bench_post raw N SIZE | fp|fast N SIZE K | rawb N SIZE B | fpb|fastb N SIZE K B\n");
		return 2;
	}
	n = atol(argv[2]);
	size = strtoul(argv[3], NULL, 0);
	if (!strcmp(argv[1], "rawb") || !strcmp(argv[1], "fpb") ||
	    !strcmp(argv[1], "fastb")) {
		nb = (unsigned int)atoi(argv[argv[1][0] == 'r' ? 4 : 5]);
		if (!nb || nb > FP_BATCH || n % nb) {
			fprintf(stderr, "bench_post: B is 1 to %d and divides N\n",
				FP_BATCH);
			return 2;
		}
	}
	buf = calloc(1, size ? size : 1);
	if (!buf)
		return 1;
	for (i = 0; i < FP_MAX_SUBFLOWS; i++)
		stub_qp[i] = (struct ibv_qp){ .context = &stub_ctx,
					      .qp_num = 0x100 + i };
	if (!strcmp(argv[1], "raw"))
		ret = run_raw(n, size, buf);
	else if (!strcmp(argv[1], "rawb"))
		ret = run_rawb(n, size, nb, buf);
	else
		ret = run_fp(n, size, (unsigned int)atoi(argv[4]), nb,
			     !strncmp(argv[1], "fast", 4), buf);
	free(buf);
	if (ret)
		fprintf(stderr, "bench_post: %s failed\n", argv[1]);
	else if (getenv("BENCH_NS") && n > 0)
		printf("%.1f\n", ((t_end.tv_sec - t_start.tv_sec) * 1e9 +
				   (t_end.tv_nsec - t_start.tv_nsec)) / n);
	return ret;
}
