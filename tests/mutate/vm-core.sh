#!/usr/bin/env bash
# vm-core.sh - the core part's VM test for make mutate (the last of the
# part's test programs, tests/mutate/build.mk): lib/core's netlink client
# talks to flowplan.ko, which the build host cannot load, so a mutant of
# the netlink files (VM_FILES) runs check-vm's ctl test in the mutation VM
# (tests/mutate/vm.sh): this mutant's flowplanctl against the real module
# on rxe (device dumps with multi-message GID lists, plan set, show and
# delete, the kernel's extack reasons, counters after traffic, the events
# of monitor, an unprivileged user refused). Mutants of the other files are
# left to the host's programs (they have no path only the module reaches).
# A skip in the VM is a failure: the VM has the module and the devices.
set -euo pipefail
BUILD=${BUILD:-build}
VM_FILES="lib/core/nlclient.c lib/core/nlcodec.c"
if [ "${MUTATE_BASELINE:-0}" != 1 ]; then
	case " $VM_FILES " in
	*" ${MUTATE_FILE:?set by mutate.py} "*) ;;
	*) echo "vm-core: $MUTATE_FILE has no module-only path"; exit 0 ;;
	esac
fi
make -s --no-print-directory "$BUILD/flowplanctl"
# Each job starts from the fabric as booted: ctl sets h1 down and up, which
# takes h1's policy routes out of table 101 (fabric_routes puts them back),
# and a job that failed half-way may have left the module loaded, h1 down, a
# monitor or the test's rxe9.
# shellcheck disable=SC2016 # expanded in the VM
exec tests/mutate/vm.sh run 400 '
	pkill -9 -x flowplanctl || true
	rdma link delete rxe9 2>/dev/null || true
	ip link del x0 2>/dev/null || true
	! [ -d /sys/module/flowplan ] || rmmod flowplan
	ip link set h1 up
	for i in $(seq 100); do
		grep -q ACTIVE /sys/class/infiniband/rxe0/ports/1/state && break
		sleep 0.1
	done
	. /tests/lib/fabric.sh
	fabric_routes
	# the mutant'"'"'s program is bound over the image'"'"'s, which ctl.sh
	# finds first in its own PATH; the last job'"'"'s is detached even if a
	# monitor it left still runs (its file is gone with its job, and a
	# mount onto a deleted file fails)
	while umount -l /usr/bin/flowplanctl 2>/dev/null; do :; done
	mount --bind "$PWD/flowplanctl" /usr/bin/flowplanctl || exit 1
	cmp -s flowplanctl /usr/bin/flowplanctl ||
		{ echo "vm-core: /usr/bin/flowplanctl is not the mutant'"'"'s"; exit 1; }
	rc=0; bash ./ctl.sh || rc=$?
	[ $rc != 77 ] || { echo "vm-core: ctl skipped in the VM"; rc=1; }
	exit $rc' \
	"$BUILD/flowplanctl" tests/vm/tests/ctl.sh
