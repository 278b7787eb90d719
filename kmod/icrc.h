/* SPDX-License-Identifier: GPL-2.0 */
/*
 * icrc.h - the RoCEv2 invariant CRC of an IPv4 packet, as receivers check it:
 * CRC-32 (IEEE, reflected) over 8 bytes of 0xff (the masked LRH), the IP, UDP
 * and BTH headers with the variant fields set to ones (IP TOS, TTL and
 * checksum, UDP checksum, BTH reserved byte before the destination QP), and
 * everything after the BTH up to the ICRC. Stored little-endian, inverted.
 */
#ifndef _FLOWPLAN_ICRC_H
#define _FLOWPLAN_ICRC_H

#include <linux/types.h>

/*
 * fp_icrc4 - ICRC of the datagram @ip of @len bytes (20-byte IP header, the
 * ICRC in its last 4 bytes, which are not covered).
 */
u32 fp_icrc4(const u8 *ip, unsigned int len);
/* The ICRC the packet carries and storing a new one. */
u32 fp_icrc4_get(const u8 *ip, unsigned int len);
void fp_icrc4_put(u8 *ip, unsigned int len, u32 icrc);
/*
 * fp_roce4_set_sport - give the datagram UDP source port @sport and the ICRC
 * that goes with it. The UDP checksum is the caller's business.
 */
void fp_roce4_set_sport(u8 *ip, unsigned int len, u16 sport);

#endif
