// SPDX-License-Identifier: MIT
/*
 * group.c - flow groups: k RC QPs to one peer, each pinned to a path by the
 * GRH flow label set at RTR.
 *
 * Addressing: IPv4 or IPv6 (the local address and the peer's of one
 * family; the bootstrap socket may use either). The local address is the
 * caller's or the source address of the route to the peer; the RDMA device
 * and port are what rdma_resolve_addr() picks for that pair (librdmacm), or,
 * where the rdma_cm device is missing, the device whose GID table holds the
 * local address as a RoCEv2 GID. The GID is the address itself: for IPv4
 * the IPv4-mapped GID (::ffff:a.b.c.d), for IPv6 the IPv6 one; a table entry
 * of the other family never matches, nor a RoCE v1 one.
 *
 * Bootstrap (out of band, like rc_pingpong): one TCP connection per group,
 * kept open for fp_group_xchg(), re-pinning and noticing a peer that went
 * away. Round 1 ("hello") agrees on the number of QPs, the larger of the two
 * sides' k; round 2 carries QP numbers, GID, MTU and each side's send
 * weights and split parameters, which the receiving side mirrors to post
 * matching receives. A one-byte "ready" from each side, sent after its QPs
 * reached RTS, ends the exchange.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rdma/rdma_cma.h>

#ifdef HAVE_MLX5DV
#include <infiniband/mlx5dv.h>
#endif

#include "flowplan/handles.h"

/* "FPG2": the hello carries 16-byte addresses (IPv6, IPv4-mapped IPv4). */
#define FP_HELLO_MAGIC	0x46504732u

struct hello {
	uint32_t magic;
	uint32_t version;
	uint32_t k;
	uint32_t pad;
	uint8_t addr[16];
};

struct qpinfo {
	uint8_t gid[16];
	uint32_t mtu;
	uint32_t k;
	uint64_t chunk_max;
	uint64_t split_min;
	uint32_t qpn[FP_MAX_SUBFLOWS];
	uint32_t weight[FP_MAX_SUBFLOWS];
};

/* -------------------------------------------------------------- socket io */

/*
 * What is still to be sent: up to two pieces (a framed exchange's record
 * and the application's bytes), in order.
 */
struct outq {
	const char *p[2];
	size_t left[2];
};

static bool outq_empty(const struct outq *o)
{
	return !o->left[0] && !o->left[1];
}

/* Send what the socket takes now, without blocking; 0 or an errno. */
static int outq_send(int fd, struct outq *o)
{
	struct iovec iov[2];
	struct msghdr mh = { .msg_iov = iov };
	ssize_t n;
	size_t k;
	int i;

	for (i = 0; i < 2; i++)
		if (o->left[i])
			iov[mh.msg_iovlen++] = (struct iovec){
				.iov_base = (void *)o->p[i], .iov_len = o->left[i] };
	n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK ?
		       0 : errno;
	for (i = 0; i < 2; i++) {
		k = (size_t)n < o->left[i] ? (size_t)n : o->left[i];
		o->p[i] += k;
		o->left[i] -= k;
		n -= (ssize_t)k;
	}
	return 0;
}

/*
 * The socket io of the bootstrap: read @len bytes into @in while sending
 * what is left of @o, both at once (two ends that each sent all of an
 * exchange before reading the other's would both block in send() once the
 * bytes outgrow the two sockets' buffers, about 200 KiB, each waiting for
 * the other to read). Returns once @in is full and, with @flush, all of @o
 * is sent (without, some of @o may be left); or an errno: ECONNRESET when
 * the peer closed, ETIMEDOUT when a wait passed @timeout_ms (-1: none),
 * EBADF when @fd is not open.
 */
static int duplex(int fd, struct outq *o, void *in, size_t len, bool flush,
		  int timeout_ms)
{
	size_t done = 0;

	while (done < len || (flush && !outq_empty(o))) {
		struct pollfd pfd = { .fd = fd };
		ssize_t n;
		int r, ret;

		if (done < len)
			pfd.events |= POLLIN;
		if (!outq_empty(o))
			pfd.events |= POLLOUT;
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (!r)
			return ETIMEDOUT;
		if (pfd.revents & POLLNVAL)	/* closed under us: poll never waits */
			return EBADF;
		if ((pfd.revents & (POLLOUT | POLLERR | POLLHUP)) && !outq_empty(o)) {
			ret = outq_send(fd, o);
			if (ret)
				return ret;
		}
		if (done == len || !(pfd.revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		n = recv(fd, (char *)in + done, len - done, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0)
			return errno;
		if (!n)
			return ECONNRESET;
		done += (size_t)n;
	}
	return 0;
}

/* @len bytes of @p sent (@wr) or read, blocking; 0 or an errno. */
static int io_all(int fd, void *p, size_t len, bool wr, int timeout_ms)
{
	struct outq o = { .p = { p }, .left = { wr ? len : 0 } };

	return wr ? duplex(fd, &o, NULL, 0, true, timeout_ms) :
		    duplex(fd, &o, p, len, false, timeout_ms);
}

int fp_sock_io(int fd, void *p, size_t len, bool wr, int timeout_ms)
{
	return io_all(fd, p, len, wr, timeout_ms);
}

static int xchg(struct fp_group *g, const void *out, void *in, size_t len,
		int timeout_ms)
{
	struct outq o = { .p = { out }, .left = { len } };

	return duplex(g->fd, &o, in, len, true, timeout_ms);
}

/* At most this many of the peer's switch records wait for our bytes. */
#define XCHG_HELD 16

/*
 * Between two ends that speak the in-band switch, the application's bytes
 * go as a record (FP_CTL_XCHG, their length) and the bytes, so that a
 * control record of the switch met on the way is told apart and taken.
 * Taking one may send an answer, which must not land inside our own bytes:
 * the records met while ours are still going out wait (XCHG_HELD of them;
 * beyond that, ours are sent first) and are taken once they are out, in
 * the order they came.
 */
static int xchg_framed(struct fp_group *g, const void *out, void *in,
		       size_t len)
{
	struct fp_ctl c = { .magic = FP_CTL_MAGIC, .type = FP_CTL_XCHG,
			    .count = len }, held[XCHG_HELD];
	struct outq o = { .p = { (const char *)&c, out },
			  .left = { sizeof(c), len } };
	unsigned int nheld = 0, i;
	bool mine = false;
	int ret = 0;

	while (!ret) {
		if (nheld == XCHG_HELD)
			ret = duplex(g->fd, &o, NULL, 0, true, -1);
		if (!ret && nheld && outq_empty(&o)) {
			for (i = 0; i < nheld && !ret; i++)
				ret = fp_switch_record(g, &held[i], fp_now_ns());
			nheld = 0;
		}
		if (ret || mine)
			break;
		ret = duplex(g->fd, &o, &held[nheld], sizeof(held[0]), false, -1);
		if (ret)
			break;
		if (held[nheld].magic != FP_CTL_MAGIC ||
		    held[nheld].type != FP_CTL_XCHG) {
			nheld++;
			continue;
		}
		if (held[nheld].count != len)
			return EPROTO;
		ret = duplex(g->fd, &o, in, len, true, -1);
		mine = true;
	}
	return ret;
}

int fp_group_xchg(struct fp_group *g, const void *out, void *in, size_t len)
{
	if (!g || (len && (!out || !in)))
		return EINVAL;
	if (g->peer_follows)
		return xchg_framed(g, out, in, len);
	/* Blocks until the peer answers or goes away (its socket closes). */
	return xchg(g, out, in, len, -1);
}

/*
 * The unspecified address, "::" or "0.0.0.0" (which FLOWPLAN_1.0 took for
 * "not given" too): not given.
 */
static bool addr_unset(const struct fp_addr *a)
{
	static const struct fp_addr zero;

	return !fp_addr_cmp(a, &zero) ||
	       (fp_addr_is_v4(a) && !fp_addr_to_v4(a));
}

/* The socket address of @a (either family) and @port; its length. */
static socklen_t sockaddr_of(const struct fp_addr *a, uint16_t port,
			     struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (fp_addr_is_v4(a)) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = fp_addr_to_v4(a);
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(s6->sin6_addr.s6_addr, a->b, 16);
	return sizeof(*s6);
}

static int tcp_connect(const struct fp_addr *peer, uint16_t port,
		       int timeout_ms, int *fdp)
{
	struct sockaddr_storage sa;
	socklen_t sl = sockaddr_of(peer, port, &sa);
	uint64_t end = fp_now_ns() + (uint64_t)timeout_ms * 1000000;
	int fd, one = 1;

	/* The peer may not listen yet: retry until the deadline. */
	for (;;) {
		fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return errno;
		if (!connect(fd, (struct sockaddr *)&sa, sl))
			break;
		close(fd);
		if (fp_now_ns() > end)
			return ETIMEDOUT;
		usleep(100000);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fdp = fd;
	return 0;
}

/*
 * Listen on @local, or, when it is unset, on every address of both families
 * (IPv6's any address taking IPv4 too; IPv4's alone where the host has no
 * IPv6).
 */
static int tcp_listen(const struct fp_addr *local, uint16_t port, int *lsp)
{
	struct sockaddr_storage sa;
	socklen_t sl = sockaddr_of(local, port, &sa);
	int ls, one = 1, zero = 0, ret;

	ls = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 && addr_unset(local) && errno == EAFNOSUPPORT) {
		sl = sockaddr_of(&(struct fp_addr){ .b = { [10] = 0xff, [11] = 0xff } },
				 port, &sa);
		ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	if (ls < 0)
		return errno;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa.ss_family == AF_INET6 && addr_unset(local))
		setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(ls, (struct sockaddr *)&sa, sl) || listen(ls, 4)) {
		ret = errno;
		close(ls);
		return ret;
	}
	*lsp = ls;
	return 0;
}

static int tcp_accept(int ls, int timeout_ms, int *fdp)
{
	struct pollfd pfd = { .fd = ls, .events = POLLIN };
	int fd, one = 1, ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret <= 0)
		return ret ? errno : ETIMEDOUT;
	fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fdp = fd;
	return 0;
}

/* ------------------------------------------------------------ addressing */

/* The source address of the route to @peer, of @peer's family. */
static int route_src(const struct fp_addr *peer, struct fp_addr *src)
{
	struct sockaddr_storage sa;
	socklen_t sl = sockaddr_of(peer, 4791, &sa);
	int fd, ret = 0;

	fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&sa, sl) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl))
		ret = errno;
	else if (sa.ss_family == AF_INET)
		*src = fp_addr_v4(((struct sockaddr_in *)&sa)->sin_addr.s_addr);
	else
		memcpy(src->b, ((struct sockaddr_in6 *)&sa)->sin6_addr.s6_addr, 16);
	close(fd);
	return ret;
}

/* librdmacm: the device and port that serve (local, peer). */
static int cm_resolve(const struct fp_addr *local, const struct fp_addr *peer,
		      char *dev, size_t len, uint8_t *port)
{
	struct sockaddr_storage src, dst;
	struct rdma_event_channel *ch;
	struct rdma_cm_event *ev;
	struct rdma_cm_id *id;
	int ret;

	ch = rdma_create_event_channel();
	if (!ch)
		return errno ? errno : ENODEV;
	if (rdma_create_id(ch, &id, NULL, RDMA_PS_TCP)) {
		ret = errno;
		goto out_ch;
	}
	sockaddr_of(local, 0, &src);
	sockaddr_of(peer, 0, &dst);
	if (rdma_resolve_addr(id, (struct sockaddr *)&src,
			      (struct sockaddr *)&dst, 2000)) {
		ret = errno;
		goto out_id;
	}
	if (rdma_get_cm_event(ch, &ev)) {
		ret = errno;
		goto out_id;
	}
	ret = ev->event == RDMA_CM_EVENT_ADDR_RESOLVED ? 0 : EHOSTUNREACH;
	rdma_ack_cm_event(ev);
	if (!ret && id->verbs) {
		snprintf(dev, len, "%s",
			 ibv_get_device_name(id->verbs->device));
		*port = id->port_num;
	} else if (!ret) {
		ret = ENODEV;
	}
out_id:
	rdma_destroy_id(id);
out_ch:
	rdma_destroy_event_channel(ch);
	return ret;
}

/*
 * The RoCEv2 GID index of @addr on (verbs, port), or -1. struct fp_addr
 * holds an address as its GID does (IPv4-mapped for IPv4), so the family
 * picks the entry: IPv4's mapped GID, or IPv6's own.
 */
static int gid_index(struct ibv_context *verbs, uint8_t port,
		     const struct fp_addr *addr)
{
	struct ibv_port_attr pa;
	int i;

	if (ibv_query_port(verbs, port, &pa))
		return -1;
	for (i = 0; i < pa.gid_tbl_len; i++) {
		struct ibv_gid_entry e;

		if (ibv_query_gid_ex(verbs, port, (uint32_t)i, &e, 0))
			continue;
		if (e.gid_type == IBV_GID_TYPE_ROCE_V2 &&
		    !memcmp(e.gid.raw, addr->b, 16))
			return i;
	}
	return -1;
}

/* The device and port whose GID table holds @addr as a RoCEv2 GID. */
static bool scan_gids(const struct fp_addr *addr, char *name, size_t len,
		      uint8_t *port)
{
	struct ibv_device **list;
	bool found = false;
	int i, n;

	list = ibv_get_device_list(&n);
	for (i = 0; list && i < n && !found; i++) {
		struct ibv_context *v = ibv_open_device(list[i]);
		struct ibv_device_attr da;
		uint8_t p;

		if (!v)
			continue;
		if (!ibv_query_device(v, &da))
			for (p = 1; p <= da.phys_port_cnt && !found; p++) {
				if (gid_index(v, p, addr) < 0)
					continue;
				snprintf(name, len, "%s",
					 ibv_get_device_name(list[i]));
				*port = p;
				found = true;
			}
		ibv_close_device(v);
	}
	if (list)
		ibv_free_device_list(list);
	return found;
}

static int resolve(struct fp_group *g)
{
	struct fp_ctx *ctx = g->ctx;
	char name[64] = "";
	uint8_t port = 1;
	int ret;

	const char *how = "rdma_cm";

	if (ctx->dev_name[0]) {
		snprintf(name, sizeof(name), "%s", ctx->dev_name);
		how = "the context's device";
	} else if (getenv("FLOWPLAN_NO_RDMA_CM") ||
		   cm_resolve(&g->local, &g->peer, name, sizeof(name), &port)) {
		/* No rdma_cm (rdma_ucm not loaded): scan the GID tables. */
		name[0] = 0;
		how = "GID tables";
		if (!scan_gids(&g->local, name, sizeof(name), &port))
			return ENODEV;
	}
	if (getenv("FLOWPLAN_DEBUG"))
		fprintf(stderr, "libflowplan: %s port %u from %s\n", name,
			port, how);
	ret = fp_ctx_dev_open(ctx, name);
	if (ret < 0)
		return -ret;
	g->dev = ret;
	g->port = port;
	g->gid_index = gid_index(ctx->dev[g->dev].verbs, port, &g->local);
	if (g->gid_index < 0 && ctx->dev_name[0]) {
		struct ibv_device_attr da;
		uint8_t p;

		/* A named device: find the port that holds the address. */
		if (!ibv_query_device(ctx->dev[g->dev].verbs, &da))
			for (p = 1; p <= da.phys_port_cnt && g->gid_index < 0;
			     p++) {
				g->gid_index = gid_index(ctx->dev[g->dev].verbs,
							 p, &g->local);
				g->port = p;
			}
	}
	if (g->gid_index < 0)
		return EADDRNOTAVAIL;
	if (ibv_query_gid(ctx->dev[g->dev].verbs, g->port, g->gid_index,
			  &g->gid))
		return errno ? errno : EIO;
	return 0;
}

/* ------------------------------------------------------------------ QPs */

static void destroy_qps(struct fp_group_subflow *sub, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++)
		if (sub[i].qp) {
			ibv_destroy_qp(sub[i].qp);
			sub[i].qp = NULL;
		}
}

/*
 * @k fresh QPs in INIT into @sub. When one cannot be made (a QP or memlock
 * limit) or moved to INIT, those made so far are destroyed, and only
 * those: @sub holds no QP afterwards.
 */
static int create_qps(struct fp_group *g, struct fp_group_subflow *sub, unsigned int k)
{
	struct fp_dev *d = &g->ctx->dev[g->dev];
	unsigned int i;
	int ret;

	memset(sub, 0, k * sizeof(*sub));
	for (i = 0; i < k; i++) {
		struct ibv_qp_init_attr ia = {
			.send_cq = g->cq,
			.recv_cq = g->cq,
			.qp_type = IBV_QPT_RC,
			.cap = {
				.max_send_wr = FP_SQ_DEPTH,
				.max_recv_wr = FP_RQ_DEPTH,
				.max_send_sge = 1,
				.max_recv_sge = 1,
			},
		};
		struct ibv_qp_attr a = {
			.qp_state = IBV_QPS_INIT,
			.port_num = g->port,
			.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
					   IBV_ACCESS_REMOTE_READ,
		};

		sub[i].qp = ibv_create_qp(d->pd, &ia);
		if (!sub[i].qp) {
			ret = errno ? errno : ENOMEM;
			goto err;
		}
		ret = ibv_modify_qp(sub[i].qp, &a, IBV_QP_STATE |
				    IBV_QP_PKEY_INDEX | IBV_QP_PORT |
				    IBV_QP_ACCESS_FLAGS);
		if (ret) {
			ret = ret > 0 ? ret : errno ? errno : EIO;
			goto err;
		}
	}
	return 0;
err:
	destroy_qps(sub, i + 1);
	return ret;
}

static int connect_qp(struct fp_group *g, struct fp_group_subflow *s, const uint8_t *gid,
		      enum ibv_mtu mtu)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR,
		.path_mtu = mtu,
		.dest_qp_num = s->remote_qpn,
		.rq_psn = 0,
		.max_dest_rd_atomic = 1,
		.min_rnr_timer = 12,
		.ah_attr = {
			.is_global = 1,
			.port_num = g->port,
			.grh = {
				.sgid_index = (uint8_t)g->gid_index,
				.hop_limit = 64,
				.flow_label = s->label,
			},
		},
	};

	memcpy(a.ah_attr.grh.dgid.raw, gid, 16);
	if (ibv_modify_qp(s->qp, &a, IBV_QP_STATE | IBV_QP_AV |
			  IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return errno ? errno : EIO;
	a = (struct ibv_qp_attr){
		.qp_state = IBV_QPS_RTS,
		.timeout = g->qp_timeout,
		.retry_cnt = g->retry_cnt,
		.rnr_retry = 7,
		.sq_psn = 0,
		.max_rd_atomic = 1,
	};
	if (ibv_modify_qp(s->qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			  IBV_QP_MAX_QP_RD_ATOMIC))
		return errno ? errno : EIO;
	return 0;
}

/*
 * What the peer says about its side is input like any other: a value a
 * correct peer never sends (a k other than the one agreed, weights that do
 * not sum to FP_WEIGHT_ONE, a chunk size past FP_GROUP_MAX_CHUNK, an MTU
 * or QP number out of range) is refused before anything is connected.
 */
static int check_peer(const struct qpinfo *p, unsigned int k)
{
	uint64_t sum = 0;
	unsigned int i;

	if (p->k != k || p->mtu < IBV_MTU_256 || p->mtu > IBV_MTU_4096 ||
	    !p->chunk_max || p->chunk_max > FP_GROUP_MAX_CHUNK || !p->split_min)
		return EPROTO;
	for (i = 0; i < FP_MAX_SUBFLOWS; i++) {
		if (i >= k ? p->qpn[i] || p->weight[i] :
		    p->qpn[i] < 2 || p->qpn[i] > 0xffffff ||
		    p->weight[i] > FP_WEIGHT_ONE)
			return EPROTO;
		sum += p->weight[i];
	}
	return sum == FP_WEIGHT_ONE ? 0 : EPROTO;
}

/* The plan's subflows for the group's pair of addresses. */
static void group_subflows(const struct fp_group *g, struct fp_subflow_set *ps)
{
	fp_plansrc_subflows(&g->ctx->plan, &g->local, &g->peer, FP_DQPN_ANY, ps);
}

/*
 * Agree with the peer on the subflows and bring up a fresh set of QPs on the
 * current plan; on success they replace g->sub (which must be drained).
 */
static int pin(struct fp_group *g, int timeout_ms)
{
	struct fp_group_subflow sub[FP_MAX_SUBFLOWS] = { { 0 } };
	struct qpinfo me = { 0 }, peer;
	struct hello h = {
		.magic = FP_HELLO_MAGIC,
		.version = FP_ABI_VERSION,
	}, ph;
	struct fp_subflow_set ps;
	struct ibv_port_attr pa;
	unsigned int i, k;
	char ready = 1, pready;
	int ret;

	memcpy(h.addr, g->local.b, 16);
	/* Older libraries send 0 here and never look at it. */
	h.pad = g->ctx->follow ? FP_HELLO_FOLLOW : 0;
	group_subflows(g, &ps);
	h.k = ps.k;
	ret = xchg(g, &h, &ph, sizeof(h), timeout_ms);
	if (ret)
		return ret;
	if (ph.magic != FP_HELLO_MAGIC || ph.version != FP_ABI_VERSION ||
	    !ph.k || ph.k > FP_MAX_SUBFLOWS)
		return EPROTO;
	k = ps.k > ph.k ? ps.k : ph.k;

	if (ibv_query_port(g->ctx->dev[g->dev].verbs, g->port, &pa))
		return errno ? errno : EIO;
	ret = create_qps(g, sub, k);
	if (ret)
		return ret;
	memcpy(me.gid, g->gid.raw, 16);
	me.mtu = pa.active_mtu;
	me.k = k;
	me.chunk_max = g->chunk_max;
	me.split_min = g->split_min;
	for (i = 0; i < k; i++) {
		me.qpn[i] = sub[i].qp->qp_num;
		/* Subflows beyond our k carry nothing our way. */
		me.weight[i] = i < ps.k ? ps.weight[i] : 0;
		sub[i].label = ps.label[i % ps.k];
		sub[i].weight = me.weight[i];
	}
	ret = xchg(g, &me, &peer, sizeof(me), timeout_ms);
	if (!ret)
		ret = check_peer(&peer, k);
	if (ret)
		goto err;
	for (i = 0; i < k; i++) {
		sub[i].remote_qpn = peer.qpn[i];
		ret = connect_qp(g, &sub[i], peer.gid,
				 (enum ibv_mtu)(peer.mtu < me.mtu ? peer.mtu :
						me.mtu));
		if (ret)
			goto err;
	}
	ret = xchg(g, &ready, &pready, 1, timeout_ms);
	if (ret)
		goto err;

	destroy_qps(g->sub, g->k);
	memcpy(g->sub, sub, sizeof(sub));
	g->k = k;
	for (i = 0; i < k; i++) {
		g->w[i] = me.weight[i];
		g->rw[i] = peer.weight[i];
	}
	fp_group_unready(g);		/* post.c: the weights changed */
	g->rchunk_max = peer.chunk_max;
	g->rsplit_min = peer.split_min;
	memset(&g->sp_write, 0, sizeof(g->sp_write));
	memset(&g->sp_send, 0, sizeof(g->sp_send));
	memset(&g->sp_recv, 0, sizeof(g->sp_recv));
	g->nsend = g->nrecv = 0;	/* switch.c counts from the new QPs */
	g->peer_follows = (h.pad & ph.pad & FP_HELLO_FOLLOW) != 0;
	g->source = g->ctx->plan.source;
	g->generation = g->ctx->plan.hp.generation;
	g->plan_serial = g->ctx->plan_serial;
	g->stale = false;
	g->error = 0;
	return 0;
err:
	destroy_qps(sub, k);
	return ret;
}

int fp_group_pin(struct fp_group *g, int timeout_ms)
{
	return pin(g, timeout_ms);
}

/* ---------------------------------------------------------------- groups */

/*
 * Round 0 of the bootstrap: the connecting side says which address its RDMA
 * traffic comes from, the listening side answers with its own. The socket
 * may run elsewhere (e.g. over lo when both ends share a machine).
 */
static int meet(struct fp_group *g, bool listen, bool peer_given, int tmo)
{
	struct hello me = { .magic = FP_HELLO_MAGIC,
			    .version = FP_ABI_VERSION }, them;
	int ret;

	if (!listen) {
		if (addr_unset(&g->local)) {
			ret = route_src(&g->peer, &g->local);
			if (ret)
				return ret;
		}
		memcpy(me.addr, g->local.b, 16);
		ret = xchg(g, &me, &them, sizeof(me), tmo);
		if (ret)
			return ret;
		if (them.magic != FP_HELLO_MAGIC ||
		    them.version != FP_ABI_VERSION)
			return EPROTO;
		return memcmp(them.addr, g->peer.b, 16) ? EADDRNOTAVAIL : 0;
	}
	ret = io_all(g->fd, &them, sizeof(them), false, tmo);
	if (ret)
		return ret;
	if (them.magic != FP_HELLO_MAGIC || them.version != FP_ABI_VERSION)
		return EPROTO;
	if (peer_given && memcmp(them.addr, g->peer.b, 16))
		return EACCES;
	memcpy(g->peer.b, them.addr, 16);
	/* A peer of the other family than our given address: a stranger. */
	if (addr_unset(&g->peer) || (!addr_unset(&g->local) &&
	    fp_addr_is_v4(&g->local) != fp_addr_is_v4(&g->peer)))
		return EACCES;
	if (addr_unset(&g->local)) {
		ret = route_src(&g->peer, &g->local);
		if (ret)
			return ret;
	}
	memcpy(me.addr, g->local.b, 16);
	return io_all(g->fd, &me, sizeof(me), true, tmo);
}

/*
 * The listening side: connections that are not the peer's (a port scanner,
 * a health check, a stranger who says nothing or something else, a peer
 * from another address than the one named) are closed and the next one is
 * taken, until the peer's or the deadline: a stray connection must not
 * cost the group its peer. A connection that says nothing gets
 * FP_HELLO_MS to say its hello.
 */
#define FP_HELLO_MS	1000

static int listen_meet(struct fp_group *g, const struct fp_addr *addr,
		       uint16_t port, bool peer_given, int tmo)
{
	uint64_t end = fp_now_ns() + (uint64_t)tmo * 1000000;
	struct fp_addr peer = g->peer, local = g->local;
	int ls = -1, ret;

	ret = tcp_listen(addr, port, &ls);
	if (ret)
		return ret;
	for (;;) {
		uint64_t now = fp_now_ns();
		int left = now >= end ? 0 : (int)((end - now + 999999) / 1000000);

		if (!left) {
			ret = ETIMEDOUT;
			break;
		}
		ret = tcp_accept(ls, left, &g->fd);
		if (ret)
			break;
		ret = meet(g, true, peer_given,
			   left < FP_HELLO_MS ? left : FP_HELLO_MS);
		if (!ret || (ret != EPROTO && ret != EACCES &&
			     ret != ECONNRESET && ret != ETIMEDOUT))
			break;
		close(g->fd);
		g->fd = -1;
		g->peer = peer;
		g->local = local;
	}
	close(ls);
	return ret;
}

struct fp_group *fp_group_connect(struct fp_ctx *ctx,
				  const struct fp_group_attr *attr)
{
	struct fp_group *g;
	int ret, tmo;
	struct fp_addr boot = { { 0 } };

	if (!ctx || !attr || !attr->port || (!attr->peer &&
	    !(attr->flags & FP_GROUP_LISTEN)) || attr->retry_cnt > 6 ||
	    (attr->flags & ~FP_GROUP_LISTEN) ||
	    attr->max_msgs > FP_GROUP_MAX_MSGS ||
	    attr->chunk_max > FP_GROUP_MAX_CHUNK ||
	    attr->timeout_ms > INT_MAX || attr->connect_timeout_ms > INT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->ctx = ctx;
	g->fd = -1;
	g->chunk_max = attr->chunk_max ? attr->chunk_max : 1u << 20;
	g->split_min = attr->split_min ? attr->split_min : 16384;
	g->timeout_ns = (uint64_t)(attr->timeout_ms ? attr->timeout_ms :
				   ctx->timeout_ms) * 1000000;
	g->qp_timeout = attr->qp_timeout ? attr->qp_timeout : 14;
	g->retry_cnt = attr->retry_cnt ? attr->retry_cnt : 6;
	tmo = attr->connect_timeout_ms ? (int)attr->connect_timeout_ms : 30000;

	/* IPv4 or IPv6; the group's two addresses of one family. */
	ret = EINVAL;
	if (attr->peer && (fp_addr_parse(attr->peer, &g->peer) ||
			   addr_unset(&g->peer)))
		goto err;
	if (attr->local && fp_addr_parse(attr->local, &g->local))
		goto err;
	if (attr->peer && !addr_unset(&g->local) &&
	    fp_addr_is_v4(&g->local) != fp_addr_is_v4(&g->peer))
		goto err;
	if (attr->bootstrap && fp_addr_parse(attr->bootstrap, &boot))
		goto err;

	g->listener = attr->flags & FP_GROUP_LISTEN;
	if (attr->flags & FP_GROUP_LISTEN) {
		ret = listen_meet(g, addr_unset(&boot) ? &g->local : &boot,
				  attr->port, !!attr->peer, tmo);
	} else {
		ret = tcp_connect(addr_unset(&boot) ? &g->peer : &boot,
				  attr->port, tmo, &g->fd);
		if (!ret)
			ret = meet(g, false, false, tmo);
	}
	if (ret)
		goto err;

	ret = resolve(g);
	if (ret)
		goto err;
	ret = fp_msgtab_init(&g->tab, attr->max_msgs ? attr->max_msgs : 256);
	if (ret)
		goto err;
	g->tab.timeout_ns = g->timeout_ns;
	g->cq = ibv_create_cq(ctx->dev[g->dev].verbs,
			      FP_MAX_SUBFLOWS * (FP_SQ_DEPTH + FP_RQ_DEPTH),
			      NULL, NULL, 0);
	if (!g->cq) {
		ret = errno ? errno : ENOMEM;
		goto err_tab;
	}
	ret = pin(g, tmo);
	if (ret)
		goto err_cq;
	ctx->ngroups++;
	return g;

err_cq:
	ibv_destroy_cq(g->cq);
err_tab:
	fp_msgtab_fini(&g->tab);
err:
	if (g->fd >= 0)
		close(g->fd);
	free(g);
	errno = ret;
	return NULL;
}

int fp_group_close(struct fp_group *g)
{
	int ret = 0;

	if (!g)
		return EINVAL;
	destroy_qps(g->sub, g->k);
	if (ibv_destroy_cq(g->cq))
		ret = errno ? errno : EBUSY;
	fp_msgtab_fini(&g->tab);
	free(g->chunks);
	free(g->q);
	close(g->fd);
	g->ctx->ngroups--;
	free(g);
	return ret;
}

/* FLOWPLAN_1.1's (compat.c has FLOWPLAN_1.0's). */
int fp_group_query(const struct fp_group *g, struct fp_group_info *info)
{
	unsigned int i;

	if (!g || !info)
		return EINVAL;
	memset(info, 0, sizeof(*info));
	info->k = g->k;
	info->source = g->source;
	info->generation = g->generation;
	info->error = g->error;
	snprintf(info->dev, sizeof(info->dev), "%s", g->ctx->dev[g->dev].name);
	info->port = g->port;
	info->gid_index = g->gid_index;
	fp_addr_str(&g->local, info->local);
	fp_addr_str(&g->peer, info->peer);
	for (i = 0; i < g->k; i++) {
		const struct fp_group_subflow *s = &g->sub[i];
		uint32_t fl = s->label ? s->label :
			      fp_qpn_flow_label(s->qp->qp_num, s->remote_qpn);

		info->sub[i] = (struct fp_subflow_info){
			.qpn = s->qp->qp_num,
			.remote_qpn = s->remote_qpn,
			.flow_label = s->label,
			.sport = fp_label_to_sport(fl),
			.weight = s->weight,
		};
	}
	return 0;
}

/* 1 when the context's plan pins this pair differently now, else 0. */
int fp_group_plan_changed(struct fp_group *g)
{
	struct fp_subflow_set ps;
	unsigned int i;

	if (!g)
		return 0;
	group_subflows(g, &ps);
	for (i = 0; i < g->k; i++) {
		uint32_t w = i < ps.k ? ps.weight[i] : 0;

		if (ps.k > g->k || g->sub[i].label != ps.label[i % ps.k] ||
		    g->sub[i].weight != w)
			return 1;
	}
	return 0;
}

/*
 * Wait until no chunk is on the wire (with @rq, no receive either);
 * completions stay queued for fp_poll.
 */
static int drain(struct fp_group *g, uint64_t deadline, bool rq)
{
	for (;;) {
		unsigned int i, busy = 0;
		int ret;

		for (i = 0; i < g->k; i++) {
			busy += g->sub[i].sq_used;
			if (rq)
				busy += g->sub[i].rq_used;
		}
		if (!busy)
			return 0;
		ret = fp_group_progress(g);
		if (ret)
			return ret;
		if (fp_now_ns() > deadline)
			return ETIMEDOUT;
	}
}

#ifdef HAVE_MLX5DV
/* Same QPs, new source ports (mlx5 only): no new QPs, nothing to move. */
static int repin_live(struct fp_group *g, const struct fp_subflow_set *ps)
{
	unsigned int i;

	if (strncmp(g->ctx->dev[g->dev].name, "mlx5", 4) || ps->k != g->k)
		return EOPNOTSUPP;
	for (i = 0; i < g->k; i++) {
		uint32_t fl = ps->label[i];
		int ret;

		if (!fl)
			return EOPNOTSUPP;
		ret = mlx5dv_modify_qp_udp_sport(g->sub[i].qp,
						 fp_label_to_sport(fl));
		if (ret)
			return ret;
	}
	for (i = 0; i < g->k; i++) {
		g->sub[i].label = ps->label[i];
		g->sub[i].weight = g->w[i] = ps->weight[i];
	}
	fp_group_unready(g);		/* post.c: the weights changed */
	g->source = g->ctx->plan.source;
	g->generation = g->ctx->plan.hp.generation;
	g->plan_serial = g->ctx->plan_serial;
	g->stale = false;
	return 0;
}
#endif

/*
 * Both ends call fp_group_repin() at the same point of their traffic (no
 * receive posted). Sends and writes in flight are drained on the old QPs,
 * then new QPs on the new paths replace them; completions of the drained
 * messages are still returned by fp_poll().
 *
 * A group that failed (a deadline passed, a subflow error) is repaired the
 * same way: all its QPs are moved to the error state first, and whatever
 * they still hold, receives included, is flushed (completions of messages
 * not handed out yet are returned by fp_poll(), those of messages that
 * already timed out are dropped), so that no slot of the completion table
 * waits for a chunk on a QP that no longer exists.
 */
int fp_group_repin(struct fp_group *g)
{
	bool broken;
	unsigned int i;
	int ret, tmo;

	if (!g)
		return EINVAL;
	/* The library is moving it already (switch.c). */
	if (g->sw || g->qhead != g->qtail)
		return EBUSY;
	broken = g->error != 0;
	if (broken)
		fp_qp_error(g, ~0u);
	else
		for (i = 0; i < g->k; i++)
			if (g->sub[i].rq_used)
				return EBUSY;
	tmo = (int)(g->timeout_ns / 1000000);
	ret = drain(g, fp_now_ns() + g->timeout_ns, broken);
	if (ret)
		return ret;
#ifdef HAVE_MLX5DV
	{
		struct fp_subflow_set ps;
		char ok = 0, pok = 0;

		group_subflows(g, &ps);
		/* QPs in the error state cannot be kept. */
		ok = !broken && repin_live(g, &ps) == 0;
		ret = xchg(g, &ok, &pok, 1, tmo);
		if (ret)
			return ret;
		if (ok && pok)
			return 0;
	}
#endif
	return pin(g, tmo);
}
