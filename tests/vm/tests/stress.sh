# stress: two vCPUs, bounded in time (60 s a phase, 30 s on the debug
# kernel). Soft-RoCE traffic h1 -> h2 that the module pins and rewrites,
# checked byte for byte (fp_bw sends, the receiver verifies every message),
# in both families on a dual-stack fabric (fabric_up6): the runs alternate
# between the IPv4 and the IPv6 addresses (rxe's IPv4 and IPv6 RoCEv2
# GIDs), and every plan holds an enforcing entry of each family (IPv4 only
# where the kernel cannot route IPv6 through the fabric, fabric_has6). It
# runs while
#  - three processes replace the plan in 1 to 3 parts as fast as the module
#    takes them, pinning both flows to one spine then the other, with IPv4
#    and IPv6 filler entries, and delete it now and then (fp-nlseq -S);
#  - network namespaces are made, given a plan and destroyed, in a loop;
#  - fabric links flap (each spine's link from leaf1, down a moment) and an
#    rxe device on a veth comes and goes and its link flaps (device and link
#    events);
# then while the module is unloaded and loaded again in a loop. Every run of
# fp_bw completes with every byte right, and the kernel says nothing (no
# warning, oops, KASAN, lockdep or RCU report; on the debug kernel no leak).
# vm: timeout=400 smp=2
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

need_module
need_ctl plan set delete
command -v fp_bw >/dev/null || skip "fp_bw is not built"
command -v fp-nlseq >/dev/null || skip "fp-nlseq is not built"
T=60
# fp_bw's window W (its send buffer is W x 64 KiB) and QP ACK time-out
# exponent U, as common.sh's rxe_window and ack_u give them. On the debug
# kernel:
#  - W=15: 16 x 64 KiB is 256 pages, exactly one of rxe's page maps, and
#    6.1's rxe_mr_copy (rxe's bug, not flowplan's) steps to the next map
#    after a map's last page even when the copy is done: every message from
#    the last slot reads one pointer past the MR's map array, which KASAN
#    reports (slab-out-of-bounds in rxe_mr_copy from rxe_requester) and
#    which stops the test. 15 slots (240 pages) never end on a map boundary.
#  - U=20 (4.3 s, not 1.1 s): under KASAN and lockdep on TCG with the churn
#    below, an ACK can take longer than 1 s seven times running and the QP
#    ends in a retry error. A retry loses nothing (every byte is still
#    verified by the receiver); it only says the kernel is slow.
W=$(rxe_window 16 64K) U=$(ack_u)
! on_debug_kernel || T=30
fabric_up
S1=$(sport_for_spine 1) || fail "no source port takes spine 1"
S2=$(sport_for_spine 2) || fail "no source port takes spine 2"
# SIX: the IPv6 half; BW6, PIN6, SEQ6, NS6: what it adds to the plans,
# fp-nlseq's pins and the namespaces' plan set.
SIX=0 BW6=() PIN6=() SEQ6=() NS6=()
if fabric_has6; then
	fabric_up6
	S1_6=$(sport_for_spine6 1) || fail "no source port takes spine 1 (IPv6)"
	S2_6=$(sport_for_spine6 2) || fail "no source port takes spine 2 (IPv6)"
	SIX=1
	BW6=("$H1_6 $H2_6 0 false 49200" "$H2_6 $H1_6 0 false 49200")
	PIN6=("$H1_6 $H2_6 0 true $S1_6")
	SEQ6=(-P "$H1_6 $H2_6 $S1_6,$S2_6")
	NS6=(local "$H1_6")
else
	log "no IPv6 policy routing in this kernel: IPv4 only"
fi
fp_load
export FLOWPLAN_NO_NETLINK=1 FLOWPLAN_REPORT=0
# fp_bw's own plan puts its QP on port 49200 (label 48), which the module's
# entry does not name: every packet h1 -> h2 is rewritten.
write_plan /tmp/bw.json 1 "$H1 $H2 0 false 49200" "$H2 $H1 0 false 49200" \
	"${BW6[@]}"
write_plan /tmp/pin.json 1 "$H1 $H2 0 true $S1" "${PIN6[@]}"
flowplanctl plan set /tmp/pin.json

runs=0 runs6=0 bytes=0
# stress_diag: for a failed run, when each run and each flap began (uptime
# seconds), then the fabric's state.
stress_diag() {
	echo "--- runs, flaps (uptime s)"
	sort -n /tmp/runs.log /tmp/flap.log 2>/dev/null | tail -20 || true
	fabric_diag
}
# traffic_until END: fp_bw runs of 64 x 64 KiB until time END, every
# other one over IPv6; each must complete and be verified.
traffic_until() {
	local a1 a2 fam
	while [ "$(date +%s)" -lt "$1" ]; do
		if [ $SIX = 1 ] && [ $((runs % 2)) = 1 ]; then
			a1=$H1_6 a2=$H2_6 fam=IPv6
			runs6=$((runs6 + 1))
		else
			a1=$H1 a2=$H2 fam=IPv4
		fi
		fp_bw -s -l $a2 -b 127.0.0.1 -P /tmp/bw.json -o send -n 64K \
			-c 64 -w "$W" -u "$U" -t 60000 >/tmp/srv 2>&1 &
		local srv=$!
		echo "$(cut -d' ' -f1 /proc/uptime) run $runs $fam" >>/tmp/runs.log
		timeout 180 fp_bw -l $a1 -b 127.0.0.1 -P /tmp/bw.json -o send \
			-n 64K -c 64 -w "$W" -u "$U" -t 60000 $a2 >/tmp/cli 2>&1 ||
			{ cat /tmp/cli /tmp/srv; stress_diag
			  fail "fp_bw failed (run $runs, $fam)"; }
		wait $srv || { cat /tmp/srv; fail "fp_bw server failed (run $runs, $fam)"; }
		grep -q "fp_bw: verified" /tmp/srv ||
			{ cat /tmp/srv; fail "the receiver did not verify run $runs ($fam)"; }
		runs=$((runs + 1))
		bytes=$((bytes + 64 * 65536))
	done
}

# ---- phase 1: plans, namespaces, links ----
t0=$(date +%s)
end=$((t0 + T))
log "phase 1: $T s of plan churn, namespaces, link flaps under traffic"
pids=""
for i in 1 2 3; do
	fp-nlseq -S $T -s $i -P "$H1 $H2 $S1,$S2" "${SEQ6[@]}" >/tmp/seq$i 2>&1 &
	pids="$pids $!"
done
(
	i=0
	while [ "$(date +%s)" -lt $end ]; do
		i=$((i + 1))
		ip netns add st$i
		ip netns exec st$i flowplanctl plan set /tmp/pin.json \
			local $H1 "${NS6[@]}" >/dev/null
		ip netns del st$i
	done
	echo "$i namespaces" >/tmp/ns.count
) &
nspid=$!
(
	ip link add x0 type veth peer name x1
	ip link set x1 up
	n=0
	while [ "$(date +%s)" -lt $end ]; do
		n=$((n + 1))
		s=$((n % 2 + 1))
		echo "$(cut -d' ' -f1 /proc/uptime) flap l1-s$s down" >>/tmp/flap.log
		ip -n leaf1 link set l1-s$s down
		sleep 0.3
		ip -n leaf1 link set l1-s$s up
		echo "$(cut -d' ' -f1 /proc/uptime) flap l1-s$s up" >>/tmp/flap.log
		ip link set x0 up
		rdma link add rxe9 type rxe netdev x0 2>/dev/null || true
		ip link set x0 down
		ip link set x0 up
		rdma link delete rxe9 2>/dev/null || true
		sleep 1
	done
	ip link del x0
	echo "$n flaps" >/tmp/flap.count
) &
flappid=$!
traffic_until $end
for p in $pids; do
	wait $p || { cat /tmp/seq*; fail "a plan sender failed"; }
done
wait $nspid || fail "the namespace loop failed"
wait $flappid || fail "the flap loop failed"
cat /tmp/seq1 /tmp/seq2 /tmp/seq3 /tmp/ns.count /tmp/flap.count
log "phase 1: $runs fp_bw runs verified"

# ---- phase 2: the module goes and comes back under traffic ----
t1=$(date +%s)
end=$((t1 + T / 2))
log "phase 2: $((T / 2)) s of rmmod and insmod under traffic"
(
	n=0
	while [ "$(date +%s)" -lt $end ]; do
		n=$((n + 1))
		rmmod flowplan
		insmod "$FLOWPLAN_KO" icrc_check=1
		flowplanctl plan set /tmp/pin.json >/dev/null
		sleep 1
	done
	echo "$n reloads" >/tmp/reload.count
) &
relpid=$!
traffic_until $end
wait $relpid || fail "the reload loop failed"
cat /tmp/reload.count
t2=$(date +%s)
log "stress: $((t2 - t0)) s, $runs fp_bw runs ($runs6 over IPv6), $bytes bytes sent and verified, 0 lost"
[ $SIX = 0 ] || [ $runs6 -ge 1 ] || fail "no run over IPv6"
flowplanctl plan delete
dmesg_clean || fail "the kernel complained"
fp_unload
