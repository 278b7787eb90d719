# nat6: nat's IPv6 twin, one body (nat.sh with FAM=6). An ip6 SNAT rule
# remaps the source port of rxe's IPv6 RoCEv2 packets; flowplan's IPv6
# hook, last in POST_ROUTING, moves each onto its planned port and flow
# label after NAT and makes its ICRC anew (fp_icrc6 over the whole
# packet): ib_write_bw over the IPv6 GIDs completes on the planned spine,
# every packet accepted, none out of sequence.
# vm: timeout=300
FAM=6
. /tests/nat.sh
