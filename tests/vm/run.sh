#!/usr/bin/env bash
# run.sh [TEST...] - boot Debian's own kernel in qemu once per test and run
# tests/vm/tests/TEST.sh in it (all tests when none is named). Prints one
# line per test and ends with "vm: N passed, N failed, N skipped".
#
# Environment (set by tests/vm/build.mk):
#   FLOWPLAN_KO   the module to put in the image (/usr/lib/modules/extra/)
#   VM_BINS       programs to put in /usr/bin (with the shared libraries
#                 the base image lacks)
#   VM_INIT       the PID-1 program built from init.c
#   VM_OUT        where logs and the run part go (default build/vm)
#   VM_SMP, VM_MEM, VM_TIMEOUT   defaults; a test overrides them with a line
#                 "# vm: smp=2 mem=1024 timeout=300" near its top
#   VM_QEMU_ARGS  more qemu arguments (word-split), e.g. the -virtfs share
#                 of make mutate's VM tier (tests/mutate/vm.sh)
#   VM_APPEND     more kernel command-line words, e.g.
#                 rcupdate.rcu_cpu_stall_timeout=60 for a debug-kernel run
# A TEST with a slash in it is a script outside tests/vm/tests (PATH/NAME.sh,
# run as NAME); tests/mutate/vm-serve.sh is one.
#   VM_KERNEL     "debian" (default): Debian's linux-image; "debug": the
#                 debug kernel of debug-kernel.sh (KASAN, kmemleak, lockdep,
#                 ...), every test with 2 vCPUs, 2 GiB and VM_DEBUG_SLOWER
#                 (4) times its time-out, flowplan.ko built against it, and
#                 a kmemleak scan after each test (a leak fails it)
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
OUT=$(realpath -m "${VM_OUT:-$TOP/build/vm}")	# kbuild needs M= absolute
VM_SMP=${VM_SMP:-1}
VM_MEM=${VM_MEM:-1024}
VM_TIMEOUT=${VM_TIMEOUT:-300}
VM_INIT=${VM_INIT:-$OUT/init}

pass=0 fail=0 skip=0
TIER=vm
[ "${VM_KERNEL:-debian}" = debug ] && TIER=vm-debug

failures=()	# "TEST: why" of each failed test, repeated at the end
summary() {
	local f
	# The summary is what a truncated log (CI's tail) keeps: each failure
	# again, with the test's first failing check (see lib/common.sh).
	for f in "${failures[@]}"; do echo "$TIER: failed: $f"; done
	echo "$TIER: $pass passed, $fail failed, $skip skipped"
	[ "$fail" = 0 ]
	exit
}

# Every test is skipped, for one reason the environment gives.
skip_all() {
	local t
	for t in "${tests[@]}"; do
		echo "$TIER: $t skipped: $1"
		skip=$((skip + 1))
	done
	summary
}

# Every test fails: this tree's own harness (kernel or image build) broke,
# which must not pass for an environment that cannot run the tests.
fail_all() {
	local t
	for t in "${tests[@]}"; do
		echo "$TIER: $t failed: $1"
		fail=$((fail + 1))
	done
	summary
}

tests=()
if [ $# -gt 0 ]; then
	tests=("$@")
else
	for f in "$HERE"/tests/*.sh; do
		t=${f##*/}
		tests+=("${t%.sh}")
	done
fi

command -v qemu-system-x86_64 >/dev/null ||
	skip_all "qemu-system-x86_64 is not installed (scripts/deps.sh vm)"
[ -x "$VM_INIT" ] || skip_all "no init program at $VM_INIT"

VM_KERNEL=${VM_KERNEL:-debian}
case $VM_KERNEL in
debian)
	ABI=$("$TOP/scripts/debian-kernel.sh" abi) ||
		skip_all "cannot tell Debian's kernel ABI (no package mirror?)"
	KROOT=$("$TOP/scripts/debian-kernel.sh" image) ||
		skip_all "cannot fetch linux-image-$ABI"
	;;
debug)
	KROOT=$("$HERE/debug-kernel.sh" image) ||
		fail_all "the debug kernel did not build (tests/vm/debug-kernel.sh)"
	ABI=$("$HERE/debug-kernel.sh" release)
	OUT=$OUT/debug
	VM_SMP=2
	VM_MEM=2048
	;;
*)
	echo "run.sh: VM_KERNEL is debian or debug, not $VM_KERNEL" >&2
	exit 2
	;;
esac
KERNEL=$KROOT/boot/vmlinuz-$ABI
BASE=$("$HERE/mkinitramfs.sh" "$KROOT" "$ABI") ||
	fail_all "the base initramfs did not build (tests/vm/mkinitramfs.sh)"
BASE_LIST=${BASE%/*}/base.list

# ---- the per-run part: init, tests, module, programs, missing libraries ----
# Private to this run: two runs in one tree must not mix their parts.
mkdir -p "$OUT"
W=$(mktemp -d "$OUT/run.XXXXXX")
trap 'if [ -n "${qpid:-}" ]; then kill "$qpid" 2>/dev/null; fi; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
R=$W/root
mkdir -p "$R/tests/lib" "$R/usr/bin" "$R/usr/lib/modules/extra" \
	"$R/usr/lib/x86_64-linux-gnu" "$OUT/logs"
cp "$VM_INIT" "$R/init"
cp "$HERE"/tests/*.sh "$R/tests/"
declare -A tfile
for t in "${tests[@]}"; do
	case $t in
	*/*) tfile[$(basename "$t" .sh)]=$t ;;
	*) tfile[$t]=$HERE/tests/$t.sh ;;
	esac
done
for t in "${!tfile[@]}"; do
	case ${tfile[$t]} in
	"$HERE"/tests/*) ;;
	*) [ ! -f "${tfile[$t]}" ] || cp "${tfile[$t]}" "$R/tests/$t.sh" ;;
	esac
done
cp "$HERE"/lib/*.sh "$R/tests/lib/"
[ -d "$HERE/tests/data" ] && cp -r "$HERE/tests/data" "$R/tests/"
if [ "$VM_KERNEL" = debug ] && [ -n "${FLOWPLAN_KO:-}" ]; then
	# The module of this tree, built for the debug kernel (KASAN and
	# UBSAN instrument it too), in a scratch copy.
	mkdir -p "$W/ko/include"
	cp -a "$TOP/Kbuild" "$W/ko/" && cp -a "$TOP/include/uapi" "$W/ko/include/"
	mkdir "$W/ko/kmod"
	cp -a "$TOP/kmod/Kbuild" "$TOP"/kmod/*.[ch] "$W/ko/kmod/"
	rm -f "$W"/ko/kmod/*.mod.c
	make -s -C "$("$HERE/debug-kernel.sh" build-dir)" M="$W/ko" modules \
		>"$W/ko.log" 2>&1 ||
		{ cat "$W/ko.log"; echo "run.sh: flowplan.ko does not build for the debug kernel" >&2; exit 1; }
	cp "$W/ko/kmod/flowplan.ko" "$R/usr/lib/modules/extra/flowplan.ko"
elif [ -n "${FLOWPLAN_KO:-}" ] && [ -f "$FLOWPLAN_KO" ]; then
	cp "$FLOWPLAN_KO" "$R/usr/lib/modules/extra/flowplan.ko"
fi
in_base() {
	grep -qxF ".$1" "$BASE_LIST" || grep -qxF "./usr$1" "$BASE_LIST"
}
for b in ${VM_BINS:-}; do
	[ -f "$b" ] || continue
	cp "$b" "$R/usr/bin/"
	for l in $(ldd "$b" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
		in_base "$l" || cp -L "$l" "$R/usr/lib/x86_64-linux-gnu/"
	done
done
# The tests run in the VM from a clean environment; tell them what the ABI is.
echo "$ABI" >"$R/tests/abi"
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 |
	gzip -1) >"$W/run.cpio.gz"
cat "$BASE" "$W/run.cpio.gz" >"$W/initrd.img"

# A test's "# vm: key=value ..." line overrides the defaults.
opt() {
	local v
	v=$(sed -n 's/^# vm:.*\<'"$2"'=\([0-9]*\).*/\1/p' "${tfile[$1]}" |
		head -1)
	echo "${v:-$3}"
}

# wait_vm PID LOG TIMEOUT AFTER: waits for qemu (PID, console in LOG) and
# returns its exit status, or kills it and returns 124 TIMEOUT + AFTER
# seconds after init said it runs the test (init's time-out, fp.timeout,
# counts from there), or TIMEOUT seconds after qemu started if init never
# said so. Counted from qemu's start, the debug kernel's boot and init's
# two kmemleak scans before the test (minutes on a loaded host) were taken
# from the AFTER that init needs to print a timed-out test's tasks and
# kernel log, and those were lost (ctl and pin, 2026-12-02).
qpid=
wait_vm() {
	local pid=$1 log=$2 limit=$3 t0=$SECONDS running=
	while kill -0 "$pid" 2>/dev/null; do
		if [ -z "$running" ] &&
		   grep -aq 'flowplan-vm: init: running' "$log"; then
			running=1
			t0=$SECONDS
			limit=$(($3 + $4))
		fi
		if [ $((SECONDS - t0)) -ge "$limit" ]; then
			kill -TERM "$pid" 2>/dev/null
			sleep 5
			kill -KILL "$pid" 2>/dev/null
			wait "$pid"
			return 124
		fi
		sleep 1
	done
	wait "$pid"
}

# ---- one boot per test ----
for t in "${tests[@]}"; do
	[[ $t != */* ]] || t=$(basename "$t" .sh)
	if [ ! -f "${tfile[$t]}" ]; then
		echo "$TIER: $t failed: no ${tfile[$t]#"$TOP"/}"
		fail=$((fail + 1))
		continue
	fi
	log=$OUT/logs/$t.log
	nonce=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
	smp=$(opt "$t" smp "$VM_SMP")
	mem=$(opt "$t" mem "$VM_MEM")
	to=$(opt "$t" timeout "$VM_TIMEOUT")
	# after: what init does once the test is done (kmemleak's wait and
	# scan, the kernel log) before qemu is killed; on the debug kernel the
	# scan of 2 GiB and its long log over the serial console take minutes.
	after=60
	if [ "$VM_KERNEL" = debug ]; then
		smp=2
		[ "$mem" -ge 2048 ] || mem=2048
		to=$((to * ${VM_DEBUG_SLOWER:-4}))
		after=300
	fi
	# The debug kernel: init must find kmemleak running; KASAN reports
	# every bug, not only the first (a report in rxe must not hide a
	# later one in flowplan.ko). Its RCU CPU stall time-out is 21 s times
	# VM_DEBUG_SLOWER, as the test's: the kernel is preempt-none, and
	# `rdma link add` (rxe's sysfs port attributes, 1024 GIDs, for every
	# namespace's compat device) ran over 21 s without a quiescent state
	# under KASAN and kmemleak, no flowplan code on the stack (pin,
	# 2026-12-01, host load 10); a real stall lasts past any time-out.
	# Every kernel message goes to the console as it is printed, with its
	# time (ignore_loglevel, printk.time): a run killed before init
	# printed the kernel log still shows what the kernel did, and when.
	kml=
	if [ "$VM_KERNEL" = debug ]; then
		kml=" fp.kmemleak=1 kasan_multi_shot ignore_loglevel printk.time=1"
		kml+=" rcupdate.rcu_cpu_stall_timeout=$((21 * ${VM_DEBUG_SLOWER:-4}))"
	fi
	: >"$log"	# before wait_vm reads it: the last run's is in it
	start=$(date +%s%N)
	# no_timer_check: on a loaded host, TCG can miss the IO-APIC timer
	# check's window and the kernel panics at boot ("IO-APIC + timer
	# doesn't work!"); the check proves nothing about qemu's PIT
	# shellcheck disable=SC2086 # VM_QEMU_ARGS: several words
	qemu-system-x86_64 -accel tcg -cpu max \
		-smp "$smp" -m "$mem" -nographic -no-reboot -nic none \
		-kernel "$KERNEL" -initrd "$W/initrd.img" ${VM_QEMU_ARGS:-} \
		-append "console=ttyS0 quiet loglevel=4 panic=-1 no_timer_check fp.test=$t fp.nonce=$nonce fp.timeout=$to$kml${VM_APPEND:+ $VM_APPEND}" \
		</dev/null >"$log" 2>&1 &
	qpid=$!
	wait_vm "$qpid" "$log" "$to" "$after"
	qrc=$?
	qpid=
	secs=$((($(date +%s%N) - start) / 100000000))
	secs=$((secs / 10)).$((secs % 10))
	line=$(grep -a "^flowplan-vm: $nonce $t " "$log" | tail -1 | tr -d '\r')
	verdict=$(echo "$line" | cut -d' ' -f4)
	why=$(echo "$line" | cut -d' ' -f5-)
	if [ -z "$line" ] && [ "$qrc" != 0 ] && [ "$qrc" != 124 ] &&
	   [ "$qrc" != 137 ] && ! grep -aq 'flowplan-vm: init:' "$log"; then
		echo "$TIER: $t skipped: qemu did not start (exit $qrc): $(tail -1 "$log")"
		skip=$((skip + 1))
		continue
	fi
	case $verdict in
	pass)
		echo "$TIER: $t passed (${secs} s)"
		pass=$((pass + 1))
		;;
	skip)
		why=$(grep -a '^flowplan-vm-skip: ' "$log" | tail -1 | cut -d' ' -f2- | tr -d '\r')
		echo "$TIER: $t skipped: ${why:-no reason given} (${secs} s)"
		skip=$((skip + 1))
		;;
	*)
		[ -z "$line" ] && why="no verdict (panic, hang or qemu exit $qrc)"
		echo "$TIER: $t FAILED: $why (${secs} s); log: $log"
		failures+=("$t: $why (${secs} s)")
		# The test's own output, then the kernel's complaints.
		grep -av '^dmesg: ' "$log" | tail -40 | sed 's/^/    /'
		grep -aE '^dmesg: .*(WARNING:|BUG:|Oops|KASAN|UBSAN|refcount_t|Call Trace|lockup|blocked for)' \
			"$log" | head -20 | sed 's/^/    /'
		fail=$((fail + 1))
		;;
	esac
done
summary
