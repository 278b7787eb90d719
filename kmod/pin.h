/* SPDX-License-Identifier: GPL-2.0 */
/* pin.h - the per-packet work of the netfilter hook, callable by tests. */
#ifndef _FLOWPLAN_PIN_H
#define _FLOWPLAN_PIN_H

#include <linux/skbuff.h>

struct fp_net;

/*
 * fp_hook_skb - count @skb (network header set, IPv4) and pin it to its
 * planned source port. Call under rcu_read_lock(); returns NF_ACCEPT.
 */
unsigned int fp_hook_skb(struct fp_net *fn, struct sk_buff *skb);
/* The same for an IPv6 @skb. */
unsigned int fp_hook_skb6(struct fp_net *fn, struct sk_buff *skb);
/* Module parameter icrc_check: verify every update against the full ICRC. */
extern bool fp_icrc_check;
/* Rewrites whose incremental ICRC differed from the full one (icrc_check). */
u64 fp_pin_icrc_mismatches(void);

#endif
