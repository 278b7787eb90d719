// SPDX-License-Identifier: GPL-2.0
/*
 * test_device_stub.c - GET_DEVICES for the KUnit module: RDMA does not
 * build for User-Mode Linux, so device.c is not in it (the qemu tests cover
 * it with soft-RoCE). The family's other commands are real.
 */
#include <linux/errno.h>
#include <net/genetlink.h>

#include "flowplan.h"

int fp_device_dump_start(struct netlink_callback *cb)
{
	return 0;
}

int fp_device_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return 0;
}
