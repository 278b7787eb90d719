// SPDX-License-Identifier: MIT
/*
 * ctx.c - the library context: the plan, the RDMA devices opened so far (one
 * protection domain each), the report ring, and collective marks.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowplan/handles.h"

static uint32_t ctx_serial;	/* names the process's report rings */

/*
 * An environment variable as an integer in @min..@max, @def when it is
 * unset or empty. Anything else is a mistake the user wants to hear about,
 * not a value to replace silently: EINVAL, said on stderr.
 */
static int env_uint(const char *name, unsigned int def, unsigned int min,
		    unsigned int max, unsigned int *out)
{
	const char *v = getenv(name);
	unsigned long long x;
	char *end;

	*out = def;
	if (!v || !*v)
		return 0;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || *v == '-' || x < min || x > max) {
		fprintf(stderr, "libflowplan: %s=\"%.32s\": expected an integer %u..%u\n",
			name, v, min, max);
		return EINVAL;
	}
	*out = (unsigned int)x;
	return 0;
}

/*
 * Reports are best effort: a job never fails because of them. A ring that
 * cannot be made for a reason of the system's (no /dev/shm, no memory) is
 * said with FLOWPLAN_DEBUG; one the user's settings forbid (a record count
 * that is no power of two, a directory whose name leaves no room for the
 * ring's) is always said.
 */
static void report_open(struct fp_ctx *ctx)
{
	const char *dir = getenv("FLOWPLAN_REPORT_DIR");
	struct fp_err err = { { 0 } };
	unsigned int cap;
	int ret;

	if (!fp_report_wanted(ctx->flags))
		return;
	if (env_uint("FLOWPLAN_REPORT_RECORDS", 1u << 16, 8, FP_RING_MAX_RECORDS,
		     &cap))
		return;
	if (cap & (cap - 1)) {
		fprintf(stderr, "libflowplan: FLOWPLAN_REPORT_RECORDS=%u: not a power of two, no report ring\n",
			cap);
		return;
	}
	ret = fp_ring_create_in(&ctx->ring, dir && *dir ? dir : "/dev/shm",
				(uint32_t)getpid(), &ctx_serial, cap, &err);
	/* Keep a finished job's ring for a later look (fp_sched). */
	if (!ret && getenv("FLOWPLAN_REPORT_KEEP"))
		ctx->ring.unlink_on_close = false;
	if (ret && (ret == ENAMETOOLONG || getenv("FLOWPLAN_DEBUG")))
		fprintf(stderr, "libflowplan: no report ring: %s\n", err.msg);
}

struct fp_ctx *fp_ctx_open(const struct fp_ctx_attr *attr)
{
	struct fp_ctx_attr def = { 0 };
	struct fp_err err = { { 0 } };
	struct fp_ctx *ctx;
	int ret;

	if (!attr)
		attr = &def;
	if ((attr->dev && strlen(attr->dev) >= sizeof(ctx->dev_name)) ||
	    attr->default_k > FP_MAX_SUBFLOWS || attr->timeout_ms > INT_MAX ||
	    (attr->flags & ~(FP_CTX_NO_NETLINK | FP_CTX_REPORT |
			     FP_CTX_NO_REPORT | FP_CTX_NO_FOLLOW)) ||
	    (attr->plan && strlen(attr->plan) >= sizeof(ctx->plan_file))) {
		errno = EINVAL;
		return NULL;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->flags = attr->flags;
	ctx->default_k = attr->default_k;
	ctx->timeout_ms = attr->timeout_ms;
	if ((!ctx->default_k &&
	     env_uint("FLOWPLAN_DEFAULT_K", 1, 1, FP_MAX_SUBFLOWS,
		      &ctx->default_k)) ||
	    (!ctx->timeout_ms &&
	     env_uint("FLOWPLAN_TIMEOUT_MS", 10000, 1, INT_MAX,
		      &ctx->timeout_ms)) ||
	    fp_follow_env(&ctx->follow)) {
		free(ctx);
		errno = EINVAL;
		return NULL;
	}
	if (attr->flags & FP_CTX_NO_FOLLOW)
		ctx->follow = false;
	ctx->comm = attr->comm;
	if (attr->dev)
		strcpy(ctx->dev_name, attr->dev);
	if (attr->plan)
		strcpy(ctx->plan_file, attr->plan);

	ret = fp_plansrc_load(&ctx->plan, attr->plan,
			      attr->flags & FP_CTX_NO_NETLINK, ctx->default_k,
			      &err);
	if (ret) {
		if (getenv("FLOWPLAN_DEBUG") || ret != ENOENT)
			fprintf(stderr, "libflowplan: %s\n", err.msg);
		free(ctx);
		errno = ret;
		return NULL;
	}
	report_open(ctx);
	fp_follow_open(ctx);
	if (getenv("FLOWPLAN_DEBUG"))
		fprintf(stderr, "libflowplan: plan: %s%s, generation %llu, %zu entries\n",
			ctx->plan.source == FP_PLAN_NETLINK ? "netlink" :
			ctx->plan.source == FP_PLAN_FILE ? "file " : "default",
			ctx->plan.source == FP_PLAN_FILE ? ctx->plan.path : "",
			(unsigned long long)ctx->plan.hp.generation,
			ctx->plan.hp.n);
	return ctx;
}

int fp_ctx_close(struct fp_ctx *ctx)
{
	int i;

	if (!ctx)
		return EINVAL;
	if (ctx->ngroups || ctx->nbufs)
		return EBUSY;
	for (i = 0; i < ctx->ndev; i++) {
		ibv_dealloc_pd(ctx->dev[i].pd);
		ibv_close_device(ctx->dev[i].verbs);
	}
	fp_ring_close(&ctx->ring);
	fp_follow_close(ctx);
	fp_plansrc_free(&ctx->plan);
	free(ctx);
	return 0;
}

int fp_ctx_query(const struct fp_ctx *ctx, struct fp_ctx_info *info)
{
	if (!ctx || !info)
		return EINVAL;
	memset(info, 0, sizeof(*info));
	info->source = ctx->plan.source;
	info->generation = ctx->plan.hp.generation;
	info->entries = ctx->plan.hp.n;
	if (ctx->ring.hdr)
		snprintf(info->report, sizeof(info->report), "%s",
			 ctx->ring.path);
	return 0;
}

int fp_ctx_reload(struct fp_ctx *ctx)
{
	if (!ctx)
		return EINVAL;
	return fp_ctx_reload_from(ctx, false);
}

int fp_ctx_reload_from(struct fp_ctx *ctx, bool module_only)
{
	struct fp_err err = { { 0 } };
	struct fp_plansrc p;
	int ret;

	ret = fp_plansrc_load(&p, ctx->plan_file[0] ? ctx->plan_file : NULL,
			      ctx->flags & FP_CTX_NO_NETLINK, ctx->default_k,
			      &err);
	if (ret) {
		if (getenv("FLOWPLAN_DEBUG"))
			fprintf(stderr, "libflowplan: %s\n", err.msg);
		return ret;	/* keep the plan we have */
	}
	if (module_only && p.source != FP_PLAN_NETLINK) {
		fp_plansrc_free(&p);
		return ENOENT;
	}
	fp_plansrc_free(&ctx->plan);
	ctx->plan = p;
	ctx->plan_serial++;		/* groups compare again (follow.c) */
	return 0;
}

int fp_ctx_dev_open(struct fp_ctx *ctx, const char *name)
{
	struct ibv_device **list;
	struct fp_dev *d;
	int i, n, ret = ENODEV;

	for (i = 0; i < ctx->ndev; i++)
		if (!strcmp(ctx->dev[i].name, name))
			return i;
	if (ctx->ndev == FP_MAX_DEVS)
		return -ENOSPC;
	list = ibv_get_device_list(&n);
	if (!list)
		return -(errno ? errno : ENODEV);
	d = &ctx->dev[ctx->ndev];
	for (i = 0; i < n; i++) {
		if (strcmp(ibv_get_device_name(list[i]), name))
			continue;
		d->verbs = ibv_open_device(list[i]);
		if (!d->verbs) {
			ret = errno ? errno : ENODEV;
			break;
		}
		d->pd = ibv_alloc_pd(d->verbs);
		if (!d->pd) {
			ret = errno ? errno : ENOMEM;
			ibv_close_device(d->verbs);
			break;
		}
		snprintf(d->name, sizeof(d->name), "%s", name);
		ret = 0;
		break;
	}
	ibv_free_device_list(list);
	if (ret)
		return -ret;
	return ctx->ndev++;
}

/* ------------------------------------------------------------- reports */

/*
 * A record's endpoints are 16 bytes (docs/reports.md, version 2): a group's
 * addresses as they are, IPv4-mapped or IPv6.
 */
void fp_report_msg(struct fp_ctx *ctx, const struct fp_group *g,
		   const struct fp_msg *m)
{
	bool in = m->op == FP_OP_RECV;
	struct fp_report_rec r = {
		.comm = m->comm,
		.op = m->op,
		.status = m->status,
		.coll = m->coll,
		.bytes = m->bytes,
		.start_ns = m->start_ns,
		.end_ns = m->end_ns,
	};

	memcpy(r.src, in ? g->peer.b : g->local.b, sizeof(r.src));
	memcpy(r.dst, in ? g->local.b : g->peer.b, sizeof(r.dst));
	fp_ring_put(&ctx->ring, &r);
}

int fp_coll_begin(struct fp_ctx *ctx, uint32_t comm, enum fp_op op,
		  uint64_t bytes)
{
	if (!ctx || op < FP_OP_ALLREDUCE || op > FP_OP_COLL_OTHER)
		return EINVAL;
	if (ctx->coll)
		return EBUSY;
	ctx->coll = ++ctx->coll_serial;
	if (!ctx->coll)
		ctx->coll = ++ctx->coll_serial;
	ctx->coll_op = op;
	ctx->coll_comm = comm;
	ctx->coll_bytes = bytes;
	ctx->coll_start = fp_now_ns();
	return 0;
}

int fp_coll_end(struct fp_ctx *ctx)
{
	if (!ctx)
		return EINVAL;
	if (!ctx->coll)
		return ENOENT;
	if (ctx->ring.hdr) {
		struct fp_report_rec r = {
			.comm = ctx->coll_comm,
			.op = ctx->coll_op,
			.coll = ctx->coll,
			.bytes = ctx->coll_bytes,
			.start_ns = ctx->coll_start,
			.end_ns = fp_now_ns(),
		};

		fp_ring_put(&ctx->ring, &r);
	}
	ctx->coll = 0;
	return 0;
}
