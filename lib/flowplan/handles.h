/* SPDX-License-Identifier: MIT */
/* flowplan/handles.h - the objects behind the public handles (verbs side). */
#ifndef FLOWPLAN_HANDLES_H
#define FLOWPLAN_HANDLES_H

#include <infiniband/verbs.h>

#include "flowplan/priv.h"

#define FP_MAX_DEVS	8
#define FP_SQ_DEPTH	512
#define FP_RQ_DEPTH	512
#define FP_BATCH	32	/* writes fp_post_write_batch() chains */

struct fp_dev {
	char name[64];
	struct ibv_context *verbs;
	struct ibv_pd *pd;
};

struct fp_ctx {
	unsigned int flags;
	unsigned int default_k;
	unsigned int timeout_ms;
	uint32_t comm;
	char dev_name[64];		/* "" : per peer */
	char plan_file[4096];
	struct fp_plansrc plan;
	struct fp_dev dev[FP_MAX_DEVS];
	int ndev;
	struct fp_ring ring;		/* ring.hdr NULL: reports off */
	uint32_t coll_serial;
	uint32_t coll;			/* open collective, 0: none */
	uint16_t coll_op;
	uint32_t coll_comm;
	uint64_t coll_bytes;
	uint64_t coll_start;
	int ngroups;
	int nbufs;
	int staged;			/* buffers registered FP_REG_STAGED */
	/* follow.c: the plan source watched, unless FP_CTX_NO_FOLLOW */
	bool follow;
	struct fp_nlc *nlev;		/* the module's events; NULL: none */
	bool nl_lost;			/* it went away (rmmod): look again */
	uint64_t nl_retry_ns;
	uint64_t follow_next_ns;	/* next look at the source */
	uint64_t plan_serial;		/* +1 on every plan (re)load */
	uint64_t reloads, reload_errors;
	int reload_error;
};

struct fp_buf_reg {
	struct ibv_mr *mr;
	enum fp_reg_kind how;
	void *base;			/* what the NIC sees: addr or staging */
};

struct fp_buf {
	struct fp_ctx *ctx;
	void *addr;
	size_t len;
	enum fp_mem_kind kind;
	int gpu;
	bool owned;
	bool staged;
	unsigned int access;
	enum fp_pci_level level;
	int home;			/* first device registered, -1: none */
	struct fp_buf_reg reg[FP_MAX_DEVS];
};

/* One subflow of a group: its QP, and the plan's label and weight. */
struct fp_group_subflow {
	struct ibv_qp *qp;
	uint32_t label;			/* ours */
	uint32_t weight;		/* ours */
	uint32_t remote_qpn;
	unsigned int sq_used;
	unsigned int rq_used;
};

struct fp_group {
	struct fp_ctx *ctx;
	int dev;			/* index in ctx->dev */
	uint8_t port;
	int gid_index;
	union ibv_gid gid;
	enum ibv_mtu mtu;
	struct fp_addr local;		/* IPv4 (mapped) or IPv6 */
	struct fp_addr peer;		/* of local's family */
	int fd;				/* bootstrap socket */
	struct ibv_cq *cq;
	unsigned int k;
	struct fp_group_subflow sub[FP_MAX_SUBFLOWS];
	uint32_t w[FP_MAX_SUBFLOWS];	/* our send weights */
	uint32_t rw[FP_MAX_SUBFLOWS];	/* the peer's send weights */
	uint64_t chunk_max, split_min;	/* ours */
	uint64_t rchunk_max, rsplit_min; /* the peer's (receive mirror) */
	struct fp_spread sp_write, sp_send, sp_recv;
	struct fp_msgtab tab;
	struct fp_chunk *chunks;	/* scratch */
	unsigned int nchunks;
	uint64_t timeout_ns;
	uint8_t qp_timeout, retry_cnt;
	int error;
	enum fp_plan_source source;
	uint64_t generation;
	uint64_t next_check_ns;
	/* follow.c: ctx->plan_serial when the group last compared plans */
	uint64_t plan_serial;
	bool stale;			/* the plan pins the pair otherwise */
	/* switch.c: the in-band switch to new QPs (docs/follow.md) */
	bool listener;			/* settles a proposal from both ends */
	bool peer_follows;		/* both hellos said FP_HELLO_FOLLOW */
	bool hold;			/* sends and writes go to the queue */
	bool peer_drained;
	uint8_t sw;			/* enum fp_sw_state */
	uint64_t epoch;			/* of the switch under way */
	uint64_t sw_deadline, sw_retry_ns;
	uint64_t nsend, nrecv;		/* send/receive messages since pin */
	uint64_t peer_cut;		/* the peer's sends on the old QPs */
	struct fp_qpost *q;		/* posts held during a switch */
	unsigned int qhead, qtail, qcap;
	uint64_t switches, switch_failures;
	int switch_error;
	/*
	 * The fast way's work requests, made once (post.c): a post fills in
	 * what changes from one message to the next.
	 */
	/* &sge once they are made; NULL: make them again (new weights) */
	struct ibv_sge *sge_ready;
	unsigned int split_ok;		/* 1: w sums to 2^16, 2: rw does */
	/*
	 * tab.fast_len (priv.h): the longest write or send post() takes on
	 * its one chunk, checking nothing else of the group: made with the
	 * work requests, the chunk size on a group of one subflow without
	 * reports, neither failed (error) nor holding posts (hold); else 0,
	 * and fp_group_unready() makes it 0 again. Its receive twin (never
	 * held): rfast_len, the peer's chunk size.
	 */
	uint64_t rfast_len;
	/*
	 * post_more()'s view of a direction ([0]: ours, for writes and
	 * sends; [1]: the peer's, for receives), made with the work
	 * requests, so that it checks nothing else of the group: a message
	 * of 0 < len <= one_max goes unsplit on the subflow the spread
	 * state picks, one of from <= len < 2^48 is split when len - from <
	 * span (one_max, span 0: neither; k = 1, reports on, a group failed
	 * or holding posts; span also when the weights do not sum to
	 * FP_WEIGHT_ONE). post_split() takes the subflows of non-zero weight
	 * in order (n of them) and the weight sum through each; so does
	 * post_spread()'s pick, in 64 bits while 0 < total <= pick_max (its
	 * deficits' products below 2^63, as fp_spread_pick_sum() tells).
	 */
	struct {
		uint64_t one_max, from, span;
		uint64_t wsum;		/* the weights' sum, for the spread */
		uint64_t pick_max;
		unsigned int n;
		uint8_t sub[FP_MAX_SUBFLOWS];
		uint32_t cum[FP_MAX_SUBFLOWS];
	} splan[2];
	struct ibv_sge sge;
	struct ibv_send_wr swr;
	struct ibv_recv_wr rwr;
	struct ibv_send_wr *sbad;	/* the provider's bad_wr, unused */
	struct ibv_recv_wr *rbad;
	/*
	 * fp_post_write_batch()'s chain (post.c): writes of the fast way
	 * (tab.fast_len), linked in order (bwr[i].next = &bwr[i + 1], each
	 * with its own bsge[i]) and posted with one call to the provider;
	 * made with the work requests, a post fills in what changes.
	 */
	struct ibv_send_wr bwr[FP_BATCH];
	struct ibv_sge bsge[FP_BATCH];
	/*
	 * flowplan_fast.h's work requests (a write's, a send's) and their
	 * scatter entry: made by fp_group_fast(), written by nothing else
	 * of the library, so that an inline post fills in only what changes.
	 */
	struct ibv_send_wr fwr[2];
	struct ibv_sge fsge;
};

/*
 * What post.c's fast way relies on changed (the weights, the subflows, an
 * error, posts held): the work requests are made again, and tab.fast_len
 * with them, on the next post (flowplan_fast.h's posts fall back to the
 * library's until then).
 */
static inline void fp_group_unready(struct fp_group *g)
{
	g->sge_ready = NULL;
	g->tab.fast_len = 0;
	g->rfast_len = 0;
	g->splan[0].one_max = g->splan[0].span = 0;
	g->splan[1].one_max = g->splan[1].span = 0;
}

/* The group failed with @err (an errno value): posts get ENOTCONN. */
static inline void fp_group_fail(struct fp_group *g, int err)
{
	g->error = err;
	fp_group_unready(g);
}

/* Sends and writes held (switch.c), or issued again. */
static inline void fp_group_hold(struct fp_group *g, bool hold)
{
	g->hold = hold;
	fp_group_unready(g);
}

/* A send or write held while its group switches QPs (switch.c). */
struct fp_qpost {
	uint16_t op;
	struct fp_buf *buf;
	size_t off, len;
	struct fp_rbuf rb;
	uint64_t roff, wr_id;
};

enum fp_sw_state {
	FP_SW_IDLE = 0,
	FP_SW_PROPOSED,		/* we proposed; posting on */
	FP_SW_ACKED,		/* the peer proposed, we froze and answered */
	FP_SW_DRAIN,		/* both froze: the cut is known */
	FP_SW_DRAINED,		/* ours is drained and said so */
};

/* group.c */
FP_HIDDEN int fp_sock_io(int fd, void *p, size_t len, bool wr, int timeout_ms);
/* pin(): agree on and connect a fresh set of QPs, replacing g->sub */
FP_HIDDEN int fp_group_pin(struct fp_group *g, int timeout_ms);
/* post.c: the held posts issued, a flushed receive posted again */
FP_HIDDEN void fp_hold_issue(struct fp_group *g);
FP_HIDDEN void fp_recv_repost(struct fp_group *g, struct fp_msg *m);
FP_HIDDEN void fp_group_cqe(struct fp_group *g, const struct ibv_wc *cqe);
/* switch.c */
FP_HIDDEN void fp_switch_step(struct fp_group *g, uint64_t now);
FP_HIDDEN void fp_switch_propose(struct fp_group *g, uint64_t now);
/* A record that is not the application's, met by fp_group_xchg(). */
FP_HIDDEN int fp_switch_record(struct fp_group *g, const void *rec,
			       uint64_t now);
FP_HIDDEN int fp_hold_post(struct fp_group *g, enum fp_op op,
			   struct fp_buf *buf, size_t off, size_t len,
			   const struct fp_rbuf *rb, uint64_t roff,
			   uint64_t wr_id);

#define FP_HELLO_FOLLOW	1u		/* hello.pad: speaks switch.c */
#define FP_CTL_MAGIC	0x46504331u	/* "FPC1" */
enum fp_ctl_type {
	FP_CTL_PROPOSE = 1,
	FP_CTL_ACK = 2,		/* count: the sender's sends before the cut */
	FP_CTL_COMMIT = 3,	/* likewise */
	FP_CTL_DRAINED = 4,
	FP_CTL_ABORT = 5,
	FP_CTL_XCHG = 6,	/* count: fp_group_xchg()'s bytes, which follow */
};

struct fp_ctl {
	uint32_t magic;
	uint32_t type;
	uint64_t epoch;
	uint64_t count;
	uint64_t generation;
};

/* ctx.c */
FP_HIDDEN int fp_ctx_dev_open(struct fp_ctx *ctx, const char *name);
/* follow.c */
#define FP_FOLLOW_NS	100000000ull	/* a look at the plan source at most */
#define FP_FOLLOW_LOST_NS 1000000000ull	/* a module gone: looked for again */
/* fp_ctx_reload(); with @module_only, ENOENT unless the module has a plan */
FP_HIDDEN int fp_ctx_reload_from(struct fp_ctx *ctx, bool module_only);
FP_HIDDEN int fp_follow_env(bool *on);
FP_HIDDEN void fp_follow_open(struct fp_ctx *ctx);
FP_HIDDEN void fp_follow_close(struct fp_ctx *ctx);
/*
 * fp_ctx_follow - at most every FP_FOLLOW_NS (@now, CLOCK_MONOTONIC ns):
 * the module's plan events read (non-blocking) or the plan file's stat()
 * compared; on a change the plan is read again (fp_ctx_reload()). True when
 * the context holds another plan now.
 */
FP_HIDDEN bool fp_ctx_follow(struct fp_ctx *ctx, uint64_t now);
/* fp_group_follow - the context's plan looked at again for @g (check()). */
FP_HIDDEN void fp_group_follow(struct fp_group *g, uint64_t now);
FP_HIDDEN void fp_report_msg(struct fp_ctx *ctx, const struct fp_group *g,
			     const struct fp_msg *m);
/* post.c: chunk completions into the table, deadline and peer checks */
FP_HIDDEN int fp_group_progress(struct fp_group *g);
/* Move the subflows in @mask to the error state: their queues are flushed. */
FP_HIDDEN void fp_qp_error(struct fp_group *g, uint32_t mask);
/* buf.c */
FP_HIDDEN const struct fp_buf_reg *fp_buf_reg_for(struct fp_buf *buf, int dev);
FP_HIDDEN int fp_buf_stage_out(struct fp_buf *b, int dev, size_t off,
			       size_t len);
FP_HIDDEN int fp_buf_stage_in(struct fp_buf *b, int dev, size_t off,
			      size_t len);

#endif /* FLOWPLAN_HANDLES_H */
