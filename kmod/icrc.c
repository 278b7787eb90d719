// SPDX-License-Identifier: GPL-2.0
/* icrc.c - RoCEv2 ICRC of IPv4 and IPv6 packets, the way rxe checks it. */
#include <linux/cache.h>
#include <linux/crc32.h>
#include <linux/crc32poly.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/string.h>
#include <linux/udp.h>
#include <asm/unaligned.h>

#include <linux/flowplan.h>

#include "icrc.h"
#include "parse.h"

/* CRC-32 of 8 bytes of 0xff from the initial ~0: the masked LRH. */
#define FP_ICRC_SEED	0xdebb20e3

/*
 * Polynomials mod P in lib/crc32's little-endian order: bit 31 is x^0,
 * bit 0 is x^31. Multiplying by x is one shift and a conditional reduction.
 */
#define FP_X0		0x80000000U

/* (v & 0xff) * x^8 mod P: the low byte's part of one byte-shift. */
static u32 fp_crc_x8[256] __ro_after_init;
/*
 * What a byte b changed n bytes before the ICRC (n = 4k + 2: every RoCEv2
 * packet's source port, its UDP length being a multiple of 4) does to the
 * CRC: b times x^(32 + 8n) mod P, b's bit j standing for x^(7 - j), as
 * lo[b & 0xf] ^ hi[b >> 4]. Two parallel loads instead of a product, which
 * would be a chain of reductions: the hook waits on this for every packet
 * it rewrites. 128 bytes a length, 130 KiB for every RoCEv2 length.
 */
struct fp_icrc_carry {
	u32 lo[16];
	u32 hi[16];
};

static struct fp_icrc_carry fp_icrc_carries[FP_ICRC_TABLE_LEN / 4]
	____cacheline_aligned;
static bool fp_icrc_ready;

static u32 fp_mulx(u32 v)
{
	return (v >> 1) ^ (v & 1 ? CRC32_POLY_LE : 0);
}

static __always_inline u32 fp_mulx8(u32 v)
{
	return (v >> 8) ^ fp_crc_x8[v & 0xff];
}

/* The table entry of the distance whose x^(32 + 8n) is @w. */
static void fp_icrc_carry_of(struct fp_icrc_carry *c, u32 w)
{
	unsigned int j, m;
	u32 u[8];

	/* u[j] = w x^(7 - j): what bit j of the byte adds */
	for (j = 8; j--; w = fp_mulx(w))
		u[j] = w;
	for (m = 0; m < 16; m++) {
		c->lo[m] = 0;
		c->hi[m] = 0;
		for (j = 0; j < 4; j++) {
			if (!(m & BIT(j)))
				continue;
			c->lo[m] ^= u[j];
			c->hi[m] ^= u[j + 4];
		}
	}
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

u32 fp_icrc6(const u8 *ip, unsigned int len)
{
	const unsigned int hlen = sizeof(struct ipv6hdr) +
				  sizeof(struct udphdr) + FP_BTH_LEN;
	u8 ps[sizeof(struct ipv6hdr) + sizeof(struct udphdr) + FP_BTH_LEN];
	struct udphdr *uh = (struct udphdr *)(ps + sizeof(struct ipv6hdr));
	u8 *bth = (u8 *)(uh + 1);
	u32 crc;

	memcpy(ps, ip, hlen);
	/* traffic class and flow label: the 28 bits after the version */
	ps[0] |= 0x0f;
	ps[1] = 0xff;
	ps[2] = 0xff;
	ps[3] = 0xff;
	((struct ipv6hdr *)ps)->hop_limit = 0xff;
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

/* What byte @b changes the CRC by, at the distance of @c. */
static __always_inline u32 fp_icrc_byte(const struct fp_icrc_carry *c, u32 b)
{
	return c->lo[b & 0xf] ^ c->hi[(b >> 4) & 0xf];
}

/* Any distance: lib/crc32's zero extension, logarithmic in @n. */
static noinline u32 fp_icrc_update16_slow(u32 icrc, unsigned int n, u32 d)
{
	u8 b[2] = { d >> 8, d };

	return icrc ^ crc32_le_shift(crc32_le(0, b, 2), n);
}

static __always_inline u32 __fp_icrc_update16(u32 icrc, unsigned int len,
					       unsigned int off, u16 old,
					       u16 new)
{
	/*
	 * The first byte's difference goes 8 bits further than the second's:
	 * its term is carried over one more byte, x^8, which is one shift and
	 * a table lookup.
	 */
	unsigned int n = len - FP_ICRC_LEN - off - 2;
	const struct fp_icrc_carry *c;
	u32 d = (u32)(old ^ new);

	if (unlikely(n % 4 != 2 || n / 4 >= ARRAY_SIZE(fp_icrc_carries)))
		return fp_icrc_update16_slow(icrc, n, d);
	c = &fp_icrc_carries[n / 4];
	return icrc ^ fp_icrc_byte(c, d & 0xff) ^
	       fp_mulx8(fp_icrc_byte(c, d >> 8));
}

u32 fp_icrc_update16(u32 icrc, unsigned int len, unsigned int off, u16 old,
		     u16 new)
{
	return __fp_icrc_update16(icrc, len, off, old, new);
}

static __always_inline void fp_roce_set_sport(u8 *ip, unsigned int len,
					      unsigned int udp_off, u16 sport)
{
	struct udphdr *uh = (struct udphdr *)(ip + udp_off);
	u16 old = ntohs(uh->source);

	uh->source = htons(sport);
	fp_icrc4_put(ip, len, __fp_icrc_update16(fp_icrc4_get(ip, len), len,
						 udp_off, old, sport));
}

void fp_roce4_set_sport(u8 *ip, unsigned int len, u16 sport)
{
	fp_roce_set_sport(ip, len, sizeof(struct iphdr), sport);
}

void fp_roce6_set_sport(u8 *ip, unsigned int len, u16 sport)
{
	fp_roce_set_sport(ip, len, sizeof(struct ipv6hdr), sport);
}

void fp_roce6_set_flow_label(u8 *ip, u32 label)
{
	__be32 w = get_unaligned((__be32 *)ip);

	w = (w & ~htonl(FLOWPLAN_FLOW_LABEL_MAX)) |
	    htonl(label & FLOWPLAN_FLOW_LABEL_MAX);
	put_unaligned(w, (__be32 *)ip);
}
