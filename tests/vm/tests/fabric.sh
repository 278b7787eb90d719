# fabric: the two-leaf, two-spine fabric works without flowplan: h1 reaches
# h2 over it, soft-RoCE moves data across it, and the ECMP model the tests
# calibrate with (ip route get on the leaf) predicts the spine real RoCEv2
# traffic takes. Every other fabric test builds on these three facts. The
# same three on the fabric's IPv6 addresses (fabric_up6, spine_of6), which
# the IPv6 tests build on.
# vm: timeout=300
. /tests/lib/common.sh
. /tests/lib/fabric.sh

fabric_up
log "fabric up"

s1=$(sport_for_spine 1) || fail "no source port takes spine 1"
s2=$(sport_for_spine 2) || fail "no source port takes spine 2"
log "calibration: sport $s1 -> spine 1, sport $s2 -> spine 2"
[ "$(spine_of "$s1")" = 1 ] && [ "$(spine_of "$s2")" = 2 ]

a1=$(spine_rx 1 1) a2=$(spine_rx 2 1)
bw_run -s 65536 -n 300
b1=$(spine_rx 1 1) b2=$(spine_rx 2 1)
d1=$((b1 - a1)) d2=$((b2 - a2))

# An unmodified ib_write_bw, flow label 0: rxe derives the source port from
# the QP numbers.
sport=$(bw_sport /tmp/cli)
want=$(spine_of "$sport")
log "ib_write_bw sport $sport; spine rx from leaf1: spine1 $d1, spine2 $d2; model says spine $want"
grep -E '^ *65536 ' /tmp/cli

# 300 x 64 KiB at MTU 1024 is at least 19200 packets.
[ $((d1 + d2)) -ge 19200 ] || fail "too few packets crossed the spines"
if [ "$want" = 1 ]; then on=$d1; else on=$d2; fi
[ $((on * 100)) -ge $(((d1 + d2) * 99)) ] ||
	fail "traffic did not take spine $want as the ECMP model predicts"

# The same on IPv6 (fabric_up6): h1 reaches h2, rxe's IPv6 GIDs carry
# ib_write_bw across, and spine_of6 predicts its spine.
if fabric_has6; then
	fabric_up6
	a1=$(spine_rx 1 1) a2=$(spine_rx 2 1)
	bw_run6 -s 65536 -n 100
	d1=$(($(spine_rx 1 1) - a1)) d2=$(($(spine_rx 2 1) - a2))
	sport=$(bw_sport /tmp/cli)
	want=$(spine_of6 "$sport")
	log "IPv6: ib_write_bw sport $sport; spine1 $d1, spine2 $d2; model says spine $want"
	[ $((d1 + d2)) -ge 6400 ] || fail "IPv6: too few packets crossed the spines"
	if [ "$want" = 1 ]; then on=$d1; else on=$d2; fi
	[ $((on * 100)) -ge $(((d1 + d2) * 99)) ] ||
		fail "IPv6: traffic did not take spine $want as the ECMP model predicts"
else
	log "no IPv6 policy routing in this kernel: IPv4 only"
fi
log "fabric ok"
