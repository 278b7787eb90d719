// SPDX-License-Identifier: MIT
/*
 * msgtab.c - one completion per message out of many chunk completions.
 *
 * Every chunk is posted signaled with the message's sequence number in its
 * wr_id. A message completes when its last chunk does; the first error it
 * sees is its status. fp_poll() hands the common case out at once
 * (fp_msg_chunk_ok(), fp_msg_deliver() in priv.h); everything else goes
 * through the done queue here: errors, expiry, a peer gone, chunks that
 * could not be posted. A message whose deadline passes is handed to the
 * caller at once with ETIMEDOUT, and its slot stays taken until the chunks
 * it still has on the wire are flushed, so that a late completion can never
 * be taken for another message's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/verbs.h>

#include "flowplan/priv.h"

int fp_msgtab_init(struct fp_msgtab *t, unsigned int cap)
{
	unsigned int c = 1;

	memset(t, 0, sizeof(*t));
	if (cap > FP_MSGTAB_MAX)
		return EINVAL;
	while (c < cap)
		c <<= 1;
	t->m = calloc(c, sizeof(*t->m));
	t->done = calloc(c, sizeof(*t->done));
	if (!t->m || !t->done) {
		free(t->m);
		free(t->done);
		return ENOMEM;
	}
	t->cap = c;
	t->mask = c - 1;
	t->next = 1;
	t->oldest = 1;
	return 0;
}

void fp_msgtab_fini(struct fp_msgtab *t)
{
	free(t->m);
	free(t->done);
	t->m = NULL;
	t->done = NULL;
}

static struct fp_msg *slot(const struct fp_msgtab *t, uint64_t seq)
{
	return &t->m[seq & t->mask];
}

static bool live(const struct fp_msg *m, uint64_t seq)
{
	return m->seq == seq && (m->flags & FP_MSG_LIVE);
}

bool fp_msgtab_trim(struct fp_msgtab *t)
{
	while (t->oldest < t->next && !live(slot(t, t->oldest), t->oldest))
		t->oldest++;
	return t->next - t->oldest < t->cap;
}

struct fp_msg *fp_msg_start(struct fp_msgtab *t, uint64_t wr_id, uint16_t op,
			    uint64_t bytes, uint32_t nchunks, uint64_t now,
			    uint64_t deadline)
{
	struct fp_msg *m = fp_msg_slot(t);

	if (!m) {
		errno = EAGAIN;
		return NULL;
	}
	*m = (struct fp_msg){
		.seq = t->next,
		.wr_id = wr_id,
		.bytes = bytes,
		.start_ns = now,
		.deadline_ns = deadline,
		.pending = nchunks,
		.subflow = -1,
		.op = op,
		.flags = FP_MSG_LIVE,
	};
	fp_msg_commit(t, 1);
	fp_credit_take(t, nchunks);	/* the queue's room: priv.h */
	return m;
}

/* Callers queue a message once: never one queued or handed out already. */
static void queue_done(struct fp_msgtab *t, struct fp_msg *m, uint64_t now)
{
	m->end_ns = now;
	m->flags |= FP_MSG_QUEUED;
	t->done[t->dtail++ & t->mask] = m->seq;
}

static void release(struct fp_msgtab *t, struct fp_msg *m)
{
	if (!m->pending && (m->flags & FP_MSG_DELIVERED)) {
		m->flags = 0;
		t->live--;
	}
}

static void set_error(struct fp_msg *m, int status, int vstatus, int sub)
{
	if (m->status)
		return;
	m->status = status;
	m->flags |= FP_MSG_FAILED;
	m->vendor_status = vstatus;
	m->subflow = sub;
}

struct fp_msg *fp_msg_chunk_done(struct fp_msgtab *t, uint64_t seq, int status,
				 int vstatus, int sub, uint64_t bytes,
				 uint64_t now)
{
	struct fp_msg *m = slot(t, seq);

	if ((m->seq & FP_WRID_SEQ) != seq || !(m->flags & FP_MSG_LIVE) ||
	    !m->pending) {
		t->stale++;
		return NULL;
	}
	if (status)
		set_error(m, status, vstatus, sub);
	m->got += bytes;
	if (--m->pending || (m->flags & FP_MSG_QUEUED))
		return NULL;
	if (m->op == FP_OP_RECV && m->got != m->bytes)
		set_error(m, EMSGSIZE, 0, sub);
	if (m->flags & FP_MSG_DELIVERED) {
		/* Timed out earlier: its last flushed chunk frees the slot. */
		release(t, m);
		return NULL;
	}
	queue_done(t, m, now);
	return m;
}

void fp_msg_cancel(struct fp_msgtab *t, struct fp_msg *m)
{
	m->flags = 0;
	t->live--;
	if (m->seq + 1 == t->next)
		t->next--;
}

void fp_msg_unposted(struct fp_msgtab *t, struct fp_msg *m, uint32_t n,
		     int err, uint64_t now)
{
	set_error(m, err, 0, -1);
	m->pending -= n < m->pending ? n : m->pending;
	if (!m->pending) {
		if (m->flags & FP_MSG_DELIVERED)
			release(t, m);
		else if (!(m->flags & FP_MSG_QUEUED))
			queue_done(t, m, now);
	}
}

uint32_t fp_msgtab_expire(struct fp_msgtab *t, uint64_t now)
{
	uint32_t subs = 0;
	uint64_t s;

	/*
	 * fp_poll() moves @oldest on only past a message it hands out itself;
	 * one freed out of order (through the done queue) would hold it back,
	 * and this walk would cover up to the whole table every check.
	 */
	fp_msgtab_trim(t);
	for (s = t->oldest; s < t->next; s++) {
		struct fp_msg *m = slot(t, s);

		if (!live(m, s) || (m->flags & (FP_MSG_DELIVERED | FP_MSG_QUEUED)))
			continue;
		if (m->deadline_ns == FP_DEADLINE_STAMP) {
			m->deadline_ns = now + t->timeout_ns;
			continue;
		}
		if (!m->deadline_ns || m->deadline_ns > now)
			continue;
		set_error(m, ETIMEDOUT, 0, -1);
		subs |= m->subs;
		queue_done(t, m, now);
	}
	return subs;
}

/*
 * Only messages nobody has been told about yet: one already handed out
 * (timed out, its chunks still being flushed) was completed once and stays
 * so; one queued is complete, with the status its chunks gave it, even
 * when the peer goes away before the caller reaps it.
 */
void fp_msgtab_fail_all(struct fp_msgtab *t, int err, uint64_t now)
{
	uint64_t s;

	for (s = t->oldest; s < t->next; s++) {
		struct fp_msg *m = slot(t, s);

		if (!live(m, s) || (m->flags & (FP_MSG_DELIVERED | FP_MSG_QUEUED)))
			continue;
		set_error(m, err, 0, -1);
		queue_done(t, m, now);
	}
}

int fp_msgtab_reap(struct fp_msgtab *t, struct fp_wc *wc, struct fp_msg *msgs,
		   int n)
{
	int i = 0;

	while (i < n && t->dhead != t->dtail) {
		uint64_t seq = t->done[t->dhead++ & t->mask];
		struct fp_msg *m = slot(t, seq);

		m->flags &= ~FP_MSG_QUEUED;
		m->flags |= FP_MSG_DELIVERED;
		if (wc)
			wc[i] = (struct fp_wc){
				.wr_id = m->wr_id,
				.status = m->status,
				.op = (enum fp_op)m->op,
				.subflow = m->status ? m->subflow : -1,
				.vendor_status = m->status ? m->vendor_status : 0,
				.len = m->bytes,
			};
		if (msgs)
			msgs[i] = *m;
		release(t, m);
		i++;
	}
	return i;
}

int fp_wc_errno(int st)
{
	switch (st) {
	case IBV_WC_SUCCESS:
		return 0;
	case IBV_WC_RETRY_EXC_ERR:
	case IBV_WC_RNR_RETRY_EXC_ERR:
	case IBV_WC_RESP_TIMEOUT_ERR:
		return ETIMEDOUT;
	case IBV_WC_WR_FLUSH_ERR:
		return ECANCELED;
	case IBV_WC_REM_ACCESS_ERR:
	case IBV_WC_LOC_PROT_ERR:
	case IBV_WC_MW_BIND_ERR:
		return EACCES;
	case IBV_WC_LOC_LEN_ERR:
	case IBV_WC_REM_INV_REQ_ERR:
		return EMSGSIZE;
	case IBV_WC_REM_ABORT_ERR:
		return ECONNRESET;
	default:
		return EIO;
	}
}
