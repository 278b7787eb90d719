# nccl-bench (run by lib/nccl/bench/bench.sh, not by check-vm): throughput
# over soft-RoCE through the 2x2 ECMP fabric, both leaf1 uplinks shaped to
# 20 Mbit/s, 64 x 1 MiB h1 -> h2 each, every byte verified by the receiver:
# a raw QP (ib_write_bw), a libflowplan flow group of 4 subflows planned
# 2+2 over the spines (fp_bw, RDMA writes), and the NCCL net plugin on the
# same plan (fpn-harness), then the plugin with one subflow. Prints
# "nccl-bench: ..." lines.
# vm: timeout=600 mem=1536 smp=2
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

command -v fpn-harness >/dev/null || skip "fpn-harness is not built"
fabric_up
export FLOWPLAN_NO_NETLINK=1 FLOWPLAN_REPORT=0 FLOWPLAN_TIMEOUT_MS=60000
export FLOWPLAN_NCCL_BOOTSTRAP=127.0.0.1 FPN_PLUGIN=/usr/bin/libnccl-net-flowplan.so
# The ACK timeout fp_bw runs with (-u 18), for the same retransmission delays.
export FLOWPLAN_NCCL_IB_TIMEOUT=18
for s in 1 2; do
	ip netns exec leaf1 tc qdisc add dev l1-s$s root tbf rate 20mbit \
		burst 32kb limit 400kb
done
S1a=$(sport_for_spine 1) S2a=$(sport_for_spine 2)
S1b=$(sport_for_spine 1 $((S1a + 1))) S2b=$(sport_for_spine 2 $((S2a + 1)))
write_plan /tmp/plan4.json 1 "$H1 $H2 0 false $S1a,$S1b,$S2a,$S2b" \
	"$H2 $H1 0 false $S1a,$S1b,$S2a,$S2b"
write_plan /tmp/plan1.json 1 "$H1 $H2 0 false $S1a" "$H2 $H1 0 false $S1a"
fpn-harness list >/tmp/list
D1=$(sed -n "s/^dev \([0-9]*\) name $RXE0:1 .*/\1/p" /tmp/list)
D2=$(sed -n "s/^dev \([0-9]*\) name $RXE1:1 .*/\1/p" /tmp/list)

fpbw() {
	local a="-b 127.0.0.1 -P $1 -n 1M -c 64 -w 8 -u 18 -t 60000 -q" srv
	fp_bw -s -l $H2 $a >/tmp/srv 2>&1 &
	srv=$!
	timeout 300 fp_bw -l $H1 $a $H2 >/tmp/cli 2>&1 || fail "fp_bw failed"
	wait $srv || fail "fp_bw server failed"
	grep -q "verified" /tmp/srv || fail "not verified"
	sed -n 's/.*= \([0-9.]*\) Mbit\/s.*/\1/p' /tmp/cli
}
plugin() {	# plugin PLAN: Mbit/s the receiver measured
	local srv
	rm -f /tmp/handle
	FLOWPLAN_PLAN=$1 fpn-harness -d "$D2" -s 1M -c 64 -w 8 recv /tmp/handle >/tmp/srv 2>&1 &
	srv=$!
	FLOWPLAN_PLAN=$1 timeout 300 fpn-harness -d "$D1" -s 1M -c 64 -w 8 send /tmp/handle \
		>/tmp/cli 2>&1 || { cat /tmp/cli; fail "plugin sender failed"; }
	wait $srv || { cat /tmp/srv; fail "plugin receiver failed"; }
	grep -q "corrupt 0," /tmp/srv || fail "corrupt"
	sed -n 's/.*, \([0-9.]*\) Mbit\/s$/\1/p' /tmp/srv
}
bw_run -s 1048576 -n 64 --report_gbits
raw=$(awk '$1 == 1048576 { print $4 * 1000 }' /tmp/cli)
grp=$(fpbw /tmp/plan4.json)
pl4=$(plugin /tmp/plan4.json)
pl1=$(plugin /tmp/plan1.json)
r() { echo "scale=2; $1 / $2" | bc; }
echo "nccl-bench: raw QP (ib_write_bw) $raw Mbit/s"
echo "nccl-bench: flow group k=4 (fp_bw, 2+2 spines) $grp Mbit/s, ratio to raw $(r "$grp" "$raw")"
echo "nccl-bench: NCCL plugin k=4 (2+2 spines) $pl4 Mbit/s, ratio to raw $(r "$pl4" "$raw"), to the flow group $(r "$pl4" "$grp")"
echo "nccl-bench: NCCL plugin k=1 $pl1 Mbit/s, ratio to raw $(r "$pl1" "$raw")"
