// SPDX-License-Identifier: MIT
/*
 * hooks.c - the verbs calls the interposer takes over, and how it finds the
 * real ones.
 *
 * Hook points. ibv_create_qp, ibv_modify_qp and ibv_destroy_qp are real
 * exported functions (IBVERBS_1.1; the IBVERBS_1.0 compatibility versions
 * call the 1.1 ones through libibverbs' own PLT, so they arrive here too and
 * are not defined). ibv_create_qp_ex is an inline in verbs.h that calls the
 * context's create_qp_ex op: each context the program opens (ibv_open_device)
 * or allocates a PD on (ibv_alloc_pd, which also catches contexts from
 * mlx5dv_open_device or ibv_import_device) gets that op replaced by a
 * wrapper. mlx5dv_create_qp (MLX5_1.3) is exported by libmlx5. The data
 * path (ibv_post_send, ibv_post_recv, ibv_poll_cq: inlines through the
 * context's ops) is never touched.
 *
 * Binding. A direct or versioned call reaches these definitions because the
 * interposer comes first in the global scope. A program that loads
 * libibverbs with dlopen and resolves it with dlsym or dlvsym (NCCL:
 * dlvsym(handle, "ibv_modify_qp", "IBVERBS_1.1")) searches only that
 * handle's scope, so dlsym and dlvsym are interposed too (dlsym_x86_64.S):
 * for the wrapped names on a real handle the lookup is done here and the
 * wrapper returned instead of libibverbs' function, which becomes the real
 * one. Everything else jumps to the real dlsym with the caller's return
 * address, so RTLD_NEXT and RTLD_DEFAULT keep meaning what they mean.
 *
 * The real functions are found lazily: from the handle a program resolved
 * them through, else RTLD_NEXT, else the already loaded libibverbs.so.1 /
 * libmlx5.so.1 (RTLD_NOLOAD: one loaded with RTLD_LOCAL is not in the
 * global scope; the handle is kept, so that the library is not unloaded
 * under the pointer). Nothing is loaded that the program did not load.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/verbs.h>

#include "preload/preload.h"

/* libmlx5's, declared here: the interposer needs no mlx5 header. */
struct mlx5dv_qp_init_attr;
struct ibv_qp *mlx5dv_create_qp(struct ibv_context *ctx,
				struct ibv_qp_init_attr_ex *attr,
				struct mlx5dv_qp_init_attr *mattr);

/* The real functions' types. */
typedef struct ibv_context *open_device_fn(struct ibv_device *dev);
typedef int close_device_fn(struct ibv_context *ctx);
typedef struct ibv_pd *alloc_pd_fn(struct ibv_context *ctx);
typedef struct ibv_qp *create_qp_fn(struct ibv_pd *pd,
				    struct ibv_qp_init_attr *attr);
typedef struct ibv_qp *mlx5_create_qp_fn(struct ibv_context *ctx,
					 struct ibv_qp_init_attr_ex *attr,
					 struct mlx5dv_qp_init_attr *mattr);
typedef int destroy_qp_fn(struct ibv_qp *qp);
typedef int modify_qp_fn(struct ibv_qp *qp, struct ibv_qp_attr *attr,
			 int mask);
typedef int query_gid_fn(struct ibv_context *ctx, uint8_t port, int index,
			 union ibv_gid *gid);
typedef int udp_sport_fn(struct ibv_qp *qp, uint16_t sport);
typedef struct ibv_qp *create_qp_ex_fn(struct ibv_context *ctx,
				       struct ibv_qp_init_attr_ex *attr);
typedef void *dlsym_fn(void *handle, const char *name);
typedef void *dlvsym_fn(void *handle, const char *name, const char *ver);

/* ------------------------------------------------------ the real functions */

enum real_id {
	R_OPEN_DEVICE,
	R_CLOSE_DEVICE,
	R_ALLOC_PD,
	R_CREATE_QP,
	R_MODIFY_QP,
	R_DESTROY_QP,
	R_MLX5_CREATE_QP,
	R_QUERY_GID,
	R_MLX5_UDP_SPORT,
	R_N
};

static void *hook_of(enum real_id id);
static bool resolve_dl(void);

static const struct {
	const char *name, *ver, *lib;
} syms[R_N] = {
	[R_OPEN_DEVICE] = { "ibv_open_device", "IBVERBS_1.1", "libibverbs.so.1" },
	[R_CLOSE_DEVICE] = { "ibv_close_device", "IBVERBS_1.1", "libibverbs.so.1" },
	[R_ALLOC_PD] = { "ibv_alloc_pd", "IBVERBS_1.1", "libibverbs.so.1" },
	[R_CREATE_QP] = { "ibv_create_qp", "IBVERBS_1.1", "libibverbs.so.1" },
	[R_MODIFY_QP] = { "ibv_modify_qp", "IBVERBS_1.1", "libibverbs.so.1" },
	[R_DESTROY_QP] = { "ibv_destroy_qp", "IBVERBS_1.1", "libibverbs.so.1" },
	[R_MLX5_CREATE_QP] = { "mlx5dv_create_qp", "MLX5_1.3", "libmlx5.so.1" },
	[R_QUERY_GID] = { "ibv_query_gid", "IBVERBS_1.1", "libibverbs.so.1" },
	[R_MLX5_UDP_SPORT] = { "mlx5dv_modify_qp_udp_sport", "MLX5_1.17",
			       "libmlx5.so.1" },
};

/* The wrapped ones come first: ids below this have a hook. */
#define R_NHOOKS R_QUERY_GID

static void *real[R_N];
static dlsym_fn *real_dlsym;
static dlvsym_fn *real_dlvsym;

static FP_NOSAN bool same(const char *a, const char *b)
{
	for (; *a && *a == *b; a++, b++)
		;
	return *a == *b;
}

static void *real_from(void *h, enum real_id id)
{
	return real_dlvsym(h, syms[id].name, syms[id].ver);
}

static void *fp_real(enum real_id id)
{
	void *p = __atomic_load_n(&real[id], __ATOMIC_ACQUIRE), *h, *want;

	if (p)
		return p;
	if (!resolve_dl())
		return NULL;
	p = real_from(RTLD_NEXT, id);
	if (!p) {
		/*
		 * Kept open: the library stays loaded as long as the pointer
		 * taken from it may be called.
		 */
		h = dlopen(syms[id].lib, RTLD_NOW | RTLD_NOLOAD);
		if (h) {
			p = real_from(h, id);
			if (!p)
				dlclose(h);
		}
	}
	if (!p || (id < R_NHOOKS && p == hook_of(id)))
		return NULL;
	want = NULL;
	if (!__atomic_compare_exchange_n(&real[id], &want, p, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		p = want;
	return p;
}

/* --------------------------------------------- ibv_create_qp_ex: the op */

struct ctx_hook {
	struct ibv_context *ctx;
	create_qp_ex_fn *orig;
};

static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ctx_hook *ctxs;
static size_t nctx, ctx_cap;

static bool connected_type(int t)
{
	return t == IBV_QPT_RC || t == IBV_QPT_UC || t == IBV_QPT_XRC_SEND;
}

static void created(struct ibv_qp *qp)
{
	fp_st_qp_created(qp, qp->qp_num, (uint8_t)qp->qp_type);
}

static struct ibv_qp *hook_create_qp_ex(struct ibv_context *ctx,
					struct ibv_qp_init_attr_ex *attr)
{
	create_qp_ex_fn *orig = NULL;
	struct ibv_qp *qp;
	size_t i;

	pthread_mutex_lock(&ctx_lock);
	for (i = 0; i < nctx; i++)
		if (ctxs[i].ctx == ctx)
			orig = ctxs[i].orig;
	pthread_mutex_unlock(&ctx_lock);
	if (!orig) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	qp = orig(ctx, attr);
	if (qp)
		created(qp);
	return qp;
}

static void hook_ctx(struct ibv_context *ctx)
{
	struct verbs_context *vctx;
	struct ctx_hook *n;
	size_t i;

	if (!ctx || !fp_preload_enabled())
		return;
	vctx = verbs_get_ctx_op(ctx, create_qp_ex);
	if (!vctx || vctx->create_qp_ex == hook_create_qp_ex)
		return;
	pthread_mutex_lock(&ctx_lock);
	for (i = 0; i < nctx && ctxs[i].ctx != ctx; i++)
		;
	if (i == nctx) {
		if (nctx == ctx_cap) {
			n = realloc(ctxs, (ctx_cap * 2 + 8) * sizeof(*n));
			if (!n)
				goto out;	/* create_qp_ex QPs: seen at INIT */
			ctxs = n;
			ctx_cap = ctx_cap * 2 + 8;
		}
		nctx++;
	}
	/* A context at a freed one's address: its own op this time. */
	ctxs[i] = (struct ctx_hook){ ctx, vctx->create_qp_ex };
	vctx->create_qp_ex = hook_create_qp_ex;
out:
	pthread_mutex_unlock(&ctx_lock);
}

static void unhook_ctx(struct ibv_context *ctx)
{
	struct verbs_context *vctx = verbs_get_ctx_op(ctx, create_qp_ex);
	size_t i;

	pthread_mutex_lock(&ctx_lock);
	for (i = 0; i < nctx; i++) {
		if (ctxs[i].ctx != ctx)
			continue;
		if (vctx && vctx->create_qp_ex == hook_create_qp_ex)
			vctx->create_qp_ex = ctxs[i].orig;
		ctxs[i] = ctxs[--nctx];
		break;
	}
	pthread_mutex_unlock(&ctx_lock);
}

/* ----------------------------------------------------------- the hooks */

#define REAL(id, type) ((type *)fp_real(id))

FP_EXPORT struct ibv_context *ibv_open_device(struct ibv_device *dev)
{
	open_device_fn *f = REAL(R_OPEN_DEVICE, open_device_fn);
	struct ibv_context *ctx;

	if (!f) {
		errno = ENOSYS;
		return NULL;
	}
	ctx = f(dev);
	if (ctx)
		hook_ctx(ctx);
	return ctx;
}

FP_EXPORT int ibv_close_device(struct ibv_context *ctx)
{
	close_device_fn *f = REAL(R_CLOSE_DEVICE, close_device_fn);

	if (!f)
		return ENOSYS;
	if (ctx)
		unhook_ctx(ctx);
	return f(ctx);
}

FP_EXPORT struct ibv_pd *ibv_alloc_pd(struct ibv_context *ctx)
{
	alloc_pd_fn *f = REAL(R_ALLOC_PD, alloc_pd_fn);
	struct ibv_pd *pd;

	if (!f) {
		errno = ENOSYS;
		return NULL;
	}
	pd = f(ctx);
	if (pd)
		hook_ctx(ctx);
	return pd;
}

FP_EXPORT struct ibv_qp *ibv_create_qp(struct ibv_pd *pd,
				       struct ibv_qp_init_attr *attr)
{
	create_qp_fn *f = REAL(R_CREATE_QP, create_qp_fn);
	struct ibv_qp *qp;

	if (!f) {
		errno = ENOSYS;
		return NULL;
	}
	qp = f(pd, attr);
	if (qp && fp_preload_enabled()) {
		hook_ctx(pd->context);
		created(qp);
	}
	return qp;
}

FP_EXPORT struct ibv_qp *mlx5dv_create_qp(struct ibv_context *ctx,
					  struct ibv_qp_init_attr_ex *attr,
					  struct mlx5dv_qp_init_attr *mattr)
{
	mlx5_create_qp_fn *f = REAL(R_MLX5_CREATE_QP, mlx5_create_qp_fn);
	struct ibv_qp *qp;

	if (!f) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	qp = f(ctx, attr, mattr);
	if (qp && fp_preload_enabled())
		created(qp);
	return qp;
}

FP_EXPORT int ibv_destroy_qp(struct ibv_qp *qp)
{
	destroy_qp_fn *f = REAL(R_DESTROY_QP, destroy_qp_fn);

	if (!f)
		return ENOSYS;
	/*
	 * Forgotten first: once destroyed, another thread's new QP may get
	 * the same address. A destroy that fails leaves a QP untracked until
	 * its next transition.
	 */
	if (qp && fp_preload_enabled())
		fp_st_qp_destroyed(qp);
	return f(qp);
}

static int modify_rtr(modify_qp_fn *f, struct ibv_qp *qp,
		      struct ibv_qp_attr *attr, int mask)
{
	query_gid_fn *qgid = REAL(R_QUERY_GID, query_gid_fn);
	struct fp_addr local, remote;
	struct ibv_qp_attr a;
	union ibv_gid gid;
	struct fp_rtr r;
	uint8_t port;
	int ret;

	if (!connected_type(qp->qp_type) || !(mask & IBV_QP_AV) ||
	    !attr->ah_attr.is_global || !qgid)
		return f(qp, attr, mask);
	port = attr->ah_attr.port_num;
	if (!port)
		port = fp_st_qp_port_of(qp);
	if (qgid(qp->context, port ? port : 1, attr->ah_attr.grh.sgid_index,
		 &gid))
		return f(qp, attr, mask);
	memcpy(local.b, gid.raw, 16);
	memcpy(remote.b, attr->ah_attr.grh.dgid.raw, 16);
	r = fp_st_rtr_begin(qp, qp->qp_num, (uint8_t)qp->qp_type, &local,
			    &remote, mask & IBV_QP_DEST_QPN ?
			    attr->dest_qp_num : FP_DQPN_ANY,
			    attr->ah_attr.grh.flow_label);
	if (r.label) {
		/* A copy: the program's attributes stay as it wrote them. */
		a = *attr;
		a.ah_attr.grh.flow_label = r.label;
		ret = f(qp, &a, mask);
	} else {
		ret = f(qp, attr, mask);
	}
	fp_st_rtr_end(qp, &r, ret);
	return ret;
}

FP_EXPORT int ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr,
			    int mask)
{
	modify_qp_fn *f = REAL(R_MODIFY_QP, modify_qp_fn);
	int ret;

	if (!f)
		return ENOSYS;
	if (!(mask & IBV_QP_STATE) || !fp_preload_enabled())
		return f(qp, attr, mask);
	switch (attr->qp_state) {
	case IBV_QPS_RTR:
		return modify_rtr(f, qp, attr, mask);
	case IBV_QPS_INIT:
		ret = f(qp, attr, mask);
		if (!ret)
			fp_st_qp_port(qp, qp->qp_num, (uint8_t)qp->qp_type,
				      mask & IBV_QP_PORT ? attr->port_num : 0);
		return ret;
	case IBV_QPS_RESET:
		ret = f(qp, attr, mask);
		if (!ret)
			fp_st_qp_reset(qp);
		return ret;
	default:
		return f(qp, attr, mask);
	}
}

int fp_hook_set_sport(const void *qp, uint16_t sport)
{
	udp_sport_fn *f = REAL(R_MLX5_UDP_SPORT, udp_sport_fn);

	if (!f)
		return EOPNOTSUPP;
	return f((struct ibv_qp *)qp, sport);
}

void *fp_hook_lookup(const char *name)
{
	return resolve_dl() ? real_dlsym(RTLD_DEFAULT, name) : NULL;
}

static void *hook_of(enum real_id id)
{
	switch (id) {
	case R_OPEN_DEVICE:
		return (void *)ibv_open_device;
	case R_CLOSE_DEVICE:
		return (void *)ibv_close_device;
	case R_ALLOC_PD:
		return (void *)ibv_alloc_pd;
	case R_CREATE_QP:
		return (void *)ibv_create_qp;
	case R_MODIFY_QP:
		return (void *)ibv_modify_qp;
	case R_DESTROY_QP:
		return (void *)ibv_destroy_qp;
	case R_MLX5_CREATE_QP:
		return (void *)mlx5dv_create_qp;
	default:
		return NULL;
	}
}

/* ------------------------------------------------------- dlsym, dlvsym */

/* The wrapped name @name is, or -1; first a cheap test on its prefix. */
static FP_NOSAN int wrapped_id(const char *name)
{
	int i;

	if (!name || !((name[0] == 'i' && name[1] == 'b' && name[2] == 'v') ||
		       (name[0] == 'm' && name[1] == 'l' && name[2] == 'x')))
		return -1;
	for (i = 0; i < R_NHOOKS; i++)
		if (same(name, syms[i].name))
			return i;
	return -1;
}

/*
 * @p, what the real dlsym found for wrapped name @id through a handle, is
 * the real function: remember it, hand out the wrapper. Another copy of
 * the library than the one already known is left alone.
 */
static void *wrap(int id, void *h, const char *ver, void *p)
{
	void *want = NULL;

	if (!p || (ver && !same(ver, syms[id].ver)) || p == hook_of(id) ||
	    !fp_preload_enabled())
		return p;
	if (!__atomic_compare_exchange_n(&real[id], &want, p, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) &&
	    want != p) {
		fp_debug("%s: a second copy of its library; not wrapped",
			 syms[id].name);
		return p;
	}
	/* Its helpers from the same copy. */
	if (id != R_MLX5_CREATE_QP && !__atomic_load_n(&real[R_QUERY_GID],
						       __ATOMIC_ACQUIRE)) {
		want = real_from(h, R_QUERY_GID);
		if (want)
			__atomic_store_n(&real[R_QUERY_GID], want,
					 __ATOMIC_RELEASE);
	}
	return hook_of(id);
}

static void *dlsym_wrap(void *h, const char *name)
{
	return wrap(wrapped_id(name), h, NULL, real_dlsym(h, name));
}

static void *dlvsym_wrap(void *h, const char *name, const char *ver)
{
	return wrap(wrapped_id(name), h, ver, real_dlvsym(h, name, ver));
}

static void *dlsym_none(void *h, const char *name)
{
	(void)h;
	(void)name;
	return NULL;
}

static void *dlvsym_none(void *h, const char *name, const char *ver)
{
	(void)h;
	(void)name;
	(void)ver;
	return NULL;
}

/*
 * Called by dlsym/dlvsym (dlsym_x86_64.S) with their arguments: the
 * function they jump to. May run inside a sanitizer's start-up, before
 * anything is initialised: no instrumentation, no calls but the lookup.
 */
/* Both real functions, found once; false when either cannot be. */
static FP_NOSAN bool resolve_dl(void)
{
	void *p;

	if (__atomic_load_n(&real_dlsym, __ATOMIC_ACQUIRE) &&
	    __atomic_load_n(&real_dlvsym, __ATOMIC_ACQUIRE))
		return true;
	p = fp_elf_next_sym("dlsym");
	if (p)
		__atomic_store_n(&real_dlsym, (dlsym_fn *)p, __ATOMIC_RELEASE);
	p = fp_elf_next_sym("dlvsym");
	if (p)
		__atomic_store_n(&real_dlvsym, (dlvsym_fn *)p, __ATOMIC_RELEASE);
	return real_dlsym && real_dlvsym;
}

FP_NOSAN void *fp_dlsym_route(void *h, const char *name)
{
	if (!resolve_dl())
		return (void *)dlsym_none;
	if (h == RTLD_NEXT || h == RTLD_DEFAULT || wrapped_id(name) < 0)
		return (void *)real_dlsym;
	return (void *)dlsym_wrap;
}

FP_NOSAN void *fp_dlvsym_route(void *h, const char *name, const char *ver)
{
	(void)ver;
	if (!resolve_dl())
		return (void *)dlvsym_none;
	if (h == RTLD_NEXT || h == RTLD_DEFAULT || wrapped_id(name) < 0)
		return (void *)real_dlvsym;
	return (void *)dlvsym_wrap;
}
