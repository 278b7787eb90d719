// SPDX-License-Identifier: GPL-2.0
/* icrc.c - RoCEv2 ICRC of IPv4 packets, computed the way rxe checks it. */
#include <linux/crc32.h>
#include <linux/ip.h>
#include <linux/string.h>
#include <linux/udp.h>
#include <asm/unaligned.h>

#include "icrc.h"
#include "parse.h"

/* CRC-32 of 8 bytes of 0xff from the initial ~0: the masked LRH. */
#define FP_ICRC_SEED	0xdebb20e3

u32 fp_icrc4(const u8 *ip, unsigned int len)
{
	const unsigned int hlen = sizeof(struct iphdr) + sizeof(struct udphdr) +
				  FP_BTH_LEN;
	u8 ps[sizeof(struct iphdr) + sizeof(struct udphdr) + FP_BTH_LEN];
	struct iphdr *iph = (struct iphdr *)ps;
	struct udphdr *uh = (struct udphdr *)(iph + 1);
	u8 *bth = (u8 *)(uh + 1);
	u32 crc;

	memcpy(ps, ip, hlen);
	iph->tos = 0xff;
	iph->ttl = 0xff;
	iph->check = htons(0xffff);
	uh->check = htons(0xffff);
	bth[4] = 0xff;

	crc = crc32_le(FP_ICRC_SEED, ps, hlen);
	crc = crc32_le(crc, ip + hlen, len - hlen - FP_ICRC_LEN);
	return ~crc;
}

u32 fp_icrc4_get(const u8 *ip, unsigned int len)
{
	return get_unaligned_le32(ip + len - FP_ICRC_LEN);
}

void fp_icrc4_put(u8 *ip, unsigned int len, u32 icrc)
{
	put_unaligned_le32(icrc, ip + len - FP_ICRC_LEN);
}

void fp_roce4_set_sport(u8 *ip, unsigned int len, u16 sport)
{
	struct udphdr *uh = (struct udphdr *)(ip + sizeof(struct iphdr));

	uh->source = htons(sport);
	fp_icrc4_put(ip, len, fp_icrc4(ip, len));
}
