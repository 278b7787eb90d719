// SPDX-License-Identifier: MIT
/*
 * profiler.c - libnccl-profiler-flowplan: NCCL's profiler events become
 * schedule reports (docs/reports.md), so that the daemon learns a job's
 * schedule with no change to the job.
 *
 * Per communicator (init) one report ring, when reports are wanted (the
 * rules of docs/reports.md: FLOWPLAN_REPORT, or the daemon's socket).
 *  - a collective (ncclProfileColl) is one collective record: its op, its
 *    bytes (count x datatype size), a serial number per communicator;
 *  - the point-to-point operations of one group (ncclProfileP2p under one
 *    ncclProfileGroup: send/recv, all-to-all written as a group) share
 *    one serial, recorded as one "collective" record (op other);
 *  - every send the flowplan net plugin completes reaches us as an
 *    ncclProfileNetPlugin event (plugin id FPN_PROF_ID, lib/nccl/fpn.h)
 *    under the proxy step, proxy op and collective that caused it: it is
 *    one send record with the connection's addresses, its bytes, and the
 *    serial of that collective. fp_report_schedule() then makes one phase
 *    per collective.
 * Collective records carry the enqueue times (start to stop of the event);
 * send records the transfer times.
 *
 * Events come from the application's threads and from proxy threads: the
 * ring (one writer) is written under the context's lock. Collective and
 * group events live in a per-context pool, recycled after FPN_POOL newer
 * ones, because proxy events name them as parents after they stopped;
 * a child copies its parent's serial when it starts and never looks again.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/report.h"
#include "nccl/fpn.h"
#include "nccl/nccl_abi.h"

#define EXPORT __attribute__((visibility("default")))
#define FPN_POOL	4096
#define EV_MAGIC	0x56455046u	/* "FPEV" */
#define FPN_RING_FIRST	65537u

struct pctx;

struct pev {
	uint32_t magic;
	uint32_t type;			/* ncclProfile* */
	struct pctx *ctx;
	uint32_t serial;		/* collective this belongs to, 0: none */
	uint16_t op;
	bool has_p2p;			/* group: p2p children */
	uint64_t bytes;
	uint64_t start_ns;
	struct fpn_prof_net net;	/* NetPlugin: the last update */
	bool ours;			/* NetPlugin: from the flowplan net plugin */
};

struct pctx {
	uint32_t comm;
	int rank;
	pthread_mutex_t lock;
	struct fp_ring ring;
	uint32_t serial;
	unsigned int next;		/* pool cursor */
	struct pev pool[FPN_POOL];
	uint64_t records, dropped;
};

static ncclDebugLogger_t logfn;
static uint32_t ctx_serial;

static void info(const char *fmt, const char *a, unsigned long b)
{
	if (logfn)
		logfn(NCCL_LOG_INFO, NCCL_PROFILE, __FILE__, __LINE__, fmt, a, b);
	else if (getenv("FLOWPLAN_DEBUG"))
		fprintf(stderr, "PROFILER/flowplan: %s %lu\n", a, b);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint16_t op_of(const char *func)
{
	static const struct { const char *name; uint16_t op; } map[] = {
		{ "AllReduce", FP_OP_ALLREDUCE },
		{ "AllGather", FP_OP_ALLGATHER },
		{ "ReduceScatter", FP_OP_REDUCESCATTER },
		{ "AlltoAll", FP_OP_ALLTOALL },
		{ "Broadcast", FP_OP_BROADCAST },
	};
	size_t i;

	for (i = 0; func && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(func, map[i].name))
			return map[i].op;
	return FP_OP_COLL_OTHER;
}

static uint64_t dt_size(const char *dt)
{
	static const struct { const char *name; uint64_t size; } map[] = {
		{ "ncclInt8", 1 }, { "ncclUint8", 1 }, { "ncclFloat8e4m3", 1 },
		{ "ncclFloat8e5m2", 1 }, { "ncclFloat16", 2 },
		{ "ncclBfloat16", 2 }, { "ncclInt32", 4 }, { "ncclUint32", 4 },
		{ "ncclFloat32", 4 }, { "ncclInt64", 8 }, { "ncclUint64", 8 },
		{ "ncclFloat64", 8 },
	};
	size_t i;

	for (i = 0; dt && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(dt, map[i].name))
			return map[i].size;
	return 1;			/* "Unknown" (ncclUint8 in 2.28) */
}

static void put(struct pctx *c, struct fp_report_rec *r)
{
	r->comm = c->comm;
	pthread_mutex_lock(&c->lock);
	if (c->ring.hdr) {
		fp_ring_put(&c->ring, r);
		c->records++;
	}
	pthread_mutex_unlock(&c->lock);
}

/* ---------------------------------------------------------------- init */

static ncclResult_t init_common(void **context, uint64_t comm_id,
				int *mask, int rank, ncclDebugLogger_t log)
{
	const char *dir = getenv("FLOWPLAN_REPORT_DIR");
	char path[108];
	struct pctx *c;
	unsigned long cap = 1ul << 16;
	const char *cs = getenv("FLOWPLAN_REPORT_RECORDS");
	int ret;

	if (!context || !mask)
		return ncclInvalidArgument;
	if (log)
		logfn = log;
	*context = NULL;
	*mask = 0;
	if (!fp_ring_wanted())
		return ncclSuccess;	/* nothing to do: no events at all */
	c = calloc(1, sizeof(*c));
	if (!c)
		return ncclSuccess;
	pthread_mutex_init(&c->lock, NULL);
	c->comm = (uint32_t)(comm_id ^ (comm_id >> 32));
	c->rank = rank;
	if (cs && *cs)
		cap = strtoul(cs, NULL, 0);
	/*
	 * The name the daemon looks for (flowplan-PID-N); N from 65537, so
	 * as never to meet the ring of a libflowplan context of the process.
	 */
	snprintf(path, sizeof(path), "%s/flowplan-%d-%u",
		 dir && *dir ? dir : "/dev/shm", (int)getpid(),
		 FPN_RING_FIRST +
		 __atomic_fetch_add(&ctx_serial, 1, __ATOMIC_RELAXED));
	ret = fp_ring_create(&c->ring, path, (uint32_t)cap);
	if (ret) {
		/* Reports are best effort: a job never fails for them. */
		info("no report ring %s: errno %lu", path, (unsigned long)ret);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return ncclSuccess;
	}
	if (getenv("FLOWPLAN_REPORT_KEEP"))
		c->ring.unlink_on_close = false;
	info("reports in %s, communicator %lu", path, (unsigned long)c->comm);
	*context = c;
	*mask = ncclProfileGroup | ncclProfileColl | ncclProfileP2p |
		ncclProfileProxyOp | ncclProfileProxyStep |
		ncclProfileNetPlugin;
	return ncclSuccess;
}

static ncclResult_t init_v5(void **context, uint64_t comm_id, int *mask,
			    const char *name, int nnodes, int nranks, int rank,
			    ncclDebugLogger_t log)
{
	(void)name, (void)nnodes, (void)nranks;
	return init_common(context, comm_id, mask, rank, log);
}

static ncclResult_t init_v4(void **context, int *mask, const char *name,
			    uint64_t comm_hash, int nnodes, int nranks,
			    int rank, ncclDebugLogger_t log)
{
	(void)name, (void)nnodes, (void)nranks;
	return init_common(context, comm_hash, mask, rank, log);
}

static ncclResult_t finalize(void *context)
{
	struct pctx *c = context;

	if (!c)
		return ncclSuccess;
	pthread_mutex_lock(&c->lock);
	fp_ring_close(&c->ring);
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return ncclSuccess;
}

/* --------------------------------------------------------------- events */

/* One version-neutral event description. */
struct edesc {
	uint64_t type;
	void *parent;			/* our event, or NULL */
	void *group;			/* coll/p2p: the group event */
	const char *func;
	const char *datatype;
	size_t count;
	bool parent_ok;			/* proxy op: same process */
	int64_t net_id;
	void *net_data;
};

static struct pev *ours(struct pctx *c, void *p)
{
	struct pev *e = p;

	return e && e->magic == EV_MAGIC && e->ctx == c ? e : NULL;
}

static struct pev *pool_get(struct pctx *c)
{
	struct pev *e;

	pthread_mutex_lock(&c->lock);
	e = &c->pool[c->next++ % FPN_POOL];
	pthread_mutex_unlock(&c->lock);
	memset(e, 0, sizeof(*e));
	return e;
}

static uint32_t new_serial(struct pctx *c)
{
	return __atomic_add_fetch(&c->serial, 1, __ATOMIC_RELAXED);
}

static void start(struct pctx *c, void **handle, const struct edesc *d)
{
	struct pev *e = NULL, *p, *g = ours(c, d->group);

	/* PXN: a proxy op's parent in another process is not ours to read. */
	p = d->type == ncclProfileProxyOp && !d->parent_ok ? NULL :
	    ours(c, d->parent);

	*handle = NULL;
	switch (d->type) {
	case ncclProfileGroup:
		e = pool_get(c);
		break;
	case ncclProfileColl:
		e = pool_get(c);
		e->serial = new_serial(c);
		e->op = op_of(d->func);
		e->bytes = d->count * dt_size(d->datatype);
		break;
	case ncclProfileP2p:
		e = pool_get(c);
		e->op = FP_OP_COLL_OTHER;
		if (g) {
			/* The group's p2p operations are one phase. */
			if (!g->serial)
				g->serial = new_serial(c);
			g->has_p2p = true;
			g->op = FP_OP_COLL_OTHER;
			if (!strcmp(d->func ? d->func : "", "Send"))
				g->bytes += d->count * dt_size(d->datatype);
			e->serial = g->serial;
		} else {
			e->serial = new_serial(c);
		}
		break;
	case ncclProfileProxyOp:
	case ncclProfileProxyStep:
		e = calloc(1, sizeof(*e));
		if (e && p)
			e->serial = p->serial;
		break;
	case ncclProfileNetPlugin: {
		const struct fpn_prof_net *n = d->net_data;

		if (d->net_id != FPN_PROF_ID || !n || n->magic != FPN_PROF_MAGIC)
			return;		/* another net plugin's events */
		if (n->family != AF_INET && n->family != AF_INET6)
			return;		/* not an event of version 2 */
		e = calloc(1, sizeof(*e));
		if (!e)
			return;
		e->ours = true;
		e->net = *n;
		if (p)
			e->serial = p->serial;
		break;
	}
	default:
		return;
	}
	if (!e)
		return;
	e->magic = EV_MAGIC;
	e->type = (uint32_t)d->type;
	e->ctx = c;
	e->start_ns = mono_ns();
	*handle = e;
}

_Static_assert(sizeof(((struct fp_report_rec *)0)->src) ==
	       sizeof(((struct fpn_prof_net *)0)->src6),
	       "the net event's addresses are the record's");

static ncclResult_t stop(void *handle)
{
	struct pev *e = handle;
	struct fp_report_rec r = { 0 };
	struct pctx *c;

	if (!e || e->magic != EV_MAGIC)
		return ncclSuccess;
	c = e->ctx;
	switch (e->type) {
	case ncclProfileColl:
	case ncclProfileGroup:
		if (e->type == ncclProfileGroup && !e->has_p2p)
			break;
		r.op = e->op;
		r.coll = e->serial;
		r.bytes = e->bytes;
		r.start_ns = e->start_ns;
		r.end_ns = mono_ns();
		put(c, &r);
		break;
	case ncclProfileNetPlugin:
		if (!e->ours)
			break;
		r.op = e->net.op ? e->net.op : FP_OP_SEND;
		r.status = e->net.status;
		/* either family, IPv4 mapped: the record's form */
		memcpy(r.src, e->net.src6, sizeof(r.src));
		memcpy(r.dst, e->net.dst6, sizeof(r.dst));
		r.coll = e->serial;
		r.bytes = e->net.bytes;
		r.start_ns = e->start_ns;
		r.end_ns = mono_ns();
		put(c, &r);
		break;
	}
	if (e->type == ncclProfileProxyOp || e->type == ncclProfileProxyStep ||
	    e->type == ncclProfileNetPlugin) {
		e->magic = 0;
		free(e);
	}
	/* pool events stay until recycled */
	return ncclSuccess;
}

static ncclResult_t record(void *handle, ncclProfilerEventState_t state,
			   ncclProfilerEventStateArgs_v5_t *args)
{
	struct pev *e = handle;
	const struct fpn_prof_net *n;

	if (!e || e->magic != EV_MAGIC || e->type != ncclProfileNetPlugin ||
	    state != ncclProfilerNetPluginUpdate || !args)
		return ncclSuccess;
	n = args->netPlugin.data;
	if (e->ours && n && n->magic == FPN_PROF_MAGIC)
		e->net = *n;
	return ncclSuccess;
}

/* ------------------------------------------------------------------ v5 */

static ncclResult_t start_v5(void *context, void **handle,
			     ncclProfilerEventDescr_v5_t *d)
{
	struct pctx *c = context;
	struct edesc x = { .type = d ? d->type : 0 };

	if (!handle)
		return ncclSuccess;
	*handle = NULL;
	if (!c || !d)
		return ncclSuccess;
	x.parent = d->parentObj;
	switch (d->type) {
	case ncclProfileColl:
		x.func = d->coll.func;
		x.datatype = d->coll.datatype;
		x.count = d->coll.count;
		x.group = d->coll.parentGroup;
		break;
	case ncclProfileP2p:
		x.func = d->p2p.func;
		x.datatype = d->p2p.datatype;
		x.count = d->p2p.count;
		x.group = d->p2p.parentGroup;
		break;
	case ncclProfileProxyOp:
		/* PXN: a parent of another process is not ours to read. */
		x.parent_ok = d->proxyOp.pid == getpid();
		break;
	case ncclProfileNetPlugin:
		x.net_id = d->netPlugin.id;
		x.net_data = d->netPlugin.data;
		break;
	}
	start(c, handle, &x);
	return ncclSuccess;
}

static ncclResult_t record_v5(void *handle, ncclProfilerEventState_v5_t state,
			      ncclProfilerEventStateArgs_v5_t *args)
{
	return record(handle, state, args);
}

EXPORT const ncclProfiler_v5_t ncclProfiler_v5 = {
	.name = "flowplan",
	.init = init_v5,
	.startEvent = start_v5,
	.stopEvent = stop,
	.recordEventState = record_v5,
	.finalize = finalize,
};

/* ------------------------------------------------------------------ v4 */

static ncclResult_t start_v4(void *context, void **handle,
			     ncclProfilerEventDescr_v4_t *d)
{
	struct pctx *c = context;
	struct edesc x = { .type = d ? d->type : 0 };

	if (!handle)
		return ncclSuccess;
	*handle = NULL;
	if (!c || !d)
		return ncclSuccess;
	x.parent = d->parentObj;
	switch (d->type) {
	case ncclProfileColl:
		x.func = d->coll.func;
		x.datatype = d->coll.datatype;
		x.count = d->coll.count;
		x.group = d->parentObj;	/* v4: the group is the parent */
		break;
	case ncclProfileP2p:
		x.func = d->p2p.func;
		x.datatype = d->p2p.datatype;
		x.count = d->p2p.count;
		x.group = d->parentObj;
		break;
	case ncclProfileProxyOp:
		x.parent_ok = d->proxyOp.pid == getpid();
		break;
	case ncclProfileNetPlugin:
		x.net_id = d->netPlugin.id;
		x.net_data = d->netPlugin.data;
		break;
	}
	start(c, handle, &x);
	return ncclSuccess;
}

static ncclResult_t record_v4(void *handle, ncclProfilerEventState_v4_t state,
			      ncclProfilerEventStateArgs_v4_t *args)
{
	return record(handle, state, args);
}

EXPORT const ncclProfiler_v4_t ncclProfiler_v4 = {
	.name = "flowplan",
	.init = init_v4,
	.startEvent = start_v4,
	.stopEvent = stop,
	.recordEventState = record_v4,
	.finalize = finalize,
};
