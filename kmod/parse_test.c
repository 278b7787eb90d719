// SPDX-License-Identifier: GPL-2.0
/* parse_test.c - KUnit: IPv4/UDP/BTH parsing, good and malformed. */
#include <kunit/test.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <net/ip.h>

#include "parse.h"
#include "test_pkt.h"

#define PAYLOAD	16
#define BASE_LEN (20 + 8 + FP_BTH_LEN + PAYLOAD + FP_ICRC_LEN)

struct parse_case {
	const char *name;
	/* Changes the good packet; returns the bytes handed to the parser. */
	unsigned int (*mutate)(u8 *pkt, unsigned int len);
	unsigned int hdr_len;	/* 0: min(len, FP_PARSE_MAX) */
	int ret;
	bool rewritable;
};

static unsigned int keep(u8 *p, unsigned int len)
{
	return len;
}

static struct iphdr *ip(u8 *p)
{
	return (struct iphdr *)p;
}

static struct udphdr *udp(u8 *p)
{
	return (struct udphdr *)(p + ip(p)->ihl * 4);
}

static unsigned int ipv6(u8 *p, unsigned int len)
{
	ip(p)->version = 6;
	return len;
}

static unsigned int tcp(u8 *p, unsigned int len)
{
	ip(p)->protocol = IPPROTO_TCP;
	return len;
}

static unsigned int ihl4(u8 *p, unsigned int len)
{
	ip(p)->ihl = 4;
	return len;
}

/* Insert 4 bytes of options (NOPs) after the fixed header. */
static unsigned int options(u8 *p, unsigned int len)
{
	memmove(p + 24, p + 20, len - 20);
	memset(p + 20, IPOPT_NOOP, 4);
	ip(p)->ihl = 6;
	len += 4;
	ip(p)->tot_len = htons(len);
	return len;
}

static unsigned int other_dport(u8 *p, unsigned int len)
{
	udp(p)->dest = htons(4792);
	return len;
}

/*
 * The UDP header is cut after its source port; the bytes beyond the given
 * ones (a stack buffer in the hook) are not the port, and must not be read.
 */
static unsigned int udp_port_unread(u8 *p, unsigned int len)
{
	udp(p)->dest = htons(0xffff);
	return len;
}

static unsigned int later_fragment(u8 *p, unsigned int len)
{
	ip(p)->frag_off = htons(100);
	return len;
}

static unsigned int first_fragment(u8 *p, unsigned int len)
{
	ip(p)->frag_off = htons(IP_MF);
	udp(p)->len = htons(1000);
	return len;
}

static unsigned int short_datagram(u8 *p, unsigned int len)
{
	return len - 1;		/* tot_len claims one byte more than present */
}

static unsigned int tot_len_tiny(u8 *p, unsigned int len)
{
	ip(p)->tot_len = htons(20 + 8 + FP_BTH_LEN + FP_ICRC_LEN - 1);
	return len;
}

static unsigned int udp_len_wrong(u8 *p, unsigned int len)
{
	udp(p)->len = htons(ntohs(udp(p)->len) - 2);
	return len;
}

static unsigned int bth_version(u8 *p, unsigned int len)
{
	p[20 + 8 + 1] |= 0x01;
	return len;
}

static u8 *bth(u8 *p)
{
	return (u8 *)(udp(p) + 1);
}

static unsigned int reserved_opcode(u8 *p, unsigned int len)
{
	bth(p)[0] = 0x15;
	return len;
}

static unsigned int rd_opcode(u8 *p, unsigned int len)
{
	bth(p)[0] = 0x40;	/* RD SEND FIRST: no RoCEv2 */
	return len;
}

static unsigned int pkey_zero(u8 *p, unsigned int len)
{
	bth(p)[2] = 0x80;
	bth(p)[3] = 0x00;
	return len;
}

/* COMPARE SWAP needs a 28-byte AtomicETH; the packet has 16 bytes. */
static unsigned int headers_longer(u8 *p, unsigned int len)
{
	bth(p)[0] = 0x13;
	return len;
}

/* One byte less in both lengths: no longer padded to 4 bytes. */
static unsigned int unpadded(u8 *p, unsigned int len)
{
	bth(p)[0] = 0x04;	/* SEND ONLY: all 16 bytes are payload */
	ip(p)->tot_len = htons(len - 1);
	udp(p)->len = htons(ntohs(udp(p)->len) - 1);
	return len;
}

/* SEND ONLY of 0 bytes claiming 3 pad bytes. */
static unsigned int pad_beyond(u8 *p, unsigned int len)
{
	len -= PAYLOAD;
	bth(p)[0] = 0x04;
	bth(p)[1] |= 3 << 4;
	ip(p)->tot_len = htons(len);
	udp(p)->len = htons(ntohs(udp(p)->len) - PAYLOAD);
	return len;
}

/* UD SEND ONLY: 8 bytes of DETH, 8 of payload. */
static unsigned int ud_send(u8 *p, unsigned int len)
{
	bth(p)[0] = 0x64;
	return len;
}

/* A first fragment that ends @end bytes after the BTH's start. */
static unsigned int fragment_to(u8 *p, unsigned int len, unsigned int end)
{
	first_fragment(p, len);
	ip(p)->tot_len = htons(20 + 8 + end);
	return len;
}

static unsigned int fragment_bth_icrc(u8 *p, unsigned int len)
{
	return fragment_to(p, len, FP_BTH_LEN + FP_ICRC_LEN);
}

static unsigned int fragment_short(u8 *p, unsigned int len)
{
	return fragment_to(p, len, FP_BTH_LEN + FP_ICRC_LEN - 1);
}

/* 4 bytes off: still a whole number of words, so only the length check. */
static unsigned int udp_len_short4(u8 *p, unsigned int len)
{
	udp(p)->len = htons(ntohs(udp(p)->len) - 4);
	return len;
}

static unsigned int udp_len_long4(u8 *p, unsigned int len)
{
	udp(p)->len = htons(ntohs(udp(p)->len) + 4);
	return len;
}

/* Valid P_Keys are those whose low 15 bits are not all 0. */
static unsigned int set_pkey(u8 *p, unsigned int len, u16 pkey)
{
	bth(p)[2] = pkey >> 8;
	bth(p)[3] = pkey;
	return len;
}

static unsigned int pkey_0000(u8 *p, unsigned int len)
{
	return set_pkey(p, len, 0x0000);
}

static unsigned int pkey_0100(u8 *p, unsigned int len)
{
	return set_pkey(p, len, 0x0100);
}

static unsigned int pkey_4000(u8 *p, unsigned int len)
{
	return set_pkey(p, len, 0x4000);
}

static unsigned int pkey_8001(u8 *p, unsigned int len)
{
	return set_pkey(p, len, 0x8001);
}

/* WRITE ONLY: its 16 bytes are the RETH, no payload for 3 pad bytes. */
static unsigned int pad_beyond_reth(u8 *p, unsigned int len)
{
	bth(p)[1] |= 3 << 4;
	return len;
}

static unsigned int trailing_bytes(u8 *p, unsigned int len)
{
	return len + 8;		/* Ethernet padding past tot_len is fine */
}

static const struct parse_case parse_cases[] = {
	{ "good", keep, 0, 0, true },
	{ "trailing bytes", trailing_bytes, 0, 0, true },
	{ "IP options", options, 0, 0, false },
	{ "first fragment", first_fragment, 0, 0, false },
	{ "IPv6 version", ipv6, 0, -EPROTONOSUPPORT },
	{ "TCP", tcp, 0, -EPROTONOSUPPORT },
	{ "other port", other_dport, 0, -EPROTONOSUPPORT },
	{ "later fragment", later_fragment, 0, -EPROTONOSUPPORT },
	{ "IP header cut", keep, 19, -EPROTONOSUPPORT },
	{ "IHL below 5", ihl4, 0, -EBADMSG },
	{ "UDP header cut", keep, 27, -EBADMSG },
	{ "UDP header cut before its port", udp_port_unread, 22, -EBADMSG },
	{ "BTH cut", keep, 20 + 8 + FP_BTH_LEN - 1, -EBADMSG },
	{ "datagram shorter than tot_len", short_datagram, 0, -EBADMSG },
	{ "tot_len too small for BTH and ICRC", tot_len_tiny, 0, -EBADMSG },
	{ "UDP length disagrees", udp_len_wrong, 0, -EBADMSG },
	{ "BTH transport version 1", bth_version, 0, -EBADMSG },
	{ "reserved opcode", reserved_opcode, 0, -EBADMSG },
	{ "RD opcode", rd_opcode, 0, -EBADMSG },
	{ "P_Key 0", pkey_zero, 0, -EBADMSG },
	{ "shorter than the opcode's headers", headers_longer, 0, -EBADMSG },
	{ "payload not padded to 4 bytes", unpadded, 0, -EBADMSG },
	{ "pad count beyond the payload", pad_beyond, 0, -EBADMSG },
	{ "UD SEND ONLY", ud_send, 0, 0, true },
	{ "headers end with the BTH", keep, 20 + 8 + FP_BTH_LEN, 0, true },
	{ "first fragment of BTH and ICRC", fragment_bth_icrc, 0, 0, false },
	{ "first fragment too short for the ICRC", fragment_short, 0,
	  -EBADMSG },
	{ "UDP length 4 short", udp_len_short4, 0, -EBADMSG },
	{ "UDP length 4 long", udp_len_long4, 0, -EBADMSG },
	{ "P_Key 0x0000", pkey_0000, 0, -EBADMSG },
	{ "P_Key 0x0100", pkey_0100, 0, 0, true },
	{ "P_Key 0x4000", pkey_4000, 0, 0, true },
	{ "P_Key 0x8001", pkey_8001, 0, 0, true },
	{ "pad count beyond a RETH-only packet", pad_beyond_reth, 0, -EBADMSG },
};

static void parse_case_desc(const struct parse_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(parse, parse_cases, parse_case_desc);

static void parse_test(struct kunit *test)
{
	const struct parse_case *c = test->param_value;
	__be32 s = htonl(0xc6120001), d = htonl(0xc6120005);
	unsigned int len, hlen;
	struct fp_roce4 p;
	u8 *pkt;
	int ret;

	pkt = kunit_kzalloc(test, FP_TEST_PKT_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pkt);
	len = fp_test_pkt(pkt, s, d, 0xc001, 0x123456, PAYLOAD);
	KUNIT_ASSERT_EQ(test, len, BASE_LEN);
	len = c->mutate(pkt, len);
	hlen = c->hdr_len ?: min_t(unsigned int, len, FP_PARSE_MAX);

	memset(&p, 0xa5, sizeof(p));
	ret = fp_parse_roce4(pkt, hlen, len, &p);
	KUNIT_EXPECT_EQ(test, ret, c->ret);
	if (ret)
		return;
	KUNIT_EXPECT_EQ(test, p.saddr, s);
	KUNIT_EXPECT_EQ(test, p.daddr, d);
	KUNIT_EXPECT_EQ(test, p.sport, 0xc001);
	KUNIT_EXPECT_EQ(test, p.dqpn, 0x123456);
	KUNIT_EXPECT_EQ(test, p.opcode, bth(pkt)[0]);
	KUNIT_EXPECT_EQ(test, p.udp_off, ip(pkt)->ihl * 4U);
	KUNIT_EXPECT_EQ(test, p.tot_len, (unsigned int)ntohs(ip(pkt)->tot_len));
	KUNIT_EXPECT_EQ(test, p.rewritable, c->rewritable);
}

/* Every prefix of a good packet: never a read past the given bytes. */
static void parse_every_prefix_test(struct kunit *test)
{
	struct fp_roce4 p;
	unsigned int len, n;
	u8 *pkt, *cut;
	int ret;

	pkt = kunit_kzalloc(test, FP_TEST_PKT_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pkt);
	len = fp_test_pkt(pkt, htonl(1), htonl(2), 0xc001, 7, PAYLOAD);
	for (n = 0; n < len; n++) {
		/* An exact-size copy, so KASAN would see an overread. */
		cut = kunit_kmalloc(test, n ?: 1, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, cut);
		memcpy(cut, pkt, n);
		ret = fp_parse_roce4(cut, min_t(unsigned int, n, FP_PARSE_MAX),
				     n, &p);
		KUNIT_EXPECT_NE_MSG(test, ret, 0, "prefix of %u bytes", n);
	}
	KUNIT_EXPECT_EQ(test, fp_parse_roce4(pkt, len, len, &p), 0);
}

/*
 * Extended header lengths from the IBTA specification (vol. 1, 9.2, 9.3;
 * annex A17 for the CNP), written out here rather than taken from the code.
 */
static const struct {
	u8 opcode;
	int ext;
} bth_ext_cases[] = {
	{ 0x00, 0 }, { 0x03, 4 }, { 0x04, 0 }, { 0x06, 16 }, { 0x0a, 16 },
	{ 0x0b, 20 }, { 0x0c, 16 }, { 0x0d, 4 }, { 0x0e, 0 }, { 0x10, 4 },
	{ 0x11, 4 }, { 0x12, 12 }, { 0x13, 28 }, { 0x14, 28 }, { 0x15, -1 },
	{ 0x17, 4 }, { 0x18, -1 }, { 0x24, 0 }, { 0x2a, 16 }, { 0x2b, 20 },
	{ 0x2c, -1 }, { 0x31, -1 }, { 0x40, -1 }, { 0x55, -1 }, { 0x63, -1 },
	{ 0x64, 8 }, { 0x65, 12 }, { 0x66, -1 }, { 0x80, -1 }, { 0x81, 16 },
	{ 0xa4, 4 }, { 0xaa, 20 }, { 0xad, 4 }, { 0xb1, 4 }, { 0xb2, 12 },
	{ 0xb3, 32 }, { 0xe0, -1 }, { 0xff, -1 },
};

static void parse_bth_ext_test(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bth_ext_cases); i++)
		KUNIT_EXPECT_EQ_MSG(test, fp_bth_ext_len(bth_ext_cases[i].opcode),
				    bth_ext_cases[i].ext, "opcode 0x%02x",
				    bth_ext_cases[i].opcode);
}

/*
 * Every opcode against the headers the IBTA specification lists for it
 * (vol. 1, 9.2-9.4; annex A17 for the CNP, A19 for FLUSH and ATOMIC
 * WRITE), summed here from each header's size, not taken from the code.
 */
enum {
	RETH = BIT(0), IMMDT = BIT(1), AETH = BIT(2), ATOMACKETH = BIT(3),
	ATOMICETH = BIT(4), IETH = BIT(5), FETH = BIT(6), DETH = BIT(7),
	XRCETH = BIT(8), CNP_RSVD = BIT(9), OPCODE = BIT(15),
};

static int ext_bytes(unsigned int hdrs)
{
	static const u8 size[] = { 16, 4, 4, 8, 28, 4, 4, 8, 4, 16 };
	unsigned int i;
	int n = 0;

	if (!(hdrs & OPCODE))
		return -1;
	for (i = 0; i < ARRAY_SIZE(size); i++)
		if (hdrs & BIT(i))
			n += size[i];
	return n;
}

/* RC's operations (an opcode's low five bits); the others are reserved. */
static const u16 rc_hdrs[32] = {
	[0x00] = OPCODE, [0x01] = OPCODE, [0x02] = OPCODE,	/* SEND F/M/L */
	[0x03] = OPCODE | IMMDT,			/* SEND LAST Imm */
	[0x04] = OPCODE, [0x05] = OPCODE | IMMDT,	/* SEND ONLY (Imm) */
	[0x06] = OPCODE | RETH, [0x07] = OPCODE,	/* WRITE F/M */
	[0x08] = OPCODE, [0x09] = OPCODE | IMMDT,	/* WRITE LAST (Imm) */
	[0x0a] = OPCODE | RETH, [0x0b] = OPCODE | RETH | IMMDT, /* ONLY */
	[0x0c] = OPCODE | RETH,				/* READ REQUEST */
	[0x0d] = OPCODE | AETH, [0x0e] = OPCODE,	/* READ RESP F/M */
	[0x0f] = OPCODE | AETH, [0x10] = OPCODE | AETH,	/* LAST, ONLY */
	[0x11] = OPCODE | AETH,				/* ACKNOWLEDGE */
	[0x12] = OPCODE | AETH | ATOMACKETH,		/* ATOMIC ACK */
	[0x13] = OPCODE | ATOMICETH, [0x14] = OPCODE | ATOMICETH,
	[0x16] = OPCODE | IETH, [0x17] = OPCODE | IETH,	/* SEND Invalidate */
	[0x1c] = OPCODE | FETH | RETH,			/* FLUSH */
	[0x1d] = OPCODE | RETH,				/* ATOMIC WRITE */
};

static int spec_ext_len(unsigned int opcode)
{
	unsigned int op = opcode & 0x1f;

	switch (opcode >> 5) {
	case 0:		/* RC */
		return ext_bytes(rc_hdrs[op]);
	case 1:		/* UC: RC's SENDs and RDMA WRITEs */
		return op <= 0x0b ? ext_bytes(rc_hdrs[op]) : -1;
	case 3:		/* UD: SEND ONLY (with Immediate) */
		if (op == 0x04 || op == 0x05)
			return ext_bytes(rc_hdrs[op] | DETH);
		return -1;
	case 4:		/* CNP */
		return opcode == 0x81 ? ext_bytes(OPCODE | CNP_RSVD) : -1;
	case 5:		/* XRC: RC's requests after an XRCETH, responses as RC */
		if (op >= 0x0d && op <= 0x12)
			return ext_bytes(rc_hdrs[op]);
		return ext_bytes(rc_hdrs[op] | XRCETH);
	default:	/* RD (no RoCEv2 implementation), 0xc0-0xff */
		return -1;
	}
}

static void parse_bth_ext_all_test(struct kunit *test)
{
	unsigned int op;

	for (op = 0; op < 256; op++)
		KUNIT_EXPECT_EQ_MSG(test, fp_bth_ext_len(op), spec_ext_len(op),
				    "opcode 0x%02x", op);
}

/*
 * Every opcode, with exactly its headers and 0, 4 or 8 payload bytes: a
 * RoCEv2 packet when the opcode is one; with 4 bytes fewer than its
 * headers, never.
 */
static void parse_every_opcode_test(struct kunit *test)
{
	unsigned int op, pl, len;
	struct fp_roce4 p;
	int ext;
	u8 *pkt;

	pkt = kunit_kzalloc(test, FP_TEST_PKT_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pkt);
	for (op = 0; op < 256; op++) {
		ext = fp_bth_ext_len(op);
		for (pl = 0; pl <= 8; pl += 4) {
			len = fp_test_pkt(pkt, htonl(1), htonl(2), 0xc001, 7,
					  max(ext, 0) + pl);
			bth(pkt)[0] = op;
			KUNIT_EXPECT_EQ_MSG(test, fp_parse_roce4(pkt,
					min_t(unsigned int, len, FP_PARSE_MAX),
					len, &p), ext < 0 ? -EBADMSG : 0,
					"opcode 0x%02x, %u payload bytes", op, pl);
		}
		if (ext < 4)
			continue;
		len = fp_test_pkt(pkt, htonl(1), htonl(2), 0xc001, 7, ext - 4);
		bth(pkt)[0] = op;
		bth(pkt)[1] = 0;
		KUNIT_EXPECT_EQ_MSG(test, fp_parse_roce4(pkt,
				min_t(unsigned int, len, FP_PARSE_MAX), len, &p),
				-EBADMSG, "opcode 0x%02x cut short", op);
	}
}

static struct kunit_case parse_test_cases[] = {
	KUNIT_CASE_PARAM(parse_test, parse_gen_params),
	KUNIT_CASE(parse_bth_ext_test),
	KUNIT_CASE(parse_bth_ext_all_test),
	KUNIT_CASE(parse_every_opcode_test),
	KUNIT_CASE(parse_every_prefix_test),
	{}
};

static struct kunit_suite parse_test_suite = {
	.name = "flowplan_parse",
	.test_cases = parse_test_cases,
};

kunit_test_suite(parse_test_suite);
