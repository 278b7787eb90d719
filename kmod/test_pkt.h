/* SPDX-License-Identifier: GPL-2.0 */
/* test_pkt.h - RoCEv2 packets for the KUnit suites and the benchmark. */
#ifndef _FLOWPLAN_TEST_PKT_H
#define _FLOWPLAN_TEST_PKT_H

#include <linux/types.h>

/*
 * A 20-byte IP header, UDP, BTH, @payload bytes padded to 4 (the pad count
 * in the BTH) and a correct ICRC: an RC RDMA WRITE ONLY (its first 16
 * payload bytes are the RETH) when @payload >= 16, else an RC SEND ONLY.
 * FP_TEST_PKT_LEN(@payload) bytes.
 */
#define FP_TEST_PKT_LEN(payload) \
	(20 + 8 + 12 + (((payload) + 3) & ~3U) + 4)
#define FP_TEST_PKT_MAX	FP_TEST_PKT_LEN(196)
unsigned int fp_test_pkt(u8 *buf, __be32 saddr, __be32 daddr, u16 sport,
			 u32 dqpn, unsigned int payload);

#endif
