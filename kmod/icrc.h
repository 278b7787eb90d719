/* SPDX-License-Identifier: GPL-2.0 */
/*
 * icrc.h - the RoCEv2 invariant CRC of an IPv4 packet, as receivers check it:
 * CRC-32 (IEEE, reflected) over 8 bytes of 0xff (the masked LRH), the IP, UDP
 * and BTH headers with the variant fields set to ones (IP TOS, TTL and
 * checksum, UDP checksum, BTH reserved byte before the destination QP), and
 * everything after the BTH up to the ICRC. Stored little-endian, inverted.
 *
 * The datapath never recomputes it: CRC-32 is linear, so changing two bytes
 * changes the ICRC by the CRC of their difference carried over the bytes
 * that follow them, x^(8n) mod P, which fp_icrc_update16() takes from a
 * table (constant time in the packet's length). fp_icrc4() is the full
 * computation: the reference the tests and the icrc_check parameter hold
 * the update to. IPv6 (fp_icrc6()): the same over the 40-byte IPv6 header
 * with the traffic class, flow label and hop limit set to ones; the port
 * update is the same, as it counts from the UDP header.
 */
#ifndef _FLOWPLAN_ICRC_H
#define _FLOWPLAN_ICRC_H

#include <linux/types.h>

/*
 * fp_icrc_init - build the tables fp_icrc_update16() uses. Idempotent;
 * call before the first update (module init, test suite init).
 */
void fp_icrc_init(void);
/*
 * fp_icrc4 - ICRC of the datagram @ip of @len bytes (20-byte IP header, the
 * ICRC in its last 4 bytes, which are not covered).
 */
u32 fp_icrc4(const u8 *ip, unsigned int len);
/*
 * fp_icrc6 - ICRC of the IPv6 packet @ip of @len bytes (40-byte IPv6 header,
 * UDP right after it). The variant fields set to ones: the traffic class,
 * the flow label and the hop limit, the UDP checksum, the BTH reserved
 * byte. So the flow label may change on the way (or by fp_roce6_set_flow_
 * label()) without touching the ICRC; the payload length and next header
 * are covered.
 */
u32 fp_icrc6(const u8 *ip, unsigned int len);
/* The ICRC the packet carries and storing a new one (either family). */
u32 fp_icrc4_get(const u8 *ip, unsigned int len);
void fp_icrc4_put(u8 *ip, unsigned int len, u32 icrc);
/*
 * fp_icrc_update16 - the ICRC of a packet of @len bytes (ICRC included)
 * whose covered bytes at @off, @off + 1 changed from @old to @new (each as
 * the two bytes read big-endian), given its ICRC @icrc before the change.
 * Needs @off + 6 <= @len. Constant time (four table loads and one byte
 * shift) when the bytes after the change are 4k + 2 (a RoCEv2 packet's UDP
 * source port), fewer than FP_ICRC_TABLE_LEN; logarithmic in them otherwise.
 */
u32 fp_icrc_update16(u32 icrc, unsigned int len, unsigned int off, u16 old,
		     u16 new);
/*
 * Bytes after a change that fp_icrc_update16() finds in its table: more
 * than any RoCEv2 packet's port has. The longest IPv4 one carries a 4096-byte
 * payload (the largest IB MTU) after 20 + 8 + 12 + 24 bytes of headers (XRC
 * RDMA WRITE ONLY with immediate) and before the ICRC: 4164 bytes, whose
 * port is 4138 bytes from the ICRC.
 */
#define FP_ICRC_TABLE_LEN	(4 * 1040)
/*
 * fp_roce4_set_sport - give the datagram UDP source port @sport and the ICRC
 * that goes with it (updated, not recomputed: a packet whose ICRC was wrong
 * stays wrong). The UDP checksum is the caller's business.
 */
void fp_roce4_set_sport(u8 *ip, unsigned int len, u16 sport);
/* The same for an IPv6 packet of @len bytes, header included. */
void fp_roce6_set_sport(u8 *ip, unsigned int len, u16 sport);
/*
 * fp_roce6_set_flow_label - write @label into the IPv6 header at @ip.
 * Neither the ICRC nor the UDP checksum covers it: nothing else changes.
 */
void fp_roce6_set_flow_label(u8 *ip, u32 label);

#endif
