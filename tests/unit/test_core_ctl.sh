#!/usr/bin/env bash
# test_core_ctl.sh - flowplanctl's outputs when writing fails (issue 11),
# cmocka-style lines for scripts/run-cmocka.sh:
#  - standard output that cannot be written (/dev/full): an error naming
#    it, exit status 1, for human and JSON output and for a plan file on
#    standard output (`out -`);
#  - an output file whose write fails part-way (a full disk, made here with
#    a file size limit: RLIMIT_FSIZE, SIGXFSZ ignored): an error naming the
#    file, exit status 1, the file's old content intact and no temporary
#    file left beside it; for topology export, schedule export, plan
#    compute and simulate's picture;
#  - written files appear whole, with the mode the umask gives;
#  - plan compute partial with a leaf cut off (below).
# FLOWPLAN_BUILD: the build directory (default build).
set -uo pipefail
B=${FLOWPLAN_BUILD:-build}
CTL=$B/flowplanctl
[ -x "$CTL" ] || { echo "test_core_ctl: $CTL is not built"; exit 77; }
[ -w /dev/full ] || { echo "test_core_ctl: no /dev/full here"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
TOPO=leafspine:leaves=2,spines=2,hosts=2
SCHED=ring-allreduce:bytes=1M
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

# full_stdout ARGS...: flowplanctl ARGS > /dev/full fails and says so
full_stdout() {
	local err rc
	err=$("$CTL" "$@" 2>&1 >/dev/full)
	rc=$?
	[ $rc = 1 ] || { echo "exit status $rc"; return 1; }
	grep -q "standard output" <<<"$err" || { echo "said: $err"; return 1; }
}

# full_disk FILE ARGS...: flowplanctl ARGS writing FILE fails part-way
# (1 KiB file size limit); FILE keeps its content, no FILE.* is left
full_disk() {
	local f=$1 err rc
	shift
	echo old >"$f"
	err=$(ulimit -f 1; trap '' XFSZ; "$CTL" "$@" 2>&1 >/dev/null)
	rc=$?
	[ $rc = 1 ] || { echo "exit status $rc"; return 1; }
	grep -q "$f" <<<"$err" || { echo "said: $err"; return 1; }
	[ "$(cat "$f")" = old ] || { echo "$f was changed"; return 1; }
	! ls "$f".* >/dev/null 2>&1 || { echo "left: $(ls "$f".*)"; return 1; }
}

written() {	# FILE ARGS...: flowplanctl ARGS writes FILE whole, mode 0644
	local f=$1
	shift
	rm -f "$f"
	(umask 022; "$CTL" "$@" >/dev/null) || return 1
	jq -e . "$f" >/dev/null 2>&1 || head -c 200 "$f" | grep -q '<svg' ||
		{ echo "$f: not whole"; return 1; }
	[ "$(stat -c %a "$f")" = 644 ] || { echo "mode $(stat -c %a "$f")"; return 1; }
}

# partial: leaf3 cut off; ring flows h2 -> h3 and h3 -> h0 cannot run (the
# plan has 4 entries: h0 -> h1, h1 -> h2 and their reverse ones). Without
# `partial` the plan fails naming one; with it the rest is planned, the two
# are listed (text, -j) with why, the plan file is written, and status is 1.
partial() {
	local cut=leafspine:leaves=4,spines=2,hosts=1,fail=leaf3-spine0+leaf3-spine1
	local out err rc
	err=$("$CTL" plan compute "$cut" "$SCHED" 2>&1 >/dev/null)
	rc=$?
	[ $rc = 1 ] && grep -q "h2.n0 -> h3.n0: no live path" <<<"$err" ||
		{ echo "without partial: status $rc, said: $err"; return 1; }
	out=$("$CTL" plan compute "$cut" "$SCHED" partial out "$T/partial.json" 2>"$T/err")
	rc=$?
	[ $rc = 1 ] || { echo "text: status $rc"; return 1; }
	grep -q "2 flows cannot run" "$T/err" || { echo "said: $(cat "$T/err")"; return 1; }
	grep -qx "  phase p0: h2.n0 -> h3.n0: no live path (failed links cut leaf2 from leaf3)" \
		<<<"$out" || { echo "text: $out"; return 1; }
	grep -qx "  phase p0: h3.n0 -> h0.n0: no live path (failed links cut leaf3 from leaf0)" \
		<<<"$out" || { echo "text: $out"; return 1; }
	[ "$(jq -c '[.phases[0].unroutable_flows, [.phases[0].flows[] | select(.unroutable)
		     | .src, (.subflows | length)], (.entries | length)]' "$T/partial.json")" = \
	  '[2,["h2.n0",0,"h3.n0",0],4]' ] || { echo "plan file: $(head -c 400 "$T/partial.json")"; return 1; }
	out=$("$CTL" -j plan compute "$cut" "$SCHED" partial 2>/dev/null)
	rc=$?
	[ $rc = 1 ] || { echo "-j: status $rc"; return 1; }
	[ "$(jq -c '[.phases[0].unroutable_flows, [.unroutable[] | .src, .dst, .why]]' <<<"$out")" = \
	  '[2,["h2.n0","h3.n0","no live path (failed links cut leaf2 from leaf3)","h3.n0","h0.n0","no live path (failed links cut leaf3 from leaf0)"]]' ] ||
		{ echo "-j: $out"; return 1; }
	out=$("$CTL" -j plan compute "$TOPO" "$SCHED" partial) &&
		[ "$(jq -c '[.unroutable, .phases[0].unroutable_flows]' <<<"$out")" = '[[],0]' ] ||
		{ echo "-j, nothing cut: $out"; return 1; }
}

check "plan compute partial: the rest planned, the unroutable listed, status 1" partial
check "topology show > /dev/full: error, status 1" full_stdout topology show "$TOPO"
check "-j topology show > /dev/full: error, status 1" full_stdout -j topology show "$TOPO"
check "-j plan compute out - > /dev/full: error, status 1" \
	full_stdout -j plan compute "$TOPO" "$SCHED" out -
check "--version > /dev/full: error, status 1" full_stdout -V
check "topology export on a full disk: old file kept" \
	full_disk "$T/topo.json" topology export leafspine:leaves=8,spines=4,hosts=4 out "$T/topo.json"
check "schedule export on a full disk: old file kept" \
	full_disk "$T/sched.json" schedule export \
	'ring-allreduce:bytes=1M;alltoall:bytes=1M' topology leafspine:leaves=8,spines=4,hosts=4 \
	out "$T/sched.json"
check "plan compute on a full disk: old file kept" \
	full_disk "$T/plan.json" plan compute "$TOPO" "$SCHED" out "$T/plan.json"
check "simulate picture on a full disk: old file kept" \
	full_disk "$T/pic.svg" simulate "$TOPO" "$SCHED" picture "$T/pic.svg"
check "plan compute out FILE: whole, mode from the umask" \
	written "$T/plan.json" plan compute "$TOPO" "$SCHED" out "$T/plan.json"
check "topology export out FILE: whole, mode from the umask" \
	written "$T/topo.json" topology export "$TOPO" out "$T/topo.json"
check "simulate picture FILE: whole, mode from the umask" \
	written "$T/pic.svg" simulate "$TOPO" "$SCHED" picture "$T/pic.svg"

echo "[==========] $((pass + fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ "$fail" = 0 ] || echo "[  FAILED  ] $fail test(s), listed above."
[ "$fail" = 0 ]
