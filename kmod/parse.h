/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h - RoCEv2 over IPv4 and IPv6: the headers the datapath reads, checked against
 * the bytes actually present. Pure logic on a linear buffer.
 */
#ifndef _FLOWPLAN_PARSE_H
#define _FLOWPLAN_PARSE_H

#include <linux/in6.h>
#include <linux/types.h>

#define FP_BTH_LEN	12
#define FP_ICRC_LEN	4
/* The most any parse reads: IPv4 header with options, UDP, BTH. */
#define FP_PARSE_MAX	(60 + 8 + FP_BTH_LEN)
/* What an IPv6 parse reads: IPv6 header (no extension header), UDP, BTH. */
#define FP_PARSE6_LEN	(40 + 8 + FP_BTH_LEN)

struct fp_roce4 {
	__be32 saddr;
	__be32 daddr;
	u16 sport;
	u8 opcode;
	u32 dqpn;
	unsigned int tot_len;	/* IP datagram length */
	unsigned int udp_off;	/* from the start of the IP header */
	/*
	 * Whole, option-free datagram: its ICRC can be updated the way
	 * receivers check it (20-byte IP header).
	 */
	bool rewritable;
};

struct fp_roce6 {
	struct in6_addr saddr;
	struct in6_addr daddr;
	u16 sport;
	u8 opcode;
	u32 dqpn;
	u32 flow_label;
	unsigned int tot_len;	/* IPv6 header and payload */
};

/*
 * fp_bth_ext_len - bytes of the extended transport headers (RETH, AETH,
 * DETH, ImmDt, ...; the CNP's reserved bytes) that follow a BTH with
 * @opcode, or -1 for an opcode that no RoCEv2 transport flowplan knows
 * (RC, UC, UD, XRC, CNP) defines.
 */
int fp_bth_ext_len(u8 opcode);

/*
 * fp_parse_roce4 - parse an IPv4 RoCEv2 packet.
 * @hdr: the first @hdr_len bytes of the IP datagram
 * @pkt_len: bytes of the datagram present in the packet (>= @hdr_len)
 *
 * A RoCEv2 packet is UDP to port 4791 with a BTH of version 0, a known
 * opcode, a valid P_Key, and a UDP length that holds the opcode's
 * headers, a payload padded to 4 bytes (at least the pad count) and the
 * ICRC. Returns 0, -EPROTONOSUPPORT when the packet is not IPv4 UDP to port
 * 4791 (or is a non-first fragment), or -EBADMSG when it is but is no
 * RoCEv2 packet or a header is truncated or inconsistent.
 */
int fp_parse_roce4(const u8 *hdr, unsigned int hdr_len, unsigned int pkt_len,
		   struct fp_roce4 *p);

/*
 * fp_parse_roce6 - parse an IPv6 RoCEv2 packet, as fp_parse_roce4() does
 * (@hdr: the first @hdr_len bytes of the IPv6 packet, @pkt_len: its bytes
 * present). Only a UDP header right after the IPv6 header is looked at, as
 * RoCEv2 senders build them: a packet with extension headers (fragments
 * included) or a jumbogram gets -EPROTONOSUPPORT. The UDP length must be
 * the payload length.
 */
int fp_parse_roce6(const u8 *hdr, unsigned int hdr_len, unsigned int pkt_len,
		   struct fp_roce6 *p);

#endif
