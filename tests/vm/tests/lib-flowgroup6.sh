# lib-flowgroup6: lib-flowgroup's IPv6 twin. The fabric also carries IPv6
# (fabric_up6) and a flow group runs between h1's and h2's IPv6 addresses,
# so its QPs use rxe's IPv6 RoCEv2 GIDs; plan from a file with IPv6 entries.
#  0. test_lib_verbs passes on rxe0's IPv6 GID (writes, sends, re-pin,
#     deadlines, a remote access error; the report record's IPv6 endpoints).
#  1. fp_bw moves data h1 -> h2 over 4 subflows, RDMA writes and sends,
#     verified byte for byte by the receiver; fp_group_query reports both
#     IPv6 addresses and the IPv6 GID's index; every RoCEv2 packet h1 sends
#     (tcpdump on h1, IPv6) carries one of the plan's source ports, every
#     planned port is seen, and the spines carry what the plan puts on them
#     (2+2 evenly, 3+1 three to one). Bootstrap over ::1, once over
#     127.0.0.1 (the bootstrap's family is free), once the device found by
#     its GID table instead of rdma_cm.
#  2. A plan change half way re-pins the group onto the other spine without
#     losing or corrupting a byte.
#  3. With flowplan.ko loaded, the IPv6 plan comes from the module over
#     netlink and the module's counters, keyed by h2's IPv6 address, show
#     each subflow carrying its quarter on its planned port.
# rxe writes flow label 0 into the IPv6 header (6.1's prepare_ipv6_hdr)
# and derives the UDP source port from the GRH flow label: the port is what
# this test can check on the wire; the labels seen are logged.
# vm: timeout=500 mem=1536 smp=2
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

command -v fp_bw >/dev/null || skip "fp_bw is not built"
command -v tcpdump >/dev/null || skip "tcpdump is not in the image"
fabric_up
fabric_up6
log "IPv6 GIDs: $RXE0 $GID6_INDEX0, $RXE1 $GID6_INDEX1"
export FLOWPLAN_NO_NETLINK=1 FLOWPLAN_REPORT=0 FLOWPLAN_DEBUG=1

# ---- 0. the verbs unit test, loopback on rxe0's IPv6 GID
if command -v test_lib_verbs >/dev/null; then
	ASAN_OPTIONS=detect_leaks=0 FP_TEST_ADDR=$H1_6 timeout 200 test_lib_verbs ||
		fail "test_lib_verbs failed on $H1_6"
fi

# ---- calibration: the ECMP seed is random per boot
S1=$(sports_for 1 4 sport_for_spine6) || fail "too few ports take spine 1 on IPv6"
S2=$(sports_for 2 4 sport_for_spine6) || fail "too few ports take spine 2 on IPv6"
log "calibration (IPv6): spine 1: $S1; spine 2: $S2"
first() { echo "$1" | cut -d, -f"$2"; }

# capture COUNT: tcpdump on h1 of h1's IPv6 RoCEv2 packets (headers only)
# into /tmp/cap.pcap, in the background (pid TD); returns once it listens.
capture() {
	rm -f /tmp/td.err /tmp/cap.pcap
	tcpdump -i h1 -nn -U -s 96 -c "$1" -w /tmp/cap.pcap \
		"ip6 and src $H1_6 and udp dst port 4791" 2>/tmp/td.err &
	TD=$!
	poll 30 grep -q 'listening on' /tmp/td.err ||
		fail "tcpdump did not start: $(cat /tmp/td.err)"
}

# capture_end: tcpdump stops by itself at its count (the runs send far
# more); stopped after a generous minute if it has fewer.
capture_end() {
	poll 60 bash -c "! kill -0 $TD 2>/dev/null" || kill -INT $TD 2>/dev/null || true
	wait $TD || true
}

# wire_check SPORTS: every captured packet carries one of SPORTS, each of
# SPORTS is seen, and the packets went h1 -> h2 over IPv6.
wire_check() {
	local sports=$1 n s c other labels
	n=$(tcpdump -r /tmp/cap.pcap -nn 2>/dev/null | wc -l)
	[ "$n" -ge 4000 ] || fail "captured only $n IPv6 RoCEv2 packets"
	other=$n
	for s in ${sports//,/ }; do
		c=$(tcpdump -r /tmp/cap.pcap -nn "udp src port $s and dst $H2_6" \
			2>/dev/null | wc -l)
		log "  on the wire: sport $s in $c of $n packets"
		[ "$c" -gt 0 ] || fail "no packet on the wire with sport $s"
		other=$((other - c))
	done
	labels=$(tcpdump -r /tmp/cap.pcap -nn -v 2>/dev/null |
		{ grep -o 'flowlabel 0x[0-9a-f]*' || true; } | sort | uniq -c |
		tr -s ' \n' ' ')
	log "  IPv6 flow labels seen: ${labels:-all 0}"
	[ "$other" = 0 ] || {
		tcpdump -r /tmp/cap.pcap -nn -c 5 \
			"not udp src port ${sports//,/ and not udp src port }" 2>/dev/null
		fail "$other of $n packets left h1 on a port the plan does not name"
	}
}

# bw PLAN OP SIZE COUNT BOOT [extra args of both ends]: one fp_bw run
# h1 -> h2 over IPv6 (bootstrap over BOOT), outputs /tmp/srv, /tmp/cli.
bw() {
	local plan=$1 op=$2 size=$3 count=$4 boot=$5
	shift 5
	fp_bw -s -l $H2_6 -b "$boot" -P "$plan" -o "$op" -n "$size" \
		-c "$count" -u 18 "$@" >/tmp/srv 2>&1 &
	SRV=$!
	timeout 240 fp_bw -l $H1_6 -b "$boot" -P "$plan" -o "$op" -n "$size" \
		-c "$count" -u 18 "$@" $H2_6 >/tmp/cli 2>&1
	CLI_RC=$?
	wait $SRV
	SRV_RC=$?
}

# share SPORTS OP EXPECT_PCT_SPINE1 TOLERANCE [BOOT]
share() {
	local sports=$1 op=$2 want=$3 tol=$4 boot=${5:-::1} p1 p2 a b pct s
	write_plan /tmp/plan.json 1 "$H1_6 $H2_6 0 false $sports" \
		"$H2_6 $H1_6 0 false $sports"
	a=$(spine_rx 1 1) b=$(spine_rx 2 1)
	capture 8000
	bw /tmp/plan.json "$op" 1M 48 "$boot" || true
	capture_end
	p1=$(($(spine_rx 1 1) - a)) p2=$(($(spine_rx 2 1) - b))
	cat /tmp/cli
	[ "$CLI_RC" = 0 ] || { cat /tmp/srv; fail "fp_bw client failed ($sports, $op)"; }
	[ "$SRV_RC" = 0 ] || { cat /tmp/srv; fail "fp_bw server failed ($sports, $op)"; }
	grep -q "fp_bw: verified" /tmp/srv || fail "server did not verify ($op)"
	# fp_group_query: both ends' IPv6 addresses, the IPv6 GID.
	grep -q "fp_bw: $H1_6 -> $H2_6 on $RXE0 port 1 gid $GID6_INDEX0," /tmp/cli ||
		fail "the client's group does not report $H1_6 -> $H2_6 gid $GID6_INDEX0"
	grep -q "fp_bw: $H2_6 -> $H1_6 on $RXE1 port 1 gid $GID6_INDEX1," /tmp/srv ||
		fail "the server's group does not report $H2_6 -> $H1_6 gid $GID6_INDEX1"
	for s in ${sports//,/ }; do
		grep -q "sport $s " /tmp/cli || fail "no subflow on sport $s"
	done
	[ "$(grep -c 'subflow [0-9]* qpn' /tmp/cli)" = 4 ] || fail "not 4 subflows"
	wire_check "$sports"
	pct=$((p1 * 100 / (p1 + p2)))
	log "plan $sports ($op, bootstrap $boot): spine1 $p1, spine2 $p2 packets: $pct% on spine 1 (want $want +- $tol)"
	[ $((p1 + p2)) -ge 48000 ] || fail "too few packets crossed the spines"
	[ $pct -ge $((want - tol)) ] && [ $pct -le $((want + tol)) ] ||
		fail "spine 1 carried $pct%, the plan puts $want% there"
}

# ---- 1. data verified, paths as planned, on the wire
P22="$(first $S1 1),$(first $S1 2),$(first $S2 1),$(first $S2 2)"
share "$P22" write 50 8
# (the device found by its GID table, the IPv6 GID, instead of rdma_cm)
FLOWPLAN_NO_RDMA_CM=1 share "$P22" send 50 8
grep -q "from GID tables" /tmp/cli || fail "the GID table path was not taken"
# (an IPv4 bootstrap for an IPv6 group)
share "$(first $S1 1),$(first $S1 2),$(first $S1 3),$(first $S2 1)" write 75 8 127.0.0.1

# ---- 2. a new plan half way: all 4 subflows move from spine 1 to spine 2
write_plan /tmp/plan.json 1 "$H1_6 $H2_6 0 false $S1" "$H2_6 $H1_6 0 false $S1"
write_plan /tmp/plan2.json 2 "$H1_6 $H2_6 0 false $S2" "$H2_6 $H1_6 0 false $S2"
a=$(spine_rx 1 1) b=$(spine_rx 2 1)
bw /tmp/plan.json send 1M 48 ::1 -R /tmp/plan2.json || true
p1=$(($(spine_rx 1 1) - a)) p2=$(($(spine_rx 2 1) - b))
cat /tmp/cli
[ "$CLI_RC" = 0 ] && [ "$SRV_RC" = 0 ] ||
	{ cat /tmp/srv; fail "fp_bw with a re-pin failed"; }
grep -q "fp_bw: verified" /tmp/srv || fail "server did not verify after the re-pin"
grep -q "re-pinned" /tmp/cli || fail "client did not re-pin"
grep -q "re-pinned" /tmp/srv || fail "server did not re-pin"
for s in ${S2//,/ }; do
	grep -q "sport $s " /tmp/cli || fail "no subflow on sport $s after the re-pin"
done
pct=$((p1 * 100 / (p1 + p2)))
log "re-pin: spine1 $p1, spine2 $p2 packets: $pct% before the re-pin (want 50 +- 8)"
[ $pct -ge 42 ] && [ $pct -le 58 ] ||
	fail "spine 1 carried $pct%; half the messages were planned there"

# ---- 3. the IPv6 plan from the module
dmesg_clean || fail "kernel warnings before the module was loaded"
need_module
need_ctl plan set delete
need_ctl counters show
fp_load
write_plan /tmp/plan.json 5 "$H1_6 $H2_6 0 false $P22" "$H2_6 $H1_6 0 false $P22"
flowplanctl plan set /tmp/plan.json
unset FLOWPLAN_NO_NETLINK
declare -A C0 C
for s in ${P22//,/ }; do C0[$s]=$(counter_packets $H2_6 $s); done
a=$(spine_rx 1 1) b=$(spine_rx 2 1)
bw "" write 1M 48 ::1 || true
p1=$(($(spine_rx 1 1) - a)) p2=$(($(spine_rx 2 1) - b))
cat /tmp/cli
[ "$CLI_RC" = 0 ] && [ "$SRV_RC" = 0 ] || { cat /tmp/srv; fail "fp_bw failed with the module's plan"; }
grep -q "fp_bw: verified" /tmp/srv || fail "server did not verify (module's plan)"
grep -q "plan netlink gen 5" /tmp/cli || fail "the IPv6 plan did not come from the module"
total=0
for s in ${P22//,/ }; do
	C[$s]=$(($(counter_packets $H2_6 $s) - C0[$s]))
	total=$((total + C[$s]))
done
[ "$total" -ge 48000 ] || fail "the module counted $total packets to $H2_6, not the 48 MiB"
for s in ${P22//,/ }; do
	log "module counter: $H2_6 sport $s carried ${C[$s]} of $total packets"
	[ $((C[$s] * 100)) -ge $((total * 20)) ] && [ $((C[$s] * 100)) -le $((total * 30)) ] ||
		fail "subflow on sport $s carried ${C[$s]} of $total packets, planned a quarter"
done
pct=$((p1 * 100 / (p1 + p2)))
[ $pct -ge 42 ] && [ $pct -le 58 ] || fail "spine 1 carried $pct%, planned 50%"
flowplanctl plan delete
fp_unload
dmesg_clean
