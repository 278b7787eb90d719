// SPDX-License-Identifier: MIT
/*
 * post.c - split posting and one completion per message.
 *
 * Every chunk is posted signaled with its message's sequence number and
 * subflow in its wr_id (priv.h; receives carry FP_WRID_RECV too).
 *
 * Two ways through. The fast one, taken by most messages: one chunk on one
 * subflow (k = 1, or shorter than the split threshold), from a registered
 * host buffer, no reports: no split, no clock read, the message table's
 * slot filled with what its completion needs, one work request built and
 * posted; fp_poll() hands its completion out as it polls it, without the
 * done queue. The general one (post_general()): split messages, staged GPU
 * buffers, reports, zero-length messages, and every completion that is not
 * the last good chunk of a message fp_poll() has room for: errors, expiry,
 * a peer gone go through the table's done queue (msgtab.c).
 *
 * fp_poll() feeds chunk completions to the table, enforces the per-message
 * deadline of writes, sends and receives alike (the QPs a late message uses
 * are moved to the error state, which flushes them, so that no message
 * waits on rxe's retries nor a receive on a peer that is stuck or a path
 * that died), notices a peer whose bootstrap socket closed, and hands out
 * the completed messages, recording each in the report ring when reports
 * are on. Deadlines and the peer are checked every 64 polls that find
 * completions and every poll that finds none, at most every FP_CHECK_NS.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "flowplan/flowplan_fast.h"
#include "flowplan/handles.h"

#define FP_CHECK_NS	10000000ull	/* deadline / peer checks when busy */

/*
 * The fast way fills the table's slot and the work request with scalar
 * stores: GCC's SLP vectorizer pairs them in SSE registers, at more
 * instructions than it saves (four a post). Not a change of meaning:
 * another compiler does without it.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define FP_SCALAR_STORES __attribute__((optimize("no-tree-slp-vectorize")))
#else
#define FP_SCALAR_STORES
#endif
#define FP_POLL_BATCH	32

static int chunks_room(struct fp_group *g, uint64_t n)
{
	struct fp_chunk *c;

	if (n <= g->nchunks)
		return 0;
	c = realloc(g->chunks, (size_t)n * sizeof(*c));
	if (!c)
		return ENOMEM;
	g->chunks = c;
	g->nchunks = (unsigned int)n;
	return 0;
}

/* A message that was not posted gives its bytes back to the spread state. */
static int unspread(struct fp_spread *sp, const struct fp_chunk *c, int n,
		    int err)
{
	int i;

	for (i = 0; i < n; i++)
		fp_spread_take(sp, c[i].sub, c[i].len);
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

/* The spread state of @op's direction. */
static struct fp_spread *spread_of(struct fp_group *g, enum fp_op op)
{
	return op == FP_OP_RECV ? &g->sp_recv :
	       op == FP_OP_WRITE ? &g->sp_write : &g->sp_send;
}

/*
 * Anything the fast way does not take: the message split or cut, the
 * buffer registered now or staged, reports recorded. Arguments are checked
 * by the caller.
 */
static int __attribute__((noinline))
post_general(struct fp_group *g, enum fp_op op, struct fp_buf *buf, size_t off,
	     size_t len, const struct fp_rbuf *rb, uint64_t roff, uint64_t wr_id)
{
	unsigned int need[FP_MAX_SUBFLOWS], i, depth;
	const struct fp_buf_reg *reg;
	struct fp_spread *spp = spread_of(g, op);
	const uint32_t *w;
	uint64_t cmax, smin, now = 0;
	struct ibv_send_wr swr;
	struct ibv_recv_wr rwr;
	struct ibv_sge sge;
	struct fp_msg *m;
	bool recv = op == FP_OP_RECV, hooks;
	int n, ret;

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
	} else {
		w = g->w;
		cmax = g->chunk_max;
		smin = g->split_min;
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
	/* Completion times matter only to reports. */
	hooks = g->ctx->ring.hdr || (recv && reg->how == FP_REG_STAGED);
	if (g->ctx->ring.hdr)
		now = fp_now_ns();
	/* Receives too: a peer that never sends must not hang the caller. */
	m = fp_msg_start(&g->tab, wr_id, (uint16_t)op, len, (uint32_t)n, now,
			 FP_DEADLINE_STAMP);
	if (!m)
		return unspread(spp, g->chunks, n, errno);
	if (recv) {
		/* switch.c posts it again when a switch flushes it */
		m->ridx = g->nrecv++;
		m->laddr = (uintptr_t)reg->base + off;
		m->lkey = reg->mr->lkey;
	}
	if (hooks) {
		/* fp_poll() takes it through the done queue, to the hooks. */
		m->flags |= FP_MSG_HOOKS;
		m->coll = g->ctx->coll;
		m->comm = g->ctx->coll ? g->ctx->coll_comm : g->ctx->comm;
		m->buf = buf;
		m->buf_off = off;
	}

	sge.lkey = reg->mr->lkey;
	if (recv) {
		rwr = (struct ibv_recv_wr){ .sg_list = &sge };
	} else {
		swr = (struct ibv_send_wr){
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

		/* Chunks never exceed FP_GROUP_MAX_CHUNK: 32 bits hold them. */
		sge.addr = (uintptr_t)reg->base + off + c->off;
		sge.length = (uint32_t)c->len;
		if (recv) {
			rwr.wr_id = fp_wrid(m->seq, true, c->sub);
			rwr.num_sge = c->len ? 1 : 0;
		} else {
			swr.wr_id = fp_wrid(m->seq, false, c->sub);
			swr.num_sge = c->len ? 1 : 0;
			if (op == FP_OP_WRITE)
				swr.wr.rdma.remote_addr = rb->addr + roff +
							  c->off;
		}
		ret = post_chunk(&g->sub[c->sub], recv, &swr, &rwr);
		if (ret) {
			if (!i) {
				fp_msg_cancel(&g->tab, m);
				if (recv)
					g->nrecv--;
				return unspread(spp, g->chunks, n, ret);
			}
			/* Part of it is on the wire: it completes, failed. */
			fp_msg_unposted(&g->tab, m, (uint32_t)n - i, ret, now);
			break;
		}
		m->subs |= 1u << c->sub;
	}
	if (op == FP_OP_SEND)
		g->nsend++;
	return 0;
}


/*
 * flowplan_fast.h's credit (priv.h) made exact: the room both in the
 * table (its oldest moved on past the slots freed out of order) and on
 * the send queue of a group the fast path posts on.
 */
static void fast_credit(struct fp_group *g)
{
	struct fp_msgtab *t = &g->tab;
	uint64_t tab;
	unsigned int sq = FP_SQ_DEPTH - g->sub[0].sq_used;

	if (!t->fast_len) {
		t->credit = 0;
		return;
	}
	fp_msgtab_trim(t);
	tab = t->cap - (t->next - t->oldest);
	t->credit = tab < sq ? (unsigned int)tab : sq;
}

/*
 * The fast way's work requests (one chunk, signaled, nothing chained),
 * whether each direction's weights sum to FP_WEIGHT_ONE (post_split()),
 * and the longest message post() takes the fast way (fast_len, rfast_len:
 * everything else about the group checked here, once). Made on the first
 * post, again after fp_group_unready() (new weights, an error, posts held
 * or issued).
 */
static void __attribute__((noinline)) wr_template(struct fp_group *g)
{
	uint64_t sw = 0, rw = 0, cmax;
	unsigned int i, d;
	bool fast;

	g->swr = (struct ibv_send_wr){ .sg_list = &g->sge, .num_sge = 1,
				       .send_flags = IBV_SEND_SIGNALED };
	g->rwr = (struct ibv_recv_wr){ .sg_list = &g->sge, .num_sge = 1 };
	for (i = 0; i < FP_BATCH; i++)
		g->bwr[i] = (struct ibv_send_wr){
			.next = i + 1 < FP_BATCH ? &g->bwr[i + 1] : NULL,
			.sg_list = &g->bsge[i], .num_sge = 1,
			.opcode = IBV_WR_RDMA_WRITE,
			.send_flags = IBV_SEND_SIGNALED };
	for (i = 0; i < g->k; i++) {
		sw += g->w[i];
		rw += g->rw[i];
	}
	g->split_ok = (sw == FP_WEIGHT_ONE ? 1u : 0) |
		      (rw == FP_WEIGHT_ONE ? 2u : 0);
	g->sge_ready = &g->sge;
	fast = !g->ctx->ring.hdr && !g->error;
	g->tab.fast_len = fast && g->k == 1 && !g->hold ? g->chunk_max : 0;
	fast_credit(g);
	g->rfast_len = fast && g->k == 1 ? g->rchunk_max : 0;
	for (d = 0; d < 2; d++) {
		const uint32_t *w = d ? g->rw : g->w;
		uint64_t from = d ? g->rsplit_min : g->split_min;
		unsigned int n = 0;
		uint32_t cum = 0;

		for (i = 0; i < g->k; i++) {
			if (!w[i])
				continue;
			cum += w[i];
			g->splan[d].sub[n] = (uint8_t)i;
			g->splan[d].cum[n++] = cum;
		}
		g->splan[d].n = n;
		g->splan[d].wsum = d ? rw : sw;
		/* total * wsum within 63 bits: total below 2^(63 - bits) */
		g->splan[d].pick_max = g->splan[d].wsum ?
			(1ull << (__builtin_clzll(g->splan[d].wsum) - 1)) - 1 : 0;
		/* A zero length is never split (post_general()). */
		g->splan[d].from = from ? from : 1;
		g->splan[d].span = 0;
		g->splan[d].one_max = 0;
		if (!fast || g->k == 1 || (!d && g->hold) || !n)
			continue;
		/* Unsplit: shorter than the split threshold, one chunk. */
		cmax = d ? g->rchunk_max : g->chunk_max;
		from = g->splan[d].from - 1;
		g->splan[d].one_max = from < cmax ? from : cmax;
		if ((g->split_ok & (1u << d)) && g->splan[d].from < 1ull << 48)
			g->splan[d].span = (1ull << 48) - g->splan[d].from;
	}
}

/*
 * A message of the fast ways in its table slot: what its completions
 * need (fp_poll()'s common case reads nothing else), its deadline set at
 * the first check.
 */
static inline __attribute__((always_inline)) void
msg_fast(struct fp_msg *m, uint64_t seq, uint64_t wr_id, uint64_t len,
	 uint32_t pending, enum fp_op op, uint32_t subs)
{
	m->seq = seq;
	m->wr_id = wr_id;
	m->bytes = len;
	m->pending = pending;
	m->op = (uint16_t)op;
	m->flags = FP_MSG_LIVE;
	m->status = 0;
	m->subs = subs;
	m->deadline_ns = FP_DEADLINE_STAMP;
	m->got = 0;
}

/* Room on subflow @sub's queue for one more chunk. */
static inline bool split_room(const struct fp_group *g, bool recv,
			      unsigned int sub)
{
	const struct fp_group_subflow *s = &g->sub[sub];

	return recv ? s->rq_used < FP_RQ_DEPTH : s->sq_used < FP_SQ_DEPTH;
}

/*
 * A message split over the subflows, each share one chunk (no share over
 * the chunk size): the shares of fp_split() (the weights sum to
 * FP_WEIGHT_ONE = 2^16, so the division is a shift while len < 2^48),
 * posted from the group's work request, over the subflows of non-zero
 * weight that wr_template() listed (g->splan). Room is checked first on
 * each of them, so that nothing is posted when one chunk cannot be. The
 * caller checked the group (g->splan's span) and the buffer; a share over
 * the chunk size goes to post_general().
 */
static inline __attribute__((always_inline)) int
post_split(struct fp_group *g, enum fp_op op, struct fp_buf *buf, size_t off,
	   size_t len, const struct fp_rbuf *rb, uint64_t roff, uint64_t wr_id)
{
	const bool recv = op == FP_OP_RECV;
	const struct fp_buf_reg *reg = &buf->reg[g->dev];
	const uint64_t cmax = recv ? g->rchunk_max : g->chunk_max;
	const uint8_t *sub = g->splan[recv].sub;
	const uint32_t *cum = g->splan[recv].cum;
	const unsigned int n = g->splan[recv].n;
	uint64_t prev = 0, seq;
	struct fp_spread *sp = spread_of(g, op);
	struct fp_msg *m;
	unsigned int j;
	int ret = 0;

	/*
	 * A share over the chunk size needs len > cmax: only then are the
	 * shares worked out here, each subflow's room checked after its
	 * share; else the loop checks room alone.
	 */
	if (unlikely(len > cmax)) {
		for (j = 0; j < n; j++) {
			uint64_t b = (len * cum[j]) >> 16;

			if (b - prev > cmax)
				return post_general(g, op, buf, off, len, rb,
						    roff, wr_id);
			prev = b;
			if (!split_room(g, recv, sub[j]))
				return EAGAIN;
		}
	} else {
		for (j = 0; j < n; j++)
			if (unlikely(!split_room(g, recv, sub[j])))
				return EAGAIN;
	}
	m = fp_msg_slot(&g->tab);
	if (unlikely(!m))
		return EAGAIN;
	/*
	 * The slot filled in first, not live until the end; what the loop
	 * counts is counted there (pending, subs) and in the work request
	 * (the addresses move on by each share posted; the subflow and the
	 * share are read back from its wr_id and scatter entry), so that
	 * little but the group lives across the provider's calls. The
	 * weights sum to 2^16: the last share ends at @len.
	 */
	seq = g->tab.next;
	msg_fast(m, seq, wr_id, len, 0, op, 0);
	m->flags = 0;
	g->sge.lkey = reg->mr->lkey;
	g->sge.addr = (uintptr_t)reg->base + off;
	if (recv) {
		m->laddr = g->sge.addr;
		m->lkey = g->sge.lkey;
	} else {
		g->swr.opcode = op == FP_OP_WRITE ? IBV_WR_RDMA_WRITE :
						   IBV_WR_SEND;
		if (op == FP_OP_WRITE) {
			g->swr.wr.rdma.rkey = rb->rkey;
			g->swr.wr.rdma.remote_addr = rb->addr + roff;
		}
	}
	prev = 0;
	for (j = 0; prev < len; j++) {
		uint64_t share = ((len * cum[j]) >> 16) - prev, id;
		struct fp_group_subflow *s;
		unsigned int i;

		if (!share)
			continue;
		i = sub[j];
		s = &g->sub[i];
		id = fp_wrid(m->seq, recv, i);
		g->sge.length = (uint32_t)share;
		if (recv) {
			g->rwr.wr_id = id;
			ret = ibv_post_recv(s->qp, &g->rwr, &g->rbad);
		} else {
			g->swr.wr_id = id;
			ret = ibv_post_send(s->qp, &g->swr, &g->sbad);
		}
		if (unlikely(ret))
			break;
		i = FP_WRID_SUB(recv ? g->rwr.wr_id : g->swr.wr_id);
		share = g->sge.length;
		if (recv)
			g->sub[i].rq_used++;
		else
			g->sub[i].sq_used++;
		sp->sent[i] += share;
		m->subs |= 1u << i;
		m->pending++;
		g->sge.addr += share;
		if (op == FP_OP_WRITE)
			g->swr.wr.rdma.remote_addr += share;
		prev += share;
	}
	if (unlikely(!m->pending))
		return ret;		/* nothing posted, nothing taken */
	sp->total += prev;		/* the posted shares' bytes */
	m->flags = FP_MSG_LIVE;
	if (recv)
		m->ridx = g->nrecv++;
	else if (op == FP_OP_SEND)
		g->nsend++;
	fp_msg_commit_nc(&g->tab, 1);	/* k > 1: no credit (priv.h) */
	/* Part of it is on the wire: it completes, failed. */
	if (unlikely(ret))
		fp_msg_unposted(&g->tab, m, 0, ret, 0);
	return 0;
}

/*
 * A single-chunk post the provider refused: post_one() took the slot and
 * counted the chunk on its queue before posting it (so that nothing but
 * the group lives across the provider's call); give them back. The subflow
 * is the one in the group's work request.
 */
static int __attribute__((noinline, cold))
post_undo(struct fp_group *g, bool recv, int ret)
{
	struct fp_group_subflow *s =
		&g->sub[FP_WRID_SUB(recv ? g->rwr.wr_id : g->swr.wr_id)];
	struct fp_msgtab *t = &g->tab;

	fp_msg_uncommit(t, 1);
	if (recv) {
		s->rq_used--;
		g->nrecv--;
	} else {
		s->sq_used--;
	}
	return ret;
}

/*
 * One chunk, the whole message, on subflow @sub, from the group's work
 * request; checked by the caller: the arguments, a registered host buffer,
 * no reports, 0 < len <= the chunk size; with @ready, also the work
 * requests made and a free slot in the table (a write or send: credit,
 * its queue's room too). EAGAIN when the queue or the table is full,
 * nothing taken. @spread: a group of more than one subflow, where the
 * credit (priv.h) means nothing (fast_len 0) and is left alone.
 */
static inline __attribute__((always_inline)) int
post_one(struct fp_group *g, enum fp_op op, const struct fp_buf_reg *reg,
	 size_t off, size_t len, const struct fp_rbuf *rb, uint64_t roff,
	 uint64_t wr_id, unsigned int sub, bool ready, bool spread)
{
	const bool recv = op == FP_OP_RECV;
	struct fp_group_subflow *s = &g->sub[sub];
	struct fp_msgtab *t = &g->tab;
	struct fp_msg *m;
	uint64_t seq;
	int ret;

	if ((!ready || recv) &&
	    unlikely((recv ? s->rq_used : s->sq_used) >=
		     (recv ? FP_RQ_DEPTH : FP_SQ_DEPTH)))
		return EAGAIN;
	if (ready) {
		m = &t->m[t->next & t->mask];
	} else {
		m = fp_msg_slot(t);
		if (unlikely(!m))
			return EAGAIN;
		if (unlikely(g->sge_ready != &g->sge))
			wr_template(g);
	}
	/*
	 * The slot and the queue's room are taken before the provider is
	 * called, and given back by post_undo() if it refuses the request:
	 * only @g lives across the call.
	 */
	seq = t->next;
	msg_fast(m, seq, wr_id, len, 1, op, 1u << sub);
	if (ready && !recv) {
		t->next++;
		t->live++;
		t->credit--;
	} else if (spread) {
		fp_msg_commit_nc(t, 1);
	} else {
		fp_msg_commit(t, 1);
	}
	g->sge.addr = (uintptr_t)reg->base + off;
	g->sge.length = (uint32_t)len;
	g->sge.lkey = reg->mr->lkey;
	if (recv) {
		s->rq_used++;
		m->ridx = g->nrecv++;
		m->laddr = g->sge.addr;
		m->lkey = g->sge.lkey;
		g->rwr.wr_id = fp_wrid(seq, true, sub);
		ret = ibv_post_recv(s->qp, &g->rwr, &g->rbad);
	} else {
		s->sq_used++;
		g->swr.wr_id = fp_wrid(seq, false, sub);
		g->swr.opcode = op == FP_OP_WRITE ? IBV_WR_RDMA_WRITE :
						   IBV_WR_SEND;
		if (op == FP_OP_WRITE) {
			g->swr.wr.rdma.remote_addr = rb->addr + roff;
			g->swr.wr.rdma.rkey = rb->rkey;
		}
		ret = ibv_post_send(s->qp, &g->swr, &g->sbad);
	}
	if (unlikely(ret))
		return post_undo(g, recv, ret);
	if (op == FP_OP_SEND)
		g->nsend++;
	return 0;
}

/*
 * fp_spread_pick_sum() over the subflows of non-zero weight that
 * wr_template() listed (at least one), in 64 bits while pick_max allows;
 * the same pick, the lowest index on ties.
 */
static inline __attribute__((always_inline)) unsigned int
spread_pick(const struct fp_group *g, bool recv, const struct fp_spread *sp,
	    const uint32_t *w)
{
	const uint8_t *sub = g->splan[recv].sub;
	const uint64_t total = sp->total, wsum = g->splan[recv].wsum;
	const unsigned int n = g->splan[recv].n;
	unsigned int j, best = sub[0];
	int64_t bd;

	if (unlikely(total - 1 >= g->splan[recv].pick_max))
		return fp_spread_pick_sum(sp, w, g->k, wsum);
	bd = (int64_t)(w[best] * total) - (int64_t)(sp->sent[best] * wsum);
	for (j = 1; j < n; j++) {
		unsigned int i = sub[j];
		int64_t def = (int64_t)(w[i] * total) -
			      (int64_t)(sp->sent[i] * wsum);

		best = def > bd ? i : best;
		bd = def > bd ? def : bd;
	}
	return best;
}

/*
 * An unsplit message on a group of more than one subflow: on the subflow
 * the spread state picks, one chunk. Checked by the caller: the group and
 * the buffer, 0 < len <= the chunk size.
 */
static inline __attribute__((always_inline)) int
post_spread(struct fp_group *g, enum fp_op op, struct fp_buf *buf, size_t off,
	    size_t len, const struct fp_rbuf *rb, uint64_t roff, uint64_t wr_id)
{
	const uint32_t *w = op == FP_OP_RECV ? g->rw : g->w;
	struct fp_spread *sp = spread_of(g, op);
	unsigned int sub = spread_pick(g, op == FP_OP_RECV, sp, w);
	int ret;

	if (unlikely(!w[sub]))
		return post_general(g, op, buf, off, len, rb, roff, wr_id);
	ret = post_one(g, op, &buf->reg[g->dev], off, len, rb, roff, wr_id,
		       sub, false, true);
	if (!ret)
		fp_spread_add(sp, sub, len);
	return ret;
}

/*
 * A way of posting per operation, not inlined: its caller jumps to it (a
 * sibling call), so that neither's registers weigh on the other's way,
 * and the caller's own common case saves no register but the group's;
 * way_op() picks one by @op, a constant in each caller.
 */
#define FP_WAYS(way)							\
static int __attribute__((noinline))					\
way##_write(struct fp_group *g, struct fp_buf *buf, size_t off,		\
	    size_t len, const struct fp_rbuf *rb, uint64_t roff,	\
	    uint64_t wr_id)						\
{									\
	return way(g, FP_OP_WRITE, buf, off, len, rb, roff, wr_id);	\
}									\
static int __attribute__((noinline))					\
way##_send(struct fp_group *g, struct fp_buf *buf, size_t off,		\
	   size_t len, uint64_t wr_id)					\
{									\
	return way(g, FP_OP_SEND, buf, off, len, NULL, 0, wr_id);	\
}									\
static int __attribute__((noinline))					\
way##_recv(struct fp_group *g, struct fp_buf *buf, size_t off,		\
	   size_t len, uint64_t wr_id)					\
{									\
	return way(g, FP_OP_RECV, buf, off, len, NULL, 0, wr_id);	\
}									\
static inline __attribute__((always_inline)) int			\
way##_op(struct fp_group *g, enum fp_op op, struct fp_buf *buf,		\
	 size_t off, size_t len, const struct fp_rbuf *rb,		\
	 uint64_t roff, uint64_t wr_id)					\
{									\
	if (op == FP_OP_WRITE)						\
		return way##_write(g, buf, off, len, rb, roff, wr_id);	\
	if (op == FP_OP_SEND)						\
		return way##_send(g, buf, off, len, wr_id);		\
	return way##_recv(g, buf, off, len, wr_id);			\
}
FP_WAYS(post_split)
FP_WAYS(post_spread)

/* post_split() or post_spread(), per operation. */
static inline __attribute__((always_inline)) int
post_way(bool split, struct fp_group *g, enum fp_op op, struct fp_buf *buf,
	 size_t off, size_t len, const struct fp_rbuf *rb, uint64_t roff,
	 uint64_t wr_id)
{
	return split ? post_split_op(g, op, buf, off, len, rb, roff, wr_id) :
		       post_spread_op(g, op, buf, off, len, rb, roff, wr_id);
}

/*
 * What none of post()'s ways takes: a group failed or holding posts, the
 * work requests to be made, one chunk on a full table, and what goes to
 * post_general(). The arguments are checked by the caller.
 */
static inline __attribute__((always_inline)) int
post_more(struct fp_group *g, enum fp_op op, struct fp_buf *buf, size_t off,
	  size_t len, const struct fp_rbuf *rb, uint64_t roff, uint64_t wr_id)
{
	const bool recv = op == FP_OP_RECV;
	const struct fp_buf_reg *reg = &buf->reg[g->dev];

	if (unlikely(g->error))
		return ENOTCONN;
	/* An in-band switch under way (switch.c): held, issued after it. */
	if (op != FP_OP_RECV && unlikely(g->hold))
		return fp_hold_post(g, op, buf, off, len, rb, roff, wr_id);
	if (unlikely(!len || !reg->mr || reg->how == FP_REG_STAGED ||
		     g->ctx->ring.hdr))
		return post_general(g, op, buf, off, len, rb, roff, wr_id);
	/*
	 * The ways of post() again, with the work requests made now; what
	 * none takes: split by weights that do not sum to 2^16, 2^48 bytes
	 * or more, over the chunk size, all weights 0; or one chunk on a
	 * group of one subflow (its table full: EAGAIN).
	 */
	if (g->sge_ready != &g->sge)
		wr_template(g);
	if (len - 1 < g->splan[recv].one_max)
		return post_way(false, g, op, buf, off, len, rb, roff, wr_id);
	if (len - g->splan[recv].from < g->splan[recv].span)
		return post_way(true, g, op, buf, off, len, rb, roff, wr_id);
	if (g->k > 1 || len > (recv ? g->rchunk_max : g->chunk_max))
		return post_general(g, op, buf, off, len, rb, roff, wr_id);
	/* no credit: what completions gave back since, counted (priv.h) */
	fast_credit(g);
	return post_one(g, op, reg, off, len, rb, roff, wr_id, 0, false, false);
}

FP_WAYS(post_more)

/*
 * The ways of posting over more than one subflow, the group checked once
 * (g->splan, wr_template()), the buffer here: one compare each, then a
 * jump. Everything else: post_more(). Per operation, not inlined in
 * post() (its k = 1 way keeps its few registers), with post()'s
 * arguments: jumps, with no frame of their own.
 */
static inline __attribute__((always_inline)) int
post_ways(struct fp_group *g, enum fp_op op, struct fp_buf *buf, size_t off,
	  size_t len, const struct fp_rbuf *rb, uint64_t roff, uint64_t wr_id)
{
	const bool recv = op == FP_OP_RECV;
	const struct fp_buf_reg *reg = &buf->reg[g->dev];

	if (likely(reg->mr && reg->how != FP_REG_STAGED)) {
		if (len - 1 < g->splan[recv].one_max)
			return post_way(false, g, op, buf, off, len, rb, roff,
					wr_id);
		if (len - g->splan[recv].from < g->splan[recv].span)
			return post_way(true, g, op, buf, off, len, rb, roff,
					wr_id);
	}
	return post_more_op(g, op, buf, off, len, rb, roff, wr_id);
}

FP_WAYS(post_ways)

/*
 * post()'s arguments that are EINVAL: not @len bytes at @off of a local
 * @buf of group @g's context (@g not NULL); for a write, not @len bytes
 * at @roff of the peer's @rb. Unlikely, as post() expects.
 */
static inline __attribute__((always_inline)) bool
buf_bad(const struct fp_group *g, const struct fp_buf *buf, size_t off,
	size_t len)
{
	return unlikely(!buf || buf->ctx != g->ctx || off > buf->len ||
			len > buf->len - off);
}

static inline __attribute__((always_inline)) bool
rbuf_bad(const struct fp_rbuf *rb, uint64_t roff, size_t len)
{
	return unlikely(!rb || roff > rb->len || len > rb->len - roff);
}

/*
 * The fast way (see the top of this file), @op a constant in each caller:
 * the arguments checked, one chunk on a group of one subflow posted here,
 * everything else in post_more().
 */
static inline __attribute__((always_inline)) int
post(struct fp_group *g, enum fp_op op, struct fp_buf *buf, size_t off,
	size_t len, const struct fp_rbuf *rb, uint64_t roff, uint64_t wr_id)
{
	const bool recv = op == FP_OP_RECV;
	const struct fp_buf_reg *reg;

	if (unlikely(!g) || buf_bad(g, buf, off, len))
		return EINVAL;
	if (op == FP_OP_WRITE && rbuf_bad(rb, roff, len))
		return EINVAL;
	reg = &buf->reg[g->dev];
	/*
	 * len - 1 >= fast_len: also a zero length, and k > 1, reports on, a
	 * group failed or holding posts, or the work requests to be made
	 * (fast_len 0, wr_template()). The table full (a write or send: no
	 * credit, which covers its queue too): post_more() does it, so that
	 * the common case calls nothing before the provider.
	 */
	if (unlikely(len - 1 >= (recv ? g->rfast_len : g->tab.fast_len) ||
		     !reg->mr || reg->how == FP_REG_STAGED ||
		     (recv ? g->tab.next - g->tab.oldest >= g->tab.cap :
			     !g->tab.credit))) {
		return post_ways_op(g, op, buf, off, len, rb, roff, wr_id);
	}
	return post_one(g, op, reg, off, len, rb, roff, wr_id, 0, true, false);
}

FP_SCALAR_STORES
int fp_post_write(struct fp_group *g, struct fp_buf *buf, size_t off,
		  size_t len, const struct fp_rbuf *rbuf, uint64_t roff,
		  uint64_t wr_id)
{
	return post(g, FP_OP_WRITE, buf, off, len, rbuf, roff, wr_id);
}

FP_SCALAR_STORES
int fp_post_send(struct fp_group *g, struct fp_buf *buf, size_t off,
		 size_t len, uint64_t wr_id)
{
	return post(g, FP_OP_SEND, buf, off, len, NULL, 0, wr_id);
}

FP_SCALAR_STORES
int fp_post_recv(struct fp_group *g, struct fp_buf *buf, size_t off,
		 size_t len, uint64_t wr_id)
{
	return post(g, FP_OP_RECV, buf, off, len, NULL, 0, wr_id);
}

/*
 * fp_post_write_batch()'s chain of @j writes (g->bwr), the newest @j
 * messages of the table, to the provider in one call. Those it refuses
 * (from its bad_wr on; all of them if it names none of the chain) are
 * given back, as post_undo() gives back one. Returns 0, or the provider's
 * error with *@untaken the number given back.
 */
static int __attribute__((noinline))
batch_flush(struct fp_group *g, unsigned int j, unsigned int *untaken)
{
	struct ibv_send_wr *bad = NULL, *last = &g->bwr[j - 1];
	struct fp_msgtab *t = &g->tab;
	unsigned int cnt;
	int ret;

	last->next = NULL;
	ret = ibv_post_send(g->sub[0].qp, g->bwr, &bad);
	last->next = j < FP_BATCH ? last + 1 : NULL;
	if (likely(!ret))
		return 0;
	cnt = bad >= g->bwr && bad <= last ?
	      j - (unsigned int)(bad - g->bwr) : j;
	fp_msg_uncommit(t, cnt);
	g->sub[0].sq_used -= cnt;
	*untaken = cnt;
	return ret;
}

/*
 * Writes in order, each as fp_post_write() posts it (flowplan.h). Runs of
 * those the fast way takes (one chunk on a group of one subflow: post()'s
 * test), as many as the table, the queue and the chain have room for, are
 * chained in g->bwr and go to the provider in one call; a write that
 * ends a run goes alone the ways of post(), after it. The first refused
 * ends the batch.
 */
int fp_post_write_batch(struct fp_group *g, const struct fp_write *w, int n)
{
	unsigned int untaken = 0;
	int i = 0, ret = 0;

	if (unlikely(!g || n < 0 || (n && !w)))
		return -EINVAL;
	while (i < n) {
		struct fp_msgtab *t = &g->tab;
		const uint64_t fast_len = g->tab.fast_len, next = t->next;
		const int dev = g->dev;
		unsigned int room = 0, j;

		/* fast_len 0: k > 1, or the group to be checked (post_more()) */
		if (fast_len) {
			uint64_t tab = t->cap - (next - t->oldest);

			room = FP_SQ_DEPTH - g->sub[0].sq_used;
			room = room < FP_BATCH ? room : FP_BATCH;
			room = room < (unsigned int)(n - i) ? room :
			       (unsigned int)(n - i);
			room = room < tab ? room : (unsigned int)tab;
		}
		for (j = 0; j < room; j++) {
			const struct fp_write *e = &w[i + j];
			struct ibv_send_wr *wr = &g->bwr[j];
			const struct fp_buf_reg *reg;
			struct fp_msg *m;

			if (buf_bad(g, e->buf, e->off, e->len) ||
			    rbuf_bad(e->rbuf, e->roff, e->len))
				break;
			reg = &e->buf->reg[dev];
			if (unlikely(e->len - 1 >= fast_len || !reg->mr ||
				     reg->how == FP_REG_STAGED))
				break;
			m = &t->m[(next + j) & t->mask];
			msg_fast(m, next + j, e->wr_id, e->len, 1, FP_OP_WRITE,
				 1);
			wr->wr_id = fp_wrid(next + j, false, 0);
			wr->wr.rdma.remote_addr = e->rbuf->addr + e->roff;
			wr->wr.rdma.rkey = e->rbuf->rkey;
			g->bsge[j].addr = (uintptr_t)reg->base + e->off;
			g->bsge[j].length = (uint32_t)e->len;
			g->bsge[j].lkey = reg->mr->lkey;
		}
		if (j) {
			fp_msg_commit(t, j);
			g->sub[0].sq_used += j;
			i += (int)j;
			ret = batch_flush(g, j, &untaken);
			if (ret)
				break;
			if (j == room)
				continue;
		}
		/*
		 * w[i] alone: not the fast way, or no room left for a run;
		 * post()'s arguments checked as it does, then its ways (its
		 * fast test is the run's, above)
		 */
		if (buf_bad(g, w[i].buf, w[i].off, w[i].len) ||
		    rbuf_bad(w[i].rbuf, w[i].roff, w[i].len)) {
			ret = EINVAL;
			break;
		}
		ret = post_ways_write(g, w[i].buf, w[i].off, w[i].len,
				      w[i].rbuf, w[i].roff, w[i].wr_id);
		if (ret)
			break;
		i++;
	}
	/* w[0 .. i - 1] taken but the @untaken the provider refused */
	i -= (int)untaken;
	return i ? i : -ret;
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

/* Deadlines and the peer, at most every FP_CHECK_NS. */
static void __attribute__((noinline)) check(struct fp_group *g)
{
	uint64_t now = fp_now_ns();
	uint32_t late;

	fast_credit(g);		/* what completions freed since */
	/* A switch under way takes every check, not one in 10 ms. */
	if (g->sw || g->hold)
		fp_switch_step(g, now);
	if (now < g->next_check_ns)
		return;
	g->next_check_ns = now + FP_CHECK_NS;
	fp_group_follow(g, now);
	if (!g->sw && g->peer_follows)
		fp_switch_step(g, now);		/* a proposal of the peer's */
	if (!fp_msgtab_live(&g->tab))
		return;
	g->tab.timeout_ns = g->timeout_ns;
	late = fp_msgtab_expire(&g->tab, now);
	if (late) {
		if (!g->error)
			fp_group_fail(g, ETIMEDOUT);
		fp_qp_error(g, late);
	}
	if (peer_gone(g)) {
		fp_group_fail(g, ECONNRESET);
		fp_qp_error(g, ~0u);
		fp_msgtab_fail_all(&g->tab, ECONNRESET, now);
	}
}

/* A completion that is not the common case, into the table (msgtab.c). */
static void __attribute__((noinline))
chunk_slow(struct fp_group *g, const struct ibv_wc *wc, unsigned int sub)
{
	int st = fp_wc_errno(wc->status);
	uint64_t now = g->ctx->ring.hdr ? fp_now_ns() : 0;

	if (st && !g->error)
		fp_group_fail(g, st);
	fp_msg_chunk_done(&g->tab, fp_wrid_seq(wc->wr_id), st, wc->status,
			  sub < g->k ? (int)sub : -1,
			  st || !fp_wrid_recv(wc->wr_id) ? 0 : wc->byte_len,
			  now);
}

/*
 * One chunk completion: the last good chunk of a message goes straight
 * into @wc while there is room and nothing waits on the done queue before
 * it (completion order is kept); every other completion goes into the
 * table.
 */
static inline __attribute__((always_inline)) void
cqe_one(struct fp_group *g, const struct ibv_wc *cqe, struct fp_wc *wc, int n,
	int *got)
{
	uint64_t id = cqe->wr_id;
	unsigned int sub = FP_WRID_SUB(id);
	struct fp_msg *m;

	/* Not wc.opcode: it is undefined on errors (flushes). */
	if (likely(sub < g->k)) {
		struct fp_group_subflow *s = &g->sub[sub];

		if (fp_wrid_recv(id)) {
			if (s->rq_used)
				s->rq_used--;
		} else if (s->sq_used) {
			s->sq_used--;
		}
	}
	if (likely(!cqe->status)) {
		m = fp_msg_chunk_fast(&g->tab, fp_wrid_seq(id),
				      fp_wrid_recv(id) ? cqe->byte_len : 0);
		if (m == FP_CHUNK_TAKEN)
			return;
		if (likely(m && *got < n && !fp_msgtab_queued(&g->tab))) {
			fp_msg_deliver(&g->tab, m, &wc[(*got)++]);
			return;
		}
	}
	chunk_slow(g, cqe, sub);
}

/*
 * Every FP_POLL_CHECK_EVERY-th poll that found completions: the checks are
 * due. g->tab.polls counts in steps of FP_POLL_STEP, so that it wraps to 0 at
 * the due one: one add to memory and a branch on its zero flag.
 */
static inline __attribute__((always_inline)) bool poll_due(struct fp_group *g)
{
	g->tab.polls += FP_POLL_STEP;
	return !g->tab.polls;
}

/* Poll the CQ once (up to FP_POLL_BATCH completions); then the checks. */
static int cq_step(struct fp_group *g, struct fp_wc *wc, int n, int *got)
{
	struct ibv_wc cqe[FP_POLL_BATCH];
	int c, i;

	c = ibv_poll_cq(g->cq, FP_POLL_BATCH, cqe);
	if (unlikely(c < 0))
		return EIO;
	for (i = 0; i < c; i++)
		cqe_one(g, &cqe[i], wc, n, got);
	if (unlikely(poll_due(g) || !c))
		check(g);
	return 0;
}

/*
 * Hand out up to @n queued messages: staged receives copied back, reports
 * recorded.
 */
static int __attribute__((noinline))
reap(struct fp_group *g, struct fp_wc *wc, int n)
{
	struct fp_msg msgs[FP_POLL_BATCH];
	int got = 0;

	while (got < n && fp_msgtab_queued(&g->tab)) {
		int want = n - got < FP_POLL_BATCH ? n - got : FP_POLL_BATCH;
		int r, i;

		r = fp_msgtab_reap(&g->tab, wc + got, msgs, want);
		for (i = 0; i < r; i++) {
			struct fp_buf *b = msgs[i].buf;

			if (!(msgs[i].flags & FP_MSG_HOOKS))
				continue;
			if (msgs[i].op == FP_OP_RECV && !msgs[i].status &&
			    b->reg[g->dev].how == FP_REG_STAGED)
				wc[got + i].status =
					fp_buf_stage_in(b, g->dev,
							msgs[i].buf_off,
							msgs[i].bytes);
			if (g->ctx->ring.hdr)
				fp_report_msg(g->ctx, g, &msgs[i]);
		}
		got += r;
	}
	return got;
}

/* Chunk completions into the table; deadline and peer checks. */
int fp_group_progress(struct fp_group *g)
{
	int got = 0;

	return cq_step(g, NULL, 0, &got);
}

/* fp_poll() the general way: the done queue first, then the CQ. */
static int __attribute__((noinline))
poll_general(struct fp_group *g, struct fp_wc *wc, int n)
{
	int got = 0, ret;

	if (fp_msgtab_queued(&g->tab))
		got = reap(g, wc, n);
	ret = cq_step(g, wc, n, &got);
	/*
	 * What reap() took off the done queue is the caller's now: return
	 * it, and the failure on the next call (the CQ fails again).
	 */
	if (unlikely(ret))
		return got ? got : -ret;
	if (fp_msgtab_queued(&g->tab) && got < n)
		got += reap(g, wc + got, n - got);
	return got;
}

/*
 * The rest of fp_poll() once a completion is not the common case: the
 * @c completions left in @cqe the general way, then the checks.
 */
static int __attribute__((noinline))
poll_rest(struct fp_group *g, const struct ibv_wc *cqe, int c,
	  struct fp_wc *wc, int n, int got)
{
	int i;

	for (i = 0; i < c; i++)
		cqe_one(g, &cqe[i], wc, n, &got);
	if (poll_due(g))
		check(g);
	if (fp_msgtab_queued(&g->tab) && got < n)
		got += reap(g, wc + got, n - got);
	return got;
}

/* fp_poll() found nothing, or it is time for the checks. */
static int __attribute__((noinline))
poll_check(struct fp_group *g, struct fp_wc *wc, int n, int got)
{
	check(g);
	if (fp_msgtab_queued(&g->tab) && got < n)
		got += reap(g, wc + got, n - got);
	return got;
}

/*
 * fp_poll()'s common case for the completion @cqe, @got of @n handed out
 * so far: the good chunk of a live message (neither failed, queued nor
 * handed out) on a subflow of the group, counted, or, the message's last
 * and room in @wc, handed out. Returns the new @got, or -1 with nothing
 * done: poll_rest() takes it (a last chunk with no room in @wc waits on the
 * done queue, a receive short of its length fails there). It calls
 * nothing, so that its callers' state needs no saved registers.
 */
static inline __attribute__((always_inline)) int
cqe_fast(struct fp_group *g, const struct ibv_wc *cqe, struct fp_wc *wc, int n,
	 int got)
{
	struct fp_msgtab *t = &g->tab;
	uint64_t id = cqe->wr_id, seq = fp_wrid_seq(id);
	unsigned int sub = FP_WRID_SUB(id);
	struct fp_group_subflow *s = &g->sub[sub];
	struct fp_msg *m = &t->m[seq & t->mask];
	uint32_t pending;

	/* FP_MSG_LIVE alone: not failed (FP_MSG_FAILED), not queued nor
	 * handed out.
	 */
	if (unlikely(cqe->status || sub >= g->k || m->seq != seq ||
		     m->flags != FP_MSG_LIVE || !m->pending))
		return -1;
	pending = m->pending;
	if (fp_wrid_recv(id)) {
		if (pending == 1 &&
		    (got >= n || m->got + cqe->byte_len != m->bytes))
			return -1;
		if (s->rq_used)
			s->rq_used--;
		m->got += cqe->byte_len;
	} else {
		if (unlikely(pending == 1 && got >= n))
			return -1;
		/*
		 * Counted on its queue when posted and not given back before
		 * its completion: a live message's chunk finds its count above
		 * 0 (pin() zeroes the counts only after they drained to 0).
		 */
		s->sq_used--;
	}
	if (pending > 1) {
		m->pending = pending - 1;
		return got;
	}
	fp_msg_deliver(t, m, &wc[got]);
	return got + 1;
}

/*
 * The @c completions polled into @cqe, nothing on the done queue: the
 * common case inline, every completion cqe_fast()'s; at the first that is
 * not, poll_rest() takes over. One completion, the common poll of a
 * latency-bound caller, goes without the loop.
 */
static inline __attribute__((always_inline)) int
poll_cqes(struct fp_group *g, const struct ibv_wc *cqe, int c,
	  struct fp_wc *wc, int n)
{
	int got;

	if (unlikely(c > 1)) {
		const struct ibv_wc *e = cqe, *end = cqe + c;

		for (got = 0; e < end; e++) {
			int r = cqe_fast(g, e, wc, n, got);

			if (unlikely(r < 0))
				return poll_rest(g, e, (int)(end - e), wc, n,
						 got);
			got = r;
		}
	} else {
		got = cqe_fast(g, cqe, wc, n, 0);
		if (unlikely(got < 0))
			return poll_rest(g, cqe, 1, wc, n, 0);
	}
	if (unlikely(poll_due(g)))
		return poll_check(g, wc, n, got);
	return got;
}

int fp_poll(struct fp_group *g, struct fp_wc *wc, int n)
{
	struct ibv_wc cqe[FP_POLL_BATCH];
	int c;

	if (unlikely(!g || !wc || n < 0))
		return -EINVAL;
	if (unlikely(fp_msgtab_queued(&g->tab)))
		return poll_general(g, wc, n);
	c = ibv_poll_cq(g->cq, FP_POLL_BATCH, cqe);
	if (unlikely(c <= 0))
		return c ? -EIO : poll_check(g, wc, n, 0);
	return poll_cqes(g, cqe, c, wc, n);
}

/* ------------------------------------------- the inline fast path */

/*
 * flowplan_fast.h's view of the table and its slots is this library's:
 * a change here that moves them is a new FP_FAST_VERSION.
 */
#define FP_FAST_SAME(a, fa, b, fb)					\
	(offsetof(a, fa) == offsetof(b, fb) &&				\
	 sizeof(((a *)0)->fa) == sizeof(((b *)0)->fb))
_Static_assert(FP_FAST_SAME(struct fp_msgtab, m, struct fp_fast_tab, slots) &&
	       FP_FAST_SAME(struct fp_msgtab, mask, struct fp_fast_tab, mask) &&
	       FP_FAST_SAME(struct fp_msgtab, next, struct fp_fast_tab, next) &&
	       FP_FAST_SAME(struct fp_msgtab, oldest, struct fp_fast_tab, oldest) &&
	       FP_FAST_SAME(struct fp_msgtab, cap, struct fp_fast_tab, cap) &&
	       FP_FAST_SAME(struct fp_msgtab, live, struct fp_fast_tab, live) &&
	       FP_FAST_SAME(struct fp_msgtab, dhead, struct fp_fast_tab, dhead) &&
	       FP_FAST_SAME(struct fp_msgtab, dtail, struct fp_fast_tab, dtail) &&
	       FP_FAST_SAME(struct fp_msgtab, polls, struct fp_fast_tab, polls) &&
	       FP_FAST_SAME(struct fp_msgtab, credit, struct fp_fast_tab,
			    credit) &&
	       FP_FAST_SAME(struct fp_msgtab, fast_len, struct fp_fast_tab,
			    len_max),
	       "struct fp_fast_tab is struct fp_msgtab's head");
_Static_assert(FP_FAST_SAME(struct fp_msg, seq, struct fp_fast_msg, seq) &&
	       FP_FAST_SAME(struct fp_msg, wr_id, struct fp_fast_msg, wr_id) &&
	       FP_FAST_SAME(struct fp_msg, bytes, struct fp_fast_msg, bytes) &&
	       FP_FAST_SAME(struct fp_msg, pending, struct fp_fast_msg, pending) &&
	       FP_FAST_SAME(struct fp_msg, op, struct fp_fast_msg, op) &&
	       FP_FAST_SAME(struct fp_msg, flags, struct fp_fast_msg, flags) &&
	       FP_FAST_SAME(struct fp_msg, status, struct fp_fast_msg, status) &&
	       FP_FAST_SAME(struct fp_msg, subs, struct fp_fast_msg, subs) &&
	       FP_FAST_SAME(struct fp_msg, deadline_ns, struct fp_fast_msg,
			    deadline_ns) &&
	       FP_FAST_SAME(struct fp_msg, got, struct fp_fast_msg, got),
	       "struct fp_fast_msg is struct fp_msg's head");
_Static_assert(sizeof(struct fp_msg) == 1u << FP_FAST_SLOT_SHIFT,
	       "a message slot is 1 << FP_FAST_SLOT_SHIFT bytes");
/* flowplan_fast.h's constants are the library's */
_Static_assert((uint64_t)FP_FAST_WRID_SEQ == FP_WRID_SEQ, "wr_id");
_Static_assert((uint64_t)FP_FAST_MSG_LIVE == FP_MSG_LIVE, "live");
_Static_assert((uint64_t)FP_FAST_DEADLINE_STAMP == FP_DEADLINE_STAMP, "stamp");
_Static_assert((uint64_t)FP_FAST_POLL_STEP == FP_POLL_STEP, "poll step");
_Static_assert((uint64_t)FP_FAST_POLL_EVERY == FP_POLL_CHECK_EVERY, "polls");
_Static_assert(FP_FAST_DEVS == FP_MAX_DEVS, "a buffer's length per device");

/*
 * The fast path's descriptor: pointers to what it reads and counts, none
 * of which moves while the group is open (a re-pin writes g->sub[] in
 * place and keeps the table). fast_len gates it as it gates post()'s own
 * fast way: 0 on a group of more than one subflow, with reports, failed
 * or holding posts, and until the work requests are made (made here);
 * the credit (priv.h) as post()'s too, made exact here. Its own work
 * requests (g->fwr) are made here each time: no other post writes them.
 */
int fp_group_fast(struct fp_group *g, unsigned int version, struct fp_fast *f,
		  size_t size)
{
	unsigned int i;

	if (!g || !f || size < sizeof(*f))
		return EINVAL;
	if (version != FP_FAST_VERSION)
		return ENOTSUP;
	if (g->sge_ready != &g->sge)
		wr_template(g);
	fast_credit(g);
	for (i = 0; i < 2; i++)
		g->fwr[i] = (struct ibv_send_wr){
			.sg_list = &g->fsge, .num_sge = 1,
			.opcode = i ? IBV_WR_SEND : IBV_WR_RDMA_WRITE,
			.send_flags = IBV_SEND_SIGNALED };
	*f = (struct fp_fast){
		.size = sizeof(*f),
		.version = FP_FAST_VERSION,
		.group = g,
		.qp = &g->sub[0].qp,
		.wr = { &g->fwr[0], &g->fwr[1] },
		.sge = &g->fsge,
		.cq = g->cq,
		.tab = (struct fp_fast_tab *)&g->tab,
		.sq_used = &g->sub[0].sq_used,
		.nsend = &g->nsend,
		.dev = (uint32_t)g->dev,
	};
	return 0;
}

/*
 * A buffer the fast path posts from: registered on the group's device
 * (now, if it was not), not staged; a staged one gets a length of 0, so
 * that every post of it goes to post_general().
 */
int fp_buf_fast(struct fp_group *g, struct fp_buf *buf, struct fp_fast_buf *fb,
		size_t size)
{
	const struct fp_buf_reg *reg;

	if (!g || !buf || !fb || size < sizeof(*fb) || buf->ctx != g->ctx)
		return EINVAL;
	reg = &buf->reg[g->dev];
	if (!reg->mr) {
		reg = fp_buf_reg_for(buf, g->dev);
		if (!reg)
			return errno;
	}
	*fb = (struct fp_fast_buf){
		.buf = buf,
		.addr = (uintptr_t)reg->base,
		.lkey = reg->mr->lkey,
	};
	fb->len[g->dev] = reg->how == FP_REG_STAGED ? 0 : buf->len;
	return 0;
}

/*
 * fp_fast_poll()'s fallback: the completion it polled and could not take,
 * as fp_poll() takes it (poll_cqes()), and when that hands nothing out (a
 * chunk of a split message), the CQ polled on as fp_poll() polls it; or
 * none (it found none, or its count made the checks due: poll_check()).
 */
int fp_fast_poll_slow(struct fp_group *g, const struct ibv_wc *cqe,
		      struct fp_wc *wc, int n)
{
	int got;

	if (unlikely(!g || n < 0 || (n && !wc)))
		return -EINVAL;
	if (!cqe)
		return poll_check(g, wc, n, 0);
	got = poll_cqes(g, cqe, 1, wc, n);
	return got || !n ? got : fp_poll(g, wc, n);
}

/* --------------------------------------------------- in-band switch */

/*
 * A send or write while the group switches QPs: held, in order, within
 * the group's max_msgs (EAGAIN beyond), and issued by fp_hold_issue().
 */
int fp_hold_post(struct fp_group *g, enum fp_op op, struct fp_buf *buf,
		 size_t off, size_t len, const struct fp_rbuf *rb,
		 uint64_t roff, uint64_t wr_id)
{
	unsigned int n = g->qtail - g->qhead;
	struct fp_qpost *e;

	if (n + fp_msgtab_live(&g->tab) >= g->tab.cap)
		return EAGAIN;
	if (n == g->qcap) {
		unsigned int cap = g->qcap ? 2 * g->qcap : 64, i;
		struct fp_qpost *q = malloc(cap * sizeof(*q));

		if (!q)
			return ENOMEM;
		for (i = 0; i < n; i++)
			q[i] = g->q[(g->qhead + i) % g->qcap];
		free(g->q);
		g->q = q;
		g->qcap = cap;
		g->qhead = 0;
		g->qtail = n;
	}
	e = &g->q[g->qtail % g->qcap];
	*e = (struct fp_qpost){ .op = (uint16_t)op, .buf = buf, .off = off,
				.len = len, .roff = roff, .wr_id = wr_id };
	if (rb)
		e->rb = *rb;
	g->qtail++;
	return 0;
}

/*
 * The held posts, in order, unless a switch is still under way. A queue
 * or table full stops it (the next check goes on); any other refusal
 * completes that message with the error, as fp_poll() reports any other.
 */
void fp_hold_issue(struct fp_group *g)
{
	if (g->sw >= FP_SW_ACKED)
		return;
	fp_group_hold(g, false);
	while (g->qhead != g->qtail) {
		struct fp_qpost *e = &g->q[g->qhead % g->qcap];
		struct fp_msg *m;
		int ret;

		ret = e->op == FP_OP_WRITE ?
		      post(g, FP_OP_WRITE, e->buf, e->off, e->len, &e->rb,
			   e->roff, e->wr_id) :
		      post(g, FP_OP_SEND, e->buf, e->off, e->len, NULL, 0,
			   e->wr_id);
		if (ret == EAGAIN)
			break;
		if (ret) {
			m = fp_msg_start(&g->tab, e->wr_id, e->op, e->len, 1, 0,
					 0);
			if (!m)
				break;
			fp_msg_unposted(&g->tab, m, 1, ret, 0);
		}
		g->qhead++;
	}
	fp_group_hold(g, g->qhead != g->qtail);
}

/*
 * A receive that a switch flushed from the old QPs before anything filled
 * it: posted again on the new ones in its slot (same sequence number and
 * wr_id), cut by the peer's new weights.
 */
void fp_recv_repost(struct fp_group *g, struct fp_msg *m)
{
	struct ibv_recv_wr rwr, *bad;
	struct ibv_sge sge;
	unsigned int need[FP_MAX_SUBFLOWS] = { 0 }, i;
	/* A report's end time, should it fail here (as post_general()). */
	uint64_t now = g->ctx->ring.hdr ? fp_now_ns() : 0;
	int n, ret = 0;

	n = fp_split(m->bytes, g->rw, g->k, g->rchunk_max, g->rsplit_min,
		     &g->sp_recv, g->chunks, g->nchunks);
	if (n == -ENOSPC) {
		uint64_t cnt = fp_split_count(m->bytes, g->rw, g->k,
					      g->rchunk_max, g->rsplit_min);

		ret = cnt > (uint64_t)g->k * FP_RQ_DEPTH ? EMSGSIZE :
		      chunks_room(g, cnt);
		if (!ret)
			n = fp_split(m->bytes, g->rw, g->k, g->rchunk_max,
				     g->rsplit_min, &g->sp_recv, g->chunks,
				     g->nchunks);
	}
	m->got = 0;
	m->subs = 0;
	m->ridx = g->nrecv++;
	if (ret || n < 0) {
		m->pending = 0;
		fp_msg_unposted(&g->tab, m, 0, ret ? ret : -n, now);
		return;
	}
	for (i = 0; i < (unsigned int)n; i++)
		need[g->chunks[i].sub]++;
	for (i = 0; i < g->k; i++)
		if (g->sub[i].rq_used + need[i] > FP_RQ_DEPTH) {
			unspread(&g->sp_recv, g->chunks, n, 0);
			m->pending = 0;
			fp_msg_unposted(&g->tab, m, 0, ENOBUFS, now);
			return;
		}
	m->pending = (uint32_t)n;
	sge.lkey = m->lkey;
	rwr = (struct ibv_recv_wr){ .sg_list = &sge };
	for (i = 0; i < (unsigned int)n; i++) {
		const struct fp_chunk *c = &g->chunks[i];

		sge.addr = m->laddr + c->off;
		sge.length = (uint32_t)c->len;
		rwr.wr_id = fp_wrid(m->seq, true, c->sub);
		rwr.num_sge = c->len ? 1 : 0;
		ret = ibv_post_recv(g->sub[c->sub].qp, &rwr, &bad);
		if (ret) {
			fp_msg_unposted(&g->tab, m, (uint32_t)n - i, ret, now);
			return;
		}
		g->sub[c->sub].rq_used++;
		m->subs |= 1u << c->sub;
	}
}

/* One completion, as fp_poll() takes it, onto the done queue. */
void fp_group_cqe(struct fp_group *g, const struct ibv_wc *cqe)
{
	int got = 0;

	cqe_one(g, cqe, NULL, 0, &got);
}
