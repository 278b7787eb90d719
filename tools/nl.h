/* SPDX-License-Identifier: MIT */
/*
 * nl.h - flowplanctl's side of the flowplan generic netlink family
 * (include/uapi/linux/flowplan.h), over libnl-genl-3. One socket per
 * command, one callback set per request; libnl's NLE_* codes and the
 * kernel's errors are turned into messages here and nowhere else.
 */
#ifndef FLOWPLANCTL_NL_H
#define FLOWPLANCTL_NL_H

#include <stdbool.h>
#include <stdint.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <linux/flowplan.h>

struct nl_sock;

struct fp_nl {
	struct nl_sock *sk;
	int family;
};

/*
 * fp_nl_open - connect and resolve the family. Returns 0, or 1 after
 * saying why (e.g. the module is not loaded).
 */
int fp_nl_open(struct fp_nl *nl);
void fp_nl_close(struct fp_nl *nl);

/* A request of @cmd; @dump asks for NLM_F_DUMP. NULL: out of memory. */
struct nl_msg *fp_nl_msg(struct fp_nl *nl, uint8_t cmd, bool dump);

/*
 * Called for every reply message with its top-level attributes (parsed
 * against the family's reply layout) and NLM_F_DUMP_INTR in @intr.
 * Returns 0 or an errno value, which ends the request.
 */
typedef int (*fp_nl_reply_fn)(struct nlattr **tb, bool intr, void *arg);

/*
 * fp_nl_request - send @msg (freed), hand every reply to @fn, wait for the
 * ACK or the end of the dump. Returns 0, or 1 after printing
 * "flowplanctl: WHAT: error" and "kernel reports: ..." when the kernel
 * said why.
 */
int fp_nl_request(struct fp_nl *nl, struct nl_msg *msg, const char *what,
		  fp_nl_reply_fn fn, void *arg);

/*
 * fp_nl_once - open a socket, send one attribute-less @cmd (a dump when @dump),
 * hand the replies to @fn as fp_nl_request() does, close. Returns 0 or 1.
 */
int fp_nl_once(uint8_t cmd, bool dump, const char *what, fp_nl_reply_fn fn, void *arg);

/* Join the "events" group: later fp_nl_listen() sees every event. */
int fp_nl_subscribe(struct fp_nl *nl);
/* Deliver events to @fn (with the command in *@cmd) until an error. */
int fp_nl_listen(struct fp_nl *nl, int (*fn)(uint8_t cmd, struct nlattr **tb,
					      void *arg), void *arg);

/* Nested attributes, checked against the reply layout. */
int fp_nl_parse_nested(struct nlattr **tb, int max, struct nlattr *nest);
/* Attribute getters that tolerate absence (and short payloads). */
uint8_t fp_nla_u8(const struct nlattr *a);
uint16_t fp_nla_u16(const struct nlattr *a);
uint32_t fp_nla_u32(const struct nlattr *a);
uint64_t fp_nla_u64(const struct nlattr *a);
/* An IPv4 address as text into @buf (INET_ADDRSTRLEN), "-" when absent. */
const char *fp_nla_in_addr(const struct nlattr *a, char *buf);
/* A NUL-terminated string attribute, NULL when absent or unterminated. */
const char *fp_nla_str(const struct nlattr *a);

#endif
