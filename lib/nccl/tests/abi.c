// SPDX-License-Identifier: MIT
/*
 * fpn-abi - print the layouts and constants of lib/nccl/nccl_abi.h, one
 * line each, for abi.sh to compare with the DWARF of libnccl.so.2:
 *   TYPE SIZE               (the struct's size)
 *   TYPE OFFSET SIZE NAME   (each leaf member, in declaration order)
 *   = NAME VALUE            (an enumerator)
 */
#include <stddef.h>
#include <stdio.h>

#include "nccl/nccl_abi.h"

#define T(type)			printf("%s %zu\n", #type, sizeof(type))
#define F(type, path, name)	printf("%s %zu %zu %s\n", #type, \
				       offsetof(type, path), \
				       sizeof(((type *)0)->path), #name)
#define E(name)			printf("= %s %lld\n", #name, (long long)(name))

#define NET_COMMON(ty) \
do { \
	F(ty, name, name); F(ty, init, init); F(ty, devices, devices); \
	F(ty, getProperties, getProperties); F(ty, listen, listen); \
	F(ty, connect, connect); F(ty, accept, accept); F(ty, regMr, regMr); \
	F(ty, regMrDmaBuf, regMrDmaBuf); F(ty, deregMr, deregMr); \
	F(ty, isend, isend); F(ty, irecv, irecv); F(ty, iflush, iflush); \
	F(ty, test, test); F(ty, closeSend, closeSend); \
	F(ty, closeRecv, closeRecv); F(ty, closeListen, closeListen); \
	F(ty, getDeviceMr, getDeviceMr); F(ty, irecvConsumed, irecvConsumed); \
	F(ty, makeVDevice, makeVDevice); \
} while (0)

#define PROPS(ty) \
do { \
	F(ty, name, name); F(ty, pciPath, pciPath); F(ty, guid, guid); \
	F(ty, ptrSupport, ptrSupport); F(ty, regIsGlobal, regIsGlobal); \
	F(ty, forceFlush, forceFlush); F(ty, speed, speed); F(ty, port, port); \
	F(ty, latency, latency); F(ty, maxComms, maxComms); \
	F(ty, maxRecvs, maxRecvs); F(ty, netDeviceType, netDeviceType); \
	F(ty, netDeviceVersion, netDeviceVersion); F(ty, vProps, vProps); \
	F(ty, maxP2pBytes, maxP2pBytes); F(ty, maxCollBytes, maxCollBytes); \
} while (0)

#define PROF(ty) \
do { \
	F(ty, name, name); F(ty, init, init); F(ty, startEvent, startEvent); \
	F(ty, stopEvent, stopEvent); \
	F(ty, recordEventState, recordEventState); F(ty, finalize, finalize); \
} while (0)

#define DESCR_TAIL(ty) \
do { \
	F(ty, proxyOp.pid, pid); F(ty, proxyOp.channelId, channelId); \
	F(ty, proxyOp.peer, peer); F(ty, proxyOp.nSteps, nSteps); \
	F(ty, proxyOp.chunkSize, chunkSize); F(ty, proxyOp.isSend, isSend); \
	F(ty, proxyStep.step, step); F(ty, kernelCh.channelId, channelId); \
	F(ty, kernelCh.pTimer, pTimer); F(ty, netPlugin.id, id); \
	F(ty, netPlugin.data, data); \
} while (0)

int main(void)
{
	T(ncclNet_v11_t); NET_COMMON(ncclNet_v11_t);
	F(ncclNet_v11_t, finalize, finalize);
	F(ncclNet_v11_t, setNetAttr, setNetAttr);
	T(ncclNet_v10_t); NET_COMMON(ncclNet_v10_t);
	T(ncclNet_v9_t); NET_COMMON(ncclNet_v9_t);
	T(ncclNetProperties_v11_t); PROPS(ncclNetProperties_v11_t);
	F(ncclNetProperties_v11_t, maxMultiRequestSize, maxMultiRequestSize);
	T(ncclNetProperties_v10_t); PROPS(ncclNetProperties_v10_t);
	T(ncclNetProperties_v9_t); PROPS(ncclNetProperties_v9_t);
	T(ncclNetVDeviceProps_v11_t);
	F(ncclNetVDeviceProps_v11_t, ndevs, ndevs);
	F(ncclNetVDeviceProps_v11_t, devs, devs);
	T(ncclNetCommConfig_v11_t);
	F(ncclNetCommConfig_v11_t, trafficClass, trafficClass);
	T(ncclNetCommConfig_v10_t);
	F(ncclNetCommConfig_v10_t, trafficClass, trafficClass);
	T(ncclNetCommAttr_v11_t);
	F(ncclNetCommAttr_v11_t, maxConcurrentPeers, maxConcurrentPeers);
	F(ncclNetCommAttr_v11_t, minConcurrentPeers, minConcurrentPeers);
	F(ncclNetCommAttr_v11_t, maxFlowsPerPeer, maxFlowsPerPeer);
	F(ncclNetCommAttr_v11_t, minFlowsPerPeer, minFlowsPerPeer);
	T(ncclNetAttr_v11_t);
	F(ncclNetAttr_v11_t, sendCommAttr, sendCommAttr);
	F(ncclNetAttr_v11_t, recvCommAttr, recvCommAttr);
	F(ncclNetAttr_v11_t, op, op); F(ncclNetAttr_v11_t, algo, algo);
	F(ncclNetAttr_v11_t, proto, proto);
	T(ncclNetDeviceHandle_v11_t);
	F(ncclNetDeviceHandle_v11_t, netDeviceType, netDeviceType);
	F(ncclNetDeviceHandle_v11_t, netDeviceVersion, netDeviceVersion);
	F(ncclNetDeviceHandle_v11_t, handle, handle);
	F(ncclNetDeviceHandle_v11_t, size, size);
	F(ncclNetDeviceHandle_v11_t, needsProxyProgress, needsProxyProgress);

	T(ncclProfiler_v5_t); PROF(ncclProfiler_v5_t);
	T(ncclProfiler_v4_t); PROF(ncclProfiler_v4_t);
	T(ncclProfilerEventDescr_v5_t);
	F(ncclProfilerEventDescr_v5_t, type, type);
	F(ncclProfilerEventDescr_v5_t, parentObj, parentObj);
	F(ncclProfilerEventDescr_v5_t, rank, rank);
	F(ncclProfilerEventDescr_v5_t, groupApi.graphCaptured, graphCaptured);
	F(ncclProfilerEventDescr_v5_t, groupApi.groupDepth, groupDepth);
	F(ncclProfilerEventDescr_v5_t, collApi.func, func);
	F(ncclProfilerEventDescr_v5_t, collApi.count, count);
	F(ncclProfilerEventDescr_v5_t, collApi.datatype, datatype);
	F(ncclProfilerEventDescr_v5_t, collApi.root, root);
	F(ncclProfilerEventDescr_v5_t, collApi.stream, stream);
	F(ncclProfilerEventDescr_v5_t, collApi.graphCaptured, graphCaptured);
	F(ncclProfilerEventDescr_v5_t, p2pApi.func, func);
	F(ncclProfilerEventDescr_v5_t, p2pApi.count, count);
	F(ncclProfilerEventDescr_v5_t, p2pApi.datatype, datatype);
	F(ncclProfilerEventDescr_v5_t, p2pApi.stream, stream);
	F(ncclProfilerEventDescr_v5_t, p2pApi.graphCaptured, graphCaptured);
	F(ncclProfilerEventDescr_v5_t, kernelLaunch.stream, stream);
	F(ncclProfilerEventDescr_v5_t, coll.seqNumber, seqNumber);
	F(ncclProfilerEventDescr_v5_t, coll.func, func);
	F(ncclProfilerEventDescr_v5_t, coll.sendBuff, sendBuff);
	F(ncclProfilerEventDescr_v5_t, coll.recvBuff, recvBuff);
	F(ncclProfilerEventDescr_v5_t, coll.count, count);
	F(ncclProfilerEventDescr_v5_t, coll.root, root);
	F(ncclProfilerEventDescr_v5_t, coll.datatype, datatype);
	F(ncclProfilerEventDescr_v5_t, coll.nChannels, nChannels);
	F(ncclProfilerEventDescr_v5_t, coll.nWarps, nWarps);
	F(ncclProfilerEventDescr_v5_t, coll.algo, algo);
	F(ncclProfilerEventDescr_v5_t, coll.proto, proto);
	F(ncclProfilerEventDescr_v5_t, coll.parentGroup, parentGroup);
	F(ncclProfilerEventDescr_v5_t, p2p.func, func);
	F(ncclProfilerEventDescr_v5_t, p2p.buff, buff);
	F(ncclProfilerEventDescr_v5_t, p2p.datatype, datatype);
	F(ncclProfilerEventDescr_v5_t, p2p.count, count);
	F(ncclProfilerEventDescr_v5_t, p2p.peer, peer);
	F(ncclProfilerEventDescr_v5_t, p2p.nChannels, nChannels);
	F(ncclProfilerEventDescr_v5_t, p2p.parentGroup, parentGroup);
	DESCR_TAIL(ncclProfilerEventDescr_v5_t);
	T(ncclProfilerEventDescr_v4_t);
	F(ncclProfilerEventDescr_v4_t, type, type);
	F(ncclProfilerEventDescr_v4_t, parentObj, parentObj);
	F(ncclProfilerEventDescr_v4_t, rank, rank);
	F(ncclProfilerEventDescr_v4_t, coll.seqNumber, seqNumber);
	F(ncclProfilerEventDescr_v4_t, coll.func, func);
	F(ncclProfilerEventDescr_v4_t, coll.sendBuff, sendBuff);
	F(ncclProfilerEventDescr_v4_t, coll.recvBuff, recvBuff);
	F(ncclProfilerEventDescr_v4_t, coll.count, count);
	F(ncclProfilerEventDescr_v4_t, coll.root, root);
	F(ncclProfilerEventDescr_v4_t, coll.datatype, datatype);
	F(ncclProfilerEventDescr_v4_t, coll.nChannels, nChannels);
	F(ncclProfilerEventDescr_v4_t, coll.nWarps, nWarps);
	F(ncclProfilerEventDescr_v4_t, coll.algo, algo);
	F(ncclProfilerEventDescr_v4_t, coll.proto, proto);
	F(ncclProfilerEventDescr_v4_t, p2p.func, func);
	F(ncclProfilerEventDescr_v4_t, p2p.buff, buff);
	F(ncclProfilerEventDescr_v4_t, p2p.datatype, datatype);
	F(ncclProfilerEventDescr_v4_t, p2p.count, count);
	F(ncclProfilerEventDescr_v4_t, p2p.peer, peer);
	F(ncclProfilerEventDescr_v4_t, p2p.nChannels, nChannels);
	DESCR_TAIL(ncclProfilerEventDescr_v4_t);
	T(ncclProfilerEventStateArgs_v5_t);
	F(ncclProfilerEventStateArgs_v5_t, proxyStep.transSize, transSize);
	F(ncclProfilerEventStateArgs_v5_t, proxyCtrl.appendedProxyOps, appendedProxyOps);
	F(ncclProfilerEventStateArgs_v5_t, netPlugin.data, data);
	F(ncclProfilerEventStateArgs_v5_t, kernelCh.pTimer, pTimer);
	T(ncclProfilerEventStateArgs_v4_t);
	F(ncclProfilerEventStateArgs_v4_t, proxyStep.transSize, transSize);
	F(ncclProfilerEventStateArgs_v4_t, proxyCtrl.appendedProxyOps, appendedProxyOps);
	F(ncclProfilerEventStateArgs_v4_t, netPlugin.data, data);
	F(ncclProfilerEventStateArgs_v4_t, kernelCh.pTimer, pTimer);

	E(ncclSuccess); E(ncclUnhandledCudaError); E(ncclSystemError);
	E(ncclInternalError); E(ncclInvalidArgument); E(ncclInvalidUsage);
	E(ncclRemoteError); E(ncclInProgress);
	E(NCCL_LOG_WARN); E(NCCL_LOG_INFO);
	E(NCCL_NET_DEVICE_HOST);
	E(ncclProfilerNetEventStart); E(ncclProfilerNetEventStop);
	E(ncclProfilerNetEventUpdate); E(ncclProfilerNetEventUpdateAndStop);
	E(ncclProfileGroup); E(ncclProfileColl); E(ncclProfileP2p);
	E(ncclProfileProxyOp); E(ncclProfileProxyStep);
	E(ncclProfileNetPlugin); E(ncclProfilerNetPluginUpdate);
	E(ncclFuncBroadcast); E(ncclFuncReduce); E(ncclFuncAllGather);
	E(ncclFuncReduceScatter); E(ncclFuncAllReduce); E(ncclFuncSend);
	E(ncclFuncRecv); E(ncclFuncAlltoAll);
	return 0;
}
