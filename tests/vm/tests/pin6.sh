# pin6: pin's IPv6 twin. The fabric also carries IPv6 (fabric_up6), rxe0
# and rxe1 talk over their IPv6 RoCEv2 GIDs, and an unmodified ib_write_bw
# (flow label 0, rxe's own port) is moved by an enforcing IPv6 plan entry
# (set over netlink with 16-byte addresses, fp-nlplan) onto the planned
# UDP source port AND the planned flow label, for each spine in turn:
# every RoCEv2 packet h1 sends carries both (tcpdump on h1), >90% cross the
# planned spine, rxe1 accepts them all (ICRC right after the rewrite; the
# module checks every update against a full ICRC, icrc_check=1), nothing
# arrives out of sequence, and the module counts them under the IPv6
# destination. The plan dumps with 16-byte addresses; an IPv4-mapped address
# and mixed families are refused with their extack. Prints a few packets
# as rxe sent them, unpinned and pinned (hex), for the KUnit tests.
# vm: timeout=420
. /tests/lib/common.sh
. /tests/lib/fabric.sh

need_module
fabric_up
fabric_up6
h2_roce_up
log "IPv6 GIDs: $RXE0 $GID6_INDEX0, $RXE1 $GID6_INDEX1"
fp_load

rxe() { rxe_counter "$1" "$2"; }

# counter6 SPORT [FIELD]: the module's count for h2's IPv6 address.
counter6() {
	fp-nlplan counters | awk -v d="$H2_6" -v p="$1" -v f="${2:-packets}" '
		$1 == d && $2 == p {
			print (f == "packets" ? $3 : f == "bytes" ? $4 : $5); n++ }
		END { if (!n) print 0 }'
}

# capture FILE COUNT: tcpdump on h1 of h1's RoCEv2 packets over IPv6, in
# the background (pid TD); returns once it listens.
capture() {
	rm -f /tmp/td.err
	tcpdump -i h1 -nn -U -c "$2" -w "$1" \
		"ip6 and src $H1_6 and udp dst port 4791" 2>/tmp/td.err &
	TD=$!
	poll 20 grep -q 'listening on' /tmp/td.err ||
		fail "tcpdump did not start: $(cat /tmp/td.err)"
}

# capture_end: wait for tcpdump to have its count (it writes as it goes,
# -U); stop it after a generous minute if it has fewer.
capture_end() {
	poll 60 bash -c "! kill -0 $TD 2>/dev/null" || kill -INT $TD 2>/dev/null || true
	wait $TD || true
}

# Refusals, from the real kernel's policy.
expect_fail fp-nlplan raw 1 00000000000000000000ffffc0a80001 c0a80002
echo "$OUTPUT"
case $OUTPUT in
*"IPv4-mapped IPv6 address: send IPv4 as 4 bytes"*) ;;
*) fail "IPv4-mapped address: $OUTPUT" ;;
esac
expect_fail fp-nlplan set 1 $H1_6 10.0.2.1 49153 1
echo "$OUTPUT"
case $OUTPUT in
*"local and remote address of different families"*) ;;
*) fail "mixed families: $OUTPUT" ;;
esac
expect_fail fp-nlplan raw 1 fd000001000000000000000000 fd00
case $OUTPUT in
*"an address is 4 bytes (IPv4) or 16 (IPv6)"*) ;;
*) fail "13-byte address: $OUTPUT" ;;
esac

# rxe's own packets, no plan: the bytes, for the KUnit tests.
capture /tmp/raw.pcap 4
bw_run6 -s 1024 -n 20
capture_end
log "rxe's IPv6 RoCEv2 packets, unpinned (ethernet frames):"
tcpdump -r /tmp/raw.pcap -nn -v -xx -c 3 2>/dev/null
own=$(bw_sport /tmp/cli)

declare -A SPORT
SPORT[1]=$(sport_for_spine6 1) || fail "no source port takes spine 1 on IPv6"
SPORT[2]=$(sport_for_spine6 2) || fail "no source port takes spine 2 on IPv6"
log "calibration: sport ${SPORT[1]} -> spine 1, sport ${SPORT[2]} -> spine 2 (rxe's own $own)"

gen=1
for spine in 1 2; do
	gen=$((gen + 1))
	sp=${SPORT[$spine]} other=$((3 - spine))
	label=$((0xabc00 + spine))
	fp-nlplan set $gen $H1_6 $H2_6 "$sp" "$label"
	fp-nlplan get | tee /tmp/plan.txt
	grep -F "$H1_6 $H2_6 0 1 $sp/$(printf '%#x' $label) len 16/16" \
		/tmp/plan.txt >/dev/null || fail "the plan does not dump as set"

	m0=$(counter6 "$sp") r0=$(counter6 "$sp" rewritten)
	p0=$(spine_rx $spine 1) o0=$(spine_rx $other 1)
	h0=$(h2_roce) rcvd0=$(rxe $RXE1 rcvd_pkts)
	oos0=$(rxe $RXE1 out_of_seq_request)

	capture /tmp/pin.pcap 400
	bw_run6 -s 65536 -n 100
	# 100 x 64 KiB at MTU 1024: 6400 packets, far more than 400.
	capture_end

	m=$(($(counter6 "$sp") - m0))
	rw=$(($(counter6 "$sp" rewritten) - r0))
	p=$(($(spine_rx $spine 1) - p0)) o=$(($(spine_rx $other 1) - o0))
	h=$(($(h2_roce) - h0)) rcvd=$(($(rxe $RXE1 rcvd_pkts) - rcvd0))
	oos=$(($(rxe $RXE1 out_of_seq_request) - oos0))
	n=$(tcpdump -r /tmp/pin.pcap -nn 2>/dev/null | wc -l)
	good=$(tcpdump -r /tmp/pin.pcap -nn \
		"udp src port $sp and ip6[0:4] & 0xfffff = $label" 2>/dev/null | wc -l)
	log "plan: spine $spine sport $sp label $(printf '%#x' $label) (generation $gen)"
	log "  on h1: $good of $n captured packets with the planned port and label"
	log "  spine$spine rx from leaf1 $p, spine$other $o; module: $m packets, $rw rewritten"
	log "  h2 RoCEv2 $h, rxe1 rcvd $rcvd, out of seq $oos"
	if [ "$spine" = 1 ]; then
		log "pinned IPv6 RoCEv2 packets (ethernet frames):"
		tcpdump -r /tmp/pin.pcap -nn -v -xx -c 3 2>/dev/null
	fi

	[ "$n" -ge 400 ] || fail "captured only $n packets"
	[ "$good" = "$n" ] || {
		tcpdump -r /tmp/pin.pcap -nn -v -c 5 \
			"not (udp src port $sp and ip6[0:4] & 0xfffff = $label)" 2>/dev/null
		fail "$((n - good)) of $n packets left without the planned port and label"
	}
	[ $((p + o)) -ge 6400 ] || fail "too few packets crossed the spines"
	[ $((p * 100)) -gt $(((p + o) * 90)) ] ||
		fail "only $p of $((p + o)) packets took planned spine $spine"
	rxe1_accepted_all "spine $spine" "$rcvd" "$h"
	in_sequence "$oos"	# not judged on the debug kernel: see there
	# Counted under the IPv6 destination, within 1% of what the spine
	# carried (plus neighbour discovery).
	diff=$((m > p ? m - p : p - m))
	[ $((diff * 100)) -le $((p + 100)) ] ||
		fail "module counted $m packets on sport $sp, spine$spine carried $p"
	[ "$own" = "$sp" ] || [ "$rw" -ge $((m * 99 / 100)) ] ||
		fail "only $rw of $m packets were rewritten to $sp"
done

fp-nlplan counters | tee /tmp/counters.txt
fp-nlplan del
fp_unload
