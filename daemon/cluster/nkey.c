// SPDX-License-Identifier: MIT
/*
 * nkey.c - NKey seeds and public keys of users (nkey.h). Ed25519 is
 * OpenSSL's; the encoding is NKeys': base32 (RFC 4648, no padding) of
 * prefix bytes, the 32-byte key and a CRC-16/XMODEM, little-endian.
 * A seed's prefix is two bytes: 18 << 3 with the key type's upper bits,
 * then its lower bits << 3; the type of users is 20 << 3 ("U").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/err.h"
#include "nkey.h"

#define PREFIX_SEED	(18u << 3)
#define PREFIX_USER	(20u << 3)

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

uint16_t fpc_crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (k = 0; k < 8; k++)
			crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
	}
	return crc;
}

static void enc(const uint8_t *in, size_t n, char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits)
		out[o++] = b32[(acc << (5 - bits)) & 31];
	out[o] = 0;
}

/* Decode; the number of bytes, or -1 on a character outside the alphabet. */
static long dec(const char *in, size_t n, uint8_t *out, size_t max)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		const char *c = strchr(b32, in[i]);

		if (!in[i] || !c)
			return -1;
		acc = (acc << 5) | (uint32_t)(c - b32);
		bits += 5;
		if (bits >= 8) {
			if (o == max)
				return -1;
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return (long)o;
}

static void encode_key(uint8_t prefix, const uint8_t key[32], char *out)
{
	uint8_t raw[35];
	uint16_t crc;

	raw[0] = prefix;
	memcpy(raw + 1, key, 32);
	crc = fpc_crc16(raw, 33);
	raw[33] = (uint8_t)crc;
	raw[34] = (uint8_t)(crc >> 8);
	enc(raw, sizeof(raw), out);
}

static int public_of(const uint8_t seed[32], char *pub, size_t n, struct fp_err *err)
{
	EVP_PKEY *k;
	uint8_t pk[32];
	size_t len = sizeof(pk);

	if (n < FPC_NKEY_PUBLEN + 1)
		return fp_fail(err, ENOSPC, "nkey: buffer too small");
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (!k)
		return fp_fail(err, EINVAL, "nkey: OpenSSL refused the Ed25519 seed");
	if (EVP_PKEY_get_raw_public_key(k, pk, &len) != 1 || len != 32) {
		EVP_PKEY_free(k);
		return fp_fail(err, EINVAL, "nkey: no Ed25519 public key from the seed");
	}
	EVP_PKEY_free(k);
	encode_key(PREFIX_USER, pk, pub);
	return 0;
}

int fpc_nkey_seed_public(const char *seed, char *pub, size_t n, struct fp_err *err)
{
	uint8_t raw[40];
	size_t len = strcspn(seed, " \t\r\n");
	uint16_t crc;
	long got;
	int ret;

	if (len != FPC_NKEY_SEEDLEN || strncmp(seed, "SU", 2))
		return fp_fail(err, EINVAL, "nkey: not a user seed (SU... of %d characters)",
			    FPC_NKEY_SEEDLEN);
	got = dec(seed, len, raw, sizeof(raw));
	if (got != 36)
		return fp_fail(err, EINVAL, "nkey: the seed is not base32 of 36 bytes");
	crc = (uint16_t)(raw[34] | raw[35] << 8);
	if (crc != fpc_crc16(raw, 34))
		return fp_fail(err, EINVAL, "nkey: the seed's checksum is wrong");
	if (raw[0] != (PREFIX_SEED | (PREFIX_USER >> 5)) || raw[1] != ((PREFIX_USER & 31) << 3))
		return fp_fail(err, EINVAL, "nkey: the seed is not a user's");
	ret = public_of(raw + 2, pub, n, err);
	memset(raw, 0, sizeof(raw));
	return ret;
}

int fpc_nkey_public(const char *path, char *pub, size_t n, struct fp_err *err)
{
	char line[512];
	FILE *f = fopen(path, "re");
	int ret = -1;

	if (!f)
		return fp_fail(err, errno, "%s: %s", path, strerror(errno));
	while (ret < 0 && fgets(line, sizeof(line), f)) {
		char *s = line + strspn(line, " \t");

		if (!strncmp(s, "SU", 2)) {
			struct fp_err e = { "" };

			ret = fpc_nkey_seed_public(s, pub, n, &e);
			if (ret)
				fp_fail(err, ret, "%s: %s", path, e.msg);
		}
	}
	memset(line, 0, sizeof(line));
	fclose(f);
	if (ret < 0)
		return fp_fail(err, EINVAL, "%s: no NKey user seed (a line SU...)", path);
	return ret;
}

int fpc_nkey_new(char *seed, size_t ns, char *pub, size_t np, struct fp_err *err)
{
	uint8_t raw[36];
	uint16_t crc;
	int ret;

	if (ns < FPC_NKEY_SEEDLEN + 1)
		return fp_fail(err, ENOSPC, "nkey: buffer too small");
	raw[0] = PREFIX_SEED | (PREFIX_USER >> 5);
	raw[1] = (PREFIX_USER & 31) << 3;
	if (RAND_bytes(raw + 2, 32) != 1)
		return fp_fail(err, EIO, "nkey: no random bytes from OpenSSL");
	crc = fpc_crc16(raw, 34);
	raw[34] = (uint8_t)crc;
	raw[35] = (uint8_t)(crc >> 8);
	enc(raw, sizeof(raw), seed);
	ret = public_of(raw + 2, pub, np, err);
	memset(raw, 0, sizeof(raw));
	return ret;
}
