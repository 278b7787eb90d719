#!/usr/bin/env bash
# gpu.sh - on a machine with a GPU (issue 18): NCCL loads both flowplan
# plugins in a real communicator and runs all-reduces (fpn-nccl-smoke); the
# profiler's rings must hold them. Best effort, it first gives the plugin a
# RoCE device (soft-RoCE on the default route's interface) when there is
# none, so that the net plugin initialises too. Prints what NCCL said about
# each plugin. Exit 0 pass, 1 fail, 77 skip (no GPU, no NCCL).
#   lib/nccl/tests/gpu.sh [BUILD_DIR]
set -uo pipefail
B=${1:-build}
D=$(mktemp -d)
trap 'rm -rf "$D"; [ -n "${RXE:-}" ] && rdma link delete "$RXE" 2>/dev/null' EXIT
if ! ls /sys/class/infiniband/ >/dev/null 2>&1 || [ -z "$(ls /sys/class/infiniband/ 2>/dev/null)" ]; then
	dev=$(ip route show default 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -1)
	if [ -n "$dev" ] && modprobe rdma_rxe 2>/dev/null &&
	   rdma link add fpnrxe0 type rxe netdev "$dev" 2>/dev/null; then
		RXE=fpnrxe0
		echo "gpu.sh: soft-RoCE fpnrxe0 on $dev for the net plugin"
	else
		echo "gpu.sh: no RDMA device and no soft-RoCE: the net plugin will find 0 devices"
	fi
fi
NCCL_NET_PLUGIN=$PWD/$B/libnccl-net-flowplan.so \
NCCL_PROFILER_PLUGIN=$PWD/$B/libnccl-profiler-flowplan.so \
NCCL_DEBUG=INFO NCCL_DEBUG_SUBSYS=INIT,NET,ENV \
FLOWPLAN_REPORT=1 FLOWPLAN_REPORT_KEEP=1 FLOWPLAN_REPORT_DIR=$D \
	"$B/fpn-nccl-smoke" "$D" >"$D/log" 2>&1
rc=$?
grep -E 'net plugin|NET plugin|NET/Plugin|PROFILER/Plugin|flowplan|fpn-nccl-smoke' "$D/log" | sort -u | head -40
if [ $rc = 0 ] && ! grep -q 'Loaded net plugin flowplan' "$D/log"; then
	echo "gpu.sh: NCCL did not load the net plugin"; rc=1
fi
if [ $rc = 0 ] && ! grep -q 'PROFILER/Plugin: Loaded flowplan' "$D/log"; then
	echo "gpu.sh: NCCL did not load the profiler plugin"; rc=1
fi
echo "gpu.sh: exit $rc"
exit $rc
