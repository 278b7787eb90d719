// SPDX-License-Identifier: GPL-2.0
/* parse.c - bounds-checked parsing of IPv4 RoCEv2 headers. */
#include <linux/errno.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <linux/flowplan.h>

#include "parse.h"

#define FP_BTH_TVER_MASK	0x0f

int fp_parse_roce4(const u8 *hdr, unsigned int hdr_len, unsigned int pkt_len,
		   struct fp_roce4 *p)
{
	const struct iphdr *iph = (const struct iphdr *)hdr;
	const struct udphdr *uh;
	const u8 *bth;
	unsigned int ihl, ulen;
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
	if (bth[1] & FP_BTH_TVER_MASK)
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
