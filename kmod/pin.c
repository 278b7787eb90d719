// SPDX-License-Identifier: GPL-2.0
/*
 * pin.c - the datapath: RoCEv2 packets this host sends (IPv4 UDP to port
 * 4791) are counted per (destination, source port) and, for plan entries
 * that enforce, moved to their planned source port with a new ICRC.
 */
#include <linux/ip.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/udp.h>

#include "flowplan.h"
#include "icrc.h"
#include "parse.h"
#include "pin.h"

static bool fp_hook_rewrite(struct sk_buff *skb, const struct fp_roce4 *p,
			    u16 sport)
{
	unsigned int off = skb_network_offset(skb);
	struct udphdr *uh;
	u8 *ip;

	if (unlikely(skb_ensure_writable(skb, off + p->tot_len)))
		return false;
	ip = skb_network_header(skb);
	fp_roce4_set_sport(ip, p->tot_len, sport);
	/*
	 * A partial checksum is finished later over the new bytes; a complete
	 * one would be stale, and IPv4 allows none.
	 */
	uh = (struct udphdr *)(ip + p->udp_off);
	if (uh->check && skb->ip_summed != CHECKSUM_PARTIAL)
		uh->check = 0;
	return true;
}

unsigned int fp_hook_skb(struct fp_net *fn, struct sk_buff *skb)
{
	unsigned int off = skb_network_offset(skb), len, hlen;
	u8 buf[FP_PARSE_MAX];
	const struct fp_entry *e;
	struct fp_roce4 p;
	bool rewritten = false;
	const u8 *h;
	u16 sport;

	if (unlikely(skb->len <= off))
		return NF_ACCEPT;
	len = skb->len - off;
	hlen = min_t(unsigned int, len, FP_PARSE_MAX);
	h = skb_header_pointer(skb, off, hlen, buf);
	if (unlikely(!h) || fp_parse_roce4(h, hlen, len, &p))
		return NF_ACCEPT;

	e = fp_plan_lookup(rcu_dereference(fn->plan), p.saddr, p.daddr, p.dqpn);
	if (e && (e->flags & FLOWPLAN_ENTRY_F_ENFORCE) && p.rewritable &&
	    !skb_is_gso(skb)) {
		sport = fp_entry_pick_sport(e, p.dqpn, p.sport);
		if (sport != p.sport && fp_hook_rewrite(skb, &p, sport)) {
			p.sport = sport;
			rewritten = true;
		}
	}
	fp_counters_add(fn->counters, p.daddr, p.sport, p.tot_len, rewritten);
	return NF_ACCEPT;
}

