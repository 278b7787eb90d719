// SPDX-License-Identifier: GPL-2.0
/* hook.c - the netfilter hooks of each namespace (IPv4, IPv6), feeding pin.c. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>

#include "flowplan.h"
#include "pin.h"

static unsigned int fp_hook(void *priv, struct sk_buff *skb,
			    const struct nf_hook_state *state)
{
	return fp_hook_skb(priv, skb);
}

static unsigned int fp_hook6(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	return fp_hook_skb6(priv, skb);
}

/*
 * POST_ROUTING, last: the packet as it leaves. Earlier (LOCAL_OUT), NAT
 * ran after the rewrite: conntrack had recorded the packet's own source
 * port, and SNAT in POST_ROUTING wrote it back, so the packet left on its
 * old port with an ICRC made for the new one, which the receiver drops.
 * Here NAT, conntrack helpers and mangling have all had their say; only
 * conntrack's confirmation, which changes no byte, may still follow.
 */
#define FP_HOOK_PRIORITY	NF_IP_PRI_LAST

int fp_hook_register(struct net *net)
{
	struct fp_net *fn = fp_net(net);
	int ret;

	fn->hook = (struct nf_hook_ops) {
		.hook = fp_hook,
		.priv = fn,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = FP_HOOK_PRIORITY,
	};
	ret = nf_register_net_hook(net, &fn->hook);
	if (ret || !IS_ENABLED(CONFIG_IPV6))
		return ret;
	/* IPv6 at the same place, for the same reasons. */
	fn->hook6 = (struct nf_hook_ops) {
		.hook = fp_hook6,
		.priv = fn,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_LAST,
	};
	ret = nf_register_net_hook(net, &fn->hook6);
	if (ret)
		nf_unregister_net_hook(net, &fn->hook);
	return ret;
}

void fp_hook_unregister(struct net *net)
{
	struct fp_net *fn = fp_net(net);

	if (IS_ENABLED(CONFIG_IPV6))
		nf_unregister_net_hook(net, &fn->hook6);
	nf_unregister_net_hook(net, &fn->hook);
}
