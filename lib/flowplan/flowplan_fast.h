/* SPDX-License-Identifier: MIT */
/*
 * flowplan_fast.h - libflowplan's inline fast path (FLOWPLAN_1.5).
 *
 * fp_fast_write(), fp_fast_send() and fp_fast_poll() do what
 * fp_post_write(), fp_post_send() and fp_poll() do, with the same return
 * values and the same guarantees, on the same group: calls of both kinds
 * may be mixed freely. They are static inline functions of this header:
 * the common case, one message of one chunk on a group of one subflow, is
 * posted and completed with plain ibv_post_send() and ibv_poll_cq() in
 * the caller, with no call into the library. Anything else falls back to
 * the library's functions, which check and do everything:
 *  - a post: a group of more than one subflow, reports on, a group failed
 *    or switching QPs (held posts), a zero length or one over the chunk
 *    size, a buffer that is staged or arguments out of range (EINVAL), no
 *    credit left (struct fp_fast_tab: a full message table or send queue,
 *    EAGAIN, or room the library has not counted back yet);
 *  - a poll: completions waiting on the library's done queue, a completion
 *    in error, of a receive, of a split message, or stale, a poll that
 *    finds nothing, and every FP_FAST_POLL_EVERY-th one (the deadline and
 *    peer checks of fp_poll()).
 * A completion is handed out once, in the order fp_poll() would.
 *
 * fp_fast_poll() takes one completion from the CQ a call (its fallbacks,
 * as fp_poll(), up to @n): on a group whose messages are split, where
 * every chunk but a message's last falls back, fp_poll() is cheaper.
 *
 * What it costs (make bench-lib, instructions per message posted and
 * completed on the provider stub): README.md, "libflowplan".
 *
 * The descriptors: fp_group_fast() fills a struct fp_fast for a group,
 * fp_buf_fast() a struct fp_fast_buf for a buffer used on it. They hold
 * pointers into the group's state, not a copy of it: made once after
 * fp_group_connect(), they stay valid across fp_group_repin() and in-band
 * switches until fp_group_close() (a buffer's: until fp_buf_free()). Their
 * layout is versioned (FP_FAST_VERSION): a library that does not provide
 * the version a program was built with answers ENOTSUP, and the program
 * uses fp_post_write(), fp_post_send() and fp_poll(). The group's own
 * layout (struct fp_group) stays private.
 *
 * Like every call on a group: one thread at a time.
 */
#ifndef FLOWPLAN_FAST_H
#define FLOWPLAN_FAST_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "flowplan.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FP_FAST_VERSION		1

/*
 * Version 1's view of the message table the library keeps (it checks this
 * layout against its own when built). Not to be written but by this
 * header's functions.
 */
#define FP_FAST_WRID_SEQ	((1ull << 56) - 1)	/* chunk wr_id: sequence */
#define FP_FAST_MSG_LIVE	1u		/* fp_fast_msg.flags: in flight */
#define FP_FAST_DEADLINE_STAMP	UINT64_MAX	/* set by the next check */
#define FP_FAST_POLL_EVERY	64u		/* polls between checks */
#define FP_FAST_POLL_STEP	(1u << 26)	/* 2^32 / FP_FAST_POLL_EVERY */
#define FP_FAST_SLOT_SHIFT	7		/* a slot is 128 bytes */

/*
 * One message slot, its first fields (each slot 1 << FP_FAST_SLOT_SHIFT
 * bytes).
 * may_alias: the library writes the same memory as its own types.
 */
#if defined(__GNUC__)
#define FP_FAST_ALIAS	__attribute__((may_alias))
#define FP_FAST_ALWAYS	__attribute__((always_inline))
#else
#define FP_FAST_ALIAS
#define FP_FAST_ALWAYS
#endif
struct FP_FAST_ALIAS fp_fast_msg {
	uint64_t seq;
	uint64_t wr_id;
	uint64_t bytes;
	uint32_t pending;
	uint16_t op;
	uint16_t flags;
	uint32_t subs;
	int32_t status;
	uint64_t deadline_ns;
	uint64_t got;
};

/* The message table: sequence numbers next - 1 down to oldest in flight. */
struct FP_FAST_ALIAS fp_fast_tab {
	void *slots;
	uint64_t mask;			/* slots - 1 */
	uint64_t next;
	uint64_t oldest;
	uint32_t cap;
	uint32_t live;
	uint32_t dhead, dtail;		/* the done queue: not empty, fp_poll() */
	uint32_t polls;			/* fp_poll()'s, FP_FAST_POLL_STEP a poll */
	/*
	 * Fast posts there is room for, both in the table and on the send
	 * queue (at most that, kept by the library): one taken a post, one
	 * given back by the completion of the oldest message.
	 */
	uint32_t credit;
	uint64_t len_max;		/* the longest fast post; 0: none now */
};

/**
 * struct fp_fast - a group's fast path, filled by fp_group_fast()
 * @size: bytes the library filled in
 * @version: FP_FAST_VERSION
 * @group: the group, for the fallbacks
 * @qp: the group's first subflow's QP (a pointer to it: a re-pin changes it)
 * @wr: the group's work requests for the fast path's writes ([0]) and
 *	sends ([1]), made once, the library's other posts use others: a post
 *	fills in what changes (wr_id, and a write's peer address)
 * @sge: their one scatter entry: a post fills it in
 * @cq: the group's CQ
 * @tab: the message table
 * @sq_used: work requests on @qp's send queue
 * @nsend: sends posted since the group was pinned
 * @dev: the index of the group's device: struct fp_fast_buf.len[@dev]
 */
struct fp_fast {
	uint32_t size;
	uint32_t version;
	struct fp_group *group;
	struct ibv_qp *const *qp;
	struct ibv_send_wr *wr[2];
	struct ibv_sge *sge;
	struct ibv_cq *cq;
	struct fp_fast_tab *tab;
	uint32_t *sq_used;
	uint64_t *nsend;
	uint32_t dev;
	uint32_t reserved;
};

#define FP_FAST_DEVS		8	/* struct fp_fast.dev below this */

/**
 * struct fp_fast_buf - a buffer as the fast path posts from it, filled by
 *	fp_buf_fast() for one group's device
 * @buf: the buffer, for the fallbacks
 * @addr: byte 0 as the NIC sees it
 * @lkey: its local key on that device
 * @len: its length on device d, len[d]: 0 but on that device (a buffer's
 *	descriptor made for another device's group falls back) and for a
 *	buffer the fast path does not post from (staged GPU memory): every
 *	post falls back
 */
struct fp_fast_buf {
	struct fp_buf *buf;
	uint64_t addr;
	uint32_t lkey;
	uint32_t reserved;
	uint64_t len[FP_FAST_DEVS];
};

/*
 * fp_group_fast - fill @f (@size bytes: sizeof(*f)) with version @version
 * of @group's fast path. 0, EINVAL (a NULL argument, @size too small) or
 * ENOTSUP (a version this library does not provide).
 */
int fp_group_fast(struct fp_group *group, unsigned int version,
		  struct fp_fast *f, size_t size);
/*
 * fp_buf_fast - fill @fb (@size bytes) for posting from @buf on @group's
 * device (registering it there if needed, as a post would). 0, or EINVAL,
 * ENOTSUP or a registration's error.
 */
int fp_buf_fast(struct fp_group *group, struct fp_buf *buf,
		struct fp_fast_buf *fb, size_t size);
/*
 * fp_fast_poll_slow - fp_fast_poll()'s fallback: the completion @cqe (NULL:
 * none) taken as fp_poll() takes it, the checks when due (@cqe NULL: now),
 * then up to @n completions handed out. Returns as fp_poll().
 */
int fp_fast_poll_slow(struct fp_group *group, const struct ibv_wc *cqe,
		      struct fp_wc *wc, int n);

/* The slot of sequence number @seq. */
static inline FP_FAST_ALWAYS struct fp_fast_msg *
fp_fast_slot(const struct fp_fast_tab *t, uint64_t seq)
{
	return (struct fp_fast_msg *)((char *)t->slots +
				      ((seq & t->mask) << FP_FAST_SLOT_SHIFT));
}

/* fp_fast_write() and fp_fast_send(): @op FP_OP_WRITE or FP_OP_SEND. */
static inline FP_FAST_ALWAYS int
fp_fast_post(const struct fp_fast *f, enum fp_op op,
	     const struct fp_fast_buf *fb, size_t off, size_t len,
	     const struct fp_rbuf *rb, uint64_t roff, uint64_t wr_id)
{
	struct fp_fast_tab *t = f->tab;
	uint64_t seq = t->next, blen = fb->len[f->dev];
	uint32_t credit = t->credit;
	struct ibv_send_wr *wr, *bad;
	struct ibv_sge *sge;
	struct fp_fast_msg *m;
	int ret;

	if (__builtin_expect(len - 1 >= t->len_max || off > blen ||
			     len > blen - off ||
			     (op == FP_OP_WRITE &&
			      (!rb || roff > rb->len || len > rb->len - roff)) ||
			     !credit, 0)) {
		if (op == FP_OP_WRITE)
			return fp_post_write(f->group, fb->buf, off, len, rb,
					     roff, wr_id);
		return fp_post_send(f->group, fb->buf, off, len, wr_id);
	}
	/*
	 * The table's head (may_alias) written between a slot's first two
	 * fields and between the scatter entry's length and lkey: GCC's SLP
	 * vectorizer pairs such stores in vector registers, at more
	 * instructions than it saves, unless a store it cannot move them
	 * past stands between.
	 */
	m = fp_fast_slot(t, seq);
	m->seq = seq;
	t->next = seq + 1;
	m->wr_id = wr_id;
	m->bytes = len;
	m->pending = 1;
	m->op = (uint16_t)op;
	m->flags = FP_FAST_MSG_LIVE;
	m->subs = 1;
	m->status = 0;
	m->deadline_ns = FP_FAST_DEADLINE_STAMP;	/* got: receives' only */
	sge = f->sge;
	sge->addr = fb->addr + off;
	sge->length = (uint32_t)len;
	t->live++;
	sge->lkey = fb->lkey;
	t->credit = credit - 1;
	++*f->sq_used;
	wr = f->wr[op == FP_OP_SEND];
	wr->wr_id = seq & FP_FAST_WRID_SEQ;	/* subflow 0, not a receive */
	if (op == FP_OP_WRITE) {
		wr->wr.rdma.remote_addr = rb->addr + roff;
		wr->wr.rdma.rkey = rb->rkey;
	}
	ret = ibv_post_send(*f->qp, wr, &bad);
	if (__builtin_expect(ret, 0)) {
		/* nothing taken: the slot and the queue's room given back */
		t = f->tab;
		fp_fast_slot(t, t->next - 1)->flags = 0;
		t->next--;
		t->live--;
		t->credit++;
		--*f->sq_used;
		return ret;
	}
	if (op == FP_OP_SEND)
		++*f->nsend;
	return 0;
}

/* fp_post_write(), inline in its common case */
static inline FP_FAST_ALWAYS int
fp_fast_write(const struct fp_fast *f, const struct fp_fast_buf *fb,
	      size_t off, size_t len, const struct fp_rbuf *rb, uint64_t roff,
	      uint64_t wr_id)
{
	return fp_fast_post(f, FP_OP_WRITE, fb, off, len, rb, roff, wr_id);
}

/* fp_post_send(), inline in its common case */
static inline FP_FAST_ALWAYS int
fp_fast_send(const struct fp_fast *f, const struct fp_fast_buf *fb,
	     size_t off, size_t len, uint64_t wr_id)
{
	return fp_fast_post(f, FP_OP_SEND, fb, off, len, NULL, 0, wr_id);
}

/*
 * fp_poll(), inline in its common case: one completion polled from the
 * CQ; @n below 1, like everything not the common case, falls back.
 */
static inline FP_FAST_ALWAYS int
fp_fast_poll(const struct fp_fast *f, struct fp_wc *wc, int n)
{
	struct fp_fast_tab *t = f->tab;
	struct fp_fast_msg *m;
	struct ibv_wc cqe;
	int c;

	if (__builtin_expect(t->dhead != t->dtail || n < 1 || !wc, 0))
		return fp_poll(f->group, wc, n);
	c = ibv_poll_cq(f->cq, 1, &cqe);
	if (__builtin_expect(c <= 0, 0))
		return c ? -EIO : fp_fast_poll_slow(f->group, NULL, wc, n);
	/*
	 * wr_id: the slot's sequence number, subflow 0, not a receive; any
	 * other (a receive's, another subflow's) differs from m->seq.
	 */
	m = fp_fast_slot(t, cqe.wr_id);
	if (__builtin_expect(cqe.status || m->seq != cqe.wr_id ||
			     m->flags != FP_FAST_MSG_LIVE || m->pending != 1,
			     0))
		return fp_fast_poll_slow(f->group, &cqe, wc, n);
	--*f->sq_used;
	wc->wr_id = m->wr_id;
	wc->status = 0;
	wc->op = (enum fp_op)m->op;
	wc->subflow = -1;
	wc->vendor_status = 0;
	wc->len = m->bytes;
	m->pending = 0;
	m->op = 0;
	m->flags = 0;
	t->live--;
	if (cqe.wr_id == t->oldest) {	/* m->seq */
		t->oldest = cqe.wr_id + 1;
		t->credit++;		/* a slot and the queue's room */
	}
	t->polls += FP_FAST_POLL_STEP;
	if (__builtin_expect(!t->polls, 0))
		return 1 + fp_fast_poll_slow(f->group, NULL, wc + 1, n - 1);
	return 1;
}

#ifdef __cplusplus
}
#endif

#endif /* FLOWPLAN_FAST_H */
