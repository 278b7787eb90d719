/* SPDX-License-Identifier: GPL-2.0 */
/* flowplan.h - module-wide state: per-namespace plan, staging, counters. */
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
	/* Replaced whole (DEL_COUNTERS) under lock; read under RCU. */
	struct fp_counters __rcu *counters;
	unsigned int counters_seq;	/* bumped with each new table */
	struct nf_hook_ops hook;
	struct nf_hook_ops hook6;	/* when the kernel has IPv6 */
};

extern unsigned int fp_net_id;
extern unsigned int fp_max_entries;
extern unsigned int fp_max_counters;

static inline struct fp_net *fp_net(const struct net *net)
{
	return net_generic(net, fp_net_id);
}

/* net.c */
int fp_net_register(void);
void fp_net_unregister(void);
/* An empty counter table of the size max_counters asks for. */
struct fp_counters *fp_net_counters_alloc(void);

/* netlink.c */
int fp_genl_init(void);
void fp_genl_exit(void);
void fp_nl_notify_plan(struct fp_net *fn, u64 generation, unsigned int n);
/*
 * The header of a dump's next message, flagged NLM_F_DUMP_INTR when the
 * dumped object changed (cb->seq) since the dump began; NULL when full.
 */
void *fp_nl_dump_put(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd);
/* An event message of @size bytes of attributes (genlmsg_new()). */
struct sk_buff *fp_nl_event_new(u8 cmd, size_t size, gfp_t gfp, void **hdr);
/* Someone in @net listens to the events group. */
bool fp_nl_event_listened(struct net *net);
/* End the event and multicast it in @net (consumes @skb). */
void fp_nl_event_send(struct net *net, struct sk_buff *skb, void *hdr,
		      gfp_t gfp);

/* hook.c */
int fp_hook_register(struct net *net);
void fp_hook_unregister(struct net *net);

/* device.c */
int fp_device_init(void);
void fp_device_exit(void);
int fp_device_dump_start(struct netlink_callback *cb);
int fp_device_dump(struct sk_buff *skb, struct netlink_callback *cb);

#endif
