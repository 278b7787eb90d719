// SPDX-License-Identifier: MIT
/*
 * hash.c - ECMP hash functions over the 13-byte 5-tuple
 * saddr(4) daddr(4) proto(1) sport(2) dport(2), network byte order.
 */
#include <errno.h>
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

/* Standard Microsoft RSS key (40 bytes). */
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
			if (key[kb / 8] & (1u << (7 - kb % 8)))
				win |= 1;
			kb++;
		}
	}
	return res;
}

uint32_t fp_hash(enum fp_hash_fn fn, uint32_t seed, uint32_t saddr, uint32_t daddr,
		 uint16_t sport, uint16_t dport)
{
	uint8_t in[13];
	uint32_t c;
	uint16_t h;
	int i;

	tables_init();
	memcpy(in, &saddr, 4);
	memcpy(in + 4, &daddr, 4);
	in[8] = 17;
	in[9] = (uint8_t)(sport >> 8);
	in[10] = (uint8_t)sport;
	in[11] = (uint8_t)(dport >> 8);
	in[12] = (uint8_t)dport;

	switch (fn) {
	case FP_HASH_CRC32:
	case FP_HASH_CRC32C:
		c = ~seed;
		for (i = 0; i < 13; i++)
			c = (fn == FP_HASH_CRC32 ? crc32_tab : crc32c_tab)[(c ^ in[i]) & 0xff] ^ (c >> 8);
		return ~c;
	case FP_HASH_CRC16:
		h = (uint16_t)(0xffff ^ seed ^ (seed >> 16));
		for (i = 0; i < 13; i++)
			h = (uint16_t)((h << 8) ^ crc16_tab[((h >> 8) ^ in[i]) & 0xff]);
		return h;
	case FP_HASH_XOR:
		c = saddr ^ daddr ^ 17u ^ ((uint32_t)sport << 16 | dport) ^ seed;
		return (c ^ (c >> 16)) & 0xffff;
	case FP_HASH_TOEPLITZ:
		return toeplitz(seed, in, 13);
	}
	return 0;
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

const uint32_t *fp_hash_sport_deltas(enum fp_hash_fn fn)
{
	static uint32_t *tab[FP_HASH_TOEPLITZ + 1];
	uint32_t z, i;

	if (!tab[fn]) {
		uint32_t *t = malloc(65536 * sizeof(uint32_t));

		if (!t)
			abort();
		z = fp_hash(fn, 0, 0, 0, 0, FP_ROCE_PORT);
		for (i = 0; i < 65536; i++)
			t[i] = fp_hash(fn, 0, 0, 0, (uint16_t)i, FP_ROCE_PORT) ^ z;
		tab[fn] = t;
	}
	return tab[fn];
}

uint32_t fp_hash_sport_delta(enum fp_hash_fn fn, uint16_t sport)
{
	return fp_hash_sport_deltas(fn)[sport];
}
