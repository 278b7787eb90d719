#!/usr/bin/env bash
# bench.sh - make bench-nccl. Each figure is a ratio against a baseline
# measured in the same run:
#  1. CPU instructions per NCCL request (callgrind): the plugin's irecv +
#     isend + test on both comms against raw ibv_post_send + ibv_poll_cq,
#     both on the in-process provider stub of bench_req.c.
#  2. Throughput over soft-RoCE in qemu through the 2x2 fabric, leaf 1's
#     uplinks shaped to 20 Mbit/s: the plugin (fpn-harness) against a
#     libflowplan flow group (fp_bw) and a raw QP (ib_write_bw), same path,
#     same plan (lib/nccl/bench/vm-bench.sh). BENCH_VM=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/../../.."
BIN=${BENCH_BIN:-build/lib/nccl/bench/bench_req}

count() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 |
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
per_req() {	# per_req MODE SIZE [K]: instructions per request, start-up removed
	local a b
	a=$(count "$BIN" "$1" 1000 "$2" ${3:-})
	b=$(count "$BIN" "$1" 6000 "$2" ${3:-})
	echo $(((b - a) / 5000))
}

echo "bench-nccl: instructions per request (callgrind; provider stub, see lib/nccl/bench/bench_req.c)"
printf '%-10s %-36s %10s %8s\n' size path instr ratio
for size in 0 4096 65536 524288; do
	raw=$(per_req raw $size)
	printf '%-10s %-36s %10s %8s\n' $size "raw ibv_post_send + ibv_poll_cq" "$raw" 1.00
	for k in 1 4; do
		pl=$(per_req plugin $size $k)
		printf '%-10s %-36s %10s %8s\n' $size "plugin irecv+isend+test, k=$k" "$pl" \
			"$(echo "scale=2; $pl / $raw" | bc)"
	done
done

if [ "${BENCH_VM:-1}" = 0 ]; then
	echo "bench-nccl: soft-RoCE throughput skipped (BENCH_VM=0)"
	exit 0
fi
# The harness runs the tests of its own directory: a copy with the bench
# added, so that check-vm never runs it.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/tests"
cp -r tests/vm "$T/tests/vm"
ln -s "$PWD/scripts" "$T/scripts"
cp lib/nccl/bench/vm-bench.sh "$T/tests/vm/tests/nccl-bench.sh"
out=$(VM_OUT=$PWD/build/vm-bench VM_INIT=$PWD/build/vm/init \
	VM_BINS="build/fp_bw build/flowplanctl build/fpn-harness build/libnccl-net-flowplan.so" \
	"$T/tests/vm/run.sh" nccl-bench || true)
echo "$out"
grep -a '^nccl-bench:' build/vm-bench/logs/nccl-bench.log 2>/dev/null | tr -d '\r' ||
	echo "bench-nccl: no soft-RoCE figures (see above)"
