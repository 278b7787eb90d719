// SPDX-License-Identifier: GPL-2.0
/*
 * device.c - the host's RDMA devices, their ports, GIDs and netdevs: an RDMA
 * client for devices coming and going, a netdevice notifier for links going
 * up and down, an IB event handler per device for the port states and GID
 * tables the RDMA core changed, and events for all three.
 *
 * A namespace sees the devices the RDMA subsystem lets it use
 * (rdma_dev_access_netns(): all of them in its default shared mode, its own
 * in exclusive mode), and a port's netdev by name and index only when the
 * netdev is in that namespace, as the RDMA netlink interface shows them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netdevice.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_verbs.h>

#include "flowplan.h"

/* GIDs listed per port: rxe has 1024 slots, a handful in use. */
#define FP_MAX_GID_SCAN	256

struct fp_dev {
	struct list_head list;
	struct ib_device *ibdev;
	u8 *link;		/* last enum flowplan_link sent, per port */
	struct ib_event_handler eh;	/* registered while on fp_devs */
};

static LIST_HEAD(fp_devs);
static DEFINE_MUTEX(fp_devs_lock);
/* Bumped under fp_devs_lock when the list changes; never 0 (see dumps). */
static unsigned int fp_devs_seq = 1;
static struct ib_client fp_ib_client;

/* Call under rcu_read_lock(). */
static struct net_device *fp_port_netdev(struct ib_device *ibdev, u32 port)
{
	return rcu_dereference(ibdev->port_data[port].netdev);
}

static u8 fp_netdev_link(const struct net_device *ndev)
{
	if (!ndev)
		return FLOWPLAN_LINK_UNKNOWN;
	return netif_running(ndev) && netif_carrier_ok(ndev) ?
	       FLOWPLAN_LINK_UP : FLOWPLAN_LINK_DOWN;
}

static int fp_put_gids(struct sk_buff *skb, struct ib_device *ibdev, u32 port)
{
	int len = min(ibdev->port_data[port].immutable.gid_tbl_len,
		      FP_MAX_GID_SCAN);
	const struct ib_gid_attr *attr;
	struct nlattr *gids, *g;
	int i, n = 0, ret = 0;

	gids = nla_nest_start(skb, FLOWPLAN_PORT_A_GIDS);
	if (!gids)
		return -EMSGSIZE;
	for (i = 0; i < len && !ret; i++) {
		attr = rdma_get_gid_attr(ibdev, port, i);
		if (IS_ERR(attr))
			continue;
		g = nla_nest_start(skb, n++);
		if (!g ||
		    nla_put_u32(skb, FLOWPLAN_GID_A_INDEX, i) ||
		    nla_put(skb, FLOWPLAN_GID_A_GID, sizeof(attr->gid.raw),
			    attr->gid.raw) ||
		    nla_put_u8(skb, FLOWPLAN_GID_A_TYPE, attr->gid_type))
			ret = -EMSGSIZE;
		else
			nla_nest_end(skb, g);
		rdma_put_gid_attr(attr);
	}
	if (ret) {
		nla_nest_cancel(skb, gids);
		return ret;
	}
	nla_nest_end(skb, gids);
	return 0;
}

/*
 * One port, with its IB port state when @state: a link event leaves it out,
 * as the RDMA core updates its port cache after the netdev notifiers have
 * run (the port event that follows carries it). Its GIDs are there, as the
 * GID table holds them when the message is made (a RoCE port's IPv4 GIDs
 * stay while its link is down, being made of its netdev's addresses).
 */
static int fp_put_port(struct sk_buff *skb, const struct net *net, int idx,
		       struct ib_device *ibdev, u32 port, bool state)
{
	enum ib_port_state pstate = IB_PORT_NOP;
	char name[IFNAMSIZ] = "";
	struct net_device *ndev;
	struct nlattr *nest;
	int ifindex = 0;
	u8 link;

	ib_get_cached_port_state(ibdev, port, &pstate);
	rcu_read_lock();
	ndev = fp_port_netdev(ibdev, port);
	link = fp_netdev_link(ndev);
	if (ndev && net_eq(dev_net(ndev), net)) {
		ifindex = ndev->ifindex;
		strscpy(name, ndev->name, sizeof(name));
	}
	rcu_read_unlock();

	nest = nla_nest_start(skb, idx);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, FLOWPLAN_PORT_A_NUM, port) ||
	    (state && nla_put_u8(skb, FLOWPLAN_PORT_A_STATE, pstate)) ||
	    nla_put_u8(skb, FLOWPLAN_PORT_A_LINK, link) ||
	    nla_put_u32(skb, FLOWPLAN_PORT_A_IFINDEX, ifindex) ||
	    (name[0] && nla_put_string(skb, FLOWPLAN_PORT_A_NETDEV, name)) ||
	    fp_put_gids(skb, ibdev, port)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Valid GIDs of @port among the first FP_MAX_GID_SCAN. */
static unsigned int fp_count_gids(struct ib_device *ibdev, u32 port)
{
	int len = min(ibdev->port_data[port].immutable.gid_tbl_len,
		      FP_MAX_GID_SCAN);
	const struct ib_gid_attr *attr;
	unsigned int n = 0;
	int i;

	for (i = 0; i < len; i++) {
		attr = rdma_get_gid_attr(ibdev, port, i);
		if (IS_ERR(attr))
			continue;
		rdma_put_gid_attr(attr);
		n++;
	}
	return n;
}

/*
 * Room for fp_put_device()'s nest, with slack for GIDs added meanwhile: a
 * port's GIDs alone can be larger than a page.
 */
static size_t fp_device_size(struct ib_device *ibdev, bool ports,
			     u32 only_port)
{
	const size_t gid = nla_total_size(0) + nla_total_size(sizeof(u32)) +
			   nla_total_size(sizeof(union ib_gid)) +
			   nla_total_size(sizeof(u8));
	size_t size;
	u32 port;

	size = nla_total_size(0) + nla_total_size(sizeof(u32)) +
	       nla_total_size(IB_DEVICE_NAME_MAX) + nla_total_size(0);
	if (!ports)
		return size;
	rdma_for_each_port(ibdev, port) {
		if (only_port && port != only_port)
			continue;
		size += nla_total_size(0) + 2 * nla_total_size(sizeof(u32)) +
			2 * nla_total_size(sizeof(u8)) +
			nla_total_size(IFNAMSIZ) + nla_total_size(0);
		size += (fp_count_gids(ibdev, port) + 8) * gid;
	}
	return size;
}

/*
 * The FLOWPLAN_A_DEVICE nest as namespace @net sees it: all ports, or only
 * @only_port when non-zero; their IB port states when @state.
 */
static int fp_put_device(struct sk_buff *skb, const struct net *net,
			 struct ib_device *ibdev, bool ports, u32 only_port,
			 bool state)
{
	struct nlattr *dev, *pnest;
	int idx = 0;
	u32 port;

	dev = nla_nest_start(skb, FLOWPLAN_A_DEVICE);
	if (!dev)
		return -EMSGSIZE;
	if (nla_put_u32(skb, FLOWPLAN_DEVICE_A_INDEX, ibdev->index) ||
	    nla_put_string(skb, FLOWPLAN_DEVICE_A_NAME, dev_name(&ibdev->dev)))
		goto cancel;
	if (ports) {
		pnest = nla_nest_start(skb, FLOWPLAN_DEVICE_A_PORTS);
		if (!pnest)
			goto cancel;
		rdma_for_each_port(ibdev, port) {
			if (only_port && port != only_port)
				continue;
			if (fp_put_port(skb, net, idx++, ibdev, port, state))
				goto cancel;
		}
		nla_nest_end(skb, pnest);
	}
	/* nla_len is 16 bits: a longer nest would be sent with a wrong one. */
	if (skb_tail_pointer(skb) - (unsigned char *)dev > U16_MAX)
		goto cancel;
	nla_nest_end(skb, dev);
	return 0;
cancel:
	nla_nest_cancel(skb, dev);
	return -EMSGSIZE;
}

/*
 * An event to every namespace that may use @ibdev and listens, each its own
 * copy (netdevs are named in their own namespace only). Under RCU: the
 * messages are built atomically. Every event but LINK_CHANGED has the ports'
 * IB states (see fp_put_port()).
 */
static void fp_device_event(u8 cmd, struct ib_device *ibdev, bool ports,
			    u32 only_port)
{
	bool state = cmd != FLOWPLAN_CMD_LINK_CHANGED;
	size_t size = fp_device_size(ibdev, ports, only_port);
	struct sk_buff *skb;
	struct net *net;
	void *hdr;

	rcu_read_lock();
	for_each_net_rcu(net) {
		if (!rdma_dev_access_netns(ibdev, net) ||
		    !fp_nl_event_listened(net))
			continue;
		skb = fp_nl_event_new(cmd, size, GFP_ATOMIC, &hdr);
		if (!skb)
			continue;
		if (fp_put_device(skb, net, ibdev, ports, only_port, state)) {
			nlmsg_free(skb);
			continue;
		}
		fp_nl_event_send(net, skb, hdr, GFP_ATOMIC);
	}
	rcu_read_unlock();
}

/* Every dump message has room for the largest device. */
int fp_device_dump_start(struct netlink_callback *cb)
{
	struct fp_dev *fd;
	size_t size = 0;

	mutex_lock(&fp_devs_lock);
	list_for_each_entry(fd, &fp_devs, list)
		if (rdma_dev_access_netns(fd->ibdev, sock_net(cb->skb->sk)))
			size = max(size, fp_device_size(fd->ibdev, true, 0));
	mutex_unlock(&fp_devs_lock);
	cb->min_dump_alloc = min_t(size_t, genlmsg_total_size(size), U16_MAX);
	return 0;
}

int fp_device_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct net *net = sock_net(skb->sk);
	long skip = cb->args[0], i = 0;
	struct fp_dev *fd;
	int ret = 0;
	void *hdr;

	mutex_lock(&fp_devs_lock);
	/* Positions shift when a device goes: such a dump is flagged. */
	cb->seq = fp_devs_seq;
	list_for_each_entry(fd, &fp_devs, list) {
		if (i++ < skip)
			continue;
		if (!rdma_dev_access_netns(fd->ibdev, net))
			continue;
		hdr = fp_nl_dump_put(skb, cb, FLOWPLAN_CMD_GET_DEVICES);
		if (!hdr) {
			ret = -EMSGSIZE;
			break;
		}
		ret = fp_put_device(skb, net, fd->ibdev, true, 0, true);
		if (ret) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = i;
	}
	mutex_unlock(&fp_devs_lock);
	/* A device too large for an empty message is an error, else resume. */
	if (ret && cb->args[0] == skip)
		return ret;
	return skb->len;
}

/*
 * The RDMA core's port events, as its own clients take them: it calls the
 * handlers from its workqueue after it updated its port cache (PORT_ACTIVE,
 * PORT_ERR) or its GID table (GID_CHANGE), so the state and GIDs read now
 * are the new ones. Process context, under the device's event handler
 * rwsem (and, for GID_CHANGE, the GID table's mutex). It needs no lock of
 * the module's: fp_ib_remove() unregisters the handler, which waits for a
 * call running, before the device leaves fp_devs.
 */
static void fp_ib_event(struct ib_event_handler *eh, struct ib_event *ev)
{
	switch (ev->event) {
	case IB_EVENT_PORT_ACTIVE:
	case IB_EVENT_PORT_ERR:
	case IB_EVENT_GID_CHANGE:
		break;
	default:
		return;
	}
	if (!rdma_is_port_valid(eh->device, ev->element.port_num))
		return;
	fp_device_event(FLOWPLAN_CMD_PORT_CHANGED, eh->device, true,
			ev->element.port_num);
}

static int fp_ib_add(struct ib_device *ibdev)
{
	struct fp_dev *fd;
	u32 port;

	fd = kzalloc(sizeof(*fd), GFP_KERNEL);
	if (!fd)
		return -ENOMEM;
	fd->link = kcalloc(rdma_end_port(ibdev) + 1, sizeof(*fd->link),
			   GFP_KERNEL);
	if (!fd->link) {
		kfree(fd);
		return -ENOMEM;
	}
	fd->ibdev = ibdev;
	rcu_read_lock();
	rdma_for_each_port(ibdev, port)
		fd->link[port] = fp_netdev_link(fp_port_netdev(ibdev, port));
	rcu_read_unlock();
	mutex_lock(&fp_devs_lock);
	list_add_tail(&fd->list, &fp_devs);
	fp_devs_seq = fp_devs_seq + 1 ?: 1;
	ib_set_client_data(ibdev, &fp_ib_client, fd);
	mutex_unlock(&fp_devs_lock);
	fp_device_event(FLOWPLAN_CMD_DEVICE_ADDED, ibdev, true, 0);
	/* After DEVICE_ADDED: a listener hears of the device first. */
	INIT_IB_EVENT_HANDLER(&fd->eh, ibdev, fp_ib_event);
	ib_register_event_handler(&fd->eh);
	return 0;
}

static void fp_ib_remove(struct ib_device *ibdev, void *data)
{
	struct fp_dev *fd = data;

	/* Waits for a handler running; none runs after it. */
	ib_unregister_event_handler(&fd->eh);
	mutex_lock(&fp_devs_lock);
	list_del(&fd->list);
	fp_devs_seq = fp_devs_seq + 1 ?: 1;
	mutex_unlock(&fp_devs_lock);
	fp_device_event(FLOWPLAN_CMD_DEVICE_REMOVED, ibdev, false, 0);
	kfree(fd->link);
	kfree(fd);
}

static struct ib_client fp_ib_client = {
	.name = KBUILD_MODNAME,
	.add = fp_ib_add,
	.remove = fp_ib_remove,
};

static int fp_netdev_event(struct notifier_block *nb, unsigned long event,
			   void *ptr)
{
	struct net_device *ndev = netdev_notifier_info_to_dev(ptr);
	struct ib_device *ibdev;
	struct fp_dev *fd;
	u8 link = fp_netdev_link(ndev);
	u32 port;

	if (event != NETDEV_UP && event != NETDEV_DOWN &&
	    event != NETDEV_CHANGE)
		return NOTIFY_DONE;
	ibdev = ib_device_get_by_netdev(ndev, RDMA_DRIVER_UNKNOWN);
	if (!ibdev)
		return NOTIFY_DONE;
	mutex_lock(&fp_devs_lock);
	list_for_each_entry(fd, &fp_devs, list) {
		if (fd->ibdev != ibdev)
			continue;
		rdma_for_each_port(ibdev, port) {
			rcu_read_lock();
			if (fp_port_netdev(ibdev, port) != ndev ||
			    fd->link[port] == link) {
				rcu_read_unlock();
				continue;
			}
			rcu_read_unlock();
			fd->link[port] = link;
			fp_device_event(FLOWPLAN_CMD_LINK_CHANGED, ibdev, true,
					port);
		}
	}
	mutex_unlock(&fp_devs_lock);
	ib_device_put(ibdev);
	return NOTIFY_DONE;
}

static struct notifier_block fp_netdev_nb = {
	.notifier_call = fp_netdev_event,
};

int fp_device_init(void)
{
	int ret;

	ret = ib_register_client(&fp_ib_client);
	if (ret)
		return ret;
	ret = register_netdevice_notifier(&fp_netdev_nb);
	if (ret)
		goto err_client;
	return 0;
err_client:
	ib_unregister_client(&fp_ib_client);
	return ret;
}

void fp_device_exit(void)
{
	unregister_netdevice_notifier(&fp_netdev_nb);
	ib_unregister_client(&fp_ib_client);
}
