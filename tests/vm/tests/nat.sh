# nat: RoCEv2 does not pass NAT, and flowplan repairs no ICRC it did not
# break (the UAPI header's "NAT"). An nftables SNAT rule remaps the source
# ports of h1's RoCEv2 packets after rxe made their ICRC, which covers them:
#  1. With an enforcing entry, the hook (last in POST_ROUTING) still moves
#     every packet to its planned port, after NAT: the planned spine carries
#     them and the module counts them as rewritten. Their ICRC is updated
#     for the module's change only, so NAT's damage stays and rxe1 accepts
#     none of them (it drops a bad ICRC before rcvd_pkts counts it).
#  2. With an entry that does not enforce, the packets leave on NAT's ports
#     (the module counts them there, not rewritten) and rxe1 accepts none.
# Before the NAT rule, the same ib_write_bw completes on the planned spine
# with every packet accepted: only NAT breaks them. (The module used to
# make the ICRC anew for the NATed packets it rewrote, which let those
# pass and no others.)
# FAM=6 (nat6.sh, which sources this file): the same on the fabric's IPv6
# addresses (fabric_up6) through an ip6 SNAT rule that remaps the source
# port.
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
	G0=$GID6_INDEX0 G1=$GID6_INDEX1
	# /proc/net/nf_conntrack writes IPv6 addresses in full (%pI6)
	C1=$(gid6_expand $A1) C2=$(gid6_expand $A2)
	sp=$(sport_for_spine6 2) || fail "no source port takes spine 2"
else
	A1=$H1 A2=$H2 BW=bw_run T=ip TO=$H1 C1=$H1 C2=$H2
	G0=$GID_INDEX G1=$GID_INDEX
	sp=$(sport_for_spine 2) || fail "no source port takes spine 2"
fi
h2_roce_up
fp_load
write_plan /tmp/plan.json 1 "$A1 $A2 0 true $sp"
flowplanctl plan set /tmp/plan.json

# snapshot; delta: what changed since, in spine2 spine1 h2 (RoCEv2) rcvd oos
snapshot() {
	S=($(spine_rx 2 1) $(spine_rx 1 1) \
		$(h2_roce) \
		$(rxe_counter $RXE1 rcvd_pkts) \
		$(rxe_counter $RXE1 out_of_seq_request))
}
delta() {
	p=$(($(spine_rx 2 1) - S[0])) o=$(($(spine_rx 1 1) - S[1]))
	h=$(($(h2_roce) - S[2]))
	rcvd=$(($(rxe_counter $RXE1 rcvd_pkts) - S[3]))
	oos=$(($(rxe_counter $RXE1 out_of_seq_request) - S[4]))
	log "spine2 $p, spine1 $o packets from leaf1; h2 RoCEv2 $h, rxe1 accepted $rcvd"
}

# ---- before NAT: the transfer completes on the planned spine ----
snapshot
$BW -s 65536 -n 20
delta
[ $((p + o)) -ge 1280 ] || fail "too few packets crossed the spines"
[ $((p * 100)) -gt $(((p + o) * 90)) ] ||
	fail "only $p of $((p + o)) packets took the planned spine"
rxe1_accepted_all "without NAT" "$rcvd" "$h"
in_sequence "$oos"	# not judged on the debug kernel: see fabric.sh

for m in nf_tables nft_chain_nat nft_nat nf_conntrack; do modprobe $m; done
nft -f - <<EOF2
table $T fpnat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		$T saddr $A1 udp dport 4791 snat to $TO:40000-40999
	}
}
EOF2

# bw_natted: an ib_write_bw whose requests NAT breaks. rxe0 resends them
# again and again (none is acknowledged), so it runs until 200 of its
# packets reached h2 (or the client gave up), then both ends are stopped;
# their exit status says nothing, the counters judge.
bw_natted() {
	ib_write_bw -d $RXE1 -x "$G1" -u 14 -F -s 4096 -n 5 >/tmp/srv 2>&1 &
	BW_SERVER=$!
	poll 10 grep -q ':4853 .* 0A ' /proc/net/tcp ||
		fail "ib_write_bw server did not listen"
	ib_write_bw -d $RXE0 -x "$G0" -u 14 -F -s 4096 -n 5 127.0.0.1 \
		>/tmp/cli 2>&1 &
	BW_CLIENT=$!
	poll 60 natted_sent ||
		{ cat /tmp/cli; fail "the NATed requests did not reach h2"; }
	kill $BW_CLIENT $BW_SERVER 2>/dev/null || true
	wait $BW_CLIENT $BW_SERVER 2>/dev/null || true
}
natted_sent() {
	[ $(($(h2_roce) - S[2])) -ge 200 ] ||
		! kill -0 $BW_CLIENT
}
# The NATed packets on the wire, counted by the module under NAT's ports
# (40000-40999) with field $1.
natted() {
	flowplanctl -j counters show | jq -r --arg d "$A2" --arg f "$1" \
		'[.. | objects | select((.remote_addr // .dst_addr // .remote) == $d
			and .sport >= 40000 and .sport <= 40999) | .[$f]] | add // 0'
}

# ---- 1. an enforcing entry: the planned port, and still broken ----
rw0=$(counter_packets $A2 "$sp" rewritten)
snapshot
bw_natted
delta
grep -E "src=$C1 dst=$C2 sport=[0-9]+ dport=4791 .*dport=40[0-9]{3}" \
	/proc/net/nf_conntrack >/dev/null ||
	{ cat /proc/net/nf_conntrack; fail "SNAT did not remap the flow's port"; }
rw=$(($(counter_packets $A2 "$sp" rewritten) - rw0))
[ "$rw" -ge 1 ] || fail "the module rewrote no NATed packet to $sp"
[ "$p" -ge "$rw" ] || fail "$rw packets rewritten to $sp, $p on spine 2"
[ "$h" -ge "$rw" ] || fail "h2 received $h packets of the $rw rewritten"
[ "$rcvd" = 0 ] || fail "rxe1 accepted $rcvd NATed packets the module rewrote"

# ---- 2. an entry that does not enforce: NAT's port, and broken ----
write_plan /tmp/plan.json 2 "$A1 $A2 0 false $sp"
flowplanctl plan set /tmp/plan.json
n0=$(natted packets)
snapshot
bw_natted
delta
n=$(($(natted packets) - n0))
[ "$n" -ge 1 ] || { flowplanctl counters show; fail "no packet left on NAT's ports"; }
[ "$(natted rewritten)" = 0 ] || fail "the module rewrote packets of an entry that does not enforce"
[ "$h" -ge "$n" ] || fail "h2 received $h of the $n NATed packets"
[ "$rcvd" = 0 ] || fail "rxe1 accepted $rcvd NATed packets the module left alone"

nft delete table $T fpnat
flowplanctl plan delete
fp_unload
