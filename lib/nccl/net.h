/* SPDX-License-Identifier: MIT */
/*
 * net.h - the net plugin's calls in one version-neutral form (net.c), which
 * api.c exports as ncclNetPlugin_v11, _v10 and _v9, and its GPU helpers
 * (cuda.c). Internal to libnccl-net-flowplan.so.
 */
#ifndef FPN_NET_H
#define FPN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "nccl/nccl_abi.h"

void fpn_log(int level, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define FPN_WARN(...)	fpn_log(NCCL_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define FPN_INFO(...)	fpn_log(NCCL_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)

extern ncclProfilerCallback_t fpn_proffn;

ncclResult_t fpn_init(ncclDebugLogger_t log, ncclProfilerCallback_t prof);
void fpn_fini(void);
ncclResult_t fpn_devices(int *ndev);
ncclResult_t fpn_get_properties(int dev, ncclNetProperties_v11_t *props);

struct fpn_nctx;
struct fpn_nctx *fpn_nctx_default(void);
ncclResult_t fpn_nctx_new(uint64_t comm_id, int tclass, void **out);
ncclResult_t fpn_nctx_free(void *ctx);
ncclResult_t fpn_set_attr(void *ctx, const ncclNetAttr_v11_t *attr);

ncclResult_t fpn_listen(void *ctx, int dev, void *handle, void **listen);
ncclResult_t fpn_connect(void *ctx, int dev, void *handle, void **send);
ncclResult_t fpn_accept(void *listen, void **recv);
ncclResult_t fpn_close_listen(void *listen);
ncclResult_t fpn_reg_mr(void *comm, void *data, size_t size, int type,
			void **mhandle);
ncclResult_t fpn_reg_mr_dmabuf(void *comm, void *data, size_t size, int type,
			       uint64_t offset, int fd, void **mhandle);
ncclResult_t fpn_dereg_mr(void *comm, void *mhandle);
ncclResult_t fpn_isend(void *comm, void *data, size_t size, int tag,
		       void *mhandle, void *phandle, void **request);
ncclResult_t fpn_irecv(void *comm, int n, void **data, size_t *sizes,
		       int *tags, void **mhandles, void **phandles,
		       void **request);
ncclResult_t fpn_iflush(void *comm, int n, void **data, int *sizes,
			void **mhandles, void **request);
ncclResult_t fpn_test(void *request, int *done, int *sizes);
ncclResult_t fpn_close(void *comm);

/*
 * Addresses and connect handles (net.c; pure functions, unit-tested in
 * tests/test_nccl_net.c). An address of either family is 16 bytes, IPv4 as
 * ::ffff:a.b.c.d (the RoCEv2 GID form).
 */
struct fpn_ip {
	uint8_t b[16];
};

struct ibv_gid_entry;
/*
 * The address family rule: FLOWPLAN_NCCL_ADDR_FAMILY, else
 * NCCL_IB_ADDR_FAMILY, "AF_INET" or "AF_INET6" (NCCL's spelling); unset:
 * AF_UNSPEC (a port's IPv4 GID if it has one, else its IPv6 GID). 0, or
 * EINVAL for any other value (*name, *value say which).
 */
int fpn_addr_family(int *family, const char **name, const char **value);
/*
 * The GID of @n entries (one port's table) that a device of @family
 * (AF_INET, AF_INET6, AF_UNSPEC) uses: the first RoCEv2 GID holding an
 * IPv4 address, or a global IPv6 one (not link-local, multicast or
 * IPv4-mapped); for AF_UNSPEC IPv4 first. Its gid_index, and its address
 * in *addr; -1 when there is none.
 */
int fpn_gid_pick(const struct ibv_gid_entry *e, int n, int family,
		 struct fpn_ip *addr);
int fpn_ip_family(const struct fpn_ip *a);
/* An IPv4 or IPv6 address as text; 0 or EINVAL. */
int fpn_ip_parse(const char *s, struct fpn_ip *out);
const char *fpn_ip_str(const struct fpn_ip *a, char *buf, size_t len);

/*
 * The connect handle (version 2: addresses of either family; version 1 had
 * 4-byte IPv4 ones). fpn_handle_check: 0, or EPROTO for a handle that is
 * not ours or of another version, EAFNOSUPPORT when the listener's RDMA
 * address is not of @family (the connecting device's); @msg says which.
 */
#define FPN_HANDLE_VERSION	2
struct fpn_setup;
struct fpn_handle {
	uint32_t magic;
	uint16_t version;
	uint16_t port;			/* bootstrap TCP port */
	struct fpn_ip addr;		/* listener's RDMA address */
	struct fpn_ip boot;		/* its bootstrap address */
	struct fpn_setup *stage;	/* connect() in progress (ours only) */
};
int fpn_handle_check(const struct fpn_handle *h, int family, char *msg,
		     size_t len);

/*
 * cuda.c: the CUDA driver, loaded at run time (nothing links CUDA).
 * fpn_cuda_ptr_support: NCCL_PTR_CUDA when GPU memory can be registered
 * with @verbs' device without staging (dma-buf or peer memory), plus
 * NCCL_PTR_DMABUF when dma-buf works; 0 without CUDA. FLOWPLAN_NCCL_GDR=0
 * turns both off.
 */
struct ibv_context;
int fpn_cuda_ptr_support(struct ibv_context *verbs);
/* The GPU index (PCI bus order, as libflowplan numbers GPUs) of @ptr. */
int fpn_cuda_gpu_of(const void *ptr, int *gpu);
/* Make the NIC's writes to GPU memory visible to the GPU (0 or errno). */
int fpn_cuda_flush(void);

#endif
