#!/usr/bin/env bash
# style.sh [kmod | FILE...] - kernel coding style (checkpatch.pl from
# Debian's linux-source-6.1) on flowplan's C code; any ERROR or WARNING
# fails. Last line: "style: N passed, N failed, 0 skipped" (N: files).
#
#   kmod    also the module and the UAPI header, with the kernel's rules
#           (used when kmod/build.mk has no style-kmod target of its own)
#   FILE... only these files, each with the checks of where it lives
#
# User-space code follows the kernel's style, with these checks off, as the
# kernel's rules do not fit a program or library outside it:
#   USE_NEGATIVE_ERRNO  an int return is 0 or a positive errno value
#                       (libibverbs' convention), never -errno
#   ARRAY_SIZE          there is no ARRAY_SIZE() outside the kernel
#   NEW_TYPEDEFS        public callback types (libFuzzer, libnl, emitters)
#   PREFER_DEFINED_ATTRIBUTE_MACRO  no __printf()/__packed outside the kernel
#   ENOSYS              ENOSYS also means "the driver lacks this call"
#   SPDX_LICENSE_TAG, FILE_PATH_CHANGES  as for the module (kmod-build.sh)
# kernels/fp_half.h, which nvcc compiles too, also COMPLEX_MACRO: CUDA's
# function qualifiers (__host__ __device__ __forceinline__) are several
# words that one macro names;
# and in tests (tests/ and a part's own tests/, such as lib/nccl/tests/)
# also SPLIT_STRING (test inputs, JSON documents, are written over several
# lines on purpose) and AVOID_EXTERNS (a stand-in library declares the ABI
# it implements, a test the ABI it drives).
set -uo pipefail
TOP=$(realpath "$(dirname "$0")/..")
cd "$TOP"
if ! scripts/checkpatch.sh --version >/dev/null; then
	echo "style: 0 passed, 1 failed, 0 skipped"
	exit 1
fi

KERNEL_IGNORE=FILE_PATH_CHANGES,SPDX_LICENSE_TAG
USER_IGNORE=$KERNEL_IGNORE,USE_NEGATIVE_ERRNO,ARRAY_SIZE,NEW_TYPEDEFS,PREFER_DEFINED_ATTRIBUTE_MACRO,ENOSYS
TEST_IGNORE=$USER_IGNORE,SPLIT_STRING,AVOID_EXTERNS
pass=0 fail=0

check() {	# IGNORE FILE...
	local ign=$1 f out
	shift
	for f in "$@"; do
		[ -f "$f" ] || continue
		case $f in *.mod.c) continue ;; esac
		out=$(scripts/checkpatch.sh --no-tree --terse --show-types \
			--ignore "$ign" -f "$f" 2>&1)
		if grep -qE ': (ERROR|WARNING):' <<<"$out"; then
			grep -E ': (ERROR|WARNING):' <<<"$out"
			fail=$((fail + 1))
		else
			pass=$((pass + 1))
		fi
	done
}

# The checks a file gets, by where it lives.
ignore_for() {
	case $1 in
	kmod/* | include/uapi/*) echo "$KERNEL_IGNORE" ;;
	kernels/fp_half.h) echo "$USER_IGNORE,COMPLEX_MACRO" ;;
	tests/* | lib/*/tests/*) echo "$TEST_IGNORE" ;;
	*) echo "$USER_IGNORE" ;;
	esac
}

shopt -s nullglob globstar
files=()
if [ $# -gt 0 ] && [ "$1" != kmod ]; then
	# style.sh FILE...: only these (paths from the top of the tree)
	for f in "$@"; do
		[ -f "$f" ] || { echo "style.sh: $f: no such file" >&2; exit 2; }
		files+=("$f")
	done
else
	[ "${1:-}" = kmod ] && files+=(kmod/*.c kmod/*.h include/uapi/linux/flowplan.h)
	files+=(lib/**/*.c lib/**/*.h tools/*.c tools/*.h examples/*.c
		daemon/**/*.c daemon/**/*.h kernels/*.c kernels/*.h
		tests/unit/*.c tests/unit/*.h tests/fuzz/*.c tests/gpu/*.c
		tests/gpu/*.h tests/lab/*.c tests/vm/*.c)
fi
for f in "${files[@]}"; do
	check "$(ignore_for "$f")" "$f"
done
echo "style: $pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
