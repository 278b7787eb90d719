/* SPDX-License-Identifier: GPL-2.0 */
/* flowplan.h - module-wide state: per-namespace plan and counters. */
#ifndef _FLOWPLAN_FLOWPLAN_H
#define _FLOWPLAN_FLOWPLAN_H

#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/rcupdate.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "counters.h"
#include "plan.h"
#include "policy.h"
#include "staging.h"

struct fp_net {
	struct net *net;
	struct fp_plan __rcu *plan;
	/* Serialises writers; bumps seq, which dumps check for changes. */
	struct mutex lock;
	unsigned int seq;
	struct fp_stages stages;	/* SET_PLAN parts, under lock */
	struct fp_counters *counters;
	struct nf_hook_ops hook;
};

extern unsigned int fp_net_id;
extern unsigned int fp_max_entries;
extern unsigned int fp_max_counters;

static inline struct fp_net *fp_net(const struct net *net)
{
	return net_generic(net, fp_net_id);
}

/* netlink.c */
int fp_genl_init(void);
void fp_genl_exit(void);
void fp_nl_notify_plan(struct fp_net *fn, u64 generation, unsigned int n);
void *fp_nl_dump_put(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd);
/* An event message of @size bytes of attributes (genlmsg_new()). */
struct sk_buff *fp_nl_event_new(u8 cmd, size_t size, void **hdr);
void fp_nl_event_send_all(struct sk_buff *skb, void *hdr);

/* hook.c */
int fp_hook_register(struct net *net);
void fp_hook_unregister(struct net *net);

/* device.c */
int fp_device_init(void);
void fp_device_exit(void);
int fp_device_dump_start(struct netlink_callback *cb);
int fp_device_dump(struct sk_buff *skb, struct netlink_callback *cb);

#endif
