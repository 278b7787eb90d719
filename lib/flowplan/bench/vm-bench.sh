# lib-bench (run by lib/flowplan/bench/bench.sh, not by check-vm): throughput over
# soft-RoCE through the 2x2 ECMP fabric with both leaf1 uplinks shaped to
# 20 Mbit/s: a single raw QP (ib_write_bw) against a libflowplan flow group
# of one subflow (the library's overhead) and of 4 subflows planned 2+2 over
# the spines (what splitting buys), in one boot. Every fp_bw run is verified
# byte for byte by its receiver. Prints "lib-bench: ..." lines.
# vm: timeout=500 mem=1536 smp=2
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

command -v fp_bw >/dev/null || skip "fp_bw is not built"
fabric_up
export FLOWPLAN_NO_NETLINK=1 FLOWPLAN_REPORT=0
for s in 1 2; do
	ip netns exec leaf1 tc qdisc add dev l1-s$s root tbf rate 20mbit \
		burst 32kb limit 400kb
done

S1a=$(sport_for_spine 1) S2a=$(sport_for_spine 2)
S1b=$(sport_for_spine 1 $((S1a + 1))) S2b=$(sport_for_spine 2 $((S2a + 1)))
write_plan /tmp/plan4.json 1 "$H1 $H2 0 false $S1a,$S1b,$S2a,$S2b" \
	"$H2 $H1 0 false $S1a,$S1b,$S2a,$S2b"
write_plan /tmp/plan1.json 1 "$H1 $H2 0 false $S1a" "$H2 $H1 0 false $S1a"

# fpbw PLAN: Mbit/s of 64 x 1 MiB RDMA writes h1 -> h2. The deadline is
# long: a full window waits its turn on a 20 Mbit/s link.
fpbw() {
	local a="-b 127.0.0.1 -P $1 -n 1M -c 64 -w 8 -u 18 -t 60000 -q" srv
	fp_bw -s -l $H2 $a >/tmp/srv 2>&1 &
	srv=$!
	timeout 300 fp_bw -l $H1 $a $H2 >/tmp/cli 2>&1 ||
		{ cat /tmp/cli /tmp/srv >&2; fail "fp_bw failed" >&2; }
	wait $srv || { cat /tmp/srv >&2; fail "fp_bw server failed" >&2; }
	grep -q "verified" /tmp/srv || fail "not verified" >&2
	sed -n 's/.*= \([0-9.]*\) Mbit\/s.*/\1/p' /tmp/cli
}

# Raw QP on the port of spine 1 (flow label 0: its port is whatever the QP
# numbers give; the tbf on either uplink is the same).
bw_run -s 1048576 -n 64 --report_gbits
raw=$(awk '$1 == 1048576 { print $4 * 1000 }' /tmp/cli)
one=$(fpbw /tmp/plan1.json)
four=$(fpbw /tmp/plan4.json)
echo "lib-bench: raw QP (ib_write_bw) $raw Mbit/s"
echo "lib-bench: flow group k=1 $one Mbit/s, ratio to raw $(echo "scale=2; $one / $raw" | bc)"
echo "lib-bench: flow group k=4 (2+2 spines) $four Mbit/s, ratio to raw $(echo "scale=2; $four / $raw" | bc)"
