// SPDX-License-Identifier: MIT
/*
 * fakeverbs.c - a stand-in libibverbs.so.1 (and, built with -DFAKE_MLX5,
 * libmlx5.so.1) for the interposer's binding tests on a machine without an
 * RDMA device. It exports what the interposer and the tests call with the
 * real library's symbol versions (IBVERBS_1.0 compatibility calls go to the
 * 1.1 ones through the PLT, as in rdma-core), builds extended contexts with
 * a create_qp_ex op (for the ibv_create_qp_ex inline), and remembers what
 * each QP was given at RTR: the flow label, and the source port a device
 * would derive from it (fake_qp_sport()).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <infiniband/verbs.h>

#include "fakeverbs.h"

#define EXPORT __attribute__((visibility("default")))

struct fake_qp {
	struct ibv_qp qp;
	uint32_t label;
	uint16_t sport;
	int nmodify;
};

#ifndef FAKE_MLX5

static struct ibv_device fake_dev = { .name = "fake0" };
static struct ibv_device *fake_list[] = { &fake_dev, NULL };
static uint32_t next_qpn = 0x100;
static union ibv_gid gids[2][4];	/* [port - 1][index] */

EXPORT void fake_set_gid(uint8_t port, int index, const uint8_t raw[16])
{
	memcpy(gids[port - 1][index].raw, raw, 16);
}

EXPORT uint32_t fake_qp_label(const struct ibv_qp *qp)
{
	return ((const struct fake_qp *)qp)->label;
}

EXPORT uint16_t fake_qp_sport(const struct ibv_qp *qp)
{
	return ((const struct fake_qp *)qp)->sport;
}

EXPORT int fake_qp_nmodify(const struct ibv_qp *qp)
{
	return ((const struct fake_qp *)qp)->nmodify;
}

/*
 * dlsym(RTLD_NEXT) as this library: not a tail call, which would ask as
 * our caller.
 */
__attribute__((optimize("no-optimize-sibling-calls")))
EXPORT void *fake_next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* Port 1: GID 1 is 10.0.1.1, GID 2 is 10.0.2.1 (one device, both ends). */
__attribute__((constructor)) static void fake_init(void)
{
	int i;

	for (i = 1; i <= 2; i++) {
		gids[0][i].raw[10] = gids[0][i].raw[11] = 0xff;
		gids[0][i].raw[12] = 10;
		gids[0][i].raw[14] = (uint8_t)i;
		gids[0][i].raw[15] = 1;
	}
}

EXPORT const char *ibv_get_device_name(struct ibv_device *dev)
{
	return dev->name;
}

EXPORT struct ibv_cq *ibv_create_cq(struct ibv_context *ctx, int cqe,
				    void *cq_ctx, struct ibv_comp_channel *ch,
				    int vec)
{
	struct ibv_cq *cq = calloc(1, sizeof(*cq));

	(void)cqe;
	(void)ch;
	(void)vec;
	if (cq) {
		cq->context = ctx;
		cq->cq_context = cq_ctx;
	}
	return cq;
}

EXPORT int ibv_destroy_cq(struct ibv_cq *cq)
{
	free(cq);
	return 0;
}

EXPORT struct ibv_device **ibv_get_device_list(int *n)
{
	if (n)
		*n = 1;
	return fake_list;
}

EXPORT void ibv_free_device_list(struct ibv_device **l)
{
	(void)l;
}

EXPORT struct ibv_qp *fake_new_qp(struct ibv_context *ctx, struct ibv_pd *pd,
				  enum ibv_qp_type type)
{
	struct fake_qp *f = calloc(1, sizeof(*f));

	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	f->qp.context = ctx;
	f->qp.pd = pd;
	f->qp.qp_num = next_qpn++;
	f->qp.qp_type = type;
	f->qp.state = IBV_QPS_RESET;
	return &f->qp;
}

static struct ibv_qp *fake_create_qp_ex(struct ibv_context *ctx,
					struct ibv_qp_init_attr_ex *a)
{
	return fake_new_qp(ctx, a->pd, a->qp_type);
}

EXPORT struct ibv_context *ibv_open_device(struct ibv_device *dev)
{
	struct verbs_context *v = calloc(1, sizeof(*v));

	if (!v) {
		errno = ENOMEM;
		return NULL;
	}
	v->sz = sizeof(*v);
	v->create_qp_ex = fake_create_qp_ex;
	v->context.device = dev;
	v->context.abi_compat = __VERBS_ABI_IS_EXTENDED;
	return &v->context;
}

EXPORT int ibv_close_device(struct ibv_context *ctx)
{
	free(verbs_get_ctx(ctx));
	return 0;
}

EXPORT struct ibv_pd *ibv_alloc_pd(struct ibv_context *ctx)
{
	struct ibv_pd *pd = calloc(1, sizeof(*pd));

	if (pd)
		pd->context = ctx;
	return pd;
}

EXPORT int ibv_dealloc_pd(struct ibv_pd *pd)
{
	free(pd);
	return 0;
}

EXPORT struct ibv_qp *ibv_create_qp(struct ibv_pd *pd,
				    struct ibv_qp_init_attr *a)
{
	return fake_new_qp(pd->context, pd, a->qp_type);
}

EXPORT int ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask)
{
	struct fake_qp *f = (struct fake_qp *)qp;

	f->nmodify++;
	if (!(mask & IBV_QP_STATE))
		return 0;
	if (a->qp_state == IBV_QPS_RTR && (mask & IBV_QP_AV)) {
		uint32_t fl = a->ah_attr.grh.flow_label;

		if (fl > 0xfffff)
			return EINVAL;
		f->label = fl;
		/* rxe and mlx5: label 0 lets the QP numbers choose. */
		if (!fl)
			fl = (qp->qp_num * 0x9e3779b1u) & 0xfffff;
		f->sport = (uint16_t)(0xC000u | ((fl & 0x3fffu) ^ (fl >> 14)));
	}
	qp->state = a->qp_state;
	return 0;
}

EXPORT int ibv_destroy_qp(struct ibv_qp *qp)
{
	free(qp);
	return 0;
}

EXPORT int ibv_query_gid(struct ibv_context *ctx, uint8_t port, int index,
			 union ibv_gid *gid)
{
	(void)ctx;
	if (port < 1 || port > 2 || index < 0 || index > 3)
		return EINVAL;
	*gid = gids[port - 1][index];
	return 0;
}

/*
 * IBVERBS_1.0: rdma-core's compatibility versions take 1.0 objects and call
 * the 1.1 functions through the PLT; here the objects are the same.
 */
EXPORT int fake_modify_qp_1_0(struct ibv_qp *qp, struct ibv_qp_attr *a,
			      int mask)
{
	return ibv_modify_qp(qp, a, mask);
}
__asm__(".symver fake_modify_qp_1_0, ibv_modify_qp@IBVERBS_1.0");

EXPORT struct ibv_qp *fake_create_qp_1_0(struct ibv_pd *pd,
					 struct ibv_qp_init_attr *a)
{
	return ibv_create_qp(pd, a);
}
__asm__(".symver fake_create_qp_1_0, ibv_create_qp@IBVERBS_1.0");

#else /* FAKE_MLX5 */

static int sport_ok;
static int sport_calls;

EXPORT void fake_mlx5_sport_ok(int ok)
{
	sport_ok = ok;
}

EXPORT int fake_mlx5_sport_calls(void)
{
	return sport_calls;
}

/* libmlx5 creates the QP itself, not through ibv_create_qp. */
EXPORT struct ibv_qp *mlx5dv_create_qp(struct ibv_context *ctx,
				       struct ibv_qp_init_attr_ex *a,
				       struct mlx5dv_qp_init_attr *m)
{
	(void)m;
	return fake_new_qp(ctx, a->pd, a->qp_type);
}

EXPORT int mlx5dv_modify_qp_udp_sport(struct ibv_qp *qp, uint16_t sport)
{
	struct fake_qp *f = (struct fake_qp *)qp;

	sport_calls++;
	if (!sport_ok)
		return EOPNOTSUPP;
	if (qp->state != IBV_QPS_RTS)
		return EINVAL;
	f->sport = sport;
	return 0;
}

#endif
