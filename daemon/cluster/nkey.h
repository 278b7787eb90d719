/* SPDX-License-Identifier: MIT */
/*
 * nkey.h - NATS NKeys of users: an Ed25519 key pair written
 * as base32 text with a type prefix and a CRC-16 (the seed "SU...", the
 * public key "U..."). nats.c signs the server's nonce from a seed file but
 * wants the public key given too; the daemon derives it from the seed so
 * that a host's credentials are one file. fpc(1) makes new pairs for the
 * server's configuration (daemon/cluster/nats/).
 */
#ifndef FPC_NKEY_H
#define FPC_NKEY_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define FPC_NKEY_PUBLEN		56	/* characters of a public key */
#define FPC_NKEY_SEEDLEN	58

/* CRC-16/XMODEM, as NKeys append it (little-endian). */
uint16_t fpc_crc16(const uint8_t *p, size_t n);

/*
 * fpc_nkey_public - the user public key of the seed in file @path (its
 * first line starting with "SU", as nats.c reads it), into @pub (at least
 * FPC_NKEY_PUBLEN + 1 bytes). 0, ENOENT/EACCES, or EINVAL for a seed that
 * does not decode (wrong type, checksum, length), with @err.
 */
int fpc_nkey_public(const char *path, char *pub, size_t n, struct fp_err *err);
/* The same from the seed's text. */
int fpc_nkey_seed_public(const char *seed, char *pub, size_t n, struct fp_err *err);
/* A new user key pair: @seed (FPC_NKEY_SEEDLEN + 1) and @pub. */
int fpc_nkey_new(char *seed, size_t ns, char *pub, size_t np, struct fp_err *err);

#endif
