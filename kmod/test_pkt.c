// SPDX-License-Identifier: GPL-2.0
/* test_pkt.c - RoCEv2 packets for the KUnit suites and the benchmark. */
#include <linux/ip.h>
#include <linux/string.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <linux/flowplan.h>

#include "icrc.h"
#include "parse.h"
#include "test_pkt.h"

unsigned int fp_test_pkt(u8 *buf, __be32 saddr, __be32 daddr, u16 sport,
			 u32 dqpn, unsigned int payload)
{
	unsigned int len = FP_TEST_PKT_LEN(payload);
	unsigned int pad = (4 - payload % 4) % 4;
	struct iphdr *iph = (struct iphdr *)buf;
	struct udphdr *uh = (struct udphdr *)(iph + 1);
	u8 *bth = (u8 *)(uh + 1);
	unsigned int i;

	memset(buf, 0, len);
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons(len);
	iph->id = htons(0x1234);
	iph->frag_off = htons(IP_DF);
	iph->ttl = 64;
	iph->protocol = IPPROTO_UDP;
	iph->saddr = saddr;
	iph->daddr = daddr;
	ip_send_check(iph);
	uh->source = htons(sport);
	uh->dest = htons(FLOWPLAN_ROCE_PORT);
	uh->len = htons(len - sizeof(*iph));
	bth[0] = payload >= 16 ? 0x0a : 0x04;	/* RC WRITE ONLY / SEND ONLY */
	bth[1] = pad << 4;
	bth[2] = 0xff;			/* default P_Key */
	bth[3] = 0xff;
	bth[5] = dqpn >> 16;
	bth[6] = dqpn >> 8;
	bth[7] = dqpn;
	bth[11] = 1;			/* PSN */
	for (i = 0; i < payload; i++)
		bth[FP_BTH_LEN + i] = i * 7 + 1;
	fp_icrc4_put(buf, len, fp_icrc4(buf, len));
	return len;
}
