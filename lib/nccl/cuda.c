// SPDX-License-Identifier: MIT
/*
 * cuda.c - what the net plugin asks of the CUDA driver, loaded with
 * dlopen("libcuda.so.1") on first use, as libflowplan does: whether GPU
 * memory can go to the NIC directly (GPUDirect: dma-buf or peer memory),
 * which GPU a pointer is on, and the flush of GPUDirect writes.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "flowplan/pcitopo.h"
#include "nccl/net.h"

typedef int CUresult;
typedef int CUdevice;

#define CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL		9
#define CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED		124
#define CU_FLUSH_GPU_DIRECT_RDMA_WRITES_TARGET_CURRENT_CTX	0
#define CU_FLUSH_GPU_DIRECT_RDMA_WRITES_TO_OWNER	100

/* The driver calls used here, as libcuda.so.1 exports them. */
typedef CUresult cu_init_fn(unsigned int);
typedef CUresult cu_count_fn(int *);
typedef CUresult cu_get_fn(CUdevice *, int);
typedef CUresult cu_attr_fn(int *, int, CUdevice);
typedef CUresult cu_ptr_attr_fn(void *, int, unsigned long long);
typedef CUresult cu_bus_id_fn(char *, int, CUdevice);
typedef CUresult cu_flush_fn(int, int);

static struct {
	pthread_once_t once;
	int err;
	cu_init_fn *init;
	cu_count_fn *count;
	cu_get_fn *get;
	cu_attr_fn *attr;
	cu_ptr_attr_fn *ptr_attr;
	cu_bus_id_fn *bus_id;
	cu_flush_fn *flush;
} cu = { .once = PTHREAD_ONCE_INIT };

static void load(void)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		cu.err = ENOENT;
		return;
	}
	cu.init = (cu_init_fn *)dlsym(h, "cuInit");
	cu.count = (cu_count_fn *)dlsym(h, "cuDeviceGetCount");
	cu.get = (cu_get_fn *)dlsym(h, "cuDeviceGet");
	cu.attr = (cu_attr_fn *)dlsym(h, "cuDeviceGetAttribute");
	cu.ptr_attr = (cu_ptr_attr_fn *)dlsym(h, "cuPointerGetAttribute");
	cu.bus_id = (cu_bus_id_fn *)dlsym(h, "cuDeviceGetPCIBusId");
	cu.flush = (cu_flush_fn *)dlsym(h, "cuFlushGPUDirectRDMAWrites");
	if (!cu.init || !cu.count || !cu.get || !cu.attr || !cu.ptr_attr ||
	    !cu.bus_id) {
		cu.err = ENOSYS;
		return;
	}
	cu.err = cu.init(0) ? ENODEV : 0;
}

static int cuda(void)
{
	pthread_once(&cu.once, load);
	return cu.err;
}

static bool peer_memory(void)
{
	return !access("/sys/kernel/mm/memory_peers/nv_mem/version", F_OK) ||
	       !access("/sys/module/nvidia_peermem/version", F_OK);
}

/* The kernel and provider take dma-buf MRs: a bad fd gives EBADF. */
static bool nic_dmabuf(struct ibv_context *verbs)
{
	struct ibv_pd *pd = ibv_alloc_pd(verbs);
	struct ibv_mr *mr;
	bool ok;

	if (!pd)
		return false;
	errno = 0;
	mr = ibv_reg_dmabuf_mr(pd, 0, 4096, 0, -1, IBV_ACCESS_LOCAL_WRITE);
	ok = !mr && (errno == EBADF || errno == EINVAL);
	if (mr)
		ibv_dereg_mr(mr);
	ibv_dealloc_pd(pd);
	return ok;
}

int fpn_cuda_ptr_support(struct ibv_context *verbs)
{
	const char *gdr = getenv("FLOWPLAN_NCCL_GDR");
	int n = 0, i, v = 0, flags = 0;
	bool dmabuf = false;

	if ((gdr && !strcmp(gdr, "0")) || cuda() || cu.count(&n) || !n)
		return 0;
	for (i = 0; i < n; i++) {
		CUdevice d;

		if (!cu.get(&d, i) &&
		    !cu.attr(&v, CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED, d) && v)
			dmabuf = true;
	}
	dmabuf = dmabuf && nic_dmabuf(verbs);
	if (dmabuf)
		flags |= NCCL_PTR_CUDA | NCCL_PTR_DMABUF;
	if (peer_memory())
		flags |= NCCL_PTR_CUDA;
	return flags;
}

static int parse_bdf(const char *s, unsigned int v[4])
{
	return sscanf(s, "%x:%x:%x.%x", &v[0], &v[1], &v[2], &v[3]) == 4 ?
	       0 : EINVAL;
}

int fpn_cuda_gpu_of(const void *ptr, int *gpu)
{
	struct fp_pci_dev gpus[FP_PCI_MAX_DEVS];
	unsigned int want[4], have[4];
	char bus[32];
	int ord = -1, n = 0, i, ret;
	CUdevice d;

	ret = cuda();
	if (ret)
		return ret;
	if (cu.ptr_attr(&ord, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL,
			(unsigned long long)(uintptr_t)ptr) || ord < 0)
		return EFAULT;
	if (cu.get(&d, ord) || cu.bus_id(bus, sizeof(bus), d) ||
	    parse_bdf(bus, want))
		return EIO;
	/* libflowplan numbers GPUs in PCI bus order over sysfs. */
	if (!fp_pci_gpus(NULL, gpus, FP_PCI_MAX_DEVS, &n))
		for (i = 0; i < n; i++)
			if (!parse_bdf(gpus[i].bdf, have) &&
			    !memcmp(have, want, sizeof(want))) {
				*gpu = i;
				return 0;
			}
	*gpu = ord;
	return 0;
}

int fpn_cuda_flush(void)
{
	int ret = cuda();

	if (ret)
		return ret;
	if (!cu.flush)
		return ENOSYS;
	return cu.flush(CU_FLUSH_GPU_DIRECT_RDMA_WRITES_TARGET_CURRENT_CTX,
			CU_FLUSH_GPU_DIRECT_RDMA_WRITES_TO_OWNER) ? EIO : 0;
}
