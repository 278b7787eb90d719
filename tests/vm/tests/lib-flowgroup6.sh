# lib-flowgroup6: lib-flowgroup's IPv6 twin, one body (lib-flowgroup.sh
# with FAM=6). The fabric also carries IPv6 (fabric_up6) and a flow group
# runs between h1's and h2's IPv6 addresses, so its QPs use rxe's IPv6
# RoCEv2 GIDs; plan from a file with IPv6 entries.
#  1. test_lib_verbs passes on rxe0's IPv6 GID (writes, sends, re-pin,
#     deadlines, a remote access error; the report record's IPv6 endpoints).
#  2. fp_bw moves data h1 -> h2 over 4 subflows, RDMA writes and sends,
#     verified byte for byte by the receiver; fp_group_query reports both
#     IPv6 addresses and the IPv6 GID's index; every RoCEv2 packet h1 sends
#     (tcpdump on h1, IPv6) carries one of the plan's source ports, every
#     planned port is seen, and the spines carry what the plan puts on them
#     (2+2 evenly, 3+1 three to one). Bootstrap over ::1, once over
#     127.0.0.1 (the bootstrap's family is free), once the device found by
#     its GID table instead of rdma_cm. A plan change half way re-pins the
#     group onto the other spine without losing or corrupting a byte.
#  4. With flowplan.ko loaded, the IPv6 plan comes from the module over
#     netlink and the module's counters, keyed by h2's IPv6 address, show
#     each subflow carrying its quarter on its planned port.
# rxe writes flow label 0 into the IPv6 header (6.1's prepare_ipv6_hdr)
# and derives the UDP source port from the GRH flow label: the port is what
# this test can check on the wire; the labels seen are logged.
# vm: timeout=500 mem=1536 smp=2
FAM=6
. /tests/lib-flowgroup.sh
