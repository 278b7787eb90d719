# shellcheck shell=bash
# lib-bench (run by lib/flowplan/bench/bench.sh, not by check-vm): throughput over
# soft-RoCE through the 2x2 ECMP fabric with both leaf1 uplinks shaped to
# 20 Mbit/s: a single raw QP (ib_write_bw) against a libflowplan flow group
# of one subflow (the library's overhead) and of 4 subflows planned 2+2 over
# the spines (what splitting buys), in one boot. Every fp_bw run is verified
# byte for byte by its receiver. Then the instructions per posted and
# completed message on soft-RoCE, rxe's user-space provider in place of
# bench_post's stub (bench_post_dev, callgrind in the VM; see
# lib/flowplan/bench/bench_post.c): raw ibv_post_send + ibv_poll_cq against
# fp_post_write + fp_poll and the inline fp_fast_write + fp_fast_poll, on
# QPs connected in loopback on a device of their own. Prints
# "lib-bench: ..." lines.
# vm: timeout=900 mem=1536 smp=2
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

# ---- instructions on the real provider ----
if ! command -v bench_post_dev >/dev/null ||
	! command -v valgrind.bin >/dev/null; then
	echo "lib-bench: rxe instructions skipped: bench_post_dev or valgrind not in the image"
	exit 0
fi
ip link add bq0 type veth peer name bq1
ip addr add 10.99.0.1/24 dev bq0
ip link set bq0 up
ip link set bq1 up
rdma link add rxeb type rxe netdev bq0
export VALGRIND_LIB=/usr/bin BENCH_DEV=rxeb

# count ARGS...: instructions callgrind collected in bench_post_dev ARGS;
# the waits a message it printed in /tmp/waits
count() {
	valgrind.bin --tool=callgrind --callgrind-out-file=/dev/null \
		bench_post_dev "$@" 2>/tmp/vg.err ||
		{ cat /tmp/vg.err >&2; fail "bench_post_dev $*"; }
	sed -n 's/.*waits \([0-9.]*\) a message.*/\1/p' /tmp/vg.err >/tmp/waits
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' /tmp/vg.err
}
# per_msg MODE SIZE [K]: per message, start-up removed
per_msg() {
	local a b
	a=$(count "$1" 256 "${@:2}")
	b=$(count "$1" 1280 "${@:2}")
	echo $(((b - a) / 1024))
}
echo "lib-bench: rxe: instructions per message on soft-RoCE's provider (callgrind in qemu, user space: the provider's system calls not counted), ratios against one raw post + poll; per-post: against the raw posts the message needs (k split at 16 KiB and up, 1 unsplit)"
printf 'lib-bench: rxe %-8s %-28s %7s %6s %8s %6s\n' size path instr ratio per-post waits
for size in 8 4096 65536; do
	raw=$(per_msg raw $size)
	printf 'lib-bench: rxe %-8s %-28s %7s %6s %8s %6s\n' $size "raw ibv_post_send" \
		"$raw" 1.00 1.00 "$(cat /tmp/waits)"
	for mode in fp fast; do
		for k in 1 4; do
			posts=1
			[ "$size" -ge 16384 ] && posts=$k
			fp=$(per_msg $mode $size $k)
			name="fp_post_write k=$k"
			[ $mode = fast ] && name="fp_fast_write k=$k (inline)"
			printf 'lib-bench: rxe %-8s %-28s %7s %6s %8s %6s\n' $size "$name" \
				"$fp" "$(echo "scale=2; $fp / $raw" | bc)" \
				"$(echo "scale=2; $fp / ($raw * $posts)" | bc)" \
				"$(cat /tmp/waits)"
		done
	done
done
