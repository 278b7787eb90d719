/* SPDX-License-Identifier: GPL-2.0 */
/* test_pkt.h - RoCEv2 packets for the KUnit suites. */
#ifndef _FLOWPLAN_TEST_PKT_H
#define _FLOWPLAN_TEST_PKT_H

#include <linux/types.h>

/* A 20-byte IP header, UDP, BTH, @payload bytes and a correct ICRC. */
#define FP_TEST_PKT_MAX	256
unsigned int fp_test_pkt(u8 *buf, __be32 saddr, __be32 daddr, u16 sport,
			 u32 dqpn, unsigned int payload);

#endif
