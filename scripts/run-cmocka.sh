#!/usr/bin/env bash
# run-cmocka.sh TIER BINARY... - run cmocka test programs and print the tier's
# closing line "TIER: N passed, N failed, N skipped". A program that exits 77
# is skipped (it prints why); one that crashes or prints no summary counts as
# one failure.
set -uo pipefail
tier=$1
shift
P=0 F=0 S=0
for b in "$@"; do
	out=$("$b" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	if [ $rc = 77 ]; then
		S=$((S + 1))
		continue
	fi
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
	P=$((P + ${p:-0})) S=$((S + ${s:-0}))
	if [ -n "$f" ]; then
		F=$((F + f))
	elif [ $rc != 0 ] || [ -z "$p" ]; then
		echo "$tier: $(basename "$b") exited $rc without a passing summary"
		F=$((F + 1))
	fi
done
echo "$tier: $P passed, $F failed, $S skipped"
[ "$F" = 0 ]
