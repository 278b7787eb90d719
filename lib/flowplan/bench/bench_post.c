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
 *
 * Built with -DBENCH_DEV (bench_post_dev), raw, fp and fast run on a real
 * provider instead of the stub: BENCH_DEV names the verbs device (soft-RoCE
 * in qemu, lib/flowplan/bench/vm-bench.sh), and the k QPs the messages go
 * on are connected in loopback on it to k peer QPs (RoCEv2, the device's
 * first IPv4 GID), writing into a second buffer. The provider completes a
 * request some time after it was posted: before each poll the program
 * sleeps with callgrind's collection off (a wait), so that what callgrind
 * counts is the posts and the polls that find the completions, as on the
 * stub, plus the provider's own user-space work (rxe: the doorbell system
 * call's set-up, the queue's copy); a poll that finds nothing yet is
 * counted and followed by another wait. The number of waits a message is
 * printed on stderr ("bench_post: waits ...") to tell such polls apart.
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

#ifdef BENCH_DEV
#include <unistd.h>
#include <valgrind/callgrind.h>

#define DEV_WAIT_US	500	/* a wait: long enough for rxe in qemu */

/* The real device's objects, in place of the stub's. */
static struct {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq, *pcq;	/* the senders', the peers' */
	struct ibv_qp *qp[FP_MAX_SUBFLOWS], *peer[FP_MAX_SUBFLOWS];
	struct ibv_mr *mr, *dmr;	/* the source, the destination */
	char *dst;
	long waits;
} dev;

#define B_QP(i)		(dev.qp[i])
#define B_CQ		(dev.cq)
#define B_MR		(dev.mr)
#define B_RADDR		((uint64_t)(uintptr_t)dev.dst)
#define B_RKEY		(dev.dmr->rkey)
/* A wait, not counted: callgrind collects nothing while it sleeps. */
#define B_WAIT()							\
	do {								\
		CALLGRIND_TOGGLE_COLLECT;				\
		usleep(DEV_WAIT_US);					\
		dev.waits++;						\
		CALLGRIND_TOGGLE_COLLECT;				\
	} while (0)
/* A poll after a wait, again after another while it finds nothing. */
#define B_POLL(call)							\
	({								\
		int r_;							\
		B_WAIT();						\
		while (!(r_ = (call)))					\
			B_WAIT();					\
		r_;							\
	})
#else
#define B_QP(i)		(&stub_qp[i])
#define B_CQ		(&stub_cq)
#define B_MR		(&stub_mr)
#define B_RADDR		0x1000
#define B_RKEY		2
#define B_WAIT()	do { } while (0)
#define B_POLL(call)	(call)
#endif

static int run_raw(long n, size_t size, char *buf)
{
	struct ibv_qp *qp = B_QP(0);
	struct ibv_wc wc[16];
	long i;

	clock_gettime(CLOCK_MONOTONIC, &t_start);
	for (i = 0; i < n; i++) {
		struct ibv_sge sge = {
			.addr = (uintptr_t)buf,
			.length = (uint32_t)size,
			.lkey = B_MR->lkey,
		};
		struct ibv_send_wr wr = {
			.wr_id = (uint64_t)i,
			.sg_list = &sge,
			.num_sge = 1,
			.opcode = IBV_WR_RDMA_WRITE,
			.send_flags = IBV_SEND_SIGNALED,
			.wr.rdma = { .remote_addr = B_RADDR, .rkey = B_RKEY },
		}, *bad;

		if (ibv_post_send(qp, &wr, &bad))
			return 1;
		if (B_POLL(ibv_poll_cq(B_CQ, 16, wc)) != 1 || wc[0].status)
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
			B_WAIT();
			while ((r = fp_fast_poll(&f, wc, 16)) != 1) {
				if (r)
					return 1;
				B_WAIT();
			}
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
	struct fp_rbuf rb = { .addr = B_RADDR, .len = size, .rkey = B_RKEY };
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
	b->reg[0] = (struct fp_buf_reg){ .mr = B_MR, .how = FP_REG_HOST,
					 .base = buf };
	g->ctx = ctx;
	g->fd = -1;
	g->cq = B_CQ;
	g->k = k;
	g->chunk_max = 1 << 20;
	g->split_min = 16384;
	g->timeout_ns = 10000000000ull;
	for (i = 0; i < k; i++) {
		g->sub[i].qp = B_QP(i);
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
			r = B_POLL(fp_poll(g, wc, 16));
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

#ifdef BENCH_DEV
/* @qp from RESET to RTS, connected to QP @dqpn at @gid (index @sgid). */
static int dev_connect(struct ibv_qp *qp, uint32_t dqpn,
		       const union ibv_gid *gid, int sgid)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE,
	};

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		return -1;
	a = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTR,
		.path_mtu = IBV_MTU_1024,
		.dest_qp_num = dqpn,
		.max_dest_rd_atomic = 1,
		.min_rnr_timer = 12,
		.ah_attr = {
			.is_global = 1,
			.port_num = 1,
			.grh = { .dgid = *gid, .sgid_index = (uint8_t)sgid,
				 .hop_limit = 64 },
		},
	};
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return -1;
	a = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTS,
		.timeout = 14,
		.retry_cnt = 7,
		.rnr_retry = 7,
		.max_rd_atomic = 1,
	};
	return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			     IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			     IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
}

/*
 * The device named @name: k QPs on one CQ, each connected in loopback to
 * a peer QP, @buf registered as the source and a buffer of @size as the
 * destination. Says what failed and returns -1.
 */
static int dev_open(const char *name, unsigned int k, char *buf, size_t size)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_qp_init_attr qa = {
		.cap = { .max_send_wr = FP_SQ_DEPTH, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.qp_type = IBV_QPT_RC,
	};
	union ibv_gid gid;
	unsigned int i;
	int idx = -1, j;

	for (j = 0; list && list[j]; j++)
		if (!strcmp(ibv_get_device_name(list[j]), name))
			dev.ctx = ibv_open_device(list[j]);
	if (list)
		ibv_free_device_list(list);
	if (!dev.ctx) {
		fprintf(stderr, "bench_post: no verbs device %s\n", name);
		return -1;
	}
	/* RoCEv2 with an IPv4 address: ::ffff:a.b.c.d */
	for (j = 0; j < 16 && idx < 0; j++) {
		struct ibv_gid_entry e;

		if (!ibv_query_gid_ex(dev.ctx, 1, (uint32_t)j, &e, 0) &&
		    e.gid_type == IBV_GID_TYPE_ROCE_V2 &&
		    !e.gid.global.subnet_prefix &&
		    (e.gid.global.interface_id & 0xffffffffu) == 0xffff0000u) {
			idx = j;
			gid = e.gid;
		}
	}
	if (idx < 0) {
		fprintf(stderr, "bench_post: %s has no RoCEv2 IPv4 GID\n",
			name);
		return -1;
	}
	dev.pd = ibv_alloc_pd(dev.ctx);
	dev.cq = dev.pd ? ibv_create_cq(dev.ctx, 4096, NULL, NULL, 0) : NULL;
	dev.pcq = dev.cq ? ibv_create_cq(dev.ctx, 64, NULL, NULL, 0) : NULL;
	dev.dst = calloc(1, size ? size : 1);
	if (!dev.pcq || !dev.dst) {
		fprintf(stderr, "bench_post: %s: no PD, CQ or memory\n", name);
		return -1;
	}
	dev.mr = ibv_reg_mr(dev.pd, buf, size ? size : 1,
			    IBV_ACCESS_LOCAL_WRITE);
	dev.dmr = ibv_reg_mr(dev.pd, dev.dst, size ? size : 1,
			     IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	if (!dev.mr || !dev.dmr) {
		fprintf(stderr, "bench_post: %s: ibv_reg_mr: %s\n", name,
			strerror(errno));
		return -1;
	}
	for (i = 0; i < k; i++) {
		qa.send_cq = qa.recv_cq = dev.cq;
		dev.qp[i] = ibv_create_qp(dev.pd, &qa);
		qa.send_cq = qa.recv_cq = dev.pcq;
		dev.peer[i] = ibv_create_qp(dev.pd, &qa);
		if (!dev.qp[i] || !dev.peer[i] ||
		    dev_connect(dev.qp[i], dev.peer[i]->qp_num, &gid, idx) ||
		    dev_connect(dev.peer[i], dev.qp[i]->qp_num, &gid, idx)) {
			fprintf(stderr, "bench_post: %s: QP %u: %s\n", name, i,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}
#endif

int main(int argc, char **argv)
{
	unsigned int k, nb = 0;
	size_t i;
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
	/* raw: one QP; the others: K subflows, as many QPs */
	k = argv[1][0] == 'r' ? 1 : (unsigned int)atoi(argv[4]);
	if (!k || k > FP_MAX_SUBFLOWS) {
		fprintf(stderr, "bench_post: K is 1 to %d\n", FP_MAX_SUBFLOWS);
		return 2;
	}
	buf = calloc(1, size ? size : 1);
	if (!buf)
		return 1;
	for (i = 0; i < FP_MAX_SUBFLOWS; i++)
		stub_qp[i] = (struct ibv_qp){ .context = &stub_ctx,
					      .qp_num = 0x100 + (uint32_t)i };
#ifdef BENCH_DEV
	if (nb) {
		fprintf(stderr, "bench_post: %s: not on a device\n", argv[1]);
		return 2;
	}
	if (!getenv("BENCH_DEV")) {
		fprintf(stderr, "bench_post: BENCH_DEV names no verbs device\n");
		return 2;
	}
	if (dev_open(getenv("BENCH_DEV"), k, buf, size))
		return 1;
	for (i = 0; i < size; i++)
		buf[i] = (char)(i * 7 + 1);
#endif
	if (!strcmp(argv[1], "raw"))
		ret = run_raw(n, size, buf);
	else if (!strcmp(argv[1], "rawb"))
		ret = run_rawb(n, size, nb, buf);
	else
		ret = run_fp(n, size, k, nb,
			     !strncmp(argv[1], "fast", 4), buf);
#ifdef BENCH_DEV
	/* every message wrote the whole buffer: the last one's bytes */
	if (!ret && n > 0 && memcmp(buf, dev.dst, size)) {
		fprintf(stderr, "bench_post: the peer's buffer differs\n");
		ret = 1;
	}
	if (!ret && n > 0)
		fprintf(stderr, "bench_post: waits %.2f a message\n",
			(double)dev.waits / n);
#endif
	free(buf);
	if (ret)
		fprintf(stderr, "bench_post: %s failed\n", argv[1]);
	else if (getenv("BENCH_NS") && n > 0)
		printf("%.1f\n", ((t_end.tv_sec - t_start.tv_sec) * 1e9 +
				   (t_end.tv_nsec - t_start.tv_nsec)) / n);
	return ret;
}
