# daemon-dual: daemon-traffic on dual-stack NICs, one body (daemon-traffic.sh
# with FAM=dual). h1.n0 and h2.n0 each carry an IPv4 and an IPv6 address
# (one NIC, one host link: "addrs" in the topology); an IPv4 job and an
# IPv6 job run at once; the one flowpland plans both from their reports,
# probes both families' pairs (ICMP and ICMPv6 from the routers), installs
# both families' entries with enforce, and each family's packets, counted
# per family at the spines, follow its own entry, before and after a
# spine1 - leaf2 failure (each router moves both families' routes around
# spine1 in one ip run; once a probe begun after that has ended and its
# re-plan is installed, neither family's entry keeps spine1 and neither
# family's packets cross it; and back: spine1 planned and carrying again),
# a SIGKILL and restart (once both jobs' cycles are found again, the
# entries of before: a plan of the first job found may be installed in
# between, which keeps the other job's entries as the module held them:
# no job's entries leave the module, checked every half second; then again
# with the IPv6 job's sender stopped across the restart, so that the IPv4
# job's plan comes first); every message of both jobs arrives intact. A probe under way while the routes change may name no
# path of one pair: the daemon keeps that pair's ports of before (without
# that, it planned the pair on its hash model, over spine1, and no later
# probe counted as news: the plan kept spine1 in one run of two).
# vm: timeout=1200 mem=2048 smp=2
FAM=dual
. /tests/daemon-traffic.sh
