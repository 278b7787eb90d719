// SPDX-License-Identifier: MIT
/*
 * buf.c - buffer placement and registration.
 *
 * A buffer is registered with a NIC the first time a group on that NIC uses
 * it (or at once when the caller names the NIC), so callers never deal with
 * memory regions. GPU memory goes through lib/flowplan/gpu.c (fp_gpu_*) and the NIC
 * nearest the GPU through lib/flowplan/pcitopo.c; both are optional at build time and
 * CUDA is optional at run time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowplan/handles.h"

#if __has_include("gpu.h") && __has_include("pcitopo.h")
#include "flowplan/gpu.h"
#include "flowplan/pcitopo.h"
#define HAVE_GPU 1
#else
#define HAVE_GPU 0
#endif

#define FP_ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
		   IBV_ACCESS_REMOTE_READ)

static void debug(const char *what, const char *why)
{
	if (getenv("FLOWPLAN_DEBUG"))
		fprintf(stderr, "libflowplan: %s: %s\n", what, why);
}

static int reg_dev(struct fp_buf *b, int dev)
{
	struct fp_buf_reg *r = &b->reg[dev];
	struct ibv_pd *pd = b->ctx->dev[dev].pd;
	int access = (int)(FP_ACCESS | b->access);

	if (r->mr)
		return 0;
#if HAVE_GPU
	if (b->kind == FP_MEM_CUDA) {
		void *staging = NULL;
		int how = FP_REG_NONE, ret;

		ret = fp_gpu_reg(pd, b->gpu, b->addr, b->len, access, &r->mr,
				 &how, &staging);
		if (ret)
			return ret;
		r->how = (enum fp_reg_kind)how;
		r->base = how == FP_REG_STAGED ? staging : b->addr;
		if (how == FP_REG_STAGED && !b->staged) {
			b->staged = true;
			b->ctx->staged++;
		}
		goto done;
	}
#endif
	r->mr = ibv_reg_mr(pd, b->addr, b->len, access);
	if (!r->mr)
		return errno ? errno : ENOMEM;
	r->how = FP_REG_HOST;
	r->base = b->addr;
#if HAVE_GPU
done:
#endif
	if (b->home < 0)
		b->home = dev;
	return 0;
}

const struct fp_buf_reg *fp_buf_reg_for(struct fp_buf *buf, int dev)
{
	int ret = reg_dev(buf, dev);

	if (ret) {
		errno = ret;
		return NULL;
	}
	return &buf->reg[dev];
}

/* Decide host or GPU memory and the NIC: fills b->kind, b->gpu, @nic. */
static int place(struct fp_ctx *ctx, struct fp_buf *b,
		 const struct fp_buf_attr *attr, char *nic, size_t niclen)
{
	enum fp_mem_kind kind = attr ? attr->kind : FP_MEM_HOST;

	b->kind = FP_MEM_HOST;
	b->gpu = -1;
	b->level = FP_PCI_UNKNOWN;
	if (attr && attr->nic)
		snprintf(nic, niclen, "%s", attr->nic);
	else
		snprintf(nic, niclen, "%s", ctx->dev_name);
	if (kind == FP_MEM_HOST)
		return 0;
	if (kind != FP_MEM_CUDA && kind != FP_MEM_AUTO)
		return EINVAL;
#if HAVE_GPU
	{
		char why[256] = "";
		const char *root = getenv("FLOWPLAN_SYSROOT");
		int level = FP_PCI_UNKNOWN, ret;

		ret = fp_gpu_available(why, sizeof(why));
		if (ret) {
			debug("GPU placement unavailable", why);
			return kind == FP_MEM_AUTO ? 0 : ret;
		}
		b->kind = FP_MEM_CUDA;
		b->gpu = attr->gpu;
		if (attr->nic)
			return 0;
		ret = fp_pci_nearest_nic(root ? root : "/", attr->gpu, nic,
					 niclen, &level);
		if (!ret)
			b->level = (enum fp_pci_level)level;
		else
			snprintf(nic, niclen, "%s", ctx->dev_name);
		return 0;
	}
#else
	debug("GPU placement unavailable", "built without lib/flowplan/gpu.c");
	return kind == FP_MEM_AUTO ? 0 : EOPNOTSUPP;
#endif
}

static struct fp_buf *buf_new(struct fp_ctx *ctx, void *addr, size_t len,
			      const struct fp_buf_attr *attr, bool alloc)
{
	struct fp_buf *b;
	char nic[64] = "";
	int ret, i, dev;

	if (!ctx || !len || (!alloc && !addr)) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->ctx = ctx;
	b->len = len;
	b->home = -1;
	b->access = attr ? attr->access : 0;
	ret = place(ctx, b, attr, nic, sizeof(nic));
	if (ret)
		goto err;
	if (!alloc) {
		/* The caller's memory: theirs to describe (attr->kind). */
		b->addr = addr;
	} else if (b->kind == FP_MEM_CUDA) {
#if HAVE_GPU
		char why[256] = "";

		ret = fp_gpu_alloc(b->gpu, len, &b->addr, why, sizeof(why));
		if (ret) {
			debug("GPU allocation failed", why);
			goto err;
		}
#endif
	} else {
		long pg = sysconf(_SC_PAGESIZE);

		ret = posix_memalign(&b->addr, pg > 0 ? (size_t)pg : 4096, len);
		if (ret)
			goto err;
		memset(b->addr, 0, len);
	}
	b->owned = alloc;
	if (nic[0]) {
		dev = fp_ctx_dev_open(ctx, nic);
		if (dev < 0) {
			ret = -dev;
			goto err_mem;
		}
		ret = reg_dev(b, dev);
		if (ret)
			goto err_mem;
	}
	ctx->nbufs++;
	return b;

err_mem:
	for (i = 0; i < FP_MAX_DEVS; i++)
		if (b->reg[i].mr)
			ibv_dereg_mr(b->reg[i].mr);
	if (b->owned) {
#if HAVE_GPU
		if (b->kind == FP_MEM_CUDA)
			fp_gpu_free(b->gpu, b->addr, b->len);
		else
#endif
			free(b->addr);
	}
err:
	free(b);
	errno = ret;
	return NULL;
}

struct fp_buf *fp_buf_alloc(struct fp_ctx *ctx, size_t len,
			    const struct fp_buf_attr *attr)
{
	return buf_new(ctx, NULL, len, attr, true);
}

struct fp_buf *fp_buf_reg(struct fp_ctx *ctx, void *addr, size_t len,
			  const struct fp_buf_attr *attr)
{
	return buf_new(ctx, addr, len, attr, false);
}

/*
 * Staged GPU buffers: the NIC sees the staging copy. Sends and writes copy
 * the message's bytes there first; receives copy them back on completion.
 */
int fp_buf_stage_out(struct fp_buf *b, int dev, size_t off, size_t len)
{
#if HAVE_GPU
	if (b->reg[dev].how == FP_REG_STAGED)
		return fp_gpu_stage_to_host(b->gpu, b->addr, off, len);
#endif
	(void)b, (void)dev, (void)off, (void)len;
	return 0;
}

int fp_buf_stage_in(struct fp_buf *b, int dev, size_t off, size_t len)
{
#if HAVE_GPU
	if (b->reg[dev].how == FP_REG_STAGED)
		return fp_gpu_stage_to_gpu(b->gpu, b->addr, off, len);
#endif
	(void)b, (void)dev, (void)off, (void)len;
	return 0;
}

int fp_buf_free(struct fp_buf *b)
{
	int i, ret = 0;

	if (!b)
		return EINVAL;
	for (i = 0; i < FP_MAX_DEVS; i++) {
		if (!b->reg[i].mr)
			continue;
		/* Staged GPU buffers: the staging memory is lib/flowplan/gpu.c's. */
		if (ibv_dereg_mr(b->reg[i].mr))
			ret = errno ? errno : EIO;
	}
	if (b->owned) {
#if HAVE_GPU
		if (b->kind == FP_MEM_CUDA)
			fp_gpu_free(b->gpu, b->addr, b->len);
		else
#endif
			free(b->addr);
	}
#if HAVE_GPU
	else if (b->kind == FP_MEM_CUDA)
		fp_gpu_staging_release(b->addr);
#endif
	b->ctx->nbufs--;
	if (b->staged)
		b->ctx->staged--;
	free(b);
	return ret;
}

void *fp_buf_addr(const struct fp_buf *b)
{
	return b ? b->addr : NULL;
}

int fp_buf_query(const struct fp_buf *b, struct fp_buf_info *info)
{
	if (!b || !info)
		return EINVAL;
	memset(info, 0, sizeof(*info));
	info->kind = b->kind;
	info->gpu = b->gpu;
	info->level = b->level;
	info->addr = b->addr;
	info->len = b->len;
	if (b->home >= 0) {
		info->reg = b->reg[b->home].how;
		snprintf(info->nic, sizeof(info->nic), "%s",
			 b->ctx->dev[b->home].name);
	}
	return 0;
}

int fp_buf_export(struct fp_group *g, struct fp_buf *b, struct fp_rbuf *out)
{
	const struct fp_buf_reg *r;

	if (!g || !b || !out || b->ctx != g->ctx)
		return EINVAL;
	r = fp_buf_reg_for(b, g->dev);
	if (!r)
		return errno;
	*out = (struct fp_rbuf){
		.addr = (uintptr_t)r->base,
		.len = b->len,
		.rkey = r->mr->rkey,
	};
	return 0;
}
