// SPDX-License-Identifier: GPL-2.0
/* hook.c - the netfilter hook of each namespace, feeding pin.c. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netfilter_ipv4.h>

#include "flowplan.h"
#include "pin.h"

static unsigned int fp_hook(void *priv, struct sk_buff *skb,
			    const struct nf_hook_state *state)
{
	return fp_hook_skb(priv, skb);
}

int fp_hook_register(struct net *net)
{
	struct fp_net *fn = fp_net(net);

	fn->hook = (struct nf_hook_ops) {
		.hook = fp_hook,
		.priv = fn,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		/* after DNAT and filtering: count what leaves */
		.priority = NF_IP_PRI_FILTER + 1,
	};
	return nf_register_net_hook(net, &fn->hook);
}

void fp_hook_unregister(struct net *net)
{
	nf_unregister_net_hook(net, &fp_net(net)->hook);
}
