// SPDX-License-Identifier: MIT
/*
 * test_cluster_nkey - NKey user keys (daemon/cluster/nkey.h): the
 * checksum's standard check value, new pairs whose public key matches
 * their seed, the public key checked against what nats.c itself does with
 * the seed (it signs a nonce; OpenSSL verifies the signature with the key
 * we derived), and seeds that are damaged, of another type or missing
 * refused with a reason.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <nats/nats.h>
#include <openssl/evp.h>

#include "nkey.h"

static void test_crc16_check_value(void **state)
{
	(void)state;
	/* CRC-16/XMODEM of "123456789" is 0x31C3 */
	assert_int_equal(fpc_crc16((const uint8_t *)"123456789", 9), 0x31c3);
	assert_int_equal(fpc_crc16(NULL, 0), 0);
}

/* base32 (RFC 4648, no padding) of a public key: its 35 bytes */
static void b32dec(const char *s, uint8_t *out, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (; *s && o < n; s++) {
		const char *c = strchr(a, *s);

		assert_non_null(c);
		acc = (acc << 5) | (uint32_t)(c - a);
		bits += 5;
		if (bits >= 8) {
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	assert_int_equal(o, n);
}

static void test_new_pair(void **state)
{
	char seed[FPC_NKEY_SEEDLEN + 1], pub[FPC_NKEY_PUBLEN + 1], pub2[FPC_NKEY_PUBLEN + 1];
	char seed2[FPC_NKEY_SEEDLEN + 1], p3[FPC_NKEY_PUBLEN + 1];
	struct fp_err err = { "" };
	uint8_t raw[35];

	(void)state;
	assert_int_equal(fpc_nkey_new(seed, sizeof(seed), pub, sizeof(pub), &err), 0);
	assert_int_equal(strlen(seed), FPC_NKEY_SEEDLEN);
	assert_int_equal(strlen(pub), FPC_NKEY_PUBLEN);
	assert_memory_equal(seed, "SU", 2);
	assert_int_equal(pub[0], 'U');
	assert_int_equal(fpc_nkey_seed_public(seed, pub2, sizeof(pub2), &err), 0);
	assert_string_equal(pub, pub2);
	/* the public key's checksum is right */
	b32dec(pub, raw, sizeof(raw));
	assert_int_equal(raw[0], 20 << 3);
	assert_int_equal(fpc_crc16(raw, 33), raw[33] | raw[34] << 8);
	/* two pairs differ */
	assert_int_equal(fpc_nkey_new(seed2, sizeof(seed2), p3, sizeof(p3), &err), 0);
	assert_string_not_equal(seed, seed2);
	assert_string_not_equal(pub, p3);
	/* buffers too small: refused */
	assert_int_equal(fpc_nkey_new(seed, 10, pub, sizeof(pub), &err), ENOSPC);
	assert_int_equal(fpc_nkey_seed_public(seed2, pub2, 10, &err), ENOSPC);
}

/* nats.c signs with the seed; the key derived here verifies it. */
static void test_public_key_verifies_nats_signature(void **state)
{
	char seed[FPC_NKEY_SEEDLEN + 1], pub[FPC_NKEY_PUBLEN + 1];
	struct fp_err err = { "" };
	const char *nonce = "a server's nonce";
	unsigned char *sig = NULL;
	uint8_t raw[35];
	EVP_PKEY *k;
	EVP_MD_CTX *md;
	int slen = 0;

	(void)state;
	assert_int_equal(fpc_nkey_new(seed, sizeof(seed), pub, sizeof(pub), &err), 0);
	assert_int_equal(nats_Sign(seed, nonce, &sig, &slen), NATS_OK);
	assert_int_equal(slen, 64);
	b32dec(pub, raw, sizeof(raw));
	k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw + 1, 32);
	assert_non_null(k);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, k), 1);
	assert_int_equal(EVP_DigestVerify(md, sig, (size_t)slen, (const unsigned char *)nonce,
					  strlen(nonce)), 1);
	/* and not a different text */
	EVP_MD_CTX_free(md);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, k), 1);
	assert_int_not_equal(EVP_DigestVerify(md, sig, (size_t)slen, (const unsigned char *)"x", 1),
			     1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	free(sig);
}

static void test_bad_seeds(void **state)
{
	char seed[FPC_NKEY_SEEDLEN + 1], pub[FPC_NKEY_PUBLEN + 1], bad[FPC_NKEY_SEEDLEN + 1];
	struct fp_err err = { "" };

	(void)state;
	assert_int_equal(fpc_nkey_new(seed, sizeof(seed), pub, sizeof(pub), &err), 0);
	/* one character changed: the checksum says so */
	memcpy(bad, seed, sizeof(bad));
	bad[20] = bad[20] == 'A' ? 'B' : 'A';
	assert_int_equal(fpc_nkey_seed_public(bad, pub, sizeof(pub), &err), EINVAL);
	assert_non_null(strstr(err.msg, "checksum is wrong"));
	/* cut short, too long, not base32, not a user's */
	assert_int_equal(fpc_nkey_seed_public("SUABC", pub, sizeof(pub), &err), EINVAL);
	assert_non_null(strstr(err.msg, "not a user seed"));
	memcpy(bad, seed, sizeof(bad));
	bad[30] = '1';
	assert_int_equal(fpc_nkey_seed_public(bad, pub, sizeof(pub), &err), EINVAL);
	assert_non_null(strstr(err.msg, "not base32"));
	memcpy(bad, seed, sizeof(bad));
	bad[1] = 'A';	/* an account seed, SA... */
	assert_int_equal(fpc_nkey_seed_public(bad, pub, sizeof(pub), &err), EINVAL);
	assert_non_null(strstr(err.msg, "not a user seed"));
	/* a public key where the seed should be */
	assert_int_equal(fpc_nkey_seed_public(pub, pub, sizeof(pub), &err), EINVAL);
}

static void test_seed_file(void **state)
{
	char seed[FPC_NKEY_SEEDLEN + 1], pub[FPC_NKEY_PUBLEN + 1], got[FPC_NKEY_PUBLEN + 1];
	char path[] = "/tmp/test_cluster_nkey.XXXXXX";
	struct fp_err err = { "" };
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(fpc_nkey_new(seed, sizeof(seed), pub, sizeof(pub), &err), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	/* as nsc writes a creds file: comments, then the seed on a line */
	fprintf(f, "# a user's seed\n\n   %s\n# the end\n", seed);
	fclose(f);
	assert_int_equal(fpc_nkey_public(path, got, sizeof(got), &err), 0);
	assert_string_equal(got, pub);

	f = fopen(path, "w");
	fprintf(f, "no seed here\n");
	fclose(f);
	assert_int_equal(fpc_nkey_public(path, got, sizeof(got), &err), EINVAL);
	assert_non_null(strstr(err.msg, "no NKey user seed"));
	f = fopen(path, "w");
	fprintf(f, "SUAAAA\n");
	fclose(f);
	assert_int_equal(fpc_nkey_public(path, got, sizeof(got), &err), EINVAL);
	assert_non_null(strstr(err.msg, path));
	unlink(path);
	assert_int_equal(fpc_nkey_public(path, got, sizeof(got), &err), ENOENT);
	assert_non_null(strstr(err.msg, "No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc16_check_value),
		cmocka_unit_test(test_new_pair),
		cmocka_unit_test(test_public_key_verifies_nats_signature),
		cmocka_unit_test(test_bad_seeds),
		cmocka_unit_test(test_seed_file),
	};

	int ret;

	if (nats_Open(-1) != NATS_OK) {
		fprintf(stderr, "test_cluster_nkey: nats.c does not start\n");
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	nats_Close();
	return ret;
}
