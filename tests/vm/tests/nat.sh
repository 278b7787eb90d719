# nat: RoCEv2 through an SNAT rule that remaps source ports (nftables,
# conntrack). NAT changes the port after rxe made the ICRC; flowplan's hook,
# last in POST_ROUTING, moves each packet to its planned port after NAT and
# makes its ICRC anew, so an unmodified ib_write_bw completes on the planned
# spine with every packet accepted. From its old place in LOCAL_OUT, NAT
# wrote the port it chose back over flowplan's, with an ICRC made for
# flowplan's, and the receiver dropped everything.
# FAM=6 (nat6.sh, which sources this file): the same on the fabric's IPv6
# addresses (fabric_up6) through an ip6 SNAT rule that remaps the source
# port (RoCEv2 has no IPv6 NAT of addresses: the ICRC covers them and rxe
# checks them against the QP's GIDs): the module's IPv6 hook, after NAT,
# gives the packet its planned port and flow label and a whole new ICRC.
# vm: timeout=300
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

need_module
need_ctl plan set delete
need_ctl counters show
command -v nft >/dev/null || skip "nft is not in the image"
FAM=${FAM:-4}
fabric_up
if [ "$FAM" = 6 ]; then
	fabric_up6
	A1=$H1_6 A2=$H2_6 BW=bw_run6 T=ip6 TO="[$H1_6]"
	# /proc/net/nf_conntrack writes IPv6 addresses in full (%pI6)
	C1=$(gid6_expand $A1) C2=$(gid6_expand $A2)
	sp=$(sport_for_spine6 2) || fail "no source port takes spine 2"
else
	A1=$H1 A2=$H2 BW=bw_run T=ip TO=$H1 C1=$H1 C2=$H2
	sp=$(sport_for_spine 2) || fail "no source port takes spine 2"
fi
fp_load
write_plan /tmp/plan.json 1 "$A1 $A2 0 true $sp"
flowplanctl plan set /tmp/plan.json
for m in nf_tables nft_chain_nat nft_nat nf_conntrack; do modprobe $m; done
nft -f - <<EOF2
table $T fpnat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		$T saddr $A1 udp dport 4791 snat to $TO:40000-40999
	}
}
EOF2

p0=$(spine_rx 2 1) o0=$(spine_rx 1 1)
h0=$(cat /sys/class/net/h2/statistics/rx_packets)
rcvd0=$(rxe_counter $RXE1 rcvd_pkts) oos0=$(rxe_counter $RXE1 out_of_seq_request)
$BW -s 65536 -n 100
p=$(($(spine_rx 2 1) - p0)) o=$(($(spine_rx 1 1) - o0))
h=$(($(cat /sys/class/net/h2/statistics/rx_packets) - h0))
rcvd=$(($(rxe_counter $RXE1 rcvd_pkts) - rcvd0))
oos=$(($(rxe_counter $RXE1 out_of_seq_request) - oos0))
log "spine2 $p, spine1 $o packets from leaf1; h2 rx $h, rxe1 accepted $rcvd"

# NAT did remap: conntrack holds h1's flow with a reply port in the range.
grep -E "src=$C1 dst=$C2 sport=[0-9]+ dport=4791 .*dport=40[0-9]{3}" \
	/proc/net/nf_conntrack >/dev/null ||
	{ cat /proc/net/nf_conntrack; fail "SNAT did not remap the flow's port"; }
# 100 x 64 KiB at MTU 1024: at least 6400 requests, on the planned spine.
[ $((p + o)) -ge 6400 ] || fail "too few packets crossed the spines"
[ $((p * 100)) -gt $(((p + o) * 90)) ] ||
	fail "only $p of $((p + o)) packets took the planned spine"
[ "$rcvd" -ge $((h - 5)) ] || fail "rxe1 accepted $rcvd of $h packets: ICRC drops"
[ "$oos" = 0 ] || fail "$oos packets arrived out of sequence"
[ "$(counter_packets $A2 "$sp" rewritten)" -ge 6400 ] ||
	fail "the module rewrote too few packets to $sp"
nft delete table $T fpnat
flowplanctl plan delete
fp_unload
