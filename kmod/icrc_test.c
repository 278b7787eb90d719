// SPDX-License-Identifier: GPL-2.0
/*
 * icrc_test.c - KUnit: the RoCEv2 ICRC against packets whose ICRC was made
 * by someone else, which fields it covers and which it masks, and the
 * source-port rewrite.
 */
#include <kunit/test.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include "icrc.h"
#include "parse.h"
#include "test_pkt.h"

struct icrc_case {
	const char *name;
	const u8 *pkt;
	unsigned int len;
};

/*
 * A CNP (opcode 0x81, BECN set) captured on a Mellanox ConnectX-4 Lx,
 * published in scapy's RoCE tests (test/contrib/roce.uts); the IP datagram
 * without its Ethernet header. Source port 0; the ICRC is the NIC's.
 */
static const u8 cnp_cx4[] = {
	0x45, 0xc2, 0x00, 0x3c, 0x71, 0x8c, 0x40, 0x00, 0x40, 0x11,
	0x91, 0x61, 0x0a, 0x00, 0x11, 0x01, 0x0a, 0x00, 0x12, 0x01,
	0x00, 0x00, 0x12, 0xb7, 0x00, 0x28, 0x00, 0x00,
	0x81, 0x00, 0xff, 0xff, 0x40, 0x00, 0x01, 0x18,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x82, 0xfd, 0x00, 0x2a,
};

/*
 * A UC SEND ONLY (pad count 2, 20 payload bytes) from the same tests, its
 * ICRC (0x78f353f3 on the wire) computed by scapy's own implementation.
 */
static const u8 uc_send_scapy[] = {
	0x45, 0x01, 0x00, 0x40, 0x04, 0x78, 0x40, 0x00, 0x40, 0x11,
	0xb4, 0xd5, 0xc0, 0xa8, 0x00, 0x07, 0xc0, 0xa8, 0x00, 0x07,
	0xc0, 0x00, 0x12, 0xb7, 0x00, 0x2c, 0xac, 0xa2,
	0x24, 0x60, 0xff, 0xff, 0x00, 0x00, 0x00, 0xd3,
	0x00, 0xcf, 0x17, 0x10,
	0x46, 0x30, 0x81, 0x8b, 0xe2, 0x89, 0x35, 0xd9, 0x0e, 0x9a,
	0x95, 0x50, 0x54, 0x01, 0xbe, 0x88, 0x5e, 0x50, 0x00, 0x00,
	0x78, 0xf3, 0x53, 0xf3,
};

static const struct icrc_case icrc_cases[] = {
	{ "CNP captured on ConnectX-4 Lx", cnp_cx4, sizeof(cnp_cx4) },
	{ "UC SEND ONLY from scapy", uc_send_scapy, sizeof(uc_send_scapy) },
};

static void icrc_case_desc(const struct icrc_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(icrc, icrc_cases, icrc_case_desc);

static u8 *dup_pkt(struct kunit *test, const u8 *pkt, unsigned int len)
{
	u8 *p = kunit_kmalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	memcpy(p, pkt, len);
	return p;
}

static void icrc_known_test(struct kunit *test)
{
	const struct icrc_case *c = test->param_value;
	struct fp_roce4 p;

	KUNIT_ASSERT_EQ(test, fp_parse_roce4(c->pkt, c->len, c->len, &p), 0);
	KUNIT_EXPECT_TRUE(test, p.rewritable);
	KUNIT_EXPECT_EQ(test, fp_icrc4(c->pkt, c->len),
			fp_icrc4_get(c->pkt, c->len));
}

/* Variant fields: TOS, TTL, IP checksum, UDP checksum, BTH byte 4. */
static void icrc_masked_test(struct kunit *test)
{
	const struct icrc_case *c = test->param_value;
	static const unsigned int off[] = { 1, 8, 10, 11, 26, 27, 32 };
	u32 want = fp_icrc4_get(c->pkt, c->len);
	unsigned int i;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(off); i++) {
		p = dup_pkt(test, c->pkt, c->len);
		p[off[i]] ^= 0x5a;
		KUNIT_EXPECT_EQ_MSG(test, fp_icrc4(p, c->len), want,
				    "byte %u is masked", off[i]);
	}
}

/* Every other byte before the ICRC is covered, the ports above all. */
static void icrc_covered_test(struct kunit *test)
{
	const struct icrc_case *c = test->param_value;
	u32 want = fp_icrc4_get(c->pkt, c->len);
	unsigned int i;
	u8 *p;

	for (i = 0; i < c->len - FP_ICRC_LEN; i++) {
		if (i == 1 || i == 8 || i == 10 || i == 11 || i == 26 ||
		    i == 27 || i == 32)
			continue;
		p = dup_pkt(test, c->pkt, c->len);
		p[i] ^= 0x01;
		KUNIT_EXPECT_NE_MSG(test, fp_icrc4(p, c->len), want,
				    "byte %u is covered", i);
	}
}

static void icrc_set_sport_test(struct kunit *test)
{
	const struct icrc_case *c = test->param_value;
	struct fp_roce4 p;
	u8 *pkt;

	pkt = dup_pkt(test, c->pkt, c->len);
	fp_roce4_set_sport(pkt, c->len, 0xc00b);
	KUNIT_ASSERT_EQ(test, fp_parse_roce4(pkt, c->len, c->len, &p), 0);
	KUNIT_EXPECT_EQ(test, p.sport, 0xc00b);
	KUNIT_EXPECT_NE(test, fp_icrc4_get(pkt, c->len),
			fp_icrc4_get(c->pkt, c->len));
	KUNIT_EXPECT_EQ(test, fp_icrc4(pkt, c->len), fp_icrc4_get(pkt, c->len));
	/* Only the port and the ICRC changed. */
	KUNIT_EXPECT_EQ(test, memcmp(pkt, c->pkt, 20), 0);
	KUNIT_EXPECT_EQ(test, memcmp(pkt + 22, c->pkt + 22, c->len - 26), 0);
	/* Back to the old port gives back the very same bytes. */
	fp_roce4_set_sport(pkt, c->len, ntohs(*(__be16 *)(c->pkt + 20)));
	KUNIT_EXPECT_EQ(test, memcmp(pkt, c->pkt, c->len), 0);
}

/* The builder's packets, of every payload size up to a few words. */
static void icrc_builder_test(struct kunit *test)
{
	unsigned int pl, len;
	u8 *pkt;

	pkt = kunit_kzalloc(test, FP_TEST_PKT_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pkt);
	for (pl = 0; pl <= 64; pl += 4) {
		len = fp_test_pkt(pkt, htonl(0x0a000001), htonl(0x0a000002),
				  0xc000 + pl, pl, pl);
		KUNIT_EXPECT_EQ(test, fp_icrc4(pkt, len), fp_icrc4_get(pkt, len));
		pkt[len - 5] ^= 1;
		KUNIT_EXPECT_NE(test, fp_icrc4(pkt, len), fp_icrc4_get(pkt, len));
	}
}

static struct kunit_case icrc_test_cases[] = {
	KUNIT_CASE_PARAM(icrc_known_test, icrc_gen_params),
	KUNIT_CASE_PARAM(icrc_masked_test, icrc_gen_params),
	KUNIT_CASE_PARAM(icrc_covered_test, icrc_gen_params),
	KUNIT_CASE_PARAM(icrc_set_sport_test, icrc_gen_params),
	KUNIT_CASE(icrc_builder_test),
	{}
};

static struct kunit_suite icrc_test_suite = {
	.name = "flowplan_icrc",
	.test_cases = icrc_test_cases,
};

kunit_test_suite(icrc_test_suite);
