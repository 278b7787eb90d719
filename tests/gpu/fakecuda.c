// SPDX-License-Identifier: MIT
/*
 * fakecuda.c - a stand-in libcuda.so.1 for tests/unit/test_gpu_reg: the few
 * driver API calls lib/flowplan/gpu.c makes, with "device memory" in host memory and
 * behaviour chosen by the environment, so that the no-device paths, the GPU
 * numbering and the registration fallbacks run on machines without a GPU.
 * Only for faults and hardware this machine cannot produce; on a GPU machine
 * the same code runs against the real driver (tests/gpu/kernels-cmp and the
 * qemu/hardware tests).
 *
 *   FAKECUDA_INIT=N      cuInit() returns N
 *   FAKECUDA_BUSIDS=...  comma list of PCI bus ids in CUDA ordinal order
 *                        (default "0000:1A:00.0"; "" means no device)
 *   FAKECUDA_DMABUF=1|0|nohandle  dma-buf attribute and export behaviour
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

#define MAXDEV	8
#define MAXMEM	64

static char busids[MAXDEV][32];
static int ndev;
static int dmabuf;	/* 0 no, 1 yes, 2 attribute yes but export fails */
static __thread int ctx_stack[8], depth;

static struct mem {
	char *p;
	size_t len;
	int dev;	/* -1: pinned host memory */
	int syncmemops;
} mem[MAXMEM];

EXPORT int cuInit(unsigned int flags);
EXPORT int cuDeviceGetCount(int *n);
EXPORT int cuDeviceGet(int *d, int ordinal);
EXPORT int cuDeviceGetPCIBusId(char *id, int len, int d);
EXPORT int cuDeviceGetAttribute(int *v, int attr, int d);
EXPORT int cuDevicePrimaryCtxRetain(void **ctx, int d);
EXPORT int cuCtxPushCurrent_v2(void *ctx);
EXPORT int cuCtxPopCurrent_v2(void **ctx);
EXPORT int cuMemAlloc_v2(unsigned long long *p, size_t len);
EXPORT int cuMemFree_v2(unsigned long long p);
EXPORT int cuMemHostAlloc(void **p, size_t len, unsigned int flags);
EXPORT int cuMemFreeHost(void *p);
EXPORT int cuMemcpyDtoH_v2(void *dst, unsigned long long src, size_t len);
EXPORT int cuMemcpyHtoD_v2(unsigned long long dst, const void *src, size_t len);
EXPORT int cuPointerSetAttribute(const void *v, int attr, unsigned long long p);
EXPORT int cuGetErrorName(int e, const char **s);
EXPORT int cuMemGetHandleForAddressRange(void *h, unsigned long long p,
					 size_t len, int type,
					 unsigned long long flags);
EXPORT int cuPointerGetAttribute(void *v, int attr, unsigned long long p);
EXPORT int fakecuda_dev_of(const void *p);
EXPORT int fakecuda_live(int dev_mem);
EXPORT int fakecuda_syncmemops(const void *p);
EXPORT int fakecuda_depth(void);

int cuInit(unsigned int flags)
{
	const char *e = getenv("FAKECUDA_INIT"), *b = getenv("FAKECUDA_BUSIDS");
	const char *d = getenv("FAKECUDA_DMABUF");
	char buf[256], *tok, *save = NULL;

	(void)flags;
	if (e && atoi(e))
		return atoi(e);
	snprintf(buf, sizeof(buf), "%s", b ? b : "0000:1A:00.0");
	for (tok = strtok_r(buf, ",", &save); tok && ndev < MAXDEV;
	     tok = strtok_r(NULL, ",", &save))
		snprintf(busids[ndev++], sizeof(busids[0]), "%s", tok);
	dmabuf = !d ? 0 : !strcmp(d, "nohandle") ? 2 : atoi(d);
	return 0;
}

int cuDeviceGetCount(int *n)
{
	*n = ndev;
	return 0;
}

int cuDeviceGet(int *d, int ordinal)
{
	if (ordinal < 0 || ordinal >= ndev)
		return 101;
	*d = ordinal;
	return 0;
}

int cuDeviceGetPCIBusId(char *id, int len, int d)
{
	snprintf(id, (size_t)len, "%s", busids[d]);
	return 0;
}

int cuDeviceGetAttribute(int *v, int attr, int d)
{
	(void)d;
	*v = attr == 124 ? dmabuf != 0 : 0;
	return 0;
}

int cuDevicePrimaryCtxRetain(void **ctx, int d)
{
	*ctx = (void *)(intptr_t)(d + 1);
	return 0;
}

int cuCtxPushCurrent_v2(void *ctx)
{
	if (depth == 8)
		return 1;
	ctx_stack[depth++] = (int)(intptr_t)ctx - 1;
	return 0;
}

int cuCtxPopCurrent_v2(void **ctx)
{
	if (!depth)
		return 201;	/* CUDA_ERROR_INVALID_CONTEXT */
	*ctx = (void *)(intptr_t)(ctx_stack[--depth] + 1);
	return 0;
}

static int track(char *p, size_t len, int dev)
{
	int i;

	for (i = 0; i < MAXMEM; i++)
		if (!mem[i].p) {
			mem[i] = (struct mem){ p, len, dev, 0 };
			return 0;
		}
	free(p);
	return 2;
}

static struct mem *find(const void *p)
{
	int i;

	for (i = 0; i < MAXMEM; i++)
		if (mem[i].p && (const char *)p >= mem[i].p &&
		    (const char *)p < mem[i].p + mem[i].len)
			return &mem[i];
	return NULL;
}

int cuMemAlloc_v2(unsigned long long *p, size_t len)
{
	char *m;

	if (!depth)
		return 201;
	m = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);
	if (!m)
		return 2;
	*p = (uintptr_t)m;
	return track(m, len, ctx_stack[depth - 1]);
}

static int untrack(const void *p, int dev)
{
	struct mem *m = find(p);

	if (!m || m->p != p || (dev < 0) != (m->dev < 0))
		return 1;
	free(m->p);
	m->p = NULL;
	return 0;
}

int cuMemFree_v2(unsigned long long p)
{
	return untrack((void *)(uintptr_t)p, 0);
}

int cuMemHostAlloc(void **p, size_t len, unsigned int flags)
{
	char *m = malloc(len);

	(void)flags;
	if (!m)
		return 2;
	*p = m;
	return track(m, len, -1);
}

int cuMemFreeHost(void *p)
{
	return untrack(p, -1);
}

int cuMemcpyDtoH_v2(void *dst, unsigned long long src, size_t len)
{
	memcpy(dst, (void *)(uintptr_t)src, len);
	return 0;
}

int cuMemcpyHtoD_v2(unsigned long long dst, const void *src, size_t len)
{
	memcpy((void *)(uintptr_t)dst, src, len);
	return 0;
}

int cuPointerSetAttribute(const void *v, int attr, unsigned long long p)
{
	struct mem *m = find((void *)(uintptr_t)p);

	if (!m || m->dev < 0)
		return 1;
	if (attr == 6)
		m->syncmemops = *(const unsigned int *)v;
	return 0;
}

/* CU_POINTER_ATTRIBUTE_MEMORY_TYPE: CU_MEMORYTYPE_DEVICE or _HOST */
int cuPointerGetAttribute(void *v, int attr, unsigned long long p)
{
	struct mem *m = find((void *)(uintptr_t)p);

	if (attr != 2 || !m)
		return 1;	/* CUDA_ERROR_INVALID_VALUE: not CUDA's */
	*(unsigned int *)v = m->dev >= 0 ? 2 : 1;
	return 0;
}

int cuGetErrorName(int e, const char **s)
{
	switch (e) {
	case 100:
		*s = "CUDA_ERROR_NO_DEVICE";
		return 0;
	case 801:
		*s = "CUDA_ERROR_NOT_SUPPORTED";
		return 0;
	case 999:
		*s = "CUDA_ERROR_UNKNOWN";
		return 0;
	}
	return 1;
}

int cuMemGetHandleForAddressRange(void *h, unsigned long long p, size_t len,
				  int type, unsigned long long flags)
{
	struct mem *m = find((void *)(uintptr_t)p);

	if (dmabuf != 1)
		return 801;
	if (!m || m->dev < 0 || type != 1 || flags || (p & 4095) || (len & 4095))
		return 1;
	*(int *)h = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return 0;
}

int fakecuda_dev_of(const void *p)
{
	struct mem *m = find(p);

	return m ? m->dev : -2;
}

int fakecuda_live(int dev_mem)
{
	int i, n = 0;

	for (i = 0; i < MAXMEM; i++)
		n += mem[i].p && (mem[i].dev >= 0) == (dev_mem != 0);
	return n;
}

int fakecuda_syncmemops(const void *p)
{
	struct mem *m = find(p);

	return m ? m->syncmemops : -1;
}

int fakecuda_depth(void)
{
	return depth;
}
