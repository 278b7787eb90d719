// SPDX-License-Identifier: MIT
/*
 * gpu.c - CUDA device memory and its NIC registration, through the CUDA
 * driver API loaded at run time: libflowplan builds, loads and runs on
 * machines without CUDA, and says why GPU placement is unavailable.
 *
 * The few driver types and constants used are declared here (API facts), so
 * that cuda.h is not needed to build. Every call into the driver runs with
 * the GPU's primary context pushed and popped again, leaving the
 * application's current context alone.
 */
#include <dlfcn.h>
#include <errno.h>
#include <infiniband/verbs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowplan/gpu.h"
#include "flowplan/pcitopo.h"

/* The CUDA driver API types (CUresult, CUdevice, ...), declared here. */
typedef int cu_result_t;
typedef int cu_device_t;
typedef void *cu_context_t;
typedef unsigned long long cu_deviceptr_t;

#define CUDA_SUCCESS				0
#define CUDA_ERROR_NO_DEVICE			100
#define CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED	124
#define CU_POINTER_ATTRIBUTE_SYNC_MEMOPS	6
#define CU_MEMHOSTALLOC_PORTABLE		0x01
#define CU_MEM_RANGE_HANDLE_TYPE_DMA_BUF_FD	1

#define MAX_GPUS	FP_PCI_MAX_DEVS

static struct {
	cu_result_t (*init)(unsigned int flags);
	cu_result_t (*device_get_count)(int *n);
	cu_result_t (*device_get)(cu_device_t *dev, int ordinal);
	cu_result_t (*device_get_pci_bus_id)(char *id, int len, cu_device_t dev);
	cu_result_t (*device_get_attribute)(int *v, int attr, cu_device_t dev);
	cu_result_t (*primary_ctx_retain)(cu_context_t *ctx, cu_device_t dev);
	cu_result_t (*ctx_push)(cu_context_t ctx);
	cu_result_t (*ctx_pop)(cu_context_t *ctx);
	cu_result_t (*mem_alloc)(cu_deviceptr_t *p, size_t len);
	cu_result_t (*mem_free)(cu_deviceptr_t p);
	cu_result_t (*mem_host_alloc)(void **p, size_t len, unsigned int flags);
	cu_result_t (*mem_free_host)(void *p);
	cu_result_t (*memcpy_dtoh)(void *dst, cu_deviceptr_t src, size_t len);
	cu_result_t (*memcpy_htod)(cu_deviceptr_t dst, const void *src, size_t len);
	cu_result_t (*pointer_set_attribute)(const void *v, int attr, cu_deviceptr_t p);
	cu_result_t (*get_error_name)(cu_result_t e, const char **name);
	/* optional: CUDA 11.7 and later */
	cu_result_t (*get_handle_for_range)(void *handle, cu_deviceptr_t p, size_t len,
					 int type, unsigned long long flags);
} cu;

static pthread_once_t cu_once = PTHREAD_ONCE_INIT;
static int cu_err;
static char cu_why[256];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int ngpus = -1;
static cu_device_t gpu_dev[MAX_GPUS];	/* index (PCI bus order) -> device */
static cu_context_t gpu_ctx[MAX_GPUS];

static __thread char reasons[512];

struct staging {
	struct staging *next;
	void *dptr;
	size_t len;
	void *host;
};
static struct staging *stagings;

static void set_why(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static const char *cu_name(cu_result_t e)
{
	const char *s = NULL;

	if (cu.get_error_name && cu.get_error_name(e, &s) == CUDA_SUCCESS && s)
		return s;
	return "CUDA error";
}

static int cu_errno(cu_result_t e)
{
	switch (e) {
	case CUDA_SUCCESS:
		return 0;
	case 1:		/* CUDA_ERROR_INVALID_VALUE */
		return EINVAL;
	case 2:		/* CUDA_ERROR_OUT_OF_MEMORY */
		return ENOMEM;
	case 35:	/* CUDA_ERROR_INSUFFICIENT_DRIVER */
	case CUDA_ERROR_NO_DEVICE:
	case 101:	/* CUDA_ERROR_INVALID_DEVICE */
		return ENODEV;
	case 801:	/* CUDA_ERROR_NOT_SUPPORTED */
		return EOPNOTSUPP;
	default:
		return EIO;
	}
}

static void cu_load(void)
{
	const char *path = getenv("FLOWPLAN_LIBCUDA");
	const struct {
		const char *name;
		void **fn;
		bool optional;
	} syms[] = {
		{ "cuInit", (void **)&cu.init, false },
		{ "cuDeviceGetCount", (void **)&cu.device_get_count, false },
		{ "cuDeviceGet", (void **)&cu.device_get, false },
		{ "cuDeviceGetPCIBusId", (void **)&cu.device_get_pci_bus_id, false },
		{ "cuDeviceGetAttribute", (void **)&cu.device_get_attribute, false },
		{ "cuDevicePrimaryCtxRetain", (void **)&cu.primary_ctx_retain, false },
		{ "cuCtxPushCurrent_v2", (void **)&cu.ctx_push, false },
		{ "cuCtxPopCurrent_v2", (void **)&cu.ctx_pop, false },
		{ "cuMemAlloc_v2", (void **)&cu.mem_alloc, false },
		{ "cuMemFree_v2", (void **)&cu.mem_free, false },
		{ "cuMemHostAlloc", (void **)&cu.mem_host_alloc, false },
		{ "cuMemFreeHost", (void **)&cu.mem_free_host, false },
		{ "cuMemcpyDtoH_v2", (void **)&cu.memcpy_dtoh, false },
		{ "cuMemcpyHtoD_v2", (void **)&cu.memcpy_htod, false },
		{ "cuPointerSetAttribute", (void **)&cu.pointer_set_attribute, false },
		{ "cuGetErrorName", (void **)&cu.get_error_name, false },
		{ "cuMemGetHandleForAddressRange",
		  (void **)&cu.get_handle_for_range, true },
	};
	const char *lib = path && *path ? path : "libcuda.so.1";
	void *h;
	size_t i;
	cu_result_t e;
	int n = 0;

	h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		cu_err = ENOENT;
		if (path && *path)
			snprintf(cu_why, sizeof(cu_why), "%s not found: %s",
				 lib, dlerror());
		else
			snprintf(cu_why, sizeof(cu_why),
				 "libcuda.so.1 not found (no NVIDIA driver)");
		return;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].fn = dlsym(h, syms[i].name);
		if (!*syms[i].fn && !syms[i].optional) {
			cu_err = ENOSYS;
			snprintf(cu_why, sizeof(cu_why),
				 "%s has no %s (driver too old)", lib, syms[i].name);
			return;
		}
	}
	e = cu.init(0);
	if (e == CUDA_SUCCESS)
		e = cu.device_get_count(&n);
	if (e != CUDA_SUCCESS || n == 0) {
		cu_err = e == CUDA_SUCCESS ? ENODEV : cu_errno(e);
		snprintf(cu_why, sizeof(cu_why), "no CUDA device: %s",
			 e == CUDA_SUCCESS ? "the driver found none" : cu_name(e));
	}
}

int fp_gpu_available(char *why, size_t whylen)
{
	pthread_once(&cu_once, cu_load);
	if (cu_err)
		set_why(why, whylen, "%s", cu_why);
	return cu_err;
}

int fp_gpu_count(int *n, char *why, size_t whylen)
{
	int ret = fp_gpu_available(why, whylen);

	*n = 0;
	if (ret)
		return ret;
	ret = cu_errno(cu.device_get_count(n));
	if (ret)
		set_why(why, whylen, "cuDeviceGetCount failed");
	return ret;
}

static int bus_id(const char *s, unsigned int v[4])
{
	return sscanf(s, "%x:%x:%x.%x", &v[0], &v[1], &v[2], &v[3]) == 4 ? 0 : EINVAL;
}

static int cmp_bus(const void *a, const void *b)
{
	const unsigned int *x = a, *y = b;
	int i;

	for (i = 0; i < 4; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/*
 * Number the CUDA devices in PCI bus order of the GPUs sysfs shows (so the
 * indices agree with pcitopo.c's), or of the driver's own bus ids when sysfs
 * shows no GPU (containers). Called with @lock held.
 */
static int map_gpus(void)
{
	unsigned int ids[MAX_GPUS][5];
	struct fp_pci_dev *sys;
	char id[32];
	int n = 0, ns = 0, i, j, k = 0;
	cu_device_t d;

	if (ngpus >= 0)
		return 0;
	if (cu.device_get_count(&n) != CUDA_SUCCESS)
		return EIO;
	if (n > MAX_GPUS)
		n = MAX_GPUS;
	for (i = 0; i < n; i++) {
		if (cu.device_get(&d, i) != CUDA_SUCCESS ||
		    cu.device_get_pci_bus_id(id, sizeof(id), d) != CUDA_SUCCESS ||
		    bus_id(id, ids[i]))
			return EIO;
		ids[i][4] = (unsigned int)d;
	}
	sys = calloc(MAX_GPUS, sizeof(*sys));
	if (sys && !fp_pci_gpus(getenv("FLOWPLAN_SYSROOT"), sys, MAX_GPUS, &ns) &&
	    ns > 0) {
		for (j = 0; j < ns; j++) {
			unsigned int v[4];

			gpu_dev[j] = -1;
			if (bus_id(sys[j].bdf, v))
				continue;
			for (i = 0; i < n; i++)
				if (!cmp_bus(v, ids[i]))
					gpu_dev[j] = (cu_device_t)ids[i][4];
		}
		k = ns;
	} else {
		qsort(ids, n, sizeof(ids[0]), cmp_bus);
		for (i = 0; i < n; i++)
			gpu_dev[i] = (cu_device_t)ids[i][4];
		k = n;
	}
	free(sys);
	ngpus = k;
	return 0;
}

/* Push GPU @gpu's primary context; the caller pops it with pop(). */
static int push(int gpu, char *why, size_t whylen)
{
	cu_result_t e;
	int ret;

	ret = fp_gpu_available(why, whylen);
	if (ret)
		return ret;
	pthread_mutex_lock(&lock);
	ret = map_gpus();
	if (!ret && (gpu < 0 || gpu >= ngpus || gpu_dev[gpu] < 0)) {
		ret = ENODEV;
		set_why(why, whylen, "no CUDA device for GPU %d (hidden by CUDA_VISIBLE_DEVICES, or absent)",
			gpu);
	} else if (!ret && !gpu_ctx[gpu]) {
		e = cu.primary_ctx_retain(&gpu_ctx[gpu], gpu_dev[gpu]);
		if (e != CUDA_SUCCESS) {
			gpu_ctx[gpu] = NULL;
			ret = cu_errno(e);
			set_why(why, whylen, "cuDevicePrimaryCtxRetain: %s", cu_name(e));
		}
	} else if (ret) {
		set_why(why, whylen, "cannot enumerate CUDA devices");
	}
	pthread_mutex_unlock(&lock);
	if (ret)
		return ret;
	e = cu.ctx_push(gpu_ctx[gpu]);
	if (e != CUDA_SUCCESS) {
		set_why(why, whylen, "cuCtxPushCurrent: %s", cu_name(e));
		return cu_errno(e);
	}
	return 0;
}

static void pop(void)
{
	cu_context_t c;

	cu.ctx_pop(&c);
}

int fp_gpu_alloc(int gpu, size_t len, void **dptr, char *why, size_t whylen)
{
	cu_deviceptr_t p = 0;
	cu_result_t e;
	int ret;

	*dptr = NULL;
	if (!len)
		return EINVAL;
	ret = push(gpu, why, whylen);
	if (ret)
		return ret;
	e = cu.mem_alloc(&p, len);
	pop();
	if (e != CUDA_SUCCESS) {
		set_why(why, whylen, "cuMemAlloc(%zu): %s", len, cu_name(e));
		return cu_errno(e);
	}
	*dptr = (void *)(uintptr_t)p;
	return 0;
}

void fp_gpu_staging_release(void *dptr)
{
	struct staging **pp, *s;

	pthread_mutex_lock(&lock);
	for (pp = &stagings; (s = *pp);) {
		if (s->dptr == dptr) {
			*pp = s->next;
			cu.mem_free_host(s->host);
			free(s);
		} else {
			pp = &s->next;
		}
	}
	pthread_mutex_unlock(&lock);
}

void fp_gpu_free(int gpu, void *dptr, size_t len)
{
	(void)len;
	if (!dptr || push(gpu, NULL, 0))
		return;
	fp_gpu_staging_release(dptr);
	cu.mem_free((cu_deviceptr_t)(uintptr_t)dptr);
	pop();
}

static void add_reason(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_reason(const char *what, const char *fmt, ...)
{
	size_t n = strlen(reasons);
	va_list ap;

	if (n + 4 >= sizeof(reasons))
		return;
	n += (size_t)snprintf(reasons + n, sizeof(reasons) - n, "%s%s: ",
			      n ? "; " : "", what);
	if (n >= sizeof(reasons))
		return;
	va_start(ap, fmt);
	vsnprintf(reasons + n, sizeof(reasons) - n, fmt, ap);
	va_end(ap);
}

const char *fp_gpu_last_reasons(void)
{
	return reasons;
}

/* Is @method allowed by $FLOWPLAN_GPU_REG? */
static bool allowed(const char *method)
{
	const char *env = getenv("FLOWPLAN_GPU_REG"), *p;
	size_t n = strlen(method);

	if (!env || !*env)
		return true;
	for (p = env; (p = strstr(p, method)); p += n)
		if ((p == env || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

static struct ibv_mr *reg_dmabuf(struct ibv_pd *pd, int gpu, void *dptr,
				 size_t len, int access)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t p = (uintptr_t)dptr, pgsz = pg > 0 ? (uintptr_t)pg : 4096;
	uintptr_t base = p & ~(pgsz - 1);
	uintptr_t end = (p + len + pgsz - 1) & ~(pgsz - 1);
	struct ibv_mr *mr;
	int fd = -1, ok = 0, err;
	cu_result_t e;

	if (!cu.get_handle_for_range) {
		add_reason("dmabuf",
			   "driver has no cuMemGetHandleForAddressRange (CUDA 11.7 or later needed)");
		return NULL;
	}
	e = cu.device_get_attribute(&ok, CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED,
				    gpu_dev[gpu]);
	if (e != CUDA_SUCCESS || !ok) {
		add_reason("dmabuf",
			   "GPU or driver without dma-buf support (open kernel modules and Linux 5.12+ needed)");
		return NULL;
	}
	e = cu.get_handle_for_range(&fd, base, end - base,
				    CU_MEM_RANGE_HANDLE_TYPE_DMA_BUF_FD, 0);
	if (e != CUDA_SUCCESS) {
		add_reason("dmabuf", "cuMemGetHandleForAddressRange: %s",
			   cu_name(e));
		return NULL;
	}
	mr = ibv_reg_dmabuf_mr(pd, p - base, len, p, fd, access);
	err = errno;
	close(fd);		/* the MR keeps its own reference */
	if (!mr)
		add_reason("dmabuf", "ibv_reg_dmabuf_mr: %s", strerror(err));
	return mr;
}

static struct ibv_mr *reg_peer(struct ibv_pd *pd, void *dptr, size_t len,
			       int access)
{
	unsigned int one = 1;
	struct ibv_mr *mr;

	/* GPUDirect needs synchronous memory operations on the range. */
	cu.pointer_set_attribute(&one, CU_POINTER_ATTRIBUTE_SYNC_MEMOPS,
				 (cu_deviceptr_t)(uintptr_t)dptr);
	mr = ibv_reg_mr(pd, dptr, len, access);
	if (!mr)
		add_reason("peer", "ibv_reg_mr on device memory: %s (is nvidia-peermem loaded?)",
			   strerror(errno));
	return mr;
}

static struct ibv_mr *reg_staged(struct ibv_pd *pd, void *dptr, size_t len,
				 int access, void **staging)
{
	struct staging *s;
	struct ibv_mr *mr;
	cu_result_t e;

	pthread_mutex_lock(&lock);
	for (s = stagings; s; s = s->next)
		if (s->dptr == dptr && s->len >= len)
			break;
	if (!s) {
		s = calloc(1, sizeof(*s));
		e = s ? cu.mem_host_alloc(&s->host, len,
					  CU_MEMHOSTALLOC_PORTABLE) : 2;
		if (e != CUDA_SUCCESS) {
			add_reason("staged", "cuMemHostAlloc(%zu): %s", len,
				   s ? cu_name(e) : "out of memory");
			free(s);
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		s->dptr = dptr;
		s->len = len;
		s->next = stagings;
		stagings = s;
	}
	pthread_mutex_unlock(&lock);
	mr = ibv_reg_mr(pd, s->host, len, access);
	if (!mr)
		add_reason("staged", "ibv_reg_mr: %s", strerror(errno));
	else
		*staging = s->host;
	return mr;
}

int fp_gpu_reg(struct ibv_pd *pd, int gpu, void *dptr, size_t len, int access,
	       struct ibv_mr **mr, int *how, void **staging)
{
	char why[256] = "";
	int ret;

	reasons[0] = '\0';
	*mr = NULL;
	*how = FP_REG_NONE;
	*staging = NULL;
	if (!pd || !dptr || !len)
		return EINVAL;
	ret = push(gpu, why, sizeof(why));
	if (ret) {
		add_reason("gpu", "%s", why);
		return ret;
	}
	if (allowed("dmabuf")) {
		*mr = reg_dmabuf(pd, gpu, dptr, len, access);
		*how = FP_REG_DMABUF;
	}
	if (!*mr && allowed("peer")) {
		*mr = reg_peer(pd, dptr, len, access);
		*how = FP_REG_PEER;
	}
	if (!*mr && allowed("staged")) {
		*mr = reg_staged(pd, dptr, len, access, staging);
		*how = FP_REG_STAGED;
	}
	pop();
	if (*mr)
		return 0;
	*how = FP_REG_NONE;
	if (!reasons[0])
		add_reason("gpu", "FLOWPLAN_GPU_REG allows no known method");
	return EIO;
}

static int stage(int gpu, void *dptr, size_t off, size_t len, bool to_host)
{
	struct staging *s;
	cu_deviceptr_t d = (cu_deviceptr_t)(uintptr_t)dptr + off;
	cu_result_t e;
	int ret;

	pthread_mutex_lock(&lock);
	for (s = stagings; s; s = s->next)
		if (s->dptr == dptr)
			break;
	pthread_mutex_unlock(&lock);
	if (!s)
		return ENOENT;
	if (off > s->len || len > s->len - off)
		return ERANGE;
	ret = push(gpu, NULL, 0);
	if (ret)
		return ret;
	e = to_host ? cu.memcpy_dtoh((char *)s->host + off, d, len)
		    : cu.memcpy_htod(d, (char *)s->host + off, len);
	pop();
	return cu_errno(e);
}

int fp_gpu_stage_to_host(int gpu, void *dptr, size_t off, size_t len)
{
	return stage(gpu, dptr, off, len, true);
}

int fp_gpu_stage_to_gpu(int gpu, void *dptr, size_t off, size_t len)
{
	return stage(gpu, dptr, off, len, false);
}

const char *fp_gpu_reg_name(int how)
{
	switch (how) {
	case FP_REG_HOST:
		return "host";
	case FP_REG_DMABUF:
		return "dmabuf";
	case FP_REG_PEER:
		return "peer";
	case FP_REG_STAGED:
		return "staged";
	default:
		return "none";
	}
}
