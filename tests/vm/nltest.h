/* SPDX-License-Identifier: MIT */
/*
 * nltest.h - raw generic netlink for the qemu test programs (fp-nlpolicy,
 * fp-nlseq): messages built byte by byte, so that they can be as wrong as
 * a test wants, sent, and their acks and dumps read back. One socket per
 * struct nlt; errors are -errno.
 */
#ifndef FP_VM_NLTEST_H
#define FP_VM_NLTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

#define NLT_BUF		(256 * 1024)

struct nlt {
	int fd;
	uint32_t portid;
	uint16_t family;	/* flowplan's genl id */
	uint32_t seq;
	unsigned char *buf;	/* the message being built */
	size_t len;
	unsigned char *rbuf;
	char extack[256];	/* the last error's message, "" if none */
};

/* Open, bind, ask for extended and capped acks, find "flowplan". */
int nlt_open(struct nlt *t);
void nlt_close(struct nlt *t);
/* Start a message to @type (the family, or GENL_ID_CTRL) for @cmd. */
void nlt_start(struct nlt *t, uint16_t type, uint8_t cmd, uint16_t flags);
void nlt_put(struct nlt *t, uint16_t type, const void *data, size_t n);
void nlt_put_u16(struct nlt *t, uint16_t type, uint16_t v);
void nlt_put_u32(struct nlt *t, uint16_t type, uint32_t v);
void nlt_put_u64(struct nlt *t, uint16_t type, uint64_t v);
/* An attribute header now, its length fixed by nlt_nest_end(). */
size_t nlt_nest_start(struct nlt *t, uint16_t type);
void nlt_nest_end(struct nlt *t, size_t off);
/* Room for @n raw bytes at the end (zeroed), or NULL when full. */
void *nlt_room(struct nlt *t, size_t n);
/* Send what was built; its nlmsg_len is set unless @raw. Returns its seq. */
int nlt_send(struct nlt *t, bool raw);
/*
 * The ack of request @seq: 0 or the -errno the kernel answered; its extack
 * message in t->extack. Data replies before it are skipped. -ETIMEDOUT
 * when nothing came.
 */
int nlt_ack(struct nlt *t, uint32_t seq);
/* nlt_send() + nlt_ack() */
int nlt_do(struct nlt *t);
/*
 * Send the dump request built and call @cb on each reply's attributes
 * until NLMSG_DONE. 0, the dump's -errno, or @cb's first non-zero return.
 */
int nlt_dump(struct nlt *t,
	     int (*cb)(void *arg, const struct nlattr *a, int len), void *arg);

/* Walking attributes: for (a = first; nlt_ok(a, rem); a = nlt_next(a, &rem)) */
bool nlt_ok(const struct nlattr *a, int rem);
const struct nlattr *nlt_next(const struct nlattr *a, int *rem);
const void *nlt_data(const struct nlattr *a);
int nlt_len(const struct nlattr *a);
uint16_t nlt_type(const struct nlattr *a);
uint32_t nlt_u32(const struct nlattr *a);
uint64_t nlt_u64(const struct nlattr *a);

#endif
