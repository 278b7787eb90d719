// SPDX-License-Identifier: MIT
/*
 * hash.c - ECMP hash functions over the fields a switch hashes, in
 * network byte order: the IPv4 5-tuple saddr(4) daddr(4) proto(1) sport(2)
 * dport(2); IPv6 saddr(16) daddr(16) proto(1), then sport(2) dport(2) when
 * the switch hashes L4, then the 20-bit flow label as 3 bytes when it
 * hashes that (docs/formats.md "ECMP model and source ports").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "planner/topo.h"

static uint32_t crc32_tab[256], crc32c_tab[256];
static uint16_t crc16_tab[256];

static void tables_init(void)
{
	static int done;
	uint32_t c, d;
	uint16_t h;
	int i, k;

	if (done)
		return;
	for (i = 0; i < 256; i++) {
		c = d = (uint32_t)i;
		h = (uint16_t)(i << 8);
		for (k = 0; k < 8; k++) {
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			d = d & 1 ? 0x82F63B78u ^ (d >> 1) : d >> 1;
			h = h & 0x8000 ? (uint16_t)((h << 1) ^ 0x1021) : (uint16_t)(h << 1);
		}
		crc32_tab[i] = c;
		crc32c_tab[i] = d;
		crc16_tab[i] = h;
	}
	done = 1;
}

/*
 * Standard Microsoft RSS key (40 bytes). IPv6 inputs longer than its 36
 * bytes read on into a second copy without the seed, so that what a port
 * or a label changes does not depend on the seed.
 */
static const uint8_t rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static uint32_t toeplitz(uint32_t seed, const uint8_t *in, int n)
{
	uint8_t key[40];
	uint32_t res = 0, win;
	int i, b, kb = 32;

	memcpy(key, rss_key, sizeof(key));
	key[0] ^= (uint8_t)(seed >> 24);
	key[1] ^= (uint8_t)(seed >> 16);
	key[2] ^= (uint8_t)(seed >> 8);
	key[3] ^= (uint8_t)seed;
	win = (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 | (uint32_t)key[2] << 8 | key[3];
	for (i = 0; i < n; i++) {
		for (b = 7; b >= 0; b--) {
			if (in[i] & (1u << b))
				res ^= win;
			win <<= 1;
			if ((kb < 320 ? key[kb / 8] : rss_key[kb / 8 - 40]) & (1u << (7 - kb % 8)))
				win |= 1;
			kb++;
		}
	}
	return res;
}

/* CRCs and Toeplitz over the input bytes. */
static uint32_t hash_bytes(enum fp_hash_fn fn, uint32_t seed, const uint8_t *in, int n)
{
	uint32_t c;
	uint16_t h;
	int i;

	switch (fn) {
	case FP_HASH_CRC32:
	case FP_HASH_CRC32C:
		c = ~seed;
		for (i = 0; i < n; i++)
			c = (fn == FP_HASH_CRC32 ? crc32_tab : crc32c_tab)[(c ^ in[i]) & 0xff] ^ (c >> 8);
		return ~c;
	case FP_HASH_CRC16:
		h = (uint16_t)(0xffff ^ seed ^ (seed >> 16));
		for (i = 0; i < n; i++)
			h = (uint16_t)((h << 8) ^ crc16_tab[((h >> 8) ^ in[i]) & 0xff]);
		return h;
	case FP_HASH_TOEPLITZ:
		return toeplitz(seed, in, n);
	case FP_HASH_XOR:
		break;
	}
	return 0;
}

static uint32_t word(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w;
}

uint32_t fp_hash_pkt(enum fp_hash_fn fn, uint32_t seed, enum fp_hash_key key,
		     const struct fp_addr *s, const struct fp_addr *d, uint16_t sport,
		     uint16_t dport, uint32_t fl)
{
	bool l4 = key != FP_HK_V6_L3_FL, hfl = key == FP_HK_V6_L4_FL || key == FP_HK_V6_L3_FL;
	uint8_t in[40];
	int n = 0, i;
	uint32_t c;

	tables_init();
	fl &= 0xfffff;
	if (key == FP_HK_V4) {
		memcpy(in, &s->b[12], 4);
		memcpy(in + 4, &d->b[12], 4);
		n = 8;
		hfl = false;
	} else {
		memcpy(in, s->b, 16);
		memcpy(in + 16, d->b, 16);
		n = 32;
	}
	in[n++] = 17;
	if (l4) {
		in[n++] = (uint8_t)(sport >> 8);
		in[n++] = (uint8_t)sport;
		in[n++] = (uint8_t)(dport >> 8);
		in[n++] = (uint8_t)dport;
	}
	if (hfl) {
		in[n++] = (uint8_t)(fl >> 16);
		in[n++] = (uint8_t)(fl >> 8);
		in[n++] = (uint8_t)fl;
	}
	if (fn != FP_HASH_XOR)
		return hash_bytes(fn, seed, in, n);
	c = 17u ^ seed;
	for (i = 0; i < (key == FP_HK_V4 ? 8 : 32); i += 4)
		c ^= word(in + i);
	if (l4)
		c ^= (uint32_t)sport << 16 | dport;
	if (hfl)
		c ^= fl;
	return (c ^ (c >> 16)) & 0xffff;
}

uint32_t fp_hash(enum fp_hash_fn fn, uint32_t seed, uint32_t saddr, uint32_t daddr,
		 uint16_t sport, uint16_t dport)
{
	struct fp_addr s = fp_addr_v4(saddr), d = fp_addr_v4(daddr);

	return fp_hash_pkt(fn, seed, FP_HK_V4, &s, &d, sport, dport, 0);
}

static const char *const hash_names[] = {
	[FP_HASH_CRC32] = "crc32", [FP_HASH_CRC32C] = "crc32c", [FP_HASH_CRC16] = "crc16",
	[FP_HASH_XOR] = "xor", [FP_HASH_TOEPLITZ] = "toeplitz",
};

const char *fp_hash_name(enum fp_hash_fn fn)
{
	return hash_names[fn];
}

int fp_hash_parse(const char *s, enum fp_hash_fn *fn)
{
	unsigned int i;

	for (i = 0; i < sizeof(hash_names) / sizeof(hash_names[0]); i++) {
		if (!strcmp(s, hash_names[i])) {
			*fn = (enum fp_hash_fn)i;
			return 0;
		}
	}
	return EINVAL;
}

static const char *const fields_names[] = {
	[FP_HF_L4] = "l4", [FP_HF_L4_FL] = "l4+flowlabel", [FP_HF_L3_FL] = "l3+flowlabel",
};

const char *fp_hash_fields_name(enum fp_hash_fields f)
{
	return fields_names[f];
}

int fp_hash_fields_parse(const char *s, enum fp_hash_fields *f)
{
	unsigned int i;

	for (i = 0; i < sizeof(fields_names) / sizeof(fields_names[0]); i++) {
		if (!strcmp(s, fields_names[i])) {
			*f = (enum fp_hash_fields)i;
			return 0;
		}
	}
	return EINVAL;
}

/*
 * Every hash is affine over GF(2) in its input for a fixed input length, so
 * the change a port or a label makes is the same whatever the seed and the
 * addresses: tables of those changes, per function and key layout.
 */
#define NKEYS	(FP_HK_V6_L3_FL + 1)
#define NFN	(FP_HASH_TOEPLITZ + 1)

static uint32_t delta_direct(enum fp_hash_fn fn, enum fp_hash_key key, uint16_t sport,
			     uint32_t fl)
{
	static const struct fp_addr z;

	return fp_hash_pkt(fn, 0, key, &z, &z, sport, FP_ROCE_PORT, fl) ^
	       fp_hash_pkt(fn, 0, key, &z, &z, 0, FP_ROCE_PORT, 0);
}

/*
 * The change is linear in the port's and the label's bits as well (the
 * hash less its value at zero is), so a table of @n changes takes one hash
 * per bit: entry i is the entry of i less its lowest set bit, plus that
 * bit's change. Entry 0 is port @base_sport with label 0; with @fl_too,
 * entry i's label is i as well (the planner's labels: port 0xC000 | i).
 */
static void fill_deltas(uint32_t *t, uint32_t n, enum fp_hash_fn fn, enum fp_hash_key key,
			uint16_t base_sport, bool fl_too)
{
	uint32_t bit[16], i;
	int b;

	t[0] = delta_direct(fn, key, base_sport, 0);
	for (b = 0; (1u << b) < n; b++)
		bit[b] = delta_direct(fn, key, (uint16_t)(base_sport | 1u << b),
				      fl_too ? 1u << b : 0) ^ t[0];
	for (i = 1; i < n; i++)
		t[i] = t[i & (i - 1)] ^ bit[__builtin_ctz(i)];
}

static const uint32_t *port_deltas(enum fp_hash_fn fn, enum fp_hash_key key)
{
	static uint32_t *tab[NFN][NKEYS];

	if (!tab[fn][key]) {
		uint32_t *t = malloc(65536 * sizeof(uint32_t));

		if (!t)
			abort();
		if (key == FP_HK_V6_L3_FL)
			memset(t, 0, 65536 * sizeof(uint32_t));
		else
			fill_deltas(t, 65536, fn, key, 0, false);
		tab[fn][key] = t;
	}
	return tab[fn][key];
}

const uint32_t *fp_hash_label_deltas(enum fp_hash_fn fn, enum fp_hash_key key)
{
	static uint32_t *tab[NFN][NKEYS];

	if (!tab[fn][key]) {
		uint32_t *t = malloc(0x4000 * sizeof(uint32_t));

		if (!t)
			abort();
		fill_deltas(t, 0x4000, fn, key, 0xC000u, true);
		tab[fn][key] = t;
	}
	return tab[fn][key];
}

uint32_t fp_hash_pkt_delta(enum fp_hash_fn fn, enum fp_hash_key key, uint16_t sport,
			   uint32_t fl)
{
	uint32_t d;

	fl &= 0xfffff;
	if (fl < 0x4000 && sport == (0xC000u | fl))
		return fp_hash_label_deltas(fn, key)[fl];
	d = port_deltas(fn, key)[sport];
	if ((key == FP_HK_V6_L4_FL || key == FP_HK_V6_L3_FL) && fl)
		d ^= delta_direct(fn, key, 0, fl);
	return d;
}

const uint32_t *fp_hash_sport_deltas(enum fp_hash_fn fn)
{
	return port_deltas(fn, FP_HK_V4);
}

uint32_t fp_hash_sport_delta(enum fp_hash_fn fn, uint16_t sport)
{
	return fp_hash_sport_deltas(fn)[sport];
}
