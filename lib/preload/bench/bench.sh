#!/usr/bin/env bash
# bench.sh - make bench-preload. What libflowplan-preload.so costs, each
# figure against a baseline measured in the same run:
#  1. The data path: instructions callgrind counts in a loop of
#     ibv_post_send + ibv_poll_cq (verbs.h's inlines, an in-process provider
#     stub), with and without the interposer preloaded: they must be equal.
#  2. QP creation and connection on the test stand-in libibverbs (fakeverbs.c,
#     whose calls cost next to nothing): the interposer's own work per
#     ibv_create_qp and per INIT/RTR/RTS transition (RTR: GID query, plan
#     lookup in a plan of 4096 entries, subflow slot, the copy of the
#     attributes), in nanoseconds, with and without it.
#  3. The same on soft-RoCE in qemu (lib/preload/bench/vm-bench.sh under the
#     tests/vm harness), plan from flowplan.ko: the ratio of the medians.
#     BENCH_VM=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/../../.."
B=${BUILD:-build}
SO=$PWD/$B/libflowplan-preload.so
PB=$B/fp-preload-postbench
QB=$B/fp-preload-qpbench
FAKE=$PWD/$B/tests/preload/fake

# ---- 1. instructions in the post/poll loop
loop_ir() {	# loop_ir N [LD_PRELOAD value]: instructions inside run()
	LD_PRELOAD=${2:-} valgrind --tool=callgrind --toggle-collect='run*' \
		--callgrind-out-file=/dev/null "$PB" "$1" 2>&1 |
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
echo "bench-preload: data path (callgrind, instructions in a loop of ibv_post_send + ibv_poll_cq)"
printf '%-10s %14s %14s %8s\n' messages plain preloaded ratio
for n in 10000 100000; do
	a=$(loop_ir $n)
	b=$(loop_ir $n "$SO")
	printf '%-10s %14s %14s %8s\n' $n "$a" "$b" "$(echo "scale=4; $b / $a" | bc)"
	[ "$a" = "$b" ] || { echo "bench-preload: the post/poll path differs"; exit 1; }
done
echo "bench-preload: the interposer exports no data-path call:" \
	"$(objdump -T "$SO" | awk '$2 == "g" && $4 != "*UND*" {print $NF}' |
	   sort | paste -sd' ')"

# ---- 2. on the stand-in library
plan=$(mktemp /tmp/fp-preload-bench.XXXXXX.json)
trap 'rm -f "$plan"' EXIT
{
	echo '{ "format": "flowplan-plan", "version": 1, "generation": 1, "entries": ['
	for i in $(seq 0 4094); do
		printf '{ "src_addr": "10.1.%d.%d", "dst_addr": "10.2.0.1", "dqpn": 0, "enforce": false, "subflows": [ { "flow_label": %d, "sport": %d, "weight": 65536 } ] },\n' \
			$((i / 256)) $((i % 256)) $((i % 16383 + 1)) $((0xc000 + i % 16383 + 1))
	done
	echo '{ "src_addr": "10.0.1.1", "dst_addr": "10.0.2.1", "dqpn": 0, "enforce": false, "subflows": [ { "flow_label": 1, "sport": 49153, "weight": 32768 }, { "flow_label": 2, "sport": 49154, "weight": 32768 } ] } ], "phases": [] }'
} >"$plan"
echo "bench-preload: QP calls on the stand-in libibverbs (median ns per call, 4096 QPs; plan of 4096 entries)"
printf '%-10s %10s %10s %10s %10s %10s\n' "" create init rtr rts destroy
for round in 1 2; do
	for pre in "" "$SO"; do
		line=$(LD_LIBRARY_PATH=$FAKE LD_PRELOAD=$pre FLOWPLAN_NO_NETLINK=1 \
			FLOWPLAN_PLAN=$plan "$QB" -n 4096 fake0 1 fake0 2)
		set -- $line
		printf '%-10s %10s %10s %10s %10s %10s\n' \
			"$([ -n "$pre" ] && echo preloaded || echo plain)" \
			"$5" "$7" "$9" "${11}" "${13}"
	done
done

# ---- 3. on soft-RoCE in qemu
if [ "${BENCH_VM:-1}" = 0 ]; then
	echo "bench-preload: soft-RoCE figures skipped (BENCH_VM=0)"
	exit 0
fi
# The harness runs the tests of its own directory: a copy with the
# benchmark added, so that check-vm does not run it.
T=$(mktemp -d)
trap 'rm -rf "$T" "$plan"' EXIT
mkdir -p "$T/tests"
cp -r tests/vm "$T/tests/vm"
ln -s "$PWD/scripts" "$T/scripts"
cp lib/preload/bench/vm-bench.sh "$T/tests/vm/tests/preload-bench.sh"
scripts/deps.sh vm >/dev/null
make --no-print-directory $B/vm/init "$QB" "$SO" $B/flowplanctl module >/dev/null
VM_OUT=$PWD/$B/vm-bench VM_INIT=$PWD/$B/vm/init FLOWPLAN_KO=$PWD/kmod/flowplan.ko \
	VM_BINS="$QB $SO $B/flowplanctl" "$T/tests/vm/run.sh" preload-bench || true
log=$B/vm-bench/logs/preload-bench.log
if ! grep -aq '^preload-bench:' "$log" 2>/dev/null; then
	echo "bench-preload: no soft-RoCE figures (see above)"
	exit 0
fi
echo "bench-preload: QP calls on soft-RoCE in qemu (median ns per call, 64 QPs, 3 rounds each)"
grep -a '^preload-bench:' "$log" | tr -d '\r' | awk '
	{ k = ($2 == "preloaded") ? "pre" : "plain"
	  for (i = 1; i <= NF; i++) if ($i ~ /^(create|init|rtr|rts|destroy)$/) s[k, $i] += $(i + 1)
	  n[k]++ }
	END {
	  printf "%-10s %10s %10s %10s %10s %10s\n", "", "create", "init", "rtr", "rts", "destroy"
	  split("create init rtr rts destroy", f, " ")
	  for (k in n) { printf "%-10s", k; for (j = 1; j <= 5; j++) printf " %10d", s[k, f[j]] / n[k]; printf "\n" }
	  printf "%-10s", "ratio"; for (j = 1; j <= 5; j++) printf " %10.2f", s["pre", f[j]] / s["plain", f[j]]; printf "\n" }'
