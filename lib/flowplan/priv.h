/* SPDX-License-Identifier: MIT */
/*
 * flowplan/priv.h - libflowplan internals shared between its files and its
 * unit tests. Nothing here is exported (lib/flowplan/libflowplan.map).
 */
#ifndef FLOWPLAN_PRIV_H
#define FLOWPLAN_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/hostplan.h"
#include "core/report.h"
#include "flowplan/flowplan.h"

#define FP_HIDDEN __attribute__((visibility("hidden")))

/* ---------------------------------------------------------------- split */

/*
 * One contiguous piece of a message on one subflow: bytes [off, off + len)
 * of the message go on subflow @sub.
 */
struct fp_chunk {
	uint64_t off;
	uint64_t len;
	unsigned int sub;
};

/*
 * Deficit state that spreads unsplit (short) messages over the subflows in
 * proportion to their weights, deterministically: both ends of a group run
 * the same sequence of lengths through it and reach the same choices.
 */
struct fp_spread {
	uint64_t sent[FP_MAX_SUBFLOWS];
	uint64_t total;			/* sum of sent[], modulo 2^64 */
};

/*
 * Bytes on subflow @sub counted in (fp_spread_add()) or given back
 * (fp_spread_take(): a message that was not posted), so that total stays
 * the sum fp_spread_pick() needs without a loop. The one other writer,
 * post_split(), counts a message's shares in sent[] and their sum in total
 * once.
 */
static inline void fp_spread_add(struct fp_spread *sp, unsigned int sub,
				 uint64_t len)
{
	sp->sent[sub] += len;
	sp->total += len;
}

static inline void fp_spread_take(struct fp_spread *sp, unsigned int sub,
				  uint64_t len)
{
	sp->sent[sub] -= len;
	sp->total -= len;
}

/*
 * fp_split_shares - the byte share of every subflow: share[i] =
 * floor(len * W_i / W) - floor(len * W_{i-1} / W) where W_i is the sum of the
 * first i + 1 weights and W their total. Every byte is counted once and each
 * share is within one byte of len * w_i / W. Returns 0 or EINVAL (no subflow,
 * zero total weight).
 */
FP_HIDDEN int fp_split_shares(uint64_t len, const uint32_t *w, unsigned int k,
			      uint64_t *share);

/*
 * fp_split - cut a message of @len bytes into chunks: subflow i carries the
 * contiguous range of its share, cut into pieces of at most @chunk_max.
 * Messages shorter than @split_min go whole on the subflow @sp picks.
 * Returns the number of chunks written to @out (at most @max), or -EINVAL,
 * or -ENOSPC when @max is too small. Zero-length messages give one empty
 * chunk. On success the bytes are added to @sp->sent; on failure @sp is
 * unchanged.
 */
FP_HIDDEN int fp_split(uint64_t len, const uint32_t *w, unsigned int k,
		       uint64_t chunk_max, uint64_t split_min,
		       struct fp_spread *sp, struct fp_chunk *out,
		       unsigned int max);

/*
 * The subflow the next unsplit message goes on: the largest deficit
 * w_i * T - sent_i * W (T: bytes sent so far, W: the weight total), the
 * lowest index on ties, never a subflow of weight 0 while another has
 * weight. fp_split() takes it and adds the message to @sp->sent.
 */
FP_HIDDEN unsigned int fp_spread_pick(const struct fp_spread *sp,
				      const uint32_t *w, unsigned int k);
/* The same, with the weights' sum @wsum known to the caller. */
FP_HIDDEN unsigned int fp_spread_pick_sum(const struct fp_spread *sp,
					  const uint32_t *w, unsigned int k,
					  uint64_t wsum);

/*
 * How many chunks fp_split() will produce, without changing @sp (at most
 * UINT64_MAX: a count that large is refused by its caller anyway).
 */
FP_HIDDEN uint64_t fp_split_count(uint64_t len, const uint32_t *w,
				  unsigned int k, uint64_t chunk_max,
				  uint64_t split_min);

/* ---------------------------------------------------- completion table */

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

enum fp_msg_flags {
	FP_MSG_LIVE = 1 << 0,		/* slot in use */
	FP_MSG_DELIVERED = 1 << 1,	/* completion handed to the caller */
	FP_MSG_QUEUED = 1 << 2,		/* on the done queue */
	/* A staged receive or reports: fp_poll() hands it out through the
	 * done queue.
	 */
	FP_MSG_HOOKS = 1 << 3,
	/* Its status is set (an error): never FP_MSG_LIVE alone then. */
	FP_MSG_FAILED = 1 << 4,
	/* A receive flushed by an in-band switch, to be posted again. */
	FP_MSG_REPOST = 1 << 5,
};

/*
 * Chunk wr_ids: the message's sequence number (56 bits), the subflow it
 * was posted on (4 bits) and FP_WRID_RECV on the chunks of a receive. The
 * opcode of a completion in error is undefined (rxe leaves it 0,
 * IBV_WC_SEND, on flushed receives), so the wr_id is what tells which
 * queue's room a flushed chunk gives back.
 */
#define FP_WRID_RECV	(1ull << 63)
#define FP_WRID_SEQ	((1ull << 56) - 1)
#define FP_WRID_SUB(x)	((unsigned int)((x) >> 56) & 15u)

/*
 * The message's part of its chunks' wr_ids (sequence number, direction),
 * made once a message; fp_wrid_on() adds a chunk's subflow.
 */
static inline uint64_t fp_wrid_msg(uint64_t seq, bool recv)
{
	return (seq & FP_WRID_SEQ) | (recv ? FP_WRID_RECV : 0);
}

static inline uint64_t fp_wrid_on(uint64_t msg, unsigned int sub)
{
	return msg | (uint64_t)sub << 56;
}

static inline uint64_t fp_wrid(uint64_t seq, bool recv, unsigned int sub)
{
	return fp_wrid_on(fp_wrid_msg(seq, recv), sub);
}

static inline uint64_t fp_wrid_seq(uint64_t wr_id)
{
	return wr_id & FP_WRID_SEQ;
}

static inline bool fp_wrid_recv(uint64_t wr_id)
{
	return wr_id & FP_WRID_RECV;
}

/*
 * A deadline set by the next fp_msgtab_expire(): that check's time plus
 * the table's timeout. Posting reads no clock: a message's deadline counts
 * from the first check that sees it in flight, at most about 10 ms after
 * its post while fp_poll() is called.
 */
#define FP_DEADLINE_STAMP	UINT64_MAX

struct fp_msg {
	/*
	 * Every message: written at post, read at completion. Up to @got:
	 * struct fp_fast_msg (flowplan_fast.h), checked in post.c.
	 */
	uint64_t seq;			/* chunk wr_ids carry it */
	uint64_t wr_id;
	uint64_t bytes;
	uint32_t pending;		/* chunks not completed */
	uint16_t op;
	uint16_t flags;
	uint32_t subs;			/* bit mask of subflows it uses */
	int status;
	uint64_t deadline_ns;		/* 0: none; FP_DEADLINE_STAMP */
	uint64_t got;			/* bytes received: receives only */
	/*
	 * Set only when an error is (vendor_status, subflow), or reports or
	 * staged buffers need them (the rest).
	 */
	int vendor_status;
	int subflow;
	uint64_t start_ns;		/* CLOCK_MONOTONIC */
	uint64_t end_ns;
	uint32_t coll;			/* enclosing collective (reports) */
	uint32_t comm;			/* communicator (reports) */
	void *buf;			/* struct fp_buf of a receive */
	uint64_t buf_off;
	/*
	 * Receives: what re-posts it on new QPs after an in-band switch
	 * (switch.c): its index among the receives posted since the last
	 * pin, and the bytes as the NIC sees them.
	 */
	uint64_t ridx;
	uint64_t laddr;
	uint32_t lkey;
};

/*
 * Messages in flight. Slots are taken in sequence order and freed in any
 * order. Every message, receives included, has a deadline: nothing waits
 * longer than the group's timeout for a peer that is stuck or a path that
 * died.
 */
struct fp_msgtab {
	struct fp_msg *m;
	uint64_t mask;			/* cap - 1 */
	uint64_t next;			/* next sequence number (from 1) */
	uint64_t oldest;		/* oldest sequence possibly live */
	unsigned int cap;		/* power of two */
	unsigned int live;		/* messages in the table */
	unsigned int dhead, dtail;	/* dtail - dhead entries */
	/*
	 * Not the table's own, kept with it for the fast path, which reads
	 * them with it (the group's, post.c): fp_poll()'s count (polls), and
	 * the longest message post() takes its fast way, 0: none
	 * (fast_len, handles.h). Up to here: struct fp_fast_tab
	 * (flowplan_fast.h), checked in post.c.
	 *
	 * credit: while fast_len is not 0, at most the room both in the
	 * table (cap - (next - oldest)) and on the group's one send queue
	 * (FP_SQ_DEPTH - sq_used). flowplan_fast.h's posts and post()'s
	 * fast way check it alone and take one; fp_fast_poll()'s completion
	 * of the oldest message, a send's, gives one back. The library
	 * takes one for every other slot it takes (fp_msg_commit()) and
	 * one more for every chunk of a message it starts (fp_msg_start()),
	 * never below 0, and makes it exact when fast_len is set
	 * (wr_template()), in fp_group_fast(), at every check and when a
	 * post finds none (post_more()).
	 */
	unsigned int polls;
	unsigned int credit;
	uint64_t fast_len;
	uint64_t timeout_ns;		/* for FP_DEADLINE_STAMP */
	uint64_t *done;			/* done queue of sequence numbers */
	uint64_t stale;			/* completions of no live message */
};

/* A table of @cap messages, rounded up to 2^n; more than FP_MSGTAB_MAX: EINVAL. */
#define FP_MSGTAB_MAX	(1u << 20)
FP_HIDDEN int fp_msgtab_init(struct fp_msgtab *t, unsigned int cap);
FP_HIDDEN void fp_msgtab_fini(struct fp_msgtab *t);
/* Advance t->oldest past free slots; false when the table is still full. */
FP_HIDDEN bool fp_msgtab_trim(struct fp_msgtab *t);

/*
 * Taking a slot in two steps, so that a post that fails leaves nothing to
 * undo: fp_msg_slot() is the slot the next message gets (NULL: the table
 * is full), fp_msg_commit() makes it that message's, filled in by the
 * caller (fp_post_write_batch(): the next @n slots, the next @n messages').
 * fp_msg_uncommit() gives the newest @n back, for posts the provider
 * refused.
 */
static inline struct fp_msg *fp_msg_slot(struct fp_msgtab *t)
{
	if (unlikely(t->next - t->oldest >= t->cap) && !fp_msgtab_trim(t))
		return NULL;
	return &t->m[t->next & t->mask];
}

/* @n of the fast path's credit taken (t->credit), down to 0 */
static inline void fp_credit_take(struct fp_msgtab *t, unsigned int n)
{
	t->credit = t->credit > n ? t->credit - n : 0;
}

/*
 * fp_msg_commit() on a group of more than one subflow, whose credit means
 * nothing (fast_len 0: wr_template() makes it again with fast_len)
 */
static inline void fp_msg_commit_nc(struct fp_msgtab *t, unsigned int n)
{
	t->next += n;
	t->live += n;
}

static inline void fp_msg_commit(struct fp_msgtab *t, unsigned int n)
{
	fp_msg_commit_nc(t, n);
	fp_credit_take(t, n);
}

static inline void fp_msg_uncommit(struct fp_msgtab *t, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		t->m[(t->next - 1 - i) & t->mask].flags = 0;
	t->next -= n;
	t->live -= n;
}

/*
 * A new message of @nchunks chunks, or NULL (errno EAGAIN: table full),
 * with the deadline @deadline (0: none; FP_DEADLINE_STAMP).
 */
FP_HIDDEN struct fp_msg *fp_msg_start(struct fp_msgtab *t, uint64_t wr_id,
				      uint16_t op, uint64_t bytes,
				      uint32_t nchunks, uint64_t now,
				      uint64_t deadline);
/*
 * A chunk of message @seq completed with @status (0 or errno), on subflow
 * @sub with ibv status @vstatus, carrying @bytes (receives). The first error
 * wins; a receive whose chunks carried other than its length fails with
 * EMSGSIZE. The message, when this completion finished it, goes on the done
 * queue and is returned, else NULL (stale @seq included).
 */
FP_HIDDEN struct fp_msg *fp_msg_chunk_done(struct fp_msgtab *t, uint64_t seq,
					   int status, int vstatus, int sub,
					   uint64_t bytes, uint64_t now);

/*
 * The common cases of fp_msg_chunk_done(), for fp_poll(): a chunk that
 * completed well, of a message neither failed, nor queued, nor handed out.
 * Not its last chunk: counted, and FP_CHUNK_TAKEN is returned. Its last,
 * all its bytes there: the message is returned, nothing done (the caller
 * hands it out with fp_msg_deliver() when it has room, else calls
 * fp_msg_chunk_done()). Anything else: NULL, nothing done (the caller
 * calls fp_msg_chunk_done()).
 */
#define FP_CHUNK_TAKEN	((struct fp_msg *)1)

static inline struct fp_msg *fp_msg_chunk_fast(struct fp_msgtab *t,
					       uint64_t seq, uint64_t bytes)
{
	struct fp_msg *m = &t->m[seq & t->mask];

	if (unlikely((m->seq & FP_WRID_SEQ) != seq ||
		     m->flags != FP_MSG_LIVE || m->status || !m->pending))
		return NULL;
	if (m->pending > 1) {
		m->pending--;
		m->got += bytes;
		return FP_CHUNK_TAKEN;
	}
	if (likely(m->op != FP_OP_RECV || m->got + bytes == m->bytes))
		return m;
	return NULL;
}

/* Hand @m (complete, not queued) out into @wc; its slot is free. */
static inline void fp_msg_deliver(struct fp_msgtab *t, struct fp_msg *m,
				  struct fp_wc *wc)
{
	wc->wr_id = m->wr_id;
	wc->status = 0;
	wc->op = (enum fp_op)m->op;
	wc->subflow = -1;
	wc->vendor_status = 0;
	wc->len = m->bytes;
	/* pending, op and flags: one store */
	m->pending = 0;
	m->op = 0;
	m->flags = 0;
	t->live--;
	if (m->seq == t->oldest)
		t->oldest++;
}

/* Forget the newest message: none of its chunks was posted. */
FP_HIDDEN void fp_msg_cancel(struct fp_msgtab *t, struct fp_msg *m);
/* @n chunks of @m will never complete (posting failed) with @err. */
FP_HIDDEN void fp_msg_unposted(struct fp_msgtab *t, struct fp_msg *m,
			       uint32_t n, int err, uint64_t now);
/*
 * Give every message still without a deadline (FP_DEADLINE_STAMP) @now +
 * t->timeout_ns. Fail every message (write, send or receive) whose deadline
 * passed with ETIMEDOUT and queue it, exactly once; its slot stays taken
 * until its chunks are flushed, and those late completions (even
 * successful ones) change nothing. A message whose last chunk completed
 * before this call is not expired. Returns the union of the subflow masks
 * of the expired messages (the QPs to move to the error state).
 */
FP_HIDDEN uint32_t fp_msgtab_expire(struct fp_msgtab *t, uint64_t now);
/*
 * Fail with @err (peer gone) every message that is neither complete nor
 * handed out yet; those that are keep their one completion and its status.
 */
FP_HIDDEN void fp_msgtab_fail_all(struct fp_msgtab *t, int err, uint64_t now);
/* Pop up to @n completed messages; fills @wc and @msgs (either may be NULL). */
FP_HIDDEN int fp_msgtab_reap(struct fp_msgtab *t, struct fp_wc *wc,
			     struct fp_msg *msgs, int n);

static inline unsigned int fp_msgtab_live(const struct fp_msgtab *t)
{
	return t->live;
}

static inline bool fp_msgtab_queued(const struct fp_msgtab *t)
{
	return t->dhead != t->dtail;
}

/*
 * fp_poll() checks deadlines and the peer every FP_POLL_CHECK_EVERY polls
 * that find completions: g->tab.polls (an unsigned int) counts them in
 * steps of FP_POLL_STEP, 2^32 / FP_POLL_CHECK_EVERY, and the due one wraps
 * it to 0.
 */
#define FP_POLL_CHECK_EVERY	64u
#define FP_POLL_STEP		(1u << 26)
_Static_assert(FP_POLL_STEP * (uint64_t)FP_POLL_CHECK_EVERY == 1ull << 32,
	       "g->tab.polls wraps to 0 every FP_POLL_CHECK_EVERY steps");

/* Map an enum ibv_wc_status to the errno a message completes with. */
FP_HIDDEN int fp_wc_errno(int ibv_status);

/* ---------------------------------------------------------- plan source */

/* Where a context takes its plan from, and the plan it took. */
struct fp_plansrc {
	enum fp_plan_source source;
	struct fp_hostplan hp;		/* empty for FP_PLAN_DEFAULT */
	char path[4096];		/* FP_PLAN_FILE */
	struct timespec mtime;		/* the file as read: follow.c */
	uint64_t ino, size;
	unsigned int default_k;
};

/*
 * fp_plansrc_load - fill @p: from the module over netlink unless
 * @no_netlink, else from @file (NULL: $FLOWPLAN_PLAN), else the default. A
 * plan file that is named but cannot be read is an error (errno value,
 * @err says why); a module that is not loaded, or cannot be read, is not.
 */
FP_HIDDEN int fp_plansrc_load(struct fp_plansrc *p, const char *file,
			      bool no_netlink, unsigned int default_k,
			      struct fp_err *err);
FP_HIDDEN void fp_plansrc_free(struct fp_plansrc *p);

/* The subflows the plan gives traffic local -> remote (to QP @dqpn). */
struct fp_subflow_set {
	unsigned int k;
	uint32_t label[FP_MAX_SUBFLOWS];
	uint32_t weight[FP_MAX_SUBFLOWS];
};

FP_HIDDEN void fp_plansrc_subflows(const struct fp_plansrc *p,
				   const struct fp_addr *local,
				   const struct fp_addr *remote, uint32_t dqpn,
				   struct fp_subflow_set *set);

/*
 * fp_plansrc_file_changed - whether the plan file @p was read from is
 * another file now (mtime, inode or size differ, or it is gone): one stat().
 * False for a plan that did not come from a file.
 */
FP_HIDDEN bool fp_plansrc_file_changed(const struct fp_plansrc *p);

/* ---------------------------------------------------------------- report */

/*
 * Reports are on for a context opened with these flags: FP_CTX_NO_REPORT
 * and FP_CTX_REPORT decide, else fp_ring_wanted() (core/report.h).
 */
FP_HIDDEN bool fp_report_wanted(unsigned int ctx_flags);

static inline uint64_t fp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* FLOWPLAN_PRIV_H */
