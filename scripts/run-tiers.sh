#!/usr/bin/env bash
# run-tiers.sh TIER... - run each `make TIER`, keep going after a failure, and
# add up the closing line every tier prints:  "<tier>: N passed, N failed, N skipped"
# A tier that exits non-zero without such a line counts as one failure.
set -uo pipefail
MAKE=${MAKE:-make}
tp=0 tf=0 ts=0 bad=""
for t in "$@"; do
	echo "=== $t"
	log=$(mktemp)
	$MAKE --no-print-directory "$t" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[A-Za-z0-9_-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	rm -f "$log"
	p=$(sed -n 's/.*: \([0-9]*\) passed.*/\1/p' <<<"$line")
	f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$line")
	s=$(sed -n 's/.* \([0-9]*\) skipped.*/\1/p' <<<"$line")
	p=${p:-0} f=${f:-0} s=${s:-0}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	[ "$f" != 0 ] && bad="$bad $t"
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
done
echo "=== summary"
[ -n "$bad" ] && echo "failed tiers:$bad"
echo "total: $tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ]
