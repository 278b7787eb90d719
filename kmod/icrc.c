// SPDX-License-Identifier: GPL-2.0
/* icrc.c - RoCEv2 ICRC of IPv4 packets, computed the way rxe checks it. */
#include <linux/cache.h>
#include <linux/crc32.h>
#include <linux/crc32poly.h>
#include <linux/ip.h>
#include <linux/string.h>
#include <linux/udp.h>
#include <asm/unaligned.h>

#include "icrc.h"
#include "parse.h"

/* CRC-32 of 8 bytes of 0xff from the initial ~0: the masked LRH. */
#define FP_ICRC_SEED	0xdebb20e3

/*
 * Polynomials mod P in lib/crc32's little-endian order: bit 31 is x^0,
 * bit 0 is x^31. Multiplying by x is one shift and a conditional reduction.
 */
#define FP_X0		0x80000000U
#define FP_X32		CRC32_POLY_LE

/* (v & 0xff) * x^8 mod P: the low byte's part of one byte-shift. */
static u32 fp_crc_x8[256] __ro_after_init;
/* (v & 0xf) * x^4 mod P */
static u32 fp_crc_x4[16] __ro_after_init;
/*
 * For n = 4k + 2 bytes after a change (every RoCEv2 packet's port: its UDP
 * length is a multiple of 4), w = x^(32 + 8n) mod P and w x, w x^2, w x^3:
 * what a change's nibbles are multiplied by. 36 KiB.
 */
struct fp_icrc_carry {
	u32 w[4];
};

static struct fp_icrc_carry fp_icrc_carries[FP_ICRC_TABLE_LEN / 4];
static bool fp_icrc_ready;

static u32 fp_mulx(u32 v)
{
	return (v >> 1) ^ (v & 1 ? CRC32_POLY_LE : 0);
}

static u32 fp_mulx8(u32 v)
{
	return (v >> 8) ^ fp_crc_x8[v & 0xff];
}

static void fp_icrc_carry_of(struct fp_icrc_carry *c, u32 w)
{
	unsigned int i;

	for (i = 0; i < 4; i++, w = fp_mulx(w))
		c->w[i] = w;
}

void fp_icrc_init(void)
{
	unsigned int i, b;
	u32 v;

	if (fp_icrc_ready)
		return;
	for (i = 0; i < 256; i++) {
		for (v = i, b = 0; b < 8; b++)
			v = fp_mulx(v);
		fp_crc_x8[i] = v;
	}
	for (i = 0; i < 16; i++) {
		for (v = i, b = 0; b < 4; b++)
			v = fp_mulx(v);
		fp_crc_x4[i] = v;
	}
	/* x^(32 + 8 * 2), then x^32 more per entry */
	for (v = FP_X0, b = 0; b < 6; b++)
		v = fp_mulx8(v);
	for (i = 0; i < ARRAY_SIZE(fp_icrc_carries); i++) {
		fp_icrc_carry_of(&fp_icrc_carries[i], v);
		for (b = 0; b < 4; b++)
			v = fp_mulx8(v);
	}
	fp_icrc_ready = true;
}

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

/* Nibble @v (bit t the coefficient of x^(3 - t)) times w, from @c. */
static u32 fp_icrc_nib(const struct fp_icrc_carry *c, u32 v)
{
	return (c->w[3] & -(v & 1)) ^ (c->w[2] & -((v >> 1) & 1)) ^
	       (c->w[1] & -((v >> 2) & 1)) ^ (c->w[0] & -((v >> 3) & 1));
}

u32 fp_icrc_update16(u32 icrc, unsigned int len, unsigned int off, u16 old,
		     u16 new)
{
	/*
	 * The first byte's bit 0 is the highest power: the change is
	 * E(x) = sum over its bits, bit j of the first byte x^(15 - j), bit j
	 * of the second x^(7 - j). Its effect on the CRC is E(x) w with
	 * w = x^(32 + 8n) mod P, n the bytes between it and the ICRC;
	 * Horner's rule over E four coefficients at a time.
	 */
	unsigned int n = len - FP_ICRC_LEN - off - 2;
	const struct fp_icrc_carry *c;
	struct fp_icrc_carry slow;
	u32 d = (u32)(old ^ new), acc;

	if (!d)
		return icrc;
	if (likely(n % 4 == 2 && n / 4 < ARRAY_SIZE(fp_icrc_carries))) {
		c = &fp_icrc_carries[n / 4];
	} else {
		fp_icrc_carry_of(&slow, crc32_le_shift(FP_X32, n));
		c = &slow;
	}
	/* Nibbles in wire order: first byte's bits 0-3, 4-7, second's. */
	acc = fp_icrc_nib(c, (d >> 8) & 0xf);
	acc = (acc >> 4) ^ fp_crc_x4[acc & 0xf] ^ fp_icrc_nib(c, d >> 12);
	acc = (acc >> 4) ^ fp_crc_x4[acc & 0xf] ^ fp_icrc_nib(c, d & 0xf);
	acc = (acc >> 4) ^ fp_crc_x4[acc & 0xf] ^
	      fp_icrc_nib(c, (d >> 4) & 0xf);
	return icrc ^ acc;
}

void fp_roce4_set_sport(u8 *ip, unsigned int len, u16 sport)
{
	struct udphdr *uh = (struct udphdr *)(ip + sizeof(struct iphdr));
	u16 old = ntohs(uh->source);

	uh->source = htons(sport);
	fp_icrc4_put(ip, len, fp_icrc_update16(fp_icrc4_get(ip, len), len,
					       sizeof(struct iphdr), old,
					       sport));
}
