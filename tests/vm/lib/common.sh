# shellcheck shell=bash
# common.sh - helpers every in-VM test sources first:
#   . /tests/lib/common.sh
# It turns on `set -eu -o pipefail`, reports the line of a failing command,
# and gives: log, fail, skip, poll, need_module, fp_load, fp_unload, as_user,
# dmesg_clean, retry_until, on_debug_kernel, ack_u, rxe_window.
set -eEu -o pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

export ABI
ABI=$(cat /tests/abi)
FLOWPLAN_KO=/usr/lib/modules/extra/flowplan.ko

# first_failure WHAT: the test's first failure, kept in /tmp/.flowplan-fail
# for init, which puts it in the verdict: the host's summary names it even
# when a cleanup's output pushes the FAIL line out of the log's tail.
first_failure() {
	{ [ -e /tmp/.flowplan-fail ] || printf '%s\n' "$*" >/tmp/.flowplan-fail; } \
		2>/dev/null || true
}

on_err() {
	echo "FAIL: $1"
	first_failure "$1"
}
trap 'on_err "${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND (status $?)"' ERR

log() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }

fail() {
	echo "FAIL: $*"
	first_failure "$*"
	exit 1
}

# Exit 77: the test cannot run here; the reason reaches the host's summary.
skip() {
	echo "flowplan-vm-skip: $*"
	exit 77
}

# poll SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds; fail
# (return 1) after SECONDS. Use instead of sleep.
poll() {
	local t=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		t=$((t - 1))
		[ $t -gt 0 ] || return 1
		sleep 0.1
	done
}

need_module() {
	[ -f "$FLOWPLAN_KO" ] ||
		skip "flowplan.ko was not built (kmod/build.mk: make module)"
}

# Load flowplan.ko and the Debian modules it depends on. Every rewritten
# packet's incremental ICRC is checked against the full one (icrc_check=1:
# a mismatch warns, and a warning fails the test).
fp_load() {
	local d
	need_module
	for d in $(modinfo -F depends "$FLOWPLAN_KO" | tr ',' ' '); do
		modprobe "$d"
	done
	insmod "$FLOWPLAN_KO" icrc_check=1 "$@"
	poll 5 test -d /sys/module/flowplan || fail "flowplan did not appear"
}

fp_unload() {
	rmmod flowplan
	poll 5 test ! -d /sys/module/flowplan || fail "flowplan did not go away"
}

# as_user CMD...: run as uid/gid 65534 with no capabilities at all.
as_user() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
}

# on_debug_kernel: this is tests/vm/debug-kernel.sh's kernel (6.1.N-fpdebug:
# KASAN, kmemleak, lockdep, ...), many times slower than Debian's under TCG.
on_debug_kernel() {
	case $(uname -r) in *-fpdebug) return 0 ;; esac
	return 1
}

# ack_u: the QP ACK time-out exponent (-u) of the tests' RDMA programs: 18
# (4.096 us x 2^18, 1.07 s); 20 (4.3 s) on the debug kernel, where rxe
# under KASAN and lockdep in TCG answers slower: with 18, stress's fp_bw
# and daemon-traffic's fpd-traffic died of retry errors there (2026-12-01,
# 2026-12-02).
ack_u() {
	if on_debug_kernel; then echo 20; else echo 18; fi
}

# rxe_window W SIZE: a window of W messages of SIZE bytes (N, NK or NM; a buffer of W x
# SIZE), one message less on the debug kernel when the buffer is a whole
# number of MiB: Debian 6.1's rxe reads past its map array when a copy
# ends at the end of an MR of whole 1 MiB maps, which KASAN reports as a
# slab-out-of-bounds read in rxe_mr_copy (tests/vm/README.md, stress).
rxe_window() {
	local b=$2
	case $b in
	*K) b=$((${b%K} * 1024)) ;;
	*M) b=$((${b%M} * 1048576)) ;;
	esac
	if on_debug_kernel && [ "$1" -gt 1 ] && [ $(($1 * b % 1048576)) = 0 ]; then
		echo $(($1 - 1))
	else
		echo "$1"
	fi
}

# Nothing the kernel said so far is a warning, bug or oops.
dmesg_clean() {
	# "traps: PROG[PID] general protection fault ... in LIB" is a user
	# program's fault (its test fails by its own status), not the kernel's;
	# traps.c's own lines ("traps: PANIC: double fault") still count
	! dmesg | grep -vE 'traps: [^ []+\[[0-9]+\] ' |
		grep -E 'WARNING:|BUG:|Oops|KASAN|UBSAN|refcount_t|general protection|Call Trace|list_(add|del) corruption'
}

# expect_fail CMD...: CMD must fail; its output is kept in $OUTPUT.
expect_fail() {
	if OUTPUT=$("$@" 2>&1); then
		echo "$OUTPUT"
		fail "expected to fail: $*"
	fi
	return 0
}
