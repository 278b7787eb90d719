# nccl-net6: nccl-net's IPv6 twin, one body (nccl-net.sh with FAM=6): the
# flowplan NCCL net plugin driven by fpn-harness h1 -> h2 over soft-RoCE on
# the fabric's IPv6 addresses, the devices on rxe's IPv6 RoCEv2 GIDs
# (FLOWPLAN_NCCL_ADDR_FAMILY=AF_INET6), the bootstrap over ::1:
#  1. both rxe ports are devices on their IPv6 GIDs, truthful properties;
#  2. sizes 0, 1, odd and 1 MiB byte for byte over 4 subflows, every comm
#     reporting fd00:1::1 <-> fd00:2::1; the spines carry the plan's shares
#     (2+2: 50%, 3+1: 75%); v10 and v9; ncclInvalidUsage for a send larger
#     than its receive, ncclRemoteError for the receiver of a peer that left;
#  3. 32 requests of 8 grouped receives in flight; 4. hints set the split;
#  5. without the family rule a dual-stack port is an IPv4 device, and an
#     IPv4 device connecting to an IPv6 listener is ncclInvalidUsage, saying
#     which families;
#  6. a spine link down: both ends ncclRemoteError, no hang.
# vm: timeout=900 mem=2560 smp=2
FAM=6
. /tests/nccl-net.sh
