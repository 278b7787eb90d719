#!/usr/bin/env bash
# run-cmocka.sh TIER PROGRAM... - the one runner of cmocka test programs:
# every tier that runs them (core, lib, planner, kernels) counts the same
# way and prints "TIER: N passed, N failed, N skipped", where N counts test
# cases from each program's cmocka summary.
#  - a program that exits 77 is one skipped case (it printed why);
#  - a program that is not there or not executable (not built here, e.g.
#    no nvcc) is one skipped case, and the line says so;
#  - a program that crashes or ends without a cmocka summary is one failure
#    on top of the cases it reported failed.
set -uo pipefail
tier=$1
shift
P=0 F=0 S=0
for b in "$@"; do
	if [ ! -x "$b" ]; then
		echo "$tier: $(basename "$b") skipped: not built here"
		S=$((S + 1))
		continue
	fi
	out=$(mktemp)
	"$b" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	rm -f "$out"
	if [ "$rc" = 77 ]; then
		S=$((S + 1))
		continue
	fi
	P=$((P + ${p:-0})) S=$((S + ${s:-0})) F=$((F + ${f:-0}))
	if [ -z "$p$f$s" ]; then
		echo "$tier: $(basename "$b") exited $rc without a cmocka summary"
		F=$((F + 1))
	elif [ "$rc" != 0 ] && [ "${f:-0}" = 0 ]; then
		echo "$tier: $(basename "$b") exited $rc"
		F=$((F + 1))
	fi
done
echo "$tier: $P passed, $F failed, $S skipped"
[ "$F" = 0 ]
