// SPDX-License-Identifier: MIT
/*
 * post.c - split posting and one completion per message.
 *
 * Every chunk is posted signaled with its message's sequence number as
 * wr_id (lib/msgtab.c; receives carry FP_WRID_RECV too). fp_poll() feeds
 * chunk completions to the table, enforces the per-message deadline of
 * writes, sends and receives alike (the QPs a late message uses are moved
 * to the error state, which flushes them, so that no message waits on rxe's
 * retries nor a receive on a peer that is stuck or a path that died),
 * notices a peer whose bootstrap socket closed, and hands out the completed
 * messages, recording each in the report ring when reports are on.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "flowplan/handles.h"

#define FP_CHECK_NS	10000000ull	/* deadline / peer checks when busy */

static int chunks_room(struct fp_group *g, uint64_t n)
{
	struct fp_chunk *c;

	if (n <= g->nchunks)
		return 0;
	c = realloc(g->chunks, (size_t)n * sizeof(*c));
	if (!c)
		return ENOMEM;
	g->chunks = c;
	g->nchunks = n;
	return 0;
}

/* A message that was not posted gives its bytes back to the spread state. */
static int unspread(struct fp_spread *sp, const struct fp_chunk *c, int n,
		    int err)
{
	int i;

	for (i = 0; i < n; i++)
		sp->sent[c[i].sub] -= c[i].len;
	return err;
}

/* Post one chunk; wr and sge are prepared by the caller, reused. */
static int post_chunk(struct fp_group_subflow *s, bool recv, struct ibv_send_wr *swr,
		      struct ibv_recv_wr *rwr)
{
	struct ibv_send_wr *sbad;
	struct ibv_recv_wr *rbad;
	int ret;

	if (recv) {
		ret = ibv_post_recv(s->qp, rwr, &rbad);
		if (!ret)
			s->rq_used++;
	} else {
		ret = ibv_post_send(s->qp, swr, &sbad);
		if (!ret)
			s->sq_used++;
	}
	return ret;
}

static int post_msg(struct fp_group *g, enum fp_op op, struct fp_buf *buf,
		    size_t off, size_t len, const struct fp_rbuf *rb,
		    uint64_t roff, uint64_t wr_id)
{
	unsigned int need[FP_MAX_SUBFLOWS], i, depth;
	const struct fp_buf_reg *reg;
	struct fp_spread *spp;
	const uint32_t *w;
	uint64_t cmax, smin, now;
	struct ibv_send_wr swr;
	struct ibv_recv_wr rwr;
	struct ibv_sge sge;
	struct fp_msg *m;
	bool recv = op == FP_OP_RECV;
	int n, ret;

	if (!g || !buf || buf->ctx != g->ctx || off > buf->len ||
	    len > buf->len - off)
		return EINVAL;
	if (op == FP_OP_WRITE &&
	    (!rb || roff > rb->len || len > rb->len - roff))
		return EINVAL;
	if (g->error)
		return ENOTCONN;
	reg = &buf->reg[g->dev];
	if (!reg->mr) {
		reg = fp_buf_reg_for(buf, g->dev);
		if (!reg)
			return errno;
	}
	if (reg->how == FP_REG_STAGED && !recv) {
		ret = fp_buf_stage_out(buf, g->dev, off, len);
		if (ret)
			return ret;
	}

	if (recv) {
		w = g->rw;
		cmax = g->rchunk_max;
		smin = g->rsplit_min;
		spp = &g->sp_recv;
	} else {
		w = g->w;
		cmax = g->chunk_max;
		smin = g->split_min;
		spp = op == FP_OP_WRITE ? &g->sp_write : &g->sp_send;
	}
	/*
	 * fp_split advances the spread state; unspread() undoes it. A
	 * message that needs more chunks than its queues can ever hold is
	 * EMSGSIZE, not an EAGAIN that no amount of polling would end.
	 */
	depth = recv ? FP_RQ_DEPTH : FP_SQ_DEPTH;
	n = fp_split(len, w, g->k, cmax, smin, spp, g->chunks, g->nchunks);
	if (n == -ENOSPC) {
		uint64_t cnt = fp_split_count(len, w, g->k, cmax, smin);

		if (cnt > (uint64_t)g->k * depth)
			return EMSGSIZE;
		ret = chunks_room(g, cnt);
		if (ret)
			return ret;
		n = fp_split(len, w, g->k, cmax, smin, spp, g->chunks,
			     g->nchunks);
	}
	if (n < 0)
		return -n;
	/* All or nothing: every chunk must find room on its QP. */
	if (n == 1) {
		const struct fp_group_subflow *s = &g->sub[g->chunks[0].sub];

		if ((recv ? s->rq_used : s->sq_used) >= depth)
			return unspread(spp, g->chunks, n, EAGAIN);
	} else {
		memset(need, 0, g->k * sizeof(need[0]));
		for (i = 0; i < (unsigned int)n; i++)
			need[g->chunks[i].sub]++;
		for (i = 0; i < g->k; i++) {
			unsigned int used = recv ? g->sub[i].rq_used :
					    g->sub[i].sq_used;

			if (need[i] > depth)
				return unspread(spp, g->chunks, n, EMSGSIZE);
			if (used + need[i] > depth)
				return unspread(spp, g->chunks, n, EAGAIN);
		}
	}
	now = fp_now_ns();
	/* Receives too: a peer that never sends must not hang the caller. */
	m = fp_msg_start(&g->tab, wr_id, (uint16_t)op, len, (uint32_t)n, now,
			 now + g->timeout_ns);
	if (!m)
		return unspread(spp, g->chunks, n, errno);
	m->coll = g->ctx->coll;
	m->comm = g->ctx->coll ? g->ctx->coll_comm : g->ctx->comm;
	m->buf = buf;
	m->buf_off = off;

	sge.lkey = reg->mr->lkey;
	if (recv) {
		rwr = (struct ibv_recv_wr){ .wr_id = fp_wrid(m->seq, true),
					    .sg_list = &sge };
	} else {
		swr = (struct ibv_send_wr){
			.wr_id = fp_wrid(m->seq, false),
			.sg_list = &sge,
			.opcode = op == FP_OP_WRITE ? IBV_WR_RDMA_WRITE :
						      IBV_WR_SEND,
			.send_flags = IBV_SEND_SIGNALED,
		};
		if (op == FP_OP_WRITE)
			swr.wr.rdma.rkey = rb->rkey;
	}
	for (i = 0; i < (unsigned int)n; i++) {
		const struct fp_chunk *c = &g->chunks[i];

		sge.addr = (uintptr_t)reg->base + off + c->off;
		sge.length = (uint32_t)c->len;
		if (recv) {
			rwr.num_sge = c->len ? 1 : 0;
		} else {
			swr.num_sge = c->len ? 1 : 0;
			if (op == FP_OP_WRITE)
				swr.wr.rdma.remote_addr = rb->addr + roff +
							  c->off;
		}
		ret = post_chunk(&g->sub[c->sub], recv, &swr, &rwr);
		if (ret) {
			if (!i) {
				fp_msg_cancel(&g->tab, m);
				return unspread(spp, g->chunks, n, ret);
			}
			/* Part of it is on the wire: it completes, failed. */
			fp_msg_unposted(&g->tab, m, (uint32_t)n - i, ret, now);
			break;
		}
		m->subs |= 1u << c->sub;
	}
	return 0;
}

int fp_post_write(struct fp_group *g, struct fp_buf *buf, size_t off,
		  size_t len, const struct fp_rbuf *rbuf, uint64_t roff,
		  uint64_t wr_id)
{
	return post_msg(g, FP_OP_WRITE, buf, off, len, rbuf, roff, wr_id);
}

int fp_post_send(struct fp_group *g, struct fp_buf *buf, size_t off,
		 size_t len, uint64_t wr_id)
{
	return post_msg(g, FP_OP_SEND, buf, off, len, NULL, 0, wr_id);
}

int fp_post_recv(struct fp_group *g, struct fp_buf *buf, size_t off,
		 size_t len, uint64_t wr_id)
{
	return post_msg(g, FP_OP_RECV, buf, off, len, NULL, 0, wr_id);
}

static int sub_of(const struct fp_group *g, uint32_t qpn)
{
	unsigned int i;

	for (i = 0; i < g->k; i++)
		if (g->sub[i].qp->qp_num == qpn)
			return (int)i;
	return -1;
}

void fp_qp_error(struct fp_group *g, uint32_t mask)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_ERR };
	unsigned int i;

	for (i = 0; i < g->k; i++)
		if (mask & (1u << i))
			ibv_modify_qp(g->sub[i].qp, &a, IBV_QP_STATE);
}

/* The peer closed the bootstrap socket: it is gone. */
static bool peer_gone(struct fp_group *g)
{
	char c;
	ssize_t n;

	if (g->fd < 0)
		return false;
	n = recv(g->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			  errno != EINTR);
}

/* Chunk completions into the table; deadline and peer checks. */
int fp_group_progress(struct fp_group *g)
{
	struct ibv_wc wc[32];
	uint64_t now = 0;
	int n, i;

	n = ibv_poll_cq(g->cq, 32, wc);
	if (n < 0)
		return EIO;
	/* Completion times matter only to reports. */
	if (n && g->ctx->ring.hdr)
		now = fp_now_ns();
	for (i = 0; i < n; i++) {
		int sub = sub_of(g, wc[i].qp_num);
		int st = fp_wc_errno(wc[i].status);

		/* Not wc.opcode: it is undefined on errors (flushes). */
		if (sub >= 0) {
			if (fp_wrid_recv(wc[i].wr_id)) {
				if (g->sub[sub].rq_used)
					g->sub[sub].rq_used--;
			} else if (g->sub[sub].sq_used) {
				g->sub[sub].sq_used--;
			}
		}
		if (st && !g->error)
			g->error = st;
		fp_msg_chunk_done(&g->tab, fp_wrid_seq(wc[i].wr_id), st,
				  wc[i].status, sub, st ? 0 : wc[i].byte_len,
				  now);
	}
	if (n && ++g->polls % 64)
		return 0;
	if (!now)
		now = fp_now_ns();
	if (now < g->next_check_ns)
		return 0;
	g->next_check_ns = now + FP_CHECK_NS;
	if (fp_msgtab_live(&g->tab)) {
		uint32_t late = fp_msgtab_expire(&g->tab, now);

		if (late) {
			if (!g->error)
				g->error = ETIMEDOUT;
			fp_qp_error(g, late);
		}
		if (peer_gone(g)) {
			g->error = ECONNRESET;
			fp_qp_error(g, ~0u);
			fp_msgtab_fail_all(&g->tab, ECONNRESET, now);
		}
	}
	return 0;
}

int fp_poll(struct fp_group *g, struct fp_wc *wc, int n)
{
	struct fp_msg msgs[32];
	int ret, got = 0;

	if (!g || !wc || n < 0)
		return -EINVAL;
	ret = fp_group_progress(g);
	if (ret)
		return -ret;
	while (got < n) {
		int want = n - got < 32 ? n - got : 32, r, i;

		r = fp_msgtab_reap(&g->tab, wc + got,
				   g->ctx->ring.hdr || g->ctx->staged ? msgs :
									NULL,
				   want);
		for (i = 0; g->ctx->staged && i < r; i++) {
			struct fp_buf *b = msgs[i].buf;

			if (msgs[i].op != FP_OP_RECV || msgs[i].status ||
			    b->reg[g->dev].how != FP_REG_STAGED)
				continue;
			wc[got + i].status = fp_buf_stage_in(b, g->dev,
							     msgs[i].buf_off,
							     msgs[i].bytes);
		}
		if (g->ctx->ring.hdr)
			for (i = 0; i < r; i++)
				fp_report_msg(g->ctx, g, &msgs[i]);
		got += r;
		if (r < want)
			break;
	}
	return got;
}
