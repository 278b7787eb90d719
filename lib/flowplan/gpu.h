/* SPDX-License-Identifier: MIT */
/*
 * gpu.h - GPU buffers for libflowplan: CUDA device memory through the driver
 * API loaded at run time (dlopen("libcuda.so.1"); nothing links CUDA), and
 * its registration with a NIC for GPUDirect RDMA.
 *
 * GPU indices are PCI bus order (as pcitopo.h numbers them, and as CUDA
 * does under CUDA_DEVICE_ORDER=PCI_BUS_ID), whatever CUDA's own order.
 * Functions return 0 or an errno value: ENOENT no libcuda.so.1, ENODEV no
 * (such) CUDA device, EIO another driver error, with a reason in @why.
 * docs/placement.md describes the registration order.
 */
#ifndef FP_GPU_H
#define FP_GPU_H

#include <stddef.h>

#include "flowplan/flowplan.h"

struct ibv_pd;
struct ibv_mr;

/* 0 if CUDA is usable; else an errno value and e.g. "libcuda.so.1 not found". */
int fp_gpu_available(char *why, size_t whylen);
/* Number of CUDA devices visible to this process. */
int fp_gpu_count(int *n, char *why, size_t whylen);

int fp_gpu_alloc(int gpu, size_t len, void **dptr, char *why, size_t whylen);
/* Frees @dptr and the staging buffer fp_gpu_reg() may have made for it. */
void fp_gpu_free(int gpu, void *dptr, size_t len);

/**
 * fp_gpu_reg() - register GPU memory with the NIC of @pd
 * @pd: protection domain of the NIC
 * @gpu: GPU owning @dptr
 * @dptr: device pointer
 * @len: bytes
 * @access: IBV_ACCESS_* flags
 * @mr: the memory region
 * @how: FP_REG_DMABUF, FP_REG_PEER or FP_REG_STAGED
 * @staging: for FP_REG_STAGED, the pinned host buffer @mr covers (one per
 *	@dptr, shared by its registrations, freed by fp_gpu_free() or
 *	fp_gpu_staging_release()); NULL otherwise
 *
 * Tries, in order: dma-buf (cuMemGetHandleForAddressRange() and
 * ibv_reg_dmabuf_mr()), peer memory (ibv_reg_mr() on the device pointer,
 * needs nvidia-peermem), staging through pinned host memory (cuMemHostAlloc()
 * and ibv_reg_mr()). $FLOWPLAN_GPU_REG ("dmabuf", "peer", "staged", or a
 * comma list) restricts the methods tried. Why each earlier method failed is
 * kept for fp_gpu_last_reasons().
 */
int fp_gpu_reg(struct ibv_pd *pd, int gpu, void *dptr, size_t len, int access,
	       struct ibv_mr **mr, int *how, void **staging);

/* This thread's last fp_gpu_reg() failures: "dmabuf: ...; peer: ..." */
const char *fp_gpu_last_reasons(void);

/* Staged buffers: copy between the GPU buffer and its staging buffer. */
int fp_gpu_stage_to_host(int gpu, void *dptr, size_t off, size_t len);
int fp_gpu_stage_to_gpu(int gpu, void *dptr, size_t off, size_t len);
/* Free @dptr's staging buffer (for GPU memory libflowplan did not allocate). */
void fp_gpu_staging_release(void *dptr);

/* "host", "dmabuf", "peer", "staged", "none" */
const char *fp_gpu_reg_name(int how);

#endif
