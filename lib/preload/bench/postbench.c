// SPDX-License-Identifier: MIT
/*
 * fp-preload-postbench - the data path a verbs program runs, for callgrind:
 * N ibv_post_send + ibv_poll_cq pairs (verbs.h's inlines, through the
 * context's ops) on an in-process provider stub that completes every work
 * request at once. Run with and without LD_PRELOAD=libflowplan-preload.so:
 * the instructions per message must be the same, because the interposer
 * never touches the post and poll paths.
 *
 *   fp-preload-postbench N
 */
#include <stdio.h>
#include <stdlib.h>

#include <infiniband/verbs.h>

static struct ibv_wc pending;
static int have;

static int stub_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr,
			  struct ibv_send_wr **bad)
{
	(void)bad;
	pending = (struct ibv_wc){ .wr_id = wr->wr_id, .qp_num = qp->qp_num,
				   .opcode = IBV_WC_RDMA_WRITE };
	have = 1;
	return 0;
}

static int stub_poll_cq(struct ibv_cq *cq, int n, struct ibv_wc *wc)
{
	(void)cq;
	if (!have || n < 1)
		return 0;
	*wc = pending;
	have = 0;
	return 1;
}

static struct ibv_context ctx = {
	.ops = { .post_send = stub_post_send, .poll_cq = stub_poll_cq },
};
static struct ibv_qp qp = { .context = &ctx, .qp_num = 7 };
static struct ibv_cq cq = { .context = &ctx };

/* Not inlined: callgrind can be told to count only this. */
__attribute__((noinline)) static long run(long n, char *buf)
{
	struct ibv_wc wc;
	long i, done = 0;

	for (i = 0; i < n; i++) {
		struct ibv_sge sge = { .addr = (uintptr_t)buf, .length = 4096,
				       .lkey = 1 };
		struct ibv_send_wr wr = {
			.wr_id = (uint64_t)i, .sg_list = &sge, .num_sge = 1,
			.opcode = IBV_WR_RDMA_WRITE,
			.send_flags = IBV_SEND_SIGNALED,
		}, *bad;

		if (ibv_post_send(&qp, &wr, &bad))
			return -1;
		while (ibv_poll_cq(&cq, 1, &wc) == 0)
			;
		done++;
	}
	return done;
}

int main(int argc, char **argv)
{
	static char buf[4096];
	long n = argc > 1 ? atol(argv[1]) : 100000;

	printf("postbench: %ld messages\n", run(n, buf));
	return 0;
}
