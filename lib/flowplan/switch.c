// SPDX-License-Identifier: MIT
/*
 * switch.c - the in-band switch: a group whose plan changed moves onto new
 * QPs by itself, with nothing lost (docs/follow.md has the reasoning).
 *
 * Both ends must speak it (the hello's FP_HELLO_FOLLOW, sent by a context
 * that follows its plan source); with an older or non-following peer a
 * stale group keeps its QPs and fp_group_follow_query() says why.
 *
 * Control records (struct fp_ctl, 32 bytes) go over the group's bootstrap
 * socket, read without blocking from fp_poll()'s checks, one whole record
 * at a time (peeked first, so that pin()'s hello and fp_group_xchg()'s
 * bytes are never taken for one):
 *
 *   PROPOSE(e)          the side whose group went stale; it keeps posting
 *   ACK(e, S_b)         the other side freezes (sends and writes are held
 *                       in a queue, posting returns 0) and says how many
 *                       sends it posted on the current QPs
 *   COMMIT(e, S_a)      the proposer freezes and says its count
 *   DRAINED(e)          each side, once its send queues are empty and every
 *                       receive below the peer's count completed
 *   ABORT(e)            either side, before its DRAINED: both keep the old
 *                       QPs and release what they held
 *
 * The cut: sends below S go on the old QPs, receives whose index is below
 * the peer's S are filled there (more are posted there while frozen:
 * receives are never held). Once both said DRAINED, the old QPs are moved
 * to the error state; the receives beyond the cut (a pre-posted pool) come
 * back flushed, are kept in their slots (same wr_id, nothing completed)
 * and posted again on the new QPs, in order, after pin() connected them.
 * Then the held sends and writes are issued in order.
 *
 * A proposal both sides make at once: the listening side's stands, the
 * connecting side answers it. A proposer whose peer does not answer within
 * the group's timeout gives up (counted, tried again a timeout later); a
 * frozen side that waits longer than that for the next step aborts. After
 * DRAINED there is no way back: a peer gone then fails the group, as a
 * deadline does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "flowplan/handles.h"

static const char *const ctl_name[] = {
	[FP_CTL_PROPOSE] = "PROPOSE", [FP_CTL_ACK] = "ACK", [FP_CTL_COMMIT] = "COMMIT",
	[FP_CTL_DRAINED] = "DRAINED", [FP_CTL_ABORT] = "ABORT",
};

static bool debug(void)
{
	return getenv("FLOWPLAN_DEBUG") != NULL;
}

static int tmo_ms(const struct fp_group *g)
{
	return (int)(g->timeout_ns / 1000000);
}

static int ctl_send(struct fp_group *g, uint32_t type, uint64_t count)
{
	struct fp_ctl c = {
		.magic = FP_CTL_MAGIC,
		.type = type,
		.epoch = g->epoch,
		.count = count,
		.generation = g->ctx->plan.hp.generation,
	};

	if (debug())
		fprintf(stderr, "libflowplan: switch %llu: -> %s %llu\n",
			(unsigned long long)g->epoch, ctl_name[type],
			(unsigned long long)count);
	return fp_sock_io(g->fd, &c, sizeof(c), true, tmo_ms(g));
}

static void freeze(struct fp_group *g)
{
	fp_group_hold(g, true);
}

/* Back to the old QPs: nothing was flushed; what was held is issued. */
static void give_up(struct fp_group *g, int why, uint64_t now)
{
	if (debug())
		fprintf(stderr, "libflowplan: switch %llu: given up: %s\n",
			(unsigned long long)g->epoch, strerror(why));
	g->sw = FP_SW_IDLE;
	g->peer_drained = false;
	g->switch_failures++;
	g->switch_error = why;
	g->sw_retry_ns = now + g->timeout_ns;
	fp_group_hold(g, g->qhead != g->qtail);
	fp_hold_issue(g);
}

void fp_switch_propose(struct fp_group *g, uint64_t now)
{
	if (!g->peer_follows || g->sw != FP_SW_IDLE || g->error ||
	    now < g->sw_retry_ns)
		return;
	g->epoch++;
	if (ctl_send(g, FP_CTL_PROPOSE, 0)) {
		g->switch_failures++;
		g->switch_error = ECONNRESET;
		g->sw_retry_ns = now + g->timeout_ns;
		return;
	}
	g->sw = FP_SW_PROPOSED;
	g->sw_deadline = now + g->timeout_ns;
}

/* One control record from the peer. */
static int input(struct fp_group *g, const struct fp_ctl *c, uint64_t now)
{
	bool cur = c->epoch == g->epoch;

	if (c->magic != FP_CTL_MAGIC || !c->type || c->type > FP_CTL_ABORT)
		return EPROTO;
	if (debug())
		fprintf(stderr, "libflowplan: switch %llu: <- %s %llu (epoch %llu)\n",
			(unsigned long long)g->epoch, ctl_name[c->type],
			(unsigned long long)c->count,
			(unsigned long long)c->epoch);
	switch (c->type) {
	case FP_CTL_PROPOSE:
		/* Both proposed: the listener's proposal stands. */
		if (g->error || !(g->sw == FP_SW_IDLE ||
				  (g->sw == FP_SW_PROPOSED && !g->listener)))
			return 0;
		g->epoch = c->epoch;
		/* Our plan may have changed too: take it in the same switch. */
		g->ctx->follow_next_ns = 0;
		fp_ctx_follow(g->ctx, now);
		freeze(g);
		g->sw = FP_SW_ACKED;
		g->sw_deadline = now + g->timeout_ns;
		return ctl_send(g, FP_CTL_ACK, g->nsend);
	case FP_CTL_ACK:
		if (g->sw != FP_SW_PROPOSED || !cur) {
			/* Ours timed out: the peer froze for nothing. */
			if (c->epoch <= g->epoch && g->sw == FP_SW_IDLE) {
				uint64_t e = g->epoch;
				int ret;

				g->epoch = c->epoch;
				ret = ctl_send(g, FP_CTL_ABORT, 0);
				g->epoch = e;
				return ret;
			}
			return 0;
		}
		freeze(g);
		g->peer_cut = c->count;
		g->sw = FP_SW_DRAIN;
		g->sw_deadline = now + g->timeout_ns;
		return ctl_send(g, FP_CTL_COMMIT, g->nsend);
	case FP_CTL_COMMIT:
		if (g->sw != FP_SW_ACKED || !cur)
			return 0;
		g->peer_cut = c->count;
		g->sw = FP_SW_DRAIN;
		g->sw_deadline = now + g->timeout_ns;
		return 0;
	case FP_CTL_DRAINED:
		if (cur && (g->sw == FP_SW_DRAIN || g->sw == FP_SW_DRAINED))
			g->peer_drained = true;
		return 0;
	case FP_CTL_ABORT:
		if (cur && g->sw != FP_SW_IDLE)
			give_up(g, ECONNABORTED, now);
		return 0;
	}
	return 0;
}

/*
 * The old QPs hold nothing of ours before the cut: every send and write
 * completed, and every receive the peer's sends below its cut fill.
 */
static bool drained(struct fp_group *g)
{
	struct fp_msgtab *t = &g->tab;
	unsigned int i;
	uint64_t s;

	for (i = 0; i < g->k; i++)
		if (g->sub[i].sq_used)
			return false;
	if (g->nrecv < g->peer_cut)
		return false;
	for (s = t->oldest; s < t->next; s++) {
		const struct fp_msg *m = &t->m[s & t->mask];

		if (m->seq != s || !(m->flags & FP_MSG_LIVE) ||
		    m->op != FP_OP_RECV || !m->pending ||
		    (m->flags & (FP_MSG_FAILED | FP_MSG_DELIVERED |
				 FP_MSG_QUEUED)))
			continue;
		if (m->ridx < g->peer_cut)
			return false;
	}
	return true;
}

/*
 * Both drained: flush the old QPs, keep the receives beyond the cut, pin
 * new QPs, post those receives again, release what was held.
 */
static void do_switch(struct fp_group *g, uint64_t now)
{
	uint64_t end = now + g->timeout_ns;
	struct fp_msgtab *t = &g->tab;
	unsigned int i, busy;
	int ret = 0;
	uint64_t s;

	fp_qp_error(g, ~0u);
	for (;;) {
		struct ibv_wc cqe[32];
		int c, j;

		for (i = 0, busy = 0; i < g->k; i++)
			busy += g->sub[i].rq_used + g->sub[i].sq_used;
		if (!busy)
			break;
		if (fp_now_ns() > end) {
			ret = EIO;
			break;
		}
		c = ibv_poll_cq(g->cq, 32, cqe);
		if (c < 0) {
			ret = EIO;
			break;
		}
		for (j = 0; j < c; j++) {
			uint64_t id = cqe[j].wr_id, seq = fp_wrid_seq(id);
			unsigned int sub = FP_WRID_SUB(id);
			struct fp_msg *m = &t->m[seq & t->mask];

			/* FP_MSG_HOOKS (reports, staging) may be set. */
			if (!fp_wrid_recv(id) || !cqe[j].status ||
			    sub >= g->k || m->seq != seq ||
			    !(m->flags & FP_MSG_LIVE) ||
			    (m->flags & (FP_MSG_FAILED | FP_MSG_QUEUED |
					 FP_MSG_DELIVERED)) || !m->pending ||
			    m->op != FP_OP_RECV || m->ridx < g->peer_cut) {
				/* Not a receive beyond the cut: as fp_poll(). */
				fp_group_cqe(g, &cqe[j]);
				continue;
			}
			g->sub[sub].rq_used--;
			if (!--m->pending)
				m->flags |= FP_MSG_REPOST;
		}
	}
	if (!ret)
		ret = fp_group_pin(g, tmo_ms(g));
	if (ret) {
		/* Past the point of return: the group failed. */
		if (debug())
			fprintf(stderr, "libflowplan: switch %llu: failed: %s\n",
				(unsigned long long)g->epoch, strerror(ret));
		fp_group_fail(g, ret);
		g->switch_failures++;
		g->switch_error = ret;
		for (s = t->oldest; s < t->next; s++)
			t->m[s & t->mask].flags &= ~FP_MSG_REPOST;
		fp_msgtab_fail_all(t, ret, now);
	} else {
		unsigned int again = 0;

		for (s = t->oldest; s < t->next; s++) {
			struct fp_msg *m = &t->m[s & t->mask];

			if (m->seq == s && (m->flags & FP_MSG_REPOST)) {
				m->flags &= ~FP_MSG_REPOST;
				fp_recv_repost(g, m);
				again++;
			}
		}
		g->switches++;
		if (debug())
			fprintf(stderr, "libflowplan: switch %llu: done, generation %llu, %u subflows, %u receives posted again, %u sends and writes held\n",
				(unsigned long long)g->epoch,
				(unsigned long long)g->generation, g->k, again,
				g->qtail - g->qhead);
	}
	g->sw = FP_SW_IDLE;
	g->peer_drained = false;
	fp_group_hold(g, g->qhead != g->qtail);
	fp_hold_issue(g);
}

/* The next whole record, if one is there and it is not the application's. */
static int read_record(struct fp_group *g, struct fp_ctl *c)
{
	ssize_t n = recv(g->fd, c, sizeof(*c), MSG_PEEK | MSG_DONTWAIT);

	if (n < (ssize_t)sizeof(*c))
		return 0;	/* none (or the peer gone: check() sees it) */
	/* fp_group_xchg()'s, or pin()'s hello: theirs to read. */
	if (c->magic != FP_CTL_MAGIC || c->type == FP_CTL_XCHG)
		return 0;
	n = recv(g->fd, c, sizeof(*c), MSG_DONTWAIT);
	return n == (ssize_t)sizeof(*c) ? 1 : 0;
}

int fp_switch_record(struct fp_group *g, const void *rec, uint64_t now)
{
	int ret = input(g, rec, now);

	if (!ret)
		fp_switch_step(g, now);
	return ret;
}

void fp_switch_step(struct fp_group *g, uint64_t now)
{
	struct fp_ctl c;
	int ret;

	if (!g->peer_follows)
		return;
	while (read_record(g, &c)) {
		ret = input(g, &c, now);
		if (ret) {
			fp_group_fail(g, g->error ? g->error : ret);
			break;
		}
	}
	if (g->sw == FP_SW_IDLE) {
		if (g->qhead != g->qtail)
			fp_hold_issue(g);
		return;
	}
	if (g->error && g->sw != FP_SW_DRAINED) {
		ctl_send(g, FP_CTL_ABORT, 0);
		give_up(g, g->error, now);
		return;
	}
	switch (g->sw) {
	case FP_SW_PROPOSED:
		if (now > g->sw_deadline)
			give_up(g, ETIMEDOUT, now);	/* not frozen yet */
		return;
	case FP_SW_ACKED:
		if (now > g->sw_deadline) {
			ctl_send(g, FP_CTL_ABORT, 0);
			give_up(g, ETIMEDOUT, now);
		}
		return;
	case FP_SW_DRAIN:
		if (!drained(g)) {
			if (now > g->sw_deadline) {
				ctl_send(g, FP_CTL_ABORT, 0);
				give_up(g, ETIMEDOUT, now);
			}
			return;
		}
		if (ctl_send(g, FP_CTL_DRAINED, 0)) {
			give_up(g, ECONNRESET, now);
			return;
		}
		g->sw = FP_SW_DRAINED;
		g->sw_deadline = now + g->timeout_ns;
		/* fall through */
	case FP_SW_DRAINED:
		if (g->peer_drained) {
			do_switch(g, now);
		} else if (now > g->sw_deadline) {
			fp_group_fail(g, ETIMEDOUT);
			g->sw = FP_SW_IDLE;
			g->switch_failures++;
			g->switch_error = ETIMEDOUT;
			fp_group_hold(g, g->qhead != g->qtail);
			fp_hold_issue(g);
		}
		return;
	}
}
