// SPDX-License-Identifier: MIT
/*
 * test_lib_post - libflowplan's data path (post.c) and QP set-up (group.c)
 * on an in-process provider: what a real device cannot do on demand here,
 * in an order a test chooses.
 *
 * The provider is libibverbs' own dispatch: a context whose ops table posts
 * and polls into arrays of this file, and -Wl,--wrap of the verbs calls
 * that are functions (ibv_create_qp, ibv_modify_qp, ibv_destroy_qp,
 * ibv_query_port, ibv_dereg_mr). Work requests are held until the test completes them
 * (stub_complete) or the QP is moved to the error state and the test
 * flushes it (stub_flush); QP creation fails at the N-th call when asked
 * (a QP or memlock limit). The peer's end of the bootstrap socket is one
 * end of a socketpair: the test writes what the peer would say, or closes
 * it (the peer went away).
 *
 * Asserts: one completion per message through fp_poll() when a deadline
 * passes and the peer goes away afterwards or at the same check (issue
 * 17), a message that completed keeping its success when the peer leaves
 * before it is reaped; QP creation failing part-way unwinds exactly the
 * QPs it created and leaves the group as it was, a peer whose side of the
 * exchange lies is refused, chunks are never cut to 32 bits, a message
 * that can never fit its queues is EMSGSIZE, attributes out of range are
 * refused, stray connections to a listening group do not cost it its peer
 * (issue 11); the fast ways of posting (issue 14) cut and place every
 * message as fp_split() does, keep completion order with the done queue,
 * and leave nothing behind when a queue, the table or the provider refuses;
 * a failing CQ loses no completion; fp_group_repin() and fp_buf_free()
 * look at every subflow and device; the in-band switch (switch.c) cuts,
 * holds, flushes and posts again with every message completing once, and
 * fp_group_xchg() between such ends frames its bytes (none: a barrier; a
 * count that differs: EPROTO). Seed 8222's survivors (issue 17): a hello of
 * 0 or 17 subflows refused before any QP is made; QPs kept only where new
 * source ports can be set (mlx5) on a group that has not failed; fp_poll()
 * filling the caller's array from its start when the done queue is used
 * part-way; a PROPOSE that cannot be sent retried only after the timeout;
 * a peer's cut beyond the receives posted keeps this side from DRAINED; a
 * receive posted again with no room on its one subflow: ENOBUFS, once.
 * Seed 5353's: a send that finds no memory to be held (allocation failure
 * injected, test_core_allocfail.h) is refused with ENOMEM, nothing held.
 * Seed 1301's: fp_buf_free() releases GPU staging for the caller's GPU
 * memory only; a listener on a kernel without IPv6 takes IPv4
 * (socket(AF_INET6) failing, wrapped); a late message of the general way
 * fails its subflows; fp_poll()'s general way fills no more than the
 * caller's room; a split whose second share is over the chunk size is cut
 * the general way; a group that shrank splits over its subflows alone; an
 * ACK of an old proposal is ignored once a newer one is out; on mlx5
 * (mlx5dv_modify_qp_udp_sport wrapped) a re-pin keeps the QPs and sets
 * their source ports. Seed 1302's: fp_group_connect() and fp_group_xchg()
 * refuse what is missing; fp_group_plan_changed() with more subflows in
 * the group than in the plan, and fewer. Seed 1303's: fp_group_xchg()
 * with a stale EINTR in errno; fp_buf_export() refuses what is missing;
 * a re-pin whose peer sends no hello fails with the exchange's error.
 * Gaps those samples left: fp_group_xchg() with 16 of the peer's switch
 * records waiting (ours sent first, then the records taken); the
 * receives of a switch that failed after the flush are not posted again
 * by the next switch after a re-pin.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowplan/flowplan_fast.h"
#include "flowplan/handles.h"
#include "test_core_allocfail.h"

/* ------------------------------------------------------------ provider */

#define STUB_WRS	8192
#define STUB_QPS	64

struct stub_wr {
	uint64_t wr_id;
	uint32_t qp_num;
	uint32_t len;
	uint64_t addr;
	uint64_t raddr;		/* RDMA writes: the remote address */
	int num_sge;
	bool recv;
	bool done;
};

struct stub_qp {
	struct ibv_qp qp;
	bool live;
	enum ibv_qp_state state;
};

static struct stub_wr wrs[STUB_WRS];
static unsigned int nwrs;
static struct ibv_wc cq[STUB_WRS];
static unsigned int cq_head, cq_tail;
static struct stub_qp qps[STUB_QPS];
static unsigned int qp_created, qp_destroyed, qp_fail_at, qp_calls;
static bool qp_bad_destroy;
static bool flush_on_err;	/* a QP moved to the error state flushes at once */
static bool flush_on_poll;	/* ... or after the first poll that finds none */
static bool poll_fails;		/* ibv_poll_cq fails (a CQ overrun) */
static int modify_fails_to = -1;	/* ibv_modify_qp to this state fails */
static struct ibv_mr *mr_freed[4];
static unsigned int nmr_freed;
static void *staging_released;	/* fp_gpu_staging_release()'s last address */
static unsigned int nstaging_released;
static bool no_ipv6;		/* socket(AF_INET6) fails: a kernel without IPv6 */
static unsigned int v6_refused;
static struct ibv_qp *sport_qp[4];	/* mlx5dv_modify_qp_udp_sport()'s calls */
static uint16_t sport_set[4];
static unsigned int nsport;
static int post_budget = -1;	/* work requests taken before ENOMEM; -1: all */
static bool post_names_none;	/* a refused post names no work request */
static unsigned int send_calls;	/* calls of the provider's post_send */

static struct stub_qp *stub_of(struct ibv_qp *qp)
{
	unsigned int i;

	for (i = 0; i < STUB_QPS; i++)
		if (&qps[i].qp == qp && qps[i].live)
			return &qps[i];
	return NULL;
}

static int stub_post(struct ibv_qp *qp, uint64_t wr_id, struct ibv_sge *sg,
		     int num_sge, bool recv, uint64_t raddr)
{
	struct stub_qp *s = stub_of(qp);

	if (!s || nwrs == STUB_WRS || !post_budget)
		return ENOMEM;
	if (post_budget > 0)
		post_budget--;
	if (s->state == IBV_QPS_ERR)
		return EINVAL;
	wrs[nwrs++] = (struct stub_wr){
		.wr_id = wr_id,
		.qp_num = qp->qp_num,
		.len = num_sge ? sg->length : 0,
		.addr = num_sge ? sg->addr : 0,
		.raddr = raddr,
		.num_sge = num_sge,
		.recv = recv,
	};
	return 0;
}

static int stub_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr,
			  struct ibv_send_wr **bad)
{
	send_calls++;
	for (; wr; wr = wr->next) {
		int ret = stub_post(qp, wr->wr_id, wr->sg_list, wr->num_sge,
				    false, wr->opcode == IBV_WR_RDMA_WRITE ?
					   wr->wr.rdma.remote_addr : 0);

		if (ret) {
			if (!post_names_none)
				*bad = wr;
			return ret;
		}
	}
	return 0;
}

static int stub_post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr,
			  struct ibv_recv_wr **bad)
{
	for (; wr; wr = wr->next) {
		int ret = stub_post(qp, wr->wr_id, wr->sg_list, wr->num_sge,
				    true, 0);

		if (ret) {
			*bad = wr;
			return ret;
		}
	}
	return 0;
}

static void stub_flush(void);

static int stub_poll_cq(struct ibv_cq *c, int n, struct ibv_wc *wc)
{
	int i = 0;

	(void)c;
	if (poll_fails)
		return -1;
	if (flush_on_poll && cq_head == cq_tail) {
		/* The device flushes after the modify returned (rxe does). */
		stub_flush();
		return 0;
	}
	while (i < n && cq_head != cq_tail)
		wc[i++] = cq[cq_head++ % STUB_WRS];
	return i;
}

static struct ibv_context stub_ctx = {
	.ops = {
		.post_send = stub_post_send,
		.post_recv = stub_post_recv,
		.poll_cq = stub_poll_cq,
	},
};
static struct ibv_pd stub_pd = { .context = &stub_ctx };
static struct ibv_cq stub_cq = { .context = &stub_ctx };
static struct ibv_mr stub_mr = { .context = &stub_ctx, .lkey = 1, .rkey = 2 };

static void complete(struct stub_wr *w, enum ibv_wc_status st)
{
	w->done = true;
	cq[cq_tail++ % STUB_WRS] = (struct ibv_wc){
		.wr_id = w->wr_id,
		.status = st,
		.opcode = w->recv ? IBV_WC_RECV : IBV_WC_RDMA_WRITE,
		.qp_num = w->qp_num,
		.byte_len = st ? 0 : w->len,
	};
}

/* Complete every work request posted so far, successfully. */
static void stub_complete(void)
{
	unsigned int i;

	for (i = 0; i < nwrs; i++)
		if (!wrs[i].done)
			complete(&wrs[i], IBV_WC_SUCCESS);
}

/* Flush what QPs in the error state still hold, as the device would. */
static void stub_flush(void)
{
	unsigned int i, j;

	for (i = 0; i < nwrs; i++) {
		if (wrs[i].done)
			continue;
		for (j = 0; j < STUB_QPS; j++)
			if (qps[j].live && qps[j].qp.qp_num == wrs[i].qp_num &&
			    qps[j].state == IBV_QPS_ERR)
				complete(&wrs[i], IBV_WC_WR_FLUSH_ERR);
	}
}

static unsigned int stub_pending(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < nwrs; i++)
		n += !wrs[i].done;
	return n;
}

struct ibv_qp *__wrap_ibv_create_qp(struct ibv_pd *pd,
				    struct ibv_qp_init_attr *ia);
int __wrap_ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask);
int __wrap_ibv_destroy_qp(struct ibv_qp *qp);
int __wrap_ibv_query_port(struct ibv_context *c, uint8_t port,
			  struct ibv_port_attr *pa);
int __wrap_ibv_dereg_mr(struct ibv_mr *mr);
void __wrap_fp_gpu_staging_release(void *dptr);
int __wrap_socket(int domain, int type, int protocol);
int __real_socket(int domain, int type, int protocol);

struct ibv_qp *__wrap_ibv_create_qp(struct ibv_pd *pd,
				    struct ibv_qp_init_attr *ia)
{
	unsigned int i;

	(void)ia;
	if (++qp_calls == qp_fail_at) {
		errno = ENOMEM;		/* what a QP or memlock limit gives */
		return NULL;
	}
	for (i = 0; i < STUB_QPS; i++) {
		if (qps[i].live)
			continue;
		qps[i] = (struct stub_qp){
			.qp = { .context = pd->context, .pd = pd,
				.qp_num = 0x100 + i + 0x40 * (qp_created / 8) },
			.live = true,
			.state = IBV_QPS_RESET,
		};
		qp_created++;
		return &qps[i].qp;
	}
	errno = ENOMEM;
	return NULL;
}

int __wrap_ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask)
{
	struct stub_qp *s = stub_of(qp);

	if (!s)
		return EINVAL;
	if ((mask & IBV_QP_STATE) && (int)a->qp_state == modify_fails_to) {
		errno = EINVAL;
		return EINVAL;
	}
	if (mask & IBV_QP_STATE)
		s->state = a->qp_state;
	if (flush_on_err && s->state == IBV_QPS_ERR)
		stub_flush();
	return 0;
}

int __wrap_ibv_destroy_qp(struct ibv_qp *qp)
{
	struct stub_qp *s = stub_of(qp);

	if (!s) {
		qp_bad_destroy = true;	/* not a QP of ours: garbage */
		return EINVAL;
	}
	s->live = false;
	qp_destroyed++;
	return 0;
}

int __wrap_ibv_query_port(struct ibv_context *c, uint8_t port,
			  struct ibv_port_attr *pa)
{
	(void)c;
	(void)port;
	memset(pa, 0, sizeof(*pa));
	pa->active_mtu = IBV_MTU_1024;
	pa->state = IBV_PORT_ACTIVE;
	return 0;
}

int __wrap_ibv_dereg_mr(struct ibv_mr *mr)
{
	if (nmr_freed < 4)
		mr_freed[nmr_freed] = mr;
	nmr_freed++;
	return 0;
}

/* lib/flowplan/gpu.c's: the staging memory of the caller's GPU buffers. */
void __wrap_fp_gpu_staging_release(void *dptr)
{
	staging_released = dptr;
	nstaging_released++;
}

#ifdef HAVE_MLX5DV
int __wrap_mlx5dv_modify_qp_udp_sport(struct ibv_qp *qp, uint16_t sport);

int __wrap_mlx5dv_modify_qp_udp_sport(struct ibv_qp *qp, uint16_t sport)
{
	if (nsport < 4) {
		sport_qp[nsport] = qp;
		sport_set[nsport] = sport;
	}
	nsport++;
	return 0;
}
#endif

int __wrap_socket(int domain, int type, int protocol)
{
	if (no_ipv6 && domain == AF_INET6) {
		v6_refused++;
		errno = EAFNOSUPPORT;
		return -1;
	}
	return __real_socket(domain, type, protocol);
}

/* ------------------------------------------------------------- a group */

struct fixture {
	struct fp_ctx *ctx;
	struct fp_group *g;
	struct fp_buf *b;
	char *mem;
	int peer;		/* the peer's end of the bootstrap socket */
};

#define MEMLEN	(1u << 20)

static void stub_reset(void)
{
	memset(wrs, 0, sizeof(wrs));
	memset(qps, 0, sizeof(qps));
	nwrs = cq_head = cq_tail = 0;
	qp_created = qp_destroyed = qp_fail_at = qp_calls = 0;
	qp_bad_destroy = false;
	flush_on_err = flush_on_poll = poll_fails = false;
	modify_fails_to = -1;
	nmr_freed = 0;
	staging_released = NULL;
	nstaging_released = 0;
	no_ipv6 = false;
	v6_refused = 0;
	nsport = 0;
	post_budget = -1;
	post_names_none = false;
	send_calls = 0;
}

/* A group of @k subflows on the provider, as fp_group_connect makes one. */
static int setup_k(void **state, unsigned int k)
{
	struct fp_ctx_attr ca = { .flags = FP_CTX_NO_NETLINK | FP_CTX_NO_REPORT };
	struct fixture *f = calloc(1, sizeof(*f));
	int sv[2];
	unsigned int i;

	stub_reset();
	if (!f || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	f->ctx = fp_ctx_open(&ca);
	f->g = calloc(1, sizeof(*f->g));
	f->b = calloc(1, sizeof(*f->b));
	f->mem = calloc(1, MEMLEN);
	if (!f->ctx || !f->g || !f->b || !f->mem)
		return -1;
	f->ctx->ndev = 1;
	snprintf(f->ctx->dev[0].name, sizeof(f->ctx->dev[0].name), "stub0");
	f->ctx->dev[0].verbs = &stub_ctx;
	f->ctx->dev[0].pd = &stub_pd;
	*f->b = (struct fp_buf){ .ctx = f->ctx, .addr = f->mem, .len = MEMLEN,
				 .home = 0 };
	f->b->reg[0] = (struct fp_buf_reg){ .mr = &stub_mr, .how = FP_REG_HOST,
					    .base = f->mem };
	f->ctx->nbufs = 1;
	f->g->ctx = f->ctx;
	f->g->fd = sv[0];
	f->peer = sv[1];
	f->g->cq = &stub_cq;
	f->g->port = 1;
	f->g->k = k;
	f->g->chunk_max = 1 << 20;
	f->g->split_min = 16384;
	f->g->rchunk_max = 1 << 20;
	f->g->rsplit_min = 16384;
	f->g->timeout_ns = 10000000000ull;
	f->g->qp_timeout = 14;
	f->g->retry_cnt = 6;
	for (i = 0; i < k; i++) {
		struct ibv_qp *qp = __wrap_ibv_create_qp(&stub_pd, NULL);

		if (!qp)
			return -1;
		f->g->sub[i].qp = qp;
		f->g->sub[i].remote_qpn = 0x900 + i;
	}
	fp_weights_equal(f->g->w, k);
	fp_weights_equal(f->g->rw, k);
	if (fp_msgtab_init(&f->g->tab, 64))
		return -1;
	f->ctx->ngroups = 1;
	*state = f;
	return 0;
}

static int setup2(void **state)
{
	return setup_k(state, 2);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unsigned int i;

	for (i = 0; i < f->g->k; i++)
		if (f->g->sub[i].qp)
			__wrap_ibv_destroy_qp(f->g->sub[i].qp);
	fp_msgtab_fini(&f->g->tab);
	free(f->g->chunks);
	free(f->g->q);
	if (f->g->fd >= 0)
		close(f->g->fd);
	if (f->peer >= 0)
		close(f->peer);
	free(f->g);
	free(f->b);
	free(f->mem);
	f->ctx->ndev = 0;
	f->ctx->ngroups = 0;
	f->ctx->nbufs = 0;
	assert_int_equal(fp_ctx_close(f->ctx), 0);
	free(f);
	return 0;
}

/* Make fp_poll() check deadlines and the peer now, not in 10 ms. */
static int poll_checked(struct fp_group *g, struct fp_wc *wc, int n)
{
	g->next_check_ns = 0;
	g->tab.polls = 0u - FP_POLL_STEP;
	return fp_poll(g, wc, n);
}

/* Drives the group's control steps; returns the completions (none expected). */
static int poll_nothing(struct fp_group *g)
{
	struct fp_wc wc[4];

	return poll_checked(g, wc, 4);
}

/* The peer's end has nothing to read. */
static bool peer_has_nothing(struct fixture *f)
{
	char c;

	return recv(f->peer, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0;
}

static void peer_leaves(struct fixture *f)
{
	close(f->peer);
	f->peer = -1;
}

/* ------------------------------------------------------------ issue 17 */

/*
 * A 64 KiB write that times out (@chunks work requests): fp_poll() hands
 * it out once with ETIMEDOUT, moves both QPs to the error state and fails
 * the group.
 */
static void late_write(struct fixture *f, uint64_t wr_id, unsigned int chunks)
{
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	struct fp_group_info info;
	struct fp_wc wc[8];

	f->g->timeout_ns = 1;		/* the deadline passes at once */
	assert_int_equal(fp_post_write(f->g, f->b, 0, 65536, &rb, 0, wr_id), 0);
	assert_int_equal(stub_pending(), chunks);
	/* Posting reads no clock: the first check gives it its deadline. */
	assert_int_equal(poll_checked(f->g, wc, 8), 0);
	usleep(1000);
	assert_int_equal(poll_checked(f->g, wc, 8), 1);
	assert_int_equal(wc[0].wr_id, wr_id);
	assert_int_equal(wc[0].status, ETIMEDOUT);
	assert_int_equal(qps[0].state, IBV_QPS_ERR);
	assert_int_equal(qps[1].state, IBV_QPS_ERR);
	assert_int_equal(fp_group_query(f->g, &info), 0);
	assert_int_equal(info.error, ETIMEDOUT);
}

/*
 * A write over two subflows times out (fp_poll hands it out once with
 * ETIMEDOUT and moves its QPs to the error state), then the peer goes
 * away, then the QPs are flushed: no second completion with its wr_id.
 */
static void test_expiry_then_peer_gone(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	struct fp_wc wc[8];
	struct fp_group_info info;
	int i;

	late_write(f, 77, 2);
	assert_int_equal(fp_post_write(f->g, f->b, 0, 8, &rb, 0, 78), ENOTCONN);

	peer_leaves(f);
	for (i = 0; i < 3; i++)
		assert_int_equal(poll_checked(f->g, wc, 8), 0);
	assert_int_equal(fp_group_query(f->g, &info), 0);
	assert_int_equal(info.error, ECONNRESET);
	stub_flush();
	for (i = 0; i < 3; i++)
		assert_int_equal(poll_checked(f->g, wc, 8), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/* Deadline and departure seen by the same check: one completion. */
static void test_expiry_and_peer_gone_together(void **state)
{
	struct fixture *f = *state;
	struct fp_wc wc[8];
	int i, n = 0;

	f->g->timeout_ns = 1;
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 100000, 5), 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 6), 0);
	assert_int_equal(poll_checked(f->g, wc, 8), 0);	/* deadlines set */
	usleep(1000);
	peer_leaves(f);
	for (i = 0; i < 4; i++) {
		int r = poll_checked(f->g, wc + n, 8 - n);

		assert_true(r >= 0);
		n += r;
		stub_flush();
	}
	assert_int_equal(n, 2);
	assert_int_equal(wc[0].wr_id, 5);
	assert_int_equal(wc[0].op, FP_OP_RECV);
	assert_int_equal(wc[0].status, ETIMEDOUT);
	assert_int_equal(wc[1].wr_id, 6);
	assert_int_equal(wc[1].status, ETIMEDOUT);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * A send that completed, not reaped yet when the peer's departure is
 * noticed: it is handed out with its success; the receive still waiting
 * fails with ECONNRESET.
 */
static void test_peer_gone_keeps_success(void **state)
{
	struct fixture *f = *state;
	struct fp_wc wc[8];

	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1), 0);
	stub_complete();
	assert_int_equal(fp_post_recv(f->g, f->b, 4096, 100, 2), 0);
	assert_int_equal(fp_poll(f->g, wc, 0), 0);	/* taken in, not reaped */
	peer_leaves(f);
	assert_int_equal(poll_checked(f->g, wc, 0), 0);
	stub_flush();
	assert_int_equal(poll_checked(f->g, wc, 8), 2);
	assert_int_equal(wc[0].wr_id, 1);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(wc[1].wr_id, 2);
	assert_int_equal(wc[1].status, ECONNRESET);
	assert_int_equal(poll_checked(f->g, wc, 8), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/* ------------------------------------------------------------ issue 14 */

static int setup4(void **state)
{
	return setup_k(state, 4);
}

/* The subflow (index into the group) a recorded work request went to. */
static unsigned int wr_sub(const struct fixture *f, const struct stub_wr *w)
{
	unsigned int i;

	for (i = 0; i < f->g->k; i++)
		if (f->g->sub[i].qp->qp_num == w->qp_num)
			return i;
	fail_msg("work request on no QP of the group");
	return 0;
}

/*
 * What was posted since work request @from is exactly what fp_split()
 * makes of @len bytes at @off of the buffer with the group's weights (same
 * subflows, offsets, lengths, in subflow order; for a write, remote
 * addresses from @raddr), each work request carrying its subflow in its
 * wr_id; @sp is the spread state fp_split() starts from, advanced as it
 * goes.
 */
static void assert_posted_as_split(struct fixture *f, unsigned int from,
				   uint64_t off, uint64_t len, bool recv,
				   uint64_t raddr, struct fp_spread *sp)
{
	struct fp_chunk c[64];
	const uint32_t *w = recv ? f->g->rw : f->g->w;
	uint64_t cmax = recv ? f->g->rchunk_max : f->g->chunk_max;
	uint64_t smin = recv ? f->g->rsplit_min : f->g->split_min;
	int n, i;

	n = fp_split(len, w, f->g->k, cmax, smin, sp, c, 64);
	assert_true(n > 0);
	assert_int_equal(nwrs - from, (unsigned int)n);
	for (i = 0; i < n; i++) {
		const struct stub_wr *x = &wrs[from + (unsigned int)i];

		assert_int_equal(wr_sub(f, x), c[i].sub);
		assert_int_equal(FP_WRID_SUB(x->wr_id), c[i].sub);
		assert_int_equal(fp_wrid_recv(x->wr_id), recv);
		assert_true(x->addr == (uintptr_t)f->mem + off + c[i].off);
		assert_true(x->len == c[i].len);
		assert_int_equal(x->num_sge, 1);
		assert_true(x->raddr == (raddr ? raddr + c[i].off : 0));
	}
}

/*
 * Unsplit messages (shorter than the split threshold) take the fast way:
 * each goes, whole, on the subflow fp_split() would pick, and fp_poll()
 * hands out one completion per message, in order, as it polls them.
 */
static void test_fast_unsplit(void **state)
{
	struct fixture *f = *state;
	struct fp_spread sp = { 0 };
	struct fp_wc wc[8];
	uint64_t lens[] = { 100, 3000, 8, 5000, 1, 16383 };
	unsigned int i;

	for (i = 0; i < 6; i++) {
		unsigned int from = nwrs;

		assert_int_equal(fp_post_send(f->g, f->b, 100, lens[i], 10 + i),
				 0);
		assert_posted_as_split(f, from, 100, lens[i], false, 0, &sp);
	}
	assert_memory_equal(&sp, &f->g->sp_send, sizeof(sp));
	stub_complete();
	assert_int_equal(fp_poll(f->g, wc, 8), 6);
	for (i = 0; i < 6; i++) {
		assert_int_equal(wc[i].wr_id, 10 + i);
		assert_int_equal(wc[i].status, 0);
		assert_int_equal(wc[i].op, FP_OP_SEND);
		assert_int_equal(wc[i].subflow, -1);
		assert_true(wc[i].len == lens[i]);
	}
	assert_int_equal(fp_poll(f->g, wc, 8), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(f->g->sub[0].sq_used + f->g->sub[1].sq_used, 0);
}

/*
 * Unsplit messages over uneven weights, one of them 0, and weights that do
 * not sum to 2^16: each goes on the subflow fp_split() picks (the largest
 * deficit, the lowest index on ties, never a weight of 0), also while the
 * bytes sent pass 2^46, where the pick leaves 64-bit products, and 2^48,
 * where those would overflow; and one subflow 3 x 2^47 bytes behind the
 * other (weights changed on a group that carried that much: the deficit
 * itself is past 64 bits once weighed), which gets them all; and the same
 * below 2^48 bytes, with a weight of 65535.
 */
static void test_fast_spread_pick(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	const uint32_t ws[7][4] = {
		{ 10000, 0, 20000, 35536 }, { 1, 2, 3, 4 },
		{ 0, 16384, 16384, 32768 }, { 10000, 0, 20000, 35536 },
		{ 10000, 0, 20000, 35536 }, { 32768, 0, 0, 32768 },
		{ 65535, 0, 0, 1 },
	};
	uint64_t x = 88172645463325252ull;	/* xorshift64 */
	struct fp_wc wc[8];
	unsigned int i, j;

	for (j = 0; j < 7; j++) {
		struct fp_spread sp = { 0 };
		/* j 3, 4: 300000 bytes short of 2^46, 2^48, in proportion */
		unsigned int sh = j == 3 ? 30 : 32;

		memcpy(f->g->w, ws[j], sizeof(ws[j]));
		if (j == 3 || j == 4) {
			sp.sent[0] = 10000ull << sh;
			sp.sent[2] = 20000ull << sh;
			sp.sent[3] = (35536ull << sh) - 300000;
			sp.total = (1ull << (sh + 16)) - 300000;
		} else if (j == 5) {
			sp.sent[3] = 3ull << 47;
			sp.total = 3ull << 47;
		} else if (j == 6) {
			/* below 2^48, but 65535 x the total is past 2^63 */
			sp.sent[3] = 3ull << 46;
			sp.total = 3ull << 46;
		}
		f->g->sp_write = sp;
		fp_group_unready(f->g);	/* what group.c does on new weights */
		for (i = 0; i < 64; i++) {
			unsigned int from = nwrs;
			uint64_t len;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			len = 1 + x % 16383;
			assert_int_equal(fp_post_write(f->g, f->b, 0, len, &rb,
						       0, i), 0);
			assert_posted_as_split(f, from, 0, len, false, rb.addr,
					       &sp);
			stub_complete();
			assert_int_equal(fp_poll(f->g, wc, 8), 1);
			assert_int_equal(wc[0].wr_id, i);
		}
		assert_memory_equal(&sp, &f->g->sp_write, sizeof(sp));
		if (j == 3 || j == 4)
			assert_true(sp.total > 1ull << (sh + 16));
	}
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * fp_group_progress() (drain()'s step) runs the checks, at their pace,
 * also when the CQ has nothing: its first call on a group whose peer left
 * fails the group, and the send still out comes back failed.
 */
static void test_progress_checks(void **state)
{
	struct fixture *f = *state;
	struct fp_wc wc[4];

	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 7), 0);
	peer_leaves(f);
	assert_int_equal(f->g->next_check_ns, 0);	/* a check is due */
	assert_int_equal(fp_group_progress(f->g), 0);
	assert_int_equal(f->g->error, ECONNRESET);
	assert_int_equal(fp_poll(f->g, wc, 4), 1);
	assert_int_equal(wc[0].wr_id, 7);
	assert_int_not_equal(wc[0].status, 0);
}

/*
 * A message of 2^48 bytes or more never takes the split way, whose shares
 * are len x cum / 2^16 in 64 bits (2^49 x 2^15 wraps to 0): the general
 * way counts its chunks, more than the queues can ever hold, EMSGSIZE,
 * nothing posted. Just below 2^48 bytes, likewise. (The buffer is the
 * fixture's, described as that long: nothing reads its bytes.)
 */
static void test_split_past_2_48(void **state)
{
	static const uint64_t lens[] = { 1ull << 49, 1ull << 48,
					 (1ull << 48) - 1 };
	struct fixture *f = *state;
	unsigned int first = nwrs, c;

	f->b->len = 1ull << 49;
	for (c = 0; c < sizeof(lens) / sizeof(lens[0]); c++) {
		assert_int_equal(fp_post_send(f->g, f->b, 0, lens[c], c), EMSGSIZE);
		assert_int_equal(fp_post_recv(f->g, f->b, 0, lens[c], c), EMSGSIZE);
	}
	f->b->len = MEMLEN;
	assert_int_equal(nwrs, first);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(f->g->sp_send.total, 0);
}

/*
 * A subflow of weight 0 whose queues are full (what it carried before the
 * weights changed: on mlx5 a re-pin keeps the QPs) does not hold up a
 * split message, which goes on the subflows that have a weight.
 */
static void test_fast_split_zero_full(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	const uint32_t w[4] = { 0, 20000, 0, 45536 };
	struct fp_spread spw = { 0 }, spr = { 0 };
	unsigned int from;

	memcpy(f->g->w, w, sizeof(w));
	memcpy(f->g->rw, w, sizeof(w));
	fp_group_unready(f->g);
	f->g->sub[0].sq_used = FP_SQ_DEPTH;
	f->g->sub[0].rq_used = FP_RQ_DEPTH;
	from = nwrs;
	assert_int_equal(fp_post_write(f->g, f->b, 0, 100000, &rb, 0, 1), 0);
	assert_posted_as_split(f, from, 0, 100000, false, rb.addr, &spw);
	from = nwrs;
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 100000, 2), 0);
	assert_posted_as_split(f, from, 0, 100000, true, 0, &spr);
	f->g->sub[0].sq_used = f->g->sub[0].rq_used = 0;
}

/*
 * Split messages, one chunk a subflow, take the fast way too; its shares
 * are fp_split()'s to the byte (the receiving end may take the general
 * way: both must cut a message alike), for writes, sends and receives,
 * with uneven weights, a weight of 0, and shares over the chunk size or
 * weights that do not sum to 2^16 (the general way).
 */
static void test_fast_split(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	const uint32_t uneven[4] = { 10000, 20000, 0, 35536 };
	const uint32_t off16[4] = { 1, 2, 3, 4 };
	uint64_t lens[] = { 16384, 100003, 65536, 300000, 1000001, MEMLEN - 7 };
	struct fp_spread spw = { 0 }, sps = { 0 }, spr = { 0 };
	struct fp_wc wc[8];
	unsigned int i, j, total = 0;

	for (j = 0; j < 4; j++) {
		if (j == 1) {
			memcpy(f->g->w, uneven, sizeof(uneven));
			memcpy(f->g->rw, uneven, sizeof(uneven));
		} else if (j == 2) {
			memcpy(f->g->w, off16, sizeof(off16));
			memcpy(f->g->rw, off16, sizeof(off16));
		} else if (j == 3) {
			/* Even weights, chunks of 64 KiB: 300000's shares pass it. */
			fp_weights_equal(f->g->w, 4);
			fp_weights_equal(f->g->rw, 4);
			f->g->chunk_max = f->g->rchunk_max = 65536;
		}
		fp_group_unready(f->g);	/* what group.c does on new weights */
		for (i = 0; i < 6; i++) {
			unsigned int from = nwrs;
			uint64_t id = 100 * j + i;

			if (j == 3 && lens[i] > 300000)
				break;	/* more chunks than one poll takes */

			assert_int_equal(fp_post_write(f->g, f->b, 7, lens[i],
						       &rb, 5, id), 0);
			assert_posted_as_split(f, from, 7, lens[i], false,
					       rb.addr + 5, &spw);
			from = nwrs;
			assert_int_equal(fp_post_send(f->g, f->b, 7, lens[i],
						      id), 0);
			assert_posted_as_split(f, from, 7, lens[i], false, 0,
					       &sps);
			from = nwrs;
			assert_int_equal(fp_post_recv(f->g, f->b, 0, lens[i],
						      id), 0);
			assert_posted_as_split(f, from, 0, lens[i], true, 0,
					       &spr);
			stub_complete();
			assert_int_equal(fp_poll(f->g, wc, 8), 3);
			assert_int_equal(wc[0].op, FP_OP_WRITE);
			assert_int_equal(wc[1].op, FP_OP_SEND);
			assert_int_equal(wc[2].op, FP_OP_RECV);
			for (total = 0; total < 3; total++) {
				assert_int_equal(wc[total].wr_id, id);
				assert_int_equal(wc[total].status, 0);
				assert_true(wc[total].len == lens[i]);
			}
		}
	}
	assert_memory_equal(&spw, &f->g->sp_write, sizeof(spw));
	assert_memory_equal(&sps, &f->g->sp_send, sizeof(sps));
	assert_memory_equal(&spr, &f->g->sp_recv, sizeof(spr));
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * Completion order is kept between the fast way and the done queue: a
 * message that failed (queued) and one that completed well after it come
 * out in that order; with room for one completion only, the next waits
 * in the table for the next fp_poll().
 */
static void test_fast_order(void **state)
{
	struct fixture *f = *state;
	struct fp_wc wc[8];

	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 2), 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 3), 0);
	complete(&wrs[0], IBV_WC_REM_ACCESS_ERR);
	complete(&wrs[1], IBV_WC_SUCCESS);
	complete(&wrs[2], IBV_WC_SUCCESS);
	assert_int_equal(fp_poll(NULL, wc, 1), -EINVAL);
	assert_int_equal(fp_poll(f->g, NULL, 1), -EINVAL);
	assert_int_equal(fp_poll(f->g, wc, -1), -EINVAL);
	assert_int_equal(fp_poll(f->g, wc, 1), 1);
	assert_int_equal(wc[0].wr_id, 1);
	assert_int_equal(wc[0].status, EACCES);
	assert_int_equal(wc[0].subflow, 0);
	assert_int_equal(fp_poll(f->g, wc, 1), 1);
	assert_int_equal(wc[0].wr_id, 2);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(fp_poll(f->g, wc, 8), 1);
	assert_int_equal(wc[0].wr_id, 3);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(f->g->sub[0].sq_used + f->g->sub[1].sq_used, 0);
}

/*
 * A receive whose chunks carried less than its length fails with
 * EMSGSIZE, on the fast way as on the general one; a receive split over
 * two subflows completes once, when both chunks are in.
 */
static void test_fast_recv_short(void **state)
{
	struct fixture *f = *state;
	struct fp_wc wc[8];

	assert_int_equal(fp_post_recv(f->g, f->b, 0, 1000, 1), 0);
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 65536, 2), 0);
	assert_int_equal(nwrs, 3);
	complete(&wrs[0], IBV_WC_SUCCESS);
	cq[(cq_tail - 1) % STUB_WRS].byte_len = 999;
	complete(&wrs[1], IBV_WC_SUCCESS);
	assert_int_equal(fp_poll(f->g, wc, 8), 1);
	assert_int_equal(wc[0].wr_id, 1);
	assert_int_equal(wc[0].status, EMSGSIZE);
	assert_int_equal(fp_poll(f->g, wc, 8), 0);	/* half of 2 only */
	complete(&wrs[2], IBV_WC_SUCCESS);
	assert_int_equal(fp_poll(f->g, wc, 8), 1);
	assert_int_equal(wc[0].wr_id, 2);
	assert_int_equal(wc[0].status, 0);
	assert_true(wc[0].len == 65536);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * A late message taken the fast way moves the QP it is on to the error
 * state, and only that one: its subflow is in the message's mask.
 */
static void test_fast_expiry_subflow(void **state)
{
	struct fixture *f = *state;
	struct fp_wc wc[4];

	f->g->timeout_ns = 1;
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 2), 0);
	assert_int_equal(wr_sub(f, &wrs[0]), 0);
	assert_int_equal(wr_sub(f, &wrs[1]), 1);
	complete(&wrs[0], IBV_WC_SUCCESS);
	assert_int_equal(poll_checked(f->g, wc, 4), 1);	/* deadlines set */
	assert_int_equal(wc[0].wr_id, 1);
	usleep(1000);
	assert_int_equal(poll_checked(f->g, wc, 4), 1);
	assert_int_equal(wc[0].wr_id, 2);
	assert_int_equal(wc[0].status, ETIMEDOUT);
	assert_int_equal(qps[0].state, IBV_QPS_RESET);
	assert_int_equal(qps[1].state, IBV_QPS_ERR);
	stub_flush();
	assert_int_equal(poll_checked(f->g, wc, 4), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * A late message taken the general way (shares over the chunk size: 8
 * chunks a subflow) moves the QPs it is on to the error state and fails
 * the group, as one taken the fast way does: its subflows are in its mask.
 */
static void test_general_expiry_subflows(void **state)
{
	struct fixture *f = *state;
	struct fp_wc wc[4];

	f->g->chunk_max = 4096;
	fp_group_unready(f->g);
	late_write(f, 9, 16);
	stub_flush();
	assert_int_equal(poll_checked(f->g, wc, 4), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * A message of more chunks than the group has room for grows that room
 * first; when no memory can be had for it, the post is refused with
 * ENOMEM (not another error), nothing posted, nothing in the table, and
 * the same post goes through once memory is there.
 */
static void test_general_chunks_nomem(void **state)
{
	struct fixture *f = *state;
	struct fp_wc wc[4];

	f->g->chunk_max = 4096;
	fp_group_unready(f->g);
	fail_at = 0;
	assert_int_equal(fp_post_send(f->g, f->b, 0, 65536, 1), ENOMEM);
	fail_at = -1;
	assert_int_equal(nwrs, 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 65536, 1), 0);
	assert_int_equal(nwrs, 16);
	stub_complete();
	assert_int_equal(poll_checked(f->g, wc, 4), 1);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * A receive taken the general way whose first chunk the provider refuses:
 * its error, nothing posted, and the count of receives (the switch's cut)
 * as it was; the same receive then goes.
 */
static void test_general_recv_refused(void **state)
{
	struct fixture *f = *state;
	uint64_t before = f->g->nrecv;

	f->g->rchunk_max = 4096;
	fp_group_unready(f->g);
	post_budget = 0;
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 65536, 1), ENOMEM);
	post_budget = -1;
	assert_int_equal(nwrs, 0);
	assert_int_equal(f->g->nrecv, before);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 65536, 1), 0);
	assert_int_equal(f->g->nrecv, before + 1);
}

/*
 * A zero-length message (a send as a signal, its receive) goes as one
 * work request with no scatter entry, and completes once, before the
 * group's work requests are made and after; with no room, none goes.
 */
static void test_zero_length(void **state)
{
	struct fixture *f = *state;
	struct fp_wc wc[4];
	unsigned int i, r;

	/*
	 * Before the group's work requests are made, then after (fast ways):
	 * a zero length alone does not make them, a send of 100 bytes does.
	 */
	for (r = 0; r < 2; r++) {
		unsigned int from;

		if (r) {
			assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 9), 0);
			stub_complete();
			assert_int_equal(fp_poll(f->g, wc, 4), 1);
			assert_int_equal(wc[0].wr_id, 9);
			assert_ptr_equal(f->g->sge_ready, &f->g->sge);
		}
		from = nwrs;
		assert_int_equal(fp_post_send(f->g, f->b, 0, 0, 2 * r + 1), 0);
		assert_int_equal(fp_post_recv(f->g, f->b, 0, 0, 2 * r + 2), 0);
		assert_int_equal(nwrs, from + 2);
		assert_int_equal(wrs[from].num_sge, 0);
		assert_int_equal(wrs[from + 1].num_sge, 0);
		stub_complete();
		assert_int_equal(fp_poll(f->g, wc, 4), 2);
		assert_int_equal(wc[0].wr_id, 2 * r + 1);
		assert_int_equal(wc[0].status, 0);
		assert_true(wc[0].len == 0);
		assert_int_equal(wc[1].wr_id, 2 * r + 2);
		assert_int_equal(wc[1].status, 0);
		assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	}
	/* Every send queue full: EAGAIN, nothing posted nor taken. */
	for (i = 0; i < f->g->k; i++)
		f->g->sub[i].sq_used = FP_SQ_DEPTH;
	assert_int_equal(fp_post_send(f->g, f->b, 0, 0, 5), EAGAIN);
	assert_int_equal(nwrs, 5);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * A full queue or table is EAGAIN with nothing posted nor taken, on both
 * fast ways; a post the provider refuses leaves nothing behind either.
 */
static void test_fast_full(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	struct fp_spread before;
	struct fp_wc wc[64];
	unsigned int i, n = 0;

	f->g->sub[1].sq_used = FP_SQ_DEPTH;
	before = f->g->sp_write;
	assert_int_equal(fp_post_write(f->g, f->b, 0, 65536, &rb, 0, 1), EAGAIN);
	assert_int_equal(nwrs, 0);
	assert_memory_equal(&before, &f->g->sp_write, sizeof(before));
	/* The general way (8 chunks a subflow): room for all or nothing. */
	f->g->chunk_max = 4096;
	f->g->sub[1].sq_used = FP_SQ_DEPTH - 7;
	assert_int_equal(fp_post_write(f->g, f->b, 0, 65536, &rb, 0, 1), EAGAIN);
	assert_int_equal(nwrs, 0);
	assert_memory_equal(&before, &f->g->sp_write, sizeof(before));
	f->g->chunk_max = 1 << 20;
	f->g->sub[1].sq_used = 0;
	/* The table holds 64 messages. */
	for (i = 0; i < 64; i++)
		assert_int_equal(fp_post_write(f->g, f->b, 0, 8, &rb, 0, i), 0);
	assert_int_equal(fp_post_write(f->g, f->b, 0, 8, &rb, 0, 64), EAGAIN);
	assert_int_equal(fp_post_write(f->g, f->b, 0, 65536, &rb, 0, 64),
			 EAGAIN);
	assert_int_equal(nwrs, 64);
	stub_complete();
	while (n < 64) {
		int r = fp_poll(f->g, wc, 64);

		assert_true(r > 0);
		for (i = 0; i < (unsigned int)r; i++, n++) {
			assert_int_equal(wc[i].wr_id, n);
			assert_int_equal(wc[i].status, 0);
		}
	}
	/* The provider refuses: its error, nothing taken. */
	qps[0].state = IBV_QPS_ERR;
	qps[1].state = IBV_QPS_ERR;
	assert_int_equal(fp_post_write(f->g, f->b, 0, 8, &rb, 0, 70), EINVAL);
	assert_int_equal(fp_post_write(f->g, f->b, 0, 65536, &rb, 0, 71),
			 EINVAL);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(f->g->sub[0].sq_used + f->g->sub[1].sq_used, 0);
	assert_int_equal(fp_poll(f->g, wc, 64), 0);
}

/*
 * A split message the provider takes in part: it completes once, with the
 * provider's error, when the chunk that went out completes, even though
 * that chunk completes well (a failed message is never the common case of
 * fp_poll()).
 */
static void test_split_part_refused(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	struct fp_wc wc[4];

	qps[1].state = IBV_QPS_ERR;
	assert_int_equal(fp_post_write(f->g, f->b, 0, 65536, &rb, 0, 9), 0);
	assert_int_equal(nwrs, 1);
	assert_int_equal(f->g->sub[0].sq_used, 1);
	assert_int_equal(f->g->sub[1].sq_used, 0);
	assert_int_equal(fp_poll(f->g, wc, 4), 0);
	stub_complete();
	assert_int_equal(fp_poll(f->g, wc, 4), 1);
	assert_int_equal(wc[0].wr_id, 9);
	assert_int_equal(wc[0].status, EINVAL);
	/* The provider refused a post: no subflow's completion failed. */
	assert_int_equal(wc[0].subflow, -1);
	assert_int_equal(wc[0].vendor_status, 0);
	complete(&wrs[0], IBV_WC_SUCCESS);	/* a duplicate: nothing */
	assert_int_equal(fp_poll(f->g, wc, 4), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(f->g->sub[0].sq_used, 0);
}

/* ------------------------------------------------ fp_post_write_batch */

/* Work requests on the group's send queues. */
static unsigned int sq_sum(const struct fixture *f)
{
	unsigned int i, n = 0;

	for (i = 0; i < f->g->k; i++)
		n += f->g->sub[i].sq_used;
	return n;
}

/*
 * Writes posted in one batch are what fp_post_write() posts of each, in
 * order (same chunks, addresses, subflows), and each completes once; on
 * one subflow, a run of them goes to the provider in one call per
 * FP_BATCH; a write the fast way does not take (over the chunk size, zero
 * length) goes alone in its place.
 */
static void test_batch_order(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	struct fp_write w[40];
	struct fp_spread sp = { 0 };
	struct fp_wc wc[64];
	unsigned int i, from = 0;
	int r, n = 0;

	for (i = 0; i < 40; i++)
		w[i] = (struct fp_write){ .buf = f->b, .off = 3 * i,
					  .len = 100 + 7 * i, .rbuf = &rb,
					  .roff = 11 * i, .wr_id = 500 + i };
	f->g->chunk_max = 65536;
	w[33].len = 200000;	/* 4 chunks (general way) */
	w[34].len = 0;		/* no scatter entry (general way) */
	assert_int_equal(fp_post_write_batch(f->g, w, 40), 40);
	for (i = 0; i < 40; i++) {
		unsigned int at = from;

		if (w[i].len) {
			/* one subflow: as fp_split() cuts it, from sp */
			struct fp_chunk c[8];
			int k = fp_split(w[i].len, f->g->w, f->g->k,
					 f->g->chunk_max, f->g->split_min, &sp,
					 c, 8), j;

			assert_true(k > 0);
			for (j = 0; j < k; j++, at++) {
				assert_true(wrs[at].addr ==
					    (uintptr_t)f->mem + w[i].off + c[j].off);
				assert_true(wrs[at].len == c[j].len);
				assert_true(wrs[at].raddr ==
					    rb.addr + w[i].roff + c[j].off);
			}
		} else {
			assert_int_equal(wrs[at].num_sge, 0);
			at++;
		}
		from = at;
	}
	assert_int_equal(from, nwrs);
	/* 0..32 in two chains (32 + 1), 33 (4 chunks) and 34 alone, 35..39 */
	assert_int_equal(send_calls, 2 + 4 + 1 + 1);
	stub_complete();
	while (n < 40) {
		r = fp_poll(f->g, wc, 64);
		assert_true(r > 0);
		for (i = 0; i < (unsigned int)r; i++, n++) {
			assert_int_equal(wc[i].wr_id, 500 + n);
			assert_int_equal(wc[i].status, 0);
			assert_int_equal(wc[i].op, FP_OP_WRITE);
			assert_true(wc[i].len == w[n].len);
		}
	}
	assert_int_equal(fp_poll(f->g, wc, 64), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(f->g->sub[0].sq_used, 0);
}

/*
 * The batch stops at the first write fp_post_write() would refuse: it
 * returns how many went before it (a negative errno when it is the first),
 * and posts nothing of it nor after it; bad arguments of the call itself
 * are -EINVAL.
 */
static void test_batch_refused(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	struct fp_write w[8];
	struct fp_wc wc[16];
	unsigned int i;

	for (i = 0; i < 8; i++)
		w[i] = (struct fp_write){ .buf = f->b, .len = 64, .rbuf = &rb,
					  .wr_id = i };
	assert_int_equal(fp_post_write_batch(NULL, w, 1), -EINVAL);
	assert_int_equal(fp_post_write_batch(f->g, NULL, 1), -EINVAL);
	assert_int_equal(fp_post_write_batch(f->g, w, -1), -EINVAL);
	assert_int_equal(fp_post_write_batch(f->g, NULL, 0), 0);
	/* Out of range in the middle: the three before it go. */
	w[3].roff = MEMLEN;
	assert_int_equal(fp_post_write_batch(f->g, w, 8), 3);
	assert_int_equal(nwrs, 3);
	assert_int_equal(fp_post_write_batch(f->g, w + 3, 5), -EINVAL);
	w[3].roff = 0;
	w[4].rbuf = NULL;
	assert_int_equal(fp_post_write_batch(f->g, w + 3, 5), 1);
	w[4].rbuf = &rb;
	/* The provider takes two of four: those two are posted. */
	post_budget = 2;
	assert_int_equal(fp_post_write_batch(f->g, w + 4, 4), 2);
	assert_int_equal(nwrs, 6);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 6);
	assert_int_equal(sq_sum(f), 6);
	/* ... and none: its error, nothing taken, the next sequence kept. */
	post_budget = 0;
	assert_int_equal(fp_post_write_batch(f->g, w + 6, 2), -ENOMEM);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 6);
	assert_int_equal(sq_sum(f), 6);
	assert_int_equal(f->g->tab.m[f->g->tab.next & f->g->tab.mask].flags, 0);
	/* ... and none, naming none of the chain (bad left as it was): the same. */
	post_names_none = true;
	assert_int_equal(fp_post_write_batch(f->g, w + 6, 2), -ENOMEM);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 6);
	assert_int_equal(sq_sum(f), 6);
	assert_int_equal(f->g->tab.m[f->g->tab.next & f->g->tab.mask].flags, 0);
	post_names_none = false;
	post_budget = -1;
	assert_int_equal(fp_post_write_batch(f->g, w + 6, 2), 2);
	assert_true(fp_wrid_seq(wrs[6].wr_id) == fp_wrid_seq(wrs[5].wr_id) + 1);
	stub_complete();
	assert_int_equal(fp_poll(f->g, wc, 16), 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(wc[i].wr_id, i);
		assert_int_equal(wc[i].status, 0);
	}
	assert_int_equal(fp_poll(f->g, wc, 16), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(sq_sum(f), 0);
}

/*
 * A full table or send queue ends a batch as it refuses fp_post_write():
 * what fitted is posted, then -EAGAIN; a group that failed is -ENOTCONN.
 */
static void test_batch_full(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	struct fp_write w[70];
	struct fp_wc wc[70];
	unsigned int i, n = 0;

	for (i = 0; i < 70; i++)
		w[i] = (struct fp_write){ .buf = f->b, .len = 8, .rbuf = &rb,
					  .wr_id = i };
	/* The table holds 64 messages. */
	assert_int_equal(fp_post_write_batch(f->g, w, 70), 64);
	assert_int_equal(fp_post_write_batch(f->g, w + 64, 6), -EAGAIN);
	assert_int_equal(nwrs, 64);
	stub_complete();
	while (n < 64) {
		int r = fp_poll(f->g, wc, 70);

		assert_true(r > 0);
		for (i = 0; i < (unsigned int)r; i++, n++)
			assert_int_equal(wc[i].wr_id, n);
	}
	/* Room for two on the send queue. */
	f->g->sub[0].sq_used = FP_SQ_DEPTH - 2;
	assert_int_equal(fp_post_write_batch(f->g, w, 5), 2);
	assert_int_equal(fp_post_write_batch(f->g, w + 2, 3), -EAGAIN);
	assert_int_equal(nwrs, 66);
	f->g->sub[0].sq_used = 2;
	stub_complete();
	assert_int_equal(fp_poll(f->g, wc, 70), 2);
	assert_int_equal(f->g->sub[0].sq_used, 0);
	fp_group_fail(f->g, ETIMEDOUT);
	assert_int_equal(fp_post_write_batch(f->g, w, 5), -ENOTCONN);
	assert_int_equal(nwrs, 66);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * Over more than one subflow each write of a batch is cut and placed as
 * fp_post_write() does it (split, unsplit on the subflow behind its
 * share), and completes once.
 */
static void test_batch_split(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	uint64_t lens[] = { 16384, 100, 100003, 5000, 65536, 1 };
	struct fp_spread sp = { 0 };
	struct fp_write w[6];
	struct fp_wc wc[8];
	unsigned int i, from = 0;

	for (i = 0; i < 6; i++)
		w[i] = (struct fp_write){ .buf = f->b, .off = 7, .len = lens[i],
					  .rbuf = &rb, .roff = 5, .wr_id = i };
	assert_int_equal(fp_post_write_batch(f->g, w, 6), 6);
	/* assert_posted_as_split() checks through nwrs: one at a time */
	for (i = 0; i < 6; i++) {
		struct fp_chunk c[16];
		struct fp_spread before = sp;
		int k = fp_split(lens[i], f->g->w, f->g->k, f->g->chunk_max,
				 f->g->split_min, &before, c, 16);
		unsigned int save = nwrs;

		assert_true(k > 0);
		nwrs = from + (unsigned int)k;
		assert_posted_as_split(f, from, 7, lens[i], false, rb.addr + 5,
				       &sp);
		nwrs = save;
		from += (unsigned int)k;
	}
	assert_int_equal(from, nwrs);
	assert_memory_equal(&sp, &f->g->sp_write, sizeof(sp));
	stub_complete();
	assert_int_equal(fp_poll(f->g, wc, 8), 6);
	for (i = 0; i < 6; i++) {
		assert_int_equal(wc[i].wr_id, i);
		assert_int_equal(wc[i].status, 0);
		assert_true(wc[i].len == lens[i]);
	}
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * One subflow: the way with no split and no spread, where post_one() takes
 * the slot and the queue's room before the provider is called. Every
 * refusal leaves the table and the queue as they were, a slot is reused
 * with a new sequence number (its generation) in the chunk's wr_id, and no
 * completion is ever delivered twice: not a duplicate, not one of an
 * older message of the same slot, not one past the room fp_poll() was
 * given.
 */
static int setup1(void **state)
{
	return setup_k(state, 1);
}

static void test_one_refused(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	struct fp_wc wc[4];
	uint64_t next = f->g->tab.next;

	/* A full send queue: EAGAIN, nothing posted nor taken. */
	f->g->sub[0].sq_used = FP_SQ_DEPTH;
	assert_int_equal(fp_post_write(f->g, f->b, 0, 8, &rb, 0, 1), EAGAIN);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 8, 1), EAGAIN);
	f->g->sub[0].sq_used = 0;
	f->g->sub[0].rq_used = FP_RQ_DEPTH;
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 8, 1), EAGAIN);
	f->g->sub[0].rq_used = 0;
	assert_int_equal(nwrs, 0);
	/* The provider refuses: its error, the slot and the room given back. */
	qps[0].state = IBV_QPS_ERR;
	assert_int_equal(fp_post_write(f->g, f->b, 0, 8, &rb, 0, 2), EINVAL);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 8, 2), EINVAL);
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 8, 2), EINVAL);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_true(f->g->tab.next == next);
	assert_int_equal(f->g->sub[0].sq_used, 0);
	assert_int_equal(f->g->sub[0].rq_used, 0);
	assert_int_equal(f->g->tab.m[next & f->g->tab.mask].flags, 0);
	qps[0].state = IBV_QPS_RTS;
	/* The same slot, the same sequence number, taken by the next post. */
	assert_int_equal(fp_post_write(f->g, f->b, 0, 8, &rb, 0, 3), 0);
	assert_int_equal(nwrs, 1);
	assert_true(fp_wrid_seq(wrs[0].wr_id) == next);
	assert_int_equal(f->g->sub[0].sq_used, 1);
	stub_complete();
	assert_int_equal(fp_poll(f->g, wc, 4), 1);
	assert_int_equal(wc[0].wr_id, 3);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(wc[0].op, FP_OP_WRITE);
	assert_true(wc[0].len == 8);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(f->g->sub[0].sq_used, 0);
}

static void test_one_generation(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	unsigned int cap = f->g->tab.cap, i;
	struct fp_wc wc[4];
	struct stub_wr old;
	uint64_t stale;

	/* A full table: EAGAIN, nothing posted. */
	for (i = 0; i < cap; i++)
		assert_int_equal(fp_post_write(f->g, f->b, 0, 8, &rb, 0, i), 0);
	assert_int_equal(fp_post_write(f->g, f->b, 0, 8, &rb, 0, cap), EAGAIN);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 8, cap), EAGAIN);
	assert_int_equal(nwrs, cap);
	/* Room for one completion a call: each once, in order. */
	stub_complete();
	for (i = 0; i < cap; i++) {
		assert_int_equal(fp_poll(f->g, wc, 1), 1);
		assert_int_equal(wc[0].wr_id, i);
		assert_int_equal(wc[0].status, 0);
	}
	assert_int_equal(fp_poll(f->g, wc, 4), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	/*
	 * The next message takes the first message's slot with a new
	 * sequence number: a late (duplicate) completion of the first is not
	 * taken for it, and the message completes once, with its own wr_id.
	 */
	old = wrs[0];
	stale = f->g->tab.stale;
	assert_int_equal(fp_post_send(f->g, f->b, 0, 8, 1000), 0);
	assert_true((fp_wrid_seq(wrs[cap].wr_id) & f->g->tab.mask) ==
		    (fp_wrid_seq(old.wr_id) & f->g->tab.mask));
	assert_true(wrs[cap].wr_id != old.wr_id);
	complete(&old, IBV_WC_SUCCESS);
	assert_int_equal(fp_poll(f->g, wc, 4), 0);
	assert_true(f->g->tab.stale == stale + 1);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 1);
	complete(&wrs[cap], IBV_WC_SUCCESS);
	assert_int_equal(fp_poll(f->g, wc, 4), 1);
	assert_int_equal(wc[0].wr_id, 1000);
	assert_int_equal(wc[0].op, FP_OP_SEND);
	/* The same completion again: nothing. */
	complete(&wrs[cap], IBV_WC_SUCCESS);
	assert_int_equal(fp_poll(f->g, wc, 4), 0);
	assert_true(f->g->tab.stale == stale + 2);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * Completions past the room fp_poll() was given wait on the done queue,
 * in order, behind which nothing overtakes them; receives count their
 * bytes on the way (one short fails with EMSGSIZE).
 */
static void test_one_room(void **state)
{
	struct fixture *f = *state;
	struct fp_wc wc[8];
	int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1 + i), 0);
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 1000, 4), 0);
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 1000, 5), 0);
	stub_complete();
	cq[(cq_tail - 1) % STUB_WRS].byte_len = 999;
	assert_int_equal(fp_poll(f->g, wc, 1), 1);
	assert_int_equal(wc[0].wr_id, 1);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 6), 0);
	complete(&wrs[5], IBV_WC_SUCCESS);
	assert_int_equal(fp_poll(f->g, wc, 8), 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(wc[i].wr_id, 2 + i);
	assert_int_equal(wc[2].op, FP_OP_RECV);
	assert_int_equal(wc[2].status, 0);
	assert_true(wc[2].len == 1000);
	assert_int_equal(wc[3].status, EMSGSIZE);
	assert_int_equal(wc[4].status, 0);
	assert_int_equal(fp_poll(f->g, wc, 8), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(f->g->sub[0].sq_used + f->g->sub[0].rq_used, 0);
}

/* ------------------------------------------------------------ issue 11 */

/* The bootstrap messages of group.c, as a peer sends them (the protocol). */
#define HELLO_MAGIC	0x46504732u	/* "FPG2" */

struct hello {
	uint32_t magic;
	uint32_t version;
	uint32_t k;
	uint32_t pad;
	uint8_t addr[16];	/* IPv6, or IPv4-mapped IPv4 */
};

/* 127.0.0.1 as the hello carries it. */
static const uint8_t loopback_mapped[16] = { [10] = 0xff, [11] = 0xff,
					     [12] = 127, [15] = 1 };

struct qpinfo {
	uint8_t gid[16];
	uint32_t mtu;
	uint32_t k;
	uint64_t chunk_max;
	uint64_t split_min;
	uint32_t qpn[FP_MAX_SUBFLOWS];
	uint32_t weight[FP_MAX_SUBFLOWS];
};

static void peer_says(struct fixture *f, uint32_t k, const struct qpinfo *qi)
{
	struct hello h = { .magic = HELLO_MAGIC, .version = FP_ABI_VERSION,
			   .k = k };
	char ready = 1;

#ifdef HAVE_MLX5DV
	{
		char keep = 0;	/* fp_group_repin's "keep the QPs?": no */

		assert_int_equal(write(f->peer, &keep, 1), 1);
	}
#endif
	assert_int_equal(write(f->peer, &h, sizeof(h)), sizeof(h));
	if (qi) {
		assert_int_equal(write(f->peer, qi, sizeof(*qi)), sizeof(*qi));
		assert_int_equal(write(f->peer, &ready, 1), 1);
	}
}

/* What a correct peer of k subflows says about its side. */
static struct qpinfo good_peer(uint32_t k)
{
	struct qpinfo qi = { .mtu = IBV_MTU_1024, .k = k,
			     .chunk_max = 1 << 20, .split_min = 16384 };
	uint32_t i;

	fp_weights_equal(qi.weight, k);
	for (i = 0; i < k; i++)
		qi.qpn[i] = 0x500 + i;
	return qi;
}

static void assert_group_intact(struct fixture *f, struct ibv_qp **old,
				unsigned int k)
{
	unsigned int i;

	assert_int_equal(f->g->k, k);
	for (i = 0; i < k; i++) {
		assert_ptr_equal(f->g->sub[i].qp, old[i]);
		assert_non_null(stub_of(old[i]));
	}
	assert_false(qp_bad_destroy);
}

/*
 * QP creation failing part-way (the N-th of four new QPs: a QP or memlock
 * limit): exactly the N - 1 made are destroyed, nothing else is touched,
 * the error is the one creation gave, and the group keeps the QPs it had.
 * A group of four first, then failing early and late, leaves pointers of
 * QPs (the group's, those a try destroyed) where a try's unused slots are:
 * the unwinding must not take them for QPs of its own.
 */
static void test_pin_fails_partway(void **state)
{
	struct fixture *f = *state;
	struct qpinfo qi = good_peer(4);
	struct ibv_qp *old[4];
	static const unsigned int order[] = { 1, 4, 1, 3, 2 };
	unsigned int i;

	/* First a group of 4, so that its QPs' pointers are all about. */
	peer_says(f, 4, &qi);
	assert_int_equal(fp_group_repin(f->g), 0);
	for (i = 0; i < 4; i++)
		old[i] = f->g->sub[i].qp;
	for (i = 0; i < 5; i++) {
		unsigned int made = qp_created, gone = qp_destroyed;
		unsigned int at = order[i];

		peer_says(f, 4, NULL);
		qp_fail_at = qp_calls + at;
		assert_int_equal(fp_group_repin(f->g), ENOMEM);
		assert_int_equal(qp_created - made, at - 1);
		assert_int_equal(qp_destroyed - gone, at - 1);
		assert_group_intact(f, old, 4);
	}
}

/*
 * The peer's side of the exchange is checked before anything is connected:
 * each lie refused with EPROTO, the QPs made for it destroyed, the group
 * as it was.
 */
enum lie_field { L_K, L_CHUNK, L_SPLIT, L_WEIGHT, L_MTU, L_QPN };

static void lie(struct qpinfo *qi, enum lie_field f, unsigned int i,
		uint64_t v)
{
	switch (f) {
	case L_K:
		qi->k = (uint32_t)v;
		break;
	case L_CHUNK:
		qi->chunk_max = v;
		break;
	case L_SPLIT:
		qi->split_min = v;
		break;
	case L_WEIGHT:
		qi->weight[i] = (uint32_t)v;
		break;
	case L_MTU:
		qi->mtu = (uint32_t)v;
		break;
	case L_QPN:
		qi->qpn[i] = (uint32_t)v;
		break;
	}
}

static void test_pin_refuses_peer(void **state)
{
	static const struct {
		enum lie_field f;
		unsigned int i;
		uint64_t v;
		enum lie_field f2;	/* a second lie in the same message */
		uint64_t v2;
	} lies[] = {
		{ L_K, 0, 3, L_K, 3 },
		{ L_CHUNK, 0, 0, L_CHUNK, 0 },
		{ L_CHUNK, 0, FP_GROUP_MAX_CHUNK + 1, L_CHUNK, FP_GROUP_MAX_CHUNK + 1 },
		{ L_CHUNK, 0, 1ull << 33, L_CHUNK, 1ull << 33 },	/* > 4 GiB */
		{ L_SPLIT, 0, 0, L_SPLIT, 0 },
		{ L_WEIGHT, 0, 1, L_WEIGHT, 1 },			/* sum != 2^16 */
		{ L_WEIGHT, 0, 0xffffffffu, L_K, 2 },			/* 2^32 - 1 + ... */
		{ L_WEIGHT, 2, 5, L_WEIGHT, 5 },			/* beyond k */
		{ L_QPN, 2, 0x600, L_QPN, 0x600 },		/* beyond k, alone */
		{ L_MTU, 0, 0, L_MTU, 0 },
		{ L_MTU, 0, 6, L_MTU, 6 },
		{ L_QPN, 1, 1u << 24, L_QPN, 1u << 24 },
		{ L_QPN, 0, 1, L_QPN, 1 },
	};
	struct fixture *f = *state;
	struct ibv_qp *old[2] = { f->g->sub[0].qp, f->g->sub[1].qp };
	struct qpinfo qi;
	size_t c;

	for (c = 0; c < sizeof(lies) / sizeof(lies[0]); c++) {
		unsigned int made = qp_created, gone = qp_destroyed;
		int sv[2];

		qi = good_peer(2);
		lie(&qi, lies[c].f, lies[c].i, lies[c].v);
		lie(&qi, lies[c].f2, lies[c].i, lies[c].v2);
		peer_says(f, 2, &qi);
		if (fp_group_repin(f->g) != EPROTO)
			fail_msg("case %zu: not refused", c);
		assert_int_equal(qp_created - made, 2);
		assert_int_equal(qp_destroyed - gone, 2);
		assert_group_intact(f, old, 2);
		/* What the refused exchange left unread goes with it. */
		close(f->peer);
		close(f->g->fd);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		f->g->fd = sv[0];
		f->peer = sv[1];
	}
}

/*
 * The peer's hello is checked before any QP is made: no subflows, or more
 * than FP_MAX_SUBFLOWS, is EPROTO, and the group stays as it was.
 */
static void test_pin_refuses_hello(void **state)
{
	static const uint32_t ks[] = { 0, FP_MAX_SUBFLOWS + 1 };
	struct fixture *f = *state;
	struct ibv_qp *old[2] = { f->g->sub[0].qp, f->g->sub[1].qp };
	size_t c;

	for (c = 0; c < sizeof(ks) / sizeof(ks[0]); c++) {
		unsigned int made = qp_created;

		peer_says(f, ks[c], NULL);
		if (fp_group_repin(f->g) != EPROTO)
			fail_msg("a hello of %u subflows: not refused", ks[c]);
		assert_int_equal(qp_created, made);
		assert_group_intact(f, old, 2);
	}
}

#ifdef HAVE_MLX5DV
/*
 * QPs are kept only where new source ports can be set on them (mlx5) and
 * the group has not failed (QPs in the error state): here, on a device
 * that is not mlx5, healthy or failed, the group says no even when the
 * peer would keep its own, and new QPs replace the old ones.
 */
static void test_repin_new_qps(void **state)
{
	const struct hello h = { .magic = HELLO_MAGIC, .version = FP_ABI_VERSION,
				 .k = 2 };
	const struct qpinfo qi = good_peer(2);
	struct fixture *f = *state;
	char keep = 1, ready = 1, ours;
	struct hello oh;
	struct qpinfo oqi;
	int broken;

	for (broken = 0; broken < 2; broken++) {
		unsigned int gone = qp_destroyed;

		f->g->error = broken ? ETIMEDOUT : 0;
		assert_int_equal(write(f->peer, &keep, 1), 1);
		assert_int_equal(write(f->peer, &h, sizeof(h)), sizeof(h));
		assert_int_equal(write(f->peer, &qi, sizeof(qi)), sizeof(qi));
		assert_int_equal(write(f->peer, &ready, 1), 1);
		assert_int_equal(fp_group_repin(f->g), 0);
		ours = 1;
		assert_int_equal(fp_sock_io(f->peer, &ours, 1, false, 1000), 0);
		assert_int_equal(ours, 0);
		/* the rest of our side of the pin */
		assert_int_equal(fp_sock_io(f->peer, &oh, sizeof(oh), false, 1000), 0);
		assert_int_equal(fp_sock_io(f->peer, &oqi, sizeof(oqi), false, 1000), 0);
		assert_int_equal(fp_sock_io(f->peer, &ours, 1, false, 1000), 0);
		assert_int_equal(qp_destroyed - gone, 2);
		assert_int_equal(f->g->error, 0);
		assert_false(qp_bad_destroy);
	}
}

/*
 * On mlx5 (source ports can be set on live QPs), a healthy group whose
 * peer keeps its QPs too keeps its own: each gets its new label's source
 * port, the plan's labels and weights are taken, no QP is made or
 * destroyed, and nothing of a pin follows.
 */
static void test_repin_keeps_qps_mlx5(void **state)
{
	struct fixture *f = *state;
	struct fp_hostplan_entry *e = calloc(1, sizeof(*e));
	unsigned int gone = qp_destroyed, made = qp_created;
	char keep = 1, ours = 0;

	assert_non_null(e);
	snprintf(f->ctx->dev[0].name, sizeof(f->ctx->dev[0].name), "mlx5_0");
	f->g->local = fp_addr_v4(htonl(0xc6120001));	/* 198.18.0.1 */
	f->g->peer = fp_addr_v4(htonl(0xc6120005));
	*e = (struct fp_hostplan_entry){ .local = f->g->local, .remote = f->g->peer,
					 .dqpn = FP_DQPN_ANY, .nsub = 2 };
	e->sub[0] = (struct fp_subflow){ .flow_label = 7, .sport = fp_label_to_sport(7),
					 .weight = 16384 };
	e->sub[1] = (struct fp_subflow){ .flow_label = 9, .sport = fp_label_to_sport(9),
					 .weight = 49152 };
	f->ctx->plan.source = FP_PLAN_FILE;
	f->ctx->plan.hp = (struct fp_hostplan){ .generation = 5, .n = 1, .cap = 1, .e = e };
	assert_int_equal(write(f->peer, &keep, 1), 1);
	assert_int_equal(fp_group_repin(f->g), 0);
	assert_int_equal(fp_sock_io(f->peer, &ours, 1, false, 1000), 0);
	assert_int_equal(ours, 1);
	assert_true(peer_has_nothing(f));
	assert_int_equal(qp_destroyed, gone);
	assert_int_equal(qp_created, made);
	assert_int_equal(nsport, 2);
	assert_ptr_equal(sport_qp[0], f->g->sub[0].qp);
	assert_int_equal(sport_set[0], fp_label_to_sport(7));
	assert_ptr_equal(sport_qp[1], f->g->sub[1].qp);
	assert_int_equal(sport_set[1], fp_label_to_sport(9));
	assert_int_equal(f->g->sub[1].label, 9);
	assert_int_equal(f->g->w[0], 16384);
	assert_int_equal(f->g->w[1], 49152);
}
#endif

/*
 * fp_poll() with a message waiting on the done queue and more in the CQ,
 * one of which fails: the queue's first, then the CQ's, each once, from
 * the start of the caller's array.
 */
static void test_poll_queue_then_cq(void **state)
{
	struct fixture *f = *state;
	unsigned int first = nwrs;
	struct fp_wc wc[4];
	uint64_t i;

	for (i = 1; i <= 4; i++)
		assert_int_equal(fp_post_send(f->g, f->b, 0, 100, i), 0);
	assert_int_equal(nwrs - first, 4);
	complete(&wrs[first], IBV_WC_SUCCESS);
	complete(&wrs[first + 1], IBV_WC_SUCCESS);
	/* room for one: the second waits on the done queue */
	assert_int_equal(fp_poll(f->g, wc, 1), 1);
	assert_int_equal(wc[0].wr_id, 1);
	complete(&wrs[first + 2], IBV_WC_SUCCESS);
	complete(&wrs[first + 3], IBV_WC_REM_ACCESS_ERR);
	memset(wc, 0, sizeof(wc));
	assert_int_equal(fp_poll(f->g, wc, 4), 3);
	assert_int_equal(wc[0].wr_id, 2);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(wc[1].wr_id, 3);
	assert_int_equal(wc[1].status, 0);
	assert_int_equal(wc[2].wr_id, 4);
	assert_int_not_equal(wc[2].status, 0);
}

/*
 * Weights 1/4 and 3/4, chunks of 64 KiB, 100000 bytes: the first share
 * (25000) fits a chunk, the second (75000) does not, so the message is cut
 * the general way: no chunk over the chunk size, 25000 bytes on subflow 0
 * and 75000 on subflow 1, all of it once. Likewise a first share of one
 * byte over the chunk size and a second within it (weights 40000 and
 * 25536, 107376 bytes: 65537 and 41839).
 */
static void test_split_second_share_over(void **state)
{
	/* the second share over (75000); the first one byte over (65537) */
	static const uint32_t w[2][2] = { { 16384, 49152 }, { 40000, 25536 } };
	static const uint64_t len[2] = { 100000, 107376 };
	static const uint64_t share[2][2] = { { 25000, 75000 }, { 65537, 41839 } };
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	unsigned int c, first, i;

	for (c = 0; c < 2; c++) {
		uint64_t on[2] = { 0, 0 };

		memcpy(f->g->w, w[c], sizeof(w[c]));
		f->g->chunk_max = 65536;
		fp_group_unready(f->g);
		first = nwrs;
		assert_int_equal(fp_post_write(f->g, f->b, 0, len[c], &rb, 0,
					       c + 1), 0);
		assert_true(nwrs - first >= 3);
		for (i = first; i < nwrs; i++) {
			if (wrs[i].len > 65536)
				fail_msg("a chunk of %u bytes, over the chunk size",
					 wrs[i].len);
			on[wr_sub(f, &wrs[i])] += wrs[i].len;
		}
		assert_int_equal(on[0], share[c][0]);
		assert_int_equal(on[1], share[c][1]);
	}
}

/*
 * A group that went from 4 subflows to 2 (a re-pin after both ends' plans
 * shrank: pin() sets the weights of the new k only, those past it stay):
 * a split message goes over its 2 subflows alone, half on each.
 */
static void test_split_after_shrink(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	uint64_t on[2] = { 0, 0 };
	unsigned int first = nwrs, i;

	assert_true(f->g->w[2] && f->g->w[3]);	/* the 4 subflows' weights */
	f->g->k = 2;
	f->g->w[0] = f->g->w[1] = FP_WEIGHT_ONE / 2;
	fp_group_unready(f->g);
	assert_int_equal(fp_post_write(f->g, f->b, 0, 65536, &rb, 0, 1), 0);
	assert_int_equal(nwrs - first, 2);
	for (i = first; i < nwrs; i++)
		on[wr_sub(f, &wrs[i])] += wrs[i].len;
	assert_int_equal(on[0], 32768);
	assert_int_equal(on[1], 32768);
}

/* fp_group_xchg() with bytes to move and no buffer on one side: EINVAL. */
static void test_xchg_null(void **state)
{
	struct fixture *f = *state;
	char b[4] = "abc";

	assert_int_equal(fp_group_xchg(f->g, NULL, b, sizeof(b)), EINVAL);
	assert_int_equal(fp_group_xchg(f->g, b, NULL, sizeof(b)), EINVAL);
	assert_int_equal(fp_group_xchg(NULL, b, b, sizeof(b)), EINVAL);
	assert_true(peer_has_nothing(f));
}

/*
 * fp_group_xchg() with a stale EINTR in errno (from the caller, not from
 * its own poll()): the bytes go both ways as ever.
 */
static void test_xchg_stale_eintr(void **state)
{
	struct fixture *f = *state;
	char in[3], got[3];

	assert_int_equal(write(f->peer, "xyz", 3), 3);
	errno = EINTR;
	assert_int_equal(fp_group_xchg(f->g, "abc", in, 3), 0);
	assert_memory_equal(in, "xyz", 3);
	assert_int_equal(fp_sock_io(f->peer, got, 3, false, 1000), 0);
	assert_memory_equal(got, "abc", 3);
}

/*
 * A re-pin whose peer stops sending before its hello (it said whether it
 * keeps its QPs, where that is asked, then shut its side): ECONNRESET, the
 * exchange's own error, and no QP made.
 */
static void test_repin_no_hello(void **state)
{
	struct fixture *f = *state;
	unsigned int made = qp_created;

#ifdef HAVE_MLX5DV
	{
		char keep = 0;

		assert_int_equal(write(f->peer, &keep, 1), 1);
	}
#endif
	assert_int_equal(shutdown(f->peer, SHUT_WR), 0);
	assert_int_equal(fp_group_repin(f->g), ECONNRESET);
	assert_int_equal(qp_created, made);
}

/*
 * A re-pin whose peer leaves after its QP numbers, before its ready byte:
 * ECONNRESET, the QPs made for it destroyed, the group's own kept.
 */
static void test_repin_no_ready(void **state)
{
	struct fixture *f = *state;
	struct qpinfo qi = good_peer(2);
	struct ibv_qp *old[2] = { f->g->sub[0].qp, f->g->sub[1].qp };
	unsigned int made = qp_created, gone = qp_destroyed;

	peer_says(f, 2, NULL);
	assert_int_equal(write(f->peer, &qi, sizeof(qi)), sizeof(qi));
	assert_int_equal(shutdown(f->peer, SHUT_WR), 0);
	assert_int_equal(fp_group_repin(f->g), ECONNRESET);
	assert_int_equal(qp_created - made, 2);
	assert_int_equal(qp_destroyed - gone, 2);
	assert_group_intact(f, old, 2);
}

/* fp_buf_export() with no group or no buffer: EINVAL. */
static void test_export_null(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb;

	assert_int_equal(fp_buf_export(NULL, f->b, &rb), EINVAL);
	assert_int_equal(fp_buf_export(f->g, NULL, &rb), EINVAL);
	assert_int_equal(fp_buf_export(f->g, f->b, NULL), EINVAL);
}

/* A plan of @n subflows for the fixture's pair: labels 7, 9, 11, ... */
static void plan_of(struct fixture *f, unsigned int n, const uint32_t *w)
{
	struct fp_hostplan_entry *e = calloc(1, sizeof(*e));
	unsigned int i;

	assert_non_null(e);
	f->g->local = fp_addr_v4(htonl(0xc6120001));	/* 198.18.0.1 */
	f->g->peer = fp_addr_v4(htonl(0xc6120005));
	*e = (struct fp_hostplan_entry){ .local = f->g->local, .remote = f->g->peer,
					 .dqpn = FP_DQPN_ANY, .nsub = n };
	for (i = 0; i < n; i++)
		e->sub[i] = (struct fp_subflow){ .flow_label = 7 + 2 * i,
						 .sport = fp_label_to_sport(7 + 2 * i),
						 .weight = w[i] };
	fp_hostplan_free(&f->ctx->plan.hp);
	f->ctx->plan.source = FP_PLAN_FILE;
	f->ctx->plan.hp = (struct fp_hostplan){ .generation = 5, .n = 1, .cap = 1, .e = e };
}

/*
 * fp_group_plan_changed(): a group pinned as its plan says is unchanged,
 * also with more subflows than the plan (the peer asked for them: weight
 * 0, labels over again); a plan of more subflows than the group, the
 * group's first among them, is a change.
 */
static void test_plan_changed_k(void **state)
{
	static const uint32_t w2[2] = { 16384, 49152 }, w3[3] = { 16384, 32768, 16384 };
	struct fixture *f = *state;
	unsigned int i;

	plan_of(f, 2, w2);
	for (i = 0; i < 2; i++) {
		f->g->sub[i].label = 7 + 2 * i;
		f->g->sub[i].weight = f->g->w[i] = w2[i];
	}
	assert_int_equal(fp_group_plan_changed(f->g), 0);
	/* Subflow 0 alone pinned otherwise (its label, then its weight). */
	f->g->sub[0].label = 8;
	assert_int_equal(fp_group_plan_changed(f->g), 1);
	f->g->sub[0].label = 7;
	f->g->sub[0].weight = w2[0] + 1;
	assert_int_equal(fp_group_plan_changed(f->g), 1);
	f->g->sub[0].weight = w2[0];
	assert_int_equal(fp_group_plan_changed(f->g), 0);
	/* Four subflows, the peer's k: the last two carry nothing our way. */
	f->g->k = 4;
	for (i = 2; i < 4; i++) {
		f->g->sub[i].label = 7 + 2 * (i % 2);
		f->g->sub[i].weight = f->g->w[i] = 0;
	}
	assert_int_equal(fp_group_plan_changed(f->g), 0);
	f->g->k = 2;
	/* Three in the plan now, the group's two first: a change. */
	f->g->sub[1].weight = f->g->w[1] = w3[1];
	plan_of(f, 3, w3);
	assert_int_equal(fp_group_plan_changed(f->g), 1);
}

/*
 * More failures queued (the peer gone: 60 sends) than one batch of the
 * done queue (32), taken with room for 40 (the array's end is ASan's):
 * 40, then 20, each once, never past the room.
 */
static void test_poll_queue_batches(void **state)
{
	struct fixture *f = *state;
	struct fp_wc *wc = calloc(40, sizeof(*wc));
	unsigned int seen[60] = { 0 }, i;
	int got, r;

	assert_non_null(wc);
	for (i = 0; i < 60; i++)
		assert_int_equal(fp_post_send(f->g, f->b, 0, 100, i), 0);
	peer_leaves(f);
	for (r = 0; r < 2; r++) {
		got = poll_checked(f->g, wc, 40);
		assert_int_equal(got, r ? 20 : 40);
		for (i = 0; i < (unsigned int)got; i++) {
			assert_true(wc[i].wr_id < 60);
			assert_int_not_equal(wc[i].status, 0);
			seen[wc[i].wr_id]++;
		}
	}
	for (i = 0; i < 60; i++)
		assert_int_equal(seen[i], 1);
	free(wc);
}

/*
 * The done queue refilled by the CQ in the same fp_poll(), with room for
 * three (the array's end is ASan's): the message waiting on the queue,
 * then the CQ's success the quick way, then a failure that queues itself
 * and the two successes behind it: the failure fills the room, exactly,
 * and the two wait for the next call, in order.
 */
static void test_poll_queue_refilled(void **state)
{
	struct fixture *f = *state;
	unsigned int first = nwrs;
	struct fp_wc *wc = calloc(3, sizeof(*wc));
	uint64_t i;

	assert_non_null(wc);
	for (i = 1; i <= 6; i++)
		assert_int_equal(fp_post_send(f->g, f->b, 0, 100, i), 0);
	assert_int_equal(nwrs - first, 6);
	complete(&wrs[first], IBV_WC_SUCCESS);
	complete(&wrs[first + 1], IBV_WC_SUCCESS);
	/* room for one: the second waits on the done queue */
	assert_int_equal(fp_poll(f->g, wc, 1), 1);
	assert_int_equal(wc[0].wr_id, 1);
	complete(&wrs[first + 2], IBV_WC_SUCCESS);
	complete(&wrs[first + 3], IBV_WC_REM_ACCESS_ERR);
	complete(&wrs[first + 4], IBV_WC_SUCCESS);
	complete(&wrs[first + 5], IBV_WC_SUCCESS);
	assert_int_equal(fp_poll(f->g, wc, 3), 3);
	assert_int_equal(wc[0].wr_id, 2);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(wc[1].wr_id, 3);
	assert_int_equal(wc[1].status, 0);
	assert_int_equal(wc[2].wr_id, 4);
	assert_int_not_equal(wc[2].status, 0);
	assert_int_equal(fp_poll(f->g, wc, 3), 2);
	assert_int_equal(wc[0].wr_id, 5);
	assert_int_equal(wc[1].wr_id, 6);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	free(wc);
}

/*
 * Room for two: a success taken the quick way, then two failures (taken
 * the general way, through the done queue): the first failure fills the
 * caller's array, exactly, and the second waits for the next call.
 */
static void test_poll_rest_room(void **state)
{
	struct fixture *f = *state;
	unsigned int first = nwrs;
	struct fp_wc *wc = calloc(2, sizeof(*wc));	/* its end is ASan's */
	uint64_t i;

	assert_non_null(wc);
	for (i = 1; i <= 3; i++)
		assert_int_equal(fp_post_send(f->g, f->b, 0, 100, i), 0);
	assert_int_equal(nwrs - first, 3);
	complete(&wrs[first], IBV_WC_SUCCESS);
	complete(&wrs[first + 1], IBV_WC_REM_ACCESS_ERR);
	complete(&wrs[first + 2], IBV_WC_REM_ACCESS_ERR);
	assert_int_equal(fp_poll(f->g, wc, 2), 2);
	assert_int_equal(wc[0].wr_id, 1);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(wc[1].wr_id, 2);
	assert_int_not_equal(wc[1].status, 0);
	assert_int_equal(fp_poll(f->g, wc, 2), 1);
	assert_int_equal(wc[0].wr_id, 3);
	assert_int_not_equal(wc[0].status, 0);
	free(wc);
}

/*
 * One completion (fp_poll()'s way without the loop) and no room for it
 * (n = 0): it waits on the done queue, its send queue's room given back
 * once, and the next call hands it out; likewise a receive, whose bytes
 * are counted once.
 */
static void test_poll_one_no_room(void **state)
{
	struct fixture *f = *state;
	unsigned int first = nwrs;
	struct fp_wc wc[1];

	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 9), 0);
	assert_int_equal(nwrs - first, 1);
	assert_int_equal(f->g->sub[0].sq_used, 1);
	complete(&wrs[first], IBV_WC_SUCCESS);
	assert_int_equal(fp_poll(f->g, wc, 0), 0);
	assert_int_equal(f->g->sub[0].sq_used, 0);
	assert_int_equal(fp_poll(f->g, wc, 1), 1);
	assert_int_equal(wc[0].wr_id, 9);
	assert_int_equal(wc[0].status, 0);
	assert_true(wc[0].len == 100);

	assert_int_equal(fp_post_recv(f->g, f->b, 0, 100, 10), 0);
	assert_int_equal(f->g->sub[0].rq_used, 1);
	complete(&wrs[first + 1], IBV_WC_SUCCESS);
	assert_int_equal(fp_poll(f->g, wc, 0), 0);
	assert_int_equal(f->g->sub[0].rq_used, 0);
	assert_int_equal(fp_poll(f->g, wc, 1), 1);
	assert_int_equal(wc[0].wr_id, 10);
	assert_int_equal(wc[0].status, 0);
	assert_true(wc[0].len == 100);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * Deadlines and the peer are checked on every FP_POLL_CHECK_EVERY-th poll
 * that finds completions, not before: with a message in flight, a peer
 * gone is noticed on that one, which hands out its completion, then the
 * message in flight failed; the count starts again.
 */
static void test_poll_check_cadence(void **state)
{
	struct fixture *f = *state;
	struct fp_wc wc[4];
	unsigned int i;

	peer_leaves(f);
	f->g->tab.polls = 0;
	f->g->next_check_ns = 0;
	for (i = 1; i <= FP_POLL_CHECK_EVERY; i++) {
		unsigned int first = nwrs;

		assert_int_equal(f->g->error, 0);
		assert_int_equal(fp_post_send(f->g, f->b, 0, 100, i), 0);
		/* in flight through the last poll */
		if (i == FP_POLL_CHECK_EVERY)
			assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1000),
					 0);
		complete(&wrs[first], IBV_WC_SUCCESS);
		assert_int_equal(fp_poll(f->g, wc, 4),
				 i < FP_POLL_CHECK_EVERY ? 1 : 2);
		assert_int_equal(wc[0].wr_id, i);
		assert_int_equal(wc[0].status, 0);
	}
	assert_int_equal(f->g->error, ECONNRESET);
	assert_int_equal(wc[1].wr_id, 1000);
	assert_int_equal(wc[1].status, ECONNRESET);
	assert_int_equal(f->g->tab.polls, 0);
}

/* ------------------------------------------- the inline fast path */

/*
 * fp_fast_poll() until @want completions are in @wc (one chunk of a split
 * message may give none, its last more than one): how many came.
 */
static int fast_poll_all(const struct fp_fast *d, struct fp_wc *wc, int want)
{
	int got = 0, r, tries;

	for (tries = 0; got < want && tries < 1000; tries++) {
		r = fp_fast_poll(d, wc + got, want - got);
		assert_true(r >= 0);
		got += r;
	}
	return got;
}

/* @g's fast path descriptors, for @f's buffer. */
static void fast_open(struct fixture *f, struct fp_fast *d,
		      struct fp_fast_buf *fb)
{
	assert_int_equal(fp_group_fast(f->g, FP_FAST_VERSION, d, sizeof(*d)),
			 0);
	assert_int_equal(fp_buf_fast(f->g, f->b, fb, sizeof(*fb)), 0);
	assert_int_equal(d->version, FP_FAST_VERSION);
	assert_true(f->g->tab.fast_len != 0);
}

/*
 * flowplan_fast.h's calls mixed with the library's on one group: every
 * message posted with the sequence number the library gives it, completed
 * once, in order, whichever call polls it; sends counted as the library
 * counts them (the in-band switch's cut).
 */
static void test_inline_mixed(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 7 };
	struct fp_fast_buf fb;
	struct fp_fast d;
	struct fp_wc wc[4];
	unsigned int first = nwrs, i;
	uint64_t next = f->g->tab.next;

	fast_open(f, &d, &fb);
	f->g->tab.credit = 3;	/* as a check of a fuller table would make it */
	assert_int_equal(fp_fast_write(&d, &fb, 64, 100, &rb, 32, 1), 0);
	assert_int_equal(fp_post_write(f->g, f->b, 0, 200, &rb, 0, 2), 0);
	assert_int_equal(f->g->tab.credit, 1);
	assert_int_equal(fp_fast_send(&d, &fb, 0, 300, 3), 0);
	/* none left: the library counts the room again, takes one */
	assert_int_equal(fp_post_send(f->g, f->b, 0, 400, 4), 0);
	assert_int_equal(f->g->tab.credit, f->g->tab.cap - 4);
	assert_int_equal(fp_fast_write(&d, &fb, 0, 500, &rb, 0, 5), 0);
	assert_int_equal(f->g->tab.credit, f->g->tab.cap - 5);
	assert_int_equal(nwrs - first, 5);
	for (i = 0; i < 5; i++)
		assert_true(wrs[first + i].wr_id == fp_wrid(next + i, false, 0));
	assert_true(wrs[first].addr == (uintptr_t)f->mem + 64);
	assert_true(wrs[first].raddr == 0x10000 + 32);
	assert_int_equal(wrs[first].len, 100);
	assert_int_equal(f->g->sub[0].sq_used, 5);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 5);
	assert_true(f->g->nsend == 2);
	for (i = 1; i <= 5; i++) {
		int r;

		complete(&wrs[first + i - 1], IBV_WC_SUCCESS);
		r = i % 2 ? fp_fast_poll(&d, wc, 4) : fp_poll(f->g, wc, 4);

		assert_int_equal(r, 1);
		assert_true(wc[0].wr_id == i);
		assert_int_equal(wc[0].status, 0);
		assert_int_equal(wc[0].subflow, -1);
		assert_true(wc[0].len == 100 * i);
		assert_int_equal(wc[0].op, i == 3 || i == 4 ? FP_OP_SEND :
							     FP_OP_WRITE);
	}
	/* one back for each fp_fast_poll() of the oldest: 1, 3 and 5 */
	assert_int_equal(f->g->tab.credit, f->g->tab.cap - 2);
	assert_int_equal(fp_fast_poll(&d, wc, 4), 0);
	assert_int_equal(fp_poll(f->g, wc, 4), 0);
	assert_int_equal(f->g->sub[0].sq_used, 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_true(f->g->tab.oldest == f->g->tab.next);
	/* exact again at a check (a poll that finds nothing) */
	assert_int_equal(f->g->tab.credit, f->g->tab.cap);
}

/*
 * A completion waiting on the done queue (fp_poll() had no room for it)
 * is handed out before a later one fp_fast_poll() finds on the CQ.
 */
static void test_inline_after_queue(void **state)
{
	struct fixture *f = *state;
	struct fp_fast_buf fb;
	struct fp_fast d;
	struct fp_wc wc[2];
	unsigned int first = nwrs;

	fast_open(f, &d, &fb);
	assert_int_equal(fp_fast_send(&d, &fb, 0, 10, 1), 0);
	assert_int_equal(fp_fast_send(&d, &fb, 0, 20, 2), 0);
	complete(&wrs[first], IBV_WC_SUCCESS);
	assert_int_equal(fp_poll(f->g, wc, 0), 0);	/* 1: queued */
	assert_true(fp_msgtab_queued(&f->g->tab));
	complete(&wrs[first + 1], IBV_WC_SUCCESS);
	assert_int_equal(fp_fast_poll(&d, wc, 1), 1);
	assert_true(wc[0].wr_id == 1);
	assert_int_equal(fp_fast_poll(&d, wc, 1), 1);
	assert_true(wc[0].wr_id == 2);
	assert_int_equal(fp_fast_poll(&d, wc, 1), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * What the fast path does not take goes to the library, which answers as
 * it answers its own calls: arguments out of range (EINVAL, nothing
 * posted), a full table (EAGAIN, nothing taken), a zero length and one
 * over the chunk size (posted the general way, one completion each), a
 * buffer's descriptor made for another device (the library's lookup).
 */
static void test_inline_fallbacks(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = 4096, .rkey = 7 };
	struct fp_fast_buf fb, other;
	struct fp_fast d;
	struct fp_wc wc[2];
	unsigned int first = nwrs, i;
	uint64_t next;
	int r;

	f->g->chunk_max = 4096;
	fast_open(f, &d, &fb);
	assert_int_equal(fp_fast_write(&d, &fb, MEMLEN, 1, &rb, 0, 1), EINVAL);
	assert_int_equal(fp_fast_write(&d, &fb, 0, 100, &rb, 4000, 1), EINVAL);
	assert_int_equal(fp_fast_write(&d, &fb, 0, 100, NULL, 0, 1), EINVAL);
	assert_int_equal(nwrs, first);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);

	/* 3 chunks of one message, then an empty one: both, in order */
	assert_int_equal(fp_fast_send(&d, &fb, 0, 3 * 4096, 1), 0);
	assert_int_equal(fp_fast_send(&d, &fb, 0, 0, 2), 0);
	assert_int_equal(nwrs - first, 4);
	complete(&wrs[first], IBV_WC_SUCCESS);	/* not the message yet */
	assert_int_equal(fp_fast_poll(&d, wc, 2), 0);
	stub_complete();
	r = fast_poll_all(&d, wc, 2);
	assert_int_equal(r, 2);
	assert_true(wc[0].wr_id == 1 && wc[0].len == 3 * 4096);
	assert_true(wc[1].wr_id == 2 && wc[1].len == 0);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(wc[1].status, 0);
	assert_int_equal(f->g->sub[0].sq_used, 0);
	assert_true(f->g->tab.stale == 0);

	/* another device's descriptor: the library's own registration */
	other = fb;
	other.len[d.dev + 1] = other.len[d.dev];
	other.len[d.dev] = 0;
	other.lkey = 99;
	first = nwrs;
	assert_int_equal(fp_fast_send(&d, &other, 0, 10, 3), 0);
	assert_int_equal(nwrs - first, 1);
	assert_int_equal(f->g->sge.lkey, stub_mr.lkey);
	stub_complete();
	assert_int_equal(fp_fast_poll(&d, wc, 2), 1);

	/* the table full: EAGAIN, nothing taken */
	first = nwrs;
	for (i = 0; i < f->g->tab.cap; i++)
		assert_int_equal(fp_fast_send(&d, &fb, 0, 10, 100 + i), 0);
	next = f->g->tab.next;
	assert_int_equal(fp_fast_send(&d, &fb, 0, 10, 999), EAGAIN);
	assert_int_equal(nwrs - first, f->g->tab.cap);
	assert_true(f->g->tab.next == next);
	assert_int_equal(f->g->sub[0].sq_used, f->g->tab.cap);
	stub_complete();
	for (i = 0; i < f->g->tab.cap; i++) {
		assert_int_equal(fp_fast_poll(&d, wc, 2), 1);
		assert_true(wc[0].wr_id == 100 + i);
	}
	assert_int_equal(fp_fast_poll(&d, wc, 2), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * The send queue full with the table not: EAGAIN from the fast path too.
 * A message of 511 chunks (chunk size 1 KiB) and one more single-chunk
 * message fill the 512 entries.
 */
static void test_inline_queue_full(void **state)
{
	struct fixture *f = *state;
	struct fp_fast_buf fb;
	struct fp_fast d;
	struct fp_wc wc[2];
	unsigned int first = nwrs;

	f->g->chunk_max = 1024;
	fast_open(f, &d, &fb);
	assert_int_equal(fp_fast_send(&d, &fb, 0, (FP_SQ_DEPTH - 1) * 1024, 1),
			 0);
	assert_int_equal(fp_fast_send(&d, &fb, 0, 100, 2), 0);
	assert_int_equal(f->g->sub[0].sq_used, FP_SQ_DEPTH);
	assert_int_equal(fp_fast_send(&d, &fb, 0, 100, 3), EAGAIN);
	assert_int_equal(nwrs - first, FP_SQ_DEPTH);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 2);
	stub_complete();
	assert_int_equal(fast_poll_all(&d, wc, 2), 2);
	assert_true(wc[0].wr_id == 1);
	assert_true(wc[1].wr_id == 2);
	assert_int_equal(f->g->sub[0].sq_used, 0);
}

/*
 * A failed completion through fp_fast_poll(): handed out once with the
 * library's status and subflow; the group failed, the next post is
 * ENOTCONN (the fast path off); the message after it flushed, once.
 */
static void test_inline_error(void **state)
{
	struct fixture *f = *state;
	struct fp_fast_buf fb;
	struct fp_fast d;
	struct fp_wc wc[2];
	unsigned int first = nwrs;

	fast_open(f, &d, &fb);
	assert_int_equal(fp_fast_send(&d, &fb, 0, 10, 1), 0);
	assert_int_equal(fp_fast_send(&d, &fb, 0, 10, 2), 0);
	complete(&wrs[first], IBV_WC_REM_ACCESS_ERR);
	assert_int_equal(fp_fast_poll(&d, wc, 2), 1);
	assert_true(wc[0].wr_id == 1);
	assert_int_equal(wc[0].status, EACCES);
	assert_int_equal(wc[0].subflow, 0);
	assert_int_equal(f->g->error, EACCES);
	assert_true(f->g->tab.fast_len == 0);
	assert_int_equal(fp_fast_send(&d, &fb, 0, 10, 3), ENOTCONN);
	complete(&wrs[first + 1], IBV_WC_WR_FLUSH_ERR);
	assert_int_equal(fp_fast_poll(&d, wc, 2), 1);
	assert_true(wc[0].wr_id == 2);
	assert_int_equal(wc[0].status, ECANCELED);
	assert_int_equal(fp_fast_poll(&d, wc, 2), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(f->g->sub[0].sq_used, 0);
}

/*
 * fp_fast_poll() keeps fp_poll()'s check cadence: the peer gone is seen
 * on the FP_POLL_CHECK_EVERY-th poll that finds a completion, which hands
 * out that one and the message in flight, failed.
 */
static void test_inline_cadence(void **state)
{
	struct fixture *f = *state;
	struct fp_fast_buf fb;
	struct fp_fast d;
	struct fp_wc wc[4];
	unsigned int i;

	fast_open(f, &d, &fb);
	peer_leaves(f);
	f->g->tab.polls = 0;
	f->g->next_check_ns = 0;
	for (i = 1; i <= FP_POLL_CHECK_EVERY; i++) {
		unsigned int first = nwrs;

		assert_int_equal(f->g->error, 0);
		assert_int_equal(fp_fast_send(&d, &fb, 0, 100, i), 0);
		if (i == FP_POLL_CHECK_EVERY)
			assert_int_equal(fp_fast_send(&d, &fb, 0, 100, 1000),
					 0);
		complete(&wrs[first], IBV_WC_SUCCESS);
		assert_int_equal(fp_fast_poll(&d, wc, 4),
				 i < FP_POLL_CHECK_EVERY ? 1 : 2);
		assert_true(wc[0].wr_id == i);
		assert_int_equal(wc[0].status, 0);
	}
	assert_int_equal(f->g->error, ECONNRESET);
	assert_true(wc[1].wr_id == 1000);
	assert_int_equal(wc[1].status, ECONNRESET);
}

/*
 * The fast path's credit (priv.h) never above the room both in the table
 * and on the send queue, as the library counts them.
 */
static void credit_ok(const struct fp_group *g)
{
	const struct fp_msgtab *t = &g->tab;

	if (!t->fast_len)
		return;
	assert_true(t->credit <= t->cap - (t->next - t->oldest));
	assert_true(t->credit <= FP_SQ_DEPTH - g->sub[0].sq_used);
}

/*
 * A receive the library posted holds the oldest slot: fast sends, each
 * completed at once, by fp_fast_poll() or fp_poll() in turn, find the
 * table full after cap - 1 of them (EAGAIN, the receive's slot not
 * taken), as the library's sends do; the receive then completes, once.
 * The credit stays within the room all along and comes back with the
 * oldest message. A post that finds none counts the room again.
 */
static void test_inline_credit(void **state)
{
	struct fixture *f = *state;
	struct fp_fast_buf fb;
	struct fp_fast d;
	struct fp_wc wc[2];
	unsigned int cap = f->g->tab.cap, i, first;
	uint64_t next;

	fast_open(f, &d, &fb);
	credit_ok(f->g);
	assert_int_equal(f->g->tab.credit, cap);
	first = nwrs;
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 100, 7), 0);
	credit_ok(f->g);
	for (i = 0; i < cap - 1; i++) {
		assert_int_equal(fp_fast_send(&d, &fb, 0, 10, 100 + i), 0);
		credit_ok(f->g);
		complete(&wrs[nwrs - 1], IBV_WC_SUCCESS);
		assert_int_equal(i % 2 ? fp_poll(f->g, wc, 2) :
					 fp_fast_poll(&d, wc, 2), 1);
		assert_true(wc[0].wr_id == 100 + i);
		credit_ok(f->g);
	}
	next = f->g->tab.next;
	assert_int_equal(fp_fast_send(&d, &fb, 0, 10, 999), EAGAIN);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 10, 999), EAGAIN);
	assert_true(f->g->tab.next == next);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 1);
	complete(&wrs[first], IBV_WC_SUCCESS);
	assert_int_equal(fp_fast_poll(&d, wc, 2), 1);
	assert_true(wc[0].wr_id == 7);
	assert_int_equal(wc[0].op, FP_OP_RECV);
	credit_ok(f->g);
	f->g->tab.credit = 0;
	assert_int_equal(fp_post_send(f->g, f->b, 0, 10, 8), 0);
	assert_int_equal(f->g->tab.credit, cap - 1);
	credit_ok(f->g);
	complete(&wrs[nwrs - 1], IBV_WC_SUCCESS);
	assert_int_equal(fp_fast_poll(&d, wc, 2), 1);
	assert_int_equal(fp_fast_poll(&d, wc, 2), 0);
	credit_ok(f->g);
	/* in order again: every completion gives its credit back */
	for (i = 0; i < 2 * cap; i++) {
		unsigned int c = f->g->tab.credit;

		assert_int_equal(fp_fast_send(&d, &fb, 0, 10, i), 0);
		assert_int_equal(f->g->tab.credit, c - 1);
		complete(&wrs[nwrs - 1], IBV_WC_SUCCESS);
		assert_int_equal(fp_fast_poll(&d, wc, 2), 1);
		assert_int_equal(f->g->tab.credit, c);
		credit_ok(f->g);
	}
}

/*
 * The send queue, not the table, bounds the credit: a receive's
 * completion (its queue is another) gives none back, a send's does.
 */
static void test_inline_credit_queue(void **state)
{
	struct fixture *f = *state;
	struct fp_fast_buf fb;
	struct fp_fast d;
	struct fp_wc wc[2];
	unsigned int first = nwrs;

	f->g->chunk_max = 1024;
	fast_open(f, &d, &fb);
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(fp_fast_send(&d, &fb, 0, (FP_SQ_DEPTH - 3) * 1024, 2),
			 0);
	assert_int_equal(f->g->tab.credit, 0);
	credit_ok(f->g);
	assert_int_equal(fp_fast_poll_slow(f->g, NULL, wc, 0), 0); /* check */
	assert_int_equal(f->g->tab.credit, 3);
	complete(&wrs[first], IBV_WC_SUCCESS);
	assert_int_equal(fp_fast_poll(&d, wc, 2), 1);
	assert_true(wc[0].wr_id == 1);
	assert_int_equal(f->g->tab.credit, 3);
	credit_ok(f->g);
	assert_int_equal(fp_fast_send(&d, &fb, 0, 100, 3), 0);
	assert_int_equal(fp_fast_send(&d, &fb, 0, 100, 4), 0);
	assert_int_equal(fp_fast_send(&d, &fb, 0, 100, 5), 0);
	assert_int_equal(fp_fast_send(&d, &fb, 0, 100, 6), EAGAIN);
	assert_int_equal(f->g->sub[0].sq_used, FP_SQ_DEPTH);
	stub_complete();
	assert_int_equal(fast_poll_all(&d, wc, 1), 1);
	assert_true(wc[0].wr_id == 2);
	credit_ok(f->g);
}

/*
 * The descriptors: a version this library does not provide is ENOTSUP,
 * missing or short arguments EINVAL; a group of more than one subflow
 * leaves every post to the library (it splits as it always does).
 */
static void test_inline_descriptor(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 7 };
	struct fp_fast_buf fb;
	struct fp_fast d;
	struct fp_wc wc[2];
	struct fp_buf alien = *f->b;
	unsigned int first = nwrs, i;

	assert_int_equal(fp_group_fast(f->g, FP_FAST_VERSION + 1, &d,
				       sizeof(d)), ENOTSUP);
	assert_int_equal(fp_group_fast(f->g, FP_FAST_VERSION, &d,
				       sizeof(d) - 1), EINVAL);
	assert_int_equal(fp_group_fast(NULL, FP_FAST_VERSION, &d, sizeof(d)),
			 EINVAL);
	assert_int_equal(fp_buf_fast(f->g, f->b, &fb, sizeof(fb) - 1), EINVAL);
	alien.ctx = NULL;
	assert_int_equal(fp_buf_fast(f->g, &alien, &fb, sizeof(fb)), EINVAL);
	assert_int_equal(fp_fast_poll_slow(f->g, NULL, NULL, 1), -EINVAL);

	assert_int_equal(fp_group_fast(f->g, FP_FAST_VERSION, &d, sizeof(d)),
			 0);
	assert_int_equal(fp_buf_fast(f->g, f->b, &fb, sizeof(fb)), 0);
	for (i = 0; i < FP_FAST_DEVS; i++)	/* the group's device alone */
		assert_true(fb.len[i] == (i == d.dev ? MEMLEN : 0));
	assert_true(f->g->tab.fast_len == 0);	/* k = 2 */
	assert_int_equal(fp_fast_write(&d, &fb, 0, 65536, &rb, 0, 1), 0);
	assert_int_equal(nwrs - first, 2);	/* split in two */
	stub_complete();
	assert_int_equal(fast_poll_all(&d, wc, 1), 1);
	assert_true(wc[0].wr_id == 1);
	assert_true(wc[0].len == 65536);
	assert_int_equal(fp_fast_poll(&d, wc, 2), 0);
}

/*
 * A completion fp_poll() takes the quick way, then a failed one in the
 * same batch (taken the general way, through the done queue): both, in
 * order, from the start of the caller's array.
 */
static void test_poll_quick_then_failed(void **state)
{
	struct fixture *f = *state;
	unsigned int first = nwrs;
	struct fp_wc wc[4];

	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 2), 0);
	assert_int_equal(nwrs - first, 2);
	complete(&wrs[first], IBV_WC_SUCCESS);
	complete(&wrs[first + 1], IBV_WC_REM_ACCESS_ERR);
	memset(wc, 0, sizeof(wc));
	assert_int_equal(fp_poll(f->g, wc, 4), 2);
	assert_int_equal(wc[0].wr_id, 1);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(wc[1].wr_id, 2);
	assert_int_not_equal(wc[1].status, 0);
}

/* A correct peer: new QPs replace the old ones, its weights mirrored. */
static void test_pin_ok(void **state)
{
	struct fixture *f = *state;
	struct qpinfo qi = good_peer(4);
	unsigned int gone = qp_destroyed, i;

	qi.weight[0] = 40000;
	qi.weight[1] = 25536;
	qi.weight[2] = qi.weight[3] = 0;
	qi.chunk_max = FP_GROUP_MAX_CHUNK;	/* the largest there is */
	peer_says(f, 4, &qi);
	assert_int_equal(fp_group_repin(f->g), 0);
	assert_int_equal(qp_destroyed - gone, 2);	/* the old ones */
	assert_int_equal(f->g->k, 4);
	for (i = 0; i < 4; i++) {
		assert_non_null(stub_of(f->g->sub[i].qp));
		assert_int_equal(f->g->sub[i].remote_qpn, 0x500 + i);
		assert_int_equal(f->g->rw[i], qi.weight[i]);
	}
	assert_true(f->g->rchunk_max == FP_GROUP_MAX_CHUNK);
	assert_false(qp_bad_destroy);
}

/*
 * The new QPs refused a state on the way to RTS (RTR, then RTS): the pin
 * fails with the provider's error, the QPs it made are destroyed, and the
 * group keeps the ones it had.
 */
static void test_pin_modify_fails(void **state)
{
	struct fixture *f = *state;
	struct ibv_qp *old[2] = { f->g->sub[0].qp, f->g->sub[1].qp };
	struct qpinfo qi = good_peer(2);
	int st, sv[2];

	for (st = IBV_QPS_RTR; st <= IBV_QPS_RTS; st++) {
		unsigned int made = qp_created, gone = qp_destroyed;

		modify_fails_to = st;
		peer_says(f, 2, &qi);
		assert_int_equal(fp_group_repin(f->g), EINVAL);
		assert_int_equal(qp_created - made, 2);
		assert_int_equal(qp_destroyed - gone, 2);
		assert_group_intact(f, old, 2);
		/* A fresh socket: the failed pin left the peer's bytes unread. */
		close(f->g->fd);
		close(f->peer);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
					    0, sv), 0);
		f->g->fd = sv[0];
		f->peer = sv[1];
	}
}

/*
 * Chunks are never longer than a work request can say: a message of
 * 5 GiB + 1 on one subflow with the largest chunk size goes as 2 GiB,
 * 2 GiB and 1 GiB + 1, each at its offset. (The buffer is not touched: the
 * provider only records what was posted.)
 */
static void test_chunks_over_4g(void **state)
{
	struct fixture *f = *state;
	const uint64_t len = (5ull << 30) + 1;
	struct fp_rbuf rb = { .addr = 1ull << 40, .len = len, .rkey = 2 };
	struct fp_wc wc[2];

	f->g->k = 1;
	f->g->w[0] = FP_WEIGHT_ONE;
	f->g->chunk_max = FP_GROUP_MAX_CHUNK;
	f->b->len = len;
	assert_int_equal(fp_post_write(f->g, f->b, 0, len, &rb, 0, 9), 0);
	assert_int_equal(nwrs, 3);
	assert_true(wrs[0].len == 1u << 31 && wrs[0].addr == (uintptr_t)f->mem);
	assert_true(wrs[1].len == 1u << 31 &&
		    wrs[1].addr == (uintptr_t)f->mem + (1ull << 31));
	assert_true(wrs[2].len == (1u << 30) + 1 &&
		    wrs[2].addr == (uintptr_t)f->mem + (1ull << 32));
	stub_complete();
	assert_int_equal(fp_poll(f->g, wc, 2), 1);
	assert_int_equal(wc[0].status, 0);
	assert_true(wc[0].len == len);
	f->g->k = 2;
	f->b->len = MEMLEN;
}

/*
 * A message that needs more chunks on a subflow than its queue holds can
 * never be posted: EMSGSIZE at once, not EAGAIN for ever; nothing posted,
 * the spread state as it was.
 */
static void test_too_many_chunks(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	struct fp_spread before = f->g->sp_write;

	f->g->chunk_max = 1;
	assert_int_equal(fp_post_write(f->g, f->b, 0, 2 * FP_SQ_DEPTH + 2, &rb,
				       0, 1), EMSGSIZE);
	assert_int_equal(fp_post_write(f->g, f->b, 0, 1u << 20, &rb, 0, 1),
			 EMSGSIZE);
	/* Unsplit, on one subflow: its queue's depth is the limit. */
	assert_int_equal(fp_post_write(f->g, f->b, 0, FP_SQ_DEPTH + 1, &rb, 0,
				       1), EMSGSIZE);
	assert_int_equal(nwrs, 0);
	assert_memory_equal(&before, &f->g->sp_write, sizeof(before));
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(fp_post_write(f->g, f->b, 0, FP_SQ_DEPTH, &rb, 0, 2), 0);
	assert_int_equal(nwrs, FP_SQ_DEPTH);
	f->g->chunk_max = 1 << 20;
}

/*
 * Split, a message of exactly as many chunks as its queues hold together
 * is posted (one more is EMSGSIZE), each queue filled to its depth.
 */
static void test_chunks_at_depth(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 0x10000, .len = MEMLEN, .rkey = 2 };
	struct fp_wc wc[2];
	int i, got = 0;

	f->g->chunk_max = 1;
	f->g->split_min = 1;
	assert_int_equal(fp_post_write(f->g, f->b, 0, 2 * FP_SQ_DEPTH + 1, &rb,
				       0, 1), EMSGSIZE);
	assert_int_equal(nwrs, 0);
	assert_int_equal(fp_post_write(f->g, f->b, 0, 2 * FP_SQ_DEPTH, &rb, 0,
				       2), 0);
	assert_int_equal(nwrs, 2 * FP_SQ_DEPTH);
	assert_int_equal(f->g->sub[0].sq_used, FP_SQ_DEPTH);
	assert_int_equal(f->g->sub[1].sq_used, FP_SQ_DEPTH);
	stub_complete();
	for (i = 0; i < 2 * FP_SQ_DEPTH && !got; i++)
		got = fp_poll(f->g, wc, 2);
	assert_int_equal(got, 1);
	assert_int_equal(wc[0].wr_id, 2);
	assert_int_equal(wc[0].status, 0);
	assert_true(wc[0].len == 2 * FP_SQ_DEPTH);
}

/*
 * ibv_poll_cq failing (a CQ overrun) is fp_poll()'s -EIO, but not at the
 * cost of completions it already took off the done queue: those are
 * returned, and the failure on the next call; with no room to hand any
 * out, the failure at once.
 */
static void test_poll_cq_fails(void **state)
{
	struct fixture *f = *state;
	struct fp_wc wc[4];

	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 2), 0);
	stub_complete();
	assert_int_equal(fp_poll(f->g, wc, 1), 1);
	assert_int_equal(wc[0].wr_id, 1);
	/* 2 waits on the done queue. */
	poll_fails = true;
	assert_int_equal(fp_poll(f->g, wc, 0), -EIO);
	assert_int_equal(fp_poll(f->g, wc, 4), 1);
	assert_int_equal(wc[0].wr_id, 2);
	assert_int_equal(wc[0].status, 0);
	assert_int_equal(fp_poll(f->g, wc, 4), -EIO);
	poll_fails = false;
	assert_int_equal(fp_poll(f->g, wc, 4), 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * fp_poll()'s checks (every 64th call) run on the way that takes the
 * completions that are not the common case too: a duplicate completion
 * there, and the peer gone is seen in the same call.
 */
static void test_poll_rest_checks(void **state)
{
	struct fixture *f = *state;
	struct fp_wc wc[4];

	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 2), 0);
	complete(&wrs[1], IBV_WC_SUCCESS);
	assert_int_equal(fp_poll(f->g, wc, 4), 1);
	assert_int_equal(wc[0].wr_id, 2);
	complete(&wrs[1], IBV_WC_SUCCESS);	/* again: not the common case */
	peer_leaves(f);
	assert_int_equal(poll_checked(f->g, wc, 4), 1);
	assert_int_equal(wc[0].wr_id, 1);
	assert_int_equal(wc[0].status, ECONNRESET);
}

/* The index of the work request posted on @sub's QP from @from on. */
static unsigned int wr_on(struct fixture *f, unsigned int sub,
			  unsigned int from)
{
	unsigned int i;

	for (i = from; i < nwrs; i++)
		if (wrs[i].qp_num == f->g->sub[sub].qp->qp_num)
			return i;
	fail_msg("no work request on subflow %u", sub);
	return 0;
}

/*
 * fp_group_repin() looks at every subflow: a receive still posted on
 * either alone is EBUSY, a send still out on the second is waited for (here
 * until the deadline: ETIMEDOUT, and nothing of a new pin begun: no hello
 * to the peer, no QP made).
 */
static void test_repin_every_subflow(void **state)
{
	struct fixture *f = *state;
	unsigned int made = qp_created, i;
	struct fp_wc wc[4];

	for (i = 0; i < 2; i++) {
		/* A receive on each; the one on subflow i completes. */
		assert_int_equal(fp_post_recv(f->g, f->b, 0, 100, 1), 0);
		assert_int_equal(fp_post_recv(f->g, f->b, 4096, 100, 2), 0);
		assert_int_equal(f->g->sub[0].rq_used, 1);
		assert_int_equal(f->g->sub[1].rq_used, 1);
		complete(&wrs[wr_on(f, i, 2 * i)], IBV_WC_SUCCESS);
		assert_int_equal(fp_poll(f->g, wc, 4), 1);
		assert_int_equal(f->g->sub[i].rq_used, 0);
		assert_int_equal(fp_group_repin(f->g), EBUSY);
		complete(&wrs[wr_on(f, !i, 2 * i)], IBV_WC_SUCCESS);
		assert_int_equal(fp_poll(f->g, wc, 4), 1);
	}

	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 3), 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 4), 0);
	assert_int_equal(f->g->sub[1].sq_used, 1);
	complete(&wrs[wr_on(f, 0, 4)], IBV_WC_SUCCESS);
	assert_int_equal(fp_poll(f->g, wc, 4), 1);
	assert_int_equal(f->g->sub[0].sq_used, 0);
	f->g->timeout_ns = 1000000;	/* the drain's deadline: 1 ms */
	assert_int_equal(fp_group_repin(f->g), ETIMEDOUT);
	assert_true(peer_has_nothing(f));
	assert_int_equal(qp_created, made);
}

/*
 * A group that failed on one subflow (a completion error on subflow 1:
 * only that QP is in the error state on a device) is re-pinned with every
 * QP moved to the error state first: the receive still posted on subflow
 * 0 is flushed, not waited for, and comes back from fp_poll() failed.
 */
static void test_repin_broken_flushes_all(void **state)
{
	struct fixture *f = *state;
	struct qpinfo qi = good_peer(2);
	unsigned int gone = qp_destroyed;
	struct fp_wc wc[4];

	flush_on_err = true;
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(fp_post_recv(f->g, f->b, 4096, 100, 2), 0);
	assert_int_equal(f->g->sub[0].rq_used, 1);
	assert_int_equal(f->g->sub[1].rq_used, 1);
	complete(&wrs[wr_on(f, 1, 0)], IBV_WC_LOC_PROT_ERR);
	assert_int_equal(poll_checked(f->g, wc, 4), 1);
	assert_int_equal(wc[0].wr_id, 2);
	assert_int_not_equal(wc[0].status, 0);
	assert_int_not_equal(f->g->error, 0);
	assert_int_equal(f->g->sub[0].rq_used, 1);
	peer_says(f, 2, &qi);
	assert_int_equal(fp_group_repin(f->g), 0);
	assert_int_equal(qp_destroyed - gone, 2);
	assert_int_equal(f->g->error, 0);
	assert_int_equal(poll_checked(f->g, wc, 4), 1);
	assert_int_equal(wc[0].wr_id, 1);
	assert_int_not_equal(wc[0].status, 0);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * A failed group's re-pin waits for sends and receives alike, counted
 * apart: one send and one receive still out on subflow 0 (the QP does not
 * flush them) keep it waiting until the deadline, ETIMEDOUT, with no hello
 * to the peer, however the two counts compare.
 */
static void test_repin_broken_waits_both(void **state)
{
	struct fixture *f = *state;
	unsigned int first = nwrs, made = qp_created;
	struct fp_wc wc[4];

	flush_on_err = false;
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(fp_post_recv(f->g, f->b, 4096, 100, 2), 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 3), 0);
	assert_int_equal(f->g->sub[0].rq_used, 1);
	assert_int_equal(f->g->sub[1].rq_used, 1);
	assert_int_equal(f->g->sub[0].sq_used, 1);
	assert_int_equal(f->g->sub[1].sq_used, 0);
	complete(&wrs[wr_on(f, 1, first)], IBV_WC_LOC_PROT_ERR);
	assert_int_equal(poll_checked(f->g, wc, 4), 1);
	assert_int_equal(wc[0].wr_id, 2);
	assert_int_not_equal(wc[0].status, 0);
	assert_int_not_equal(f->g->error, 0);
	assert_int_equal(f->g->sub[1].rq_used, 0);
	f->g->timeout_ns = 1000000;	/* the drain's deadline: 1 ms */
	assert_int_equal(fp_group_repin(f->g), ETIMEDOUT);
	assert_true(peer_has_nothing(f));
	assert_int_equal(qp_created, made);
}

/*
 * A buffer registered on a device is taken as it is there (no second
 * registration); fp_buf_free() deregisters its memory on every device.
 */
static void test_buf_free_every_mr(void **state)
{
	struct fixture *f = *state;
	struct ibv_mr mr[2] = { { .context = &stub_ctx },
				{ .context = &stub_ctx } };
	struct fp_buf *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	*b = (struct fp_buf){ .ctx = f->ctx, .addr = f->mem, .len = 4096 };
	b->reg[0] = (struct fp_buf_reg){ .mr = &mr[0], .how = FP_REG_HOST,
					 .base = f->mem };
	b->reg[FP_MAX_DEVS - 1] = (struct fp_buf_reg){ .mr = &mr[1],
						      .how = FP_REG_HOST,
						      .base = f->mem };
	f->ctx->nbufs++;
	assert_ptr_equal(fp_buf_reg_for(b, FP_MAX_DEVS - 1),
			 &b->reg[FP_MAX_DEVS - 1]);
	assert_ptr_equal(b->reg[FP_MAX_DEVS - 1].mr, &mr[1]);
	assert_int_equal(fp_buf_free(b), 0);
	assert_int_equal(nmr_freed, 2);
	assert_ptr_equal(mr_freed[0], &mr[0]);
	assert_ptr_equal(mr_freed[1], &mr[1]);
	assert_int_equal(f->ctx->nbufs, 1);
	/* the caller's host memory: no GPU staging to release */
	assert_int_equal(nstaging_released, 0);
}

/*
 * The caller's GPU memory (not the library's own): fp_buf_free() releases
 * the staging memory gpu.c may hold for it, and only for GPU memory.
 */
static void test_buf_free_caller_gpu(void **state)
{
	struct fixture *f = *state;
	struct fp_buf *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	*b = (struct fp_buf){ .ctx = f->ctx, .addr = f->mem, .len = 4096,
			      .kind = FP_MEM_CUDA };
	f->ctx->nbufs++;
	assert_int_equal(fp_buf_free(b), 0);
	assert_int_equal(nstaging_released, 1);
	assert_ptr_equal(staging_released, f->mem);
	assert_int_equal(nmr_freed, 0);
	assert_int_equal(f->ctx->nbufs, 1);
}

/*
 * Attributes out of range are refused before anything is done (no socket,
 * no device): max_msgs past FP_GROUP_MAX_MSGS (2^31 + 1 used to hang in
 * the table's sizing loop), chunk_max past FP_GROUP_MAX_CHUNK (chunks over
 * 4 GiB were cut to their low 32 bits), deadlines past INT_MAX ms.
 */
static void test_connect_attrs(void **state)
{
	struct fixture *f = *state;
	struct fp_group_attr bad[] = {
		{ .max_msgs = FP_GROUP_MAX_MSGS + 1 },
		{ .max_msgs = (1u << 31) + 1 },
		{ .chunk_max = FP_GROUP_MAX_CHUNK + 1 },
		{ .chunk_max = 8ull << 30 },
		{ .timeout_ms = 1u << 31 },
		{ .connect_timeout_ms = 1u << 31 },
		{ .retry_cnt = 7 },
		{ .flags = 1u << 5 },
	};
	struct fp_msgtab t;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bad[i].peer = "127.0.0.1";
		bad[i].port = 9;
		if (!bad[i].connect_timeout_ms)
			bad[i].connect_timeout_ms = 50;
		errno = 0;
		assert_null(fp_group_connect(f->ctx, &bad[i]));
		if (errno != EINVAL)
			fail_msg("attribute set %zu: errno %d, not EINVAL", i,
				 errno);
	}
	/* No context, no attributes: refused as well. */
	errno = 0;
	assert_null(fp_group_connect(NULL, &bad[0]));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(fp_group_connect(f->ctx, NULL));
	assert_int_equal(errno, EINVAL);
	alarm(10);	/* the old sizing loop never ended */
	assert_int_equal(fp_msgtab_init(&t, (1u << 31) + 1), EINVAL);
	assert_int_equal(fp_msgtab_init(&t, UINT32_MAX), EINVAL);
	assert_int_equal(fp_msgtab_init(&t, FP_GROUP_MAX_MSGS), 0);
	assert_int_equal(t.cap, FP_GROUP_MAX_MSGS);
	fp_msgtab_fini(&t);
	alarm(0);
}

/*
 * The listening side of the bootstrap takes the peer's connection, not the
 * first one: a connection closed at once, one that says something else,
 * one that says nothing (held FP_HELLO_MS, then dropped) come first; the
 * peer's hello after them is answered, and the group goes on to find its
 * device (none here: ENODEV, where a stray used to end it with EPROTO).
 */
struct listener {
	struct fp_ctx *ctx;
	uint16_t port;
	bool any;		/* no local address: every one */
	int err;
};

static void *listen_thread(void *arg)
{
	struct listener *l = arg;
	struct fp_group_attr a = { .local = l->any ? NULL : "127.0.0.1", .port = l->port,
				   .flags = FP_GROUP_LISTEN,
				   .connect_timeout_ms = 20000 };

	errno = 0;
	if (fp_group_connect(l->ctx, &a))
		l->err = -1;
	else
		l->err = errno;
	return NULL;
}

static int dial(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int i, fd;

	for (i = 0; i < 200; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		close(fd);
		usleep(20000);
	}
	return -1;
}

/* A free IPv4 port, found by the kernel. */
static uint16_t free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void test_listen_strays(void **state)
{
	struct fixture *f = *state;
	struct listener l = { .ctx = f->ctx, .port = free_port() };
	struct hello h = { .magic = HELLO_MAGIC, .version = FP_ABI_VERSION,
			   .k = 1 }, back;
	char junk[16] = "GET / HTTP/1.0\r\n";
	pthread_t th;
	int fd, silent, peer;

	memcpy(h.addr, loopback_mapped, 16);
	setenv("FLOWPLAN_NO_RDMA_CM", "1", 1);
	assert_int_equal(pthread_create(&th, NULL, listen_thread, &l), 0);

	fd = dial(l.port);		/* closed at once */
	assert_true(fd >= 0);
	close(fd);
	fd = dial(l.port);		/* says something else */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	silent = dial(l.port);		/* says nothing */
	assert_true(silent >= 0);
	peer = dial(l.port);
	assert_true(peer >= 0);
	assert_int_equal(write(peer, &h, sizeof(h)), sizeof(h));
	assert_int_equal(read(peer, &back, sizeof(back)), sizeof(back));
	assert_int_equal(back.magic, HELLO_MAGIC);
	assert_memory_equal(back.addr, loopback_mapped, 16);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(l.err, ENODEV);
	close(fd);
	close(silent);
	close(peer);
	unsetenv("FLOWPLAN_NO_RDMA_CM");
}

/*
 * On a kernel without IPv6 (socket(AF_INET6) fails with EAFNOSUPPORT), a
 * group that listens on no address in particular listens on IPv4's any
 * address: the peer's hello over IPv4 is answered.
 */
static void test_listen_no_ipv6(void **state)
{
	struct fixture *f = *state;
	struct listener l = { .ctx = f->ctx, .port = free_port(), .any = true };
	struct hello h = { .magic = HELLO_MAGIC, .version = FP_ABI_VERSION,
			   .k = 1 }, back;
	pthread_t th;
	int peer;

	memcpy(h.addr, loopback_mapped, 16);
	setenv("FLOWPLAN_NO_RDMA_CM", "1", 1);
	no_ipv6 = true;
	assert_int_equal(pthread_create(&th, NULL, listen_thread, &l), 0);
	peer = dial(l.port);
	if (peer < 0) {
		assert_int_equal(pthread_join(th, NULL), 0);
		fail_msg("no IPv6: nothing listens on IPv4 (the group says %s)",
			 strerror(l.err));
	}
	assert_int_equal(write(peer, &h, sizeof(h)), sizeof(h));
	assert_int_equal(read(peer, &back, sizeof(back)), sizeof(back));
	assert_int_equal(back.magic, HELLO_MAGIC);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(l.err, ENODEV);	/* then no device, as above */
	assert_true(v6_refused > 0);
	close(peer);
	unsetenv("FLOWPLAN_NO_RDMA_CM");
}

struct dialer {
	struct fp_ctx *ctx;
	uint16_t port;
	int err;		/* errno when no group */
};

static void *dial_thread(void *arg)
{
	struct dialer *d = arg;
	struct fp_group_attr a = { .peer = "127.0.0.1", .port = d->port,
				   .connect_timeout_ms = 5000 };
	struct fp_group *g = fp_group_connect(d->ctx, &a);

	d->err = g ? 0 : errno;
	return g;
}

/*
 * A listener on loopback, a group dialing it (dial_thread, in *@th), and
 * the group's hello read into @h: the accepted socket, *@ls the listener.
 */
static int take_hello(struct dialer *d, pthread_t *th, int *ls, struct hello *h)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd;

	*ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*ls >= 0);
	assert_int_equal(bind(*ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(*ls, 1), 0);
	assert_int_equal(getsockname(*ls, (struct sockaddr *)&sa, &sl), 0);
	d->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(th, NULL, dial_thread, d), 0);
	fd = accept(*ls, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(fp_sock_io(fd, h, sizeof(*h), false, 5000), 0);
	return fd;
}

/*
 * A connecting group given no local address takes the source address of
 * its route to the peer, and says it in its hello (over lo: 127.0.0.1).
 */
static void test_connect_route_src(void **state)
{
	struct fixture *f = *state;
	struct dialer d = { .ctx = f->ctx };
	void *g = (void *)1;
	struct hello h;
	pthread_t th;
	int ls, fd;

	fd = take_hello(&d, &th, &ls, &h);
	close(fd);			/* no answer: it gives up */
	assert_int_equal(pthread_join(th, &g), 0);
	assert_null(g);
	assert_int_equal(h.magic, HELLO_MAGIC);
	assert_memory_equal(h.addr, loopback_mapped, 16);
	close(ls);
}

/*
 * A listener that answers the hello with another version of the protocol
 * (another library), from the right address: the connecting group gives
 * up at once with EPROTO, before it looks for a device.
 */
static void test_connect_other_version(void **state)
{
	struct fixture *f = *state;
	struct dialer d = { .ctx = f->ctx };
	struct hello h, back = { .magic = HELLO_MAGIC,
				 .version = FP_ABI_VERSION + 1 };
	void *g = (void *)1;
	pthread_t th;
	int ls, fd;

	memcpy(back.addr, loopback_mapped, 16);
	fd = take_hello(&d, &th, &ls, &h);
	assert_int_equal(fp_sock_io(fd, &back, sizeof(back), true, 5000), 0);
	assert_int_equal(pthread_join(th, &g), 0);
	assert_null(g);
	assert_int_equal(d.err, EPROTO);
	close(fd);
	close(ls);
}

/*
 * A listening group on a port another socket listens on: the bind's
 * error (EADDRINUSE), at once, not a wait for a peer.
 */
static void test_listen_port_taken(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	struct fp_group_attr a = { .local = "127.0.0.1",
				   .flags = FP_GROUP_LISTEN,
				   .connect_timeout_ms = 5000 };
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	a.port = ntohs(sa.sin_port);
	errno = 0;
	assert_null(fp_group_connect(f->ctx, &a));
	assert_int_equal(errno, EADDRINUSE);
	close(ls);
}

/* ------------------------------------------------- the in-band switch */

/* What the peer's library says, and reads of ours. */
static void peer_ctl(struct fixture *f, uint32_t type, uint64_t epoch,
		     uint64_t count)
{
	struct fp_ctl c = { .magic = FP_CTL_MAGIC, .type = type,
			    .epoch = epoch, .count = count };

	assert_int_equal(write(f->peer, &c, sizeof(c)), sizeof(c));
}

static struct fp_ctl peer_reads(struct fixture *f)
{
	struct fp_ctl c;

	assert_int_equal(fp_sock_io(f->peer, &c, sizeof(c), false, 1000), 0);
	assert_int_equal(c.magic, FP_CTL_MAGIC);
	return c;
}

/* The peer's side of pin() (a library that follows), and ours read off. */
static void peer_pins(struct fixture *f, uint32_t k, const struct qpinfo *qi)
{
	struct hello h = { .magic = HELLO_MAGIC, .version = FP_ABI_VERSION,
			   .k = k, .pad = FP_HELLO_FOLLOW };
	char ready = 1;

	assert_int_equal(write(f->peer, &h, sizeof(h)), sizeof(h));
	assert_int_equal(write(f->peer, qi, sizeof(*qi)), sizeof(*qi));
	assert_int_equal(write(f->peer, &ready, 1), 1);
}

static void peer_reads_pin(struct fixture *f)
{
	struct hello h;
	struct qpinfo qi;
	char ready;

	assert_int_equal(fp_sock_io(f->peer, &h, sizeof(h), false, 1000), 0);
	assert_int_equal(h.pad, FP_HELLO_FOLLOW);
	assert_int_equal(fp_sock_io(f->peer, &qi, sizeof(qi), false, 1000), 0);
	assert_int_equal(fp_sock_io(f->peer, &ready, 1, false, 1000), 0);
}

/* Poll everything there is; count each message's completions by wr_id. */
static void poll_count(struct fixture *f, unsigned int *seen, unsigned int n)
{
	struct fp_wc wc[16];
	int got, i;

	while ((got = poll_checked(f->g, wc, 16)) > 0)
		for (i = 0; i < got; i++) {
			assert_int_equal(wc[i].status, 0);
			assert_true(wc[i].wr_id < n);
			seen[wc[i].wr_id]++;
		}
	assert_true(got >= 0);
}

static void follows(struct fixture *f, bool listener)
{
	f->g->peer_follows = true;
	f->g->listener = listener;
	assert_true(f->ctx->follow);
}

/*
 * Up to our COMMIT, this side (the listener) proposing: the peer froze
 * with @cut sends on the old QPs. Returns the switch's epoch.
 */
static uint64_t switch_to_commit(struct fixture *f, uint64_t cut)
{
	struct fp_ctl c;

	follows(f, true);
	fp_switch_propose(f->g, fp_now_ns());
	c = peer_reads(f);
	assert_int_equal(c.type, FP_CTL_PROPOSE);
	peer_ctl(f, FP_CTL_ACK, c.epoch, cut);
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(peer_reads(f).type, FP_CTL_COMMIT);
	return c.epoch;
}

/* ... and on to our DRAINED (the receives below the cut completed). */
static uint64_t switch_to_drained(struct fixture *f, uint64_t cut)
{
	uint64_t e = switch_to_commit(f, cut);

	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(peer_reads(f).type, FP_CTL_DRAINED);
	assert_int_equal(f->g->sw, FP_SW_DRAINED);
	return e;
}

/*
 * A switch whose old QPs flush more receives than one poll of the CQ takes
 * (40 beyond the cut, polled 32 at a time): each is kept, posted again on
 * the new QPs with its wr_id, and completes there once.
 */
static void test_switch_flush_batches(void **state)
{
	struct fixture *f = *state;
	struct qpinfo qi = good_peer(2);
	unsigned int seen[40] = { 0 }, old_nwrs, i;
	uint64_t e;

	for (i = 0; i < 40; i++)
		assert_int_equal(fp_post_recv(f->g, f->b, 100 * i, 100, i), 0);
	e = switch_to_drained(f, 0);
	flush_on_err = true;
	old_nwrs = nwrs;
	peer_ctl(f, FP_CTL_DRAINED, e, 0);
	peer_pins(f, 2, &qi);
	assert_int_equal(poll_nothing(f->g), 0);
	peer_reads_pin(f);
	assert_int_equal(f->g->sw, FP_SW_IDLE);
	assert_int_equal(f->g->switches, 1);
	assert_int_equal(f->g->error, 0);
	assert_int_equal(nwrs - old_nwrs, 40);
	for (i = old_nwrs; i < nwrs; i++) {
		assert_true(wrs[i].recv);
		assert_true(wrs[i].qp_num == f->g->sub[0].qp->qp_num ||
			    wrs[i].qp_num == f->g->sub[1].qp->qp_num);
	}
	stub_complete();
	poll_count(f, seen, 40);
	for (i = 0; i < 40; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * The whole switch, this side proposing. Before the cut: 4 sends (the
 * last posted after PROPOSE, not yet frozen), 4 receives. The peer has
 * sent 2: receives 0 and 1 are filled on the old QPs, 2 and 3 (and one
 * posted while frozen) are flushed and posted again on the new QPs with
 * their wr_ids; a send and a write posted while frozen are held and
 * issued on the new QPs after them. Every message completes exactly once.
 */
static void test_switch_cut(void **state)
{
	struct fixture *f = *state;
	struct qpinfo qi = good_peer(2);
	unsigned int seen[32] = { 0 }, i, old_nwrs;
	uint32_t old_qpn[2] = { f->g->sub[0].qp->qp_num,
				f->g->sub[1].qp->qp_num };
	struct fp_rbuf rb = { .addr = 1 << 20, .len = 4096, .rkey = 2 };
	uint64_t seq13 = 0;
	struct fp_ctl c;

	follows(f, true);
	for (i = 1; i <= 3; i++)
		assert_int_equal(fp_post_send(f->g, f->b, 0, 100, i), 0);
	for (i = 11; i <= 14; i++)
		assert_int_equal(fp_post_recv(f->g, f->b, 4096 * i, 100, i), 0);
	fp_switch_propose(f->g, fp_now_ns());
	c = peer_reads(f);
	assert_int_equal(c.type, FP_CTL_PROPOSE);
	assert_int_equal(f->g->sw, FP_SW_PROPOSED);
	assert_false(f->g->hold);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 4), 0);
	assert_int_equal(nwrs, 8);

	/* The peer froze with 2 sends out: we freeze and say 4. */
	peer_ctl(f, FP_CTL_ACK, c.epoch, 2);
	assert_int_equal(poll_nothing(f->g), 0);
	c = peer_reads(f);
	assert_int_equal(c.type, FP_CTL_COMMIT);
	assert_int_equal(c.count, 4);
	assert_int_equal(f->g->sw, FP_SW_DRAIN);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 5), 0);
	assert_int_equal(fp_post_write(f->g, f->b, 0, 100, &rb, 0, 6), 0);
	assert_int_equal(nwrs, 8);		/* held */
	assert_int_equal(fp_post_recv(f->g, f->b, 4096 * 15, 100, 15), 0);
	assert_int_equal(nwrs, 9);		/* receives are never held */
	for (i = 0; i < nwrs; i++)
		if (wrs[i].recv && wrs[i].addr == (uintptr_t)f->mem + 4096 * 13)
			seq13 = fp_wrid_seq(wrs[i].wr_id);
	assert_int_not_equal(seq13, 0);
	/* As with reports on: it goes through the done queue (FP_MSG_HOOKS). */
	{
		struct fp_msg *m = &f->g->tab.m[seq13 & f->g->tab.mask];

		m->flags |= FP_MSG_HOOKS;
		m->buf = f->b;
		m->buf_off = 4096 * 13;
	}

	/* Not drained while receive 1 waits for the peer's second send. */
	for (i = 0; i < nwrs; i++)
		if (!wrs[i].recv || wrs[i].addr == (uintptr_t)f->mem + 4096 * 11)
			complete(&wrs[i], IBV_WC_SUCCESS);
	poll_count(f, seen, 32);
	assert_true(peer_has_nothing(f));
	assert_int_equal(f->g->sw, FP_SW_DRAIN);
	for (i = 0; i < nwrs; i++)
		if (wrs[i].recv && wrs[i].addr == (uintptr_t)f->mem + 4096 * 12)
			complete(&wrs[i], IBV_WC_SUCCESS);
	poll_count(f, seen, 32);
	c = peer_reads(f);
	assert_int_equal(c.type, FP_CTL_DRAINED);
	assert_int_equal(f->g->sw, FP_SW_DRAINED);

	/* The peer drained too, and pins: the switch (the flush comes late). */
	flush_on_poll = true;
	old_nwrs = nwrs;
	peer_ctl(f, FP_CTL_DRAINED, c.epoch, 0);
	peer_pins(f, 2, &qi);
	poll_count(f, seen, 32);
	peer_reads_pin(f);
	assert_int_equal(f->g->sw, FP_SW_IDLE);
	assert_false(f->g->hold);
	assert_int_equal(f->g->switches, 1);
	assert_int_equal(f->g->error, 0);
	assert_int_equal(f->g->sub[0].remote_qpn, 0x500);
	for (i = 0; i < 2; i++)
		assert_int_not_equal(f->g->sub[i].qp->qp_num, old_qpn[0]);
	/* 3 receives again, then the send and the write, on the new QPs. */
	assert_int_equal(nwrs - old_nwrs, 5);
	for (i = old_nwrs; i < nwrs; i++)
		assert_true(wrs[i].qp_num == f->g->sub[0].qp->qp_num ||
			    wrs[i].qp_num == f->g->sub[1].qp->qp_num);
	assert_true(wrs[old_nwrs].recv && wrs[old_nwrs + 1].recv &&
		    wrs[old_nwrs + 2].recv);
	assert_int_equal(fp_wrid_seq(wrs[old_nwrs].wr_id), seq13);
	assert_int_equal(wrs[old_nwrs].addr, (uintptr_t)f->mem + 4096 * 13);
	assert_false(wrs[old_nwrs + 3].recv || wrs[old_nwrs + 4].recv);
	assert_int_equal(f->g->nrecv, 3);
	assert_int_equal(f->g->nsend, 1);

	/* Nothing of the flushed ones was handed out; now all complete once. */
	for (i = 13; i <= 15; i++)
		assert_int_equal(seen[i], 0);
	stub_complete();
	poll_count(f, seen, 32);
	for (i = 1; i <= 6; i++)
		assert_int_equal(seen[i], 1);
	for (i = 11; i <= 15; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_false(qp_bad_destroy);
}

/*
 * The cut counts sends, split ones too, and never writes: after two
 * sends and a write split over both subflows and an unsplit send, the
 * COMMIT says 3.
 */
static void test_switch_counts_split(void **state)
{
	struct fixture *f = *state;
	struct fp_rbuf rb = { .addr = 1 << 20, .len = 1 << 20, .rkey = 2 };
	struct fp_ctl c;

	follows(f, true);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100000, 1), 0);
	assert_int_equal(fp_post_write(f->g, f->b, 0, 100000, &rb, 0, 2), 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100000, 3), 0);
	assert_int_equal(nwrs, 6);		/* two chunks each */
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 4), 0);
	fp_switch_propose(f->g, fp_now_ns());
	c = peer_reads(f);
	assert_int_equal(c.type, FP_CTL_PROPOSE);
	peer_ctl(f, FP_CTL_ACK, c.epoch, 0);
	fp_switch_step(f->g, fp_now_ns());
	c = peer_reads(f);
	assert_int_equal(c.type, FP_CTL_COMMIT);
	assert_int_equal(c.count, 3);
}

/*
 * A PROPOSE is answered only while no switch is under way and the group
 * has not failed: a second one after our ACK, or one to a failed group,
 * is ignored (no ACK, the epoch and the state kept).
 */
static void test_switch_propose_ignored(void **state)
{
	struct fixture *f = *state;

	follows(f, false);
	f->g->plan_serial = f->ctx->plan_serial;	/* not stale: no proposal */
	peer_ctl(f, FP_CTL_PROPOSE, 7, 0);
	fp_switch_step(f->g, fp_now_ns());
	assert_int_equal(peer_reads(f).type, FP_CTL_ACK);
	assert_int_equal(f->g->sw, FP_SW_ACKED);
	peer_ctl(f, FP_CTL_PROPOSE, 8, 0);
	fp_switch_step(f->g, fp_now_ns());
	assert_true(peer_has_nothing(f));
	assert_int_equal(f->g->sw, FP_SW_ACKED);
	assert_int_equal(f->g->epoch, 7);
	peer_ctl(f, FP_CTL_ABORT, 7, 0);
	fp_switch_step(f->g, fp_now_ns());
	assert_int_equal(f->g->sw, FP_SW_IDLE);

	f->g->error = EIO;			/* failed, as fp_group_fail() leaves it */
	peer_ctl(f, FP_CTL_PROPOSE, 9, 0);
	fp_switch_step(f->g, fp_now_ns());
	assert_true(peer_has_nothing(f));
	assert_int_equal(f->g->sw, FP_SW_IDLE);
	assert_int_equal(f->g->epoch, 7);
	assert_false(f->g->hold);
}

/*
 * The peer goes away while this side drains: once drained, its DRAINED
 * cannot be sent, so the switch is given up (ECONNRESET) before the point
 * of no return, the old QPs kept; not taken as said.
 */
static void test_switch_drained_unsent(void **state)
{
	struct fixture *f = *state;
	struct ibv_qp *old[2] = { f->g->sub[0].qp, f->g->sub[1].qp };

	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1), 0);
	switch_to_commit(f, 0);
	assert_int_equal(f->g->sw, FP_SW_DRAIN);	/* the send is out */
	peer_leaves(f);
	stub_complete();
	f->g->sub[0].sq_used = f->g->sub[1].sq_used = 0;
	fp_switch_step(f->g, fp_now_ns());
	assert_int_equal(f->g->sw, FP_SW_IDLE);
	assert_int_equal(f->g->switch_failures, 1);
	assert_int_equal(f->g->switch_error, ECONNRESET);
	assert_int_equal(f->g->switches, 0);
	assert_ptr_equal(f->g->sub[0].qp, old[0]);
	assert_ptr_equal(f->g->sub[1].qp, old[1]);
}

/*
 * The peer aborts after our COMMIT (its drain timed out): the old QPs stay,
 * what was held goes out on them, the failure is counted and said.
 */
static void test_switch_abort(void **state)
{
	struct fixture *f = *state;
	struct ibv_qp *old[2] = { f->g->sub[0].qp, f->g->sub[1].qp };
	struct fp_follow_info fi;
	uint64_t e = switch_to_commit(f, 0);

	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(nwrs, 0);
	peer_ctl(f, FP_CTL_ABORT, e, 0);
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(f->g->sw, FP_SW_IDLE);
	assert_false(f->g->hold);
	assert_int_equal(nwrs, 1);		/* issued, on an old QP */
	assert_true(wrs[0].qp_num == old[0]->qp_num ||
		    wrs[0].qp_num == old[1]->qp_num);
	assert_group_intact(f, old, 2);
	assert_int_equal(fp_group_follow_query(f->g, &fi), 0);
	assert_int_equal(fi.switch_failures, 1);
	assert_int_equal(fi.switch_error, ECONNABORTED);
	assert_int_equal(fi.switches, 0);
}

/*
 * A peer that does not answer: the proposal is given up at the deadline,
 * never frozen meanwhile; a late ACK is answered with ABORT so that the
 * peer lets go too, and ignored once a newer proposal is out. A peer that does not speak the switch (an older
 * library) is never proposed to.
 */
static void test_switch_no_answer(void **state)
{
	struct fixture *f = *state;
	struct fp_ctl c;
	uint64_t old;

	fp_switch_propose(f->g, fp_now_ns());
	assert_int_equal(f->g->sw, FP_SW_IDLE);
	assert_true(peer_has_nothing(f));

	follows(f, true);
	fp_switch_propose(f->g, fp_now_ns());
	c = peer_reads(f);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(nwrs, 1);
	/* Waited for until the deadline (the group's timeout, 10 s). */
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(f->g->sw, FP_SW_PROPOSED);
	f->g->sw_deadline = 1;
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(f->g->sw, FP_SW_IDLE);
	assert_int_equal(f->g->switch_failures, 1);
	assert_int_equal(f->g->switch_error, ETIMEDOUT);
	/* Not again before a timeout has passed. */
	fp_switch_propose(f->g, fp_now_ns());
	assert_int_equal(f->g->sw, FP_SW_IDLE);
	peer_ctl(f, FP_CTL_ACK, c.epoch, 0);
	assert_int_equal(poll_nothing(f->g), 0);
	old = c.epoch;
	c = peer_reads(f);
	assert_int_equal(c.type, FP_CTL_ABORT);
	assert_int_equal(f->g->sw, FP_SW_IDLE);
	assert_false(f->g->hold);
	/* Proposed again: the old proposal's ACK, once more, is ignored. */
	f->g->sw_retry_ns = 0;
	fp_switch_propose(f->g, fp_now_ns());
	c = peer_reads(f);
	assert_int_equal(c.type, FP_CTL_PROPOSE);
	assert_true(c.epoch > old);
	peer_ctl(f, FP_CTL_ACK, old, 0);
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(f->g->sw, FP_SW_PROPOSED);
	assert_int_equal(f->g->error, 0);
	assert_true(peer_has_nothing(f));
}

/*
 * Both ends propose at once: the connecting side answers the listener's
 * proposal (freezes, ACK with its count) and its own is dropped; a COMMIT
 * gives it the cut. The application's bytes (fp_group_xchg) pass a
 * control record met on the way.
 */
static void test_switch_both_propose(void **state)
{
	struct fixture *f = *state;
	struct fp_ctl c, x = { .magic = FP_CTL_MAGIC, .type = FP_CTL_XCHG,
			       .count = 3 };
	char in[3];

	follows(f, false);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1), 0);
	fp_switch_propose(f->g, fp_now_ns());
	assert_int_equal(peer_reads(f).type, FP_CTL_PROPOSE);
	/* The peer's PROPOSE, then its fp_group_xchg("abc"). */
	peer_ctl(f, FP_CTL_PROPOSE, 7, 0);
	assert_int_equal(write(f->peer, &x, sizeof(x)), sizeof(x));
	assert_int_equal(write(f->peer, "abc", 3), 3);
	assert_int_equal(fp_group_xchg(f->g, "xyz", in, 3), 0);
	assert_memory_equal(in, "abc", 3);
	c = peer_reads(f);
	assert_int_equal(c.type, FP_CTL_XCHG);	/* ours, framed */
	{
		char out[3];

		assert_int_equal(fp_sock_io(f->peer, out, 3, false, 1000), 0);
		assert_memory_equal(out, "xyz", 3);
	}
	c = peer_reads(f);
	assert_int_equal(c.type, FP_CTL_ACK);
	assert_int_equal(c.epoch, 7);
	assert_int_equal(c.count, 1);
	assert_int_equal(f->g->sw, FP_SW_ACKED);
	assert_true(f->g->hold);
	peer_ctl(f, FP_CTL_COMMIT, 7, 5);
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(f->g->sw, FP_SW_DRAIN);
	assert_int_equal(f->g->peer_cut, 5);
	/* fp_group_repin() by hand while the library switches: EBUSY. */
	assert_int_equal(fp_group_repin(f->g), EBUSY);
}

/*
 * A PROPOSE that cannot be sent (the peer's end closed): no switch under
 * way, the failure counted and said (ECONNRESET), and no new try before
 * the group's timeout has passed; then one.
 */
static void test_switch_propose_fails(void **state)
{
	struct fixture *f = *state;
	uint64_t now = fp_now_ns();

	follows(f, true);
	close(f->peer);
	f->peer = -1;
	fp_switch_propose(f->g, now);
	assert_int_equal(f->g->sw, FP_SW_IDLE);
	assert_int_equal(f->g->switch_failures, 1);
	assert_int_equal(f->g->switch_error, ECONNRESET);
	fp_switch_propose(f->g, now + f->g->timeout_ns - 1);
	assert_int_equal(f->g->switch_failures, 1);
	fp_switch_propose(f->g, now + f->g->timeout_ns);
	assert_int_equal(f->g->switch_failures, 2);
	assert_int_equal(f->g->sw, FP_SW_IDLE);
}

/*
 * fp_group_xchg() between ends that speak the switch: an exchange of no
 * bytes (a barrier) is a record each way and 0; a peer whose record counts
 * other bytes than ours is EPROTO.
 */
static void test_xchg_framed(void **state)
{
	struct fixture *f = *state;
	struct fp_ctl c, x = { .magic = FP_CTL_MAGIC, .type = FP_CTL_XCHG };
	char in[3];

	follows(f, false);
	assert_int_equal(write(f->peer, &x, sizeof(x)), sizeof(x));
	assert_int_equal(fp_group_xchg(f->g, NULL, NULL, 0), 0);
	c = peer_reads(f);
	assert_int_equal(c.type, FP_CTL_XCHG);
	assert_int_equal(c.count, 0);
	x.count = 2;
	assert_int_equal(write(f->peer, &x, sizeof(x)), sizeof(x));
	assert_int_equal(fp_group_xchg(f->g, "xyz", in, 3), EPROTO);
	c = peer_reads(f);
	assert_int_equal(c.type, FP_CTL_XCHG);
	assert_int_equal(c.count, 3);
}

/*
 * A peer end that sends all of its exchange before reading ours (as
 * FLOWPLAN_1.3's fp_group_xchg() did), on a thread: @propose puts a
 * PROPOSE before its bytes, and @framed frames them; then it reads ours,
 * and after them the ACK that answers its PROPOSE.
 */
#define BIG_XCHG (4u << 20)	/* far beyond a socket pair's buffers */

struct big_peer {
	int fd;
	bool framed, propose;
	const char *mine, *theirs;	/* the peer's bytes, the ones it expects */
	const char *why;		/* NULL: all as expected */
};

static void *big_peer_run(void *arg)
{
	struct big_peer *p = arg;
	struct fp_ctl c = { .magic = FP_CTL_MAGIC, .type = FP_CTL_PROPOSE,
			    .epoch = 7 };
	char *got = malloc(BIG_XCHG);

	p->why = "out of memory";
	if (!got)
		return NULL;
	p->why = "could not send its bytes";
	if (p->propose && fp_sock_io(p->fd, &c, sizeof(c), true, 60000))
		goto out;
	c = (struct fp_ctl){ .magic = FP_CTL_MAGIC, .type = FP_CTL_XCHG,
			     .count = BIG_XCHG };
	if (p->framed && fp_sock_io(p->fd, &c, sizeof(c), true, 60000))
		goto out;
	if (fp_sock_io(p->fd, (void *)p->mine, BIG_XCHG, true, 60000))
		goto out;
	p->why = "our record is not an FP_CTL_XCHG of BIG_XCHG bytes";
	if (p->framed && (fp_sock_io(p->fd, &c, sizeof(c), false, 60000) ||
			  c.magic != FP_CTL_MAGIC || c.type != FP_CTL_XCHG ||
			  c.count != BIG_XCHG))
		goto out;
	p->why = "our bytes did not arrive whole and in order";
	if (fp_sock_io(p->fd, got, BIG_XCHG, false, 60000) ||
	    memcmp(got, p->theirs, BIG_XCHG))
		goto out;
	p->why = "no ACK of epoch 7 after our bytes";
	if (p->propose && (fp_sock_io(p->fd, &c, sizeof(c), false, 60000) ||
			   c.magic != FP_CTL_MAGIC || c.type != FP_CTL_ACK ||
			   c.epoch != 7))
		goto out;
	p->why = NULL;
out:
	free(got);
	return NULL;
}

/* fp_group_xchg() of BIG_XCHG bytes against the peer @run on a thread. */
static void big_xchg(struct fixture *f, bool framed, bool propose,
		     void *(*run)(void *))
{
	struct big_peer p = { .fd = f->peer, .framed = framed,
			      .propose = propose };
	char *out = malloc(BIG_XCHG), *theirs = malloc(BIG_XCHG),
	     *in = malloc(BIG_XCHG);
	pthread_t th;
	size_t i;

	assert_non_null(out);
	assert_non_null(theirs);
	assert_non_null(in);
	for (i = 0; i < BIG_XCHG; i++) {
		out[i] = (char)(i * 7 + 1);
		theirs[i] = (char)(i * 13 + 5);
	}
	p.mine = theirs;
	p.theirs = out;
	if (framed)
		follows(f, false);
	assert_int_equal(pthread_create(&th, NULL, run, &p), 0);
	/* Both ends blocked in send() would hang: end the test instead. */
	alarm(120);
	assert_int_equal(fp_group_xchg(f->g, out, in, BIG_XCHG), 0);
	alarm(0);
	assert_int_equal(pthread_join(th, NULL), 0);
	if (p.why)
		fail_msg("the peer: %s", p.why);
	assert_memory_equal(in, theirs, BIG_XCHG);
	if (propose)
		assert_int_equal(f->g->sw, FP_SW_ACKED);
	free(out);
	free(theirs);
	free(in);
}

/*
 * fp_group_xchg() of more bytes than the sockets hold, against a peer that
 * sends all of its bytes before reading: ours go out while its come in
 * (plain and framed), and a PROPOSE met before the peer's bytes is
 * answered after ours, not inside them.
 */
static void test_xchg_big(void **state)
{
	big_xchg(*state, false, false, big_peer_run);
}

static void test_xchg_big_framed(void **state)
{
	big_xchg(*state, true, false, big_peer_run);
}

static void test_xchg_big_framed_propose(void **state)
{
	big_xchg(*state, true, true, big_peer_run);
}

/*
 * A peer that sends a PROPOSE and then XCHG_HELD (16) stray records
 * (COMMITs of an older epoch) before anything else, reads all of our
 * exchange, and only then sends its own (framed); last, it reads the ACK
 * that answers its PROPOSE. On a thread, as big_peer_run().
 */
#define XCHG_STRAYS 16

static void *held_peer_run(void *arg)
{
	struct big_peer *p = arg;
	struct fp_ctl c = { .magic = FP_CTL_MAGIC, .type = FP_CTL_PROPOSE,
			    .epoch = 7 };
	char *got = malloc(BIG_XCHG);
	unsigned int i;

	p->why = "out of memory";
	if (!got)
		return NULL;
	p->why = "could not send its records";
	if (fp_sock_io(p->fd, &c, sizeof(c), true, 60000))
		goto out;
	c.type = FP_CTL_COMMIT;
	c.epoch = 6;
	for (i = 0; i < XCHG_STRAYS; i++)
		if (fp_sock_io(p->fd, &c, sizeof(c), true, 60000))
			goto out;
	p->why = "our record is not an FP_CTL_XCHG of BIG_XCHG bytes";
	if (fp_sock_io(p->fd, &c, sizeof(c), false, 60000) ||
	    c.magic != FP_CTL_MAGIC || c.type != FP_CTL_XCHG ||
	    c.count != BIG_XCHG)
		goto out;
	p->why = "our bytes did not arrive whole and in order";
	if (fp_sock_io(p->fd, got, BIG_XCHG, false, 60000) ||
	    memcmp(got, p->theirs, BIG_XCHG))
		goto out;
	p->why = "could not send its bytes";
	if (fp_sock_io(p->fd, &c, sizeof(c), true, 60000) ||
	    fp_sock_io(p->fd, (void *)p->mine, BIG_XCHG, true, 60000))
		goto out;
	p->why = "no ACK of epoch 7 after our bytes";
	if (fp_sock_io(p->fd, &c, sizeof(c), false, 60000) ||
	    c.magic != FP_CTL_MAGIC || c.type != FP_CTL_ACK || c.epoch != 7)
		goto out;
	p->why = NULL;
out:
	free(got);
	return NULL;
}

/*
 * fp_group_xchg() of more bytes than the sockets hold, while the peer's
 * switch records keep coming: once 16 wait, ours are sent first (the
 * peer reads them), then the records are taken in the order they came,
 * the PROPOSE answered after our bytes, the strays ignored; then the
 * peer's bytes.
 */
static void test_xchg_held_full(void **state)
{
	struct fixture *f = *state;

	big_xchg(f, true, true, held_peer_run);
	assert_int_equal(f->g->epoch, 7);
	assert_true(peer_has_nothing(f));
}

/*
 * COMMIT answers our ACK of the current switch only: one while idle (a
 * stray), or of an earlier epoch while we wait, changes nothing.
 */
static void test_switch_stray_commit(void **state)
{
	struct fixture *f = *state;

	follows(f, false);
	f->g->plan_serial = f->ctx->plan_serial;	/* not stale: no proposal */
	peer_ctl(f, FP_CTL_COMMIT, f->g->epoch, 5);
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(f->g->sw, FP_SW_IDLE);
	assert_int_equal(f->g->peer_cut, 0);
	assert_false(f->g->hold);
	peer_ctl(f, FP_CTL_PROPOSE, 7, 0);
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(peer_reads(f).type, FP_CTL_ACK);
	assert_int_equal(f->g->sw, FP_SW_ACKED);
	peer_ctl(f, FP_CTL_COMMIT, 6, 5);
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(f->g->sw, FP_SW_ACKED);
	assert_int_equal(f->g->peer_cut, 0);
	peer_ctl(f, FP_CTL_COMMIT, 7, 5);
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(f->g->sw, FP_SW_DRAIN);
	assert_int_equal(f->g->peer_cut, 5);
}

/*
 * A control record of no type the switch has (0, or past ABORT and
 * XCHG) is a peer that does not speak it: the group fails, EPROTO.
 */
static void test_switch_bad_record(void **state)
{
	struct fixture *f = *state;
	uint32_t type[] = { 0, 7 };
	unsigned int i;

	follows(f, true);
	f->g->plan_serial = f->ctx->plan_serial;	/* not stale: no proposal */
	for (i = 0; i < 2; i++) {
		f->g->error = 0;
		peer_ctl(f, type[i], f->g->epoch, 0);
		assert_int_equal(poll_nothing(f->g), 0);
		assert_int_equal(f->g->error, EPROTO);
		assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1), ENOTCONN);
	}
}

/*
 * DRAINED waits for every send on the old QPs: one still out on the
 * second subflow alone holds it back until it completes.
 */
static void test_switch_drain_sends(void **state)
{
	struct fixture *f = *state;
	unsigned int seen[4] = { 0 };

	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 2), 0);
	complete(&wrs[wr_on(f, 0, 0)], IBV_WC_SUCCESS);
	poll_count(f, seen, 4);
	assert_int_equal(f->g->sub[1].sq_used, 1);
	switch_to_commit(f, 0);
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(f->g->sw, FP_SW_DRAIN);
	assert_true(peer_has_nothing(f));
	complete(&wrs[wr_on(f, 1, 0)], IBV_WC_SUCCESS);
	poll_count(f, seen, 4);
	assert_int_equal(peer_reads(f).type, FP_CTL_DRAINED);
	assert_int_equal(f->g->sw, FP_SW_DRAINED);
	assert_int_equal(seen[1] + seen[2], 2);
}

/*
 * Sends and writes held while frozen: more than the queue's first size
 * (64), all issued in order when the switch is given up (one refused
 * first, when no memory could be had to hold it). With the send
 * queues full then, they wait, and a later check issues them once there
 * is room.
 */
static void test_switch_held_wait(void **state)
{
	struct fixture *f = *state;
	unsigned int i, n = 100;
	uint64_t e;

	fp_msgtab_fini(&f->g->tab);
	assert_int_equal(fp_msgtab_init(&f->g->tab, 256), 0);
	e = switch_to_commit(f, 0);
	/* No memory for the queue of held posts: refused, nothing held. */
	fail_at = 0;
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 999), ENOMEM);
	assert_int_equal(f->g->qtail - f->g->qhead, 0);
	for (i = 0; i < n; i++)
		assert_int_equal(fp_post_send(f->g, f->b, 0, 100, i), 0);
	assert_int_equal(nwrs, 0);
	/* The send queues full (of sends before the freeze, say). */
	f->g->sub[0].sq_used = f->g->sub[1].sq_used = FP_SQ_DEPTH;
	peer_ctl(f, FP_CTL_ABORT, e, 0);
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(f->g->sw, FP_SW_IDLE);
	assert_int_equal(nwrs, 0);
	assert_true(f->g->hold);
	f->g->sub[0].sq_used = f->g->sub[1].sq_used = 0;
	assert_int_equal(poll_nothing(f->g), 0);
	assert_false(f->g->hold);
	assert_int_equal(nwrs, n);
	for (i = 0; i < n; i++)
		assert_int_equal(f->g->tab.m[fp_wrid_seq(wrs[i].wr_id) &
					     f->g->tab.mask].wr_id, i);
}

/*
 * A receive beyond the cut that the flush finds filled after all is handed
 * out with its bytes, not posted again; the other is posted again.
 */
static void test_switch_filled_late(void **state)
{
	struct fixture *f = *state;
	struct qpinfo qi = good_peer(2);
	unsigned int seen[4] = { 0 }, a, old_nwrs;
	uint64_t e;

	assert_int_equal(fp_post_recv(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(fp_post_recv(f->g, f->b, 4096, 100, 2), 0);
	e = switch_to_drained(f, 0);
	for (a = 0; wrs[a].addr != (uintptr_t)f->mem; a++)
		;
	complete(&wrs[a], IBV_WC_SUCCESS);
	flush_on_err = true;
	old_nwrs = nwrs;
	peer_ctl(f, FP_CTL_DRAINED, e, 0);
	peer_pins(f, 2, &qi);
	/* Straight to the switch: fp_poll() would take the completion first. */
	fp_switch_step(f->g, fp_now_ns());
	peer_reads_pin(f);
	assert_int_equal(f->g->switches, 1);
	assert_int_equal(nwrs - old_nwrs, 1);
	assert_true(wrs[old_nwrs].recv);
	assert_int_equal(wrs[old_nwrs].addr, (uintptr_t)f->mem + 4096);
	assert_int_equal(f->g->nrecv, 1);
	poll_count(f, seen, 4);
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2], 0);
	stub_complete();
	poll_count(f, seen, 4);
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2], 1);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * The flush waits for every subflow's QP: a receive beyond the cut on the
 * second subflow alone (the first's completed) is posted again.
 */
static void test_switch_second_subflow(void **state)
{
	struct fixture *f = *state;
	struct qpinfo qi = good_peer(2);
	unsigned int seen[4] = { 0 }, old_nwrs;
	uint64_t e;

	assert_int_equal(fp_post_recv(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(fp_post_recv(f->g, f->b, 4096, 100, 2), 0);
	complete(&wrs[wr_on(f, 0, 0)], IBV_WC_SUCCESS);
	poll_count(f, seen, 4);
	assert_int_equal(seen[1] + seen[2], 1);
	assert_int_equal(f->g->sub[0].rq_used, 0);
	assert_int_equal(f->g->sub[1].rq_used, 1);
	e = switch_to_drained(f, 0);
	flush_on_poll = true;
	old_nwrs = nwrs;
	peer_ctl(f, FP_CTL_DRAINED, e, 0);
	peer_pins(f, 2, &qi);
	poll_count(f, seen, 4);
	peer_reads_pin(f);
	assert_int_equal(f->g->switches, 1);
	assert_int_equal(nwrs - old_nwrs, 1);
	assert_true(wrs[old_nwrs].recv);
	stub_complete();
	poll_count(f, seen, 4);
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2], 1);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/*
 * The peer froze after 2 sends: this side is not drained while it has
 * posted fewer receives than that, though the one it posted completed;
 * it is once the second is posted and completes. The receives are of
 * length 0, which go the general way (post_general()).
 */
static void test_switch_cut_beyond_receives(void **state)
{
	struct fixture *f = *state;
	unsigned int seen[4] = { 0 };

	assert_int_equal(fp_post_recv(f->g, f->b, 0, 0, 1), 0);
	switch_to_commit(f, 2);
	stub_complete();
	poll_count(f, seen, 4);
	assert_int_equal(seen[1], 1);
	assert_int_equal(f->g->sw, FP_SW_DRAIN);
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 0, 2), 0);
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(f->g->sw, FP_SW_DRAIN);
	stub_complete();
	poll_count(f, seen, 4);
	assert_int_equal(seen[2], 1);
	assert_int_equal(peer_reads(f).type, FP_CTL_DRAINED);
	assert_int_equal(f->g->sw, FP_SW_DRAINED);
}

/*
 * The new QPs cannot take a receive posted again (the peer's new chunk
 * size would need more chunks than the queues hold): it completes once,
 * EMSGSIZE, and the switch stands.
 */
static void test_switch_repost_refused(void **state)
{
	struct fixture *f = *state;
	struct qpinfo qi = good_peer(2);
	struct fp_wc wc[4];
	uint64_t e;

	assert_int_equal(fp_post_recv(f->g, f->b, 0, 4096, 1), 0);
	e = switch_to_drained(f, 0);
	flush_on_err = true;
	qi.chunk_max = 1;
	qi.split_min = 1;
	peer_ctl(f, FP_CTL_DRAINED, e, 0);
	peer_pins(f, 2, &qi);
	assert_int_equal(poll_checked(f->g, wc, 4), 1);
	peer_reads_pin(f);
	assert_int_equal(f->g->switches, 1);
	assert_int_equal(f->g->error, 0);
	assert_int_equal(wc[0].wr_id, 1);
	assert_int_equal(wc[0].status, EMSGSIZE);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(f->g->sub[0].rq_used + f->g->sub[1].rq_used, 0);
}

/*
 * The new QPs could take the receive, but not on the one subflow the
 * peer's new weights give all of it (600 chunks of 1 byte, 512 a queue):
 * it completes once, ENOBUFS, and the switch stands.
 */
static void repost_no_room(struct fixture *f, unsigned int sub)
{
	struct qpinfo qi = good_peer(2);
	struct fp_wc wc[4];
	uint64_t e;

	assert_int_equal(fp_post_recv(f->g, f->b, 0, 600, 1), 0);
	e = switch_to_drained(f, 0);
	flush_on_err = true;
	qi.chunk_max = 1;
	qi.split_min = 1;
	qi.weight[sub] = FP_WEIGHT_ONE;
	qi.weight[!sub] = 0;
	peer_ctl(f, FP_CTL_DRAINED, e, 0);
	peer_pins(f, 2, &qi);
	assert_int_equal(poll_checked(f->g, wc, 4), 1);
	peer_reads_pin(f);
	assert_int_equal(f->g->switches, 1);
	assert_int_equal(f->g->error, 0);
	assert_int_equal(wc[0].wr_id, 1);
	assert_int_equal(wc[0].status, ENOBUFS);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(f->g->sub[0].rq_used + f->g->sub[1].rq_used, 0);
}

static void test_switch_repost_no_room(void **state)
{
	repost_no_room(*state, 0);
}

/* The same on the second subflow: every subflow's room is looked at. */
static void test_switch_repost_no_room_second(void **state)
{
	repost_no_room(*state, 1);
}

/*
 * A receive posted again on the new QPs is on the subflows it was posted
 * on there: the peer's new weights give subflow 1 all of it, so when it
 * is late, only that subflow's QP is moved to the error state.
 */
static void test_switch_repost_subflows(void **state)
{
	struct fixture *f = *state;
	struct qpinfo qi = good_peer(2);
	struct fp_wc wc[4];
	struct fp_msg *m;
	uint64_t e;
	int got;

	assert_int_equal(fp_post_recv(f->g, f->b, 0, 600, 1), 0);
	e = switch_to_drained(f, 0);
	flush_on_err = true;
	qi.weight[0] = 0;
	qi.weight[1] = FP_WEIGHT_ONE;
	peer_ctl(f, FP_CTL_DRAINED, e, 0);
	peer_pins(f, 2, &qi);
	assert_int_equal(poll_nothing(f->g), 0);
	peer_reads_pin(f);
	assert_int_equal(f->g->switches, 1);
	assert_int_equal(f->g->sub[0].rq_used, 0);
	assert_int_equal(f->g->sub[1].rq_used, 1);
	m = &f->g->tab.m[fp_wrid_seq(wrs[nwrs - 1].wr_id) & f->g->tab.mask];
	assert_int_equal(m->wr_id, 1);
	m->deadline_ns = 1;			/* long past */
	got = poll_checked(f->g, wc, 4);
	assert_int_equal(got, 1);
	assert_int_equal(wc[0].wr_id, 1);
	assert_int_equal(wc[0].status, ETIMEDOUT);
	assert_int_not_equal(stub_of(f->g->sub[0].qp)->state, IBV_QPS_ERR);
	assert_int_equal(stub_of(f->g->sub[1].qp)->state, IBV_QPS_ERR);
}

/*
 * With reports on, that receive's record says it failed and ends after it
 * began (one ending at 0 is a record the report reader counts lost).
 */
static void test_switch_repost_reported(void **state)
{
	struct fixture *f = *state;
	struct qpinfo qi = good_peer(2);
	struct fp_report_rec recs[4];
	struct fp_err err = { { 0 } };
	struct fp_report *rep;
	uint32_t serial = 0;
	struct fp_wc wc[4];
	uint64_t lost = 0;
	size_t got = 0;
	uint64_t e;

	assert_int_equal(fp_ring_create_in(&f->ctx->ring, "/tmp",
					   (uint32_t)getpid(), &serial, 64,
					   &err), 0);
	rep = fp_report_open(f->ctx->ring.path);
	assert_non_null(rep);
	assert_int_equal(fp_post_recv(f->g, f->b, 0, 4096, 1), 0);
	e = switch_to_drained(f, 0);
	flush_on_err = true;
	qi.chunk_max = 1;
	qi.split_min = 1;
	peer_ctl(f, FP_CTL_DRAINED, e, 0);
	peer_pins(f, 2, &qi);
	assert_int_equal(poll_checked(f->g, wc, 4), 1);
	peer_reads_pin(f);
	assert_int_equal(wc[0].status, EMSGSIZE);
	assert_int_equal(fp_report_read(rep, recs, 4, &got, &lost), 0);
	assert_int_equal(lost, 0);
	assert_int_equal(got, 1);
	assert_int_equal(recs[0].op, FP_OP_RECV);
	assert_int_equal(recs[0].status, EMSGSIZE);
	assert_true(recs[0].end_ns >= recs[0].start_ns);
	assert_int_equal(fp_report_close(rep), 0);
}

/*
 * The peer's new plan has FP_MAX_SUBFLOWS subflows: the group grows to
 * them, and a receive (in 8 chunks on the old QPs) posted again is cut
 * over the new QPs, its chunks tiling its place in the buffer.
 */
static void test_switch_to_max(void **state)
{
	struct fixture *f = *state;
	struct qpinfo qi = good_peer(FP_MAX_SUBFLOWS);
	unsigned int seen[4] = { 0 }, i, old_nwrs;
	uintptr_t lo = (uintptr_t)f->mem + 8192, hi = lo + 65536, sum = 0;
	uint64_t e;

	f->g->rchunk_max = 8192;	/* 8 chunks: the general way */
	assert_int_equal(fp_post_recv(f->g, f->b, 8192, 65536, 1), 0);
	assert_int_equal(nwrs, 8);
	e = switch_to_drained(f, 0);
	flush_on_err = true;
	old_nwrs = nwrs;
	peer_ctl(f, FP_CTL_DRAINED, e, 0);
	peer_pins(f, FP_MAX_SUBFLOWS, &qi);
	assert_int_equal(poll_nothing(f->g), 0);
	peer_reads_pin(f);
	assert_int_equal(f->g->switches, 1);
	assert_int_equal(f->g->k, FP_MAX_SUBFLOWS);
	assert_true(nwrs > old_nwrs);
	for (i = old_nwrs; i < nwrs; i++) {
		assert_true(wrs[i].recv);
		assert_true(wrs[i].addr >= lo && wrs[i].addr + wrs[i].len <= hi);
		sum += wrs[i].len;
		assert_non_null(stub_of(f->g->sub[FP_WRID_SUB(wrs[i].wr_id)].qp));
		assert_int_equal(wrs[i].qp_num,
				 f->g->sub[FP_WRID_SUB(wrs[i].wr_id)].qp->qp_num);
	}
	assert_true(sum == 65536);
	stub_complete();
	poll_count(f, seen, 4);
	assert_int_equal(seen[1], 1);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

/* A peer that begins its pin only once ours arrived (it saw DRAINED late). */
static void *late_pinner(void *arg)
{
	struct fixture *f = arg;
	struct qpinfo qi = good_peer(2);
	struct hello h = { .magic = HELLO_MAGIC, .version = FP_ABI_VERSION,
			   .k = 2, .pad = FP_HELLO_FOLLOW }, ours;
	char ready = 1;

	if (fp_sock_io(f->peer, &ours, sizeof(ours), false, 5000) ||
	    write(f->peer, &h, sizeof(h)) != sizeof(h) ||
	    write(f->peer, &qi, sizeof(qi)) != sizeof(qi) ||
	    write(f->peer, &ready, 1) != 1)
		return (void *)1;
	return NULL;
}

/*
 * After DRAINED, our pin waits (within the group's timeout) for a peer
 * that begins its own only once ours arrived.
 */
static void test_switch_peer_late(void **state)
{
	struct fixture *f = *state;
	void *ret = (void *)1;
	struct qpinfo qi;
	pthread_t th;
	char ready;
	uint64_t e;

	assert_int_equal(fp_post_recv(f->g, f->b, 0, 100, 1), 0);
	e = switch_to_drained(f, 0);
	flush_on_err = true;
	assert_int_equal(pthread_create(&th, NULL, late_pinner, f), 0);
	peer_ctl(f, FP_CTL_DRAINED, e, 0);
	assert_int_equal(poll_nothing(f->g), 0);
	assert_int_equal(pthread_join(th, &ret), 0);
	assert_null(ret);
	assert_int_equal(f->g->error, 0);
	assert_int_equal(f->g->switches, 1);
	assert_int_equal(f->g->sub[1].remote_qpn, 0x501);
	assert_int_equal(fp_sock_io(f->peer, &qi, sizeof(qi), false, 1000), 0);
	assert_int_equal(fp_sock_io(f->peer, &ready, 1, false, 1000), 0);
}

/*
 * The peer goes away after both said DRAINED: there is no way back, the
 * group fails, and every message (a receive flushed, a send held)
 * completes once, failed; later posts are refused.
 */
static void test_switch_peer_gone(void **state)
{
	struct fixture *f = *state;
	unsigned int seen[4] = { 0 }, i;
	struct fp_wc wc[4];
	uint64_t e;
	int got;

	assert_int_equal(fp_post_recv(f->g, f->b, 0, 100, 1), 0);
	e = switch_to_drained(f, 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 2), 0);
	assert_int_equal(nwrs, 1);		/* held */
	flush_on_err = true;
	peer_ctl(f, FP_CTL_DRAINED, e, 0);
	peer_leaves(f);
	for (i = 0; i < 4; i++) {
		got = poll_checked(f->g, wc, 4);
		assert_true(got >= 0);
		while (got-- > 0) {
			assert_int_not_equal(wc[got].status, 0);
			assert_true(wc[got].wr_id < 4);
			seen[wc[got].wr_id]++;
		}
	}
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2], 1);
	assert_int_not_equal(f->g->error, 0);
	assert_int_equal(f->g->sw, FP_SW_IDLE);
	assert_int_equal(f->g->switches, 0);
	assert_int_equal(f->g->switch_failures, 1);
	assert_false(f->g->hold);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
	assert_int_equal(fp_post_send(f->g, f->b, 0, 100, 3), ENOTCONN);
}

/*
 * A switch that fails after the flush (the peer's hello is refused):
 * the group fails and the receives beyond the cut, flushed, are failed
 * (EPROTO), not to be posted again. So when the application has not
 * reaped them yet, repins the group and the next switch goes through,
 * that switch posts none of them again: each completes once, failed.
 */
static void test_switch_failed_no_repost(void **state)
{
	struct fixture *f = *state;
	struct qpinfo qi = good_peer(2);
	struct hello h = { .magic = HELLO_MAGIC, .version = FP_ABI_VERSION + 1,
			   .k = 2, .pad = FP_HELLO_FOLLOW }, ours;
	unsigned int seen[4] = { 0 }, old_nwrs;
	struct fp_wc wc[4];
	struct fp_ctl c;
	uint64_t e;
	int got, i;

	assert_int_equal(fp_post_recv(f->g, f->b, 0, 100, 1), 0);
	assert_int_equal(fp_post_recv(f->g, f->b, 4096, 100, 2), 0);
	e = switch_to_drained(f, 0);
	flush_on_err = true;
	peer_ctl(f, FP_CTL_DRAINED, e, 0);
	assert_int_equal(write(f->peer, &h, sizeof(h)), sizeof(h));
	/* Not through fp_poll(), which would reap the failed receives. */
	fp_switch_step(f->g, fp_now_ns());
	assert_int_equal(fp_sock_io(f->peer, &ours, sizeof(ours), false, 1000), 0);
	assert_int_equal(f->g->error, EPROTO);
	assert_int_equal(f->g->switch_failures, 1);
	assert_int_equal(f->g->sw, FP_SW_IDLE);

	/* The application repins the failed group; the peer follows. */
#ifdef HAVE_MLX5DV
	{
		char keep = 0;

		assert_int_equal(write(f->peer, &keep, 1), 1);
	}
#endif
	peer_pins(f, 2, &qi);
	assert_int_equal(fp_group_repin(f->g), 0);
#ifdef HAVE_MLX5DV
	{
		char keep;

		assert_int_equal(fp_sock_io(f->peer, &keep, 1, false, 1000), 0);
	}
#endif
	peer_reads_pin(f);
	assert_int_equal(f->g->error, 0);
	assert_true(f->g->peer_follows);

	/* The next switch, this side proposing, still without fp_poll(). */
	fp_switch_propose(f->g, fp_now_ns());
	c = peer_reads(f);
	assert_int_equal(c.type, FP_CTL_PROPOSE);
	peer_ctl(f, FP_CTL_ACK, c.epoch, 0);
	fp_switch_step(f->g, fp_now_ns());
	assert_int_equal(peer_reads(f).type, FP_CTL_COMMIT);
	assert_int_equal(peer_reads(f).type, FP_CTL_DRAINED);
	assert_int_equal(f->g->sw, FP_SW_DRAINED);
	old_nwrs = nwrs;
	peer_ctl(f, FP_CTL_DRAINED, c.epoch, 0);
	peer_pins(f, 2, &qi);
	fp_switch_step(f->g, fp_now_ns());
	peer_reads_pin(f);
	assert_int_equal(f->g->switches, 1);
	assert_int_equal(f->g->error, 0);
	if (nwrs != old_nwrs)
		fail_msg("the switch after a failed one posted %u receives again",
			 nwrs - old_nwrs);
	assert_int_equal(f->g->nrecv, 0);
	stub_complete();
	for (i = 0; i < 4; i++) {
		got = poll_checked(f->g, wc, 4);
		assert_true(got >= 0);
		while (got-- > 0) {
			assert_int_equal(wc[got].status, EPROTO);
			assert_true(wc[got].wr_id < 4);
			seen[wc[got].wr_id]++;
		}
	}
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2], 1);
	assert_int_equal(fp_msgtab_live(&f->g->tab), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_expiry_then_peer_gone, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_and_peer_gone_together, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_peer_gone_keeps_success, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_fast_unsplit, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_fast_spread_pick, setup4, teardown),
		cmocka_unit_test_setup_teardown(test_fast_split, setup4, teardown),
		cmocka_unit_test_setup_teardown(test_fast_split_zero_full, setup4, teardown),
		cmocka_unit_test_setup_teardown(test_fast_order, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_fast_recv_short, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_zero_length, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_general_expiry_subflows, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_general_chunks_nomem, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_general_recv_refused, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_fast_expiry_subflow, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_fast_full, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_fast_order, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_zero_length, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_and_peer_gone_together, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_peer_gone_keeps_success, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_split_part_refused, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_one_refused, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_one_generation, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_one_room, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_batch_order, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_batch_refused, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_batch_full, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_batch_refused, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_batch_split, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_batch_split, setup4, teardown),
		cmocka_unit_test_setup_teardown(test_pin_fails_partway, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_pin_refuses_peer, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_pin_refuses_hello, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_poll_queue_then_cq, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_poll_rest_room, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_poll_one_no_room, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_poll_check_cadence, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_inline_mixed, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_inline_after_queue, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_inline_fallbacks, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_inline_queue_full, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_inline_error, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_inline_cadence, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_inline_credit, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_inline_credit_queue, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_inline_descriptor, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_poll_queue_batches, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_poll_queue_refilled, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_repin_broken_flushes_all, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_repin_broken_waits_both, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_split_past_2_48, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_progress_checks, setup1, teardown),
		cmocka_unit_test_setup_teardown(test_switch_flush_batches, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_split_second_share_over, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_split_after_shrink, setup4, teardown),
		cmocka_unit_test_setup_teardown(test_xchg_null, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_xchg_stale_eintr, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_export_null, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_repin_no_hello, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_repin_no_ready, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_plan_changed_k, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_poll_quick_then_failed, setup1, teardown),
#ifdef HAVE_MLX5DV
		cmocka_unit_test_setup_teardown(test_repin_new_qps, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_repin_keeps_qps_mlx5, setup2, teardown),
#endif
		cmocka_unit_test_setup_teardown(test_pin_ok, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_pin_modify_fails, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_chunks_over_4g, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_chunks, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_chunks_at_depth, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_poll_cq_fails, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_poll_rest_checks, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_repin_every_subflow, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_buf_free_caller_gpu, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_buf_free_every_mr, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_connect_attrs, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_listen_strays, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_listen_no_ipv6, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_listen_port_taken, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_connect_route_src, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_connect_other_version, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_cut, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_counts_split, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_propose_ignored, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_drained_unsent, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_abort, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_no_answer, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_both_propose, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_xchg_framed, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_xchg_big, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_xchg_big_framed, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_xchg_big_framed_propose, setup2,
						teardown),
		cmocka_unit_test_setup_teardown(test_xchg_held_full, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_propose_fails, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_stray_commit, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_bad_record, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_drain_sends, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_held_wait, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_filled_late, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_second_subflow, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_cut_beyond_receives, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_repost_refused, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_repost_no_room, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_repost_no_room_second, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_repost_subflows, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_repost_reported, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_to_max, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_peer_gone, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_failed_no_repost, setup2, teardown),
		cmocka_unit_test_setup_teardown(test_switch_peer_late, setup2, teardown),
	};

	return cmocka_run_group_tests_name("lib_post", tests, NULL, NULL);
}
