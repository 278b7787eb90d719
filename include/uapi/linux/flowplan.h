/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * flowplan: the host's copy of a RoCEv2 path plan, its RDMA devices and links,
 * per-path counters, and pinning of the RoCEv2 packets the kernel sends.
 *
 * Documentation
 * =============
 *
 * The module is driven over generic netlink: family FLOWPLAN_GENL_NAME
 * ("flowplan"), version FLOWPLAN_GENL_VERSION (1), one multicast group
 * FLOWPLAN_MCGRP_EVENTS ("events"). Every command is strictly validated:
 * an unknown attribute, a wrong length, a value out of range or an unknown
 * flag bit is refused (-EINVAL, -ERANGE for lengths and values out of range)
 * with an extended ack message naming the attribute; so is running out of
 * memory (-ENOMEM).
 *
 * Namespaces and rights. The plan, the SET_PLAN parts staged and the
 * counters belong to a network namespace, and the hook acts on the packets
 * sent in it. Commands that change them (SET_PLAN, DEL_PLAN, DEL_COUNTERS)
 * need CAP_NET_ADMIN in the user namespace that owns the network namespace
 * (GENL_UNS_ADMIN_PERM, -EPERM otherwise), as WireGuard's do: root in a
 * container manages its own namespace's plan, never another's, and its
 * tables are charged to its memory cgroup and bounded by the module
 * parameters. Reads (GET_*) and the events group need no capability: they
 * show nothing secret (paths, ports, counts, devices), the same to every
 * user of a namespace, as the RDMA subsystem's own netlink reads do.
 * RDMA devices are global; a namespace sees those the RDMA subsystem lets
 * it use (all in its default "shared" netns mode, only its own in
 * "exclusive" mode), and a port's netdev only when that netdev is in the
 * namespace (ifindex 0, no name, otherwise), as "rdma link" shows them.
 *
 * Addresses. An address attribute holds 4 bytes, struct in_addr (IPv4),
 * or 16, struct in6_addr (IPv6), in network byte order: its length is its
 * family (there is no family attribute; old IPv4 clients send and read 4
 * bytes as before). Any other length is refused (-ERANGE), and so is an
 * IPv4-mapped IPv6 address, ::ffff:a.b.c.d (-EINVAL): IPv4 is sent as 4
 * bytes. Both addresses of an entry are of one family (-EINVAL, "local and
 * remote address of different families"). Replies write 4 bytes for IPv4
 * and 16 for IPv6. IPv6 packets are matched against IPv6 entries only,
 * IPv4 packets against IPv4 entries.
 * Ports are NLA_U16 in host byte order. Attribute nests that hold a list
 * ("array" below) contain one nested attribute per element; the type of the
 * element attribute is its index within that nest in that message,
 * starting at 0, and is ignored on input. Every nest, elements included,
 * must carry NLA_F_NESTED.
 *
 * FLOWPLAN_CMD_SET_PLAN
 * ---------------------
 *
 * Replaces this namespace's plan atomically: packets see either the whole old
 * plan or the whole new one. Needs CAP_NET_ADMIN over the namespace.
 *
 *    FLOWPLAN_A_GENERATION: NLA_U64, required; refused with -ESTALE when lower
 *                           than the generation installed (equal is accepted,
 *                           so a retried SET is harmless)
 *    FLOWPLAN_A_FLAGS: NLA_U32, optional, 0 or more of:
 *        FLOWPLAN_F_MORE: more parts of this plan follow in further
 *                         SET_PLAN messages (see below)
 *    FLOWPLAN_A_PART: NLA_U32, optional; the 0-based index of this message
 *                     among the parts of one plan; absent means 0
 *    FLOWPLAN_A_NENTRIES: NLA_U32; the number of entries of the whole
 *                         plan. Required on the last part of a plan in
 *                         more than one part, optional elsewhere; when
 *                         present it must be the plan's total.
 *    FLOWPLAN_A_ENTRIES: NLA_NESTED, array of entries; may be absent. The
 *                        plan holds at most the module parameter
 *                        max_entries (default 1024) entries, else -E2BIG.
 *                        Each element:
 *        FLOWPLAN_ENTRY_A_LOCAL_ADDR: struct in_addr or struct in6_addr
 *                                     (see "Addresses"), required; the
 *                                     source address of the packets
 *        FLOWPLAN_ENTRY_A_REMOTE_ADDR: struct in_addr or struct in6_addr,
 *                                      required, of the local address's
 *                                      family; the destination
 *        FLOWPLAN_ENTRY_A_DQPN: NLA_U32, 0..0xffffff, optional; destination
 *                               QP, 0 (the default) matches any QP
 *        FLOWPLAN_ENTRY_A_FLAGS: NLA_U32, optional, 0 or more of:
 *            FLOWPLAN_ENTRY_F_ENFORCE: rewrite the UDP source port of the
 *                                      RoCEv2 packets this host sends for
 *                                      the entry (see "The hook") when it
 *                                      is none of the entry's subflow
 *                                      ports: a packet to QP q gets the
 *                                      port of subflow q % (number of
 *                                      subflows), and its ICRC and UDP
 *                                      checksum are updated to match. An
 *                                      IPv6 packet also gets the
 *                                      subflow's flow label in its IPv6
 *                                      header (whether or not its port
 *                                      changed): a switch may hash either
 *        FLOWPLAN_ENTRY_A_SUBFLOWS: NLA_NESTED, required, array of 1 to
 *                                   FLOWPLAN_MAX_SUBFLOWS (16) elements:
 *            FLOWPLAN_SUBFLOW_A_FLOW_LABEL: NLA_U32, 0..0xfffff, required
 *            FLOWPLAN_SUBFLOW_A_SPORT: NLA_U16, non-zero, required; the UDP
 *                                      source port of the subflow's path
 *            FLOWPLAN_SUBFLOW_A_WEIGHT: NLA_U32, 0..65536, optional; share
 *                                       of the bytes out of 65536
 *
 *    Two entries with the same (local, remote, dqpn) are refused (-EEXIST).
 *    A packet's entry is the one with its exact dqpn, else its pair's
 *    dqpn 0 entry.
 *
 *    Plans in several messages. An attribute holds at most 64 KiB, about
 *    900 one-subflow entries, so a larger plan is sent in parts: SET_PLAN
 *    messages of one generation from one socket, FLOWPLAN_A_PART 0, 1, 2,
 *    ..., every one but the last with FLOWPLAN_F_MORE, the last with
 *    FLOWPLAN_A_NENTRIES. The parts are staged per sending socket (netlink
 *    port id) and installed together by the last one; until then the old
 *    plan stays in force, and other sockets' SET_PLANs, complete or staged,
 *    do not touch this socket's staged parts.
 *
 *    - Part 0 starts a new plan for its socket, discarding whatever that
 *      socket had staged.
 *    - A part whose index is not the next one its socket is due to send
 *      (none staged, skipped or repeated index), or whose generation is not
 *      that of the parts staged before it, is refused with -EINVAL and an
 *      extended ack message, and the socket's staged parts are discarded.
 *    - The last part of a plan in more than one part must carry
 *      FLOWPLAN_A_NENTRIES; when the entries staged differ from it (or it
 *      is missing), it is refused with -EINVAL and nothing is installed.
 *    - An error the module finds in a part (a required attribute missing,
 *      weights, a duplicate entry, too many entries, -ESTALE, ...) discards
 *      the socket's staged parts. A message that the attribute policies
 *      refuse before the module sees it (a wrong length, a value out of
 *      range, an unknown attribute or flag bit) leaves them as they were.
 *      DEL_PLAN discards the staged parts of every socket; closing a socket
 *      discards its own.
 *    - A plan holds at most max_entries entries (-E2BIG), and the parts
 *      staged by all sockets of a namespace together at most max_entries
 *      as well (a socket with parts staged counts at least one): a part
 *      beyond that is refused with -EBUSY.
 *
 *    A one-message plan is part 0 without FLOWPLAN_F_MORE.
 *
 *    When a plan is installed, a FLOWPLAN_CMD_PLAN_CHANGED event is multicast.
 *
 * FLOWPLAN_CMD_GET_PLAN
 * ---------------------
 *
 * A dump (NLM_F_DUMP) with no attributes. Each reply message carries:
 *
 *    FLOWPLAN_A_GENERATION: NLA_U64
 *    FLOWPLAN_A_NENTRIES: NLA_U32, the number of entries of the whole plan
 *    FLOWPLAN_A_ENTRIES: NLA_NESTED, array of entries as in SET_PLAN, with
 *                        all their attributes present
 *
 * A plan may span several messages, each with its own FLOWPLAN_A_ENTRIES
 * (element types from 0 in each); when it changed during the dump, a
 * message is flagged NLM_F_DUMP_INTR (genl_dump_check_consistent) and the
 * caller should dump again.
 *
 * FLOWPLAN_CMD_DEL_PLAN
 * ---------------------
 *
 * No attributes. Empties the plan and resets its generation to 0, so that a
 * restarted planner may begin again at generation 1, and discards the
 * parts every socket has staged. Needs CAP_NET_ADMIN over the namespace.
 * Emits FLOWPLAN_CMD_PLAN_CHANGED.
 *
 * FLOWPLAN_CMD_GET_DEVICES
 * ------------------------
 *
 * A dump with no attributes; one message per RDMA device the namespace may
 * use (see "Namespaces and rights"). When a device came or went during the
 * dump, a message is flagged NLM_F_DUMP_INTR:
 *
 *    FLOWPLAN_A_DEVICE: NLA_NESTED
 *        FLOWPLAN_DEVICE_A_INDEX: NLA_U32, the RDMA device index
 *        FLOWPLAN_DEVICE_A_NAME: NLA_NUL_STRING, e.g. "rxe0"
 *        FLOWPLAN_DEVICE_A_PORTS: NLA_NESTED, array of:
 *            FLOWPLAN_PORT_A_NUM: NLA_U32, port number (from 1)
 *            FLOWPLAN_PORT_A_STATE: NLA_U8, enum flowplan_port_state
 *            FLOWPLAN_PORT_A_LINK: NLA_U8, enum flowplan_link
 *            FLOWPLAN_PORT_A_IFINDEX: NLA_U32, the netdev (0: none, or
 *                                     in another namespace)
 *            FLOWPLAN_PORT_A_NETDEV: NLA_NUL_STRING, its name (when the
 *                                    ifindex is not 0)
 *            FLOWPLAN_PORT_A_GIDS: NLA_NESTED, array of:
 *                FLOWPLAN_GID_A_INDEX: NLA_U32, GID table index
 *                FLOWPLAN_GID_A_GID: 16 bytes (IPv4-mapped for RoCEv2/IPv4)
 *                FLOWPLAN_GID_A_TYPE: NLA_U8, enum flowplan_gid_type
 *
 * FLOWPLAN_CMD_GET_COUNTERS
 * -------------------------
 *
 * A dump with no attributes. Each reply message carries:
 *
 *    FLOWPLAN_A_UNTRACKED: NLA_U64, packets not counted per path because
 *                          the counter table was full
 *    FLOWPLAN_A_COUNTERS: NLA_NESTED, array of:
 *        FLOWPLAN_COUNTER_A_REMOTE_ADDR: struct in_addr or struct
 *                                        in6_addr, the destination
 *        FLOWPLAN_COUNTER_A_SPORT: NLA_U16, the UDP source port on the wire
 *                                  (after any rewrite)
 *        FLOWPLAN_COUNTER_A_PACKETS: NLA_U64
 *        FLOWPLAN_COUNTER_A_BYTES: NLA_U64, IP datagram bytes
 *        FLOWPLAN_COUNTER_A_REWRITTEN: NLA_U64, packets whose source port
 *                                      was rewritten to this one
 *
 * When DEL_COUNTERS replaced the table during the dump, a message is
 * flagged NLM_F_DUMP_INTR.
 *
 * The counter table has max_counters slots (the module parameter when the
 * table was made). A slot, once a (destination, port) took it, stays that
 * path's until DEL_COUNTERS: counts are exact and never move between paths,
 * and the datapath takes no lock. Only packets of the host's RDMA stack are
 * counted (see "The hook"): no process can fill the table with UDP
 * datagrams, and when paths used over time do, the rest is counted as
 * untracked until an administrator empties it.
 *
 * FLOWPLAN_CMD_DEL_COUNTERS
 * -------------------------
 *
 * No attributes. Replaces this namespace's counter table with an empty one
 * of max_counters slots (untracked back to 0). Needs CAP_NET_ADMIN over
 * the namespace.
 *
 * The hook
 * --------
 *
 * Each namespace has a netfilter hook at IPv4 POST_ROUTING with the last
 * priority (NF_IP_PRI_LAST), and one at IPv6 POST_ROUTING with the last
 * priority (NF_IP6_PRI_LAST) when the kernel has IPv6: it sees the packet
 * as it leaves, after NAT, conntrack helpers and mangling, so that nothing
 * restores the old source port after the ICRC was updated for the new one
 * (SNAT in POST_ROUTING did, from the hook's old place in LOCAL_OUT:
 * conntrack had recorded the port before the rewrite).
 *
 * NAT. RoCEv2 does not pass NAT: its ICRC covers the IP addresses and the
 * UDP ports (it masks only what routers change: TTL or hop limit, traffic
 * class, flow label, checksums), and the receiver of a connected QP checks
 * the addresses against the QP's GIDs. NAT and other rules that change them after rxe made the ICRC
 * break the packet, and the receiver drops it, with or without flowplan.
 * The module repairs no ICRC: it updates the ICRC for the bytes it changes
 * only, so a packet's ICRC is right after the hook exactly when it was
 * right before, whether or not the module rewrote it. A NATed packet of an
 * enforcing entry still leaves on the planned port (the hook is last), and
 * still broken. This is the RDMA subsystem's stance (rxe makes the ICRC
 * once and drops a packet whose ICRC is wrong) and the rule that keeps the
 * module's effect the same for every packet: it does not make some NATed
 * packets pass, those it happens to rewrite, and others not.
 *
 * The hook counts and pins RoCEv2 packets only: UDP to port
 * FLOWPLAN_ROCE_PORT (4791) with a BTH of transport version 0, a valid
 * P_Key and an opcode of RC, UC, UD, XRC or the CNP, whose UDP length
 * holds that opcode's headers, a payload padded to 4 bytes (at least the
 * pad count) and the ICRC; sent from a kernel socket,
 * as soft-RoCE (rxe) sends them; hardware RoCE never passes netfilter. A
 * process's UDP or raw socket to port 4791, privileged or not, is neither
 * counted nor rewritten. Packets with IP options or fragmented are counted,
 * never rewritten. The ICRC is updated for the two bytes of the port, not
 * recomputed: a packet whose ICRC was wrong stays wrong.
 *
 * IPv6: the same, for packets whose UDP header follows the IPv6 header
 * (as RoCEv2 senders build them; a packet with extension headers is
 * neither counted nor rewritten) and whose UDP length is the payload
 * length. The ICRC of an IPv6 packet masks (sets to ones) the traffic
 * class, the flow label and the hop limit, so writing the flow label
 * leaves it as it was; the UDP checksum does not cover the flow label
 * either. The UDP checksum is updated for the port and the ICRC when
 * there is one; a zero one (rxe sends zero, which RoCEv2 allows on IPv6)
 * stays zero.
 *
 * Events (multicast group "events")
 * ---------------------------------
 *
 *    FLOWPLAN_CMD_DEVICE_ADDED, FLOWPLAN_CMD_DEVICE_REMOVED:
 *        FLOWPLAN_A_DEVICE as in GET_DEVICES (REMOVED: index and name only)
 *    FLOWPLAN_CMD_LINK_CHANGED: the netdev of an RDMA port went up or down:
 *        FLOWPLAN_A_DEVICE with index, name and FLOWPLAN_DEVICE_A_PORTS
 *        holding the one port that changed: number, link, ifindex, netdev
 *        and FLOWPLAN_PORT_A_GIDS (as in GET_DEVICES), the port's GID table
 *        when the event is sent (a RoCE port's IPv4 GIDs, made of its
 *        netdev's addresses, stay while the link is down). No IB port state:
 *        the event comes from the netdev notifier, and the RDMA core updates
 *        its port state after that; the PORT_CHANGED that follows has it.
 *    FLOWPLAN_CMD_PORT_CHANGED: the RDMA core changed a port's IB state or
 *        GID table (its events IB_EVENT_PORT_ACTIVE, IB_EVENT_PORT_ERR and
 *        IB_EVENT_GID_CHANGE, taken by an IB event handler as the RDMA
 *        core's own clients take them). FLOWPLAN_A_DEVICE as in
 *        LINK_CHANGED, and FLOWPLAN_PORT_A_STATE: the state the RDMA core
 *        has once it updated its cache for the event, which is what a
 *        GET_DEVICES after the event shows (until the next change). A soft-
 *        RoCE port goes FLOWPLAN_PORT_DOWN when its netdev goes down and
 *        FLOWPLAN_PORT_ACTIVE when it comes up; adding or removing an address
 *        of its netdev sends one per GID that changed. A port whose link
 *        changes sends both events; they come from two contexts, and their
 *        order is not defined.
 *    FLOWPLAN_CMD_PLAN_CHANGED: FLOWPLAN_A_GENERATION, FLOWPLAN_A_NENTRIES
 *        (sent in the namespace of the plan)
 *
 * Device and link events go to every namespace that may use the device,
 * each with the netdevs of its own namespace only (as in GET_DEVICES).
 * Joining the group needs no capability (see "Namespaces and rights").
 */
#ifndef _UAPI_LINUX_FLOWPLAN_H
#define _UAPI_LINUX_FLOWPLAN_H

#define FLOWPLAN_GENL_NAME	"flowplan"
#define FLOWPLAN_GENL_VERSION	1
#define FLOWPLAN_MCGRP_EVENTS	"events"

#define FLOWPLAN_ROCE_PORT	4791
#define FLOWPLAN_MAX_SUBFLOWS	16
#define FLOWPLAN_WEIGHT_ONE	65536
#define FLOWPLAN_DQPN_ANY	0
#define FLOWPLAN_DQPN_MAX	0xffffff
#define FLOWPLAN_FLOW_LABEL_MAX	0xfffff

enum flowplan_cmd {
	FLOWPLAN_CMD_UNSPEC,
	FLOWPLAN_CMD_SET_PLAN,
	FLOWPLAN_CMD_GET_PLAN,
	FLOWPLAN_CMD_DEL_PLAN,
	FLOWPLAN_CMD_GET_DEVICES,
	FLOWPLAN_CMD_GET_COUNTERS,
	FLOWPLAN_CMD_DEVICE_ADDED,
	FLOWPLAN_CMD_DEVICE_REMOVED,
	FLOWPLAN_CMD_LINK_CHANGED,
	FLOWPLAN_CMD_PLAN_CHANGED,
	FLOWPLAN_CMD_DEL_COUNTERS,
	FLOWPLAN_CMD_PORT_CHANGED,
	__FLOWPLAN_CMD_MAX
};
#define FLOWPLAN_CMD_MAX (__FLOWPLAN_CMD_MAX - 1)

enum flowplan_attr {
	FLOWPLAN_A_UNSPEC,
	FLOWPLAN_A_GENERATION,
	FLOWPLAN_A_NENTRIES,
	FLOWPLAN_A_ENTRIES,
	FLOWPLAN_A_DEVICE,
	FLOWPLAN_A_COUNTERS,
	FLOWPLAN_A_UNTRACKED,
	FLOWPLAN_A_PAD,
	FLOWPLAN_A_FLAGS,
	FLOWPLAN_A_PART,
	__FLOWPLAN_A_MAX
};
#define FLOWPLAN_A_MAX (__FLOWPLAN_A_MAX - 1)

enum flowplan_flag {
	FLOWPLAN_F_MORE = 1U << 0,
	__FLOWPLAN_F_ALL = FLOWPLAN_F_MORE
};

enum flowplan_entry_flag {
	FLOWPLAN_ENTRY_F_ENFORCE = 1U << 0,
	__FLOWPLAN_ENTRY_F_ALL = FLOWPLAN_ENTRY_F_ENFORCE
};

enum flowplan_entry_attr {
	FLOWPLAN_ENTRY_A_UNSPEC,
	FLOWPLAN_ENTRY_A_LOCAL_ADDR,
	FLOWPLAN_ENTRY_A_REMOTE_ADDR,
	FLOWPLAN_ENTRY_A_DQPN,
	FLOWPLAN_ENTRY_A_FLAGS,
	FLOWPLAN_ENTRY_A_SUBFLOWS,
	__FLOWPLAN_ENTRY_A_MAX
};
#define FLOWPLAN_ENTRY_A_MAX (__FLOWPLAN_ENTRY_A_MAX - 1)

enum flowplan_subflow_attr {
	FLOWPLAN_SUBFLOW_A_UNSPEC,
	FLOWPLAN_SUBFLOW_A_FLOW_LABEL,
	FLOWPLAN_SUBFLOW_A_SPORT,
	FLOWPLAN_SUBFLOW_A_WEIGHT,
	__FLOWPLAN_SUBFLOW_A_MAX
};
#define FLOWPLAN_SUBFLOW_A_MAX (__FLOWPLAN_SUBFLOW_A_MAX - 1)

enum flowplan_device_attr {
	FLOWPLAN_DEVICE_A_UNSPEC,
	FLOWPLAN_DEVICE_A_INDEX,
	FLOWPLAN_DEVICE_A_NAME,
	FLOWPLAN_DEVICE_A_PORTS,
	__FLOWPLAN_DEVICE_A_MAX
};
#define FLOWPLAN_DEVICE_A_MAX (__FLOWPLAN_DEVICE_A_MAX - 1)

enum flowplan_port_state {	/* the IB port state, as in IBTA */
	FLOWPLAN_PORT_NOP,
	FLOWPLAN_PORT_DOWN,
	FLOWPLAN_PORT_INIT,
	FLOWPLAN_PORT_ARMED,
	FLOWPLAN_PORT_ACTIVE,
	FLOWPLAN_PORT_ACTIVE_DEFER,
};

enum flowplan_link {		/* the port's netdev */
	FLOWPLAN_LINK_UNKNOWN,	/* no netdev */
	FLOWPLAN_LINK_DOWN,	/* administratively down or no carrier */
	FLOWPLAN_LINK_UP,	/* up with carrier */
};

enum flowplan_port_attr {
	FLOWPLAN_PORT_A_UNSPEC,
	FLOWPLAN_PORT_A_NUM,
	FLOWPLAN_PORT_A_STATE,
	FLOWPLAN_PORT_A_LINK,
	FLOWPLAN_PORT_A_IFINDEX,
	FLOWPLAN_PORT_A_NETDEV,
	FLOWPLAN_PORT_A_GIDS,
	__FLOWPLAN_PORT_A_MAX
};
#define FLOWPLAN_PORT_A_MAX (__FLOWPLAN_PORT_A_MAX - 1)

enum flowplan_gid_type {
	FLOWPLAN_GID_IB,
	FLOWPLAN_GID_ROCE_V1,
	FLOWPLAN_GID_ROCE_V2,
};

enum flowplan_gid_attr {
	FLOWPLAN_GID_A_UNSPEC,
	FLOWPLAN_GID_A_INDEX,
	FLOWPLAN_GID_A_GID,
	FLOWPLAN_GID_A_TYPE,
	__FLOWPLAN_GID_A_MAX
};
#define FLOWPLAN_GID_A_MAX (__FLOWPLAN_GID_A_MAX - 1)

enum flowplan_counter_attr {
	FLOWPLAN_COUNTER_A_UNSPEC,
	FLOWPLAN_COUNTER_A_REMOTE_ADDR,
	FLOWPLAN_COUNTER_A_SPORT,
	FLOWPLAN_COUNTER_A_PACKETS,
	FLOWPLAN_COUNTER_A_BYTES,
	FLOWPLAN_COUNTER_A_REWRITTEN,
	FLOWPLAN_COUNTER_A_PAD,
	__FLOWPLAN_COUNTER_A_MAX
};
#define FLOWPLAN_COUNTER_A_MAX (__FLOWPLAN_COUNTER_A_MAX - 1)

#endif /* _UAPI_LINUX_FLOWPLAN_H */
