// SPDX-License-Identifier: GPL-2.0
/* parse.c - bounds-checked parsing of IPv4 and IPv6 RoCEv2 headers. */
#include <linux/errno.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <linux/flowplan.h>

#include "parse.h"

#define FP_BTH_TVER_MASK	0x0f
#define FP_BTH_PAD(b1)		(((b1) >> 4) & 0x3)
#define FP_PKEY_INVALID(k)	(((k) & 0x7fff) == 0)

/*
 * Extended header bytes + 1 per opcode (IBTA vol. 1, 9.2 and A16/A17 for
 * RoCEv2; 0: unknown). The low five bits are the operation, the high three
 * the transport; RD (0x40) has no RoCEv2 implementation and is left out.
 */
#define OP(x)	((x) + 1)
static const u8 fp_rc_ext[32] = {
	[0x00] = OP(0), [0x01] = OP(0), [0x02] = OP(0),	/* SEND F/M/L */
	[0x03] = OP(4), [0x04] = OP(0), [0x05] = OP(4),	/* ImmDt */
	[0x06] = OP(16), [0x07] = OP(0), [0x08] = OP(0),	/* WRITE, RETH */
	[0x09] = OP(4), [0x0a] = OP(16), [0x0b] = OP(20),
	[0x0c] = OP(16),				/* READ REQUEST */
	[0x0d] = OP(4), [0x0e] = OP(0), [0x0f] = OP(4),	/* READ RESP, AETH */
	[0x10] = OP(4), [0x11] = OP(4),			/* ONLY, ACK */
	[0x12] = OP(12),				/* ATOMIC ACK */
	[0x13] = OP(28), [0x14] = OP(28),		/* AtomicETH */
	[0x16] = OP(4), [0x17] = OP(4),			/* IETH */
	[0x1c] = OP(20),				/* FLUSH: FETH, RETH */
	[0x1d] = OP(16),				/* ATOMIC WRITE */
};
#undef OP

#define FP_XRCETH_LEN	4

int fp_bth_ext_len(u8 opcode)
{
	u8 op = opcode & 0x1f;

	switch (opcode >> 5) {
	case 0:		/* RC */
		return (int)fp_rc_ext[op] - 1;
	case 1:		/* UC: sends and writes as RC */
		return op <= 0x0b ? (int)fp_rc_ext[op] - 1 : -1;
	case 3:		/* UD: DETH, ImmDt */
		return op == 0x04 ? 8 : op == 0x05 ? 12 : -1;
	case 4:		/* CNP: 16 reserved bytes */
		return opcode == 0x81 ? 16 : -1;
	case 5:		/* XRC: as RC, requests with an XRCETH */
		if (!fp_rc_ext[op])
			return -1;
		if (op >= 0x0d && op <= 0x12)
			return fp_rc_ext[op] - 1;
		return fp_rc_ext[op] - 1 + FP_XRCETH_LEN;
	default:
		return -1;
	}
}

/*
 * The BTH at @bth of a UDP datagram of @ulen bytes: version 0, a valid
 * P_Key, the opcode's headers, a payload padded to 4 bytes (at least the
 * pad count) and the ICRC.
 */
static int fp_parse_bth(const u8 *bth, unsigned int ulen)
{
	unsigned int rest;
	int ext;

	if (bth[1] & FP_BTH_TVER_MASK)
		return -EBADMSG;
	if (FP_PKEY_INVALID(((u16)bth[2] << 8) | bth[3]))
		return -EBADMSG;
	ext = fp_bth_ext_len(bth[0]);
	if (ext < 0 ||
	    ulen < sizeof(struct udphdr) + FP_BTH_LEN + ext + FP_ICRC_LEN)
		return -EBADMSG;
	rest = ulen - sizeof(struct udphdr) - FP_BTH_LEN - ext - FP_ICRC_LEN;
	if (rest % 4 || rest < FP_BTH_PAD(bth[1]))
		return -EBADMSG;
	return 0;
}

int fp_parse_roce4(const u8 *hdr, unsigned int hdr_len, unsigned int pkt_len,
		   struct fp_roce4 *p)
{
	const struct iphdr *iph = (const struct iphdr *)hdr;
	const struct udphdr *uh;
	unsigned int ihl, ulen;
	const u8 *bth;
	u16 frag;

	if (hdr_len > pkt_len || hdr_len < sizeof(*iph))
		return -EPROTONOSUPPORT;
	if (iph->version != 4 || iph->protocol != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	frag = ntohs(iph->frag_off);
	if (frag & IP_OFFSET)
		return -EPROTONOSUPPORT;
	ihl = iph->ihl * 4;
	if (ihl < sizeof(*iph) || hdr_len < ihl + sizeof(*uh))
		return -EBADMSG;
	uh = (const struct udphdr *)(hdr + ihl);
	if (uh->dest != htons(FLOWPLAN_ROCE_PORT))
		return -EPROTONOSUPPORT;

	p->tot_len = ntohs(iph->tot_len);
	if (p->tot_len < ihl + sizeof(*uh) + FP_BTH_LEN + FP_ICRC_LEN ||
	    p->tot_len > pkt_len || hdr_len < ihl + sizeof(*uh) + FP_BTH_LEN)
		return -EBADMSG;
	ulen = ntohs(uh->len);
	if (!(frag & IP_MF) && ulen != p->tot_len - ihl)
		return -EBADMSG;
	bth = (const u8 *)(uh + 1);
	if (fp_parse_bth(bth, ulen))
		return -EBADMSG;

	p->saddr = iph->saddr;
	p->daddr = iph->daddr;
	p->sport = ntohs(uh->source);
	p->opcode = bth[0];
	p->dqpn = ((u32)bth[5] << 16) | ((u32)bth[6] << 8) | bth[7];
	p->udp_off = ihl;
	p->rewritable = ihl == sizeof(*iph) && !(frag & IP_MF);
	return 0;
}

int fp_parse_roce6(const u8 *hdr, unsigned int hdr_len, unsigned int pkt_len,
		   struct fp_roce6 *p)
{
	const struct ipv6hdr *ip6h = (const struct ipv6hdr *)hdr;
	const struct udphdr *uh;
	unsigned int ulen;
	const u8 *bth;

	if (hdr_len > pkt_len || hdr_len < sizeof(*ip6h) + sizeof(*uh))
		return -EPROTONOSUPPORT;
	if (ip6h->version != 6 || ip6h->nexthdr != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	uh = (const struct udphdr *)(ip6h + 1);
	if (uh->dest != htons(FLOWPLAN_ROCE_PORT))
		return -EPROTONOSUPPORT;

	ulen = ntohs(ip6h->payload_len);
	p->tot_len = sizeof(*ip6h) + ulen;
	if (ulen < sizeof(*uh) + FP_BTH_LEN + FP_ICRC_LEN ||
	    p->tot_len > pkt_len || hdr_len < FP_PARSE6_LEN)
		return -EBADMSG;
	if (ntohs(uh->len) != ulen)
		return -EBADMSG;
	bth = (const u8 *)(uh + 1);
	if (fp_parse_bth(bth, ulen))
		return -EBADMSG;

	p->saddr = ip6h->saddr;
	p->daddr = ip6h->daddr;
	p->sport = ntohs(uh->source);
	p->opcode = bth[0];
	p->dqpn = ((u32)bth[5] << 16) | ((u32)bth[6] << 8) | bth[7];
	p->flow_label = ntohl(*(const __be32 *)hdr) & FLOWPLAN_FLOW_LABEL_MAX;
	return 0;
}
