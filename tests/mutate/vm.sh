#!/usr/bin/env bash
# vm.sh start|run|stop - make mutate's VM tier: ONE qemu VM (Debian's
# kernel, rdma_rxe, the fabric of tests/vm/lib/fabric.sh) kept running
# across a part's mutants, so that code only real RDMA or the real module
# runs (libflowplan's groups, posts, buffers; lib/core's netlink client) is
# tested on rxe and flowplan.ko for each mutant without a boot per mutant.
# Run in the mutation copy (never the checkout).
#
#   vm.sh start            boot the VM unless it runs (tests/vm/run.sh with
#                          tests/mutate/vm-serve.sh as its test and a 9p
#                          share, build/mutate-vm/share); wait until ready
#   vm.sh run SECS CMD [FILE...]
#                          start, then run shell command CMD in the VM in a
#                          directory holding FILEs (copied through the
#                          share), killed after SECS; print its output and
#                          exit with its status
#   vm.sh stop             stop the VM (parts.conf `finish`)
#
# A VM that died (or warned) is booted again by the next start. The VM
# stops by itself after 900 s without a job.
set -euo pipefail

TOP=$(pwd)
BUILD=${BUILD:-build}
ST=$TOP/$BUILD/mutate-vm
SHARE=$ST/share
PIDF=$ST/pid

alive() {
	[ -s "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null && [ -e "$SHARE/ready" ]
}

vm_log() {
	tail -n 30 "$ST/vm/logs/vm-serve.log" 2>/dev/null | tr -d '\r' | sed 's/^/    /'
}

stop() {
	local pid t
	[ -s "$PIDF" ] || return 0
	pid=$(cat "$PIDF")
	if kill -0 "$pid" 2>/dev/null; then
		: >"$SHARE/stop" 2>/dev/null || true
		for t in $(seq 300); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -- -"$pid" 2>/dev/null || true
	fi
	rm -f "$PIDF"
}

start() {
	local t
	alive && return 0
	stop
	rm -rf "$SHARE"
	mkdir -p "$SHARE/jobs"
	# the libraries the programs need reach the image with these (run.sh);
	# flowplan.ko (built against Debian's kernel) for vm-core.sh's jobs,
	# which load it and run the mutant's flowplanctl against it
	make -s --no-print-directory "$BUILD/vm/init" "$BUILD/tests/test_lib_verbs" \
		"$BUILD/flowplanctl" module
	echo "vm: booting the mutation VM (log $ST/vm/logs/vm-serve.log)"
	# shellcheck disable=SC2016 # expanded by the inner bash
	setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PIDF" \
		env VM_INIT="$TOP/$BUILD/vm/init" VM_OUT="$ST/vm" \
		VM_BINS="$TOP/$BUILD/tests/test_lib_verbs $TOP/$BUILD/flowplanctl" \
		FLOWPLAN_KO="$TOP/kmod/flowplan.ko" \
		VM_QEMU_ARGS="-virtfs local,path=$SHARE,mount_tag=mut,security_model=none,id=mut" \
		tests/vm/run.sh "$TOP/tests/mutate/vm-serve.sh" \
		>"$ST/run.log" 2>&1 </dev/null &
	for t in $(seq 9000); do
		[ ! -e "$SHARE/ready" ] || break
		if [ "$t" -gt 20 ] && ! { [ -s "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }; then
			echo "vm: the VM stopped before it was ready:"
			cat "$ST/run.log"
			vm_log
			exit 1
		fi
		sleep 0.1
	done
	alive || { echo "vm: the VM was not ready after 900 s"; vm_log; stop; exit 1; }
	echo "vm: ready ($(cat "$SHARE/ready"))"
}

run() {
	local secs=$1 cmd=$2 n J rc t
	shift 2
	start
	n=$(($(cat "$ST/seq" 2>/dev/null || echo 0) + 1))
	echo $n >"$ST/seq"
	J=$SHARE/jobs/$n
	mkdir -p "$J"
	[ $# = 0 ] || cp "$@" "$J/"
	printf '%s\n' "$cmd" >"$J/run.sh"
	echo "$secs" >"$J/timeout"
	echo $n >"$SHARE/next.tmp"
	mv "$SHARE/next.tmp" "$SHARE/next"
	# the VM kills the job after secs; then it has a minute to answer
	for t in $(seq $(((secs + 60) * 10))); do
		[ ! -e "$J/rc" ] || break
		if ! alive; then
			echo "vm: the VM stopped during job $n:"
			vm_log
			exit 1
		fi
		sleep 0.1
	done
	[ -e "$J/rc" ] || { echo "vm: job $n did not answer"; vm_log; stop; exit 1; }
	cat "$J/out"
	rc=$(cat "$J/rc")
	rm -rf "$J"
	[ "$rc" != 124 ] || echo "vm: job $n timed out after $secs s"
	return "$rc"
}

case "${1:-}" in
start) start ;;
run)
	[ $# -ge 3 ] || { echo "usage: $0 run SECS CMD [FILE...]" >&2; exit 2; }
	shift
	run "$@"
	;;
stop) stop ;;
*)
	echo "usage: $0 start|run SECS CMD [FILE...]|stop" >&2
	exit 2
	;;
esac
