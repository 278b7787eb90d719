#!/usr/bin/env bash
# vm-lib.sh - the flowplan part's VM test for make mutate (one of the
# part's test programs, tests/mutate/build.mk): this mutant's test_lib_verbs
# runs on rxe in the mutation VM (tests/mutate/vm.sh), loopback on rxe0,
# as tests/vm/tests/lib-flowgroup.sh runs it. Unlike on the host, where it
# skips without RDMA, a skip here is a failure: the VM has the device.
set -euo pipefail
BUILD=${BUILD:-build}
make -s --no-print-directory "$BUILD/tests/test_lib_verbs"
# shellcheck disable=SC2016 # H1: the VM's (tests/mutate/vm-serve.sh)
exec tests/mutate/vm.sh run 180 \
	'ASAN_OPTIONS=detect_leaks=0 CMOCKA_TEST_ABORT=1 FP_TEST_ADDR=$H1 ./test_lib_verbs; rc=$?
	 [ $rc != 77 ] || { echo "vm-lib: test_lib_verbs skipped in the VM"; rc=1; }; exit $rc' \
	"$BUILD/tests/test_lib_verbs"
