/* SPDX-License-Identifier: MIT */
/*
 * fpn.h - what the flowplan NCCL plugins share: the event the net plugin
 * hands the profiler plugin through NCCL's profiler callback, and the
 * test hook of the net plugin.
 *
 * The net plugin reports every send it completes as an ncclProfileNetPlugin
 * event whose plugin id is FPN_PROF_ID and whose data is a struct
 * fpn_prof_net: the profiler learns the addresses, which NCCL's own events
 * (ranks, channels) do not carry, and writes schedule reports from them.
 */
#ifndef FPN_H
#define FPN_H

#include <stdint.h>

#include "nccl_abi.h"

/*
 * Plugin id: type "FP" (0x4650) in bits 16..31, event version 2 (version 1
 * had no @family, @src6, @dst6; a profiler of version 1 ignores version 2
 * events, as it does any other plugin's).
 */
#define FPN_PROF_TYPE		(0x4650u << NCCL_PROFILER_NET_VER_BITS)
#define FPN_PROF_VER		2
#define FPN_PROF_ID		((int64_t)(FPN_PROF_TYPE | FPN_PROF_VER))
#define FPN_PROF_MAGIC		0x454e5046u	/* "FPNE" */
#define FPN_ADDRSTRLEN		46	/* INET6_ADDRSTRLEN */

/**
 * struct fpn_prof_net - one message of the net plugin (version 2)
 * @magic: FPN_PROF_MAGIC
 * @op: enum fp_op: FP_OP_SEND (a send of NCCL, an RDMA write for us)
 * @src: local IPv4 address, network order; 0 for IPv6
 * @dst: peer IPv4 address, network order; 0 for IPv6
 * @bytes: message bytes (final at the update that stops the event)
 * @status: 0 or the errno it failed with
 * @k: subflows of the connection
 * @family: AF_INET or AF_INET6, the connection's RDMA addresses
 * @src6, @dst6: local and peer address of either family, IPv4 as
 *	::ffff:a.b.c.d (the form of struct fp_addr)
 */
struct fpn_prof_net {
	uint32_t magic;
	uint16_t op;
	uint16_t k;
	uint32_t src;
	uint32_t dst;
	uint64_t bytes;
	int32_t status;
	uint16_t family;
	uint16_t pad;
	uint8_t src6[16];
	uint8_t dst6[16];
};

/**
 * struct fpn_comm_info - what flowplan_nccl_comm_info() reports of a send
 *	or receive comm (tests and debugging; not part of NCCL's API)
 * @send: 1 for a send comm, 0 for a receive comm
 * @k: subflows
 * @split_min: messages shorter than this go whole on one subflow
 * @error: 0 or the errno that failed the comm
 * @family: AF_INET or AF_INET6
 * @local, @peer: the RDMA addresses (inet_ntop(), IPv6 in RFC 5952 form)
 * @sport: each subflow's RoCEv2 UDP source port (this side's packets)
 * @weight: each subflow's byte share out of 65536 (this side's sends)
 * @msgs, @bytes: messages and bytes completed (sent or received)
 * @probes: keep-alive writes posted while waiting on the peer
 */
struct fpn_comm_info {
	int send;
	unsigned int k;
	uint64_t split_min;
	int error;
	int family;
	char local[FPN_ADDRSTRLEN];
	char peer[FPN_ADDRSTRLEN];
	uint16_t sport[16];
	uint32_t weight[16];
	uint64_t msgs;
	uint64_t bytes;
	uint64_t probes;
};

/* 0, or EINVAL when @comm is not a comm of the plugin. */
int flowplan_nccl_comm_info(void *comm, struct fpn_comm_info *out);
typedef int (*fpn_comm_info_fn)(void *comm, struct fpn_comm_info *out);
#define FPN_COMM_INFO_SYM	"flowplan_nccl_comm_info"

#endif
