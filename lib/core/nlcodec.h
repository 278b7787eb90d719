/* SPDX-License-Identifier: MIT */
/*
 * core/nlcodec.h - the messages of the flowplan generic netlink family
 * (include/uapi/linux/flowplan.h), encoded and decoded without a socket:
 * one encoder and one decoder per message. The client (nlclient.c) sends
 * and receives them; unit tests feed them messages built as the module
 * builds them. Not for use outside lib/core and its tests: programs call
 * core/nlclient.h.
 *
 * Decoders are strict (see nlclient.h): a required attribute missing, a
 * wrong length or a value out of the range the UAPI states is EPROTO, with
 * @err naming the message part ("plan dump: entry 3: subflow 1: no source
 * port"). Unknown attributes are ignored, so that a newer module's
 * additions do not break an older client.
 */
#ifndef FP_CORE_NLCODEC_H
#define FP_CORE_NLCODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/nlclient.h"

struct nl_msg;
struct nlmsghdr;
struct nlattr;

/*
 * The largest SET_PLAN message the encoder builds: its entries attribute is
 * at most the 65535 bytes nla_len can say, the rest is headers.
 */
#define FP_NLM_SET_MSG_MAX	(65536 + 4096)

/* A request with no attributes: GET_* (dump) or DEL_PLAN. NULL: ENOMEM. */
struct nl_msg *fp_nlm_request(int family, uint8_t cmd, bool dump);

/* ------------------------------------------------------------- plans */

/* The state of one GET_PLAN dump, message by message. */
struct fp_nlm_plan_dump {
	struct fp_hostplan *hp;		/* entries are appended here */
	unsigned int msgs;		/* messages decoded */
	uint32_t nentries;		/* FLOWPLAN_A_NENTRIES they carry */
	bool intr;			/* NLM_F_DUMP_INTR seen: dump again */
};

void fp_nlm_plan_dump_init(struct fp_nlm_plan_dump *d, struct fp_hostplan *hp);
/* One reply message of the dump. */
int fp_nlm_plan_decode(struct fp_nlm_plan_dump *d, struct nlmsghdr *nlh,
		       struct fp_err *err);
/*
 * After the last message: the entries add up to FLOWPLAN_A_NENTRIES and
 * no two are alike (the plan is finished, i.e. sorted).
 */
int fp_nlm_plan_dump_end(struct fp_nlm_plan_dump *d, struct fp_err *err);

/*
 * The entries of a FLOWPLAN_A_ENTRIES nest, appended to @hp (not
 * finished). @first: the index of the nest's first entry in the plan, for
 * messages. Shared by the GET_PLAN decoder and the tests' SET_PLAN decoder.
 */
int fp_nlm_entries_decode(struct nlattr *ents, struct fp_hostplan *hp,
			  size_t first, struct fp_err *err);

/*
 * fp_nlm_set_plan_encode - the SET_PLAN messages of one plan, handed one
 * by one to @emit (which owns and frees each, and sends it; a non-zero
 * return stops the encoding and is returned). Each message takes entries
 * until its FLOWPLAN_A_ENTRIES attribute would outgrow 65535 bytes; all
 * but the last carry FLOWPLAN_F_MORE. Where the UAPI has FLOWPLAN_A_PART,
 * a message after the first carries its index, and the last of several
 * carries FLOWPLAN_A_NENTRIES, the plan's total. Addresses go as 4 bytes
 * (IPv4) or 16 (IPv6); an entry whose two addresses are of different
 * families is refused (EINVAL) before anything is sent.
 */
typedef int (*fp_nlm_emit_fn)(struct nl_msg *msg, void *arg);

int fp_nlm_set_plan_encode(int family, const struct fp_hostplan *hp,
			   uint64_t generation, bool enforce_all,
			   fp_nlm_emit_fn emit, void *arg, struct fp_err *err);

/* ------------------------------------------------- devices, counters */

/*
 * A FLOWPLAN_A_DEVICE nest into @dev (zeroed first; free with
 * fp_nl_devices_free(dev, 1) whatever the result).
 */
int fp_nlm_device_decode(struct nlattr *nest, struct fp_nl_device *dev,
			 struct fp_err *err);
/* One GET_DEVICES reply: the device appended to *@devs (*@n, *@cap). */
int fp_nlm_devices_decode(struct nlmsghdr *nlh, struct fp_nl_device **devs,
			  size_t *n, size_t *cap, bool *intr,
			  struct fp_err *err);
/* One GET_COUNTERS reply: counters appended to @c (*@cap allocated). */
int fp_nlm_counters_decode(struct nlmsghdr *nlh, struct fp_nl_counters *c,
			   size_t *cap, struct fp_err *err);

/* ------------------------------------------------------------ events */

/*
 * One multicast event. ENOMSG: a command this client does not know (a
 * newer module's), to be skipped. On success free @ev with
 * fp_nl_event_free().
 */
int fp_nlm_event_decode(struct nlmsghdr *nlh, struct fp_nl_event *ev,
			struct fp_err *err);

#endif
