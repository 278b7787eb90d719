# daemon-traffic6: daemon-traffic's IPv6 twin, one body (daemon-traffic.sh
# with FAM=6). flowpland, as its unit runs it, on a fabric whose hosts are
# IPv6 (fabric_up6): it plans what an IPv6 libflowplan job (rxe's IPv6
# RoCEv2 GIDs, bootstrap over ::1) reports, probes the planned IPv6 pair
# (ICMPv6 replies from the routers' IPv6 addresses), installs IPv6 entries
# with enforce, and the job's packets follow the plan across the spines;
# spine1's link down and up under the leaves' IPv6 ECMP routes re-plans
# around it and back; SIGKILL and restart (the IPv6 plan and port map read
# back) move nothing; every message arrives intact. rmmod/insmod, which
# does not depend on the family, is left to daemon-traffic.
# vm: timeout=600 mem=2048 smp=2
FAM=6
. /tests/daemon-traffic.sh
