#!/usr/bin/env bash
# check.sh TIER TEST... - run cmocka test binaries, add up their cases and
# print the tier's closing line "TIER: N passed, N failed, N skipped".
# A binary that exits 77 counts as one skipped test; one that dies without a
# cmocka summary counts as one failure.
set -uo pipefail
tier=$1
shift
tp=0 tf=0 ts=0
for t in "$@"; do
	if [ ! -x "$t" ]; then
		echo "$tier: $(basename "$t") skipped: not built (nvcc not found)"
		ts=$((ts + 1))
		continue
	fi
	out=$(mktemp)
	"$t" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	rm -f "$out"
	if [ "$rc" = 77 ]; then
		ts=$((ts + 1))
		continue
	fi
	if [ -z "$p$f$s" ]; then
		echo "$tier: $(basename "$t") exited $rc without a summary"
		tf=$((tf + 1))
		continue
	fi
	f=${f:-0}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	tp=$((tp + ${p:-0})) tf=$((tf + f)) ts=$((ts + ${s:-0}))
done
echo "$tier: $tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ]
