#!/usr/bin/env bash
# test_lib_so.sh - what libflowplan.so is made of, checked on the built
# library (cmocka-style lines for scripts/run-cmocka.sh):
#  - it imports no abort, exit or assert: no exported call can end the
#    application (allocation failure returns ENOMEM, as in rdma-core);
#  - it holds no object of the planner (no symbol the planner library
#    defines), only the data path and the shared core;
#  - it exports only the fp_* calls of its version script;
#  - the static libflowplan.a imports no abort, exit or assert either.
# FLOWPLAN_BUILD: the build directory (default build).
set -uo pipefail
B=${FLOWPLAN_BUILD:-build}
so=$B/libflowplan.so.1 a=$B/libflowplan.a planner=$B/libfpplanner.a
pass=0 fail=0

check() {	# NAME COMMAND...: the command must succeed
	local name=$1
	shift
	if "$@"; then
		echo "[       OK ] $name"; pass=$((pass + 1))
	else
		echo "[  FAILED  ] $name"; fail=$((fail + 1))
	fi
}
none() { [ -z "$1" ] || { echo "$1"; false; }; }

for f in "$so" "$a" "$planner"; do
	[ -e "$f" ] || { echo "test_lib_so: $f is not built"; exit 77; }
done
ends='^(abort|exit|_exit|_Exit|quick_exit|__assert_fail|__assert_perror_fail|__assert|err|errx|verr|verrx)$'
check "libflowplan.so imports no abort, exit or assert" \
	none "$(nm -D --undefined-only "$so" | awk '{print $NF}' | sed 's/@.*//' | grep -E "$ends")"
check "libflowplan.a imports no abort, exit or assert" \
	none "$(nm --undefined-only "$a" 2>/dev/null | awk 'NF {print $NF}' | sort -u | grep -E "$ends")"
planner_syms=$(nm --defined-only "$planner" 2>/dev/null | awk '$2 ~ /[TDBR]/ {print $3}' | sort -u)
so_syms=$(nm --defined-only "$so" | awk '{print $3}' | sort -u)
check "libflowplan.so holds no planner object" \
	none "$(comm -12 <(echo "$planner_syms") <(echo "$so_syms"))"
check "libflowplan.so exports only its fp_* calls" \
	none "$(nm -D --defined-only "$so" | awk '$2 != "A" {print $3}' | grep -v '^fp_')"

echo "[==========] $((pass + fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ "$fail" = 0 ] || echo "[  FAILED  ] $fail test(s), listed above."
[ "$fail" = 0 ]
