# fabric: the two-leaf, two-spine fabric works without flowplan: h1 reaches
# h2 over it, soft-RoCE moves data across it, and the ECMP model the tests
# calibrate with (ip route get on the leaf) predicts the spine real RoCEv2
# traffic takes. Every other fabric test builds on these three facts.
# vm: timeout=240
. /tests/lib/common.sh
. /tests/lib/fabric.sh

fabric_up
log "fabric up"

s1=$(sport_for_spine 1) || fail "no source port takes spine 1"
s2=$(sport_for_spine 2) || fail "no source port takes spine 2"
log "calibration: sport $s1 -> spine 1, sport $s2 -> spine 2"
[ "$(spine_of "$s1")" = 1 ] && [ "$(spine_of "$s2")" = 2 ]

# An unmodified ib_write_bw, flow label 0: rxe derives the source port from
# the QP numbers (rdma_calc_flow_label, rdma_flow_label_to_udp_sport).
sport_of_qpns() {
	local v=$(($1 * $2)) fl
	v=$((v ^ (v >> 20)))
	v=$((v ^ (v >> 40)))
	fl=$((v & 0xfffff))
	echo $((0xc000 | ((fl & 0x3fff) ^ (fl >> 14))))
}

a1=$(spine_rx 1 1) a2=$(spine_rx 2 1)
bw_server -s 65536 -n 300 >/tmp/srv 2>&1 &
srv=$!
poll 10 grep -q ':4853 .* 0A ' /proc/net/tcp || fail "ib_write_bw server did not listen"
bw_client -s 65536 -n 300 >/tmp/cli 2>&1 || { cat /tmp/cli; fail "ib_write_bw failed"; }
wait $srv || { cat /tmp/srv; fail "ib_write_bw server failed"; }
b1=$(spine_rx 1 1) b2=$(spine_rx 2 1)
d1=$((b1 - a1)) d2=$((b2 - a2))

lqpn=$(sed -n 's/.*local address:.* QPN \(0x[0-9a-f]*\).*/\1/p' /tmp/cli)
rqpn=$(sed -n 's/.*remote address:.* QPN \(0x[0-9a-f]*\).*/\1/p' /tmp/cli)
sport=$(sport_of_qpns "$lqpn" "$rqpn")
want=$(spine_of "$sport")
log "ib_write_bw QPN $lqpn -> $rqpn, sport $sport; spine rx from leaf1: spine1 $d1, spine2 $d2; model says spine $want"
grep -E '^ *65536 ' /tmp/cli

# 300 x 64 KiB at MTU 1024 is at least 19200 packets.
[ $((d1 + d2)) -ge 19200 ] || fail "too few packets crossed the spines"
if [ "$want" = 1 ]; then on=$d1; else on=$d2; fi
[ $((on * 100)) -ge $(((d1 + d2) * 99)) ] ||
	fail "traffic did not take spine $want as the ECMP model predicts"
[ "$(rxe_counter $RXE1 duplicate_request)" -ge 0 ]
log "fabric ok"
