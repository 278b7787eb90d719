# nat6: nat's IPv6 twin, one body (nat.sh with FAM=6). An ip6 SNAT rule
# remaps the source port of rxe's IPv6 RoCEv2 packets after rxe made their
# ICRC: flowplan's IPv6 hook, last in POST_ROUTING, still gives those of an
# enforcing entry their planned port and flow label, updates their ICRC for
# that change only, and rxe1 accepts none of them, nor those of an entry
# that does not enforce; without the rule, all pass.
# vm: timeout=300
FAM=6
. /tests/nat.sh
