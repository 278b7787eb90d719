# preload-bench (run by lib/preload/bench/bench.sh, not by check-vm): what a
# QP's creation and connection cost on soft-RoCE with and without
# libflowplan-preload.so, in one boot, through the 2x2 fabric with the plan
# in flowplan.ko (not enforced): fp-preload-qpbench times ibv_create_qp,
# the INIT, RTR and RTS transitions and ibv_destroy_qp for 64 QP pairs,
# alternately without and with the interposer, three times each.
# Prints "preload-bench: ..." lines.
# vm: timeout=600 mem=1536 smp=2
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

command -v fp-preload-qpbench >/dev/null || skip "fp-preload-qpbench is not built"
[ -f /usr/bin/libflowplan-preload.so ] || skip "libflowplan-preload.so is not built"
need_module
fabric_up
fp_load
write_plan /tmp/plan.json 2 "$H1 $H2 0 false $(sport_for_spine 1),$(sport_for_spine 2)"
flowplanctl plan set /tmp/plan.json >/dev/null

for round in 1 2 3; do
	for pre in "" /usr/bin/libflowplan-preload.so; do
		out=$(LD_PRELOAD=$pre fp-preload-qpbench -n 64 $RXE0 $GID_INDEX \
			$RXE1 $GID_INDEX)
		echo "preload-bench: ${pre:+preloaded }${pre:-plain} round $round $out"
	done
done
fp_unload
