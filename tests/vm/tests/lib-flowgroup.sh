# lib-flowgroup: libflowplan over soft-RoCE through the two-leaf, two-spine
# ECMP fabric (tests/vm/lib/fabric.sh), plan from a file (no module needed).
#  1. test_lib_verbs (the library's verbs unit test) passes on rxe0.
#  2. fp_bw moves data h1 -> h2 over a flow group of 4 subflows, RDMA writes
#     and sends, verified byte for byte by the receiver; each subflow carries
#     the source port of its plan entry, and the spines carry the traffic the
#     plan puts on them: 2+2 subflows split it evenly, 3+1 three to one,
#     0+4 all on spine 2.
#     A plan change half way through a transfer re-pins the group (new QPs
#     on the other spine) without losing or corrupting a byte. The report
#     rings of a run, through fp_sched, give a schedule holding its bytes.
#  3. A spine loses its link to leaf 2 in the middle of a transfer: the
#     sender fails with a time-out within the library's deadline, the
#     receiver found no corrupt message, nothing hangs. Then a sender that
#     is alive but stuck (SIGSTOP, its socket open): the receiver's posted
#     receives fail with a time-out within its deadline instead of waiting.
#  4. With flowplan.ko loaded, the plan comes from the module over netlink,
#     and the module's per-port counters show each of the 4 subflows
#     carrying its share on its planned port. Without the module or
#     flowplanctl's plan set, the test skips (77) and says which is missing.
# Each run also checks that fp_group_query reports both ends' addresses and
# the local GID's index.
# FAM=6 (lib-flowgroup6.sh, which sources this file) runs 1, 2 and 4 on
# the fabric's IPv6 addresses (fabric_up6), so the QPs use rxe's IPv6
# RoCEv2 GIDs, the plans have IPv6 entries and the bootstrap runs over ::1
# (once over 127.0.0.1: the bootstrap's family is free). It adds: every
# RoCEv2 packet h1 sends (tcpdump on h1, IPv6) carries one of the plan's
# source ports and every planned port is seen. rxe writes flow label 0
# into the IPv6 header (6.1's prepare_ipv6_hdr) and derives the UDP source
# port from the GRH flow label: the port is what can be checked on the
# wire; the labels seen are logged. It leaves out what does not depend on
# the family or has no IPv6 form yet: the 0+4 plan, the schedule reports
# (test_lib_verbs checks the IPv6 record), the re-pin of writes, and 3.
# vm: timeout=500 mem=1536 smp=2
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

FAM=${FAM:-4}
command -v fp_bw >/dev/null || skip "fp_bw is not built"
[ "$FAM" = 4 ] || command -v tcpdump >/dev/null || skip "tcpdump is not in the image"
fabric_up
export FLOWPLAN_NO_NETLINK=1 FLOWPLAN_REPORT=0 FLOWPLAN_DEBUG=1
if [ "$FAM" = 6 ]; then
	fabric_up6
	log "IPv6 GIDs: $RXE0 $GID6_INDEX0, $RXE1 $GID6_INDEX1"
	A1=$H1_6 A2=$H2_6 GI0=$GID6_INDEX0 GI1=$GID6_INDEX1 BOOT=::1
	FINDER=sport_for_spine6
else
	A1=$H1 A2=$H2 GI0=$GID_INDEX GI1=$GID_INDEX BOOT=127.0.0.1
	FINDER=sport_for_spine
fi

# ---- 1. the verbs unit test, loopback on rxe0 (on its IPv6 GID for FAM=6);
# on the debug kernel its deadlines 8 times longer (FP_TEST_SLOW): its 3 MiB
# send ran out of the server's 5 s there
SLOW=1
! on_debug_kernel || SLOW=8
if command -v test_lib_verbs >/dev/null; then
	ASAN_OPTIONS=detect_leaks=0 FP_TEST_ADDR=$A1 FP_TEST_SLOW=$SLOW timeout $((200 * SLOW)) \
		test_lib_verbs ||
		fail "test_lib_verbs failed on $A1"
fi

# ---- calibration: the ECMP seed is random per boot
S1=$(sports_for 1 4 $FINDER) || fail "too few ports take spine 1"
S2=$(sports_for 2 4 $FINDER) || fail "too few ports take spine 2"
log "calibration (IPv$FAM): spine 1: $S1; spine 2: $S2"
first() { echo "$1" | cut -d, -f"$2"; }

# capture COUNT: tcpdump on h1 of h1's IPv6 RoCEv2 packets (headers only)
# into /tmp/cap.pcap, in the background (pid TD); returns once it listens.
capture() {
	rm -f /tmp/td.err /tmp/cap.pcap
	tcpdump -i h1 -nn -U -s 96 -c "$1" -w /tmp/cap.pcap \
		"ip6 and src $A1 and udp dst port 4791" 2>/tmp/td.err &
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
		c=$(tcpdump -r /tmp/cap.pcap -nn "udp src port $s and dst $A2" \
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

# The bw runs' message size: 1 MiB; on the debug kernel 960 KiB, so that no
# copy ends at the end of a receive buffer of whole MiB (one message: rxe's
# bug, rxe_window in common.sh), still split in 4 at 16 KiB and up.
MSG=1M
! on_debug_kernel || MSG=960K
# packets 48 messages must put on the spines: their data at rxe's MTU of
# 1024 bytes, less 1/128 (48 000 for 48 x 1 MiB; 45 000 for 960 KiB)
case $MSG in
*M) MSG_B=$((${MSG%M} << 20)) ;;
*K) MSG_B=$((${MSG%K} << 10)) ;;
esac
MIN_PK=$((MSG_B * 48 * 125 / (1024 * 128)))
# bw PLAN OP SIZE COUNT [extra args of both ends]: one fp_bw run h1 -> h2;
# the bootstrap runs over lo (BOOT, or BW_BOOT when set), the RDMA traffic
# over the fabric. A message's deadline counts from its post, so the last
# of a window of 16 x 1 MiB waits for the 15 MiB before it: on TCG on a
# loaded host that is more than fp_bw's 10 s. These runs check data and
# paths, not deadlines (part 3 does): 60 s, well within the run's 240 s,
# so a message that is lost still fails the run.
bw() {
	local plan=$1 op=$2 size=$3 count=$4 boot=${BW_BOOT:-$BOOT} w
	shift 4
	w=$(rxe_window 16 "$size")
	fp_bw -s -l $A2 -b "$boot" -P "$plan" -o "$op" -n "$size" -w "$w" \
		-c "$count" -u "$(ack_u)" -t 60000 "$@" >/tmp/srv 2>&1 &
	SRV=$!
	timeout 240 fp_bw -l $A1 -b "$boot" -P "$plan" -o "$op" -n "$size" -w "$w" \
		-c "$count" -u "$(ack_u)" -t 60000 "$@" $A2 >/tmp/cli 2>&1
	CLI_RC=$?
	wait $SRV
	SRV_RC=$?
}

# share PLAN_SPORTS OP EXPECT_PCT_SPINE1 TOLERANCE
share() {
	local sports=$1 op=$2 want=$3 tol=$4 s
	write_plan /tmp/plan.json 1 "$A1 $A2 0 false $sports" \
		"$A2 $A1 0 false $sports"
	spine_mark
	[ "$FAM" = 4 ] || capture 8000
	bw /tmp/plan.json "$op" $MSG 48 || true
	[ "$FAM" = 4 ] || capture_end
	cat /tmp/cli
	[ "$CLI_RC" = 0 ] || { cat /tmp/srv; fail "fp_bw client failed ($sports, $op)"; }
	[ "$SRV_RC" = 0 ] || { cat /tmp/srv; fail "fp_bw server failed ($sports, $op)"; }
	grep -q "fp_bw: verified" /tmp/srv || fail "server did not verify ($op)"
	# fp_group_query: both ends' addresses, the GID of the family.
	grep -q "fp_bw: $A1 -> $A2 on $RXE0 port 1 gid $GI0," /tmp/cli ||
		fail "the client's group does not report $A1 -> $A2 gid $GI0"
	grep -q "fp_bw: $A2 -> $A1 on $RXE1 port 1 gid $GI1," /tmp/srv ||
		fail "the server's group does not report $A2 -> $A1 gid $GI1"
	# Every subflow carries the port its plan entry names.
	for s in ${sports//,/ }; do
		grep -q "sport $s " /tmp/cli || fail "no subflow on sport $s"
	done
	[ "$(grep -c 'subflow [0-9]* qpn' /tmp/cli)" = 4 ] || fail "not 4 subflows"
	[ "$FAM" = 4 ] || wire_check "$sports"
	spine_share "$want" "$tol" $MIN_PK "plan $sports ($op, bootstrap ${BW_BOOT:-$BOOT})"
}

# ---- 2. data verified, paths as planned
share "$(first $S1 1),$(first $S1 2),$(first $S2 1),$(first $S2 2)" write 50 8
# (this one finds the device by its GID table instead of rdma_cm)
FLOWPLAN_NO_RDMA_CM=1 share "$(first $S1 1),$(first $S1 2),$(first $S2 1),$(first $S2 2)" send 50 8
grep -q "from GID tables" /tmp/cli || fail "the GID table path was not taken"
if [ "$FAM" = 4 ]; then
	share "$(first $S1 1),$(first $S1 2),$(first $S1 3),$(first $S2 1)" write 75 8
else
	# (an IPv4 bootstrap for an IPv6 group)
	BW_BOOT=127.0.0.1 share "$(first $S1 1),$(first $S1 2),$(first $S1 3),$(first $S2 1)" write 75 8
fi
[ "$FAM" = 6 ] || share "$S2" send 0 2

# Schedule reports from real traffic: both ends' rings (kept after exit)
# make a schedule that holds the 48 messages h1 sent h2, counted once (IPv4).
if [ "$FAM" = 4 ]; then
	rm -rf /tmp/rep
	mkdir /tmp/rep
	FLOWPLAN_REPORT=1 FLOWPLAN_REPORT_KEEP=1 FLOWPLAN_REPORT_DIR=/tmp/rep \
		share "$(first $S1 1),$(first $S1 2),$(first $S2 1),$(first $S2 2)" send 50 8
	[ "$(ls /tmp/rep | wc -l)" = 2 ] || fail "expected 2 report rings: $(ls /tmp/rep)"
	fp_sched /tmp/rep/flowplan-* >/tmp/sched.json || fail "fp_sched failed"
	jq -e '.format == "flowplan-schedule" and .version == 1' /tmp/sched.json >/dev/null ||
		fail "fp_sched did not write a schedule"
	sent=$(jq "[.phases[].flows[] | select(.src == \"$H1\" and .dst == \"$H2\") | .bytes] | add" /tmp/sched.json)
	log "reports: $(jq '.phases | length' /tmp/sched.json) phases, $sent bytes h1 -> h2"
	[ "$sent" = $((48 * MSG_B)) ] || fail "the schedule has $sent bytes h1 -> h2, not 48 x $MSG"
fi

# A new plan half way: all 4 subflows move from spine 1 to spine 2.
[ "$FAM" = 4 ] && OPS="send write" || OPS=send
for op in $OPS; do
	write_plan /tmp/plan.json 1 "$A1 $A2 0 false $S1" "$A2 $A1 0 false $S1"
	write_plan /tmp/plan2.json 2 "$A1 $A2 0 false $S2" "$A2 $A1 0 false $S2"
	a=$(spine_rx 1 1) b=$(spine_rx 2 1)
	bw /tmp/plan.json $op $MSG 48 -R /tmp/plan2.json || true
	p1=$(($(spine_rx 1 1) - a)) p2=$(($(spine_rx 2 1) - b))
	cat /tmp/cli
	[ "$CLI_RC" = 0 ] && [ "$SRV_RC" = 0 ] ||
		{ cat /tmp/srv; fail "fp_bw with a re-pin failed ($op)"; }
	grep -q "fp_bw: verified" /tmp/srv || fail "server did not verify ($op)"
	grep -q "re-pinned" /tmp/cli || fail "client did not re-pin"
	grep -q "re-pinned" /tmp/srv || fail "server did not re-pin"
	for s in ${S2//,/ }; do
		grep -q "sport $s " /tmp/cli || fail "no subflow on sport $s after the re-pin"
	done
	pct=$((p1 * 100 / (p1 + p2)))
	log "re-pin ($op): spine1 $p1, spine2 $p2 packets: $pct% before the re-pin (want 50 +- 8)"
	[ $pct -ge 42 ] && [ $pct -le 58 ] ||
		fail "spine 1 carried $pct%; half the messages were planned there"
done

# ---- 3. a spine link goes down mid-transfer (IPv4)
# A window of 16 x 256 KiB, whose last message waits 4 MiB for its turn;
# 4 on the debug kernel: rxe moves under 1 MB/s there, where the later
# messages of 16 outlive the 5 s deadline before the link goes down (the
# likely cause of 2026-12-02's "no traffic on spine 1" there; the
# client's output was not kept, the failure says its last lines since).
W3=16
! on_debug_kernel || W3=4
if [ "$FAM" = 4 ]; then
	write_plan /tmp/plan.json 1 \
		"$H1 $H2 0 false $(first $S1 1),$(first $S1 2),$(first $S2 1),$(first $S2 2)" \
		"$H2 $H1 0 false $(first $S1 1),$(first $S1 2),$(first $S2 1),$(first $S2 2)"
	fp_bw -s -l $H2 -b 127.0.0.1 -P /tmp/plan.json -o send -n 256K -c 100000 \
		-w "$(rxe_window $W3 256K)" -u "$(ack_u)" >/tmp/srv 2>&1 &
	SRV=$!
	timeout 120 fp_bw -l $H1 -b 127.0.0.1 -P /tmp/plan.json -o send -n 256K \
		-w "$(rxe_window $W3 256K)" -c 100000 -u "$(ack_u)" -t 5000 $H2 >/tmp/cli 2>&1 &
	CLI=$!
	a=$(spine_rx 1 1)
	moving() { [ $(($(spine_rx 1 1) - a)) -gt 2000 ]; }
	poll 60 moving || fail "no traffic on spine 1: $(tail -2 /tmp/cli | tr '\n' ' ')"
	ip -n spine1 link set s1-l2 down
	log "spine1 - leaf2 link down"
	t0=$(cut -d. -f1 /proc/uptime)
	CLI_RC=0 SRV_RC=0
	wait $CLI || CLI_RC=$?
	t1=$(cut -d. -f1 /proc/uptime)
	srv_done() {	# exited (a zombie until waited for)
		[ ! -e /proc/$SRV ] || grep -q '^[0-9]* ([^)]*) Z' /proc/$SRV/stat
	}
	poll 60 srv_done || fail "server hangs after the client left"
	wait $SRV || SRV_RC=$?
	cat /tmp/cli /tmp/srv
	[ "$CLI_RC" != 124 ] || fail "client hung"
	[ "$CLI_RC" != 0 ] || fail "client did not notice the dead path"
	grep -q "timed out" /tmp/cli || fail "client failed without a time-out status"
	grep -q "corrupt 0" /tmp/srv || fail "server saw corrupt data"
	[ $((t1 - t0)) -le 40 ] || fail "client took $((t1 - t0)) s to fail"
	log "client failed after $((t1 - t0)) s; server: $(grep -o 'send [0-9]* x' /tmp/srv) verified before"
	# Back up; the route the link took down with it comes back by hand.
	ip -n spine1 link set s1-l2 up
	ip -n spine1 route replace 10.0.2.0/24 via 10.12.1.1

	# The sender stops (alive, bootstrap socket open, nothing sent any more):
	# the receiver (deadline 4 s; its window of 16 x 64 KiB receives fills far
	# sooner) must fail its receives with a time-out, not wait for a peer that
	# never closes. Spine 2 only, untouched above.
	write_plan /tmp/plan.json 1 "$H1 $H2 0 false $S2" "$H2 $H1 0 false $S2"
	fp_bw -s -l $H2 -b 127.0.0.1 -P /tmp/plan.json -o send -n 64K -c 1000000 \
		-w "$(rxe_window 16 64K)" -u "$(ack_u)" -t 4000 >/tmp/srv 2>&1 &
	SRV=$!
	fp_bw -l $H1 -b 127.0.0.1 -P /tmp/plan.json -o send -n 64K -c 1000000 \
		-w "$(rxe_window 16 64K)" -u "$(ack_u)" $H2 >/tmp/cli 2>&1 &
	CLI=$!
	b=$(spine_rx 2 1)
	moving2() { [ $(($(spine_rx 2 1) - b)) -gt 2000 ]; }
	poll 60 moving2 || { kill -KILL $CLI; fail "no traffic on spine 2"; }
	srv_done && { kill -KILL $CLI; cat /tmp/srv; fail "receiver failed before the sender stopped"; }
	kill -STOP $CLI
	log "sender stopped"
	t0=$(cut -d. -f1 /proc/uptime)
	SRV_RC=0
	poll 60 srv_done || { kill -KILL $CLI; fail "receiver hangs on a stopped sender"; }
	t1=$(cut -d. -f1 /proc/uptime)
	wait $SRV || SRV_RC=$?
	kill -KILL $CLI
	wait $CLI || true
	cat /tmp/srv
	[ "$SRV_RC" != 0 ] || fail "receiver did not notice the stopped sender"
	grep -q "timed out" /tmp/srv || fail "receiver failed without a time-out status"
	grep -q "corrupt 0" /tmp/srv || fail "receiver saw corrupt data"
	[ $((t1 - t0)) -le 20 ] || fail "receiver took $((t1 - t0)) s to fail"
	log "receiver failed $((t1 - t0)) s after the sender stopped"
fi

# ---- 4. the plan from the module
# Without them the test has not shown what it says: it skips, not passes.
dmesg_clean || fail "kernel warnings before the module was loaded"
need_module
need_ctl plan set delete
need_ctl counters show
fp_load
P4="$(first $S1 1),$(first $S1 2),$(first $S2 1),$(first $S2 2)"
write_plan /tmp/plan.json 5 "$A1 $A2 0 false $P4" "$A2 $A1 0 false $P4"
flowplanctl plan set /tmp/plan.json
unset FLOWPLAN_NO_NETLINK
declare -A C0 C
for s in ${P4//,/ }; do C0[$s]=$(counter_packets $A2 $s); done
a=$(spine_rx 1 1) b=$(spine_rx 2 1)
bw "" write $MSG 48 || true
p1=$(($(spine_rx 1 1) - a)) p2=$(($(spine_rx 2 1) - b))
cat /tmp/cli
[ "$CLI_RC" = 0 ] && [ "$SRV_RC" = 0 ] || { cat /tmp/srv; fail "fp_bw failed with the module's plan"; }
grep -q "fp_bw: verified" /tmp/srv || fail "server did not verify (module's plan)"
grep -q "plan netlink gen 5" /tmp/cli || fail "the plan did not come from the module"
total=0
for s in ${P4//,/ }; do
	C[$s]=$(($(counter_packets $A2 $s) - C0[$s]))
	total=$((total + C[$s]))
done
[ "$total" -ge $MIN_PK ] || fail "the module counted $total packets to $A2, not the 48 messages"
for s in ${P4//,/ }; do
	log "module counter: $A2 sport $s carried ${C[$s]} of $total packets"
	[ $((C[$s] * 100)) -ge $((total * 20)) ] && [ $((C[$s] * 100)) -le $((total * 30)) ] ||
		fail "subflow on sport $s carried ${C[$s]} of $total packets, planned a quarter"
done
pct=$((p1 * 100 / (p1 + p2)))
[ $pct -ge 42 ] && [ $pct -le 58 ] || fail "spine 1 carried $pct%, planned 50%"
flowplanctl plan delete
fp_unload
dmesg_clean
