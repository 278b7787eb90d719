#!/usr/bin/env bash
# vm-lib.sh - the flowplan part's VM test for make mutate (one of the
# part's test programs, tests/mutate/build.mk): this mutant's test_lib_verbs
# runs on rxe in the mutation VM (tests/mutate/vm.sh), loopback on rxe1
# (h2's address): lib-flowgroup runs it on rxe0, the first device; on the
# second, a device lookup that takes the first one it meets fails. Unlike on
# the host, where it skips without RDMA, a skip here is a failure: the VM
# has the device.
set -euo pipefail
BUILD=${BUILD:-build}
make -s --no-print-directory "$BUILD/tests/test_lib_verbs"
# shellcheck disable=SC2016 # H2: the VM's (tests/mutate/vm-serve.sh)
exec tests/mutate/vm.sh run 180 \
	'ASAN_OPTIONS=detect_leaks=0 CMOCKA_TEST_ABORT=1 FP_TEST_ADDR=$H2 ./test_lib_verbs; rc=$?
	 [ $rc != 77 ] || { echo "vm-lib: test_lib_verbs skipped in the VM"; rc=1; }; exit $rc' \
	"$BUILD/tests/test_lib_verbs"
