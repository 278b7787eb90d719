/* SPDX-License-Identifier: MIT */
/*
 * flowplan.h - libflowplan: flow groups of pinned RC QPs over rdma-core.
 *
 * A communication library opens one context (struct fp_ctx), places its
 * buffers with fp_buf_alloc() or fp_buf_reg(), and opens one flow group
 * (struct fp_group) per peer. A flow group is one logical connection made of
 * k RC QPs ("subflows"); each QP's GRH flow label, hence its RoCEv2 UDP source
 * port and its path through an ECMP fabric, comes from the flowplan plan.
 * fp_post_write() and fp_post_send() cut a message into chunks over the
 * subflows by the plan's byte weights; fp_poll() returns exactly one
 * completion per message.
 *
 * Conventions (those of libibverbs): functions returning int return 0 or an
 * errno value; constructors return NULL and set errno; fp_poll() returns the
 * number of completions or a negative errno value.
 *
 * A context and its groups are not thread-safe: use them from one thread, or
 * serialise calls.
 */
#ifndef FLOWPLAN_H
#define FLOWPLAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FP_ABI_VERSION		1
#define FP_GROUP_MAX_SUBFLOWS	16
#define FP_GROUP_MAX_MSGS	65536		/* fp_group_attr.max_msgs */
#define FP_GROUP_MAX_CHUNK	(1ull << 31)	/* fp_group_attr.chunk_max */
#define FP_GROUP_ADDR_STRLEN	46		/* INET6_ADDRSTRLEN */

struct fp_ctx;
struct fp_group;
struct fp_buf;

/* ---------------------------------------------------------------- memory */

/**
 * enum fp_mem_kind - where fp_buf_alloc() places a buffer
 * @FP_MEM_HOST: page-aligned host memory
 * @FP_MEM_CUDA: device memory of GPU &fp_buf_attr.gpu (needs CUDA at run time)
 * @FP_MEM_AUTO: GPU memory when CUDA is usable, host memory otherwise
 */
enum fp_mem_kind {
	FP_MEM_HOST = 0,
	FP_MEM_CUDA = 1,
	FP_MEM_AUTO = 2,
};

/**
 * enum fp_reg_kind - how a buffer was registered with its NIC
 * @FP_REG_NONE: not registered (yet)
 * @FP_REG_HOST: ibv_reg_mr() of host memory
 * @FP_REG_DMABUF: GPU memory exported as a dmabuf, ibv_reg_dmabuf_mr()
 * @FP_REG_PEER: GPU memory through peer memory (ibv_reg_mr() on a device
 *	pointer, nvidia-peermem)
 * @FP_REG_STAGED: GPU memory staged through a pinned host bounce buffer
 */
enum fp_reg_kind {
	FP_REG_NONE = 0,
	FP_REG_HOST = 1,
	FP_REG_DMABUF = 2,
	FP_REG_PEER = 3,
	FP_REG_STAGED = 4,
};

/**
 * enum fp_pci_level - PCIe distance between a GPU and a NIC, nearest first
 *	(the levels of NCCL's topology code)
 * @FP_PCI_UNKNOWN: not computed (host memory, or no topology)
 * @FP_PCI_PIX: behind the same PCIe switch
 * @FP_PCI_PXB: through several PCIe switches, not the host bridge
 * @FP_PCI_PHB: under the same PCIe root complex (host bridge)
 * @FP_PCI_NODE: under different root complexes of the same NUMA node
 * @FP_PCI_SYS: across sockets (the inter-CPU link)
 */
enum fp_pci_level {
	FP_PCI_UNKNOWN = 0,
	FP_PCI_PIX = 1,
	FP_PCI_PXB = 2,
	FP_PCI_PHB = 3,
	FP_PCI_NODE = 4,
	FP_PCI_SYS = 5,
};

/**
 * struct fp_buf_attr - placement of a buffer
 * @kind: host, GPU or automatic
 * @gpu: GPU index for FP_MEM_CUDA / FP_MEM_AUTO
 * @nic: ibv device name to register with; NULL: the context's device, or for
 *	GPU memory the NIC nearest the GPU
 * @access: extra IBV_ACCESS_* flags; local write, remote write and remote read
 *	are always granted
 */
struct fp_buf_attr {
	enum fp_mem_kind kind;
	int gpu;
	const char *nic;
	unsigned int access;
};

/**
 * struct fp_buf_info - what fp_buf_query() reports
 * @kind: FP_MEM_HOST or FP_MEM_CUDA (never FP_MEM_AUTO)
 * @reg: how it is registered with @nic
 * @gpu: GPU index, or -1 for host memory
 * @level: PCIe distance between the GPU and @nic
 * @nic: ibv device it is registered with ("" if none yet)
 * @addr: the buffer (a device pointer for GPU memory)
 * @len: its length
 */
struct fp_buf_info {
	enum fp_mem_kind kind;
	enum fp_reg_kind reg;
	int gpu;
	enum fp_pci_level level;
	char nic[64];
	void *addr;
	size_t len;
};

/**
 * struct fp_rbuf - a remote buffer, as the peer's fp_buf_export() gave it
 */
struct fp_rbuf {
	uint64_t addr;
	uint64_t len;
	uint32_t rkey;
	uint32_t reserved;
};

struct fp_buf *fp_buf_alloc(struct fp_ctx *ctx, size_t len,
			    const struct fp_buf_attr *attr);
struct fp_buf *fp_buf_reg(struct fp_ctx *ctx, void *addr, size_t len,
			  const struct fp_buf_attr *attr);
int fp_buf_free(struct fp_buf *buf);
void *fp_buf_addr(const struct fp_buf *buf);
int fp_buf_query(const struct fp_buf *buf, struct fp_buf_info *info);
int fp_buf_export(struct fp_group *group, struct fp_buf *buf,
		  struct fp_rbuf *out);

/* --------------------------------------------------------------- context */

enum fp_ctx_flags {
	FP_CTX_NO_NETLINK = 1 << 0,	/* don't ask the kernel module */
	FP_CTX_REPORT = 1 << 1,		/* always create the report ring */
	FP_CTX_NO_REPORT = 1 << 2,	/* never create it */
	FP_CTX_NO_FOLLOW = 1 << 3,	/* don't watch the plan source */
};

/**
 * enum fp_plan_source - where a context's plan came from
 * @FP_PLAN_DEFAULT: no plan: k = &fp_ctx_attr.default_k subflows, flow
 *	label 0 (the kernel derives the port from the QP numbers)
 * @FP_PLAN_NETLINK: the flowplan kernel module's table
 * @FP_PLAN_FILE: a plan file
 */
enum fp_plan_source {
	FP_PLAN_DEFAULT = 0,
	FP_PLAN_NETLINK = 1,
	FP_PLAN_FILE = 2,
};

/**
 * struct fp_ctx_attr - context options; a NULL attr or zero fields give the
 *	defaults
 * @plan: plan file; NULL: $FLOWPLAN_PLAN
 * @dev: ibv device for every group; NULL: the device that routes to the peer
 * @flags: FP_CTX_*
 * @default_k: subflows per group when the plan has no entry (0: 1)
 * @timeout_ms: per-message deadline of writes, sends and receives alike,
 *	counted from the first deadline check of fp_poll() after the post
 *	(within 10 ms of it while fp_poll() is called: posting reads no
 *	clock; 0: $FLOWPLAN_TIMEOUT_MS or 10000)
 * @comm: communicator id stamped on schedule reports
 */
struct fp_ctx_attr {
	const char *plan;
	const char *dev;
	unsigned int flags;
	unsigned int default_k;
	unsigned int timeout_ms;
	uint32_t comm;
};

/**
 * struct fp_ctx_info - what fp_ctx_query() reports
 * @source: where the plan came from
 * @generation: the plan's generation (0 for the default)
 * @entries: number of plan entries
 * @report: path of the report ring ("" when reports are off)
 */
struct fp_ctx_info {
	enum fp_plan_source source;
	uint64_t generation;
	size_t entries;
	char report[108];
};

struct fp_ctx *fp_ctx_open(const struct fp_ctx_attr *attr);
int fp_ctx_close(struct fp_ctx *ctx);
int fp_ctx_query(const struct fp_ctx *ctx, struct fp_ctx_info *info);
int fp_ctx_reload(struct fp_ctx *ctx);

/* ----------------------------------------------------------- flow groups */

enum fp_group_flags {
	FP_GROUP_LISTEN = 1 << 0,	/* wait for the peer to connect */
};

/**
 * struct fp_group_attr - how to reach the peer
 * @peer: peer address, IPv4 (dotted quad) or IPv6 (what inet_pton() takes);
 *	may be NULL with FP_GROUP_LISTEN
 * @local: local address, of @peer's family; NULL: the source address of the
 *	route to @peer. The group's RDMA traffic uses the RoCEv2 GID of this
 *	address: the IPv4-mapped GID for IPv4, the IPv6 GID for IPv6.
 * @port: TCP port of the bootstrap exchange
 * @bootstrap: address (either family) of the bootstrap exchange when it is
 *	not @peer (connecting side) or @local (listening side), e.g. 127.0.0.1
 *	or ::1 when both ends share a machine; NULL: those (a listening side
 *	with neither listens on every address of both families)
 * @flags: FP_GROUP_*
 * @max_msgs: messages in flight (0: 256), at most FP_GROUP_MAX_MSGS
 * @chunk_max: largest chunk a subflow carries (0: 1 MiB), at most
 *	FP_GROUP_MAX_CHUNK (2 GiB, the largest RDMA message rxe and mlx5 take)
 * @split_min: messages shorter than this go whole on one subflow (0: 16 KiB)
 * @timeout_ms: per-message deadline of writes, sends and receives (0: the
 *	context's), at most INT_MAX; see "Deadlines" above fp_post_write()
 * @connect_timeout_ms: bootstrap deadline (0: 30000), at most INT_MAX
 *
 * A value out of range is refused (EINVAL), never clamped.
 * @qp_timeout: IB local ACK timeout exponent (0: 14, 4.096 us * 2^14)
 * @retry_cnt: transport retries, at most 6 (0: 6); 7 means "forever" on
 *	rxe and is refused
 */
struct fp_group_attr {
	const char *peer;
	const char *local;
	uint16_t port;
	const char *bootstrap;
	unsigned int flags;
	unsigned int max_msgs;
	size_t chunk_max;
	size_t split_min;
	unsigned int timeout_ms;
	unsigned int connect_timeout_ms;
	uint8_t qp_timeout;
	uint8_t retry_cnt;
};

/**
 * struct fp_subflow_info - one subflow of a group
 * @qpn: local QP number
 * @remote_qpn: peer QP number
 * @flow_label: GRH flow label of the packets this side sends
 * @sport: the RoCEv2 UDP source port it gives
 * @weight: byte share out of 65536 (0: carries nothing this way)
 */
struct fp_subflow_info {
	uint32_t qpn;
	uint32_t remote_qpn;
	uint32_t flow_label;
	uint16_t sport;
	uint32_t weight;
};

/**
 * struct fp_group_info - what fp_group_query() reports
 * @k: number of subflows (QPs)
 * @source: where the plan entry came from
 * @generation: plan generation the group was pinned with
 * @error: 0, or the errno of the subflow error that broke the group
 * @dev: ibv device name
 * @port: device port
 * @gid_index: RoCEv2 GID index of the local address
 * @local: local address: IPv4 dotted quad or IPv6 (RFC 5952, inet_ntop())
 * @peer: peer address, likewise
 * @sub: the subflows
 *
 * FLOWPLAN_1.1 made @local and @peer FP_GROUP_ADDR_STRLEN long for IPv6;
 * programs built against FLOWPLAN_1.0 keep its layout (16 bytes each) and
 * get EOVERFLOW for a group whose address does not fit it.
 */
struct fp_group_info {
	unsigned int k;
	enum fp_plan_source source;
	uint64_t generation;
	int error;
	char dev[64];
	uint8_t port;
	int gid_index;
	char local[FP_GROUP_ADDR_STRLEN];
	char peer[FP_GROUP_ADDR_STRLEN];
	struct fp_subflow_info sub[FP_GROUP_MAX_SUBFLOWS];
};

struct fp_group *fp_group_connect(struct fp_ctx *ctx,
				  const struct fp_group_attr *attr);
int fp_group_close(struct fp_group *group);
int fp_group_query(const struct fp_group *group, struct fp_group_info *info);
int fp_group_xchg(struct fp_group *group, const void *out, void *in,
		  size_t len);
int fp_group_plan_changed(struct fp_group *group);
int fp_group_repin(struct fp_group *group);

/**
 * struct fp_follow_info - how a group follows its context's plan source,
 *	what fp_group_follow_query() reports (FLOWPLAN_1.3)
 * @follow: 1 when the context watches its plan source and switches its
 *	groups (the default; off with FP_CTX_NO_FOLLOW or FLOWPLAN_FOLLOW=0)
 * @stale: 1 when the context's plan, as last read, pins this group's pair
 *	otherwise than its QPs are pinned (fp_group_plan_changed())
 * @ctx_generation: the generation of the plan the context holds
 * @generation: the generation the group was pinned with
 * @reloads: plan reloads the context made by itself on a change it saw
 * @reload_errors: reloads that failed (the plan in use was kept)
 * @last_error: the errno of the last failed reload, 0 if none
 * @switch_error: the errno of the last in-band switch that failed, 0 if
 *	none: ETIMEDOUT (the peer did not answer or drain in time),
 *	ECONNABORTED (the peer gave up), or the error that failed the group
 * @switches: in-band switches to new QPs done
 * @switch_failures: switches given up (the old QPs kept) or failed
 * @peer_follows: 1 when the peer's library speaks the in-band switch and
 *	follows too; 0: a stale group keeps its QPs until both ends call
 *	fp_group_repin()
 * @switching: 1 while a switch is under way (sends and writes are held)
 * @reserved: zero
 */
struct fp_follow_info {
	unsigned int follow;
	unsigned int stale;
	uint64_t ctx_generation;
	uint64_t generation;
	uint64_t reloads;
	uint64_t reload_errors;
	int last_error;
	int switch_error;
	uint64_t switches;
	uint64_t switch_failures;
	unsigned int peer_follows;
	unsigned int switching;
	uint64_t reserved[3];
};

int fp_group_follow_query(struct fp_group *group, struct fp_follow_info *info);

/* --------------------------------------------------------------- posting */

/**
 * enum fp_op - operations; also the op of a schedule report record
 */
enum fp_op {
	FP_OP_WRITE = 1,
	FP_OP_SEND = 2,
	FP_OP_RECV = 3,
	/* collectives, marked by fp_coll_begin() / fp_coll_end() */
	FP_OP_ALLREDUCE = 16,
	FP_OP_ALLGATHER = 17,
	FP_OP_REDUCESCATTER = 18,
	FP_OP_ALLTOALL = 19,
	FP_OP_BROADCAST = 20,
	FP_OP_COLL_OTHER = 31,
};

/**
 * struct fp_wc - the completion of one message
 * @wr_id: the caller's id
 * @status: 0, or an errno value: ETIMEDOUT (retries or the library deadline
 *	ran out; for a receive: no send filled it in time), ECANCELED
 *	(flushed after another error), EACCES (remote access), EMSGSIZE
 *	(length), ECONNRESET (peer gone), EIO (other)
 * @op: FP_OP_WRITE, FP_OP_SEND or FP_OP_RECV
 * @subflow: index of the subflow that failed first (-1 on success)
 * @vendor_status: the enum ibv_wc_status of that failure (0 if none)
 * @len: message length
 */
struct fp_wc {
	uint64_t wr_id;
	int status;
	enum fp_op op;
	int subflow;
	int vendor_status;
	size_t len;
};

/*
 * Deadlines: every message, fp_post_recv() included, must complete within
 * the group's timeout_ms, counted from the first deadline check of fp_poll()
 * after its post (posting does not read the clock; while fp_poll() is
 * called that is at most about 10 ms after the post). One that does not is
 * returned by fp_poll() once, with ETIMEDOUT, and the subflows it uses are
 * moved to the error state; chunks of it that complete later are dropped
 * (a timed-out receive's buffer holds undefined bytes). A receive whose
 * peer is stuck or whose path died fails this way instead of waiting for
 * the peer to close; one still waiting when the peer's bootstrap socket
 * closes fails with ECONNRESET. After a deadline passed the group has failed, as after a
 * subflow error: fp_group_query() reports the error, posts return ENOTCONN,
 * the other messages in flight complete (on their own deadline at the
 * latest), and both ends call fp_group_repin() to bring it back, or close
 * it. Expiry is checked by fp_poll(), about every 10 ms while it is called.
 */
int fp_post_write(struct fp_group *group, struct fp_buf *buf, size_t off,
		  size_t len, const struct fp_rbuf *rbuf, uint64_t roff,
		  uint64_t wr_id);
int fp_post_send(struct fp_group *group, struct fp_buf *buf, size_t off,
		 size_t len, uint64_t wr_id);
int fp_post_recv(struct fp_group *group, struct fp_buf *buf, size_t off,
		 size_t len, uint64_t wr_id);
int fp_poll(struct fp_group *group, struct fp_wc *wc, int n);

/**
 * struct fp_write - one message of fp_post_write_batch(): the arguments of
 *	fp_post_write() after the group
 * @buf: local buffer
 * @off: offset in @buf
 * @len: message length
 * @rbuf: the peer's buffer
 * @roff: offset in @rbuf
 * @wr_id: the caller's id, returned in its completion
 */
struct fp_write {
	struct fp_buf *buf;
	size_t off;
	size_t len;
	const struct fp_rbuf *rbuf;
	uint64_t roff;
	uint64_t wr_id;
};

/*
 * fp_post_write_batch() (FLOWPLAN_1.4): @n writes in order, each posted as
 * fp_post_write() posts it and giving one completion; on a group of one
 * subflow, writes of one chunk go to the provider up to 32 in one call.
 * Returns how many were posted (w[ret], the first that was not, is one
 * fp_post_write() would refuse: call again from it to see why), or a
 * negative errno value when the first was refused (none posted).
 */
int fp_post_write_batch(struct fp_group *group, const struct fp_write *w,
			int n);

/*
 * flowplan_fast.h (FLOWPLAN_1.5): fp_post_write(), fp_post_send() and
 * fp_poll() inline in their common case (one chunk on a group of one
 * subflow), the rest left to these functions, on the same group.
 */

/* ------------------------------------------------------ schedule reports */

int fp_coll_begin(struct fp_ctx *ctx, uint32_t comm, enum fp_op op,
		  uint64_t bytes);
int fp_coll_end(struct fp_ctx *ctx);

/**
 * struct fp_report_rec - one record of a report ring (docs/reports.md,
 *	ring format version 2)
 * @seq: 1 + the record's index in the ring's history
 * @comm: communicator
 * @op: enum fp_op
 * @flags: FP_REC_* flags
 * @status: 0 or the errno the message completed with
 * @coll: serial number of the enclosing collective (0: none)
 * @src: source address, 16 bytes in network order: an IPv6 address, or an
 *	IPv4 address held IPv4-mapped (::ffff:a.b.c.d, as a RoCEv2 GID holds
 *	it); all zero (::) for none (a collective)
 * @dst: destination address, likewise
 * @bytes: message or collective bytes
 * @start_ns: start, CLOCK_REALTIME nanoseconds
 * @end_ns: end, CLOCK_REALTIME nanoseconds
 *
 * FLOWPLAN_1.2 made @src and @dst 16 bytes for IPv6 (80 bytes a record).
 * Programs built against FLOWPLAN_1.0 or 1.1 keep that version's 56-byte
 * record with 4-byte IPv4 addresses: their fp_report_read() returns
 * EOVERFLOW for a record with an IPv6 endpoint, which it cannot hold.
 */
struct fp_report_rec {
	uint64_t seq;
	uint32_t comm;
	uint16_t op;
	uint16_t flags;
	int32_t status;
	uint32_t coll;
	uint8_t src[16];
	uint8_t dst[16];
	uint64_t bytes;
	uint64_t start_ns;
	uint64_t end_ns;
};

struct fp_report;

struct fp_report *fp_report_open(const char *path);
int fp_report_read(struct fp_report *rep, struct fp_report_rec *recs,
		   size_t max, size_t *got, uint64_t *lost);
int fp_report_close(struct fp_report *rep);
int fp_report_schedule(const struct fp_report_rec *recs, size_t n,
		       uint64_t window_ns, const char *name, FILE *out);

const char *fp_op_str(enum fp_op op);

#ifdef __cplusplus
}
#endif

#endif
