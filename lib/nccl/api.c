// SPDX-License-Identifier: MIT
/*
 * api.c - the exported ncclNet structs. NCCL 2.28's loader looks up
 * ncclNetPlugin_v11 first, then v10 ... v6; v11 is the plugin itself (a
 * context per communicator, finalize, setNetAttr), v10 and v9 let older
 * NCCLs (2.23 to 2.27) load it too: v10 has no per-communicator context
 * (one default one), v9 no profiler handle.
 */
#include <string.h>

#include "nccl/net.h"

#define EXPORT __attribute__((visibility("default")))

static const char name[] = "flowplan";

/* ------------------------------------------------------------------ v11 */

static ncclResult_t init_v11(void **ctx, uint64_t comm_id,
			     ncclNetCommConfig_v11_t *config,
			     ncclDebugLogger_t log, ncclProfilerCallback_t prof)
{
	ncclResult_t r;

	if (!ctx)
		return ncclInvalidArgument;
	r = fpn_init(log, prof);
	if (r)
		return r;
	/* The traffic class is not ours to set: libflowplan's QPs use 0. */
	return fpn_nctx_new(comm_id, config ? config->trafficClass : -1, ctx);
}

static ncclResult_t finalize_v11(void *ctx)
{
	fpn_fini();
	return fpn_nctx_free(ctx);
}

static ncclResult_t connect_v11(void *ctx, int dev, void *handle,
				void **send, ncclNetDeviceHandle_v11_t **dev_comm)
{
	(void)dev_comm;		/* no device offload */
	return fpn_connect(ctx, dev, handle, send);
}

static ncclResult_t accept_v11(void *listen, void **recv,
			       ncclNetDeviceHandle_v11_t **dev_comm)
{
	(void)dev_comm;
	return fpn_accept(listen, recv);
}

static ncclResult_t set_attr_v11(void *ctx, ncclNetAttr_v11_t *attr)
{
	return fpn_set_attr(ctx, attr);
}

EXPORT const ncclNet_v11_t ncclNetPlugin_v11 = {
	.name = name,
	.init = init_v11,
	.devices = fpn_devices,
	.getProperties = fpn_get_properties,
	.listen = fpn_listen,
	.connect = connect_v11,
	.accept = accept_v11,
	.regMr = fpn_reg_mr,
	.regMrDmaBuf = fpn_reg_mr_dmabuf,
	.deregMr = fpn_dereg_mr,
	.isend = fpn_isend,
	.irecv = fpn_irecv,
	.iflush = fpn_iflush,
	.test = fpn_test,
	.closeSend = fpn_close,
	.closeRecv = fpn_close,
	.closeListen = fpn_close_listen,
	.getDeviceMr = NULL,
	.irecvConsumed = NULL,
	.makeVDevice = NULL,
	.finalize = finalize_v11,
	.setNetAttr = set_attr_v11,
};

/* ------------------------------------------------------------------ v10 */

static ncclResult_t init_v10(ncclDebugLogger_t log, ncclProfilerCallback_t prof)
{
	return fpn_init(log, prof);
}

static ncclResult_t props_v10(int dev, ncclNetProperties_v10_t *props)
{
	ncclNetProperties_v11_t p;
	ncclResult_t r = fpn_get_properties(dev, &p);

	if (r || !props)
		return r ? r : ncclInvalidArgument;
	/* v10 is v11 without maxMultiRequestSize at the end. */
	memcpy(props, &p, sizeof(*props));
	return ncclSuccess;
}

static ncclResult_t listen_v10(int dev, void *handle, void **listen)
{
	return fpn_listen(NULL, dev, handle, listen);
}

static ncclResult_t connect_v10(int dev, ncclNetCommConfig_v10_t *config,
				void *handle, void **send,
				ncclNetDeviceHandle_v10_t **dev_comm)
{
	(void)config;
	(void)dev_comm;
	return fpn_connect(NULL, dev, handle, send);
}

static ncclResult_t accept_v10(void *listen, void **recv,
			       ncclNetDeviceHandle_v10_t **dev_comm)
{
	(void)dev_comm;
	return fpn_accept(listen, recv);
}

EXPORT const ncclNet_v10_t ncclNetPlugin_v10 = {
	.name = name,
	.init = init_v10,
	.devices = fpn_devices,
	.getProperties = props_v10,
	.listen = listen_v10,
	.connect = connect_v10,
	.accept = accept_v10,
	.regMr = fpn_reg_mr,
	.regMrDmaBuf = fpn_reg_mr_dmabuf,
	.deregMr = fpn_dereg_mr,
	.isend = fpn_isend,
	.irecv = fpn_irecv,
	.iflush = fpn_iflush,
	.test = fpn_test,
	.closeSend = fpn_close,
	.closeRecv = fpn_close,
	.closeListen = fpn_close_listen,
};

/* ------------------------------------------------------------------- v9 */

static ncclResult_t init_v9(ncclDebugLogger_t log)
{
	return fpn_init(log, NULL);
}

static ncclResult_t connect_v9(int dev, void *handle, void **send,
			       ncclNetDeviceHandle_v9_t **dev_comm)
{
	(void)dev_comm;
	return fpn_connect(NULL, dev, handle, send);
}

static ncclResult_t isend_v9(void *comm, void *data, size_t size, int tag,
			     void *mhandle, void **request)
{
	return fpn_isend(comm, data, size, tag, mhandle, NULL, request);
}

static ncclResult_t irecv_v9(void *comm, int n, void **data, size_t *sizes,
			     int *tags, void **mhandles, void **request)
{
	return fpn_irecv(comm, n, data, sizes, tags, mhandles, NULL, request);
}

EXPORT const ncclNet_v9_t ncclNetPlugin_v9 = {
	.name = name,
	.init = init_v9,
	.devices = fpn_devices,
	.getProperties = props_v10,
	.listen = listen_v10,
	.connect = connect_v9,
	.accept = accept_v10,
	.regMr = fpn_reg_mr,
	.regMrDmaBuf = fpn_reg_mr_dmabuf,
	.deregMr = fpn_dereg_mr,
	.isend = isend_v9,
	.irecv = irecv_v9,
	.iflush = fpn_iflush,
	.test = fpn_test,
	.closeSend = fpn_close,
	.closeRecv = fpn_close,
	.closeListen = fpn_close_listen,
};
