# shellcheck shell=bash
# preload-lib.sh - what the preload-*.sh tests share (sourced after
# common.sh, fabric.sh and flowplan.sh; fabric_up and fp_load done):
#   PRE                  the interposer, as LD_PRELOAD takes it
#   preload_calibrate    S1, S2: four source ports each that leaf1 sends to
#                        spine 1 / 2 in this boot (the seed is random)
#   nth LIST N           the Nth of a comma-separated list
#   plan SPORTS          the plan h1 -> h2 (not enforced) into the module and
#                        /tmp/plan.json; one subflow per port, in order
#   snap / delta PORTS   what crossed the fabric h1 -> h2 in between: SENT
#                        (rxe0), ON (the module's counters on PORTS), C[port],
#                        P1 P2 (spines), HRX (RoCEv2 at h2), RCVD (rxe1), OOS
#   expect NAME PORTS MIN
#                        every packet rxe0 sent left on PORTS (a port per QP),
#                        each port carried its QPs' share, the spines what
#                        the ports lead to, rxe1 accepted what reached h2
#   pinned_by_preload FILE N
#                        the interposer's log in FILE pinned N QPs h1 -> h2
#   perftest_qpns FILE   "LQPN RQPN" per QP of a perftest client's output
#   PL_SRC PL_DST        h1's and h2's address of the family under test
#                        (set before sourcing; default $H1 $H2, IPv4), with
#   PL_FINDER PL_SPINE_OF  sport_for_spine6 / spine_of6 for IPv6
PRE=/usr/bin/libflowplan-preload.so
PL_SRC=${PL_SRC:-$H1} PL_DST=${PL_DST:-$H2}
PL_FINDER=${PL_FINDER:-sport_for_spine} PL_SPINE_OF=${PL_SPINE_OF:-spine_of}
h2_roce_up	# HRX

# ---- calibration: the ECMP seed is random per boot
sports_for() {	# sports_for SPINE N: N source ports that leaf1 sends to SPINE
	local p=49153 n=0 out=""
	while [ $n -lt "$2" ]; do
		p=$($PL_FINDER "$1" $p) || return 1
		out="$out${out:+,}$p"
		p=$((p + 1))
		n=$((n + 1))
	done
	echo "$out"
}
preload_calibrate() {
	S1=$(sports_for 1 4) || fail "too few ports take spine 1"
	S2=$(sports_for 2 4) || fail "too few ports take spine 2"
	log "calibration: spine 1: $S1; spine 2: $S2"
}
nth() { echo "$1" | cut -d, -f"$2"; }

gen=1
# plan SPORTS: the plan h1 -> h2 (not enforced) in the module and in a file
plan() {
	gen=$((gen + 1))
	write_plan /tmp/plan.json $gen "$PL_SRC $PL_DST 0 false $1"
	flowplanctl plan set /tmp/plan.json
	PLANNED=$1
}
# The interposer reads the module's plan; the file is the fallback source.
export FLOWPLAN_PLAN=/tmp/plan.json FLOWPLAN_DEBUG=1

# snap / delta PORTS: what crossed the fabric h1 -> h2 in between (the
# module's counters as two whole snapshots, so ports learned afterwards
# can be asked too)
declare -A C
cnt() {	# cnt FILE SPORT: packets to h2 on SPORT in a counters snapshot
	jq -r --arg d "$PL_DST" --argjson p "$2" \
		'[.. | objects | select((.remote_addr // .dst_addr // .remote) == $d
			and .sport == $p) | .packets] | add // 0' "$1"
}
snap() {
	P10=$(spine_rx 1 1) P20=$(spine_rx 2 1)
	SENT0=$(rxe_counter $RXE0 sent_pkts) RCVD0=$(rxe_counter $RXE1 rcvd_pkts)
	HRX0=$(h2_roce)
	OOS0=$(rxe_counter $RXE1 out_of_seq_request)
	flowplanctl -j counters show >/tmp/cnt0.json
}
delta() {
	local s
	P1=$(($(spine_rx 1 1) - P10)) P2=$(($(spine_rx 2 1) - P20))
	SENT=$(($(rxe_counter $RXE0 sent_pkts) - SENT0))
	RCVD=$(($(rxe_counter $RXE1 rcvd_pkts) - RCVD0))
	HRX=$(($(h2_roce) - HRX0))
	OOS=$(($(rxe_counter $RXE1 out_of_seq_request) - OOS0))
	flowplanctl -j counters show >/tmp/cnt1.json
	ON=0
	for s in $(tr , '\n' <<<"$1" | sort -u); do
		C[$s]=$(($(cnt /tmp/cnt1.json "$s") - $(cnt /tmp/cnt0.json "$s")))
		ON=$((ON + C[$s]))
	done
	log "  rxe0 sent $SENT, on the expected ports $ON; spine1 $P1, spine2 $P2; h2 RoCEv2 $HRX, rxe1 accepted $RCVD, out of sequence $OOS"
}

# expect NAME SPORTS...: every packet rxe0 sent went out on SPORTS (a
# port per QP, repeated when several QPs share it), each port carried its
# QPs' share, the spines carried what the ports lead to, nothing was lost.
expect() {
	local name=$1 ports=$2 min=$3 s n k want on1=0 u
	u=$(tr , '\n' <<<"$ports" | sort -u | tr '\n' , | sed 's/,$//')
	k=$(tr , '\n' <<<"$ports" | wc -l)
	[ "$SENT" -ge "$min" ] || fail "$name: rxe0 sent only $SENT packets"
	# rdma_cm's and perftest's own handshakes are a handful of packets.
	[ $((ON * 100)) -ge $((SENT * 97)) ] ||
		fail "$name: $ON of $SENT packets on the planned ports $u"
	for s in ${u//,/ }; do
		n=$(tr , '\n' <<<"$ports" | grep -cx "$s")
		want=$((ON * n / k))
		log "  $name: sport $s (spine $($PL_SPINE_OF "$s")): ${C[$s]} packets, planned $n of $k QPs"
		[ $((C[$s] * 100)) -ge $((want * 80)) ] &&
			[ $((C[$s] * 100)) -le $((want * 120)) ] ||
			fail "$name: sport $s carried ${C[$s]} of $ON packets, planned $n of $k"
		[ "$($PL_SPINE_OF "$s")" = 1 ] && on1=$((on1 + C[$s]))
	done
	# The spines agree with the ports (ARP and the like aside).
	[ $((P1 + 20)) -ge "$on1" ] && [ "$P1" -le $((on1 + SENT / 50 + 20)) ] ||
		fail "$name: spine 1 carried $P1 packets, its planned ports $on1"
	rxe1_accepted_all "$name" "$RCVD" "$HRX"
	# Several QPs under TCG: rxe1 drops a packet now and then and go-back-N
	# repairs it; a wrong port would lose everything (ICRC), not a few.
	[ $((OOS * 100)) -le "$SENT" ] ||
		fail "$name: $OOS packets out of sequence at rxe1"
}

# The QP numbers a perftest client printed, as "LQPN RQPN" lines.
perftest_qpns() {
	paste <(sed -n 's/.*local address:.* QPN \(0x[0-9a-f]*\).*/\1/p' "$1") \
		<(sed -n 's/.*remote address:.* QPN \(0x[0-9a-f]*\).*/\1/p' "$1")
}

# pinned_by_preload FILE N: the interposer's log shows N QPs pinned h1 -> h2
pinned_by_preload() {
	local n
	n=$(grep -c "$PL_SRC -> $PL_DST qp .*: subflow [0-9]*, label" "$1" || true)
	[ "$n" = "$2" ] || { cat "$1"; fail "the interposer pinned $n QPs, not $2"; }
}

