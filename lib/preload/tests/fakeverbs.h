/* SPDX-License-Identifier: MIT */
/*
 * fakeverbs.h - the test hooks of the stand-in libibverbs.so.1 and
 * libmlx5.so.1 (fakeverbs.c), and the mlx5dv calls it implements.
 */
#ifndef FP_PRELOAD_FAKEVERBS_H
#define FP_PRELOAD_FAKEVERBS_H

#include <stdint.h>

#include <infiniband/verbs.h>

struct mlx5dv_qp_init_attr;

/* libibverbs.so.1 */
void fake_set_gid(uint8_t port, int index, const uint8_t raw[16]);
uint32_t fake_qp_label(const struct ibv_qp *qp);
uint16_t fake_qp_sport(const struct ibv_qp *qp);
int fake_qp_nmodify(const struct ibv_qp *qp);
void *fake_next(const char *name);
struct ibv_qp *fake_new_qp(struct ibv_context *ctx, struct ibv_pd *pd,
			   enum ibv_qp_type type);
int fake_modify_qp_1_0(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask);
struct ibv_qp *fake_create_qp_1_0(struct ibv_pd *pd,
				  struct ibv_qp_init_attr *a);

/* libmlx5.so.1 */
void fake_mlx5_sport_ok(int ok);
int fake_mlx5_sport_calls(void);
struct ibv_qp *mlx5dv_create_qp(struct ibv_context *ctx,
				struct ibv_qp_init_attr_ex *a,
				struct mlx5dv_qp_init_attr *m);
int mlx5dv_modify_qp_udp_sport(struct ibv_qp *qp, uint16_t sport);

#endif
