// SPDX-License-Identifier: MIT
/*
 * net.c - libnccl-net-flowplan: NCCL's network plugin API on libflowplan.
 *
 * Every NCCL connection (a send comm and its receive comm) is one flow
 * group: k RC QPs whose flow labels, hence paths, come from the plan, and
 * whose bytes split by the plan's weights (lib/flowplan). Each comm has its
 * own libflowplan context, so that comms used by different NCCL proxy
 * threads never share state, and so that memory registrations are per comm
 * as NCCL's regMr() is.
 *
 * Data moves receiver-driven, as NCCL's own IB transport does:
 *  - irecv() writes a clear-to-send (CTS) slot into the sender's control
 *    buffer: for each of its n grouped receives the address, rkey, size
 *    and tag, each entry closed by a mark that names the request;
 *  - isend() takes the next CTS slot once it has arrived, matches its tag,
 *    and RDMA-writes the data there (libflowplan cuts it over the
 *    subflows); when that write has completed (every chunk acknowledged,
 *    so the bytes are in the receiver's memory) it writes one 8-byte FIN
 *    word (mark and size) into the receiver's control buffer;
 *  - the receiver's test() sees the FIN words and reports the sizes.
 * Only RDMA writes are used: libflowplan gives every posted receive a
 * deadline, which an idle NCCL connection would run into.
 *
 * Never a hang: every write has libflowplan's deadline; a side that waits
 * on its peer (a receive posted, a send without CTS) writes a small
 * keep-alive probe every FLOWPLAN_NCCL_KEEPALIVE_MS, which rotates over the
 * subflows, so a dead path or a peer that went away fails the comm within
 * about a deadline, and NCCL gets ncclRemoteError.
 *
 * Connection setup: fp_group_connect() blocks (TCP bootstrap, QP exchange),
 * so connect() and accept() run it in a helper thread and report progress
 * as NCCL's proxy expects (NULL comm until done).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "flowplan/flowplan.h"
#include "nccl/fpn.h"
#include "nccl/net.h"

#define FPN_NREQ	NCCL_NET_MAX_REQUESTS
#define FPN_MAXRECVS	8
#define FPN_MAX_DEVS	32
#define FPN_PROBE	64
#define FPN_MAGIC	0x314e5046u	/* "FPN1" */
#define FPN_VERSION	1

/* ------------------------------------------------------------- logging */

static ncclDebugLogger_t logfn;
ncclProfilerCallback_t fpn_proffn;

void fpn_log(int level, const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (logfn)
		logfn((ncclDebugLogLevel)level, NCCL_NET, file, line, "%s", msg);
	else if (level == NCCL_LOG_WARN || getenv("FLOWPLAN_DEBUG"))
		fprintf(stderr, "NET/flowplan: %s\n", msg);
}

/* errno -> what NCCL understands */
static ncclResult_t result_of(int err)
{
	switch (err) {
	case 0:
		return ncclSuccess;
	case EINVAL:
		return ncclInvalidArgument;
	case EMSGSIZE:
		return ncclInvalidUsage;
	case ENOMEM:
	case ENODEV:
	case EADDRNOTAVAIL:
	case EOPNOTSUPP:
	case ENOENT:
	case EPERM:
	case EMFILE:
		return ncclSystemError;
	case ETIMEDOUT:
	case ECONNRESET:
	case ECONNREFUSED:
	case ECANCELED:
	case EACCES:
	case ENOTCONN:
	case EHOSTUNREACH:
	case EPROTO:
	case EIO:
		return ncclRemoteError;
	default:
		return ncclSystemError;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long x;

	if (!v || !*v)
		return def;
	errno = 0;
	x = strtoul(v, &end, 0);
	if (errno || *end) {
		FPN_WARN("%s=%s is not a number; using %lu", name, v, def);
		return def;
	}
	return x;
}

/* -------------------------------------------------------------- devices */

struct fpn_dev {
	char ibv[64];
	char name[80];			/* "rxe0:1" */
	uint8_t port;
	int gid_index;
	int family;			/* AF_INET or AF_INET6 */
	struct fpn_ip addr;		/* the RoCEv2 GID's address */
	char addr_str[INET6_ADDRSTRLEN];
	char *pci;			/* realpath of the sysfs device, or NULL */
	uint64_t guid;
	int speed;			/* Mbit/s */
	int max_comms;
	int ptr_support;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_inits;
static int g_ndev = -1;
static struct fpn_dev g_dev[FPN_MAX_DEVS];

/* Port speed in Mbit/s from the IB width and speed codes. */
static int port_speed(const struct ibv_port_attr *pa)
{
	int lanes, mbps;

	switch (pa->active_width) {
	case 1:
		lanes = 1;
		break;
	case 2:
		lanes = 4;
		break;
	case 4:
		lanes = 8;
		break;
	case 8:
		lanes = 12;
		break;
	case 16:
		lanes = 2;
		break;
	default:
		lanes = 1;
		break;
	}
	switch (pa->active_speed) {
	case 1:
		mbps = 2500;
		break;
	case 2:
		mbps = 5000;
		break;
	case 4:
		mbps = 10000;
		break;
	case 8:
		mbps = 10000;
		break;
	case 16:
		mbps = 14000;
		break;
	case 32:
		mbps = 25000;
		break;
	case 64:
		mbps = 50000;
		break;
	case 128:
		mbps = 100000;
		break;
	default:
		mbps = 2500;
		break;
	}
	return lanes * mbps;
}

/* ------------------------------------------------------------ addresses */

static const uint8_t v4_prefix[12] = { [10] = 0xff, [11] = 0xff };

int fpn_ip_family(const struct fpn_ip *a)
{
	return memcmp(a->b, v4_prefix, sizeof(v4_prefix)) ? AF_INET6 : AF_INET;
}

int fpn_ip_parse(const char *s, struct fpn_ip *out)
{
	struct in_addr a4;

	memset(out, 0, sizeof(*out));
	if (s && inet_pton(AF_INET, s, &a4) == 1) {
		memcpy(out->b, v4_prefix, sizeof(v4_prefix));
		memcpy(&out->b[12], &a4, 4);
		return 0;
	}
	if (s && inet_pton(AF_INET6, s, out->b) == 1)
		return 0;
	return EINVAL;
}

const char *fpn_ip_str(const struct fpn_ip *a, char *buf, size_t len)
{
	if (fpn_ip_family(a) == AF_INET)
		return inet_ntop(AF_INET, &a->b[12], buf, (socklen_t)len);
	return inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
}

static socklen_t ip_sockaddr(const struct fpn_ip *a, uint16_t port,
			     struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (fpn_ip_family(a) == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, &a->b[12], 4);
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, a->b, 16);
	return sizeof(*s6);
}

static const char *family_name(int family)
{
	return family == AF_INET ? "AF_INET" :
	       family == AF_INET6 ? "AF_INET6" : "AF_UNSPEC";
}

int fpn_addr_family(int *family, const char **name, const char **value)
{
	static const char * const vars[] = { "FLOWPLAN_NCCL_ADDR_FAMILY",
					     "NCCL_IB_ADDR_FAMILY" };
	unsigned int i;

	*family = AF_UNSPEC;
	*name = *value = NULL;
	for (i = 0; i < 2; i++) {
		const char *v = getenv(vars[i]);

		if (!v || !*v)
			continue;
		*name = vars[i];
		*value = v;
		if (!strcmp(v, "AF_INET"))
			*family = AF_INET;
		else if (!strcmp(v, "AF_INET6"))
			*family = AF_INET6;
		else
			return EINVAL;
		return 0;
	}
	return 0;
}

/* A GID that is a usable address of @family. */
static bool gid_usable(const struct ibv_gid_entry *e, int family)
{
	const uint8_t *g = e->gid.raw;

	if (e->gid_type != IBV_GID_TYPE_ROCE_V2)
		return false;
	if (!memcmp(g, v4_prefix, sizeof(v4_prefix)))
		return family == AF_INET;
	if (family != AF_INET6)
		return false;
	/* libflowplan refuses these: link-local (needs a scope), multicast,
	 * unspecified
	 */
	if ((g[0] == 0xfe && (g[1] & 0xc0) == 0x80) || g[0] == 0xff)
		return false;
	for (int i = 0; i < 16; i++)
		if (g[i])
			return true;
	return false;
}

int fpn_gid_pick(const struct ibv_gid_entry *e, int n, int family,
		 struct fpn_ip *addr)
{
	int fams[2] = { family, AF_UNSPEC }, f, i;

	if (family == AF_UNSPEC) {
		fams[0] = AF_INET;
		fams[1] = AF_INET6;
	}
	for (f = 0; f < 2 && fams[f] != AF_UNSPEC; f++)
		for (i = 0; i < n; i++) {
			if (!gid_usable(&e[i], fams[f]))
				continue;
			memcpy(addr->b, e[i].gid.raw, 16);
			return (int)e[i].gid_index;
		}
	return -1;
}

int fpn_handle_check(const struct fpn_handle *h, int family, char *msg,
		     size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (h->magic != FPN_MAGIC || h->version != FPN_HANDLE_VERSION) {
		snprintf(msg, len, "not a flowplan handle of version %u (magic %#x version %u)",
			 FPN_HANDLE_VERSION, h->magic, h->version);
		return EPROTO;
	}
	if (fpn_ip_family(&h->addr) != family) {
		snprintf(msg, len, "the listener's address %s is %s, this device's %s (set FLOWPLAN_NCCL_ADDR_FAMILY alike on every rank)",
			 fpn_ip_str(&h->addr, a, sizeof(a)),
			 family_name(fpn_ip_family(&h->addr)),
			 family_name(family));
		return EAFNOSUPPORT;
	}
	return 0;
}

/* The GID (of @family) a device's port (v, port) uses, or -1. */
static int port_gid(struct ibv_context *v, uint8_t port, int tbl, int family,
		    struct fpn_ip *addr)
{
	struct ibv_gid_entry *e;
	int i, n = 0, gi;

	if (tbl <= 0)
		return -1;
	e = calloc((size_t)tbl, sizeof(*e));
	if (!e)
		return -1;
	for (i = 0; i < tbl; i++)
		if (!ibv_query_gid_ex(v, port, (uint32_t)i, &e[n], 0))
			n++;
	gi = fpn_gid_pick(e, n, family, addr);
	free(e);
	return gi;
}

static int scan_devices(int family)
{
	struct ibv_device **list;
	int i, n = 0, nd = 0;

	list = ibv_get_device_list(&n);
	for (i = 0; list && i < n && nd < FPN_MAX_DEVS; i++) {
		struct ibv_context *v = ibv_open_device(list[i]);
		struct ibv_device_attr da;
		uint8_t p;

		if (!v)
			continue;
		if (ibv_query_device(v, &da)) {
			ibv_close_device(v);
			continue;
		}
		for (p = 1; p <= da.phys_port_cnt && nd < FPN_MAX_DEVS; p++) {
			struct fpn_dev *d = &g_dev[nd];
			struct ibv_port_attr pa;
			char path[PATH_MAX];
			int gi;

			if (ibv_query_port(v, p, &pa) ||
			    pa.state != IBV_PORT_ACTIVE ||
			    pa.link_layer != IBV_LINK_LAYER_ETHERNET)
				continue;
			memset(d, 0, sizeof(*d));
			gi = port_gid(v, p, pa.gid_tbl_len, family, &d->addr);
			if (gi < 0)
				continue;
			d->family = fpn_ip_family(&d->addr);
			snprintf(d->ibv, sizeof(d->ibv), "%s",
				 ibv_get_device_name(list[i]));
			snprintf(d->name, sizeof(d->name), "%s:%u",
				 ibv_get_device_name(list[i]), p);
			d->port = p;
			d->gid_index = gi;
			fpn_ip_str(&d->addr, d->addr_str, sizeof(d->addr_str));
			snprintf(path, sizeof(path),
				 "/sys/class/infiniband/%s/device", d->ibv);
			d->pci = realpath(path, NULL);
			d->guid = be64toh(da.node_guid);
			d->speed = port_speed(&pa);
			/* Each comm: one CQ and at most 16 QPs. */
			d->max_comms = da.max_qp / FP_GROUP_MAX_SUBFLOWS;
			if (da.max_cq < d->max_comms)
				d->max_comms = da.max_cq;
			d->ptr_support = NCCL_PTR_HOST |
					 fpn_cuda_ptr_support(v);
			FPN_INFO("device %d: %s %s gid %d, %d Mbit/s%s%s", nd,
				 d->name, d->addr_str, gi, d->speed,
				 d->ptr_support & NCCL_PTR_CUDA ? ", GPUDirect" : "",
				 d->ptr_support & NCCL_PTR_DMABUF ? ", dmabuf" : "");
			nd++;
		}
		ibv_close_device(v);
	}
	if (list)
		ibv_free_device_list(list);
	return nd;
}

ncclResult_t fpn_init(ncclDebugLogger_t log, ncclProfilerCallback_t prof)
{
	const char *name, *value;
	int family;

	pthread_mutex_lock(&g_lock);
	if (log)
		logfn = log;
	if (prof)
		fpn_proffn = prof;
	if (fpn_addr_family(&family, &name, &value)) {
		pthread_mutex_unlock(&g_lock);
		FPN_WARN("%s=%s: the address family is AF_INET or AF_INET6",
			 name, value);
		return ncclInvalidArgument;
	}
	if (g_ndev < 0)
		g_ndev = scan_devices(family);
	g_inits++;
	pthread_mutex_unlock(&g_lock);
	if (!g_ndev)
		FPN_INFO("no active RoCEv2 port with %s",
			 family == AF_INET ? "an IPv4 address" :
			 family == AF_INET6 ? "a global IPv6 address" :
			 "an IPv4 or a global IPv6 address");
	else if (name)
		FPN_INFO("%s=%s: %s GIDs", name, value,
			 family == AF_INET ? "IPv4" : "IPv6");
	return ncclSuccess;
}

void fpn_fini(void)
{
	pthread_mutex_lock(&g_lock);
	g_inits--;
	pthread_mutex_unlock(&g_lock);
}

ncclResult_t fpn_devices(int *ndev)
{
	if (!ndev)
		return ncclInvalidArgument;
	*ndev = g_ndev < 0 ? 0 : g_ndev;
	return ncclSuccess;
}

ncclResult_t fpn_get_properties(int dev, ncclNetProperties_v11_t *props)
{
	struct fpn_dev *d;

	if (!props || dev < 0 || dev >= g_ndev)
		return ncclInvalidArgument;
	d = &g_dev[dev];
	memset(props, 0, sizeof(*props));
	props->name = d->name;
	props->pciPath = d->pci;
	props->guid = d->guid;
	props->ptrSupport = d->ptr_support;
	props->regIsGlobal = 0;		/* one context (PD) per comm */
	props->forceFlush = 0;
	props->speed = d->speed;
	props->port = d->port;
	props->latency = 0;
	props->maxComms = d->max_comms;
	props->maxRecvs = FPN_MAXRECVS;
	props->netDeviceType = NCCL_NET_DEVICE_HOST;
	props->netDeviceVersion = NCCL_NET_DEVICE_INVALID_VERSION;
	props->vProps.ndevs = 1;
	props->vProps.devs[0] = dev;
	/* test() reports sizes as int. */
	props->maxP2pBytes = 1ul << 30;
	props->maxCollBytes = 1ul << 30;
	props->maxMultiRequestSize = 1;
	return ncclSuccess;
}

/* ------------------------------------------------------------- contexts */

struct fpn_nctx {
	uint64_t comm_id;
	int tclass;
	pthread_mutex_t lock;
	bool attr_set;
	ncclNetAttr_v11_t attr;
};

static struct fpn_nctx default_nctx = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct fpn_nctx *fpn_nctx_default(void)
{
	return &default_nctx;
}

ncclResult_t fpn_nctx_new(uint64_t comm_id, int tclass, void **out)
{
	struct fpn_nctx *x = calloc(1, sizeof(*x));

	if (!x)
		return ncclSystemError;
	x->comm_id = comm_id;
	x->tclass = tclass;
	pthread_mutex_init(&x->lock, NULL);
	*out = x;
	return ncclSuccess;
}

ncclResult_t fpn_nctx_free(void *ctx)
{
	struct fpn_nctx *x = ctx;

	if (!x || x == &default_nctx)
		return ncclSuccess;
	pthread_mutex_destroy(&x->lock);
	free(x);
	return ncclSuccess;
}

ncclResult_t fpn_set_attr(void *ctx, const ncclNetAttr_v11_t *attr)
{
	struct fpn_nctx *x = ctx ? ctx : &default_nctx;

	if (!attr)
		return ncclInvalidArgument;
	pthread_mutex_lock(&x->lock);
	x->attr = *attr;
	x->attr_set = true;
	pthread_mutex_unlock(&x->lock);
	return ncclSuccess;
}

/*
 * The split threshold of a new comm from NCCL's hints. A connection of a
 * collective (ring, tree: few peers, large messages) cuts every message of
 * FPN_SPLIT_COLL or more over its subflows by the plan's weights. One of a
 * many-peer point-to-point pattern (all-to-all, scatter, gather, send/recv
 * to many concurrent peers) has the NIC busy with other flows already:
 * its messages go whole, each on one subflow, spread over them in
 * proportion to the weights, which keeps the plan's shares without the
 * cost of chunks. FLOWPLAN_NCCL_SPLIT_MIN overrides.
 */
#define FPN_SPLIT_COLL	(64u << 10)
#define FPN_SPLIT_P2P	(4u << 20)

static uint64_t split_for(struct fpn_nctx *x, bool send)
{
	const uint32_t coll = 1u << ncclFuncBroadcast | 1u << ncclFuncReduce |
			      1u << ncclFuncAllGather |
			      1u << ncclFuncReduceScatter |
			      1u << ncclFuncAllReduce;
	uint64_t v = FPN_SPLIT_COLL;

	if (getenv("FLOWPLAN_NCCL_SPLIT_MIN"))
		return env_ul("FLOWPLAN_NCCL_SPLIT_MIN", FPN_SPLIT_COLL);
	pthread_mutex_lock(&x->lock);
	if (x->attr_set) {
		const ncclNetCommAttr_v11_t *a = send ? &x->attr.sendCommAttr :
						 &x->attr.recvCommAttr;

		if (x->attr.op != (uint32_t)NCCL_NET_ATTR_UNDEF &&
		    !(x->attr.op & coll) && a->maxConcurrentPeers > 1)
			v = FPN_SPLIT_P2P;
	}
	pthread_mutex_unlock(&x->lock);
	return v;
}

/* --------------------------------------------------------------- comms */

/* One CTS entry, written by the receiver into the sender's buffer. */
struct fpn_cts {
	uint64_t addr;
	uint64_t size;
	uint32_t rkey;
	int32_t tag;
	uint32_t n;
	uint32_t mark;			/* cts_mark(seq): written with the rest */
};

/* The control buffer; both sides have one, same layout. */
struct fpn_ctl {
	struct fpn_cts cts[FPN_NREQ][FPN_MAXRECVS];
	uint64_t fin[FPN_NREQ][FPN_MAXRECVS];
	uint8_t probe[FPN_PROBE];
};

static uint32_t cts_mark(uint64_t seq)
{
	return 0x80000000u | (uint32_t)(seq & 0x7fffffff);
}

#define FIN_SIZE_BITS	48
#define FIN_SIZE_MASK	((1ull << FIN_SIZE_BITS) - 1)

static uint64_t fin_word(uint64_t seq, uint64_t size)
{
	return (uint64_t)(0x8000u | (seq & 0x7fff)) << FIN_SIZE_BITS | size;
}

/* wr_id: kind in the top byte, an index below */
enum { WR_DATA = 1, WR_FIN, WR_CTS, WR_PROBE };
#define WRID(kind, idx)	((uint64_t)(kind) << 56 | (uint64_t)(idx))

struct fpn_mr {
	struct fp_buf *buf;
	char *base;
	size_t len;
	int type;
	struct fp_rbuf rb;
	struct fpn_mr *next;
};

struct fpn_req {
	struct fpn_comm *c;
	bool used, send, failed;
	/* send */
	uint64_t seq;
	unsigned int slot, ent;
	size_t size;
	bool data_done, fin_posted, fin_pending, fin_done;
	void *ev;			/* profiler event */
	void *phandle;
	struct fpn_prof_net pd;
	/* receive */
	int n;
	bool cts_done;
	int sizes[FPN_MAXRECVS];
};

struct fpn_comm {
	uint32_t magic;
	bool send;
	int dev;
	struct fp_ctx *ctx;
	struct fp_group *g;
	struct fp_buf *ctlbuf;
	struct fpn_ctl *ctl;
	struct fp_rbuf peer_ctl;
	struct fpn_mr *mrs;
	struct fpn_ip local, peer;
	unsigned int k;
	uint64_t split_min;
	uint64_t head;			/* send: next CTS; recv: next irecv */
	struct fpn_req req[FPN_NREQ];	/* recv: req[slot] */
	struct fpn_req *busy[FPN_NREQ][FPN_MAXRECVS];	/* send */
	unsigned int inflight;
	int error;
	bool warned;
	bool waiting;			/* send: isend found no CTS */
	bool probing;
	uint64_t ka_ns, ka_last;
	uint64_t msgs, bytes, probes;
};

#define COMM_MAGIC	0x4d4f4346u

static void comm_fail(struct fpn_comm *c, int err, const char *what)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (!c->error)
		c->error = err ? err : EIO;
	if (c->warned)
		return;
	c->warned = true;
	fpn_ip_str(&c->local, a, sizeof(a));
	fpn_ip_str(&c->peer, b, sizeof(b));
	FPN_WARN("%s comm %s -> %s (%s): %s: %s", c->send ? "send" : "recv",
		 a, b, g_dev[c->dev].name, what, strerror(c->error));
}

static void comm_free(struct fpn_comm *c)
{
	struct fpn_mr *m, *n;

	if (!c)
		return;
	for (m = c->mrs; m; m = n) {
		n = m->next;
		fp_buf_free(m->buf);
		free(m);
	}
	if (c->g)
		fp_group_close(c->g);
	if (c->ctlbuf)
		fp_buf_free(c->ctlbuf);
	if (c->ctx && fp_ctx_close(c->ctx))
		FPN_WARN("closing a comm's context: %s", strerror(EBUSY));
	c->magic = 0;
	free(c);
}

struct fpn_hello {
	uint32_t magic;
	uint16_t version;
	uint16_t send;
	uint32_t nreq;
	uint32_t maxrecvs;
	struct fp_rbuf ctl;
};

/* ------------------------------------------------------- connection setup */

_Static_assert(sizeof(struct fpn_handle) <= NCCL_NET_HANDLE_MAXSIZE,
	       "NCCL's connect handle holds 128 bytes");

struct fpn_setup {
	pthread_mutex_t lock;
	int refs;			/* the thread and its owner */
	bool done;
	int err;
	char what[160];
	struct fpn_comm *comm;
	/* inputs */
	bool listen;
	int dev;
	struct fpn_ip peer, boot;
	uint16_t port;
	uint64_t split_min;
	uint32_t comm_id;
};

struct fpn_listen {
	uint32_t magic;
	int dev;
	int fd;				/* holds the port between accepts */
	struct fpn_ip boot;
	uint16_t port;
	struct fpn_nctx *nctx;
	struct fpn_setup *acc;
};

#define LISTEN_MAGIC	0x4e534c46u

static void setup_put(struct fpn_setup *s)
{
	bool last;

	pthread_mutex_lock(&s->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (!last)
		return;
	comm_free(s->comm);		/* never collected */
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int setup_comm(struct fpn_setup *s, struct fpn_comm **out)
{
	struct fpn_dev *d = &g_dev[s->dev];
	char peer[INET6_ADDRSTRLEN], boot[INET6_ADDRSTRLEN];
	struct fp_group_info gi;
	struct fpn_hello me, them;
	struct fpn_comm *c;
	unsigned int i;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->magic = COMM_MAGIC;
	c->send = !s->listen;
	c->dev = s->dev;
	c->split_min = s->split_min;
	c->ka_ns = env_ul("FLOWPLAN_NCCL_KEEPALIVE_MS", 1000) * 1000000ull;
	for (i = 0; i < FPN_NREQ; i++)
		c->req[i].c = c;

	snprintf(s->what, sizeof(s->what), "libflowplan context");
	c->ctx = fp_ctx_open(&(struct fp_ctx_attr){
		.dev = d->ibv,
		.flags = FP_CTX_NO_REPORT,
		.comm = s->comm_id,
	});
	if (!c->ctx)
		goto err_errno;
	fpn_ip_str(&s->peer, peer, sizeof(peer));
	fpn_ip_str(&s->boot, boot, sizeof(boot));
	snprintf(s->what, sizeof(s->what), "flow group %s %s (bootstrap %s:%u)",
		 s->listen ? "from" : "to", s->listen ? "any" : peer, boot,
		 s->port);
	c->g = fp_group_connect(c->ctx, &(struct fp_group_attr){
		.peer = s->listen ? NULL : peer,
		.local = d->addr_str,
		.port = s->port,
		.bootstrap = memcmp(&s->boot, s->listen ? &d->addr : &s->peer,
				    sizeof(s->boot)) ? boot : NULL,
		.flags = s->listen ? FP_GROUP_LISTEN : 0,
		.max_msgs = 1024,
		.split_min = s->split_min,
		.connect_timeout_ms = (unsigned int)env_ul(
			"FLOWPLAN_NCCL_CONNECT_TIMEOUT_MS", 120000),
		/* NCCL_IB_TIMEOUT's default: 4.096 us * 2^20, about 4 s */
		.qp_timeout = (uint8_t)env_ul("FLOWPLAN_NCCL_IB_TIMEOUT", 20),
	});
	if (!c->g)
		goto err_errno;
	snprintf(s->what, sizeof(s->what), "control buffer");
	c->ctlbuf = fp_buf_alloc(c->ctx, sizeof(struct fpn_ctl), NULL);
	if (!c->ctlbuf)
		goto err_errno;
	c->ctl = fp_buf_addr(c->ctlbuf);
	me = (struct fpn_hello){ .magic = FPN_MAGIC, .version = FPN_VERSION,
				 .send = c->send, .nreq = FPN_NREQ,
				 .maxrecvs = FPN_MAXRECVS };
	ret = fp_buf_export(c->g, c->ctlbuf, &me.ctl);
	if (ret)
		goto err;
	snprintf(s->what, sizeof(s->what), "control exchange");
	ret = fp_group_xchg(c->g, &me, &them, sizeof(me));
	if (ret)
		goto err;
	if (them.magic != FPN_MAGIC || them.version != FPN_VERSION ||
	    them.send == me.send || them.nreq != FPN_NREQ ||
	    them.maxrecvs != FPN_MAXRECVS) {
		ret = EPROTO;
		goto err;
	}
	c->peer_ctl = them.ctl;
	ret = fp_group_query(c->g, &gi);
	if (ret)
		goto err;
	c->k = gi.k;
	if (fpn_ip_parse(gi.local, &c->local) ||
	    fpn_ip_parse(gi.peer, &c->peer)) {
		ret = EPROTO;
		goto err;
	}
	FPN_INFO("%s comm %s -> %s on %s: %u subflows, split from %" PRIu64
		 " bytes", c->send ? "send" : "recv", gi.local, gi.peer,
		 d->name, c->k, c->split_min);
	*out = c;
	return 0;

err_errno:
	ret = errno ? errno : EIO;
err:
	comm_free(c);
	return ret;
}

static void *setup_thread(void *arg)
{
	struct fpn_setup *s = arg;
	struct fpn_comm *c = NULL;
	int ret = setup_comm(s, &c);

	pthread_mutex_lock(&s->lock);
	s->err = ret;
	s->comm = c;
	__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&s->lock);
	setup_put(s);
	return NULL;
}

static int setup_start(struct fpn_setup *s)
{
	pthread_attr_t a;
	pthread_t t;
	int ret;

	pthread_mutex_init(&s->lock, NULL);
	s->refs = 2;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&t, &a, setup_thread, s);
	pthread_attr_destroy(&a);
	if (ret) {
		pthread_mutex_destroy(&s->lock);
		return ret;
	}
	return 0;
}

/* Done: 1 and *comm (or an error), else 0. */
static int setup_poll(struct fpn_setup *s, struct fpn_comm **comm, int *err)
{
	if (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&s->lock);
	*comm = s->comm;
	*err = s->err;
	s->comm = NULL;
	pthread_mutex_unlock(&s->lock);
	return 1;
}

/* The bootstrap address (either family, whatever the RDMA one's), or EINVAL. */
static int boot_addr(const struct fpn_dev *d, struct fpn_ip *a)
{
	const char *b = getenv("FLOWPLAN_NCCL_BOOTSTRAP");

	if (b && *b) {
		if (!fpn_ip_parse(b, a))
			return 0;
		FPN_WARN("FLOWPLAN_NCCL_BOOTSTRAP=%s is not an IPv4 or IPv6 address",
			 b);
		return EINVAL;
	}
	*a = d->addr;
	return 0;
}

ncclResult_t fpn_listen(void *ctx, int dev, void *handle, void **listen)
{
	struct fpn_handle *h = handle;
	struct sockaddr_storage sa;
	socklen_t sl;
	struct fpn_listen *l;
	int one = 1;

	if (!handle || !listen || dev < 0 || dev >= g_ndev)
		return ncclInvalidArgument;
	l = calloc(1, sizeof(*l));
	if (!l)
		return ncclSystemError;
	l->magic = LISTEN_MAGIC;
	l->dev = dev;
	l->nctx = ctx ? ctx : &default_nctx;
	if (boot_addr(&g_dev[dev], &l->boot)) {
		free(l);
		return ncclInvalidArgument;
	}
	sl = ip_sockaddr(&l->boot, 0, &sa);
	/*
	 * Hold a port: bound, not listening, SO_REUSEADDR. Each accept binds
	 * its own listener to it (libflowplan), one connection at a time.
	 */
	l->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0 ||
	    setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l->fd, (struct sockaddr *)&sa, sl) ||
	    getsockname(l->fd, (struct sockaddr *)&sa, &sl)) {
		FPN_WARN("listen on %s: %s", g_dev[dev].name, strerror(errno));
		if (l->fd >= 0)
			close(l->fd);
		free(l);
		return ncclSystemError;
	}
	l->port = ntohs(sa.ss_family == AF_INET ?
			((struct sockaddr_in *)&sa)->sin_port :
			((struct sockaddr_in6 *)&sa)->sin6_port);
	memset(h, 0, NCCL_NET_HANDLE_MAXSIZE);
	h->magic = FPN_MAGIC;
	h->version = FPN_HANDLE_VERSION;
	h->addr = g_dev[dev].addr;
	h->boot = l->boot;
	h->port = l->port;
	*listen = l;
	return ncclSuccess;
}

ncclResult_t fpn_connect(void *ctx, int dev, void *handle, void **send)
{
	struct fpn_handle *h = handle;
	struct fpn_nctx *x = ctx ? ctx : &default_nctx;
	struct fpn_setup *s;
	struct fpn_comm *c;
	char msg[200];
	int err;

	if (!h || !send || dev < 0 || dev >= g_ndev)
		return ncclInvalidArgument;
	*send = NULL;
	if (fpn_handle_check(h, g_dev[dev].family, msg, sizeof(msg))) {
		FPN_WARN("connect on %s: %s", g_dev[dev].name, msg);
		return ncclInvalidUsage;
	}
	s = h->stage;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return ncclSystemError;
		s->dev = dev;
		s->peer = h->addr;
		s->boot = h->boot;
		s->port = h->port;
		s->split_min = split_for(x, true);
		s->comm_id = (uint32_t)x->comm_id;
		if (setup_start(s)) {
			free(s);
			return ncclSystemError;
		}
		h->stage = s;
		return ncclSuccess;
	}
	if (!setup_poll(s, &c, &err))
		return ncclSuccess;
	h->stage = NULL;
	if (err)
		FPN_WARN("connect on %s: %s: %s", g_dev[dev].name, s->what,
			 strerror(err));
	setup_put(s);
	if (err)
		return result_of(err);
	*send = c;
	return ncclSuccess;
}

ncclResult_t fpn_accept(void *listen, void **recv)
{
	struct fpn_listen *l = listen;
	struct fpn_setup *s;
	struct fpn_comm *c;
	int err;

	if (!l || l->magic != LISTEN_MAGIC || !recv)
		return ncclInvalidArgument;
	*recv = NULL;
	s = l->acc;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return ncclSystemError;
		s->listen = true;
		s->dev = l->dev;
		s->boot = l->boot;
		s->port = l->port;
		s->split_min = split_for(l->nctx, false);
		s->comm_id = (uint32_t)l->nctx->comm_id;
		if (setup_start(s)) {
			free(s);
			return ncclSystemError;
		}
		l->acc = s;
		return ncclSuccess;
	}
	if (!setup_poll(s, &c, &err))
		return ncclSuccess;
	l->acc = NULL;
	if (err)
		FPN_WARN("accept on %s: %s: %s", g_dev[l->dev].name, s->what,
			 strerror(err));
	setup_put(s);
	if (err)
		return result_of(err);
	*recv = c;
	return ncclSuccess;
}

ncclResult_t fpn_close_listen(void *listen)
{
	struct fpn_listen *l = listen;

	if (!l || l->magic != LISTEN_MAGIC)
		return ncclInvalidArgument;
	/* An accept still running finishes on its own and frees its comm. */
	if (l->acc)
		setup_put(l->acc);
	close(l->fd);
	l->magic = 0;
	free(l);
	return ncclSuccess;
}

/* ------------------------------------------------------------- memory */

static struct fpn_comm *comm_of(void *comm)
{
	struct fpn_comm *c = comm;

	return c && c->magic == COMM_MAGIC ? c : NULL;
}

static ncclResult_t reg(struct fpn_comm *c, void *data, size_t size, int type,
			void **mhandle)
{
	struct fp_buf_attr a = { .kind = FP_MEM_HOST, .nic = g_dev[c->dev].ibv };
	struct fp_buf_info bi;
	struct fpn_mr *m;
	int ret;

	if (!data || !size || !mhandle ||
	    (type != NCCL_PTR_HOST && type != NCCL_PTR_CUDA))
		return ncclInvalidArgument;
	if (type == NCCL_PTR_CUDA) {
		if (!(g_dev[c->dev].ptr_support & NCCL_PTR_CUDA)) {
			FPN_WARN("regMr: GPU memory but %s has no GPUDirect (ptrSupport said so)",
				 g_dev[c->dev].name);
			return ncclInvalidUsage;
		}
		a.kind = FP_MEM_CUDA;
		ret = fpn_cuda_gpu_of(data, &a.gpu);
		if (ret) {
			FPN_WARN("regMr: which GPU holds %p: %s", data,
				 strerror(ret));
			return ncclSystemError;
		}
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return ncclSystemError;
	m->buf = fp_buf_reg(c->ctx, data, size, &a);
	if (!m->buf) {
		ret = errno;
		FPN_WARN("regMr %p+%zu (%s) on %s: %s", data, size,
			 type == NCCL_PTR_CUDA ? "GPU" : "host",
			 g_dev[c->dev].name, strerror(ret));
		free(m);
		return result_of(ret);
	}
	if (type == NCCL_PTR_CUDA && !fp_buf_query(m->buf, &bi) &&
	    bi.reg == FP_REG_STAGED) {
		/* NCCL copies through host memory itself, faster. */
		FPN_WARN("regMr: GPU memory on %s only through staging",
			 g_dev[c->dev].name);
		fp_buf_free(m->buf);
		free(m);
		return ncclSystemError;
	}
	ret = fp_buf_export(c->g, m->buf, &m->rb);
	if (ret) {
		fp_buf_free(m->buf);
		free(m);
		return result_of(ret);
	}
	m->base = data;
	m->len = size;
	m->type = type;
	m->next = c->mrs;
	c->mrs = m;
	*mhandle = m;
	return ncclSuccess;
}

ncclResult_t fpn_reg_mr(void *comm, void *data, size_t size, int type,
			void **mhandle)
{
	struct fpn_comm *c = comm_of(comm);

	return c ? reg(c, data, size, type, mhandle) : ncclInvalidArgument;
}

/*
 * NCCL hands a dma-buf fd of the range; libflowplan exports its own from
 * the CUDA driver (lib/flowplan/gpu.c: dma-buf, else peer memory), so the
 * fd is not needed. Host memory comes this way with fd -1.
 */
ncclResult_t fpn_reg_mr_dmabuf(void *comm, void *data, size_t size, int type,
			       uint64_t offset, int fd, void **mhandle)
{
	(void)offset;
	(void)fd;
	return fpn_reg_mr(comm, data, size, type, mhandle);
}

ncclResult_t fpn_dereg_mr(void *comm, void *mhandle)
{
	struct fpn_comm *c = comm_of(comm);
	struct fpn_mr **p;

	if (!c || !mhandle)
		return ncclInvalidArgument;
	for (p = &c->mrs; *p; p = &(*p)->next) {
		struct fpn_mr *m = *p;

		if (m != mhandle)
			continue;
		*p = m->next;
		fp_buf_free(m->buf);
		free(m);
		return ncclSuccess;
	}
	return ncclInvalidArgument;
}

/* ------------------------------------------------------------- progress */

static size_t ctl_off(const struct fpn_comm *c, const void *p)
{
	return (size_t)((const char *)p - (const char *)c->ctl);
}

static int post_ctl(struct fpn_comm *c, const void *p, size_t len,
		    uint64_t wr_id)
{
	size_t off = ctl_off(c, p);

	return fp_post_write(c->g, c->ctlbuf, off, len, &c->peer_ctl, off,
			     wr_id);
}

static void post_fin(struct fpn_comm *c, struct fpn_req *r)
{
	uint64_t *w = &c->ctl->fin[r->slot][r->ent];
	int ret;

	*w = fin_word(r->seq, r->size);
	ret = post_ctl(c, w, sizeof(*w), WRID(WR_FIN, r - c->req));
	if (ret == EAGAIN) {
		r->fin_pending = true;
		return;
	}
	r->fin_pending = false;
	if (ret) {
		r->failed = true;
		comm_fail(c, ret, "posting the FIN write");
		return;
	}
	r->fin_posted = true;
}

static void complete(struct fpn_comm *c, const struct fp_wc *wc)
{
	unsigned int kind = (unsigned int)(wc->wr_id >> 56);
	unsigned int idx = (unsigned int)(wc->wr_id & 0xffffffffu);
	struct fpn_req *r = idx < FPN_NREQ ? &c->req[idx] : NULL;

	if (wc->status) {
		if (r && kind != WR_PROBE)
			r->failed = true;
		if (kind == WR_PROBE)
			c->probing = false;
		comm_fail(c, wc->status, kind == WR_DATA ? "data write" :
			  kind == WR_FIN ? "FIN write" :
			  kind == WR_CTS ? "CTS write" : "keep-alive probe");
		return;
	}
	switch (kind) {
	case WR_DATA:
		if (r && r->used) {
			r->data_done = true;
			post_fin(c, r);
		}
		break;
	case WR_FIN:
		if (r && r->used)
			r->fin_done = true;
		break;
	case WR_CTS:
		if (r && r->used)
			r->cts_done = true;
		break;
	case WR_PROBE:
		c->probing = false;
		break;
	}
}

static bool peer_waited(const struct fpn_comm *c)
{
	return c->send ? c->waiting : c->inflight > 0;
}

/*
 * While this side waits on its peer, a 64-byte write now and then: one
 * subflow each time, in turn (libflowplan spreads unsplit messages over
 * the subflows by weight), so every path is tried; a dead one or a peer
 * gone fails the comm instead of leaving NCCL waiting forever.
 */
static void keepalive(struct fpn_comm *c)
{
	uint64_t now;
	int ret;

	if (c->error || c->probing || !c->ka_ns || !peer_waited(c))
		return;
	now = now_ns();
	if (!c->ka_last) {
		c->ka_last = now;
		return;
	}
	if (now - c->ka_last < c->ka_ns)
		return;
	c->ka_last = now;
	ret = post_ctl(c, c->ctl->probe, FPN_PROBE, WRID(WR_PROBE, 0));
	if (ret == EAGAIN)
		return;
	if (ret) {
		comm_fail(c, ret, "posting a keep-alive probe");
		return;
	}
	c->probing = true;
	c->probes++;
}

static void progress(struct fpn_comm *c)
{
	struct fp_wc wc[32];
	int n, i;

	do {
		n = fp_poll(c->g, wc, 32);
		if (n < 0) {
			comm_fail(c, -n, "polling the flow group");
			return;
		}
		for (i = 0; i < n; i++)
			complete(c, &wc[i]);
	} while (n == 32);
	if (c->send && !c->error)
		for (i = 0; i < FPN_NREQ; i++)
			if (c->req[i].used && c->req[i].fin_pending)
				post_fin(c, &c->req[i]);
	keepalive(c);
}

/* ----------------------------------------------------------------- send */

static ncclResult_t comm_error(struct fpn_comm *c)
{
	return c->error ? result_of(c->error == EMSGSIZE ? EIO : c->error) :
			  ncclSuccess;
}

ncclResult_t fpn_isend(void *comm, void *data, size_t size, int tag,
		       void *mhandle, void *phandle, void **request)
{
	struct fpn_comm *c = comm_of(comm);
	struct fpn_mr *m = mhandle;
	struct fpn_cts *e;	/* read after its mark's acquire load */
	struct fpn_req *r = NULL;
	unsigned int slot, n, i, ent;
	uint32_t mark;
	int ret;

	if (!c || !c->send || !request)
		return ncclInvalidArgument;
	*request = NULL;
	progress(c);
	if (c->error)
		return comm_error(c);
	slot = (unsigned int)(c->head % FPN_NREQ);
	mark = cts_mark(c->head);
	e = c->ctl->cts[slot];
	if (__atomic_load_n(&e[0].mark, __ATOMIC_ACQUIRE) != mark) {
		c->waiting = true;
		return ncclSuccess;
	}
	n = e[0].n;
	if (!n || n > FPN_MAXRECVS) {
		comm_fail(c, EPROTO, "a CTS slot names a bad receive count");
		return ncclInternalError;
	}
	for (i = 1; i < n; i++)
		if (__atomic_load_n(&e[i].mark, __ATOMIC_ACQUIRE) != mark) {
			c->waiting = true;
			return ncclSuccess;
		}
	c->waiting = false;
	for (ent = 0; ent < n; ent++)
		if (e[ent].tag == tag && !c->busy[slot][ent])
			break;
	if (ent == n)
		return ncclSuccess;	/* not this one's turn yet */
	if (size > e[ent].size) {
		FPN_WARN("isend of %zu bytes with tag %d: the receive posted only %" PRIu64 " (NCCL calls do not match)",
			 size, tag, (uint64_t)e[ent].size);
		return ncclInvalidUsage;
	}
	if (size && (!m || (char *)data < m->base ||
		     (char *)data + size > m->base + m->len))
		return ncclInvalidArgument;
	for (i = 0; i < FPN_NREQ; i++)
		if (!c->req[i].used) {
			r = &c->req[i];
			break;
		}
	if (!r)
		return ncclSuccess;	/* all requests in flight */
	*r = (struct fpn_req){ .c = c, .used = true, .send = true,
			       .seq = c->head, .slot = slot, .ent = ent,
			       .size = size };
	if (size) {
		struct fp_rbuf rb = { .addr = e[ent].addr, .len = e[ent].size,
				      .rkey = e[ent].rkey };

		ret = fp_post_write(c->g, m->buf, (size_t)((char *)data - m->base),
				    size, &rb, 0, WRID(WR_DATA, i));
		if (ret == EAGAIN) {
			r->used = false;
			return ncclSuccess;
		}
		if (ret) {
			r->used = false;
			comm_fail(c, ret, "posting the data write");
			return comm_error(c);
		}
	} else {
		r->data_done = true;
		post_fin(c, r);
		if (c->error) {
			r->used = false;
			return comm_error(c);
		}
	}
	c->busy[slot][ent] = r;
	c->inflight++;
	for (i = 0; i < n; i++)
		if (!c->busy[slot][i])
			break;
	if (i == n)
		c->head++;
	if (fpn_proffn && phandle) {
		r->pd = (struct fpn_prof_net){ .magic = FPN_PROF_MAGIC,
					       .op = FP_OP_SEND, .k = c->k,
					       .family = (uint16_t)fpn_ip_family(&c->local),
					       .bytes = size };
		if (r->pd.family == AF_INET) {
			memcpy(&r->pd.src, &c->local.b[12], 4);
			memcpy(&r->pd.dst, &c->peer.b[12], 4);
		}
		memcpy(r->pd.src6, c->local.b, 16);
		memcpy(r->pd.dst6, c->peer.b, 16);
		r->phandle = phandle;
		fpn_proffn(&r->ev, ncclProfilerNetEventStart, phandle,
			   FPN_PROF_ID, &r->pd);
	}
	*request = r;
	return ncclSuccess;
}

/* -------------------------------------------------------------- receive */

ncclResult_t fpn_irecv(void *comm, int n, void **data, size_t *sizes,
		       int *tags, void **mhandles, void **phandles,
		       void **request)
{
	struct fpn_comm *c = comm_of(comm);
	struct fpn_cts *e;
	struct fpn_req *r;
	unsigned int slot;
	int i, ret;

	(void)phandles;
	if (!c || c->send || !request || n < 1 || n > FPN_MAXRECVS ||
	    !data || !sizes || !tags || !mhandles)
		return ncclInvalidArgument;
	*request = NULL;
	progress(c);
	if (c->error)
		return comm_error(c);
	slot = (unsigned int)(c->head % FPN_NREQ);
	r = &c->req[slot];
	if (r->used)
		return ncclSuccess;	/* that slot's request is not done */
	e = c->ctl->cts[slot];
	for (i = 0; i < n; i++) {
		struct fpn_mr *m = mhandles[i];

		if (sizes[i] && (!m || (char *)data[i] < m->base ||
				 (char *)data[i] + sizes[i] > m->base + m->len))
			return ncclInvalidArgument;
		if (sizes[i] > FIN_SIZE_MASK)
			return ncclInvalidArgument;
		e[i] = (struct fpn_cts){
			.addr = m ? m->rb.addr + (uint64_t)((char *)data[i] -
							    m->base) : 0,
			.size = sizes[i],
			.rkey = m ? m->rb.rkey : 0,
			.tag = tags[i],
			.n = (uint32_t)n,
			.mark = cts_mark(c->head),
		};
		c->ctl->fin[slot][i] = 0;
	}
	*r = (struct fpn_req){ .c = c, .used = true, .seq = c->head,
			       .slot = slot, .n = n };
	ret = post_ctl(c, e, (size_t)n * sizeof(*e), WRID(WR_CTS, slot));
	if (ret == EAGAIN) {
		r->used = false;
		return ncclSuccess;
	}
	if (ret) {
		r->used = false;
		comm_fail(c, ret, "posting the CTS write");
		return comm_error(c);
	}
	c->head++;
	c->inflight++;
	*request = r;
	return ncclSuccess;
}

/* Flush: GPU memory is made visible by the CUDA driver; host needs none. */
ncclResult_t fpn_iflush(void *comm, int n, void **data, int *sizes,
			void **mhandles, void **request)
{
	struct fpn_comm *c = comm_of(comm);
	int i, ret;

	(void)data;
	(void)sizes;
	if (!c || c->send || !request || n < 0)
		return ncclInvalidArgument;
	*request = NULL;
	for (i = 0; i < n; i++) {
		struct fpn_mr *m = mhandles ? mhandles[i] : NULL;

		if (!m || m->type != NCCL_PTR_CUDA)
			continue;
		ret = fpn_cuda_flush();
		if (ret) {
			FPN_WARN("flush of GPU memory: %s", strerror(ret));
			return ncclSystemError;
		}
		break;
	}
	return ncclSuccess;
}

static bool recv_done(struct fpn_comm *c, struct fpn_req *r)
{
	uint16_t want = (uint16_t)(0x8000u | (r->seq & 0x7fff));
	int i;

	if (!r->cts_done)
		return false;
	for (i = 0; i < r->n; i++) {
		uint64_t w = __atomic_load_n(&c->ctl->fin[r->slot][i],
					     __ATOMIC_ACQUIRE);

		if ((uint16_t)(w >> FIN_SIZE_BITS) != want)
			return false;
		r->sizes[i] = (int)(w & FIN_SIZE_MASK);
	}
	return true;
}

/*
 * A receive whose FINs all arrived is complete even if the comm failed
 * since: the sender writes a FIN only once its data writes completed. A
 * sender that finished and left fails this side's next keep-alive probe;
 * a receiver slower than it (descheduled while the sender sent it all)
 * must still hand out what it received, not ncclRemoteError.
 */
static bool arrived(struct fpn_comm *c, struct fpn_req *r)
{
	return !r->send && !r->failed && recv_done(c, r);
}

ncclResult_t fpn_test(void *request, int *done, int *sizes)
{
	struct fpn_req *r = request;
	struct fpn_comm *c;
	int i;

	if (!r || !r->used || !done)
		return ncclInvalidArgument;
	c = r->c;
	*done = 0;
	progress(c);
	if ((r->failed || c->error) && !arrived(c, r)) {
		if (r->ev && fpn_proffn) {
			r->pd.status = c->error;
			fpn_proffn(&r->ev, ncclProfilerNetEventUpdateAndStop,
				   r->phandle, FPN_PROF_ID, &r->pd);
			r->ev = NULL;
		}
		return comm_error(c) ? comm_error(c) : ncclRemoteError;
	}
	if (r->send) {
		if (!r->data_done || !r->fin_done)
			return ncclSuccess;
		if (sizes)
			sizes[0] = (int)r->size;
		c->bytes += r->size;
		c->msgs++;
		c->busy[r->slot][r->ent] = NULL;
		if (r->ev && fpn_proffn) {
			fpn_proffn(&r->ev, ncclProfilerNetEventUpdateAndStop,
				   r->phandle, FPN_PROF_ID, &r->pd);
			r->ev = NULL;
		}
	} else {
		if (!recv_done(c, r))
			return ncclSuccess;
		for (i = 0; i < r->n; i++) {
			if (sizes)
				sizes[i] = r->sizes[i];
			c->bytes += (uint64_t)r->sizes[i];
		}
		c->msgs++;
	}
	r->used = false;
	c->inflight--;
	c->ka_last = 0;
	*done = 1;
	return ncclSuccess;
}

/* ---------------------------------------------------------------- close */

ncclResult_t fpn_close(void *comm)
{
	struct fpn_comm *c = comm_of(comm);

	if (!c)
		return ncclInvalidArgument;
	comm_free(c);
	return ncclSuccess;
}

/* Test hook: see fpn.h. */
__attribute__((visibility("default")))
int flowplan_nccl_comm_info(void *comm, struct fpn_comm_info *out)
{
	struct fpn_comm *c = comm_of(comm);
	struct fp_group_info gi;
	unsigned int i;

	if (!c || !out || fp_group_query(c->g, &gi))
		return EINVAL;
	memset(out, 0, sizeof(*out));
	out->send = c->send;
	out->k = gi.k;
	out->split_min = c->split_min;
	out->error = c->error ? c->error : gi.error;
	out->family = fpn_ip_family(&c->local);
	fpn_ip_str(&c->local, out->local, sizeof(out->local));
	fpn_ip_str(&c->peer, out->peer, sizeof(out->peer));
	for (i = 0; i < gi.k && i < 16; i++) {
		out->sport[i] = gi.sub[i].sport;
		out->weight[i] = gi.sub[i].weight;
	}
	out->msgs = c->msgs;
	out->bytes = c->bytes;
	out->probes = c->probes;
	return 0;
}

/*
 * For lib/nccl/bench/bench_req.c only (not exported): a comm around a flow
 * group and control buffer built by hand on a provider stub, and a memory
 * handle around a buffer registered there, so that callgrind can count the
 * plugin's own instructions per request.
 */
void *fpn_bench_comm(struct fp_ctx *ctx, struct fp_group *g,
		     struct fp_buf *ctl, const struct fp_rbuf *peer_ctl,
		     bool send, unsigned int k);
void *fpn_bench_comm(struct fp_ctx *ctx, struct fp_group *g,
		     struct fp_buf *ctl, const struct fp_rbuf *peer_ctl,
		     bool send, unsigned int k)
{
	struct fpn_comm *c = calloc(1, sizeof(*c));
	unsigned int i;

	if (!c)
		return NULL;
	c->magic = COMM_MAGIC;
	c->send = send;
	c->ctx = ctx;
	c->g = g;
	c->ctlbuf = ctl;
	c->ctl = fp_buf_addr(ctl);
	c->peer_ctl = *peer_ctl;
	c->k = k;
	for (i = 0; i < FPN_NREQ; i++)
		c->req[i].c = c;
	return c;
}

void *fpn_bench_mr(void *comm, struct fp_buf *b, size_t len);
void *fpn_bench_mr(void *comm, struct fp_buf *b, size_t len)
{
	struct fpn_comm *c = comm_of(comm);
	struct fpn_mr *m = calloc(1, sizeof(*m));

	if (!c || !m || fp_buf_export(c->g, b, &m->rb)) {
		free(m);
		return NULL;
	}
	m->buf = b;
	m->base = fp_buf_addr(b);
	m->len = len;
	m->type = NCCL_PTR_HOST;
	return m;
}
