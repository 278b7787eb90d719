// SPDX-License-Identifier: GPL-2.0
/*
 * pin.c - the datapath: RoCEv2 packets this host's RDMA stack sends (IPv4
 * or IPv6 UDP to port 4791 with a valid BTH, from a kernel socket) are
 * counted per (destination, source port) and, for plan entries that
 * enforce, moved to their planned source port with an updated ICRC (and,
 * on IPv6, given the subflow's flow label).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/moduleparam.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/sock.h>
#include <asm/unaligned.h>

#include "flowplan.h"
#include "icrc.h"
#include "parse.h"
#include "pin.h"

/*
 * Debugging: recompute the whole ICRC of every packet rewritten and compare
 * it with the incremental update (a mismatch warns and the full one is
 * stored). Costs a CRC over the packet: off by default.
 */
bool fp_icrc_check;
module_param_named(icrc_check, fp_icrc_check, bool, 0644);
MODULE_PARM_DESC(icrc_check,
		 "recompute every rewritten packet's ICRC in full and warn when the incremental update differs (debugging; default off)");

static atomic64_t fp_icrc_mismatches = ATOMIC64_INIT(0);

u64 fp_pin_icrc_mismatches(void)
{
	return atomic64_read(&fp_icrc_mismatches);
}

/*
 * Only packets sent by a kernel socket: soft-RoCE (rxe) sends through its
 * own kernel UDP sockets, hardware RoCE never passes netfilter, and a
 * process's UDP or raw socket, privileged or not, is no RDMA transport.
 * Anything else is neither counted nor touched.
 */
static bool fp_from_kernel(const struct sk_buff *skb)
{
	const struct sock *sk = skb->sk;

	return sk && sk_fullsock(sk) && sk->sk_kern_sock;
}

/*
 * @ip: the packet after the update; @before_ok: its ICRC was right before;
 * @icrc: the full ICRC of its family (fp_icrc4() or fp_icrc6()).
 */
static void fp_icrc_verify(u8 *ip, unsigned int len, bool before_ok,
			   u32 (*icrc)(const u8 *ip, unsigned int len))
{
	u32 full;

	if (!before_ok)
		return;
	full = icrc(ip, len);
	if (likely(full == fp_icrc4_get(ip, len)))
		return;
	atomic64_inc(&fp_icrc_mismatches);
	WARN_ONCE(1, "incremental ICRC %08x differs from the full one %08x (%u bytes)\n",
		  fp_icrc4_get(ip, len), full, len);
	fp_icrc4_put(ip, len, full);
}

/*
 * The UDP checksum covers the port and the ICRC (a RoCEv2 datagram's ICRC
 * is 4-byte aligned in it), not the IPv6 flow label. A partial one
 * (offload) is finished later over the new bytes and needs nothing; a
 * complete one is updated, never left stale; none (0) stays none: rxe
 * sends none, on IPv6 too, which RoCEv2 allows.
 */
static void fp_udp_csum_update(struct sk_buff *skb, struct udphdr *uh,
			       __be16 old_port, __be32 old_icrc,
			       const __be32 *icrc)
{
	if (!uh->check || skb->ip_summed == CHECKSUM_PARTIAL)
		return;
	inet_proto_csum_replace2(&uh->check, skb, old_port, uh->source, false);
	inet_proto_csum_replace4(&uh->check, skb, old_icrc, get_unaligned(icrc),
				 false);
	if (!uh->check)
		uh->check = CSUM_MANGLED_0;
}

/*
 * fp_rewrite - move the packet at the network header (@len bytes, its UDP
 * header at @udp_off) to source port @sport with its ICRC and UDP checksum
 * updated; on IPv6 (@v6) also give it flow label @label, which neither
 * covers, so a packet whose port is already @sport gets only the label.
 * The ICRC is updated for the two bytes changed, never made anew: it is
 * right afterwards exactly when it was right before. A packet that NAT
 * changed after rxe made its ICRC stays as NAT broke it (see "The hook" in
 * the UAPI header: RoCEv2 does not pass NAT, and the module repairs no
 * ICRC it did not break).
 * Always inlined with @v6 constant: each family's hook keeps a straight
 * path with direct calls, the same code as when each had its own copy.
 */
static __always_inline bool fp_rewrite(struct sk_buff *skb, unsigned int len,
				       unsigned int udp_off, bool v6,
				       u16 sport, u32 label)
{
	u32 (*full)(const u8 *ip, unsigned int len) = v6 ? fp_icrc6 : fp_icrc4;
	unsigned int off = skb_network_offset(skb);
	bool check = READ_ONCE(fp_icrc_check), before_ok = false;
	__be32 *icrc, old_icrc;
	struct udphdr *uh;
	__be16 old_port;
	u8 *ip;

	/*
	 * rxe's packets are linear and not cloned here: nothing to do. A
	 * paged skb is pulled whole, since the ICRC is at its end.
	 */
	if (unlikely(skb_cloned(skb) || off + len > skb_headlen(skb)) &&
	    skb_ensure_writable(skb, off + len))
		return false;
	ip = skb_network_header(skb);
	uh = (struct udphdr *)(ip + udp_off);
	icrc = (__be32 *)(ip + len - FP_ICRC_LEN);
	if (unlikely(check))
		before_ok = full(ip, len) == fp_icrc4_get(ip, len);
	old_port = uh->source;
	old_icrc = get_unaligned(icrc);
	if (old_port != htons(sport)) {
		if (v6)
			fp_roce6_set_sport(ip, len, sport);
		else
			fp_roce4_set_sport(ip, len, sport);
	}
	if (v6)
		fp_roce6_set_flow_label(ip, label);
	fp_udp_csum_update(skb, uh, old_port, old_icrc, icrc);
	if (unlikely(check))
		fp_icrc_verify(ip, len, before_ok, full);
	return true;
}

unsigned int fp_hook_skb(struct fp_net *fn, struct sk_buff *skb)
{
	unsigned int off = skb_network_offset(skb), len, hlen;
	u8 buf[FP_PARSE_MAX];
	struct in6_addr saddr, daddr;
	const struct fp_entry *e;
	struct fp_roce4 p;
	bool rewritten = false;
	const u8 *h;
	u16 sport;

	if (unlikely(skb->len <= off) || !fp_from_kernel(skb))
		return NF_ACCEPT;
	len = skb->len - off;
	hlen = min_t(unsigned int, len, FP_PARSE_MAX);
	h = skb_header_pointer(skb, off, hlen, buf);
	if (unlikely(!h) || fp_parse_roce4(h, hlen, len, &p))
		return NF_ACCEPT;

	saddr = FP_ADDR4(p.saddr);
	daddr = FP_ADDR4(p.daddr);
	e = fp_plan_lookup(rcu_dereference(fn->plan), &saddr, &daddr, p.dqpn);
	if (e && (e->flags & FLOWPLAN_ENTRY_F_ENFORCE) && p.rewritable &&
	    !skb_is_gso(skb)) {
		sport = fp_entry_pick_sport(e, p.dqpn, p.sport);
		if (sport != p.sport &&
		    fp_rewrite(skb, p.tot_len, p.udp_off, false, sport, 0)) {
			p.sport = sport;
			rewritten = true;
		}
	}
	fp_counters_add(rcu_dereference(fn->counters), &daddr, p.sport,
			p.tot_len, rewritten);
	return NF_ACCEPT;
}

unsigned int fp_hook_skb6(struct fp_net *fn, struct sk_buff *skb)
{
	unsigned int off = skb_network_offset(skb), len, hlen;
	u8 buf[FP_PARSE6_LEN];
	const struct fp_entry *e;
	const struct fp_subflow *sub;
	struct fp_roce6 p;
	bool rewritten = false;
	const u8 *h;

	if (unlikely(skb->len <= off) || !fp_from_kernel(skb))
		return NF_ACCEPT;
	len = skb->len - off;
	hlen = min_t(unsigned int, len, FP_PARSE6_LEN);
	h = skb_header_pointer(skb, off, hlen, buf);
	if (unlikely(!h) || fp_parse_roce6(h, hlen, len, &p))
		return NF_ACCEPT;

	e = fp_plan_lookup(rcu_dereference(fn->plan), &p.saddr, &p.daddr,
			   p.dqpn);
	if (e && (e->flags & FLOWPLAN_ENTRY_F_ENFORCE) && e->nsub &&
	    !skb_is_gso(skb)) {
		sub = &e->sub[fp_entry_pick(e, p.dqpn, p.sport)];
		if ((sub->sport != p.sport || sub->flow_label != p.flow_label) &&
		    fp_rewrite(skb, p.tot_len, sizeof(struct ipv6hdr), true,
			       sub->sport, sub->flow_label) &&
		    sub->sport != p.sport) {
			p.sport = sub->sport;
			rewritten = true;
		}
	}
	fp_counters_add(rcu_dereference(fn->counters), &p.daddr, p.sport,
			p.tot_len, rewritten);
	return NF_ACCEPT;
}
